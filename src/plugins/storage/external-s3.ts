import { IConstruct } from 'constructs';
import { FloeValidationError } from '../../core/errors';
import { ServiceEndpoint } from '../../core/endpoints';
import { checkProps } from '../../core/props-check';
import { SecretKeyRef, SecretRequirement } from '../../core/secrets';
import { validateDnsSubdomain } from '../../core/validation';
import { ObjectStoragePlugin, PluginProvider } from '../interfaces';

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IPV4_LIKE = /^\d+\.\d+\.\d+\.\d+$/;
const RESERVED_BUCKET_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_BUCKET_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];
const REGION = /^[a-z][a-z0-9-]*[a-z0-9]$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

/** What `validateBucketName` accepts, for error messages. */
export const BUCKET_NAME_RULES =
  "an S3 bucket name: 3 to 63 lower-case letters, digits, '.' and '-', starting and ending with a letter " +
  "or digit, without '..', '.-' or '-.', not an IP address, not starting with " +
  `${RESERVED_BUCKET_PREFIXES.map((p) => `'${p}'`).join(', ')} and not ending with ` +
  `${RESERVED_BUCKET_SUFFIXES.map((s) => `'${s}'`).join(', ')}`;

/**
 * Checks an S3 bucket name against the AWS naming rules for general purpose buckets, plus the
 * stricter checks MinIO applies (no '.-' or '-.'), so one name works with both.
 */
export function validateBucketName(scope: IConstruct | string, field: string, value: string): string {
  const ok =
    typeof value === 'string' &&
    BUCKET_NAME.test(value) &&
    !value.includes('..') &&
    !value.includes('.-') &&
    !value.includes('-.') &&
    !IPV4_LIKE.test(value) &&
    !RESERVED_BUCKET_PREFIXES.some((p) => value.startsWith(p)) &&
    !RESERVED_BUCKET_SUFFIXES.some((s) => value.endsWith(s));
  if (!ok) {
    throw new FloeValidationError(scope, field, value, BUCKET_NAME_RULES);
  }
  return value;
}

/** Checks a region name as S3 clients send it, e.g. `us-east-1`, `eu-central-1` (or `auto`). */
export function validateS3Region(scope: IConstruct | string, field: string, value: string): string {
  if (typeof value !== 'string' || value.length > 32 || !REGION.test(value)) {
    throw new FloeValidationError(
      scope,
      field,
      value,
      "a region name: lower-case letters, digits and '-', starting with a letter, e.g. 'us-east-1'",
    );
  }
  return value;
}

/** Checks a reference to one key of an existing Secret. */
export function validateSecretKeyRef(
  scope: IConstruct | string,
  field: string,
  ref: SecretKeyRef,
): SecretKeyRef {
  if (ref === null || typeof ref !== 'object') {
    throw new FloeValidationError(scope, field, ref, 'a Secret reference { name, key }');
  }
  validateDnsSubdomain(scope, `${field}.name`, ref.name);
  if (typeof ref.key !== 'string' || !SECRET_KEY.test(ref.key)) {
    throw new FloeValidationError(
      scope,
      `${field}.key`,
      ref.key,
      "a Secret data key: letters, digits, '-', '_' and '.', 1 to 253 characters",
    );
  }
  return ref;
}

/**
 * Lists the Secrets behind the access key pair, one entry per Secret (both keys under one entry
 * when they share a Secret).
 */
export function credentialRequirements(
  accessKeyId: SecretKeyRef,
  secretAccessKey: SecretKeyRef,
  purpose: string,
): SecretRequirement[] {
  if (accessKeyId.name === secretAccessKey.name) {
    const keys = [...new Set([accessKeyId.key, secretAccessKey.key])];
    return [{ name: accessKeyId.name, keys, purpose }];
  }
  return [
    { name: accessKeyId.name, keys: [accessKeyId.key], purpose: `${purpose} (access key ID)` },
    { name: secretAccessKey.name, keys: [secretAccessKey.key], purpose: `${purpose} (secret access key)` },
  ];
}

/** The regional AWS S3 endpoint of `region` (China regions live under `amazonaws.com.cn`). */
export function awsS3Endpoint(region: string): string {
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://s3.${region}.${domain}`;
}

/** An S3 bucket outside the cluster: AWS S3 or any S3-compatible service. */
export interface ExternalS3Props {
  /** Region the clients sign requests for, e.g. `eu-west-1`. Required. */
  readonly region: string;
  /** The bucket that holds the Iceberg warehouse. Must exist; nothing creates it. Required. */
  readonly bucket: string;
  /** Access key ID, in an existing Secret. Required. */
  readonly accessKeyId: SecretKeyRef;
  /** Secret access key, in an existing Secret. Required. */
  readonly secretAccessKey: SecretKeyRef;
  /**
   * S3 endpoint URL: scheme, host and optional port, no path, no credentials.
   * @default - the regional AWS endpoint, `https://s3.<region>.amazonaws.com`
   */
  readonly endpoint?: string;
  /**
   * Path-style addressing (`endpoint/bucket/key`) instead of virtual-hosted style
   * (`bucket.endpoint/key`). Most S3-compatible services need it; AWS prefers virtual-hosted.
   * Required for bucket names that contain '.' (virtual-hosted style over HTTPS breaks TLS for them).
   * @default false
   */
  readonly pathStyleAccess?: boolean;
  /**
   * Accept an `http://` endpoint. Keys and data then cross the network in clear text; only for
   * a store on a trusted network.
   * @default false
   */
  readonly allowInsecureHttp?: boolean;
}

