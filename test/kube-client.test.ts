import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import * as path from 'path';
import { kubeErrorFromStatus, splitWarnings } from '../src/ops/kube';
import { KubeObject } from '../src/ops/readiness';
import { recordedResponse, StandInKubeApi } from './support/stand-in-kube-api';

// The client runs in one Node process for the file (it loads an ES module of 65 packages: a
// second or more on a busy machine), driven batch by batch.
jest.setTimeout(60_000);

interface CallResult {
  ok?: unknown;
  error?: { kind: string; status?: number; message: string; causes?: { field?: string; message: string }[] };
}

let driver: ChildProcessWithoutNullStreams | undefined;
let driverErr = '';
const answers: { resolve: (results: CallResult[]) => void; reject: (e: Error) => void }[] = [];

function startDriver(): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, [path.join(__dirname, 'support', 'kube-driver.js')]);
  let buffer = '';
  child.stdout.on('data', (c: Buffer) => {
    buffer += c.toString();
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      const next = answers.shift();
      try {
        next?.resolve((JSON.parse(line) as { results: CallResult[] }).results);
      } catch {
        next?.reject(new Error(`driver output: ${line}\n${driverErr}`));
      }
    }
  });
  child.stderr.on('data', (c: Buffer) => (driverErr += c.toString()));
  child.on('close', () =>
    answers.splice(0).forEach((a) => a.reject(new Error(`driver ended: ${driverErr}`))),
  );
  return child;
}

/** Runs `calls` through floe's client (in the driver process), against `kubeconfig`. */
function drive(kubeconfig: string, calls: unknown[], context?: string): Promise<CallResult[]> {
  driver ??= startDriver();
  const d = driver;
  return new Promise((resolve, reject) => {
    answers.push({ resolve, reject });
    d.stdin.write(`${JSON.stringify({ kubeconfig, context, calls })}\n`);
  });
}

afterAll(() => driver?.stdin.end());

const deployment = (replicas: number, name = 'web') => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'demo', labels: { 'app.kubernetes.io/name': 'web' } },
  spec: {
    replicas,
    selector: { matchLabels: { 'app.kubernetes.io/name': 'web' } },
    template: {
      metadata: { labels: { 'app.kubernetes.io/name': 'web' } },
      spec: { containers: [{ name: 'web', image: 'registry.example.com/web:1.0.0' }] },
    },
  },
});
interface Applied {
  object: KubeObject;
  warnings: string[];
}
const replicasOf = (o: KubeObject): unknown => (o.spec as { replicas?: number }).replicas;
const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'demo', name: 'web' };

