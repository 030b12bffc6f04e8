import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Json } from './support/helpers';
import { isKnownKind, schemaSummary, validateObject, validateObjects } from './support/k8s-schema';

const labels = { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/part-of': 'floe' };

function podSpec(extraContainer: Json = {}): Json {
  return {
    serviceAccountName: 'web',
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 1000,
      fsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [
      {
        name: 'web',
        image: 'ghcr.io/floe/web:1.2.3',
        imagePullPolicy: 'IfNotPresent',
        args: ['--port', '8080'],
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
        env: [
          { name: 'LOG_LEVEL', value: 'info' },
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          {
            name: 'DB_PASSWORD',
            valueFrom: { secretKeyRef: { name: 'db', key: 'password', optional: false } },
          },
        ],
        envFrom: [{ configMapRef: { name: 'web-config' } }],
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: 1, memory: '1Gi' } },
        readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10 },
        livenessProbe: { tcpSocket: { port: 8080 }, initialDelaySeconds: 5 },
        securityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        },
        volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
        ...extraContainer,
      },
    ],
    volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              topologyKey: 'kubernetes.io/hostname',
              labelSelector: { matchLabels: labels },
            },
          },
        ],
      },
    },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'floe', effect: 'NoSchedule' }],
    nodeSelector: { 'kubernetes.io/os': 'linux' },
  };
}

function deployment(overrides: { spec?: Json; metadata?: Json; container?: Json } = {}): Json {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'floe', labels, annotations: { 'floe.dev/owner': 'platform' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      template: { metadata: { labels }, spec: podSpec(overrides.container) },
      ...overrides.spec,
    },
    ...(overrides.metadata === undefined ? {} : { metadata: overrides.metadata }),
  };
}

function service(targetPort: unknown): Json {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'floe', labels },
    spec: {
      type: 'ClusterIP',
      selector: labels,
      ports: [{ name: 'http', port: 80, targetPort, protocol: 'TCP' }],
    },
  };
}

