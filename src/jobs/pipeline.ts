import { Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { FloeValidationError } from '../core/errors';
import { ContainerImage, resolveImage } from '../core/image';
import { WorkloadIdentity } from '../core/labels';
import { buildContainer, buildPodTemplate, emptyDirVolume, RunAs, SchedulingOptions } from '../core/pod';
import { checkConstructProps } from '../core/props-check';
import { ResourceRequirements } from '../core/resources';
import { SecretRequirement } from '../core/secrets';
import { objectMeta } from '../core/service';
import {
  validateDnsSubdomain,
  validateEnvName,
  validateInteger,
  validateLabelValue,
} from '../core/validation';
import { validateSchedule, validateTimeZone } from './schedule';
import { Step, StepKind, validateStep, WORKSPACE_PATH } from './steps';

/** Where a pipeline's compiled artifacts are mounted (read-only). */
export const ARTIFACTS_DIR = '/opt/floe/artifacts';

/** The schedule a manual pipeline's CronJob carries. It never fires: the CronJob is suspended. */
export const MANUAL_PLACEHOLDER_SCHEDULE = '@daily';

/** Annotation on the CronJob and its Jobs: how the pipeline is triggered, `schedule` or `manual`. */
export const TRIGGER_ANNOTATION = 'floe.dev/trigger';

/** Label with the pipeline name, on the CronJob, its Jobs and their pods. */
export const PIPELINE_LABEL = 'floe.dev/pipeline';

/** Longest CronJob name: the controller appends 11 characters (`-<minutes>`) to Job names (63 at most). */
export const MAX_PIPELINE_NAME_LENGTH = 52;

/** Resources of every step when nothing else is said (the floe docs' job defaults). */
export const DEFAULT_PIPELINE_RESOURCES: ResourceRequirements = {
  requests: { cpu: '1000m', memory: '2Gi' },
  limits: { cpu: '4000m', memory: '8Gi' },
};

/** The user pipeline images must run as unless `runAs` says otherwise. */
export const DEFAULT_PIPELINE_RUN_AS: RunAs = { user: 1000, group: 1000 };

/** How a pipeline is started. */
export type PipelineTrigger = 'schedule' | 'manual';

/** What Kubernetes does when a scheduled run is due while the previous one still runs. */
export type ConcurrencyPolicy = 'Allow' | 'Forbid' | 'Replace';

/** Credentials a pipeline reads from an existing Secret in the jobs namespace. */
export interface PipelineCredentials {
  /** Name of the Secret (a prerequisite: create it in the jobs namespace). */
  readonly secretName: string;
  /**
   * Environment variable name to Secret key, e.g. `{ SNOWFLAKE_PASSWORD: 'password' }` (each read
   * with `secretKeyRef`). Without it every key of the Secret becomes a variable (`envFrom`).
   * @default - every key of the Secret, as a variable of the same name
   */
  readonly env?: Record<string, string>;
}

/** Compiled artifacts (`floe compile` output) mounted from a ConfigMap. */
export interface PipelineArtifacts {
  /** Name of the ConfigMap (a prerequisite, e.g. created by CI). */
  readonly configMapName: string;
  /**
   * Key of the artifacts file in the ConfigMap; it is mounted under the same name in
   * `/opt/floe/artifacts/` and `FLOE_ARTIFACTS_PATH` points at it.
   * @default 'artifacts.json'
   */
  readonly key?: string;
}

/** Job settings with the floe docs' defaults. The chart's `defaults` and each pipeline override them. */
export interface PipelineDefaults extends SchedulingOptions {
  /**
   * Resources of every step container (a step's own `resources` wins).
   * @default - requests 1000m / 2Gi, limits 4000m / 8Gi
   */
  readonly resources?: ResourceRequirements;
  /**
   * Pods Kubernetes starts again after a failed run. 0: a failed step fails the run and the
   * orchestrator decides about retries.
   * @default 0
   */
  readonly backoffLimit?: number;
  /**
   * Seconds a finished Job (with its pods and logs) is kept before it is deleted.
   * @default 3600
   */
  readonly ttlSecondsAfterFinished?: number;
  /**
   * Seconds a run may take, all steps together, before Kubernetes stops it and marks it failed.
   * @default - no limit
   */
  readonly activeDeadlineSeconds?: number;
  /**
   * Seconds after a missed schedule time in which the run may still start; at least 10 (the
   * CronJob controller checks every 10 seconds, so a smaller value can skip runs).
   * @default 300
   */
  readonly startingDeadlineSeconds?: number;
  /**
   * What to do when a run is due while the previous one still runs.
   * @default 'Forbid'
   */
  readonly concurrencyPolicy?: ConcurrencyPolicy;
  /**
   * Finished successful Jobs kept (until `ttlSecondsAfterFinished` deletes them).
   * @default 3
   */
  readonly successfulJobsHistoryLimit?: number;
  /**
   * Finished failed Jobs kept (until `ttlSecondsAfterFinished` deletes them).
   * @default 3
   */
  readonly failedJobsHistoryLimit?: number;
  /**
   * Numeric user and group every step runs as. The pipeline image must work as this non-root user
   * (files it reads readable by it; it writes only to `/workspace` and `/tmp`).
   * @default - UID 1000, GID 1000 (fsGroup 1000)
   */
  readonly runAs?: RunAs;
}

/** A pipeline: steps that run in order in one pod, on a schedule or on demand. */
export interface PipelineProps extends PipelineDefaults {
  /**
   * Image with the pipeline's code (dbt project, dlt scripts): `registry/repository:tag` (a pinned
   * tag; no digest, not `latest`; without a registry, the chart's `imageRegistry` or Docker Hub), or
   * its parts.
   * @default - the product image floe's CI builds: `<prefix>/<name>:<version>`, with the chart's
   *   `productImageRepositoryPrefix` (by default its platform's) and this pipeline's `version`
   */
  readonly image?: string | ContainerImage;
  /**
   * Version of the data product the pipeline runs (`metadata.version` of its floe.yaml): the tag
   * of its image when `image` is not given. A pinned image tag: letters, digits, `_`, `.` and `-`
   * (SemVer build metadata, `+...`, is not allowed in image tags), not `latest`. Only without
   * `image` (an image names its own tag).
   * @default - none; required when `image` is not given
   */
  readonly version?: string;
  /** Steps, in run order. At least one; a test or quality step after what it checks. */
  readonly steps: Step[];
  /**
   * Cron expression (5 fields) or macro (`@daily`). Without it the pipeline is manual: its CronJob
   * is suspended and runs only when triggered (`kubectl create job --from=cronjob/<name>`).
   * @default - manual
   */
  readonly schedule?: string;
  /**
   * IANA time zone the schedule is read in, e.g. `Europe/Berlin`.
   * @default - the kube-controller-manager's time zone (UTC on most clusters)
   */
  readonly timeZone?: string;
  /**
   * Suspend a scheduled pipeline: no new runs until it is set back to false. Manual pipelines are
   * always suspended.
   * @default false
   */
  readonly suspend?: boolean;
  /**
   * Secrets with compute credentials (warehouse, object storage, source APIs), referenced only.
   * @default - none
   */
  readonly credentials?: PipelineCredentials[];
  /**
   * Compiled artifacts to mount at `/opt/floe/artifacts/`.
   * @default - none
   */
  readonly artifacts?: PipelineArtifacts;
  /**
   * Plain environment variables of every step (never secrets; a step's own `env` wins).
   * @default - none
   */
  readonly env?: Record<string, string>;
  /**
   * An existing ServiceAccount the run pods use (a prerequisite, listed by the chart's
   * `requiredServiceAccounts`), e.g. one bound to a cloud identity.
   * @default - the chart's `serviceAccountName` if it sets one, else a ServiceAccount of this
   *   pipeline's own, named after it, without an API token
   */
  readonly serviceAccountName?: string;
  /**
   * Mount a Kubernetes API token into the pods: only for steps that call the API.
   * @default false
   */
  readonly automountServiceAccountToken?: boolean;
}

/** What a pipeline receives from its chart. */
export interface PipelineContext {
  /** `app.kubernetes.io/part-of`. */
  readonly platformName: string;
  /** The chart's defaults. */
  readonly defaults: PipelineDefaults;
  /**
   * The chart's ServiceAccount.
   * @default - none: each pipeline gets its own
   */
  readonly serviceAccountName?: string;
  /**
   * Registry for image references that name none.
   * @default - Docker Hub
   */
  readonly imageRegistry?: string;
  /**
   * Where product images are (`registry/path`): a pipeline without `image` runs
   * `<prefix>/<name>:<version>`.
   * @default - none: every pipeline names its `image`
   */
  readonly productImageRepositoryPrefix?: string;
  /**
   * Image pull Secrets.
   * @default - none
   */
  readonly imagePullSecrets?: string[];
  /** The ConfigMap every container reads with `envFrom`. */
  readonly configMapName: string;
  /** The variables that ConfigMap sets (they may not be set again). */
  readonly inheritedEnv: readonly string[];
  /**
   * Variables every container gets last, in this order, to authenticate to the catalog (Secret
   * references and the variables composed of them); they may not be set again.
   * @default - none
   */
  readonly catalogEnv?: readonly k8s.EnvVar[];
}

const CONCURRENCY_POLICIES: readonly ConcurrencyPolicy[] = ['Allow', 'Forbid', 'Replace'];
const CONFIG_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
const DOCKER_HUB = 'docker.io';

/**
 * Parses an image reference `[registry/]repository:tag`. Like Docker, the first path component is
 * the registry when it contains `.` or `:` or is `localhost`; otherwise `defaultRegistry` (else
 * Docker Hub, where a single name means `library/<name>`) is used.
 */
export function parseImageReference(
  scope: IConstruct | string,
  field: string,
  reference: string,
  defaultRegistry?: string,
): ContainerImage {
  const allowed =
    "an image reference with a pinned tag, e.g. 'registry.example.com/sales/customer-360:1.4.2' (no digest, not 'latest')";
  if (typeof reference !== 'string' || reference.includes('@')) {
    throw new FloeValidationError(scope, field, reference, allowed);
  }
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  if (colon <= slash || colon === reference.length - 1) {
    throw new FloeValidationError(scope, field, reference, allowed);
  }
  const parts = reference.slice(0, colon).split('/');
  const tag = reference.slice(colon + 1);
  const explicit = parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost');
  const registry = explicit ? parts[0] : (defaultRegistry ?? DOCKER_HUB);
  const path = explicit ? parts.slice(1) : parts;
  const repository = registry === DOCKER_HUB && path.length === 1 ? `library/${path[0]}` : path.join('/');
  return { registry, repository, tag };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A pinned image tag as the OCI distribution spec allows it, not `latest`. */
const IMAGE_TAG = /^(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * The image of a data product floe's CI built, `<prefix>/<name>:<version>`, for a pipeline that
 * names no image.
 */
function productImage(
  scope: IConstruct,
  name: string,
  version: string | undefined,
  prefix: string | undefined,
): string {
  if (version === undefined || prefix === undefined) {
    throw new FloeValidationError(
      scope,
      'image',
      undefined,
      prefix === undefined
        ? "an image: the chart sets no productImageRepositoryPrefix (give the FloePlatform or FloeJobs one, e.g. 'registry.example.com/floe-products', or give the pipeline an image)"
        : `an image, or a version: the pipeline's image is then ${prefix}/${name}:<version>`,
    );
  }
  if (typeof version !== 'string' || !IMAGE_TAG.test(version)) {
    throw new FloeValidationError(
      scope,
      'version',
      version,
      `a version that is a pinned image tag (letters, digits, '_', '.' and '-', at most 128 characters, not 'latest'; SemVer build metadata '+...' is not allowed in image tags): it is the tag of the product image ${prefix}/${name}:<version>; or give the pipeline an image`,
    );
  }
  return `${prefix}/${name}:${version}`;
}

/** Checks a pipeline (CronJob) name: a DNS label of at most 52 characters. */
export function validatePipelineName(scope: IConstruct | string, name: string): string {
  if (typeof name !== 'string' || name.length > MAX_PIPELINE_NAME_LENGTH || !DNS_LABEL.test(name)) {
    throw new FloeValidationError(
      scope,
      'name',
      name,
      `a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit) of at most ${MAX_PIPELINE_NAME_LENGTH} characters: it names the CronJob, and the CronJob controller appends 11 characters to it for each Job, whose name may not exceed 63`,
    );
  }
  return name;
}

function checkConfigKey(scope: IConstruct | string, field: string, key: unknown): string {
  if (typeof key !== 'string' || !CONFIG_KEY.test(key)) {
    throw new FloeValidationError(
      scope,
      field,
      key,
      "a Secret or ConfigMap key: letters, digits, '-', '_' and '.', 1 to 253 characters",
    );
  }
  return key;
}

/**
 * One pipeline, as a CronJob whose pod runs the steps in order.
 *
 * Ordering: every step but the last is an init container, the last is the main container.
 * Kubernetes starts an init container only after the previous one exited 0; with
 * `restartPolicy: Never` a failed init container fails the pod, and with `backoffLimit: 0` the
 * Job. So a test or quality step never starts before the step it checks succeeded, and a failing
 * step stops the rest. The steps share emptyDirs at `/workspace` and `/tmp`.
 *
 * Trigger: scheduled and manual pipelines are both CronJobs, so
 * `kubectl create job --from=cronjob/<name> <job-name>` starts an ad-hoc run of either (kubectl
 * copies the CronJob's job template, suspended or not). A manual pipeline's CronJob is suspended
 * with the placeholder schedule `@daily`: a suspended CronJob creates no Jobs.
 */
export class Pipeline extends Construct {
  /** The pipeline name, which is the CronJob name. */
  public readonly name: string;
  /** How runs start. */
  public readonly trigger: PipelineTrigger;
  /** The CronJob's schedule (`@daily` placeholder for manual pipelines). */
  public readonly schedule: string;
  /** The schedule's time zone, when set. */
  public readonly timeZone?: string;
  /** The resolved image. */
  public readonly image: ContainerImage;
  /** Container names in run order: init containers, then the main container. */
  public readonly stepNames: readonly string[];
  /** Labels of the CronJob and its pods. */
  public readonly identity: WorkloadIdentity;
  /** ServiceAccount of the run pods. */
  public readonly serviceAccountName: string;
  /** Secrets the pipeline reads (credentials), sorted by name. */
  public readonly requiredSecrets: readonly SecretRequirement[];
  /** The artifacts ConfigMap and the key read from it, when artifacts are mounted. */
  public readonly artifacts?: { readonly configMapName: string; readonly key: string };
  /** The CronJob. */
  public readonly cronJob: k8s.KubeCronJob;
  /** The pipeline's own ServiceAccount, unless the pipeline or its chart names one. */
  public readonly serviceAccount?: k8s.KubeServiceAccount;

  public constructor(scope: Construct, name: string, props: PipelineProps, ctx: PipelineContext) {
    checkConstructProps(scope, name, 'PipelineProps', props);
    validatePipelineName(`${scope.node.path}/${name}`, name);
    super(scope, name);
    this.name = name;
    const d: PipelineDefaults = { ...ctx.defaults, ...definedOnly(props) };

    const image = props.image ?? productImage(this, name, props.version, ctx.productImageRepositoryPrefix);
    if (props.image !== undefined && props.version !== undefined) {
      throw new FloeValidationError(
        this,
        'version',
        props.version,
        'no version when image is given: the version only names the tag of the product image derived from productImageRepositoryPrefix',
      );
    }
    this.image = resolveImage(
      this,
      'image',
      typeof image === 'string' ? parseImageReference(this, 'image', image, ctx.imageRegistry) : image,
    );
    validateLabelValue(this, 'image.tag', this.image.tag);
    this.identity = {
      name,
      instance: name,
      component: 'pipeline',
      partOf: ctx.platformName,
      version: this.image.tag,
    };

    const steps = this.validateSteps(props.steps);
    this.stepNames = steps.map((s) => s.name);

    // Trigger, schedule and CronJob settings.
    this.trigger = props.schedule === undefined ? 'manual' : 'schedule';
    if (this.trigger === 'manual') {
      if (props.timeZone !== undefined) {
        throw new FloeValidationError(
          this,
          'timeZone',
          props.timeZone,
          'no time zone on a manual pipeline (it has no schedule)',
        );
      }
      if (props.suspend === false) {
        throw new FloeValidationError(
          this,
          'suspend',
          false,
          'true or unset: a manual pipeline stays suspended (give it a schedule to run it on one)',
        );
      }
    }
    this.schedule =
      props.schedule === undefined
        ? MANUAL_PLACEHOLDER_SCHEDULE
        : validateSchedule(this, 'schedule', props.schedule);
    if (props.timeZone !== undefined) {
      this.timeZone = validateTimeZone(this, 'timeZone', props.timeZone);
    }
    const backoffLimit = validateInteger(this, 'backoffLimit', d.backoffLimit ?? 0, 0);
    const ttl = validateInteger(this, 'ttlSecondsAfterFinished', d.ttlSecondsAfterFinished ?? 3600, 0);
    const startingDeadline = validateInteger(
      this,
      'startingDeadlineSeconds',
      d.startingDeadlineSeconds ?? 300,
      10,
    );
    const activeDeadline =
      d.activeDeadlineSeconds === undefined
        ? undefined
        : validateInteger(this, 'activeDeadlineSeconds', d.activeDeadlineSeconds, 1);
    const successfulHistory = validateInteger(
      this,
      'successfulJobsHistoryLimit',
      d.successfulJobsHistoryLimit ?? 3,
      0,
    );
    const failedHistory = validateInteger(this, 'failedJobsHistoryLimit', d.failedJobsHistoryLimit ?? 3, 0);
    const concurrencyPolicy = d.concurrencyPolicy ?? 'Forbid';
    if (!CONCURRENCY_POLICIES.includes(concurrencyPolicy)) {
      throw new FloeValidationError(
        this,
        'concurrencyPolicy',
        concurrencyPolicy,
        CONCURRENCY_POLICIES.join(', '),
      );
    }
    const runAs = d.runAs ?? DEFAULT_PIPELINE_RUN_AS;
    validateInteger(this, 'runAs.user', runAs.user, 1);
    validateInteger(this, 'runAs.group', runAs.group, 0);
    if (runAs.fsGroup !== undefined) validateInteger(this, 'runAs.fsGroup', runAs.fsGroup, 0);
    const sharedAccount = props.serviceAccountName ?? ctx.serviceAccountName;
    if (sharedAccount !== undefined) {
      this.serviceAccountName = validateDnsSubdomain(this, 'serviceAccountName', sharedAccount);
    } else {
      this.serviceAccountName = name;
      this.serviceAccount = new k8s.KubeServiceAccount(this, 'service-account', {
        metadata: objectMeta(name, this.identity),
        automountServiceAccountToken: false,
      });
    }

    // Credentials: referenced, never read.
    const credentials = props.credentials ?? [];
    const secretEnv: k8s.EnvVar[] = [];
    const secretEnvSource: number[] = []; // index in `credentials` of each secretEnv entry
    const secretEnvFrom: k8s.EnvFromSource[] = [];
    const secretNames = new Set<string>();
    const requirements: SecretRequirement[] = [];
    credentials.forEach((c, i) => {
      const field = `credentials[${i}]`;
      validateDnsSubdomain(this, `${field}.secretName`, c.secretName);
      if (secretNames.has(c.secretName)) {
        throw new FloeValidationError(
          this,
          `${field}.secretName`,
          c.secretName,
          'each Secret named once per pipeline',
        );
      }
      secretNames.add(c.secretName);
      if (c.env !== undefined) {
        const entries = Object.entries(c.env).sort(([a], [b]) => a.localeCompare(b));
        if (entries.length === 0) {
          throw new FloeValidationError(
            this,
            `${field}.env`,
            c.env,
            'at least one variable, or no `env` (all keys)',
          );
        }
        for (const [envName, key] of entries) {
          validateEnvName(this, `${field}.env.${envName}`, envName);
          checkConfigKey(this, `${field}.env.${envName}`, key);
          secretEnv.push({ name: envName, valueFrom: { secretKeyRef: { name: c.secretName, key } } });
          secretEnvSource.push(i);
        }
      } else {
        secretEnvFrom.push({ secretRef: { name: c.secretName } });
      }
      requirements.push({
        name: c.secretName,
        keys: c.env ? [...new Set(Object.values(c.env))].sort() : [],
        purpose: `credentials of pipeline ${name}`,
      });
    });
    this.requiredSecrets = requirements.sort((a, b) => a.name.localeCompare(b.name));

    if (props.artifacts !== undefined) {
      this.artifacts = {
        configMapName: validateDnsSubdomain(this, 'artifacts.configMapName', props.artifacts.configMapName),
        key: checkConfigKey(this, 'artifacts.key', props.artifacts.key ?? 'artifacts.json'),
      };
    }
    const pipelineEnv = props.env ?? {};
    for (const key of Object.keys(pipelineEnv)) validateEnvName(this, `env.${key}`, key);

    // Containers, in step order.
    const containers = steps.map((step, i) => {
      const fixed: Record<string, string> = {
        HOME: '/tmp',
        OTEL_SERVICE_NAME: name,
        OTEL_RESOURCE_ATTRIBUTES: `floe.pipeline=${name},floe.step=${step.name}`,
        FLOE_PIPELINE: name,
        FLOE_STEP: step.name,
        FLOE_WORKSPACE: WORKSPACE_PATH,
        ...(this.artifacts ? { FLOE_ARTIFACTS_PATH: `${ARTIFACTS_DIR}/${this.artifacts.key}` } : {}),
        ...step.env,
      };
      const taken = new Map<string, string>([
        ...ctx.inheritedEnv.map((k): [string, string] => [
          k,
          `the platform configuration (${ctx.configMapName})`,
        ]),
        ...Object.keys(fixed).map((k): [string, string] => [k, 'the pipeline']),
        ...(ctx.catalogEnv ?? []).map((e): [string, string] => [e.name, 'the catalog credentials']),
      ]);
      secretEnv.forEach((e, j) => {
        const owner = taken.get(e.name);
        if (owner !== undefined) {
          const at = secretEnvSource[j];
          throw new FloeValidationError(
            this,
            `credentials[${at}].env.${e.name}`,
            e.name,
            `a variable not set by ${owner}`,
          );
        }
        taken.set(e.name, 'the credentials');
      });
      const extra: Record<string, string> = { ...pipelineEnv, ...step.extraEnv };
      for (const key of Object.keys(extra)) {
        const owner = taken.get(key);
        if (owner !== undefined) {
          const field = key in step.extraEnv ? `steps[${i}].env.${key}` : `env.${key}`;
          throw new FloeValidationError(this, field, key, `a variable not set by ${owner}`);
        }
      }
      const plain = { ...fixed, ...extra };
      return buildContainer(
        this,
        {
          name: step.name,
          image: this.image,
          command: [...step.command],
          ...(step.workingDir !== undefined ? { workingDir: step.workingDir } : {}),
          envFrom: [{ configMapRef: { name: ctx.configMapName } }, ...secretEnvFrom],
          env: [
            ...Object.keys(plain)
              .sort()
              .map((k) => ({ name: k, value: plain[k] })),
            ...secretEnv,
            ...(ctx.catalogEnv ?? []),
          ],
          resources: step.resources ?? d.resources ?? DEFAULT_PIPELINE_RESOURCES,
          resourcesField: step.resources ? `steps[${i}].resources` : 'resources',
          volumeMounts: [
            { name: 'workspace', mountPath: WORKSPACE_PATH },
            { name: 'tmp', mountPath: '/tmp' },
            ...(this.artifacts ? [{ name: 'artifacts', mountPath: ARTIFACTS_DIR, readOnly: true }] : []),
          ],
        },
        runAs,
      );
    });

    const pod = buildPodTemplate({
      identity: this.identity,
      runAs,
      initContainers: containers.slice(0, -1),
      containers: containers.slice(-1),
      volumes: [
        emptyDirVolume('workspace'),
        emptyDirVolume('tmp'),
        ...(this.artifacts
          ? [
              {
                name: 'artifacts',
                configMap: {
                  name: this.artifacts.configMapName,
                  items: [{ key: this.artifacts.key, path: this.artifacts.key }],
                },
              },
            ]
          : []),
      ],
      serviceAccountName: this.serviceAccountName,
      automountServiceAccountToken: props.automountServiceAccountToken ?? false,
      // A failed step fails the pod: nothing after it runs, and the pod stays for its logs.
      restartPolicy: 'Never',
      scheduling: d,
      imagePullSecrets: ctx.imagePullSecrets,
    });
    const meta = objectMeta(name, this.identity, { [TRIGGER_ANNOTATION]: this.trigger });
    const labels = { ...meta.labels, [PIPELINE_LABEL]: name };
    this.cronJob = new k8s.KubeCronJob(this, 'cronjob', {
      metadata: { ...meta, labels },
      spec: {
        schedule: this.schedule,
        ...(this.timeZone !== undefined ? { timeZone: this.timeZone } : {}),
        suspend: this.trigger === 'manual' || props.suspend === true,
        concurrencyPolicy,
        startingDeadlineSeconds: startingDeadline,
        successfulJobsHistoryLimit: successfulHistory,
        failedJobsHistoryLimit: failedHistory,
        jobTemplate: {
          // kubectl create job --from=cronjob copies these onto ad-hoc Jobs too.
          metadata: { labels, annotations: { [TRIGGER_ANNOTATION]: this.trigger } },
          spec: {
            backoffLimit,
            ttlSecondsAfterFinished: ttl,
            ...(activeDeadline !== undefined ? { activeDeadlineSeconds: activeDeadline } : {}),
            template: {
              ...pod,
              metadata: { ...pod.metadata, labels: { ...pod.metadata?.labels, [PIPELINE_LABEL]: name } },
            },
          },
        },
      },
    });
  }

  /**
   * The command that starts an ad-hoc run now. The Job name appends the Unix time in seconds (10
   * digits), which fits 63 characters and never equals a name the controller gives (it appends
   * minutes).
   */
  public runCommand(): string {
    const namespace = Chart.of(this).namespace ?? 'default';
    return `kubectl -n ${namespace} create job --from=cronjob/${this.name} ${this.name}-$(date +%s)`;
  }

  private validateSteps(steps: Step[]): Step[] {
    if (!Array.isArray(steps) || steps.length === 0) {
      throw new FloeValidationError(
        this,
        'steps',
        steps,
        'at least one step, e.g. [ingest.dlt({ source }), dbt.run(), dbt.test()]',
      );
    }
    const seen = new Set<string>();
    steps.forEach((step, i) => {
      validateStep(this, `steps[${i}]`, step);
      if (seen.has(step.name)) {
        throw new FloeValidationError(
          this,
          `steps[${i}].name`,
          step.name,
          'a name no other step of the pipeline has',
        );
      }
      seen.add(step.name);
      const checks: readonly StepKind[] = step.checks;
      if (checks.length > 0 && !steps.slice(0, i).some((s) => checks.includes(s.kind))) {
        throw new FloeValidationError(
          this,
          `steps[${i}]`,
          step.kind,
          `a ${step.kind} step after a step it checks (${checks.join(' or ')}): it runs only once that step succeeded`,
        );
      }
    });
    return steps;
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
