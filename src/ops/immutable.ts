import { KubeObject } from './readiness';
import { Json, obj } from './json';

/**
 * Changes the API server refuses on update (422 `field is immutable` / `Forbidden`), found before
 * anything is sent, with what to do instead. The fields are those kubernetes/kubernetes v1.28
 * validates as immutable in pkg/apis/apps/validation/validation.go (`ValidateStatefulSetUpdate`:
 * everything of a StatefulSet's spec but replicas, ordinals, template, updateStrategy,
 * persistentVolumeClaimRetentionPolicy and minReadySeconds; `ValidateDeploymentUpdate` and
 * `ValidateDaemonSetUpdate`: the selector), pkg/apis/batch/validation/validation.go
 * (`ValidateJobSpecUpdate`: selector and template) and pkg/apis/core/validation/validation.go
 * (`ValidateServiceUpdate`: clusterIP/clusterIPs; `ValidatePersistentVolumeClaimUpdate`: the spec
 * but a larger storage request).
 */
export interface ImmutableChange {
  /** `Kind/name` of the object. */
  readonly object: string;
  /** The field path, e.g. `spec.volumeClaimTemplates`. */
  readonly field: string;
  /** What to do instead. */
  readonly remedy: string;
}

/**
 * Whether `live` holds everything `desired` sets (the server adds defaults and status, which are
 * no change): objects compare key by key, lists element by element and must have the same length.
 */
export function containsDesired(desired: unknown, live: unknown): boolean {
  if (Array.isArray(desired)) {
    return (
      Array.isArray(live) &&
      live.length === desired.length &&
      desired.every((d, i) => containsDesired(d, live[i]))
    );
  }
  if (desired !== null && typeof desired === 'object') {
    const l = obj(live);
    return Object.entries(desired as Json).every(([k, v]) => containsDesired(v, l[k]));
  }
  return desired === live;
}

const STATEFULSET_MUTABLE = new Set([
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
]);

const REMEDIES: Readonly<Record<string, string>> = {
  StatefulSet:
    'delete the StatefulSet without its pods (`kubectl delete statefulset NAME --cascade=orphan`: pods and ' +
    'PersistentVolumeClaims stay) and deploy again; the new StatefulSet adopts the running pods',
  Deployment: 'delete the Deployment and deploy again (its pods are replaced)',
  DaemonSet: 'delete the DaemonSet and deploy again (its pods are replaced)',
  Job: 'delete the Job and deploy again (a one-off Job is created anew; a finished one can go)',
  Service: 'delete the Service and deploy again (clients find the new address through DNS)',
  PersistentVolumeClaim:
    'a claim can only grow its storage request; copy the data to a new claim instead (floe never deletes one)',
};

/**
 * The immutable fields `desired` would change on `live` (same kind and name). Empty when the
 * update can be applied.
 */
export function immutableChanges(desired: KubeObject, live: KubeObject): ImmutableChange[] {
  const d = obj(desired.spec);
  const l = obj(live.spec);
  const fields: string[] = [];
  const differs = (key: string): boolean => key in d && !containsDesired(d[key], l[key]);
  switch (desired.kind) {
    case 'StatefulSet':
      fields.push(...Object.keys(d).filter((k) => !STATEFULSET_MUTABLE.has(k) && differs(k)));
      break;
    case 'Deployment':
    case 'DaemonSet':
      if (differs('selector')) fields.push('selector');
      break;
    case 'Job':
      fields.push(...['selector', 'template'].filter(differs));
      break;
    case 'Service':
      fields.push(...['clusterIP', 'clusterIPs'].filter(differs));
      break;
    case 'PersistentVolumeClaim': {
      const resources = obj(d.resources);
      const liveRequest = obj(obj(l.resources).requests).storage;
      fields.push(...Object.keys(d).filter((k) => k !== 'resources' && differs(k)));
      const wanted = obj(resources.requests).storage;
      if (wanted !== undefined && liveRequest !== undefined && !growsOrSame(wanted, liveRequest)) {
        fields.push('resources.requests.storage');
      }
      break;
    }
    default:
      break;
  }
  return fields.map((field) => ({
    object: `${desired.kind}/${desired.metadata.name}`,
    field: `spec.${field}`,
    remedy: REMEDIES[desired.kind] ?? 'delete the object and deploy again',
  }));
}

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
};

/** Whether the quantity `wanted` is at least `live` (an unparsable one counts as a change). */
function growsOrSame(wanted: unknown, live: unknown): boolean {
  const bytes = (q: unknown): number | undefined => {
    const m = /^([0-9.]+)([kMGTP]i?|)$/.exec(String(q));
    return m ? Number(m[1]) * (UNITS[m[2]] ?? NaN) : undefined;
  };
  const w = bytes(wanted);
  const l = bytes(live);
  return w !== undefined && l !== undefined && w >= l;
}
