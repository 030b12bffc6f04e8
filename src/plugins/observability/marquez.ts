import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { Document, isScalar } from 'yaml';
import { connect } from '../../core/connections';
import { FloeValidationError } from '../../core/errors';
import { productionOptions, resolveProduction, workloadAvailability } from '../../core/availability';
import { configChecksumAnnotations } from '../../core/checksum';
import { ComponentProps, DEFAULT_PLATFORM_NAME, WorkloadOptions } from '../../core/component';
import { endpointUrl, ServiceEndpoint, serviceEndpoint } from '../../core/endpoints';
import { plainEnv, secretEnv, withExtraEnv } from '../../core/env';
import { ContainerImage, ImageOverride, resolveImage } from '../../core/image';
import { selectorLabels, WorkloadIdentity } from '../../core/labels';
import { buildContainer, buildPodTemplate, configMapVolume, emptyDirVolume, RunAs } from '../../core/pod';
import { httpProbe } from '../../core/probes';
import { checkConstructProps, checkProps } from '../../core/props-check';
import { ResourceRequirements } from '../../core/resources';
import { SecretRequirement } from '../../core/secrets';
import { addService, objectMeta } from '../../core/service';
import { workloadServiceAccount } from '../../core/service-account';
import { validateInteger, validateReplicas } from '../../core/validation';
import { waitForTcpContainer } from '../../core/wait';
import { LineagePlugin, PluginProvider, PostgresDatabasePlugin } from '../interfaces';
import { MetricsEndpoint, metricsEndpoint } from '../../core/metrics';
import { IngressTarget } from '../../core/ingress';

/** The Marquez API server (Dropwizard on eclipse-temurin 17). */
export const MARQUEZ_IMAGE: ContainerImage = {
  registry: 'docker.io',
  repository: 'marquezproject/marquez',
  tag: '0.51.1',
};

/** The Marquez web UI (Express on node:18-alpine), released together with the API. */
export const MARQUEZ_WEB_IMAGE: ContainerImage = {
  registry: 'docker.io',
  repository: 'marquezproject/marquez-web',
  tag: '0.51.1',
};

/**
 * The API image has no `USER` and so runs as root. Nothing in it needs root: the jar and the
 * entrypoint under /usr/src/app are world-readable (the entrypoint world-executable), and Java
 * runs under a UID that has no passwd entry. This is a fixed UID of our choosing, not one the
 * image defines.
 */
export const MARQUEZ_RUN_AS: RunAs = { user: 10001, group: 10001 };

/** The `node` user (UID and GID 1000) of the node:18-alpine base of the web image. */
export const MARQUEZ_WEB_RUN_AS: RunAs = { user: 1000, group: 1000 };

/** The API port: REST API, including OpenLineage `POST /api/v1/lineage`. */
export const MARQUEZ_PORT = 5000;

/** The Dropwizard admin port: `/healthcheck`, `/ping`, `/metrics`. */
export const MARQUEZ_ADMIN_PORT = 5001;

/** The web UI port. */
export const MARQUEZ_WEB_PORT = 3000;

/** Where the rendered config.yml is mounted (`MARQUEZ_CONFIG` points at it). */
export const MARQUEZ_CONFIG_PATH = '/etc/marquez/config.yml';

/** Names of the objects; fixed, so that the Service DNS names are known in advance. */
const API_NAME = 'marquez';
const WEB_NAME = 'marquez-web';
const CONFIG_MAP_NAME = 'marquez-config';
const CONFIG_KEY = 'config.yml';

/** The environment variable config.yml reads the database password from (Dropwizard substitution). */
const PASSWORD_ENV = 'POSTGRES_PASSWORD';

const DEFAULT_RESOURCES: ResourceRequirements = {
  requests: { cpu: '250m', memory: '1Gi' },
  limits: { cpu: '2', memory: '1536Mi' },
};

const DEFAULT_WEB_RESOURCES: ResourceRequirements = {
  requests: { cpu: '50m', memory: '128Mi' },
  limits: { cpu: '500m', memory: '256Mi' },
};

/** Log levels Dropwizard's `logging.level` accepts. */
export type MarquezLogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'OFF';
const LOG_LEVELS: readonly string[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'OFF'];

/** Marquez's own rule for namespace names (`marquez.common.models.NamespaceName`). */
const LINEAGE_NAMESPACE = /^[a-zA-Z:;=/0-9_\-.@+]{1,1024}$/;

