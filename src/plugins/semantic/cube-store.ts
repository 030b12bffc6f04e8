import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { resolveProduction, workloadAvailability } from '../../core/availability';
import { ComponentProps, DEFAULT_PLATFORM_NAME, WorkloadOptions } from '../../core/component';
import { connect } from '../../core/connections';
import { namespaceOf, ServiceEndpoint, serviceEndpoint } from '../../core/endpoints';
import { fieldEnv, plainEnv, secretEnv, withExtraEnv } from '../../core/env';
import { FloeValidationError } from '../../core/errors';
import { ContainerImage, ImageOverride, resolveImage } from '../../core/image';
import { selectorLabels, WorkloadIdentity } from '../../core/labels';
import { buildContainer, buildPodTemplate, emptyDirVolume, RunAs } from '../../core/pod';
import { httpProbe, tcpProbe } from '../../core/probes';
import { checkConstructProps } from '../../core/props-check';
import { ResourceRequirements } from '../../core/resources';
import { MetricsEndpoint, metricsEndpoint } from '../../core/metrics';
import { mergeSecretRequirements, SecretRequirement } from '../../core/secrets';
import { addService, objectMeta } from '../../core/service';
import { workloadServiceAccount } from '../../core/service-account';
import {
  validateDnsLabel,
  validateDnsSubdomain,
  validateQuantity,
  validateReplicas,
} from '../../core/validation';
import { waitForTcpContainer } from '../../core/wait';
import { ObjectStoragePlugin } from '../interfaces';

/**
 * Cube Store, the engine Cube keeps pre-aggregations, its cache and its queue in. The tag must be
 * the same Cube version as the Cube API image (`CUBE_IMAGE`); both are published with a `v` prefix.
 */
export const CUBESTORE_IMAGE: ContainerImage = {
  registry: 'docker.io',
  repository: 'cubejs/cubestore',
  tag: 'v1.5.3',
};

/**
 * The user Cube Store runs as. The image (debian-slim + the `cubestored` binary in `/cube`) has no
 * USER and so runs as root upstream; it does not need root: it writes only to its data directory,
 * the optional shared remote directory and temporary files, which are all volumes here. 1001 is
 * the UID the community chart suggests; there is no passwd entry for it, which cubestored does not
 * need.
 */
export const CUBESTORE_RUN_AS: RunAs = { user: 1001, group: 1001, fsGroup: 1001 };

/** Router HTTP (WebSocket) port Cube connects to (`CUBESTORE_HTTP_PORT`). */
export const CUBESTORE_HTTP_PORT = 3030;
/** Router metastore port workers connect to (`CUBESTORE_META_PORT`). */
export const CUBESTORE_META_PORT = 9999;
/** Router status port serving `/livez` and `/readyz` (`CUBESTORE_STATUS_PORT`); routers only. */
export const CUBESTORE_STATUS_PORT = 3031;
/** Worker port the router sends jobs and queries to (`CUBESTORE_WORKER_PORT`). */
export const CUBESTORE_WORKER_PORT = 9001;
/** Local data directory (`CUBESTORE_DATA_DIR`): metastore, cachestore and a cache of remote files. */
export const CUBESTORE_DATA_DIR = '/cube/.cubestore/data';
/** Where a shared ReadWriteMany volume is mounted when it is the remote storage (`CUBESTORE_REMOTE_DIR`). */
export const CUBESTORE_REMOTE_DIR = '/cube/data';

/**
 * The Prometheus StatsD exporter, run beside every Cube Store pod: Cube Store sends its metrics
 * only as StatsD over UDP (`CUBESTORE_METRICS_*`), the exporter serves them as Prometheus metrics.
 */
export const STATSD_EXPORTER_IMAGE: ContainerImage = {
  registry: 'docker.io',
  repository: 'prom/statsd-exporter',
  tag: 'v0.30.0',
};

/** `nobody` (65534): the USER of the statsd-exporter image (busybox based). */
export const STATSD_EXPORTER_RUN_AS: RunAs = { user: 65534, group: 65534 };

