import { createHash } from 'crypto';
import { K8sObject } from './synth';

/**
 * Policy checks every synthesized manifest set must pass. Each returns human-readable violations
 * ("Kind/name: what is wrong"); an empty list means the objects pass.
 *
 * - Pod Security Standard "restricted" (Kubernetes 1.28 rules) on every pod template.
 * - Every container has CPU and memory requests and a memory limit; every container of a
 *   long-lived workload that exposes a port has readiness and liveness probes.
 * - Every object and pod template carries the recommended app.kubernetes.io labels; selectors
 *   never use `version` and match their own pod template.
 * - References resolve: Service → pods and ports; ConfigMap, Secret, ServiceAccount, PVC, Role
 *   names; StatefulSet serviceName; probe ports; ServiceMonitor → Services and their named ports.
 * - Availability: every Deployment/StatefulSet that runs more than one pod (or has an autoscaler)
 *   has exactly one PodDisruptionBudget, which selects its pods and no other workload's and never
 *   blocks every eviction, and a topology spread constraint selecting its pods; every
 *   HorizontalPodAutoscaler targets a produced workload that sets no `spec.replicas` and requests
 *   CPU; every PodDisruptionBudget selects the pods of a produced workload.
 * - ServiceAccounts: every pod runs as a ServiceAccount of its own (not `default`) that exists, and
 *   only the workloads in `apiClients` mount an API token; a Secret a Job writes through a Role
 *   bound to its account counts as produced.
 * - Config checksums: every long-lived pod template that reads a ConfigMap of the manifest set
 *   carries `checksum/config` equal to the SHA-256 of those ConfigMaps' data (computed here
 *   independently of the library: the JSON array of `[name, [[key, value], ...]]`, sorted).
 */
export interface PolicyOptions {
  /** Secrets that are documented prerequisites (created by the user, not by the library). */
  readonly prerequisiteSecrets?: string[];
  /** ConfigMaps that are documented prerequisites. */
  readonly prerequisiteConfigMaps?: string[];
  /** ServiceAccounts that are documented prerequisites. */
  readonly prerequisiteServiceAccounts?: string[];
  /** PersistentVolumeClaims that are documented prerequisites (e.g. a shared RWX volume). */
  readonly prerequisitePersistentVolumeClaims?: string[];
  /** Workloads (`Kind/name`) that call the Kubernetes API and may mount a token. Default: `DEFAULT_API_CLIENTS`. */
  readonly apiClients?: readonly string[];
  /** Require every pod to name its own ServiceAccount. Default: true. */
  readonly requireServiceAccounts?: boolean;
  /** Require a PodDisruptionBudget for every multi-pod workload. Default: true. */
  readonly requireDisruptionBudgets?: boolean;
  /** Require a topology spread constraint on every multi-pod workload. Default: true. */
  readonly requireTopologySpread?: boolean;
  /** Require `checksum/config` on long-lived pods that read produced ConfigMaps. Default: true. */
  readonly requireConfigChecksums?: boolean;
}

/**
 * The library's workloads that call the Kubernetes API: the Dagster webserver and daemon (the run
 * launcher creates, watches and deletes run Jobs) and Prometheus (Kubernetes service discovery).
 */
export const DEFAULT_API_CLIENTS: readonly string[] = [
  'Deployment/dagster-webserver',
  'Deployment/dagster-daemon',
  'StatefulSet/prometheus',
  // A data product's catalog access Job writes its credentials Secret (PolarisProductAccess).
  'Job/*-catalog-access',
];

type Json = Record<string, unknown>;

const RECOMMENDED_LABELS = ['name', 'instance', 'component', 'part-of', 'managed-by', 'version'].map(
  (l) => `app.kubernetes.io/${l}`,
);
const RESTRICTED_VOLUME_TYPES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);
const LONG_LIVED = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}
function arr(v: unknown): Json[] {
  return Array.isArray(v) ? (v as Json[]) : [];
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

interface PodTemplate {
  owner: K8sObject;
  namespace: string;
  labels: Record<string, string>;
  spec: Json;
  longLived: boolean;
  claimTemplates: string[];
}

function podTemplates(objects: K8sObject[]): PodTemplate[] {
  const result: PodTemplate[] = [];
  for (const o of objects) {
    const spec = obj(o.spec);
    let template: Json | undefined;
    if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(o.kind)) {
      template = obj(spec.template);
    } else if (o.kind === 'CronJob') {
      template = obj(obj(obj(spec.jobTemplate).spec).template);
    } else if (o.kind === 'Pod') {
      template = { metadata: o.metadata, spec };
    }
    if (template) {
      result.push({
        owner: o,
        namespace: o.metadata.namespace ?? 'default',
        labels: (obj(template.metadata).labels as Record<string, string>) ?? {},
        spec: obj(template.spec),
        longLived: LONG_LIVED.has(o.kind),
        claimTemplates: arr(spec.volumeClaimTemplates).map((t) => str(obj(t.metadata).name) ?? ''),
      });
    }
  }
  return result;
}

