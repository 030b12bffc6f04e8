import { connect } from '../../core/connections';
import { resolveProduction } from '../../core/availability';
import { configChecksumAnnotations } from '../../core/checksum';
import { checkConstructProps } from '../../core/props-check';
import { workloadServiceAccount } from '../../core/service-account';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { stringify } from 'yaml';
import { ComponentProps, DEFAULT_PLATFORM_NAME } from '../../core/component';
import { secretEnv } from '../../core/env';
import { FloeValidationError } from '../../core/errors';
import { ContainerImage, ImageOverride, resolveImage } from '../../core/image';
import { selectorLabels, WorkloadIdentity } from '../../core/labels';
import { MetricsEndpoint, metricsEndpoint } from '../../core/metrics';
import { buildContainer, buildPodTemplate, configMapVolume, RunAs, SchedulingOptions } from '../../core/pod';
import { httpProbe } from '../../core/probes';
import { ResourceRequirements } from '../../core/resources';
import { SecretRequirement } from '../../core/secrets';
import { addService, objectMeta } from '../../core/service';
import { validateDnsLabel } from '../../core/validation';
import { PostgresDatabasePlugin } from '../interfaces';

/**
 * burningalchemist/sql_exporter: runs SQL queries from a YAML file and serves the results as
 * Prometheus metrics. OSS Dagster has no Prometheus endpoint, so the exporter reads Dagster's run
 * storage (the `runs` and `daemon_heartbeats` tables) instead.
 */
export const SQL_EXPORTER_IMAGE: ContainerImage = {
  registry: 'docker.io',
  repository: 'burningalchemist/sql_exporter',
  tag: '0.24.6',
};

/** `nobody` (65534): the image's USER, given by name, so it is stated numerically here. */
export const SQL_EXPORTER_RUN_AS: RunAs = { user: 65534, group: 65534 };

/** The exporter's HTTP port (`--web.listen-address` default): `/metrics` and `/healthz`. */
export const SQL_EXPORTER_PORT = 9399;

/**
 * Upper bounds (seconds) of the `dagster_runs_duration_seconds` histogram buckets, before `+Inf`:
 * 1 min to 1 day, with 3600 s (the docs' p99 alert threshold) a bucket boundary.
 */
export const DAGSTER_RUN_DURATION_BUCKETS: readonly number[] = [
  60, 300, 600, 1800, 3600, 7200, 14400, 28800, 86400,
];

/** Metric names the exporter serves (the first three are the names floe's docs give). */
export const DAGSTER_METRICS = {
  /** Counter: runs in run storage whose status is FAILURE. */
  runsFailed: 'dagster_runs_failed_total',
  /** Counter: runs in run storage whose status is SUCCESS. */
  runsSucceeded: 'dagster_runs_succeeded_total',
  /** Gauge: runs waiting in the run queue (status QUEUED). */
  runsQueued: 'dagster_runs_queued',
  /** Gauge: runs launched and not finished (status STARTING, STARTED or CANCELING). */
  runsInProgress: 'dagster_runs_in_progress',
  /** Histogram (`_bucket`, `_sum`, `_count`): durations of finished runs (end_time - start_time). */
  runsDuration: 'dagster_runs_duration_seconds',
  /** Gauge per `daemon_type`: seconds since that daemon's last heartbeat. */
  daemonHeartbeatAge: 'dagster_daemon_heartbeat_age_seconds',
} as const;

const CONFIG_DIR = '/etc/sql-exporter';
const CONFIG_KEY = 'sql_exporter.yml';

const DEFAULT_RESOURCES: ResourceRequirements = {
  requests: { cpu: '10m', memory: '32Mi' },
  limits: { memory: '128Mi' },
};

