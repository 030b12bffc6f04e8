import { readFileSync } from 'fs';
import { join } from 'path';
import { Chart, Testing } from 'cdk8s';
import { FloeJobs } from '../src/jobs/floe-jobs';
import { formatPodProblem, podProblems } from '../src/ops/diagnose';
import { changedPaths, renderDiff } from '../src/ops/diff';
import { containsDesired, immutableChanges } from '../src/ops/immutable';
import { COMPONENTS, deployPlan, identity, TIERS } from '../src/ops/plan';
import { pruneCandidates } from '../src/ops/prune';
import { KubeObject, readinessOf } from '../src/ops/readiness';
import { mergeLogs, platformStatus, progressLine, renderStatus, statusText } from '../src/ops/status';
import { FloePlatform } from '../src/platform/floe-platform';

/** A recorded response of a real Kubernetes 1.28 API server (../shared/reference/k8s-api-responses). */
function recorded(file: string): KubeObject {
  const dir = join(__dirname, 'fixtures', 'k8s-api-responses');
  return (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { body: KubeObject }).body;
}

/** `o` with the status a controller writes. */
function withStatus(o: KubeObject, status: Record<string, unknown>): KubeObject {
  return { ...o, status };
}

describe('readiness (kubectl rollout status rules, Job conditions)', () => {
  const deployment = recorded('14-deployment-status-subresource.json'); // generation 3, replicas 4

  test('a Deployment no controller has looked at yet is waiting for its spec to be observed', () => {
    // As recorded: the API server alone writes no status.
    expect(readinessOf(deployment)).toEqual({
      state: 'progressing',
      ready: 0,
      desired: 4,
      message: 'waiting for the new spec to be observed',
    });
  });

  test('a Deployment is ready when every replica is updated and available', () => {
    const s = {
      observedGeneration: 3,
      replicas: 4,
      updatedReplicas: 4,
      readyReplicas: 4,
      availableReplicas: 4,
    };
    expect(readinessOf(withStatus(deployment, s))).toEqual({
      state: 'ready',
      ready: 4,
      desired: 4,
      message: '',
    });
    expect(readinessOf(withStatus(deployment, { ...s, updatedReplicas: 2 })).message).toBe('2 of 4 updated');
    expect(readinessOf(withStatus(deployment, { ...s, replicas: 5 })).message).toBe(
      '1 old replicas pending termination',
    );
    expect(readinessOf(withStatus(deployment, { ...s, availableReplicas: 3 })).message).toBe(
      '3 of 4 updated replicas available',
    );
    expect(readinessOf(withStatus(deployment, { ...s, observedGeneration: 2 })).state).toBe('progressing');
    const stuck = readinessOf(
      withStatus(deployment, {
        ...s,
        availableReplicas: 1,
        conditions: [
          {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: 'ReplicaSet "web-5d4c" has timed out progressing.',
          },
        ],
      }),
    );
    expect(stuck).toEqual({
      state: 'failed',
      ready: 1,
      desired: 4,
      message: 'rollout exceeded its progress deadline: ReplicaSet "web-5d4c" has timed out progressing.',
    });
  });

  const statefulSet: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {
      name: 'orchestrator-db',
      namespace: 'floe-platform',
      generation: 2,
      labels: { 'app.kubernetes.io/name': 'postgresql' },
    },
    spec: { replicas: 1, updateStrategy: { type: 'RollingUpdate' } },
  };

  test('a StatefulSet is ready when its pods are ready and on the update revision', () => {
    const s = {
      observedGeneration: 2,
      replicas: 1,
      readyReplicas: 1,
      updatedReplicas: 1,
      currentRevision: 'orchestrator-db-7c9',
      updateRevision: 'orchestrator-db-7c9',
    };
    expect(readinessOf(withStatus(statefulSet, s))).toEqual({
      state: 'ready',
      ready: 1,
      desired: 1,
      message: '',
    });
    expect(readinessOf(withStatus(statefulSet, { ...s, readyReplicas: 0 })).message).toBe(
      'waiting for 1 pods to be ready',
    );
    expect(
      readinessOf(withStatus(statefulSet, { ...s, updateRevision: 'orchestrator-db-8d1' })).message,
    ).toBe('waiting for rolling update to complete: 1 pods at revision orchestrator-db-8d1');
    expect(readinessOf(withStatus(statefulSet, {})).state).toBe('progressing');
  });

  const job = (conditions: unknown[], counts: Record<string, number> = {}): KubeObject => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: 'polaris-bootstrap',
      namespace: 'floe-platform',
      labels: { 'app.kubernetes.io/name': 'polaris' },
    },
    spec: { backoffLimit: 6 },
    status: { conditions, ...counts },
  });

  test('a Job is ready when Complete, failed when Failed (with the reason), else running', () => {
    expect(readinessOf(job([{ type: 'Complete', status: 'True' }], { succeeded: 1 }))).toEqual({
      state: 'ready',
      ready: 1,
      desired: 1,
      message: '',
    });
    expect(
      readinessOf(
        job(
          [
            {
              type: 'Failed',
              status: 'True',
              reason: 'BackoffLimitExceeded',
              message: 'Job has reached the specified backoff limit',
            },
          ],
          {
            failed: 7,
          },
        ),
      ).message,
    ).toBe('BackoffLimitExceeded: Job has reached the specified backoff limit');
    expect(readinessOf(job([], { active: 1, failed: 2 })).message).toBe(
      '1 running, 0 succeeded, 2 failed attempts',
    );
  });

  test('a DaemonSet counts scheduled, updated and available pods; other kinds are ready once applied', () => {
    const ds: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'otel-agent', generation: 1 },
      status: {
        observedGeneration: 1,
        desiredNumberScheduled: 3,
        updatedNumberScheduled: 3,
        numberAvailable: 2,
      },
    };
    expect(readinessOf(ds).message).toBe('2 of 3 updated pods are available');
    expect(readinessOf(recorded('01-namespace-apply.json'))).toEqual({ state: 'ready', message: '' });
  });
});

