import { formatPodProblem, podProblems } from './diagnose';
import { KubeApi, KubeError, logText } from './kube';
import { displayName, identity, PlanTier, TierName } from './plan';
import { FLOE_KINDS, pruneCandidates } from './prune';
import { KubeObject, Readiness, readinessOf } from './readiness';
import { podsOf, progressLine, waitedText } from './status';
import { CollectionWatchOptions, objectKey, watchCollectionsOf, watchOf } from './watch';

/** What `deploy` needs besides the cluster. */
export interface DeployOptions {
  /** The plan (`deployPlan`), in order. */
  readonly plan: readonly PlanTier[];
  /** Secrets that must exist before anything is applied: `namespace/name`. */
  readonly requiredSecrets: readonly { readonly namespace: string; readonly name: string }[];
  /** ConfigMaps that must exist before anything is applied: `namespace/name`. */
  readonly requiredConfigMaps: readonly { readonly namespace: string; readonly name: string }[];
  /** CustomResourceDefinitions that must be installed (their names). */
  readonly requiredCustomResourceDefinitions: readonly string[];
  /** The commands that create the missing prerequisites (shown when some are missing). */
  readonly prerequisiteCommands: readonly string[];
  /**
   * Only these tiers (`--component`); the tiers before them must already be ready.
   * @default - every tier
   */
  readonly only?: readonly TierName[];
  /**
   * Server-side dry run of every object: validated by the API server, nothing changes.
   * @default false
   */
  readonly dryRun?: boolean;
  /**
   * Take over fields other managers own.
   * @default false
   */
  readonly forceConflicts?: boolean;
  /**
   * How long to wait for each tier, in seconds.
   * @default 600
   */
  readonly timeoutSeconds?: number;
  /**
   * How the tier's workloads are watched (watch timeouts, retries, their waits).
   * @default - as client-go's reflector does it (`CollectionWatchOptions`)
   */
  readonly watch?: CollectionWatchOptions;
  /**
   * After a complete deploy, delete what an earlier deploy of this platform created and the plan
   * no longer has (`pruneCandidates`), in these namespaces; never claims or Secrets.
   * @default - no pruning
   */
  readonly prune?: { readonly platformName: string; readonly namespaces: readonly string[] };
  /** Writes one line of progress. */
  readonly report: (line: string) => void;
  /**
   * Told, while a tier waits, what it waits for (one entry per workload not yet ready, with
   * why), and `undefined` when the tier is done: for a live status line on a terminal.
   * @default - nothing but the progress lines
   */
  readonly waiting?: (
    status: { readonly tier: TierName; readonly waitingFor: readonly string[] } | undefined,
  ) => void;
  /**
   * Waits until the next progress line or the timeout is due (injected for tests); a change of a
   * watched workload ends the wait sooner.
   * @default - setTimeout
   */
  readonly sleep?: (seconds: number) => Promise<void>;
  /**
   * Seconds since some fixed time (injected for tests).
   * @default - the monotonic clock
   */
  readonly now?: () => number;
}

/** How a deploy ended. */
export interface DeployResult {
  /** True when every tier applied and became ready (or, in a dry run, was accepted). */
  readonly ok: boolean;
  /** Objects applied (or validated). */
  readonly applied: number;
}

const key = (o: { namespace?: string; name: string }): string => `${o.namespace ?? ''}/${o.name}`;

/**
 * Deploys `plan`: checks the prerequisites, then applies each tier (server-side apply, field
 * manager floe) and waits until its workloads are ready before the next. A failed workload or a
 * timeout stops the deploy with the pods' problems and their last log lines. Talks to the API
 * server only.
 */
