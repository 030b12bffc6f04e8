import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { connect, connectionTargetOf, Connections, KUBERNETES_API } from '../src/core/connections';
import { RuntimePods } from '../src/core/runtime-pods';
import { NetworkIsolation } from '../src/core/network-isolation';
import { FloeJobs } from '../src/jobs/floe-jobs';
import { dbt, ingest } from '../src/jobs/steps';
import { buildExampleApp } from '../src/main';
import { FloePlatform, FloePlatformProps } from '../src/platform/floe-platform';
import { Grafana } from '../src/plugins/observability/grafana';
import { Jaeger } from '../src/plugins/observability/jaeger';
import { Marquez } from '../src/plugins/observability/marquez';
import { OtelCollector } from '../src/plugins/observability/otel-collector';
import { Dagster } from '../src/plugins/orchestrator/dagster';
import { Cube } from '../src/plugins/semantic/cube';
import { ExternalS3 } from '../src/plugins/storage/external-s3';
import { EXAMPLES } from './support/example-programs';
import { expectValidationError, thrownMessage } from './support/helpers';
import { validateObjects } from './support/k8s-schema';
import {
  allowedEdges,
  checkConfiguredConnections,
  checkIsolation,
  declaredEdges,
  EdgeDefaults,
} from './support/network';
import { findObject, get, K8sObject } from './support/synth';

const IMAGE = 'registry.example.com/sales/customer-360:1.4.2';

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'floe-netpol-'));
}

function synthAll(app: App): K8sObject[] {
  return app.charts.flatMap((c) => Testing.synth(c) as K8sObject[]);
}

function policies(objects: K8sObject[], namespace?: string): K8sObject[] {
  return objects.filter(
    (o) => o.kind === 'NetworkPolicy' && (namespace === undefined || o.metadata.namespace === namespace),
  );
}

function policy(objects: K8sObject[], namespace: string, name: string): K8sObject {
  return findObject(policies(objects, namespace), 'NetworkPolicy', name);
}

/** A platform with a jobs chart in its own namespace and one in the platform's. */
function platformAndJobs(props: FloePlatformProps = {}): App {
  const app = Testing.app();
  const platform = new FloePlatform(app, 'platform', { lineage: Marquez.provider(), ...props });
  const sales = new FloeJobs(app, 'sales', { platform, namespace: 'floe-sales' });
  sales.addPipeline('orders', {
    image: IMAGE,
    schedule: '@daily',
    steps: [ingest.dlt({ source: 'shopify' }), dbt.run()],
  });
  const inPlatform = new FloeJobs(app, 'ops', { platform, namespace: platform.namespaceName });
  inPlatform.addPipeline('maintenance', {
    image: IMAGE,
    steps: [dbt.run()],
    automountServiceAccountToken: true,
  });
  return app;
}

/** Jobs whose platform is defined in another app: only its endpoints are known. */
function jobsFromEndpoints(): App {
  const other = Testing.app();
  const platform = new FloePlatform(other, 'platform', {});
  const app = Testing.app();
  const jobs = new FloeJobs(app, 'jobs', { endpoints: platform.endpoints, namespace: 'floe-team' });
  jobs.addPipeline('nightly', { image: IMAGE, schedule: '@daily', steps: [dbt.run()] });
  return app;
}

const APPS: [string, () => App][] = [
  ['example app (src/main.ts)', () => buildExampleApp(tmpdir())],
  ...EXAMPLES.map((e): [string, () => App] => [`manifest example: ${e.name}`, () => e.program(tmpdir())]),
  ['default platform', () => new FloePlatform(Testing.app(), 'platform').node.root as App],
  ['platform with jobs in two namespaces', () => platformAndJobs()],
  [
    'external database and S3, DaemonSet collector, Ingresses',
    () =>
      platformAndJobs({
        externalDatabases: {
          'orchestrator-db': {
            host: 'pg.example.internal',
            passwordSecret: { name: 'pg', key: 'postgresql-password' },
          },
          'catalog-db': {
            host: '10.20.30.40',
            port: 6432,
            passwordSecret: { name: 'pg2', key: 'postgresql-password' },
          },
        },
        storage: ExternalS3.provider({
          region: 'eu-west-1',
          bucket: 'acme-lakehouse',
          accessKeyId: { name: 'aws-s3', key: 'access-key-id' },
          secretAccessKey: { name: 'aws-s3', key: 'secret-access-key' },
        }),
        telemetry: OtelCollector.provider({ mode: 'daemonset' }),
        tracing: Jaeger.provider(),
        ingress: { catalog: { host: 'polaris.example.com' }, orchestrator: {} },
      }),
  ],
  [
    'Dagster runs in another namespace, Cube on Trino',
    () =>
      platformAndJobs({
        orchestrator: Dagster.provider({ jobNamespace: 'dagster-runs' }),
        semantic: Cube.provider({
          dataSource: { type: 'trino', host: 'trino.analytics.svc.cluster.local', port: 8080 },
        }),
      }),
  ],
  ['jobs on the endpoints of a platform in another app', jobsFromEndpoints],
];

