import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import {
  AutoscalerOptions,
  productionOptions,
  resolveProduction,
  scalingBounds,
  workloadAvailability,
} from '../../core/availability';
import { configChecksumAnnotations } from '../../core/checksum';
import { ComponentProps, DEFAULT_PLATFORM_NAME, WorkloadOptions } from '../../core/component';
import { connect } from '../../core/connections';
import { endpointUrl, ServiceEndpoint, serviceEndpoint } from '../../core/endpoints';
import { plainEnv, secretEnv, withExtraEnv } from '../../core/env';
import { FloeValidationError } from '../../core/errors';
import { ContainerImage, ImageOverride, resolveImage } from '../../core/image';
import { selectorLabels, WorkloadIdentity } from '../../core/labels';
import { buildContainer, buildPodTemplate, emptyDirVolume, RunAs } from '../../core/pod';
import { httpProbe } from '../../core/probes';
import { checkConstructProps, checkProps } from '../../core/props-check';
import { ResourceRequirements, WAIT_CONTAINER_RESOURCES } from '../../core/resources';
import { mergeSecretRequirements, SecretKeyRef, SecretRequirement } from '../../core/secrets';
import { addService, objectMeta } from '../../core/service';
import { workloadServiceAccount } from '../../core/service-account';
import { boundedWaitScript } from '../../core/wait';
import {
  validateDnsLabel,
  validateDnsSubdomain,
  validateInteger,
  validateReplicas,
} from '../../core/validation';
import {
  CatalogAccessRequest,
  CatalogCredentials,
  CatalogPlugin,
  ObjectStoragePlugin,
  PlatformDependencies,
  PluginProvider,
  PostgresDatabasePlugin,
  TelemetryPlugin,
} from '../interfaces';
import { POSTGRES_ALPINE_RUN_AS, POSTGRES_IMAGE } from '../database/postgres';
import { MetricsEndpoint, metricsEndpoint } from '../../core/metrics';
import { IngressTarget } from '../../core/ingress';
import { PolarisProductAccess } from './polaris-product-access';

/** The Polaris server image (UBI 9 OpenJDK 21 runtime, Quarkus fast-jar in `/deployments`). */
export const POLARIS_IMAGE: ContainerImage = {
  registry: 'docker.io',
  repository: 'apache/polaris',
  tag: '1.7.0',
};

/** Repository of the admin tool; its tag always equals the server's (the schema versions must match). */
export const POLARIS_ADMIN_TOOL_REPOSITORY = 'apache/polaris-admin-tool';

/** The `polaris` user both images create (UID 10000, group `polaris` GID 10001). */
export const POLARIS_RUN_AS: RunAs = { user: 10000, group: 10001, fsGroup: 10001 };

/** `quarkus.http.port`: the REST APIs (Iceberg REST, management, OAuth2 tokens). */
export const POLARIS_HTTP_PORT = 8181;

/** `quarkus.management.port`: health (`/q/health/*`) and metrics (`/q/metrics`). */
export const POLARIS_MANAGEMENT_PORT = 8182;

/**
 * Where `application.properties` (and the token keys) are mounted. The image's start script
 * (`run-java.sh`) changes to `/deployments` before starting the JVM, and Quarkus reads
 * `config/application.properties` relative to the working directory.
 */
export const POLARIS_CONFIG_DIR = '/deployments/config';

/** Base path of the Iceberg REST catalog API. */
export const POLARIS_CATALOG_PATH = '/api/catalog';

/** Base path of the Polaris management API (catalogs, principals, roles). */
export const POLARIS_MANAGEMENT_API_PATH = '/api/management/v1';

/** OAuth2 client-credentials token endpoint of the Iceberg REST API. */
export const POLARIS_TOKEN_PATH = '/api/catalog/v1/oauth/tokens';

/** Prometheus metrics path on the management port. */
export const POLARIS_METRICS_PATH = '/q/metrics';

/** The realm header Polaris reads (its default `polaris.realm-context.header-name`). */
export const POLARIS_REALM_HEADER = 'Polaris-Realm';

/**
 * The HTTP client image of the catalog-setup Job: the official curl image (Alpine, with busybox
 * `sh`, `sed` and `tr`), published by the curl project as `curlimages/curl`.
 */
export const CURL_IMAGE: ContainerImage = {
  registry: 'docker.io',
  repository: 'curlimages/curl',
  tag: '8.18.0',
};

/**
 * Default `activeDeadlineSeconds` of the setup Jobs: the whole Job, retries and waits included,
 * is stopped by Kubernetes after this long instead of waiting forever.
 */
const SETUP_JOB_DEADLINE_SECONDS = 900;

/** `PolarisEntityType.PRINCIPAL` (apache/polaris 1.7.0, polaris-core PolarisEntityType.java). */
const POLARIS_PRINCIPAL_TYPE_CODE = 2;

/** The curl image's `curl_user` (UID 100) and `curl_group` (GID 101). */
export const CURL_RUN_AS: RunAs = { user: 100, group: 101 };

/** The catalog role Polaris creates with every catalog and grants to the `service_admin` principal role. */
export const POLARIS_CATALOG_ADMIN_ROLE = 'catalog_admin';

/**
 * The catalog privilege the catalog-setup Job adds to `catalog_admin`. Polaris gives that role only
 * `CATALOG_MANAGE_ACCESS` and `CATALOG_MANAGE_METADATA`; reading and writing table data (and
 * receiving vended credentials for it) needs `CATALOG_MANAGE_CONTENT`.
 */
export const POLARIS_CATALOG_CONTENT_PRIVILEGE = 'CATALOG_MANAGE_CONTENT';

/** Storage types a catalog may use. `FILE` is not offered: Polaris aborts start-up with it enabled. */
export type PolarisStorageType = 'S3' | 'GCS' | 'AZURE';

/** Quarkus log levels. */
export type PolarisLogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

const CONFIG_FILE = 'application.properties';
const SAFE_STORAGE_TYPES: readonly string[] = ['S3', 'GCS', 'AZURE'];
const LOG_LEVELS: readonly string[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];
const REALM = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const WAREHOUSE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,255}$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
const ROOT_CLIENT_ID_ENV = 'ROOT_CLIENT_ID';
const ROOT_CLIENT_SECRET_ENV = 'ROOT_CLIENT_SECRET';
/** Longest Job name: a Job's name becomes a pod label value (at most 63 characters). */
const MAX_JOB_NAME = 63;
const CATALOG_SETUP_SUFFIX = '-catalog-setup';
const BASE_LOCATION_PREFIX = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
const ROLE_ARN = /^arn:[a-z0-9-]+:iam::[0-9]{12}:role\/[\w+=,.@/-]+$/;
const HTTP_URL = /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/;
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const S3_BUCKET_ALLOWED = "an S3 bucket name: 3 to 63 lower-case letters, digits, '.' and '-'";

const DEFAULT_RESOURCES: ResourceRequirements = {
  requests: { cpu: '500m', memory: '1Gi' },
  limits: { cpu: '2000m', memory: '2Gi' },
};

/**
 * Default ceiling of the autoscaler. Each pod holds up to 20 database connections (Quarkus'
 * default `quarkus.datasource.jdbc.max-size`, which Polaris does not change) and PostgreSQL
 * accepts 100 by default (`max_connections`): 4 pods (80) leave room for the bootstrap Job and
 * the init containers.
 */
const DEFAULT_MAX_REPLICAS = 4;

const DEFAULT_BOOTSTRAP_RESOURCES: ResourceRequirements = {
  requests: { cpu: '100m', memory: '256Mi' },
  limits: { cpu: '1000m', memory: '512Mi' },
};

const DEFAULT_CATALOG_SETUP_RESOURCES: ResourceRequirements = {
  requests: { cpu: '10m', memory: '16Mi' },
  limits: { cpu: '200m', memory: '64Mi' },
};

/** The root principal's credentials that the bootstrap Job creates, in existing Secrets. */
export interface PolarisRootCredentials {
  /**
   * Client ID of the root principal. Letters, digits, `-` and `_` only: the admin tool receives
   * it inside a comma-separated argument that its start script word-splits.
   */
  readonly clientId: SecretKeyRef;
  /**
   * Client secret of the root principal. No commas, whitespace or `*?[`, for the same reason;
   * e.g. `openssl rand -hex 32`.
   */
  readonly clientSecret: SecretKeyRef;
}

