import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Testing } from 'cdk8s';
import { main } from '../src/cli/floe';
import { FloeValidationError } from '../src/core/errors';
import { FloeJobs, FloeJobsProps } from '../src/jobs/floe-jobs';
import { PipelineProps } from '../src/jobs/pipeline';
import { dbt } from '../src/jobs/steps';
import { buildFromManifests } from '../src/manifest/build';
import { FloePlatform, FloePlatformProps } from '../src/platform/floe-platform';
import { get, K8sObject } from './support/synth';

/**
 * Data products as floe's docs write them: a floe.yaml with no `image` (floe's CI builds the
 * product image), whose image comes from where the platform says product images are.
 */

const root = path.join(__dirname, '..');

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'floe-product-images-'));
}

/** Runs `floe` in-process from the repository root; stdout and stderr lines (split). */
async function floe(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n').split('\n'), err };
  } finally {
    process.chdir(cwd);
  }
}

/** The images of every container of the CronJob `name`. */
function cronJobImages(objects: K8sObject[], name: string): string[] {
  const cronJob = objects.find((o) => o.kind === 'CronJob' && o.metadata.name === name);
  const spec = get(cronJob, 'spec.jobTemplate.spec.template.spec') as {
    initContainers?: { image: string }[];
    containers: { image: string }[];
  };
  return [...(spec.initContainers ?? []), ...spec.containers].map((c) => c.image);
}

function write(dir: string, name: string, lines: string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, [...lines, ''].join('\n'));
  return file;
}

const EXAMPLE = 'examples/platform-with-products';
const PRODUCT_WITHOUT_IMAGE = 'test/fixtures/synth/product-without-image.yaml';

