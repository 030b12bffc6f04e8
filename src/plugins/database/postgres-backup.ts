import { connect } from '../../core/connections';
import { Construct, IConstruct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { resolveProduction } from '../../core/availability';
import { ComponentProps, DEFAULT_PLATFORM_NAME } from '../../core/component';
import { checkConstructProps, checkProps } from '../../core/props-check';
import { workloadServiceAccount } from '../../core/service-account';
import { namespaceOf, ServiceEndpoint } from '../../core/endpoints';
import { plainEnv, secretEnv } from '../../core/env';
import { FloeValidationError } from '../../core/errors';
import { ContainerImage, ImageOverride, resolveImage } from '../../core/image';
import { selectorLabels, WorkloadIdentity } from '../../core/labels';
import { buildContainer, buildPodTemplate, emptyDirVolume } from '../../core/pod';
import { ResourceRequirements } from '../../core/resources';
import { mergeSecretRequirements, SecretRequirement } from '../../core/secrets';
import { objectMeta } from '../../core/service';
import { validateDnsLabel, validateInteger } from '../../core/validation';
import { validateSchedule, validateTimeZone } from '../../jobs/schedule';
import { HasPrerequisites, ObjectStoragePlugin, PostgresDatabasePlugin } from '../interfaces';
import {
  credentialRequirements,
  ExternalS3,
  ExternalS3Props,
  validateBucketName,
} from '../storage/external-s3';
import { MINIO_CLIENT_IMAGE, MINIO_RUN_AS } from '../storage/minio';
import { POSTGRES_ALPINE_RUN_AS, POSTGRES_IMAGE, PostgreSQL } from './postgres';

/** Every 6 hours, on the hour: the schedule of floe's production guide. */
export const DEFAULT_BACKUP_SCHEDULE = '0 */6 * * *';
/** Days a backup is kept: the `retention: 30d` of floe's storage guide. */
export const DEFAULT_BACKUP_RETENTION_DAYS = 30;
/** Bucket the backups go to on object storage that runs in the cluster (created by the Job). */
export const DEFAULT_BACKUP_BUCKET = 'floe-backups';
/** First part of every backup's object key: `<prefix>/<instance>/<timestamp>.sql.gz`. */
export const DEFAULT_BACKUP_PREFIX = 'postgres';
/**
 * Part size of the streamed multipart upload (`mc pipe --part-size`). The uploader holds one part
 * in memory; S3 allows 10,000 parts, so one backup can be up to 640 GiB compressed. Without it,
 * `mc pipe` sizes parts for a 5 TiB stream: 528 MiB each, in memory.
 */
export const BACKUP_UPLOAD_PART_SIZE = '64MiB';

/** Where the two containers of a backup pod meet: the FIFO and the status files. */
const WORK_DIR = '/backup';
/** The uploader's `mc` configuration (it holds the S3 keys): a memory-backed emptyDir. */
const MC_CONFIG_DIR = '/mc';
/** The `mc` alias the upload script defines. */
const MC_ALIAS = 'target';
/** Seconds the uploader waits for the dump's exit status once the stream has ended. */
const STATUS_WAIT_SECONDS = 60;

const DEFAULT_DUMP_RESOURCES: ResourceRequirements = {
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { memory: '512Mi' },
};

const DEFAULT_UPLOAD_RESOURCES: ResourceRequirements = {
  requests: { cpu: '50m', memory: '128Mi' },
  limits: { memory: '256Mi' },
};

// Object key prefix: segments of letters, digits, '.', '_' and '-' separated by '/'.
const PREFIX = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
// A CronJob name must leave room for the 11 characters its Jobs append.
const MAX_CRONJOB_NAME = 52;

/**
 * The container that streams `pg_dump | gzip` into the FIFO. It connects through the libpq
 * variables (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD), so no value is spliced into the
 * script. The script runs under bash (the official postgres image installs it; its /bin/sh is
 * busybox ash) with `pipefail`, so a failing pg_dump fails the pipeline even though gzip ends
 * cleanly. It writes its exit status to `dump.status`, atomically, whatever happens: the uploader
 * only keeps the upload when that status is 0.
 */
export const BACKUP_DUMP_SCRIPT = [
  'set -euo pipefail',
  'w="$WORK_DIR"',
  'finish() {',
  '  rc=$?',
  '  if [ ! -e "$w/dump.status" ]; then echo "$rc" > "$w/dump.status.tmp"; mv "$w/dump.status.tmp" "$w/dump.status"; fi',
  '}',
  'trap finish EXIT',
  'mkfifo "$w/stream"',
  'until [ -e "$w/upload.ready" ]; do',
  '  if [ -e "$w/upload.failed" ]; then echo "backup: the upload container failed before the dump started" >&2; exit 1; fi',
  '  sleep 1',
  'done',
  'pg_dump --no-password --clean --if-exists | gzip > "$w/stream"',
  'echo "backup: dumped database $PGDATABASE from $PGHOST:$PGPORT"',
].join('\n');

/**
 * The container that uploads the stream with MinIO's `mc`. The keys reach `mc alias set` on
 * stdin (`printf` is a bash builtin), so they appear in no manifest and in no process's
 * arguments. The stream goes to `<key>.partial`; only when the dump reports exit status 0 is it
 * renamed (a server-side copy) to its final key, and then backups of this database older than
 * the retention are removed. On a failed dump the partial object is deleted and the container
 * fails. A failure of its own is written to `upload.failed`, which stops the dump from starting.
 */
export const BACKUP_UPLOAD_SCRIPT = [
  'set -euo pipefail',
  'w="$WORK_DIR"',
  'fail() { echo "backup: $*" >&2; exit 1; }',
  'finish() {',
  '  rc=$?',
  '  if [ "$rc" -ne 0 ]; then echo "$rc" > "$w/upload.failed"; fi',
  '}',
  'trap finish EXIT',
  's3() { mc --config-dir "$MC_CONFIG_DIR" "$@"; }',
  `printf '%s\\n%s\\n' "$S3_ACCESS_KEY_ID" "$S3_SECRET_ACCESS_KEY" | s3 alias set --api S3v4 --path "$S3_PATH_STYLE" ${MC_ALIAS} "$S3_ENDPOINT" > /dev/null`,
  'if [ "$S3_CREATE_BUCKET" = true ]; then s3 mb --ignore-existing --region "$S3_REGION" "' +
    MC_ALIAS +
    '/$S3_BUCKET"; fi',
  `dir="${MC_ALIAS}/$S3_BUCKET/$BACKUP_PREFIX"`,
  'object="$dir/$(date -u +%Y%m%dT%H%M%SZ).sql.gz"',
  'partial="$object.partial"',
  'until [ -p "$w/stream" ]; do',
  '  [ ! -e "$w/dump.status" ] || fail "the dump container exited before the upload started"',
  '  sleep 1',
  'done',
  ': > "$w/upload.ready"',
  `s3 pipe --quiet --part-size ${BACKUP_UPLOAD_PART_SIZE} "$partial" < "$w/stream"`,
  'waited=0',
  'until [ -e "$w/dump.status" ]; do',
  `  waited=$((waited + 1)); [ "$waited" -le ${STATUS_WAIT_SECONDS} ] || fail "no exit status from the dump container; $partial is incomplete"`,
  '  sleep 1',
  'done',
  'read -r status < "$w/dump.status"',
  'if [ "$status" != 0 ]; then',
  '  s3 rm "$partial" || echo "backup: could not remove $partial" >&2',
  '  fail "the dump failed with exit status $status; its upload was not kept"',
  'fi',
  's3 mv --quiet "$partial" "$object"',
  'echo "backup: wrote $object"',
  's3 rm --recursive --force --older-than "${RETENTION_DAYS}d" "$dir/"',
].join('\n');

/** Schedule, retention and sizing of PostgreSQL backups: what every backup CronJob shares. */
export interface PostgresBackupOptions {
  /**
   * When to back up: a cron expression as the Kubernetes CronJob controller accepts it.
   * @default - every 6 hours on the hour (`DEFAULT_BACKUP_SCHEDULE`), as in floe's production guide
   */
  readonly schedule?: string;
  /**
   * IANA time zone of `schedule` (the object keys are always UTC).
   * @default - the time zone of the kube-controller-manager (usually UTC)
   */
  readonly timeZone?: string;
  /**
   * Days a backup is kept. After each successful backup, the objects under this database's
   * prefix that are older are removed; the backup just written is never among them.
   * @default 30
   */
  readonly retentionDays?: number;
  /**
   * First part of the object keys: backups are written to
   * `<prefix>/<database instance>/<UTC time, e.g. 20250131T060000Z>.sql.gz`. Segments of
   * letters, digits, `.`, `_` and `-` separated by `/`. Everything under
   * `<prefix>/<database instance>/` older than `retentionDays` is deleted, so give backups a
   * prefix of their own.
   * @default 'postgres'
   */
  readonly prefix?: string;
  /**
   * Requests and limits of the container that runs `pg_dump | gzip`.
   * @default - 100m CPU / 128Mi memory requested, 512Mi memory limit
   */
  readonly resources?: ResourceRequirements;
  /**
   * Requests and limits of the container that uploads the stream (`mc`, which buffers one 64 MiB
   * part).
   * @default - 50m CPU / 128Mi memory requested, 256Mi memory limit
   */
  readonly uploadResources?: ResourceRequirements;
  /**
   * Seconds a backup Job may run before Kubernetes stops it (and it counts as failed).
   * @default 10800 - 3 hours
   */
  readonly activeDeadlineSeconds?: number;
  /**
   * Retries of a failed backup pod before the Job counts as failed.
   * @default 2
   */
  readonly backoffLimit?: number;
  /**
   * Image of the `pg_dump` container. Its major version must be at least the server's
   * (pg_dump refuses to dump a newer server).
   * @default - the database's own image when it is an in-cluster `PostgreSQL`, else the official
   *   postgres image this library pins (major 17)
   */
  readonly dumpImage?: ImageOverride;
  /**
   * Image of the upload container (MinIO client `mc`).
   * @default - quay.io/minio/mc pinned by this library
   */
  readonly uploadImage?: ImageOverride;
  /**
   * Create the bucket if it does not exist (`mc mb --ignore-existing`) before each backup. Needs
   * the right to create buckets, which S3 keys of a managed service often lack.
   * @default - true when the object storage runs in the cluster (it has a Service), else false:
   *   the bucket must exist
   */
  readonly createBucket?: boolean;
}

/** Properties of one `PostgresBackup`. */
export interface PostgresBackupProps extends PostgresBackupOptions, ComponentProps {
  /** The database to back up (in-cluster `PostgreSQL` or `ExternalPostgres`). */
  readonly database: PostgresDatabasePlugin;
  /** The S3-compatible object storage the backups are written to, and its keys. */
  readonly storage: ObjectStoragePlugin;
  /**
   * Bucket on `storage` the backups are written to.
   * @default 'floe-backups'
   */
  readonly bucket?: string;
  /**
   * Name of the database instance: the second part of the object keys and the start of the
   * CronJob name (`<instance>-backup`). A DNS-1123 label of at most 45 characters.
   * @default - the construct id
   */
  readonly instance?: string;
}

/**
 * A CronJob that backs up one PostgreSQL database to S3-compatible object storage, streaming:
 * nothing is written to disk. Each run is one pod with two containers that share an emptyDir:
 * `dump` (the postgres image) runs `pg_dump | gzip` into a FIFO there, `upload` (MinIO's `mc`)
 * streams the FIFO to `<key>.partial` with a multipart upload, and renames it to
 * `<prefix>/<instance>/<UTC time>.sql.gz` only when the dump succeeded; otherwise it deletes it
 * and the Job fails. After a successful backup, backups older than `retentionDays` are removed.
 *
 * Credentials come from Secrets only: PGPASSWORD from the database's password Secret, the S3
 * keys from the storage's Secret references. Both containers run as non-root users of their
 * images (70 for postgres, 1000 for mc, which declares none) with read-only root filesystems;
 * `concurrencyPolicy: Forbid` keeps runs from overlapping.
 */
export class PostgresBackup extends Construct implements HasPrerequisites {
  /** The CronJob. */
  /** Its own ServiceAccount (no API token), unless `serviceAccounts` is false. */
  public readonly serviceAccount?: k8s.KubeServiceAccount;
  public readonly cronJob: k8s.KubeCronJob;
  /** CronJob name, `<instance>-backup`. */
  public readonly name: string;
  /** Name of the database instance (the second part of the object keys). */
  public readonly instance: string;
  /** The database this backs up. */
  public readonly database: PostgresDatabasePlugin;
  /** The object storage the backups go to. */
  public readonly storage: ObjectStoragePlugin;
  /** The database's Service, when it runs in the cluster: what the backup pods connect to. */
  public readonly databaseEndpoint?: ServiceEndpoint;
  /** The object storage's Service, when it runs in the cluster: what the backup pods upload to. */
  public readonly storageEndpoint?: ServiceEndpoint;
  /** Bucket of the backups. */
  public readonly bucket: string;
  /** Key prefix of this database's backups, `<prefix>/<instance>` (no trailing slash). */
  public readonly keyPrefix: string;
  /** `s3://<bucket>/<prefix>/<instance>/`: where the backups are. */
  public readonly location: string;
  /** The cron schedule. */
  public readonly schedule: string;
  /** Time zone of the schedule, when set. */
  public readonly timeZone?: string;
  /** Days a backup is kept. */
  public readonly retentionDays: number;
  /** Whether each run creates the bucket when missing. */
  public readonly createBucket: boolean;
  /** The resolved `pg_dump` image. */
  public readonly dumpImage: ContainerImage;
  /** The resolved `mc` image. */
  public readonly uploadImage: ContainerImage;
  /** Labels of the backup pods (their selector labels are `selector`). */
  public readonly identity: WorkloadIdentity;
  /** Labels that select the backup pods, e.g. for a NetworkPolicy. */
  public readonly selector: Record<string, string>;
  /** The database password Secret and the S3 key Secret(s). */
  public readonly requiredSecrets: readonly SecretRequirement[];

  public constructor(scope: Construct, id: string, props: PostgresBackupProps) {
    checkConstructProps(scope, id, 'PostgresBackupProps', props);
    super(scope, id);
    this.database = props.database;
    this.storage = props.storage;
    this.databaseEndpoint = props.database.serviceEndpoint;
    this.storageEndpoint = props.storage.serviceEndpoint;
    this.instance = validateDnsLabel(
      this,
      'instance',
      props.instance ?? id,
      MAX_CRONJOB_NAME - '-backup'.length,
    );
    this.name = `${this.instance}-backup`;
    this.bucket = validateBucketName(this, 'bucket', props.bucket ?? DEFAULT_BACKUP_BUCKET);
    const prefix = validateKeyPrefix(this, 'prefix', props.prefix ?? DEFAULT_BACKUP_PREFIX);
    this.keyPrefix = `${prefix}/${this.instance}`;
    this.location = `s3://${this.bucket}/${this.keyPrefix}/`;
    this.schedule = validateSchedule(this, 'schedule', props.schedule ?? DEFAULT_BACKUP_SCHEDULE);
    if (props.timeZone !== undefined) {
      this.timeZone = validateTimeZone(this, 'timeZone', props.timeZone);
    }
    this.retentionDays = validateInteger(
      this,
      'retentionDays',
      props.retentionDays ?? DEFAULT_BACKUP_RETENTION_DAYS,
      1,
      36500,
    );
    const activeDeadline = validateInteger(
      this,
      'activeDeadlineSeconds',
      props.activeDeadlineSeconds ?? 10800,
      60,
    );
    const backoffLimit = validateInteger(this, 'backoffLimit', props.backoffLimit ?? 2, 0, 10);
    this.createBucket = props.createBucket ?? this.storageEndpoint !== undefined;

    const databaseImage = props.database instanceof PostgreSQL ? props.database.image : undefined;
    this.dumpImage = resolveImage(
      this,
      'dumpImage',
      databaseImage ?? POSTGRES_IMAGE,
      props.dumpImage,
      databaseImage ? undefined : props.imageRegistry,
    );
    this.uploadImage = resolveImage(
      this,
      'uploadImage',
      MINIO_CLIENT_IMAGE,
      props.uploadImage,
      props.imageRegistry,
    );
    this.identity = {
      name: 'postgres-backup',
      instance: this.name,
      component: 'backup',
      partOf: props.platformName ?? DEFAULT_PLATFORM_NAME,
      version: this.dumpImage.tag,
    };
    this.selector = selectorLabels(this.identity);
    this.requiredSecrets = mergeSecretRequirements([
      {
        name: props.database.passwordSecret.name,
        keys: [props.database.passwordSecret.key],
        purpose: `password of PostgreSQL user '${props.database.username}', for the backups of ${this.instance}`,
      },
      ...credentialRequirements(
        props.storage.accessKeyId,
        props.storage.secretAccessKey,
        `S3 keys for the PostgreSQL backups in bucket '${this.bucket}' at ${props.storage.endpoint}`,
      ),
    ]);

    const work: k8s.VolumeMount = { name: 'work', mountPath: WORK_DIR };
    const dump = buildContainer(
      this,
      {
        name: 'dump',
        image: this.dumpImage,
        command: ['/bin/bash', '-c', BACKUP_DUMP_SCRIPT],
        env: [
          plainEnv('WORK_DIR', WORK_DIR),
          plainEnv('PGHOST', props.database.host),
          plainEnv('PGPORT', String(props.database.port)),
          plainEnv('PGDATABASE', props.database.database),
          plainEnv('PGUSER', props.database.username),
          secretEnv('PGPASSWORD', props.database.passwordSecret),
          plainEnv('PGCONNECT_TIMEOUT', '30'),
          plainEnv('PGAPPNAME', this.name),
        ],
        resources: props.resources ?? DEFAULT_DUMP_RESOURCES,
        resourcesField: 'resources',
        volumeMounts: [work],
      },
      POSTGRES_ALPINE_RUN_AS,
    );
    const upload = buildContainer(
      this,
      {
        name: 'upload',
        image: this.uploadImage,
        command: ['/bin/bash', '-c', BACKUP_UPLOAD_SCRIPT],
        env: [
          plainEnv('WORK_DIR', WORK_DIR),
          plainEnv('MC_CONFIG_DIR', MC_CONFIG_DIR),
          plainEnv('S3_ENDPOINT', props.storage.endpoint),
          plainEnv('S3_REGION', props.storage.region),
          plainEnv('S3_PATH_STYLE', props.storage.pathStyleAccess ? 'on' : 'off'),
          plainEnv('S3_BUCKET', this.bucket),
          plainEnv('S3_CREATE_BUCKET', String(this.createBucket)),
          secretEnv('S3_ACCESS_KEY_ID', props.storage.accessKeyId),
          secretEnv('S3_SECRET_ACCESS_KEY', props.storage.secretAccessKey),
          plainEnv('BACKUP_PREFIX', this.keyPrefix),
          plainEnv('RETENTION_DAYS', String(this.retentionDays)),
        ],
        resources: props.uploadResources ?? DEFAULT_UPLOAD_RESOURCES,
        resourcesField: 'uploadResources',
        volumeMounts: [work, { name: 'mc-config', mountPath: MC_CONFIG_DIR }],
      },
      MINIO_RUN_AS,
    );

    const meta = objectMeta(this.name, this.identity);
    const account = workloadServiceAccount(this, 'service-account', {
      name: this.name,
      identity: this.identity,
      enabled: resolveProduction(this, props).serviceAccounts,
    });
    this.serviceAccount = account.serviceAccount;
    this.cronJob = new k8s.KubeCronJob(this, 'cronjob', {
      metadata: meta,
      spec: {
        schedule: this.schedule,
        ...(this.timeZone !== undefined ? { timeZone: this.timeZone } : {}),
        concurrencyPolicy: 'Forbid',
        // A run missed by more than an hour (controller down) is skipped: the next one comes.
        startingDeadlineSeconds: 3600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels: meta.labels },
          spec: {
            backoffLimit,
            activeDeadlineSeconds: activeDeadline,
            template: buildPodTemplate({
              identity: this.identity,
              // The pod runs as the postgres user; its group owns the shared emptyDir, which the
              // upload container (user 1000) also gets as a supplementary group.
              runAs: POSTGRES_ALPINE_RUN_AS,
              ...account.pod,
              restartPolicy: 'Never',
              containers: [dump, upload],
              volumes: [
                emptyDirVolume('work', '1Mi'),
                // The mc configuration holds the S3 keys: keep it in memory, not on the node's disk.
                {
                  name: 'mc-config',
                  emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') },
                },
              ],
              imagePullSecrets: props.imagePullSecrets,
            }),
          },
        },
      },
    });
    connect(this.cronJob, props.database.jdbcUrl, 'dumps the database (pg_dump)');
    connect(this.cronJob, props.storage.endpoint, 'uploads the dump (S3)');
  }

  /** `kubectl` command that starts a backup now (an ad-hoc Job from the CronJob). */
  public runCommand(): string {
    return `kubectl -n ${namespaceOf(this)} create job --from=cronjob/${this.name} ${this.name}-$(date +%s)`;
  }
}

