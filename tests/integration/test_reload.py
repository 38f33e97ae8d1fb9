"""Reloading the devices file (SIGHUP, `amt-mps-cli reload`) keeps tunnels."""

import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpstest  # noqa: E402
from mpstest import MpsTestCase, guid  # noqa: E402


class ReloadTest(MpsTestCase):

    def add_device_after_reload(self, how):
        a, b = guid(0x401), guid(0x402)
        mps = self.new_mps(devices=[{"guid": a, "name": "nuc-a"}],
                           accept_unknown=False)
        self.new_sim(mps, "a", guid=a)
        mps.wait_guids({a})
        before = mps.device_map()[a]

        # B is not in the file yet: refused.  It keeps retrying.
        sb = mpstest.Sim(self, mps, "b", guid=b, reconnect=True,
                         extra=["--backoff", "1,1"])
        sb.start(wait_ready=False)
        mps.wait_log_line("guid=" + b, "event=auth-failed",
                          'reason="unknown device"')
        self.assertEqual(mps.guids(), {a})

        mps.write_devices([{"guid": a, "name": "nuc-a"},
                           {"guid": b, "name": "nuc-b"}], accept_unknown=False)
        if how == "sighup":
            mps.send_signal(signal.SIGHUP)
        else:
            res = mps.cli_json("reload")
            self.assertIs(res["ok"], True)
            self.assertEqual(res["devices"], 2)
        mps.wait_guids({a, b}, timeout=30, what="B to connect after reload")
        after = mps.device_map()
        self.assertEqual(after[b]["name"], "nuc-b")
        # A's tunnel was never dropped.
        self.assertEqual(after[a]["conn_id"], before["conn_id"])
        self.assertEqual(after[a]["connected_at"], before["connected_at"])
        self.assertEqual(after[a]["remote"], before["remote"])

    def test_sighup_adds_device(self):
        self.add_device_after_reload("sighup")

    def test_cli_reload_adds_device(self):
        self.add_device_after_reload("cli")

    def test_broken_file_keeps_old_devices(self):
        a, b = guid(0x411), guid(0x412)
        mps = self.new_mps(devices=[{"guid": a}, {"guid": b}],
                           accept_unknown=False)
        self.new_sim(mps, "a", guid=a)
        mps.wait_guids({a})
        conn = mps.device_map()[a]["conn_id"]
        with open(mps.devices_path, "a") as f:
            f.write("bogus_key: 1\n")
        r = mps.cli("reload")
        self.assertEqual(r.returncode, 1, r.stderr)
        err = r.stderr.decode()
        self.assertRegex(err, r"devices\.yaml:\d+:\d+")
        self.assertIn("bogus_key", err)
        # The old file stays in force: B (listed there) still gets in.
        sb = self.new_sim(mps, "b", guid=b)
        self.assertEqual(sb.ready_summary()["active"], 1)
        mps.wait_guids({a, b})
        self.assertEqual(mps.device_map()[a]["conn_id"], conn)
        # SIGHUP with the broken file: logged, daemon keeps running.
        mps.send_signal(signal.SIGHUP)
        mps.wait_log(r"devices\.yaml:\d+:\d+")
        self.assertTrue(mps.proc.alive())
        self.assertEqual(mps.guids(), {a, b})


if __name__ == "__main__":
    mpstest.main()
