/**
 * NetworkPolicy semantics over synthesized manifests, for tests. Written independently of
 * src/core/network-*.ts: it reads only the manifests (and, for `declaredEdges`, the declarations the
 * public API exposes) and evaluates the policies the way Kubernetes does:
 *
 * - a pod is isolated for a direction when a policy of its namespace selects it and lists that
 *   direction in `policyTypes`; traffic is then allowed only if some rule of some such policy matches;
 * - a peer with only `podSelector` means pods of the policy's namespace; with `namespaceSelector`,
 *   pods (or any pod) of the namespaces it selects (by their labels, including the automatic
 *   `kubernetes.io/metadata.name`); `ipBlock` an address range;
 * - a rule without `ports` allows every port; a named port is the destination pod's container port.
 *
 * A connection is an edge `from -> to port`, where an end is a pod template (`ns/Kind/name`), an
 * address range (`cidr:...`), any pod of a namespace (`namespace:...`) or pods of a namespace the
 * manifests do not describe (`pods:ns:labels`: cluster DNS, the ingress controller).
 */
import { parse as parseYaml } from 'yaml';
import { IConstruct } from 'constructs';
import { ApiObject } from 'cdk8s';
import { Connections } from '../../src/core/connections';
import { RuntimePods } from '../../src/core/runtime-pods';
import { K8sObject } from './synth';

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
function strings(v: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries(obj(v)).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}
function labelKey(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}
function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

const CLUSTER_SUFFIX = '.svc.cluster.local';
const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];

/** A pod template: of a workload, or a run pod an orchestrator launches (from its configuration). */
export interface Pod {
  /** `namespace/Kind/name`. */
  readonly id: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** Pod spec. */
  readonly spec: Json;
  /** Extra environment of every container (run pods: the launcher's env and ConfigMaps). */
  readonly extraEnv: Record<string, string>;
  /** ConfigMaps every container reads whole (`envFrom`), besides the spec's own. */
  readonly extraEnvFrom: string[];
  /** ConfigMaps mounted, besides the spec's own volumes. */
  readonly extraMounts: string[];
}

/** The pod templates of the workloads, and the run pods Dagster's run launcher would start. */
export function podsOf(objects: K8sObject[]): Pod[] {
  const pods: Pod[] = [];
  for (const o of objects) {
    if (!WORKLOADS.includes(o.kind)) continue;
    const spec = obj(o.spec);
    const template = obj(o.kind === 'CronJob' ? obj(obj(spec.jobTemplate).spec).template : spec.template);
    const namespace = o.metadata.namespace ?? 'default';
    pods.push({
      id: `${namespace}/${o.kind}/${o.metadata.name}`,
      namespace,
      labels: strings(obj(template.metadata).labels),
      spec: obj(template.spec),
      extraEnv: {},
      extraEnvFrom: [],
      extraMounts: [],
    });
  }
  // Dagster's K8sRunLauncher: one Job per run, labelled by dagster_k8s (name dagster, component
  // run_worker) and by the launcher's `labels`, reading `env_config_maps`, the instance ConfigMap and
  // the code location's container context (`DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT` of its code servers).
  for (const cm of objects.filter((o) => o.kind === 'ConfigMap')) {
    const yamlText = str(obj(cm.data)['dagster.yaml']);
    if (yamlText === undefined) continue;
    const launcher = obj(obj(obj(parseYaml(yamlText)).run_launcher).config);
    const namespace = str(launcher.job_namespace) ?? 'default';
    const cmNamespace = cm.metadata.namespace ?? 'default';
    const contextEnv: Record<string, string> = {};
    for (const p of pods.filter((x) => x.namespace === cmNamespace)) {
      for (const c of containersOf(p.spec)) {
        for (const e of arr(c.env).map(obj)) {
          if (e.name !== 'DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT') continue;
          for (const kv of arr(obj(obj(JSON.parse(String(e.value))).k8s).env_vars)) {
            const [k, ...v] = String(kv).split('=');
            contextEnv[k] = v.join('=');
          }
        }
      }
    }
    pods.push({
      id: `${namespace}/RunPod/${cm.metadata.name}`,
      namespace,
      labels: {
        'app.kubernetes.io/name': 'dagster',
        'app.kubernetes.io/instance': 'dagster',
        'app.kubernetes.io/part-of': 'dagster',
        'app.kubernetes.io/component': 'run_worker',
        ...strings(launcher.labels),
      },
      spec: { containers: [{ name: 'dagster' }] },
      extraEnv: contextEnv,
      extraEnvFrom: arr(launcher.env_config_maps).map(String),
      extraMounts: [cm.metadata.name],
    });
  }
  return pods;
}

