import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import {
  ConnectionDeclaration,
  Connections,
  ExternalEndpoint,
  NetworkProtocol,
  ResolvedConnectionTarget,
} from './connections';
import { RuntimePods } from './runtime-pods';
import { ServiceEndpoint } from './endpoints';
import { SCRAPE_ANNOTATIONS } from './metrics';

/**
 * Resolves the declared connections of an app into network paths between pod groups, from the
 * objects the app synthesizes: a Service's selector and target port say which pods and which
 * container port a connection to it reaches, the scrape annotations which metrics ports Prometheus
 * reaches, the Ingresses which ports the ingress controller reaches. Nothing is listed twice.
 */

/** The kinds whose pod templates make pods. */
export const WORKLOAD_KINDS: readonly string[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];

/** The labels that select a workload's pods when it carries them all (never `version`). */
const STABLE_LABELS = ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/component'];

/** A port on a pod, as a NetworkPolicy rule names it. */
export interface PortRef {
  /** Container port number. */
  readonly port: number;
  /** Protocol. */
  readonly protocol: NetworkProtocol;
}

/** The pods of one workload (or of several with the same selector). */
export interface PodGroup {
  /** `<namespace>/<selector>`: unique in the app. */
  readonly key: string;
  /** Namespace of the pods. */
  readonly namespace: string;
  /** Name of the (first) workload. */
  readonly name: string;
  /** Kind of the (first) workload, or `RuntimePods`. */
  readonly kind: string;
  /** The labels a policy selects the pods by. */
  readonly selector: Readonly<Record<string, string>>;
  /** Every label of the pods (what Service selectors match). */
  readonly labels: Readonly<Record<string, string>>;
  /** Container ports, by name. */
  readonly ports: readonly {
    readonly name?: string;
    readonly port: number;
    readonly protocol: NetworkProtocol;
  }[];
  /** The chart whose objects the (first) workload is. */
  readonly chart: Chart;
}

/** One end of a path. */
export type PathEnd =
  | { readonly kind: 'pods'; readonly group: PodGroup }
  /** Pods selected by labels in a namespace this app does not describe (ingress controller, DNS). */
  | {
      readonly kind: 'selector';
      readonly namespace: string;
      readonly labels: Readonly<Record<string, string>>;
    }
  /** Any pod of a namespace: a Service this app does not describe. */
  | { readonly kind: 'namespace'; readonly namespace: string }
  /** Addresses outside the cluster (or the API server). */
  | { readonly kind: 'cidrs'; readonly cidrs: readonly string[] };

/** An allowed path: `from` may open connections to `to` on `port` (every port when absent). */
export interface NetworkPath {
  /** The client. */
  readonly from: PathEnd;
  /** The server. */
  readonly to: PathEnd;
  /** The server's port. */
  readonly port?: PortRef;
  /** Why. */
  readonly reason: string;
}

/** Per-chart settings the resolution needs (from the chart's `NetworkIsolation`, else defaults). */
export interface PathSettings {
  /** CIDRs external hosts are reached in. */
  readonly externalCidrs: readonly string[];
  /** API server CIDRs. */
  readonly kubernetesApiCidrs: readonly string[];
  /** API server ports. */
  readonly kubernetesApiPorts: readonly number[];
  /** Namespace of the ingress controller. */
  readonly ingressControllerNamespace: string;
  /** Labels of the ingress controller pods. */
  readonly ingressControllerLabels: Readonly<Record<string, string>>;
  /** Namespace of the Prometheus that the ServiceMonitors configure. */
  readonly metricsScraperNamespace: string;
  /** Labels of that Prometheus' pods. */
  readonly metricsScraperLabels: Readonly<Record<string, string>>;
}

interface ServicePort {
  readonly name?: string;
  readonly port: number;
  readonly targetPort: string | number;
  readonly protocol: NetworkProtocol;
}

interface ServiceInfo {
  readonly namespace: string;
  readonly name: string;
  readonly selector: Readonly<Record<string, string>>;
  readonly ports: readonly ServicePort[];
  readonly annotations: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
}

interface ServiceMonitorInfo {
  readonly namespace: string;
  readonly name: string;
  readonly selector: Readonly<Record<string, string>>;
  readonly ports: readonly string[];
}

interface IngressInfo {
  readonly namespace: string;
  readonly name: string;
  readonly backends: readonly { readonly service: string; readonly port: number | string }[];
}

