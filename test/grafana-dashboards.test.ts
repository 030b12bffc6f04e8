import * as fs from 'fs';
import * as path from 'path';
import { parser } from '@prometheus-io/lezer-promql';
import { parse } from 'yaml';
import { configChecksum, CONFIG_CHECKSUM_ANNOTATION } from '../src/core/checksum';
import { PostgreSQL } from '../src/plugins/database/postgres';
import { MetricsBackendPlugin } from '../src/plugins/interfaces';
import { Grafana, GrafanaProps } from '../src/plugins/observability/grafana';
import * as dashboardsModule from '../src/plugins/observability/grafana-dashboards';
import {
  DASHBOARD_GRID_COLUMNS,
  dashboardJson,
  DashboardPanelSpec,
  floeDashboards,
  layoutPanels,
  stableJson,
} from '../src/plugins/observability/grafana-dashboards';
import { DagsterMetricsExporter } from '../src/plugins/orchestrator/dagster-metrics-exporter';
import { EXPORTER_METRICS, knownMetrics } from './support/exporter-metrics';
import { asArray, asJson, configMapFile, Json, workloadPodSpec } from './support/helpers';
import { findObject, get, K8sObject, synthBuilt, synthChart } from './support/synth';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { renderDashboardSvg } = require('../scripts/dashboard-svg.js') as {
  renderDashboardSvg: (dashboard: unknown) => string;
};

const metrics: MetricsBackendPlugin = {
  queryUrl: 'http://prometheus.floe-platform.svc.cluster.local:9090',
  otlpMetricsUrl: 'http://prometheus.floe-platform.svc.cluster.local:9090/api/v1/otlp/v1/metrics',
  requiredSecrets: [],
};

function synth(props: GrafanaProps = { metrics }): K8sObject[] {
  return synthChart((chart) => new Grafana(chart, 'dashboards', props));
}

/** The dashboard files of the synthesized `grafana-dashboards` ConfigMap, by key. */
function dashboardFiles(objects: K8sObject[]): Record<string, string> {
  const data = get(findObject(objects, 'ConfigMap', 'grafana-dashboards'), 'data');
  return Object.fromEntries(Object.entries(asJson(data)).map(([k, v]) => [k, String(v)]));
}

function models(objects: K8sObject[]): Json[] {
  return Object.values(dashboardFiles(objects)).map((text) => asJson(JSON.parse(text)));
}

function panels(dashboard: Json): Json[] {
  return asArray(dashboard.panels).map(asJson);
}

interface Query {
  dashboard: string;
  panel: string;
  expr: string;
}

/** Every PromQL expression of a dashboard: panel targets and the template variables' queries. */
function queries(dashboard: Json): Query[] {
  const uid = String(dashboard.uid);
  const fromPanels = panels(dashboard).flatMap((p) =>
    asArray(p.targets).map((t) => ({ dashboard: uid, panel: String(p.title), expr: String(asJson(t).expr) })),
  );
  const fromVariables = asArray(asJson(dashboard.templating).list).map((v) => {
    // A variable's `label_values(<series selector>, <label>)`: the selector is PromQL.
    const query = String(asJson(v).query);
    const m = /^label_values\((.+),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$/.exec(query);
    if (!m) throw new Error(`${uid}: variable query not understood: ${query}`);
    return { dashboard: uid, panel: `variable ${String(asJson(v).name)}`, expr: m[1] };
  });
  return [...fromPanels, ...fromVariables];
}

/** Grafana's variables replaced by values of their kind, so that Prometheus' grammar can parse the query. */
function withVariables(expr: string): string {
  return expr.replace(/\$__rate_interval/g, '5m').replace(/\$__interval/g, '1m');
}

/** The metric names a PromQL expression selects, with its syntax errors (Prometheus' own grammar). */
function metricNames(expr: string): { names: string[]; errors: string[] } {
  const text = withVariables(expr);
  const names: string[] = [];
  const errors: string[] = [];
  parser.parse(text).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`syntax error at ${node.from}: ${text}`);
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {
        names.push(text.slice(node.from, node.to));
      }
    },
  });
  return { names, errors };
}