/** Properties of a `DagsterMetricsExporter`. */
export interface DagsterMetricsExporterProps extends ComponentProps, SchedulingOptions {
  /** Dagster's PostgreSQL database (its run storage). Required. */
  readonly database: PostgresDatabasePlugin;
  /**
   * Name of the Deployment, Service and ConfigMap.
   * @default 'dagster-metrics'
   */
  readonly name?: string;
  /**
   * Image override.
   * @default - `docker.io/burningalchemist/sql_exporter:0.24.6`
   */
  readonly image?: ImageOverride;
  /**
   * Requests and limits.
   * @default - 10m/32Mi requests, 128Mi memory limit
   */
  readonly resources?: ResourceRequirements;
  /**
   * How long the run metrics are cached between queries, a Prometheus duration. The run queries
   * read the whole `runs` table; the heartbeat query is cheap and runs on every scrape.
   * @default '1m'
   */
  readonly runQueryInterval?: string;
}

/** Options of the exporter inside `Dagster` (`DagsterProps.metricsExporter`). */
export type DagsterMetricsExporterOptions = Omit<
  DagsterMetricsExporterProps,
  'database' | keyof ComponentProps
>;

/**
 * A Prometheus exporter of Dagster's run and daemon health, read from Dagster's PostgreSQL run
 * storage with `sql_exporter` (queries in a ConfigMap): `dagster_runs_failed_total`,
 * `dagster_runs_succeeded_total`, `dagster_runs_queued`, `dagster_runs_in_progress`, the
 * `dagster_runs_duration_seconds` histogram and `dagster_daemon_heartbeat_age_seconds`. One
 * replica (every replica would serve the same numbers), Service on 9399, the database password
 * from the database's Secret as `PGPASSWORD`.
 */
export class DagsterMetricsExporter extends Construct {
  /** Its own ServiceAccount (no API token), unless `serviceAccounts` is false. */
  public readonly serviceAccount?: k8s.KubeServiceAccount;
  /** Labels of the pod (component `metrics-exporter`). */
  public readonly identity: WorkloadIdentity;
  /** The resolved image. */
  public readonly image: ContainerImage;
  /** The database it reads. */
  public readonly database: PostgresDatabasePlugin;
  /** The rendered `sql_exporter.yml` (queries and metric names). */
  public readonly configYaml: string;
  /** The ConfigMap holding `sql_exporter.yml`. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The Deployment. */
  public readonly deployment: k8s.KubeDeployment;
  /** The Service (port `metrics`, 9399). */
  public readonly service: k8s.KubeService;
  /** The metrics endpoint of the Service. */
  public readonly metricsEndpoints: readonly MetricsEndpoint[];
  /** Secrets that must exist: the database password. */
  public readonly requiredSecrets: readonly SecretRequirement[];

