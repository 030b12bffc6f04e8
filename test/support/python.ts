import { spawnSync } from 'child_process';

let resolved: string | undefined;

/**
 * The interpreter that `python3` on PATH starts, as an absolute path (asked once per test file).
 * Where `python3` is a version manager's shim (pyenv's is a chain of bash scripts), starting the
 * interpreter itself skips about 0.1 s of CPU per process; it is the same Python either way. When
 * the question fails, plain `python3` is returned, so a test fails as it would have.
 */
export function python3(): string {
  if (resolved === undefined) {
    const r = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
    const executable = r.status === 0 ? r.stdout.trim() : '';
    resolved = executable.startsWith('/') ? executable : 'python3';
  }
  return resolved;
}
