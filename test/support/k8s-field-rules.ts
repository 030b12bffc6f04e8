/**
 * Field rules of the Kubernetes 1.28 API that the generated cdk8s types do not carry, for the strict
 * schema check (test/support/k8s-schema.ts). The generated d.ts types every enum as `string` and
 * every int32/int64 as `number`; the API server still rejects `imagePullPolicy: Sometimes`,
 * `replicas: 1.5`, port 70000, a PDB `minAvailable: "half"` and two containers named alike.
 *
 * Sources, all at kubernetes v1.28.0:
 * - enums: the `+enum` types of staging/src/k8s.io/api/{core,apps,batch,policy,networking,
 *   autoscaling}/v1*\/types.go (the OpenAPI document lists them as "Possible enum values");
 * - integers: the OpenAPI formats int32/int64 of those types; the only `number` fields of 1.28
 *   that are doubles are JSONSchemaProps' maximum, minimum and multipleOf
 *   (staging/src/k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1/types_jsonschema.go);
 * - ranges, percentages, port names and unique list keys: pkg/apis/core/validation/validation.go
 *   (validateContainerPorts, validatePortNumOrName, ValidatePortNumOrName, validateServicePort,
 *   validateEnv, validateVolumeMounts, validateContainers' unique names), pkg/apis/apps/validation
 *   (ValidatePositiveIntOrPercent / IsValidPercent for rolling updates), pkg/apis/policy/validation
 *   (minAvailable/maxUnavailable) and the `+listType=map` / `+listMapKey` markers of types.go.
 *
 * Every `Type.field` named here must exist in the generated schema: the schema build throws
 * otherwise, so a rule cannot silently stop applying after an upgrade.
 */

/** `Type.field` (generated interface name, JSON field name) -> allowed string values. */
export const ENUM_FIELDS: Readonly<Record<string, readonly string[]>> = {
  'Container.imagePullPolicy': ['Always', 'Never', 'IfNotPresent'],
  'EphemeralContainer.imagePullPolicy': ['Always', 'Never', 'IfNotPresent'],
  'Container.terminationMessagePolicy': ['File', 'FallbackToLogsOnError'],
  'ContainerPort.protocol': ['TCP', 'UDP', 'SCTP'],
  'ServicePort.protocol': ['TCP', 'UDP', 'SCTP'],
  'NetworkPolicyPort.protocol': ['TCP', 'UDP', 'SCTP'],
  'PodSpec.restartPolicy': ['Always', 'OnFailure', 'Never'],
  'PodSpec.dnsPolicy': ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'],
  'PodSpec.preemptionPolicy': ['PreemptLowerPriority', 'Never'],
  'DeploymentStrategy.type': ['Recreate', 'RollingUpdate'],
  'StatefulSetSpec.podManagementPolicy': ['OrderedReady', 'Parallel'],
  'StatefulSetUpdateStrategy.type': ['RollingUpdate', 'OnDelete'],
  'ServiceSpec.type': ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'],
  'ServiceSpec.sessionAffinity': ['None', 'ClientIP'],
  'ServiceSpec.externalTrafficPolicy': ['Cluster', 'Local'],
  'ServiceSpec.internalTrafficPolicy': ['Cluster', 'Local'],
  'ServiceSpec.ipFamilyPolicy': ['SingleStack', 'PreferDualStack', 'RequireDualStack'],
  'CronJobSpec.concurrencyPolicy': ['Allow', 'Forbid', 'Replace'],
  'JobSpec.completionMode': ['NonIndexed', 'Indexed'],
  'SeccompProfile.type': ['Localhost', 'RuntimeDefault', 'Unconfined'],
  'Toleration.operator': ['Exists', 'Equal'],
  'Toleration.effect': ['NoSchedule', 'PreferNoSchedule', 'NoExecute'],
  'TopologySpreadConstraint.whenUnsatisfiable': ['DoNotSchedule', 'ScheduleAnyway'],
  'TopologySpreadConstraint.nodeAffinityPolicy': ['Honor', 'Ignore'],
  'TopologySpreadConstraint.nodeTaintsPolicy': ['Honor', 'Ignore'],
  'PersistentVolumeClaimSpec.volumeMode': ['Filesystem', 'Block'],
  'PersistentVolumeClaimSpec.accessModes[]': [
    'ReadWriteOnce',
    'ReadOnlyMany',
    'ReadWriteMany',
    'ReadWriteOncePod',
  ],
  'NetworkPolicySpec.policyTypes[]': ['Ingress', 'Egress'],
  'HttpGetAction.scheme': ['HTTP', 'HTTPS'],
  'PodDisruptionBudgetSpec.unhealthyPodEvictionPolicy': ['IfHealthyBudget', 'AlwaysAllow'],
  'HttpIngressPath.pathType': ['Exact', 'Prefix', 'ImplementationSpecific'],
  'MetricSpecV2.type': ['Object', 'Pods', 'Resource', 'ContainerResource', 'External'],
  'MetricTargetV2.type': ['Utilization', 'Value', 'AverageValue'],
};

