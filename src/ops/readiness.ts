import { Json, num, obj, str } from './json';
/**
 * Readiness of workloads as the API server reports it, for `floe platform deploy` and `status`:
 * pure functions over Kubernetes objects (as JSON), no I/O. The rules are those of
 * `kubectl rollout status` (kubernetes/kubectl v0.28, pkg/polymorphichelpers/rollout_status.go)
 * and of the Job controller's conditions (kubernetes/kubernetes v1.28, pkg/apis/batch/types.go:
 * `Complete`, `Failed`).
 */

/** A Kubernetes object as the API server returns it (or as floe synthesizes it). */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly generation?: number;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly uid?: string;
    readonly resourceVersion?: string;
    readonly deletionTimestamp?: string;
    readonly creationTimestamp?: string;
  };
  readonly [key: string]: unknown;
}

/** Where a workload is on its way to ready. */
export type ReadinessState = 'ready' | 'progressing' | 'failed';

/** The readiness of one workload. */
export interface Readiness {
  /** Ready (or complete), still progressing, or failed for good (until something changes). */
  readonly state: ReadinessState;
  /** Pods ready (or Jobs: succeeded) out of those wanted, when the kind has a count. */
  readonly ready?: number;
  /** Pods wanted (or Jobs: completions). */
  readonly desired?: number;
  /** What it is waiting for, or why it failed; empty when ready. */
  readonly message: string;
}

function conditions(status: Json): Json[] {
  return Array.isArray(status.conditions) ? (status.conditions as unknown[]).map(obj) : [];
}
function condition(status: Json, type: string): Json | undefined {
  return conditions(status).find((c) => c.type === type);
}

/** The kinds whose readiness is more than "the API server accepted it". */
export const WORKLOAD_KINDS: readonly string[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'];

/**
 * The readiness of `object`. Kinds without a rollout (Services, ConfigMaps, CronJobs, ...) are
 * ready once they exist.
 */
export function readinessOf(object: KubeObject): Readiness {
  switch (object.kind) {
    case 'Deployment':
      return deploymentReadiness(object);
    case 'StatefulSet':
      return statefulSetReadiness(object);
    case 'DaemonSet':
      return daemonSetReadiness(object);
    case 'Job':
      return jobReadiness(object);
    default:
      return { state: 'ready', message: '' };
  }
}

/** Whether the controller has seen the latest spec (`observedGeneration >= generation`). */
function observed(object: KubeObject, status: Json): boolean {
  const generation = object.metadata.generation;
  return generation === undefined || (num(status.observedGeneration) ?? -1) >= generation;
}

function deploymentReadiness(d: KubeObject): Readiness {
  const spec = obj(d.spec);
  const status = obj(d.status);
  const desired = num(spec.replicas) ?? 1;
  const available = num(status.availableReplicas) ?? 0;
  if (!observed(d, status)) {
    return {
      state: 'progressing',
      ready: available,
      desired,
      message: 'waiting for the new spec to be observed',
    };
  }
  const progressing = condition(status, 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return {
      state: 'failed',
      ready: available,
      desired,
      message: `rollout exceeded its progress deadline${str(progressing.message) ? `: ${str(progressing.message)}` : ''}`,
    };
  }
  const updated = num(status.updatedReplicas) ?? 0;
  const replicas = num(status.replicas) ?? 0;
  if (updated < desired) {
    return { state: 'progressing', ready: available, desired, message: `${updated} of ${desired} updated` };
  }
  if (replicas > updated) {
    return {
      state: 'progressing',
      ready: available,
      desired,
      message: `${replicas - updated} old replicas pending termination`,
    };
  }
  if (available < updated) {
    return {
      state: 'progressing',
      ready: available,
      desired,
      message: `${available} of ${updated} updated replicas available`,
    };
  }
  return { state: 'ready', ready: available, desired, message: '' };
}

function statefulSetReadiness(s: KubeObject): Readiness {
  const spec = obj(s.spec);
  const status = obj(s.status);
  const desired = num(spec.replicas) ?? 1;
  const readyReplicas = num(status.readyReplicas) ?? 0;
  if ((num(status.observedGeneration) ?? 0) === 0 || !observed(s, status)) {
    return {
      state: 'progressing',
      ready: readyReplicas,
      desired,
      message: 'waiting for the new spec to be observed',
    };
  }
  if (readyReplicas < desired) {
    return {
      state: 'progressing',
      ready: readyReplicas,
      desired,
      message: `waiting for ${desired - readyReplicas} pods to be ready`,
    };
  }
  const strategy = obj(spec.updateStrategy);
  if ((str(strategy.type) ?? 'RollingUpdate') === 'RollingUpdate') {
    const partition = num(obj(strategy.rollingUpdate).partition) ?? 0;
    if (partition > 0) {
      const updated = num(status.updatedReplicas) ?? 0;
      if (updated < desired - partition) {
        return {
          state: 'progressing',
          ready: readyReplicas,
          desired,
          message: `waiting for partitioned roll out to finish: ${updated} out of ${desired - partition} new pods have been updated`,
        };
      }
      return { state: 'ready', ready: readyReplicas, desired, message: '' };
    }
    if (str(status.updateRevision) !== str(status.currentRevision)) {
      return {
        state: 'progressing',
        ready: readyReplicas,
        desired,
        message: `waiting for rolling update to complete: ${num(status.updatedReplicas) ?? 0} pods at revision ${str(status.updateRevision) ?? '?'}`,
      };
    }
  }
  return { state: 'ready', ready: readyReplicas, desired, message: '' };
}

function daemonSetReadiness(d: KubeObject): Readiness {
  const status = obj(d.status);
  const desired = num(status.desiredNumberScheduled) ?? 0;
  const available = num(status.numberAvailable) ?? 0;
  if (!observed(d, status)) {
    return {
      state: 'progressing',
      ready: available,
      desired,
      message: 'waiting for the new spec to be observed',
    };
  }
  const updated = num(status.updatedNumberScheduled) ?? 0;
  if (updated < desired) {
    return {
      state: 'progressing',
      ready: available,
      desired,
      message: `${updated} out of ${desired} new pods have been updated`,
    };
  }
  if (available < desired) {
    return {
      state: 'progressing',
      ready: available,
      desired,
      message: `${available} of ${desired} updated pods are available`,
    };
  }
  return { state: 'ready', ready: available, desired, message: '' };
}

function jobReadiness(j: KubeObject): Readiness {
  const spec = obj(j.spec);
  const status = obj(j.status);
  const desired = num(spec.completions) ?? 1;
  const succeeded = num(status.succeeded) ?? 0;
  const failedCondition = condition(status, 'Failed');
  if (failedCondition?.status === 'True') {
    const reason = str(failedCondition.reason);
    const message = str(failedCondition.message);
    return {
      state: 'failed',
      ready: succeeded,
      desired,
      message: [reason, message].filter((x) => x !== undefined && x !== '').join(': ') || 'failed',
    };
  }
  if (condition(status, 'Complete')?.status === 'True') {
    return { state: 'ready', ready: succeeded, desired, message: '' };
  }
  const active = num(status.active) ?? 0;
  const failed = num(status.failed) ?? 0;
  return {
    state: 'progressing',
    ready: succeeded,
    desired,
    message:
      `${active} running, ${succeeded} succeeded` +
      (failed > 0 ? `, ${failed} failed attempt${failed > 1 ? 's' : ''}` : ''),
  };
}
