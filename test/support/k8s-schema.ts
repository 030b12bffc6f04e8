/**
 * Strict, offline structural validator for Kubernetes 1.28 manifests (test-only).
 *
 * There is no Kubernetes OpenAPI document available offline, but cdk8s-plus-28 ships
 * `lib/imports/k8s.d.ts` and `lib/imports/k8s.js`, which cdk8s generated from the official
 * Kubernetes 1.28 OpenAPI definitions. Together they carry the structural schema:
 *
 * - `k8s.d.ts` (parsed with the TypeScript compiler API): every `export interface X` lists its
 *   properties with their TypeScript names, whether they are optional (`?`) and their types
 *   (string, number, boolean, any, arrays, `{ [key: string]: T }` maps, `IntOrString`,
 *   `Quantity`, `Date`, enums and nested interfaces). Every `export declare class KubeX` with a
 *   `static readonly GVK` is a top-level kind; the parameter type of its `static manifest(props)`
 *   names the interface describing the object's fields other than apiVersion/kind.
 * - `k8s.js` (scanned with anchored regular expressions): every `function toJson_X(obj)` maps
 *   each TypeScript property name to its exact JSON field name (`'hostIPC': obj.hostIpc`,
 *   `'$ref': obj.ref`, `'x-kubernetes-list-type': obj.xKubernetesListType`, ...) and shows how
 *   the value is serialised. That serialisation shape is cross-checked against the d.ts type of
 *   the same property, and `KubeX.GVK = { apiVersion, kind }` gives the GVK of every class.
 *
 * Anything in either file that does not fit the expected shapes makes the build throw, so an
 * upgrade of cdk8s-plus that changes the generated code is noticed instead of silently
 * weakening the checks.
 *
 * The generated file holds exactly the group/versions served by the 1.28 API server, including
 * alpha/beta versions that need a feature gate or runtime-config there (for example
 * admissionregistration.k8s.io/v1alpha1, resource.k8s.io/v1alpha2, networking.k8s.io/v1alpha1,
 * flowcontrol.apiserver.k8s.io/v1beta2, which is still served by 1.28 and removed in 1.29).
 * Versions removed before 1.28 (apps/v1beta1, extensions/v1beta1, policy/v1beta1,
 * batch/v1beta1, autoscaling/v2beta2, ...) are absent and therefore rejected.
 * `*List` kinds are deliberately not accepted as manifests. Request/subresource kinds that the
 * generated file also carries (v1 Status, autoscaling/v1 Scale, policy/v1 Eviction, v1 Binding,
 * TokenRequest, TokenReview, *SubjectAccessReview, SelfSubjectReview) are accepted.
 *
 * Semantics (mirroring the API server's strict field validation on decode):
 * - unknown fields are errors at every depth; map types accept any key;
 * - required properties (per the OpenAPI `required` lists, i.e. non-optional in the d.ts) must
 *   be present and not null; an optional field set to `null` counts as unset, as in Kubernetes;
 * - `null` is rejected as a list item or map value;
 * - primitive types are checked; `number` accepts a finite number (integers only, see below);
 *   IntOrString accepts a string or an integer; Quantity accepts a
 *   number or a string in Kubernetes quantity syntax; Date (metav1.Time/MicroTime) must be an
 *   RFC 3339 string; the single generated string enum is enforced;
 * - `any` typed fields (RawExtension, JSON, FieldsV1, JSONSchemaProps' `default`, `items`...)
 *   accept anything.
 * - the rules of k8s-field-rules.ts, which the generated types do not carry: enum values,
 *   integers in int32/int64 fields, port and count ranges, percentages and port names in
 *   int-or-string fields, and unique keys of list-map lists (containers, ports, env, mounts,
 *   volumes, Service ports), each cited to the 1.28 sources.
 * Not checked: other string formats and patterns (object names, label syntax), enums and ranges
 * of fields the tables do not list, oneOf/union members, defaults, other cross-field validation,
 * and the top-level `status` stanza (its types are not generated, so `status` is reported as an
 * unknown field).
 *
 * Custom resources: a kind defined by a CRD file in the repository's `crds/` directory
 * (ServiceMonitor, PrometheusRule) is checked against that CRD's openAPIV3Schema, as the API
 * server would with strict field validation: unknown fields are errors (the files hold only the
 * fields the library writes, so a field outside that subset is rejected too), required fields,
 * types, enums, patterns and minLength are enforced, `x-kubernetes-int-or-string` accepts an
 * integer or a string, and `metadata` is checked as a Kubernetes ObjectMeta. A schema keyword the
 * checker does not know makes it throw, so a CRD it cannot check fully is noticed.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type * as TS from 'typescript';
import { parseAllDocuments } from 'yaml';
import {
  DOUBLE_FIELDS,
  ENUM_FIELDS,
  isPortName,
  LIST_KEY_DEFAULTS,
  LIST_MAP_KEYS,
  NAMED_PORT_FIELDS,
  PERCENT_FIELDS,
  PORT_NAME_FIELDS,
  RANGE_FIELDS,
  ruleFieldNames,
  UNIQUE_NAME_LISTS,
} from './k8s-field-rules';

export interface SchemaError {
  path: string;
  message: string;
}

type FieldType =
  | { readonly kind: 'string' }
  | { readonly kind: 'number' }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'any' }
  | { readonly kind: 'int-or-string' }
  | { readonly kind: 'quantity' }
  | { readonly kind: 'date' }
  | { readonly kind: 'enum'; readonly name: string; readonly values: readonly string[] }
  | { readonly kind: 'array'; readonly items: FieldType }
  | { readonly kind: 'map'; readonly values: FieldType }
  | { readonly kind: 'object'; readonly name: string };

interface FieldSchema {
  readonly jsonName: string;
  readonly tsName: string;
  readonly required: boolean;
  readonly type: FieldType;
}

interface ObjectSchema {
  readonly name: string;
  /** keyed by JSON field name */
  readonly fields: ReadonlyMap<string, FieldSchema>;
  /** true for `Kube*Props` interfaces, which may carry apiVersion/kind when embedded (e.g. volumeClaimTemplates) */
  readonly isResource: boolean;
}

