import { spawnSync, SpawnSyncReturns } from 'child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { FloeValidationError } from '../src/core/errors';
import { PlatformDependencies } from '../src/plugins/interfaces';
import { ExternalS3, ExternalS3Props, validateBucketName } from '../src/plugins/storage/external-s3';
import {
  MinIO,
  minioDefaultParity,
  minioErasureSetSize,
  MinIOProps,
  minioWriteTolerance,
} from '../src/plugins/storage/minio';
import { validateObjects } from './support/k8s-schema';
import { checkPolicy } from './support/policy';
import { Json, workloadContainer } from './support/helpers';
import { findObject, get, K8sObject, synthChart } from './support/synth';

const MINIO_IMAGE = 'quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z';
const MC_IMAGE = 'quay.io/minio/mc:RELEASE.2025-08-13T08-35-41Z';
const HOST = 'minio.floe-platform.svc.cluster.local';

function synth(props: MinIOProps = {}): K8sObject[] {
  return synthChart((chart) => new MinIO(chart, 'storage', props));
}

/** The MinIO server container (StatefulSet `name`). */
function server(objects: K8sObject[], name = 'minio'): Json {
  return workloadContainer(objects, 'StatefulSet', name);
}

/** The bucket Job's container. */
function jobContainer(objects: K8sObject[], name = 'minio-buckets'): Json {
  return workloadContainer(objects, 'Job', name);
}

function script(objects: K8sObject[]): string {
  const command = jobContainer(objects).command as string[];
  expect(command.slice(0, 2)).toEqual(['/bin/sh', '-ec']);
  return command[2];
}

function build(props: MinIOProps): () => MinIO {
  return () => new MinIO(new Chart(Testing.app(), 'test', { namespace: 'floe-platform' }), 'storage', props);
}

