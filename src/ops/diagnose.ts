import { KubeObject } from './readiness';
import { list, num, obj, str } from './json';

/**
 * Why a pod is not running as it should, as the kubelet and scheduler report it in the pod's
 * status (kubernetes/kubernetes v1.28, pkg/apis/core/types.go: `ContainerStateWaiting.Reason`,
 * `PodCondition` `PodScheduled`/`Unschedulable`; pkg/kubelet/images/types.go for the image pull
 * reasons, pkg/kubelet/kuberuntime for `CrashLoopBackOff` and `CreateContainerConfigError`).
 */
export interface PodProblem {
  /** The pod. */
  readonly pod: string;
  /** The container, when the problem is one container's (init containers included). */
  readonly container?: string;
  /** The reason, e.g. `CrashLoopBackOff`, `ImagePullBackOff`, `OOMKilled`, `Unschedulable`. */
  readonly reason: string;
  /** The kubelet's or scheduler's message, when there is one. */
  readonly message?: string;
  /** Restarts of that container. */
  readonly restarts?: number;
  /** Exit code of the last terminated run of that container. */
  readonly exitCode?: number;
}

/** Waiting reasons that do not go away by waiting: a pod with one of them needs a fix. */
export const STUCK_WAITING_REASONS: readonly string[] = [
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
];

/**
 * The problems of one pod, most telling first: a pod the scheduler cannot place, then each
 * container (init containers first) that waits for a reason in `STUCK_WAITING_REASONS`, or whose
 * last run ended with an error (e.g. `OOMKilled`, `Error` with its exit code). A pod that is
 * running fine, or just starting, has none.
 */
export function podProblems(pod: KubeObject): PodProblem[] {
  const status = obj(pod.status);
  const name = pod.metadata.name;
  const problems: PodProblem[] = [];
  const scheduled = list(status.conditions).find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False') {
    problems.push({
      pod: name,
      reason: str(scheduled.reason) ?? 'Unschedulable',
      ...(str(scheduled.message) ? { message: str(scheduled.message) } : {}),
    });
  }
  if (str(status.phase) === 'Failed' && str(status.reason)) {
    // Evicted, DeadlineExceeded, ...: the whole pod.
    problems.push({
      pod: name,
      reason: str(status.reason) ?? 'Failed',
      ...(str(status.message) ? { message: str(status.message) } : {}),
    });
  }
  for (const c of [...list(status.initContainerStatuses), ...list(status.containerStatuses)]) {
    const container = str(c.name);
    const restarts = num(c.restartCount);
    const waiting = obj(obj(c.state).waiting);
    const terminated = obj(obj(c.state).terminated);
    const last = obj(obj(c.lastState).terminated);
    const waitingReason = str(waiting.reason);
    if (waitingReason !== undefined && STUCK_WAITING_REASONS.includes(waitingReason)) {
      const ended = Object.keys(last).length > 0 ? last : undefined;
      problems.push({
        pod: name,
        ...(container ? { container } : {}),
        reason: waitingReason,
        ...(str(waiting.message) ? { message: str(waiting.message) } : {}),
        ...(restarts !== undefined ? { restarts } : {}),
        // Why the last run ended says more than the back-off itself.
        ...(ended && num(ended.exitCode) !== undefined ? { exitCode: num(ended.exitCode) } : {}),
        ...(ended && str(ended.reason) && waitingReason === 'CrashLoopBackOff'
          ? {
              message: `last run: ${str(ended.reason)}${str(ended.message) ? ` (${str(ended.message)})` : ''}`,
            }
          : {}),
      });
      continue;
    }
    const exitCode = num(terminated.exitCode);
    if (exitCode !== undefined && exitCode !== 0) {
      problems.push({
        pod: name,
        ...(container ? { container } : {}),
        reason: str(terminated.reason) ?? 'Error',
        ...(str(terminated.message) ? { message: str(terminated.message) } : {}),
        ...(restarts !== undefined ? { restarts } : {}),
        exitCode,
      });
    }
  }
  return problems;
}

/** One line per problem: `pod/container: Reason (exit 1, 5 restarts): message`. */
export function formatPodProblem(p: PodProblem): string {
  const details = [
    ...(p.exitCode !== undefined ? [`exit ${p.exitCode}`] : []),
    ...(p.restarts !== undefined && p.restarts > 0
      ? [`${p.restarts} restart${p.restarts > 1 ? 's' : ''}`]
      : []),
  ];
  return (
    `${p.pod}${p.container ? `/${p.container}` : ''}: ${p.reason}` +
    (details.length > 0 ? ` (${details.join(', ')})` : '') +
    (p.message ? `: ${p.message}` : '')
  );
}
