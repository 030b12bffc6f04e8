import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import { Chart, Testing } from 'cdk8s';
import { FloePlatform, FloePlatformProps } from '../src/platform/floe-platform';
import { ExternalPostgres } from '../src/plugins/database/external-postgres';
import { PostgreSQL } from '../src/plugins/database/postgres';
import { PostgresBackup, PostgresBackupProps } from '../src/plugins/database/postgres-backup';
import { ExternalS3 } from '../src/plugins/storage/external-s3';
import { MinIO } from '../src/plugins/storage/minio';
import { Marquez } from '../src/plugins/observability/marquez';
import { asArray, asJson, envMap, envValue, envVars, Json, thrownValidationError } from './support/helpers';
import { validateObjects } from './support/k8s-schema';
import { checkPolicy } from './support/policy';
import { findObject, get, K8sObject } from './support/synth';

const PG_IMAGE = 'docker.io/library/postgres:17.6-alpine';
const MC_IMAGE = 'quay.io/minio/mc:RELEASE.2025-08-13T08-35-41Z';
const AWS_KEYS = {
  accessKeyId: { name: 'backup-s3', key: 'access-key-id' },
  secretAccessKey: { name: 'backup-s3', key: 'secret-access-key' },
};

type BackupOverrides = Partial<Omit<PostgresBackupProps, 'database' | 'storage'>>;

/** A chart with an in-cluster PostgreSQL `catalog-db`, MinIO and a backup of the database. */
function standalone(overrides: BackupOverrides = {}): { objects: K8sObject[]; backup: PostgresBackup } {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'floe-platform' });
  const database = new PostgreSQL(chart, 'catalog-db', { database: 'polaris', username: 'polaris' });
  const storage = new MinIO(chart, 'storage', { replicas: 1 });
  const backup = new PostgresBackup(chart, 'catalog-db-backup', {
    instance: 'catalog-db',
    database,
    storage,
    ...overrides,
  });
  return { objects: Testing.synth(chart) as K8sObject[], backup };
}

/** Only the backup's CronJob of a standalone chart. */
function cronJob(overrides: BackupOverrides = {}): K8sObject {
  return findObject(standalone(overrides).objects, 'CronJob', 'catalog-db-backup');
}

function podSpec(cj: K8sObject): Json {
  return asJson(get(cj, 'spec.jobTemplate.spec.template.spec'));
}

function container(cj: K8sObject, name: 'dump' | 'upload'): Json {
  const found = asArray(podSpec(cj).containers)
    .map(asJson)
    .find((c) => c.name === name);
  if (!found) throw new Error(`no container ${name}`);
  return found;
}

function platform(props: FloePlatformProps = {}): { platform: FloePlatform; objects: K8sObject[] } {
  const app = Testing.app();
  const p = new FloePlatform(app, 'platform', props);
  return { platform: p, objects: Testing.synth(p) as K8sObject[] };
}

function cronJobNames(objects: K8sObject[]): string[] {
  return objects.filter((o) => o.kind === 'CronJob').map((o) => o.metadata.name);
}

