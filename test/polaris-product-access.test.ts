import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Testing } from 'cdk8s';
import { FloeJobs, FloeJobsProps } from '../src/jobs/floe-jobs';
import { buildFromManifests } from '../src/manifest/build';
import { dbt, ingest } from '../src/jobs/steps';
import { FloePlatform } from '../src/platform/floe-platform';
import { ExternalCatalog } from '../src/plugins/catalog/external-catalog';
import { Dagster } from '../src/plugins/orchestrator/dagster';
import { DagsterCodeLocation } from '../src/plugins/orchestrator/dagster-code-location';
import { PRODUCT_NAMESPACE_PRIVILEGES } from '../src/plugins/catalog/polaris-product-access';
import { validateObjects } from './support/k8s-schema';
import { checkPolicy } from './support/policy';
import { StandInHost } from './support/stand-in-host';
import { deepFreeze, findObject, get, K8sObject, once } from './support/synth';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

function build(
  props: Partial<FloeJobsProps> = {},
  namespace = 'floe-sales',
): { jobs: FloeJobs; platform: FloePlatform; objects: K8sObject[]; platformObjects: K8sObject[] } {
  const app = Testing.app();
  const platform = new FloePlatform(app, 'platform');
  const jobs = new FloeJobs(app, 'sales', { platform, namespace, ...props });
  jobs.addPipeline('daily', {
    image: 'registry.example.com/sales:1.0.0',
    steps: [ingest.dlt({ source: 'shopify' }), dbt.run()],
  });
  return {
    jobs,
    platform,
    objects: Testing.synth(jobs) as K8sObject[],
    platformObjects: Testing.synth(platform) as K8sObject[],
  };
}

/** `build()` with the defaults, once per file: the tests that read it share it (objects frozen). */
const defaultBuild = once(() => {
  const b = build();
  return { ...b, objects: deepFreeze(b.objects), platformObjects: deepFreeze(b.platformObjects) };
});

function accessJob(objects: K8sObject[], name = 'floe-sales-catalog-access'): K8sObject {
  return findObject(objects, 'Job', name);
}

function accessEnv(objects: K8sObject[]): EnvVar[] {
  return get(accessJob(objects), 'spec.template.spec.containers.0.env') as EnvVar[];
}

function pipelineContainers(objects: K8sObject[]): { name: string; env: EnvVar[] }[] {
  const spec = get(findObject(objects, 'CronJob', 'daily'), 'spec.jobTemplate.spec.template.spec') as {
    initContainers?: { name: string; env: EnvVar[] }[];
    containers: { name: string; env: EnvVar[] }[];
  };
  return [...(spec.initContainers ?? []), ...spec.containers];
}

/** The kubelet's handling of a literal env value: `$$` becomes `$`. */
function kubeletValue(value: string): string {
  return value.replace(/\$\$/g, '$');
}

