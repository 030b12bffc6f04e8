import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { stringify } from 'yaml';
import { productionOptions, resolveProduction } from '../../core/availability';
import { configChecksumAnnotations } from '../../core/checksum';
import { ComponentProps, DEFAULT_PLATFORM_NAME, WorkloadOptions } from '../../core/component';
import { connect } from '../../core/connections';
import { endpointUrl, namespaceOf, ServiceEndpoint, serviceEndpoint } from '../../core/endpoints';
import { FloeValidationError } from '../../core/errors';
import { plainEnv, secretEnv, withExtraEnv } from '../../core/env';
import { ContainerImage, resolveImage } from '../../core/image';
import { selectorLabels, WorkloadIdentity } from '../../core/labels';
import { buildContainer, buildPodTemplate, configMapVolume, emptyDirVolume, RunAs } from '../../core/pod';
import { httpProbe } from '../../core/probes';
import { checkConstructProps, checkProps } from '../../core/props-check';
import { ResourceRequirements } from '../../core/resources';
import { SecretKeyRef, SecretRequirement } from '../../core/secrets';
import { addService, objectMeta } from '../../core/service';
import { workloadServiceAccount } from '../../core/service-account';
import {
  validateDnsLabel,
  validateDnsSubdomain,
  validateEnvName,
  validateReplicas,
} from '../../core/validation';
import {
  HasPrerequisites,
  MetricsBackendPlugin,
  PlatformDependencies,
  PluginProvider,
  TracingBackendPlugin,
} from '../interfaces';
import { IngressTarget } from '../../core/ingress';
import { MetricsEndpoint, metricsEndpoint } from '../../core/metrics';
import { dashboardJson, FloeDashboard, floeDashboards } from './grafana-dashboards';

/** The official Grafana OSS image. */
export const GRAFANA_IMAGE: ContainerImage = {
  registry: 'docker.io',
  repository: 'grafana/grafana',
  tag: '12.3.1',
};

/** The `grafana` user of the image (UID 472); the group is 472 as in the upstream chart. */
export const GRAFANA_RUN_AS: RunAs = { user: 472, group: 472, fsGroup: 472 };

/** Grafana's HTTP port (UI, API, `/api/health`, `/metrics`). */
export const GRAFANA_PORT = 3000;

/** Default Secret holding the initial admin user and password. */
export const GRAFANA_ADMIN_SECRET = 'grafana-admin';
/** Key of the admin user name in the admin Secret. */
export const GRAFANA_ADMIN_USER_KEY = 'admin-user';
/** Key of the admin password in the admin Secret. */
export const GRAFANA_ADMIN_PASSWORD_KEY = 'admin-password';

/** Where Grafana downloads plugins from (`[grafana_com] url` in its defaults.ini). */
export const GRAFANA_COM_URL = 'https://grafana.com';

/** UID of the provisioned Prometheus datasource (stable, for dashboards that refer to it). */
export const PROMETHEUS_DATASOURCE_UID = 'prometheus';
/** UID of the provisioned Jaeger datasource. */
export const JAEGER_DATASOURCE_UID = 'jaeger';

/**
 * Where the dashboard JSON files are mounted. Grafana's `file` provider walks its `options.path`,
 * reads every `*.json` and skips directories whose name starts with '.' (so a ConfigMap volume's
 * `..data` link directories are not read twice): grafana/grafana
 * `pkg/services/provisioning/dashboards/file_reader.go`, read in the research store's copies (the
 * repository at the pinned tag v12.3.1 was too large to fetch). The upstream chart mounts
 * dashboards under `/var/lib/grafana/dashboards/<provider>` the same way.
 */
export const GRAFANA_DASHBOARDS_PATH = '/var/lib/grafana/dashboards/floe';

/** Name of the dashboard provider in `dashboards.yaml` (and of the folder the dashboards go to). */
export const GRAFANA_DASHBOARD_PROVIDER = 'floe';

/** Largest data a ConfigMap may hold (1 MiB, the API server's limit), less room for its metadata. */
const CONFIG_MAP_DATA_LIMIT = 1024 * 1024 - 16 * 1024;

