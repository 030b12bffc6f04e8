import { Writable } from 'stream';
import { Testing } from 'cdk8s';
import { FloeJobs } from '../src/jobs/floe-jobs';
import { deploy, DeployOptions } from '../src/ops/deploy';
import { ApplyResult, KubeApi, ObjectRef, PodLogOptions } from '../src/ops/kube';
import { deployPlan } from '../src/ops/plan';
import { KubeObject } from '../src/ops/readiness';
import { FloePlatform } from '../src/platform/floe-platform';

/**
 * A cluster in memory behind the `KubeApi` interface, with controllers played by `settle`: each
 * workload becomes ready on its `readyAfter`-th look (default 1), unless listed in `failing`
 * (its pod crash-loops) or `stuck` (never ready, no pod problem).
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

  private static key(r: { kind: string; namespace?: string; name: string }): string {
    return `${r.kind}/${r.namespace ?? ''}/${r.name}`;
  }

  public async apply(object: KubeObject, options: { dryRun?: boolean } = {}): Promise<ApplyResult> {
    this.applied.push({ object: `${object.kind}/${object.metadata.name}`, dryRun: options.dryRun ?? false });
    const stored = { ...object, metadata: { ...object.metadata, generation: 1 } };
    if (!options.dryRun)
      this.objects.set(MemoryCluster.key({ ...object.metadata, kind: object.kind }), stored);
    return { object: stored, warnings: [] };
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
      sleep: async () => undefined,
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
    const result = await deploy(cluster, { ...s.options, report: (l) => lines.push(l) });
    expect(result.ok).toBe(true);
    expect(result.applied).toBe(s.options.plan.reduce((n, t) => n + t.objects.length, 0));
    // The first object applied of each tier comes after the last ready line of the tier before.
    const order = s.options.plan.map((t) => t.tier);
    expect(lines.filter((l) => l.startsWith('Deploying')).map((l) => l.split(' ')[1])).toEqual(order);
    const readyLine = (tier: string): number =>
      lines.findIndex((l) => l.startsWith('Deploying') && l.includes(` ${tier} `));
    for (let i = 1; i < order.length; i++) {
      const waits = s.options.plan[i - 1].waitFor.map((w) => w.metadata.name);
      const lastReady = Math.max(...waits.map((n) => lines.findIndex((l) => l.includes(`(${n})`))));
      expect(lastReady).toBeLessThan(readyLine(order[i]));
    }
    expect(lines).toContain('✓ PostgreSQL (orchestrator-db): StatefulSet 1/1 ready');
    expect(lines).toContain('✓ Polaris (polaris-bootstrap): Job complete');
    expect(lines).toContain('✓ Polaris (floe-sales-catalog-access): Job complete');
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
    const result = await deploy(cluster, {
      ...s.options,
      timeoutSeconds: 60,
      now: () => now.t,
      sleep: async (sec) => {
        now.t += sec;
      },
      report: (l) => lines.push(l),
    });
    expect(result.ok).toBe(false);
    expect(lines).toContain(
      '✗ Polaris (polaris): Deployment not ready after 60s (0 of 1 updated replicas available)',
    );
    expect(lines).toContain('  polaris-abc12/main: CrashLoopBackOff (exit 1, 4 restarts): last run: Error');
    // While it waited: the elapsed time and what it waited for, every 30 s.
    expect(lines).toContain('… 30s: waiting for Polaris (polaris): 0 of 1 updated replicas available');
    expect(lines).toContain('    | previous run: java.sql.SQLException: password authentication failed');
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
    expect(lines).toContain('✓ catalog: 10 objects accepted by the API server (dry run)');
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
    expect(lines.at(-1)).toMatch(
      /^✗ storage is not ready \(MinIO \(minio\): not deployed\); deploy it first$/,
    );
    await deploy(cluster, { ...s.options, report: () => undefined });
    cluster.applied.length = 0;
    const only = await deploy(cluster, { ...s.options, only: ['orchestrator'], report: () => undefined });
    expect(only.ok).toBe(true);
    const tierOf = new Map(
      s.options.plan.flatMap((t) => t.objects.map((o) => [`${o.kind}/${o.metadata.name}`, t.tier])),
    );
    expect(new Set(cluster.applied.map((a) => tierOf.get(a.object)))).toEqual(new Set(['orchestrator']));
  });
});
