import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { main } from '../src/cli/floe';
import { buildFromManifests } from '../src/manifest/build';
import { FloeJobs } from '../src/jobs/floe-jobs';
import { FloePlatform } from '../src/platform/floe-platform';
import { EXAMPLES } from './support/example-programs';
import { validateObjects } from './support/k8s-schema';
import { checkPolicy } from './support/policy';
import { get, K8sObject } from './support/synth';

const root = path.join(__dirname, '..');

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'floe-synth-'));
}

/** Every file under `dir`, relative, with its text. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const entry of fs
      .readdirSync(d, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out[path.relative(dir, full)] = fs.readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return out;
}

/** Runs `floe` in-process from the repository root; returns the exit code and the lines. */
async function floe(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err };
  } finally {
    process.chdir(cwd);
  }
}

function resolveArgs(args: string[]): string[] {
  return args.map((a) => (a.startsWith('examples/') ? path.join(root, a) : a));
}

describe.each(EXAMPLES)('example: $name', ({ args, program }) => {
  const inputs = {
    manifest: path.join(root, args[1]),
    domains: args.flatMap((a, i) => (args[i - 1] === '--domain' ? [path.join(root, a)] : [])),
    products: args.flatMap((a, i) => (args[i - 1] === '--product' ? [path.join(root, a)] : [])),
  };
  const built = buildFromManifests(inputs, tmpdir());
  if (!built.ok) {
    throw new Error(built.problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n'));
  }
  const charts = built.charts.map((c) => ({
    id: c.chart.node.id,
    objects: Testing.synth(c.chart) as K8sObject[],
    chart: c.chart,
  }));

  test('floe synth writes exactly what the TypeScript program synthesizes', async () => {
    const fromYaml = tmpdir();
    const fromTs = tmpdir();
    const r = await floe('synth', ...resolveArgs(args), '--out', fromYaml);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    program(fromTs).synth();
    const a = tree(fromYaml);
    const b = tree(fromTs);
    expect(Object.keys(a)).toEqual(Object.keys(b));
    for (const file of Object.keys(b)) {
      expect(`${file}\n${a[file]}`).toBe(`${file}\n${b[file]}`);
    }
  });

  test.each(charts.map((c) => [c.id, c] as const))('%s matches the reviewed snapshot', (_id, c) => {
    expect(c.objects).toMatchSnapshot();
  });

  test('every object passes strict Kubernetes 1.28 schema validation', () => {
    expect(charts.flatMap((c) => validateObjects(c.objects))).toEqual([]);
  });

  test('every pod meets the restricted policy and every reference resolves, per namespace', () => {
    // A jobs chart in a platform's namespace reads that platform's ConfigMap: check namespaces.
    const namespaces = [...new Set(charts.map((c) => c.chart.namespace))];
    for (const ns of namespaces) {
      const group = charts.filter((c) => c.chart.namespace === ns);
      const parts = group.map((c) => c.chart as FloePlatform | FloeJobs);
      const violations = checkPolicy(
        group.flatMap((c) => c.objects),
        {
          prerequisiteSecrets: parts.flatMap((p) => p.requiredSecrets.map((s) => s.name)),
          prerequisiteConfigMaps: parts.flatMap((p) => p.requiredConfigMaps),
        },
      );
      expect([ns, violations]).toEqual([ns, []]);
    }
  });
});

describe('floe synth problems', () => {
  const f = (name: string): string => `test/fixtures/synth/${name}`;

  test('settings the constructs cannot build are positioned problems, like schema errors', async () => {
    const r = await floe(
      'synth',
      '--manifest',
      f('unsupported-settings.yaml'),
      '--product',
      f('other-platform-product.yaml'),
      '--out',
      tmpdir(),
    );
    expect(r.code).toBe(1);
    expect(r.out).toEqual([
      `${f('unsupported-settings.yaml')}:11:22: orchestrator.daemon.restart_timeout: not allowed (got '1500ms', expected a whole number of seconds, e.g. '2s')`,
      `${f('unsupported-settings.yaml')}:15:3: services.lineage: not allowed (got a mapping, expected no settings: lineage is 'none' (set observability.lineage: marquez))`,
      `${f('unsupported-settings.yaml')}:18:15: services.tracing.replicas: not allowed (got 2, expected 1: Jaeger with in-memory storage runs as a single pod)`,
      `${f('unsupported-settings.yaml')}:20:5: services.collector.ingress: not allowed (got a mapping, expected no ingress: the collector receives OTLP inside the cluster only)`,
      `${f('other-platform-product.yaml')}:8:8: platform.ref: not allowed (got 'oci://registry.example.com/platforms/globex:2.0.0', expected 'floe', the name of the platform in ${f('unsupported-settings.yaml')})`,
      `${f('other-platform-product.yaml')}:11:5: transforms[0]: not allowed (got 'dbt-test', expected a dbt-test step after a step it checks (dbt-run or dlt-ingest): it runs only once that step succeeded)`,
      `${f('other-platform-product.yaml')}:13:18: transforms[0].fullRefresh: not allowed (got a value, expected no fullRefresh on 'command: test': only dbt run rebuilds)`,
    ]);
    expect(r.err).toEqual(['floe synth: 7 problems; nothing was written']);
  });

  test("daemon.mode 'ha' builds the Lease-elected daemon pair; 'single' one daemon", () => {
    const dir = tmpdir();
    const manifest = (mode: string): string => {
      const file = path.join(dir, `${mode}.yaml`);
      fs.writeFileSync(
        file,
        [
          'apiVersion: floe.dev/v1',
          'kind: PlatformManifest',
          'metadata:',
          '  name: floe',
          "  version: '1.0.0'",
          'orchestrator:',
          '  type: dagster',
          '  daemon:',
          `    mode: ${mode}`,
          '',
        ].join('\n'),
      );
      return file;
    };
    const prerequisites = { secrets: [] as string[], configMaps: [] as string[] };
    const objects = (mode: string): K8sObject[] => {
      const built = buildFromManifests({ manifest: manifest(mode) }, tmpdir());
      if (!built.ok) throw new Error(built.problems.map((p) => p.message).join('\n'));
      for (const c of built.charts) {
        const platform = c.chart as FloePlatform;
        prerequisites.secrets.push(...platform.requiredSecrets.map((r) => r.name));
        prerequisites.configMaps.push(...platform.requiredConfigMaps);
      }
      return built.charts.flatMap((c) => Testing.synth(c.chart) as K8sObject[]);
    };
    const daemon = (o: K8sObject[]): K8sObject | undefined =>
      o.find((x) => x.kind === 'Deployment' && x.metadata.name === 'dagster-daemon');
    const names = (o: K8sObject[], kind: string): string[] =>
      o.filter((x) => x.kind === kind).map((x) => x.metadata.name);

    const ha = objects('ha');
    expect(get(daemon(ha), 'spec.replicas')).toBe(2);
    expect(names(ha, 'Role')).toContain('dagster-daemon-leader-election');
    expect(names(ha, 'ConfigMap')).toContain('dagster-daemon-election');
    expect(validateObjects(ha)).toEqual([]);
    expect(
      checkPolicy(ha, {
        prerequisiteSecrets: prerequisites.secrets,
        prerequisiteConfigMaps: prerequisites.configMaps,
      }),
    ).toEqual([]);

    const single = objects('single');
    expect(get(daemon(single), 'spec.replicas')).toBe(1);
    expect(names(single, 'Role')).not.toContain('dagster-daemon-leader-election');
    expect(names(single, 'ConfigMap')).not.toContain('dagster-daemon-election');
  });

  test('two products of one name in one namespace', async () => {
    const r = await floe(
      'synth',
      '--manifest',
      'examples/platform-with-products/platform-manifest.yaml',
      '--product',
      'examples/platform-with-products/sales/floe.yaml',
      '--product',
      f('duplicate-product.yaml'),
      '--out',
      tmpdir(),
    );
    expect([r.code, r.out]).toEqual([
      1,
      [
        `${f('duplicate-product.yaml')}:5:9: metadata.name: not allowed (got 'customer-360', expected a name no other product in namespace 'floe-sales' has; examples/platform-with-products/sales/floe.yaml uses it)`,
      ],
    ]);
  });

  test('a mesh product must name a domain; a listed floe.yaml must exist', async () => {
    const r = await floe(
      'synth',
      '--manifest',
      'examples/mesh/enterprise.yaml',
      '--domain',
      f('domain-missing-product.yaml'),
      '--product',
      'examples/platform-with-products/sales/floe.yaml',
      '--out',
      tmpdir(),
    );
    expect([r.code, r.out]).toEqual([
      1,
      [
        "examples/platform-with-products/sales/floe.yaml:9:8: platform.ref: not allowed (got 'acme', expected the name of a domain: 'ops')",
        `${f('domain-missing-product.yaml')}:10:5: products[0]: cannot read 'test/fixtures/synth/missing/floe.yaml' (no such file)`,
      ],
    ]);
  });

  test('a manifest of the wrong kind, and schema errors, as floe validate reports them', async () => {
    const wrongKind = await floe(
      'synth',
      '--manifest',
      'examples/mesh/domains/sales.yaml',
      '--out',
      tmpdir(),
    );
    expect([wrongKind.code, wrongKind.out]).toEqual([
      1,
      [
        "examples/mesh/domains/sales.yaml:3:7: kind: not allowed here (got 'DomainManifest', expected 'PlatformManifest' or 'EnterpriseManifest' as the --manifest)",
      ],
    ]);
    const invalid = await floe(
      'synth',
      '--manifest',
      'test/fixtures/invalid/daemon-typo.yaml',
      '--out',
      tmpdir(),
    );
    expect(invalid.code).toBe(1);
    expect(invalid.out[0]).toMatch(
      /^test\/fixtures\/invalid\/daemon-typo\.yaml:9:11: orchestrator\.daemon\.mode: /,
    );
  });

  test('--format helm needs SemVer versions', async () => {
    const dir = tmpdir();
    const manifest = path.join(dir, 'platform.yaml');
    fs.writeFileSync(
      manifest,
      [
        'apiVersion: floe.dev/v1',
        'kind: PlatformManifest',
        'metadata:',
        '  name: floe',
        "  version: '1.0'",
        '',
      ].join('\n'),
    );
    const r = await floe('synth', '--manifest', manifest, '--format', 'helm', '--out', path.join(dir, 'out'));
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      `floe synth: ${manifest}: metadata.version: not allowed with --format helm (got '1.0', expected a SemVer version such as '1.0.0', as Helm requires); nothing was written`,
    ]);
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
  });

  test('wrong usage exits 2 with the help', async () => {
    for (const args of [
      [],
      ['--manifest'],
      ['--manifest', 'a', '--manifest', 'b'],
      ['--manifest', 'a', '--format', 'json'],
      ['--manifest', 'a', 'b'],
    ]) {
      const r = await floe('synth', ...args);
      expect([args, r.code]).toEqual([args, 2]);
      expect(r.err).toContain('Usage: floe synth --manifest FILE [--domain FILE ...] [--product FILE ...]');
    }
  });
});

