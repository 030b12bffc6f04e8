// Public API of floe-cdk8s: the documented surface, by name. Constructs, their props and the
// plugin contracts; the helpers README.md and docs/ describe for building more. Internals (scripts,
// image and port constants, the manifest schemas and loader, which use zod and yaml) are not part
// of it: their modules import them directly. test/package-install.e2e.ts checks what a consumer sees.
export {
  DAGSTER_DAEMON_ELECTION_TIMING,
  DAGSTER_DAEMON_LEASE,
} from './plugins/orchestrator/dagster-daemon-election';
export type { DagsterDaemonMode } from './plugins/orchestrator/dagster-daemon-election';
export {
  resolveProduction,
  SIZING_PRESETS,
  topologySpreadConstraints,
  workloadAvailability,
} from './core/availability';
export type {
  AutoscalerOptions,
  AutoscalingDefaults,
  DisruptionAllowance,
  ProductionOptions,
  ProductionSettings,
  ScalingBounds,
  SizingPreset,
  SizingReplicas,
  WorkloadAvailability,
  WorkloadAvailabilityOptions,
} from './core/availability';
export { configChecksum, configChecksumAnnotations } from './core/checksum';
export type { ConfigMapData } from './core/checksum';
export type { ComponentProps, WorkloadOptions } from './core/component';
export { endpointUrl, serviceEndpoint } from './core/endpoints';
export type { ServiceEndpoint } from './core/endpoints';
export { FloePropsError, FloeValidationError } from './core/errors';
export type { ContainerImage, ImageOverride } from './core/image';
export { recommendedLabels, selectorLabels } from './core/labels';
export type { WorkloadIdentity } from './core/labels';
export {
  buildContainer,
  buildPodTemplate,
  configMapVolume,
  emptyDirVolume,
  restrictedContainerSecurityContext,
} from './core/pod';
export type { ContainerDefinition, PodTemplateOptions, RunAs, SchedulingOptions } from './core/pod';
export type { ResourceRequirements } from './core/resources';
export type { SecretKeyRef, SecretRequirement } from './core/secrets';
export { workloadServiceAccount } from './core/service-account';
export type { WorkloadServiceAccount, WorkloadServiceAccountOptions } from './core/service-account';
export type {
  CatalogAccessRequest,
  CatalogCredentials,
  CatalogPlugin,
  DatabaseRequest,
  Exposable,
  HasPrerequisites,
  LineagePlugin,
  MetricsBackendPlugin,
  Monitored,
  ObjectStoragePlugin,
  OrchestratorPlugin,
  PlatformDependencies,
  PluginProvider,
  PostgresDatabasePlugin,
  SemanticLayerPlugin,
  TelemetryPlugin,
  TracingBackendPlugin,
} from './plugins/interfaces';
export { PostgreSQL } from './plugins/database/postgres';
export type { PostgreSQLProps } from './plugins/database/postgres';
export { ExternalPostgres } from './plugins/database/external-postgres';
export type { ExternalPostgresProps } from './plugins/database/external-postgres';
export { PostgresBackup } from './plugins/database/postgres-backup';
export type {
  BackupOptions,
  PostgresBackupOptions,
  PostgresBackupProps,
} from './plugins/database/postgres-backup';
export { MinIO, minioWriteTolerance } from './plugins/storage/minio';
export type { MinIOProps, MinIOProviderOptions } from './plugins/storage/minio';
export { ExternalS3 } from './plugins/storage/external-s3';
export type { ExternalS3Props } from './plugins/storage/external-s3';
export { Polaris } from './plugins/catalog/polaris';
export type {
  PolarisBootstrapOptions,
  PolarisCatalogRequestOptions,
  PolarisCatalogSetupOptions,
  PolarisCreateCatalogRequest,
  PolarisLogLevel,
  PolarisProps,
  PolarisProviderOptions,
  PolarisRootCredentials,
  PolarisStorageType,
  PolarisTokenKeys,
} from './plugins/catalog/polaris';
export { PolarisProductAccess, PRODUCT_NAMESPACE_PRIVILEGES } from './plugins/catalog/polaris-product-access';
export type {
  PolarisAccessTarget,
  PolarisProductAccessProps,
} from './plugins/catalog/polaris-product-access';
export { ExternalCatalog } from './plugins/catalog/external-catalog';
export type { ExternalCatalogProps } from './plugins/catalog/external-catalog';
export { OtelCollector } from './plugins/observability/otel-collector';
export type {
  DebugVerbosity,
  OtelCollectorMode,
  OtelCollectorProps,
  OtelCollectorProviderOptions,
} from './plugins/observability/otel-collector';
export { Prometheus } from './plugins/observability/prometheus';
export type {
  PrometheusProps,
  PrometheusProviderOptions,
  StaticScrapeJob,
} from './plugins/observability/prometheus';
export { Grafana } from './plugins/observability/grafana';
export type {
  GrafanaProps,
  GrafanaProviderOptions,
  GrafanaSettingValue,
} from './plugins/observability/grafana';
export { Jaeger } from './plugins/observability/jaeger';
export type { JaegerProps, JaegerProviderOptions, JaegerStorage } from './plugins/observability/jaeger';
export { Marquez } from './plugins/observability/marquez';
export type {
  MarquezLogLevel,
  MarquezProps,
  MarquezProviderOptions,
  MarquezRetention,
  MarquezWebOptions,
} from './plugins/observability/marquez';
export { Dagster } from './plugins/orchestrator/dagster';
export type {
  DagsterCodeLocationDeployment,
  DagsterDaemonOptions,
  DagsterOptions,
  DagsterProps,
  DagsterWebserverOptions,
} from './plugins/orchestrator/dagster';
export type { DagsterCodeLocation } from './plugins/orchestrator/dagster-code-location';
export { Cube } from './plugins/semantic/cube';
export type {
  CubeApiOptions,
  CubeDataSource,
  CubeDataSourceType,
  CubeLogLevel,
  CubeModelSource,
  CubeProps,
  CubeProviderOptions,
  CubeRefreshWorkerOptions,
} from './plugins/semantic/cube';
export { CubeStore } from './plugins/semantic/cube-store';
export type {
  CubeStoreDataVolume,
  CubeStoreLogLevel,
  CubeStoreMetricsOptions,
  CubeStoreProps,
  CubeStoreRoleOptions,
} from './plugins/semantic/cube-store';
export { DEFAULT_PLATFORM_NAMESPACE, FloePlatform } from './platform/floe-platform';
export type {
  DatabaseOptions,
  Disabled,
  ExternalDatabaseProps,
  FloePlatformProps,
  PlatformEndpoints,
  PlatformIngressProps,
} from './platform/floe-platform';
export { dbt, DBT_LOG_PATH, DBT_TARGET_PATH, DLT_DATA_DIR, ingest, quality } from './jobs/steps';
export type {
  DbtProjectOptions,
  DbtRunOptions,
  DbtTestOptions,
  DltOptions,
  QualityCheckOptions,
  Step,
  StepKind,
  StepOptions,
} from './jobs/steps';
export { Pipeline } from './jobs/pipeline';
export type {
  ConcurrencyPolicy,
  PipelineArtifacts,
  PipelineContext,
  PipelineCredentials,
  PipelineDefaults,
  PipelineProps,
  PipelineTrigger,
} from './jobs/pipeline';
export { DEFAULT_JOBS_NAMESPACE, FloeJobs } from './jobs/floe-jobs';
export type { FloeJobsProps } from './jobs/floe-jobs';
export { DEFAULT_CATALOG_SECRET_NAME } from './plugins/catalog/catalog-access';
export type { CatalogAccessOptions } from './plugins/catalog/catalog-access';
export {
  connectToPlatformConfig,
  PLATFORM_CONFIG_MAP_NAME,
  platformConfigConnections,
} from './platform/platform-config';
export type { IngressOptions, IngressTarget } from './core/ingress';
export { connect, Connections, KUBERNETES_API, metricsScrapeTargets } from './core/connections';
export type {
  ConnectionDeclaration,
  ConnectionTarget,
  ExternalEndpoint,
  KubernetesApiTarget,
  MetricsScrapeTarget,
  NetworkProtocol,
  ResolvedConnectionTarget,
} from './core/connections';
export { RuntimePods } from './core/runtime-pods';
export type { RuntimePodsProps } from './core/runtime-pods';
export { NetworkIsolation } from './core/network-isolation';
export type {
  NetworkIsolationProps,
  NetworkPolicyDnsOptions,
  NetworkPolicyIngressControllerOptions,
  NetworkPolicyKubernetesApiOptions,
  NetworkPolicyMetricsScraperOptions,
  NetworkPolicyOptions,
} from './core/network-isolation';
export { synthesize } from './core/synth';
export { ObjectCollisionError } from './core/collisions';
export type { ObjectCollision } from './core/collisions';
export { scrapeAnnotations } from './core/metrics';
export type { MetricsEndpoint } from './core/metrics';
export { DagsterMetricsExporter } from './plugins/orchestrator/dagster-metrics-exporter';
export type {
  DagsterMetricsExporterOptions,
  DagsterMetricsExporterProps,
} from './plugins/orchestrator/dagster-metrics-exporter';
export { ServiceMonitors } from './plugins/observability/service-monitors';
export type { ServiceMonitorsProps } from './plugins/observability/service-monitors';
export { PlatformAlertRules } from './plugins/observability/platform-alert-rules';
export type {
  AlertRule,
  AlertThresholds,
  PlatformAlertRulesProps,
} from './plugins/observability/platform-alert-rules';
export { PlatformMonitoring } from './plugins/observability/platform-monitoring';
export type { MonitoringOptions, PlatformMonitoringProps } from './plugins/observability/platform-monitoring';
