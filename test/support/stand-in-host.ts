import { ChildProcess, spawn } from 'child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

/**
 * A stand-in for a command-line tool, written as a Node script (`#!node`), that a script under
 * test calls many times (a fake curl): run in one long-lived Node process (stand-in-server.js)
 * instead of a Node process per call. `install(file)` writes the executable the script calls, a
 * bash client that hands its arguments, working directory and environment to that process and
 * prints what the stand-in wrote, with its exit code. The stand-in's code, its view of the call and
 * what the script sees are as with `#!node`; only the ~40 ms of CPU of a Node start per call go.
 *
 * The host runs in its own process, so a test can run the script with `spawnSync`.
 */
export class StandInHost {
  /** Starts the host of the stand-in whose source is `source`. */
  public static async start(source: string): Promise<StandInHost> {
    const dir = mkdtempSync(join(tmpdir(), 'stand-in-host-'));
    const file = join(dir, 'stand-in.js');
    writeFileSync(file, source);
    const child = spawn(process.execPath, [join(__dirname, 'stand-in-server.js'), file], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const line = /^(\d+)\n/.exec(out);
        if (line) resolve(Number(line[1]));
      });
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`stand-in host exited with ${code}`)));
    });
    return new StandInHost(child, port, dir);
  }

  private constructor(
    private readonly child: ChildProcess,
    private readonly port: number,
    private readonly dir: string,
  ) {}

  /** Writes the executable that runs the stand-in to `file`. */
  public install(file: string): void {
    writeFileSync(
      file,
      [
        '#!/bin/bash',
        `exec 3<>/dev/tcp/127.0.0.1/${this.port} || exit 99`,
        'names=($(compgen -e))',
        '{',
        '  printf "%s\\0" "$#" "$PWD" "${#names[@]}"',
        '  for name in "${names[@]}"; do printf "%s=%s\\0" "$name" "${!name}"; done',
        '  if [ "$#" -gt 0 ]; then printf "%s\\0" "$@"; fi',
        '} >&3',
        "IFS= read -r -d '' code <&3 || { echo 'stand-in host: no answer' >&2; exit 99; }",
        "IFS= read -r -d '' out <&3",
        "IFS= read -r -d '' err <&3",
        'printf "%s" "$out"',
        'printf "%s" "$err" >&2',
        'exit "$code"',
        '',
      ].join('\n'),
    );
    chmodSync(file, 0o755);
  }

  /** Stops the host. */
  public close(): void {
    this.child.stdin?.end();
    this.child.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
