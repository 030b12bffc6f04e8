import { parse } from 'yaml';
import { MetricsBackendPlugin, PlatformDependencies, TracingBackendPlugin } from '../src/plugins/interfaces';
import { Grafana, GrafanaProps } from '../src/plugins/observability/grafana';
import { validateObjects } from './support/k8s-schema';
import { checkPolicy } from './support/policy';
import {
  asArray,
  asJson,
  configMapFile,
  Json,
  workloadContainer,
  thrownValidationError,
} from './support/helpers';
import { findObject, get, K8sObject, synthChart } from './support/synth';

const metrics: MetricsBackendPlugin = {
  queryUrl: 'http://prometheus.floe-platform.svc.cluster.local:9090',
  otlpMetricsUrl: 'http://prometheus.floe-platform.svc.cluster.local:9090/api/v1/otlp/v1/metrics',
  requiredSecrets: [],
};

const tracing: TracingBackendPlugin = {
  otlpGrpcAddress: 'jaeger.floe-platform.svc.cluster.local:4317',
  queryUrl: 'http://jaeger.floe-platform.svc.cluster.local:16686',
  requiredSecrets: [],
};

function synth(props: GrafanaProps = { metrics }): K8sObject[] {
  return synthChart((chart) => new Grafana(chart, 'dashboards', props));
}

function container(objects: K8sObject[]): Json {
  return workloadContainer(objects, 'Deployment', 'grafana');
}

/** A small INI reader: `{ section: { key: value } }`, unquoting `"""..."""`. */
function parseIni(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section = '';
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) {
      continue;
    }
    const header = /^\[(.+)\]$/.exec(trimmed);
    if (header) {
      section = header[1];
      out[section] = out[section] ?? {};
      continue;
    }
    const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(trimmed);
    if (!kv) {
      throw new Error(`not an INI line: ${line}`);
    }
    const value = kv[2].replace(/^"""(.*)"""$/, '$1');
    out[section] = { ...(out[section] ?? {}), [kv[1]]: value };
  }
  return out;
}

function ini(objects: K8sObject[]): Record<string, Record<string, string>> {
  return parseIni(configMapFile(objects, 'grafana', 'grafana.ini'));
}

function datasources(objects: K8sObject[]): Json {
  return asJson(parse(configMapFile(objects, 'grafana-datasources', 'datasources.yaml')));
}

function env(objects: K8sObject[]): Json[] {
  return asArray(container(objects).env).map(asJson);
}

