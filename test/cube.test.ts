import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import { Chart, Testing } from 'cdk8s';
import { FloePlatform } from '../src/platform/floe-platform';
import { ObjectStoragePlugin, PlatformDependencies, SemanticLayerPlugin } from '../src/plugins/interfaces';
import { Cube, CubeProps } from '../src/plugins/semantic/cube';
import { CubeStore } from '../src/plugins/semantic/cube-store';
import { validateObjects } from './support/k8s-schema';
import { checkPolicy } from './support/policy';
import { envNames, envValue, envVars, Json, workloadContainer, thrownMessage } from './support/helpers';
import { findObject, get, K8sObject, synthBuilt, synthChart } from './support/synth';

const NS = 'floe-platform';
const storage: ObjectStoragePlugin = {
  endpoint: 'http://minio.floe-platform.svc.cluster.local:9000',
  region: 'us-east-1',
  warehouseBucket: 'warehouse',
  pathStyleAccess: true,
  accessKeyId: { name: 'minio-credentials', key: 'root-user' },
  secretAccessKey: { name: 'minio-credentials', key: 'root-password' },
  requiredSecrets: [
    { name: 'minio-credentials', keys: ['root-user', 'root-password'], purpose: 'MinIO root' },
  ],
};
const trino: CubeProps['dataSource'] = {
  type: 'trino',
  host: 'trino.analytics.svc.cluster.local',
  port: 8080,
  catalog: 'iceberg',
  database: 'marts',
  user: 'cube',
  passwordSecret: { name: 'trino-credentials', key: 'password' },
};

function build(props: CubeProps = { storage }): { objects: K8sObject[]; cube: Cube } {
  const { objects, built } = synthBuilt((chart: Chart) => new Cube(chart, 'cube', props));
  return { objects, cube: built };
}

/** How the platform builds the default semantic layer. */
function buildWithProvider(deps: Partial<PlatformDependencies> = {}): {
  objects: K8sObject[];
  plugin: SemanticLayerPlugin;
} {
  const { objects, built } = synthBuilt((chart: Chart) =>
    Cube.provider().provide(chart, 'semantic', { platformName: 'floe', storage, ...deps }),
  );
  return { objects, plugin: built };
}

/** The first container of Deployment `deployment`. */
function container(objects: K8sObject[], deployment: string): Json {
  return workloadContainer(objects, 'Deployment', deployment);
}

const ROLES = ['cube', 'cube-refresh-worker'];

