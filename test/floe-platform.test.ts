import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { FloePlatform, FloePlatformProps } from '../src/platform/floe-platform';
import { CatalogPlugin, PlatformDependencies, PluginProvider } from '../src/plugins/interfaces';
import { ExternalS3 } from '../src/plugins/storage/external-s3';
import { OtelCollector } from '../src/plugins/observability/otel-collector';
import { Marquez } from '../src/plugins/observability/marquez';
import { Jaeger } from '../src/plugins/observability/jaeger';
import { validateObjects } from './support/k8s-schema';
import { allowedEdges, checkConfiguredConnections, checkIsolation, declaredEdges } from './support/network';
import { checkPolicy } from './support/policy';
import { deepFreeze, findObject, get, K8sObject, once } from './support/synth';

function build(props: FloePlatformProps = {}): { platform: FloePlatform; objects: K8sObject[] } {
  const app = Testing.app();
  const platform = new FloePlatform(app, 'platform', props);
  return { platform, objects: Testing.synth(platform) as K8sObject[] };
}

const EXTERNAL_DB = {
  host: 'pg.example.internal',
  passwordSecret: { name: 'external-pg', key: 'postgresql-password' },
};

const VARIATIONS: [string, FloePlatformProps][] = [
  ['default', {}],
  ['no semantic layer', { semantic: 'none' }],
  [
    'external PostgreSQL',
    { externalDatabases: { 'orchestrator-db': EXTERNAL_DB, 'catalog-db': { ...EXTERNAL_DB, port: 6432 } } },
  ],
  [
    'external S3',
    {
      storage: ExternalS3.provider({
        region: 'eu-west-1',
        bucket: 'acme-lakehouse',
        accessKeyId: { name: 'aws-s3', key: 'access-key-id' },
        secretAccessKey: { name: 'aws-s3', key: 'secret-access-key' },
      }),
    },
  ],
  ['DaemonSet collector', { telemetry: OtelCollector.provider({ mode: 'daemonset' }) }],
  ['Marquez and Jaeger on', { lineage: Marquez.provider(), tracing: Jaeger.provider() }],
];

/**
 * Each variation's platform, built once and shared by its tests and the tests below that read the
 * same platform (its objects frozen: no test may change another's input).
 */
const variations = new Map(
  VARIATIONS.map(([name, props]) => [
    name,
    once(() => {
      const b = build(props);
      return { platform: b.platform, objects: deepFreeze(b.objects) };
    }),
  ]),
);
function variation(name: string): { platform: FloePlatform; objects: K8sObject[] } {
  const shared = variations.get(name);
  if (shared === undefined) throw new Error(`no variation ${name}`);
  return shared();
}

/** `build({ lineage: Marquez.provider() })`, shared by the tests that read it. */
const withMarquez = once(() => {
  const b = build({ lineage: Marquez.provider() });
  return { platform: b.platform, objects: deepFreeze(b.objects) };
});

