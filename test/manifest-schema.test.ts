import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { formatProblem } from '../src/manifest/errors';
import { jsonSchemaFiles, jsonSchemaOf } from '../src/manifest/json-schema';
import { loadManifestFile, parseManifest } from '../src/manifest/loader';
import { DataProduct, ManifestKind, PlatformManifest, SCHEMA_FILES } from '../src/manifest/schema';

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

  test('single platform, platform with two products, three-domain mesh', () => {
    expect(files.sort()).toEqual([
      'examples/mesh/domains/finance.yaml',
      'examples/mesh/domains/marketing.yaml',
      'examples/mesh/domains/sales.yaml',
      'examples/mesh/enterprise.yaml',
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
