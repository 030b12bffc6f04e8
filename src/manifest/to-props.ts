/**
 * From manifests to construct properties. Every function here only translates: defaults stay in
 * the constructs (a field left out of the manifest is a prop left out), so `floe synth` and a
 * TypeScript program with the same props build the same objects.
 *
 * What the schemas cannot know (a setting for a service that is not deployed, a mode the
 * constructs do not offer yet) is reported as a positioned problem, like a schema error.
 */
import { z } from 'zod';
import { IngressOptions } from '../core/ingress';
import { ResourceRequirements } from '../core/resources';
import { dbt, ingest, quality, Step } from '../jobs/steps';
import { FloeJobsProps } from '../jobs/floe-jobs';
import { parseImageReference, PipelineProps } from '../jobs/pipeline';
import {
  ExternalDatabaseProps,
  FloePlatform,
  FloePlatformProps,
  PlatformIngressProps,
} from '../platform/floe-platform';
import { ExternalCatalog } from '../plugins/catalog/external-catalog';
import { BackupOptions } from '../plugins/database/postgres-backup';
import { MonitoringOptions } from '../plugins/observability/platform-monitoring';
import { Polaris } from '../plugins/catalog/polaris';
import { Grafana } from '../plugins/observability/grafana';
import { Jaeger } from '../plugins/observability/jaeger';
import { Marquez } from '../plugins/observability/marquez';
import { OtelCollector } from '../plugins/observability/otel-collector';
import { Prometheus } from '../plugins/observability/prometheus';
import { Dagster, DagsterOptions } from '../plugins/orchestrator/dagster';
import { Cube } from '../plugins/semantic/cube';
import { ExternalS3, ExternalS3Props } from '../plugins/storage/external-s3';
import { MinIO } from '../plugins/storage/minio';
import { showValue } from './errors';
import { ManifestPath } from './loader';
import {
  CatalogSchema,
  DataProduct,
  DomainManifest,
  EnterpriseManifest,
  ExternalDatabaseSchema,
  ImagesSchema,
  IngressSchema,
  InlineDataProduct,
  ObservabilitySchema,
  OrchestratorSchema,
  PlatformManifest,
  ProductionSchema,
  ServiceSettingsSchema,
  SharedServicesProductionSchema,
  StorageSchema,
  Transform,
} from './schema';

type ServiceSettings = z.infer<typeof ServiceSettingsSchema>;
type Ingress = z.infer<typeof IngressSchema>;
type Orchestrator = z.infer<typeof OrchestratorSchema>;
type Catalog = z.infer<typeof CatalogSchema>;
type Storage = z.infer<typeof StorageSchema>;
type Observability = z.infer<typeof ObservabilitySchema>;
type ExternalDatabase = z.infer<typeof ExternalDatabaseSchema>;
type Images = z.infer<typeof ImagesSchema>;
type Production = z.infer<typeof ProductionSchema>;
type SharedServicesProduction = z.infer<typeof SharedServicesProductionSchema>;
type S3Storage = Extract<Storage, { type: 's3' }>;
type Backups = Exclude<NonNullable<Production['backups']>, boolean>;
type Monitoring = Exclude<NonNullable<Production['monitoring']>, boolean>;

/** Receives a problem at a field of the manifest being translated. */
export type ReportProblem = (path: ManifestPath, message: string) => void;

/** `'60s'` → 60. Durations finer than a second must be whole seconds. */
function seconds(value: string, path: ManifestPath, report: ReportProblem): number | undefined {
  const match = /^([0-9]+)(ms|s|m|h)$/.exec(value);
  if (!match) {
    report(path, `not allowed (got ${showValue(value)}, expected a duration such as '60s')`);
    return undefined;
  }
  const n = Number(match[1]);
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  const total = n * factor;
  if (!Number.isInteger(total)) {
    report(path, `not allowed (got ${showValue(value)}, expected a whole number of seconds, e.g. '2s')`);
    return undefined;
  }
  return total;
}

function ingressOptions(ingress: Ingress | undefined): IngressOptions | undefined {
  if (ingress === undefined || !ingress.enabled) {
    return undefined;
  }
  return {
    ...(ingress.host !== undefined ? { host: ingress.host } : {}),
    ...(ingress.className !== undefined ? { className: ingress.className } : {}),
    ...(ingress.tlsSecret !== undefined ? { tlsSecretName: ingress.tlsSecret } : {}),
    ...(ingress.annotations !== undefined ? { annotations: ingress.annotations } : {}),
  };
}