function containersOf(spec: Json): Json[] {
  return [...arr(spec.initContainers), ...arr(spec.containers)].map(obj);
}

function policiesOf(objects: K8sObject[]): K8sObject[] {
  return objects.filter((o) => o.kind === 'NetworkPolicy');
}

function policyTypes(policy: K8sObject): string[] {
  const spec = obj(policy.spec);
  const explicit = arr(spec.policyTypes).map(String);
  if (explicit.length > 0) return explicit;
  return ['Ingress', ...(spec.egress !== undefined ? ['Egress'] : [])];
}

function selected(policy: K8sObject, pod: Pod): boolean {
  const selector = obj(obj(policy.spec).podSelector);
  if (selector.matchExpressions !== undefined) throw new Error('matchExpressions are not modelled');
  return (
    (policy.metadata.namespace ?? 'default') === pod.namespace &&
    matches(strings(selector.matchLabels), pod.labels)
  );
}

/**
 * Problems with the isolation of `pods`: every pod must be isolated in both directions by the
 * policies of its namespace, and each namespace in `namespaces` must have a default-deny policy
 * (every pod, both directions, no rule).
 */
export function checkIsolation(objects: K8sObject[], namespaces: readonly string[]): string[] {
  const problems: string[] = [];
  const policies = policiesOf(objects);
  for (const ns of namespaces) {
    const deny = policies.some((p) => {
      const spec = obj(p.spec);
      return (
        p.metadata.namespace === ns &&
        Object.keys(obj(spec.podSelector)).length === 0 &&
        policyTypes(p).includes('Ingress') &&
        policyTypes(p).includes('Egress') &&
        arr(spec.ingress).length === 0 &&
        arr(spec.egress).length === 0
      );
    });
    if (!deny) problems.push(`namespace ${ns}: no default-deny policy`);
  }
  for (const pod of podsOf(objects)) {
    for (const direction of ['Ingress', 'Egress']) {
      if (!policies.some((p) => selected(p, pod) && policyTypes(p).includes(direction))) {
        problems.push(`${pod.id}: not isolated for ${direction.toLowerCase()}`);
      }
    }
  }
  return problems;
}

function namespaceLabels(objects: K8sObject[], ns: string): Record<string, string> {
  const o = objects.find((x) => x.kind === 'Namespace' && x.metadata.name === ns);
  return { ...(o?.metadata.labels ?? {}), 'kubernetes.io/metadata.name': ns };
}

/** The namespaces `selector` picks among those the manifests know or name. */
function selectedNamespaces(objects: K8sObject[], pods: Pod[], selector: Json): string[] {
  if (selector.matchExpressions !== undefined) throw new Error('matchExpressions are not modelled');
  const match = strings(selector.matchLabels);
  const known = new Set([
    ...pods.map((p) => p.namespace),
    ...objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name),
  ]);
  const named = match['kubernetes.io/metadata.name'];
  if (named !== undefined) known.add(named);
  return [...known].filter((ns) => matches(match, namespaceLabels(objects, ns))).sort();
}

