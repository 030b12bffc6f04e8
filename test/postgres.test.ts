import { ExternalPostgres } from '../src/plugins/database/external-postgres';
import { PostgreSQL } from '../src/plugins/database/postgres';
import { validateObjects } from './support/k8s-schema';
import { checkPolicy } from './support/policy';
import { findObject, get, K8sObject, synthChart } from './support/synth';

function synthDefault(): K8sObject[] {
  return synthChart(
    (chart) => new PostgreSQL(chart, 'catalog-db', { database: 'polaris', username: 'polaris' }),
  );
}

describe('PostgreSQL', () => {
  test('default instance matches snapshot', () => {
    expect(synthDefault()).toMatchSnapshot();
  });

  test('runs the pinned official image as the alpine postgres user with a read-only root', () => {
    const sts = findObject(synthDefault(), 'StatefulSet', 'catalog-db');
    const c = get(sts, 'spec.template.spec.containers.0') as Record<string, unknown>;
    expect(c.image).toBe('docker.io/library/postgres:17.6-alpine');
    expect(get(c, 'securityContext.runAsUser')).toBe(70);
    expect(get(c, 'securityContext.runAsGroup')).toBe(70);
    expect(get(c, 'securityContext.readOnlyRootFilesystem')).toBe(true);
    expect(get(sts, 'spec.template.spec.securityContext.fsGroup')).toBe(70);
    const mounts = (c.volumeMounts as { mountPath: string }[]).map((m) => m.mountPath).sort();
    expect(mounts).toEqual(['/tmp', '/var/lib/postgresql/data', '/var/run/postgresql']);
  });

  test('PGDATA is a subdirectory of the data volume for major 17, and moves for 18', () => {
    const env17 = get(
      findObject(synthDefault(), 'StatefulSet', 'catalog-db'),
      'spec.template.spec.containers.0.env',
    );
    expect(env17).toContainEqual({ name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' });
    const objs18 = synthChart(
      (chart) =>
        new PostgreSQL(chart, 'db', {
          database: 'd',
          username: 'u',
          majorVersion: 18,
          image: { tag: '18.1-alpine' },
        }),
    );
    const c18 = get(findObject(objs18, 'StatefulSet', 'db'), 'spec.template.spec.containers.0');
    expect(get(c18, 'env')).toContainEqual({ name: 'PGDATA', value: '/var/lib/postgresql/18/docker' });
    expect(get(c18, 'volumeMounts')).toContainEqual({ name: 'data', mountPath: '/var/lib/postgresql' });
  });

  test('password comes from a Secret reference, never a value', () => {
    const env = get(
      findObject(synthDefault(), 'StatefulSet', 'catalog-db'),
      'spec.template.spec.containers.0.env',
    );
    expect(env).toContainEqual({
      name: 'POSTGRES_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'catalog-db-credentials', key: 'postgresql-password' } },
    });
  });

  test('probes run pg_isready for the configured user and database', () => {
    const c = get(findObject(synthDefault(), 'StatefulSet', 'catalog-db'), 'spec.template.spec.containers.0');
    const cmd = ['pg_isready', '-h', '127.0.0.1', '-p', '5432', '-U', 'polaris', '-d', 'polaris'];
    expect(get(c, 'readinessProbe.exec.command')).toEqual(cmd);
    expect(get(c, 'livenessProbe.exec.command')).toEqual(cmd);
    expect(get(c, 'startupProbe.exec.command')).toEqual(cmd);
  });

  test('has a volumeClaimTemplate, a headless governing Service and a client Service', () => {
    const objs = synthDefault();
    const sts = findObject(objs, 'StatefulSet', 'catalog-db');
    expect(get(sts, 'spec.serviceName')).toBe('catalog-db-headless');
    expect(get(sts, 'spec.volumeClaimTemplates.0.spec.resources.requests.storage')).toBe('10Gi');
    expect(get(findObject(objs, 'Service', 'catalog-db-headless'), 'spec.clusterIP')).toBe('None');
    expect(get(findObject(objs, 'Service', 'catalog-db'), 'spec.ports.0')).toEqual({
      name: 'postgres',
      port: 5432,
      targetPort: 'postgres',
      protocol: 'TCP',
    });
  });

  test('exposes connection details for the services that use it', () => {
    let db: PostgreSQL | undefined;
    synthChart((chart) => {
      db = new PostgreSQL(chart, 'orchestrator-db', { database: 'dagster', username: 'dagster' });
    });
    expect(db?.host).toBe('orchestrator-db.floe-platform.svc.cluster.local');
    expect(db?.jdbcUrl).toBe(
      'jdbc:postgresql://orchestrator-db.floe-platform.svc.cluster.local:5432/dagster',
    );
    expect(db?.requiredSecrets).toEqual([
      expect.objectContaining({ name: 'orchestrator-db-credentials', keys: ['postgresql-password'] }),
    ]);
  });

  test('every object passes strict Kubernetes 1.28 schema validation', () => {
    expect(validateObjects(synthDefault())).toEqual([]);
  });

  test('meets the restricted policy and every reference resolves', () => {
    expect(checkPolicy(synthDefault(), { prerequisiteSecrets: ['catalog-db-credentials'] })).toEqual([]);
  });

  test('the policy check notices a Secret that is not documented', () => {
    expect(checkPolicy(synthDefault())).toEqual([
      'StatefulSet/catalog-db: env POSTGRES_PASSWORD reads Secret catalog-db-credentials, neither produced nor a prerequisite',
    ]);
  });

  test.each([
    [{ replicas: 2 }, /catalog-db: invalid replicas: got 2, expected 1 \(a single primary/],
    [{ replicas: 0 }, /invalid replicas: got 0, expected an integer >= 1/],
    [{ name: 'Catalog_DB' }, /invalid name: got "Catalog_DB", expected a DNS-1123 label/],
    [{ database: 'my-db' }, /invalid database: got "my-db", expected a PostgreSQL identifier/],
    [{ storageSize: 'ten gigs' }, /invalid storageSize: got "ten gigs", expected a Kubernetes quantity/],
    [{ image: { tag: 'latest' } }, /invalid image.tag: got "latest", expected a pinned tag/],
    [
      { resources: { requests: { cpu: 'lots', memory: '1Gi' }, limits: { memory: '1Gi' } } },
      /invalid resources.requests.cpu: got "lots"/,
    ],
  ])('rejects %j', (override, message) => {
    expect(() =>
      synthChart(
        (chart) =>
          new PostgreSQL(chart, 'catalog-db', { database: 'polaris', username: 'polaris', ...override }),
      ),
    ).toThrow(message);
  });
});

describe('ExternalPostgres', () => {
  test('describes an external server and waits for it with pg_isready', () => {
    const db = ExternalPostgres.fromEndpoint({
      host: 'db.example.com',
      database: 'dagster',
      username: 'dagster',
      passwordSecret: { name: 'dagster-db', key: 'postgresql-password' },
    });
    expect(db.port).toBe(5432);
    expect(db.jdbcUrl).toBe('jdbc:postgresql://db.example.com:5432/dagster');
    let command: string[] | undefined;
    synthChart((chart) => {
      command = db.waitContainer(chart, 'wait').command;
    });
    expect(command?.[2]).toContain('pg_isready -h db.example.com -p 5432 -U dagster -d dagster');
  });

  test('rejects a bad port and an empty host', () => {
    const base = { database: 'd', username: 'u', passwordSecret: { name: 's', key: 'k' } };
    expect(() => ExternalPostgres.fromEndpoint({ ...base, host: 'db', port: 70000 }, 'platform/db')).toThrow(
      'platform/db: invalid port: got 70000, expected an integer from 1 to 65535',
    );
    expect(() => ExternalPostgres.fromEndpoint({ ...base, host: ' ' })).toThrow(/invalid host/);
  });
});