function resources(settings: ServiceSettings | undefined): { resources?: ResourceRequirements } {
  return settings?.resources !== undefined ? { resources: settings.resources } : {};
}

function workload(settings: ServiceSettings | undefined): {
  replicas?: number;
  resources?: ResourceRequirements;
  image?: ServiceSettings['image'];
} {
  return {
    ...(settings?.replicas !== undefined ? { replicas: settings.replicas } : {}),
    ...resources(settings),
    ...(settings?.image !== undefined ? { image: settings.image } : {}),
  };
}

/** Settings of a service that runs exactly one pod: `replicas` may only be 1. */
function singleton(
  settings: ServiceSettings | undefined,
  path: ManifestPath,
  what: string,
  report: ReportProblem,
): { resources?: ResourceRequirements; image?: ServiceSettings['image'] } {
  if (settings?.replicas !== undefined && settings.replicas !== 1) {
    report(
      [...path, 'replicas'],
      `not allowed (got ${settings.replicas}, expected 1: ${what} runs as a single pod)`,
    );
  }
  return {
    ...resources(settings),
    ...(settings?.image !== undefined ? { image: settings.image } : {}),
  };
}

/** Reports settings given for a service that is not deployed. */
function notDeployed(
  settings: ServiceSettings | undefined,
  path: ManifestPath,
  why: string,
  report: ReportProblem,
): void {
  if (settings !== undefined) {
    report(path, `not allowed (got a mapping, expected no settings: ${why})`);
  }
}

function externalDatabase(db: ExternalDatabase): ExternalDatabaseProps {
  return {
    host: db.host,
    passwordSecret: db.passwordSecret,
    ...(db.port !== undefined ? { port: db.port } : {}),
    ...(db.database !== undefined ? { database: db.database } : {}),
    ...(db.username !== undefined ? { username: db.username } : {}),
  };
}

function externalDatabases(
  external: Partial<Record<string, ExternalDatabase>> | undefined,
): Pick<FloePlatformProps, 'externalDatabases'> {
  const entries = Object.entries(external ?? {}).filter(
    (e): e is [string, ExternalDatabase] => e[1] !== undefined,
  );
  return entries.length > 0
    ? { externalDatabases: Object.fromEntries(entries.map(([name, db]) => [name, externalDatabase(db)])) }
    : {};
}

function images(
  images: Images | undefined,
): Pick<FloePlatformProps, 'imageRegistry' | 'imagePullSecrets' | 'productImageRepositoryPrefix'> {
  return {
    ...(images?.registry !== undefined ? { imageRegistry: images.registry } : {}),
    ...(images?.pullSecrets !== undefined ? { imagePullSecrets: images.pullSecrets } : {}),
    ...(images?.productRepositoryPrefix !== undefined
      ? { productImageRepositoryPrefix: images.productRepositoryPrefix }
      : {}),
  };
}

function orchestrator(
  o: Orchestrator | undefined,
  settings: ServiceSettings | undefined,
  report: ReportProblem,
): FloePlatformProps['orchestrator'] {
  const daemon = o?.daemon;
  const interval =
    daemon?.health_check_interval !== undefined
      ? seconds(daemon.health_check_interval, ['orchestrator', 'daemon', 'health_check_interval'], report)
      : undefined;
  const restart =
    daemon?.restart_timeout !== undefined
      ? seconds(daemon.restart_timeout, ['orchestrator', 'daemon', 'restart_timeout'], report)
      : undefined;
  const options: DagsterOptions = {
    ...(settings?.image !== undefined ? { image: settings.image } : {}),
    ...(settings?.replicas !== undefined || settings?.resources !== undefined
      ? { webserver: { ...workload({ ...settings, image: undefined }) } }
      : {}),
    ...(daemon?.mode !== undefined || interval !== undefined || restart !== undefined
      ? {
          daemon: {
            ...(daemon?.mode !== undefined ? { mode: daemon.mode } : {}),
            ...(interval !== undefined ? { healthCheckIntervalSeconds: interval } : {}),
            ...(restart !== undefined ? { restartTimeoutSeconds: restart } : {}),
          },
        }
      : {}),
    ...(o?.maxConcurrentRuns !== undefined ? { maxConcurrentRuns: o.maxConcurrentRuns } : {}),
    ...(o?.codeLocations !== undefined
      ? {
          codeLocations: o.codeLocations.map((loc, i) => ({
            name: loc.name,
            image: parseImageReference(`orchestrator.codeLocations[${i}]`, 'image', loc.image),
            ...(loc.moduleName !== undefined ? { moduleName: loc.moduleName } : {}),
            ...(loc.pythonFile !== undefined ? { pythonFile: loc.pythonFile } : {}),
            ...(loc.packageName !== undefined ? { packageName: loc.packageName } : {}),
            ...(loc.port !== undefined ? { port: loc.port } : {}),
            ...(loc.replicas !== undefined ? { replicas: loc.replicas } : {}),
            ...(loc.resources !== undefined ? { resources: loc.resources } : {}),
          })),
        }
      : {}),
  };
  return Dagster.provider(options);
}