describe('FloeJobs catalog access (Polaris)', () => {
  test('a Job in the platform namespace sets up the product; a Role lets it write one Secret here', () => {
    const { objects, jobs } = defaultBuild();
    const job = accessJob(objects);
    expect(job.metadata.namespace).toBe('floe-platform');
    expect(get(job, 'spec.activeDeadlineSeconds')).toBe(900);
    expect(get(job, 'spec.template.spec.serviceAccountName')).toBe('floe-sales-catalog-access');
    expect(get(job, 'spec.template.spec.automountServiceAccountToken')).toBe(true);
    expect(findObject(objects, 'ServiceAccount', 'floe-sales-catalog-access').metadata.namespace).toBe(
      'floe-platform',
    );
    const role = findObject(objects, 'Role', 'floe-sales-catalog-access-writer');
    expect(role.metadata.namespace).toBe('floe-sales');
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: ['floe-catalog-credentials'],
        verbs: ['get', 'patch'],
      },
    ]);
    const binding = findObject(objects, 'RoleBinding', 'floe-sales-catalog-access-writer');
    expect(binding.metadata.namespace).toBe('floe-sales');
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'floe-sales-catalog-access', namespace: 'floe-platform' },
    ]);
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'floe-sales-catalog-access-writer',
    });
    // The root credentials reach this Job only, from the platform's Secret.
    const refs = accessEnv(objects).filter((e) => e.valueFrom);
    expect(refs.map((e) => [e.name, e.valueFrom?.secretKeyRef?.name])).toEqual([
      ['ROOT_CLIENT_ID', 'polaris-bootstrap-credentials'],
      ['ROOT_CLIENT_SECRET', 'polaris-bootstrap-credentials'],
    ]);
    for (const c of pipelineContainers(objects)) {
      expect(JSON.stringify(c.env)).not.toContain('polaris-bootstrap-credentials');
    }
    expect(jobs.catalogCredentials).toEqual({
      secretName: 'floe-catalog-credentials',
      clientIdKey: 'client-id',
      clientSecretKey: 'client-secret',
      scope: 'PRINCIPAL_ROLE:floe-sales',
      prerequisite: false,
    });
    // Written in the cluster, so not a prerequisite.
    expect(jobs.requiredSecrets).toEqual([]);
  });

  test('every pipeline container authenticates with the Secret, the credential composed by the kubelet', () => {
    const { objects } = defaultBuild();
    const containers = pipelineContainers(objects);
    expect(containers.map((c) => c.name)).toEqual(['dlt-shopify', 'dbt-run']);
    for (const c of containers) {
      const names = c.env.map((e) => e.name);
      const id = names.indexOf('FLOE_CATALOG_CLIENT_ID');
      const secret = names.indexOf('FLOE_CATALOG_CLIENT_SECRET');
      const credential = names.indexOf('PYICEBERG_CATALOG__DEFAULT__CREDENTIAL');
      // $(VAR) is expanded only with variables defined before it.
      expect(id).toBeGreaterThanOrEqual(0);
      expect(secret).toBeGreaterThan(id);
      expect(credential).toBeGreaterThan(secret);
      expect(c.env[id].valueFrom).toEqual({
        secretKeyRef: { name: 'floe-catalog-credentials', key: 'client-id' },
      });
      expect(c.env[secret].valueFrom).toEqual({
        secretKeyRef: { name: 'floe-catalog-credentials', key: 'client-secret' },
      });
      expect(c.env[credential].value).toBe('$(FLOE_CATALOG_CLIENT_ID):$(FLOE_CATALOG_CLIENT_SECRET)');
      expect(c.env.find((e) => e.name === 'PYICEBERG_CATALOG__DEFAULT__SCOPE')?.value).toBe(
        'PRINCIPAL_ROLE:floe-sales',
      );
    }
    // URI, warehouse and dlt's catalog type come from the ConfigMap every container reads.
    const config = findObject(objects, 'ConfigMap', 'floe-platform-config').data as Record<string, string>;
    expect(config.PYICEBERG_CATALOG__DEFAULT__TYPE).toBe('rest');
    expect(config.PYICEBERG_CATALOG__DEFAULT__URI).toBe(
      'http://polaris.floe-platform.svc.cluster.local:8181/api/catalog',
    );
    expect(config.ICEBERG_CATALOG__ICEBERG_CATALOG_TYPE).toBe('rest');
  });

  test('output is valid Kubernetes 1.28 and meets the policy; Polaris admits the Job', () => {
    const { objects, platformObjects, platform } = defaultBuild();
    expect(validateObjects(objects)).toEqual([]);
    expect(
      checkPolicy([...platformObjects, ...objects], {
        prerequisiteSecrets: platform.requiredSecrets.map((s) => s.name),
        prerequisiteConfigMaps: [...(platform.requiredConfigMaps ?? [])],
      }),
    ).toEqual([]);
    const policy = objects.find(
      (o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'floe-sales-catalog-access',
    );
    expect(policy?.metadata.namespace).toBe('floe-platform');
    const egressPorts = JSON.stringify(get(policy, 'spec.egress'));
    for (const port of [8181, 8182, 443, 6443]) expect(egressPorts).toContain(`"port":${port}`);
    // Two products: two Jobs with pods of their own (one policy each).
    const app = Testing.app();
    const shared = new FloePlatform(app, 'platform');
    const a = new FloeJobs(app, 'a', { platform: shared, namespace: 'floe-sales' });
    const b = new FloeJobs(app, 'b', { platform: shared, namespace: 'floe-marketing' });
    const policies = [a, b].flatMap((c) =>
      (Testing.synth(c) as K8sObject[]).filter(
        (o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'floe-platform',
      ),
    );
    expect(policies.map((p) => p.metadata.name).sort()).toEqual([
      'floe-marketing-catalog-access',
      'floe-sales-catalog-access',
    ]);
  });

  test('namespaces and Secret name are options; existingSecret replaces the setup', () => {
    const custom = build({ catalogAccess: { namespaces: ['sales', 'sales_raw'], secretName: 'iceberg' } });
    expect(accessJob(custom.objects)).toBeDefined();
    const script = (get(accessJob(custom.objects), 'spec.template.spec.containers.0.command') as string[])[2];
    expect(script).toContain('{"namespace":["sales"]}');
    expect(script).toContain('{"namespace":["sales_raw"]}');
    expect(script).not.toContain('floe_sales');
    expect(findObject(custom.objects, 'Role', 'floe-sales-catalog-access-writer').rules).toContainEqual(
      expect.objectContaining({ resourceNames: ['iceberg'] }),
    );

    const existing = build({
      catalogAccess: { existingSecret: 'sales-iceberg', scope: 'PRINCIPAL_ROLE:sales' },
    });
    expect(existing.objects.filter((o) => o.kind === 'Job' || o.kind === 'Role')).toEqual([]);
    expect(existing.jobs.requiredSecrets).toContainEqual({
      name: 'sales-iceberg',
      keys: ['client-id', 'client-secret'],
      purpose: 'catalog credentials of the data product (catalogAccess.existingSecret)',
    });
    expect(existing.jobs.prerequisiteCommands()).toContain(
      'kubectl -n floe-sales create secret generic sales-iceberg --from-literal=client-id=<client-id> --from-literal=client-secret=<client-secret>',
    );
    const env = pipelineContainers(existing.objects)[0].env;
    expect(env.find((e) => e.name === 'FLOE_CATALOG_CLIENT_ID')?.valueFrom?.secretKeyRef?.name).toBe(
      'sales-iceberg',
    );
    expect(env.find((e) => e.name === 'PYICEBERG_CATALOG__DEFAULT__SCOPE')?.value).toBe(
      'PRINCIPAL_ROLE:sales',
    );

    const none = build({ catalogAccess: false });
    expect(none.objects.filter((o) => o.kind === 'Job')).toEqual([]);
    expect(JSON.stringify(pipelineContainers(none.objects))).not.toContain('FLOE_CATALOG_CLIENT_ID');
  });

  test('bad options name the field, the value and what is allowed', () => {
    expect(() => build({ catalogAccess: { namespaces: ['sales-raw'] } })).toThrow(
      /sales\/catalog-access-floe-sales: invalid catalogNamespaces\[0\]: got "sales-raw", expected an Iceberg namespace name/,
    );
    expect(() => build({ catalogAccess: { namespaces: [] } })).toThrow(
      /invalid catalogNamespaces: got \[\], expected at least one Iceberg namespace/,
    );
    expect(() => build({ catalogAccess: { existingSecret: 'x', namespaces: ['a'] } })).toThrow(
      /invalid catalogAccess.namespaces: got \["a"\], expected nothing with catalogAccess.existingSecret/,
    );
    expect(() => build({ catalogAccess: { scope: 'PRINCIPAL_ROLE:x' } })).toThrow(
      /invalid catalogAccess.scope: got "PRINCIPAL_ROLE:x", expected nothing without catalogAccess.existingSecret/,
    );
    expect(() => build({ catalogAccess: { existingSecret: 'x', scope: '$(HOME)' } })).toThrow(
      /invalid catalogAccess.scope: got "\$\(HOME\)", expected an OAuth2 scope/,
    );
    expect(() => build({}, `a${'b'.repeat(48)}`)).toThrow(
      /invalid product: got "ab{48}", expected at most 48 characters \(the Job '<product>-catalog-access' must fit in 63\)/,
    );
    // A chart given only endpoints cannot set up a principal: an existing Secret, or nothing.
    const app = Testing.app();
    const platform = new FloePlatform(app, 'platform');
    expect(
      () =>
        new FloeJobs(Testing.app(), 'remote', {
          endpoints: platform.endpoints,
          namespace: 'floe-sales',
          catalogAccess: {},
        }),
    ).toThrow(
      /remote: invalid catalogAccess: got \{\}, expected `existingSecret` \(a chart given `endpoints`/,
    );
    const remote = new FloeJobs(Testing.app(), 'remote', {
      endpoints: platform.endpoints,
      namespace: 'floe-sales',
    });
    expect(remote.catalogCredentials).toBeUndefined();
    // A catalog outside the cluster cannot either.
    const external = new FloePlatform(Testing.app(), 'platform', {
      catalog: ExternalCatalog.provider({
        catalogUri: 'https://catalog.example.com/api/catalog',
        warehouse: 'w',
      }),
    });
    expect(
      () =>
        new FloeJobs(Testing.app(), 'sales', {
          platform: external,
          namespace: 'floe-sales',
          catalogAccess: { namespaces: ['x'] },
        }),
    ).toThrow(/expected `existingSecret` \(the platform's catalog cannot set up principals\), or false/);
  });
});

// ---------------------------------------------------------------------------------------------
// The script against a stand-in that answers as Polaris 1.7.0 and the Kubernetes API do.

/**
 * A stand-in `curl` (a node script, run by a StandInHost): parses the options the script uses and answers from a state file that
 * plays Polaris (principals with credentials, roles, namespaces, grants, assignments; root token
 * for the root credentials, a principal token for a principal's) and the Kubernetes API (Secrets
 * in the product namespace; the ServiceAccount token and CA required). `force` maps
 * `METHOD /path` to a fixed answer. Every call is logged (argv, method, path, body).
 */
const STAND_IN = `#!${process.execPath}
const fs = require('fs');
const path = require('path');
const dir = process.env.STAND_IN_DIR;
const args = process.argv.slice(2);
const call = { argv: args, headers: [], form: {} };
let out, format, cacert;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '-sS' || a === '--retry-connrefused') continue;
  if (['--connect-timeout', '--max-time', '--retry', '--retry-delay'].includes(a)) { i++; continue; }
  if (a === '--cacert') { cacert = args[++i]; continue; }
  if (a === '-o') { out = args[++i]; continue; }
  if (a === '-w') { format = args[++i]; continue; }
  if (a === '-X') { call.method = args[++i]; continue; }
  if (a === '-H') {
    const v = args[++i];
    if (v.startsWith('@')) call.headers.push(...fs.readFileSync(v.slice(1), 'utf8').split('\\n').filter(Boolean));
    else call.headers.push(v);
    continue;
  }
  if (a === '--data-urlencode') {
    const m = /^([^=@]*)([=@])([\\s\\S]*)$/.exec(args[++i]);
    call.form[m[1]] = m[2] === '@' ? fs.readFileSync(m[3], 'utf8') : m[3];
    continue;
  }
  if (a === '--data-binary') { const v = args[++i]; call.body = fs.readFileSync(v.slice(1), 'utf8'); continue; }
  if (a.startsWith('-')) { process.stderr.write('stand-in curl: unexpected option ' + a + '\\n'); process.exit(2); }
  call.url = a;
}
call.method = call.method || (Object.keys(call.form).length > 0 || call.body !== undefined ? 'POST' : 'GET');
const url = new URL(call.url);
call.path = decodeURIComponent(url.pathname);
fs.appendFileSync(path.join(dir, 'log'), JSON.stringify(call) + '\\n');
if (!out || format !== '%{http_code}\\\\n') { process.stderr.write('stand-in curl: expected -o and -w\\n'); process.exit(2); }
const statePath = path.join(dir, 'state.json');
const s = JSON.parse(fs.readFileSync(statePath, 'utf8'));
const auth = (call.headers.find((h) => h.startsWith('Authorization: ')) || '').slice(15);
function answer(status, body) {
  fs.writeFileSync(statePath, JSON.stringify(s));
  fs.writeFileSync(out, typeof body === 'string' ? body : JSON.stringify(body));
  process.stdout.write(status + '\\n');
  process.exit(0);
}
const forced = s.force[call.method + ' ' + call.path];
if (forced) answer(forced[0], forced[1]);
const body = call.body ? JSON.parse(call.body) : undefined;
const key = call.method + ' ' + call.path;
let m;
if (url.host === 'kubernetes.default.svc') {
  if (!cacert || !fs.existsSync(cacert)) answer(60, '');
  if (auth !== 'Bearer kube-token') answer(401, { kind: 'Status', code: 401, reason: 'Unauthorized' });
  if ((m = /^GET \\/api\\/v1\\/namespaces\\/([^/]+)\\/secrets\\/([^/]+)$/.exec(key))) {
    const sec = s.secrets[m[1] + '/' + m[2]];
    return sec ? answer(200, sec) : answer(404, { kind: 'Status', code: 404, reason: 'NotFound' });
  }
  if ((m = /^POST \\/api\\/v1\\/namespaces\\/([^/]+)\\/secrets$/.exec(key))) {
    const k = m[1] + '/' + body.metadata.name;
    if (s.secrets[k]) answer(409, { kind: 'Status', code: 409, reason: 'AlreadyExists' });
    const data = Object.fromEntries(Object.entries(body.stringData).map(([n, v]) => [n, Buffer.from(v).toString('base64')]));
    s.secrets[k] = { apiVersion: 'v1', kind: 'Secret', metadata: body.metadata, type: body.type, data };
    answer(201, s.secrets[k]);
  }
  if ((m = /^PATCH \\/api\\/v1\\/namespaces\\/([^/]+)\\/secrets\\/([^/]+)$/.exec(key))) {
    const sec = s.secrets[m[1] + '/' + m[2]];
    if (!sec) answer(404, { kind: 'Status', code: 404 });
    if (!call.headers.includes('Content-Type: application/merge-patch+json')) answer(415, '');
    for (const [n, v] of Object.entries(body.stringData)) sec.data[n] = Buffer.from(v).toString('base64');
    answer(200, sec);
  }
  answer(404, { kind: 'Status', code: 404 });
}
if (!call.headers.includes('Polaris-Realm: POLARIS')) answer(400, 'no realm');
if (key === 'POST /api/catalog/v1/oauth/tokens') {
  const f = call.form;
  if (f.client_id === 'root-client' && f.client_secret === 'root-secret$x') answer(200, { access_token: 'root-token', token_type: 'bearer' });
  const p = Object.values(s.principals).find((p) => p.clientId === f.client_id && p.clientSecret === f.client_secret);
  if (p && f.scope === 'PRINCIPAL_ROLE:' + p.name) answer(200, { access_token: 'p-token-' + p.name, token_type: 'bearer' });
  answer(401, { error: 'unauthorized_client' });
}
if (auth !== 'Bearer root-token') answer(401, { error: { code: 401 } });
const mg = '/api/management/v1';
const creds = () => ({ clientId: 'id' + (++s.counter), clientSecret: 'sec/' + s.counter + '+"q' });
if (key === 'POST ' + mg + '/principal-roles') {
  if (s.principalRoles.includes(body.principalRole.name)) answer(409, { error: { code: 409 } });
  s.principalRoles.push(body.principalRole.name); answer(201, body.principalRole);
}
if ((m = new RegExp('^POST ' + mg + '/catalogs/([^/]+)/catalog-roles$').exec(key))) {
  if (m[1] !== 'floe') answer(404, { error: { message: 'catalog not found' } });
  if (s.catalogRoles.includes(body.catalogRole.name)) answer(409, { error: { code: 409 } });
  s.catalogRoles.push(body.catalogRole.name); answer(201, body.catalogRole);
}
if ((m = /^POST \\/api\\/catalog\\/v1\\/([^/]+)\\/namespaces$/.exec(key))) {
  const ns = body.namespace.join('.');
  if (s.namespaces.includes(ns)) answer(409, { error: { type: 'AlreadyExistsException', code: 409 } });
  s.namespaces.push(ns); answer(200, { namespace: body.namespace, properties: {} });
}
if ((m = new RegExp('^PUT ' + mg + '/catalogs/floe/catalog-roles/([^/]+)/grants$').exec(key))) {
  if (!s.catalogRoles.includes(m[1])) answer(404, { error: { message: 'role not found' } });
  if (!s.namespaces.includes(body.grant.namespace.join('.'))) answer(404, { error: { message: 'namespace not found' } });
  const g = m[1] + ' ' + body.grant.type + ' ' + body.grant.namespace.join('.') + ' ' + body.grant.privilege;
  if (!s.grants.includes(g)) s.grants.push(g);
  answer(201, ''); // a duplicate grant is a no-op at 1.7.0
}
if ((m = new RegExp('^PUT ' + mg + '/principal-roles/([^/]+)/catalog-roles/floe$').exec(key))) {
  if (!s.principalRoles.includes(m[1]) || !s.catalogRoles.includes(body.catalogRole.name)) answer(404, {});
  const a = 'principal role ' + m[1] + ' <- catalog role ' + body.catalogRole.name;
  if (!s.assignments.includes(a)) s.assignments.push(a);
  answer(201, '');
}
if ((m = new RegExp('^GET ' + mg + '/principals/([^/]+)$').exec(key))) {
  const p = s.principals[m[1]];
  return p ? answer(200, { name: p.name, clientId: p.clientId }) : answer(404, { error: { code: 404 } });
}
if (key === 'POST ' + mg + '/principals') {
  const name = body.principal.name;
  if (s.principals[name]) answer(409, { error: { code: 409 } });
  s.principals[name] = { name, ...creds() };
  const p = s.principals[name];
  answer(201, { principal: { name, clientId: p.clientId }, credentials: { clientId: p.clientId, clientSecret: p.clientSecret } });
}
if ((m = new RegExp('^POST ' + mg + '/principals/([^/]+)/rotate$').exec(key))) {
  const p = s.principals[m[1]];
  if (!p) answer(404, {});
  const c = creds();
  p.clientSecret = c.clientSecret; // Polaris keeps the client ID and issues a new secret
  answer(200, { principal: { name: p.name, clientId: p.clientId }, credentials: { clientId: p.clientId, clientSecret: p.clientSecret } });
}
if ((m = new RegExp('^PUT ' + mg + '/principals/([^/]+)/principal-roles$').exec(key))) {
  if (!s.principals[m[1]] || !s.principalRoles.includes(body.principalRole.name)) answer(404, {});
  const a = 'principal ' + m[1] + ' <- principal role ' + body.principalRole.name;
  if (!s.assignments.includes(a)) s.assignments.push(a);
  answer(201, '');
}
answer(404, { error: { message: 'no such stand-in route ' + key } });
`;

interface StandInState {
  principals: Record<string, { name: string; clientId: string; clientSecret: string }>;
  principalRoles: string[];
  catalogRoles: string[];
  namespaces: string[];
  grants: string[];
  assignments: string[];
  secrets: Record<string, { metadata: K8sObject['metadata']; data: Record<string, string> }>;
  force: Record<string, [number, unknown]>;
  counter: number;
}

interface Call {
  argv: string[];
  method: string;
  path: string;
  url: string;
  body?: string;
  form: Record<string, string>;
}

let curlHost: StandInHost;
beforeAll(async () => {
  curlHost = await StandInHost.start(STAND_IN);
});
afterAll(() => curlHost.close());

/** A place with the stand-in on PATH, a ServiceAccount directory and state that survives runs. */
class StandIn {
  public readonly root = mkdtempSync(join(tmpdir(), 'catalog-access-'));
  public constructor(initial: Partial<StandInState> = {}) {
    mkdirSync(join(this.root, 'bin'));
    mkdirSync(join(this.root, 'sa'));
    writeFileSync(join(this.root, 'sa', 'token'), 'kube-token');
    writeFileSync(join(this.root, 'sa', 'ca.crt'), 'CA');
    curlHost.install(join(this.root, 'bin', 'curl'));
    // The curl image's shell and tools are busybox: with busybox installed, the script runs on it.
    if (BUSYBOX) {
      for (const tool of ['sed', 'tr', 'grep', 'base64', 'cat', 'rm']) {
        symlinkSync(BUSYBOX, join(this.root, 'bin', tool));
      }
    }
    this.state = {
      principals: {},
      principalRoles: [],
      catalogRoles: [],
      namespaces: [],
      grants: [],
      assignments: [],
      secrets: {},
      force: {},
      counter: 0,
      ...initial,
    };
  }

  public get state(): StandInState {
    return JSON.parse(readFileSync(join(this.root, 'state.json'), 'utf8')) as StandInState;
  }

  public set state(s: StandInState) {
    writeFileSync(join(this.root, 'state.json'), JSON.stringify(s));
  }

  /** Runs the Job's script once, as the pod would (its env, the kubelet's `$$`). */
  public run(objects: K8sObject[]): { status: number | null; stdout: string; stderr: string; calls: Call[] } {
    writeFileSync(join(this.root, 'log'), '');
    const work = mkdtempSync(join(this.root, 'work-'));
    const env: Record<string, string> = {
      PATH: `${join(this.root, 'bin')}:/usr/bin:/bin`,
      STAND_IN_DIR: this.root,
      ROOT_CLIENT_ID: 'root-client',
      ROOT_CLIENT_SECRET: 'root-secret$x',
    };
    for (const e of accessEnv(objects)) {
      if (e.value !== undefined) env[e.name] = kubeletValue(e.value);
    }
    env.SETUP_DIR = work;
    env.KUBE_SA_DIR = join(this.root, 'sa');
    const script = (get(accessJob(objects), 'spec.template.spec.containers.0.command') as string[])[2];
    const r = BUSYBOX
      ? spawnSync(BUSYBOX, ['sh', '-c', script], { env, encoding: 'utf8', timeout: 60000 })
      : spawnSync('sh', ['-c', script], { env, encoding: 'utf8', timeout: 60000 });
    const calls = readFileSync(join(this.root, 'log'), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Call);
    const left = spawnSync('ls', ['-A', work], { encoding: 'utf8' }).stdout.trim();
    if (r.status === 0) expect(left).toBe('');
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls };
  }
}

const SECRET_KEY = 'floe-sales/floe-catalog-credentials';
const BUSYBOX = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));

