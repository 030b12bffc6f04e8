import { Chart } from 'cdk8s';
import { parse } from 'yaml';
import { ExternalPostgres } from '../src/plugins/database/external-postgres';
import { PostgreSQL } from '../src/plugins/database/postgres';
import { PlatformDependencies } from '../src/plugins/interfaces';
import { Marquez, MarquezProps } from '../src/plugins/observability/marquez';
import { checkPolicy, configMapsChecksum } from './support/policy';
import { validateObjects } from './support/k8s-schema';
import { configMapFile, envMap, expectValidationError, Json, workloadContainer } from './support/helpers';
import { findObject, get, K8sObject, synthBuilt, synthChart } from './support/synth';

const NS = 'floe-platform';
const API_HOST = `marquez.${NS}.svc.cluster.local`;
const DB_SECRET = 'lineage-db-credentials';

/** Builds a `lineage-db` PostgreSQL and a Marquez on it, as the platform would. */
function build(props: Partial<MarquezProps> = {}): { objects: K8sObject[]; marquez: Marquez } {
  const { objects, built } = synthBuilt((chart) => {
    const database = new PostgreSQL(chart, 'lineage-db', { database: 'marquez', username: 'marquez' });
    return new Marquez(chart, 'lineage', { database, ...props });
  });
  return { objects, marquez: built };
}

/** Builds only the Marquez objects, against an external database (no PostgreSQL objects). */
function buildAlone(props: Partial<MarquezProps> = {}): K8sObject[] {
  const database = ExternalPostgres.fromEndpoint({
    host: 'db.example.com',
    database: 'marquez',
    username: 'marquez',
    passwordSecret: { name: 'marquez-db', key: 'password' },
  });
  return synthChart((chart) => {
    new Marquez(chart, 'lineage', { database, ...props });
  });
}

/** Container `index` (the first by default) of Deployment `deployment`. */
function container(objects: K8sObject[], deployment: string, index = 0): Json {
  return workloadContainer(objects, 'Deployment', deployment, index);
}

function configOf(objects: K8sObject[]): { text: string; parsed: Record<string, unknown> } {
  const text = configMapFile(objects, 'marquez-config', 'config.yml');
  return { text, parsed: parse(text) as Record<string, unknown> };
}

/** Dropwizard substitutes `${VAR}` in the raw text before parsing; do the same. */
function substitute(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{([A-Z_]+)\}/g, (_m, name: string) => env[name] ?? '');
}