interface KindSchema {
  readonly apiVersion: string;
  readonly kind: string;
  readonly className: string;
  readonly propsType: string;
}

interface Schema {
  readonly objects: ReadonlyMap<string, ObjectSchema>;
  /** keyed by `${apiVersion}\n${kind}`; *List kinds excluded */
  readonly kinds: ReadonlyMap<string, KindSchema>;
  readonly versionsByKind: ReadonlyMap<string, readonly string[]>;
  readonly buildMillis: number;
}

// ---------------------------------------------------------------------------------------------
// Schema construction
// ---------------------------------------------------------------------------------------------

let cachedSchema: Schema | undefined;

function getSchema(): Schema {
  if (cachedSchema === undefined) {
    cachedSchema = loadOrBuildSchema();
  }
  return cachedSchema;
}

/**
 * The schema from the on-disk cache when one was built from the same inputs (the generated k8s
 * files, this file and the rule table, hashed), else built and cached. Parsing k8s.d.ts with the
 * TypeScript compiler costs about half a second of CPU, once per test file; a cache hit reads a
 * JSON file. The cache lives in node_modules/.cache/, which a fresh clone starts without.
 */
function loadOrBuildSchema(): Schema {
  const dir = importsDir();
  const hash = createHash('sha256');
  for (const file of [
    path.join(dir, 'k8s.d.ts'),
    path.join(dir, 'k8s.js'),
    __filename,
    path.join(__dirname, 'k8s-field-rules.ts'),
  ]) {
    hash.update(fs.readFileSync(file));
  }
  const cacheFile = path.join(
    __dirname,
    '..',
    '..',
    'node_modules',
    '.cache',
    'floe-cdk8s',
    `k8s-schema-${hash.digest('hex').slice(0, 32)}.json`,
  );
  try {
    return deserializeSchema(fs.readFileSync(cacheFile, 'utf8'));
  } catch {
    // no cache yet (or unreadable): build it
  }
  const schema = buildSchema();
  try {
    fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
    // Written under a temporary name and renamed: parallel test workers never read half a file.
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, serializeSchema(schema));
    fs.renameSync(tmp, cacheFile);
  } catch {
    // a read-only node_modules only costs the rebuild next time
  }
  return schema;
}

function serializeSchema(schema: Schema): string {
  return JSON.stringify({
    objects: [...schema.objects.values()].map((o) => ({
      name: o.name,
      isResource: o.isResource,
      fields: [...o.fields.values()],
    })),
    kinds: [...schema.kinds.entries()],
    versionsByKind: [...schema.versionsByKind.entries()],
    buildMillis: schema.buildMillis,
  });
}

function deserializeSchema(text: string): Schema {
  const data = JSON.parse(text) as {
    objects: { name: string; isResource: boolean; fields: FieldSchema[] }[];
    kinds: [string, KindSchema][];
    versionsByKind: [string, string[]][];
    buildMillis: number;
  };
  return {
    objects: new Map(
      data.objects.map((o) => [
        o.name,
        { name: o.name, isResource: o.isResource, fields: new Map(o.fields.map((f) => [f.jsonName, f])) },
      ]),
    ),
    kinds: new Map(data.kinds),
    versionsByKind: new Map(data.versionsByKind),
    buildMillis: data.buildMillis,
  };
}

function importsDir(): string {
  const pkgJson = require.resolve('cdk8s-plus-28/package.json');
  return path.join(path.dirname(pkgJson), 'lib', 'imports');
}

interface DtsProperty {
  readonly tsName: string;
  readonly optional: boolean;
  readonly typeNode: TS.TypeNode;
}

interface DtsModel {
  readonly interfaces: Map<string, DtsProperty[]>;
  readonly enums: Map<string, string[]>;
  /** class name -> props interface name, for classes with a static GVK */
  readonly resourceClasses: Map<string, string>;
  readonly sourceFile: TS.SourceFile;
}

let compiler: typeof TS | undefined;

/**
 * The TypeScript compiler, loaded on first use: only building the schema (a cache miss) parses
 * k8s.d.ts, and loading the compiler costs about 0.3 s of CPU in every test file that imports this
 * module.
 */
function typescript(): typeof TS {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  compiler ??= require('typescript') as typeof TS;
  return compiler;
}

function schemaError(message: string): Error {
  return new Error(`k8s-schema: cannot derive schema from cdk8s-plus-28 imports: ${message}`);
}

function propertyNameText(name: TS.PropertyName): string {
  const ts = typescript();
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) {
    return name.text;
  }
  throw schemaError(`unsupported property name kind ${ts.SyntaxKind[name.kind]}`);
}

function isStatic(node: TS.ClassElement): boolean {
  const ts = typescript();
  const modifiers = ts.canHaveModifiers(node) ? ts.getModifiers(node) : undefined;
  return modifiers?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword) ?? false;
}

