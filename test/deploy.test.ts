import { Writable } from 'stream';
import { Testing } from 'cdk8s';
import { FloeJobs } from '../src/jobs/floe-jobs';
import { deploy, DeployOptions } from '../src/ops/deploy';
import {
  ApplyResult,
  CollectionRef,
  KubeApi,
  KubeError,
  ObjectRef,
  PodLogOptions,
  VersionedList,
  WatchEvent,
  WatchStream,
} from '../src/ops/kube';
import { deployPlan, displayName } from '../src/ops/plan';
import { KubeObject } from '../src/ops/readiness';
import { FloePlatform } from '../src/platform/floe-platform';

/**
 * A cluster in memory behind the `KubeApi` interface, with the controllers played: each workload
 * becomes ready on its `readyAfter`-th look (default 1; a GET, its item in a LIST, or a MODIFIED
 * event an open watch sends as the controller moves it on), unless listed in `failing` (its pod
 * crash-loops) or `stuck` (never ready, no pod problem). Watches can be ended by the server after
 * `endWatchAfter` events (its timeout), expire (ERROR 410) or fail to connect.
 */
class MemoryCluster implements KubeApi {
  public readonly server = 'https://cluster.example.com';
  public readonly context = 'test';
  public readonly objects = new Map<string, KubeObject>();
  public readonly applied: { object: string; dryRun: boolean }[] = [];
  public readonly looks = new Map<string, number>();
  public failing = new Set<string>();
  public stuck = new Set<string>();
  public readyAfter = 1;
  /** Every watch request: collection and the resourceVersion it started from. */
  public readonly watchCalls: { what: string; resourceVersion: string }[] = [];
  /** LIST requests with a resourceVersion (the start of a watch). */
  public versionedLists = 0;
  /** The server ends every watch after this many events (as at its timeoutSeconds). */
  public endWatchAfter = Infinity;
  /** The next watches get ERROR 410 Expired (their resourceVersion is compacted). */
  public expireWatches = 0;
  /** The next watches fail to connect. */
  public refuseWatches = 0;
  private version = 1;

  private static key(r: { kind: string; namespace?: string; name: string }): string {
    return `${r.kind}/${r.namespace ?? ''}/${r.name}`;
  }

  public async apply(object: KubeObject, options: { dryRun?: boolean } = {}): Promise<ApplyResult> {
    this.applied.push({ object: `${object.kind}/${object.metadata.name}`, dryRun: options.dryRun ?? false });
    const stored = { ...object, metadata: { ...object.metadata, generation: 1 } };
    const k = MemoryCluster.key({ ...object.metadata, kind: object.kind });
    const created = !this.objects.has(k);
    if (!options.dryRun) this.objects.set(k, stored);
    return { object: stored, warnings: [], created };
  }

