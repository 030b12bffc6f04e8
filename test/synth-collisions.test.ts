import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, Testing, YamlOutputType } from 'cdk8s';
import { Construct } from 'constructs';
import { main } from '../src/cli/floe';
import { findObjectCollisions, ObjectCollisionError } from '../src/core/collisions';
import { FloeValidationError } from '../src/core/errors';
import { synthesize } from '../src/core/synth';
import { FloeJobs } from '../src/jobs/floe-jobs';
import { dbt } from '../src/jobs/steps';
import { FloePlatform } from '../src/platform/floe-platform';
import { K8sObject } from './support/synth';

const root = path.join(__dirname, '..');

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'floe-collisions-'));
}

/** Every file under `dir` (none when it does not exist). */
function files(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String).sort() : [];
}

/** The error `fn` throws (failing the test when it throws none). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected an error, got none');
}

const key = (o: K8sObject): string =>
  `${o.apiVersion} ${o.kind} ${o.kind === 'Namespace' ? '' : (o.metadata.namespace ?? '')}/${o.metadata.name}`;

/** The objects one platform writes, synthesized alone in an app of its own. */
function platformAlone(id: string): K8sObject[] {
  const app = Testing.app();
  return Testing.synth(new FloePlatform(app, id)) as K8sObject[];
}

/** Two default platforms in one app: both in `floe-platform`. */
function twoPlatforms(outdir: string): App {
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
  new FloePlatform(app, 'a');
  new FloePlatform(app, 'b');
  return app;
}

describe('two charts writing one object fail the synth', () => {
  // What each platform writes when it is alone: the same objects. Together, every object of `b`
  // collides with one of `a`'s, except the per-workload NetworkPolicies, which `b` does not write
  // at all: its pods have the selectors of `a`'s, so the renderer sees one pod group per workload,
  // owned by the chart found first. Before this check `b`'s file silently repeated 91 of `a`'s
  // objects and lacked those policies ("NetworkPolicies go missing").
  const a = platformAlone('a');
  const b = platformAlone('b');
  const isWorkloadPolicy = (o: K8sObject): boolean =>
    o.kind === 'NetworkPolicy' && !['default-deny', 'allow-dns'].includes(o.metadata.name);
  const expected = b.filter((o) => !isWorkloadPolicy(o)).map(key);

  test('alone, the two platforms write the same objects, with per-workload NetworkPolicies', () => {
    expect(a.map(key)).toEqual(b.map(key));
    expect(b.filter(isWorkloadPolicy).length).toBeGreaterThan(10);
  });

  test.each([
    ['app.synth()', (app: App) => app.synth()],
    ['synthesize(app)', (app: App) => synthesize(app)],
  ])('%s reports every collision with both construct paths and writes nothing', (_name, synth) => {
    const out = path.join(tmpdir(), 'dist');
    const error = thrown(() => synth(twoPlatforms(out)));
    expect(error).toBeInstanceOf(ObjectCollisionError);
    expect(error).toBeInstanceOf(FloeValidationError);
    const collisions = (error as ObjectCollisionError).collisions;
    expect(expected.length).toBeGreaterThan(50);
    expect(collisions).toHaveLength(expected.length);
    expect(collisions.map((c) => `${c.apiVersion} ${c.kind} ${c.namespace ?? ''}/${c.name}`).sort()).toEqual(
      [...expected].sort(),
    );
    for (const c of collisions) {
      expect([c.firstPath.split('/')[0], c.secondPath.split('/')[0]]).toEqual(['a', 'b']);
    }
    // The message names apiVersion, kind, namespace, name and both paths of each one.
    const lines = error.message.split('\n');
    expect(lines[0]).toBe(
      `${expected.length} objects are written twice (same API group, kind, namespace and name); applying both would leave only the one applied last, so nothing was written. Give the charts different namespaces (or the objects different names):`,
    );
    expect(lines).toContain(
      '  apps/v1 Deployment floe-platform/polaris: a/catalog/catalog/deployment and b/catalog/catalog/deployment',
    );
    expect(lines).toContain(
      '  v1 Namespace floe-platform (cluster-scoped): a/foundation/namespace and b/foundation/namespace',
    );
    expect(lines).toContain(
      '  networking.k8s.io/v1 NetworkPolicy floe-platform/default-deny: a/foundation/network-policies/default-deny and b/foundation/network-policies/default-deny',
    );
    expect(lines[lines.length - 1]).toMatch(
      /only the chart found first writes their per-workload NetworkPolicies/,
    );
    expect(lines).toHaveLength(expected.length + 2);
    // The policies `b` would have lacked are not among the collisions: the note explains them.
    expect(collisions.filter((c) => c.kind === 'NetworkPolicy').map((c) => c.name)).toEqual([
      'default-deny',
      'allow-dns',
    ]);
    expect(files(out)).toEqual([]);
  });

  test('the per-workload NetworkPolicies are checked too: they are rendered before the check', () => {
    // A user's policy named like the one the renderer writes for Polaris.
    const app = Testing.app();
    new FloePlatform(app, 'platform');
    const own = new Chart(app, 'own', { namespace: 'floe-platform' });
    new ApiObject(own, 'polaris-policy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'polaris' },
    });
    const error = thrown(() => app.synth());
    expect(error).toBeInstanceOf(ObjectCollisionError);
    expect((error as ObjectCollisionError).collisions).toEqual([
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        namespace: 'floe-platform',
        name: 'polaris',
        firstPath: 'platform/foundation/network-policies/floe-platform.polaris',
        secondPath: 'own/polaris-policy',
      },
    ]);
  });

  test('a jobs chart in the platform namespace whose pipeline is named like a platform workload', () => {
    const app = Testing.app();
    const platform = new FloePlatform(app, 'platform');
    const jobs = new FloeJobs(app, 'jobs', { platform, namespace: 'floe-platform' });
    jobs.addPipeline('polaris', { image: 'registry.example.com/p:1.0.0', steps: [dbt.run()] });
    const error = thrown(() => Testing.synth(jobs));
    expect(error).toBeInstanceOf(ObjectCollisionError);
    expect(error.message.split('\n').slice(1)).toEqual([
      '  v1 ServiceAccount floe-platform/polaris: platform/catalog/catalog/service-account and jobs/polaris/service-account',
    ]);
  });
});

