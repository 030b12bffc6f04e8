import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { FloeValidationError } from './errors';
import { renderNetworkPolicies } from './network-isolation';
import { WORKLOAD_KINDS } from './network-paths';

/**
 * The cluster-scoped kinds of Kubernetes 1.28 (`kubectl api-resources --namespaced=false`), as
 * `<group>/<kind>` (`core` for the core group). Objects of these kinds are one per name in the
 * whole cluster, whatever namespace a chart sets; every other kind is taken to be namespaced.
 */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'core/ComponentStatus',
  'core/Namespace',
  'core/Node',
  'core/PersistentVolume',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'apiregistration.k8s.io/APIService',
  'authentication.k8s.io/SelfSubjectReview',
  'authentication.k8s.io/TokenReview',
  'authorization.k8s.io/SelfSubjectAccessReview',
  'authorization.k8s.io/SelfSubjectRulesReview',
  'authorization.k8s.io/SubjectAccessReview',
  'certificates.k8s.io/CertificateSigningRequest',
  'certificates.k8s.io/ClusterTrustBundle',
  'flowcontrol.apiserver.k8s.io/FlowSchema',
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration',
  'networking.k8s.io/IngressClass',
  'node.k8s.io/RuntimeClass',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'resource.k8s.io/ResourceClass',
  'scheduling.k8s.io/PriorityClass',
  'storage.k8s.io/CSIDriver',
  'storage.k8s.io/CSINode',
  'storage.k8s.io/StorageClass',
  'storage.k8s.io/VolumeAttachment',
]);

/** Two API objects of one app that are the same object in a cluster. */
export interface ObjectCollision {
  /** `apiVersion` of the object (of the first one, when the two differ in version only). */
  readonly apiVersion: string;
  /** Kind. */
  readonly kind: string;
  /** Namespace, or undefined for a cluster-scoped kind. */
  readonly namespace?: string;
  /** `metadata.name`. */
  readonly name: string;
  /** Construct path of the object found first (in construct-tree order). */
  readonly firstPath: string;
  /** Construct path of the object that would replace it. */
  readonly secondPath: string;
}

/**
 * Thrown at synth when two API objects of an app are one object in the cluster: the same API group,
 * kind, namespace and name. Applying both files would leave only the object applied last (and
 * `kubectl apply --prune` of one chart would delete the other's), so nothing is written.
 *
 * The message lists every collision with both construct paths; `collisions` has them as data.
 */
export class ObjectCollisionError extends FloeValidationError {
  /** Every collision, in construct-tree order of the second object. */
  public readonly collisions: readonly ObjectCollision[];

  public constructor(collisions: readonly ObjectCollision[]) {
    const first = collisions[0];
    super(
      first.secondPath,
      'metadata.name',
      first.name,
      `a name no other ${first.kind} ${first.namespace === undefined ? 'of the cluster' : `in namespace '${first.namespace}'`} of this app has`,
    );
    this.name = 'ObjectCollisionError';
    this.collisions = collisions;
    this.message = formatCollisions(collisions);
  }
}

/** The API group of an `apiVersion` (`core` for `v1`). */
function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? 'core' : apiVersion.slice(0, slash);
}

/**
 * Where an object lives in a cluster: undefined for a cluster-scoped kind; otherwise its namespace,
 * which cdk8s fills in from its chart, or `default` (an object without namespace is applied to the
 * default namespace).
 */
function namespaceOf(o: ApiObject): string | undefined {
  if (CLUSTER_SCOPED_KINDS.has(`${groupOf(o.apiVersion)}/${o.kind}`)) {
    return undefined;
  }
  return o.metadata.namespace ?? 'default';
}

/**
 * Every pair of API objects in the app of `scope` that are one object in a cluster: same API group
 * (any version), kind, namespace and name. Objects are compared as they were constructed (their
 * name and namespace, not JSON patches); one pass over the app with a map.
 */
export function findObjectCollisions(scope: IConstruct): ObjectCollision[] {
  const seen = new Map<string, ApiObject>();
  const collisions: ObjectCollision[] = [];
  for (const c of scope.node.root.node.findAll()) {
    if (!ApiObject.isApiObject(c)) continue;
    const namespace = namespaceOf(c);
    const key = `${groupOf(c.apiVersion)}\n${c.kind}\n${namespace ?? ''}\n${c.name}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, c);
      continue;
    }
    collisions.push({
      apiVersion: first.apiVersion,
      kind: c.kind,
      ...(namespace !== undefined ? { namespace } : {}),
      name: c.name,
      firstPath: first.node.path,
      secondPath: c.node.path,
    });
  }
  return collisions;
}

/** The message of an `ObjectCollisionError`. */
export function formatCollisions(collisions: readonly ObjectCollision[]): string {
  const n = collisions.length;
  const lines = collisions.map(
    (c) =>
      `  ${c.apiVersion} ${c.kind} ${c.namespace === undefined ? `${c.name} (cluster-scoped)` : `${c.namespace}/${c.name}`}: ${c.firstPath} and ${c.secondPath}`,
  );
  const workloads = collisions.some((c) => WORKLOAD_KINDS.includes(c.kind));
  return [
    `${n} object${n === 1 ? ' is' : 's are'} written twice (same API group, kind, namespace and name); applying both ` +
      'would leave only the one applied last, so nothing was written. Give the charts different namespaces ' +
      '(or the objects different names):',
    ...lines,
    ...(workloads
      ? [
          'The pods of colliding workloads are one pod group to the NetworkPolicy renderer: only the chart ' +
            'found first writes their per-workload NetworkPolicies, the other chart would get none.',
        ]
      : []),
  ].join('\n');
}

const CHECKED = new WeakSet<IConstruct>();

/**
 * Makes the synth of the app of `scope` fail with an `ObjectCollisionError` when two of its API
 * objects are one object in a cluster (see `findObjectCollisions`). Registers one construct
 * validation on the app, once however often it is called; cdk8s runs it before anything is
 * written in `app.synth()`, `synthesize(app)` and `Testing.synth()`. The NetworkPolicies are
 * rendered first, so they are checked too. `FloePlatform` and `FloeJobs` call it.
 */
export function checkObjectCollisions(scope: IConstruct): void {
  const root = scope.node.root;
  if (CHECKED.has(root)) return;
  CHECKED.add(root);
  root.node.addValidation({
    validate: () => {
      renderNetworkPolicies(root);
      const collisions = findObjectCollisions(root);
      if (collisions.length > 0) {
        throw new ObjectCollisionError(collisions);
      }
      return [];
    },
  });
}
