import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { parser } from '@prometheus-io/lezer-promql';
import { FloePlatform, FloePlatformProps } from '../src/platform/floe-platform';
import { Jaeger } from '../src/plugins/observability/jaeger';
import { Marquez } from '../src/plugins/observability/marquez';
import { PlatformAlertRules } from '../src/plugins/observability/platform-alert-rules';
import { ServiceMonitors } from '../src/plugins/observability/service-monitors';
import { Dagster } from '../src/plugins/orchestrator/dagster';
import { asArray, asJson, Json, thrownMessage } from './support/helpers';
import { validateObject, validateObjects } from './support/k8s-schema';
import { checkPolicy } from './support/policy';
import { findObject, get, K8sObject, synthBuilt } from './support/synth';

const NS = 'floe-platform';

function platform(props: FloePlatformProps = {}): { objects: K8sObject[]; platform: FloePlatform } {
  const app = Testing.app();
  const p = new FloePlatform(app, 'platform', props);
  return { objects: Testing.synth(p) as K8sObject[], platform: p };
}

const full = platform({ lineage: Marquez.provider(), tracing: Jaeger.provider() });
const ofKind = (objects: K8sObject[], kind: string): K8sObject[] => objects.filter((o) => o.kind === kind);

/** Every Service carrying the prometheus.io/scrape annotation, as `name port path`. */
function annotatedServices(objects: K8sObject[]): string[] {
  return ofKind(objects, 'Service')
    .filter((s) => s.metadata.annotations?.['prometheus.io/scrape'] === 'true')
    .map(
      (s) =>
        `${s.metadata.name} ${s.metadata.annotations?.['prometheus.io/port']} ${s.metadata.annotations?.['prometheus.io/path']}`,
    )
    .sort();
}

/** The Services a ServiceMonitor selects in its namespaces. */
function selectedServices(objects: K8sObject[], monitor: K8sObject): K8sObject[] {
  const matchLabels = get(monitor, 'spec.selector.matchLabels') as Record<string, string>;
  const namespaces = get(monitor, 'spec.namespaceSelector.matchNames') as string[];
  return ofKind(objects, 'Service').filter(
    (s) =>
      namespaces.includes(s.metadata.namespace ?? '') &&
      Object.entries(matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v),
  );
}

function endpointOf(monitor: K8sObject): Json {
  const endpoints = asArray(get(monitor, 'spec.endpoints')).map(asJson);
  expect(endpoints).toHaveLength(1);
  return endpoints[0];
}

