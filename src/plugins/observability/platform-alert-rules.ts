import { Construct } from 'constructs';
import { DEFAULT_PLATFORM_NAME } from '../../core/component';
import { namespaceOf } from '../../core/endpoints';
import { FloeValidationError } from '../../core/errors';
import { recommendedLabels } from '../../core/labels';
import { validateExtraLabels } from '../../core/metrics';
import { checkConstructProps } from '../../core/props-check';
import { validateDnsLabel } from '../../core/validation';
import {
  PrometheusRule,
  PrometheusRuleSpecGroups,
  PrometheusRuleSpecGroupsRulesExpr,
} from '../../imports/monitoring.coreos.com';
import { DAGSTER_METRICS } from '../orchestrator/dagster-metrics-exporter';

/**
 * Metrics of the cluster (not of the platform) that floe's alerts and dashboards use: they come from
 * kube-state-metrics, the kubelet's cAdvisor and the kubelet, which a cluster runs and its
 * Prometheus scrapes (kube-prometheus-stack does); the bundled `Prometheus` does not scrape them.
 * Names: kube-state-metrics v2.20.0 `docs/metrics/workload/pod-metrics.md`; google/cadvisor
 * `metrics/prometheus.go`; kubernetes/kubernetes `pkg/kubelet/metrics/metrics.go`.
 */
export const CLUSTER_METRICS = {
  /** kube-state-metrics gauge per pod and `condition` (true, false, unknown): 1 for the pod's Ready condition. */
  podReady: 'kube_pod_status_ready',
  /** kube-state-metrics counter per container: restarts. */
  containerRestarts: 'kube_pod_container_status_restarts_total',
  /** kube-state-metrics gauge per container and `resource`: its limit (bytes for memory). */
  containerLimits: 'kube_pod_container_resource_limits',
  /** cAdvisor gauge per container: the working set, what the kubelet's OOM decisions use. */
  memoryWorkingSet: 'container_memory_working_set_bytes',
  /** kubelet gauge per `persistentvolumeclaim`: bytes used on the volume. */
  volumeUsed: 'kubelet_volume_stats_used_bytes',
  /** kubelet gauge per `persistentvolumeclaim`: the volume's capacity in bytes. */
  volumeCapacity: 'kubelet_volume_stats_capacity_bytes',
} as const;

/**
 * PromQL: each container's working set as a fraction of its memory limit, for the series that
 * match `selector` (label matchers without braces, e.g. `namespace="floe"`).
 */
export function memoryLimitRatioExpr(selector: string): string {
  return (
    `max by (namespace, pod, container) (${CLUSTER_METRICS.memoryWorkingSet}{${selector}, container!=""}) ` +
    '/ on (namespace, pod, container) ' +
    `max by (namespace, pod, container) (${CLUSTER_METRICS.containerLimits}{${selector}, resource="memory"})`
  );
}

/** Thresholds of the platform's alerts. The defaults are the values floe's production guide gives. */
export interface AlertThresholds {
  /**
   * `DagsterRunFailures` fires when more Dagster runs than this failed in the last hour.
   * @default 5
   */
  readonly failedRunsPerHour?: number;
  /**
   * `DagsterRunDurationHigh` fires when the 99th percentile of the durations of the runs that
   * finished in the last hour is above this many seconds. Best a bucket bound of
   * `dagster_runs_duration_seconds` (`DAGSTER_RUN_DURATION_BUCKETS`): between bounds the quantile is interpolated.
   * @default 3600
   */
  readonly runDurationP99Seconds?: number;
  /**
   * `DagsterDaemonHeartbeatStale` (warning) fires when a daemon's last heartbeat is older than
   * this many seconds (daemons beat every 30 s).
   * @default 60
   */
  readonly daemonHeartbeatWarningSeconds?: number;
  /**
   * `DagsterDaemonUnavailable` (critical) fires when a daemon's last heartbeat has been older than
   * this many seconds for 2 minutes.
   * @default 120
   */
  readonly daemonHeartbeatCriticalSeconds?: number;
  /**
   * `ContainerMemoryNearLimit` fires when a container's working set has been above this fraction
   * of its memory limit for 5 minutes.
   * @default 0.9
   */
  readonly memoryLimitRatio?: number;
}

