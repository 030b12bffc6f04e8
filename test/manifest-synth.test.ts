import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Testing, YamlOutputType } from 'cdk8s';
import { main } from '../src/cli/floe';
import { OUTPUT_MARKER } from '../src/cli/output-dir';
import { buildFromManifests } from '../src/manifest/build';
import { FloeJobs } from '../src/jobs/floe-jobs';
import { dbt, ingest } from '../src/jobs/steps';
import { FloePlatform, FloePlatformProps } from '../src/platform/floe-platform';
import { Polaris } from '../src/plugins/catalog/polaris';
import { Dagster } from '../src/plugins/orchestrator/dagster';
import { Cube } from '../src/plugins/semantic/cube';
import { MinIO } from '../src/plugins/storage/minio';
import { EXAMPLES } from './support/example-programs';
import { validateObjects } from './support/k8s-schema';
import { checkConfiguredConnections, checkIsolation } from './support/network';
import { checkPolicy, PolicyOptions } from './support/policy';
import { deepFreeze, get, K8sObject, once } from './support/synth';

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

/** The files of a floe output under `dir`, without its `.floe-output` marker. */
function outputTree(dir: string): Record<string, string> {
  const files = tree(dir);
  delete files[OUTPUT_MARKER];
  return files;
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

/** What `floe synth` printed and returned, and every file it wrote (the marker included). */
interface FloeOutput {
  readonly r: { code: number; out: string[]; err: string[] };
  readonly files: Readonly<Record<string, string>>;
}

/**
 * `floe synth` of each example into a fresh directory, run once per file and shared (frozen): by
 * the example's comparison with its TypeScript program, and by the tests below that need the same
 * output (two synths give identical bytes; a helm template is the YAML file).
 */
const floeOutputs = new Map(
  EXAMPLES.map(({ name, args }) => [
    name,
    once(async (): Promise<FloeOutput> => {
      const dir = tmpdir();
      const r = await floe('synth', ...resolveArgs(args), '--out', dir);
      return deepFreeze({ r, files: tree(dir) });
    }),
  ]),
);
function floeOutput(name: string): Promise<FloeOutput> {
  const shared = floeOutputs.get(name);
  if (shared === undefined) throw new Error(`no example ${name}`);
  return shared();
}

describe.each(EXAMPLES)('example: $name', ({ name, args, program }) => {
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
    const fromTs = tmpdir();
    const { r, files } = await floeOutput(name);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    program(fromTs).synth();
    const a = { ...files };
    delete a[OUTPUT_MARKER];
    // floe synth numbers a single chart's file as well (0000-platform.k8s.yaml); cdk8s does not.
    const b = Object.fromEntries(
      Object.entries(tree(fromTs)).map(([file, text]) => [
        /^\d{4}-/.test(file) ? file : `0000-${file}`,
        text,
      ]),
    );
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
    // A chart may write objects into another namespace (a product's catalog access Job runs in
    // the platform's): group the objects by their own namespace.
    const parts = charts.map((c) => c.chart as FloePlatform | FloeJobs);
    for (const ns of namespaces) {
      const violations = checkPolicy(objectsIn(charts, ns), {
        prerequisiteSecrets: parts.flatMap((p) => p.requiredSecrets.map((s) => s.name)),
        prerequisiteConfigMaps: parts.flatMap((p) => p.requiredConfigMaps),
      });
      expect([ns, violations]).toEqual([ns, []]);
    }
  });
});

/**
 * What is checked for namespace `ns`: every object of the charts in `ns` (a product's catalog
 * access Job runs in the platform's namespace but is checked with the Role that lets it write the
 * product's Secret), and the objects other charts write into `ns`.
 */
