import { Testing } from 'cdk8s';
import { FloePlatform, FloePlatformProps } from '../src/platform/floe-platform';
import { ExternalCatalog } from '../src/plugins/catalog/external-catalog';
import { Jaeger } from '../src/plugins/observability/jaeger';
import { Marquez } from '../src/plugins/observability/marquez';
import { expectValidationError } from './support/helpers';
import { validateObjects } from './support/k8s-schema';
import { checkPolicy } from './support/policy';
import { findObject, get, K8sObject } from './support/synth';

function build(props: FloePlatformProps): { platform: FloePlatform; objects: K8sObject[] } {
  const app = Testing.app();
  const platform = new FloePlatform(app, 'platform', props);
  return { platform, objects: Testing.synth(platform) as K8sObject[] };
}

const EVERY_SLOT: FloePlatformProps = {
  lineage: Marquez.provider(),
  tracing: Jaeger.provider(),
  ingress: {
    orchestrator: {
      host: 'dagster.platform.example.com',
      className: 'nginx',
      tlsSecretName: 'dagster-tls',
      annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt-prod' },
    },
    catalog: { host: 'polaris.platform.example.com', tlsSecretName: 'polaris-tls' },
    semantic: { host: 'cube.platform.example.com' },
    storage: { host: 's3.platform.example.com' },
    dashboards: { host: 'grafana.platform.example.com' },
    lineage: { host: 'lineage.platform.example.com' },
    tracing: { host: 'jaeger.platform.example.com' },
    metrics: { host: 'prometheus.platform.example.com' },
  },
};

describe('FloePlatform ingress', () => {
  const { platform, objects } = build(EVERY_SLOT);
  const ingresses = objects.filter((o) => o.kind === 'Ingress');

  test('one Ingress per requested slot, each sending / to the service port', () => {
    const routes = Object.fromEntries(
      ingresses.map((i) => [
        get(i, 'spec.rules.0.host'),
        `${String(get(i, 'spec.rules.0.http.paths.0.backend.service.name'))}:${String(
          get(i, 'spec.rules.0.http.paths.0.backend.service.port.number'),
        )}`,
      ]),
    );
    expect(routes).toEqual({
      'dagster.platform.example.com': 'dagster-webserver:3000',
      'polaris.platform.example.com': 'polaris:8181',
      'cube.platform.example.com': 'cube:4000',
      's3.platform.example.com': 'minio:9000',
      'grafana.platform.example.com': 'grafana:3000',
      'lineage.platform.example.com': 'marquez-web:3000',
      'jaeger.platform.example.com': 'jaeger:16686',
      'prometheus.platform.example.com': 'prometheus:9090',
    });
    for (const i of ingresses) {
      expect(get(i, 'spec.rules.0.http.paths.0.pathType')).toBe('Prefix');
      expect(get(i, 'spec.rules.0.http.paths.0.path')).toBe('/');
    }
  });

  test('className, TLS and annotations as given', () => {
    const dagster = findObject(objects, 'Ingress', 'dagster-webserver');
    expect(get(dagster, 'spec.ingressClassName')).toBe('nginx');
    expect(get(dagster, 'spec.tls')).toEqual([
      { hosts: ['dagster.platform.example.com'], secretName: 'dagster-tls' },
    ]);
    expect(dagster.metadata.annotations).toEqual({ 'cert-manager.io/cluster-issuer': 'letsencrypt-prod' });
    const polaris = findObject(objects, 'Ingress', 'polaris');
    expect(get(polaris, 'spec.ingressClassName')).toBeUndefined();
    expect(polaris.metadata.annotations).toBeUndefined();
  });

  test('Ingresses carry the labels of what they expose, with component ingress', () => {
    const dagster = findObject(objects, 'Ingress', 'dagster-webserver');
    expect(dagster.metadata.labels?.['app.kubernetes.io/name']).toBe('dagster');
    expect(dagster.metadata.labels?.['app.kubernetes.io/component']).toBe('ingress');
  });

  test('a TLS Secret is a prerequisite unless cert-manager writes it', () => {
    const names = platform.requiredSecrets.map((s) => s.name);
    expect(names).toContain('polaris-tls');
    expect(names).not.toContain('dagster-tls');
    expect(platform.prerequisiteCommands()).toContain(
      'kubectl -n floe-platform create secret tls polaris-tls --cert=./tls.crt --key=./tls.key',
    );
  });

  test('the output passes the strict schema and the policy check (backends resolve)', () => {
    expect(validateObjects(objects)).toEqual([]);
    expect(
      checkPolicy(objects, {
        prerequisiteSecrets: platform.requiredSecrets.map((s) => s.name),
        prerequisiteConfigMaps: platform.requiredConfigMaps,
      }),
    ).toEqual([]);
  });

  test('Ingresses come after every workload in the output', () => {
    const kinds = objects.map((o) => o.kind);
    expect(kinds.indexOf('Ingress')).toBeGreaterThan(kinds.lastIndexOf('Deployment'));
  });

  test('the policy check catches an Ingress whose Service does not exist', () => {
    const broken = objects.map((o) =>
      o.kind === 'Ingress' && o.metadata.name === 'polaris'
        ? {
            ...o,
            spec: {
              rules: [{ http: { paths: [{ backend: { service: { name: 'nope', port: { number: 1 } } } }] } }],
            },
          }
        : o,
    );
    expect(
      checkPolicy(broken, {
        prerequisiteSecrets: platform.requiredSecrets.map((s) => s.name),
        prerequisiteConfigMaps: platform.requiredConfigMaps,
      }),
    ).toEqual(['Ingress/polaris: Service floe-platform/nope is not produced']);
  });
});

describe('FloePlatform ingress validation', () => {
  test('a slot that is not deployed is refused', () => {
    expectValidationError(
      () => build({ ingress: { lineage: { host: 'lineage.example.com' } } }),
      `platform: invalid ingress.lineage: got {"host":"lineage.example.com"}, expected no Ingress: the lineage slot has no HTTP service in this chart (it is 'none' or outside the cluster)`,
    );
  });

  test('an external catalog cannot get an Ingress', () => {
    expectValidationError(
      () =>
        build({
          catalog: ExternalCatalog.provider({
            catalogUri: 'https://polaris.example.com/api/catalog',
            warehouse: 'w',
          }),
          ingress: { catalog: {} },
        }),
      "platform: invalid ingress.catalog: got {}, expected no Ingress: the catalog slot has no HTTP service in this chart (it is 'none' or outside the cluster)",
    );
  });

  test('TLS without a host, a bad host and a bad annotation key are refused', () => {
    expectValidationError(
      () => build({ ingress: { orchestrator: { tlsSecretName: 'tls' } } }),
      'platform/exposure: invalid ingress.orchestrator.host: got undefined, expected a host name when tlsSecretName is set (the certificate is for a host)',
    );
    expectValidationError(
      () => build({ ingress: { orchestrator: { host: 'Dagster.Example.com' } } }),
      `platform/exposure: invalid ingress.orchestrator.host: got "Dagster.Example.com", expected a host name: a DNS-1123 subdomain such as 'dagster.example.com', optionally starting with '*.'`,
    );
    expectValidationError(
      () => build({ ingress: { orchestrator: { annotations: { 'bad key': 'x' } } } }),
      `platform/exposure: invalid ingress.orchestrator.annotations: got "bad key", expected annotation keys of the form 'prefix/name' or 'name' (name: at most 63 letters, digits, '-', '_' or '.')`,
    );
  });
});