/** The `number` fields that are doubles; every other `number` of the API is an int32 or int64. */
export const DOUBLE_FIELDS: ReadonlySet<string> = new Set([
  'JsonSchemaProps.maximum',
  'JsonSchemaProps.minimum',
  'JsonSchemaProps.multipleOf',
]);

/** Integer (or the integer of an int-or-string) `Type.field` -> inclusive `[min, max]`. */
export const RANGE_FIELDS: Readonly<Record<string, readonly [number, number]>> = {
  'ContainerPort.containerPort': [1, 65535],
  'ContainerPort.hostPort': [0, 65535], // 0: unset
  'ServicePort.port': [1, 65535],
  'ServicePort.nodePort': [0, 65535], // 0: allocated by the API server
  'ServicePort.targetPort': [1, 65535],
  'HttpGetAction.port': [1, 65535],
  'TcpSocketAction.port': [1, 65535],
  'GrpcAction.port': [1, 65535],
  'NetworkPolicyPort.port': [1, 65535],
  'NetworkPolicyPort.endPort': [1, 65535],
  'DeploymentSpec.replicas': [0, 2147483647],
  'StatefulSetSpec.replicas': [0, 2147483647],
  'JobSpec.backoffLimit': [0, 2147483647],
  'JobSpec.parallelism': [0, 2147483647],
  'JobSpec.completions': [0, 2147483647],
  'JobSpec.activeDeadlineSeconds': [0, Number.MAX_SAFE_INTEGER],
  'PodSpec.terminationGracePeriodSeconds': [0, Number.MAX_SAFE_INTEGER],
  // Non-negative; 0 is defaulted (validation.go validateProbe: ValidateNonnegativeField).
  'Probe.periodSeconds': [0, 2147483647],
  'Probe.timeoutSeconds': [0, 2147483647],
  'Probe.failureThreshold': [0, 2147483647],
  'Probe.successThreshold': [0, 2147483647],
  'Probe.initialDelaySeconds': [0, 2147483647],
};

/**
 * Int-or-string fields whose string form must be a percentage (`^[0-9]+%$`): "a valid percent
 * string must be a numeric string followed by an ending '%'".
 */
export const PERCENT_FIELDS: ReadonlySet<string> = new Set([
  'PodDisruptionBudgetSpec.minAvailable',
  'PodDisruptionBudgetSpec.maxUnavailable',
  'RollingUpdateDeployment.maxSurge',
  'RollingUpdateDeployment.maxUnavailable',
  'RollingUpdateStatefulSetStrategy.maxUnavailable',
]);

/** Int-or-string fields whose string form names a container port: an IANA_SVC_NAME. */
export const PORT_NAME_FIELDS: ReadonlySet<string> = new Set([
  'ServicePort.targetPort',
  'HttpGetAction.port',
  'TcpSocketAction.port',
  'NetworkPolicyPort.port',
]);

/** Fields that hold a port name (a string field, not int-or-string). */
export const NAMED_PORT_FIELDS: ReadonlySet<string> = new Set(['ContainerPort.name']);

/**
 * Lists whose items must be unique by these keys (`+listType=map` with `+listMapKey`, or the
 * uniqueness validation.go enforces). A key absent from an item counts as its default (`TCP` for
 * a protocol).
 */
export const LIST_MAP_KEYS: Readonly<Record<string, readonly string[]>> = {
  'PodSpec.containers': ['name'],
  'PodSpec.initContainers': ['name'],
  'PodSpec.volumes': ['name'],
  'PodSpec.topologySpreadConstraints': ['topologyKey', 'whenUnsatisfiable'],
  'Container.ports': ['containerPort', 'protocol'],
  'Container.env': ['name'],
  'Container.volumeMounts': ['mountPath'],
  'ServiceSpec.ports': ['port', 'protocol'],
};

/** Lists whose items' `name` must be unique when present (Service ports, container ports). */
export const UNIQUE_NAME_LISTS: ReadonlySet<string> = new Set(['ServiceSpec.ports', 'Container.ports']);

/** The default of a list-map key that an item may leave out. */
export const LIST_KEY_DEFAULTS: Readonly<Record<string, string>> = { protocol: 'TCP' };

/**
 * An IANA service name, as a named port must be: at most 15 characters, lowercase letters, digits
 * and '-', at least one letter, no leading, trailing or double '-' (validation.IsValidPortName).
 */
export function isPortName(name: string): boolean {
  return (
    name.length >= 1 &&
    name.length <= 15 &&
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name) &&
    !name.includes('--') &&
    /[a-z]/.test(name)
  );
}

/** Every `Type.field` the tables above name (for the check that each exists in the schema). */
export function ruleFieldNames(): string[] {
  return [
    ...Object.keys(ENUM_FIELDS).map((k) => k.replace(/\[\]$/, '')),
    ...DOUBLE_FIELDS,
    ...Object.keys(RANGE_FIELDS),
    ...PERCENT_FIELDS,
    ...PORT_NAME_FIELDS,
    ...NAMED_PORT_FIELDS,
    ...Object.keys(LIST_MAP_KEYS),
    ...UNIQUE_NAME_LISTS,
  ];
}
