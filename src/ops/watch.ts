import { obj, num, str } from './json';
import { CollectionRef, KubeApi, KubeError, kubeErrorFromStatus, WatchEvent, WatchStream } from './kube';
import { KubeObject } from './readiness';

/**
 * Keeping a collection's objects current the way client-go's reflector does (kubernetes/client-go
 * v0.28, tools/cache/reflector.go): LIST, then WATCH from the list's resourceVersion; when the
 * server ends a watch (its timeout), watch again from the last resourceVersion seen; when that
 * version is too old (410 Expired), LIST again; when the connection fails, retry with backoff.
 */

/** The key of an object in a collection: `namespace/name`. */
export function objectKey(o: {
  readonly metadata: { readonly namespace?: string; readonly name: string };
}): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/** What one watch event did to a collection's objects. */
export interface WatchEventEffect {
  /** The resourceVersion to watch from next (absent for an event without one). */
  readonly resourceVersion?: string;
  /** The objects changed (ADDED, MODIFIED, DELETED). */
  readonly changed: boolean;
  /** The server no longer has the history to continue: list again. */
  readonly expired: boolean;
  /** Any other ERROR event: the watch cannot go on. */
  readonly error?: KubeError;
}

/**
 * Applies `event` to `objects` (by `objectKey`), for the collection `c`. Pure but for the map.
 * An ERROR event carries a `Status`: code 410 (reason `Expired` or `Gone`) means the requested
 * resourceVersion is compacted (k8s.io/apiserver v0.28, pkg/storage/cacher/watch_cache.go:
 * "too old resource version"), anything else is an error.
 */
export function applyWatchEvent(
  objects: Map<string, KubeObject>,
  c: CollectionRef,
  event: WatchEvent,
): WatchEventEffect {
  const meta = obj(obj(event.object).metadata);
  const resourceVersion = str(meta.resourceVersion);
  const version = resourceVersion !== undefined ? { resourceVersion } : {};
  switch (event.type) {
    case 'ADDED':
    case 'MODIFIED':
      objects.set(objectKey(event.object), { ...event.object, apiVersion: c.apiVersion, kind: c.kind });
      return { ...version, changed: true, expired: false };
    case 'DELETED':
      objects.delete(objectKey(event.object));
      return { ...version, changed: true, expired: false };
    case 'BOOKMARK':
      return { ...version, changed: false, expired: false };
    case 'ERROR': {
      const status = obj(event.object);
      const code = num(status.code) ?? 500;
      if (code === 410) return { changed: false, expired: true };
      return {
        changed: false,
        expired: false,
        error: kubeErrorFromStatus(code, status, {
          what: `watch ${c.kind}${c.namespace ? ` in ${c.namespace}` : ''}`,
          server: '',
          context: '',
        }),
      };
    }
    default:
      return { changed: false, expired: false };
  }
}

/** Failures worth another try: the connection, or the server having trouble. */
const TRANSIENT = new Set(['unreachable', 'server']);

/** Options of a `CollectionWatch`. */
export interface CollectionWatchOptions {
  /**
   * `timeoutSeconds` of each watch request: the server ends the stream after it and the watch
   * starts again from the last resourceVersion.
   * @default - between 300 and 600, at random, as client-go's reflector picks it
   */
  readonly timeoutSeconds?: number;
  /**
   * Seconds past `timeoutSeconds` after which a stream the server has not ended counts as hung
   * and is dropped and started again.
   * @default 30
   */
  readonly stallSeconds?: number;
  /**
   * Failed attempts in a row (connection refused or cut, HTTP 5xx) before giving up.
   * @default 5
   */
  readonly retries?: number;
  /**
   * Waits between attempts (injected for tests).
   * @default - setTimeout
   */
  readonly sleep?: (seconds: number) => Promise<void>;
  /**
   * Told about reconnects, in one line each.
   * @default - reconnects are silent
   */
  readonly notice?: (line: string) => void;
}

/**
 * The objects of a collection, kept current by LIST and WATCH until `stop()`. `changed()`
 * settles at the next change (or failure); `failure` is set when watching gave up.
 */
export class CollectionWatch {
  /** The objects, by `objectKey`; complete once `synced`. */
  public readonly objects = new Map<string, KubeObject>();
  /** The first LIST has arrived. */
  public synced = false;
  /** Why watching stopped, if it gave up. */
  public failure?: KubeError;
  /** LIST requests made (the first one and every relist). */
  public lists = 0;
  /** WATCH requests made. */
  public watches = 0;
  /** Watch events received. */
  public events = 0;
  private version?: string;
  private stopped = false;
  private stream?: WatchStream;
  private waiters: (() => void)[] = [];
  private readonly what: string;

  public constructor(
    private readonly api: KubeApi,
    public readonly collection: CollectionRef,
    private readonly options: CollectionWatchOptions = {},
  ) {
    this.what = `${collection.kind}${collection.namespace ? ` in ${collection.namespace}` : ''}`;
  }

  /** Starts listing and watching in the background. */
  public start(): this {
    void this.run();
    return this;
  }

  /** Stops watching; pending `changed()` promises settle. */
  public stop(): void {
    this.stopped = true;
    this.stream?.stop();
    this.notify();
  }

