import { ApiObject, App, Chart, DependencyGraph } from 'cdk8s';
import { checkObjectCollisions } from './collisions';

/**
 * Writes the app's manifests exactly as `app.synth()` does, in time linear in the size of the app.
 *
 * `App.synth()` validates the app and resolves its construct dependencies once, then renders each
 * chart with `Chart.toJson()`, which validates and resolves the whole app again: O(charts x app
 * size), the superlinear part of synthesizing many data products or domains (bench/README.md).
 * While this runs, every chart after the first is rendered from the dependencies `App.synth()`
 * already resolved: its API objects in the topological order of the chart's dependency graph,
 * each in its closest chart only, which is what `Chart.toJson()` renders. Tests keep the output
 * byte-identical to `app.synth()`.
 *
 * Like every app with a floe chart, the app must not hold two API objects that are one object in
 * a cluster (`checkObjectCollisions`, also for apps of plain charts here): on a collision an
 * `ObjectCollisionError` is thrown and nothing is written.
 */
export function synthesize(app: App): void {
  checkObjectCollisions(app);
  const renderChart = App._synthChart;
  let resolved = false;
  App._synthChart = (chart: Chart) => {
    if (!resolved) {
      resolved = true;
      return renderChart.call(App, chart);
    }
    return new DependencyGraph(chart.node)
      .topology()
      .filter((c): c is ApiObject => ApiObject.isApiObject(c) && Chart.of(c) === chart)
      .map((o) => o.toJson());
  };
  try {
    app.synth();
  } finally {
    App._synthChart = renderChart;
  }
}
