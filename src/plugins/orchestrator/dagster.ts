import { createHash } from 'crypto';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import {
  AutoscalerOptions,
  productionOptions,
  resolveProduction,
  SizingPreset,
  sizingReplicas,
  workloadAvailability,
} from '../../core/availability';
import { configChecksumAnnotations } from '../../core/checksum';
import { ComponentProps, DEFAULT_PLATFORM_NAME, WorkloadOptions } from '../../core/component';
import { connect, KUBERNETES_API } from '../../core/connections';
import { checkConstructProps, checkProps } from '../../core/props-check';
import { RuntimePods } from '../../core/runtime-pods';
import { endpointUrl, namespaceOf, ServiceEndpoint, serviceEndpoint } from '../../core/endpoints';
import { plainEnv, secretEnv, withExtraEnv } from '../../core/env';
import { FloeValidationError } from '../../core/errors';
import { ContainerImage, ImageOverride, imageReference, resolveImage } from '../../core/image';
import { selectorLabels, WorkloadIdentity } from '../../core/labels';
import {
  buildContainer,
  buildPodTemplate,
  configMapVolume,
  emptyDirVolume,
  PodTemplateOptions,
  RunAs,
} from '../../core/pod';
import { execProbe, httpProbe } from '../../core/probes';
import { renderResources, ResourceRequirements } from '../../core/resources';
import { SecretRequirement } from '../../core/secrets';
import { addService, objectMeta } from '../../core/service';
import { workloadServiceAccount } from '../../core/service-account';
import {
  validateDnsLabel,
  validateDnsSubdomain,
  validateInteger,
  validatePort,
  validateReplicas,
} from '../../core/validation';
import { waitForTcpContainer } from '../../core/wait';
import { POSTGRES_PASSWORD_KEY } from '../database/postgres';
import { DagsterMetricsExporter, DagsterMetricsExporterOptions } from './dagster-metrics-exporter';
import { MetricsEndpoint } from '../../core/metrics';
import {
  CatalogCredentials,
  CatalogPlugin,
  ObjectStoragePlugin,
  OrchestratorPlugin,
  PlatformDependencies,
  PluginProvider,
  PostgresDatabasePlugin,
  TelemetryPlugin,
} from '../interfaces';
import {
  codeLocationTargetArgs,
  DAGSTER_CODE_SERVER_PORT,
  DagsterCodeLocation,
  validateCodeLocationName,
} from './dagster-code-location';
import { catalogCredentialEnv, resolveCatalogAccess } from '../catalog/catalog-access';
import {
  computeLogsEnv,
  DAGSTER_PG_PASSWORD_ENV,
  DagsterInstanceConfig,
  renderContainerContext,
  renderDagsterYaml,
  renderWorkspaceYaml,
} from './dagster-config';
import { IngressTarget } from '../../core/ingress';
import {
  DAGSTER_DAEMON_ELECTION_CONFIG_MAP,
  DAGSTER_DAEMON_ELECTION_ROLE,
  DAGSTER_DAEMON_ELECTION_TIMING,
  DAGSTER_DAEMON_LEASE,
  DAGSTER_DAEMON_MODES,
  daemonElectionCommand,
  daemonElectionConfigData,
  daemonElectionEnv,
  daemonElectionProbeCommand,
  daemonElectionRules,
  daemonElectionVolume,
  DagsterDaemonMode,
} from './dagster-daemon-election';

/**
 * Dagster's image for the webserver and daemon (no user code), `dagster/dagster-celery-k8s`.
 * The tag is the Dagster release; code location images must use the same Dagster version.
 */
export const DAGSTER_IMAGE: ContainerImage = {
  registry: 'docker.io',
  repository: 'dagster/dagster-celery-k8s',
  tag: '1.13.25',
};

/**
 * The upstream images have no `USER` (they run as root), so a fixed non-root user is chosen;
 * every path Dagster writes (`DAGSTER_HOME`, `/tmp`) is an emptyDir and `HOME` points at `/tmp`.
 */
export const DAGSTER_RUN_AS: RunAs = { user: 1001, group: 1001, fsGroup: 1001 };

/** Port of the Dagster webserver (UI and GraphQL API). */
export const DAGSTER_WEBSERVER_PORT = 3000;

/** `DAGSTER_HOME` in every Dagster container, as in the upstream chart. */
export const DAGSTER_HOME = '/opt/dagster/dagster_home';

/** Directory `workspace.yaml` is mounted in (as a directory, so ConfigMap updates reach it). */
export const DAGSTER_WORKSPACE_DIR = '/dagster-workspace';

/** Service name of the webserver. */
export const DAGSTER_WEBSERVER_SERVICE = 'dagster-webserver';
/** Deployment name of the daemon. */
export const DAGSTER_DAEMON_DEPLOYMENT = 'dagster-daemon';
/** ConfigMap holding `dagster.yaml` (also the run launcher's `instance_config_map`). */
export const DAGSTER_INSTANCE_CONFIG_MAP = 'dagster-instance';
/** ConfigMap holding `workspace.yaml`. */
export const DAGSTER_WORKSPACE_CONFIG_MAP = 'dagster-workspace';
/**
 * Name of the Role (and its binding) that lets the run launcher start and watch run Jobs; with
 * `serviceAccounts: false` also the one ServiceAccount the webserver, daemon and run pods share.
 */
export const DAGSTER_SERVICE_ACCOUNT = 'dagster';
/** `app.kubernetes.io/name` the K8sRunLauncher gives run pods (dagster_k8s `get_common_labels`). */
export const DAGSTER_RUN_POD_NAME = 'dagster';
/** `app.kubernetes.io/component` the K8sRunLauncher gives run pods (it launches them as `run_worker`). */
export const DAGSTER_RUN_POD_COMPONENT = 'run_worker';
/** Key prefix of the step logs (compute logs) in the warehouse bucket. */
export const DAGSTER_COMPUTE_LOGS_PREFIX = 'dagster/compute-logs';

/** ServiceAccount of the run pods (in the job namespace), with per-workload ServiceAccounts. */
export const DAGSTER_RUN_SERVICE_ACCOUNT = 'dagster-run';

const WORKSPACE_FILE = `${DAGSTER_WORKSPACE_DIR}/workspace.yaml`;

const WEBSERVER_RESOURCES: ResourceRequirements = {
  requests: { cpu: '500m', memory: '512Mi' },
  limits: { cpu: '1000m', memory: '1Gi' },
};
/**
 * The daemon's container holds `dagster-daemon run` (one Python process running every daemon as a
 * thread) and, while a probe runs, `dagster-daemon liveness-check`: a second Python that imports
 * Dagster and queries PostgreSQL, and a third when the readiness and liveness checks overlap. Each
 * Python with Dagster imported takes a few hundred MiB, so the limit leaves room for the daemon
 * plus two checks; 512Mi (the earlier limit) got a probe OOM-killed as the daemon grew.
 */
const DAEMON_RESOURCES: ResourceRequirements = {
  requests: { cpu: '250m', memory: '512Mi' },
  limits: { cpu: '1000m', memory: '1Gi' },
};

/**
 * The default of `DAGSTER_DAEMON_HEARTBEAT_TOLERANCE`. Dagster's default (and its chart's
 * `dagsterDaemon.heartbeatTolerance`) is 1800 s (dagster 1.13.25, dagster/_daemon/controller.py
 * DEFAULT_DAEMON_HEARTBEAT_TOLERANCE_SECONDS; helm/dagster/values.yaml): a hung daemon would run
 * for half an hour before the check fails. Every daemon thread writes a heartbeat each loop
 * iteration, at most every 30 s (DEFAULT_HEARTBEAT_INTERVAL_SECONDS), and one iteration of a busy
 * daemon waits on code servers for at most the gRPC timeouts of schedule and sensor evaluation
 * (60 s by default, DAGSTER_SCHEDULE_GRPC_TIMEOUT_SECONDS / DAGSTER_SENSOR_GRPC_TIMEOUT_SECONDS,
 * dagster/_grpc/client.py). 300 s is several such iterations: a busy daemon passes, a hung one
 * fails the check after 5.5 minutes (tolerance plus one interval) and is restarted
 * `restartTimeoutSeconds` later. The daemon process applies the same tolerance to its own threads
 * and exits when one stops heartbeating (controller.py check_daemon_heartbeats).
 */
