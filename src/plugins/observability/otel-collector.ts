import { ApiObject, JsonPatch } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { stringify } from 'yaml';
import {
  AutoscalerOptions,
  productionOptions,
  resolveProduction,
  workloadAvailability,
  WorkloadAvailability,
} from '../../core/availability';
import { configChecksumAnnotations } from '../../core/checksum';
import { ComponentProps, DEFAULT_PLATFORM_NAME, WorkloadOptions } from '../../core/component';
import { connect } from '../../core/connections';
import { endpointUrl, ServiceEndpoint, serviceEndpoint } from '../../core/endpoints';
import { plainEnv, withExtraEnv } from '../../core/env';
import { FloeValidationError } from '../../core/errors';
import { ContainerImage, resolveImage } from '../../core/image';
import { selectorLabels, WorkloadIdentity } from '../../core/labels';
import { buildContainer, buildPodTemplate, configMapVolume, RunAs } from '../../core/pod';
import { httpProbe } from '../../core/probes';
import { checkConstructProps, checkProps } from '../../core/props-check';
import { ResourceRequirements } from '../../core/resources';
import { SecretRequirement } from '../../core/secrets';
import { addService, objectMeta } from '../../core/service';
import { workloadServiceAccount } from '../../core/service-account';
import { validateDnsLabel, validateQuantity, validateReplicas } from '../../core/validation';
import { MetricsBackendPlugin, PluginProvider, TelemetryPlugin, TracingBackendPlugin } from '../interfaces';
import { MetricsEndpoint, metricsEndpoint } from '../../core/metrics';

/**
 * The contrib distribution of the OpenTelemetry Collector: it has every component (the core
 * distribution lacks e.g. the k8s processors users add later). Its binary is `/otelcol-contrib`.
 */
export const OTEL_COLLECTOR_IMAGE: ContainerImage = {
  registry: 'docker.io',
  repository: 'otel/opentelemetry-collector-contrib',
  tag: '0.158.0',
};

/** The collector image is `FROM scratch` with `USER 10001:10001`. */
export const OTEL_COLLECTOR_RUN_AS: RunAs = { user: 10001, group: 10001, fsGroup: 10001 };

/** OTLP/gRPC receiver port. */
export const OTLP_GRPC_PORT = 4317;
/** OTLP/HTTP receiver port. */
export const OTLP_HTTP_PORT = 4318;
/** The collector's own metrics (Prometheus format, `/metrics`). */
export const OTEL_COLLECTOR_METRICS_PORT = 8888;
/** The `health_check` extension (`GET /`). */
export const OTEL_COLLECTOR_HEALTH_PORT = 13133;

/** Where the ConfigMap is mounted and the key the collector reads from it. */
const CONFIG_DIR = '/conf';
const CONFIG_KEY = 'relay.yaml';
const BINARY = '/otelcol-contrib';

/** The smallest memory limit accepted: below it the memory limiter refuses data at idle. */
const MIN_MEMORY_LIMIT_BYTES = 128 * 2 ** 20;

const DEFAULT_RESOURCES: ResourceRequirements = {
  requests: { cpu: '200m', memory: '256Mi' },
  limits: { memory: '512Mi' },
};

/**
 * How the collector runs.
 * - `deployment`: a central pool behind one Service (the default; stateless, easy to scale).
 * - `daemonset`: one agent per node; with `nodeLocalService` pods send to the agent on their node.
 */
export type OtelCollectorMode = 'deployment' | 'daemonset';

/** Output level of the `debug` exporter. */
export type DebugVerbosity = 'basic' | 'normal' | 'detailed';