describe('MinIO', () => {
  describe('snapshots', () => {
    test('default: 4-node distributed', () => {
      expect(synth()).toMatchSnapshot();
    });

    test('standalone: 1 node, console on, custom name and buckets', () => {
      expect(
        synth({
          name: 'lake',
          replicas: 1,
          browser: true,
          storageSize: '50Gi',
          storageClassName: 'fast-ssd',
          extraBuckets: ['dagster-logs', 'cube-exports'],
        }),
      ).toMatchSnapshot();
    });
  });

  describe('schema and policy', () => {
    test.each<[string, MinIOProps]>([
      ['default', {}],
      ['standalone with browser', { replicas: 1, browser: true }],
      ['8 nodes', { replicas: 8 }],
    ])('%s passes strict Kubernetes 1.28 validation and the restricted policy', (_n, props) => {
      const objects = synth(props);
      expect(validateObjects(objects)).toEqual([]);
      expect(checkPolicy(objects, { prerequisiteSecrets: ['minio-credentials'] })).toEqual([]);
    });

    test('the policy check notices a missing credentials Secret', () => {
      expect(checkPolicy(synth(), {}).join('\n')).toContain('Secret minio-credentials');
    });
  });

  test('writes the StatefulSet, both Services, the PDB, the bucket Job and their accounts with their exact names', () => {
    const kinds = synth().map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toEqual([
      'Service/minio-headless',
      'Service/minio',
      'ServiceAccount/minio',
      'PodDisruptionBudget/minio',
      'StatefulSet/minio',
      'ServiceAccount/minio-buckets',
      'Job/minio-buckets',
    ]);
  });

  test('runs the last multi-arch MinIO image from quay.io, the binary directly', () => {
    const c = server(synth());
    expect(c.image).toBe(MINIO_IMAGE);
    expect(c.command).toEqual(['/usr/bin/minio']);
  });

  test('distributed mode lists every peer with the ellipsis syntax on the headless Service', () => {
    expect(server(synth()).args).toEqual([
      'server',
      '--address',
      ':9000',
      '--certs-dir',
      '/etc/minio/certs',
      'http://minio-{0...3}.minio-headless.floe-platform.svc.cluster.local:9000/export',
    ]);
    const args = server(synth({ replicas: 6 })).args as string[];
    expect(args[args.length - 1]).toBe(
      'http://minio-{0...5}.minio-headless.floe-platform.svc.cluster.local:9000/export',
    );
    const sts = findObject(synth({ replicas: 6 }), 'StatefulSet', 'minio');
    expect(get(sts, 'spec.replicas')).toBe(6);
  });

  test('the peer list follows the name and the namespace', () => {
    const objects = synthChart((chart) => new MinIO(chart, 's', { name: 'lake' }), 'data');
    const args = server(objects, 'lake').args as string[];
    expect(args[args.length - 1]).toBe(
      'http://lake-{0...3}.lake-headless.data.svc.cluster.local:9000/export',
    );
  });

  test('standalone mode serves the local drive path', () => {
    const objects = synth({ replicas: 1 });
    const args = server(objects).args as string[];
    expect(args[args.length - 1]).toBe('/export');
    expect(get(findObject(objects, 'StatefulSet', 'minio'), 'spec.replicas')).toBe(1);
    expect(objects.some((o) => o.kind === 'PodDisruptionBudget')).toBe(false);
  });

  test('starts all peers in parallel behind a headless Service that publishes unready pods', () => {
    const objects = synth();
    const sts = findObject(objects, 'StatefulSet', 'minio');
    expect(get(sts, 'spec.podManagementPolicy')).toBe('Parallel');
    expect(get(sts, 'spec.serviceName')).toBe('minio-headless');
    const headless = findObject(objects, 'Service', 'minio-headless');
    expect(get(headless, 'spec.clusterIP')).toBe('None');
    expect(get(headless, 'spec.publishNotReadyAddresses')).toBe(true);
  });

  test('client Service exposes the S3 API on 9000, and the console on 9001 only when asked', () => {
    const ports = (objects: K8sObject[]): unknown =>
      get(findObject(objects, 'Service', 'minio'), 'spec.ports');
    expect(ports(synth())).toEqual([{ name: 'http', port: 9000, targetPort: 'http', protocol: 'TCP' }]);
    expect(server(synth()).ports).toEqual([{ name: 'http', containerPort: 9000, protocol: 'TCP' }]);
    const on = synth({ browser: true });
    expect(ports(on)).toContainEqual({ name: 'console', port: 9001, targetPort: 'console', protocol: 'TCP' });
    expect(server(on).args).toEqual(expect.arrayContaining(['--console-address', ':9001']));
    expect(server(on).env).toContainEqual({ name: 'MINIO_BROWSER', value: 'on' });
    expect(server(synth()).env).toContainEqual({ name: 'MINIO_BROWSER', value: 'off' });
  });

  test('probes hit the MinIO health routes on the API port', () => {
    const c = server(synth());
    expect(get(c, 'livenessProbe.httpGet')).toEqual({ path: '/minio/health/live', port: 'http' });
    expect(get(c, 'readinessProbe.httpGet')).toEqual({ path: '/minio/health/ready', port: 'http' });
    expect(get(c, 'startupProbe.httpGet')).toEqual({ path: '/minio/health/live', port: 'http' });
    expect(get(c, 'startupProbe.failureThreshold')).toBe(60);
  });

  test('runs as UID/GID 1000 with fsGroup 1000 and a read-only root', () => {
    const sts = findObject(synth(), 'StatefulSet', 'minio');
    const c = server(synth());
    expect(get(c, 'securityContext.runAsUser')).toBe(1000);
    expect(get(c, 'securityContext.runAsGroup')).toBe(1000);
    expect(get(c, 'securityContext.readOnlyRootFilesystem')).toBe(true);
    expect(get(sts, 'spec.template.spec.securityContext.fsGroup')).toBe(1000);
    expect(get(sts, 'spec.template.spec.securityContext.fsGroupChangePolicy')).toBe('OnRootMismatch');
  });

  test('mounts the drive at /export and emptyDirs where MinIO writes (certs dir, /tmp)', () => {
    const objects = synth({ storageSize: '20Gi', storageClassName: 'fast' });
    const c = server(objects);
    expect(c.volumeMounts).toEqual([
      { name: 'export', mountPath: '/export' },
      { name: 'certs', mountPath: '/etc/minio/certs' },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    expect(c.args).toEqual(expect.arrayContaining(['--certs-dir', '/etc/minio/certs']));
    const sts = findObject(objects, 'StatefulSet', 'minio');
    expect(get(sts, 'spec.template.spec.volumes')).toEqual([
      { name: 'certs', emptyDir: {} },
      { name: 'tmp', emptyDir: {} },
    ]);
    expect(get(sts, 'spec.volumeClaimTemplates.0.metadata.name')).toBe('export');
    expect(get(sts, 'spec.volumeClaimTemplates.0.spec')).toEqual({
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'fast',
      resources: { requests: { storage: '20Gi' } },
    });
  });

  test('root credentials come from the Secret keys rootUser / rootPassword, metrics are public', () => {
    const env = server(synth()).env;
    expect(env).toContainEqual({
      name: 'MINIO_ROOT_USER',
      valueFrom: { secretKeyRef: { name: 'minio-credentials', key: 'rootUser' } },
    });
    expect(env).toContainEqual({
      name: 'MINIO_ROOT_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'minio-credentials', key: 'rootPassword' } },
    });
    expect(env).toContainEqual({ name: 'MINIO_PROMETHEUS_AUTH_TYPE', value: 'public' });
    expect(env).toContainEqual({ name: 'MINIO_SITE_REGION', value: 'us-east-1' });
    const custom = server(synth({ credentialsSecretName: 'lake-root' })).env;
    expect(custom).toContainEqual({
      name: 'MINIO_ROOT_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'lake-root', key: 'rootPassword' } },
    });
  });

  test('spreads distributed pods over zones and nodes; a given affinity applies as well', () => {
    const spec = get(findObject(synth(), 'StatefulSet', 'minio'), 'spec.template.spec') as Json;
    expect(spec.affinity).toBeUndefined();
    expect(
      (spec.topologySpreadConstraints as Json[]).map((c) => [c.topologyKey, c.whenUnsatisfiable]),
    ).toEqual([
      ['topology.kubernetes.io/zone', 'ScheduleAnyway'],
      ['kubernetes.io/hostname', 'ScheduleAnyway'],
    ]);
    const own = { nodeAffinity: {} };
    const withOwn = get(findObject(synth({ affinity: own }), 'StatefulSet', 'minio'), 'spec.template.spec');
    expect(get(withOwn, 'affinity')).toEqual(own);
    expect(get(withOwn, 'topologySpreadConstraints')).toEqual(spec.topologySpreadConstraints);
    expect(
      get(
        findObject(synth({ replicas: 1 }), 'StatefulSet', 'minio'),
        'spec.template.spec.topologySpreadConstraints',
      ),
    ).toBeUndefined();
  });

  test('without topology spread, distributed pods prefer distinct nodes unless affinity is given', () => {
    const term = get(
      findObject(synth({ topologySpread: false }), 'StatefulSet', 'minio'),
      'spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution.0.podAffinityTerm',
    );
    expect(get(term, 'topologyKey')).toBe('kubernetes.io/hostname');
    expect(get(term, 'labelSelector.matchLabels')).toEqual({
      'app.kubernetes.io/name': 'minio',
      'app.kubernetes.io/instance': 'minio',
      'app.kubernetes.io/component': 'object-storage',
    });
    const own = { nodeAffinity: {} };
    expect(
      get(
        findObject(synth({ affinity: own, topologySpread: false }), 'StatefulSet', 'minio'),
        'spec.template.spec.affinity',
      ),
    ).toEqual(own);
    expect(
      get(findObject(synth({ replicas: 1 }), 'StatefulSet', 'minio'), 'spec.template.spec.affinity'),
    ).toBeUndefined();
  });

  test('a PDB lets drains take only as many nodes as keep write quorum (1 of 4)', () => {
    const pdb = findObject(synth(), 'PodDisruptionBudget', 'minio');
    expect(get(pdb, 'spec.maxUnavailable')).toBe(1);
    expect(get(pdb, 'spec.minAvailable')).toBeUndefined();
    expect((get(pdb, 'spec.selector.matchLabels') as Json)['app.kubernetes.io/component']).toBe(
      'object-storage',
    );
    // 16 nodes, one EC:4 set: data 12, write quorum 12, so 4 may be down.
    expect(
      get(findObject(synth({ replicas: 16 }), 'PodDisruptionBudget', 'minio'), 'spec.maxUnavailable'),
    ).toBe(4);
    // 6 nodes, EC:3: data equals parity, write quorum 4, so 2.
    expect(
      get(findObject(synth({ replicas: 6 }), 'PodDisruptionBudget', 'minio'), 'spec.maxUnavailable'),
    ).toBe(2);
    // A parity set through MINIO_STORAGE_CLASS_STANDARD counts: 8 nodes at EC:2, write quorum 6.
    expect(
      get(
        findObject(
          synth({ replicas: 8, extraEnv: { MINIO_STORAGE_CLASS_STANDARD: 'EC:2' } }),
          'PodDisruptionBudget',
          'minio',
        ),
        'spec.maxUnavailable',
      ),
    ).toBe(2);
  });

  test('write tolerance follows MinIO erasure sets and default parity', () => {
    // 20 nodes: two sets of 10 at EC:4 (write quorum 6): 4 may be down even if all in one set.
    expect([minioErasureSetSize(20), minioDefaultParity(10), minioWriteTolerance(20)]).toEqual([10, 4, 4]);
    expect([4, 5, 6, 7, 8, 16, 32].map((n) => minioWriteTolerance(n))).toEqual([1, 2, 2, 3, 3, 4, 4]);
    expect(minioWriteTolerance(4, 1)).toBe(1);
    expect(minioErasureSetSize(24)).toBe(12);
  });

  test('disruptionBudgets: false writes no PDB', () => {
    expect(synth({ disruptionBudgets: false }).some((o) => o.kind === 'PodDisruptionBudget')).toBe(false);
  });

  describe('bucket-setup Job', () => {
    test('runs mc from quay.io as a non-root user after waiting for write quorum', () => {
      const objects = synth();
      const job = findObject(objects, 'Job', 'minio-buckets');
      const c = jobContainer(objects);
      expect(c.image).toBe(MC_IMAGE);
      expect(get(c, 'securityContext.runAsUser')).toBe(1000);
      expect(get(c, 'securityContext.readOnlyRootFilesystem')).toBe(true);
      expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
      const init = get(job, 'spec.template.spec.initContainers') as Json[];
      expect(init.map((i) => i.name)).toEqual(['wait-for-minio']);
      expect((init[0].command as string[]).join(' ')).toContain(
        `wget -q -T 5 -O /dev/null http://${HOST}:9000/minio/health/cluster`,
      );
      expect(get(job, 'spec.backoffLimit')).toBe(6);
      expect(get(job, 'spec.ttlSecondsAfterFinished')).toBe(600);
      expect(get(job, 'spec.template.spec.restartPolicy')).toBe('Never');
    });

    test('sets the alias from the environment and creates buckets idempotently', () => {
      const lines = script(synth({ extraBuckets: ['dagster-logs'] })).split('\n');
      const mc = '/usr/bin/mc --config-dir /tmp/.mc';
      expect(lines).toEqual([
        `printf '%s\\n%s\\n' "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" | ${mc} alias set --api S3v4 --path on floe http://${HOST}:9000`,
        `${mc} mb --ignore-existing --region us-east-1 floe/floe-warehouse`,
        `${mc} mb --ignore-existing --region us-east-1 floe/dagster-logs`,
      ]);
    });

    test('credentials reach the Job only as Secret references, never as values or arguments', () => {
      const objects = synth();
      const c = jobContainer(objects);
      expect(c.env).toEqual([
        {
          name: 'MINIO_ROOT_USER',
          valueFrom: { secretKeyRef: { name: 'minio-credentials', key: 'rootUser' } },
        },
        {
          name: 'MINIO_ROOT_PASSWORD',
          valueFrom: { secretKeyRef: { name: 'minio-credentials', key: 'rootPassword' } },
        },
      ]);
      // The shell expands the variables itself (not Kubernetes' $(VAR) in args) and pipes them.
      expect(script(objects)).not.toContain('$(MINIO_');
      expect(c.args).toBeUndefined();
      expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    });

    test('the Job does not match the server Services', () => {
      const objects = synth();
      const jobLabels = get(
        findObject(objects, 'Job', 'minio-buckets'),
        'spec.template.metadata.labels',
      ) as Json;
      const selector = get(findObject(objects, 'Service', 'minio'), 'spec.selector') as Json;
      expect(Object.entries(selector).every(([k, v]) => jobLabels[k] === v)).toBe(false);
      expect(jobLabels['app.kubernetes.io/component']).toBe('bucket-setup');
    });
  });

  describe('plugin contract', () => {
    test('exposes endpoint, region, bucket, path-style access, keys and required Secrets', () => {
      let minio: MinIO | undefined;
      synthChart((chart) => {
        minio = new MinIO(chart, 'storage', { region: 'eu-central-1' });
      });
      if (!minio) throw new Error('not built');
      expect(minio.endpoint).toBe(`http://${HOST}:9000`);
      expect(minio.region).toBe('eu-central-1');
      expect(minio.warehouseBucket).toBe('floe-warehouse');
      expect(minio.pathStyleAccess).toBe(true);
      expect(minio.accessKeyId).toEqual({ name: 'minio-credentials', key: 'rootUser' });
      expect(minio.secretAccessKey).toEqual({ name: 'minio-credentials', key: 'rootPassword' });
      expect(minio.serviceEndpoint).toMatchObject({ serviceName: 'minio', port: 9000, host: HOST });
      expect(minio.requiredSecrets).toEqual([
        expect.objectContaining({ name: 'minio-credentials', keys: ['rootUser', 'rootPassword'] }),
      ]);
      expect(minio.apiObjects.map((o) => o.kind)).toEqual([
        'Service',
        'Service',
        'ServiceAccount',
        'PodDisruptionBudget',
        'StatefulSet',
        'ServiceAccount',
        'Job',
      ]);
    });

    test('provider() builds a 4-node MinIO named minio with the platform settings', () => {
      const deps: PlatformDependencies = {
        platformName: 'acme',
        imageRegistry: 'mirror.example.com/quay',
        imagePullSecrets: ['regcred'],
      };
      let plugin: unknown;
      const objects = synthChart((chart) => {
        plugin = MinIO.provider({ extraBuckets: ['raw'] }).provide(
          new Construct(chart, 'tier'),
          'object-storage',
          deps,
        );
      });
      expect(plugin).toBeInstanceOf(MinIO);
      const sts = findObject(objects, 'StatefulSet', 'minio');
      expect(get(sts, 'spec.replicas')).toBe(4);
      expect((get(sts, 'metadata.labels') as Json)['app.kubernetes.io/part-of']).toBe('acme');
      expect(server(objects).image).toBe('mirror.example.com/quay/minio/minio:RELEASE.2025-09-07T16-13-09Z');
      expect(jobContainer(objects).image).toBe(
        'mirror.example.com/quay/minio/mc:RELEASE.2025-08-13T08-35-41Z',
      );
      expect(get(sts, 'spec.template.spec.imagePullSecrets')).toEqual([{ name: 'regcred' }]);
      expect(script(objects)).toContain('floe/raw');
    });
  });

  describe('validation', () => {
    test.each([0, 2, 3, 17, 19, 34, 1.5])('refuses %p replicas and says what is allowed', (replicas) => {
      expect(build({ replicas })).toThrow(FloeValidationError);
      expect(build({ replicas })).toThrow(
        replicas === 0 || replicas === 1.5
          ? /storage: invalid replicas: got .*, expected an integer >= 1/
          : new RegExp(
              `storage: invalid replicas: got ${replicas}, expected 1 \\(standalone, no redundancy\\) or a ` +
                'distributed node count that MinIO splits into equal erasure sets of 4 to 16 drives',
            ),
      );
    });

    test.each([1, 4, 5, 7, 12, 16, 18, 20, 22, 32, 64])('accepts %p replicas', (replicas) => {
      expect(build({ replicas })).not.toThrow();
    });

    test.each([
      'ab',
      'Floe-Warehouse',
      'floe_warehouse',
      '-floe',
      'floe-',
      'a..b',
      'a.-b',
      '192.168.1.10',
      'xn--bucket',
      'bucket-s3alias',
      'x'.repeat(64),
    ])('refuses the warehouse bucket %p', (bucket) => {
      expect(build({ warehouseBucket: bucket })).toThrow(
        /storage: invalid warehouseBucket: got .*, expected an S3 bucket name: 3 to 63 lower-case letters/,
      );
    });

    test('refuses the bucket name reserved by MinIO and duplicate buckets', () => {
      expect(build({ warehouseBucket: 'minio' })).toThrow(
        /invalid warehouseBucket: got "minio", expected a bucket name other than 'minio'/,
      );
      expect(build({ extraBuckets: ['raw', 'floe-warehouse'] })).toThrow(
        /invalid extraBuckets.1: got "floe-warehouse", expected a bucket name not listed before/,
      );
      expect(build({ extraBuckets: ['Raw'] })).toThrow(/invalid extraBuckets.0: got "Raw"/);
    });

    test('refuses bad names, sizes, regions and Secret names', () => {
      expect(build({ name: 'MinIO' })).toThrow(/invalid name: got "MinIO", expected a DNS-1123 label/);
      expect(build({ storageSize: 'ten' })).toThrow(/invalid storageSize: got "ten"/);
      expect(build({ region: 'US East' })).toThrow(/invalid region: got "US East", expected a region name/);
      expect(build({ credentialsSecretName: 'Bad_Name' })).toThrow(/invalid credentialsSecretName/);
      expect(build({ storageClassName: 'Fast SSD' })).toThrow(/invalid storageClassName/);
      expect(build({ bucketJobTtlSecondsAfterFinished: -1 })).toThrow(
        /invalid bucketJobTtlSecondsAfterFinished/,
      );
      expect(build({ bucketJobActiveDeadlineSeconds: 0 })).toThrow(
        /invalid bucketJobActiveDeadlineSeconds: got 0/,
      );
      expect(build({ extraEnv: { MINIO_ROOT_USER: 'x' } })).toThrow(/invalid extraEnv.MINIO_ROOT_USER/);
    });
  });
});

describe('validateBucketName', () => {
  test.each(['floe-warehouse', 'abc', 'my.bucket.name', '0123', 'a'.repeat(63)])('accepts %p', (b) => {
    expect(validateBucketName('x', 'bucket', b)).toBe(b);
  });
});

describe('ExternalS3', () => {
  const base: ExternalS3Props = {
    region: 'eu-west-1',
    bucket: 'acme-lakehouse',
    accessKeyId: { name: 'aws-s3', key: 'access-key-id' },
    secretAccessKey: { name: 'aws-s3', key: 'secret-access-key' },
  };

  test('defaults to the regional AWS endpoint with virtual-hosted addressing', () => {
    const s3 = ExternalS3.fromBucket(base);
    expect(s3.endpoint).toBe('https://s3.eu-west-1.amazonaws.com');
    expect(s3.region).toBe('eu-west-1');
    expect(s3.warehouseBucket).toBe('acme-lakehouse');
    expect(s3.pathStyleAccess).toBe(false);
    expect(s3.accessKeyId).toEqual({ name: 'aws-s3', key: 'access-key-id' });
    expect(s3.secretAccessKey).toEqual({ name: 'aws-s3', key: 'secret-access-key' });
    expect(s3.serviceEndpoint).toBeUndefined();
    expect(s3.requiredSecrets).toEqual([
      expect.objectContaining({ name: 'aws-s3', keys: ['access-key-id', 'secret-access-key'] }),
    ]);
    expect(ExternalS3.fromBucket({ ...base, region: 'cn-north-1' }).endpoint).toBe(
      'https://s3.cn-north-1.amazonaws.com.cn',
    );
  });

  test('takes an S3-compatible endpoint, normalised, and lists keys in separate Secrets', () => {
    const s3 = ExternalS3.fromBucket({
      ...base,
      endpoint: 'https://storage.example.com:8443/',
      pathStyleAccess: true,
      secretAccessKey: { name: 'other', key: 'sk' },
    });
    expect(s3.endpoint).toBe('https://storage.example.com:8443');
    expect(s3.pathStyleAccess).toBe(true);
    expect(s3.requiredSecrets.map((r) => [r.name, r.keys])).toEqual([
      ['aws-s3', ['access-key-id']],
      ['other', ['sk']],
    ]);
    expect(
      ExternalS3.fromBucket({ ...base, endpoint: 'http://minio.lan:9000', allowInsecureHttp: true }).endpoint,
    ).toBe('http://minio.lan:9000');
  });

  test('provider() deploys nothing and hands the bucket to the platform', () => {
    let plugin: unknown;
    const objects = synthChart((chart) => {
      plugin = ExternalS3.provider(base).provide(chart, 'object-storage', { platformName: 'floe' });
    });
    expect(objects).toEqual([]);
    expect(plugin).toBeInstanceOf(ExternalS3);
    expect(plugin).toMatchObject({
      endpoint: 'https://s3.eu-west-1.amazonaws.com',
      warehouseBucket: 'acme-lakehouse',
    });
  });

  test('provider() reports errors under the slot path', () => {
    expect(() =>
      synthChart((chart) => {
        ExternalS3.provider({ ...base, bucket: 'Bad' }).provide(chart, 'object-storage', {
          platformName: 'floe',
        });
      }),
    ).toThrow(/^test\/object-storage: invalid bucket: got "Bad"/);
  });

  test.each<[Partial<ExternalS3Props>, RegExp]>([
    [
      { endpoint: 'http://s3.example.com' },
      /invalid endpoint: got "http:\/\/s3.example.com", expected an https:\/\/ URL/,
    ],
    [
      { endpoint: 'https://s3.example.com/bucket' },
      /invalid endpoint: got "https:\/\/s3.example.com\/bucket"/,
    ],
    [{ endpoint: 's3.example.com' }, /invalid endpoint: got "s3.example.com"/],
    [{ endpoint: 'https://s3.example.com?x=1' }, /invalid endpoint/],
    [
      { endpoint: 'ftp://s3.example.com', allowInsecureHttp: true },
      /expected an http:\/\/ or https:\/\/ URL/,
    ],
    [{ region: 'EU West' }, /invalid region: got "EU West"/],
    [{ bucket: 'ab' }, /invalid bucket: got "ab", expected an S3 bucket name/],
    [
      { bucket: 'my.bucket' },
      /invalid pathStyleAccess: got undefined, expected true for the bucket 'my.bucket'/,
    ],
    [{ accessKeyId: { name: 'Bad Secret', key: 'k' } }, /invalid accessKeyId.name: got "Bad Secret"/],
    [{ secretAccessKey: { name: 'aws-s3', key: 'bad key' } }, /invalid secretAccessKey.key: got "bad key"/],
    [
      { secretAccessKey: { name: 'aws-s3', key: 'access-key-id' } },
      /invalid secretAccessKey: .* expected a different Secret key from accessKeyId/,
    ],
  ])('refuses %j', (override, message) => {
    expect(() => ExternalS3.fromBucket({ ...base, ...override })).toThrow(message);
  });

  test('never echoes credentials embedded in an endpoint URL', () => {
    let message = '';
    try {
      ExternalS3.fromBucket({ ...base, endpoint: 'https://AKIAEXAMPLE:s3cr3t@s3.example.com' });
    } catch (e) {
      message = e instanceof Error ? e.message : String(e);
    }
    expect(message).toMatch(/^ExternalS3: invalid endpoint: got "https:\/\/<redacted>@s3.example.com"/);
    expect(message).not.toContain('s3cr3t');
    expect(message).not.toContain('AKIAEXAMPLE');
  });
});

describe('the bucket-setup Job is bounded', () => {
  test('stopped by Kubernetes after 15 minutes in all (retries and mc ready included), or as set', () => {
    const deadline = (props: MinIOProps): unknown =>
      get(findObject(synth(props), 'Job', 'minio-buckets'), 'spec.activeDeadlineSeconds');
    expect(deadline({})).toBe(900);
    expect(deadline({ bucketJobActiveDeadlineSeconds: 1800 })).toBe(1800);
  });
});

/**
 * The bucket Job's scripts against stand-ins that answer as MinIO does: busybox `wget` (exit 1 on
 * a refused connection or an error status such as 503 without quorum) and an `mc` that keeps its
 * buckets in a file across runs and, like MinIO, refuses `mb` of an existing bucket unless
 * `--ignore-existing` is given (then it prints that it exists and exits 0). `sleep` and `date`
 * are a fake clock, so "never ready" takes no time.
 */
describe('bucket Job against a MinIO stand-in', () => {
  const objects = synth({ extraBuckets: ['dagster-logs'] });
  const job = findObject(objects, 'Job', 'minio-buckets');
  // Each run as the manifest says: [shell, flags, script].
  const waitScript = get(job, 'spec.template.spec.initContainers.0.command') as string[];
  const mcScript = get(job, 'spec.template.spec.containers.0.command') as string[];

  function standIn(answers: string[]): { dir: string; run: (c: string[]) => SpawnSyncReturns<string> } {
    const dir = mkdtempSync(join(tmpdir(), 'minio-stand-in-'));
    const f = (n: string): string => join(dir, n);
    writeFileSync(f('clock'), '0\n');
    writeFileSync(f('calls'), '');
    writeFileSync(f('buckets'), '');
    writeFileSync(f('answers'), `${answers.join('\n')}\n`);
    const stub = (name: string, body: string): void => {
      writeFileSync(f(name), `#!/bin/sh\n${body}\n`);
      chmodSync(f(name), 0o755);
    };
    stub(
      'wget',
      [
        `echo "$*" >> "${f('calls')}"`,
        `n=\`wc -l < "${f('calls')}"\``,
        `total=\`wc -l < "${f('answers')}"\``,
        'if [ "$n" -gt "$total" ]; then n=$total; fi',
        `a=\`sed -n "\${n}p" "${f('answers')}"\``,
        'case "$a" in ok) exit 0 ;; down) echo "wget: can\'t connect to remote host: Connection refused" >&2; exit 1 ;; *) echo "wget: server returned error: HTTP/1.1 $a" >&2; exit 1 ;; esac',
      ].join('\n'),
    );
    stub('sleep', `c=\`cat "${f('clock')}"\`\nexpr "$c" + "$1" > "${f('clock')}"`);
    stub('date', `cat "${f('clock')}"`);
    // mc --config-dir D alias set ... | mc --config-dir D mb [--ignore-existing] --region R floe/B
    stub(
      'mc',
      [
        'shift 2',
        'case "$1" in',
        `  alias) cat > /dev/null; echo "Added \\\`floe\\\` successfully." ;;`,
        '  mb)',
        '    ignore=no; for a in "$@"; do case "$a" in --ignore-existing) ignore=yes ;; floe/*) b=${a#floe/} ;; esac; done',
        `    if grep -qx "$b" "${f('buckets')}"; then`,
        '      if [ $ignore = yes ]; then echo "Bucket floe/$b already exists."; exit 0; fi',
        '      echo "mc: <ERROR> Unable to make bucket floe/$b. Your previous request to create the named bucket succeeded and you already own it." >&2; exit 1',
        '    fi',
        `    echo "$b" >> "${f('buckets')}"; echo "Bucket created successfully floe/$b." ;;`,
        '  *) echo "unexpected mc $*" >&2; exit 2 ;;',
        'esac',
      ].join('\n'),
    );
    return {
      dir,
      run: ([, flags, script]: string[]) =>
        spawnSync('sh', [flags, script.replace(/\/usr\/bin\/mc/g, 'mc')], {
          env: { PATH: `${dir}:/usr/bin:/bin`, MINIO_ROOT_USER: 'u', MINIO_ROOT_PASSWORD: 'p' },
          encoding: 'utf8',
          timeout: 20000,
        }),
    };
  }

  test('not ready yet (down, then 503 without quorum), then ready: the wait passes', () => {
    const s = standIn(['down', '503 Service Unavailable', 'ok']);
    const r = s.run(waitScript);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('waiting for MinIO write quorum');
    expect(readFileSync(join(s.dir, 'calls'), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  test('never ready: gives up after 300 s saying what it waited for', () => {
    const r = standIn(['503 Service Unavailable']).run(waitScript);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /gave up waiting for MinIO write quorum \(http:\/\/minio\.floe-platform\.svc\.cluster\.local:9000\/minio\/health\/cluster\) after 3\d\ds/,
    );
  });

  test('first run creates the buckets; the second (the Job recreated) succeeds and changes nothing', () => {
    const s = standIn(['ok']);
    const first = s.run(mcScript);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(readFileSync(join(s.dir, 'buckets'), 'utf8')).toBe('floe-warehouse\ndagster-logs\n');
    const second = s.run(mcScript);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain('Bucket floe/floe-warehouse already exists.');
    expect(readFileSync(join(s.dir, 'buckets'), 'utf8')).toBe('floe-warehouse\ndagster-logs\n');
    // Without --ignore-existing the second run would fail: the stand-in is strict.
    const strict = s.run([mcScript[0], mcScript[1], mcScript[2].replace(/ --ignore-existing/g, '')]);
    expect(strict.status).not.toBe(0);
  });
});
