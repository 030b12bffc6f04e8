import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import {
  AutoscalerOptions,
  productionOptions,
  resolveProduction,
  workloadAvailability,
} from '../../core/availability';
import { ComponentProps, DEFAULT_PLATFORM_NAME, WorkloadOptions } from '../../core/component';
import { connect, ConnectionTarget } from '../../core/connections';
import { endpointUrl, ServiceEndpoint, serviceEndpoint } from '../../core/endpoints';
import { plainEnv, secretEnv, withExtraEnv } from '../../core/env';
import { FloeValidationError } from '../../core/errors';
import { ContainerImage, ImageOverride, resolveImage } from '../../core/image';
import { selectorLabels, WorkloadIdentity } from '../../core/labels';
import { buildContainer, buildPodTemplate, configMapVolume, emptyDirVolume, RunAs } from '../../core/pod';
import { httpProbe } from '../../core/probes';
import { checkConstructProps, checkProps } from '../../core/props-check';
import { ResourceRequirements, WAIT_CONTAINER_RESOURCES } from '../../core/resources';
import { mergeSecretRequirements, SecretKeyRef, SecretRequirement } from '../../core/secrets';
import { addService, objectMeta } from '../../core/service';
import { workloadServiceAccount } from '../../core/service-account';
import {
  validateDnsLabel,
  validateDnsSubdomain,
  validateEnvName,
  validatePort,
  validateReplicas,
} from '../../core/validation';
import { waitForTcpContainer } from '../../core/wait';
import { ObjectStoragePlugin, PluginProvider, SemanticLayerPlugin } from '../interfaces';
import { CubeStore, CubeStoreProps, secretRequirements } from './cube-store';
import { MetricsEndpoint } from '../../core/metrics';
import { IngressTarget } from '../../core/ingress';

/**
 * The Cube API image (Node.js on debian bookworm-slim, WORKDIR `/cube/conf`, CMD `cubejs server`).
 * Its tag must be the same Cube version as Cube Store's (`CUBESTORE_IMAGE`).
 */
export const CUBE_IMAGE: ContainerImage = {
  registry: 'docker.io',
  repository: 'cubejs/cube',
  tag: 'v1.5.3',
};

/**
 * The image has no USER (it runs as root upstream); its Node.js base image has the user `node`,
 * UID and GID 1000, which can read everything Cube needs.
 */
export const CUBE_RUN_AS: RunAs = { user: 1000, group: 1000, fsGroup: 1000 };

/** Cube's HTTP port (REST, GraphQL and health endpoints; `PORT`). */
export const CUBE_PORT = 4000;
/** Cube's working directory: the data model is read relative to it. */
export const CUBE_CONF_DIR = '/cube/conf';
/** Where the data model is mounted (`CUBEJS_SCHEMA_PATH=model`, relative to `/cube/conf`). */
export const CUBE_MODEL_DIR = '/cube/conf/model';
/** Default Secret holding `CUBEJS_API_SECRET`. */
export const CUBE_API_SECRET_DEFAULT: SecretKeyRef = { name: 'cube-api-secret', key: 'api-secret' };

const API_RESOURCES: ResourceRequirements = {
  requests: { cpu: '250m', memory: '512Mi' },
  limits: { memory: '2Gi' },
};
const REFRESH_WORKER_RESOURCES: ResourceRequirements = {
  requests: { cpu: '250m', memory: '512Mi' },
  limits: { memory: '2Gi' },
};

/** Data source types (`CUBEJS_DB_TYPE`) this construct renders settings for. */
export type CubeDataSourceType =
  | 'trino'
  | 'prestodb'
  | 'duckdb'
  | 'postgres'
  | 'mysql'
  | 'clickhouse'
  | 'redshift'
  | 'athena'
  | 'bigquery'
  | 'snowflake'
  | 'databricks-jdbc';

const DATA_SOURCE_TYPES: readonly CubeDataSourceType[] = [
  'trino',
  'prestodb',
  'duckdb',
  'postgres',
  'mysql',
  'clickhouse',
  'redshift',
  'athena',
  'bigquery',
  'snowflake',
  'databricks-jdbc',
];
/** Types reached over the network at `host:port`. */
const HOST_TYPES: readonly CubeDataSourceType[] = [
  'trino',
  'prestodb',
  'postgres',
  'mysql',
  'clickhouse',
  'redshift',
];

/** Types reached through their cloud API over HTTPS. */
const CLOUD_TYPES: readonly CubeDataSourceType[] = ['athena', 'bigquery', 'snowflake', 'databricks-jdbc'];

