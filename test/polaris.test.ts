import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Chart, Testing } from 'cdk8s';
import { ExternalCatalog } from '../src/plugins/catalog/external-catalog';
import {
  Polaris,
  polarisCreateCatalogRequest,
  PolarisProps,
  renderProperties,
} from '../src/plugins/catalog/polaris';
import { ExternalPostgres } from '../src/plugins/database/external-postgres';
import { PostgreSQL } from '../src/plugins/database/postgres';
import { ObjectStoragePlugin, PostgresDatabasePlugin, TelemetryPlugin } from '../src/plugins/interfaces';
import { validateObjects } from './support/k8s-schema';
import { checkPolicy } from './support/policy';
import { findObject, get, K8sObject, synthChart } from './support/synth';

type Json = Record<string, unknown>;
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

const storage: ObjectStoragePlugin = {
  endpoint: 'http://minio.floe-platform.svc.cluster.local:9000',
  region: 'us-east-1',
  warehouseBucket: 'warehouse',
  pathStyleAccess: true,
  accessKeyId: { name: 'minio-credentials', key: 'root-user' },
  secretAccessKey: { name: 'minio-credentials', key: 'root-password' },
  requiredSecrets: [],
};

const telemetry: TelemetryPlugin = {
  otlpGrpcEndpoint: 'http://otel-collector.floe-platform.svc.cluster.local:4317',
  otlpHttpEndpoint: 'http://otel-collector.floe-platform.svc.cluster.local:4318',
  requiredSecrets: [],
};

const PREREQUISITE_SECRETS = [
  'catalog-db-credentials',
  'polaris-bootstrap-credentials',
  'minio-credentials',
  'polaris-token-keys',
];

/** Synthesizes the catalog database plus Polaris with the given props (storage and telemetry by default). */
function synth(
  props: Partial<PolarisProps> = {},
  opts: { storage?: boolean; telemetry?: boolean } = {},
): { objects: K8sObject[]; polaris: Polaris } {
  let polaris: Polaris | undefined;
  const objects = synthChart((chart) => {
    const db = new PostgreSQL(chart, 'catalog-db', { database: 'polaris', username: 'polaris' });
    polaris = new Polaris(chart, 'polaris', {
      database: db,
      ...(opts.storage === false ? {} : { storage }),
      ...(opts.telemetry === false ? {} : { telemetry }),
      ...props,
    });
  });
  if (!polaris) throw new Error('not built');
  return { objects, polaris };
}

function polarisObjects(objects: K8sObject[]): K8sObject[] {
  return objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/name'] === 'polaris');
}

function podSpec(objects: K8sObject[], kind = 'Deployment', name = 'polaris'): Json {
  return get(findObject(objects, kind, name), 'spec.template.spec') as Json;
}

function container(objects: K8sObject[], kind = 'Deployment', name = 'polaris'): Json {
  return (podSpec(objects, kind, name).containers as Json[])[0];
}

function envOf(c: Json): EnvVar[] {
  return (c.env as EnvVar[] | undefined) ?? [];
}

/** Minimal java.util.Properties reader: `key=value` lines, `\` escapes, `#`/`!` comments. */
function parseProperties(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^[ \t\f]+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    let i = 0;
    let key = '';
    while (i < line.length && !'=: \t\f'.includes(line[i])) {
      if (line[i] === '\\') i++;
      key += line[i];
      i++;
    }
    while (i < line.length && ' \t\f'.includes(line[i])) i++;
    if (line[i] === '=' || line[i] === ':') i++;
    while (i < line.length && ' \t\f'.includes(line[i])) i++;
    let value = '';
    while (i < line.length) {
      if (line[i] === '\\') i++;
      value += line[i];
      i++;
    }
    result[key] = value;
  }
  return result;
}

function properties(objects: K8sObject[]): Record<string, string> {
  const cm = findObject(objects, 'ConfigMap', 'polaris-config');
  return parseProperties((get(cm, 'data') as Record<string, string>)['application.properties']);
}

function expectError(fn: () => unknown, message: RegExp): void {
  expect(fn).toThrow(message);
}

/** The kubelet's handling of a literal env value: `$$` becomes `$` (no `$(VAR)` is defined here). */
function kubeletValue(value: string): string {
  return value.replace(/\$\$/g, '$');
}

function setupEnv(objects: K8sObject[]): EnvVar[] {
  return envOf(container(objects, 'Job', 'polaris-catalog-setup'));
}

function setupEnvValue(objects: K8sObject[], name: string): string {
  const v = setupEnv(objects).find((e) => e.name === name)?.value;
  if (v === undefined) throw new Error(`no plain env ${name}`);
  return kubeletValue(v);
}

