import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { FloeValidationError } from '../../core/errors';
import { resolveProduction } from '../../core/availability';
import { ComponentProps, DEFAULT_PLATFORM_NAME, WorkloadOptions } from '../../core/component';
import { ServiceEndpoint, serviceEndpoint } from '../../core/endpoints';
import { plainEnv, secretEnv, withExtraEnv } from '../../core/env';
import { ContainerImage, resolveImage } from '../../core/image';
import { selectorLabels, WorkloadIdentity } from '../../core/labels';
import { buildContainer, buildPodTemplate, emptyDirVolume, RunAs } from '../../core/pod';
import { execProbe } from '../../core/probes';
import { checkConstructProps } from '../../core/props-check';
import { ResourceRequirements } from '../../core/resources';
import { SecretKeyRef, SecretRequirement } from '../../core/secrets';
import { addService, objectMeta } from '../../core/service';
import { workloadServiceAccount } from '../../core/service-account';
import { validateDnsLabel, validateQuantity, validateReplicas } from '../../core/validation';
import { boundedWaitScript } from '../../core/wait';
import { PostgresDatabasePlugin } from '../interfaces';

/** Official `postgres` image, Alpine variant, major 17 (PGDATA under /var/lib/postgresql/data). */
export const POSTGRES_IMAGE: ContainerImage = {
  registry: 'docker.io',
  repository: 'library/postgres',
  tag: '17.6-alpine',
};

/** The `postgres` user of the Alpine image (UID and GID 70; Debian images use 999). */
export const POSTGRES_ALPINE_RUN_AS: RunAs = { user: 70, group: 70, fsGroup: 70 };

/** PostgreSQL's port. */
export const POSTGRES_PORT = 5432;

/**
 * The Secret key Dagster's K8sRunLauncher reads the password from (it is hard-coded there), used
 * for every database so one convention covers them all.
 */
export const POSTGRES_PASSWORD_KEY = 'postgresql-password';

const DEFAULT_RESOURCES: ResourceRequirements = {
  requests: { cpu: '250m', memory: '256Mi' },
  limits: { cpu: '1000m', memory: '1Gi' },
};

/** Properties of a `PostgreSQL` instance. */
export interface PostgreSQLProps extends ComponentProps, Omit<WorkloadOptions, 'replicas'> {
  /**
   * Name of the StatefulSet and of the client Service (the host name clients use); the headless
   * Service is `<name>-headless`. A DNS-1123 label.
   * @default - the construct id
   */
  readonly name?: string;
  /** Database created at first start. */
  readonly database: string;
  /** User created at first start, owner of `database`. */
  readonly username: string;
  /**
   * The user's password, in a Secret that must exist before the pod starts.
   * @default - Secret `<name>-credentials`, key `postgresql-password`
   */
  readonly passwordSecret?: SecretKeyRef;
  /**
   * Size of the data volume.
   * @default '10Gi'
   */
  readonly storageSize?: string;
  /**
   * StorageClass of the data volume.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * Major version the image must be. With an image override, state its major here: from 18 on,
   * the official image keeps data in `/var/lib/postgresql/<major>/docker` and the volume mount
   * moves to `/var/lib/postgresql`.
   * @default 17
   */
  readonly majorVersion?: number;
  /**
   * Number of pods. Only 1 is supported: this is a single primary without replication.
   * @default 1
   */
  readonly replicas?: number;
}

/**
 * A single-primary PostgreSQL server: StatefulSet with a persistent volume, a headless Service for
 * the pod's stable DNS name and a client Service. Runs the official image as its `postgres` user
 * (UID 70) with a read-only root filesystem; the data directory is on the volume and the socket
 * and temporary directories are emptyDirs.
 */
