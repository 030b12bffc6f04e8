import { Chart, Testing } from 'cdk8s';
import {
  DEFAULT_SIZING,
  resolveProduction,
  SIZING_PRESETS,
  sizingReplicas,
  WorkloadAvailabilityOptions,
  workloadAvailability,
} from '../src/core/availability';
import { WorkloadIdentity } from '../src/core/labels';
import { FloePlatform, FloePlatformProps } from '../src/platform/floe-platform';
import { Marquez } from '../src/plugins/observability/marquez';
import { OtelCollector } from '../src/plugins/observability/otel-collector';
import { Dagster } from '../src/plugins/orchestrator/dagster';
import { DagsterCodeLocation } from '../src/plugins/orchestrator/dagster-code-location';
import { Polaris } from '../src/plugins/catalog/polaris';
import { MinIO } from '../src/plugins/storage/minio';
import { expectValidationError, Json } from './support/helpers';
import { validateObjects } from './support/k8s-schema';
import { checkPolicy } from './support/policy';
import { findObject, get, K8sObject, synthChart } from './support/synth';

const ANALYTICS: DagsterCodeLocation = {
  name: 'analytics',
  image: { registry: 'registry.example.com', repository: 'data/analytics', tag: '1.4.2' },
  moduleName: 'analytics.definitions',
};

function platform(props: FloePlatformProps = {}): { platform: FloePlatform; objects: K8sObject[] } {
  const app = Testing.app();
  const p = new FloePlatform(app, 'platform', {
    lineage: Marquez.provider(),
    orchestrator: Dagster.provider({ codeLocations: [ANALYTICS] }),
    ...props,
  });
  return { platform: p, objects: Testing.synth(p) as K8sObject[] };
}

function policy(
  p: FloePlatform,
  objects: K8sObject[],
  opts: Parameters<typeof checkPolicy>[1] = {},
): string[] {
  return checkPolicy(objects, {
    prerequisiteSecrets: p.requiredSecrets.map((s) => s.name),
    prerequisiteConfigMaps: p.requiredConfigMaps,
    ...opts,
  });
}

const names = (objects: K8sObject[], kind: string): string[] =>
  objects
    .filter((o) => o.kind === kind)
    .map((o) => o.metadata.name)
    .sort();

const budget = (objects: K8sObject[], name: string): Json =>
  get(findObject(objects, 'PodDisruptionBudget', name), 'spec') as Json;

const hpaBounds = (objects: K8sObject[], name: string): unknown[] => {
  const spec = get(findObject(objects, 'HorizontalPodAutoscaler', name), 'spec') as Json;
  return [spec.minReplicas, spec.maxReplicas, get(spec, 'metrics.0.resource.target.averageUtilization')];
};

const replicas = (objects: K8sObject[], kind: string, name: string): unknown =>
  get(findObject(objects, kind, name), 'spec.replicas');

