import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { productionOptions, resolveProduction, workloadAvailability } from '../../core/availability';
import { ComponentProps, DEFAULT_PLATFORM_NAME, WorkloadOptions } from '../../core/component';
import { connect } from '../../core/connections';
import { ServiceEndpoint, endpointUrl, serviceEndpoint } from '../../core/endpoints';
import { plainEnv, secretEnv, withExtraEnv } from '../../core/env';
import { FloeValidationError } from '../../core/errors';
import { ContainerImage, ImageOverride, resolveImage } from '../../core/image';
import { selectorLabels, WorkloadIdentity } from '../../core/labels';
import { buildContainer, buildPodTemplate, emptyDirVolume, RunAs } from '../../core/pod';
import { httpProbe } from '../../core/probes';
import { checkConstructProps, checkProps } from '../../core/props-check';
import { ResourceRequirements } from '../../core/resources';
import { SecretKeyRef, SecretRequirement } from '../../core/secrets';
import { addService, objectMeta, ServicePortSpec } from '../../core/service';
import { workloadServiceAccount } from '../../core/service-account';
import {
  validateDnsLabel,
  validateDnsSubdomain,
  validateInteger,
  validateQuantity,
  validateReplicas,
} from '../../core/validation';
import { waitForHttpContainer } from '../../core/wait';
import { ObjectStoragePlugin, PlatformDependencies, PluginProvider } from '../interfaces';
import { validateBucketName, validateS3Region } from './external-s3';
import { MetricsEndpoint, metricsEndpoint } from '../../core/metrics';
import { IngressTarget } from '../../core/ingress';

/**
 * MinIO server image. Docker Hub's `minio/minio` is gone; quay.io still serves the frozen
 * community tags, and this is the last one built for both amd64 and arm64.
 */
export const MINIO_IMAGE: ContainerImage = {
  registry: 'quay.io',
  repository: 'minio/minio',
  tag: 'RELEASE.2025-09-07T16-13-09Z',
};

/** MinIO client (`mc`) image, used by the bucket-setup Job. */
export const MINIO_CLIENT_IMAGE: ContainerImage = {
  registry: 'quay.io',
  repository: 'minio/mc',
  tag: 'RELEASE.2025-08-13T08-35-41Z',
};

/**
 * The identity MinIO runs as. The image declares no user (it would run as root); the upstream
 * chart runs it as 1000:1000 with fsGroup 1000, and any non-root ID works because MinIO only
 * writes to its volumes.
 */
export const MINIO_RUN_AS: RunAs = { user: 1000, group: 1000, fsGroup: 1000 };

/** The S3 API port. */
export const MINIO_API_PORT = 9000;
/** The embedded console (object browser) port, when the browser is on. */
export const MINIO_CONSOLE_PORT = 9001;
/** Secret key of the root user name (as in the upstream chart). */
export const MINIO_ROOT_USER_KEY = 'rootUser';
/** Secret key of the root password (as in the upstream chart). */
export const MINIO_ROOT_PASSWORD_KEY = 'rootPassword';
/** Cluster-wide Prometheus metrics (public: `MINIO_PROMETHEUS_AUTH_TYPE=public`). */
export const MINIO_CLUSTER_METRICS_PATH = '/minio/v2/metrics/cluster';
/** Per-node Prometheus metrics. */
export const MINIO_NODE_METRICS_PATH = '/minio/v2/metrics/node';
/** The bucket the platform keeps its Iceberg warehouse in, unless told otherwise. */
export const DEFAULT_WAREHOUSE_BUCKET = 'floe-warehouse';

/** Where each pod's drive (the PersistentVolume) is mounted. */
const EXPORT_PATH = '/export';
/** An emptyDir: MinIO creates `<certs-dir>/CAs` at start and exits if it cannot. */
const CERTS_DIR = '/etc/minio/certs';
/** The bucket-setup Job's `mc` configuration directory (on the `/tmp` emptyDir). */
const MC_CONFIG_DIR = '/tmp/.mc';
/**
 * MinIO's cluster health check: 200 with write quorum, 503 without (minio/minio
 * RELEASE.2025-09-07T16-13-09Z, cmd/healthcheck-router.go: `/minio` + `/health` + `/cluster`;
 * cmd/healthcheck-handler.go, ClusterCheckHandler).
 */
