/**
 * The Dagster daemon's leader election supervisor (src/plugins/orchestrator/dagster-daemon-election.py),
 * run for real: two copies under python3 against a fake Lease API with the API server's
 * resourceVersion and 409 rules, each supervising a fake daemon that logs when it starts and stops.
 *
 * Timings are scaled down (Lease 3 s, renew deadline 1.5 s, retry 0.3 s). Nothing here asserts a
 * duration: the tests wait for what must eventually happen and then check the order of the events
 * in one shared log (daemons, the fake API and the test itself append to it), in particular that
 * a daemon never starts while another runs.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FAKE_TOKEN, FakeApiPort, FakeLeaseApi } from './support/fake-lease-api';
import { python3 } from './support/python';

const SCRIPT = path.join(__dirname, '..', 'src', 'plugins', 'orchestrator', 'dagster-daemon-election.py');
const NAMESPACE = 'floe-platform';
const LEASE = 'dagster-daemon-leader';

/** A stand-in for `dagster-daemon run`: logs `start`, and `stop` on SIGTERM. */
const FAKE_DAEMON = `
import os, signal, sys, time
log, name = sys.argv[1], sys.argv[2]
def event(what):
    with open(log, "a") as f:
        f.write("%s %s %d\\n" % (what, name, os.getpid()))
def stop(*_):
    event("stop")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
event("start")
while True:
    time.sleep(1)
`;

/**
 * A daemon that ignores SIGTERM (a daemon busy in a run launch, or one that hangs): logs `ignored`
 * when it gets one, and `alive` every 50 ms while it runs, so the log shows until when it ran.
 * Only SIGKILL stops it, which it cannot log.
 */
const STUBBORN_DAEMON = `
import os, signal, sys, time
log, name = sys.argv[1], sys.argv[2]
def event(what):
    with open(log, "a") as f:
        f.write("%s %s %d\\n" % (what, name, os.getpid()))
signal.signal(signal.SIGTERM, lambda *_: event("ignored"))
event("start")
while True:
    event("alive")
    time.sleep(0.05)
`;

/** A stand-in for `dagster-daemon liveness-check`: logs that it ran, exits with the code given. */
const FAKE_CHECK = `
import sys
with open(sys.argv[1], "a") as f:
    f.write("check\\n")
sys.exit(int(sys.argv[2]))
`;

jest.setTimeout(30_000);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Candidate {
  readonly name: string;
  readonly process: ChildProcess;
  readonly port: FakeApiPort;
  exitCode?: number | null;
  output: string;
}

/** Two (or more) daemon pods: supervisors, fake daemons, the fake API and the event log. */
class Pods {
  public readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daemon-election-'));
  public readonly log = path.join(this.dir, 'events.log');
  public readonly api = new FakeLeaseApi(this.log);
  private readonly daemonFile = path.join(this.dir, 'daemon.py');
  private readonly stubbornFile = path.join(this.dir, 'stubborn-daemon.py');
  private readonly tokenFile = path.join(this.dir, 'token');
  private readonly candidates = new Map<string, Candidate>();

  public constructor() {
    fs.writeFileSync(this.log, '');
    fs.writeFileSync(this.daemonFile, FAKE_DAEMON);
    fs.writeFileSync(this.stubbornFile, STUBBORN_DAEMON);
    fs.writeFileSync(this.tokenFile, `${FAKE_TOKEN}\n`);
  }

  /** Starts the supervisor of pod `name` with its own port on the fake API. */
  public async start(name: string, daemon: 'obedient' | 'stubborn' = 'obedient'): Promise<Candidate> {
    const port = await this.api.listen();
    const file = daemon === 'stubborn' ? this.stubbornFile : this.daemonFile;
    const child = spawn(python3(), [SCRIPT, 'run', '--', python3(), file, this.log, name], {
      detached: true, // a process group of its own, like the container's processes
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        PYTHONDONTWRITEBYTECODE: '1',
        LEADER_ELECTION_LEASE_NAME: LEASE,
        LEADER_ELECTION_NAMESPACE: NAMESPACE,
        LEADER_ELECTION_IDENTITY: name,
        LEADER_ELECTION_LEASE_DURATION: '3',
        LEADER_ELECTION_RENEW_DEADLINE: '1.5',
        LEADER_ELECTION_RETRY_PERIOD: '0.3',
        LEADER_ELECTION_KILL_GRACE: '0.5',
        LEADER_ELECTION_STOP_GRACE: '2',
        LEADER_ELECTION_STARTUP_GRACE: '600',
        LEADER_ELECTION_STATE_FILE: path.join(this.dir, `${name}.json`),
        LEADER_ELECTION_API_SERVER: port.url,
        LEADER_ELECTION_TOKEN_FILE: this.tokenFile,
      },
    });
    const candidate: Candidate = { name, process: child, port, output: '' };
    child.stdout?.on('data', (d: Buffer) => (candidate.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (candidate.output += d.toString()));
    child.on('exit', (code) => (candidate.exitCode = code));
    this.candidates.set(name, candidate);
    return candidate;
  }

