import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FLOE_BIN, floeInProcess, ROOT, runFloeAsync, runFloeAsyncIn } from './support/cli';
import { StandInKubeApi } from './support/stand-in-kube-api';

// The real binary in its own Node process (the Kubernetes client is an ES module, which jest's
// module system cannot load), against the stand-in API server in this one: spawned without
// blocking, so the server can answer.
jest.setTimeout(120_000);

const floe = runFloeAsync;

const MANIFEST = 'examples/platform/platform-manifest.yaml';

describe('floe platform deploy | status against a stand-in API server', () => {
  const api = new StandInKubeApi();
  let kubeconfig = '';
  beforeAll(async () => {
    kubeconfig = api.kubeconfig(await api.start());
  });
  afterAll(async () => api.stop());
  /** `floe platform upgrade` of the example to its own version, with `extra` options. */
  const upgrade = (...extra: string[]): ReturnType<typeof floe> =>
    floe(
      'platform',
      'upgrade',
      '--manifest',
      MANIFEST,
      '--version',
      '1.0.0',
      '--kubeconfig',
      kubeconfig,
      ...extra,
    );
  /** The requests since the `n`-th that changed something: applies (not dry runs) and deletes. */
  const writesSince = (n: number): { method: string; url: string }[] =>
    api.requests
      .slice(n)
      .filter((q) => (q.method === 'PATCH' && !q.url.includes('dryRun=All')) || q.method === 'DELETE');

  test('missing prerequisites: listed with the commands that create them, nothing applied, exit 1', async () => {
    const r = await floe('platform', 'deploy', '--manifest', MANIFEST, '--kubeconfig', kubeconfig);
    expect(r.status).toBe(1);
    expect(r.stdout[0]).toBe('✗ missing prerequisites (nothing was applied):');
    expect(r.stdout).toContain('  - Secret floe-platform/polaris-bootstrap-credentials');
    expect(r.stdout.some((l) => l.startsWith('  kubectl -n floe-platform create secret generic'))).toBe(true);
    expect(api.requests.filter((q) => q.method === 'PATCH')).toEqual([]);
    // The stand-in gets what was missing, as the printed commands would create it.
    for (const line of r.stdout.filter((l) => l.startsWith('  - '))) {
      const [, kind, ref] = /^ {2}- (\S+) (\S+)$/.exec(line) ?? [];
      const [ns, name] = ref.includes('/') ? ref.split('/') : ['', ref];
      const gv = kind === 'CustomResourceDefinition' ? 'apiextensions.k8s.io/v1' : 'v1';
      const plural = {
        Secret: 'secrets',
        ConfigMap: 'configmaps',
        CustomResourceDefinition: 'customresourcedefinitions',
      }[kind];
      api.store.set(`${gv}/${plural}/${ns}/${name}`, {
        apiVersion: gv,
        kind,
        metadata: { name, ...(ns ? { namespace: ns } : {}) },
      });
    }
  });

  test('--dry-run: every object validated server-side, nothing stored, exit 0', async () => {
    const before = api.store.size;
    const r = await floe(
      'platform',
      'deploy',
      '--manifest',
      MANIFEST,
      '--kubeconfig',
      kubeconfig,
      '--dry-run',
    );
    expect(r.status).toBe(0);
    expect(r.stdout[0]).toBe('Checking platform services for namespace: floe-platform (dry run)');
    expect(r.stdout).toContain('  ✓ catalog: 10 objects accepted by the API server');
    expect(r.stdout.at(-1)).toMatch(/^Dry run: \d+ objects accepted, nothing changed\.$/);
    expect(api.store.size).toBe(before);
    const applies = api.requests.filter((q) => q.method === 'PATCH');
    expect(applies.length).toBeGreaterThan(50);
    expect(applies.every((q) => q.url.includes('dryRun=All') && q.url.includes('fieldManager=floe'))).toBe(
      true,
    );
  });

  test('deploy: tier by tier, each workload reported ready; then status is healthy', async () => {
    api.simulateControllers = true;
    const r = await floe('platform', 'deploy', '--manifest', MANIFEST, '--kubeconfig', kubeconfig);
    expect(r.stderr).toEqual([]);
    expect(r.status).toBe(0);
    expect(r.stdout.slice(0, 2)).toEqual([
      'Deploying platform services to namespace: floe-platform',
      '  ✓ Namespace created',
    ]);
    expect(r.stdout.filter((l) => / objects applied$/.test(l)).map((l) => l.trim().split(':')[0])).toEqual([
      'namespace',
      'storage',
      'catalog',
      'observability',
      'orchestrator',
      'semantic',
      'exposure',
    ]);
    // The docs' lines (docs/architecture/platform-services.md, "Deploy All Services").
    expect(r.stdout).toContain('  ✓ PostgreSQL (catalog-db): StatefulSet 1/1 ready');
    expect(r.stdout).toContain('  ✓ MinIO: StatefulSet 4/4 ready');
    expect(r.stdout).toContain('  ✓ Polaris: Deployment 1/1 ready');
    expect(r.stdout).toContain('  ✓ Dagster webserver: Deployment 1/1 ready');
    expect(r.stdout).toContain('  ✓ Dagster daemon: Deployment 1/1 ready');
    expect(r.stdout).toContain('  ✓ Polaris bootstrap: Job complete');
    expect(r.stdout.at(-1)).toMatch(
      /^Platform services deployed successfully! \(\d+ objects applied, every workload ready\)$/,
    );

    const status = await floe('platform', 'status', '--manifest', MANIFEST, '--kubeconfig', kubeconfig);
    expect(status.status).toBe(0);
    // The docs' layout ("Check Status"): platform and version, namespace, services per slot.
    expect(status.stdout[0]).toMatch(/^Platform: floe v\d/);
    expect(status.stdout.slice(1, 3)).toEqual(['Namespace: floe-platform', 'Services:']); // (blank lines dropped)
    const catalog = status.stdout.indexOf('  catalog:');
    expect(status.stdout.slice(catalog, catalog + 4)).toEqual([
      '  catalog:',
      '    polaris: 1/1 ready (healthy)',
      '    polaris-bootstrap: complete',
      '    polaris-catalog-setup: complete',
    ]);
    expect(status.stdout).toContain('    dagster-webserver: 1/1 ready (healthy)');
    expect(status.stdout.at(-1)).toBe('Healthy.');
    const json = await floe(
      'platform',
      'status',
      '--namespace',
      'floe-platform',
      '--output',
      'json',
      '--kubeconfig',
      kubeconfig,
    );
    expect(json.status).toBe(0);
    const parsed = JSON.parse(json.stdout.join('\n')) as { healthy: boolean; workloads: { name: string }[] };
    expect(parsed.healthy).toBe(true);
    expect(parsed.workloads.map((w) => w.name)).toContain('dagster-webserver');
  });

  test('deploy waits by watching: a roll-out the controllers finish after the apply arrives as an event', async () => {
    // Re-applied, every workload's generation moves past its status: not ready until rolled out.
    api.simulateControllers = false;
    // The controllers, played: a workload's status is written a moment after its apply.
    api.onApply = (stored, key) => {
      if (['Deployment', 'StatefulSet', 'Job'].includes(String(stored.kind))) {
        setTimeout(() => api.rollOut(key), 20);
      }
    };
    const first = api.requests.length;
    try {
      const r = await floe('platform', 'deploy', '--manifest', MANIFEST, '--kubeconfig', kubeconfig);
      expect(r.stderr).toEqual([]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('  ✓ PostgreSQL (catalog-db): StatefulSet 1/1 ready');
      // Not a terminal: plain lines, no status line drawn with escape codes.
      expect(r.stdout.some((l) => l.includes('\u001b') || l.includes('\r'))).toBe(false);
    } finally {
      api.onApply = undefined;
      api.simulateControllers = true;
    }
    const calls = api.requests.slice(first).filter((q) => q.method === 'GET');
    const watches = calls.filter((q) => /[?&]watch=true/.test(q.url));
    expect(watches.length).toBeGreaterThan(0);
    expect(
      watches.every((q) => q.url.includes('resourceVersion=') && q.url.includes('timeoutSeconds=')),
    ).toBe(true);
    // No polling: each workload is read once at most (the --component check and status read them).
    const reads = calls.filter((q) => /\/(deployments|statefulsets|jobs)\/[^/?]+$/.test(q.url.split('?')[0]));
    expect(reads).toEqual([]);
  });

  test('on a terminal: a live status line (spinner, time, what it waits for) under the same lines', async () => {
    // What is deployed has rolled out (the tiers before the catalog are ready); what the catalog
    // deploy applies rolls out a moment later.
    for (const [key, o] of api.store) {
      if (['Deployment', 'StatefulSet', 'Job'].includes(String(o.kind))) api.rollOut(key);
    }
    api.simulateControllers = false;
    api.onApply = (stored, key) => {
      if (['Deployment', 'StatefulSet', 'Job'].includes(String(stored.kind))) {
        setTimeout(() => api.rollOut(key), 300);
      }
    };
    let raw = '';
    let status: number | null = null;
    try {
      // util-linux script(1) gives the binary a pseudo-terminal as its standard output.
      const command = [process.execPath, FLOE_BIN, 'platform', 'deploy', '--manifest', MANIFEST];
      command.push('--kubeconfig', kubeconfig, '--component', 'catalog');
      await new Promise<void>((resolve, reject) => {
        const child = spawn('script', ['-qec', `stty cols 100; ${command.join(' ')}`, '/dev/null'], {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        child.stdout.on('data', (c: Buffer) => (raw += c.toString()));
        child.on('error', reject);
        child.on('close', (code) => {
          status = code;
          resolve();
        });
      });
    } finally {
      api.onApply = undefined;
      api.simulateControllers = true;
    }
    expect(status).toBe(0);
    const CLEAR = '\r\u001b[2K';
    expect(raw.split(CLEAR).join('<erase>')).toMatch(/<erase>[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] \d+s catalog: waiting for Polaris/);
    // What stays on the screen: each line's text after its last erase, status lines dropped.
    const screen = raw
      .split('\n')
      .map((l) => l.replace(/\r$/, ''))
      .map((l) => (l.includes(CLEAR) ? l.slice(l.lastIndexOf(CLEAR) + CLEAR.length) : l))
      .filter((l) => l !== '');
    expect(screen).toEqual([
      'Deploying platform services to namespace: floe-platform',
      '  catalog: 10 objects applied',
      expect.stringMatching(/^ {2}✓ Polaris/),
      expect.stringMatching(/^ {2}✓ Polaris/),
      expect.stringMatching(/^ {2}✓ Polaris/),
      'Platform services deployed successfully! (10 objects applied, every workload ready)',
    ]);
  });

  test('a redeploy deletes what floe applied earlier and the platform no longer has, nothing else', async () => {
    const floeOwned = { manager: 'floe', operation: 'Apply', fields: [] };
    const cm = (name: string, managedFields: unknown[]): Record<string, unknown> => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace: 'floe-platform',
        labels: { 'app.kubernetes.io/part-of': 'floe' },
        managedFields,
      },
      data: {},
    });
    api.store.set('v1/configmaps/floe-platform/retired-config', cm('retired-config', [floeOwned]));
    api.store.set(
      'v1/configmaps/floe-platform/hand-made',
      cm('hand-made', [{ manager: 'kubectl', operation: 'Update' }]),
    );
    const kept = await floe(
      'platform',
      'deploy',
      '--manifest',
      MANIFEST,
      '--kubeconfig',
      kubeconfig,
      '--prune=false',
    );
    expect(kept.status).toBe(0);
    expect(api.store.has('v1/configmaps/floe-platform/retired-config')).toBe(true);
    const dry = await floe(
      'platform',
      'deploy',
      '--manifest',
      MANIFEST,
      '--kubeconfig',
      kubeconfig,
      '--dry-run',
    );
    expect(dry.stdout).toContain(
      '- would delete ConfigMap/retired-config in floe-platform (no longer in the platform)',
    );
    expect(api.store.has('v1/configmaps/floe-platform/retired-config')).toBe(true);
    const pruned = await floe('platform', 'deploy', '--manifest', MANIFEST, '--kubeconfig', kubeconfig);
    expect(pruned.status).toBe(0);
    expect(pruned.stdout).toContain(
      '- deleted ConfigMap/retired-config in floe-platform (no longer in the platform)',
    );
    expect(api.store.has('v1/configmaps/floe-platform/retired-config')).toBe(false);
    expect(api.store.has('v1/configmaps/floe-platform/hand-made')).toBe(true);
    expect(pruned.stdout.filter((l) => l.startsWith('- deleted'))).toHaveLength(1);
  });

  test('diff: nothing after a deploy; a drifted ConfigMap is an update; an immutable change is refused', async () => {
    const same = await floe('platform', 'diff', '--manifest', MANIFEST, '--kubeconfig', kubeconfig);
    expect(same.stderr).toEqual([]);
    expect(same.status).toBe(0);
    expect(same.stdout.at(-1)).toMatch(/^0 to create, 0 to update, \d+ unchanged$/);
    const config = api.store.get('v1/configmaps/floe-platform/polaris-config') as {
      data: Record<string, string>;
    };
    config.data = { 'application.properties': 'edited by hand\n' };
    const sts = api.store.get('apps/v1/statefulsets/floe-platform/catalog-db') as {
      spec: { volumeClaimTemplates: { spec: { resources: { requests: { storage: string } } } }[] };
    };
    sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage = '1Ti';
    const drift = await floe('platform', 'diff', '--manifest', MANIFEST, '--kubeconfig', kubeconfig);
    expect(drift.status).toBe(1);
    expect(drift.stdout).toContain('~ ConfigMap/floe-platform/polaris-config');
    expect(drift.stdout).toContain('    data.application.properties');
    expect(drift.stdout).toContain('! StatefulSet/floe-platform/catalog-db: Kubernetes refuses this change');
    expect(drift.stdout.find((l) => l.startsWith('    spec.volumeClaimTemplates is immutable'))).toContain(
      '--cascade=orphan',
    );
    expect(drift.stdout.at(-1)).toMatch(
      /^0 to create, 1 to update, \d+ unchanged, 1 refused \(immutable fields\)$/,
    );
  });

  test("upgrade: the version must be the manifest's; a refused change stops it unless --recreate", async () => {
    const wrong = await floe(
      'platform',
      'upgrade',
      '--manifest',
      MANIFEST,
      '--version',
      '9.9.9',
      '--kubeconfig',
      kubeconfig,
    );
    expect(wrong.status).toBe(1);
    expect(wrong.stderr[0]).toContain(
      "--version 9.9.9 but examples/platform/platform-manifest.yaml has metadata.version '1.0.0'",
    );
    // The diff test left catalog-db's volume claim template different from the manifest's.
    const before = api.requests.length;
    const refused = await upgrade();
    expect(refused.status).toBe(1);
    expect(refused.stdout[0]).toBe('Upgrading platform floe to 1.0.0');
    expect(refused.stdout).toContain(
      '! StatefulSet/floe-platform/catalog-db: Kubernetes refuses this change',
    );
    expect(refused.stderr[0]).toContain('nothing was applied. Rerun with --recreate');
    expect(writesSince(before)).toEqual([]);
    // A StatefulSet floe did not apply is not deleted, even with --recreate.
    const live = api.store.get('apps/v1/statefulsets/floe-platform/catalog-db') as {
      metadata: { managedFields: unknown[] };
    };
    const owners = live.metadata.managedFields;
    live.metadata.managedFields = [{ manager: 'kubectl', operation: 'Update', fields: [] }];
    const sent = api.requests.length;
    const foreign = await upgrade('--recreate');
    expect(foreign.status).toBe(1);
    expect(foreign.stderr[0]).toContain(
      'StatefulSet/floe-platform/catalog-db was not applied by floe; floe does not delete it',
    );
    expect(api.requests.slice(sent).filter((q) => q.method === 'DELETE')).toEqual([]);
    live.metadata.managedFields = owners;
    const recreated = await upgrade('--recreate');
    expect(recreated.stderr).toEqual([]);
    expect(recreated.status).toBe(0);
    expect(recreated.stdout).toContain(
      '- deleted StatefulSet/catalog-db (its pods and claims stay) to recreate it',
    );
    const deletion = api.requests.find(
      (q) => q.method === 'DELETE' && q.url.includes('/statefulsets/catalog-db'),
    );
    expect(deletion?.url).toContain('propagationPolicy=Orphan');
    const sts = api.store.get('apps/v1/statefulsets/floe-platform/catalog-db') as {
      spec: { volumeClaimTemplates: { spec: { resources: { requests: { storage: string } } } }[] };
    };
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).not.toBe('1Ti');
    expect(recreated.stdout.at(-1)).toMatch(/^Platform services deployed successfully! /);
  });

  test('upgrade holds roll-outs to the PodDisruptionBudgets as they stand now, unless --disregard-budgets', async () => {
    // MinIO runs a changed image, and one of its 4 pods is down: its budget allows 0 more.
    const key = 'apps/v1/statefulsets/floe-platform/minio';
    const minio = api.store.get(key) as { spec: { template: { spec: { containers: { image: string }[] } } } };
    minio.spec.template.spec.containers[0].image = 'quay.io/minio/minio:RELEASE.2020-01-01T00-00-00Z';
    const pdbKey = 'policy/v1/poddisruptionbudgets/floe-platform/minio';
    api.update(pdbKey, (o) => ({
      ...o,
      status: { disruptionsAllowed: 0, currentHealthy: 3, desiredHealthy: 3 },
    }));
    const before = api.requests.length;
    const held = await upgrade();
    expect(held.status).toBe(1);
    expect(held.stderr).toEqual([
      'floe platform upgrade: StatefulSet/minio: its roll-out takes 1 pod down at once but PodDisruptionBudget minio ' +
        'allows 0 now (3 of 4 pods healthy); wait until its pods are healthy, add replicas, lower maxUnavailable, ' +
        'or upgrade with --disregard-budgets',
      'floe platform upgrade: nothing was applied',
    ]);
    expect(writesSince(before)).toEqual([]);
    const forced = await upgrade('--disregard-budgets');
    expect(forced.stderr).toEqual([]);
    expect(forced.status).toBe(0);
    expect((api.store.get(key) as typeof minio).spec.template.spec.containers[0].image).not.toContain('2020');
  });

  test('logs of a slot or a workload: every pod and container, prefixed, merged in time order', async () => {
    const pod = (name: string, labels: Record<string, string>, containers: string[]): void => {
      api.store.set(`v1/pods/floe-platform/${name}`, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'floe-platform', labels },
        spec: { containers: containers.map((c) => ({ name: c })) },
      });
    };
    const polaris = {
      'app.kubernetes.io/name': 'polaris',
      'app.kubernetes.io/instance': 'polaris',
      'app.kubernetes.io/component': 'server',
    };
    pod('polaris-a', polaris, ['polaris']);
    pod('polaris-b', polaris, ['polaris']);
    api.podLogs.set(
      'floe-platform/polaris-a/polaris',
      '2026-12-04T05:00:01.000000000Z a1\n2026-12-04T05:00:03.000000000Z a2\n',
    );
    api.podLogs.set(
      'floe-platform/polaris-b/polaris',
      '2026-12-04T05:00:02.000000000Z b1\n2026-12-04T05:00:04.000000000Z b2\n',
    );
    const merged = await floe(
      'platform',
      'logs',
      'polaris',
      '--namespace',
      'floe-platform',
      '--kubeconfig',
      kubeconfig,
    );
    expect(merged.stderr).toEqual([]);
    expect(merged.status).toBe(0);
    expect(merged.stdout).toEqual([
      '[polaris-a/polaris] a1',
      '[polaris-b/polaris] b1',
      '[polaris-a/polaris] a2',
      '[polaris-b/polaris] b2',
    ]);
    const slot = await floe(
      'platform',
      'logs',
      'catalog',
      '--manifest',
      MANIFEST,
      '--tail',
      '1',
      '--kubeconfig',
      kubeconfig,
    );
    expect(slot.stdout).toEqual(['[polaris-a/polaris] a2', '[polaris-b/polaris] b2']);
    expect(api.requests.filter((q) => q.url.includes('/log?')).at(-1)?.url).toContain('tailLines=1');
    const followed = await floe(
      'platform',
      'logs',
      'polaris',
      '--namespace',
      'floe-platform',
      '--follow',
      '--kubeconfig',
      kubeconfig,
    );
    expect([...followed.stdout].sort()).toEqual([
      '[polaris-a/polaris] a1',
      '[polaris-a/polaris] a2',
      '[polaris-b/polaris] b1',
      '[polaris-b/polaris] b2',
    ]);
    const unknown = await floe(
      'platform',
      'logs',
      'kitchen',
      '--namespace',
      'floe-platform',
      '--kubeconfig',
      kubeconfig,
    );
    expect(unknown.status).toBe(1);
    expect(unknown.stderr[0]).toMatch(
      /^floe platform logs: no slot or workload 'kitchen' in namespace floe-platform \(slots: storage, catalog, observability, orchestrator, semantic; workloads: .*polaris.*\)$/,
    );
  });

  test('as the docs run it: bare `floe platform deploy` and `status` read ./platform-manifest.yaml', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-platform-dir-'));
    fs.copyFileSync(path.join(ROOT, MANIFEST), path.join(dir, 'platform-manifest.yaml'));
    const dry = await runFloeAsyncIn(dir, 'platform', 'deploy', '--dry-run', '--kubeconfig', kubeconfig);
    expect(dry.stderr).toEqual([]);
    expect(dry.status).toBe(0);
    expect(dry.stdout[0]).toBe('Checking platform services for namespace: floe-platform (dry run)');
    const status = await runFloeAsyncIn(dir, 'platform', 'status', '--kubeconfig', kubeconfig);
    expect(status.stdout[0]).toMatch(/^Platform: floe v\d/);
  });

  test('a cluster that is not there, and a context that does not exist: one line, exit 1', async () => {
    const refused = await floe(
      'platform',
      'status',
      '--namespace',
      'x',
      '--kubeconfig',
      kubeconfig,
      '--context',
      'nowhere',
    );
    expect(refused.status).toBe(1);
    expect(refused.stderr).toEqual([
      "floe platform status: list Deployment in x: no cluster reachable at http://127.0.0.1:9 (context 'nowhere'): ECONNREFUSED",
    ]);
    // The same failure with --debug: the line, then the stack trace.
    const debug = await floe(
      'platform',
      'status',
      '--namespace',
      'x',
      '--kubeconfig',
      kubeconfig,
      '--context',
      'nowhere',
      '--debug',
    );
    expect(debug.stderr[0]).toBe(refused.stderr[0]);
    expect(debug.stderr.slice(1).some((l) => /^\s+at /.test(l))).toBe(true);
    const wrong = await floe(
      'platform',
      'status',
      '--namespace',
      'x',
      '--kubeconfig',
      kubeconfig,
      '--context',
      'prod',
    );
    expect(wrong.stderr).toEqual([
      "floe platform status: no context 'prod' in the kubeconfig (it has: stand-in, nowhere)",
    ]);
  });
});

