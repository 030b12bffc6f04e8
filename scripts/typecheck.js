#!/usr/bin/env node
// `npm run typecheck`: one TypeScript program over src/, test/ and bench/ (tsconfig.dev.json).
// Reports its type errors as tsc does (exit 1), and with the same program checks that the files
// generated from the declarations (scripts/props-shapes.js) are current: building that program is
// most of the cost of either check, so `npm test` builds it once.
'use strict';
const path = require('path');
const ts = require('typescript');
const { writeOrCheck } = require('./props-shapes');

const root = path.join(__dirname, '..');

function program() {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(root, 'tsconfig.dev.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (config.errors.length > 0) return { errors: config.errors };
  return { program: ts.createProgram({ rootNames: config.fileNames, options: config.options }) };
}

async function main() {
  const built = program();
  // Generated first: the order of literals in a union follows the order the checker created their
  // types, so the shapes must be read before a full check creates types in another order (this is
  // what `npm run props-shapes` sees too).
  const stale = built.program ? await writeOrCheck(true, built.program) : [];
  const diagnostics = built.errors ?? ts.getPreEmitDiagnostics(built.program);
  if (diagnostics.length > 0) {
    const host = {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => process.cwd(),
      getNewLine: () => '\n',
    };
    const format = process.stdout.isTTY ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics;
    process.stdout.write(format(diagnostics, host));
    process.stdout.write(`\nFound ${diagnostics.length} error${diagnostics.length === 1 ? '' : 's'}.\n`);
    process.exitCode = 1;
    return;
  }
  if (stale.length > 0) {
    console.error('typecheck: generated files are out of date: run `npm run props-shapes` and commit them');
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
