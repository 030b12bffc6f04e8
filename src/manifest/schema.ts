/**
 * The YAML front door: one zod schema per manifest kind. The TypeScript types (`z.infer`) and the
 * JSON Schemas for editors (`schemas/*.json`, see `json-schema.ts`) both come from these.
 *
 * Every object is strict: an unknown field is an error. Defaults are not filled in here; a field
 * left out means "the construct's default", so the constructs stay the one source of truth. Each
 * field's description says which construct property it becomes.
 */
import { z } from 'zod';
import { IMAGE_REPOSITORY_PREFIX, IMAGE_REPOSITORY_PREFIX_RULE } from '../core/validation';
import { CRON_ALLOWED, cronScheduleProblem, isIanaTimeZone } from '../jobs/schedule';
import { BUCKET_NAME_RULES, validateBucketName } from '../plugins/storage/external-s3';

/** The only `apiVersion` this library reads. */
export const API_VERSION = 'floe.dev/v1';

// ---------------------------------------------------------------------------------------------
// Value rules (the same rules the constructs apply, as patterns the JSON Schema can carry too).
// ---------------------------------------------------------------------------------------------

const DNS_LABEL_MESSAGE = (max: number): string =>
  `a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, 1 to ${max} characters`;
const dnsLabelPattern = (max: number): RegExp =>
  new RegExp(`^(?=.{1,${max}}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$`);

/** A DNS-1123 label of at most `max` characters. */
function dnsLabel(max = 63): z.ZodString {
  const error = DNS_LABEL_MESSAGE(max);
  return z.string({ error }).regex(dnsLabelPattern(max), { error });
}

const DNS_SUBDOMAIN_MESSAGE =
  "a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', at most 253 characters";
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A DNS-1123 subdomain (Secret names, host names). */
function dnsSubdomain(): z.ZodString {
  return z.string({ error: DNS_SUBDOMAIN_MESSAGE }).regex(DNS_SUBDOMAIN, { error: DNS_SUBDOMAIN_MESSAGE });
}

const HOST_MESSAGE =
  "a host name: a DNS-1123 subdomain such as 'dagster.example.com', optionally starting with '*.'";
const HOST = /^(?=.{1,253}$)(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const LABEL_VALUE_MESSAGE =
  "a label value: 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
const LABEL_VALUE = /^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

const QUANTITY_MESSAGE = "a Kubernetes quantity as a string, such as '500m', '2' (quoted), '512Mi' or '1Gi'";
const QUANTITY = /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+|[numkMGTPE]|[KMGTPE]i)?$/;

const DURATION_MESSAGE = "a duration: a whole number followed by 'ms', 's', 'm' or 'h', e.g. '60s'";
const DURATION = /^[0-9]+(ms|s|m|h)$/;

const SECRET_KEY_MESSAGE = "a Secret key: letters, digits, '-', '_' and '.', 1 to 253 characters";
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

const ENV_NAME_MESSAGE =
  "an environment variable name: letters, digits, '_', '-' and '.', not starting with a digit";
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

const VERSION_MESSAGE =
  "a version string such as '1.0' or '1.2.3' (quote it: an unquoted 1.0 is a number in YAML)";
const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/;