  public candidate(name: string): Candidate {
    const c = this.candidates.get(name);
    if (!c) throw new Error(`no pod ${name}`);
    return c;
  }

  /** The log's lines, without process IDs. */
  public events(): string[] {
    return this.lines().map((l) => l.replace(/ \d+$/, ''));
  }

  /**
   * With a stubborn daemon a (which cannot log its SIGKILL): the events without a's heartbeats,
   * after checking that a's last heartbeat came before daemon b started and none came since.
   */
  public eventsWithStubbornA(): string[] {
    const events = this.events();
    const startB = events.indexOf('start b');
    const lastAlive = events.lastIndexOf('alive a');
    if (startB !== -1 && lastAlive > startB) {
      throw new Error(`daemon a still ran after daemon b started:\n${events.join('\n')}`);
    }
    return events.filter((e) => e !== 'alive a');
  }

  /** The daemons running now, by replaying the log; throws if two ever ran at once. */
  public running(): string[] {
    const running = new Map<string, number>();
    for (const line of this.lines()) {
      const [what, name, pid] = line.split(' ');
      if (what === 'start') {
        if (running.size > 0) {
          throw new Error(
            `daemon ${name} started while ${[...running.keys()].join(', ')} ran:\n${this.lines().join('\n')}`,
          );
        }
        running.set(name, Number(pid));
      } else if (what === 'stop' || what === 'killed' || what === 'crashed') {
        running.delete(name);
      }
    }
    return [...running.keys()];
  }

  /** Pod `name`'s container dies: SIGKILL to the supervisor's and the daemon's process groups. */
  public killContainer(name: string): void {
    killGroup(this.candidate(name).process.pid);
    this.killDaemon(name, 'killed');
  }

  /** Only the daemon of pod `name` dies (SIGKILL), its supervisor lives on. */
  public killDaemon(name: string, event: 'killed' | 'crashed' = 'crashed'): void {
    const pid = this.daemonPid(name);
    if (pid !== undefined) killGroup(pid);
    fs.appendFileSync(this.log, `${event} ${name}\n`);
  }

  /** Waits until `condition` holds, failing with the log and the supervisors' output if it never does. */
  public async waitFor(what: string, condition: () => boolean): Promise<void> {
    for (let i = 0; i < 400; i++) {
      if (condition()) return;
      await sleep(50);
    }
    const outputs = [...this.candidates.values()].map((c) => `--- ${c.name}:\n${c.output}`);
    throw new Error(`never: ${what}\n--- events:\n${this.lines().join('\n')}\n${outputs.join('\n')}`);
  }

  /**
   * Pod a leads with its daemon running; pod b has polled the Lease as a standby several times.
   * The Lease exists, released, as after an earlier leader: taken at once (see the creation test).
   */
  public async leaderAndStandby(leader: 'obedient' | 'stubborn' = 'obedient'): Promise<void> {
    this.api.seed(NAMESPACE, LEASE, { holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 0 });
    await this.start('a', leader);
    await this.waitFor('daemon a runs', () => this.running().join() === 'a');
    const b = await this.start('b');
    await this.waitFor('b polls the Lease', () => b.port.requests >= 5);
  }

