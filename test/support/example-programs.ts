/**
 * The examples in examples/ written as TypeScript programs, by hand, from the manifests' text.
 * `floe synth` of each example must write exactly what these programs synthesize: the YAML front
 * door and the TypeScript API are two ways to the same charts.
 */
import { App, YamlOutputType } from 'cdk8s';
import { FloeJobs } from '../../src/jobs/floe-jobs';
import { dbt, ingest, quality } from '../../src/jobs/steps';
import { FloePlatform, FloePlatformProps } from '../../src/platform/floe-platform';
import { Polaris } from '../../src/plugins/catalog/polaris';
import { Grafana } from '../../src/plugins/observability/grafana';
import { Jaeger } from '../../src/plugins/observability/jaeger';
import { Marquez } from '../../src/plugins/observability/marquez';
import { OtelCollector } from '../../src/plugins/observability/otel-collector';
import { Prometheus } from '../../src/plugins/observability/prometheus';
import { Dagster } from '../../src/plugins/orchestrator/dagster';
import { Cube } from '../../src/plugins/semantic/cube';
import { ExternalS3 } from '../../src/plugins/storage/external-s3';
import { MinIO } from '../../src/plugins/storage/minio';

function app(outdir: string): App {
  return new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
}

/** examples/platform/platform-manifest.yaml */
export function singlePlatform(outdir: string): App {
  const a = app(outdir);
  new FloePlatform(a, 'platform', {
    platformName: 'floe',
    namespace: 'floe-platform',
    imageRegistry: 'registry.example.com/mirror',
    imagePullSecrets: ['registry-credentials'],
    storage: MinIO.provider({ warehouseBucket: 'floe-warehouse' }),
    catalog: Polaris.provider({ replicas: 2, warehouse: 'floe' }),
    tracing: Jaeger.provider(),
    lineage: Marquez.provider(),
    metrics: Prometheus.provider(),
    dashboards: Grafana.provider(),
    telemetry: OtelCollector.provider({ mode: 'deployment' }),
    orchestrator: Dagster.provider({
      webserver: {
        replicas: 2,
        resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '1000m', memory: '1Gi' } },
      },
      daemon: { mode: 'single', healthCheckIntervalSeconds: 30, restartTimeoutSeconds: 60 },
    }),
    semantic: Cube.provider(),
    externalDatabases: {
      'orchestrator-db': {
        host: 'orchestrator-db.example.internal',
        port: 5432,
        passwordSecret: { name: 'dagster-postgresql', key: 'postgresql-password' },
      },
    },
    ingress: {
      orchestrator: {
        host: 'dagster.platform.example.com',
        className: 'nginx',
        tlsSecretName: 'dagster-tls',
        annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt-prod' },
      },
    },
  });
  return a;
}

/**
 * examples/platform-with-products: the platform, then sales/floe.yaml, marketing/floe.yaml and
 * finance/floe.yaml (no image: the platform's product image prefix, and the product's version).
 */
export function platformWithProducts(outdir: string): App {
  const a = app(outdir);
  const platform = new FloePlatform(a, 'platform', {
    platformName: 'acme',
    namespace: 'acme-platform',
    storage: ExternalS3.provider({
      region: 'eu-west-1',
      bucket: 'acme-lakehouse',
      accessKeyId: { name: 'acme-s3', key: 'access-key-id' },
      secretAccessKey: { name: 'acme-s3', key: 'secret-access-key' },
    }),
    catalog: Polaris.provider(),
    lineage: Marquez.provider(),
    orchestrator: Dagster.provider(),
    semantic: 'none',
    productImageRepositoryPrefix: 'registry.example.com/acme-products',
  });
  const sales = new FloeJobs(a, 'floe-sales', { platform, namespace: 'floe-sales' });
  sales.addPipeline('customer-360', {
    image: 'registry.example.com/sales/customer-360:1.4.2',
    steps: [
      ingest.dlt({ source: 'shopify' }),
      dbt.run({ projectDir: '/app/dbt', select: 'tag:daily' }),
      dbt.test({ select: 'tag:daily' }),
      quality.check(),
    ],
    schedule: '0 6 * * *',
    timeZone: 'Europe/Berlin',
    credentials: [
      {
        secretName: 'shopify-api',
        env: { SOURCES__SHOPIFY_DLT__PRIVATE_APP_PASSWORD: 'private-app-password' },
      },
      { secretName: 'sales-warehouse' },
    ],
    activeDeadlineSeconds: 14400,
  });
  const marketing = new FloeJobs(a, 'floe-campaign-performance', {
    platform,
    namespace: 'floe-campaign-performance',
  });
  marketing.addPipeline('campaign-performance', {
    image: 'registry.example.com/marketing/campaigns:0.3.0',
    steps: [
      dbt.run({ target: 'prod', vars: { lookback_days: 30 } }),
      quality.check({ select: 'tag:campaigns' }),
    ],
    resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '4Gi' } },
  });
  const finance = new FloeJobs(a, 'floe-revenue-reporting', {
    platform,
    namespace: 'floe-revenue-reporting',
  });
  finance.addPipeline('revenue-reporting', {
    version: '1.2.3',
    steps: [dbt.run({ select: 'tag:finance' }), dbt.test({ select: 'tag:finance' })],
    schedule: '0 */6 * * *',
    timeZone: 'UTC',
  });
  return a;
}

