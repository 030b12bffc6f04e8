import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { KubeObject, WORKLOAD_KINDS } from './readiness';

/**
 * The tiers `floe platform deploy` applies one after another, in floe's documented startup order
 * (Platform Services, "Deployment"): the namespace and what every pod needs first, storage and
 * databases, the catalog, observability, the orchestrator, the semantic layer, then what fronts
 * or watches them; the data products' charts after the platform.
 */
export const TIERS = [
  'namespace',
  'storage',
  'catalog',
  'observability',
  'orchestrator',
  'semantic',
  'exposure',
  'products',
] as const;

/** One tier of the plan. */
export type TierName = (typeof TIERS)[number];

/** The platform slots `--component` deploys alone (the tiers with services). */
export const COMPONENTS: readonly TierName[] = [
  'storage',
  'catalog',
  'observability',
  'orchestrator',
  'semantic',
];

/** What one tier applies and what it then waits for. */
export interface PlanTier {
  /** The tier. */
  readonly tier: TierName;
  /** The chart the objects come from. */
  readonly chart: string;
  /** The objects to apply, in the order the chart writes them. */
  readonly objects: readonly KubeObject[];
  /** The workloads whose readiness ends the tier (Deployments, StatefulSets, DaemonSets, Jobs). */
  readonly waitFor: readonly KubeObject[];
}

/**
 * The tier of the platform's construct subtrees (`FloePlatform` builds each slot under a child of
 * that id). What is not under one of them (the Namespace, the platform ConfigMap, the
 * NetworkPolicies) comes first, so every policy and shared setting exists before a pod starts;
 * backups go with storage, monitoring with observability.
 */
const SUBTREE_TIERS: Readonly<Record<string, TierName>> = {
  foundation: 'namespace',
  storage: 'storage',
  backups: 'storage',
  catalog: 'catalog',
  observability: 'observability',
  monitoring: 'observability',
  orchestrator: 'orchestrator',
  semantic: 'semantic',
  exposure: 'exposure',
};

/** The id of the child of `chart` that `c` lies under (or `c`'s own, for a direct child). */
function subtreeOf(chart: Chart, c: IConstruct): string | undefined {
  const scopes = c.node.scopes;
  const i = scopes.indexOf(chart);
  return i >= 0 && i + 1 < scopes.length ? scopes[i + 1].node.id : undefined;
}

/** Whether `chart` is a platform chart (built by `FloePlatform`: it has the slot subtrees). */
function isPlatformChart(chart: Chart): boolean {
  return ['storage', 'catalog', 'orchestrator'].every((id) => chart.node.tryFindChild(id) !== undefined);
}

/**
 * The deploy plan of `charts` (in apply order, as `floe synth` numbers them): each platform chart
 * split into its tiers, each other chart (a `FloeJobs` chart) one `products` tier. Empty tiers are
 * left out.
 */
export function deployPlan(charts: readonly Chart[]): PlanTier[] {
  const plan: PlanTier[] = [];
  for (const chart of charts) {
    // The order the chart writes them (cdk8s sorts dependencies first). First: synthesizing also
    // adds the objects that are rendered late (the workload NetworkPolicies).
    const order = new Map((chart.toJson() as KubeObject[]).map((o, i) => [identity(o), i]));
    const objects = chart.node
      .findAll()
      .filter((c): c is ApiObject => c instanceof ApiObject && Chart.of(c) === chart);
    const json = new Map<ApiObject, KubeObject>(objects.map((o) => [o, o.toJson() as KubeObject]));
    const byTier = new Map<TierName, KubeObject[]>();
    for (const o of objects) {
      const tier: TierName = isPlatformChart(chart)
        ? o.kind === 'NetworkPolicy'
          ? 'namespace'
          : (SUBTREE_TIERS[subtreeOf(chart, o) ?? ''] ?? 'namespace')
        : 'products';
      const list = byTier.get(tier) ?? [];
      list.push(json.get(o) as KubeObject);
      byTier.set(tier, list);
    }
    for (const tier of TIERS) {
      const list = (byTier.get(tier) ?? []).sort(
        (a, b) => (order.get(identity(a)) ?? 0) - (order.get(identity(b)) ?? 0),
      );
      if (list.length === 0) continue;
      plan.push({
        tier,
        chart: chart.node.id,
        objects: list,
        waitFor: list.filter((o) => WORKLOAD_KINDS.includes(o.kind)),
      });
    }
  }
  return plan;
}

/** `apiVersion/kind/namespace/name`: what identifies an object in a cluster. */
export function identity(o: KubeObject): string {
  return `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

const DISPLAY_NAMES: Readonly<Record<string, string>> = {
  postgresql: 'PostgreSQL',
  minio: 'MinIO',
  polaris: 'Polaris',
  dagster: 'Dagster',
  'dagster-code-location': 'Dagster code location',
  cube: 'Cube',
  cubestore: 'Cube Store',
  'opentelemetry-collector': 'OpenTelemetry Collector',
  prometheus: 'Prometheus',
  grafana: 'Grafana',
  marquez: 'Marquez',
  jaeger: 'Jaeger',
  'floe-jobs': 'Pipelines',
};

/**
 * How the progress lines name a workload, as floe's docs do (docs/architecture/platform-services.md,
 * "Deploy All Services": `MinIO`, `Dagster webserver`, `PostgreSQL (orchestrator-db)`), from its
 * `app.kubernetes.io/name` and `component` labels: the application alone when the object is named
 * after it (`minio`), the application and component when named `<app>-<component>`
 * (`dagster-webserver`), else the application and the object name.
 */
export function displayName(o: KubeObject): string {
  const labels = o.metadata.labels ?? {};
  const app = labels['app.kubernetes.io/name'];
  const shown = app !== undefined ? (DISPLAY_NAMES[app] ?? app) : o.kind;
  const component = labels['app.kubernetes.io/component'];
  if (app !== undefined && o.metadata.name === app) return shown;
  if (app !== undefined && component !== undefined && o.metadata.name === `${app}-${component}`) {
    return `${shown} ${component}`;
  }
  return `${shown} (${o.metadata.name})`;
}