const DEFAULT_DAEMON_HEARTBEAT_TOLERANCE = 300;
const CODE_LOCATION_RESOURCES: ResourceRequirements = {
  requests: { cpu: '250m', memory: '512Mi' },
  limits: { cpu: '1000m', memory: '1Gi' },
};
const RUN_RESOURCES: ResourceRequirements = {
  requests: { cpu: '250m', memory: '512Mi' },
  limits: { cpu: '1000m', memory: '2Gi' },
};

/** Webserver knobs. The image is shared with the daemon (`DagsterProps.image`). */
export interface DagsterWebserverOptions extends Omit<WorkloadOptions, 'image'> {
  /**
   * Number of webserver pods. With autoscaling, the autoscaler's minimum is the larger of this
   * and 2 (the floe docs' HPA), and the Deployment sets no replica count.
   * @default - the sizing preset's webservers: light 1, medium 2, heavy 3
   */
  readonly replicas?: number;
  /**
   * The webserver's HorizontalPodAutoscaler (the floe docs': 70 % CPU, 2 to 10 pods).
   * @default - on with `autoscaling`: minimum max(2, replicas), maximum 10, 70 % CPU
   */
  readonly autoscaler?: AutoscalerOptions;
}

/** Daemon knobs. The image is shared with the webserver (`DagsterProps.image`). */
export interface DagsterDaemonOptions extends Omit<WorkloadOptions, 'image'> {
  /**
   * `single`: one daemon pod (strategy Recreate) that Kubernetes restarts when it exits or its
   * liveness check fails. `ha`: an active/standby Deployment whose pods elect a leader through
   * the coordination.k8s.io Lease `dagster-daemon-leader`; only the leader runs `dagster-daemon`,
   * and a standby takes over when the leader stops renewing the Lease (docs/dagster-daemon-ha.md).
   * @default 'single'
   */
  readonly mode?: DagsterDaemonMode;
  /**
   * Number of daemon pods. In `single` mode only 1: Dagster has no leader election of its own and
   * two daemons would launch every schedule and sensor run twice. In `ha` mode at least 2 (one
   * leader, the others standbys; still only one daemon runs).
   * @default - 1 in `single` mode, 2 in `ha` mode
   */
  readonly replicas?: number;
  /**
   * Seconds without a heartbeat after which `dagster-daemon liveness-check` (the liveness
   * probe) fails (`DAGSTER_DAEMON_HEARTBEAT_TOLERANCE`), and after which the daemon process
   * stops itself when one of its threads stopped heartbeating. Heartbeats are written every 30 s;
   * keep it above the longest schedule or sensor evaluation (60 s by default).
   * @default 300 (Dagster's own default, 1800, leaves a hung daemon running for half an hour)
   */
  readonly heartbeatToleranceSeconds?: number;
  /**
   * Seconds between two runs of the liveness check (`dagster-daemon liveness-check`), the docs'
   * `health_check_interval`. The check starts Python and queries PostgreSQL, so at least 10.
   * @default 30
   */
  readonly healthCheckIntervalSeconds?: number;
  /**
   * Longest time from the last passing liveness check to Kubernetes restarting the daemon, the
   * docs' `restart_timeout`: the probe fails after `floor(restartTimeoutSeconds /
   * healthCheckIntervalSeconds)` failed checks in a row. (A daemon that exits is restarted at
   * once; a hung one fails the check once its heartbeats are `heartbeatToleranceSeconds` old.)
   * At least `healthCheckIntervalSeconds`.
   * @default 60
   */
  readonly restartTimeoutSeconds?: number;
}

/** Properties of `Dagster`. */
export interface DagsterProps extends ComponentProps {
  /**
   * PostgreSQL for run, event log and schedule storage. Its password Secret key must be
   * `postgresql-password`: Dagster's K8sRunLauncher hard-codes that key for run pods. Required.
   */
  readonly database: PostgresDatabasePlugin;
  /**
   * Image of the webserver and daemon.
   * @default - docker.io/dagster/dagster-celery-k8s:1.13.25
   */
  readonly image?: ImageOverride;
  /**
   * The floe docs' sizing preset by runs per day (`light` < 100, `medium` 100-1000, `heavy`
   * 1000+): webserver pods 1/2/3 and pods per code location 2/5/10; one daemon in each. A
   * workload's own `replicas` wins.
   * @default 'light'
   */
  readonly sizing?: SizingPreset;
  /**
   * Webserver replicas, autoscaler, resources, scheduling and extra environment.
   * @default - the sizing preset's replicas (autoscaled from 2 to 10 pods), requests 500m/512Mi,
   * limits 1000m/1Gi
   */
  readonly webserver?: DagsterWebserverOptions;
  /**
   * Daemon mode, resources, scheduling and extra environment.
   * @default - `single` mode: 1 replica, requests 250m/512Mi, limits 1000m/1Gi
   */
  readonly daemon?: DagsterDaemonOptions;
  /**
   * Code locations (gRPC code servers) the instance loads.
   * @default - none: `workspace.yaml` is `load_from: []` and the UI shows no jobs
   */
  readonly codeLocations?: DagsterCodeLocation[];
  /**
   * Runs the queue lets run at once; -1 for no limit.
   * @default 10
   */
  readonly maxConcurrentRuns?: number;
  /**
   * Namespace run Jobs are created in. The Role, its binding and the run pods' ServiceAccount
   * (`dagster-run`; `dagster` with `serviceAccounts: false`) are created there; when it is not the
   * chart's namespace, the database password Secret and `runEnvConfigMaps` must exist there too.
   * @default - the chart's namespace
   */
  readonly jobNamespace?: string;
  /**
   * Existing ConfigMaps whose keys become environment variables of every run pod.
   * @default []
   */
  readonly runEnvConfigMaps?: string[];
  /**
   * Requests and limits of run pods.
   * @default - requests 250m/512Mi, limits 1000m/2Gi
   */
  readonly runResources?: ResourceRequirements;
  /**
   * Let the daemon watch run pods and fail runs whose pod dies or never starts.
   * @default true
   */
  readonly runMonitoring?: boolean;
  /**
   * Bind the run launcher's Role to the run pods' ServiceAccount too: for runs that start
   * Kubernetes Jobs themselves (`k8s_job_executor`, one Job per step). Without it the run pods'
   * account (`dagster-run`) has no permissions. (The `K8sRunLauncher` always mounts an API token
   * into run pods.) Ignored with `serviceAccounts: false`, where run pods share the webserver's
   * and daemon's account.
   * @default false
   */
  readonly runPodsCallApi?: boolean;
  /**
   * Where OpenTelemetry data goes. Dagster itself does not emit OpenTelemetry; user code in code
   * servers and run pods that uses the OpenTelemetry SDK gets `OTEL_EXPORTER_OTLP_ENDPOINT`,
   * `OTEL_EXPORTER_OTLP_PROTOCOL` and `OTEL_SERVICE_NAME` (the code location name).
   * @default - no OpenTelemetry settings
   */
  readonly telemetry?: TelemetryPlugin;
  /**
   * Object storage for the step logs (stdout and stderr of every step, which the UI shows): they
   * go to the warehouse bucket under `dagster/compute-logs/` through dagster-aws'
   * S3ComputeLogManager, with the storage's credentials from its Secret, so they outlive the run
   * pod. The webserver and daemon image has dagster-aws; a code location's image must have it too.
   * `FloePlatform` passes its storage.
   * @default - none: step logs stay in the run pod and are lost with it
   */
  readonly storage?: ObjectStoragePlugin;
  /**
   * The Iceberg catalog: each code location's runs authenticate to it with credentials of their
   * own (`DagsterCodeLocation.catalogAccess`). `FloePlatform` passes its catalog.
   * @default - none: runs get no catalog credentials unless a location names `existingSecret`
   */
  readonly catalog?: CatalogPlugin;
  /**
   * A Prometheus exporter of run failures, run durations and daemon heartbeats, read from the
   * database (`DagsterMetricsExporter`; OSS Dagster serves no metrics itself), or `false`.
   * @default - on, with `DagsterMetricsExporter` defaults
   */
  readonly metricsExporter?: DagsterMetricsExporterOptions | false;
}

