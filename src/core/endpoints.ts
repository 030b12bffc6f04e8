import { Chart } from 'cdk8s';
import { IConstruct } from 'constructs';

/** What follows `<service>.<namespace>` in the fully qualified name of a Service. */
export const SERVICE_DOMAIN_SUFFIX = '.svc.cluster.local';

/** The namespace used when a construct's chart has none. */
export const DEFAULT_NAMESPACE = 'default';

/** A TCP endpoint of a Kubernetes Service, addressable from any namespace. */
export interface ServiceEndpoint {
  /** Service name, e.g. `polaris`. */
  readonly serviceName: string;
  /** Namespace of the Service. */
  readonly namespace: string;
  /** Service port. */
  readonly port: number;
  /** Fully qualified host name, e.g. `polaris.floe-platform.svc.cluster.local`. */
  readonly host: string;
  /** `host:port`. */
  readonly address: string;
}

/** The namespace objects in `scope` are written to. */
export function namespaceOf(scope: IConstruct): string {
  return Chart.of(scope).namespace ?? DEFAULT_NAMESPACE;
}

/** Describes the endpoint of a Service in the namespace of `scope`. */
export function serviceEndpoint(scope: IConstruct, serviceName: string, port: number): ServiceEndpoint {
  const namespace = namespaceOf(scope);
  const host = `${serviceName}.${namespace}${SERVICE_DOMAIN_SUFFIX}`;
  return { serviceName, namespace, port, host, address: `${host}:${port}` };
}

/** `scheme://host:port/path` for an endpoint. */
export function endpointUrl(endpoint: ServiceEndpoint, path = '', scheme = 'http'): string {
  return `${scheme}://${endpoint.address}${path}`;
}
