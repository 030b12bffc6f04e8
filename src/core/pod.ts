import { IConstruct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { ContainerImage, imageReference } from './image';
import { recommendedLabels, WorkloadIdentity } from './labels';
import { renderResources, ResourceRequirements } from './resources';

/**
 * The numeric identity a pod runs as. Pod Security "restricted" needs `runAsNonRoot`, and an
 * image whose user is given by name (or is root) only starts under it with a numeric user, so
 * every component states the user ID its upstream image really uses.
 */
export interface RunAs {
  /** Numeric user ID (never 0). */
  readonly user: number;
  /** Numeric primary group ID. */
  readonly group: number;
  /**
   * Group that owns mounted volumes.
   * @default - same as `group`
   */
  readonly fsGroup?: number;
}

/** Where a workload's pods may be scheduled: the Kubernetes fields, passed through unchanged. */
export interface SchedulingOptions {
  /**
   * Node labels the pods require.
   * @default - none
   */
  readonly nodeSelector?: Record<string, string>;
  /**
   * Taints the pods tolerate.
   * @default - none
   */
  readonly tolerations?: k8s.Toleration[];
  /**
   * Node and pod (anti-)affinity. Applies together with the topology spread: Kubernetes places a
   * pod only where both allow.
   * @default - none
   */
  readonly affinity?: k8s.Affinity;
  /**
   * Topology spread constraints. Given, they replace the component's default spread (over zones
   * and nodes, preferred, see `ProductionOptions.topologySpread`) entirely, e.g. to require
   * spreading with `whenUnsatisfiable: 'DoNotSchedule'`; `[]` spreads nothing.
   * @default - for workloads that run more than one pod, the default spread over zones and nodes
   */
  readonly topologySpreadConstraints?: k8s.TopologySpreadConstraint[];
}

/** One container, described by what differs between components; hardening is added by `buildContainer`. */
export interface ContainerDefinition {
  /** Container name (DNS label). */
  readonly name: string;
  /** The image, already resolved. */
  readonly image: ContainerImage;
  /** Entrypoint override. @default - the image's entrypoint */
  readonly command?: string[];
  /** Arguments. @default - the image's command */
  readonly args?: string[];
  /** Working directory. @default - the image's */
  readonly workingDir?: string;
  /** Ports the container listens on. @default - none */
  readonly ports?: k8s.ContainerPort[];
  /** Environment. @default - none */
  readonly env?: k8s.EnvVar[];
  /** Environment from ConfigMaps or Secrets. @default - none */
  readonly envFrom?: k8s.EnvFromSource[];
  /** Resources; validated. */
  readonly resources: ResourceRequirements;
  /** Property path of `resources`, for error messages, e.g. `webserver.resources`. */
  readonly resourcesField: string;
  /** Readiness probe. @default - none (only for containers that serve nothing) */
  readonly readinessProbe?: k8s.Probe;
  /** Liveness probe. @default - none */
  readonly livenessProbe?: k8s.Probe;
  /** Startup probe. @default - none */
  readonly startupProbe?: k8s.Probe;
  /** Volume mounts. @default - none */
  readonly volumeMounts?: k8s.VolumeMount[];
  /**
   * Why this container needs a writable root filesystem. Leave unset: every component
   * mounts emptyDirs exactly where it writes and runs with a read-only root.
   * @default - read-only root filesystem
   */
  readonly writableRootFilesystemReason?: string;
}

/** The container security context Pod Security "restricted" requires, with the image's real user. */
export function restrictedContainerSecurityContext(runAs: RunAs, readOnlyRoot = true): k8s.SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: runAs.user,
    runAsGroup: runAs.group,
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: readOnlyRoot,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Renders one hardened container. */
export function buildContainer(scope: IConstruct, def: ContainerDefinition, runAs: RunAs): k8s.Container {
  return {
    name: def.name,
    image: imageReference(def.image),
    imagePullPolicy: 'IfNotPresent',
    ...(def.command ? { command: def.command } : {}),
    ...(def.args ? { args: def.args } : {}),
    ...(def.workingDir ? { workingDir: def.workingDir } : {}),
    ...(def.ports && def.ports.length > 0 ? { ports: def.ports } : {}),
    ...(def.env && def.env.length > 0 ? { env: def.env } : {}),
    ...(def.envFrom && def.envFrom.length > 0 ? { envFrom: def.envFrom } : {}),
    resources: renderResources(scope, def.resourcesField, def.resources),
    ...(def.startupProbe ? { startupProbe: def.startupProbe } : {}),
    ...(def.readinessProbe ? { readinessProbe: def.readinessProbe } : {}),
    ...(def.livenessProbe ? { livenessProbe: def.livenessProbe } : {}),
    ...(def.volumeMounts && def.volumeMounts.length > 0 ? { volumeMounts: def.volumeMounts } : {}),
    securityContext: restrictedContainerSecurityContext(
      runAs,
      def.writableRootFilesystemReason === undefined,
    ),
  };
}

/** Everything a pod template needs. */
export interface PodTemplateOptions {
  /** Labels of the pods. */
  readonly identity: WorkloadIdentity;
  /** The user the pod runs as. */
  readonly runAs: RunAs;
  /** Containers, rendered by `buildContainer`. */
  readonly containers: k8s.Container[];
  /** Init containers, rendered by `buildContainer`. @default - none */
  readonly initContainers?: k8s.Container[];
  /** Volumes. @default - none */
  readonly volumes?: k8s.Volume[];
  /** ServiceAccount. @default - the namespace's `default` account, without a token */
  readonly serviceAccountName?: string;
  /**
   * Mount an API token: only for workloads that call the Kubernetes API.
   * @default false
   */
  readonly automountServiceAccountToken?: boolean;
  /** Scheduling constraints. @default - none */
  readonly scheduling?: SchedulingOptions;
  /** Pod annotations, e.g. config checksums. @default - none */
  readonly annotations?: Record<string, string>;
  /** Grace period on termination. @default - Kubernetes' 30 s */
  readonly terminationGracePeriodSeconds?: number;
  /** Restart policy (Jobs use `Never` or `OnFailure`). @default - Kubernetes' `Always` */
  readonly restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  /** Image pull secrets for private registries. @default - none */
  readonly imagePullSecrets?: string[];
}

/** Renders a pod template that meets Pod Security "restricted". */
export function buildPodTemplate(opts: PodTemplateOptions): k8s.PodTemplateSpec {
  const s = opts.scheduling ?? {};
  const annotations = opts.annotations ?? {};
  return {
    metadata: {
      labels: recommendedLabels(opts.identity),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec: {
      ...(opts.serviceAccountName ? { serviceAccountName: opts.serviceAccountName } : {}),
      automountServiceAccountToken: opts.automountServiceAccountToken ?? false,
      ...(opts.restartPolicy ? { restartPolicy: opts.restartPolicy } : {}),
      ...(opts.terminationGracePeriodSeconds !== undefined
        ? { terminationGracePeriodSeconds: opts.terminationGracePeriodSeconds }
        : {}),
      securityContext: {
        runAsNonRoot: true,
        runAsUser: opts.runAs.user,
        runAsGroup: opts.runAs.group,
        fsGroup: opts.runAs.fsGroup ?? opts.runAs.group,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      ...(opts.imagePullSecrets && opts.imagePullSecrets.length > 0
        ? { imagePullSecrets: opts.imagePullSecrets.map((name) => ({ name })) }
        : {}),
      ...(opts.initContainers && opts.initContainers.length > 0
        ? { initContainers: opts.initContainers }
        : {}),
      containers: opts.containers,
      ...(opts.volumes && opts.volumes.length > 0 ? { volumes: opts.volumes } : {}),
      ...(s.nodeSelector && Object.keys(s.nodeSelector).length > 0 ? { nodeSelector: s.nodeSelector } : {}),
      ...(s.tolerations && s.tolerations.length > 0 ? { tolerations: s.tolerations } : {}),
      ...(s.affinity ? { affinity: s.affinity } : {}),
      ...(s.topologySpreadConstraints && s.topologySpreadConstraints.length > 0
        ? { topologySpreadConstraints: s.topologySpreadConstraints }
        : {}),
    },
  };
}

/** An emptyDir volume, optionally memory-backed or size-limited. */
export function emptyDirVolume(name: string, sizeLimit?: string): k8s.Volume {
  return { name, emptyDir: sizeLimit ? { sizeLimit: k8s.Quantity.fromString(sizeLimit) } : {} };
}

/** A ConfigMap volume. */
export function configMapVolume(name: string, configMapName: string): k8s.Volume {
  return { name, configMap: { name: configMapName } };
}
