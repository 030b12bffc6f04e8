import { spawnSync } from 'child_process';
import * as path from 'path';
import { Chart } from 'cdk8s';
import { parse } from 'yaml';
import { ExternalPostgres } from '../src/plugins/database/external-postgres';
import { PostgreSQL } from '../src/plugins/database/postgres';
import { Dagster } from '../src/plugins/orchestrator/dagster';
import {
  DagsterMetricsExporter,
  DagsterMetricsExporterProps,
} from '../src/plugins/orchestrator/dagster-metrics-exporter';
import { PostgresDatabasePlugin } from '../src/plugins/interfaces';
import {
  asArray,
  asJson,
  configMapFile,
  envVars,
  Json,
  thrownMessage,
  workloadContainer,
} from './support/helpers';
import { validateObjects } from './support/k8s-schema';
import { checkPolicy } from './support/policy';
import { findObject, get, K8sObject, synthBuilt } from './support/synth';

const DB_SECRET = 'orchestrator-db-credentials';

function build(
  props: Partial<DagsterMetricsExporterProps> = {},
  db: (chart: Chart) => PostgresDatabasePlugin = (chart) =>
    new PostgreSQL(chart, 'orchestrator-db', { database: 'dagster', username: 'dagster' }),
): { objects: K8sObject[]; exporter: DagsterMetricsExporter } {
  const { objects, built } = synthBuilt(
    (chart) => new DagsterMetricsExporter(chart, 'metrics', { database: db(chart), ...props }),
  );
  return { objects, exporter: built };
}

interface MetricConfig {
  metric_name: string;
  type: string;
  key_labels?: string[];
  values: string[];
  query: string;
}

function config(objects: K8sObject[]): Json {
  return asJson(parse(configMapFile(objects, 'dagster-metrics', 'sql_exporter.yml')));
}

function metrics(objects: K8sObject[]): MetricConfig[] {
  return asArray(config(objects).collectors)
    .map(asJson)
    .flatMap((c) => asArray(c.metrics) as MetricConfig[]);
}

describe('DagsterMetricsExporter', () => {
  test('default instance matches snapshot', () => {
    expect(build().objects).toMatchSnapshot();
  });

  test('sql_exporter on 9399, configured by a mounted file, reading the password from the Secret', () => {
    const { objects, exporter } = build();
    const c = workloadContainer(objects, 'Deployment', 'dagster-metrics');
    expect(c.image).toBe('docker.io/burningalchemist/sql_exporter:0.24.6');
    expect(c.args).toEqual([
      '--config.file=/etc/sql-exporter/sql_exporter.yml',
      '--web.listen-address=:9399',
    ]);
    expect(envVars(c)).toEqual([
      { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: DB_SECRET, key: 'postgresql-password' } } },
    ]);
    expect(get(c, 'securityContext.runAsUser')).toBe(65534);
    expect(get(c, 'readinessProbe.httpGet')).toEqual({ path: '/healthz', port: 'metrics' });
    const target = asJson(config(objects).target);
    expect(target.data_source_name).toBe(
      'postgres://dagster@orchestrator-db.floe-platform.svc.cluster.local:5432/dagster?sslmode=disable',
    );
    expect(target.collectors).toEqual(['dagster_runs', 'dagster_daemons']);
    expect(exporter.requiredSecrets.map((s) => `${s.name}:${s.keys.join(',')}`)).toEqual([
      `${DB_SECRET}:postgresql-password`,
    ]);
    const svc = findObject(objects, 'Service', 'dagster-metrics');
    expect(get(svc, 'spec.ports')).toEqual([
      { name: 'metrics', port: 9399, targetPort: 'metrics', protocol: 'TCP', appProtocol: 'http' },
    ]);
    expect(exporter.metricsEndpoints).toEqual([
      {
        serviceName: 'dagster-metrics',
        identity: exporter.identity,
        portName: 'metrics',
        port: 9399,
        path: '/metrics',
      },
    ]);
    expect(
      get(findObject(objects, 'Deployment', 'dagster-metrics'), 'spec.template.spec.initContainers.0.name'),
    ).toBe('wait-for-database');
  });

  test('the docs metric names, with the run queries cached for runQueryInterval', () => {
    const { objects } = build({ runQueryInterval: '5m' });
    expect(metrics(objects).map((m) => `${m.metric_name} ${m.type}`)).toEqual([
      'dagster_runs_failed_total counter',
      'dagster_runs_succeeded_total counter',
      'dagster_runs_queued gauge',
      'dagster_runs_in_progress gauge',
      'dagster_runs_duration_seconds_bucket counter',
      'dagster_runs_duration_seconds_sum counter',
      'dagster_runs_duration_seconds_count counter',
      'dagster_daemon_heartbeat_age_seconds gauge',
    ]);
    const collectors = asArray(config(objects).collectors).map(asJson);
    expect(collectors.map((c) => [c.collector_name, c.min_interval])).toEqual([
      ['dagster_runs', '5m'],
      ['dagster_daemons', undefined],
    ]);
  });

  test('an external database is required to use TLS, and no password is ever in the configuration', () => {
    const { objects } = build({}, () =>
      ExternalPostgres.fromEndpoint({
        host: 'pg.example.internal',
        database: 'dagster',
        username: 'dagster',
        passwordSecret: { name: 'dagster-pg', key: 'postgresql-password' },
      }),
    );
    expect(asJson(config(objects).target).data_source_name).toBe(
      'postgres://dagster@pg.example.internal:5432/dagster?sslmode=require',
    );
    expect(JSON.stringify(objects)).not.toMatch(/password=|:[^@/]*@pg\.example/);
  });

  test('passes the strict schema and the policy check', () => {
    const { objects } = build();
    expect(validateObjects(objects)).toEqual([]);
    expect(checkPolicy(objects, { prerequisiteSecrets: [DB_SECRET] })).toEqual([]);
  });

  test('rejects a bad runQueryInterval and a bad name', () => {
    expect(thrownMessage(() => build({ runQueryInterval: '1 minute' }))).toContain(
      'invalid runQueryInterval: got "1 minute"',
    );
    expect(thrownMessage(() => build({ name: 'Dagster_Metrics' }))).toContain(
      'invalid name: got "Dagster_Metrics"',
    );
  });

  test('Dagster runs it by default and exposes it; metricsExporter: false turns it off', () => {
    const make = (props: { metricsExporter?: false }): Dagster =>
      synthBuilt(
        (chart) =>
          new Dagster(chart, 'orchestrator', {
            database: new PostgreSQL(chart, 'orchestrator-db', { database: 'dagster', username: 'dagster' }),
            ...props,
          }),
      ).built;
    const on = make({});
    expect(on.metricsExporter?.deployment.name).toBe('dagster-metrics');
    expect(on.metricsEndpoints.map((e) => e.serviceName)).toEqual(['dagster-metrics']);
    const off = make({ metricsExporter: false });
    expect(off.metricsExporter).toBeUndefined();
    expect(off.metricsEndpoints).toEqual([]);
  });
});

