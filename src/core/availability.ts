import { Construct, IConstruct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { FloeValidationError } from './errors';
import { selectorLabels, WorkloadIdentity } from './labels';
import { SchedulingOptions } from './pod';
import { objectMeta } from './service';
import { validateInteger } from './validation';

/**
 * Availability and scaling of long-lived workloads: HorizontalPodAutoscalers, PodDisruptionBudgets,
 * topology spread constraints and the Dagster sizing presets. Every plugin makes one
 * `workloadAvailability` call per Deployment or StatefulSet; the switches come from
 * `ProductionOptions` on each construct (and on `FloePlatform`, which passes them on).
 */

/** The production defaults every component applies. Each is on unless switched off. */
export interface ProductionOptions {
  /**
   * A HorizontalPodAutoscaler (autoscaling/v2, CPU utilization) for each stateless server that
   * supports one: the Dagster webserver, Polaris, the Cube API and the OpenTelemetry Collector in
   * deployment mode. The workload then does not set `spec.replicas`, so a later `kubectl apply`
   * never resets what the autoscaler chose. Per workload, `autoscaler` tunes or overrides this.
   * @default true
   */
  readonly autoscaling?: boolean;
  /**
   * A PodDisruptionBudget for every workload that runs more than one pod (or has an autoscaler),
   * so a node drain or cluster upgrade never takes down more pods than the service can lose.
   * @default true
   */
  readonly disruptionBudgets?: boolean;
  /**
   * Topology spread constraints on every workload that runs more than one pod: pods are spread
   * over zones (`topology.kubernetes.io/zone`) and nodes (`kubernetes.io/hostname`), preferred
   * rather than required, so clusters with one zone or few nodes still schedule them.
   * @default true
   */
  readonly topologySpread?: boolean;
  /**
   * A ServiceAccount per workload, named after it, with `automountServiceAccountToken: false` on
   * the account and on the pod unless the workload calls the Kubernetes API. Off: workloads that
   * need no API access run as the namespace's `default` account (still without a token).
   * @default true
   */
  readonly serviceAccounts?: boolean;
  /**
   * A `checksum/config` annotation on every pod template that reads a ConfigMap this library
   * writes (SHA-256 of that ConfigMap data), so changing the configuration rolls the pods.
   * @default true
   */
  readonly configChecksums?: boolean;
}

/** `ProductionOptions` with every switch decided. */
export interface ProductionSettings {
  /** See `ProductionOptions.autoscaling`. */
  readonly autoscaling: boolean;
  /** See `ProductionOptions.disruptionBudgets`. */
  readonly disruptionBudgets: boolean;
  /** See `ProductionOptions.topologySpread`. */
  readonly topologySpread: boolean;
  /** See `ProductionOptions.serviceAccounts`. */
  readonly serviceAccounts: boolean;
  /** See `ProductionOptions.configChecksums`. */
  readonly configChecksums: boolean;
}

const SWITCHES = [
  'autoscaling',
  'disruptionBudgets',
  'topologySpread',
  'serviceAccounts',
  'configChecksums',
] as const;

/** Validates the switches (booleans or unset) and applies their defaults (all on). */
export function resolveProduction(scope: IConstruct | string, opts: ProductionOptions): ProductionSettings {
  const resolved: Record<string, boolean> = {};
  for (const key of SWITCHES) {
    const value: unknown = opts[key];
    if (value !== undefined && typeof value !== 'boolean') {
      throw new FloeValidationError(scope, key, value, 'true, false or unset (default true)');
    }
    resolved[key] = value ?? true;
  }
  return resolved as unknown as ProductionSettings;
}

/**
 * The switches that are set in `primary`, else in `fallback`: what a provider hands a construct
 * (its own options first, then the platform's).
 */
export function productionOptions(
  primary: ProductionOptions,
  fallback: ProductionOptions = {},
): ProductionOptions {
  const result: Record<string, boolean> = {};
  for (const key of SWITCHES) {
    const value = primary[key] ?? fallback[key];
    if (value !== undefined) result[key] = value;
  }
  return result;
}

// --- Sizing presets ---------------------------------------------------------------------------

/**
 * The floe docs' sizing presets (production guide, "Scaling Considerations"), by runs per day:
 * `light` below 100, `medium` 100 to 1000, `heavy` above 1000.
 */
export type SizingPreset = 'light' | 'medium' | 'heavy';

/** Pod counts a sizing preset selects. */
export interface SizingReplicas {
  /** Dagster webserver pods (with autoscaling: the autoscaler's minimum is at least 2). */
  readonly webservers: number;
  /** Dagster daemon pods: 1 in every preset. */
  readonly daemons: number;
  /**
   * Pods of each Dagster code location (the docs' "workers": runs themselves are Kubernetes Jobs
   * the run launcher starts, so these are the long-lived gRPC code servers).
   */
  readonly workers: number;
}

/** The presets' pod counts, as the floe docs give them. */
export const SIZING_PRESETS: Readonly<Record<SizingPreset, SizingReplicas>> = {
  light: { webservers: 1, daemons: 1, workers: 2 },
  medium: { webservers: 2, daemons: 1, workers: 5 },
  heavy: { webservers: 3, daemons: 1, workers: 10 },
};

/**
 * The preset used when none is chosen. `light` keeps every server redundant (with autoscaling the
 * webserver runs at least 2 pods, each code location runs 2) without the 5 or 10 code-server pods
 * per location of the larger presets, which add gRPC capacity, not run capacity: runs execute in
 * their own Jobs.
 */
export const DEFAULT_SIZING: SizingPreset = 'light';

/** Validates a preset name and returns its pod counts. */
export function sizingReplicas(
  scope: IConstruct | string,
  field: string,
  preset?: SizingPreset,
): SizingReplicas {
  const name = preset ?? DEFAULT_SIZING;
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(SIZING_PRESETS, name)) {
    throw new FloeValidationError(scope, field, preset, "'light', 'medium' or 'heavy'");
  }
  return SIZING_PRESETS[name];
}

