import { KubeObject, readinessOf } from './readiness';
import { list, obj, str } from './json';

/** The label floe puts on a pipeline's CronJob, its Jobs and their pods (`PIPELINE_LABEL`). */
export const RUN_PIPELINE_LABEL = 'floe.dev/pipeline';

/**
 * The Job `kubectl create job --from=cronjob/NAME` creates (kubernetes/kubectl v0.28,
 * pkg/cmd/create/create_job.go, `createJobFromCronJob`): the CronJob's job template, its labels
 * and annotations plus `cronjob.kubernetes.io/instantiate: manual`, owned by the CronJob (so it
 * is deleted with it). Unlike kubectl, whose owner reference is a plain one, floe's marks the
 * CronJob as the controller: the CronJob controller reconciles only Jobs whose controller it is
 * (kubernetes v1.28 pkg/controller/cronjob/cronjob_controllerv2.go, getJobsToBeReconciled), so
 * a manual run counts in its `status.active`, its history limits clean it up, and
 * `concurrencyPolicy: Forbid` holds the next scheduled run while it runs. The name is
 * `<cronjob>-manual-<milliseconds in base 36>` (two runs started in one second get two names),
 * cut to fit 63 characters.
 */
export function jobFromCronJob(cronJob: KubeObject, nowSeconds: number): KubeObject {
  const template = obj(obj(cronJob.spec).jobTemplate);
  const meta = obj(template.metadata);
  const suffix = `-manual-${Math.round(nowSeconds * 1000).toString(36)}`;
  const name = `${cronJob.metadata.name.slice(0, 63 - suffix.length)}${suffix}`;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      ...(cronJob.metadata.namespace ? { namespace: cronJob.metadata.namespace } : {}),
      labels: { ...(obj(meta.labels) as Record<string, string>) },
      annotations: {
        ...(obj(meta.annotations) as Record<string, string>),
        'cronjob.kubernetes.io/instantiate': 'manual',
      },
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          name: cronJob.metadata.name,
          uid: cronJob.metadata.uid ?? '',
          controller: true,
        },
      ],
    } as KubeObject['metadata'],
    spec: template.spec,
  };
}

/** One step (container) of a run. */
export interface StepState {
  /** The step (container) name. */
  readonly step: string;
  /** Where it is. */
  readonly state: 'waiting' | 'running' | 'succeeded' | 'failed';
  /** Exit code, once it ended. */
  readonly exitCode?: number;
  /** The kubelet's reason (e.g. `Completed`, `Error`, `OOMKilled`, `PodInitializing`). */
  readonly reason?: string;
}

/**
 * The steps of a run's pod in run order (floe runs every step but the last as an init container,
 * the last as the main container), from the container statuses the kubelet reports.
 */
export function runSteps(pod: KubeObject): StepState[] {
  const spec = obj(pod.spec);
  const status = obj(pod.status);
  const statuses = new Map(
    [...list(status.initContainerStatuses), ...list(status.containerStatuses)].map((c) => [str(c.name), c]),
  );
  return [...list(spec.initContainers), ...list(spec.containers)].map((c): StepState => {
    const step = str(c.name) ?? '?';
    const s = statuses.get(step);
    const state = obj(s?.state);
    const terminated = obj(state.terminated);
    if (Object.keys(terminated).length > 0) {
      const exitCode = typeof terminated.exitCode === 'number' ? terminated.exitCode : undefined;
      return {
        step,
        state: exitCode === 0 ? 'succeeded' : 'failed',
        ...(exitCode !== undefined ? { exitCode } : {}),
        ...(str(terminated.reason) ? { reason: str(terminated.reason) } : {}),
      };
    }
    if (Object.keys(obj(state.running)).length > 0) return { step, state: 'running' };
    const waiting = str(obj(state.waiting).reason);
    return { step, state: 'waiting', ...(waiting ? { reason: waiting } : {}) };
  });
}

/** One run of a pipeline. */
export interface RunSummary {
  /** The Job name: the run id. */
  readonly runId: string;
  /** The pipeline (CronJob). */
  readonly pipeline: string;
  /** `succeeded`, `failed` or `running`. */
  readonly state: 'succeeded' | 'failed' | 'running';
  /** When it started (RFC 3339), if it has. */
  readonly started?: string;
  /** How it was started: `manual` (floe run) or `scheduled`. */
  readonly trigger: 'manual' | 'scheduled';
  /** Its steps (from its latest pod). */
  readonly steps: readonly StepState[];
  /** Why it failed, when it did. */
  readonly message?: string;
}

/** The summary of a run (a Job) from the Job and its pods. */
export function runSummary(job: KubeObject, pods: readonly KubeObject[]): RunSummary {
  const r = readinessOf(job);
  const own = pods
    .filter((p) => p.metadata.labels?.['job-name'] === job.metadata.name)
    .sort((a, b) =>
      String(a.metadata.creationTimestamp ?? '').localeCompare(String(b.metadata.creationTimestamp ?? '')),
    );
  const latest = own.at(-1);
  return {
    runId: job.metadata.name,
    pipeline: job.metadata.labels?.[RUN_PIPELINE_LABEL] ?? '?',
    state: r.state === 'ready' ? 'succeeded' : r.state === 'failed' ? 'failed' : 'running',
    ...(str(obj(job.status).startTime) ? { started: str(obj(job.status).startTime) } : {}),
    trigger:
      job.metadata.annotations?.['cronjob.kubernetes.io/instantiate'] === 'manual' ? 'manual' : 'scheduled',
    steps: latest ? runSteps(latest) : [],
    ...(r.state === 'failed' ? { message: r.message } : {}),
  };
}

const MARK: Readonly<Record<StepState['state'], string>> = {
  succeeded: '✓',
  failed: '✗',
  running: '…',
  waiting: '·',
};

/** A step as one line: `✓ dbt-run (exit 0)`, `✗ dbt-test (exit 1, Error)`, `· quality-check`. */
export function stepLine(s: StepState): string {
  const details = [
    ...(s.exitCode !== undefined ? [`exit ${s.exitCode}`] : []),
    ...(s.reason !== undefined && s.reason !== 'Completed' ? [s.reason] : []),
  ];
  return `${MARK[s.state]} ${s.step}${s.state === 'running' ? ' running' : ''}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
}

/** Runs as lines: one per run, then its steps indented. Newest first. */
export function renderRuns(runs: readonly RunSummary[]): string[] {
  return [...runs]
    .sort((a, b) => String(b.started ?? '').localeCompare(String(a.started ?? '')))
    .flatMap((r) => [
      `${r.runId}  ${r.pipeline}  ${r.state}  ${r.trigger}${r.started ? `  started ${r.started}` : ''}${r.message ? `  (${r.message})` : ''}`,
      ...r.steps.map((s) => `  ${stepLine(s)}`),
    ]);
}
