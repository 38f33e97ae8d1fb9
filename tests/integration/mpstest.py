"""mpstest: the harness of the amt-mps integration tests.

Real processes over loopback: the daemon (amt-mps), simulated AMT fleets
(amt-cira-sim) and the operator CLI (amt-mps-cli), found through the
environment variables AMT_MPS_BIN, AMT_CIRA_SIM_BIN and AMT_MPS_CLI_BIN that
tests/integration/CMakeLists.txt sets.

Rules every test gets from here:
- each test has its own temporary directory, listener port (20000-30000,
  outside the ephemeral range, bind-checked) and control socket;
- every wait is a bounded poll, never a fixed sleep;
- every process runs in its own process group and is always stopped,
  whatever the test did; a per-test alarm stops a stuck test;
- sanitizer reports in any process output fail the test.

Set MPSTEST_KEEP=1 to keep the temporary directories (logs, configs).
Python 3 standard library only.
"""

import atexit
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

DAEMON = os.environ.get("AMT_MPS_BIN", "")
SIM = os.environ.get("AMT_CIRA_SIM_BIN", "")
CLI = os.environ.get("AMT_MPS_CLI_BIN", "")

# Demo credentials used throughout (AMT wants 8-16 character passwords).
MPS_USER = "mpsuser"
MPS_PASSWORD = "Demo-Pass1"
AMT_USER = "admin"
AMT_PASSWORD = "Amt-Demo-Pass1"

# Sanitizer builds are several times slower: scale timeouts with this.
SLOW = float(os.environ.get("MPSTEST_SLOW", "1"))

SANITIZER_RE = re.compile(
    r"ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error: "
    r"|SUMMARY: (Address|Leak|Undefined)")

_hash_cache = {}


class TestTimeout(Exception):
    """Raised by the per-test alarm."""


def guid(n, prefix="4c4c4544-0000-1000-8000"):
    """A well-formed lowercase GUID numbered n."""
    return "%s-%012x" % (prefix, n)


def guid_add(base, i):
    """base + i in the last 48 bits, as amt-cira-sim --guid-base counts."""
    head, node = base[:24], int(base[24:], 16)
    return "%s%012x" % (head, (node + i) & 0xffffffffffff)


def wait_until(pred, timeout, what, interval=0.05, diag=None):
    """Polls pred() until it returns a true value, which is returned.

    Raises AssertionError naming what was awaited (plus diag() output) when
    timeout seconds pass.
    """
    deadline = time.monotonic() + timeout * SLOW
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            msg = "timed out after %.1fs waiting for %s" % (timeout * SLOW,
                                                           what)
            if diag is not None:
                msg += "\n" + diag()
            raise AssertionError(msg)
        time.sleep(interval)


def free_port():
    """A TCP port on 127.0.0.1 in 20000-30000 that binds right now."""
    for _ in range(500):
        port = random.randint(20000, 30000)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free port in 20000-30000")


def run_cli(args, sock=None, timeout=60, input_bytes=None, env=None):
    """Runs amt-mps-cli; returns the CompletedProcess (text mode)."""
    argv = [CLI]
    if sock is not None:
        argv += ["-s", sock]
    argv += list(args)
    e = dict(os.environ)
    if env:
        e.update(env)
    return subprocess.run(argv, input=input_bytes, capture_output=True,
                          timeout=timeout * SLOW, env=e,
                          stdin=None if input_bytes is not None
                          else subprocess.DEVNULL)


def hash_password(pw):
    """The devices-file hash of pw, made by `amt-mps-cli hash-password`."""
    if pw not in _hash_cache:
        r = run_cli(["hash-password"], input_bytes=pw.encode())
        if r.returncode != 0:
            raise AssertionError("hash-password failed: %r" % r.stderr)
        h = r.stdout.decode().strip()
        if not h.startswith("$pbkdf2-sha256$"):
            raise AssertionError("hash-password printed %r" % h)
        _hash_cache[pw] = h
    return _hash_cache[pw]


def yaml_str(s):
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(s)


_live_procs = []