/** Port of the exporter's `/metrics` (and `/-/healthy`, `/-/ready`): its `--web.listen-address` default. */
export const STATSD_EXPORTER_METRICS_PORT = 9102;

/** UDP port the exporter receives StatsD lines on (its `--statsd.listen-udp` default), on the pod's loopback. */
export const STATSD_EXPORTER_UDP_PORT = 9125;

const STATSD_EXPORTER_RESOURCES: ResourceRequirements = {
  requests: { cpu: '10m', memory: '32Mi' },
  limits: { memory: '128Mi' },
};

/** The StatsD exporter sidecar of the Cube Store pods. */
export interface CubeStoreMetricsOptions {
  /**
   * Image override of the exporter.
   * @default - `docker.io/prom/statsd-exporter:v0.30.0`
   */
  readonly image?: ImageOverride;
  /**
   * Requests and limits of the exporter container.
   * @default - 10m/32Mi requests, 128Mi memory limit
   */
  readonly resources?: ResourceRequirements;
}

const ROUTER_RESOURCES: ResourceRequirements = {
  requests: { cpu: '250m', memory: '512Mi' },
  limits: { memory: '2Gi' },
};
const WORKER_RESOURCES: ResourceRequirements = {
  requests: { cpu: '500m', memory: '1Gi' },
  limits: { memory: '4Gi' },
};