/** `panel: metric` for every metric a query names that no exporter serves. */
function unknownMetrics(qs: Query[]): string[] {
  const known = knownMetrics();
  return qs.flatMap((q) =>
    metricNames(q.expr)
      .names.filter((n) => !known.has(n))
      .map((n) => `${q.dashboard} / ${q.panel}: ${n}`),
  );
}

describe('the provisioned dashboards', () => {
  const objects = synth();
  const all = models(objects);

  test('six dashboards with fixed uids, one file each, named by uid', () => {
    expect(Object.keys(dashboardFiles(objects)).sort()).toEqual([
      'floe-cube.json',
      'floe-dagster-runs.json',
      'floe-minio.json',
      'floe-otel-collector.json',
      'floe-platform-health.json',
      'floe-polaris.json',
    ]);
    for (const [file, text] of Object.entries(dashboardFiles(objects))) {
      expect(`${String(asJson(JSON.parse(text)).uid)}.json`).toBe(file);
    }
  });

  test('every query parses as PromQL and names only metrics its exporter serves', () => {
    const qs = all.flatMap(queries);
    expect(qs.length).toBeGreaterThan(40);
    expect(qs.flatMap((q) => metricNames(q.expr).errors)).toEqual([]);
    expect(unknownMetrics(qs)).toEqual([]);
    // Every query names at least one metric (a query of constants would check nothing).
    expect(qs.filter((q) => metricNames(q.expr).names.length === 0)).toEqual([]);
  });

  test('no string opens a Helm template action (the platform is also rendered as a Helm chart)', () => {
    for (const text of Object.values(dashboardFiles(objects))) expect(text).not.toContain('{{');
  });

  test('a misspelt metric in a dashboard is caught', () => {
    const text = dashboardFiles(objects)['floe-platform-health.json'].replace(
      /kube_pod_status_ready/g,
      'kube_pod_status_redy',
    );
    expect(unknownMetrics(queries(asJson(JSON.parse(text))))).toContain(
      'floe-platform-health / Pods ready: kube_pod_status_redy',
    );
    const otel = dashboardFiles(objects)['floe-otel-collector.json'].replace(
      /otelcol_exporter_sent_spans/g,
      'otelcol_exporter_sent_spans_total',
    );
    expect(unknownMetrics(queries(asJson(JSON.parse(otel))))).toContain(
      'floe-otel-collector / Exported: otelcol_exporter_sent_spans_total',
    );
  });

  test("the Dagster exporter list matches what the exporter's sql_exporter.yml serves", () => {
    const { built } = synthBuilt(
      (chart) =>
        new DagsterMetricsExporter(chart, 'metrics', {
          database: new PostgreSQL(chart, 'orchestrator-db', { database: 'dagster', username: 'dagster' }),
        }),
    );
    const served = asArray(asJson(parse(built.configYaml)).collectors)
      .flatMap((c) => asArray(asJson(c).metrics))
      .map((m) => String(asJson(m).metric_name));
    expect([...EXPORTER_METRICS['dagster-metrics-exporter']].sort()).toEqual(served.sort());
  });

  test('every exporter list is used: each names at least one metric a dashboard reads', () => {
    const used = new Set(all.flatMap(queries).flatMap((q) => metricNames(q.expr).names));
    const unused = Object.entries(EXPORTER_METRICS)
      .filter(([, names]) => !names.some((n) => used.has(n)))
      .map(([exporter]) => exporter);
    expect(unused).toEqual([]);
  });

  test('every panel and query uses the provisioned Prometheus datasource uid', () => {
    const ds = asArray(
      asJson(parse(configMapFile(objects, 'grafana-datasources', 'datasources.yaml'))).datasources,
    ).map(asJson);
    const prometheus = ds.find((d) => d.type === 'prometheus');
    expect(prometheus?.uid).toBe('prometheus');
    const refs = all.flatMap((d) => [
      ...panels(d).flatMap((p) => [p.datasource, ...asArray(p.targets).map((t) => asJson(t).datasource)]),
      ...asArray(asJson(d.templating).list).map((v) => asJson(v).datasource),
    ]);
    expect(refs.length).toBeGreaterThan(50);
    for (const ref of refs) expect(ref).toEqual({ type: 'prometheus', uid: prometheus?.uid });
  });

  test('every panel has a gridPos inside 24 columns, and no two panels overlap', () => {
    for (const d of all) {
      const boxes = panels(d).map((p) => {
        const g = asJson(p.gridPos);
        for (const k of ['h', 'w', 'x', 'y']) expect(Number.isInteger(g[k])).toBe(true);
        const box = {
          x: Number(g.x),
          y: Number(g.y),
          w: Number(g.w),
          h: Number(g.h),
          title: String(p.title),
        };
        expect(box.w).toBeGreaterThan(0);
        expect(box.h).toBeGreaterThan(0);
        expect(box.x + box.w).toBeLessThanOrEqual(DASHBOARD_GRID_COLUMNS);
        return box;
      });
      const overlaps = boxes.flatMap((a, i) =>
        boxes
          .slice(i + 1)
          .filter((b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h)
          .map((b) => `${String(d.uid)}: '${a.title}' and '${b.title}'`),
      );
      expect(overlaps).toEqual([]);
      // Panel ids are unique within the dashboard.
      expect(new Set(panels(d).map((p) => p.id)).size).toBe(boxes.length);
    }
  });

  test('the JSON is deterministic: keys sorted at every level, the same bytes every synth', () => {
    for (const text of Object.values(dashboardFiles(objects))) {
      expect(text).toBe(stableJson(JSON.parse(text) as Parameters<typeof stableJson>[0]));
    }
    expect(dashboardFiles(synth())).toEqual(dashboardFiles(objects));
    const d = floeDashboards()[0];
    expect(dashboardJson(d, 'prometheus', ['a'])).toBe(dashboardJson(d, 'prometheus', ['a']));
  });

  test("dashboards model: schemaVersion the pinned Grafana reads, read-only, the namespace variable on Grafana's namespace", () => {
    for (const d of all) {
      expect(d.schemaVersion).toBe(41);
      expect(d.editable).toBe(false);
      expect(String(d.title)).toMatch(/^floe \/ /);
      const [variable] = asArray(asJson(d.templating).list).map(asJson);
      expect(variable).toMatchObject({
        name: 'namespace',
        type: 'query',
        current: { value: ['floe-platform'] },
      });
      for (const q of queries(d).filter((x) => !x.panel.startsWith('variable'))) {
        expect(q.expr).toContain('namespace=~"$namespace"');
      }
    }
  });

  test('the provider file reads the path the dashboards are mounted at, and nothing can be edited in the UI', () => {
    const providers = asJson(parse(configMapFile(objects, 'grafana-dashboard-providers', 'dashboards.yaml')));
    expect(providers.apiVersion).toBe(1);
    const [provider] = asArray(providers.providers).map(asJson);
    expect(provider).toMatchObject({
      name: 'floe',
      type: 'file',
      allowUiUpdates: false,
      editable: false,
      disableDeletion: true,
      options: { foldersFromFilesStructure: false },
    });
    const pod = workloadPodSpec(objects, 'Deployment', 'grafana');
    const volumes = asArray(pod.volumes).map(asJson);
    const mounts = asArray(asArray(pod.containers).map(asJson)[0].volumeMounts).map(asJson);
    const mountOf = (configMap: string): Json => {
      const volume = volumes.find((v) => get(v, 'configMap.name') === configMap);
      const mount = mounts.find((m) => m.name === volume?.name);
      if (!mount) throw new Error(`ConfigMap ${configMap} is not mounted`);
      return mount;
    };
    expect(mountOf('grafana-dashboards').mountPath).toBe(get(provider, 'options.path'));
    expect(mountOf('grafana-dashboards').readOnly).toBe(true);
    // Grafana reads provider files from <provisioning>/dashboards (paths.provisioning in grafana.ini).
    expect(mountOf('grafana-dashboard-providers')).toMatchObject({
      mountPath: '/etc/grafana/provisioning/dashboards',
      readOnly: true,
    });
  });

  test("the pod's checksum covers the dashboards, so a changed dashboard rolls the pod", () => {
    const annotation = get(
      findObject(objects, 'Deployment', 'grafana'),
      `spec.template.metadata.annotations.${CONFIG_CHECKSUM_ANNOTATION.replace('.', '\\.')}`,
    );
    const data = (name: string): Record<string, string> =>
      Object.fromEntries(
        Object.entries(asJson(get(findObject(objects, 'ConfigMap', name), 'data'))).map(([k, v]) => [
          k,
          String(v),
        ]),
      );
    const names = ['grafana', 'grafana-datasources', 'grafana-dashboard-providers', 'grafana-dashboards'];
    const all4 = Object.fromEntries(names.map((n) => [n, data(n)]));
    expect(annotation).toBe(configChecksum(all4));
    const changed = { ...all4, 'grafana-dashboards': { ...all4['grafana-dashboards'], 'x.json': '{}' } };
    expect(configChecksum(changed)).not.toBe(annotation);
  });

  test('the dashboards ConfigMap stays well under the 1 MiB limit', () => {
    const bytes = Object.entries(dashboardFiles(objects)).reduce(
      (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v),
      0,
    );
    expect(bytes).toBeLessThan(512 * 1024);
  });

  test('dashboards that would not fit one ConfigMap (1 MiB) are refused at synth', () => {
    const [first] = floeDashboards();
    const big = { ...first, description: 'x'.repeat(1024 * 1024) };
    const spy = jest.spyOn(dashboardsModule, 'floeDashboards').mockReturnValue([big]);
    try {
      expect(() => synth()).toThrow(
        /invalid dashboards: got "\d+ bytes", expected dashboards that fit one ConfigMap/,
      );
    } finally {
      spy.mockRestore();
    }
    expect(() => synth()).not.toThrow();
  });

  test('no dashboards without a metrics backend, or with dashboards: false', () => {
    for (const props of [{}, { metrics, dashboards: false }]) {
      const objs = synth(props);
      const names = objs.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name);
      expect(names).toEqual(['grafana', 'grafana-datasources']);
      const volumes = asArray(workloadPodSpec(objs, 'Deployment', 'grafana').volumes).map(
        (v) => asJson(v).name,
      );
      expect(volumes).not.toContain('dashboards');
    }
  });
});