function catalog(
  c: Catalog | undefined,
  settings: ServiceSettings | undefined,
  report: ReportProblem,
  path: ManifestPath,
): FloePlatformProps['catalog'] {
  if (c?.type === 'external') {
    notDeployed(settings, path, 'the catalog is external', report);
    return ExternalCatalog.provider({ catalogUri: c.uri, warehouse: c.warehouse });
  }
  return Polaris.provider({
    ...workload(settings),
    ...(c?.warehouse !== undefined ? { warehouse: c.warehouse } : {}),
  });
}

function storage(
  s: Storage | undefined,
  settings: ServiceSettings | undefined,
  report: ReportProblem,
  path: ManifestPath,
): FloePlatformProps['storage'] {
  if (s?.type === 's3') {
    notDeployed(settings, path, 'the object storage is external S3', report);
    return ExternalS3.provider(s3Props(s));
  }
  return MinIO.provider({
    ...workload(settings),
    ...(s?.bucket !== undefined ? { warehouseBucket: s.bucket } : {}),
    ...(s?.storageSize !== undefined ? { storageSize: s.storageSize } : {}),
    ...(s?.storageClassName !== undefined ? { storageClassName: s.storageClassName } : {}),
  });
}

/** An external bucket: the manifest names one Secret with both keys (`credentialsSecret`). */
function s3Props(s: Omit<S3Storage, 'type'>): ExternalS3Props {
  const secret = s.credentialsSecret;
  return {
    region: s.region,
    bucket: s.bucket,
    accessKeyId: { name: secret.name, key: secret.accessKeyIdKey ?? 'access-key-id' },
    secretAccessKey: { name: secret.name, key: secret.secretAccessKeyKey ?? 'secret-access-key' },
    ...(s.endpoint !== undefined ? { endpoint: s.endpoint } : {}),
    ...(s.pathStyleAccess !== undefined ? { pathStyleAccess: s.pathStyleAccess } : {}),
  };
}

type ObservabilityServices = Partial<
  Record<'lineage' | 'tracing' | 'metrics' | 'dashboards' | 'collector', ServiceSettings>
>;

function observability(
  o: Observability | undefined,
  services: ObservabilityServices | undefined,
  report: ReportProblem,
): Pick<FloePlatformProps, 'lineage' | 'tracing' | 'metrics' | 'dashboards' | 'telemetry'> {
  const props: {
    -readonly [K in 'lineage' | 'tracing' | 'metrics' | 'dashboards' | 'telemetry']?: FloePlatformProps[K];
  } = {};
  const off = (slot: keyof ObservabilityServices, why: string): void =>
    notDeployed(services?.[slot], ['services', slot], why, report);
  if (o?.lineage === 'marquez') {
    props.lineage = Marquez.provider(workload(services?.lineage));
  } else {
    off('lineage', "lineage is 'none' (set observability.lineage: marquez)");
    if (o?.lineage === 'none') props.lineage = 'none';
  }
  if (o?.tracing === 'jaeger') {
    props.tracing = Jaeger.provider(
      singleton(services?.tracing, ['services', 'tracing'], 'Jaeger with in-memory storage', report),
    );
  } else {
    off('tracing', "tracing is 'none' (set observability.tracing: jaeger)");
    if (o?.tracing === 'none') props.tracing = 'none';
  }
  if (o?.metrics === 'none') {
    off('metrics', "metrics is 'none'");
    props.metrics = 'none';
  } else if (services?.metrics !== undefined || o?.metrics !== undefined) {
    props.metrics = Prometheus.provider(
      singleton(services?.metrics, ['services', 'metrics'], 'Prometheus', report),
    );
  }
  if (o?.dashboards === 'none') {
    off('dashboards', "dashboards is 'none'");
    props.dashboards = 'none';
  } else if (services?.dashboards !== undefined || o?.dashboards !== undefined) {
    props.dashboards = Grafana.provider(
      singleton(services?.dashboards, ['services', 'dashboards'], 'Grafana', report),
    );
  }
  const collector = services?.collector;
  if (collector?.ingress !== undefined) {
    report(
      ['services', 'collector', 'ingress'],
      'not allowed (got a mapping, expected no ingress: the collector receives OTLP inside the cluster only)',
    );
  }
  if (o?.collector !== undefined || collector !== undefined) {
    props.telemetry = OtelCollector.provider({
      ...workload({ ...collector, ingress: undefined }),
      ...(o?.collector !== undefined ? { mode: o.collector.mode } : {}),
    });
  }
  return props;
}