describe('floe.yaml without image', () => {
  test('floe validate accepts the example and the docs-shaped product', async () => {
    const r = await floe(
      'validate',
      `${EXAMPLE}/platform-manifest.yaml`,
      `${EXAMPLE}/finance/floe.yaml`,
      PRODUCT_WITHOUT_IMAGE,
    );
    expect(r).toEqual({
      code: 0,
      out: [
        `${EXAMPLE}/platform-manifest.yaml: valid PlatformManifest 'acme'`,
        `${EXAMPLE}/finance/floe.yaml: valid DataProduct 'revenue-reporting'`,
        `${PRODUCT_WITHOUT_IMAGE}: valid DataProduct 'customer-analytics'`,
      ],
      err: [],
    });
  });

  test('floe synth runs <images.productRepositoryPrefix>/<metadata.name>:<metadata.version>', async () => {
    const out = tmpdir();
    const r = await floe(
      'synth',
      '--manifest',
      `${EXAMPLE}/platform-manifest.yaml`,
      '--product',
      `${EXAMPLE}/finance/floe.yaml`,
      '--out',
      out,
    );
    expect([r.code, r.err]).toEqual([0, []]);
    const built = buildFromManifests(
      {
        manifest: path.join(root, EXAMPLE, 'platform-manifest.yaml'),
        products: [path.join(root, EXAMPLE, 'finance/floe.yaml')],
      },
      tmpdir(),
    );
    if (!built.ok) throw new Error(built.problems.map((p) => p.message).join('\n'));
    const jobs = built.charts.find((c) => c.role === 'jobs');
    if (jobs === undefined) throw new Error('no jobs chart');
    expect(cronJobImages(Testing.synth(jobs.chart) as K8sObject[], 'revenue-reporting')).toEqual([
      'registry.example.com/acme-products/revenue-reporting:1.2.3',
      'registry.example.com/acme-products/revenue-reporting:1.2.3',
    ]);
    expect(fs.readdirSync(out)).toContain('0001-floe-revenue-reporting.k8s.yaml');
  });

  test('without the platform setting: a positioned problem naming the setting to add, nothing written', async () => {
    const out = path.join(tmpdir(), 'dist');
    const r = await floe(
      'synth',
      '--manifest',
      'examples/platform/platform-manifest.yaml',
      '--product',
      PRODUCT_WITHOUT_IMAGE,
      '--out',
      out,
    );
    expect(r).toEqual({
      code: 1,
      out: [
        `${PRODUCT_WITHOUT_IMAGE}:4:1: image: missing (the platform 'floe' sets no images.productRepositoryPrefix; add images.productRepositoryPrefix: REGISTRY/PREFIX to examples/platform/platform-manifest.yaml, or image: to this file)`,
      ],
      err: ['floe synth: 1 problem; nothing was written'],
    });
    expect(fs.existsSync(out)).toBe(false);
  });

  test('a version that is no image tag is a problem at metadata.version', async () => {
    const dir = tmpdir();
    const product = (version: string): string =>
      write(dir, `v-${version}.yaml`, [
        'apiVersion: floe.dev/v1',
        'kind: DataProduct',
        'metadata:',
        '  name: revenue-reporting',
        `  version: '${version}'`,
        'platform:',
        '  ref: acme',
        'transforms:',
        '  - type: dbt',
      ]);
    for (const version of ['1.2.3+build.7', 'latest']) {
      const file = product(version);
      const r = await floe(
        'synth',
        '--manifest',
        `${EXAMPLE}/platform-manifest.yaml`,
        '--product',
        file,
        '--out',
        tmpdir(),
      );
      expect([r.code, r.out]).toEqual([
        1,
        [
          `${file}:5:12: metadata.version: not allowed (got '${version}', expected a version that is a pinned image tag (letters, digits, '_', '.' and '-', at most 128 characters, not 'latest'; SemVer build metadata '+...' is not allowed in image tags): it is the tag of the product image registry.example.com/acme-products/revenue-reporting:<version>; or give the pipeline an image)`,
        ],
      ]);
    }
  });

  test('an image in the floe.yaml wins over the platform setting', () => {
    const dir = tmpdir();
    const file = write(dir, 'floe.yaml', [
      'apiVersion: floe.dev/v1',
      'kind: DataProduct',
      'metadata:',
      '  name: revenue-reporting',
      "  version: '1.2.3'",
      'platform:',
      '  ref: acme',
      'image: registry.example.com/finance/own:9.9.9',
      'transforms:',
      '  - type: dbt',
    ]);
    const built = buildFromManifests(
      { manifest: path.join(root, EXAMPLE, 'platform-manifest.yaml'), products: [file] },
      tmpdir(),
    );
    if (!built.ok) throw new Error(built.problems.map((p) => p.message).join('\n'));
    const jobs = built.charts.find((c) => c.role === 'jobs');
    if (jobs === undefined) throw new Error('no jobs chart');
    expect(cronJobImages(Testing.synth(jobs.chart) as K8sObject[], 'revenue-reporting')).toEqual([
      'registry.example.com/finance/own:9.9.9',
    ]);
  });
});

describe('platform.ref as an OCI reference', () => {
  test.each([
    ['oci://registry.example.com/acme-platform:2.3.0', true],
    ['oci://registry.example.com/platforms/acme:2.3.0', true],
    ['acme', true],
    ['oci://registry.example.com/acme-platforms:2.3.0', false],
    ['oci://registry.example.com/globex-platform:2.3.0', false],
  ])('%s names the platform acme: %s', (ref, ok) => {
    const file = write(tmpdir(), 'floe.yaml', [
      'apiVersion: floe.dev/v1',
      'kind: DataProduct',
      'metadata:',
      '  name: revenue-reporting',
      "  version: '1.2.3'",
      'platform:',
      `  ref: ${ref}`,
      'image: registry.example.com/finance/revenue-reporting:1.2.3',
      'transforms:',
      '  - type: dbt',
    ]);
    const built = buildFromManifests(
      { manifest: path.join(root, EXAMPLE, 'platform-manifest.yaml'), products: [file] },
      tmpdir(),
    );
    expect(built.ok ? [] : built.problems.map((p) => `${p.line}:${p.col}: ${p.path}: ${p.message}`)).toEqual(
      ok
        ? []
        : [
            `7:8: platform.ref: not allowed (got '${ref}', expected 'acme', the name of the platform in ${path.join(root, EXAMPLE, 'platform-manifest.yaml')}, or an OCI reference to it such as 'oci://REGISTRY/acme-platform:TAG')`,
          ],
    );
  });
});

