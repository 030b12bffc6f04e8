import { Chart, Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { Connections, NetworkProtocol } from './connections';
import { FloeValidationError } from './errors';
import { recommendedLabels, WorkloadIdentity } from './labels';
import {
  NetworkPath,
  PathEnd,
  PathSettings,
  PodGroup,
  PortRef,
  resolveNetwork,
  labelKey,
} from './network-paths';
import { checkConstructProps } from './props-check';
import { validateDnsLabel, validateLabelValue, validatePort } from './validation';

/** The label every namespace carries with its own name (Kubernetes 1.21 and later). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** Name of the policy that denies every connection the other policies do not allow. */
export const DEFAULT_DENY_POLICY = 'default-deny';

/** Name of the policy that lets every pod of the namespace query DNS. */
export const ALLOW_DNS_POLICY = 'allow-dns';

/** Where pods resolve names. */
export interface NetworkPolicyDnsOptions {
  /**
   * Namespace of the cluster DNS pods.
   * @default 'kube-system'
   */
  readonly namespace?: string;
  /**
   * Labels of the cluster DNS pods (CoreDNS keeps kube-dns' label).
   * @default { 'k8s-app': 'kube-dns' }
   */
  readonly podLabels?: Record<string, string>;
  /**
   * More DNS server addresses pods query, e.g. NodeLocal DNSCache's `169.254.20.10/32`.
   * @default - none
   */
  readonly cidrs?: string[];
}

/**
 * Where the Kubernetes API server is. NetworkPolicy cannot select it by labels: it is allowed by
 * address and port. Depending on the CNI, egress rules see the Service address (port 443) or, after
 * kube-proxy's translation, the API server's own address (often port 6443), so both ports are allowed.
 */
export interface NetworkPolicyKubernetesApiOptions {
  /**
   * CIDRs of the API server (its endpoints, `kubectl get endpointslices -n default -l
   * kubernetes.io/service-name=kubernetes`, and the `kubernetes` Service address).
   * @default ['0.0.0.0/0']
   */
  readonly cidrs?: string[];
  /**
   * Ports of the API server.
   * @default [443, 6443]
   */
  readonly ports?: number[];
}

/** The ingress controller that forwards to the Services an Ingress exposes. */
export interface NetworkPolicyIngressControllerOptions {
  /**
   * Namespace of the controller pods.
   * @default 'ingress-nginx'
   */
  readonly namespace?: string;
  /**
   * Labels of the controller pods.
   * @default { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' }
   */
  readonly podLabels?: Record<string, string>;
}

/** The Prometheus that scrapes the platform's ServiceMonitors (a Prometheus operator's). */
export interface NetworkPolicyMetricsScraperOptions {
  /**
   * Namespace of the Prometheus pods.
   * @default 'monitoring'
   */
  readonly namespace?: string;
  /**
   * Labels of the Prometheus pods (the operator labels the pods of every Prometheus it manages so).
   * @default { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/managed-by': 'prometheus-operator' }
   */
  readonly podLabels?: Record<string, string>;
}

/**
 * Network isolation settings of a chart: every namespace it creates denies all traffic by
 * default, and every declared connection (see `connect`) is allowed at both ends.
 */
export interface NetworkPolicyOptions {
  /**
   * The DNS servers every pod may query (UDP and TCP 53).
   * @default - the cluster DNS: pods labelled `k8s-app: kube-dns` in `kube-system`
   */
  readonly dns?: NetworkPolicyDnsOptions;
  /**
   * The Kubernetes API server, for the pods that call it (Dagster's webserver and daemon,
   * Prometheus' Service discovery).
   * @default - any address (`0.0.0.0/0`) on ports 443 and 6443
   */
  readonly kubernetesApi?: NetworkPolicyKubernetesApiOptions;
  /**
   * The ingress controller, allowed to reach the Services this chart's Ingresses expose.
   * @default - ingress-nginx: pods `app.kubernetes.io/name: ingress-nginx`, `app.kubernetes.io/component: controller` in `ingress-nginx`
   */
  readonly ingressController?: NetworkPolicyIngressControllerOptions;
  /**
   * The Prometheus that the chart's ServiceMonitors configure, allowed to reach the metrics ports
   * they name (`FloePlatformProps.monitoring`).
   * @default - operator-managed Prometheus pods in namespace `monitoring`
   */
  readonly metricsScraper?: NetworkPolicyMetricsScraperOptions;
  /**
   * CIDRs servers outside the cluster are reached in (an external database, S3, a catalog, source
   * APIs): NetworkPolicy cannot match host names, so narrow this to your networks where you can.
   * @default ['0.0.0.0/0']
   */
  readonly externalCidrs?: string[];
}

/** Properties of `NetworkIsolation`. */
export interface NetworkIsolationProps extends NetworkPolicyOptions {
  /** Labels of the policies (their component is set to `network-policy`). */
  readonly identity: WorkloadIdentity;
  /**
   * Write the namespace-wide policies (`default-deny`, `allow-dns`). Off for a chart that shares a
   * namespace another chart isolates; its workloads still get their own policies.
   * @default true
   */
  readonly namespacePolicies?: boolean;
  /**
   * Property path error messages name, e.g. `networkPolicies`.
   * @default 'networkPolicies'
   */
  readonly field?: string;
}

interface ResolvedOptions extends PathSettings {
  readonly dnsNamespace: string;
  readonly dnsLabels: Readonly<Record<string, string>>;
  readonly dnsCidrs: readonly string[];
}

const DEFAULTS: ResolvedOptions = {
  dnsNamespace: 'kube-system',
  dnsLabels: { 'k8s-app': 'kube-dns' },
  dnsCidrs: [],
  kubernetesApiCidrs: ['0.0.0.0/0'],
  kubernetesApiPorts: [443, 6443],
  ingressControllerNamespace: 'ingress-nginx',
  ingressControllerLabels: {
    'app.kubernetes.io/name': 'ingress-nginx',
    'app.kubernetes.io/component': 'controller',
  },
  metricsScraperNamespace: 'monitoring',
  metricsScraperLabels: {
    'app.kubernetes.io/name': 'prometheus',
    'app.kubernetes.io/managed-by': 'prometheus-operator',
  },
  externalCidrs: ['0.0.0.0/0'],
};

/**
 * The NetworkPolicies of one chart's namespace: `default-deny` (no ingress, no egress for any pod),
 * `allow-dns` (every pod may query the cluster DNS) and, written when the app is synthesized, one
 * policy per workload of the chart, named after it, with an egress rule for every connection its
 * pods make and an ingress rule for every connection made to them: from the app's declared
 * connections (`connect`), the metrics ports Prometheus scrapes and the Services Ingresses expose.
 * Charts in other namespaces get the matching rules of the other end.
 *
 * Needs a CNI that enforces NetworkPolicy (Calico, Cilium, ...); without one the policies are
 * accepted and ignored.
 */
export class NetworkIsolation extends Construct {
  /** The namespace isolated. */
  public readonly namespace: string;
  /** `default-deny`, when namespace policies are written. */
  public readonly defaultDenyPolicy?: k8s.KubeNetworkPolicy;
  /** `allow-dns`, when namespace policies are written. */
  public readonly allowDnsPolicy?: k8s.KubeNetworkPolicy;
  /** Whether this chart writes the namespace-wide policies. */
  public readonly namespacePolicies: boolean;
  /** @internal */
  public readonly _settings: ResolvedOptions;
  /** @internal */
  public readonly _identity: WorkloadIdentity;
  private readonly workloadPolicies = new Map<string, k8s.KubeNetworkPolicy>();

  public constructor(scope: Construct, id: string, props: NetworkIsolationProps) {
    checkConstructProps(scope, id, 'NetworkIsolationProps', props);
    super(scope, id);
    const chart = Chart.of(this);
    this.namespace = chart.namespace ?? 'default';
    this._settings = resolveOptions(chart, props.field ?? 'networkPolicies', props);
    this._identity = { ...props.identity, component: 'network-policy' };
    this.namespacePolicies = props.namespacePolicies ?? true;
    if (this.namespacePolicies) {
      this.defaultDenyPolicy = new k8s.KubeNetworkPolicy(this, DEFAULT_DENY_POLICY, {
        metadata: { name: DEFAULT_DENY_POLICY, labels: recommendedLabels(this._identity) },
        spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
      });
      this.allowDnsPolicy = new k8s.KubeNetworkPolicy(this, ALLOW_DNS_POLICY, {
        metadata: { name: ALLOW_DNS_POLICY, labels: recommendedLabels(this._identity) },
        spec: { podSelector: {}, policyTypes: ['Egress'], egress: [dnsRule(this._settings)] },
      });
    }
    Renderer.of(this).register(this);
  }

  /** The per-workload policies, by workload, once the app has been synthesized (or validated). */
  public get workloadPolicyObjects(): readonly k8s.KubeNetworkPolicy[] {
    return [...this.workloadPolicies.values()];
  }

  /** @internal */
  public _workloadPolicy(key: string, create: () => k8s.KubeNetworkPolicy): k8s.KubeNetworkPolicy {
    let policy = this.workloadPolicies.get(key);
    if (policy === undefined) {
      policy = create();
      this.workloadPolicies.set(key, policy);
    }
    return policy;
  }
}

/** The one renderer of an app: resolves the paths once and writes every chart's workload policies. */
class Renderer {
  public static of(scope: IConstruct): Renderer {
    const root = scope.node.root;
    let renderer = RENDERERS.get(root);
    if (renderer === undefined) {
      renderer = new Renderer(root);
      RENDERERS.set(root, renderer);
    }
    return renderer;
  }

  private readonly isolations: NetworkIsolation[] = [];
  private readonly byChart = new Map<Chart, NetworkIsolation>();
  private readonly specs = new Map<string, k8s.NetworkPolicySpec>();
  private readonly taken = new Map<string, Set<string>>();
  private created = 0;
  private fingerprint = '';
  private problems: string[] = [];

  private constructor(private readonly root: IConstruct) {}

  public register(isolation: NetworkIsolation): void {
    if (this.isolations.length === 0) {
      // Validation runs before every chart is rendered, in `app.synth()`, `Testing.synth()` and
      // `synthesize()`, once the whole tree exists: the policies can only be written then.
      isolation.node.addValidation({ validate: () => this.render() });
    }
    this.isolations.push(isolation);
    const chart = Chart.of(isolation);
    if (this.byChart.has(chart)) {
      throw new Error(`internal: two NetworkIsolation in chart ${chart.node.path}`);
    }
    this.byChart.set(chart, isolation);
  }

  private isolationOf(chart: Chart): NetworkIsolation | undefined {
    return this.byChart.get(chart);
  }

  public render(): string[] {
    const fingerprint = `${this.root.node.findAll().length - this.created}/${Connections.of(this.root).declarations.length}`;
    if (fingerprint === this.fingerprint) return this.problems;
    this.fingerprint = fingerprint;

    const model = resolveNetwork(this.root, (chart) => this.isolationOf(chart)?._settings ?? DEFAULTS);
    this.problems = [...model.crossChartGroups];
    if (this.problems.length > 0) return this.problems;
    const covered = new Set(this.isolations.filter((i) => i.namespacePolicies).map((i) => i.namespace));
    const outbound = new Map<string, NetworkPath[]>();
    const inbound = new Map<string, NetworkPath[]>();
    const index = (map: Map<string, NetworkPath[]>, end: PathEnd, path: NetworkPath): void => {
      if (end.kind !== 'pods') return;
      const list = map.get(end.group.key);
      if (list) list.push(path);
      else map.set(end.group.key, [path]);
    };
    for (const path of model.paths) {
      index(outbound, path.from, path);
      index(inbound, path.to, path);
    }
    // By namespace and name, so that the policies are written in the order `kubectl get` lists them.
    const ordered = [...model.groups].sort(
      (a, b) =>
        a.namespace.localeCompare(b.namespace) ||
        a.name.localeCompare(b.name) ||
        a.kind.localeCompare(b.kind),
    );
    for (const group of ordered) {
      const isolation = this.isolationOf(group.chart);
      if (isolation === undefined) continue;
      const egress = new RuleSet();
      const ingress = new RuleSet();
      for (const path of outbound.get(group.key) ?? []) egress.add(path.to, group.namespace, path);
      for (const path of inbound.get(group.key) ?? []) ingress.add(path.from, group.namespace, path);
      // Pods in a namespace without `allow-dns` (a foreign run namespace) get DNS in their own policy.
      const ownDns = !covered.has(group.namespace);
      if (egress.size === 0 && ingress.size === 0 && !ownDns && !this.specs.has(group.key)) continue;
      const egressRules = [
        ...(ownDns ? [dnsRule(isolation._settings)] : []),
        ...egress.rules().map(({ peers, ports }) => ({ to: peers, ...(ports ? { ports } : {}) })),
      ];
      const ingressRules = ingress
        .rules()
        .map(({ peers, ports }) => ({ from: peers, ...(ports ? { ports } : {}) }));
      this.specs.set(group.key, {
        podSelector: { matchLabels: { ...group.selector } },
        policyTypes: ['Ingress', 'Egress'],
        ...(ingressRules.length > 0 ? { ingress: ingressRules } : {}),
        ...(egressRules.length > 0 ? { egress: egressRules } : {}),
      });
      isolation._workloadPolicy(group.key, () => {
        const name = this.nameFor(group);
        this.created++;
        return new k8s.KubeNetworkPolicy(isolation, `${group.namespace}.${name}`, {
          metadata: {
            name,
            labels: recommendedLabels(isolation._identity),
            ...(group.namespace !== isolation.namespace ? { namespace: group.namespace } : {}),
          },
          spec: Lazy.any({ produce: () => this.specs.get(group.key) }),
        });
      });
    }
    return this.problems;
  }

  /** A policy name unique in the namespace: the workload's, else with its kind, else numbered. */
  private nameFor(group: PodGroup): string {
    const names = this.taken.get(group.namespace) ?? new Set([DEFAULT_DENY_POLICY, ALLOW_DNS_POLICY]);
    this.taken.set(group.namespace, names);
    const withKind = `${group.name}-${group.kind.toLowerCase()}`;
    let name = [group.name, withKind].find((c) => !names.has(c));
    for (let i = 2; name === undefined; i++) {
      if (!names.has(`${withKind}-${i}`)) name = `${withKind}-${i}`;
    }
    names.add(name);
    return name;
  }
}

const RENDERERS = new WeakMap<IConstruct, Renderer>();

/**
 * Writes the per-workload NetworkPolicies of the app of `scope` now, as its validation would
 * (idempotent: the validation then finds nothing new). For checks that must see every object of
 * the app, such as `checkObjectCollisions`. Does nothing in an app without `NetworkIsolation`.
 */
export function renderNetworkPolicies(scope: IConstruct): void {
  RENDERERS.get(scope.node.root)?.render();
}

interface Peer {
  readonly key: string;
  readonly peer: k8s.NetworkPolicyPeer;
}

/** The peers and ports of one direction of a policy, grouped into rules. */
class RuleSet {
  private readonly byPeer = new Map<
    string,
    { peer: k8s.NetworkPolicyPeer; ports: Map<string, PortRef>; all: boolean }
  >();

  public get size(): number {
    return this.byPeer.size;
  }

  public add(end: PathEnd, namespace: string, path: NetworkPath): void {
    for (const { key, peer } of peersOf(end, namespace)) {
      const entry = this.byPeer.get(key) ?? { peer, ports: new Map<string, PortRef>(), all: false };
      this.byPeer.set(key, entry);
      if (path.port === undefined) entry.all = true;
      else entry.ports.set(portKey(path.port), path.port);
    }
  }

  /** One rule per set of ports, its peers sorted; rules sorted by their ports. */
  public rules(): { peers: k8s.NetworkPolicyPeer[]; ports?: k8s.NetworkPolicyPort[] }[] {
    const byPorts = new Map<
      string,
      { ports?: PortRef[]; peers: { key: string; peer: k8s.NetworkPolicyPeer }[] }
    >();
    for (const [key, entry] of this.byPeer) {
      const ports = entry.all ? undefined : [...entry.ports.entries()].sort(([a], [b]) => a.localeCompare(b));
      const setKey = ports === undefined ? '*' : ports.map(([k]) => k).join(',');
      const rule = byPorts.get(setKey) ?? { ...(ports ? { ports: ports.map(([, p]) => p) } : {}), peers: [] };
      rule.peers.push({ key, peer: entry.peer });
      byPorts.set(setKey, rule);
    }
    return [...byPorts.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, rule]) => ({
        peers: rule.peers.sort((a, b) => a.key.localeCompare(b.key)).map((p) => p.peer),
        ...(rule.ports
          ? {
              ports: rule.ports.map((p) => ({
                protocol: p.protocol,
                port: k8s.IntOrString.fromNumber(p.port),
              })),
            }
          : {}),
      }));
  }
}

