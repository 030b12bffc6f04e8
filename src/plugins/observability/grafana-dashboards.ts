import { CLUSTER_METRICS, memoryLimitRatioExpr } from './platform-alert-rules';
import { DAGSTER_METRICS } from '../orchestrator/dagster-metrics-exporter';

/**
 * The dashboard JSON model version written. Grafana migrates any `schemaVersion` from 9 up to its
 * latest when it loads a dashboard (grafana/grafana `apps/dashboard/pkg/migration/schemaversion/
 * migrations.go`: MIN_VERSION 9, LATEST_VERSION 42 in the Grafana 12 copy read; newer copies add
 * v43). 41 (its migration, V41, only drops the timepicker's `time_options`, which these dashboards
 * do not set) is below the latest of every copy read, so the pinned 12.3.1 reads the model as
 * written or migrates it forward. Not verified against the v12.3.1 checkout itself (too large to fetch).
 */
export const DASHBOARD_SCHEMA_VERSION = 41;

/** Width of a dashboard in grid columns (Grafana's `gridPos.w` ranges over 24 columns). */
export const DASHBOARD_GRID_COLUMNS = 24;

/** Panel types the dashboards use (built into Grafana). */
export type DashboardPanelType = 'timeseries' | 'stat';

/** One PromQL query of a panel. */
export interface DashboardQuery {
  /** PromQL; `$namespace` and `$__rate_interval` are Grafana variables. */
  readonly expr: string;
  /**
   * Series name. Without it Grafana names each series by its labels (`__auto`). Label templates
   * (double braces) are not used: the platform is also rendered as a Helm chart, where they would
   * open a template action.
   */
  readonly legend?: string;
}

/** A panel, before layout. */
export interface DashboardPanelSpec {
  /** Title shown on the panel. */
  readonly title: string;
  /** Panel type. */
  readonly type: DashboardPanelType;
  /** What the panel shows and where the data comes from. */
  readonly description: string;
  /** Grafana unit id (`short`, `percentunit`, `bytes`, `s`, `ms`, `reqps`, ...). */
  readonly unit: string;
  /** Width in grid columns (of 24). */
  readonly width: number;
  /** Height in grid rows (about 30 px each). */
  readonly height: number;
  /** The queries. */
  readonly queries: readonly DashboardQuery[];
}

/** A dashboard floe provisions, as data. */
export interface FloeDashboard {
  /** Fixed uid (part of the dashboard's URL), e.g. `floe-platform-health`. */
  readonly uid: string;
  /** Title. */
  readonly title: string;
  /** What the dashboard shows and what it needs. */
  readonly description: string;
  /** The panels, laid out left to right, top to bottom. */
  readonly panels: readonly DashboardPanelSpec[];
}

/** Where a panel sits: Grafana's `gridPos`. */
export interface GridPos {
  /** Height in rows. */
  readonly h: number;
  /** Width in columns. */
  readonly w: number;
  /** Column of the left edge (0 to 23). */
  readonly x: number;
  /** Row of the top edge. */
  readonly y: number;
}

/** The Grafana variable every query filters on: the namespaces to show. */
export const NAMESPACE_VARIABLE = 'namespace';

const NS = `namespace=~"$${NAMESPACE_VARIABLE}"`;
const RATE = '$__rate_interval';

const stat = (
  title: string,
  description: string,
  unit: string,
  expr: string,
  width = 4,
): DashboardPanelSpec => ({
  title,
  type: 'stat',
  description,
  unit,
  width,
  height: 4,
  queries: [{ expr, legend: title }],
});

const series = (
  title: string,
  description: string,
  unit: string,
  queries: DashboardQuery[],
  width = 12,
): DashboardPanelSpec => ({ title, type: 'timeseries', description, unit, width, height: 8, queries });