describe('floe validate and referenced files', () => {
  test('a floe.yaml a domain lists must exist and be a valid DataProduct of that domain', async () => {
    const r = await floe(
      'validate',
      'test/fixtures/synth/domain-missing-product.yaml',
      'examples/mesh/domains/sales.yaml',
    );
    expect([r.code, r.out]).toEqual([
      1,
      [
        "test/fixtures/synth/domain-missing-product.yaml:10:5: products[0]: cannot read 'test/fixtures/synth/missing/floe.yaml' (no such file)",
        "examples/mesh/domains/sales.yaml: valid DomainManifest 'sales'",
      ],
    ]);
  });
});

describe('floe synth output directory', () => {
  const okArgs = ['--manifest', 'examples/platform-with-products/platform-manifest.yaml'];

  test('on a problem nothing is written: the old output stays as it was, no temporary directory is left', async () => {
    const parent = tmpdir();
    const out = path.join(parent, 'dist');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'old.k8s.yaml'), 'old\n');
    const r = await floe(
      'synth',
      '--manifest',
      'test/fixtures/synth/unsupported-settings.yaml',
      '--out',
      out,
    );
    expect(r.code).toBe(1);
    expect(tree(parent)).toEqual({ 'dist/old.k8s.yaml': 'old\n' });
  });

  test('on success the directory is replaced as a whole and what was written is printed', async () => {
    const parent = tmpdir();
    const out = path.join(parent, 'dist');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'stale.k8s.yaml'), 'stale\n');
    const r = await floe('synth', ...okArgs, '--out', out);
    expect(r.code).toBe(0);
    expect(r.out).toEqual([`platform: 99 objects -> ${path.join(out, 'platform.k8s.yaml')}`]);
    expect(fs.readdirSync(parent)).toEqual(['dist']);
    expect(fs.readdirSync(out)).toEqual(['platform.k8s.yaml']);
  });

  test('two synths write identical bytes', async () => {
    const a = tmpdir();
    const b = tmpdir();
    await floe('synth', ...EXAMPLES[2].args, '--out', a);
    await floe('synth', ...EXAMPLES[2].args, '--out', b);
    expect(tree(a)).toEqual(tree(b));
  });

  test('--format helm writes a chart per chart with the platform version', async () => {
    const out = tmpdir();
    const r = await floe('synth', ...EXAMPLES[1].args, '--format', 'helm', '--out', out);
    expect(r.code).toBe(0);
    const files = tree(out);
    expect(Object.keys(files)).toEqual([
      'acme-platform/Chart.yaml',
      'acme-platform/templates/0000-platform.k8s.yaml',
      'floe-campaign-performance/Chart.yaml',
      'floe-campaign-performance/templates/0002-floe-campaign-performance.k8s.yaml',
      'floe-sales/Chart.yaml',
      'floe-sales/templates/0001-floe-sales.k8s.yaml',
    ]);
    expect(files['acme-platform/Chart.yaml']).toBe(
      [
        'apiVersion: v2',
        'name: acme-platform',
        'version: 2.3.0',
        'appVersion: "2.3.0"',
        'description: floe platform services in namespace acme-platform, generated by floe-cdk8s',
        'type: application',
        '',
      ].join('\n'),
    );
    const yaml = tmpdir();
    await floe('synth', ...EXAMPLES[1].args, '--out', yaml);
    expect(files['floe-sales/templates/0001-floe-sales.k8s.yaml']).toBe(
      tree(yaml)['0001-floe-sales.k8s.yaml'],
    );
  });

  test('--format helm keeps a literal {{ literal: Helm does not evaluate it', async () => {
    const dir = tmpdir();
    const manifest = path.join(dir, 'platform.yaml');
    fs.writeFileSync(
      manifest,
      [
        'apiVersion: floe.dev/v1',
        'kind: PlatformManifest',
        'metadata:',
        '  name: floe',
        "  version: '1.0.0'",
        'services:',
        '  orchestrator:',
        '    ingress:',
        '      enabled: true',
        '      annotations:',
        "        example.com/snippet: '{{ not a template }}'",
        '',
      ].join('\n'),
    );
    const out = path.join(dir, 'out');
    expect((await floe('synth', '--manifest', manifest, '--format', 'helm', '--out', out)).code).toBe(0);
    const template = fs.readFileSync(
      path.join(out, 'floe-platform', 'templates', 'platform.k8s.yaml'),
      'utf8',
    );
    expect(template).toContain('example.com/snippet: "{{ "{{" }} not a template }}"');
    expect(template.split('{{ "{{" }}').join('')).not.toContain('{{');
  });
});