const PATHS = {
  config: '/etc/grafana/grafana.ini',
  data: '/var/lib/grafana',
  logs: '/var/log/grafana',
  plugins: '/var/lib/grafana/plugins',
  provisioning: '/etc/grafana/provisioning',
  search: '/var/lib/grafana-search',
} as const;

const DEFAULT_RESOURCES: ResourceRequirements = {
  requests: { cpu: '100m', memory: '256Mi' },
  limits: { memory: '1Gi' },
};

/** A `grafana.ini` value. */
export type GrafanaSettingValue = string | number | boolean;

/** Properties of a `Grafana`. */
export interface GrafanaProps extends ComponentProps, Omit<WorkloadOptions, 'replicas'> {
  /**
   * Name of the Deployment and Service; the ConfigMaps are `<name>`, `<name>-datasources` and, with
   * dashboards, `<name>-dashboard-providers` and `<name>-dashboards`. A DNS-1123 label.
   * @default 'grafana'
   */
  readonly name?: string;
  /**
   * Number of pods. Only 1 is supported: Grafana keeps its state in SQLite in an emptyDir, so each
   * further pod would have a database of its own, and users would see different dashboards per request.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Metrics backend, provisioned as the default `prometheus` datasource (uid `prometheus`).
   * @default - no metrics datasource
   */
  readonly metrics?: MetricsBackendPlugin;
  /**
   * Trace backend, provisioned as a `jaeger` datasource (uid `jaeger`).
   * @default - no tracing datasource
   */
  readonly tracing?: TracingBackendPlugin;
  /**
   * Existing Secret with the initial admin user (key `admin-user`) and password (key `admin-password`).
   * The database lives in an emptyDir, so the admin account is recreated from it at every start.
   * @default 'grafana-admin'
   */
  readonly adminSecretName?: string;
  /**
   * Public URL users open Grafana at (`server.root_url`), needed behind an Ingress for redirects
   * and links, e.g. `https://grafana.example.com/`.
   * @default - Grafana's `http://localhost:3000/`
   */
  readonly rootUrl?: string;
  /**
   * Let Grafana download its default "preinstalled" plugins (the Drilldown apps) from grafana.com
   * in the background at every start. Off, Grafana starts without any egress; the Prometheus and
   * Jaeger datasources are built into Grafana 12. (Grafana 13 moves core datasources into that
   * list: keep this on, or ship the plugins, before overriding the image to 13.)
   * @default true
   */
  readonly preinstallPlugins?: boolean;
  /**
   * Annotate the Service with `prometheus.io/scrape`, `/port` and `/path` so that a `Prometheus`
   * with service discovery scrapes Grafana's own `/metrics`.
   * @default true
   */
  readonly scrapeMetrics?: boolean;
  /**
   * Further `grafana.ini` settings, by section and key, e.g. `{ 'auth.anonymous': { enabled: true } }`.
   * The ConfigMap is readable by anyone who can read ConfigMaps: a key that looks secret
   * (ending in password, secret, token, api_key or private_key) only accepts `$__env{VAR}` or `$__file{path}`, with the variable
   * from `secretEnv`. Settings the construct manages (paths, logging, port, root URL, search index,
   * preinstall, analytics, admin account) are refused.
   * @default - none
   */
  readonly settings?: Record<string, Record<string, GrafanaSettingValue>>;
  /**
   * Environment variables read from existing Secrets, e.g. `{ GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET: { name: 'oidc', key: 'client-secret' } }`.
   * @default - none
   */
  readonly secretEnv?: Record<string, SecretKeyRef>;
  /**
   * Provision floe's dashboards (platform health, Dagster runs, Polaris, Cube, the collector, MinIO;
   * see `floeDashboards()`) into the folder `floe`, read-only, on the `prometheus` datasource.
   * Only with a `metrics` backend, which they query.
   * @default true
   */
  readonly dashboards?: boolean;
}

/** Options of `Grafana.provider`: everything but what the platform supplies (including the backends). */
export type GrafanaProviderOptions = Omit<GrafanaProps, keyof ComponentProps | 'metrics' | 'tracing'>;