function ingresses(
  services: Partial<Record<keyof PlatformIngressProps, ServiceSettings>> | undefined,
): Pick<FloePlatformProps, 'ingress'> {
  const ingress: Partial<Record<keyof PlatformIngressProps, IngressOptions>> = {};
  for (const slot of [
    'orchestrator',
    'catalog',
    'semantic',
    'storage',
    'dashboards',
    'lineage',
    'tracing',
    'metrics',
  ] as const) {
    const options = ingressOptions(services?.[slot]?.ingress);
    if (options !== undefined) ingress[slot] = options;
  }
  return Object.keys(ingress).length > 0 ? { ingress } : {};
}

/** Leaving a feature out or `true`: nothing (on, defaults); `false`: off; a mapping: its options. */
function switchOrOptions<I extends object, O>(
  value: boolean | I | undefined,
  map: (options: I) => O,
): { value?: O | false } {
  if (value === undefined || value === true) return {};
  return { value: value === false ? false : map(value) };
}

type ProductionProps = Pick<
  FloePlatformProps,
  | 'sizing'
  | 'autoscaling'
  | 'disruptionBudgets'
  | 'topologySpread'
  | 'serviceAccounts'
  | 'configChecksums'
  | 'networkPolicies'
  | 'monitoring'
  | 'backups'
>;

function monitoringOptions(m: Monitoring): MonitoringOptions {
  return {
    ...(m.labels !== undefined ? { labels: m.labels } : {}),
    ...(m.scrapeInterval !== undefined ? { scrapeInterval: m.scrapeInterval } : {}),
    ...(m.alerts === false ? { alerts: false } : typeof m.alerts === 'object' ? { alerts: m.alerts } : {}),
  };
}

function backupOptions(b: Backups, report: ReportProblem): BackupOptions {
  const clash = b.bucket !== undefined && b.s3 !== undefined;
  if (clash) {
    report(
      ['production', 'backups', 'bucket'],
      `not allowed (got ${showValue(b.bucket)}, expected no bucket when s3 is given: the bucket is s3.bucket)`,
    );
  }
  return {
    ...(b.schedule !== undefined ? { schedule: b.schedule } : {}),
    ...(b.timezone !== undefined ? { timeZone: b.timezone } : {}),
    ...(b.retentionDays !== undefined ? { retentionDays: b.retentionDays } : {}),
    ...(b.prefix !== undefined ? { prefix: b.prefix } : {}),
    ...(b.bucket !== undefined && !clash ? { bucket: b.bucket } : {}),
    ...(b.s3 !== undefined ? { s3: s3Props(b.s3) } : {}),
    ...(b.createBucket !== undefined ? { createBucket: b.createBucket } : {}),
    ...(b.activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds: b.activeDeadlineSeconds } : {}),
    ...(b.backoffLimit !== undefined ? { backoffLimit: b.backoffLimit } : {}),
    ...(b.resources !== undefined ? { resources: b.resources } : {}),
    ...(b.uploadResources !== undefined ? { uploadResources: b.uploadResources } : {}),
    ...(b.dumpImage !== undefined ? { dumpImage: b.dumpImage } : {}),
    ...(b.uploadImage !== undefined ? { uploadImage: b.uploadImage } : {}),
  };
}