describe('PostgresBackup', () => {
  test('matches the reviewed snapshot', () => {
    expect(standalone().objects.filter((o) => o.kind === 'CronJob')).toMatchSnapshot();
  });

  test('every object passes strict Kubernetes 1.28 schema validation and the restricted policy', () => {
    const { objects, backup } = standalone({ timeZone: 'Europe/Berlin' });
    expect(validateObjects(objects)).toEqual([]);
    expect(
      checkPolicy(objects, {
        prerequisiteSecrets: [...backup.requiredSecrets.map((s) => s.name), 'catalog-db-credentials'],
      }),
    ).toEqual([]);
  });

  test('the policy check notices the Secrets it reads when they are not documented', () => {
    const { objects } = standalone();
    const backupOnly = objects.filter((o) => o.kind === 'CronJob' || o.kind === 'ServiceAccount');
    expect(checkPolicy(backupOnly)).toEqual([
      'CronJob/catalog-db-backup: env PGPASSWORD reads Secret catalog-db-credentials, neither produced nor a prerequisite',
      'CronJob/catalog-db-backup: env S3_ACCESS_KEY_ID reads Secret minio-credentials, neither produced nor a prerequisite',
      'CronJob/catalog-db-backup: env S3_SECRET_ACCESS_KEY reads Secret minio-credentials, neither produced nor a prerequisite',
    ]);
  });

  test('runs every 6 hours by default, never two at once, and keeps a few Jobs for inspection', () => {
    const spec = asJson(cronJob().spec);
    expect(spec.schedule).toBe('0 */6 * * *');
    expect(spec.timeZone).toBeUndefined();
    expect(spec.concurrencyPolicy).toBe('Forbid');
    expect(spec.successfulJobsHistoryLimit).toBe(3);
    expect(spec.failedJobsHistoryLimit).toBe(3);
    expect(spec.startingDeadlineSeconds).toBe(3600);
    expect(get(spec, 'jobTemplate.spec.backoffLimit')).toBe(2);
    expect(get(spec, 'jobTemplate.spec.activeDeadlineSeconds')).toBe(10800);
    expect(get(spec, 'jobTemplate.spec.template.spec.restartPolicy')).toBe('Never');
  });

  test('schedule, time zone, deadline and retries can be changed', () => {
    const spec = asJson(
      cronJob({
        schedule: '30 2 * * *',
        timeZone: 'Europe/Berlin',
        activeDeadlineSeconds: 600,
        backoffLimit: 0,
      }).spec,
    );
    expect([spec.schedule, spec.timeZone]).toEqual(['30 2 * * *', 'Europe/Berlin']);
    expect(get(spec, 'jobTemplate.spec.activeDeadlineSeconds')).toBe(600);
    expect(get(spec, 'jobTemplate.spec.backoffLimit')).toBe(0);
  });

  test('pg_dump runs in the database image as the postgres user, mc as user 1000, both with read-only roots', () => {
    const cj = cronJob();
    const dump = container(cj, 'dump');
    const upload = container(cj, 'upload');
    expect(dump.image).toBe(PG_IMAGE);
    expect(upload.image).toBe(MC_IMAGE);
    expect([get(dump, 'securityContext.runAsUser'), get(dump, 'securityContext.runAsGroup')]).toEqual([
      70, 70,
    ]);
    expect([get(upload, 'securityContext.runAsUser'), get(upload, 'securityContext.runAsGroup')]).toEqual([
      1000, 1000,
    ]);
    expect(get(podSpec(cj), 'securityContext.fsGroup')).toBe(70);
    for (const c of [dump, upload]) {
      expect(get(c, 'securityContext.readOnlyRootFilesystem')).toBe(true);
      expect((c.command as string[]).slice(0, 2)).toEqual(['/bin/bash', '-c']);
    }
    expect(podSpec(cj).volumes).toEqual([
      { name: 'work', emptyDir: { sizeLimit: '1Mi' } },
      { name: 'mc-config', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
    ]);
    expect(upload.volumeMounts).toEqual([
      { name: 'work', mountPath: '/backup' },
      { name: 'mc-config', mountPath: '/mc' },
    ]);
  });

  test("follows the database's image (major version and registry mirror) unless told otherwise", () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'floe-platform' });
    const database = new PostgreSQL(chart, 'db', {
      database: 'd',
      username: 'u',
      majorVersion: 18,
      image: { tag: '18.1-alpine' },
      imageRegistry: 'mirror.example.com',
    });
    const storage = new MinIO(chart, 'storage');
    const same = new PostgresBackup(chart, 'backup', { instance: 'db', database, storage });
    const other = new PostgresBackup(chart, 'db2-backup', {
      instance: 'db2',
      database,
      storage,
      dumpImage: { tag: '18.2-alpine' },
      uploadImage: { registry: 'mirror.example.com' },
    });
    expect(same.dumpImage).toEqual({
      registry: 'mirror.example.com',
      repository: 'library/postgres',
      tag: '18.1-alpine',
    });
    expect(other.dumpImage.tag).toBe('18.2-alpine');
    expect(other.uploadImage.registry).toBe('mirror.example.com');
  });

  test('credentials come from Secret references only; no value is written', () => {
    const cj = cronJob();
    const dump = envMap(container(cj, 'dump'));
    const upload = envMap(container(cj, 'upload'));
    expect(dump.PGPASSWORD).toEqual({
      secretKeyRef: { name: 'catalog-db-credentials', key: 'postgresql-password' },
    });
    expect(upload.S3_ACCESS_KEY_ID).toEqual({ secretKeyRef: { name: 'minio-credentials', key: 'rootUser' } });
    expect(upload.S3_SECRET_ACCESS_KEY).toEqual({
      secretKeyRef: { name: 'minio-credentials', key: 'rootPassword' },
    });
    // The keys are never spliced into a command or a URL.
    for (const c of [container(cj, 'dump'), container(cj, 'upload')]) {
      expect(JSON.stringify(c.command)).not.toMatch(/\$\((S3_|PG)/);
      expect(envVars(c).filter((e) => e.value?.includes('$('))).toEqual([]);
    }
  });

  test("Kubernetes' $(VAR) expansion leaves both scripts exactly as written", () => {
    const cj = cronJob();
    for (const c of [container(cj, 'dump'), container(cj, 'upload')]) {
      const vars = Object.fromEntries(envVars(c).map((e) => [e.name, 'EXPANDED']));
      const command = c.command as string[];
      expect(command.map((part) => kubernetesExpand(part, vars))).toEqual(command);
    }
    expect(kubernetesExpand('a $(X) $$(X) $((n + 1)) $(date +%s)', { X: 'v' })).toBe(
      'a v $(X) $((n + 1)) $(date +%s)',
    );
  });

  test('connects with the libpq variables to the database, and uploads to the bucket on the storage', () => {
    const cj = cronJob();
    const dump = container(cj, 'dump');
    const upload = container(cj, 'upload');
    expect(envValue(dump, 'PGHOST')).toBe('catalog-db.floe-platform.svc.cluster.local');
    expect(envValue(dump, 'PGPORT')).toBe('5432');
    expect(envValue(dump, 'PGDATABASE')).toBe('polaris');
    expect(envValue(dump, 'PGUSER')).toBe('polaris');
    expect(envValue(upload, 'S3_ENDPOINT')).toBe('http://minio.floe-platform.svc.cluster.local:9000');
    expect(envValue(upload, 'S3_REGION')).toBe('us-east-1');
    expect(envValue(upload, 'S3_PATH_STYLE')).toBe('on');
    expect(envValue(upload, 'S3_BUCKET')).toBe('floe-backups');
    expect(envValue(upload, 'S3_CREATE_BUCKET')).toBe('true');
    expect(envValue(upload, 'BACKUP_PREFIX')).toBe('postgres/catalog-db');
    expect(envValue(upload, 'RETENTION_DAYS')).toBe('30');
  });

  test('retention, prefix and bucket are props', () => {
    const upload = container(
      cronJob({ retentionDays: 7, prefix: 'backups/pg', bucket: 'db-dumps' }),
      'upload',
    );
    expect(envValue(upload, 'RETENTION_DAYS')).toBe('7');
    expect(envValue(upload, 'BACKUP_PREFIX')).toBe('backups/pg/catalog-db');
    expect(envValue(upload, 'S3_BUCKET')).toBe('db-dumps');
  });

  test('exposes what NetworkPolicies and docs need', () => {
    const { objects, backup } = standalone();
    const cj = findObject(objects, 'CronJob', 'catalog-db-backup');
    expect(backup.cronJob.name).toBe('catalog-db-backup');
    expect(backup.databaseEndpoint?.address).toBe('catalog-db.floe-platform.svc.cluster.local:5432');
    expect(backup.storageEndpoint?.address).toBe('minio.floe-platform.svc.cluster.local:9000');
    expect(backup.location).toBe('s3://floe-backups/postgres/catalog-db/');
    const podLabels = asJson(get(cj, 'spec.jobTemplate.spec.template.metadata.labels'));
    for (const [k, v] of Object.entries(backup.selector)) expect(podLabels[k]).toBe(v);
    expect(backup.requiredSecrets.map((s) => [s.name, s.keys])).toEqual([
      ['catalog-db-credentials', ['postgresql-password']],
      ['minio-credentials', ['rootPassword', 'rootUser']],
    ]);
    expect(backup.runCommand()).toBe(
      'kubectl -n floe-platform create job --from=cronjob/catalog-db-backup catalog-db-backup-$(date +%s)',
    );
  });

  test('backs up an external database to an external bucket, which it does not create', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'floe-platform' });
    const database = ExternalPostgres.fromEndpoint({
      host: 'pg.example.internal',
      port: 6432,
      database: 'dagster',
      username: 'dagster',
      passwordSecret: { name: 'dagster-pg', key: 'postgresql-password' },
    });
    const storage = ExternalS3.fromBucket({ region: 'eu-west-1', bucket: 'acme-backups', ...AWS_KEYS });
    const backup = new PostgresBackup(chart, 'orchestrator-db', {
      database,
      storage,
      bucket: storage.warehouseBucket,
      imageRegistry: 'mirror.example.com',
    });
    const cj = findObject(Testing.synth(chart) as K8sObject[], 'CronJob', 'orchestrator-db-backup');
    const dump = container(cj, 'dump');
    const upload = container(cj, 'upload');
    expect(dump.image).toBe('mirror.example.com/library/postgres:17.6-alpine');
    expect([envValue(dump, 'PGHOST'), envValue(dump, 'PGPORT')]).toEqual(['pg.example.internal', '6432']);
    expect(envMap(dump).PGPASSWORD).toEqual({
      secretKeyRef: { name: 'dagster-pg', key: 'postgresql-password' },
    });
    expect(envValue(upload, 'S3_ENDPOINT')).toBe('https://s3.eu-west-1.amazonaws.com');
    expect(envValue(upload, 'S3_PATH_STYLE')).toBe('off');
    expect(envValue(upload, 'S3_CREATE_BUCKET')).toBe('false');
    expect(backup.databaseEndpoint).toBeUndefined();
    expect(backup.storageEndpoint).toBeUndefined();
  });

  test.each<[string, BackupOverrides, string]>([
    ['schedule', { schedule: '0 */6 * *' }, 'invalid schedule: got "0 */6 * *", expected a cron expression'],
    ['timeZone', { timeZone: 'CET+1' }, 'invalid timeZone: got "CET+1", expected an IANA time zone name'],
    [
      'retentionDays',
      { retentionDays: 0 },
      'invalid retentionDays: got 0, expected an integer from 1 to 36500',
    ],
    [
      'retentionDays',
      { retentionDays: 1.5 },
      'invalid retentionDays: got 1.5, expected an integer from 1 to 36500',
    ],
    ['prefix', { prefix: '/postgres' }, 'invalid prefix: got "/postgres", expected an object key prefix'],
    ['prefix', { prefix: 'a/../b' }, 'invalid prefix: got "a/../b", expected an object key prefix'],
    ['bucket', { bucket: 'Floe_Backups' }, 'invalid bucket: got "Floe_Backups", expected an S3 bucket name'],
    [
      'instance',
      { instance: 'x'.repeat(46) },
      `invalid instance: got "${'x'.repeat(46)}", expected a DNS-1123 label`,
    ],
    [
      'dumpImage.tag',
      { dumpImage: { tag: 'latest' } },
      'invalid dumpImage.tag: got "latest", expected a pinned tag',
    ],
    [
      'resources.limits.memory',
      { resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: 'lots' } } },
      'invalid resources.limits.memory: got "lots"',
    ],
  ])('rejects a bad %s naming the field, the value and what is allowed', (field, overrides, message) => {
    const error = thrownValidationError(() => standalone(overrides));
    expect(error.field).toBe(field);
    expect(error.message).toContain(`test/catalog-db-backup: ${message}`);
  });
});