/** What `Dagster.provider` takes: everything but what the platform supplies. */
export type DagsterOptions = Omit<
  DagsterProps,
  'database' | 'platformName' | 'imageRegistry' | 'imagePullSecrets' | 'telemetry' | 'catalog'
>;

/** A code location as deployed. */
export interface DagsterCodeLocationDeployment {
  /** Code location name. */
  readonly name: string;
  /** Labels of its pods. */
  readonly identity: WorkloadIdentity;
  /** Its Service endpoint (gRPC). */
  readonly serviceEndpoint: ServiceEndpoint;
  /** Its image, resolved. */
  readonly image: ContainerImage;
  /** The Deployment. */
  readonly deployment: k8s.KubeDeployment;
  /** The Service. */
  readonly service: k8s.KubeService;
  /** Its ServiceAccount `dagster-<name>`, with per-workload ServiceAccounts. */
  readonly serviceAccount?: k8s.KubeServiceAccount;
  /** Its PodDisruptionBudget, when it runs more than one pod. */
  readonly disruptionBudget?: k8s.KubePodDisruptionBudget;
}

/**
 * Dagster on Kubernetes: the webserver (UI and GraphQL, Service `dagster-webserver:3000`), the
 * daemon (schedules, sensors, run queue; exactly one), one gRPC code server per code location,
 * the instance configuration (`dagster.yaml`: PostgreSQL storage, queued run coordinator and
 * `K8sRunLauncher`, which starts one Kubernetes Job per run) and the RBAC the launcher needs.
 *
 * Every pod runs as UID 1001 with a read-only root filesystem; `DAGSTER_HOME` and `/tmp` are
 * emptyDirs, `dagster.yaml` is mounted into `DAGSTER_HOME` by subPath and `workspace.yaml` as a
 * directory at `/dagster-workspace`. Run pods get the same hardening through the launcher.
 */
export class Dagster extends Construct implements OrchestratorPlugin {
  /**
   * A provider for `FloePlatform`'s orchestrator slot; it asks the platform for a PostgreSQL
   * database `dagster` (user `dagster`) on instance `orchestrator-db`.
   */
  public static provider(options: DagsterOptions = {}): PluginProvider<OrchestratorPlugin> {
    checkProps('Dagster.provider()', 'DagsterOptions', options);
    return {
      database: { name: 'orchestrator-db', database: 'dagster', username: 'dagster' },
      provide(scope: Construct, id: string, deps: PlatformDependencies): OrchestratorPlugin {
        if (!deps.database) {
          throw new FloeValidationError(
            `${scope.node.path}/${id}`,
            'database',
            undefined,
            'a PostgreSQL database from the platform (the provider requests one)',
          );
        }
        return new Dagster(scope, id, {
          ...options,
          ...productionOptions(options, deps),
          sizing: options.sizing ?? deps.sizing,
          database: deps.database,
          platformName: deps.platformName,
          imageRegistry: deps.imageRegistry,
          imagePullSecrets: deps.imagePullSecrets,
          telemetry: deps.telemetry,
          storage: deps.storage,
          catalog: deps.catalog,
          runEnvConfigMaps: [...(options.runEnvConfigMaps ?? []), ...(deps.runConfigMaps ?? [])],
        });
      },
    };
  }

  /** `http://dagster-webserver.<namespace>.svc.cluster.local:3000`. */
  public readonly webserverUrl: string;
  /** The webserver Service endpoint. */
  public readonly serviceEndpoint: ServiceEndpoint;
  /** Secrets that must exist: the database password (key `postgresql-password`). */
  public readonly requiredSecrets: readonly SecretRequirement[];
  /** ConfigMaps that must exist in the job namespace: `runEnvConfigMaps`. */
  public readonly requiredConfigMaps: readonly string[];
  /** The resolved webserver and daemon image. */
  public readonly image: ContainerImage;
  /** Namespace run Jobs are created in. */
  public readonly jobNamespace: string;
  /** Name of the ConfigMap holding `dagster.yaml`. */
  public readonly instanceConfigMapName = DAGSTER_INSTANCE_CONFIG_MAP;
  /** Name of the ConfigMap holding `workspace.yaml`. */
  public readonly workspaceConfigMapName = DAGSTER_WORKSPACE_CONFIG_MAP;
  /** ServiceAccount of the webserver pods. */
  public readonly webserverServiceAccountName: string;
  /** ServiceAccount of the daemon pod. */
  public readonly daemonServiceAccountName: string;
  /** ServiceAccount of the run pods (the run launcher's `service_account_name`). */
  public readonly runServiceAccountName: string;
  /** The rendered `dagster.yaml`. */
  public readonly dagsterYaml: string;
  /** The rendered `workspace.yaml`. */
  public readonly workspaceYaml: string;
  /** Labels of the webserver pods. */
  public readonly webserverIdentity: WorkloadIdentity;
  /** Labels of the daemon pods. */
  public readonly daemonIdentity: WorkloadIdentity;
  /** Labels of the ConfigMaps and RBAC objects. */
  public readonly configIdentity: WorkloadIdentity;
  /** The webserver Deployment. */
  public readonly webserverDeployment: k8s.KubeDeployment;
  /** The webserver Service. */
  public readonly webserverService: k8s.KubeService;
  /** The daemon Deployment. */
  public readonly daemonDeployment: k8s.KubeDeployment;
  /** How the daemon runs: `single` (one pod) or `ha` (a leader and standbys). */
  public readonly daemonMode: DagsterDaemonMode;
  /** Number of daemon pods: 1 in `single` mode; in `ha` mode the leader plus its standbys. */
  public readonly daemonReplicas: number;
  /** Name of the Lease the daemon pods elect their leader with (`ha` mode only). */
  public readonly daemonLeaseName?: string;
  /** ConfigMap `dagster-daemon-election` holding the leader election script (`ha` mode only). */
  public readonly daemonElectionConfigMap?: k8s.KubeConfigMap;
  /** Role letting the daemon pods read, renew and create the Lease (`ha` mode only). */
  public readonly daemonElectionRole?: k8s.KubeRole;
  /** Binds `daemonElectionRole` to the ServiceAccount (`ha` mode only). */
  public readonly daemonElectionRoleBinding?: k8s.KubeRoleBinding;
  /** The code locations, in the order given. */
  public readonly codeLocations: readonly DagsterCodeLocationDeployment[];
  /** ConfigMap `dagster-instance`. */
  public readonly instanceConfigMap: k8s.KubeConfigMap;
  /** ConfigMap `dagster-workspace`. */
  public readonly workspaceConfigMap: k8s.KubeConfigMap;
  /** The webserver's ServiceAccount (`dagster`, shared with the daemon, with `serviceAccounts: false`). */
  public readonly webserverServiceAccount: k8s.KubeServiceAccount;
  /** The daemon's ServiceAccount (`dagster`, shared with the webserver, with `serviceAccounts: false`). */
  public readonly daemonServiceAccount: k8s.KubeServiceAccount;
  /**
   * The run pods' ServiceAccount in `jobNamespace` (`dagster-run`; with `serviceAccounts: false`
   * only when `jobNamespace` is another namespace, named `dagster`).
   */
  public readonly runServiceAccount?: k8s.KubeServiceAccount;
  /** Role in `jobNamespace` allowing run Jobs to be launched and watched. */
  public readonly role: k8s.KubeRole;
  /** Binds `role` to the webserver's and daemon's ServiceAccounts. */
  public readonly roleBinding: k8s.KubeRoleBinding;
  /** The metrics exporter, unless `metricsExporter: false`. */
  public readonly metricsExporter?: DagsterMetricsExporter;
  /** The metrics exporter's endpoint (none with `metricsExporter: false`). */
  public readonly metricsEndpoints: readonly MetricsEndpoint[];
  /**
   * The run pods the launcher starts in `jobNamespace`: labelled `app.kubernetes.io/name: dagster`,
   * `/component: run_worker` by Dagster and `/instance`, `/part-of` through the launcher's `labels`.
   */
  public readonly runWorkloads: RuntimePods;
  /** The webserver's HorizontalPodAutoscaler, with autoscaling. */
  public readonly webserverAutoscaler?: k8s.KubeHorizontalPodAutoscalerV2;
  /** The webserver's PodDisruptionBudget, when it can run more than one pod. */
  public readonly webserverDisruptionBudget?: k8s.KubePodDisruptionBudget;
  /** The daemon's PodDisruptionBudget, in `ha` mode (at least one of its pods available). */
  public readonly daemonDisruptionBudget?: k8s.KubePodDisruptionBudget;