/**
 * The `production` block as props. `true` for a feature with options is the same as leaving it
 * out (on, with the construct's defaults); `false` turns it off.
 */
function production(
  p: Production | SharedServicesProduction | undefined,
  report: ReportProblem,
): ProductionProps {
  if (p === undefined) return {};
  const networkPolicies = switchOrOptions(p.networkPolicies, (n) => n);
  const monitoring = switchOrOptions(p.monitoring, monitoringOptions);
  const backups = switchOrOptions(p.backups, (b) => backupOptions(b, report));
  return {
    ...('sizing' in p && p.sizing !== undefined ? { sizing: p.sizing } : {}),
    ...(p.autoscaling !== undefined ? { autoscaling: p.autoscaling } : {}),
    ...(p.disruptionBudgets !== undefined ? { disruptionBudgets: p.disruptionBudgets } : {}),
    ...(p.topologySpread !== undefined ? { topologySpread: p.topologySpread } : {}),
    ...(p.serviceAccounts !== undefined ? { serviceAccounts: p.serviceAccounts } : {}),
    ...(p.configChecksums !== undefined ? { configChecksums: p.configChecksums } : {}),
    ...('value' in networkPolicies ? { networkPolicies: networkPolicies.value } : {}),
    ...('value' in monitoring ? { monitoring: monitoring.value } : {}),
    ...('value' in backups ? { backups: backups.value } : {}),
  };
}

/**
 * The network isolation of the `FloeJobs` charts of a platform's data products: they follow the
 * platform. Off when the platform's is off (a product namespace is then not default-deny either);
 * otherwise the platform's cluster facts (DNS, API server, ingress controller) apply. The
 * platform's `externalCidrs` do not: they say where the platform's external servers are, while a
 * product's dlt steps reach source APIs anywhere (the jobs' default).
 */
export function jobsNetworkPolicies(platform: FloePlatformProps): Pick<FloeJobsProps, 'networkPolicies'> {
  const n = platform.networkPolicies;
  if (n === false) return { networkPolicies: false };
  if (n === undefined) return {};
  const cluster = {
    ...(n.dns !== undefined ? { dns: n.dns } : {}),
    ...(n.kubernetesApi !== undefined ? { kubernetesApi: n.kubernetesApi } : {}),
    ...(n.ingressController !== undefined ? { ingressController: n.ingressController } : {}),
  };
  return Object.keys(cluster).length > 0 ? { networkPolicies: cluster } : {};
}

/** `FloePlatformProps` for a `PlatformManifest`. */
export function platformProps(m: PlatformManifest, report: ReportProblem): FloePlatformProps {
  const services = m.services;
  const semanticOff = m.semantic?.type === 'none';
  if (semanticOff) {
    notDeployed(services?.semantic, ['services', 'semantic'], "semantic is 'none'", report);
  }
  return {
    platformName: m.metadata.name,
    ...(m.namespace !== undefined ? { namespace: m.namespace } : {}),
    ...images(m.images),
    storage: storage(m.storage, services?.storage, report, ['services', 'storage']),
    catalog: catalog(m.catalog, services?.catalog, report, ['services', 'catalog']),
    ...observability(m.observability, services, report),
    orchestrator: orchestrator(m.orchestrator, services?.orchestrator, report),
    semantic: semanticOff ? 'none' : Cube.provider(cubeOptions(services?.semantic)),
    ...externalDatabases(m.database?.external),
    ...ingresses(services),
    ...production(m.production, report),
  };
}

function cubeOptions(settings: ServiceSettings | undefined): Parameters<typeof Cube.provider>[0] {
  return {
    ...(settings?.image !== undefined ? { image: settings.image } : {}),
    ...(settings?.replicas !== undefined || settings?.resources !== undefined
      ? { api: { ...workload({ ...settings, image: undefined }) } }
      : {}),
  };
}

