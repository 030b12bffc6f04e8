import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, YamlOutputType } from 'cdk8s';
import { Construct } from 'constructs';
import { synthesize } from '../src/core/synth';
import { FloeJobs } from '../src/jobs/floe-jobs';
import { dbt } from '../src/jobs/steps';
import { FloePlatform } from '../src/platform/floe-platform';

/**
 * The order of the files cdk8s writes (`NNNN-<chart>.k8s.yaml`, one per chart) is the order to
 * apply them in. cdk8s numbers the files only when a chart depends on another (or contains one),
 * and numbers them in `App.charts` order: a topological sort of the chart dependencies, construct
 * tree order (order of creation under each parent) among charts that do not depend on each other.
 * So without a dependency a chart created earlier in the tree comes first, whatever it needs.
 */
function written(build: (app: App) => void, synth: (app: App) => void = (a) => a.synth()): string[] {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-order-'));
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
  build(app);
  synth(app);
  // A chart below a plain construct gets a hash in its file name (cdk8s `Names.toDnsLabel`).
  return fs
    .readdirSync(outdir)
    .sort()
    .map((f) => f.replace(/-[0-9a-f]{8}\.k8s\.yaml$/, '-<hash>.k8s.yaml'));
}

describe('charts are numbered in apply order without addDependency', () => {
  test.each([
    ['app.synth()', (a: App) => a.synth()],
    ['synthesize(app)', (a: App) => synthesize(a)],
  ])('a FloeJobs chart earlier in the tree than its platform comes after it (%s)', (_n, synth) => {
    const files = written((app) => {
      // The teams' scope is created first, so `sales` precedes `platform` in tree order.
      const teams = new Construct(app, 'teams');
      const platforms = new Construct(app, 'platforms');
      const platform = new FloePlatform(platforms, 'platform');
      const sales = new FloeJobs(teams, 'sales', { platform, namespace: 'floe-sales' });
      sales.addPipeline('orders', { image: 'registry.example.com/sales/orders:1.0.0', steps: [dbt.run()] });
    }, synth);
    expect(files).toEqual(['0000-platforms-platform-<hash>.k8s.yaml', '0001-teams-sales-<hash>.k8s.yaml']);
  });

  test('a platform on shared services comes after the platform that shares them', () => {
    const files = written((app) => {
      const domains = new Construct(app, 'domains');
      const shared = new Construct(app, 'shared');
      const enterprise = new FloePlatform(shared, 'enterprise', { orchestrator: 'none', semantic: 'none' });
      new FloePlatform(domains, 'sales', { namespace: 'floe-sales-domain', sharedServices: enterprise });
    });
    expect(files).toEqual(['0000-shared-enterprise-<hash>.k8s.yaml', '0001-domains-sales-<hash>.k8s.yaml']);
  });

  test('several jobs charts: each after the platform, in creation order among themselves', () => {
    const files = written((app) => {
      const teams = new Construct(app, 'teams');
      const platform = new FloePlatform(app, 'platform');
      for (const team of ['marketing', 'finance', 'sales']) {
        new FloeJobs(teams, team, { platform, namespace: `floe-${team}` });
      }
    });
    expect(files).toEqual([
      '0000-platform.k8s.yaml',
      '0001-teams-marketing-<hash>.k8s.yaml',
      '0002-teams-finance-<hash>.k8s.yaml',
      '0003-teams-sales-<hash>.k8s.yaml',
    ]);
  });

  test('jobs reached by endpoints only (a platform in another app) depend on nothing here', () => {
    const other = new App();
    const platform = new FloePlatform(other, 'platform');
    const files = written((app) => {
      new FloeJobs(app, 'sales', { endpoints: platform.endpoints, namespace: 'floe-sales' });
    });
    expect(files).toEqual(['sales.k8s.yaml']);
  });
});