  /** The webserver (UI and GraphQL API) on port 3000. What an Ingress for this service targets. */
  public get webExposure(): IngressTarget {
    return { endpoint: this.serviceEndpoint, identity: this.webserverIdentity };
  }

  public constructor(scope: Construct, id: string, props: DagsterProps) {
    checkConstructProps(scope, id, 'DagsterProps', props);
    super(scope, id);
    const instance = validateDnsLabel(this, 'id', id);
    const namespace = namespaceOf(this);
    const partOf = props.platformName ?? DEFAULT_PLATFORM_NAME;
    const webserverOpts = props.webserver ?? {};
    const daemonOpts = props.daemon ?? {};
    const production = resolveProduction(this, props);
    const sizing = sizingReplicas(this, 'sizing', props.sizing);
    const ownAccounts = production.serviceAccounts;

    // --- validation -----------------------------------------------------------------------
    const db = props.database;
    if (!db || db.passwordSecret.key !== POSTGRES_PASSWORD_KEY) {
      throw new FloeValidationError(
        this,
        'database.passwordSecret.key',
        db?.passwordSecret.key,
        `'${POSTGRES_PASSWORD_KEY}' (Dagster's K8sRunLauncher always reads the run pods' database password from this key)`,
      );
    }
    const webserverReplicas = validateReplicas(
      this,
      'webserver.replicas',
      webserverOpts.replicas ?? sizing.webservers,
    );
    const daemonMode: DagsterDaemonMode = daemonOpts.mode ?? 'single';
    if (!DAGSTER_DAEMON_MODES.includes(daemonMode)) {
      throw new FloeValidationError(this, 'daemon.mode', daemonOpts.mode, "'single' or 'ha'");
    }
    this.daemonMode = daemonMode;
    const ha = daemonMode === 'ha';
    this.daemonReplicas = validateReplicas(this, 'daemon.replicas', daemonOpts.replicas ?? (ha ? 2 : 1));
    if (!ha && this.daemonReplicas !== 1) {
      throw new FloeValidationError(
        this,
        'daemon.replicas',
        daemonOpts.replicas,
        "1 in mode 'single' (Dagster has no leader election of its own: a second daemon would launch every scheduled run twice; daemon.mode 'ha' runs standbys)",
      );
    }
    if (ha && this.daemonReplicas < 2) {
      throw new FloeValidationError(
        this,
        'daemon.replicas',
        daemonOpts.replicas,
        "at least 2 in mode 'ha' (a leader and a standby; only the leader runs the daemon)",
      );
    }
    const heartbeatTolerance = validateInteger(
      this,
      'daemon.heartbeatToleranceSeconds',
      daemonOpts.heartbeatToleranceSeconds ?? DEFAULT_DAEMON_HEARTBEAT_TOLERANCE,
      60,
    );
    const healthCheckInterval = validateInteger(
      this,
      'daemon.healthCheckIntervalSeconds',
      daemonOpts.healthCheckIntervalSeconds ?? 30,
      10,
      3600,
    );
    const restartTimeout = validateInteger(
      this,
      'daemon.restartTimeoutSeconds',
      daemonOpts.restartTimeoutSeconds ?? 60,
      healthCheckInterval,
    );
    const maxConcurrentRuns = validateInteger(this, 'maxConcurrentRuns', props.maxConcurrentRuns ?? 10, -1);
    this.jobNamespace = validateDnsLabel(this, 'jobNamespace', props.jobNamespace ?? namespace);
    const runEnvConfigMaps = (props.runEnvConfigMaps ?? []).map((name, i) =>
      validateDnsSubdomain(this, `runEnvConfigMaps[${i}]`, name),
    );
    this.requiredConfigMaps = runEnvConfigMaps;
    const runResources = props.runResources ?? RUN_RESOURCES;
    renderResources(this, 'runResources', runResources);

    this.image = resolveImage(this, 'image', DAGSTER_IMAGE, props.image, props.imageRegistry);
    this.configIdentity = { name: 'dagster', instance, component: 'config', partOf, version: this.image.tag };
    this.webserverIdentity = { ...this.configIdentity, component: 'webserver' };
    this.daemonIdentity = { ...this.configIdentity, component: 'daemon' };

    // --- code locations ---------------------------------------------------------------------
    const telemetryEnv = (serviceName: string): Record<string, string> =>
      props.telemetry
        ? {
            OTEL_EXPORTER_OTLP_ENDPOINT: props.telemetry.otlpHttpEndpoint,
            OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
            OTEL_SERVICE_NAME: serviceName,
          }
        : {};
    const seen = new Set<string>();
    const locations = (props.codeLocations ?? []).map((loc, i) => {
      const field = `codeLocations[${i}]`;
      const name = validateCodeLocationName(this, `${field}.name`, loc.name);
      if (seen.has(name)) {
        throw new FloeValidationError(this, `${field}.name`, name, 'a name no other code location has');
      }
      seen.add(name);
      const port = validatePort(this, `${field}.port`, loc.port ?? DAGSTER_CODE_SERVER_PORT);
      const replicas = validateReplicas(this, `${field}.replicas`, loc.replicas ?? sizing.workers);
      const targetArgs = codeLocationTargetArgs(this, field, loc);
      // A user image: validated, but the platform's registry mirror is not applied to it.
      const image = resolveImage(this, `${field}.image`, loc.image);
      const serviceName = `dagster-${name}`;
      const setsUpPrincipal =
        loc.catalogAccess !== false &&
        loc.catalogAccess?.existingSecret === undefined &&
        props.catalog?.grantProductAccess !== undefined;
      if (setsUpPrincipal && serviceName.length > MAX_CATALOG_ACCESS_PRODUCT) {
        throw new FloeValidationError(
          this,
          `${field}.name`,
          name,
          `at most ${MAX_CATALOG_ACCESS_PRODUCT - 'dagster-'.length} characters while the location gets a catalog principal (its Job 'dagster-<name>-catalog-access' must fit in 63), or catalogAccess: false or existingSecret`,
        );
      }
      const catalog: CatalogCredentials | undefined = resolveCatalogAccess(this, loc.catalogAccess, {
        field: `${field}.catalogAccess`,
        product: serviceName,
        defaultCatalogNamespace: name.replace(/-/g, '_'),
        namespace: this.jobNamespace,
        defaultSecretName: `${serviceName}-catalog-credentials`,
        catalog: props.catalog,
        noCatalogReason: 'the orchestrator was given no catalog',
        platformName: partOf,
      });
      return {
        loc,
        field,
        catalog,
        name,
        port,
        replicas,
        targetArgs,
        image,
        serviceName,
        endpoint: serviceEndpoint(this, serviceName, port),
        runAs: loc.runAs ?? DAGSTER_RUN_AS,
        identity: {
          name: 'dagster-code-location',
          instance: name,
          component: 'code-server',
          partOf,
          version: image.tag,
        } satisfies WorkloadIdentity,
        // Environment shared by the code server and the run pods launched from it.
        sharedEnv: {
          ...(loc.extraEnv?.HOME === undefined ? { HOME: '/tmp' } : {}),
          PYTHONDONTWRITEBYTECODE: '1',
          ...telemetryEnv(name),
        },
      };
    });

    // One ServiceAccount per workload (the webserver and daemon call the API; run pods get theirs
    // from the launcher), or the single shared `dagster` account with `serviceAccounts: false`.
    this.webserverServiceAccountName = ownAccounts ? DAGSTER_WEBSERVER_SERVICE : DAGSTER_SERVICE_ACCOUNT;
    this.daemonServiceAccountName = ownAccounts ? DAGSTER_DAEMON_DEPLOYMENT : DAGSTER_SERVICE_ACCOUNT;
    this.runServiceAccountName = ownAccounts ? DAGSTER_RUN_SERVICE_ACCOUNT : DAGSTER_SERVICE_ACCOUNT;

    // --- configuration --------------------------------------------------------------------
    // Run pods keep the launcher's name and component labels and get this instance's, so that
    // they are told apart from another Dagster's (and selected by their NetworkPolicy).
    const runLabels = {
      'app.kubernetes.io/instance': instance,
      'app.kubernetes.io/part-of': partOf,
    };
    this.runWorkloads = new RuntimePods(this, 'run-pods', {
      name: 'dagster-run',
      namespace: this.jobNamespace,
      labels: {
        'app.kubernetes.io/name': DAGSTER_RUN_POD_NAME,
        'app.kubernetes.io/component': DAGSTER_RUN_POD_COMPONENT,
        ...runLabels,
      },
    });
    const instanceConfig: DagsterInstanceConfig = {
      postgres: { username: db.username, hostname: db.host, dbName: db.database, port: db.port },
      maxConcurrentRuns,
      runMonitoring: props.runMonitoring ?? true,
      runLauncher: {
        jobNamespace: this.jobNamespace,
        serviceAccountName: this.runServiceAccountName,
        dagsterHome: DAGSTER_HOME,
        instanceConfigMap: DAGSTER_INSTANCE_CONFIG_MAP,
        postgresPasswordSecret: db.passwordSecret.name,
        envConfigMaps: runEnvConfigMaps,
        envVars: [],
        imagePullPolicy: 'IfNotPresent',
        imagePullSecrets: props.imagePullSecrets ?? [],
        resources: runResources,
        runAs: DAGSTER_RUN_AS,
        scratchVolumes: [
          { name: 'dagster-home', mountPath: DAGSTER_HOME },
          { name: 'tmp', mountPath: '/tmp' },
        ],
        labels: runLabels,
      },
      ...(props.storage
        ? {
            computeLogs: {
              bucket: props.storage.warehouseBucket,
              prefix: DAGSTER_COMPUTE_LOGS_PREFIX,
              endpointUrl: props.storage.endpoint,
              region: props.storage.region,
              accessKeyId: props.storage.accessKeyId,
              secretAccessKey: props.storage.secretAccessKey,
            },
          }
        : {}),
    };
    this.dagsterYaml = renderDagsterYaml(instanceConfig);
    this.workspaceYaml = renderWorkspaceYaml(
      locations.map((l) => ({ locationName: l.name, host: l.endpoint.host, port: l.port })),
    );
    const instanceData = { 'dagster.yaml': this.dagsterYaml };
    const workspaceData = { 'workspace.yaml': this.workspaceYaml };
    // Code servers read dagster.yaml; the webserver and daemon also read workspace.yaml.
    const instanceAnnotations = configChecksumAnnotations(production.configChecksums, {
      [DAGSTER_INSTANCE_CONFIG_MAP]: instanceData,
    });
    const allAnnotations = configChecksumAnnotations(production.configChecksums, {
      [DAGSTER_INSTANCE_CONFIG_MAP]: instanceData,
      [DAGSTER_WORKSPACE_CONFIG_MAP]: workspaceData,
    });

    this.instanceConfigMap = new k8s.KubeConfigMap(this, 'instance-config', {
      metadata: objectMeta(DAGSTER_INSTANCE_CONFIG_MAP, this.configIdentity),
      data: instanceData,
    });
    this.workspaceConfigMap = new k8s.KubeConfigMap(this, 'workspace-config', {
      metadata: objectMeta(DAGSTER_WORKSPACE_CONFIG_MAP, this.configIdentity),
      data: workspaceData,
    });

    // --- RBAC -------------------------------------------------------------------------------
    const rbacIdentity: WorkloadIdentity = { ...this.configIdentity, component: 'rbac' };
    const inJobNamespace = (name: string, identity: WorkloadIdentity = rbacIdentity): k8s.ObjectMeta => ({
      ...objectMeta(name, identity),
      namespace: this.jobNamespace,
    });
    // The accounts never mount a token by themselves: the webserver's and daemon's pods opt in.
    if (ownAccounts) {
      this.webserverServiceAccount = new k8s.KubeServiceAccount(this, 'webserver-service-account', {
        metadata: objectMeta(this.webserverServiceAccountName, this.webserverIdentity),
        automountServiceAccountToken: false,
      });
      this.daemonServiceAccount = new k8s.KubeServiceAccount(this, 'daemon-service-account', {
        metadata: objectMeta(this.daemonServiceAccountName, this.daemonIdentity),
        automountServiceAccountToken: false,
      });
      // The K8sRunLauncher sets automountServiceAccountToken: true on run pods whatever the
      // account says; without `runPodsCallApi` this account is bound to nothing.
      this.runServiceAccount = new k8s.KubeServiceAccount(this, 'run-service-account', {
        metadata: inJobNamespace(this.runServiceAccountName, { ...this.configIdentity, component: 'run' }),
        automountServiceAccountToken: false,
      });
    } else {
      const shared = new k8s.KubeServiceAccount(this, 'service-account', {
        metadata: objectMeta(DAGSTER_SERVICE_ACCOUNT, rbacIdentity),
        automountServiceAccountToken: false,
      });
      this.webserverServiceAccount = shared;
      this.daemonServiceAccount = shared;
      if (this.jobNamespace !== namespace) {
        this.runServiceAccount = new k8s.KubeServiceAccount(this, 'run-service-account', {
          metadata: inJobNamespace(DAGSTER_SERVICE_ACCOUNT),
        });
      }
    }
    const fullVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
    const readVerbs = ['get', 'list', 'watch'];
    this.role = new k8s.KubeRole(this, 'role', {
      metadata: inJobNamespace(DAGSTER_SERVICE_ACCOUNT),
      rules: [
        { apiGroups: ['batch'], resources: ['jobs'], verbs: fullVerbs },
        { apiGroups: ['batch'], resources: ['jobs/status'], verbs: readVerbs },
        { apiGroups: [''], resources: ['pods', 'events'], verbs: fullVerbs },
        { apiGroups: [''], resources: ['pods/log', 'pods/status'], verbs: readVerbs },
      ],
    });
    this.roleBinding = new k8s.KubeRoleBinding(this, 'role-binding', {
      metadata: inJobNamespace(DAGSTER_SERVICE_ACCOUNT),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: DAGSTER_SERVICE_ACCOUNT },
      subjects: ownAccounts
        ? [
            { kind: 'ServiceAccount', name: this.webserverServiceAccountName, namespace },
            { kind: 'ServiceAccount', name: this.daemonServiceAccountName, namespace },
            ...(props.runPodsCallApi
              ? [{ kind: 'ServiceAccount', name: this.runServiceAccountName, namespace: this.jobNamespace }]
              : []),
          ]
        : [{ kind: 'ServiceAccount', name: DAGSTER_SERVICE_ACCOUNT, namespace }],
    });