/** Properties of `PlatformAlertRules`. */
export interface PlatformAlertRulesProps extends AlertThresholds {
  /**
   * Name of the PrometheusRule.
   * @default 'floe-platform-alerts'
   */
  readonly name?: string;
  /**
   * Include the Dagster alerts (they need the `DagsterMetricsExporter` metrics).
   * @default true
   */
  readonly dagster?: boolean;
  /**
   * Labels added to the PrometheusRule, for the Prometheus operator's `ruleSelector`
   * (e.g. `release: kube-prometheus-stack`).
   * @default - none
   */
  readonly labels?: Record<string, string>;
  /**
   * Value of `app.kubernetes.io/part-of`.
   * @default 'floe'
   */
  readonly platformName?: string;
}

/** One alerting rule, as written into the PrometheusRule. */
export interface AlertRule {
  /** Alert name. */
  readonly alert: string;
  /** PromQL expression; the alert fires for every series it returns. */
  readonly expr: string;
  /** How long the expression must hold before the alert fires (unset: at once). */
  readonly for?: string;
  /** `severity` label. */
  readonly severity: 'warning' | 'critical';
  /** `summary` annotation. */
  readonly summary: string;
  /** `description` annotation. */
  readonly description: string;
}

/**
 * Annotations are plain text without `{{ $labels }}` templates: the platform is also rendered as a
 * Helm chart, where `{{` would start a template action. The alerts carry the labels instead.
 *
 * A prometheus-operator PrometheusRule (monitoring.coreos.com/v1) with the alerts of floe's
 * production guide, scoped to this namespace: Dagster run failures, run duration p99, daemon
 * heartbeat age (warning and `DagsterDaemonUnavailable`, critical), and containers near their
 * memory limit (cAdvisor's working set over kube-state-metrics' limit).
 */
export class PlatformAlertRules extends Construct {
  /** The rules, by group name, as written. */
  public readonly groups: Readonly<Record<string, readonly AlertRule[]>>;
  /** The PrometheusRule. */
  public readonly prometheusRule: PrometheusRule;

  public constructor(scope: Construct, id: string, props: PlatformAlertRulesProps = {}) {
    checkConstructProps(scope, id, 'PlatformAlertRulesProps', props);
    super(scope, id);
    const name = validateDnsLabel(this, 'name', props.name ?? 'floe-platform-alerts');
    const extraLabels = validateExtraLabels(this, 'labels', props.labels ?? {});
    this.groups = platformAlertRuleGroups(this, { ...props, dagster: props.dagster ?? true });
    const ruleGroups: PrometheusRuleSpecGroups[] = alertRuleFile(this.groups).groups.map((g) => ({
      name: g.name,
      rules: g.rules.map((r) => ({ ...r, expr: PrometheusRuleSpecGroupsRulesExpr.fromString(r.expr) })),
    }));

    this.prometheusRule = new PrometheusRule(this, 'rule', {
      metadata: {
        name,
        labels: {
          ...recommendedLabels({
            name: 'floe-platform',
            instance: name,
            component: 'alert-rules',
            partOf: props.platformName ?? DEFAULT_PLATFORM_NAME,
            version: 'v1',
          }),
          ...extraLabels,
        },
      },
      spec: { groups: ruleGroups },
    });
  }
}

/**
 * The rules of floe's alerts, by group, for the namespace of `scope`: one definition for the
 * PrometheusRule (`PlatformAlertRules`) and the rule file of the bundled Prometheus
 * (`Prometheus#addAlertRules`). Thresholds are checked here (errors name `scope`).
 */