/** Edge ends a peer of a policy in `namespace` stands for. */
function peerEnds(objects: K8sObject[], pods: Pod[], peer: Json, namespace: string): string[] {
  if (peer.ipBlock !== undefined) {
    const block = obj(peer.ipBlock);
    if (arr(block.except).length > 0) throw new Error('ipBlock.except is not modelled');
    return [`cidr:${String(block.cidr)}`];
  }
  const namespaces =
    peer.namespaceSelector !== undefined
      ? selectedNamespaces(objects, pods, obj(peer.namespaceSelector))
      : [namespace];
  if (peer.podSelector === undefined) {
    return namespaces.map((ns) => `namespace:${ns}`);
  }
  const podSelector = obj(peer.podSelector);
  if (podSelector.matchExpressions !== undefined) throw new Error('matchExpressions are not modelled');
  const labels = strings(podSelector.matchLabels);
  return namespaces.flatMap((ns) => {
    const inNs = pods.filter((p) => p.namespace === ns);
    if (inNs.length === 0) return [`pods:${ns}:${labelKey(labels)}`];
    const found = inNs.filter((p) => matches(labels, p.labels)).map((p) => p.id);
    return found.length > 0 ? found : [`unmatched:${ns}:${labelKey(labels)}`];
  });
}

function containerPortNumber(pod: Pod | undefined, port: unknown): number | undefined {
  if (typeof port === 'number') return port;
  if (pod === undefined) return undefined;
  for (const c of arr(pod.spec.containers).map(obj)) {
    for (const p of arr(c.ports).map(obj)) {
      if (p.name === port) return Number(p.containerPort);
    }
  }
  return undefined;
}

function portsOf(rule: Json, destination: (end: string) => Pod | undefined, end: string): string[] {
  const ports = arr(rule.ports).map(obj);
  if (ports.length === 0) return ['*'];
  return ports.map((p) => {
    if (p.endPort !== undefined) throw new Error('endPort is not modelled');
    const protocol = str(p.protocol) ?? 'TCP';
    if (p.port === undefined) return `${protocol}/*`;
    const n = containerPortNumber(destination(end), p.port);
    return `${protocol}/${n === undefined ? `?${String(p.port)}` : n}`;
  });
}

/** The edges the policies allow: egress edges from isolated pods, ingress edges to them. */
export function allowedEdges(objects: K8sObject[]): { egress: string[]; ingress: string[] } {
  const pods = podsOf(objects);
  const byId = new Map(pods.map((p) => [p.id, p]));
  const egress = new Set<string>();
  const ingress = new Set<string>();
  for (const policy of policiesOf(objects)) {
    const ns = policy.metadata.namespace ?? 'default';
    const targets = pods.filter((p) => selected(policy, p));
    const spec = obj(policy.spec);
    if (policyTypes(policy).includes('Egress')) {
      for (const rule of arr(spec.egress).map(obj)) {
        for (const peer of arr(rule.to).map(obj)) {
          for (const end of peerEnds(objects, pods, peer, ns)) {
            for (const port of portsOf(rule, (e) => byId.get(e), end)) {
              for (const t of targets) egress.add(`${t.id} -> ${end} ${port}`);
            }
          }
        }
      }
    }
    if (policyTypes(policy).includes('Ingress')) {
      for (const rule of arr(spec.ingress).map(obj)) {
        for (const peer of arr(rule.from).map(obj)) {
          for (const end of peerEnds(objects, pods, peer, ns)) {
            for (const t of targets) {
              for (const port of portsOf(rule, () => t, t.id)) ingress.add(`${end} -> ${t.id} ${port}`);
            }
          }
        }
      }
    }
  }
  return { egress: [...egress].sort(), ingress: [...ingress].sort() };
}

