"""Keepalive: options are sent, replies flow, silent devices are dropped."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpstest  # noqa: E402
from mpstest import MpsTestCase, guid, wait_until  # noqa: E402

# The smallest interval the config accepts (docs/configuration.md); the
# daemon never idles a tunnel out before 3 * the interval the device
# replied with, so a timeout of 3 * INTERVAL is exact.
INTERVAL, TIMEOUT = 5, 15


class KeepaliveTest(MpsTestCase):

    def test_options_and_replies_flow(self):
        g = guid(0x101)
        mps = self.new_mps(keepalive=(INTERVAL, TIMEOUT))
        # The sim keeps its own 1 s pace so replies come quickly; the
        # MPS still sends its KEEPALIVE_OPTIONS.
        sim = self.new_sim(mps, "sim", guid=g, keepalive=1)
        mps.wait_guids({g})

        def flowing():
            s = sim.live_summary()
            return s if s["keepalive_options"] >= 1 and \
                s["keepalive_replies"] > 0 else None
        s = wait_until(flowing, 20, "keepalive options and replies",
                       interval=0.5, diag=mps.tail)
        self.assertEqual(s["keepalive_bad_cookie"], 0)
        d = wait_until(lambda: (lambda d: d if d["last_keepalive"] else None)(
            mps.cli_json("show", g)), 20, "last_keepalive in show",
            interval=0.3)
        self.assertEqual(d["keepalive_interval"], INTERVAL)
        self.assertEqual(sim.live_summary()["disconnected"], 0)

    def test_silent_device_dropped_others_stay(self):
        normal, silent = guid(0x201), guid(0x202)
        mps = self.new_mps(keepalive=(INTERVAL, TIMEOUT))
        sn = self.new_sim(mps, "normal", guid=normal)
        ss = self.new_sim(mps, "silent", guid=silent,
                          misbehave="no-keepalive")
        t_ready = time.monotonic()
        mps.wait_guids({normal, silent}, timeout=10)
        conn = mps.device_map()[normal]["conn_id"]

        mps.wait_guids({normal}, timeout=TIMEOUT * 3,
                       what="the silent device to be dropped")
        elapsed = time.monotonic() - t_ready
        # Not before the configured idle timeout (minus start-up slack),
        # and the normal device, which keeps talking, outlived it.
        self.assertGreaterEqual(elapsed, TIMEOUT - 1.5)
        line = mps.wait_log_line("guid=" + silent, "event=disconnected",
                                 'reason="idle timeout"')
        # The daemon's own account: idle for the configured timeout.
        duration = int(re.search(r" duration=(\d+)s", line).group(1))
        self.assertTrue(TIMEOUT <= duration <= TIMEOUT + 2, line)
        wait_until(lambda: ss.live_summary()["misbehaving"]
                   ["closed_by_server"] == 1, 10,
                   "the silent sim to see the server close")
        self.assertEqual(mps.device_map()[normal]["conn_id"], conn)
        self.assertEqual(sn.live_summary()["disconnected"], 0)


if __name__ == "__main__":
    mpstest.main()
