import { createHash } from 'crypto';
import { checkPolicy, compareQuantities, configMapsChecksum, parseQuantity } from './support/policy';
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
          serviceAccountName: 'web',
          automountServiceAccountToken: false,
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

const account: K8sObject = {
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name: 'web', namespace: 'ns', labels },
  automountServiceAccountToken: false,
};

const service: K8sObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'ns', labels },
  spec: { selector, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
};

describe('checkPolicy', () => {
  test('accepts a hardened, probed, labelled workload and its Service', () => {
    expect(checkPolicy([deployment(good), account, service])).toEqual([]);
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
        account,
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
    expect(checkPolicy([deployment(bad), account])).toEqual([
      'Deployment/web container web: needs cpu and memory requests',
      'Deployment/web container web: needs a memory limit',
      'Deployment/web container web: serves a port but has no livenessProbe',
      'Deployment/web container web: readinessProbe targets port web, which the container does not declare',
    ]);
  });

  test('a probe has exactly one handler, as the API server requires', () => {
    const bad = {
      ...good,
      readinessProbe: {},
      livenessProbe: { httpGet: { path: '/live', port: 'http' }, tcpSocket: { port: 'http' } },
      startupProbe: { exec: { command: ['true'] } },
    };
    expect(checkPolicy([deployment(bad), account, service])).toEqual([
      'Deployment/web container web: readinessProbe must have exactly one handler (exec, httpGet, tcpSocket, grpc), has none',
      'Deployment/web container web: livenessProbe must have exactly one handler (exec, httpGet, tcpSocket, grpc), has httpGet and tcpSocket',
    ]);
  });

  test('a limit below its request is reported, compared exactly across units', () => {
    const withResources = (requests: Record<string, unknown>, limits: Record<string, unknown>): string[] =>
      checkPolicy([deployment({ ...good, resources: { requests, limits } }), account, service]);
    expect(withResources({ cpu: '100m', memory: '128Mi' }, { cpu: '50m', memory: '64Mi' })).toEqual([
      'Deployment/web container web: cpu limit 50m is below its request 100m',
      'Deployment/web container web: memory limit 64Mi is below its request 128Mi',
    ]);
    // Equal values in other units pass; one unit less fails.
    expect(withResources({ cpu: '0.5', memory: '1Gi' }, { cpu: '500m', memory: 1073741824 })).toEqual([]);
    expect(withResources({ cpu: 1, memory: '1G' }, { cpu: '1000m', memory: '1000M' })).toEqual([]);
    expect(withResources({ cpu: '100m', memory: '1Gi' }, { cpu: '1', memory: '1073741823' })).toEqual([
      'Deployment/web container web: memory limit 1073741823 is below its request 1Gi',
    ]);
    expect(withResources({ cpu: '100m', memory: '1000Mi' }, { memory: '1G' })).toEqual([
      'Deployment/web container web: memory limit 1G is below its request 1000Mi',
    ]);
    expect(withResources({ cpu: '100m', memory: '64Mi' }, { memory: 'lots' })).toEqual([
      'Deployment/web container web: memory request 64Mi or limit lots is not a quantity',
    ]);
  });

  test('quantities are parsed exactly: suffixes, exponents, fractions', () => {
    const q = (text: unknown): string | undefined => {
      const v = parseQuantity(text);
      return v === undefined ? undefined : `${v.numerator}/${v.denominator}`;
    };
    expect(q('500m')).toBe('500/1000');
    expect(q('1.5Gi')).toBe(`${15n * 1024n ** 3n}/10`);
    expect(q('1e3')).toBe('1000/1');
    expect(q('2E-2')).toBe('2/100');
    expect(q('.5')).toBe('5/10');
    expect(q(0.25)).toBe('25/100');
    expect(q('12Mi')).toBe(`${12n * 1024n ** 2n}/1`);
    for (const bad of ['', 'Mi', '1.2.3', '1 Gi', '1gi', '1Kb', null, {}]) expect(q(bad)).toBeUndefined();
    const cmp = (a: string, b: string): number =>
      compareQuantities(parseQuantity(a) as never, parseQuantity(b) as never);
    expect([cmp('1Ki', '1k'), cmp('1k', '1Ki'), cmp('0.1', '100m')]).toEqual([1, -1, 0]);
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
    const errors = checkPolicy([d, account]);
    expect(errors).toContain('Deployment/web: missing label app.kubernetes.io/part-of');
    expect(errors).toContain('Deployment/web: selector uses the version label');
  });

  describe('availability', () => {
    const spread = [
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: selector },
      },
    ];
    const scaled = (replicas: number | undefined, podSpec: Record<string, unknown> = {}): K8sObject => {
      const d = deployment(good, podSpec);
      const spec = d.spec as Record<string, unknown>;
      return { ...d, spec: replicas === undefined ? spec : { ...spec, replicas } };
    };
    const pdb = (
      budget: Record<string, unknown>,
      matchLabels: Record<string, string> = selector,
    ): K8sObject => ({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web', namespace: 'ns', labels },
      spec: { ...budget, selector: { matchLabels } },
    });
    const hpa = (name: string, min = 2): K8sObject => ({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'ns', labels },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: min,
        maxReplicas: 5,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
          },
        ],
      },
    });

    test('a multi-replica workload with one budget and a spread passes; a single pod needs neither', () => {
      expect(
        checkPolicy([scaled(3, { topologySpreadConstraints: spread }), pdb({ minAvailable: 1 }), account]),
      ).toEqual([]);
      expect(checkPolicy([scaled(1), account])).toEqual([]);
    });

    test('a multi-replica workload without budget or spread is reported', () => {
      expect(checkPolicy([scaled(3), account])).toEqual([
        'Deployment/web: runs 3 pods but has 0 PodDisruptionBudgets (expected 1)',
        'Deployment/web: runs 3 pods but no topology spread constraint selects them',
      ]);
      expect(
        checkPolicy([scaled(3), account], { requireDisruptionBudgets: false, requireTopologySpread: false }),
      ).toEqual([]);
    });

    test('a spread constraint that selects other pods does not count', () => {
      const other = [{ ...spread[0], labelSelector: { matchLabels: { app: 'other' } } }];
      expect(
        checkPolicy([scaled(3, { topologySpreadConstraints: other }), pdb({ minAvailable: 1 }), account]),
      ).toEqual(['Deployment/web: runs 3 pods but no topology spread constraint selects them']);
    });

    test('a budget that blocks every eviction, selects nothing or selects several workloads is reported', () => {
      const ok = scaled(2, { topologySpreadConstraints: spread });
      expect(checkPolicy([ok, pdb({ minAvailable: 2 }), account])).toEqual([
        'PodDisruptionBudget/web: minAvailable 2 with 2 pods of Deployment/web blocks every eviction',
      ]);
      expect(checkPolicy([ok, pdb({ maxUnavailable: 0 }), account])).toEqual([
        'PodDisruptionBudget/web: maxUnavailable 0 blocks every eviction',
      ]);
      expect(checkPolicy([ok, pdb({ minAvailable: 1 }, { app: 'gone' }), account])).toEqual([
        'PodDisruptionBudget/web: selects no pods of a produced workload',
        'Deployment/web: runs 2 pods but has 0 PodDisruptionBudgets (expected 1)',
      ]);
      const twin = scaled(1);
      twin.metadata = { ...twin.metadata, name: 'twin' };
      const broad = { 'app.kubernetes.io/name': 'web' };
      expect(checkPolicy([ok, twin, pdb({ minAvailable: 1 }, broad), account])).toEqual([
        'PodDisruptionBudget/web: selects the pods of several workloads (Deployment/web, Deployment/twin)',
        'PodDisruptionBudget/web: minAvailable 1 with 1 pods of Deployment/twin blocks every eviction',
      ]);
    });

    test('an autoscaled workload needs no replicas, a budget within its minimum and a spread', () => {
      const target = scaled(undefined, { topologySpreadConstraints: spread });
      expect(checkPolicy([target, hpa('web'), pdb({ minAvailable: 1 }), account])).toEqual([]);
      expect(checkPolicy([scaled(undefined), hpa('web'), account])).toEqual([
        'Deployment/web: runs 5 pods but has 0 PodDisruptionBudgets (expected 1)',
        'Deployment/web: runs 5 pods but no topology spread constraint selects them',
      ]);
      expect(checkPolicy([target, hpa('web', 1), pdb({ minAvailable: 1 }), account])).toEqual([
        'PodDisruptionBudget/web: minAvailable 1 with 1 pods of Deployment/web blocks every eviction',
      ]);
    });

    test('an autoscaler must target a produced workload that sets no replicas and requests CPU', () => {
      const target = scaled(2, { topologySpreadConstraints: spread });
      expect(checkPolicy([target, hpa('web'), pdb({ minAvailable: 1 }), account])).toEqual([
        'Deployment/web: sets spec.replicas although HorizontalPodAutoscaler/web owns its replica count',
      ]);
      expect(checkPolicy([target, hpa('missing'), pdb({ minAvailable: 1 }), account])).toEqual([
        'HorizontalPodAutoscaler/web: targets Deployment/missing, which is not produced',
      ]);
      const noCpu = deployment(
        { ...good, resources: { requests: { memory: '64Mi' }, limits: { memory: '128Mi' } } },
        { topologySpreadConstraints: spread },
      );
      expect(checkPolicy([noCpu, hpa('web'), pdb({ minAvailable: 1 }), account])).toContain(
        'HorizontalPodAutoscaler/web: scales on CPU but container web of Deployment/web requests none',
      );
    });
  });

  describe('ServiceAccounts', () => {
    test("a pod on the namespace's default account is reported unless that is allowed", () => {
      const d = deployment(good, { serviceAccountName: undefined });
      expect(checkPolicy([d])).toEqual([
        "Deployment/web: runs as the namespace's default ServiceAccount, not one of its own",
      ]);
      expect(checkPolicy([d], { requireServiceAccounts: false })).toEqual([]);
    });

    test('only allowed API clients mount a token, from the pod or from the account', () => {
      const mounting = deployment(good, { automountServiceAccountToken: true });
      expect(checkPolicy([mounting, account])).toEqual([
        'Deployment/web: mounts a Kubernetes API token but does not call the API',
      ]);
      expect(checkPolicy([mounting, account], { apiClients: ['Deployment/web'] })).toEqual([]);
      // Unset on the pod: the account decides; unset there too means a token.
      const unset = deployment(good, { automountServiceAccountToken: undefined });
      expect(checkPolicy([unset, account])).toEqual([]);
      expect(checkPolicy([unset, { ...account, automountServiceAccountToken: undefined }])).toEqual([
        'Deployment/web: mounts a Kubernetes API token but does not call the API',
      ]);
    });
  });

  describe('Secrets written in the cluster', () => {
    // A Job in `platform` writes Secret `creds` in `ns` through a Role bound to its account; a
    // Deployment in `ns` reads it.
    const reader = deployment({
      ...good,
      env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }],
    });
    const writerJob: K8sObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'x-catalog-access', namespace: 'platform', labels },
      spec: {
        template: {
          metadata: { labels },
          spec: {
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 1000,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            serviceAccountName: 'writer',
            automountServiceAccountToken: true,
            restartPolicy: 'Never',
            containers: [{ ...good, readinessProbe: undefined, livenessProbe: undefined, ports: undefined }],
          },
        },
      },
    };
    const writerAccount: K8sObject = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'writer', namespace: 'platform', labels },
      automountServiceAccountToken: false,
    };
    const role = (rules: unknown[]): K8sObject => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'w', namespace: 'ns', labels },
      rules,
    });
    const binding = (subjectNamespace: string): K8sObject => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'w', namespace: 'ns', labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'w' },
      subjects: [{ kind: 'ServiceAccount', name: 'writer', namespace: subjectNamespace }],
    });
    const rules = [
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['creds'], verbs: ['get', 'patch'] },
    ];
    const missing = 'Deployment/web: env P reads Secret creds, neither produced nor a prerequisite';

    test('a Secret a Job of the set writes through a bound Role counts as produced', () => {
      expect(
        checkPolicy([reader, account, writerJob, writerAccount, role(rules), binding('platform')]),
      ).toEqual([]);
    });

    test('not without the binding to that Job, the create right, or the right on that name', () => {
      expect(checkPolicy([reader, account, writerJob, writerAccount, role(rules)])).toContain(missing);
      expect(
        checkPolicy([reader, account, writerJob, writerAccount, role(rules), binding('elsewhere')]),
      ).toContain(missing);
      expect(
        checkPolicy([reader, account, writerJob, writerAccount, role(rules.slice(1)), binding('platform')]),
      ).toContain(missing);
      const otherName = [rules[0], { ...rules[1], resourceNames: ['other'] }];
      expect(
        checkPolicy([reader, account, writerJob, writerAccount, role(otherName), binding('platform')]),
      ).toContain(missing);
      const noToken = {
        ...writerJob,
        spec: { template: { ...(writerJob.spec as { template: { spec: object } }).template } },
      };
      (noToken.spec.template as { spec: Record<string, unknown> }).spec = {
        ...(writerJob.spec as { template: { spec: object } }).template.spec,
        automountServiceAccountToken: false,
      };
      expect(
        checkPolicy([reader, account, noToken, writerAccount, role(rules), binding('platform')]),
      ).toContain(missing);
    });

    test('the catalog access Jobs are API clients by default (a `*` entry); others are not', () => {
      const other = { ...writerJob, metadata: { ...writerJob.metadata, name: 'x-other' } };
      expect(checkPolicy([reader, account, other, writerAccount, role(rules), binding('platform')])).toEqual([
        'Job/x-other: mounts a Kubernetes API token but does not call the API',
      ]);
    });
  });

  describe('config checksums', () => {
    const config: K8sObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'conf', namespace: 'ns', labels },
      data: { 'b.yaml': 'b: 2\n', 'a.yaml': 'a: 1\n' },
    };
    const reading = (annotations?: Record<string, string>): K8sObject => {
      const d = deployment(good, { volumes: [{ name: 'c', configMap: { name: 'conf' } }] });
      const spec = d.spec as { template: { metadata: Record<string, unknown> } };
      if (annotations) spec.template.metadata = { ...spec.template.metadata, annotations };
      return d;
    };

    test('a pod reading a produced ConfigMap carries the SHA-256 of its data', () => {
      // The JSON of [[name, [[key, value] sorted by key]]], hashed: computed by hand here.
      const canonical = JSON.stringify([
        [
          'conf',
          [
            ['a.yaml', 'a: 1\n'],
            ['b.yaml', 'b: 2\n'],
          ],
        ],
      ]);
      const sum = createHash('sha256').update(canonical).digest('hex');
      expect(configMapsChecksum([config])).toBe(sum);
      expect(checkPolicy([reading({ 'checksum/config': sum }), config, account])).toEqual([]);
    });

    test('a missing or stale checksum is reported, unless checksums are not required', () => {
      expect(checkPolicy([reading(), config, account])).toEqual([
        'Deployment/web: reads ConfigMap conf but its pod template has no checksum/config',
      ]);
      const stale = configMapsChecksum([{ ...config, data: { 'a.yaml': 'a: 0\n' } }]);
      expect(checkPolicy([reading({ 'checksum/config': stale }), config, account])).toEqual([
        'Deployment/web: checksum/config is not the SHA-256 of ConfigMap conf',
      ]);
      expect(checkPolicy([reading(), config, account], { requireConfigChecksums: false })).toEqual([]);
    });

    test('a prerequisite ConfigMap (not in the manifest set) needs no checksum', () => {
      expect(checkPolicy([reading(), account], { prerequisiteConfigMaps: ['conf'] })).toEqual([]);
    });
  });
});