describe.each(APPS)('%s', (_name, build) => {
  const app = build();
  const objects = synthAll(app);
  const created = objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name);

  test('every namespace the library creates denies by default, and every pod is isolated both ways', () => {
    expect(created.length).toBeGreaterThan(0);
    expect(checkIsolation(objects, created)).toEqual([]);
  });

  test('the policies allow exactly the declared connections (plus DNS and the ingress controller)', () => {
    const allowed = allowedEdges(objects);
    const declared = declaredEdges(app, objects);
    expect(allowed.egress).toEqual(declared.egress);
    expect(allowed.ingress).toEqual(declared.ingress);
  });

  test('every address a pod is configured with is allowed at both ends', () => {
    expect(checkConfiguredConnections(objects)).toEqual([]);
  });

  test('the policies pass the strict schema check and carry the recommended labels', () => {
    const netpols = policies(objects);
    expect(validateObjects(netpols)).toEqual([]);
    for (const p of netpols) {
      expect(Object.keys(p.metadata.labels ?? {}).sort()).toEqual(
        ['component', 'instance', 'managed-by', 'name', 'part-of', 'version'].map(
          (l) => `app.kubernetes.io/${l}`,
        ),
      );
      expect(p.metadata.labels?.['app.kubernetes.io/component']).toBe('network-policy');
    }
  });
});

describe('the namespace policies', () => {
  const objects = synthAll(platformAndJobs());

  test('default-deny selects every pod and allows nothing, in each namespace a chart creates', () => {
    for (const ns of ['floe-platform', 'floe-sales']) {
      expect(policy(objects, ns, 'default-deny').spec).toEqual({
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
      });
    }
  });

  test('allow-dns lets every pod query the cluster DNS over UDP and TCP', () => {
    expect(policy(objects, 'floe-sales', 'allow-dns').spec).toEqual({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
              podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
            },
          ],
          ports: [
            { port: 53, protocol: 'UDP' },
            { port: 53, protocol: 'TCP' },
          ],
        },
      ],
    });
  });

  test('a jobs chart in the platform namespace writes its pipelines policies but not the namespace ones', () => {
    const names = policies(objects, 'floe-platform').map((p) => p.metadata.name);
    expect(names.filter((n) => n === 'default-deny' || n === 'allow-dns')).toEqual([
      'default-deny',
      'allow-dns',
    ]);
    expect(names).toContain('maintenance');
  });

  test('policies are named after their workloads and written in name order after the namespace ones', () => {
    const names = policies(objects, 'floe-sales').map((p) => p.metadata.name);
    expect(names).toEqual(['default-deny', 'allow-dns', 'orders']);
    // The platform chart's, then the `ops` jobs chart's (`maintenance`), each in name order.
    const platformNames = policies(objects, 'floe-platform')
      .map((p) => p.metadata.name)
      .slice(2);
    // The jobs charts' own policies follow: each product's catalog access Job (sales, then ops)
    // and the `ops` pipeline.
    expect(platformNames.splice(-3)).toEqual([
      'floe-sales-catalog-access',
      'floe-platform-catalog-access',
      'maintenance',
    ]);
    expect(platformNames).toEqual([...platformNames].sort());
    expect(platformNames).toEqual(
      expect.arrayContaining(['polaris', 'dagster-webserver', 'dagster-run', 'minio']),
    );
  });
});

