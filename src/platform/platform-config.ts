import { IConstruct } from 'constructs';
import { connect } from '../core/connections';
import type { PlatformEndpoints } from './floe-platform';

/** Name of the ConfigMap that carries the platform's client configuration, in every namespace that runs work. */
export const PLATFORM_CONFIG_MAP_NAME = 'floe-platform-config';

/**
 * The environment every pipeline run gets from the platform: where to send telemetry and lineage,
 * which catalog and warehouse to use, and where the object store is. Values are fully qualified
 * URLs, so the same data works in any namespace. Secrets are never part of it.
 *
 * Besides floe's own names, the variables the standard clients read are set, so a job needs no
 * glue code: floe's mesh variables (`POLARIS_HOST`, `OTLP_ENDPOINT`, `OPENLINEAGE_URL`), OpenTelemetry SDKs (`OTEL_EXPORTER_OTLP_*`), the OpenLineage client
 * (`OPENLINEAGE_URL`, `OPENLINEAGE_NAMESPACE`), PyIceberg's default catalog
 * (`PYICEBERG_CATALOG__DEFAULT__*`) and the AWS SDKs (`AWS_ENDPOINT_URL_S3`, `AWS_REGION`).
 *
 * @param endpoints the platform's endpoints
 * @param lineageNamespace OpenLineage namespace of the jobs (e.g. the data product)
 */
export function platformConfigData(
  endpoints: PlatformEndpoints,
  lineageNamespace?: string,
): Record<string, string> {
  const data: Record<string, string> = {
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoints.otlpGrpcEndpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    FLOE_PLATFORM_NAMESPACE: endpoints.namespace,
    FLOE_CATALOG_URI: endpoints.catalogUri,
    FLOE_CATALOG_WAREHOUSE: endpoints.warehouse,
    PYICEBERG_CATALOG__DEFAULT__TYPE: 'rest',
    PYICEBERG_CATALOG__DEFAULT__URI: endpoints.catalogUri,
    PYICEBERG_CATALOG__DEFAULT__WAREHOUSE: endpoints.warehouse,
    // dlt's Iceberg tables: type `rest` makes dlt load PyIceberg's catalog `default` (the
    // variables above) instead of a throwaway in-memory SQLite catalog (dlt-hub/dlt,
    // dlt/common/libs/pyiceberg.py, `IcebergConfig` and `get_catalog`).
    ICEBERG_CATALOG__ICEBERG_CATALOG_TYPE: 'rest',
    FLOE_S3_ENDPOINT: endpoints.s3Endpoint,
    FLOE_S3_REGION: endpoints.s3Region,
    FLOE_S3_PATH_STYLE_ACCESS: String(endpoints.s3PathStyleAccess),
    FLOE_WAREHOUSE_BUCKET: endpoints.warehouseBucket,
    AWS_ENDPOINT_URL_S3: endpoints.s3Endpoint,
    AWS_REGION: endpoints.s3Region,
    // The names floe's data-mesh docs give domain workloads for the shared services.
    POLARIS_HOST: new URL(endpoints.catalogUri).hostname,
    OTLP_ENDPOINT: endpoints.otlpGrpcEndpoint,
  };
  if (endpoints.orchestratorUrl) {
    data.FLOE_ORCHESTRATOR_URL = endpoints.orchestratorUrl;
  }
  if (endpoints.lineageUrl) {
    data.OPENLINEAGE_URL = endpoints.lineageUrl;
    data.OPENLINEAGE_NAMESPACE = lineageNamespace ?? endpoints.lineageNamespace ?? 'default';
  }
  if (endpoints.semanticApiUrl) {
    data.FLOE_SEMANTIC_API_URL = endpoints.semanticApiUrl;
  }
  return Object.fromEntries(Object.entries(data).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * The servers `platformConfigData` points at, with what each is for: every pod that reads the
 * platform configuration is configured to connect to them.
 * @param endpoints the platform's endpoints
 */
export function platformConfigConnections(
  endpoints: PlatformEndpoints,
): { readonly url: string; readonly reason: string }[] {
  return [
    { url: endpoints.catalogUri, reason: 'Iceberg REST catalog (FLOE_CATALOG_URI)' },
    { url: endpoints.otlpGrpcEndpoint, reason: 'OTLP telemetry (OTEL_EXPORTER_OTLP_ENDPOINT)' },
    { url: endpoints.s3Endpoint, reason: 'object storage (FLOE_S3_ENDPOINT)' },
    ...(endpoints.lineageUrl ? [{ url: endpoints.lineageUrl, reason: 'OpenLineage (OPENLINEAGE_URL)' }] : []),
    ...(endpoints.orchestratorUrl
      ? [{ url: endpoints.orchestratorUrl, reason: 'orchestrator API (FLOE_ORCHESTRATOR_URL)' }]
      : []),
    ...(endpoints.semanticApiUrl
      ? [{ url: endpoints.semanticApiUrl, reason: 'semantic layer API (FLOE_SEMANTIC_API_URL)' }]
      : []),
  ];
}

/**
 * Declares that the workloads under `client` read the platform configuration and so connect to
 * every server it names (see `connect`).
 */
export function connectToPlatformConfig(client: IConstruct, endpoints: PlatformEndpoints): void {
  for (const { url, reason } of platformConfigConnections(endpoints)) {
    connect(client, url, reason);
  }
}