/** Whether the policies allow `from` to reach `to` on `port` (both the egress and the ingress side). */
export function allows(
  edges: { egress: string[]; ingress: string[] },
  from: string,
  to: string,
  port: string,
): string[] {
  const missing: string[] = [];
  const isPod = (end: string): boolean => /^[^:]+\/[^:]+\/[^:]+$/.test(end);
  const covered = (list: string[], wanted: string): boolean =>
    list.includes(wanted) || list.includes(wanted.replace(/ [A-Z]+\/\d+$/, ' *'));
  if (isPod(from) && !covered(edges.egress, `${from} -> ${to} ${port}`))
    missing.push(`egress ${from} -> ${to} ${port}`);
  if (isPod(to) && !covered(edges.ingress, `${from} -> ${to} ${port}`))
    missing.push(`ingress ${from} -> ${to} ${port}`);
  return missing;
}

interface Service {
  readonly namespace: string;
  readonly name: string;
  readonly selector: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly labels: Record<string, string>;
  readonly ports: { name?: string; port: number; targetPort: unknown; protocol: string }[];
}

function servicesOf(objects: K8sObject[]): Service[] {
  return objects
    .filter((o) => o.kind === 'Service')
    .map((o) => {
      const spec = obj(o.spec);
      return {
        namespace: o.metadata.namespace ?? 'default',
        name: o.metadata.name,
        selector: strings(spec.selector),
        annotations: o.metadata.annotations ?? {},
        labels: o.metadata.labels ?? {},
        ports: arr(spec.ports)
          .map(obj)
          .map((p) => ({
            name: str(p.name),
            port: Number(p.port),
            targetPort: p.targetPort ?? p.port,
            protocol: str(p.protocol) ?? 'TCP',
          })),
      };
    });
}

/** `pod -> port` pairs behind one port of a Service. */
function behind(pods: Pod[], service: Service, port: Service['ports'][number]): { pod: Pod; port: string }[] {
  return pods
    .filter((p) => p.namespace === service.namespace && matches(service.selector, p.labels))
    .map((pod) => ({ pod, port: `${port.protocol}/${containerPortNumber(pod, port.targetPort) ?? '?'}` }));
}

/** Where an address a pod is configured with leads, as edge ends with ports. */
function resolveAddress(
  pods: Pod[],
  services: Service[],
  from: string,
  host: string,
  port: number | undefined,
  cidrs: readonly string[],
): { to: string; port: string }[] | 'any-port' {
  let serviceName: string | undefined;
  let namespace: string | undefined;
  const clientNs = from.split('/')[0];
  if (host.endsWith(CLUSTER_SUFFIX) || host.endsWith('.svc')) {
    const labels = host.replace(/\.svc(\.cluster\.local)?$/, '').split('.');
    [serviceName, namespace] = labels.slice(-2);
  } else if (services.some((s) => s.namespace === clientNs && s.name === host)) {
    [serviceName, namespace] = [host, clientNs];
  }
  if (serviceName === undefined || namespace === undefined) {
    const ends = /^\d+(\.\d+){3}$/.test(host) ? [`cidr:${host}/32`] : cidrs.map((c) => `cidr:${c}`);
    return ends.map((to) => ({ to, port: port === undefined ? '*' : `TCP/${port}` }));
  }
  const service = services.find((s) => s.namespace === namespace && s.name === serviceName);
  if (service === undefined) {
    return [{ to: `namespace:${namespace}`, port: port === undefined ? '*' : `TCP/${port}` }];
  }
  if (port === undefined) return 'any-port';
  const servicePort = service.ports.find((p) => p.port === port);
  if (servicePort === undefined) return [{ to: `no-port:${namespace}/${serviceName}`, port: `TCP/${port}` }];
  return behind(pods, service, servicePort).map((b) => ({ to: b.pod.id, port: b.port }));
}

/** Expected edges of the cluster DNS and the ingress controller (the defaults unless given). */
export interface EdgeDefaults {
  /** CIDRs of external hosts. */
  readonly externalCidrs?: readonly string[];
  /** CIDRs of the API server. */
  readonly apiCidrs?: readonly string[];
  /** Ports of the API server. */
  readonly apiPorts?: readonly number[];
  /** The DNS end (`pods:ns:labels`). */
  readonly dns?: string;
  /** The ingress controller end. */
  readonly ingressController?: string;
  /** The end of the Prometheus the ServiceMonitors configure. */
  readonly metricsScraper?: string;
}

