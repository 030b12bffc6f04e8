import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, YamlOutputType } from 'cdk8s';
import { Construct } from 'constructs';
import { synthesize } from '../src/core/synth';

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'floe-synth-'));
}

function tree(dir: string): Record<string, string> {
  return Object.fromEntries(
    fs
      .readdirSync(dir)
      .sort()
      .map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]),
  );
}

function configMap(scope: Construct, id: string): ApiObject {
  return new ApiObject(scope, id, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: id } });
}

/**
 * Charts that depend on each other, objects whose dependencies reverse their tree order, an
 * object depending on one in another chart, and a nested chart: every input to the ordering that
 * `App.synth()` resolves.
 */
function app(outdir: string, yamlOutputType = YamlOutputType.FILE_PER_CHART): App {
  const a = new App({ outdir, yamlOutputType });
  const base = new Chart(a, 'base', { namespace: 'base' });
  const first = configMap(base, 'first');
  const second = configMap(base, 'second');
  first.node.addDependency(second);
  const teams: Chart[] = [];
  for (let i = 0; i < 5; i++) {
    const team = new Chart(a, `team-${i}`, { namespace: `team-${i}` });
    const x = configMap(team, `x-${i}`);
    const y = configMap(team, `y-${i}`);
    x.node.addDependency(y);
    y.node.addDependency(first);
    teams.push(team);
  }
  const nested = new Chart(teams[2], 'nested', { namespace: 'nested' });
  configMap(nested, 'inner');
  teams[4].addDependency(teams[1]);
  return a;
}

describe('synthesize', () => {
  test.each([
    ['one file per chart', YamlOutputType.FILE_PER_CHART],
    ['one file for the app', YamlOutputType.FILE_PER_APP],
    ['one file per resource', YamlOutputType.FILE_PER_RESOURCE],
  ])('writes byte for byte what app.synth() writes (%s)', (_name, type) => {
    const ours = tmpdir();
    const theirs = tmpdir();
    synthesize(app(ours, type));
    app(theirs, type).synth();
    const a = tree(ours);
    expect(Object.keys(a).length).toBeGreaterThan(0);
    expect(a).toEqual(tree(theirs));
  });

  test('orders objects by their dependencies, not by the construct tree', () => {
    const out = tmpdir();
    synthesize(app(out));
    const base = tree(out)['0000-base.k8s.yaml'];
    expect(base.indexOf('name: second')).toBeLessThan(base.indexOf('name: first'));
  });

  test('leaves cdk8s as it was, also when the synth fails', () => {
    const renderChart = App._synthChart;
    synthesize(app(tmpdir()));
    expect(App._synthChart).toBe(renderChart);

    const broken = app(tmpdir());
    broken.node.addValidation({ validate: () => ['broken on purpose'] });
    expect(() => synthesize(broken)).toThrow(/broken on purpose/);
    expect(App._synthChart).toBe(renderChart);
  });
});
