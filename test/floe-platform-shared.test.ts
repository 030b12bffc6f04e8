import { App, Testing } from 'cdk8s';
import { FloeJobs } from '../src/jobs/floe-jobs';
import { dbt } from '../src/jobs/steps';
import { FloePlatform } from '../src/platform/floe-platform';
import { Marquez } from '../src/plugins/observability/marquez';
import { Jaeger } from '../src/plugins/observability/jaeger';
import { MinIO } from '../src/plugins/storage/minio';
import { asJson, expectValidationError } from './support/helpers';
import { validateObjects } from './support/k8s-schema';
import { checkPolicy } from './support/policy';
import { findObject, K8sObject } from './support/synth';

/** An enterprise platform (shared services only) and one domain on it. */
function mesh(): { app: App; enterprise: FloePlatform; domain: FloePlatform } {
  const app = Testing.app();
  const enterprise = new FloePlatform(app, 'acme', {
    platformName: 'acme',
    orchestrator: 'none',
    semantic: 'none',
    lineage: Marquez.provider(),
    tracing: Jaeger.provider(),
  });
  const domain = new FloePlatform(app, 'sales', {
    platformName: 'acme',
    namespace: 'floe-sales-domain',
    sharedServices: enterprise,
  });
  return { app, enterprise, domain };
}

