/**
 * The example app `npx cdk8s synth` runs: a complete floe platform with lineage and tracing on,
 * one Dagster code location and Cube reading the lakehouse through DuckDB, written to dist/.
 */
import { App, YamlOutputType } from 'cdk8s';
import { FloePlatform } from './platform/floe-platform';
import { Jaeger } from './plugins/observability/jaeger';
import { Marquez } from './plugins/observability/marquez';
import { Dagster } from './plugins/orchestrator/dagster';

/**
 * Builds the example app. `outdir` defaults to what `cdk8s synth` asks for (CDK8S_OUTDIR, e.g.
 * `dist/helm/templates` with `--format helm`), else `dist`.
 */
export function buildExampleApp(outdir?: string): App {
  const app = new App({ ...(outdir ? { outdir } : {}), yamlOutputType: YamlOutputType.FILE_PER_CHART });
  new FloePlatform(app, 'platform', {
    platformName: 'floe',
    lineage: Marquez.provider(),
    tracing: Jaeger.provider(),
    orchestrator: Dagster.provider({
      codeLocations: [
        {
          name: 'analytics',
          image: { registry: 'registry.example.com', repository: 'data/analytics-pipelines', tag: '1.4.2' },
          moduleName: 'analytics.definitions',
        },
      ],
    }),
  });
  return app;
}

if (require.main === module) {
  buildExampleApp().synth();
}