const TAG_MESSAGE = "an image tag: letters, digits, '_', '.' and '-', at most 128 characters, not 'latest'";
const TAG = /^(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

const REGISTRY_MESSAGE =
  "a registry host with an optional port and path, without a scheme, e.g. 'registry.example.com/mirror'";
const REGISTRY = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?(\/[a-z0-9._-]+)*$/;

const REPOSITORY_MESSAGE = "an image repository such as 'dagster/dagster-celery-k8s' (lower case, no tag)";
const REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

const IMAGE_REFERENCE_MESSAGE =
  "an image reference with a pinned tag, e.g. 'registry.example.com/sales/customer-360:1.4.2' (no digest, not 'latest')";
const IMAGE_REFERENCE = /^[^\s@:]+(:[0-9]{1,5})?(\/[^\s@:]+)*:(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

const URI_MESSAGE =
  "an http:// or https:// URL without credentials, e.g. 'https://polaris.example.com/api/catalog'";
const URI = /^https?:\/\/[^\s/@]+(\/[^\s]*)?$/;

const PATH_MESSAGE = 'a non-empty path';

/** A string matching `pattern`, with `message` as the "expected ..." text of every error. */
function matching(pattern: RegExp, message: string): z.ZodString {
  return z.string({ error: message }).regex(pattern, { error: message });
}

/** An integer from `min` to `max`. */
function integer(min: number, max?: number): z.ZodNumber {
  const error = max === undefined ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  const base = z.number({ error }).int({ error }).min(min, { error });
  return max === undefined ? base : base.max(max, { error });
}

/** `true` or `false`. */
function bool(): z.ZodBoolean {
  return z.boolean({ error: 'true or false' });
}

/** A non-empty string. */
function text(error = 'a non-empty string'): z.ZodString {
  return z.string({ error }).min(1, { error });
}

const apiVersion = z.literal(API_VERSION, { error: `'${API_VERSION}'` });

/** `metadata` of the platform, enterprise and domain manifests. */
const versionedMetadata = (nameDescription: string, nameSchema: z.ZodString) =>
  z
    .strictObject({
      name: nameSchema.describe(nameDescription),
      version: matching(VERSION, VERSION_MESSAGE).describe(
        'Version of this manifest; the Helm chart version with `floe synth --format helm`. Required.',
      ),
    })
    .describe('Name and version. Required.');

// ---------------------------------------------------------------------------------------------
// Shared building blocks.
// ---------------------------------------------------------------------------------------------

/** A key in an existing Secret (`SecretKeyRef`). */
export const SecretKeyRefSchema = z
  .strictObject({
    name: dnsSubdomain().describe('Name of the existing Secret. Required.'),
    key: matching(SECRET_KEY, SECRET_KEY_MESSAGE).describe('Key within the Secret. Required.'),
  })
  .describe('A key of an existing Secret.')
  .meta({ id: 'SecretKeyRef' });

/** Requests and limits of one container (`ResourceRequirements`). */
export const ResourcesSchema = z
  .strictObject({
    requests: z
      .strictObject({
        cpu: matching(QUANTITY, QUANTITY_MESSAGE).describe("CPU request, e.g. '250m'. Required."),
        memory: matching(QUANTITY, QUANTITY_MESSAGE).describe("Memory request, e.g. '256Mi'. Required."),
      })
      .describe('What the scheduler reserves. Required.'),
    limits: z
      .strictObject({
        cpu: matching(QUANTITY, QUANTITY_MESSAGE)
          .optional()
          .describe("CPU limit, e.g. '1000m'. Default: no CPU limit."),
        memory: matching(QUANTITY, QUANTITY_MESSAGE).describe("Memory limit, e.g. '1Gi'. Required."),
      })
      .describe('Limits; a memory limit is required. Required.'),
  })
  .describe('Requests and limits (`ResourceRequirements`). Default: the component defaults.')
  .meta({ id: 'Resources' });

/** An image override (`ImageOverride`). */
export const ImageOverrideSchema = z
  .strictObject({
    registry: matching(REGISTRY, REGISTRY_MESSAGE)
      .optional()
      .describe('Registry host. Default: `images.registry`, else the upstream registry.'),
    repository: matching(REPOSITORY, REPOSITORY_MESSAGE)
      .optional()
      .describe('Repository within the registry. Default: the upstream repository.'),
    tag: matching(TAG, TAG_MESSAGE)
      .optional()
      .describe('Pinned tag. Default: the version this library is tested with.'),
  })
  .describe('Image override (`ImageOverride`). Default: the component image.')
  .meta({ id: 'ImageOverride' });

/** An Ingress in front of a service's HTTP port. */
export const IngressSchema = z
  .strictObject({
    enabled: bool().describe('Create the Ingress. Required.'),
    host: matching(HOST, HOST_MESSAGE)
      .optional()
      .describe('Host name the Ingress serves. Default: none (every host).'),
    className: dnsSubdomain().optional().describe('`ingressClassName`. Default: the cluster default class.'),
    tlsSecret: dnsSubdomain()
      .optional()
      .describe('Existing `kubernetes.io/tls` Secret for `host`. Default: no TLS.'),
    annotations: z
      .record(z.string(), z.string({ error: 'a string' }))
      .optional()
      .describe('Annotations of the Ingress (e.g. cert-manager issuers). Default: none.'),
  })
  .describe('Ingress for the service UI/API. Default: no Ingress.')
  .meta({ id: 'Ingress' });

/** Per-service knobs. */
export const ServiceSettingsSchema = z
  .strictObject({
    replicas: integer(1)
      .optional()
      .describe('Pod count (`replicas`); singletons refuse more than 1. Default: the component default.'),
    resources: ResourcesSchema.optional(),
    ingress: IngressSchema.optional(),
    image: ImageOverrideSchema.optional(),
  })
  .describe('Replicas, resources, ingress and image of one service. Default: the component defaults.')
  .meta({ id: 'ServiceSettings' });

const serviceSettings = (what: string) => ServiceSettingsSchema.optional().describe(what);

/** An external PostgreSQL (`ExternalDatabaseProps`). */
export const ExternalDatabaseSchema = z
  .strictObject({
    host: matching(HOST, HOST_MESSAGE).describe('Host name of the server. Required.'),
    port: integer(1, 65535).optional().describe('Port. Default: 5432.'),
    database: text()
      .optional()
      .describe('Database name. Default: what the plugin asks for (e.g. `dagster`).'),
    username: text().optional().describe('User name. Default: what the plugin asks for (e.g. `dagster`).'),
    passwordSecret: SecretKeyRefSchema.describe(
      "The user's password. Dagster reads the key `postgresql-password`. Required.",
    ),
  })
  .describe('A PostgreSQL server outside the cluster; the in-cluster instance is then not deployed.')
  .meta({ id: 'ExternalDatabase' });

/** Registry mirror and pull Secrets for every image. */
export const ImagesSchema = z
  .strictObject({
    registry: matching(REGISTRY, REGISTRY_MESSAGE)
      .optional()
      .describe(
        'Registry replacing every upstream registry (`imageRegistry`). Default: upstream registries.',
      ),
    pullSecrets: z
      .array(dnsSubdomain(), { error: 'a list of Secret names' })
      .optional()
      .describe('Existing image pull Secrets (`imagePullSecrets`). Default: none.'),
    productRepositoryPrefix: matching(IMAGE_REPOSITORY_PREFIX, IMAGE_REPOSITORY_PREFIX_RULE)
      .optional()
      .describe(
        "Where the data product images floe's CI builds are, e.g. 'registry.example.com/floe-products' (`productImageRepositoryPrefix`): a product (floe.yaml) without `image` runs `<prefix>/<metadata.name>:<metadata.version>`, so its version must be a valid image tag (no SemVer build metadata '+...', not 'latest'). A domain without one uses its enterprise's. Default: none (every product names its `image`).",
      ),
  })
  .describe(
    'Images of every component, and of the data products. Default: upstream registries, no pull Secrets, products name their image.',
  )
  .meta({ id: 'Images' });

// ---------------------------------------------------------------------------------------------
// Plugin selection.
// ---------------------------------------------------------------------------------------------

/** Dagster daemon settings, as floe's docs show them. */
export const DagsterDaemonSchema = z
  .strictObject({
    mode: z
      .enum(['single', 'ha'], { error: "'single' or 'ha'" })
      .optional()
      .describe(
        "'single': one daemon pod, restarted by Kubernetes. 'ha': two pods, one active: only the holder of the Lease `dagster-daemon-leader` runs the daemon, a standby takes over when it stops renewing (`Dagster` `daemon.mode`). Default: 'single'.",
      ),
    restart_timeout: matching(DURATION, DURATION_MESSAGE)
      .optional()
      .describe('Longest acceptable time to restart a failed daemon. Default: 60s.'),
    health_check_interval: matching(DURATION, DURATION_MESSAGE)
      .optional()
      .describe("Period of the daemon's liveness check. Default: 30s."),
  })
  .describe('Dagster daemon settings. Default: single mode.')
  .meta({ id: 'DagsterDaemon' });

/** A Dagster code location (`DagsterCodeLocation`). */
export const CodeLocationSchema = z
  .strictObject({
    name: dnsLabel(48).describe(
      'Code location name; the Deployment and Service are `dagster-<name>`. Required.',
    ),
    image: matching(IMAGE_REFERENCE, IMAGE_REFERENCE_MESSAGE).describe(
      'The user-code image, pinned. Required.',
    ),
    moduleName: text()
      .optional()
      .describe(
        'Python module with the `Definitions`. Default: none (one of moduleName, pythonFile, packageName).',
      ),
    pythonFile: text().optional().describe('Python file with the `Definitions`. Default: none.'),
    packageName: text().optional().describe('Installed package with the `Definitions`. Default: none.'),
    port: integer(1, 65535).optional().describe('gRPC port. Default: 3030.'),
    replicas: integer(1).optional().describe('Code server pods. Default: 1.'),
    resources: ResourcesSchema.optional(),
  })
  .describe('A Dagster code location (gRPC code server).')
  .meta({ id: 'CodeLocation' });

/** The orchestrator slot. Only Dagster exists. */
export const OrchestratorSchema = z
  .strictObject({
    type: z.literal('dagster', { error: "'dagster'" }).describe('Orchestrator plugin. Required.'),
    daemon: DagsterDaemonSchema.optional(),
    maxConcurrentRuns: integer(-1)
      .optional()
      .describe('Runs the queue lets run at once; -1 for no limit. Default: 10.'),
    codeLocations: z
      .array(CodeLocationSchema, { error: 'a list of code locations' })
      .optional()
      .describe('Code locations the instance loads. Default: none.'),
  })
  .describe('Orchestrator slot (`Dagster.provider()`).')
  .meta({ id: 'Orchestrator' });

/** The catalog slot: in-cluster Polaris, or an external Iceberg REST catalog. */
export const CatalogSchema = z
  .discriminatedUnion(
    'type',
    [
      z
        .strictObject({
          type: z.literal('polaris').describe('Polaris in the cluster, on its own PostgreSQL `catalog-db`.'),
          warehouse: text().optional().describe("Catalog (warehouse) name. Default: 'floe'."),
        })
        .describe('Polaris (`Polaris.provider()`).'),
      z
        .strictObject({
          type: z.literal('external').describe('An Iceberg REST catalog outside the cluster.'),
          uri: matching(URI, URI_MESSAGE).describe('Iceberg REST catalog URI (`catalogUri`). Required.'),
          warehouse: text().describe('Catalog (warehouse) name clients use. Required.'),
        })
        .describe('External catalog (`ExternalCatalog.provider()`).'),
    ],
    { error: "a catalog with 'type: polaris' or 'type: external'" },
  )
  .describe("Iceberg catalog slot. Default: type 'polaris'.")
  .meta({ id: 'Catalog' });

/** The semantic layer slot. */
export const SemanticSchema = z
  .strictObject({
    type: z.enum(['cube', 'none'], { error: "'cube' or 'none'" }).describe("'cube' or 'none'. Required."),
  })
  .describe("Semantic layer slot (`Cube.provider()` or 'none'). Default: type 'cube'.")
  .meta({ id: 'Semantic' });

/** The S3 credentials of an external bucket. */
export const S3CredentialsSecretSchema = z
  .strictObject({
    name: dnsSubdomain().describe('Existing Secret with the access keys. Required.'),
    accessKeyIdKey: matching(SECRET_KEY, SECRET_KEY_MESSAGE)
      .optional()
      .describe("Key of the access key ID. Default: 'access-key-id'."),
    secretAccessKeyKey: matching(SECRET_KEY, SECRET_KEY_MESSAGE)
      .optional()
      .describe("Key of the secret access key. Default: 'secret-access-key'."),
  })
  .describe('Where the S3 access keys are.')
  .meta({ id: 'S3CredentialsSecret' });

/** The object storage slot. */
export const StorageSchema = z
  .discriminatedUnion(
    'type',
    [
      z
        .strictObject({
          type: z.literal('minio').describe('MinIO in the cluster.'),
          bucket: dnsSubdomain()
            .optional()
            .describe("Warehouse bucket (`warehouseBucket`). Default: 'floe-warehouse'."),
          storageSize: matching(QUANTITY, QUANTITY_MESSAGE)
            .optional()
            .describe('Volume size per MinIO pod. Default: the MinIO default.'),
          storageClassName: dnsSubdomain()
            .optional()
            .describe('StorageClass of the volumes. Default: the cluster default.'),
        })
        .describe('MinIO (`MinIO.provider()`).'),
      z
        .strictObject({
          type: z.literal('s3').describe('An S3 bucket outside the cluster (AWS S3 or S3-compatible).'),
          endpoint: matching(URI, URI_MESSAGE)
            .optional()
            .describe('S3 endpoint URL. Default: the regional AWS endpoint.'),
          region: text().describe("Region, e.g. 'eu-west-1'. Required."),
          bucket: text().describe('The existing warehouse bucket. Required.'),
          credentialsSecret: S3CredentialsSecretSchema,
          pathStyleAccess: bool().optional().describe('Path-style addressing. Default: false.'),
        })
        .describe('External S3 (`ExternalS3.provider()`).'),
    ],
    { error: "a storage with 'type: minio' or 'type: s3'" },
  )
  .describe("Object storage slot. Default: type 'minio'.")
  .meta({ id: 'Storage' });

/** Observability backends. */
export const ObservabilitySchema = z
  .strictObject({
    tracing: z
      .enum(['jaeger', 'none'], { error: "'jaeger' or 'none'" })
      .optional()
      .describe("Trace backend (`Jaeger.provider()`). Default: 'none'."),
    lineage: z
      .enum(['marquez', 'none'], { error: "'marquez' or 'none'" })
      .optional()
      .describe("Lineage backend (`Marquez.provider()`). Default: 'none'."),
    metrics: z
      .enum(['prometheus', 'none'], { error: "'prometheus' or 'none'" })
      .optional()
      .describe("Metrics backend (`Prometheus.provider()`). Default: 'prometheus'."),
    dashboards: z
      .enum(['grafana', 'none'], { error: "'grafana' or 'none'" })
      .optional()
      .describe("Dashboards (`Grafana.provider()`). Default: 'grafana'."),
    collector: z
      .strictObject({
        mode: z
          .enum(['deployment', 'daemonset'], { error: "'deployment' or 'daemonset'" })
          .describe('Deployment (a central pool) or DaemonSet (one agent per node). Required.'),
      })
      .optional()
      .describe("OpenTelemetry Collector (`OtelCollector.provider()`). Default: mode 'deployment'."),
  })
  .describe('Observability options. Default: Prometheus, Grafana and the collector; no tracing, no lineage.')
  .meta({ id: 'Observability' });

/** External databases by the instance name a plugin asks for. */
export const DatabaseSchema = z
  .strictObject({
    external: z
      .strictObject({
        'orchestrator-db': ExternalDatabaseSchema.optional(),
        'catalog-db': ExternalDatabaseSchema.optional(),
        'lineage-db': ExternalDatabaseSchema.optional(),
      })
      .optional()
      .describe(
        'External servers by instance (`externalDatabases`). Default: every database in the cluster.',
      ),
  })
  .describe('Databases. Default: in-cluster PostgreSQL per plugin.');

// ---------------------------------------------------------------------------------------------
// Production features (`ProductionOptions`, `sizing`, `networkPolicies`, `monitoring`, `backups`).
// ---------------------------------------------------------------------------------------------

const CIDR_MESSAGE = "a CIDR: an IPv4 or IPv6 address with a prefix length, e.g. '10.0.0.0/8' or 'fd00::/8'";
const CIDR =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$|^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*\/(12[0-8]|1[01]\d|[1-9]?\d)$/;

const LABEL_KEY_MESSAGE = "a label key of the form 'prefix/name' or 'name'";
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

const EXTRA_LABEL_KEY_MESSAGE =
  "a label key of the form 'prefix/name' or 'name', not one of the app.kubernetes.io/* labels the library sets";
const EXTRA_LABEL_KEY = new RegExp(`^(?!app\\.kubernetes\\.io/)${LABEL_KEY.source.slice(1)}`);

const PROMETHEUS_DURATION_MESSAGE =
  "a non-zero Prometheus duration: units y, w, d, h, m, s, ms in that order, e.g. '30s', '2m', '1h30m'";
const PROMETHEUS_DURATION =
  /^(?=.*[1-9])(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$/;

const KEY_PREFIX_MESSAGE =
  "an object key prefix: segments of letters, digits, '.', '_' and '-' separated by '/', e.g. 'postgres'";
const KEY_PREFIX = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** A mapping of label keys (matching `key`) to label values. */
function labelMap(key: RegExp, keyMessage: string): z.ZodRecord<z.ZodString, z.ZodString> {
  return z.record(matching(key, keyMessage), matching(LABEL_VALUE, LABEL_VALUE_MESSAGE), {
    error: 'a mapping of label keys to values',
  });
}

/** A cron schedule, checked as the CronJob controller parses it. */
function cron(): z.ZodString {
  return z.string({ error: CRON_ALLOWED }).superRefine((value, ctx) => {
    const problem = cronScheduleProblem(value);
    if (problem !== undefined) {
      ctx.addIssue({ code: 'custom', message: `a cron expression (${problem})`, input: value });
    }
  });
}

/** An IANA time zone name. */
function timeZone(): z.ZodString {
  return z.string({ error: 'an IANA time zone name' }).refine(isIanaTimeZone, {
    error: "an IANA time zone name such as 'Europe/Berlin' or 'UTC' (not 'Local', not an offset)",
  });
}

/** An S3 bucket name, as `validateBucketName` checks it (AWS and MinIO rules). */
function bucketName(): z.ZodString {
  return z.string({ error: BUCKET_NAME_RULES }).refine(
    (value) => {
      try {
        validateBucketName('bucket', 'bucket', value);
        return true;
      } catch {
        return false;
      }
    },
    { error: BUCKET_NAME_RULES },
  );
}

/** `true` or `false` as one branch of a "switch or options" union. */
const onOff = (): z.ZodBoolean => z.boolean({ error: 'true, false' });

/** Network isolation options (`NetworkPolicyOptions`). */
export const NetworkPolicyOptionsSchema = z
  .strictObject(
    {
      dns: z
        .strictObject({
          namespace: dnsLabel()
            .optional()
            .describe("Namespace of the cluster DNS pods. Default: 'kube-system'."),
          podLabels: labelMap(LABEL_KEY, LABEL_KEY_MESSAGE)
            .optional()
            .describe('Labels of the cluster DNS pods. Default: { k8s-app: kube-dns }.'),
          cidrs: z
            .array(matching(CIDR, CIDR_MESSAGE), { error: 'a list of CIDRs' })
            .optional()
            .describe(
              "More DNS server addresses pods query, e.g. NodeLocal DNSCache's '169.254.20.10/32'. Default: none.",
            ),
        })
        .optional()
        .describe('The DNS servers every pod may query (UDP and TCP 53). Default: the cluster DNS.'),
      kubernetesApi: z
        .strictObject({
          cidrs: z
            .array(matching(CIDR, CIDR_MESSAGE), { error: 'a list of CIDRs' })
            .optional()
            .describe("CIDRs of the API server. Default: ['0.0.0.0/0']."),
          ports: z
            .array(integer(1, 65535), { error: 'a list of ports' })
            .min(1, { error: 'at least one port' })
            .optional()
            .describe('Ports of the API server. Default: [443, 6443].'),
        })
        .optional()
        .describe(
          'The Kubernetes API server, for the pods that call it. Default: any address, ports 443 and 6443.',
        ),
      ingressController: z
        .strictObject({
          namespace: dnsLabel()
            .optional()
            .describe("Namespace of the controller pods. Default: 'ingress-nginx'."),
          podLabels: labelMap(LABEL_KEY, LABEL_KEY_MESSAGE)
            .optional()
            .describe(
              'Labels of the controller pods. Default: { app.kubernetes.io/name: ingress-nginx, app.kubernetes.io/component: controller }.',
            ),
        })
        .optional()
        .describe('The ingress controller that forwards to the exposed Services. Default: ingress-nginx.'),
      metricsScraper: z
        .strictObject({
          namespace: dnsLabel()
            .optional()
            .describe("Namespace of the Prometheus pods. Default: 'monitoring'."),
          podLabels: labelMap(LABEL_KEY, LABEL_KEY_MESSAGE)
            .optional()
            .describe(
              'Labels of the Prometheus pods. Default: { app.kubernetes.io/name: prometheus, app.kubernetes.io/managed-by: prometheus-operator }.',
            ),
        })
        .optional()
        .describe(
          "The Prometheus the ServiceMonitors configure, admitted to the metrics ports they name. Default: the Prometheus operator's, in namespace 'monitoring'.",
        ),
      externalCidrs: z
        .array(matching(CIDR, CIDR_MESSAGE), { error: 'a list of CIDRs' })
        .optional()
        .describe(
          "CIDRs servers outside the cluster are reached in (external database, S3, catalog). Default: ['0.0.0.0/0'].",
        ),
    },
    { error: 'a mapping of network policy options' },
  )
  .describe('Network policy options (`NetworkPolicyOptions`).')
  .meta({ id: 'NetworkPolicyOptions' });

/** Alert thresholds (`AlertThresholds`). */
export const AlertThresholdsSchema = z
  .strictObject(
    {
      failedRunsPerHour: integer(1)
        .optional()
        .describe('`DagsterRunFailures` fires above this many failed runs in the last hour. Default: 5.'),
      runDurationP99Seconds: integer(1)
        .optional()
        .describe('`DagsterRunDurationHigh` fires when the p99 run duration is above this. Default: 3600.'),
      daemonHeartbeatWarningSeconds: integer(1)
        .optional()
        .describe('`DagsterDaemonHeartbeatStale` fires when a heartbeat is older than this. Default: 60.'),
      daemonHeartbeatCriticalSeconds: integer(1)
        .optional()
        .describe(
          '`DagsterDaemonUnavailable` fires when a heartbeat is older than this for 2 minutes. Default: 120.',
        ),
      memoryLimitRatio: z
        .number({ error: 'a fraction above 0 and at most 1, e.g. 0.9' })
        .gt(0, { error: 'a fraction above 0 and at most 1, e.g. 0.9' })
        .max(1, { error: 'a fraction above 0 and at most 1, e.g. 0.9' })
        .optional()
        .describe(
          '`ContainerMemoryNearLimit` fires above this fraction of a memory limit for 5 minutes. Default: 0.9.',
        ),
    },
    { error: 'a mapping of alert thresholds' },
  )
  .describe('Alert thresholds (`AlertThresholds`).')
  .meta({ id: 'AlertThresholds' });

/** Monitoring through the Prometheus operator (`MonitoringOptions`). */
export const MonitoringOptionsSchema = z
  .strictObject(
    {
      labels: labelMap(EXTRA_LABEL_KEY, EXTRA_LABEL_KEY_MESSAGE)
        .optional()
        .describe(
          "Labels of every ServiceMonitor and the PrometheusRule, for the operator's selectors (e.g. release: kube-prometheus-stack). Default: none.",
        ),
      scrapeInterval: matching(PROMETHEUS_DURATION, PROMETHEUS_DURATION_MESSAGE)
        .optional()
        .describe("Scrape interval of every ServiceMonitor endpoint. Default: '30s'."),
      alerts: z
        .union([onOff(), AlertThresholdsSchema])
        .optional()
        .describe(
          "The PrometheusRule: true, false (none) or thresholds. Default: true, the thresholds of floe's production guide.",
        ),
    },
    { error: 'a mapping of monitoring options' },
  )
  .describe('Monitoring options (`MonitoringOptions`).')
  .meta({ id: 'MonitoringOptions' });

/** Where and how often PostgreSQL is backed up (`BackupOptions`). */
export const BackupOptionsSchema = z
  .strictObject(
    {
      schedule: cron()
        .optional()
        .describe("When to back up, a cron expression (`schedule`). Default: '0 */6 * * *' (every 6 hours)."),
      timezone: timeZone()
        .optional()
        .describe(
          "IANA time zone of the schedule (`timeZone`). Default: the controller's (UTC on most clusters).",
        ),
      retentionDays: integer(1, 36500).optional().describe('Days a backup is kept. Default: 30.'),
      prefix: matching(KEY_PREFIX, KEY_PREFIX_MESSAGE)
        .optional()
        .describe(
          "First part of the object keys, `<prefix>/<instance>/<UTC time>.sql.gz`. Default: 'postgres'.",
        ),
      bucket: bucketName()
        .optional()
        .describe(
          "Bucket on the platform's object storage; not with s3. Default: 'floe-backups' on MinIO, else the warehouse bucket.",
        ),
      s3: z
        .strictObject({
          endpoint: matching(URI, URI_MESSAGE)
            .optional()
            .describe('S3 endpoint URL. Default: the regional AWS endpoint.'),
          region: text().describe("Region, e.g. 'eu-west-1'. Required."),
          bucket: bucketName().describe('The existing bucket. Required.'),
          credentialsSecret: S3CredentialsSecretSchema,
          pathStyleAccess: bool().optional().describe('Path-style addressing. Default: false.'),
        })
        .optional()
        .describe(
          "An S3 bucket outside the platform to write the backups to (`s3`). Default: the platform's object storage.",
        ),
      createBucket: bool()
        .optional()
        .describe('Create the bucket before each backup when missing. Default: true on MinIO, else false.'),
      activeDeadlineSeconds: integer(60)
        .optional()
        .describe('Run time limit of a backup Job. Default: 10800.'),
      backoffLimit: integer(0, 10).optional().describe('Retries of a failed backup pod. Default: 2.'),
      resources: ResourcesSchema.optional().describe(
        'Requests and limits of the pg_dump container. Default: 100m / 128Mi requested, 512Mi limit.',
      ),
      uploadResources: ResourcesSchema.optional().describe(
        'Requests and limits of the upload container. Default: 50m / 128Mi requested, 256Mi limit.',
      ),
      dumpImage: ImageOverrideSchema.optional().describe(
        "Image of the pg_dump container. Default: the database's image, else the pinned postgres image.",
      ),
      uploadImage: ImageOverrideSchema.optional().describe(
        'Image of the upload container (mc). Default: the pinned mc image.',
      ),
    },
    { error: 'a mapping of backup options' },
  )
  .describe('Backup options (`BackupOptions`).')
  .meta({ id: 'BackupOptions' });

/** The switches every kind with production features has (all but `sizing`). */
const productionSwitches = {
  autoscaling: bool()
    .optional()
    .describe(
      'HorizontalPodAutoscalers for the stateless servers (Dagster webserver, Polaris, Cube API, collector). Default: true.',
    ),
  disruptionBudgets: bool()
    .optional()
    .describe('A PodDisruptionBudget for every workload that runs more than one pod. Default: true.'),
  topologySpread: bool()
    .optional()
    .describe('Spread the pods of multi-pod workloads over zones and nodes. Default: true.'),
  serviceAccounts: bool()
    .optional()
    .describe('A ServiceAccount per workload, without an API token unless it calls the API. Default: true.'),
  configChecksums: bool()
    .optional()
    .describe(
      'A `checksum/config` annotation that rolls pods when their configuration changes. Default: true.',
    ),
  networkPolicies: z
    .union([onOff(), NetworkPolicyOptionsSchema])
    .optional()
    .describe(
      "Default-deny NetworkPolicies plus one policy per workload: true, false (none) or options. The data products' namespaces follow. Default: true.",
    ),
  monitoring: z
    .union([onOff(), MonitoringOptionsSchema])
    .optional()
    .describe(
      'ServiceMonitors and a PrometheusRule (needs the prometheus-operator CRDs): true, false (none) or options. Default: true.',
    ),
  backups: z
    .union([onOff(), BackupOptionsSchema])
    .optional()
    .describe(
      'A backup CronJob per PostgreSQL database: true, false (none) or options. Default: true, every 6 hours, kept 30 days.',
    ),
};

/** Production features of a platform or a domain (`FloePlatformProps`). */
export const ProductionSchema = z
  .strictObject({
    sizing: z
      .enum(['light', 'medium', 'heavy'], { error: "'light', 'medium' or 'heavy'" })
      .optional()
      .describe(
        "Sizing preset by runs per day: Dagster webserver and code-server pods, light 1/2 (< 100), medium 2/5 (100-1000), heavy 3/10 (1000+). Default: 'light'.",
      ),
    ...productionSwitches,
  })
  .describe('Production features, each on unless switched off. Default: all on, sizing light.')
  .meta({ id: 'Production' });

/** Production features of a mesh's shared services: no orchestrator, so no sizing. */
export const SharedServicesProductionSchema = z
  .strictObject(productionSwitches)
  .describe('Production features of the shared services, each on unless switched off. Default: all on.')
  .meta({ id: 'SharedServicesProduction' });

// ---------------------------------------------------------------------------------------------
// PlatformManifest.
// ---------------------------------------------------------------------------------------------

/** Per-service settings of a single platform. */
export const PlatformServicesSchema = z
  .strictObject({
    orchestrator: serviceSettings('Dagster webserver (replicas, resources, ingress) and image.'),
    catalog: serviceSettings('Polaris.'),
    semantic: serviceSettings('Cube API.'),
    storage: serviceSettings('MinIO.'),
    dashboards: serviceSettings('Grafana.'),
    lineage: serviceSettings('Marquez.'),
    tracing: serviceSettings('Jaeger.'),
    metrics: serviceSettings('Prometheus.'),
    collector: serviceSettings('OpenTelemetry Collector.'),
  })
  .describe('Per-service settings. Default: the component defaults.');

/** `platform-manifest.yaml`: one floe platform (`FloePlatformProps`). */
export const PlatformManifestSchema = z
  .strictObject({
    apiVersion: apiVersion.describe(`Always '${API_VERSION}'.`),
    kind: z.literal('PlatformManifest').describe("Always 'PlatformManifest'."),
    metadata: versionedMetadata(
      'Platform name: `app.kubernetes.io/part-of` on every object (`platformName`). Required.',
      matching(LABEL_VALUE, LABEL_VALUE_MESSAGE),
    ),
    namespace: dnsLabel()
      .optional()
      .describe("Namespace of the platform (`namespace`). Default: 'floe-platform'."),
    orchestrator: OrchestratorSchema.optional(),
    catalog: CatalogSchema.optional(),
    semantic: SemanticSchema.optional(),
    storage: StorageSchema.optional(),
    observability: ObservabilitySchema.optional(),
    services: PlatformServicesSchema.optional(),
    database: DatabaseSchema.optional(),
    images: ImagesSchema.optional(),
    production: ProductionSchema.optional(),
  })
  .describe('A floe platform (platform-manifest.yaml).');

/** A parsed `platform-manifest.yaml`. */
export type PlatformManifest = z.infer<typeof PlatformManifestSchema>;

// ---------------------------------------------------------------------------------------------
// DataProduct.
// ---------------------------------------------------------------------------------------------

const dbtCommon = {
  path: text(PATH_MESSAGE)
    .optional()
    .describe("dbt project directory in the image (`projectDir`, `--project-dir`). Default: '/app/dbt'."),
  profilesDir: text(PATH_MESSAGE)
    .optional()
    .describe('Directory of profiles.yml. Default: the project directory.'),
  target: text().optional().describe("Profile target (`--target`). Default: the profile's default."),
  vars: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]), {
      error: 'a mapping of names to strings, numbers or booleans',
    })
    .optional()
    .describe('Project variables (`--vars`). Default: none.'),
  name: dnsLabel().optional().describe('Container name. Default: from the step kind.'),
  resources: ResourcesSchema.optional(),
};

