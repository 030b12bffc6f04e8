import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { connect, KUBERNETES_API } from '../../core/connections';
import { endpointUrl, ServiceEndpoint } from '../../core/endpoints';
import { plainEnv, secretEnv } from '../../core/env';
import { FloePropsError, FloeValidationError } from '../../core/errors';
import { ContainerImage } from '../../core/image';
import { recommendedLabels, WorkloadIdentity } from '../../core/labels';
import { buildContainer, buildPodTemplate, emptyDirVolume, RunAs, SchedulingOptions } from '../../core/pod';
import { ResourceRequirements, WAIT_CONTAINER_RESOURCES } from '../../core/resources';
import { SecretKeyRef } from '../../core/secrets';
import { checkConstructProps } from '../../core/props-check';
import { objectMeta } from '../../core/service';
import { boundedWaitScript } from '../../core/wait';
import { CatalogAccessRequest, CatalogCredentials } from '../interfaces';

/** Annotation the access Job writes on the credentials Secret: the principal whose they are. */
export const CATALOG_PRINCIPAL_ANNOTATION = 'floe.dev/catalog-principal';

/** Keys of the credentials Secret. */
export const CATALOG_CLIENT_ID_KEY = 'client-id';
/** Keys of the credentials Secret. */
export const CATALOG_CLIENT_SECRET_KEY = 'client-secret';

/**
 * The privileges a product's catalog role gets on each of its namespaces. Polaris checks a
 * privilege on the securable and its parents, so a grant on a namespace covers its tables, views
 * and child namespaces (apache/polaris 1.7.0,
 * polaris-core/src/main/java/org/apache/polaris/core/auth/PolarisAuthorizerImpl.java,
 * SUPER_PRIVILEGES): NAMESPACE_FULL_METADATA (create, drop, list and set properties of namespaces),
 * TABLE_FULL_METADATA and VIEW_FULL_METADATA (create, drop, list, alter tables and views; not
 * implied by the namespace privilege), TABLE_WRITE_DATA (commits and vended credentials for
 * reading and writing data; it implies TABLE_READ_DATA). Names from
 * spec/polaris-management-service.yml, `NamespacePrivilege`.
 */
export const PRODUCT_NAMESPACE_PRIVILEGES: readonly string[] = [
  'NAMESPACE_FULL_METADATA',
  'TABLE_FULL_METADATA',
  'VIEW_FULL_METADATA',
  'TABLE_WRITE_DATA',
];

/** Where the kubelet mounts the pod's ServiceAccount token and the cluster CA. */
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The API server as every pod can reach it (the `kubernetes` Service; its certificate names it). */
const KUBERNETES_API_URL = 'https://kubernetes.default.svc';
const JOB_SUFFIX = '-catalog-access';
const MAX_NAME = 63;
/** Iceberg namespace names a product may own: plain SQL identifiers, safe in JSON and shell. */
const CATALOG_NAMESPACE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

const DEFAULT_RESOURCES: ResourceRequirements = {
  requests: { cpu: '10m', memory: '16Mi' },
  limits: { memory: '64Mi' },
};

/** The Polaris a product gets access to, as the access Job needs it. */
export interface PolarisAccessTarget {
  /** The Polaris Service's HTTP port (REST APIs). */
  readonly serviceEndpoint: ServiceEndpoint;
  /** The management port (`/q/health/ready`). */
  readonly managementEndpoint: ServiceEndpoint;
  /** The realm. */
  readonly realm: string;
  /** The catalog (warehouse) the namespaces are in. */
  readonly warehouse: string;
  /** The root principal's credentials, in the platform namespace. */
  readonly rootCredentials: { readonly clientId: SecretKeyRef; readonly clientSecret: SecretKeyRef };
  /** Identity of the Polaris server (instance, platform, version). */
  readonly identity: WorkloadIdentity;
}