describe('availability of the platform (defaults)', () => {
  const { platform: p, objects } = platform();

  test('passes the schema and the extended policy', () => {
    expect(validateObjects(objects)).toEqual([]);
    expect(policy(p, objects)).toEqual([]);
  });

  test('autoscalers for exactly the stateless servers, with the documented bounds at 70 % CPU', () => {
    expect(names(objects, 'HorizontalPodAutoscaler')).toEqual([
      'cube',
      'dagster-webserver',
      'otel-collector',
      'polaris',
    ]);
    expect(hpaBounds(objects, 'dagster-webserver')).toEqual([2, 10, 70]);
    expect(hpaBounds(objects, 'polaris')).toEqual([2, 4, 70]);
    expect(hpaBounds(objects, 'cube')).toEqual([2, 10, 70]);
    expect(hpaBounds(objects, 'otel-collector')).toEqual([2, 10, 70]);
  });

  test('no autoscaled workload sets replicas; the others do', () => {
    for (const name of ['cube', 'dagster-webserver', 'otel-collector', 'polaris']) {
      expect(replicas(objects, 'Deployment', name)).toBeUndefined();
    }
    expect(replicas(objects, 'Deployment', 'dagster-daemon')).toBe(1);
    expect(replicas(objects, 'Deployment', 'cube-refresh-worker')).toBe(1);
    expect(replicas(objects, 'StatefulSet', 'minio')).toBe(4);
  });

  test("budgets as the docs' table gives them, lowered to pods - 1, and from quorum where needed", () => {
    expect(names(objects, 'PodDisruptionBudget')).toEqual([
      'cube',
      'cubestore-workers',
      'dagster-analytics',
      'dagster-webserver',
      'marquez',
      'minio',
      'otel-collector',
      'polaris',
    ]);
    expect(budget(objects, 'dagster-webserver').minAvailable).toBe(1);
    expect(budget(objects, 'polaris').minAvailable).toBe(1);
    expect(budget(objects, 'marquez').minAvailable).toBe(1);
    // The docs' "workers" keep 2, but the light preset runs 2 code servers: lowered to 1.
    expect(budget(objects, 'dagster-analytics').minAvailable).toBe(1);
    // 4-node MinIO (EC:2) keeps write quorum with 1 node down.
    expect(budget(objects, 'minio').maxUnavailable).toBe(1);
    // Cube Store has no replication: one worker at a time.
    expect(budget(objects, 'cubestore-workers').maxUnavailable).toBe(1);
    for (const name of names(objects, 'PodDisruptionBudget')) {
      expect(budget(objects, name).unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
    }
  });

  test('every multi-pod workload spreads over zones and nodes, preferred; singletons do not', () => {
    const spread = (kind: string, name: string): unknown =>
      get(findObject(objects, kind, name), 'spec.template.spec.topologySpreadConstraints');
    for (const [kind, name] of [
      ['Deployment', 'dagster-webserver'],
      ['Deployment', 'dagster-analytics'],
      ['Deployment', 'polaris'],
      ['Deployment', 'cube'],
      ['Deployment', 'otel-collector'],
      ['Deployment', 'marquez'],
      ['StatefulSet', 'minio'],
      ['StatefulSet', 'cubestore-workers'],
    ]) {
      const selector = get(findObject(objects, kind, name), 'spec.selector.matchLabels');
      expect(spread(kind, name)).toEqual(
        ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'].map((topologyKey) => ({
          maxSkew: 1,
          topologyKey,
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: selector },
        })),
      );
    }
    expect(spread('Deployment', 'dagster-daemon')).toBeUndefined();
    expect(spread('StatefulSet', 'cubestore-router')).toBeUndefined();
    expect(spread('StatefulSet', 'orchestrator-db')).toBeUndefined();
  });

  test('the constructs expose what they created', () => {
    const dagster = p.orchestrator as Dagster;
    expect(dagster.webserverAutoscaler?.name).toBe('dagster-webserver');
    expect(dagster.webserverDisruptionBudget?.name).toBe('dagster-webserver');
    expect(dagster.codeLocations[0].disruptionBudget?.name).toBe('dagster-analytics');
    const polaris = p.catalog as Polaris;
    expect([polaris.autoscaler?.kind, polaris.disruptionBudget?.kind]).toEqual([
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
    ]);
    expect((p.storage as MinIO).writeTolerance).toBe(1);
    expect((p.telemetry as OtelCollector).autoscaler?.name).toBe('otel-collector');
  });
});

