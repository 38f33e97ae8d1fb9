"""Power over WS-Man through the tunnel, driven by amt-mps-cli.

`power DEV status` and every action against a simulated machine, with the
new state read back through the daemon and the requests checked in the
simulator's WS-Man call log; the latency of `power DEV status` is
measured and printed (information, never asserted).
"""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mpstest import Ctl, guid  # noqa: E402
from wsmantest import WsmanTestCase, main  # noqa: E402

# RequestPowerStateChange values (docs/wsman.md).
WIRE = {"on": 2, "sleep": 4, "cycle": 5, "hibernate": 7, "off": 8,
        "reset": 10, "nmi": 11, "soft-off": 12, "soft-reset": 14}


class PowerTest(WsmanTestCase):
    TIMEOUT = 90

    def setUp(self):
        super().setUp()
        self.g = guid(0x4001)
        self.mps = self.new_mps(devices=[{"guid": self.g, "name": "nuc-01",
                                          "tags": ["lab"]}])
        self.sim = self.new_sim(self.mps, "amt", guid=self.g)
        self.mps.wait_guids({self.g})

    def test_status_human_and_json(self):
        mps = self.mps
        self.assertEqual(self.ok(mps, "power", "nuc-01", "status"),
                         "%s  nuc-01  on\n" % self.g)
        st = self.ok_json(mps, "power", "nuc-01", "status")
        self.assertEqual(st["guid"], self.g)
        self.assertEqual(st["state"], "on")
        self.assertEqual(st["power_state"], 2)
        # The GUID and a unique prefix name the same device.
        self.assertEqual(self.ok_json(mps, "power", self.g.upper(),
                                      "status")["guid"], self.g)
        self.assertEqual(self.ok_json(mps, "power", self.g[:13],
                                      "status")["guid"], self.g)
        # Each status is one Get of the power management association.
        steps = self.sim.steps(self.g)
        self.assertEqual(steps, [("CIM_AssociatedPowerManagementService",
                                  "Get")] * 4)
        self.assertTrue(all(c["status"] == 200 and c["port"] == 16992
                            for c in self.sim.calls(self.g)))

    def check_action(self, action, state, words):
        """Runs power ACTION, checks the output, the request AMT got and
        the state read back afterwards."""
        mps = self.mps
        n = len(self.sim.calls(self.g))
        out = self.ok(mps, "power", "nuc-01", action)
        self.assertEqual(out, "nuc-01: %s requested (ReturnValue 0)\n"
                         % words)
        calls = self.sim.calls(self.g)[n:]
        self.assertEqual([(c["resource"], c["action"]) for c in calls],
                         [("CIM_PowerManagementService",
                           "RequestPowerStateChange")], action)
        self.assertEqual(calls[0]["params"].get("PowerState"),
                         str(WIRE[action]), calls[0])
        self.assertEqual(calls[0]["return_value"], 0)
        if state is not None:
            self.wait_power(mps, "nuc-01", state)

    def test_actions_change_the_state(self):
        self.check_action("off", "off", "power off")
        self.assertEqual(self.ok(self.mps, "power", "nuc-01", "status"),
                         "%s  nuc-01  off (soft)\n" % self.g)
        self.check_action("on", "on", "power on")
        self.check_action("cycle", "on", "power cycle")
        self.check_action("reset", "on", "reset")
        self.check_action("sleep", "sleep", "sleep")
        self.check_action("on", "on", "power on")
        self.check_action("hibernate", "hibernate", "hibernate")
        self.check_action("on", "on", "power on")
        self.check_action("nmi", "on", "NMI")
        self.check_action("soft-reset", "on", "soft reset (OS restart)")
        self.check_action("soft-off", "off",
                          "soft power off (OS shutdown)")
        # cycle, reset and the power-ons booted the machine.
        booted = [c for c in self.sim.calls(self.g) if c.get("booted")]
        self.assertGreaterEqual(len(booted), 5, booted)

    def test_action_json(self):
        r = self.ok_json(self.mps, "power", "nuc-01", "cycle")
        self.assertEqual(r["guid"], self.g)
        self.assertEqual(r["return_value"], 0)
        self.assertIn(r["action"], ("cycle", 5))

    def test_status_latency(self):
        """Measures one `power DEV status` end to end (CLI process, control
        socket, WS-Man over the tunnel) and one control call alone."""
        mps = self.mps
        self.ok(mps, "power", "nuc-01", "status")	# warm: connection
        cli = []
        for _ in range(10):
            t0 = time.monotonic()
            self.ok(mps, "power", "nuc-01", "status")
            cli.append(time.monotonic() - t0)
        ctl = Ctl(mps.sock, timeout=30)
        raw = []
        try:
            for _ in range(30):
                t0 = time.monotonic()
                r = ctl.call("power.state", {"device": self.g})
                raw.append(time.monotonic() - t0)
                self.assertIn("result", r, r)
        finally:
            ctl.close()
        sys.stderr.write(
            "\n[measure] power status: CLI median %.1f ms (min %.1f), "
            "control call median %.1f ms (min %.1f, max %.1f)\n"
            % (statistics.median(cli) * 1e3, min(cli) * 1e3,
               statistics.median(raw) * 1e3, min(raw) * 1e3,
               max(raw) * 1e3))


if __name__ == "__main__":
    main()