describe('rules follow the declarations', () => {
  const app = platformAndJobs({ ingress: { catalog: { host: 'polaris.example.com' } } });
  const objects = synthAll(app);

  test('a pipeline in another namespace reaches Polaris: egress in its namespace, ingress in the platform', () => {
    const polarisPods = {
      matchLabels: {
        'app.kubernetes.io/component': 'server',
        'app.kubernetes.io/instance': 'polaris',
        'app.kubernetes.io/name': 'polaris',
      },
    };
    const orders = policy(objects, 'floe-sales', 'orders');
    expect(get(orders, 'spec.egress')).toContainEqual({
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'floe-platform' } },
          podSelector: polarisPods,
        },
      ],
      ports: [{ port: 8181, protocol: 'TCP' }],
    });
    const polaris = policy(objects, 'floe-platform', 'polaris');
    const from = (get(polaris, 'spec.ingress') as { from: unknown[]; ports: unknown[] }[]).find((r) =>
      r.from.some((p) => JSON.stringify(p).includes('"orders"')),
    );
    expect(from?.ports).toEqual([{ port: 8181, protocol: 'TCP' }]);
    expect(from?.from).toContainEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'floe-sales' } },
      podSelector: {
        matchLabels: {
          'app.kubernetes.io/component': 'pipeline',
          'app.kubernetes.io/instance': 'orders',
          'app.kubernetes.io/name': 'orders',
        },
      },
    });
  });

  test('the ingress controller reaches the port an Ingress exposes, nothing else', () => {
    const controller = {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
      podSelector: {
        matchLabels: {
          'app.kubernetes.io/component': 'controller',
          'app.kubernetes.io/name': 'ingress-nginx',
        },
      },
    };
    const rules = get(policy(objects, 'floe-platform', 'polaris'), 'spec.ingress') as {
      from: unknown[];
      ports: unknown[];
    }[];
    const withController = rules.filter((r) =>
      r.from.some((p) => JSON.stringify(p) === JSON.stringify(controller)),
    );
    expect(withController.map((r) => r.ports)).toEqual([[{ port: 8181, protocol: 'TCP' }]]);
    expect(JSON.stringify(policy(objects, 'floe-platform', 'dagster-webserver'))).not.toContain(
      'ingress-nginx',
    );
  });

  test('a dlt step may call HTTPS APIs; a dbt-only pipeline may not', () => {
    const https = { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 443, protocol: 'TCP' }] };
    expect(get(policy(objects, 'floe-sales', 'orders'), 'spec.egress')).toContainEqual(https);
    expect(JSON.stringify(get(policy(objects, 'floe-platform', 'maintenance'), 'spec.egress'))).not.toContain(
      '"port":443,"protocol":"TCP"}],"to":[{"ipBlock"',
    );
  });

  test('pods with an API token reach the API server on 443 and 6443; others do not', () => {
    const api = {
      to: [{ ipBlock: { cidr: '0.0.0.0/0' } }],
      ports: [
        { port: 443, protocol: 'TCP' },
        { port: 6443, protocol: 'TCP' },
      ],
    };
    for (const name of ['dagster-webserver', 'dagster-daemon', 'prometheus', 'maintenance']) {
      expect(get(policy(objects, 'floe-platform', name), 'spec.egress')).toContainEqual(api);
    }
    for (const name of ['polaris', 'cube', 'dagster-run']) {
      expect(get(policy(objects, 'floe-platform', name), 'spec.egress')).not.toContainEqual(api);
    }
  });

  test('Dagster run pods carry the labels their policy selects, through the run launcher', () => {
    const dagsterYaml = String(
      get(findObject(objects, 'ConfigMap', 'dagster-instance'), 'data')?.['dagster.yaml' as never],
    );
    expect(dagsterYaml).toContain('app.kubernetes.io/instance: orchestrator');
    expect(get(policy(objects, 'floe-platform', 'dagster-run'), 'spec.podSelector')).toEqual({
      matchLabels: {
        'app.kubernetes.io/component': 'run_worker',
        'app.kubernetes.io/instance': 'orchestrator',
        'app.kubernetes.io/name': 'dagster',
      },
    });
  });

  test('Prometheus reaches exactly the annotated metrics ports: no annotation, no path', () => {
    const withScrape = synthAll(new FloePlatform(Testing.app(), 'platform').node.root as App);
    const without = synthAll(
      new FloePlatform(Testing.app(), 'platform', { dashboards: Grafana.provider({ scrapeMetrics: false }) })
        .node.root as App,
    );
    const grafanaIngress = (o: K8sObject[]): string =>
      JSON.stringify(get(policy(o, 'floe-platform', 'grafana'), 'spec'));
    expect(grafanaIngress(withScrape)).toContain('"port":3000');
    expect(grafanaIngress(without)).not.toContain('"port":3000');
  });

  test('an external server is allowed by address range, an IP address exactly', () => {
    const o = synthAll(
      platformAndJobs({
        externalDatabases: {
          'orchestrator-db': {
            host: 'pg.example.internal',
            passwordSecret: { name: 'pg', key: 'postgresql-password' },
          },
          'catalog-db': {
            host: '10.20.30.40',
            port: 6432,
            passwordSecret: { name: 'pg2', key: 'postgresql-password' },
          },
        },
      }),
    );
    expect(get(policy(o, 'floe-platform', 'dagster-run'), 'spec.egress')).toContainEqual({
      to: [{ ipBlock: { cidr: '0.0.0.0/0' } }],
      ports: [{ port: 5432, protocol: 'TCP' }],
    });
    expect(get(policy(o, 'floe-platform', 'polaris'), 'spec.egress')).toContainEqual({
      to: [{ ipBlock: { cidr: '10.20.30.40/32' } }],
      ports: [{ port: 6432, protocol: 'TCP' }],
    });
  });

  test('run pods in a namespace the library does not create get DNS in their own policy', () => {
    const o = synthAll(platformAndJobs({ orchestrator: Dagster.provider({ jobNamespace: 'dagster-runs' }) }));
    const run = policy(o, 'dagster-runs', 'dagster-run');
    expect(policies(o, 'dagster-runs')).toHaveLength(1);
    expect(JSON.stringify(get(run, 'spec.egress'))).toContain('kube-dns');
    expect(get(run, 'spec.policyTypes')).toEqual(['Ingress', 'Egress']);
  });

  test('policies added after a first synth are written by the next one', () => {
    const a = Testing.app();
    const platform = new FloePlatform(a, 'platform');
    const first = policies(Testing.synth(platform) as K8sObject[]).length;
    const jobs = new FloeJobs(a, 'late', { platform, namespace: 'floe-late' });
    jobs.addPipeline('late', { image: IMAGE, steps: [dbt.run()] });
    expect(policies(Testing.synth(jobs) as K8sObject[]).map((p) => p.metadata.name)).toEqual([
      'default-deny',
      'allow-dns',
      'late',
      // Its catalog access Job's, in the platform namespace.
      'floe-late-catalog-access',
    ]);
    expect(policies(Testing.synth(platform) as K8sObject[])).toHaveLength(first);
    expect(
      JSON.stringify(policy(Testing.synth(platform) as K8sObject[], 'floe-platform', 'polaris')),
    ).toContain('floe-late');
  });

  test('two synths give identical bytes', () => {
    expect(JSON.stringify(synthAll(platformAndJobs()))).toEqual(JSON.stringify(synthAll(platformAndJobs())));
  });
});

