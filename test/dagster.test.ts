import { Chart } from 'cdk8s';
import { parse } from 'yaml';
import { ExternalPostgres } from '../src/plugins/database/external-postgres';
import { PostgreSQL } from '../src/plugins/database/postgres';
import { DagsterCodeLocation } from '../src/plugins/orchestrator/dagster-code-location';
import { renderWorkspaceYaml } from '../src/plugins/orchestrator/dagster-config';
import { Dagster, DagsterProps } from '../src/plugins/orchestrator/dagster';
import { PostgresDatabasePlugin, TelemetryPlugin } from '../src/plugins/interfaces';
import {
  asArray,
  asJson,
  configMapFile,
  envMap,
  Json,
  workloadContainer,
  workloadPodSpec,
} from './support/helpers';
import { findObject, get, K8sObject, synthChart } from './support/synth';
import { validateObjects } from './support/k8s-schema';
import { checkPolicy } from './support/policy';

const NS = 'floe-platform';
const IMAGE = 'docker.io/dagster/dagster-celery-k8s:1.13.25';
const DB_SECRET = 'orchestrator-db-credentials';

const ANALYTICS: DagsterCodeLocation = {
  name: 'analytics',
  image: { registry: 'ghcr.io', repository: 'acme/analytics', tag: '1.4.0' },
  moduleName: 'analytics.definitions',
  extraEnv: { WAREHOUSE: 'lake' },
};
const INGEST: DagsterCodeLocation = {
  name: 'ingest',
  image: { registry: 'ghcr.io', repository: 'acme/ingest', tag: '2.0.1' },
  pythonFile: '/app/ingest/repo.py',
  workingDirectory: '/app',
  port: 4000,
  replicas: 2,
};

function database(chart: Chart): PostgreSQL {
  return new PostgreSQL(chart, 'orchestrator-db', { database: 'dagster', username: 'dagster' });
}

/** Synthesizes a Dagster (with its PostgreSQL) and returns only Dagster's objects. */
function synth(props: Partial<DagsterProps> = {}, namespace: string | null = NS): K8sObject[] {
  return synthChart((chart) => {
    const db = database(chart);
    new Dagster(chart, 'orchestrator', { database: db, ...props });
  }, namespace).filter((o) => !o.metadata.name.startsWith('orchestrator-db'));
}

function build(props: Partial<DagsterProps>): () => void {
  return () =>
    synthChart((chart) => {
      new Dagster(chart, 'orchestrator', { database: database(chart), ...props });
    });
}

function podSpec(objects: K8sObject[], name: string): Json {
  return workloadPodSpec(objects, 'Deployment', name);
}

/** The first container of Deployment `deployment`, or the one called `name`. */
function container(objects: K8sObject[], deployment: string, name?: string): Json {
  return workloadContainer(objects, 'Deployment', deployment, name);
}

function initContainerNames(objects: K8sObject[], deployment: string): unknown[] {
  return asArray(podSpec(objects, deployment).initContainers).map((c) => asJson(c).name);
}

function dagsterYaml(objects: K8sObject[]): Json {
  return asJson(parse(configMapFile(objects, 'dagster-instance', 'dagster.yaml')));
}

function workspaceYaml(objects: K8sObject[]): Json {
  return asJson(parse(configMapFile(objects, 'dagster-workspace', 'workspace.yaml')));
}

function volumeMounts(c: Json): Json[] {
  return asArray(c.volumeMounts).map(asJson);
}

const passwordRef = { secretKeyRef: { name: DB_SECRET, key: 'postgresql-password' } };

