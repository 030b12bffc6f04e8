/**
 * The `floe` command line. `bin/floe` calls `main(process.argv.slice(2))` and exits with the code
 * it resolves to: 0 success, 1 problems found (or an unexpected error), 2 wrong usage.
 */
import * as fs from 'fs';
import * as path from 'path';
import { FloeValidationError } from '../core/errors';
import { formatProblems, ManifestProblem, printable, ROOT_PATH } from '../manifest/errors';
import { checkReferencedFiles } from '../manifest/build';
import { loadManifestFile } from '../manifest/loader';
import { CliCommand, CliIo, EXIT, UsageError } from './command';
import { TerminalStatus } from './terminal';
import { platformCommand } from './platform';
import { logsCommand, runCommand, statusCommand } from './runs';
import { synthCommand } from './synth';

export type { CliCommand, CliIo };
export { EXIT, UsageError };

const VALIDATE_HELP = `Usage: floe validate [--debug] FILE...

Checks manifests (PlatformManifest, DataProduct, EnterpriseManifest, DomainManifest) against
their schemas, and the floe.yaml files a DomainManifest lists. Prints one line per problem:

  FILE:LINE:COL: field.path: what is wrong (got VALUE, expected ...)

at most 20 per file (then FILE: ... and N more problems). A file that cannot be a manifest
(binary, over 1 MiB, several documents, nested too deeply, an alias bomb) is one problem; every
FILE is checked whatever the others hold.

Exit status: 0 when every file is valid, 1 when any file has a problem, 2 on wrong usage.

Options:
  --debug     show stack traces of unexpected errors
  -h, --help  show this help`;

const validate: CliCommand = {
  name: 'validate',
  summary: 'check manifests against their schemas',
  help: VALIDATE_HELP,
  run(args, io) {
    const files = operands(args);
    if (files.length === 0) {
      throw new UsageError('no FILE given');
    }
    let problems = 0;
    let failed = 0;
    for (const file of files) {
      const found = checkFile(file);
      if (typeof found === 'string') {
        io.out(printable(found));
      } else {
        failed++;
        problems += found.length;
        formatProblems(found).forEach((line) => io.out(line));
      }
    }
    if (failed > 0) {
      io.err(
        `floe validate: ${problems} problem${problems === 1 ? '' : 's'} in ${failed} of ${files.length} file${files.length === 1 ? '' : 's'}`,
      );
      return EXIT.problems;
    }
    return EXIT.ok;
  },
};

/**
 * The problems of one file, or its "valid" line. An unexpected error is a problem of that file
 * only: one file never stops the check of the others.
 */
function checkFile(file: string): string | readonly ManifestProblem[] {
  try {
    const result = loadManifestFile(file);
    const found = result.ok ? checkReferencedFiles(result) : result.problems;
    if (result.ok && found.length === 0) {
      return `${file}: valid ${result.manifest.kind} '${result.manifest.metadata.name}'`;
    }
    return found;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return [
      { file, line: 1, col: 1, path: ROOT_PATH, message: `cannot be checked (unexpected error: ${message})` },
    ];
  }
}

/** Every command, in help order. */
export const COMMANDS: CliCommand[] = [
  validate,
  synthCommand,
  platformCommand,
  runCommand,
  statusCommand,
  logsCommand,
];

/** Operands of a command: no options allowed except after `--`. */
export function operands(args: readonly string[]): string[] {
  const out: string[] = [];
  let options = true;
  for (const arg of args) {
    if (options && arg === '--') {
      options = false;
    } else if (options && arg.startsWith('-') && arg !== '-') {
      throw new UsageError(`unknown option '${arg}'`);
    } else {
      out.push(arg);
    }
  }
  return out;
}

function version(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: floe <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     show help (also after a command: floe validate --help)',
    '  -v, --version  show the version',
    '  --debug        show stack traces of unexpected errors',
  ].join('\n');
}

function lines(io: CliIo, write: 'out' | 'err', text: string): void {
  text.split('\n').forEach((l) => io[write](l));
}

/**
 * Standard output and error; a line never carries a raw control character to the terminal. When
 * standard output is a terminal, a live status line (`CliIo.status`) sits under the output.
 */
function defaultIo(): CliIo {
  if (!process.stdout.isTTY) {
    return {
      out: (line) => process.stdout.write(`${printable(line)}\n`),
      err: (line) => process.stderr.write(`${printable(line)}\n`),
    };
  }
  const terminal = new TerminalStatus({
    write: (text) => process.stdout.write(text),
    get columns() {
      return process.stdout.columns;
    },
  });
  return {
    out: (line) => terminal.line(printable(line)),
    err: (line) => terminal.around(() => process.stderr.write(`${printable(line)}\n`)),
    status: (s) => terminal.set(s && { key: s.key, text: printable(s.text) }),
  };
}

/** Runs `floe` with `argv` (without node and the script) and resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  const debug = argv.includes('--debug');
  const args = argv.filter((a) => a !== '--debug');
  const wantsHelp = (a: readonly string[]): boolean => {
    const end = a.indexOf('--');
    return (end === -1 ? a : a.slice(0, end)).some((x) => x === '--help' || x === '-h');
  };
  const [name, ...rest] = args;
  if (name === undefined) {
    lines(io, 'err', usage());
    return EXIT.usage;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const command = COMMANDS.find((c) => c.name === rest[0]);
    lines(io, 'out', command ? command.help : usage());
    return EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    io.out(version());
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const what = name.startsWith('-') ? `unknown option '${name}'` : `unknown command '${name}'`;
    io.err(`floe: ${what}`);
    lines(io, 'err', usage());
    return EXIT.usage;
  }
  if (wantsHelp(rest)) {
    lines(io, 'out', command.help);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, debug ? { ...io, debug } : io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`floe ${command.name}: ${error.message}`);
      lines(io, 'err', command.help);
      return EXIT.usage;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.err(`floe ${command.name}: ${message}`);
    // A FloeValidationError is a problem in the user's input, fully described by its message: no
    // stack trace is needed to act on it, so no hint to ask for one (unless asked).
    if (debug && error instanceof Error && error.stack) {
      lines(io, 'err', error.stack);
    } else if (!(error instanceof FloeValidationError)) {
      io.err('(run with --debug for the stack trace)');
    }
    return EXIT.problems;
  }
}