/** How long lineage metadata is kept (Marquez's `dbRetention`). */
export interface MarquezRetention {
  /**
   * Runs, jobs and datasets older than this many days are deleted.
   * @default 7
   */
  readonly retentionDays?: number;
  /**
   * How often the retention job runs, in minutes.
   * @default 15
   */
  readonly frequencyMins?: number;
  /**
   * Rows deleted per batch.
   * @default 1000
   */
  readonly numberOfRowsPerBatch?: number;
}

/** The web UI. */
export interface MarquezWebOptions extends WorkloadOptions {
  /**
   * Deploy the web UI (Deployment and Service `marquez-web`).
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Web UI pods.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Requests and limits of the web UI container.
   * @default - requests 50m CPU / 128Mi, limits 500m CPU / 256Mi
   */
  readonly resources?: ResourceRequirements;
}

/** Properties of `Marquez`. The top-level workload options apply to the API server. */
export interface MarquezProps extends ComponentProps, WorkloadOptions {
  /**
   * The PostgreSQL database Marquez keeps its metadata in. Marquez creates and migrates its schema
   * itself (Flyway) at start. Required.
   */
  readonly database: PostgresDatabasePlugin;
  /**
   * API pods. More than one is safe: Flyway serialises the start-up migrations (see the class
   * documentation). The floe docs ask for at least 2, with a PodDisruptionBudget keeping 1.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Requests and limits of the API container.
   * @default - requests 250m CPU / 1Gi, limits 2 CPU / 1536Mi
   */
  readonly resources?: ResourceRequirements;
  /**
   * The default OpenLineage namespace clients report into (`OPENLINEAGE_NAMESPACE`). Letters,
   * digits and `:;=/_-.@+`, as Marquez accepts them.
   * @default 'floe'
   */
  readonly lineageNamespace?: string;
  /**
   * The web UI.
   * @default - enabled, 1 replica
   */
  readonly web?: MarquezWebOptions;
  /**
   * Root log level of the API server.
   * @default 'INFO'
   */
  readonly logLevel?: MarquezLogLevel;
  /**
   * Options for the JVM, appended to `JAVA_OPTS` by the image's entrypoint (which adds
   * `-Duser.timezone=UTC -Dlog4j2.formatMsgNoLookups=true` itself).
   * @default '-XX:MaxRAMPercentage=70.0' (heap sized from the memory limit)
   */
  readonly javaOptions?: string;
  /**
   * Upper bound of each API pod's database connection pool (Dropwizard `db.maxSize`; the pool
   * starts with 2). Dropwizard's own default, 100 per pod, can exhaust a PostgreSQL server with
   * the default `max_connections` of 100. At least 2.
   * @default 20
   */
  readonly maxDatabaseConnections?: number;
  /**
   * Delete old lineage metadata.
   * @default - metadata is kept forever
   */
  readonly retention?: MarquezRetention;
  /**
   * Image of the init container with which the web UI waits for the API (busybox).
   * @default - the busybox image this library pins
   */
  readonly waitImage?: ImageOverride;
}

/** What `Marquez.provider` takes: everything but the database and the platform-wide settings. */
export type MarquezProviderOptions = Omit<MarquezProps, 'database' | keyof ComponentProps>;

/**
 * Marquez, the OpenLineage metadata server, and its web UI.
 *
 * - Deployment and Service `marquez` (ports `http` 5000 and `http-admin` 5001). Config is a
 *   rendered `config.yml` in ConfigMap `marquez-config`; the database password comes from the
 *   database's Secret through `POSTGRES_PASSWORD`, which Dropwizard substitutes into the config.
 *   OpenSearch-backed search is disabled. An init container waits for the database.
 * - Deployment and Service `marquez-web` (port 3000), which serves the UI and proxies `/api/v1`
 *   and `/api/v2beta` to the API Service. An init container waits for the API.
 *
 * Schema migrations run at API start (`migrateOnStartup`). With several API replicas they are
 * still applied once: Flyway (8.5) serialises migrations through a PostgreSQL advisory lock and
 * re-reads the schema history under it. On a fresh database a replica that waits longer than
 * Flyway's lock retry budget (50 tries, 1 s apart) exits; Kubernetes restarts it and it then finds
 * nothing to migrate.
 *
 * Both containers run as non-root with a read-only root filesystem: the JVM writes only to /tmp
 * (an emptyDir); the web UI writes nothing.
 */