describe('schema derivation', () => {
  // How long the derivation takes is for benchmarks, not for an assertion (it failed under load).
  test('builds once and knows the 1.28 built-in kinds', () => {
    const summary = schemaSummary();
    expect(summary.typeCount).toBeGreaterThan(400);
    expect(summary.kinds.length).toBe(76);
    // cached: a second call does not rebuild
    expect(schemaSummary().buildMillis).toBe(summary.buildMillis);
    expect(summary.kinds).toEqual(
      expect.arrayContaining([
        { apiVersion: 'apps/v1', kind: 'Deployment' },
        { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' },
        { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler' },
        { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
        { apiVersion: 'v1', kind: 'ConfigMap' },
      ]),
    );
  });

  test('isKnownKind decides by apiVersion and kind', () => {
    expect(isKnownKind('apps/v1', 'Deployment')).toBe(true);
    expect(isKnownKind('v1', 'Service')).toBe(true);
    expect(isKnownKind('autoscaling/v2', 'HorizontalPodAutoscaler')).toBe(true);
    expect(isKnownKind('apps/v1beta1', 'Deployment')).toBe(false);
    expect(isKnownKind('extensions/v1beta1', 'Ingress')).toBe(false);
    expect(isKnownKind('policy/v1beta1', 'PodDisruptionBudget')).toBe(false);
    expect(isKnownKind('batch/v1beta1', 'CronJob')).toBe(false);
    expect(isKnownKind('autoscaling/v2beta2', 'HorizontalPodAutoscaler')).toBe(false);
    expect(isKnownKind('v1', 'Deployment')).toBe(false);
    expect(isKnownKind('apps/v1', 'DeploymentList')).toBe(false);
    expect(isKnownKind('example.com/v1', 'Widget')).toBe(false);
  });
});

describe('valid manifests pass', () => {
  test('Deployment', () => {
    expect(validateObjects([deployment()])).toEqual([]);
  });

  test('Service with targetPort as number and as string (IntOrString)', () => {
    expect(validateObjects([service(8080), service('http')])).toEqual([]);
  });

  test('StatefulSet with volumeClaimTemplates (embedded apiVersion/kind allowed)', () => {
    const sts = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'postgres', labels },
      spec: {
        serviceName: 'postgres',
        replicas: 1,
        selector: { matchLabels: labels },
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        template: { metadata: { labels }, spec: podSpec() },
        volumeClaimTemplates: [
          {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            metadata: { name: 'data' },
            spec: {
              accessModes: ['ReadWriteOnce'],
              storageClassName: 'standard',
              resources: { requests: { storage: '10Gi' } },
            },
          },
          {
            metadata: { name: 'wal' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: 1e9 } } },
          },
        ],
      },
    };
    expect(validateObjects([sts])).toEqual([]);
  });

  test('CronJob', () => {
    const cronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'compact' },
      spec: {
        schedule: '0 3 * * *',
        timeZone: 'Etc/UTC',
        concurrencyPolicy: 'Forbid',
        successfulJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: 2,
            ttlSecondsAfterFinished: 3600,
            template: {
              spec: {
                restartPolicy: 'OnFailure',
                containers: [{ name: 'compact', image: 'floe/compact:1' }],
              },
            },
          },
        },
      },
    };
    expect(validateObjects([cronJob])).toEqual([]);
  });

  test('ConfigMap and Secret', () => {
    const configMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'web-config', creationTimestamp: null },
      data: { 'app.yaml': 'a: 1\n', LOG_LEVEL: 'info' },
      immutable: false,
    };
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db' },
      type: 'Opaque',
      stringData: { password: 'x' },
    };
    expect(validateObjects([configMap, secret])).toEqual([]);
  });

  test('Role and RoleBinding', () => {
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'reader', namespace: 'floe' },
      rules: [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch'] }],
    };
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'reader', namespace: 'floe' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: 'floe' }],
    };
    expect(validateObjects([role, binding])).toEqual([]);
  });

  test('PodDisruptionBudget (policy/v1)', () => {
    const pdb = {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web' },
      spec: {
        maxUnavailable: 1,
        selector: { matchLabels: labels },
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    };
    const pdbPercent = { ...pdb, spec: { minAvailable: '50%', selector: { matchLabels: labels } } };
    expect(validateObjects([pdb, pdbPercent])).toEqual([]);
  });

  test('HorizontalPodAutoscaler (autoscaling/v2)', () => {
    const hpa = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 2,
        maxReplicas: 10,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
          },
          {
            type: 'Resource',
            resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '512Mi' } },
          },
        ],
        behavior: {
          scaleDown: {
            stabilizationWindowSeconds: 300,
            policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }],
          },
        },
      },
    };
    expect(validateObjects([hpa])).toEqual([]);
  });

  test('NetworkPolicy', () => {
    const netpol = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'web' },
      spec: {
        podSelector: { matchLabels: labels },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          {
            from: [
              { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress' } } },
              { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } },
            ],
            ports: [
              { protocol: 'TCP', port: 8080 },
              { protocol: 'TCP', port: 'http' },
            ],
          },
        ],
        egress: [{ to: [{ podSelector: {} }], ports: [{ protocol: 'UDP', port: 53, endPort: 54 }] }],
      },
    };
    expect(validateObjects([netpol])).toEqual([]);
  });

  test('Ingress', () => {
    const ingress = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '10m' } },
      spec: {
        ingressClassName: 'nginx',
        tls: [{ hosts: ['floe.example.com'], secretName: 'web-tls' }],
        rules: [
          {
            host: 'floe.example.com',
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'web', port: { number: 80 } } },
                },
                {
                  path: '/api',
                  pathType: 'Prefix',
                  backend: { service: { name: 'api', port: { name: 'http' } } },
                },
              ],
            },
          },
        ],
      },
    };
    expect(validateObjects([ingress])).toEqual([]);
  });

  test('env var with dots in its name', () => {
    const obj = deployment({ container: { env: [{ name: 'spring.datasource.url', value: 'jdbc:x' }] } });
    expect(validateObjects([obj])).toEqual([]);
  });

  test('CustomResourceDefinition with x-kubernetes-* and map-of-schema fields', () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.floe.dev' },
      spec: {
        group: 'floe.dev',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    'x-kubernetes-preserve-unknown-fields': true,
                    properties: { size: { 'x-kubernetes-int-or-string': true, default: 1 } },
                  },
                },
              },
            },
          },
        ],
      },
    };
    expect(validateObjects([crd])).toEqual([]);
  });

  test('manifests synthesized by cdk8s-plus-28', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'floe' });
    const dep = new kplus.Deployment(chart, 'web', {
      replicas: 2,
      containers: [
        {
          image: 'nginx:1.25',
          portNumber: 8080,
          envVariables: { 'a.b': kplus.EnvValue.fromValue('c') },
          resources: { cpu: { request: kplus.Cpu.millis(100) } },
        },
      ],
    });
    dep.exposeViaService({ ports: [{ port: 80, targetPort: 8080 }] });
    new kplus.ConfigMap(chart, 'cfg', { data: { key: 'value' } });
    const objects: unknown[] = Testing.synth(chart);
    const kinds = objects.map((o) =>
      typeof o === 'object' && o !== null && 'kind' in o ? o.kind : undefined,
    );
    expect(kinds.sort()).toEqual(['ConfigMap', 'Deployment', 'Service']);
    expect(validateObjects(objects)).toEqual([]);
  });
});