const DEFAULTS: Required<EdgeDefaults> = {
  externalCidrs: ['0.0.0.0/0'],
  apiCidrs: ['0.0.0.0/0'],
  apiPorts: [443, 6443],
  dns: 'pods:kube-system:k8s-app=kube-dns',
  ingressController:
    'pods:ingress-nginx:app.kubernetes.io/component=controller,app.kubernetes.io/name=ingress-nginx',
  metricsScraper:
    'pods:monitoring:app.kubernetes.io/managed-by=prometheus-operator,app.kubernetes.io/name=prometheus',
};

/**
 * The edges the app declares (`Connections.of(app).declarations`), resolved here against the
 * manifests, plus DNS for every pod and the ingress controller for every Ingress backend.
 */
export function declaredEdges(
  app: IConstruct,
  objects: K8sObject[],
  defaults: EdgeDefaults = {},
): { egress: string[]; ingress: string[] } {
  const d = { ...DEFAULTS, ...defaults };
  const pods = podsOf(objects);
  const services = servicesOf(objects);
  const edges: { from: string; to: string; port: string }[] = [];
  for (const pod of pods) {
    edges.push({ from: pod.id, to: d.dns, port: 'UDP/53' }, { from: pod.id, to: d.dns, port: 'TCP/53' });
  }
  for (const decl of Connections.of(app).declarations) {
    const clients = new Set<string>();
    for (const c of decl.clients.flatMap((x) => x.node.findAll())) {
      if (RuntimePods.isRuntimePods(c)) {
        pods
          .filter((p) => p.namespace === c.namespace && matches(c.labels, p.labels))
          .forEach((p) => clients.add(p.id));
      } else if (ApiObject.isApiObject(c) && WORKLOADS.includes(c.kind)) {
        const ns = obj(obj(c.toJson()).metadata).namespace;
        clients.add(`${String(ns)}/${c.kind}/${c.name}`);
      }
    }
    for (const from of clients) {
      const t = decl.target;
      let targets: { to: string; port: string }[];
      if (typeof t === 'string') {
        const { host, port } = parseAddress(t);
        const r = resolveAddress(pods, services, from, host, port, d.externalCidrs);
        targets = r === 'any-port' ? [] : r;
      } else if ('serviceName' in t) {
        const r = resolveAddress(pods, services, from, t.host, t.port, d.externalCidrs);
        targets = r === 'any-port' ? [] : r;
      } else if ('kind' in t && t.kind === 'kubernetes-api') {
        targets = d.apiCidrs.flatMap((c) => d.apiPorts.map((p) => ({ to: `cidr:${c}`, port: `TCP/${p}` })));
      } else if ('kind' in t) {
        targets = services
          .filter(
            (s) => t.namespaces.includes(s.namespace) && s.annotations['prometheus.io/scrape'] === 'true',
          )
          .flatMap((s) => {
            const annotated = s.annotations['prometheus.io/port'];
            return annotated !== undefined
              ? pods
                  .filter((p) => p.namespace === s.namespace && matches(s.selector, p.labels))
                  .map((p) => ({ to: p.id, port: `TCP/${annotated}` }))
              : s.ports.flatMap((port) => behind(pods, s, port).map((b) => ({ to: b.pod.id, port: b.port })));
          });
      } else {
        const host = t.host;
        const ends = host !== undefined && /^\d+(\.\d+){3}$/.test(host) ? [`${host}/32`] : d.externalCidrs;
        targets = ends.map((c) => ({
          to: `cidr:${c}`,
          port: t.port === undefined ? '*' : `${t.protocol ?? 'TCP'}/${t.port}`,
        }));
      }
      targets.forEach((x) => edges.push({ from, ...x }));
    }
  }
  for (const ingress of objects.filter((o) => o.kind === 'Ingress')) {
    const ns = ingress.metadata.namespace ?? 'default';
    for (const rule of arr(obj(ingress.spec).rules).map(obj)) {
      for (const path of arr(obj(rule.http).paths).map(obj)) {
        const backend = obj(obj(path.backend).service);
        const service = services.find((s) => s.namespace === ns && s.name === backend.name);
        const wanted = obj(backend.port);
        const port = service?.ports.find((p) => p.port === wanted.number || p.name === wanted.name);
        if (service && port) {
          behind(pods, service, port).forEach((b) =>
            edges.push({ from: d.ingressController, to: b.pod.id, port: b.port }),
          );
        }
      }
    }
  }
  // A ServiceMonitor: the operator's Prometheus scrapes the named ports of the Services it selects.
  for (const monitor of objects.filter((o) => o.kind === 'ServiceMonitor')) {
    const ns = monitor.metadata.namespace ?? 'default';
    const spec = obj(monitor.spec);
    const selector = strings(obj(spec.selector).matchLabels);
    for (const service of services.filter((s) => s.namespace === ns && matches(selector, s.labels))) {
      for (const endpoint of arr(spec.endpoints).map(obj)) {
        const port = service.ports.find((p) => p.name === endpoint.port);
        if (port) {
          behind(pods, service, port).forEach((b) =>
            edges.push({ from: d.metricsScraper, to: b.pod.id, port: b.port }),
          );
        }
      }
    }
  }
  const isPod = (end: string): boolean => pods.some((p) => p.id === end);
  const render = (e: { from: string; to: string; port: string }): string => `${e.from} -> ${e.to} ${e.port}`;
  return {
    egress: [...new Set(edges.filter((e) => isPod(e.from)).map(render))].sort(),
    ingress: [...new Set(edges.filter((e) => isPod(e.to)).map(render))].sort(),
  };
}