// --- Autoscaling ------------------------------------------------------------------------------

/** CPU utilization (percent of the CPU request) the autoscalers aim for, as the floe docs give it. */
export const DEFAULT_TARGET_CPU_UTILIZATION = 70;

/** Bounds and target of one workload's HorizontalPodAutoscaler. */
export interface AutoscalerOptions {
  /**
   * Create the autoscaler for this workload.
   * @default - the component's `autoscaling` switch
   */
  readonly enabled?: boolean;
  /**
   * Fewest pods.
   * @default - the workload's `replicas` (for the Dagster webserver at least 2)
   */
  readonly minReplicas?: number;
  /**
   * Most pods; at least `minReplicas`.
   * @default - the workload's documented ceiling (10 for the Dagster webserver, Cube API and
   * collector, 4 for Polaris), or `minReplicas` when that is larger
   */
  readonly maxReplicas?: number;
  /**
   * Average CPU utilization to scale at, in percent of the containers' CPU requests (above 100 is
   * allowed: it means above the request).
   * @default 70
   */
  readonly targetCpuUtilizationPercentage?: number;
}

// --- The per-workload call --------------------------------------------------------------------

/** What a PodDisruptionBudget allows: at least so many pods available, or at most so many down. */
export type DisruptionAllowance = { readonly minAvailable: number } | { readonly maxUnavailable: number };

/** Where the autoscaler of a workload that may have one starts from. */
export interface AutoscalingDefaults {
  /**
   * The user's tuning (from the workload's `autoscaler` prop).
   * @default - the defaults below
   */
  readonly options?: AutoscalerOptions;
  /**
   * Smallest default minimum, e.g. 2 for the Dagster webserver (the floe docs' HPA).
   * @default 1
   */
  readonly minReplicasFloor?: number;
  /** Default maximum. */
  readonly defaultMaxReplicas: number;
}

/** One long-lived workload, as `workloadAvailability` needs it. */
export interface WorkloadAvailabilityOptions {
  /**
   * Property path of the workload's options, for error messages (`webserver`, `api`), or `''` for
   * the construct's top-level props.
   */
  readonly field: string;
  /** Kind of the workload. */
  readonly kind: 'Deployment' | 'StatefulSet';
  /** Name of the workload; the autoscaler and the budget get the same name. */
  readonly name: string;
  /** Labels of the pods; the budget and the spread select them by `selectorLabels`. */
  readonly identity: WorkloadIdentity;
  /** The component's switches. */
  readonly settings: ProductionSettings;
  /** Validated pod count: the Deployment's replicas, or the basis of the autoscaler's minimum. */
  readonly replicas: number;
  /**
   * Present for workloads that may be autoscaled (stateless servers).
   * @default - never autoscaled
   */
  readonly autoscaling?: AutoscalingDefaults;
  /**
   * The budget the workload's documentation or quorum asks for. `minAvailable` is lowered to
   * (pods - 1), so one pod may always be evicted; `maxUnavailable` is at least 1.
   * @default { minAvailable: 1 }
   */
  readonly disruption?: DisruptionAllowance;
  /**
   * The user's scheduling options. Their own `topologySpreadConstraints` replace the default spread.
   * @default - none
   */
  readonly scheduling?: SchedulingOptions;
}

