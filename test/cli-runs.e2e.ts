import { Testing } from 'cdk8s';
import { FloeJobs } from '../src/jobs/floe-jobs';
import { dbt, ingest } from '../src/jobs/steps';
import { KubeObject } from '../src/ops/readiness';
import { jobFromCronJob, renderRuns, runSteps, runSummary } from '../src/ops/runs';
import { FloePlatform } from '../src/platform/floe-platform';
import { floeInProcess, ROOT, runFloeAsync } from './support/cli';
import { StandInKubeApi } from './support/stand-in-kube-api';

jest.setTimeout(120_000);

const floe = runFloeAsync;

/** The CronJob of pipeline `daily` (dlt, then dbt run) as floe synthesizes it. */
function dailyCronJob(): KubeObject {
  const app = Testing.app();
  const platform = new FloePlatform(app, 'platform');
  const jobs = new FloeJobs(app, 'sales', { platform, namespace: 'floe-sales' });
  jobs.addPipeline('daily', {
    image: 'registry.example.com/sales:1.0.0',
    steps: [ingest.dlt({ source: 'shopify' }), dbt.run()],
  });
  const cronJob = (Testing.synth(jobs) as KubeObject[]).find((o) => o.kind === 'CronJob');
  if (!cronJob) throw new Error('no CronJob');
  return { ...cronJob, metadata: { ...cronJob.metadata, uid: 'cj-uid-1' } };
}

