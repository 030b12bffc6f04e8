import { parse } from 'yaml';
import { MetricsBackendPlugin, PlatformDependencies } from '../src/plugins/interfaces';
import { Prometheus, PrometheusProps } from '../src/plugins/observability/prometheus';
import { validateObjects } from './support/k8s-schema';
import { checkPolicy } from './support/policy';
import { asJson, configMapFile, Json, workloadContainer, thrownValidationError } from './support/helpers';
import { findObject, get, K8sObject, synthChart } from './support/synth';

function synth(props: PrometheusProps = {}): K8sObject[] {
  return synthChart((chart) => new Prometheus(chart, 'metrics', props));
}

function container(objects: K8sObject[]): Json {
  return workloadContainer(objects, 'StatefulSet', 'prometheus');
}

function prometheusYml(objects: K8sObject[]): Json {
  return asJson(parse(configMapFile(objects, 'prometheus', 'prometheus.yml')));
}

function job(cfg: Json, name: string): Json {
  const jobs = cfg.scrape_configs as Json[];
  const found = jobs.find((j) => j.job_name === name);
  if (!found) {
    throw new Error(`no job ${name} in ${jobs.map((j) => String(j.job_name)).join(', ')}`);
  }
  return found;
}

/** Applies one Prometheus `replace` relabel rule the way Prometheus does (anchored regex, `;` separator). */
function relabel(rule: Json, values: string[]): string | undefined {
  const re = new RegExp(`^(?:${String(rule.regex)})$`);
  const m = re.exec(values.join(';'));
  if (!m) {
    return undefined;
  }
  return String(rule.replacement ?? '$1').replace(/\$(\d)/g, (_, i: string) => m[Number(i)] ?? '');
}

function keeps(rule: Json, values: string[]): boolean {
  return new RegExp(`^(?:${String(rule.regex)})$`).test(values.join(';'));
}