function objectsIn(
  charts: readonly { readonly chart: { readonly namespace?: string }; readonly objects: K8sObject[] }[],
  ns: string | undefined,
): K8sObject[] {
  return charts.flatMap((c) =>
    c.chart.namespace === ns ? c.objects : c.objects.filter((o) => o.metadata.namespace === ns),
  );
}

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
      `${f('other-platform-product.yaml')}:8:8: platform.ref: not allowed (got 'oci://registry.example.com/platforms/globex:2.0.0', expected 'floe', the name of the platform in ${f('unsupported-settings.yaml')}, or an OCI reference to it such as 'oci://REGISTRY/floe-platform:TAG')`,
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

  test('a --product with schema problems stops the synth: its problems, exit 1, nothing written', async () => {
    const out = path.join(tmpdir(), 'out');
    const product = 'test/fixtures/invalid/data-product.yaml';
    const r = await floe(
      'synth',
      '--manifest',
      'examples/platform-with-products/platform-manifest.yaml',
      '--product',
      product,
      '--out',
      out,
    );
    expect(r.code).toBe(1);
    expect(r.out).toHaveLength(9);
    expect(r.out.every((l) => l.startsWith(`${product}:`))).toBe(true);
    expect(r.out[0]).toBe(
      `${product}:4:9: metadata.name: invalid value (got 'Customer360', expected a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, 1 to 52 characters)`,
    );
    expect(r.err).toEqual(['floe synth: 9 problems; nothing was written']);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('every file synth reads goes through the hardened loader: one line per hostile file', async () => {
    const dir = tmpdir();
    const write = (name: string, content: string | Buffer): string => {
      const file = path.join(dir, name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
      return file;
    };
    const enterprise = write(
      'enterprise.yaml',
      fs.readFileSync(path.join(root, 'examples/mesh/enterprise.yaml')),
    );
    const domain = write(
      'domain.yaml',
      [
        'apiVersion: floe.dev/v1',
        'kind: DomainManifest',
        'metadata:',
        '  name: sales',
        "  version: '1.0.0'",
        'enterprise:',
        '  ref: acme',
        'products:',
        '  - products/binary.yaml',
        '  - products/bomb.yaml',
        '',
      ].join('\n'),
    );
    write('products/binary.yaml', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00]));
    write(
      'products/bomb.yaml',
      `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [${Array(10).fill('*a').join(', ')}]\nc: [${Array(10).fill('*b').join(', ')}]\n`,
    );
    const deep = write('deep.yaml', `${'- '.repeat(100_000)}x\n`);
    const multi = write('multi.yaml', 'kind: DataProduct\n---\nkind: DataProduct\n');
    const out = path.join(dir, 'out');
    const r = await floe(
      'synth',
      '--manifest',
      enterprise,
      '--domain',
      domain,
      '--domain',
      deep,
      '--product',
      multi,
      '--out',
      out,
    );
    expect([r.code, r.out]).toEqual([
      1,
      [
        `${multi}:2:1: <yaml>: several YAML documents in one file (a manifest is one document: split the file at this '---', or remove it)`,
        `${deep}:1:129: <yaml>: nested more than 64 levels deep (a manifest needs far fewer: is this the right file?)`,
        `${path.join(dir, 'products/binary.yaml')}:1:1: <root>: not a text file (byte 3 is a NUL byte; a manifest is UTF-8 YAML)`,
        `${path.join(dir, 'products/bomb.yaml')}:2:8: <yaml>: aliases expand too much (more than the limit of 100 that guards against alias bombs; write the values out instead)`,
      ],
    ]);
    expect(fs.existsSync(out)).toBe(false);
    const huge = write('huge.yaml', `# ${'x'.repeat(2 * 1024 * 1024)}\n`);
    const big = await floe('synth', '--manifest', huge, '--out', out);
    expect([big.code, big.out]).toEqual([
      1,
      [`${huge}:1:1: <root>: too large for a manifest (more than 1 MiB: is this the right file?)`],
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
    // One chart is numbered too, as the help promises (cdk8s alone would write platform.k8s.yaml).
    expect(r.out).toEqual([`platform: 101 objects -> ${path.join(out, '0000-platform.k8s.yaml')}`]);
    expect(fs.readdirSync(parent)).toEqual(['dist']);
    expect(fs.readdirSync(out).sort()).toEqual([OUTPUT_MARKER, '0000-platform.k8s.yaml']);
  });

  test('two synths write identical bytes', async () => {
    // The first is the example's synth, shared with its comparison above.
    const first = await floeOutput(EXAMPLES[2].name);
    expect(first.r.code).toBe(0);
    const b = tmpdir();
    expect((await floe('synth', ...resolveArgs(EXAMPLES[2].args), '--out', b)).code).toBe(0);
    expect(first.files).toEqual(tree(b));
  });

  test('--format helm writes a chart per chart with the platform version', async () => {
    const out = tmpdir();
    const r = await floe('synth', ...EXAMPLES[1].args, '--format', 'helm', '--out', out);
    expect(r.code).toBe(0);
    const files = outputTree(out);
    expect(Object.keys(files)).toEqual([
      'acme-platform/Chart.yaml',
      'acme-platform/templates/0000-platform.k8s.yaml',
      'floe-campaign-performance/Chart.yaml',
      'floe-campaign-performance/templates/0002-floe-campaign-performance.k8s.yaml',
      'floe-revenue-reporting/Chart.yaml',
      'floe-revenue-reporting/templates/0003-floe-revenue-reporting.k8s.yaml',
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
    // The YAML output of the same example (its synth, shared with its comparison above).
    const yaml = await floeOutput(EXAMPLES[1].name);
    expect(yaml.r.code).toBe(0);
    expect(files['floe-sales/templates/0001-floe-sales.k8s.yaml']).toBe(
      yaml.files['0001-floe-sales.k8s.yaml'],
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
      path.join(out, 'floe-platform', 'templates', '0000-platform.k8s.yaml'),
      'utf8',
    );
    expect(template).toContain('example.com/snippet: "{{ "{{" }} not a template }}"');
    expect(template.split('{{ "{{" }}').join('')).not.toContain('{{');
  });
});

describe('the production block', () => {
  const dir = 'test/fixtures/synth/production';

  /** The platform of platform-off.yaml and platform-options.yaml, with their `production` props. */
  function platformProgram(
    production: Partial<FloePlatformProps>,
    jobs: Pick<ConstructorParameters<typeof FloeJobs>[2], 'networkPolicies'>,
  ): (outdir: string) => App {
    return (outdir) => {
      const a = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
      const platform = new FloePlatform(a, 'platform', {
        platformName: 'floe',
        storage: MinIO.provider(),
        catalog: Polaris.provider(),
        orchestrator: Dagster.provider({
          codeLocations: [
            {
              name: 'analytics',
              image: { registry: 'registry.example.com', repository: 'analytics/code', tag: '1.0.0' },
              moduleName: 'analytics.definitions',
            },
          ],
        }),
        semantic: Cube.provider(),
        ...production,
      });
      const orders = new FloeJobs(a, 'floe-orders', { platform, namespace: 'floe-orders', ...jobs });
      orders.addPipeline('orders', {
        image: 'registry.example.com/sales/orders:1.0.0',
        steps: [ingest.dlt({ source: 'shopify' }), dbt.run()],
        schedule: '0 6 * * *',
      });
      return a;
    };
  }

  /** enterprise.yaml with domain.yaml. */
  function meshProgram(outdir: string): App {
    const a = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
    const enterprise = new FloePlatform(a, 'platform', {
      platformName: 'acme',
      orchestrator: 'none',
      semantic: 'none',
      disruptionBudgets: false,
      networkPolicies: false,
      monitoring: false,
      backups: { retentionDays: 7 },
    });
    const namespace = 'floe-sales-domain';
    const domain = new FloePlatform(a, namespace, {
      platformName: 'acme',
      namespace,
      sharedServices: enterprise,
      orchestrator: Dagster.provider(),
      semantic: 'none',
      sizing: 'medium',
      autoscaling: false,
      networkPolicies: false,
      monitoring: { labels: { release: 'kube-prometheus-stack' }, alerts: false },
      backups: false,
    });
    const jobs = new FloeJobs(a, `${namespace}-products`, {
      platform: domain,
      namespace,
      networkPolicies: false,
    });
    jobs.addPipeline('orders', { image: 'registry.example.com/sales/orders:1.0.0', steps: [dbt.run()] });
    return a;
  }

  const cases: {
    name: string;
    args: string[];
    program: (outdir: string) => App;
    /** Policy checks a namespace's switches turned off. */
    off?: Record<string, Partial<PolicyOptions>>;
  }[] = [
    {
      name: 'every switch off, sizing medium',
      args: ['--manifest', `${dir}/platform-off.yaml`, '--product', `${dir}/product.yaml`],
      program: platformProgram(
        {
          sizing: 'medium',
          autoscaling: false,
          disruptionBudgets: false,
          topologySpread: false,
          serviceAccounts: false,
          configChecksums: false,
          networkPolicies: false,
          monitoring: false,
          backups: false,
        },
        { networkPolicies: false },
      ),
      off: {
        'floe-platform': {
          requireServiceAccounts: false,
          requireDisruptionBudgets: false,
          requireTopologySpread: false,
          requireConfigChecksums: false,
        },
      },
    },
    {
      name: 'every feature with options, sizing heavy',
      args: ['--manifest', `${dir}/platform-options.yaml`, '--product', `${dir}/product.yaml`],
      program: platformProgram(
        {
          sizing: 'heavy',
          autoscaling: true,
          disruptionBudgets: true,
          topologySpread: true,
          serviceAccounts: true,
          configChecksums: true,
          networkPolicies: {
            dns: { cidrs: ['169.254.20.10/32'] },
            kubernetesApi: { cidrs: ['10.96.0.1/32', '172.18.0.2/32'], ports: [443] },
            ingressController: { namespace: 'traefik', podLabels: { 'app.kubernetes.io/name': 'traefik' } },
            metricsScraper: { namespace: 'observability' },
            externalCidrs: ['10.0.0.0/8'],
          },
          monitoring: {
            labels: { release: 'kube-prometheus-stack' },
            scrapeInterval: '1m',
            alerts: { failedRunsPerHour: 3, memoryLimitRatio: 0.8 },
          },
          backups: {
            schedule: '0 2 * * *',
            timeZone: 'Europe/Berlin',
            retentionDays: 14,
            prefix: 'floe/postgres',
            s3: {
              region: 'eu-west-1',
              bucket: 'acme-backups',
              accessKeyId: { name: 'backup-s3', key: 'access-key-id' },
              secretAccessKey: { name: 'backup-s3', key: 'secret-access-key' },
            },
          },
        },
        // The products follow the platform's cluster facts, not its externalCidrs.
        {
          networkPolicies: {
            dns: { cidrs: ['169.254.20.10/32'] },
            kubernetesApi: { cidrs: ['10.96.0.1/32', '172.18.0.2/32'], ports: [443] },
            ingressController: { namespace: 'traefik', podLabels: { 'app.kubernetes.io/name': 'traefik' } },
          },
        },
      ),
    },
    {
      name: 'shared services and a domain, each with its own switches',
      args: ['--manifest', `${dir}/enterprise.yaml`, '--domain', `${dir}/domain.yaml`],
      program: meshProgram,
      off: { 'floe-platform': { requireDisruptionBudgets: false } },
    },
  ];

  /** The objects `floe synth` writes for `args`, by chart file. */
  async function synthYaml(args: string[]): Promise<Record<string, string>> {
    const out = tmpdir();
    const r = await floe('synth', ...args, '--out', out);
    expect(r.err).toEqual([]);
    return outputTree(out);
  }

  test.each(cases)('$name: floe synth writes exactly what the TypeScript program synthesizes', async (c) => {
    const fromYaml = await synthYaml(c.args);
    const fromTs = tmpdir();
    c.program(fromTs).synth();
    const b = tree(fromTs);
    expect(Object.keys(fromYaml)).toEqual(Object.keys(b));
    for (const file of Object.keys(b)) {
      expect(`${file}\n${fromYaml[file]}`).toBe(`${file}\n${b[file]}`);
    }
  });

  /** The built charts of `args` (paths relative to the repository root), synthesized. */
  function build(args: string[]): { id: string; chart: FloePlatform | FloeJobs; objects: K8sObject[] }[] {
    const at = (flag: string): string[] =>
      args.flatMap((a, i) => (args[i - 1] === flag ? [path.join(root, a)] : []));
    const built = buildFromManifests(
      { manifest: at('--manifest')[0], domains: at('--domain'), products: at('--product') },
      tmpdir(),
    );
    if (!built.ok) throw new Error(built.problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n'));
    return built.charts.map((c) => ({
      id: c.chart.node.id,
      chart: c.chart as FloePlatform | FloeJobs,
      objects: Testing.synth(c.chart) as K8sObject[],
    }));
  }
  const kinds = (objects: K8sObject[]): Set<string> => new Set(objects.map((o) => o.kind));
  const named = (objects: K8sObject[], kind: string, name: string): K8sObject | undefined =>
    objects.find((o) => o.kind === kind && o.metadata.name === name);

  test.each(cases)('$name: passes the Kubernetes 1.28 schema and the restricted policy', ({ args, off }) => {
    const charts = build(args);
    expect(charts.flatMap((c) => validateObjects(c.objects))).toEqual([]);
    for (const ns of [...new Set(charts.map((c) => c.chart.namespace))]) {
      const violations = checkPolicy(objectsIn(charts, ns), {
        prerequisiteSecrets: charts.flatMap((c) => c.chart.requiredSecrets.map((s) => s.name)),
        prerequisiteConfigMaps: charts.flatMap((c) => c.chart.requiredConfigMaps),
        ...off?.[ns ?? ''],
      });
      expect([ns, violations]).toEqual([ns, []]);
    }
  });

  test('switched off: no monitoring objects, NetworkPolicies, autoscalers, budgets, spread, backups; medium sizing', () => {
    const [platform, jobs] = build(cases[0].args);
    expect(jobs.id).toBe('floe-orders');
    const all = [...platform.objects, ...jobs.objects];
    for (const kind of [
      'ServiceMonitor',
      'PrometheusRule',
      'NetworkPolicy',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'CronJob',
    ]) {
      expect([kind, kinds(platform.objects).has(kind)]).toEqual([kind, false]);
    }
    expect(kinds(jobs.objects).has('NetworkPolicy')).toBe(false);
    // Only the product's pipeline is a CronJob: no backups.
    expect(all.filter((o) => o.kind === 'CronJob').map((o) => o.metadata.name)).toEqual(['orders']);
    // medium: 2 webservers, 5 code-server pods; no autoscaler, so the Deployments set them.
    expect(get(named(platform.objects, 'Deployment', 'dagster-webserver'), 'spec.replicas')).toBe(2);
    expect(get(named(platform.objects, 'Deployment', 'dagster-analytics'), 'spec.replicas')).toBe(5);
    const templates = platform.objects
      .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
      .map((o) => get(o, 'spec.template') as Record<string, unknown>);
    expect(templates.filter((t) => get(t, 'spec.topologySpreadConstraints') !== undefined)).toEqual([]);
    expect(
      templates.filter(
        (t) =>
          get(t, 'metadata.annotations') !== undefined &&
          'checksum/config' in (get(t, 'metadata.annotations') as Record<string, string>),
      ),
    ).toEqual([]);
    expect((platform.chart as FloePlatform).requiredCustomResourceDefinitions).toEqual([]);
  });

  test('with options: heavy sizing, monitoring labels and alerts, NetworkPolicy options, backups to S3', () => {
    const [platform, jobs] = build(cases[1].args);
    const p = platform.objects;
    // heavy: 10 code-server pods; the webserver autoscales from 3.
    expect(get(named(p, 'Deployment', 'dagster-analytics'), 'spec.replicas')).toBe(10);
    expect(get(named(p, 'HorizontalPodAutoscaler', 'dagster-webserver'), 'spec.minReplicas')).toBe(3);
    const monitors = p.filter((o) => o.kind === 'ServiceMonitor' || o.kind === 'PrometheusRule');
    expect(monitors.length).toBeGreaterThan(1);
    for (const m of monitors)
      expect([m.metadata.name, m.metadata.labels?.release]).toEqual([
        m.metadata.name,
        'kube-prometheus-stack',
      ]);
    const backups = p.filter((o) => o.kind === 'CronJob');
    expect(backups.length).toBeGreaterThan(0);
    for (const b of backups) {
      expect(get(b, 'spec.schedule')).toBe('0 2 * * *');
      expect(get(b, 'spec.timeZone')).toBe('Europe/Berlin');
    }
    // The platform allows egress to its externalCidrs; the product namespace keeps any address
    // for its dlt sources, and gets the platform's DNS servers.
    const text = (objects: K8sObject[]): string =>
      JSON.stringify(objects.filter((o) => o.kind === 'NetworkPolicy'));
    expect(text(p)).toContain('10.0.0.0/8');
    expect(text(jobs.objects)).not.toContain('10.0.0.0/8');
    expect(text(jobs.objects)).toContain('169.254.20.10/32');
    expect(named(jobs.objects, 'NetworkPolicy', 'default-deny')).toBeDefined();
    // Both namespaces isolated, and every address a pod is configured with is allowed.
    const all = [...p, ...jobs.objects];
    expect(checkIsolation(all, ['floe-platform', 'floe-orders'])).toEqual([]);
    expect(
      checkConfiguredConnections(all, {
        externalCidrs: ['10.0.0.0/8'],
        apiCidrs: ['10.96.0.1/32', '172.18.0.2/32'],
        apiPorts: [443],
      }),
    ).toEqual([]);
  });

  test('backups.bucket with backups.s3 is a positioned problem: the bucket is s3.bucket', async () => {
    const file = path.join(tmpdir(), 'platform.yaml');
    fs.writeFileSync(
      file,
      [
        'apiVersion: floe.dev/v1',
        'kind: PlatformManifest',
        'metadata:',
        '  name: floe',
        "  version: '1.0.0'",
        'production:',
        '  backups:',
        '    bucket: floe-backups',
        '    s3:',
        '      region: eu-west-1',
        '      bucket: acme-backups',
        '      credentialsSecret: { name: backup-s3 }',
        '',
      ].join('\n'),
    );
    const r = await floe('synth', '--manifest', file, '--out', tmpdir());
    expect([r.code, r.out]).toEqual([
      1,
      [
        `${file}:8:13: production.backups.bucket: not allowed (got 'floe-backups', expected no bucket when s3 is given: the bucket is s3.bucket)`,
      ],
    ]);
  });

  test('mesh: each chart follows its own manifest; the domain products follow the domain', () => {
    const [enterprise, domain, products] = build(cases[2].args);
    expect([enterprise.id, domain.id, products.id]).toEqual([
      'platform',
      'floe-sales-domain',
      'floe-sales-domain-products',
    ]);
    expect(kinds(enterprise.objects).has('PodDisruptionBudget')).toBe(false);
    expect(kinds(enterprise.objects).has('ServiceMonitor')).toBe(false);
    // Backups of the shared databases (catalog-db), kept 7 days.
    const retention = enterprise.objects
      .filter((o) => o.kind === 'CronJob')
      .map((o) => {
        const containers = get(o, 'spec.jobTemplate.spec.template.spec.containers') as {
          env?: { name: string; value?: string }[];
        }[];
        return containers.flatMap((c) => c.env ?? []).find((e) => e.name === 'RETENTION_DAYS')?.value;
      });
    expect(retention).toEqual(['7']);
    expect(kinds(domain.objects).has('NetworkPolicy')).toBe(false);
    expect(kinds(domain.objects).has('CronJob')).toBe(false);
    expect(kinds(domain.objects).has('PrometheusRule')).toBe(false);
    expect(
      domain.objects.filter((o) => o.kind === 'ServiceMonitor').map((o) => o.metadata.labels?.release),
    ).toContain('kube-prometheus-stack');
    expect(get(named(domain.objects, 'Deployment', 'dagster-webserver'), 'spec.replicas')).toBe(2);
    expect(kinds(products.objects).has('NetworkPolicy')).toBe(false);
  });
});
