import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { ServiceEndpoint } from './endpoints';
import { FloeValidationError } from './errors';
import { WorkloadIdentity } from './labels';
import { checkProps } from './props-check';
import { objectMeta } from './service';
import { validateDnsSubdomain } from './validation';

// A host an Ingress rule accepts: a DNS subdomain, optionally with one leading wildcard label.
const INGRESS_HOST = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// Annotation keys: an optional DNS-subdomain prefix and a name of at most 63 characters.
const ANNOTATION_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** How one service is exposed outside the cluster through an Ingress. */
export interface IngressOptions {
  /**
   * Host name the Ingress serves, e.g. `dagster.platform.example.com` (a leading `*.` is allowed).
   * @default - every host (a rule without `host`)
   */
  readonly host?: string;
  /**
   * `ingressClassName`, e.g. `nginx`.
   * @default - the cluster's default IngressClass
   */
  readonly className?: string;
  /**
   * Existing `kubernetes.io/tls` Secret holding the certificate for `host` (with cert-manager, the
   * Secret it should write). Requires `host`.
   * @default - no TLS
   */
  readonly tlsSecretName?: string;
  /**
   * Annotations of the Ingress, e.g. `cert-manager.io/cluster-issuer: letsencrypt-prod` or
   * controller-specific settings.
   * @default - none
   */
  readonly annotations?: Record<string, string>;
}

/** What `addIngress` puts an Ingress in front of. */
export interface IngressTarget {
  /** The Service (name and port) that receives the traffic. */
  readonly endpoint: ServiceEndpoint;
  /** Labels of the workload behind the Service; the Ingress carries them with component `ingress`. */
  readonly identity: WorkloadIdentity;
}

/**
 * Adds an Ingress (networking.k8s.io/v1) named after the target's Service that sends every path
 * of `options.host` to the Service's port. Validation errors name `field` (e.g. `ingress.catalog`).
 */
export function addIngress(
  scope: Construct,
  id: string,
  field: string,
  target: IngressTarget,
  options: IngressOptions,
): k8s.KubeIngress {
  checkProps(scope, 'IngressOptions', options, field);
  if (options.host !== undefined && (options.host.length > 253 || !INGRESS_HOST.test(options.host))) {
    throw new FloeValidationError(
      scope,
      `${field}.host`,
      options.host,
      "a host name: a DNS-1123 subdomain such as 'dagster.example.com', optionally starting with '*.'",
    );
  }
  if (options.className !== undefined) {
    validateDnsSubdomain(scope, `${field}.className`, options.className);
  }
  if (options.tlsSecretName !== undefined) {
    validateDnsSubdomain(scope, `${field}.tlsSecretName`, options.tlsSecretName);
    if (options.host === undefined) {
      throw new FloeValidationError(
        scope,
        `${field}.host`,
        undefined,
        'a host name when tlsSecretName is set (the certificate is for a host)',
      );
    }
  }
  for (const key of Object.keys(options.annotations ?? {})) {
    if (!ANNOTATION_KEY.test(key)) {
      throw new FloeValidationError(
        scope,
        `${field}.annotations`,
        key,
        "annotation keys of the form 'prefix/name' or 'name' (name: at most 63 letters, digits, '-', '_' or '.')",
      );
    }
  }
  const annotations = Object.fromEntries(
    Object.entries(options.annotations ?? {}).sort(([a], [b]) => a.localeCompare(b)),
  );
  const { endpoint, identity } = target;
  return new k8s.KubeIngress(scope, id, {
    metadata: objectMeta(endpoint.serviceName, { ...identity, component: 'ingress' }, annotations),
    spec: {
      ...(options.className !== undefined ? { ingressClassName: options.className } : {}),
      ...(options.tlsSecretName !== undefined && options.host !== undefined
        ? { tls: [{ hosts: [options.host], secretName: options.tlsSecretName }] }
        : {}),
      rules: [
        {
          ...(options.host !== undefined ? { host: options.host } : {}),
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: {
                  service: { name: endpoint.serviceName, port: { number: endpoint.port } },
                },
              },
            ],
          },
        },
      ],
    },
  });
}