function platformHealth(): FloeDashboard {
  const m = CLUSTER_METRICS;
  return {
    uid: 'floe-platform-health',
    title: 'floe / Platform health',
    description:
      'Pods, restarts, memory and volumes of the platform namespaces. Needs kube-state-metrics and the ' +
      "kubelet's cAdvisor and volume metrics in the same Prometheus (the bundled Prometheus does not " +
      'scrape them; kube-prometheus-stack does).',
    panels: [
      stat(
        'Pods ready',
        'Pods whose Ready condition is true (kube-state-metrics).',
        'short',
        `sum(${m.podReady}{${NS}, condition="true"})`,
        6,
      ),
      stat(
        'Pods not ready',
        'Pods whose Ready condition is false or unknown (kube-state-metrics).',
        'short',
        `sum(${m.podReady}{${NS}, condition!="true"})`,
        6,
      ),
      stat(
        'Container restarts (1h)',
        'Container restarts in the last hour (kube-state-metrics).',
        'short',
        `sum(increase(${m.containerRestarts}{${NS}}[1h]))`,
        6,
      ),
      stat(
        'Highest memory / limit',
        'The container closest to its memory limit: working set (cAdvisor) over limit (kube-state-metrics). At 1 it is OOM-killed.',
        'percentunit',
        `max(${memoryLimitRatioExpr(NS)})`,
        6,
      ),
      series('Pods not ready', 'Each pod whose Ready condition is not true.', 'short', [
        { expr: `sum by (pod) (${m.podReady}{${NS}, condition!="true"}) > 0` },
      ]),
      series('Container restarts (1h)', 'Restarts per container in the preceding hour.', 'short', [
        {
          expr: `sum by (pod, container) (increase(${m.containerRestarts}{${NS}}[1h])) > 0`,
        },
      ]),
      series(
        'Memory working set / limit',
        'Per container; the ContainerMemoryNearLimit alert fires above its threshold (0.9 by default).',
        'percentunit',
        [{ expr: memoryLimitRatioExpr(NS) }],
      ),
      series('Volume usage', 'Used over capacity of each PersistentVolumeClaim (kubelet).', 'percentunit', [
        {
          expr:
            `max by (namespace, persistentvolumeclaim) (${m.volumeUsed}{${NS}}) / ` +
            `max by (namespace, persistentvolumeclaim) (${m.volumeCapacity}{${NS}})`,
        },
      ]),
    ],
  };
}

function dagsterRuns(): FloeDashboard {
  const m = DAGSTER_METRICS;
  const quantile = (q: number): string =>
    `histogram_quantile(${q}, sum by (le) (increase(${m.runsDuration}_bucket{${NS}}[1h])))`;
  return {
    uid: 'floe-dagster-runs',
    title: 'floe / Dagster runs',
    description:
      "Dagster runs and daemons, from the DagsterMetricsExporter (SQL over Dagster's run storage; " +
      'open-source Dagster serves no metrics itself).',
    panels: [
      stat(
        'Succeeded (1h)',
        'Runs that succeeded in the last hour.',
        'short',
        `sum(increase(${m.runsSucceeded}{${NS}}[1h]))`,
        6,
      ),
      stat(
        'Failed (1h)',
        'Runs that failed in the last hour (DagsterRunFailures fires above 5).',
        'short',
        `sum(increase(${m.runsFailed}{${NS}}[1h]))`,
        6,
      ),
      stat('Queued', 'Runs waiting in the run queue.', 'short', `sum(${m.runsQueued}{${NS}})`, 6),
      stat('In progress', 'Runs launched and not finished.', 'short', `sum(${m.runsInProgress}{${NS}})`, 6),
      series('Runs per hour', 'Succeeded and failed runs in the preceding hour.', 'short', [
        { expr: `sum(increase(${m.runsSucceeded}{${NS}}[1h]))`, legend: 'succeeded' },
        { expr: `sum(increase(${m.runsFailed}{${NS}}[1h]))`, legend: 'failed' },
      ]),
      series(
        'Run duration',
        'Median and 99th percentile of the runs that finished in the preceding hour, interpolated within the buckets (1 min to 1 day).',
        's',
        [
          { expr: quantile(0.5), legend: 'p50' },
          { expr: quantile(0.99), legend: 'p99' },
        ],
      ),
      series('Run queue', 'Queued runs and runs in progress.', 'short', [
        { expr: `sum(${m.runsQueued}{${NS}})`, legend: 'queued' },
        { expr: `sum(${m.runsInProgress}{${NS}})`, legend: 'in progress' },
      ]),
      series(
        'Daemon heartbeat age',
        'Seconds since each daemon last beat (every 30 s); the warning alert fires above 60 s, the critical one above 120 s.',
        's',
        [{ expr: `max by (daemon_type) (${m.daemonHeartbeatAge}{${NS}})` }],
        24,
      ),
    ],
  };
}