describe('mesh: a domain uses its own setting, else its enterprise one', () => {
  function mesh(enterprisePrefix: string | undefined, domainPrefix: string | undefined) {
    const dir = tmpdir();
    const images = (prefix: string | undefined): string[] =>
      prefix === undefined ? [] : ['images:', `  productRepositoryPrefix: ${prefix}`];
    const enterprise = write(dir, 'enterprise.yaml', [
      'apiVersion: floe.dev/v1',
      'kind: EnterpriseManifest',
      'metadata:',
      '  name: acme',
      "  version: '1.0.0'",
      ...images(enterprisePrefix),
    ]);
    const domain = write(dir, 'sales.yaml', [
      'apiVersion: floe.dev/v1',
      'kind: DomainManifest',
      'metadata:',
      '  name: sales',
      "  version: '1.0.0'",
      'enterprise:',
      '  ref: acme',
      ...images(domainPrefix),
      'products:',
      '  - metadata:',
      '      name: orders',
      "      version: '4.0.1'",
      '    transforms:',
      '      - type: dbt',
    ]);
    return {
      enterprise,
      domain,
      built: buildFromManifests({ manifest: enterprise, domains: [domain] }, dir),
    };
  }
  const ordersImages = (built: ReturnType<typeof mesh>['built']): string[] => {
    if (!built.ok) throw new Error(built.problems.map((p) => p.message).join('\n'));
    const jobs = built.charts.find((c) => c.role === 'jobs');
    if (jobs === undefined) throw new Error('no jobs chart');
    return cronJobImages(Testing.synth(jobs.chart) as K8sObject[], 'orders');
  };

  test('the enterprise setting', () => {
    expect(ordersImages(mesh('registry.example.com/acme', undefined).built)).toEqual([
      'registry.example.com/acme/orders:4.0.1',
    ]);
  });

  test("the domain's own setting wins", () => {
    expect(ordersImages(mesh('registry.example.com/acme', 'registry.example.com/sales').built)).toEqual([
      'registry.example.com/sales/orders:4.0.1',
    ]);
  });

  test('neither: the problem is at the inline product and names both files', () => {
    const { enterprise, domain, built } = mesh(undefined, undefined);
    expect(built.ok ? [] : built.problems.map((p) => `${p.line}:${p.col}: ${p.path}: ${p.message}`)).toEqual([
      `9:5: products[0].image: missing (the domain 'sales' and the enterprise 'acme' set no images.productRepositoryPrefix; add images.productRepositoryPrefix: REGISTRY/PREFIX to ${domain} (or to ${enterprise}, for every domain), or image: to this product)`,
    ]);
  });
});