  public constructor(scope: Construct, id: string, props: DagsterMetricsExporterProps) {
    checkConstructProps(scope, id, 'DagsterMetricsExporterProps', props);
    super(scope, id);
    const name = validateDnsLabel(this, 'name', props.name ?? 'dagster-metrics');
    const runQueryInterval = props.runQueryInterval ?? '1m';
    if (!/^([0-9]+(ms|s|m|h))+$/.test(runQueryInterval)) {
      throw new FloeValidationError(
        this,
        'runQueryInterval',
        runQueryInterval,
        "a duration of ms, s, m or h, e.g. '1m' or '30s'",
      );
    }
    const db = props.database;
    this.database = db;
    this.image = resolveImage(this, 'image', SQL_EXPORTER_IMAGE, props.image, props.imageRegistry);
    this.identity = {
      name: 'dagster',
      instance: name,
      component: 'metrics-exporter',
      partOf: props.platformName ?? DEFAULT_PLATFORM_NAME,
      version: this.image.tag,
    };
    this.requiredSecrets = [
      {
        name: db.passwordSecret.name,
        keys: [db.passwordSecret.key],
        purpose: `password of the PostgreSQL user '${db.username}' the Dagster metrics exporter reads runs with`,
      },
    ];

    // lib/pq (the driver of postgres:// URLs) takes the password from PGPASSWORD, so it is never
    // written into the configuration and needs no URL encoding. In-cluster PostgreSQL has no TLS;
    // an external server is required to offer it.
    const sslMode = db.serviceEndpoint ? 'disable' : 'require';
    const dsn = `postgres://${encodeURIComponent(db.username)}@${db.host}:${db.port}/${encodeURIComponent(db.database)}?sslmode=${sslMode}`;
    this.configYaml = renderConfig(dsn, runQueryInterval);
    this.configMap = new k8s.KubeConfigMap(this, 'config', {
      metadata: objectMeta(name, this.identity),
      data: { [CONFIG_KEY]: this.configYaml },
    });

    const container = buildContainer(
      this,
      {
        name: 'sql-exporter',
        image: this.image,
        args: [`--config.file=${CONFIG_DIR}/${CONFIG_KEY}`, `--web.listen-address=:${SQL_EXPORTER_PORT}`],
        ports: [{ name: 'metrics', containerPort: SQL_EXPORTER_PORT, protocol: 'TCP' }],
        env: [secretEnv('PGPASSWORD', db.passwordSecret)],
        resources: props.resources ?? DEFAULT_RESOURCES,
        resourcesField: 'resources',
        // /healthz answers while the HTTP server runs; a database outage shows as missing metrics
        // (and the exporter's own error counter), not as a restarting pod.
        readinessProbe: httpProbe('/healthz', 'metrics', { periodSeconds: 10, timeoutSeconds: 3 }),
        livenessProbe: httpProbe('/healthz', 'metrics', { periodSeconds: 30, timeoutSeconds: 3 }),
        volumeMounts: [{ name: 'config', mountPath: CONFIG_DIR, readOnly: true }],
      },
      SQL_EXPORTER_RUN_AS,
    );

    const production = resolveProduction(this, props);
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
        selector: { matchLabels: selectorLabels(this.identity) },
        template: buildPodTemplate({
          identity: this.identity,
          runAs: SQL_EXPORTER_RUN_AS,
          ...account.pod,
          initContainers: [db.waitContainer(this, 'wait-for-database')],
          containers: [container],
          volumes: [configMapVolume('config', name)],
          scheduling: props,
          imagePullSecrets: props.imagePullSecrets,
          annotations: configChecksumAnnotations(production.configChecksums, {
            [name]: { [CONFIG_KEY]: this.configYaml },
          }),
        }),
      },
    });
    connect(this.deployment, db.jdbcUrl, 'reads run and daemon heartbeat tables (PostgreSQL)');

    this.metricsEndpoints = [
      metricsEndpoint(this, {
        serviceName: name,
        identity: this.identity,
        portName: 'metrics',
        port: SQL_EXPORTER_PORT,
        path: '/metrics',
      }),
    ];
    this.service = addService(this, 'service', {
      name,
      identity: this.identity,
      metrics: this.metricsEndpoints[0],
      ports: [{ name: 'metrics', port: SQL_EXPORTER_PORT, targetPort: 'metrics', appProtocol: 'http' }],
    });
  }

  /** The underlying objects, in the order they are written. */
  public get apiObjects(): ApiObject[] {
    return [
      ...(this.serviceAccount ? [this.serviceAccount] : []),
      this.configMap,
      this.deployment,
      this.service,
    ];
  }
}

// Run status names are those of `DagsterRunStatus` (dagster 1.13.25,
// python_modules/dagster/dagster/_core/storage/dagster_run.py): QUEUED, NOT_STARTED, MANAGED,
// STARTING, STARTED, SUCCESS, FAILURE, CANCELING, CANCELED; `runs.status` holds the name.

/** Runs that have finished, with both timestamps (unix seconds, `runs.start_time`/`end_time`). */
const FINISHED_RUNS =
  "FROM runs WHERE status IN ('SUCCESS', 'FAILURE', 'CANCELED') " +
  'AND start_time IS NOT NULL AND end_time IS NOT NULL';