describe('switches', () => {
  test('autoscaling: false: no autoscaler, every workload sets its replicas (webserver from the preset)', () => {
    const { platform: p, objects } = platform({ autoscaling: false });
    expect(names(objects, 'HorizontalPodAutoscaler')).toEqual([]);
    expect(replicas(objects, 'Deployment', 'dagster-webserver')).toBe(1);
    expect(replicas(objects, 'Deployment', 'polaris')).toBe(2);
    expect(replicas(objects, 'Deployment', 'cube')).toBe(2);
    expect(replicas(objects, 'Deployment', 'otel-collector')).toBe(2);
    // One webserver pod: no budget and no spread for it.
    expect(names(objects, 'PodDisruptionBudget')).not.toContain('dagster-webserver');
    expect(policy(p, objects)).toEqual([]);
  });

  test('a provider can turn one autoscaler back on while the platform has them off', () => {
    const { objects } = platform({
      autoscaling: false,
      orchestrator: Dagster.provider({ codeLocations: [ANALYTICS], autoscaling: true }),
    });
    expect(names(objects, 'HorizontalPodAutoscaler')).toEqual(['dagster-webserver']);
    const one = platform({
      autoscaling: false,
      catalog: Polaris.provider({ autoscaler: { enabled: true, maxReplicas: 3 } }),
    }).objects;
    expect(names(one, 'HorizontalPodAutoscaler')).toEqual(['polaris']);
    expect(hpaBounds(one, 'polaris')).toEqual([2, 3, 70]);
  });

  test('disruptionBudgets: false writes no budget; the policy then reports each multi-pod workload', () => {
    const { platform: p, objects } = platform({ disruptionBudgets: false });
    expect(names(objects, 'PodDisruptionBudget')).toEqual([]);
    expect(policy(p, objects, { requireDisruptionBudgets: false })).toEqual([]);
    expect(policy(p, objects)).toContain(
      'Deployment/polaris: runs 4 pods but has 0 PodDisruptionBudgets (expected 1)',
    );
  });

  test('topologySpread: false writes no spread constraint', () => {
    const { platform: p, objects } = platform({ topologySpread: false });
    expect(
      objects.filter((o) => get(o, 'spec.template.spec.topologySpreadConstraints') !== undefined),
    ).toEqual([]);
    expect(policy(p, objects, { requireTopologySpread: false })).toEqual([]);
  });

  test.each([
    ['light', 2, 2],
    ['medium', 2, 5],
    ['heavy', 3, 10],
  ] as const)(
    'sizing %s: webserver autoscaled from %i, %i pods per code location',
    (sizing, min, workers) => {
      const { platform: p, objects } = platform({ sizing });
      expect(hpaBounds(objects, 'dagster-webserver')).toEqual([min, 10, 70]);
      expect(replicas(objects, 'Deployment', 'dagster-analytics')).toBe(workers);
      expect(replicas(objects, 'Deployment', 'dagster-daemon')).toBe(1);
      // The docs' worker budget: 2 available, once there are 3 or more.
      expect(budget(objects, 'dagster-analytics').minAvailable).toBe(Math.min(2, workers - 1));
      expect(policy(p, objects)).toEqual([]);
    },
  );

  test.each([
    ['light', 1],
    ['medium', 2],
    ['heavy', 3],
  ] as const)('sizing %s without autoscaling: %i webserver pods', (sizing, webservers) => {
    const { objects } = platform({ sizing, autoscaling: false });
    expect(replicas(objects, 'Deployment', 'dagster-webserver')).toBe(webservers);
  });

  test("a workload's own replicas win over the preset", () => {
    const { objects } = platform({
      sizing: 'heavy',
      orchestrator: Dagster.provider({
        codeLocations: [{ ...ANALYTICS, replicas: 3 }],
        webserver: { replicas: 4 },
      }),
    });
    expect(replicas(objects, 'Deployment', 'dagster-analytics')).toBe(3);
    expect(hpaBounds(objects, 'dagster-webserver')).toEqual([4, 10, 70]);
  });

  test('an unknown preset or a non-boolean switch is refused, on the platform and on a construct', () => {
    expectValidationError(
      () => platform({ sizing: 'huge' as 'light' }),
      "platform: invalid sizing: got \"huge\", expected 'light', 'medium' or 'heavy'",
    );
    expectValidationError(
      () => platform({ autoscaling: 'yes' as unknown as boolean }),
      'platform: invalid autoscaling: got "yes", expected true or false',
    );
    expectValidationError(
      () => synthChart((chart) => new MinIO(chart, 'minio', { topologySpread: 1 as unknown as boolean })),
      'test/minio: invalid topologySpread: got 1, expected true or false',
    );
  });

  test('all switches off: no HPA, PDB, spread, own accounts or checksums', () => {
    const { platform: p, objects } = platform({
      autoscaling: false,
      disruptionBudgets: false,
      topologySpread: false,
      serviceAccounts: false,
      configChecksums: false,
    });
    for (const kind of ['HorizontalPodAutoscaler', 'PodDisruptionBudget']) {
      expect(names(objects, kind)).toEqual([]);
    }
    // The API clients keep theirs: Dagster, Prometheus and the code location's catalog access Job.
    expect(names(objects, 'ServiceAccount')).toEqual([
      'dagster',
      'dagster-analytics-catalog-access',
      'prometheus',
    ]);
    expect(objects.filter((o) => get(o, 'spec.template.metadata.annotations') !== undefined)).toEqual([]);
    expect(
      policy(p, objects, {
        requireDisruptionBudgets: false,
        requireTopologySpread: false,
        requireServiceAccounts: false,
        requireConfigChecksums: false,
      }),
    ).toEqual([]);
  });
});