/** The database Cube queries, rendered to `CUBEJS_DB_*` variables. */
export interface CubeDataSource {
  /** `CUBEJS_DB_TYPE` (required). */
  readonly type: CubeDataSourceType;
  /**
   * `CUBEJS_DB_HOST`. Required for trino, prestodb, postgres, mysql, clickhouse and redshift;
   * not allowed for duckdb.
   * @default - none
   */
  readonly host?: string;
  /**
   * `CUBEJS_DB_PORT`.
   * @default - the driver's default
   */
  readonly port?: number;
  /**
   * `CUBEJS_DB_NAME` (for Trino/Presto this is the schema).
   * @default - none
   */
  readonly database?: string;
  /**
   * `CUBEJS_DB_USER`.
   * @default - none
   */
  readonly user?: string;
  /**
   * `CUBEJS_DB_PASS`, from an existing Secret.
   * @default - none
   */
  readonly passwordSecret?: SecretKeyRef;
  /**
   * Trino/Presto catalog, `CUBEJS_DB_PRESTO_CATALOG` (trino and prestodb only).
   * @default - none
   */
  readonly catalog?: string;
  /**
   * `CUBEJS_DB_SSL`.
   * @default - unset (the driver's default, no TLS)
   */
  readonly ssl?: boolean;
  /**
   * Further plain `CUBEJS_DB_*` / `CUBEJS_DS_*` / `CUBEJS_AWS_*` / `CUBEJS_JDBC_*` settings, e.g.
   * `CUBEJS_DB_DUCKDB_EXTENSIONS`. Nothing secret: use `secretEnv` for that.
   * @default - none
   */
  readonly extra?: Record<string, string>;
  /**
   * Further settings read from existing Secrets, e.g. `CUBEJS_DB_DUCKDB_MOTHERDUCK_TOKEN`.
   * @default - none
   */
  readonly secretEnv?: Record<string, SecretKeyRef>;
  /**
   * DuckDB extensions installed ahead of time, for clusters without internet access (only with
   * type `duckdb`). Without it DuckDB downloads the extensions it needs (httpfs, for `s3://`, as
   * soon as Cube sets `s3_region`) from `http://extensions.duckdb.org` on first use.
   * @default - none: downloaded from DuckDB's core repository, which the NetworkPolicy allows
   */
  readonly preinstalledExtensions?: CubeDuckDbExtensions;
}

/**
 * DuckDB extensions copied from an image into DuckDB's extension directory before Cube starts.
 * DuckDB keeps installed extensions in `$HOME/.duckdb/extensions/<version>/<platform>/`, and an
 * install (explicit, or the autoinstall before an autoload) of an extension whose file is there
 * is a no-op that downloads nothing (duckdb/duckdb, src/main/extension/extension_install.cpp,
 * `InstallExtensionInternal`: "File exists, but that's okay, install is now a NOP"; with a `.info`
 * file beside it, only if it was installed from the same repository). So the image holds that tree
 * for the DuckDB that Cube's image bundles, installed from the default repository, e.g. by running
 * `INSTALL httpfs` in the DuckDB CLI of that version and copying `~/.duckdb/extensions`. The
 * NetworkPolicy then allows no egress to the extension repository.
 */
export interface CubeDuckDbExtensions {
  /** An image with `sh` and `cp` that holds the extension tree (pinned). Required. */
  readonly image: ContainerImage;
  /**
   * Directory in the image that holds `extensions/<version>/<platform>/*.duckdb_extension`
   * (the contents of a `~/.duckdb`).
   * @default '/duckdb'
   */
  readonly path?: string;
}

/** Where the data model (`*.yml` / `*.js` cubes and views) comes from. */
export type CubeModelSource =
  /** A ConfigMap the data team creates; every key becomes a file in `/cube/conf/model`. */
  | { readonly configMapName: string }
  /** Any volume (e.g. a git-sync or CSI volume); it is named `model` in the pod. */
  | { readonly volume: k8s.Volume };

/** Cube's log levels (`CUBEJS_LOG_LEVEL`). */
export type CubeLogLevel = 'error' | 'warn' | 'info' | 'trace';

/** Options of the API Deployment (the image is shared by both roles: see `CubeProps.image`). */
export interface CubeApiOptions extends Omit<WorkloadOptions, 'image'> {
  /**
   * Number of API pods. With autoscaling this is the autoscaler's minimum and the Deployment sets
   * no replica count.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * The API's HorizontalPodAutoscaler.
   * @default - on with `autoscaling`: minimum `replicas`, maximum 10, 70 % CPU
   */
  readonly autoscaler?: AutoscalerOptions;
}

/** Options of the refresh worker Deployment (`replicas` may only be 1). */
export type CubeRefreshWorkerOptions = Omit<WorkloadOptions, 'image'>;

