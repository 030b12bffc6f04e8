import { Chart } from 'cdk8s';
import { parse } from 'yaml';
import { MetricsBackendPlugin, TelemetryPlugin, TracingBackendPlugin } from '../src/plugins/interfaces';
import {
  goMemLimitFor,
  OtelCollector,
  OtelCollectorProps,
  quantityToBytes,
} from '../src/plugins/observability/otel-collector';
import { Prometheus } from '../src/plugins/observability/prometheus';
import { validateObjects } from './support/k8s-schema';
import { checkPolicy, configMapsChecksum } from './support/policy';
import {
  asJson,
  configMapFile,
  envValue,
  Json,
  workloadContainer,
  thrownValidationError,
} from './support/helpers';
import { findObject, get, K8sObject, synthChart } from './support/synth';

/** A tracing backend as a plain object, the way any TracingBackendPlugin may look. */
const tracing: TracingBackendPlugin = {
  otlpGrpcAddress: 'jaeger.floe-platform.svc.cluster.local:4317',
  queryUrl: 'http://jaeger.floe-platform.svc.cluster.local:16686',
  requiredSecrets: [],
};

/** A Prometheus-like metrics backend whose OTLP URL is the receiver's base path. */
const metrics: MetricsBackendPlugin = {
  queryUrl: 'http://prometheus.floe-platform.svc.cluster.local:9090',
  otlpMetricsUrl: 'http://prometheus.floe-platform.svc.cluster.local:9090/api/v1/otlp',
  requiredSecrets: [],
};

function synth(props: OtelCollectorProps = {}): K8sObject[] {
  return synthChart((chart) => new OtelCollector(chart, 'telemetry', props));
}

function workload(objects: K8sObject[]): K8sObject {
  const found = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet');
  expect(found).toHaveLength(1);
  return found[0];
}

function container(objects: K8sObject[]): Json {
  const w = workload(objects);
  return workloadContainer(objects, w.kind, w.metadata.name);
}

function config(objects: K8sObject[]): Json {
  return asJson(parse(configMapFile(objects, 'otel-collector', 'relay.yaml')));
}

function pipeline(
  cfg: Record<string, unknown>,
  signal: string,
): { receivers: string[]; processors: string[]; exporters: string[] } {
  return get(cfg, `service.pipelines.${signal}`) as {
    receivers: string[];
    processors: string[];
    exporters: string[];
  };
}