describe('pod problems, as the kubelet and scheduler report them', () => {
  const pod = (status: Record<string, unknown>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'polaris-5f7d8-x2x9q', namespace: 'floe-platform' },
    status,
  });

  test('crash loops with the reason of the last run, image pulls, scheduling, init failures', () => {
    const crashing = pod({
      phase: 'Running',
      containerStatuses: [
        {
          name: 'polaris',
          restartCount: 5,
          state: {
            waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container' },
          },
          lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } },
        },
      ],
    });
    expect(podProblems(crashing).map(formatPodProblem)).toEqual([
      'polaris-5f7d8-x2x9q/polaris: CrashLoopBackOff (exit 137, 5 restarts): last run: OOMKilled',
    ]);
    const pulling = pod({
      phase: 'Pending',
      containerStatuses: [
        {
          name: 'polaris',
          restartCount: 0,
          state: {
            waiting: {
              reason: 'ImagePullBackOff',
              message: 'Back-off pulling image "docker.io/apache/polaris:1.7.0"',
            },
          },
        },
      ],
    });
    expect(podProblems(pulling).map(formatPodProblem)).toEqual([
      'polaris-5f7d8-x2x9q/polaris: ImagePullBackOff: Back-off pulling image "docker.io/apache/polaris:1.7.0"',
    ]);
    const pending = pod({
      phase: 'Pending',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: '0/3 nodes are available: 3 Insufficient memory.',
        },
      ],
    });
    expect(podProblems(pending).map(formatPodProblem)).toEqual([
      'polaris-5f7d8-x2x9q: Unschedulable: 0/3 nodes are available: 3 Insufficient memory.',
    ]);
    const initFailed = pod({
      phase: 'Pending',
      initContainerStatuses: [
        {
          name: 'wait-for-bootstrap',
          restartCount: 2,
          state: { terminated: { reason: 'Error', exitCode: 1 } },
        },
      ],
    });
    expect(podProblems(initFailed).map(formatPodProblem)).toEqual([
      'polaris-5f7d8-x2x9q/wait-for-bootstrap: Error (exit 1, 2 restarts)',
    ]);
  });

  test('a running pod, or one still creating its containers, has none', () => {
    expect(
      podProblems(
        pod({
          phase: 'Running',
          containerStatuses: [{ name: 'polaris', restartCount: 0, state: { running: { startedAt: 'x' } } }],
        }),
      ),
    ).toEqual([]);
    expect(
      podProblems(
        pod({
          phase: 'Pending',
          containerStatuses: [
            { name: 'polaris', restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } },
          ],
        }),
      ),
    ).toEqual([]);
  });
});