/**
 * A bucket in an S3 service that runs outside the platform. Nothing is deployed: the platform's
 * services are only told the endpoint, bucket and where the keys are.
 */
export class ExternalS3 implements ObjectStoragePlugin {
  /** Refers to an external bucket. Validation errors name `path` (the slot it is used in). */
  public static fromBucket(props: ExternalS3Props, path = 'ExternalS3'): ExternalS3 {
    checkProps(path, 'ExternalS3Props', props);
    return new ExternalS3(props, path);
  }

  /** A provider for the platform's storage slot that deploys nothing. */
  public static provider(props: ExternalS3Props): PluginProvider<ObjectStoragePlugin> {
    checkProps('ExternalS3.provider()', 'ExternalS3Props', props);
    return {
      provide: (scope, id) => ExternalS3.fromBucket(props, scope.node.path ? `${scope.node.path}/${id}` : id),
    };
  }

  /** S3 endpoint URL (scheme, host, optional port). */
  public readonly endpoint: string;
  /** Region clients sign requests for. */
  public readonly region: string;
  /** Bucket of the Iceberg warehouse. */
  public readonly warehouseBucket: string;
  /** Path-style (`true`) or virtual-hosted (`false`) addressing. */
  public readonly pathStyleAccess: boolean;
  /** Access key ID, in an existing Secret. */
  public readonly accessKeyId: SecretKeyRef;
  /** Secret access key, in an existing Secret. */
  public readonly secretAccessKey: SecretKeyRef;
  /** The Secret(s) holding the keys. */
  public readonly requiredSecrets: readonly SecretRequirement[];
  /** None: the store runs outside the cluster. */
  public readonly serviceEndpoint?: ServiceEndpoint = undefined;

  private constructor(props: ExternalS3Props, path: string) {
    this.region = validateS3Region(path, 'region', props.region);
    this.warehouseBucket = validateBucketName(path, 'bucket', props.bucket);
    this.accessKeyId = validateSecretKeyRef(path, 'accessKeyId', props.accessKeyId);
    this.secretAccessKey = validateSecretKeyRef(path, 'secretAccessKey', props.secretAccessKey);
    this.pathStyleAccess = props.pathStyleAccess ?? false;
    this.endpoint = validateEndpoint(
      path,
      props.endpoint ?? awsS3Endpoint(this.region),
      props.allowInsecureHttp,
    );
    if (!this.pathStyleAccess && this.warehouseBucket.includes('.') && this.endpoint.startsWith('https:')) {
      throw new FloeValidationError(
        path,
        'pathStyleAccess',
        props.pathStyleAccess,
        `true for the bucket '${this.warehouseBucket}': its name contains '.', and virtual-hosted addressing ` +
          'over HTTPS fails certificate validation for such names',
      );
    }
    if (
      this.accessKeyId.name === this.secretAccessKey.name &&
      this.accessKeyId.key === this.secretAccessKey.key
    ) {
      throw new FloeValidationError(
        path,
        'secretAccessKey',
        this.secretAccessKey,
        'a different Secret key from accessKeyId',
      );
    }
    this.requiredSecrets = credentialRequirements(
      this.accessKeyId,
      this.secretAccessKey,
      `S3 credentials for bucket '${this.warehouseBucket}' at ${this.endpoint}`,
    );
  }
}

function validateEndpoint(path: string, value: string, allowHttp = false): string {
  const allowed = allowHttp
    ? 'an http:// or https:// URL with a host and optional port, without path, query or credentials'
    : 'an https:// URL with a host and optional port, without path, query or credentials ' +
      '(set allowInsecureHttp for an http:// endpoint)';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new FloeValidationError(path, 'endpoint', value, allowed);
  }
  if (url.username !== '' || url.password !== '') {
    // Never echo credentials in an error message.
    throw new FloeValidationError(path, 'endpoint', `${url.protocol}//<redacted>@${url.host}`, allowed);
  }
  const schemeOk = url.protocol === 'https:' || (allowHttp && url.protocol === 'http:');
  if (
    !schemeOk ||
    url.hostname === '' ||
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search !== '' ||
    url.hash !== '' ||
    /\s/.test(value)
  ) {
    throw new FloeValidationError(path, 'endpoint', value, allowed);
  }
  return `${url.protocol}//${url.host}`;
}