function portKey(p: PortRef): string {
  return `${p.protocol}/${String(p.port).padStart(5, '0')}`;
}

function namespaceSelector(namespace: string): k8s.LabelSelector {
  return { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } };
}

/** The peers a path end is, as seen from a policy in `namespace`. */
function peersOf(end: PathEnd, namespace: string): Peer[] {
  switch (end.kind) {
    case 'pods':
    case 'selector': {
      const ns = end.kind === 'pods' ? end.group.namespace : end.namespace;
      const labels = end.kind === 'pods' ? end.group.selector : end.labels;
      const podSelector = { matchLabels: { ...labels } };
      return [
        ns === namespace
          ? { key: `1 ${ns} ${labelKey(labels)}`, peer: { podSelector } }
          : {
              key: `1 ${ns} ${labelKey(labels)}`,
              peer: { namespaceSelector: namespaceSelector(ns), podSelector },
            },
      ];
    }
    case 'namespace':
      return [{ key: `2 ${end.namespace}`, peer: { namespaceSelector: namespaceSelector(end.namespace) } }];
    case 'cidrs':
      return end.cidrs.map((cidr) => ({ key: `3 ${cidr}`, peer: { ipBlock: { cidr } } }));
  }
}

function dnsRule(s: ResolvedOptions): k8s.NetworkPolicyEgressRule {
  return {
    to: [
      {
        namespaceSelector: namespaceSelector(s.dnsNamespace),
        podSelector: { matchLabels: { ...s.dnsLabels } },
      },
      ...s.dnsCidrs.map((cidr) => ({ ipBlock: { cidr } })),
    ],
    ports: (['UDP', 'TCP'] as NetworkProtocol[]).map((protocol) => ({
      protocol,
      port: k8s.IntOrString.fromNumber(53),
    })),
  };
}