/** One transform step; the list order is the run order. */
export const TransformSchema = z
  .discriminatedUnion(
    'type',
    [
      z
        .strictObject({
          type: z.literal('dlt').describe('Ingest with dlt (`ingest.dlt()`).'),
          source: text().describe("The dlt source, e.g. 'shopify' (`source`). Required."),
          script: text(PATH_MESSAGE).optional().describe("Pipeline script. Default: '<source>_pipeline.py'."),
          workingDir: text(PATH_MESSAGE).optional().describe("Where the script lives. Default: the image's."),
          name: dnsLabel().optional().describe("Container name. Default: 'dlt-<source>'."),
          resources: ResourcesSchema.optional(),
        })
        .describe('A dlt ingestion step.'),
      z
        .strictObject({
          type: z.literal('dbt').describe('dbt run, or dbt test (`dbt.run()` / `dbt.test()`).'),
          command: z
            .enum(['run', 'test'], { error: "'run' or 'test'" })
            .optional()
            .describe("'run' or 'test'. Default: 'run'."),
          select: text().optional().describe('Node selection (`--select`). Default: every node.'),
          exclude: text().optional().describe('Nodes to leave out (`--exclude`). Default: none.'),
          fullRefresh: bool().optional().describe('`--full-refresh` (run only). Default: false.'),
          ...dbtCommon,
        })
        .describe('A dbt step.'),
      z
        .strictObject({
          type: z.literal('quality').describe('Quality checks (`quality.check()`).'),
          select: text().optional().describe("The checks (`--select` of dbt test). Default: 'tag:quality'."),
          ...dbtCommon,
        })
        .describe('A quality-check step.'),
    ],
    { error: "a transform with 'type: dlt', 'type: dbt' or 'type: quality'" },
  )
  .describe('One step of the pipeline.')
  .meta({ id: 'Transform' });

