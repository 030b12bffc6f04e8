/**
 * Builds the cdk8s charts a set of manifests describes, the same charts a TypeScript program with
 * the same props builds:
 *
 * - a `PlatformManifest` → the `FloePlatform` chart `platform`; each `--product` → a pipeline in a
 *   `FloeJobs` chart per namespace (`floe-<product>` by default);
 * - an `EnterpriseManifest` → the `FloePlatform` chart `platform` with the shared services only;
 *   each `DomainManifest` → a `FloePlatform` chart `floe-<domain>-domain` on those services, and
 *   its products (inline, by path, or `--product` files whose `platform.ref` names the domain) →
 *   `FloeJobs` charts, in the domain's namespace by default.
 *
 * Nothing is written here: the caller synthesizes the returned app.
 */
import * as path from 'path';
import { App, Chart, YamlOutputType } from 'cdk8s';
import { FloeValidationError } from '../core/errors';
import { FloeJobs } from '../jobs/floe-jobs';
import { PipelineProps } from '../jobs/pipeline';
import { FloePlatform, FloePlatformProps } from '../platform/floe-platform';
import { ManifestProblem, ROOT_PATH, formatPath, showValue } from './errors';
import { LoadedManifest, loadManifestFile, ManifestPath } from './loader';
import {
  DataProduct,
  DomainManifest,
  EnterpriseManifest,
  InlineDataProduct,
  PlatformManifest,
} from './schema';
import {
  domainNamespace,
  domainProps,
  enterpriseProps,
  jobsNetworkPolicies,
  pipelineProps,
  platformProps,
  ReportProblem,
} from './to-props';

/** The files `floe synth` reads. */
export interface ManifestInputs {
  /** A `PlatformManifest` or an `EnterpriseManifest`. */
  readonly manifest: string;
  /**
   * `DomainManifest` files (with an `EnterpriseManifest` only).
   * @default - none
   */
  readonly domains?: readonly string[];
  /**
   * `DataProduct` files (`floe.yaml`).
   * @default - none
   */
  readonly products?: readonly string[];
}

/** One chart of the built app, with the manifest it came from. */
export interface BuiltChart {
  /** The chart. */
  readonly chart: Chart;
  /** The kind of chart. */
  readonly role: 'platform' | 'domain' | 'jobs';
  /** Version of the manifest that defines the chart's platform (the Helm chart version). */
  readonly version: string;
  /** Name of the chart as a Helm chart: `<platform>-platform` for the platform, else the chart id. */
  readonly helmName: string;
}

/** What `buildFromManifests` returns: the app and its charts, or every problem found. */
export type BuildResult =
  | {
      readonly ok: true;
      readonly app: App;
      readonly charts: readonly BuiltChart[];
      /** Every manifest file read: the given ones and the products domains list by path. */
      readonly files: readonly string[];
    }
  | { readonly ok: false; readonly problems: readonly ManifestProblem[] };

/** The chart id of the platform (and of a mesh's shared services). */
export const PLATFORM_CHART_ID = 'platform';

/** The manifest field that says where product images are (`productImageRepositoryPrefix`). */
const PRODUCT_IMAGES_FIELD = 'images.productRepositoryPrefix';

/** A product and where it came from. */
interface ProductSource {
  readonly product: DataProduct | InlineDataProduct;
  readonly file: LoadedManifest;
  /** Path of the product within `file` (`[]` for a floe.yaml, `['products', i]` inline). */
  readonly at: ManifestPath;
}

class Problems {
  public readonly list: ManifestProblem[] = [];
  /** The files read while collecting the problems, in the order they were read. */
  public readonly read: string[] = [];

  /** A reporter for fields of `loaded`, under `prefix`. */
  public at(loaded: LoadedManifest, prefix: ManifestPath = []): ReportProblem {
    return (field, message) => this.add(loaded, [...prefix, ...field], message);
  }