describe('FloePlatform backups', () => {
  test('on by default: one CronJob per in-cluster database, to bucket floe-backups on MinIO', () => {
    const { platform: p, objects } = platform({ lineage: Marquez.provider() });
    expect(cronJobNames(objects)).toEqual([
      'catalog-db-backup',
      'lineage-db-backup',
      'orchestrator-db-backup',
    ]);
    expect(Object.keys(p.backups).sort()).toEqual(['catalog-db', 'lineage-db', 'orchestrator-db']);
    for (const [instance, backup] of Object.entries(p.backups)) {
      expect(backup.database).toBe(p.databases[instance]);
      expect(backup.storage).toBe(p.storage);
      expect(backup.location).toBe(`s3://floe-backups/postgres/${instance}/`);
      expect(backup.schedule).toBe('0 */6 * * *');
      expect(backup.createBucket).toBe(true);
    }
    const upload = container(findObject(objects, 'CronJob', 'lineage-db-backup'), 'upload');
    expect(envValue(upload, 'S3_ENDPOINT')).toBe(p.storage.endpoint);
  });

  test('backs up external databases too', () => {
    const { objects } = platform({
      externalDatabases: {
        'orchestrator-db': {
          host: 'pg.example.internal',
          passwordSecret: { name: 'dagster-pg', key: 'postgresql-password' },
        },
      },
    });
    expect(cronJobNames(objects)).toEqual(['catalog-db-backup', 'orchestrator-db-backup']);
    const dump = container(findObject(objects, 'CronJob', 'orchestrator-db-backup'), 'dump');
    expect(envValue(dump, 'PGHOST')).toBe('pg.example.internal');
    expect(envMap(dump).PGPASSWORD).toEqual({
      secretKeyRef: { name: 'dagster-pg', key: 'postgresql-password' },
    });
  });

  test('with external storage, writes to the warehouse bucket and does not try to create it', () => {
    const { platform: p, objects } = platform({
      storage: ExternalS3.provider({ region: 'eu-west-1', bucket: 'acme-lakehouse', ...AWS_KEYS }),
    });
    const upload = container(findObject(objects, 'CronJob', 'catalog-db-backup'), 'upload');
    expect(envValue(upload, 'S3_BUCKET')).toBe('acme-lakehouse');
    expect(envValue(upload, 'S3_CREATE_BUCKET')).toBe('false');
    expect(p.backups['catalog-db'].location).toBe('s3://acme-lakehouse/postgres/catalog-db/');
  });

  test('an S3 bucket given by prop replaces the platform storage, and its Secret is listed', () => {
    const { platform: p, objects } = platform({
      backups: {
        s3: {
          endpoint: 'https://objects.example.com',
          region: 'eu-central-1',
          bucket: 'acme-db-backups',
          pathStyleAccess: true,
          ...AWS_KEYS,
        },
        schedule: '15 */4 * * *',
        timeZone: 'UTC',
        retentionDays: 14,
        prefix: 'floe',
      },
    });
    const cj = findObject(objects, 'CronJob', 'orchestrator-db-backup');
    expect(get(cj, 'spec.schedule')).toBe('15 */4 * * *');
    expect(get(cj, 'spec.timeZone')).toBe('UTC');
    const upload = envMap(container(cj, 'upload'));
    expect(upload).toMatchObject({
      S3_ENDPOINT: 'https://objects.example.com',
      S3_REGION: 'eu-central-1',
      S3_PATH_STYLE: 'on',
      S3_BUCKET: 'acme-db-backups',
      S3_CREATE_BUCKET: 'false',
      BACKUP_PREFIX: 'floe/orchestrator-db',
      RETENTION_DAYS: '14',
      S3_ACCESS_KEY_ID: { secretKeyRef: { name: 'backup-s3', key: 'access-key-id' } },
    });
    expect(p.backups['orchestrator-db'].storageEndpoint).toBeUndefined();
    expect(p.requiredSecrets.find((s) => s.name === 'backup-s3')?.keys).toEqual([
      'access-key-id',
      'secret-access-key',
    ]);
    expect(validateObjects(objects)).toEqual([]);
    expect(
      checkPolicy(objects, {
        prerequisiteSecrets: p.requiredSecrets.map((s) => s.name),
        prerequisiteConfigMaps: p.requiredConfigMaps,
      }),
    ).toEqual([]);
  });

  test('`false` turns them off: no CronJob, no backup Secret', () => {
    const on = platform({ backups: { s3: { region: 'eu-west-1', bucket: 'acme-db-backups', ...AWS_KEYS } } });
    const off = platform({ backups: false });
    expect(cronJobNames(off.objects)).toEqual([]);
    expect(off.platform.backups).toEqual({});
    expect(on.platform.requiredSecrets.map((s) => s.name)).toContain('backup-s3');
    expect(off.platform.requiredSecrets.map((s) => s.name)).not.toContain('backup-s3');
    // Everything else is unchanged, but for the NetworkPolicies that let the backups reach the
    // databases: with backups off no policy mentions a backup pod.
    const base = platform({ backups: false }).objects;
    const notBackup = (o: K8sObject): boolean =>
      o.kind !== 'NetworkPolicy' && o.metadata.labels?.['app.kubernetes.io/name'] !== 'postgres-backup';
    expect(on.objects.filter(notBackup)).toEqual(base.filter(notBackup));
    expect(JSON.stringify(on.objects.filter((o) => o.kind === 'NetworkPolicy'))).toContain('postgres-backup');
    expect(JSON.stringify(base.filter((o) => o.kind === 'NetworkPolicy'))).not.toContain('postgres-backup');
  });

  test('a domain on shared services backs up its own databases with the shared storage keys', () => {
    const app = Testing.app();
    const enterprise = new FloePlatform(app, 'acme', { orchestrator: 'none', semantic: 'none' });
    const domain = new FloePlatform(app, 'sales', { namespace: 'floe-sales', sharedServices: enterprise });
    const objects = Testing.synth(domain) as K8sObject[];
    expect(cronJobNames(objects)).toEqual(['orchestrator-db-backup']);
    expect(cronJobNames(Testing.synth(enterprise) as K8sObject[])).toEqual(['catalog-db-backup']);
    expect(domain.requiredSecrets.map((s) => s.name)).toEqual(
      expect.arrayContaining(['minio-credentials', 'orchestrator-db-credentials']),
    );
    expect(validateObjects(objects)).toEqual([]);
  });

  test.each<[string, FloePlatformProps, string, string]>([
    [
      'bucket and s3 together',
      { backups: { bucket: 'x-backups', s3: { region: 'eu-west-1', bucket: 'y-backups', ...AWS_KEYS } } },
      'bucket',
      'platform/backups: invalid bucket: got "x-backups", expected unset when s3 is given',
    ],
    [
      'a bad S3 target',
      { backups: { s3: { region: 'eu-west-1', bucket: 'y-backups', endpoint: 'ftp://x', ...AWS_KEYS } } },
      'endpoint',
      'platform/backups.s3: invalid endpoint: got "ftp://x"',
    ],
    [
      'a bad schedule',
      { backups: { schedule: '@every 6h' } },
      'schedule',
      'platform/backups/catalog-db: invalid schedule: got "@every 6h"',
    ],
  ])('rejects %s', (_name, props, field, message) => {
    const error = thrownValidationError(() => platform(props));
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
  });
});