export class Marquez extends Construct implements LineagePlugin {
  /**
   * A provider for `FloePlatform`'s lineage slot. It asks the platform for PostgreSQL instance
   * `lineage-db` with database and user `marquez`.
   */
  public static provider(options: MarquezProviderOptions = {}): PluginProvider<LineagePlugin> {
    checkProps('Marquez.provider()', 'MarquezProviderOptions', options);
    return {
      database: { name: 'lineage-db', database: 'marquez', username: 'marquez' },
      provide: (scope, id, deps) => {
        if (!deps.database) {
          throw new FloeValidationError(
            scope.node.path ? `${scope.node.path}/${id}` : id,
            'database',
            undefined,
            'the PostgreSQL database the provider requests (lineage-db)',
          );
        }
        return new Marquez(scope, id, {
          ...options,
          ...productionOptions(deps),
          platformName: deps.platformName,
          imageRegistry: deps.imageRegistry,
          imagePullSecrets: deps.imagePullSecrets,
          database: deps.database,
        });
      },
    };
  }

  /** `OPENLINEAGE_URL` for clients: the API base URL (clients append `/api/v1/lineage`). */
  public readonly lineageUrl: string;
  /** The default OpenLineage namespace. */
  public readonly lineageNamespace: string;
  /** The API Service endpoint (port 5000). */
  public readonly serviceEndpoint: ServiceEndpoint;
  /** The admin endpoint (port 5001: `/healthcheck`, `/metrics`). */
  public readonly adminEndpoint: ServiceEndpoint;
  /** The web UI URL, when the UI is enabled. */
  public readonly webUrl?: string;
  /** The web UI Service endpoint, when the UI is enabled. */
  public readonly webEndpoint?: ServiceEndpoint;
  /** Secrets that must exist: the database password Marquez connects with. */
  public readonly requiredSecrets: readonly SecretRequirement[];
  /** The rendered config.yml. */
  public readonly config: string;
  /** Labels of the API pods. */
  public readonly identity: WorkloadIdentity;
  /** Selector labels of the API pods. */
  public readonly selector: Record<string, string>;
  /** Labels of the web UI pods, when the UI is enabled. */
  public readonly webIdentity?: WorkloadIdentity;
  /** The ConfigMap holding config.yml. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The API Deployment. */
  public readonly deployment: k8s.KubeDeployment;
  /** The API Service. */
  public readonly service: k8s.KubeService;
  /** The metrics endpoint of the Service (what the platform's ServiceMonitors scrape). */
  public readonly metricsEndpoints: readonly MetricsEndpoint[];
  /** The web UI Deployment, when enabled. */
  public readonly webDeployment?: k8s.KubeDeployment;
  /** The web UI Service, when enabled. */
  public readonly webService?: k8s.KubeService;
  /** The API's PodDisruptionBudget, when it runs more than one pod. */
  public readonly disruptionBudget?: k8s.KubePodDisruptionBudget;
  /** The web UI's PodDisruptionBudget, when it runs more than one pod. */
  public readonly webDisruptionBudget?: k8s.KubePodDisruptionBudget;
  /** The API's ServiceAccount, with per-workload ServiceAccounts. */
  public readonly serviceAccount?: k8s.KubeServiceAccount;
  /** The web UI's ServiceAccount, with the UI and per-workload ServiceAccounts. */
  public readonly webServiceAccount?: k8s.KubeServiceAccount;

  /** The web UI on port 3000, or the API on port 5000 without the UI. What an Ingress for this service targets. */
  public get webExposure(): IngressTarget {
    return {
      endpoint: this.webEndpoint ?? this.serviceEndpoint,
      identity: this.webIdentity ?? this.identity,
    };
  }