function setupScript(objects: K8sObject[]): string {
  const command = container(objects, 'Job', 'polaris-catalog-setup').command as string[];
  expect(command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
  return command[2];
}

/** One request the fake curl received. */
interface CurlCall {
  argv: string[];
  method: string;
  url: string;
  headers: string[];
  form: Record<string, string>;
  body?: string;
}

const FAKE_CLIENT_ID = 'root-client';
// Characters that need URL-encoding or shell quoting, to show both are right.
const FAKE_CLIENT_SECRET = 's3cr&t+=/% $x';
const FAKE_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyb290In0.c2lnbmF0dXJl';

/**
 * A fake `curl` (node) that understands the options the script uses, records each request in
 * `$FAKE_CURL_DIR/log` (one JSON line) and answers from `$FAKE_CURL_DIR/responses.json`
 * (`{"METHOD /path": [status, body]}`), printing the status as `-w '%{http_code}\n'` would.
 */
const FAKE_CURL = `#!${process.execPath}
const fs = require('fs');
const path = require('path');
const dir = process.env.FAKE_CURL_DIR;
const args = process.argv.slice(2);
const call = { argv: args, headers: [], form: {} };
let out;
let format;
const skipValue = new Set(['--connect-timeout', '--max-time', '--retry', '--retry-delay']);
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '-sS' || a === '--retry-connrefused') continue;
  if (skipValue.has(a)) { i++; continue; }
  if (a === '-o') { out = args[++i]; continue; }
  if (a === '-w') { format = args[++i]; continue; }
  if (a === '-X') { call.method = args[++i]; continue; }
  if (a === '-H') {
    const v = args[++i];
    if (v.startsWith('@')) call.headers.push(...fs.readFileSync(v.slice(1), 'utf8').split('\\n').filter(Boolean));
    else call.headers.push(v);
    continue;
  }
  if (a === '--data-urlencode') {
    const m = /^([^=@]*)([=@])([\\s\\S]*)$/.exec(args[++i]);
    call.form[m[1]] = m[2] === '@' ? fs.readFileSync(m[3], 'utf8') : m[3];
    continue;
  }
  if (a === '--data-binary') {
    const v = args[++i];
    call.body = v.startsWith('@') ? fs.readFileSync(v.slice(1), 'utf8') : v;
    continue;
  }
  if (a.startsWith('-')) { process.stderr.write('fake curl: unexpected option ' + a + '\\n'); process.exit(2); }
  call.url = a;
}
call.method = call.method || (Object.keys(call.form).length > 0 || call.body !== undefined ? 'POST' : 'GET');
fs.appendFileSync(path.join(dir, 'log'), JSON.stringify(call) + '\\n');
if (!out || format !== '%{http_code}\\\\n') { process.stderr.write('fake curl: expected -o and -w\\n'); process.exit(2); }
const responses = JSON.parse(fs.readFileSync(path.join(dir, 'responses.json'), 'utf8'));
const [status, body] = responses[call.method + ' ' + new URL(call.url).pathname] || [404, '{"error":"no such fake"}'];
fs.writeFileSync(out, body);
process.stdout.write(status + '\\n');
`;

const TOKEN_PATH = 'POST /api/catalog/v1/oauth/tokens';
const CREATE_PATH = 'POST /api/management/v1/catalogs';
const GRANT_PATH = 'PUT /api/management/v1/catalogs/floe/catalog-roles/catalog_admin/grants';
const OK_RESPONSES: Record<string, [number, string]> = {
  [TOKEN_PATH]: [
    200,
    `{"access_token":"${FAKE_TOKEN}","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"bearer","expires_in":3600}`,
  ],
  [CREATE_PATH]: [201, '{"type":"INTERNAL","name":"floe"}'],
  [GRANT_PATH]: [201, ''],
};

/** Runs the Job's script with the manifest's env, the test credentials and the fake curl on PATH. */
function runCatalogSetup(
  objects: K8sObject[],
  responses: Record<string, [number, string]>,
): { status: number | null; stdout: string; stderr: string; calls: CurlCall[]; workDir: string } {
  const root = mkdtempSync(join(tmpdir(), 'polaris-catalog-setup-'));
  const bin = join(root, 'bin');
  const workDir = join(root, 'work');
  spawnSync('mkdir', [bin, workDir]);
  writeFileSync(join(bin, 'curl'), FAKE_CURL);
  chmodSync(join(bin, 'curl'), 0o755);
  writeFileSync(join(root, 'responses.json'), JSON.stringify(responses));
  writeFileSync(join(root, 'log'), '');
  const env: Record<string, string> = {
    PATH: `${bin}:/usr/bin:/bin`,
    FAKE_CURL_DIR: root,
    ROOT_CLIENT_ID: FAKE_CLIENT_ID,
    ROOT_CLIENT_SECRET: FAKE_CLIENT_SECRET,
  };
  for (const e of setupEnv(objects)) {
    if (e.value !== undefined) env[e.name] = kubeletValue(e.value);
  }
  env.SETUP_DIR = workDir;
  const run = spawnSync('sh', ['-c', setupScript(objects)], { env, encoding: 'utf8', timeout: 20000 });
  const calls = readFileSync(join(root, 'log'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as CurlCall);
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, calls, workDir };
}

describe('Polaris', () => {
  test('default instance matches snapshot', () => {
    expect(polarisObjects(synth().objects)).toMatchSnapshot();
  });

  test('one replica without storage, telemetry or autoscaling matches snapshot', () => {
    expect(
      polarisObjects(
        synth({ replicas: 1, autoscaling: false }, { storage: false, telemetry: false }).objects,
      ),
    ).toMatchSnapshot();
  });

  test('passes the Kubernetes 1.28 schema and the restricted/reference policy', () => {
    for (const variant of [
      synth(),
      synth({ replicas: 1, autoscaling: false }, { storage: false, telemetry: false }),
    ]) {
      expect(validateObjects(variant.objects)).toEqual([]);
      expect(checkPolicy(variant.objects, { prerequisiteSecrets: PREREQUISITE_SECRETS })).toEqual([]);
    }
  });

  test('runs apache/polaris 1.7.0 as polaris (10000:10001) with a read-only root and /tmp', () => {
    const { objects } = synth();
    const c = container(objects);
    expect(c.image).toBe('docker.io/apache/polaris:1.7.0');
    expect(get(c, 'securityContext.runAsUser')).toBe(10000);
    expect(get(c, 'securityContext.runAsGroup')).toBe(10001);
    expect(get(c, 'securityContext.readOnlyRootFilesystem')).toBe(true);
    expect(get(podSpec(objects), 'securityContext.fsGroup')).toBe(10001);
    expect(c.volumeMounts).toEqual([
      { name: 'config', mountPath: '/deployments/config', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    expect(podSpec(objects).volumes).toContainEqual({ name: 'tmp', emptyDir: {} });
    // The autoscaler owns the replica count: 2 to 4 pods.
    expect(get(findObject(objects, 'Deployment', 'polaris'), 'spec.replicas')).toBeUndefined();
    const hpa = findObject(objects, 'HorizontalPodAutoscaler', 'polaris');
    expect([get(hpa, 'spec.minReplicas'), get(hpa, 'spec.maxReplicas')]).toEqual([2, 4]);
    expect(get(findObject(objects, 'PodDisruptionBudget', 'polaris'), 'spec.minAvailable')).toBe(1);
    expect(podSpec(objects).serviceAccountName).toBe('polaris');
  });

  test('listens on polaris-http 8181 and polaris-mgmt 8182; Service polaris exposes both', () => {
    const { objects, polaris } = synth();
    expect(container(objects).ports).toEqual([
      { name: 'polaris-http', containerPort: 8181, protocol: 'TCP' },
      { name: 'polaris-mgmt', containerPort: 8182, protocol: 'TCP' },
    ]);
    const ports = get(findObject(objects, 'Service', 'polaris'), 'spec.ports') as Json[];
    expect(ports.map((p) => [p.name, p.port, p.targetPort])).toEqual([
      ['polaris-http', 8181, 'polaris-http'],
      ['polaris-mgmt', 8182, 'polaris-mgmt'],
    ]);
    expect(polaris.catalogUri).toBe('http://polaris.floe-platform.svc.cluster.local:8181/api/catalog');
    expect(polaris.serviceEndpoint.address).toBe('polaris.floe-platform.svc.cluster.local:8181');
    expect(polaris.managementEndpoint.port).toBe(8182);
    expect(polaris.tokenUrl).toBe(
      'http://polaris.floe-platform.svc.cluster.local:8181/api/catalog/v1/oauth/tokens',
    );
    expect(polaris.metricsUrl).toBe('http://polaris.floe-platform.svc.cluster.local:8182/q/metrics');
    expect(polaris.warehouse).toBe('floe');
  });

  test('probes the Quarkus health endpoints on the management port', () => {
    const c = container(synth().objects);
    expect(get(c, 'readinessProbe.httpGet')).toEqual({ path: '/q/health/ready', port: 'polaris-mgmt' });
    expect(get(c, 'livenessProbe.httpGet')).toEqual({ path: '/q/health/live', port: 'polaris-mgmt' });
    expect(get(c, 'startupProbe.httpGet')).toEqual({ path: '/q/health/live', port: 'polaris-mgmt' });
    expect(get(c, 'readinessProbe.timeoutSeconds')).toBe(10);
    expect(get(c, 'livenessProbe.periodSeconds')).toBe(10);
    expect(get(c, 'livenessProbe.failureThreshold')).toBe(3);
    expect(
      (get(c, 'startupProbe.periodSeconds') as number) * (get(c, 'startupProbe.failureThreshold') as number),
    ).toBeGreaterThanOrEqual(120);
  });

  test('application.properties sets realm, JDBC persistence, storage types, logging and tracing', () => {
    const props = properties(synth().objects);
    expect(props).toMatchObject({
      'quarkus.http.port': '8181',
      'quarkus.management.port': '8182',
      'polaris.realm-context.realms': 'POLARIS',
      'polaris.realm-context.header-name': 'Polaris-Realm',
      'polaris.realm-context.require-header': 'false',
      'polaris.persistence.type': 'relational-jdbc',
      'polaris.features."SUPPORTED_CATALOG_STORAGE_TYPES"': '["S3"]',
      'quarkus.log.file.enabled': 'false',
      'quarkus.log.console.enabled': 'true',
      'quarkus.log.level': 'INFO',
      'quarkus.otel.sdk.disabled': 'false',
      'quarkus.otel.exporter.otlp.endpoint': 'http://otel-collector.floe-platform.svc.cluster.local:4317',
    });
    // Two replicas: the shared token keys are configured.
    expect(props['polaris.authentication.token-broker.type']).toBe('rsa-key-pair');
    expect(props['polaris.authentication.token-broker.rsa-key-pair.public-key-file']).toBe(
      '/deployments/config/public.pem',
    );
    expect(props['polaris.authentication.token-broker.rsa-key-pair.private-key-file']).toBe(
      '/deployments/config/private.pem',
    );
  });

  test('without storage or telemetry: Polaris default storage types, tracing off, no token keys', () => {
    const props = properties(
      synth({ replicas: 1, autoscaling: false }, { storage: false, telemetry: false }).objects,
    );
    expect(props['polaris.features."SUPPORTED_CATALOG_STORAGE_TYPES"']).toBe('["S3","GCS","AZURE"]');
    expect(props['quarkus.otel.sdk.disabled']).toBe('true');
    expect(props['quarkus.otel.exporter.otlp.endpoint']).toBeUndefined();
    expect(Object.keys(props).filter((k) => k.startsWith('polaris.authentication'))).toEqual([]);
  });

  test('typed options reach application.properties', () => {
    const props = properties(
      synth({
        realm: 'analytics',
        requireRealmHeader: true,
        logLevel: 'DEBUG',
        jsonLogs: true,
        tracingSampleRatio: 0.25,
        supportedStorageTypes: ['S3', 'GCS'],
        additionalProperties: { 'quarkus.http.cors.enabled': 'true' },
      }).objects,
    );
    expect(props).toMatchObject({
      'polaris.realm-context.realms': 'analytics',
      'polaris.realm-context.require-header': 'true',
      'quarkus.log.level': 'DEBUG',
      'quarkus.log.console.json.enabled': 'true',
      'quarkus.otel.traces.sampler': 'parentbased_traceidratio',
      'quarkus.otel.traces.sampler.arg': '0.25',
      'polaris.features."SUPPORTED_CATALOG_STORAGE_TYPES"': '["S3","GCS"]',
      'quarkus.http.cors.enabled': 'true',
    });
  });

  test('the pods carry a checksum of the config, which changes with it', () => {
    const a = synth().objects;
    const text = (get(findObject(a, 'ConfigMap', 'polaris-config'), 'data') as Record<string, string>)[
      'application.properties'
    ];
    const sum = (objs: K8sObject[]): unknown =>
      (
        get(findObject(objs, 'Deployment', 'polaris'), 'spec.template.metadata.annotations') as
          Json | undefined
      )?.['checksum/config'];
    const canonical = JSON.stringify([['polaris-config', [['application.properties', text]]]]);
    expect(sum(a)).toBe(createHash('sha256').update(canonical).digest('hex'));
    expect(sum(synth({ logLevel: 'WARN' }).objects)).not.toBe(sum(a));
    expect(sum(synth({ configChecksums: false }).objects)).toBeUndefined();
  });

  test('datasource and storage settings come through env, passwords and keys only as Secret refs', () => {
    const env = envOf(container(synth().objects));
    expect(env).toEqual([
      { name: 'quarkus.datasource.username', value: 'polaris' },
      {
        name: 'quarkus.datasource.password',
        valueFrom: { secretKeyRef: { name: 'catalog-db-credentials', key: 'postgresql-password' } },
      },
      {
        name: 'quarkus.datasource.jdbc.url',
        value: 'jdbc:postgresql://catalog-db.floe-platform.svc.cluster.local:5432/polaris',
      },
      {
        name: 'polaris.storage.aws.access-key',
        valueFrom: { secretKeyRef: { name: 'minio-credentials', key: 'root-user' } },
      },
      {
        name: 'polaris.storage.aws.secret-key',
        valueFrom: { secretKeyRef: { name: 'minio-credentials', key: 'root-password' } },
      },
      { name: 'AWS_REGION', value: 'us-east-1' },
    ]);
    const noStorage = envOf(container(synth({}, { storage: false }).objects)).map((e) => e.name);
    expect(noStorage).toEqual([
      'quarkus.datasource.username',
      'quarkus.datasource.password',
      'quarkus.datasource.jdbc.url',
    ]);
  });

  test('the server waits for the database and for the bootstrapped realm (its root principal)', () => {
    const { objects } = synth();
    const init = podSpec(objects).initContainers as Json[];
    expect(init.map((c) => c.name)).toEqual(['wait-for-database', 'wait-for-bootstrap']);
    expect((get(init[0], 'command') as string[]).join(' ')).toContain(
      'pg_isready -h catalog-db.floe-platform.svc.cluster.local -p 5432',
    );
    const wait = init[1];
    const script = (wait.command as string[])[2];
    expect(script).toContain(
      "SELECT 1 FROM polaris_schema.entities WHERE realm_id = 'POLARIS' AND type_code = 2 AND name = 'root'",
    );
    expect(script).not.toContain('polaris_schema.version'); // a schema alone is not a bootstrapped realm
    expect((podSpec(synth({ realm: 'acme_prod' }).objects).initContainers as Json[])[1].command).toEqual([
      'sh',
      '-c',
      expect.stringContaining("realm_id = 'acme_prod'"),
    ]);
    expect(script).not.toContain('$('); // the kubelet would try to expand it
    expect(envOf(wait)).toContainEqual({
      name: 'PGPASSWORD',
      valueFrom: { secretKeyRef: { name: 'catalog-db-credentials', key: 'postgresql-password' } },
    });
    expect(envOf(wait)).toContainEqual({
      name: 'PGHOST',
      value: 'catalog-db.floe-platform.svc.cluster.local',
    });
    const off = podSpec(synth({ waitForBootstrap: false }).objects).initContainers as Json[];
    expect(off.map((c) => c.name)).toEqual(['wait-for-database']);
  });

  test('the wait-for-bootstrap script loops until psql returns the root principal row', () => {
    const wait = (podSpec(synth().objects).initContainers as Json[])[1];
    const script = (wait.command as string[])[2];
    const bin = mkdtempSync(join(tmpdir(), 'polaris-wait-'));
    const counter = join(bin, 'calls');
    writeFileSync(counter, '');
    // Fake psql: fails (no output) twice, then prints the version. Fake sleep: returns at once.
    writeFileSync(
      join(bin, 'psql'),
      `#!/bin/sh\necho x >> "${counter}"\n[ "$(wc -l < "${counter}")" -ge 3 ] && echo 5\nexit 0\n`,
    );
    writeFileSync(join(bin, 'sleep'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(bin, 'psql'), 0o755);
    chmodSync(join(bin, 'sleep'), 0o755);
    const run = spawnSync('sh', ['-c', script], {
      env: { PATH: `${bin}:/usr/bin:/bin` },
      encoding: 'utf8',
      timeout: 10000,
    });
    expect(run.status).toBe(0);
    expect(
      run.stdout.match(/waiting for Job polaris-bootstrap to bootstrap realm POLARIS \(its root principal\)/g)
        ?.length,
    ).toBe(2);
  });

  test('bootstrap Job runs the same-version admin tool without the secret in the manifest', () => {
    const { objects } = synth();
    const job = findObject(objects, 'Job', 'polaris-bootstrap');
    const c = container(objects, 'Job', 'polaris-bootstrap');
    expect(c.image).toBe('docker.io/apache/polaris-admin-tool:1.7.0');
    expect(c.args).toEqual([
      'bootstrap',
      '-r',
      'POLARIS',
      '-c',
      'POLARIS,$(ROOT_CLIENT_ID),$(ROOT_CLIENT_SECRET)',
    ]);
    const env = envOf(c);
    expect(env).toContainEqual({
      name: 'ROOT_CLIENT_SECRET',
      valueFrom: { secretKeyRef: { name: 'polaris-bootstrap-credentials', key: 'client-secret' } },
    });
    expect(env).toContainEqual({
      name: 'ROOT_CLIENT_ID',
      valueFrom: { secretKeyRef: { name: 'polaris-bootstrap-credentials', key: 'client-id' } },
    });
    // Every $(VAR) in args names a variable of the container, so the kubelet expands it.
    const refs = (c.args as string[]).join(' ').match(/\$\(([^)]+)\)/g) ?? [];
    expect(refs.length).toBe(2);
    for (const ref of refs) {
      expect(env.map((e) => e.name)).toContain(ref.slice(2, -1));
    }
    expect(env.filter((e) => e.name.startsWith('ROOT_')).every((e) => e.value === undefined)).toBe(true);
    expect(env.map((e) => e.name)).toEqual([
      'polaris.persistence.type',
      'quarkus.datasource.username',
      'quarkus.datasource.password',
      'quarkus.datasource.jdbc.url',
      'ROOT_CLIENT_ID',
      'ROOT_CLIENT_SECRET',
    ]);
    expect(get(c, 'securityContext.runAsUser')).toBe(10000);
    expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(get(job, 'spec.backoffLimit')).toBe(6);
    expect(get(job, 'spec.ttlSecondsAfterFinished')).toBe(3600);
    // The whole Job, retries and waits included, is stopped after 15 minutes, never left waiting.
    expect(get(job, 'spec.activeDeadlineSeconds')).toBe(900);
    expect(get(job, 'spec.template.spec.restartPolicy')).toBe('Never');
    const init = get(job, 'spec.template.spec.initContainers') as Json[];
    expect(init.map((i) => i.name)).toEqual(['wait-for-database']);
    // The Service selects only server pods (component=server), never the Job's.
    const labels = get(job, 'spec.template.metadata.labels') as Record<string, string>;
    expect(labels['app.kubernetes.io/component']).toBe('bootstrap');
  });

  test('the admin tool follows the server tag and registry; a different admin tool tag is refused', () => {
    expect(synth({ image: { registry: 'registry.example.com' } }).polaris.adminToolImage).toEqual({
      registry: 'registry.example.com',
      repository: 'apache/polaris-admin-tool',
      tag: '1.7.0',
    });
    const { polaris } = synth({
      image: { tag: '1.6.0' },
      bootstrap: { image: { registry: 'mirror.example.com' } },
    });
    expect(polaris.adminToolImage).toEqual({
      registry: 'mirror.example.com',
      repository: 'apache/polaris-admin-tool',
      tag: '1.6.0',
    });
    expectError(
      () => synth({ bootstrap: { image: { tag: '1.6.0' } } }),
      /test\/polaris: invalid bootstrap\.image\.tag: got "1\.6\.0", expected the server's tag '1\.7\.0'/,
    );
  });

  test('the platform registry mirror applies to every image', () => {
    const { objects } = synth({ imageRegistry: 'mirror.example.com' });
    const images = [
      ...(podSpec(objects).initContainers as Json[]),
      container(objects),
      container(objects, 'Job', 'polaris-bootstrap'),
    ].map((c) => c.image);
    expect(images).toEqual([
      'docker.io/library/postgres:17.6-alpine', // the database plugin's own wait container
      'mirror.example.com/library/postgres:17.6-alpine',
      'mirror.example.com/apache/polaris:1.7.0',
      'mirror.example.com/apache/polaris-admin-tool:1.7.0',
    ]);
  });

  test('more than one replica projects the shared token keys into the config dir', () => {
    const volume = (objs: K8sObject[]): unknown =>
      (podSpec(objs).volumes as Json[]).find((v) => v.name === 'config');
    expect(get(volume(synth().objects), 'projected.sources.1.secret')).toEqual({
      name: 'polaris-token-keys',
      items: [
        { key: 'public.pem', path: 'public.pem' },
        { key: 'private.pem', path: 'private.pem' },
      ],
    });
    expect(get(volume(synth().objects), 'projected.defaultMode')).toBe(0o440);
    expect(
      get(volume(synth({ replicas: 1, autoscaling: false }).objects), 'projected.sources.1'),
    ).toBeUndefined();
    // One replica that its autoscaler may scale up still needs the shared keys.
    expect(get(volume(synth({ replicas: 1 }).objects), 'projected.sources.1.secret.name')).toBe(
      'polaris-token-keys',
    );
    expect(
      get(volume(synth({ replicas: 1, autoscaler: { maxReplicas: 1 } }).objects), 'projected.sources.1'),
    ).toBeUndefined();
    const custom = synth({
      replicas: 1,
      autoscaling: false,
      tokenKeys: { secretName: 'my-keys', privateKeyKey: 'tls.key' },
    });
    expect(get(volume(custom.objects), 'projected.sources.1.secret')).toEqual({
      name: 'my-keys',
      items: [
        { key: 'public.pem', path: 'public.pem' },
        { key: 'tls.key', path: 'private.pem' },
      ],
    });
    expect(properties(custom.objects)['polaris.authentication.token-broker.type']).toBe('rsa-key-pair');
  });

  test('lists every Secret it reads', () => {
    expect(synth().polaris.requiredSecrets).toEqual([
      {
        name: 'catalog-db-credentials',
        keys: ['postgresql-password'],
        purpose: expect.stringContaining("PostgreSQL user 'polaris'"),
      },
      { name: 'minio-credentials', keys: ['root-password', 'root-user'], purpose: expect.any(String) },
      {
        name: 'polaris-bootstrap-credentials',
        keys: ['client-id', 'client-secret'],
        purpose: expect.stringContaining('root principal'),
      },
      { name: 'polaris-token-keys', keys: ['private.pem', 'public.pem'], purpose: expect.any(String) },
    ]);
    const single = synth({ replicas: 1, autoscaling: false }, { storage: false }).polaris.requiredSecrets.map(
      (s) => s.name,
    );
    expect(single).toEqual(['catalog-db-credentials', 'polaris-bootstrap-credentials']);
  });

  test('refuses invalid props with messages naming path, field, value and what is allowed', () => {
    expectError(
      () => synth({ replicas: 0 }),
      /test\/polaris: invalid replicas: got 0, expected an integer >= 1/,
    );
    expectError(() => synth({ realm: 'a,b' }), /invalid realm: got "a,b", expected letters, digits/);
    expectError(() => synth({ warehouse: 'my warehouse' }), /invalid warehouse: got "my warehouse"/);
    expectError(
      () => synth({ supportedStorageTypes: ['FILE' as 'S3'] }),
      /invalid supportedStorageTypes\[0\]: got "FILE", expected 'S3', 'GCS' or 'AZURE'$/,
    );
    expectError(
      () => synth({ supportedStorageTypes: [] }),
      /invalid supportedStorageTypes: got \[\], expected .*FILE is refused/,
    );
    expectError(
      () => synth({ additionalProperties: { 'quarkus.log.file.enabled': 'true' } }),
      /invalid additionalProperties\.quarkus\.log\.file\.enabled: got "true", expected a property this construct does not set/,
    );
    expectError(
      () => synth({ tracingSampleRatio: 0.5 }, { telemetry: false }),
      /invalid tracingSampleRatio: got 0\.5, expected no value without telemetry/,
    );
    expectError(
      () => synth({ tracingSampleRatio: 2 }),
      /invalid tracingSampleRatio: got 2, expected a number from 0 to 1/,
    );
    expectError(() => synth({ name: 'Polaris' }), /invalid name: got "Polaris", expected a DNS-1123 label/);
    expectError(
      () => synth({ extraEnv: { 'quarkus.datasource.password': 'x' } }),
      /invalid extraEnv\.quarkus\.datasource\.password/,
    );
    expectError(
      () => synth({ bootstrap: { backoffLimit: -1 } }),
      /invalid bootstrap\.backoffLimit: got -1, expected an integer >= 0/,
    );
  });

  test('renderProperties escapes keys and values so that they read back unchanged', () => {
    const input = {
      'a key:with=odd#chars': ' leading space and \\ backslash',
      'polaris.features."X"': '["S3"]',
    };
    expect(parseProperties(renderProperties(input))).toEqual(input);
  });

  test('provider asks for catalog-db and wires database, storage and telemetry', () => {
    const provider = Polaris.provider({ replicas: 1 });
    expect(provider.database).toEqual({ name: 'catalog-db', database: 'polaris', username: 'polaris' });
    const app = Testing.app();
    const chart = new Chart(app, 'platform', { namespace: 'data' });
    const database: PostgresDatabasePlugin = ExternalPostgres.fromEndpoint({
      host: 'db.example.com',
      database: 'polaris',
      username: 'polaris',
      passwordSecret: { name: 'db', key: 'password' },
    });
    const catalog = provider.provide(chart, 'catalog', {
      platformName: 'acme',
      imageRegistry: 'mirror.example.com',
      database,
      storage,
      telemetry,
    });
    expect(catalog).toBeInstanceOf(Polaris);
    expect(catalog.catalogUri).toBe('http://polaris.data.svc.cluster.local:8181/api/catalog');
    const objects = Testing.synth(chart) as K8sObject[];
    const c = container(objects);
    expect(c.image).toBe('mirror.example.com/apache/polaris:1.7.0');
    expect(envOf(c)).toContainEqual({
      name: 'quarkus.datasource.jdbc.url',
      value: 'jdbc:postgresql://db.example.com:5432/polaris',
    });
    expect(envOf(c).map((e) => e.name)).toContain('AWS_REGION');
    expect(findObject(objects, 'Deployment', 'polaris').metadata.labels?.['app.kubernetes.io/part-of']).toBe(
      'acme',
    );
    expect(() =>
      provider.provide(new Chart(Testing.app(), 'p'), 'catalog', { platformName: 'acme' }),
    ).toThrow(
      /p\/catalog: invalid database: got undefined, expected a PostgreSQL database passed by the platform/,
    );
  });
});

describe('Polaris catalog-setup Job', () => {
  test('runs curlimages/curl 8.18.0 as curl_user (100:101) with a read-only root and /tmp, once', () => {
    const { objects, polaris } = synth();
    const job = findObject(objects, 'Job', 'polaris-catalog-setup');
    expect(polaris.catalogSetupJob).toBeDefined();
    const c = container(objects, 'Job', 'polaris-catalog-setup');
    expect(c.image).toBe('docker.io/curlimages/curl:8.18.0');
    expect(get(c, 'securityContext.runAsUser')).toBe(100);
    expect(get(c, 'securityContext.runAsGroup')).toBe(101);
    expect(get(c, 'securityContext.runAsNonRoot')).toBe(true);
    expect(get(c, 'securityContext.readOnlyRootFilesystem')).toBe(true);
    expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(get(job, 'spec.template.spec.volumes')).toEqual([{ name: 'tmp', emptyDir: {} }]);
    expect(setupEnvValue(objects, 'SETUP_DIR')).toBe('/tmp');
    expect(get(c, 'resources.limits.memory')).toBe('64Mi');
    expect(get(c, 'resources.requests.cpu')).toBe('10m');
    expect(get(job, 'spec.backoffLimit')).toBe(6);
    expect(get(job, 'spec.ttlSecondsAfterFinished')).toBe(3600);
    expect(get(job, 'spec.activeDeadlineSeconds')).toBe(900);
    expect(get(job, 'spec.template.spec.restartPolicy')).toBe('Never');
    expect(get(job, 'spec.template.spec.automountServiceAccountToken')).toBe(false);
    const labels = get(job, 'spec.template.metadata.labels') as Record<string, string>;
    expect(labels['app.kubernetes.io/component']).toBe('catalog-setup');
    expect(labels['app.kubernetes.io/name']).toBe('polaris');
    expect(labels['app.kubernetes.io/version']).toBe('1.7.0');
  });

  /** The catalog-setup Job's init containers (name -> script). */
  function setupWaits(objects: K8sObject[]): Record<string, string> {
    const init = get(
      findObject(objects, 'Job', 'polaris-catalog-setup'),
      'spec.template.spec.initContainers',
    ) as Json[];
    return Object.fromEntries(init.map((i) => [String(i.name), (i.command as string[])[2]]));
  }

  /**
   * Runs a wait script with a stand-in curl that answers as Polaris or MinIO would, one answer per
   * call from `answers` (`ok`, an HTTP status, or `down` for no connection), repeating the last;
   * sleep and date are a fake clock, so "never ready" takes no time.
   */
  function runWait(
    script: string,
    answers: string[],
  ): { status: number | null; stdout: string; stderr: string } {
    const bin = mkdtempSync(join(tmpdir(), 'polaris-setup-wait-'));
    const f = (n: string): string => join(bin, n);
    writeFileSync(f('clock'), '0\n');
    writeFileSync(f('calls'), '');
    writeFileSync(f('answers'), `${answers.join('\n')}\n`);
    const stub = (name: string, body: string): void => {
      writeFileSync(f(name), `#!/bin/sh\n${body}\n`);
      chmodSync(f(name), 0o755);
    };
    // -f: fail (exit 22) on HTTP >= 400; -w '%{http_code}': print the status ('000' when down).
    stub(
      'curl',
      [
        `echo "$*" >> "${f('calls')}"`,
        `n=\`wc -l < "${f('calls')}"\``,
        `total=\`wc -l < "${f('answers')}"\``,
        'if [ "$n" -gt "$total" ]; then n=$total; fi',
        `a=\`sed -n "\${n}p" "${f('answers')}"\``,
        'case "$*" in *%{http_code}*) w=1 ;; *) w=0 ;; esac',
        'case "$a" in',
        '  down) [ $w = 1 ] && printf 000; exit 7 ;;',
        '  ok) [ $w = 1 ] && printf 200; exit 0 ;;',
        '  *) [ $w = 1 ] && printf "%s" "$a"; case "$*" in *-fsS*) exit 22 ;; esac; exit 0 ;;',
        'esac',
      ].join('\n'),
    );
    stub('sleep', `c=\`cat "${f('clock')}"\`\nexpr "$c" + "$1" > "${f('clock')}"`);
    stub('date', `cat "${f('clock')}"`);
    const r = spawnSync('sh', ['-c', script], {
      env: { PATH: `${bin}:/usr/bin:/bin` },
      encoding: 'utf8',
      timeout: 20000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  test('waits for Polaris ready on the management port and for the warehouse bucket, each bounded', () => {
    const { objects } = synth();
    const waits = setupWaits(objects);
    expect(Object.keys(waits)).toEqual(['wait-for-polaris-ready', 'wait-for-warehouse-bucket']);
    expect(waits['wait-for-polaris-ready']).toContain(
      'curl -fsS -o /dev/null --max-time 5 http://polaris.floe-platform.svc.cluster.local:8182/q/health/ready',
    );
    expect(waits['wait-for-warehouse-bucket']).toContain(
      "curl -s -o /dev/null -I -w '%{http_code}' --max-time 5 http://minio.floe-platform.svc.cluster.local:9000/warehouse",
    );
    expect(setupEnvValue(objects, 'POLARIS_URL')).toBe('http://polaris.floe-platform.svc.cluster.local:8181');
    expect(setupEnvValue(objects, 'POLARIS_REALM')).toBe('POLARIS');
    const job = findObject(objects, 'Job', 'polaris-catalog-setup');
    expect(get(job, 'spec.template.spec.initContainers.0.image')).toBe('docker.io/curlimages/curl:8.18.0');
  });

  test('the readiness wait: not up, not ready (503), then ready; or never ready: gives up saying so', () => {
    const script = setupWaits(synth().objects)['wait-for-polaris-ready'];
    const ready = runWait(script, ['down', '503', '503', 'ok']);
    expect(ready.status).toBe(0);
    expect(ready.stdout.match(/waiting for Polaris to be ready/g)?.length).toBe(3);
    const never = runWait(script, ['503']);
    expect(never.status).toBe(1);
    expect(never.stderr.trim()).toBe(
      'gave up waiting for Polaris to be ready (http://polaris.floe-platform.svc.cluster.local:8182/q/health/ready) after 301s',
    );
  });

  test('the bucket wait: MinIO down, bucket missing (404), then there (403 without credentials)', () => {
    const script = setupWaits(synth().objects)['wait-for-warehouse-bucket'];
    expect(runWait(script, ['down', '404', '404', '403']).status).toBe(0);
    expect(runWait(script, ['200']).status).toBe(0);
    const never = runWait(script, ['404']);
    expect(never.status).toBe(1);
    expect(never.stderr.trim()).toMatch(
      /^gave up waiting for bucket warehouse at http:\/\/minio\.floe-platform\.svc\.cluster\.local:9000 after \d+s$/,
    );
  });

  test('creates catalog floe at s3://<bucket>/floe on the storage endpoint, path-style, STS off (external store)', () => {
    const { objects, polaris } = synth();
    const request = JSON.parse(setupEnvValue(objects, 'CATALOG_REQUEST')) as unknown;
    expect(request).toEqual({
      catalog: {
        name: 'floe',
        type: 'INTERNAL',
        properties: { 'default-base-location': 's3://warehouse/floe' },
        storageConfigInfo: {
          storageType: 'S3',
          allowedLocations: ['s3://warehouse/floe'],
          endpoint: 'http://minio.floe-platform.svc.cluster.local:9000',
          endpointInternal: 'http://minio.floe-platform.svc.cluster.local:9000',
          pathStyleAccess: true,
          region: 'us-east-1',
          stsUnavailable: true,
        },
      },
    });
    expect(polaris.createCatalogRequest).toEqual(request);
    expect(setupEnvValue(objects, 'CATALOG_NAME')).toBe('floe');
    expect(JSON.parse(setupEnvValue(objects, 'GRANT_REQUEST'))).toEqual({
      grant: { type: 'catalog', privilege: 'CATALOG_MANAGE_CONTENT' },
    });
  });

  test('credential vending (STS) is on for in-cluster storage (MinIO) or with a role, else off', () => {
    const inCluster: ObjectStoragePlugin = {
      ...storage,
      serviceEndpoint: {
        serviceName: 'minio',
        namespace: 'floe-platform',
        port: 9000,
        host: 'minio.floe-platform.svc.cluster.local',
        address: 'minio.floe-platform.svc.cluster.local:9000',
      },
    };
    const sts = (props: Partial<PolarisProps>): unknown =>
      synth(props).polaris.createCatalogRequest?.catalog.storageConfigInfo.stsUnavailable;
    expect(sts({ storage: inCluster })).toBe(false);
    expect(sts({ storage: inCluster, catalogSetup: { credentialVending: false } })).toBe(true);
    expect(sts({})).toBe(true); // an external store: STS may not exist
    expect(sts({ catalogSetup: { credentialVending: true } })).toBe(false);
    expect(sts({ catalogSetup: { roleArn: 'arn:aws:iam::123456789012:role/polaris' } })).toBe(false);
  });

  test('polarisCreateCatalogRequest: prefix, whole bucket, virtual-hosted style, credential vending', () => {
    const base = {
      warehouse: 'lake',
      storage: {
        endpoint: 'https://s3.eu-central-1.amazonaws.com',
        region: 'eu-central-1',
        warehouseBucket: 'acme-lake',
        pathStyleAccess: false,
      },
      credentialVending: false,
    };
    const a = polarisCreateCatalogRequest({ ...base, baseLocationPrefix: 'iceberg/prod' });
    expect(a.catalog.properties['default-base-location']).toBe('s3://acme-lake/iceberg/prod');
    expect(a.catalog.storageConfigInfo.allowedLocations).toEqual(['s3://acme-lake/iceberg/prod']);
    expect(a.catalog.storageConfigInfo.pathStyleAccess).toBe(false);
    expect(a.catalog.storageConfigInfo.region).toBe('eu-central-1');
    expect(a.catalog.storageConfigInfo.endpoint).toBe('https://s3.eu-central-1.amazonaws.com');
    expect('roleArn' in a.catalog.storageConfigInfo).toBe(false);
    const b = polarisCreateCatalogRequest({
      ...base,
      baseLocationPrefix: '',
      credentialVending: true,
      roleArn: 'arn:aws:iam::123456789012:role/polaris',
    });
    expect(b.catalog.properties['default-base-location']).toBe('s3://acme-lake');
    expect(b.catalog.storageConfigInfo.stsUnavailable).toBe(false);
    expect(b.catalog.storageConfigInfo.roleArn).toBe('arn:aws:iam::123456789012:role/polaris');
  });

  test('catalogSetup options reach the Job; the registry mirror applies to curl and busybox', () => {
    const { objects, polaris } = synth({
      warehouse: 'lake',
      imageRegistry: 'mirror.example.com',
      catalogSetup: {
        baseLocationPrefix: 'tables/lake',
        credentialVending: true,
        roleArn: 'arn:aws:iam::123456789012:role/polaris',
        backoffLimit: 2,
        ttlSecondsAfterFinished: 60,
        activeDeadlineSeconds: 1800,
        resources: { requests: { cpu: '5m', memory: '8Mi' }, limits: { memory: '32Mi' } },
      },
    });
    const job = findObject(objects, 'Job', 'polaris-catalog-setup');
    expect(get(job, 'spec.backoffLimit')).toBe(2);
    expect(get(job, 'spec.ttlSecondsAfterFinished')).toBe(60);
    expect(get(job, 'spec.activeDeadlineSeconds')).toBe(1800);
    const c = container(objects, 'Job', 'polaris-catalog-setup');
    expect(c.image).toBe('mirror.example.com/curlimages/curl:8.18.0');
    expect(get(job, 'spec.template.spec.initContainers.0.image')).toBe(
      'mirror.example.com/curlimages/curl:8.18.0',
    );
    expect(get(c, 'resources.limits.memory')).toBe('32Mi');
    const request = polaris.createCatalogRequest;
    expect(request?.catalog.name).toBe('lake');
    expect(request?.catalog.properties['default-base-location']).toBe('s3://warehouse/tables/lake');
    expect(request?.catalog.storageConfigInfo.stsUnavailable).toBe(false);
    expect(request?.catalog.storageConfigInfo.roleArn).toBe('arn:aws:iam::123456789012:role/polaris');
    expect(setupEnvValue(objects, 'CATALOG_NAME')).toBe('lake');
    expect(polaris.curlImage).toEqual({
      registry: 'mirror.example.com',
      repository: 'curlimages/curl',
      tag: '8.18.0',
    });
  });

  test('credentials come only from the root credentials Secret, and reach curl through files', () => {
    const { objects } = synth({
      rootCredentials: {
        clientId: { name: 'polaris-root', key: 'id' },
        clientSecret: { name: 'polaris-root', key: 'secret' },
      },
    });
    const env = setupEnv(objects);
    expect(env.filter((e) => e.name.startsWith('ROOT_'))).toEqual([
      { name: 'ROOT_CLIENT_ID', valueFrom: { secretKeyRef: { name: 'polaris-root', key: 'id' } } },
      { name: 'ROOT_CLIENT_SECRET', valueFrom: { secretKeyRef: { name: 'polaris-root', key: 'secret' } } },
    ]);
    const script = setupScript(objects);
    // The secret variables are only written to files by printf (a builtin), never passed to curl.
    const uses = script.split('\n').filter((l) => l.includes('$ROOT_CLIENT'));
    expect(uses).toEqual([
      `printf '%s' "$ROOT_CLIENT_ID" > client-id`,
      `printf '%s' "$ROOT_CLIENT_SECRET" > client-secret`,
    ]);
    expect(script).toContain('--data-urlencode client_secret@client-secret');
    expect(script).toContain('-H @auth-header');
    expect(script).not.toContain('$('); // the kubelet would try to expand it
    expect(script).toContain('umask 077');
  });

  test('a $ in a request value is escaped for the kubelet', () => {
    const { objects } = synth({}, { storage: false });
    expect(objects.some((o) => o.metadata.name === 'polaris-catalog-setup')).toBe(false);
    const odd = synth({ createCatalog: true }).objects; // sanity: the default storage works
    expect(findObject(odd, 'Job', 'polaris-catalog-setup')).toBeDefined();
    let polaris: Polaris | undefined;
    const objs = synthChart((chart) => {
      const db = new PostgreSQL(chart, 'catalog-db', { database: 'polaris', username: 'polaris' });
      polaris = new Polaris(chart, 'polaris', {
        database: db,
        storage: { ...storage, endpoint: 'http://s3.example.com/$(HOME)/x' },
      });
    });
    const raw = setupEnv(objs).find((e) => e.name === 'CATALOG_REQUEST')?.value ?? '';
    expect(raw).toContain('$$(HOME)');
    expect(JSON.parse(kubeletValue(raw))).toEqual(polaris?.createCatalogRequest);
  });

  test('the script gets a token, creates the catalog and grants content access (fake curl)', () => {
    const { objects } = synth();
    const run = runCatalogSetup(objects, OK_RESPONSES);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.calls.map((c) => `${c.method} ${new URL(c.url).pathname}`)).toEqual([
      TOKEN_PATH,
      CREATE_PATH,
      GRANT_PATH,
    ]);
    const [token, create, grant] = run.calls;
    expect(token.url).toBe('http://polaris.floe-platform.svc.cluster.local:8181/api/catalog/v1/oauth/tokens');
    expect(token.form).toEqual({
      grant_type: 'client_credentials',
      client_id: FAKE_CLIENT_ID,
      client_secret: FAKE_CLIENT_SECRET,
      scope: 'PRINCIPAL_ROLE:ALL',
    });
    for (const c of run.calls) {
      expect(c.headers).toContain('Polaris-Realm: POLARIS');
    }
    expect(token.headers.some((h) => h.startsWith('Authorization'))).toBe(false);
    expect(create.headers).toContain(`Authorization: Bearer ${FAKE_TOKEN}`);
    expect(create.headers).toContain('Content-Type: application/json');
    expect(JSON.parse(create.body ?? '')).toEqual(JSON.parse(setupEnvValue(objects, 'CATALOG_REQUEST')));
    expect(grant.headers).toContain(`Authorization: Bearer ${FAKE_TOKEN}`);
    expect(JSON.parse(grant.body ?? '')).toEqual({
      grant: { type: 'catalog', privilege: 'CATALOG_MANAGE_CONTENT' },
    });
    expect(run.stdout).toContain('created catalog floe');
    expect(run.stdout).toContain('granted CATALOG_MANAGE_CONTENT on floe to catalog_admin');
    // Neither the secret nor the token was an argument of any process, printed, or left behind.
    const argv = JSON.stringify(run.calls.map((c) => c.argv));
    for (const hidden of [FAKE_CLIENT_SECRET, FAKE_TOKEN]) {
      expect(argv).not.toContain(hidden);
      expect(run.stdout + run.stderr).not.toContain(hidden);
    }
    for (const f of ['client-id', 'client-secret', 'token.json', 'auth-header']) {
      expect(existsSync(join(run.workDir, f))).toBe(false);
    }
  });

  test('409 Conflict (catalog exists) counts as success, so reruns are harmless', () => {
    const run = runCatalogSetup(synth().objects, {
      ...OK_RESPONSES,
      [CREATE_PATH]: [409, '{"error":{"message":"Catalog already exists","code":409}}'],
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('catalog floe already exists; left unchanged');
    expect(run.calls.map((c) => c.method)).toEqual(['POST', 'POST', 'PUT']);
  });

  test('any other status fails the pod with the response body, without the token', () => {
    const body =
      '{"error":{"message":"Unsupported storage type: S3","type":"IllegalArgumentException","code":400}}';
    const run = runCatalogSetup(synth().objects, { ...OK_RESPONSES, [CREATE_PATH]: [400, body] });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('creating catalog floe failed with HTTP 400');
    expect(run.stderr).toContain(body);
    expect(run.stdout + run.stderr).not.toContain(FAKE_TOKEN);
    expect(run.calls.map((c) => c.method)).toEqual(['POST', 'POST']); // no grant

    const grantFails = runCatalogSetup(synth().objects, {
      ...OK_RESPONSES,
      [GRANT_PATH]: [404, '{"error":{"message":"catalog role not found"}}'],
    });
    expect(grantFails.status).not.toBe(0);
    expect(grantFails.stderr).toContain('granting CATALOG_MANAGE_CONTENT on floe failed with HTTP 404');
  });

  test('a refused token request fails before any management call, without printing the secret', () => {
    const run = runCatalogSetup(synth().objects, {
      ...OK_RESPONSES,
      [TOKEN_PATH]: [401, '{"error":"invalid_client"}'],
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('failed with HTTP 401');
    expect(run.stderr).toContain('invalid_client');
    expect(run.stdout + run.stderr).not.toContain(FAKE_CLIENT_SECRET);
    expect(run.calls).toHaveLength(1);

    const noToken = runCatalogSetup(synth().objects, { ...OK_RESPONSES, [TOKEN_PATH]: [200, '{}'] });
    expect(noToken.status).not.toBe(0);
    expect(noToken.stderr).toContain('the token response holds no access_token');
    expect(noToken.calls).toHaveLength(1);
  });

  test('no Job without storage or with createCatalog: false', () => {
    const none = synth({ replicas: 1 }, { storage: false });
    expect(none.polaris.catalogSetupJob).toBeUndefined();
    expect(none.objects.some((o) => o.kind === 'Job' && o.metadata.name === 'polaris-catalog-setup')).toBe(
      false,
    );
    const off = synth({ createCatalog: false });
    expect(off.polaris.catalogSetupJob).toBeUndefined();
    expect(off.polaris.createCatalogRequest).toBeUndefined();
    expect(off.objects.filter((o) => o.kind === 'Job').map((o) => o.metadata.name)).toEqual([
      'polaris-bootstrap',
    ]);
  });

  test('refuses catalog setups that cannot work', () => {
    expectError(
      () => synth({ createCatalog: true }, { storage: false }),
      /test\/polaris: invalid createCatalog: got true, expected false without storage/,
    );
    expectError(
      () => synth({ supportedStorageTypes: ['GCS'] }),
      /invalid supportedStorageTypes: got \["GCS"\], expected a list including 'S3' with createCatalog/,
    );
    expect(
      synth({ supportedStorageTypes: ['GCS'], createCatalog: false }).polaris.catalogSetupJob,
    ).toBeUndefined();
    const long = 'p'.repeat(50);
    expectError(
      () => synth({ name: long }),
      new RegExp(`invalid name: got "${long}", expected at most 49 characters with createCatalog`),
    );
    expect(synth({ name: long, createCatalog: false }).polaris.catalogSetupJob).toBeUndefined();
    expectError(
      () => synth({ catalogSetup: { baseLocationPrefix: '/abs/' } }),
      /invalid catalogSetup\.baseLocationPrefix: got "\/abs\/", expected '' or key segments/,
    );
    expectError(
      () =>
        synth({
          catalogSetup: { credentialVending: false, roleArn: 'arn:aws:iam::123456789012:role/polaris' },
        }),
      /invalid catalogSetup\.roleArn: got "arn:aws:iam::123456789012:role\/polaris", expected no value with credentialVending false/,
    );
    expectError(
      () => synth({ catalogSetup: { credentialVending: true, roleArn: 'polaris' } }),
      /invalid catalogSetup\.roleArn: got "polaris", expected an IAM role ARN/,
    );
    expectError(
      () => synth({ catalogSetup: { backoffLimit: -1 } }),
      /invalid catalogSetup\.backoffLimit: got -1, expected an integer >= 0/,
    );
    expectError(
      () => synth({ catalogSetup: { image: { tag: 'latest' } } }),
      /invalid catalogSetup\.image\.tag/,
    );
    let bad: ObjectStoragePlugin = { ...storage, endpoint: 'minio:9000' };
    expectError(
      () => synth({ storage: bad }),
      /invalid storage\.endpoint: got "minio:9000", expected an http/,
    );
    bad = { ...storage, warehouseBucket: 'Bad_Bucket' };
    expectError(() => synth({ storage: bad }), /invalid storage\.warehouseBucket: got "Bad_Bucket"/);
  });

  test('the root credentials Secret lists the Job among its users', () => {
    const purpose = synth().polaris.requiredSecrets.find(
      (s) => s.name === 'polaris-bootstrap-credentials',
    )?.purpose;
    expect(purpose).toContain('used by the catalog-setup Job');
    const without = synth({}, { storage: false }).polaris.requiredSecrets.find(
      (s) => s.name === 'polaris-bootstrap-credentials',
    )?.purpose;
    expect(without).not.toContain('catalog-setup');
  });
});

describe('ExternalCatalog', () => {
  test('refers to an existing catalog and deploys nothing', () => {
    const provider = ExternalCatalog.provider({
      catalogUri: 'https://polaris.example.com/api/catalog/',
      warehouse: 'prod',
    });
    expect(provider.database).toBeUndefined();
    const objects = synthChart((chart) => {
      const catalog = provider.provide(chart, 'catalog', { platformName: 'floe' });
      expect(catalog.catalogUri).toBe('https://polaris.example.com/api/catalog');
      expect(catalog.warehouse).toBe('prod');
      expect(catalog.requiredSecrets).toEqual([]);
    });
    expect(objects).toEqual([]);
  });

  test('refuses URIs that are not http(s), carry credentials, or are malformed', () => {
    const from = (catalogUri: string, warehouse = 'w'): ExternalCatalog =>
      ExternalCatalog.fromUri({ catalogUri, warehouse }, 'platform/catalog');
    expect(from('http://polaris:8181/api/catalog').catalogUri).toBe('http://polaris:8181/api/catalog');
    expect(() => from('ftp://polaris/api/catalog')).toThrow(
      /platform\/catalog: invalid catalogUri: got "ftp:\/\/polaris\/api\/catalog", expected an absolute http/,
    );
    expect(() => from('polaris:8181/api')).toThrow(/invalid catalogUri/);
    expect(() => from('not a url')).toThrow(/invalid catalogUri/);
    expect(() => from('https://user:s3cret@polaris.example.com/api/catalog')).toThrow(
      /invalid catalogUri: got "<redacted: contains credentials>"/,
    );
    expect(() => from('https://user:s3cret@polaris.example.com/api/catalog')).not.toThrow(/s3cret/);
    expect(() => from('https://polaris.example.com/api/catalog', '')).toThrow(/invalid warehouse: got ""/);
  });
});
