"""Config checking (-t) and clean shutdown (SIGTERM)."""

import json
import os
import re
import signal
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpstest  # noqa: E402
from mpstest import (DAEMON, Ctl, MpsTestCase, guid, guid_add,  # noqa: E402
                     run_cli, wait_until)


class LifecycleTest(MpsTestCase):

    def check(self, path):
        return subprocess.run([DAEMON, "-t", "-c", path],
                              capture_output=True, timeout=30 * mpstest.SLOW)

    def test_check_config(self):
        mps = self.new_mps(start=False)
        r = self.check(mps.config_path)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

        # An unknown key on line 3, column 3.
        bad = os.path.join(self.tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write("listen: [{address: 127.0.0.1, port: 4433}]\n"
                    "keepalive:\n"
                    "  intervall: 30\n")
        r = self.check(bad)
        self.assertEqual(r.returncode, 1)
        out = (r.stdout + r.stderr).decode()
        self.assertRegex(out, re.escape(bad) + r":3:3: .*intervall")

        # A bad value.
        with open(bad, "w") as f:
            f.write("keepalive: {interval: many}\n")
        r = self.check(bad)
        self.assertEqual(r.returncode, 1)
        self.assertRegex((r.stdout + r.stderr).decode(),
                         re.escape(bad) + r":1:\d+: ")

        # Broken YAML syntax.
        with open(bad, "w") as f:
            f.write("listen: [{address: 127.0.0.1\nlog: {level: info}\n")
        r = self.check(bad)
        self.assertEqual(r.returncode, 1)
        self.assertRegex((r.stdout + r.stderr).decode(),
                         re.escape(bad) + r":\d+:\d+: ")

        # -t checks the devices file too and names it.
        with open(mps.devices_path, "a") as f:
            f.write("  - {guid: not-a-guid}\n")
        r = self.check(mps.config_path)
        self.assertEqual(r.returncode, 1)
        self.assertRegex((r.stdout + r.stderr).decode(),
                         re.escape(mps.devices_path) + r":\d+:\d+: ")

    def test_sigterm_closes_tunnels_cleanly(self):
        n = 3
        base = guid(0x900)
        mps = self.new_mps()
        sim = self.new_sim(mps, "sim", count=n, guid_base=base)
        mps.wait_guids({guid_add(base, i) for i in range(n)})
        watcher = Ctl(mps.sock)
        self.addCleanup(watcher.close)
        self.assertIn("result", watcher.call("events.subscribe"))

        mps.send_signal(signal.SIGTERM)
        rc = mps.proc.wait(20)
        self.assertEqual(rc, 0, "amt-mps exit status %r:\n%s"
                         % (rc, mps.tail()))
        # Every tunnel got an APF DISCONNECT from the server.
        s = wait_until(lambda: (lambda s: s if s["disconnected"] == n
                                else None)(sim.live_summary()), 10,
                       "the sim to see all tunnels closed")
        apf = sum(v for k, v in s["disconnect_reasons"].items()
                  if k.startswith("apf_disconnect_"))
        self.assertEqual(apf, n, s["disconnect_reasons"])
        # Subscribers saw each tunnel go, with the reason.
        msgs = self.drain(watcher)
        gone = [m["params"] for m in msgs if m.get("method") == "event" and
                m["params"]["event"] == "disconnect"]
        self.assertEqual(len(gone), n, msgs)
        self.assertEqual({e["reason"] for e in gone}, {"server shutdown"})
        # And nobody answers any more.
        r = run_cli(["stats"], sock=mps.sock)
        self.assertEqual(r.returncode, 3)

    def test_builtin_defaults_and_default_socket(self):
        # No -c: port 4433, state in ./amt-mps-state, demo credentials.
        # The CLI finds that socket with no -s and no $AMT_MPS_SOCKET.
        if os.path.exists("/run/amt-mps/control.sock"):
            self.skipTest("a system amt-mps socket exists here")
        if os.path.exists("/etc/amt-mps/amt-mps.yaml"):
            self.skipTest("/etc/amt-mps/amt-mps.yaml would be used")
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("0.0.0.0", 4433))
        except OSError:
            self.skipTest("port 4433 is in use")
        finally:
            s.close()
        cwd = os.path.join(self.tmp, "first-try")
        os.makedirs(cwd)
        proc = mpstest.Proc("mps-defaults", [DAEMON],
                            os.path.join(self.tmp, "mps-defaults.log"),
                            cwd=cwd)
        self.register_proc(proc)
        sock = os.path.join(cwd, "amt-mps-state", "control.sock")
        env = {k: v for k, v in os.environ.items() if k != "AMT_MPS_SOCKET"}

        def cli(*args):
            return subprocess.run([mpstest.CLI] + list(args), cwd=cwd,
                                  env=env, capture_output=True,
                                  timeout=30 * mpstest.SLOW)
        def up():
            if not proc.alive() and "in use" in proc.log():
                self.skipTest("port 4433 was taken meanwhile")
            return os.path.exists(sock) and cli("stats").returncode == 0
        wait_until(up, 30, "the built-in-defaults daemon", diag=proc.tail)
        g = guid(0x950)
        mps = mpstest.Mps(self, cwd, name="defaults")	# for the sim
        mps.port = 4433
        self.new_sim(mps, "demo", guid=g, user="mpsuser",
                     password="Demo-Pass1")
        r = cli("--json", "devices")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([d["guid"] for d in json.loads(r.stdout)["devices"]],
                         [g])
        self.assertIn("DEVELOPMENT certificate", proc.log())

    def drain(self, ctl):
        """Every message until the server closes the connection."""
        msgs = []
        while True:
            m = ctl.recv()
            if m is None:
                return msgs
            msgs.append(m)

    def test_sigterm_tells_control_clients(self):
        # design.md section 2: on SIGTERM "control clients [get] an error".
        mps = self.new_mps()
        idle = Ctl(mps.sock)
        self.addCleanup(idle.close)
        self.assertIn("result", idle.call("server.info"))
        mps.send_signal(signal.SIGTERM)
        self.assertEqual(mps.proc.wait(20), 0, mps.tail())
        msgs = self.drain(idle)
        self.assertTrue(any("error" in m for m in msgs),
                        "closed without an error line: %r" % msgs)


if __name__ == "__main__":
    mpstest.main()
