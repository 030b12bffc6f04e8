import { stringify } from 'yaml';
import { RunAs } from '../../core/pod';
import { ResourceRequirements } from '../../core/resources';

/**
 * Pure functions that render Dagster's two configuration files from typed input:
 * `dagster.yaml` (the instance: storage, scheduler, run queue and run launcher) and
 * `workspace.yaml` (where the code servers are). No construct state is read here, so the output
 * depends only on the arguments, and tests can parse it back and compare.
 */

/** The environment variable every Dagster process reads the PostgreSQL password from. */
export const DAGSTER_PG_PASSWORD_ENV = 'DAGSTER_PG_PASSWORD';

/** How Dagster's storages reach PostgreSQL. The password is never written: it is read from `DAGSTER_PG_PASSWORD`. */
export interface DagsterPostgresConnection {
  /** User name. */
  readonly username: string;
  /** Host name. */
  readonly hostname: string;
  /** Database name. */
  readonly dbName: string;
  /** Port. */
  readonly port: number;
}

/** A scratch directory run pods get as an emptyDir volume. */
export interface DagsterScratchVolume {
  /** Volume name (DNS label). */
  readonly name: string;
  /** Absolute path inside the run container. */
  readonly mountPath: string;
}

/** Settings of the `K8sRunLauncher`, which starts one Kubernetes Job per Dagster run. */
export interface DagsterRunLauncherConfig {
  /** Namespace the run Jobs are created in. */
  readonly jobNamespace: string;
  /** ServiceAccount of the run pods (must exist in `jobNamespace`). */
  readonly serviceAccountName: string;
  /** `DAGSTER_HOME` inside run pods. */
  readonly dagsterHome: string;
  /** Name of the ConfigMap holding `dagster.yaml`. */
  readonly instanceConfigMap: string;
  /** Secret whose `postgresql-password` key the launcher injects into run pods as `DAGSTER_PG_PASSWORD`. */
  readonly postgresPasswordSecret: string;
  /** ConfigMaps whose keys become environment variables of every run pod (`envFrom`). */
  readonly envConfigMaps: readonly string[];
  /** `KEY=VALUE` environment variables of every run pod. */
  readonly envVars: readonly string[];
  /** Image pull policy of run pods. */
  readonly imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** Image pull Secrets of run pods. */
  readonly imagePullSecrets: readonly string[];
  /** Requests and limits of the run container. */
  readonly resources: ResourceRequirements;
  /** User the run container runs as (with the Pod Security "restricted" settings). */
  readonly runAs: RunAs;
  /** emptyDir volumes mounted into every run container (the root filesystem is read-only). */
  readonly scratchVolumes: readonly DagsterScratchVolume[];
  /**
   * Labels of every run pod, merged over the ones the launcher sets itself
   * (`app.kubernetes.io/name: dagster`, `/instance: dagster`, `/component: run_worker`, ...).
   */
  readonly labels: Readonly<Record<string, string>>;
}

/** Everything `dagster.yaml` is rendered from. */
/**
 * Where step logs (stdout/stderr of every step, Dagster's compute logs) are written:
 * `dagster_aws.s3.compute_log_manager.S3ComputeLogManager` (dagster-aws 0.29.25, paired with
 * dagster 1.13.25; config fields `bucket`, `prefix`, `endpoint_url`, `use_ssl`, `local_dir`,
 * `skip_empty_files`). It reads credentials the boto3 way, from `AWS_ACCESS_KEY_ID` and
 * `AWS_SECRET_ACCESS_KEY`, and the region from `AWS_REGION`.
 */
export interface DagsterComputeLogsConfig {
  /** The bucket. */
  readonly bucket: string;
  /** Key prefix inside the bucket. */
  readonly prefix: string;
  /** S3 endpoint URL. */
  readonly endpointUrl: string;
  /** The Secret keys of the access key ID and the secret access key. */
  readonly accessKeyId: { readonly name: string; readonly key: string };
  readonly secretAccessKey: { readonly name: string; readonly key: string };
  /** Region the client signs for. */
  readonly region: string;
}

