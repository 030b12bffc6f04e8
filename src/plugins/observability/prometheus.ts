import { ApiObject, JsonPatch } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { stringify } from 'yaml';
import { productionOptions, resolveProduction } from '../../core/availability';
import { CONFIG_CHECKSUM_ANNOTATION, configChecksum, configChecksumAnnotations } from '../../core/checksum';
import { ComponentProps, DEFAULT_PLATFORM_NAME, WorkloadOptions } from '../../core/component';
import { connect, KUBERNETES_API, metricsScrapeTargets } from '../../core/connections';
import { endpointUrl, namespaceOf, ServiceEndpoint, serviceEndpoint } from '../../core/endpoints';
import {
  MetricsEndpoint,
  metricsEndpoint,
  SCRAPE_ANNOTATIONS,
  scrapeAnnotations,
  validateUrlPath,
} from '../../core/metrics';
import { FloeValidationError } from '../../core/errors';
import { withExtraEnv } from '../../core/env';
import { ContainerImage, resolveImage } from '../../core/image';
import { selectorLabels, WorkloadIdentity } from '../../core/labels';
import { buildContainer, buildPodTemplate, configMapVolume, RunAs } from '../../core/pod';
import { httpProbe } from '../../core/probes';
import { checkConstructProps, checkProps } from '../../core/props-check';
import { ResourceRequirements } from '../../core/resources';
import { SecretRequirement } from '../../core/secrets';
import { addService, objectMeta } from '../../core/service';
import { validateDnsLabel, validatePort, validateQuantity, validateReplicas } from '../../core/validation';
import { MetricsBackendPlugin, PlatformDependencies, PluginProvider } from '../interfaces';
import { AlertRule, alertRuleFile } from './platform-alert-rules';
import { IngressTarget } from '../../core/ingress';

/** The official Prometheus image (busybox based, runs as `nobody`). */
export const PROMETHEUS_IMAGE: ContainerImage = {
  registry: 'quay.io',
  repository: 'prometheus/prometheus',
  tag: 'v3.14.0',
};

/** `nobody` (UID and GID 65534): the user the Prometheus image declares. */
export const PROMETHEUS_RUN_AS: RunAs = { user: 65534, group: 65534, fsGroup: 65534 };

/** Prometheus' HTTP port: UI, query API, `/metrics` and the OTLP receiver. */
export const PROMETHEUS_PORT = 9090;

/** Path of Prometheus' OTLP/HTTP receiver (needs `--web.enable-otlp-receiver`). */
export const PROMETHEUS_OTLP_PATH = '/api/v1/otlp';

/**
 * Annotations a Service carries to be scraped by a `Prometheus` with service discovery on; see
 * `SCRAPE_ANNOTATIONS` in core for the contract. Only Services in the namespaces the Prometheus
 * watches (`namespaces`) are discovered; the pods behind the Service are scraped directly (one
 * target per endpoint), with the labels `namespace`, `service` and `pod`.
 */
export const PROMETHEUS_SCRAPE_ANNOTATIONS = SCRAPE_ANNOTATIONS;

/** Name of the scrape job that discovers annotated Services. */
export const SERVICE_DISCOVERY_JOB = 'kubernetes-service-endpoints';

/** Name of the job in which Prometheus scrapes itself. */
export const SELF_SCRAPE_JOB = 'prometheus';

const CONFIG_KEY = 'prometheus.yml';
const CONFIG_DIR = '/etc/config';
/**
 * The rule file in the config ConfigMap, next to prometheus.yml: a relative `rule_files` path is
 * resolved against the configuration file's directory (prometheus/prometheus config/config.go,
 * `Config.SetDirectory`).
 * Empty (`groups: []`) until `addAlertRules`.
 */
const RULES_KEY = 'floe-alerts.yml';
const DATA_DIR = '/data';

const DEFAULT_RESOURCES: ResourceRequirements = {
  requests: { cpu: '250m', memory: '512Mi' },
  limits: { memory: '2Gi' },
};

