/**
 * `floe platform deploy | status`: the platform on a cluster, from the same charts `floe synth`
 * builds, through the Kubernetes API only (src/ops).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Writable } from 'stream';
import { FloeJobs } from '../jobs/floe-jobs';
import { buildFromManifests, BuiltChart } from '../manifest/build';
import { formatProblems } from '../manifest/errors';
import { deploy } from '../ops/deploy';
import { diffPlan, ObjectDiff, renderDiff } from '../ops/diff';
import { BudgetConflict, budgetConflicts } from '../ops/disruption';
import { connect, KubeApi, KubeError, logText } from '../ops/kube';
import { COMPONENTS, deployPlan, PlanTier, TierName } from '../ops/plan';
import { KubeObject } from '../ops/readiness';
import { mergeLogs, platformStatus, podsOf, renderStatus, tierOf } from '../ops/status';
import { FloePlatform } from '../platform/floe-platform';
import { CliCommand, CliIo, EXIT, optionValue, reportOneLine, splitOption, UsageError } from './command';

const HELP = `Usage: floe platform <command> [options]

Commands:
  deploy   apply the platform (and its products) tier by tier, waiting for each
  status   show every workload of the platform and whether it is healthy
  logs     print the logs of every pod of a slot or workload
  diff     show what a deploy would change, and the changes Kubernetes refuses
  upgrade  move the platform to a new version: diff, then deploy tier by tier

floe platform deploy [--manifest FILE] [--domain FILE ...] [--product FILE ...]
                     [--component C] [--timeout D] [--dry-run] [--force-conflicts]
  Checks the Secrets, ConfigMaps and CRDs the charts need (and prints the commands that create
  the missing ones), then applies in the documented startup order: namespace, storage and
  databases, catalog, observability, orchestrator, semantic layer, then the products, each tier
  only once the one before is ready (server-side apply, field manager floe). On a failing pod or
  a timeout it names the pod, its state and reason and its last log lines, and exits 1.
  --component C       only that slot: storage, catalog, observability, orchestrator or semantic
                      (what it depends on must already be ready)
  --timeout D         how long to wait for each tier, e.g. 300s, 10m (default 10m)
  --dry-run           server-side dry run of every object: validated, nothing changes
  --force-conflicts   take over fields another field manager owns (default: report them)
  --prune=false       keep objects an earlier deploy created that the platform no longer has
                      (default: after a complete deploy they are deleted; never claims, Secrets
                      or anything floe did not apply)

floe platform status [--manifest FILE | --namespace N] [--output json]
  Per slot, each workload with ready/desired, restarts and what is wrong with its pods; Jobs'
  completion. Exit status 0 only when everything is healthy.

floe platform logs COMPONENT [--manifest FILE | --namespace N] [--follow] [--since D]
                  [--tail N] [--container C]
  COMPONENT is a slot (storage, catalog, observability, orchestrator, semantic) or a workload
  (e.g. polaris, dagster-webserver). Every line is prefixed with [pod/container]; without
  --follow the containers' lines are merged in time order.

floe platform diff [--manifest FILE] [--domain FILE ...] [--product FILE ...]
  Per object what a deploy would do: + create, ~ update (the changed fields, from a server-side
  dry run against the live object), ! refused (an immutable field: StatefulSet volume claim
  templates, selectors, Job templates, a Service's clusterIP), with the remedy. Exit status 0
  when nothing would change, 1 otherwise.

floe platform upgrade [--manifest FILE] --version V [--recreate] [deploy options]
  V must be the manifest's metadata.version (the manifest is what gets deployed). Shows the diff;
  changes Kubernetes refuses (immutable fields) stop the upgrade before anything is applied,
  unless --recreate deletes those objects first (a StatefulSet with --cascade=orphan: its pods
  and claims stay and are adopted again). A roll-out or recreation that would take more pods
  down at once than a PodDisruptionBudget allows (now, by its live status) stops it too, unless
  --disregard-budgets. Then deploys tier by tier, waiting for each roll-out,
  and stops at the first tier that does not become ready.

Options of every command:
  --manifest FILE     the platform manifest (default: platform-manifest.yaml in the current
                      directory, when it exists)
  --kubeconfig FILE   kubeconfig (default: KUBECONFIG, ~/.kube/config, or in-cluster)
  --context NAME      kubeconfig context (default: its current context)

Exit status: 0 done and healthy, 1 not (or the cluster refused), 2 wrong usage.`;

/** The manifest the commands read when none is named: the file name floe's docs use. */
const DEFAULT_MANIFEST = 'platform-manifest.yaml';

