"""benchlib: processes, measurements and reporting for tests/bench/run.

Python 3 standard library only.  Everything here is bounded: every wait has
a deadline, every child runs in its own process group and is stopped by
cleanup() (also on SIGINT/SIGTERM and at interpreter exit), and temporary
directories live under /tmp/bench-*.

Measurements come from the kernel, not from the programs measured:
  CPU    /proc/PID/stat utime+stime (clock ticks) and, for precision, the
         sum of /proc/PID/task/*/schedstat run times (ns);
  memory /proc/PID/status VmRSS and VmHWM;
plus what the programs report about themselves (the daemon's server.stats,
the simulator's JSON summary) next to it.
"""

import atexit
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
MPS_USER = "mpsuser"
MPS_PASSWORD = "Demo-Pass1"
AMT_USER = "admin"
AMT_PASSWORD = "Amt-Demo-Pass1"

# Source addresses the simulated fleet is spread over (any 127/8 address
# works on loopback; each gives its own ~28,000 ephemeral ports).
SOURCES = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]


def log(msg):
    sys.stderr.write("[bench %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


class BenchError(Exception):
    """A benchmark could not produce its figure (setup failed, timeout)."""


class Pending(Exception):
    """A feature the benchmark needs is not in the build yet."""


def wait_until(pred, timeout, what, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise BenchError("timed out after %.0fs waiting for %s"
                             % (timeout, what))
        time.sleep(interval)


# -- /proc readings ----------------------------------------------------------

def proc_cpu_split(pid):
    """(utime, stime) seconds from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        st = f.read()
    fields = st[st.rindex(")") + 2:].split()
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK


def proc_cpu(pid):
    """(utime+stime seconds from /proc/PID/stat, schedstat seconds)."""
    with open("/proc/%d/stat" % pid) as f:
        st = f.read()
    fields = st[st.rindex(")") + 2:].split()
    ticks = int(fields[11]) + int(fields[12])
    ns = 0
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                    ns += int(f.read().split()[0])
            except (FileNotFoundError, ProcessLookupError):
                pass
    except FileNotFoundError:
        pass
    return ticks / CLK_TCK, ns / 1e9


def proc_mem(pid):
    """{'rss_kib', 'hwm_kib'} from /proc/PID/status."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                out["rss_kib"] = int(ln.split()[1])
            elif ln.startswith("VmHWM:"):
                out["hwm_kib"] = int(ln.split()[1])
    return out


def proc_fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def wait_quiet(max_wait, threshold=1.0):
    """Polls the 1-minute load average until it is below threshold, for at
    most max_wait seconds.  Returns (load, waited_s, quiet)."""
    t0 = time.monotonic()
    la = loadavg()
    if max_wait <= 0:
        return la, 0.0, la < threshold
    announced = False
    while la >= threshold and time.monotonic() - t0 < max_wait:
        if not announced:
            log("load average %.2f >= %.1f: waiting up to %ds for a quiet "
                "machine" % (la, threshold, max_wait))
            announced = True
        time.sleep(10)
        la = loadavg()
    return la, round(time.monotonic() - t0, 1), la < threshold


def machine_info():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for ln in f:
                if ln.startswith("model name"):
                    model = ln.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        ossl = subprocess.run(["openssl", "version"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        ossl = None
    return {"nproc": os.cpu_count(), "cpu_model": model,
            "kernel": platform.release(), "openssl": ossl,
            "nofile_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[1],
            "python": platform.python_version()}


def percentile(values, p):
    if not values:
        return None
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1)))))
    return v[k]


# -- processes -----------------------------------------------------------------

_procs = []
_tmpdirs = []


def _raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Proc:
    """A child in its own process group, output to a log file."""

    def __init__(self, name, argv, logpath, cwd=None, stdin=None):
        self.name = name
        self.argv = argv
        self.logpath = logpath
        self._log = open(logpath, "ab")
        self.p = subprocess.Popen(
            argv, stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT, cwd=cwd,
            start_new_session=True, preexec_fn=_raise_nofile)
        _procs.append(self)

    @property
    def pid(self):
        return self.p.pid

    def alive(self):
        return self.p.poll() is None

    def send_signal(self, sig):
        if self.alive():
            try:
                os.kill(self.p.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout):
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, sig=signal.SIGTERM, timeout=20):
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
                self.p.wait(timeout=20)
        if not self._log.closed:
            self._log.close()
        if self in _procs:
            _procs.remove(self)
        return self.p.returncode

    def tail(self, n=20):
        try:
            with open(self.logpath, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])