    // --- shared pod pieces ------------------------------------------------------------------
    const passwordEnv = secretEnv(DAGSTER_PG_PASSWORD_ENV, db.passwordSecret);
    // The webserver reads the step logs back from the storage (and the daemon loads the same
    // instance): both get its credentials the boto3 way.
    const storageEnv = props.storage
      ? [
          secretEnv('AWS_ACCESS_KEY_ID', props.storage.accessKeyId),
          secretEnv('AWS_SECRET_ACCESS_KEY', props.storage.secretAccessKey),
          plainEnv('AWS_REGION', props.storage.region),
        ]
      : [];
    const dagsterEnv = [
      plainEnv('DAGSTER_HOME', DAGSTER_HOME),
      passwordEnv,
      plainEnv('HOME', '/tmp'),
      plainEnv('PYTHONDONTWRITEBYTECODE', '1'),
      ...storageEnv,
    ];
    const instanceMounts: k8s.VolumeMount[] = [
      { name: 'dagster-home', mountPath: DAGSTER_HOME },
      {
        name: 'dagster-instance',
        mountPath: `${DAGSTER_HOME}/dagster.yaml`,
        subPath: 'dagster.yaml',
        readOnly: true,
      },
      { name: 'tmp', mountPath: '/tmp' },
    ];
    const instanceVolumes = [
      emptyDirVolume('dagster-home'),
      configMapVolume('dagster-instance', DAGSTER_INSTANCE_CONFIG_MAP),
      emptyDirVolume('tmp'),
    ];
    const workspaceMount: k8s.VolumeMount = {
      name: 'dagster-workspace',
      mountPath: DAGSTER_WORKSPACE_DIR,
      readOnly: true,
    };
    const workspaceVolume = configMapVolume('dagster-workspace', DAGSTER_WORKSPACE_CONFIG_MAP);
    const waitForCodeLocations = locations.map((l) =>
      waitForTcpContainer(
        this,
        { name: `wait-for-${l.name}`, host: l.endpoint.host, port: l.port },
        props.imageRegistry,
      ),
    );

