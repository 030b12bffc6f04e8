import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { WorkloadIdentity } from './labels';
import { objectMeta } from './service';

/** One workload's ServiceAccount, as `workloadServiceAccount` creates it. */
export interface WorkloadServiceAccountOptions {
  /** Name of the account: the workload's name. */
  readonly name: string;
  /** Labels of the account: the workload's. */
  readonly identity: WorkloadIdentity;
  /** The component's `serviceAccounts` switch: off creates nothing. */
  readonly enabled: boolean;
  /**
   * Namespace of the account, when it is not the chart's.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
}

/** A workload's ServiceAccount and what its pod template sets. */
export interface WorkloadServiceAccount {
  /** The account, unless the switch is off. */
  readonly serviceAccount?: k8s.KubeServiceAccount;
  /**
   * For `buildPodTemplate`: the account's name (none when the switch is off: the namespace's
   * `default` account) and no API token.
   */
  readonly pod: { readonly serviceAccountName?: string; readonly automountServiceAccountToken: false };
}

/**
 * A ServiceAccount for a workload that does not call the Kubernetes API: named after the
 * workload, and `automountServiceAccountToken: false` on the account and on the pod, so no API
 * credential is ever mounted. Its own account gives the workload an identity of its own (for RBAC
 * and cloud workload identity, e.g. IRSA or GKE Workload Identity) that no other workload shares.
 */
export function workloadServiceAccount(
  scope: Construct,
  id: string,
  opts: WorkloadServiceAccountOptions,
): WorkloadServiceAccount {
  if (!opts.enabled) {
    return { pod: { automountServiceAccountToken: false } };
  }
  const serviceAccount = new k8s.KubeServiceAccount(scope, id, {
    metadata: {
      ...objectMeta(opts.name, opts.identity),
      ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
    },
    automountServiceAccountToken: false,
  });
  return { serviceAccount, pod: { serviceAccountName: opts.name, automountServiceAccountToken: false } };
}