describe("floe's Kubernetes client against a stand-in API server", () => {
  const api = new StandInKubeApi();
  let url = '';
  let kubeconfig = '';
  beforeAll(async () => {
    url = await api.start();
    kubeconfig = api.kubeconfig(url);
  });
  const expiredConfig = (): string => api.kubeconfig(url, 'expired-token');
  afterAll(async () => api.stop());

  test('server-side apply as field manager floe: create, re-apply, dry run, get, list, delete', async () => {
    const results = await drive(kubeconfig, [
      { op: 'apply', object: deployment(2) },
      { op: 'apply', object: deployment(2) },
      { op: 'apply', object: deployment(5), options: { dryRun: true } },
      { op: 'get', ref },
      {
        op: 'list',
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: 'demo',
        labelSelector: 'app.kubernetes.io/name=web',
      },
      { op: 'delete', ref },
      { op: 'get', ref },
      { op: 'delete', ref },
    ]);
    expect(results.map((r) => r.error?.message)).toEqual(Array(8).fill(undefined));
    const created = results[0].ok as Applied;
    const dry = results[2].ok as Applied;
    const got = results[3].ok as KubeObject;
    const listed = results[4].ok as KubeObject[];
    expect(replicasOf(created.object)).toBe(2);
    expect(created.warnings).toEqual([]);
    expect(replicasOf(dry.object)).toBe(5);
    expect(replicasOf(got)).toBe(2); // the dry run changed nothing
    expect(listed.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Deployment/web']);
    expect(results[6].ok).toBeNull();
    const applies = api.requests.filter((r) => r.method === 'PATCH');
    expect(applies.map((r) => r.url)).toEqual([
      '/apis/apps/v1/namespaces/demo/deployments/web?fieldManager=floe&force=false',
      '/apis/apps/v1/namespaces/demo/deployments/web?fieldManager=floe&force=false',
      '/apis/apps/v1/namespaces/demo/deployments/web?dryRun=All&fieldManager=floe&force=false',
    ]);
    expect(applies.every((r) => r.contentType === 'application/apply-patch+yaml')).toBe(true);
  });

  test('a field another manager owns is a conflict, reported with the field; --force-conflicts takes it', async () => {
    api.store.clear();
    await drive(kubeconfig, [{ op: 'apply', object: deployment(2) }]);
    const stored = api.store.get('apps/v1/deployments/demo/web') as {
      metadata: { managedFields: unknown[] };
    };
    stored.metadata.managedFields.unshift({
      manager: 'kubectl',
      operation: 'Apply',
      fields: ['spec.replicas'],
    });
    const [conflict, forced] = await drive(kubeconfig, [
      { op: 'apply', object: deployment(3) },
      { op: 'apply', object: deployment(3), options: { force: true } },
    ]);
    expect(conflict.error?.kind).toBe('conflict');
    expect(conflict.error?.status).toBe(409);
    expect(conflict.error?.message).toBe(
      'apply Deployment/web: Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas ' +
        '(another field manager owns these fields; use --force-conflicts to take them over)',
    );
    expect(conflict.error?.causes).toEqual([{ field: '.spec.replicas', message: 'conflict with "kubectl"' }]);
    expect(replicasOf((forced.ok as Applied).object)).toBe(3);
  });

  test('the recorded answers: 422, the 500 of an unknown field, a Pod Security warning, 403, terminating', async () => {
    const p = '/apis/apps/v1/namespaces/demo/deployments/';
    api.answerRecorded('PATCH', `${p}bad`, '07-deployment-apply-invalid-422.json');
    api.answerRecorded('PATCH', `${p}web`, '08-deployment-apply-unknown-field.json');
    api.answerRecorded('PATCH', `${p}psa`, '09-deployment-apply-pod-security-warning.json');
    api.answerRecorded('GET', '/apis/apps/v1/namespaces/demo/deployments', '16-forbidden-403.json');
    api.answerRecorded('PATCH', `${p}web2`, '20-apply-into-terminating-namespace.json');
    const results = await drive(kubeconfig, [
      { op: 'apply', object: deployment(-1, 'bad') },
      { op: 'apply', object: deployment(1) },
      { op: 'apply', object: deployment(1, 'psa') },
      { op: 'list', apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'demo' },
      { op: 'apply', object: deployment(1, 'web2') },
    ]);
    expect(results[0].error).toMatchObject({
      kind: 'invalid',
      status: 422,
      message:
        'apply Deployment/bad: rejected as invalid: Deployment.apps "bad" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      causes: [{ field: 'spec.replicas', message: 'Invalid value: -1: must be greater than or equal to 0' }],
    });
    expect(results[1].error).toMatchObject({ kind: 'invalid', status: 500 });
    expect(results[1].error?.message).toContain('imagePullPolcy: field not declared in schema');
    expect((results[2].ok as Applied).warnings).toEqual([
      'would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "web" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "web" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "web" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "web" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    ]);
    expect(results[3].error).toMatchObject({ kind: 'forbidden', status: 403 });
    expect(results[3].error?.message).toBe(
      'list Deployment in demo: forbidden: secrets is forbidden: User "nobody" cannot list resource "secrets" in API group "" in the namespace "demo"',
    );
    expect(results[4].error?.kind).toBe('namespace-terminating');
    expect(results[4].error?.message).toContain(
      'because it is being terminated; wait until the namespace is gone',
    );
  });

  test('pod logs, with tail', async () => {
    api.podLogs.set(
      'demo/web-1/web',
      '2026-12-04T05:00:00.000000001Z one\n2026-12-04T05:00:01.000000000Z two\n2026-12-04T05:00:02.5Z three\n',
    );
    const [all, tail, missing] = await drive(kubeconfig, [
      { op: 'logs', namespace: 'demo', pod: 'web-1', options: { container: 'web' } },
      { op: 'logs', namespace: 'demo', pod: 'web-1', options: { container: 'web', tailLines: 1 } },
      { op: 'logs', namespace: 'demo', pod: 'gone', options: { container: 'web' } },
    ]);
    expect(all.ok).toBe('one\ntwo\nthree\n');
    expect(tail.ok).toBe('three\n');
    expect(missing.error?.kind).toBe('not-found');
  });

  test('WATCH: the recorded stream replayed exactly; a refused watch is one line', async () => {
    api.answerRecorded('GET', '/apis/apps/v1/namespaces/demo/deployments', '13-deployment-watch.json');
    const collection = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'demo' };
    const [recorded] = await drive(kubeconfig, [
      { op: 'watchEvents', collection, options: { resourceVersion: '193', timeoutSeconds: 4 } },
    ]);
    expect(recorded.ok).toEqual(recordedResponse('13-deployment-watch.json').body);
    const watchUrl = api.requests.filter((r) => r.url.includes('watch=')).at(-1)?.url ?? '';
    expect(new URL(watchUrl, url).searchParams.get('resourceVersion')).toBe('193');
    expect(new URL(watchUrl, url).searchParams.get('allowWatchBookmarks')).toBe('true');

    const [denied] = await drive(expiredConfig(), [
      { op: 'watchEvents', collection, options: { resourceVersion: '1', timeoutSeconds: 4 } },
    ]);
    expect(denied.error).toMatchObject({ kind: 'unauthorized', status: 401 });
    expect(denied.error?.message).toMatch(
      /^watch Deployment in demo: the cluster at .* rejected the credentials/,
    );
  });

  test('a watch goes on after the server ends it, after a cut connection, and lists again after 410', async () => {
    api.store.clear();
    await drive(kubeconfig, [{ op: 'apply', object: deployment(2) }]);
    const key = 'apps/v1/deployments/demo/web';
    const froms: string[] = [];
    let n = 0;
    api.onWatch = (_count, query) => {
      n++;
      froms.push(query.get('resourceVersion') ?? '');
      // 1: ends at its timeout (1 s) with a bookmark; 2: cut; 3: its version compacted (410);
      // 4 (after a new LIST): the controller makes the Deployment available.
      if (n === 1) api.cutWatches = 1;
      if (n === 2) {
        // Something else changes, and the history before that change is compacted.
        api.update('apps/v1/deployments/demo/other', (o) => o);
        api.compactedBefore = api.resourceVersion;
      }
      if (n === 4) {
        api.update(key, (o) => ({
          ...o,
          status: {
            observedGeneration: (o.metadata as { generation: number }).generation,
            replicas: 2,
            updatedReplicas: 2,
            readyReplicas: 2,
            availableReplicas: 2,
          },
        }));
      }
    };
    api.store.set('apps/v1/deployments/demo/other', { ...deployment(1, 'other') });
    try {
      const [done] = await drive(kubeconfig, [
        {
          op: 'watchUntilReady',
          collection: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'demo' },
          name: 'web',
          options: { timeoutSeconds: 1, retries: 3, retryWaitScale: 0.1 },
        },
      ]);
      expect(done.error).toBeUndefined();
      expect(done.ok).toMatchObject({ lists: 2, watches: 4 });
      const { notices } = done.ok as { notices: string[] };
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(/^lost the watch of Deployment in demo \(.*\); again in 1s$/);
    } finally {
      api.onWatch = undefined;
      api.compactedBefore = 0;
    }
    // Each watch resumed from the last version it had seen: never from an older one.
    const versions = froms.map(Number);
    versions.slice(1).forEach((v, i) => expect(v).toBeGreaterThanOrEqual(versions[i]));
  });

  test('a watch that the server never ends (a dead connection) is dropped and started again', async () => {
    api.store.clear();
    await drive(kubeconfig, [{ op: 'apply', object: deployment(1) }]);
    api.hangWatches = true;
    let n = 0;
    api.onWatch = () => {
      if (++n === 2) {
        api.hangWatches = false;
        api.update('apps/v1/deployments/demo/web', (o) => ({
          ...o,
          status: {
            observedGeneration: 1,
            replicas: 1,
            updatedReplicas: 1,
            readyReplicas: 1,
            availableReplicas: 1,
          },
        }));
      }
    };
    const watchCount = api.requests.filter((r) => r.url.includes('watch=')).length;
    try {
      const [done] = await drive(kubeconfig, [
        {
          op: 'watchUntilReady',
          collection: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'demo' },
          name: 'web',
          options: { timeoutSeconds: 1, stallSeconds: 1 },
        },
      ]);
      expect(done.error).toBeUndefined();
      expect(done.ok).toMatchObject({
        lists: 1,
        watches: 2,
        notices: ['the watch of Deployment in demo stopped answering; watching again'],
      });
    } finally {
      api.hangWatches = false;
      api.onWatch = undefined;
    }
    expect(api.requests.filter((r) => r.url.includes('watch=')).length - watchCount).toBe(2);
  });

  test('no cluster, a wrong context, expired credentials: one line each', async () => {
    const [refused] = await drive(kubeconfig, [{ op: 'get', ref }], 'nowhere');
    expect(refused.error?.kind).toBe('unreachable');
    expect(refused.error?.message).toMatch(
      /^get Deployment\/web: no cluster reachable at http:\/\/127\.0\.0\.1:9 \(context 'nowhere'\): ECONNREFUSED$/,
    );
    const [wrong] = await drive(kubeconfig, [], 'prod');
    expect(wrong.error).toEqual({
      kind: 'config',
      message: "no context 'prod' in the kubeconfig (it has: stand-in, nowhere)",
    });
    const expired = api.kubeconfig(url, 'expired-token');
    const [denied] = await drive(expired, [{ op: 'get', ref }]);
    expect(denied.error?.kind).toBe('unauthorized');
    expect(denied.error?.message).toBe(
      `get Deployment/web: the cluster at ${url} rejected the credentials of context 'stand-in' (expired or wrong): log in again or choose another context`,
    );
  });
});

describe('error and warning parsing (pure)', () => {
  test('the recorded 409 becomes a conflict naming the field and the manager', () => {
    const r = recordedResponse('05-deployment-apply-conflict-409.json');
    const e = kubeErrorFromStatus(r.status, r.body, {
      what: 'apply Deployment/web',
      server: 's',
      context: 'c',
    });
    expect(e.kind).toBe('conflict');
    expect(e.causes).toEqual([{ field: '.spec.replicas', message: 'conflict with "floe"' }]);
  });

  test('Warning headers are split and unquoted', () => {
    expect(splitWarnings('299 - "a \\"b\\"", 299 - "c"')).toEqual(['a "b"', 'c']);
  });
});
