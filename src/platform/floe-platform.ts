import { Chart, JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import {
  productionOptions,
  ProductionOptions,
  resolveProduction,
  SizingPreset,
  sizingReplicas,
} from '../core/availability';
import { checkObjectCollisions } from '../core/collisions';
import { DEFAULT_PLATFORM_NAME } from '../core/component';
import { FloeValidationError } from '../core/errors';
import { addIngress, IngressOptions } from '../core/ingress';
import { MANAGED_BY } from '../core/labels';
import { NetworkIsolation, NetworkPolicyOptions } from '../core/network-isolation';
import { checkConstructProps } from '../core/props-check';
import { mergeSecretRequirements, SecretKeyRef, SecretRequirement } from '../core/secrets';
import { validateDnsLabel, validateImageRepositoryPrefix, validateLabelValue } from '../core/validation';
import { ExternalPostgres, ExternalPostgresProps } from '../plugins/database/external-postgres';
import { PostgreSQL, PostgreSQLProps } from '../plugins/database/postgres';
import { addPostgresBackups, BackupOptions, PostgresBackup } from '../plugins/database/postgres-backup';
import {
  CatalogPlugin,
  Exposable,
  HasPrerequisites,
  LineagePlugin,
  MetricsBackendPlugin,
  Monitored,
  ObjectStoragePlugin,
  OrchestratorPlugin,
  PlatformDependencies,
  PluginProvider,
  PostgresDatabasePlugin,
  SemanticLayerPlugin,
  TelemetryPlugin,
  TracingBackendPlugin,
} from '../plugins/interfaces';
import { Polaris } from '../plugins/catalog/polaris';
import { Dagster } from '../plugins/orchestrator/dagster';
import { Cube } from '../plugins/semantic/cube';
import { Grafana } from '../plugins/observability/grafana';
import { OtelCollector } from '../plugins/observability/otel-collector';
import { Prometheus } from '../plugins/observability/prometheus';
import { MonitoringOptions, PlatformMonitoring } from '../plugins/observability/platform-monitoring';
import { platformAlertRuleGroups } from '../plugins/observability/platform-alert-rules';
import { MinIO } from '../plugins/storage/minio';
import { connectToPlatformConfig, PLATFORM_CONFIG_MAP_NAME, platformConfigData } from './platform-config';

/** The namespace `FloePlatform` uses when none is given. */
export const DEFAULT_PLATFORM_NAMESPACE = 'floe-platform';

/** Value that switches an optional slot off. */
export type Disabled = 'none';

/** Settings for the in-cluster PostgreSQL instances the platform creates for its plugins. */
export type DatabaseOptions = Omit<PostgreSQLProps, 'name' | 'database' | 'username' | 'platformName'>;

/**
 * An external database for one slot: database and user default to what the plugin asks for.
 */
export type ExternalDatabaseProps = Omit<ExternalPostgresProps, 'database' | 'username'> &
  Partial<Pick<ExternalPostgresProps, 'database' | 'username'>>;

/**
 * Ingresses of the platform's HTTP services, by slot. A slot given here must be deployed by this
 * chart (not `'none'`, not external, not taken from `sharedServices`).
 */
export interface PlatformIngressProps {
  /**
   * The orchestrator UI (Dagster webserver, port 3000).
   * @default - no Ingress
   */
  readonly orchestrator?: IngressOptions;
  /**
   * The Iceberg REST catalog API (Polaris, port 8181).
   * @default - no Ingress
   */
  readonly catalog?: IngressOptions;
  /**
   * The semantic layer API (Cube, port 4000).
   * @default - no Ingress
   */
  readonly semantic?: IngressOptions;
  /**
   * The S3 API of the object storage (MinIO, port 9000).
   * @default - no Ingress
   */
  readonly storage?: IngressOptions;
  /**
   * Dashboards (Grafana, port 3000).
   * @default - no Ingress
   */
  readonly dashboards?: IngressOptions;
  /**
   * The lineage UI (Marquez web, port 3000).
   * @default - no Ingress
   */
  readonly lineage?: IngressOptions;
  /**
   * The trace UI (Jaeger query, port 16686).
   * @default - no Ingress
   */
  readonly tracing?: IngressOptions;
  /**
   * The metrics UI and query API (Prometheus, port 9090).
   * @default - no Ingress
   */
  readonly metrics?: IngressOptions;
}

/** The slots a platform can take from another platform's shared services (`sharedServices`). */
export const SHARED_SERVICE_SLOTS = [
  'storage',
  'catalog',
  'telemetry',
  'tracing',
  'metrics',
  'dashboards',
  'lineage',
] as const;

/**
 * Properties of `FloePlatform`. Every one is optional. The `ProductionOptions` (autoscaling,
 * disruption budgets, topology spread, per-workload ServiceAccounts, config checksums) apply to
 * every component the platform deploys; a provider's own options win over them.
 */
export interface FloePlatformProps extends ProductionOptions {
  /**
   * Sizing preset from the floe docs by runs per day (`light` < 100, `medium` 100-1000, `heavy`
   * 1000+): the orchestrator's webserver and code-location pod counts (light 1/2, medium 2/5,
   * heavy 3/10; one daemon in each). Explicit `replicas` of a workload win.
   * @default 'light'
   */
  readonly sizing?: SizingPreset;
  /**
   * Namespace of every platform object. The chart creates it with Pod Security `restricted` labels.
   * @default 'floe-platform'
   */
  readonly namespace?: string;
  /**
   * Create the Namespace object. Turn off when the namespace is managed elsewhere (it must then
   * carry the Pod Security labels itself).
   * @default true
   */
  readonly createNamespace?: boolean;
  /**
   * Platform name: the value of `app.kubernetes.io/part-of` on every object.
   * @default 'floe'
   */
  readonly platformName?: string;
  /**
   * Registry that replaces every image's upstream registry (a mirror or pull-through cache).
   * @default - upstream registries
   */
  readonly imageRegistry?: string;
  /**
   * Existing image pull Secrets, used by every pod.
   * @default - none
   */
  readonly imagePullSecrets?: string[];
  /**
   * Where the data product images floe's CI builds are: a registry host and path such as
   * `registry.example.com/floe-products`. The `FloeJobs` charts on this platform use it for
   * pipelines without `image`: `<prefix>/<pipeline name>:<version>`. Deploys nothing itself.
   * @default - the `sharedServices` platform's, else none: every pipeline names its image
   */
  readonly productImageRepositoryPrefix?: string;
  /**
   * Object storage slot.
   * @default MinIO.provider() - 4-node distributed MinIO with the `floe-warehouse` bucket
   */
  readonly storage?: PluginProvider<ObjectStoragePlugin>;
  /**
   * Iceberg catalog slot.
   * @default Polaris.provider() - Polaris on its own PostgreSQL `catalog-db`
   */
  readonly catalog?: PluginProvider<CatalogPlugin>;
  /**
   * Trace backend, optional.
   * @default 'none' - use Jaeger.provider() to turn Jaeger on
   */
  readonly tracing?: PluginProvider<TracingBackendPlugin> | Disabled;
  /**
   * Metrics backend, optional.
   * @default Prometheus.provider()
   */
  readonly metrics?: PluginProvider<MetricsBackendPlugin> | Disabled;
  /**
   * OpenTelemetry slot (always on: every service and job sends OTLP to it).
   * @default OtelCollector.provider()
   */
  readonly telemetry?: PluginProvider<TelemetryPlugin>;
  /**
   * Dashboards, optional.
   * @default Grafana.provider()
   */
  readonly dashboards?: PluginProvider<Grafana> | Disabled;
  /**
   * Lineage slot, optional.
   * @default 'none' - use Marquez.provider() to turn Marquez on
   */
  readonly lineage?: PluginProvider<LineagePlugin> | Disabled;
  /**
   * Orchestrator slot, or `'none'` (e.g. for the shared services of a data mesh, whose domains
   * run their own orchestrators).
   * @default Dagster.provider() - Dagster on its own PostgreSQL `orchestrator-db`
   */
  readonly orchestrator?: PluginProvider<OrchestratorPlugin> | Disabled;
  /**
   * Semantic layer slot, or `'none'`.
   * @default Cube.provider() - Cube API, refresh worker and Cube Store
   */
  readonly semantic?: PluginProvider<SemanticLayerPlugin> | Disabled;
  /**
   * Databases outside the cluster, by the instance name a plugin asks for (`orchestrator-db`,
   * `catalog-db`, `lineage-db`). Those instances are then not deployed.
   * @default - every database runs in the cluster
   */
  readonly externalDatabases?: Record<string, ExternalDatabaseProps>;
  /**
   * Settings for every in-cluster PostgreSQL (storage size and class, resources, image, ...).
   * @default - PostgreSQL's defaults
   */
  readonly databaseOptions?: DatabaseOptions;
  /**
   * Ingresses for the HTTP services, by slot.
   * @default - no Ingress
   */
  readonly ingress?: PlatformIngressProps;
  /**
   * Another platform whose storage, catalog, telemetry, tracing, metrics, dashboards and lineage
   * this one uses instead of deploying its own: a data-mesh domain on the enterprise's shared
   * services. This chart then deploys only its orchestrator and semantic layer (with their
   * databases) and its client configuration, which points at the shared services by fully
   * qualified DNS names. Those slots must then be left unset. The chart depends on the other
   * platform's chart, so its file is numbered after that one's (apply order).
   * @default - none: the platform deploys every slot itself
   */
  readonly sharedServices?: FloePlatform;
  /**
   * Monitoring through the Prometheus operator: a ServiceMonitor for every metrics endpoint this
   * chart deploys and a PrometheusRule with floe's production alerts (`PlatformMonitoring`), or
   * `false`. Needs the prometheus-operator CRDs (`requiredCustomResourceDefinitions`).
   * @default - on, with `MonitoringOptions` defaults
   */
  readonly monitoring?: MonitoringOptions | false;
  /**
   * Backups of every PostgreSQL database the platform uses (in-cluster and external): one
   * CronJob each, streaming `pg_dump | gzip` to object storage (see `BackupOptions`), or `false`.
   * @default - every 6 hours to bucket `floe-backups` of the platform's object storage (its warehouse
   *   bucket when the storage is outside the cluster), kept 30 days
   */
  readonly backups?: BackupOptions | false;
  /**
   * Network isolation: a default-deny NetworkPolicy for the namespace, DNS for every pod, and one
   * policy per workload allowing exactly the connections the platform's parts declare (see
   * docs/network-policies.md). Needs a CNI that enforces NetworkPolicy. `false` writes none.
   * @default {} - on, with the cluster DNS, any API server address and ingress-nginx
   */
  readonly networkPolicies?: NetworkPolicyOptions | false;
}

/**
 * Everything a pipeline job or a client needs to reach the platform, as fully qualified URLs
 * that hold from any namespace. The `FloeJobs` chart consumes this.
 */
export interface PlatformEndpoints {
  /** Namespace of the platform. */
  readonly namespace: string;
  /** Iceberg REST catalog URI (`.../api/catalog`). */
  readonly catalogUri: string;
  /** Catalog warehouse name. */
  readonly warehouse: string;
  /** OTLP/gRPC endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`). */
  readonly otlpGrpcEndpoint: string;
  /** OTLP/HTTP endpoint. */
  readonly otlpHttpEndpoint: string;
  /** S3 endpoint URL. */
  readonly s3Endpoint: string;
  /** S3 region. */
  readonly s3Region: string;
  /** Path-style S3 addressing. */
  readonly s3PathStyleAccess: boolean;
  /** Warehouse bucket. */
  readonly warehouseBucket: string;
  /** S3 access key ID Secret reference. */
  readonly s3AccessKeyId: SecretKeyRef;
  /** S3 secret access key Secret reference. */
  readonly s3SecretAccessKey: SecretKeyRef;
  /** Orchestrator UI/API URL, when an orchestrator is deployed. */
  readonly orchestratorUrl?: string;
  /** OpenLineage base URL (`OPENLINEAGE_URL`), when lineage is on. */
  readonly lineageUrl?: string;
  /** Default OpenLineage namespace, when lineage is on. */
  readonly lineageNamespace?: string;
  /** Semantic layer API URL, when one is deployed. */
  readonly semanticApiUrl?: string;
  /** Metrics query URL, when a metrics backend is deployed. */
  readonly metricsQueryUrl?: string;
  /** Trace query URL, when a trace backend is deployed. */
  readonly tracingQueryUrl?: string;
}

function enabled<T>(
  slot: PluginProvider<T> | Disabled | undefined,
  fallback?: () => PluginProvider<T>,
): PluginProvider<T> | undefined {
  if (slot === 'none') {
    return undefined;
  }
  return slot ?? fallback?.();
}

/** A provider that the platform's configuration guarantees is there. */
function required<T>(provider: PluginProvider<T> | undefined): PluginProvider<T> {
  if (provider === undefined) {
    throw new Error('internal: a slot without provider');
  }
  return provider;
}

/**
 * The floe data platform: every long-lived service, composed in one chart.
 *
 * Objects are written in the documented startup order: namespace, storage and databases, catalog,
 * observability, orchestrator, semantic layer. Init containers in each workload wait for the
 * services it really needs, so the order of `kubectl apply` does not have to be enforced by hand.
 */
export class FloePlatform extends Chart {
  /** Namespace of every object. */
  public readonly namespaceName: string;
  /** Platform name (`app.kubernetes.io/part-of`). */
  public readonly platformName: string;
  /** The Namespace object, when created. */
  public readonly namespaceObject?: k8s.KubeNamespace;
  /** Object storage. */
  public readonly storage: ObjectStoragePlugin;
  /** Databases by instance name. */
  public readonly databases: Readonly<Record<string, PostgresDatabasePlugin>>;
  /** Backup CronJobs by database instance name (empty when `backups` is `false`). */
  public readonly backups: Readonly<Record<string, PostgresBackup>>;
  /** Iceberg catalog. */
  public readonly catalog: CatalogPlugin;
  /** Trace backend, if on. */
  public readonly tracing?: TracingBackendPlugin;
  /** Metrics backend, if on. */
  public readonly metrics?: MetricsBackendPlugin;
  /** OTLP endpoint. */
  public readonly telemetry: TelemetryPlugin;
  /** Dashboards, if on. */
  public readonly dashboards?: Grafana;
  /** Lineage, if on. */
  public readonly lineage?: LineagePlugin;
  /** Orchestrator, if on. */
  public readonly orchestrator?: OrchestratorPlugin;
  /** Semantic layer, if on. */
  public readonly semantic?: SemanticLayerPlugin;
  /** Typed endpoints for jobs and clients. */
  public readonly endpoints: PlatformEndpoints;
  /** The `floe-platform-config` ConfigMap runs launched in the platform namespace read. */
  public readonly clientConfigMap: k8s.KubeConfigMap;
  /** The platform whose shared services this one uses, if any. */
  public readonly sharedServices?: FloePlatform;
  /** Where the images of data products on this platform are, if set (`productImageRepositoryPrefix`). */
  public readonly productImageRepositoryPrefix?: string;
  /** The namespace's NetworkPolicies, unless `networkPolicies` is false. */
  public readonly networkIsolation?: NetworkIsolation;
  /** Ingresses by slot, for the slots `ingress` names. */
  public readonly ingresses: Readonly<Partial<Record<keyof PlatformIngressProps, k8s.KubeIngress>>>;
  /** ServiceMonitors and alert rules, unless `monitoring: false`. */
  public readonly monitoring?: PlatformMonitoring;
  private readonly ingressSecrets: SecretRequirement[] = [];

  public constructor(scope: Construct, id: string, props: FloePlatformProps = {}) {
    checkConstructProps(scope, id, 'FloePlatformProps', props);
    const namespace = props.namespace ?? DEFAULT_PLATFORM_NAMESPACE;
    super(scope, id, { namespace, disableResourceNameHashes: true });
    checkObjectCollisions(this);
    validateDnsLabel(this, 'namespace', namespace);
    this.namespaceName = namespace;
    this.platformName = props.platformName ?? DEFAULT_PLATFORM_NAME;
    validateLabelValue(this, 'platformName', this.platformName);

    const shared = props.sharedServices;
    this.sharedServices = shared;
    if (shared) {
      for (const slot of SHARED_SERVICE_SLOTS) {
        if (props[slot] !== undefined) {
          throw new FloeValidationError(
            this,
            slot,
            props[slot] === 'none' ? 'none' : 'a provider',
            `unset: with sharedServices the ${slot} comes from platform '${shared.node.path}'`,
          );
        }
      }
      // Apply order: cdk8s numbers the files of dependent charts after those they depend on.
      this.addDependency(shared);
    }
    if (props.productImageRepositoryPrefix !== undefined) {
      validateImageRepositoryPrefix(this, 'productImageRepositoryPrefix', props.productImageRepositoryPrefix);
    }
    this.productImageRepositoryPrefix =
      props.productImageRepositoryPrefix ?? shared?.productImageRepositoryPrefix;
    const own = shared === undefined;
    const storageProvider = own ? (props.storage ?? MinIO.provider()) : undefined;
    const catalogProvider = own ? (props.catalog ?? Polaris.provider()) : undefined;
    const tracingProvider = own ? enabled(props.tracing) : undefined;
    const metricsProvider = own ? enabled(props.metrics, () => Prometheus.provider()) : undefined;
    const telemetryProvider = own ? (props.telemetry ?? OtelCollector.provider()) : undefined;
    const dashboardsProvider = own ? enabled(props.dashboards, () => Grafana.provider()) : undefined;
    const lineageProvider = own ? enabled(props.lineage) : undefined;
    const orchestratorProvider = enabled(props.orchestrator, () => Dagster.provider());
    const semanticProvider = enabled(props.semantic, () => Cube.provider());

    // Tiers in startup order. cdk8s writes a chart's objects in construct-tree order (preorder)
    // when they have no dependencies, so the tiers, created in this order, order the output;
    // plugins are created in the order their wiring needs (observability before the catalog, so the
    // catalog can send traces), which may differ. No dependencies between the tiers: cdk8s turns a
    // construct dependency into one between every pair of their objects and checks every new edge
    // for cycles by walking all paths, which made synth time grow with the product of the tier
    // sizes and again for every chart that depends on the platform (bench/README.md).
    const foundation = new Construct(this, 'foundation');
    const storageTier = new Construct(this, 'storage');
    const catalogTier = new Construct(this, 'catalog');
    const observabilityTier = new Construct(this, 'observability');
    const orchestratorTier = new Construct(this, 'orchestrator');
    const semanticTier = new Construct(this, 'semantic');

    if (props.createNamespace ?? true) {
      this.namespaceObject = new k8s.KubeNamespace(foundation, 'namespace', {
        metadata: {
          name: namespace,
          labels: {
            'app.kubernetes.io/name': 'floe-platform',
            'app.kubernetes.io/instance': namespace,
            'app.kubernetes.io/component': 'namespace',
            'app.kubernetes.io/part-of': this.platformName,
            'app.kubernetes.io/managed-by': MANAGED_BY,
            'app.kubernetes.io/version': 'v1',
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/enforce-version': 'v1.28',
            'pod-security.kubernetes.io/audit': 'restricted',
            'pod-security.kubernetes.io/warn': 'restricted',
          },
        },
      });
      // Namespaces are cluster-scoped: drop the chart namespace cdk8s adds to every object.
      this.namespaceObject.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }
    if (props.networkPolicies !== false) {
      this.networkIsolation = new NetworkIsolation(foundation, 'network-policies', {
        ...props.networkPolicies,
        identity: {
          name: 'floe-platform',
          instance: namespace,
          component: 'network-policy',
          partOf: this.platformName,
          version: 'v1',
        },
      });
    }

    sizingReplicas(this, 'sizing', props.sizing);
    resolveProduction(this, props);
    const deps: PlatformDependencies = {
      platformName: this.platformName,
      imageRegistry: props.imageRegistry,
      imagePullSecrets: props.imagePullSecrets,
      sizing: props.sizing,
      ...productionOptions(props),
    };

    // Storage and databases.
    this.storage = shared?.storage ?? required(storageProvider).provide(storageTier, 'object-storage', deps);
    const requests = [
      catalogProvider,
      lineageProvider,
      orchestratorProvider,
      semanticProvider,
      tracingProvider,
      metricsProvider,
    ]
      .map((p) => p?.database)
      .filter((r): r is NonNullable<typeof r> => r !== undefined);
    const requestedNames = requests.map((r) => r.name);
    for (const name of Object.keys(props.externalDatabases ?? {})) {
      if (!requestedNames.includes(name)) {
        throw new FloeValidationError(
          this,
          `externalDatabases.${name}`,
          name,
          `the name of a database a plugin uses: ${requestedNames.join(', ') || '(none)'}`,
        );
      }
    }
    const databases: Record<string, PostgresDatabasePlugin> = {};
    for (const req of requests) {
      const external = props.externalDatabases?.[req.name];
      databases[req.name] = external
        ? ExternalPostgres.fromEndpoint(
            {
              ...external,
              database: external.database ?? req.database,
              username: external.username ?? req.username,
            },
            `${this.node.path}/externalDatabases.${req.name}`,
          )
        : new PostgreSQL(storageTier, req.name, {
            ...props.databaseOptions,
            name: req.name,
            database: req.database,
            username: req.username,
            platformName: this.platformName,
            imageRegistry: props.databaseOptions?.imageRegistry ?? props.imageRegistry,
            imagePullSecrets: props.databaseOptions?.imagePullSecrets ?? props.imagePullSecrets,
            ...productionOptions(props.databaseOptions ?? {}, props),
          });
    }
    this.databases = databases;
    // Backups of those databases, written after the services (a tier of their own).
    this.backups =
      props.backups === false
        ? {}
        : addPostgresBackups(new Construct(this, 'backups'), databases, this.storage, props.backups ?? {}, {
            platformName: this.platformName,
            imageRegistry: props.imageRegistry,
            imagePullSecrets: props.imagePullSecrets,
            ...productionOptions(props),
          });
    const withDb = (
      p: PluginProvider<unknown> | undefined,
      deps: PlatformDependencies,
    ): PlatformDependencies => (p?.database ? { ...deps, database: databases[p.database.name] } : deps);

    // Observability backends first in creation, so every service can be wired to them.
    const withStorage: PlatformDependencies = { ...deps, storage: this.storage };
    this.tracing = shared
      ? shared.tracing
      : tracingProvider?.provide(observabilityTier, 'tracing', withDb(tracingProvider, withStorage));
    this.metrics = shared
      ? shared.metrics
      : metricsProvider?.provide(observabilityTier, 'metrics', withDb(metricsProvider, withStorage));
    this.telemetry =
      shared?.telemetry ??
      required(telemetryProvider).provide(observabilityTier, 'telemetry', {
        ...withStorage,
        tracing: this.tracing,
        metrics: this.metrics,
      });
    const observed: PlatformDependencies = {
      ...withStorage,
      telemetry: this.telemetry,
      tracing: this.tracing,
      metrics: this.metrics,
    };
    this.dashboards = shared
      ? shared.dashboards
      : dashboardsProvider?.provide(observabilityTier, 'dashboards', observed);
    this.lineage = shared
      ? shared.lineage
      : lineageProvider?.provide(observabilityTier, 'lineage', withDb(lineageProvider, observed));

    this.catalog =
      shared?.catalog ??
      required(catalogProvider).provide(catalogTier, 'catalog', withDb(catalogProvider, observed));
    const withCatalog: PlatformDependencies = {
      ...observed,
      catalog: this.catalog,
      lineage: this.lineage,
      runConfigMaps: [PLATFORM_CONFIG_MAP_NAME],
    };
    this.orchestrator = orchestratorProvider?.provide(
      orchestratorTier,
      'orchestrator',
      withDb(orchestratorProvider, withCatalog),
    );
    this.semantic = semanticProvider?.provide(
      semanticTier,
      'semantic',
      withDb(semanticProvider, withCatalog),
    );

    // Monitoring of every metrics endpoint of the services this chart deploys.
    if (props.monitoring !== false) {
      const monitored: (Monitored | undefined)[] = this.deployedServices();
      this.monitoring = new PlatformMonitoring(this, 'monitoring', {
        ...props.monitoring,
        endpoints: monitored.flatMap((part) => [...(part?.metricsEndpoints ?? [])]),
        dagsterAlerts:
          this.orchestrator instanceof Dagster && this.orchestrator.metricsExporter !== undefined,
        platformName: this.platformName,
      });
    }

    // The metrics backend this chart deploys evaluates floe's alerts itself, so they fire on a
    // cluster without the Prometheus operator: the groups of the PrometheusRule when there is one,
    // else the same definitions with the same thresholds (`monitoring.alerts: false` turns both off).
    const alerts = props.monitoring === false ? undefined : props.monitoring?.alerts;
    if (!shared && this.metrics?.addAlertRules && alerts !== false) {
      this.metrics.addAlertRules(
        this.monitoring?.alertRules?.groups ??
          platformAlertRuleGroups(this, {
            ...alerts,
            dagster: this.orchestrator instanceof Dagster && this.orchestrator.metricsExporter !== undefined,
          }),
      );
    }

    // Ingresses, after everything they may front (the last tier in the tree).
    const exposure = new Construct(this, 'exposure');
    const exposable: Record<keyof PlatformIngressProps, Exposable | undefined> = {
      orchestrator: this.orchestrator,
      catalog: this.catalog,
      semantic: this.semantic,
      storage: this.storage,
      dashboards: this.dashboards,
      lineage: this.lineage,
      tracing: this.tracing,
      metrics: this.metrics,
    };
    const ingresses: Partial<Record<keyof PlatformIngressProps, k8s.KubeIngress>> = {};
    for (const [slot, options] of Object.entries(props.ingress ?? {}) as [
      keyof PlatformIngressProps,
      IngressOptions | undefined,
    ][]) {
      if (options === undefined) continue;
      if (!(slot in exposable)) {
        throw new FloeValidationError(
          this,
          `ingress.${slot}`,
          slot,
          `one of ${Object.keys(exposable).join(', ')}`,
        );
      }
      const target = exposable[slot]?.webExposure;
      const deployedHere = !(shared && (SHARED_SERVICE_SLOTS as readonly string[]).includes(slot));
      if (target === undefined || !deployedHere) {
        throw new FloeValidationError(
          this,
          `ingress.${slot}`,
          options,
          `no Ingress: the ${slot} slot has no HTTP service in this chart (${
            !deployedHere
              ? `it comes from platform '${shared?.node.path}'`
              : "it is 'none' or outside the cluster"
          })`,
        );
      }
      ingresses[slot] = addIngress(exposure, `ingress-${slot}`, `ingress.${slot}`, target, options);
      // cert-manager writes the TLS Secret itself when an issuer annotation asks it to.
      const viaCertManager = Object.keys(options.annotations ?? {}).some((k) =>
        k.startsWith('cert-manager.io/'),
      );
      if (options.tlsSecretName !== undefined && !viaCertManager) {
        this.ingressSecrets.push({
          name: options.tlsSecretName,
          keys: ['tls.crt', 'tls.key'],
          purpose: `TLS certificate of the ${slot} Ingress`,
        });
      }
    }
    this.ingresses = ingresses;

    this.endpoints = {
      namespace,
      catalogUri: this.catalog.catalogUri,
      warehouse: this.catalog.warehouse,
      otlpGrpcEndpoint: this.telemetry.otlpGrpcEndpoint,
      otlpHttpEndpoint: this.telemetry.otlpHttpEndpoint,
      s3Endpoint: this.storage.endpoint,
      s3Region: this.storage.region,
      s3PathStyleAccess: this.storage.pathStyleAccess,
      warehouseBucket: this.storage.warehouseBucket,
      s3AccessKeyId: this.storage.accessKeyId,
      s3SecretAccessKey: this.storage.secretAccessKey,
      ...(this.orchestrator ? { orchestratorUrl: this.orchestrator.webserverUrl } : {}),
      ...(this.lineage
        ? { lineageUrl: this.lineage.lineageUrl, lineageNamespace: this.lineage.lineageNamespace }
        : {}),
      ...(this.semantic ? { semanticApiUrl: this.semantic.apiUrl } : {}),
      ...(this.metrics ? { metricsQueryUrl: this.metrics.queryUrl } : {}),
      ...(this.tracing ? { tracingQueryUrl: this.tracing.queryUrl } : {}),
    };

    // Runs read the client configuration below, so they connect to every server it names.
    if (this.orchestrator?.runWorkloads) {
      connectToPlatformConfig(this.orchestrator.runWorkloads, this.endpoints);
    }

    // The client configuration for runs the orchestrator launches in this namespace (the FloeJobs
    // chart writes the same data into each jobs namespace).
    this.clientConfigMap = new k8s.KubeConfigMap(foundation, 'client-config', {
      metadata: {
        name: PLATFORM_CONFIG_MAP_NAME,
        labels: {
          'app.kubernetes.io/name': 'floe-platform',
          'app.kubernetes.io/instance': namespace,
          'app.kubernetes.io/component': 'client-config',
          'app.kubernetes.io/part-of': this.platformName,
          'app.kubernetes.io/managed-by': MANAGED_BY,
          'app.kubernetes.io/version': 'v1',
        },
      },
      data: platformConfigData(this.endpoints),
    });
  }

  /**
   * Every Secret the platform reads and does not create, merged by name (keys united), sorted.
   * These must exist in the namespace before the pods can start.
   */
  public get requiredSecrets(): SecretRequirement[] {
    return mergeSecretRequirements(this.parts().flatMap((part) => [...(part?.requiredSecrets ?? [])]));
  }

  /**
   * CustomResourceDefinitions that must be installed before the platform is applied (those of the
   * Prometheus operator, with `monitoring` on), sorted.
   */
  public get requiredCustomResourceDefinitions(): string[] {
    return [...(this.monitoring?.requiredCustomResourceDefinitions ?? [])];
  }

  /** ConfigMaps the platform reads and does not create, sorted. */
  public get requiredConfigMaps(): string[] {
    const produced = new Set([PLATFORM_CONFIG_MAP_NAME]);
    const wanted = this.parts().flatMap((p) => [...(p?.requiredConfigMaps ?? [])]);
    return [...new Set(wanted.filter((name) => !produced.has(name)))].sort();
  }

  private parts(): (HasPrerequisites | undefined)[] {
    return [
      ...this.deployedServices(),
      ...Object.values(this.databases),
      this.ingressTls(),
      ...Object.values(this.backups),
    ];
  }

  /**
   * The services this chart deploys: every slot's, or with `sharedServices` only the orchestrator
   * and the semantic layer (the shared ones and their Secrets live in the other namespace).
   */
  private deployedServices(): ((HasPrerequisites & Monitored) | undefined)[] {
    if (this.sharedServices) {
      return [this.orchestrator, this.semantic];
    }
    return [
      this.storage,
      this.catalog,
      this.tracing,
      this.metrics,
      this.telemetry,
      this.dashboards,
      this.lineage,
      this.orchestrator,
      this.semantic,
    ];
  }

  /** The Ingress TLS Secrets that must exist. */
  private ingressTls(): HasPrerequisites {
    return { requiredSecrets: this.ingressSecrets };
  }

  /**
   * `kubectl create` commands for every required Secret and ConfigMap. Values are placeholders
   * (`<key>`); keys that name a file (`public.pem`) are read from a file of that name.
   */
  public prerequisiteCommands(): string[] {
    const secrets = this.requiredSecrets.map((s) =>
      s.keys.join(',') === 'tls.crt,tls.key'
        ? `kubectl -n ${this.namespaceName} create secret tls ${s.name} --cert=./tls.crt --key=./tls.key`
        : `kubectl -n ${this.namespaceName} create secret generic ${s.name} ` +
          s.keys
            .map((k) => (k.includes('.') ? `--from-file=${k}=./${k}` : `--from-literal=${k}=<${k}>`))
            .join(' '),
    );
    const configMaps = this.requiredConfigMaps.map(
      (name) => `kubectl -n ${this.namespaceName} create configmap ${name} --from-file=<directory>/`,
    );
    return [...secrets, ...configMaps];
  }
}