    // --- code servers -----------------------------------------------------------------------
    this.codeLocations = locations.map((l) => {
      const healthCheck = ['dagster', 'api', 'grpc-health-check', '-p', String(l.port)];
      // Run pods of this location authenticate to the catalog with its own credentials; the
      // container context's env replaces the instance's, so the step-log credentials come along.
      const catalogEnv = l.catalog ? catalogCredentialEnv(l.catalog) : [];
      const containerContext = renderContainerContext({
        envVars: Object.entries({ ...l.sharedEnv, ...(l.loc.extraEnv ?? {}) }).map(([k, v]) => `${k}=${v}`),
        runAs: l.runAs,
        ...(l.catalog
          ? {
              env: [
                ...(instanceConfig.computeLogs ? computeLogsEnv(instanceConfig.computeLogs) : []),
                ...catalogEnv.map(snakeCaseEnvVar),
              ],
            }
          : {}),
      });
      const extraEnv = Object.fromEntries(Object.entries(l.loc.extraEnv ?? {}).filter(([k]) => k !== 'HOME'));
      const env = withExtraEnv(
        this,
        `${l.field}.extraEnv`,
        [
          plainEnv('DAGSTER_HOME', DAGSTER_HOME),
          passwordEnv,
          plainEnv('DAGSTER_CURRENT_IMAGE', imageReference(l.image)),
          // Passed through as written: the kubelet would expand the `$(VAR)` references meant
          // for the run pods (`$$` is its escape for `$`).
          plainEnv('DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT', containerContext.replace(/\$/g, '$$$$')),
          ...Object.entries({ ...l.sharedEnv, ...pick(l.loc.extraEnv, 'HOME') }).map(([k, v]) =>
            plainEnv(k, v),
          ),
          // Sensors and schedules run in the code server: it gets the credentials too when the
          // Secret is in its namespace.
          ...(this.jobNamespace === namespace ? catalogEnv : []),
        ],
        extraEnv,
      );
      const serve = ['dagster', 'api', 'grpc', '-h', '0.0.0.0', '-p', String(l.port), ...l.targetArgs];
      const container = buildContainer(
        this,
        {
          name: 'code-server',
          image: l.image,
          // Every replica reports the same server id, so the webserver and daemon, which poll the
          // location through its one Service, do not see the id change between replicas and reload
          // the location again and again; it changes with what the server serves (image, command,
          // environment), so a rollout is still picked up. `--fixed-server-id`: dagster 1.13.25,
          // python_modules/dagster/dagster/_cli/api.py (`dagster api grpc`); the server reports it
          // through GetServerId (dagster/_grpc/server.py).
          command: [...serve, '--fixed-server-id', codeServerId(l.name, imageReference(l.image), serve, env)],
          ports: [{ name: 'grpc', containerPort: l.port, protocol: 'TCP' }],
          env,
          resources: l.loc.resources ?? CODE_LOCATION_RESOURCES,
          resourcesField: `${l.field}.resources`,
          // Loading user code can take minutes; allow 5 before liveness applies.
          startupProbe: execProbe(healthCheck, {
            periodSeconds: 10,
            timeoutSeconds: 10,
            failureThreshold: 30,
          }),
          readinessProbe: execProbe(healthCheck, {
            periodSeconds: 20,
            timeoutSeconds: 10,
            failureThreshold: 3,
          }),
          livenessProbe: execProbe(healthCheck, {
            periodSeconds: 30,
            timeoutSeconds: 10,
            failureThreshold: 5,
          }),
          volumeMounts: instanceMounts,
        },
        l.runAs,
      );
      const service = addService(this, `${l.name}-service`, {
        name: l.serviceName,
        identity: l.identity,
        ports: [{ name: 'grpc', port: l.port, targetPort: 'grpc' }],
      });
      const account = workloadServiceAccount(this, `${l.name}-service-account`, {
        name: l.serviceName,
        identity: l.identity,
        enabled: ownAccounts,
      });
      // The floe docs' PDB for Dagster workers: at least 2 available.
      const availability = workloadAvailability(this, l.name, {
        field: l.field,
        kind: 'Deployment',
        name: l.serviceName,
        identity: l.identity,
        settings: production,
        replicas: l.replicas,
        disruption: { minAvailable: 2 },
        scheduling: l.loc,
      });
      const deployment = new k8s.KubeDeployment(this, `${l.name}-deployment`, {
        metadata: objectMeta(l.serviceName, l.identity),
        spec: {
          ...availability.replicaSpec,
          selector: { matchLabels: selectorLabels(l.identity) },
          template: podTemplate({
            identity: l.identity,
            runAs: l.runAs,
            ...account.pod,
            initContainers: [db.waitContainer(this, 'wait-for-database')],
            containers: [container],
            volumes: instanceVolumes,
            scheduling: availability.scheduling,
            imagePullSecrets: props.imagePullSecrets,
            annotations: instanceAnnotations,
          }),
        },
      });
      return {
        name: l.name,
        identity: l.identity,
        serviceEndpoint: l.endpoint,
        image: l.image,
        deployment,
        service,
        serviceAccount: account.serviceAccount,
        disruptionBudget: availability.disruptionBudget,
      };
    });