/** When the pipeline runs. */
export const ScheduleSchema = z
  .strictObject({
    cron: cron().describe('Cron schedule, 5 fields or a macro such as @daily (`schedule`). Required.'),
    timezone: timeZone()
      .optional()
      .describe("IANA time zone (`timeZone`). Default: the controller's (UTC on most clusters)."),
    suspend: bool().optional().describe('Suspend the schedule (`suspend`). Default: false.'),
  })
  .describe('Schedule. Default: manual (run with `kubectl create job --from=cronjob/<name>`).')
  .meta({ id: 'Schedule' });

/** Credentials a pipeline reads from a Secret (`PipelineCredentials`). */
export const CredentialsSchema = z
  .strictObject({
    secretName: dnsSubdomain().describe('Existing Secret in the product namespace. Required.'),
    env: z
      .record(matching(ENV_NAME, ENV_NAME_MESSAGE), matching(SECRET_KEY, SECRET_KEY_MESSAGE), {
        error: 'a mapping of variable names to Secret keys',
      })
      .optional()
      .describe('Variable name -> Secret key. Default: every key, as a variable of the same name.'),
  })
  .describe('A Secret the pipeline reads.')
  .meta({ id: 'Credentials' });

const CATALOG_NAMESPACE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const CATALOG_NAMESPACE_MESSAGE =
  "an Iceberg namespace name: a letter or '_', then letters, digits and '_', at most 128 characters";
