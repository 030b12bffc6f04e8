import { ImmutableChange, immutableChanges } from './immutable';
import { KubeApi, ObjectRef } from './kube';
import { PlanTier } from './plan';
import { appliedByFloe } from './prune';
import { KubeObject } from './readiness';
import { Json } from './json';

/** What a deploy would do to one object. */
export interface ObjectDiff {
  /** `Kind/namespace/name`. */
  readonly object: string;
  /** The object in the cluster. */
  readonly ref: ObjectRef;
  /** Whether the live object was applied by floe (false when it is not in the cluster). */
  readonly appliedByFloe: boolean;
  /** `create` (not in the cluster), `update` (fields change), `unchanged`, or `refused` (immutable fields). */
  readonly action: 'create' | 'update' | 'unchanged' | 'refused';
  /** The changed field paths, for `update`. */
  readonly fields: readonly string[];
  /** The immutable fields and their remedies, for `refused`. */
  readonly immutable: readonly ImmutableChange[];
}

/** Fields the API server writes itself: never a change a deploy makes. */
const SERVER_FIELDS = new Set([
  'metadata.managedFields',
  'metadata.resourceVersion',
  'metadata.generation',
  'metadata.uid',
  'metadata.creationTimestamp',
  'status',
]);

/** The leaf paths where `a` and `b` differ (`spec.replicas`, `spec.template.spec.containers[0].image`). */
export function changedPaths(a: unknown, b: unknown, prefix = ''): string[] {
  if (SERVER_FIELDS.has(prefix)) return [];
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [prefix];
    return a.flatMap((x, i) => changedPaths(x, b[i], `${prefix}[${i}]`));
  }
  const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => changedPaths(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix];
}

/**
 * What deploying `plan` would change, object by object: a server-side dry run of each against
 * the live object (so the server's defaults and other managers' fields are accounted for), and
 * first the immutable fields Kubernetes would refuse, whose objects are not sent.
 */
export async function diffPlan(api: KubeApi, plan: readonly PlanTier[]): Promise<ObjectDiff[]> {
  const out: ObjectDiff[] = [];
  for (const tier of plan) {
    for (const desired of tier.objects) {
      const name = `${desired.kind}/${desired.metadata.namespace ? `${desired.metadata.namespace}/` : ''}${desired.metadata.name}`;
      const ref: ObjectRef = {
        apiVersion: desired.apiVersion,
        kind: desired.kind,
        ...(desired.metadata.namespace ? { namespace: desired.metadata.namespace } : {}),
        name: desired.metadata.name,
      };
      const live = await api.get(ref);
      if (live === undefined) {
        out.push({ object: name, ref, appliedByFloe: false, action: 'create', fields: [], immutable: [] });
        continue;
      }
      const own = { object: name, ref, appliedByFloe: appliedByFloe(live) };
      const immutable = immutableChanges(desired, live);
      if (immutable.length > 0) {
        out.push({ ...own, action: 'refused', fields: [], immutable });
        continue;
      }
      const { object: after } = await api.apply(desired, { dryRun: true });
      const fields = changedPaths(strip(live), strip(after));
      out.push({ ...own, action: fields.length > 0 ? 'update' : 'unchanged', fields, immutable: [] });
    }
  }
  return out;
}

function strip(o: KubeObject): Json {
  const copy: Json = { ...(o as unknown as Json) };
  delete copy.status;
  return copy;
}

/** The diff as lines: `+` create, `~` update with its fields, `!` refused with the remedy. */
export function renderDiff(diffs: readonly ObjectDiff[]): string[] {
  const lines: string[] = [];
  for (const d of diffs) {
    if (d.action === 'create') lines.push(`+ ${d.object}`);
    if (d.action === 'update') {
      lines.push(`~ ${d.object}`);
      d.fields.forEach((f) => lines.push(`    ${f}`));
    }
    if (d.action === 'refused') {
      lines.push(`! ${d.object}: Kubernetes refuses this change`);
      d.immutable.forEach((c) => lines.push(`    ${c.field} is immutable: ${c.remedy}`));
    }
  }
  const count = (a: ObjectDiff['action']): number => diffs.filter((d) => d.action === a).length;
  lines.push(
    `${count('create')} to create, ${count('update')} to update, ${count('unchanged')} unchanged` +
      (count('refused') > 0 ? `, ${count('refused')} refused (immutable fields)` : ''),
  );
  return lines;
}
