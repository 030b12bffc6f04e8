import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { floeInProcess, ROOT, runFloe } from './support/cli';

jest.setTimeout(120_000);

describe('floe synth', () => {
  test('writes the mesh, one file per chart in apply order, and says what it wrote', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'floe-cli-')), 'dist');
    const r = await floeInProcess(
      ROOT,
      'synth',
      '--manifest',
      'examples/mesh/enterprise.yaml',
      '--domain',
      'examples/mesh/domains/sales.yaml',
      '--domain',
      'examples/mesh/domains/marketing.yaml',
      '--out',
      out,
    );
    expect(r.stderr).toEqual([]);
    expect(r.status).toBe(0);
    expect(r.stdout.map((l) => l.replace(out, 'OUT'))).toEqual([
      'platform: 87 objects -> OUT/0000-platform.k8s.yaml',
      'floe-sales-domain: 55 objects -> OUT/0001-floe-sales-domain.k8s.yaml',
      'floe-sales-domain-products: 8 objects -> OUT/0002-floe-sales-domain-products.k8s.yaml',
      'floe-marketing-domain: 29 objects -> OUT/0003-floe-marketing-domain.k8s.yaml',
      'floe-marketing-domain-products: 8 objects -> OUT/0004-floe-marketing-domain-products.k8s.yaml',
    ]);
    expect(fs.readdirSync(out).sort()).toEqual([
      '.floe-output',
      '0000-platform.k8s.yaml',
      '0001-floe-sales-domain.k8s.yaml',
      '0002-floe-sales-domain-products.k8s.yaml',
      '0003-floe-marketing-domain.k8s.yaml',
      '0004-floe-marketing-domain-products.k8s.yaml',
    ]);
  });

  test('the real binary: exit 1 with positioned problems and no stack trace; --help exits 0', () => {
    const r = runFloe(
      'synth',
      '--manifest',
      'test/fixtures/synth/unsupported-settings.yaml',
      '--out',
      path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'floe-cli-')), 'dist'),
    );
    expect(r.status).toBe(1);
    expect(r.stdout[0]).toMatch(
      /^test\/fixtures\/synth\/unsupported-settings\.yaml:11:22: orchestrator\.daemon\.restart_timeout: /,
    );
    expect(r.stderr).toEqual(['floe synth: 4 problems; nothing was written']);
    expect([...r.stdout, ...r.stderr].join('\n')).not.toMatch(/\n\s+at /);
    const help = runFloe('synth', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout[0]).toBe('Usage: floe synth --manifest FILE [--domain FILE ...] [--product FILE ...]');
  });

  test('never replaces a directory that holds the project, the manifest, or the current directory', async () => {
    // A project: README.md, src/, and the manifest being synthesized. Before the rule, '--out .'
    // deleted all of it and '--out ..' the parent directory.
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-cli-'));
    const project = path.join(parent, 'project');
    fs.mkdirSync(path.join(project, 'src'), { recursive: true });
    fs.mkdirSync(path.join(project, 'sub'));
    fs.writeFileSync(path.join(project, 'README.md'), '# mine\n');
    fs.writeFileSync(path.join(project, 'src', 'main.ts'), 'export {};\n');
    fs.copyFileSync(
      path.join(ROOT, 'examples/platform/platform-manifest.yaml'),
      path.join(project, 'platform.yaml'),
    );
    fs.mkdirSync(path.join(parent, 'elsewhere'));
    const listing = (): string[] => fs.readdirSync(parent, { recursive: true, encoding: 'utf8' }).sort();
    const before = listing();
    const here = await floeInProcess(project, 'synth', '--manifest', 'platform.yaml', '--out', '.');
    const up = await floeInProcess(
      path.join(project, 'sub'),
      'synth',
      '--manifest',
      '../platform.yaml',
      '--out',
      '..',
    );
    const input = await floeInProcess(
      path.join(parent, 'elsewhere'),
      'synth',
      '--manifest',
      '../project/platform.yaml',
      '--out',
      '../project',
    );
    expect([here, up, input]).toEqual([
      {
        status: 1,
        stdout: [],
        stderr: ['floe synth: . contains the current directory; choose an empty or new directory'],
      },
      {
        status: 1,
        stdout: [],
        stderr: ['floe synth: .. contains the current directory; choose an empty or new directory'],
      },
      {
        status: 1,
        stdout: [],
        stderr: [
          'floe synth: ../project contains the input file ../project/platform.yaml; choose an empty or new directory',
        ],
      },
    ]);
    expect(listing()).toEqual(before);
  });
});