export const MINIO_CLUSTER_HEALTH_PATH = '/minio/health/cluster';

/** The `mc` alias the bucket-setup script defines. */
const MC_ALIAS = 'floe';
/** Erasure set sizes this MinIO release supports (cmd/endpoint-ellipses.go). */
const MAX_ERASURE_SET = 16;
/** Smallest erasure set we accept: 2- and 3-drive sets have one parity drive only. */
const MIN_ERASURE_SET = 4;
/** The storage class variable that overrides the default parity (`EC:<parity drives>`). */
const STORAGE_CLASS_ENV = 'MINIO_STORAGE_CLASS_STANDARD';

const DEFAULT_RESOURCES: ResourceRequirements = {
  requests: { cpu: '250m', memory: '512Mi' },
  limits: { memory: '2Gi' },
};

const DEFAULT_BUCKET_JOB_RESOURCES: ResourceRequirements = {
  requests: { cpu: '50m', memory: '64Mi' },
  limits: { cpu: '500m', memory: '256Mi' },
};

/** Properties of a `MinIO` object store. */
export interface MinIOProps extends ComponentProps, WorkloadOptions {
  /**
   * Name of the StatefulSet and of the client Service; the headless Service is
   * `<name>-headless` and the bucket-setup Job `<name>-buckets`. A DNS-1123 label.
   * @default 'minio'
   */
  readonly name?: string;
  /**
   * Number of MinIO nodes, each with one drive (its PersistentVolume). 1 runs a standalone
   * server without redundancy. More runs distributed MinIO with erasure coding: 4 to 16, or a
   * larger count that MinIO can split into equal erasure sets of 4 to 16 drives (e.g. 20, 24, 32).
   * The count is part of the cluster's on-disk format: it cannot be changed after the first
   * start (MinIO grows by adding a server pool, which this construct does not model).
   * @default 4
   */
  readonly replicas?: number;
  /**
   * Size of each node's drive. With 4 nodes the default erasure coding (EC:2) keeps half of the
   * raw space for parity.
   * @default '10Gi'
   */
  readonly storageSize?: string;
  /**
   * StorageClass of the drives.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * Existing Secret with the root credentials under the keys `rootUser` (at least 3 characters)
   * and `rootPassword` (at least 8 characters).
   * @default '<name>-credentials'
   */
  readonly credentialsSecretName?: string;
  /**
   * Region MinIO reports (`MINIO_SITE_REGION`) and clients sign requests for.
   * @default 'us-east-1'
   */
  readonly region?: string;
  /**
   * Bucket for the Iceberg warehouse, created by the bucket-setup Job.
   * @default 'floe-warehouse'
   */
  readonly warehouseBucket?: string;
  /**
   * More buckets for the bucket-setup Job to create.
   * @default - none
   */
  readonly extraBuckets?: string[];
  /**
   * Serve MinIO's embedded web console on port 9001 (also on the client Service). In this
   * release it is an object browser only: the admin UI was removed upstream in 2025, so
   * administration goes through `mc admin`.
   * @default false
   */
  readonly browser?: boolean;
  /**
   * Image override for the `mc` client of the bucket-setup Job.
   * @default - quay.io/minio/mc pinned by this library
   */
  readonly clientImage?: ImageOverride;
  /**
   * Requests and limits of the bucket-setup Job's container.
   * @default - 50m CPU / 64Mi memory requested, 256Mi memory limit
   */
  readonly bucketJobResources?: ResourceRequirements;
  /**
   * Seconds a finished bucket-setup Job is kept before Kubernetes deletes it. A Job's pod
   * template is immutable, so a changed bucket list can only be applied once the old Job is gone.
   * @default 600
   */
  readonly bucketJobTtlSecondsAfterFinished?: number;
  /**
   * Seconds the bucket-setup Job may run in all, retries and `mc ready` included, before
   * Kubernetes stops it (`DeadlineExceeded`): a MinIO that never reaches write quorum does not
   * leave the Job waiting forever. Long enough for a first deploy, where every MinIO node starts.
   * @default 900
   */
  readonly bucketJobActiveDeadlineSeconds?: number;
}

/** Options of `MinIO.provider()`: everything but what the platform supplies. */
export type MinIOProviderOptions = Omit<MinIOProps, 'platformName'>;

