/**
 * `floe run | status | logs`: a data team's pipelines on the cluster, through the Kubernetes API.
 */
import { connect, KubeApi, KubeError, logText } from '../ops/kube';
import { KubeObject } from '../ops/readiness';
import { jobFromCronJob, renderRuns, RUN_PIPELINE_LABEL, runSteps, runSummary, stepLine } from '../ops/runs';
import { CollectionWatch, objectKey } from '../ops/watch';
import { CliCommand, CliIo, EXIT, optionValue, reportOneLine, splitOption, UsageError } from './command';
import { parseDuration } from './platform';

const COMMON = `  -n, --namespace N   namespace of the pipelines (default: the kubeconfig context's)
  --kubeconfig FILE   kubeconfig (default: KUBECONFIG, ~/.kube/config, or in-cluster)
  --context NAME      kubeconfig context (default: its current context)`;

interface Args {
  readonly operands: string[];
  readonly namespace?: string;
  readonly runId?: string;
  readonly wait: boolean;
  readonly timeoutSeconds: number;
  readonly kubeconfig?: string;
  readonly context?: string;
}

function parse(args: readonly string[], allowed: readonly string[]): Args {
  const a: {
    operands: string[];
    namespace?: string;
    runId?: string;
    wait: boolean;
    timeoutSeconds: number;
    kubeconfig?: string;
    context?: string;
  } = { operands: [], wait: false, timeoutSeconds: 3600 };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [name, inline] = splitOption(arg);
    if (name.startsWith('-') && !allowed.includes(name)) {
      throw new UsageError(`unknown option '${arg}'`);
    }
    const value = (): string => optionValue(name, inline, () => args[++i]);
    switch (name) {
      case '--namespace':
      case '-n':
        a.namespace = value();
        break;
      case '--run-id':
        a.runId = value();
        break;
      case '--wait':
        a.wait = true;
        break;
      case '--timeout':
        a.timeoutSeconds = parseDuration('--timeout', value());
        break;
      case '--kubeconfig':
        a.kubeconfig = value();
        break;
      case '--context':
        a.context = value();
        break;
      default:
        a.operands.push(arg);
    }
  }
  return a;
}

async function guarded(
  command: string,
  io: CliIo,
  a: Args,
  body: (api: KubeApi, namespace: string) => Promise<number>,
): Promise<number> {
  try {
    const api = connect({ kubeconfig: a.kubeconfig, context: a.context });
    // As kubectl: without --namespace, the namespace the kubeconfig context names.
    const namespace = a.namespace ?? api.namespace;
    if (namespace === undefined) {
      io.err(
        `floe ${command}: --namespace N is required (where ${command} finds the pipelines; ` +
          `context '${api.context}' names no namespace)`,
      );
      return EXIT.usage;
    }
    return await body(api, namespace);
  } catch (e) {
    if (e instanceof KubeError) return reportOneLine(io, command, e);
    throw e;
  }
}

// Unref'd: the wait for the timeout must not keep the process alive once the run has ended.
const sleep = (s: number): Promise<void> => new Promise((r) => setTimeout(r, s * 1000).unref());

/** `floe run PIPELINE`. */
export const runCommand: CliCommand = {
  name: 'run',
  summary: 'start a run of a pipeline now (as kubectl create job --from=cronjob does)',
  help: `Usage: floe run [PIPELINE] [--namespace N] [--wait] [--timeout D]

Starts a run of PIPELINE (its CronJob; without one, the namespace's only pipeline) now: a Job from the CronJob's template, owned by it,
annotated cronjob.kubernetes.io/instantiate=manual. Prints the run id (the Job's name). With
--wait, follows it to the end, printing each step as it finishes, and exits 0 when every step
succeeded, 1 otherwise.

Options:
${COMMON}
  --wait              follow the run to its end
  --timeout D         with --wait, how long to follow (default 1h)`,
  async run(args, io) {
    const a = parse(args, ['--namespace', '-n', '--wait', '--timeout', '--kubeconfig', '--context']);
    if (a.operands.length > 1) throw new UsageError('give at most one PIPELINE');
    return guarded('run', io, a, async (api, namespace) => {
      const known = async (): Promise<string[]> =>
        (await api.list('batch/v1', 'CronJob', namespace)).map((c) => c.metadata.name).sort();
      let pipeline = a.operands[0];
      if (pipeline === undefined) {
        // `floe run` as the docs write it: the namespace's pipeline, when it has exactly one.
        const all = await known();
        if (all.length !== 1) {
          io.err(
            `floe run: give the PIPELINE to run (namespace ${namespace} has ${
              all.length === 0 ? 'none' : all.join(', ')
            })`,
          );
          return EXIT.usage;
        }
        pipeline = all[0];
      }
      const cronJob = await api.get({ apiVersion: 'batch/v1', kind: 'CronJob', namespace, name: pipeline });
      if (cronJob === undefined) {
        io.err(
          `floe run: no pipeline '${pipeline}' in namespace ${namespace} (there are: ${(await known()).join(', ') || 'none'})`,
        );
        return EXIT.problems;
      }
      const job = jobFromCronJob(cronJob, Date.now() / 1000);
      await api.apply(job);
      io.out(`started run ${job.metadata.name} of ${pipeline}`);
      if (!a.wait) return EXIT.ok;
      const reported = new Set<string>();
      const start = Date.now();
      // The run and its pods, kept current by watches (LIST + WATCH, reconnecting as needed).
      const notice = (l: string): void => io.err(`floe run: ${l}`);
      const jobWatch = new CollectionWatch(
        api,
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          namespace,
          fieldSelector: `metadata.name=${job.metadata.name}`,
        },
        { notice },
      ).start();
      const podWatch = new CollectionWatch(
        api,
        { apiVersion: 'v1', kind: 'Pod', namespace, labelSelector: `job-name=${job.metadata.name}` },
        { notice },
      ).start();
      try {
        for (;;) {
          const changed = Promise.race([jobWatch.changed(), podWatch.changed()]);
          const failure = jobWatch.failure ?? podWatch.failure;
          if (failure) throw failure;
          const live = jobWatch.objects.get(objectKey(job));
          if (live !== undefined && podWatch.synced) {
            const run = runSummary(live, [...podWatch.objects.values()]);
            for (const s of run.steps) {
              if ((s.state === 'succeeded' || s.state === 'failed') && !reported.has(s.step)) {
                reported.add(s.step);
                io.out(stepLine(s));
              }
            }
            io.status?.({
              key: run.runId,
              text: `run ${run.runId}: ${run.steps.map((s) => `${s.step} ${s.state}`).join(', ') || 'starting'}`,
            });
            if (run.state !== 'running') {
              io.status?.(undefined);
              io.out(`run ${run.runId} ${run.state}${run.message ? `: ${run.message}` : ''}`);
              return run.state === 'succeeded' ? EXIT.ok : EXIT.problems;
            }
          }
          const left = a.timeoutSeconds - (Date.now() - start) / 1000;
          if (left <= 0) {
            io.err(
              `floe run: run ${job.metadata.name} still running after ${a.timeoutSeconds}s (it goes on; see floe status)`,
            );
            return EXIT.problems;
          }
          await Promise.race([changed, sleep(left)]);
        }
      } finally {
        io.status?.(undefined);
        jobWatch.stop();
        podWatch.stop();
      }
    });
  },
};