/** Properties of an `OtelCollector`. */
export interface OtelCollectorProps extends ComponentProps, Omit<WorkloadOptions, 'replicas'> {
  /**
   * Name of the workload, ConfigMap and Service (the host name SDKs export to). A DNS-1123 label.
   * @default 'otel-collector'
   */
  readonly name?: string;
  /**
   * Deployment (a central pool) or DaemonSet (one agent per node). A DaemonSet spreads the
   * load and keeps the first hop on the node, at the cost of one collector per node.
   * @default 'deployment'
   */
  readonly mode?: OtelCollectorMode;
  /**
   * Number of pods in `deployment` mode. Two keep OTLP ingestion up while a node drains or a pod
   * restarts (the collector keeps no state, so more replicas are safe). With autoscaling this is
   * the autoscaler's minimum and the Deployment sets no replica count. Not allowed in
   * `daemonset` mode, where Kubernetes runs one pod per node.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * The HorizontalPodAutoscaler in `deployment` mode (not allowed in `daemonset` mode).
   * @default - in `deployment` mode, on with `autoscaling`: minimum `replicas`, maximum 10, 70 % CPU
   */
  readonly autoscaler?: AutoscalerOptions;
  /**
   * Trace store: when given, traces are exported to it over OTLP/gRPC (`otlp_grpc/tracing`).
   * @default - traces go to the `debug` exporter (the collector's log)
   */
  readonly tracing?: TracingBackendPlugin;
  /**
   * Metrics store: when given, metrics are pushed to its OTLP/HTTP receiver (`otlp_http/metrics`).
   * @default - metrics go to the `debug` exporter (the collector's log)
   */
  readonly metrics?: MetricsBackendPlugin;
  /**
   * Verbosity of the `debug` exporter, used by pipelines that have no backend (always logs).
   * @default 'basic'
   */
  readonly debugVerbosity?: DebugVerbosity;
  /**
   * In `daemonset` mode, give the Service `internalTrafficPolicy: Local` so each pod's OTLP
   * traffic stays on its node's agent. Traffic from a node whose agent is missing or not ready is
   * dropped (no fallback to other nodes). Only allowed in `daemonset` mode.
   * @default - true in `daemonset` mode, false in `deployment` mode
   */
  readonly nodeLocalService?: boolean;
}

/** Options of `OtelCollector.provider()`: the props without those the platform supplies. */
export type OtelCollectorProviderOptions = Omit<
  OtelCollectorProps,
  'platformName' | 'imageRegistry' | 'imagePullSecrets' | 'tracing' | 'metrics'
>;

/**
 * The OpenTelemetry Collector every floe service sends traces, metrics and logs to (OTLP gRPC
 * 4317 and HTTP 4318). It forwards traces to the tracing backend and metrics to the metrics
 * backend when the platform has them, and logs everything else at `debug`. Runs the contrib
 * image as UID 10001 with a read-only root filesystem (it writes nothing), the memory limiter
 * first in every pipeline and `GOMEMLIMIT` at 80 % of the memory limit.
 */
export class OtelCollector extends Construct implements TelemetryPlugin {
  /**
   * Builds the collector inside the platform, wired to the platform's tracing and metrics
   * backends (`deps.tracing`, `deps.metrics`) when it has them.
   */
  public static provider(options: OtelCollectorProviderOptions = {}): PluginProvider<TelemetryPlugin> {
    checkProps('OtelCollector.provider()', 'OtelCollectorProviderOptions', options);
    return {
      provide: (scope, id, deps) =>
        new OtelCollector(scope, id, {
          ...options,
          ...productionOptions(options, deps),
          platformName: deps.platformName,
          imageRegistry: deps.imageRegistry,
          imagePullSecrets: deps.imagePullSecrets,
          tracing: deps.tracing,
          metrics: deps.metrics,
        }),
    };
  }