describe('Prometheus', () => {
  test('default instance matches snapshot', () => {
    expect(synth()).toMatchSnapshot();
  });

  test('runs the pinned image as nobody (65534) with a read-only root, writing only to /data', () => {
    const objs = synth();
    const c = container(objs);
    expect(c.image).toBe('quay.io/prometheus/prometheus:v3.14.0');
    expect(get(c, 'securityContext.runAsUser')).toBe(65534);
    expect(get(c, 'securityContext.runAsGroup')).toBe(65534);
    expect(get(c, 'securityContext.readOnlyRootFilesystem')).toBe(true);
    expect(
      get(findObject(objs, 'StatefulSet', 'prometheus'), 'spec.template.spec.securityContext.fsGroup'),
    ).toBe(65534);
    expect(c.volumeMounts).toEqual([
      { name: 'config', mountPath: '/etc/config', readOnly: true },
      { name: 'data', mountPath: '/data' },
    ]);
  });

  test('passes the config, TSDB path, OTLP receiver and lifecycle flags (retention lives in the config)', () => {
    expect(container(synth()).args).toEqual([
      '--config.file=/etc/config/prometheus.yml',
      '--storage.tsdb.path=/data',
      '--web.enable-otlp-receiver',
      '--web.enable-lifecycle',
    ]);
    expect(container(synth({ enableLifecycle: false })).args).not.toContain('--web.enable-lifecycle');
  });

  test('listens on http 9090 with /-/ready and /-/healthy probes, behind Service prometheus:9090', () => {
    const objs = synth();
    const c = container(objs);
    expect(c.ports).toEqual([{ name: 'http', containerPort: 9090, protocol: 'TCP' }]);
    expect(get(c, 'readinessProbe.httpGet')).toEqual({ path: '/-/ready', port: 'http' });
    expect(get(c, 'livenessProbe.httpGet')).toEqual({ path: '/-/healthy', port: 'http' });
    const svc = findObject(objs, 'Service', 'prometheus');
    expect(get(svc, 'spec.ports')).toEqual([
      { name: 'http', port: 9090, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' },
    ]);
    expect(get(svc, 'spec.selector')).toEqual(
      get(findObject(objs, 'StatefulSet', 'prometheus'), 'spec.selector.matchLabels'),
    );
  });

  test('keeps the TSDB on an 8Gi claim template named data, with an optional StorageClass', () => {
    const sts = findObject(synth(), 'StatefulSet', 'prometheus');
    expect(get(sts, 'spec.replicas')).toBe(1);
    expect(get(sts, 'spec.serviceName')).toBe('prometheus-headless');
    expect(get(sts, 'spec.volumeClaimTemplates.0.metadata.name')).toBe('data');
    expect(get(sts, 'spec.volumeClaimTemplates.0.spec.resources.requests.storage')).toBe('8Gi');
    expect(get(sts, 'spec.volumeClaimTemplates.0.spec.storageClassName')).toBeUndefined();
    const custom = findObject(
      synth({ storageSize: '50Gi', storageClassName: 'fast' }),
      'StatefulSet',
      'prometheus',
    );
    expect(get(custom, 'spec.volumeClaimTemplates.0.spec.resources.requests.storage')).toBe('50Gi');
    expect(get(custom, 'spec.volumeClaimTemplates.0.spec.storageClassName')).toBe('fast');
  });

  test('config: global interval, retention, out-of-order window and the self-scrape job', () => {
    const cfg = prometheusYml(synth());
    expect(cfg.global).toEqual({ scrape_interval: '30s' });
    expect(get(cfg, 'storage.tsdb')).toEqual({ out_of_order_time_window: '30m', retention: { time: '15d' } });
    expect(job(cfg, 'prometheus')).toEqual({
      job_name: 'prometheus',
      static_configs: [{ targets: ['localhost:9090'] }],
    });
    expect(cfg.otlp).toBeUndefined();
    const tuned = prometheusYml(
      synth({
        retentionTime: '30d',
        retentionSize: '6GB',
        scrapeInterval: '15s',
        outOfOrderTimeWindow: '0s',
        otlpPromoteResourceAttributes: ['k8s.namespace.name'],
      }),
    );
    expect(get(tuned, 'storage.tsdb')).toEqual({
      out_of_order_time_window: '0s',
      retention: { time: '30d', size: '6GB' },
    });
    expect(tuned.global).toEqual({ scrape_interval: '15s' });
    expect(tuned.otlp).toEqual({ promote_resource_attributes: ['k8s.namespace.name'] });
  });

  test('config: discovers EndpointSlices of annotated Services in the chart namespace only', () => {
    const sd = job(prometheusYml(synth()), 'kubernetes-service-endpoints');
    expect(sd.kubernetes_sd_configs).toEqual([
      { role: 'endpointslice', namespaces: { names: ['floe-platform'] } },
    ]);
    const rules = sd.relabel_configs as Json[];
    const [optIn, realPorts, path, address] = rules;
    expect(optIn).toEqual({
      source_labels: ['__meta_kubernetes_service_annotation_prometheus_io_scrape'],
      action: 'keep',
      regex: 'true',
    });
    expect(keeps(optIn, ['true'])).toBe(true);
    expect(keeps(optIn, ['false'])).toBe(false);
    expect(keeps(optIn, [''])).toBe(false);

    // Targets inferred from unrelated container ports (no endpointslice port) only survive when
    // the port annotation rewrites every target to one port.
    expect(realPorts.source_labels).toEqual([
      '__meta_kubernetes_service_annotation_prometheus_io_port',
      '__meta_kubernetes_endpointslice_port',
    ]);
    expect(realPorts.action).toBe('keep');
    expect(keeps(realPorts, ['', '8080'])).toBe(true);
    expect(keeps(realPorts, ['9100', ''])).toBe(true);
    expect(keeps(realPorts, ['9100', '8080'])).toBe(true);
    expect(keeps(realPorts, ['', ''])).toBe(false);

    expect(path.source_labels).toEqual(['__meta_kubernetes_service_annotation_prometheus_io_path']);
    expect(path.target_label).toBe('__metrics_path__');
    expect(relabel(path, ['/custom/metrics'])).toBe('/custom/metrics');
    expect(relabel(path, [''])).toBeUndefined();

    expect(address.source_labels).toEqual([
      '__address__',
      '__meta_kubernetes_service_annotation_prometheus_io_port',
    ]);
    expect(address.target_label).toBe('__address__');
    expect(relabel(address, ['10.1.2.3:8080', '9100'])).toBe('10.1.2.3:9100');
    expect(relabel(address, ['[fd00::1]:8080', '9100'])).toBe('[fd00::1]:9100');
    expect(relabel(address, ['10.1.2.3:8080', ''])).toBeUndefined();

    const targets = rules.slice(4).map((r) => [r.source_labels, r.target_label]);
    expect(targets).toEqual([
      [['__meta_kubernetes_namespace'], 'namespace'],
      [['__meta_kubernetes_service_name'], 'service'],
      [['__meta_kubernetes_pod_name'], 'pod'],
    ]);
  });

  test('static jobs are rendered after the built-in ones', () => {
    const cfg = prometheusYml(
      synth({
        staticJobs: [
          { jobName: 'node', targets: ['node-exporter.monitoring.svc.cluster.local:9100'] },
          {
            jobName: 'app',
            targets: ['app:8080', '[fd00::1]:8080'],
            metricsPath: '/q/metrics',
            scrapeInterval: '5s',
            scheme: 'https',
          },
        ],
      }),
    );
    expect((cfg.scrape_configs as Json[]).map((j) => j.job_name)).toEqual([
      'prometheus',
      'kubernetes-service-endpoints',
      'node',
      'app',
    ]);
    expect(job(cfg, 'node')).toEqual({
      job_name: 'node',
      metrics_path: '/metrics',
      scheme: 'http',
      static_configs: [{ targets: ['node-exporter.monitoring.svc.cluster.local:9100'] }],
    });
    expect(job(cfg, 'app')).toEqual({
      job_name: 'app',
      metrics_path: '/q/metrics',
      scheme: 'https',
      scrape_interval: '5s',
      static_configs: [{ targets: ['app:8080', '[fd00::1]:8080'] }],
    });
  });

  test('RBAC: a token-bearing ServiceAccount with namespace-scoped read access, no ClusterRole', () => {
    const objs = synth();
    const podSpec = get(findObject(objs, 'StatefulSet', 'prometheus'), 'spec.template.spec') as Json;
    expect(podSpec.serviceAccountName).toBe('prometheus');
    expect(podSpec.automountServiceAccountToken).toBe(true);
    expect(get(findObject(objs, 'ServiceAccount', 'prometheus'), 'automountServiceAccountToken')).toBe(false);
    const role = findObject(objs, 'Role', 'prometheus');
    expect(role.metadata.namespace).toBe('floe-platform');
    expect(get(role, 'rules')).toEqual([
      { apiGroups: [''], resources: ['services', 'pods'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
    ]);
    const binding = findObject(objs, 'RoleBinding', 'prometheus');
    expect(get(binding, 'roleRef')).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'prometheus',
    });
    expect(get(binding, 'subjects')).toEqual([
      { kind: 'ServiceAccount', name: 'prometheus', namespace: 'floe-platform' },
    ]);
    expect(objs.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toEqual([]);
  });

  test('each extra namespace gets its own Role and RoleBinding for the one ServiceAccount', () => {
    const objs = synth({ namespaces: ['floe-platform', 'floe-jobs'] });
    const roles = objs.filter((o) => o.kind === 'Role').map((o) => o.metadata.namespace);
    expect(roles).toEqual(['floe-platform', 'floe-jobs']);
    const jobsBinding = objs.find((o) => o.kind === 'RoleBinding' && o.metadata.namespace === 'floe-jobs');
    expect(get(jobsBinding, 'subjects.0')).toEqual({
      kind: 'ServiceAccount',
      name: 'prometheus',
      namespace: 'floe-platform',
    });
    expect(
      get(job(prometheusYml(objs), 'kubernetes-service-endpoints'), 'kubernetes_sd_configs.0.namespaces'),
    ).toEqual({ names: ['floe-platform', 'floe-jobs'] });
  });

  test('without service discovery there is no API access at all', () => {
    const objs = synth({ serviceDiscovery: false });
    // Its own ServiceAccount, but no token, no Role and no binding.
    expect(objs.map((o) => o.kind).sort()).toEqual([
      'ConfigMap',
      'Service',
      'Service',
      'ServiceAccount',
      'StatefulSet',
    ]);
    const podSpec = get(findObject(objs, 'StatefulSet', 'prometheus'), 'spec.template.spec') as Json;
    expect(podSpec.automountServiceAccountToken).toBe(false);
    expect(podSpec.serviceAccountName).toBe('prometheus');
    expect(findObject(objs, 'ServiceAccount', 'prometheus').automountServiceAccountToken).toBe(false);
    const neither = synth({ serviceDiscovery: false, serviceAccounts: false });
    expect(neither.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Service', 'Service', 'StatefulSet']);
    expect(
      get(findObject(neither, 'StatefulSet', 'prometheus'), 'spec.template.spec.serviceAccountName'),
    ).toBe(undefined);
    expect((prometheusYml(objs).scrape_configs as Json[]).map((j) => j.job_name)).toEqual(['prometheus']);
  });

  test('exposes the query and OTLP URLs the collector and Grafana use', () => {
    let prom: Prometheus | undefined;
    synthChart((chart) => {
      prom = new Prometheus(chart, 'metrics');
    });
    expect(prom?.queryUrl).toBe('http://prometheus.floe-platform.svc.cluster.local:9090');
    expect(prom?.otlpMetricsUrl).toBe(
      'http://prometheus.floe-platform.svc.cluster.local:9090/api/v1/otlp/v1/metrics',
    );
    expect(prom?.otlpEndpoint).toBe('http://prometheus.floe-platform.svc.cluster.local:9090/api/v1/otlp');
    expect(prom?.requiredSecrets).toEqual([]);
    expect(prom?.serviceEndpoint.address).toBe('prometheus.floe-platform.svc.cluster.local:9090');
    expect(prom?.apiObjects.map((o) => `${o.kind}/${o.name}`)).toEqual([
      'ConfigMap/prometheus',
      'ServiceAccount/prometheus',
      'Role/prometheus',
      'RoleBinding/prometheus',
      'Service/prometheus-headless',
      'Service/prometheus',
      'StatefulSet/prometheus',
    ]);
  });

  test('scrapeAnnotations returns the opt-in annotations', () => {
    expect(Prometheus.scrapeAnnotations(8080)).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/path': '/metrics',
      'prometheus.io/port': '8080',
    });
    expect(Prometheus.scrapeAnnotations(3000, '/api/metrics')['prometheus.io/path']).toBe('/api/metrics');
    expect(() => Prometheus.scrapeAnnotations(0)).toThrow(
      'Prometheus.scrapeAnnotations: invalid port: got 0, expected an integer from 1 to 65535',
    );
    expect(() => Prometheus.scrapeAnnotations(80, 'metrics')).toThrow(/invalid path: got "metrics"/);
  });

  test('a config change changes the pod checksum, so the pod is replaced', () => {
    const checksum = (objs: K8sObject[]): unknown =>
      get(
        findObject(objs, 'StatefulSet', 'prometheus'),
        'spec.template.metadata.annotations.checksum/config',
      );
    expect(checksum(synth())).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(synth())).toBe(checksum(synth()));
    expect(checksum(synth({ retentionTime: '7d' }))).not.toBe(checksum(synth()));
  });

  test('provider builds it from the platform dependencies', () => {
    const deps: PlatformDependencies = {
      platformName: 'acme',
      imageRegistry: 'mirror.example.com',
      imagePullSecrets: ['pull'],
    };
    let plugin: MetricsBackendPlugin | undefined;
    const objs = synthChart((chart) => {
      plugin = Prometheus.provider({ retentionTime: '7d' }).provide(chart, 'metrics', deps);
    });
    expect(plugin).toBeInstanceOf(Prometheus);
    expect(plugin?.queryUrl).toBe('http://prometheus.floe-platform.svc.cluster.local:9090');
    const sts = findObject(objs, 'StatefulSet', 'prometheus');
    expect(sts.metadata.labels?.['app.kubernetes.io/part-of']).toBe('acme');
    expect(get(sts, 'spec.template.spec.containers.0.image')).toBe(
      'mirror.example.com/prometheus/prometheus:v3.14.0',
    );
    expect(get(sts, 'spec.template.spec.imagePullSecrets')).toEqual([{ name: 'pull' }]);
    expect(get(prometheusYml(objs), 'storage.tsdb.retention.time')).toBe('7d');
  });

  test('every object passes strict Kubernetes 1.28 schema validation', () => {
    expect(validateObjects(synth())).toEqual([]);
    expect(
      validateObjects(synth({ namespaces: ['floe-platform', 'floe-jobs'], serviceDiscovery: true })),
    ).toEqual([]);
  });

  test('meets the restricted policy and every reference resolves', () => {
    expect(checkPolicy(synth(), {})).toEqual([]);
    expect(checkPolicy(synth({ serviceDiscovery: false }), {})).toEqual([]);
  });

  test.each<[PrometheusProps, RegExp]>([
    [
      { replicas: 2 },
      /metrics: invalid replicas: got 2, expected 1 \(replicated Prometheus servers need deduplication/,
    ],
    [{ replicas: 0 }, /invalid replicas: got 0, expected an integer >= 1/],
    [{ name: 'Prom' }, /invalid name: got "Prom", expected a DNS-1123 label/],
    [{ storageSize: 'lots' }, /invalid storageSize: got "lots", expected a Kubernetes quantity/],
    [{ retentionTime: 'forever' }, /invalid retentionTime: got "forever", expected a Prometheus duration/],
    [{ retentionTime: '' }, /invalid retentionTime: got "", expected a Prometheus duration/],
    [{ retentionSize: '6G' }, /invalid retentionSize: got "6G", expected a size with unit B, KB, MB/],
    [{ scrapeInterval: '0s' }, /invalid scrapeInterval: got "0s", expected a Prometheus duration.*not zero/],
    [{ scrapeInterval: '30 seconds' }, /invalid scrapeInterval: got "30 seconds"/],
    [{ outOfOrderTimeWindow: '1h30' }, /invalid outOfOrderTimeWindow: got "1h30"/],
    [{ namespaces: [] }, /invalid namespaces: got \[\], expected at least one namespace/],
    [{ namespaces: ['Floe'] }, /invalid namespaces\[0\]: got "Floe", expected a DNS-1123 label/],
    [
      { namespaces: ['a', 'a'] },
      /invalid namespaces: got \["a","a"\], expected namespaces without duplicates/,
    ],
    [
      { otlpPromoteResourceAttributes: ['bad name'] },
      /invalid otlpPromoteResourceAttributes\[0\]: got "bad name"/,
    ],
    [
      { staticJobs: [{ jobName: 'prometheus', targets: ['a:1'] }] },
      /invalid staticJobs\[0\].jobName: got "prometheus", expected a job name not used already/,
    ],
    [
      {
        staticJobs: [
          { jobName: 'a', targets: ['a:1'] },
          { jobName: 'a', targets: ['b:1'] },
        ],
      },
      /invalid staticJobs\[1\].jobName: got "a"/,
    ],
    [
      { staticJobs: [{ jobName: 'a', targets: [] }] },
      /invalid staticJobs\[0\].targets: got \[\], expected at least one/,
    ],
    [
      { staticJobs: [{ jobName: 'a', targets: ['http://a:1'] }] },
      /invalid staticJobs\[0\].targets\[0\]: got "http:\/\/a:1"/,
    ],
    [
      { staticJobs: [{ jobName: 'a', targets: ['a:70000'] }] },
      /invalid staticJobs\[0\].targets\[0\] port: got 70000/,
    ],
    [
      { staticJobs: [{ jobName: 'a', targets: ['a:1'], metricsPath: 'metrics' }] },
      /staticJobs\[0\].metricsPath/,
    ],
    [{ image: { tag: 'latest' } }, /invalid image.tag: got "latest", expected a pinned tag/],
  ])('rejects %j', (props, message) => {
    expect(() => synth(props)).toThrow(message);
  });

  test('validation errors name the construct path and field', () => {
    const e = thrownValidationError(() => synth({ retentionTime: '2 weeks' }));
    expect(e.constructPath).toBe('test/metrics');
    expect(e.field).toBe('retentionTime');
    expect(e.value).toBe('2 weeks');
  });
});
