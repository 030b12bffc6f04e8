import { IConstruct } from 'constructs';
import { namespaceOf, SERVICE_DOMAIN_SUFFIX, ServiceEndpoint } from './endpoints';
import { FloeValidationError } from './errors';
import { validatePort } from './validation';

/**
 * The connections between the platform's parts, declared once where a part consumes another.
 *
 * A construct that talks to a server says so with `connect(client, target, reason)` at the place it
 * is configured with that server's address. `NetworkIsolation` turns every declaration into the
 * NetworkPolicy rules of both ends (egress where the client runs, ingress where the server runs,
 * in whatever namespaces and charts they are), so a path is never written twice and never by hand.
 */

/** Transport protocol of a port. */
export type NetworkProtocol = 'TCP' | 'UDP';

/**
 * A server that no Service of this app describes: outside the cluster (a managed database, S3, a
 * SaaS API), or in a namespace another app deploys. NetworkPolicy cannot match host names, so the
 * rule allows `NetworkPolicyOptions.externalCidrs` on the port, or exactly the address when `host`
 * is an IP address.
 */
export interface ExternalEndpoint {
  /**
   * Host name or IP address. An IP address gives an exact rule (`/32`, `/128`).
   * @default - any host within `externalCidrs`
   */
  readonly host?: string;
  /**
   * Port.
   * @default - every port
   */
  readonly port?: number;
  /**
   * Transport protocol.
   * @default 'TCP'
   */
  readonly protocol?: NetworkProtocol;
}

/**
 * The Kubernetes API server. NetworkPolicy cannot select it by labels (it is not a pod on most
 * clusters), so the rule allows `NetworkPolicyOptions.kubernetesApi`: CIDRs and ports.
 */
export interface KubernetesApiTarget {
  /** Always `kubernetes-api`. */
  readonly kind: 'kubernetes-api';
}

/** The Kubernetes API server, as a connection target. */
export const KUBERNETES_API: KubernetesApiTarget = { kind: 'kubernetes-api' };

/**
 * Every metrics port of the Services in `namespaces` that carry `prometheus.io/scrape: "true"`:
 * the port their `prometheus.io/port` annotation names, else every port of the Service (what a
 * Prometheus with Service discovery scrapes). Resolved from the manifests when policies are written,
 * so the scrape annotations stay the one source of truth.
 */
export interface MetricsScrapeTarget {
  /** Always `metrics-scrape`. */
  readonly kind: 'metrics-scrape';
  /** Namespaces whose annotated Services are scraped. */
  readonly namespaces: readonly string[];
}

/** The annotated Services of `namespaces`, as a connection target (see `MetricsScrapeTarget`). */
export function metricsScrapeTargets(namespaces: readonly string[]): MetricsScrapeTarget {
  return { kind: 'metrics-scrape', namespaces: [...namespaces] };
}

/**
 * What a client connects to: a Service of this app (`ServiceEndpoint`, e.g. `polaris.serviceEndpoint`),
 * a server outside it, the Kubernetes API, the metrics ports of annotated Services, or the very
 * address the client is configured with as a string: a URL (`http://host:port/path`,
 * `jdbc:postgresql://host:port/db`; without a port, the scheme's: http 80, https 443) or
 * `host:port`. A host `<service>.<namespace>.svc.cluster.local` (or a pod of a headless Service,
 * `<pod>.<service>.<namespace>.svc.cluster.local`) is that Service; any other host is external.
 */
export type ConnectionTarget =
  ServiceEndpoint | ExternalEndpoint | KubernetesApiTarget | MetricsScrapeTarget | string;

/** A target after parsing: what a declaration holds. */
export type ResolvedConnectionTarget =
  ServiceEndpoint | ExternalEndpoint | KubernetesApiTarget | MetricsScrapeTarget;

/** One declared connection. */
export interface ConnectionDeclaration {
  /** Constructs whose workloads (and runtime pods) are the clients: every one in their subtrees. */
  readonly clients: readonly IConstruct[];
  /** What they connect to. */
  readonly target: ResolvedConnectionTarget;
  /** Why, in a few words (e.g. `metastore`); shown in error messages and docs. */
  readonly reason: string;
}

/** The connections declared in one app (one construct tree). */
export class Connections {
  /** The registry of the app `scope` belongs to. */
  public static of(scope: IConstruct): Connections {
    const root = scope.node.root;
    let registry = REGISTRIES.get(root);
    if (registry === undefined) {
      registry = new Connections(root);
      REGISTRIES.set(root, registry);
    }
    return registry;
  }

  private readonly list: ConnectionDeclaration[] = [];