describe('what counts as one object', () => {
  function object(scope: Construct, id: string, apiVersion: string, kind: string, namespace?: string): void {
    new ApiObject(scope, id, {
      apiVersion,
      kind,
      metadata: { name: 'same', ...(namespace !== undefined ? { namespace } : {}) },
    });
  }
  const summary = (app: App): string[] =>
    findObjectCollisions(app).map(
      (c) => `${c.kind} ${c.namespace ?? '(cluster)'}: ${c.firstPath} ${c.secondPath}`,
    );

  test('cluster-scoped kinds collide across namespaces; namespaced kinds do not', () => {
    const app = Testing.app();
    const x = new Chart(app, 'x', { namespace: 'x' });
    const y = new Chart(app, 'y', { namespace: 'y' });
    for (const chart of [x, y]) {
      object(chart, 'namespace', 'v1', 'Namespace');
      object(chart, 'cluster-role', 'rbac.authorization.k8s.io/v1', 'ClusterRole');
      object(chart, 'crd', 'apiextensions.k8s.io/v1', 'CustomResourceDefinition');
      object(chart, 'config', 'v1', 'ConfigMap');
      object(chart, 'role', 'rbac.authorization.k8s.io/v1', 'Role');
    }
    expect(summary(app)).toEqual([
      'Namespace (cluster): x/namespace y/namespace',
      'ClusterRole (cluster): x/cluster-role y/cluster-role',
      'CustomResourceDefinition (cluster): x/crd y/crd',
    ]);
  });

  test("an object without namespace is in its chart's, or in 'default'", () => {
    const app = Testing.app();
    const x = new Chart(app, 'x', { namespace: 'x' });
    const plain = new Chart(app, 'plain');
    object(x, 'config', 'v1', 'ConfigMap');
    object(plain, 'config', 'v1', 'ConfigMap', 'x');
    object(plain, 'secret', 'v1', 'Secret');
    object(plain, 'secret-default', 'v1', 'Secret', 'default');
    expect(summary(app)).toEqual([
      'ConfigMap x: x/config plain/config',
      'Secret default: plain/secret plain/secret-default',
    ]);
  });

  test('the same kind in two versions of one API group is one object; other groups are not', () => {
    const app = Testing.app();
    const x = new Chart(app, 'x', { namespace: 'x' });
    object(x, 'hpa-v1', 'autoscaling/v1', 'HorizontalPodAutoscaler');
    object(x, 'hpa-v2', 'autoscaling/v2', 'HorizontalPodAutoscaler');
    object(x, 'other-group', 'example.com/v1', 'HorizontalPodAutoscaler');
    expect(summary(app)).toEqual(['HorizontalPodAutoscaler x: x/hpa-v1 x/hpa-v2']);
  });

  test('three objects in one place are two collisions, each against the first', () => {
    const app = Testing.app();
    for (const id of ['p', 'q', 'r']) object(new Chart(app, id, { namespace: 'n' }), 'c', 'v1', 'ConfigMap');
    expect(summary(app)).toEqual(['ConfigMap n: p/c q/c', 'ConfigMap n: p/c r/c']);
  });
});