export interface DagsterInstanceConfig {
  /** PostgreSQL used for run, event log and schedule storage. */
  readonly postgres: DagsterPostgresConnection;
  /** Runs the `QueuedRunCoordinator` lets run at once (-1: no limit). */
  readonly maxConcurrentRuns: number;
  /** Whether the daemon watches run workers and fails runs whose pods die or never start. */
  readonly runMonitoring: boolean;
  /** The run launcher. */
  readonly runLauncher: DagsterRunLauncherConfig;
  /** Compute logs in object storage; without, Dagster's default (files in the run pod). */
  readonly computeLogs?: DagsterComputeLogsConfig;
}

/** One `grpc_server` entry of `workspace.yaml`. */
export interface DagsterWorkspaceLocation {
  /** Code location name shown in the UI. */
  readonly locationName: string;
  /** Host name of the code server's Service. */
  readonly host: string;
  /** gRPC port. */
  readonly port: number;
}

/**
 * The container security context of run pods, in the snake_case form Dagster's Kubernetes model
 * conversion requires (it builds `V1SecurityContext` from attribute names, not JSON names).
 */
export function runPodSecurityContext(runAs: RunAs): Record<string, unknown> {
  return {
    allow_privilege_escalation: false,
    capabilities: { drop: ['ALL'] },
    privileged: false,
    read_only_root_filesystem: true,
    run_as_group: runAs.group,
    run_as_non_root: true,
    run_as_user: runAs.user,
    seccomp_profile: { type: 'RuntimeDefault' },
  };
}

function resourcesDocument(r: ResourceRequirements): Record<string, unknown> {
  return {
    limits: { ...(r.limits.cpu !== undefined ? { cpu: r.limits.cpu } : {}), memory: r.limits.memory },
    requests: { cpu: r.requests.cpu, memory: r.requests.memory },
  };
}

function postgresStorage(
  module: string,
  cls: string,
  pg: DagsterPostgresConnection,
): Record<string, unknown> {
  return {
    module,
    class: cls,
    config: {
      postgres_db: {
        username: pg.username,
        password: { env: DAGSTER_PG_PASSWORD_ENV },
        hostname: pg.hostname,
        db_name: pg.dbName,
        port: pg.port,
      },
    },
  };
}

/** The `dagster.yaml` document as a plain object (keys are sorted when rendered). */
export function dagsterInstanceDocument(cfg: DagsterInstanceConfig): Record<string, unknown> {
  const rl = cfg.runLauncher;
  return {
    run_storage: postgresStorage('dagster_postgres.run_storage', 'PostgresRunStorage', cfg.postgres),
    event_log_storage: postgresStorage('dagster_postgres.event_log', 'PostgresEventLogStorage', cfg.postgres),
    schedule_storage: postgresStorage(
      'dagster_postgres.schedule_storage',
      'PostgresScheduleStorage',
      cfg.postgres,
    ),
    scheduler: { module: 'dagster.core.scheduler', class: 'DagsterDaemonScheduler' },
    run_coordinator: {
      module: 'dagster.core.run_coordinator',
      class: 'QueuedRunCoordinator',
      config: { max_concurrent_runs: cfg.maxConcurrentRuns },
    },
    run_launcher: {
      module: 'dagster_k8s',
      class: 'K8sRunLauncher',
      config: {
        load_incluster_config: true,
        job_namespace: rl.jobNamespace,
        service_account_name: rl.serviceAccountName,
        dagster_home: rl.dagsterHome,
        instance_config_map: rl.instanceConfigMap,
        postgres_password_secret: rl.postgresPasswordSecret,
        env_config_maps: [...rl.envConfigMaps],
        env_vars: [...rl.envVars],
        image_pull_policy: rl.imagePullPolicy,
        labels: { ...rl.labels },
        ...(rl.imagePullSecrets.length > 0
          ? { image_pull_secrets: rl.imagePullSecrets.map((name) => ({ name })) }
          : {}),
        resources: resourcesDocument(rl.resources),
        security_context: runPodSecurityContext(rl.runAs),
        volumes: rl.scratchVolumes.map((v) => ({ name: v.name, empty_dir: {} })),
        volume_mounts: rl.scratchVolumes.map((v) => ({ name: v.name, mount_path: v.mountPath })),
        // The run worker writes the step logs: it gets the storage credentials from the Secret
        // (snake_case Kubernetes model names, as dagster-k8s builds V1Container from them).
        ...(cfg.computeLogs
          ? { run_k8s_config: { container_config: { env: computeLogsEnv(cfg.computeLogs) } } }
          : {}),
      },
    },
    ...(cfg.computeLogs
      ? {
          compute_logs: {
            module: 'dagster_aws.s3.compute_log_manager',
            class: 'S3ComputeLogManager',
            config: {
              bucket: cfg.computeLogs.bucket,
              prefix: cfg.computeLogs.prefix,
              endpoint_url: cfg.computeLogs.endpointUrl,
              use_ssl: cfg.computeLogs.endpointUrl.startsWith('https:'),
              // Staged here (the writable /tmp emptyDir), uploaded when each step finishes.
              local_dir: '/tmp/dagster-compute-logs',
              skip_empty_files: true,
            },
          },
        }
      : {}),
    run_monitoring: { enabled: cfg.runMonitoring },
    telemetry: { enabled: false },
  };
}