  public async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const k = MemoryCluster.key(ref);
    const o = this.objects.get(k);
    if (!o) return undefined;
    const n = (this.looks.get(k) ?? 0) + 1;
    this.looks.set(k, n);
    const ready = n >= this.readyAfter && !this.failing.has(ref.name) && !this.stuck.has(ref.name);
    return { ...o, status: statusOf(o, ready) };
  }

  private matches(c: CollectionRef, o: KubeObject): boolean {
    const name = /^metadata\.name=(.+)$/.exec(c.fieldSelector ?? '')?.[1];
    return (
      o.kind === c.kind &&
      (c.namespace === undefined || o.metadata.namespace === c.namespace) &&
      (name === undefined || o.metadata.name === name)
    );
  }

  private progresses(o: KubeObject): boolean {
    const n = this.looks.get(MemoryCluster.key({ ...o.metadata, kind: o.kind })) ?? 0;
    return n < this.readyAfter && !this.failing.has(o.metadata.name) && !this.stuck.has(o.metadata.name);
  }

  public async listVersioned(c: CollectionRef): Promise<VersionedList> {
    this.versionedLists++;
    const items: KubeObject[] = [];
    for (const o of this.objects.values()) {
      if (!this.matches(c, o)) continue;
      items.push((await this.get({ ...o.metadata, apiVersion: o.apiVersion, kind: o.kind })) as KubeObject);
    }
    return { items, resourceVersion: String(this.version) };
  }

  public watch(
    c: CollectionRef,
    from: { resourceVersion: string },
    onEvent: (e: WatchEvent) => void,
  ): WatchStream {
    this.watchCalls.push({ what: `${c.kind}/${c.namespace ?? ''}`, resourceVersion: from.resourceVersion });
    let stop = (): void => undefined;
    const ended = (async (): Promise<void> => {
      if (this.refuseWatches > 0) {
        this.refuseWatches--;
        throw new KubeError('unreachable', 'watch: no cluster reachable: ECONNREFUSED');
      }
      if (this.expireWatches > 0) {
        this.expireWatches--;
        const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 };
        onEvent({ type: 'ERROR', object: { ...status, metadata: { name: '' } } });
        return;
      }
      // The controller: each pass moves every workload that progresses one look on.
      let sent = 0;
      for (;;) {
        await Promise.resolve();
        const moving = [...this.objects.values()].filter((o) => this.matches(c, o) && this.progresses(o));
        if (moving.length === 0) break;
        for (const o of moving) {
          const live = (await this.get({
            ...o.metadata,
            apiVersion: o.apiVersion,
            kind: o.kind,
          })) as KubeObject;
          this.version++;
          onEvent({
            type: 'MODIFIED',
            object: {
              ...live,
              metadata: { ...live.metadata, resourceVersion: String(this.version) },
            },
          });
          if (++sent >= this.endWatchAfter) return;
        }
      }
      // Nothing moves any more: the stream stays open until the client stops it.
      await new Promise<void>((resolve) => (stop = resolve));
    })();
    return { ended, stop: () => stop() };
  }

  public async list(_apiVersion: string, kind: string, namespace?: string): Promise<KubeObject[]> {
    if (kind !== 'Pod') return [];
    return [...this.objects.values()]
      .filter((o) => this.failing.has(o.metadata.name) && o.metadata.namespace === namespace)
      .map((o) => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${o.metadata.name}-abc12`,
          namespace,
          labels: (((o.spec ?? {}) as { selector?: { matchLabels?: Record<string, string> } }).selector
            ?.matchLabels ?? {}) as Record<string, string>,
        },
        status: {
          containerStatuses: [
            {
              name: 'main',
              restartCount: 4,
              state: { waiting: { reason: 'CrashLoopBackOff' } },
              lastState: { terminated: { reason: 'Error', exitCode: 1 } },
            },
          ],
        },
      }));
  }

  public async delete(): Promise<void> {}

  public async logs(_ns: string, _pod: string, out: Writable, options: PodLogOptions = {}): Promise<void> {
    out.end(
      `${options.previous ? 'previous run: ' : ''}java.sql.SQLException: password authentication failed\n`,
    );
  }
}

function statusOf(o: KubeObject, ready: boolean): Record<string, unknown> {
  const replicas = (((o.spec ?? {}) as { replicas?: number }).replicas ?? 1) as number;
  switch (o.kind) {
    case 'Deployment':
      return {
        observedGeneration: 1,
        replicas,
        updatedReplicas: replicas,
        availableReplicas: ready ? replicas : 0,
      };
    case 'StatefulSet':
      return {
        observedGeneration: 1,
        replicas,
        readyReplicas: ready ? replicas : 0,
        currentRevision: 'r1',
        updateRevision: 'r1',
      };
    case 'Job':
      return ready ? { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] } : { active: 1 };
    default:
      return {};
  }
}

function setup(): { options: Omit<DeployOptions, 'report'>; platform: FloePlatform } {
  const app = Testing.app();
  const platform = new FloePlatform(app, 'platform');
  const jobs = new FloeJobs(app, 'sales', { platform, namespace: 'floe-sales' });
  const ns = platform.namespaceName;
  return {
    platform,
    options: {
      plan: deployPlan([platform, jobs]),
      requiredSecrets: platform.requiredSecrets.map((s) => ({ namespace: ns, name: s.name })),
      requiredConfigMaps: platform.requiredConfigMaps.map((name) => ({ namespace: ns, name })),
      requiredCustomResourceDefinitions: platform.requiredCustomResourceDefinitions,
      prerequisiteCommands: platform.prerequisiteCommands(),
    },
  };
}

/** A cluster that already holds the prerequisites of `platform`. */
function clusterWithPrerequisites(s: ReturnType<typeof setup>): MemoryCluster {
  const cluster = new MemoryCluster();
  for (const r of s.options.requiredSecrets) {
    cluster.objects.set(`Secret/${r.namespace}/${r.name}`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: r.name, namespace: r.namespace },
    });
  }
  for (const r of s.options.requiredConfigMaps) {
    cluster.objects.set(`ConfigMap/${r.namespace}/${r.name}`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: r.name, namespace: r.namespace },
    });
  }
  for (const name of s.options.requiredCustomResourceDefinitions) {
    cluster.objects.set(`CustomResourceDefinition//${name}`, {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name },
    });
  }
  return cluster;
}