/** The sql_exporter configuration: one target (Dagster's database), two collectors. */
function renderConfig(dsn: string, runQueryInterval: string): string {
  const buckets = [
    ...DAGSTER_RUN_DURATION_BUCKETS.map((b) => `('${b}', ${b}.0)`),
    "('+Inf', CAST('Infinity' AS double precision))",
  ].join(', ');
  const config = {
    global: {
      scrape_timeout: '10s',
      scrape_timeout_offset: '500ms',
      min_interval: '0s',
      max_connections: 2,
      max_idle_connections: 2,
      max_connection_lifetime: '10m',
    },
    target: {
      data_source_name: dsn,
      collectors: ['dagster_runs', 'dagster_daemons'],
    },
    collectors: [
      {
        collector_name: 'dagster_runs',
        min_interval: runQueryInterval,
        metrics: [
          {
            metric_name: DAGSTER_METRICS.runsFailed,
            type: 'counter',
            help: 'Runs in Dagster run storage whose status is FAILURE.',
            values: ['runs'],
            query: "SELECT count(*) AS runs FROM runs WHERE status = 'FAILURE'",
          },
          {
            metric_name: DAGSTER_METRICS.runsSucceeded,
            type: 'counter',
            help: 'Runs in Dagster run storage whose status is SUCCESS.',
            values: ['runs'],
            query: "SELECT count(*) AS runs FROM runs WHERE status = 'SUCCESS'",
          },
          {
            metric_name: DAGSTER_METRICS.runsQueued,
            type: 'gauge',
            help: 'Dagster runs waiting in the run queue (status QUEUED).',
            values: ['runs'],
            query: "SELECT count(*) AS runs FROM runs WHERE status = 'QUEUED'",
          },
          {
            metric_name: DAGSTER_METRICS.runsInProgress,
            type: 'gauge',
            help: 'Dagster runs launched and not finished (status STARTING, STARTED or CANCELING).',
            values: ['runs'],
            query: "SELECT count(*) AS runs FROM runs WHERE status IN ('STARTING', 'STARTED', 'CANCELING')",
          },
          {
            metric_name: `${DAGSTER_METRICS.runsDuration}_bucket`,
            type: 'counter',
            help: 'Finished Dagster runs (SUCCESS, FAILURE, CANCELED) that took at most le seconds.',
            key_labels: ['le'],
            values: ['runs'],
            query:
              'SELECT b.le, count(d.seconds) AS runs ' +
              `FROM (VALUES ${buckets}) AS b(le, bound) ` +
              `LEFT JOIN (SELECT end_time - start_time AS seconds ${FINISHED_RUNS}) AS d ` +
              'ON d.seconds <= b.bound GROUP BY b.le',
          },
          {
            metric_name: `${DAGSTER_METRICS.runsDuration}_sum`,
            type: 'counter',
            help: 'Total duration in seconds of the finished Dagster runs.',
            values: ['seconds'],
            query: `SELECT coalesce(sum(end_time - start_time), 0) AS seconds ${FINISHED_RUNS}`,
          },
          {
            metric_name: `${DAGSTER_METRICS.runsDuration}_count`,
            type: 'counter',
            help: 'Finished Dagster runs.',
            values: ['runs'],
            query: `SELECT count(*) AS runs ${FINISHED_RUNS}`,
          },
        ],
      },
      {
        collector_name: 'dagster_daemons',
        metrics: [
          {
            metric_name: DAGSTER_METRICS.daemonHeartbeatAge,
            type: 'gauge',
            help: 'Seconds since the last heartbeat of each Dagster daemon.',
            key_labels: ['daemon_type'],
            values: ['age'],
            // Dagster writes the heartbeat time as a timezone-aware UTC datetime into a
            // `timestamp without time zone` column, which PostgreSQL stores as wall time in the
            // session's time zone; LOCALTIMESTAMP is now in that same zone.
            query:
              'SELECT daemon_type, EXTRACT(EPOCH FROM (LOCALTIMESTAMP - "timestamp")) AS age FROM daemon_heartbeats',
          },
        ],
      },
    ],
  };
  return stringify(config, { lineWidth: 0 });
}