describe('workloadAvailability', () => {
  const identity: WorkloadIdentity = {
    name: 'web',
    instance: 'web',
    component: 'server',
    partOf: 'floe',
    version: '1.0.0',
  };
  const on = resolveProduction('test', {});
  const base: WorkloadAvailabilityOptions = {
    field: 'web',
    kind: 'Deployment',
    name: 'web',
    identity,
    settings: on,
    replicas: 3,
  };
  const run = (opts: Partial<WorkloadAvailabilityOptions>): { objects: K8sObject[]; spec: Json } => {
    let spec: Json = {};
    const objects = synthChart((chart: Chart) => {
      const a = workloadAvailability(chart, 'web', { ...base, ...opts });
      spec = { ...a.replicaSpec, scheduling: a.scheduling, minPods: a.minPods, maxPods: a.maxPods };
    });
    return { objects, spec };
  };

  test('fixed replicas: the documented minAvailable, lowered so that one pod may always go', () => {
    expect(budget(run({ disruption: { minAvailable: 2 } }).objects, 'web').minAvailable).toBe(2);
    expect(budget(run({ replicas: 2, disruption: { minAvailable: 2 } }).objects, 'web').minAvailable).toBe(1);
    expect(run({ replicas: 1 }).objects).toEqual([]);
    expect(run({ replicas: 3 }).spec.replicas).toBe(3);
  });

  test('a quorum budget (maxUnavailable) is at least 1', () => {
    expect(budget(run({ disruption: { maxUnavailable: 0 } }).objects, 'web').maxUnavailable).toBe(1);
    expect(budget(run({ disruption: { maxUnavailable: 2 } }).objects, 'web').maxUnavailable).toBe(2);
  });

  test('an autoscaled workload: bounds from replicas, floor and ceiling; the budget uses the minimum', () => {
    const autoscaling = { minReplicasFloor: 2, defaultMaxReplicas: 10 };
    const { objects, spec } = run({ replicas: 1, autoscaling });
    expect(spec.replicas).toBeUndefined();
    expect([spec.minPods, spec.maxPods]).toEqual([2, 10]);
    expect(hpaBounds(objects, 'web')).toEqual([2, 10, 70]);
    expect(budget(objects, 'web').minAvailable).toBe(1);
    expect(hpaBounds(run({ replicas: 12, autoscaling }).objects, 'web')).toEqual([12, 12, 70]);
    const tuned = run({
      autoscaling: {
        ...autoscaling,
        options: { minReplicas: 3, maxReplicas: 6, targetCpuUtilizationPercentage: 50 },
      },
    });
    expect(hpaBounds(tuned.objects, 'web')).toEqual([3, 6, 50]);
    // An autoscaler that may go down to one pod lets one pod go at a time.
    const low = run({ replicas: 1, autoscaling: { defaultMaxReplicas: 4 } });
    expect(budget(low.objects, 'web')).toMatchObject({ maxUnavailable: 1 });
  });

  test('bad autoscaler settings are refused with the field path', () => {
    const autoscaling = { defaultMaxReplicas: 10 };
    expectValidationError(
      () => run({ autoscaling: { ...autoscaling, options: { minReplicas: 5, maxReplicas: 3 } } }),
      "test: invalid web.autoscaler.maxReplicas: got 3, expected an integer >= the autoscaler's minReplicas (5)",
    );
    expectValidationError(
      () => run({ autoscaling: { ...autoscaling, options: { targetCpuUtilizationPercentage: 0 } } }),
      'test: invalid web.autoscaler.targetCpuUtilizationPercentage: got 0, expected an integer >= 1',
    );
    expectValidationError(
      () =>
        run({
          settings: { ...on, autoscaling: false },
          autoscaling: { ...autoscaling, options: { maxReplicas: 4 } },
        }),
      'test: invalid web.autoscaler.maxReplicas: got 4, expected no value while this autoscaler is off (autoscaling: false or autoscaler.enabled: false); set web.autoscaler.enabled: true to turn it on for this workload',
    );
  });

  test("the user's own spread constraints replace the default; [] spreads nothing; affinity is kept", () => {
    const own = [{ maxSkew: 2, topologyKey: 'rack', whenUnsatisfiable: 'DoNotSchedule' }];
    const affinity = { nodeAffinity: {} };
    expect(run({ scheduling: { topologySpreadConstraints: own, affinity } }).spec.scheduling).toEqual({
      affinity,
      topologySpreadConstraints: own,
    });
    expect(run({ scheduling: { topologySpreadConstraints: [] } }).spec.scheduling).toEqual({
      topologySpreadConstraints: [],
    });
    expect(run({ settings: { ...on, topologySpread: false } }).spec.scheduling).toEqual({});
  });

  test('the presets are the floe docs’ table', () => {
    expect(SIZING_PRESETS).toEqual({
      light: { webservers: 1, daemons: 1, workers: 2 },
      medium: { webservers: 2, daemons: 1, workers: 5 },
      heavy: { webservers: 3, daemons: 1, workers: 10 },
    });
    expect(DEFAULT_SIZING).toBe('light');
    expect(sizingReplicas('x', 'sizing')).toBe(SIZING_PRESETS.light);
  });
});