/** The run worker's storage credentials and region, as dagster-k8s container config. */
export function computeLogsEnv(c: DagsterComputeLogsConfig): Record<string, unknown>[] {
  return [
    {
      name: 'AWS_ACCESS_KEY_ID',
      value_from: { secret_key_ref: { name: c.accessKeyId.name, key: c.accessKeyId.key } },
    },
    {
      name: 'AWS_SECRET_ACCESS_KEY',
      value_from: { secret_key_ref: { name: c.secretAccessKey.name, key: c.secretAccessKey.key } },
    },
    { name: 'AWS_REGION', value: c.region },
  ];
}

/** Renders `dagster.yaml`: stable output, keys sorted at every level. */
export function renderDagsterYaml(cfg: DagsterInstanceConfig): string {
  return stringify(dagsterInstanceDocument(cfg), { sortMapEntries: true, lineWidth: 0 });
}

/** The `workspace.yaml` document as a plain object. */
export function workspaceDocument(locations: readonly DagsterWorkspaceLocation[]): Record<string, unknown> {
  return {
    load_from: locations.map((l) => ({
      grpc_server: { host: l.host, port: l.port, location_name: l.locationName },
    })),
  };
}

/**
 * Renders `workspace.yaml`. With no code locations it is `load_from: []`, which Dagster loads as
 * an empty workspace (the upstream chart writes the same when it has no user deployments).
 */
export function renderWorkspaceYaml(locations: readonly DagsterWorkspaceLocation[]): string {
  return stringify(workspaceDocument(locations), { sortMapEntries: true, lineWidth: 0 });
}

/** What a code server tells the run launcher about the run pods it starts for its code. */
export interface DagsterRunContainerContext {
  /** `KEY=VALUE` environment variables of the run pods. */
  readonly envVars: readonly string[];
  /** User the run container runs as. */
  readonly runAs: RunAs;
  /**
   * The run container's `env` (Kubernetes EnvVar objects in dagster-k8s' snake_case), in order.
   * It replaces the instance's `run_k8s_config.container_config.env` for these runs: dagster-k8s
   * merges each key of `run_k8s_config` shallowly, the code location's over the launcher's
   * (dagster-io/dagster, python_modules/libraries/dagster-k8s/dagster_k8s/container_context.py,
   * `K8sContainerContext._merge_k8s_config`), so it must repeat the instance's.
   * @default - none: the instance's
   */
  readonly env?: readonly Record<string, unknown>[];
}

/**
 * The JSON the code server publishes through `DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT`; the
 * `K8sRunLauncher` merges it into every run pod launched from that code location.
 */
export function renderContainerContext(ctx: DagsterRunContainerContext): string {
  return JSON.stringify({
    k8s: {
      env_vars: [...ctx.envVars],
      security_context: runPodSecurityContext(ctx.runAs),
      ...(ctx.env ? { run_k8s_config: { container_config: { env: [...ctx.env] } } } : {}),
    },
  });
}