  /**
   * A problem of `field`, positioned at `field` itself, else at the closest parent in the file; or,
   * for a field that is missing, at `at` (e.g. the `metadata` of a product without `image`).
   */
  public add(loaded: LoadedManifest, field: ManifestPath, message: string, at: ManifestPath = field): void {
    let pos = undefined;
    for (let n = at.length; n >= 0 && pos === undefined; n--) {
      pos = loaded.position(at.slice(0, n));
    }
    this.list.push({
      file: loaded.file,
      line: pos?.line ?? 1,
      col: pos?.col ?? 1,
      path: formatPath(field),
      message,
    });
  }

  public addAll(problems: readonly ManifestProblem[]): void {
    this.list.push(...problems);
  }

  /** The problems by file (in the order files were first named), then by position. */
  public sorted(): ManifestProblem[] {
    const files = [...new Set(this.list.map((p) => p.file))];
    return [...this.list].sort(
      (a, b) => files.indexOf(a.file) - files.indexOf(b.file) || a.line - b.line || a.col - b.col,
    );
  }
}

function load<M extends PlatformManifest | EnterpriseManifest | DomainManifest | DataProduct>(
  file: string,
  kinds: readonly M['kind'][],
  role: string,
  problems: Problems,
): LoadedManifest<M> | undefined {
  problems.read.push(file);
  const result = loadManifestFile(file);
  if (!result.ok) {
    problems.addAll(result.problems);
    return undefined;
  }
  if (!(kinds as readonly string[]).includes(result.manifest.kind)) {
    problems.add(
      result,
      ['kind'],
      `not allowed here (got ${showValue(result.manifest.kind)}, expected ${kinds
        .map((k) => showValue(k))
        .join(' or ')} as ${role})`,
    );
    return undefined;
  }
  return result as LoadedManifest<M>;
}

/**
 * True when `ref` names the platform or domain `name`: equal, or an OCI reference (as floe's docs
 * write `platform.ref`) whose last segment, without its tag, is `name` or the name of its chart
 * (`chartName`: `<name>-platform` for a platform, `floe-<name>-domain` for a domain). The tag is
 * not compared with the manifest's version.
 */
function refersTo(ref: string, name: string, chartName: string): boolean {
  const last =
    ref
      .replace(/^oci:\/\//, '')
      .split('/')
      .pop() ?? '';
  const repository = last.split(':')[0];
  return ref === name || repository === name || repository === chartName;
}

/** The chart name an OCI reference to a platform may use: its Helm chart's. */
function platformChartName(name: string): string {
  return `${name}-platform`;
}

/** Where a pipeline's construct property comes from in a data product. */
function productField(field: string): ManifestPath | undefined {
  const step = /^steps\[(\d+)\]/.exec(field);
  if (step) return ['transforms', Number(step[1])];
  const credential = /^credentials\[(\d+)\]/.exec(field);
  if (credential) return ['credentials', Number(credential[1])];
  const direct: Record<string, ManifestPath> = {
    schedule: ['schedule', 'cron'],
    timeZone: ['schedule', 'timezone'],
    image: ['image'],
    version: ['metadata', 'version'],
    name: ['metadata', 'name'],
  };
  return direct[field.split(/[.[]/)[0]];
}

/**
 * Runs `fn`, turning a construct's validation error into a problem of `loaded` (constructs check
 * more than the schemas, e.g. the order of a product's steps). With `at` (a data product), the
 * pipeline property the construct names is mapped back to its field; otherwise the problem is
 * reported for the document as a whole, with the construct's own message.
 */
function guarded<T>(
  loaded: LoadedManifest,
  problems: Problems,
  fn: () => T,
  at?: ManifestPath,
): T | undefined {
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof FloeValidationError)) {
      throw error;
    }
    const field = at !== undefined ? productField(error.field) : undefined;
    if (at !== undefined && field !== undefined) {
      problems.add(
        loaded,
        [...at, ...field],
        `not allowed (got ${showValue(error.value)}, expected ${error.allowed})`,
      );
    } else {
      problems.list.push({ file: loaded.file, line: 1, col: 1, path: ROOT_PATH, message: error.message });
    }
    return undefined;
  }
}