// ---------------------------------------------------------------------------------------------
// The scripts themselves, run with bash exactly as the containers run them, against stubs.
// ---------------------------------------------------------------------------------------------

/** What `pg_dump` prints in the runs below: enough to fill pipe buffers several times. */
const DUMP = Array.from(
  { length: 30000 },
  (_, i) => `INSERT INTO runs VALUES (${i}, '${((i * 2654435761) % 4294967296).toString(36)}');`,
).join('\n');

const SECRETS: Record<string, string> = {
  'catalog-db-credentials/postgresql-password': 'pg-secret-#1',
  'minio-credentials/rootUser': 'floe-admin',
  'minio-credentials/rootPassword': 'mc/secret+key:with@signs',
};

/** `pg_dump`: records its arguments and libpq variables, prints DUMP; fails after it if asked. */
const STUB_PG_DUMP = `#!/bin/bash
printf '%s\\n' "$*" > "$STUB_LOG/pg_dump.args"
printf '%s %s %s %s %s\\n' "$PGHOST" "$PGPORT" "$PGDATABASE" "$PGUSER" "$PGPASSWORD" > "$STUB_LOG/pg_dump.env"
cat "$STUB_DUMP_FILE"
if [ -n "\${STUB_PG_DUMP_FAIL:-}" ]; then echo "pg_dump: error: query failed" >&2; exit 1; fi
`;

