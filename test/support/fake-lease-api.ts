/**
 * A fake Kubernetes API server for the coordination.k8s.io/v1 Lease endpoints the Dagster daemon's
 * leader election uses, with the API server's real concurrency rules: every write bumps a global
 * resourceVersion, a PUT carrying another resourceVersion gets 409 Conflict, a POST of an existing
 * Lease gets 409 AlreadyExists, and every request needs the bearer token.
 *
 * It listens on one 127.0.0.1 port per client, all sharing one store, so a test can cut one client
 * off (`partition`: its requests are left unanswered, as with a dropped network) while the other
 * still reaches the API. Every accepted write is appended to an event log shared with the test.
 */
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo, Socket } from 'net';

/** The bearer token the fake API requires. */
export const FAKE_TOKEN = 'fake-service-account-token';

type Json = Record<string, unknown>;

/** A stored Lease. */
export interface StoredLease {
  metadata: { name: string; namespace: string; resourceVersion: string; uid: string };
  spec: Json;
}

/** One client's port on the fake API. */
export interface FakeApiPort {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Requests that reached this port (answered or not). */
  requests: number;
  /** When true, requests are held unanswered. */
  partitioned: boolean;
}

const PREFIX = '/apis/coordination.k8s.io/v1/namespaces/';

export class FakeLeaseApi {
  /** Leases by `namespace/name`. */
  public readonly leases = new Map<string, StoredLease>();
  private version = 100;
  private readonly servers: http.Server[] = [];
  private readonly sockets = new Set<Socket>();

  /** @param eventLog file each change of holder is appended to, as `lease <holder> acquired|released`. */
  public constructor(private readonly eventLog: string) {}

  /** Opens one more port. */
  public async listen(): Promise<FakeApiPort> {
    const port: { url: string; requests: number; partitioned: boolean } = {
      url: '',
      requests: 0,
      partitioned: false,
    };
    const server = http.createServer((req, res) => {
      port.requests += 1;
      if (port.partitioned) {
        return; // never answered; the socket is destroyed on close()
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const [status, body] = this.handle(req, Buffer.concat(chunks).toString('utf8'));
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    this.servers.push(server);
    return port;
  }

  /** Stops every port and drops held requests. */
  public async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }

  /** Stores a Lease as if someone had created it earlier (not logged). */
  public seed(namespace: string, name: string, spec: Json): void {
    this.leases.set(`${namespace}/${name}`, {
      metadata: { name, namespace, resourceVersion: this.nextVersion(), uid: `uid-${name}` },
      spec,
    });
  }

  /** The holder of `namespace/name`, '' when released, undefined when there is no Lease. */
  public holder(namespace: string, name: string): string | undefined {
    const lease = this.leases.get(`${namespace}/${name}`);
    return lease === undefined ? undefined : String(lease.spec.holderIdentity ?? '');
  }

  private handle(req: http.IncomingMessage, text: string): [number, Json] {
    if (req.headers.authorization !== `Bearer ${FAKE_TOKEN}`) {
      return [401, status(401, 'Unauthorized')];
    }
    const url = req.url ?? '';
    if (!url.startsWith(PREFIX)) return [404, status(404, 'NotFound')];
    const [namespace, resource, name, ...rest] = url.slice(PREFIX.length).split('/');
    if (resource !== 'leases' || rest.length > 0) return [404, status(404, 'NotFound')];
    const key = (n: string): string => `${namespace}/${n}`;
    let body: Json = {};
    if (text) {
      try {
        body = JSON.parse(text) as Json;
      } catch {
        return [400, status(400, 'BadRequest')];
      }
    }
    const meta = (body.metadata ?? {}) as Json;
    const spec = (body.spec ?? {}) as Json;

    if (req.method === 'GET' && name) {
      const lease = this.leases.get(key(name));
      return lease ? [200, render(lease)] : [404, status(404, 'NotFound')];
    }
    if (req.method === 'POST' && !name) {
      const n = String(meta.name ?? '');
      if (this.leases.has(key(n))) return [409, status(409, 'AlreadyExists')];
      const lease: StoredLease = {
        metadata: { name: n, namespace, resourceVersion: this.nextVersion(), uid: `uid-${n}` },
        spec,
      };
      this.leases.set(key(n), lease);
      this.record(String(spec.holderIdentity ?? ''), 'acquired');
      return [201, render(lease)];
    }
    if (req.method === 'PUT' && name) {
      const current = this.leases.get(key(name));
      if (!current) return [404, status(404, 'NotFound')];
      if (meta.resourceVersion !== current.metadata.resourceVersion) {
        return [409, status(409, 'Conflict')];
      }
      const before = String(current.spec.holderIdentity ?? '');
      current.metadata.resourceVersion = this.nextVersion();
      current.spec = spec;
      const after = String(spec.holderIdentity ?? '');
      if (after === '') this.record(before, 'released');
      else if (after !== before) this.record(after, 'acquired');
      return [200, render(current)];
    }
    return [405, status(405, 'MethodNotAllowed')];
  }

  private nextVersion(): string {
    this.version += 1;
    return String(this.version);
  }

  /** Appends `lease <holder> acquired|released` (renewals are too many to be useful). */
  private record(holder: string, verb: 'acquired' | 'released'): void {
    fs.appendFileSync(this.eventLog, `lease ${holder} ${verb}\n`);
  }
}

function render(lease: StoredLease): Json {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { ...lease.metadata, managedFields: [{ manager: 'fake' }] },
    spec: lease.spec,
  };
}

function status(code: number, reason: string): Json {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code };
}