@atexit.register
def _kill_leftovers():
    """Last resort when a test run is aborted (SystemExit, Ctrl-C):
    no daemon or simulator outlives the test script."""
    for p in _live_procs:
        if p.p.poll() is None:
            try:
                os.killpg(p.p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            p.p.wait()


class Proc:
    """A child process in its own process group, output to a log file."""

    def __init__(self, name, argv, logpath, env=None, cwd=None):
        self.name = name
        self.argv = argv
        self.logpath = logpath
        self._log = open(logpath, "ab")
        e = dict(os.environ)
        if env:
            e.update(env)
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                  stdout=self._log, stderr=subprocess.STDOUT,
                                  start_new_session=True, env=e, cwd=cwd)
        self.rc = None
        _live_procs.append(self)

    @property
    def pid(self):
        return self.p.pid

    def alive(self):
        return self.p.poll() is None

    def send_signal(self, sig):
        if self.alive():
            os.kill(self.p.pid, sig)

    def wait(self, timeout):
        """Waits up to timeout (scaled); returns the exit code or None."""
        try:
            self.rc = self.p.wait(timeout=timeout * SLOW)
        except subprocess.TimeoutExpired:
            return None
        return self.rc

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Signals the whole group, waits, escalates to SIGKILL."""
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, sig)
            except ProcessLookupError:
                pass
            if self.wait(timeout) is None:
                try:
                    os.killpg(self.p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.p.wait(timeout=10)
        else:
            # Reap strays the leader left in its group.
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.rc = self.p.returncode
        if not self._log.closed:
            self._log.close()
        return self.rc

    def log(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def tail(self, n=40):
        lines = self.log().splitlines()
        return "\n".join("    " + ln for ln in lines[-n:])


class Ctl:
    """A raw control-socket client for protocol-level tests."""

    def __init__(self, path, timeout=10):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout * SLOW)
        self.s.connect(path)
        self.buf = b""
        self.next_id = 1

    def close(self):
        self.s.close()

    def send_raw(self, data):
        self.s.sendall(data)

    def recv_line(self, limit=1 << 24):
        """The next line as bytes; None when the server closed."""
        while b"\n" not in self.buf:
            if len(self.buf) > limit:
                raise AssertionError("control line over %d bytes" % limit)
            chunk = self.s.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line

    def recv(self):
        line = self.recv_line()
        return None if line is None else json.loads(line)

    def call(self, method, params=None):
        """Sends a request and returns its response (skips events)."""
        rid = self.next_id
        self.next_id += 1
        req = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            req["params"] = params
        self.send_raw(json.dumps(req).encode() + b"\n")
        while True:
            msg = self.recv()
            if msg is None:
                raise AssertionError("server closed before answering %s"
                                     % method)
            if msg.get("id") == rid:
                return msg

    def closed_by_peer(self, timeout=5):
        """True once the server has closed this connection."""
        deadline = time.monotonic() + timeout * SLOW
        while time.monotonic() < deadline:
            try:
                self.s.settimeout(max(0.05, deadline - time.monotonic()))
                chunk = self.s.recv(65536)
            except socket.timeout:
                return False
            except ConnectionResetError:
                return True
            if not chunk:
                return True
            self.buf += chunk
        return False


class Mps:
    """One daemon instance with its config, devices file and log."""

    def __init__(self, test, dirpath, name="mps"):
        self.test = test
        self.dir = dirpath
        self.name = name
        self.port = free_port()
        self.sock = os.path.join(dirpath, "ctl.sock")
        self.state_dir = os.path.join(dirpath, "state")
        self.config_path = os.path.join(dirpath, "amt-mps.yaml")
        self.devices_path = os.path.join(dirpath, "devices.yaml")
        self.logpath = os.path.join(dirpath, name + ".log")
        self.proc = None
        self.keepalive = (30, 90)
        self.auth_timeout = 30

    # -- files -----------------------------------------------------------

    def write_devices(self, devices=(), accept_unknown=True,
                      user=MPS_USER, password=MPS_PASSWORD, defaults=True):
        """Writes devices.yaml atomically.

        devices: dicts with guid and optionally name, tags, mps_username,
        mps_password (hashed here) and amt_password.
        """
        out = ["accept_unknown: %s" % ("true" if accept_unknown
                                        else "false")]
        if defaults:
            out += ["defaults:",
                    "  mps_username: %s" % yaml_str(user),
                    "  mps_password_hash: %s"
                    % yaml_str(hash_password(password)),
                    "  amt_username: %s" % yaml_str(AMT_USER),
                    "  amt_password: %s" % yaml_str(AMT_PASSWORD)]
        if devices:
            out.append("devices:")
            for d in devices:
                out.append("  - guid: %s" % d["guid"])
                if d.get("name"):
                    out.append("    name: %s" % yaml_str(d["name"]))
                if d.get("tags"):
                    out.append("    tags: [%s]" % ", ".join(
                        yaml_str(t) for t in d["tags"]))
                if d.get("mps_username"):
                    out.append("    mps_username: %s"
                               % yaml_str(d["mps_username"]))
                if d.get("mps_password"):
                    out.append("    mps_password_hash: %s" % yaml_str(
                        hash_password(d["mps_password"])))
        else:
            out.append("devices: []")
        tmp = self.devices_path + ".tmp"
        with open(tmp, "w") as f:
            f.write("\n".join(out) + "\n")
        os.replace(tmp, self.devices_path)

    def write_config(self, keepalive=(30, 90), auth_timeout=30,
                     log_level="info", extra="", control_extra=""):
        """Writes amt-mps.yaml for this instance (loopback only)."""
        self.keepalive = keepalive
        self.auth_timeout = auth_timeout
        text = (
            "listen: [{address: 127.0.0.1, port: %d}]\n"
            "state_dir: %s\n"
            "control: {socket: %s, mode: \"0600\"%s}\n"
            "devices_file: %s\n"
            "keepalive: {interval: %d, timeout: %d}\n"
            "limits: {auth_timeout: %d}\n"
            "log: {level: %s}\n%s"
            % (self.port, yaml_str(self.state_dir), yaml_str(self.sock),
               control_extra, yaml_str(self.devices_path), keepalive[0], keepalive[1],
               auth_timeout, log_level, extra))
        with open(self.config_path, "w") as f:
            f.write(text)

    # -- process ---------------------------------------------------------

    def start(self, timeout=30):
        """Starts the daemon and waits until its control socket answers."""
        self.proc = Proc(self.name, [DAEMON, "-f", "-c", self.config_path],
                         self.logpath)
        self.test.register_proc(self.proc)

        def ready():
            if not self.proc.alive():
                raise AssertionError(
                    "amt-mps exited with %s during start-up:\n%s"
                    % (self.proc.p.returncode, self.proc.tail()))
            if not os.path.exists(self.sock):
                return False
            try:
                c = Ctl(self.sock, timeout=2)
            except OSError:
                return False
            try:
                return c.call("server.info").get("result") is not None
            except (OSError, AssertionError, ValueError):
                return False
            finally:
                c.close()
        wait_until(ready, timeout, "the amt-mps control socket",
                   interval=0.05, diag=self.proc.tail)
        return self

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=15):
        """SIGTERM; returns the exit status (None if it had to be killed)."""
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout)
        self.proc.stop()
        return rc

    def log(self):
        return self.proc.log() if self.proc else ""

    def tail(self, n=60):
        return self.proc.tail(n) if self.proc else ""

    def log_lines(self, *needles):
        """Log lines containing every one of needles."""
        return [ln for ln in self.log().splitlines()
                if all(n in ln for n in needles)]

    def wait_log_line(self, *needles, timeout=15):
        """Waits for a log line containing all needles; returns it."""
        found = wait_until(lambda: self.log_lines(*needles), timeout,
                           "a log line with %s" % " + ".join(needles),
                           diag=self.tail)
        return found[0]

    def wait_log(self, pattern, timeout=15, what=None):
        """Waits for a log line matching regex pattern; returns the match."""
        rx = re.compile(pattern)
        return wait_until(lambda: rx.search(self.log()), timeout,
                          what or "log line /%s/" % pattern,
                          diag=self.tail)

    # -- control ---------------------------------------------------------

    def cli(self, *args, timeout=60):
        """Runs amt-mps-cli against this daemon; CompletedProcess."""
        return run_cli(list(args), sock=self.sock, timeout=timeout)

    def cli_json(self, *args, timeout=60):
        """Runs `amt-mps-cli --json ARGS`, asserts exit 0, parses stdout."""
        r = self.cli("--json", *args, timeout=timeout)
        if r.returncode != 0:
            raise AssertionError(
                "amt-mps-cli %s exited %d: %s\ndaemon log:\n%s"
                % (" ".join(args), r.returncode,
                   r.stderr.decode(errors="replace"), self.tail()))
        return json.loads(r.stdout)

    def devices(self, *args):
        return self.cli_json("devices", *args)["devices"]

    def device_map(self):
        return {d["guid"]: d for d in self.devices()}

    def guids(self):
        return {d["guid"] for d in self.devices()}

    def wait_guids(self, expected, timeout=30, what=None):
        """Waits until the connected GUID set equals expected exactly."""
        expected = set(expected)
        last = [None]

        def check():
            last[0] = self.guids()
            return last[0] == expected
        wait_until(check, timeout, what or "connected GUIDs == %d expected"
                   % len(expected),
                   diag=lambda: "missing %s extra %s\n%s" % (
                       sorted(expected - (last[0] or set()))[:5],
                       sorted((last[0] or set()) - expected)[:5],
                       self.tail()))


class Sim:
    """One amt-cira-sim process: a simulated fleet."""

    def __init__(self, test, mps, name, count=1, guid_base=None, guid=None,
                 user=MPS_USER, password=MPS_PASSWORD, extra=(),
                 misbehave=None, misbehave_count=None, reconnect=False,
                 keepalive=None, duration=None):
        self.test = test
        self.mps = mps
        self.name = name
        d = test.tmp
        self.summary_path = os.path.join(d, name + ".summary.json")
        self.ready_path = os.path.join(d, name + ".ready")
        self.logpath = os.path.join(d, name + ".log")
        argv = [SIM, "--server", "127.0.0.1:%d" % mps.port,
                "--insecure", "--user", user, "--password", password,
                "--summary", self.summary_path,
                "--ready-file", self.ready_path]
        if guid is not None:
            argv += ["--guid", guid]
        else:
            argv += ["--count", str(count)]
            if guid_base is not None:
                argv += ["--guid-base", guid_base]
        if misbehave:
            argv += ["--misbehave", misbehave]
            if misbehave_count is not None:
                argv += ["--misbehave-count", str(misbehave_count)]
        if reconnect:
            argv += ["--reconnect"]
        if keepalive is not None:
            argv += ["--keepalive", str(keepalive)]
        if duration is not None:
            argv += ["--duration", str(duration)]
        argv += list(extra)
        self.argv = argv
        self.proc = None

    def start(self, wait_ready=True, timeout=60):
        for p in (self.summary_path, self.ready_path):
            if os.path.exists(p):
                os.unlink(p)
        self.proc = Proc(self.name, self.argv, self.logpath)
        self.test.register_proc(self.proc)
        if wait_ready:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=60):
        def ready():
            if os.path.exists(self.ready_path):
                return True
            if not self.proc.alive():
                raise AssertionError(
                    "amt-cira-sim %s exited with %s before ready:\n%s"
                    "\ndaemon log:\n%s" % (self.name, self.proc.p.returncode,
                                           self.proc.tail(),
                                           self.mps.tail()))
            return False
        wait_until(ready, timeout, "simulator %s ready file" % self.name,
                   diag=lambda: self.proc.tail() + "\n" + self.mps.tail())

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def stop(self, timeout=15):
        """SIGTERM (the sim writes its summary on the way out)."""
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout)
        self.proc.stop()
        return rc

    def summary(self):
        """The parsed --summary file (written when the sim exits)."""
        with open(self.summary_path) as f:
            return json.load(f)

    def ready_summary(self):
        """The summary the sim wrote as its ready file."""
        with open(self.ready_path) as f:
            return json.load(f)

    def live_summary(self, timeout=15):
        """A fresh summary: from the running sim (SIGUSR1), or the final
        one when it has exited (it stops once every device is closed for
        good, writing the summary on the way out)."""
        def ident():
            try:
                st = os.stat(self.summary_path)
            except FileNotFoundError:
                return None
            return (st.st_ino, st.st_mtime_ns)
        # SIGUSR1 before the sim has set its handler would kill it: wait
        # for the ready file, which it writes from its event loop.
        self.wait_ready(timeout)
        before = ident()
        if self.proc.alive():
            self.proc.send_signal(signal.SIGUSR1)
        # The sim renames a complete file into place: a new inode is new.
        wait_until(lambda: (ident() is not None and ident() != before) or
                   (not self.proc.alive() and ident() is not None),
                   timeout, "summary of %s" % self.name,
                   interval=0.02, diag=self.proc.tail)
        return self.summary()

    def log(self):
        return self.proc.log()


class MpsTestCase(unittest.TestCase):
    """Base class: temp dir, per-test alarm, guaranteed cleanup."""

    TIMEOUT = 120	# seconds per test, before SLOW scaling

    @classmethod
    def setUpClass(cls):
        missing = [n for n, v in (("AMT_MPS_BIN", DAEMON),
                                  ("AMT_CIRA_SIM_BIN", SIM),
                                  ("AMT_MPS_CLI_BIN", CLI))
                   if not v or not os.access(v, os.X_OK)]
        if missing:
            raise unittest.SkipTest("binaries not given: %s"
                                    % ", ".join(missing))

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mpsit-")
        self.procs = []

        def on_alarm(signum, frame):
            raise TestTimeout("test exceeded %ds" % (self.TIMEOUT * SLOW))
        self._old_alarm = signal.signal(signal.SIGALRM, on_alarm)
        signal.alarm(int(self.TIMEOUT * SLOW))
        self.addCleanup(self._cleanup)

    def register_proc(self, proc):
        self.procs.append(proc)

    def _cleanup(self):
        signal.alarm(0)
        signal.signal(signal.SIGALRM, self._old_alarm)
        # Simulators first, so the daemon sees ordinary disconnects.
        for p in sorted(self.procs, key=lambda p: p.name.startswith("mps")):
            p.stop(timeout=10)
        bad = []
        for p in self.procs:
            if SANITIZER_RE.search(p.log()):
                bad.append("%s (%s):\n%s" % (p.name, p.logpath,
                                             p.tail(80)))
        if bad:
            self._keep = True
            self.fail("sanitizer report in process output:\n"
                      + "\n".join(bad))

    def run(self, result=None):
        self._keep = bool(os.environ.get("MPSTEST_KEEP"))
        nbad = (len(result.failures) + len(result.errors)) if result else 0
        out = super().run(result)
        failed = result is not None and \
            len(result.failures) + len(result.errors) > nbad
        if failed:
            for p in getattr(self, "procs", []):
                sys.stderr.write("--- %s log tail (%s) ---\n%s\n"
                                 % (p.name, p.logpath, p.tail(30)))
        tmp = getattr(self, "tmp", None)
        if tmp and os.path.isdir(tmp):
            if self._keep or failed:
                sys.stderr.write("kept %s\n" % tmp)
            else:
                shutil.rmtree(tmp, ignore_errors=True)
        return out

    # -- conveniences ----------------------------------------------------

    def new_mps(self, devices=(), accept_unknown=True, keepalive=(30, 90),
                auth_timeout=30, log_level="info", extra="", start=True,
                name="mps", control_extra=""):
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        m = Mps(self, d, name=name)
        m.write_devices(devices, accept_unknown=accept_unknown)
        m.write_config(keepalive=keepalive, auth_timeout=auth_timeout,
                       log_level=log_level, extra=extra,
                       control_extra=control_extra)
        if start:
            m.start()
        return m

    def new_sim(self, mps, name, start=True, **kw):
        s = Sim(self, mps, name, **kw)
        if start:
            s.start()
        return s


def main():
    unittest.main(verbosity=2)
