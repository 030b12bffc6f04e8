#!/usr/bin/env node
// Writes schemas/*.json from the zod schemas in src/manifest/schema.ts, formatted by prettier.
// `node scripts/schemas.js --check` writes nothing and exits 1 when a file is out of date.
'use strict';
const fs = require('fs');
const path = require('path');
const prettier = require('prettier');

const root = path.join(__dirname, '..');
require('ts-node').register({ transpileOnly: true, project: path.join(root, 'tsconfig.json') });
const { jsonSchemaFiles } = require(path.join(root, 'src', 'manifest', 'json-schema.ts'));

async function main() {
  const check = process.argv.includes('--check');
  const dir = path.join(root, 'schemas');
  const stale = [];
  for (const [name, text] of Object.entries(jsonSchemaFiles())) {
    const file = path.join(dir, name);
    const options = (await prettier.resolveConfig(file)) || {};
    const formatted = await prettier.format(text, { ...options, filepath: file });
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    if (current === formatted) continue;
    stale.push(path.relative(root, file));
    if (!check) {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(file, formatted);
    }
  }
  for (const file of stale) console.log(`${check ? 'out of date' : 'wrote'} ${file}`);
  if (check && stale.length > 0) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