describe('deploy plan (tiers in the documented startup order)', () => {
  const app = Testing.app();
  const platform = new FloePlatform(app, 'platform');
  const jobs = new FloeJobs(app, 'sales', { platform, namespace: 'floe-sales' });
  const plan = deployPlan([platform, jobs]);

  test('namespace, storage, catalog, observability, orchestrator, semantic, then the products', () => {
    expect(plan.map((t) => t.tier)).toEqual([
      'namespace',
      'storage',
      'catalog',
      'observability',
      'orchestrator',
      'semantic',
      'products',
    ]);
    expect(COMPONENTS.every((c) => TIERS.includes(c))).toBe(true);
    const wait = (tier: string): string[] =>
      (plan.find((t) => t.tier === tier)?.waitFor ?? []).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(wait('storage')).toEqual(
      expect.arrayContaining([
        'StatefulSet/minio',
        'Job/minio-buckets',
        'StatefulSet/catalog-db',
        'StatefulSet/orchestrator-db',
      ]),
    );
    expect(wait('catalog')).toEqual([
      'Deployment/polaris',
      'Job/polaris-bootstrap',
      'Job/polaris-catalog-setup',
    ]);
    expect(wait('orchestrator')).toEqual(
      expect.arrayContaining(['Deployment/dagster-webserver', 'Deployment/dagster-daemon']),
    );
    expect(wait('semantic')).toEqual(
      expect.arrayContaining(['Deployment/cube', 'StatefulSet/cubestore-router']),
    );
    expect(wait('products')).toEqual(['Job/floe-sales-catalog-access']);
  });

  test('every object of every chart is in exactly one tier; policies and the namespace come first', () => {
    for (const chart of [platform, jobs] as Chart[]) {
      const synthesized = (Testing.synth(chart) as KubeObject[]).map(identity).sort();
      const planned = plan.filter((t) => t.chart === chart.node.id).flatMap((t) => t.objects.map(identity));
      expect([...planned].sort()).toEqual(synthesized);
      expect(new Set(planned).size).toBe(planned.length);
    }
    const first = plan[0].objects.map((o) => o.kind);
    expect(first).toContain('Namespace');
    expect(
      plan
        .slice(1)
        .flatMap((t) => (t.chart === 'platform' ? t.objects : []))
        .map((o) => o.kind),
    ).not.toContain('NetworkPolicy');
  });
});

