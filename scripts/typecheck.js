#!/usr/bin/env node
// `npm run typecheck`: one TypeScript program over src/, test/ and bench/ (tsconfig.dev.json).
// Reports its type errors as tsc does (exit 1), and with the same program checks that the files
// generated from the declarations (scripts/props-shapes.js) are current: building that program is
// most of the cost of either check, so `npm test` builds it once.
//
// The check is incremental, as `tsc --incremental` is: TypeScript keeps each file's diagnostics and
// what its declarations look like to other files in a build-info file (node_modules/.cache/, which
// a fresh clone starts without), and the next run checks again only the files that changed and
// those that a change can affect; the others' diagnostics, errors included, come from the
// build-info file. Every file is still parsed, and the generated files are still compared. With
// nothing changed this is about 8 s of CPU instead of 17.
'use strict';
const fs = require('fs');
const path = require('path');
const ts = require('typescript');
const { writeOrCheck } = require('./props-shapes');

const root = path.join(__dirname, '..');
const buildInfoFile = path.join(root, 'node_modules', '.cache', 'floe-typecheck', 'tsconfig.dev.tsbuildinfo');

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
  const options = { ...config.options, incremental: true, tsBuildInfoFile: buildInfoFile };
  return { builder: ts.createIncrementalProgram({ rootNames: config.fileNames, options }) };
}

/** Writes the build-info file for the next run (under a temporary name, then renamed). */
function saveBuildInfo(builder) {
  try {
    builder.emit(undefined, (file, text) => {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, text);
      fs.renameSync(tmp, file);
    });
  } catch {
    // a read-only node_modules only costs a full check next time
  }
}

async function main() {
  const built = program();
  // Generated first: the order of literals in a union follows the order the checker created their
  // types, so the shapes must be read before a full check creates types in another order (this is
  // what `npm run props-shapes` sees too).
  const stale = built.builder ? await writeOrCheck(true, built.builder.getProgram()) : [];
  const diagnostics = built.errors ?? ts.getPreEmitDiagnostics(built.builder);
  if (built.builder) saveBuildInfo(built.builder);
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
