import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Chart, Testing } from 'cdk8s';
import { ExternalCatalog } from '../src/plugins/catalog/external-catalog';
import { Polaris, PolarisProps, renderProperties } from '../src/plugins/catalog/polaris';
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

describe('Polaris', () => {
  test('default instance matches snapshot', () => {
    expect(polarisObjects(synth().objects)).toMatchSnapshot();
  });

  test('one replica without storage or telemetry matches snapshot', () => {
    expect(
      polarisObjects(synth({ replicas: 1 }, { storage: false, telemetry: false }).objects),
    ).toMatchSnapshot();
  });

  test('passes the Kubernetes 1.28 schema and the restricted/reference policy', () => {
    for (const variant of [synth(), synth({ replicas: 1 }, { storage: false, telemetry: false })]) {
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
    expect(get(findObject(objects, 'Deployment', 'polaris'), 'spec.replicas')).toBe(2);
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
    const props = properties(synth({ replicas: 1 }, { storage: false, telemetry: false }).objects);
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
      (get(findObject(objs, 'Deployment', 'polaris'), 'spec.template.metadata.annotations') as Json)[
        'checksum/config'
      ];
    expect(sum(a)).toBe(createHash('sha256').update(text).digest('hex'));
    expect(sum(synth({ logLevel: 'WARN' }).objects)).not.toBe(sum(a));
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

  test('the server waits for the database and for the bootstrap schema', () => {
    const { objects } = synth();
    const init = podSpec(objects).initContainers as Json[];
    expect(init.map((c) => c.name)).toEqual(['wait-for-database', 'wait-for-bootstrap']);
    expect((get(init[0], 'command') as string[]).join(' ')).toContain(
      'pg_isready -h catalog-db.floe-platform.svc.cluster.local -p 5432',
    );
    const wait = init[1];
    const script = (wait.command as string[])[2];
    expect(script).toContain('polaris_schema.version');
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

  test('the wait-for-bootstrap script loops until psql returns the schema version', () => {
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
    expect(run.stdout.match(/waiting for Job polaris-bootstrap/g)?.length).toBe(2);
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
    expect(get(volume(synth({ replicas: 1 }).objects), 'projected.sources.1')).toBeUndefined();
    const custom = synth({ replicas: 1, tokenKeys: { secretName: 'my-keys', privateKeyKey: 'tls.key' } });
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
      {
        name: 'polaris-bootstrap-credentials',
        keys: ['client-id', 'client-secret'],
        purpose: expect.stringContaining('root principal'),
      },
      { name: 'minio-credentials', keys: ['root-user', 'root-password'], purpose: expect.any(String) },
      { name: 'polaris-token-keys', keys: ['public.pem', 'private.pem'], purpose: expect.any(String) },
    ]);
    const single = synth({ replicas: 1 }, { storage: false }).polaris.requiredSecrets.map((s) => s.name);
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
      /invalid supportedStorageTypes: got \["FILE"\], expected .*FILE is refused/,
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
