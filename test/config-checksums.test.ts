import { Chart, Testing } from 'cdk8s';
import { configChecksum } from '../src/core/checksum';
import { FloePlatform } from '../src/platform/floe-platform';
import { PostgreSQL } from '../src/plugins/database/postgres';
import { PostgresDatabasePlugin } from '../src/plugins/interfaces';
import { Polaris } from '../src/plugins/catalog/polaris';
import { Grafana } from '../src/plugins/observability/grafana';
import { Jaeger } from '../src/plugins/observability/jaeger';
import { Marquez } from '../src/plugins/observability/marquez';
import { OtelCollector } from '../src/plugins/observability/otel-collector';
import { Prometheus } from '../src/plugins/observability/prometheus';
import { Dagster } from '../src/plugins/orchestrator/dagster';
import { DagsterCodeLocation } from '../src/plugins/orchestrator/dagster-code-location';
import { configMapsChecksum } from './support/policy';
import { findObject, get, K8sObject, synthChart } from './support/synth';

const ANALYTICS: DagsterCodeLocation = {
  name: 'analytics',
  image: { registry: 'ghcr.io', repository: 'acme/analytics', tag: '1.4.0' },
  moduleName: 'analytics.definitions',
};
const INGEST: DagsterCodeLocation = { ...ANALYTICS, name: 'ingest' };

const db = (chart: Chart, name: string): PostgresDatabasePlugin =>
  new PostgreSQL(chart, name, { database: 'app', username: 'app' });

/**
 * One case per workload that reads a ConfigMap this library writes: how to build it with the
 * configuration as it is (`false`) and changed (`true`), the workload, and the ConfigMap that changes.
 */
interface Case {
  readonly build: (changed: boolean) => K8sObject[];
  readonly workload: readonly [string, string];
  readonly configMap: string;
}

const CASES: Record<string, Case> = {
  'Dagster webserver (dagster.yaml)': {
    build: (c) =>
      synthChart((chart) => {
        new Dagster(chart, 'dagster', {
          database: db(chart, 'db'),
          codeLocations: [ANALYTICS],
          maxConcurrentRuns: c ? 5 : 10,
        });
      }),
    workload: ['Deployment', 'dagster-webserver'],
    configMap: 'dagster-instance',
  },
  'Dagster daemon (workspace.yaml)': {
    build: (c) =>
      synthChart((chart) => {
        new Dagster(chart, 'dagster', {
          database: db(chart, 'db'),
          codeLocations: c ? [ANALYTICS, INGEST] : [ANALYTICS],
        });
      }),
    workload: ['Deployment', 'dagster-daemon'],
    configMap: 'dagster-workspace',
  },
  'Dagster code server (dagster.yaml)': {
    build: (c) =>
      synthChart((chart) => {
        new Dagster(chart, 'dagster', {
          database: db(chart, 'db'),
          codeLocations: [ANALYTICS],
          runMonitoring: !c,
        });
      }),
    workload: ['Deployment', 'dagster-analytics'],
    configMap: 'dagster-instance',
  },
  'Polaris (application.properties)': {
    build: (c) =>
      synthChart((chart) => {
        new Polaris(chart, 'polaris', { database: db(chart, 'db'), logLevel: c ? 'DEBUG' : 'INFO' });
      }),
    workload: ['Deployment', 'polaris'],
    configMap: 'polaris-config',
  },
  'OpenTelemetry Collector (relay.yaml)': {
    build: (c) =>
      synthChart((chart) => new OtelCollector(chart, 'otel', { debugVerbosity: c ? 'detailed' : 'basic' })),
    workload: ['Deployment', 'otel-collector'],
    configMap: 'otel-collector',
  },
  'Prometheus (prometheus.yml)': {
    build: (c) =>
      synthChart((chart) => new Prometheus(chart, 'prometheus', { scrapeInterval: c ? '15s' : '30s' })),
    workload: ['StatefulSet', 'prometheus'],
    configMap: 'prometheus',
  },
  'Grafana (grafana.ini)': {
    build: (c) =>
      synthChart(
        (chart) =>
          new Grafana(chart, 'grafana', { settings: c ? { users: { allow_sign_up: 'false' } } : {} }),
      ),
    workload: ['Deployment', 'grafana'],
    configMap: 'grafana',
  },
  'Grafana (datasources.yaml)': {
    build: (c) =>
      synthChart(
        (chart) => new Grafana(chart, 'grafana', c ? { metrics: new Prometheus(chart, 'prometheus') } : {}),
      ),
    workload: ['Deployment', 'grafana'],
    configMap: 'grafana-datasources',
  },
  'Jaeger (config.yaml)': {
    build: (c) => synthChart((chart) => new Jaeger(chart, 'jaeger', { maxTraces: c ? 5000 : 100000 })),
    workload: ['Deployment', 'jaeger'],
    configMap: 'jaeger',
  },
  'Marquez (config.yml)': {
    build: (c) =>
      synthChart((chart) => {
        new Marquez(chart, 'marquez', { database: db(chart, 'db'), logLevel: c ? 'DEBUG' : 'INFO' });
      }),
    workload: ['Deployment', 'marquez'],
    configMap: 'marquez-config',
  },
};