/** examples/mesh: enterprise.yaml, then the domains sales, marketing and finance. */
export function mesh(outdir: string): App {
  const a = app(outdir);
  const enterprise = new FloePlatform(a, 'platform', {
    platformName: 'acme',
    namespace: 'floe-platform',
    storage: MinIO.provider(),
    catalog: Polaris.provider({ warehouse: 'acme' }),
    lineage: Marquez.provider(),
    tracing: Jaeger.provider(),
    telemetry: OtelCollector.provider({ mode: 'daemonset' }),
    orchestrator: 'none',
    semantic: 'none',
    ingress: { lineage: { host: 'lineage.acme.example.com' } },
  });
  const domain = (
    name: string,
    props: Pick<FloePlatformProps, 'semantic' | 'orchestrator' | 'externalDatabases'>,
  ): { platform: FloePlatform; jobs: FloeJobs } => {
    const namespace = `floe-${name}-domain`;
    const platform = new FloePlatform(a, namespace, {
      platformName: 'acme',
      namespace,
      sharedServices: enterprise,
      ...props,
    });
    const jobs = new FloeJobs(a, `${namespace}-products`, { platform, namespace });
    return { platform, jobs };
  };

  const sales = domain('sales', {
    orchestrator: Dagster.provider({ daemon: { mode: 'single' } }),
    semantic: Cube.provider({}),
  });
  sales.jobs.addPipeline('customer-360', {
    image: 'registry.example.com/sales/customer-360:1.4.2',
    steps: [ingest.dlt({ source: 'shopify' }), dbt.run({ select: 'tag:daily' }), quality.check()],
    schedule: '0 6 * * *',
  });

  const marketing = domain('marketing', {
    orchestrator: Dagster.provider(),
    semantic: 'none',
    externalDatabases: {
      'orchestrator-db': {
        host: 'marketing-db.example.internal',
        passwordSecret: { name: 'marketing-dagster-db', key: 'postgresql-password' },
      },
    },
  });
  marketing.jobs.addPipeline('campaign-performance', {
    image: 'registry.example.com/marketing/campaigns:0.3.0',
    steps: [dbt.run()],
    schedule: '@daily',
  });

  const finance = domain('finance', {
    orchestrator: Dagster.provider({ webserver: { replicas: 3 } }),
    semantic: Cube.provider(),
  });
  finance.jobs.addPipeline('revenue-metrics', {
    image: 'registry.example.com/finance/revenue:2.0.1',
    steps: [dbt.run({ select: 'tag:revenue' }), dbt.test({ select: 'tag:revenue' })],
    schedule: '30 2 * * 1-5',
    timeZone: 'America/New_York',
  });
  finance.jobs.addPipeline('cost-center', {
    image: 'registry.example.com/finance/cost-center:1.1.0',
    steps: [dbt.run()],
  });
  return a;
}

/** Each example: its `floe synth` arguments and its TypeScript program. */
export const EXAMPLES: { name: string; args: string[]; program: (outdir: string) => App }[] = [
  {
    name: 'single platform',
    args: ['--manifest', 'examples/platform/platform-manifest.yaml'],
    program: singlePlatform,
  },
  {
    name: 'platform with data products',
    args: [
      '--manifest',
      'examples/platform-with-products/platform-manifest.yaml',
      '--product',
      'examples/platform-with-products/sales/floe.yaml',
      '--product',
      'examples/platform-with-products/marketing/floe.yaml',
      '--product',
      'examples/platform-with-products/finance/floe.yaml',
    ],
    program: platformWithProducts,
  },
  {
    name: 'three-domain mesh',
    args: [
      '--manifest',
      'examples/mesh/enterprise.yaml',
      '--domain',
      'examples/mesh/domains/sales.yaml',
      '--domain',
      'examples/mesh/domains/marketing.yaml',
      '--domain',
      'examples/mesh/domains/finance.yaml',
    ],
    program: mesh,
  },
];
