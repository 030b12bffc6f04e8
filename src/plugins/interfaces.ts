import { Construct, IConstruct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { ProductionOptions, SizingPreset } from '../core/availability';
import { ServiceEndpoint } from '../core/endpoints';
import { IngressTarget } from '../core/ingress';
import { MetricsEndpoint } from '../core/metrics';
import { SecretKeyRef, SecretRequirement } from '../core/secrets';
import type { AlertRule } from './observability/platform-alert-rules';

/**
 * The contracts between the platform's parts. Each slot of `FloePlatform` takes a provider that
 * builds something implementing one of these; the charts only ever talk to the interface, so an
 * alternative (Airflow, Nessie, AWS S3, ...) plugs in without touching them.
 */

/** Anything a deployment needs to document: Secrets that must exist before `kubectl apply`. */
export interface HasPrerequisites {
  /** Secrets this part reads and does not create. */
  readonly requiredSecrets: readonly SecretRequirement[];
  /**
   * ConfigMaps this part reads and does not create (e.g. a semantic model the data team owns).
   * @default - none
   */
  readonly requiredConfigMaps?: readonly string[];
}

/**
 * A part with an HTTP UI or API that the platform can put behind an Ingress
 * (`FloePlatformProps.ingress`).
 */
export interface Exposable {
  /**
   * The Service and port an Ingress for this part sends traffic to, and the labels it carries.
   * @default - nothing to expose (e.g. a service outside the cluster)
   */
  readonly webExposure?: IngressTarget;
}

/**
 * A part that serves Prometheus metrics. The platform's monitoring (`FloePlatformProps.monitoring`)
 * writes one ServiceMonitor per endpoint.
 */
export interface Monitored {
  /**
   * The metrics endpoints of this part's Services.
   * @default - none (e.g. a service outside the cluster)
   */
  readonly metricsEndpoints?: readonly MetricsEndpoint[];
}

/** A PostgreSQL database a service stores its state in (in-cluster or external). */
export interface PostgresDatabasePlugin extends HasPrerequisites {
  /** Host name clients connect to. */
  readonly host: string;
  /** Port clients connect to. */
  readonly port: number;
  /** Database name. */
  readonly database: string;
  /** User name. */
  readonly username: string;
  /** The user's password, in an existing Secret. */
  readonly passwordSecret: SecretKeyRef;
  /** `jdbc:postgresql://host:port/database`. */
  readonly jdbcUrl: string;
  /** The Service, when the database runs in the cluster. */
  readonly serviceEndpoint?: ServiceEndpoint;
  /**
   * An init container that waits until the database accepts connections.
   * @param scope the construct that owns the pod (for error messages)
   * @param name container name
   */
  waitContainer(scope: IConstruct, name: string): k8s.Container;
}

/** An S3-compatible object store holding the lakehouse warehouse. */
export interface ObjectStoragePlugin extends HasPrerequisites, Exposable, Monitored {
  /** S3 endpoint URL, e.g. `http://minio.floe-platform.svc.cluster.local:9000`. */
  readonly endpoint: string;
  /** Region the S3 clients sign requests for (MinIO accepts any; the SDKs need one). */
  readonly region: string;
  /** Bucket that holds the Iceberg warehouse. */
  readonly warehouseBucket: string;
  /** Path-style addressing (`endpoint/bucket/key`), needed for MinIO. */
  readonly pathStyleAccess: boolean;
  /** Access key ID, in an existing Secret. */
  readonly accessKeyId: SecretKeyRef;
  /** Secret access key, in an existing Secret. */
  readonly secretAccessKey: SecretKeyRef;
  /** The Service, when the store runs in the cluster. */
  readonly serviceEndpoint?: ServiceEndpoint;
}

/** Where traces, metrics and logs are sent (an OpenTelemetry Collector). */
export interface TelemetryPlugin extends HasPrerequisites, Monitored {
  /** OTLP/gRPC endpoint URL, e.g. `http://otel-collector.floe-platform.svc.cluster.local:4317`. */
  readonly otlpGrpcEndpoint: string;
  /** OTLP/HTTP endpoint URL (port 4318). */
  readonly otlpHttpEndpoint: string;
  /** The collector's Service (OTLP gRPC port). */
  readonly serviceEndpoint?: ServiceEndpoint;
}

/** A trace store and UI that accepts OTLP (Jaeger). */
export interface TracingBackendPlugin extends HasPrerequisites, Exposable, Monitored {
  /** Host:port the collector exports OTLP/gRPC to. */
  readonly otlpGrpcAddress: string;
  /** Query/UI base URL (for Grafana's datasource). */
  readonly queryUrl: string;
}

/** A metrics store (Prometheus). */
export interface MetricsBackendPlugin extends HasPrerequisites, Exposable, Monitored {
  /** Query API base URL (for Grafana's datasource). */
  readonly queryUrl: string;
  /** URL the collector pushes OTLP/HTTP metrics to, e.g. `http://prometheus:9090/api/v1/otlp`. */
  readonly otlpMetricsUrl: string;
  /**
   * Evaluates these alert rules in the backend itself (a backend that cannot leaves it out; the
   * platform then relies on the PrometheusRule alone).
   * @param groups the rules by group name, as `platformAlertRuleGroups` writes them
   */
  addAlertRules?(groups: Readonly<Record<string, readonly AlertRule[]>>): void;
}

/** An OpenLineage endpoint (Marquez). */
export interface LineagePlugin extends HasPrerequisites, Exposable, Monitored {
  /** Base URL for `OPENLINEAGE_URL`, e.g. `http://marquez.floe-platform.svc.cluster.local:5000`. */
  readonly lineageUrl: string;
  /** Default `OPENLINEAGE_NAMESPACE`. */
  readonly lineageNamespace: string;
}

/**
 * What a data product asks the catalog for: a principal of its own that reads and writes its
 * namespaces of the warehouse and nothing else, with the credentials in a Secret of its namespace.
 */
export interface CatalogAccessRequest {
  /** The product: its principal and roles are named after it. A DNS label. */
  readonly product: string;
  /** The Kubernetes namespace of the product's pods, where the credentials Secret is written. */
  readonly namespace: string;
  /** Iceberg namespaces of the warehouse the product reads and writes. */
  readonly catalogNamespaces: readonly string[];
  /** Name of the credentials Secret (keys `client-id` and `client-secret`). */
  readonly secretName: string;
  /** Value of `app.kubernetes.io/part-of` of the objects that set the access up. */
  readonly platformName: string;
}

/** Where a product's catalog credentials are, and the OAuth2 scope its clients request. */
export interface CatalogCredentials {
  /** The Secret, in the product's namespace. */
  readonly secretName: string;
  /** Key of the OAuth2 client ID. */
  readonly clientIdKey: string;
  /** Key of the OAuth2 client secret. */
  readonly clientSecretKey: string;
  /** OAuth2 scope of the token request, e.g. `PRINCIPAL_ROLE:floe-sales`. */
  readonly scope: string;
  /**
   * Whether the Secret must exist before the pods run (one the user names), rather than being
   * written in the cluster by the access setup.
   */
  readonly prerequisite: boolean;
}

/** An Iceberg REST catalog (Polaris). */
export interface CatalogPlugin extends HasPrerequisites, Exposable, Monitored {
  /** Iceberg REST catalog URI, e.g. `http://polaris.floe-platform.svc.cluster.local:8181/api/catalog`. */
  readonly catalogUri: string;
  /** The warehouse (catalog name) clients use. */
  readonly warehouse: string;
  /** The Service, when the catalog runs in the cluster. */
  readonly serviceEndpoint?: ServiceEndpoint;
  /**
   * Gives a data product its own principal and the credentials Secret, with the objects that set
   * them up declared under `scope` (the product's chart).
   * @default - the catalog cannot: products name an existing Secret (`catalogAccess.existingSecret`)
   */
  grantProductAccess?(scope: Construct, request: CatalogAccessRequest): CatalogCredentials;
}

/** An orchestrator (Dagster). */
export interface OrchestratorPlugin extends HasPrerequisites, Exposable, Monitored {
  /** URL of the orchestrator's UI and API. */
  readonly webserverUrl: string;
  /** The UI Service. */
  readonly serviceEndpoint?: ServiceEndpoint;
  /**
   * The construct the pods it launches at run time are declared under (`RuntimePods`): the
   * platform declares their connections to the servers of the run configuration (`runConfigMaps`).
   * @default - it launches no pods
   */
  readonly runWorkloads?: IConstruct;
}

/** A semantic layer (Cube). */
export interface SemanticLayerPlugin extends HasPrerequisites, Exposable, Monitored {
  /** Base URL of the semantic layer's API. */
  readonly apiUrl: string;
  /** The API Service. */
  readonly serviceEndpoint?: ServiceEndpoint;
}

/** A PostgreSQL database a plugin asks the platform for. */
export interface DatabaseRequest {
  /** Name of the in-cluster instance (StatefulSet and Service), e.g. `catalog-db`. */
  readonly name: string;
  /** Database name, e.g. `polaris`. */
  readonly database: string;
  /** User name, e.g. `polaris`. */
  readonly username: string;
}

/**
 * What the platform hands to each plugin it builds: shared settings and the plugins built before
 * it (the startup order is storage and databases, catalog, observability, orchestrator, semantic
 * layer, so e.g. the catalog sees storage but not the orchestrator).
 */
export interface PlatformDependencies extends ProductionOptions {
  /** Value of `app.kubernetes.io/part-of`. */
  readonly platformName: string;
  /**
   * The platform's sizing preset, for the orchestrator's pod counts.
   * @default - the orchestrator's default ('light')
   */
  readonly sizing?: SizingPreset;
  /** Registry mirror for every image. @default - upstream registries */
  readonly imageRegistry?: string;
  /** Image pull secrets for every pod. @default - none */
  readonly imagePullSecrets?: string[];
  /** The database this plugin asked for with `PluginProvider.database`. */
  readonly database?: PostgresDatabasePlugin;
  /** Object storage. */
  readonly storage?: ObjectStoragePlugin;
  /** Iceberg catalog. */
  readonly catalog?: CatalogPlugin;
  /** OTLP endpoint for traces, metrics and logs. */
  readonly telemetry?: TelemetryPlugin;
  /** Trace backend. */
  readonly tracing?: TracingBackendPlugin;
  /** Metrics backend. */
  readonly metrics?: MetricsBackendPlugin;
  /** OpenLineage endpoint. */
  readonly lineage?: LineagePlugin;
  /**
   * ConfigMaps with the platform's client configuration (telemetry, lineage, catalog, storage),
   * produced by the platform; an orchestrator hands them to every run it launches.
   * @default - none
   */
  readonly runConfigMaps?: readonly string[];
}

/**
 * Builds a plugin inside the platform chart. Each slot of `FloePlatform` takes one; each plugin
 * construct offers a static `provider(...)` and alternatives implement the same interface.
 */
export interface PluginProvider<TPlugin> {
  /**
   * A PostgreSQL database this plugin needs. The platform creates it (or uses the external one the
   * user configured for the slot) before any service, and passes it as `deps.database`.
   * @default - none
   */
  readonly database?: DatabaseRequest;
  /**
   * Creates the plugin's objects under `scope`.
   * @param scope the platform chart
   * @param id construct id
   * @param deps what the platform already has
   */
  provide(scope: Construct, id: string, deps: PlatformDependencies): TPlugin;
}
