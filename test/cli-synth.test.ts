import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runFloe as floe } from './support/cli';

jest.setTimeout(120_000);

describe('floe synth (the real binary)', () => {
  test('writes the mesh, one file per chart in apply order, and says what it wrote', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'floe-cli-')), 'dist');
    const r = floe(
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
      'platform: 85 objects -> OUT/0000-platform.k8s.yaml',
      'floe-sales-domain: 55 objects -> OUT/0001-floe-sales-domain.k8s.yaml',
      'floe-sales-domain-products: 3 objects -> OUT/0002-floe-sales-domain-products.k8s.yaml',
      'floe-marketing-domain: 29 objects -> OUT/0003-floe-marketing-domain.k8s.yaml',
      'floe-marketing-domain-products: 3 objects -> OUT/0004-floe-marketing-domain-products.k8s.yaml',
    ]);
    expect(fs.readdirSync(out).sort()).toEqual([
      '0000-platform.k8s.yaml',
      '0001-floe-sales-domain.k8s.yaml',
      '0002-floe-sales-domain-products.k8s.yaml',
      '0003-floe-marketing-domain.k8s.yaml',
      '0004-floe-marketing-domain-products.k8s.yaml',
    ]);
  });

  test('exit 1 with positioned problems and no stack trace; --help exits 0', () => {
    const r = floe(
      'synth',
      '--manifest',
      'test/fixtures/synth/unsupported-settings.yaml',
      '--out',
      os.tmpdir(),
    );
    expect(r.status).toBe(1);
    expect(r.stdout[0]).toMatch(
      /^test\/fixtures\/synth\/unsupported-settings\.yaml:11:22: orchestrator\.daemon\.restart_timeout: /,
    );
    expect(r.stderr).toEqual(['floe synth: 4 problems; nothing was written']);
    expect([...r.stdout, ...r.stderr].join('\n')).not.toMatch(/\n\s+at /);
    const help = floe('synth', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout[0]).toBe('Usage: floe synth --manifest FILE [--domain FILE ...] [--product FILE ...]');
  });
});