export class PostgreSQL extends Construct implements PostgresDatabasePlugin {
  /** Client host name (fully qualified). */
  public readonly host: string;
  /** Client port. */
  public readonly port = POSTGRES_PORT;
  /** Database name. */
  public readonly database: string;
  /** User name. */
  public readonly username: string;
  /** Password Secret reference. */
  public readonly passwordSecret: SecretKeyRef;
  /** `jdbc:postgresql://host:port/database`. */
  public readonly jdbcUrl: string;
  /** The client Service endpoint. */
  public readonly serviceEndpoint: ServiceEndpoint;
  /** Secrets that must exist. */
  public readonly requiredSecrets: readonly SecretRequirement[];
  /** The resolved image (reused by init containers that run `pg_isready`). */
  public readonly image: ContainerImage;
  /** Labels of the pods. */
  public readonly identity: WorkloadIdentity;
  /** Selector labels of the pods. */
  public readonly selector: Record<string, string>;
  /** The StatefulSet. */
  public readonly statefulSet: k8s.KubeStatefulSet;
  /** The client Service. */
  public readonly service: k8s.KubeService;
  /** The headless Service that governs the StatefulSet. */
  public readonly headlessService: k8s.KubeService;
  /** The ServiceAccount, with per-workload ServiceAccounts. */
  public readonly serviceAccount?: k8s.KubeServiceAccount;