describe('Grafana', () => {
  test('with a Prometheus datasource matches snapshot', () => {
    expect(synth()).toMatchSnapshot();
  });

  test('with Prometheus and Jaeger datasources matches snapshot', () => {
    expect(synth({ metrics, tracing })).toMatchSnapshot();
  });

  test('runs the pinned image as 472 with a read-only root and emptyDirs exactly where it writes', () => {
    const objs = synth();
    const c = container(objs);
    expect(c.image).toBe('docker.io/grafana/grafana:12.3.1');
    expect(get(c, 'securityContext.runAsUser')).toBe(472);
    expect(get(c, 'securityContext.runAsGroup')).toBe(472);
    expect(get(c, 'securityContext.readOnlyRootFilesystem')).toBe(true);
    const podSpec = get(findObject(objs, 'Deployment', 'grafana'), 'spec.template.spec') as Json;
    expect(get(podSpec, 'securityContext.fsGroup')).toBe(472);
    expect(podSpec.automountServiceAccountToken).toBe(false);
    expect(c.volumeMounts).toEqual([
      { name: 'config', mountPath: '/etc/grafana/grafana.ini', subPath: 'grafana.ini', readOnly: true },
      { name: 'datasources', mountPath: '/etc/grafana/provisioning/datasources', readOnly: true },
      { name: 'dashboard-providers', mountPath: '/etc/grafana/provisioning/dashboards', readOnly: true },
      { name: 'dashboards', mountPath: '/var/lib/grafana/dashboards/floe', readOnly: true },
      { name: 'storage', mountPath: '/var/lib/grafana' },
      { name: 'search', mountPath: '/var/lib/grafana-search' },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    expect(podSpec.volumes).toEqual([
      { name: 'config', configMap: { name: 'grafana' } },
      { name: 'datasources', configMap: { name: 'grafana-datasources' } },
      { name: 'dashboard-providers', configMap: { name: 'grafana-dashboard-providers' } },
      { name: 'dashboards', configMap: { name: 'grafana-dashboards' } },
      { name: 'storage', emptyDir: {} },
      { name: 'search', emptyDir: {} },
      { name: 'tmp', emptyDir: {} },
    ]);
  });

  test('grafana.ini: paths, console logging, port and the Grafana 12 search index path', () => {
    expect(ini(synth())).toEqual({
      log: { mode: 'console' },
      paths: {
        data: '/var/lib/grafana',
        logs: '/var/log/grafana',
        plugins: '/var/lib/grafana/plugins',
        provisioning: '/etc/grafana/provisioning',
      },
      server: { http_port: '3000' },
      unified_storage: { index_path: '/var/lib/grafana-search/bleve' },
    });
  });

  test('every writable path in grafana.ini is on an emptyDir', () => {
    const cfg = ini(synth());
    const mounts = (container(synth()).volumeMounts as { mountPath: string; readOnly?: boolean }[])
      .filter((m) => !m.readOnly)
      .map((m) => m.mountPath);
    const under = (p: string): boolean => mounts.some((m) => p === m || p.startsWith(`${m}/`));
    expect(under(cfg.paths.data)).toBe(true);
    expect(under(cfg.paths.plugins)).toBe(true);
    expect(under(cfg.unified_storage.index_path)).toBe(true);
    // Logs go to the console only, so /var/log/grafana is never written.
    expect(cfg.log.mode).toBe('console');
  });

  test('admin credentials come from Secret grafana-admin; analytics and update checks are off', () => {
    const e = env(synth());
    expect(e).toContainEqual({
      name: 'GF_SECURITY_ADMIN_USER',
      valueFrom: { secretKeyRef: { name: 'grafana-admin', key: 'admin-user' } },
    });
    expect(e).toContainEqual({
      name: 'GF_SECURITY_ADMIN_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'grafana-admin', key: 'admin-password' } },
    });
    expect(e).toContainEqual({ name: 'GF_ANALYTICS_REPORTING_ENABLED', value: 'false' });
    expect(e).toContainEqual({ name: 'GF_ANALYTICS_CHECK_FOR_UPDATES', value: 'false' });
    expect(e).toContainEqual({ name: 'GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES', value: 'false' });
    expect(e.filter((v) => typeof v.value === 'string' && /password/i.test(String(v.name)))).toEqual([]);
    const other = env(synth({ metrics, adminSecretName: 'ops-grafana' }));
    expect(get(other[0], 'valueFrom.secretKeyRef.name')).toBe('ops-grafana');
  });

  test('serves on port grafana 3000 with /api/health probes, behind Service grafana:3000', () => {
    const objs = synth();
    const c = container(objs);
    expect(c.ports).toEqual([{ name: 'grafana', containerPort: 3000, protocol: 'TCP' }]);
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      expect(get(c, `${probe}.httpGet`)).toEqual({ path: '/api/health', port: 'grafana' });
    }
    expect(get(c, 'livenessProbe.timeoutSeconds')).toBe(30);
    expect(get(c, 'livenessProbe.failureThreshold')).toBe(10);
    // The startup probe allows 5 minutes for migrations before liveness applies.
    expect(
      Number(get(c, 'startupProbe.periodSeconds')) * Number(get(c, 'startupProbe.failureThreshold')),
    ).toBe(300);
    const svc = findObject(objs, 'Service', 'grafana');
    expect(get(svc, 'spec.ports')).toEqual([
      { name: 'http', port: 3000, targetPort: 'grafana', protocol: 'TCP', appProtocol: 'http' },
    ]);
    expect(get(svc, 'spec.selector')).toEqual(
      get(findObject(objs, 'Deployment', 'grafana'), 'spec.selector.matchLabels'),
    );
    expect(get(findObject(objs, 'Deployment', 'grafana'), 'spec.replicas')).toBe(1);
  });

  test('the Service opts in to Prometheus scraping of /metrics on 3000, unless turned off', () => {
    expect(findObject(synth(), 'Service', 'grafana').metadata.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/path': '/metrics',
      'prometheus.io/port': '3000',
    });
    expect(
      findObject(synth({ metrics, scrapeMetrics: false }), 'Service', 'grafana').metadata.annotations,
    ).toBeUndefined();
  });

  test('provisions Prometheus as the default datasource', () => {
    expect(datasources(synth())).toEqual({
      apiVersion: 1,
      datasources: [
        {
          name: 'Prometheus',
          type: 'prometheus',
          uid: 'prometheus',
          access: 'proxy',
          url: 'http://prometheus.floe-platform.svc.cluster.local:9090',
          isDefault: true,
          editable: false,
        },
      ],
    });
  });

  test('adds a Jaeger datasource when a tracing backend is given', () => {
    const list = datasources(synth({ metrics, tracing })).datasources as Json[];
    expect(list.map((d) => d.type)).toEqual(['prometheus', 'jaeger']);
    expect(list[1]).toEqual({
      name: 'Jaeger',
      type: 'jaeger',
      uid: 'jaeger',
      access: 'proxy',
      url: 'http://jaeger.floe-platform.svc.cluster.local:16686',
      isDefault: false,
      editable: false,
    });
    expect(list.filter((d) => d.isDefault === true)).toHaveLength(1);
  });

  test('without backends the provisioning file is valid and empty', () => {
    expect(datasources(synth({}))).toEqual({ apiVersion: 1, datasources: [] });
    expect(datasources(synth({ tracing })).datasources).toEqual([expect.objectContaining({ uid: 'jaeger' })]);
  });

  test('a config or datasource change changes the pod checksum', () => {
    const checksum = (objs: K8sObject[]): unknown =>
      get(findObject(objs, 'Deployment', 'grafana'), 'spec.template.metadata.annotations.checksum/config');
    expect(checksum(synth())).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(synth())).toBe(checksum(synth()));
    expect(checksum(synth({ metrics, tracing }))).not.toBe(checksum(synth()));
    expect(checksum(synth({ metrics, rootUrl: 'https://grafana.example.com/' }))).not.toBe(checksum(synth()));
  });

  test('rootUrl, plugin preinstall and further settings are rendered into grafana.ini', () => {
    const cfg = ini(
      synth({
        metrics,
        rootUrl: 'https://grafana.example.com/',
        preinstallPlugins: false,
        settings: {
          'auth.anonymous': { enabled: true, org_role: 'Viewer' },
          'auth.generic_oauth': { client_secret: '$__env{OIDC_SECRET}', token_url: 'https://idp/token' },
          smtp: { from_name: 'Grafana; floe' },
        },
      }),
    );
    expect(cfg.server).toEqual({ http_port: '3000', root_url: 'https://grafana.example.com/' });
    expect(cfg.plugins).toEqual({ preinstall_disabled: 'true' });
    expect(cfg['auth.anonymous']).toEqual({ enabled: 'true', org_role: 'Viewer' });
    expect(cfg['auth.generic_oauth']).toEqual({
      client_secret: '$__env{OIDC_SECRET}',
      token_url: 'https://idp/token',
    });
    expect(cfg.smtp).toEqual({ from_name: 'Grafana; floe' });
    expect(
      configMapFile(synth({ metrics, settings: { smtp: { from_name: 'a;b' } } }), 'grafana', 'grafana.ini'),
    ).toContain('from_name = """a;b"""');
    expect(ini(synth()).plugins).toBeUndefined();
  });

  test('secretEnv adds Secret-backed variables and lists their Secrets as prerequisites', () => {
    let grafana: Grafana | undefined;
    const objs = synthChart((chart) => {
      grafana = new Grafana(chart, 'dashboards', {
        metrics,
        secretEnv: { OIDC_SECRET: { name: 'oidc', key: 'client-secret' } },
      });
    });
    expect(env(objs)).toContainEqual({
      name: 'OIDC_SECRET',
      valueFrom: { secretKeyRef: { name: 'oidc', key: 'client-secret' } },
    });
    expect(grafana?.requiredSecrets).toEqual([
      expect.objectContaining({ name: 'grafana-admin', keys: ['admin-user', 'admin-password'] }),
      expect.objectContaining({ name: 'oidc', keys: ['client-secret'] }),
    ]);
    expect(grafana?.url).toBe('http://grafana.floe-platform.svc.cluster.local:3000');
    expect(grafana?.apiObjects.map((o) => `${o.kind}/${o.name}`)).toEqual([
      'ConfigMap/grafana',
      'ConfigMap/grafana-datasources',
      'ConfigMap/grafana-dashboard-providers',
      'ConfigMap/grafana-dashboards',
      'Service/grafana',
      'ServiceAccount/grafana',
      'Deployment/grafana',
    ]);
  });

  test('provider wires the platform metrics and tracing backends', () => {
    const deps: PlatformDependencies = {
      platformName: 'acme',
      imageRegistry: 'mirror.example.com',
      metrics,
      tracing,
    };
    let grafana: Grafana | undefined;
    const objs = synthChart((chart) => {
      grafana = Grafana.provider({ rootUrl: 'https://g.example.com/' }).provide(chart, 'dashboards', deps);
    });
    expect(grafana).toBeInstanceOf(Grafana);
    expect((datasources(objs).datasources as Json[]).map((d) => d.url)).toEqual([
      metrics.queryUrl,
      tracing.queryUrl,
    ]);
    expect(container(objs).image).toBe('mirror.example.com/grafana/grafana:12.3.1');
    expect(findObject(objs, 'Deployment', 'grafana').metadata.labels?.['app.kubernetes.io/part-of']).toBe(
      'acme',
    );
    expect(ini(objs).server.root_url).toBe('https://g.example.com/');
  });

  test('every object passes strict Kubernetes 1.28 schema validation', () => {
    expect(validateObjects(synth({ metrics, tracing }))).toEqual([]);
  });

  test('meets the restricted policy; the admin Secret is the only prerequisite', () => {
    expect(checkPolicy(synth({ metrics, tracing }), { prerequisiteSecrets: ['grafana-admin'] })).toEqual([]);
    expect(checkPolicy(synth())).toEqual([
      'Deployment/grafana: env GF_SECURITY_ADMIN_USER reads Secret grafana-admin, neither produced nor a prerequisite',
      'Deployment/grafana: env GF_SECURITY_ADMIN_PASSWORD reads Secret grafana-admin, neither produced nor a prerequisite',
    ]);
  });

  test.each<[GrafanaProps, RegExp]>([
    [
      { replicas: 2 },
      /dashboards: invalid replicas: got 2, expected 1 \(each pod would have its own SQLite database/,
    ],
    [{ replicas: 0 }, /invalid replicas: got 0, expected an integer >= 1/],
    [{ name: 'Grafana' }, /invalid name: got "Grafana", expected a DNS-1123 label/],
    [
      { adminSecretName: 'Admin_Secret' },
      /invalid adminSecretName: got "Admin_Secret", expected a DNS-1123 subdomain/,
    ],
    [
      { rootUrl: 'grafana.example.com' },
      /invalid rootUrl: got "grafana.example.com", expected an http\(s\) URL/,
    ],
    [
      { settings: { paths: { data: '/data' } } },
      /invalid settings.paths.data: got "\/data", expected a setting the construct does not manage/,
    ],
    [{ settings: { log: { mode: 'file' } } }, /invalid settings.log.mode/],
    [{ settings: { security: { admin_password: 'x' } } }, /invalid settings.security.admin_password/],
    [
      { settings: { database: { password: 'hunter2' } } },
      /invalid settings.database.password: got "<redacted>", expected a reference, \$__env\{VAR\}/,
    ],
    [{ settings: { 'bad section': { a: 'b' } } }, /invalid settings: got "bad section"/],
    [{ settings: { smtp: { 'Bad-Key': 'b' } } }, /invalid settings.smtp.Bad-Key/],
    [
      { settings: { smtp: { host: 'a\nb' } } },
      /invalid settings.smtp.host: got "a\\nb", expected a single-line value/,
    ],
    [
      { secretEnv: { GF_SECURITY_ADMIN_PASSWORD: { name: 's', key: 'k' } } },
      /invalid secretEnv.GF_SECURITY_ADMIN_PASSWORD: .*expected a variable the construct does not set itself/,
    ],
    [{ secretEnv: { OK: { name: 'Bad_Name', key: 'k' } } }, /invalid secretEnv.OK.name: got "Bad_Name"/],
    [
      { extraEnv: { GF_ANALYTICS_REPORTING_ENABLED: 'true' } },
      /invalid extraEnv.GF_ANALYTICS_REPORTING_ENABLED/,
    ],
    [{ image: { tag: 'latest' } }, /invalid image.tag: got "latest", expected a pinned tag/],
  ])('rejects %j', (props, message) => {
    expect(() => synth({ metrics, ...props })).toThrow(message);
  });

  test('the secret refusal never echoes the value', () => {
    const e = thrownValidationError(() =>
      synth({ metrics, settings: { database: { password: 'hunter2' } } }),
    );
    expect(e.message).not.toContain('hunter2');
    expect(e.field).toBe('settings.database.password');
    expect(e.constructPath).toBe('test/dashboards');
  });
});