    // --- webserver --------------------------------------------------------------------------
    const webserverContainer = buildContainer(
      this,
      {
        name: 'webserver',
        image: this.image,
        command: [
          'dagster-webserver',
          '-h',
          '0.0.0.0',
          '-p',
          String(DAGSTER_WEBSERVER_PORT),
          '-w',
          WORKSPACE_FILE,
        ],
        ports: [{ name: 'http', containerPort: DAGSTER_WEBSERVER_PORT, protocol: 'TCP' }],
        env: withExtraEnv(this, 'webserver.extraEnv', dagsterEnv, webserverOpts.extraEnv),
        resources: webserverOpts.resources ?? WEBSERVER_RESOURCES,
        resourcesField: 'webserver.resources',
        startupProbe: httpProbe('/server_info', 'http', {
          periodSeconds: 10,
          timeoutSeconds: 10,
          failureThreshold: 30,
        }),
        readinessProbe: httpProbe('/server_info', 'http', {
          periodSeconds: 20,
          timeoutSeconds: 10,
          failureThreshold: 3,
        }),
        livenessProbe: httpProbe('/server_info', 'http', {
          periodSeconds: 20,
          timeoutSeconds: 10,
          failureThreshold: 6,
        }),
        volumeMounts: [...instanceMounts, workspaceMount],
      },
      DAGSTER_RUN_AS,
    );
    this.serviceEndpoint = serviceEndpoint(this, DAGSTER_WEBSERVER_SERVICE, DAGSTER_WEBSERVER_PORT);
    this.webserverUrl = endpointUrl(this.serviceEndpoint);
    this.webserverService = addService(this, 'webserver-service', {
      name: DAGSTER_WEBSERVER_SERVICE,
      identity: this.webserverIdentity,
      ports: [{ name: 'http', port: DAGSTER_WEBSERVER_PORT, targetPort: 'http' }],
    });
    // The floe docs' HPA (2 to 10 pods at 70 % CPU) and PDB (at least 1 available).
    const webserverAvailability = workloadAvailability(this, 'webserver', {
      field: 'webserver',
      kind: 'Deployment',
      name: DAGSTER_WEBSERVER_SERVICE,
      identity: this.webserverIdentity,
      settings: production,
      replicas: webserverReplicas,
      autoscaling: { options: webserverOpts.autoscaler, minReplicasFloor: 2, defaultMaxReplicas: 10 },
      disruption: { minAvailable: 1 },
      scheduling: webserverOpts,
    });
    this.webserverAutoscaler = webserverAvailability.autoscaler;
    this.webserverDisruptionBudget = webserverAvailability.disruptionBudget;
    this.webserverDeployment = new k8s.KubeDeployment(this, 'webserver-deployment', {
      metadata: objectMeta(DAGSTER_WEBSERVER_SERVICE, this.webserverIdentity),
      spec: {
        ...webserverAvailability.replicaSpec,
        selector: { matchLabels: selectorLabels(this.webserverIdentity) },
        template: podTemplate({
          identity: this.webserverIdentity,
          runAs: DAGSTER_RUN_AS,
          // The webserver calls the Kubernetes API when a user terminates a run (the launcher
          // deletes the run's Job) and when it shows the run launcher's state.
          serviceAccountName: this.webserverServiceAccountName,
          automountServiceAccountToken: true,
          initContainers: [db.waitContainer(this, 'wait-for-database'), ...waitForCodeLocations],
          containers: [webserverContainer],
          volumes: [...instanceVolumes, workspaceVolume],
          scheduling: webserverAvailability.scheduling,
          imagePullSecrets: props.imagePullSecrets,
          annotations: allAnnotations,
        }),
      },
    });

