#!/usr/bin/env node
// Generates, from the TypeScript declarations of the public API (what src/index.ts exports):
//   src/core/props-shapes.generated.ts          the shape of every props/options type, for
//                                               checkProps (src/core/props-check.ts)
//   test/support/props-entry-points.generated.ts every constructor, method and function that takes
//                                               a `props` or `options` parameter, for the test that
//                                               calls each one with an unknown prop
// `node scripts/props-shapes.js --check` writes nothing and exits 1 when a file is out of date;
// `npm test` checks the same through scripts/typecheck.js.
//
// A shape lists the keys of a props interface, each with a small kind descriptor: a primitive, a
// set of literals, an array, a record, another shape, a class instance by name, a union of those,
// or 'unknown' for what cannot be expressed. The descriptors are conservative: they never reject a
// value the TypeScript type allows, except keys the type does not declare (what TypeScript's
// excess property check rejects in an object literal).
//  - An interface with methods, or one a class of src/ implements (a plugin contract such as
//    PluginProvider or CatalogPlugin), is a `contract`: any object whose required methods are
//    functions. Its other members are not checked (a class may compute them) and extra keys are
//    fine (a class has more members than the interface).
//  - A class is checked by name (an instance of it or of a subclass) only when it has private or
//    protected members, as TypeScript then compares it by name too; else it is any object.
//  - Types declared outside src/ (cdk8s-plus-28's k8s.* structures, ...) are any object.
'use strict';
const path = require('path');
const ts = require('typescript');
const { writeGenerated } = require('./generated-files');

const root = path.join(__dirname, '..');
const srcDir = path.join(root, 'src') + path.sep;
const PROPS_PARAMS = ['props', 'options'];