describe('the checks can fail', () => {
  const objects = synthAll(platformAndJobs());
  /** The objects with one rule removed from one policy. */
  const without = (name: string, direction: 'ingress' | 'egress', index: number): K8sObject[] =>
    objects.map((o) => {
      if (o.kind !== 'NetworkPolicy' || o.metadata.name !== name || o.metadata.namespace !== 'floe-platform')
        return o;
      const spec = { ...(o.spec as Record<string, unknown[]>) };
      spec[direction] = spec[direction].filter((_r, i) => i !== index);
      return { ...o, spec };
    });

  test("Cube with DuckDB may fetch DuckDB's extensions (plain HTTP), Cube on Trino may not", () => {
    const fetchesExtensions = (o: K8sObject[]): boolean =>
      (get(policy(o, 'floe-platform', 'cube'), 'spec.egress') as unknown[]).some(
        (r) => JSON.stringify(r).includes('"ipBlock"') && JSON.stringify(r).includes('"port":80,'),
      );
    expect(fetchesExtensions(objects)).toBe(true);
    const trino = Testing.synth(
      new FloePlatform(Testing.app(), 'platform', {
        semantic: Cube.provider({
          dataSource: { type: 'trino', host: 'trino.analytics.svc.cluster.local', port: 8080 },
        }),
      }),
    ) as K8sObject[];
    expect(fetchesExtensions(trino)).toBe(false);
  });

  test('a missing egress rule is a configured connection not allowed, and an undeclared difference', () => {
    // Drop cube's egress rule to the Cube Store router (3030).
    const rules = get(policy(objects, 'floe-platform', 'cube'), 'spec.egress') as unknown[];
    const toRouter = rules.findIndex((r) =>
      JSON.stringify(r).includes('"app.kubernetes.io/component":"router"'),
    );
    expect(toRouter).toBeGreaterThanOrEqual(0);
    const broken = without('cube', 'egress', toRouter);
    expect(checkConfiguredConnections(broken).join('\n')).toMatch(
      /Deployment\/cube .*cubestore-router.*egress/,
    );
    expect(allowedEdges(broken).egress).not.toEqual(allowedEdges(objects).egress);
  });

  test('a missing ingress rule is found at the server', () => {
    const broken = without('catalog-db', 'ingress', 0);
    expect(checkConfiguredConnections(broken).join('\n')).toMatch(
      /Deployment\/polaris .*catalog-db.*ingress/,
    );
  });

  test('a pod nothing isolates is reported', () => {
    const unisolated = objects.filter(
      (o) => !(o.kind === 'NetworkPolicy' && o.metadata.name === 'default-deny'),
    );
    expect(checkIsolation(unisolated, ['floe-platform']).join('\n')).toContain('no default-deny');
  });
});

describe('off switch', () => {
  test('networkPolicies: false writes no NetworkPolicy in either chart', () => {
    const app = Testing.app();
    const platform = new FloePlatform(app, 'platform', { networkPolicies: false });
    const jobs = new FloeJobs(app, 'sales', { platform, namespace: 'floe-sales', networkPolicies: false });
    jobs.addPipeline('orders', { image: IMAGE, steps: [dbt.run()] });
    expect(policies(synthAll(app))).toEqual([]);
    expect(platform.networkIsolation).toBeUndefined();
    expect(jobs.networkIsolation).toBeUndefined();
  });

  test('with the platform off, the jobs still isolate their own namespace', () => {
    const app = Testing.app();
    const platform = new FloePlatform(app, 'platform', { networkPolicies: false });
    const jobs = new FloeJobs(app, 'sales', { platform, namespace: 'floe-sales' });
    jobs.addPipeline('orders', { image: IMAGE, steps: [dbt.run()] });
    const objects = synthAll(app);
    // Only the policy the jobs chart writes for its own catalog access Job, which isolates that
    // Job's pods and nothing else of the platform's.
    expect(policies(objects, 'floe-platform').map((p) => p.metadata.name)).toEqual([
      'floe-sales-catalog-access',
    ]);
    expect(policies(objects, 'floe-sales').map((p) => p.metadata.name)).toEqual([
      'default-deny',
      'allow-dns',
      'orders',
    ]);
  });
});