/** Cube Store's log levels (`CUBESTORE_LOG_LEVEL`). */
export type CubeStoreLogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** The local data directory of a Cube Store pod. */
export interface CubeStoreDataVolume {
  /**
   * `persistentVolumeClaim`: one ReadWriteOnce claim per pod (volumeClaimTemplates), kept across
   * restarts, so the metastore and downloaded partitions need not be fetched again.
   * `emptyDir`: lost with the pod; everything is restored from the remote storage on start.
   * Required.
   */
  readonly type: 'persistentVolumeClaim' | 'emptyDir';
  /**
   * Size of the claim, or size limit of the emptyDir.
   * @default '10Gi' for a claim; no limit for an emptyDir
   */
  readonly size?: string;
  /**
   * StorageClass of the claim (claims only).
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
}

/** Options of the Cube Store router or the workers. */
export interface CubeStoreRoleOptions extends Omit<WorkloadOptions, 'image'> {
  /**
   * The local data directory.
   * @default { type: 'persistentVolumeClaim', size: '10Gi' }
   */
  readonly dataVolume?: CubeStoreDataVolume;
}

/** Properties of a `CubeStore`. */
export interface CubeStoreProps extends ComponentProps {
  /**
   * Name prefix of every object: the router is `<name>-router` (its Service is what Cube connects
   * to), the workers `<name>-workers`. A DNS-1123 label of at most 40 characters.
   * @default 'cubestore'
   */
  readonly name?: string;
  /**
   * Image override for router and workers (they always run the same image). Keep the tag equal to
   * the Cube API's.
   * @default - `docker.io/cubejs/cubestore:v1.5.3`
   */
  readonly image?: ImageOverride;
  /**
   * Router options. Exactly one router is supported: it owns the metastore.
   * @default - 1 replica, 250m/512Mi requests, 2Gi memory limit, a 10Gi data claim
   */
  readonly router?: CubeStoreRoleOptions;
  /**
   * Worker options. The router and every worker are given the full list of worker addresses
   * (`CUBESTORE_WORKERS`, a static list computed from `replicas`), so changing `replicas` changes
   * the pod template of the router and of all workers: they are all restarted.
   * @default - 2 replicas, 500m/1Gi requests, 4Gi memory limit, a 10Gi data claim each
   */
  readonly workers?: CubeStoreRoleOptions;
  /**
   * S3-compatible object storage for pre-aggregations and metastore snapshots, used through Cube
   * Store's MinIO client (`CUBESTORE_MINIO_*`, path-style requests). Exactly one of `storage` and
   * `remoteDirClaimName` is required: Cube Store needs storage that the router and every worker
   * share.
   * @default - none
   */
  readonly storage?: ObjectStoragePlugin;
  /**
   * Bucket (with `storage`). It must exist.
   * @default - the storage's warehouse bucket
   */
  readonly bucket?: string;
  /**
   * Key prefix inside the bucket (with `storage`), without leading or trailing '/'.
   * @default - the `name`, e.g. 'cubestore'
   */
  readonly subPath?: string;
  /**
   * An existing ReadWriteMany PersistentVolumeClaim mounted at `/cube/data` in the router and
   * every worker (`CUBESTORE_REMOTE_DIR`), instead of object storage.
   * @default - none
   */
  readonly remoteDirClaimName?: string;
  /**
   * `CUBESTORE_LOG_LEVEL`.
   * @default 'warn'
   */
  readonly logLevel?: CubeStoreLogLevel;
  /**
   * Prometheus metrics: a `prom/statsd-exporter` sidecar in every router and worker pod receives
   * Cube Store's StatsD metrics on the pod's loopback (UDP 9125) and serves them on port 9102
   * (`metrics` on the router and workers Services), or `false` for no metrics.
   * @default - on, with `CubeStoreMetricsOptions` defaults
   */
  readonly metrics?: CubeStoreMetricsOptions | false;
  /**
   * Image of the busybox init container with which workers wait for the router's metastore port.
   * @default - `docker.io/library/busybox:1.37.0`
   */
  readonly waitImage?: ImageOverride;
}

/**
 * A Cube Store cluster: one router StatefulSet (metastore, HTTP endpoint for Cube, status probes)
 * and a workers StatefulSet that run queries and build partitions, sharing object storage (or a
 * ReadWriteMany volume) as remote storage. Both run as UID 1001 with a read-only root filesystem;
 * the data directory is a volume per pod and `/tmp` an emptyDir.
 *
 * Workers are addressed by their stable StatefulSet DNS names through the headless Service
 * `<name>-workers`; they wait in an init container until the router's metastore port answers,
 * because a worker that starts first fails its warm-up and does not retry.
 */
export class CubeStore extends Construct {
  /** The resolved image of router and workers. */
  public readonly image: ContainerImage;
  /** The router's Service endpoint on the HTTP port (what Cube's `CUBEJS_CUBESTORE_HOST/PORT` point to). */
  public readonly serviceEndpoint: ServiceEndpoint;
  /** The router's Service endpoint on the metastore port (what workers' `CUBESTORE_META_ADDR` points to). */
  public readonly metaEndpoint: ServiceEndpoint;
  /** `host:port` of every worker, in `CUBESTORE_WORKERS` order. */
  public readonly workerAddresses: readonly string[];
  /** Labels of the router pods. */
  public readonly routerIdentity: WorkloadIdentity;
  /** Labels of the worker pods. */
  public readonly workerIdentity: WorkloadIdentity;
  /** Secrets that must exist (object storage credentials). */
  public readonly requiredSecrets: readonly SecretRequirement[];
  /** Existing PersistentVolumeClaims the pods mount (the shared remote directory). */
  public readonly requiredPersistentVolumeClaims: readonly string[];
  /** The router StatefulSet. */
  public readonly routerStatefulSet: k8s.KubeStatefulSet;
  /** The router's client Service `<name>-router` (HTTP and metastore ports). */
  public readonly routerService: k8s.KubeService;
  /** The headless Service `<name>-router-headless` that governs the router StatefulSet. */
  public readonly routerHeadlessService: k8s.KubeService;
  /** The workers StatefulSet. */
  public readonly workersStatefulSet: k8s.KubeStatefulSet;
  /** The headless Service `<name>-workers` that gives each worker its DNS name. */
  public readonly workersService: k8s.KubeService;
  /** The StatsD exporters' metrics on the router and workers Services (none with `metrics: false`). */
  public readonly metricsEndpoints: readonly MetricsEndpoint[];
  /**
   * The workers' PodDisruptionBudget (one worker down at a time), when there is more than one.
   * Open-source Cube Store does not replicate: while any worker is down the cluster cannot
   * answer, so the budget only keeps drains from taking several workers at once.
   */
  public readonly workersDisruptionBudget?: k8s.KubePodDisruptionBudget;
  /** The router's and the workers' ServiceAccounts, with per-workload ServiceAccounts. */
  public readonly serviceAccounts: readonly k8s.KubeServiceAccount[];