describe('Cube', () => {
  test('default (as the platform builds it: DuckDB on the platform object storage) matches snapshot', () => {
    expect(buildWithProvider().objects).toMatchSnapshot();
  });

  test('variation: Trino data source, existing Cube Store, custom secret and model, matches snapshot', () => {
    const objects = synthChart((chart: Chart) => {
      const store = new CubeStore(chart, 'store', {
        name: 'analytics-store',
        remoteDirClaimName: 'cube-remote',
      });
      new Cube(chart, 'cube', {
        name: 'semantic',
        cubeStore: store,
        dataSource: trino,
        apiSecret: { name: 'semantic-jwt', key: 'secret' },
        model: { configMapName: 'semantic-model' },
        api: { replicas: 3 },
        logLevel: 'info',
      });
    });
    expect(objects).toMatchSnapshot();
  });

  test('passes strict Kubernetes 1.28 schema validation and the policy checks', () => {
    const { objects, plugin } = buildWithProvider();
    expect(validateObjects(objects)).toEqual([]);
    expect(
      checkPolicy(objects, {
        prerequisiteSecrets: plugin.requiredSecrets.map((s) => s.name),
        prerequisiteConfigMaps: [...(plugin.requiredConfigMaps ?? [])],
      }),
    ).toEqual([]);
    const trinoBuild = build({ storage, dataSource: trino });
    expect(validateObjects(trinoBuild.objects)).toEqual([]);
    expect(
      checkPolicy(trinoBuild.objects, {
        prerequisiteSecrets: trinoBuild.cube.requiredSecrets.map((s) => s.name),
        prerequisiteConfigMaps: [...trinoBuild.cube.requiredConfigMaps],
      }),
    ).toEqual([]);
  });

  test('creates API, refresh worker and a Cube Store by default', () => {
    const { objects, cube } = build();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'Deployment/cube',
      'Deployment/cube-refresh-worker',
      'HorizontalPodAutoscaler/cube',
      'PodDisruptionBudget/cube',
      'PodDisruptionBudget/cubestore-workers',
      'Service/cube',
      'Service/cubestore-router',
      'Service/cubestore-router-headless',
      'Service/cubestore-workers',
      'ServiceAccount/cube',
      'ServiceAccount/cube-refresh-worker',
      'ServiceAccount/cubestore-router',
      'ServiceAccount/cubestore-workers',
      'StatefulSet/cubestore-router',
      'StatefulSet/cubestore-workers',
    ]);
    expect(cube.cubeStore.node.path).toBe('test/cube/cubestore');
  });

  test('both roles run the pinned cube image as node (UID 1000) with a read-only root', () => {
    const { objects } = build();
    for (const d of ROLES) {
      const c = container(objects, d);
      expect(c.image).toBe('docker.io/cubejs/cube:v1.5.3');
      expect(get(c, 'securityContext.runAsUser')).toBe(1000);
      expect(get(c, 'securityContext.runAsGroup')).toBe(1000);
      expect(get(c, 'securityContext.runAsNonRoot')).toBe(true);
      expect(get(c, 'securityContext.readOnlyRootFilesystem')).toBe(true);
      expect(get(findObject(objects, 'Deployment', d), 'spec.template.spec.securityContext.fsGroup')).toBe(
        1000,
      );
    }
  });

  test('API: 2 to 10 pods, container port http 4000, Service cube on 4000, endpoint and API URL', () => {
    const { objects, cube } = build();
    expect(get(findObject(objects, 'Deployment', 'cube'), 'spec.replicas')).toBeUndefined();
    const hpa = findObject(objects, 'HorizontalPodAutoscaler', 'cube');
    expect([get(hpa, 'spec.minReplicas'), get(hpa, 'spec.maxReplicas')]).toEqual([2, 10]);
    expect(get(findObject(objects, 'PodDisruptionBudget', 'cube'), 'spec.minAvailable')).toBe(1);
    // The refresh worker is a singleton: fixed replicas, no autoscaler, no budget.
    expect(get(findObject(objects, 'Deployment', 'cube-refresh-worker'), 'spec.replicas')).toBe(1);
    const c = container(objects, 'cube');
    expect(c.ports).toEqual([{ name: 'http', containerPort: 4000, protocol: 'TCP' }]);
    expect(envValue(c, 'PORT')).toBe('4000');
    const svc = findObject(objects, 'Service', 'cube');
    expect(get(svc, 'spec.ports')).toEqual([
      { name: 'http', port: 4000, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' },
    ]);
    expect((get(svc, 'spec.selector') as Record<string, string>)['app.kubernetes.io/component']).toBe('api');
    expect(cube.serviceEndpoint.address).toBe(`cube.${NS}.svc.cluster.local:4000`);
    expect(cube.apiUrl).toBe(`http://cube.${NS}.svc.cluster.local:4000`);
    expect(cube.restApiUrl).toBe(`http://cube.${NS}.svc.cluster.local:4000/cubejs-api/v1`);
  });

  test('probes: readiness /readyz, liveness and startup /livez; /readyz is never the liveness probe', () => {
    const { objects } = build();
    for (const d of ROLES) {
      const c = container(objects, d);
      expect(get(c, 'readinessProbe.httpGet')).toEqual({ path: '/readyz', port: 'http' });
      expect(get(c, 'livenessProbe.httpGet')).toEqual({ path: '/livez', port: 'http' });
      expect(get(c, 'startupProbe.httpGet')).toEqual({ path: '/livez', port: 'http' });
    }
  });

  test('refresh worker: a single-replica Deployment with Recreate and CUBEJS_REFRESH_WORKER=true', () => {
    const { objects } = build();
    const d = findObject(objects, 'Deployment', 'cube-refresh-worker');
    expect(get(d, 'spec.replicas')).toBe(1);
    expect(get(d, 'spec.strategy')).toEqual({ type: 'Recreate' });
    expect(envValue(container(objects, 'cube-refresh-worker'), 'CUBEJS_REFRESH_WORKER')).toBe('true');
    expect(envValue(container(objects, 'cube'), 'CUBEJS_REFRESH_WORKER')).toBe('false');
    expect(d.metadata.labels?.['app.kubernetes.io/component']).toBe('refresh-worker');
    // The API Service must not route to the refresh worker.
    const selector = get(findObject(objects, 'Service', 'cube'), 'spec.selector') as Record<string, string>;
    const workerLabels = get(d, 'spec.template.metadata.labels') as Record<string, string>;
    expect(Object.entries(selector).every(([k, v]) => workerLabels[k] === v)).toBe(false);
  });

  test('production settings and the Cube Store connection', () => {
    const { objects } = build();
    for (const d of ROLES) {
      const c = container(objects, d);
      expect(envValue(c, 'CUBEJS_DEV_MODE')).toBe('false');
      expect(envValue(c, 'CUBEJS_TELEMETRY')).toBe('false');
      expect(envValue(c, 'CUBEJS_CACHE_AND_QUEUE_DRIVER')).toBe('cubestore');
      expect(envValue(c, 'CUBEJS_CUBESTORE_HOST')).toBe(`cubestore-router.${NS}.svc.cluster.local`);
      expect(envValue(c, 'CUBEJS_CUBESTORE_PORT')).toBe('3030');
      expect(envValue(c, 'CUBEJS_LOG_LEVEL')).toBe('warn');
      expect(envValue(c, 'CUBEJS_SCHEMA_PATH')).toBe('model');
    }
  });

  test('CUBEJS_API_SECRET comes from a Secret reference (default cube-api-secret/api-secret)', () => {
    const c = container(build().objects, 'cube');
    expect(envVars(c)).toContainEqual({
      name: 'CUBEJS_API_SECRET',
      valueFrom: { secretKeyRef: { name: 'cube-api-secret', key: 'api-secret' } },
    });
    const custom = container(build({ storage, apiSecret: { name: 'jwt', key: 'k' } }).objects, 'cube');
    expect(envVars(custom)).toContainEqual({
      name: 'CUBEJS_API_SECRET',
      valueFrom: { secretKeyRef: { name: 'jwt', key: 'k' } },
    });
  });

  test('model: a ConfigMap mounted read-only at /cube/conf/model and listed as a prerequisite', () => {
    const { objects, cube } = build();
    for (const d of ROLES) {
      const c = container(objects, d);
      expect(c.volumeMounts).toContainEqual({ name: 'model', mountPath: '/cube/conf/model', readOnly: true });
      expect(get(findObject(objects, 'Deployment', d), 'spec.template.spec.volumes')).toContainEqual({
        name: 'model',
        configMap: { name: 'cube-model' },
      });
    }
    expect(cube.requiredConfigMaps).toEqual(['cube-model']);
    expect(build({ storage, model: { configMapName: 'my-model' } }).cube.requiredConfigMaps).toEqual([
      'my-model',
    ]);
  });

  test('model from any volume: renamed to model, no ConfigMap prerequisite', () => {
    const { objects, cube } = build({
      storage,
      model: { volume: { name: 'whatever', persistentVolumeClaim: { claimName: 'models', readOnly: true } } },
    });
    expect(get(findObject(objects, 'Deployment', 'cube'), 'spec.template.spec.volumes')).toContainEqual({
      name: 'model',
      persistentVolumeClaim: { claimName: 'models', readOnly: true },
    });
    expect(cube.requiredConfigMaps).toEqual([]);
  });

  test('writable paths: /tmp always; DuckDB extension and spill directories only for DuckDB', () => {
    const duck = container(build().objects, 'cube');
    expect(duck.volumeMounts).toEqual([
      { name: 'model', mountPath: '/cube/conf/model', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'duckdb-home', mountPath: '/home/node/.duckdb' },
      { name: 'duckdb-tmp', mountPath: '/cube/conf/.tmp' },
    ]);
    expect(envValue(duck, 'HOME')).toBe('/home/node');
    const t = container(build({ storage, dataSource: trino }).objects, 'cube');
    expect(t.volumeMounts).toEqual([
      { name: 'model', mountPath: '/cube/conf/model', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    expect(envNames(t)).not.toContain('HOME');
  });

  test('both roles wait for the Cube Store router HTTP port', () => {
    const { objects } = build();
    for (const d of ROLES) {
      const init = get(findObject(objects, 'Deployment', d), 'spec.template.spec.initContainers') as Json[];
      expect(init).toHaveLength(1);
      expect(init[0].name).toBe('wait-for-cubestore');
      expect((init[0].command as string[]).join(' ')).toContain(
        `nc -z -w 2 cubestore-router.${NS}.svc.cluster.local 3030`,
      );
    }
  });

  test('DuckDB on the object storage: CUBEJS_DB_DUCKDB_S3_* with keys from Secret references', () => {
    const c = container(build().objects, 'cube');
    expect(envValue(c, 'CUBEJS_DB_TYPE')).toBe('duckdb');
    expect(envValue(c, 'CUBEJS_DB_DUCKDB_S3_ENDPOINT')).toBe('minio.floe-platform.svc.cluster.local:9000');
    expect(envValue(c, 'CUBEJS_DB_DUCKDB_S3_USE_SSL')).toBe('false');
    expect(envValue(c, 'CUBEJS_DB_DUCKDB_S3_URL_STYLE')).toBe('path');
    expect(envValue(c, 'CUBEJS_DB_DUCKDB_S3_REGION')).toBe('us-east-1');
    expect(envVars(c)).toContainEqual({
      name: 'CUBEJS_DB_DUCKDB_S3_ACCESS_KEY_ID',
      valueFrom: { secretKeyRef: { name: 'minio-credentials', key: 'root-user' } },
    });
    expect(envVars(c)).toContainEqual({
      name: 'CUBEJS_DB_DUCKDB_S3_SECRET_ACCESS_KEY',
      valueFrom: { secretKeyRef: { name: 'minio-credentials', key: 'root-password' } },
    });
    const tls = container(
      build({
        storage: { ...storage, endpoint: 'https://s3.eu-west-1.amazonaws.com', pathStyleAccess: false },
      }).objects,
      'cube',
    );
    expect(envValue(tls, 'CUBEJS_DB_DUCKDB_S3_ENDPOINT')).toBe('s3.eu-west-1.amazonaws.com');
    expect(envValue(tls, 'CUBEJS_DB_DUCKDB_S3_USE_SSL')).toBe('true');
    expect(envValue(tls, 'CUBEJS_DB_DUCKDB_S3_URL_STYLE')).toBe('vhost');
  });

  test('Trino: typed fields become CUBEJS_DB_* and the password is a Secret reference', () => {
    const c = container(build({ storage, dataSource: trino }).objects, 'cube');
    expect(envValue(c, 'CUBEJS_DB_TYPE')).toBe('trino');
    expect(envValue(c, 'CUBEJS_DB_HOST')).toBe('trino.analytics.svc.cluster.local');
    expect(envValue(c, 'CUBEJS_DB_PORT')).toBe('8080');
    expect(envValue(c, 'CUBEJS_DB_PRESTO_CATALOG')).toBe('iceberg');
    expect(envValue(c, 'CUBEJS_DB_NAME')).toBe('marts');
    expect(envValue(c, 'CUBEJS_DB_USER')).toBe('cube');
    expect(envVars(c)).toContainEqual({
      name: 'CUBEJS_DB_PASS',
      valueFrom: { secretKeyRef: { name: 'trino-credentials', key: 'password' } },
    });
    expect(envNames(c).filter((n) => n.startsWith('CUBEJS_DB_DUCKDB'))).toEqual([]);
  });

  test('extra and secretEnv data source settings', () => {
    const { objects, cube } = build({
      storage,
      dataSource: {
        type: 'duckdb',
        extra: { CUBEJS_DB_DUCKDB_EXTENSIONS: 'httpfs,iceberg' },
        secretEnv: { CUBEJS_DB_DUCKDB_MOTHERDUCK_TOKEN: { name: 'motherduck', key: 'token' } },
      },
    });
    const c = container(objects, 'cube');
    expect(envValue(c, 'CUBEJS_DB_DUCKDB_EXTENSIONS')).toBe('httpfs,iceberg');
    expect(envVars(c)).toContainEqual({
      name: 'CUBEJS_DB_DUCKDB_MOTHERDUCK_TOKEN',
      valueFrom: { secretKeyRef: { name: 'motherduck', key: 'token' } },
    });
    expect(cube.requiredSecrets.map((s) => s.name)).toContain('motherduck');
  });

  test('requiredSecrets: API secret, data source password and storage keys, merged by Secret', () => {
    const { cube } = build({ storage, dataSource: trino });
    expect(cube.requiredSecrets.map((s) => [s.name, s.keys])).toEqual([
      ['cube-api-secret', ['api-secret']],
      ['minio-credentials', ['root-password', 'root-user']],
      ['trino-credentials', ['password']],
    ]);
    // DuckDB and Cube Store read the same storage Secret: listed once.
    const duck = build().cube.requiredSecrets;
    expect(duck.filter((s) => s.name === 'minio-credentials')).toHaveLength(1);
  });

  test('an existing Cube Store is used, not created, and its Secrets stay its own', () => {
    let cube: Cube | undefined;
    let store: CubeStore | undefined;
    const objects = synthChart((chart: Chart) => {
      store = new CubeStore(chart, 'store', { name: 'shared-store', storage });
      cube = new Cube(chart, 'cube', { cubeStore: store, dataSource: trino });
    });
    expect(cube?.cubeStore).toBe(store);
    expect(objects.filter((o) => o.kind === 'StatefulSet').map((o) => o.metadata.name)).toEqual([
      'shared-store-router',
      'shared-store-workers',
    ]);
    expect(envValue(container(objects, 'cube'), 'CUBEJS_CUBESTORE_HOST')).toBe(
      `shared-store-router.${NS}.svc.cluster.local`,
    );
    expect(cube?.requiredSecrets.map((s) => s.name)).toEqual(['cube-api-secret', 'trino-credentials']);
  });

  test('cubeStoreOptions configure the Cube Store it creates', () => {
    const { objects } = build({ storage, cubeStoreOptions: { workers: { replicas: 4 } } });
    expect(get(findObject(objects, 'StatefulSet', 'cubestore-workers'), 'spec.replicas')).toBe(4);
  });

  test('provider: platform name, registry mirror, pull secrets and storage come from the platform', () => {
    const { objects, plugin } = buildWithProvider({
      platformName: 'acme',
      imageRegistry: 'mirror.example.com',
      imagePullSecrets: ['regcred'],
    });
    const d = findObject(objects, 'Deployment', 'cube');
    expect(d.metadata.labels?.['app.kubernetes.io/part-of']).toBe('acme');
    expect(get(d, 'spec.template.spec.containers.0.image')).toBe('mirror.example.com/cubejs/cube:v1.5.3');
    expect(get(d, 'spec.template.spec.imagePullSecrets')).toEqual([{ name: 'regcred' }]);
    expect(
      get(findObject(objects, 'StatefulSet', 'cubestore-router'), 'spec.template.spec.containers.0.image'),
    ).toBe('mirror.example.com/cubejs/cubestore:v1.5.3');
    expect(envValue(container(objects, 'cube'), 'CUBEJS_DB_DUCKDB_S3_ENDPOINT')).toBe(
      'minio.floe-platform.svc.cluster.local:9000',
    );
    expect(plugin.apiUrl).toBe(`http://cube.${NS}.svc.cluster.local:4000`);
    expect(plugin.serviceEndpoint?.serviceName).toBe('cube');
    expect(plugin.requiredConfigMaps).toEqual(['cube-model']);
  });

  describe('validation', () => {
    test('more than one refresh worker is refused', () => {
      expect(thrownMessage(() => build({ storage, refreshWorker: { replicas: 2 } }))).toBe(
        'test/cube: invalid refreshWorker.replicas: got 2, expected 1 (a single refresh worker builds ' +
          'pre-aggregations; more would run the same builds concurrently)',
      );
    });

    test('API replicas must be at least 1', () => {
      expect(thrownMessage(() => build({ storage, api: { replicas: 0 } }))).toBe(
        'test/cube: invalid api.replicas: got 0, expected an integer >= 1',
      );
    });

    test('Cube and Cube Store must run the same version', () => {
      expect(thrownMessage(() => build({ storage, image: { tag: 'v1.5.4' } }))).toContain(
        'test/cube: invalid image.tag: got "v1.5.4", expected a tag of the same Cube release as the Cube Store image \'v1.5.3\'',
      );
      expect(
        thrownMessage(() => build({ storage, cubeStoreOptions: { image: { tag: 'v1.4.0' } } })),
      ).toContain("the Cube Store image 'v1.4.0'");
      expect(thrownMessage(() => build({ storage, image: { tag: 'custom' } }))).toContain(
        'invalid image.tag: got "custom"',
      );
      // Equal versions pass, with or without the 'v' and with a suffix.
      expect(() =>
        build({ storage, image: { tag: '1.5.4-jdk' }, cubeStoreOptions: { image: { tag: 'v1.5.4' } } }),
      ).not.toThrow();
      expect(thrownMessage(() => build({ storage, image: { tag: 'v1.5.30' } }))).toContain(
        'invalid image.tag',
      );
    });

    test('Cube Store needs remote storage: without storage the error says what to choose', () => {
      expect(thrownMessage(() => build({ dataSource: trino }))).toContain(
        'test/cube/cubestore: invalid storage: got undefined, expected an ObjectStoragePlugin',
      );
      expect(() =>
        build({ dataSource: trino, cubeStoreOptions: { remoteDirClaimName: 'rwx' } }),
      ).not.toThrow();
    });

    test('cubeStore and cubeStoreOptions are exclusive', () => {
      expect(
        thrownMessage(() =>
          synthChart((chart: Chart) => {
            const store = new CubeStore(chart, 'store', { storage });
            new Cube(chart, 'cube', { cubeStore: store, cubeStoreOptions: { workers: { replicas: 3 } } });
          }),
        ),
      ).toContain('test/cube: invalid cubeStoreOptions');
    });

    test('data source checks', () => {
      expect(thrownMessage(() => build({ storage, dataSource: { type: 'trino' } }))).toBe(
        'test/cube: invalid dataSource.host: got undefined, expected a host name or IP address without spaces ' +
          '(required for a trino data source)',
      );
      expect(thrownMessage(() => build({ storage, dataSource: { type: 'duckdb', host: 'x' } }))).toContain(
        'invalid dataSource.host: got "x", expected unset for duckdb',
      );
      expect(
        thrownMessage(() => build({ storage, dataSource: { type: 'postgres', host: 'pg', catalog: 'c' } })),
      ).toContain('invalid dataSource.catalog: got "c", expected unset unless type is trino or prestodb');
      expect(thrownMessage(() => build({ storage, dataSource: { ...trino, port: 70000 } }))).toContain(
        'invalid dataSource.port: got 70000, expected an integer from 1 to 65535',
      );
      expect(
        thrownMessage(() =>
          build({ storage, dataSource: { type: 'duckdb', extra: { NODE_OPTIONS: '--x' } } }),
        ),
      ).toContain(
        'invalid dataSource.extra.NODE_OPTIONS: got "NODE_OPTIONS", expected a data source variable',
      );
      expect(
        thrownMessage(() => build({ storage, dataSource: { ...trino, extra: { CUBEJS_DB_HOST: 'other' } } })),
      ).toContain(
        'invalid dataSource.extra.CUBEJS_DB_HOST: got "CUBEJS_DB_HOST", expected a variable not already set',
      );
    });

    test('extraEnv may not override what Cube sets', () => {
      expect(
        thrownMessage(() => build({ storage, api: { extraEnv: { CUBEJS_DEV_MODE: 'true' } } })),
      ).toContain('test/cube: invalid api.extraEnv.CUBEJS_DEV_MODE: got "true"');
    });

    test('model and name checks', () => {
      expect(thrownMessage(() => build({ storage, model: { configMapName: 'Bad_Name' } }))).toContain(
        'invalid model.configMapName: got "Bad_Name"',
      );
      expect(thrownMessage(() => build({ storage, name: 'Cube' }))).toContain('invalid name: got "Cube"');
    });
  });
});

describe('DuckDB extensions installed ahead of time (air-gapped clusters)', () => {
  const extensionsImage = { registry: 'registry.example.com', repository: 'duckdb-extensions', tag: '1.2.0' };
  const withExtensions = (path?: string): K8sObject[] =>
    build({
      storage,
      dataSource: {
        type: 'duckdb',
        preinstalledExtensions: { image: extensionsImage, ...(path ? { path } : {}) },
      },
    }).objects;
  const podSpec = (objects: K8sObject[], name: string): Json =>
    get(findObject(objects, 'Deployment', name), 'spec.template.spec') as Json;
  /** What the pods are allowed to reach, from the platform's NetworkPolicies of a whole platform. */
  const cubeEgress = (dataSource: CubeProps['dataSource']): string => {
    const app = Testing.app();
    const platform = new FloePlatform(app, 'platform', { semantic: Cube.provider({ dataSource }) });
    const objects = Testing.synth(platform) as K8sObject[];
    return JSON.stringify(
      ROLES.map((r) =>
        get(
          objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === r),
          'spec.egress',
        ),
      ),
    );
  };

  test("both pods copy the tree into DuckDB's extension directory before Cube starts", () => {
    const objects = withExtensions();
    for (const name of ROLES) {
      const spec = podSpec(objects, name);
      const init = (spec.initContainers as Json[]).find((c) => c.name === 'duckdb-extensions');
      expect(init?.image).toBe('registry.example.com/duckdb-extensions:1.2.0');
      expect(init?.command).toEqual([
        'sh',
        '-c',
        'cp -R /duckdb/extensions /home/node/.duckdb/ && ls -R /home/node/.duckdb/extensions',
      ]);
      expect(init?.volumeMounts).toEqual([{ name: 'duckdb-home', mountPath: '/home/node/.duckdb' }]);
      // Cube reads the same emptyDir as its $HOME/.duckdb.
      const cube = (spec.containers as Json[])[0];
      expect(cube.volumeMounts).toContainEqual({ name: 'duckdb-home', mountPath: '/home/node/.duckdb' });
      expect(envValue(cube, 'HOME')).toBe('/home/node');
    }
    expect(validateObjects(objects)).toEqual([]);
  });

  test('the copy works: the tree lands where DuckDB looks ($HOME/.duckdb/extensions/<version>/<platform>)', () => {
    const root = fs.mkdtempSync(`${os.tmpdir()}/duckdb-ext-`);
    const image = `${root}/image/duckdb`;
    const home = `${root}/home/.duckdb`;
    fs.mkdirSync(`${image}/extensions/v1.2.0/linux_amd64`, { recursive: true });
    fs.writeFileSync(`${image}/extensions/v1.2.0/linux_amd64/httpfs.duckdb_extension`, 'binary');
    fs.mkdirSync(home, { recursive: true });
    const command = (
      (podSpec(withExtensions(), 'cube').initContainers as Json[]).find((c) => c.name === 'duckdb-extensions')
        ?.command as string[]
    )[2]
      .replace(/\/duckdb\/extensions/g, `${image}/extensions`)
      .replace(/\/home\/node\/\.duckdb/g, home);
    const r = spawnSync('sh', ['-c', command], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(fs.readFileSync(`${home}/extensions/v1.2.0/linux_amd64/httpfs.duckdb_extension`, 'utf8')).toBe(
      'binary',
    );
  });

  test('no egress to the extension repository with them; without them, port 80 to the internet', () => {
    expect(cubeEgress({ type: 'duckdb' })).toContain('"port":80');
    expect(cubeEgress({ type: 'duckdb', preinstalledExtensions: { image: extensionsImage } })).not.toContain(
      '"port":80',
    );
  });

  test('only for DuckDB, with an absolute path', () => {
    expect(
      thrownMessage(() =>
        build({ storage, dataSource: { ...trino, preinstalledExtensions: { image: extensionsImage } } }),
      ),
    ).toContain('invalid dataSource.preinstalledExtensions: got');
    expect(thrownMessage(() => withExtensions('duckdb'))).toContain(
      'invalid dataSource.preinstalledExtensions.path: got "duckdb", expected an absolute path',
    );
  });
});