/** An RSA key pair, shared by every replica, that signs and verifies the access tokens Polaris issues. */
export interface PolarisTokenKeys {
  /** Name of the existing Secret holding the key pair. */
  readonly secretName: string;
  /**
   * Key of the PEM public key (X.509 SubjectPublicKeyInfo, `openssl rsa -pubout`).
   * @default 'public.pem'
   */
  readonly publicKeyKey?: string;
  /**
   * Key of the PEM private key (PKCS#8, `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`).
   * @default 'private.pem'
   */
  readonly privateKeyKey?: string;
}

/** The Job that bootstraps the realm (schema `polaris_schema` and the root principal). */
export interface PolarisBootstrapOptions {
  /**
   * Admin tool image override. Its tag must equal the server's tag: an older or newer admin tool
   * writes a different schema version than the server expects.
   * @default - `apache/polaris-admin-tool` with the server's tag, from the server's registry
   */
  readonly image?: ImageOverride;
  /**
   * Pods the Job may start before it is marked failed.
   * @default 6
   */
  readonly backoffLimit?: number;
  /**
   * Seconds after which a finished Job (and its pods and logs) is deleted. A deleted Job is
   * re-created by the next `kubectl apply` and runs again harmlessly (bootstrap is idempotent);
   * deleting it also lets an upgrade change its (immutable) pod template.
   * @default 3600
   */
  readonly ttlSecondsAfterFinished?: number;
  /**
   * Seconds the Job may run in all, every retry and every wait included, before Kubernetes stops
   * it (`DeadlineExceeded`): a bootstrap that cannot reach its database never hangs forever.
   * Long enough for a first deploy, where the database and its image come up first.
   * @default 900
   */
  readonly activeDeadlineSeconds?: number;
  /**
   * Resources of the admin tool container.
   * @default - requests 100m/256Mi, limits 1000m/512Mi
   */
  readonly resources?: ResourceRequirements;
}

/**
 * The Job that creates the catalog (the Iceberg `warehouse`) on the object storage, once the server
 * answers. See `Polaris.catalogSetupJob`.
 */
export interface PolarisCatalogSetupOptions {
  /**
   * Key prefix in the warehouse bucket under which the catalog keeps its tables: the catalog's
   * `default-base-location` and only allowed location are `s3://<bucket>/<prefix>`. Segments of
   * letters, digits, `.`, `_` and `-`, separated by `/`; `''` uses the whole bucket.
   * @default - the warehouse name
   */
  readonly baseLocationPrefix?: string;
  /**
   * Let Polaris vend short-lived, table-scoped S3 credentials (STS `AssumeRole` at the storage
   * endpoint, signed with Polaris' own S3 keys). With it on, Polaris calls STS for every table
   * access, its own included, so the store must implement STS: MinIO does (with its root user, no
   * role needed); AWS S3 needs `roleArn`. With it off the catalog gets `stsUnavailable: true`:
   * Polaris uses its own keys, and clients must bring S3 credentials and must not ask for vended
   * ones. PyIceberg asks by default (header `X-Iceberg-Access-Delegation: vended-credentials`), and
   * Polaris 1.7.0 then refuses every table load ("Credential vending was requested ... but no
   * credentials are available") unless the client sends that header empty.
   * @default - true for storage that runs in the cluster (`storage.serviceEndpoint` set: MinIO) or
   * with `roleArn`; false otherwise (an external store may lack STS)
   */
  readonly credentialVending?: boolean;
  /**
   * IAM role Polaris assumes to vend credentials (`arn:aws:iam::<account>:role/<name>`), for
   * `credentialVending` on AWS S3.
   * @default - none (MinIO's STS needs none)
   */
  readonly roleArn?: string;
  /**
   * curl image override (an image with `curl` 7.55 or newer, busybox or coreutils `sh`, `sed` and
   * `tr`, running as UID 100, GID 101).
   * @default - `docker.io/curlimages/curl` at the tag this library pins
   */
  readonly image?: ImageOverride;
  /**
   * Pods the Job may start before it is marked failed.
   * @default 6
   */
  readonly backoffLimit?: number;
  /**
   * Seconds after which a finished Job is deleted. The next `kubectl apply` re-creates it and it
   * runs again harmlessly (an existing catalog is left unchanged).
   * @default 3600
   */
  readonly ttlSecondsAfterFinished?: number;
  /**
   * Seconds the Job may run in all, every retry and every wait included, before Kubernetes stops
   * it (`DeadlineExceeded`): a catalog setup whose Polaris never becomes ready never hangs forever.
   * Long enough for a first deploy, where Polaris waits for its bootstrap.
   * @default 900
   */
  readonly activeDeadlineSeconds?: number;
  /**
   * Resources of the curl container.
   * @default - requests 10m/16Mi, limits 200m/64Mi
   */
  readonly resources?: ResourceRequirements;
}

/** The request body of `POST /api/management/v1/catalogs`, as the catalog-setup Job sends it. */
export interface PolarisCreateCatalogRequest {
  /** The catalog. */
  readonly catalog: {
    /** Catalog name (the warehouse). */
    readonly name: string;
    /** Always `INTERNAL`: Polaris keeps the table metadata. */
    readonly type: 'INTERNAL';
    /** Catalog properties: the base location of new namespaces and tables. */
    readonly properties: { readonly 'default-base-location': string };
    /** S3 storage configuration (`AwsStorageConfigInfo` in Polaris' management API). */
    readonly storageConfigInfo: {
      /** Always `S3`. */
      readonly storageType: 'S3';
      /** Locations tables may use: the base location only. */
      readonly allowedLocations: string[];
      /** S3 endpoint clients see. */
      readonly endpoint: string;
      /** S3 endpoint the Polaris server uses (the same in-cluster address). */
      readonly endpointInternal: string;
      /** Path-style addressing. */
      readonly pathStyleAccess: boolean;
      /** Region the S3 requests are signed for. */
      readonly region: string;
      /** `true` disables STS, and so credential vending. */
      readonly stsUnavailable: boolean;
      /** Role assumed for credential vending, when given. */
      readonly roleArn?: string;
    };
  };
}

/** What `polarisCreateCatalogRequest` needs. */
export interface PolarisCatalogRequestOptions {
  /** Catalog (warehouse) name. */
  readonly warehouse: string;
  /** The object storage the catalog's tables live on. */
  readonly storage: Pick<ObjectStoragePlugin, 'endpoint' | 'region' | 'warehouseBucket' | 'pathStyleAccess'>;
  /** Key prefix in the bucket; `''` for the whole bucket. */
  readonly baseLocationPrefix: string;
  /** Whether Polaris may use STS to vend credentials. */
  readonly credentialVending: boolean;
  /** IAM role for credential vending. @default - none */
  readonly roleArn?: string;
}

/**
 * Builds the body of Polaris' create-catalog request (management API `CreateCatalogRequest`,
 * verified against `spec/polaris-management-service.yml` of Polaris 1.7.0): an `INTERNAL` catalog
 * on S3-compatible storage whose only allowed location is its `default-base-location`.
 */
export function polarisCreateCatalogRequest(opts: PolarisCatalogRequestOptions): PolarisCreateCatalogRequest {
  const base =
    opts.baseLocationPrefix === ''
      ? `s3://${opts.storage.warehouseBucket}`
      : `s3://${opts.storage.warehouseBucket}/${opts.baseLocationPrefix}`;
  return {
    catalog: {
      name: opts.warehouse,
      type: 'INTERNAL',
      properties: { 'default-base-location': base },
      storageConfigInfo: {
        storageType: 'S3',
        allowedLocations: [base],
        endpoint: opts.storage.endpoint,
        endpointInternal: opts.storage.endpoint,
        pathStyleAccess: opts.storage.pathStyleAccess,
        region: opts.storage.region,
        stsUnavailable: !opts.credentialVending,
        ...(opts.roleArn !== undefined ? { roleArn: opts.roleArn } : {}),
      },
    },
  };
}