/** Properties of a `Cube`. */
export interface CubeProps extends ComponentProps {
  /**
   * Name of the API Deployment and Service (`<name>`) and of the refresh worker
   * (`<name>-refresh-worker`). A DNS-1123 label of at most 40 characters.
   * @default 'cube'
   */
  readonly name?: string;
  /**
   * Image override for the API and the refresh worker. Its version must equal Cube Store's.
   * @default - `docker.io/cubejs/cube:v1.5.3`
   */
  readonly image?: ImageOverride;
  /**
   * API Deployment options.
   * @default - 2 replicas, 250m/512Mi requests, 2Gi memory limit
   */
  readonly api?: CubeApiOptions;
  /**
   * Refresh worker options. Exactly one refresh worker: several would build the same
   * pre-aggregations concurrently.
   * @default - 1 replica, 250m/512Mi requests, 2Gi memory limit
   */
  readonly refreshWorker?: CubeRefreshWorkerOptions;
  /**
   * The JWT signing secret `CUBEJS_API_SECRET`, in an existing Secret.
   * @default - Secret `cube-api-secret`, key `api-secret`
   */
  readonly apiSecret?: SecretKeyRef;
  /**
   * The database Cube queries.
   * @default { type: 'duckdb' } - in-process DuckDB reading the platform's object storage
   */
  readonly dataSource?: CubeDataSource;
  /**
   * The data model, mounted read-only at `/cube/conf/model`.
   * @default - ConfigMap `<name>-model` (a prerequisite, see `requiredConfigMaps`)
   */
  readonly model?: CubeModelSource;
  /**
   * Object storage: Cube Store's remote storage (when this construct creates it) and, for a DuckDB
   * data source, the S3 settings DuckDB reads data with (`CUBEJS_DB_DUCKDB_S3_*`).
   * @default - none
   */
  readonly storage?: ObjectStoragePlugin;
  /**
   * An existing Cube Store to use instead of creating one.
   * @default - a `CubeStore` is created as child `cubestore`
   */
  readonly cubeStore?: CubeStore;
  /**
   * Options of the Cube Store this construct creates (not allowed with `cubeStore`). `storage`,
   * `platformName`, `imageRegistry` and `imagePullSecrets` are passed on from these props.
   * @default - `CubeStore` defaults
   */
  readonly cubeStoreOptions?: Omit<CubeStoreProps, 'storage' | keyof ComponentProps>;
  /**
   * `CUBEJS_LOG_LEVEL`.
   * @default 'warn'
   */
  readonly logLevel?: CubeLogLevel;
  /**
   * Image of the busybox init container that waits for the Cube Store router.
   * @default - `docker.io/library/busybox:1.37.0`
   */
  readonly waitImage?: ImageOverride;
}

/** Options of `Cube.provider`: everything but what the platform passes in. */
export type CubeProviderOptions = Omit<CubeProps, keyof ComponentProps>;

/**
 * The Cube semantic layer: an API Deployment (REST/GraphQL on port 4000 behind the Service `cube`),
 * a single refresh worker Deployment that builds pre-aggregations, and (unless one is given) a
 * Cube Store cluster for cache, queue and pre-aggregations. Both Cube roles run the same image as
 * the `node` user (UID 1000) with a read-only root filesystem; `/tmp` is an emptyDir, the model is
 * mounted read-only, and a DuckDB data source gets writable directories for its extensions and
 * spill files. Pods wait in an init container until the Cube Store router answers.
 */
export class Cube extends Construct implements SemanticLayerPlugin {
  /**
   * A provider for `FloePlatform`'s semantic slot: builds Cube with the platform's name, registry,
   * pull secrets and object storage.
   */
  public static provider(options: CubeProviderOptions = {}): PluginProvider<SemanticLayerPlugin> {
    checkProps('Cube.provider()', 'CubeProviderOptions', options);
    return {
      provide: (scope: Construct, id: string, deps) =>
        new Cube(scope, id, {
          ...options,
          ...productionOptions(deps),
          storage: options.storage ?? deps.storage,
          platformName: deps.platformName,
          imageRegistry: deps.imageRegistry,
          imagePullSecrets: deps.imagePullSecrets,
        }),
    };
  }

