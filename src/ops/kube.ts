import { Writable } from 'stream';
import type * as K8s from '@kubernetes/client-node';
import { KubeObject } from './readiness';
import { obj, str } from './json';

/** The field manager of every server-side apply floe makes. */
export const FIELD_MANAGER = 'floe';

/** How the commands reach a cluster: kubeconfig file and context, as kubectl takes them. */
export interface KubeConnectOptions {
  /**
   * Path of the kubeconfig.
   * @default - `KUBECONFIG`, else `~/.kube/config`, else the in-cluster ServiceAccount
   */
  readonly kubeconfig?: string;
  /**
   * Context to use.
   * @default - the kubeconfig's current context
   */
  readonly context?: string;
}

/** What identifies an object in a cluster. */
export interface ObjectRef {
  /** e.g. `apps/v1`. */
  readonly apiVersion: string;
  /** e.g. `Deployment`. */
  readonly kind: string;
  /** Namespace, for namespaced kinds. */
  readonly namespace?: string;
  /** Name. */
  readonly name: string;
}

/** The result of a server-side apply. */
export interface ApplyResult {
  /** The object as the API server stored it (or would have, in a dry run). */
  readonly object: KubeObject;
  /** `Warning` headers of the response (e.g. Pod Security), their text only. */
  readonly warnings: readonly string[];
  /** The object did not exist before (HTTP 201 Created). */
  readonly created: boolean;
}

/** Options of `logs`. */
export interface PodLogOptions {
  /**
   * The container (required for pods with several).
   * @default - the pod's only container
   */
  readonly container?: string;
  /**
   * Lines from the end.
   * @default - all
   */
  readonly tailLines?: number;
  /**
   * Only lines newer than this many seconds.
   * @default - all
   */
  readonly sinceSeconds?: number;
  /**
   * Keep the stream open.
   * @default false
   */
  readonly follow?: boolean;
  /**
   * Prefix each line with its RFC 3339 time (for merging streams in time order).
   * @default false
   */
  readonly timestamps?: boolean;
  /**
   * The previous run of the container (why a crash-looping one died).
   * @default false
   */
  readonly previous?: boolean;
}

/** A collection: the objects of one kind in one namespace (or in all), optionally narrowed. */
export interface CollectionRef {
  /** e.g. `apps/v1`. */
  readonly apiVersion: string;
  /** e.g. `Deployment`. */
  readonly kind: string;
  /**
   * The namespace.
   * @default - every namespace (or a cluster-scoped kind)
   */
  readonly namespace?: string;
  /**
   * Label selector, e.g. `job-name=x`.
   * @default - no label condition
   */
  readonly labelSelector?: string;
  /**
   * Field selector, e.g. `metadata.name=x`.
   * @default - no field condition
   */
  readonly fieldSelector?: string;
}

/** A collection's objects and the resourceVersion a watch of it starts from. */
export interface VersionedList {
  /** The objects (with apiVersion and kind set). */
  readonly items: KubeObject[];
  /** The list's `metadata.resourceVersion`. */
  readonly resourceVersion: string;
}

/** The event types of a watch (k8s.io/apimachinery v0.28, pkg/watch/watch.go). */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One event of a watch stream. */
export interface WatchEvent {
  /** What happened. */
  readonly type: WatchEventType;
  /** The object; for `BOOKMARK` only its resourceVersion counts; for `ERROR` a `Status`. */
  readonly object: KubeObject;
}

/** A watch in progress. */
export interface WatchStream {
  /**
   * Settles when the stream ends: resolves when the server closed it (its `timeoutSeconds`, or
   * a closed connection) or `stop` was called; rejects with a `KubeError` when the server refused
   * the watch (kind `expired` for HTTP 410) or the connection failed.
   */
  readonly ended: Promise<void>;
  /** Ends the stream from this side. */
  stop(): void;
}