describe('OtelCollector', () => {
  test('default instance matches snapshot', () => {
    expect(synth()).toMatchSnapshot();
  });

  test('daemonset with tracing and metrics backends matches snapshot', () => {
    expect(synth({ mode: 'daemonset', tracing, metrics })).toMatchSnapshot();
  });

  test('default objects pass the Kubernetes 1.28 schema and the policy', () => {
    const objects = synth();
    expect(validateObjects(objects)).toEqual([]);
    expect(checkPolicy(objects)).toEqual([]);
  });

  test('daemonset objects with backends pass the Kubernetes 1.28 schema and the policy', () => {
    const objects = synth({ mode: 'daemonset', tracing, metrics });
    expect(validateObjects(objects)).toEqual([]);
    expect(checkPolicy(objects)).toEqual([]);
  });

  test('runs the pinned contrib image with its binary, config path and UID 10001 on a read-only root', () => {
    const objects = synth();
    const c = container(objects);
    expect(c.image).toBe('docker.io/otel/opentelemetry-collector-contrib:0.158.0');
    expect(c.command).toEqual(['/otelcol-contrib', '--config=/conf/relay.yaml']);
    expect(get(c, 'securityContext.runAsUser')).toBe(10001);
    expect(get(c, 'securityContext.runAsGroup')).toBe(10001);
    expect(get(c, 'securityContext.readOnlyRootFilesystem')).toBe(true);
    expect(get(workload(objects), 'spec.template.spec.securityContext.runAsUser')).toBe(10001);
    // The only mount is the read-only config: the collector writes nothing without file_storage.
    expect(c.volumeMounts).toEqual([{ name: 'config', mountPath: '/conf', readOnly: true }]);
    expect(get(workload(objects), 'spec.template.spec.volumes')).toEqual([
      { name: 'config', configMap: { name: 'otel-collector' } },
    ]);
    expect(Object.keys(get(findObject(objects, 'ConfigMap', 'otel-collector'), 'data') as object)).toEqual([
      'relay.yaml',
    ]);
  });

  test('every server binds 0.0.0.0 (the collector defaults to localhost since v0.104)', () => {
    const cfg = config(synth());
    expect(get(cfg, 'receivers.otlp.protocols.grpc.endpoint')).toBe('0.0.0.0:4317');
    expect(get(cfg, 'receivers.otlp.protocols.http.endpoint')).toBe('0.0.0.0:4318');
    expect(get(cfg, 'extensions.health_check.endpoint')).toBe('0.0.0.0:13133');
    expect(get(cfg, 'service.extensions')).toEqual(['health_check']);
    expect(get(cfg, 'service.telemetry.metrics.readers')).toEqual([
      { pull: { exporter: { prometheus: { host: '0.0.0.0', port: 8888 } } } },
    ]);
  });

  test('memory_limiter comes before batch in every pipeline, with the documented limits', () => {
    const cfg = config(synth({ tracing, metrics }));
    expect(get(cfg, 'processors.memory_limiter')).toEqual({
      check_interval: '5s',
      limit_percentage: 80,
      spike_limit_percentage: 25,
    });
    expect(get(cfg, 'processors.batch')).toEqual({});
    for (const signal of ['traces', 'metrics', 'logs']) {
      expect(pipeline(cfg, signal).processors).toEqual(['memory_limiter', 'batch']);
      expect(pipeline(cfg, signal).receivers).toEqual(['otlp']);
    }
  });

  test('without backends every pipeline ends in the debug exporter and nothing else', () => {
    const cfg = config(synth());
    expect(get(cfg, 'exporters')).toEqual({ debug: { verbosity: 'basic' } });
    for (const signal of ['traces', 'metrics', 'logs']) {
      expect(pipeline(cfg, signal).exporters).toEqual(['debug']);
    }
  });

  test('a tracing backend gets traces over OTLP/gRPC without TLS; only the other pipelines log', () => {
    const cfg = config(synth({ tracing }));
    expect(get(cfg, 'exporters')).toEqual({
      'otlp_grpc/tracing': {
        endpoint: 'jaeger.floe-platform.svc.cluster.local:4317',
        tls: { insecure: true },
      },
      debug: { verbosity: 'basic' },
    });
    expect(pipeline(cfg, 'traces').exporters).toEqual(['otlp_grpc/tracing']);
    expect(pipeline(cfg, 'metrics').exporters).toEqual(['debug']);
    expect(pipeline(cfg, 'logs').exporters).toEqual(['debug']);
  });

  test('a metrics backend gets metrics over OTLP/HTTP at its full metrics URL', () => {
    const cfg = config(synth({ metrics }));
    expect(get(cfg, 'exporters.otlp_http/metrics')).toEqual({
      metrics_endpoint: 'http://prometheus.floe-platform.svc.cluster.local:9090/api/v1/otlp/v1/metrics',
    });
    expect(pipeline(cfg, 'metrics').exporters).toEqual(['otlp_http/metrics']);
    expect(pipeline(cfg, 'traces').exporters).toEqual(['debug']);
    // A URL that already names the metrics path is used as it is.
    const full = config(
      synth({ metrics: { ...metrics, otlpMetricsUrl: 'http://prom:9090/api/v1/otlp/v1/metrics/' } }),
    );
    expect(get(full, 'exporters.otlp_http/metrics.metrics_endpoint')).toBe(
      'http://prom:9090/api/v1/otlp/v1/metrics',
    );
  });

  test('the real Prometheus construct gets metrics at its OTLP receiver', () => {
    const objects = synthChart((chart) => {
      const prometheus = Prometheus.provider().provide(chart, 'metrics', { platformName: 'floe' });
      OtelCollector.provider().provide(chart, 'telemetry', { platformName: 'floe', metrics: prometheus });
    });
    expect(get(config(objects), 'exporters.otlp_http/metrics.metrics_endpoint')).toBe(
      'http://prometheus.floe-platform.svc.cluster.local:9090/api/v1/otlp/v1/metrics',
    );
  });

  test('with both backends the debug exporter only serves logs', () => {
    const cfg = config(synth({ tracing, metrics, debugVerbosity: 'detailed' }));
    expect(Object.keys(get(cfg, 'exporters') as object).sort()).toEqual([
      'debug',
      'otlp_grpc/tracing',
      'otlp_http/metrics',
    ]);
    expect(get(cfg, 'exporters.debug')).toEqual({ verbosity: 'detailed' });
    expect(pipeline(cfg, 'logs').exporters).toEqual(['debug']);
  });

  test('container ports and the Service expose OTLP gRPC/HTTP and metrics', () => {
    const objects = synth();
    expect(container(objects).ports).toEqual([
      { name: 'otlp', containerPort: 4317, protocol: 'TCP' },
      { name: 'otlp-http', containerPort: 4318, protocol: 'TCP' },
      { name: 'metrics', containerPort: 8888, protocol: 'TCP' },
      { name: 'health', containerPort: 13133, protocol: 'TCP' },
    ]);
    const svc = findObject(objects, 'Service', 'otel-collector');
    expect(get(svc, 'spec.ports')).toEqual([
      { name: 'otlp', port: 4317, targetPort: 'otlp', protocol: 'TCP', appProtocol: 'grpc' },
      { name: 'otlp-http', port: 4318, targetPort: 'otlp-http', protocol: 'TCP', appProtocol: 'http' },
      { name: 'metrics', port: 8888, targetPort: 'metrics', protocol: 'TCP', appProtocol: 'http' },
    ]);
    expect(get(svc, 'spec.selector')).toEqual(get(workload(objects), 'spec.selector.matchLabels'));
    expect(get(svc, 'spec.internalTrafficPolicy')).toBeUndefined();
  });

  test('readiness and liveness probes GET / on the health_check port 13133', () => {
    const c = container(synth());
    for (const probe of ['readinessProbe', 'livenessProbe']) {
      expect(get(c, `${probe}.httpGet.path`)).toBe('/');
      expect(get(c, `${probe}.httpGet.port`)).toBe('health');
    }
    const ports = c.ports as { name: string; containerPort: number }[];
    expect(ports.find((p) => p.name === 'health')?.containerPort).toBe(13133);
  });

  test('GOMEMLIMIT is 80% of the memory limit in MiB', () => {
    expect(envValue(container(synth()), 'GOMEMLIMIT')).toBe('409MiB');
    const custom = container(
      synth({ resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '2G' } } }),
    );
    expect(envValue(custom, 'GOMEMLIMIT')).toBe('1525MiB');
    expect(get(custom, 'resources.limits.memory')).toBe('2G');
    expect(get(custom, 'resources.requests.cpu')).toBe('500m');
  });

  test('default resources: 200m/256Mi requests and a 512Mi memory limit', () => {
    expect(get(container(synth()), 'resources')).toEqual({
      requests: { cpu: '200m', memory: '256Mi' },
      limits: { memory: '512Mi' },
    });
  });

  test('quantityToBytes and goMemLimitFor understand binary, decimal and exponent quantities', () => {
    expect(quantityToBytes('512Mi')).toBe(512 * 2 ** 20);
    expect(quantityToBytes('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(quantityToBytes('1G')).toBe(1e9);
    expect(quantityToBytes('128974848')).toBe(128974848);
    expect(quantityToBytes('129e6')).toBe(129e6);
    expect(quantityToBytes('1E')).toBe(1e18);
    expect(quantityToBytes('lots')).toBeUndefined();
    expect(goMemLimitFor('x', 'f', '1Gi')).toBe('819MiB');
    expect(goMemLimitFor('x', 'f', '128Mi')).toBe('102MiB');
  });

  test('checksum/config is the sha256 of the rendered config and changes with it', () => {
    const objects = synth();
    const rendered = (
      get(findObject(objects, 'ConfigMap', 'otel-collector'), 'data') as Record<string, string>
    )['relay.yaml'];
    const sum = get(workload(objects), 'spec.template.metadata.annotations') as Record<string, string>;
    expect(rendered).toContain('receivers:');
    expect(sum['checksum/config']).toBe(
      configMapsChecksum([findObject(objects, 'ConfigMap', 'otel-collector')]),
    );
    const other = get(workload(synth({ tracing })), 'spec.template.metadata.annotations') as Record<
      string,
      string
    >;
    expect(other['checksum/config']).not.toBe(sum['checksum/config']);
  });

  test('exposes fully qualified OTLP endpoints and the objects', () => {
    synthChart((chart: Chart) => {
      const otel = new OtelCollector(chart, 'telemetry');
      const plugin: TelemetryPlugin = otel;
      expect(plugin.otlpGrpcEndpoint).toBe('http://otel-collector.floe-platform.svc.cluster.local:4317');
      expect(plugin.otlpHttpEndpoint).toBe('http://otel-collector.floe-platform.svc.cluster.local:4318');
      expect(plugin.serviceEndpoint?.address).toBe('otel-collector.floe-platform.svc.cluster.local:4317');
      expect(otel.metricsEndpoint.address).toBe('otel-collector.floe-platform.svc.cluster.local:8888');
      expect(otel.requiredSecrets).toEqual([]);
      expect(otel.deployment).toBeDefined();
      expect(otel.daemonSet).toBeUndefined();
      expect(otel.apiObjects.map((o) => o.kind)).toEqual([
        'ConfigMap',
        'ServiceAccount',
        'HorizontalPodAutoscaler',
        'PodDisruptionBudget',
        'Deployment',
        'Service',
      ]);
    });
  });

  test('deployment mode: 2 to 10 pods by its autoscaler, surge before stopping, spread over zones and nodes', () => {
    const objects = synth();
    const deploy = workload(objects);
    expect(deploy.kind).toBe('Deployment');
    expect(deploy.metadata.name).toBe('otel-collector');
    expect(get(deploy, 'spec.replicas')).toBeUndefined();
    const hpa = findObject(objects, 'HorizontalPodAutoscaler', 'otel-collector');
    expect([get(hpa, 'spec.minReplicas'), get(hpa, 'spec.maxReplicas')]).toEqual([2, 10]);
    expect(get(findObject(objects, 'PodDisruptionBudget', 'otel-collector'), 'spec.minAvailable')).toBe(1);
    expect(get(deploy, 'spec.strategy.rollingUpdate')).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(
      (get(deploy, 'spec.template.spec.topologySpreadConstraints') as Json[]).map((c) => c.topologyKey),
    ).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
    expect(
      (get(deploy, 'spec.selector.matchLabels') as Record<string, string>)['app.kubernetes.io/component'],
    ).toBe('standalone-collector');
  });

  test('without autoscaling and topology spread: fixed replicas and anti-affinity over nodes', () => {
    const deploy = workload(synth({ autoscaling: false, topologySpread: false }));
    expect(get(deploy, 'spec.replicas')).toBe(2);
    const term = get(
      deploy,
      'spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution.0.podAffinityTerm',
    );
    expect(get(term, 'topologyKey')).toBe('kubernetes.io/hostname');
    expect(get(term, 'labelSelector.matchLabels')).toEqual(get(deploy, 'spec.selector.matchLabels'));
    expect(
      (get(deploy, 'spec.selector.matchLabels') as Record<string, string>)['app.kubernetes.io/component'],
    ).toBe('standalone-collector');
  });

  test('a single replica gets no anti-affinity, and a given affinity wins', () => {
    expect(get(workload(synth({ replicas: 1 })), 'spec.template.spec.affinity')).toBeUndefined();
    const affinity = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } };
    expect(get(workload(synth({ affinity })), 'spec.template.spec.affinity')).toEqual(affinity);
  });

  test('daemonset mode: one agent per node behind a node-local Service, same config', () => {
    const objects = synth({ mode: 'daemonset', tracing, metrics });
    const ds = workload(objects);
    expect(ds.kind).toBe('DaemonSet');
    expect(ds.metadata.name).toBe('otel-collector');
    expect(get(ds, 'spec.replicas')).toBeUndefined();
    expect(
      (get(ds, 'spec.selector.matchLabels') as Record<string, string>)['app.kubernetes.io/component'],
    ).toBe('agent-collector');
    expect(get(findObject(objects, 'Service', 'otel-collector'), 'spec.internalTrafficPolicy')).toBe('Local');
    expect(config(objects)).toEqual(config(synth({ tracing, metrics })));
    const cluster = synth({ mode: 'daemonset', nodeLocalService: false });
    expect(
      get(findObject(cluster, 'Service', 'otel-collector'), 'spec.internalTrafficPolicy'),
    ).toBeUndefined();
  });

  test('provider wires the platform tracing and metrics backends', () => {
    const objects = synthChart((chart) => {
      const plugin = OtelCollector.provider({ debugVerbosity: 'normal' }).provide(chart, 'telemetry', {
        platformName: 'acme',
        imageRegistry: 'mirror.example.com',
        imagePullSecrets: ['pull'],
        tracing,
        metrics,
      });
      expect(plugin.otlpGrpcEndpoint).toBe('http://otel-collector.floe-platform.svc.cluster.local:4317');
    });
    const cfg = config(objects);
    expect(pipeline(cfg, 'traces').exporters).toEqual(['otlp_grpc/tracing']);
    expect(pipeline(cfg, 'metrics').exporters).toEqual(['otlp_http/metrics']);
    expect(get(cfg, 'exporters.debug')).toEqual({ verbosity: 'normal' });
    const deploy = workload(objects);
    expect(get(deploy, 'metadata.labels') as Record<string, string>).toMatchObject({
      'app.kubernetes.io/part-of': 'acme',
    });
    expect(get(deploy, 'spec.template.spec.containers.0.image')).toBe(
      'mirror.example.com/otel/opentelemetry-collector-contrib:0.158.0',
    );
    expect(get(deploy, 'spec.template.spec.imagePullSecrets')).toEqual([{ name: 'pull' }]);
  });

  describe('validation', () => {
    test('replicas are refused in daemonset mode', () => {
      const e = thrownValidationError(() => synth({ mode: 'daemonset', replicas: 2 }));
      expect(e.message).toBe(
        "test/telemetry: invalid replicas: got 2, expected no value in 'daemonset' mode (Kubernetes runs one pod per node; use nodeSelector/tolerations to choose the nodes)",
      );
    });

    test('an autoscaler is refused in daemonset mode, which gets neither autoscaler nor budget', () => {
      const e = thrownValidationError(() => synth({ mode: 'daemonset', autoscaler: { maxReplicas: 3 } }));
      expect(e.message).toBe(
        'test/telemetry: invalid autoscaler: got {"maxReplicas":3}, expected no value in \'daemonset\' mode (Kubernetes runs one pod per node)',
      );
      const objects = synth({ mode: 'daemonset' });
      expect(
        objects.filter((o) => o.kind === 'HorizontalPodAutoscaler' || o.kind === 'PodDisruptionBudget'),
      ).toEqual([]);
    });

    test('replicas must be at least 1', () => {
      expect(thrownValidationError(() => synth({ replicas: 0 })).message).toBe(
        'test/telemetry: invalid replicas: got 0, expected an integer >= 1',
      );
    });

    test('a node-local Service is refused in deployment mode', () => {
      expect(thrownValidationError(() => synth({ nodeLocalService: true })).message).toMatch(
        /^test\/telemetry: invalid nodeLocalService: got true, expected false or unset in 'deployment' mode/,
      );
    });

    test('unknown mode and debug verbosity are refused', () => {
      const badMode = JSON.parse('{"mode":"statefulset"}') as OtelCollectorProps;
      expect(thrownValidationError(() => synth(badMode)).message).toBe(
        `test/telemetry: invalid mode: got "statefulset", expected 'deployment' or 'daemonset'`,
      );
      const badVerbosity = JSON.parse('{"debugVerbosity":"loud"}') as OtelCollectorProps;
      expect(thrownValidationError(() => synth(badVerbosity)).field).toBe('debugVerbosity');
    });

    test('a memory limit below 128Mi is refused', () => {
      const e = thrownValidationError(() =>
        synth({ resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '64Mi' } } }),
      );
      expect(e.message).toBe(
        'test/telemetry: invalid resources.limits.memory: got "64Mi", expected a memory limit of at least 128Mi',
      );
    });

    test('a name that is not a DNS label is refused', () => {
      expect(thrownValidationError(() => synth({ name: 'Otel_Collector' })).field).toBe('name');
    });

    test('backend endpoints of the wrong shape are refused', () => {
      expect(
        thrownValidationError(() => synth({ tracing: { ...tracing, otlpGrpcAddress: 'http://jaeger:4317' } }))
          .message,
      ).toBe(
        'test/telemetry: invalid tracing.otlpGrpcAddress: got "http://jaeger:4317", expected host:port, e.g. jaeger.floe-platform.svc.cluster.local:4317',
      );
      expect(
        thrownValidationError(() => synth({ metrics: { ...metrics, otlpMetricsUrl: 'prometheus:9090' } }))
          .field,
      ).toBe('metrics.otlpMetricsUrl');
    });
  });
});