/** What a workload gets: its replica count (unless autoscaled), scheduling, autoscaler and budget. */
export interface WorkloadAvailability {
  /** `{ replicas }` for the workload's spec, or `{}` when an autoscaler owns the replica count. */
  readonly replicaSpec: { readonly replicas?: number };
  /** Fewest pods the workload runs (the autoscaler's minimum, or its replicas). */
  readonly minPods: number;
  /** Most pods the workload runs (the autoscaler's maximum, or its replicas). */
  readonly maxPods: number;
  /** The user's scheduling options with the topology spread added. */
  readonly scheduling: SchedulingOptions;
  /** The HorizontalPodAutoscaler, when the workload is autoscaled. */
  readonly autoscaler?: k8s.KubeHorizontalPodAutoscalerV2;
  /** The PodDisruptionBudget, when the workload can run more than one pod. */
  readonly disruptionBudget?: k8s.KubePodDisruptionBudget;
}

/** The node labels pods are spread over: zones first, then nodes. */
export const SPREAD_TOPOLOGY_KEYS = ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'] as const;

/**
 * The default spread of a workload's pods: at most one pod difference between zones and between
 * nodes (`maxSkew: 1`), as a preference (`ScheduleAnyway`): with `DoNotSchedule` a pod would stay
 * Pending on a single-zone cluster, or while a zone is down, instead of running in a fuller domain.
 */
export function topologySpreadConstraints(selector: Record<string, string>): k8s.TopologySpreadConstraint[] {
  return SPREAD_TOPOLOGY_KEYS.map((topologyKey) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: { ...selector } },
  }));
}

/** How many pods a workload runs, and whether an autoscaler decides within those bounds. */
export interface ScalingBounds {
  /** Fewest pods (the autoscaler's minimum, or the replicas). */
  readonly minPods: number;
  /** Most pods (the autoscaler's maximum, or the replicas). */
  readonly maxPods: number;
  /** The autoscaler's CPU target, when the workload is autoscaled. */
  readonly targetCpuUtilization?: number;
}

/**
 * The pod bounds of a workload (validating its `autoscaler` options) without creating anything:
 * for settings that depend on the pod count, e.g. Polaris' shared token keys.
 */
export function scalingBounds(
  scope: IConstruct,
  opts: Pick<WorkloadAvailabilityOptions, 'field' | 'settings' | 'replicas' | 'autoscaling'>,
): ScalingBounds {
  const at = (prop: string): string => (opts.field ? `${opts.field}.${prop}` : prop);
  const a = opts.autoscaling;
  if (a === undefined) {
    return { minPods: opts.replicas, maxPods: opts.replicas };
  }
  const tuning = a.options ?? {};
  if (tuning.enabled !== undefined && typeof tuning.enabled !== 'boolean') {
    throw new FloeValidationError(scope, at('autoscaler.enabled'), tuning.enabled, 'true, false or unset');
  }
  if (!(tuning.enabled ?? opts.settings.autoscaling)) {
    for (const key of ['minReplicas', 'maxReplicas', 'targetCpuUtilizationPercentage'] as const) {
      if (tuning[key] !== undefined) {
        throw new FloeValidationError(
          scope,
          at(`autoscaler.${key}`),
          tuning[key],
          `no value while this autoscaler is off (autoscaling: false or autoscaler.enabled: false); set ${at('autoscaler.enabled')}: true to turn it on for this workload`,
        );
      }
    }
    return { minPods: opts.replicas, maxPods: opts.replicas };
  }
  const minPods =
    tuning.minReplicas === undefined
      ? Math.max(a.minReplicasFloor ?? 1, opts.replicas)
      : validateInteger(scope, at('autoscaler.minReplicas'), tuning.minReplicas, 1);
  const maxPods =
    tuning.maxReplicas === undefined
      ? Math.max(a.defaultMaxReplicas, minPods)
      : validateInteger(scope, at('autoscaler.maxReplicas'), tuning.maxReplicas, 1);
  if (maxPods < minPods) {
    throw new FloeValidationError(
      scope,
      at('autoscaler.maxReplicas'),
      maxPods,
      `an integer >= the autoscaler's minReplicas (${minPods})`,
    );
  }
  const targetCpuUtilization = validateInteger(
    scope,
    at('autoscaler.targetCpuUtilizationPercentage'),
    tuning.targetCpuUtilizationPercentage ?? DEFAULT_TARGET_CPU_UTILIZATION,
    1,
  );
  return { minPods, maxPods, targetCpuUtilization };
}

