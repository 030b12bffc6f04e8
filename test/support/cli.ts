import { spawnSync } from 'child_process';
import * as path from 'path';

/** The repository root. */
export const ROOT = path.join(__dirname, '..', '..');

/** What a run of the real `floe` binary printed, as non-empty lines. */
export interface FloeRun {
  status: number | null;
  stdout: string[];
  stderr: string[];
}

/** Runs the real binary, as `npx floe` does, from the repository root. */
export function runFloe(...args: string[]): FloeRun {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'floe'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');
  return { status: r.status, stdout: lines(r.stdout), stderr: lines(r.stderr) };
}