function containersOf(spec: Json): { c: Json; init: boolean }[] {
  return [
    ...arr(spec.initContainers).map((c) => ({ c, init: true })),
    ...arr(spec.containers).map((c) => ({ c, init: false })),
  ];
}

/** Pod Security "restricted", resources, probes, images. */
/** The handlers of a probe, of which it has exactly one. */
const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'] as const;

/** An exact non-negative rational `numerator / denominator`. */
export interface Rational {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

/**
 * The suffixes of a Kubernetes quantity and their factors as `[numerator, denominator]`
 * (kubernetes apimachinery v0.28, pkg/api/resource/quantity.go and suffix.go).
 */
const QUANTITY_SUFFIXES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  n: [1n, 1_000_000_000n],
  u: [1n, 1_000_000n],
  m: [1n, 1000n],
  '': [1n, 1n],
  k: [1000n, 1n],
  M: [1000n ** 2n, 1n],
  G: [1000n ** 3n, 1n],
  T: [1000n ** 4n, 1n],
  P: [1000n ** 5n, 1n],
  E: [1000n ** 6n, 1n],
  Ki: [1024n, 1n],
  Mi: [1024n ** 2n, 1n],
  Gi: [1024n ** 3n, 1n],
  Ti: [1024n ** 4n, 1n],
  Pi: [1024n ** 5n, 1n],
  Ei: [1024n ** 6n, 1n],
};

const QUANTITY_RE = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

/**
 * The exact value of a Kubernetes quantity (`500m`, `1.5Gi`, `1e3`, a JSON number), or undefined
 * when it is not one. No floating point: `1Gi` equals `1073741824`, `0.5` equals `500m`.
 */
export function parseQuantity(value: unknown): Rational | undefined {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string') return undefined;
  const m = QUANTITY_RE.exec(text);
  if (!m) return undefined;
  const [, sign, number, exponent, suffix] = m;
  const [whole, fraction = ''] = number.split('.');
  let numerator = BigInt(`${whole || '0'}${fraction}`);
  let denominator = 10n ** BigInt(fraction.length);
  if (exponent !== undefined) {
    const e = Number(exponent.slice(1));
    if (e >= 0) numerator *= 10n ** BigInt(e);
    else denominator *= 10n ** BigInt(-e);
  } else {
    const [n, d] = QUANTITY_SUFFIXES[suffix ?? ''];
    numerator *= n;
    denominator *= d;
  }
  return { numerator: sign === '-' ? -numerator : numerator, denominator };
}

/** Negative, zero or positive as `a` is below, equal to or above `b`. */
export function compareQuantities(a: Rational, b: Rational): number {
  const left = a.numerator * b.denominator;
  const right = b.numerator * a.denominator;
  return left < right ? -1 : left > right ? 1 : 0;
}