/** `FloePlatformProps` for an `EnterpriseManifest`: the shared services, no orchestrator. */
export function enterpriseProps(m: EnterpriseManifest, report: ReportProblem): FloePlatformProps {
  const services = m.services;
  return {
    platformName: m.metadata.name,
    ...(m.namespace !== undefined ? { namespace: m.namespace } : {}),
    ...images(m.images),
    storage: storage(m.storage, services?.storage, report, ['services', 'storage']),
    catalog: catalog(m.catalog, services?.catalog, report, ['services', 'catalog']),
    ...observability(m.observability, services, report),
    orchestrator: 'none',
    semantic: 'none',
    ...externalDatabases(m.database?.external),
    ...ingresses(services),
    ...production(m.production, report),
  };
}

/** The namespace of a domain: `floe-<domain>-domain`. */
export function domainNamespace(domain: string): string {
  return `floe-${domain}-domain`;
}

/** `FloePlatformProps` for a `DomainManifest` on the enterprise's shared services. */
export function domainProps(
  m: DomainManifest,
  enterprise: FloePlatform,
  report: ReportProblem,
): FloePlatformProps {
  const services = m.services;
  const semanticOff = m.semantic?.type === 'none';
  if (semanticOff) {
    notDeployed(services?.semantic, ['services', 'semantic'], "semantic is 'none'", report);
  }
  return {
    platformName: enterprise.platformName,
    namespace: domainNamespace(m.metadata.name),
    sharedServices: enterprise,
    ...images(m.images),
    orchestrator: orchestrator(m.orchestrator, services?.orchestrator, report),
    semantic: semanticOff ? 'none' : Cube.provider(cubeOptions(services?.semantic)),
    ...externalDatabases(m.database?.external),
    ...ingresses(services),
    ...production(m.production, report),
  };
}

function step(t: Transform): Step {
  const common = {
    ...(t.name !== undefined ? { name: t.name } : {}),
    ...(t.resources !== undefined ? { resources: t.resources } : {}),
  };
  if (t.type === 'dlt') {
    return ingest.dlt({
      source: t.source,
      ...(t.script !== undefined ? { script: t.script } : {}),
      ...(t.workingDir !== undefined ? { workingDir: t.workingDir } : {}),
      ...common,
    });
  }
  const project = {
    ...common,
    ...(t.path !== undefined ? { projectDir: t.path } : {}),
    ...(t.profilesDir !== undefined ? { profilesDir: t.profilesDir } : {}),
    ...(t.target !== undefined ? { target: t.target } : {}),
    ...(t.vars !== undefined ? { vars: t.vars } : {}),
    ...(t.select !== undefined ? { select: t.select } : {}),
  };
  if (t.type === 'quality') {
    return quality.check(project);
  }
  const selection = {
    ...project,
    ...(t.exclude !== undefined ? { exclude: t.exclude } : {}),
  };
  return t.command === 'test'
    ? dbt.test(selection)
    : dbt.run({ ...selection, ...(t.fullRefresh !== undefined ? { fullRefresh: t.fullRefresh } : {}) });
}

/**
 * `PipelineProps` for a data product (a `floe.yaml` or a product inline in a domain). The
 * pipeline's name is `metadata.name`. Without `image`, `metadata.version` is the pipeline's
 * `version`: the tag of the product image under the platform's `productImageRepositoryPrefix`.
 */
export function pipelineProps(p: DataProduct | InlineDataProduct, report: ReportProblem): PipelineProps {
  p.transforms.forEach((t, i) => {
    if (t.type === 'dbt' && t.command === 'test' && t.fullRefresh !== undefined) {
      report(
        ['transforms', i, 'fullRefresh'],
        "not allowed (got a value, expected no fullRefresh on 'command: test': only dbt run rebuilds)",
      );
    }
  });
  return {
    ...(p.image !== undefined ? { image: p.image } : { version: p.metadata.version }),
    steps: p.transforms.map(step),
    ...(p.schedule !== undefined ? { schedule: p.schedule.cron } : {}),
    ...(p.schedule?.timezone !== undefined ? { timeZone: p.schedule.timezone } : {}),
    ...(p.schedule?.suspend !== undefined ? { suspend: p.schedule.suspend } : {}),
    ...(p.credentials !== undefined
      ? {
          credentials: p.credentials.map((c) => ({
            secretName: c.secretName,
            ...(c.env !== undefined ? { env: c.env } : {}),
          })),
        }
      : {}),
    ...(p.env !== undefined ? { env: p.env } : {}),
    ...(p.resources !== undefined ? { resources: p.resources } : {}),
    ...(p.activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds: p.activeDeadlineSeconds } : {}),
  };
}