/** Properties of a `Polaris` catalog server. */
export interface PolarisProps extends ComponentProps, WorkloadOptions {
  /**
   * Name of the Deployment and Service (the host name clients use); the ConfigMap is
   * `<name>-config` and the bootstrap Job `<name>-bootstrap`. A DNS-1123 label.
   * @default 'polaris'
   */
  readonly name?: string;
  /**
   * Number of server pods. With autoscaling this is the autoscaler's minimum and the Deployment
   * sets no replica count.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * The server's HorizontalPodAutoscaler.
   * @default - on with `autoscaling`: minimum `replicas`, maximum 4 (each pod may hold 20
   * connections of PostgreSQL's default 100), 70 % CPU
   */
  readonly autoscaler?: AutoscalerOptions;
  /** The PostgreSQL database Polaris keeps its metastore in (required). */
  readonly database: PostgresDatabasePlugin;
  /**
   * S3-compatible object storage: Polaris gets its access keys (to vend credentials and read
   * table metadata) and region.
   * @default - none: Polaris uses the AWS SDK's default credential chain
   */
  readonly storage?: ObjectStoragePlugin;
  /**
   * Where traces are sent (OTLP/gRPC).
   * @default - tracing disabled (`quarkus.otel.sdk.disabled=true`)
   */
  readonly telemetry?: TelemetryPlugin;
  /**
   * The realm (Polaris' unit of multi-tenancy) this server serves and the bootstrap Job creates.
   * Letters, digits, `_` and `-`.
   * @default 'POLARIS'
   */
  readonly realm?: string;
  /**
   * Reject requests without a `Polaris-Realm` header. With one realm, `false` lets Iceberg clients
   * connect without extra headers; `true` requires every client to send `Polaris-Realm: <realm>`.
   * @default false
   */
  readonly requireRealmHeader?: boolean;
  /**
   * Name of the catalog (the Iceberg `warehouse`) clients use. With `storage`, the catalog-setup
   * Job creates it (see `createCatalog`); without, create it through the management API.
   * @default 'floe'
   */
  readonly warehouse?: string;
  /**
   * Create the catalog `warehouse` on `storage` with the Job `<name>-catalog-setup`, and let the
   * root principal read and write its tables. Requires `storage` and 'S3' among
   * `supportedStorageTypes`. Without `storage` nothing creates the catalog: its location and
   * storage type are unknown, so create it through the management API.
   * @default - true with `storage`, false without
   */
  readonly createCatalog?: boolean;
  /**
   * The catalog-setup Job, with `createCatalog`.
   * @default - see `PolarisCatalogSetupOptions`
   */
  readonly catalogSetup?: PolarisCatalogSetupOptions;
  /**
   * The root principal's client ID and secret, which the bootstrap Job sets.
   * @default - Secret `<name>-bootstrap-credentials`, keys `client-id` and `client-secret`
   */
  readonly rootCredentials?: PolarisRootCredentials;
  /**
   * A shared RSA key pair for access tokens. Needed when more than one pod may run (otherwise each
   * pod generates its own keys and rejects tokens issued by the others); optional with one.
   * @default - when more than one pod may run (replicas or the autoscaler's maximum above 1):
   * Secret `<name>-token-keys`, keys `public.pem` and `private.pem`; else none (Polaris generates
   * a key pair at start, tokens do not survive restarts)
   */
  readonly tokenKeys?: PolarisTokenKeys;
  /**
   * Storage types catalogs may use (`polaris.features."SUPPORTED_CATALOG_STORAGE_TYPES"`).
   * @default - ['S3'] with `storage`, else Polaris' default ['S3', 'GCS', 'AZURE']
   */
  readonly supportedStorageTypes?: PolarisStorageType[];
  /**
   * Root log level (`quarkus.log.level`).
   * @default 'INFO'
   */
  readonly logLevel?: PolarisLogLevel;
  /**
   * Log to the console as JSON (`quarkus.log.console.json.enabled`) instead of text lines.
   * @default false
   */
  readonly jsonLogs?: boolean;
  /**
   * Fraction of traces sampled (0 to 1), with `telemetry`.
   * @default - Quarkus' default sampler (`parentbased_always_on`)
   */
  readonly tracingSampleRatio?: number;
  /**
   * More properties for `application.properties` (e.g. `quarkus.http.cors.enabled`). They are
   * stored in a ConfigMap: never put secrets here. A property this construct sets is refused.
   * @default - none
   */
  readonly additionalProperties?: Record<string, string>;
  /**
   * The bootstrap Job.
   * @default - see `PolarisBootstrapOptions`
   */
  readonly bootstrap?: PolarisBootstrapOptions;
  /**
   * Hold the server pods in an init container until the bootstrap Job has created the schema.
   * A server that is asked for a realm before its schema exists caches schema version 0 for that
   * realm until it restarts, so this is on by default.
   * @default true
   */
  readonly waitForBootstrap?: boolean;
  /**
   * Image with `psql` for the init container that waits for the bootstrap (its user must be UID 70,
   * as in the official Alpine postgres image).
   * @default - the official postgres image this library pins
   */
  readonly psqlImage?: ImageOverride;
}

/** Options of `Polaris.provider()`: everything but what the platform supplies. */
export type PolarisProviderOptions = Omit<
  PolarisProps,
  'database' | 'storage' | 'telemetry' | 'platformName' | 'imageRegistry' | 'imagePullSecrets'
>;

/**
 * Apache Polaris, an Iceberg REST catalog, on PostgreSQL (`relational-jdbc` persistence).
 *
 * Deploys a Deployment and a Service `polaris` (8181 REST, 8182 management), a ConfigMap with
 * `application.properties`, the Job `polaris-bootstrap` that runs the admin tool once per realm
 * to create the schema and the root principal, and (with storage) the Job `polaris-catalog-setup`
 * that creates the catalog (warehouse) clients use. The server pods wait for the database and for
 * the bootstrap Job's schema before they start. Clients authenticate with the root credentials
 * (OAuth2 client credentials at `/api/catalog/v1/oauth/tokens`, scope `PRINCIPAL_ROLE:ALL`).
 *
 * Not done here (follow-ups): a dedicated, less privileged principal and principal role for
 * pipeline jobs (they use the root principal), and catalogs on GCS or Azure storage.
 */
export class Polaris extends Construct implements CatalogPlugin {
  /**
   * A provider for `FloePlatform`'s catalog slot: asks the platform for the PostgreSQL database
   * `catalog-db` (database and user `polaris`) and wires storage and telemetry.
   */
  public static provider(options: PolarisProviderOptions = {}): PluginProvider<CatalogPlugin> {
    checkProps('Polaris.provider()', 'PolarisProviderOptions', options);
    return {
      database: { name: 'catalog-db', database: 'polaris', username: 'polaris' },
      provide: (scope: Construct, id: string, deps: PlatformDependencies): CatalogPlugin => {
        if (!deps.database) {
          throw new FloeValidationError(
            `${scope.node.path}/${id}`,
            'database',
            undefined,
            'a PostgreSQL database passed by the platform (Polaris.provider() requests one)',
          );
        }
        return new Polaris(scope, id, {
          ...options,
          ...productionOptions(options, deps),
          platformName: deps.platformName,
          imageRegistry: deps.imageRegistry,
          imagePullSecrets: deps.imagePullSecrets,
          database: deps.database,
          storage: deps.storage,
          telemetry: deps.telemetry,
        });
      },
    };
  }