/**
 * MinIO object storage: a StatefulSet with one PersistentVolume per node, a headless Service for
 * peer discovery, a client Service for the S3 API and a Job that creates the buckets.
 *
 * By default 4 nodes run distributed MinIO (erasure coding across the nodes, one node may be
 * down without losing writes). With `replicas: 1` it is a single standalone server.
 * Runs as UID/GID 1000 with a read-only root filesystem: MinIO writes only to its drive and to
 * emptyDirs for the certs directory and `/tmp`.
 *
 * The root credentials are also what S3 clients get (`accessKeyId`/`secretAccessKey`). For
 * production, a dedicated MinIO user or service account with a bucket-scoped policy is
 * recommended (not yet modelled here).
 */
export class MinIO extends Construct implements ObjectStoragePlugin {
  /** Builds a `MinIO` inside the platform. */
  public static provider(options: MinIOProviderOptions = {}): PluginProvider<ObjectStoragePlugin> {
    checkProps('MinIO.provider()', 'MinIOProviderOptions', options);
    return {
      provide: (scope: Construct, id: string, deps: PlatformDependencies): MinIO =>
        new MinIO(scope, id, {
          ...options,
          ...productionOptions(options, deps),
          platformName: deps.platformName,
          imageRegistry: options.imageRegistry ?? deps.imageRegistry,
          imagePullSecrets: options.imagePullSecrets ?? deps.imagePullSecrets,
        }),
    };
  }

  /** `http://<name>.<namespace>.svc.cluster.local:9000`. */
  public readonly endpoint: string;
  /** Region clients sign for. */
  public readonly region: string;
  /** Bucket of the Iceberg warehouse. */
  public readonly warehouseBucket: string;
  /** Every bucket the Job creates (the warehouse bucket first). */
  public readonly buckets: readonly string[];
  /** MinIO serves buckets path-style. */
  public readonly pathStyleAccess = true;
  /** The root user name (Secret key `rootUser`). */
  public readonly accessKeyId: SecretKeyRef;
  /** The root password (Secret key `rootPassword`). */
  public readonly secretAccessKey: SecretKeyRef;
  /** Secrets that must exist. */
  public readonly requiredSecrets: readonly SecretRequirement[];
  /** The client Service endpoint (S3 API). */
  public readonly serviceEndpoint: ServiceEndpoint;
  /** `distributed` (erasure coded across nodes) or `standalone` (one node). */
  public readonly mode: 'distributed' | 'standalone';
  /** Number of nodes. */
  public readonly replicas: number;
  /** The resolved server image. */
  public readonly image: ContainerImage;
  /** The resolved `mc` image. */
  public readonly clientImage: ContainerImage;
  /** Labels of the server pods. */
  public readonly identity: WorkloadIdentity;
  /** Selector labels of the server pods. */
  public readonly selector: Record<string, string>;
  /** Labels of the bucket-setup Job. */
  public readonly bucketJobIdentity: WorkloadIdentity;
  /** The StatefulSet. */
  public readonly statefulSet: k8s.KubeStatefulSet;
  /** The client Service (S3 API, and the console when on). */
  public readonly service: k8s.KubeService;
  /** The metrics endpoint of the Service (what the platform's ServiceMonitors scrape). */
  public readonly metricsEndpoints: readonly MetricsEndpoint[];
  /** The headless Service that governs the StatefulSet and gives each node its DNS name. */
  public readonly headlessService: k8s.KubeService;
  /** The bucket-setup Job. */
  public readonly bucketJob: k8s.KubeJob;
  /**
   * Keeps voluntary disruptions (drains) within what keeps write quorum (`writeTolerance` nodes
   * at a time); distributed mode only.
   */
  public readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;
  /**
   * Nodes that may be down while every erasure set keeps write quorum (distributed mode; 0 for a
   * standalone server): see `minioWriteTolerance`.
   */
  public readonly writeTolerance: number;
  /** The server's ServiceAccount, with per-workload ServiceAccounts. */
  public readonly serviceAccount?: k8s.KubeServiceAccount;
  /** The bucket-setup Job's ServiceAccount, with per-workload ServiceAccounts. */
  public readonly bucketJobServiceAccount?: k8s.KubeServiceAccount;

  /** The S3 API on port 9000. What an Ingress for this service targets. */
  public get webExposure(): IngressTarget {
    return { endpoint: this.serviceEndpoint, identity: this.identity };
  }