const annotation = (objects: K8sObject[], [kind, name]: readonly [string, string]): unknown =>
  get(findObject(objects, kind, name), 'spec.template.metadata.annotations.checksum/config');

describe('a changed ConfigMap rolls the pods that read it', () => {
  test.each(Object.entries(CASES))('%s', (_name, c) => {
    const before = c.build(false);
    const after = c.build(true);
    const data = (objects: K8sObject[]): unknown => findObject(objects, 'ConfigMap', c.configMap).data;
    expect(data(after)).not.toEqual(data(before));
    expect(annotation(before, c.workload)).toMatch(/^[0-9a-f]{64}$/);
    expect(annotation(after, c.workload)).not.toBe(annotation(before, c.workload));
    // The same input gives the same checksum (no timestamps, no ordering noise).
    expect(annotation(c.build(false), c.workload)).toBe(annotation(before, c.workload));
  });

  test('a workload whose ConfigMap did not change keeps its checksum (the code server reads dagster.yaml only)', () => {
    const build = CASES['Dagster daemon (workspace.yaml)'].build;
    expect(annotation(build(true), ['Deployment', 'dagster-analytics'])).toBe(
      annotation(build(false), ['Deployment', 'dagster-analytics']),
    );
  });

  test('every checksum in the platform is the SHA-256 of exactly the ConfigMaps its pod reads', () => {
    const app = Testing.app();
    const platform = new FloePlatform(app, 'platform', {
      lineage: Marquez.provider(),
      tracing: Jaeger.provider(),
      orchestrator: Dagster.provider({ codeLocations: [ANALYTICS] }),
    });
    const objects = Testing.synth(platform) as K8sObject[];
    const checked = objects.filter((o) => annotation(objects, [o.kind, o.metadata.name]) !== undefined);
    expect(checked.map((o) => o.metadata.name).sort()).toEqual([
      'dagster-analytics',
      'dagster-daemon',
      'dagster-metrics',
      'dagster-webserver',
      'grafana',
      'jaeger',
      'marquez',
      'otel-collector',
      'polaris',
      'prometheus',
    ]);
    const webserverReads = ['dagster-instance', 'dagster-workspace'].map((n) =>
      findObject(objects, 'ConfigMap', n),
    );
    expect(annotation(objects, ['Deployment', 'dagster-webserver'])).toBe(configMapsChecksum(webserverReads));
  });

  test('configChecksums: false writes no checksum', () => {
    const objects = CASES['Polaris (application.properties)'].build(false);
    const off = synthChart((chart) => {
      new Polaris(chart, 'polaris', { database: db(chart, 'db'), configChecksums: false });
    });
    expect(annotation(objects, ['Deployment', 'polaris'])).toBeDefined();
    expect(
      get(findObject(off, 'Deployment', 'polaris'), 'spec.template.metadata.annotations'),
    ).toBeUndefined();
  });

  test('configChecksum: order-independent, sensitive to every name, key and value', () => {
    const base = configChecksum({ a: { x: '1', y: '2' }, b: { z: '3' } });
    expect(configChecksum({ b: { z: '3' }, a: { y: '2', x: '1' } })).toBe(base);
    expect(configChecksum({ a: { x: '1', y: '2' }, c: { z: '3' } })).not.toBe(base);
    expect(configChecksum({ a: { x: '1', w: '2' }, b: { z: '3' } })).not.toBe(base);
    expect(configChecksum({ a: { x: '1', y: '2 ' }, b: { z: '3' } })).not.toBe(base);
    expect(configChecksum({ a: { x: '1', y: '2' } })).not.toBe(base);
  });
});
