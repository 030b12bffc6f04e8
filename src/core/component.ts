import { ProductionOptions } from './availability';
import { ImageOverride } from './image';
import { SchedulingOptions } from './pod';
import { ResourceRequirements } from './resources';

/** The platform name used for `app.kubernetes.io/part-of` when none is given. */
export const DEFAULT_PLATFORM_NAME = 'floe';

/**
 * Properties every floe component takes, whether used alone or inside `FloePlatform` (which
 * passes its own `ProductionOptions` on to every component).
 */
export interface ComponentProps extends ProductionOptions {
  /**
   * Value of `app.kubernetes.io/part-of` on every object.
   * @default 'floe'
   */
  readonly platformName?: string;
  /**
   * Registry that replaces the upstream registry of every image of this component (a mirror or
   * pull-through cache). A per-image `registry` override still wins.
   * @default - each image's upstream registry
   */
  readonly imageRegistry?: string;
  /**
   * Names of existing `kubernetes.io/dockerconfigjson` Secrets for pulling images.
   * @default - none
   */
  readonly imagePullSecrets?: string[];
}

/** Knobs every long-lived workload (Deployment, StatefulSet, DaemonSet) offers. */
export interface WorkloadOptions extends SchedulingOptions {
  /**
   * Number of pods.
   * @default - the component's documented default
   */
  readonly replicas?: number;
  /**
   * Requests and limits of the main container.
   * @default - the component's documented default
   */
  readonly resources?: ResourceRequirements;
  /**
   * Image override (registry, repository, tag).
   * @default - the pinned upstream image
   */
  readonly image?: ImageOverride;
  /**
   * Extra environment variables for the main container. A name the component sets itself is refused.
   * @default - none
   */
  readonly extraEnv?: Record<string, string>;
}