/** Properties of a `PolarisProductAccess`. */
export interface PolarisProductAccessProps {
  /** The Polaris. Required. */
  readonly polaris: PolarisAccessTarget;
  /** What the product gets. Required. */
  readonly request: CatalogAccessRequest;
  /** The curl image the Job runs (busybox `sh` and curl). Required. */
  readonly image: ContainerImage;
  /** User and group of the curl image. Required. */
  readonly runAs: RunAs;
  /**
   * Image pull Secrets of the Job.
   * @default - none
   */
  readonly imagePullSecrets?: string[];
  /**
   * Where the Job may run.
   * @default - anywhere
   */
  readonly scheduling?: SchedulingOptions;
  /**
   * Retries of the Job.
   * @default 6
   */
  readonly backoffLimit?: number;
  /**
   * Seconds after which the Job is stopped.
   * @default 900
   */
  readonly activeDeadlineSeconds?: number;
  /**
   * Seconds a finished Job is kept.
   * @default 3600
   */
  readonly ttlSecondsAfterFinished?: number;
}

/**
 * A data product's own Polaris principal, set up in the cluster by a Job that runs in the
 * platform's namespace (where the root credentials are, and only there):
 *
 * - a principal role and a catalog role named after the product, the catalog role granted
 *   `PRODUCT_NAMESPACE_PRIVILEGES` on each of the product's namespaces (created if missing) and
 *   nothing else, assigned to the principal role, which is assigned to the principal;
 * - the principal's credentials written to a Secret in the product's namespace (keys `client-id`,
 *   `client-secret`, annotation `floe.dev/catalog-principal`), through the Kubernetes API with a
 *   Role that lets the Job's ServiceAccount write only there. The values never appear in a manifest.
 *
 * Every step can run again: existing roles and namespaces answer 409 and are left as they are;
 * grants are idempotent in Polaris 1.7.0 (the JDBC store treats a duplicate grant as a no-op:
 * persistence/relational-jdbc/.../JdbcBasePersistenceImpl.java, `writeToGrantRecords`). The
 * credentials in an existing Secret are checked with a token request and left unchanged when
 * they work; when the Secret is missing or its credentials fail, the principal's credentials are
 * rotated (`POST /principals/{name}/rotate`, which returns new ones) and the Secret written. A
 * Secret of that name that floe did not write is never touched: the Job fails and says so.
 */
export class PolarisProductAccess extends Construct {
  /** Where the product's pods find the credentials. */
  public readonly credentials: CatalogCredentials;
  /** The principal (also the name of its principal role and catalog role). */
  public readonly principal: string;
  /** The Iceberg namespaces granted. */
  public readonly catalogNamespaces: readonly string[];
  /** The Job, in the platform's namespace. */
  public readonly job: k8s.KubeJob;
  /** Its ServiceAccount, in the platform's namespace. */
  public readonly serviceAccount: k8s.KubeServiceAccount;
  /** The Role in the product's namespace that lets the Job write the Secret. */
  public readonly role: k8s.KubeRole;
  /** Binds the Role to the Job's ServiceAccount. */
  public readonly roleBinding: k8s.KubeRoleBinding;
  /** Labels of the Job and its pod. */
  public readonly identity: WorkloadIdentity;

