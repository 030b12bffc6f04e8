import { IConstruct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { validateQuantity } from './validation';

/**
 * Compute resources for one container. Requests are required; a memory limit is required (an
 * unbounded container can take a node down); a CPU limit is optional (CPU is throttled, not killed).
 */
export interface ResourceRequirements {
  /** Requests: what the scheduler reserves. */
  readonly requests: {
    /** CPU request, e.g. `250m`. */
    readonly cpu: string;
    /** Memory request, e.g. `256Mi`. */
    readonly memory: string;
  };
  /** Limits. */
  readonly limits: {
    /**
     * CPU limit, e.g. `1000m`.
     * @default - no CPU limit
     */
    readonly cpu?: string;
    /** Memory limit, e.g. `1Gi`. */
    readonly memory: string;
  };
}

/** Validates resource requirements and renders them for a container spec. */
export function renderResources(
  scope: IConstruct,
  field: string,
  resources: ResourceRequirements,
): k8s.ResourceRequirements {
  const requests: Record<string, k8s.Quantity> = {
    cpu: k8s.Quantity.fromString(validateQuantity(scope, `${field}.requests.cpu`, resources.requests.cpu)),
    memory: k8s.Quantity.fromString(
      validateQuantity(scope, `${field}.requests.memory`, resources.requests.memory),
    ),
  };
  const limits: Record<string, k8s.Quantity> = {};
  if (resources.limits.cpu !== undefined) {
    limits.cpu = k8s.Quantity.fromString(
      validateQuantity(scope, `${field}.limits.cpu`, resources.limits.cpu),
    );
  }
  limits.memory = k8s.Quantity.fromString(
    validateQuantity(scope, `${field}.limits.memory`, resources.limits.memory),
  );
  return { requests, limits };
}

/** Small, fixed resources for init containers that only wait for a dependency. */
export const WAIT_CONTAINER_RESOURCES: ResourceRequirements = {
  requests: { cpu: '10m', memory: '16Mi' },
  limits: { cpu: '100m', memory: '64Mi' },
};