/** Where the platform writes its backups: its own object storage, or an S3 bucket of yours. */
export interface BackupOptions extends PostgresBackupOptions {
  /**
   * Bucket on the platform's object storage. Cannot be combined with `s3`.
   * @default - 'floe-backups' (created by the backup Jobs) when the storage runs in the cluster,
   *   else the storage's warehouse bucket (which exists and which the platform's keys can write)
   */
  readonly bucket?: string;
  /**
   * An S3 bucket outside the platform to write the backups to instead (endpoint, region, bucket,
   * key Secret references, path-style addressing), e.g. in another account. The bucket must exist.
   * @default - the platform's object storage
   */
  readonly s3?: ExternalS3Props;
}

/**
 * One `PostgresBackup` per database, by instance name, as the platform writes them: to the
 * platform's storage (bucket `floe-backups` when it runs in the cluster, else the warehouse
 * bucket) or to `options.s3`. Validation errors name `scope` (e.g. `platform/backups`), the
 * bucket's `<scope>.s3`, and each database's `<scope>/<instance>`.
 */
export function addPostgresBackups(
  scope: Construct,
  databases: Readonly<Record<string, PostgresDatabasePlugin>>,
  storage: ObjectStoragePlugin,
  options: BackupOptions,
  component: ComponentProps,
): Record<string, PostgresBackup> {
  checkProps(scope, 'BackupOptions', options);
  const { s3, bucket: requestedBucket, ...shared } = options;
  if (s3 !== undefined && requestedBucket !== undefined) {
    throw new FloeValidationError(
      scope,
      'bucket',
      requestedBucket,
      'unset when s3 is given (the bucket is s3.bucket)',
    );
  }
  const target = s3 ? ExternalS3.fromBucket(s3, `${scope.node.path}.s3`) : storage;
  const bucket =
    s3?.bucket ??
    requestedBucket ??
    (storage.serviceEndpoint !== undefined ? DEFAULT_BACKUP_BUCKET : storage.warehouseBucket);
  const result: Record<string, PostgresBackup> = {};
  for (const [instance, database] of Object.entries(databases)) {
    result[instance] = new PostgresBackup(scope, instance, {
      ...shared,
      ...component,
      database,
      storage: target,
      bucket,
      instance,
    });
  }
  return result;
}

function validateKeyPrefix(scope: IConstruct, field: string, value: string): string {
  const ok =
    typeof value === 'string' &&
    value.length <= 200 &&
    PREFIX.test(value) &&
    !value.split('/').some((s) => s === '.' || s === '..');
  if (!ok) {
    throw new FloeValidationError(
      scope,
      field,
      value,
      "an object key prefix: segments of letters, digits, '.', '_' and '-' separated by '/', " +
        "without leading or trailing '/', '.' or '..' segments, at most 200 characters",
    );
  }
  return value;
}