  public constructor(scope: Construct, id: string, props: PolarisProductAccessProps) {
    checkConstructProps(scope, id, 'PolarisProductAccessProps', props);
    super(scope, id);
    const { polaris, request } = props;
    validateRequest(this, request);
    const name = `${request.product}${JOB_SUFFIX}`;
    const platformNamespace = polaris.serviceEndpoint.namespace;
    this.principal = request.product;
    this.catalogNamespaces = [...request.catalogNamespaces];
    this.credentials = {
      secretName: request.secretName,
      clientIdKey: CATALOG_CLIENT_ID_KEY,
      clientSecretKey: CATALOG_CLIENT_SECRET_KEY,
      scope: `PRINCIPAL_ROLE:${this.principal}`,
      prerequisite: false,
    };
    this.identity = {
      name: 'polaris',
      // One instance per product: each Job's pods get their own NetworkPolicy.
      instance: name,
      component: 'catalog-access',
      partOf: request.platformName,
      version: polaris.identity.version,
    };

    this.serviceAccount = new k8s.KubeServiceAccount(this, 'service-account', {
      metadata: { ...objectMeta(name, this.identity), namespace: platformNamespace },
      automountServiceAccountToken: false,
    });
    // `create` cannot be limited to one name (the object does not exist yet); reading and
    // updating are limited to the credentials Secret.
    const writer = `${name}-writer`;
    this.role = new k8s.KubeRole(this, 'role', {
      metadata: { ...objectMeta(writer, this.identity), namespace: request.namespace },
      rules: [
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
        {
          apiGroups: [''],
          resources: ['secrets'],
          resourceNames: [request.secretName],
          verbs: ['get', 'patch'],
        },
      ],
    });
    this.roleBinding = new k8s.KubeRoleBinding(this, 'role-binding', {
      metadata: { ...objectMeta(writer, this.identity), namespace: request.namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: writer },
      subjects: [{ kind: 'ServiceAccount', name, namespace: platformNamespace }],
    });

    const readyUrl = endpointUrl(polaris.managementEndpoint, '/q/health/ready');
    const secretMetadata = {
      name: request.secretName,
      namespace: request.namespace,
      labels: {
        ...recommendedLabels({ ...this.identity, component: 'catalog-credentials' }),
        // Written by the Job, not by an apply.
        'app.kubernetes.io/managed-by': 'floe',
      },
      annotations: { [CATALOG_PRINCIPAL_ANNOTATION]: this.principal },
    };
    const container = buildContainer(
      this,
      {
        name: 'catalog-access',
        image: props.image,
        command: ['/bin/sh', '-c', productAccessScript(this.catalogNamespaces)],
        env: [
          plainEnv('SETUP_DIR', '/tmp'),
          plainEnv('POLARIS_URL', endpointUrl(polaris.serviceEndpoint)),
          plainEnv('POLARIS_REALM', polaris.realm),
          plainEnv('CATALOG_NAME', polaris.warehouse),
          plainEnv('PRINCIPAL', this.principal),
          plainEnv('SECRET_NAME', request.secretName),
          plainEnv('SECRET_NAMESPACE', request.namespace),
          literalEnv('SECRET_METADATA', JSON.stringify(secretMetadata)),
          plainEnv('KUBE_API', KUBERNETES_API_URL),
          plainEnv('KUBE_SA_DIR', SERVICE_ACCOUNT_DIR),
          secretEnv('ROOT_CLIENT_ID', polaris.rootCredentials.clientId),
          secretEnv('ROOT_CLIENT_SECRET', polaris.rootCredentials.clientSecret),
        ],
        resources: DEFAULT_RESOURCES,
        resourcesField: 'resources',
        volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
      },
      props.runAs,
    );
    const wait = buildContainer(
      this,
      {
        name: 'wait-for-polaris-ready',
        image: props.image,
        command: [
          '/bin/sh',
          '-c',
          boundedWaitScript(
            `Polaris to be ready (${readyUrl})`,
            `curl -fsS -o /dev/null --max-time 5 ${readyUrl}`,
          ),
        ],
        resources: WAIT_CONTAINER_RESOURCES,
        resourcesField: 'resources',
      },
      props.runAs,
    );
    this.job = new k8s.KubeJob(this, 'job', {
      metadata: { ...objectMeta(name, this.identity), namespace: platformNamespace },
      spec: {
        backoffLimit: props.backoffLimit ?? 6,
        ttlSecondsAfterFinished: props.ttlSecondsAfterFinished ?? 3600,
        activeDeadlineSeconds: props.activeDeadlineSeconds ?? 900,
        template: buildPodTemplate({
          identity: this.identity,
          runAs: props.runAs,
          serviceAccountName: name,
          // The token is what the Job writes the Secret with.
          automountServiceAccountToken: true,
          restartPolicy: 'Never',
          initContainers: [wait],
          containers: [container],
          volumes: [emptyDirVolume('tmp')],
          scheduling: props.scheduling,
          imagePullSecrets: props.imagePullSecrets,
        }),
      },
    });
    connect(this.job, polaris.serviceEndpoint, 'creates the product principal, roles and grants');
    connect(this.job, polaris.managementEndpoint, 'waits for Polaris readiness (/q/health/ready)');
    connect(this.job, KUBERNETES_API, 'writes the credentials Secret in the product namespace');
  }