  public constructor(scope: Construct, id: string, props: MinIOProps = {}) {
    checkConstructProps(scope, id, 'MinIOProps', props);
    super(scope, id);
    const name = validateDnsLabel(this, 'name', props.name ?? 'minio', 47);
    this.replicas = validateMinioReplicas(this, props.replicas ?? 4);
    this.mode = this.replicas === 1 ? 'standalone' : 'distributed';
    const production = resolveProduction(this, props);
    this.writeTolerance =
      this.mode === 'standalone'
        ? 0
        : minioWriteTolerance(this.replicas, parityOverride(props.extraEnv?.[STORAGE_CLASS_ENV]));
    this.region = validateS3Region(this, 'region', props.region ?? 'us-east-1');
    this.warehouseBucket = validateMinioBucket(
      this,
      'warehouseBucket',
      props.warehouseBucket ?? DEFAULT_WAREHOUSE_BUCKET,
    );
    const extra = (props.extraBuckets ?? []).map((b, i) => validateMinioBucket(this, `extraBuckets.${i}`, b));
    const seen = new Set<string>([this.warehouseBucket]);
    extra.forEach((b, i) => {
      if (seen.has(b)) {
        throw new FloeValidationError(this, `extraBuckets.${i}`, b, 'a bucket name not listed before');
      }
      seen.add(b);
    });
    this.buckets = [this.warehouseBucket, ...extra];
    const storageSize = validateQuantity(this, 'storageSize', props.storageSize ?? '10Gi');
    if (props.storageClassName !== undefined) {
      validateDnsSubdomain(this, 'storageClassName', props.storageClassName);
    }
    const secretName = validateDnsSubdomain(
      this,
      'credentialsSecretName',
      props.credentialsSecretName ?? `${name}-credentials`,
    );
    const ttl = validateInteger(
      this,
      'bucketJobTtlSecondsAfterFinished',
      props.bucketJobTtlSecondsAfterFinished ?? 600,
      0,
    );
    const bucketJobDeadline = validateInteger(
      this,
      'bucketJobActiveDeadlineSeconds',
      props.bucketJobActiveDeadlineSeconds ?? 900,
      1,
    );
    const browser = props.browser ?? false;

    this.accessKeyId = { name: secretName, key: MINIO_ROOT_USER_KEY };
    this.secretAccessKey = { name: secretName, key: MINIO_ROOT_PASSWORD_KEY };
    this.requiredSecrets = [
      {
        name: secretName,
        keys: [MINIO_ROOT_USER_KEY, MINIO_ROOT_PASSWORD_KEY],
        purpose:
          `MinIO root user (at least 3 characters) and password (at least 8) of ${name}; ` +
          'also the S3 keys the platform services use',
      },
    ];

    this.image = resolveImage(this, 'image', MINIO_IMAGE, props.image, props.imageRegistry);
    this.clientImage = resolveImage(
      this,
      'clientImage',
      MINIO_CLIENT_IMAGE,
      props.clientImage,
      props.imageRegistry,
    );
    const partOf = props.platformName ?? DEFAULT_PLATFORM_NAME;
    this.identity = {
      name: 'minio',
      instance: name,
      component: 'object-storage',
      partOf,
      version: this.image.tag,
    };
    this.selector = selectorLabels(this.identity);
    this.bucketJobIdentity = {
      name: 'minio',
      instance: name,
      component: 'bucket-setup',
      partOf,
      version: this.clientImage.tag,
    };
    this.serviceEndpoint = serviceEndpoint(this, name, MINIO_API_PORT);
    this.endpoint = endpointUrl(this.serviceEndpoint);

    // --- server ---
    const headlessName = `${name}-headless`;
    const namespace = this.serviceEndpoint.namespace;
    const drives =
      this.mode === 'standalone'
        ? EXPORT_PATH
        : `http://${name}-{0...${this.replicas - 1}}.${headlessName}.${namespace}.svc.cluster.local:${MINIO_API_PORT}${EXPORT_PATH}`;
    const args = [
      'server',
      '--address',
      `:${MINIO_API_PORT}`,
      ...(browser ? ['--console-address', `:${MINIO_CONSOLE_PORT}`] : []),
      '--certs-dir',
      CERTS_DIR,
      drives,
    ];
    const ports: k8s.ContainerPort[] = [
      { name: 'http', containerPort: MINIO_API_PORT, protocol: 'TCP' },
      ...(browser ? [{ name: 'console', containerPort: MINIO_CONSOLE_PORT, protocol: 'TCP' }] : []),
    ];
    const container = buildContainer(
      this,
      {
        name: 'minio',
        image: this.image,
        // The image's entrypoint script only prepends `minio` and handles a deprecated user
        // switch; run the binary directly.
        command: ['/usr/bin/minio'],
        args,
        ports,
        env: withExtraEnv(
          this,
          'extraEnv',
          [
            secretEnv('MINIO_ROOT_USER', this.accessKeyId),
            secretEnv('MINIO_ROOT_PASSWORD', this.secretAccessKey),
            plainEnv('MINIO_SITE_REGION', this.region),
            plainEnv('MINIO_PROMETHEUS_AUTH_TYPE', 'public'),
            plainEnv('MINIO_BROWSER', browser ? 'on' : 'off'),
          ],
          props.extraEnv,
        ),
        resources: props.resources ?? DEFAULT_RESOURCES,
        resourcesField: 'resources',
        // The HTTP listener (and /minio/health/live) comes up before the node has found its
        // peers; a distributed start waits for all of them, and first start formats the drives.
        startupProbe: httpProbe('/minio/health/live', 'http', { periodSeconds: 5, failureThreshold: 60 }),
        readinessProbe: httpProbe('/minio/health/ready', 'http', { periodSeconds: 10, failureThreshold: 3 }),
        livenessProbe: httpProbe('/minio/health/live', 'http', {
          periodSeconds: 20,
          timeoutSeconds: 10,
          failureThreshold: 3,
        }),
        volumeMounts: [
          { name: 'export', mountPath: EXPORT_PATH },
          { name: 'certs', mountPath: CERTS_DIR },
          { name: 'tmp', mountPath: '/tmp' },
        ],
      },
      MINIO_RUN_AS,
    );

    const apiPort: ServicePortSpec = { name: 'http', port: MINIO_API_PORT, targetPort: 'http' };
    this.headlessService = addService(this, 'headless', {
      name: headlessName,
      identity: this.identity,
      headless: true,
      // Peers must resolve each other before any of them is ready.
      publishNotReadyAddresses: true,
      ports: [apiPort],
    });
    this.metricsEndpoints = [
      metricsEndpoint(this, {
        serviceName: name,
        identity: this.identity,
        portName: 'http',
        port: MINIO_API_PORT,
        path: '/minio/v2/metrics/cluster',
      }),
    ];
    this.service = addService(this, 'service', {
      name,
      identity: this.identity,
      // Cluster-wide metrics; MINIO_PROMETHEUS_AUTH_TYPE=public lets them be scraped without a token.
      metrics: this.metricsEndpoints[0],
      ports: [
        apiPort,
        ...(browser ? [{ name: 'console', port: MINIO_CONSOLE_PORT, targetPort: 'console' }] : []),
      ],
    });

    const account = workloadServiceAccount(this, 'service-account', {
      name,
      identity: this.identity,
      enabled: production.serviceAccounts,
    });
    this.serviceAccount = account.serviceAccount;
    // Never more nodes down than every erasure set can lose and still accept writes.
    const availability = workloadAvailability(this, 'server', {
      field: '',
      kind: 'StatefulSet',
      name,
      identity: this.identity,
      settings: production,
      replicas: this.replicas,
      disruption: { maxUnavailable: this.writeTolerance },
      scheduling: {
        nodeSelector: props.nodeSelector,
        tolerations: props.tolerations,
        // The topology spread (over nodes and zones) replaces the old anti-affinity when it is on.
        affinity:
          props.affinity ??
          (this.mode === 'distributed' && !production.topologySpread
            ? spreadAcrossNodes(this.selector)
            : undefined),
        topologySpreadConstraints: props.topologySpreadConstraints,
      },
    });
    this.podDisruptionBudget = availability.disruptionBudget;
    const template = buildPodTemplate({
      identity: this.identity,
      runAs: MINIO_RUN_AS,
      ...account.pod,
      containers: [container],
      volumes: [emptyDirVolume('certs'), emptyDirVolume('tmp')],
      scheduling: availability.scheduling,
      imagePullSecrets: props.imagePullSecrets,
      terminationGracePeriodSeconds: 60,
    });

    this.statefulSet = new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: objectMeta(name, this.identity),
      spec: {
        serviceName: headlessName,
        ...availability.replicaSpec,
        selector: { matchLabels: this.selector },
        // Distributed MinIO starts only when every node is up: start them together.
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'RollingUpdate' },
        template: withFsGroupChangePolicy(template),
        volumeClaimTemplates: [
          {
            metadata: { name: 'export', labels: this.selector },
            spec: {
              accessModes: ['ReadWriteOnce'],
              ...(props.storageClassName ? { storageClassName: props.storageClassName } : {}),
              resources: { requests: { storage: k8s.Quantity.fromString(storageSize) } },
            },
          },
        ],
      },
    });

    // --- bucket-setup Job ---
    const bucketJobAccount = workloadServiceAccount(this, 'buckets-service-account', {
      name: `${name}-buckets`,
      identity: this.bucketJobIdentity,
      enabled: production.serviceAccounts,
    });
    this.bucketJobServiceAccount = bucketJobAccount.serviceAccount;
    this.bucketJob = new k8s.KubeJob(this, 'buckets', {
      metadata: objectMeta(`${name}-buckets`, this.bucketJobIdentity),
      spec: {
        backoffLimit: 6,
        ttlSecondsAfterFinished: ttl,
        activeDeadlineSeconds: bucketJobDeadline,
        template: buildPodTemplate({
          identity: this.bucketJobIdentity,
          runAs: MINIO_RUN_AS,
          ...bucketJobAccount.pod,
          restartPolicy: 'Never',
          // Buckets can be created once the cluster has write quorum: MinIO's cluster health
          // check answers 200 then and 503 before, without credentials (minio/minio,
          // cmd/healthcheck-handler.go, ClusterCheckHandler; what `mc ready` polls, without end).
          initContainers: [
            waitForHttpContainer(
              this,
              {
                name: 'wait-for-minio',
                what: `MinIO write quorum (${this.endpoint}${MINIO_CLUSTER_HEALTH_PATH})`,
                url: `${this.endpoint}${MINIO_CLUSTER_HEALTH_PATH}`,
              },
              props.imageRegistry,
            ),
          ],
          containers: [
            buildContainer(
              this,
              {
                name: 'mc',
                image: this.clientImage,
                command: ['/bin/sh', '-ec', bucketScript(this.endpoint, this.region, this.buckets)],
                env: [
                  secretEnv('MINIO_ROOT_USER', this.accessKeyId),
                  secretEnv('MINIO_ROOT_PASSWORD', this.secretAccessKey),
                ],
                resources: props.bucketJobResources ?? DEFAULT_BUCKET_JOB_RESOURCES,
                resourcesField: 'bucketJobResources',
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              },
              MINIO_RUN_AS,
            ),
          ],
          volumes: [emptyDirVolume('tmp')],
          imagePullSecrets: props.imagePullSecrets,
        }),
      },
    });

    if (this.mode === 'distributed') {
      connect(
        this.statefulSet,
        serviceEndpoint(this, headlessName, MINIO_API_PORT),
        'distributed MinIO nodes (internode traffic on the S3 port)',
      );
    }
    connect(this.bucketJob, this.serviceEndpoint, 'bucket setup (mc)');
  }

  /** The underlying objects, in the order they are written. */
  public get apiObjects(): ApiObject[] {
    return [
      this.headlessService,
      this.service,
      ...(this.serviceAccount ? [this.serviceAccount] : []),
      ...(this.podDisruptionBudget ? [this.podDisruptionBudget] : []),
      this.statefulSet,
      ...(this.bucketJobServiceAccount ? [this.bucketJobServiceAccount] : []),
      this.bucketJob,
    ];
  }
}