/** A fixed list of targets scraped in one job. */
export interface StaticScrapeJob {
  /** Job name (the `job` label). Letters, digits, '_', '.', '-'; unique; not a name the construct uses. Required. */
  readonly jobName: string;
  /** `host:port` of each target, e.g. `my-exporter.monitoring.svc.cluster.local:9100`. Required, at least one. */
  readonly targets: string[];
  /**
   * Path of the metrics endpoint.
   * @default '/metrics'
   */
  readonly metricsPath?: string;
  /**
   * Scrape interval of this job, a Prometheus duration such as `15s`.
   * @default - the global `scrapeInterval`
   */
  readonly scrapeInterval?: string;
  /**
   * URL scheme.
   * @default 'http'
   */
  readonly scheme?: 'http' | 'https';
}

/** Properties of a `Prometheus` server. */
export interface PrometheusProps extends ComponentProps, Omit<WorkloadOptions, 'replicas'> {
  /**
   * Name of the StatefulSet, Service, ConfigMap, ServiceAccount, Roles and RoleBindings; the
   * headless Service is `<name>-headless`. A DNS-1123 label of at most 54 characters.
   * @default 'prometheus'
   */
  readonly name?: string;
  /**
   * Number of pods. Only 1 is supported: two Prometheus servers behind one Service are not highly
   * available but inconsistent. Each would scrape every target itself, OTLP pushes would be split
   * between them at random, and queries would see whichever half the Service picked. High
   * availability needs deduplication on top (Thanos, Mimir), outside this library's scope.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Size of the TSDB volume (a PersistentVolumeClaim of the StatefulSet, mounted at `/data`).
   * @default '8Gi'
   */
  readonly storageSize?: string;
  /**
   * StorageClass of the TSDB volume.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * How long samples are kept, a Prometheus duration (`15d`, `12h`, `2w`).
   * @default '15d'
   */
  readonly retentionTime?: string;
  /**
   * Largest size of the stored blocks before the oldest are deleted, e.g. `6GB` (units B, KB, MB,
   * GB, TB, PB, EB, powers of 2). Set it below `storageSize`: a full volume stops ingestion.
   * @default - no size-based retention
   */
  readonly retentionSize?: string;
  /**
   * How often targets are scraped, a Prometheus duration.
   * @default '30s'
   */
  readonly scrapeInterval?: string;
  /**
   * How far behind the newest sample an OTLP (or other) sample may still be ingested, a Prometheus
   * duration. The OpenTelemetry Collector batches and retries, so its samples can arrive out of
   * order; Prometheus' OTLP guide recommends `30m`. `0s` turns out-of-order ingestion off.
   * @default '30m'
   */
  readonly outOfOrderTimeWindow?: string;
  /**
   * OTLP resource attributes turned into labels of every series pushed over OTLP (besides
   * `service.name`, `service.namespace` and `service.instance.id`, which become `job` and
   * `instance`; the others stay on `target_info`), e.g. `['k8s.namespace.name', 'deployment.environment.name']`.
   * @default - none
   */
  readonly otlpPromoteResourceAttributes?: string[];
  /**
   * Discover and scrape Services annotated with `prometheus.io/scrape: "true"` (see
   * `PROMETHEUS_SCRAPE_ANNOTATIONS`). Creates a ServiceAccount and, per namespace, a Role and a
   * RoleBinding, and mounts an API token into the pod.
   * @default true
   */
  readonly serviceDiscovery?: boolean;
  /**
   * Namespaces whose Services are discovered. Each gets its own Role and RoleBinding (read access
   * to Services, Pods and EndpointSlices there and nowhere else), so no cluster-wide permission is
   * needed. The namespaces must exist.
   * @default - the chart's namespace
   */
  readonly namespaces?: string[];
  /**
   * Extra jobs with fixed targets.
   * @default - none
   */
  readonly staticJobs?: StaticScrapeJob[];
  /**
   * Pass `--web.enable-lifecycle`: `POST /-/reload` rereads the configuration (the mounted
   * ConfigMap is updated in place by the kubelet) and `POST /-/quit` stops the server. Neither is
   * authenticated; restrict who reaches port 9090 with a NetworkPolicy. A configuration change also
   * rolls the pod on its own (the `checksum/config` annotation), so this is only for manual reloads.
   * @default true
   */
  readonly enableLifecycle?: boolean;
}

/** Options of `Prometheus.provider`: every property but those the platform supplies. */
export type PrometheusProviderOptions = Omit<PrometheusProps, keyof ComponentProps>;