interface Args {
  readonly sub: string;
  readonly manifest?: string;
  readonly domains: string[];
  readonly products: string[];
  readonly component?: TierName;
  readonly timeoutSeconds: number;
  readonly dryRun: boolean;
  readonly forceConflicts: boolean;
  readonly namespace?: string;
  readonly output: 'text' | 'json';
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly target?: string;
  readonly follow: boolean;
  readonly prune: boolean;
  readonly version?: string;
  readonly recreate: boolean;
  readonly disregardBudgets: boolean;
  readonly sinceSeconds?: number;
  readonly tail?: number;
  readonly container?: string;
}

/** `300`, `300s`, `10m`, `1h` → seconds. */
export function parseDuration(flag: string, text: string): number {
  const m = /^(\d+)(s|m|h)?$/.exec(text);
  if (!m || Number(m[1]) === 0) {
    throw new UsageError(`${flag}: got '${text}', expected a duration such as 300s, 10m or 1h`);
  }
  return Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1);
}

function parseArgs(args: readonly string[]): Args {
  const [sub, ...rest] = args;
  if (sub === undefined) throw new UsageError('no command given (deploy or status)');
  if (!['deploy', 'diff', 'upgrade', 'status', 'logs'].includes(sub)) {
    throw new UsageError(`unknown command '${sub}' (expected deploy, diff, upgrade, status or logs)`);
  }
  const a: {
    manifest?: string;
    domains: string[];
    products: string[];
    component?: TierName;
    timeoutSeconds: number;
    dryRun: boolean;
    forceConflicts: boolean;
    namespace?: string;
    output: 'text' | 'json';
    kubeconfig?: string;
    context?: string;
    target?: string;
    follow: boolean;
    prune: boolean;
    version?: string;
    recreate: boolean;
    disregardBudgets: boolean;
    sinceSeconds?: number;
    tail?: number;
    container?: string;
  } = {
    domains: [],
    products: [],
    timeoutSeconds: 600,
    dryRun: false,
    forceConflicts: false,
    output: 'text',
    follow: false,
    prune: true,
    recreate: false,
    disregardBudgets: false,
  };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const [name, inline] = splitOption(arg);
    const value = (): string => optionValue(name, inline, () => rest[++i]);
    const deployOnly = (): void => {
      if (sub !== 'deploy' && sub !== 'upgrade') {
        throw new UsageError(`${name} is an option of deploy and upgrade, not ${sub}`);
      }
    };
    const upgradeOnly = (): void => {
      if (sub !== 'upgrade') throw new UsageError(`${name} is an option of upgrade, not ${sub}`);
    };
    const logsOnly = (): void => {
      if (sub !== 'logs') throw new UsageError(`${name} is an option of logs, not ${sub}`);
    };
    switch (name) {
      case '--manifest':
        if (a.manifest !== undefined) throw new UsageError('--manifest given twice');
        a.manifest = value();
        break;
      case '--domain':
        a.domains.push(value());
        break;
      case '--product':
        a.products.push(value());
        break;
      case '--component': {
        deployOnly();
        const c = value();
        if (!(COMPONENTS as readonly string[]).includes(c)) {
          throw new UsageError(`--component: got '${c}', expected one of ${COMPONENTS.join(', ')}`);
        }
        a.component = c as TierName;
        break;
      }
      case '--timeout':
        deployOnly();
        a.timeoutSeconds = parseDuration('--timeout', value());
        break;
      case '--dry-run':
        deployOnly();
        a.dryRun = true;
        break;
      case '--prune': {
        deployOnly();
        const v = inline ?? 'true';
        if (v !== 'true' && v !== 'false')
          throw new UsageError(`--prune: got '${v}', expected --prune=true or --prune=false`);
        a.prune = v === 'true';
        break;
      }
      case '--version':
        upgradeOnly();
        a.version = value();
        break;
      case '--recreate':
        upgradeOnly();
        a.recreate = true;
        break;
      case '--disregard-budgets':
        upgradeOnly();
        a.disregardBudgets = true;
        break;
      case '--force-conflicts':
        deployOnly();
        a.forceConflicts = true;
        break;
      case '--namespace':
        if (sub === 'deploy' || sub === 'diff' || sub === 'upgrade') {
          throw new UsageError(`--namespace is an option of status and logs (${sub} takes --manifest)`);
        }
        a.namespace = value();
        break;
      case '--output': {
        const o = value();
        if (o !== 'json' && o !== 'text') throw new UsageError(`--output: got '${o}', expected json or text`);
        a.output = o;
        break;
      }
      case '--kubeconfig':
        a.kubeconfig = value();
        break;
      case '--context':
        a.context = value();
        break;
      case '--follow':
      case '-f':
        logsOnly();
        a.follow = true;
        break;
      case '--since':
        logsOnly();
        a.sinceSeconds = parseDuration('--since', value());
        break;
      case '--tail': {
        logsOnly();
        const t = value();
        if (!/^\d+$/.test(t)) throw new UsageError(`--tail: got '${t}', expected a number of lines`);
        a.tail = Number(t);
        break;
      }
      case '--container':
        logsOnly();
        a.container = value();
        break;
      default:
        if (sub === 'logs' && !arg.startsWith('-') && a.target === undefined) {
          a.target = arg;
          break;
        }
        throw new UsageError(
          arg.startsWith('-') ? `unknown option '${arg}'` : `unexpected argument '${arg}'`,
        );
    }
  }
  if (sub === 'logs' && a.target === undefined) {
    throw new UsageError('no COMPONENT given (a slot or a workload)');
  }
  const fromManifest = sub === 'deploy' || sub === 'diff' || sub === 'upgrade';
  // As floe's docs run them (`floe platform deploy`, `floe platform status`): without
  // --manifest (or, for status and logs, --namespace), the platform manifest of the current
  // directory, under the name the docs give it.
  if (a.manifest === undefined && a.namespace === undefined && fs.existsSync(DEFAULT_MANIFEST)) {
    a.manifest = DEFAULT_MANIFEST;
  }
  if (fromManifest && a.manifest === undefined) {
    throw new UsageError(`--manifest FILE is required (there is no ${DEFAULT_MANIFEST} here)`);
  }
  if (sub === 'upgrade' && a.version === undefined) throw new UsageError('--version V is required');
  if (!fromManifest && a.manifest === undefined && a.namespace === undefined) {
    throw new UsageError(`give --manifest FILE or --namespace N (there is no ${DEFAULT_MANIFEST} here)`);
  }
  if (!fromManifest && a.manifest !== undefined && a.namespace !== undefined) {
    throw new UsageError('give either --manifest FILE or --namespace N, not both');
  }
  return { sub, ...a };
}

