#!/usr/bin/env node
// Runs SQL on a fresh in-memory PostgreSQL (PGlite: PostgreSQL compiled to WebAssembly) for tests.
// PGlite loads itself with dynamic import(), which jest's VM lacks, so tests spawn this script:
// stdin is a JSON list of steps, `{ "exec": "SQL" }` (statements, no result) or
// `{ "query": "SQL", "params": [...] }` (one statement); stdout is a JSON list with, per step,
// null or `{ "fields": [names], "rows": [objects] }`. Exits 1 on the first failing step.
//
// A new PGlite runs initdb, most of the cost of a run (about 6 s of CPU of 8). The data directory
// of a database just initialized, before any step ran, is therefore kept in node_modules/.cache/
// (keyed by the PGlite version and this file) and later runs start from a copy of it: the same
// fresh cluster, without initdb. A fresh clone starts without it.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { PGlite } = require('@electric-sql/pglite');

function cacheFile() {
  // The package's own package.json (its "exports" do not list it): above its entry point.
  let dir = path.dirname(require.resolve('@electric-sql/pglite'));
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  const pglite = path.join(dir, 'package.json');
  const key = crypto
    .createHash('sha256')
    .update(fs.readFileSync(pglite))
    .update(fs.readFileSync(__filename))
    .digest('hex')
    .slice(0, 32);
  return path.join(__dirname, '..', '..', 'node_modules', '.cache', 'floe-pglite', `initdb-${key}.tar`);
}

/** A fresh database: from the cached data directory of a new cluster, else a new one (then cached). */
async function freshDatabase() {
  const file = cacheFile();
  let data;
  try {
    data = fs.readFileSync(file);
  } catch {
    // not cached yet
  }
  if (data !== undefined) return new PGlite({ loadDataDir: new Blob([data]) });
  const db = new PGlite();
  await db.waitReady;
  try {
    const dump = Buffer.from(await (await db.dumpDataDir('none')).arrayBuffer());
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Written under a temporary name and renamed: a concurrent run never reads half a file.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, dump);
    fs.renameSync(tmp, file);
  } catch {
    // a read-only node_modules only costs initdb next time
  }
  return db;
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const steps = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const db = await freshDatabase();
  const results = [];
  try {
    for (const step of steps) {
      if (step.exec !== undefined) {
        await db.exec(step.exec);
        results.push(null);
      } else {
        const result = await db.query(step.query, step.params ?? []);
        results.push({ fields: result.fields.map((f) => f.name), rows: result.rows });
      }
    }
  } finally {
    await db.close();
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