const OAUTH_SCOPE = /^[A-Za-z0-9_:.-]+( [A-Za-z0-9_:.-]+)*$/;

/** How a product's pipelines authenticate to the Iceberg catalog (`FloeJobsProps.catalogAccess`). */
export const CatalogAccessSchema = z
  .union(
    [
      z.literal(false),
      z.strictObject({
        namespaces: z
          .array(matching(CATALOG_NAMESPACE, CATALOG_NAMESPACE_MESSAGE), {
            error: 'a list of Iceberg namespaces',
          })
          .min(1, { error: 'at least one namespace' })
          .optional()
          .describe(
            "Iceberg namespaces of the warehouse the product reads and writes, and no other (`namespaces`). Default: the product's Kubernetes namespace with '-' replaced by '_'.",
          ),
        secretName: dnsSubdomain()
          .optional()
          .describe(
            "Secret floe writes the credentials to (`secretName`). Default: 'floe-catalog-credentials'.",
          ),
        existingSecret: dnsSubdomain()
          .optional()
          .describe(
            'An existing Secret with keys client-id and client-secret, instead of a principal floe sets up (`existingSecret`). Default: none.',
          ),
        scope: matching(OAUTH_SCOPE, 'an OAuth2 scope such as PRINCIPAL_ROLE:ALL')
          .optional()
          .describe("OAuth2 scope with existingSecret (`scope`). Default: 'PRINCIPAL_ROLE:ALL'."),
      }),
    ],
    { error: 'false, or a mapping with namespaces, secretName, existingSecret or scope' },
  )
  .describe(
    'How the pipelines authenticate to the Iceberg catalog (`catalogAccess`): false for no credentials. Products in one namespace share it. Default: on Polaris, a principal of their own namespace (docs/catalog-access.md).',
  )
  .meta({ id: 'CatalogAccess' });