def cleanup(dirs=True):
    """Stops every child still running; with dirs, removes the temporary
    directories (kept when BENCH_KEEP is set)."""
    for p in list(_procs):
        try:
            p.stop(timeout=10)
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass
    if not dirs:
        return
    for d in list(_tmpdirs):
        if os.environ.get("BENCH_KEEP"):
            log("kept %s" % d)
        else:
            shutil.rmtree(d, ignore_errors=True)
        _tmpdirs.remove(d)


def _on_signal(signum, frame):
    log("signal %d: stopping children" % signum)
    cleanup()
    sys.exit(128 + signum)


def install_cleanup():
    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)


def mkdtemp(tag):
    d = tempfile.mkdtemp(prefix="bench-%s-" % tag, dir="/tmp")
    _tmpdirs.append(d)
    return d


def free_port(lo=10000, hi=19999):
    """A TCP port below the ephemeral range that binds on 127.0.0.1 now."""
    for _ in range(500):
        port = random.randint(lo, hi)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise BenchError("no free port in %d-%d" % (lo, hi))


class CpuWindow:
    """CPU of a set of processes over a window of wall time."""

    def __init__(self, pids):
        self.pids = dict(pids)
        self.t0 = time.monotonic()
        self.c0 = {k: proc_cpu(p) for k, p in self.pids.items()}
        self.s0 = {k: proc_cpu_split(p) for k, p in self.pids.items()}

    def add(self, key, pid):
        self.pids[key] = pid
        self.c0[key] = proc_cpu(pid)
        self.s0[key] = proc_cpu_split(pid)

    def end(self):
        wall = time.monotonic() - self.t0
        out = {"wall_s": round(wall, 3)}
        for k, p in self.pids.items():
            c1 = proc_cpu(p)
            u1, s1 = proc_cpu_split(p)
            ticks = c1[0] - self.c0[k][0]
            sched = c1[1] - self.c0[k][1]
            # schedstat (ns) is precise but per live thread: a thread
            # that ended inside the window drops out of the sum, while
            # /proc/PID/stat keeps dead threads' ticks.  Take the ticks
            # when they say clearly more.
            if ticks > sched + 3.0 / CLK_TCK:
                sched = ticks
            out[k] = {"cpu_s": round(ticks, 3), "cpu_sched_s": round(sched, 4),
                      "user_s": round(u1 - self.s0[k][0], 3),
                      "sys_s": round(s1 - self.s0[k][1], 3),
                      "pct_of_core": round(100.0 * sched / wall, 2)
                      if wall > 0 else None}
        return out


class RssSampler(threading.Thread):
    """Polls VmRSS of one process every interval; keeps the peak."""

    def __init__(self, pid, interval=0.05):
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_kib = 0
        self.samples = []
        self._halt = threading.Event()

    def run(self):
        t0 = time.monotonic()
        while not self._halt.is_set():
            try:
                r = proc_mem(self.pid)["rss_kib"]
            except (OSError, KeyError):
                break
            self.peak_kib = max(self.peak_kib, r)
            self.samples.append((round(time.monotonic() - t0, 2), r))
            self._halt.wait(self.interval)

    def stop(self):
        self._halt.set()
        self.join(timeout=5)


# -- tools ---------------------------------------------------------------------