/** A run's pod as the kubelet reports it: steps with their exit codes (undefined: not started). */
function runPod(job: string, exits: (number | undefined)[], created = '2026-12-04T05:00:00Z'): KubeObject {
  const cronJob = dailyCronJob();
  const spec = (cronJob.spec as { jobTemplate: { spec: { template: { spec: Record<string, unknown> } } } })
    .jobTemplate.spec.template.spec;
  const names = [
    ...((spec.initContainers as { name: string }[]) ?? []),
    ...(spec.containers as { name: string }[]),
  ].map((c) => c.name);
  const statusOf = (name: string, i: number): Record<string, unknown> => ({
    name,
    restartCount: 0,
    state:
      exits[i] === undefined
        ? { waiting: { reason: 'PodInitializing' } }
        : { terminated: { exitCode: exits[i], reason: exits[i] === 0 ? 'Completed' : 'Error' } },
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${job}-x7k2p`,
      namespace: 'floe-sales',
      creationTimestamp: created,
      labels: { 'job-name': job, 'floe.dev/pipeline': 'daily' },
    },
    spec,
    status: {
      initContainerStatuses: names.slice(0, -1).map(statusOf),
      containerStatuses: [statusOf(names[names.length - 1], names.length - 1)],
    },
  };
}

describe('runs (pure)', () => {
  test('a run is the CronJob template, owned by it, marked manual (kubectl create job --from)', () => {
    const cronJob = dailyCronJob();
    const job = jobFromCronJob(cronJob, 1_764_824_400.123);
    expect(job.metadata.name).toBe(`daily-manual-${(1_764_824_400_123).toString(36)}`);
    expect(job.metadata.namespace).toBe('floe-sales');
    expect(job.metadata.annotations).toEqual({
      'floe.dev/trigger': 'manual',
      'cronjob.kubernetes.io/instantiate': 'manual',
    });
    expect(job.metadata.labels?.['floe.dev/pipeline']).toBe('daily');
    expect((job.metadata as unknown as { ownerReferences: unknown[] }).ownerReferences).toEqual([
      { apiVersion: 'batch/v1', kind: 'CronJob', name: 'daily', uid: 'cj-uid-1', controller: true },
    ]);
    expect(job.spec).toEqual((cronJob.spec as { jobTemplate: { spec: unknown } }).jobTemplate.spec);
    const long = { ...cronJob, metadata: { ...cronJob.metadata, name: 'p'.repeat(52) } };
    expect(jobFromCronJob(long, 1_764_824_400).metadata.name.length).toBeLessThanOrEqual(63);
  });

  test('steps in run order with their state and exit code; the run summary and lines', () => {
    expect(runSteps(runPod('r1', [0, 1]))).toEqual([
      { step: 'dlt-shopify', state: 'succeeded', exitCode: 0, reason: 'Completed' },
      { step: 'dbt-run', state: 'failed', exitCode: 1, reason: 'Error' },
    ]);
    const job: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'r1', labels: { 'floe.dev/pipeline': 'daily' } },
      status: {
        startTime: '2026-12-04T05:00:00Z',
        conditions: [
          {
            type: 'Failed',
            status: 'True',
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
          },
        ],
      },
    };
    expect(renderRuns([runSummary(job, [runPod('r1', [0, 1])])])).toEqual([
      'r1  daily  failed  scheduled  started 2026-12-04T05:00:00Z  (BackoffLimitExceeded: Job has reached the specified backoff limit)',
      '  ✓ dlt-shopify (exit 0)',
      '  ✗ dbt-run (exit 1, Error)',
    ]);
  });
});

describe('floe run | status | logs against a stand-in API server', () => {
  const api = new StandInKubeApi();
  let kubeconfig = '';
  beforeAll(async () => {
    kubeconfig = api.kubeconfig(await api.start());
    api.store.set('batch/v1/cronjobs/floe-sales/daily', dailyCronJob() as unknown as Record<string, unknown>);
  });
  afterAll(async () => api.stop());

  test('run starts a Job from the CronJob; --wait follows it step by step to the end', async () => {
    const started = await floe('run', 'daily', '--namespace', 'floe-sales', '--kubeconfig', kubeconfig);
    expect(started.stderr).toEqual([]);
    expect(started.status).toBe(0);
    const [, runId] = /^started run (\S+) of daily$/.exec(started.stdout[0]) ?? [];
    const job = api.store.get(`batch/v1/jobs/floe-sales/${runId}`) as {
      metadata: { ownerReferences: { name: string }[] };
    };
    expect(job.metadata.ownerReferences[0].name).toBe('daily');

    // The controllers finish the next run; its pod (created with the Job, as the Job controller
    // would) ran both steps.
    api.simulateControllers = true;
    api.onApply = (o) => {
      const name = (o.metadata as { name: string }).name;
      if (o.kind === 'Job')
        api.store.set(
          `v1/pods/floe-sales/${name}-x7k2p`,
          runPod(name, [0, 0]) as unknown as Record<string, unknown>,
        );
    };
    const followed = await floe(
      'run',
      'daily',
      '--namespace',
      'floe-sales',
      '--wait',
      '--kubeconfig',
      kubeconfig,
    );
    api.onApply = undefined;
    expect(followed.status).toBe(0);
    expect(followed.stdout.slice(1)).toEqual([
      '✓ dlt-shopify (exit 0)',
      '✓ dbt-run (exit 0)',
      expect.stringMatching(/^run daily-manual-\S+ succeeded$/),
    ]);
  });

  test('status lists the runs with their steps; logs prints each step in order', async () => {
    api.store.set(
      'v1/pods/floe-sales/old-run-x7k2p',
      runPod('old-run', [0, 1]) as unknown as Record<string, unknown>,
    );
    api.store.set('batch/v1/jobs/floe-sales/old-run', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'old-run', namespace: 'floe-sales', labels: { 'floe.dev/pipeline': 'daily' } },
      spec: {},
    });
    api.simulateControllers = false;
    const status = await floe(
      'status',
      'daily',
      '--namespace',
      'floe-sales',
      '--run-id',
      'old-run',
      '--kubeconfig',
      kubeconfig,
    );
    expect(status.stdout).toEqual([
      'old-run  daily  running  scheduled',
      '  ✓ dlt-shopify (exit 0)',
      '  ✗ dbt-run (exit 1, Error)',
    ]);
    api.podLogs.set('floe-sales/old-run-x7k2p/dlt-shopify', 'loaded 42 rows\n');
    api.podLogs.set('floe-sales/old-run-x7k2p/dbt-run', 'Database Error in model orders\n');
    const logs = await floe(
      'logs',
      '--run-id',
      'old-run',
      '--namespace',
      'floe-sales',
      '--kubeconfig',
      kubeconfig,
    );
    expect(logs.stderr).toEqual([]);
    expect(logs.stdout).toEqual([
      '== dlt-shopify ==',
      'loaded 42 rows',
      '== dbt-run ==',
      'Database Error in model orders',
    ]);
  });

  test("as the docs write them: `floe run` takes the only pipeline; the namespace is the context's", async () => {
    const only = await floe('run', '--namespace', 'floe-sales', '--kubeconfig', kubeconfig);
    expect(only.stderr).toEqual([]);
    expect(only.stdout[0]).toMatch(/^started run daily-\S+ of daily$/);
    // The stand-in context names namespace floe-platform: no pipelines there.
    const none = await floe('run', '--kubeconfig', kubeconfig);
    expect(none.status).toBe(2);
    expect(none.stderr).toEqual(['floe run: give the PIPELINE to run (namespace floe-platform has none)']);
    const status = await floe('status', '--kubeconfig', kubeconfig);
    expect(status.stdout).toEqual(['no runs in namespace floe-platform']);
    // A context that names no namespace: say so, exit 2.
    const bare = await floe('status', '--kubeconfig', kubeconfig, '--context', 'nowhere');
    expect(bare.status).toBe(2);
    expect(bare.stderr).toEqual([
      "floe status: --namespace N is required (where status finds the pipelines; context 'nowhere' names no namespace)",
    ]);
  });

  test('an unknown pipeline names the ones there are', async () => {
    const r = await floe('run', 'weekly', '--namespace', 'floe-sales', '--kubeconfig', kubeconfig);
    expect(r.status).toBe(1);
    expect(r.stderr).toEqual(["floe run: no pipeline 'weekly' in namespace floe-sales (there are: daily)"]);
  });

  test.each([
    [['run', 'daily', 'weekly', '--namespace', 'x'], 'floe run: give at most one PIPELINE'],
    [['logs', '--namespace', 'x'], 'floe logs: --run-id R is required'],
    [['status', '--namespace', 'x', '--wait'], "floe status: unknown option '--wait'"],
  ])('floe %j: exit 2', async (args, message) => {
    const r = await floeInProcess(ROOT, ...args);
    expect(r.status).toBe(2);
    expect(r.stderr[0]).toBe(message);
  });
});