/**
 * Adds the products, one `FloeJobs` chart per namespace, in the order the namespaces first appear.
 * Their network isolation follows the platform's (`jobsNetworkPolicies`).
 */
function addProducts(
  app: App,
  platform: FloePlatform,
  platformProps: FloePlatformProps,
  imageSetting: string,
  defaultNamespace: (product: ProductSource) => string,
  sources: readonly ProductSource[],
  version: string,
  usedIds: Map<string, string>,
  problems: Problems,
  charts: BuiltChart[],
): void {
  const groups = new Map<string, ProductSource[]>();
  for (const source of sources) {
    const ns = source.product.namespace ?? defaultNamespace(source);
    groups.set(ns, [...(groups.get(ns) ?? []), source]);
  }
  for (const [namespace, group] of groups) {
    const id = namespace === platform.namespaceName ? `${namespace}-products` : namespace;
    const first = group[0];
    if (usedIds.has(id)) {
      problems.add(
        first.file,
        [...first.at, 'namespace'],
        `not allowed (got ${showValue(namespace)}, expected a namespace that is not also ${usedIds.get(id)})`,
      );
      continue;
    }
    usedIds.set(id, `the chart of ${namespace}`);
    // The products of a namespace share one chart, so one catalog access: they must agree.
    const catalog = first.product.catalog;
    const disagreeing = group.find((s) => JSON.stringify(s.product.catalog) !== JSON.stringify(catalog));
    if (disagreeing !== undefined) {
      problems.add(
        disagreeing.file,
        [...disagreeing.at, 'catalog'],
        `not allowed (got ${showValue(disagreeing.product.catalog)}, expected the same as product ` +
          `${showValue(first.product.metadata.name)} in namespace ${showValue(namespace)}, whose catalog credentials it shares)`,
      );
      continue;
    }
    const jobs = guarded(
      first.file,
      problems,
      () =>
        new FloeJobs(app, id, {
          platform,
          namespace,
          ...jobsNetworkPolicies(platformProps),
          ...(catalog !== undefined ? { catalogAccess: catalog === false ? false : { ...catalog } } : {}),
        }),
    );
    if (jobs === undefined) continue;
    const names = new Map<string, ProductSource>();
    for (const source of group) {
      const name = source.product.metadata.name;
      const clash = names.get(name);
      if (clash !== undefined) {
        problems.add(
          source.file,
          [...source.at, 'metadata', 'name'],
          `not allowed (got ${showValue(name)}, expected a name no other product in namespace ${showValue(
            namespace,
          )} has; ${clash.file.file} uses it)`,
        );
        continue;
      }
      names.set(name, source);
      if (source.product.image === undefined && jobs.productImageRepositoryPrefix === undefined) {
        problems.add(
          source.file,
          [...source.at, 'image'],
          `missing (${imageSetting}, or image: to this ${source.at.length === 0 ? 'file' : 'product'})`,
          [...source.at, 'metadata'],
        );
        continue;
      }
      const props: PipelineProps = pipelineProps(source.product, problems.at(source.file, source.at));
      guarded(source.file, problems, () => jobs.addPipeline(name, props), source.at);
    }
    charts.push({ chart: jobs, role: 'jobs', version, helmName: id });
  }
}

/**
 * The products a domain lists: inline ones as they are, paths (relative to the domain file) read
 * and checked: the file exists, is a valid `DataProduct`, and its `platform.ref` names the domain.
 */