describe('floe synth', () => {
  test('a product in the platform namespace named like a platform workload: an error, nothing written', async () => {
    const dir = tmpdir();
    const product = path.join(dir, 'floe.yaml');
    fs.writeFileSync(
      product,
      [
        'apiVersion: floe.dev/v1',
        'kind: DataProduct',
        'metadata:',
        '  name: polaris',
        "  version: '1.0.0'",
        'platform:',
        '  ref: acme',
        'image: registry.example.com/p/polaris:1.0.0',
        'namespace: acme-platform',
        'transforms:',
        '  - type: dbt',
        '',
      ].join('\n'),
    );
    // A new output directory: the output rule accepts it, so the collision is what stops synth.
    const out = path.join(dir, 'dist');
    const lines: string[] = [];
    const cwd = process.cwd();
    process.chdir(root);
    let code: number;
    try {
      code = await main(
        [
          'synth',
          '--manifest',
          'examples/platform-with-products/platform-manifest.yaml',
          '--product',
          product,
          '--out',
          out,
        ],
        { out: (l) => lines.push(l), err: (l) => lines.push(l) },
      );
    } finally {
      process.chdir(cwd);
    }
    expect(code).toBe(1);
    expect(lines.join('\n').split('\n')).toEqual([
      'floe synth: 1 object is written twice (same API group, kind, namespace and name); applying both would leave only the one applied last, so nothing was written. Give the charts different namespaces (or the objects different names):',
      '  v1 ServiceAccount acme-platform/polaris: platform/catalog/catalog/service-account and acme-platform-products/polaris/service-account',
    ]);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(dir).sort()).toEqual(['floe.yaml']);
  });
});

describe('pods of two charts with the same labels in one namespace', () => {
  test('fail the synth: only one chart would write their NetworkPolicy', () => {
    // A chart found before the platform, with a Deployment under another name whose pods carry
    // Polaris' labels: Polaris' pod group would belong to this chart, which has no
    // NetworkIsolation, so Polaris would get no policy and the default-deny would cut it off.
    const app = Testing.app();
    const own = new Chart(app, 'own', { namespace: 'floe-platform' });
    const labels = {
      'app.kubernetes.io/name': 'polaris',
      'app.kubernetes.io/instance': 'polaris',
      'app.kubernetes.io/component': 'server',
    };
    new ApiObject(own, 'copy', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'polaris-copy', labels },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'c',
                image: 'x:1',
                ports: [
                  { name: 'polaris-http', containerPort: 8181 },
                  { name: 'polaris-mgmt', containerPort: 8182 },
                ],
              },
            ],
          },
        },
      },
    });
    new FloePlatform(app, 'platform');
    const error = thrown(() => app.synth());
    expect(error.message).toContain(
      'Deployment floe-platform/polaris (platform/catalog/catalog/deployment) has pods with the labels of Deployment floe-platform/polaris-copy (own/copy) of another chart',
    );
    expect(error.message).toContain('only own writes a policy for them');
  });
});
