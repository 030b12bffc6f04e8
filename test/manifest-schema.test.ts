import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { formatProblem } from '../src/manifest/errors';
import { jsonSchemaFiles, jsonSchemaOf } from '../src/manifest/json-schema';
import { loadManifestFile, parseManifest } from '../src/manifest/loader';
import { DataProduct, ManifestKind, PlatformManifest, SCHEMA_FILES } from '../src/manifest/schema';
import { enterpriseProps, platformProps } from '../src/manifest/to-props';

const root = path.join(__dirname, '..');

function examples(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return examples(p);
    return e.name.endsWith('.yaml') ? [p] : [];
  });
}

function valid(text: string): PlatformManifest | DataProduct {
  const result = parseManifest(text, 'snippet.yaml');
  if (!result.ok) {
    throw new Error(result.problems.map(formatProblem).join('\n'));
  }
  if (result.manifest.kind !== 'PlatformManifest' && result.manifest.kind !== 'DataProduct') {
    throw new Error(`unexpected kind ${result.manifest.kind}`);
  }
  return result.manifest;
}

describe('examples', () => {
  const files = examples(path.join(root, 'examples')).map((f) => path.relative(root, f));

  test('single platform, platform with three products, three-domain mesh', () => {
    expect(files.sort()).toEqual([
      'examples/mesh/domains/finance.yaml',
      'examples/mesh/domains/marketing.yaml',
      'examples/mesh/domains/sales.yaml',
      'examples/mesh/enterprise.yaml',
      'examples/platform-with-products/finance/floe.yaml',
      'examples/platform-with-products/marketing/floe.yaml',
      'examples/platform-with-products/platform-manifest.yaml',
      'examples/platform-with-products/sales/floe.yaml',
      'examples/platform/platform-manifest.yaml',
    ]);
  });

  test.each(files)('%s is valid', (file) => {
    const result = loadManifestFile(path.join(root, file));
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([]);
  });

  test('kinds by file', () => {
    const kinds = Object.fromEntries(
      files.map((f) => {
        const r = loadManifestFile(path.join(root, f));
        return [f, r.ok ? r.manifest.kind : 'invalid'];
      }),
    );
    expect(kinds).toEqual({
      'examples/mesh/domains/finance.yaml': 'DomainManifest',
      'examples/mesh/domains/marketing.yaml': 'DomainManifest',
      'examples/mesh/domains/sales.yaml': 'DomainManifest',
      'examples/mesh/enterprise.yaml': 'EnterpriseManifest',
      'examples/platform-with-products/finance/floe.yaml': 'DataProduct',
      'examples/platform-with-products/marketing/floe.yaml': 'DataProduct',
      'examples/platform-with-products/platform-manifest.yaml': 'PlatformManifest',
      'examples/platform-with-products/sales/floe.yaml': 'DataProduct',
      'examples/platform/platform-manifest.yaml': 'PlatformManifest',
    });
  });
});

describe('PlatformManifest', () => {
  const header =
    "apiVersion: floe.dev/v1\nkind: PlatformManifest\nmetadata:\n  name: floe\n  version: '1.0.0'\n";

  test("the issue's snippet parses unchanged, to the typed values", () => {
    const snippet = [
      'services:',
      '  orchestrator:',
      '    ingress:',
      '      enabled: true',
      '      host: dagster.platform.example.com',
      'orchestrator:',
      '  type: dagster',
      '  daemon:',
      '    mode: single',
      '    restart_timeout: 60s',
      '    health_check_interval: 30s',
      '',
    ].join('\n');
    const manifest = valid(header + snippet) as PlatformManifest;
    expect(manifest.services?.orchestrator?.ingress).toEqual({
      enabled: true,
      host: 'dagster.platform.example.com',
    });
    expect(manifest.orchestrator).toEqual({
      type: 'dagster',
      daemon: { mode: 'single', restart_timeout: '60s', health_check_interval: '30s' },
    });
  });

  test('the minimal manifest is apiVersion, kind and metadata; nothing is defaulted by the schema', () => {
    expect(valid(header)).toEqual({
      apiVersion: 'floe.dev/v1',
      kind: 'PlatformManifest',
      metadata: { name: 'floe', version: '1.0.0' },
    });
  });

  test('external catalog and S3 storage', () => {
    const manifest = valid(
      header +
        'catalog:\n  type: external\n  uri: https://polaris.example.com/api/catalog\n  warehouse: lake\n' +
        'storage:\n  type: s3\n  region: eu-west-1\n  bucket: lake\n  credentialsSecret:\n    name: s3-keys\n',
    ) as PlatformManifest;
    expect(manifest.catalog).toEqual({
      type: 'external',
      uri: 'https://polaris.example.com/api/catalog',
      warehouse: 'lake',
    });
    expect(manifest.storage).toEqual({
      type: 's3',
      region: 'eu-west-1',
      bucket: 'lake',
      credentialsSecret: { name: 's3-keys' },
    });
  });

  test.each([
    [
      'durations',
      'orchestrator:\n  type: dagster\n  daemon:\n    restart_timeout: 1min\n',
      'orchestrator.daemon.restart_timeout',
    ],
    [
      'ports',
      'database:\n  external:\n    catalog-db:\n      host: db\n      port: 0\n      passwordSecret: { name: s, key: k }\n',
      'database.external.catalog-db.port',
    ],
    [
      'database instances',
      'database:\n  external:\n    orchestratordb: {}\n',
      'database.external.orchestratordb',
    ],
    ['latest tags', 'services:\n  catalog:\n    image:\n      tag: latest\n', 'services.catalog.image.tag'],
    ['replicas', 'services:\n  catalog:\n    replicas: 1.5\n', 'services.catalog.replicas'],
  ])('refuses bad %s', (_what, body, field) => {
    const result = parseManifest(header + body, 'm.yaml');
    expect(result.ok ? [] : result.problems.map((p) => p.path)).toEqual([field]);
  });
});