describe('FloePlatform without an orchestrator (mesh shared services)', () => {
  const { enterprise } = mesh();
  const objects = Testing.synth(enterprise) as K8sObject[];

  test('deploys no Dagster and no Cube, and its endpoints have no orchestrator URL', () => {
    expect(objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/name'] === 'dagster')).toEqual([]);
    expect(objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/name'] === 'cube')).toEqual([]);
    expect(enterprise.orchestrator).toBeUndefined();
    expect(enterprise.endpoints.orchestratorUrl).toBeUndefined();
    expect(
      asJson(findObject(objects, 'ConfigMap', 'floe-platform-config').data).FLOE_ORCHESTRATOR_URL,
    ).toBeUndefined();
  });

  test('no PostgreSQL for an orchestrator that is not there', () => {
    expect(Object.keys(enterprise.databases).sort()).toEqual(['catalog-db', 'lineage-db']);
  });
});

describe('FloePlatform on shared services (mesh domain)', () => {
  const { enterprise, domain } = mesh();
  const objects = Testing.synth(domain) as K8sObject[];
  const names = (kind: string): string[] =>
    objects.filter((o) => o.kind === kind).map((o) => o.metadata.name);

  test('deploys only its namespace, orchestrator, semantic layer and their database', () => {
    expect(names('Namespace')).toEqual(['floe-sales-domain']);
    expect(names('StatefulSet').sort()).toEqual(
      ['cubestore-router', 'cubestore-workers', 'orchestrator-db'].sort(),
    );
    expect(names('Deployment').sort()).toEqual(
      ['cube', 'cube-refresh-worker', 'dagster-daemon', 'dagster-metrics', 'dagster-webserver'].sort(),
    );
    for (const shared of [
      'polaris',
      'minio',
      'otel-collector',
      'marquez',
      'jaeger',
      'prometheus',
      'grafana',
    ]) {
      expect(objects.filter((o) => o.metadata.name === shared)).toEqual([]);
    }
    expect(
      objects.filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== 'floe-sales-domain'),
    ).toEqual([]);
  });

  test('uses the shared services by fully qualified names', () => {
    expect(domain.storage).toBe(enterprise.storage);
    expect(domain.catalog).toBe(enterprise.catalog);
    expect(domain.telemetry).toBe(enterprise.telemetry);
    expect(domain.lineage).toBe(enterprise.lineage);
    expect(domain.endpoints.catalogUri).toBe(
      'http://polaris.floe-platform.svc.cluster.local:8181/api/catalog',
    );
    expect(domain.endpoints.orchestratorUrl).toBe(
      'http://dagster-webserver.floe-sales-domain.svc.cluster.local:3000',
    );
  });

  test("the domain's client configuration carries the mesh variables and its own orchestrator", () => {
    const data = asJson(findObject(objects, 'ConfigMap', 'floe-platform-config').data);
    expect(data.POLARIS_HOST).toBe('polaris.floe-platform.svc.cluster.local');
    expect(data.OTLP_ENDPOINT).toBe('http://otel-collector.floe-platform.svc.cluster.local:4317');
    expect(data.OPENLINEAGE_URL).toBe('http://marquez.floe-platform.svc.cluster.local:5000');
    expect(data.FLOE_PLATFORM_NAMESPACE).toBe('floe-sales-domain');
    expect(data.FLOE_ORCHESTRATOR_URL).toBe(
      'http://dagster-webserver.floe-sales-domain.svc.cluster.local:3000',
    );
  });

  test('lists only the Secrets that must exist in the domain namespace', () => {
    const secrets = domain.requiredSecrets.map((s) => s.name);
    expect(secrets).toContain('orchestrator-db-credentials');
    expect(secrets).not.toContain('catalog-db-credentials');
    expect(secrets).not.toContain('polaris-bootstrap-credentials');
    expect(domain.prerequisiteCommands().every((c) => c.startsWith('kubectl -n floe-sales-domain '))).toBe(
      true,
    );
  });

  test('passes the strict schema and the policy check', () => {
    expect(validateObjects(objects)).toEqual([]);
    expect(
      checkPolicy(objects, {
        prerequisiteSecrets: domain.requiredSecrets.map((s) => s.name),
        prerequisiteConfigMaps: domain.requiredConfigMaps,
      }),
    ).toEqual([]);
  });

  test("a domain's jobs read the domain's configuration", () => {
    const app = Testing.app();
    const ent = new FloePlatform(app, 'acme', { orchestrator: 'none', semantic: 'none' });
    const dom = new FloePlatform(app, 'sales', {
      namespace: 'floe-sales-domain',
      sharedServices: ent,
      semantic: 'none',
    });
    const jobs = new FloeJobs(app, 'sales-jobs', { platform: dom, namespace: 'floe-sales-domain' });
    jobs.addPipeline('daily', { image: 'acme/sales:1.0.0', steps: [dbt.run()] });
    const out = Testing.synth(jobs) as K8sObject[];
    // Same namespace: the domain's floe-platform-config is used, not written twice.
    expect(out.filter((o) => o.kind === 'ConfigMap')).toEqual([]);
    expect(jobs.configData.FLOE_ORCHESTRATOR_URL).toBe(
      'http://dagster-webserver.floe-sales-domain.svc.cluster.local:3000',
    );
  });

  test('a shared slot given again is refused', () => {
    const app = Testing.app();
    const ent = new FloePlatform(app, 'acme', { orchestrator: 'none', semantic: 'none' });
    expectValidationError(
      () =>
        new FloePlatform(app, 'sales', {
          namespace: 'floe-sales-domain',
          sharedServices: ent,
          storage: MinIO.provider(),
        }),
      'sales: invalid storage: got "a provider", expected unset: with sharedServices the storage comes from platform \'acme\'',
    );
    expectValidationError(
      () =>
        new FloePlatform(app, 'sales2', {
          namespace: 'floe-sales2-domain',
          sharedServices: ent,
          lineage: 'none',
        }),
      'sales2: invalid lineage: got "none", expected unset: with sharedServices the lineage comes from platform \'acme\'',
    );
  });

  test('an Ingress for a shared slot is refused in the domain', () => {
    const app = Testing.app();
    const ent = new FloePlatform(app, 'acme', { orchestrator: 'none', semantic: 'none' });
    expectValidationError(
      () =>
        new FloePlatform(app, 'sales', {
          namespace: 'floe-sales-domain',
          sharedServices: ent,
          ingress: { catalog: { host: 'polaris.example.com' } },
        }),
      `sales: invalid ingress.catalog: got {"host":"polaris.example.com"}, expected no Ingress: the catalog slot has no HTTP service in this chart (it comes from platform 'acme')`,
    );
  });
});
