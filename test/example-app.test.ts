import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { FloeJobs } from '../src/jobs/floe-jobs';
import { buildExampleApp } from '../src/main';
import { FloePlatform } from '../src/platform/floe-platform';
import { validateObjects } from './support/k8s-schema';
import { checkPolicy } from './support/policy';
import { K8sObject } from './support/synth';

const DIST = path.join(__dirname, '..', 'dist');

function example(): { platform: FloePlatform; jobs: FloeJobs; objects: K8sObject[] } {
  const app = buildExampleApp(fs.mkdtempSync(path.join(os.tmpdir(), 'floe-example-')));
  const platform = app.node.findChild('platform') as FloePlatform;
  const jobs = app.node.findChild('sales') as FloeJobs;
  const objects = [...Testing.synth(platform), ...Testing.synth(jobs)] as K8sObject[];
  return { platform, jobs, objects };
}

function synthFiles(): Map<string, string> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-example-'));
  buildExampleApp(outdir).synth();
  const files = new Map(
    fs.readdirSync(outdir).map((f) => [f, fs.readFileSync(path.join(outdir, f), 'utf8')]),
  );
  fs.rmSync(outdir, { recursive: true, force: true });
  return files;
}

describe('example app (src/main.ts, what `npx cdk8s synth` runs)', () => {
  const { platform, jobs, objects } = example();

  test('has a platform and a jobs chart with a scheduled and a manual pipeline', () => {
    expect(jobs.namespaceName).toBe('floe-sales');
    expect(jobs.pipelines.map((p) => `${p.name}:${p.trigger}`)).toEqual([
      'customer-360:schedule',
      'customer-360-backfill:manual',
    ]);
  });

  test('puts every HTTP UI and API behind an Ingress with TLS from cert-manager', () => {
    const ingresses = objects.filter((o) => o.kind === 'Ingress');
    const services = new Set(objects.filter((o) => o.kind === 'Service').map((o) => o.metadata.name));
    expect(Object.keys(platform.ingresses).sort()).toEqual(
      ['catalog', 'dashboards', 'lineage', 'orchestrator', 'semantic', 'tracing'].sort(),
    );
    expect(ingresses).toHaveLength(6);
    for (const ingress of ingresses) {
      const spec = ingress.spec as {
        ingressClassName: string;
        rules: { host: string; http: { paths: { backend: { service: { name: string } } }[] } }[];
        tls: { hosts: string[]; secretName: string }[];
      };
      const host = spec.rules[0].host;
      expect(host).toMatch(/^[a-z]+\.floe\.example\.com$/);
      expect(spec.ingressClassName).toBe('nginx');
      expect(spec.tls).toEqual([{ hosts: [host], secretName: `${host.split('.')[0]}-tls` }]);
      expect(ingress.metadata.annotations).toEqual({ 'cert-manager.io/cluster-issuer': 'letsencrypt-prod' });
      expect(services.has(spec.rules[0].http.paths[0].backend.service.name)).toBe(true);
    }
    // cert-manager writes the TLS Secrets: they are not prerequisites.
    expect(platform.requiredSecrets.filter((s) => s.name.endsWith('-tls'))).toEqual([]);
  });

  test('shows the whole production shape', () => {
    const names = (kind: string, ns?: string): string[] =>
      objects
        .filter((o) => o.kind === kind && (ns === undefined || o.metadata.namespace === ns))
        .map((o) => o.metadata.name)
        .sort();
    const spec = (kind: string, name: string): Record<string, unknown> =>
      objects.find((o) => o.kind === kind && o.metadata.name === name)?.spec as Record<string, unknown>;
    // Autoscaled stateless servers, which then set no replica count.
    expect(names('HorizontalPodAutoscaler')).toEqual([
      'cube',
      'dagster-webserver',
      'otel-collector',
      'polaris',
    ]);
    for (const name of names('HorizontalPodAutoscaler')) {
      expect(spec('Deployment', name).replicas).toBeUndefined();
    }
    // The medium preset: 2 webservers at least, 5 code servers; the daemon as leader and standby.
    expect(spec('HorizontalPodAutoscaler', 'dagster-webserver')).toMatchObject({
      minReplicas: 2,
      maxReplicas: 10,
    });
    expect(spec('Deployment', 'dagster-analytics').replicas).toBe(5);
    expect(spec('Deployment', 'dagster-daemon').replicas).toBe(2);
    expect(names('Role')).toContain('dagster-daemon-leader-election');
    // Budgets for every multi-pod workload, the docs' values where they give one.
    expect(spec('PodDisruptionBudget', 'dagster-analytics')).toMatchObject({ minAvailable: 2 });
    expect(names('PodDisruptionBudget')).toEqual([
      'cube',
      'cubestore-workers',
      'dagster-analytics',
      'dagster-daemon',
      'dagster-webserver',
      'marquez',
      'minio',
      'otel-collector',
      'polaris',
    ]);
    // Isolation in both namespaces, monitoring, backups of every database.
    expect(names('NetworkPolicy', 'floe-platform')).toContain('default-deny');
    expect(names('NetworkPolicy', 'floe-sales')).toContain('default-deny');
    expect(names('ServiceMonitor')).toContain('dagster-metrics');
    expect(names('PrometheusRule')).toEqual(['floe-platform-alerts']);
    expect(names('CronJob', 'floe-platform')).toEqual([
      'catalog-db-backup',
      'lineage-db-backup',
      'orchestrator-db-backup',
    ]);
  });

  test('passes strict schema validation', () => {
    expect(validateObjects(objects)).toEqual([]);
  });

  test('passes the policy check with the README prerequisites', () => {
    expect(
      checkPolicy(objects, {
        prerequisiteSecrets: [...platform.requiredSecrets, ...jobs.requiredSecrets].map((s) => s.name),
        prerequisiteConfigMaps: [...platform.requiredConfigMaps, ...jobs.requiredConfigMaps],
      }),
    ).toEqual([]);
  });

  test('the README gives the command for every prerequisite of the example', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const missing = [...platform.prerequisiteCommands(), ...jobs.prerequisiteCommands()].filter(
      (c) => !readme.includes(c),
    );
    expect(missing).toEqual([]);
  });

  test('no string opens a Helm template action, so the Helm chart renders objects literally', () => {
    const offending: string[] = [];
    const visit = (v: unknown): void => {
      if (typeof v === 'string' && v.includes('{{')) offending.push(v);
      else if (v && typeof v === 'object') Object.values(v).forEach(visit);
    };
    visit(objects);
    expect(offending).toEqual([]);
  });

  test('the committed dist/ is what the example synthesizes today (platform first, then jobs)', () => {
    const fresh = synthFiles();
    expect([...fresh.keys()]).toEqual(['0000-platform.k8s.yaml', '0001-sales.k8s.yaml']);
    const committed = fs
      .readdirSync(DIST)
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    expect(committed).toEqual([...fresh.keys()]);
    // On failure: run `npm run synth`, review the diff of dist/ and commit it.
    const stale = committed.filter((f) => fs.readFileSync(path.join(DIST, f), 'utf8') !== fresh.get(f));
    expect(stale).toEqual([]);
  });
});