function createProgram() {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(root, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  return ts.createProgram({ rootNames: config.fileNames, options: config.options });
}

function inSrc(node) {
  return path.normalize(node.getSourceFile().fileName).startsWith(srcDir);
}

function isHidden(decl) {
  const flags = ts.getCombinedModifierFlags(decl);
  return (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0;
}

class Generator {
  constructor(program) {
    this.program = program;
    this.checker = program.getTypeChecker();
    /** type -> shape name */
    this.names = new Map();
    /** shape name -> descriptor */
    this.shapes = new Map();
    this.contracts = this.implementedInterfaces();
    this.examples = new Map();
  }

  /** Interfaces some class of src/ implements, with the interfaces they extend. */
  implementedInterfaces() {
    const found = new Set();
    const add = (type) => {
      const symbol = type.aliasSymbol ?? type.getSymbol();
      if (!symbol || found.has(symbol)) return;
      found.add(symbol);
      if (type.isClassOrInterface()) for (const base of this.checker.getBaseTypes(type)) add(base);
    };
    for (const sf of this.program.getSourceFiles()) {
      if (!path.normalize(sf.fileName).startsWith(srcDir)) continue;
      const visit = (node) => {
        if (ts.isClassDeclaration(node)) {
          for (const clause of node.heritageClauses ?? []) {
            if (clause.token !== ts.SyntaxKind.ImplementsKeyword) continue;
            for (const t of clause.types) add(this.checker.getTypeAtLocation(t));
          }
        }
        ts.forEachChild(node, visit);
      };
      visit(sf);
    }
    return found;
  }

  typeName(type) {
    return this.checker.typeToString(
      type,
      undefined,
      ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope,
    );
  }

  /** The kind descriptor of a type; `undefined` is left out when `dropUndefined`. */
  kindOf(type, dropUndefined = false) {
    const f = type.flags;
    const F = ts.TypeFlags;
    if (f & (F.Any | F.Unknown)) return 'unknown';
    if (f & F.Boolean) return 'boolean';
    if (f & F.Union) return this.unionKind(type.types, dropUndefined);
    if (f & (F.Undefined | F.Void)) return 'undefined';
    if (f & F.Null) return { lit: [null] };
    if (f & (F.String | F.TemplateLiteral | F.StringMapping)) return 'string';
    if (f & F.Number) return 'number';
    if (f & F.StringLiteral) return { lit: [type.value] };
    if (f & F.NumberLiteral) return { lit: [type.value] };
    if (f & F.BooleanLiteral) return { lit: [this.checker.typeToString(type) === 'true'] };
    if (f & F.NonPrimitive) return 'object';
    if (f & F.Intersection) {
      return type.types.every((t) => t.flags & F.Object) ? this.objectKind(type) : 'unknown';
    }
    if (f & F.Object) return this.objectKind(type);
    return 'unknown';
  }

  unionKind(types, dropUndefined) {
    const kinds = [];
    const lits = [];
    for (const t of types) {
      const kind = this.kindOf(t);
      if (kind === 'unknown') return 'unknown';
      if (kind === 'undefined' && dropUndefined) continue;
      if (typeof kind === 'object' && 'lit' in kind) lits.push(...kind.lit);
      else if (!kinds.some((k) => JSON.stringify(k) === JSON.stringify(kind))) kinds.push(kind);
    }
    const hasTrue = lits.includes(true);
    const hasFalse = lits.includes(false);
    let rest = lits.filter(
      (l) =>
        !(hasTrue && hasFalse && typeof l === 'boolean') &&
        !(typeof l === 'string' && kinds.includes('string')) &&
        !(typeof l === 'number' && kinds.includes('number')),
    );
    if (hasTrue && hasFalse && !kinds.includes('boolean')) kinds.push('boolean');
    if (rest.length > 0) kinds.unshift({ lit: rest });
    return kinds.length === 1 ? kinds[0] : { union: kinds };
  }

  objectKind(type) {
    const c = this.checker;
    if (c.isArrayType(type)) return { array: this.kindOf(c.getTypeArguments(type)[0]) };
    if (c.isTupleType(type)) {
      const elements = c.getTypeArguments(type);
      return { array: elements.length === 0 ? 'unknown' : this.unionKind(elements, false) };
    }
    const props = c.getPropertiesOfType(type);
    if (type.getConstructSignatures().length > 0) return 'function';
    if (props.length === 0 && type.getCallSignatures().length > 0) return 'function';
    const symbol = type.getSymbol();
    if (symbol && symbol.flags & ts.SymbolFlags.Class) {
      const nominal = props.some((p) => {
        const decl = p.valueDeclaration ?? p.declarations?.[0];
        return (decl && isHidden(decl)) || p.name.startsWith('#') || p.name.startsWith('__#');
      });
      return nominal ? { instance: symbol.name } : 'object';
    }
    const index = c.getIndexInfosOfType(type).find((i) => i.keyType.flags & ts.TypeFlags.String);
    if (props.length === 0) return index ? { record: this.kindOf(index.type) } : 'object';
    const external = props.some((p) => !(p.declarations ?? []).every(inSrc));
    if (external) return 'object';
    return { shape: this.shape(type, props, index) };
  }

  /** Registers the shape of an object type from src/ and returns its name. */
  shape(type, props, index) {
    const known = this.names.get(type);
    if (known) return known;
    const base = this.typeName(type);
    let name = base;
    for (let i = 2; this.shapes.has(name); i++) name = `${base}#${i}`;
    this.names.set(type, name);
    this.shapes.set(name, null); // reserved while the members are described (recursive types)
    const symbol = type.aliasSymbol ?? type.getSymbol();
    const methodDecl = (p) =>
      (p.declarations ?? []).some((d) => ts.isMethodSignature(d) || ts.isMethodDeclaration(d));
    let descriptor;
    if (props.some(methodDecl) || (symbol && this.contracts.has(symbol))) {
      descriptor = {
        contract: props
          .filter((p) => methodDecl(p) && !(p.flags & ts.SymbolFlags.Optional))
          .map((p) => p.name)
          .sort(),
      };
    } else {
      const members = {};
      const required = [];
      for (const p of [...props].sort((a, b) => a.name.localeCompare(b.name))) {
        const t = this.checker.getTypeOfSymbol(p);
        members[p.name] = this.kindOf(t, true);
        const optional = p.flags & ts.SymbolFlags.Optional || this.allowsUndefined(t);
        if (!optional) required.push(p.name);
      }
      descriptor = { props: members, required };
      if (index) descriptor.index = this.kindOf(index.type);
    }
    // Two distinct types with the same name and the same description are one shape.
    const same = [...this.shapes.entries()].find(
      ([n, d]) =>
        n !== name && n.replace(/#\d+$/, '') === base && JSON.stringify(d) === JSON.stringify(descriptor),
    );
    if (same) {
      this.shapes.delete(name);
      this.names.set(type, same[0]);
      return same[0];
    }
    this.shapes.set(name, descriptor);
    return name;
  }

  allowsUndefined(type) {
    const F = ts.TypeFlags;
    if (type.flags & (F.Any | F.Unknown | F.Undefined | F.Void)) return true;
    return (type.flags & F.Union) !== 0 && type.types.some((t) => t.flags & (F.Undefined | F.Void));
  }

  /**
   * Every constructor, static method, instance method, function and method of an exported object
   * that takes a `props` or `options` parameter typed with a props/options shape.
   */
  entryPoints() {
    const c = this.checker;
    const index = this.program.getSourceFile(path.join(root, 'src', 'index.ts'));
    const entries = [];
    const consider = (owner, member, call, decl, signatures) => {
      for (const sig of signatures) {
        const params = sig.getParameters();
        params.forEach((p, i) => {
          if (!PROPS_PARAMS.includes(p.name)) return;
          const kind = this.kindOf(c.getTypeOfSymbolAtLocation(p, decl), true);
          if (typeof kind !== 'object' || !('shape' in kind)) return;
          if ('contract' in this.shapes.get(kind.shape)) return;
          const pd = p.valueDeclaration;
          const optional = !!pd && ts.isParameter(pd) && (pd.questionToken || pd.initializer) ? true : false;
          entries.push({
            owner,
            member,
            call,
            params: params.map((q) => q.name),
            index: i,
            shape: kind.shape,
            optional,
          });
        });
      }
    };
    const exports = c.getExportsOfModule(c.getSymbolAtLocation(index));
    for (const exp of [...exports].sort((a, b) => a.name.localeCompare(b.name))) {
      const symbol = exp.flags & ts.SymbolFlags.Alias ? c.getAliasedSymbol(exp) : exp;
      const decl = symbol.valueDeclaration;
      if (!decl || !inSrc(decl)) continue;
      if (ts.isClassDeclaration(decl)) {
        const ctorType = c.getTypeOfSymbolAtLocation(symbol, decl);
        const ctor = decl.members.find(ts.isConstructorDeclaration);
        if (!(ctor && isHidden(ctor))) {
          consider(exp.name, 'new', `new ${exp.name}`, decl, ctorType.getConstructSignatures());
        }
        for (const m of decl.members) {
          if (!ts.isMethodDeclaration(m) || isHidden(m) || !m.name || !ts.isIdentifier(m.name)) continue;
          if (m.name.text.startsWith('_')) continue;
          const isStatic = (ts.getCombinedModifierFlags(m) & ts.ModifierFlags.Static) !== 0;
          const sym = c.getSymbolAtLocation(m.name);
          const sigs = c.getTypeOfSymbolAtLocation(sym, m).getCallSignatures();
          const call = `${exp.name}${isStatic ? '.' : '#'}${m.name.text}`;
          consider(exp.name, isStatic ? 'static' : 'method', call, m, sigs);
        }
      } else if (ts.isFunctionDeclaration(decl)) {
        consider(
          exp.name,
          'function',
          exp.name,
          decl,
          c.getTypeOfSymbolAtLocation(symbol, decl).getCallSignatures(),
        );
      } else if (
        ts.isVariableDeclaration(decl) &&
        decl.initializer &&
        ts.isObjectLiteralExpression(decl.initializer)
      ) {
        for (const m of decl.initializer.properties) {
          if (!ts.isMethodDeclaration(m) || !ts.isIdentifier(m.name)) continue;
          const sym = c.getSymbolAtLocation(m.name);
          const sigs = c.getTypeOfSymbolAtLocation(sym, m).getCallSignatures();
          consider(exp.name, 'object', `${exp.name}.${m.name.text}`, m, sigs);
        }
      }
      // `X.provider()` factories: examples for the contract they return.
      if (ts.isClassDeclaration(decl)) {
        for (const m of decl.members) {
          if (
            !ts.isMethodDeclaration(m) ||
            isHidden(m) ||
            !ts.isIdentifier(m.name) ||
            m.name.text !== 'provider'
          )
            continue;
          const sig = c.getSignatureFromDeclaration(m);
          const kind = this.kindOf(sig.getReturnType());
          if (typeof kind !== 'object' || !('shape' in kind)) continue;
          const needsArgs = m.parameters.some((p) => !p.questionToken && !p.initializer);
          const list = this.examples.get(kind.shape) ?? [];
          list.push(`${exp.name}.provider(${needsArgs ? '{...}' : ''})`);
          this.examples.set(kind.shape, list);
        }
      }
    }
    return entries;
  }

  /** Shapes reachable from the entry points (and the contracts factories return), sorted. */
  reachable(entries) {
    const seen = new Set();
    const walk = (kind) => {
      if (typeof kind !== 'object') return;
      if ('shape' in kind) {
        if (seen.has(kind.shape)) return;
        seen.add(kind.shape);
        const d = this.shapes.get(kind.shape);
        if (d.props) Object.values(d.props).forEach(walk);
        if (d.index) walk(d.index);
      } else if ('array' in kind) walk(kind.array);
      else if ('record' in kind) walk(kind.record);
      else if ('union' in kind) kind.union.forEach(walk);
    };
    for (const e of entries) walk({ shape: e.shape });
    return [...seen].sort().map((name) => {
      const d = this.shapes.get(name);
      const examples = this.examples.get(name);
      return [name, examples ? { ...d, examples: [...examples].sort() } : d];
    });
  }
}

/** The generated files' text, from `program` (default: one over tsconfig.json). */
function generate(program = createProgram()) {
  // No type check here: the generated file itself may be stale (`npm run typecheck` checks types).
  const g = new Generator(program);
  const entries = g.entryPoints();
  const shapes = g.reachable(entries);
  const header = (what) =>
    `// Generated by scripts/props-shapes.js (npm run props-shapes) from the TypeScript declarations of\n` +
    `// the public API: ${what}. Do not edit.\n`;
  const names = shapes.map(([n]) => JSON.stringify(n)).join(' | ');
  const shapesFile =
    header('the shape of every props/options type, for checkProps (./props-check.ts)') +
    `import type { PropsShape } from './props-check';\n\n` +
    `/** The props/options types checkProps knows. */\n` +
    `export type PropsShapeName = ${names};\n\n` +
    `/** Keys and kinds of every props/options type, and of the types they use. */\n` +
    `export const PROPS_SHAPES: Readonly<Record<PropsShapeName, PropsShape>> = ${JSON.stringify(Object.fromEntries(shapes))};\n`;
  const entriesFile =
    header('every constructor, method and function with a props or options parameter') +
    `import type { PropsShapeName } from '../../src/core/props-shapes.generated';\n\n` +
    `/** One public constructor, method or function that takes props or options. */\n` +
    `export interface PropsEntryPoint {\n` +
    `  /** The export it belongs to. */\n  readonly owner: string;\n` +
    `  /** A constructor, a static or instance method, a function, or a method of an exported object. */\n` +
    `  readonly member: 'new' | 'static' | 'method' | 'function' | 'object';\n` +
    `  /** How it is called, e.g. \`new FloePlatform\`, \`Dagster.provider\`, \`FloeJobs#addPipeline\`, \`dbt.run\`. */\n` +
    `  readonly call: string;\n` +
    `  /** Its parameter names. */\n  readonly params: readonly string[];\n` +
    `  /** Which parameter holds the props or options. */\n  readonly index: number;\n` +
    `  /** Their type. */\n  readonly shape: PropsShapeName;\n` +
    `  /** Whether they may be left out. */\n  readonly optional: boolean;\n}\n\n` +
    `export const PROPS_ENTRY_POINTS: readonly PropsEntryPoint[] = ${JSON.stringify(entries)};\n`;
  return { shapesFile, entriesFile };
}

/**
 * Writes the generated files (or with `check` only lists the stale ones); returns the stale files.
 * scripts/typecheck.js calls it with its own program, so `npm test` checks them without a second
 * TypeScript program.
 */
async function writeOrCheck(check, program) {
  const { shapesFile, entriesFile } = generate(program);
  return [
    ...(await writeGenerated(
      root,
      path.join(root, 'src', 'core'),
      { 'props-shapes.generated.ts': shapesFile },
      check,
    )),
    ...(await writeGenerated(
      root,
      path.join(root, 'test', 'support'),
      { 'props-entry-points.generated.ts': entriesFile },
      check,
    )),
  ];
}

async function main() {
  const check = process.argv.includes('--check');
  const stale = await writeOrCheck(check);
  if (check && stale.length > 0) process.exitCode = 1;
}

module.exports = { writeOrCheck, generate };

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