/**
 * \`mc\`: a bucket is a directory under $STUB_STORE. Records every call (without --config-dir) in
 * mc.log; \`alias set\` records what it read on stdin in the config dir, which later calls require.
 */
const STUB_MC = `#!/bin/bash
set -euo pipefail
[ "$1" = --config-dir ] || { echo "mc stub: --config-dir must come first" >&2; exit 2; }
conf="$2"; shift 2
printf '%s\\n' "$*" >> "$STUB_LOG/mc.log"
local_path() {
  case "$1" in target/*) printf '%s/%s' "$STUB_STORE" "\${1#target/}" ;; *) echo "mc stub: unknown alias: $1" >&2; exit 2 ;; esac
}
cmd="$1"; shift
[ "$cmd" = alias ] || [ -f "$conf/alias" ] || { echo "mc stub: no alias configured" >&2; exit 2; }
case "$cmd" in
  alias)
    read -r key; read -r secret
    printf '%s\\n%s\\n%s\\n' "\${@: -1}" "$key" "$secret" > "$conf/alias"
    if [ -n "\${STUB_MC_ALIAS_FAIL:-}" ]; then echo "mc: <ERROR> Unable to initialize new alias" >&2; exit 1; fi ;;
  mb) mkdir -p "$(local_path "\${@: -1}")" ;;
  pipe)
    dest="$(local_path "\${@: -1}")"; mkdir -p "$(dirname "$dest")"
    if [ -n "\${STUB_MC_PIPE_FAIL:-}" ]; then head -c 1000 > /dev/null; echo "mc: <ERROR> upload failed" >&2; exit 1; fi
    cat > "$dest" ;;
  mv) mv "$(local_path "\${@: -2:1}")" "$(local_path "\${@: -1}")" ;;
  rm) if [ "$1" != --recursive ]; then rm "$(local_path "\${@: -1}")"; fi ;;
  *) echo "mc stub: unexpected command $cmd" >&2; exit 2 ;;
esac
`;