describe('production block', () => {
  const head = (kind: string, extra = ''): string =>
    `apiVersion: floe.dev/v1\nkind: ${kind}\nmetadata:\n  name: floe\n  version: '1.0.0'\n${extra}`;
  const parse = (text: string) => {
    const result = parseManifest(text, 'm.yaml');
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
    return result.manifest;
  };
  const noProblems = (): never => {
    throw new Error('unexpected problem');
  };

  test('every key, to the typed values and to the FloePlatformProps of the same name', () => {
    const m = parse(
      head(
        'PlatformManifest',
        [
          'production:',
          '  sizing: medium',
          '  autoscaling: false',
          '  disruptionBudgets: false',
          '  topologySpread: true',
          '  serviceAccounts: false',
          '  configChecksums: true',
          '  networkPolicies: { externalCidrs: [10.0.0.0/8, fd00::/8], kubernetesApi: { ports: [6443] } }',
          '  monitoring: { scrapeInterval: 1h30m, alerts: false }',
          '  backups: { timezone: UTC, bucket: my-backups, createBucket: false }',
          '',
        ].join('\n'),
      ),
    ) as PlatformManifest;
    const props = platformProps(m, noProblems);
    expect({
      sizing: props.sizing,
      autoscaling: props.autoscaling,
      disruptionBudgets: props.disruptionBudgets,
      topologySpread: props.topologySpread,
      serviceAccounts: props.serviceAccounts,
      configChecksums: props.configChecksums,
      networkPolicies: props.networkPolicies,
      monitoring: props.monitoring,
      backups: props.backups,
    }).toEqual({
      sizing: 'medium',
      autoscaling: false,
      disruptionBudgets: false,
      topologySpread: true,
      serviceAccounts: false,
      configChecksums: true,
      networkPolicies: { externalCidrs: ['10.0.0.0/8', 'fd00::/8'], kubernetesApi: { ports: [6443] } },
      monitoring: { scrapeInterval: '1h30m', alerts: false },
      backups: { timeZone: 'UTC', bucket: 'my-backups', createBucket: false },
    });
  });

  test('true is on with the defaults (the prop left out), false is off; nothing is defaulted', () => {
    const on = platformProps(
      parse(
        head(
          'PlatformManifest',
          'production:\n  networkPolicies: true\n  monitoring: { alerts: true }\n  backups: true\n',
        ),
      ) as PlatformManifest,
      noProblems,
    );
    expect([on.networkPolicies, on.monitoring, on.backups]).toEqual([undefined, {}, undefined]);
    expect('networkPolicies' in on || 'backups' in on || 'sizing' in on || 'autoscaling' in on).toBe(false);
    const off = platformProps(
      parse(
        head(
          'PlatformManifest',
          'production:\n  networkPolicies: false\n  monitoring: false\n  backups: false\n',
        ),
      ) as PlatformManifest,
      noProblems,
    );
    expect([off.networkPolicies, off.monitoring, off.backups]).toEqual([false, false, false]);
  });

  test('shared services take every switch but sizing; a domain takes sizing too', () => {
    const enterprise = parse(
      head('EnterpriseManifest', 'production:\n  monitoring: false\n  autoscaling: false\n'),
    );
    if (enterprise.kind !== 'EnterpriseManifest') throw new Error(enterprise.kind);
    expect(enterpriseProps(enterprise, noProblems)).toMatchObject({ monitoring: false, autoscaling: false });
    const sized = parseManifest(head('EnterpriseManifest', 'production:\n  sizing: heavy\n'), 'e.yaml');
    expect(sized.ok ? [] : sized.problems.map(formatProblem)).toEqual([
      'e.yaml:7:3: production.sizing: unknown field (expected one of autoscaling, disruptionBudgets, topologySpread, serviceAccounts, configChecksums, networkPolicies, monitoring, backups)',
    ]);
    const domain = parse(
      head('DomainManifest', 'enterprise:\n  ref: acme\nproduction:\n  sizing: heavy\n  backups: false\n'),
    );
    expect(domain.kind === 'DomainManifest' ? domain.production : undefined).toEqual({
      sizing: 'heavy',
      backups: false,
    });
  });

  test.each([
    [
      'sizing',
      'sizing: huge',
      "7:11: production.sizing: not allowed (got 'huge', expected 'light', 'medium' or 'heavy')",
    ],
    [
      'a switch',
      'autoscaling: 1',
      '7:16: production.autoscaling: wrong type (got 1, expected true or false)',
    ],
    [
      'an IPv6 CIDR without a prefix',
      'networkPolicies: { externalCidrs: [fd00::1] }',
      "7:38: production.networkPolicies.externalCidrs[0]: invalid value (got 'fd00::1', expected a CIDR: an IPv4 or IPv6 address with a prefix length, e.g. '10.0.0.0/8' or 'fd00::/8')",
    ],
    [
      'a DNS pod label key',
      "networkPolicies: { dns: { podLabels: { 'k8s app': kube-dns } } }",
      "7:42: production.networkPolicies.dns.podLabels[\"k8s app\"]: invalid key (got 'k8s app', expected a label key of the form 'prefix/name' or 'name')",
    ],
    [
      'a scrape interval in the wrong unit order',
      'monitoring: { scrapeInterval: 30s1m }',
      "7:33: production.monitoring.scrapeInterval: invalid value (got '30s1m', expected a non-zero Prometheus duration: units y, w, d, h, m, s, ms in that order, e.g. '30s', '2m', '1h30m')",
    ],
    [
      'an alert threshold',
      'monitoring: { alerts: { runDurationP99Seconds: 1.5 } }',
      '7:50: production.monitoring.alerts.runDurationP99Seconds: wrong type (got 1.5, expected an integer >= 1)',
    ],
    [
      'a backup field',
      'backups: { retentionDay: 30 }',
      "7:14: production.backups.retentionDay: unknown field, did you mean 'retentionDays'? (expected one of schedule, timezone, retentionDays, prefix, bucket, s3, createBucket, activeDeadlineSeconds, backoffLimit, resources, uploadResources, dumpImage, uploadImage)",
    ],
    [
      'a backup deadline',
      'backups: { activeDeadlineSeconds: 30 }',
      '7:37: production.backups.activeDeadlineSeconds: invalid value (got 30, expected an integer >= 60)',
    ],
  ])('refuses %s, positioned', (_what, line, expected) => {
    const result = parseManifest(head('PlatformManifest', `production:\n  ${line}\n`), 'm.yaml');
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([`m.yaml:${expected}`]);
  });
});