/**
 * Grafana with its datasources and floe's dashboards provisioned: a Deployment of one pod, Service
 * `grafana` on 3000, `grafana.ini`, the datasource and dashboard provisioning files and the
 * dashboards in ConfigMaps. State (SQLite, sessions,
 * plugins, search index) is in emptyDirs, so it is reset at every restart: keep dashboards as code.
 * Runs as UID/GID 472 with a read-only root filesystem; it logs to the console only.
 */
export class Grafana extends Construct implements HasPrerequisites {
  /**
   * Builds `Grafana` inside the platform, wired to the platform's metrics and trace backends.
   * @param options everything else
   */
  public static provider(options: GrafanaProviderOptions = {}): PluginProvider<Grafana> {
    checkProps('Grafana.provider()', 'GrafanaProviderOptions', options);
    return {
      provide: (scope: Construct, id: string, deps: PlatformDependencies): Grafana =>
        new Grafana(scope, id, {
          ...options,
          ...productionOptions(deps),
          platformName: deps.platformName,
          imageRegistry: deps.imageRegistry,
          imagePullSecrets: deps.imagePullSecrets,
          metrics: deps.metrics,
          tracing: deps.tracing,
        }),
    };
  }

  /** UI and API base URL, e.g. `http://grafana.floe-platform.svc.cluster.local:3000`. */
  public readonly url: string;
  /** The Service endpoint. */
  public readonly serviceEndpoint: ServiceEndpoint;
  /** Secrets that must exist: the admin Secret and those of `secretEnv`. */
  public readonly requiredSecrets: readonly SecretRequirement[];
  /** The resolved image. */
  public readonly image: ContainerImage;
  /** Labels of the pod. */
  public readonly identity: WorkloadIdentity;
  /** Selector labels of the pod. */
  public readonly selector: Record<string, string>;
  /** The rendered `grafana.ini`. */
  public readonly grafanaIni: string;
  /** The rendered datasource provisioning file. */
  public readonly datasourcesYaml: string;
  /** The provisioned dashboards (none without `metrics` or with `dashboards: false`). */
  public readonly dashboards: readonly FloeDashboard[];
  /** Dashboard files by file name (`<uid>.json`), as in the dashboards ConfigMap. */
  public readonly dashboardFiles: Readonly<Record<string, string>>;
  /** The rendered dashboard provider file (`dashboards.yaml`), when dashboards are provisioned. */
  public readonly dashboardProvidersYaml?: string;
  /** The ConfigMap holding `dashboards.yaml`, when dashboards are provisioned. */
  public readonly dashboardProvidersConfigMap?: k8s.KubeConfigMap;
  /** The ConfigMap holding the dashboard files, when dashboards are provisioned. */
  public readonly dashboardsConfigMap?: k8s.KubeConfigMap;
  /** The Deployment. */
  public readonly deployment: k8s.KubeDeployment;
  /** The Service. */
  public readonly service: k8s.KubeService;
  /** The metrics endpoint of the Service (none with `scrapeMetrics: false`). */
  public readonly metricsEndpoints: readonly MetricsEndpoint[];
  /** The ConfigMap holding `grafana.ini`. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The ConfigMap holding `datasources.yaml`. */
  public readonly datasourcesConfigMap: k8s.KubeConfigMap;
  /** The ServiceAccount, with per-workload ServiceAccounts. */
  public readonly serviceAccount?: k8s.KubeServiceAccount;

  /** The Grafana UI on port 3000. What an Ingress for this service targets. */
  public get webExposure(): IngressTarget {
    return { endpoint: this.serviceEndpoint, identity: this.identity };
  }