function parseDts(text: string): DtsModel {
  const ts = typescript();
  const sourceFile = ts.createSourceFile('k8s.d.ts', text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const interfaces = new Map<string, DtsProperty[]>();
  const enums = new Map<string, string[]>();
  const resourceClasses = new Map<string, string>();

  for (const statement of sourceFile.statements) {
    if (ts.isInterfaceDeclaration(statement)) {
      const name = statement.name.text;
      if (statement.heritageClauses !== undefined && statement.heritageClauses.length > 0) {
        throw schemaError(`interface ${name} extends another type`);
      }
      if (statement.typeParameters !== undefined) {
        throw schemaError(`interface ${name} is generic`);
      }
      const props: DtsProperty[] = [];
      for (const member of statement.members) {
        if (!ts.isPropertySignature(member) || member.type === undefined) {
          throw schemaError(`interface ${name} has a non-property member`);
        }
        props.push({
          tsName: propertyNameText(member.name),
          optional: member.questionToken !== undefined,
          typeNode: member.type,
        });
      }
      interfaces.set(name, props);
    } else if (ts.isEnumDeclaration(statement)) {
      const values = statement.members.map((member) => {
        if (member.initializer === undefined || !ts.isStringLiteral(member.initializer)) {
          throw schemaError(`enum ${statement.name.text} has a non-string member`);
        }
        return member.initializer.text;
      });
      enums.set(statement.name.text, values);
    } else if (ts.isClassDeclaration(statement) && statement.name !== undefined) {
      const className = statement.name.text;
      const hasGvk = statement.members.some(
        (m) =>
          ts.isPropertyDeclaration(m) &&
          isStatic(m) &&
          m.name !== undefined &&
          propertyNameText(m.name) === 'GVK',
      );
      if (!hasGvk) {
        continue;
      }
      const manifest = statement.members.find(
        (m): m is TS.MethodDeclaration =>
          ts.isMethodDeclaration(m) && isStatic(m) && propertyNameText(m.name) === 'manifest',
      );
      const paramType = manifest?.parameters[0]?.type;
      if (
        paramType === undefined ||
        !ts.isTypeReferenceNode(paramType) ||
        !ts.isIdentifier(paramType.typeName)
      ) {
        throw schemaError(`class ${className} has no static manifest(props: XProps)`);
      }
      resourceClasses.set(className, paramType.typeName.text);
    }
  }
  return { interfaces, enums, resourceClasses, sourceFile };
}

const PRIMITIVE_STRING: FieldType = { kind: 'string' };
const PRIMITIVE_NUMBER: FieldType = { kind: 'number' };
const PRIMITIVE_BOOLEAN: FieldType = { kind: 'boolean' };
const ANY_VALUE: FieldType = { kind: 'any' };

function resolveType(node: TS.TypeNode, model: DtsModel, where: string): FieldType {
  const ts = typescript();
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword:
      return PRIMITIVE_STRING;
    case ts.SyntaxKind.NumberKeyword:
      return PRIMITIVE_NUMBER;
    case ts.SyntaxKind.BooleanKeyword:
      return PRIMITIVE_BOOLEAN;
    case ts.SyntaxKind.AnyKeyword:
    case ts.SyntaxKind.UnknownKeyword:
      return ANY_VALUE;
    default:
      break;
  }
  if (ts.isArrayTypeNode(node)) {
    return { kind: 'array', items: resolveType(node.elementType, model, where) };
  }
  if (ts.isTypeLiteralNode(node)) {
    const [member] = node.members;
    if (
      node.members.length === 1 &&
      member !== undefined &&
      ts.isIndexSignatureDeclaration(member) &&
      member.parameters.length === 1 &&
      member.parameters[0]?.type?.kind === ts.SyntaxKind.StringKeyword
    ) {
      return { kind: 'map', values: resolveType(member.type, model, where) };
    }
    throw schemaError(`${where}: unsupported type literal ${node.getText(model.sourceFile)}`);
  }
  if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName) && node.typeArguments === undefined) {
    const name = node.typeName.text;
    if (name === 'IntOrString') {
      return { kind: 'int-or-string' };
    }
    if (name === 'Quantity') {
      return { kind: 'quantity' };
    }
    if (name === 'Date') {
      return { kind: 'date' };
    }
    const enumValues = model.enums.get(name);
    if (enumValues !== undefined) {
      return { kind: 'enum', name, values: enumValues };
    }
    if (model.interfaces.has(name)) {
      return { kind: 'object', name };
    }
    throw schemaError(`${where}: reference to unknown type ${name}`);
  }
  throw schemaError(`${where}: unsupported type ${node.getText(model.sourceFile)}`);
}

/** How k8s.js serialises one property; compared with the shape implied by the d.ts type. */
function expectedJsShape(type: FieldType): string {
  switch (type.kind) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'any':
    case 'enum':
      return 'plain';
    case 'int-or-string':
    case 'quantity':
      return 'value';
    case 'date':
      return 'date';
    case 'object':
      return `object:${type.name}`;
    case 'array':
      if (type.items.kind === 'object') {
        return `array-object:${type.items.name}`;
      }
      if (type.items.kind === 'array' || type.items.kind === 'map') {
        return 'unsupported';
      }
      return type.items.kind === 'int-or-string' || type.items.kind === 'quantity'
        ? 'unsupported'
        : 'array-plain';
    case 'map':
      switch (type.values.kind) {
        case 'object':
          return `map-object:${type.values.name}`;
        case 'quantity':
        case 'int-or-string':
          return 'map-value';
        case 'array':
          return type.values.items.kind === 'object' ? 'unsupported' : 'map-array-plain';
        case 'map':
        case 'date':
          return 'unsupported';
        default:
          return 'map-plain';
      }
  }
}

interface JsProperty {
  readonly jsonName: string;
  readonly tsName: string;
  readonly shape: string;
}

const JS_FUNCTION_RE = /^function toJson_(\w+)\(obj\) \{\n([\s\S]*?)\n\}$/gm;
const JS_RESULT_RE = /\n {4}const result = \{\n([\s\S]*?)\n {4}\};\n/;
const JS_LINE_RE = /^ {8}'([^']+)': (.+),$/;
const JS_MAP_RE =
  /^\(\(obj\.(\w+)\) === undefined\) \? undefined : \(Object\.entries\(obj\.(\w+)\)\.reduce\(\(r, i\) => \(i\[1\] === undefined\) \? r : \(\{ \.\.\.r, \[i\[0\]\]: (.+) \}\), \{\}\)\)$/;

