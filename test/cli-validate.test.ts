import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CliCommand, COMMANDS, main } from '../src/cli/floe';
import * as loader from '../src/manifest/loader';
import { floeInProcess, ROOT, runFloe, runFloeClosed, runFloeWith } from './support/cli';

/** `floe ARGS` from the repository root, in this process. */
const floe = (...args: string[]): ReturnType<typeof floeInProcess> => floeInProcess(ROOT, ...args);

jest.setTimeout(120_000);

describe('floe validate', () => {
  test('exit 0 and one line per file when every file is valid', async () => {
    const r = await floe(
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

  test('exit 1, FILE:LINE:COL lines on stdout and a summary on stderr when a file is invalid', async () => {
    const r = await floe(
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

  test('a missing file is a problem, without a stack trace', async () => {
    const r = await floe('validate', 'no/such/file.yaml');
    expect(r).toEqual({
      status: 1,
      stdout: ['no/such/file.yaml:1:1: <root>: cannot read the file (no such file)'],
      stderr: ['floe validate: 1 problem in 1 of 1 file'],
    });
  });

  test('--help prints the command help and exits 0', async () => {
    const r = await floe('validate', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout[0]).toBe('Usage: floe validate [--debug] FILE...');
    expect(r.stdout).toContain('  FILE:LINE:COL: field.path: what is wrong (got VALUE, expected ...)');
    expect(r.stderr).toEqual([]);
  });

  test('no FILE or an unknown option: usage on stderr, exit 2', async () => {
    const none = await floe('validate');
    expect(none.status).toBe(2);
    expect(none.stdout).toEqual([]);
    expect(none.stderr.slice(0, 2)).toEqual([
      'floe validate: no FILE given',
      'Usage: floe validate [--debug] FILE...',
    ]);
    const option = await floe('validate', '--strict', 'examples/mesh/enterprise.yaml');
    expect(option.status).toBe(2);
    expect(option.stderr[0]).toBe("floe validate: unknown option '--strict'");
  });
});

describe('floe validate with hostile and wrong files', () => {
  /** A directory of files that cannot be manifests, next to a valid and a misspelt one. */
  function hostileFiles(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-hostile-'));
    const write = (name: string, content: string | Buffer): void =>
      fs.writeFileSync(path.join(dir, name), content);
    fs.copyFileSync(path.join(ROOT, 'examples/platform/platform-manifest.yaml'), path.join(dir, 'good.yaml'));
    fs.copyFileSync(
      path.join(ROOT, 'test/fixtures/invalid/daemon-typo.yaml'),
      path.join(dir, 'misspelt.yaml'),
    );
    // "Billion laughs": each level refers to the one before nine times.
    const levels = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (const name of ['b', 'c', 'd', 'e', 'f', 'g', 'h']) {
      const prev = String.fromCharCode(name.charCodeAt(0) - 1);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    write('bomb.yaml', `${levels.join('\n')}\n`);
    write(
      'binary.yaml',
      Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00, 0x1b, 0x5b, 0x32, 0x4a]),
    );
    write('latin1.yaml', Buffer.from('kind: PlatformManifest\nmetadata:\n  name: caf\xe9\n', 'latin1'));
    write('huge.yaml', `# ${'x'.repeat(loader.MAX_MANIFEST_BYTES)}\n`);
    write('deep.yaml', `a: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    write('multi.yaml', 'apiVersion: floe.dev/v1\nkind: PlatformManifest\n---\nkind: DataProduct\n');
    write(
      'control.yaml',
      [
        'apiVersion: floe.dev/v1',
        'kind: PlatformManifest',
        'metadata:',
        '  name: "\\e[31mred\\e[0m\\u202e"',
        "  version: '1.0.0'",
        '',
      ].join('\n'),
    );
    const many = Array.from({ length: 50 }, (_, i) => `unknown${i}: 1`);
    write(
      'many.yaml',
      `apiVersion: floe.dev/v1\nkind: PlatformManifest\nmetadata:\n  name: floe\n  version: '1.0.0'\n${many.join('\n')}\n`,
    );
    return dir;
  }

  test('one clear line per hostile file, at most 20 per file, every file checked, nothing raw echoed', async () => {
    const files = [
      'good.yaml',
      'bomb.yaml',
      'misspelt.yaml',
      'binary.yaml',
      'latin1.yaml',
      'huge.yaml',
      'deep.yaml',
      'multi.yaml',
      'control.yaml',
      'many.yaml',
    ];
    const r = await floeInProcess(hostileFiles(), 'validate', ...files);
    const expected = [
      "good.yaml: valid PlatformManifest 'floe'",
      'bomb.yaml:2:8: <yaml>: aliases expand too much (more than the limit of 100 that guards against alias bombs; write the values out instead)',
      "misspelt.yaml:9:11: orchestrator.daemon.mode: not allowed, did you mean 'single'? (got 'singel', expected 'single' or 'ha')",
      "misspelt.yaml:10:5: orchestrator.daemon.restart_timout: unknown field, did you mean 'restart_timeout'? (expected one of mode, restart_timeout, health_check_interval)",
      "misspelt.yaml:11:28: orchestrator.daemon.health_check_interval: wrong type (got 30, expected a duration: a whole number followed by 'ms', 's', 'm' or 'h', e.g. '60s')",
      'binary.yaml:1:1: <root>: not a text file (byte 6 is a NUL byte; a manifest is UTF-8 YAML)',
      'latin1.yaml:1:1: <root>: not a text file (byte 44 is not UTF-8; a manifest is UTF-8 YAML)',
      'huge.yaml:1:1: <root>: too large for a manifest (more than 1 MiB: is this the right file?)',
      'deep.yaml:1:67: <yaml>: nested more than 64 levels deep (a manifest needs far fewer: is this the right file?)',
      "multi.yaml:3:1: <yaml>: several YAML documents in one file (a manifest is one document: split the file at this '---', or remove it)",
      "control.yaml:4:9: metadata.name: invalid value (got '\\x1b[31mred\\x1b[0m\\u202e', expected a label value: 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)",
    ];
    expect(r.stdout.slice(0, expected.length)).toEqual(expected);
    const many = r.stdout.slice(expected.length);
    expect(many).toHaveLength(21);
    expect(many[0]).toBe(
      'many.yaml:6:1: unknown0: unknown field (expected one of apiVersion, kind, metadata, namespace, orchestrator, catalog, semantic, storage, observability, services, database, images, production)',
    );
    expect(many[20]).toBe('many.yaml: ... and 30 more problems');
    expect(r.stderr).toEqual(['floe validate: 60 problems in 9 of 10 files']);
    expect(r.status).toBe(1);
    // Nothing a terminal acts on reaches it: no control character but the line ends.
    expect([...r.stdout, ...r.stderr].join('\n')).not.toMatch(
      // eslint-disable-next-line no-control-regex -- looking for control characters is the point
      /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/,
    );
  });

  test('nesting at the size limit is refused in bounded memory (a 64 MiB heap is enough)', () => {
    // Before the lexical pre-scan, 1 MiB of '[' built a million-node syntax tree (about 1 GiB)
    // before the depth check could see it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-deep-'));
    const near = loader.MAX_MANIFEST_BYTES - 1;
    fs.writeFileSync(path.join(dir, 'flow.yaml'), '['.repeat(near));
    fs.writeFileSync(path.join(dir, 'maps.yaml'), '{a: '.repeat(Math.floor(near / 4)));
    fs.writeFileSync(path.join(dir, 'compact.yaml'), `${'- '.repeat(Math.floor(near / 2) - 1)}x`);
    const r = runFloeWith(
      { cwd: dir, nodeOptions: ['--max-old-space-size=64'] },
      'validate',
      'flow.yaml',
      'maps.yaml',
      'compact.yaml',
    );
    const deep =
      '<yaml>: nested more than 64 levels deep (a manifest needs far fewer: is this the right file?)';
    expect(r).toEqual({
      status: 1,
      stdout: [`flow.yaml:1:65: ${deep}`, `maps.yaml:1:257: ${deep}`, `compact.yaml:1:129: ${deep}`],
      stderr: ['floe validate: 3 problems in 3 of 3 files'],
    });
  });

  test('a directory, a symbolic link loop and a path through a file are one line each', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-paths-'));
    fs.mkdirSync(path.join(dir, 'adir'));
    fs.symlinkSync('loop', path.join(dir, 'loop'));
    fs.writeFileSync(path.join(dir, 'afile'), 'x: 1\n');
    const r = await floeInProcess(dir, 'validate', 'adir', 'loop', 'afile/floe.yaml', 'missing.yaml');
    expect(r).toEqual({
      status: 1,
      stdout: [
        'adir:1:1: <root>: cannot read the file (a directory)',
        'loop:1:1: <root>: cannot read the file (a loop of symbolic links)',
        'afile/floe.yaml:1:1: <root>: cannot read the file (a part of the path is a file, not a directory)',
        'missing.yaml:1:1: <root>: cannot read the file (no such file)',
      ],
      stderr: ['floe validate: 4 problems in 4 of 4 files'],
    });
  });

  test("an unexpected error in one file is that file's problem; the other files are still checked", async () => {
    const real = loader.loadManifestFile;
    const spy = jest.spyOn(loader, 'loadManifestFile').mockImplementation((file) => {
      if (file === 'broken.yaml') throw new RangeError('Maximum call stack size exceeded');
      return real(file);
    });
    const out: string[] = [];
    const err: string[] = [];
    const cwd = process.cwd();
    process.chdir(ROOT);
    try {
      const code = await main(['validate', 'broken.yaml', 'examples/mesh/enterprise.yaml'], {
        out: (l) => out.push(l),
        err: (l) => err.push(l),
      });
      expect({ code, out, err }).toEqual({
        code: 1,
        out: [
          'broken.yaml:1:1: <root>: cannot be checked (unexpected error: Maximum call stack size exceeded)',
          "examples/mesh/enterprise.yaml: valid EnterpriseManifest 'acme'",
        ],
        err: ['floe validate: 1 problem in 1 of 2 files'],
      });
    } finally {
      process.chdir(cwd);
      spy.mockRestore();
    }
  });
});

describe('floe exit status with a closed pipe (floe ... | head -1)', () => {
  test('stays 1 for problems, 2 for wrong usage and 0 for success when nobody reads the output', async () => {
    const [problems, usage, ok] = await Promise.all([
      runFloeClosed(['validate', 'test/fixtures/invalid/daemon-typo.yaml', 'examples/mesh/enterprise.yaml']),
      runFloeClosed(['validate', '--strict', 'examples/mesh/enterprise.yaml'], { closeStderr: true }),
      runFloeClosed(['validate', 'examples/mesh/enterprise.yaml']),
    ]);
    expect({ problems, usage, ok }).toEqual({ problems: 1, usage: 2, ok: 0 });
  });
});

describe('floe', () => {
  test('--help lists the commands and exits 0', async () => {
    const r = await floe('--help');
    expect(r.status).toBe(0);
    expect(r.stdout[0]).toBe('Usage: floe <command> [options]');
    expect(r.stdout).toContain('  validate  check manifests against their schemas');
  });

  test('an unknown command prints the usage and exits 2', async () => {
    const r = await floe('frobnicate');
    expect(r.status).toBe(2);
    expect(r.stdout).toEqual([]);
    expect(r.stderr.slice(0, 2)).toEqual([
      "floe: unknown command 'frobnicate'",
      'Usage: floe <command> [options]',
    ]);
  });

  test('no command prints the usage and exits 2', async () => {
    const r = await floe();
    expect(r.status).toBe(2);
    expect(r.stderr[0]).toBe('Usage: floe <command> [options]');
  });

  test('--version prints the package version (the real binary, through its launcher)', () => {
    const r = runFloe('--version');
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
