#!/usr/bin/env node
// Writes schemas/*.json from the zod schemas in src/manifest/schema.ts, formatted by prettier.
// `node scripts/schemas.js --check` writes nothing and exits 1 when a file is out of date.
// src/ is loaded through the transpile cache of scripts/cdk8s-app.js (as bin/floe in a checkout):
// with the cache warm, the TypeScript compiler is not loaded at all.
'use strict';
const path = require('path');
const { writeGenerated } = require('./generated-files');

const root = path.join(__dirname, '..');
require('./cdk8s-app').register();
const { jsonSchemaFiles } = require(path.join(root, 'src', 'manifest', 'json-schema.ts'));

async function main() {
  const check = process.argv.includes('--check');
  const stale = await writeGenerated(root, path.join(root, 'schemas'), jsonSchemaFiles(), check);
  if (check && stale.length > 0) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
