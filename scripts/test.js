#!/usr/bin/env node
// `npm test`: the type check (scripts/typecheck.js) and the jest suite, run side by side. Most
// jest suites wait on child processes part of the time, so the type check fills those gaps; run one
// after the other they took half as long again. Jest's output streams as usual; the type check's
// output is printed when both are done. Exit status: 0 only when both passed. Extra arguments go to
// jest (`npm test -- test/cli-synth.test.ts`); with any, the type check is skipped.
'use strict';
const { spawn } = require('child_process');
const path = require('path');

const root = path.join(__dirname, '..');
const jestArgs = process.argv.slice(2);

function run(args, capture) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    let output = '';
    if (capture) {
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
    }
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

async function main() {
  const typecheck = jestArgs.length > 0 ? undefined : run([path.join(__dirname, 'typecheck.js')], true);
  const jest = run([require.resolve('jest/bin/jest', { paths: [root] }), ...jestArgs], false);
  const [types, tests] = await Promise.all([typecheck, jest]);
  if (types !== undefined) {
    process.stdout.write(types.output);
    process.stdout.write(types.code === 0 ? 'typecheck: passed\n' : 'typecheck: FAILED\n');
  }
  process.exitCode = (types?.code ?? 0) !== 0 || tests.code !== 0 ? 1 : 0;
}

main();
