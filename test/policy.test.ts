import { checkPolicy } from './support/policy';
import { K8sObject } from './support/synth';

const labels = {
  'app.kubernetes.io/name': 'web',
  'app.kubernetes.io/instance': 'web',
  'app.kubernetes.io/component': 'server',
  'app.kubernetes.io/part-of': 'floe',
  'app.kubernetes.io/managed-by': 'cdk8s',
  'app.kubernetes.io/version': '1.0.0',
};
const selector = {
  'app.kubernetes.io/name': 'web',
  'app.kubernetes.io/instance': 'web',
  'app.kubernetes.io/component': 'server',
};

function deployment(container: Record<string, unknown>, podSpec: Record<string, unknown> = {}): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'ns', labels },
    spec: {
      selector: { matchLabels: selector },
      template: {
        metadata: { labels },
        spec: {
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 1000,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [container],
          ...podSpec,
        },
      },
    },
  };
}

const good = {
  name: 'web',
  image: 'example.com/web:1.0.0',
  ports: [{ name: 'http', containerPort: 8080 }],
  resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
  readinessProbe: { httpGet: { path: '/ready', port: 'http' } },
  livenessProbe: { httpGet: { path: '/live', port: 'http' } },
  securityContext: {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  },
};

const service: K8sObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'ns', labels },
  spec: { selector, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
};

describe('checkPolicy', () => {
  test('accepts a hardened, probed, labelled workload and its Service', () => {
    expect(checkPolicy([deployment(good), service])).toEqual([]);
  });

  test('reports each restricted-profile violation', () => {
    const bad = {
      ...good,
      image: 'example.com/web:latest',
      ports: [{ name: 'http', containerPort: 8080, hostPort: 80 }],
      securityContext: { runAsUser: 0, capabilities: { add: ['NET_ADMIN'] } },
    };
    expect(
      checkPolicy([
        deployment(bad, { hostNetwork: true, volumes: [{ name: 'h', hostPath: { path: '/' } }] }),
      ]),
    ).toEqual([
      'Deployment/web: hostNetwork is not allowed',
      'Deployment/web: volume h of type hostPath is not allowed',
      'Deployment/web container web: allowPrivilegeEscalation must be false',
      'Deployment/web container web: capabilities must drop ALL',
      'Deployment/web container web: capability NET_ADMIN may not be added',
      'Deployment/web container web: runAsUser 0',
      'Deployment/web container web: readOnlyRootFilesystem must be true',
      'Deployment/web container web: hostPort is not allowed',
      'Deployment/web container web: image example.com/web:latest is not pinned to a tag',
    ]);
  });

  test('requires resources and, for serving containers, probes on declared ports', () => {
    const bad = {
      ...good,
      resources: { requests: { cpu: '1' } },
      readinessProbe: { httpGet: { path: '/', port: 'web' } },
    };
    delete (bad as Record<string, unknown>).livenessProbe;
    expect(checkPolicy([deployment(bad)])).toEqual([
      'Deployment/web container web: needs cpu and memory requests',
      'Deployment/web container web: needs a memory limit',
      'Deployment/web container web: serves a port but has no livenessProbe',
      'Deployment/web container web: readinessProbe targets port web, which the container does not declare',
    ]);
  });

  test('reports Services that select nothing or target a missing port, and unresolved references', () => {
    const svc = { ...service, spec: { selector, ports: [{ name: 'x', port: 80, targetPort: 'metrics' }] } };
    const orphan = {
      ...service,
      metadata: { ...service.metadata, name: 'orphan' },
      spec: { selector: { a: 'b' } },
    };
    const withRefs = deployment(
      { ...good, env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'pw', key: 'k' } } }] },
      { serviceAccountName: 'robot', volumes: [{ name: 'c', configMap: { name: 'conf' } }] },
    );
    expect(checkPolicy([withRefs, svc, orphan], { prerequisiteConfigMaps: [] })).toEqual([
      'Deployment/web: ServiceAccount robot is neither produced nor a prerequisite',
      'Deployment/web: ConfigMap conf is neither produced nor a prerequisite',
      'Deployment/web: env P reads Secret pw, neither produced nor a prerequisite',
      'Service/web: targetPort metrics does not exist on Deployment/web',
      'Service/orphan: selects no pods',
    ]);
  });

  test('requires the recommended labels and a version-free selector', () => {
    const d = deployment(good);
    d.metadata.labels = { 'app.kubernetes.io/name': 'web' };
    (d.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels = {
      ...selector,
      'app.kubernetes.io/version': '1.0.0',
    };
    const errors = checkPolicy([d]);
    expect(errors).toContain('Deployment/web: missing label app.kubernetes.io/part-of');
    expect(errors).toContain('Deployment/web: selector uses the version label');
  });
});