describe('immutable fields (what an update may not change)', () => {
  const sts = (extra: Record<string, unknown>): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'catalog-db' },
    spec: {
      replicas: 1,
      serviceName: 'catalog-db',
      selector: { matchLabels: { a: 'b' } },
      volumeClaimTemplates: [
        { metadata: { name: 'data' }, spec: { resources: { requests: { storage: '10Gi' } } } },
      ],
      ...extra,
    },
  });
  // What the API server returns: defaults filled in, status added.
  const live: KubeObject = {
    ...sts({}),
    spec: {
      ...(sts({}).spec as Record<string, unknown>),
      podManagementPolicy: 'OrderedReady',
      volumeClaimTemplates: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: 'data' },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: '10Gi' } },
            volumeMode: 'Filesystem',
          },
          status: { phase: 'Pending' },
        },
      ],
    },
    status: { replicas: 1 },
  };

  test("the server's defaults are no change; replicas and template are allowed", () => {
    expect(containsDesired(sts({}), live)).toBe(true);
    expect(immutableChanges(sts({ replicas: 3, template: { x: 1 } }), live)).toEqual([]);
  });

  test('a bigger volume claim template or another selector is refused, with the remedy', () => {
    const changes = immutableChanges(
      sts({
        volumeClaimTemplates: [
          { metadata: { name: 'data' }, spec: { resources: { requests: { storage: '20Gi' } } } },
        ],
      }),
      live,
    );
    expect(changes).toEqual([
      {
        object: 'StatefulSet/catalog-db',
        field: 'spec.volumeClaimTemplates',
        remedy: expect.stringContaining('--cascade=orphan'),
      },
    ]);
    const deployment = (selector: unknown): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'polaris' },
      spec: { selector },
    });
    expect(
      immutableChanges(deployment({ matchLabels: { a: 'c' } }), deployment({ matchLabels: { a: 'b' } })),
    ).toEqual([
      {
        object: 'Deployment/polaris',
        field: 'spec.selector',
        remedy: expect.stringContaining('delete the Deployment'),
      },
    ]);
  });

  test('Job templates, Service cluster IPs and shrinking claims are refused; growing a claim is not', () => {
    const job = (image: string): KubeObject => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'polaris-bootstrap' },
      spec: { template: { spec: { containers: [{ name: 'bootstrap', image }] } } },
    });
    expect(
      immutableChanges(job('apache/polaris-admin-tool:1.8.0'), job('apache/polaris-admin-tool:1.7.0')),
    ).toHaveLength(1);
    const svc = (clusterIP?: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'minio-headless' },
      spec: clusterIP ? { clusterIP } : {},
    });
    expect(immutableChanges(svc('None'), svc('10.96.0.12'))[0]?.field).toBe('spec.clusterIP');
    expect(immutableChanges(svc(), svc('10.96.0.12'))).toEqual([]);
    const pvc = (storage: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data' },
      spec: { resources: { requests: { storage } } },
    });
    expect(immutableChanges(pvc('20Gi'), pvc('10Gi'))).toEqual([]);
    expect(immutableChanges(pvc('5Gi'), pvc('10Gi'))[0]?.field).toBe('spec.resources.requests.storage');
  });
});

describe('status report', () => {
  const db: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {
      name: 'orchestrator-db',
      namespace: 'floe-platform',
      generation: 1,
      labels: { 'app.kubernetes.io/name': 'postgresql' },
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/instance': 'orchestrator-db' } },
      template: {
        spec: {
          containers: [{ name: 'postgresql', readinessProbe: { exec: { command: ['pg_isready'] } } }],
        },
      },
    },
    status: {
      observedGeneration: 1,
      replicas: 1,
      readyReplicas: 1,
      currentRevision: 'r1',
      updateRevision: 'r1',
    },
  };
  const polaris: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'polaris',
      namespace: 'floe-platform',
      generation: 1,
      labels: { 'app.kubernetes.io/name': 'polaris' },
    },
    spec: { replicas: 1, selector: { matchLabels: { 'app.kubernetes.io/instance': 'polaris' } } },
    status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 0 },
  };
  const crashing: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'polaris-1',
      namespace: 'floe-platform',
      labels: { 'app.kubernetes.io/instance': 'polaris' },
    },
    status: {
      containerStatuses: [
        {
          name: 'polaris',
          restartCount: 3,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error' } },
        },
      ],
    },
  };

  test("progress lines read like floe's docs", () => {
    const report = platformStatus([db], [], { platform: 'floe', namespace: 'floe-platform' });
    expect(progressLine(report.workloads[0])).toBe('✓ PostgreSQL (orchestrator-db): StatefulSet 1/1 ready');
    expect(report.healthy).toBe(true);
    expect(statusText(report.workloads[0])).toBe('1/1 ready (healthy)');
    // Ready, but nothing probes it: the API server's "ready" says nothing about health.
    expect(statusText({ ...report.workloads[0], probed: false })).toBe('1/1 ready');
  });

  test('a crash-looping pod makes the platform unhealthy and is named with its reason', () => {
    const report = platformStatus([polaris, db], [crashing], {
      platform: 'floe',
      version: '1.2.3',
      namespace: 'floe-platform',
    });
    expect(report.healthy).toBe(false);
    expect(renderStatus(report)).toBe(
      [
        'Platform: floe v1.2.3',
        'Namespace: floe-platform',
        '',
        'Services:',
        '  storage:',
        // Ready with a readiness probe on every container: healthy, as the docs' report says it.
        '    orchestrator-db: 1/1 ready (healthy)',
        '  catalog:',
        '    polaris: 0/1 not ready (0 of 1 updated replicas available, 3 restarts)',
        '      polaris-1/polaris: CrashLoopBackOff (exit 1, 3 restarts): last run: Error',
        '',
        'Not healthy: 1 of 2 workloads.',
        '',
      ].join('\n'),
    );
  });
});