  public constructor(scope: Construct, id: string, props: MarquezProps) {
    checkConstructProps(scope, id, 'MarquezProps', props);
    super(scope, id);
    const database = props.database;
    if (!database || typeof database !== 'object') {
      throw new FloeValidationError(this, 'database', database, 'a PostgresDatabasePlugin (required)');
    }
    const replicas = validateReplicas(this, 'replicas', props.replicas ?? 2);
    const production = resolveProduction(this, props);
    this.lineageNamespace = props.lineageNamespace ?? 'floe';
    if (typeof this.lineageNamespace !== 'string' || !LINEAGE_NAMESPACE.test(this.lineageNamespace)) {
      throw new FloeValidationError(
        this,
        'lineageNamespace',
        props.lineageNamespace,
        "1 to 1024 letters, digits or ':', ';', '=', '/', '_', '-', '.', '@', '+' (Marquez's namespace name rule)",
      );
    }
    const logLevel = props.logLevel ?? 'INFO';
    if (!LOG_LEVELS.includes(logLevel)) {
      throw new FloeValidationError(this, 'logLevel', logLevel, `one of ${LOG_LEVELS.join(', ')}`);
    }
    const maxConnections = validateInteger(
      this,
      'maxDatabaseConnections',
      props.maxDatabaseConnections ?? 20,
      2,
    );
    const javaOptions = props.javaOptions ?? '-XX:MaxRAMPercentage=70.0';
    if (typeof javaOptions !== 'string' || /[\r\n]/.test(javaOptions)) {
      throw new FloeValidationError(this, 'javaOptions', javaOptions, 'JVM options on one line');
    }

    const image = resolveImage(this, 'image', MARQUEZ_IMAGE, props.image, props.imageRegistry);
    const partOf = props.platformName ?? DEFAULT_PLATFORM_NAME;
    this.identity = { name: 'marquez', instance: API_NAME, component: 'api', partOf, version: image.tag };
    this.selector = selectorLabels(this.identity);
    this.serviceEndpoint = serviceEndpoint(this, API_NAME, MARQUEZ_PORT);
    this.adminEndpoint = serviceEndpoint(this, API_NAME, MARQUEZ_ADMIN_PORT);
    this.lineageUrl = endpointUrl(this.serviceEndpoint);
    this.requiredSecrets = [
      {
        name: database.passwordSecret.name,
        keys: [database.passwordSecret.key],
        purpose:
          `password Marquez connects to PostgreSQL with as user '${database.username}' ` +
          '(any characters but line breaks and leading spaces)',
      },
    ];

    this.config = renderConfig({
      jdbcUrl: database.jdbcUrl,
      user: database.username,
      logLevel,
      maxConnections,
      retention: props.retention === undefined ? undefined : validateRetention(this, props.retention),
    });

    this.configMap = new k8s.KubeConfigMap(this, 'config', {
      metadata: objectMeta(CONFIG_MAP_NAME, this.identity),
      data: { [CONFIG_KEY]: this.config },
    });

    const api = buildContainer(
      this,
      {
        name: 'marquez',
        image,
        ports: [
          { name: 'http', containerPort: MARQUEZ_PORT, protocol: 'TCP' },
          { name: 'http-admin', containerPort: MARQUEZ_ADMIN_PORT, protocol: 'TCP' },
        ],
        env: withExtraEnv(
          this,
          'extraEnv',
          [
            plainEnv('MARQUEZ_CONFIG', MARQUEZ_CONFIG_PATH),
            secretEnv(PASSWORD_ENV, database.passwordSecret),
            plainEnv('JAVA_OPTS', javaOptions),
          ],
          props.extraEnv,
        ),
        resources: props.resources ?? DEFAULT_RESOURCES,
        resourcesField: 'resources',
        // JVM start plus Flyway migrations (a fresh schema, or long backfills on upgrade): up to 10 min.
        startupProbe: httpProbe('/healthcheck', 'http-admin', {
          periodSeconds: 10,
          timeoutSeconds: 5,
          failureThreshold: 60,
        }),
        // /healthcheck includes the database check: an API that cannot reach PostgreSQL gets no traffic.
        readinessProbe: httpProbe('/healthcheck', 'http-admin', {
          periodSeconds: 10,
          timeoutSeconds: 5,
          failureThreshold: 3,
        }),
        // /ping answers while the JVM serves, so a database outage does not restart every pod.
        livenessProbe: httpProbe('/ping', 'http-admin', {
          periodSeconds: 20,
          timeoutSeconds: 5,
          failureThreshold: 3,
        }),
        volumeMounts: [
          { name: 'config', mountPath: '/etc/marquez', readOnly: true },
          { name: 'tmp', mountPath: '/tmp' },
        ],
      },
      MARQUEZ_RUN_AS,
    );

    this.metricsEndpoints = [
      metricsEndpoint(this, {
        serviceName: API_NAME,
        identity: this.identity,
        portName: 'http',
        port: MARQUEZ_PORT,
        path: '/metrics',
      }),
    ];
    this.service = addService(this, 'service', {
      name: API_NAME,
      identity: this.identity,
      // Prometheus client servlet on the application port (MarquezApp registers it at /metrics).
      metrics: this.metricsEndpoints[0],
      ports: [
        { name: 'http', port: MARQUEZ_PORT, targetPort: 'http' },
        { name: 'http-admin', port: MARQUEZ_ADMIN_PORT, targetPort: 'http-admin' },
      ],
    });

    const account = workloadServiceAccount(this, 'service-account', {
      name: API_NAME,
      identity: this.identity,
      enabled: production.serviceAccounts,
    });
    this.serviceAccount = account.serviceAccount;
    // The floe docs' PDB for Marquez: at least 1 available.
    const availability = workloadAvailability(this, 'api', {
      field: '',
      kind: 'Deployment',
      name: API_NAME,
      identity: this.identity,
      settings: production,
      replicas,
      disruption: { minAvailable: 1 },
      scheduling: props,
    });
    this.disruptionBudget = availability.disruptionBudget;
    this.deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: objectMeta(API_NAME, this.identity),
      spec: {
        ...availability.replicaSpec,
        selector: { matchLabels: this.selector },
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: {
            maxSurge: k8s.IntOrString.fromNumber(1),
            maxUnavailable: k8s.IntOrString.fromNumber(0),
          },
        },
        template: buildPodTemplate({
          identity: this.identity,
          runAs: MARQUEZ_RUN_AS,
          ...account.pod,
          initContainers: [database.waitContainer(this, 'wait-for-database')],
          containers: [api],
          volumes: [configMapVolume('config', CONFIG_MAP_NAME), emptyDirVolume('tmp')],
          scheduling: availability.scheduling,
          imagePullSecrets: props.imagePullSecrets,
          annotations: configChecksumAnnotations(production.configChecksums, {
            [CONFIG_MAP_NAME]: { [CONFIG_KEY]: this.config },
          }),
        }),
      },
    });
    connect(this.deployment, database.jdbcUrl, 'lineage store (PostgreSQL)');

    const web = props.web ?? {};
    if (web.enabled ?? true) {
      const webImage = resolveImage(this, 'web.image', MARQUEZ_WEB_IMAGE, web.image, props.imageRegistry);
      const webIdentity: WorkloadIdentity = {
        name: 'marquez',
        instance: API_NAME,
        component: 'web',
        partOf,
        version: webImage.tag,
      };
      this.webIdentity = webIdentity;
      this.webEndpoint = serviceEndpoint(this, WEB_NAME, MARQUEZ_WEB_PORT);
      this.webUrl = endpointUrl(this.webEndpoint);

      const webContainer = buildContainer(
        this,
        {
          name: 'marquez-web',
          image: webImage,
          ports: [{ name: 'http', containerPort: MARQUEZ_WEB_PORT, protocol: 'TCP' }],
          // setupProxy.js exits at start when any of these three is missing.
          env: withExtraEnv(
            this,
            'web.extraEnv',
            [
              plainEnv('MARQUEZ_HOST', this.serviceEndpoint.host),
              plainEnv('MARQUEZ_PORT', String(MARQUEZ_PORT)),
              plainEnv('WEB_PORT', String(MARQUEZ_WEB_PORT)),
            ],
            web.extraEnv,
          ),
          resources: web.resources ?? DEFAULT_WEB_RESOURCES,
          resourcesField: 'web.resources',
          readinessProbe: httpProbe('/healthcheck', 'http', {
            periodSeconds: 10,
            timeoutSeconds: 5,
            failureThreshold: 3,
          }),
          livenessProbe: httpProbe('/healthcheck', 'http', {
            periodSeconds: 20,
            timeoutSeconds: 5,
            failureThreshold: 3,
          }),
        },
        MARQUEZ_WEB_RUN_AS,
      );

      this.webService = addService(this, 'web-service', {
        name: WEB_NAME,
        identity: webIdentity,
        ports: [{ name: 'http', port: MARQUEZ_WEB_PORT, targetPort: 'http' }],
      });

      const webAccount = workloadServiceAccount(this, 'web-service-account', {
        name: WEB_NAME,
        identity: webIdentity,
        enabled: production.serviceAccounts,
      });
      this.webServiceAccount = webAccount.serviceAccount;
      const webAvailability = workloadAvailability(this, 'web', {
        field: 'web',
        kind: 'Deployment',
        name: WEB_NAME,
        identity: webIdentity,
        settings: production,
        replicas: validateReplicas(this, 'web.replicas', web.replicas ?? 1),
        disruption: { minAvailable: 1 },
        scheduling: web,
      });
      this.webDisruptionBudget = webAvailability.disruptionBudget;
      this.webDeployment = new k8s.KubeDeployment(this, 'web-deployment', {
        metadata: objectMeta(WEB_NAME, webIdentity),
        spec: {
          ...webAvailability.replicaSpec,
          selector: { matchLabels: selectorLabels(webIdentity) },
          template: buildPodTemplate({
            identity: webIdentity,
            runAs: MARQUEZ_WEB_RUN_AS,
            ...webAccount.pod,
            initContainers: [
              waitForTcpContainer(
                this,
                { name: 'wait-for-marquez', host: this.serviceEndpoint.host, port: MARQUEZ_PORT },
                props.imageRegistry,
                props.waitImage,
              ),
            ],
            containers: [webContainer],
            scheduling: webAvailability.scheduling,
            imagePullSecrets: props.imagePullSecrets,
          }),
        },
      });
      connect(this.webDeployment, this.serviceEndpoint, 'the lineage API the UI proxies');
    }
  }

  /** The underlying objects, in the order they are written. */
  public get apiObjects(): ApiObject[] {
    const present = (o: ApiObject | undefined): ApiObject[] => (o ? [o] : []);
    const objects: ApiObject[] = [
      this.configMap,
      this.service,
      ...present(this.serviceAccount),
      ...present(this.disruptionBudget),
      this.deployment,
    ];
    if (this.webService && this.webDeployment) {
      objects.push(
        this.webService,
        ...present(this.webServiceAccount),
        ...present(this.webDisruptionBudget),
        this.webDeployment,
      );
    }
    return objects;
  }
}