/** Everything of a data product but its identity in a file (`apiVersion`, `kind`, `platform`). */
const dataProductFields = {
  metadata: z
    .strictObject({
      name: dnsLabel(52).describe('Product name: the pipeline (CronJob) name. Required.'),
      version: matching(VERSION, VERSION_MESSAGE).describe(
        "Product version, e.g. '1.2.3'; the image tag when `image` is not given. Required.",
      ),
      owner: text().optional().describe('Owning team or address. Default: none.'),
    })
    .describe('Name, version and owner. Required.'),
  image: matching(IMAGE_REFERENCE, IMAGE_REFERENCE_MESSAGE)
    .optional()
    .describe(
      "Image with the dbt project, dlt scripts and checks (`image`). Default: the image floe's CI builds, `<images.productRepositoryPrefix of the platform>/<metadata.name>:<metadata.version>` (the platform manifest must then set `images.productRepositoryPrefix`).",
    ),
  namespace: dnsLabel()
    .optional()
    .describe(
      "Namespace of the jobs (`FloeJobsProps.namespace`). Default: 'floe-<name>', or the domain's namespace in a mesh.",
    ),
  transforms: z
    .array(TransformSchema, { error: 'a list of transforms' })
    .min(1, { error: 'at least one transform' })
    .describe('The steps, in run order (dlt, then dbt, then quality). Required.'),
  schedule: ScheduleSchema.optional(),
  credentials: z
    .array(CredentialsSchema, { error: 'a list of credentials' })
    .optional()
    .describe('Secrets the steps read (`credentials`). Default: none.'),
  env: z
    .record(matching(ENV_NAME, ENV_NAME_MESSAGE), z.string({ error: 'a string' }), {
      error: 'a mapping of variable names to strings',
    })
    .optional()
    .describe('Plain environment variables of every step (`env`). Default: none.'),
  resources: ResourcesSchema.optional(),
  activeDeadlineSeconds: integer(1).optional().describe('Run time limit in seconds. Default: no limit.'),
  catalog: CatalogAccessSchema.optional(),
};

