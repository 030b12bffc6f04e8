import { App, Testing } from 'cdk8s';
import { FloeJobs, FloeJobsProps } from '../src/jobs/floe-jobs';
import { PipelineProps } from '../src/jobs/pipeline';
import { dbt, ingest, quality } from '../src/jobs/steps';
import { FloePlatform } from '../src/platform/floe-platform';
import { platformConfigData } from '../src/platform/platform-config';
import { Marquez } from '../src/plugins/observability/marquez';
import { validateObjects } from './support/k8s-schema';
import { checkPolicy } from './support/policy';
import { findObject, get, K8sObject } from './support/synth';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Container {
  name: string;
  image: string;
  command: string[];
  env: EnvVar[];
  envFrom: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  resources: unknown;
  securityContext: Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}

const IMAGE = 'registry.example.com/sales/customer-360:1.4.2';

function scheduledPipeline(): PipelineProps {
  return {
    image: IMAGE,
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
      { secretName: 'shopify-api', env: { SOURCES__SHOPIFY__PRIVATE_APP_PASSWORD: 'private-app-password' } },
      {
        secretName: 'sales-lakehouse',
        env: { AWS_ACCESS_KEY_ID: 'access-key-id', AWS_SECRET_ACCESS_KEY: 'secret-access-key' },
      },
      { secretName: 'sales-snowflake' },
    ],
    artifacts: { configMapName: 'customer-360-artifacts' },
  };
}

function manualPipeline(): PipelineProps {
  return {
    image: IMAGE,
    steps: [dbt.run({ select: 'tag:daily', fullRefresh: true }), dbt.test({ select: 'tag:daily' })],
    credentials: [
      {
        secretName: 'sales-lakehouse',
        env: { AWS_ACCESS_KEY_ID: 'access-key-id', AWS_SECRET_ACCESS_KEY: 'secret-access-key' },
      },
    ],
  };
}

/** The realistic setup: a platform with lineage, a data product's jobs in their own namespace. */
function build() {
  const app = Testing.app();
  const platform = new FloePlatform(app, 'platform', { lineage: Marquez.provider() });
  const jobs = new FloeJobs(app, 'sales', { platform, namespace: 'floe-sales' });
  const scheduled = jobs.addPipeline('customer-360', scheduledPipeline());
  const manual = jobs.addPipeline('customer-360-backfill', manualPipeline());

  // A team whose platform lives in another app: only the endpoints are handed over.
  const otherApp = Testing.app();
  const marketing = new FloeJobs(otherApp, 'marketing', {
    endpoints: platform.endpoints,
    namespace: 'floe-marketing',
    lineageNamespace: 'marketing',
    platformName: 'acme-data',
    defaults: { backoffLimit: 1, ttlSecondsAfterFinished: 600 },
  });
  const campaigns = marketing.addPipeline('campaigns', {
    image: { registry: 'ghcr.io', repository: 'acme/marketing-dbt', tag: '2026.11.1' },
    schedule: '@hourly',
    ttlSecondsAfterFinished: 60,
    runAs: { user: 10001, group: 10001 },
    resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '1Gi' } },
    steps: [
      dbt.run({ projectDir: '/opt/dbt', target: 'prod', vars: { run_date: '2026-11-22', full: false } }),
      dbt.test({ projectDir: '/opt/dbt', target: 'prod', exclude: 'tag:slow' }),
    ],
    credentials: [{ secretName: 'marketing-warehouse', env: { DBT_ENV_SECRET_PASSWORD: 'password' } }],
  });
  return {
    platform,
    jobs,
    scheduled,
    manual,
    marketing,
    campaigns,
    objects: Testing.synth(jobs) as K8sObject[],
    marketingObjects: Testing.synth(marketing) as K8sObject[],
  };
}

const built = build();
const { platform, jobs, scheduled, manual, marketing, campaigns, objects, marketingObjects } = built;

function cronJob(objs: K8sObject[], name: string): K8sObject {
  return findObject(objs, 'CronJob', name);
}
function podSpec(objs: K8sObject[], name: string): Record<string, unknown> {
  return get(cronJob(objs, name), 'spec.jobTemplate.spec.template.spec') as Record<string, unknown>;
}
function allContainers(objs: K8sObject[], name: string): Container[] {
  const spec = podSpec(objs, name);
  return [...((spec.initContainers as Container[] | undefined) ?? []), ...(spec.containers as Container[])];
}
function env(c: Container): Record<string, string> {
  return Object.fromEntries(c.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value ?? '']));
}
function tryBuild(props: FloeJobsProps, pipeline?: PipelineProps, name = 'customer-360'): void {
  const app = new App();
  const platformForTest = new FloePlatform(app, 'platform', { lineage: Marquez.provider() });
  const jobsForTest = new FloeJobs(app, 'sales', { platform: platformForTest, ...props });
  if (pipeline) jobsForTest.addPipeline(name, pipeline);
}

