#!/usr/bin/env node
// `npm run bench`: wall time and peak memory of whole synth processes, as users run them.
//
//   node bench/run.js [--runs N] [--rss time|proc] [--floe FILE] [--no-write]
//
// --runs N sets the runs of the small rows (default 7; the big inputs run at most 5 or 3 times),
// --rss forces the peak-memory method, --floe times another `floe` executable (default bin/floe),
// --no-write leaves bench/results.md alone.
//
// Every row is a child process started from here; its wall time is measured from spawn to exit.
// All rows run once as a warm-up (not counted; a row whose warm-up exits non-zero is reported as
// "not available", e.g. `floe synth` before it exists), then round by round, each round running
// every row once in table order, so that slow drift of a shared machine hits all rows alike. Each
// figure is also given as a ratio to the floor (a one-Deployment cdk8s app, bench/floor/) of the
// same run. Peak RSS comes from GNU time (`/usr/bin/time -f %M`) when it is installed, else from
// polling /proc (see bench/README.md). The table is printed and written to bench/results.md.
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { generateMesh, generateProducts } = require('./generate-manifests');

const root = path.join(__dirname, '..');

function parseArgs(argv) {
  const args = { runs: 7, rss: undefined, floe: path.join(root, 'bin', 'floe'), write: true };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') args.runs = Number(argv[++i]);
    else if (argv[i] === '--rss') args.rss = argv[++i];
    else if (argv[i] === '--floe') args.floe = path.resolve(argv[++i]);
    else if (argv[i] === '--no-write') args.write = false;
    else
      throw new Error(
        `unknown argument '${argv[i]}' (usage: node bench/run.js [--runs N] [--rss time|proc] [--floe FILE] [--no-write])`,
      );
  }
  if (!Number.isInteger(args.runs) || args.runs < 1) throw new Error('--runs must be a positive integer');
  if (args.rss !== undefined && !['time', 'proc'].includes(args.rss))
    throw new Error("--rss is 'time' or 'proc'");
  return args;
}

// ---------------------------------------------------------------------------------------------
// Peak memory.
// ---------------------------------------------------------------------------------------------

/** True when /usr/bin/time is GNU time and can write `%M` to a file. */
function gnuTimeWorks(dir) {
  const file = path.join(dir, 'time-probe');
  const probe = spawnSync('/usr/bin/time', ['-f', '%M', '-o', file, 'true'], { stdio: 'ignore' });
  try {
    return probe.status === 0 && /^\d+\s*$/.test(fs.readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
}

/** Polls /proc every `interval` ms for the highest VmHWM of any process in the tree under `pid`. */
function procPeakWatcher(pid, interval = 50) {
  let peakKiB = 0;
  const poll = () => {
    const parents = new Map();
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      } catch {
        // exited meanwhile
      }
    }
    const tree = new Set([pid]);
    for (let grew = true; grew;) {
      grew = false;
      for (const [child, parent] of parents) {
        if (tree.has(parent) && !tree.has(child)) {
          tree.add(child);
          grew = true;
        }
      }
    }
    for (const p of tree) {
      try {
        const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
        if (match) peakKiB = Math.max(peakKiB, Number(match[1]));
      } catch {
        // exited meanwhile
      }
    }
  };
  poll();
  const timer = setInterval(poll, interval);
  return {
    stop() {
      clearInterval(timer);
      return peakKiB || undefined;
    },
  };
}