/** The calls the operating commands make, and nothing else. */
export interface KubeApi {
  /** The API server URL. */
  readonly server: string;
  /** The kubeconfig context. */
  readonly context: string;
  /** The namespace the context names (kubectl's default namespace), if it names one. */
  readonly namespace?: string;
  /**
   * Server-side apply of `object` with field manager `floe`: conflicts with other managers are
   * errors (`KubeError` kind `conflict`) unless `force`.
   */
  apply(
    object: KubeObject,
    options?: { readonly dryRun?: boolean; readonly force?: boolean },
  ): Promise<ApplyResult>;
  /** The object, or undefined when it does not exist. */
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  /** Objects of a kind, in a namespace (or all), optionally by label selector. */
  list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<KubeObject[]>;
  /** Objects of a collection with the resourceVersion to watch it from. */
  listVersioned(collection: CollectionRef): Promise<VersionedList>;
  /**
   * Watches a collection from `resourceVersion`: `onEvent` gets each event in order. The server
   * ends the stream after `timeoutSeconds`.
   */
  watch(
    collection: CollectionRef,
    options: { readonly resourceVersion: string; readonly timeoutSeconds: number },
    onEvent: (event: WatchEvent) => void,
  ): WatchStream;
  /**
   * Deletes the object (foreground: what it owns goes first; with `orphan`, what it owns stays,
   * e.g. a StatefulSet's pods); a missing one is no error.
   */
  delete(ref: ObjectRef, options?: { readonly orphan?: boolean }): Promise<void>;
  /** Writes a container's log to `out`. */
  logs(namespace: string, pod: string, out: Writable, options?: PodLogOptions): Promise<void>;
}

/** A container's whole log (as `KubeApi.logs` writes it) as one string. */
export async function logText(
  api: Pick<KubeApi, 'logs'>,
  namespace: string,
  pod: string,
  options: PodLogOptions = {},
): Promise<string> {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString('utf8');
      cb();
    },
  });
  await api.logs(namespace, pod, out, options);
  return text;
}

/** What went wrong talking to the cluster, in words a user acts on. */
export type KubeErrorKind =
  | 'unreachable'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'invalid'
  | 'namespace-terminating'
  | 'expired'
  | 'config'
  | 'server';

/** A failed call, one line long, without a stack trace in its message. */
export class KubeError extends Error {
  /** What kind of failure. */
  public readonly kind: KubeErrorKind;
  /** HTTP status, when the server answered. */
  public readonly status?: number;
  /** The fields the server named (conflicts: the managers' fields; invalid: the bad fields). */
  public readonly causes: readonly { readonly field?: string; readonly message: string }[];

  public constructor(
    kind: KubeErrorKind,
    message: string,
    status?: number,
    causes: readonly { readonly field?: string; readonly message: string }[] = [],
  ) {
    super(message);
    this.name = 'KubeError';
    this.kind = kind;
    this.status = status;
    this.causes = causes;
  }
}

/**
 * The `KubeError` for a response with status `code` and body `body` (a Kubernetes `Status`, as
 * kube-apiserver v1.28 sends it: `reason`, `message`, `details.causes`), for the call `what`
 * (e.g. `apply Deployment/polaris`) against `server` with `context`.
 */
