import { Construct } from 'constructs';
import { MetricsEndpoint } from '../../core/metrics';
import { checkConstructProps } from '../../core/props-check';
import { AlertThresholds, PlatformAlertRules } from './platform-alert-rules';
import { ServiceMonitors } from './service-monitors';

/** The CustomResourceDefinitions the platform's monitoring objects need (prometheus-operator's). */
export const MONITORING_CRDS: readonly string[] = [
  'prometheusrules.monitoring.coreos.com',
  'servicemonitors.monitoring.coreos.com',
];

/** Monitoring of a `FloePlatform` through the Prometheus operator (`FloePlatformProps.monitoring`). */
export interface MonitoringOptions {
  /**
   * Labels added to every ServiceMonitor and the PrometheusRule, so that the Prometheus operator's
   * `serviceMonitorSelector` and `ruleSelector` pick them up (kube-prometheus-stack selects
   * `release: <its release name>` by default).
   * @default - none
   */
  readonly labels?: Record<string, string>;
  /**
   * Scrape interval of every ServiceMonitor endpoint, a Prometheus duration.
   * @default '30s'
   */
  readonly scrapeInterval?: string;
  /**
   * Alert thresholds, or `false` for no PrometheusRule.
   * @default - the thresholds of floe's production guide (`AlertThresholds`)
   */
  readonly alerts?: AlertThresholds | false;
}

/** Properties of `PlatformMonitoring`. */
export interface PlatformMonitoringProps extends MonitoringOptions {
  /** The metrics endpoints to scrape, one ServiceMonitor each. Required. */
  readonly endpoints: readonly MetricsEndpoint[];
  /**
   * Include the Dagster alerts (only when the Dagster metrics exporter runs).
   * @default false
   */
  readonly dagsterAlerts?: boolean;
  /**
   * Value of `app.kubernetes.io/part-of`.
   * @default 'floe'
   */
  readonly platformName?: string;
}

/**
 * A platform's prometheus-operator objects: a ServiceMonitor per metrics endpoint
 * (`ServiceMonitors`) and the alerts of floe's production guide (`PlatformAlertRules`). Needs the
 * prometheus-operator CRDs (`MONITORING_CRDS`); the memory alert also needs kube-state-metrics and
 * the kubelet's cAdvisor metrics in the same Prometheus (docs/monitoring.md).
 */
export class PlatformMonitoring extends Construct {
  /** The ServiceMonitors. */
  public readonly serviceMonitors: ServiceMonitors;
  /** The alert rules, unless `alerts: false`. */
  public readonly alertRules?: PlatformAlertRules;
  /** The CustomResourceDefinitions that must exist before these objects are applied. */
  public readonly requiredCustomResourceDefinitions: readonly string[] = MONITORING_CRDS;

  public constructor(scope: Construct, id: string, props: PlatformMonitoringProps) {
    checkConstructProps(scope, id, 'PlatformMonitoringProps', props);
    super(scope, id);
    this.serviceMonitors = new ServiceMonitors(this, 'service-monitors', {
      endpoints: props.endpoints,
      labels: props.labels,
      scrapeInterval: props.scrapeInterval,
      platformName: props.platformName,
    });
    if (props.alerts !== false) {
      this.alertRules = new PlatformAlertRules(this, 'alert-rules', {
        ...props.alerts,
        dagster: props.dagsterAlerts ?? false,
        labels: props.labels,
        platformName: props.platformName,
      });
    }
  }
}
