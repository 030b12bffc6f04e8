import { IConstruct } from 'constructs';
import { FloeValidationError } from './errors';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Checks that `value` is an integer in `[min, max]`. */
export function validateInteger(
  scope: IConstruct | string,
  field: string,
  value: number,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range =
      max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw new FloeValidationError(scope, field, value, range);
  }
  return value;
}

/** Checks a replica count: an integer of at least 1. */
export function validateReplicas(scope: IConstruct | string, field: string, value: number): number {
  return validateInteger(scope, field, value, 1);
}

/** Checks a TCP/UDP port number: an integer from 1 to 65535. */
export function validatePort(scope: IConstruct | string, field: string, value: number): number {
  return validateInteger(scope, field, value, 1, 65535);
}

/**
 * Checks an RFC 1123 DNS label (Service, container and most object names): lower-case
 * alphanumerics and '-', starting and ending with an alphanumeric, at most `maxLength` characters.
 */
export function validateDnsLabel(
  scope: IConstruct | string,
  field: string,
  value: string,
  maxLength = 63,
): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength || !DNS_LABEL.test(value)) {
    throw new FloeValidationError(
      scope,
      field,
      value,
      `a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, 1 to ${maxLength} characters`,
    );
  }
  return value;
}

/** Checks an RFC 1123 DNS subdomain (ConfigMap, Secret, host names): at most 253 characters. */
export function validateDnsSubdomain(scope: IConstruct | string, field: string, value: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 253 || !DNS_SUBDOMAIN.test(value)) {
    throw new FloeValidationError(
      scope,
      field,
      value,
      "a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', at most 253 characters",
    );
  }
  return value;
}

/** Checks an environment variable name as Kubernetes 1.28 accepts it. */
export function validateEnvName(scope: IConstruct | string, field: string, value: string): string {
  if (typeof value !== 'string' || !ENV_NAME.test(value)) {
    throw new FloeValidationError(
      scope,
      field,
      value,
      "an environment variable name: letters, digits, '_', '-' and '.', not starting with a digit",
    );
  }
  return value;
}

/** Checks a Kubernetes resource quantity such as `500m`, `1`, `512Mi`, `2Gi`. */
export function validateQuantity(scope: IConstruct | string, field: string, value: string): string {
  if (typeof value !== 'string' || !QUANTITY.test(value) || Number.isNaN(parseFloat(value))) {
    throw new FloeValidationError(
      scope,
      field,
      value,
      "a Kubernetes quantity such as '500m', '2', '512Mi' or '1Gi'",
    );
  }
  return value;
}

/** Checks a label value: at most 63 characters of alphanumerics, '-', '_' and '.'. */
export function validateLabelValue(scope: IConstruct | string, field: string, value: string): string {
  if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
    throw new FloeValidationError(
      scope,
      field,
      value,
      "a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
    );
  }
  return value;
}

/** Where product images are: a registry host with optional port and path, no scheme, no tag. */
export const IMAGE_REPOSITORY_PREFIX =
  /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

/** What `productImageRepositoryPrefix` accepts, as error messages say it. */
export const IMAGE_REPOSITORY_PREFIX_RULE =
  "a registry host with an optional port and path, without scheme or tag, e.g. 'registry.example.com/floe-products'";

/** Checks a `productImageRepositoryPrefix`. */
export function validateImageRepositoryPrefix(
  scope: IConstruct | string,
  field: string,
  value: string,
): string {
  if (typeof value !== 'string' || !IMAGE_REPOSITORY_PREFIX.test(value)) {
    throw new FloeValidationError(scope, field, value, IMAGE_REPOSITORY_PREFIX_RULE);
  }
  return value;
}