describe('floe platform usage', () => {
  test.each([
    [['platform'], 'no command given (deploy or status)'],
    [['platform', 'explode'], "unknown command 'explode' (expected deploy, diff, upgrade, status or logs)"],
    [['platform', 'upgrade', '--manifest', MANIFEST], '--version V is required'],
    [
      ['platform', 'deploy', '--manifest', MANIFEST, '--version', '1'],
      '--version is an option of upgrade, not deploy',
    ],
    [['platform', 'diff'], '--manifest FILE is required (there is no platform-manifest.yaml here)'],
    [
      ['platform', 'deploy', '--manifest', MANIFEST, '--prune=maybe'],
      "--prune: got 'maybe', expected --prune=true or --prune=false",
    ],
    [['platform', 'logs', '--namespace', 'x'], 'no COMPONENT given (a slot or a workload)'],
    [
      ['platform', 'logs', 'polaris', '--namespace', 'x', '--tail', 'ten'],
      "--tail: got 'ten', expected a number of lines",
    ],
    [['platform', 'status', '--namespace', 'x', '--follow'], '--follow is an option of logs, not status'],
    [['platform', 'deploy'], '--manifest FILE is required (there is no platform-manifest.yaml here)'],
    [
      ['platform', 'status'],
      'give --manifest FILE or --namespace N (there is no platform-manifest.yaml here)',
    ],
    [
      ['platform', 'status', '--manifest', MANIFEST, '--namespace', 'x'],
      'give either --manifest FILE or --namespace N, not both',
    ],
    [
      ['platform', 'deploy', '--manifest', MANIFEST, '--component', 'kitchen'],
      "--component: got 'kitchen', expected one of storage, catalog, observability, orchestrator, semantic",
    ],
    [
      ['platform', 'deploy', '--manifest', MANIFEST, '--timeout', 'soon'],
      "--timeout: got 'soon', expected a duration such as 300s, 10m or 1h",
    ],
    [
      ['platform', 'status', '--namespace', 'x', '--dry-run'],
      '--dry-run is an option of deploy and upgrade, not status',
    ],
  ])('floe %j: exit 2 with the reason', async (args, message) => {
    const r = await floeInProcess(ROOT, ...args);
    expect(r.status).toBe(2);
    expect(r.stderr[0]).toBe(`floe platform: ${message}`);
  });

  test('--help shows both commands', async () => {
    const r = await floeInProcess(ROOT, 'platform', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout[0]).toBe('Usage: floe platform <command> [options]');
  });
});