/**
 * A single Prometheus server: StatefulSet with a persistent TSDB volume, Service `prometheus` on
 * 9090 (plus `prometheus-headless`, which governs the StatefulSet), its configuration in a
 * ConfigMap and, for Kubernetes service discovery, a ServiceAccount with namespace-scoped read access. It scrapes itself and every Service that opts in with the
 * `prometheus.io/*` annotations, and receives OTLP metrics pushed by the OpenTelemetry Collector.
 * Runs as `nobody` (65534) with a read-only root filesystem; it writes only to `/data`.
 */
export class Prometheus extends Construct implements MetricsBackendPlugin {
  /**
   * The annotations that make a Service scraped by a `Prometheus` with service discovery on.
   * @param port container port to scrape
   * @param path metrics path
   */
  public static scrapeAnnotations(port: number, path = '/metrics'): Record<string, string> {
    return scrapeAnnotations(port, path, 'Prometheus.scrapeAnnotations');
  }

  /**
   * Builds a `Prometheus` inside the platform, with the platform's name, registry mirror and pull secrets.
   * @param options everything else
   */
  public static provider(options: PrometheusProviderOptions = {}): PluginProvider<MetricsBackendPlugin> {
    checkProps('Prometheus.provider()', 'PrometheusProviderOptions', options);
    return {
      provide: (scope: Construct, id: string, deps: PlatformDependencies): MetricsBackendPlugin =>
        new Prometheus(scope, id, {
          ...options,
          ...productionOptions(deps),
          platformName: deps.platformName,
          imageRegistry: deps.imageRegistry,
          imagePullSecrets: deps.imagePullSecrets,
        }),
    };
  }

  /** Query API base URL, e.g. `http://prometheus.floe-platform.svc.cluster.local:9090`. */
  public readonly queryUrl: string;
  /**
   * Full URL of the OTLP/HTTP metrics receiver,
   * `http://prometheus.<ns>.svc.cluster.local:9090/api/v1/otlp/v1/metrics`. It is used as is: in
   * the collector's `otlphttp` exporter it belongs in `metrics_endpoint` (for `endpoint`, which
   * appends `/v1/metrics` itself, use `otlpEndpoint`).
   */
  public readonly otlpMetricsUrl: string;
  /** OTLP/HTTP base URL, `.../api/v1/otlp`, for an `otlphttp` exporter's `endpoint`. */
  public readonly otlpEndpoint: string;
  /** The Service endpoint. */
  public readonly serviceEndpoint: ServiceEndpoint;
  /** Secrets that must exist: none. */
  public readonly requiredSecrets: readonly SecretRequirement[] = [];
  /** The resolved image. */
  public readonly image: ContainerImage;
  /** Labels of the pod. */
  public readonly identity: WorkloadIdentity;
  /** Selector labels of the pod. */
  public readonly selector: Record<string, string>;
  /** Namespaces whose Services are discovered (empty with `serviceDiscovery: false`). */
  public readonly discoveredNamespaces: readonly string[];
  /** The rendered `prometheus.yml`. */
  public readonly configYaml: string;
  /** The rule file (`floe-alerts.yml`, in the config ConfigMap): no groups until `addAlertRules`. */
  public get rulesYaml(): string {
    return this.rules;
  }
  /** The StatefulSet. */
  public readonly statefulSet: k8s.KubeStatefulSet;
  /** The Service. */
  public readonly service: k8s.KubeService;
  /** The metrics endpoint of the Service (Prometheus' own `/metrics`, for other Prometheus servers). */
  public readonly metricsEndpoints: readonly MetricsEndpoint[];
  /** The headless Service `<name>-headless` that governs the StatefulSet (pod DNS name). */
  public readonly headlessService: k8s.KubeService;
  /** The ConfigMap holding `prometheus.yml`. */
  public readonly configMap: k8s.KubeConfigMap;
  private rules = stringify({ groups: [] });
  private readonly configChecksums: boolean;
  /**
   * The ServiceAccount `<name>` (with service discovery, or with per-workload ServiceAccounts; it
   * mounts a token only with discovery).
   */
  public readonly serviceAccount?: k8s.KubeServiceAccount;
  /** One Role per discovered namespace. */
  public readonly roles: readonly k8s.KubeRole[];
  /** One RoleBinding per discovered namespace. */
  public readonly roleBindings: readonly k8s.KubeRoleBinding[];

  /** The UI and query API on port 9090. What an Ingress for this service targets. */
  public get webExposure(): IngressTarget {
    return { endpoint: this.serviceEndpoint, identity: this.identity };
  }

