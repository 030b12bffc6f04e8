import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { stringify } from 'yaml';
import { productionOptions, resolveProduction } from '../../core/availability';
import { configChecksumAnnotations } from '../../core/checksum';
import { ComponentProps, DEFAULT_PLATFORM_NAME, WorkloadOptions } from '../../core/component';
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
import { validateDnsLabel, validateInteger, validateQuantity, validateReplicas } from '../../core/validation';
import { PluginProvider, TracingBackendPlugin } from '../interfaces';
import { goMemLimitFor } from './otel-collector';
import { MetricsEndpoint, metricsEndpoint } from '../../core/metrics';
import { IngressTarget } from '../../core/ingress';

/** Jaeger v2 (built on the OpenTelemetry Collector); v1's `all-in-one` image is end-of-life. */
export const JAEGER_IMAGE: ContainerImage = {
  registry: 'docker.io',
  repository: 'jaegertracing/jaeger',
  tag: '2.19.0',
};

/** The Jaeger image runs as `USER 10001`; the upstream chart uses group and fsGroup 10001 too. */
export const JAEGER_RUN_AS: RunAs = { user: 10001, group: 10001, fsGroup: 10001 };

/** Query HTTP API and UI. */
export const JAEGER_QUERY_HTTP_PORT = 16686;
/** Query gRPC API. */
export const JAEGER_QUERY_GRPC_PORT = 16685;
/** OTLP/gRPC receiver. */
export const JAEGER_OTLP_GRPC_PORT = 4317;
/** OTLP/HTTP receiver. */
export const JAEGER_OTLP_HTTP_PORT = 4318;
/** `healthcheckv2` HTTP endpoint (`GET /status`). */
export const JAEGER_HEALTH_PORT = 13133;
/** Jaeger's own metrics (Prometheus format). */
export const JAEGER_METRICS_PORT = 8888;

const CONFIG_DIR = '/etc/jaeger';
const CONFIG_KEY = 'config.yaml';
const BADGER_DIR = '/badger';
const STORE = 'primary_store';
const GO_DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;

const DEFAULT_RESOURCES: ResourceRequirements = {
  requests: { cpu: '100m', memory: '512Mi' },
  limits: { memory: '1Gi' },
};

/**
 * Where Jaeger keeps traces.
 * - `memory`: in the process; lost on restart; bounded by `maxTraces` (and the memory limit).
 * - `badger`: an embedded key-value store on a PersistentVolumeClaim; survives restarts.
 * Both are single-process stores: one replica only.
 */
export type JaegerStorage = 'memory' | 'badger';

/** Properties of a `Jaeger`. */
export interface JaegerProps extends ComponentProps, Omit<WorkloadOptions, 'replicas'> {
  /**
   * Name of the Deployment, ConfigMap and Service (the host name the collector exports to).
   * @default 'jaeger'
   */
  readonly name?: string;
  /**
   * Trace store.
   * @default 'memory'
   */
  readonly storage?: JaegerStorage;
  /**
   * With `memory` storage: traces kept before the oldest are evicted. Size the memory limit to
   * match (traces vary from a few KiB to MiB each).
   * @default 100000
   */
  readonly maxTraces?: number;
  /**
   * With `badger` storage: size of the data volume.
   * @default '10Gi'
   */
  readonly storageSize?: string;
  /**
   * With `badger` storage: StorageClass of the data volume.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * With `badger` storage: how long spans are kept, as a Go duration (`72h`, `168h`).
   * @default '72h'
   */
  readonly spanRetention?: string;
  /**
   * Number of pods. Only 1 is supported: the memory and badger stores live in one process.
   * @default 1
   */
  readonly replicas?: number;
}

/** Options of `Jaeger.provider()`: the props without those the platform supplies. */
export type JaegerProviderOptions = Omit<JaegerProps, 'platformName' | 'imageRegistry' | 'imagePullSecrets'>;

/**
 * Jaeger v2 as a single process: OTLP receivers (4317/4318), a trace store (in memory, or badger
 * on a volume) and the query API and UI (16686). Runs the upstream image as UID 10001 with a
 * read-only root filesystem: the memory store writes nothing, the badger store writes only to its
 * volume. The configuration is rendered into a ConfigMap and passed with `--config`.
 */