export async function deploy(api: KubeApi, opts: DeployOptions): Promise<DeployResult> {
  // Unref'd: a wait cut short by a watch event must not keep the process alive after the deploy.
  const sleep = opts.sleep ?? ((s: number) => new Promise<void>((r) => setTimeout(r, s * 1000).unref()));
  const now = opts.now ?? (() => performance.now() / 1000);
  const report = opts.report;

  // 1. Prerequisites, before anything is applied.
  const missing: string[] = [];
  for (const s of opts.requiredSecrets) {
    if ((await api.get({ apiVersion: 'v1', kind: 'Secret', ...s })) === undefined)
      missing.push(`Secret ${key(s)}`);
  }
  for (const c of opts.requiredConfigMaps) {
    if ((await api.get({ apiVersion: 'v1', kind: 'ConfigMap', ...c })) === undefined) {
      missing.push(`ConfigMap ${key(c)}`);
    }
  }
  for (const name of opts.requiredCustomResourceDefinitions) {
    const crd = await api.get({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      name,
    });
    if (crd === undefined) missing.push(`CustomResourceDefinition ${name}`);
  }
  if (missing.length > 0) {
    report(`✗ missing prerequisites (nothing was applied):`);
    missing.forEach((m) => report(`  - ${m}`));
    if (opts.prerequisiteCommands.length > 0) {
      report('Create them, e.g.:');
      opts.prerequisiteCommands.forEach((c) => report(`  ${c}`));
    }
    return { ok: false, applied: 0 };
  }

  const tiers = opts.plan.filter((t) => opts.only === undefined || opts.only.includes(t.tier));
  // 2. With --component, what the chosen tiers depend on must already be ready.
  if (opts.only !== undefined && !opts.dryRun) {
    const first = opts.plan.indexOf(tiers[0]);
    for (const before of opts.plan.slice(0, Math.max(first, 0))) {
      if (opts.only.includes(before.tier)) continue;
      for (const w of before.waitFor) {
        const live = await api.get(refOf(w));
        const r = live ? readinessOf(live) : undefined;
        if (r?.state !== 'ready') {
          report(
            `✗ ${before.tier} is not ready (${displayName(w)}: ${live ? r?.message || r?.state : 'not deployed'}); deploy it first`,
          );
          return { ok: false, applied: 0 };
        }
      }
    }
  }

  let applied = 0;
  let namespace: string | undefined;
  for (const tier of tiers) {
    // A header whenever the namespace changes, as floe's docs begin the deploy output
    // ("Deploying platform services to namespace: floe-platform").
    const ns = tier.objects.find((o) => o.metadata.namespace !== undefined)?.metadata.namespace;
    if (ns !== undefined && ns !== namespace) {
      namespace = ns;
      const what = tier.tier === 'products' ? 'data products' : 'platform services';
      report(
        opts.dryRun
          ? `Checking ${what} for namespace: ${ns} (dry run)`
          : `Deploying ${what} to namespace: ${ns}`,
      );
    }
    for (const o of tier.objects) {
      const result = await api.apply(o, { dryRun: opts.dryRun, force: opts.forceConflicts });
      result.warnings.forEach((w) => report(`  ! ${o.kind}/${o.metadata.name}: ${w}`));
      if (o.kind === 'Namespace' && !opts.dryRun) {
        report(`  ✓ Namespace ${result.created ? 'created' : 'exists'}`);
      }
      applied++;
    }
    if (opts.dryRun) {
      report(`  ✓ ${tier.tier}: ${tier.objects.length} objects accepted by the API server`);
      continue;
    }
    report(`  ${tier.tier}: ${tier.objects.length} objects applied`);
    const ok = await waitForTier(api, tier, {
      sleep,
      now,
      report,
      timeout: opts.timeoutSeconds ?? 600,
      watch: opts.watch ?? {},
      waiting: opts.waiting,
    });
    if (!ok) return { ok: false, applied };
  }
  // Pruning needs the whole plan deployed: with --component the rest was not looked at.
  if (opts.prune !== undefined && opts.only === undefined) {
    await prune(api, opts.plan, opts.prune, opts.dryRun ?? false, report);
  }
  return { ok: true, applied };
}

async function prune(
  api: KubeApi,
  plan: readonly PlanTier[],
  p: { readonly platformName: string; readonly namespaces: readonly string[] },
  dryRun: boolean,
  report: (line: string) => void,
): Promise<void> {
  const planned = new Set(plan.flatMap((t) => t.objects.map(identity)));
  const live: KubeObject[] = [];
  for (const ns of p.namespaces) {
    for (const [apiVersion, kind] of FLOE_KINDS) {
      try {
        live.push(...(await api.list(apiVersion, kind, ns, `app.kubernetes.io/part-of=${p.platformName}`)));
      } catch (e) {
        // A kind whose CRD is not installed has nothing to prune.
        if (!(e instanceof KubeError && e.kind === 'not-found')) throw e;
      }
    }
  }
  for (const o of pruneCandidates(live, planned, p.platformName)) {
    const what = `${o.kind}/${o.metadata.name}${o.metadata.namespace ? ` in ${o.metadata.namespace}` : ''}`;
    if (dryRun) {
      report(`- would delete ${what} (no longer in the platform)`);
    } else {
      await api.delete(refOf(o));
      report(`- deleted ${what} (no longer in the platform)`);
    }
  }
}

