import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { plainEnv, secretEnv } from '../../core/env';
import { FloeValidationError } from '../../core/errors';
import { validateDnsSubdomain } from '../../core/validation';
import { CatalogCredentials, CatalogPlugin } from '../interfaces';

/** Name of the Secret with a product's catalog credentials, unless told otherwise. */
export const DEFAULT_CATALOG_SECRET_NAME = 'floe-catalog-credentials';

/** The variables that carry the client ID and secret (from the Secret) in every pipeline container. */
export const CATALOG_CLIENT_ID_ENV = 'FLOE_CATALOG_CLIENT_ID';
/** See `CATALOG_CLIENT_ID_ENV`. */
export const CATALOG_CLIENT_SECRET_ENV = 'FLOE_CATALOG_CLIENT_SECRET';

/**
 * How a data product's pods (a `FloeJobs` chart's pipelines, or the runs of a Dagster code
 * location) authenticate to the Iceberg catalog.
 */
export interface CatalogAccessOptions {
  /**
   * Iceberg namespaces of the warehouse the product reads and writes; it gets no other.
   * @default - one, named after the product with '-' replaced by '_' (a `FloeJobs` chart: its
   *   namespace, `floe-sales` → `floe_sales`; a code location: its name)
   */
  readonly namespaces?: string[];
  /**
   * Name of the Secret that floe writes the credentials to, in the namespace the pods run in.
   * @default - 'floe-catalog-credentials' for a `FloeJobs` chart, 'dagster-<location>-catalog-credentials' for a code location
   */
  readonly secretName?: string;
  /**
   * An existing Secret, in the namespace the pods run in, with the product's credentials (keys
   * `client-id` and `client-secret`), used instead of a principal floe sets up; its grants are
   * then the catalog administrator's business. It is listed in `requiredSecrets`.
   * @default - floe sets up a principal of the product (needs a catalog that can, e.g. Polaris)
   */
  readonly existingSecret?: string;
  /**
   * OAuth2 scope of the token request, with `existingSecret` (Polaris: `PRINCIPAL_ROLE:<role>`).
   * @default 'PRINCIPAL_ROLE:ALL'
   */
  readonly scope?: string;
}

/** What the consumer knows when it resolves the catalog access. */
export interface CatalogAccessContext {
  /** Field of the options in error messages, e.g. `catalogAccess`. */
  readonly field: string;
  /** The product (principal and role names). */
  readonly product: string;
  /** The Iceberg namespace the product gets unless the options name its namespaces. */
  readonly defaultCatalogNamespace: string;
  /** Namespace the pods run in (and the Secret is in). */
  readonly namespace: string;
  /** The Secret's name unless the options name one. */
  readonly defaultSecretName: string;
  /** The catalog, when it is known. */
  readonly catalog?: CatalogPlugin;
  /** Why the catalog is unknown, for the error. */
  readonly noCatalogReason: string;
  /** `app.kubernetes.io/part-of`. */
  readonly platformName: string;
}

const SCOPE = /^[A-Za-z0-9_:.-]+( [A-Za-z0-9_:.-]+)*$/;

/**
 * Resolves `options` to the Secret the pipelines read: an existing one, or one the platform's
 * catalog sets up under `scope` (`CatalogPlugin.grantProductAccess`). `undefined` when there is
 * none: `false`, or no options and a catalog that cannot grant access (or no platform).
 */
