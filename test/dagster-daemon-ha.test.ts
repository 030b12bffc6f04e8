/**
 * The Dagster daemon's `ha` mode as synthesized: the Deployment, the leader election supervisor
 * wired into it (command, environment, ConfigMap, probes), the Lease RBAC, and the public
 * properties. The supervisor's behaviour is tested in dagster-daemon-election.test.ts.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart } from 'cdk8s';
import { PostgreSQL } from '../src/plugins/database/postgres';
import { Dagster, DagsterProps } from '../src/plugins/orchestrator/dagster';
import { DAGSTER_DAEMON_ELECTION_TIMING } from '../src/plugins/orchestrator/dagster-daemon-election';
import { FAKE_TOKEN, FakeLeaseApi } from './support/fake-lease-api';
import { asArray, asJson, envMap, envVars, workloadContainer, workloadPodSpec } from './support/helpers';
import { validateObjects } from './support/k8s-schema';
import { checkPolicy, configMapsChecksum } from './support/policy';
import { findObject, get, K8sObject, synthBuilt } from './support/synth';

const NS = 'floe-platform';
const DB_SECRET = 'orchestrator-db-credentials';
const SCRIPT = path.join(__dirname, '..', 'src', 'plugins', 'orchestrator', 'dagster-daemon-election.py');
const SCRIPT_TEXT = fs.readFileSync(SCRIPT, 'utf8');
const WORKSPACE = '/dagster-workspace/workspace.yaml';

/** Synthesizes Dagster (and its PostgreSQL) in `ha` mode unless `daemon` says otherwise. */
function synth(props: Partial<DagsterProps> = {}): { objects: K8sObject[]; dagster: Dagster } {
  const { objects, built } = synthBuilt((chart: Chart) => {
    const database = new PostgreSQL(chart, 'orchestrator-db', { database: 'dagster', username: 'dagster' });
    return new Dagster(chart, 'orchestrator', { database, daemon: { mode: 'ha' }, ...props });
  }, NS);
  return { objects, dagster: built };
}

const { objects, dagster } = synth();
const deployment = findObject(objects, 'Deployment', 'dagster-daemon');
const pod = workloadPodSpec(objects, 'Deployment', 'dagster-daemon');
const daemon = workloadContainer(objects, 'Deployment', 'dagster-daemon');