describe('FloePlatform monitoring (default on)', () => {
  test('one ServiceMonitor per metrics endpoint, and only those', () => {
    const monitors = ofKind(full.objects, 'ServiceMonitor');
    expect(monitors.map((m) => m.metadata.name).sort()).toEqual([
      'cubestore-router',
      'cubestore-workers',
      'dagster-metrics',
      'grafana',
      'jaeger',
      'marquez',
      'minio',
      'otel-collector',
      'polaris',
      'prometheus',
    ]);
    // The same endpoints the scrape annotations describe (Prometheus scrapes itself in its own job).
    const fromMonitors = monitors
      .filter((m) => m.metadata.name !== 'prometheus')
      .map((m) => {
        const [svc] = selectedServices(full.objects, m);
        const e = endpointOf(m);
        const port = asArray(get(svc, 'spec.ports'))
          .map(asJson)
          .find((p) => p.name === e.port);
        return `${svc.metadata.name} ${String(port?.port)} ${String(e.path)}`;
      })
      .sort();
    expect(fromMonitors).toEqual(annotatedServices(full.objects));
  });

  test('each selects exactly its Service (not the headless one beside it), and the port exists there', () => {
    for (const monitor of ofKind(full.objects, 'ServiceMonitor')) {
      const selected = selectedServices(full.objects, monitor);
      expect(selected.map((s) => s.metadata.name)).toEqual([monitor.metadata.name]);
      const e = endpointOf(monitor);
      const ports = asArray(get(selected[0], 'spec.ports')).map((p) => asJson(p).name);
      expect(ports).toContain(e.port);
      expect(e).toEqual({ port: e.port, path: e.path, interval: '30s', scheme: 'http' });
      expect(get(monitor, 'spec.namespaceSelector.matchNames')).toEqual([NS]);
    }
    const polaris = findObject(full.objects, 'ServiceMonitor', 'polaris');
    expect(endpointOf(polaris)).toMatchObject({ port: 'polaris-mgmt', path: '/q/metrics' });
    expect(endpointOf(findObject(full.objects, 'ServiceMonitor', 'minio'))).toMatchObject({
      port: 'http',
      path: '/minio/v2/metrics/cluster',
    });
    expect(endpointOf(findObject(full.objects, 'ServiceMonitor', 'otel-collector'))).toMatchObject({
      port: 'metrics',
      path: '/metrics',
    });
    // MinIO and Prometheus have a headless Service with the same labels and port name.
    expect(
      findObject(full.objects, 'Service', 'minio-headless').metadata.labels?.['floe.dev/metrics'],
    ).toBeUndefined();
  });

  test('the exposed construct and the CRDs it needs', () => {
    expect(full.platform.monitoring?.serviceMonitors.serviceMonitors).toHaveLength(10);
    expect(full.platform.monitoring?.alertRules?.prometheusRule.name).toBe('floe-platform-alerts');
    expect(full.platform.requiredCustomResourceDefinitions).toEqual([
      'prometheusrules.monitoring.coreos.com',
      'servicemonitors.monitoring.coreos.com',
    ]);
  });

  test('passes the strict schema (ServiceMonitor and PrometheusRule against their CRDs) and the policy check', () => {
    expect(validateObjects(full.objects)).toEqual([]);
    expect(
      checkPolicy(full.objects, {
        prerequisiteSecrets: full.platform.requiredSecrets.map((s) => s.name),
        prerequisiteConfigMaps: full.platform.requiredConfigMaps,
      }),
    ).toEqual([]);
  });

  test('the policy check reports a ServiceMonitor that selects no Service or names a missing port', () => {
    const monitor = JSON.parse(
      JSON.stringify(findObject(full.objects, 'ServiceMonitor', 'polaris')),
    ) as K8sObject;
    const others = full.objects.filter((o) => o !== findObject(full.objects, 'ServiceMonitor', 'polaris'));
    asJson(asArray(get(monitor, 'spec.endpoints'))[0]).port = 'polaris-metrics';
    expect(
      checkPolicy([...others, monitor], {
        prerequisiteSecrets: full.platform.requiredSecrets.map((s) => s.name),
        prerequisiteConfigMaps: full.platform.requiredConfigMaps,
      }),
    ).toEqual(['ServiceMonitor/polaris: Service polaris has no port named polaris-metrics']);
    asJson(get(monitor, 'spec.selector.matchLabels'))['app.kubernetes.io/instance'] = 'catalog';
    expect(
      checkPolicy([...others, monitor], {
        prerequisiteSecrets: full.platform.requiredSecrets.map((s) => s.name),
        prerequisiteConfigMaps: full.platform.requiredConfigMaps,
      }),
    ).toEqual(['ServiceMonitor/polaris: selects no Service']);
  });

  test('the alerts of the production guide, in this namespace', () => {
    const rule = findObject(full.objects, 'PrometheusRule', 'floe-platform-alerts');
    const groups = asArray(get(rule, 'spec.groups')).map(asJson);
    expect(groups.map((g) => g.name)).toEqual(['floe.dagster', 'floe.resources']);
    const rules = Object.fromEntries(
      groups.flatMap((g) => asArray(g.rules).map(asJson)).map((r) => [String(r.alert), r]),
    );
    expect(Object.keys(rules)).toEqual([
      'DagsterRunFailures',
      'DagsterRunDurationHigh',
      'DagsterDaemonHeartbeatStale',
      'DagsterDaemonUnavailable',
      'ContainerMemoryNearLimit',
    ]);
    expect(rules.DagsterRunFailures).toMatchObject({
      expr: 'sum(increase(dagster_runs_failed_total{namespace="floe-platform"}[1h])) > 5',
      labels: { severity: 'warning' },
    });
    expect(rules.DagsterRunDurationHigh.expr).toBe(
      'histogram_quantile(0.99, sum by (le) (increase(dagster_runs_duration_seconds_bucket{namespace="floe-platform"}[1h]))) > 3600',
    );
    expect(rules.DagsterDaemonHeartbeatStale).toMatchObject({
      expr: 'dagster_daemon_heartbeat_age_seconds{namespace="floe-platform"} > 60',
    });
    expect(rules.DagsterDaemonHeartbeatStale.for).toBeUndefined();
    expect(rules.DagsterDaemonUnavailable).toMatchObject({
      expr: 'dagster_daemon_heartbeat_age_seconds{namespace="floe-platform"} > 120',
      for: '2m',
      labels: { severity: 'critical' },
      annotations: { summary: 'Dagster daemon heartbeat stale' },
    });
    expect(rules.ContainerMemoryNearLimit).toMatchObject({ for: '5m', labels: { severity: 'warning' } });
    expect(rules.ContainerMemoryNearLimit.expr).toContain(
      'container_memory_working_set_bytes{namespace="floe-platform", container!=""}',
    );
    expect(rules.ContainerMemoryNearLimit.expr).toContain(
      'kube_pod_container_resource_limits{namespace="floe-platform", resource="memory"}) > 0.9',
    );
  });

  test('every expression parses as PromQL and names only the metrics it is meant to', () => {
    const rule = findObject(full.objects, 'PrometheusRule', 'floe-platform-alerts');
    const exprs = asArray(get(rule, 'spec.groups'))
      .map(asJson)
      .flatMap((g) => asArray(g.rules).map((r) => String(asJson(r).expr)));
    const names = new Set<string>();
    for (const expr of exprs) {
      const tree = parser.parse(expr);
      const errors: string[] = [];
      tree.iterate({
        enter: (node) => {
          if (node.type.isError) errors.push(`${expr}: syntax error at ${node.from}`);
          if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {
            names.add(expr.slice(node.from, node.to));
          }
        },
      });
      expect(errors).toEqual([]);
    }
    expect([...names].sort()).toEqual([
      'container_memory_working_set_bytes',
      'dagster_daemon_heartbeat_age_seconds',
      'dagster_runs_duration_seconds_bucket',
      'dagster_runs_failed_total',
      'kube_pod_container_resource_limits',
    ]);
    // The parser does report broken expressions.
    let broken = false;
    parser.parse('sum(rate(x[5m]) >').iterate({ enter: (n) => void (n.type.isError && (broken = true)) });
    expect(broken).toBe(true);
  });

  test('options: extra labels for the operator selectors, scrape interval, thresholds', () => {
    const { objects } = platform({
      monitoring: {
        labels: { release: 'kube-prometheus-stack' },
        scrapeInterval: '1m',
        alerts: { failedRunsPerHour: 10, daemonHeartbeatCriticalSeconds: 300, memoryLimitRatio: 0.8 },
      },
    });
    for (const o of [...ofKind(objects, 'ServiceMonitor'), ...ofKind(objects, 'PrometheusRule')]) {
      expect(o.metadata.labels?.release).toBe('kube-prometheus-stack');
    }
    for (const m of ofKind(objects, 'ServiceMonitor')) expect(endpointOf(m).interval).toBe('1m');
    const text = JSON.stringify(findObject(objects, 'PrometheusRule', 'floe-platform-alerts'));
    expect(text).toContain('[1h])) > 10');
    expect(text).toContain('dagster_daemon_heartbeat_age_seconds{namespace=\\"floe-platform\\"} > 300');
    expect(text).toContain('> 0.8');
    expect(validateObjects(objects)).toEqual([]);
  });

  test('invalid options are refused naming the field', () => {
    expect(thrownMessage(() => platform({ monitoring: { scrapeInterval: '30 seconds' } }))).toContain(
      'invalid scrapeInterval: got "30 seconds"',
    );
    expect(
      thrownMessage(() => platform({ monitoring: { labels: { 'app.kubernetes.io/name': 'x' } } })),
    ).toContain('invalid labels.app.kubernetes.io/name');
    expect(thrownMessage(() => platform({ monitoring: { labels: { release: 'not valid!' } } }))).toContain(
      'invalid labels.release: got "not valid!"',
    );
    expect(thrownMessage(() => platform({ monitoring: { alerts: { memoryLimitRatio: 1.5 } } }))).toContain(
      'invalid memoryLimitRatio: got 1.5',
    );
    expect(thrownMessage(() => platform({ monitoring: { alerts: { failedRunsPerHour: 2.5 } } }))).toContain(
      'invalid failedRunsPerHour: got 2.5, expected a positive integer',
    );
  });

  test('alerts: false keeps the ServiceMonitors and drops the PrometheusRule', () => {
    const { objects, platform: p } = platform({ monitoring: { alerts: false } });
    expect(ofKind(objects, 'PrometheusRule')).toEqual([]);
    expect(ofKind(objects, 'ServiceMonitor').length).toBeGreaterThan(0);
    expect(p.monitoring?.alertRules).toBeUndefined();
  });

  test('without a Dagster metrics exporter there are no Dagster alerts', () => {
    for (const props of [
      { orchestrator: 'none' as const },
      { orchestrator: Dagster.provider({ metricsExporter: false }) },
    ]) {
      const { objects } = platform(props);
      const rule = findObject(objects, 'PrometheusRule', 'floe-platform-alerts');
      expect(asArray(get(rule, 'spec.groups')).map((g) => asJson(g).name)).toEqual(['floe.resources']);
      expect(ofKind(objects, 'ServiceMonitor').map((m) => m.metadata.name)).not.toContain('dagster-metrics');
    }
  });

  test('monitoring: false writes no monitoring objects and needs no CRDs', () => {
    const { objects, platform: p } = platform({ monitoring: false });
    expect(objects.filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/'))).toEqual([]);
    expect(p.monitoring).toBeUndefined();
    expect(p.requiredCustomResourceDefinitions).toEqual([]);
    // The metrics sources themselves stay: the bundled Prometheus still scrapes them.
    expect(annotatedServices(objects)).toEqual(annotatedServices(platform().objects));
  });

  test('a platform on shared services monitors only what it deploys', () => {
    const app = Testing.app();
    const enterprise = new FloePlatform(app, 'enterprise', { orchestrator: 'none', semantic: 'none' });
    const domain = new FloePlatform(app, 'domain', {
      namespace: 'floe-sales-domain',
      sharedServices: enterprise,
    });
    const objects = Testing.synth(domain) as K8sObject[];
    expect(
      ofKind(objects, 'ServiceMonitor')
        .map((m) => m.metadata.name)
        .sort(),
    ).toEqual(['cubestore-router', 'cubestore-workers', 'dagster-metrics']);
    const rule = findObject(objects, 'PrometheusRule', 'floe-platform-alerts');
    expect(JSON.stringify(rule)).toContain('namespace=\\"floe-sales-domain\\"');
    expect(JSON.stringify(rule)).not.toContain('namespace=\\"floe-platform\\"');
  });
});

describe('ServiceMonitors and PlatformAlertRules on their own', () => {
  test('two endpoints on one Service are refused', () => {
    const identity = { name: 'x', instance: 'x', component: 'x', partOf: 'floe', version: '1' };
    const e = { serviceName: 'x', identity, portName: 'metrics', port: 9000, path: '/metrics' };
    expect(
      thrownMessage(() =>
        synthBuilt((chart: Chart) => new ServiceMonitors(chart, 'sm', { endpoints: [e, e] })),
      ),
    ).toContain('invalid endpoints: got "x", expected metrics endpoints on different Services');
  });

  test('the rule name is a DNS label', () => {
    expect(
      thrownMessage(() =>
        synthBuilt((chart: Chart) => new PlatformAlertRules(chart, 'r', { name: 'Alerts!' })),
      ),
    ).toContain('invalid name: got "Alerts!"');
  });
});

describe('strict custom resource validation', () => {
  const monitor = findObject(full.objects, 'ServiceMonitor', 'polaris');
  const rule = findObject(full.objects, 'PrometheusRule', 'floe-platform-alerts');

  test('accepts what the library writes', () => {
    expect(validateObject(monitor)).toEqual([]);
    expect(validateObject(rule)).toEqual([]);
  });

  test('rejects an unknown field, at any depth, naming the path', () => {
    const bad = JSON.parse(JSON.stringify(monitor)) as Json;
    asJson(asArray(asJson(bad.spec).endpoints)[0]).honourLabels = true;
    asJson(bad.spec).sampleLimit = 100; // upstream has it, the CRD subset the library writes does not
    expect(validateObject(bad)).toEqual([
      {
        path: 'spec.endpoints[0].honourLabels',
        message: 'unknown field "honourLabels" (did you mean "honorLabels"?)',
      },
      { path: 'spec.sampleLimit', message: 'unknown field "sampleLimit"' },
    ]);
  });

  test('rejects missing required fields, wrong types, enums, patterns and bad metadata', () => {
    const bad = JSON.parse(JSON.stringify(rule)) as Json;
    const group = asJson(asArray(asJson(bad.spec).groups)[0]);
    const first = asJson(asArray(group.rules)[0]);
    delete first.expr;
    asJson(asArray(group.rules)[1]).for = '2 minutes';
    group.name = '';
    asJson(bad.metadata).labels = { ok: 1 };
    expect(validateObject(bad).map((e) => `${e.path}: ${e.message}`)).toEqual([
      'metadata.labels.ok: expected string, got integer',
      'spec.groups[0].name: shorter than minLength 1',
      'spec.groups[0].rules[0].expr: missing required field "expr"',
      expect.stringMatching(/^spec\.groups\[0\]\.rules\[1\]\.for: "2 minutes" does not match pattern/),
    ]);
    const badMonitor = JSON.parse(JSON.stringify(monitor)) as Json;
    asJson(asArray(asJson(badMonitor.spec).endpoints)[0]).scheme = 'ftp';
    delete asJson(badMonitor.spec).selector;
    expect(validateObject(badMonitor).map((e) => `${e.path}: ${e.message}`)).toEqual([
      'spec.endpoints[0].scheme: expected one of "http", "https", "HTTP", "HTTPS"',
      'spec.selector: missing required field "selector"',
    ]);
  });

  test('an unknown version of a custom resource is an unknown kind', () => {
    expect(validateObject({ ...monitor, apiVersion: 'monitoring.coreos.com/v1beta1' })).toEqual([
      {
        path: 'kind',
        message:
          'unknown kind "monitoring.coreos.com/v1beta1/ServiceMonitor" (not a Kubernetes 1.28 built-in kind)',
      },
    ]);
  });
});

describe('the bundled Prometheus evaluates the same alerts itself (no operator needed)', () => {
  /** The bundled Prometheus' rule file and prometheus.yml, parsed. */
  function bundled(objects: K8sObject[]): { rules: Json; config: Json; text: string } {
    const cm = findObject(objects, 'ConfigMap', 'prometheus');
    const data = cm.data as Record<string, string>;
    return {
      rules: asJson(parse(data['floe-alerts.yml'])),
      config: asJson(parse(data['prometheus.yml'])),
      text: data['floe-alerts.yml'],
    };
  }

  test('prometheus.yml loads floe-alerts.yml, which holds exactly the PrometheusRule groups', () => {
    const { rules, config } = bundled(full.objects);
    expect(config.rule_files).toEqual(['floe-alerts.yml']);
    const rule = findObject(full.objects, 'PrometheusRule', 'floe-platform-alerts');
    expect(rules).toEqual(get(rule, 'spec'));
    expect(asArray(rules.groups).map((g) => asJson(g).name)).toEqual(['floe.dagster', 'floe.resources']);
  });

  test('without the operator objects (monitoring: false) the same rules, with the same thresholds', () => {
    const off = platform({ lineage: Marquez.provider(), tracing: Jaeger.provider(), monitoring: false });
    expect(ofKind(off.objects, 'PrometheusRule')).toEqual([]);
    expect(bundled(off.objects).rules).toEqual(bundled(full.objects).rules);
    const tuned = platform({ monitoring: { alerts: { failedRunsPerHour: 9 } } });
    expect(bundled(tuned.objects).text).toContain(
      'dagster_runs_failed_total{namespace="floe-platform"}[1h])) > 9',
    );
  });

  test('alerts: false leaves the rule file empty; the pod rolls when the rules change', () => {
    const none = platform({ monitoring: { alerts: false } });
    expect(bundled(none.objects).rules).toEqual({ groups: [] });
    const checksum = (objects: K8sObject[]): unknown =>
      get(
        findObject(objects, 'StatefulSet', 'prometheus'),
        'spec.template.metadata.annotations.checksum/config',
      );
    expect(checksum(none.objects)).not.toEqual(checksum(full.objects));
    // The policy check recomputes the checksum from the ConfigMap data: it matches in both.
    for (const objects of [none.objects, full.objects]) {
      expect(
        checkPolicy(objects, {
          prerequisiteSecrets: ['grafana-admin', 'minio-root', 'polaris-root', 'cube-api'],
        }).filter((v) => v.includes('checksum')),
      ).toEqual([]);
    }
  });

  test('promtool check rules accepts the rule file (when promtool is installed)', () => {
    const { text } = bundled(full.objects);
    const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
    if (promtool.status !== 0) {
      // No promtool here (apt-get install prometheus brings it): the PromQL parse test above covers the expressions.
      return;
    }
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'floe-rules-')), 'floe-alerts.yml');
    fs.writeFileSync(file, text);
    const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect([r.status, r.stdout.trim().split('\n').pop()?.trim()]).toEqual([0, 'SUCCESS: 5 rules found']);
  });
});