  public constructor(scope: Construct, id: string, props: CubeStoreProps = {}) {
    checkConstructProps(scope, id, 'CubeStoreProps', props);
    super(scope, id);
    const name = validateDnsLabel(this, 'name', props.name ?? 'cubestore', 40);
    if (validateReplicas(this, 'router.replicas', props.router?.replicas ?? 1) !== 1) {
      throw new FloeValidationError(
        this,
        'router.replicas',
        props.router?.replicas,
        '1 (Cube Store supports a single router, which owns the metastore)',
      );
    }
    const workerCount = validateReplicas(this, 'workers.replicas', props.workers?.replicas ?? 2);
    const production = resolveProduction(this, props);
    this.image = resolveImage(this, 'image', CUBESTORE_IMAGE, props.image, props.imageRegistry);
    const partOf = props.platformName ?? DEFAULT_PLATFORM_NAME;
    this.routerIdentity = {
      name: 'cubestore',
      instance: name,
      component: 'router',
      partOf,
      version: this.image.tag,
    };
    this.workerIdentity = {
      name: 'cubestore',
      instance: name,
      component: 'worker',
      partOf,
      version: this.image.tag,
    };

    const routerName = `${name}-router`;
    const routerHeadlessName = `${name}-router-headless`;
    const workersName = `${name}-workers`;
    const namespace = namespaceOf(this);
    this.serviceEndpoint = serviceEndpoint(this, routerName, CUBESTORE_HTTP_PORT);
    this.metaEndpoint = serviceEndpoint(this, routerName, CUBESTORE_META_PORT);
    const workerHost = (pod: string): string => `${pod}.${workersName}.${namespace}.svc.cluster.local`;
    this.workerAddresses = Array.from(
      { length: workerCount },
      (_, i) => `${workerHost(`${workersName}-${i}`)}:${CUBESTORE_WORKER_PORT}`,
    );

    const remote = remoteStorage(this, name, props);
    this.requiredSecrets = remote.requiredSecrets;
    this.requiredPersistentVolumeClaims = remote.claimName ? [remote.claimName] : [];
    const logLevel = props.logLevel ?? 'warn';
    const commonEnv = [
      plainEnv('CUBESTORE_LOG_LEVEL', logLevel),
      plainEnv('CUBESTORE_TELEMETRY', 'false'),
      plainEnv('CUBESTORE_DATA_DIR', CUBESTORE_DATA_DIR),
      plainEnv('CUBESTORE_WORKERS', this.workerAddresses.join(',')),
      ...remote.env,
    ];
    const exporter = props.metrics === false ? undefined : statsdExporter(this, props, props.metrics ?? {});
    const metricsEnv = exporter
      ? [
          // Cube Store's defaults are StatsD to 127.0.0.1:8125; DogStatsD keeps the tags as labels.
          plainEnv('CUBESTORE_METRICS_FORMAT', 'dogstatsd'),
          plainEnv('CUBESTORE_METRICS_ADDRESS', '127.0.0.1'),
          plainEnv('CUBESTORE_METRICS_PORT', String(STATSD_EXPORTER_UDP_PORT)),
        ]
      : [];
    const routerData = dataVolume(this, 'router.dataVolume', props.router?.dataVolume);
    const workerData = dataVolume(this, 'workers.dataVolume', props.workers?.dataVolume);
    const mounts = (): k8s.VolumeMount[] => [
      { name: 'data', mountPath: CUBESTORE_DATA_DIR },
      { name: 'tmp', mountPath: '/tmp' },
      ...(remote.claimName ? [{ name: 'remote', mountPath: CUBESTORE_REMOTE_DIR }] : []),
    ];
    const volumes = (data: DataVolumeParts): k8s.Volume[] => [
      ...(data.volume ? [data.volume] : []),
      emptyDirVolume('tmp'),
      ...(remote.claimName
        ? [{ name: 'remote', persistentVolumeClaim: { claimName: remote.claimName } }]
        : []),
    ];

    // Router: metastore, HTTP endpoint for Cube, status probes.
    const routerContainer = buildContainer(
      this,
      {
        name: 'cubestore',
        image: this.image,
        ports: [
          { name: 'http', containerPort: CUBESTORE_HTTP_PORT, protocol: 'TCP' },
          { name: 'meta', containerPort: CUBESTORE_META_PORT, protocol: 'TCP' },
          { name: 'status', containerPort: CUBESTORE_STATUS_PORT, protocol: 'TCP' },
        ],
        env: withExtraEnv(
          this,
          'router.extraEnv',
          [
            plainEnv('CUBESTORE_SERVER_NAME', this.metaEndpoint.address),
            plainEnv('CUBESTORE_HTTP_PORT', String(CUBESTORE_HTTP_PORT)),
            plainEnv('CUBESTORE_META_PORT', String(CUBESTORE_META_PORT)),
            plainEnv('CUBESTORE_STATUS_PORT', String(CUBESTORE_STATUS_PORT)),
            ...commonEnv,
            ...metricsEnv,
          ],
          props.router?.extraEnv,
        ),
        resources: props.router?.resources ?? ROUTER_RESOURCES,
        resourcesField: 'router.resources',
        // The status server starts before the metastore is loaded from remote storage; /livez runs
        // `SELECT 1`, /readyz also needs the metastore. Allow 5 minutes for the first load.
        startupProbe: httpProbe('/livez', 'status', {
          periodSeconds: 5,
          timeoutSeconds: 3,
          failureThreshold: 60,
        }),
        readinessProbe: httpProbe('/readyz', 'status', {
          periodSeconds: 10,
          timeoutSeconds: 3,
          failureThreshold: 3,
        }),
        livenessProbe: httpProbe('/livez', 'status', {
          periodSeconds: 30,
          timeoutSeconds: 5,
          failureThreshold: 3,
        }),
        volumeMounts: mounts(),
      },
      CUBESTORE_RUN_AS,
    );
    this.routerHeadlessService = addService(this, 'router-headless', {
      name: routerHeadlessName,
      identity: this.routerIdentity,
      headless: true,
      ports: [
        { name: 'http', port: CUBESTORE_HTTP_PORT, targetPort: 'http' },
        { name: 'meta', port: CUBESTORE_META_PORT, targetPort: 'meta' },
      ],
    });
    const metricsPort = { name: 'metrics', port: STATSD_EXPORTER_METRICS_PORT, targetPort: 'metrics' };
    const endpoint = (serviceName: string, identity: WorkloadIdentity): MetricsEndpoint =>
      metricsEndpoint(this, {
        serviceName,
        identity,
        portName: 'metrics',
        port: STATSD_EXPORTER_METRICS_PORT,
        path: '/metrics',
      });
    const routerMetrics = exporter ? endpoint(routerName, this.routerIdentity) : undefined;
    const workerMetrics = exporter ? endpoint(workersName, this.workerIdentity) : undefined;
    this.metricsEndpoints = [routerMetrics, workerMetrics].filter(
      (e): e is MetricsEndpoint => e !== undefined,
    );
    this.routerService = addService(this, 'router-service', {
      name: routerName,
      identity: this.routerIdentity,
      metrics: routerMetrics,
      ports: [
        { name: 'http', port: CUBESTORE_HTTP_PORT, targetPort: 'http' },
        { name: 'meta', port: CUBESTORE_META_PORT, targetPort: 'meta' },
        ...(exporter ? [metricsPort] : []),
      ],
    });
    const routerAccount = workloadServiceAccount(this, 'router-service-account', {
      name: routerName,
      identity: this.routerIdentity,
      enabled: production.serviceAccounts,
    });
    this.routerStatefulSet = new k8s.KubeStatefulSet(this, 'router', {
      metadata: objectMeta(routerName, this.routerIdentity),
      spec: {
        serviceName: routerHeadlessName,
        replicas: 1,
        selector: { matchLabels: selectorLabels(this.routerIdentity) },
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate' },
        template: buildPodTemplate({
          identity: this.routerIdentity,
          runAs: CUBESTORE_RUN_AS,
          ...routerAccount.pod,
          containers: [routerContainer, ...(exporter ? [exporter] : [])],
          volumes: volumes(routerData),
          scheduling: props.router,
          imagePullSecrets: props.imagePullSecrets,
          terminationGracePeriodSeconds: 60,
        }),
        ...(routerData.claim
          ? { volumeClaimTemplates: [routerData.claim(selectorLabels(this.routerIdentity))] }
          : {}),
      },
    });

    // Workers: no status server (Cube Store serves /livez and /readyz on routers only), so their
    // probes are TCP connects on the worker port, which opens once the worker has started.
    const workerContainer = buildContainer(
      this,
      {
        name: 'cubestore',
        image: this.image,
        ports: [{ name: 'worker', containerPort: CUBESTORE_WORKER_PORT, protocol: 'TCP' }],
        env: withExtraEnv(
          this,
          'workers.extraEnv',
          [
            fieldEnv('POD_NAME', 'metadata.name'),
            plainEnv('CUBESTORE_SERVER_NAME', `${workerHost('$(POD_NAME)')}:${CUBESTORE_WORKER_PORT}`),
            plainEnv('CUBESTORE_WORKER_PORT', String(CUBESTORE_WORKER_PORT)),
            plainEnv('CUBESTORE_META_ADDR', this.metaEndpoint.address),
            ...commonEnv,
            ...metricsEnv,
          ],
          props.workers?.extraEnv,
        ),
        resources: props.workers?.resources ?? WORKER_RESOURCES,
        resourcesField: 'workers.resources',
        startupProbe: tcpProbe('worker', { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 60 }),
        readinessProbe: tcpProbe('worker', { periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 }),
        livenessProbe: tcpProbe('worker', { periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 }),
        volumeMounts: mounts(),
      },
      CUBESTORE_RUN_AS,
    );
    this.workersService = addService(this, 'workers-headless', {
      name: workersName,
      identity: this.workerIdentity,
      headless: true,
      // The router must resolve every worker's name while it is still starting.
      publishNotReadyAddresses: true,
      metrics: workerMetrics,
      ports: [
        { name: 'worker', port: CUBESTORE_WORKER_PORT, targetPort: 'worker' },
        ...(exporter ? [metricsPort] : []),
      ],
    });
    const workersAccount = workloadServiceAccount(this, 'workers-service-account', {
      name: workersName,
      identity: this.workerIdentity,
      enabled: production.serviceAccounts,
    });
    // Every worker is needed ("if any cluster node is down, it'll lead to a complete cluster
    // outage", Cube's docs): no budget can keep Cube Store up through a drain, so the budget lets
    // one worker go at a time, the least that never blocks a drain.
    const workersAvailability = workloadAvailability(this, 'workers', {
      field: 'workers',
      kind: 'StatefulSet',
      name: workersName,
      identity: this.workerIdentity,
      settings: production,
      replicas: workerCount,
      disruption: { maxUnavailable: 1 },
      scheduling: props.workers,
    });
    this.workersDisruptionBudget = workersAvailability.disruptionBudget;
    this.serviceAccounts = [routerAccount, workersAccount].flatMap((a) =>
      a.serviceAccount ? [a.serviceAccount] : [],
    );
    this.workersStatefulSet = new k8s.KubeStatefulSet(this, 'workers', {
      metadata: objectMeta(workersName, this.workerIdentity),
      spec: {
        serviceName: workersName,
        ...workersAvailability.replicaSpec,
        selector: { matchLabels: selectorLabels(this.workerIdentity) },
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'RollingUpdate' },
        template: buildPodTemplate({
          identity: this.workerIdentity,
          runAs: CUBESTORE_RUN_AS,
          ...workersAccount.pod,
          initContainers: [
            waitForTcpContainer(
              this,
              { name: 'wait-for-router', host: this.metaEndpoint.host, port: CUBESTORE_META_PORT },
              props.imageRegistry,
              props.waitImage,
            ),
          ],
          containers: [workerContainer, ...(exporter ? [exporter] : [])],
          volumes: volumes(workerData),
          scheduling: workersAvailability.scheduling,
          imagePullSecrets: props.imagePullSecrets,
        }),
        ...(workerData.claim
          ? { volumeClaimTemplates: [workerData.claim(selectorLabels(this.workerIdentity))] }
          : {}),
      },
    });