export function platformAlertRuleGroups(
  scope: Construct,
  props: AlertThresholds & { readonly dagster: boolean },
): Record<string, AlertRule[]> {
  const failedRuns = threshold(scope, 'failedRunsPerHour', props.failedRunsPerHour ?? 5, true);
  const p99 = threshold(scope, 'runDurationP99Seconds', props.runDurationP99Seconds ?? 3600, true);
  const warnAge = threshold(
    scope,
    'daemonHeartbeatWarningSeconds',
    props.daemonHeartbeatWarningSeconds ?? 60,
    true,
  );
  const critAge = threshold(
    scope,
    'daemonHeartbeatCriticalSeconds',
    props.daemonHeartbeatCriticalSeconds ?? 120,
    true,
  );
  const memory = threshold(scope, 'memoryLimitRatio', props.memoryLimitRatio ?? 0.9, false);
  if (memory <= 0 || memory > 1) {
    throw new FloeValidationError(
      scope,
      'memoryLimitRatio',
      memory,
      'a fraction above 0 and at most 1, e.g. 0.9',
    );
  }
  const ns = `namespace="${namespaceOf(scope)}"`;

  const groups: Record<string, AlertRule[]> = {};
  if (props.dagster) {
    groups['floe.dagster'] = [
      {
        alert: 'DagsterRunFailures',
        expr: `sum(increase(${DAGSTER_METRICS.runsFailed}{${ns}}[1h])) > ${failedRuns}`,
        severity: 'warning',
        summary: 'Many Dagster runs failed',
        description: `More than ${failedRuns} Dagster runs failed in the last hour.`,
      },
      {
        alert: 'DagsterRunDurationHigh',
        expr:
          `histogram_quantile(0.99, sum by (le) (increase(${DAGSTER_METRICS.runsDuration}_bucket{${ns}}[1h]))) > ` +
          `${p99}`,
        severity: 'warning',
        summary: 'Dagster runs take long',
        description: `The 99th percentile of the Dagster runs that finished in the last hour is above ${p99} s.`,
      },
      {
        alert: 'DagsterDaemonHeartbeatStale',
        expr: `${DAGSTER_METRICS.daemonHeartbeatAge}{${ns}} > ${warnAge}`,
        severity: 'warning',
        summary: 'Dagster daemon heartbeat late',
        description: `A Dagster daemon (label daemon_type) has sent no heartbeat for more than ${warnAge} s.`,
      },
      {
        alert: 'DagsterDaemonUnavailable',
        expr: `${DAGSTER_METRICS.daemonHeartbeatAge}{${ns}} > ${critAge}`,
        for: '2m',
        severity: 'critical',
        summary: 'Dagster daemon heartbeat stale',
        description:
          `A Dagster daemon (label daemon_type) has sent no heartbeat for more than ${critAge} s: ` +
          'schedules, sensors or the run queue may have stopped.',
      },
    ];
  }
  groups['floe.resources'] = [
    {
      alert: 'ContainerMemoryNearLimit',
      expr: `${memoryLimitRatioExpr(ns)} > ${memory}`,
      for: '5m',
      severity: 'warning',
      summary: 'Container close to its memory limit',
      description:
        `A container (labels pod, container) uses more than ${Math.round(memory * 100)} % ` +
        'of its memory limit; at the limit it is killed (OOMKilled).',
    },
  ];
  return groups;
}

/** A Prometheus rule file: the format of `rule_files` and of a PrometheusRule's `spec`. */
export interface AlertRuleFile {
  /** The rule groups, in the order given. */
  readonly groups: {
    readonly name: string;
    readonly rules: {
      readonly alert: string;
      readonly expr: string;
      readonly for?: string;
      readonly labels: { readonly severity: string };
      readonly annotations: { readonly summary: string; readonly description: string };
    }[];
  }[];
}

/** The rule file of `groups` (Prometheus' rule file format, which a PrometheusRule's spec shares). */
export function alertRuleFile(groups: Readonly<Record<string, readonly AlertRule[]>>): AlertRuleFile {
  return {
    groups: Object.entries(groups).map(([name, rules]) => ({
      name,
      rules: rules.map((r) => ({
        alert: r.alert,
        expr: r.expr,
        ...(r.for ? { for: r.for } : {}),
        labels: { severity: r.severity },
        annotations: { summary: r.summary, description: r.description },
      })),
    })),
  };
}

function threshold(scope: Construct, field: string, value: number, integer: boolean): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value <= 0 ||
    (integer && !Number.isInteger(value))
  ) {
    throw new FloeValidationError(scope, field, value, integer ? 'a positive integer' : 'a positive number');
  }
  return value;
}