/** `floe status [PIPELINE]`. */
export const statusCommand: CliCommand = {
  name: 'status',
  summary: "list a pipeline's recent runs and their steps",
  help: `Usage: floe status [PIPELINE] [--namespace N] [--run-id R]

Lists the recent runs (Jobs) of PIPELINE, or of every pipeline, newest first: run id, pipeline,
succeeded/failed/running, how it was started, and each step with its state and exit code.
Exit status 0 unless a listed run failed.

Options:
${COMMON}
  --run-id R          only that run`,
  async run(args, io) {
    const a = parse(args, ['--namespace', '-n', '--run-id', '--kubeconfig', '--context']);
    if (a.operands.length > 1) throw new UsageError('give at most one PIPELINE');
    return guarded('status', io, a, async (api, namespace) => {
      const selector = a.operands[0] ? `${RUN_PIPELINE_LABEL}=${a.operands[0]}` : RUN_PIPELINE_LABEL;
      let jobs = await api.list('batch/v1', 'Job', namespace, a.operands[0] ? selector : undefined);
      jobs = jobs.filter((j) => j.metadata.labels?.[RUN_PIPELINE_LABEL] !== undefined);
      if (a.runId !== undefined) jobs = jobs.filter((j) => j.metadata.name === a.runId);
      if (jobs.length === 0) {
        io.out(
          a.runId !== undefined
            ? `no run '${a.runId}' in namespace ${namespace}`
            : `no runs in namespace ${namespace}`,
        );
        return a.runId !== undefined ? EXIT.problems : EXIT.ok;
      }
      const pods = await api.list('v1', 'Pod', namespace);
      const runs = jobs.map((j) => runSummary(j, pods));
      renderRuns(runs).forEach((l) => io.out(l));
      return runs.some((r) => r.state === 'failed') ? EXIT.problems : EXIT.ok;
    });
  },
};

/** `floe logs --run-id R`. */
export const logsCommand: CliCommand = {
  name: 'logs',
  summary: "print every step's log of a pipeline run, in step order",
  help: `Usage: floe logs --run-id R [--namespace N]

Prints the log of every step of run R (a Job), in the order the steps ran, each under a
'== step ==' heading, from the run's latest pod.

Options:
${COMMON}
  --run-id R          the run (required)`,
  async run(args, io) {
    const a = parse(args, ['--namespace', '-n', '--run-id', '--kubeconfig', '--context']);
    if (a.operands.length > 0) throw new UsageError(`unexpected argument '${a.operands[0]}'`);
    if (a.runId === undefined) throw new UsageError('--run-id R is required');
    const runId = a.runId;
    return guarded('logs', io, a, async (api, namespace) => {
      const pods = (await api.list('v1', 'Pod', namespace, `job-name=${runId}`)).sort((x, y) =>
        String(x.metadata.creationTimestamp ?? '').localeCompare(String(y.metadata.creationTimestamp ?? '')),
      );
      const pod: KubeObject | undefined = pods.at(-1);
      if (pod === undefined) {
        io.err(
          `floe logs: no pod of run '${runId}' in namespace ${namespace} (finished runs are deleted after their TTL)`,
        );
        return EXIT.problems;
      }
      for (const s of runSteps(pod)) {
        io.out(`== ${s.step} ==`);
        if (s.state === 'waiting') {
          io.out(`(not started${s.reason ? `: ${s.reason}` : ''})`);
          continue;
        }
        const text = await logText(api, namespace, pod.metadata.name, { container: s.step });
        text
          .split('\n')
          .filter((l, i, all) => l !== '' || i < all.length - 1)
          .forEach((l) => io.out(l));
      }
      return EXIT.ok;
    });
  },
};
