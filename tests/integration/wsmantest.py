"""wsmantest: what the WS-Man integration tests add to mpstest.

- WsMps: a daemon whose devices file carries AMT digest credentials (the
  simulator's by default), per device or as defaults or not at all, and
  whose config sets the WS-Man limits (request_timeout, power_cooldown);
- WsSim: a simulator with its WS-Man call log (--wsman-log) and faults;
- WsmanTestCase: the two wired together, plus CLI helpers that check the
  exit status and the "amt-mps-cli: <daemon message>" contract at once.

Standard library only, like mpstest.
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpstest  # noqa: E402
from mpstest import (Mps, MpsTestCase, Sim, hash_password,  # noqa: E402
                     wait_until, yaml_str)

# amt-cira-sim's default AMT digest account (docs/simulator.md).
SIM_AMT_USER = "admin"
SIM_AMT_PASSWORD = "P@ssw0rd"


def sim_help():
    """amt-cira-sim --help text ("" if it cannot run)."""
    try:
        r = subprocess.run([mpstest.SIM, "--help"], capture_output=True,
                           timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (r.stdout + r.stderr).decode(errors="replace")


class WsMps(Mps):
    """A daemon with AMT credentials in its devices file."""

    def write_devices(self, devices=(), accept_unknown=True,
                      user=mpstest.MPS_USER, password=mpstest.MPS_PASSWORD,
                      defaults=True, amt_defaults=True,
                      amt_user=SIM_AMT_USER, amt_password=SIM_AMT_PASSWORD):
        """Like Mps.write_devices; devices may also carry amt_username and
        amt_password.  amt_defaults=False leaves the AMT account out of
        the defaults (devices without their own then have none)."""
        out = ["accept_unknown: %s" % ("true" if accept_unknown
                                        else "false")]
        if defaults:
            out += ["defaults:",
                    "  mps_username: %s" % yaml_str(user),
                    "  mps_password_hash: %s"
                    % yaml_str(hash_password(password))]
            if amt_defaults:
                out += ["  amt_username: %s" % yaml_str(amt_user),
                        "  amt_password: %s" % yaml_str(amt_password)]
        out.append("devices:" if devices else "devices: []")
        for d in devices:
            out.append("  - guid: %s" % d["guid"])
            for key in ("name", "mps_username", "amt_username",
                        "amt_password"):
                if d.get(key):
                    out.append("    %s: %s" % (key, yaml_str(d[key])))
            if d.get("tags"):
                out.append("    tags: [%s]" % ", ".join(
                    yaml_str(t) for t in d["tags"]))
            if d.get("mps_password"):
                out.append("    mps_password_hash: %s" % yaml_str(
                    hash_password(d["mps_password"])))
        tmp = self.devices_path + ".tmp"
        with open(tmp, "w") as f:
            f.write("\n".join(out) + "\n")
        os.replace(tmp, self.devices_path)

    def write_config(self, keepalive=(30, 90), auth_timeout=30,
                     log_level="info", extra="", control_extra="",
                     request_timeout=None, power_cooldown=0):
        """Mps.write_config plus the WS-Man limits.  power_cooldown
        defaults to 0 here so that tests can chain power actions; the
        cooldown test sets it."""
        limits = ["auth_timeout: %d" % auth_timeout]
        if request_timeout is not None:
            limits.append("request_timeout: %d" % request_timeout)
        if power_cooldown is not None:
            limits.append("power_cooldown: %d" % power_cooldown)
        self.keepalive = keepalive
        self.auth_timeout = auth_timeout
        text = (
            "listen: [{address: 127.0.0.1, port: %d}]\n"
            "state_dir: %s\n"
            "control: {socket: %s, mode: \"0600\"%s}\n"
            "devices_file: %s\n"
            "keepalive: {interval: %d, timeout: %d}\n"
            "limits: {%s}\n"
            "log: {level: %s}\n%s"
            % (self.port, yaml_str(self.state_dir), yaml_str(self.sock),
               control_extra, yaml_str(self.devices_path), keepalive[0],
               keepalive[1], ", ".join(limits), log_level, extra))
        with open(self.config_path, "w") as f:
            f.write(text)


class WsSim(Sim):
    """A simulator with a WS-Man call log of its own."""

    def __init__(self, test, mps, name, wsman_faults=(), wsman_log=True,
                 extra=(), **kw):
        self.wsman_log_path = os.path.join(test.tmp, name + ".wsman.jsonl")
        more = []
        if wsman_log:
            more += ["--wsman-log", self.wsman_log_path]
        for f in wsman_faults:
            more += ["--wsman-fault", f]
        super().__init__(test, mps, name, extra=more + list(extra), **kw)

    def calls(self, guid=None, authed=True):
        """The call log as dicts, in order; only device guid's if given.
        authed: leave out the 401 answers (Digest challenges), which
        libcurl meets on every new connection before it retries with
        credentials: they are transport, not WS-Man operations."""
        out = []
        try:
            with open(self.wsman_log_path) as f:
                for line in f:
                    line = line.strip()
                    if not line:
                        continue
                    c = json.loads(line)
                    if guid is not None and c.get("guid") != guid:
                        continue
                    if authed and c.get("status") == 401:
                        continue
                    out.append(c)
        except FileNotFoundError:
            pass
        return out

    def steps(self, guid=None, since=0):
        """(resource class, action) of each authenticated call after the
        first `since` ones."""
        return [(c["resource"], c["action"])
                for c in self.calls(guid)[since:]]


class WsmanTestCase(MpsTestCase):
    """MpsTestCase with WsMps/WsSim and CLI checks."""

    def new_mps(self, devices=(), accept_unknown=True, keepalive=(30, 90),
                auth_timeout=30, log_level="info", extra="", start=True,
                name="mps", control_extra="", amt_defaults=True,
                amt_user=SIM_AMT_USER, amt_password=SIM_AMT_PASSWORD,
                request_timeout=None, power_cooldown=0):
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        m = WsMps(self, d, name=name)
        m.write_devices(devices, accept_unknown=accept_unknown,
                        amt_defaults=amt_defaults, amt_user=amt_user,
                        amt_password=amt_password)
        m.write_config(keepalive=keepalive, auth_timeout=auth_timeout,
                       log_level=log_level, extra=extra,
                       control_extra=control_extra,
                       request_timeout=request_timeout,
                       power_cooldown=power_cooldown)
        if start:
            m.start()
        return m

    def new_sim(self, mps, name, start=True, **kw):
        s = WsSim(self, mps, name, **kw)
        if start:
            s.start()
        return s

    # -- CLI ---------------------------------------------------------------

    def ok(self, mps, *args, timeout=60):
        """Runs the CLI, asserts exit 0 and an empty stderr; stdout text."""
        r = mps.cli(*args, timeout=timeout)
        self.assertEqual(r.returncode, 0, "amt-mps-cli %s: exit %d\n%s\n"
                         "daemon log:\n%s" % (" ".join(args), r.returncode,
                                              r.stderr.decode(errors="replace"),
                                              mps.tail()))
        self.assertEqual(r.stderr, b"", args)
        return r.stdout.decode()

    def ok_json(self, mps, *args, timeout=60):
        return json.loads(self.ok(mps, "--json", *args, timeout=timeout))

    def fails(self, mps, args, error, *words, timeout=60):
        """Runs `amt-mps-cli --json ARGS` and then `ARGS`: both must exit 1
        with daemon error `error` (data.error); the human run must print
        exactly "amt-mps-cli: <message>" and nothing on stdout, and the
        message must contain each of words (case-insensitive).  Returns
        the error object."""
        r = mps.cli("--json", *args, timeout=timeout)
        self.assertEqual(r.returncode, 1, "%s: exit %d, stderr %r" % (
            args, r.returncode, r.stderr))
        err = json.loads(r.stdout)["error"]
        self.assertEqual(err["code"], -32000, err)
        self.assertEqual(err["data"]["error"], error, err)
        msg = err["message"]
        if os.environ.get("MPSTEST_SHOW_ERRORS"):
            sys.stderr.write("\n[error] %s: %s\n" % (error, msg))
        for w in words:
            self.assertIn(w.lower(), msg.lower(), "%r lacks %r" % (msg, w))
        r = mps.cli(*args, timeout=timeout)
        self.assertEqual(r.returncode, 1, args)
        self.assertEqual(r.stdout, b"", args)
        self.assertTrue(r.stderr.decode().startswith(
            "amt-mps-cli: %s\n" % msg), "%r vs %r" % (r.stderr, msg))
        return err

    def power_state(self, mps, dev):
        return self.ok_json(mps, "power", dev, "status")

    def wait_power(self, mps, dev, state, timeout=15):
        """Polls `power DEV status` until its state is state."""
        last = [None]

        def check():
            last[0] = self.power_state(mps, dev)
            return last[0]["state"] == state
        wait_until(check, timeout, "%s to be %s" % (dev, state),
                   interval=0.1, diag=lambda: "last %r" % (last[0],))
        return last[0]


def timed(fn):
    """(fn(), seconds it took)."""
    t0 = time.monotonic()
    v = fn()
    return v, time.monotonic() - t0


main = mpstest.main
