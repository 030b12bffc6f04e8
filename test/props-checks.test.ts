import * as fs from 'fs';
import * as path from 'path';
import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import * as api from '../src';
import {
  Dagster,
  dbt,
  ExternalPostgres,
  ExternalS3,
  FloeJobs,
  FloePlatform,
  FloePropsError,
  FloeValidationError,
  ingest,
  MinIO,
  PluginProvider,
  ObjectStoragePlugin,
  quality,
} from '../src';
import { PROPS_SHAPES } from '../src/core/props-shapes.generated';
import { PROPS_ENTRY_POINTS, PropsEntryPoint } from './support/props-entry-points.generated';

/**
 * JavaScript callers get the checks TypeScript callers get from the compiler: unknown props,
 * values of the wrong kind and missing required values fail with a FloeValidationError naming the
 * construct path (or the function called) and the prop, before anything is built. Values are
 * passed the way a JavaScript caller passes them: through `unknown`, past the compiler.
 */

const root = path.join(__dirname, '..');

/** A value as JavaScript hands it over: the compiler does not see its type. */
function js<T>(value: unknown): T {
  return value as T;
}

/** The FloePropsError `fn` throws (a FloeValidationError with every problem). */
function propsError(fn: () => unknown): FloePropsError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FloePropsError) return e;
    throw e;
  }
  throw new Error('expected a FloePropsError');
}

function scope(): Chart {
  return new Chart(new App(), 'test');
}

const database = (): ExternalPostgres =>
  ExternalPostgres.fromEndpoint({
    host: 'db.example.com',
    database: 'dagster',
    username: 'dagster',
    passwordSecret: { name: 'db', key: 'postgresql-password' },
  });