interface ConfigInputs {
  readonly jdbcUrl: string;
  readonly user: string;
  readonly logLevel: string;
  readonly maxConnections: number;
  readonly retention?: Required<MarquezRetention>;
}

/**
 * Renders Marquez's Dropwizard config.yml. Everything is literal except the password: Marquez
 * enables Dropwizard's environment-variable substitution (non-strict) on the raw text before the
 * YAML is parsed, so the password goes in as `${POSTGRES_PASSWORD}` inside a literal block scalar,
 * where any substituted characters except line breaks (and leading spaces) stay verbatim.
 */
function renderConfig(c: ConfigInputs): string {
  const config = {
    server: {
      applicationConnectors: [{ type: 'http', port: MARQUEZ_PORT, httpCompliance: 'RFC7230_LEGACY' }],
      adminConnectors: [{ type: 'http', port: MARQUEZ_ADMIN_PORT }],
    },
    db: {
      driverClass: 'org.postgresql.Driver',
      url: c.jdbcUrl,
      user: c.user,
      password: `\${${PASSWORD_ENV}}`,
      initialSize: 2,
      minSize: 2,
      maxSize: c.maxConnections,
    },
    migrateOnStartup: true,
    ...(c.retention ? { dbRetention: c.retention } : {}),
    // The image's bundled marquez.dev.yml turns on OpenSearch at host `opensearch`; we deploy none.
    search: { enabled: false },
    logging: { level: c.logLevel, appenders: [{ type: 'console' }] },
  };
  const doc = new Document(config, { sortMapEntries: true });
  const password = doc.getIn(['db', 'password'], true);
  if (isScalar(password)) {
    password.type = 'BLOCK_LITERAL';
  }
  return doc.toString({ lineWidth: 0 });
}

function validateRetention(scope: Construct, r: MarquezRetention): Required<MarquezRetention> {
  return {
    retentionDays: validateInteger(scope, 'retention.retentionDays', r.retentionDays ?? 7, 1),
    frequencyMins: validateInteger(scope, 'retention.frequencyMins', r.frequencyMins ?? 15, 1),
    numberOfRowsPerBatch: validateInteger(
      scope,
      'retention.numberOfRowsPerBatch',
      r.numberOfRowsPerBatch ?? 1000,
      1,
    ),
  };
}