/** A data product defined inline in a domain manifest. */
export const InlineDataProductSchema = z
  .strictObject(dataProductFields)
  .describe('A data product defined inline (it inherits the domain).')
  .meta({ id: 'InlineDataProduct' });

/** `floe.yaml`: a data team's product, as one FloeJobs pipeline. */
export const DataProductSchema = z
  .strictObject({
    apiVersion: apiVersion.describe(`Always '${API_VERSION}'.`),
    kind: z.literal('DataProduct').describe("Always 'DataProduct'."),
    platform: z
      .strictObject({
        ref: text().describe(
          "The platform (PlatformManifest metadata.name) or domain (DomainManifest metadata.name) the product runs on, or, as floe's docs write it, an OCI reference whose last path segment is that name or its chart's (`oci://registry.example.com/acme-platform:2.3.0` for the platform `acme`, `.../floe-sales-domain:1.0.0` for the domain `sales`); the tag is not checked. Required.",
        ),
      })
      .describe('The platform the product inherits. Required.'),
    ...dataProductFields,
  })
  .describe('A data product (floe.yaml).');

/** A parsed `floe.yaml`. */
export type DataProduct = z.infer<typeof DataProductSchema>;
/** A data product inline in a domain. */
export type InlineDataProduct = z.infer<typeof InlineDataProductSchema>;
/** One transform step. */
export type Transform = z.infer<typeof TransformSchema>;