  public async close(): Promise<void> {
    for (const c of this.candidates.values()) {
      killGroup(c.process.pid);
      const pid = this.daemonPid(c.name);
      if (pid !== undefined) killGroup(pid);
    }
    await this.api.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private daemonPid(name: string): number | undefined {
    const starts = this.lines().filter((l) => l.startsWith(`start ${name} `));
    return starts.length > 0 ? Number(starts[starts.length - 1].split(' ')[2]) : undefined;
  }

  private lines(): string[] {
    return fs
      .readFileSync(this.log, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Runs `scenario` with fresh pods, then kills whatever it left running. */
function withPods(scenario: (pods: Pods) => Promise<void>): () => Promise<void> {
  return async () => {
    const pods = new Pods();
    try {
      await scenario(pods);
    } finally {
      await pods.close();
    }
  };
}

// The scenarios run concurrently (each has its own fake API, log and processes): they mostly wait.
describe('Dagster daemon leader election (the supervisor script under python3)', () => {
  test.concurrent(
    'exactly one daemon runs; when the leader pod dies, the standby starts the daemon',
    withPods(async (pods) => {
      await pods.leaderAndStandby();
      expect(pods.running()).toEqual(['a']);
      expect(pods.api.holder(NAMESPACE, LEASE)).toBe('a');

      pods.killContainer('a');
      await pods.waitFor('daemon b runs', () => pods.running().join() === 'b');
      expect(pods.events()).toEqual([
        'lease a acquired',
        'start a',
        'killed a',
        'lease b acquired',
        'start b',
      ]);
      expect(pods.api.leases.get(`${NAMESPACE}/${LEASE}`)?.spec).toMatchObject({
        holderIdentity: 'b',
        leaseDurationSeconds: 3,
        leaseTransitions: 2,
      });
    }),
  );

  test.concurrent(
    'a leader cut off from the API stops its daemon before its Lease can expire, then exits',
    withPods(async (pods) => {
      await pods.leaderAndStandby();
      pods.candidate('a').port.partitioned = true;
      await pods.waitFor('supervisor a exits', () => pods.candidate('a').exitCode !== undefined);
      expect(pods.candidate('a').exitCode).toBe(1);
      await pods.waitFor('daemon b runs', () => pods.running().join() === 'b');
      // b could take over as soon as the Lease had expired by its clock: a had stopped before that.
      expect(pods.events()).toEqual(['lease a acquired', 'start a', 'stop a', 'lease b acquired', 'start b']);
      expect(pods.candidate('a').output).toMatch(/no renewal for 1\.5s: stopping the daemon/);
    }),
  );

  test.concurrent(
    'on SIGTERM the leader stops its daemon, releases the Lease, and the standby takes over',
    withPods(async (pods) => {
      await pods.leaderAndStandby();
      pods.candidate('a').process.kill('SIGTERM'); // what the kubelet sends to the container's PID 1
      await pods.waitFor('daemon b runs', () => pods.running().join() === 'b');
      await pods.waitFor('supervisor a exits', () => pods.candidate('a').exitCode !== undefined);
      expect(pods.candidate('a').exitCode).toBe(0);
      expect(pods.events()).toEqual([
        'lease a acquired',
        'start a',
        'stop a',
        'lease a released',
        'lease b acquired',
        'start b',
      ]);
    }),
  );

  test.concurrent(
    'a cut-off leader whose daemon ignores SIGTERM kills it after the kill grace, before the Lease expires',
    withPods(async (pods) => {
      await pods.leaderAndStandby('stubborn');
      pods.candidate('a').port.partitioned = true;
      await pods.waitFor('daemon b runs', () => pods.events().includes('start b'));
      await sleep(300); // a dead daemon logs no more heartbeats
      expect(pods.eventsWithStubbornA()).toEqual([
        'lease a acquired',
        'start a',
        'ignored a',
        'lease b acquired',
        'start b',
      ]);
      expect(pods.candidate('a').output).toMatch(
        /no renewal for 1\.5s: stopping the daemon[\s\S]*did not stop within 0\.5s: killing it/,
      );
    }),
  );

  test.concurrent(
    'on SIGTERM a daemon that ignores it is killed after the stop grace; then the Lease is released',
    withPods(async (pods) => {
      await pods.leaderAndStandby('stubborn');
      pods.candidate('a').process.kill('SIGTERM');
      await pods.waitFor('supervisor a exits', () => pods.candidate('a').exitCode !== undefined);
      await pods.waitFor('daemon b runs', () => pods.events().includes('start b'));
      await sleep(300);
      expect(pods.candidate('a').exitCode).toBe(0);
      expect(pods.eventsWithStubbornA()).toEqual([
        'lease a acquired',
        'start a',
        'ignored a',
        'lease a released',
        'lease b acquired',
        'start b',
      ]);
      expect(pods.candidate('a').output).toMatch(/did not stop within 2\.0s: killing it/);
    }),
  );

  test.concurrent(
    'when the daemon dies, the leader releases the Lease and exits with an error',
    withPods(async (pods) => {
      await pods.leaderAndStandby();
      pods.killDaemon('a');
      await pods.waitFor('daemon b runs', () => pods.running().join() === 'b');
      await pods.waitFor('supervisor a exits', () => pods.candidate('a').exitCode !== undefined);
      expect(pods.candidate('a').exitCode).toBe(1);
      expect(pods.events()).toEqual([
        'lease a acquired',
        'start a',
        'crashed a',
        'lease a released',
        'lease b acquired',
        'start b',
      ]);
    }),
  );

  test.concurrent(
    'without a Lease both race to create it: one wins (the other gets 409), waits a lease duration, then leads',
    withPods(async (pods) => {
      // Both start together: both see no Lease, one create wins, the other gets 409 and stands by.
      await Promise.all([pods.start('a'), pods.start('b')]);
      await pods.waitFor('one daemon runs', () => pods.running().length === 1);
      const [leader] = pods.running();
      const standby = leader === 'a' ? 'b' : 'a';
      const requests = pods.candidate(standby).port.requests;
      await pods.waitFor('the standby polls', () => pods.candidate(standby).port.requests >= requests + 5);
      expect(pods.running()).toEqual([leader]);
      expect(pods.candidate(standby).exitCode).toBeUndefined();
      expect(pods.events()).toEqual([`lease ${leader} acquired`, `start ${leader}`]);
      expect(pods.candidate(leader).output).toMatch(/created the Lease: starting the daemon in 3s/);
    }),
  );

  test.concurrent(
    'a Lease deleted under its leader: the candidate that creates it waits until that leader stopped',
    withPods(async (pods) => {
      await pods.leaderAndStandby();
      // a cannot see the API any more, b finds no Lease and creates one; a still runs its daemon
      // until its renew deadline, so b must not start right away.
      pods.candidate('a').port.partitioned = true;
      pods.api.leases.delete(`${NAMESPACE}/${LEASE}`);
      await pods.waitFor('daemon b runs', () => pods.running().join() === 'b');
      expect(pods.events()).toEqual(['lease a acquired', 'start a', 'lease b acquired', 'stop a', 'start b']);
      expect(pods.candidate('b').output).toMatch(/created the Lease: starting the daemon in 3s/);
    }),
  );

  test('refuses timings that would let a candidate take over before the leader stopped', () => {
    const r = spawnSync(python3(), [SCRIPT, 'run', '--', 'true'], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        LEADER_ELECTION_LEASE_NAME: LEASE,
        LEADER_ELECTION_NAMESPACE: NAMESPACE,
        LEADER_ELECTION_IDENTITY: 'a',
        LEADER_ELECTION_LEASE_DURATION: '15',
        LEADER_ELECTION_RENEW_DEADLINE: '10',
        LEADER_ELECTION_RETRY_PERIOD: '2',
        LEADER_ELECTION_KILL_GRACE: '5',
        LEADER_ELECTION_STOP_GRACE: '20',
        LEADER_ELECTION_STARTUP_GRACE: '600',
        LEADER_ELECTION_STATE_FILE: path.join(os.tmpdir(), 'never-written.json'),
        LEADER_ELECTION_API_SERVER: 'http://127.0.0.1:9',
      },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/renew deadline plus the kill grace must be shorter than the lease duration/);
  });
});

describe('Dagster daemon leader election probe', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daemon-probe-'));
  const stateFile = path.join(dir, 'state.json');
  const checkFile = path.join(dir, 'check.py');
  const checkLog = path.join(dir, 'check.log');
  fs.writeFileSync(checkFile, FAKE_CHECK);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Runs the probe with a liveness check that exits `checkExit`; returns its code and whether the check ran. */
  function probe(
    state: Record<string, unknown> | undefined,
    checkExit: number,
  ): { status: number | null; checked: boolean } {
    fs.rmSync(stateFile, { force: true });
    fs.rmSync(checkLog, { force: true });
    if (state) fs.writeFileSync(stateFile, JSON.stringify(state));
    const r = spawnSync(
      python3(),
      [SCRIPT, 'probe', '--', python3(), checkFile, checkLog, String(checkExit)],
      {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          LEADER_ELECTION_STATE_FILE: stateFile,
          LEADER_ELECTION_LEASE_DURATION: '15',
          LEADER_ELECTION_STARTUP_GRACE: '600',
        },
      },
    );
    return { status: r.status, checked: fs.existsSync(checkLog) };
  }
  const now = (): number => Date.now() / 1000;

  test('a standby passes without running the liveness check', () => {
    expect(probe({ role: 'standby', since: now() - 3600, updated: now() }, 1)).toEqual({
      status: 0,
      checked: false,
    });
  });

  test("the leader's probe is the liveness check once the daemon's startup grace is over", () => {
    expect(probe({ role: 'leader', since: now() - 3600, updated: now() }, 1)).toEqual({
      status: 1,
      checked: true,
    });
    expect(probe({ role: 'leader', since: now() - 3600, updated: now() }, 0)).toEqual({
      status: 0,
      checked: true,
    });
  });

  test('a daemon that just started passes without the check (no heartbeat yet)', () => {
    expect(probe({ role: 'leader', since: now() - 10, updated: now() }, 1)).toEqual({
      status: 0,
      checked: false,
    });
  });

  test('a supervisor whose loop stopped, or that never wrote its state, fails', () => {
    expect(probe({ role: 'standby', since: now() - 3600, updated: now() - 600 }, 0)).toEqual({
      status: 1,
      checked: false,
    });
    expect(probe(undefined, 0)).toEqual({ status: 1, checked: false });
  });
});