function domainProducts(d: LoadedManifest<DomainManifest>, problems: Problems): ProductSource[] {
  const name = d.manifest.metadata.name;
  const sources: ProductSource[] = [];
  (d.manifest.products ?? []).forEach((entry, i) => {
    if (typeof entry !== 'string') {
      sources.push({ product: entry, file: d, at: ['products', i] });
      return;
    }
    const file = path.join(path.dirname(d.file), entry);
    problems.read.push(file);
    const loaded = loadManifestFile(file);
    if (!loaded.ok) {
      if (loaded.problems.length === 1 && loaded.problems[0].message.startsWith('cannot read')) {
        problems.add(
          d,
          ['products', i],
          loaded.problems[0].message.replace('cannot read the file', `cannot read ${showValue(file)}`),
        );
      } else {
        problems.addAll(loaded.problems);
      }
      return;
    }
    if (loaded.manifest.kind !== 'DataProduct') {
      problems.add(
        d,
        ['products', i],
        `not allowed (got a ${loaded.manifest.kind} in ${showValue(file)}, expected a DataProduct)`,
      );
      return;
    }
    if (!refersTo(loaded.manifest.platform.ref, name, domainNamespace(name))) {
      problems.add(
        loaded,
        ['platform', 'ref'],
        `not allowed (got ${showValue(loaded.manifest.platform.ref)}, expected ${showValue(name)}, the domain that lists it in ${d.file})`,
      );
    }
    sources.push({ product: loaded.manifest, file: loaded as LoadedManifest, at: [] });
  });
  return sources;
}

/**
 * Checks what a valid manifest refers to in other files: the products a `DomainManifest` lists
 * by path. Returns the problems (none for other kinds).
 */
export function checkReferencedFiles(loaded: LoadedManifest): ManifestProblem[] {
  if (loaded.manifest.kind !== 'DomainManifest') {
    return [];
  }
  const problems = new Problems();
  domainProducts(loaded as LoadedManifest<DomainManifest>, problems);
  return problems.sorted();
}