// ---------------------------------------------------------------------------------------------
// Data mesh: EnterpriseManifest and DomainManifest.
// ---------------------------------------------------------------------------------------------

/** Per-service settings of the shared services. */
export const EnterpriseServicesSchema = z
  .strictObject({
    catalog: serviceSettings('Polaris.'),
    storage: serviceSettings('MinIO.'),
    lineage: serviceSettings('Marquez.'),
    collector: serviceSettings('OpenTelemetry Collector.'),
    tracing: serviceSettings('Jaeger.'),
    metrics: serviceSettings('Prometheus.'),
    dashboards: serviceSettings('Grafana.'),
  })
  .describe('Per-service settings. Default: the component defaults.');

/** `enterprise.yaml`: the shared services of a data mesh, in `floe-platform`. */
export const EnterpriseManifestSchema = z
  .strictObject({
    apiVersion: apiVersion.describe(`Always '${API_VERSION}'.`),
    kind: z.literal('EnterpriseManifest').describe("Always 'EnterpriseManifest'."),
    metadata: versionedMetadata(
      'Enterprise (platform) name: `app.kubernetes.io/part-of` on every object. Required.',
      matching(LABEL_VALUE, LABEL_VALUE_MESSAGE),
    ),
    namespace: dnsLabel().optional().describe("Namespace of the shared services. Default: 'floe-platform'."),
    catalog: CatalogSchema.optional(),
    storage: StorageSchema.optional(),
    observability: ObservabilitySchema.optional(),
    services: EnterpriseServicesSchema.optional(),
    database: z
      .strictObject({
        external: z
          .strictObject({
            'catalog-db': ExternalDatabaseSchema.optional(),
            'lineage-db': ExternalDatabaseSchema.optional(),
          })
          .optional()
          .describe('External servers by instance. Default: in the cluster.'),
      })
      .optional()
      .describe('Databases of the shared services. Default: in-cluster PostgreSQL.'),
    images: ImagesSchema.optional(),
    production: SharedServicesProductionSchema.optional(),
  })
  .describe('Shared services of a data mesh: catalog, object storage, lineage, OTLP (enterprise.yaml).');

/** A parsed `enterprise.yaml`. */
export type EnterpriseManifest = z.infer<typeof EnterpriseManifestSchema>;

/** `domains/<domain>.yaml`: one domain of a data mesh. */
export const DomainManifestSchema = z
  .strictObject({
    apiVersion: apiVersion.describe(`Always '${API_VERSION}'.`),
    kind: z.literal('DomainManifest').describe("Always 'DomainManifest'."),
    metadata: versionedMetadata(
      'Domain name; the namespace is `floe-<domain>-domain` (so at most 51 characters). Required.',
      dnsLabel(51),
    ),
    enterprise: z
      .strictObject({
        ref: text().describe('The EnterpriseManifest metadata.name the domain belongs to. Required.'),
      })
      .describe('The enterprise whose shared services the domain uses. Required.'),
    orchestrator: OrchestratorSchema.optional(),
    semantic: SemanticSchema.optional(),
    services: z
      .strictObject({
        orchestrator: serviceSettings('Dagster webserver of the domain.'),
        semantic: serviceSettings('Cube API of the domain.'),
      })
      .optional()
      .describe('Per-service settings. Default: the component defaults.'),
    database: z
      .strictObject({
        external: z
          .strictObject({ 'orchestrator-db': ExternalDatabaseSchema.optional() })
          .optional()
          .describe('External server of the domain orchestrator. Default: in the cluster.'),
      })
      .optional()
      .describe("Database of the domain's orchestrator. Default: in-cluster PostgreSQL."),
    images: ImagesSchema.optional(),
    production: ProductionSchema.optional(),
    products: z
      .array(
        z.union([
          text(PATH_MESSAGE).describe("Path of a floe.yaml, relative to this file, e.g. 'sales/floe.yaml'."),
          InlineDataProductSchema,
        ]),
        { error: 'a list of floe.yaml paths or inline data products' },
      )
      .optional()
      .describe('Data products of the domain. Default: none.'),
  })
  .describe('One domain of a data mesh: its own orchestrator, PostgreSQL and products (domain.yaml).');

/** A parsed domain manifest. */
export type DomainManifest = z.infer<typeof DomainManifestSchema>;

/** Every kind, by `kind`. */
export const MANIFEST_SCHEMAS = {
  PlatformManifest: PlatformManifestSchema,
  DataProduct: DataProductSchema,
  EnterpriseManifest: EnterpriseManifestSchema,
  DomainManifest: DomainManifestSchema,
} as const;

/** A manifest kind. */
export type ManifestKind = keyof typeof MANIFEST_SCHEMAS;

/** Any parsed manifest; narrow on `kind`. */
export type Manifest = PlatformManifest | DataProduct | EnterpriseManifest | DomainManifest;

/** The JSON Schema file name of each kind, under `schemas/`. */
export const SCHEMA_FILES: Readonly<Record<ManifestKind, string>> = {
  PlatformManifest: 'platform-manifest.json',
  DataProduct: 'data-product.json',
  EnterpriseManifest: 'enterprise-manifest.json',
  DomainManifest: 'domain-manifest.json',
};