describe('FloePlatform', () => {
  describe.each(VARIATIONS)('%s', (name) => {
    const { platform, objects } = variation(name);

    test('matches the reviewed snapshot', () => {
      expect(objects).toMatchSnapshot();
    });

    test('every object passes strict Kubernetes 1.28 schema validation', () => {
      expect(validateObjects(objects)).toEqual([]);
    });

    test('every pod meets the restricted policy and every reference resolves', () => {
      expect(
        checkPolicy(objects, {
          prerequisiteSecrets: platform.requiredSecrets.map((s) => s.name),
          prerequisiteConfigMaps: platform.requiredConfigMaps,
        }),
      ).toEqual([]);
    });

    test('every namespaced object lives in the platform namespace', () => {
      const namespaced = objects.filter((o) => o.kind !== 'Namespace');
      expect(namespaced.filter((o) => o.metadata.namespace !== 'floe-platform')).toEqual([]);
    });

    test('no Secret object is written (secrets are referenced, never created)', () => {
      expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    });

    test('network isolation: every pod isolated, exactly the declared paths, every configured address allowed', () => {
      expect(checkIsolation(objects, ['floe-platform'])).toEqual([]);
      expect(allowedEdges(objects)).toEqual(declaredEdges(platform.node.root, objects));
      expect(checkConfiguredConnections(objects)).toEqual([]);
    });
  });

  test('creates the namespace first, enforcing Pod Security restricted', () => {
    const { objects } = variation('default');
    expect(objects[0].kind).toBe('Namespace');
    expect(objects[0].metadata.namespace).toBeUndefined();
    expect(objects[0].metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'v1.28',
    });
  });

  test('writes objects in the documented startup order', () => {
    const { objects } = variation('Marquez and Jaeger on');
    const first = (kind: string, name: string): number =>
      objects.findIndex((o) => o.kind === kind && o.metadata.name === name);
    const order = [
      first('StatefulSet', 'minio'),
      first('StatefulSet', 'orchestrator-db'),
      first('StatefulSet', 'catalog-db'),
      first('StatefulSet', 'lineage-db'),
      first('Deployment', 'polaris'),
      first('Deployment', 'jaeger'),
      first('StatefulSet', 'prometheus'),
      first('Deployment', 'otel-collector'),
      first('Deployment', 'marquez'),
      first('Deployment', 'dagster-webserver'),
      first('Deployment', 'cube'),
    ];
    expect(order.every((i) => i >= 0)).toBe(true);
    const storage = order.slice(0, 4);
    const [catalog, , , , , orchestrator, semantic] = order.slice(4);
    const observability = order.slice(5, 9);
    expect(Math.max(...storage)).toBeLessThan(catalog);
    expect(catalog).toBeLessThan(Math.min(...observability));
    expect(Math.max(...observability)).toBeLessThan(orchestrator);
    expect(orchestrator).toBeLessThan(semantic);
  });

  test('services have the names and ports of the floe docs', () => {
    const { objects } = variation('default');
    const port = (name: string, p: number): unknown =>
      (get(findObject(objects, 'Service', name), 'spec.ports') as { port: number }[]).some(
        (x) => x.port === p,
      );
    expect(port('polaris', 8181)).toBe(true);
    expect(port('cube', 4000)).toBe(true);
    expect(port('dagster-webserver', 3000)).toBe(true);
    expect(port('otel-collector', 4317)).toBe(true);
  });

  test('every service with a Prometheus metrics endpoint is annotated for discovery', () => {
    const { objects } = variation('Marquez and Jaeger on');
    const scraped = objects
      .filter((o) => o.kind === 'Service' && o.metadata.annotations?.['prometheus.io/scrape'] === 'true')
      .map(
        (o) =>
          `${o.metadata.name} ${o.metadata.annotations?.['prometheus.io/port']}${o.metadata.annotations?.['prometheus.io/path']}`,
      )
      .sort();
    expect(scraped).toEqual([
      'cubestore-router 9102/metrics',
      'cubestore-workers 9102/metrics',
      'dagster-metrics 9399/metrics',
      'grafana 3000/metrics',
      'jaeger 8888/metrics',
      'marquez 5000/metrics',
      'minio 9000/minio/v2/metrics/cluster',
      'otel-collector 8888/metrics',
      'polaris 8182/q/metrics',
    ]);
    const prometheusYaml = (findObject(objects, 'ConfigMap', 'prometheus').data as Record<string, string>)[
      'prometheus.yml'
    ];
    expect(prometheusYaml).toContain('__meta_kubernetes_service_annotation_prometheus_io_scrape');
  });

  test('writes the client configuration runs need and hands it to the orchestrator run launcher', () => {
    const { objects } = withMarquez();
    const data = findObject(objects, 'ConfigMap', 'floe-platform-config').data as Record<string, string>;
    expect(data).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.floe-platform.svc.cluster.local:4317',
      OPENLINEAGE_URL: 'http://marquez.floe-platform.svc.cluster.local:5000',
      FLOE_CATALOG_URI: 'http://polaris.floe-platform.svc.cluster.local:8181/api/catalog',
      FLOE_CATALOG_WAREHOUSE: 'floe',
      FLOE_S3_ENDPOINT: 'http://minio.floe-platform.svc.cluster.local:9000',
      FLOE_WAREHOUSE_BUCKET: 'floe-warehouse',
    });
    expect(Object.values(data).join(' ')).not.toMatch(/password|secret/i);
    const dagsterYaml = (findObject(objects, 'ConfigMap', 'dagster-instance').data as Record<string, string>)[
      'dagster.yaml'
    ];
    expect(dagsterYaml).toContain('env_config_maps:\n      - floe-platform-config');
  });

  test('exposes fully qualified endpoints for jobs and clients', () => {
    const { platform } = withMarquez();
    expect(platform.endpoints).toMatchObject({
      namespace: 'floe-platform',
      catalogUri: 'http://polaris.floe-platform.svc.cluster.local:8181/api/catalog',
      otlpGrpcEndpoint: 'http://otel-collector.floe-platform.svc.cluster.local:4317',
      otlpHttpEndpoint: 'http://otel-collector.floe-platform.svc.cluster.local:4318',
      s3Endpoint: 'http://minio.floe-platform.svc.cluster.local:9000',
      warehouseBucket: 'floe-warehouse',
      orchestratorUrl: 'http://dagster-webserver.floe-platform.svc.cluster.local:3000',
      semanticApiUrl: 'http://cube.floe-platform.svc.cluster.local:4000',
      lineageUrl: 'http://marquez.floe-platform.svc.cluster.local:5000',
    });
  });

  test('follows a custom namespace in every DNS name', () => {
    const { platform, objects } = build({ namespace: 'data-platform' });
    expect(platform.endpoints.catalogUri).toBe(
      'http://polaris.data-platform.svc.cluster.local:8181/api/catalog',
    );
    expect(objects.filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== 'data-platform')).toEqual(
      [],
    );
    expect(JSON.stringify(objects)).not.toContain('floe-platform.svc');
  });

  test('a slot takes any implementation of its interface, and receives what the platform has', () => {
    let seen: PlatformDependencies | undefined;
    // A stand-in for an alternative catalog (say, Nessie): it only has to implement CatalogPlugin.
    const otherCatalog: PluginProvider<CatalogPlugin> = {
      database: { name: 'nessie-db', database: 'nessie', username: 'nessie' },
      provide(scope: Construct, id: string, deps: PlatformDependencies): CatalogPlugin {
        seen = deps;
        new k8s.KubeConfigMap(scope, id, {
          metadata: {
            name: 'other-catalog',
            labels: {
              'app.kubernetes.io/name': 'other-catalog',
              'app.kubernetes.io/instance': 'other-catalog',
              'app.kubernetes.io/component': 'catalog',
              'app.kubernetes.io/part-of': deps.platformName,
              'app.kubernetes.io/managed-by': 'cdk8s',
              'app.kubernetes.io/version': '1.0.0',
            },
          },
          data: { uri: 'http://other-catalog:19120/iceberg' },
        });
        return { catalogUri: 'http://other-catalog:19120/iceberg', warehouse: 'lake', requiredSecrets: [] };
      },
    };
    const { platform, objects } = build({ catalog: otherCatalog });
    expect(platform.endpoints.catalogUri).toBe('http://other-catalog:19120/iceberg');
    expect(objects.some((o) => o.metadata.labels?.['app.kubernetes.io/name'] === 'polaris')).toBe(false);
    expect(objects.some((o) => o.kind === 'StatefulSet' && o.metadata.name === 'nessie-db')).toBe(true);
    expect(objects.some((o) => o.kind === 'StatefulSet' && o.metadata.name === 'catalog-db')).toBe(false);
    expect(seen?.database?.host).toBe('nessie-db.floe-platform.svc.cluster.local');
    expect(seen?.storage?.endpoint).toBe('http://minio.floe-platform.svc.cluster.local:9000');
    expect(seen?.telemetry?.otlpGrpcEndpoint).toBe(
      'http://otel-collector.floe-platform.svc.cluster.local:4317',
    );
  });

  test('semantic: none deploys no Cube', () => {
    const { platform, objects } = variation('no semantic layer');
    expect(platform.semantic).toBeUndefined();
    expect(platform.endpoints.semanticApiUrl).toBeUndefined();
    expect(
      objects.filter((o) => (o.metadata.labels ?? {})['app.kubernetes.io/name']?.startsWith('cube')),
    ).toEqual([]);
  });

  test('an external database replaces the in-cluster instance and is waited for', () => {
    const { objects } = build({ externalDatabases: { 'orchestrator-db': EXTERNAL_DB } });
    expect(objects.some((o) => o.kind === 'StatefulSet' && o.metadata.name === 'orchestrator-db')).toBe(
      false,
    );
    expect(objects.some((o) => o.kind === 'StatefulSet' && o.metadata.name === 'catalog-db')).toBe(true);
    const init = get(
      findObject(objects, 'Deployment', 'dagster-daemon'),
      'spec.template.spec.initContainers',
    ) as {
      command: string[];
    }[];
    expect(init.some((c) => c.command.join(' ').includes('pg_isready -h pg.example.internal -p 5432'))).toBe(
      true,
    );
  });

  test('names the required Secrets and prints the commands that create them', () => {
    const { platform } = variation('default');
    const names = platform.requiredSecrets.map((s) => s.name);
    expect(names).toEqual([...names].sort());
    expect(names).toContain('orchestrator-db-credentials');
    expect(names).toContain('catalog-db-credentials');
    expect(platform.prerequisiteCommands()).toContain(
      'kubectl -n floe-platform create secret generic orchestrator-db-credentials --from-literal=postgresql-password=<postgresql-password>',
    );
  });

  test('the README lists every Secret the default platform needs', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const { platform } = variation('default');
    for (const command of platform.prerequisiteCommands()) {
      expect(readme).toContain(command);
    }
  });

  test.each([
    [
      { namespace: 'Floe_Platform' },
      /platform: invalid namespace: got "Floe_Platform", expected a DNS-1123 label/,
    ],
    [
      { externalDatabases: { 'orders-db': EXTERNAL_DB } },
      /platform: invalid externalDatabases.orders-db: got "orders-db", expected the name of a database a plugin uses: catalog-db, orchestrator-db/,
    ],
  ])('rejects %j', (props, message) => {
    expect(() => build(props as FloePlatformProps)).toThrow(message);
  });

  test('two synths give identical bytes', () => {
    const synthTo = (): string => {
      const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-synth-'));
      const app = new App({ outdir });
      new FloePlatform(app, 'platform', { lineage: Marquez.provider(), tracing: Jaeger.provider() });
      app.synth();
      const files = fs.readdirSync(outdir).sort();
      const content = files.map((f) => `${f}\n${fs.readFileSync(path.join(outdir, f), 'utf8')}`).join('\n');
      fs.rmSync(outdir, { recursive: true, force: true });
      return content;
    };
    const a = synthTo();
    expect(a.length).toBeGreaterThan(10000);
    expect(synthTo()).toBe(a);
  });
});