function checkPods(pods: PodTemplate[]): string[] {
  const errors: string[] = [];
  for (const p of pods) {
    const where = `${p.owner.kind}/${p.owner.metadata.name}`;
    const psc = obj(p.spec.securityContext);
    for (const f of ['hostNetwork', 'hostPID', 'hostIPC']) {
      if (p.spec[f] === true) errors.push(`${where}: ${f} is not allowed`);
    }
    for (const v of arr(p.spec.volumes)) {
      const types = Object.keys(v).filter((k) => k !== 'name');
      for (const t of types) {
        if (!RESTRICTED_VOLUME_TYPES.has(t))
          errors.push(`${where}: volume ${str(v.name)} of type ${t} is not allowed`);
      }
    }
    const podSeccomp = str(obj(psc.seccompProfile).type);
    for (const { c, init } of containersOf(p.spec)) {
      const cw = `${where} container ${str(c.name)}`;
      const sc = obj(c.securityContext);
      if (sc.allowPrivilegeEscalation !== false) errors.push(`${cw}: allowPrivilegeEscalation must be false`);
      if (sc.privileged === true) errors.push(`${cw}: privileged`);
      const caps = obj(sc.capabilities);
      const drop = (caps.drop as string[] | undefined) ?? [];
      if (!drop.includes('ALL')) errors.push(`${cw}: capabilities must drop ALL`);
      for (const add of (caps.add as string[] | undefined) ?? []) {
        if (add !== 'NET_BIND_SERVICE') errors.push(`${cw}: capability ${add} may not be added`);
      }
      const nonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
      if (nonRoot !== true) errors.push(`${cw}: runAsNonRoot must be true`);
      const user = sc.runAsUser ?? psc.runAsUser;
      if (user === 0) errors.push(`${cw}: runAsUser 0`);
      if (typeof user !== 'number')
        errors.push(`${cw}: no numeric runAsUser (images with named users fail runAsNonRoot)`);
      const seccomp = str(obj(sc.seccompProfile).type) ?? podSeccomp;
      if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') {
        errors.push(`${cw}: seccompProfile must be RuntimeDefault or Localhost`);
      }
      if (sc.readOnlyRootFilesystem !== true) errors.push(`${cw}: readOnlyRootFilesystem must be true`);
      for (const port of arr(c.ports)) {
        if (port.hostPort !== undefined) errors.push(`${cw}: hostPort is not allowed`);
      }
      const image = str(c.image) ?? '';
      if (!/:[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(image) || image.endsWith(':latest')) {
        errors.push(`${cw}: image ${image} is not pinned to a tag`);
      }
      const res = obj(c.resources);
      const req = obj(res.requests);
      const lim = obj(res.limits);
      if (req.cpu === undefined || req.memory === undefined)
        errors.push(`${cw}: needs cpu and memory requests`);
      if (lim.memory === undefined) errors.push(`${cw}: needs a memory limit`);
      for (const resource of Object.keys(lim).sort()) {
        const limit = lim[resource];
        const request = req[resource];
        if (request === undefined) continue;
        const limitValue = parseQuantity(limit);
        const requestValue = parseQuantity(request);
        if (limitValue === undefined || requestValue === undefined) {
          errors.push(
            `${cw}: ${resource} request ${String(request)} or limit ${String(limit)} is not a quantity`,
          );
        } else if (compareQuantities(limitValue, requestValue) < 0) {
          // The API server rejects this: "must be greater than or equal to <resource> request"
          // (kubernetes v1.28, pkg/apis/core/validation/validation.go, ValidateResourceRequirements).
          errors.push(`${cw}: ${resource} limit ${String(limit)} is below its request ${String(request)}`);
        }
      }
      if (!init && p.longLived && arr(c.ports).length > 0) {
        if (!c.readinessProbe) errors.push(`${cw}: serves a port but has no readinessProbe`);
        if (!c.livenessProbe) errors.push(`${cw}: serves a port but has no livenessProbe`);
      }
      const portNames = new Set(arr(c.ports).map((x) => str(x.name)));
      const portNumbers = new Set(arr(c.ports).map((x) => x.containerPort));
      for (const probeName of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        if (c[probeName] !== undefined) {
          // The API server wants exactly one: "must specify a handler type" / "may not specify
          // more than 1 handler type" (kubernetes v1.28, pkg/apis/core/validation/validation.go,
          // validateHandler).
          const handlers = PROBE_HANDLERS.filter((h) => obj(c[probeName])[h] !== undefined);
          if (handlers.length !== 1) {
            errors.push(
              `${cw}: ${probeName} must have exactly one handler (${PROBE_HANDLERS.join(', ')}), has ${handlers.length === 0 ? 'none' : handlers.join(' and ')}`,
            );
          }
        }
        const probe = obj(c[probeName]);
        const target = obj(probe.httpGet).port ?? obj(probe.tcpSocket).port ?? obj(probe.grpc).port;
        if (typeof target === 'string' && !portNames.has(target)) {
          errors.push(`${cw}: ${probeName} targets port ${target}, which the container does not declare`);
        }
        if (typeof target === 'number' && !portNumbers.has(target)) {
          errors.push(`${cw}: ${probeName} targets port ${target}, which the container does not declare`);
        }
      }
      const volumeNames = new Set([...arr(p.spec.volumes).map((v) => str(v.name)), ...p.claimTemplates]);
      for (const m of arr(c.volumeMounts)) {
        if (!volumeNames.has(str(m.name))) errors.push(`${cw}: mounts undeclared volume ${str(m.name)}`);
      }
    }
  }
  return errors;
}

