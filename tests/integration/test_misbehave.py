"""Each misbehaving device is closed alone; well-behaved tunnels stay up."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpstest  # noqa: E402
from mpstest import MpsTestCase, guid, guid_add, wait_until  # noqa: E402

KEEPALIVE = (5, 15)	# the smallest interval the config accepts
AUTH_TIMEOUT = 2

# Misbehaviour -> the close reason the daemon logs for it.
KINDS = [
    ("wrong-password", "auth failed"),
    ("stall", "auth timeout"),
    ("garbage", "protocol error"),
    ("oversize", "protocol error"),
    ("no-keepalive", "idle timeout"),
    ("unknown-request", "protocol error"),
]


class MisbehaveTest(MpsTestCase):
    TIMEOUT = 300

    def setUp(self):
        super().setUp()
        self.mps = self.new_mps(keepalive=KEEPALIVE,
                                auth_timeout=AUTH_TIMEOUT)
        base = guid(0x600)
        self.normal = {guid_add(base, i) for i in range(3)}
        # The harness's AMT account, so WS-Man to them works too.
        self.fleet = self.new_sim(self.mps, "normal", count=3,
                                  guid_base=base, extra=[
                                      "--amt-user", mpstest.AMT_USER,
                                      "--amt-password",
                                      mpstest.AMT_PASSWORD])
        self.mps.wait_guids(self.normal)
        self.conns = {g: d["conn_id"]
                      for g, d in self.mps.device_map().items()}

    def check_isolated(self, kind, n, reason):
        mps = self.mps
        g = guid(0x700 + n)
        nreason = len(mps.log_lines('reason="%s"' % reason))
        sim = self.new_sim(mps, "mb-" + kind, guid=g, misbehave=kind,
                           start=False)
        sim.start(wait_ready=False)
        wait_until(lambda: sim.live_summary()["misbehaving"]
                   ["closed_by_server"] >= 1, 20,
                   "the server to close the %s device" % kind,
                   interval=0.3, diag=lambda: sim.proc.tail() + mps.tail())
        wait_until(lambda: len(mps.log_lines('reason="%s"' % reason))
                   > nreason, 10, 'a close with reason="%s"' % reason,
                   diag=mps.tail)
        if kind in ("wrong-password", "stall", "no-keepalive"):
            self.assertTrue(mps.log_lines("guid=" + g,
                                          'reason="%s"' % reason),
                            "no close line names guid %s" % g)
        # Nobody else was touched.
        now = {gg: d["conn_id"] for gg, d in mps.device_map().items()}
        self.assertEqual(now, self.conns, kind)
        self.assertEqual(self.fleet.live_summary()["disconnected"], 0,
                         kind)
        self.assertTrue(mps.proc.alive())
        sim.stop()

    def test_each_misbehaviour_closes_only_itself(self):
        for n, (kind, reason) in enumerate(KINDS):
            with self.subTest(kind=kind):
                self.check_isolated(kind, n, reason)
        stats = self.mps.cli_json("stats")
        self.assertEqual(stats["devices"], 3)
        self.assertEqual(stats["unauthenticated"], 0)

    def test_ignore_window(self):
        """A device that floods past the window of a channel the MPS opened
        (here by a WS-Man request) is closed; the others stay up and keep
        being served."""
        mps = self.mps
        g = guid(0x780)
        nclosed = len(mps.log_lines("guid=" + g, 'reason="protocol error"'))
        sim = self.new_sim(mps, "mb-ignore-window", guid=g,
                           misbehave="ignore-window")
        mps.wait_guids(self.normal | {g})
        # The request opens a channel; the flood that answers the open
        # ends the tunnel, so the request fails (exit 1) with a message.
        r = mps.cli("--json", "power", g, "status", timeout=60)
        self.assertEqual(r.returncode, 1, r.stderr)
        err = json.loads(r.stdout)["error"]
        self.assertIn(g, err["message"])
        self.assertTrue(err["data"]["error"].startswith("MPS_ERR_"), err)
        wait_until(lambda: sim.live_summary()["misbehaving"]
                   ["closed_by_server"] >= 1, 20,
                   "the server to close the ignore-window device",
                   interval=0.3, diag=lambda: sim.proc.tail() + mps.tail())
        line = wait_until(
            lambda: mps.log_lines("guid=" + g, 'reason="protocol error"')
            [nclosed:], 10, "a protocol-error close of " + g,
            diag=mps.tail)[0]
        self.assertIn("window", line.lower())
        # Nobody else was touched, and the others still answer WS-Man
        # requests (their channels open and close normally).
        self.assertEqual(mps.guids(), self.normal)
        now = {gg: d["conn_id"] for gg, d in mps.device_map().items()}
        self.assertEqual(now, self.conns)
        self.assertEqual(self.fleet.live_summary()["disconnected"], 0)
        st = mps.cli_json("power", sorted(self.normal)[0], "status")
        self.assertEqual(st["state"], "on")
        self.assertTrue(mps.proc.alive())


if __name__ == "__main__":
    mpstest.main()
