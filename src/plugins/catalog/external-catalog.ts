import { FloeValidationError } from '../../core/errors';
import { checkProps } from '../../core/props-check';
import { SecretRequirement } from '../../core/secrets';
import { CatalogPlugin, PluginProvider } from '../interfaces';

const WAREHOUSE = /^[^\s,]{1,256}$/;

/** An Iceberg REST catalog that runs outside the platform (a managed Polaris, Snowflake Open Catalog, ...). */
export interface ExternalCatalogProps {
  /**
   * Iceberg REST catalog URI, `http://` or `https://`, e.g. `https://polaris.example.com/api/catalog`.
   * Must not contain credentials.
   */
  readonly catalogUri: string;
  /** The warehouse (catalog name) clients use. */
  readonly warehouse: string;
  /**
   * Secrets the clients of this catalog read (e.g. OAuth2 client credentials), listed so that the
   * platform documents them as prerequisites.
   * @default - none
   */
  readonly requiredSecrets?: readonly SecretRequirement[];
}

/** An Iceberg REST catalog outside the cluster: nothing is deployed, clients connect to it. */
export class ExternalCatalog implements CatalogPlugin {
  /** Refers to an external catalog. Validation errors name `path` (the slot it is used in). */
  public static fromUri(props: ExternalCatalogProps, path = 'ExternalCatalog'): ExternalCatalog {
    checkProps(path, 'ExternalCatalogProps', props);
    return new ExternalCatalog(props, path);
  }

  /** A provider for `FloePlatform`'s catalog slot that deploys nothing and asks for no database. */
  public static provider(props: ExternalCatalogProps): PluginProvider<CatalogPlugin> {
    checkProps('ExternalCatalog.provider()', 'ExternalCatalogProps', props);
    return {
      provide: (scope, id): CatalogPlugin => ExternalCatalog.fromUri(props, `${scope.node.path}/${id}`),
    };
  }

  /** Iceberg REST catalog URI. */
  public readonly catalogUri: string;
  /** The warehouse (catalog name). */
  public readonly warehouse: string;
  /** Secrets clients need (as given). */
  public readonly requiredSecrets: readonly SecretRequirement[];

  private constructor(props: ExternalCatalogProps, path: string) {
    this.catalogUri = validateCatalogUri(path, props.catalogUri);
    if (typeof props.warehouse !== 'string' || !WAREHOUSE.test(props.warehouse)) {
      throw new FloeValidationError(
        path,
        'warehouse',
        props.warehouse,
        'a catalog name of 1 to 256 characters without whitespace or commas',
      );
    }
    this.warehouse = props.warehouse;
    this.requiredSecrets = [...(props.requiredSecrets ?? [])];
  }
}

function validateCatalogUri(path: string, value: string): string {
  const allowed = 'an absolute http:// or https:// URL with a host and without user name or password';
  if (typeof value !== 'string' || /\s/.test(value)) {
    throw new FloeValidationError(path, 'catalogUri', value, allowed);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new FloeValidationError(path, 'catalogUri', value, allowed);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new FloeValidationError(path, 'catalogUri', value, allowed);
  }
  if (url.username !== '' || url.password !== '') {
    // Credentials in a URL end up in ConfigMaps and logs.
    throw new FloeValidationError(path, 'catalogUri', '<redacted: contains credentials>', allowed);
  }
  // Iceberg clients append `/v1/...`; a trailing slash would double it.
  return value.replace(/\/+$/, '');
}