  /** Iceberg REST catalog URI, `http://<name>.<ns>.svc.cluster.local:8181/api/catalog`. */
  public readonly catalogUri: string;
  /** The catalog (warehouse) name clients use. */
  public readonly warehouse: string;
  /** The realm. */
  public readonly realm: string;
  /** The REST endpoint (port 8181). */
  public readonly serviceEndpoint: ServiceEndpoint;
  /** The management endpoint (port 8182: health and `/q/metrics`). */
  public readonly managementEndpoint: ServiceEndpoint;
  /** OAuth2 token URL (client credentials grant). */
  public readonly tokenUrl: string;
  /** Management API base URL (catalogs, principals, roles). */
  public readonly managementApiUrl: string;
  /** Prometheus metrics URL. */
  public readonly metricsUrl: string;
  /** The root principal's credentials (what clients of this catalog authenticate with). */
  public readonly rootCredentials: PolarisRootCredentials;
  /** The shared token key pair, when one is used. */
  public readonly tokenKeys?: PolarisTokenKeys;
  /** Secrets that must exist before the pods start. */
  public readonly requiredSecrets: readonly SecretRequirement[];
  /** The resolved server image. */
  public readonly image: ContainerImage;
  /** The resolved admin tool image. */
  public readonly adminToolImage: ContainerImage;
  /** Labels of the server pods. */
  public readonly identity: WorkloadIdentity;
  /** Selector labels of the server pods. */
  public readonly selector: Record<string, string>;
  /** Labels of the bootstrap Job and its pod. */
  public readonly bootstrapIdentity: WorkloadIdentity;
  /** The rendered `application.properties`, as key/value pairs. */
  public readonly properties: Readonly<Record<string, string>>;
  /** The rendered `application.properties` file. */
  public readonly propertiesFile: string;
  /** The ConfigMap holding `application.properties`. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The server Deployment. */
  public readonly deployment: k8s.KubeDeployment;
  /** The server's HorizontalPodAutoscaler, with autoscaling. */
  public readonly autoscaler?: k8s.KubeHorizontalPodAutoscalerV2;
  /** The server's PodDisruptionBudget, when it can run more than one pod. */
  public readonly disruptionBudget?: k8s.KubePodDisruptionBudget;
  /** The ServiceAccounts of the server and the Jobs, with per-workload ServiceAccounts. */
  public readonly serviceAccounts: readonly k8s.KubeServiceAccount[];
  /** The Service (8181 `polaris-http`, 8182 `polaris-mgmt`). */
  public readonly service: k8s.KubeService;
  /** The metrics endpoint of the Service (what the platform's ServiceMonitors scrape). */
  public readonly metricsEndpoints: readonly MetricsEndpoint[];
  /** The Job that bootstraps the realm; it must complete before clients use the catalog. */
  public readonly bootstrapJob: k8s.KubeJob;
  /**
   * The Job that creates the catalog `warehouse` (idempotent: an existing catalog is left as it
   * is) and grants `CATALOG_MANAGE_CONTENT` on it to `catalog_admin`; absent without `createCatalog`.
   */
  public readonly catalogSetupJob?: k8s.KubeJob;
  /** Labels of the catalog-setup Job and its pod, with `createCatalog`. */
  public readonly catalogSetupIdentity?: WorkloadIdentity;
  /** The resolved curl image of the catalog-setup Job, with `createCatalog`. */
  public readonly curlImage?: ContainerImage;
  /** The create-catalog request the catalog-setup Job sends, with `createCatalog`. */
  public readonly createCatalogRequest?: PolarisCreateCatalogRequest;
  /** How the Jobs that give data products access run (image, pull Secrets, placement). */
  private readonly accessJob: {
    readonly image: ContainerImage;
    readonly imagePullSecrets?: string[];
    readonly scheduling: {
      nodeSelector?: Record<string, string>;
      tolerations?: k8s.Toleration[];
      affinity?: k8s.Affinity;
    };
  };

  /** The Iceberg REST and management API on port 8181. What an Ingress for this service targets. */
  public get webExposure(): IngressTarget {
    return { endpoint: this.serviceEndpoint, identity: this.identity };
  }