  public constructor(scope: Construct, id: string, props: PostgreSQLProps) {
    checkConstructProps(scope, id, 'PostgreSQLProps', props);
    super(scope, id);
    const name = validateDnsLabel(this, 'name', props.name ?? id, 47);
    if (validateReplicas(this, 'replicas', props.replicas ?? 1) !== 1) {
      throw new FloeValidationError(
        this,
        'replicas',
        props.replicas,
        '1 (a single primary without replication; use an external database for high availability)',
      );
    }
    const production = resolveProduction(this, props);
    const major = props.majorVersion ?? 17;
    this.database = validateSqlIdentifier(this, 'database', props.database);
    this.username = validateSqlIdentifier(this, 'username', props.username);
    this.passwordSecret = props.passwordSecret ?? { name: `${name}-credentials`, key: POSTGRES_PASSWORD_KEY };
    this.image = resolveImage(this, 'image', POSTGRES_IMAGE, props.image, props.imageRegistry);
    this.identity = {
      name: 'postgresql',
      instance: name,
      component: 'database',
      partOf: props.platformName ?? DEFAULT_PLATFORM_NAME,
      version: this.image.tag,
    };
    this.selector = selectorLabels(this.identity);
    this.serviceEndpoint = serviceEndpoint(this, name, POSTGRES_PORT);
    this.host = this.serviceEndpoint.host;
    this.jdbcUrl = `jdbc:postgresql://${this.host}:${POSTGRES_PORT}/${this.database}`;
    this.requiredSecrets = [
      {
        name: this.passwordSecret.name,
        keys: [this.passwordSecret.key],
        purpose: `password of PostgreSQL user '${this.username}' on ${name}`,
      },
    ];

    const storageSize = validateQuantity(this, 'storageSize', props.storageSize ?? '10Gi');
    // Up to 17 the image's PGDATA is /var/lib/postgresql/data; a subdirectory keeps initdb away
    // from the volume root (lost+found). From 18 PGDATA is /var/lib/postgresql/<major>/docker and
    // the volume belongs at /var/lib/postgresql.
    const dataMount = major >= 18 ? '/var/lib/postgresql' : '/var/lib/postgresql/data';
    const pgdata = major >= 18 ? `/var/lib/postgresql/${major}/docker` : '/var/lib/postgresql/data/pgdata';
    const isReady = [
      'pg_isready',
      '-h',
      '127.0.0.1',
      '-p',
      String(POSTGRES_PORT),
      '-U',
      this.username,
      '-d',
      this.database,
    ];

    const container = buildContainer(
      this,
      {
        name: 'postgres',
        image: this.image,
        ports: [{ name: 'postgres', containerPort: POSTGRES_PORT, protocol: 'TCP' }],
        env: withExtraEnv(
          this,
          'extraEnv',
          [
            plainEnv('POSTGRES_USER', this.username),
            plainEnv('POSTGRES_DB', this.database),
            secretEnv('POSTGRES_PASSWORD', this.passwordSecret),
            plainEnv('PGDATA', pgdata),
          ],
          props.extraEnv,
        ),
        resources: props.resources ?? DEFAULT_RESOURCES,
        resourcesField: 'resources',
        // First start runs initdb; give it up to 5 minutes before liveness applies.
        startupProbe: execProbe(isReady, { periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 60 }),
        readinessProbe: execProbe(isReady, { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 }),
        livenessProbe: execProbe(isReady, { periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 }),
        volumeMounts: [
          { name: 'data', mountPath: dataMount },
          { name: 'run', mountPath: '/var/run/postgresql' },
          { name: 'tmp', mountPath: '/tmp' },
        ],
      },
      POSTGRES_ALPINE_RUN_AS,
    );

    const headlessName = `${name}-headless`;
    this.headlessService = addService(this, 'headless', {
      name: headlessName,
      identity: this.identity,
      headless: true,
      publishNotReadyAddresses: true,
      ports: [{ name: 'postgres', port: POSTGRES_PORT, targetPort: 'postgres' }],
    });
    this.service = addService(this, 'service', {
      name,
      identity: this.identity,
      ports: [{ name: 'postgres', port: POSTGRES_PORT, targetPort: 'postgres' }],
    });

    const account = workloadServiceAccount(this, 'service-account', {
      name,
      identity: this.identity,
      enabled: production.serviceAccounts,
    });
    this.serviceAccount = account.serviceAccount;
    this.statefulSet = new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: objectMeta(name, this.identity),
      spec: {
        serviceName: headlessName,
        replicas: 1,
        selector: { matchLabels: this.selector },
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate' },
        template: buildPodTemplate({
          identity: this.identity,
          runAs: POSTGRES_ALPINE_RUN_AS,
          ...account.pod,
          containers: [container],
          volumes: [emptyDirVolume('run'), emptyDirVolume('tmp')],
          scheduling: props,
          imagePullSecrets: props.imagePullSecrets,
          terminationGracePeriodSeconds: 60,
        }),
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels: this.selector },
            spec: {
              accessModes: ['ReadWriteOnce'],
              ...(props.storageClassName ? { storageClassName: props.storageClassName } : {}),
              resources: { requests: { storage: k8s.Quantity.fromString(storageSize) } },
            },
          },
        ],
      },
    });
  }

  /** An init container that runs `pg_isready` against this server until it accepts connections. */
  public waitContainer(scope: IConstruct, name: string): k8s.Container {
    return pgIsReadyContainer(scope, name, this.host, this.port, this.username, this.database, this.image);
  }

  /** The underlying objects, in the order they are written. */
  public get apiObjects(): ApiObject[] {
    return [
      this.headlessService,
      this.service,
      ...(this.serviceAccount ? [this.serviceAccount] : []),
      this.statefulSet,
    ];
  }
}

/** An init container that runs `pg_isready` until the server accepts connections (bounded: `boundedWaitScript`). */
export function pgIsReadyContainer(
  scope: IConstruct,
  name: string,
  host: string,
  port: number,
  username: string,
  database: string,
  image: ContainerImage,
): k8s.Container {
  const script = boundedWaitScript(
    `PostgreSQL at ${host}:${port}`,
    `pg_isready -h ${host} -p ${port} -U ${username} -d ${database}`,
  );
  return buildContainer(
    scope,
    {
      name,
      image,
      command: ['sh', '-c', script],
      resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
      resourcesField: 'waitResources',
    },
    POSTGRES_ALPINE_RUN_AS,
  );
}

const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

function validateSqlIdentifier(scope: IConstruct, field: string, value: string): string {
  if (typeof value !== 'string' || !SQL_IDENTIFIER.test(value)) {
    throw new FloeValidationError(
      scope,
      field,
      value,
      "a PostgreSQL identifier: lower-case letters, digits and '_', not starting with a digit, at most 63 characters",
    );
  }
  return value;
}