function secretValues(state: StandInState): Record<string, string> {
  const data = state.secrets[SECRET_KEY].data;
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
}

function writes(calls: Call[]): string[] {
  return calls
    .filter((c) => c.method !== 'GET' && !c.path.endsWith('/oauth/tokens'))
    .map((c) => `${c.method} ${c.path}`);
}

describe('catalog access script against Polaris and Kubernetes stand-ins', () => {
  const { objects } = defaultBuild();

  test('first run: roles, namespace, grants, principal, Secret; only the product namespace is granted', () => {
    const standIn = new StandIn();
    const run = standIn.run(objects);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const s = standIn.state;
    expect(s.principalRoles).toEqual(['floe-sales']);
    expect(s.catalogRoles).toEqual(['floe-sales']);
    expect(s.namespaces).toEqual(['floe_sales']);
    expect(s.grants).toEqual(PRODUCT_NAMESPACE_PRIVILEGES.map((p) => `floe-sales namespace floe_sales ${p}`));
    expect(s.assignments).toEqual([
      'principal role floe-sales <- catalog role floe-sales',
      'principal floe-sales <- principal role floe-sales',
    ]);
    const p = s.principals['floe-sales'];
    expect(secretValues(s)).toEqual({ 'client-id': p.clientId, 'client-secret': p.clientSecret });
    const meta = s.secrets[SECRET_KEY].metadata;
    expect(meta.annotations).toEqual({ 'floe.dev/catalog-principal': 'floe-sales' });
    expect(meta.labels?.['app.kubernetes.io/managed-by']).toBe('floe');
    expect(meta.namespace).toBe('floe-sales');
    // No secret in any argument list or in the log.
    const argv = JSON.stringify(run.calls.map((c) => c.argv));
    for (const hidden of ['root-secret$x', 'root-token', p.clientSecret, 'kube-token']) {
      expect(argv).not.toContain(hidden);
      expect(run.stdout + run.stderr).not.toContain(hidden);
    }
    expect(run.stdout).toContain('created principal floe-sales');
    expect(run.stdout).toContain('wrote Secret floe-sales/floe-catalog-credentials');
  });

  test('second run (Job recreated after its TTL): nothing changes, the stored credentials are checked', () => {
    const standIn = new StandIn();
    expect(standIn.run(objects).status).toBe(0);
    const before = standIn.state;
    const run = standIn.run(objects);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const after = standIn.state;
    expect(after.principals).toEqual(before.principals);
    expect(after.secrets).toEqual(before.secrets);
    expect(after.grants).toEqual(before.grants);
    expect(writes(run.calls).filter((w) => /principals$|rotate|secrets/.test(w))).toEqual([]);
    expect(run.stdout).toContain('principal role floe-sales exists; left unchanged');
    expect(run.stdout).toContain('namespace floe_sales in floe exists; left unchanged');
    expect(run.stdout).toContain(
      'credentials in Secret floe-sales/floe-catalog-credentials work; left unchanged',
    );
    // The check used the product's own credentials and scope.
    const check = run.calls.filter((c) => c.path.endsWith('/oauth/tokens'))[1];
    expect(check.form).toEqual({
      grant_type: 'client_credentials',
      client_id: before.principals['floe-sales'].clientId,
      client_secret: before.principals['floe-sales'].clientSecret,
      scope: 'PRINCIPAL_ROLE:floe-sales',
    });
  });

  test('Secret deleted: the credentials are rotated and the Secret created again', () => {
    const standIn = new StandIn();
    standIn.run(objects);
    const s = standIn.state;
    const oldSecret = s.principals['floe-sales'].clientSecret;
    delete s.secrets[SECRET_KEY];
    standIn.state = s;
    const run = standIn.run(objects);
    expect(run.status).toBe(0);
    const after = standIn.state;
    expect(after.principals['floe-sales'].clientSecret).not.toBe(oldSecret);
    expect(secretValues(after)['client-secret']).toBe(after.principals['floe-sales'].clientSecret);
    expect(writes(run.calls)).toContain('POST /api/management/v1/principals/floe-sales/rotate');
    expect(writes(run.calls)).toContain('POST /api/v1/namespaces/floe-sales/secrets');
  });

  test("stale credentials in floe's Secret: rotated and the Secret patched in place", () => {
    const standIn = new StandIn();
    standIn.run(objects);
    const s = standIn.state;
    s.principals['floe-sales'].clientSecret = 'rotated-by-someone-else';
    standIn.state = s;
    const run = standIn.run(objects);
    expect(run.status).toBe(0);
    expect(writes(run.calls)).toContain(
      'PATCH /api/v1/namespaces/floe-sales/secrets/floe-catalog-credentials',
    );
    const after = standIn.state;
    expect(secretValues(after)['client-secret']).toBe(after.principals['floe-sales'].clientSecret);
  });

  test('a Secret of that name that floe did not write is left alone and the Job fails saying so', () => {
    const foreign = {
      metadata: { name: 'floe-catalog-credentials', namespace: 'floe-sales' },
      data: { 'client-id': Buffer.from('mine').toString('base64') },
    };
    const standIn = new StandIn({ secrets: { [SECRET_KEY]: foreign } });
    const run = standIn.run(objects);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(
      'Secret floe-catalog-credentials in namespace floe-sales exists and floe did not write it',
    );
    expect(standIn.state.secrets[SECRET_KEY]).toEqual(foreign);
    expect(standIn.state.principals).toEqual({});
  });

  test('errors stop the Job with what failed and the answer; no token in the output', () => {
    const grantFails = new StandIn({
      force: {
        'PUT /api/management/v1/catalogs/floe/catalog-roles/floe-sales/grants': [
          500,
          { error: { message: 'boom', code: 500 } },
        ],
      },
    });
    const run = grantFails.run(objects);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(
      'granted NAMESPACE_FULL_METADATA on namespace floe_sales to catalog role floe-sales failed with HTTP 500:',
    );
    expect(run.stderr).toContain('"message":"boom"');
    expect(run.stderr).not.toContain('root-token');
    expect(grantFails.state.principals).toEqual({});

    const forbidden = new StandIn({
      force: {
        'GET /api/v1/namespaces/floe-sales/secrets/floe-catalog-credentials': [
          403,
          { kind: 'Status', reason: 'Forbidden', code: 403 },
        ],
      },
    });
    const denied = forbidden.run(objects);
    expect(denied.status).not.toBe(0);
    expect(denied.stderr).toContain(
      'reading Secret floe-catalog-credentials in namespace floe-sales failed with HTTP 403:',
    );

    const noCatalog = new StandIn({
      force: {
        'POST /api/management/v1/catalogs/floe/catalog-roles': [
          404,
          { error: { message: 'catalog not found' } },
        ],
      },
    });
    const missing = noCatalog.run(objects);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('creating catalog role floe-sales in floe failed with HTTP 404:');
  });
});

