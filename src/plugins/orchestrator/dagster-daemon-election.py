#!/usr/bin/env python3
"""Leader election for the Dagster daemon: at most one `dagster-daemon run` at any moment.

Written for floe-cdk8s (docs/dagster-daemon-ha.md explains the design). Python 3 standard
library only, because it runs with the interpreter of the Dagster image.

    election.py run -- COMMAND...    run COMMAND (the daemon) only while this pod holds the Lease
    election.py probe -- COMMAND...  liveness/readiness: a healthy standby passes; the leader
                                     passes while its daemon starts, then returns COMMAND's code

The algorithm is client-go's leader election on a coordination.k8s.io/v1 Lease:
- every write carries the resourceVersion that was read, so of two candidates only one wins
  (the API server answers 409 Conflict to the other);
- a candidate judges expiry by its own monotonic clock from the moment it first saw the current
  record (resourceVersion), never by the timestamps in the record, so clock skew between nodes
  cannot make two leaders;
- the leader stops its daemon (the whole process group) once it has not renewed for the renew
  deadline, which with the kill grace is shorter than the lease duration: the daemon is dead
  before any candidate may take over. It then exits, and Kubernetes restarts it as a candidate.
- a candidate that creates the Lease (none existed) waits one lease duration before it starts
  the daemon: if the Lease was deleted under a leader, that leader has stopped by then.
- on SIGTERM the leader stops the daemon, then releases the Lease so a candidate takes over at
  once; if the daemon exits by itself, the leader releases the Lease and exits with an error.

Configuration (environment, all required unless a default is given):
    LEADER_ELECTION_LEASE_NAME, LEADER_ELECTION_NAMESPACE, LEADER_ELECTION_IDENTITY
    LEADER_ELECTION_LEASE_DURATION   seconds a candidate waits without seeing a renewal
    LEADER_ELECTION_RENEW_DEADLINE   seconds the leader keeps its daemon without a renewal
    LEADER_ELECTION_RETRY_PERIOD     seconds between two attempts to acquire or renew
    LEADER_ELECTION_KILL_GRACE       seconds between SIGTERM and SIGKILL after a missed deadline
    LEADER_ELECTION_STOP_GRACE       seconds between SIGTERM and SIGKILL when the pod stops
    LEADER_ELECTION_STARTUP_GRACE    seconds the probe passes after the daemon started
    LEADER_ELECTION_STATE_FILE       where the role is written for the probe
    LEADER_ELECTION_API_SERVER       default https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT
    LEADER_ELECTION_TOKEN_FILE       default the pod's ServiceAccount token
    LEADER_ELECTION_CA_FILE          default the pod's ServiceAccount CA bundle
"""

import datetime
import http.client
import json
import math
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
LEASES_API = "/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases"
# How often the main loop looks at the daemon and at a pending SIGTERM.
TICK = 0.1

# What try_acquire_or_renew found.
HELD = "held"  # this process holds the Lease (just acquired or renewed)
OTHER = "other"  # another holder's Lease is valid
FAILED = "failed"  # the API could not be read or the write lost a race; try again

_terminating = False


def log(message):
    sys.stderr.write("[leader-election] %s\n" % message)
    sys.stderr.flush()


def _on_signal(signum, _frame):
    global _terminating
    _terminating = True


def _text(env, name, default=None):
    value = env.get(name, default)
    if not value:
        raise ValueError("%s is not set" % name)
    return value


def _seconds(env, name):
    raw = _text(env, name)
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("%s must be a number of seconds, got %r" % (name, raw))
    if not value > 0:
        raise ValueError("%s must be positive, got %r" % (name, raw))
    return value


