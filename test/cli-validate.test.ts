import { CliCommand, COMMANDS, main } from '../src/cli/floe';
import { runFloe as floe } from './support/cli';

jest.setTimeout(120_000);

describe('floe validate', () => {
  test('exit 0 and one line per file when every file is valid', () => {
    const r = floe(
      'validate',
      'examples/platform/platform-manifest.yaml',
      'examples/platform-with-products/sales/floe.yaml',
      'examples/mesh/enterprise.yaml',
      'examples/mesh/domains/sales.yaml',
    );
    expect(r).toEqual({
      status: 0,
      stdout: [
        "examples/platform/platform-manifest.yaml: valid PlatformManifest 'floe'",
        "examples/platform-with-products/sales/floe.yaml: valid DataProduct 'customer-360'",
        "examples/mesh/enterprise.yaml: valid EnterpriseManifest 'acme'",
        "examples/mesh/domains/sales.yaml: valid DomainManifest 'sales'",
      ],
      stderr: [],
    });
  });

  test('exit 1, FILE:LINE:COL lines on stdout and a summary on stderr when a file is invalid', () => {
    const r = floe(
      'validate',
      'examples/platform/platform-manifest.yaml',
      'test/fixtures/invalid/daemon-typo.yaml',
      'test/fixtures/invalid/syntax-duplicate-key.yaml.txt',
    );
    expect(r).toEqual({
      status: 1,
      stdout: [
        "examples/platform/platform-manifest.yaml: valid PlatformManifest 'floe'",
        "test/fixtures/invalid/daemon-typo.yaml:9:11: orchestrator.daemon.mode: not allowed, did you mean 'single'? (got 'singel', expected 'single' or 'ha')",
        "test/fixtures/invalid/daemon-typo.yaml:10:5: orchestrator.daemon.restart_timout: unknown field, did you mean 'restart_timeout'? (expected one of mode, restart_timeout, health_check_interval)",
        "test/fixtures/invalid/daemon-typo.yaml:11:28: orchestrator.daemon.health_check_interval: wrong type (got 30, expected a duration: a whole number followed by 'ms', 's', 'm' or 'h', e.g. '60s')",
        'test/fixtures/invalid/syntax-duplicate-key.yaml.txt:7:1: <yaml>: invalid YAML: Map keys must be unique',
      ],
      stderr: ['floe validate: 4 problems in 2 of 3 files'],
    });
  });

  test('a missing file is a problem, without a stack trace', () => {
    const r = floe('validate', 'no/such/file.yaml');
    expect(r).toEqual({
      status: 1,
      stdout: ['no/such/file.yaml:1:1: <root>: cannot read the file (no such file)'],
      stderr: ['floe validate: 1 problem in 1 of 1 file'],
    });
  });

  test('--help prints the command help and exits 0', () => {
    const r = floe('validate', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout[0]).toBe('Usage: floe validate [--debug] FILE...');
    expect(r.stdout).toContain('  FILE:LINE:COL: field.path: what is wrong (got VALUE, expected ...)');
    expect(r.stderr).toEqual([]);
  });

  test('no FILE or an unknown option: usage on stderr, exit 2', () => {
    const none = floe('validate');
    expect(none.status).toBe(2);
    expect(none.stdout).toEqual([]);
    expect(none.stderr.slice(0, 2)).toEqual([
      'floe validate: no FILE given',
      'Usage: floe validate [--debug] FILE...',
    ]);
    const option = floe('validate', '--strict', 'examples/mesh/enterprise.yaml');
    expect(option.status).toBe(2);
    expect(option.stderr[0]).toBe("floe validate: unknown option '--strict'");
  });
});

describe('floe', () => {
  test('--help lists the commands and exits 0', () => {
    const r = floe('--help');
    expect(r.status).toBe(0);
    expect(r.stdout[0]).toBe('Usage: floe <command> [options]');
    expect(r.stdout).toContain('  validate  check manifests against their schemas');
  });

  test('an unknown command prints the usage and exits 2', () => {
    const r = floe('frobnicate');
    expect(r.status).toBe(2);
    expect(r.stdout).toEqual([]);
    expect(r.stderr.slice(0, 2)).toEqual([
      "floe: unknown command 'frobnicate'",
      'Usage: floe <command> [options]',
    ]);
  });

  test('no command prints the usage and exits 2', () => {
    const r = floe();
    expect(r.status).toBe(2);
    expect(r.stderr[0]).toBe('Usage: floe <command> [options]');
  });

  test('--version prints the package version', () => {
    const r = floe('--version');
    expect(r).toEqual({ status: 0, stdout: ['0.1.0'], stderr: [] });
  });
});

describe('unexpected errors', () => {
  const failing: CliCommand = {
    name: 'explode',
    summary: 'test command',
    help: 'Usage: floe explode',
    run: () => {
      throw new Error('boom');
    },
  };
  const capture = async (argv: string[]): Promise<{ code: number; err: string[] }> => {
    const err: string[] = [];
    COMMANDS.push(failing);
    try {
      const code = await main(argv, { out: () => undefined, err: (l) => err.push(l) });
      return { code, err };
    } finally {
      COMMANDS.splice(COMMANDS.indexOf(failing), 1);
    }
  };

  test('show no stack trace unless --debug is given', async () => {
    expect(await capture(['explode'])).toEqual({
      code: 1,
      err: ['floe explode: boom', '(run with --debug for the stack trace)'],
    });
    const debug = await capture(['explode', '--debug']);
    expect(debug.code).toBe(1);
    expect(debug.err[0]).toBe('floe explode: boom');
    expect(debug.err[1]).toBe('Error: boom');
    expect(debug.err.slice(2).every((l) => /^\s+at /.test(l))).toBe(true);
  });
});