function classifyJsExpression(expr: string, where: string): { tsName: string; shape: string } {
  let m: RegExpExecArray | null;
  if ((m = /^obj\.(\w+)$/.exec(expr)) !== null) {
    return { tsName: m[1] ?? '', shape: 'plain' };
  }
  if ((m = /^toJson_(\w+)\(obj\.(\w+)\)$/.exec(expr)) !== null) {
    return { tsName: m[2] ?? '', shape: `object:${m[1] ?? ''}` };
  }
  if ((m = /^obj\.(\w+)\?\.map\(y => toJson_(\w+)\(y\)\)$/.exec(expr)) !== null) {
    return { tsName: m[1] ?? '', shape: `array-object:${m[2] ?? ''}` };
  }
  if ((m = /^obj\.(\w+)\?\.map\(y => y\)$/.exec(expr)) !== null) {
    return { tsName: m[1] ?? '', shape: 'array-plain' };
  }
  if ((m = /^obj\.(\w+)\?\.value$/.exec(expr)) !== null) {
    return { tsName: m[1] ?? '', shape: 'value' };
  }
  if ((m = /^obj\.(\w+)\?\.toISOString\(\)$/.exec(expr)) !== null) {
    return { tsName: m[1] ?? '', shape: 'date' };
  }
  if ((m = JS_MAP_RE.exec(expr)) !== null && m[1] === m[2]) {
    const tsName = m[1] ?? '';
    const inner = m[3] ?? '';
    if (inner === 'i[1]') {
      return { tsName, shape: 'map-plain' };
    }
    if (inner === 'i[1]?.value') {
      return { tsName, shape: 'map-value' };
    }
    if (inner === 'i[1]?.map(y => y)') {
      return { tsName, shape: 'map-array-plain' };
    }
    const obj = /^toJson_(\w+)\(i\[1\]\)$/.exec(inner);
    if (obj !== null) {
      return { tsName, shape: `map-object:${obj[1] ?? ''}` };
    }
  }
  throw schemaError(`${where}: unrecognised serialisation expression: ${expr}`);
}

function parseJs(text: string): {
  functions: Map<string, JsProperty[]>;
  gvks: Map<string, [string, string]>;
} {
  const normalised = text.replace(/\r\n/g, '\n');
  const functions = new Map<string, JsProperty[]>();
  for (const fn of normalised.matchAll(JS_FUNCTION_RE)) {
    const name = fn[1] ?? '';
    const body = fn[2] ?? '';
    const result = JS_RESULT_RE.exec(body);
    if (result === null) {
      throw schemaError(`toJson_${name}: no result object literal`);
    }
    const props: JsProperty[] = [];
    for (const line of (result[1] ?? '').split('\n')) {
      const lm = JS_LINE_RE.exec(line);
      if (lm === null) {
        throw schemaError(`toJson_${name}: unrecognised line: ${line}`);
      }
      const jsonName = lm[1] ?? '';
      const { tsName, shape } = classifyJsExpression(lm[2] ?? '', `toJson_${name}.${jsonName}`);
      props.push({ jsonName, tsName, shape });
    }
    functions.set(name, props);
  }
  const gvks = new Map<string, [string, string]>();
  const gvkRe = /^(\w+)\.GVK = \{\n\s+apiVersion: '([^']+)',\n\s+kind: '([^']+)',\n\};$/gm;
  for (const g of normalised.matchAll(gvkRe)) {
    gvks.set(g[1] ?? '', [g[2] ?? '', g[3] ?? '']);
  }
  return { functions, gvks };
}

function buildSchema(): Schema {
  const started = process.hrtime.bigint();
  const dir = importsDir();
  const model = parseDts(fs.readFileSync(path.join(dir, 'k8s.d.ts'), 'utf8'));
  const js = parseJs(fs.readFileSync(path.join(dir, 'k8s.js'), 'utf8'));

  const resourcePropsTypes = new Set(model.resourceClasses.values());
  const objects = new Map<string, ObjectSchema>();
  for (const [name, dtsProps] of model.interfaces) {
    const jsProps = js.functions.get(name);
    if (jsProps === undefined) {
      throw schemaError(`interface ${name} has no toJson_${name} in k8s.js`);
    }
    if (jsProps.length !== dtsProps.length) {
      throw schemaError(
        `${name}: d.ts has ${dtsProps.length} properties, k8s.js serialises ${jsProps.length}`,
      );
    }
    const byTsName = new Map(jsProps.map((p) => [p.tsName, p]));
    const fields = new Map<string, FieldSchema>();
    for (const prop of dtsProps) {
      const where = `${name}.${prop.tsName}`;
      const jsProp = byTsName.get(prop.tsName);
      if (jsProp === undefined) {
        throw schemaError(`${where} is not serialised by toJson_${name}`);
      }
      const type = resolveType(prop.typeNode, model, where);
      const expected = expectedJsShape(type);
      if (expected !== jsProp.shape) {
        throw schemaError(
          `${where}: d.ts type implies ${expected} but k8s.js serialises it as ${jsProp.shape}`,
        );
      }
      if (fields.has(jsProp.jsonName)) {
        throw schemaError(`${name}: duplicate JSON field ${jsProp.jsonName}`);
      }
      fields.set(jsProp.jsonName, {
        jsonName: jsProp.jsonName,
        tsName: prop.tsName,
        required: !prop.optional,
        type,
      });
    }
    objects.set(name, { name, fields, isResource: resourcePropsTypes.has(name) });
  }
  for (const name of js.functions.keys()) {
    if (!model.interfaces.has(name)) {
      throw schemaError(`toJson_${name} in k8s.js has no interface in k8s.d.ts`);
    }
  }

  const kinds = new Map<string, KindSchema>();
  const versionsByKind = new Map<string, string[]>();
  for (const [className, propsType] of model.resourceClasses) {
    const gvk = js.gvks.get(className);
    if (gvk === undefined) {
      throw schemaError(`class ${className} has no GVK assignment in k8s.js`);
    }
    const propsSchema = objects.get(propsType);
    if (propsSchema === undefined) {
      throw schemaError(`class ${className}: props interface ${propsType} not found`);
    }
    const [apiVersion, kind] = gvk;
    if (propsSchema.fields.has('apiVersion') || propsSchema.fields.has('kind')) {
      throw schemaError(`${propsType} unexpectedly declares apiVersion/kind`);
    }
    // *List kinds are collections returned by the API, not manifests: deliberately not accepted.
    if (kind.endsWith('List') && propsSchema.fields.has('items')) {
      continue;
    }
    const key = kindKey(apiVersion, kind);
    if (kinds.has(key)) {
      throw schemaError(`duplicate GVK ${apiVersion} ${kind}`);
    }
    kinds.set(key, { apiVersion, kind, className, propsType });
    const versions = versionsByKind.get(kind) ?? [];
    versions.push(apiVersion);
    versionsByKind.set(kind, versions);
  }
  if (js.gvks.size !== model.resourceClasses.size) {
    throw schemaError(
      `k8s.js has ${js.gvks.size} GVKs but k8s.d.ts has ${model.resourceClasses.size} kind classes`,
    );
  }
  if (kinds.size === 0 || objects.size === 0) {
    throw schemaError('no kinds found');
  }
  for (const rule of ruleFieldNames()) {
    const [typeName, field] = rule.split('.');
    if (objects.get(typeName)?.fields.get(field) === undefined) {
      throw schemaError(`k8s-field-rules.ts names ${rule}, which the generated schema does not have`);
    }
  }
  const buildMillis = Number(process.hrtime.bigint() - started) / 1e6;
  return { objects, kinds, versionsByKind, buildMillis };
}