    // --- daemon -----------------------------------------------------------------------------
    // `liveness-check` fails when a required daemon's heartbeat is older than the tolerance. It
    // starts a Python process that imports Dagster and queries PostgreSQL: slow, so long timeouts.
    const livenessCheck = ['dagster-daemon', 'liveness-check'];
    const daemonCommand = ['dagster-daemon', 'run', '-w', WORKSPACE_FILE];
    // The first heartbeats are written about 30 s after start: allow 10 minutes.
    const startup = { periodSeconds: 30, timeoutSeconds: 30, failureThreshold: 20 };
    // Ready means its heartbeats are fresh, which makes `kubectl rollout status` meaningful.
    const readiness = { periodSeconds: 60, timeoutSeconds: 30, failureThreshold: 3 };
    // Restarted at most `restartTimeout` seconds after its last passing check.
    const liveness = {
      periodSeconds: healthCheckInterval,
      timeoutSeconds: Math.min(30, healthCheckInterval),
      failureThreshold: Math.floor(restartTimeout / healthCheckInterval),
    };
    const daemonEnv = [
      ...dagsterEnv,
      plainEnv('DAGSTER_DAEMON_HEARTBEAT_TOLERANCE', String(heartbeatTolerance)),
    ];
    const election = daemonElectionVolume();
    // In `ha` mode a supervisor (python3, from the Dagster image) runs the daemon only while it
    // holds the Lease. Its probe passes for a standby, and for the leader during the startup
    // window the single daemon's startup probe allows, then relays the liveness check.
    const haProbe = daemonElectionProbeCommand(livenessCheck);
    const daemonContainer = buildContainer(
      this,
      {
        name: 'daemon',
        image: this.image,
        command: ha ? daemonElectionCommand(daemonCommand) : daemonCommand,
        env: withExtraEnv(
          this,
          'daemon.extraEnv',
          ha
            ? [...daemonEnv, ...daemonElectionEnv(startup.periodSeconds * startup.failureThreshold)]
            : daemonEnv,
          daemonOpts.extraEnv,
        ),
        resources: daemonOpts.resources ?? DAEMON_RESOURCES,
        resourcesField: 'daemon.resources',
        ...(ha ? {} : { startupProbe: execProbe(livenessCheck, startup) }),
        readinessProbe: execProbe(ha ? haProbe : livenessCheck, readiness),
        livenessProbe: execProbe(ha ? haProbe : livenessCheck, liveness),
        volumeMounts: [...instanceMounts, workspaceMount, ...(ha ? [election.mount] : [])],
      },
      DAGSTER_RUN_AS,
    );
    if (ha) {
      this.daemonLeaseName = DAGSTER_DAEMON_LEASE;
      this.daemonElectionConfigMap = new k8s.KubeConfigMap(this, 'daemon-election-config', {
        metadata: objectMeta(DAGSTER_DAEMON_ELECTION_CONFIG_MAP, this.configIdentity),
        data: daemonElectionConfigData(),
      });
      // In the daemon's namespace (where the Lease is), which may not be the job namespace.
      this.daemonElectionRole = new k8s.KubeRole(this, 'daemon-election-role', {
        metadata: objectMeta(DAGSTER_DAEMON_ELECTION_ROLE, rbacIdentity),
        rules: daemonElectionRules(),
      });
      this.daemonElectionRoleBinding = new k8s.KubeRoleBinding(this, 'daemon-election-role-binding', {
        metadata: objectMeta(DAGSTER_DAEMON_ELECTION_ROLE, rbacIdentity),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: DAGSTER_DAEMON_ELECTION_ROLE },
        subjects: [{ kind: 'ServiceAccount', name: this.daemonServiceAccountName, namespace }],
      });
    }
    // The daemon reads dagster.yaml, workspace.yaml and, in `ha` mode, the election script: a
    // change to any of them rolls its pods.
    const daemonAnnotations = configChecksumAnnotations(production.configChecksums, {
      [DAGSTER_INSTANCE_CONFIG_MAP]: instanceData,
      [DAGSTER_WORKSPACE_CONFIG_MAP]: workspaceData,
      ...(ha ? { [DAGSTER_DAEMON_ELECTION_CONFIG_MAP]: daemonElectionConfigData() } : {}),
    });
    // `ha`: two pods, at least one available, spread over zones and nodes (the standby must not
    // share the leader's node). `single`: one pod, so neither a budget nor a spread.
    const daemonAvailability = workloadAvailability(this, 'daemon', {
      field: 'daemon',
      kind: 'Deployment',
      name: DAGSTER_DAEMON_DEPLOYMENT,
      identity: this.daemonIdentity,
      settings: production,
      replicas: this.daemonReplicas,
      disruption: { minAvailable: 1 },
      scheduling: daemonOpts,
    });
    this.daemonDisruptionBudget = daemonAvailability.disruptionBudget;
    this.daemonDeployment = new k8s.KubeDeployment(this, 'daemon-deployment', {
      metadata: objectMeta(DAGSTER_DAEMON_DEPLOYMENT, this.daemonIdentity),
      spec: {
        ...daemonAvailability.replicaSpec,
        // Old pods are gone before new ones start. `single`: never two daemons, not even during
        // a rollout. `ha`: the Lease keeps one daemon among the pods that run the supervisor, but
        // not against a pod of the other mode: switching between `single` and `ha` is a rollout
        // in which the old pods (not electing, or electing) must be gone before the new ones
        // start. Unplanned failures and evictions (drains) still fail over to the standby.
        strategy: { type: 'Recreate' },
        selector: { matchLabels: selectorLabels(this.daemonIdentity) },
        template: podTemplate({
          identity: this.daemonIdentity,
          runAs: DAGSTER_RUN_AS,
          // The daemon launches runs (creates Jobs) and monitors their pods; in `ha` mode the
          // supervisor also reads and renews the Lease.
          serviceAccountName: this.daemonServiceAccountName,
          automountServiceAccountToken: true,
          initContainers: [db.waitContainer(this, 'wait-for-database'), ...waitForCodeLocations],
          containers: [daemonContainer],
          volumes: [...instanceVolumes, workspaceVolume, ...(ha ? [election.volume] : [])],
          scheduling: daemonAvailability.scheduling,
          imagePullSecrets: props.imagePullSecrets,
          annotations: daemonAnnotations,
          ...(ha
            ? { terminationGracePeriodSeconds: DAGSTER_DAEMON_ELECTION_TIMING.terminationGracePeriodSeconds }
            : {}),
        }),
      },
    });

    // --- connections ------------------------------------------------------------------------
    const servers = [this.webserverDeployment, this.daemonDeployment];
    const codeServers = this.codeLocations.map((l) => l.deployment);
    connect(
      [...servers, ...codeServers, this.runWorkloads],
      db.jdbcUrl,
      'run, event log and schedule storage',
    );
    for (const l of locations) {
      connect(servers, l.endpoint, `code location ${l.name} (workspace.yaml)`);
    }
    connect(servers, KUBERNETES_API, 'run launcher and run monitoring');
    if (props.storage) {
      // Code servers load the same instance (dagster.yaml names the storage) but write no logs.
      connect(
        [...servers, ...codeServers, this.runWorkloads],
        props.storage.endpoint,
        'step logs (S3ComputeLogManager)',
      );
    }
    if (props.telemetry) {
      connect(
        [...codeServers, this.runWorkloads],
        props.telemetry.otlpHttpEndpoint,
        'user code telemetry (OTLP/HTTP)',
      );
    }

    // Run pods in another namespace read the same Secrets there.
    const whereNeeded =
      this.jobNamespace !== namespace ? ` (needed in namespaces ${namespace} and ${this.jobNamespace})` : '';
    this.requiredSecrets = [
      {
        name: db.passwordSecret.name,
        keys: [POSTGRES_PASSWORD_KEY],
        purpose:
          `PostgreSQL password Dagster's webserver, daemon, code servers and run pods read as ${DAGSTER_PG_PASSWORD_ENV}` +
          whereNeeded,
      },
      ...(props.storage
        ? [
            {
              name: props.storage.accessKeyId.name,
              keys: [props.storage.accessKeyId.key],
              purpose:
                "Object storage access key Dagster's webserver, daemon and run pods use for step logs" +
                whereNeeded,
            },
            {
              name: props.storage.secretAccessKey.name,
              keys: [props.storage.secretAccessKey.key],
              purpose:
                "Object storage secret key Dagster's webserver, daemon and run pods use for step logs" +
                whereNeeded,
            },
          ]
        : []),
      ...locations.flatMap((l) =>
        l.catalog?.prerequisite
          ? [
              {
                name: l.catalog.secretName,
                keys: [l.catalog.clientIdKey, l.catalog.clientSecretKey],
                purpose:
                  `catalog credentials of the runs of code location ${l.name} (${l.field}.catalogAccess.existingSecret)` +
                  (this.jobNamespace !== namespace ? `, in namespace ${this.jobNamespace}` : ''),
              },
            ]
          : [],
      ),
    ];
    if (props.metricsExporter !== false) {
      this.metricsExporter = new DagsterMetricsExporter(this, 'metrics-exporter', {
        ...props.metricsExporter,
        ...productionOptions(props),
        database: db,
        platformName: props.platformName,
        imageRegistry: props.imageRegistry,
        imagePullSecrets: props.imagePullSecrets,
      });
    }
    this.metricsEndpoints = this.metricsExporter?.metricsEndpoints ?? [];
  }

  /** The underlying objects, in the order they are written. */
  public get apiObjects(): ApiObject[] {
    return [
      this.instanceConfigMap,
      this.workspaceConfigMap,
      ...new Set([this.webserverServiceAccount, this.daemonServiceAccount]),
      ...(this.runServiceAccount ? [this.runServiceAccount] : []),
      this.role,
      this.roleBinding,
      ...this.codeLocations.flatMap((l) => [
        l.service,
        ...(l.serviceAccount ? [l.serviceAccount] : []),
        ...(l.disruptionBudget ? [l.disruptionBudget] : []),
        l.deployment,
      ]),
      this.webserverService,
      ...(this.webserverAutoscaler ? [this.webserverAutoscaler] : []),
      ...(this.webserverDisruptionBudget ? [this.webserverDisruptionBudget] : []),
      this.webserverDeployment,
      ...(this.daemonElectionConfigMap ? [this.daemonElectionConfigMap] : []),
      ...(this.daemonElectionRole ? [this.daemonElectionRole] : []),
      ...(this.daemonElectionRoleBinding ? [this.daemonElectionRoleBinding] : []),
      this.daemonDeployment,
      ...(this.metricsExporter?.apiObjects ?? []),
    ];
  }
}

/**
 * A hardened pod template without Service environment links: Kubernetes would otherwise inject
 * `DAGSTER_WEBSERVER_PORT=tcp://...` (from the `dagster-webserver` Service) into every pod, and
 * `dagster-webserver` reads its options from `DAGSTER_WEBSERVER_*` variables.
 */
function podTemplate(opts: PodTemplateOptions): k8s.PodTemplateSpec {
  const template = buildPodTemplate(opts);
  if (!template.spec) {
    throw new Error('internal: pod template without spec');
  }
  return { ...template, spec: { ...template.spec, enableServiceLinks: false } };
}

function pick(env: Record<string, string> | undefined, key: string): Record<string, string> {
  return env && env[key] !== undefined ? { [key]: env[key] } : {};
}

/**
 * The server id every replica of a code location reports: its name and a digest of the image, the
 * command and the environment of the code server, so it is stable across replicas and restarts and
 * changes with a rollout of different code or configuration.
 */
export function codeServerId(
  name: string,
  image: string,
  command: readonly string[],
  env: readonly k8s.EnvVar[],
): string {
  const digest = createHash('sha256').update(JSON.stringify({ image, command, env })).digest('hex');
  return `${name}-${digest.slice(0, 16)}`;
}

/** Longest product name whose catalog access Job name (`<product>-catalog-access`) fits in 63. */
const MAX_CATALOG_ACCESS_PRODUCT = 63 - '-catalog-access'.length;

/** An EnvVar as dagster-k8s reads it from config: Kubernetes model field names in snake_case. */
function snakeCaseEnvVar(e: k8s.EnvVar): Record<string, unknown> {
  const ref = e.valueFrom?.secretKeyRef;
  return ref
    ? { name: e.name, value_from: { secret_key_ref: { name: ref.name, key: ref.key } } }
    : { name: e.name, value: e.value };
}
