import { FIELD_MANAGER } from './kube';
import { identity } from './plan';
import { KubeObject } from './readiness';

/** Every kind floe's charts write (what a prune looks through), as `[apiVersion, kind]`. */
export const FLOE_KINDS: readonly (readonly [string, string])[] = [
  ['apps/v1', 'Deployment'],
  ['apps/v1', 'StatefulSet'],
  ['apps/v1', 'DaemonSet'],
  ['batch/v1', 'Job'],
  ['batch/v1', 'CronJob'],
  ['v1', 'Service'],
  ['v1', 'ConfigMap'],
  ['v1', 'ServiceAccount'],
  ['networking.k8s.io/v1', 'NetworkPolicy'],
  ['networking.k8s.io/v1', 'Ingress'],
  ['policy/v1', 'PodDisruptionBudget'],
  ['autoscaling/v2', 'HorizontalPodAutoscaler'],
  ['rbac.authorization.k8s.io/v1', 'Role'],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
  ['monitoring.coreos.com/v1', 'ServiceMonitor'],
  ['monitoring.coreos.com/v1', 'PrometheusRule'],
];

/** Kinds a prune never deletes: they hold data. */
export const NEVER_PRUNED: readonly string[] = ['PersistentVolumeClaim', 'Secret', 'Namespace'];

/**
 * The objects an earlier deploy of platform `platformName` created that the new plan no longer
 * has: labelled `app.kubernetes.io/part-of=<platformName>` (every object floe's charts write
 * carries it) and applied by floe (an `Apply` entry of field manager `floe` in
 * `metadata.managedFields`, which the API server keeps), not in `planned` (identities), owned by
 * no other object (the Jobs of `floe run` belong to their CronJob), and never a kind in
 * `NEVER_PRUNED`. Anything else, e.g. an object someone created with kubectl with the
 * same labels, is left alone.
 */
export function pruneCandidates(
  live: readonly KubeObject[],
  planned: ReadonlySet<string>,
  platformName: string,
): KubeObject[] {
  return live.filter((o) => {
    if (NEVER_PRUNED.includes(o.kind)) return false;
    if (o.metadata.labels?.['app.kubernetes.io/part-of'] !== platformName) return false;
    if (planned.has(identity(o))) return false;
    // Owned by another object (a run's Job by its CronJob): its owner's business.
    if (((o.metadata as { ownerReferences?: unknown[] }).ownerReferences ?? []).length > 0) return false;
    return appliedByFloe(o);
  });
}

/**
 * Whether field manager `floe` applied `o` (an `Apply` entry of manager `floe` in the
 * `metadata.managedFields` the API server keeps): the test before floe deletes anything.
 */
export function appliedByFloe(o: KubeObject): boolean {
  const managed =
    (o.metadata as { managedFields?: { manager?: string; operation?: string }[] }).managedFields ?? [];
  return managed.some((m) => m.manager === FIELD_MANAGER && m.operation === 'Apply');
}