/** Reads the manifests and builds the app. `outdir` is where a later `app.synth()` writes. */
export function buildFromManifests(inputs: ManifestInputs, outdir: string): BuildResult {
  const problems = new Problems();
  const top = load<PlatformManifest | EnterpriseManifest>(
    inputs.manifest,
    ['PlatformManifest', 'EnterpriseManifest'],
    'the --manifest',
    problems,
  );
  const products = (inputs.products ?? [])
    .map((f) => load<DataProduct>(f, ['DataProduct'], 'a --product', problems))
    .filter((p): p is LoadedManifest<DataProduct> => p !== undefined);
  const domains = (inputs.domains ?? [])
    .map((f) => load<DomainManifest>(f, ['DomainManifest'], 'a --domain', problems))
    .filter((d): d is LoadedManifest<DomainManifest> => d !== undefined);
  if (top === undefined) {
    return { ok: false, problems: problems.list };
  }

  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
  const charts: BuiltChart[] = [];
  const version = top.manifest.metadata.version;
  const usedIds = new Map<string, string>([[PLATFORM_CHART_ID, 'the platform chart']]);

  if (top.manifest.kind === 'PlatformManifest') {
    const m = top.manifest;
    const platformTop = top as LoadedManifest<PlatformManifest>;
    if (domains.length > 0) {
      problems.add(
        domains[0],
        ['kind'],
        "not allowed (got 'DomainManifest', expected domains only with an EnterpriseManifest as --manifest)",
      );
    }
    const props: FloePlatformProps = platformProps(m, problems.at(platformTop));
    const platform = guarded(top, problems, () => new FloePlatform(app, PLATFORM_CHART_ID, props));
    if (platform !== undefined) {
      const chartName = platformChartName(m.metadata.name);
      charts.push({ chart: platform, role: 'platform', version, helmName: chartName });
      for (const p of products) {
        if (!refersTo(p.manifest.platform.ref, m.metadata.name, chartName)) {
          problems.add(
            p,
            ['platform', 'ref'],
            `not allowed (got ${showValue(p.manifest.platform.ref)}, expected ${showValue(m.metadata.name)}, the name of the platform in ${top.file}, or an OCI reference to it such as 'oci://REGISTRY/${chartName}:TAG')`,
          );
        }
      }
      const sources = products.map((p) => ({ product: p.manifest, file: p as LoadedManifest, at: [] }));
      addProducts(
        app,
        platform,
        props,
        `the platform ${showValue(m.metadata.name)} sets no ${PRODUCT_IMAGES_FIELD}; add ${PRODUCT_IMAGES_FIELD}: REGISTRY/PREFIX to ${top.file}`,
        (s) => `floe-${s.product.metadata.name}`,
        sources,
        version,
        usedIds,
        problems,
        charts,
      );
    }
  } else {
    const m = top.manifest;
    const props = enterpriseProps(m, problems.at(top));
    const enterprise = guarded(top, problems, () => new FloePlatform(app, PLATFORM_CHART_ID, props));
    if (enterprise !== undefined) {
      charts.push({
        chart: enterprise,
        role: 'platform',
        version,
        helmName: platformChartName(m.metadata.name),
      });
      const byName = new Map<string, LoadedManifest<DomainManifest>>();
      for (const d of domains) {
        const dm = d.manifest;
        if (!refersTo(dm.enterprise.ref, m.metadata.name, platformChartName(m.metadata.name))) {
          problems.add(
            d,
            ['enterprise', 'ref'],
            `not allowed (got ${showValue(dm.enterprise.ref)}, expected ${showValue(m.metadata.name)}, the name of the enterprise in ${top.file})`,
          );
          continue;
        }
        if (byName.has(dm.metadata.name)) {
          problems.add(
            d,
            ['metadata', 'name'],
            `not allowed (got ${showValue(dm.metadata.name)}, expected a domain name ${byName.get(dm.metadata.name)?.file} does not use)`,
          );
          continue;
        }
        byName.set(dm.metadata.name, d);
      }
      const standalone = new Map<string, ProductSource[]>();
      for (const p of products) {
        const domain = [...byName.keys()].find((name) =>
          refersTo(p.manifest.platform.ref, name, domainNamespace(name)),
        );
        if (domain === undefined) {
          problems.add(
            p,
            ['platform', 'ref'],
            `not allowed (got ${showValue(p.manifest.platform.ref)}, expected the name of a domain: ${
              [...byName.keys()].map((n) => showValue(n)).join(', ') || '(no --domain given)'
            })`,
          );
          continue;
        }
        standalone.set(domain, [...(standalone.get(domain) ?? []), { product: p.manifest, file: p, at: [] }]);
      }
      for (const [name, d] of byName) {
        const namespace = domainNamespace(name);
        const dProps = domainProps(d.manifest, enterprise, problems.at(d));
        const domainChart = guarded(d, problems, () => new FloePlatform(app, namespace, dProps));
        usedIds.set(namespace, `the chart of domain ${showValue(name)}`);
        if (domainChart === undefined) continue;
        charts.push({ chart: domainChart, role: 'domain', version, helmName: namespace });
        const sources = [...domainProducts(d, problems)];
        sources.push(...(standalone.get(name) ?? []));
        addProducts(
          app,
          domainChart,
          dProps,
          `the domain ${showValue(name)} and the enterprise ${showValue(m.metadata.name)} set no ${PRODUCT_IMAGES_FIELD}; add ${PRODUCT_IMAGES_FIELD}: REGISTRY/PREFIX to ${d.file} (or to ${top.file}, for every domain)`,
          () => namespace,
          sources,
          version,
          usedIds,
          problems,
          charts,
        );
      }
    }
  }
  if (problems.list.length > 0) {
    return { ok: false, problems: problems.sorted() };
  }
  return { ok: true, app, charts, files: problems.read };
}