describe('DataProduct', () => {
  test("floe's docs snippet parses, with the image a pipeline needs", () => {
    const text = [
      'apiVersion: floe.dev/v1',
      'kind: DataProduct',
      'metadata:',
      '  name: customer-analytics',
      '  version: "1.0"',
      '',
      'platform:',
      '  ref: oci://registry.example.com/floe-platform:v1.2.3  # Inherit platform config',
      '',
      'transforms:',
      '  - type: dbt',
      '    path: models/',
      '',
      'schedule:',
      '  cron: "0 6 * * *"',
      'image: registry.example.com/analytics/customer-analytics:1.0.0',
      '',
    ].join('\n');
    const product = valid(text) as DataProduct;
    expect(product.transforms).toEqual([{ type: 'dbt', path: 'models/' }]);
    expect(product.schedule).toEqual({ cron: '0 6 * * *' });
    expect(product.platform.ref).toBe('oci://registry.example.com/floe-platform:v1.2.3');
  });
});

describe('JSON Schemas', () => {
  test('one per kind, strict, from the zod schemas', () => {
    for (const kind of Object.keys(SCHEMA_FILES) as ManifestKind[]) {
      const schema = jsonSchemaOf(kind);
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(schema.additionalProperties).toBe(false);
      expect(schema.required).toEqual(expect.arrayContaining(['apiVersion', 'kind', 'metadata']));
      const properties = schema.properties as Record<string, { const?: unknown }>;
      expect(properties.kind.const).toBe(kind);
    }
  });

  test('the committed schemas/*.json equal what the schemas generate (else run `node scripts/schemas.js`)', () => {
    // Prettier formats the files, and it needs dynamic import(), which jest's VM lacks: run the
    // generator in its own node process, in check mode (it writes nothing and exits 1 when stale).
    expect(Object.keys(jsonSchemaFiles()).sort()).toEqual(fs.readdirSync(path.join(root, 'schemas')).sort());
    const check = spawnSync(process.execPath, [path.join(root, 'scripts', 'schemas.js'), '--check'], {
      encoding: 'utf8',
    });
    expect({ status: check.status, stdout: check.stdout, stderr: check.stderr }).toEqual({
      status: 0,
      stdout: '',
      stderr: '',
    });
  }, 60_000);
});