/** Polaris' HTTP server timer (Quarkus Micrometer), with the tag Polaris puts on all its metrics. */
const POLARIS_HTTP = 'http_server_requests_seconds';
const POLARIS = `${NS}, application="Polaris"`;

function polaris(): FloeDashboard {
  return {
    uid: 'floe-polaris',
    title: 'floe / Polaris',
    description:
      "Apache Polaris' HTTP requests (Micrometer's http.server.requests timer at /q/metrics on the " +
      'management port). Polaris exports only its count, sum and max by default, so latency is the ' +
      'mean and the maximum; percentiles need polaris.metrics.http-server-requests.histogram-slos.',
    panels: [
      stat(
        'Requests/s',
        'All HTTP requests per second.',
        'reqps',
        `sum(rate(${POLARIS_HTTP}_count{${POLARIS}}[5m]))`,
        8,
      ),
      stat(
        'Server errors',
        'Share of requests answered with a 5xx status in the last 5 minutes.',
        'percentunit',
        `sum(rate(${POLARIS_HTTP}_count{${POLARIS}, status=~"5.."}[5m])) / sum(rate(${POLARIS_HTTP}_count{${POLARIS}}[5m]))`,
        8,
      ),
      stat(
        'Mean latency',
        'Mean request duration in the last 5 minutes.',
        's',
        `sum(rate(${POLARIS_HTTP}_sum{${POLARIS}}[5m])) / sum(rate(${POLARIS_HTTP}_count{${POLARIS}}[5m]))`,
        8,
      ),
      series('Requests by status', 'Requests per second by HTTP status.', 'reqps', [
        { expr: `sum by (status) (rate(${POLARIS_HTTP}_count{${POLARIS}}[${RATE}]))` },
      ]),
      series('Requests by endpoint', 'Requests per second by URI template and method.', 'reqps', [
        {
          expr: `sum by (method, uri) (rate(${POLARIS_HTTP}_count{${POLARIS}}[${RATE}]))`,
        },
      ]),
      series('Mean latency by endpoint', 'Mean request duration by URI template.', 's', [
        {
          expr:
            `sum by (uri) (rate(${POLARIS_HTTP}_sum{${POLARIS}}[${RATE}])) / ` +
            `sum by (uri) (rate(${POLARIS_HTTP}_count{${POLARIS}}[${RATE}]))`,
        },
      ]),
      series(
        'Max latency by endpoint',
        "Longest request by URI template (the timer's max over its recent window, per pod).",
        's',
        [{ expr: `max by (uri) (${POLARIS_HTTP}_max{${POLARIS}})` }],
      ),
    ],
  };
}

function cube(): FloeDashboard {
  const kinds = ['data', 'meta', 'cache', 'queue'];
  return {
    uid: 'floe-cube',
    title: 'floe / Cube',
    description:
      "Cube Store's queries and latency, from the StatsD exporter beside each router and worker. The " +
      'Cube API serves no Prometheus metrics, so it has no panels here.',
    panels: [
      stat(
        'Data queries/s',
        'SQL queries that read data, on all Cube Store pods.',
        'reqps',
        `sum(rate(cs_sql_query_data{${NS}}[5m]))`,
        8,
      ),
      stat(
        'Mean data query time',
        'Mean time of the data queries in the last 5 minutes (Cube Store reports milliseconds).',
        'ms',
        `sum(rate(cs_sql_query_data_ms_sum{${NS}}[5m])) / sum(rate(cs_sql_query_data_ms_count{${NS}}[5m]))`,
        8,
      ),
      stat(
        'Metastore queue',
        'Operations waiting for the metastore (router).',
        'short',
        `max(cs_metastore_queue_size{${NS}})`,
        8,
      ),
      series(
        'Queries by kind',
        'Queries per second: data reads, metadata, cache and queue commands (from the Cube API).',
        'reqps',
        kinds.map((k) => ({ expr: `sum(rate(cs_sql_query_${k}{${NS}}[${RATE}]))`, legend: k })),
      ),
      series(
        'Mean query time by kind',
        'Mean query time per kind over the rate interval.',
        'ms',
        kinds.map((k) => ({
          expr:
            `sum(rate(cs_sql_query_${k}_ms_sum{${NS}}[${RATE}])) / ` +
            `sum(rate(cs_sql_query_${k}_ms_count{${NS}}[${RATE}]))`,
          legend: k,
        })),
      ),
      series(
        'Data query time p99 by pod',
        "99th percentile of the data queries per pod (the StatsD exporter's summary: quantiles do not add up across pods).",
        'ms',
        [{ expr: `max by (pod) (cs_sql_query_data_ms{${NS}, quantile="0.99"})` }],
        24,
      ),
    ],
  };
}