describe('one call, every problem, named by path and prop', () => {
  test("a string where a provider is expected (storage: 'minio') is named, not a TypeError", () => {
    const app = new App();
    const error = propsError(() => new FloePlatform(app, 'platform', js({ storage: 'minio' })));
    expect(error).toBeInstanceOf(FloeValidationError);
    expect(error.message).toBe(
      'platform: invalid storage: got "minio", expected a PluginProvider<ObjectStoragePlugin> ' +
        '(an object with a provide() method, e.g. ExternalS3.provider({...}) or MinIO.provider())',
    );
    expect([error.constructPath, error.field, error.value]).toEqual(['platform', 'storage', 'minio']);
    // Checked before the chart exists: nothing is left in the tree.
    expect(app.node.children).toEqual([]);
  });

  test('an object without provide(), and a provider from a custom class with more members, in slots', () => {
    expect(propsError(() => new FloePlatform(new App(), 'platform', js({ catalog: {} }))).message).toBe(
      'platform: invalid catalog: got {}, expected a PluginProvider<CatalogPlugin> (an object with a ' +
        'provide() method, e.g. ExternalCatalog.provider({...}) or Polaris.provider())',
    );
    // 'none' is an alternative of optional slots, and the message says so.
    expect(
      propsError(() => new FloePlatform(new App(), 'platform', js({ orchestrator: 'None' }))).message,
    ).toBe(
      'platform: invalid orchestrator: got "None", expected \'none\' or a PluginProvider<OrchestratorPlugin> ' +
        '(an object with a provide() method, e.g. Dagster.provider())',
    );
    // A provider is a contract: any object whose provide is a function, whatever else it has.
    class MyStorage implements PluginProvider<ObjectStoragePlugin> {
      public readonly label = 'custom';
      public provide(s: Construct, id: string): ObjectStoragePlugin {
        return ExternalS3.fromBucket(
          {
            region: 'eu-west-1',
            bucket: 'warehouse',
            accessKeyId: { name: 's3', key: 'id' },
            secretAccessKey: { name: 's3', key: 'secret' },
          },
          `${s.node.path}/${id}`,
        );
      }
    }
    const platform = new FloePlatform(new App(), 'platform', { storage: new MyStorage() });
    expect(platform.storage.warehouseBucket).toBe('warehouse');
  });

  test('unknown props, with a suggestion when one is close, and every problem at once', () => {
    const app = new App();
    const error = propsError(
      () =>
        new FloePlatform(
          app,
          'platform',
          js({ sizng: 'heavy', namespace: 7, monitoring: { scrapeIntervall: '1m' }, bogus: true }),
        ),
    );
    const known = Object.keys((PROPS_SHAPES.FloePlatformProps as { props: object }).props).join(', ');
    expect(error.message.split('\n')).toEqual([
      `platform: invalid sizng: got "heavy", expected one of the known props of FloePlatformProps (did you mean 'sizing'?): ${known}`,
      'platform: invalid namespace: got 7, expected a string',
      'platform: invalid monitoring.scrapeIntervall: got "1m", expected one of the known props of MonitoringOptions (did you mean \'scrapeInterval\'?): alerts, labels, scrapeInterval',
      `platform: invalid bogus: got true, expected one of the known props of FloePlatformProps: ${known}`,
    ]);
    expect(error.problems.map((p) => p.field)).toEqual([
      'sizng',
      'namespace',
      'monitoring.scrapeIntervall',
      'bogus',
    ]);
    expect(
      error.problems.every((p) => p instanceof FloeValidationError && p.constructPath === 'platform'),
    ).toBe(true);
    // The first problem is the error's own field, as for any FloeValidationError.
    expect([error.field, error.value]).toEqual(['sizng', 'heavy']);
    expect(app.node.children).toEqual([]);
  });

  test('nested options of a provider: Dagster.provider({ daemon: { replicas: "1" } })', () => {
    expect(propsError(() => Dagster.provider(js({ daemon: { replicas: '1' } }))).message).toBe(
      'Dagster.provider(): invalid daemon.replicas: got "1", expected a number',
    );
    // The same through the construct: its path.
    const chart = scope();
    expect(
      propsError(
        () => new Dagster(chart, 'orchestrator', js({ database: database(), daemon: { replicas: '1' } })),
      ).message,
    ).toBe('test/orchestrator: invalid daemon.replicas: got "1", expected a number');
  });

  test("arrays: codeLocations: [{ nme: 'x' }] names the element, the unknown key and what is missing", () => {
    const error = propsError(() => Dagster.provider(js({ codeLocations: [{ nme: 'x' }] })));
    expect(error.message.split('\n')).toEqual([
      'Dagster.provider(): invalid codeLocations[0].nme: got "x", expected one of the known props of DagsterCodeLocation (did you mean \'name\'?): affinity, attribute, catalogAccess, extraEnv, image, moduleName, name, nodeSelector, packageName, port, pythonFile, replicas, resources, runAs, tolerations, topologySpreadConstraints, workingDirectory',
      'Dagster.provider(): invalid codeLocations[0].image: got undefined, expected an object (ContainerImage) (required)',
      'Dagster.provider(): invalid codeLocations[0].name: got undefined, expected a string (required)',
    ]);
    expect(propsError(() => Dagster.provider(js({ codeLocations: { name: 'x' } }))).message).toBe(
      'Dagster.provider(): invalid codeLocations: got {"name":"x"}, expected an array (each an object (DagsterCodeLocation))',
    );
  });

  test('records: every entry is checked, keys that are not plain names are quoted in the path', () => {
    const error = propsError(
      () =>
        new FloePlatform(
          new App(),
          'platform',
          js({ externalDatabases: { 'orchestrator-db': { host: 5, passwordSecret: 'hunter2' } } }),
        ),
    );
    expect(error.message.split('\n')).toEqual([
      'platform: invalid externalDatabases.orchestrator-db.host: got 5, expected a string',
      // A string given where a Secret reference belongs may be the secret: it is not shown.
      'platform: invalid externalDatabases.orchestrator-db.passwordSecret: got "<a string, not shown: it may be a secret>", expected an object (SecretKeyRef)',
    ]);
    expect(error.message).not.toContain('hunter2');
    expect(propsError(() => MinIO.provider(js({ nodeSelector: { 'kubernetes.io/os': 1 } }))).message).toBe(
      'MinIO.provider(): invalid nodeSelector["kubernetes.io/os"]: got 1, expected a string',
    );
  });

  test('class instances where one is required: FloeJobs platform, FloePlatform sharedServices', () => {
    const app = new App();
    expect(propsError(() => new FloeJobs(app, 'jobs', js({ platform: {} }))).message).toBe(
      'jobs: invalid platform: got {}, expected a FloePlatform',
    );
    expect(
      propsError(() => new FloePlatform(app, 'domain', js({ sharedServices: 'enterprise' }))).message,
    ).toBe('domain: invalid sharedServices: got "enterprise", expected a FloePlatform');
    const minio = new MinIO(new Chart(app, 'other'), 'minio');
    expect(propsError(() => new FloeJobs(app, 'jobs', js({ platform: minio }))).message).toBe(
      'jobs: invalid platform: got "<a MinIO>", expected a FloePlatform',
    );
    expect(app.node.children.map((c) => c.node.id)).toEqual(['other']);
  });

  test('literal unions, false alternatives, booleans and functions', () => {
    const app = new App();
    expect(
      propsError(
        () =>
          new FloePlatform(app, 'platform', js({ sizing: 'huge', monitoring: true, createNamespace: 'no' })),
      ).message.split('\n'),
    ).toEqual([
      "platform: invalid sizing: got \"huge\", expected 'light', 'medium' or 'heavy'",
      'platform: invalid monitoring: got true, expected false or an object (MonitoringOptions)',
      'platform: invalid createNamespace: got "no", expected true or false',
    ]);
    // The part of a union that fits the value's type is checked in depth.
    expect(propsError(() => new FloePlatform(app, 'platform', js({ backups: { bucket: 3 } }))).message).toBe(
      'platform: invalid backups.bucket: got 3, expected a string',
    );
    // A provider whose provide is not a function.
    expect(
      propsError(() => new FloePlatform(app, 'platform', js({ semantic: { provide: 'cube' } }))).message,
    ).toMatch(
      /^platform: invalid semantic: got \{"provide":"cube"\}, expected 'none' or a PluginProvider<SemanticLayerPlugin>/,
    );
    expect(
      propsError(() => new FloePlatform(app, 'platform', js({ storage: () => 'minio' }))).message,
    ).toMatch(
      /^platform: invalid storage: got "<function storage>", expected a PluginProvider<ObjectStoragePlugin>/,
    );
  });

  test('props that are not an object at all', () => {
    expect(propsError(() => new FloePlatform(new App(), 'platform', js('minio'))).message).toBe(
      'platform: invalid props: got "minio", expected an object (FloePlatformProps)',
    );
    expect(propsError(() => dbt.run(js(null))).message).toBe(
      'dbt.run(): invalid options: got null, expected an object (DbtRunOptions)',
    );
  });

  test('step builders: dbt.run, dbt.test, ingest.dlt, quality.check', () => {
    expect(propsError(() => dbt.run(js({ selct: 'tag:daily' }))).message).toMatch(
      /^dbt\.run\(\): invalid selct: got "tag:daily", expected one of the known props of DbtRunOptions \(did you mean 'select'\?\)/,
    );
    expect(propsError(() => dbt.test(js({ vars: { day: ['mon'] } }))).message).toBe(
      'dbt.test(): invalid vars.day: got ["mon"], expected a string, a number, or true or false',
    );
    expect(propsError(() => ingest.dlt(js({ source: 42 }))).message).toBe(
      'ingest.dlt(): invalid source: got 42, expected a string',
    );
    expect(propsError(() => quality.check(js({ command: 'soda scan' }))).message).toBe(
      'quality.check(): invalid command: got "soda scan", expected an array (each a string)',
    );
  });

  test('FloeJobs#addPipeline: the pipeline path, and nothing added', () => {
    const app = new App();
    const platform = new FloePlatform(app, 'platform');
    const jobs = new FloeJobs(app, 'sales', { platform });
    const error = propsError(() =>
      jobs.addPipeline('orders', js({ image: 'sales/orders:1.0', steps: [dbt.run()], schedul: '@daily' })),
    );
    expect(error.message).toMatch(
      /^sales\/orders: invalid schedul: got "@daily", expected one of the known props of PipelineProps \(did you mean 'schedule'\?\)/,
    );
    expect(jobs.pipelines).toEqual([]);
    expect(jobs.node.tryFindChild('orders')).toBeUndefined();
  });

  test('what the TypeScript type allows passes: undefined optional props, extra members of contracts, any k8s structure', () => {
    const app = new App();
    const platform = new FloePlatform(app, 'platform', {
      sizing: undefined,
      orchestrator: Dagster.provider({
        daemon: { tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }] },
      }),
    });
    expect(platform.orchestrator).toBeDefined();
    expect(() => dbt.run({ vars: { day: 'mon', n: 1, full: true } })).not.toThrow();
  });
});