describe("the Prometheus operator's scrapes", () => {
  const scraper = {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
    podSelector: {
      matchLabels: {
        'app.kubernetes.io/managed-by': 'prometheus-operator',
        'app.kubernetes.io/name': 'prometheus',
      },
    },
  };
  const build = (props: FloePlatformProps): K8sObject[] =>
    Testing.synth(new FloePlatform(Testing.app(), 'platform', props)) as K8sObject[];

  test('the Prometheus the ServiceMonitors configure may reach exactly the ports they name', () => {
    const objects = build({});
    // Polaris serves metrics on its management port only (the rule also admits the bundled one).
    expect(get(policy(objects, 'floe-platform', 'polaris'), 'spec.ingress')).toContainEqual({
      from: expect.arrayContaining([scraper]),
      ports: [{ port: 8182, protocol: 'TCP' }],
    });
    const reached = objects
      .filter((o) => o.kind === 'NetworkPolicy' && JSON.stringify(o.spec).includes('prometheus-operator'))
      .map((o) => o.metadata.name)
      .sort();
    const monitored = objects
      .filter((o) => o.kind === 'ServiceMonitor')
      .map((o) => o.metadata.name)
      .sort();
    // One policy per monitored workload; the Cube Store ServiceMonitors select router and workers.
    expect(reached).toEqual(monitored);
  });

  test('follow networkPolicies.metricsScraper, and go with monitoring: false', () => {
    const custom = build({
      networkPolicies: { metricsScraper: { namespace: 'observability', podLabels: { app: 'prometheus' } } },
    });
    expect(get(policy(custom, 'floe-platform', 'polaris'), 'spec.ingress')).toContainEqual({
      from: expect.arrayContaining([
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } },
          podSelector: { matchLabels: { app: 'prometheus' } },
        },
      ]),
      ports: [{ port: 8182, protocol: 'TCP' }],
    });
    expect(JSON.stringify(custom)).not.toContain('prometheus-operator');
    expect(JSON.stringify(build({ monitoring: false }))).not.toContain('prometheus-operator');
  });
});

describe('options', () => {
  const options = {
    dns: { namespace: 'dns', podLabels: { app: 'coredns' }, cidrs: ['169.254.20.10/32'] },
    kubernetesApi: { cidrs: ['10.0.0.1/32', '192.168.1.10/32'], ports: [6443] },
    ingressController: { namespace: 'traefik', podLabels: { 'app.kubernetes.io/name': 'traefik' } },
    externalCidrs: ['203.0.113.0/24'],
  };
  const app = Testing.app();
  const platform = new FloePlatform(app, 'platform', {
    networkPolicies: options,
    ingress: { catalog: {} },
    storage: ExternalS3.provider({
      region: 'eu-west-1',
      bucket: 'acme-lakehouse',
      accessKeyId: { name: 'aws-s3', key: 'access-key-id' },
      secretAccessKey: { name: 'aws-s3', key: 'secret-access-key' },
    }),
  });
  const objects = Testing.synth(platform) as K8sObject[];

  test('change the DNS, API server, ingress controller and external peers', () => {
    expect(get(policy(objects, 'floe-platform', 'allow-dns'), 'spec.egress')).toEqual([
      {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'dns' } },
            podSelector: { matchLabels: { app: 'coredns' } },
          },
          { ipBlock: { cidr: '169.254.20.10/32' } },
        ],
        ports: [
          { port: 53, protocol: 'UDP' },
          { port: 53, protocol: 'TCP' },
        ],
      },
    ]);
    expect(get(policy(objects, 'floe-platform', 'dagster-daemon'), 'spec.egress')).toContainEqual({
      to: [{ ipBlock: { cidr: '10.0.0.1/32' } }, { ipBlock: { cidr: '192.168.1.10/32' } }],
      ports: [{ port: 6443, protocol: 'TCP' }],
    });
    expect(get(policy(objects, 'floe-platform', 'polaris'), 'spec.egress')).toContainEqual({
      to: [{ ipBlock: { cidr: '203.0.113.0/24' } }],
      ports: [{ port: 443, protocol: 'TCP' }],
    });
    expect(JSON.stringify(get(policy(objects, 'floe-platform', 'polaris'), 'spec.ingress'))).toContain(
      'traefik',
    );
    expect(JSON.stringify(objects)).not.toContain('0.0.0.0/0');
  });

  test('and the policies still allow exactly the declared connections', () => {
    const defaults: EdgeDefaults = {
      externalCidrs: options.externalCidrs,
      apiCidrs: options.kubernetesApi.cidrs,
      apiPorts: options.kubernetesApi.ports,
      dns: 'pods:dns:app=coredns',
      ingressController: 'pods:traefik:app.kubernetes.io/name=traefik',
    };
    const allowed = allowedEdges(objects);
    const declared = declaredEdges(app, objects, defaults);
    // The extra DNS address is the one path that is not an edge to a pod.
    const dnsCidr = (e: string): boolean => e.includes('cidr:169.254.20.10/32');
    expect(allowed.egress.filter((e) => !dnsCidr(e))).toEqual(declared.egress);
    expect(allowed.ingress).toEqual(declared.ingress);
    expect(checkConfiguredConnections(objects, defaults)).toEqual([]);
  });

  test.each([
    [
      { externalCidrs: ['10.0.0.0'] },
      "platform: invalid networkPolicies.externalCidrs[0]: got \"10.0.0.0\", expected a CIDR: an IPv4 or IPv6 address with a prefix length, e.g. '10.0.0.0/8' or 'fd00::/8'",
    ],
    [
      { kubernetesApi: { ports: [] } },
      'platform: invalid networkPolicies.kubernetesApi.ports: got [], expected at least one port',
    ],
    [
      { kubernetesApi: { ports: [70000] } },
      'platform: invalid networkPolicies.kubernetesApi.ports[0]: got 70000, expected an integer from 1 to 65535',
    ],
    [
      { dns: { namespace: 'Kube_System' } },
      'platform: invalid networkPolicies.dns.namespace: got "Kube_System", expected a DNS-1123 label: lower-case letters, digits and \'-\', starting and ending with a letter or digit, 1 to 63 characters',
    ],
    [
      { ingressController: { podLabels: {} } },
      'platform: invalid networkPolicies.ingressController.podLabels: got {}, expected at least one label, e.g. { "k8s-app": "kube-dns" }',
    ],
  ])('reject %j', (networkPolicies, message) => {
    expectValidationError(() => new FloePlatform(Testing.app(), 'platform', { networkPolicies }), message);
  });
});