/** Runs one command; resolves to { ms, rssKiB, code, stderr }. */
function measure(command, args, cwd, rss, scratch) {
  return new Promise((resolve) => {
    const timeFile = path.join(scratch, 'time-output');
    const [file, argv] =
      rss === 'time' ? ['/usr/bin/time', ['-f', '%M', '-o', timeFile, command, ...args]] : [command, args];
    const start = process.hrtime.bigint();
    const child = spawn(file, argv, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    const watcher = rss === 'proc' ? procPeakWatcher(child.pid) : undefined;
    const stderr = [];
    child.stderr.on('data', (chunk) => stderr.push(chunk));
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      let rssKiB = watcher ? watcher.stop() : undefined;
      if (rss === 'time') {
        try {
          rssKiB = Number(/(\d+)\s*$/.exec(fs.readFileSync(timeFile, 'utf8'))[1]);
        } catch {
          rssKiB = undefined;
        }
      }
      resolve({ ms, rssKiB, code, stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Rows.
// ---------------------------------------------------------------------------------------------

function argMax() {
  const result = spawnSync('getconf', ['ARG_MAX'], { encoding: 'utf8' });
  const n = Number((result.stdout || '').trim());
  return Number.isFinite(n) && n > 0 ? n : 128 * 1024;
}

/** Bytes the kernel counts against ARG_MAX for this argv plus the environment. */
function commandLineBytes(argv) {
  const env = Object.entries(process.env).map(([k, v]) => `${k}=${v}`);
  return [...argv, ...env].reduce((sum, s) => sum + Buffer.byteLength(s) + 1 + 8, 0);
}

function defineRows(tmp, runs, floeBin) {
  const big = (n) => Math.min(runs, n);
  const out = (id) => path.join(tmp, 'out', id);
  const floe = (id, args) => ({
    command: process.execPath,
    args: [floeBin, 'synth', ...args, '--out', out(id)],
    cwd: root,
  });
  const rows = [
    {
      id: 'floor',
      label: 'floor: one Deployment, `npx cdk8s synth` (bench/floor)',
      runs,
      command: 'npx',
      args: ['cdk8s', 'synth', '--output', out('floor')],
      cwd: path.join(__dirname, 'floor'),
    },
    {
      id: 'example-app',
      label: 'example app (src/main.ts), `npx cdk8s synth`',
      runs,
      command: 'npx',
      args: ['cdk8s', 'synth', '--output', out('example-app')],
      cwd: root,
    },
    {
      id: 'floe-example',
      label: '`floe synth` examples/platform/platform-manifest.yaml',
      runs,
      ...floe('floe-example', [
        '--manifest',
        path.join(root, 'examples', 'platform', 'platform-manifest.yaml'),
      ]),
    },
  ];
  for (const [n, r] of [
    [1, runs],
    [10, runs],
    [100, big(5)],
    [1000, big(3)],
  ]) {
    const input = generateProducts(path.join(tmp, 'in', `products-${n}`), n);
    rows.push({
      id: `products-${n}`,
      series: 'products',
      size: n,
      label: `\`floe synth\` platform + ${n} data product${n === 1 ? '' : 's'} (4 steps each)`,
      runs: r,
      ...floe(`products-${n}`, [
        '--manifest',
        input.manifest,
        ...input.products.flatMap((f) => ['--product', f]),
      ]),
    });
  }
  for (const [n, r] of [
    [1, runs],
    [10, runs],
    [50, big(3)],
  ]) {
    const input = generateMesh(path.join(tmp, 'in', `mesh-${n}`), n);
    rows.push({
      id: `mesh-${n}`,
      series: 'mesh',
      size: n,
      label: `\`floe synth\` enterprise + ${n} domain${n === 1 ? '' : 's'} (2 products each)`,
      runs: r,
      ...floe(`mesh-${n}`, ['--manifest', input.manifest, ...input.domains.flatMap((f) => ['--domain', f])]),
    });
  }
  const limit = argMax();
  for (const row of rows) {
    row.argBytes = commandLineBytes([row.command, ...row.args]);
    if (row.argBytes > limit * 0.9) {
      row.unavailable = `command line of ${row.argBytes} bytes exceeds ARG_MAX ${limit}`;
    }
  }
  return { rows, argMax: limit };
}

// ---------------------------------------------------------------------------------------------
// Statistics and report.
// ---------------------------------------------------------------------------------------------

function quantile(sorted, q) {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function summarize(row) {
  const ms = row.results.map((r) => r.ms).sort((a, b) => a - b);
  const rss = row.results.map((r) => r.rssKiB).filter((x) => x !== undefined);
  return {
    median: quantile(ms, 0.5),
    min: ms[0],
    max: ms[ms.length - 1],
    q1: quantile(ms, 0.25),
    q3: quantile(ms, 0.75),
    rssMiB: rss.length ? Math.max(...rss) / 1024 : undefined,
  };
}

const s = (ms) => (ms / 1000).toFixed(2);
const mib = (x) => (x === undefined ? 'n/a' : `${Math.round(x)} MiB`);

function machine() {
  const cpus = os.cpus();
  const git = (args) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout.trim();
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) ? ' (with uncommitted changes)' : '';
  return [
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${cpus[0] ? cpus[0].model.trim() : 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}`,
    `- Node ${process.version}, npm ${spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout.trim()}`,
    `- Commit: ${git(['rev-parse', '--short', 'HEAD'])} on ${git(['rev-parse', '--abbrev-ref', 'HEAD'])}${dirty}`,
  ];
}

function report(rows, meta) {
  const floor = rows.find((r) => r.id === 'floor');
  const floorMedian = floor.stats ? floor.stats.median : undefined;
  const ratio = (row) => (row.stats && floorMedian ? row.stats.median / floorMedian : undefined);
  const lines = [
    '# Synth benchmark results',
    '',
    'Written by `npm run bench` (bench/run.js); bench/README.md says what is measured and how.',
    '',
    ...machine(),
    `- Runs: 1 warm-up, then the count per row below, interleaved round by round`,
    `- Peak RSS: ${meta.rssMethod}`,
    `- ARG_MAX: ${meta.argMax} bytes; the longest command line (${meta.longest.id}) is ${meta.longest.argBytes} bytes`,
    '',
    '| row | runs | median | spread (min-max) | IQR | ratio to floor | peak RSS |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of rows) {
    if (row.unavailable || row.error) {
      lines.push(`| ${row.label} | - | not available | | | | |`);
      continue;
    }
    const st = row.stats;
    const r = ratio(row);
    lines.push(
      `| ${row.label} | ${row.results.length} | ${s(st.median)} s | ${s(st.min)}-${s(st.max)} s | ${s(st.q1)}-${s(st.q3)} s | ${r === undefined ? 'n/a' : `${r.toFixed(2)}x`} | ${mib(st.rssMiB)} |`,
    );
  }
  const missing = rows.filter((r) => r.unavailable || r.error);
  if (missing.length) {
    lines.push('', 'Not available:', '');
    for (const row of missing) lines.push(`- ${row.id}: ${row.unavailable || row.error}`);
  }

  lines.push('', '## Growth of the scale series', '');
  lines.push('| series | step | input ratio | time ratio | ms per added item | doubling at most doubles |');
  lines.push('| --- | --- | ---: | ---: | ---: | --- |');
  const growth = [];
  for (const series of ['products', 'mesh']) {
    const steps = rows.filter((r) => r.series === series);
    for (let i = 1; i < steps.length; i++) {
      const [a, b] = [steps[i - 1], steps[i]];
      const inputRatio = b.size / a.size;
      if (!a.stats || !b.stats) {
        lines.push(`| ${series} | ${a.size} -> ${b.size} | ${inputRatio}x | not available | | n/a |`);
        growth.push(undefined);
        continue;
      }
      const timeRatio = b.stats.median / a.stats.median;
      const perItem = (b.stats.median - a.stats.median) / (b.size - a.size);
      const ok = timeRatio <= inputRatio;
      growth.push(ok);
      lines.push(
        `| ${series} | ${a.size} -> ${b.size} | ${inputRatio}x | ${timeRatio.toFixed(2)}x | ${perItem.toFixed(1)} | ${ok ? 'yes' : 'NO'} |`,
      );
    }
  }

  const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
  const verdict = (value, limit, unit = 'x') =>
    value === undefined ? 'n/a' : `${value <= limit ? 'PASS' : 'FAIL'} (${value.toFixed(2)}${unit})`;
  const p1000 = byId['products-1000'];
  lines.push('', '## Goals', '');
  lines.push('| goal | result |', '| --- | --- |');
  lines.push(
    `| example app (\`npx cdk8s synth\`) within 1.5x the floor | ${verdict(ratio(byId['example-app']), 1.5)} |`,
  );
  lines.push(
    `| \`floe synth\` of the example platform within 1.5x the floor | ${verdict(ratio(byId['floe-example']), 1.5)} |`,
  );
  lines.push(
    `| doubling the input at most doubles the time | ${growth.length && growth.every((g) => g !== undefined) ? (growth.every(Boolean) ? 'PASS' : 'FAIL') : 'n/a'} |`,
  );
  lines.push(`| 1000 products within 10x the floor | ${verdict(ratio(p1000), 10)} |`);
  lines.push(
    `| peak RSS of 1000 products under 1 GiB | ${verdict(p1000 && p1000.stats ? p1000.stats.rssMiB : undefined, 1024, ' MiB')} |`,
  );
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-bench-'));
  try {
    let rss = args.rss;
    if (rss === undefined)
      rss = gnuTimeWorks(tmp) ? 'time' : fs.existsSync('/proc/self/status') ? 'proc' : 'none';
    if (rss === 'time' && !gnuTimeWorks(tmp))
      throw new Error('--rss time: /usr/bin/time (GNU time) is not usable');
    const rssMethod = {
      time: 'GNU time `-f %M`: the largest single process of the tree (kernel ru_maxrss of the waited-for children)',
      proc: '/proc polling every 50 ms: the highest VmHWM of any process of the tree (may miss a process that lives under 50 ms)',
      none: 'not measured (neither /usr/bin/time nor /proc)',
    }[rss];

    const { rows, argMax: limit } = defineRows(tmp, args.runs, args.floe);
    const longest = rows.reduce((a, b) => (b.argBytes > a.argBytes ? b : a));
    console.log(`floe bench: ${rows.length} rows, temp dir ${tmp}, peak RSS via ${rss}`);
    console.log(`runs per row after 1 warm-up: ${rows.map((r) => `${r.id}=${r.runs}`).join(', ')}`);

    const runOnce = async (row) => {
      const result = await measure(row.command, row.args, row.cwd, rss, tmp);
      for (const dir of [path.join(tmp, 'out', row.id)]) fs.rmSync(dir, { recursive: true, force: true });
      return result;
    };
    const firstLine = (text) =>
      text
        .split('\n')
        .map((l) => l.trim())
        .find((l) => l && !/^-+$/.test(l)) || '(no output)';

    for (const row of rows.filter((r) => !r.unavailable)) {
      const warm = await runOnce(row);
      if (warm.code !== 0) {
        row.unavailable = `warm-up exited ${warm.code}: ${firstLine(warm.stderr)}`;
      }
      console.log(`  warm-up ${row.id}: ${row.unavailable ? row.unavailable : `${s(warm.ms)} s`}`);
      row.results = [];
    }
    const rounds = Math.max(...rows.map((r) => r.runs));
    for (let round = 1; round <= rounds; round++) {
      const line = [];
      for (const row of rows) {
        if (row.unavailable || row.error || round > row.runs) continue;
        const result = await runOnce(row);
        if (result.code !== 0) {
          row.error = `run ${round} exited ${result.code}: ${firstLine(result.stderr)}`;
          line.push(`${row.id} FAILED`);
          continue;
        }
        row.results.push(result);
        line.push(`${row.id} ${s(result.ms)}`);
      }
      console.log(`  round ${round}/${rounds}: ${line.join(', ')}`);
    }
    for (const row of rows) {
      if (!row.unavailable && !row.error && row.results.length) row.stats = summarize(row);
    }
    const text = report(rows, { rssMethod, argMax: limit, longest });
    console.log(`\n${text}`);
    if (args.write) {
      // Formatted as `npm run lint` (prettier --check) expects the committed file to be.
      const file = path.join(__dirname, 'results.md');
      const prettier = require('prettier');
      const options = (await prettier.resolveConfig(file)) || {};
      fs.writeFileSync(file, await prettier.format(text, { ...options, filepath: file }));
      console.log('wrote bench/results.md');
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`bench: ${error && error.stack ? error.stack : error}`);
  process.exitCode = 1;
});
