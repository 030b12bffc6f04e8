#!/usr/bin/env node
// Runs SQL on a fresh in-memory PostgreSQL (PGlite: PostgreSQL compiled to WebAssembly) for tests.
// PGlite loads itself with dynamic import(), which jest's VM lacks, so tests spawn this script:
// stdin is a JSON list of steps, `{ "exec": "SQL" }` (statements, no result) or
// `{ "query": "SQL", "params": [...] }` (one statement); stdout is a JSON list with, per step,
// null or `{ "fields": [names], "rows": [objects] }`. Exits 1 on the first failing step.
'use strict';
const { PGlite } = require('@electric-sql/pglite');

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const steps = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const db = new PGlite();
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