  /** The underlying objects, in the order they are written. */
  public get apiObjects(): ApiObject[] {
    return [this.serviceAccount, this.role, this.roleBinding, this.job];
  }
}

function validateRequest(scope: Construct, request: CatalogAccessRequest): void {
  const problems: FloeValidationError[] = [];
  const name = `${request.product}${JOB_SUFFIX}`;
  if (name.length > MAX_NAME) {
    problems.push(
      new FloeValidationError(
        scope,
        'product',
        request.product,
        `at most ${MAX_NAME - JOB_SUFFIX.length} characters (the Job '<product>${JOB_SUFFIX}' must fit in ${MAX_NAME})`,
      ),
    );
  }
  if (request.catalogNamespaces.length === 0) {
    problems.push(new FloeValidationError(scope, 'catalogNamespaces', [], 'at least one Iceberg namespace'));
  }
  const seen = new Set<string>();
  request.catalogNamespaces.forEach((ns, i) => {
    if (!CATALOG_NAMESPACE.test(ns)) {
      problems.push(
        new FloeValidationError(
          scope,
          `catalogNamespaces[${i}]`,
          ns,
          "an Iceberg namespace name: a letter or '_', then letters, digits and '_', at most 128 characters",
        ),
      );
    } else if (seen.has(ns)) {
      problems.push(
        new FloeValidationError(scope, `catalogNamespaces[${i}]`, ns, 'each namespace named once'),
      );
    }
    seen.add(ns);
  });
  if (problems.length > 0) {
    throw new FloePropsError(problems);
  }
}

/**
 * A plain variable whose value the kubelet passes through unchanged: it expands `$(VAR)` in env
 * values and turns `$$` into `$`, so every `$` is doubled.
 */
function literalEnv(name: string, value: string): k8s.EnvVar {
  return { name, value: value.replace(/\$/g, '$$$$') };
}

/**
 * The access script (POSIX `sh` of the curl image's busybox), in `$SETUP_DIR` with files only
 * its user can read. Secrets reach curl only through files (`@file`), written by `printf`, a shell
 * builtin, so they are in no process's arguments and never printed. The script contains no `$(`,
 * which the kubelet would try to expand. Requests (apache/polaris 1.7.0,
 * spec/polaris-management-service.yml and the Iceberg REST spec it serves):
 *
 * 1. root token: `POST /api/catalog/v1/oauth/tokens` (client credentials, scope PRINCIPAL_ROLE:ALL);
 * 2. `POST /principal-roles`, `POST /catalogs/{c}/catalog-roles`: 201, or 409 when they exist;
 * 3. per namespace `POST /api/catalog/v1/{c}/namespaces` (200, or 409 when it exists) and one
 *    `PUT /catalogs/{c}/catalog-roles/{r}/grants` per privilege (201, also for an existing grant);
 * 4. `PUT /principal-roles/{p}/catalog-roles/{c}` assigns the catalog role (201);
 * 5. credentials: the Secret (`GET`, Kubernetes API) and the principal (`GET /principals/{p}`):
 *    both there and the Secret's credentials get a token: nothing to do; principal missing:
 *    `POST /principals` (201, with credentials); principal there but the Secret missing or stale:
 *    `POST /principals/{p}/rotate` (200, with new credentials); then the Secret is created
 *    (`POST`) or, when floe wrote it before, updated (`PATCH`, merge patch);
 * 6. `PUT /principals/{p}/principal-roles` assigns the principal role (201).
 */
