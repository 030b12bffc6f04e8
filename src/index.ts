// Public API of floe-cdk8s. Only re-exports live here.
export * from './core/component';
export * from './core/endpoints';
export * from './core/errors';
export * from './core/image';
export * from './core/labels';
export * from './core/pod';
export * from './core/resources';
export * from './core/secrets';
export * from './plugins/interfaces';
export * from './plugins/database/postgres';
export * from './plugins/database/external-postgres';
export * from './plugins/database/postgres-backup';
export * from './plugins/storage/minio';
export * from './plugins/storage/external-s3';
export * from './plugins/catalog/polaris';
export * from './plugins/catalog/external-catalog';
export * from './plugins/observability/otel-collector';
export * from './plugins/observability/prometheus';
export * from './plugins/observability/grafana';
export * from './plugins/observability/jaeger';
export * from './plugins/observability/marquez';
export * from './plugins/orchestrator/dagster';
export * from './plugins/orchestrator/dagster-code-location';
export type { DagsterDaemonMode } from './plugins/orchestrator/dagster-daemon-election';
export {
  DAGSTER_DAEMON_ELECTION_TIMING,
  DAGSTER_DAEMON_LEASE,
} from './plugins/orchestrator/dagster-daemon-election';
export * from './plugins/semantic/cube';
export * from './plugins/semantic/cube-store';
export * from './platform/floe-platform';
export * from './jobs/schedule';
export * from './jobs/steps';
export * from './jobs/pipeline';
export * from './jobs/floe-jobs';
export * from './platform/platform-config';
export * from './core/ingress';
export * from './manifest/schema';
export * from './manifest/errors';
export * from './manifest/loader';
export * from './manifest/to-props';
export * from './manifest/build';
export * from './core/synth';
export * from './core/metrics';
export * from './plugins/orchestrator/dagster-metrics-exporter';
export * from './plugins/observability/service-monitors';
export * from './plugins/observability/platform-alert-rules';
export * from './plugins/observability/platform-monitoring';
