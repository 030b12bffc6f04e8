import { Chart, JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { checkObjectCollisions } from '../core/collisions';
import { DEFAULT_PLATFORM_NAME } from '../core/component';
import { connect, KUBERNETES_API } from '../core/connections';
import { FloeValidationError } from '../core/errors';
import { recommendedLabels, WorkloadIdentity } from '../core/labels';
import { NetworkIsolation, NetworkPolicyOptions } from '../core/network-isolation';
import { checkConstructProps } from '../core/props-check';
import { mergeSecretRequirements, SecretRequirement } from '../core/secrets';
import {
  validateDnsLabel,
  validateDnsSubdomain,
  validateImageRepositoryPrefix,
  validateLabelValue,
} from '../core/validation';
import { FloePlatform, PlatformEndpoints } from '../platform/floe-platform';
import {
  connectToPlatformConfig,
  PLATFORM_CONFIG_MAP_NAME,
  platformConfigData,
} from '../platform/platform-config';
import { CatalogCredentials } from '../plugins/interfaces';
import {
  CatalogAccessOptions,
  catalogCredentialEnv,
  DEFAULT_CATALOG_SECRET_NAME,
  resolveCatalogAccess,
} from '../plugins/catalog/catalog-access';
import { Pipeline, PipelineDefaults, PipelineProps } from './pipeline';

/** The namespace `FloeJobs` uses when none is given. */
export const DEFAULT_JOBS_NAMESPACE = 'floe-jobs';

// OpenLineage namespaces as Marquez accepts them.
const LINEAGE_NAMESPACE = /^[a-zA-Z:;=/0-9_\-.@+]{1,1024}$/;

/** Properties of `FloeJobs`. Give exactly one of `platform` and `endpoints`. */
export interface FloeJobsProps {
  /**
   * The platform the jobs run against: its endpoints and name are used. In the same app, the chart
   * depends on the platform's chart, so its file is numbered after the platform's (apply order).
   * @default - none; then `endpoints` is required
   */
  readonly platform?: FloePlatform;
  /**
   * The platform's endpoints, when the platform is defined in another app.
   * @default - none; then `platform` is required
   */
  readonly endpoints?: PlatformEndpoints;
  /**
   * Namespace of the jobs, e.g. a data product's. The jobs reach the platform by fully qualified
   * DNS names, so any namespace works. In the platform's own namespace the jobs read the
   * platform's `floe-platform-config` and the chart writes neither that ConfigMap nor the Namespace.
   * @default 'floe-jobs'
   */
  readonly namespace?: string;
  /**
   * Create the Namespace, with Pod Security `restricted` labels. Turn off when the namespace is
   * managed elsewhere (it must then carry the labels itself).
   * @default - true, unless the jobs share the platform's namespace
   */
  readonly createNamespace?: boolean;
  /**
   * Value of `app.kubernetes.io/part-of` on every object.
   * @default - the platform's name (with `platform`), else 'floe'
   */
  readonly platformName?: string;
  /**
   * `OPENLINEAGE_NAMESPACE` of the jobs' lineage events, written into this namespace's
   * `floe-platform-config`.
   * @default - the jobs namespace
   */
  readonly lineageNamespace?: string;
  /**
   * Registry for pipeline images whose reference names none (`sales/customer-360:1.4.2`). A
   * reference with a registry, or a `ContainerImage`, keeps its own.
   * @default - Docker Hub
   */
  readonly imageRegistry?: string;
  /**
   * Where the product images floe's CI builds are: a registry host and path such as
   * `registry.example.com/floe-products`. A pipeline without `image` runs
   * `<prefix>/<pipeline name>:<version>`.
   * @default - the platform's `productImageRepositoryPrefix` (with `platform`), else none: every
   *   pipeline names its `image`
   */
  readonly productImageRepositoryPrefix?: string;
  /**
   * Existing image pull Secrets (in the jobs namespace) for the pipeline images.
   * @default - none
   */
  readonly imagePullSecrets?: string[];
  /**
   * Job settings every pipeline inherits unless it sets its own (they override the floe docs'
   * defaults: backoffLimit 0, TTL 3600 s, requests 1000m / 2Gi, limits 4000m / 8Gi, Forbid, ...).
   * @default - the floe docs' defaults (see `PipelineDefaults`)
   */
  readonly defaults?: PipelineDefaults;
  /**
   * One ServiceAccount every pipeline of the chart runs as (the chart creates it, without an API
   * token), instead of one per pipeline. A pipeline's own `serviceAccountName` still wins.
   * @default - one ServiceAccount per pipeline, named after it, without an API token: a Role or a
   *   cloud workload identity bound to one pipeline's account reaches that pipeline only
   */
  readonly serviceAccountName?: string;
  /**
   * Network isolation of the jobs: a default-deny NetworkPolicy for the namespace (unless it is the
   * platform's), DNS, and a policy per pipeline allowing the platform servers its configuration
   * names, HTTPS to external sources for dlt steps and the Kubernetes API where the pods get a
   * token (see docs/network-policies.md). `false` writes none.
   * @default {} - on
   */
  readonly networkPolicies?: NetworkPolicyOptions | false;
  /**
   * How the pipelines authenticate to the Iceberg catalog. By default, with `platform` on Polaris,
   * the product gets a principal of its own that reads and writes its namespaces of the warehouse
   * and nothing else, set up by a Job in the platform namespace that writes the credentials to the
   * Secret `floe-catalog-credentials` here (see docs/catalog-access.md); every pipeline container
   * gets them as `PYICEBERG_CATALOG__DEFAULT__CREDENTIAL`/`SCOPE` and `FLOE_CATALOG_CLIENT_ID`/
   * `SECRET`. `existingSecret` names a Secret instead; `false` gives no credentials.
   * @default - with `platform` whose catalog can set up principals (Polaris): its own principal; otherwise none
   */
  readonly catalogAccess?: CatalogAccessOptions | false;
}

/**
 * A data team's pipelines as CronJobs, wired to the floe platform.
 *
 * The chart writes, in its namespace: the Namespace (Pod Security `restricted`), the ConfigMap
 * `floe-platform-config` with the platform's client configuration (OTLP endpoint, OpenLineage URL
 * and namespace, Iceberg catalog URI and warehouse, S3 endpoint and bucket: the same data the
 * platform hands to the orchestrator's run launcher), a ServiceAccount without a token, and one
 * CronJob per pipeline whose every container reads that ConfigMap. No hostname is repeated by the
 * user, and no Secret value appears: credentials are referenced by name.
 */
export class FloeJobs extends Chart {
  /** The jobs namespace. */
  public readonly namespaceName: string;
  /** The platform endpoints the jobs use. */
  public readonly endpoints: PlatformEndpoints;
  /** `app.kubernetes.io/part-of` of every object. */
  public readonly platformName: string;
  /** `OPENLINEAGE_NAMESPACE` of the jobs (the platform's when sharing its namespace). */
  public readonly lineageNamespace?: string;
  /** The Namespace, when created. */
  public readonly namespaceObject?: k8s.KubeNamespace;
  /** The platform configuration every container reads, unless the platform's own is used. */
  public readonly configMap?: k8s.KubeConfigMap;
  /** The data of the configuration every container reads. */
  public readonly configData: Readonly<Record<string, string>>;
  /** The pipelines' ServiceAccount. */
  public readonly serviceAccount?: k8s.KubeServiceAccount;
  /** The jobs' NetworkPolicies, unless `networkPolicies` is false. */
  public readonly networkIsolation?: NetworkIsolation;
  /** Where the images of pipelines without `image` are (`<prefix>/<name>:<version>`), if set. */
  public readonly productImageRepositoryPrefix?: string;
  /** Where the pipelines' catalog credentials are (`catalogAccess`), if they get any. */
  public readonly catalogCredentials?: CatalogCredentials;
  private readonly catalogEnv: readonly k8s.EnvVar[];
  private readonly pipelineMap = new Map<string, Pipeline>();
  private readonly defaults: PipelineDefaults;
  private readonly imageRegistry?: string;
  private readonly imagePullSecrets?: string[];

  public constructor(scope: Construct, id: string, props: FloeJobsProps) {
    checkConstructProps(scope, id, 'FloeJobsProps', props);
    const namespace = props.namespace ?? DEFAULT_JOBS_NAMESPACE;
    super(scope, id, { namespace, disableResourceNameHashes: true });
    checkObjectCollisions(this);
    validateDnsLabel(this, 'namespace', namespace);
    if ((props.platform === undefined) === (props.endpoints === undefined)) {
      throw new FloeValidationError(
        this,
        'platform',
        props.platform === undefined ? 'neither platform nor endpoints' : 'both platform and endpoints',
        'exactly one of `platform` (a FloePlatform) and `endpoints` (its PlatformEndpoints)',
      );
    }
    const endpoints = props.platform?.endpoints ?? props.endpoints;
    if (endpoints === undefined) {
      throw new Error('internal: no endpoints');
    }
    this.endpoints = endpoints;
    this.namespaceName = namespace;
    this.platformName = props.platformName ?? props.platform?.platformName ?? DEFAULT_PLATFORM_NAME;
    validateLabelValue(this, 'platformName', this.platformName);
    this.defaults = props.defaults ?? {};
    this.imageRegistry = props.imageRegistry;
    this.imagePullSecrets = props.imagePullSecrets;
    (props.imagePullSecrets ?? []).forEach((s, i) => validateDnsSubdomain(this, `imagePullSecrets[${i}]`, s));
    if (props.productImageRepositoryPrefix !== undefined) {
      validateImageRepositoryPrefix(this, 'productImageRepositoryPrefix', props.productImageRepositoryPrefix);
    }
    this.productImageRepositoryPrefix =
      props.productImageRepositoryPrefix ?? props.platform?.productImageRepositoryPrefix;

    // In the platform's namespace the platform's ConfigMap (and Namespace) already exist: writing
    // them again from a second chart would make two owners of one object.
    const shared = namespace === endpoints.namespace;
    if (shared && props.lineageNamespace !== undefined) {
      throw new FloeValidationError(
        this,
        'lineageNamespace',
        props.lineageNamespace,
        `nothing: jobs in the platform namespace '${namespace}' read the platform's ${PLATFORM_CONFIG_MAP_NAME}; use another namespace for their own lineage namespace`,
      );
    }
    if (shared && props.createNamespace === true) {
      throw new FloeValidationError(
        this,
        'createNamespace',
        true,
        `false or unset: namespace '${namespace}' belongs to the platform`,
      );
    }
    if (!shared) {
      this.lineageNamespace = props.lineageNamespace ?? namespace;
      if (!LINEAGE_NAMESPACE.test(this.lineageNamespace)) {
        throw new FloeValidationError(
          this,
          'lineageNamespace',
          this.lineageNamespace,
          "an OpenLineage namespace: letters, digits and ':;=/_-.@+', 1 to 1024 characters",
        );
      }
    } else {
      this.lineageNamespace = endpoints.lineageNamespace;
    }

    if (props.platform !== undefined) {
      // Apply order: cdk8s numbers the files of dependent charts after those they depend on.
      this.addDependency(props.platform);
    }

    const identity = (component: string): WorkloadIdentity => ({
      name: 'floe-jobs',
      instance: namespace,
      component,
      partOf: this.platformName,
      version: 'v1',
    });

    if (props.createNamespace ?? !shared) {
      this.namespaceObject = new k8s.KubeNamespace(this, 'namespace', {
        metadata: {
          name: namespace,
          labels: {
            ...recommendedLabels(identity('namespace')),
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/enforce-version': 'v1.28',
            'pod-security.kubernetes.io/audit': 'restricted',
            'pod-security.kubernetes.io/warn': 'restricted',
          },
        },
      });
      // Namespaces are cluster-scoped: drop the chart namespace cdk8s adds to every object.
      this.namespaceObject.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }
    if (props.networkPolicies !== false) {
      // In the platform's namespace the platform writes the namespace-wide policies.
      this.networkIsolation = new NetworkIsolation(this, 'network-policies', {
        ...props.networkPolicies,
        identity: identity('network-policy'),
        namespacePolicies: !shared,
      });
    }

    this.configData = platformConfigData(endpoints, shared ? undefined : this.lineageNamespace);
    if (!shared) {
      this.configMap = new k8s.KubeConfigMap(this, 'platform-config', {
        metadata: { name: PLATFORM_CONFIG_MAP_NAME, labels: recommendedLabels(identity('client-config')) },
        data: { ...this.configData },
      });
    }

    this.catalogCredentials = resolveCatalogAccess(this, props.catalogAccess, {
      field: 'catalogAccess',
      product: namespace,
      defaultCatalogNamespace: namespace.replace(/-/g, '_'),
      namespace,
      defaultSecretName: DEFAULT_CATALOG_SECRET_NAME,
      catalog: props.platform?.catalog,
      noCatalogReason: 'a chart given `endpoints` rather than `platform` cannot set up a principal',
      platformName: this.platformName,
    });
    this.catalogEnv = this.catalogCredentials ? catalogCredentialEnv(this.catalogCredentials) : [];

    if (props.serviceAccountName !== undefined) {
      const serviceAccountName = validateDnsSubdomain(this, 'serviceAccountName', props.serviceAccountName);
      this.serviceAccount = new k8s.KubeServiceAccount(this, 'service-account', {
        metadata: { name: serviceAccountName, labels: recommendedLabels(identity('service-account')) },
        automountServiceAccountToken: false,
      });
    }
  }

  /**
   * Adds a pipeline: a CronJob (named `name`) that runs `props.steps` in order in one pod.
   * Scheduled with `schedule`, else manual (suspended; start runs with `pipeline.runCommand()`).
   * @param name pipeline and CronJob name: a DNS label of at most 52 characters
   * @param props the pipeline
   */
  public addPipeline(name: string, props: PipelineProps): Pipeline {
    if (this.pipelineMap.has(name)) {
      throw new FloeValidationError(
        `${this.node.path}/${name}`,
        'name',
        name,
        'a name no other pipeline of this chart has',
      );
    }
    const pipeline = new Pipeline(this, name, props, {
      platformName: this.platformName,
      defaults: this.defaults,
      ...(this.serviceAccount ? { serviceAccountName: this.serviceAccount.name } : {}),
      imageRegistry: this.imageRegistry,
      productImageRepositoryPrefix: this.productImageRepositoryPrefix,
      imagePullSecrets: this.imagePullSecrets,
      configMapName: PLATFORM_CONFIG_MAP_NAME,
      inheritedEnv: Object.keys(this.configData),
      catalogEnv: this.catalogEnv,
    });
    this.pipelineMap.set(name, pipeline);
    connectToPlatformConfig(pipeline, this.endpoints);
    if (props.steps.some((step) => step.kind === 'dlt-ingest')) {
      connect(pipeline, { port: 443 }, 'dlt sources (HTTPS APIs)');
    }
    if (props.automountServiceAccountToken === true) {
      connect(pipeline, KUBERNETES_API, 'steps that call the Kubernetes API');
    }
    return pipeline;
  }

  /** The pipelines, in the order they were added. */
  public get pipelines(): readonly Pipeline[] {
    return [...this.pipelineMap.values()];
  }

  /** The pipeline of that name, if any. */
  public pipeline(name: string): Pipeline | undefined {
    return this.pipelineMap.get(name);
  }

  /**
   * Secrets the pipelines read (their `credentials`), merged by name, sorted. `keys` is empty for
   * a Secret read whole (`envFrom`). Create them in the jobs namespace before a run.
   */
  public get requiredSecrets(): SecretRequirement[] {
    const catalog = this.catalogCredentials;
    return mergeSecretRequirements([
      ...this.pipelines.flatMap((p) => [...p.requiredSecrets]),
      ...(catalog?.prerequisite
        ? [
            {
              name: catalog.secretName,
              keys: [catalog.clientIdKey, catalog.clientSecretKey],
              purpose: 'catalog credentials of the data product (catalogAccess.existingSecret)',
            },
          ]
        : []),
    ]);
  }

  /**
   * ConfigMaps the pipelines read and the chart does not write (artifacts), sorted. In the
   * platform's namespace `floe-platform-config` comes from the platform and is not listed.
   */
  public get requiredConfigMaps(): string[] {
    return [
      ...new Set(this.pipelines.flatMap((p) => (p.artifacts ? [p.artifacts.configMapName] : []))),
    ].sort();
  }

  /** ServiceAccounts the pipelines run as that the chart does not create, sorted. */
  public get requiredServiceAccounts(): string[] {
    const produced = new Set([
      ...(this.serviceAccount ? [this.serviceAccount.name] : []),
      ...this.pipelines.flatMap((p) => (p.serviceAccount ? [p.serviceAccount.name] : [])),
    ]);
    return [
      ...new Set(this.pipelines.map((p) => p.serviceAccountName).filter((n) => !produced.has(n))),
    ].sort();
  }

  /**
   * `kubectl create` commands for every required Secret and ConfigMap. Values are placeholders
   * (`<key>`); a Secret read whole comes from an env file, an artifacts ConfigMap from the
   * compiled file.
   */
  public prerequisiteCommands(): string[] {
    const ns = this.namespaceName;
    const secrets = this.requiredSecrets.map(
      (s) =>
        `kubectl -n ${ns} create secret generic ${s.name} ` +
        (s.keys.length > 0
          ? s.keys.map((k) => `--from-literal=${k}=<${k}>`).join(' ')
          : `--from-env-file=./${s.name}.env`),
    );
    const configMaps = this.requiredConfigMaps.map((name) => {
      const keys = [
        ...new Set(
          this.pipelines.filter((p) => p.artifacts?.configMapName === name).map((p) => p.artifacts?.key),
        ),
      ].sort();
      return `kubectl -n ${ns} create configmap ${name} ${keys.map((k) => `--from-file=${k}=./${k}`).join(' ')}`;
    });
    return [...secrets, ...configMaps];
  }
}