export class Jaeger extends Construct implements TracingBackendPlugin {
  /** Builds Jaeger inside the platform. */
  public static provider(options: JaegerProviderOptions = {}): PluginProvider<TracingBackendPlugin> {
    checkProps('Jaeger.provider()', 'JaegerProviderOptions', options);
    return {
      provide: (scope, id, deps) =>
        new Jaeger(scope, id, {
          ...options,
          ...productionOptions(options, deps),
          platformName: deps.platformName,
          imageRegistry: deps.imageRegistry,
          imagePullSecrets: deps.imagePullSecrets,
        }),
    };
  }

  /** `jaeger.<ns>.svc.cluster.local:4317`: where the collector exports traces. */
  public readonly otlpGrpcAddress: string;
  /** `http://jaeger.<ns>.svc.cluster.local:16686`: query API and UI. */
  public readonly queryUrl: string;
  /** The Service's query/UI port. */
  public readonly queryEndpoint: ServiceEndpoint;
  /** The Service's OTLP/gRPC port. */
  public readonly otlpGrpcEndpoint: ServiceEndpoint;
  /** The Service's OTLP/HTTP port. */
  public readonly otlpHttpEndpoint: ServiceEndpoint;
  /** No Secrets are needed. */
  public readonly requiredSecrets: readonly SecretRequirement[] = [];
  /** The trace store. */
  public readonly storage: JaegerStorage;
  /** The resolved image. */
  public readonly image: ContainerImage;
  /** Labels of the pod. */
  public readonly identity: WorkloadIdentity;
  /** Selector labels of the pod. */
  public readonly selector: Record<string, string>;
  /** The rendered Jaeger configuration. */
  public readonly configYaml: string;
  /** The ConfigMap holding `config.yaml`. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The Deployment. */
  public readonly deployment: k8s.KubeDeployment;
  /** The Service (query/UI, OTLP gRPC, OTLP HTTP). */
  public readonly service: k8s.KubeService;
  /** The metrics endpoint of the Service (what the platform's ServiceMonitors scrape). */
  public readonly metricsEndpoints: readonly MetricsEndpoint[];
  /** The badger data volume claim, with `badger` storage. */
  public readonly dataClaim?: k8s.KubePersistentVolumeClaim;
  /** The ServiceAccount, with per-workload ServiceAccounts. */
  public readonly serviceAccount?: k8s.KubeServiceAccount;

  /** The query UI and API on port 16686. What an Ingress for this service targets. */
  public get webExposure(): IngressTarget {
    return { endpoint: this.queryEndpoint, identity: this.identity };
  }