  public constructor(scope: Construct, id: string, props: GrafanaProps = {}) {
    checkConstructProps(scope, id, 'GrafanaProps', props);
    super(scope, id);
    const name = validateDnsLabel(this, 'name', props.name ?? 'grafana', 51);
    if (validateReplicas(this, 'replicas', props.replicas ?? 1) !== 1) {
      throw new FloeValidationError(
        this,
        'replicas',
        props.replicas,
        '1 (each pod would have its own SQLite database in an emptyDir)',
      );
    }
    const production = resolveProduction(this, props);
    const adminSecret = validateDnsSubdomain(
      this,
      'adminSecretName',
      props.adminSecretName ?? GRAFANA_ADMIN_SECRET,
    );
    const rootUrl = props.rootUrl === undefined ? undefined : validateRootUrl(this, props.rootUrl);

    this.image = resolveImage(this, 'image', GRAFANA_IMAGE, props.image, props.imageRegistry);
    this.identity = {
      name: 'grafana',
      instance: name,
      component: 'dashboards',
      partOf: props.platformName ?? DEFAULT_PLATFORM_NAME,
      version: this.image.tag,
    };
    this.selector = selectorLabels(this.identity);
    this.serviceEndpoint = serviceEndpoint(this, name, GRAFANA_PORT);
    this.url = endpointUrl(this.serviceEndpoint);

    const adminUser: SecretKeyRef = { name: adminSecret, key: GRAFANA_ADMIN_USER_KEY };
    const adminPassword: SecretKeyRef = { name: adminSecret, key: GRAFANA_ADMIN_PASSWORD_KEY };
    const baseEnv: k8s.EnvVar[] = [
      secretEnv('GF_SECURITY_ADMIN_USER', adminUser),
      secretEnv('GF_SECURITY_ADMIN_PASSWORD', adminPassword),
      plainEnv('GF_ANALYTICS_REPORTING_ENABLED', 'false'),
      plainEnv('GF_ANALYTICS_CHECK_FOR_UPDATES', 'false'),
      plainEnv('GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES', 'false'),
    ];
    const extraSecretEnv = validateSecretEnv(this, props.secretEnv ?? {}, baseEnv);
    this.requiredSecrets = [
      {
        name: adminSecret,
        keys: [GRAFANA_ADMIN_USER_KEY, GRAFANA_ADMIN_PASSWORD_KEY],
        purpose: `initial admin user name and password of Grafana '${name}'`,
      },
      ...extraSecretEnv.map(([env, ref]) => ({
        name: ref.name,
        keys: [ref.key],
        purpose: `${env} of Grafana '${name}'`,
      })),
    ];

    this.grafanaIni = renderIni(
      buildSettings(
        this,
        { rootUrl, preinstallPlugins: props.preinstallPlugins ?? true },
        props.settings ?? {},
      ),
    );
    this.datasourcesYaml = renderDatasources(props.metrics, props.tracing);

    const datasourcesName = `${name}-datasources`;
    const providersName = `${name}-dashboard-providers`;
    const dashboardsName = `${name}-dashboards`;
    this.dashboards = props.metrics && (props.dashboards ?? true) ? floeDashboards() : [];
    const namespace = namespaceOf(this);
    this.dashboardFiles = Object.fromEntries(
      this.dashboards.map((d) => [`${d.uid}.json`, dashboardJson(d, PROMETHEUS_DATASOURCE_UID, [namespace])]),
    );
    const dashboardBytes = Object.entries(this.dashboardFiles).reduce(
      (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v),
      0,
    );
    if (dashboardBytes > CONFIG_MAP_DATA_LIMIT) {
      throw new FloeValidationError(
        this,
        'dashboards',
        `${dashboardBytes} bytes`,
        `dashboards that fit one ConfigMap (at most ${CONFIG_MAP_DATA_LIMIT} bytes)`,
      );
    }
    this.dashboardProvidersYaml =
      this.dashboards.length > 0 ? renderDashboardProviders(GRAFANA_DASHBOARDS_PATH) : undefined;
    this.configMap = new k8s.KubeConfigMap(this, 'config', {
      metadata: objectMeta(name, this.identity),
      data: { 'grafana.ini': this.grafanaIni },
    });
    this.datasourcesConfigMap = new k8s.KubeConfigMap(this, 'datasources', {
      metadata: objectMeta(datasourcesName, this.identity),
      data: { 'datasources.yaml': this.datasourcesYaml },
    });
    if (this.dashboardProvidersYaml !== undefined) {
      this.dashboardProvidersConfigMap = new k8s.KubeConfigMap(this, 'dashboard-providers', {
        metadata: objectMeta(providersName, this.identity),
        data: { 'dashboards.yaml': this.dashboardProvidersYaml },
      });
      this.dashboardsConfigMap = new k8s.KubeConfigMap(this, 'dashboards', {
        metadata: objectMeta(dashboardsName, this.identity),
        data: { ...this.dashboardFiles },
      });
    }
    const withDashboards = this.dashboardProvidersYaml !== undefined;

    const container = buildContainer(
      this,
      {
        name: 'grafana',
        image: this.image,
        ports: [{ name: 'grafana', containerPort: GRAFANA_PORT, protocol: 'TCP' }],
        env: withExtraEnv(
          this,
          'extraEnv',
          [...baseEnv, ...extraSecretEnv.map(([env, ref]) => secretEnv(env, ref))],
          props.extraEnv,
        ),
        resources: props.resources ?? DEFAULT_RESOURCES,
        resourcesField: 'resources',
        // Database migrations run before the API answers; allow them up to 5 minutes.
        startupProbe: httpProbe('/api/health', 'grafana', {
          periodSeconds: 5,
          timeoutSeconds: 5,
          failureThreshold: 60,
        }),
        readinessProbe: httpProbe('/api/health', 'grafana', {
          periodSeconds: 10,
          timeoutSeconds: 5,
          failureThreshold: 3,
        }),
        // /api/health also checks the database; be patient with a busy SQLite before restarting.
        livenessProbe: httpProbe('/api/health', 'grafana', {
          periodSeconds: 10,
          timeoutSeconds: 30,
          failureThreshold: 10,
        }),
        volumeMounts: [
          { name: 'config', mountPath: PATHS.config, subPath: 'grafana.ini', readOnly: true },
          { name: 'datasources', mountPath: `${PATHS.provisioning}/datasources`, readOnly: true },
          ...(withDashboards
            ? [
                {
                  name: 'dashboard-providers',
                  mountPath: `${PATHS.provisioning}/dashboards`,
                  readOnly: true,
                },
                { name: 'dashboards', mountPath: GRAFANA_DASHBOARDS_PATH, readOnly: true },
              ]
            : []),
          { name: 'storage', mountPath: PATHS.data },
          { name: 'search', mountPath: PATHS.search },
          { name: 'tmp', mountPath: '/tmp' },
        ],
      },
      GRAFANA_RUN_AS,
    );

    this.metricsEndpoints =
      (props.scrapeMetrics ?? true)
        ? [
            metricsEndpoint(this, {
              serviceName: name,
              identity: this.identity,
              portName: 'http',
              port: GRAFANA_PORT,
              path: '/metrics',
            }),
          ]
        : [];
    this.service = addService(this, 'service', {
      name,
      identity: this.identity,
      metrics: this.metricsEndpoints[0],
      ports: [{ name: 'http', port: GRAFANA_PORT, targetPort: 'grafana', appProtocol: 'http' }],
    });

    const account = workloadServiceAccount(this, 'service-account', {
      name,
      identity: this.identity,
      enabled: production.serviceAccounts,
    });
    this.serviceAccount = account.serviceAccount;
    this.deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: objectMeta(name, this.identity),
      spec: {
        replicas: 1,
        selector: { matchLabels: this.selector },
        strategy: { type: 'RollingUpdate' },
        template: buildPodTemplate({
          identity: this.identity,
          runAs: GRAFANA_RUN_AS,
          ...account.pod,
          containers: [container],
          volumes: [
            configMapVolume('config', name),
            configMapVolume('datasources', datasourcesName),
            ...(withDashboards
              ? [
                  configMapVolume('dashboard-providers', providersName),
                  configMapVolume('dashboards', dashboardsName),
                ]
              : []),
            emptyDirVolume('storage'),
            emptyDirVolume('search'),
            emptyDirVolume('tmp'),
          ],
          annotations: configChecksumAnnotations(production.configChecksums, {
            [name]: { 'grafana.ini': this.grafanaIni },
            [datasourcesName]: { 'datasources.yaml': this.datasourcesYaml },
            ...(this.dashboardProvidersYaml !== undefined
              ? {
                  [providersName]: { 'dashboards.yaml': this.dashboardProvidersYaml },
                  [dashboardsName]: this.dashboardFiles,
                }
              : {}),
          }),
          scheduling: props,
          imagePullSecrets: props.imagePullSecrets,
        }),
      },
    });
    if (props.metrics) connect(this.deployment, props.metrics.queryUrl, 'Prometheus datasource');
    if (props.tracing) connect(this.deployment, props.tracing.queryUrl, 'Jaeger datasource');
    if (props.preinstallPlugins ?? true) {
      connect(this.deployment, GRAFANA_COM_URL, 'preinstalled plugins (grafana.com)');
    }
  }

  /** The underlying objects, in the order they are written. */
  public get apiObjects(): ApiObject[] {
    return [
      this.configMap,
      this.datasourcesConfigMap,
      ...(this.dashboardProvidersConfigMap ? [this.dashboardProvidersConfigMap] : []),
      ...(this.dashboardsConfigMap ? [this.dashboardsConfigMap] : []),
      this.service,
      ...(this.serviceAccount ? [this.serviceAccount] : []),
      this.deployment,
    ];
  }
}