describe('floe platform deploy (engine)', () => {
  test('tier by tier: every tier applied only after the one before is ready', async () => {
    const s = setup();
    const cluster = clusterWithPrerequisites(s);
    cluster.readyAfter = 3; // each workload needs a few looks
    const lines: string[] = [];
    // Applies and report lines in one sequence, to see what came before what.
    const log: string[] = [];
    const apply = cluster.apply.bind(cluster);
    cluster.apply = (o, opts) => {
      log.push(`apply ${o.kind}/${o.metadata.name}`);
      return apply(o, opts);
    };
    const result = await deploy(cluster, {
      ...s.options,
      report: (l) => {
        lines.push(l);
        log.push(l);
      },
    });
    expect(result.ok).toBe(true);
    expect(result.applied).toBe(s.options.plan.reduce((n, t) => n + t.objects.length, 0));
    const order = s.options.plan.map((t) => t.tier);
    expect(lines.filter((l) => / objects applied$/.test(l)).map((l) => l.trim().split(':')[0])).toEqual(
      order,
    );
    // The first object applied of each tier comes after the ready line of every workload of the
    // tier before.
    for (let i = 1; i < order.length; i++) {
      const first = s.options.plan[i].objects[0];
      const firstApply = log.indexOf(`apply ${first.kind}/${first.metadata.name}`);
      for (const w of s.options.plan[i - 1].waitFor) {
        const ready = log.findIndex((l) => l.startsWith(`  ✓ ${displayName(w)}: `));
        expect(ready).toBeGreaterThanOrEqual(0);
        expect(ready).toBeLessThan(firstApply);
      }
    }
    // The docs' layout: a header per namespace, the namespace, then a line per workload.
    expect(lines.slice(0, 2)).toEqual([
      'Deploying platform services to namespace: floe-platform',
      '  ✓ Namespace created',
    ]);
    expect(lines).toContain('Deploying data products to namespace: floe-sales');
    expect(lines).toContain('  ✓ MinIO: StatefulSet 4/4 ready');
    expect(lines).toContain('  ✓ PostgreSQL (orchestrator-db): StatefulSet 1/1 ready');
    expect(lines).toContain('  ✓ Polaris bootstrap: Job complete');
    expect(lines).toContain('  ✓ Dagster webserver: Deployment 1/1 ready');
    expect(lines).toContain('  ✓ Polaris (floe-sales-catalog-access): Job complete');
  });

  test('missing prerequisites: nothing is applied; the list and the commands that create them', async () => {
    const s = setup();
    const cluster = new MemoryCluster();
    const lines: string[] = [];
    const result = await deploy(cluster, { ...s.options, report: (l) => lines.push(l) });
    expect(result).toEqual({ ok: false, applied: 0 });
    expect(cluster.applied).toEqual([]);
    expect(lines[0]).toBe('✗ missing prerequisites (nothing was applied):');
    expect(lines).toContain('  - Secret floe-platform/polaris-bootstrap-credentials');
    expect(lines).toContain(`  ${s.platform.prerequisiteCommands()[0]}`);
  });

  test('a crash-looping workload stops the deploy with its pod, reason and last log lines', async () => {
    const s = setup();
    const cluster = clusterWithPrerequisites(s);
    cluster.failing.add('polaris');
    const lines: string[] = [];
    const now = { t: 0 };
    const waiting: (string | undefined)[] = [];
    const result = await deploy(cluster, {
      ...s.options,
      waiting: (w) => waiting.push(w && `${w.tier}: ${w.waitingFor.join('; ')}`),
      timeoutSeconds: 60,
      now: () => now.t,
      // A timer: time moves on to its end once everything under way (lists, events) is handled;
      // a timer overtaken by an event and then by a later timer moves nothing.
      sleep: async (sec) => {
        const end = now.t + sec;
        await new Promise((r) => setImmediate(r));
        now.t = Math.max(now.t, end);
      },
      report: (l) => lines.push(l),
    });
    expect(result.ok).toBe(false);
    expect(lines).toContain(
      '  ✗ Polaris: Deployment not ready after 60s (0 of 1 updated replicas available)',
    );
    expect(lines).toContain('    polaris-abc12/main: CrashLoopBackOff (exit 1, 4 restarts): last run: Error');
    // While it waited: the elapsed time and what it waited for, every 30 s.
    expect(lines).toContain('  … 30s: waiting for Polaris: 0 of 1 updated replicas available');
    expect(lines).toContain('      | previous run: java.sql.SQLException: password authentication failed');
    // For a live status line: what the tier waits for while it waits, then that it is done.
    expect(waiting).toContain('catalog: Polaris: 0 of 1 updated replicas available');
    expect(waiting.at(-1)).toBeUndefined();
    // Nothing of the tiers after the catalog was applied.
    expect(cluster.applied.map((a) => a.object)).not.toContain('Deployment/dagster-webserver');
  });

  test('--dry-run: every object validated by the server, no waiting', async () => {
    const s = setup();
    const cluster = clusterWithPrerequisites(s);
    cluster.stuck = new Set(['polaris']); // would never be ready
    const lines: string[] = [];
    const result = await deploy(cluster, { ...s.options, dryRun: true, report: (l) => lines.push(l) });
    expect(result.ok).toBe(true);
    expect(cluster.applied.every((a) => a.dryRun)).toBe(true);
    expect(lines[0]).toBe('Checking platform services for namespace: floe-platform (dry run)');
    expect(lines).toContain('  ✓ catalog: 10 objects accepted by the API server');
  });

  test('--component orchestrator: refused until the catalog is ready, then only that tier', async () => {
    const s = setup();
    const cluster = clusterWithPrerequisites(s);
    const lines: string[] = [];
    const refused = await deploy(cluster, {
      ...s.options,
      only: ['orchestrator'],
      report: (l) => lines.push(l),
    });
    expect(refused.ok).toBe(false);
    expect(lines.at(-1)).toMatch(/^✗ storage is not ready \(MinIO: not deployed\); deploy it first$/);
    await deploy(cluster, { ...s.options, report: () => undefined });
    cluster.applied.length = 0;
    const only = await deploy(cluster, { ...s.options, only: ['orchestrator'], report: () => undefined });
    expect(only.ok).toBe(true);
    const tierOf = new Map(
      s.options.plan.flatMap((t) => t.objects.map((o) => [`${o.kind}/${o.metadata.name}`, t.tier])),
    );
    expect(new Set(cluster.applied.map((a) => tierOf.get(a.object)))).toEqual(new Set(['orchestrator']));
  });

  describe('waiting by watching (LIST, then WATCH from its resourceVersion)', () => {
    const collections = (plan: DeployOptions['plan']): number =>
      new Set(
        plan.flatMap((t) =>
          t.waitFor.map((w) => `${t.tier}|${w.apiVersion}|${w.kind}|${w.metadata.namespace}`),
        ),
      ).size;

    test('one LIST per watched collection and tier, then watches; the workloads get ready by events', async () => {
      const s = setup();
      const cluster = clusterWithPrerequisites(s);
      cluster.readyAfter = 3;
      const result = await deploy(cluster, { ...s.options, report: () => undefined });
      expect(result.ok).toBe(true);
      expect(cluster.versionedLists).toBe(collections(s.options.plan));
      expect(cluster.watchCalls.length).toBeGreaterThanOrEqual(cluster.versionedLists);
    });

    test('a watch the server ends (its timeout) goes on from the last resourceVersion it saw', async () => {
      const s = setup();
      const cluster = clusterWithPrerequisites(s);
      cluster.readyAfter = 4;
      cluster.endWatchAfter = 1;
      const result = await deploy(cluster, { ...s.options, report: () => undefined });
      expect(result.ok).toBe(true);
      // No relist: every new watch continues where the one before stopped.
      expect(cluster.versionedLists).toBe(collections(s.options.plan));
      const byCollection = new Map<string, number[]>();
      for (const w of cluster.watchCalls) {
        byCollection.set(w.what, [...(byCollection.get(w.what) ?? []), Number(w.resourceVersion)]);
      }
      const resumed = [...byCollection.values()].filter((v) => v.length > 1);
      expect(resumed.length).toBeGreaterThan(0);
      for (const versions of resumed) {
        // Each later watch starts after the previous one's start: from the event it got.
        versions.slice(1).forEach((v, i) => expect(v).toBeGreaterThan(versions[i]));
      }
    });

    test('an expired watch (ERROR 410) lists again', async () => {
      const s = setup();
      const cluster = clusterWithPrerequisites(s);
      cluster.readyAfter = 2;
      cluster.expireWatches = 1;
      const result = await deploy(cluster, { ...s.options, report: () => undefined });
      expect(result.ok).toBe(true);
      expect(cluster.versionedLists).toBe(collections(s.options.plan) + 1);
    });

    test('a lost connection is tried again, saying so; for good, one clear error', async () => {
      const s = setup();
      const cluster = clusterWithPrerequisites(s);
      cluster.readyAfter = 2;
      cluster.refuseWatches = 2;
      const waits: number[] = [];
      const watch = {
        sleep: async (sec: number) => {
          waits.push(sec);
        },
      };
      const lines: string[] = [];
      const result = await deploy(cluster, { ...s.options, watch, report: (l) => lines.push(l) });
      expect(result.ok).toBe(true);
      expect(lines).toContain(
        '  lost the watch of StatefulSet in floe-platform (watch: no cluster reachable: ECONNREFUSED); again in 1s',
      );
      expect(waits).toEqual([1, 1]);

      const down = clusterWithPrerequisites(s);
      down.readyAfter = 2;
      down.refuseWatches = Infinity;
      await expect(
        deploy(down, { ...s.options, watch: { ...watch, retries: 3 }, report: () => undefined }),
      ).rejects.toThrow(new KubeError('unreachable', 'watch: no cluster reachable: ECONNREFUSED'));
    });
  });
});