  /** `http://<name>.<ns>.svc.cluster.local:4317`. */
  public readonly otlpGrpcEndpoint: string;
  /** `http://<name>.<ns>.svc.cluster.local:4318`. */
  public readonly otlpHttpEndpoint: string;
  /** The Service's OTLP/gRPC port. */
  public readonly serviceEndpoint: ServiceEndpoint;
  /** The Service's OTLP/HTTP port. */
  public readonly httpServiceEndpoint: ServiceEndpoint;
  /** The Service's port for the collector's own metrics (`/metrics`, Prometheus format). */
  public readonly metricsEndpoint: ServiceEndpoint;
  /** No Secrets are needed. */
  public readonly requiredSecrets: readonly SecretRequirement[] = [];
  /** Deployment or DaemonSet. */
  public readonly mode: OtelCollectorMode;
  /** The resolved image. */
  public readonly image: ContainerImage;
  /** Labels of the pods. */
  public readonly identity: WorkloadIdentity;
  /** Selector labels of the pods. */
  public readonly selector: Record<string, string>;
  /** The rendered collector configuration (`relay.yaml`). */
  public readonly configYaml: string;
  /** The ConfigMap holding `relay.yaml`. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The Deployment, in `deployment` mode. */
  public readonly deployment?: k8s.KubeDeployment;
  /** The DaemonSet, in `daemonset` mode. */
  public readonly daemonSet?: k8s.KubeDaemonSet;
  /** The Service (OTLP gRPC, OTLP HTTP, metrics). */
  public readonly service: k8s.KubeService;
  /** The metrics endpoint of the Service (what the platform's ServiceMonitors scrape). */
  public readonly metricsEndpoints: readonly MetricsEndpoint[];
  /** The HorizontalPodAutoscaler, in `deployment` mode with autoscaling. */
  public readonly autoscaler?: k8s.KubeHorizontalPodAutoscalerV2;
  /** The PodDisruptionBudget, in `deployment` mode when more than one pod may run. */
  public readonly disruptionBudget?: k8s.KubePodDisruptionBudget;
  /** The ServiceAccount, with per-workload ServiceAccounts. */
  public readonly serviceAccount?: k8s.KubeServiceAccount;