function checkLabels(objects: K8sObject[], pods: PodTemplate[]): string[] {
  const errors: string[] = [];
  for (const o of objects) {
    const labels = o.metadata.labels ?? {};
    for (const l of RECOMMENDED_LABELS) {
      if (!labels[l]) errors.push(`${o.kind}/${o.metadata.name}: missing label ${l}`);
    }
  }
  for (const p of pods) {
    for (const l of RECOMMENDED_LABELS) {
      if (!p.labels[l])
        errors.push(`${p.owner.kind}/${p.owner.metadata.name} pod template: missing label ${l}`);
    }
    const selector = obj(obj(p.owner.spec).selector);
    const matchLabels = (selector.matchLabels as Record<string, string> | undefined) ?? {};
    if (p.owner.kind !== 'Job' && p.owner.kind !== 'CronJob' && p.owner.kind !== 'Pod') {
      if (Object.keys(matchLabels).length === 0)
        errors.push(`${p.owner.kind}/${p.owner.metadata.name}: no selector`);
      if ('app.kubernetes.io/version' in matchLabels) {
        errors.push(`${p.owner.kind}/${p.owner.metadata.name}: selector uses the version label`);
      }
      for (const [k, v] of Object.entries(matchLabels)) {
        if (p.labels[k] !== v) {
          errors.push(
            `${p.owner.kind}/${p.owner.metadata.name}: selector ${k}=${v} does not match its pod template`,
          );
        }
      }
    }
  }
  return errors;
}

/**
 * Secrets a Job of the output writes through the API (`<namespace>/<name>`): a Role in the
 * Secret's namespace allows `create` on secrets and `get` and `patch` on that name, and a
 * RoleBinding binds it to the ServiceAccount a Job of the output runs as, with a token.
 */
function secretsWrittenByJobs(objects: K8sObject[]): Set<string> {
  const written = new Set<string>();
  const jobAccounts = new Set(
    objects
      .filter((o) => o.kind === 'Job')
      .map((o) => obj(obj(obj(o.spec).template).spec))
      .filter((spec) => spec.automountServiceAccountToken === true)
      .map((spec) => str(spec.serviceAccountName)),
  );
  const jobAccountKeys = new Set(
    objects
      .filter(
        (o) =>
          o.kind === 'Job' && jobAccounts.has(str(obj(obj(obj(o.spec).template).spec).serviceAccountName)),
      )
      .map(
        (o) =>
          `${o.metadata.namespace ?? 'default'}/${str(obj(obj(obj(o.spec).template).spec).serviceAccountName)}`,
      ),
  );
  for (const role of objects.filter((o) => o.kind === 'Role')) {
    const ns = role.metadata.namespace ?? 'default';
    const rules = arr(role.rules).map(obj);
    const allows = (verb: string, name?: string): boolean =>
      rules.some(
        (r) =>
          (arr(r.apiGroups) as unknown[]).includes('') &&
          (arr(r.resources) as unknown[]).includes('secrets') &&
          (arr(r.verbs) as unknown[]).includes(verb) &&
          (r.resourceNames === undefined ||
            (name !== undefined && (arr(r.resourceNames) as unknown[]).includes(name))),
      );
    if (!allows('create')) continue;
    const bound = objects.some(
      (b) =>
        b.kind === 'RoleBinding' &&
        (b.metadata.namespace ?? 'default') === ns &&
        str(obj(b.roleRef).name) === role.metadata.name &&
        arr(b.subjects)
          .map(obj)
          .some(
            (sub) =>
              sub.kind === 'ServiceAccount' && jobAccountKeys.has(`${str(sub.namespace)}/${str(sub.name)}`),
          ),
    );
    if (!bound) continue;
    for (const r of rules) {
      for (const name of arr(r.resourceNames) as unknown[]) {
        if (typeof name === 'string' && allows('get', name) && allows('patch', name))
          written.add(`${ns}/${name}`);
      }
    }
  }
  return written;
}