describe('FloeJobs', () => {
  test('matches the reviewed snapshot (scheduled and manual pipelines, own namespace)', () => {
    expect(objects).toMatchSnapshot();
  });

  test('matches the reviewed snapshot (built from endpoints only)', () => {
    expect(marketingObjects).toMatchSnapshot();
  });

  describe.each([
    ['sales', objects, () => jobs],
    ['marketing', marketingObjects, () => marketing],
  ])('%s chart', (_name, objs, chart) => {
    test('every object passes strict Kubernetes 1.28 schema validation', () => {
      expect(validateObjects(objs)).toEqual([]);
    });

    test('every pod meets the restricted policy and every reference resolves', () => {
      expect(
        checkPolicy(objs, {
          // The catalog access Job reads the platform's root credentials (a platform prerequisite).
          prerequisiteSecrets: [...chart().requiredSecrets, ...platform.requiredSecrets].map((s) => s.name),
          prerequisiteConfigMaps: chart().requiredConfigMaps,
        }),
      ).toEqual([]);
    });

    test('no Secret is written and every secret value is a reference', () => {
      expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
      const secretNames = chart().requiredSecrets.map((s) => s.name);
      const text = JSON.stringify(objs);
      for (const name of secretNames) {
        // A credential Secret's name only ever appears inside a secretKeyRef or secretRef.
        const uses = text.split(`"name":"${name}"`).length - 1;
        const refs =
          (text.match(new RegExp(`"secretKeyRef":\\{"key":"[^"]+","name":"${name}"\\}`, 'g')) ?? []).length +
          (text.match(new RegExp(`"secretRef":\\{"name":"${name}"\\}`, 'g')) ?? []).length;
        expect(uses).toBe(refs);
        expect(refs).toBeGreaterThan(0);
      }
    });

    test('the namespace enforces Pod Security restricted and is cluster-scoped', () => {
      const ns = objs.find((o) => o.kind === 'Namespace');
      expect(ns?.metadata.namespace).toBeUndefined();
      expect(ns?.metadata.labels).toMatchObject({
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'v1.28',
        'pod-security.kubernetes.io/audit': 'restricted',
        'pod-security.kubernetes.io/warn': 'restricted',
      });
      // Outside its namespace only the catalog access Job (with its account and policy), which runs
      // in the platform's namespace beside the root credentials.
      expect(
        objs
          .filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== chart().namespaceName)
          .map((o) => `${o.metadata.namespace}/${o.kind}/${o.metadata.name}`),
      ).toEqual(
        chart().catalogCredentials
          ? [
              'floe-platform/NetworkPolicy/floe-sales-catalog-access',
              'floe-platform/ServiceAccount/floe-sales-catalog-access',
              'floe-platform/Job/floe-sales-catalog-access',
            ]
          : [],
      );
    });

    test('each pipeline runs as a ServiceAccount of its own, and nothing mounts a token', () => {
      for (const p of chart().pipelines) {
        const sa = findObject(objs, 'ServiceAccount', p.name);
        expect(sa.automountServiceAccountToken).toBe(false);
        expect(sa.metadata.labels).toMatchObject({ 'app.kubernetes.io/component': 'pipeline' });
        const spec = podSpec(objs, p.name);
        expect(spec.serviceAccountName).toBe(p.name);
        expect(spec.automountServiceAccountToken).toBe(false);
      }
      expect(chart().serviceAccount).toBeUndefined();
      expect(chart().requiredServiceAccounts).toEqual([]);
    });

    test("a chart-wide serviceAccountName is one account for every pipeline; a pipeline's own is a prerequisite", () => {
      const app = Testing.app();
      const platform = new FloePlatform(app, 'platform');
      const jobs = new FloeJobs(app, 'shared-account', {
        platform,
        namespace: 'floe-team',
        serviceAccountName: 'team-jobs',
      });
      jobs.addPipeline('daily', { image: 'registry.example.com/team/daily:1.0.0', steps: [dbt.run()] });
      jobs.addPipeline('cloud', {
        image: 'registry.example.com/team/cloud:1.0.0',
        steps: [dbt.run()],
        serviceAccountName: 'cloud-identity',
      });
      const objects = Testing.synth(jobs) as K8sObject[];
      expect(
        objects
          .filter((o) => o.kind === 'ServiceAccount' && o.metadata.namespace === 'floe-team')
          .map((o) => o.metadata.name),
      ).toEqual(['team-jobs']);
      expect(podSpec(objects, 'daily').serviceAccountName).toBe('team-jobs');
      expect(podSpec(objects, 'cloud').serviceAccountName).toBe('cloud-identity');
      expect(jobs.requiredServiceAccounts).toEqual(['cloud-identity']);
    });
  });

  describe('ordering', () => {
    test('every step but the last is an init container, in the given order; the last is the main container', () => {
      const spec = podSpec(objects, 'customer-360');
      expect((spec.initContainers as Container[]).map((c) => c.name)).toEqual([
        'dlt-shopify',
        'dbt-run',
        'dbt-test',
      ]);
      expect((spec.containers as Container[]).map((c) => c.name)).toEqual(['quality-check']);
      expect(scheduled.stepNames).toEqual(['dlt-shopify', 'dbt-run', 'dbt-test', 'quality-check']);
      const manualSpec = podSpec(objects, 'customer-360-backfill');
      expect((manualSpec.initContainers as Container[]).map((c) => c.name)).toEqual(['dbt-run']);
      expect((manualSpec.containers as Container[]).map((c) => c.name)).toEqual(['dbt-test']);
    });

    test('a failed step fails the run: restartPolicy Never and backoffLimit 0', () => {
      for (const name of ['customer-360', 'customer-360-backfill']) {
        expect(podSpec(objects, name).restartPolicy).toBe('Never');
        expect(get(cronJob(objects, name), 'spec.jobTemplate.spec.backoffLimit')).toBe(0);
      }
    });

    test('the steps share a workspace and /tmp, and write nowhere else', () => {
      const spec = podSpec(objects, 'customer-360');
      expect(spec.volumes).toEqual([
        { name: 'workspace', emptyDir: {} },
        { name: 'tmp', emptyDir: {} },
        {
          name: 'artifacts',
          configMap: {
            name: 'customer-360-artifacts',
            items: [{ key: 'artifacts.json', path: 'artifacts.json' }],
          },
        },
      ]);
      for (const c of allContainers(objects, 'customer-360')) {
        expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
        expect(c.volumeMounts).toEqual([
          { name: 'workspace', mountPath: '/workspace' },
          { name: 'tmp', mountPath: '/tmp' },
          { name: 'artifacts', mountPath: '/opt/floe/artifacts', readOnly: true },
        ]);
        expect(env(c).HOME).toBe('/tmp');
      }
    });
  });

  describe('steps', () => {
    test('dlt runs the script `dlt init` generates, with its data dir in the workspace', () => {
      const [dlt] = allContainers(objects, 'customer-360');
      expect(dlt.command).toEqual(['python', 'shopify_pipeline.py']);
      expect(env(dlt).DLT_DATA_DIR).toBe('/workspace/dlt');
    });

    test('dbt runs against the project in the image, writing target/ and logs/ to the workspace', () => {
      const [, run, test, check] = allContainers(objects, 'customer-360');
      expect(run.command).toEqual([
        'dbt',
        'run',
        '--project-dir',
        '/app/dbt',
        '--profiles-dir',
        '/app/dbt',
        '--target-path',
        '/workspace/dbt/target',
        '--log-path',
        '/workspace/dbt/logs',
        '--select',
        'tag:daily',
      ]);
      expect(test.command).toEqual([
        'dbt',
        'test',
        '--project-dir',
        '/app/dbt',
        '--profiles-dir',
        '/app/dbt',
        '--target-path',
        '/workspace/dbt/target',
        '--log-path',
        '/workspace/dbt/logs',
        '--select',
        'tag:daily',
      ]);
      // floe's quality checks are dbt tests tagged `quality`.
      expect(check.command).toEqual([
        'dbt',
        'test',
        '--project-dir',
        '/app/dbt',
        '--profiles-dir',
        '/app/dbt',
        '--target-path',
        '/workspace/dbt/target',
        '--log-path',
        '/workspace/dbt/logs',
        '--select',
        'tag:quality',
      ]);
      for (const c of [run, test, check]) {
        expect(env(c)).toMatchObject({
          DBT_TARGET_PATH: '/workspace/dbt/target',
          DBT_LOG_PATH: '/workspace/dbt/logs',
          DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
        });
      }
      const [backfillRun] = allContainers(objects, 'customer-360-backfill');
      expect(backfillRun.command.slice(-1)).toEqual(['--full-refresh']);
    });

    test('dbt options become flags: target, exclude, vars as sorted JSON', () => {
      const [run, test] = allContainers(marketingObjects, 'campaigns');
      expect(run.command).toEqual([
        'dbt',
        'run',
        '--project-dir',
        '/opt/dbt',
        '--profiles-dir',
        '/opt/dbt',
        '--target-path',
        '/workspace/dbt/target',
        '--log-path',
        '/workspace/dbt/logs',
        '--target',
        'prod',
        '--vars',
        '{"full":false,"run_date":"2026-11-22"}',
      ]);
      expect(test.command).toEqual([
        'dbt',
        'test',
        '--project-dir',
        '/opt/dbt',
        '--profiles-dir',
        '/opt/dbt',
        '--target-path',
        '/workspace/dbt/target',
        '--log-path',
        '/workspace/dbt/logs',
        '--target',
        'prod',
        '--exclude',
        'tag:slow',
      ]);
    });

    test('a quality check may run a custom command, and dbt-ol may stand in for dbt', () => {
      expect(quality.check({ command: ['soda', 'scan', '-d', 'lake', 'checks.yml'] }).command).toEqual([
        'soda',
        'scan',
        '-d',
        'lake',
        'checks.yml',
      ]);
      expect(quality.check({ command: ['soda', 'scan'] }).env).toEqual({});
      expect(dbt.run({ executable: 'dbt-ol' }).command[0]).toBe('dbt-ol');
      expect(ingest.dlt({ source: 'sql_database' }).name).toBe('dlt-sql-database');
      expect(ingest.dlt({ source: 'sql_database' }).command).toEqual(['python', 'sql_database_pipeline.py']);
    });
  });

  describe('defaults from the floe docs, overridable', () => {
    test('a scheduled pipeline is a CronJob with the documented job defaults', () => {
      const cj = cronJob(objects, 'customer-360');
      expect(cj.metadata.annotations).toEqual({ 'floe.dev/trigger': 'schedule' });
      expect(cj.spec).toMatchObject({
        schedule: '0 6 * * *',
        timeZone: 'Europe/Berlin',
        suspend: false,
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 300,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          spec: { backoffLimit: 0, ttlSecondsAfterFinished: 3600, activeDeadlineSeconds: 14400 },
        },
      });
      for (const c of allContainers(objects, 'customer-360')) {
        expect(c.resources).toEqual({
          requests: { cpu: '1000m', memory: '2Gi' },
          limits: { cpu: '4000m', memory: '8Gi' },
        });
        expect(c.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true });
      }
    });

    test('a manual pipeline is a suspended CronJob with a placeholder schedule', () => {
      const cj = cronJob(objects, 'customer-360-backfill');
      expect(manual.trigger).toBe('manual');
      expect(cj.metadata.annotations).toEqual({ 'floe.dev/trigger': 'manual' });
      expect(cj.spec).toMatchObject({ schedule: '@daily', suspend: true, concurrencyPolicy: 'Forbid' });
      expect(get(cj, 'spec.timeZone')).toBeUndefined();
      expect(get(cj, 'spec.jobTemplate.spec.activeDeadlineSeconds')).toBeUndefined();
    });

    test('ad-hoc runs: kubectl create job --from=cronjob works for both, and the Jobs keep labels and trigger', () => {
      expect(manual.runCommand()).toBe(
        'kubectl -n floe-sales create job --from=cronjob/customer-360-backfill customer-360-backfill-$(date +%s)',
      );
      expect(scheduled.runCommand()).toBe(
        'kubectl -n floe-sales create job --from=cronjob/customer-360 customer-360-$(date +%s)',
      );
      const template = get(cronJob(objects, 'customer-360-backfill'), 'spec.jobTemplate.metadata');
      expect(template).toEqual({
        labels: expect.objectContaining({
          'app.kubernetes.io/name': 'customer-360-backfill',
          'floe.dev/pipeline': 'customer-360-backfill',
        }),
        annotations: { 'floe.dev/trigger': 'manual' },
      });
    });

    test('the chart defaults and each pipeline override the documented defaults', () => {
      const cj = cronJob(marketingObjects, 'campaigns');
      expect(get(cj, 'spec.jobTemplate.spec.backoffLimit')).toBe(1); // chart default
      expect(get(cj, 'spec.jobTemplate.spec.ttlSecondsAfterFinished')).toBe(60); // pipeline wins
      for (const c of allContainers(marketingObjects, 'campaigns')) {
        expect(c.resources).toEqual({
          requests: { cpu: '250m', memory: '512Mi' },
          limits: { memory: '1Gi' },
        });
        expect(c.securityContext).toMatchObject({ runAsUser: 10001, runAsGroup: 10001 });
      }
      expect(podSpec(marketingObjects, 'campaigns').securityContext).toMatchObject({ fsGroup: 10001 });
    });

    test('labels: recommended labels, image tag as version, and the pipeline label on the pods', () => {
      const labels = get(cronJob(objects, 'customer-360'), 'spec.jobTemplate.spec.template.metadata.labels');
      expect(labels).toEqual({
        'app.kubernetes.io/name': 'customer-360',
        'app.kubernetes.io/instance': 'customer-360',
        'app.kubernetes.io/component': 'pipeline',
        'app.kubernetes.io/part-of': 'floe',
        'app.kubernetes.io/managed-by': 'cdk8s',
        'app.kubernetes.io/version': '1.4.2',
        'floe.dev/pipeline': 'customer-360',
      });
      expect(get(cronJob(marketingObjects, 'campaigns'), 'metadata.labels')).toMatchObject({
        'app.kubernetes.io/part-of': 'acme-data',
        'app.kubernetes.io/version': '2026.11.1',
      });
      for (const c of allContainers(objects, 'customer-360')) expect(c.image).toBe(IMAGE);
    });
  });

  describe('inherited platform configuration', () => {
    test('one ConfigMap per jobs namespace, with the platform data and the jobs lineage namespace', () => {
      const data = findObject(objects, 'ConfigMap', 'floe-platform-config').data as Record<string, string>;
      expect(data).toEqual(platformConfigData(platform.endpoints, 'floe-sales'));
      const platformData = platform.clientConfigMap.toJson() as { data: Record<string, string> };
      expect(Object.keys(data)).toEqual(Object.keys(platformData.data));
      expect({ ...data, OPENLINEAGE_NAMESPACE: 'floe' }).toEqual(platformData.data);
      const other = findObject(marketingObjects, 'ConfigMap', 'floe-platform-config').data as Record<
        string,
        string
      >;
      expect(other).toEqual(platformConfigData(platform.endpoints, 'marketing'));
    });

    test('every endpoint is a fully qualified name of the platform namespace', () => {
      const data = findObject(objects, 'ConfigMap', 'floe-platform-config').data as Record<string, string>;
      const e = platform.endpoints;
      expect(data).toMatchObject({
        OTEL_EXPORTER_OTLP_ENDPOINT: e.otlpGrpcEndpoint,
        OPENLINEAGE_URL: e.lineageUrl,
        OPENLINEAGE_NAMESPACE: 'floe-sales',
        FLOE_CATALOG_URI: e.catalogUri,
        FLOE_CATALOG_WAREHOUSE: e.warehouse,
        PYICEBERG_CATALOG__DEFAULT__URI: e.catalogUri,
        PYICEBERG_CATALOG__DEFAULT__WAREHOUSE: e.warehouse,
        FLOE_S3_ENDPOINT: e.s3Endpoint,
        AWS_ENDPOINT_URL_S3: e.s3Endpoint,
        FLOE_WAREHOUSE_BUCKET: e.warehouseBucket,
      });
      for (const url of [e.otlpGrpcEndpoint, e.lineageUrl, e.catalogUri, e.s3Endpoint]) {
        expect(url).toMatch(/^http:\/\/[a-z-]+\.floe-platform\.svc\.cluster\.local:\d+/);
      }
    });

    test('every container reads the ConfigMap and names its own service for OpenTelemetry', () => {
      for (const [objs, p] of [
        [objects, scheduled],
        [objects, manual],
        [marketingObjects, campaigns],
      ] as const) {
        for (const c of allContainers(objs, p.name)) {
          expect(c.envFrom[0]).toEqual({ configMapRef: { name: 'floe-platform-config' } });
          expect(env(c)).toMatchObject({
            OTEL_SERVICE_NAME: p.name,
            OTEL_RESOURCE_ATTRIBUTES: `floe.pipeline=${p.name},floe.step=${c.name}`,
          });
        }
      }
    });

    test('compiled artifacts mount read-only from their ConfigMap', () => {
      for (const c of allContainers(objects, 'customer-360')) {
        expect(env(c).FLOE_ARTIFACTS_PATH).toBe('/opt/floe/artifacts/artifacts.json');
      }
      expect(jobs.requiredConfigMaps).toEqual(['customer-360-artifacts']);
      expect(allContainers(objects, 'customer-360-backfill').every((c) => !env(c).FLOE_ARTIFACTS_PATH)).toBe(
        true,
      );
    });

    test('credentials come from the named Secrets: by key, or the whole Secret', () => {
      const [dlt] = allContainers(objects, 'customer-360');
      expect(dlt.env.filter((e) => e.valueFrom && !e.name.startsWith('FLOE_CATALOG_'))).toEqual([
        {
          name: 'SOURCES__SHOPIFY__PRIVATE_APP_PASSWORD',
          valueFrom: { secretKeyRef: { name: 'shopify-api', key: 'private-app-password' } },
        },
        {
          name: 'AWS_ACCESS_KEY_ID',
          valueFrom: { secretKeyRef: { name: 'sales-lakehouse', key: 'access-key-id' } },
        },
        {
          name: 'AWS_SECRET_ACCESS_KEY',
          valueFrom: { secretKeyRef: { name: 'sales-lakehouse', key: 'secret-access-key' } },
        },
      ]);
      expect(dlt.envFrom).toEqual([
        { configMapRef: { name: 'floe-platform-config' } },
        { secretRef: { name: 'sales-snowflake' } },
      ]);
      expect(jobs.requiredSecrets).toEqual([
        {
          name: 'sales-lakehouse',
          keys: ['access-key-id', 'secret-access-key'],
          purpose: 'credentials of pipeline customer-360; credentials of pipeline customer-360-backfill',
        },
        { name: 'sales-snowflake', keys: [], purpose: 'credentials of pipeline customer-360' },
        {
          name: 'shopify-api',
          keys: ['private-app-password'],
          purpose: 'credentials of pipeline customer-360',
        },
      ]);
      expect(jobs.prerequisiteCommands()).toEqual([
        'kubectl -n floe-sales create secret generic sales-lakehouse --from-literal=access-key-id=<access-key-id> --from-literal=secret-access-key=<secret-access-key>',
        'kubectl -n floe-sales create secret generic sales-snowflake --from-env-file=./sales-snowflake.env',
        'kubectl -n floe-sales create secret generic shopify-api --from-literal=private-app-password=<private-app-password>',
        'kubectl -n floe-sales create configmap customer-360-artifacts --from-file=artifacts.json=./artifacts.json',
      ]);
    });

    test('jobs in the platform namespace read the platform ConfigMap and write no second one', () => {
      const app = Testing.app();
      const p = new FloePlatform(app, 'platform', { lineage: Marquez.provider() });
      const j = new FloeJobs(app, 'jobs', { platform: p, namespace: 'floe-platform' });
      j.addPipeline('nightly', { image: IMAGE, schedule: '@daily', steps: [dbt.run()] });
      const objs = Testing.synth(j) as K8sObject[];
      // The pipeline's NetworkPolicy, but not the namespace-wide ones: the platform writes those.
      expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
        'CronJob/nightly',
        'Job/floe-platform-catalog-access',
        'NetworkPolicy/floe-platform-catalog-access',
        'NetworkPolicy/nightly',
        'Role/floe-platform-catalog-access-writer',
        'RoleBinding/floe-platform-catalog-access-writer',
        'ServiceAccount/floe-platform-catalog-access',
        'ServiceAccount/nightly',
      ]);
      expect(j.configMap).toBeUndefined();
      expect(j.configData).toEqual(platformConfigData(p.endpoints));
      expect(
        checkPolicy([...(Testing.synth(p) as K8sObject[]), ...objs], {
          prerequisiteSecrets: p.requiredSecrets.map((s) => s.name),
          prerequisiteConfigMaps: p.requiredConfigMaps,
        }),
      ).toEqual([]);
    });
  });

  describe('images', () => {
    test.each([
      [
        'registry.example.com/sales/customer-360:1.4.2',
        undefined,
        'registry.example.com/sales/customer-360:1.4.2',
      ],
      ['localhost:5000/etl:0.1', undefined, 'localhost:5000/etl:0.1'],
      ['sales/customer-360:1.4.2', undefined, 'docker.io/sales/customer-360:1.4.2'],
      ['python:3.12-slim', undefined, 'docker.io/library/python:3.12-slim'],
      [
        'sales/customer-360:1.4.2',
        'mirror.example.com/team',
        'mirror.example.com/team/sales/customer-360:1.4.2',
      ],
    ])('%s with imageRegistry %s runs %s', (reference, imageRegistry, expected) => {
      const app = Testing.app();
      const j = new FloeJobs(app, 'jobs', { endpoints: platform.endpoints, imageRegistry });
      j.addPipeline('p', { image: reference, steps: [dbt.run()] });
      expect(allContainers(Testing.synth(j) as K8sObject[], 'p')[0].image).toBe(expected);
    });
  });

  describe('validation', () => {
    const longName = 'customer-360-orders-and-returns-daily-aggregate-build'; // 53 characters
    test.each<[string, FloeJobsProps, PipelineProps | undefined, string, string]>([
      [
        'a CronJob name without room for the controller suffix',
        { namespace: 'floe-sales' },
        manualPipeline(),
        longName,
        `sales/${longName}: invalid name: got "${longName}", expected a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit) of at most 52 characters: it names the CronJob, and the CronJob controller appends 11 characters to it for each Job, whose name may not exceed 63`,
      ],
      [
        'an invalid cron expression',
        {},
        { ...manualPipeline(), schedule: '0 6 * * 7' },
        'customer-360',
        'sales/customer-360: invalid schedule: got "0 6 * * 7", expected a cron expression of 5 fields',
      ],
      [
        'a time zone prefix in the schedule',
        {},
        { ...manualPipeline(), schedule: 'CRON_TZ=Europe/Berlin 0 6 * * *', timeZone: 'Europe/Berlin' },
        'customer-360',
        '(a time zone prefix (CRON_TZ= or TZ=) is refused by Kubernetes next to the timeZone field: set timeZone instead)',
      ],
      [
        'a time zone that is not an IANA name',
        {},
        { ...manualPipeline(), schedule: '0 6 * * *', timeZone: 'CEST' },
        'customer-360',
        `sales/customer-360: invalid timeZone: got "CEST", expected an IANA time zone name spelled as in the tz database, e.g. 'Europe/Berlin', 'America/New_York' or 'UTC' (not 'Local', not an offset)`,
      ],
      [
        'a time zone on a manual pipeline',
        {},
        { ...manualPipeline(), timeZone: 'Europe/Berlin' },
        'customer-360',
        'sales/customer-360: invalid timeZone: got "Europe/Berlin", expected no time zone on a manual pipeline (it has no schedule)',
      ],
      [
        'an unsuspended manual pipeline',
        {},
        { ...manualPipeline(), suspend: false },
        'customer-360',
        'sales/customer-360: invalid suspend: got false, expected true or unset: a manual pipeline stays suspended (give it a schedule to run it on one)',
      ],
      [
        'a test before the run it checks',
        {},
        { ...manualPipeline(), steps: [dbt.test(), dbt.run()] },
        'customer-360',
        'sales/customer-360: invalid steps[0]: got "dbt-test", expected a dbt-test step after a step it checks (dbt-run or dlt-ingest): it runs only once that step succeeded',
      ],
      [
        'a quality check before anything it checks',
        {},
        { ...manualPipeline(), steps: [quality.check(), dbt.run(), dbt.test()] },
        'customer-360',
        'sales/customer-360: invalid steps[0]: got "quality-check", expected a quality-check step after a step it checks (dbt-run or dlt-ingest): it runs only once that step succeeded',
      ],
      [
        'no steps',
        {},
        { ...manualPipeline(), steps: [] },
        'customer-360',
        'sales/customer-360: invalid steps: got [], expected at least one step, e.g. [ingest.dlt({ source }), dbt.run(), dbt.test()]',
      ],
      [
        'two steps with one name',
        {},
        { ...manualPipeline(), steps: [dbt.run(), dbt.run()] },
        'customer-360',
        'sales/customer-360: invalid steps[1].name: got "dbt-run", expected a name no other step of the pipeline has',
      ],
      [
        'an image without a tag',
        {},
        { ...manualPipeline(), image: 'registry.example.com/sales/customer-360' },
        'customer-360',
        `sales/customer-360: invalid image: got "registry.example.com/sales/customer-360", expected an image reference with a pinned tag, e.g. 'registry.example.com/sales/customer-360:1.4.2' (no digest, not 'latest')`,
      ],
      [
        'an image with a digest',
        {},
        { ...manualPipeline(), image: `registry.example.com/sales/customer-360@sha256:${'a'.repeat(64)}` },
        'customer-360',
        'sales/customer-360: invalid image: got "registry.example.com/sales/customer-360@sha256:',
      ],
      [
        'the latest tag',
        {},
        { ...manualPipeline(), image: 'registry.example.com/sales/customer-360:latest' },
        'customer-360',
        `sales/customer-360: invalid image.tag: got "latest", expected a pinned tag (letters, digits, '_', '.', '-'; not 'latest')`,
      ],
      [
        'a bad dbt selection',
        {},
        { ...manualPipeline(), steps: [dbt.run(), dbt.test({ select: '--full-refresh' })] },
        'customer-360',
        `sales/customer-360: invalid steps[1].select: got "--full-refresh", expected a dbt selection on one line, e.g. 'tag:daily' or 'orders customers+' (not empty, not starting with '-')`,
      ],
      [
        'a dlt source that is not a module name',
        {},
        { ...manualPipeline(), steps: [ingest.dlt({ source: 'Shopify Store' })] },
        'customer-360',
        'sales/customer-360: invalid steps[0].source: got "Shopify Store", expected a dlt source name as `dlt init` takes it: lower-case letters, digits and \'_\', starting with a letter',
      ],
      [
        'dbt options next to a custom quality command',
        {},
        {
          ...manualPipeline(),
          steps: [dbt.run(), quality.check({ command: ['soda', 'scan'], select: 'tag:x' })],
        },
        'customer-360',
        'sales/customer-360: invalid steps[1].select: got "tag:x", expected nothing: the dbt options do not apply to a custom quality command',
      ],
      [
        'a variable the platform configuration sets',
        {},
        { ...manualPipeline(), env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://elsewhere:4317' } },
        'customer-360',
        'sales/customer-360: invalid env.OTEL_EXPORTER_OTLP_ENDPOINT: got "OTEL_EXPORTER_OTLP_ENDPOINT", expected a variable not set by the platform configuration (floe-platform-config)',
      ],
      [
        'a credential variable the pipeline sets',
        {},
        { ...manualPipeline(), credentials: [{ secretName: 'x', env: { OTEL_SERVICE_NAME: 'name' } }] },
        'customer-360',
        'sales/customer-360: invalid credentials[0].env.OTEL_SERVICE_NAME: got "OTEL_SERVICE_NAME", expected a variable not set by the pipeline',
      ],
      [
        'one variable from two Secrets',
        {},
        {
          ...manualPipeline(),
          credentials: [
            { secretName: 'a', env: { PASSWORD: 'password' } },
            { secretName: 'b', env: { PASSWORD: 'password' } },
          ],
        },
        'customer-360',
        'sales/customer-360: invalid credentials[1].env.PASSWORD: got "PASSWORD", expected a variable not set by the credentials',
      ],
      [
        'a starting deadline under the controller period',
        {},
        { ...manualPipeline(), schedule: '@hourly', startingDeadlineSeconds: 5 },
        'customer-360',
        'sales/customer-360: invalid startingDeadlineSeconds: got 5, expected an integer >= 10',
      ],
      [
        'a negative backoff limit from the chart defaults',
        { defaults: { backoffLimit: -1 } },
        manualPipeline(),
        'customer-360',
        'sales/customer-360: invalid backoffLimit: got -1, expected an integer >= 0',
      ],
      [
        'both platform and endpoints',
        { endpoints: platform.endpoints },
        undefined,
        'customer-360',
        'sales: invalid platform: got "both platform and endpoints", expected exactly one of `platform` (a FloePlatform) and `endpoints` (its PlatformEndpoints)',
      ],
      [
        'a lineage namespace next to the platform ConfigMap',
        { namespace: 'floe-platform', lineageNamespace: 'sales' },
        undefined,
        'customer-360',
        `sales: invalid lineageNamespace: got "sales", expected nothing: jobs in the platform namespace 'floe-platform' read the platform's floe-platform-config; use another namespace for their own lineage namespace`,
      ],
    ])('rejects %s', (_what, chartProps, pipeline, name, message) => {
      expect(() => tryBuild(chartProps, pipeline, name)).toThrow(message);
    });

    test('rejects a chart with neither platform nor endpoints', () => {
      expect(() => new FloeJobs(Testing.app(), 'sales', {})).toThrow(
        'sales: invalid platform: got "neither platform nor endpoints", expected exactly one of `platform` (a FloePlatform) and `endpoints` (its PlatformEndpoints)',
      );
    });

    test('rejects a second pipeline of the same name', () => {
      const j = new FloeJobs(Testing.app(), 'sales', { endpoints: platform.endpoints });
      j.addPipeline('p', manualPipeline());
      expect(() => j.addPipeline('p', manualPipeline())).toThrow(
        'sales/p: invalid name: got "p", expected a name no other pipeline of this chart has',
      );
    });

    test('a 52-character name is accepted', () => {
      const j = new FloeJobs(Testing.app(), 'sales', { endpoints: platform.endpoints });
      expect(j.addPipeline(longName.slice(0, 52).replace(/-$/, 'x'), manualPipeline()).name).toHaveLength(52);
    });
  });
});
