/** What every `floe` sub-command shares: its interface, usage errors and exit codes. */

/** Where a command writes. */
export interface CliIo {
  /** Writes one line to standard output. */
  out(line: string): void;
  /** Writes one line to standard error. */
  err(line: string): void;
  /**
   * `--debug` was given: an error the command would report in one line may show its stack.
   * @default false
   */
  readonly debug?: boolean;
  /**
   * Shows a live status line (spinner, time waited, `text`) under the output while something is
   * waited for, on a terminal only; `undefined` removes it. A new `key` restarts the time.
   * @default - no status line (output is not a terminal)
   */
  readonly status?: (status: { readonly key: string; readonly text: string } | undefined) => void;
}

/** A `floe` sub-command. */
export interface CliCommand {
  /** The name typed after `floe`. */
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Full help text (`floe <name> --help`). */
  readonly help: string;
  /** Runs with the arguments after the name (`--help` and `--debug` already removed). */
  run(args: readonly string[], io: CliIo): number | Promise<number>;
}

/** Thrown for wrong usage: printed with the command's help, exit code 2. */
export class UsageError extends Error {}

/** Exit codes. */
export const EXIT = { ok: 0, problems: 1, usage: 2 } as const;

/** `--name=value` as `['--name', 'value']`; any other argument as `[arg, undefined]`. */
export function splitOption(arg: string): [string, string | undefined] {
  return arg.startsWith('--') && arg.includes('=')
    ? (arg.split(/=(.*)/s, 2) as [string, string])
    : [arg, undefined];
}

/**
 * The value of option `name`: its inline `=value`, else the next argument (`next` consumes it).
 * A missing value, an option in its place or an empty string is a usage error.
 */
export function optionValue(
  name: string,
  inline: string | undefined,
  next: () => string | undefined,
): string {
  const v = inline ?? next();
  if (v === undefined || (inline === undefined && v.startsWith('--'))) {
    throw new UsageError(`${name} needs a value`);
  }
  if (v === '') {
    throw new UsageError(`${name} needs a value (got an empty string)`);
  }
  return v;
}

/**
 * Reports a failure that is fully described by its one-line message (e.g. a `KubeError`):
 * `floe <command>: <message>`, with the stack trace under it only with `--debug`. Returns the
 * exit code for it.
 */
export function reportOneLine(io: CliIo, command: string, e: Error): number {
  io.err(`floe ${command}: ${e.message}`);
  if (io.debug && e.stack) {
    e.stack
      .split('\n')
      .slice(1)
      .forEach((l) => io.err(l));
  }
  return EXIT.problems;
}