type Settings = Record<string, Record<string, string>>;

/** Settings the construct owns (section → keys); `settings` may not set them. */
const MANAGED: Record<string, readonly string[]> = {
  paths: ['data', 'logs', 'plugins', 'provisioning'],
  log: ['mode'],
  server: ['http_port', 'root_url'],
  unified_storage: ['index_path'],
  plugins: ['preinstall_disabled'],
  // Set through the environment, which wins over grafana.ini.
  analytics: ['reporting_enabled', 'check_for_updates', 'check_for_plugin_updates'],
  security: ['admin_user', 'admin_password'],
};

const SECTION = /^[a-z0-9_]+(\.[A-Za-z0-9_-]+)*$/;
const KEY = /^[a-z0-9_]+$/;
const SECRET_KEY = /(^|_)(password|secret|token|api_key|private_key)$/;
const SECRET_REFERENCE = /^\$__(env|file)\{[^{}\s]+\}$/;

function buildSettings(
  scope: IConstruct,
  own: { rootUrl?: string; preinstallPlugins: boolean },
  extra: Record<string, Record<string, GrafanaSettingValue>>,
): Settings {
  const settings: Settings = {
    // The image's defaults too; stated so that the mounts below stay true whatever the entrypoint does.
    paths: {
      data: PATHS.data,
      logs: PATHS.logs,
      plugins: PATHS.plugins,
      provisioning: PATHS.provisioning,
    },
    // Console only: nothing is written under /var/log/grafana, which stays read-only.
    log: { mode: 'console' },
    server: { http_port: String(GRAFANA_PORT), ...(own.rootUrl ? { root_url: own.rootUrl } : {}) },
    // Grafana 12 unified storage keeps its search index here (an emptyDir).
    unified_storage: { index_path: `${PATHS.search}/bleve` },
    ...(own.preinstallPlugins ? {} : { plugins: { preinstall_disabled: 'true' } }),
  };
  for (const section of Object.keys(extra)) {
    if (!SECTION.test(section)) {
      throw new FloeValidationError(
        scope,
        'settings',
        section,
        "a grafana.ini section name such as 'auth.anonymous'",
      );
    }
    const entries = extra[section];
    for (const key of Object.keys(entries)) {
      const field = `settings.${section}.${key}`;
      const raw = entries[key];
      if (!KEY.test(key)) {
        throw new FloeValidationError(
          scope,
          field,
          key,
          "a grafana.ini key: lower-case letters, digits and '_'",
        );
      }
      if ((MANAGED[section] ?? []).includes(key)) {
        throw new FloeValidationError(
          scope,
          field,
          raw,
          'a setting the construct does not manage itself (use its properties for paths, logging, port, root URL, search index, plugin preinstall, analytics and the admin account)',
        );
      }
      if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
        throw new FloeValidationError(scope, field, raw, 'a string, number or boolean');
      }
      const value = String(raw);
      if (/[\r\n]/.test(value) || value.includes('"""')) {
        throw new FloeValidationError(scope, field, raw, 'a single-line value without \'"""\'');
      }
      if (SECRET_KEY.test(key) && value !== '' && !SECRET_REFERENCE.test(value)) {
        throw new FloeValidationError(
          scope,
          field,
          '<redacted>',
          'a reference, $__env{VAR} (with VAR from secretEnv) or $__file{path}: the ConfigMap is not a place for secrets',
        );
      }
      settings[section] = { ...(settings[section] ?? {}), [key]: value };
    }
  }
  return settings;
}