class Tools:
    """Paths of the binaries under test and the shared certificate."""

    def __init__(self, build_dir, workdir):
        self.build = build_dir
        self.daemon = os.path.join(build_dir, "server", "amt-mps")
        self.sim = os.path.join(build_dir, "sim", "amt-cira-sim")
        self.cli = os.path.join(build_dir, "cli", "amt-mps-cli")
        for b in (self.daemon, self.sim, self.cli):
            if not os.access(b, os.X_OK):
                raise BenchError("missing binary %s: build first (cmake -S . "
                                 "-B %s -DCMAKE_BUILD_TYPE=RelWithDebInfo && "
                                 "cmake --build %s)" % (b, build_dir,
                                                         build_dir))
        self.workdir = workdir
        self.cert = os.path.join(workdir, "server.crt")
        self.key = os.path.join(workdir, "server.key")
        # RSA-2048, as the bars are stated for it; the daemon and the
        # openssl baselines use this same certificate.
        r = subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
             "-keyout", self.key, "-out", self.cert, "-days", "7",
             "-subj", "/CN=127.0.0.1", "-addext",
             "subjectAltName=IP:127.0.0.1"],
            capture_output=True, timeout=60)
        if r.returncode != 0:
            raise BenchError("openssl req failed: %s" % r.stderr[-500:])
        r = subprocess.run([self.cli, "hash-password"],
                           input=MPS_PASSWORD.encode(), capture_output=True,
                           timeout=60)
        self.pw_hash = r.stdout.decode().strip()
        if r.returncode != 0 or not self.pw_hash.startswith("$pbkdf2"):
            raise BenchError("amt-mps-cli hash-password failed: %r"
                             % r.stderr)
        self.profile = None        # None, "perf", "callgrind"
        self.out = None

    def has_sim_option(self, word):
        r = subprocess.run([self.sim, "--help"], capture_output=True,
                           text=True, timeout=10)
        return word.lower() in (r.stdout + r.stderr).lower()


# -- the daemon -----------------------------------------------------------------

