import { IConstruct } from 'constructs';
import { FloeValidationError } from './errors';
import { validatePort } from './validation';

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