  /**
   * Base URL of the Cube server, e.g. `http://cube.floe-platform.svc.cluster.local:4000`: the REST
   * API is under `/cubejs-api/v1`, GraphQL at `/cubejs-api/graphql`, health at `/livez`, `/readyz`.
   */
  public readonly apiUrl: string;
  /** The REST API URL client SDKs take, e.g. `http://cube.floe-platform.svc.cluster.local:4000/cubejs-api/v1`. */
  public readonly restApiUrl: string;
  /** The API Service endpoint (port 4000). */
  public readonly serviceEndpoint: ServiceEndpoint;
  /** The resolved Cube image. */
  public readonly image: ContainerImage;
  /** Labels of the API pods. */
  public readonly apiIdentity: WorkloadIdentity;
  /** Labels of the refresh worker pod. */
  public readonly refreshWorkerIdentity: WorkloadIdentity;
  /** The Cube Store this Cube uses (created here unless one was given). */
  public readonly cubeStore: CubeStore;
  /** Metrics endpoints: those of the Cube Store this construct created (the Cube API serves none). */
  public readonly metricsEndpoints: readonly MetricsEndpoint[];
  /** Secrets that must exist. */
  public readonly requiredSecrets: readonly SecretRequirement[];
  /** ConfigMaps that must exist (the data model, when it comes from a ConfigMap). */
  public readonly requiredConfigMaps: readonly string[];
  /** The API Deployment. */
  public readonly apiDeployment: k8s.KubeDeployment;
  /** The refresh worker Deployment. */
  public readonly refreshWorkerDeployment: k8s.KubeDeployment;
  /** The API Service. */
  public readonly service: k8s.KubeService;
  /** The API's HorizontalPodAutoscaler, with autoscaling. */
  public readonly apiAutoscaler?: k8s.KubeHorizontalPodAutoscalerV2;
  /** The API's PodDisruptionBudget, when it can run more than one pod. */
  public readonly apiDisruptionBudget?: k8s.KubePodDisruptionBudget;
  /** The API's ServiceAccount, with per-workload ServiceAccounts. */
  public readonly apiServiceAccount?: k8s.KubeServiceAccount;
  /** The refresh worker's ServiceAccount, with per-workload ServiceAccounts. */
  public readonly refreshWorkerServiceAccount?: k8s.KubeServiceAccount;

  /** The Cube API (REST, GraphQL) on port 4000. What an Ingress for this service targets. */
  public get webExposure(): IngressTarget {
    return { endpoint: this.serviceEndpoint, identity: this.apiIdentity };
  }

