import * as fs from 'fs';
import * as path from 'path';
import * as api from '../src';

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
  name: string;
  main: string;
  types: string;
  exports: Record<string, { types: string; default: string } | string>;
  peerDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  dependencies: Record<string, string>;
};

describe('package', () => {
  test('is floe-cdk8s, compiled to lib/ with type declarations', () => {
    expect(pkg.name).toBe('floe-cdk8s');
    expect(pkg.main).toBe('lib/index.js');
    expect(pkg.types).toBe('lib/index.d.ts');
    expect(pkg.exports['.']).toEqual({ types: './lib/index.d.ts', default: './lib/index.js' });
  });

  test('shares one construct tree with the app: cdk8s, cdk8s-plus-28 and constructs are peers', () => {
    for (const dep of ['cdk8s', 'cdk8s-plus-28', 'constructs']) {
      expect(pkg.peerDependencies[dep]).toBeDefined();
      expect(pkg.devDependencies[dep]).toBeDefined();
      expect(pkg.dependencies[dep]).toBeUndefined();
    }
  });

  test('pins TypeScript 5 (TypeScript 7 breaks ts-node, which cdk8s synth uses)', () => {
    expect(pkg.devDependencies.typescript).toMatch(/^5\./);
  });

  test('exports the chart and every plugin construct', () => {
    const exported = [
      api.FloePlatform,
      api.PostgreSQL,
      api.ExternalPostgres,
      api.MinIO,
      api.ExternalS3,
      api.Polaris,
      api.ExternalCatalog,
      api.OtelCollector,
      api.Prometheus,
      api.Grafana,
      api.Jaeger,
      api.Marquez,
      api.Dagster,
      api.Cube,
      api.CubeStore,
      api.FloeValidationError,
      api.NetworkIsolation,
      api.RuntimePods,
      api.connect,
    ];
    expect(exported.every((c) => typeof c === 'function')).toBe(true);
  });
});