describe('Dagster code locations get catalog credentials of their own', () => {
  const location = (extra: Record<string, unknown> = {}): DagsterCodeLocation => ({
    name: 'analytics',
    image: { registry: 'registry.example.com', repository: 'analytics', tag: '1.0.0' },
    moduleName: 'analytics.definitions',
    ...extra,
  });
  const platformWith = (
    loc: DagsterCodeLocation,
    options: Record<string, unknown> = {},
  ): { platform: FloePlatform; objects: K8sObject[] } => {
    const app = Testing.app();
    const platform = new FloePlatform(app, 'platform', {
      orchestrator: Dagster.provider({ codeLocations: [loc], ...options }),
    });
    return { platform, objects: Testing.synth(platform) as K8sObject[] };
  };
  const codeServerEnv = (objects: K8sObject[]): EnvVar[] =>
    get(
      findObject(objects, 'Deployment', 'dagster-analytics'),
      'spec.template.spec.containers.0.env',
    ) as EnvVar[];
  /** The container context as the code server's process sees it (after the kubelet's `$$` → `$`). */
  const containerContext = (objects: K8sObject[]): { k8s: Record<string, unknown> } => {
    const raw = codeServerEnv(objects).find(
      (e) => e.name === 'DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT',
    )?.value;
    return JSON.parse(kubeletValue(raw ?? '')) as { k8s: Record<string, unknown> };
  };

  test('a principal dagster-<location>; its runs get the credentials after the step-log ones', () => {
    const { objects, platform } = platformWith(location());
    const job = findObject(objects, 'Job', 'dagster-analytics-catalog-access');
    const script = (get(job, 'spec.template.spec.containers.0.command') as string[])[2];
    expect(script).toContain('{"namespace":["analytics"]}');
    expect(accessEnvOf(job).find((e) => e.name === 'PRINCIPAL')?.value).toBe('dagster-analytics');
    expect(findObject(objects, 'Role', 'dagster-analytics-catalog-access-writer').rules).toContainEqual(
      expect.objectContaining({ resourceNames: ['dagster-analytics-catalog-credentials'] }),
    );
    const env = get(containerContext(objects), 'k8s.run_k8s_config.container_config.env') as Record<
      string,
      unknown
    >[];
    const ref = (name: string, key: string): Record<string, unknown> => ({
      value_from: { secret_key_ref: { name, key } },
    });
    expect(env).toEqual([
      // The instance's step-log credentials, which this list replaces for the location's runs.
      { name: 'AWS_ACCESS_KEY_ID', ...ref('minio-credentials', 'rootUser') },
      { name: 'AWS_SECRET_ACCESS_KEY', ...ref('minio-credentials', 'rootPassword') },
      { name: 'AWS_REGION', value: 'us-east-1' },
      { name: 'FLOE_CATALOG_CLIENT_ID', ...ref('dagster-analytics-catalog-credentials', 'client-id') },
      {
        name: 'FLOE_CATALOG_CLIENT_SECRET',
        ...ref('dagster-analytics-catalog-credentials', 'client-secret'),
      },
      {
        name: 'PYICEBERG_CATALOG__DEFAULT__CREDENTIAL',
        value: '$(FLOE_CATALOG_CLIENT_ID):$(FLOE_CATALOG_CLIENT_SECRET)',
      },
      { name: 'PYICEBERG_CATALOG__DEFAULT__SCOPE', value: 'PRINCIPAL_ROLE:dagster-analytics' },
    ]);
    // The instance's own list is the same step-log part (so both say the same).
    const instance = findObject(objects, 'ConfigMap', 'dagster-instance').data as Record<string, string>;
    expect(instance['dagster.yaml']).toContain('AWS_ACCESS_KEY_ID');
    // The code server (sensors) gets the credentials itself: same namespace as the runs.
    const serverEnv = codeServerEnv(objects).map((e) => e.name);
    expect(serverEnv).toEqual(
      expect.arrayContaining(['FLOE_CATALOG_CLIENT_ID', 'PYICEBERG_CATALOG__DEFAULT__SCOPE']),
    );
    expect(validateObjects(objects)).toEqual([]);
    expect(
      checkPolicy(objects, {
        prerequisiteSecrets: platform.requiredSecrets.map((s) => s.name),
        prerequisiteConfigMaps: [...(platform.requiredConfigMaps ?? [])],
      }),
    ).toEqual([]);
  });

  test('runs in another namespace: the Secret and Role go there; the code server gets no credentials', () => {
    const { objects } = platformWith(location(), { jobNamespace: 'dagster-runs' });
    expect(findObject(objects, 'Role', 'dagster-analytics-catalog-access-writer').metadata.namespace).toBe(
      'dagster-runs',
    );
    expect(findObject(objects, 'Job', 'dagster-analytics-catalog-access').metadata.namespace).toBe(
      'floe-platform',
    );
    expect(codeServerEnv(objects).map((e) => e.name)).not.toContain('FLOE_CATALOG_CLIENT_ID');
    const env = get(containerContext(objects), 'k8s.run_k8s_config.container_config.env') as {
      name: string;
    }[];
    expect(env.map((e) => e.name)).toContain('PYICEBERG_CATALOG__DEFAULT__CREDENTIAL');
  });

  test('existingSecret: no Job, the Secret is a prerequisite; false: no credentials', () => {
    const existing = platformWith(location({ catalogAccess: { existingSecret: 'analytics-iceberg' } }));
    expect(
      existing.objects.filter((o) => o.kind === 'Job' && o.metadata.name.includes('catalog-access')),
    ).toEqual([]);
    expect(existing.platform.requiredSecrets).toContainEqual(
      expect.objectContaining({ name: 'analytics-iceberg', keys: ['client-id', 'client-secret'] }),
    );
    const off = platformWith(location({ catalogAccess: false }));
    expect(JSON.stringify(off.objects)).not.toContain('FLOE_CATALOG_CLIENT_ID');
    expect(get(containerContext(off.objects), 'k8s.run_k8s_config')).toBeUndefined();
  });

  test('a location name too long for its access Job is refused with what fits; 40 is fine', () => {
    expect(() => platformWith(location({ name: `a${'b'.repeat(39)}` }))).not.toThrow();
    expect(() =>
      platformWith(location({ name: `a${'b'.repeat(40)}`, catalogAccess: { existingSecret: 's' } })),
    ).not.toThrow();
    expect(() => platformWith(location({ name: `a${'b'.repeat(40)}` }))).toThrow(
      /platform\/orchestrator\/orchestrator: invalid codeLocations\[0\].name: got "ab{40}", expected at most 40 characters while the location gets a catalog principal/,
    );
  });
});

