import { Json, num, obj } from './json';
import { KubeObject } from './readiness';

/**
 * Whether rolling a workload out stays within its PodDisruptionBudgets: pure functions over the
 * workload and the budgets (as synthesized or as the API server returns them). A roll-out is not
 * an eviction, so Kubernetes does not hold it to a budget; `floe platform upgrade` does.
 */

/** A roll-out (or a delete) that would take more pods than a budget allows. */
export interface BudgetConflict {
  /** `Kind/name` of the workload. */
  readonly workload: string;
  /** Name of the PodDisruptionBudget. */
  readonly budget: string;
  /** Pods the roll-out may take down at once. */
  readonly unavailable: number;
  /** Pods the budget lets go at once. */
  readonly allowed: number;
  /** The whole problem and its remedy, in one line. */
  readonly message: string;
}

/** An int-or-string (`2`, `'25%'`) of `total`; percentages rounded up or down. */
function scaled(v: unknown, total: number, roundUp: boolean): number | undefined {
  if (typeof v === 'number') return v;
  const m = typeof v === 'string' ? /^(\d+)%$/.exec(v) : null;
  if (!m) return undefined;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

function replicasOf(w: KubeObject): number {
  return num(obj(w.spec).replicas) ?? 1;
}

/**
 * How many pods of `w` a roll-out takes down at once, as the controllers do it: a Deployment's
 * `maxUnavailable` (default 25%, rounded down; 1 when it and maxSurge both come to 0:
 * kubernetes v1.28 pkg/controller/deployment/util/deployment_util.go, ResolveFenceposts), all of
 * them with the `Recreate` strategy; a StatefulSet one at a time (`RollingUpdate`; its
 * maxUnavailable is alpha in 1.28) and none with `OnDelete`.
 */
export function rolloutUnavailable(w: KubeObject): number {
  const spec = obj(w.spec);
  const replicas = replicasOf(w);
  if (w.kind === 'Deployment') {
    const strategy = obj(spec.strategy);
    if (strategy.type === 'Recreate') return replicas;
    const rolling = obj(strategy.rollingUpdate);
    const unavailable = scaled(rolling.maxUnavailable ?? '25%', replicas, false) ?? 0;
    const surge = scaled(rolling.maxSurge ?? '25%', replicas, true) ?? 0;
    return unavailable === 0 && surge === 0 ? 1 : Math.min(unavailable, replicas);
  }
  if (w.kind === 'StatefulSet') {
    return obj(spec.updateStrategy).type === 'OnDelete' ? 0 : Math.min(1, replicas);
  }
  return 0;
}

/**
 * How many pods of a workload with `replicas` the budget lets go at once when all are healthy
 * (percentages rounded up, as the disruption controller does: kubernetes v1.28
 * pkg/controller/disruption/disruption.go), and no more than the live budget's
 * `status.disruptionsAllowed` when it has one (fewer when some pods are already down).
 */
export function budgetAllows(pdb: KubeObject, replicas: number): number {
  const spec = obj(pdb.spec);
  let allowed: number;
  if (spec.minAvailable !== undefined) {
    allowed = replicas - (scaled(spec.minAvailable, replicas, true) ?? 0);
  } else {
    allowed = scaled(spec.maxUnavailable, replicas, true) ?? replicas;
  }
  const live = num(obj(pdb.status).disruptionsAllowed);
  return Math.max(Math.min(allowed, live ?? allowed), 0);
}

function selects(pdb: KubeObject, labels: Readonly<Record<string, string>>): boolean {
  const match = obj(obj(obj(pdb.spec).selector).matchLabels) as Json;
  const entries = Object.entries(match);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

function templateLabels(w: KubeObject): Record<string, string> {
  return obj(obj(obj(w.spec).template).metadata).labels as Record<string, string>;
}

/**
 * The budgets among `budgets` (same namespace, selecting the pod template's labels) that
 * rolling `w` out would break, or that deleting it would (`deleting`: all its pods go).
 * `replicas` counts the pods when `w` does not say (an autoscaled workload: the live count).
 */
export function budgetConflicts(
  w: KubeObject,
  budgets: readonly KubeObject[],
  options: { readonly deleting?: boolean; readonly replicas?: number } = {},
): BudgetConflict[] {
  const deleting = options.deleting ?? false;
  const labels = templateLabels(w) ?? {};
  const replicas = num(obj(w.spec).replicas) ?? options.replicas ?? 1;
  const sized: KubeObject = { ...w, spec: { ...obj(w.spec), replicas } };
  const unavailable = deleting ? replicas : rolloutUnavailable(sized);
  if (unavailable === 0) return [];
  return budgets
    .filter((b) => b.metadata.namespace === w.metadata.namespace && selects(b, labels))
    .flatMap((b) => {
      const allowed = budgetAllows(b, replicas);
      if (unavailable <= allowed) return [];
      const workload = `${w.kind}/${w.metadata.name}`;
      const live = num(obj(b.status).disruptionsAllowed);
      const healthy = num(obj(b.status).currentHealthy);
      const why =
        live !== undefined && live < unavailable
          ? `PodDisruptionBudget ${b.metadata.name} allows ${live} now` +
            (healthy !== undefined ? ` (${healthy} of ${replicas} pods healthy)` : '')
          : `PodDisruptionBudget ${b.metadata.name} allows ${allowed} of ${replicas} down at once`;
      return [
        {
          workload,
          budget: b.metadata.name,
          unavailable,
          allowed,
          message:
            `${workload}: ${deleting ? 'recreating it takes' : 'its roll-out takes'} ${unavailable} pod${unavailable === 1 ? '' : 's'} down at once but ${why}; ` +
            (deleting
              ? 'scale it up or lower the budget first, or upgrade with --disregard-budgets'
              : 'wait until its pods are healthy, add replicas, lower maxUnavailable, or upgrade with --disregard-budgets'),
        },
      ];
    });
}