describe('Marquez', () => {
  describe('snapshots', () => {
    test('default: API, web UI and their database', () => {
      expect(build().objects).toMatchSnapshot();
    });

    test('without the web UI, 2 API replicas, retention, external database', () => {
      expect(
        buildAlone({
          web: { enabled: false },
          replicas: 2,
          retention: { retentionDays: 30 },
          logLevel: 'WARN',
        }),
      ).toMatchSnapshot();
    });
  });

  describe('objects', () => {
    test('Deployments, Services and ConfigMap have the documented names', () => {
      const names = buildAlone()
        .map((o) => `${o.kind}/${o.metadata.name}`)
        .sort();
      expect(names).toEqual([
        'ConfigMap/marquez-config',
        'Deployment/marquez',
        'Deployment/marquez-web',
        'PodDisruptionBudget/marquez',
        'Service/marquez',
        'Service/marquez-web',
        'ServiceAccount/marquez',
        'ServiceAccount/marquez-web',
      ]);
    });

    test('web disabled: no web objects, no webUrl', () => {
      const objects = buildAlone({ web: { enabled: false } });
      expect(objects.filter((o) => o.metadata.name === 'marquez-web')).toEqual([]);
      let marquez: Marquez | undefined;
      synthChart((chart) => {
        marquez = new Marquez(chart, 'lineage', {
          database: new PostgreSQL(chart, 'db', { database: 'marquez', username: 'marquez' }),
          web: { enabled: false },
        });
      });
      expect(marquez?.webUrl).toBeUndefined();
      expect(marquez?.webDeployment).toBeUndefined();
      expect(marquez?.apiObjects.map((o) => o.kind)).toEqual([
        'ConfigMap',
        'Service',
        'ServiceAccount',
        'PodDisruptionBudget',
        'Deployment',
      ]);
    });

    test('pass strict Kubernetes 1.28 schema validation', () => {
      expect(validateObjects(build().objects)).toEqual([]);
      expect(validateObjects(buildAlone({ web: { enabled: false } }))).toEqual([]);
    });

    test('meet the policy (restricted, resources, probes, labels, references)', () => {
      expect(checkPolicy(build().objects, { prerequisiteSecrets: [DB_SECRET] })).toEqual([]);
      expect(checkPolicy(buildAlone(), { prerequisiteSecrets: ['marquez-db'] })).toEqual([]);
    });
  });

  describe('API server', () => {
    test('image, ports and Service', () => {
      const { objects } = build();
      const api = container(objects, 'marquez');
      expect(api.image).toBe('docker.io/marquezproject/marquez:0.51.1');
      expect(api.ports).toEqual([
        { name: 'http', containerPort: 5000, protocol: 'TCP' },
        { name: 'http-admin', containerPort: 5001, protocol: 'TCP' },
      ]);
      expect(get(findObject(objects, 'Service', 'marquez'), 'spec.ports')).toEqual([
        { name: 'http', port: 5000, targetPort: 'http', protocol: 'TCP' },
        { name: 'http-admin', port: 5001, targetPort: 'http-admin', protocol: 'TCP' },
      ]);
      expect(get(findObject(objects, 'Service', 'marquez'), 'spec.selector')).toEqual(
        get(findObject(objects, 'Deployment', 'marquez'), 'spec.selector.matchLabels'),
      );
    });

    test('probes: /healthcheck (startup, readiness) and /ping (liveness) on the admin port', () => {
      const api = container(build().objects, 'marquez');
      expect(get(api, 'startupProbe.httpGet')).toEqual({ path: '/healthcheck', port: 'http-admin' });
      expect(get(api, 'readinessProbe.httpGet')).toEqual({ path: '/healthcheck', port: 'http-admin' });
      expect(get(api, 'livenessProbe.httpGet')).toEqual({ path: '/ping', port: 'http-admin' });
      // Up to 10 minutes for the JVM and the migrations.
      expect(
        Number(get(api, 'startupProbe.periodSeconds')) * Number(get(api, 'startupProbe.failureThreshold')),
      ).toBe(600);
    });

    test('env: config path, password from the database Secret, JVM options', () => {
      const env = envMap(container(build().objects, 'marquez'));
      expect(env).toEqual({
        MARQUEZ_CONFIG: '/etc/marquez/config.yml',
        POSTGRES_PASSWORD: { secretKeyRef: { name: DB_SECRET, key: 'postgresql-password' } },
        JAVA_OPTS: '-XX:MaxRAMPercentage=70.0',
      });
    });

    test('extra env is appended; a variable Marquez sets is refused', () => {
      const env = envMap(container(buildAlone({ extraEnv: { SENTRY_ENVIRONMENT: 'prod' } }), 'marquez'));
      expect(env.SENTRY_ENVIRONMENT).toBe('prod');
      expectValidationError(
        () => buildAlone({ extraEnv: { POSTGRES_PASSWORD: 'x' } }),
        'test/lineage: invalid extraEnv.POSTGRES_PASSWORD: got "x", expected a variable the component does not ' +
          'set itself (it sets JAVA_OPTS, MARQUEZ_CONFIG, POSTGRES_PASSWORD)',
      );
    });

    test('runs as non-root UID 10001 with a read-only root; config read-only, /tmp an emptyDir', () => {
      const { objects } = build();
      const deployment = findObject(objects, 'Deployment', 'marquez');
      const api = container(objects, 'marquez');
      expect(get(deployment, 'spec.template.spec.securityContext.runAsUser')).toBe(10001);
      expect(get(api, 'securityContext.runAsUser')).toBe(10001);
      expect(get(api, 'securityContext.runAsNonRoot')).toBe(true);
      expect(get(api, 'securityContext.readOnlyRootFilesystem')).toBe(true);
      expect(api.volumeMounts).toEqual([
        { name: 'config', mountPath: '/etc/marquez', readOnly: true },
        { name: 'tmp', mountPath: '/tmp' },
      ]);
      expect(get(deployment, 'spec.template.spec.volumes')).toEqual([
        { name: 'config', configMap: { name: 'marquez-config' } },
        { name: 'tmp', emptyDir: {} },
      ]);
    });

    test('waits for the database with pg_isready', () => {
      const init = get(
        findObject(build().objects, 'Deployment', 'marquez'),
        'spec.template.spec.initContainers',
      ) as unknown[];
      expect(init).toHaveLength(1);
      expect(get(init[0], 'name')).toBe('wait-for-database');
      expect((get(init[0], 'command') as string[]).join(' ')).toContain(
        `pg_isready -h lineage-db.${NS}.svc.cluster.local -p 5432 -U marquez -d marquez`,
      );
    });

    test('config checksum annotation follows config.yml', () => {
      const objects = build().objects;
      const { text } = configOf(objects);
      const annotation = get(
        findObject(objects, 'Deployment', 'marquez'),
        'spec.template.metadata.annotations.checksum/config',
      );
      expect(text).toContain('migrateOnStartup');
      expect(annotation).toBe(configMapsChecksum([findObject(objects, 'ConfigMap', 'marquez-config')]));
      const other = get(
        findObject(build({ logLevel: 'DEBUG' }).objects, 'Deployment', 'marquez'),
        'spec.template.metadata.annotations.checksum/config',
      );
      expect(other).not.toBe(annotation);
    });

    test("replicas: default 2 (the floe docs' minimum), a PDB keeps 1, rolling update keeps one serving", () => {
      const objects = build().objects;
      expect(get(findObject(objects, 'Deployment', 'marquez'), 'spec.replicas')).toBe(2);
      expect(get(findObject(objects, 'PodDisruptionBudget', 'marquez'), 'spec.minAvailable')).toBe(1);
      const d = findObject(buildAlone({ replicas: 3 }), 'Deployment', 'marquez');
      expect(get(d, 'spec.replicas')).toBe(3);
      expect(get(d, 'spec.strategy.rollingUpdate')).toEqual({ maxSurge: 1, maxUnavailable: 0 });
      const single = build({ replicas: 1 }).objects;
      expect(single.some((o) => o.kind === 'PodDisruptionBudget')).toBe(false);
    });

    test('requests and limits; overridable', () => {
      const api = container(
        buildAlone({ resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '3Gi' } } }),
        'marquez',
      );
      expect(api.resources).toEqual({ requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '3Gi' } });
      expect(get(container(buildAlone(), 'marquez'), 'resources.limits.memory')).toBe('1536Mi');
    });

    test('image registry mirror and pull secrets reach every container', () => {
      const objects = buildAlone({ imageRegistry: 'mirror.example.com/hub', imagePullSecrets: ['regcred'] });
      for (const name of ['marquez', 'marquez-web']) {
        const spec = get(findObject(objects, 'Deployment', name), 'spec.template.spec');
        expect(get(spec, 'imagePullSecrets')).toEqual([{ name: 'regcred' }]);
      }
      expect(container(objects, 'marquez').image).toBe(
        'mirror.example.com/hub/marquezproject/marquez:0.51.1',
      );
      expect(container(objects, 'marquez-web').image).toBe(
        'mirror.example.com/hub/marquezproject/marquez-web:0.51.1',
      );
      expect(
        get(findObject(objects, 'Deployment', 'marquez-web'), 'spec.template.spec.initContainers.0.image'),
      ).toBe('mirror.example.com/hub/library/busybox:1.37.0');
    });
  });

  describe('config.yml', () => {
    test('connectors on 5000 and 5001', () => {
      const { parsed } = configOf(build().objects);
      expect(get(parsed, 'server.applicationConnectors')).toEqual([
        { type: 'http', port: 5000, httpCompliance: 'RFC7230_LEGACY' },
      ]);
      expect(get(parsed, 'server.adminConnectors')).toEqual([{ type: 'http', port: 5001 }]);
    });

    test('database: driver, JDBC URL and user of the database plugin, password substituted', () => {
      const { parsed } = configOf(build().objects);
      expect(get(parsed, 'db.driverClass')).toBe('org.postgresql.Driver');
      expect(get(parsed, 'db.url')).toBe(`jdbc:postgresql://lineage-db.${NS}.svc.cluster.local:5432/marquez`);
      expect(get(parsed, 'db.user')).toBe('marquez');
      expect(get(parsed, 'db.password')).toBe('${POSTGRES_PASSWORD}');
      expect(get(parsed, 'db.maxSize')).toBe(20);
      expect(get(parsed, 'db.minSize')).toBe(2);
      expect(get(parsed, 'db.initialSize')).toBe(2);
      expect(get(configOf(buildAlone()).parsed, 'db.url')).toBe(
        'jdbc:postgresql://db.example.com:5432/marquez',
      );
    });

    test('a password with YAML-special characters survives substitution verbatim', () => {
      const { text } = configOf(build().objects);
      for (const password of ['a"b\\c: #d\'e', '*alias', '&x !tag %y @z `q |>', '{[,]}']) {
        const parsed = parse(substitute(text, { POSTGRES_PASSWORD: password })) as Record<string, unknown>;
        expect(get(parsed, 'db.password')).toBe(password);
      }
    });

    test('migrations on start, search off, console logging at the chosen level', () => {
      const { parsed } = configOf(build().objects);
      expect(parsed.migrateOnStartup).toBe(true);
      expect(parsed.search).toEqual({ enabled: false });
      expect(parsed.logging).toEqual({ level: 'INFO', appenders: [{ type: 'console' }] });
      expect(get(configOf(buildAlone({ logLevel: 'DEBUG' })).parsed, 'logging.level')).toBe('DEBUG');
      expect(parsed.dbRetention).toBeUndefined();
    });

    test('retention, with Marquez defaults for unset fields', () => {
      const { parsed } = configOf(buildAlone({ retention: { retentionDays: 30 } }));
      expect(parsed.dbRetention).toEqual({
        retentionDays: 30,
        frequencyMins: 15,
        numberOfRowsPerBatch: 1000,
      });
    });

    test('only the keys Marquez knows, with stable order', () => {
      const { parsed, text } = configOf(buildAlone({ retention: {} }));
      expect(Object.keys(parsed)).toEqual([
        'db',
        'dbRetention',
        'logging',
        'migrateOnStartup',
        'search',
        'server',
      ]);
      expect(configOf(buildAlone({ retention: {} })).text).toBe(text);
    });
  });

  describe('web UI', () => {
    test('image, port, Service, probes on /healthcheck', () => {
      const objects = build().objects;
      const web = container(objects, 'marquez-web');
      expect(web.image).toBe('docker.io/marquezproject/marquez-web:0.51.1');
      expect(web.ports).toEqual([{ name: 'http', containerPort: 3000, protocol: 'TCP' }]);
      expect(get(web, 'readinessProbe.httpGet')).toEqual({ path: '/healthcheck', port: 'http' });
      expect(get(web, 'livenessProbe.httpGet')).toEqual({ path: '/healthcheck', port: 'http' });
      expect(get(findObject(objects, 'Service', 'marquez-web'), 'spec.ports')).toEqual([
        { name: 'http', port: 3000, targetPort: 'http', protocol: 'TCP' },
      ]);
    });

    test('the three variables setupProxy.js requires point at the API Service', () => {
      const env = envMap(container(build().objects, 'marquez-web'));
      expect(env).toEqual({ MARQUEZ_HOST: API_HOST, MARQUEZ_PORT: '5000', WEB_PORT: '3000' });
    });

    test('runs as the node user (1000) with a read-only root and no volumes', () => {
      const deployment = findObject(build().objects, 'Deployment', 'marquez-web');
      const web = get(deployment, 'spec.template.spec.containers.0');
      expect(get(deployment, 'spec.template.spec.securityContext.runAsUser')).toBe(1000);
      expect(get(web, 'securityContext.runAsUser')).toBe(1000);
      expect(get(web, 'securityContext.runAsGroup')).toBe(1000);
      expect(get(web, 'securityContext.readOnlyRootFilesystem')).toBe(true);
      expect(get(deployment, 'spec.template.spec.volumes')).toBeUndefined();
    });

    test('waits for the API Service', () => {
      const init = get(
        findObject(build().objects, 'Deployment', 'marquez-web'),
        'spec.template.spec.initContainers',
      ) as unknown[];
      expect(init).toHaveLength(1);
      expect(get(init[0], 'name')).toBe('wait-for-marquez');
      expect((get(init[0], 'command') as string[]).join(' ')).toContain(`nc -z -w 2 ${API_HOST} 5000`);
    });

    test('web options: replicas, resources, image tag', () => {
      const objects = buildAlone({
        web: {
          replicas: 2,
          resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
          image: { tag: '0.51.0' },
        },
      });
      const d = findObject(objects, 'Deployment', 'marquez-web');
      expect(get(d, 'spec.replicas')).toBe(2);
      expect(get(d, 'spec.template.spec.containers.0.resources.limits.memory')).toBe('128Mi');
      expect(get(d, 'spec.template.spec.containers.0.image')).toBe(
        'docker.io/marquezproject/marquez-web:0.51.0',
      );
      expect(d.metadata.labels?.['app.kubernetes.io/version']).toBe('0.51.0');
    });
  });

  describe('plugin surface', () => {
    test('URLs, namespace, endpoints and required Secret', () => {
      const { marquez } = build({ lineageNamespace: 'analytics' });
      expect(marquez.lineageUrl).toBe(`http://${API_HOST}:5000`);
      expect(marquez.lineageNamespace).toBe('analytics');
      expect(marquez.webUrl).toBe(`http://marquez-web.${NS}.svc.cluster.local:3000`);
      expect(marquez.serviceEndpoint.address).toBe(`${API_HOST}:5000`);
      expect(marquez.adminEndpoint.port).toBe(5001);
      expect(marquez.requiredSecrets).toEqual([
        {
          name: DB_SECRET,
          keys: ['postgresql-password'],
          purpose:
            "password Marquez connects to PostgreSQL with as user 'marquez' (any characters but line breaks and leading spaces)",
        },
      ]);
      expect(marquez.apiObjects.map((o) => `${o.kind}/${o.name}`)).toEqual([
        'ConfigMap/marquez-config',
        'Service/marquez',
        'ServiceAccount/marquez',
        'PodDisruptionBudget/marquez',
        'Deployment/marquez',
        'Service/marquez-web',
        'ServiceAccount/marquez-web',
        'Deployment/marquez-web',
      ]);
    });

    test('lineage namespace defaults to floe', () => {
      expect(build().marquez.lineageNamespace).toBe('floe');
    });

    test('provider asks for lineage-db and builds Marquez on the database it gets', () => {
      const provider = Marquez.provider({ lineageNamespace: 'team-a', web: { enabled: false } });
      expect(provider.database).toEqual({ name: 'lineage-db', database: 'marquez', username: 'marquez' });
      let lineageUrl = '';
      let namespace = '';
      const objects = synthChart((chart) => {
        const database = new PostgreSQL(chart, 'lineage-db', { database: 'marquez', username: 'marquez' });
        const deps: PlatformDependencies = {
          platformName: 'acme',
          imageRegistry: 'mirror.example.com',
          imagePullSecrets: ['regcred'],
          database,
        };
        const plugin = provider.provide(chart, 'lineage', deps);
        lineageUrl = plugin.lineageUrl;
        namespace = plugin.lineageNamespace;
      });
      expect(lineageUrl).toBe(`http://${API_HOST}:5000`);
      expect(namespace).toBe('team-a');
      const d = findObject(objects, 'Deployment', 'marquez');
      expect(get(d, 'metadata.labels')).toMatchObject({ 'app.kubernetes.io/part-of': 'acme' });
      expect(get(d, 'spec.template.spec.containers.0.image')).toBe(
        'mirror.example.com/marquezproject/marquez:0.51.1',
      );
      expect(get(d, 'spec.template.spec.imagePullSecrets')).toEqual([{ name: 'regcred' }]);
      expect(objects.filter((o) => o.metadata.name === 'marquez-web')).toEqual([]);
    });

    test('provider without a database fails with a clear error', () => {
      const provider = Marquez.provider();
      expectValidationError(
        () =>
          synthChart((chart: Chart) => {
            provider.provide(chart, 'lineage', { platformName: 'floe' });
          }),
        'test/lineage: invalid database: got undefined, expected the PostgreSQL database the provider requests (lineage-db)',
      );
    });
  });

  describe('validation', () => {
    test('replicas below 1', () => {
      expectValidationError(
        () => buildAlone({ replicas: 0 }),
        'test/lineage: invalid replicas: got 0, expected an integer >= 1',
      );
      expectValidationError(
        () => buildAlone({ web: { replicas: 1.5 } }),
        'test/lineage: invalid web.replicas: got 1.5, expected an integer >= 1',
      );
    });

    test('web replicas are not checked when the UI is off', () => {
      expect(() => buildAlone({ web: { enabled: false, replicas: 0 } })).not.toThrow();
    });

    test('lineage namespace outside Marquez rules', () => {
      expectValidationError(
        () => buildAlone({ lineageNamespace: 'my namespace' }),
        'test/lineage: invalid lineageNamespace: got "my namespace", expected 1 to 1024 letters, digits or \':\', ' +
          "';', '=', '/', '_', '-', '.', '@', '+' (Marquez's namespace name rule)",
      );
      expectValidationError(
        () => buildAlone({ lineageNamespace: '' }),
        'test/lineage: invalid lineageNamespace: got "", expected 1 to 1024 letters, digits or \':\', ' +
          "';', '=', '/', '_', '-', '.', '@', '+' (Marquez's namespace name rule)",
      );
    });

    test('unknown log level', () => {
      expectValidationError(
        () => buildAlone({ logLevel: 'VERBOSE' as unknown as MarquezProps['logLevel'] }),
        "test/lineage: invalid logLevel: got \"VERBOSE\", expected 'TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR' or 'OFF'",
      );
    });

    test('pool size and retention', () => {
      expectValidationError(
        () => buildAlone({ maxDatabaseConnections: 1 }),
        'test/lineage: invalid maxDatabaseConnections: got 1, expected an integer >= 2',
      );
      expectValidationError(
        () => buildAlone({ retention: { retentionDays: 0 } }),
        'test/lineage: invalid retention.retentionDays: got 0, expected an integer >= 1',
      );
    });

    test('JVM options on several lines', () => {
      expectValidationError(
        () => buildAlone({ javaOptions: '-Xmx1g\n-Xms1g' }),
        'test/lineage: invalid javaOptions: got "-Xmx1g\\n-Xms1g", expected JVM options on one line',
      );
    });

    test('missing database', () => {
      expectValidationError(
        () =>
          synthChart((chart) => {
            new Marquez(chart, 'lineage', {} as unknown as MarquezProps);
          }),
        'test/lineage: invalid database: got undefined, expected a PostgresDatabasePlugin (required)',
      );
    });

    test('image tag latest', () => {
      expectValidationError(
        () => buildAlone({ web: { image: { tag: 'latest' } } }),
        "test/lineage: invalid web.image.tag: got \"latest\", expected a pinned tag (letters, digits, '_', '.', '-'; not 'latest')",
      );
    });
  });
});
