import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { FloeJobs } from '../src/jobs/floe-jobs';
import { buildExampleApp } from '../src/main';
import { FloePlatform, FloePlatformProps } from '../src/platform/floe-platform';
import { Dagster } from '../src/plugins/orchestrator/dagster';
import { Jaeger } from '../src/plugins/observability/jaeger';
import { Marquez } from '../src/plugins/observability/marquez';
import { Prometheus } from '../src/plugins/observability/prometheus';
import { configMapFile, Json } from './support/helpers';
import { checkPolicy, DEFAULT_API_CLIENTS } from './support/policy';
import { get, K8sObject } from './support/synth';

function platform(props: FloePlatformProps = {}): { platform: FloePlatform; objects: K8sObject[] } {
  const app = Testing.app();
  const p = new FloePlatform(app, 'platform', {
    lineage: Marquez.provider(),
    tracing: Jaeger.provider(),
    orchestrator: Dagster.provider({
      codeLocations: [
        {
          name: 'analytics',
          image: { registry: 'registry.example.com', repository: 'data/analytics', tag: '1.4.2' },
          moduleName: 'analytics.definitions',
        },
      ],
    }),
    ...props,
  });
  return { platform: p, objects: Testing.synth(p) as K8sObject[] };
}

interface Workload {
  readonly id: string;
  readonly name: string;
  readonly spec: Json;
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'];

function workloads(objects: K8sObject[]): Workload[] {
  return objects
    .filter((o) => WORKLOAD_KINDS.includes(o.kind))
    .map((o) => ({
      id: `${o.kind}/${o.metadata.name}`,
      name: o.metadata.name,
      spec: get(o, 'spec.template.spec') as Json,
    }));
}

const accounts = (objects: K8sObject[]): K8sObject[] => objects.filter((o) => o.kind === 'ServiceAccount');

describe('ServiceAccounts per workload', () => {
  const { platform: p, objects } = platform();

  test('every workload runs as a ServiceAccount named after it, which exists', () => {
    const missing = workloads(objects).filter(
      (w) =>
        w.spec.serviceAccountName !== w.name ||
        !accounts(objects).some(
          (a) => a.metadata.name === w.name && a.metadata.namespace === 'floe-platform',
        ),
    );
    expect(missing.map((w) => `${w.id} runs as ${String(w.spec.serviceAccountName)}`)).toEqual([]);
  });

  test('no account mounts a token by itself; only the API clients opt in on their pods', () => {
    expect(accounts(objects).filter((a) => a.automountServiceAccountToken !== false)).toEqual([]);
    const withToken = workloads(objects)
      .filter((w) => w.spec.automountServiceAccountToken !== false)
      .map((w) => w.id)
      .sort();
    // The code location `analytics` has its own catalog principal, set up by its access Job.
    expect(withToken).toEqual(
      [...DEFAULT_API_CLIENTS.filter((c) => !c.includes('*')), 'Job/dagster-analytics-catalog-access'].sort(),
    );
  });

  test('RBAC stays in the namespace: Roles only, bound to the API clients', () => {
    expect(objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toEqual([]);
    const subjects = objects
      .filter((o) => o.kind === 'RoleBinding')
      .flatMap((b) => (b.subjects as Json[]).map((s) => `${String(s.namespace)}/${String(s.name)}`))
      .sort();
    expect(subjects).toEqual([
      'floe-platform/dagster-analytics-catalog-access',
      'floe-platform/dagster-daemon',
      'floe-platform/dagster-webserver',
      'floe-platform/prometheus',
    ]);
  });

  test('run pods get dagster-run, an account bound to no Role', () => {
    const doc = parse(configMapFile(objects, 'dagster-instance', 'dagster.yaml')) as Json;
    expect(get(doc, 'run_launcher.config.service_account_name')).toBe('dagster-run');
    expect(accounts(objects).map((a) => a.metadata.name)).toContain('dagster-run');
    const bound = objects
      .filter((o) => o.kind === 'RoleBinding')
      .flatMap((b) => (b.subjects as Json[]).map((s) => s.name));
    expect(bound).not.toContain('dagster-run');
  });

  test('the policy passes with the default allow-list and fails with an empty one', () => {
    const opts = {
      prerequisiteSecrets: p.requiredSecrets.map((s) => s.name),
      prerequisiteConfigMaps: p.requiredConfigMaps,
    };
    expect(checkPolicy(objects, opts)).toEqual([]);
    expect(checkPolicy(objects, { ...opts, apiClients: [] })).toEqual([
      'StatefulSet/prometheus: mounts a Kubernetes API token but does not call the API',
      'Job/dagster-analytics-catalog-access: mounts a Kubernetes API token but does not call the API',
      'Deployment/dagster-webserver: mounts a Kubernetes API token but does not call the API',
      'Deployment/dagster-daemon: mounts a Kubernetes API token but does not call the API',
    ]);
  });

  test('without service discovery Prometheus keeps its account but mounts no token', () => {
    const { objects: o } = platform({ metrics: Prometheus.provider({ serviceDiscovery: false }) });
    const prom = workloads(o).find((w) => w.id === 'StatefulSet/prometheus');
    expect(prom?.spec.serviceAccountName).toBe('prometheus');
    expect(prom?.spec.automountServiceAccountToken).toBe(false);
    expect(
      o.filter((x) => x.kind === 'Role' || x.kind === 'RoleBinding').map((x) => x.metadata.name),
    ).toEqual([
      'dagster-analytics-catalog-access-writer',
      'dagster-analytics-catalog-access-writer',
      'dagster',
      'dagster',
    ]);
  });

  test("serviceAccounts: false: only the API clients keep accounts; the rest run as 'default' without a token", () => {
    const { platform: off, objects: o } = platform({ serviceAccounts: false });
    expect(
      accounts(o)
        .map((a) => a.metadata.name)
        .sort(),
    ).toEqual(['dagster', 'dagster-analytics-catalog-access', 'prometheus']);
    const own = workloads(o)
      .filter((w) => w.spec.serviceAccountName !== undefined)
      .map((w) => `${w.id}:${String(w.spec.serviceAccountName)}`)
      .sort();
    expect(own).toEqual([
      'Deployment/dagster-daemon:dagster',
      'Deployment/dagster-webserver:dagster',
      'Job/dagster-analytics-catalog-access:dagster-analytics-catalog-access',
      'StatefulSet/prometheus:prometheus',
    ]);
    expect(
      workloads(o)
        .filter((w) => w.spec.serviceAccountName === undefined)
        .every((w) => w.spec.automountServiceAccountToken === false),
    ).toBe(true);
    const opts = {
      prerequisiteSecrets: off.requiredSecrets.map((s) => s.name),
      prerequisiteConfigMaps: off.requiredConfigMaps,
    };
    expect(checkPolicy(o, { ...opts, requireServiceAccounts: false })).toEqual([]);
    expect(checkPolicy(o, opts)).toContain(
      "Deployment/polaris: runs as the namespace's default ServiceAccount, not one of its own",
    );
  });
});

describe('the example app with its pipelines', () => {
  test('pipeline pods run as their own accounts, without a token', () => {
    const app = buildExampleApp(fs.mkdtempSync(path.join(os.tmpdir(), 'floe-sa-')));
    const jobs = app.node.findChild('sales') as FloeJobs;
    const objects = Testing.synth(jobs) as K8sObject[];
    const cronJobs = objects.filter((o) => o.kind === 'CronJob');
    expect(cronJobs.length).toBeGreaterThan(0);
    for (const c of cronJobs) {
      const spec = get(c, 'spec.jobTemplate.spec.template.spec') as Json;
      expect([spec.serviceAccountName, spec.automountServiceAccountToken]).toEqual([c.metadata.name, false]);
    }
    expect(accounts(objects).map((a) => [a.metadata.name, a.automountServiceAccountToken])).toEqual([
      // In the platform namespace; only its Job's pod mounts a token (to write the Secret).
      ['floe-sales-catalog-access', false],
      ['customer-360', false],
      ['customer-360-backfill', false],
    ]);
    const access = objects.find((o) => o.kind === 'Job' && o.metadata.name === 'floe-sales-catalog-access');
    expect(get(access, 'spec.template.spec.automountServiceAccountToken')).toBe(true);
  });
});