describe('layoutPanels', () => {
  const panel = (width: number, height: number): DashboardPanelSpec => ({
    title: `w${width}`,
    type: 'stat',
    description: '',
    unit: 'short',
    width,
    height,
    queries: [],
  });

  test('fills rows of 24 columns left to right; a panel that does not fit starts a row below the tallest', () => {
    expect(layoutPanels([panel(8, 4), panel(8, 6), panel(12, 8), panel(24, 3)])).toEqual([
      { x: 0, y: 0, w: 8, h: 4 },
      { x: 8, y: 0, w: 8, h: 6 },
      { x: 0, y: 6, w: 12, h: 8 },
      { x: 0, y: 14, w: 24, h: 3 },
    ]);
  });

  test('refuses a panel wider than the grid or without width', () => {
    expect(() => layoutPanels([panel(25, 4)])).toThrow("panel 'w25': width 25 is not 1 to 24");
    expect(() => layoutPanels([panel(0, 4)])).toThrow("panel 'w0': width 0 is not 1 to 24");
  });
});

describe('docs/dashboards pictures', () => {
  const objects = synth();

  test('each committed SVG is what scripts/render-dashboards.js draws from the dashboard JSON now', () => {
    const dir = path.join(__dirname, '..', 'docs', 'dashboards');
    const files = dashboardFiles(objects);
    expect(fs.readdirSync(dir).sort()).toEqual(
      Object.keys(files)
        .map((f) => f.replace(/\.json$/, '.svg'))
        .sort(),
    );
    for (const [file, text] of Object.entries(files)) {
      const svg = renderDashboardSvg(JSON.parse(text));
      const committed = fs.readFileSync(path.join(dir, file.replace(/\.json$/, '.svg')), 'utf8');
      // Run `node scripts/render-dashboards.js` after changing a dashboard.
      expect({ file, svg: committed }).toEqual({ file, svg });
    }
  });

  test('the picture has one box per panel, with its title and type', () => {
    const [model] = models(objects);
    const svg = renderDashboardSvg(model);
    expect(svg.match(/<g>/g)?.length).toBe(panels(model).length);
    for (const p of panels(model)) {
      expect(svg).toContain(`>${String(p.title)}</text>`);
    }
    expect(svg).toContain('>timeseries</text>');
    expect(svg).toContain('>stat</text>');
    expect(() =>
      renderDashboardSvg({ uid: 'x', title: 'x', panels: [{ title: 'p', type: 'stat' }] }),
    ).toThrow("panel 'p' has no valid gridPos");
  });
});
