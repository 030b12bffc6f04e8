import { spawn, spawnSync } from 'child_process';
import * as path from 'path';
import { main } from '../../src/cli/floe';

/** The repository root. */
export const ROOT = path.join(__dirname, '..', '..');

/** The launcher of the real binary. */
export const FLOE_BIN = path.join(ROOT, 'bin', 'floe');

/** What a run of the real `floe` binary printed, as non-empty lines. */
export interface FloeRun {
  status: number | null;
  stdout: string[];
  stderr: string[];
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

/** Runs the real binary, as `npx floe` does, from the repository root. */
export function runFloe(...args: string[]): FloeRun {
  return runFloeIn(ROOT, ...args);
}

/** Runs the real binary in the directory `cwd`. */
export function runFloeIn(cwd: string, ...args: string[]): FloeRun {
  return runFloeWith({ cwd }, ...args);
}

/** Runs the real binary in `cwd` (default: the repository root) with extra `node` options. */
export function runFloeWith(
  options: { cwd?: string; nodeOptions?: readonly string[] },
  ...args: string[]
): FloeRun {
  const r = spawnSync(process.execPath, [...(options.nodeOptions ?? []), FLOE_BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: lines(r.stdout), stderr: lines(r.stderr) };
}

/**
 * Runs the real binary without blocking this process (a server in it, such as the stand-in API
 * server, can answer the binary meanwhile).
 */
export function runFloeAsync(...args: string[]): Promise<FloeRun> {
  return runFloeAsyncIn(ROOT, ...args);
}

/** `runFloeAsync` in the directory `cwd`. */
export function runFloeAsyncIn(cwd: string, ...args: string[]): Promise<FloeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FLOE_BIN, ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout: lines(out), stderr: lines(err) }));
  });
}

/**
 * Runs the real binary with its standard output (and with `closeStderr` its standard error) a
 * pipe whose reading end is closed before the binary writes anything, as `floe ... | head -1`
 * leaves it once head has its line: every write to it fails with EPIPE. Resolves to the exit status.
 */
export function runFloeClosed(
  args: readonly string[],
  options: { cwd?: string; closeStderr?: boolean } = {},
): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FLOE_BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    if (options.closeStderr) {
      child.stderr.destroy();
    } else {
      child.stderr.resume();
    }
    child.on('error', reject);
    child.on('close', (status) => resolve(status));
  });
}

/**
 * Runs `floe ARGS` in this process, in the directory `cwd`, through the same `main` the binary
 * calls: what the binary prints and its exit status, without the cost of a new Node process. Tests
 * of the binary itself (its launcher, exit status through a closed pipe, memory) use `runFloe`.
 */
export async function floeInProcess(cwd: string, ...args: string[]): Promise<FloeRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const before = process.cwd();
  process.chdir(cwd);
  try {
    const status = await main(args, {
      out: (l) => stdout.push(...lines(l)),
      err: (l) => stderr.push(...lines(l)),
    });
    return { status, stdout, stderr };
  } finally {
    process.chdir(before);
  }
}
