/**
 * The metric names each exporter the dashboards read really serves, written by hand from the
 * exporters' sources at the pinned versions (not from the dashboards). test/grafana-dashboards.test.ts
 * checks every metric a dashboard query names against this list, so a misspelt or invented metric
 * fails. Each entry says where its names were read.
 */
export const EXPORTER_METRICS: Readonly<Record<string, readonly string[]>> = {
  // prometheus/prometheus v3.14.0, docs/concepts/jobs_instances.md: Prometheus adds `up` to every
  // scrape. The dashboards' namespace variable lists the namespaces of the scraped targets with it.
  prometheus: ['up'],

  // kubernetes/kube-state-metrics v2.20.0, docs/metrics/workload/pod-metrics.md (all STABLE).
  'kube-state-metrics': [
    'kube_pod_status_ready',
    'kube_pod_container_status_restarts_total',
    'kube_pod_container_resource_limits',
  ],

  // google/cadvisor, metrics/prometheus.go: "container_" + "memory_working_set_bytes" (gauge),
  // served by the kubelet at /metrics/cadvisor.
  cadvisor: ['container_memory_working_set_bytes'],

  // kubernetes/kubernetes, pkg/kubelet/metrics/metrics.go: subsystem "kubelet",
  // VolumeStatsUsedBytesKey "volume_stats_used_bytes", VolumeStatsCapacityBytesKey
  // "volume_stats_capacity_bytes" (collector pkg/kubelet/metrics/collectors/volume_stats.go).
  kubelet: ['kubelet_volume_stats_used_bytes', 'kubelet_volume_stats_capacity_bytes'],

  // This repository's DagsterMetricsExporter (sql_exporter 0.24.6 serves `metric_name` as written):
  // src/plugins/orchestrator/dagster-metrics-exporter.ts. The test also checks every name here
  // against the synthesized sql_exporter.yml.
  'dagster-metrics-exporter': [
    'dagster_runs_failed_total',
    'dagster_runs_succeeded_total',
    'dagster_runs_queued',
    'dagster_runs_in_progress',
    'dagster_runs_duration_seconds_bucket',
    'dagster_runs_duration_seconds_sum',
    'dagster_runs_duration_seconds_count',
    'dagster_daemon_heartbeat_age_seconds',
  ],

  // apache/polaris apache-polaris-1.7.0: Quarkus Micrometer's `http.server.requests` timer;
  // runtime/service/src/test/java/org/apache/polaris/service/metrics/MetricsTestBase.java
  // (HTTP_METRIC_NAME "http_server_requests_seconds") and
  // site/content/in-dev/unreleased/telemetry.md ("exports only the count, sum, and max series"
  // unless polaris.metrics.http-server-requests.histogram-slos is set: no _bucket by default).
  // Tag application=Polaris: runtime/defaults/src/main/resources/application.properties.
  polaris: [
    'http_server_requests_seconds_count',
    'http_server_requests_seconds_sum',
    'http_server_requests_seconds_max',
  ],

  // cube-js/cube v1.5.3, rust/cubestore/cubestore/src/app_metrics.rs: counters cs.sql.query.{data,
  // meta,cache,queue}, histograms cs.sql.query.{data,meta,cache,queue}.ms, gauge
  // cs.metastore.queue_size. Read in the research store's versions of the file (the repository
  // was too large to fetch at the tag): these names are in the newest version and in an older one
  // alike, while newer metrics (cs.worker_pool.errors, cache eviction) were added around them.
  // util/metrics.rs sends histograms as DogStatsD `h`. prometheus/statsd_exporter v0.30.0
  // (no mapping file): pkg/mapper/escape.go turns '.' into '_'; counters keep their name (no
  // _total); `h` observations go unscaled into a summary (pkg/line/line.go, pkg/exporter/
  // exporter.go; quantiles 0.5, 0.9, 0.99 in pkg/mapper/mapper.go), so `<name>{quantile}`,
  // `<name>_sum`, `<name>_count`. main.go serves promhttp.Handler() (no OpenMetrics, so no
  // `_total` is added to the counters on the wire).
  'cube-store (statsd-exporter)': [
    ...['data', 'meta', 'cache', 'queue'].flatMap((kind) => [
      `cs_sql_query_${kind}`,
      `cs_sql_query_${kind}_ms`,
      `cs_sql_query_${kind}_ms_sum`,
      `cs_sql_query_${kind}_ms_count`,
    ]),
    'cs_metastore_queue_size',
  ],

  // open-telemetry/opentelemetry-collector v0.158.0 (the contrib 0.158.0 image's core):
  // receiver/receiverhelper, exporter/exporterhelper, processor/processorhelper documentation.md.
  // No `_total` suffix and no unit suffix: service/telemetry/otelconftelemetry sets
  // without_type_suffix and without_units to true, also for an explicitly configured Prometheus
  // reader as ours (internal/migration/v0.3.0.go applyPrometheusDefaults, since v0.152.0); the
  // e2e test internal/e2e/metric_stability_test.go expects exactly these names. The reader's HTTP
  // handler (go.opentelemetry.io/contrib/otelconf prometheusReader, a stored copy) does not offer
  // OpenMetrics, so no `_total` is added on the wire when Prometheus 3 asks for it either.
  'otel-collector': [
    ...['spans', 'metric_points', 'log_records'].flatMap((signal) => [
      `otelcol_receiver_accepted_${signal}`,
      `otelcol_receiver_refused_${signal}`,
      `otelcol_exporter_sent_${signal}`,
      `otelcol_exporter_send_failed_${signal}`,
      `otelcol_exporter_enqueue_failed_${signal}`,
    ]),
    'otelcol_processor_incoming_items',
    'otelcol_processor_outgoing_items',
    'otelcol_exporter_queue_size',
    'otelcol_exporter_queue_capacity',
  ],

  // minio/minio RELEASE.2025-09-07T16-13-09Z, cmd/metrics-v2.go: namespace minio_cluster with
  // subsystems capacity_usable (total_bytes, free_bytes), usage (total_bytes, object_total),
  // nodes and drive (online_total, offline_total), health (status); all in the cluster group
  // served at /minio/v2/metrics/cluster.
  minio: [
    'minio_cluster_capacity_usable_total_bytes',
    'minio_cluster_capacity_usable_free_bytes',
    'minio_cluster_usage_total_bytes',
    'minio_cluster_usage_object_total',
    'minio_cluster_nodes_online_total',
    'minio_cluster_nodes_offline_total',
    'minio_cluster_drive_online_total',
    'minio_cluster_drive_offline_total',
    'minio_cluster_health_status',
  ],
};

/** Every metric name of `EXPORTER_METRICS`, with the exporter that serves it. */
export function knownMetrics(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [exporter, names] of Object.entries(EXPORTER_METRICS)) {
    for (const name of names) out.set(name, exporter);
  }
  return out;
}