/** The charts of the manifests, or the problems printed and undefined. */
function build(a: Args, io: CliIo): { charts: readonly BuiltChart[] } | undefined {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-platform-'));
  try {
    const built = buildFromManifests(
      { manifest: a.manifest ?? '', domains: a.domains, products: a.products },
      outdir,
    );
    if (!built.ok) {
      formatProblems(built.problems).forEach((l) => io.out(l));
      io.err(
        `floe platform ${a.sub}: ${built.problems.length} problem(s) in the manifests; nothing was done`,
      );
      return undefined;
    }
    return { charts: built.charts };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** The platform's name (`app.kubernetes.io/part-of` of everything it writes). */
function platformNameOf(charts: readonly BuiltChart[]): string {
  const platform = charts.find((c) => c.role === 'platform') ?? charts[0];
  return (platform.chart as unknown as Pick<FloePlatform, 'platformName'>).platformName;
}

/** What the platform and jobs charts say they need from the cluster. */
type Prerequisites = Pick<
  FloeJobs,
  'namespaceName' | 'requiredSecrets' | 'requiredConfigMaps' | 'prerequisiteCommands'
> &
  Partial<Pick<FloePlatform, 'requiredCustomResourceDefinitions'>>;

async function runDeploy(a: Args, io: CliIo, api: KubeApi): Promise<number> {
  const built = build(a, io);
  if (!built) return EXIT.problems;
  const charts = built.charts.map((c) => c.chart);
  const secrets: { namespace: string; name: string }[] = [];
  const configMaps: { namespace: string; name: string }[] = [];
  const crds = new Set<string>();
  const commands: string[] = [];
  for (const b of built.charts) {
    // Platform and domain charts are FloePlatforms, the others FloeJobs: both list what they need.
    const c = b.chart as unknown as Prerequisites;
    const ns = c.namespaceName;
    c.requiredSecrets.forEach((s) => secrets.push({ namespace: ns, name: s.name }));
    c.requiredConfigMaps.forEach((name) => configMaps.push({ namespace: ns, name }));
    commands.push(...c.prerequisiteCommands());
    (c.requiredCustomResourceDefinitions ?? []).forEach((d) => crds.add(d));
  }
  const result = await deploy(api, {
    plan: deployPlan(charts),
    requiredSecrets: secrets,
    requiredConfigMaps: configMaps,
    requiredCustomResourceDefinitions: [...crds].sort(),
    prerequisiteCommands: commands,
    ...(a.component ? { only: [a.component] } : {}),
    dryRun: a.dryRun,
    forceConflicts: a.forceConflicts,
    timeoutSeconds: a.timeoutSeconds,
    ...(a.prune
      ? {
          prune: {
            platformName: platformNameOf(built.charts),
            namespaces: [...new Set(charts.map((c) => c.namespace ?? 'default'))],
          },
        }
      : {}),
    report: (l) => io.out(l),
    ...(io.status
      ? {
          waiting: (w: { tier: string; waitingFor: readonly string[] } | undefined) =>
            io.status?.(w && { key: w.tier, text: `${w.tier}: waiting for ${w.waitingFor.join('; ')}` }),
        }
      : {}),
  });
  io.out('');
  io.out(
    result.ok
      ? a.dryRun
        ? `Dry run: ${result.applied} objects accepted, nothing changed.`
        : // floe's docs end the deploy output so (docs/architecture/platform-services.md).
          `Platform services deployed successfully! (${result.applied} objects applied, every workload ready)`
      : 'Deploy stopped.',
  );
  return result.ok ? EXIT.ok : EXIT.problems;
}

const WORKLOADS: readonly [string, string][] = [
  ['apps/v1', 'Deployment'],
  ['apps/v1', 'StatefulSet'],
  ['apps/v1', 'DaemonSet'],
  ['batch/v1', 'Job'],
];

async function runStatus(a: Args, io: CliIo, api: KubeApi): Promise<number> {
  let namespace = a.namespace ?? '';
  let platformName: string | undefined;
  let version: string | undefined;
  if (a.manifest !== undefined) {
    const built = build(a, io);
    if (!built) return EXIT.problems;
    const platform = built.charts.find((c) => c.role === 'platform');
    if (platform === undefined) {
      io.err('floe platform status: the manifests define no platform of their own');
      return EXIT.problems;
    }
    const chart = platform.chart as unknown as Pick<FloePlatform, 'namespaceName' | 'platformName'>;
    namespace = chart.namespaceName;
    platformName = chart.platformName;
    version = platform.version;
  }
  const selector = platformName ? `app.kubernetes.io/part-of=${platformName}` : undefined;
  const objects: KubeObject[] = [];
  for (const [apiVersion, kind] of WORKLOADS) {
    objects.push(...(await api.list(apiVersion, kind, namespace, selector)));
  }
  const pods = await api.list('v1', 'Pod', namespace);
  const name =
    platformName ??
    objects.map((o) => o.metadata.labels?.['app.kubernetes.io/part-of']).find((p) => p) ??
    namespace;
  const status = platformStatus(objects, pods, {
    platform: name,
    namespace,
    ...(version ? { version } : {}),
  });
  if (a.output === 'json') {
    JSON.stringify(status, null, 2)
      .split('\n')
      .forEach((l) => io.out(l));
  } else {
    renderStatus(status)
      .replace(/\n$/, '')
      .split('\n')
      .forEach((l) => io.out(l));
    if (objects.length === 0) io.out(`(no floe workloads in namespace ${namespace})`);
  }
  return status.healthy && objects.length > 0 ? EXIT.ok : EXIT.problems;
}

async function runUpgrade(a: Args, io: CliIo, api: KubeApi): Promise<number> {
  const built = build(a, io);
  if (!built) return EXIT.problems;
  const platform = built.charts.find((c) => c.role === 'platform') ?? built.charts[0];
  if (platform.version !== a.version) {
    io.err(
      `floe platform upgrade: --version ${a.version ?? ''} but ${a.manifest ?? ''} has metadata.version ` +
        `'${platform.version}': set the new version in the manifest (it versions what is deployed), then upgrade`,
    );
    return EXIT.problems;
  }
  io.out(`Upgrading platform ${platformNameOf(built.charts)} to ${platform.version}`);
  const diffs = await diffPlan(api, deployPlan(built.charts.map((c) => c.chart)));
  renderDiff(diffs).forEach((l) => io.out(l));
  const refused = diffs.filter((d) => d.action === 'refused');
  if (refused.length > 0 && !a.recreate) {
    io.err(
      `floe platform upgrade: ${refused.length} object(s) cannot be changed in place (see ! above); nothing was applied. ` +
        'Rerun with --recreate to delete and recreate them (a StatefulSet without its pods and claims, which it adopts again)',
    );
    return EXIT.problems;
  }
  // Roll-outs (a changed pod template) and recreations held to the PodDisruptionBudgets.
  const conflicts = await budgetConflictsOf(api, deployPlan(built.charts.map((c) => c.chart)), diffs);
  if (conflicts.length > 0 && !a.disregardBudgets) {
    conflicts.forEach((c) => io.err(`floe platform upgrade: ${c.message}`));
    io.err('floe platform upgrade: nothing was applied');
    return EXIT.problems;
  }
  // Only what floe itself applied is deleted to be recreated.
  const foreign = refused.filter((d) => !d.appliedByFloe);
  if (foreign.length > 0) {
    io.err(
      `floe platform upgrade: ${foreign.map((d) => d.object).join(', ')} was not applied by floe; ` +
        'floe does not delete it. Change or delete it yourself, then upgrade',
    );
    return EXIT.problems;
  }
  for (const d of refused) {
    await api.delete(d.ref, { orphan: d.ref.kind === 'StatefulSet' });
    io.out(
      `- deleted ${d.ref.kind}/${d.ref.name}${d.ref.kind === 'StatefulSet' ? ' (its pods and claims stay)' : ''} to recreate it`,
    );
  }
  return runDeploy(a, io, api);
}

/**
 * The PodDisruptionBudget conflicts of an upgrade: each Deployment or StatefulSet whose pod
 * template changes (a roll-out) or that is recreated (a Deployment: all its pods go; a
 * StatefulSet is deleted without its pods), against the platform's budgets with their live
 * status (how many disruptions they allow now).
 */
async function budgetConflictsOf(
  api: KubeApi,
  plan: readonly PlanTier[],
  diffs: readonly ObjectDiff[],
): Promise<BudgetConflict[]> {
  const objects = plan.flatMap((t) => t.objects);
  const budgets: KubeObject[] = [];
  for (const b of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
    const live = await api.get({
      apiVersion: b.apiVersion,
      kind: b.kind,
      namespace: b.metadata.namespace,
      name: b.metadata.name,
    });
    budgets.push(live !== undefined ? { ...b, status: live.status } : b);
  }
  const desired = new Map(
    objects.map((o) => [`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o]),
  );
  const conflicts: BudgetConflict[] = [];
  for (const d of diffs) {
    if (d.ref.kind !== 'Deployment' && d.ref.kind !== 'StatefulSet') continue;
    const w = desired.get(`${d.ref.kind}/${d.ref.namespace ?? ''}/${d.ref.name}`);
    const rolls = d.action === 'update' && d.fields.some((f) => f.startsWith('spec.template'));
    const deleting = d.action === 'refused' && d.ref.kind === 'Deployment';
    if (w === undefined || !(rolls || deleting)) continue;
    // An autoscaled workload names no replicas: the live count is what rolls.
    const live = await api.get(d.ref);
    const replicas = (live?.spec as { replicas?: number } | undefined)?.replicas;
    conflicts.push(
      ...budgetConflicts(w, budgets, { deleting, ...(replicas !== undefined ? { replicas } : {}) }),
    );
  }
  return conflicts;
}

async function runDiff(a: Args, io: CliIo, api: KubeApi): Promise<number> {
  const built = build(a, io);
  if (!built) return EXIT.problems;
  const diffs = await diffPlan(api, deployPlan(built.charts.map((c) => c.chart)));
  renderDiff(diffs).forEach((l) => io.out(l));
  // As kubectl diff: 0 when a deploy would change nothing, 1 when it would (or cannot).
  return diffs.every((d) => d.action === 'unchanged') ? EXIT.ok : EXIT.problems;
}

/** The platform's namespace: from the manifests, or `--namespace`. */
function namespaceOf(a: Args, io: CliIo): string | undefined {
  if (a.namespace !== undefined) return a.namespace;
  const built = build(a, io);
  const platform = built?.charts.find((c) => c.role === 'platform');
  return platform
    ? (platform.chart as unknown as Pick<FloePlatform, 'namespaceName'>).namespaceName
    : undefined;
}

async function runLogs(a: Args, io: CliIo, api: KubeApi): Promise<number> {
  const namespace = namespaceOf(a, io);
  if (namespace === undefined) return EXIT.problems;
  const component = a.target ?? '';
  const workloads: KubeObject[] = [];
  for (const [apiVersion, kind] of WORKLOADS)
    workloads.push(...(await api.list(apiVersion, kind, namespace)));
  const chosen = workloads.filter((w) => w.metadata.name === component || tierOf(w) === component);
  if (chosen.length === 0) {
    io.err(
      `floe platform logs: no slot or workload '${component}' in namespace ${namespace} ` +
        `(slots: ${COMPONENTS.join(', ')}; workloads: ${
          workloads
            .map((w) => w.metadata.name)
            .sort()
            .join(', ') || 'none'
        })`,
    );
    return EXIT.problems;
  }
  const allPods = await api.list('v1', 'Pod', namespace);
  const pods = [
    ...new Map(chosen.flatMap((w) => podsOf(w, allPods)).map((p) => [p.metadata.name, p])).values(),
  ];
  const sources = pods.flatMap((p) => {
    const spec = (p.spec ?? {}) as { initContainers?: { name: string }[]; containers?: { name: string }[] };
    return [...(spec.initContainers ?? []), ...(spec.containers ?? [])]
      .map((c) => c.name)
      .filter((c) => a.container === undefined || c === a.container)
      .map((container) => ({ pod: p.metadata.name, container }));
  });
  if (sources.length === 0) {
    io.err(
      `floe platform logs: no pods${a.container ? ` with a container '${a.container}'` : ''} of '${component}' in namespace ${namespace}`,
    );
    return EXIT.problems;
  }
  const options = {
    ...(a.tail !== undefined ? { tailLines: a.tail } : {}),
    ...(a.sinceSeconds !== undefined ? { sinceSeconds: a.sinceSeconds } : {}),
  };
  if (a.follow) {
    // Each stream as it comes, line by line, prefixed.
    await Promise.all(
      sources.map((s) =>
        api.logs(namespace, s.pod, lineWriter(`[${s.pod}/${s.container}] `, io), {
          ...options,
          container: s.container,
          follow: true,
        }),
      ),
    );
    return EXIT.ok;
  }
  const logs = await Promise.all(
    sources.map(async (s) => {
      let text = '';
      try {
        text = await logText(api, namespace, s.pod, { ...options, container: s.container, timestamps: true });
      } catch (e) {
        // A container that has not started has no log yet; say so and go on.
        io.err(`floe platform logs: ${e instanceof KubeError ? e.message : String(e)}`);
      }
      return { source: `${s.pod}/${s.container}`, text };
    }),
  );
  mergeLogs(logs).forEach((l) => io.out(l));
  return EXIT.ok;
}

/** A Writable that prints every complete line with `prefix`. */
function lineWriter(prefix: string, io: CliIo): Writable {
  let rest = '';
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      const parts = (rest + chunk.toString('utf8')).split('\n');
      rest = parts.pop() ?? '';
      parts.forEach((l) => io.out(prefix + l));
      cb();
    },
    final(cb) {
      if (rest !== '') io.out(prefix + rest);
      cb();
    },
  });
}

/** `floe platform`. */
export const platformCommand: CliCommand = {
  name: 'platform',
  summary: 'deploy the platform to a cluster tier by tier, show its status, read its logs',
  help: HELP,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const a = parseArgs(args);
    try {
      const api = connect({ kubeconfig: a.kubeconfig, context: a.context });
      if (a.sub === 'deploy') return await runDeploy(a, io, api);
      if (a.sub === 'logs') return await runLogs(a, io, api);
      if (a.sub === 'diff') return await runDiff(a, io, api);
      if (a.sub === 'upgrade') return await runUpgrade(a, io, api);
      return await runStatus(a, io, api);
    } catch (e) {
      if (e instanceof KubeError) return reportOneLine(io, `platform ${a.sub}`, e);
      throw e;
    }
  },
};