function otelCollector(): FloeDashboard {
  const signals: [string, string][] = [
    ['spans', 'spans'],
    ['metric_points', 'metric points'],
    ['log_records', 'log records'],
  ];
  const perSignal = (metric: (s: string) => string, by: string): DashboardQuery[] =>
    signals.map(([s, label]) => ({
      // The signal as a label, so that the automatic series names tell the three queries apart.
      expr: `label_replace(sum by (${by}) (rate(${metric(s)}{${NS}}[${RATE}])), "signal", "${label}", "", "")`,
    }));
  return {
    uid: 'floe-otel-collector',
    title: 'floe / OpenTelemetry Collector',
    description:
      "The collector's own telemetry (port 8888): what its receivers accepted or refused, what its " +
      'processors dropped and what its exporters sent or failed to send, per second.',
    panels: [
      series('Accepted', 'Items the receivers pushed into the pipelines.', 'short', [
        ...perSignal((s) => `otelcol_receiver_accepted_${s}`, 'receiver'),
      ]),
      series('Refused', 'Items the receivers refused (e.g. the memory limiter pushed back).', 'short', [
        ...perSignal((s) => `otelcol_receiver_refused_${s}`, 'receiver'),
      ]),
      series(
        'Dropped in processors',
        'Items that went into a processor and did not come out (incoming minus outgoing).',
        'short',
        [
          {
            expr:
              `sum by (processor, otel_signal) (rate(otelcol_processor_incoming_items{${NS}}[${RATE}])) - ` +
              `sum by (processor, otel_signal) (rate(otelcol_processor_outgoing_items{${NS}}[${RATE}]))`,
          },
        ],
      ),
      series('Exported', 'Items the exporters sent.', 'short', [
        ...perSignal((s) => `otelcol_exporter_sent_${s}`, 'exporter'),
      ]),
      series('Export failures', 'Items the exporters failed to send or to enqueue.', 'short', [
        ...perSignal((s) => `otelcol_exporter_send_failed_${s}`, 'exporter'),
        ...perSignal((s) => `otelcol_exporter_enqueue_failed_${s}`, 'exporter'),
      ]),
      series('Exporter queue', "Fill of each exporter's sending queue.", 'percentunit', [
        {
          expr:
            `max by (exporter) (otelcol_exporter_queue_size{${NS}}) / ` +
            `max by (exporter) (otelcol_exporter_queue_capacity{${NS}})`,
        },
      ]),
    ],
  };
}

function minio(): FloeDashboard {
  const cluster = (name: string): string => `max(minio_cluster_${name}{${NS}})`;
  return {
    uid: 'floe-minio',
    title: 'floe / MinIO',
    description:
      "MinIO's cluster metrics (/minio/v2/metrics/cluster, scraped without a token because the " +
      'MinIO construct sets MINIO_PROMETHEUS_AUTH_TYPE=public). Every pod reports the whole cluster, ' +
      'so the panels take the maximum.',
    panels: [
      stat(
        'Usable capacity',
        'Usable capacity (after erasure coding).',
        'bytes',
        cluster('capacity_usable_total_bytes'),
        6,
      ),
      stat('Usable free', 'Free usable capacity.', 'bytes', cluster('capacity_usable_free_bytes'), 6),
      stat(
        'Used',
        'Share of the usable capacity in use.',
        'percentunit',
        `1 - ${cluster('capacity_usable_free_bytes')} / ${cluster('capacity_usable_total_bytes')}`,
        6,
      ),
      stat(
        'Objects',
        'Objects in all buckets (from the last scan).',
        'short',
        cluster('usage_object_total'),
        6,
      ),
      series('Capacity', 'Usable total and free, and the bytes stored (last scan).', 'bytes', [
        { expr: cluster('capacity_usable_total_bytes'), legend: 'usable' },
        { expr: cluster('capacity_usable_free_bytes'), legend: 'free' },
        { expr: cluster('usage_total_bytes'), legend: 'stored' },
      ]),
      series('Nodes and drives', 'Nodes and drives online and offline.', 'short', [
        { expr: cluster('nodes_online_total'), legend: 'nodes online' },
        { expr: cluster('nodes_offline_total'), legend: 'nodes offline' },
        { expr: cluster('drive_online_total'), legend: 'drives online' },
        { expr: cluster('drive_offline_total'), legend: 'drives offline' },
      ]),
      series(
        'Cluster health',
        '1 while the cluster has write quorum, 0 otherwise.',
        'short',
        [{ expr: `min(minio_cluster_health_status{${NS}})`, legend: 'healthy' }],
        24,
      ),
    ],
  };
}

