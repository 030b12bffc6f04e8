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
 * `✓ PostgreSQL (orchestrator-db): StatefulSet 1/1 ready`, `✓ Polaris (polaris-bootstrap): Job complete`.
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

const TIER_TITLES: Readonly<Record<TierName, string>> = {
  namespace: 'Namespace',
  storage: 'Storage and databases',
  catalog: 'Catalog',
  observability: 'Observability',
  orchestrator: 'Orchestrator',
  semantic: 'Semantic layer',
  exposure: 'Ingress',
  products: 'Data products',
};

/** The report as text: a header, then per tier its workloads, restarts and pod problems. */
export function renderStatus(s: PlatformStatus): string {
  const lines = [
    `Platform: ${s.platform}${s.version !== undefined ? ` ${s.version}` : ''}`,
    `Namespace: ${s.namespace}`,
    '',
  ];
  for (const tier of TIERS) {
    const ws = s.workloads.filter((w) => w.tier === tier);
    if (ws.length === 0) continue;
    lines.push(`${TIER_TITLES[tier]}:`);
    for (const w of ws) {
      lines.push(
        `  ${progressLine(w)}${w.restarts > 0 ? `, ${w.restarts} restart${w.restarts > 1 ? 's' : ''}` : ''}`,
      );
      for (const p of w.problems) lines.push(`      ${formatPodProblem(p)}`);
    }
  }
  lines.push('', s.healthy ? 'Healthy.' : 'Not healthy.');
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