  public constructor(scope: Construct, id: string, props: PrometheusProps = {}) {
    checkConstructProps(scope, id, 'PrometheusProps', props);
    super(scope, id);
    const name = validateDnsLabel(this, 'name', props.name ?? 'prometheus', 54);
    if (validateReplicas(this, 'replicas', props.replicas ?? 1) !== 1) {
      throw new FloeValidationError(
        this,
        'replicas',
        props.replicas,
        '1 (replicated Prometheus servers need deduplication, e.g. Thanos, to be highly available)',
      );
    }
    const storageSize = validateQuantity(this, 'storageSize', props.storageSize ?? '8Gi');
    const retentionTime = validateDuration(this, 'retentionTime', props.retentionTime ?? '15d');
    const retentionSize =
      props.retentionSize === undefined
        ? undefined
        : validateByteSize(this, 'retentionSize', props.retentionSize);
    const scrapeInterval = validateDuration(this, 'scrapeInterval', props.scrapeInterval ?? '30s', false);
    const oooWindow = validateDuration(this, 'outOfOrderTimeWindow', props.outOfOrderTimeWindow ?? '30m');
    const promote = validateAttributeList(
      this,
      'otlpPromoteResourceAttributes',
      props.otlpPromoteResourceAttributes,
    );
    const discovery = props.serviceDiscovery ?? true;
    const production = resolveProduction(this, props);
    const namespace = namespaceOf(this);
    this.discoveredNamespaces = discovery ? validateNamespaces(this, props.namespaces ?? [namespace]) : [];
    const staticJobs = validateStaticJobs(this, props.staticJobs ?? []);

    this.image = resolveImage(this, 'image', PROMETHEUS_IMAGE, props.image, props.imageRegistry);
    this.identity = {
      name: 'prometheus',
      instance: name,
      component: 'server',
      partOf: props.platformName ?? DEFAULT_PLATFORM_NAME,
      version: this.image.tag,
    };
    this.selector = selectorLabels(this.identity);
    this.serviceEndpoint = serviceEndpoint(this, name, PROMETHEUS_PORT);
    this.queryUrl = endpointUrl(this.serviceEndpoint);
    this.otlpEndpoint = endpointUrl(this.serviceEndpoint, PROMETHEUS_OTLP_PATH);
    this.otlpMetricsUrl = `${this.otlpEndpoint}/v1/metrics`;

    this.configYaml = renderConfig({
      scrapeInterval,
      retentionTime,
      retentionSize,
      oooWindow,
      promote,
      namespaces: this.discoveredNamespaces,
      staticJobs,
    });
    this.configMap = new k8s.KubeConfigMap(this, 'config', {
      metadata: objectMeta(name, this.identity),
      data: { [CONFIG_KEY]: this.configYaml, [RULES_KEY]: this.rules },
    });
    this.configChecksums = production.configChecksums;

    const roles: k8s.KubeRole[] = [];
    const bindings: k8s.KubeRoleBinding[] = [];
    if (discovery || production.serviceAccounts) {
      this.serviceAccount = new k8s.KubeServiceAccount(this, 'service-account', {
        metadata: objectMeta(name, this.identity),
        // The pod template opts in explicitly; nothing else using this account gets a token.
        automountServiceAccountToken: false,
      });
      for (const ns of this.discoveredNamespaces) {
        roles.push(
          new k8s.KubeRole(this, `role-${ns}`, {
            metadata: { ...objectMeta(name, this.identity), namespace: ns },
            rules: [
              { apiGroups: [''], resources: ['services', 'pods'], verbs: ['get', 'list', 'watch'] },
              {
                apiGroups: ['discovery.k8s.io'],
                resources: ['endpointslices'],
                verbs: ['get', 'list', 'watch'],
              },
            ],
          }),
        );
        bindings.push(
          new k8s.KubeRoleBinding(this, `rolebinding-${ns}`, {
            metadata: { ...objectMeta(name, this.identity), namespace: ns },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
            subjects: [{ kind: 'ServiceAccount', name, namespace }],
          }),
        );
      }
    }
    this.roles = roles;
    this.roleBindings = bindings;

    const args = [
      `--config.file=${CONFIG_DIR}/${CONFIG_KEY}`,
      `--storage.tsdb.path=${DATA_DIR}`,
      // Retention is set in prometheus.yml (storage.tsdb.retention): the command-line flags for it
      // are deprecated since Prometheus 3.8, and the file takes precedence over them.
      '--web.enable-otlp-receiver',
      ...((props.enableLifecycle ?? true) ? ['--web.enable-lifecycle'] : []),
    ];
    const container = buildContainer(
      this,
      {
        name: 'prometheus',
        image: this.image,
        args,
        ports: [{ name: 'http', containerPort: PROMETHEUS_PORT, protocol: 'TCP' }],
        env: withExtraEnv(this, 'extraEnv', [], props.extraEnv),
        resources: props.resources ?? DEFAULT_RESOURCES,
        resourcesField: 'resources',
        // /-/ready answers 503 until the TSDB (WAL replay) is loaded; /-/healthy answers as soon as
        // the HTTP server runs, so a long WAL replay does not trip the liveness probe.
        readinessProbe: httpProbe('/-/ready', 'http', {
          periodSeconds: 5,
          timeoutSeconds: 4,
          failureThreshold: 3,
        }),
        livenessProbe: httpProbe('/-/healthy', 'http', {
          initialDelaySeconds: 30,
          periodSeconds: 15,
          timeoutSeconds: 10,
          failureThreshold: 3,
        }),
        volumeMounts: [
          { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
          { name: 'data', mountPath: DATA_DIR },
        ],
      },
      PROMETHEUS_RUN_AS,
    );

    const headlessName = `${name}-headless`;
    this.headlessService = addService(this, 'headless', {
      name: headlessName,
      identity: this.identity,
      headless: true,
      ports: [{ name: 'http', port: PROMETHEUS_PORT, targetPort: 'http', appProtocol: 'http' }],
    });
    this.metricsEndpoints = [
      metricsEndpoint(this, {
        serviceName: name,
        identity: this.identity,
        portName: 'http',
        port: PROMETHEUS_PORT,
        path: '/metrics',
      }),
    ];
    this.service = addService(this, 'service', {
      name,
      identity: this.identity,
      // It scrapes itself in its own job: no scrape annotations, or it would scrape itself twice.
      metrics: this.metricsEndpoints[0],
      metricsScrapeAnnotations: false,
      ports: [{ name: 'http', port: PROMETHEUS_PORT, targetPort: 'http', appProtocol: 'http' }],
    });

    this.statefulSet = new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: objectMeta(name, this.identity),
      spec: {
        serviceName: headlessName,
        replicas: 1,
        selector: { matchLabels: this.selector },
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate' },
        template: buildPodTemplate({
          identity: this.identity,
          runAs: PROMETHEUS_RUN_AS,
          containers: [container],
          volumes: [configMapVolume('config', name)],
          // Kubernetes service discovery calls the API: only then is a token mounted.
          ...(this.serviceAccount
            ? { serviceAccountName: name, automountServiceAccountToken: discovery }
            : {}),
          annotations: configChecksumAnnotations(production.configChecksums, this.configData()),
          scheduling: props,
          imagePullSecrets: props.imagePullSecrets,
          // Time to write the in-memory head block out on shutdown.
          terminationGracePeriodSeconds: 300,
        }),
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels: this.selector },
            spec: {
              accessModes: ['ReadWriteOnce'],
              ...(props.storageClassName ? { storageClassName: props.storageClassName } : {}),
              resources: { requests: { storage: k8s.Quantity.fromString(storageSize) } },
            },
          },
        ],
      },
    });
    if (discovery) {
      connect(this.statefulSet, KUBERNETES_API, 'Service discovery (endpointslices)');
      connect(
        this.statefulSet,
        metricsScrapeTargets(this.discoveredNamespaces),
        'scrapes annotated Services',
      );
    }
    for (const job of staticJobs) {
      connect(this.statefulSet, [...job.targets], `static scrape job ${job.jobName}`);
    }
  }

  /** The underlying objects, in the order they are written. */
  public get apiObjects(): ApiObject[] {
    return [
      this.configMap,
      ...(this.serviceAccount ? [this.serviceAccount] : []),
      ...this.roles,
      ...this.roleBindings,
      this.headlessService,
      this.service,
      this.statefulSet,
    ];
  }

  /**
   * Loads `groups` as the rule file of this Prometheus (`floe-alerts.yml` next to prometheus.yml,
   * named by its `rule_files`), so the alerts are evaluated without the Prometheus operator. The
   * platform passes the groups of its PrometheusRule (`platformAlertRuleGroups`): one definition.
   * The pod template's config checksum follows, so the change rolls the pod.
   */
  public addAlertRules(groups: Readonly<Record<string, readonly AlertRule[]>>): void {
    this.rules = stringify(alertRuleFile(groups), { lineWidth: 0 });
    this.configMap.addJsonPatch(JsonPatch.add(`/data/${RULES_KEY}`, this.rules));
    if (this.configChecksums) {
      const annotation = CONFIG_CHECKSUM_ANNOTATION.replace(/~/g, '~0').replace(/\//g, '~1');
      this.statefulSet.addJsonPatch(
        JsonPatch.add(`/spec/template/metadata/annotations/${annotation}`, configChecksum(this.configData())),
      );
    }
  }

  /** The data of the config ConfigMap, by ConfigMap name, for the config checksum. */
  private configData(): Record<string, Record<string, string>> {
    return { [this.configMap.name]: { [CONFIG_KEY]: this.configYaml, [RULES_KEY]: this.rules } };
  }
}

