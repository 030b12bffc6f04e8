/** The label key prefix Kubernetes recommends for common labels. */
const PREFIX = 'app.kubernetes.io';

/** The tool that manages every object this library writes. */
export const MANAGED_BY = 'cdk8s';

/**
 * Who a workload is: the values of the recommended `app.kubernetes.io/*` labels.
 */
export interface WorkloadIdentity {
  /** The application, e.g. `dagster`, `polaris`, `postgresql`. */
  readonly name: string;
  /** The instance: unique per application within a namespace, e.g. `orchestrator-db`. */
  readonly instance: string;
  /** The role within the application, e.g. `webserver`, `daemon`, `database`. */
  readonly component: string;
  /** The higher-level application this is part of: the platform name. */
  readonly partOf: string;
  /** The version of the application, usually the image tag. Never used in selectors. */
  readonly version: string;
}

/** All six recommended labels, for object metadata and pod templates. */
export function recommendedLabels(id: WorkloadIdentity): Record<string, string> {
  return {
    [`${PREFIX}/name`]: id.name,
    [`${PREFIX}/instance`]: id.instance,
    [`${PREFIX}/component`]: id.component,
    [`${PREFIX}/part-of`]: id.partOf,
    [`${PREFIX}/managed-by`]: MANAGED_BY,
    [`${PREFIX}/version`]: id.version,
  };
}

/**
 * The labels a selector may use: only those that never change over a workload's life
 * (name, instance, component). Selectors are immutable, so `version` is never among them.
 */
export function selectorLabels(id: WorkloadIdentity): Record<string, string> {
  return {
    [`${PREFIX}/name`]: id.name,
    [`${PREFIX}/instance`]: id.instance,
    [`${PREFIX}/component`]: id.component,
  };
}
