import { IConstruct } from 'constructs';
import { FloeValidationError } from './errors';
import { selectorLabels, WorkloadIdentity } from './labels';
import { validateLabelValue, validatePort } from './validation';

/**
 * Annotations a Service carries to have its pods scraped by a metrics backend with service
 * discovery (the widespread `prometheus.io/*` convention, honoured by the `Prometheus` construct):
 *
 * - `prometheus.io/scrape: "true"`: required; without it the Service is ignored.
 * - `prometheus.io/path`: the metrics path. Default `/metrics`.
 * - `prometheus.io/port`: the container port number to scrape. Without it every port of the Service
 *   is scraped, so set it whenever the Service has more than one port.
 */
export const SCRAPE_ANNOTATIONS = {
  scrape: 'prometheus.io/scrape',
  path: 'prometheus.io/path',
  port: 'prometheus.io/port',
} as const;

const URL_PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/;

/** Checks an absolute URL path such as `/metrics`. */
export function validateUrlPath(scope: IConstruct | string, field: string, value: string): string {
  if (typeof value !== 'string' || !URL_PATH.test(value)) {
    throw new FloeValidationError(
      scope,
      field,
      value,
      "an absolute URL path starting with '/', e.g. '/metrics'",
    );
  }
  return value;
}

/**
 * The annotations that make a Service's pods scraped on `port` at `path`.
 * @param port container port that serves Prometheus metrics
 * @param path metrics path
 * @param scope what error messages name as the source of a bad value
 */
export function scrapeAnnotations(
  port: number,
  path = '/metrics',
  scope: IConstruct | string = 'scrapeAnnotations',
): Record<string, string> {
  validatePort(scope, 'port', port);
  validateUrlPath(scope, 'path', path);
  return {
    [SCRAPE_ANNOTATIONS.scrape]: 'true',
    [SCRAPE_ANNOTATIONS.path]: path,
    [SCRAPE_ANNOTATIONS.port]: String(port),
  };
}

/**
 * Label of the one Service per workload that serves a metrics endpoint, so that a ServiceMonitor
 * selects that Service and not also the workload's headless Service (which carries the same
 * recommended labels and would have every pod scraped twice).
 */
export const METRICS_SERVICE_LABEL = 'floe.dev/metrics';

/**
 * A Prometheus metrics endpoint served by the pods behind a Service: the one description from
 * which the Service's `prometheus.io/*` annotations and the platform's ServiceMonitors are derived.
 */
export interface MetricsEndpoint {
  /** Name of the Service in front of the pods (also the name of its ServiceMonitor). */
  readonly serviceName: string;
  /** Labels of the workload behind the Service; the Service carries the same labels. */
  readonly identity: WorkloadIdentity;
  /** Name of the Service port that serves the metrics. */
  readonly portName: string;
  /** Number of that port, on the Service and on the container. */
  readonly port: number;
  /** The metrics path, e.g. `/metrics`. */
  readonly path: string;
}

/**
 * Describes a metrics endpoint, validating port and path.
 * @param scope what error messages name as the source of a bad value
 * @param endpoint the endpoint
 */
export function metricsEndpoint(scope: IConstruct | string, endpoint: MetricsEndpoint): MetricsEndpoint {
  validatePort(scope, 'metrics port', endpoint.port);
  validateUrlPath(scope, 'metrics path', endpoint.path);
  return { ...endpoint };
}

/** The labels that select exactly the Service of a metrics endpoint (its workload's selector labels plus `METRICS_SERVICE_LABEL`). */
export function metricsServiceSelector(endpoint: MetricsEndpoint): Record<string, string> {
  return { ...selectorLabels(endpoint.identity), [METRICS_SERVICE_LABEL]: 'true' };
}

const PROMETHEUS_DURATION =
  /^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$/;

/** Checks a non-zero Prometheus duration such as `30s`, `2m` or `1h30m` (the pattern the prometheus-operator CRDs enforce). */
export function validatePrometheusDuration(scope: IConstruct | string, field: string, value: string): string {
  if (typeof value !== 'string' || value === '' || !PROMETHEUS_DURATION.test(value) || !/[1-9]/.test(value)) {
    throw new FloeValidationError(
      scope,
      field,
      value,
      "a non-zero Prometheus duration: units y, w, d, h, m, s, ms in that order, e.g. '30s', '2m', '1h30m'",
    );
  }
  return value;
}

const LABEL_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/**
 * Checks extra labels for monitoring objects (e.g. `release: kube-prometheus-stack` for the
 * Prometheus operator's selectors): valid Kubernetes label keys and values, and not one of the
 * `app.kubernetes.io/*` labels the library sets itself.
 */
export function validateExtraLabels(
  scope: IConstruct | string,
  field: string,
  labels: Record<string, string>,
): Record<string, string> {
  for (const [key, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(key) || key.startsWith('app.kubernetes.io/')) {
      throw new FloeValidationError(
        scope,
        `${field}.${key}`,
        key,
        "a label key of the form 'prefix/name' or 'name', not one of the app.kubernetes.io/* labels the library sets",
      );
    }
    validateLabelValue(scope, `${field}.${key}`, value);
  }
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}