  public constructor(scope: Construct, id: string, props: JaegerProps = {}) {
    checkConstructProps(scope, id, 'JaegerProps', props);
    super(scope, id);
    const name = validateDnsLabel(this, 'name', props.name ?? 'jaeger', 58);
    if (validateReplicas(this, 'replicas', props.replicas ?? 1) !== 1) {
      throw new FloeValidationError(
        this,
        'replicas',
        props.replicas,
        '1 (the memory and badger stores live in a single process)',
      );
    }
    const production = resolveProduction(this, props);
    this.storage = props.storage ?? 'memory';
    if (this.storage !== 'memory' && this.storage !== 'badger') {
      throw new FloeValidationError(this, 'storage', props.storage, "'memory' or 'badger'");
    }
    if (this.storage === 'memory') {
      for (const field of ['storageSize', 'storageClassName', 'spanRetention'] as const) {
        if (props[field] !== undefined) {
          throw new FloeValidationError(this, field, props[field], "no value unless storage is 'badger'");
        }
      }
    } else if (props.maxTraces !== undefined) {
      throw new FloeValidationError(
        this,
        'maxTraces',
        props.maxTraces,
        "no value unless storage is 'memory'",
      );
    }
    const maxTraces = validateInteger(this, 'maxTraces', props.maxTraces ?? 100000, 1);
    const retention = props.spanRetention ?? '72h';
    if (typeof retention !== 'string' || !GO_DURATION.test(retention)) {
      throw new FloeValidationError(
        this,
        'spanRetention',
        retention,
        "a Go duration such as '72h' or '168h'",
      );
    }
    const storageSize = validateQuantity(this, 'storageSize', props.storageSize ?? '10Gi');
    const resources = props.resources ?? DEFAULT_RESOURCES;
    const goMemLimit = goMemLimitFor(this, 'resources.limits.memory', resources.limits.memory);

    this.image = resolveImage(this, 'image', JAEGER_IMAGE, props.image, props.imageRegistry);
    this.identity = {
      name: 'jaeger',
      instance: name,
      component: 'all-in-one',
      partOf: props.platformName ?? DEFAULT_PLATFORM_NAME,
      version: this.image.tag,
    };
    this.selector = selectorLabels(this.identity);
    this.queryEndpoint = serviceEndpoint(this, name, JAEGER_QUERY_HTTP_PORT);
    this.otlpGrpcEndpoint = serviceEndpoint(this, name, JAEGER_OTLP_GRPC_PORT);
    this.otlpHttpEndpoint = serviceEndpoint(this, name, JAEGER_OTLP_HTTP_PORT);
    this.otlpGrpcAddress = this.otlpGrpcEndpoint.address;
    this.queryUrl = endpointUrl(this.queryEndpoint);

    const backend =
      this.storage === 'memory'
        ? { memory: { max_traces: maxTraces } }
        : {
            badger: {
              directories: { keys: `${BADGER_DIR}/keys`, values: `${BADGER_DIR}/values` },
              ephemeral: false,
              ttl: { spans: retention },
            },
          };
    this.configYaml = stringify(jaegerConfig(backend), {
      sortMapEntries: true,
      lineWidth: 0,
      aliasDuplicateObjects: false,
    });
    this.configMap = new k8s.KubeConfigMap(this, 'config', {
      metadata: objectMeta(name, this.identity),
      data: { [CONFIG_KEY]: this.configYaml },
    });

    const dataClaimName = `${name}-data`;
    if (this.storage === 'badger') {
      this.dataClaim = new k8s.KubePersistentVolumeClaim(this, 'data', {
        metadata: objectMeta(dataClaimName, this.identity),
        spec: {
          accessModes: ['ReadWriteOnce'],
          ...(props.storageClassName ? { storageClassName: props.storageClassName } : {}),
          resources: { requests: { storage: k8s.Quantity.fromString(storageSize) } },
        },
      });
    }

    const volumeMounts: k8s.VolumeMount[] = [{ name: 'config', mountPath: CONFIG_DIR, readOnly: true }];
    const volumes: k8s.Volume[] = [configMapVolume('config', name)];
    if (this.storage === 'badger') {
      volumeMounts.push({ name: 'data', mountPath: BADGER_DIR });
      volumes.push({ name: 'data', persistentVolumeClaim: { claimName: dataClaimName } });
    }

    const container = buildContainer(
      this,
      {
        name: 'jaeger',
        image: this.image,
        args: ['--config', `${CONFIG_DIR}/${CONFIG_KEY}`],
        ports: [
          { name: 'query-http', containerPort: JAEGER_QUERY_HTTP_PORT, protocol: 'TCP' },
          { name: 'query-grpc', containerPort: JAEGER_QUERY_GRPC_PORT, protocol: 'TCP' },
          { name: 'otlp', containerPort: JAEGER_OTLP_GRPC_PORT, protocol: 'TCP' },
          { name: 'otlp-http', containerPort: JAEGER_OTLP_HTTP_PORT, protocol: 'TCP' },
          { name: 'health', containerPort: JAEGER_HEALTH_PORT, protocol: 'TCP' },
          { name: 'metrics', containerPort: JAEGER_METRICS_PORT, protocol: 'TCP' },
        ],
        env: withExtraEnv(this, 'extraEnv', [plainEnv('GOMEMLIMIT', goMemLimit)], props.extraEnv),
        resources,
        resourcesField: 'resources',
        // badger replays its value log on start; allow up to 2 minutes before liveness applies.
        startupProbe: httpProbe('/status', 'health', {
          periodSeconds: 5,
          timeoutSeconds: 5,
          failureThreshold: 24,
        }),
        readinessProbe: httpProbe('/status', 'health', {
          periodSeconds: 10,
          timeoutSeconds: 5,
          failureThreshold: 3,
        }),
        livenessProbe: httpProbe('/status', 'health', {
          periodSeconds: 15,
          timeoutSeconds: 5,
          failureThreshold: 5,
        }),
        volumeMounts,
      },
      JAEGER_RUN_AS,
    );

    const account = workloadServiceAccount(this, 'service-account', {
      name,
      identity: this.identity,
      enabled: production.serviceAccounts,
    });
    this.serviceAccount = account.serviceAccount;
    this.deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: objectMeta(name, this.identity),
      spec: {
        replicas: 1,
        selector: { matchLabels: this.selector },
        // Never two processes on one store (badger locks its directory; the volume is RWO).
        strategy: { type: 'Recreate' },
        template: buildPodTemplate({
          identity: this.identity,
          runAs: JAEGER_RUN_AS,
          ...account.pod,
          containers: [container],
          volumes,
          scheduling: props,
          imagePullSecrets: props.imagePullSecrets,
          annotations: configChecksumAnnotations(production.configChecksums, {
            [name]: { [CONFIG_KEY]: this.configYaml },
          }),
        }),
      },
    });

    this.metricsEndpoints = [
      metricsEndpoint(this, {
        serviceName: name,
        identity: this.identity,
        portName: 'metrics',
        port: JAEGER_METRICS_PORT,
        path: '/metrics',
      }),
    ];
    this.service = addService(this, 'service', {
      name,
      identity: this.identity,
      metrics: this.metricsEndpoints[0],
      ports: [
        { name: 'query-http', port: JAEGER_QUERY_HTTP_PORT, targetPort: 'query-http', appProtocol: 'http' },
        { name: 'otlp', port: JAEGER_OTLP_GRPC_PORT, targetPort: 'otlp', appProtocol: 'grpc' },
        { name: 'otlp-http', port: JAEGER_OTLP_HTTP_PORT, targetPort: 'otlp-http', appProtocol: 'http' },
        // Its own telemetry, named so that a ServiceMonitor can refer to it.
        { name: 'metrics', port: JAEGER_METRICS_PORT, targetPort: 'metrics', appProtocol: 'http' },
      ],
    });
  }

  /** The underlying objects, in the order they are written. */
  public get apiObjects(): ApiObject[] {
    return [
      this.configMap,
      ...(this.dataClaim ? [this.dataClaim] : []),
      ...(this.serviceAccount ? [this.serviceAccount] : []),
      this.deployment,
      this.service,
    ];
  }
}