const BASH_PRESENT = fs.existsSync('/bin/bash');
/** Debian's busybox, when installed: the dump container's tools then are the ones Alpine has. */
const BUSYBOX = ['/usr/bin/busybox', '/bin/busybox'].find((p) => fs.existsSync(p));
const DUMP_APPLETS = ['gzip', 'mkfifo', 'mv', 'sleep'];

/**
 * What the kubelet does to a container's command before running it: `$(NAME)` of a variable the
 * container defines becomes its value, `$$` becomes `$`, anything else stays (Kubernetes'
 * third_party/forked/golang/expansion).
 */
function kubernetesExpand(input: string, vars: Record<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    if (input[i] !== '$' || i + 1 >= input.length) {
      out += input[i];
    } else if (input[i + 1] === '$') {
      out += '$';
      i += 1;
    } else if (input[i + 1] === '(' && input.indexOf(')', i + 2) !== -1) {
      const close = input.indexOf(')', i + 2);
      const name = input.slice(i + 2, close);
      out += name in vars ? vars[name] : `$(${name})`;
      i = close;
    } else {
      out += input[i];
    }
  }
  return out;
}

interface Run {
  dump: number | null;
  upload: number | null;
  /** Files in the fake S3 store, relative to it. */
  objects: string[];
  /** Every `mc` call, in order, without the leading `--config-dir <dir>`. */
  mc: string[];
  /** What the `mc alias set` stub read: URL, access key, secret key. */
  alias: string[];
  pgDumpArgs?: string;
  pgDumpEnv?: string;
  store: string;
  stderr: string;
}