export function kubeErrorFromStatus(
  code: number,
  body: unknown,
  where: { readonly what: string; readonly server: string; readonly context: string },
): KubeError {
  const status = obj(typeof body === 'string' ? safeJson(body) : body);
  const message = str(status.message) ?? (typeof body === 'string' && body !== '' ? body : `HTTP ${code}`);
  const causes = (Array.isArray(obj(status.details).causes) ? (obj(status.details).causes as unknown[]) : [])
    .map(obj)
    .map((c) => ({
      ...(str(c.field) ? { field: str(c.field) } : {}),
      message: str(c.message) ?? str(c.reason) ?? '',
    }));
  const reasons = (
    Array.isArray(obj(status.details).causes) ? (obj(status.details).causes as unknown[]) : []
  ).map((c) => str(obj(c).reason));
  if (code === 401) {
    return new KubeError(
      'unauthorized',
      `${where.what}: the cluster at ${where.server} rejected the credentials of context '${where.context}' ` +
        '(expired or wrong): log in again or choose another context',
      code,
    );
  }
  if (code === 403 && reasons.includes('NamespaceTerminating')) {
    return new KubeError(
      'namespace-terminating',
      `${where.what}: ${message}; wait until the namespace is gone (kubectl get namespace) and deploy again`,
      code,
      causes,
    );
  }
  if (code === 403) {
    return new KubeError('forbidden', `${where.what}: forbidden: ${message}`, code, causes);
  }
  if (code === 404) {
    return new KubeError('not-found', `${where.what}: ${message}`, code, causes);
  }
  if (code === 410) {
    // A watch (or a list's continue token) from a resourceVersion the server no longer keeps:
    // list again (client-go v0.28, tools/cache/reflector.go, relists on `Expired`/`Gone`).
    return new KubeError('expired', `${where.what}: ${message}`, code, causes);
  }
  if (code === 409) {
    return new KubeError(
      'conflict',
      `${where.what}: ${message} (another field manager owns these fields; use --force-conflicts to take them over)`,
      code,
      causes,
    );
  }
  if (code === 422 || (code === 500 && /field not declared in schema/.test(message))) {
    return new KubeError('invalid', `${where.what}: rejected as invalid: ${message}`, code, causes);
  }
  return new KubeError(
    'server',
    `${where.what}: the API server answered HTTP ${code}: ${message}`,
    code,
    causes,
  );
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

/** Network failures (no answer at all), by the error codes Node reports. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'ECONNABORTED',
  'EPIPE',
  // A stream cut in the middle (node-fetch, under the client's Watch and Log).
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** The `KubeError` for anything a call threw (`ApiException`, a fetch error, ...). */
export function kubeErrorOf(
  e: unknown,
  where: { readonly what: string; readonly server: string; readonly context: string },
): KubeError {
  if (e instanceof KubeError) return e;
  const err = obj(e);
  if (typeof err.code === 'number' && err.code >= 100) {
    return kubeErrorFromStatus(err.code, err.body, where);
  }
  // The client's Watch reports a refused watch as an Error with `statusCode` (and no body).
  if (typeof err.statusCode === 'number' && err.statusCode >= 100) {
    return kubeErrorFromStatus(err.statusCode, '', where);
  }
  const code = str(err.code) ?? str(obj(err.cause).code) ?? str(obj(obj(err.cause).cause).code);
  const text = e instanceof Error ? e.message.split('\n')[0] : String(e);
  if ((code !== undefined && UNREACHABLE.has(code)) || /ECONNREFUSED|ENOTFOUND|ETIMEDOUT/.test(text)) {
    return new KubeError(
      'unreachable',
      `${where.what}: no cluster reachable at ${where.server} (context '${where.context}'): ${code ?? text}`,
    );
  }
  return new KubeError('server', `${where.what}: ${text}`);
}

/**
 * Connects to the cluster `options` name (kubeconfig file and context, else `KUBECONFIG` or
 * `~/.kube/config`, else the in-cluster ServiceAccount), with the official client
 * (@kubernetes/client-node). Loading the client is deferred to here: it is an ES module, which
 * Node (>= 20.19) loads through `require`.
 */
export function connect(options: KubeConnectOptions = {}): KubeApi {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const k8s = require('@kubernetes/client-node') as typeof K8s;
  const kc = new k8s.KubeConfig();
  try {
    if (options.kubeconfig !== undefined) {
      kc.loadFromFile(options.kubeconfig);
    } else {
      kc.loadFromDefault();
    }
    if (options.context !== undefined) {
      if (kc.getContextObject(options.context) === null) {
        throw new KubeError(
          'config',
          `no context '${options.context}' in the kubeconfig (it has: ${
            kc
              .getContexts()
              .map((c) => c.name)
              .join(', ') || 'none'
          })`,
        );
      }
      kc.setCurrentContext(options.context);
    }
  } catch (e) {
    if (e instanceof KubeError) throw e;
    throw new KubeError(
      'config',
      `cannot read the kubeconfig: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
    );
  }
  const cluster = kc.getCurrentCluster();
  if (cluster === null) {
    throw new KubeError(
      'config',
      'the kubeconfig names no cluster for its current context: choose one with --context',
    );
  }
  const server = cluster.server;
  const context = kc.getCurrentContext();
  const namespace = kc.getContextObject(context)?.namespace;
  return new ClientNodeApi(k8s, kc, server, context, namespace || undefined);
}

/** `KubeApi` on @kubernetes/client-node. */
class ClientNodeApi implements KubeApi {
  private readonly objects: K8s.KubernetesObjectApi;
  private warnings: string[] = [];
  private lastStatus = 0;

  public constructor(
    private readonly k8s: typeof K8s,
    private readonly kc: K8s.KubeConfig,
    public readonly server: string,
    public readonly context: string,
    public readonly namespace?: string,
  ) {
    // As KubeConfig.makeApiClient builds it, plus a middleware that keeps the Warning headers.
    const config = k8s.createConfiguration({
      baseServer: new k8s.ServerConfiguration(server, {}),
      authMethods: { default: kc },
      promiseMiddleware: [
        {
          pre: async (ctx: K8s.RequestContext) => ctx,
          post: async (response: K8s.ResponseContext) => {
            const warning = response.headers.warning;
            if (warning) this.warnings.push(...splitWarnings(warning));
            this.lastStatus = response.httpStatusCode;
            return response;
          },
        },
      ],
    });
    this.objects = new k8s.KubernetesObjectApi(config);
    // The namespace of objects that name none: the context's (as kubectl does).
    (this.objects as unknown as { setDefaultNamespace(kc: K8s.KubeConfig): void }).setDefaultNamespace(kc);
  }

  private where(what: string): { what: string; server: string; context: string } {
    return { what, server: this.server, context: this.context };
  }

  public async apply(
    object: KubeObject,
    options: { readonly dryRun?: boolean; readonly force?: boolean } = {},
  ): Promise<ApplyResult> {
    this.warnings = [];
    try {
      const stored = await this.objects.patch(
        object as unknown as K8s.KubernetesObject,
        undefined,
        options.dryRun ? 'All' : undefined,
        FIELD_MANAGER,
        options.force ?? false,
        this.k8s.PatchStrategy.ServerSideApply,
      );
      return {
        object: stored as unknown as KubeObject,
        warnings: [...this.warnings],
        created: this.lastStatus === 201,
      };
    } catch (e) {
      throw kubeErrorOf(e, this.where(`apply ${object.kind}/${object.metadata.name}`));
    }
  }

  public async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    try {
      const header = {
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name: ref.name, namespace: ref.namespace },
      };
      return (await this.objects.read(header)) as unknown as KubeObject;
    } catch (e) {
      const err = kubeErrorOf(e, this.where(`get ${ref.kind}/${ref.name}`));
      if (err.kind === 'not-found') return undefined;
      throw err;
    }
  }

  public async list(
    apiVersion: string,
    kind: string,
    namespace?: string,
    labelSelector?: string,
  ): Promise<KubeObject[]> {
    try {
      const items: KubeObject[] = [];
      let token: string | undefined;
      do {
        const page = await this.objects.list(
          apiVersion,
          kind,
          namespace,
          undefined,
          undefined,
          undefined,
          undefined,
          labelSelector,
          500,
          token,
        );
        items.push(
          ...page.items.map((i) => ({ ...(i as unknown as KubeObject), apiVersion, kind }) as KubeObject),
        );
        token = page.metadata?._continue;
      } while (token);
      return items;
    } catch (e) {
      throw kubeErrorOf(e, this.where(`list ${kind}${namespace ? ` in ${namespace}` : ''}`));
    }
  }

  public async listVersioned(c: CollectionRef): Promise<VersionedList> {
    const where = this.where(`list ${c.kind}${c.namespace ? ` in ${c.namespace}` : ''}`);
    try {
      const items: KubeObject[] = [];
      let token: string | undefined;
      let resourceVersion = '';
      do {
        const page = await this.objects.list(
          c.apiVersion,
          c.kind,
          c.namespace,
          undefined,
          undefined,
          undefined,
          c.fieldSelector,
          c.labelSelector,
          500,
          token,
        );
        items.push(
          ...page.items.map(
            (i) =>
              ({ ...(i as unknown as KubeObject), apiVersion: c.apiVersion, kind: c.kind }) as KubeObject,
          ),
        );
        // Every page of a paged list is from the same snapshot: the first page's version.
        resourceVersion ||= page.metadata?.resourceVersion ?? '';
        token = page.metadata?._continue;
      } while (token);
      return { items, resourceVersion };
    } catch (e) {
      throw kubeErrorOf(e, where);
    }
  }

  public watch(
    c: CollectionRef,
    options: { readonly resourceVersion: string; readonly timeoutSeconds: number },
    onEvent: (event: WatchEvent) => void,
  ): WatchStream {
    const where = this.where(`watch ${c.kind}${c.namespace ? ` in ${c.namespace}` : ''}`);
    let controller: AbortController | undefined;
    let stopped = false;
    let finish: (err?: unknown) => void = () => undefined;
    const ended = new Promise<void>((resolve, reject) => {
      finish = (err?: unknown): void => {
        if (stopped || err === null || err === undefined) resolve();
        else reject(kubeErrorOf(err, where));
      };
    });
    const start = async (): Promise<void> => {
      const path = await (
        this.objects as unknown as {
          specUriPath(spec: K8s.KubernetesObject, action: string): Promise<string>;
        }
      ).specUriPath({ apiVersion: c.apiVersion, kind: c.kind, metadata: { namespace: c.namespace } }, 'list');
      if (stopped) return;
      // The client's Watch settles only once the response headers arrive; a stop before that
      // ends `ended` at once (below) and aborts the request when it can.
      controller = await new this.k8s.Watch(this.kc).watch(
        path,
        {
          resourceVersion: options.resourceVersion,
          timeoutSeconds: options.timeoutSeconds,
          // As client-go's reflector asks (v0.28, tools/cache/reflector.go): the server may send
          // BOOKMARK events, which move the resourceVersion on without a change.
          allowWatchBookmarks: true,
          ...(c.labelSelector !== undefined ? { labelSelector: c.labelSelector } : {}),
          ...(c.fieldSelector !== undefined ? { fieldSelector: c.fieldSelector } : {}),
        },
        (type: string, object: unknown) => {
          if (!stopped) onEvent({ type: type as WatchEventType, object: object as KubeObject });
        },
        (err: unknown) => finish(err),
      );
      if (stopped) controller.abort();
    };
    start().catch((e: unknown) => finish(e ?? new Error('watch failed')));
    return {
      ended,
      stop: () => {
        stopped = true;
        controller?.abort();
        finish();
      },
    };
  }

  public async delete(ref: ObjectRef, options: { readonly orphan?: boolean } = {}): Promise<void> {
    try {
      const header = {
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name: ref.name, namespace: ref.namespace },
      };
      await this.objects.delete(
        header,
        undefined,
        undefined,
        undefined,
        undefined,
        options.orphan ? 'Orphan' : 'Foreground',
      );
    } catch (e) {
      const err = kubeErrorOf(e, this.where(`delete ${ref.kind}/${ref.name}`));
      if (err.kind !== 'not-found') throw err;
    }
  }

  public async logs(
    namespace: string,
    pod: string,
    out: Writable,
    options: PodLogOptions = {},
  ): Promise<void> {
    const log = new this.k8s.Log(this.kc);
    try {
      const done = new Promise<void>((resolve, reject) => {
        out.once('finish', resolve);
        out.once('error', reject);
      });
      await log.log(namespace, pod, options.container ?? '', out, {
        follow: options.follow ?? false,
        ...(options.tailLines !== undefined ? { tailLines: options.tailLines } : {}),
        ...(options.sinceSeconds !== undefined ? { sinceSeconds: options.sinceSeconds } : {}),
        timestamps: options.timestamps ?? false,
        previous: options.previous ?? false,
      });
      await done;
    } catch (e) {
      throw kubeErrorOf(e, this.where(`logs of ${namespace}/${pod}`));
    }
  }
}

/**
 * The texts of a `Warning` header value (RFC 7234: `299 - "text"`, several joined by commas, the
 * text a quoted-string), unquoted.
 */
export function splitWarnings(header: string): string[] {
  const texts: string[] = [];
  const re = /\d{3}\s+\S+\s+"((?:[^"\\]|\\.)*)"/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(header)) !== null) {
    texts.push(m[1].replace(/\\(.)/g, '$1'));
  }
  return texts.length > 0 ? texts : [header];
}
