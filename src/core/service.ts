import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { recommendedLabels, selectorLabels, WorkloadIdentity } from './labels';
import { METRICS_SERVICE_LABEL, MetricsEndpoint, scrapeAnnotations } from './metrics';

/** One port of a Service. */
export interface ServicePortSpec {
  /** Port name (IANA-style, at most 15 characters). */
  readonly name: string;
  /** Port the Service listens on. */
  readonly port: number;
  /** Name of the container port it forwards to (must exist on the selected pods). */
  readonly targetPort: string;
  /** @default 'TCP' */
  readonly protocol?: 'TCP' | 'UDP';
  /** e.g. `grpc`, `http`. @default - none */
  readonly appProtocol?: string;
}

/** Options of `addService`. */
export interface ServiceSpec {
  /** Service name: the DNS name clients use. */
  readonly name: string;
  /** Identity of the pods it selects; the Service carries the same labels. */
  readonly identity: WorkloadIdentity;
  /** Ports. */
  readonly ports: ServicePortSpec[];
  /**
   * Headless (`clusterIP: None`), for StatefulSet pod DNS names.
   * @default false
   */
  readonly headless?: boolean;
  /**
   * Publish addresses of pods that are not ready (peer discovery in a StatefulSet).
   * @default false
   */
  readonly publishNotReadyAddresses?: boolean;
  /**
   * Service annotations, e.g. `scrapeAnnotations(...)` for metrics discovery.
   * @default - none
   */
  readonly annotations?: Record<string, string>;
  /**
   * The metrics endpoint this Service serves: the Service gets `METRICS_SERVICE_LABEL` (what
   * ServiceMonitors select) and, unless `metricsScrapeAnnotations` is false, the `prometheus.io/*`
   * annotations. Its port must be one of `ports`.
   * @default - none
   */
  readonly metrics?: MetricsEndpoint;
  /**
   * Add the `prometheus.io/*` annotations for `metrics` (false for a server that scrapes itself).
   * @default true
   */
  readonly metricsScrapeAnnotations?: boolean;
}

/** Object metadata with the recommended labels. */
export function objectMeta(
  name: string,
  identity: WorkloadIdentity,
  annotations?: Record<string, string>,
): k8s.ObjectMeta {
  return {
    name,
    labels: recommendedLabels(identity),
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
}

/** Adds a Service that selects the pods of `identity` by their stable labels only. */
export function addService(scope: Construct, id: string, spec: ServiceSpec): k8s.KubeService {
  const metrics = spec.metrics;
  if (
    metrics !== undefined &&
    (metrics.serviceName !== spec.name ||
      !spec.ports.some((p) => p.name === metrics.portName && p.port === metrics.port))
  ) {
    throw new Error(
      `internal: metrics endpoint ${metrics.serviceName}:${metrics.portName} is not a port of Service ${spec.name}`,
    );
  }
  const annotations =
    metrics !== undefined && (spec.metricsScrapeAnnotations ?? true)
      ? { ...spec.annotations, ...scrapeAnnotations(metrics.port, metrics.path, scope) }
      : spec.annotations;
  const metadata = objectMeta(spec.name, spec.identity, annotations);
  return new k8s.KubeService(scope, id, {
    metadata: metrics
      ? { ...metadata, labels: { ...metadata.labels, [METRICS_SERVICE_LABEL]: 'true' } }
      : metadata,
    spec: {
      type: 'ClusterIP',
      ...(spec.headless ? { clusterIp: 'None' } : {}),
      ...(spec.publishNotReadyAddresses ? { publishNotReadyAddresses: true } : {}),
      selector: selectorLabels(spec.identity),
      ports: spec.ports.map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: k8s.IntOrString.fromString(p.targetPort),
        protocol: p.protocol ?? 'TCP',
        ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
      })),
    },
  });
}