const IPV4_CIDR =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/;
const IPV6_CIDR = /^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*\/(12[0-8]|1[01]\d|[1-9]?\d)$/;
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

function cidrs(
  scope: IConstruct,
  field: string,
  value: string[] | undefined,
  fallback: readonly string[],
): string[] {
  const list = value ?? [...fallback];
  if (!Array.isArray(list)) {
    throw new FloeValidationError(scope, field, list, "a list of CIDRs such as '10.0.0.0/8'");
  }
  list.forEach((c, i) => {
    if (typeof c !== 'string' || !(IPV4_CIDR.test(c) || IPV6_CIDR.test(c))) {
      throw new FloeValidationError(
        scope,
        `${field}[${i}]`,
        c,
        "a CIDR: an IPv4 or IPv6 address with a prefix length, e.g. '10.0.0.0/8' or 'fd00::/8'",
      );
    }
  });
  return list;
}

function labels(
  scope: IConstruct,
  field: string,
  value: Record<string, string> | undefined,
  fallback: Readonly<Record<string, string>>,
): Record<string, string> {
  const map = value ?? { ...fallback };
  if (map === null || typeof map !== 'object' || Object.keys(map).length === 0) {
    throw new FloeValidationError(scope, field, map, 'at least one label, e.g. { "k8s-app": "kube-dns" }');
  }
  for (const [k, v] of Object.entries(map)) {
    if (!LABEL_KEY.test(k)) {
      throw new FloeValidationError(scope, `${field}`, k, "label keys of the form 'prefix/name' or 'name'");
    }
    validateLabelValue(scope, `${field}.${k}`, v);
  }
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => a.localeCompare(b)));
}