interface ConfigInput {
  readonly scrapeInterval: string;
  readonly retentionTime: string;
  readonly retentionSize?: string;
  readonly oooWindow: string;
  readonly promote: string[];
  readonly namespaces: readonly string[];
  readonly staticJobs: StaticScrapeJob[];
}

/** Meta label Prometheus derives from a Service annotation (non-alphanumerics become '_'). */
function annotationLabel(annotation: string): string {
  return `__meta_kubernetes_service_annotation_${annotation.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

function renderConfig(c: ConfigInput): string {
  const scrapeConfigs: Record<string, unknown>[] = [
    {
      job_name: SELF_SCRAPE_JOB,
      static_configs: [{ targets: [`localhost:${PROMETHEUS_PORT}`] }],
    },
  ];
  if (c.namespaces.length > 0) {
    const scrape = annotationLabel(PROMETHEUS_SCRAPE_ANNOTATIONS.scrape);
    const path = annotationLabel(PROMETHEUS_SCRAPE_ANNOTATIONS.path);
    const port = annotationLabel(PROMETHEUS_SCRAPE_ANNOTATIONS.port);
    scrapeConfigs.push({
      job_name: SERVICE_DISCOVERY_JOB,
      kubernetes_sd_configs: [{ role: 'endpointslice', namespaces: { names: [...c.namespaces] } }],
      relabel_configs: [
        // Only Services that opt in.
        { source_labels: [scrape], action: 'keep', regex: 'true' },
        // The endpointslice role also yields a target for every other container port of a pod;
        // keep those only when the port annotation points all targets at one port.
        {
          source_labels: [port, '__meta_kubernetes_endpointslice_port'],
          action: 'keep',
          regex: '(.+;.*|;.+)',
        },
        { source_labels: [path], action: 'replace', target_label: '__metrics_path__', regex: '(.+)' },
        {
          source_labels: ['__address__', port],
          action: 'replace',
          target_label: '__address__',
          regex: '(.+?)(?::\\d+)?;(\\d+)',
          replacement: '$1:$2',
        },
        { source_labels: ['__meta_kubernetes_namespace'], action: 'replace', target_label: 'namespace' },
        { source_labels: ['__meta_kubernetes_service_name'], action: 'replace', target_label: 'service' },
        { source_labels: ['__meta_kubernetes_pod_name'], action: 'replace', target_label: 'pod' },
      ],
    });
  }
  for (const job of c.staticJobs) {
    scrapeConfigs.push({
      job_name: job.jobName,
      metrics_path: job.metricsPath ?? '/metrics',
      scheme: job.scheme ?? 'http',
      ...(job.scrapeInterval ? { scrape_interval: job.scrapeInterval } : {}),
      static_configs: [{ targets: [...job.targets] }],
    });
  }
  const config: Record<string, unknown> = {
    global: { scrape_interval: c.scrapeInterval },
    rule_files: [RULES_KEY],
    scrape_configs: scrapeConfigs,
    storage: {
      tsdb: {
        out_of_order_time_window: c.oooWindow,
        retention: { time: c.retentionTime, ...(c.retentionSize ? { size: c.retentionSize } : {}) },
      },
    },
    ...(c.promote.length > 0 ? { otlp: { promote_resource_attributes: c.promote } } : {}),
  };
  return stringify(config, { sortMapEntries: true, lineWidth: 0 });
}

const DURATION = /^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$/;

/** Checks a Prometheus duration such as `30s`, `15d` or `1h30m`. */
function validateDuration(
  scope: IConstruct | string,
  field: string,
  value: string,
  allowZero = true,
): string {
  const valid = typeof value === 'string' && value !== '' && (value === '0' || DURATION.test(value));
  if (!valid || (!allowZero && !/[1-9]/.test(value))) {
    throw new FloeValidationError(
      scope,
      field,
      value,
      `a Prometheus duration: units y, w, d, h, m, s, ms in that order, e.g. '30s', '15d', '1h30m'${allowZero ? '' : ', not zero'}`,
    );
  }
  return value;
}

function validateByteSize(scope: IConstruct, field: string, value: string): string {
  if (typeof value !== 'string' || !/^[1-9][0-9]*(B|KB|MB|GB|TB|PB|EB)$/.test(value)) {
    throw new FloeValidationError(
      scope,
      field,
      value,
      "a size with unit B, KB, MB, GB, TB, PB or EB, e.g. '6GB'",
    );
  }
  return value;
}

function validateNamespaces(scope: IConstruct, value: string[]): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new FloeValidationError(
      scope,
      'namespaces',
      value,
      'at least one namespace (or serviceDiscovery: false)',
    );
  }
  value.forEach((ns, i) => validateDnsLabel(scope, `namespaces[${i}]`, ns));
  if (new Set(value).size !== value.length) {
    throw new FloeValidationError(scope, 'namespaces', value, 'namespaces without duplicates');
  }
  return [...value];
}

const ATTRIBUTE = /^[A-Za-z0-9_.\-/]+$/;

function validateAttributeList(scope: IConstruct, field: string, value: string[] | undefined): string[] {
  const list = value ?? [];
  list.forEach((a, i) => {
    if (typeof a !== 'string' || !ATTRIBUTE.test(a)) {
      throw new FloeValidationError(
        scope,
        `${field}[${i}]`,
        a,
        "an attribute name such as 'k8s.namespace.name'",
      );
    }
  });
  if (new Set(list).size !== list.length) {
    throw new FloeValidationError(scope, field, list, 'attribute names without duplicates');
  }
  return [...list];
}

const JOB_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const TARGET = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):([0-9]{1,5})$/;

function validateStaticJobs(scope: IConstruct, jobs: StaticScrapeJob[]): StaticScrapeJob[] {
  const seen = new Set<string>([SELF_SCRAPE_JOB, SERVICE_DISCOVERY_JOB]);
  jobs.forEach((job, i) => {
    const f = `staticJobs[${i}]`;
    if (typeof job.jobName !== 'string' || !JOB_NAME.test(job.jobName)) {
      throw new FloeValidationError(
        scope,
        `${f}.jobName`,
        job.jobName,
        "a job name of letters, digits, '_', '.', '-'",
      );
    }
    if (seen.has(job.jobName)) {
      throw new FloeValidationError(
        scope,
        `${f}.jobName`,
        job.jobName,
        `a job name not used already (taken: ${[...seen].sort().join(', ')})`,
      );
    }
    seen.add(job.jobName);
    if (!Array.isArray(job.targets) || job.targets.length === 0) {
      throw new FloeValidationError(scope, `${f}.targets`, job.targets, "at least one 'host:port' target");
    }
    job.targets.forEach((t, j) => {
      const m = typeof t === 'string' ? TARGET.exec(t) : null;
      if (!m) {
        throw new FloeValidationError(
          scope,
          `${f}.targets[${j}]`,
          t,
          "a 'host:port' target, e.g. 'exporter:9100'",
        );
      }
      validatePort(scope, `${f}.targets[${j}] port`, Number(m[3]));
    });
    if (job.metricsPath !== undefined) {
      validateUrlPath(scope, `${f}.metricsPath`, job.metricsPath);
    }
    if (job.scrapeInterval !== undefined) {
      validateDuration(scope, `${f}.scrapeInterval`, job.scrapeInterval, false);
    }
    if (job.scheme !== undefined && job.scheme !== 'http' && job.scheme !== 'https') {
      throw new FloeValidationError(scope, `${f}.scheme`, job.scheme, "'http' or 'https'");
    }
  });
  return jobs;
}
