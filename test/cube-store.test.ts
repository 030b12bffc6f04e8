import { Chart } from 'cdk8s';
import { ObjectStoragePlugin } from '../src/plugins/interfaces';
import { CubeStore, CubeStoreProps } from '../src/plugins/semantic/cube-store';
import { validateObjects } from './support/k8s-schema';
import { checkPolicy } from './support/policy';
import { envNames, envValue, envVars, Json, workloadContainer, thrownMessage } from './support/helpers';
import { findObject, get, K8sObject, synthBuilt } from './support/synth';

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

const NS = 'floe-platform';
const ROUTER_HOST = `cubestore-router.${NS}.svc.cluster.local`;
const worker = (i: number): string => `cubestore-workers-${i}.cubestore-workers.${NS}.svc.cluster.local:9001`;

function build(props: CubeStoreProps = { storage }): { objects: K8sObject[]; store: CubeStore } {
  const { objects, built } = synthBuilt((chart: Chart) => new CubeStore(chart, 'cubestore', props));
  return { objects, store: built };
}

/** The first container of StatefulSet `sts`. */
function container(objects: K8sObject[], sts: string): Json {
  return workloadContainer(objects, 'StatefulSet', sts);
}

describe('CubeStore', () => {
  test('default instance (object storage) matches snapshot', () => {
    expect(build().objects).toMatchSnapshot();
  });

  test('variation: shared RWX remote dir, emptyDir data, 3 workers, mirror and pull secret match snapshot', () => {
    const { objects } = build({
      remoteDirClaimName: 'cubestore-remote',
      router: { dataVolume: { type: 'emptyDir', size: '5Gi' } },
      workers: { replicas: 3, dataVolume: { type: 'emptyDir' } },
      imageRegistry: 'mirror.example.com/dockerhub',
      imagePullSecrets: ['regcred'],
      logLevel: 'info',
    });
    expect(objects).toMatchSnapshot();
  });

  test('passes strict Kubernetes 1.28 schema validation and the policy checks', () => {
    const objects = build().objects;
    expect(validateObjects(objects)).toEqual([]);
    expect(checkPolicy(objects, { prerequisiteSecrets: ['minio-credentials'] })).toEqual([]);
  });

  test('shared-volume variant passes too; its only open reference is the documented prerequisite claim', () => {
    const objects = build({
      remoteDirClaimName: 'cubestore-remote',
      workers: { dataVolume: { type: 'emptyDir' } },
    }).objects;
    expect(validateObjects(objects)).toEqual([]);
    expect(checkPolicy(objects, { prerequisitePersistentVolumeClaims: ['cubestore-remote'] })).toEqual([]);
    // Without declaring the claim as a prerequisite, both pods' references are reported.
    expect(checkPolicy(objects)).toEqual([
      'StatefulSet/cubestore-router: PersistentVolumeClaim cubestore-remote is neither produced nor a prerequisite',
      'StatefulSet/cubestore-workers: PersistentVolumeClaim cubestore-remote is neither produced nor a prerequisite',
    ]);
  });

  test('router and workers run the pinned cubestore image, non-root UID 1001, read-only root', () => {
    const { objects } = build();
    for (const sts of ['cubestore-router', 'cubestore-workers']) {
      const c = container(objects, sts);
      expect(c.image).toBe('docker.io/cubejs/cubestore:v1.5.3');
      expect(get(c, 'securityContext.runAsUser')).toBe(1001);
      expect(get(c, 'securityContext.runAsGroup')).toBe(1001);
      expect(get(c, 'securityContext.runAsNonRoot')).toBe(true);
      expect(get(c, 'securityContext.readOnlyRootFilesystem')).toBe(true);
      expect(get(findObject(objects, 'StatefulSet', sts), 'spec.template.spec.securityContext.fsGroup')).toBe(
        1001,
      );
    }
  });

  test('the data directory and /tmp are writable volumes, and CUBESTORE_DATA_DIR points at the mount', () => {
    const { objects } = build();
    for (const sts of ['cubestore-router', 'cubestore-workers']) {
      const c = container(objects, sts);
      expect(envValue(c, 'CUBESTORE_DATA_DIR')).toBe('/cube/.cubestore/data');
      expect(c.volumeMounts).toEqual([
        { name: 'data', mountPath: '/cube/.cubestore/data' },
        { name: 'tmp', mountPath: '/tmp' },
      ]);
      const set = findObject(objects, 'StatefulSet', sts);
      expect(get(set, 'spec.volumeClaimTemplates.0.metadata.name')).toBe('data');
      expect(get(set, 'spec.volumeClaimTemplates.0.spec.accessModes')).toEqual(['ReadWriteOnce']);
      expect(get(set, 'spec.volumeClaimTemplates.0.spec.resources.requests.storage')).toBe('10Gi');
      expect(get(set, 'spec.template.spec.volumes')).toEqual([{ name: 'tmp', emptyDir: {} }]);
    }
  });

  test('emptyDir data volumes replace the claim templates', () => {
    const { objects } = build({ storage, workers: { dataVolume: { type: 'emptyDir', size: '20Gi' } } });
    const set = findObject(objects, 'StatefulSet', 'cubestore-workers');
    expect(get(set, 'spec.volumeClaimTemplates')).toBeUndefined();
    expect(get(set, 'spec.template.spec.volumes')).toContainEqual({
      name: 'data',
      emptyDir: { sizeLimit: '20Gi' },
    });
    expect(
      get(
        findObject(objects, 'StatefulSet', 'cubestore-router'),
        'spec.volumeClaimTemplates.0.metadata.name',
      ),
    ).toBe('data');
  });

  test('router: one replica, ports http 3030 / meta 9999 / status 3031 and the matching env', () => {
    const { objects } = build();
    const sts = findObject(objects, 'StatefulSet', 'cubestore-router');
    expect(get(sts, 'spec.replicas')).toBe(1);
    const c = container(objects, 'cubestore-router');
    expect(c.ports).toEqual([
      { name: 'http', containerPort: 3030, protocol: 'TCP' },
      { name: 'meta', containerPort: 9999, protocol: 'TCP' },
      { name: 'status', containerPort: 3031, protocol: 'TCP' },
    ]);
    expect(envValue(c, 'CUBESTORE_HTTP_PORT')).toBe('3030');
    expect(envValue(c, 'CUBESTORE_META_PORT')).toBe('9999');
    expect(envValue(c, 'CUBESTORE_STATUS_PORT')).toBe('3031');
    expect(envValue(c, 'CUBESTORE_SERVER_NAME')).toBe(`${ROUTER_HOST}:9999`);
    expect(envValue(c, 'CUBESTORE_TELEMETRY')).toBe('false');
    // A router must not have a remote metastore address or a worker port (that would make it a worker).
    expect(envNames(c)).not.toContain('CUBESTORE_META_ADDR');
    expect(envNames(c)).not.toContain('CUBESTORE_WORKER_PORT');
  });

  test('router probes: /readyz for readiness, /livez for liveness and startup, on the status port', () => {
    const c = container(build().objects, 'cubestore-router');
    expect(get(c, 'readinessProbe.httpGet')).toEqual({ path: '/readyz', port: 'status' });
    expect(get(c, 'livenessProbe.httpGet')).toEqual({ path: '/livez', port: 'status' });
    expect(get(c, 'startupProbe.httpGet')).toEqual({ path: '/livez', port: 'status' });
  });

  test('router Services: cubestore-router (3030, 9999, metrics 9102) for clients and a headless one governing the StatefulSet', () => {
    const { objects, store } = build();
    const svc = findObject(objects, 'Service', 'cubestore-router');
    expect(get(svc, 'spec.clusterIP')).toBeUndefined();
    expect(get(svc, 'spec.ports')).toEqual([
      { name: 'http', port: 3030, targetPort: 'http', protocol: 'TCP' },
      { name: 'meta', port: 9999, targetPort: 'meta', protocol: 'TCP' },
      { name: 'metrics', port: 9102, targetPort: 'metrics', protocol: 'TCP' },
    ]);
    expect(get(svc, 'spec.selector')).toEqual({
      'app.kubernetes.io/name': 'cubestore',
      'app.kubernetes.io/instance': 'cubestore',
      'app.kubernetes.io/component': 'router',
    });
    expect(get(findObject(objects, 'Service', 'cubestore-router-headless'), 'spec.clusterIP')).toBe('None');
    expect(get(findObject(objects, 'StatefulSet', 'cubestore-router'), 'spec.serviceName')).toBe(
      'cubestore-router-headless',
    );
    expect(store.serviceEndpoint.address).toBe(`${ROUTER_HOST}:3030`);
    expect(store.metaEndpoint.address).toBe(`${ROUTER_HOST}:9999`);
  });

  test('workers: 2 by default, headless Service cubestore-workers on 9001 (and metrics 9102) publishing not-ready addresses', () => {
    const { objects } = build();
    const sts = findObject(objects, 'StatefulSet', 'cubestore-workers');
    expect(get(sts, 'spec.replicas')).toBe(2);
    expect(get(sts, 'spec.serviceName')).toBe('cubestore-workers');
    const svc = findObject(objects, 'Service', 'cubestore-workers');
    expect(get(svc, 'spec.clusterIP')).toBe('None');
    expect(get(svc, 'spec.publishNotReadyAddresses')).toBe(true);
    expect(get(svc, 'spec.ports')).toEqual([
      { name: 'worker', port: 9001, targetPort: 'worker', protocol: 'TCP' },
      { name: 'metrics', port: 9102, targetPort: 'metrics', protocol: 'TCP' },
    ]);
    expect((get(svc, 'spec.selector') as Record<string, string>)['app.kubernetes.io/component']).toBe(
      'worker',
    );
    expect(container(objects, 'cubestore-workers').ports).toEqual([
      { name: 'worker', containerPort: 9001, protocol: 'TCP' },
    ]);
  });

  test('worker identity: POD_NAME from the downward API, server name in the workers list, metastore address', () => {
    const c = container(build().objects, 'cubestore-workers');
    const names = envNames(c);
    expect(envVars(c)[0]).toEqual({
      name: 'POD_NAME',
      valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
    });
    // $(POD_NAME) only expands when POD_NAME is defined before it.
    expect(names.indexOf('POD_NAME')).toBeLessThan(names.indexOf('CUBESTORE_SERVER_NAME'));
    const serverName = envValue(c, 'CUBESTORE_SERVER_NAME') ?? '';
    expect(serverName).toBe(`$(POD_NAME).cubestore-workers.${NS}.svc.cluster.local:9001`);
    expect(envValue(c, 'CUBESTORE_WORKER_PORT')).toBe('9001');
    expect(envValue(c, 'CUBESTORE_META_ADDR')).toBe(`${ROUTER_HOST}:9999`);
    const list = (envValue(c, 'CUBESTORE_WORKERS') ?? '').split(',');
    for (let i = 0; i < 2; i++) {
      expect(list).toContain(serverName.replace('$(POD_NAME)', `cubestore-workers-${i}`));
    }
  });

  test('CUBESTORE_WORKERS is computed from the replica count and identical on router and workers', () => {
    for (const replicas of [1, 2, 5]) {
      const { objects, store } = build({ storage, workers: { replicas } });
      const expected = Array.from({ length: replicas }, (_, i) => worker(i)).join(',');
      expect(envValue(container(objects, 'cubestore-router'), 'CUBESTORE_WORKERS')).toBe(expected);
      expect(envValue(container(objects, 'cubestore-workers'), 'CUBESTORE_WORKERS')).toBe(expected);
      expect(get(findObject(objects, 'StatefulSet', 'cubestore-workers'), 'spec.replicas')).toBe(replicas);
      expect(store.workerAddresses).toEqual(expected.split(','));
    }
  });

  test('workers wait for the router metastore port in an init container', () => {
    const sts = findObject(build().objects, 'StatefulSet', 'cubestore-workers');
    const init = get(sts, 'spec.template.spec.initContainers') as Json[];
    expect(init).toHaveLength(1);
    expect(init[0].name).toBe('wait-for-router');
    expect(init[0].image).toBe('docker.io/library/busybox:1.37.0');
    expect((init[0].command as string[]).join(' ')).toContain(`nc -z -w 2 ${ROUTER_HOST} 9999`);
  });

  test('workers have no status server: their probes are TCP connects on the worker port', () => {
    const c = container(build().objects, 'cubestore-workers');
    for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
      expect(get(c, `${probe}.tcpSocket`)).toEqual({ port: 'worker' });
      expect(get(c, `${probe}.httpGet`)).toBeUndefined();
    }
    expect(envNames(c)).not.toContain('CUBESTORE_STATUS_PORT');
  });

  test('object storage: CUBESTORE_MINIO_* with credentials only from Secret references', () => {
    const { objects, store } = build();
    for (const sts of ['cubestore-router', 'cubestore-workers']) {
      const c = container(objects, sts);
      expect(envValue(c, 'CUBESTORE_MINIO_BUCKET')).toBe('warehouse');
      expect(envValue(c, 'CUBESTORE_MINIO_SUB_PATH')).toBe('cubestore');
      expect(envValue(c, 'CUBESTORE_MINIO_SERVER_ENDPOINT')).toBe(
        'http://minio.floe-platform.svc.cluster.local:9000',
      );
      expect(envValue(c, 'CUBESTORE_MINIO_REGION')).toBe('us-east-1');
      expect(envVars(c)).toContainEqual({
        name: 'CUBESTORE_MINIO_ACCESS_KEY_ID',
        valueFrom: { secretKeyRef: { name: 'minio-credentials', key: 'root-user' } },
      });
      expect(envVars(c)).toContainEqual({
        name: 'CUBESTORE_MINIO_SECRET_ACCESS_KEY',
        valueFrom: { secretKeyRef: { name: 'minio-credentials', key: 'root-password' } },
      });
      expect(envNames(c)).not.toContain('CUBESTORE_REMOTE_DIR');
    }
    expect(store.requiredSecrets).toEqual([
      { name: 'minio-credentials', keys: ['root-password', 'root-user'], purpose: expect.any(String) },
    ]);
    expect(store.requiredPersistentVolumeClaims).toEqual([]);
  });

  test('bucket and sub path can be chosen', () => {
    const c = container(
      build({ storage, bucket: 'cube-cache', subPath: 'prod/cubestore' }).objects,
      'cubestore-router',
    );
    expect(envValue(c, 'CUBESTORE_MINIO_BUCKET')).toBe('cube-cache');
    expect(envValue(c, 'CUBESTORE_MINIO_SUB_PATH')).toBe('prod/cubestore');
  });

  test('shared volume: CUBESTORE_REMOTE_DIR=/cube/data on an existing RWX claim in router and workers', () => {
    const { objects, store } = build({ remoteDirClaimName: 'cubestore-remote' });
    for (const sts of ['cubestore-router', 'cubestore-workers']) {
      const c = container(objects, sts);
      expect(envValue(c, 'CUBESTORE_REMOTE_DIR')).toBe('/cube/data');
      expect(envNames(c).filter((n) => n.startsWith('CUBESTORE_MINIO_'))).toEqual([]);
      expect(c.volumeMounts).toContainEqual({ name: 'remote', mountPath: '/cube/data' });
      expect(get(findObject(objects, 'StatefulSet', sts), 'spec.template.spec.volumes')).toContainEqual({
        name: 'remote',
        persistentVolumeClaim: { claimName: 'cubestore-remote' },
      });
    }
    expect(store.requiredPersistentVolumeClaims).toEqual(['cubestore-remote']);
    expect(store.requiredSecrets).toEqual([]);
  });

  test('labels identify router and worker roles; selectors never use version', () => {
    const { objects } = build();
    const router = findObject(objects, 'StatefulSet', 'cubestore-router');
    expect(router.metadata.labels?.['app.kubernetes.io/component']).toBe('router');
    expect(router.metadata.labels?.['app.kubernetes.io/version']).toBe('v1.5.3');
    expect(Object.keys(get(router, 'spec.selector.matchLabels') as Json)).not.toContain(
      'app.kubernetes.io/version',
    );
    const workers = findObject(objects, 'StatefulSet', 'cubestore-workers');
    expect(workers.metadata.labels?.['app.kubernetes.io/component']).toBe('worker');
  });

  test('image registry mirror and pull secrets apply to every container', () => {
    const { objects } = build({
      storage,
      imageRegistry: 'mirror.example.com',
      imagePullSecrets: ['regcred'],
    });
    for (const sts of ['cubestore-router', 'cubestore-workers']) {
      const spec = get(findObject(objects, 'StatefulSet', sts), 'spec.template.spec') as Json;
      expect(get(spec, 'containers.0.image')).toBe('mirror.example.com/cubejs/cubestore:v1.5.3');
      expect(spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    }
    expect(
      get(
        findObject(objects, 'StatefulSet', 'cubestore-workers'),
        'spec.template.spec.initContainers.0.image',
      ),
    ).toBe('mirror.example.com/library/busybox:1.37.0');
  });

  test('extra env is appended and may not override variables Cube Store depends on', () => {
    const c = container(
      build({ storage, workers: { extraEnv: { CUBESTORE_JOB_RUNNERS: '8' } } }).objects,
      'cubestore-workers',
    );
    expect(envValue(c, 'CUBESTORE_JOB_RUNNERS')).toBe('8');
    expect(
      thrownMessage(() => build({ storage, router: { extraEnv: { CUBESTORE_WORKERS: 'x:1' } } })),
    ).toContain('invalid router.extraEnv.CUBESTORE_WORKERS');
  });

  describe('validation', () => {
    test('more than one router is refused', () => {
      expect(thrownMessage(() => build({ storage, router: { replicas: 2 } }))).toBe(
        'test/cubestore: invalid router.replicas: got 2, expected 1 (Cube Store supports a single router, which owns the metastore)',
      );
    });

    test('workers need at least one replica', () => {
      expect(thrownMessage(() => build({ storage, workers: { replicas: 0 } }))).toBe(
        'test/cubestore: invalid workers.replicas: got 0, expected an integer >= 1',
      );
    });

    test('remote storage must be chosen explicitly', () => {
      const msg = thrownMessage(() => build({}));
      expect(msg).toContain(
        'test/cubestore: invalid storage: got undefined, expected an ObjectStoragePlugin',
      );
      expect(msg).toContain('remoteDirClaimName');
      expect(msg).toContain('ReadWriteMany');
    });

    test('object storage and a shared volume together are refused', () => {
      expect(thrownMessage(() => build({ storage, remoteDirClaimName: 'x' }))).toContain(
        'invalid remoteDirClaimName: got "x", expected unset when `storage` is given',
      );
    });

    test('bucket and sub path need object storage, and must be well-formed', () => {
      expect(thrownMessage(() => build({ remoteDirClaimName: 'x', bucket: 'b' }))).toContain(
        'invalid bucket: got "b", expected unset unless `storage` is given',
      );
      expect(thrownMessage(() => build({ storage, subPath: '/leading' }))).toContain(
        'invalid subPath: got "/leading"',
      );
      expect(thrownMessage(() => build({ storage, bucket: 'Upper_Case' }))).toContain(
        'invalid bucket: got "Upper_Case", expected an S3 bucket name',
      );
    });

    test('the storage endpoint must be an http(s) URL', () => {
      expect(thrownMessage(() => build({ storage: { ...storage, endpoint: 'minio:9000' } }))).toContain(
        'invalid storage.endpoint: got "minio:9000", expected an http:// or https:// URL',
      );
    });

    test('data volume options are checked', () => {
      expect(
        thrownMessage(() =>
          build({ storage, router: { dataVolume: { type: 'emptyDir', storageClassName: 'fast' } } }),
        ),
      ).toContain('invalid router.dataVolume.storageClassName: got "fast", expected unset for an emptyDir');
      expect(
        thrownMessage(() =>
          build({ storage, workers: { dataVolume: { type: 'persistentVolumeClaim', size: 'ten' } } }),
        ),
      ).toContain('invalid workers.dataVolume.size: got "ten"');
    });

    test('names are DNS labels short enough for StatefulSet pod names', () => {
      expect(thrownMessage(() => build({ storage, name: 'Cube_Store' }))).toContain(
        'invalid name: got "Cube_Store"',
      );
      expect(thrownMessage(() => build({ storage, name: 'a'.repeat(41) }))).toContain('1 to 40 characters');
    });
  });

  describe('metrics: a StatsD exporter beside every Cube Store pod', () => {
    const exporterOf = (objects: K8sObject[], sts: string): Json =>
      workloadContainer(objects, 'StatefulSet', sts, 'statsd-exporter');

    test('router and workers send DogStatsD to the exporter on the pod loopback, port 9125', () => {
      const { objects } = build();
      for (const sts of ['cubestore-router', 'cubestore-workers']) {
        const c = container(objects, sts);
        expect(envValue(c, 'CUBESTORE_METRICS_FORMAT')).toBe('dogstatsd');
        expect(envValue(c, 'CUBESTORE_METRICS_ADDRESS')).toBe('127.0.0.1');
        expect(envValue(c, 'CUBESTORE_METRICS_PORT')).toBe('9125');
        const exporter = exporterOf(objects, sts);
        expect(exporter.image).toBe('docker.io/prom/statsd-exporter:v0.30.0');
        expect(exporter.args).toEqual([
          '--web.listen-address=:9102',
          '--statsd.listen-udp=127.0.0.1:9125',
          '--statsd.listen-tcp=',
        ]);
        expect(exporter.ports).toEqual([{ name: 'metrics', containerPort: 9102, protocol: 'TCP' }]);
        expect(get(exporter, 'readinessProbe.httpGet')).toEqual({ path: '/-/ready', port: 'metrics' });
        expect(get(exporter, 'livenessProbe.httpGet')).toEqual({ path: '/-/healthy', port: 'metrics' });
        expect(get(exporter, 'securityContext.runAsUser')).toBe(65534);
        expect(get(exporter, 'resources.limits.memory')).toBe('128Mi');
      }
    });

    test('the router and workers Services carry the metrics port and are the two metrics endpoints', () => {
      const { objects, store } = build();
      expect(store.metricsEndpoints.map((e) => `${e.serviceName}:${e.portName}:${e.port}${e.path}`)).toEqual([
        'cubestore-router:metrics:9102/metrics',
        'cubestore-workers:metrics:9102/metrics',
      ]);
      for (const e of store.metricsEndpoints) {
        const svc = findObject(objects, 'Service', e.serviceName);
        expect(svc.metadata.labels?.['floe.dev/metrics']).toBe('true');
        expect(svc.metadata.annotations).toEqual({
          'prometheus.io/scrape': 'true',
          'prometheus.io/path': '/metrics',
          'prometheus.io/port': '9102',
        });
      }
      expect(
        findObject(objects, 'Service', 'cubestore-router-headless').metadata.labels?.['floe.dev/metrics'],
      ).toBe(undefined);
      expect(validateObjects(objects)).toEqual([]);
      expect(checkPolicy(objects, { prerequisiteSecrets: ['minio-credentials'] })).toEqual([]);
    });

    test('image and resources can be overridden, and the registry mirror applies', () => {
      const { objects } = build({
        storage,
        imageRegistry: 'mirror.example.com',
        metrics: {
          image: { tag: 'v0.29.0' },
          resources: { requests: { cpu: '20m', memory: '64Mi' }, limits: { memory: '256Mi' } },
        },
      });
      const exporter = exporterOf(objects, 'cubestore-router');
      expect(exporter.image).toBe('mirror.example.com/prom/statsd-exporter:v0.29.0');
      expect(get(exporter, 'resources.limits.memory')).toBe('256Mi');
      expect(thrownMessage(() => build({ storage, metrics: { image: { tag: 'latest' } } }))).toContain(
        'invalid metrics.image.tag',
      );
    });

    test('metrics: false removes exporters, variables, ports and endpoints', () => {
      const { objects, store } = build({ storage, metrics: false });
      expect(store.metricsEndpoints).toEqual([]);
      for (const sts of ['cubestore-router', 'cubestore-workers']) {
        expect(envNames(container(objects, sts)).filter((n) => n.startsWith('CUBESTORE_METRICS_'))).toEqual(
          [],
        );
        expect(() => exporterOf(objects, sts)).toThrow('has no container statsd-exporter');
      }
      const ports = ['cubestore-router', 'cubestore-workers'].flatMap((n) =>
        (get(findObject(objects, 'Service', n), 'spec.ports') as Json[]).map((p) => p.name),
      );
      expect(ports).not.toContain('metrics');
      expect(objects.filter((o) => o.metadata.annotations?.['prometheus.io/scrape'])).toEqual([]);
    });
  });
});