  public constructor(scope: Construct, id: string, props: OtelCollectorProps = {}) {
    checkConstructProps(scope, id, 'OtelCollectorProps', props);
    super(scope, id);
    const name = validateDnsLabel(this, 'name', props.name ?? 'otel-collector');
    this.mode = props.mode ?? 'deployment';
    if (this.mode !== 'deployment' && this.mode !== 'daemonset') {
      throw new FloeValidationError(this, 'mode', props.mode, "'deployment' or 'daemonset'");
    }
    const production = resolveProduction(this, props);
    let replicas = 1;
    if (this.mode === 'daemonset') {
      if (props.autoscaler !== undefined) {
        throw new FloeValidationError(
          this,
          'autoscaler',
          props.autoscaler,
          "no value in 'daemonset' mode (Kubernetes runs one pod per node)",
        );
      }
      if (props.replicas !== undefined) {
        throw new FloeValidationError(
          this,
          'replicas',
          props.replicas,
          "no value in 'daemonset' mode (Kubernetes runs one pod per node; use nodeSelector/tolerations to choose the nodes)",
        );
      }
    } else {
      replicas = validateReplicas(this, 'replicas', props.replicas ?? 2);
      if (props.nodeLocalService) {
        throw new FloeValidationError(
          this,
          'nodeLocalService',
          props.nodeLocalService,
          "false or unset in 'deployment' mode (a node-local Service drops traffic from nodes without a collector pod)",
        );
      }
    }
    const nodeLocal = this.mode === 'daemonset' && (props.nodeLocalService ?? true);
    const verbosity = props.debugVerbosity ?? 'basic';
    if (!['basic', 'normal', 'detailed'].includes(verbosity)) {
      throw new FloeValidationError(this, 'debugVerbosity', verbosity, "'basic', 'normal' or 'detailed'");
    }
    const resources = props.resources ?? DEFAULT_RESOURCES;
    const goMemLimit = goMemLimitFor(this, 'resources.limits.memory', resources.limits.memory);

    this.image = resolveImage(this, 'image', OTEL_COLLECTOR_IMAGE, props.image, props.imageRegistry);
    this.identity = {
      name: 'opentelemetry-collector',
      instance: name,
      component: this.mode === 'daemonset' ? 'agent-collector' : 'standalone-collector',
      partOf: props.platformName ?? DEFAULT_PLATFORM_NAME,
      version: this.image.tag,
    };
    this.selector = selectorLabels(this.identity);
    this.serviceEndpoint = serviceEndpoint(this, name, OTLP_GRPC_PORT);
    this.httpServiceEndpoint = serviceEndpoint(this, name, OTLP_HTTP_PORT);
    this.metricsEndpoint = serviceEndpoint(this, name, OTEL_COLLECTOR_METRICS_PORT);
    this.otlpGrpcEndpoint = endpointUrl(this.serviceEndpoint);
    this.otlpHttpEndpoint = endpointUrl(this.httpServiceEndpoint);

    this.configYaml = stringify(
      collectorConfig(this, {
        tracing: props.tracing,
        metrics: props.metrics,
        verbosity,
      }),
      { sortMapEntries: true, lineWidth: 0, aliasDuplicateObjects: false },
    );
    this.configMap = new k8s.KubeConfigMap(this, 'config', {
      metadata: objectMeta(name, this.identity),
      data: { [CONFIG_KEY]: this.configYaml },
    });

    const health = httpProbe('/', 'health', { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 });
    const container = buildContainer(
      this,
      {
        name: 'otel-collector',
        image: this.image,
        command: [BINARY, `--config=${CONFIG_DIR}/${CONFIG_KEY}`],
        ports: [
          { name: 'otlp', containerPort: OTLP_GRPC_PORT, protocol: 'TCP' },
          { name: 'otlp-http', containerPort: OTLP_HTTP_PORT, protocol: 'TCP' },
          { name: 'metrics', containerPort: OTEL_COLLECTOR_METRICS_PORT, protocol: 'TCP' },
          { name: 'health', containerPort: OTEL_COLLECTOR_HEALTH_PORT, protocol: 'TCP' },
        ],
        env: withExtraEnv(this, 'extraEnv', [plainEnv('GOMEMLIMIT', goMemLimit)], props.extraEnv),
        resources,
        resourcesField: 'resources',
        readinessProbe: health,
        livenessProbe: httpProbe('/', 'health', {
          periodSeconds: 15,
          timeoutSeconds: 5,
          failureThreshold: 4,
        }),
        volumeMounts: [{ name: 'config', mountPath: CONFIG_DIR, readOnly: true }],
      },
      OTEL_COLLECTOR_RUN_AS,
    );

    const account = workloadServiceAccount(this, 'service-account', {
      name,
      identity: this.identity,
      enabled: production.serviceAccounts,
    });
    this.serviceAccount = account.serviceAccount;
    let availability: WorkloadAvailability | undefined;
    if (this.mode === 'deployment') {
      availability = workloadAvailability(this, 'collector', {
        field: '',
        kind: 'Deployment',
        name,
        identity: this.identity,
        settings: production,
        replicas,
        autoscaling: { options: props.autoscaler, defaultMaxReplicas: 10 },
        disruption: { minAvailable: 1 },
        // The topology spread (over nodes and zones) replaces the old anti-affinity when it is on.
        scheduling:
          replicas > 1 && props.affinity === undefined && !production.topologySpread
            ? { ...props, affinity: spreadOverNodes(this.selector) }
            : props,
      });
      this.autoscaler = availability.autoscaler;
      this.disruptionBudget = availability.disruptionBudget;
    }
    const template = buildPodTemplate({
      identity: this.identity,
      runAs: OTEL_COLLECTOR_RUN_AS,
      ...account.pod,
      containers: [container],
      volumes: [configMapVolume('config', name)],
      scheduling: availability?.scheduling ?? props,
      imagePullSecrets: props.imagePullSecrets,
      annotations: configChecksumAnnotations(production.configChecksums, {
        [name]: { [CONFIG_KEY]: this.configYaml },
      }),
    });

    if (this.mode === 'daemonset') {
      this.daemonSet = new k8s.KubeDaemonSet(this, 'daemonset', {
        metadata: objectMeta(name, this.identity),
        spec: {
          selector: { matchLabels: this.selector },
          updateStrategy: {
            type: 'RollingUpdate',
            rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) },
          },
          template,
        },
      });
    } else {
      this.deployment = new k8s.KubeDeployment(this, 'deployment', {
        metadata: objectMeta(name, this.identity),
        spec: {
          ...availability?.replicaSpec,
          selector: { matchLabels: this.selector },
          // Start the new pod before stopping an old one: OTLP ingestion never pauses.
          strategy: {
            type: 'RollingUpdate',
            rollingUpdate: {
              maxSurge: k8s.IntOrString.fromNumber(1),
              maxUnavailable: k8s.IntOrString.fromNumber(0),
            },
          },
          template,
        },
      });
    }

    this.metricsEndpoints = [
      metricsEndpoint(this, {
        serviceName: name,
        identity: this.identity,
        portName: 'metrics',
        port: OTEL_COLLECTOR_METRICS_PORT,
        path: '/metrics',
      }),
    ];
    this.service = addService(this, 'service', {
      name,
      identity: this.identity,
      metrics: this.metricsEndpoints[0],
      ports: [
        { name: 'otlp', port: OTLP_GRPC_PORT, targetPort: 'otlp', appProtocol: 'grpc' },
        { name: 'otlp-http', port: OTLP_HTTP_PORT, targetPort: 'otlp-http', appProtocol: 'http' },
        { name: 'metrics', port: OTEL_COLLECTOR_METRICS_PORT, targetPort: 'metrics', appProtocol: 'http' },
      ],
    });
    if (nodeLocal) {
      this.service.addJsonPatch(JsonPatch.add('/spec/internalTrafficPolicy', 'Local'));
    }
    const workload = this.deployment ?? this.daemonSet;
    if (workload && props.tracing) {
      connect(workload, props.tracing.otlpGrpcAddress, 'trace export (OTLP/gRPC)');
    }
    if (workload && props.metrics) {
      connect(workload, props.metrics.otlpMetricsUrl, 'metrics export (OTLP/HTTP)');
    }
  }

  /** The underlying objects, in the order they are written. */
  public get apiObjects(): ApiObject[] {
    const workload: ApiObject | undefined = this.deployment ?? this.daemonSet;
    return [
      this.configMap,
      ...(this.serviceAccount ? [this.serviceAccount] : []),
      ...(this.autoscaler ? [this.autoscaler] : []),
      ...(this.disruptionBudget ? [this.disruptionBudget] : []),
      ...(workload ? [workload] : []),
      this.service,
    ];
  }
}