    // The router hands queries and jobs to the workers; a worker that leads a query asks the other
    // workers for their partitions; workers read the metastore on the router.
    const workers = serviceEndpoint(this, workersName, CUBESTORE_WORKER_PORT);
    connect(
      [this.routerStatefulSet, this.workersStatefulSet],
      workers,
      'Cube Store workers (CUBESTORE_WORKERS)',
    );
    connect(this.workersStatefulSet, this.metaEndpoint, 'Cube Store metastore (CUBESTORE_META_ADDR)');
    if (props.storage) {
      connect(
        [this.routerStatefulSet, this.workersStatefulSet],
        props.storage.endpoint,
        'remote storage (S3)',
      );
    }
  }

  /** The underlying objects, in the order they are written. */
  public get apiObjects(): ApiObject[] {
    const [router, workers] = this.serviceAccounts;
    return [
      this.routerHeadlessService,
      this.routerService,
      ...(router ? [router] : []),
      this.routerStatefulSet,
      this.workersService,
      ...(workers ? [workers] : []),
      ...(this.workersDisruptionBudget ? [this.workersDisruptionBudget] : []),
      this.workersStatefulSet,
    ];
  }
}

/**
 * The StatsD exporter sidecar: StatsD in over UDP on the pod's loopback only (TCP off), Prometheus
 * metrics out on `metrics`. Without a mapping file it turns the dotted StatsD names into
 * underscored metric names and DogStatsD tags into labels.
 */