  /** Settles at the next change of the objects, a failure, or `stop()`. */
  public changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w());
  }

  private async run(): Promise<void> {
    const sleep = this.options.sleep ?? ((s: number) => new Promise<void>((r) => setTimeout(r, s * 1000)));
    const retries = this.options.retries ?? 5;
    let failures = 0;
    while (!this.stopped) {
      try {
        if (this.version === undefined) {
          this.lists++;
          const list = await this.api.listVersioned(this.collection);
          this.objects.clear();
          list.items.forEach((o) => this.objects.set(objectKey(o), o));
          this.version = list.resourceVersion;
          this.synced = true;
          this.notify();
        }
        const started = Date.now();
        const before = this.events;
        const outcome = await this.watchOnce(this.version);
        if (outcome === 'ended' && this.events === before && Date.now() - started < 1000) {
          // Ended at once with nothing in it: as client-go does ("very short watch"), a failure,
          // so that a server closing every watch is not asked again in a tight loop.
          throw new KubeError('server', `watch ${this.what}: the server ended the watch at once`);
        }
        failures = 0;
        if (outcome === 'expired') this.version = undefined;
        if (outcome === 'stalled') {
          this.options.notice?.(`the watch of ${this.what} stopped answering; watching again`);
        }
      } catch (e) {
        const err = e instanceof KubeError ? e : new KubeError('server', `watch ${this.what}: ${String(e)}`);
        if (this.stopped) return;
        if (err.kind === 'expired') {
          this.version = undefined;
          continue;
        }
        failures++;
        if (!TRANSIENT.has(err.kind) || failures > retries) {
          this.failure = err;
          this.notify();
          return;
        }
        const wait = Math.min(2 ** (failures - 1), 30);
        this.options.notice?.(`lost the watch of ${this.what} (${err.message}); again in ${wait}s`);
        await sleep(wait);
      }
    }
  }

  /** One watch request, until the server ends it, it expires, it hangs, or `stop()`. */
  private watchOnce(from: string): Promise<'ended' | 'expired' | 'stalled'> {
    const timeoutSeconds = this.options.timeoutSeconds ?? Math.floor(300 * (Math.random() + 1));
    let expired = false;
    let stalled = false;
    let error: KubeError | undefined;
    this.watches++;
    // An event may arrive before `watch` returns (a stand-in answering at once): stop then.
    let stopRequested = false;
    const current: { stream?: WatchStream } = {};
    const stopStream = (): void => {
      stopRequested = true;
      current.stream?.stop();
    };
    const stream = this.api.watch(this.collection, { resourceVersion: from, timeoutSeconds }, (event) => {
      this.events++;
      const effect = applyWatchEvent(this.objects, this.collection, event);
      if (effect.resourceVersion !== undefined) this.version = effect.resourceVersion;
      if (effect.expired) {
        expired = true;
        stopStream();
      } else if (effect.error !== undefined) {
        error = effect.error;
        stopStream();
      } else if (effect.changed) {
        this.notify();
      }
    });
    current.stream = stream;
    if (stopRequested) stream.stop();
    this.stream = stream;
    // A stream the server should have ended long ago is hung (a dead connection that no packet
    // reports): drop it and watch again.
    const watchdog = setTimeout(
      () => {
        stalled = true;
        stopStream();
      },
      (timeoutSeconds + (this.options.stallSeconds ?? 30)) * 1000,
    );
    watchdog.unref?.();
    if (this.stopped) stopStream();
    return stream.ended
      .then(() => {
        if (error !== undefined) throw error;
        return expired ? 'expired' : stalled ? 'stalled' : 'ended';
      })
      .finally(() => clearTimeout(watchdog));
  }
}

/**
 * Watches the collections that hold `objects` (one per apiVersion, kind and namespace; a single
 * object by field selector) and returns them started.
 */
export function watchCollectionsOf(
  api: KubeApi,
  objects: readonly {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: { readonly namespace?: string; readonly name: string };
  }[],
  options: CollectionWatchOptions = {},
): Map<string, CollectionWatch> {
  const groups = new Map<string, { ref: CollectionRef; names: Set<string> }>();
  for (const o of objects) {
    const k = `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}`;
    const g = groups.get(k) ?? {
      ref: {
        apiVersion: o.apiVersion,
        kind: o.kind,
        ...(o.metadata.namespace !== undefined ? { namespace: o.metadata.namespace } : {}),
      },
      names: new Set<string>(),
    };
    g.names.add(o.metadata.name);
    groups.set(k, g);
  }
  const watches = new Map<string, CollectionWatch>();
  for (const [k, g] of groups) {
    const ref = g.names.size === 1 ? { ...g.ref, fieldSelector: `metadata.name=${[...g.names][0]}` } : g.ref;
    watches.set(k, new CollectionWatch(api, ref, options).start());
  }
  return watches;
}

/** The watch (from `watchCollectionsOf`) that holds `o`. */
export function watchOf(
  watches: ReadonlyMap<string, CollectionWatch>,
  o: {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: { readonly namespace?: string };
  },
): CollectionWatch | undefined {
  return watches.get(`${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}`);
}