function listFiles(dir: string, prefix = ''): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
    );
}

function readIfExists(file: string): string | undefined {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
}

/** Exits with its code, or is killed after two minutes so a hung protocol fails the test instead of jest. */
function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code) => {
      clearTimeout(guard);
      resolve(code);
    });
  });
}

/**
 * Runs the dump and upload containers of the backup CronJob `cj` as processes: the exact command
 * and env of the manifest, with Secret values filled in, each volume mount path (in the env) mapped
 * to a temporary directory, and stub `pg_dump` and `mc` first on PATH. gzip is the real one.
 */
async function runBackup(cj: K8sObject, stubEnv: Record<string, string> = {}): Promise<Run> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-backup-'));
  RUN_DIRS.push(root);
  const dirs = {
    bin: 'bin',
    applets: 'applets',
    log: 'log',
    store: 'store',
    work: 'work',
    mcConfig: 'mc-config',
  };
  const at = Object.fromEntries(Object.entries(dirs).map(([k, d]) => [k, path.join(root, d)])) as typeof dirs;
  Object.values(at).forEach((d) => fs.mkdirSync(d));
  fs.writeFileSync(path.join(at.bin, 'pg_dump'), STUB_PG_DUMP, { mode: 0o755 });
  fs.writeFileSync(path.join(at.bin, 'mc'), STUB_MC, { mode: 0o755 });
  if (BUSYBOX !== undefined) {
    // The postgres image is Alpine: its gzip, mkfifo, mv and sleep are busybox applets.
    for (const applet of DUMP_APPLETS) fs.symlinkSync(BUSYBOX, path.join(at.applets, applet));
  }
  const dumpFile = path.join(root, 'dump.sql');
  fs.writeFileSync(dumpFile, DUMP);
  const volumeDirs: Record<string, string> = { work: at.work, 'mc-config': at.mcConfig };

  const stderr: string[] = [];
  const start = (c: Json): ChildProcess => {
    const mounts = new Map(
      asArray(c.volumeMounts)
        .map(asJson)
        .map((m) => [String(m.mountPath), volumeDirs[String(m.name)]]),
    );
    const env: Record<string, string> = {
      PATH: c.name === 'dump' ? `${at.bin}:${at.applets}:/usr/bin:/bin` : `${at.bin}:/usr/bin:/bin`,
      STUB_LOG: at.log,
      STUB_STORE: at.store,
      STUB_DUMP_FILE: dumpFile,
      ...stubEnv,
    };
    for (const e of envVars(c)) {
      const ref = e.valueFrom?.secretKeyRef as { name: string; key: string } | undefined;
      const value = ref ? SECRETS[`${ref.name}/${ref.key}`] : (e.value ?? '');
      if (value === undefined) throw new Error(`no test value for ${e.name}`);
      env[e.name] = mounts.get(value) ?? value;
    }
    const [command, ...args] = (c.command as string[]).map((part) => kubernetesExpand(part, env));
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => stderr.push(`${String(c.name)}: ${d.toString()}`));
    return child;
  };
  const [dump, upload] = await Promise.all([
    exitCode(start(container(cj, 'dump'))),
    exitCode(start(container(cj, 'upload'))),
  ]);
  return {
    dump,
    upload,
    objects: listFiles(at.store),
    mc: (readIfExists(path.join(at.log, 'mc.log')) ?? '').split('\n').filter((l) => l !== ''),
    alias: (readIfExists(path.join(at.mcConfig, 'alias')) ?? '').split('\n').filter((l) => l !== ''),
    pgDumpArgs: readIfExists(path.join(at.log, 'pg_dump.args'))?.trim(),
    pgDumpEnv: readIfExists(path.join(at.log, 'pg_dump.env'))?.trim(),
    store: at.store,
    stderr: stderr.join(''),
  };
}

