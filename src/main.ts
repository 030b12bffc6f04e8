/**
 * The example app `npx cdk8s synth` runs: a complete floe platform with lineage and tracing on,
 * one Dagster code location and Cube reading the lakehouse through DuckDB, plus a data team's
 * pipelines in their own namespace, written to dist/. It shows the whole production shape: every
 * production feature is on (most by default) and every UI is behind an Ingress.
 */
import { App, YamlOutputType } from 'cdk8s';
import { IngressOptions } from './core/ingress';
import { synthesize } from './core/synth';
import { FloeJobs } from './jobs/floe-jobs';
import { dbt, ingest, quality } from './jobs/steps';
import { FloePlatform } from './platform/floe-platform';
import { Jaeger } from './plugins/observability/jaeger';
import { Marquez } from './plugins/observability/marquez';
import { Dagster } from './plugins/orchestrator/dagster';

/**
 * Builds the example app. `outdir` defaults to what `cdk8s synth` asks for (CDK8S_OUTDIR, e.g.
 * `dist/helm/templates` with `--format helm`), else `dist`.
 */
export function buildExampleApp(outdir?: string): App {
  const app = new App({ ...(outdir ? { outdir } : {}), yamlOutputType: YamlOutputType.FILE_PER_CHART });
  // Every HTTP UI and API behind an Ingress, as floe's Helm values show them: one host each, the
  // nginx class, TLS certificates that cert-manager issues into the named Secrets.
  const exposed = (host: string, tlsSecretName: string): IngressOptions => ({
    host: `${host}.floe.example.com`,
    className: 'nginx',
    tlsSecretName,
    annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt-prod' },
  });
  const platform = new FloePlatform(app, 'platform', {
    platformName: 'floe',
    ingress: {
      orchestrator: exposed('dagster', 'dagster-tls'),
      catalog: exposed('catalog', 'catalog-tls'),
      semantic: exposed('cube', 'cube-tls'),
      dashboards: exposed('grafana', 'grafana-tls'),
      tracing: exposed('traces', 'traces-tls'),
      lineage: exposed('lineage', 'lineage-tls'),
    },
    lineage: Marquez.provider(),
    tracing: Jaeger.provider(),
    // The production shape floe's docs describe: 100-1000 runs a day, and a daemon standby that
    // takes over within 15 s. Autoscaling, disruption budgets, topology spread, NetworkPolicies,
    // ServiceMonitors and alerts, database backups, per-workload ServiceAccounts and config
    // checksums are on by default.
    sizing: 'medium',
    orchestrator: Dagster.provider({
      daemon: { mode: 'ha' },
      codeLocations: [
        {
          name: 'analytics',
          image: { registry: 'registry.example.com', repository: 'data/analytics-pipelines', tag: '1.4.2' },
          moduleName: 'analytics.definitions',
        },
      ],
    }),
  });

  const sales = new FloeJobs(app, 'sales', { platform, namespace: 'floe-sales' });
  sales.addPipeline('customer-360', {
    image: 'registry.example.com/sales/customer-360:1.4.2',
    schedule: '0 6 * * *',
    timeZone: 'Europe/Berlin',
    activeDeadlineSeconds: 4 * 3600,
    steps: [
      ingest.dlt({ source: 'shopify' }),
      dbt.run({ select: 'tag:daily' }),
      dbt.test({ select: 'tag:daily' }),
      quality.check(),
    ],
    credentials: [
      {
        secretName: 'shopify-api',
        env: { SOURCES__SHOPIFY_DLT__PRIVATE_APP_PASSWORD: 'private-app-password' },
      },
      {
        secretName: 'sales-warehouse',
        env: { AWS_ACCESS_KEY_ID: 'access-key-id', AWS_SECRET_ACCESS_KEY: 'secret-access-key' },
      },
    ],
    artifacts: { configMapName: 'customer-360-artifacts' },
  });
  sales.addPipeline('customer-360-backfill', {
    image: 'registry.example.com/sales/customer-360:1.4.2',
    steps: [dbt.run({ select: 'tag:daily', fullRefresh: true }), dbt.test({ select: 'tag:daily' })],
    credentials: [
      {
        secretName: 'sales-warehouse',
        env: { AWS_ACCESS_KEY_ID: 'access-key-id', AWS_SECRET_ACCESS_KEY: 'secret-access-key' },
      },
    ],
  });
  return app;
}

if (require.main === module) {
  synthesize(buildExampleApp());
}