/**
 * Decides a workload's replica count or autoscaler, its PodDisruptionBudget and its topology
 * spread, and creates the autoscaler and the budget under `scope` (ids `<id>-autoscaler`,
 * `<id>-disruption-budget`). Call it before creating the workload and use `replicaSpec` and
 * `scheduling` in it.
 */
export function workloadAvailability(
  scope: Construct,
  id: string,
  opts: WorkloadAvailabilityOptions,
): WorkloadAvailability {
  const selector = selectorLabels(opts.identity);

  // Autoscaler or fixed replicas.
  const bounds = scalingBounds(scope, opts);
  const { minPods, maxPods } = bounds;
  let autoscaler: k8s.KubeHorizontalPodAutoscalerV2 | undefined;
  if (bounds.targetCpuUtilization !== undefined) {
    autoscaler = new k8s.KubeHorizontalPodAutoscalerV2(scope, `${id}-autoscaler`, {
      metadata: objectMeta(opts.name, opts.identity),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: opts.kind, name: opts.name },
        minReplicas: minPods,
        maxReplicas: maxPods,
        metrics: [
          {
            type: 'Resource',
            resource: {
              name: 'cpu',
              target: { type: 'Utilization', averageUtilization: bounds.targetCpuUtilization },
            },
          },
        ],
      },
    });
  }

  // Disruption budget: only for workloads that can run more than one pod, and never one that
  // blocks every eviction (a drain would hang).
  let disruptionBudget: k8s.KubePodDisruptionBudget | undefined;
  if (opts.settings.disruptionBudgets && maxPods > 1) {
    const wanted = opts.disruption ?? { minAvailable: 1 };
    let allowance: { minAvailable?: number; maxUnavailable?: number };
    if ('maxUnavailable' in wanted) {
      allowance = { maxUnavailable: Math.max(1, wanted.maxUnavailable) };
    } else if (minPods > 1) {
      allowance = { minAvailable: Math.max(0, Math.min(wanted.minAvailable, minPods - 1)) };
    } else {
      // An autoscaler that may go down to one pod: one pod at a time, whatever the count.
      allowance = { maxUnavailable: 1 };
    }
    disruptionBudget = new k8s.KubePodDisruptionBudget(scope, `${id}-disruption-budget`, {
      metadata: objectMeta(opts.name, opts.identity),
      spec: {
        ...(allowance.minAvailable !== undefined
          ? { minAvailable: k8s.IntOrString.fromNumber(allowance.minAvailable) }
          : {}),
        ...(allowance.maxUnavailable !== undefined
          ? { maxUnavailable: k8s.IntOrString.fromNumber(allowance.maxUnavailable) }
          : {}),
        selector: { matchLabels: selector },
        // Pods that are running but not ready may always be evicted: a crash-looping pod never
        // holds a drain up.
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });
  }

  // Topology spread: the user's constraints win; else the default for multi-pod workloads.
  const user = opts.scheduling ?? {};
  const spread =
    user.topologySpreadConstraints === undefined && opts.settings.topologySpread && maxPods > 1
      ? topologySpreadConstraints(selector)
      : user.topologySpreadConstraints;

  return {
    replicaSpec: autoscaler ? {} : { replicas: opts.replicas },
    minPods,
    maxPods,
    scheduling: {
      ...(user.nodeSelector !== undefined ? { nodeSelector: user.nodeSelector } : {}),
      ...(user.tolerations !== undefined ? { tolerations: user.tolerations } : {}),
      ...(user.affinity !== undefined ? { affinity: user.affinity } : {}),
      ...(spread !== undefined ? { topologySpreadConstraints: spread } : {}),
    },
    autoscaler,
    disruptionBudget,
  };
}