/**
 * The exporter's queries, run on a real PostgreSQL (PGlite, PostgreSQL compiled to WebAssembly, in
 * its own process: see test/support/pglite-run.js) with the columns of Dagster's run storage they
 * read, as Dagster 1.13's schema declares them (dagster/_core/storage/runs/schema.py):
 * `runs.status` String(63), `start_time`/`end_time` Float (unix seconds),
 * `daemon_heartbeats.daemon_type` String(255) unique, `timestamp` TIMESTAMP.
 */
describe('the exporter queries on a PostgreSQL with Dagster run storage tables', () => {
  const queries = new Map(metrics(build().objects).map((m) => [m.metric_name, m]));
  const SCHEMA = `
    CREATE TABLE runs (
      id BIGSERIAL PRIMARY KEY,
      run_id VARCHAR(255) UNIQUE,
      pipeline_name TEXT,
      status VARCHAR(63),
      run_body TEXT,
      create_timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
      update_timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
      start_time DOUBLE PRECISION,
      end_time DOUBLE PRECISION
    );
    CREATE TABLE daemon_heartbeats (
      id BIGSERIAL PRIMARY KEY,
      daemon_type VARCHAR(255) UNIQUE NOT NULL,
      daemon_id VARCHAR(255),
      timestamp TIMESTAMP NOT NULL,
      body TEXT
    );`;
  const RUN_METRICS = [
    'dagster_runs_failed_total',
    'dagster_runs_duration_seconds_bucket',
    'dagster_runs_duration_seconds_sum',
    'dagster_runs_duration_seconds_count',
  ];
  const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York'];
  const start = 1_700_000_000;
  const run = (id: string, status: string, seconds?: number): string =>
    `('${id}', 'job', '${status}', ${seconds === undefined ? 'NULL' : start}, ${
      seconds === undefined ? 'NULL' : start + seconds
    })`;
  type Step = { exec: string } | { query: string };
  const query = (metric: string): Step => {
    const m = queries.get(metric);
    if (m === undefined) throw new Error(`no metric ${metric}`);
    return { query: m.query };
  };
  const steps: Step[] = [
    { exec: SCHEMA },
    ...RUN_METRICS.map(query),
    {
      exec:
        'INSERT INTO runs (run_id, pipeline_name, status, start_time, end_time) VALUES ' +
        [
          run('a', 'SUCCESS', 30),
          run('b', 'FAILURE', 400),
          run('c', 'FAILURE', 4000),
          run('d', 'CANCELED', 90000),
          run('e', 'STARTED'), // running: no end_time
          run('f', 'FAILURE'), // failed before it started: a failure without a duration
        ].join(', '),
    },
    ...RUN_METRICS.map(query),
    // Dagster inserts a timezone-aware UTC datetime (psycopg2 sends it as timestamptz) into the
    // timestamp column; PostgreSQL stores it as wall time in the session's time zone.
    ...ZONES.flatMap((zone): Step[] => [
      {
        exec:
          `SET TIME ZONE '${zone}'; DELETE FROM daemon_heartbeats; ` +
          'INSERT INTO daemon_heartbeats (daemon_type, daemon_id, timestamp) VALUES ' +
          "('SCHEDULER', 'x', (now() - interval '20 seconds')::timestamptz), " +
          "('SENSOR', 'x', (now() - interval '150 seconds')::timestamptz);",
      },
      query('dagster_daemon_heartbeat_age_seconds'),
    ]),
  ];
  // The status counts, appended so the indexes above stay: on the runs inserted above (a SUCCESS,
  // three FAILURE, a CANCELED, a STARTED) plus runs in every other status.
  const STATUS_METRICS = ['dagster_runs_succeeded_total', 'dagster_runs_queued', 'dagster_runs_in_progress'];
  const statusStart = steps.length;
  steps.push(
    ...STATUS_METRICS.map(query),
    {
      exec:
        'INSERT INTO runs (run_id, pipeline_name, status, start_time, end_time) VALUES ' +
        [
          run('g', 'QUEUED'),
          run('h', 'QUEUED'),
          run('i', 'NOT_STARTED'),
          run('j', 'MANAGED'),
          run('k', 'STARTING'),
          run('l', 'CANCELING'),
          run('m', 'SUCCESS', 10),
        ].join(', '),
    },
    ...STATUS_METRICS.map(query),
  );
  type Result = { fields: string[]; rows: Record<string, unknown>[] } | null;
  let results: Result[] = [];

  beforeAll(() => {
    // --liftoff-only: V8 runs PostgreSQL's WebAssembly with its baseline compiler only, without
    // optimizing it in the background, which these few short queries never repay (about 0.5 s of
    // CPU less); what the queries return does not depend on the compiler tier.
    const child = spawnSync(
      process.execPath,
      ['--liftoff-only', path.join(__dirname, 'support', 'pglite-run.js')],
      {
        input: JSON.stringify(steps),
        encoding: 'utf8',
      },
    );
    if (child.status !== 0) throw new Error(`pglite-run failed: ${child.stderr}`);
    results = JSON.parse(child.stdout) as Result[];
  }, 120_000);

  /** Rows of the query at `index` in `steps`, after checking every column sql_exporter maps exists. */
  function rows(index: number): Record<string, unknown>[] {
    const step = steps[index];
    const result = results[index];
    if (step === undefined || !('query' in step) || !result) throw new Error(`step ${index} is not a query`);
    const m = [...queries.values()].find((q) => q.query === step.query);
    for (const column of [...(m?.key_labels ?? []), ...(m?.values ?? [])]) {
      expect(result.fields).toContain(column);
    }
    return result.rows;
  }
  const bucketsOf = (index: number): Record<string, number> =>
    Object.fromEntries(rows(index).map((r) => [String(r.le), Number(r.runs)]));

  test('an empty run storage: zero failures, every bucket 0 (+Inf included), zero sum and count', () => {
    expect(rows(1)).toEqual([{ runs: 0 }]);
    expect(bucketsOf(2)).toEqual({
      '60': 0,
      '300': 0,
      '600': 0,
      '1800': 0,
      '3600': 0,
      '7200': 0,
      '14400': 0,
      '28800': 0,
      '86400': 0,
      '+Inf': 0,
    });
    expect(rows(3)).toEqual([{ seconds: 0 }]);
    expect(rows(4)).toEqual([{ runs: 0 }]);
  });

  test('failures count FAILURE runs; durations are cumulative buckets of finished runs', () => {
    expect(rows(6)).toEqual([{ runs: 3 }]);
    expect(bucketsOf(7)).toEqual({
      '60': 1,
      '300': 1,
      '600': 2,
      '1800': 2,
      '3600': 2,
      '7200': 3,
      '14400': 3,
      '28800': 3,
      '86400': 3,
      '+Inf': 4,
    });
    expect(rows(8)).toEqual([{ seconds: 30 + 400 + 4000 + 90000 }]);
    expect(rows(9)).toEqual([{ runs: 4 }]);
  });

  test('succeeded counts SUCCESS runs; queued counts QUEUED; in progress STARTING, STARTED, CANCELING', () => {
    const counts = (from: number): number[] => STATUS_METRICS.map((_, i) => Number(rows(from + i)[0]?.runs));
    expect(counts(statusStart)).toEqual([1, 0, 1]);
    expect(counts(statusStart + STATUS_METRICS.length + 1)).toEqual([2, 2, 3]);
  });

  test('heartbeat age per daemon type, whatever the session time zone', () => {
    ZONES.forEach((zone, i) => {
      const ages = Object.fromEntries(
        rows(11 + 2 * i).map((r) => [r.daemon_type, Math.round(Number(r.age))]),
      );
      expect({ zone, ages }).toEqual({ zone, ages: { SCHEDULER: 20, SENSOR: 150 } });
    });
  });
});
