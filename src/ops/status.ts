import { formatPodProblem, PodProblem, podProblems } from './diagnose';
import { displayName, TierName, TIERS } from './plan';
import { KubeObject, Readiness, readinessOf, WORKLOAD_KINDS } from './readiness';

/** The tier a workload of the platform belongs to, by its `app.kubernetes.io/name`. */
const TIER_OF_APP: Readonly<Record<string, TierName>> = {
  postgresql: 'storage',
  minio: 'storage',
  polaris: 'catalog',
  'opentelemetry-collector': 'observability',
  prometheus: 'observability',
  grafana: 'observability',
  jaeger: 'observability',
  marquez: 'observability',
  'marquez-web': 'observability',
  dagster: 'orchestrator',
  'dagster-code-location': 'orchestrator',
  cube: 'semantic',
  cubestore: 'semantic',
  'floe-jobs': 'products',
};

/** The tier of a live workload (what `floe platform status --namespace` groups by). */
export function tierOf(o: KubeObject): TierName {
  const app = o.metadata.labels?.['app.kubernetes.io/name'] ?? '';
  return TIER_OF_APP[app] ?? 'products';
}

/** One workload in the status report. */
export interface WorkloadStatus {
  /** Its tier. */
  readonly tier: TierName;
  /** Kind, e.g. `StatefulSet`. */
  readonly kind: string;
  /** Object name. */
  readonly name: string;
  /** E.g. `PostgreSQL (orchestrator-db)`. */
  readonly display: string;
  /** Readiness as the API server reports it. */
  readonly readiness: Readiness;
  /** Container restarts summed over its pods. */
  readonly restarts: number;
  /** What is wrong with its pods, if anything. */
  readonly problems: readonly PodProblem[];
  /** Every container of its pod template has a readiness probe: ready means the probes pass. */
  readonly probed: boolean;
}

/** The whole report. */
export interface PlatformStatus {
  /** Platform name (`app.kubernetes.io/part-of`). */
  readonly platform: string;
  /** Platform version, when known. */
  readonly version?: string;
  /** Namespace. */
  readonly namespace: string;
  /** Workloads, by tier in deploy order, then by name. */
  readonly workloads: readonly WorkloadStatus[];
  /** True when every workload is ready and no pod has a problem. */
  readonly healthy: boolean;
}

/** The pods of `workload`: those its selector selects (a Job's: by `job-name`), in its namespace. */
export function podsOf(workload: KubeObject, pods: readonly KubeObject[]): KubeObject[] {
  const ns = workload.metadata.namespace;
  const spec = (workload.spec ?? {}) as Record<string, unknown>;
  const selector = ((spec.selector ?? {}) as Record<string, unknown>).matchLabels as
    Record<string, string> | undefined;
  const wanted: Record<string, string> =
    workload.kind === 'Job' ? { 'job-name': workload.metadata.name } : (selector ?? {});
  if (Object.keys(wanted).length === 0) return [];
  return pods.filter(
    (p) =>
      p.metadata.namespace === ns && Object.entries(wanted).every(([k, v]) => p.metadata.labels?.[k] === v),
  );
}

function restartsOf(pod: KubeObject): number {
  const status = (pod.status ?? {}) as Record<string, unknown>;
  const all = [
    ...((status.initContainerStatuses as unknown[]) ?? []),
    ...((status.containerStatuses as unknown[]) ?? []),
  ];
  return all.reduce<number>((n, c) => n + (Number((c as Record<string, unknown>).restartCount) || 0), 0);
}

/**
 * The status report of the workloads among `objects` (as the API server returns them) with
 * their `pods`. A CronJob is listed with its last Jobs' state only through those Jobs.
 */
export function platformStatus(
  objects: readonly KubeObject[],
  pods: readonly KubeObject[],
  meta: { readonly platform: string; readonly namespace: string; readonly version?: string },
): PlatformStatus {
  const workloads = objects
    .filter((o) => WORKLOAD_KINDS.includes(o.kind))
    .map((o): WorkloadStatus => {
      const own = podsOf(o, pods);
      return {
        tier: tierOf(o),
        kind: o.kind,
        name: o.metadata.name,
        display: displayName(o),
        readiness: readinessOf(o),
        restarts: own.reduce((n, p) => n + restartsOf(p), 0),
        problems: own.flatMap(podProblems),
        probed: hasReadinessProbes(o),
      };
    })
    .sort((a, b) => TIERS.indexOf(a.tier) - TIERS.indexOf(b.tier) || a.name.localeCompare(b.name));
  return {
    platform: meta.platform,
    ...(meta.version !== undefined ? { version: meta.version } : {}),
    namespace: meta.namespace,
    workloads,
    healthy: workloads.every((w) => w.readiness.state === 'ready' && w.problems.length === 0),
  };
}

const MARK: Readonly<Record<Readiness['state'], string>> = { ready: '✓', progressing: '…', failed: '✗' };

/**
 * The progress line of one workload, as floe's docs show it:
 * `✓ PostgreSQL (orchestrator-db): StatefulSet 1/1 ready`, `✓ Polaris bootstrap: Job complete`.
 */
