import { IConstruct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { ContainerImage } from '../../core/image';
import { checkProps } from '../../core/props-check';
import { SecretKeyRef, SecretRequirement } from '../../core/secrets';
import { validatePort } from '../../core/validation';
import { FloeValidationError } from '../../core/errors';
import { PostgresDatabasePlugin } from '../interfaces';
import { pgIsReadyContainer, POSTGRES_IMAGE } from './postgres';

/** Connection details of a PostgreSQL server that runs outside the platform (RDS, Cloud SQL, ...). */
export interface ExternalPostgresProps {
  /** Host name or IP. */
  readonly host: string;
  /**
   * Port.
   * @default 5432
   */
  readonly port?: number;
  /** Database name. */
  readonly database: string;
  /** User name. */
  readonly username: string;
  /**
   * The user's password in an existing Secret. Dagster reads it from the key
   * `postgresql-password`, so a database used by Dagster must use that key.
   */
  readonly passwordSecret: SecretKeyRef;
  /**
   * Image used by the init container that waits for the server (`pg_isready`).
   * @default - the official postgres image this library pins
   */
  readonly clientImage?: ContainerImage;
}

/** A PostgreSQL database outside the cluster: nothing is deployed, pods connect to it. */
export class ExternalPostgres implements PostgresDatabasePlugin {
  /** Refers to an external database. Validation errors name `path` (the slot it is used in). */
  public static fromEndpoint(props: ExternalPostgresProps, path = 'ExternalPostgres'): ExternalPostgres {
    checkProps(path, 'ExternalPostgresProps', props);
    return new ExternalPostgres(props, path);
  }

  public readonly host: string;
  public readonly port: number;
  public readonly database: string;
  public readonly username: string;
  public readonly passwordSecret: SecretKeyRef;
  public readonly jdbcUrl: string;
  public readonly requiredSecrets: readonly SecretRequirement[];
  private readonly clientImage: ContainerImage;

  private constructor(props: ExternalPostgresProps, path: string) {
    if (typeof props.host !== 'string' || props.host.trim() === '' || /\s/.test(props.host)) {
      throw new FloeValidationError(path, 'host', props.host, 'a host name or IP address without spaces');
    }
    this.host = props.host;
    this.port = props.port ?? 5432;
    validatePort(path, 'port', this.port);
    this.database = props.database;
    this.username = props.username;
    this.passwordSecret = props.passwordSecret;
    this.jdbcUrl = `jdbc:postgresql://${this.host}:${this.port}/${this.database}`;
    this.clientImage = props.clientImage ?? POSTGRES_IMAGE;
    this.requiredSecrets = [
      {
        name: props.passwordSecret.name,
        keys: [props.passwordSecret.key],
        purpose: `password of PostgreSQL user '${props.username}' on the external server ${props.host}`,
      },
    ];
  }

  /** An init container that waits until the external server accepts connections. */
  public waitContainer(scope: IConstruct, name: string): k8s.Container {
    return pgIsReadyContainer(
      scope,
      name,
      this.host,
      this.port,
      this.username,
      this.database,
      this.clientImage,
    );
  }
}