function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion}\n${kind}`;
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

type JsonObject = { readonly [key: string]: unknown };

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'array';
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      return `non-finite number ${String(value)}`;
    }
    return Number.isInteger(value) ? 'integer' : 'number';
  }
  return typeof value;
}

const IDENTIFIER_RE = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function joinKey(base: string, key: string): string {
  if (IDENTIFIER_RE.test(key)) {
    return base === '' ? key : `${base}.${key}`;
  }
  return `${base}[${JSON.stringify(key)}]`;
}

// Kubernetes resource.Quantity syntax: <signedNumber><suffix>, suffix is a binary SI suffix,
// a decimal SI suffix or a decimal exponent.
const QUANTITY_RE =
  /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$/;
// metav1.Time / metav1.MicroTime: RFC 3339.
const RFC3339_RE = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(up + 1, (prev[j - 1] ?? 0) + 1, diag + cost);
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

function suggest(unknown: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = candidate.toLowerCase() === unknown.toLowerCase() ? 0 : editDistance(unknown, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.min(2, Math.floor(unknown.length / 3)) ? best : undefined;
}

class Validator {
  readonly errors: SchemaError[] = [];

  constructor(private readonly schema: Schema) {}

  private report(at: string, message: string): void {
    this.errors.push({ path: at, message });
  }

  validateValue(value: unknown, type: FieldType, at: string): void {
    switch (type.kind) {
      case 'any':
        return;
      case 'string':
        if (typeof value !== 'string') {
          this.report(at, `expected string, got ${describe(value)}`);
        }
        return;
      case 'number':
        if (typeof value !== 'number' || !Number.isFinite(value)) {
          this.report(at, `expected number, got ${describe(value)}`);
        }
        return;
      case 'boolean':
        if (typeof value !== 'boolean') {
          this.report(at, `expected boolean, got ${describe(value)}`);
        }
        return;
      case 'int-or-string':
        if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) {
          this.report(at, `expected integer or string (IntOrString), got ${describe(value)}`);
        }
        return;
      case 'quantity':
        if (typeof value === 'number') {
          if (!Number.isFinite(value)) {
            this.report(at, `expected quantity, got ${describe(value)}`);
          }
        } else if (typeof value === 'string') {
          if (!QUANTITY_RE.test(value)) {
            this.report(at, `invalid quantity ${JSON.stringify(value)}`);
          }
        } else {
          this.report(at, `expected quantity (string or number), got ${describe(value)}`);
        }
        return;
      case 'date':
        if (typeof value !== 'string') {
          this.report(at, `expected RFC 3339 timestamp string, got ${describe(value)}`);
        } else if (!RFC3339_RE.test(value)) {
          this.report(at, `invalid RFC 3339 timestamp ${JSON.stringify(value)}`);
        }
        return;
      case 'enum':
        if (typeof value !== 'string' || !type.values.includes(value)) {
          this.report(at, `expected one of ${type.values.map((v) => JSON.stringify(v)).join(', ')}`);
        }
        return;
      case 'array':
        if (!Array.isArray(value)) {
          this.report(at, `expected array, got ${describe(value)}`);
          return;
        }
        value.forEach((item: unknown, index) => {
          const itemPath = `${at}[${index}]`;
          if (item === null || item === undefined) {
            this.report(itemPath, `list item must not be ${item === null ? 'null' : 'undefined'}`);
          } else {
            this.validateValue(item, type.items, itemPath);
          }
        });
        return;
      case 'map':
        if (!isPlainObject(value)) {
          this.report(at, `expected object (map), got ${describe(value)}`);
          return;
        }
        for (const [key, item] of Object.entries(value)) {
          const itemPath = joinKey(at, key);
          if (item === null) {
            this.report(itemPath, 'map value must not be null');
          } else if (item !== undefined) {
            this.validateValue(item, type.values, itemPath);
          }
        }
        return;
      case 'object':
        this.validateObjectType(value, type.name, at);
        return;
    }
  }

  /** The API server's rules for one field beyond its structural type (k8s-field-rules.ts). */
  private applyFieldRules(field: string, type: FieldType, value: unknown, at: string): void {
    const report = (where: string, message: string): void => this.report(where, message);
    const enumValues = ENUM_FIELDS[field];
    if (enumValues !== undefined && typeof value === 'string' && !enumValues.includes(value)) {
      report(
        at,
        `unsupported value ${JSON.stringify(value)}: expected one of ${enumValues.map((v) => JSON.stringify(v)).join(', ')}`,
      );
    }
    const itemValues = ENUM_FIELDS[`${field}[]`];
    if (itemValues !== undefined && Array.isArray(value)) {
      value.forEach((item: unknown, i) => {
        if (typeof item === 'string' && !itemValues.includes(item)) {
          report(
            `${at}[${i}]`,
            `unsupported value ${JSON.stringify(item)}: expected one of ${itemValues.map((v) => JSON.stringify(v)).join(', ')}`,
          );
        }
      });
    }
    if (
      type.kind === 'number' &&
      typeof value === 'number' &&
      !Number.isInteger(value) &&
      !DOUBLE_FIELDS.has(field)
    ) {
      report(at, `expected an integer, got ${value}`);
    }
    const range = RANGE_FIELDS[field];
    if (
      range !== undefined &&
      typeof value === 'number' &&
      Number.isInteger(value) &&
      (value < range[0] || value > range[1])
    ) {
      report(at, `${value} is out of range: must be between ${range[0]} and ${range[1]}, inclusive`);
    }
    if (typeof value === 'string' && PERCENT_FIELDS.has(field) && !/^[0-9]+%$/.test(value)) {
      report(
        at,
        `invalid value ${JSON.stringify(value)}: a string must be a percentage, a whole number followed by '%'`,
      );
    }
    if (
      typeof value === 'string' &&
      (PORT_NAME_FIELDS.has(field) || NAMED_PORT_FIELDS.has(field)) &&
      !isPortName(value)
    ) {
      report(
        at,
        `invalid port name ${JSON.stringify(value)}: at most 15 lowercase letters, digits and '-', with at least one letter`,
      );
    }
    const keys = LIST_MAP_KEYS[field];
    if (Array.isArray(value) && (keys !== undefined || UNIQUE_NAME_LISTS.has(field))) {
      const seenKeys = new Map<string, number>();
      const seenNames = new Map<string, number>();
      value.forEach((item: unknown, i) => {
        if (!isPlainObject(item)) return;
        if (keys !== undefined) {
          const id = JSON.stringify(keys.map((k) => item[k] ?? LIST_KEY_DEFAULTS[k] ?? null));
          const first = seenKeys.get(id);
          if (first !== undefined) {
            report(
              `${at}[${i}]`,
              `duplicate entry: same ${keys.join(' and ')} as ${at}[${first}] (${keys.map((k) => `${k}=${JSON.stringify(item[k] ?? LIST_KEY_DEFAULTS[k] ?? null)}`).join(', ')})`,
            );
          } else {
            seenKeys.set(id, i);
          }
        }
        if (UNIQUE_NAME_LISTS.has(field) && typeof item.name === 'string') {
          const first = seenNames.get(item.name);
          if (first !== undefined) {
            report(`${at}[${i}].name`, `duplicate name ${JSON.stringify(item.name)}: also ${at}[${first}]`);
          } else {
            seenNames.set(item.name, i);
          }
        }
      });
    }
  }

  /**
   * Validates an object of generated interface `typeName`.
   * @param topLevel true for the manifest itself, whose apiVersion/kind the caller has checked
   */
  validateObjectType(value: unknown, typeName: string, at: string, topLevel = false): void {
    const schema = this.schema.objects.get(typeName);
    if (schema === undefined) {
      throw new Error(`k8s-schema: internal error, unknown type ${typeName}`);
    }
    if (!isPlainObject(value)) {
      this.report(at, `expected object (${typeName}), got ${describe(value)}`);
      return;
    }
    for (const [key, fieldValue] of Object.entries(value)) {
      const fieldPath = joinKey(at, key);
      const field = schema.fields.get(key);
      if (field === undefined) {
        if (schema.isResource && (key === 'apiVersion' || key === 'kind')) {
          // Checked by the caller at the top level; an embedded resource (e.g. a
          // volumeClaimTemplates item) may state them too, as free-form strings.
          if (!topLevel && fieldValue !== null && fieldValue !== undefined) {
            this.validateValue(fieldValue, PRIMITIVE_STRING, fieldPath);
          }
          continue;
        }
        this.report(fieldPath, unknownFieldMessage(key, schema));
        continue;
      }
      if (fieldValue === null || fieldValue === undefined) {
        // JSON null means "unset" to the API server; a missing required field is reported below.
        continue;
      }
      this.validateValue(fieldValue, field.type, fieldPath);
      this.applyFieldRules(`${typeName}.${key}`, field.type, fieldValue, fieldPath);
    }
    if (typeName === 'PodSpec') {
      // Container names are unique across containers and initContainers (validateInitContainers).
      const names = new Map<string, string>();
      for (const list of ['initContainers', 'containers']) {
        const items = value[list];
        if (!Array.isArray(items)) continue;
        items.forEach((c: unknown, i) => {
          if (!isPlainObject(c) || typeof c.name !== 'string') return;
          const first = names.get(c.name);
          if (first !== undefined && !first.startsWith(`${joinKey(at, list)}[`)) {
            this.report(
              `${joinKey(at, list)}[${i}].name`,
              `duplicate container name ${JSON.stringify(c.name)}: also ${first}`,
            );
          }
          if (first === undefined) names.set(c.name, `${joinKey(at, list)}[${i}]`);
        });
      }
    }
    for (const field of schema.fields.values()) {
      const fieldValue = value[field.jsonName];
      if (field.required && (fieldValue === undefined || fieldValue === null)) {
        this.report(joinKey(at, field.jsonName), `missing required field ${JSON.stringify(field.jsonName)}`);
      }
    }
  }
}

function unknownFieldMessage(key: string, schema: ObjectSchema): string {
  let message = `unknown field ${JSON.stringify(key)}`;
  if (key === 'status' && schema.isResource) {
    return `${message} (status types are not part of the generated schema; manifests should not set status)`;
  }
  const hint = suggest(key, schema.fields.keys());
  if (hint !== undefined) {
    message += ` (did you mean ${JSON.stringify(hint)}?)`;
  }
  return message;
}

/** Validates one manifest object against the Kubernetes 1.28 structural schema. */
export function validateObject(obj: unknown): SchemaError[] {
  const schema = getSchema();
  const validator = new Validator(schema);
  if (!isPlainObject(obj)) {
    return [{ path: '', message: `manifest must be an object, got ${describe(obj)}` }];
  }
  const { apiVersion, kind } = obj;
  const errors: SchemaError[] = [];
  if (typeof apiVersion !== 'string' || apiVersion === '') {
    errors.push({ path: 'apiVersion', message: `expected non-empty string, got ${describe(apiVersion)}` });
  }
  if (typeof kind !== 'string' || kind === '') {
    errors.push({ path: 'kind', message: `expected non-empty string, got ${describe(kind)}` });
  }
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || errors.length > 0) {
    return errors;
  }
  const kindSchema = schema.kinds.get(kindKey(apiVersion, kind));
  const customResource = customResourceKinds().get(kindKey(apiVersion, kind));
  if (kindSchema === undefined && customResource !== undefined) {
    validateCustomResource(validator, obj, customResource.schema);
    return validator.errors;
  }
  if (kindSchema === undefined) {
    const served = schema.versionsByKind.get(kind);
    const hint =
      served === undefined
        ? 'not a Kubernetes 1.28 built-in kind'
        : `Kubernetes 1.28 serves ${kind} as ${served.join(', ')}`;
    return [{ path: 'kind', message: `unknown kind ${JSON.stringify(`${apiVersion}/${kind}`)} (${hint})` }];
  }
  validator.validateObjectType(obj, kindSchema.propsType, '', true);
  return validator.errors;
}

// ---------------------------------------------------------------------------------------------
// Custom resources (CRD files in crds/)
// ---------------------------------------------------------------------------------------------

/** The structural OpenAPI v3 schema keywords a CRD of crds/ may use (descriptions are ignored). */
interface CrdSchema {
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  readonly properties?: Readonly<Record<string, CrdSchema>>;
  readonly additionalProperties?: CrdSchema;
  readonly items?: CrdSchema;
  readonly required?: readonly string[];
  readonly enum?: readonly unknown[];
  readonly pattern?: string;
  readonly minLength?: number;
  readonly anyOf?: readonly CrdSchema[];
  readonly 'x-kubernetes-int-or-string'?: boolean;
  readonly description?: string;
}

const CRD_SCHEMA_KEYWORDS = new Set([
  'type',
  'properties',
  'additionalProperties',
  'items',
  'required',
  'enum',
  'pattern',
  'minLength',
  'anyOf',
  'x-kubernetes-int-or-string',
  'description',
]);

interface CustomResourceKind {
  readonly apiVersion: string;
  readonly kind: string;
  readonly schema: CrdSchema;
}

let cachedCustomResources: ReadonlyMap<string, CustomResourceKind> | undefined;

/** The custom resource kinds of the CRD files in crds/, keyed like the built-in kinds. */
function customResourceKinds(): ReadonlyMap<string, CustomResourceKind> {
  if (cachedCustomResources !== undefined) {
    return cachedCustomResources;
  }
  const dir = path.join(__dirname, '..', '..', 'crds');
  const kinds = new Map<string, CustomResourceKind>();
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')) : [];
  for (const file of files.sort()) {
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8'))) {
      const crd: unknown = doc.toJS();
      if (!isPlainObject(crd) || crd.kind !== 'CustomResourceDefinition' || !isPlainObject(crd.spec)) {
        throw new Error(`k8s-schema: crds/${file} holds something other than a CustomResourceDefinition`);
      }
      const { group, names, versions } = crd.spec;
      if (typeof group !== 'string' || !isPlainObject(names) || typeof names.kind !== 'string') {
        throw new Error(`k8s-schema: crds/${file}: no spec.group or spec.names.kind`);
      }
      for (const version of Array.isArray(versions) ? versions : []) {
        const schema: unknown =
          isPlainObject(version) && isPlainObject(version.schema)
            ? version.schema.openAPIV3Schema
            : undefined;
        if (!isPlainObject(version) || typeof version.name !== 'string' || !isPlainObject(schema)) {
          throw new Error(`k8s-schema: crds/${file}: a version without name or openAPIV3Schema`);
        }
        checkCrdSchema(schema, `crds/${file} ${version.name}`);
        const apiVersion = `${group}/${version.name}`;
        kinds.set(kindKey(apiVersion, names.kind), {
          apiVersion,
          kind: names.kind,
          schema: schema as CrdSchema,
        });
      }
    }
  }
  cachedCustomResources = kinds;
  return kinds;
}

/** Throws on a schema keyword the checker does not implement, so nothing is silently unchecked. */
function checkCrdSchema(schema: JsonObject, where: string): void {
  for (const key of Object.keys(schema)) {
    if (!CRD_SCHEMA_KEYWORDS.has(key)) {
      throw new Error(`k8s-schema: ${where}: schema keyword ${key} is not supported by the checker`);
    }
  }
  if (schema.anyOf !== undefined && schema['x-kubernetes-int-or-string'] !== true) {
    throw new Error(`k8s-schema: ${where}: anyOf is supported only with x-kubernetes-int-or-string`);
  }
  const nested = [
    ...Object.entries(isPlainObject(schema.properties) ? schema.properties : {}).map(
      ([name, s]) => [`${where}.${name}`, s] as const,
    ),
    ...(schema.items !== undefined ? [[`${where}[]`, schema.items] as const] : []),
    ...(schema.additionalProperties !== undefined
      ? [[`${where}{}`, schema.additionalProperties] as const]
      : []),
  ];
  for (const [at, s] of nested) {
    if (!isPlainObject(s)) {
      throw new Error(`k8s-schema: ${at}: not a schema object`);
    }
    checkCrdSchema(s, at);
  }
}

function validateCustomResource(validator: Validator, obj: JsonObject, schema: CrdSchema): void {
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'metadata' && value !== null && value !== undefined) {
      // The API server checks the metadata of every object as an ObjectMeta.
      validator.validateObjectType(value, 'ObjectMeta', 'metadata');
    }
  }
  validateCrdValue(validator, obj, schema, '', true);
}

function validateCrdValue(
  validator: Validator,
  value: unknown,
  schema: CrdSchema,
  at: string,
  topLevel = false,
): void {
  const report = (message: string): void => {
    validator.errors.push({ path: at, message });
  };
  if (schema['x-kubernetes-int-or-string'] === true) {
    if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) {
      report(`expected integer or string (IntOrString), got ${describe(value)}`);
    }
    return;
  }
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') {
        report(`expected string, got ${describe(value)}`);
        return;
      }
      if (schema.minLength !== undefined && value.length < schema.minLength) {
        report(`shorter than minLength ${schema.minLength}`);
      }
      if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
        report(`${JSON.stringify(value)} does not match pattern ${schema.pattern}`);
      }
      break;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        report(`expected integer, got ${describe(value)}`);
      }
      break;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        report(`expected number, got ${describe(value)}`);
      }
      break;
    case 'boolean':
      if (typeof value !== 'boolean') {
        report(`expected boolean, got ${describe(value)}`);
      }
      break;
    case 'array':
      if (!Array.isArray(value)) {
        report(`expected array, got ${describe(value)}`);
        return;
      }
      value.forEach((item: unknown, index) => {
        if (item === null || item === undefined) {
          validator.errors.push({ path: `${at}[${index}]`, message: 'list item must not be null' });
        } else if (schema.items !== undefined) {
          validateCrdValue(validator, item, schema.items, `${at}[${index}]`);
        }
      });
      break;
    case 'object': {
      if (!isPlainObject(value)) {
        report(`expected object, got ${describe(value)}`);
        return;
      }
      const properties = schema.properties ?? {};
      for (const [key, fieldValue] of Object.entries(value)) {
        const fieldPath = joinKey(at, key);
        if (fieldValue === null || fieldValue === undefined) {
          continue;
        }
        if (topLevel && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) {
          // Checked by the caller.
          continue;
        }
        const fieldSchema = properties[key] ?? schema.additionalProperties;
        if (fieldSchema === undefined) {
          let message = `unknown field ${JSON.stringify(key)}`;
          const hint = suggest(key, Object.keys(properties));
          if (hint !== undefined) {
            message += ` (did you mean ${JSON.stringify(hint)}?)`;
          }
          validator.errors.push({ path: fieldPath, message });
          continue;
        }
        validateCrdValue(validator, fieldValue, fieldSchema, fieldPath);
      }
      for (const name of schema.required ?? []) {
        if (value[name] === undefined || value[name] === null) {
          validator.errors.push({
            path: joinKey(at, name),
            message: `missing required field ${JSON.stringify(name)}`,
          });
        }
      }
      break;
    }
    default:
      throw new Error(`k8s-schema: ${at || '(root)'}: CRD schema without a supported type`);
  }
  if (schema.enum !== undefined && !schema.enum.includes(value)) {
    report(`expected one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  }
}