describe('invalid manifests fail with exact paths', () => {
  test('misspelt field deep inside a container', () => {
    expect(validateObjects([deployment({ container: { imagePullPolicyy: 'Always' } })])).toEqual([
      'Deployment/web: spec.template.spec.containers[0].imagePullPolicyy: unknown field "imagePullPolicyy" (did you mean "imagePullPolicy"?)',
    ]);
  });

  test('unknown fields at other depths, with SDK-style names rejected', () => {
    const obj = deployment({ spec: { replica: 3 } });
    const template = (obj.spec as Json).template as Json;
    (template.spec as Json).hostIpc = true;
    expect(validateObject(obj)).toEqual([
      { path: 'spec.template.spec.hostIpc', message: 'unknown field "hostIpc" (did you mean "hostIPC"?)' },
      { path: 'spec.replica', message: 'unknown field "replica" (did you mean "replicas"?)' },
    ]);
  });

  test('missing containers in a PodSpec', () => {
    const obj = deployment();
    const template = (obj.spec as Json).template as Json;
    delete (template.spec as Json).containers;
    expect(validateObjects([obj])).toEqual([
      'Deployment/web: spec.template.spec.containers: missing required field "containers"',
    ]);
  });

  test('missing selector in a Deployment spec (null counts as missing)', () => {
    expect(validateObjects([deployment({ spec: { selector: undefined } })])).toEqual([
      'Deployment/web: spec.selector: missing required field "selector"',
    ]);
    expect(validateObjects([deployment({ spec: { selector: null } })])).toEqual([
      'Deployment/web: spec.selector: missing required field "selector"',
    ]);
  });

  test('missing name of a container and of an env var', () => {
    const obj = deployment({ container: { name: undefined, env: [{ value: 'x' }] } });
    expect(validateObject(obj)).toEqual([
      { path: 'spec.template.spec.containers[0].env[0].name', message: 'missing required field "name"' },
      { path: 'spec.template.spec.containers[0].name', message: 'missing required field "name"' },
    ]);
  });

  test('replicas as a string', () => {
    expect(validateObjects([deployment({ spec: { replicas: '2' } })])).toEqual([
      'Deployment/web: spec.replicas: expected number, got string',
    ]);
  });

  test('label value that is a number', () => {
    const obj = deployment({ metadata: { name: 'web', labels: { tier: 'web', version: 2 } } });
    expect(validateObjects([obj])).toEqual([
      'Deployment/web: metadata.labels.version: expected string, got integer',
    ]);
  });

  test('label key with dots and slash is quoted in the path', () => {
    const obj = deployment({ metadata: { name: 'web', labels: { 'app.kubernetes.io/name': true } } });
    expect(validateObjects([obj])).toEqual([
      'Deployment/web: metadata.labels["app.kubernetes.io/name"]: expected string, got boolean',
    ]);
  });

  test('other wrong primitive types', () => {
    const obj = deployment({
      container: { args: '--port 8080', ports: [{ containerPort: 8080, hostNetwork: false }], stdin: 'true' },
    });
    expect(validateObject(obj)).toEqual([
      { path: 'spec.template.spec.containers[0].args', message: 'expected array, got string' },
      {
        path: 'spec.template.spec.containers[0].ports[0].hostNetwork',
        message: 'unknown field "hostNetwork"',
      },
      { path: 'spec.template.spec.containers[0].stdin', message: 'expected boolean, got string' },
    ]);
    expect(validateObject({ ...deployment(), spec: ['x'] })).toEqual([
      { path: 'spec', message: 'expected object (DeploymentSpec), got array' },
    ]);
  });

  test('IntOrString rejects booleans and fractions; Quantity rejects garbage', () => {
    expect(validateObjects([service(true), service(80.5)])).toEqual([
      'Service/web: spec.ports[0].targetPort: expected integer or string (IntOrString), got boolean',
      'Service/web: spec.ports[0].targetPort: expected integer or string (IntOrString), got number',
    ]);
    const obj = deployment({ container: { resources: { limits: { memory: 'lots', cpu: [1] } } } });
    expect(validateObjects([obj])).toEqual([
      'Deployment/web: spec.template.spec.containers[0].resources.limits.memory: invalid quantity "lots"',
      'Deployment/web: spec.template.spec.containers[0].resources.limits.cpu: expected quantity (string or number), got array',
    ]);
  });

  test('null list items and map values are rejected', () => {
    const obj = deployment({
      metadata: { name: 'web', annotations: { a: null } },
      container: { args: [null] },
    });
    expect(validateObjects([obj])).toEqual([
      'Deployment/web: metadata.annotations.a: map value must not be null',
      'Deployment/web: spec.template.spec.containers[0].args[0]: list item must not be null',
    ]);
  });

  test('unknown field in a StatefulSet volumeClaimTemplate', () => {
    const sts = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db' },
      spec: {
        serviceName: 'db',
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: podSpec() },
        volumeClaimTemplates: [
          { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], storage: '1Gi' } },
        ],
      },
    };
    expect(validateObjects([sts])).toEqual([
      'StatefulSet/db: spec.volumeClaimTemplates[0].spec.storage: unknown field "storage"',
    ]);
  });

  test('x-kubernetes-* typo inside a CRD schema', () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.floe.dev' },
      spec: {
        group: 'floe.dev',
        scope: 'Namespaced',
        names: { plural: 'widgets', kind: 'Widget' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: { properties: { spec: { 'x-kubernetes-preserve-unknow-fields': true } } },
            },
          },
        ],
      },
    };
    expect(validateObjects([crd])).toEqual([
      'CustomResourceDefinition/widgets.floe.dev: spec.versions[0].schema.openAPIV3Schema.properties.spec["x-kubernetes-preserve-unknow-fields"]: unknown field "x-kubernetes-preserve-unknow-fields" (did you mean "x-kubernetes-preserve-unknown-fields"?)',
    ]);
  });

  test('top-level status and unknown top-level fields', () => {
    expect(validateObjects([{ ...deployment(), status: {}, data: {} }])).toEqual([
      'Deployment/web: status: unknown field "status" (status types are not part of the generated schema; manifests should not set status)',
      'Deployment/web: data: unknown field "data"',
    ]);
  });

  test('unknown or removed kinds', () => {
    expect(validateObjects([{ ...deployment(), apiVersion: 'apps/v1beta1' }])).toEqual([
      'Deployment/web: kind: unknown kind "apps/v1beta1/Deployment" (Kubernetes 1.28 serves Deployment as apps/v1)',
    ]);
    const pdb = {
      apiVersion: 'policy/v1beta1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web' },
      spec: {},
    };
    expect(validateObjects([pdb])).toEqual([
      'PodDisruptionBudget/web: kind: unknown kind "policy/v1beta1/PodDisruptionBudget" (Kubernetes 1.28 serves PodDisruptionBudget as policy/v1)',
    ]);
    expect(validateObjects([{ apiVersion: 'floe.dev/v1', kind: 'Widget', metadata: { name: 'w' } }])).toEqual(
      ['Widget/w: kind: unknown kind "floe.dev/v1/Widget" (not a Kubernetes 1.28 built-in kind)'],
    );
    expect(validateObjects([{ metadata: { name: 'x' } }, 'nope'])).toEqual([
      '<no kind>/x: apiVersion: expected non-empty string, got undefined',
      '<no kind>/x: kind: expected non-empty string, got undefined',
      '<not an object>: (root): manifest must be an object, got string',
    ]);
  });
});