/** The app's pods, Services and Ingresses, and the paths its declarations open. */
export interface NetworkModel {
  /** Every pod group, sorted by key. */
  readonly groups: readonly PodGroup[];
  /** Every path, in declaration order. */
  readonly paths: readonly NetworkPath[];
  /**
   * Workloads of different charts whose pods carry the same selector labels in one namespace:
   * one pod group, whose policy only the chart found first writes. One message per workload
   * that joined a group of another chart.
   */
  readonly crossChartGroups: readonly string[];
}

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function strings(v: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries(obj(v)).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}
function protocolOf(v: unknown): NetworkProtocol {
  return v === 'UDP' ? 'UDP' : 'TCP';
}

/** Stable text for a label map. */
export function labelKey(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

function selects(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function stableSelector(
  labels: Record<string, string>,
  matchLabels: Record<string, string>,
): Record<string, string> {
  if (STABLE_LABELS.every((l) => labels[l] !== undefined)) {
    return Object.fromEntries(STABLE_LABELS.map((l) => [l, labels[l]]));
  }
  if (Object.keys(matchLabels).length > 0) {
    return matchLabels;
  }
  return Object.fromEntries(Object.entries(labels).filter(([k]) => k !== 'app.kubernetes.io/version'));
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Resolves the declarations of the app `root` belongs to. */
export function resolveNetwork(root: IConstruct, settingsOf: (chart: Chart) => PathSettings): NetworkModel {
  const groups = new Map<string, PodGroup>();
  const groupOf = new Map<IConstruct, PodGroup>();
  const firstOwner = new Map<string, IConstruct>();
  const crossChartGroups: string[] = [];
  const services = new Map<string, ServiceInfo>();
  const ingresses: IngressInfo[] = [];
  const serviceMonitors: ServiceMonitorInfo[] = [];

  const addGroup = (
    owner: IConstruct,
    chart: Chart,
    namespace: string,
    name: string,
    kind: string,
    labels: Record<string, string>,
    matchLabels: Record<string, string>,
    containers: unknown[],
  ): void => {
    const selector = stableSelector(labels, matchLabels);
    const key = `${namespace}/${labelKey(selector)}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = {
        key,
        namespace,
        name,
        kind,
        selector,
        labels,
        chart,
        ports: containers.flatMap((c) =>
          arr(obj(c).ports).map((p) => {
            const port = obj(p);
            return {
              ...(typeof port.name === 'string' ? { name: port.name } : {}),
              port: Number(port.containerPort),
              protocol: protocolOf(port.protocol),
            };
          }),
        ),
      };
      groups.set(key, group);
      firstOwner.set(key, owner);
    } else if (group.chart !== chart) {
      crossChartGroups.push(
        `${kind} ${namespace}/${name} (${owner.node.path}) has pods with the labels of ${group.kind} ${namespace}/${group.name} (${firstOwner.get(key)?.node.path}) of another chart (${labelKey(selector)}): one chart's NetworkPolicy would select the other's pods, and only ${group.chart.node.path} writes a policy for them; give the workloads distinct app.kubernetes.io/name, instance or component labels`,
      );
    }
    groupOf.set(owner, group);
  };

  for (const c of root.node.findAll()) {
    if (RuntimePods.isRuntimePods(c)) {
      addGroup(c, Chart.of(c), c.namespace, c.name, 'RuntimePods', { ...c.labels }, {}, []);
      continue;
    }
    if (!ApiObject.isApiObject(c)) continue;
    if (WORKLOAD_KINDS.includes(c.kind)) {
      const json = obj(c.toJson());
      const spec = obj(json.spec);
      const template = obj(c.kind === 'CronJob' ? obj(obj(spec.jobTemplate).spec).template : spec.template);
      addGroup(
        c,
        Chart.of(c),
        namespaceOf(json),
        c.name,
        c.kind,
        strings(obj(template.metadata).labels),
        strings(obj(spec.selector).matchLabels),
        arr(obj(template.spec).containers),
      );
    } else if (c.kind === 'Service') {
      const json = obj(c.toJson());
      const spec = obj(json.spec);
      const info: ServiceInfo = {
        namespace: namespaceOf(json),
        name: c.name,
        selector: strings(spec.selector),
        annotations: strings(obj(json.metadata).annotations),
        labels: strings(obj(json.metadata).labels),
        ports: arr(spec.ports).map((p) => {
          const port = obj(p);
          const target = port.targetPort;
          return {
            ...(typeof port.name === 'string' ? { name: port.name } : {}),
            port: Number(port.port),
            targetPort: typeof target === 'string' || typeof target === 'number' ? target : Number(port.port),
            protocol: protocolOf(port.protocol),
          };
        }),
      };
      services.set(`${info.namespace}/${info.name}`, info);
    } else if (c.kind === 'Ingress') {
      const json = obj(c.toJson());
      const spec = obj(json.spec);
      const backends = [
        obj(spec.defaultBackend),
        ...arr(spec.rules).flatMap((r) => arr(obj(obj(r).http).paths).map((p) => obj(obj(p).backend))),
      ]
        .map((b) => obj(b.service))
        .filter((s) => typeof s.name === 'string')
        .map((s) => {
          const port = obj(s.port);
          return {
            service: String(s.name),
            port: typeof port.number === 'number' ? port.number : String(port.name),
          };
        });
      ingresses.push({ namespace: namespaceOf(json), name: c.name, backends });
    } else if (c.kind === 'ServiceMonitor') {
      // The operator's Prometheus scrapes the pods behind the Services a ServiceMonitor selects, in
      // its own namespace, on the endpoints' named Service ports.
      const json = obj(c.toJson());
      const spec = obj(json.spec);
      serviceMonitors.push({
        namespace: namespaceOf(json),
        name: c.name,
        selector: strings(obj(spec.selector).matchLabels),
        ports: arr(spec.endpoints)
          .map((e) => obj(e).port)
          .filter((p): p is string => typeof p === 'string'),
      });
    }
  }

  const sortedGroups = [...groups.values()].sort((a, b) => a.key.localeCompare(b.key));
  if (crossChartGroups.length > 0) {
    // Paths to such a group would be resolved from the other chart's workload: report this alone.
    return { groups: sortedGroups, paths: [], crossChartGroups };
  }
  const podsOf = (service: ServiceInfo): PodGroup[] =>
    sortedGroups.filter((g) => g.namespace === service.namespace && selects(service.selector, g.labels));
  const containerPort = (group: PodGroup, target: string | number, what: string): number => {
    if (typeof target === 'number') return target;
    const found = group.ports.find((p) => p.name === target);
    if (found === undefined) {
      throw new Error(
        `${what}: the pods of ${group.kind} ${group.namespace}/${group.name} have no port named ${target}`,
      );
    }
    return found.port;
  };
  /** The pods and container ports behind one port of a Service. */
  const behind = (
    service: ServiceInfo,
    port: ServicePort,
    what: string,
  ): { group: PodGroup; port: PortRef }[] => {
    const pods = podsOf(service);
    if (pods.length === 0) {
      throw new Error(`${what}: Service ${service.namespace}/${service.name} selects no pods of this app`);
    }
    return pods.map((group) => ({
      group,
      port: { port: containerPort(group, port.targetPort, what), protocol: port.protocol },
    }));
  };

  const paths: NetworkPath[] = [];
  const clientsOf = (d: ConnectionDeclaration): PodGroup[] => {
    const found = new Map<string, PodGroup>();
    for (const client of d.clients) {
      for (const c of client.node.findAll()) {
        const g = groupOf.get(c);
        if (g) found.set(g.key, g);
      }
    }
    if (found.size === 0) {
      throw new Error(
        `connect (${d.reason}): ${d.clients.map((c) => c.node.path).join(', ')} holds no workload to connect from`,
      );
    }
    return [...found.values()];
  };

  for (const d of Connections.of(root).declarations) {
    for (const client of clientsOf(d)) {
      const from: PathEnd = { kind: 'pods', group: client };
      for (const { to, port } of targetsOf(d.target, settingsOf(client.chart), d.reason)) {
        paths.push({ from, to, ...(port ? { port } : {}), reason: d.reason });
      }
    }
  }

  // A peer outside the app (the ingress controller, an operator's Prometheus) reaching the pods
  // behind one Service port, as the chart of those pods configures that peer.
  const admit = (
    service: ServiceInfo,
    port: ServicePort,
    what: string,
    peer: (settings: PathSettings) => { namespace: string; labels: Readonly<Record<string, string>> },
  ): void => {
    for (const b of behind(service, port, what)) {
      const { namespace, labels } = peer(settingsOf(b.group.chart));
      paths.push({
        from: { kind: 'selector', namespace, labels },
        to: { kind: 'pods', group: b.group },
        port: b.port,
        reason: what,
      });
    }
  };

  for (const ingress of ingresses) {
    for (const backend of ingress.backends) {
      const what = `Ingress ${ingress.namespace}/${ingress.name}`;
      const service = services.get(`${ingress.namespace}/${backend.service}`);
      const port = service?.ports.find((p) =>
        typeof backend.port === 'number' ? p.port === backend.port : p.name === backend.port,
      );
      if (service === undefined || port === undefined) {
        throw new Error(`${what}: no Service port ${backend.service}:${backend.port} in this app`);
      }
      admit(service, port, `${what} (ingress controller)`, (s) => ({
        namespace: s.ingressControllerNamespace,
        labels: s.ingressControllerLabels,
      }));
    }
  }

  for (const monitor of serviceMonitors) {
    const what = `ServiceMonitor ${monitor.namespace}/${monitor.name} (Prometheus operator)`;
    const selected = [...services.values()].filter(
      (svc) => svc.namespace === monitor.namespace && selects(monitor.selector, svc.labels),
    );
    for (const service of selected) {
      for (const port of service.ports.filter(
        (p) => p.name !== undefined && monitor.ports.includes(p.name),
      )) {
        admit(service, port, what, (s) => ({
          namespace: s.metricsScraperNamespace,
          labels: s.metricsScraperLabels,
        }));
      }
    }
  }

  return { groups: sortedGroups, paths, crossChartGroups };

  function targetsOf(
    target: ResolvedConnectionTarget,
    settings: PathSettings,
    reason: string,
  ): { to: PathEnd; port?: PortRef }[] {
    if ('kind' in target) {
      if (target.kind === 'kubernetes-api') {
        const to: PathEnd = { kind: 'cidrs', cidrs: settings.kubernetesApiCidrs };
        return settings.kubernetesApiPorts.map((port) => ({ to, port: { port, protocol: 'TCP' } }));
      }
      return target.namespaces.flatMap((ns) =>
        [...services.values()]
          .filter((s) => s.namespace === ns && s.annotations[SCRAPE_ANNOTATIONS.scrape] === 'true')
          .sort((a, b) => a.name.localeCompare(b.name))
          .flatMap((s) => {
            const annotated = s.annotations[SCRAPE_ANNOTATIONS.port];
            const what = `${reason}: Service ${s.namespace}/${s.name}`;
            if (annotated !== undefined) {
              return podsOf(s).map((group) => ({
                to: { kind: 'pods', group } as PathEnd,
                port: { port: Number(annotated), protocol: 'TCP' } as PortRef,
              }));
            }
            return s.ports.flatMap((p) =>
              behind(s, p, what).map((b) => ({ to: podsEnd(b.group), port: b.port })),
            );
          }),
      );
    }
    if (isServiceEndpoint(target)) {
      const what = `connect (${reason}) to ${target.address}`;
      const service = services.get(`${target.namespace}/${target.serviceName}`);
      if (service === undefined) {
        // A Service another app deploys: any pod of its namespace, on the Service port.
        return [
          {
            to: { kind: 'namespace', namespace: target.namespace },
            port: { port: target.port, protocol: 'TCP' },
          },
        ];
      }
      const port = service.ports.find((p) => p.port === target.port);
      if (port === undefined) {
        throw new Error(`${what}: Service ${service.namespace}/${service.name} has no port ${target.port}`);
      }
      return behind(service, port, what).map((b) => ({ to: podsEnd(b.group), port: b.port }));
    }
    return [externalTarget(target, settings)];
  }
}

function podsEnd(group: PodGroup): PathEnd {
  return { kind: 'pods', group };
}

function isServiceEndpoint(t: ServiceEndpoint | ExternalEndpoint): t is ServiceEndpoint {
  return 'serviceName' in t;
}

function externalTarget(t: ExternalEndpoint, settings: PathSettings): { to: PathEnd; port?: PortRef } {
  const host = t.host;
  const cidrs =
    host !== undefined && IPV4.test(host)
      ? [`${host}/32`]
      : host !== undefined && host.includes(':')
        ? [`${host}/128`]
        : settings.externalCidrs;
  return {
    to: { kind: 'cidrs', cidrs },
    ...(t.port !== undefined ? { port: { port: t.port, protocol: t.protocol ?? 'TCP' } } : {}),
  };
}

function namespaceOf(json: Json): string {
  const ns = obj(json.metadata).namespace;
  return typeof ns === 'string' ? ns : 'default';
}