class Config:
    """What the probe needs; `for_run` adds what the election needs and checks the timings."""

    def __init__(self, env):
        self.env = env
        self.state_file = _text(env, "LEADER_ELECTION_STATE_FILE")
        self.lease_duration = _seconds(env, "LEADER_ELECTION_LEASE_DURATION")
        self.startup_grace = _seconds(env, "LEADER_ELECTION_STARTUP_GRACE")

    def for_run(self):
        env = self.env
        self.lease_name = _text(env, "LEADER_ELECTION_LEASE_NAME")
        self.namespace = _text(env, "LEADER_ELECTION_NAMESPACE")
        self.identity = _text(env, "LEADER_ELECTION_IDENTITY")
        self.renew_deadline = _seconds(env, "LEADER_ELECTION_RENEW_DEADLINE")
        self.retry_period = _seconds(env, "LEADER_ELECTION_RETRY_PERIOD")
        self.kill_grace = _seconds(env, "LEADER_ELECTION_KILL_GRACE")
        self.stop_grace = _seconds(env, "LEADER_ELECTION_STOP_GRACE")
        host = env.get("KUBERNETES_SERVICE_HOST", "")
        default_server = None
        if host:
            port = env.get("KUBERNETES_SERVICE_PORT", "443")
            default_server = "https://%s:%s" % ("[%s]" % host if ":" in host else host, port)
        self.api_server = _text(env, "LEADER_ELECTION_API_SERVER", default_server)
        self.token_file = env.get("LEADER_ELECTION_TOKEN_FILE", SERVICE_ACCOUNT_DIR + "/token")
        self.ca_file = env.get("LEADER_ELECTION_CA_FILE", SERVICE_ACCOUNT_DIR + "/ca.crt")
        # A request may take at most half the renew deadline, so the leader gets a second try.
        self.request_timeout = self.renew_deadline / 2
        if not self.renew_deadline > 1.2 * self.retry_period:
            raise ValueError("the renew deadline must be longer than 1.2 retry periods")
        if not self.renew_deadline + self.kill_grace < self.lease_duration:
            raise ValueError("the renew deadline plus the kill grace must be shorter than the lease duration")
        return self


class LeaseApi:
    """GET, POST and PUT of one Lease, each bounded in total time (not only per socket call)."""

    def __init__(self, config):
        url = urllib.parse.urlsplit(config.api_server)
        if url.scheme not in ("https", "http") or not url.hostname:
            raise ValueError("LEADER_ELECTION_API_SERVER must be an http(s) URL")
        self.https = url.scheme == "https"
        self.host = url.hostname
        self.port = url.port or (443 if self.https else 80)
        self.collection = LEASES_API.format(namespace=config.namespace)
        self.item = "%s/%s" % (self.collection, config.lease_name)
        self.token_file = config.token_file
        self.ca_file = config.ca_file

    def get(self, timeout):
        return self._bounded("GET", self.item, None, timeout)

    def create(self, lease, timeout):
        return self._bounded("POST", self.collection, lease, timeout)

    def replace(self, lease, timeout):
        return self._bounded("PUT", self.item, lease, timeout)

    def _bounded(self, method, path, body, timeout):
        if timeout <= 0:
            raise TimeoutError("no time left for %s" % method)
        box = {}

        def call():
            try:
                box["result"] = self._request(method, path, body, timeout)
            except BaseException as error:  # handed to the caller
                box["error"] = error

        worker = threading.Thread(target=call, daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            raise TimeoutError("%s %s took longer than %.1fs" % (method, path, timeout))
        if "error" in box:
            raise box["error"]
        return box["result"]

    def _request(self, method, path, body, timeout):
        headers = {"Accept": "application/json"}
        # Re-read on every request: the kubelet rotates projected tokens and CA bundles.
        if os.path.exists(self.token_file):
            with open(self.token_file) as f:
                headers["Authorization"] = "Bearer " + f.read().strip()
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if self.https:
            context = ssl.create_default_context(cafile=self.ca_file)
            conn = http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=context)
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            payload = response.read()
        finally:
            conn.close()
        try:
            parsed = json.loads(payload) if payload else None
        except ValueError:
            parsed = None
        return response.status, parsed