export function productAccessScript(catalogNamespaces: readonly string[]): string {
  const mgmt = '"$POLARIS_URL/api/management/v1';
  const fail = (what: string): string =>
    `echo "${what} failed with HTTP $status:" >&2; cat "$out" >&2; echo >&2; exit 1`;
  const polarisCall =
    'curl -sS --connect-timeout 5 --max-time 60 --retry 5 --retry-connrefused --retry-delay 3 ' +
    '-o "$out" -w \'%{http_code}\\n\' -H "Polaris-Realm: $POLARIS_REALM" "$@" > http-status';
  const kubeCall =
    'curl -sS --connect-timeout 5 --max-time 60 --retry 5 --retry-connrefused --retry-delay 3 ' +
    '--cacert "$KUBE_SA_DIR/ca.crt" -o "$out" -w \'%{http_code}\\n\' -H @kube-auth "$@" > http-status';
  const json = "-H 'Content-Type: application/json' -H 'Accept: application/json'";
  /** POSTs `body` (a JSON text without single quotes) to `path`; `ok` and `exists` statuses pass. */
  const ensure = (what: string, path: string, body: string, ok: string, exists?: string): string[] => [
    `printf '%s' '${body}' > request.json`,
    `polaris response.json -X POST -H @auth-header ${json} --data-binary @request.json ${path}`,
    'case "$status" in',
    `  ${ok}) echo "created ${what}" ;;`,
    ...(exists ? [`  ${exists}) echo "${what} exists; left unchanged" ;;`] : []),
    `  *) ${fail(`creating ${what}`)} ;;`,
    'esac',
  ];
  const put = (what: string, path: string, body: string): string[] => [
    `printf '%s' '${body}' > request.json`,
    `polaris response.json -X PUT -H @auth-header ${json} --data-binary @request.json ${path}`,
    'case "$status" in',
    `  2??) echo "${what}" ;;`,
    `  *) ${fail(what)} ;;`,
    'esac',
  ];
  // Names are validated (DNS labels, plain identifiers), so they need no escaping in JSON or sh.
  const lines: string[] = [
    'set -eu',
    'umask 077',
    'cd "$SETUP_DIR"',
    `polaris() { out="$1"; shift; ${polarisCall}; read -r status < http-status; }`,
    `kube() { out="$1"; shift; ${kubeCall}; read -r status < http-status; }`,
    // token <response> <id file> <secret file> <scope>: a client-credentials token request.
    'token() { polaris "$1" --data-urlencode grant_type=client_credentials --data-urlencode "client_id@$2" ' +
      '--data-urlencode "client_secret@$3" --data-urlencode "scope=$4" "$POLARIS_URL/api/catalog/v1/oauth/tokens"; }',
    `printf '%s' "$ROOT_CLIENT_ID" > root-id`,
    `printf '%s' "$ROOT_CLIENT_SECRET" > root-secret`,
    'token token.json root-id root-secret PRINCIPAL_ROLE:ALL',
    'rm -f root-id root-secret',
    `if [ "$status" != 200 ]; then out=token.json; ${fail('the root token request to $POLARIS_URL')}; fi`,
    'tr -d \'\\r\\n\' < token.json | sed -n \'s/.*"access_token"[[:space:]]*:[[:space:]]*"\\([^"]*\\)".*/Authorization: Bearer \\1/p\' > auth-header',
    'rm -f token.json',
    'if [ ! -s auth-header ]; then echo "the root token response holds no access_token" >&2; exit 1; fi',
    ...ensure(
      'principal role $PRINCIPAL',
      `${mgmt}/principal-roles"`,
      '{"principalRole":{"name":"\'"$PRINCIPAL"\'"}}',
      '201',
      '409',
    ),
    ...ensure(
      'catalog role $PRINCIPAL in $CATALOG_NAME',
      `${mgmt}/catalogs/$CATALOG_NAME/catalog-roles"`,
      '{"catalogRole":{"name":"\'"$PRINCIPAL"\'"}}',
      '201',
      '409',
    ),
  ];
  for (const ns of catalogNamespaces) {
    lines.push(
      ...ensure(
        `namespace ${ns} in $CATALOG_NAME`,
        `"$POLARIS_URL/api/catalog/v1/$CATALOG_NAME/namespaces"`,
        `{"namespace":["${ns}"]}`,
        '200',
        '409',
      ),
    );
    for (const privilege of PRODUCT_NAMESPACE_PRIVILEGES) {
      lines.push(
        ...put(
          `granted ${privilege} on namespace ${ns} to catalog role $PRINCIPAL`,
          `${mgmt}/catalogs/$CATALOG_NAME/catalog-roles/$PRINCIPAL/grants"`,
          `{"grant":{"type":"namespace","namespace":["${ns}"],"privilege":"${privilege}"}}`,
        ),
      );
    }
  }
  lines.push(
    ...put(
      'assigned catalog role $PRINCIPAL to principal role $PRINCIPAL',
      `${mgmt}/principal-roles/$PRINCIPAL/catalog-roles/$CATALOG_NAME"`,
      '{"catalogRole":{"name":"\'"$PRINCIPAL"\'"}}',
    ),
    // The Kubernetes API token, as a header file.
    "printf 'Authorization: Bearer ' > kube-auth",
    'cat "$KUBE_SA_DIR/token" >> kube-auth',
    'secret_url="$KUBE_API/api/v1/namespaces/$SECRET_NAMESPACE/secrets"',
    'kube secret.json "$secret_url/$SECRET_NAME"',
    'ours=no',
    'case "$status" in',
    '  200)',
    `    if tr -d ' \\r\\n' < secret.json | grep -q '"${CATALOG_PRINCIPAL_ANNOTATION}":"'"$PRINCIPAL"'"'; then ours=yes; else`,
    '      rm -f secret.json',
    '      echo "Secret $SECRET_NAME in namespace $SECRET_NAMESPACE exists and floe did not write it ' +
      `(no annotation ${CATALOG_PRINCIPAL_ANNOTATION}=$PRINCIPAL); it is left unchanged. ` +
      'Delete it, or name it as the existing Secret of the product." >&2',
    '      exit 1',
    '    fi ;;',
    '  404) ;;',
    `  *) ${fail('reading Secret $SECRET_NAME in namespace $SECRET_NAMESPACE')} ;;`,
    'esac',
    // The stored credentials (base64 in `data`), to check that they still get a token.
    'valid=no',
    'if [ "$ours" = yes ]; then',
    `  tr -d ' \\r\\n' < secret.json | sed -n 's/.*"${CATALOG_CLIENT_ID_KEY}":"\\([^"]*\\)".*/\\1/p' | base64 -d > product-id 2>/dev/null || true`,
    `  tr -d ' \\r\\n' < secret.json | sed -n 's/.*"${CATALOG_CLIENT_SECRET_KEY}":"\\([^"]*\\)".*/\\1/p' | base64 -d > product-secret 2>/dev/null || true`,
    '  if [ -s product-id ] && [ -s product-secret ]; then',
    '    token product-token.json product-id product-secret "PRINCIPAL_ROLE:$PRINCIPAL"',
    '    if [ "$status" = 200 ]; then valid=yes; fi',
    '  fi',
    '  rm -f product-id product-secret product-token.json',
    'fi',
    'rm -f secret.json',
    `polaris principal.json -H @auth-header -H 'Accept: application/json' ${mgmt}/principals/$PRINCIPAL"`,
    'case "$status" in',
    '  200) exists=yes ;;',
    '  404) exists=no ;;',
    `  *) ${fail('reading principal $PRINCIPAL')} ;;`,
    'esac',
    'rm -f principal.json',
    'if [ "$exists" = yes ] && [ "$valid" = yes ]; then',
    '  echo "principal $PRINCIPAL and its credentials in Secret $SECRET_NAMESPACE/$SECRET_NAME work; left unchanged"',
    'else',
    '  if [ "$exists" = no ]; then',
    `    printf '%s' '{"principal":{"name":"'"$PRINCIPAL"'"},"credentialRotationRequired":false}' > request.json`,
    `    polaris credentials.json -X POST -H @auth-header ${json} --data-binary @request.json ${mgmt}/principals"`,
    `    if [ "$status" != 201 ]; then ${fail('creating principal $PRINCIPAL')}; fi`,
    '    echo "created principal $PRINCIPAL"',
    '  else',
    `    polaris credentials.json -X POST -H @auth-header -H 'Accept: application/json' ${mgmt}/principals/$PRINCIPAL/rotate"`,
    `    if [ "$status" != 200 ]; then ${fail('rotating the credentials of principal $PRINCIPAL')}; fi`,
    '    echo "rotated the credentials of principal $PRINCIPAL (the Secret was missing or its credentials failed)"',
    '  fi',
    // JSON string values copied as they are (still JSON-escaped), so the body stays valid JSON.
    // JSON strings with escapes (`\"`, `\\`) are matched whole (ERE, which busybox sed has with -E).
    `  tr -d '\\r\\n' < credentials.json | sed -nE 's/.*"clientId"[[:space:]]*:[[:space:]]*"(([^"\\\\]|\\\\.)*)".*/\\1/p' > client-id`,
    `  tr -d '\\r\\n' < credentials.json | sed -nE 's/.*"clientSecret"[[:space:]]*:[[:space:]]*"(([^"\\\\]|\\\\.)*)".*/\\1/p' > client-secret`,
    '  rm -f credentials.json',
    '  if [ ! -s client-id ] || [ ! -s client-secret ]; then echo "the response holds no clientId and clientSecret" >&2; exit 1; fi',
    // sed's output has no final newline (its input had none), so `read` reports end of file.
    '  IFS= read -r client_id < client-id || [ -n "$client_id" ]',
    '  IFS= read -r client_secret < client-secret || [ -n "$client_secret" ]',
    '  rm -f client-id client-secret',
    '  if [ "$ours" = yes ]; then',
    `    printf '{"stringData":{"${CATALOG_CLIENT_ID_KEY}":"%s","${CATALOG_CLIENT_SECRET_KEY}":"%s"}}' "$client_id" "$client_secret" > secret-body.json`,
    `    kube response.json -X PATCH -H 'Content-Type: application/merge-patch+json' --data-binary @secret-body.json "$secret_url/$SECRET_NAME"`,
    '  else',
    `    printf '{"apiVersion":"v1","kind":"Secret","metadata":%s,"type":"Opaque","stringData":{"${CATALOG_CLIENT_ID_KEY}":"%s","${CATALOG_CLIENT_SECRET_KEY}":"%s"}}' "$SECRET_METADATA" "$client_id" "$client_secret" > secret-body.json`,
    `    kube response.json -X POST -H 'Content-Type: application/json' --data-binary @secret-body.json "$secret_url"`,
    '  fi',
    '  rm -f secret-body.json',
    '  client_id=; client_secret=',
    `  case "$status" in 2??) echo "wrote Secret $SECRET_NAMESPACE/$SECRET_NAME" ;; *) ${fail('writing Secret $SECRET_NAME in namespace $SECRET_NAMESPACE')} ;; esac`,
    'fi',
    ...put(
      'assigned principal role $PRINCIPAL to principal $PRINCIPAL',
      `${mgmt}/principals/$PRINCIPAL/principal-roles"`,
      '{"principalRole":{"name":"\'"$PRINCIPAL"\'"}}',
    ),
    'rm -f auth-header kube-auth request.json response.json http-status',
  );
  return lines.join('\n');
}