describe('connect()', () => {
  test('reads the address a pod is configured with', () => {
    expect(
      connectionTargetOf('jdbc:postgresql://catalog-db.floe-platform.svc.cluster.local:5432/polaris'),
    ).toEqual({
      serviceName: 'catalog-db',
      namespace: 'floe-platform',
      port: 5432,
      host: 'catalog-db.floe-platform.svc.cluster.local',
      address: 'catalog-db.floe-platform.svc.cluster.local:5432',
    });
    expect(
      connectionTargetOf('cubestore-workers-0.cubestore-workers.x.svc.cluster.local:9001'),
    ).toMatchObject({
      serviceName: 'cubestore-workers',
      namespace: 'x',
      port: 9001,
    });
    expect(connectionTargetOf('http://polaris.floe-platform.svc:8181/api/catalog')).toMatchObject({
      serviceName: 'polaris',
      namespace: 'floe-platform',
    });
    expect(connectionTargetOf('https://s3.eu-west-1.amazonaws.com')).toEqual({
      host: 's3.eu-west-1.amazonaws.com',
      port: 443,
    });
    expect(connectionTargetOf('pg.example.internal:5432')).toEqual({
      host: 'pg.example.internal',
      port: 5432,
    });
    const chart = new Chart(Testing.app(), 'c', { namespace: 'team' });
    expect(connectionTargetOf('exporter:9100', chart)).toMatchObject({
      serviceName: 'exporter',
      namespace: 'team',
    });
    expect(thrownMessage(() => connectionTargetOf('not an address'))).toContain('invalid connect');
  });

  test('records one declaration per target, with the clients and the reason', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'team' });
    const job = new k8s.KubeJob(chart, 'job', { spec: { template: { spec: { containers: [] } } } });
    connect(job, [KUBERNETES_API, 'https://api.example.com'], 'reasons');
    expect(Connections.of(app).declarations.map((d) => [d.clients, d.target, d.reason])).toEqual([
      [[job], KUBERNETES_API, 'reasons'],
      [[job], { host: 'api.example.com', port: 443 }, 'reasons'],
    ]);
  });

  test('a declaration from a construct without workloads fails the synth, naming it', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'team' });
    new NetworkIsolation(chart, 'isolation', {
      identity: { name: 'x', instance: 'team', component: 'network-policy', partOf: 'floe', version: 'v1' },
    });
    connect(chart, KUBERNETES_API, 'nothing here');
    expect(thrownMessage(() => Testing.synth(chart))).toContain(
      'connect (nothing here): c holds no workload',
    );
  });

  test('runtime pods need labels and DNS names', () => {
    const chart = new Chart(Testing.app(), 'c');
    expectValidationError(
      () => new RuntimePods(chart, 'r', { name: 'runs', namespace: 'team', labels: {} }),
      'c/r: invalid labels: got {}, expected at least one label that selects the pods',
    );
  });

  test('a construct of your own gets its rules from one call', () => {
    const app = Testing.app();
    const platform = new FloePlatform(app, 'platform', {});
    const chart = new Chart(app, 'backup', { namespace: 'floe-backup' });
    new NetworkIsolation(chart, 'network-policies', {
      identity: {
        name: 'backup',
        instance: 'floe-backup',
        component: 'network-policy',
        partOf: 'floe',
        version: 'v1',
      },
    });
    const cron = new k8s.KubeCronJob(chart, 'cron', {
      metadata: { name: 'db-backup' },
      spec: {
        schedule: '@daily',
        jobTemplate: {
          spec: {
            template: {
              metadata: {
                labels: {
                  'app.kubernetes.io/name': 'backup',
                  'app.kubernetes.io/instance': 'db',
                  'app.kubernetes.io/component': 'cron',
                },
              },
              spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x:1' }] },
            },
          },
        },
      },
    });
    connect(cron, platform.databases['catalog-db'].jdbcUrl, 'dumps the catalog database');
    const objects = synthAll(app);
    expect(get(policy(objects, 'floe-backup', 'db-backup'), 'spec.egress')).toContainEqual({
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'floe-platform' } },
          podSelector: {
            matchLabels: {
              'app.kubernetes.io/component': 'database',
              'app.kubernetes.io/instance': 'catalog-db',
              'app.kubernetes.io/name': 'postgresql',
            },
          },
        },
      ],
      ports: [{ port: 5432, protocol: 'TCP' }],
    });
    expect(JSON.stringify(get(policy(objects, 'floe-platform', 'catalog-db'), 'spec.ingress'))).toContain(
      'floe-backup',
    );
  });
});