describe('rules the API server enforces beyond structure (k8s-field-rules.ts)', () => {
  const pdb = (spec: Json): Json => ({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'web', labels },
    spec: { selector: { matchLabels: labels }, ...spec },
  });
  const container = (extra: Json): Json => ({ container: extra });

  test('enum values: imagePullPolicy, strategy type, protocol, restartPolicy, list items', () => {
    const bad = deployment({
      container: {
        imagePullPolicy: 'Sometimes',
        ports: [{ name: 'http', containerPort: 8080, protocol: 'tcp' }],
      },
      spec: { strategy: { type: 'Recreat' } },
    });
    ((bad.spec as Json).template as Json).spec = {
      ...(((bad.spec as Json).template as Json).spec as Json),
      restartPolicy: 'Sometimes',
    };
    const netpol = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'web' },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egres'] },
    };
    expect(validateObjects([bad, netpol])).toEqual([
      'Deployment/web: spec.strategy.type: unsupported value "Recreat": expected one of "Recreate", "RollingUpdate"',
      'Deployment/web: spec.template.spec.containers[0].imagePullPolicy: unsupported value "Sometimes": expected one of "Always", "Never", "IfNotPresent"',
      'Deployment/web: spec.template.spec.containers[0].ports[0].protocol: unsupported value "tcp": expected one of "TCP", "UDP", "SCTP"',
      'Deployment/web: spec.template.spec.restartPolicy: unsupported value "Sometimes": expected one of "Always", "OnFailure", "Never"',
      'NetworkPolicy/web: spec.policyTypes[1]: unsupported value "Egres": expected one of "Ingress", "Egress"',
    ]);
    // The valid counterparts pass (deployment() uses IfNotPresent, RollingUpdate and TCP).
    expect(validateObjects([deployment({ spec: { strategy: { type: 'Recreate' } } })])).toEqual([]);
  });

  test('integers: a fraction in an int32/int64 field is rejected; a double field takes one', () => {
    expect(
      validateObjects([
        deployment({
          spec: { replicas: 1.5 },
          ...container({ readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 2.5 } }),
        }),
      ]),
    ).toEqual([
      'Deployment/web: spec.replicas: expected an integer, got 1.5',
      'Deployment/web: spec.template.spec.containers[0].readinessProbe.periodSeconds: expected an integer, got 2.5',
    ]);
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        names: { kind: 'Widget', plural: 'widgets' },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: { type: 'object', properties: { ratio: { type: 'number', maximum: 0.5 } } },
            },
          },
        ],
      },
    };
    expect(validateObjects([crd])).toEqual([]);
  });

  test('ports: 1-65535 for container, Service, probe and NetworkPolicy ports', () => {
    const bad = deployment({
      container: {
        ports: [{ name: 'http', containerPort: 70000 }],
        readinessProbe: { tcpSocket: { port: 0 } },
      },
    });
    const svc = service(65536);
    ((svc.spec as Json).ports as Json[])[0].port = 0;
    expect(validateObjects([bad, svc])).toEqual([
      'Deployment/web: spec.template.spec.containers[0].ports[0].containerPort: 70000 is out of range: must be between 1 and 65535, inclusive',
      'Deployment/web: spec.template.spec.containers[0].readinessProbe.tcpSocket.port: 0 is out of range: must be between 1 and 65535, inclusive',
      'Service/web: spec.ports[0].port: 0 is out of range: must be between 1 and 65535, inclusive',
      'Service/web: spec.ports[0].targetPort: 65536 is out of range: must be between 1 and 65535, inclusive',
    ]);
    expect(validateObjects([service(65535), service(1)])).toEqual([]);
  });

  test('int-or-string: a PDB or rolling-update string must be a percentage; a named port an IANA name', () => {
    expect(
      validateObjects([
        pdb({ minAvailable: 'half' }),
        pdb({ maxUnavailable: '50' }),
        deployment({ spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25 %' } } } }),
        service('HTTP_PORT'),
        service('a-very-long-port-name'),
      ]),
    ).toEqual([
      'PodDisruptionBudget/web: spec.minAvailable: invalid value "half": a string must be a percentage, a whole number followed by \'%\'',
      'PodDisruptionBudget/web: spec.maxUnavailable: invalid value "50": a string must be a percentage, a whole number followed by \'%\'',
      'Deployment/web: spec.strategy.rollingUpdate.maxSurge: invalid value "25 %": a string must be a percentage, a whole number followed by \'%\'',
      'Service/web: spec.ports[0].targetPort: invalid port name "HTTP_PORT": at most 15 lowercase letters, digits and \'-\', with at least one letter',
      'Service/web: spec.ports[0].targetPort: invalid port name "a-very-long-port-name": at most 15 lowercase letters, digits and \'-\', with at least one letter',
    ]);
    expect(
      validateObjects([pdb({ minAvailable: '50%' }), pdb({ maxUnavailable: 1 }), service('metrics-2')]),
    ).toEqual([]);
  });

  test('list-map keys: duplicate containers, container ports, env, mounts and Service ports', () => {
    const web = (podSpec(undefined).containers as Json[])[0];
    const bad = deployment({
      container: {
        ports: [
          { name: 'http', containerPort: 8080 },
          { name: 'http2', containerPort: 8080, protocol: 'TCP' },
          { name: 'dns', containerPort: 8080, protocol: 'UDP' },
        ],
        env: [
          { name: 'A', value: '1' },
          { name: 'A', value: '2' },
        ],
        volumeMounts: [
          { name: 'tmp', mountPath: '/tmp' },
          { name: 'tmp', mountPath: '/tmp' },
        ],
      },
    });
    const spec = ((bad.spec as Json).template as Json).spec as Json;
    spec.containers = [...(spec.containers as Json[]), { ...web, name: 'web' }];
    spec.initContainers = [
      { ...web, name: 'web', ports: undefined, readinessProbe: undefined, livenessProbe: undefined },
    ];
    const svc = service(8080);
    (svc.spec as Json).ports = [
      { name: 'http', port: 80, targetPort: 8080 },
      { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
      { name: 'dns', port: 80, targetPort: 53, protocol: 'UDP' },
    ];
    expect(validateObjects([bad, svc])).toEqual([
      'Deployment/web: spec.template.spec.containers[0].ports[1]: duplicate entry: same containerPort and protocol as spec.template.spec.containers[0].ports[0] (containerPort=8080, protocol="TCP")',
      'Deployment/web: spec.template.spec.containers[0].env[1]: duplicate entry: same name as spec.template.spec.containers[0].env[0] (name="A")',
      'Deployment/web: spec.template.spec.containers[0].volumeMounts[1]: duplicate entry: same mountPath as spec.template.spec.containers[0].volumeMounts[0] (mountPath="/tmp")',
      'Deployment/web: spec.template.spec.containers[1]: duplicate entry: same name as spec.template.spec.containers[0] (name="web")',
      'Deployment/web: spec.template.spec.containers[0].name: duplicate container name "web": also spec.template.spec.initContainers[0]',
      'Deployment/web: spec.template.spec.containers[1].name: duplicate container name "web": also spec.template.spec.initContainers[0]',
      'Service/web: spec.ports[1]: duplicate entry: same port and protocol as spec.ports[0] (port=80, protocol="TCP")',
      'Service/web: spec.ports[1].name: duplicate name "http": also spec.ports[0]',
    ]);
  });
});