  public constructor(scope: Construct, id: string, props: PolarisProps) {
    checkConstructProps(scope, id, 'PolarisProps', props);
    super(scope, id);
    const name = validateDnsLabel(this, 'name', props.name ?? 'polaris', 52);
    const replicas = validateReplicas(this, 'replicas', props.replicas ?? 2);
    const production = resolveProduction(this, props);
    const autoscaling = { options: props.autoscaler, defaultMaxReplicas: DEFAULT_MAX_REPLICAS };
    // Shared token keys whenever more than one pod may run, autoscaled or not.
    const { maxPods } = scalingBounds(this, { field: '', settings: production, replicas, autoscaling });
    if (!props.database) {
      throw new FloeValidationError(this, 'database', props.database, 'a PostgresDatabasePlugin (required)');
    }
    const database = props.database;
    this.realm = validatePattern(this, 'realm', props.realm ?? 'POLARIS', REALM, REALM_ALLOWED);
    this.warehouse = validatePattern(
      this,
      'warehouse',
      props.warehouse ?? 'floe',
      WAREHOUSE,
      WAREHOUSE_ALLOWED,
    );
    this.rootCredentials = props.rootCredentials ?? {
      clientId: { name: `${name}-bootstrap-credentials`, key: 'client-id' },
      clientSecret: { name: `${name}-bootstrap-credentials`, key: 'client-secret' },
    };
    validateSecretRef(this, 'rootCredentials.clientId', this.rootCredentials.clientId);
    validateSecretRef(this, 'rootCredentials.clientSecret', this.rootCredentials.clientSecret);
    if (props.tokenKeys || maxPods > 1) {
      const keys = props.tokenKeys ?? { secretName: `${name}-token-keys` };
      validateDnsSubdomain(this, 'tokenKeys.secretName', keys.secretName);
      this.tokenKeys = {
        secretName: keys.secretName,
        publicKeyKey: validateSecretKey(this, 'tokenKeys.publicKeyKey', keys.publicKeyKey ?? 'public.pem'),
        privateKeyKey: validateSecretKey(
          this,
          'tokenKeys.privateKeyKey',
          keys.privateKeyKey ?? 'private.pem',
        ),
      };
    }
    const storageTypes = validateStorageTypes(
      this,
      props.supportedStorageTypes ?? (props.storage ? ['S3'] : ['S3', 'GCS', 'AZURE']),
    );
    const createCatalog = props.createCatalog ?? props.storage !== undefined;
    const setup = props.catalogSetup ?? {};
    const setupStorage = createCatalog
      ? validateCatalogSetup(this, name, props.storage, storageTypes, setup)
      : undefined;
    const logLevel = props.logLevel ?? 'INFO';
    if (!LOG_LEVELS.includes(logLevel)) {
      throw new FloeValidationError(this, 'logLevel', logLevel, `one of ${LOG_LEVELS.join(', ')}`);
    }
    if (props.tracingSampleRatio !== undefined) {
      const r = props.tracingSampleRatio;
      if (!props.telemetry) {
        throw new FloeValidationError(
          this,
          'tracingSampleRatio',
          r,
          'no value without telemetry (nothing is traced)',
        );
      }
      if (typeof r !== 'number' || !Number.isFinite(r) || r < 0 || r > 1) {
        throw new FloeValidationError(this, 'tracingSampleRatio', r, 'a number from 0 to 1');
      }
    }

    this.image = resolveImage(this, 'image', POLARIS_IMAGE, props.image, props.imageRegistry);
    const bootstrap = props.bootstrap ?? {};
    if (bootstrap.image?.tag !== undefined && bootstrap.image.tag !== this.image.tag) {
      throw new FloeValidationError(
        this,
        'bootstrap.image.tag',
        bootstrap.image.tag,
        `the server's tag '${this.image.tag}' (the admin tool must be the same Polaris version as the server)`,
      );
    }
    this.adminToolImage = resolveImage(
      this,
      'bootstrap.image',
      { registry: this.image.registry, repository: POLARIS_ADMIN_TOOL_REPOSITORY, tag: this.image.tag },
      bootstrap.image,
      props.imageRegistry,
    );
    const backoffLimit = validateInteger(this, 'bootstrap.backoffLimit', bootstrap.backoffLimit ?? 6, 0);
    const ttl = validateInteger(
      this,
      'bootstrap.ttlSecondsAfterFinished',
      bootstrap.ttlSecondsAfterFinished ?? 3600,
      0,
    );
    const bootstrapDeadline = validateInteger(
      this,
      'bootstrap.activeDeadlineSeconds',
      bootstrap.activeDeadlineSeconds ?? SETUP_JOB_DEADLINE_SECONDS,
      1,
    );

    const partOf = props.platformName ?? DEFAULT_PLATFORM_NAME;
    this.identity = { name: 'polaris', instance: name, component: 'server', partOf, version: this.image.tag };
    this.selector = selectorLabels(this.identity);
    this.bootstrapIdentity = {
      name: 'polaris',
      instance: name,
      component: 'bootstrap',
      partOf,
      version: this.adminToolImage.tag,
    };
    if (setupStorage) {
      this.curlImage = resolveImage(this, 'catalogSetup.image', CURL_IMAGE, setup.image, props.imageRegistry);
      // The Job configures this Polaris version's API, so it carries the server's version.
      this.catalogSetupIdentity = {
        ...this.bootstrapIdentity,
        component: 'catalog-setup',
        version: this.image.tag,
      };
    }
    this.serviceEndpoint = serviceEndpoint(this, name, POLARIS_HTTP_PORT);
    this.managementEndpoint = serviceEndpoint(this, name, POLARIS_MANAGEMENT_PORT);
    this.catalogUri = endpointUrl(this.serviceEndpoint, POLARIS_CATALOG_PATH);
    this.tokenUrl = endpointUrl(this.serviceEndpoint, POLARIS_TOKEN_PATH);
    this.managementApiUrl = endpointUrl(this.serviceEndpoint, POLARIS_MANAGEMENT_API_PATH);
    this.metricsUrl = endpointUrl(this.managementEndpoint, POLARIS_METRICS_PATH);

    // --- application.properties -------------------------------------------------------------
    const own: Record<string, string> = {
      'quarkus.http.port': String(POLARIS_HTTP_PORT),
      'quarkus.management.port': String(POLARIS_MANAGEMENT_PORT),
      'polaris.realm-context.type': 'default',
      'polaris.realm-context.realms': this.realm,
      'polaris.realm-context.header-name': POLARIS_REALM_HEADER,
      'polaris.realm-context.require-header': String(props.requireRealmHeader ?? false),
      'polaris.persistence.type': 'relational-jdbc',
      'polaris.features."SUPPORTED_CATALOG_STORAGE_TYPES"': JSON.stringify(storageTypes),
      'quarkus.log.level': logLevel,
      'quarkus.log.console.enabled': 'true',
      'quarkus.log.console.json.enabled': String(props.jsonLogs ?? false),
      // The image's defaults log to ./logs/polaris.log; the root filesystem is read-only.
      'quarkus.log.file.enabled': 'false',
      'quarkus.otel.sdk.disabled': String(!props.telemetry),
    };
    if (props.telemetry) {
      own['quarkus.otel.exporter.otlp.endpoint'] = props.telemetry.otlpGrpcEndpoint;
      own['quarkus.otel.service.name'] = 'polaris';
      if (props.tracingSampleRatio !== undefined) {
        own['quarkus.otel.traces.sampler'] = 'parentbased_traceidratio';
        own['quarkus.otel.traces.sampler.arg'] = String(props.tracingSampleRatio);
      }
    }
    if (this.tokenKeys) {
      own['polaris.authentication.token-broker.type'] = 'rsa-key-pair';
      own['polaris.authentication.token-broker.rsa-key-pair.public-key-file'] =
        `${POLARIS_CONFIG_DIR}/public.pem`;
      own['polaris.authentication.token-broker.rsa-key-pair.private-key-file'] =
        `${POLARIS_CONFIG_DIR}/private.pem`;
    }
    const properties: Record<string, string> = { ...own };
    for (const key of Object.keys(props.additionalProperties ?? {}).sort()) {
      const value = (props.additionalProperties ?? {})[key];
      if (key in own) {
        throw new FloeValidationError(
          this,
          `additionalProperties.${key}`,
          value,
          'a property this construct does not set (use the typed props for realm, storage types, logging, tracing and token keys)',
        );
      }
      if (key.trim() === '' || /[\r\n]/.test(key) || typeof value !== 'string' || /[\r\n]/.test(value)) {
        throw new FloeValidationError(
          this,
          `additionalProperties.${key}`,
          value,
          'a non-empty property name and a string value, both on one line',
        );
      }
      properties[key] = value;
    }
    this.properties = properties;
    this.propertiesFile = renderProperties(properties);
    this.configMap = new k8s.KubeConfigMap(this, 'config', {
      metadata: objectMeta(`${name}-config`, this.identity),
      data: { [CONFIG_FILE]: this.propertiesFile },
    });

    // --- Secrets ------------------------------------------------------------------------------
    const requirements: SecretRequirement[] = [
      {
        name: database.passwordSecret.name,
        keys: [database.passwordSecret.key],
        purpose: `password of PostgreSQL user '${database.username}', used by Polaris and its bootstrap Job`,
      },
      {
        name: this.rootCredentials.clientId.name,
        keys: [this.rootCredentials.clientId.key],
        purpose: `client ID of the Polaris root principal of realm '${this.realm}' (set by the bootstrap Job${setupStorage ? ', used by the catalog-setup Job' : ''})`,
      },
      {
        name: this.rootCredentials.clientSecret.name,
        keys: [this.rootCredentials.clientSecret.key],
        purpose: `client secret of the Polaris root principal of realm '${this.realm}' (set by the bootstrap Job${setupStorage ? ', used by the catalog-setup Job' : ''})`,
      },
    ];
    if (props.storage) {
      requirements.push(
        {
          name: props.storage.accessKeyId.name,
          keys: [props.storage.accessKeyId.key],
          purpose: 'S3 access key ID Polaris uses for the warehouse',
        },
        {
          name: props.storage.secretAccessKey.name,
          keys: [props.storage.secretAccessKey.key],
          purpose: 'S3 secret access key Polaris uses for the warehouse',
        },
      );
    }
    if (this.tokenKeys) {
      requirements.push({
        name: this.tokenKeys.secretName,
        keys: [this.tokenKeys.publicKeyKey ?? 'public.pem', this.tokenKeys.privateKeyKey ?? 'private.pem'],
        purpose: 'RSA key pair (PEM) every Polaris replica signs and verifies access tokens with',
      });
    }
    this.requiredSecrets = mergeSecretRequirements(requirements);

    // --- Environment shared by server and admin tool ------------------------------------------
    // Quarkus' environment config source matches a variable named exactly like the property, so
    // the dotted names (as in Polaris' chart and docs) need no QUARKUS_... translation.
    const datasourceEnv = [
      plainEnv('quarkus.datasource.username', database.username),
      secretEnv('quarkus.datasource.password', database.passwordSecret),
      plainEnv('quarkus.datasource.jdbc.url', database.jdbcUrl),
    ];
    const storageEnv = props.storage
      ? [
          secretEnv('polaris.storage.aws.access-key', props.storage.accessKeyId),
          secretEnv('polaris.storage.aws.secret-key', props.storage.secretAccessKey),
          plainEnv('AWS_REGION', props.storage.region),
        ]
      : [];

    // --- Server -------------------------------------------------------------------------------
    const configVolume: k8s.Volume = {
      name: 'config',
      projected: {
        // Group-readable only: fsGroup 10001 owns the files, the private key included.
        defaultMode: 0o440,
        sources: [
          { configMap: { name: `${name}-config`, items: [{ key: CONFIG_FILE, path: CONFIG_FILE }] } },
          ...(this.tokenKeys
            ? [
                {
                  secret: {
                    name: this.tokenKeys.secretName,
                    items: [
                      { key: this.tokenKeys.publicKeyKey ?? 'public.pem', path: 'public.pem' },
                      { key: this.tokenKeys.privateKeyKey ?? 'private.pem', path: 'private.pem' },
                    ],
                  },
                },
              ]
            : []),
        ],
      },
    };
    const server = buildContainer(
      this,
      {
        name: 'polaris',
        image: this.image,
        ports: [
          { name: 'polaris-http', containerPort: POLARIS_HTTP_PORT, protocol: 'TCP' },
          { name: 'polaris-mgmt', containerPort: POLARIS_MANAGEMENT_PORT, protocol: 'TCP' },
        ],
        env: withExtraEnv(this, 'extraEnv', [...datasourceEnv, ...storageEnv], props.extraEnv),
        resources: props.resources ?? DEFAULT_RESOURCES,
        resourcesField: 'resources',
        // JVM and Quarkus start: up to 3 minutes before liveness applies.
        startupProbe: httpProbe('/q/health/live', 'polaris-mgmt', {
          periodSeconds: 5,
          timeoutSeconds: 5,
          failureThreshold: 36,
        }),
        readinessProbe: httpProbe('/q/health/ready', 'polaris-mgmt', {
          periodSeconds: 10,
          timeoutSeconds: 10,
          failureThreshold: 3,
        }),
        livenessProbe: httpProbe('/q/health/live', 'polaris-mgmt', {
          periodSeconds: 10,
          timeoutSeconds: 10,
          failureThreshold: 3,
        }),
        volumeMounts: [
          { name: 'config', mountPath: POLARIS_CONFIG_DIR, readOnly: true },
          { name: 'tmp', mountPath: '/tmp' },
        ],
      },
      POLARIS_RUN_AS,
    );
    const jobName = `${name}-bootstrap`;
    // The Jobs run where the server may run; the server's spread constraints select server pods.
    const jobPlacement = {
      nodeSelector: props.nodeSelector,
      tolerations: props.tolerations,
      affinity: props.affinity,
    };
    this.accessJob = {
      image:
        this.curlImage ??
        resolveImage(this, 'catalogSetup.image', CURL_IMAGE, setup.image, props.imageRegistry),
      imagePullSecrets: props.imagePullSecrets,
      scheduling: jobPlacement,
    };
    const initContainers = [database.waitContainer(this, 'wait-for-database')];
    if (props.waitForBootstrap ?? true) {
      const psqlImage = resolveImage(this, 'psqlImage', POSTGRES_IMAGE, props.psqlImage, props.imageRegistry);
      initContainers.push(waitForSchemaContainer(this, database, psqlImage, jobName, this.realm));
    }

    this.metricsEndpoints = [
      metricsEndpoint(this, {
        serviceName: name,
        identity: this.identity,
        portName: 'polaris-mgmt',
        port: POLARIS_MANAGEMENT_PORT,
        path: '/q/metrics',
      }),
    ];
    this.service = addService(this, 'service', {
      name,
      identity: this.identity,
      // Quarkus serves Prometheus metrics at /q/metrics on the management port.
      metrics: this.metricsEndpoints[0],
      ports: [
        { name: 'polaris-http', port: POLARIS_HTTP_PORT, targetPort: 'polaris-http', appProtocol: 'http' },
        {
          name: 'polaris-mgmt',
          port: POLARIS_MANAGEMENT_PORT,
          targetPort: 'polaris-mgmt',
          appProtocol: 'http',
        },
      ],
    });

    const serverAccount = workloadServiceAccount(this, 'service-account', {
      name,
      identity: this.identity,
      enabled: production.serviceAccounts,
    });
    // The floe docs' PDB for Polaris: at least 1 available.
    const availability = workloadAvailability(this, 'server', {
      field: '',
      kind: 'Deployment',
      name,
      identity: this.identity,
      settings: production,
      replicas,
      autoscaling,
      disruption: { minAvailable: 1 },
      scheduling: props,
    });
    this.autoscaler = availability.autoscaler;
    this.disruptionBudget = availability.disruptionBudget;
    this.deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: objectMeta(name, this.identity),
      spec: {
        ...availability.replicaSpec,
        selector: { matchLabels: this.selector },
        template: buildPodTemplate({
          identity: this.identity,
          runAs: POLARIS_RUN_AS,
          ...serverAccount.pod,
          initContainers,
          containers: [server],
          volumes: [configVolume, emptyDirVolume('tmp')],
          scheduling: availability.scheduling,
          imagePullSecrets: props.imagePullSecrets,
          annotations: configChecksumAnnotations(production.configChecksums, {
            [`${name}-config`]: { [CONFIG_FILE]: this.propertiesFile },
          }),
        }),
      },
    });

    // --- Bootstrap Job ------------------------------------------------------------------------
    // The secret reaches the admin tool only through `$(VAR)` expansion by the kubelet: the manifest
    // holds the reference, not the value. Running it again (the Job is recreated after its TTL) is
    // safe: on a bootstrapped realm the admin tool prints "is already bootstrapped; skipping",
    // leaves the root credentials as they are and exits 0 (apache/polaris 1.7.0,
    // runtime/admin/src/main/java/org/apache/polaris/admintool/BootstrapCommand.java, `call`).
    const admin = buildContainer(
      this,
      {
        name: 'bootstrap',
        image: this.adminToolImage,
        args: [
          'bootstrap',
          '-r',
          this.realm,
          '-c',
          `${this.realm},$(${ROOT_CLIENT_ID_ENV}),$(${ROOT_CLIENT_SECRET_ENV})`,
        ],
        env: [
          plainEnv('polaris.persistence.type', 'relational-jdbc'),
          ...datasourceEnv,
          secretEnv(ROOT_CLIENT_ID_ENV, this.rootCredentials.clientId),
          secretEnv(ROOT_CLIENT_SECRET_ENV, this.rootCredentials.clientSecret),
        ],
        resources: bootstrap.resources ?? DEFAULT_BOOTSTRAP_RESOURCES,
        resourcesField: 'bootstrap.resources',
        volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
      },
      POLARIS_RUN_AS,
    );
    const bootstrapAccount = workloadServiceAccount(this, 'bootstrap-service-account', {
      name: jobName,
      identity: this.bootstrapIdentity,
      enabled: production.serviceAccounts,
    });
    this.bootstrapJob = new k8s.KubeJob(this, 'bootstrap', {
      metadata: objectMeta(jobName, this.bootstrapIdentity),
      spec: {
        backoffLimit,
        ttlSecondsAfterFinished: ttl,
        activeDeadlineSeconds: bootstrapDeadline,
        template: buildPodTemplate({
          identity: this.bootstrapIdentity,
          runAs: POLARIS_RUN_AS,
          ...bootstrapAccount.pod,
          // `Never`: every failed attempt stays as a pod whose logs can be read.
          restartPolicy: 'Never',
          initContainers: [database.waitContainer(this, 'wait-for-database')],
          containers: [admin],
          volumes: [emptyDirVolume('tmp')],
          scheduling: jobPlacement,
          imagePullSecrets: props.imagePullSecrets,
        }),
      },
    });

    connect([this.deployment, this.bootstrapJob], database.jdbcUrl, 'metastore (PostgreSQL)');
    if (props.storage) {
      connect(this.deployment, props.storage.endpoint, 'warehouse files and STS (S3)');
    }
    if (props.telemetry) {
      connect(this.deployment, props.telemetry.otlpGrpcEndpoint, 'traces (OTLP/gRPC)');
    }

    // --- Catalog-setup Job --------------------------------------------------------------------
    let setupAccount: ReturnType<typeof workloadServiceAccount> | undefined;
    if (setupStorage && this.curlImage && this.catalogSetupIdentity) {
      this.createCatalogRequest = polarisCreateCatalogRequest({
        warehouse: this.warehouse,
        storage: setupStorage,
        baseLocationPrefix: setup.baseLocationPrefix ?? this.warehouse,
        credentialVending: credentialVendingOf(setupStorage, setup),
        roleArn: setup.roleArn,
      });
      const setupBackoffLimit = validateInteger(
        this,
        'catalogSetup.backoffLimit',
        setup.backoffLimit ?? 6,
        0,
      );
      const setupTtl = validateInteger(
        this,
        'catalogSetup.ttlSecondsAfterFinished',
        setup.ttlSecondsAfterFinished ?? 3600,
        0,
      );
      const setupDeadline = validateInteger(
        this,
        'catalogSetup.activeDeadlineSeconds',
        setup.activeDeadlineSeconds ?? SETUP_JOB_DEADLINE_SECONDS,
        1,
      );
      const curl = buildContainer(
        this,
        {
          name: 'catalog-setup',
          image: this.curlImage,
          command: ['/bin/sh', '-c', catalogSetupScript()],
          env: [
            plainEnv('SETUP_DIR', '/tmp'),
            plainEnv('POLARIS_URL', endpointUrl(this.serviceEndpoint)),
            plainEnv('POLARIS_REALM', this.realm),
            plainEnv('CATALOG_NAME', this.warehouse),
            literalEnv('CATALOG_REQUEST', JSON.stringify(this.createCatalogRequest)),
            literalEnv(
              'GRANT_REQUEST',
              JSON.stringify({ grant: { type: 'catalog', privilege: POLARIS_CATALOG_CONTENT_PRIVILEGE } }),
            ),
            secretEnv(ROOT_CLIENT_ID_ENV, this.rootCredentials.clientId),
            secretEnv(ROOT_CLIENT_SECRET_ENV, this.rootCredentials.clientSecret),
          ],
          resources: setup.resources ?? DEFAULT_CATALOG_SETUP_RESOURCES,
          resourcesField: 'catalogSetup.resources',
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
        },
        CURL_RUN_AS,
      );
      setupAccount = workloadServiceAccount(this, 'catalog-setup-service-account', {
        name: `${name}${CATALOG_SETUP_SUFFIX}`,
        identity: this.catalogSetupIdentity,
        enabled: production.serviceAccounts,
      });
      this.catalogSetupJob = new k8s.KubeJob(this, 'catalog-setup', {
        metadata: objectMeta(`${name}${CATALOG_SETUP_SUFFIX}`, this.catalogSetupIdentity),
        spec: {
          backoffLimit: setupBackoffLimit,
          ttlSecondsAfterFinished: setupTtl,
          activeDeadlineSeconds: setupDeadline,
          template: buildPodTemplate({
            identity: this.catalogSetupIdentity,
            runAs: CURL_RUN_AS,
            ...setupAccount.pod,
            restartPolicy: 'Never',
            // What the setup really needs, each waited for with a bound (boundedWaitScript):
            // Polaris ready (Quarkus' /q/health/ready on the management port, which checks its
            // datasource: apache/polaris 1.7.0 docs, "Configuring Polaris for Production"), and
            // the warehouse bucket, which the bucket Job may still be creating. The bucket check
            // needs no credentials: S3 and MinIO answer an anonymous HEAD on a missing bucket
            // with 404 (NoSuchBucket) and on an existing one with 403 or 200.
            initContainers: [
              curlWaitContainer(this, this.curlImage, {
                name: 'wait-for-polaris-ready',
                what: `Polaris to be ready (${endpointUrl(this.managementEndpoint, '/q/health/ready')})`,
                check: `curl -fsS -o /dev/null --max-time 5 ${endpointUrl(this.managementEndpoint, '/q/health/ready')}`,
              }),
              curlWaitContainer(this, this.curlImage, {
                name: 'wait-for-warehouse-bucket',
                what: `bucket ${setupStorage.warehouseBucket} at ${setupStorage.endpoint}`,
                check:
                  `curl -s -o /dev/null -I -w '%{http_code}' --max-time 5 ${setupStorage.endpoint.replace(/\/$/, '')}/${setupStorage.warehouseBucket}` +
                  " | grep -qv -e '^404$' -e '^000$'",
              }),
            ],
            containers: [curl],
            volumes: [emptyDirVolume('tmp')],
            scheduling: jobPlacement,
            imagePullSecrets: props.imagePullSecrets,
          }),
        },
      });
      connect(this.catalogSetupJob, this.serviceEndpoint, 'creates the catalog (management API)');
      connect(this.catalogSetupJob, this.managementEndpoint, 'waits for Polaris readiness (/q/health/ready)');
      connect(this.catalogSetupJob, setupStorage.endpoint, 'waits for the warehouse bucket');
    }
    this.serviceAccounts = [serverAccount, bootstrapAccount, ...(setupAccount ? [setupAccount] : [])].flatMap(
      (a) => (a.serviceAccount ? [a.serviceAccount] : []),
    );
  }

  /**
   * Gives a data product its own principal, with read and write access to its namespaces of the
   * warehouse and nothing else: a `PolarisProductAccess` under `scope` (the product's chart) sets
   * it up in the cluster and writes the credentials to a Secret in the product's namespace.
   */
  public grantProductAccess(scope: Construct, request: CatalogAccessRequest): CatalogCredentials {
    return new PolarisProductAccess(scope, `catalog-access-${request.product}`, {
      polaris: {
        serviceEndpoint: this.serviceEndpoint,
        managementEndpoint: this.managementEndpoint,
        realm: this.realm,
        warehouse: this.warehouse,
        rootCredentials: this.rootCredentials,
        identity: this.identity,
      },
      request,
      image: this.accessJob.image,
      runAs: CURL_RUN_AS,
      imagePullSecrets: this.accessJob.imagePullSecrets,
      scheduling: this.accessJob.scheduling,
    }).credentials;
  }

  /** The underlying objects, in the order they are written. */
  public get apiObjects(): ApiObject[] {
    const [server, bootstrap, setup] = this.serviceAccounts;
    return [
      this.configMap,
      this.service,
      ...(server ? [server] : []),
      ...(this.autoscaler ? [this.autoscaler] : []),
      ...(this.disruptionBudget ? [this.disruptionBudget] : []),
      this.deployment,
      ...(bootstrap ? [bootstrap] : []),
      this.bootstrapJob,
      ...(setup ? [setup] : []),
      ...(this.catalogSetupJob ? [this.catalogSetupJob] : []),
    ];
  }
}