export function progressLine(w: Pick<WorkloadStatus, 'display' | 'kind' | 'readiness'>): string {
  const r = w.readiness;
  const count = r.ready !== undefined && r.desired !== undefined ? ` ${r.ready}/${r.desired}` : '';
  const word =
    w.kind === 'Job'
      ? r.state === 'ready'
        ? ' complete'
        : r.state === 'failed'
          ? ' failed'
          : ' running'
      : `${count} ${r.state === 'ready' ? 'ready' : r.state === 'failed' ? 'failed' : 'starting'}`;
  return `${MARK[r.state]} ${w.display}: ${w.kind}${word}${r.message ? ` (${r.message})` : ''}`;
}

/**
 * The state of one workload in the status report, as floe's docs write it
 * (docs/architecture/platform-services.md, "Check Status"): `2/2 ready (healthy)`. `healthy` is
 * said only when every container of the pod template has a readiness probe (so "ready" means the
 * probes pass) and no pod has a problem; restarts and problems follow.
 */
export function statusText(w: WorkloadStatus): string {
  const r = w.readiness;
  const count = r.ready !== undefined && r.desired !== undefined ? `${r.ready}/${r.desired} ` : '';
  let state: string;
  if (w.kind === 'Job') {
    state = r.state === 'ready' ? 'complete' : r.state === 'failed' ? 'failed' : 'running';
  } else {
    state = `${count}${r.state === 'ready' ? 'ready' : r.state === 'failed' ? 'failed' : 'not ready'}`;
  }
  const notes: string[] = [];
  if (w.kind !== 'Job' && r.state === 'ready' && w.problems.length === 0 && w.probed) notes.push('healthy');
  if (r.state !== 'ready' && r.message) notes.push(r.message);
  if (w.restarts > 0) notes.push(`${w.restarts} restart${w.restarts > 1 ? 's' : ''}`);
  return `${state}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
}

/** Whether every container of a workload's pod template (a Job's too) has a readiness probe. */
export function hasReadinessProbes(o: KubeObject): boolean {
  const template = ((o.spec ?? {}) as { template?: { spec?: { containers?: unknown[] } } }).template;
  const containers = (template?.spec?.containers ?? []) as { readinessProbe?: unknown }[];
  return containers.length > 0 && containers.every((c) => c.readinessProbe !== undefined);
}

/**
 * The report as text, in the layout of floe's docs ("Check Status"): the platform and version,
 * the namespace, then `Services:` with each slot (in startup order) and its workloads by object
 * name, with any pod problems under them; a last line says whether all is healthy.
 */
export function renderStatus(s: PlatformStatus): string {
  const lines = [
    `Platform: ${s.platform}${s.version !== undefined ? ` v${s.version.replace(/^v/, '')}` : ''}`,
    `Namespace: ${s.namespace}`,
    '',
    'Services:',
  ];
  for (const tier of TIERS) {
    const ws = s.workloads.filter((w) => w.tier === tier);
    if (ws.length === 0) continue;
    lines.push(`  ${tier}:`);
    for (const w of ws) {
      lines.push(`    ${w.name}: ${statusText(w)}`);
      for (const p of w.problems) lines.push(`      ${formatPodProblem(p)}`);
    }
  }
  const bad = s.workloads.filter((w) => w.readiness.state !== 'ready' || w.problems.length > 0).length;
  lines.push('', s.healthy ? 'Healthy.' : `Not healthy: ${bad} of ${s.workloads.length} workloads.`);
  return `${lines.join('\n')}\n`;
}

/** One container's log text, as the API server returns it with `timestamps=true`. */
export interface TimestampedLog {
  /** What each of its lines is prefixed with, e.g. `polaris-5f7d8-x2x9q/polaris`. */
  readonly source: string;
  /** Lines `<RFC 3339 time> <text>`. */
  readonly text: string;
}

/**
 * Merges the logs of several containers into one, in time order (a stable sort on the
 * timestamps the kubelet adds, so lines of one container keep their order), each line
 * `[source] text` without the timestamp.
 */
export function mergeLogs(logs: readonly TimestampedLog[]): string[] {
  const lines = logs.flatMap((l, n) =>
    l.text
      .split('\n')
      .filter((line) => line !== '')
      .map((line, i) => {
        const space = line.indexOf(' ');
        const stamp = space > 0 ? line.slice(0, space) : '';
        const time = Date.parse(stamp);
        return {
          time: Number.isNaN(time) ? Number.POSITIVE_INFINITY : time,
          // Nanoseconds decide between lines of the same millisecond.
          fraction: /\.(\d+)Z$/.exec(stamp)?.[1]?.padEnd(9, '0') ?? '',
          text: Number.isNaN(time) ? line : line.slice(space + 1),
          n,
          i,
          source: l.source,
        };
      }),
  );
  lines.sort((a, b) => a.time - b.time || a.fraction.localeCompare(b.fraction) || a.n - b.n || a.i - b.i);
  return lines.map((l) => `[${l.source}] ${l.text}`);
}

/** A time waited as the progress lines write it: `42s`, `3m07s`. */
export function waitedText(seconds: number): string {
  return seconds >= 60
    ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`
    : `${seconds}s`;
}