describe('every public constructor, method and function with props or options is checked', () => {
  const receivers: Record<string, () => object> = {
    FloeJobs: () => {
      const app = new App();
      return new FloeJobs(app, 'jobs', { platform: new FloePlatform(app, 'platform') });
    },
  };

  type Fn = (...a: unknown[]) => unknown;

  /**
   * Calls `entry` with `props` as its props or options (other parameters: a fresh scope, the id
   * 'subject', or left out) and returns its FloePropsError, the path the error must name, and a
   * count of what the call built (0 expected: the check comes first).
   */
  function callWith(
    entry: PropsEntryPoint,
    props: unknown,
  ): { error: FloePropsError; where: string; built: () => number } {
    const chart = scope();
    const args: unknown[] = entry.params.map((name, i) => {
      if (i === entry.index) return props;
      if (name === 'scope') return chart;
      if (name === 'id' || name === 'name') return 'subject';
      if (name === 'field') return 'field';
      return undefined;
    });
    const exported = (api as unknown as Record<string, unknown>)[entry.owner];
    const member = entry.call.split(/[.#]/)[1];
    let call: () => unknown;
    let where: string;
    let built = (): number => chart.node.children.length;
    switch (entry.member) {
      case 'new':
        call = () => new (exported as new (...a: unknown[]) => unknown)(...args);
        where = 'test/subject';
        break;
      case 'static':
      case 'object':
        call = () => (exported as Record<string, Fn>)[member](...args);
        // `fromX(props, path = 'X')`: the default path; factories and builders: the call.
        where = entry.params.includes('path') ? entry.owner : `${entry.call}()`;
        break;
      case 'function':
        call = () => (exported as Fn)(...args);
        where = 'test';
        break;
      case 'method': {
        const make = receivers[entry.owner];
        if (make === undefined) throw new Error(`no receiver for ${entry.call}: add one to the test`);
        const receiver = make() as Construct & Record<string, Fn>;
        call = () => receiver[member](...args);
        where = `${receiver.node.path}/subject`;
        built = () => (receiver.node.tryFindChild('subject') ? 1 : 0);
        break;
      }
    }
    return { error: propsError(call), where, built };
  }

  test('the list is complete: every plugin, chart, provider and step builder', () => {
    const calls = PROPS_ENTRY_POINTS.map((e) => e.call);
    for (const c of [
      'new FloePlatform',
      'new FloeJobs',
      'FloeJobs#addPipeline',
      'new Pipeline',
      'new PostgreSQL',
      'ExternalPostgres.fromEndpoint',
      'new MinIO',
      'MinIO.provider',
      'ExternalS3.provider',
      'ExternalS3.fromBucket',
      'new Polaris',
      'Polaris.provider',
      'ExternalCatalog.provider',
      'ExternalCatalog.fromUri',
      'new OtelCollector',
      'OtelCollector.provider',
      'new Prometheus',
      'Prometheus.provider',
      'new Grafana',
      'Grafana.provider',
      'new Jaeger',
      'Jaeger.provider',
      'new Marquez',
      'Marquez.provider',
      'new Dagster',
      'Dagster.provider',
      'new Cube',
      'Cube.provider',
      'new CubeStore',
      'new PostgresBackup',
      'new DagsterMetricsExporter',
      'new NetworkIsolation',
      'new RuntimePods',
      'new ServiceMonitors',
      'new PlatformAlertRules',
      'new PlatformMonitoring',
      'dbt.run',
      'dbt.test',
      'ingest.dlt',
      'quality.check',
    ]) {
      expect(calls).toContain(c);
    }
  });

  test('every exported class is in the list, or has no props', () => {
    const owners = new Set(PROPS_ENTRY_POINTS.map((e) => e.owner));
    const classes = Object.entries(api)
      .filter(([, v]) => typeof v === 'function' && /^class\b/.test(Function.prototype.toString.call(v)))
      .map(([name]) => name)
      .filter((name) => !owners.has(name))
      .sort();
    // Errors, and the per-construct registry of connections (made by Connections.of(scope)).
    expect(classes).toEqual(['Connections', 'FloePropsError', 'FloeValidationError', 'ObjectCollisionError']);
  });

  const entries = PROPS_ENTRY_POINTS.map((e) => [e.call, e] as const);

  test.each(entries)(
    '%s refuses an unknown prop, naming where, the prop and the known props, before building anything',
    (_call, entry) => {
      const { error, where, built } = callWith(entry, { bogus: 1 });
      const shape = PROPS_SHAPES[entry.shape];
      const known = 'props' in shape ? Object.keys(shape.props).join(', ') : '';
      const field = entry.params.includes('field') ? 'field.bogus' : 'bogus';
      expect(error.message.split('\n')).toContain(
        `${where}: invalid ${field}: got 1, expected one of the known props of ${entry.shape}: ${known}`,
      );
      expect(built()).toBe(0);
    },
  );

  test.each(entries)('%s refuses a value of the wrong kind', (_call, entry) => {
    // Its first prop (in name order), given a value of another kind than its own.
    const shape = PROPS_SHAPES[entry.shape];
    if (!('props' in shape)) throw new Error(`${entry.shape} is not a props type`);
    const [prop, kind] = Object.entries(shape.props)[0];
    const wrong = kind === 'string' ? 1 : 'wrong';
    const { error, where, built } = callWith(entry, { [prop]: wrong });
    const field = entry.params.includes('field') ? `field.${prop}` : prop;
    expect(error.problems.map((p) => [p.constructPath, p.field])).toContainEqual([where, field]);
    expect(built()).toBe(0);
  });
});

describe('the shapes are generated from the declarations and stay internal', () => {
  // That src/core/props-shapes.generated.ts and the entry list are what `npm run props-shapes`
  // writes today is checked by `npm run typecheck` (scripts/typecheck.js), with the program it
  // builds anyway.
  // That no public declaration (.d.ts) refers to the checker or the shapes is checked on the
  // packed package, in test/package-install.e2e.ts (one build of lib/ for all package checks).

  test('the package does not export the checker or the shapes', () => {
    for (const name of ['checkProps', 'checkConstructProps', 'childPath', 'PROPS_SHAPES', 'describe']) {
      expect(Object.keys(api)).not.toContain(name);
    }
    expect(fs.readFileSync(path.join(root, 'src', 'index.ts'), 'utf8')).not.toMatch(/props-(check|shapes)/);
  });
});