def micro_time():
    """A metav1.MicroTime: RFC 3339 in UTC with microseconds. Informational only."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Elector:
    def __init__(self, config, api):
        self.config = config
        self.api = api
        self.observed_version = None
        self.observed_at = 0.0
        self.observed_holder = None
        self.renewed_at = None  # monotonic time the last successful write was sent
        self.start_after = 0.0  # monotonic time before which the daemon must not start
        self.daemon = None
        self.role = "standby"
        self.role_since = time.time()
        self.state_error = None
        self.last_warning = None

    def warn(self, message):
        """Logs a problem, but not the same one again and again while it lasts."""
        if message != self.last_warning:
            self.last_warning = message
            log(message)

    # --- the Lease ---------------------------------------------------------------------------

    def _timeout(self, deadline):
        timeout = self.config.request_timeout
        if deadline is not None:
            timeout = min(timeout, deadline - time.monotonic())
        return timeout

    def _observe(self, lease):
        metadata = lease.get("metadata") or {}
        spec = lease.get("spec") or {}
        version = metadata.get("resourceVersion")
        if version != self.observed_version:
            self.observed_version = version
            self.observed_at = time.monotonic()
        holder = spec.get("holderIdentity") or ""
        if holder != self.observed_holder:
            self.observed_holder = holder
            log("the Lease is held by %s" % (holder or "nobody"))
        return metadata, spec, holder

    def _record(self, spec, ours, created=False):
        now = micro_time()
        transitions = spec.get("leaseTransitions") or 0
        return {
            "holderIdentity": self.config.identity,
            "leaseDurationSeconds": int(math.ceil(self.config.lease_duration)),
            "acquireTime": (spec.get("acquireTime") or now) if ours else now,
            "renewTime": now,
            "leaseTransitions": transitions if ours or created else transitions + 1,
        }

    def try_acquire_or_renew(self, deadline=None):
        """One attempt, as client-go's tryAcquireOrRenew: HELD, OTHER or FAILED."""
        config = self.config
        status, lease = self.api.get(self._timeout(deadline))
        if status == 404:
            body = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": config.lease_name, "namespace": config.namespace},
                "spec": self._record({}, False, created=True),
            }
            sent = time.monotonic()
            status, created = self.api.create(body, self._timeout(deadline))
            if status in (200, 201) and created:
                self._observe(created)
                self.renewed_at = sent
                self.last_warning = None
                if self.daemon is None:
                    # The Lease did not exist, but a leader may: if the Lease was deleted under
                    # it, that leader stops its daemon by its renew deadline plus kill grace
                    # after its last renewal, which was before this create. Waiting one lease
                    # duration from now covers that, as waiting for an expiry would.
                    self.start_after = time.monotonic() + config.lease_duration
                return HELD
            self.warn("could not create the Lease: HTTP %s" % status)
            return FAILED
        if status != 200 or not lease:
            self.warn("could not read the Lease: HTTP %s" % status)
            return FAILED
        metadata, spec, holder = self._observe(lease)
        now = time.monotonic()
        if holder and holder != config.identity and now < self.observed_at + config.lease_duration:
            return OTHER
        ours = holder == config.identity
        if holder and not ours:
            log(
                "%s did not renew the Lease for %.1fs (by this pod's clock): taking over"
                % (holder, now - self.observed_at)
            )
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            # Everything but managedFields, which the API server keeps when a write omits them.
            "metadata": {k: v for k, v in metadata.items() if k != "managedFields"},
            "spec": self._record(spec, ours),
        }
        sent = time.monotonic()
        status, updated = self.api.replace(body, self._timeout(deadline))
        if status == 200 and updated:
            self._observe(updated)
            self.renewed_at = sent
            self.last_warning = None
            return HELD
        if status == 409:
            self.warn("another candidate wrote the Lease first (HTTP 409)")
        else:
            self.warn("could not write the Lease: HTTP %s" % status)
        return FAILED

    def release(self):
        """Gives the Lease up (holder emptied) if this process still holds it. Best effort."""
        deadline = time.monotonic() + self.config.request_timeout
        for _ in range(2):
            try:
                status, lease = self.api.get(self._timeout(deadline))
                if status != 200 or not lease:
                    break
                metadata, spec, holder = self._observe(lease)
                if holder != self.config.identity:
                    return
                body = {
                    "apiVersion": "coordination.k8s.io/v1",
                    "kind": "Lease",
                    "metadata": {k: v for k, v in metadata.items() if k != "managedFields"},
                    "spec": {
                        "holderIdentity": "",
                        "leaseDurationSeconds": 1,
                        "acquireTime": micro_time(),
                        "renewTime": micro_time(),
                        "leaseTransitions": spec.get("leaseTransitions") or 0,
                    },
                }
                status, _ = self.api.replace(body, self._timeout(deadline))
                if status == 200:
                    log("released the Lease")
                    return
            except Exception as error:  # the Lease then simply expires
                log("could not release the Lease: %s" % error)
                return
        log("could not release the Lease; it expires on its own")

    # --- the role, for the probe -------------------------------------------------------------

    def set_role(self, role):
        if role != self.role:
            self.role = role
            self.role_since = time.time()
        self.write_state()

    def write_state(self):
        path = self.config.state_file
        state = {
            "identity": self.config.identity,
            "role": self.role,
            "since": self.role_since,
            "updated": time.time(),
        }
        try:
            with open(path + ".tmp", "w") as f:
                json.dump(state, f)
            os.replace(path + ".tmp", path)
            self.state_error = None
        except OSError as error:
            if str(error) != self.state_error:
                self.state_error = str(error)
                log("cannot write %s: %s" % (path, error))

    # --- the daemon --------------------------------------------------------------------------

    def start_daemon(self, command):
        # A session (and process group) of its own: stopping it stops everything it started.
        self.daemon = subprocess.Popen(command, start_new_session=True)
        log("leading: started %s (pid %d)" % (" ".join(command), self.daemon.pid))
        self.set_role("leader")

    def signal_daemon(self, signum):
        try:
            os.killpg(self.daemon.pid, signum)
        except ProcessLookupError:
            pass

    def stop_daemon(self, grace):
        """SIGTERM to the daemon's process group, SIGKILL after `grace` seconds; waits for it."""
        self.signal_daemon(signal.SIGTERM)
        try:
            self.daemon.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            log("the daemon did not stop within %.1fs: killing it" % grace)
        self.signal_daemon(signal.SIGKILL)
        self.daemon.wait()
        log("the daemon stopped")

    # --- the loops ---------------------------------------------------------------------------

    def sleep(self, seconds):
        """Sleeps in ticks, returning early on SIGTERM."""
        end = time.monotonic() + seconds
        while not _terminating:
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(TICK, left))

    def attempt(self, deadline=None):
        try:
            return self.try_acquire_or_renew(deadline)
        except Exception as error:
            self.warn("the API server did not answer: %s" % error)
            return FAILED

    def acquire(self):
        """Waits as a candidate until this process holds the Lease. False on SIGTERM."""
        log("%s is a candidate for Lease %s/%s" % (self.config.identity, self.config.namespace, self.config.lease_name))
        while not _terminating:
            self.set_role("standby")
            if self.attempt() == HELD:
                if _terminating:  # asked to stop while acquiring: do not start the daemon
                    self.release()
                    return False
                return True
            self.sleep(self.config.retry_period)
        return False

    def lead(self, command):
        """Runs the daemon while the Lease is renewed. Returns the exit code of this process."""
        try:
            return self._lead(command)
        finally:
            # Whatever happened (even a bug here), no daemon outlives its supervisor's lead.
            if self.daemon is not None and self.daemon.poll() is None:
                self.stop_daemon(0)

    def _lead(self, command):
        config = self.config
        next_renewal = self.renewed_at + config.retry_period
        stopping_since = None
        if self.start_after > time.monotonic():
            log(
                "created the Lease: starting the daemon in %.0fs, once any leader of a deleted Lease has stopped"
                % (self.start_after - time.monotonic())
            )
        while True:
            now = time.monotonic()
            deadline = self.renewed_at + config.renew_deadline
            if now >= deadline:
                log("no renewal for %.1fs: stopping the daemon before the Lease expires" % config.renew_deadline)
                if self.daemon is not None:
                    self.stop_daemon(config.kill_grace)
                return 1
            if self.daemon is None:
                if _terminating:
                    self.release()
                    return 0
                if now >= self.start_after:
                    try:
                        self.start_daemon(command)
                    except OSError as error:
                        log("cannot start the daemon: %s" % error)
                        self.release()
                        return 127
                    continue
            else:
                code = self.daemon.poll()
                if code is not None:
                    self.signal_daemon(signal.SIGKILL)  # whatever it left behind
                    if stopping_since is not None:
                        log("the daemon stopped")
                        self.release()
                        return 0
                    log("the daemon exited with code %s" % code)
                    self.release()
                    return code if code > 0 else 1
                if _terminating and stopping_since is None:
                    log("asked to stop: stopping the daemon, then releasing the Lease")
                    self.signal_daemon(signal.SIGTERM)
                    stopping_since = now
                if stopping_since is not None and now - stopping_since >= config.stop_grace:
                    log("the daemon did not stop within %.1fs: killing it" % config.stop_grace)
                    self.signal_daemon(signal.SIGKILL)
                    self.daemon.wait()
                    self.release()
                    return 0
            if now >= next_renewal:
                result = self.attempt(deadline)
                if result == OTHER:
                    log("the Lease was taken by %s: killing the daemon" % self.observed_holder)
                    if self.daemon is not None:
                        self.stop_daemon(0)
                    return 1
                next_renewal = (self.renewed_at if result == HELD else time.monotonic()) + config.retry_period
                self.write_state()
                continue
            wake = min(next_renewal, deadline, self.start_after if self.daemon is None else deadline)
            time.sleep(max(0.0, min(TICK, wake - now)))