/** Jaeger's configuration: one store, OTLP in, query and UI out, every server on 0.0.0.0. */
function jaegerConfig(backend: Record<string, unknown>): Record<string, unknown> {
  return {
    extensions: {
      jaeger_storage: { backends: { [STORE]: backend } },
      jaeger_query: {
        storage: { traces: STORE },
        http: { endpoint: `0.0.0.0:${JAEGER_QUERY_HTTP_PORT}` },
        grpc: { endpoint: `0.0.0.0:${JAEGER_QUERY_GRPC_PORT}` },
      },
      healthcheckv2: {
        use_v2: true,
        http: { endpoint: `0.0.0.0:${JAEGER_HEALTH_PORT}` },
      },
    },
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `0.0.0.0:${JAEGER_OTLP_GRPC_PORT}` },
          http: { endpoint: `0.0.0.0:${JAEGER_OTLP_HTTP_PORT}` },
        },
      },
    },
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: STORE } },
    service: {
      extensions: ['jaeger_storage', 'jaeger_query', 'healthcheckv2'],
      pipelines: {
        traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] },
      },
      telemetry: {
        resource: { 'service.name': 'jaeger' },
        metrics: {
          readers: [{ pull: { exporter: { prometheus: { host: '0.0.0.0', port: JAEGER_METRICS_PORT } } } }],
        },
        logs: { level: 'info' },
      },
    },
  };
}