class Ctl:
    """JSON-RPC 2.0 over the control socket, one object per line."""

    def __init__(self, path, timeout=30):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""
        self.next_id = 1

    def close(self):
        self.s.close()

    def send(self, method, params=None):
        rid = self.next_id
        self.next_id += 1
        req = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            req["params"] = params
        self.s.sendall(json.dumps(req).encode() + b"\n")
        return rid

    def recv(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(1 << 20)
            if not chunk:
                return None
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return json.loads(line)

    def call(self, method, params=None):
        rid = self.send(method, params)
        while True:
            m = self.recv()
            if m is None:
                raise BenchError("control socket closed during %s" % method)
            if m.get("id") == rid:
                return m


class Daemon:
    """One amt-mps with its own directory, port, config and devices file."""

    def __init__(self, tools, tag, keepalive=(30, 90), limits=None,
                 log_level="info"):
        self.tools = tools
        self.dir = mkdtemp(tag)
        self.port = free_port()
        self.sock = os.path.join(self.dir, "ctl.sock")
        self.config = os.path.join(self.dir, "amt-mps.yaml")
        self.devices = os.path.join(self.dir, "devices.yaml")
        self.logpath = os.path.join(self.dir, "amt-mps.log")
        self.proc = None
        self._perf = None
        self.last_dump = None
        with open(self.devices, "w") as f:
            f.write("accept_unknown: true\ndefaults:\n"
                    "  mps_username: %s\n  mps_password_hash: \"%s\"\n"
                    "  amt_username: %s\n  amt_password: \"%s\"\n"
                    % (MPS_USER, tools.pw_hash, AMT_USER, AMT_PASSWORD))
        lim = {"max_devices": 20000}
        lim.update(limits or {})
        with open(self.config, "w") as f:
            f.write("listen: [{address: 127.0.0.1, port: %d}]\n"
                    "state_dir: %s\n"
                    "tls: {certificate: %s, key: %s}\n"
                    "control: {socket: %s, mode: \"0600\"}\n"
                    "devices_file: %s\n"
                    "keepalive: {interval: %d, timeout: %d}\n"
                    "limits: {%s}\n"
                    "log: {level: %s}\n"
                    % (self.port, os.path.join(self.dir, "state"),
                       tools.cert, tools.key, self.sock, self.devices,
                       keepalive[0], keepalive[1],
                       ", ".join("%s: %s" % kv for kv in lim.items()),
                       log_level))

    def start(self, timeout=60):
        argv = [self.tools.daemon, "-f", "-c", self.config]
        if self.tools.profile == "callgrind":
            # Instruction counts, not seconds: repeatable on a busy
            # machine.  Dumps go to the daemon's directory.
            argv = ["valgrind", "--tool=callgrind",
                    "--callgrind-out-file=%s/callgrind.out.%%p" % self.dir
                    ] + argv
            timeout *= 5
        self.proc = Proc("amt-mps", argv, self.logpath, cwd=self.dir)

        def ready():
            if not self.proc.alive():
                raise BenchError("amt-mps exited during start-up:\n%s"
                                 % self.proc.tail())
            if not os.path.exists(self.sock):
                return False
            try:
                c = Ctl(self.sock, timeout=5)
                try:
                    return c.call("server.info").get("result") is not None
                finally:
                    c.close()
            except (OSError, ValueError, BenchError):
                return False
        wait_until(ready, timeout, "the amt-mps control socket")
        return self

    @property
    def pid(self):
        return self.proc.pid

    def call(self, method, params=None, timeout=60):
        c = Ctl(self.sock, timeout=timeout)
        try:
            return c.call(method, params)
        finally:
            c.close()

    def stats(self):
        r = self.call("server.stats")
        if "result" not in r:
            raise BenchError("server.stats failed: %r" % r)
        return r["result"]

    def mem(self):
        return proc_mem(self.pid)

    def cpu(self):
        return proc_cpu(self.pid)

    def settle(self, min_s=8, max_s=40, tol=0.005):
        """Waits min_s (past the daemon's heap trim), then until VmRSS is
        steady (three 1-s samples within tol); returns the last RSS KiB."""
        time.sleep(min_s)
        hist = []
        deadline = time.monotonic() + max_s
        while time.monotonic() < deadline:
            hist.append(self.mem()["rss_kib"])
            if len(hist) >= 3:
                w = hist[-3:]
                if max(w) - min(w) <= tol * max(w):
                    break
            time.sleep(1)
        return hist[-1]

    # -- profiling hooks around a measured phase --

    def profile_begin(self, label):
        t = self.tools
        if t.profile == "perf":
            self._perf_data = os.path.join(t.out, "perf-%s.data" % label)
            argv = ["perf", "record", "-e", "cpu-clock", "-F", "999",
                    "-o", self._perf_data, "-p", str(self.pid)]
            if t.perf_callgraph:
                argv[2:2] = ["--call-graph", "dwarf,8192"]
            self._perf = Proc("perf", argv,
                              os.path.join(t.out, "perf-%s.log" % label))
            time.sleep(0.5)
        elif t.profile == "callgrind":
            subprocess.run(["callgrind_control", "-z", str(self.pid)],
                           capture_output=True, timeout=120)

    def profile_end(self, label):
        t = self.tools
        if t.profile == "perf" and self._perf is not None:
            self._perf.stop(sig=signal.SIGINT, timeout=60)
            self._perf = None
            rep = os.path.join(t.out, "perf-%s.txt" % label)
            with open(rep, "w") as f:
                for sort in ("dso", "dso,symbol"):
                    f.write("==== perf report --sort %s\n" % sort)
                    f.flush()
                    subprocess.run(["perf", "report", "--stdio",
                                    "--no-children", "--sort", sort,
                                    "--percent-limit", "0.5", "-i",
                                    self._perf_data],
                                   stdout=f, stderr=subprocess.DEVNULL,
                                   timeout=600)
            return rep
        if t.profile == "callgrind":
            subprocess.run(["callgrind_control", "-d", label, str(self.pid)],
                           capture_output=True, timeout=300)
            time.sleep(1)
            dumps = sorted(
                (os.path.join(self.dir, n) for n in os.listdir(self.dir)
                 if n.startswith("callgrind.out")), key=os.path.getmtime)
            if not dumps:
                return None
            self.last_dump = dumps[-1]
            rep = os.path.join(t.out, "callgrind-%s.txt" % label)
            shutil.copy(dumps[-1], os.path.join(t.out, "callgrind.out.%s"
                                                % label))
            with open(rep, "w") as f:
                subprocess.run(["callgrind_annotate", "--inclusive=no",
                                dumps[-1]], stdout=f,
                               stderr=subprocess.DEVNULL, timeout=300)
            return rep
        return None

    def stop(self):
        if self.proc is not None:
            self.proc.stop(timeout=60 if self.tools.profile == "callgrind"
                           else 20)


# -- the simulator ---------------------------------------------------------------

class Sim:
    """One amt-cira-sim process."""

    def __init__(self, tools, daemon, tag, count, extra=(), sources=None):
        self.tools = tools
        self.daemon = daemon
        self.dir = daemon.dir
        self.summary_path = os.path.join(self.dir, "%s.summary.json" % tag)
        self.ready_path = os.path.join(self.dir, "%s.ready.json" % tag)
        self.logpath = os.path.join(self.dir, "%s.log" % tag)
        self.count = count
        src = sources if sources is not None else SOURCES
        self.argv = [tools.sim, "--server", "127.0.0.1:%d" % daemon.port,
                     "--ca", tools.cert, "--count", str(count),
                     "--summary", self.summary_path,
                     "--ready-file", self.ready_path,
                     # The devices file's AMT credentials (fan-out's
                     # WS-Man calls authenticate with them).
                     "--amt-user", AMT_USER, "--amt-password", AMT_PASSWORD]
        if src:
            self.argv += ["--source", ",".join(src)]
        self.argv += list(extra)
        self.proc = None

    def start(self):
        for p in (self.summary_path, self.ready_path):
            if os.path.exists(p):
                os.unlink(p)
        self.proc = Proc("amt-cira-sim", self.argv, self.logpath)
        return self

    @property
    def pid(self):
        return self.proc.pid

    def wait_ready(self, timeout):
        def ready():
            if os.path.exists(self.ready_path):
                return True
            if not self.proc.alive():
                raise BenchError("amt-cira-sim exited before ready:\n%s"
                                 % self.proc.tail())
            return False
        wait_until(ready, timeout, "the simulator's ready file", 0.1)
        with open(self.ready_path) as f:
            return json.load(f)

    def live_summary(self, timeout=30):
        """Asks the running sim for a fresh summary (SIGUSR1)."""
        def ident():
            try:
                st = os.stat(self.summary_path)
            except FileNotFoundError:
                return None
            return (st.st_ino, st.st_mtime_ns)
        before = ident()
        self.proc.send_signal(signal.SIGUSR1)
        wait_until(lambda: ident() is not None and ident() != before,
                   timeout, "a simulator summary", 0.02)
        with open(self.summary_path) as f:
            return json.load(f)

    def stop(self, timeout=60):
        self.proc.stop(timeout=timeout)
        try:
            with open(self.summary_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None


def callgrind_total(path):
    """Instructions (Ir) in a callgrind dump: its summary/totals line."""
    if not path:
        return None
    with open(path) as f:
        for ln in f:
            if ln.startswith("summary:") or ln.startswith("totals:"):
                return int(ln.split()[1])
    return None


def sim_brief(s):
    """The simulator summary keys a report needs."""
    if not s:
        return None
    keys = ("devices", "connect_attempts", "connected", "authenticated",
            "auth_failed", "active", "reached_active", "disconnected",
            "disconnect_reasons", "keepalive_sent", "keepalive_replies",
            "keepalive_missed", "cpu_user_s", "cpu_sys_s", "max_rss_kib",
            "connect_time_ms", "elapsed_s")
    return {k: s.get(k) for k in keys if k in s}


def openssl_speed_rsa2048(seconds):
    """(sign_s, verify_s, signs_per_s) from `openssl speed rsa2048`."""
    r = subprocess.run(["openssl", "speed", "-seconds", str(seconds),
                        "rsa2048"], capture_output=True, text=True,
                       timeout=seconds * 4 + 60)
    for ln in r.stdout.splitlines():
        m = re.match(r"\s*rsa\s+2048 bits\s+([\d.]+)s\s+([\d.]+)s\s+"
                     r"([\d.]+)", ln)
        if m:
            return float(m.group(1)), float(m.group(2)), float(m.group(3))
    raise BenchError("cannot parse openssl speed output:\n%s"
                     % r.stdout[-800:])


def openssl_speed_aesgcm(seconds):
    """Bytes/s of AES-256-GCM on 16 KiB blocks (one core)."""
    r = subprocess.run(["openssl", "speed", "-seconds", str(seconds),
                        "-bytes", "16384", "-evp", "aes-256-gcm"],
                       capture_output=True, text=True,
                       timeout=seconds * 4 + 60)
    for ln in r.stdout.splitlines():
        if ln.lower().startswith("aes-256-gcm"):
            v = ln.split()[-1]
            if v.endswith("k"):
                return float(v[:-1]) * 1000.0
    raise BenchError("cannot parse openssl speed -evp output:\n%s"
                     % r.stdout[-800:])


def write_result(outdir, name, result, summary_line):
    path = os.path.join(outdir, "%s.json" % name)
    with open(path, "w") as f:
        json.dump(result, f, indent=2, sort_keys=False)
        f.write("\n")
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.write("SUMMARY %s: %s\n" % (name, summary_line))
    sys.stdout.flush()
    with open(os.path.join(outdir, "summary.txt"), "a") as f:
        f.write("%s: %s\n" % (name, summary_line))
