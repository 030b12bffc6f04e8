/**
 * The floor of `npm run bench`: a cdk8s app with exactly one Deployment. Whatever a synth of it
 * costs (npx, the cdk8s CLI, the app launcher, loading cdk8s and cdk8s-plus-28) is the least any
 * cdk8s app pays; every other figure of the bench is reported as a ratio to it.
 */
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';

/** Builds the floor app; `outdir` defaults to what `cdk8s synth` asks for (CDK8S_OUTDIR). */
export function buildFloorApp(outdir?: string): App {
  const app = new App(outdir ? { outdir } : {});
  const chart = new Chart(app, 'floor');
  new kplus.Deployment(chart, 'web', {
    containers: [{ image: 'registry.example.com/web:1.0.0', portNumber: 8080 }],
  });
  return app;
}

if (require.main === module) {
  buildFloorApp().synth();
}