  public constructor(scope: Construct, id: string, props: CubeProps = {}) {
    checkConstructProps(scope, id, 'CubeProps', props);
    super(scope, id);
    const name = validateDnsLabel(this, 'name', props.name ?? 'cube', 40);
    const apiReplicas = validateReplicas(this, 'api.replicas', props.api?.replicas ?? 2);
    const production = resolveProduction(this, props);
    if (validateReplicas(this, 'refreshWorker.replicas', props.refreshWorker?.replicas ?? 1) !== 1) {
      throw new FloeValidationError(
        this,
        'refreshWorker.replicas',
        props.refreshWorker?.replicas,
        '1 (a single refresh worker builds pre-aggregations; more would run the same builds concurrently)',
      );
    }
    this.image = resolveImage(this, 'image', CUBE_IMAGE, props.image, props.imageRegistry);
    const partOf = props.platformName ?? DEFAULT_PLATFORM_NAME;
    this.apiIdentity = { name: 'cube', instance: name, component: 'api', partOf, version: this.image.tag };
    this.refreshWorkerIdentity = {
      name: 'cube',
      instance: name,
      component: 'refresh-worker',
      partOf,
      version: this.image.tag,
    };

    if (props.cubeStore && props.cubeStoreOptions) {
      throw new FloeValidationError(
        this,
        'cubeStoreOptions',
        props.cubeStoreOptions,
        'unset when an existing `cubeStore` is given (configure that CubeStore instead)',
      );
    }
    this.cubeStore =
      props.cubeStore ??
      new CubeStore(this, 'cubestore', {
        ...props.cubeStoreOptions,
        storage: props.storage,
        platformName: props.platformName,
        imageRegistry: props.imageRegistry,
        imagePullSecrets: props.imagePullSecrets,
        ...productionOptions(props),
      });
    validateSameVersion(this, this.image, this.cubeStore.image);
    this.metricsEndpoints = props.cubeStore ? [] : this.cubeStore.metricsEndpoints;

    this.serviceEndpoint = serviceEndpoint(this, name, CUBE_PORT);
    this.apiUrl = endpointUrl(this.serviceEndpoint);
    this.restApiUrl = endpointUrl(this.serviceEndpoint, '/cubejs-api/v1');

    const apiSecret = props.apiSecret ?? CUBE_API_SECRET_DEFAULT;
    const dataSource = props.dataSource ?? { type: 'duckdb' };
    const ds = dataSourceEnv(this, dataSource, props.storage);
    const model = modelVolume(this, props.model ?? { configMapName: `${name}-model` });
    this.requiredConfigMaps = model.configMapName ? [model.configMapName] : [];
    this.requiredSecrets = mergeSecretRequirements([
      ...secretRequirements([
        {
          ref: apiSecret,
          purpose: `CUBEJS_API_SECRET: key that signs and verifies Cube API tokens (${name})`,
        },
        ...ds.secrets,
      ]),
      // A Cube Store passed in lists its own Secrets; one created here is part of this plugin.
      ...(props.cubeStore ? [] : this.cubeStore.requiredSecrets),
    ]);

    const logLevel = props.logLevel ?? 'warn';
    if (!['error', 'warn', 'info', 'trace'].includes(logLevel)) {
      throw new FloeValidationError(this, 'logLevel', logLevel, "one of 'error', 'warn', 'info', 'trace'");
    }
    const baseEnv = (refreshWorker: boolean): k8s.EnvVar[] => [
      plainEnv('PORT', String(CUBE_PORT)),
      plainEnv('CUBEJS_DEV_MODE', 'false'),
      plainEnv('CUBEJS_TELEMETRY', 'false'),
      plainEnv('CUBEJS_LOG_LEVEL', logLevel),
      plainEnv('CUBEJS_SCHEMA_PATH', 'model'),
      plainEnv('CUBEJS_CACHE_AND_QUEUE_DRIVER', 'cubestore'),
      plainEnv('CUBEJS_CUBESTORE_HOST', this.cubeStore.serviceEndpoint.host),
      plainEnv('CUBEJS_CUBESTORE_PORT', String(this.cubeStore.serviceEndpoint.port)),
      secretEnv('CUBEJS_API_SECRET', apiSecret),
      plainEnv('CUBEJS_REFRESH_WORKER', String(refreshWorker)),
      ...ds.env,
    ];
    const mounts: k8s.VolumeMount[] = [
      { name: 'model', mountPath: CUBE_MODEL_DIR, readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
      ...ds.mounts,
    ];
    const volumes: k8s.Volume[] = [model.volume, emptyDirVolume('tmp'), ...ds.volumes];
    const waitForCubeStore = (): k8s.Container =>
      waitForTcpContainer(
        this,
        {
          name: 'wait-for-cubestore',
          host: this.cubeStore.serviceEndpoint.host,
          port: this.cubeStore.serviceEndpoint.port,
        },
        props.imageRegistry,
        props.waitImage,
      );
    const container = (
      refreshWorker: boolean,
      field: string,
      opts: CubeApiOptions | undefined,
      defaults: ResourceRequirements,
    ): k8s.Container =>
      buildContainer(
        this,
        {
          name: 'cube',
          image: this.image,
          ports: [{ name: 'http', containerPort: CUBE_PORT, protocol: 'TCP' }],
          env: withExtraEnv(this, `${field}.extraEnv`, baseEnv(refreshWorker), opts?.extraEnv),
          resources: opts?.resources ?? defaults,
          resourcesField: `${field}.resources`,
          // /readyz also checks the data source and Cube Store, so it fails while either is down:
          // readiness only. /livez is the process check.
          startupProbe: httpProbe('/livez', 'http', {
            periodSeconds: 5,
            timeoutSeconds: 3,
            failureThreshold: 36,
          }),
          readinessProbe: httpProbe('/readyz', 'http', {
            periodSeconds: 10,
            timeoutSeconds: 3,
            failureThreshold: 3,
          }),
          livenessProbe: httpProbe('/livez', 'http', {
            periodSeconds: 30,
            timeoutSeconds: 5,
            failureThreshold: 3,
          }),
          volumeMounts: mounts,
        },
        CUBE_RUN_AS,
      );

    this.service = addService(this, 'service', {
      name,
      identity: this.apiIdentity,
      ports: [{ name: 'http', port: CUBE_PORT, targetPort: 'http', appProtocol: 'http' }],
    });
    const apiAccount = workloadServiceAccount(this, 'api-service-account', {
      name,
      identity: this.apiIdentity,
      enabled: production.serviceAccounts,
    });
    this.apiServiceAccount = apiAccount.serviceAccount;
    const apiAvailability = workloadAvailability(this, 'api', {
      field: 'api',
      kind: 'Deployment',
      name,
      identity: this.apiIdentity,
      settings: production,
      replicas: apiReplicas,
      autoscaling: { options: props.api?.autoscaler, defaultMaxReplicas: 10 },
      disruption: { minAvailable: 1 },
      scheduling: props.api,
    });
    this.apiAutoscaler = apiAvailability.autoscaler;
    this.apiDisruptionBudget = apiAvailability.disruptionBudget;
    this.apiDeployment = new k8s.KubeDeployment(this, 'api', {
      metadata: objectMeta(name, this.apiIdentity),
      spec: {
        ...apiAvailability.replicaSpec,
        selector: { matchLabels: selectorLabels(this.apiIdentity) },
        template: buildPodTemplate({
          identity: this.apiIdentity,
          runAs: CUBE_RUN_AS,
          ...apiAccount.pod,
          initContainers: [waitForCubeStore(), ...ds.initContainers],
          containers: [container(false, 'api', props.api, API_RESOURCES)],
          volumes,
          scheduling: apiAvailability.scheduling,
          imagePullSecrets: props.imagePullSecrets,
        }),
      },
    });
    const refreshWorkerAccount = workloadServiceAccount(this, 'refresh-worker-service-account', {
      name: `${name}-refresh-worker`,
      identity: this.refreshWorkerIdentity,
      enabled: production.serviceAccounts,
    });
    this.refreshWorkerServiceAccount = refreshWorkerAccount.serviceAccount;
    this.refreshWorkerDeployment = new k8s.KubeDeployment(this, 'refresh-worker', {
      metadata: objectMeta(`${name}-refresh-worker`, this.refreshWorkerIdentity),
      spec: {
        replicas: 1,
        // Never two refresh workers at once, not even during a rollout.
        strategy: { type: 'Recreate' },
        selector: { matchLabels: selectorLabels(this.refreshWorkerIdentity) },
        template: buildPodTemplate({
          identity: this.refreshWorkerIdentity,
          runAs: CUBE_RUN_AS,
          ...refreshWorkerAccount.pod,
          initContainers: [waitForCubeStore(), ...ds.initContainers],
          containers: [container(true, 'refreshWorker', props.refreshWorker, REFRESH_WORKER_RESOURCES)],
          volumes,
          scheduling: props.refreshWorker,
          imagePullSecrets: props.imagePullSecrets,
        }),
      },
    });
    const roles = [this.apiDeployment, this.refreshWorkerDeployment];
    connect(roles, this.cubeStore.serviceEndpoint, 'Cube Store (cache, queue, pre-aggregations)');
    for (const c of ds.connections) connect(roles, c.target, c.reason);
  }

  /** The underlying objects of Cube itself (not of the Cube Store), in the order they are written. */
  public get apiObjects(): ApiObject[] {
    return [
      this.service,
      ...(this.apiServiceAccount ? [this.apiServiceAccount] : []),
      ...(this.apiAutoscaler ? [this.apiAutoscaler] : []),
      ...(this.apiDisruptionBudget ? [this.apiDisruptionBudget] : []),
      this.apiDeployment,
      ...(this.refreshWorkerServiceAccount ? [this.refreshWorkerServiceAccount] : []),
      this.refreshWorkerDeployment,
    ];
  }
}

const SEMVER_PREFIX = /^v?(\d+\.\d+\.\d+)(?![\d.])/;

/** Cube and Cube Store speak a version-specific protocol: the two images must be one release. */
function validateSameVersion(scope: IConstruct, cube: ContainerImage, cubeStore: ContainerImage): void {
  const a = SEMVER_PREFIX.exec(cube.tag)?.[1];
  const b = SEMVER_PREFIX.exec(cubeStore.tag)?.[1];
  if (a === undefined || a !== b) {
    throw new FloeValidationError(
      scope,
      'image.tag',
      cube.tag,
      `a tag of the same Cube release as the Cube Store image '${cubeStore.tag}' (both 'v<major>.<minor>.<patch>', ` +
        'optionally with a suffix); Cube and Cube Store must run the same version',
    );
  }
}

interface DataSourceParts {
  readonly env: k8s.EnvVar[];
  /** Init containers every pod that runs the driver needs. */
  readonly initContainers: k8s.Container[];
  /** Where the queries go. */
  readonly connections: { readonly target: ConnectionTarget; readonly reason: string }[];
  readonly secrets: { ref: SecretKeyRef; purpose: string }[];
  readonly mounts: k8s.VolumeMount[];
  readonly volumes: k8s.Volume[];
}

const EXTRA_PREFIX = /^CUBEJS_(DB|DS|AWS|JDBC)_/;

function dataSourceEnv(
  scope: IConstruct,
  ds: CubeDataSource,
  storage: ObjectStoragePlugin | undefined,
): DataSourceParts {
  if (!DATA_SOURCE_TYPES.includes(ds.type)) {
    throw new FloeValidationError(
      scope,
      'dataSource.type',
      ds.type,
      `one of ${DATA_SOURCE_TYPES.join(', ')}`,
    );
  }
  const duckdb = ds.type === 'duckdb';
  if (
    HOST_TYPES.includes(ds.type) &&
    (ds.host === undefined || ds.host.trim() === '' || /\s/.test(ds.host))
  ) {
    throw new FloeValidationError(
      scope,
      'dataSource.host',
      ds.host,
      `a host name or IP address without spaces (required for a ${ds.type} data source)`,
    );
  }
  if (duckdb) {
    for (const field of ['host', 'port', 'user', 'passwordSecret'] as const) {
      if (ds[field] !== undefined) {
        throw new FloeValidationError(
          scope,
          `dataSource.${field}`,
          ds[field],
          'unset for duckdb (DuckDB runs inside Cube; use `extra` for CUBEJS_DB_DUCKDB_* settings)',
        );
      }
    }
  }
  if (ds.catalog !== undefined && ds.type !== 'trino' && ds.type !== 'prestodb') {
    throw new FloeValidationError(
      scope,
      'dataSource.catalog',
      ds.catalog,
      'unset unless type is trino or prestodb',
    );
  }
  const env: k8s.EnvVar[] = [plainEnv('CUBEJS_DB_TYPE', ds.type)];
  const secrets: { ref: SecretKeyRef; purpose: string }[] = [];
  if (ds.host !== undefined) env.push(plainEnv('CUBEJS_DB_HOST', ds.host));
  if (ds.port !== undefined)
    env.push(plainEnv('CUBEJS_DB_PORT', String(validatePort(scope, 'dataSource.port', ds.port))));
  if (ds.database !== undefined) env.push(plainEnv('CUBEJS_DB_NAME', ds.database));
  if (ds.catalog !== undefined) env.push(plainEnv('CUBEJS_DB_PRESTO_CATALOG', ds.catalog));
  if (ds.user !== undefined) env.push(plainEnv('CUBEJS_DB_USER', ds.user));
  if (ds.passwordSecret !== undefined) {
    env.push(secretEnv('CUBEJS_DB_PASS', ds.passwordSecret));
    secrets.push({ ref: ds.passwordSecret, purpose: `password of the ${ds.type} data source Cube queries` });
  }
  if (ds.ssl !== undefined) env.push(plainEnv('CUBEJS_DB_SSL', String(ds.ssl)));

  const connections: { target: ConnectionTarget; reason: string }[] = [];
  if (ds.host !== undefined) {
    // Without a port the driver's default applies, which may be any: every port of the host.
    const target = ds.port !== undefined ? `${ds.host}:${ds.port}` : { host: ds.host };
    connections.push({ target, reason: `${ds.type} data source` });
  } else if (CLOUD_TYPES.includes(ds.type)) {
    connections.push({ target: { port: 443 }, reason: `${ds.type} data source (HTTPS API)` });
  }
  const mounts: k8s.VolumeMount[] = [];
  const volumes: k8s.Volume[] = [];
  const initContainers: k8s.Container[] = [];
  if (ds.preinstalledExtensions !== undefined && !duckdb) {
    throw new FloeValidationError(
      scope,
      'dataSource.preinstalledExtensions',
      ds.preinstalledExtensions,
      'unset unless type is duckdb (only DuckDB runs inside Cube)',
    );
  }
  if (duckdb) {
    // DuckDB installs extensions (httpfs for s3://, iceberg, ...) under $HOME/.duckdb and, for an
    // in-memory database, spills to `.tmp` in the working directory: both must be writable.
    env.push(plainEnv('HOME', '/home/node'));
    mounts.push(
      { name: 'duckdb-home', mountPath: DUCKDB_HOME },
      { name: 'duckdb-tmp', mountPath: `${CUBE_CONF_DIR}/.tmp` },
    );
    volumes.push(emptyDirVolume('duckdb-home'), emptyDirVolume('duckdb-tmp'));
    if (ds.preinstalledExtensions !== undefined) {
      // Copied into the extension directory: DuckDB finds them there and downloads nothing.
      initContainers.push(preinstalledExtensionsContainer(scope, ds.preinstalledExtensions));
    } else {
      // Extensions the image does not bundle are downloaded on first use from DuckDB's core
      // repository, plain HTTP (the extensions are signed): `http://extensions.duckdb.org`.
      connections.push({
        target: 'http://extensions.duckdb.org',
        reason: 'DuckDB installs extensions (httpfs for s3://) from its core repository',
      });
    }
    if (storage) {
      const url = parseEndpoint(scope, storage.endpoint);
      connections.push({ target: storage.endpoint, reason: 'DuckDB reads the warehouse (S3)' });
      env.push(
        // DuckDB's s3_endpoint is host[:port] without a scheme; TLS is a separate switch.
        plainEnv('CUBEJS_DB_DUCKDB_S3_ENDPOINT', url.host),
        plainEnv('CUBEJS_DB_DUCKDB_S3_USE_SSL', String(url.protocol === 'https:')),
        plainEnv('CUBEJS_DB_DUCKDB_S3_URL_STYLE', storage.pathStyleAccess ? 'path' : 'vhost'),
        plainEnv('CUBEJS_DB_DUCKDB_S3_REGION', storage.region),
        secretEnv('CUBEJS_DB_DUCKDB_S3_ACCESS_KEY_ID', storage.accessKeyId),
        secretEnv('CUBEJS_DB_DUCKDB_S3_SECRET_ACCESS_KEY', storage.secretAccessKey),
      );
      secrets.push(
        { ref: storage.accessKeyId, purpose: 'S3 access key ID DuckDB in Cube reads the warehouse with' },
        {
          ref: storage.secretAccessKey,
          purpose: 'S3 secret access key DuckDB in Cube reads the warehouse with',
        },
      );
    }
  }

  const set = new Set(env.map((e) => e.name));
  const checkName = (field: string, key: string): void => {
    validateEnvName(scope, field, key);
    if (!EXTRA_PREFIX.test(key)) {
      throw new FloeValidationError(
        scope,
        field,
        key,
        'a data source variable: CUBEJS_DB_*, CUBEJS_DS_*, CUBEJS_AWS_* or CUBEJS_JDBC_* (other settings go in extraEnv)',
      );
    }
    if (set.has(key)) {
      throw new FloeValidationError(
        scope,
        field,
        key,
        `a variable not already set from the typed data source fields (${[...set].sort().join(', ')})`,
      );
    }
    set.add(key);
  };
  for (const key of Object.keys(ds.extra ?? {}).sort()) {
    checkName(`dataSource.extra.${key}`, key);
    env.push(plainEnv(key, (ds.extra ?? {})[key]));
  }
  for (const key of Object.keys(ds.secretEnv ?? {}).sort()) {
    checkName(`dataSource.secretEnv.${key}`, key);
    const ref = (ds.secretEnv ?? {})[key];
    env.push(secretEnv(key, ref));
    secrets.push({ ref, purpose: `${key} of the ${ds.type} data source Cube queries` });
  }
  return { env, initContainers, connections, secrets, mounts, volumes };
}

const DUCKDB_HOME = '/home/node/.duckdb';
const ABSOLUTE_PATH = /^\/[A-Za-z0-9._/-]*$/;

/** The init container that copies pre-installed DuckDB extensions into the extension directory. */
function preinstalledExtensionsContainer(scope: IConstruct, ext: CubeDuckDbExtensions): k8s.Container {
  const path = ext.path ?? '/duckdb';
  if (!ABSOLUTE_PATH.test(path)) {
    throw new FloeValidationError(
      scope,
      'dataSource.preinstalledExtensions.path',
      path,
      "an absolute path of letters, digits, '.', '_', '-' and '/', e.g. '/duckdb'",
    );
  }
  const image = resolveImage(scope, 'dataSource.preinstalledExtensions.image', ext.image);
  return buildContainer(
    scope,
    {
      name: 'duckdb-extensions',
      image,
      // `-R` copies the tree; the target is the emptyDir DuckDB reads at start.
      command: ['sh', '-c', `cp -R ${path}/extensions ${DUCKDB_HOME}/ && ls -R ${DUCKDB_HOME}/extensions`],
      resources: WAIT_CONTAINER_RESOURCES,
      resourcesField: 'dataSource.preinstalledExtensions',
      volumeMounts: [{ name: 'duckdb-home', mountPath: DUCKDB_HOME }],
    },
    CUBE_RUN_AS,
  );
}

function parseEndpoint(scope: IConstruct, endpoint: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.host === '') {
    throw new FloeValidationError(
      scope,
      'storage.endpoint',
      endpoint,
      "an http:// or https:// URL with a host, e.g. 'http://minio:9000'",
    );
  }
  return url;
}

interface ModelParts {
  readonly volume: k8s.Volume;
  readonly configMapName?: string;
}

function modelVolume(scope: IConstruct, model: CubeModelSource): ModelParts {
  if ('configMapName' in model) {
    const cm = validateDnsSubdomain(scope, 'model.configMapName', model.configMapName);
    return { volume: configMapVolume('model', cm), configMapName: cm };
  }
  if ('volume' in model && model.volume !== null && typeof model.volume === 'object') {
    return { volume: { ...model.volume, name: 'model' } };
  }
  throw new FloeValidationError(
    scope,
    'model',
    model,
    '{ configMapName: string } or { volume: k8s.Volume } holding the data model files',
  );
}