function parseAddress(address: string): { host: string; port?: number } {
  const hp = /^([A-Za-z0-9.-]+):(\d+)$/.exec(address);
  if (hp) return { host: hp[1], port: Number(hp[2]) };
  const url = new URL(address.replace(/^jdbc:/, ''));
  const port =
    url.port !== ''
      ? Number(url.port)
      : url.protocol === 'https:'
        ? 443
        : url.protocol === 'http:'
          ? 80
          : undefined;
  return { host: url.hostname, ...(port !== undefined ? { port } : {}) };
}

/**
 * Variables whose value names an address the pod does not connect to: Cube Store's own advertised
 * address, and the create-catalog request body the catalog-setup Job hands to Polaris (the storage
 * endpoint Polaris, not the Job, will use).
 */
const NOT_A_CONNECTION = new Set(['CUBESTORE_SERVER_NAME', 'CATALOG_REQUEST']);

/** One address found in a pod's configuration. */
export interface ConfiguredAddress {
  /** The pod. */
  readonly pod: string;
  /** Host name or address. */
  readonly host: string;
  /** Port, when the configuration gives one. */
  readonly port?: number;
  /** Where it was found. */
  readonly source: string;
}

// scheme://[user[:password]@]host[:port]: the user part (a DSN's user name) is not a host.
const URL_RE = /\b([a-z][a-z0-9+.-]*):\/\/(?:[^\s/@'"]*@)?([^\s/:'"?#,@]+)(?::(\d{1,5}))?/g;
const CLUSTER_HOST = /[a-z0-9{}.-]+\.svc\.cluster\.local/g;
const HOST_AND_PORT =
  /(?<![\w.{}/-])([a-z0-9{}.-]+\.svc\.cluster\.local|[a-z0-9][-a-z0-9]*)(?::| +)(\d{1,5})\b/g;

/**
 * Every address a pod is configured with: URLs, `host:port` and `host port` pairs (init scripts),
 * `-h host -p port`, `*_HOST` variables with their `*_PORT` sibling, and `host`/`hostname` keys next
 * to `port` in YAML/JSON files, in its env values, args, commands and the ConfigMaps it reads or
 * mounts. A Service host without any port is reported without one.
 */
export function configuredAddresses(objects: K8sObject[]): ConfiguredAddress[] {
  const pods = podsOf(objects);
  const services = servicesOf(objects);
  const configMaps = new Map(
    objects
      .filter((o) => o.kind === 'ConfigMap')
      .map((o) => [`${o.metadata.namespace ?? 'default'}/${o.metadata.name}`, strings(o.data)]),
  );
  const found: ConfiguredAddress[] = [];
  for (const pod of pods) {
    const texts: { source: string; text: string; env?: Record<string, string> }[] = [];
    const cm = (name: string): Record<string, string> => configMaps.get(`${pod.namespace}/${name}`) ?? {};
    for (const c of containersOf(pod.spec)) {
      // envFrom first: a variable of `env` wins over one of the same name from envFrom.
      const env: Record<string, string> = {};
      for (const name of [
        ...pod.extraEnvFrom,
        ...arr(c.envFrom).map((e) => str(obj(obj(e).configMapRef).name)),
      ]) {
        if (name !== undefined) Object.assign(env, cm(name));
      }
      for (const e of arr(c.env).map(obj)) {
        const name = String(e.name);
        const ref = obj(obj(e.valueFrom).configMapKeyRef);
        const value =
          str(e.value) ?? (ref.name !== undefined ? cm(String(ref.name))[String(ref.key)] : undefined);
        if (value !== undefined) env[name] = value;
      }
      Object.assign(env, pod.extraEnv);
      for (const [name, value] of Object.entries(env)) {
        if (!NOT_A_CONNECTION.has(name)) texts.push({ source: `${c.name} env ${name}`, text: value, env });
      }
      [...arr(c.command), ...arr(c.args)].forEach((a, i) =>
        texts.push({ source: `${c.name} command[${i}]`, text: String(a) }),
      );
    }
    const mounted = [
      ...pod.extraMounts,
      ...arr(pod.spec.volumes).flatMap((v) => [
        str(obj(obj(v).configMap).name),
        ...arr(obj(obj(v).projected).sources).map((s) => str(obj(obj(s).configMap).name)),
      ]),
    ].filter((n): n is string => n !== undefined);
    for (const name of mounted) {
      for (const [key, text] of Object.entries(cm(name)))
        texts.push({ source: `ConfigMap ${name} ${key}`, text });
    }

    for (const { source, text, env } of texts) {
      const add = (host: string, port: number | undefined): void => {
        if (['localhost', '127.0.0.1', '0.0.0.0', '::'].includes(host)) return;
        found.push({ pod: pod.id, host, ...(port !== undefined ? { port } : {}), source });
      };
      const hostsWithPort = new Set<string>();
      for (const m of text.matchAll(URL_RE)) {
        const port =
          m[3] !== undefined ? Number(m[3]) : m[1] === 'https' ? 443 : m[1] === 'http' ? 80 : undefined;
        add(m[2], port);
        if (port !== undefined) hostsWithPort.add(m[2]);
      }
      for (const m of text.matchAll(HOST_AND_PORT)) {
        const host = m[1];
        if (
          host.endsWith(CLUSTER_SUFFIX) ||
          services.some((s) => s.namespace === pod.namespace && s.name === host)
        ) {
          add(host, Number(m[2]));
          hostsWithPort.add(host);
        }
      }
      for (const m of text.matchAll(/-h\s+(\S+)\s+-p\s+(\d+)/g)) {
        add(m[1], Number(m[2]));
        hostsWithPort.add(m[1]);
      }
      for (const doc of structured(text)) {
        walk(doc, (node) => {
          const host = str(node.host) ?? str(node.hostname);
          if (host !== undefined && typeof node.port === 'number') {
            add(host, node.port);
            hostsWithPort.add(host);
          }
        });
      }
      for (const m of text.matchAll(CLUSTER_HOST)) {
        if (hostsWithPort.has(m[0])) continue;
        const name = source.replace(/^.* env /, '');
        const sibling = env && name.endsWith('HOST') ? env[name.replace(/HOST$/, 'PORT')] : undefined;
        add(m[0], sibling !== undefined ? Number(sibling) : undefined);
      }
    }
    if (pod.spec.automountServiceAccountToken === true) {
      found.push({
        pod: pod.id,
        host: 'kubernetes.default.svc',
        port: 443,
        source: 'automountServiceAccountToken',
      });
    }
  }
  return found;
}

function structured(text: string): unknown[] {
  try {
    return [JSON.parse(text)];
  } catch {
    try {
      const doc: unknown = parseYaml(text);
      return typeof doc === 'object' && doc !== null ? [doc] : [];
    } catch {
      return [];
    }
  }
}

function walk(node: unknown, visit: (o: Json) => void): void {
  if (Array.isArray(node)) node.forEach((n) => walk(n, visit));
  else if (node !== null && typeof node === 'object') {
    visit(node as Json);
    Object.values(node as Json).forEach((n) => walk(n, visit));
  }
}

/**
 * Every configured address of every pod that the policies do not allow in both directions
 * (`allows`): Services resolve to their pods and target ports, external hosts to `externalCidrs`,
 * the API server (pods with a token) to `apiCidrs` on 443, a Service without a port to any of its ports.
 */
export function checkConfiguredConnections(objects: K8sObject[], defaults: EdgeDefaults = {}): string[] {
  const d = { ...DEFAULTS, ...defaults };
  const edges = allowedEdges(objects);
  const pods = podsOf(objects);
  const services = servicesOf(objects);
  const problems: string[] = [];
  for (const a of configuredAddresses(objects)) {
    const where = `${a.pod} (${a.source}: ${a.host}${a.port !== undefined ? `:${a.port}` : ''})`;
    if (a.host === 'kubernetes.default.svc') {
      const ok = d.apiCidrs.some((c) =>
        d.apiPorts.some((p) => allows(edges, a.pod, `cidr:${c}`, `TCP/${p}`).length === 0),
      );
      if (!ok) problems.push(`${where}: no egress to the API server`);
      continue;
    }
    const resolved = resolveAddress(pods, services, a.pod, a.host, a.port, d.externalCidrs);
    if (resolved === 'any-port') {
      const [name, ns] = a.host.replace(CLUSTER_SUFFIX, '').split('.').slice(-2);
      const service = services.find((s) => s.namespace === ns && s.name === name);
      const ok = service?.ports.some((port) =>
        behind(pods, service, port).every((b) => allows(edges, a.pod, b.pod.id, b.port).length === 0),
      );
      if (!ok) problems.push(`${where}: no port of the Service is allowed`);
      continue;
    }
    if (resolved.length === 0) problems.push(`${where}: resolves to no pod`);
    for (const r of resolved) {
      if (r.to.startsWith('namespace:') && r.port === '*') {
        // A Service of another app without a port: any port of its namespace will do.
        if (!edges.egress.some((e) => e.startsWith(`${a.pod} -> ${r.to} `))) {
          problems.push(`${where}: no egress to ${r.to}`);
        }
        continue;
      }
      if (r.to.startsWith('cidr:')) {
        // Any of the CIDRs will do: external hosts are allowed by address range.
        const ok = resolved.some((x) => allows(edges, a.pod, x.to, x.port).length === 0);
        if (!ok) problems.push(`${where}: no egress to ${resolved.map((x) => x.to).join(' or ')} ${r.port}`);
        break;
      }
      for (const m of allows(edges, a.pod, r.to, r.port)) problems.push(`${where}: ${m}`);
    }
  }
  return [...new Set(problems)].sort();
}