interface CollectorConfigOptions {
  readonly tracing?: TracingBackendPlugin;
  readonly metrics?: MetricsBackendPlugin;
  readonly verbosity: DebugVerbosity;
}

/**
 * The collector configuration. Every server binds 0.0.0.0 explicitly: since v0.104 the
 * collector's default host is localhost, which kubelet probes and other pods cannot reach.
 */
function collectorConfig(scope: IConstruct, opts: CollectorConfigOptions): Record<string, unknown> {
  const exporters: Record<string, unknown> = {};
  const pipelineExporters = (backend: string | undefined): string[] => {
    if (backend !== undefined) {
      return [backend];
    }
    exporters.debug = { verbosity: opts.verbosity };
    return ['debug'];
  };

  let tracesExporter: string | undefined;
  if (opts.tracing) {
    tracesExporter = 'otlp_grpc/tracing';
    exporters[tracesExporter] = {
      endpoint: validateHostPort(scope, 'tracing.otlpGrpcAddress', opts.tracing.otlpGrpcAddress),
      tls: { insecure: true },
    };
  }
  let metricsExporter: string | undefined;
  if (opts.metrics) {
    metricsExporter = 'otlp_http/metrics';
    exporters[metricsExporter] = {
      metrics_endpoint: otlpMetricsEndpoint(scope, opts.metrics.otlpMetricsUrl),
    };
  }

  // memory_limiter must come first so data is refused before it is buffered anywhere.
  const processors = ['memory_limiter', 'batch'];
  const pipelines = {
    traces: {
      receivers: ['otlp'],
      processors: [...processors],
      exporters: pipelineExporters(tracesExporter),
    },
    metrics: {
      receivers: ['otlp'],
      processors: [...processors],
      exporters: pipelineExporters(metricsExporter),
    },
    logs: { receivers: ['otlp'], processors: [...processors], exporters: pipelineExporters(undefined) },
  };

  return {
    extensions: {
      health_check: { endpoint: `0.0.0.0:${OTEL_COLLECTOR_HEALTH_PORT}` },
    },
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `0.0.0.0:${OTLP_GRPC_PORT}` },
          http: { endpoint: `0.0.0.0:${OTLP_HTTP_PORT}` },
        },
      },
    },
    processors: {
      memory_limiter: { check_interval: '5s', limit_percentage: 80, spike_limit_percentage: 25 },
      batch: {},
    },
    exporters,
    service: {
      extensions: ['health_check'],
      pipelines,
      telemetry: {
        metrics: {
          readers: [
            { pull: { exporter: { prometheus: { host: '0.0.0.0', port: OTEL_COLLECTOR_METRICS_PORT } } } },
          ],
        },
      },
    },
  };
}