const REALM_ALLOWED = "letters, digits, '_' and '-', starting with a letter or digit, at most 64 characters";
const WAREHOUSE_ALLOWED =
  "a catalog name: letters, digits, '_', '.' and '-', starting with a letter or digit, at most 256 characters";

function validatePattern(
  scope: IConstruct,
  field: string,
  value: string,
  re: RegExp,
  allowed: string,
): string {
  if (typeof value !== 'string' || !re.test(value)) {
    throw new FloeValidationError(scope, field, value, allowed);
  }
  return value;
}

function validateSecretKey(scope: IConstruct, field: string, value: string): string {
  return validatePattern(scope, field, value, SECRET_KEY, "a Secret key: letters, digits, '-', '_' and '.'");
}

function validateSecretRef(scope: IConstruct, field: string, ref: SecretKeyRef): void {
  validateDnsSubdomain(scope, `${field}.name`, ref?.name);
  validateSecretKey(scope, `${field}.key`, ref?.key);
}

function validateStorageTypes(scope: IConstruct, types: readonly string[]): string[] {
  const allowed =
    "a non-empty list of 'S3', 'GCS', 'AZURE' (FILE is refused: Polaris' production readiness check aborts start-up with it)";
  if (!Array.isArray(types) || types.length === 0) {
    throw new FloeValidationError(scope, 'supportedStorageTypes', types, allowed);
  }
  for (const t of types) {
    if (!SAFE_STORAGE_TYPES.includes(t)) {
      throw new FloeValidationError(scope, 'supportedStorageTypes', types, allowed);
    }
  }
  return [...new Set(types)];
}