describe('merged logs', () => {
  test('lines of several containers in time order (nanoseconds decide), each prefixed; ties keep order', () => {
    expect(
      mergeLogs([
        { source: 'a/x', text: '2026-12-04T05:00:01.000000002Z a1\n2026-12-04T05:00:03Z a2\n' },
        { source: 'b/x', text: '2026-12-04T05:00:01.000000001Z b1\n2026-12-04T05:00:03Z b2\nno stamp\n' },
      ]),
    ).toEqual(['[b/x] b1', '[a/x] a1', '[a/x] a2', '[b/x] b2', '[b/x] no stamp']);
  });
});

describe('diff', () => {
  test('changed leaf paths, without what the server writes itself', () => {
    const live = {
      metadata: { name: 'x', resourceVersion: '7', managedFields: [{}], labels: { a: '1' } },
      spec: { replicas: 2, template: { spec: { containers: [{ name: 'c', image: 'i:1' }] } } },
      status: { replicas: 2 },
    };
    const after = {
      metadata: { name: 'x', resourceVersion: '8', labels: { a: '1', b: '2' } },
      spec: { replicas: 2, template: { spec: { containers: [{ name: 'c', image: 'i:2' }] } } },
    };
    expect(changedPaths(live, after)).toEqual([
      'metadata.labels.b',
      'spec.template.spec.containers[0].image',
    ]);
  });

  test('the summary counts each action', () => {
    expect(
      renderDiff([
        {
          object: 'Service/ns/a',
          ref: { apiVersion: 'v1', kind: 'Service', namespace: 'ns', name: 'a' },
          appliedByFloe: false,
          action: 'create',
          fields: [],
          immutable: [],
        },
        {
          object: 'ConfigMap/ns/b',
          ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'b' },
          appliedByFloe: true,
          action: 'unchanged',
          fields: [],
          immutable: [],
        },
      ]),
    ).toEqual(['+ Service/ns/a', '1 to create, 0 to update, 1 unchanged']);
  });
});

describe('prune', () => {
  const obj = (kind: string, name: string, extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind,
    metadata: {
      name,
      namespace: 'floe-platform',
      labels: { 'app.kubernetes.io/part-of': 'floe' },
      managedFields: [{ manager: 'floe', operation: 'Apply' }],
      ...extra,
    } as KubeObject['metadata'],
  });
  test("only floe's own objects of this platform that the plan no longer has", () => {
    const keep = obj('ConfigMap', 'still-there');
    const live = [
      keep,
      obj('ConfigMap', 'gone'),
      obj('ConfigMap', 'by-kubectl', {
        managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update' }],
      }),
      obj('ConfigMap', 'other-platform', { labels: { 'app.kubernetes.io/part-of': 'acme' } }),
      obj('PersistentVolumeClaim', 'data-catalog-db-0'),
      obj('Secret', 'floe-catalog-credentials'),
      obj('Job', 'daily-manual-abc', { ownerReferences: [{ kind: 'CronJob', name: 'daily' }] }),
    ];
    expect(pruneCandidates(live, new Set([identity(keep)]), 'floe').map((o) => o.metadata.name)).toEqual([
      'gone',
    ]);
  });
});
