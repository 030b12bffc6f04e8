import * as fs from 'fs';
import * as path from 'path';
import { k8s } from 'cdk8s-plus-28';
import { fieldEnv, plainEnv } from '../../core/env';

/**
 * How the Dagster daemon runs: `single`, one pod that Kubernetes restarts, or `ha`, an
 * active/standby pair in which only the holder of a Lease runs `dagster-daemon`.
 */
export type DagsterDaemonMode = 'single' | 'ha';

/** The daemon modes, for validation. */
export const DAGSTER_DAEMON_MODES: readonly DagsterDaemonMode[] = ['single', 'ha'];

/** The coordination.k8s.io Lease the daemon pods of `ha` mode elect their leader with (floe's docs). */
export const DAGSTER_DAEMON_LEASE = 'dagster-daemon-leader';

/** ConfigMap holding the leader election script (`ha` mode). */
export const DAGSTER_DAEMON_ELECTION_CONFIG_MAP = 'dagster-daemon-election';

/** Role and RoleBinding that let the daemon pods hold the Lease (`ha` mode). */
export const DAGSTER_DAEMON_ELECTION_ROLE = 'dagster-daemon-leader-election';

/**
 * Timing of the election, in seconds. floe's docs promise a takeover within 15 s when the HA
 * leader fails; with client-go's defaults (lease 15 s, renew deadline 10 s, retry 2 s, the docs'
 * example Lease) a leader that dies without a word is replaced only 13 to 19 s later, so the lease
 * is shorter: a standby takes over at most lease + 2 x retry = 14 s after the leader's last renewal
 * (docs/dagster-daemon-ha.md works it out).
 */
export const DAGSTER_DAEMON_ELECTION_TIMING = {
  /** A standby takes over once it has seen no renewal for this long (by its own clock). */
  leaseDurationSeconds: 10,
  /** The leader stops its daemon once it has not renewed for this long. */
  renewDeadlineSeconds: 6,
  /** Time between two attempts to acquire or renew the Lease. */
  retryPeriodSeconds: 2,
  /**
   * After a missed renew deadline: SIGTERM, then SIGKILL after this long. The daemon is dead by
   * renewDeadline + killGrace = 8 s, before any standby may take over (10 s).
   */
  killGraceSeconds: 2,
  /**
   * When the pod stops (SIGTERM: drain, rollout, deletion): how long the daemon may take to shut
   * down cleanly before SIGKILL. The standby takes over once it has stopped and the Lease is
   * released, so a drain fails over within this plus one retry period: under 15 s.
   */
  stopGraceSeconds: 10,
  /** The pod's terminationGracePeriodSeconds: the stop grace plus time to release the Lease. */
  terminationGracePeriodSeconds: 30,
} as const;

const SCRIPT_FILE = 'dagster-daemon-election.py';
const SCRIPT_KEY = 'election.py';
/** Where the script's ConfigMap is mounted in the daemon container. */
export const DAGSTER_DAEMON_ELECTION_DIR = '/dagster-daemon-election';
const SCRIPT_PATH = `${DAGSTER_DAEMON_ELECTION_DIR}/${SCRIPT_KEY}`;
/** Where the supervisor writes its role for the probes (the `/tmp` emptyDir). */
const STATE_FILE = '/tmp/dagster-daemon-election.json';

let scriptText: string | undefined;

/**
 * The supervisor script (Python 3, standard library only). It ships next to this module: in
 * src/ for the sources, copied to lib/ by `npm run build` (scripts/copy-assets.js).
 */
export function daemonElectionScript(): string {
  scriptText ??= fs.readFileSync(path.join(__dirname, SCRIPT_FILE), 'utf8');
  return scriptText;
}

/** The ConfigMap data: the script under `election.py`. */
export function daemonElectionConfigData(): Record<string, string> {
  return { [SCRIPT_KEY]: daemonElectionScript() };
}

/** The container command: the supervisor, which runs `daemonCommand` only while it leads. */
export function daemonElectionCommand(daemonCommand: string[]): string[] {
  return ['python3', SCRIPT_PATH, 'run', '--', ...daemonCommand];
}

/**
 * The probe command: passes for a live standby and for a leader whose daemon started less than
 * the startup grace ago; otherwise it is `checkCommand` (the daemon's liveness check).
 */
export function daemonElectionProbeCommand(checkCommand: string[]): string[] {
  return ['python3', SCRIPT_PATH, 'probe', '--', ...checkCommand];
}

/** The supervisor's environment: the Lease, this pod's identity and the timing. */
export function daemonElectionEnv(startupGraceSeconds: number): k8s.EnvVar[] {
  const t = DAGSTER_DAEMON_ELECTION_TIMING;
  return [
    plainEnv('LEADER_ELECTION_LEASE_NAME', DAGSTER_DAEMON_LEASE),
    fieldEnv('LEADER_ELECTION_NAMESPACE', 'metadata.namespace'),
    fieldEnv('LEADER_ELECTION_IDENTITY', 'metadata.name'),
    plainEnv('LEADER_ELECTION_LEASE_DURATION', String(t.leaseDurationSeconds)),
    plainEnv('LEADER_ELECTION_RENEW_DEADLINE', String(t.renewDeadlineSeconds)),
    plainEnv('LEADER_ELECTION_RETRY_PERIOD', String(t.retryPeriodSeconds)),
    plainEnv('LEADER_ELECTION_KILL_GRACE', String(t.killGraceSeconds)),
    plainEnv('LEADER_ELECTION_STOP_GRACE', String(t.stopGraceSeconds)),
    plainEnv('LEADER_ELECTION_STARTUP_GRACE', String(startupGraceSeconds)),
    plainEnv('LEADER_ELECTION_STATE_FILE', STATE_FILE),
  ];
}

/** The script's volume (read-only, mounted at /dagster-daemon-election) and its mount. */
export function daemonElectionVolume(): { volume: k8s.Volume; mount: k8s.VolumeMount } {
  return {
    volume: { name: 'leader-election', configMap: { name: DAGSTER_DAEMON_ELECTION_CONFIG_MAP } },
    mount: { name: 'leader-election', mountPath: DAGSTER_DAEMON_ELECTION_DIR, readOnly: true },
  };
}

/**
 * What the supervisor may do with Leases: read and renew the one Lease, and create it when it
 * does not exist. `create` cannot be limited to a name (the name is not known before the object
 * exists, so RBAC ignores resourceNames for it): the pods may create other Leases in the namespace.
 */
export function daemonElectionRules(): k8s.PolicyRule[] {
  return [
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      resourceNames: [DAGSTER_DAEMON_LEASE],
      verbs: ['get', 'update'],
    },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
  ];
}