function refOf(o: KubeObject): { apiVersion: string; kind: string; namespace?: string; name: string } {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    ...(o.metadata.namespace !== undefined ? { namespace: o.metadata.namespace } : {}),
    name: o.metadata.name,
  };
}

/** Seconds between two "still waiting" lines. */
const PROGRESS_EVERY = 30;

/**
 * Watches a tier's workloads (LIST + WATCH, `CollectionWatch`) until all are ready; reports each
 * as it becomes ready, what it still waits for every PROGRESS_EVERY seconds, and on a failure or
 * the timeout the pods' problems.
 */
async function waitForTier(
  api: KubeApi,
  tier: PlanTier,
  t: {
    sleep: (s: number) => Promise<void>;
    now: () => number;
    report: (line: string) => void;
    timeout: number;
    watch: CollectionWatchOptions;
    waiting?: DeployOptions['waiting'];
  },
): Promise<boolean> {
  const start = t.now();
  let nextProgress = PROGRESS_EVERY;
  const pending = new Map(tier.waitFor.map((w) => [key(w.metadata), w]));
  const last = new Map<string, { live?: KubeObject; readiness?: Readiness }>();
  const watches = watchCollectionsOf(api, tier.waitFor, { notice: (l) => t.report(`  ${l}`), ...t.watch });
  try {
    for (;;) {
      // Wake at the next change of any watched collection, or when a line or the timeout is due.
      const changed = Promise.race([...watches.values()].map((w) => w.changed()));
      for (const w of watches.values()) if (w.failure) throw w.failure;
      for (const [k, w] of [...pending]) {
        const watch = watchOf(watches, w);
        if (!watch?.synced) continue;
        const live = watch.objects.get(objectKey(w));
        const readiness = live ? readinessOf(live) : undefined;
        last.set(k, { live, readiness });
        if (readiness?.state === 'ready') {
          t.report(`  ${progressLine({ display: displayName(w), kind: w.kind, readiness })}`);
          pending.delete(k);
        } else if (readiness?.state === 'failed') {
          t.report(`  ${progressLine({ display: displayName(w), kind: w.kind, readiness })}`);
          await explain(api, live, t.report);
          return false;
        }
      }
      if (pending.size === 0) return true;
      const waited = Math.round(t.now() - start);
      const waitingFor = [...pending.entries()].map(([k, w]) => {
        const message = last.get(k)?.readiness?.message;
        return `${displayName(w)}${message ? `: ${message}` : ''}`;
      });
      t.waiting?.({ tier: tier.tier, waitingFor });
      // Elapsed time while waiting, every PROGRESS_EVERY seconds: what is still pending and why.
      if (waited >= nextProgress && waited < t.timeout) {
        nextProgress += PROGRESS_EVERY;
        t.report(`  … ${waitedText(waited)}: waiting for ${waitingFor.join('; ')}`);
      }
      if (waited >= t.timeout) {
        for (const [k, w] of pending) {
          const { live, readiness } = last.get(k) ?? {};
          t.report(
            `  ✗ ${displayName(w)}: ${w.kind} not ready after ${waited}s` +
              (readiness?.message ? ` (${readiness.message})` : live ? '' : ' (not found)'),
          );
          await explain(api, live, t.report);
        }
        return false;
      }
      await Promise.race([changed, t.sleep(Math.max(Math.min(nextProgress, t.timeout) - waited, 0))]);
    }
  } finally {
    watches.forEach((w) => w.stop());
    t.waiting?.(undefined);
  }
}

/** The pods of a workload that is not becoming ready: their problems and last log lines. */
async function explain(
  api: KubeApi,
  live: KubeObject | undefined,
  report: (line: string) => void,
): Promise<void> {
  if (live === undefined) return;
  let pods: KubeObject[];
  try {
    pods = podsOf(live, await api.list('v1', 'Pod', live.metadata.namespace));
  } catch (e) {
    report(`    (cannot list its pods: ${e instanceof KubeError ? e.message : String(e)})`);
    return;
  }
  for (const pod of pods) {
    for (const p of podProblems(pod)) {
      report(`    ${formatPodProblem(p)}`);
      if (p.container === undefined) continue;
      try {
        const text = await logText(api, pod.metadata.namespace ?? '', pod.metadata.name, {
          container: p.container,
          tailLines: 10,
          previous: p.reason === 'CrashLoopBackOff',
        });
        text
          .split('\n')
          .filter((l) => l !== '')
          .forEach((l) => report(`      | ${l}`));
      } catch {
        // A container that never started has no log: its problem line says why.
      }
    }
  }
}