/**
 * The full URL of a metrics store's OTLP/HTTP metrics receiver. `metrics_endpoint` is used as-is
 * by the exporter, so a base URL such as Prometheus' `/api/v1/otlp` gets `/v1/metrics` appended.
 */
function otlpMetricsEndpoint(scope: IConstruct, url: string): string {
  if (typeof url !== 'string' || !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(url)) {
    throw new FloeValidationError(
      scope,
      'metrics.otlpMetricsUrl',
      url,
      'an http(s) URL such as http://prometheus:9090/api/v1/otlp',
    );
  }
  const base = url.replace(/\/+$/, '');
  return base.endsWith('/v1/metrics') ? base : `${base}/v1/metrics`;
}

function validateHostPort(scope: IConstruct, field: string, value: string): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9.-]+:[0-9]{1,5}$/.test(value)) {
    throw new FloeValidationError(
      scope,
      field,
      value,
      'host:port, e.g. jaeger.floe-platform.svc.cluster.local:4317',
    );
  }
  return value;
}

/** Prefer one pod per node, without blocking scheduling on a single-node cluster. */
function spreadOverNodes(selector: Record<string, string>): k8s.Affinity {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: {
            topologyKey: 'kubernetes.io/hostname',
            labelSelector: { matchLabels: selector },
          },
        },
      ],
    },
  };
}

const BINARY_SUFFIX: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL_SUFFIX: Record<string, number> = {
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** The number of bytes a Kubernetes memory quantity stands for, or undefined if it is not one. */
export function quantityToBytes(quantity: string): number | undefined {
  const m = /^\+?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$/.exec(
    quantity,
  );
  if (!m) {
    return undefined;
  }
  const number = parseFloat(m[1]);
  const suffix = m[2] ?? '';
  if (/^[eE][+-]?[0-9]+$/.test(suffix)) {
    return number * 10 ** parseInt(suffix.slice(1), 10);
  }
  return number * (BINARY_SUFFIX[suffix] ?? DECIMAL_SUFFIX[suffix]);
}

/**
 * `GOMEMLIMIT` for a Go program with this memory limit: 80 % of it, in whole MiB, so the
 * garbage collector works harder before the kernel's OOM killer steps in.
 */
export function goMemLimitFor(scope: IConstruct | string, field: string, memoryLimit: string): string {
  validateQuantity(scope, field, memoryLimit);
  const bytes = quantityToBytes(memoryLimit);
  if (bytes === undefined || bytes < MIN_MEMORY_LIMIT_BYTES) {
    throw new FloeValidationError(scope, field, memoryLimit, 'a memory limit of at least 128Mi');
  }
  return `${Math.floor((bytes * 0.8) / 2 ** 20)}MiB`;
}
