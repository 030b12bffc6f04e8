import { parse } from 'yaml';
import { TracingBackendPlugin } from '../src/plugins/interfaces';
import { Jaeger, JaegerProps } from '../src/plugins/observability/jaeger';
import { OtelCollector } from '../src/plugins/observability/otel-collector';
import { validateObjects } from './support/k8s-schema';
import { checkPolicy, configMapsChecksum } from './support/policy';
import { asJson, configMapFile, Json, workloadContainer, thrownValidationError } from './support/helpers';
import { findObject, get, K8sObject, synthChart } from './support/synth';

function synth(props: JaegerProps = {}): K8sObject[] {
  return synthChart((chart) => new Jaeger(chart, 'tracing', props));
}

function deployment(objects: K8sObject[]): K8sObject {
  return findObject(objects, 'Deployment', 'jaeger');
}

function container(objects: K8sObject[]): Json {
  return workloadContainer(objects, 'Deployment', 'jaeger');
}

function rendered(objects: K8sObject[]): string {
  return configMapFile(objects, 'jaeger', 'config.yaml');
}

function config(objects: K8sObject[]): Json {
  return asJson(parse(rendered(objects)));
}

describe('Jaeger', () => {
  test('default instance matches snapshot', () => {
    expect(synth()).toMatchSnapshot();
  });

  test('badger storage on a volume matches snapshot', () => {
    expect(synth({ storage: 'badger', storageSize: '20Gi', storageClassName: 'fast' })).toMatchSnapshot();
  });

  test('default and badger objects pass the Kubernetes 1.28 schema and the policy', () => {
    for (const objects of [synth(), synth({ storage: 'badger' })]) {
      expect(validateObjects(objects)).toEqual([]);
      expect(checkPolicy(objects)).toEqual([]);
    }
  });

  test('runs the pinned v2 image with --config as UID 10001 on a read-only root', () => {
    const objects = synth();
    const c = container(objects);
    expect(c.image).toBe('docker.io/jaegertracing/jaeger:2.19.0');
    expect(c.command).toBeUndefined();
    expect(c.args).toEqual(['--config', '/etc/jaeger/config.yaml']);
    expect(get(c, 'securityContext.runAsUser')).toBe(10001);
    expect(get(c, 'securityContext.runAsGroup')).toBe(10001);
    expect(get(c, 'securityContext.readOnlyRootFilesystem')).toBe(true);
    expect(get(deployment(objects), 'spec.template.spec.securityContext.fsGroup')).toBe(10001);
    // The memory store writes nothing: the only mount is the read-only config.
    expect(c.volumeMounts).toEqual([{ name: 'config', mountPath: '/etc/jaeger', readOnly: true }]);
    expect(get(deployment(objects), 'spec.template.spec.volumes')).toEqual([
      { name: 'config', configMap: { name: 'jaeger' } },
    ]);
  });

  test('config: memory store, query on the store, healthcheckv2 and OTLP on 0.0.0.0', () => {
    const cfg = config(synth());
    expect(get(cfg, 'extensions.jaeger_storage.backends')).toEqual({
      primary_store: { memory: { max_traces: 100000 } },
    });
    expect(get(cfg, 'extensions.jaeger_query.storage')).toEqual({ traces: 'primary_store' });
    expect(get(cfg, 'extensions.jaeger_query.http.endpoint')).toBe('0.0.0.0:16686');
    expect(get(cfg, 'extensions.jaeger_query.grpc.endpoint')).toBe('0.0.0.0:16685');
    expect(get(cfg, 'extensions.healthcheckv2')).toEqual({
      use_v2: true,
      http: { endpoint: '0.0.0.0:13133' },
    });
    expect(get(cfg, 'receivers.otlp.protocols.grpc.endpoint')).toBe('0.0.0.0:4317');
    expect(get(cfg, 'receivers.otlp.protocols.http.endpoint')).toBe('0.0.0.0:4318');
    expect(get(cfg, 'processors')).toEqual({ batch: {} });
    expect(get(cfg, 'exporters')).toEqual({ jaeger_storage_exporter: { trace_storage: 'primary_store' } });
    expect(get(cfg, 'service.extensions')).toEqual(['jaeger_storage', 'jaeger_query', 'healthcheckv2']);
    expect(get(cfg, 'service.pipelines')).toEqual({
      traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] },
    });
    expect(get(cfg, 'service.telemetry.metrics.readers')).toEqual([
      { pull: { exporter: { prometheus: { host: '0.0.0.0', port: 8888 } } } },
    ]);
  });

  test('maxTraces sets the memory store size', () => {
    expect(
      get(config(synth({ maxTraces: 5000 })), 'extensions.jaeger_storage.backends.primary_store'),
    ).toEqual({
      memory: { max_traces: 5000 },
    });
  });

  test('badger keeps its keys and values on a PersistentVolumeClaim', () => {
    const objects = synth({ storage: 'badger', spanRetention: '168h' });
    expect(get(config(objects), 'extensions.jaeger_storage.backends.primary_store')).toEqual({
      badger: {
        directories: { keys: '/badger/keys', values: '/badger/values' },
        ephemeral: false,
        ttl: { spans: '168h' },
      },
    });
    const pvc = findObject(objects, 'PersistentVolumeClaim', 'jaeger-data');
    expect(get(pvc, 'spec.accessModes')).toEqual(['ReadWriteOnce']);
    expect(get(pvc, 'spec.resources.requests.storage')).toBe('10Gi');
    expect(get(pvc, 'spec.storageClassName')).toBeUndefined();
    const c = container(objects);
    expect(c.volumeMounts).toContainEqual({ name: 'data', mountPath: '/badger' });
    expect(get(deployment(objects), 'spec.template.spec.volumes')).toContainEqual({
      name: 'data',
      persistentVolumeClaim: { claimName: 'jaeger-data' },
    });
    expect(get(c, 'securityContext.readOnlyRootFilesystem')).toBe(true);
  });

  test('one replica, replaced with Recreate so two processes never share a store', () => {
    const d = deployment(synth());
    expect(get(d, 'spec.replicas')).toBe(1);
    expect(get(d, 'spec.strategy')).toEqual({ type: 'Recreate' });
  });

  test('container ports and the jaeger Service (UI, OTLP gRPC, OTLP HTTP, metrics)', () => {
    const objects = synth();
    expect(container(objects).ports).toEqual([
      { name: 'query-http', containerPort: 16686, protocol: 'TCP' },
      { name: 'query-grpc', containerPort: 16685, protocol: 'TCP' },
      { name: 'otlp', containerPort: 4317, protocol: 'TCP' },
      { name: 'otlp-http', containerPort: 4318, protocol: 'TCP' },
      { name: 'health', containerPort: 13133, protocol: 'TCP' },
      { name: 'metrics', containerPort: 8888, protocol: 'TCP' },
    ]);
    const svc = findObject(objects, 'Service', 'jaeger');
    expect(get(svc, 'spec.ports')).toEqual([
      { name: 'query-http', port: 16686, targetPort: 'query-http', protocol: 'TCP', appProtocol: 'http' },
      { name: 'otlp', port: 4317, targetPort: 'otlp', protocol: 'TCP', appProtocol: 'grpc' },
      { name: 'otlp-http', port: 4318, targetPort: 'otlp-http', protocol: 'TCP', appProtocol: 'http' },
      { name: 'metrics', port: 8888, targetPort: 'metrics', protocol: 'TCP', appProtocol: 'http' },
    ]);
    expect(get(svc, 'spec.selector')).toEqual(get(deployment(objects), 'spec.selector.matchLabels'));
  });

  test('startup, readiness and liveness probes GET /status on the healthcheckv2 port 13133', () => {
    const c = container(synth());
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      expect(get(c, `${probe}.httpGet.path`)).toBe('/status');
      expect(get(c, `${probe}.httpGet.port`)).toBe('health');
    }
    const ports = c.ports as { name: string; containerPort: number }[];
    expect(ports.find((p) => p.name === 'health')?.containerPort).toBe(13133);
  });

  test('GOMEMLIMIT is 80% of the memory limit; default resources', () => {
    const c = container(synth());
    expect(c.env).toEqual([{ name: 'GOMEMLIMIT', value: '819MiB' }]);
    expect(get(c, 'resources')).toEqual({
      requests: { cpu: '100m', memory: '512Mi' },
      limits: { memory: '1Gi' },
    });
  });

  test('checksum/config is the sha256 of the rendered config', () => {
    const objects = synth();
    expect(rendered(objects)).toContain('jaeger_storage');
    expect(get(deployment(objects), 'spec.template.metadata.annotations')).toEqual({
      'checksum/config': configMapsChecksum([findObject(objects, 'ConfigMap', 'jaeger')]),
    });
  });

  test('exposes the OTLP address and query URL the collector and Grafana use', () => {
    synthChart((chart) => {
      const jaeger = new Jaeger(chart, 'tracing');
      const plugin: TracingBackendPlugin = jaeger;
      expect(plugin.otlpGrpcAddress).toBe('jaeger.floe-platform.svc.cluster.local:4317');
      expect(plugin.queryUrl).toBe('http://jaeger.floe-platform.svc.cluster.local:16686');
      expect(plugin.requiredSecrets).toEqual([]);
      expect(jaeger.otlpHttpEndpoint.address).toBe('jaeger.floe-platform.svc.cluster.local:4318');
      expect(jaeger.apiObjects.map((o) => o.kind)).toEqual([
        'ConfigMap',
        'ServiceAccount',
        'Deployment',
        'Service',
      ]);
    });
  });

  test('the collector exports traces to a real Jaeger through its Service', () => {
    const objects = synthChart((chart) => {
      const tracing = Jaeger.provider().provide(chart, 'tracing', { platformName: 'floe' });
      OtelCollector.provider().provide(chart, 'telemetry', { platformName: 'floe', tracing });
    });
    const relay = (get(findObject(objects, 'ConfigMap', 'otel-collector'), 'data') as Record<string, string>)[
      'relay.yaml'
    ];
    const endpoint = get(parse(relay), 'exporters.otlp_grpc/tracing.endpoint');
    expect(endpoint).toBe('jaeger.floe-platform.svc.cluster.local:4317');
    const svcPorts = get(findObject(objects, 'Service', 'jaeger'), 'spec.ports') as { port: number }[];
    expect(svcPorts.map((p) => p.port)).toContain(4317);
    expect(validateObjects(objects)).toEqual([]);
    expect(checkPolicy(objects)).toEqual([]);
  });

  test('provider applies the platform registry, pull secrets and name', () => {
    const objects = synthChart((chart) => {
      Jaeger.provider({ maxTraces: 10 }).provide(chart, 'tracing', {
        platformName: 'acme',
        imageRegistry: 'mirror.example.com',
        imagePullSecrets: ['pull'],
      });
    });
    const d = deployment(objects);
    expect(get(d, 'spec.template.spec.containers.0.image')).toBe(
      'mirror.example.com/jaegertracing/jaeger:2.19.0',
    );
    expect(get(d, 'spec.template.spec.imagePullSecrets')).toEqual([{ name: 'pull' }]);
    expect((get(d, 'metadata.labels') as Record<string, string>)['app.kubernetes.io/part-of']).toBe('acme');
  });

  describe('validation', () => {
    test('only one replica', () => {
      expect(thrownValidationError(() => synth({ replicas: 2 })).message).toBe(
        'test/tracing: invalid replicas: got 2, expected 1 (the memory and badger stores live in a single process)',
      );
      expect(thrownValidationError(() => synth({ replicas: 0 })).message).toBe(
        'test/tracing: invalid replicas: got 0, expected an integer >= 1',
      );
    });

    test('maxTraces must be a positive integer and only with memory storage', () => {
      expect(thrownValidationError(() => synth({ maxTraces: 0 })).message).toBe(
        'test/tracing: invalid maxTraces: got 0, expected an integer >= 1',
      );
      expect(thrownValidationError(() => synth({ storage: 'badger', maxTraces: 10 })).message).toBe(
        "test/tracing: invalid maxTraces: got 10, expected no value unless storage is 'memory'",
      );
    });

    test('volume settings are refused with memory storage', () => {
      expect(thrownValidationError(() => synth({ storageSize: '5Gi' })).message).toBe(
        `test/tracing: invalid storageSize: got "5Gi", expected no value unless storage is 'badger'`,
      );
    });

    test('unknown storage, bad retention and bad volume size are refused', () => {
      const bad = JSON.parse('{"storage":"cassandra"}') as JaegerProps;
      expect(thrownValidationError(() => synth(bad)).message).toBe(
        `test/tracing: invalid storage: got "cassandra", expected 'memory' or 'badger'`,
      );
      expect(thrownValidationError(() => synth({ storage: 'badger', spanRetention: '3 days' })).field).toBe(
        'spanRetention',
      );
      expect(thrownValidationError(() => synth({ storage: 'badger', storageSize: 'big' })).field).toBe(
        'storageSize',
      );
    });
  });
});
