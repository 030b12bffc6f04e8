#!/usr/bin/env node
// The app command of cdk8s.yaml: `node scripts/cdk8s-app.js src/main.ts` runs a TypeScript app the
// way `ts-node --transpile-only` does (no type-check; `npm test` and `npm run build` type-check),
// but keeps each file's JavaScript in node_modules/.cache/floe-cdk8s-app/, keyed by a hash of the
// file's text, tsconfig.json, the TypeScript version and this script. A synth with nothing changed
// therefore never loads the TypeScript compiler (most of the cost of `npx ts-node`, see
// bench/README.md); an edited file is transpiled again on its next run, so the cache cannot run
// stale code. A fresh clone (`npm ci`) starts with an empty cache.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const Module = require('module');
const path = require('path');

const root = path.join(__dirname, '..');
const cacheDir = path.join(root, 'node_modules', '.cache', 'floe-cdk8s-app');
const tsconfigFile = path.join(root, 'tsconfig.json');

/** What every cached file depends on besides its own text. */
function baseKey() {
  const hash = crypto.createHash('sha256');
  hash.update(fs.readFileSync(__filename));
  hash.update(fs.readFileSync(tsconfigFile));
  hash.update(fs.readFileSync(require.resolve('typescript/package.json', { paths: [root] })));
  return hash.digest('hex');
}

let typescript;
let compilerOptions;

/** Transpiles one file as `ts-node --transpile-only` would, with an inline source map (lines only). */
function transpile(source, file) {
  if (!typescript) {
    typescript = require(require.resolve('typescript', { paths: [root] }));
    const { config, error } = typescript.readConfigFile(tsconfigFile, typescript.sys.readFile);
    if (error) {
      throw new Error(typescript.flattenDiagnosticMessageText(error.messageText, '\n'));
    }
    const { options } = typescript.parseJsonConfigFileContent(config, typescript.sys, root);
    // Options about the output tree (rootDir, outDir, ...) do not apply to one file in memory.
    for (const option of [
      'rootDir',
      'outDir',
      'declarationDir',
      'composite',
      'incremental',
      'tsBuildInfoFile',
    ]) {
      delete options[option];
    }
    compilerOptions = {
      ...options,
      declaration: false,
      noEmit: false,
      sourceMap: false,
      inlineSourceMap: true,
    };
  }
  const result = typescript.transpileModule(source, {
    compilerOptions,
    fileName: file,
    reportDiagnostics: true,
  });
  // Syntax errors only, as with ts-node --transpile-only: type errors are for `npm test`.
  const syntax = (result.diagnostics || []).filter(
    (d) => d.file && d.category === typescript.DiagnosticCategory.Error,
  );
  if (syntax.length > 0) {
    const host = {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => process.cwd(),
      getNewLine: () => '\n',
    };
    process.stderr.write(typescript.formatDiagnostics(syntax, host));
    process.exit(1);
  }
  return result.outputText;
}

/** The JavaScript of `file`: from the cache when its key matches, else transpiled and cached. */
function javascriptOf(file, base) {
  const source = fs.readFileSync(file, 'utf8');
  const key = crypto.createHash('sha256').update(base).update(file).update(source).digest('hex');
  const header = `//floe-cdk8s-app ${key}\n`;
  const cached = path.join(cacheDir, `${path.relative(root, file)}.js`.replace(/^(\.\.[/\\])+/, 'outside/'));
  try {
    const text = fs.readFileSync(cached, 'utf8');
    if (text.startsWith(header)) {
      return text.slice(header.length);
    }
  } catch {
    // not cached yet
  }
  const output = transpile(source, file);
  try {
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    const temp = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(temp, header + output);
    fs.renameSync(temp, cached);
  } catch {
    // a read-only node_modules only costs speed
  }
  return output;
}

/** Makes `require` of a `.ts` file use the cache (also used by bin/floe in a checkout). */
function register() {
  const base = baseKey();
  process.setSourceMapsEnabled(true);
  Module._extensions['.ts'] = (module, filename) => {
    module._compile(javascriptOf(filename, base), filename);
  };
}

function main() {
  const entry = process.argv[2];
  if (!entry) {
    process.stderr.write('Usage: node scripts/cdk8s-app.js APP.ts [ARGS...]\n');
    process.exit(2);
  }
  register();
  const file = path.resolve(entry);
  process.argv.splice(1, 2, file);
  Module.runMain(file);
}

/**
 * Transpiles every `.ts` file under `dir` into the cache now (those already cached are skipped), so
 * that processes started later, several at once, all find it warm (the test suite does this once
 * before its workers start bin/floe).
 */
function warm(dir) {
  const base = baseKey();
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const file = path.join(d, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) javascriptOf(file, base);
    }
  };
  walk(dir);
}

if (require.main === module) {
  main();
}

module.exports = { register, warm };