/** The custom resource kinds checked against a CRD of crds/ (for tests and diagnostics). */
export function customResourceKindNames(): Array<{ apiVersion: string; kind: string }> {
  return [...customResourceKinds().values()].map(({ apiVersion, kind }) => ({ apiVersion, kind }));
}

function manifestLabel(obj: unknown): string {
  if (!isPlainObject(obj)) {
    return '<not an object>';
  }
  const kind = typeof obj.kind === 'string' && obj.kind !== '' ? obj.kind : '<no kind>';
  const metadata = obj.metadata;
  const name =
    isPlainObject(metadata) && typeof metadata.name === 'string' && metadata.name !== ''
      ? metadata.name
      : '<no name>';
  return `${kind}/${name}`;
}

/** Validates manifests; returns one "Kind/name: path: message" line per error, [] if all are valid. */
export function validateObjects(objs: unknown[]): string[] {
  const lines: string[] = [];
  for (const obj of objs) {
    const label = manifestLabel(obj);
    for (const error of validateObject(obj)) {
      lines.push(`${label}: ${error.path === '' ? '(root)' : error.path}: ${error.message}`);
    }
  }
  return lines;
}

/** True when apiVersion/kind is a (non-List) kind served by Kubernetes 1.28. */
export function isKnownKind(apiVersion: string, kind: string): boolean {
  return getSchema().kinds.has(kindKey(apiVersion, kind));
}

/** Facts about the derived schema (for tests and diagnostics). */
export function schemaSummary(): {
  kinds: Array<{ apiVersion: string; kind: string }>;
  typeCount: number;
  buildMillis: number;
} {
  const schema = getSchema();
  return {
    kinds: [...schema.kinds.values()].map(({ apiVersion, kind }) => ({ apiVersion, kind })),
    typeCount: schema.objects.size,
    buildMillis: schema.buildMillis,
  };
}