  private constructor(
    /** The root of the construct tree (the app). */
    public readonly root: IConstruct,
  ) {}

  /** Every declaration, in the order made. */
  public get declarations(): readonly ConnectionDeclaration[] {
    return [...this.list];
  }

  /** Records a declaration (use `connect`). */
  public add(declaration: ConnectionDeclaration): void {
    this.list.push(declaration);
  }
}

const REGISTRIES = new WeakMap<IConstruct, Connections>();

/**
 * Declares that the workloads under `client` (every Deployment, StatefulSet, DaemonSet, Job,
 * CronJob and `RuntimePods` in the subtree of each construct given, found when the policies are
 * written) connect to `to`. This is the only thing a construct does for network isolation: the
 * egress rule of the clients and the ingress rule of the server follow from it.
 *
 * @param client a workload (e.g. `this.deployment`), a construct whose workloads all connect, or several
 * @param to one target or several (see `ConnectionTarget`)
 * @param reason why, in a few words (e.g. `metastore`, `OTLP traces`)
 */
export function connect(
  client: IConstruct | readonly IConstruct[],
  to: ConnectionTarget | readonly ConnectionTarget[],
  reason: string,
): void {
  const clients: readonly IConstruct[] = isConstructList(client) ? client : [client];
  if (clients.length === 0) {
    throw new Error('internal: connect() without a client');
  }
  const registry = Connections.of(clients[0]);
  const targets: readonly ConnectionTarget[] = isTargetList(to) ? to : [to];
  for (const target of targets) {
    registry.add({ clients, target: resolveTarget(clients[0], target), reason });
  }
}

function isConstructList(x: IConstruct | readonly IConstruct[]): x is readonly IConstruct[] {
  return Array.isArray(x);
}

function isTargetList(x: ConnectionTarget | readonly ConnectionTarget[]): x is readonly ConnectionTarget[] {
  return Array.isArray(x);
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):([0-9]{1,5})$/;

function resolveTarget(scope: IConstruct, target: ConnectionTarget): ResolvedConnectionTarget {
  if (typeof target === 'string') {
    return connectionTargetOf(target, scope);
  }
  if ('port' in target && target.port !== undefined) {
    validatePort(scope, 'connect port', target.port);
  }
  return target;
}

/**
 * Parses an address a pod is configured with (URL, JDBC URL or `host:port`) into a Service of this
 * app (`<service>.<namespace>.svc.cluster.local`, or a pod of a headless one) or an external endpoint.
 * @param address the address
 * @param scope what an error names
 */
export function connectionTargetOf(
  address: string,
  scope: IConstruct | string = 'connect',
): ServiceEndpoint | ExternalEndpoint {
  const allowed =
    "a URL with a host ('http://host:port/path', 'jdbc:postgresql://host:port/db') or 'host:port'";
  let host: string;
  let port: number | undefined;
  const hostPort = HOST_PORT.exec(address);
  if (hostPort) {
    host = hostPort[1].replace(/^\[|\]$/g, '');
    port = Number(hostPort[3]);
  } else {
    let url: URL;
    try {
      url = new URL(address.replace(/^jdbc:/, ''));
    } catch {
      throw new FloeValidationError(scope, 'connect', address, allowed);
    }
    if (url.hostname === '') {
      throw new FloeValidationError(scope, 'connect', address, allowed);
    }
    host = url.hostname.replace(/^\[|\]$/g, '');
    port = url.port !== '' ? Number(url.port) : DEFAULT_PORTS[url.protocol];
  }
  if (port !== undefined) {
    validatePort(scope, 'connect port', port);
  }
  const service = (serviceName: string, namespace: string, p: number): ServiceEndpoint => {
    const fqdn = `${serviceName}.${namespace}${SERVICE_DOMAIN_SUFFIX}`;
    return { serviceName, namespace, port: p, host: fqdn, address: `${fqdn}:${p}` };
  };
  const local = host.endsWith(SERVICE_DOMAIN_SUFFIX)
    ? host.slice(0, -SERVICE_DOMAIN_SUFFIX.length)
    : host.endsWith('.svc')
      ? host.slice(0, -'.svc'.length)
      : undefined;
  if (port !== undefined && local !== undefined) {
    const labels = local.split('.');
    if (labels.length >= 2) {
      const [serviceName, namespace] = labels.slice(-2);
      return service(serviceName, namespace, port);
    }
  }
  // A single label is a Service of the client's own namespace.
  if (
    port !== undefined &&
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(host) &&
    host !== 'localhost' &&
    typeof scope !== 'string'
  ) {
    return service(host, namespaceOf(scope), port);
  }
  return { host, ...(port !== undefined ? { port } : {}) };
}
