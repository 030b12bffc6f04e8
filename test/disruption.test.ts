import { Testing } from 'cdk8s';
import { budgetAllows, budgetConflicts, rolloutUnavailable } from '../src/ops/disruption';
import { KubeObject } from '../src/ops/readiness';
import { Dagster } from '../src/plugins/orchestrator/dagster';
import { FloePlatform } from '../src/platform/floe-platform';

const labels = { 'app.kubernetes.io/name': 'polaris', 'app.kubernetes.io/instance': 'polaris' };

function deployment(replicas: number | undefined, strategy?: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'polaris', namespace: 'floe-platform' },
    spec: {
      ...(replicas !== undefined ? { replicas } : {}),
      ...(strategy ? { strategy } : {}),
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'polaris' }] } },
    },
  };
}

function budget(
  spec: Record<string, unknown>,
  status?: Record<string, unknown>,
  ns = 'floe-platform',
): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'polaris', namespace: ns },
    spec: { ...spec, selector: { matchLabels: { 'app.kubernetes.io/instance': 'polaris' } } },
    ...(status ? { status } : {}),
  };
}

describe('roll-outs and PodDisruptionBudgets (pure)', () => {
  test('how many pods a roll-out takes down, as the controllers compute it', () => {
    // 25 % of 2 rounds down to 0; maxSurge 25 % rounds up to 1: one new pod first, none down.
    expect(rolloutUnavailable(deployment(2))).toBe(0);
    expect(rolloutUnavailable(deployment(8))).toBe(2);
    expect(
      rolloutUnavailable(deployment(4, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 3 } })),
    ).toBe(3);
    // Both 0: the controller still takes one down.
    expect(
      rolloutUnavailable(
        deployment(3, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } }),
      ),
    ).toBe(1);
    expect(rolloutUnavailable(deployment(3, { type: 'Recreate' }))).toBe(3);
    const sts = (updateStrategy?: Record<string, unknown>): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'minio', namespace: 'floe-platform' },
      spec: { replicas: 4, ...(updateStrategy ? { updateStrategy } : {}) },
    });
    expect(rolloutUnavailable(sts())).toBe(1);
    expect(rolloutUnavailable(sts({ type: 'OnDelete' }))).toBe(0);
  });

  test('what a budget allows: minAvailable and maxUnavailable, percentages rounded up, the live status', () => {
    expect(budgetAllows(budget({ minAvailable: 1 }), 3)).toBe(2);
    expect(budgetAllows(budget({ minAvailable: '50%' }), 3)).toBe(1);
    expect(budgetAllows(budget({ maxUnavailable: 1 }), 4)).toBe(1);
    expect(budgetAllows(budget({ maxUnavailable: '10%' }), 4)).toBe(1);
    expect(budgetAllows(budget({ minAvailable: 1 }, { disruptionsAllowed: 0 }), 3)).toBe(0);
  });

  test('a roll-out beyond the budget is a conflict that names both and the remedy', () => {
    const w = deployment(4, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } });
    expect(budgetConflicts(w, [budget({ minAvailable: 3 })])).toEqual([
      {
        workload: 'Deployment/polaris',
        budget: 'polaris',
        unavailable: 2,
        allowed: 1,
        message:
          'Deployment/polaris: its roll-out takes 2 pods down at once but PodDisruptionBudget polaris allows 1 of 4 down at once; ' +
          'wait until its pods are healthy, add replicas, lower maxUnavailable, or upgrade with --disregard-budgets',
      },
    ]);
    // Within the budget; another namespace's budget; a budget selecting other pods.
    expect(budgetConflicts(w, [budget({ minAvailable: 2 })])).toEqual([]);
    expect(budgetConflicts(w, [budget({ minAvailable: 4 }, undefined, 'other')])).toEqual([]);
    const elsewhere = budget({ minAvailable: 4 });
    (elsewhere.spec as { selector: unknown }).selector = { matchLabels: { app: 'cube' } };
    expect(budgetConflicts(w, [elsewhere])).toEqual([]);
  });

  test('a budget with no room now (a pod down) stops even a one-pod roll-out; recreating takes all', () => {
    const w = deployment(3, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } });
    const [now] = budgetConflicts(w, [
      budget({ minAvailable: 2 }, { disruptionsAllowed: 0, currentHealthy: 2 }),
    ]);
    expect(now.message).toMatch(
      /^Deployment\/polaris: its roll-out takes 1 pod down at once but PodDisruptionBudget polaris allows 0 now \(2 of 3 pods healthy\);/,
    );
    const [recreate] = budgetConflicts(deployment(2), [budget({ minAvailable: 1 })], { deleting: true });
    expect(recreate.message).toMatch(/^Deployment\/polaris: recreating it takes 2 pods down at once/);
    // An autoscaled Deployment names no replicas: the live count decides (8: 2 at once).
    expect(
      budgetConflicts(deployment(undefined), [budget({ minAvailable: 7 })], { replicas: 8 }),
    ).toHaveLength(1);
    expect(budgetConflicts(deployment(undefined), [budget({ minAvailable: 6 })], { replicas: 8 })).toEqual(
      [],
    );
  });

  test("floe's own workloads roll out within floe's own budgets (at the autoscalers' minimum)", () => {
    const app = Testing.app();
    const platform = new FloePlatform(app, 'platform', { orchestrator: Dagster.provider() });
    const objects = Testing.synth(platform) as KubeObject[];
    const budgets = objects.filter((o) => o.kind === 'PodDisruptionBudget');
    expect(budgets.length).toBeGreaterThan(3);
    const hpaMin = new Map(
      objects
        .filter((o) => o.kind === 'HorizontalPodAutoscaler')
        .map((o) => {
          const spec = o.spec as { scaleTargetRef: { name: string }; minReplicas: number };
          return [spec.scaleTargetRef.name, spec.minReplicas];
        }),
    );
    const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
    const size = (w: KubeObject): number => hpaMin.get(w.metadata.name) ?? 1;
    const conflicts = workloads.flatMap((w) => budgetConflicts(w, budgets, { replicas: size(w) }));
    expect(conflicts.map((c) => c.message)).toEqual([]);
    // The budgets do cover them: deleting each budgeted workload whole would break its budget.
    const covered = workloads.filter(
      (w) => budgetConflicts(w, budgets, { replicas: size(w), deleting: true }).length > 0,
    );
    expect(covered.map((w) => w.metadata.name).sort()).toEqual(budgets.map((b) => b.metadata.name).sort());
  });
});
