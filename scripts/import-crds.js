#!/usr/bin/env node
// Generates src/imports/*.ts, the typed cdk8s classes of the custom resources the library writes,
// from the CRD files in crds/: offline, with the cdk8s CLI's `import` of local files, formatted by
// prettier. `node scripts/import-crds.js --check` writes nothing and exits 1 when a generated file
// is out of date (a test runs it). The CRDs of one API group are imported together, into one file
// named after the group, as `cdk8s import` names it.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { writeGenerated } = require('./generated-files');

const root = path.join(__dirname, '..');
const crdDir = path.join(root, 'crds');
const outDir = path.join(root, 'src', 'imports');
const cli = path.join(path.dirname(require.resolve('cdk8s-cli/package.json')), 'bin', 'cdk8s');

/** Runs `cdk8s import` on all CRDs of crds/ (one multi-document file) and returns the files it writes. */
function generate() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-import-crds-'));
  try {
    const crds = fs
      .readdirSync(crdDir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => fs.readFileSync(path.join(crdDir, f), 'utf8'));
    const input = path.join(work, 'crds.yaml');
    fs.writeFileSync(input, crds.join('\n---\n'));
    const result = spawnSync(
      process.execPath,
      [cli, 'import', '--no-check-upgrade', '--language', 'typescript', '--output', 'out', input],
      { cwd: work, encoding: 'utf8' },
    );
    if (result.status !== 0) {
      throw new Error(`cdk8s import failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
    }
    const out = path.join(work, 'out');
    return Object.fromEntries(
      fs
        .readdirSync(out)
        .sort()
        .map((f) => [f, fs.readFileSync(path.join(out, f), 'utf8')]),
    );
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function main() {
  const check = process.argv.includes('--check');
  const generated = generate();
  const stale = await writeGenerated(root, outDir, generated, check);
  const extra = fs.existsSync(outDir)
    ? fs.readdirSync(outDir).filter((f) => f.endsWith('.ts') && !(f in generated))
    : [];
  for (const file of extra) console.log(`not generated from crds/: src/imports/${file}`);
  if (check && (stale.length > 0 || extra.length > 0)) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