export function resolveCatalogAccess(
  scope: Construct,
  options: CatalogAccessOptions | false | undefined,
  ctx: CatalogAccessContext,
): CatalogCredentials | undefined {
  if (options === false) {
    return undefined;
  }
  const o = options ?? {};
  if (o.existingSecret !== undefined) {
    for (const key of ['namespaces', 'secretName'] as const) {
      if (o[key] !== undefined) {
        throw new FloeValidationError(
          scope,
          `${ctx.field}.${key}`,
          o[key],
          `nothing with ${ctx.field}.existingSecret (floe sets up no principal for an existing Secret)`,
        );
      }
    }
    const scopeValue = o.scope ?? 'PRINCIPAL_ROLE:ALL';
    if (!SCOPE.test(scopeValue)) {
      throw new FloeValidationError(
        scope,
        `${ctx.field}.scope`,
        scopeValue,
        "an OAuth2 scope: words of letters, digits, '_', ':', '.' and '-' separated by single spaces, e.g. PRINCIPAL_ROLE:ALL",
      );
    }
    return {
      secretName: validateDnsSubdomain(scope, `${ctx.field}.existingSecret`, o.existingSecret),
      clientIdKey: 'client-id',
      clientSecretKey: 'client-secret',
      scope: scopeValue,
      prerequisite: true,
    };
  }
  if (o.scope !== undefined) {
    throw new FloeValidationError(
      scope,
      `${ctx.field}.scope`,
      o.scope,
      `nothing without ${ctx.field}.existingSecret (floe's principal has the scope of its own principal role)`,
    );
  }
  const grant = ctx.catalog?.grantProductAccess?.bind(ctx.catalog);
  if (grant === undefined) {
    if (options === undefined) {
      return undefined;
    }
    throw new FloeValidationError(
      scope,
      ctx.field,
      options,
      ctx.catalog === undefined
        ? `\`existingSecret\` (${ctx.noCatalogReason}), or false`
        : "`existingSecret` (the platform's catalog cannot set up principals), or false",
    );
  }
  const secretName = validateDnsSubdomain(
    scope,
    `${ctx.field}.secretName`,
    o.secretName ?? ctx.defaultSecretName,
  );
  return grant(scope, {
    product: ctx.product,
    namespace: ctx.namespace,
    catalogNamespaces: o.namespaces ?? [ctx.defaultCatalogNamespace],
    secretName,
    platformName: ctx.platformName,
  });
}

/**
 * The variables that let every client of the pipeline authenticate with no extra work:
 *
 * - `FLOE_CATALOG_CLIENT_ID`, `FLOE_CATALOG_CLIENT_SECRET` from the Secret (for a dbt profile's
 *   `env_var()`, e.g. DuckDB's Iceberg secret `CLIENT_ID`/`CLIENT_SECRET`);
 * - `PYICEBERG_CATALOG__DEFAULT__CREDENTIAL` (`<id>:<secret>`) and `..._SCOPE`, the REST catalog
 *   properties `credential` and `scope` of PyIceberg's catalog `default`, whose `uri` and
 *   `warehouse` the platform ConfigMap sets (apache/iceberg-python, mkdocs/docs/configuration.md:
 *   `PYICEBERG_CATALOG__<NAME>__<PROPERTY>`). dlt's Iceberg tables use that catalog too
 *   (`ICEBERG_CATALOG__ICEBERG_CATALOG_TYPE=rest` in the ConfigMap).
 *
 * The credential is composed by the kubelet, which expands `$(VAR)` with the variables defined
 * before it in the container, Secret references included (kubernetes/kubernetes v1.28,
 * pkg/kubelet/kubelet_pods.go, `makeEnvironmentVariables`); no value is in the manifest.
 */
export function catalogCredentialEnv(credentials: CatalogCredentials): k8s.EnvVar[] {
  return [
    secretEnv(CATALOG_CLIENT_ID_ENV, { name: credentials.secretName, key: credentials.clientIdKey }),
    secretEnv(CATALOG_CLIENT_SECRET_ENV, { name: credentials.secretName, key: credentials.clientSecretKey }),
    plainEnv(
      'PYICEBERG_CATALOG__DEFAULT__CREDENTIAL',
      `$(${CATALOG_CLIENT_ID_ENV}):$(${CATALOG_CLIENT_SECRET_ENV})`,
    ),
    plainEnv('PYICEBERG_CATALOG__DEFAULT__SCOPE', credentials.scope),
  ];
}