describe("Dagster daemon, mode 'ha'", () => {
  test('two pods, replaced with Recreate: a switch from single mode never overlaps the old daemon', () => {
    expect(get(deployment, 'spec.replicas')).toBe(2);
    expect(get(deployment, 'spec.strategy')).toEqual({ type: 'Recreate' });
    expect(pod.terminationGracePeriodSeconds).toBe(30);
  });

  test('each pod runs the supervisor, which runs the same `dagster-daemon run` as single mode', () => {
    expect(daemon.command).toEqual([
      'python3',
      '/dagster-daemon-election/election.py',
      'run',
      '--',
      'dagster-daemon',
      'run',
      '-w',
      WORKSPACE,
    ]);
    const single = workloadContainer(synth({ daemon: {} }).objects, 'Deployment', 'dagster-daemon');
    expect(asArray(daemon.command).slice(4)).toEqual(single.command);
  });

  test('the supervisor gets the Lease, its pod name and namespace, and the production timing', () => {
    const env = envMap(daemon);
    expect(
      Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('LEADER_ELECTION_'))),
    ).toEqual({
      LEADER_ELECTION_LEASE_NAME: 'dagster-daemon-leader',
      LEADER_ELECTION_NAMESPACE: { fieldRef: { fieldPath: 'metadata.namespace' } },
      LEADER_ELECTION_IDENTITY: { fieldRef: { fieldPath: 'metadata.name' } },
      LEADER_ELECTION_LEASE_DURATION: '10',
      LEADER_ELECTION_RENEW_DEADLINE: '6',
      LEADER_ELECTION_RETRY_PERIOD: '2',
      LEADER_ELECTION_KILL_GRACE: '2',
      LEADER_ELECTION_STOP_GRACE: '10',
      LEADER_ELECTION_STARTUP_GRACE: '600',
      LEADER_ELECTION_STATE_FILE: '/tmp/dagster-daemon-election.json',
    });
    // The daemon's own environment is unchanged.
    expect(env.DAGSTER_DAEMON_HEARTBEAT_TOLERANCE).toBe('300');
    expect(env.DAGSTER_HOME).toBe('/opt/dagster/dagster_home');
    // The pod's ServiceAccount token (for the API) and the in-cluster API address are there.
    expect(pod.serviceAccountName).toBe('dagster-daemon');
    expect(pod.automountServiceAccountToken).toBe(true);
  });

  test('the timing keeps the old daemon dead before a standby may take over; a drain fails over in < 15 s', () => {
    const t = DAGSTER_DAEMON_ELECTION_TIMING;
    expect(t.renewDeadlineSeconds + t.killGraceSeconds).toBeLessThan(t.leaseDurationSeconds);
    expect(t.renewDeadlineSeconds).toBeGreaterThan(1.2 * t.retryPeriodSeconds);
    // Stopping the daemon, then releasing the Lease (one request, at most half the renew deadline).
    expect(t.stopGraceSeconds + t.renewDeadlineSeconds / 2).toBeLessThan(t.terminationGracePeriodSeconds);
    // A drain: the daemon stops, the Lease is released, the standby sees it at its next retry.
    expect(t.stopGraceSeconds + t.retryPeriodSeconds).toBeLessThan(15);
    // A leader that dies without a word: its last renewal reaches a standby within one retry
    // period, the standby waits one lease duration by its own clock and acts at its next retry.
    expect(t.leaseDurationSeconds + 2 * t.retryPeriodSeconds).toBeLessThan(15);
  });

  test('the script is a ConfigMap mounted read-only, and a new script rolls the pods', () => {
    expect(findObject(objects, 'ConfigMap', 'dagster-daemon-election').data).toEqual({
      'election.py': SCRIPT_TEXT,
    });
    expect(asArray(pod.volumes).map(asJson)).toContainEqual({
      name: 'leader-election',
      configMap: { name: 'dagster-daemon-election' },
    });
    expect(asArray(daemon.volumeMounts).map(asJson)).toContainEqual({
      name: 'leader-election',
      mountPath: '/dagster-daemon-election',
      readOnly: true,
    });
    // The checksum covers the script with dagster.yaml and workspace.yaml.
    const reads = ['dagster-instance', 'dagster-workspace', 'dagster-daemon-election'].map((n) =>
      findObject(objects, 'ConfigMap', n),
    );
    expect(get(deployment, 'spec.template.metadata.annotations')).toEqual({
      'checksum/config': configMapsChecksum(reads),
    });
  });

  test('liveness and readiness run the role-aware probe, which relays `dagster-daemon liveness-check`', () => {
    const probeCommand = [
      'python3',
      '/dagster-daemon-election/election.py',
      'probe',
      '--',
      'dagster-daemon',
      'liveness-check',
    ];
    expect(daemon.livenessProbe).toEqual({
      exec: { command: probeCommand },
      periodSeconds: 30,
      timeoutSeconds: 30,
      failureThreshold: 2,
    });
    expect(daemon.readinessProbe).toEqual({
      exec: { command: probeCommand },
      periodSeconds: 60,
      timeoutSeconds: 30,
      failureThreshold: 3,
    });
    // A standby becomes leader at any time: the probe's startup grace replaces a startup probe.
    expect(daemon.startupProbe).toBeUndefined();
    const tuned = synth({
      daemon: { mode: 'ha', healthCheckIntervalSeconds: 20, restartTimeoutSeconds: 100 },
    });
    const liveness = asJson(workloadContainer(tuned.objects, 'Deployment', 'dagster-daemon').livenessProbe);
    expect([liveness.periodSeconds, liveness.failureThreshold]).toEqual([20, 5]);
  });

  test('RBAC: get and update of the one Lease, create of Leases, for the daemon ServiceAccount', () => {
    const role = findObject(objects, 'Role', 'dagster-daemon-leader-election');
    expect(role.metadata.namespace).toBe(NS);
    expect(role.rules).toEqual([
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['dagster-daemon-leader'],
        verbs: ['get', 'update'],
      },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    ]);
    const binding = findObject(objects, 'RoleBinding', 'dagster-daemon-leader-election');
    expect(binding.metadata.namespace).toBe(NS);
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'dagster-daemon-leader-election',
    });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'dagster-daemon', namespace: NS }]);
    // The run launcher's Role is unchanged.
    expect(findObject(objects, 'Role', 'dagster').rules).not.toContainEqual(
      expect.objectContaining({ apiGroups: ['coordination.k8s.io'] }),
    );
  });

  test('with another job namespace, the Lease Role stays in the daemon namespace', () => {
    const other = synth({ jobNamespace: 'dagster-runs' }).objects;
    const roles = other
      .filter((o) => o.kind === 'Role')
      .map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    expect(roles.sort()).toEqual(['dagster-runs/dagster', `${NS}/dagster-daemon-leader-election`]);
    expect(validateObjects(other)).toEqual([]);
  });

  test('passes the strict 1.28 schema and the policy', () => {
    expect(validateObjects(objects)).toEqual([]);
    expect(checkPolicy(objects, { prerequisiteSecrets: [DB_SECRET] })).toEqual([]);
  });

  test('exposes the mode, replica count, Lease and objects for wiring (e.g. a PodDisruptionBudget)', () => {
    expect(dagster.daemonMode).toBe('ha');
    expect(dagster.daemonReplicas).toBe(2);
    expect(dagster.daemonLeaseName).toBe(envMap(daemon).LEADER_ELECTION_LEASE_NAME);
    expect(dagster.daemonDeployment.name).toBe('dagster-daemon');
    expect(get(deployment, 'spec.selector.matchLabels')).toEqual({
      'app.kubernetes.io/name': 'dagster',
      'app.kubernetes.io/instance': dagster.daemonIdentity.instance,
      'app.kubernetes.io/component': dagster.daemonIdentity.component,
    });
    expect(dagster.daemonElectionConfigMap?.name).toBe('dagster-daemon-election');
    expect(dagster.daemonElectionRole?.name).toBe('dagster-daemon-leader-election');
    expect(dagster.daemonElectionRoleBinding?.name).toBe('dagster-daemon-leader-election');
    const single = synth({ daemon: {} }).dagster;
    expect([single.daemonMode, single.daemonReplicas, single.daemonLeaseName]).toEqual([
      'single',
      1,
      undefined,
    ]);
    expect(single.daemonElectionRole).toBeUndefined();
  });

  test('more standbys are allowed; the supervisor variables cannot be overridden', () => {
    const three = synth({ daemon: { mode: 'ha', replicas: 3 } });
    expect(get(findObject(three.objects, 'Deployment', 'dagster-daemon'), 'spec.replicas')).toBe(3);
    expect(three.dagster.daemonReplicas).toBe(3);
    expect(() =>
      synth({ daemon: { mode: 'ha', extraEnv: { LEADER_ELECTION_LEASE_DURATION: '60' } } }),
    ).toThrow(
      /invalid daemon\.extraEnv\.LEADER_ELECTION_LEASE_DURATION: got "60", expected a variable the component does not set itself/,
    );
  });

  test('the script ships with the package: the build copies it next to the compiled module', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
      files: string[];
      scripts: Record<string, string>;
    };
    expect(pkg.files).toContain('lib/**/*.py');
    expect(pkg.scripts.build).toContain('node scripts/copy-assets.js');
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'daemon-ha-lib-'));
    try {
      const r = spawnSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'copy-assets.js'), out], {
        encoding: 'utf8',
      });
      expect(r.status).toBe(0);
      const copied = path.join(out, 'plugins', 'orchestrator', 'dagster-daemon-election.py');
      expect(fs.readFileSync(copied, 'utf8')).toBe(SCRIPT_TEXT);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  test("the manifest's command, environment and probe are what the script runs with", async () => {
    // The TypeScript side and the Python side name the same variables: run the script as the
    // manifest says (pod fields filled in, the API and a state file redirected to the test) with
    // a daemon that exits at once. It must take the Lease, start the daemon, then release.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daemon-ha-'));
    const log = path.join(dir, 'events.log');
    fs.writeFileSync(log, '');
    fs.writeFileSync(path.join(dir, 'token'), FAKE_TOKEN);
    const api = new FakeLeaseApi(log);
    try {
      const port = await api.listen();
      // A released Lease: taken at once (a Lease the script creates makes it wait 15 s first).
      api.seed(NS, 'dagster-daemon-leader', {
        holderIdentity: '',
        leaseDurationSeconds: 1,
        leaseTransitions: 4,
      });
      const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
      for (const e of envVars(daemon)) {
        if (!e.name.startsWith('LEADER_ELECTION_')) continue;
        const field = get(e.valueFrom, 'fieldRef.fieldPath');
        env[e.name] =
          field === 'metadata.name'
            ? 'dagster-daemon-7d9f-abcde'
            : field === 'metadata.namespace'
              ? NS
              : String(e.value);
      }
      env.LEADER_ELECTION_STATE_FILE = path.join(dir, 'state.json');
      env.LEADER_ELECTION_API_SERVER = port.url;
      env.LEADER_ELECTION_TOKEN_FILE = path.join(dir, 'token');
      const command = asArray(daemon.command).map(String);
      const run = await runAsync('python3', [SCRIPT, ...command.slice(2, 4), 'python3', '-c', 'pass'], env);
      expect(run.stderr).toContain('leading: started python3 -c pass');
      expect(run.stderr).toContain('the daemon exited with code 0');
      expect(run.status).toBe(1);
      expect(fs.readFileSync(log, 'utf8')).toBe(
        'lease dagster-daemon-7d9f-abcde acquired\nlease dagster-daemon-7d9f-abcde released\n',
      );
      expect(api.leases.get(`${NS}/dagster-daemon-leader`)?.spec.leaseDurationSeconds).toBe(1); // released

      const probeCommand = asArray(get(daemon, 'livenessProbe.exec.command')).map(String);
      expect(probeCommand.slice(2, 4)).toEqual(['probe', '--']);
      fs.writeFileSync(
        env.LEADER_ELECTION_STATE_FILE,
        JSON.stringify({ role: 'standby', since: 0, updated: Date.now() / 1000 }),
      );
      const probe = spawnSync('python3', [SCRIPT, 'probe', '--', 'false'], { env, encoding: 'utf8' });
      expect([probe.status, probe.stdout.trim()]).toEqual([
        0,
        "standby: the daemon runs in the leader's pod",
      ]);
    } finally {
      await api.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Runs a command without blocking the event loop (the fake API answers from this process). */
function runAsync(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (status) => resolve({ status, stderr }));
  });
}