/** Checks what the catalog-setup Job needs and returns the storage it creates the catalog on. */
function validateCatalogSetup(
  scope: IConstruct,
  name: string,
  storage: ObjectStoragePlugin | undefined,
  storageTypes: readonly string[],
  setup: PolarisCatalogSetupOptions,
): ObjectStoragePlugin {
  if (!storage) {
    throw new FloeValidationError(
      scope,
      'createCatalog',
      true,
      'false without storage (the catalog needs a bucket and endpoint; create it through the management API)',
    );
  }
  if (!storageTypes.includes('S3')) {
    throw new FloeValidationError(
      scope,
      'supportedStorageTypes',
      storageTypes,
      "a list including 'S3' with createCatalog (the catalog is created on S3-compatible storage)",
    );
  }
  if (name.length + CATALOG_SETUP_SUFFIX.length > MAX_JOB_NAME) {
    throw new FloeValidationError(
      scope,
      'name',
      name,
      `at most ${MAX_JOB_NAME - CATALOG_SETUP_SUFFIX.length} characters with createCatalog (the Job '<name>${CATALOG_SETUP_SUFFIX}' must fit in ${MAX_JOB_NAME})`,
    );
  }
  if (typeof storage.endpoint !== 'string' || !HTTP_URL.test(storage.endpoint)) {
    throw new FloeValidationError(
      scope,
      'storage.endpoint',
      storage.endpoint,
      "an http:// or https:// URL without query, e.g. 'http://minio:9000'",
    );
  }
  validatePattern(scope, 'storage.warehouseBucket', storage.warehouseBucket, S3_BUCKET, S3_BUCKET_ALLOWED);
  if (typeof storage.region !== 'string' || !/^[A-Za-z0-9_-]+$/.test(storage.region)) {
    throw new FloeValidationError(scope, 'storage.region', storage.region, "a region name, e.g. 'us-east-1'");
  }
  if (
    setup.baseLocationPrefix !== undefined &&
    setup.baseLocationPrefix !== '' &&
    !BASE_LOCATION_PREFIX.test(setup.baseLocationPrefix)
  ) {
    throw new FloeValidationError(
      scope,
      'catalogSetup.baseLocationPrefix',
      setup.baseLocationPrefix,
      "'' or key segments of letters, digits, '.', '_' and '-' separated by single '/', without leading or trailing '/'",
    );
  }
  if (setup.roleArn !== undefined) {
    if (!credentialVendingOf(storage, setup)) {
      throw new FloeValidationError(
        scope,
        'catalogSetup.roleArn',
        setup.roleArn,
        'no value with credentialVending false (the role is only assumed to vend credentials)',
      );
    }
    validatePattern(
      scope,
      'catalogSetup.roleArn',
      setup.roleArn,
      ROLE_ARN,
      "an IAM role ARN, e.g. 'arn:aws:iam::123456789012:role/polaris'",
    );
  }
  return storage;
}