/** The dashboards floe provisions, in a fixed order. */
export function floeDashboards(): FloeDashboard[] {
  return [platformHealth(), dagsterRuns(), polaris(), cube(), otelCollector(), minio()];
}

/**
 * Places panels left to right in rows of 24 columns; a panel that does not fit starts a new row
 * below the tallest panel of the current one.
 */
export function layoutPanels(panels: readonly DashboardPanelSpec[]): GridPos[] {
  const out: GridPos[] = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  for (const p of panels) {
    if (p.width < 1 || p.width > DASHBOARD_GRID_COLUMNS) {
      throw new Error(`panel '${p.title}': width ${p.width} is not 1 to ${DASHBOARD_GRID_COLUMNS}`);
    }
    if (x + p.width > DASHBOARD_GRID_COLUMNS) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    out.push({ h: p.height, w: p.width, x, y });
    x += p.width;
    rowHeight = Math.max(rowHeight, p.height);
  }
  return out;
}

const STAT_OPTIONS: Json = {
  colorMode: 'value',
  graphMode: 'area',
  reduceOptions: { calcs: ['lastNotNull'] },
};
const TIMESERIES_OPTIONS: Json = {
  legend: { displayMode: 'list', placement: 'bottom' },
  tooltip: { mode: 'multi' },
};

function panelOptions(type: DashboardPanelType): Json {
  return type === 'stat' ? STAT_OPTIONS : TIMESERIES_OPTIONS;
}

/** A JSON value. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** The Grafana dashboard model of `d`, its queries on the Prometheus datasource `datasourceUid`. */
export function dashboardModel(d: FloeDashboard, datasourceUid: string, namespaces: readonly string[]): Json {
  const datasource = { type: 'prometheus', uid: datasourceUid };
  const positions = layoutPanels(d.panels);
  const variableQuery = `label_values(up, ${NAMESPACE_VARIABLE})`;
  return {
    annotations: { list: [] },
    description: d.description,
    editable: false,
    graphTooltip: 1,
    links: [],
    panels: d.panels.map((p, i) => ({
      datasource,
      description: p.description,
      fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
      gridPos: { ...positions[i] },
      id: i + 1,
      options: panelOptions(p.type),
      targets: p.queries.map((q, j) => ({
        datasource,
        expr: q.expr,
        legendFormat: q.legend ?? '__auto',
        range: true,
        refId: String.fromCharCode(65 + j),
      })),
      title: p.title,
      type: p.type,
    })),
    refresh: '1m',
    schemaVersion: DASHBOARD_SCHEMA_VERSION,
    tags: ['floe'],
    templating: {
      list: [
        {
          current: { text: [...namespaces], value: [...namespaces] },
          datasource,
          definition: variableQuery,
          includeAll: false,
          label: 'Namespace',
          multi: true,
          name: NAMESPACE_VARIABLE,
          options: [],
          query: variableQuery,
          refresh: 2,
          sort: 1,
          type: 'query',
        },
      ],
    },
    time: { from: 'now-6h', to: 'now' },
    timezone: 'browser',
    title: d.title,
    uid: d.uid,
    version: 1,
  };
}

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key]);
    return out;
  }
  return value;
}

/** JSON text with keys sorted at every level, two-space indented, with a final newline. */
export function stableJson(value: Json): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

/** The dashboard file of `d` as provisioned: deterministic JSON. */
export function dashboardJson(
  d: FloeDashboard,
  datasourceUid: string,
  namespaces: readonly string[],
): string {
  return stableJson(dashboardModel(d, datasourceUid, namespaces));
}