describe('Dagster', () => {
  describe('snapshots', () => {
    test('default instance', () => {
      expect(synth()).toMatchSnapshot();
    });

    test('with two code locations and OpenTelemetry', () => {
      const telemetry: TelemetryPlugin = {
        otlpGrpcEndpoint: 'http://otel-collector.floe-platform.svc.cluster.local:4317',
        otlpHttpEndpoint: 'http://otel-collector.floe-platform.svc.cluster.local:4318',
        requiredSecrets: [],
      };
      expect(synth({ codeLocations: [ANALYTICS, INGEST], telemetry })).toMatchSnapshot();
    });
  });

  describe('schema', () => {
    test('default objects pass strict Kubernetes 1.28 validation', () => {
      expect(validateObjects(synth())).toEqual([]);
    });

    test('objects with code locations and another job namespace pass strict validation', () => {
      expect(
        validateObjects(synth({ codeLocations: [ANALYTICS, INGEST], jobNamespace: 'dagster-runs' })),
      ).toEqual([]);
    });
  });

  describe('policy', () => {
    test('default objects, with their PostgreSQL, meet the policy', () => {
      const objects = synthChart((chart) => {
        new Dagster(chart, 'orchestrator', { database: database(chart) });
      });
      expect(checkPolicy(objects, { prerequisiteSecrets: [DB_SECRET] })).toEqual([]);
    });

    test('objects with code locations meet the policy', () => {
      const objects = synthChart((chart) => {
        new Dagster(chart, 'orchestrator', { database: database(chart), codeLocations: [ANALYTICS, INGEST] });
      });
      expect(checkPolicy(objects, { prerequisiteSecrets: [DB_SECRET] })).toEqual([]);
    });

    test('the policy notices a missing database Secret (the check can fail)', () => {
      expect(checkPolicy(synth(), {}).join('\n')).toContain(DB_SECRET);
    });
  });

  describe('webserver', () => {
    const objects = synth({ codeLocations: [ANALYTICS, INGEST] });
    const c = container(objects, 'dagster-webserver');

    test('Deployment dagster-webserver of the pinned image, 2 to 10 pods by its autoscaler', () => {
      const d = findObject(objects, 'Deployment', 'dagster-webserver');
      expect(get(d, 'spec.replicas')).toBeUndefined();
      expect(get(findObject(objects, 'HorizontalPodAutoscaler', 'dagster-webserver'), 'spec')).toEqual({
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'dagster-webserver' },
        minReplicas: 2,
        maxReplicas: 10,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
          },
        ],
      });
      expect(c.image).toBe(IMAGE);
      expect(c.imagePullPolicy).toBe('IfNotPresent');
    });

    test('serves HTTP on a port named http, 3000, bound to all interfaces with the mounted workspace', () => {
      expect(c.command).toEqual([
        'dagster-webserver',
        '-h',
        '0.0.0.0',
        '-p',
        '3000',
        '-w',
        '/dagster-workspace/workspace.yaml',
      ]);
      expect(c.ports).toEqual([{ name: 'http', containerPort: 3000, protocol: 'TCP' }]);
    });

    test('Service dagster-webserver:3000 selects the webserver pods', () => {
      const s = findObject(objects, 'Service', 'dagster-webserver');
      expect(get(s, 'spec.ports')).toEqual([
        { name: 'http', port: 3000, targetPort: 'http', protocol: 'TCP' },
      ]);
      expect(get(s, 'spec.selector')).toEqual(
        get(findObject(objects, 'Deployment', 'dagster-webserver'), 'spec.selector.matchLabels'),
      );
    });

    test('probes GET /server_info, liveness with generous timing, and a startup probe', () => {
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        expect(get(c, `${probe}.httpGet.path`)).toBe('/server_info');
        expect(get(c, `${probe}.httpGet.port`)).toBe('http');
      }
      expect(get(c, 'livenessProbe.periodSeconds')).toBe(20);
      expect(get(c, 'livenessProbe.timeoutSeconds')).toBe(10);
      expect(get(c, 'livenessProbe.failureThreshold')).toBe(6);
      expect(get(c, 'readinessProbe.timeoutSeconds')).toBe(10);
    });

    test('default resources: requests 500m/512Mi, limits 1000m/1Gi', () => {
      expect(c.resources).toEqual({
        requests: { cpu: '500m', memory: '512Mi' },
        limits: { cpu: '1000m', memory: '1Gi' },
      });
    });

    test('waits for the database and for every code location Service', () => {
      expect(initContainerNames(objects, 'dagster-webserver')).toEqual([
        'wait-for-database',
        'wait-for-analytics',
        'wait-for-ingest',
      ]);
      const wait = asJson(asArray(podSpec(objects, 'dagster-webserver').initContainers)[2]);
      expect(String(asArray(wait.command)[2])).toContain(
        `nc -z -w 2 dagster-ingest.${NS}.svc.cluster.local 4000`,
      );
    });

    test('uses its own ServiceAccount dagster-webserver with an API token (it terminates runs)', () => {
      const spec = podSpec(objects, 'dagster-webserver');
      expect(spec.serviceAccountName).toBe('dagster-webserver');
      expect(spec.automountServiceAccountToken).toBe(true);
      expect(findObject(objects, 'ServiceAccount', 'dagster-webserver').automountServiceAccountToken).toBe(
        false,
      );
    });

    test('replicas and resources can be overridden', () => {
      const o = synth({
        autoscaling: false,
        webserver: {
          replicas: 3,
          resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '2Gi' } },
        },
      });
      expect(get(findObject(o, 'Deployment', 'dagster-webserver'), 'spec.replicas')).toBe(3);
      expect(get(container(o, 'dagster-webserver'), 'resources.limits')).toEqual({ memory: '2Gi' });
    });

    test('exposes the documented URL and endpoint', () => {
      let dagster: Dagster | undefined;
      synthChart((chart) => {
        dagster = new Dagster(chart, 'orchestrator', { database: database(chart) });
      });
      expect(dagster?.webserverUrl).toBe(`http://dagster-webserver.${NS}.svc.cluster.local:3000`);
      expect(dagster?.serviceEndpoint.address).toBe(`dagster-webserver.${NS}.svc.cluster.local:3000`);
      expect(dagster?.instanceConfigMapName).toBe('dagster-instance');
      expect(dagster?.webserverServiceAccountName).toBe('dagster-webserver');
      expect(dagster?.daemonServiceAccountName).toBe('dagster-daemon');
      expect(dagster?.runServiceAccountName).toBe('dagster-run');
    });
  });

  describe('daemon', () => {
    const objects = synth({ codeLocations: [ANALYTICS] });
    const d = findObject(objects, 'Deployment', 'dagster-daemon');
    const c = container(objects, 'dagster-daemon');

    test('single mode by default: exactly one replica, replaced with Recreate, no Lease', () => {
      expect(get(d, 'spec.replicas')).toBe(1);
      expect(get(d, 'spec.strategy')).toEqual({ type: 'Recreate' });
      expect(
        objects.filter((o) => ['Role', 'RoleBinding'].includes(o.kind)).map((o) => o.metadata.name),
      ).toEqual(['dagster', 'dagster']);
      expect(objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name)).toEqual([
        'dagster-instance',
        'dagster-workspace',
        'dagster-metrics',
      ]);
      expect(Object.keys(envMap(c)).filter((k) => k.startsWith('LEADER_ELECTION_'))).toEqual([]);
    });

    test('runs dagster-daemon with the mounted workspace, from the pinned image', () => {
      expect(c.command).toEqual(['dagster-daemon', 'run', '-w', '/dagster-workspace/workspace.yaml']);
      expect(c.image).toBe(IMAGE);
    });

    test('liveness, readiness and startup probes run `dagster-daemon liveness-check` with long timeouts', () => {
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
        expect(get(c, `${probe}.exec.command`)).toEqual(['dagster-daemon', 'liveness-check']);
        expect(Number(get(c, `${probe}.timeoutSeconds`))).toBeGreaterThanOrEqual(30);
      }
      expect(
        Number(get(c, 'startupProbe.periodSeconds')) * Number(get(c, 'startupProbe.failureThreshold')),
      ).toBe(600);
      // A hung daemon fails the check 5.5 minutes after its last heartbeat, not half an hour.
      expect(envMap(c).DAGSTER_DAEMON_HEARTBEAT_TOLERANCE).toBe('300');
    });

    test('default resources leave room for the daemon and two checks: requests 250m/512Mi, limits 1000m/1Gi', () => {
      expect(c.resources).toEqual({
        requests: { cpu: '250m', memory: '512Mi' },
        limits: { cpu: '1000m', memory: '1Gi' },
      });
    });

    test('launches runs with its own ServiceAccount and waits for database and code locations', () => {
      const spec = podSpec(objects, 'dagster-daemon');
      expect(spec.serviceAccountName).toBe('dagster-daemon');
      expect(spec.automountServiceAccountToken).toBe(true);
      expect(initContainerNames(objects, 'dagster-daemon')).toEqual([
        'wait-for-database',
        'wait-for-analytics',
      ]);
    });

    test("by default a failing daemon is restarted after 2 failed checks 30 s apart (the docs' < 60 s)", () => {
      expect(get(c, 'livenessProbe.periodSeconds')).toBe(30);
      expect(get(c, 'livenessProbe.failureThreshold')).toBe(2);
      expect(get(c, 'livenessProbe.timeoutSeconds')).toBe(30);
    });

    test("the docs' health_check_interval and restart_timeout set the liveness probe", () => {
      const o = synth({ daemon: { healthCheckIntervalSeconds: 60, restartTimeoutSeconds: 180 } });
      const probe = asJson(get(container(o, 'dagster-daemon'), 'livenessProbe'));
      expect(probe.periodSeconds).toBe(60);
      expect(probe.failureThreshold).toBe(3);
      expect(probe.timeoutSeconds).toBe(30);
      const fast = synth({ daemon: { healthCheckIntervalSeconds: 15, restartTimeoutSeconds: 50 } });
      const fastProbe = asJson(get(container(fast, 'dagster-daemon'), 'livenessProbe'));
      expect([fastProbe.periodSeconds, fastProbe.failureThreshold, fastProbe.timeoutSeconds]).toEqual([
        15, 3, 15,
      ]);
    });

    test('a restart timeout shorter than the check interval is refused', () => {
      expect(build({ daemon: { healthCheckIntervalSeconds: 60, restartTimeoutSeconds: 30 } })).toThrow(
        'test/orchestrator: invalid daemon.restartTimeoutSeconds: got 30, expected an integer >= 60',
      );
      expect(build({ daemon: { healthCheckIntervalSeconds: 5 } })).toThrow(
        'test/orchestrator: invalid daemon.healthCheckIntervalSeconds: got 5, expected an integer from 10 to 3600',
      );
    });

    test('heartbeat tolerance is configurable', () => {
      const o = synth({ daemon: { heartbeatToleranceSeconds: 900 } });
      expect(envMap(container(o, 'dagster-daemon')).DAGSTER_DAEMON_HEARTBEAT_TOLERANCE).toBe('900');
    });
  });

  describe('every Dagster pod', () => {
    const objects = synth({ codeLocations: [ANALYTICS] });
    const deployments = ['dagster-webserver', 'dagster-daemon', 'dagster-analytics'];

    test.each(deployments)('%s runs as UID/GID 1001 with a read-only root filesystem', (name) => {
      const spec = podSpec(objects, name);
      expect(get(spec, 'securityContext.runAsUser')).toBe(1001);
      expect(get(spec, 'securityContext.runAsGroup')).toBe(1001);
      expect(get(spec, 'securityContext.runAsNonRoot')).toBe(true);
      const c = container(objects, name);
      expect(get(c, 'securityContext.readOnlyRootFilesystem')).toBe(true);
      expect(get(c, 'securityContext.runAsUser')).toBe(1001);
    });

    test.each(deployments)('%s writes only to emptyDirs: DAGSTER_HOME and /tmp, with HOME=/tmp', (name) => {
      const spec = podSpec(objects, name);
      const volumes = asArray(spec.volumes).map(asJson);
      const mounts = volumeMounts(container(objects, name));
      const writable = mounts.filter((m) => m.readOnly !== true);
      expect(writable.map((m) => m.mountPath).sort()).toEqual(['/opt/dagster/dagster_home', '/tmp']);
      for (const m of writable) {
        expect(volumes.find((v) => v.name === m.name)?.emptyDir).toEqual({});
      }
      expect(envMap(container(objects, name)).HOME).toBe('/tmp');
      expect(envMap(container(objects, name)).DAGSTER_HOME).toBe('/opt/dagster/dagster_home');
    });

    test.each(deployments)('%s mounts dagster.yaml by subPath over DAGSTER_HOME', (name) => {
      const mount = volumeMounts(container(objects, name)).find((m) => m.name === 'dagster-instance');
      expect(mount).toEqual({
        name: 'dagster-instance',
        mountPath: '/opt/dagster/dagster_home/dagster.yaml',
        subPath: 'dagster.yaml',
        readOnly: true,
      });
      const volume = asArray(podSpec(objects, name).volumes)
        .map(asJson)
        .find((v) => v.name === 'dagster-instance');
      expect(volume?.configMap).toEqual({ name: 'dagster-instance' });
    });

    test.each(deployments)(
      '%s reads the database password from the Secret key postgresql-password',
      (name) => {
        expect(envMap(container(objects, name)).DAGSTER_PG_PASSWORD).toEqual(passwordRef);
      },
    );

    test.each(deployments)('%s waits for the database and has no Service links', (name) => {
      expect(initContainerNames(objects, name)[0]).toBe('wait-for-database');
      expect(podSpec(objects, name).enableServiceLinks).toBe(false);
    });

    test.each(['dagster-webserver', 'dagster-daemon'])(
      '%s mounts workspace.yaml as a directory, without subPath',
      (name) => {
        const mount = volumeMounts(container(objects, name)).find((m) => m.name === 'dagster-workspace');
        expect(mount).toEqual({ name: 'dagster-workspace', mountPath: '/dagster-workspace', readOnly: true });
        const volume = asArray(podSpec(objects, name).volumes)
          .map(asJson)
          .find((v) => v.name === 'dagster-workspace');
        expect(volume?.configMap).toEqual({ name: 'dagster-workspace' });
      },
    );

    test('config checksums roll the pods when the configuration changes', () => {
      const checksum = (o: K8sObject[], name: string): unknown =>
        get(findObject(o, 'Deployment', name), 'spec.template.metadata.annotations.checksum/config');
      const other = synth({ codeLocations: [ANALYTICS], maxConcurrentRuns: 3 });
      const moreLocations = synth({ codeLocations: [ANALYTICS, INGEST] });
      for (const name of deployments) {
        expect(String(checksum(objects, name))).toMatch(/^[0-9a-f]{64}$/);
        expect(checksum(other, name)).not.toEqual(checksum(objects, name));
      }
      // A workspace change rolls the webserver and daemon, not the code servers.
      expect(checksum(moreLocations, 'dagster-webserver')).not.toEqual(
        checksum(objects, 'dagster-webserver'),
      );
      expect(checksum(moreLocations, 'dagster-daemon')).not.toEqual(checksum(objects, 'dagster-daemon'));
      expect(checksum(moreLocations, 'dagster-analytics')).toEqual(checksum(objects, 'dagster-analytics'));
    });
  });

  describe('dagster.yaml', () => {
    const objects = synth();
    const doc = dagsterYaml(objects);
    const postgresDb = {
      username: 'dagster',
      password: { env: 'DAGSTER_PG_PASSWORD' },
      hostname: `orchestrator-db.${NS}.svc.cluster.local`,
      db_name: 'dagster',
      port: 5432,
    };

    test('stores runs, event logs and schedules in PostgreSQL, password from DAGSTER_PG_PASSWORD', () => {
      expect(doc.run_storage).toEqual({
        module: 'dagster_postgres.run_storage',
        class: 'PostgresRunStorage',
        config: { postgres_db: postgresDb },
      });
      expect(doc.event_log_storage).toEqual({
        module: 'dagster_postgres.event_log',
        class: 'PostgresEventLogStorage',
        config: { postgres_db: postgresDb },
      });
      expect(doc.schedule_storage).toEqual({
        module: 'dagster_postgres.schedule_storage',
        class: 'PostgresScheduleStorage',
        config: { postgres_db: postgresDb },
      });
    });

    test('daemon scheduler, queued run coordinator (10 runs by default), telemetry off, run monitoring on', () => {
      expect(doc.scheduler).toEqual({ module: 'dagster.core.scheduler', class: 'DagsterDaemonScheduler' });
      expect(doc.run_coordinator).toEqual({
        module: 'dagster.core.run_coordinator',
        class: 'QueuedRunCoordinator',
        config: { max_concurrent_runs: 10 },
      });
      expect(doc.telemetry).toEqual({ enabled: false });
      expect(doc.run_monitoring).toEqual({ enabled: true });
      expect(
        get(dagsterYaml(synth({ maxConcurrentRuns: 25 })), 'run_coordinator.config.max_concurrent_runs'),
      ).toBe(25);
    });

    test('K8sRunLauncher launches runs in the chart namespace with the dagster-run ServiceAccount', () => {
      expect(get(doc, 'run_launcher.module')).toBe('dagster_k8s');
      expect(get(doc, 'run_launcher.class')).toBe('K8sRunLauncher');
      const cfg = asJson(get(doc, 'run_launcher.config'));
      expect(cfg.load_incluster_config).toBe(true);
      expect(cfg.job_namespace).toBe(NS);
      expect(cfg.service_account_name).toBe('dagster-run');
      expect(cfg.dagster_home).toBe('/opt/dagster/dagster_home');
      expect(cfg.instance_config_map).toBe('dagster-instance');
      expect(cfg.postgres_password_secret).toBe(DB_SECRET);
      expect(cfg.env_config_maps).toEqual([]);
      expect(cfg.image_pull_policy).toBe('IfNotPresent');
      expect(cfg.image_pull_secrets).toBeUndefined();
    });

    test('run pods meet Pod Security restricted, with emptyDirs where Dagster writes', () => {
      const cfg = asJson(get(doc, 'run_launcher.config'));
      expect(cfg.security_context).toEqual({
        allow_privilege_escalation: false,
        capabilities: { drop: ['ALL'] },
        privileged: false,
        read_only_root_filesystem: true,
        run_as_group: 1001,
        run_as_non_root: true,
        run_as_user: 1001,
        seccomp_profile: { type: 'RuntimeDefault' },
      });
      expect(cfg.volumes).toEqual([
        { name: 'dagster-home', empty_dir: {} },
        { name: 'tmp', empty_dir: {} },
      ]);
      expect(cfg.volume_mounts).toEqual([
        { name: 'dagster-home', mount_path: '/opt/dagster/dagster_home' },
        { name: 'tmp', mount_path: '/tmp' },
      ]);
      expect(cfg.resources).toEqual({
        requests: { cpu: '250m', memory: '512Mi' },
        limits: { cpu: '1000m', memory: '2Gi' },
      });
    });

    test('run launcher options: namespace, env ConfigMaps, resources, pull secrets', () => {
      const cfg = asJson(
        get(
          dagsterYaml(
            synth({
              jobNamespace: 'dagster-runs',
              runEnvConfigMaps: ['lake-env', 'catalog-env'],
              runResources: { requests: { cpu: '2', memory: '4Gi' }, limits: { memory: '8Gi' } },
              imagePullSecrets: ['registry-creds'],
            }),
          ),
          'run_launcher.config',
        ),
      );
      expect(cfg.job_namespace).toBe('dagster-runs');
      expect(cfg.env_config_maps).toEqual(['lake-env', 'catalog-env']);
      expect(cfg.resources).toEqual({ requests: { cpu: '2', memory: '4Gi' }, limits: { memory: '8Gi' } });
      expect(cfg.image_pull_secrets).toEqual([{ name: 'registry-creds' }]);
    });

    test('ConfigMap dagster-instance holds only dagster.yaml; no secret value is written', () => {
      const cm = findObject(objects, 'ConfigMap', 'dagster-instance');
      expect(Object.keys(asJson(cm.data))).toEqual(['dagster.yaml']);
      expect(configMapFile(objects, 'dagster-instance', 'dagster.yaml')).not.toMatch(/password:[ \t]*\S/);
      expect(cm.metadata.name).toBe('dagster-instance');
    });
  });

  describe('workspace.yaml', () => {
    test('without code locations it is an empty load_from list', () => {
      expect(workspaceYaml(synth())).toEqual({ load_from: [] });
      expect(renderWorkspaceYaml([])).toBe('load_from: []\n');
    });

    test('lists one grpc_server per code location, by fully qualified Service name', () => {
      expect(workspaceYaml(synth({ codeLocations: [ANALYTICS, INGEST] }))).toEqual({
        load_from: [
          {
            grpc_server: {
              host: `dagster-analytics.${NS}.svc.cluster.local`,
              port: 3030,
              location_name: 'analytics',
            },
          },
          {
            grpc_server: {
              host: `dagster-ingest.${NS}.svc.cluster.local`,
              port: 4000,
              location_name: 'ingest',
            },
          },
        ],
      });
    });
  });

  describe('code locations', () => {
    const objects = synth({ codeLocations: [ANALYTICS, INGEST] });
    const analytics = container(objects, 'dagster-analytics');
    const ingest = container(objects, 'dagster-ingest');

    test('each gets a Deployment and a Service dagster-<name> on its gRPC port', () => {
      const s = findObject(objects, 'Service', 'dagster-analytics');
      expect(get(s, 'spec.ports')).toEqual([
        { name: 'grpc', port: 3030, targetPort: 'grpc', protocol: 'TCP' },
      ]);
      expect(get(s, 'spec.selector')).toEqual(
        get(findObject(objects, 'Deployment', 'dagster-analytics'), 'spec.selector.matchLabels'),
      );
      expect(get(findObject(objects, 'Service', 'dagster-ingest'), 'spec.ports.0.port')).toBe(4000);
      expect(analytics.ports).toEqual([{ name: 'grpc', containerPort: 3030, protocol: 'TCP' }]);
      expect(get(findObject(objects, 'Deployment', 'dagster-ingest'), 'spec.replicas')).toBe(2);
      // The light sizing preset: 2 pods per code location.
      expect(get(findObject(objects, 'Deployment', 'dagster-analytics'), 'spec.replicas')).toBe(2);
    });

    test('selectors of different code locations do not overlap', () => {
      const a = get(findObject(objects, 'Deployment', 'dagster-analytics'), 'spec.selector.matchLabels');
      const b = get(findObject(objects, 'Deployment', 'dagster-ingest'), 'spec.selector.matchLabels');
      expect(a).not.toEqual(b);
    });

    test('run `dagster api grpc` on all interfaces with the code target', () => {
      expect(analytics.image).toBe('ghcr.io/acme/analytics:1.4.0');
      expect(analytics.command).toEqual([
        'dagster',
        'api',
        'grpc',
        '-h',
        '0.0.0.0',
        '-p',
        '3030',
        '-m',
        'analytics.definitions',
        '--fixed-server-id',
        expect.stringMatching(/^analytics-[0-9a-f]{16}$/),
      ]);
      expect(ingest.command).toEqual([
        'dagster',
        'api',
        'grpc',
        '-h',
        '0.0.0.0',
        '-p',
        '4000',
        '-f',
        '/app/ingest/repo.py',
        '-d',
        '/app',
        '--fixed-server-id',
        expect.stringMatching(/^ingest-[0-9a-f]{16}$/),
      ]);
    });

    test('package targets use --package-name', () => {
      const o = synth({
        codeLocations: [{ ...ANALYTICS, moduleName: undefined, packageName: 'analytics', attribute: 'defs' }],
      });
      expect(asArray(container(o, 'dagster-analytics').command).slice(7, 11)).toEqual([
        '--package-name',
        'analytics',
        '-a',
        'defs',
      ]);
    });

    test('probes run `dagster api grpc-health-check` on the gRPC port', () => {
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        expect(get(analytics, `${probe}.exec.command`)).toEqual([
          'dagster',
          'api',
          'grpc-health-check',
          '-p',
          '3030',
        ]);
        expect(get(ingest, `${probe}.exec.command`)).toEqual([
          'dagster',
          'api',
          'grpc-health-check',
          '-p',
          '4000',
        ]);
      }
    });

    test('publish their image and run container context for the run launcher', () => {
      const e = envMap(analytics);
      expect(e.DAGSTER_CURRENT_IMAGE).toBe('ghcr.io/acme/analytics:1.4.0');
      expect(e.DAGSTER_HOME).toBe('/opt/dagster/dagster_home');
      expect(e.WAREHOUSE).toBe('lake');
      const ctx = asJson(JSON.parse(String(e.DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT)));
      expect(get(ctx, 'k8s.env_vars')).toEqual(['HOME=/tmp', 'PYTHONDONTWRITEBYTECODE=1', 'WAREHOUSE=lake']);
      expect(get(ctx, 'k8s.security_context.run_as_user')).toBe(1001);
      expect(get(ctx, 'k8s.security_context.read_only_root_filesystem')).toBe(true);
    });

    test('run as their own ServiceAccount without a token and do not wait for each other', () => {
      const spec = podSpec(objects, 'dagster-analytics');
      expect(spec.automountServiceAccountToken).toBe(false);
      expect(spec.serviceAccountName).toBe('dagster-analytics');
      expect(findObject(objects, 'ServiceAccount', 'dagster-analytics').automountServiceAccountToken).toBe(
        false,
      );
      expect(initContainerNames(objects, 'dagster-analytics')).toEqual(['wait-for-database']);
    });

    test('a custom runAs and HOME reach the code server and its run pods', () => {
      const o = synth({
        codeLocations: [
          { ...ANALYTICS, runAs: { user: 1000, group: 1000 }, extraEnv: { HOME: '/home/app' } },
        ],
      });
      const c = container(o, 'dagster-analytics');
      expect(get(podSpec(o, 'dagster-analytics'), 'securityContext.runAsUser')).toBe(1000);
      expect(envMap(c).HOME).toBe('/home/app');
      const ctx = asJson(JSON.parse(String(envMap(c).DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT)));
      expect(get(ctx, 'k8s.env_vars')).toEqual(['PYTHONDONTWRITEBYTECODE=1', 'HOME=/home/app']);
      expect(get(ctx, 'k8s.security_context.run_as_user')).toBe(1000);
    });

    test('the platform registry mirror is not applied to user images', () => {
      const o = synth({ codeLocations: [ANALYTICS], imageRegistry: 'mirror.example.com/dockerhub' });
      expect(container(o, 'dagster-analytics').image).toBe('ghcr.io/acme/analytics:1.4.0');
      expect(container(o, 'dagster-webserver').image).toBe(
        'mirror.example.com/dockerhub/dagster/dagster-celery-k8s:1.13.25',
      );
    });
  });

  describe('OpenTelemetry', () => {
    const telemetry: TelemetryPlugin = {
      otlpGrpcEndpoint: 'http://otel.floe-platform.svc.cluster.local:4317',
      otlpHttpEndpoint: 'http://otel.floe-platform.svc.cluster.local:4318',
      requiredSecrets: [],
    };
    const objects = synth({ codeLocations: [ANALYTICS], telemetry });

    test('code servers and their run pods get the OTLP/HTTP endpoint and their service name', () => {
      const e = envMap(container(objects, 'dagster-analytics'));
      expect(e.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://otel.floe-platform.svc.cluster.local:4318');
      expect(e.OTEL_EXPORTER_OTLP_PROTOCOL).toBe('http/protobuf');
      expect(e.OTEL_SERVICE_NAME).toBe('analytics');
      const ctx = asJson(JSON.parse(String(e.DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT)));
      expect(get(ctx, 'k8s.env_vars')).toEqual(
        expect.arrayContaining([
          'OTEL_EXPORTER_OTLP_ENDPOINT=http://otel.floe-platform.svc.cluster.local:4318',
          'OTEL_SERVICE_NAME=analytics',
        ]),
      );
    });

    test('the webserver and daemon get none (Dagster itself reads no OTEL_* variable)', () => {
      for (const name of ['dagster-webserver', 'dagster-daemon']) {
        expect(Object.keys(envMap(container(objects, name))).filter((k) => k.startsWith('OTEL_'))).toEqual(
          [],
        );
      }
    });
  });

  describe('RBAC', () => {
    const expectedRules = [
      {
        apiGroups: ['batch'],
        resources: ['jobs'],
        verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      },
      { apiGroups: ['batch'], resources: ['jobs/status'], verbs: ['get', 'list', 'watch'] },
      {
        apiGroups: [''],
        resources: ['pods', 'events'],
        verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      },
      { apiGroups: [''], resources: ['pods/log', 'pods/status'], verbs: ['get', 'list', 'watch'] },
    ];

    test('Role and RoleBinding dagster grant exactly the run launcher permissions to webserver and daemon', () => {
      const objects = synth();
      const role = findObject(objects, 'Role', 'dagster');
      expect(role.rules).toEqual(expectedRules);
      const binding = findObject(objects, 'RoleBinding', 'dagster');
      expect(binding.roleRef).toEqual({
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: 'dagster',
      });
      expect(binding.subjects).toEqual([
        { kind: 'ServiceAccount', name: 'dagster-webserver', namespace: NS },
        { kind: 'ServiceAccount', name: 'dagster-daemon', namespace: NS },
      ]);
      expect(objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toEqual([]);
    });

    test('run pods get the unbound ServiceAccount dagster-run, bound only with runPodsCallApi', () => {
      const objects = synth();
      expect(findObject(objects, 'ServiceAccount', 'dagster-run').automountServiceAccountToken).toBe(false);
      const bound = synth({ runPodsCallApi: true });
      expect(findObject(bound, 'RoleBinding', 'dagster').subjects).toEqual([
        { kind: 'ServiceAccount', name: 'dagster-webserver', namespace: NS },
        { kind: 'ServiceAccount', name: 'dagster-daemon', namespace: NS },
        { kind: 'ServiceAccount', name: 'dagster-run', namespace: NS },
      ]);
    });

    test('with serviceAccounts off, webserver, daemon and run pods share the one dagster account', () => {
      const objects = synth({ serviceAccounts: false, codeLocations: [ANALYTICS] });
      expect(objects.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name)).toEqual([
        'dagster',
      ]);
      expect(podSpec(objects, 'dagster-webserver').serviceAccountName).toBe('dagster');
      expect(podSpec(objects, 'dagster-daemon').serviceAccountName).toBe('dagster');
      expect(podSpec(objects, 'dagster-analytics').serviceAccountName).toBeUndefined();
      expect(get(dagsterYaml(objects), 'run_launcher.config.service_account_name')).toBe('dagster');
      expect(findObject(objects, 'RoleBinding', 'dagster').subjects).toEqual([
        { kind: 'ServiceAccount', name: 'dagster', namespace: NS },
      ]);
    });

    test('with another job namespace, the Role, binding and run ServiceAccount live there', () => {
      let dagster: Dagster | undefined;
      const objects = synthChart((chart) => {
        dagster = new Dagster(chart, 'orchestrator', {
          database: database(chart),
          jobNamespace: 'dagster-runs',
        });
      });
      const role = objects.find((o) => o.kind === 'Role');
      expect(role?.metadata.namespace).toBe('dagster-runs');
      expect(role?.rules).toEqual(expectedRules);
      const binding = objects.find((o) => o.kind === 'RoleBinding');
      expect(binding?.metadata.namespace).toBe('dagster-runs');
      expect(binding?.subjects).toEqual([
        { kind: 'ServiceAccount', name: 'dagster-webserver', namespace: NS },
        { kind: 'ServiceAccount', name: 'dagster-daemon', namespace: NS },
      ]);
      const run = findObject(objects, 'ServiceAccount', 'dagster-run');
      expect(run.metadata.namespace).toBe('dagster-runs');
      expect(dagster?.requiredSecrets[0].purpose).toContain('dagster-runs');
    });
  });

  describe('secrets', () => {
    test('requires the database password Secret with key postgresql-password', () => {
      let dagster: Dagster | undefined;
      synthChart((chart) => {
        dagster = new Dagster(chart, 'orchestrator', { database: database(chart) });
      });
      expect(dagster?.requiredSecrets).toEqual([
        {
          name: DB_SECRET,
          keys: ['postgresql-password'],
          purpose: expect.stringContaining('DAGSTER_PG_PASSWORD'),
        },
      ]);
    });

    test('run environment ConfigMaps are listed as prerequisites', () => {
      let dagster: Dagster | undefined;
      synthChart((chart) => {
        dagster = new Dagster(chart, 'orchestrator', {
          database: database(chart),
          runEnvConfigMaps: ['lake-env'],
        });
      });
      expect(dagster?.requiredConfigMaps).toEqual(['lake-env']);
    });

    test('no Secret object is written', () => {
      expect(synth().filter((o) => o.kind === 'Secret')).toEqual([]);
    });
  });

  describe('provider', () => {
    test('requests the orchestrator database and builds Dagster from the platform dependencies', () => {
      const provider = Dagster.provider({ maxConcurrentRuns: 4 });
      expect(provider.database).toEqual({
        name: 'orchestrator-db',
        database: 'dagster',
        username: 'dagster',
      });
      let plugin: unknown;
      const objects = synthChart((chart) => {
        const db = database(chart);
        plugin = provider.provide(chart, 'orchestrator', {
          platformName: 'acme',
          imageRegistry: 'mirror.example.com',
          imagePullSecrets: ['pull'],
          database: db,
        });
      });
      expect(plugin).toBeInstanceOf(Dagster);
      expect((plugin as Dagster).webserverUrl).toBe(`http://dagster-webserver.${NS}.svc.cluster.local:3000`);
      const c = container(objects, 'dagster-webserver');
      expect(c.image).toBe('mirror.example.com/dagster/dagster-celery-k8s:1.13.25');
      expect(podSpec(objects, 'dagster-webserver').imagePullSecrets).toEqual([{ name: 'pull' }]);
      expect(get(findObject(objects, 'Deployment', 'dagster-webserver'), 'metadata.labels')).toMatchObject({
        'app.kubernetes.io/part-of': 'acme',
      });
      expect(get(dagsterYaml(objects), 'run_coordinator.config.max_concurrent_runs')).toBe(4);
    });

    test('fails clearly without a database', () => {
      expect(() =>
        synthChart((chart) => {
          Dagster.provider().provide(chart, 'orchestrator', { platformName: 'floe' });
        }),
      ).toThrow('test/orchestrator: invalid database: got undefined, expected a PostgreSQL database');
    });
  });

  describe('validation', () => {
    test("daemon replicas other than 1 are refused in single mode, fewer than 2 in 'ha' mode", () => {
      expect(build({ daemon: { replicas: 2 } })).toThrow(
        "test/orchestrator: invalid daemon.replicas: got 2, expected 1 in mode 'single' (Dagster has no leader election of its own",
      );
      expect(build({ daemon: { mode: 'single', replicas: 2 } })).toThrow(/daemon.mode 'ha' runs standbys/);
      expect(build({ daemon: { mode: 'ha', replicas: 1 } })).toThrow(
        "test/orchestrator: invalid daemon.replicas: got 1, expected at least 2 in mode 'ha'",
      );
    });

    test('an unknown daemon mode is refused', () => {
      expect(build({ daemon: { mode: 'active-active' as unknown as 'ha' } })).toThrow(
        `test/orchestrator: invalid daemon.mode: got "active-active", expected 'single' or 'ha'`,
      );
    });

    test('webserver replicas below 1 are refused', () => {
      expect(build({ webserver: { replicas: 0 } })).toThrow(
        'test/orchestrator: invalid webserver.replicas: got 0, expected an integer >= 1',
      );
    });

    test('a code location name that is not a DNS label is refused', () => {
      expect(build({ codeLocations: [{ ...ANALYTICS, name: 'Analytics_1' }] })).toThrow(
        'test/orchestrator: invalid codeLocations[0].name: got "Analytics_1", expected a DNS-1123 label',
      );
    });

    test('reserved and duplicate code location names are refused', () => {
      expect(build({ codeLocations: [{ ...ANALYTICS, name: 'webserver' }] })).toThrow(
        "invalid codeLocations[0].name: got \"webserver\", expected a name other than 'webserver', 'daemon', 'run'",
      );
      expect(build({ codeLocations: [{ ...ANALYTICS, name: 'run' }] })).toThrow(
        "invalid codeLocations[0].name: got \"run\", expected a name other than 'webserver', 'daemon', 'run'",
      );
      expect(build({ codeLocations: [ANALYTICS, { ...INGEST, name: 'analytics' }] })).toThrow(
        'invalid codeLocations[1].name: got "analytics", expected a name no other code location has',
      );
    });

    test('a code location port out of range is refused', () => {
      expect(build({ codeLocations: [{ ...ANALYTICS, port: 70000 }] })).toThrow(
        'test/orchestrator: invalid codeLocations[0].port: got 70000, expected an integer from 1 to 65535',
      );
    });

    test('a code location needs exactly one code target', () => {
      expect(build({ codeLocations: [{ ...ANALYTICS, moduleName: undefined }] })).toThrow(
        'invalid codeLocations[0]: got {}, expected exactly one of moduleName, pythonFile or packageName',
      );
      expect(build({ codeLocations: [{ ...ANALYTICS, pythonFile: 'x.py' }] })).toThrow(
        'expected exactly one of moduleName, pythonFile or packageName',
      );
      expect(build({ codeLocations: [{ ...ANALYTICS, moduleName: 'bad module' }] })).toThrow(
        'invalid codeLocations[0].moduleName: got "bad module", expected a dotted Python module name',
      );
    });

    test('a code location image must be pinned', () => {
      expect(
        build({ codeLocations: [{ ...ANALYTICS, image: { ...ANALYTICS.image, tag: 'latest' } }] }),
      ).toThrow('invalid codeLocations[0].image.tag: got "latest", expected a pinned tag');
    });

    test('extra environment must not replace what the construct sets', () => {
      expect(build({ webserver: { extraEnv: { DAGSTER_HOME: '/x' } } })).toThrow(
        'invalid webserver.extraEnv.DAGSTER_HOME',
      );
      expect(build({ codeLocations: [{ ...ANALYTICS, extraEnv: { DAGSTER_CURRENT_IMAGE: 'x' } }] })).toThrow(
        'invalid codeLocations[0].extraEnv.DAGSTER_CURRENT_IMAGE',
      );
    });

    test('a database whose password key is not postgresql-password is refused', () => {
      const wrongKey: PostgresDatabasePlugin = ExternalPostgres.fromEndpoint({
        host: 'db.example.com',
        database: 'dagster',
        username: 'dagster',
        passwordSecret: { name: 'dagster-db', key: 'password' },
      });
      expect(() =>
        synthChart((chart) => {
          new Dagster(chart, 'orchestrator', { database: wrongKey });
        }),
      ).toThrow(
        `test/orchestrator: invalid database.passwordSecret.key: got "password", expected 'postgresql-password'`,
      );
    });

    test('an external database with the right key is accepted', () => {
      const external = ExternalPostgres.fromEndpoint({
        host: 'db.example.com',
        database: 'dagster',
        username: 'dagster',
        passwordSecret: { name: 'dagster-db', key: 'postgresql-password' },
      });
      const objects = synthChart((chart) => {
        new Dagster(chart, 'orchestrator', { database: external });
      });
      expect(get(dagsterYaml(objects), 'run_launcher.config.postgres_password_secret')).toBe('dagster-db');
      expect(get(dagsterYaml(objects), 'run_storage.config.postgres_db.hostname')).toBe('db.example.com');
    });

    test('maxConcurrentRuns below -1, an invalid job namespace and bad run resources are refused', () => {
      expect(build({ maxConcurrentRuns: -2 })).toThrow(
        'invalid maxConcurrentRuns: got -2, expected an integer >= -1',
      );
      expect(build({ jobNamespace: 'Runs' })).toThrow('invalid jobNamespace: got "Runs"');
      expect(
        build({ runResources: { requests: { cpu: 'lots', memory: '1Gi' }, limits: { memory: '1Gi' } } }),
      ).toThrow('invalid runResources.requests.cpu: got "lots"');
    });
  });
});