/** Whether the catalog lets Polaris vend credentials (see `PolarisCatalogSetupOptions.credentialVending`). */
function credentialVendingOf(storage: ObjectStoragePlugin, setup: PolarisCatalogSetupOptions): boolean {
  return setup.credentialVending ?? (storage.serviceEndpoint !== undefined || setup.roleArn !== undefined);
}

/**
 * A plain variable whose value the kubelet passes through unchanged: it expands `$(VAR)` in env
 * values and turns `$$` into `$`, so every `$` is doubled.
 */
function literalEnv(name: string, value: string): k8s.EnvVar {
  return { name, value: value.replace(/\$/g, '$$$$') };
}

/**
 * The catalog-setup script (POSIX `sh`, for the curl image's busybox). It works in `$SETUP_DIR`
 * (the `/tmp` emptyDir) with files only its user can read:
 *
 * 1. Writes the root client ID and secret to files with `printf` (a shell builtin) and lets curl
 *    read and URL-encode them (`--data-urlencode name@file`), so they appear in no process's
 *    arguments. Requests a token: `POST /api/catalog/v1/oauth/tokens`, form fields `grant_type`,
 *    `client_id`, `client_secret`, `scope=PRINCIPAL_ROLE:ALL`.
 * 2. Turns the token response into a header file (`-H @file`), so the token never reaches an
 *    argument list or the log either.
 * 3. `POST /api/management/v1/catalogs` with `$CATALOG_REQUEST`: 201 creates it, 409 means it
 *    exists (left unchanged); anything else fails the pod with the response body printed.
 * 4. `PUT .../catalog-roles/catalog_admin/grants` with `$GRANT_REQUEST` (idempotent in Polaris).
 *
 * Every request carries `Polaris-Realm: $POLARIS_REALM`. The script contains no `$(`, which the
 * kubelet would try to expand.
 */
function catalogSetupScript(): string {
  const curl =
    'curl -sS --connect-timeout 5 --max-time 60 --retry 5 --retry-connrefused --retry-delay 3 ' +
    '-o "$out" -w \'%{http_code}\\n\' -H "Polaris-Realm: $POLARIS_REALM" "$@" > http-status';
  const fail = (what: string): string =>
    `echo "${what} failed with HTTP $status:" >&2; cat "$out" >&2; echo >&2; exit 1`;
  return [
    'set -eu',
    'umask 077',
    'cd "$SETUP_DIR"',
    // call <response file> <curl arguments...>: sets $status to the HTTP status code.
    `call() { out="$1"; shift; ${curl}; read -r status < http-status; }`,
    `printf '%s' "$${ROOT_CLIENT_ID_ENV}" > client-id`,
    `printf '%s' "$${ROOT_CLIENT_SECRET_ENV}" > client-secret`,
    'call token.json --data-urlencode grant_type=client_credentials --data-urlencode client_id@client-id ' +
      `--data-urlencode client_secret@client-secret --data-urlencode scope=PRINCIPAL_ROLE:ALL "$POLARIS_URL${POLARIS_TOKEN_PATH}"`,
    'rm -f client-id client-secret',
    // The error body of a failed token request holds no token.
    `if [ "$status" != 200 ]; then ${fail('token request to $POLARIS_URL')}; fi`,
    'tr -d \'\\r\\n\' < token.json | sed -n \'s/.*"access_token"[[:space:]]*:[[:space:]]*"\\([^"]*\\)".*/Authorization: Bearer \\1/p\' > auth-header',
    'rm -f token.json',
    'if [ ! -s auth-header ]; then echo "the token response holds no access_token" >&2; exit 1; fi',
    `printf '%s' "$CATALOG_REQUEST" > catalog.json`,
    "call response.json -X POST -H @auth-header -H 'Content-Type: application/json' -H 'Accept: application/json' " +
      `--data-binary @catalog.json "$POLARIS_URL${POLARIS_MANAGEMENT_API_PATH}/catalogs"`,
    'case "$status" in',
    '  2??) echo "created catalog $CATALOG_NAME" ;;',
    '  409) echo "catalog $CATALOG_NAME already exists; left unchanged" ;;',
    `  *) ${fail('creating catalog $CATALOG_NAME')} ;;`,
    'esac',
    `printf '%s' "$GRANT_REQUEST" > grant.json`,
    "call response.json -X PUT -H @auth-header -H 'Content-Type: application/json' -H 'Accept: application/json' " +
      `--data-binary @grant.json "$POLARIS_URL${POLARIS_MANAGEMENT_API_PATH}/catalogs/$CATALOG_NAME/catalog-roles/${POLARIS_CATALOG_ADMIN_ROLE}/grants"`,
    'case "$status" in',
    `  2??) echo "granted ${POLARIS_CATALOG_CONTENT_PRIVILEGE} on $CATALOG_NAME to ${POLARIS_CATALOG_ADMIN_ROLE}" ;;`,
    `  *) ${fail(`granting ${POLARIS_CATALOG_CONTENT_PRIVILEGE} on $CATALOG_NAME`)} ;;`,
    'esac',
    'rm -f auth-header',
  ].join('\n');
}

/** An init container of the curl image that runs `check` until it passes (`boundedWaitScript`). */
function curlWaitContainer(
  scope: IConstruct,
  image: ContainerImage,
  wait: { readonly name: string; readonly what: string; readonly check: string },
): k8s.Container {
  return buildContainer(
    scope,
    {
      name: wait.name,
      image,
      command: ['/bin/sh', '-c', boundedWaitScript(wait.what, wait.check)],
      resources: WAIT_CONTAINER_RESOURCES,
      resourcesField: 'waitResources',
    },
    CURL_RUN_AS,
  );
}

/**
 * An init container that polls the database with `psql` until the bootstrap has created the root
 * principal of `realm`, the last thing it writes: a schema alone (which the bootstrap creates
 * first) is not a bootstrapped realm, and a server started before the realm has its root principal
 * answers every request with errors until it restarts. The row: table `polaris_schema.entities`
 * (columns `realm_id`, `type_code`, `name`; apache/polaris 1.7.0,
 * persistence/relational-jdbc/src/main/resources/postgres/schema-v*.sql), type code 2 =
 * `PolarisEntityType.PRINCIPAL`, name `root` (the root principal). While the schema does not exist
 * yet psql fails and prints nothing, so the loop goes on. Connection settings come from libpq's
 * variables; the realm is validated (letters, digits, '_', '-'), so it cannot break the quoting.
 */
function waitForSchemaContainer(
  scope: IConstruct,
  database: PostgresDatabasePlugin,
  image: ContainerImage,
  jobName: string,
  realm: string,
): k8s.Container {
  const query =
    `SELECT 1 FROM polaris_schema.entities WHERE realm_id = '${realm}' ` +
    `AND type_code = ${POLARIS_PRINCIPAL_TYPE_CODE} AND name = 'root'`;
  // A pipe rather than $(...), which the kubelet would try to expand as a variable reference.
  const script = boundedWaitScript(
    `Job ${jobName} to bootstrap realm ${realm} (its root principal)`,
    `psql -tAc "${query}" | grep -q .`,
  );
  return buildContainer(
    scope,
    {
      name: 'wait-for-bootstrap',
      image,
      command: ['sh', '-c', script],
      env: [
        plainEnv('PGHOST', database.host),
        plainEnv('PGPORT', String(database.port)),
        plainEnv('PGDATABASE', database.database),
        plainEnv('PGUSER', database.username),
        secretEnv('PGPASSWORD', database.passwordSecret),
        plainEnv('PGCONNECT_TIMEOUT', '5'),
      ],
      resources: WAIT_CONTAINER_RESOURCES,
      resourcesField: 'waitResources',
    },
    POSTGRES_ALPINE_RUN_AS,
  );
}

/**
 * Renders Java properties, one `key=value` per line in key order. Keys escape `\`, `=`, `:`,
 * `#`, `!` and whitespace; values escape `\` and leading whitespace (java.util.Properties rules).
 */
export function renderProperties(props: Record<string, string>): string {
  const escapeKey = (k: string): string => k.replace(/[\\=:#! \t\f]/g, (c) => `\\${c}`);
  const escapeValue = (v: string): string => v.replace(/\\/g, '\\\\').replace(/^[ \t\f]/, (c) => `\\${c}`);
  return (
    Object.keys(props)
      .sort()
      .map((k) => `${escapeKey(k)}=${escapeValue(props[k])}`)
      .join('\n') + '\n'
  );
}