def run(command):
    if not command:
        log("usage: election.py run -- COMMAND...")
        return 2
    try:
        config = Config(os.environ).for_run()
        api = LeaseApi(config)
    except ValueError as error:
        log("configuration: %s" % error)
        return 2
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    elector = Elector(config, api)
    if not elector.acquire():
        log("asked to stop while waiting as a candidate")
        return 0
    return elector.lead(command)


def probe(command):
    """Exit 0 for a live standby; for the leader, 0 during its startup grace, then COMMAND's code."""
    try:
        config = Config(os.environ)
    except ValueError as error:
        print("configuration: %s" % error)
        return 2
    try:
        with open(config.state_file) as f:
            state = json.load(f)
        role, since, updated = state["role"], float(state["since"]), float(state["updated"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        print("no election state in %s: %s" % (config.state_file, error))
        return 1
    now = time.time()
    if now - updated > 2 * config.lease_duration:
        print("the election loop has not run for %.0fs" % (now - updated))
        return 1
    if role != "leader":
        print("standby: the daemon runs in the leader's pod")
        return 0
    if now - since < config.startup_grace or not command:
        print("leader: the daemon started %.0fs ago" % (now - since))
        return 0
    return subprocess.call(command)


def main(argv):
    if len(argv) < 2 or argv[1] not in ("run", "probe"):
        log("usage: election.py run|probe -- COMMAND...")
        return 2
    command = argv[2:]
    if command[:1] == ["--"]:
        command = command[1:]
    return run(command) if argv[1] == "run" else probe(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
