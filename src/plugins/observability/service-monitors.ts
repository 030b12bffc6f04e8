import { Construct } from 'constructs';
import { namespaceOf } from '../../core/endpoints';
import { FloeValidationError } from '../../core/errors';
import { recommendedLabels } from '../../core/labels';
import {
  MetricsEndpoint,
  metricsServiceSelector,
  validateExtraLabels,
  validatePrometheusDuration,
} from '../../core/metrics';
import { checkConstructProps } from '../../core/props-check';
import { validateDnsSubdomain } from '../../core/validation';
import { ServiceMonitor, ServiceMonitorSpecEndpointsScheme } from '../../imports/monitoring.coreos.com';

/** Properties of `ServiceMonitors`. */
export interface ServiceMonitorsProps {
  /** The metrics endpoints, one ServiceMonitor each. Required; Service names must be unique. */
  readonly endpoints: readonly MetricsEndpoint[];
  /**
   * Labels added to every ServiceMonitor, for the Prometheus operator's `serviceMonitorSelector`
   * (e.g. `release: kube-prometheus-stack`).
   * @default - none
   */
  readonly labels?: Record<string, string>;
  /**
   * Scrape interval of every endpoint, a Prometheus duration.
   * @default '30s'
   */
  readonly scrapeInterval?: string;
  /**
   * Value of `app.kubernetes.io/part-of` on the ServiceMonitors.
   * @default - the `partOf` of each endpoint's workload
   */
  readonly platformName?: string;
}

/**
 * One prometheus-operator ServiceMonitor (monitoring.coreos.com/v1) per metrics endpoint, named
 * after its Service. Each selects exactly that Service (its selector labels and
 * `floe.dev/metrics: "true"`, which headless Services beside it do not carry) in this namespace and
 * scrapes the named port at the endpoint's path over HTTP.
 */
export class ServiceMonitors extends Construct {
  /** The ServiceMonitors, in the order of `endpoints`. */
  public readonly serviceMonitors: readonly ServiceMonitor[];

  public constructor(scope: Construct, id: string, props: ServiceMonitorsProps) {
    checkConstructProps(scope, id, 'ServiceMonitorsProps', props);
    super(scope, id);
    const interval = validatePrometheusDuration(this, 'scrapeInterval', props.scrapeInterval ?? '30s');
    const extraLabels = validateExtraLabels(this, 'labels', props.labels ?? {});
    const namespace = namespaceOf(this);
    const seen = new Set<string>();
    this.serviceMonitors = props.endpoints.map((endpoint) => {
      validateDnsSubdomain(this, 'endpoints.serviceName', endpoint.serviceName);
      if (seen.has(endpoint.serviceName)) {
        throw new FloeValidationError(
          this,
          'endpoints',
          endpoint.serviceName,
          'metrics endpoints on different Services (one ServiceMonitor per Service)',
        );
      }
      seen.add(endpoint.serviceName);
      return new ServiceMonitor(this, endpoint.serviceName, {
        metadata: {
          name: endpoint.serviceName,
          labels: {
            ...recommendedLabels({
              ...endpoint.identity,
              partOf: props.platformName ?? endpoint.identity.partOf,
            }),
            ...extraLabels,
          },
        },
        spec: {
          selector: { matchLabels: metricsServiceSelector(endpoint) },
          namespaceSelector: { matchNames: [namespace] },
          endpoints: [
            {
              port: endpoint.portName,
              path: endpoint.path,
              interval,
              scheme: ServiceMonitorSpecEndpointsScheme.HTTP,
            },
          ],
        },
      });
    });
  }
}