/** Renders INI with sorted sections and keys; values with `;` or `#` are triple-quoted (go-ini comments). */
function renderIni(settings: Settings): string {
  const lines = ['# Rendered by floe-cdk8s. Environment variables GF_<SECTION>_<KEY> override these.'];
  for (const section of Object.keys(settings).sort()) {
    lines.push('', `[${section}]`);
    const entries = settings[section];
    for (const key of Object.keys(entries).sort()) {
      const value = entries[key];
      lines.push(`${key} = ${/[;#]/.test(value) ? `"""${value}"""` : value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function renderDatasources(metrics?: MetricsBackendPlugin, tracing?: TracingBackendPlugin): string {
  const datasources: Record<string, unknown>[] = [];
  if (metrics) {
    datasources.push({
      name: 'Prometheus',
      type: 'prometheus',
      uid: PROMETHEUS_DATASOURCE_UID,
      access: 'proxy',
      url: metrics.queryUrl,
      isDefault: true,
      editable: false,
    });
  }
  if (tracing) {
    datasources.push({
      name: 'Jaeger',
      type: 'jaeger',
      uid: JAEGER_DATASOURCE_UID,
      access: 'proxy',
      url: tracing.queryUrl,
      isDefault: false,
      editable: false,
    });
  }
  return stringify({ apiVersion: 1, datasources }, { sortMapEntries: true, lineWidth: 0 });
}

/**
 * The dashboard provisioning file: one `file` provider reading `path`. grafana/grafana
 * `pkg/services/provisioning/dashboards/config_reader.go` reads every `*.yaml`/`*.yml` in
 * `<paths.provisioning>/dashboards`, `apiVersion` > 0 selects the `providers:` format, `type`
 * defaults to `file`; provider fields as in `types.go`/`config.go` (research store copies, not
 * the v12.3.1 checkout). The dashboards cannot be changed in the UI or deleted (they are code),
 * and the path is re-read every 30 s.
 */
function renderDashboardProviders(path: string): string {
  return stringify(
    {
      apiVersion: 1,
      providers: [
        {
          name: GRAFANA_DASHBOARD_PROVIDER,
          orgId: 1,
          folder: GRAFANA_DASHBOARD_PROVIDER,
          type: 'file',
          disableDeletion: true,
          editable: false,
          allowUiUpdates: false,
          updateIntervalSeconds: 30,
          options: { path, foldersFromFilesStructure: false },
        },
      ],
    },
    { sortMapEntries: true, lineWidth: 0 },
  );
}

function validateSecretEnv(
  scope: IConstruct,
  secretEnvs: Record<string, SecretKeyRef>,
  base: k8s.EnvVar[],
): [string, SecretKeyRef][] {
  const taken = new Set(base.map((e) => e.name));
  return Object.keys(secretEnvs)
    .sort()
    .map((env) => {
      validateEnvName(scope, `secretEnv.${env}`, env);
      if (taken.has(env)) {
        throw new FloeValidationError(
          scope,
          `secretEnv.${env}`,
          secretEnvs[env],
          `a variable the construct does not set itself (it sets ${[...taken].sort().join(', ')})`,
        );
      }
      const ref = secretEnvs[env];
      validateDnsSubdomain(scope, `secretEnv.${env}.name`, ref?.name);
      if (typeof ref.key !== 'string' || !/^[-._a-zA-Z0-9]+$/.test(ref.key)) {
        throw new FloeValidationError(
          scope,
          `secretEnv.${env}.key`,
          ref.key,
          "a Secret key: letters, digits, '-', '_', '.'",
        );
      }
      return [env, ref];
    });
}

function validateRootUrl(scope: IConstruct, value: string): string {
  if (typeof value !== 'string' || !/^https?:\/\/[^\s/]+(\/[^\s;#]*)?$/.test(value)) {
    throw new FloeValidationError(
      scope,
      'rootUrl',
      value,
      "an http(s) URL, e.g. 'https://grafana.example.com/'",
    );
  }
  return value;
}