function statsdExporter(
  scope: IConstruct,
  props: CubeStoreProps,
  opts: CubeStoreMetricsOptions,
): k8s.Container {
  return buildContainer(
    scope,
    {
      name: 'statsd-exporter',
      image: resolveImage(scope, 'metrics.image', STATSD_EXPORTER_IMAGE, opts.image, props.imageRegistry),
      args: [
        `--web.listen-address=:${STATSD_EXPORTER_METRICS_PORT}`,
        `--statsd.listen-udp=127.0.0.1:${STATSD_EXPORTER_UDP_PORT}`,
        '--statsd.listen-tcp=',
      ],
      ports: [{ name: 'metrics', containerPort: STATSD_EXPORTER_METRICS_PORT, protocol: 'TCP' }],
      resources: opts.resources ?? STATSD_EXPORTER_RESOURCES,
      resourcesField: 'metrics.resources',
      readinessProbe: httpProbe('/-/ready', 'metrics', { periodSeconds: 10, timeoutSeconds: 3 }),
      livenessProbe: httpProbe('/-/healthy', 'metrics', { periodSeconds: 30, timeoutSeconds: 3 }),
    },
    STATSD_EXPORTER_RUN_AS,
  );
}

interface RemoteStorageParts {
  readonly env: k8s.EnvVar[];
  readonly requiredSecrets: SecretRequirement[];
  readonly claimName?: string;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const SUB_PATH = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

function remoteStorage(scope: IConstruct, name: string, props: CubeStoreProps): RemoteStorageParts {
  const storage = props.storage;
  const claimName = props.remoteDirClaimName;
  if (storage && claimName !== undefined) {
    throw new FloeValidationError(
      scope,
      'remoteDirClaimName',
      claimName,
      'unset when `storage` is given (Cube Store uses one remote storage: the object store or a shared volume)',
    );
  }
  if (claimName !== undefined) {
    if (props.bucket !== undefined || props.subPath !== undefined) {
      throw new FloeValidationError(
        scope,
        props.bucket !== undefined ? 'bucket' : 'subPath',
        props.bucket ?? props.subPath,
        'unset unless `storage` is given',
      );
    }
    return {
      env: [plainEnv('CUBESTORE_REMOTE_DIR', CUBESTORE_REMOTE_DIR)],
      requiredSecrets: [],
      claimName: validateDnsSubdomain(scope, 'remoteDirClaimName', claimName),
    };
  }
  if (!storage) {
    throw new FloeValidationError(
      scope,
      'storage',
      undefined,
      'an ObjectStoragePlugin (pre-aggregations are kept in a bucket) or `remoteDirClaimName`, an existing ' +
        'ReadWriteMany PersistentVolumeClaim shared by the router and every worker: Cube Store needs remote ' +
        'storage that all its pods share',
    );
  }
  if (!/^https?:\/\/[^/\s]+\/?$/.test(storage.endpoint)) {
    throw new FloeValidationError(
      scope,
      'storage.endpoint',
      storage.endpoint,
      "an http:// or https:// URL with host and optional port and no path, e.g. 'http://minio:9000'",
    );
  }
  const bucket = props.bucket ?? storage.warehouseBucket;
  if (!BUCKET.test(bucket)) {
    throw new FloeValidationError(
      scope,
      'bucket',
      bucket,
      "an S3 bucket name: 3 to 63 lower-case letters, digits, '.' and '-'",
    );
  }
  const subPath = props.subPath ?? name;
  if (!SUB_PATH.test(subPath)) {
    throw new FloeValidationError(
      scope,
      'subPath',
      subPath,
      "a key prefix of letters, digits, '.', '_', '-' and '/', without leading, trailing or double '/'",
    );
  }
  return {
    env: [
      plainEnv('CUBESTORE_MINIO_BUCKET', bucket),
      plainEnv('CUBESTORE_MINIO_SUB_PATH', subPath),
      plainEnv('CUBESTORE_MINIO_SERVER_ENDPOINT', storage.endpoint.replace(/\/$/, '')),
      plainEnv('CUBESTORE_MINIO_REGION', storage.region),
      secretEnv('CUBESTORE_MINIO_ACCESS_KEY_ID', storage.accessKeyId),
      secretEnv('CUBESTORE_MINIO_SECRET_ACCESS_KEY', storage.secretAccessKey),
    ],
    requiredSecrets: secretRequirements([
      {
        ref: storage.accessKeyId,
        purpose: `S3 access key ID Cube Store '${name}' uses for bucket '${bucket}'`,
      },
      {
        ref: storage.secretAccessKey,
        purpose: `S3 secret access key Cube Store '${name}' uses for bucket '${bucket}'`,
      },
    ]),
  };
}

/** Groups secret references by Secret name, uniting keys and purposes. */
export function secretRequirements(
  refs: readonly { ref: { name: string; key: string }; purpose: string }[],
): SecretRequirement[] {
  return mergeSecretRequirements(
    refs.map(({ ref, purpose }) => ({ name: ref.name, keys: [ref.key], purpose })),
  );
}

interface DataVolumeParts {
  /** The pod volume, for an emptyDir. */
  readonly volume?: k8s.Volume;
  /** The claim template, for a persistent volume. */
  readonly claim?: (labels: Record<string, string>) => k8s.KubePersistentVolumeClaimProps;
}

function dataVolume(
  scope: IConstruct,
  field: string,
  opts: CubeStoreDataVolume | undefined,
): DataVolumeParts {
  const type = opts?.type ?? 'persistentVolumeClaim';
  if (type === 'emptyDir') {
    if (opts?.storageClassName !== undefined) {
      throw new FloeValidationError(
        scope,
        `${field}.storageClassName`,
        opts.storageClassName,
        'unset for an emptyDir',
      );
    }
    const limit = opts?.size === undefined ? undefined : validateQuantity(scope, `${field}.size`, opts.size);
    return { volume: emptyDirVolume('data', limit) };
  }
  if (type !== 'persistentVolumeClaim') {
    throw new FloeValidationError(scope, `${field}.type`, type, "'persistentVolumeClaim' or 'emptyDir'");
  }
  const size = validateQuantity(scope, `${field}.size`, opts?.size ?? '10Gi');
  return {
    claim: (labels) => ({
      metadata: { name: 'data', labels },
      spec: {
        accessModes: ['ReadWriteOnce'],
        ...(opts?.storageClassName ? { storageClassName: opts.storageClassName } : {}),
        resources: { requests: { storage: k8s.Quantity.fromString(size) } },
      },
    }),
  };
}