/** A peer given by namespace and pod labels, validated, with its defaults. */
function podPeer(
  scope: IConstruct,
  field: string,
  given: { readonly namespace?: string; readonly podLabels?: Record<string, string> } | undefined,
  namespace: string,
  podLabels: Readonly<Record<string, string>>,
): { namespace: string; labels: Record<string, string> } {
  return {
    namespace: validateDnsLabel(scope, `${field}.namespace`, given?.namespace ?? namespace),
    labels: labels(scope, `${field}.podLabels`, given?.podLabels, podLabels),
  };
}

function resolveOptions(scope: IConstruct, field: string, o: NetworkPolicyOptions): ResolvedOptions {
  const ports = o.kubernetesApi?.ports ?? [...DEFAULTS.kubernetesApiPorts];
  if (!Array.isArray(ports) || ports.length === 0) {
    throw new FloeValidationError(scope, `${field}.kubernetesApi.ports`, ports, 'at least one port');
  }
  ports.forEach((p, i) => validatePort(scope, `${field}.kubernetesApi.ports[${i}]`, p));
  const dns = podPeer(scope, `${field}.dns`, o.dns, DEFAULTS.dnsNamespace, DEFAULTS.dnsLabels);
  const ingress = podPeer(
    scope,
    `${field}.ingressController`,
    o.ingressController,
    DEFAULTS.ingressControllerNamespace,
    DEFAULTS.ingressControllerLabels,
  );
  const scraper = podPeer(
    scope,
    `${field}.metricsScraper`,
    o.metricsScraper,
    DEFAULTS.metricsScraperNamespace,
    DEFAULTS.metricsScraperLabels,
  );
  return {
    dnsNamespace: dns.namespace,
    dnsLabels: dns.labels,
    dnsCidrs: cidrs(scope, `${field}.dns.cidrs`, o.dns?.cidrs, DEFAULTS.dnsCidrs),
    kubernetesApiCidrs: cidrs(
      scope,
      `${field}.kubernetesApi.cidrs`,
      o.kubernetesApi?.cidrs,
      DEFAULTS.kubernetesApiCidrs,
    ),
    kubernetesApiPorts: [...new Set(ports)].sort((a, b) => a - b),
    ingressControllerNamespace: ingress.namespace,
    ingressControllerLabels: ingress.labels,
    metricsScraperNamespace: scraper.namespace,
    metricsScraperLabels: scraper.labels,
    externalCidrs: cidrs(scope, `${field}.externalCidrs`, o.externalCidrs, DEFAULTS.externalCidrs),
  };
}