/**
 * Who may reach whom, written by hand from docs/network-policies.md ("What is allowed and why"),
 * docs/monitoring.md, docs/backups.md and docs/jobs.md, for the default platform and one pipeline
 * (dlt + dbt) in namespace floe-sales: an expectation independent of the `connect()` declarations
 * the policies are built from, so an extra rule anywhere (egress or ingress) fails here.
 */
describe('reachability of the default platform and a jobs namespace (hand-written table)', () => {
  const P = 'floe-platform';
  const pod = {
    webserver: `${P}/Deployment/dagster-webserver`,
    daemon: `${P}/Deployment/dagster-daemon`,
    runs: `${P}/RunPod/dagster-instance`,
    dagsterMetrics: `${P}/Deployment/dagster-metrics`,
    orchestratorDb: `${P}/StatefulSet/orchestrator-db`,
    catalogDb: `${P}/StatefulSet/catalog-db`,
    orchestratorDbBackup: `${P}/CronJob/orchestrator-db-backup`,
    catalogDbBackup: `${P}/CronJob/catalog-db-backup`,
    polaris: `${P}/Deployment/polaris`,
    polarisBootstrap: `${P}/Job/polaris-bootstrap`,
    catalogSetup: `${P}/Job/polaris-catalog-setup`,
    // The floe-sales product's principal setup (docs/catalog-access.md), in the platform namespace.
    catalogAccess: `${P}/Job/floe-sales-catalog-access`,
    minio: `${P}/StatefulSet/minio`,
    buckets: `${P}/Job/minio-buckets`,
    cube: `${P}/Deployment/cube`,
    refreshWorker: `${P}/Deployment/cube-refresh-worker`,
    router: `${P}/StatefulSet/cubestore-router`,
    workers: `${P}/StatefulSet/cubestore-workers`,
    otel: `${P}/Deployment/otel-collector`,
    prometheus: `${P}/StatefulSet/prometheus`,
    grafana: `${P}/Deployment/grafana`,
    orders: 'floe-sales/CronJob/orders',
  };
  const ANYWHERE = 'cidr:0.0.0.0/0';
  const OPERATOR_PROMETHEUS =
    'pods:monitoring:app.kubernetes.io/managed-by=prometheus-operator,app.kubernetes.io/name=prometheus';
  type Row = readonly [client: string, server: string, port: number, why: string];
  const platformConfig = (client: string): Row[] => [
    [client, pod.polaris, 8181, 'Iceberg REST catalog (FLOE_CATALOG_URI)'],
    [client, pod.otel, 4317, 'OTLP (OTEL_EXPORTER_OTLP_ENDPOINT)'],
    [client, pod.minio, 9000, 'object storage (FLOE_S3_ENDPOINT)'],
    [client, pod.webserver, 3000, 'orchestrator API (FLOE_ORCHESTRATOR_URL)'],
    [client, pod.cube, 4000, 'semantic layer API (FLOE_SEMANTIC_API_URL)'],
  ];
  const scraped: Row[] = [
    [pod.dagsterMetrics, '', 9399, 'sql_exporter: Dagster run metrics'],
    [pod.grafana, '', 3000, 'Grafana /metrics'],
    [pod.otel, '', 8888, 'collector self-telemetry'],
    [pod.polaris, '', 8182, 'Quarkus management port /q/metrics'],
    [pod.router, '', 9102, 'statsd exporter of Cube Store'],
    [pod.workers, '', 9102, 'statsd exporter of Cube Store'],
    [pod.minio, '', 9000, 'MinIO /minio/v2/metrics'],
  ];
  const TABLE: Row[] = [
    // Metastores (PostgreSQL 5432) and their backups (docs/backups.md: pg_dump to object storage).
    [pod.webserver, pod.orchestratorDb, 5432, 'Dagster instance storage'],
    [pod.daemon, pod.orchestratorDb, 5432, 'Dagster instance storage'],
    [pod.runs, pod.orchestratorDb, 5432, 'run workers write events'],
    [pod.dagsterMetrics, pod.orchestratorDb, 5432, 'reads runs and heartbeats'],
    [pod.polaris, pod.catalogDb, 5432, 'Polaris metastore'],
    [pod.polarisBootstrap, pod.catalogDb, 5432, 'realm bootstrap'],
    [pod.orchestratorDbBackup, pod.orchestratorDb, 5432, 'pg_dump'],
    [pod.catalogDbBackup, pod.catalogDb, 5432, 'pg_dump'],
    [pod.orchestratorDbBackup, pod.minio, 9000, 'uploads the dump'],
    [pod.catalogDbBackup, pod.minio, 9000, 'uploads the dump'],
    // Object storage.
    [pod.minio, pod.minio, 9000, 'distributed MinIO nodes'],
    [pod.buckets, pod.minio, 9000, 'bucket setup (mc)'],
    [pod.polaris, pod.minio, 9000, 'warehouse files and STS'],
    [pod.cube, pod.minio, 9000, 'DuckDB reads the warehouse'],
    [pod.refreshWorker, pod.minio, 9000, 'DuckDB reads the warehouse'],
    [pod.router, pod.minio, 9000, 'Cube Store remote storage'],
    [pod.workers, pod.minio, 9000, 'Cube Store remote storage'],
    // Catalog and telemetry.
    [pod.webserver, pod.minio, 9000, 'reads step logs (S3ComputeLogManager)'],
    [pod.daemon, pod.minio, 9000, 'loads the instance with the step log storage'],
    [pod.catalogSetup, pod.polaris, 8181, 'creates the catalog'],
    [pod.catalogSetup, pod.polaris, 8182, 'waits for /q/health/ready'],
    [pod.catalogSetup, pod.minio, 9000, 'waits for the warehouse bucket'],
    [pod.catalogAccess, pod.polaris, 8181, 'creates the product principal, roles and grants'],
    [pod.catalogAccess, pod.polaris, 8182, 'waits for /q/health/ready'],
    [pod.polaris, pod.otel, 4317, 'traces (OTLP/gRPC)'],
    [pod.runs, pod.otel, 4318, 'OTLP/HTTP of Dagster runs'],
    [pod.otel, pod.prometheus, 9090, 'metrics export (OTLP/HTTP)'],
    [pod.grafana, pod.prometheus, 9090, 'Prometheus datasource'],
    // Semantic layer.
    [pod.cube, pod.router, 3030, 'Cube Store'],
    [pod.refreshWorker, pod.router, 3030, 'Cube Store'],
    [pod.router, pod.workers, 9001, 'Cube Store workers'],
    [pod.workers, pod.workers, 9001, 'Cube Store workers'],
    [pod.workers, pod.router, 9999, 'Cube Store metastore'],
    // Everything floe-platform-config names, for run pods and pipelines.
    ...platformConfig(pod.runs),
    ...platformConfig(pod.orders),
    // Scrapes: the bundled Prometheus and the operator's (docs/monitoring.md), which also scrapes
    // the bundled Prometheus.
    ...scraped.map(([target, , port, why]): Row => [pod.prometheus, target, port, why]),
    ...scraped.map(([target, , port, why]): Row => [OPERATOR_PROMETHEUS, target, port, why]),
    [OPERATOR_PROMETHEUS, pod.prometheus, 9090, 'Prometheus /metrics'],
    // Outside the cluster, and the Kubernetes API (443 for the Service, 6443 for the servers).
    [pod.cube, ANYWHERE, 80, 'DuckDB extensions'],
    [pod.refreshWorker, ANYWHERE, 80, 'DuckDB extensions'],
    [pod.grafana, ANYWHERE, 443, 'grafana.com plugins'],
    [pod.orders, ANYWHERE, 443, 'dlt sources (HTTPS APIs)'],
    ...[pod.webserver, pod.daemon, pod.prometheus, pod.catalogAccess].flatMap((c): Row[] => [
      [c, ANYWHERE, 443, 'Kubernetes API'],
      [c, ANYWHERE, 6443, 'Kubernetes API'],
    ]),
  ];
  const DNS = 'pods:kube-system:k8s-app=kube-dns';

  function app(): K8sObject[] {
    const a = Testing.app();
    const platform = new FloePlatform(a, 'platform');
    const sales = new FloeJobs(a, 'sales', { platform, namespace: 'floe-sales' });
    sales.addPipeline('orders', {
      image: IMAGE,
      schedule: '@daily',
      steps: [ingest.dlt({ source: 'shopify' }), dbt.run()],
    });
    return synthAll(a);
  }

  function expected(): { egress: string[]; ingress: string[] } {
    const isPod = (end: string): boolean => Object.values(pod).includes(end);
    const egress = TABLE.filter(([c]) => isPod(c)).map(([c, s, port]) => `${c} -> ${s} TCP/${port}`);
    const ingress = TABLE.filter(([, s]) => isPod(s)).map(([c, s, port]) => `${c} -> ${s} TCP/${port}`);
    for (const p of Object.values(pod)) egress.push(`${p} -> ${DNS} TCP/53`, `${p} -> ${DNS} UDP/53`);
    return { egress: [...new Set(egress)].sort(), ingress: [...new Set(ingress)].sort() };
  }

  const objects = app();

  test('the pods are the ones the table names', () => {
    expect(
      allowedEdges(objects)
        .egress.map((e) => e.split(' -> ')[0])
        .filter((v, i, all) => all.indexOf(v) === i)
        .sort(),
    ).toEqual(Object.values(pod).sort());
  });

  test('the policies allow exactly the table: every edge, and nothing else', () => {
    expect(allowedEdges(objects)).toEqual(expected());
  });

  test('an extra egress rule in one policy is caught', () => {
    const tampered = structuredClone(objects);
    const polaris = policy(tampered, P, 'polaris');
    const spec = polaris.spec as { egress: unknown[] };
    spec.egress.push({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }] });
    const allowed = allowedEdges(tampered);
    expect(allowed.egress.filter((e) => !expected().egress.includes(e))).toEqual([
      `${pod.polaris} -> ${ANYWHERE} TCP/443`,
    ]);
  });
});