const describeScripts = BASH_PRESENT ? describe : describe.skip;
if (!BASH_PRESENT) {
  console.warn('skipping the backup script runs: /bin/bash, which the containers run them with, is missing');
}

const SCRIPT_TIMEOUT = 150_000;
/** Temporary directories of the runs, removed after the tests. */
const RUN_DIRS: string[] = [];
afterAll(() => RUN_DIRS.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describeScripts('backup scripts, run with bash against stub pg_dump and mc', () => {
  const cj = cronJob({ retentionDays: 7 });
  const key = /^floe-backups\/postgres\/catalog-db\/\d{8}T\d{6}Z\.sql\.gz$/;

  test(
    'a good run uploads the gzip of the dump under a dated key, then applies the retention',
    async () => {
      const run = await runBackup(cj);
      expect([run.dump, run.upload, run.stderr]).toEqual([0, 0, '']);
      expect(run.objects).toHaveLength(1);
      expect(run.objects[0]).toMatch(key);
      expect(gunzipSync(fs.readFileSync(path.join(run.store, run.objects[0]))).toString()).toBe(DUMP);

      expect(run.pgDumpArgs).toBe('--no-password --clean --if-exists');
      expect(run.pgDumpEnv).toBe(
        'catalog-db.floe-platform.svc.cluster.local 5432 polaris polaris pg-secret-#1',
      );
      expect(run.alias).toEqual([
        'http://minio.floe-platform.svc.cluster.local:9000',
        'floe-admin',
        'mc/secret+key:with@signs',
      ]);
      const final = `target/${run.objects[0]}`;
      expect(run.mc).toEqual([
        'alias set --api S3v4 --path on target http://minio.floe-platform.svc.cluster.local:9000',
        'mb --ignore-existing --region us-east-1 target/floe-backups',
        `pipe --quiet --part-size 64MiB ${final}.partial`,
        `mv --quiet ${final}.partial ${final}`,
        'rm --recursive --force --older-than 7d target/floe-backups/postgres/catalog-db/',
      ]);
      // The keys never reach a command line.
      expect(run.mc.join('\n')).not.toContain('floe-admin');
    },
    SCRIPT_TIMEOUT,
  );

  test(
    'a failing pg_dump fails the Job and leaves no object behind',
    async () => {
      const run = await runBackup(cj, { STUB_PG_DUMP_FAIL: '1' });
      expect(run.dump).not.toBe(0);
      expect(run.upload).not.toBe(0);
      expect(run.objects).toEqual([]);
      const partial = run.mc
        .find((c) => c.startsWith('pipe '))
        ?.split(' ')
        .pop();
      expect(partial).toMatch(/\.sql\.gz\.partial$/);
      expect(run.mc.slice(-1)).toEqual([`rm ${partial}`]);
      expect(run.mc.filter((c) => c.startsWith('mv ') || c.includes('--older-than'))).toEqual([]);
      expect(run.stderr).toContain('the dump failed with exit status 1');
    },
    SCRIPT_TIMEOUT,
  );

  test(
    'an upload that fails midway fails the dump too and writes no final object',
    async () => {
      const run = await runBackup(cj, { STUB_MC_PIPE_FAIL: '1' });
      expect(run.dump).not.toBe(0);
      expect(run.upload).not.toBe(0);
      expect(run.objects.filter((o) => key.test(o))).toEqual([]);
      expect(run.mc.filter((c) => c.startsWith('mv ') || c.includes('--older-than'))).toEqual([]);
    },
    SCRIPT_TIMEOUT,
  );

  test(
    'an uploader that cannot reach the storage stops the dump before it starts',
    async () => {
      const run = await runBackup(cj, { STUB_MC_ALIAS_FAIL: '1' });
      expect(run.dump).not.toBe(0);
      expect(run.upload).not.toBe(0);
      expect(run.pgDumpArgs).toBeUndefined();
      expect(run.objects).toEqual([]);
      expect(run.stderr).toContain('the upload container failed before the dump started');
    },
    SCRIPT_TIMEOUT,
  );
});