describe('code servers report a fixed server id', () => {
  /** The `--fixed-server-id` of code location `name`'s server, and its Deployment's replicas. */
  function serverId(objects: K8sObject[], name: string): { id: string; replicas: unknown } {
    const d = findObject(objects, 'Deployment', `dagster-${name}`);
    const command = container(objects, `dagster-${name}`).command as string[];
    const at = command.indexOf('--fixed-server-id');
    expect(at).toBeGreaterThan(0);
    expect(command.filter((a) => a === '--fixed-server-id')).toHaveLength(1);
    return { id: command[at + 1], replicas: get(d, 'spec.replicas') };
  }

  test('one id per code location in its pod template, so every replica reports the same one', () => {
    const objects = synth({ codeLocations: [ANALYTICS, INGEST] });
    const analytics = serverId(objects, 'analytics');
    const ingest = serverId(objects, 'ingest');
    expect(analytics.id).toMatch(/^analytics-[0-9a-f]{16}$/);
    expect(ingest.id).toMatch(/^ingest-[0-9a-f]{16}$/);
    // Two replicas of ingest run this one template: both serve with the same id.
    expect(ingest.replicas).toBe(2);
    // Stable: the same props give the same id.
    expect(serverId(synth({ codeLocations: [ANALYTICS, INGEST] }), 'ingest').id).toBe(ingest.id);
  });

  test('changes with the image, the target and the environment; not with replicas or resources', () => {
    const id = (loc: DagsterCodeLocation): string =>
      serverId(synth({ codeLocations: [loc] }), 'analytics').id;
    const base = id(ANALYTICS);
    expect(id({ ...ANALYTICS, image: { ...ANALYTICS.image, tag: '1.4.1' } } as DagsterCodeLocation)).not.toBe(
      base,
    );
    expect(id({ ...ANALYTICS, moduleName: 'analytics.defs' })).not.toBe(base);
    expect(id({ ...ANALYTICS, extraEnv: { WAREHOUSE: 'lake2' } })).not.toBe(base);
    expect(id({ ...ANALYTICS, replicas: 4 })).toBe(base);
    expect(
      id({ ...ANALYTICS, resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '2Gi' } } }),
    ).toBe(base);
  });
});

