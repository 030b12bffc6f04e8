/**
 * An in-process stand-in for the Kubernetes API server, for the calls floe's operating commands
 * make: discovery, server-side apply (with field managers, conflicts, dry run), GET, LIST (label
 * and field selector, paging), WATCH (from a resourceVersion, bookmarks, the server's timeout,
 * 410 for a compacted version, cut or hung connections on request), DELETE and pod logs. Error answers have the shapes a kube-apiserver v1.28
 * sends (see test/fixtures/k8s-api-responses, recorded from one); a test can also make it answer
 * one request exactly as recorded (`answerRecorded`). Every request needs the bearer token.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { AddressInfo } from 'net';

export const STAND_IN_TOKEN = 'stand-in-token';

type Json = Record<string, unknown>;

/** A kind the stand-in serves: its group/version, plural and whether it is namespaced. */
interface Resource {
  readonly groupVersion: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

const RESOURCES: readonly Resource[] = [
  { groupVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  { groupVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
  { groupVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  { groupVersion: 'v1', kind: 'Service', plural: 'services', namespaced: true },
  { groupVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true },
  { groupVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
  { groupVersion: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', namespaced: true },
  { groupVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
  { groupVersion: 'apps/v1', kind: 'StatefulSet', plural: 'statefulsets', namespaced: true },
  { groupVersion: 'apps/v1', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true },
  { groupVersion: 'batch/v1', kind: 'Job', plural: 'jobs', namespaced: true },
  { groupVersion: 'batch/v1', kind: 'CronJob', plural: 'cronjobs', namespaced: true },
  {
    groupVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    plural: 'networkpolicies',
    namespaced: true,
  },
  { groupVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', plural: 'roles', namespaced: true },
  {
    groupVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    plural: 'rolebindings',
    namespaced: true,
  },
  {
    groupVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    plural: 'poddisruptionbudgets',
    namespaced: true,
  },
  {
    groupVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
    namespaced: true,
  },
  { groupVersion: 'networking.k8s.io/v1', kind: 'Ingress', plural: 'ingresses', namespaced: true },
  {
    groupVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    plural: 'servicemonitors',
    namespaced: true,
  },
  {
    groupVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    plural: 'prometheusrules',
    namespaced: true,
  },
  {
    groupVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    plural: 'customresourcedefinitions',
    namespaced: false,
  },
];

/** A recorded response (test/fixtures/k8s-api-responses/*.json). */
interface Recorded {
  readonly status: number;
  readonly contentType?: string;
  readonly warnings?: string[];
  readonly body: unknown;
}

export function recordedResponse(file: string): Recorded {
  return JSON.parse(
    fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'k8s-api-responses', file), 'utf8'),
  ) as Recorded;
}

function status(code: number, reason: string, message: string, details?: Json): Json {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

export class StandInKubeApi {
  /** Stored objects by `groupVersion/plural/namespace/name`. */
  public readonly store = new Map<string, Json>();
  /** Pod logs by `namespace/pod/container`. */
  public readonly podLogs = new Map<string, string>();
  /** Every request: method, path with query, content type. */
  public readonly requests: { method: string; url: string; contentType?: string }[] = [];
  private readonly recorded = new Map<string, Recorded>();
  /**
   * Plays the controllers: a workload read back has the status of a finished roll-out (a Job:
   * Complete). Off, workloads keep no status, as with an API server alone.
   */
  public simulateControllers = false;
  /** Called with each object an apply stores (a test plays a controller that creates pods). */
  public onApply?: (stored: Json, key: string) => void;
  /** Watches from a resourceVersion below this get ERROR 410 Expired (history compacted). */
  public compactedBefore = 0;
  /** The next this-many watches are cut (connection destroyed) right after their backlog. */
  public cutWatches = 0;
  /** Watches ignore their timeoutSeconds and never end (a dead connection). */
  public hangWatches = false;
  /** Called with each watch request's number (1, 2, ...) and query, once it is set up. */
  public onWatch?: (n: number, query: URLSearchParams) => void;
  private watchCount = 0;
  private readonly history: { version: number; type: string; key: string; object: Json }[] = [];
  private readonly watchers = new Set<{
    matches: (key: string, o: Json) => boolean;
    send: (e: Json) => void;
  }>();
  private readonly open = new Set<http.ServerResponse>();
  private server?: http.Server;
  private version = 100;

  /** The current resourceVersion. */
  public get resourceVersion(): number {
    return this.version;
  }

  /**
   * Changes a stored object as a controller would (e.g. its status): a new resourceVersion and a
   * MODIFIED event to the open watches.
   */
  public update(key: string, change: (o: Json) => Json): void {
    const o = this.store.get(key);
    if (!o) throw new Error(`stand-in: no object ${key}`);
    const next = change(o);
    const stored = {
      ...next,
      metadata: { ...(next.metadata as Json), resourceVersion: String(++this.version) },
    };
    this.store.set(key, stored);
    this.record('MODIFIED', key, stored);
  }

  /** Plays a controller finishing the roll-out of `key` (a Job: completing), as a watch sees it. */
  public rollOut(key: string): void {
    this.update(key, (o) => ({ ...o, status: finishedStatus(o) }));
  }

  private record(type: string, key: string, object: Json): void {
    const event = { version: this.version, type, key, object };
    this.history.push(event);
    for (const w of this.watchers) {
      if (w.matches(key, object)) w.send({ type, object: this.view(object) });
    }
  }

  /** An object as a read returns it (with the controllers' status when they are played). */
  private view(o: Json): Json {
    return this.simulateControllers ? { ...o, status: finishedStatus(o) } : o;
  }

  /** Answers the next `method path` (path without query) exactly as `file` recorded it. */
  public answerRecorded(method: string, pathname: string, file: string): void {
    this.recorded.set(`${method} ${pathname}`, recordedResponse(file));
  }

  /** Starts listening on 127.0.0.1; returns the server URL. */
  public async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => this.handle(req, body, res));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public async stop(): Promise<void> {
    this.open.forEach((r) => r.destroy());
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** A kubeconfig for this server with context `stand-in` (and `other`, pointing nowhere). */
  public kubeconfig(url: string, token = STAND_IN_TOKEN): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'stand-in-kubeconfig-')), 'config');
    fs.writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          // Plain HTTP on loopback: the client takes it only with TLS verification off.
          { name: 'stand-in', cluster: { server: url, 'insecure-skip-tls-verify': true } },
          // A port nothing listens on: connection refused.
          { name: 'nowhere', cluster: { server: 'http://127.0.0.1:9', 'insecure-skip-tls-verify': true } },
        ],
        users: [{ name: 'stand-in', user: { token } }],
        contexts: [
          {
            name: 'stand-in',
            context: { cluster: 'stand-in', user: 'stand-in', namespace: 'floe-platform' },
          },
          { name: 'nowhere', context: { cluster: 'nowhere', user: 'stand-in' } },
        ],
        'current-context': 'stand-in',
      }),
    );
    return file;
  }

  private send(
    res: http.ServerResponse,
    code: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(code, {
      'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json',
      ...headers,
    });
    res.end(text);
  }

  private handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    this.requests.push({
      method: req.method ?? 'GET',
      url: `${url.pathname}${url.search}`,
      ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
    });
    if (req.headers.authorization !== `Bearer ${STAND_IN_TOKEN}`) {
      this.send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    const recorded = this.recorded.get(`${req.method} ${url.pathname}`);
    if (recorded && isWatch(url) && Array.isArray(recorded.body)) {
      // A recorded watch: its events, one JSON document per line, as the server streams them.
      this.recorded.delete(`${req.method} ${url.pathname}`);
      res.writeHead(recorded.status, { 'Content-Type': recorded.contentType ?? 'application/json' });
      res.end((recorded.body as unknown[]).map((e) => `${JSON.stringify(e)}\n`).join(''));
      return;
    }
    if (recorded) {
      this.recorded.delete(`${req.method} ${url.pathname}`);
      this.send(
        res,
        recorded.status,
        recorded.body,
        recorded.warnings ? { Warning: recorded.warnings.join(', ') } : {},
      );
      return;
    }
    // Discovery.
    const discovery = /^\/(?:api\/(v1)|apis\/([^/]+\/[^/]+))$/.exec(url.pathname);
    if (req.method === 'GET' && discovery) {
      const gv = discovery[1] ?? discovery[2];
      const resources = RESOURCES.filter((r) => r.groupVersion === gv);
      if (resources.length === 0) {
        this.send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
        return;
      }
      this.send(res, 200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: gv,
        resources: resources.map((r) => ({
          name: r.plural,
          singularName: r.kind.toLowerCase(),
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
        })),
      });
      return;
    }
    const m =
      /^\/(?:api\/(v1)|apis\/([^/]+\/[^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?(?:\/(log))?$/.exec(
        url.pathname,
      );
    if (!m) {
      this.send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
      return;
    }
    const gv = m[1] ?? m[2];
    const namespace = m[3];
    const resource = RESOURCES.find((r) => r.groupVersion === gv && r.plural === m[4]);
    const name = m[5];
    if (!resource) {
      this.send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
      return;
    }
    const key = `${gv}/${resource.plural}/${namespace ?? ''}/${name ?? ''}`;
    const group = gv.includes('/') ? gv.split('/')[0] : '';
    const notFound = (): void =>
      this.send(
        res,
        404,
        status(404, 'NotFound', `${resource.plural}${group ? `.${group}` : ''} "${name}" not found`, {
          name,
          ...(group ? { group } : {}),
          kind: resource.plural,
        }),
      );
    if (m[6] === 'log') {
      const log = this.podLogs.get(`${namespace}/${name}/${url.searchParams.get('container') ?? ''}`);
      if (log === undefined) {
        this.send(res, 404, status(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' }));
        return;
      }
      const tail = url.searchParams.get('tailLines');
      // Stored with the kubelet's timestamps; sent with them only when asked (`timestamps=true`).
      const stamped = url.searchParams.get('timestamps') === 'true';
      const lines = log
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => (stamped ? l : l.replace(/^\S+Z /, '')));
      this.send(res, 200, `${(tail ? lines.slice(-Number(tail)) : lines).join('\n')}\n`);
      return;
    }
    if (req.method === 'GET' && name) {
      const o = this.store.get(key);
      if (o) this.send(res, 200, this.simulateControllers ? { ...o, status: finishedStatus(o) } : o);
      else notFound();
      return;
    }
    if (req.method === 'GET') {
      const matches = selectorMatcher(`${gv}/${resource.plural}/${namespace ?? ''}`, url.searchParams);
      if (isWatch(url)) {
        this.watch(res, url, matches, resource);
        return;
      }
      const items = [...this.store.entries()].filter(([k, o]) => matches(k, o)).map(([, o]) => o);
      const limit = Number(url.searchParams.get('limit') ?? 0);
      const start = Number(url.searchParams.get('continue') ?? 0);
      const page = limit > 0 ? items.slice(start, start + limit) : items;
      const next = limit > 0 && start + limit < items.length ? String(start + limit) : undefined;
      this.send(res, 200, {
        kind: `${resource.kind}List`,
        apiVersion: gv,
        metadata: { resourceVersion: String(this.version), ...(next ? { continue: next } : {}) },
        items: this.simulateControllers ? page.map((o) => ({ ...o, status: finishedStatus(o) })) : page,
      });
      return;
    }
    if (req.method === 'DELETE' && name) {
      const gone = this.store.get(key);
      if (!gone || !this.store.delete(key)) {
        notFound();
        return;
      }
      this.record('DELETED', key, {
        ...gone,
        metadata: { ...(gone.metadata as Json), resourceVersion: String(++this.version) },
      });
      this.send(res, 200, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name },
      });
      return;
    }
    if (req.method === 'PATCH' && name) {
      this.apply(res, req, url, key, resource, body);
      return;
    }
    this.send(res, 405, status(405, 'MethodNotAllowed', 'the server does not allow this method'));
  }

  /**
   * WATCH from `resourceVersion`: the events after it (ERROR 410 when it is older than the kept
   * history, as kube-apiserver's watch cache answers: 200, then the ERROR event), then each new
   * event as it happens; at `timeoutSeconds` a BOOKMARK (with `allowWatchBookmarks`) and the end.
   */
  private watch(
    res: http.ServerResponse,
    url: URL,
    matches: (key: string, o: Json) => boolean,
    resource: Resource,
  ): void {
    const n = ++this.watchCount;
    const from = Number(url.searchParams.get('resourceVersion') ?? this.version);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    // The API server sends the headers of a watch at once, before any event.
    res.flushHeaders();
    const send = (e: Json): void => {
      res.write(`${JSON.stringify(e)}\n`);
    };
    if (from < this.compactedBefore) {
      send({
        type: 'ERROR',
        object: status(410, 'Expired', `too old resource version: ${from} (${this.compactedBefore})`),
      });
      res.end();
      this.onWatch?.(n, url.searchParams);
      return;
    }
    for (const e of this.history) {
      if (e.version > from && matches(e.key, e.object)) send({ type: e.type, object: this.view(e.object) });
    }
    if (this.cutWatches > 0) {
      this.cutWatches--;
      res.socket?.destroy();
      this.onWatch?.(n, url.searchParams);
      return;
    }
    const watcher = { matches, send };
    this.watchers.add(watcher);
    this.open.add(res);
    const end = (): void => {
      this.watchers.delete(watcher);
      this.open.delete(res);
    };
    // (Not the request's 'close': Node emits it once the request body is read, not at disconnect.)
    res.on('close', end);
    const timeout = Number(url.searchParams.get('timeoutSeconds') ?? 0);
    if (timeout > 0 && !this.hangWatches) {
      const timer = setTimeout(() => {
        if (url.searchParams.get('allowWatchBookmarks') === 'true') {
          send({
            type: 'BOOKMARK',
            // An object of the watched kind with only its resourceVersion.
            object: {
              kind: resource.kind,
              apiVersion: resource.groupVersion,
              metadata: { resourceVersion: String(this.version) },
            },
          });
        }
        end();
        res.end();
      }, timeout * 1000);
      res.on('close', () => clearTimeout(timer));
    }
    this.onWatch?.(n, url.searchParams);
  }

  /** Server-side apply: the fields of other managers conflict unless `force=true`. */
  private apply(
    res: http.ServerResponse,
    req: http.IncomingMessage,
    url: URL,
    key: string,
    resource: Resource,
    body: string,
  ): void {
    if (req.headers['content-type'] !== 'application/apply-patch+yaml') {
      this.send(
        res,
        415,
        status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format`),
      );
      return;
    }
    const manager = url.searchParams.get('fieldManager');
    if (!manager) {
      this.send(
        res,
        422,
        status(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value'),
      );
      return;
    }
    const desired = JSON.parse(body) as Json;
    const existing = this.store.get(key);
    const owners = ((existing?.metadata as Json | undefined)?.managedFields ?? []) as {
      manager: string;
      fields: string[];
    }[];
    const conflicts = owners
      .filter((o) => o.manager !== manager)
      .flatMap((o) =>
        o.fields
          .filter((f) => f in flatten(desired) && flatten(desired)[f] !== flatten(existing ?? {})[f])
          .map((f) => ({ manager: o.manager, field: f })),
      );
    const force = url.searchParams.get('force') === 'true';
    if (conflicts.length > 0 && !force) {
      this.send(
        res,
        409,
        status(
          409,
          'Conflict',
          `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: ${conflicts
            .map((c) => `conflict with "${c.manager}": .${c.field}`)
            .join('; ')}`,
          {
            causes: conflicts.map((c) => ({
              reason: 'FieldManagerConflict',
              message: `conflict with "${c.manager}"`,
              field: `.${c.field}`,
            })),
          },
        ),
      );
      return;
    }
    const fields = Object.keys(flatten(desired)).filter(
      (f) => f.startsWith('spec.') || f.startsWith('data.'),
    );
    const others = owners
      .filter((o) => o.manager !== manager)
      .map((o) => ({ ...o, fields: force ? o.fields.filter((f) => !fields.includes(f)) : o.fields }));
    const meta = (desired.metadata ?? {}) as Json;
    const stored: Json = {
      ...(existing ?? {}),
      ...desired,
      metadata: {
        ...((existing?.metadata as Json | undefined) ?? {}),
        ...meta,
        ...(resource.namespaced ? { namespace: key.split('/').slice(-2)[0] } : {}),
        uid: ((existing?.metadata as Json | undefined)?.uid as string | undefined) ?? `uid-${this.version}`,
        resourceVersion: String(++this.version),
        generation:
          Number(((existing?.metadata as Json | undefined)?.generation as number | undefined) ?? 0) + 1,
        managedFields: [
          ...others.filter((o) => o.fields.length > 0),
          { manager, operation: 'Apply', fields },
        ],
      },
    };
    if (url.searchParams.get('dryRun') !== 'All') {
      this.store.set(key, stored);
      this.record(existing ? 'MODIFIED' : 'ADDED', key, stored);
      this.onApply?.(stored, key);
    }
    this.send(res, existing ? 200 : 201, stored);
  }
}

function isWatch(url: URL): boolean {
  const w = url.searchParams.get('watch');
  return w === 'true' || w === '1';
}

/**
 * Whether a stored object (by key) is in the collection `prefix` and matches the request's
 * `labelSelector` (`k=v,...`, or `k` for "has label k") and `fieldSelector` (`metadata.name=x`).
 */
function selectorMatcher(prefix: string, query: URLSearchParams): (key: string, o: Json) => boolean {
  const labels = (query.get('labelSelector') ?? '').split(',').filter((t) => t !== '');
  const fields = (query.get('fieldSelector') ?? '').split(',').filter((t) => t !== '');
  return (key, o) => {
    if (!key.startsWith(prefix)) return false;
    const meta = (o.metadata ?? {}) as Json;
    const have = (meta.labels ?? {}) as Record<string, string>;
    const labelsOk = labels.every((t) => {
      const [k, v] = t.split('=');
      return v === undefined ? k in have : have[k] === v;
    });
    const fieldsOk = fields.every((t) => {
      const [k, v] = t.split('=');
      if (k === 'metadata.name') return meta.name === v;
      if (k === 'metadata.namespace') return meta.namespace === v;
      throw new Error(`stand-in: field selector ${k} not served`);
    });
    return labelsOk && fieldsOk;
  };
}

/** `{a: {b: 1}}` → `{'a.b': 1}` (lists as JSON). */
function flatten(o: unknown, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (o !== null && typeof o === 'object' && !Array.isArray(o)) {
    for (const [k, v] of Object.entries(o as Json)) {
      if (k === 'metadata' && prefix === '') continue;
      Object.assign(out, flatten(v, prefix ? `${prefix}.${k}` : k));
    }
  } else if (prefix) {
    out[prefix] = Array.isArray(o) ? JSON.stringify(o) : o;
  }
  return out;
}

/** The status a controller writes once a workload has rolled out (a Job: completed). */
function finishedStatus(o: Json): Json {
  const spec = (o.spec ?? {}) as Json;
  const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const generation = (o.metadata as Json).generation;
  switch (o.kind) {
    case 'Deployment':
      return {
        observedGeneration: generation,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
      };
    case 'StatefulSet':
      return {
        observedGeneration: generation,
        replicas,
        readyReplicas: replicas,
        updatedReplicas: replicas,
        currentRevision: 'r1',
        updateRevision: 'r1',
      };
    case 'Job':
      return { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };
    default:
      return (o.status ?? {}) as Json;
  }
}