function checkReferences(objects: K8sObject[], pods: PodTemplate[], opts: PolicyOptions): string[] {
  const errors: string[] = [];
  const key = (kind: string, ns: string | undefined, name: string): string =>
    `${kind}/${ns ?? 'default'}/${name}`;
  const produced = new Set(objects.map((o) => key(o.kind, o.metadata.namespace, o.metadata.name)));
  const configMapData = new Map<string, Json>();
  for (const o of objects.filter((x) => x.kind === 'ConfigMap')) {
    configMapData.set(key('ConfigMap', o.metadata.namespace, o.metadata.name), {
      ...obj(o.data),
      ...obj(o.binaryData),
    });
  }
  const written = secretsWrittenByJobs(objects);
  const secretOk = (ns: string, name: string): boolean =>
    produced.has(key('Secret', ns, name)) ||
    written.has(`${ns}/${name}`) ||
    (opts.prerequisiteSecrets ?? []).includes(name);
  const configMapOk = (ns: string, name: string): boolean =>
    produced.has(key('ConfigMap', ns, name)) || (opts.prerequisiteConfigMaps ?? []).includes(name);

  for (const p of pods) {
    const where = `${p.owner.kind}/${p.owner.metadata.name}`;
    const ns = p.namespace;
    const sa = str(p.spec.serviceAccountName);
    if (
      sa &&
      sa !== 'default' &&
      !produced.has(key('ServiceAccount', ns, sa)) &&
      !(opts.prerequisiteServiceAccounts ?? []).includes(sa)
    ) {
      errors.push(`${where}: ServiceAccount ${sa} is neither produced nor a prerequisite`);
    }
    for (const v of arr(p.spec.volumes)) {
      const cm = str(obj(v.configMap).name);
      if (cm && !configMapOk(ns, cm))
        errors.push(`${where}: ConfigMap ${cm} is neither produced nor a prerequisite`);
      for (const item of arr(obj(v.configMap).items)) {
        const data = cm ? configMapData.get(key('ConfigMap', ns, cm)) : undefined;
        if (data && !((str(item.key) ?? '') in data))
          errors.push(`${where}: ConfigMap ${cm} has no key ${str(item.key)}`);
      }
      const secret = str(obj(v.secret).secretName);
      if (secret && !secretOk(ns, secret))
        errors.push(`${where}: Secret ${secret} is neither produced nor a prerequisite`);
      for (const src of arr(obj(v.projected).sources)) {
        const pcm = str(obj(src.configMap).name);
        if (pcm && !configMapOk(ns, pcm))
          errors.push(`${where}: ConfigMap ${pcm} is neither produced nor a prerequisite`);
        const ps = str(obj(src.secret).name);
        if (ps && !secretOk(ns, ps))
          errors.push(`${where}: Secret ${ps} is neither produced nor a prerequisite`);
      }
      const claim = str(obj(v.persistentVolumeClaim).claimName);
      if (
        claim &&
        !produced.has(key('PersistentVolumeClaim', ns, claim)) &&
        !(opts.prerequisitePersistentVolumeClaims ?? []).includes(claim)
      ) {
        errors.push(`${where}: PersistentVolumeClaim ${claim} is neither produced nor a prerequisite`);
      }
    }
    for (const { c } of containersOf(p.spec)) {
      for (const e of arr(c.env)) {
        const vf = obj(e.valueFrom);
        const s = obj(vf.secretKeyRef);
        if (str(s.name) && !secretOk(ns, str(s.name) ?? '')) {
          errors.push(
            `${where}: env ${str(e.name)} reads Secret ${str(s.name)}, neither produced nor a prerequisite`,
          );
        }
        const cmr = obj(vf.configMapKeyRef);
        const cmName = str(cmr.name);
        if (cmName) {
          if (!configMapOk(ns, cmName)) {
            errors.push(
              `${where}: env ${str(e.name)} reads ConfigMap ${cmName}, neither produced nor a prerequisite`,
            );
          }
          const data = configMapData.get(key('ConfigMap', ns, cmName));
          if (data && !((str(cmr.key) ?? '') in data) && cmr.optional !== true) {
            errors.push(
              `${where}: env ${str(e.name)} reads missing key ${str(cmr.key)} of ConfigMap ${cmName}`,
            );
          }
        }
      }
      for (const ef of arr(c.envFrom)) {
        const cmName = str(obj(ef.configMapRef).name);
        if (cmName && !configMapOk(ns, cmName))
          errors.push(`${where}: envFrom ConfigMap ${cmName} is neither produced nor a prerequisite`);
        const sName = str(obj(ef.secretRef).name);
        if (sName && !secretOk(ns, sName))
          errors.push(`${where}: envFrom Secret ${sName} is neither produced nor a prerequisite`);
      }
    }
  }

  for (const svc of objects.filter((o) => o.kind === 'Service')) {
    const where = `Service/${svc.metadata.name}`;
    const spec = obj(svc.spec);
    const selector = (spec.selector as Record<string, string> | undefined) ?? {};
    if (Object.keys(selector).length === 0) {
      errors.push(`${where}: has no selector`);
      continue;
    }
    const ns = svc.metadata.namespace ?? 'default';
    const matching = pods.filter(
      (p) =>
        p.namespace === ns && p.longLived && Object.entries(selector).every(([k, v]) => p.labels[k] === v),
    );
    if (matching.length === 0) {
      errors.push(`${where}: selects no pods`);
      continue;
    }
    for (const port of arr(spec.ports)) {
      const target = port.targetPort ?? port.port;
      for (const p of matching) {
        const ports = arr(p.spec.containers).flatMap((c) => arr(c.ports));
        const ok =
          typeof target === 'string'
            ? ports.some((cp) => cp.name === target)
            : ports.some((cp) => cp.containerPort === target);
        if (!ok)
          errors.push(
            `${where}: targetPort ${String(target)} does not exist on ${p.owner.kind}/${p.owner.metadata.name}`,
          );
      }
    }
  }

  for (const ing of objects.filter((o) => o.kind === 'Ingress')) {
    const ns = ing.metadata.namespace ?? 'default';
    for (const rule of arr(obj(ing.spec).rules)) {
      for (const path of arr(obj(rule.http).paths)) {
        const backend = obj(obj(path.backend).service);
        const name = str(backend.name);
        const port = obj(backend.port);
        const svc = objects.find(
          (o) =>
            o.kind === 'Service' && o.metadata.name === name && (o.metadata.namespace ?? 'default') === ns,
        );
        if (!svc) {
          errors.push(`Ingress/${ing.metadata.name}: Service ${ns}/${String(name)} is not produced`);
        } else if (
          !arr(obj(svc.spec).ports).some((p) =>
            port.number !== undefined ? p.port === port.number : p.name === port.name,
          )
        ) {
          errors.push(
            `Ingress/${ing.metadata.name}: Service ${String(name)} has no port ${JSON.stringify(port)}`,
          );
        }
      }
    }
  }

  for (const sm of objects.filter((o) => o.kind === 'ServiceMonitor')) {
    const spec = obj(sm.spec);
    const matchLabels = (obj(spec.selector).matchLabels as Record<string, string> | undefined) ?? {};
    const names = (obj(spec.namespaceSelector).matchNames as string[] | undefined) ?? [
      sm.metadata.namespace ?? 'default',
    ];
    const selected = objects.filter(
      (o) =>
        o.kind === 'Service' &&
        names.includes(o.metadata.namespace ?? 'default') &&
        Object.entries(matchLabels).every(([k, v]) => o.metadata.labels?.[k] === v),
    );
    if (selected.length === 0) errors.push(`ServiceMonitor/${sm.metadata.name}: selects no Service`);
    for (const endpoint of arr(spec.endpoints)) {
      for (const svc of selected) {
        if (!arr(obj(svc.spec).ports).some((p) => p.name === endpoint.port)) {
          errors.push(
            `ServiceMonitor/${sm.metadata.name}: Service ${svc.metadata.name} has no port named ${String(endpoint.port)}`,
          );
        }
      }
    }
  }

  for (const sts of objects.filter((o) => o.kind === 'StatefulSet')) {
    const serviceName = str(obj(sts.spec).serviceName);
    if (serviceName) {
      const svc = objects.find(
        (o) =>
          o.kind === 'Service' &&
          o.metadata.name === serviceName &&
          o.metadata.namespace === sts.metadata.namespace,
      );
      if (!svc)
        errors.push(`StatefulSet/${sts.metadata.name}: governing Service ${serviceName} is not produced`);
      else if (obj(svc.spec).clusterIP !== 'None') {
        errors.push(`StatefulSet/${sts.metadata.name}: governing Service ${serviceName} is not headless`);
      }
    }
  }

  for (const rb of objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
    const ref = obj(rb.roleRef);
    const refKind = str(ref.kind) ?? '';
    const refNs = refKind === 'Role' ? rb.metadata.namespace : undefined;
    const found = objects.some(
      (o) =>
        o.kind === refKind &&
        o.metadata.name === str(ref.name) &&
        (refKind !== 'Role' || o.metadata.namespace === refNs),
    );
    if (!found) errors.push(`${rb.kind}/${rb.metadata.name}: ${refKind} ${str(ref.name)} is not produced`);
    for (const s of arr(rb.subjects)) {
      if (s.kind === 'ServiceAccount') {
        const ns = str(s.namespace) ?? rb.metadata.namespace;
        if (
          !produced.has(key('ServiceAccount', ns, str(s.name) ?? '')) &&
          !(opts.prerequisiteServiceAccounts ?? []).includes(str(s.name) ?? '')
        ) {
          errors.push(`${rb.kind}/${rb.metadata.name}: ServiceAccount ${ns}/${str(s.name)} is not produced`);
        }
      }
    }
  }
  return errors;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** HPAs, PDBs and topology spread of Deployments and StatefulSets. */
function checkAvailability(objects: K8sObject[], pods: PodTemplate[], opts: PolicyOptions): string[] {
  const errors: string[] = [];
  const ns = (o: K8sObject): string => o.metadata.namespace ?? 'default';
  const scalable = pods.filter((p) => p.owner.kind === 'Deployment' || p.owner.kind === 'StatefulSet');
  const longLived = pods.filter((p) => p.longLived);
  const hpas = objects.filter((o) => o.kind === 'HorizontalPodAutoscaler');
  const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget');
  const hpaOf = new Map<PodTemplate, K8sObject>();

  for (const hpa of hpas) {
    const where = `HorizontalPodAutoscaler/${hpa.metadata.name}`;
    const spec = obj(hpa.spec);
    const ref = obj(spec.scaleTargetRef);
    const target = scalable.find(
      (p) =>
        p.owner.kind === str(ref.kind) &&
        p.owner.metadata.name === str(ref.name) &&
        p.namespace === ns(hpa) &&
        p.owner.apiVersion === str(ref.apiVersion),
    );
    if (!target) {
      errors.push(`${where}: targets ${str(ref.kind)}/${str(ref.name)}, which is not produced`);
      continue;
    }
    hpaOf.set(target, hpa);
    const targetName = `${target.owner.kind}/${target.owner.metadata.name}`;
    if (obj(target.owner.spec).replicas !== undefined) {
      errors.push(`${targetName}: sets spec.replicas although ${where} owns its replica count`);
    }
    const min = typeof spec.minReplicas === 'number' ? spec.minReplicas : 1;
    if (typeof spec.maxReplicas !== 'number' || spec.maxReplicas < min) {
      errors.push(`${where}: maxReplicas must be at least minReplicas`);
    }
    const cpuMetric = arr(spec.metrics).some((m) => str(obj(m.resource).name) === 'cpu');
    if (cpuMetric) {
      for (const c of arr(target.spec.containers)) {
        if (obj(obj(c.resources).requests).cpu === undefined) {
          errors.push(`${where}: scales on CPU but container ${str(c.name)} of ${targetName} requests none`);
        }
      }
    }
  }

  const podCount = (p: PodTemplate): { min: number; max: number } => {
    const hpa = hpaOf.get(p);
    if (hpa) {
      const spec = obj(hpa.spec);
      const min = typeof spec.minReplicas === 'number' ? spec.minReplicas : 1;
      return { min, max: typeof spec.maxReplicas === 'number' ? spec.maxReplicas : min };
    }
    const replicas = obj(p.owner.spec).replicas;
    const n = typeof replicas === 'number' ? replicas : 1;
    return { min: n, max: n };
  };

  const budgetsOf = new Map<PodTemplate, K8sObject[]>();
  for (const pdb of pdbs) {
    const where = `PodDisruptionBudget/${pdb.metadata.name}`;
    const spec = obj(pdb.spec);
    const selector = (obj(spec.selector).matchLabels as Record<string, string> | undefined) ?? {};
    const selected = longLived.filter((p) => p.namespace === ns(pdb) && matches(selector, p.labels));
    if (selected.length === 0) {
      errors.push(`${where}: selects no pods of a produced workload`);
      continue;
    }
    if (selected.length > 1) {
      errors.push(
        `${where}: selects the pods of several workloads (${selected
          .map((p) => `${p.owner.kind}/${p.owner.metadata.name}`)
          .join(', ')})`,
      );
    }
    for (const p of selected) {
      budgetsOf.set(p, [...(budgetsOf.get(p) ?? []), pdb]);
      const { min } = podCount(p);
      const minAvailable = spec.minAvailable;
      const maxUnavailable = spec.maxUnavailable;
      if (typeof minAvailable === 'number' && minAvailable >= min) {
        errors.push(
          `${where}: minAvailable ${minAvailable} with ${min} pods of ${p.owner.kind}/${p.owner.metadata.name} blocks every eviction`,
        );
      }
      if (maxUnavailable === 0 || maxUnavailable === '0%') {
        errors.push(`${where}: maxUnavailable 0 blocks every eviction`);
      }
    }
  }

  for (const p of scalable) {
    const { max } = podCount(p);
    if (max <= 1) continue;
    const where = `${p.owner.kind}/${p.owner.metadata.name}`;
    if (opts.requireDisruptionBudgets ?? true) {
      const budgets = budgetsOf.get(p) ?? [];
      if (budgets.length !== 1) {
        errors.push(`${where}: runs ${max} pods but has ${budgets.length} PodDisruptionBudgets (expected 1)`);
      }
    }
    if (opts.requireTopologySpread ?? true) {
      const spread = arr(p.spec.topologySpreadConstraints).some((c) =>
        matches((obj(c.labelSelector).matchLabels as Record<string, string> | undefined) ?? {}, p.labels),
      );
      if (!spread) errors.push(`${where}: runs ${max} pods but no topology spread constraint selects them`);
    }
  }
  return errors;
}

/** Own ServiceAccounts and API tokens only for API clients. */
function checkServiceAccounts(objects: K8sObject[], pods: PodTemplate[], opts: PolicyOptions): string[] {
  const errors: string[] = [];
  const apiClients = opts.apiClients ?? DEFAULT_API_CLIENTS;
  for (const p of pods) {
    const where = `${p.owner.kind}/${p.owner.metadata.name}`;
    const name = str(p.spec.serviceAccountName);
    if ((opts.requireServiceAccounts ?? true) && (name === undefined || name === 'default')) {
      errors.push(`${where}: runs as the namespace's default ServiceAccount, not one of its own`);
    }
    const account = objects.find(
      (o) =>
        o.kind === 'ServiceAccount' &&
        o.metadata.name === (name ?? 'default') &&
        (o.metadata.namespace ?? 'default') === p.namespace,
    );
    const podSetting = p.spec.automountServiceAccountToken;
    const mounts =
      podSetting === true || (podSetting === undefined && account?.automountServiceAccountToken !== false);
    // `*` in an entry matches any characters of a name.
    const isClient = apiClients.some((c) =>
      new RegExp(
        `^${c
          .split('*')
          .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      ).test(where),
    );
    if (mounts && !isClient) {
      errors.push(`${where}: mounts a Kubernetes API token but does not call the API`);
    }
  }
  return errors;
}

/** `checksum/config` on long-lived pods that read produced ConfigMaps. */
function checkConfigChecksums(objects: K8sObject[], pods: PodTemplate[]): string[] {
  const errors: string[] = [];
  for (const p of pods.filter((x) => x.longLived)) {
    const read = new Set<string>();
    for (const v of arr(p.spec.volumes)) {
      const cm = str(obj(v.configMap).name);
      if (cm) read.add(cm);
      for (const src of arr(obj(v.projected).sources)) {
        const pcm = str(obj(src.configMap).name);
        if (pcm) read.add(pcm);
      }
    }
    for (const { c } of containersOf(p.spec)) {
      for (const e of arr(c.env)) {
        const cm = str(obj(obj(e.valueFrom).configMapKeyRef).name);
        if (cm) read.add(cm);
      }
      for (const ef of arr(c.envFrom)) {
        const cm = str(obj(ef.configMapRef).name);
        if (cm) read.add(cm);
      }
    }
    const produced = [...read]
      .sort()
      .map((name) =>
        objects.find(
          (o) =>
            o.kind === 'ConfigMap' &&
            o.metadata.name === name &&
            (o.metadata.namespace ?? 'default') === p.namespace,
        ),
      )
      .filter((o): o is K8sObject => o !== undefined);
    if (produced.length === 0) continue;
    const expected = configMapsChecksum(produced);
    const annotations =
      (obj(obj(podTemplateOf(p.owner)).metadata).annotations as Record<string, string>) ?? {};
    const actual = annotations['checksum/config'];
    const where = `${p.owner.kind}/${p.owner.metadata.name}`;
    const names = produced.map((cm) => cm.metadata.name).join(', ');
    if (actual === undefined) {
      errors.push(`${where}: reads ConfigMap ${names} but its pod template has no checksum/config`);
    } else if (actual !== expected) {
      errors.push(`${where}: checksum/config is not the SHA-256 of ConfigMap ${names}`);
    }
  }
  return errors;
}

/**
 * The checksum a pod template reading `configMaps` must carry: SHA-256 (hex) of the JSON array of
 * `[name, [[key, value], ...]]`, ConfigMaps sorted by name and keys by key.
 */
export function configMapsChecksum(configMaps: K8sObject[]): string {
  const canonical = [...configMaps]
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0))
    .map((cm) => {
      const data = obj(cm.data);
      return [
        cm.metadata.name,
        Object.keys(data)
          .sort()
          .map((k) => [k, data[k]]),
      ];
    });
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

function podTemplateOf(owner: K8sObject): Json {
  return obj(obj(owner.spec).template);
}

/** Runs every policy check. */
export function checkPolicy(objects: K8sObject[], opts: PolicyOptions = {}): string[] {
  const pods = podTemplates(objects);
  return [
    ...checkPods(pods),
    ...checkLabels(objects, pods),
    ...checkReferences(objects, pods, opts),
    ...checkAvailability(objects, pods, opts),
    ...checkServiceAccounts(objects, pods, opts),
    ...((opts.requireConfigChecksums ?? true) ? checkConfigChecksums(objects, pods) : []),
  ];
}
