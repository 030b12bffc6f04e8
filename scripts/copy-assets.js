#!/usr/bin/env node
// Copies the files the constructs read at synth time (src/**/*.py: the Dagster daemon's leader
// election script) next to the compiled modules, so lib/ works like src/. Part of `npm run build`.
// `node scripts/copy-assets.js [OUTDIR]` (default lib/) prints each file it copied.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const src = path.join(root, 'src');
const out = path.resolve(root, process.argv[2] || 'lib');

function assets(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return assets(file);
    return entry.name.endsWith('.py') ? [file] : [];
  });
}

for (const file of assets(src)) {
  const target = path.join(out, path.relative(src, file));
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(file, target);
  console.log(`copied ${path.relative(root, target)}`);
}