describe('step logs (compute logs) go to the platform object storage', () => {
  const storage = {
    endpoint: 'http://minio.floe-platform.svc.cluster.local:9000',
    region: 'us-east-1',
    warehouseBucket: 'floe-warehouse',
    pathStyleAccess: true,
    accessKeyId: { name: 'minio-credentials', key: 'root-user' },
    secretAccessKey: { name: 'minio-credentials', key: 'root-password' },
    requiredSecrets: [],
    metricsEndpoints: [],
  } as unknown as DagsterProps['storage'];

  test('dagster.yaml: S3ComputeLogManager on the warehouse bucket; run workers get the credentials from the Secret', () => {
    const objects = synth({ storage, codeLocations: [ANALYTICS] });
    const doc = dagsterYaml(objects);
    expect(doc.compute_logs).toEqual({
      module: 'dagster_aws.s3.compute_log_manager',
      class: 'S3ComputeLogManager',
      config: {
        bucket: 'floe-warehouse',
        prefix: 'dagster/compute-logs',
        endpoint_url: 'http://minio.floe-platform.svc.cluster.local:9000',
        use_ssl: false,
        local_dir: '/tmp/dagster-compute-logs',
        skip_empty_files: true,
      },
    });
    expect(get(doc, 'run_launcher.config.run_k8s_config.container_config.env')).toEqual([
      {
        name: 'AWS_ACCESS_KEY_ID',
        value_from: { secret_key_ref: { name: 'minio-credentials', key: 'root-user' } },
      },
      {
        name: 'AWS_SECRET_ACCESS_KEY',
        value_from: { secret_key_ref: { name: 'minio-credentials', key: 'root-password' } },
      },
      { name: 'AWS_REGION', value: 'us-east-1' },
    ]);
    // The webserver reads them back: credentials from the Secret, never a value.
    for (const d of ['dagster-webserver', 'dagster-daemon']) {
      const env = asArray(container(objects, d).env).map(asJson);
      expect(env.find((e) => e.name === 'AWS_ACCESS_KEY_ID')).toEqual({
        name: 'AWS_ACCESS_KEY_ID',
        valueFrom: { secretKeyRef: { name: 'minio-credentials', key: 'root-user' } },
      });
      expect(env.find((e) => e.name === 'AWS_SECRET_ACCESS_KEY')?.value).toBeUndefined();
    }
  });

  test('without storage the step logs stay in the run pod (no compute_logs, no credentials)', () => {
    const objects = synth({ codeLocations: [ANALYTICS] });
    expect(dagsterYaml(objects).compute_logs).toBeUndefined();
    expect(get(dagsterYaml(objects), 'run_launcher.config.run_k8s_config')).toBeUndefined();
    expect(asArray(container(objects, 'dagster-webserver').env).map((e) => asJson(e).name)).not.toContain(
      'AWS_ACCESS_KEY_ID',
    );
  });
});