describe('TypeScript: productImageRepositoryPrefix', () => {
  const steps = [dbt.run()];

  function pipelineImages(
    platformProps: FloePlatformProps,
    pipeline: PipelineProps,
    jobsProps: Partial<FloeJobsProps> = {},
  ): string[] {
    const app = Testing.app();
    const platform = new FloePlatform(app, 'platform', platformProps);
    const jobs = new FloeJobs(app, 'jobs', { platform, namespace: 'floe-jobs', ...jobsProps });
    jobs.addPipeline('orders', pipeline);
    return cronJobImages(Testing.synth(jobs) as K8sObject[], 'orders');
  }

  function error(fn: () => unknown): FloeValidationError {
    try {
      fn();
    } catch (e) {
      if (e instanceof FloeValidationError) return e;
      throw e;
    }
    throw new Error('expected a FloeValidationError');
  }

  test("a pipeline without image runs <prefix>/<name>:<version> of its platform's setting", () => {
    expect(
      pipelineImages(
        { productImageRepositoryPrefix: 'registry.example.com/products' },
        { version: '2.0.0', steps },
      ),
    ).toEqual(['registry.example.com/products/orders:2.0.0']);
  });

  test("the chart's own setting wins; it also works with endpoints only", () => {
    expect(
      pipelineImages(
        { productImageRepositoryPrefix: 'registry.example.com/products' },
        { version: '2.0.0', steps },
        { productImageRepositoryPrefix: 'registry.example.com:5000/team/images' },
      ),
    ).toEqual(['registry.example.com:5000/team/images/orders:2.0.0']);
    const app = Testing.app();
    const platform = new FloePlatform(new App(), 'platform');
    const jobs = new FloeJobs(app, 'jobs', {
      endpoints: platform.endpoints,
      productImageRepositoryPrefix: 'registry.example.com/products',
    });
    jobs.addPipeline('orders', { version: '1.0.0', steps });
    expect(cronJobImages(Testing.synth(jobs) as K8sObject[], 'orders')).toEqual([
      'registry.example.com/products/orders:1.0.0',
    ]);
  });

  test('a platform on shared services inherits their setting unless it sets its own', () => {
    const app = Testing.app();
    const enterprise = new FloePlatform(app, 'platform', {
      orchestrator: 'none',
      semantic: 'none',
      productImageRepositoryPrefix: 'registry.example.com/acme',
    });
    const inheriting = new FloePlatform(app, 'a', { namespace: 'a', sharedServices: enterprise });
    const own = new FloePlatform(app, 'b', {
      namespace: 'b',
      sharedServices: enterprise,
      productImageRepositoryPrefix: 'registry.example.com/b',
    });
    expect([inheriting.productImageRepositoryPrefix, own.productImageRepositoryPrefix]).toEqual([
      'registry.example.com/acme',
      'registry.example.com/b',
    ]);
  });

  test.each<[string, FloePlatformProps, PipelineProps, string, unknown, RegExp]>([
    [
      'no setting',
      {},
      { version: '1.0.0', steps },
      'image',
      undefined,
      /sets no productImageRepositoryPrefix/,
    ],
    [
      'no version',
      { productImageRepositoryPrefix: 'registry.example.com/p' },
      { steps },
      'image',
      undefined,
      /an image, or a version: the pipeline's image is then registry.example.com\/p\/orders:<version>/,
    ],
    [
      'image and version',
      { productImageRepositoryPrefix: 'registry.example.com/p' },
      { image: 'registry.example.com/x/orders:1.0.0', version: '1.0.0', steps },
      'version',
      '1.0.0',
      /no version when image is given/,
    ],
    [
      'build metadata',
      { productImageRepositoryPrefix: 'registry.example.com/p' },
      { version: '1.0.0+build.1', steps },
      'version',
      '1.0.0+build.1',
      /SemVer build metadata '\+\.\.\.' is not allowed in image tags/,
    ],
    [
      'latest',
      { productImageRepositoryPrefix: 'registry.example.com/p' },
      { version: 'latest', steps },
      'version',
      'latest',
      /not 'latest'/,
    ],
  ])('%s: a FloeValidationError naming the field', (_n, platformProps, pipeline, field, value, allowed) => {
    const e = error(() => pipelineImages(platformProps, pipeline));
    expect([e.constructPath, e.field, e.value]).toEqual(['jobs/orders', field, value]);
    expect(e.allowed).toMatch(allowed);
  });

  test.each(['https://registry.example.com/p', 'registry.example.com/p:1.0', 'Registry.example.com', ''])(
    'an invalid prefix %p is rejected by the platform and the jobs chart',
    (prefix) => {
      const onPlatform = error(
        () => new FloePlatform(Testing.app(), 'platform', { productImageRepositoryPrefix: prefix }),
      );
      expect([onPlatform.constructPath, onPlatform.field, onPlatform.value]).toEqual([
        'platform',
        'productImageRepositoryPrefix',
        prefix,
      ]);
      const app = Testing.app();
      const platform = new FloePlatform(app, 'platform');
      const onJobs = error(
        () => new FloeJobs(app, 'jobs', { platform, productImageRepositoryPrefix: prefix }),
      );
      expect([onJobs.constructPath, onJobs.field]).toEqual(['jobs', 'productImageRepositoryPrefix']);
    },
  );
});