/**
 * The bucket-setup script. The credentials are piped to `mc alias set` from the environment
 * (`printf` is a shell builtin), so they appear in no manifest and in no process's arguments.
 * The init container has waited for write quorum, with a bound; `mb --ignore-existing` makes
 * reruns safe (an existing bucket is left as it is and the command succeeds).
 */
function bucketScript(endpoint: string, region: string, buckets: readonly string[]): string {
  const mc = `/usr/bin/mc --config-dir ${MC_CONFIG_DIR}`;
  return [
    `printf '%s\\n%s\\n' "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" | ${mc} alias set --api S3v4 --path on ${MC_ALIAS} ${endpoint}`,
    ...buckets.map((b) => `${mc} mb --ignore-existing --region ${region} ${MC_ALIAS}/${b}`),
  ].join('\n');
}

/** Prefers one MinIO node per Kubernetes node, so a node failure takes out one drive only. */
function spreadAcrossNodes(selector: Record<string, string>): k8s.Affinity {
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

/**
 * Erasure set size distributed MinIO uses for `drives` drives: the largest size from 2 to 16 that
 * divides the count (`commonSetDriveCount` in MinIO's cmd/endpoint-ellipses.go).
 */
export function minioErasureSetSize(drives: number): number {
  for (let size = Math.min(drives, MAX_ERASURE_SET); size >= 2; size--) {
    if (drives % size === 0) return size;
  }
  return drives;
}

/**
 * MinIO's default parity of the STANDARD storage class for an erasure set size: EC:2 for 4-5
 * drives, EC:3 for 6-7, EC:4 for 8-16 (MinIO's storage class documentation).
 */
export function minioDefaultParity(setSize: number): number {
  if (setSize <= 1) return 0;
  if (setSize <= 3) return 1;
  if (setSize <= 5) return 2;
  if (setSize <= 7) return 3;
  return 4;
}

/**
 * How many of `drives` nodes (one drive each) may be down while writes still succeed. An object is
 * written to one erasure set; the set needs `data` drives (set size - parity) to write, one more
 * when data equals parity (`objectQuorumFromMeta` in MinIO's cmd/erasure-metadata.go), and the
 * nodes that are down may all be in one set. With 4 nodes (EC:2): write quorum 3, so 1.
 */
export function minioWriteTolerance(drives: number, parity?: number): number {
  const setSize = minioErasureSetSize(drives);
  const p = Math.min(parity ?? minioDefaultParity(setSize), Math.floor(setSize / 2));
  const data = setSize - p;
  const writeQuorum = data === p ? data + 1 : data;
  return setSize - writeQuorum;
}

/** The parity of `MINIO_STORAGE_CLASS_STANDARD=EC:<n>` in `extraEnv`, if it is set that way. */
function parityOverride(value: string | undefined): number | undefined {
  const match = value === undefined ? null : /^EC:(\d+)$/.exec(value.trim());
  return match ? Number(match[1]) : undefined;
}

/** Skips the recursive ownership change of a large drive on every start once it is right. */
function withFsGroupChangePolicy(template: k8s.PodTemplateSpec): k8s.PodTemplateSpec {
  if (!template.spec) {
    return template;
  }
  return {
    ...template,
    spec: {
      ...template.spec,
      securityContext: { ...template.spec.securityContext, fsGroupChangePolicy: 'OnRootMismatch' },
    },
  };
}

/**
 * Checks a node count: 1 (standalone) or a distributed layout whose erasure sets have at least
 * 4 drives. MinIO itself splits N drives into equal sets of 2 to 16, choosing the largest size
 * that divides N; it also accepts 2 and 3 nodes, which we refuse (one parity drive; with 2
 * nodes one node down stops writes), and refuses counts with no divisor from 2 to 16 (e.g. 17).
 */
function validateMinioReplicas(scope: IConstruct, value: number): number {
  validateReplicas(scope, 'replicas', value);
  if (value === 1) {
    return value;
  }
  for (let size = MIN_ERASURE_SET; size <= MAX_ERASURE_SET; size++) {
    if (value % size === 0) {
      return value;
    }
  }
  throw new FloeValidationError(
    scope,
    'replicas',
    value,
    '1 (standalone, no redundancy) or a distributed node count that MinIO splits into equal erasure sets ' +
      'of 4 to 16 drives: 4 to 16, or a larger multiple of a number from 4 to 16 (e.g. 20, 24, 32). ' +
      '2 and 3 nodes would get a single parity drive (and with 2, one node down stops writes)',
  );
}

/** A bucket name MinIO accepts: the S3 rules, and not `minio` (reserved by the server). */
function validateMinioBucket(scope: IConstruct, field: string, value: string): string {
  validateBucketName(scope, field, value);
  if (value === 'minio') {
    throw new FloeValidationError(
      scope,
      field,
      value,
      "a bucket name other than 'minio' (reserved by MinIO)",
    );
  }
  return value;
}