function accessEnvOf(job: K8sObject): EnvVar[] {
  return get(job, 'spec.template.spec.containers.0.env') as EnvVar[];
}

describe('catalog access in manifests (DataProduct catalog)', () => {
  const root = join(__dirname, '..');
  const platformManifest = join(root, 'examples', 'platform-with-products', 'platform-manifest.yaml');
  const product = (dir: string, name: string, catalog: string): string => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      [
        'apiVersion: floe.dev/v1',
        'kind: DataProduct',
        'metadata:',
        `  name: ${name}`,
        "  version: '1.0.0'",
        'platform:',
        '  ref: acme',
        `image: registry.example.com/sales/${name}:1.0.0`,
        'namespace: floe-sales',
        'transforms:',
        '  - type: dbt',
        '    path: /app/dbt',
        ...(catalog ? [catalog] : []),
        '',
      ].join('\n'),
    );
    return file;
  };
  const build = (products: string[]) =>
    buildFromManifests(
      { manifest: platformManifest, products },
      mkdtempSync(join(tmpdir(), 'catalog-manifest-out-')),
    );

  test('existingSecret: no setup Job, the Secret is a prerequisite of the chart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-manifest-'));
    const built = build([product(dir, 'orders', 'catalog:\n  existingSecret: sales-iceberg')]);
    if (!built.ok) throw new Error(JSON.stringify(built.problems));
    const jobs = built.charts.find((c) => c.role === 'jobs')?.chart as FloeJobs;
    expect(jobs.catalogCredentials?.secretName).toBe('sales-iceberg');
    expect(jobs.requiredSecrets.map((s) => s.name)).toContain('sales-iceberg');
    expect((Testing.synth(jobs) as K8sObject[]).filter((o) => o.kind === 'Job')).toEqual([]);
  });

  test('products sharing a namespace must agree, else a positioned problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-manifest-'));
    const built = build([
      product(dir, 'orders', 'catalog:\n  namespaces: [sales]'),
      product(dir, 'returns', 'catalog: false'),
    ]);
    expect(built.ok).toBe(false);
    if (built.ok) return;
    expect(
      built.problems.map((p) => `${p.file.split('/').pop()}:${p.line}: ${p.path}: ${p.message}`),
    ).toEqual([
      "returns.yaml:13: catalog: not allowed (got false, expected the same as product 'orders' in namespace 'floe-sales', whose catalog credentials it shares)",
    ]);
    const bad = build([product(dir, 'orders', 'catalog:\n  namespaces: [sales-raw]')]);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problems[0].message).toContain('an Iceberg namespace name');
  });
});
