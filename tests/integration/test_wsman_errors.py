"""Every WS-Man failure a user can meet, produced for real and reported.

For each: the daemon's error name (data.error under --json), exit status 1,
and the human form "amt-mps-cli: <message>" with a message that names the
cause (docs/control-protocol.md, design "Errors users see").  Also: a
failing device in a fleet only fails its own line, and the daemon keeps
serving the others.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mpstest import guid, guid_add  # noqa: E402
from wsmantest import WsmanTestCase, main  # noqa: E402


class ErrorsTest(WsmanTestCase):
    TIMEOUT = 90

    def start(self, devices, faults=(), extra=(), **mps_kw):
        """A daemon with devices and one simulated device (the first of
        devices) carrying faults; returns (mps, sim)."""
        mps = self.new_mps(devices=devices, **mps_kw)
        sim = self.new_sim(mps, "amt", guid=devices[0]["guid"],
                           wsman_faults=faults, extra=extra)
        mps.wait_guids({devices[0]["guid"]})
        return mps, sim

    def test_not_connected(self):
        g, ghost = guid(0x4301), guid(0x4302)
        mps, _ = self.start([{"guid": g, "name": "nuc-01"},
                             {"guid": ghost, "name": "ghost"}])
        for args in (["power", "ghost", "status"], ["power", "ghost", "on"],
                     ["info", "ghost"], ["pxeboot", "ghost"],
                     ["wsman", ghost, "get", "AMT_GeneralSettings"]):
            self.fails(mps, args, "MPS_ERR_NOT_CONNECTED", ghost,
                       "(ghost) is not connected")
        # The connected one is unaffected.
        self.assertEqual(self.power_state(mps, "nuc-01")["state"], "on")

    def test_no_amt_credentials(self):
        g = guid(0x4311)
        mps, sim = self.start([{"guid": g, "name": "nuc-01"}],
                              amt_defaults=False)
        err = self.fails(mps, ["power", "nuc-01", "status"],
                         "MPS_ERR_NO_CREDENTIALS", "no AMT credentials",
                         g, "amt_password", mps.devices_path, "reload")
        self.assertEqual(err["data"]["guid"], g)
        # Nothing was sent to the device.
        self.assertEqual(sim.calls(g, authed=False), [])

    def test_amt_rejects_wrong_password(self):
        g = guid(0x4321)
        mps, sim = self.start([{"guid": g, "name": "nuc-01",
                                "amt_username": "admin",
                                "amt_password": "Not-The-Pass1"}])
        err = self.fails(mps, ["power", "nuc-01", "status"],
                         "MPS_ERR_AMT_AUTH", "AMT rejected the digest "
                         "credentials", g, '"admin"', "amt_password")
        self.assertEqual(err["data"].get("http_status"), 401, err)
        calls = sim.calls(g, authed=False)
        self.assertTrue(calls and all(c["status"] == 401 for c in calls),
                        calls)
        self.assertIn("wrong-response", [c.get("auth") for c in calls])

    def test_amt_rejects_any_credentials(self):
        g = guid(0x4331)
        mps, _ = self.start([{"guid": g, "name": "nuc-01"}],
                            faults=["wrong-auth"])
        self.fails(mps, ["info", "nuc-01"], "MPS_ERR_AMT_AUTH",
                   "AMT rejected the digest credentials", g)

    def test_channel_open_refused(self):
        g = guid(0x4341)
        mps, sim = self.start([{"guid": g, "name": "nuc-01"}],
                              extra=["--refuse-open"])
        err = self.fails(mps, ["power", "nuc-01", "status"],
                         "MPS_ERR_OPEN_REFUSED", g, "refused",
                         "port 16992", "APF reason 4 (resource shortage)")
        self.assertEqual(err["data"].get("apf_reason"), 4, err)
        self.assertEqual(sim.calls(g, authed=False), [])
        # The tunnel survives a refused open.
        self.assertEqual(mps.guids(), {g})

    def test_timeout(self):
        g = guid(0x4351)
        mps, _ = self.start([{"guid": g, "name": "nuc-01"}],
                            faults=["slow=8000"], request_timeout=2)
        t0 = time.monotonic()
        self.fails(mps, ["--timeout", "60", "power", "nuc-01", "status"],
                   "MPS_ERR_TIMEOUT", g, "did not answer within 2 s")
        # Two runs (--json and human), each bounded by request_timeout
        # and not by the slow answer.
        self.assertLess(time.monotonic() - t0, 2 * 7.5)
        self.assertEqual(mps.guids(), {g})

    def test_wsman_fault(self):
        g = guid(0x4361)
        mps, sim = self.start([{"guid": g, "name": "nuc-01"}],
                              faults=["destination-unreachable"])
        err = self.fails(mps, ["power", "nuc-01", "status"],
                         "MPS_ERR_WSMAN_FAULT", "WS-Man fault", g,
                         "Sender", "DestinationUnreachable",
                         "No route can be determined")
        self.assertEqual(err["data"]["fault"]["subcode"],
                         "DestinationUnreachable")
        self.assertIn("DestinationUnreachable",
                      [c.get("fault") for c in sim.calls(g)])

    def test_return_value(self):
        g = guid(0x4371)
        mps, _ = self.start([{"guid": g, "name": "nuc-01"}],
                            faults=["return-value=2"])
        err = self.fails(mps, ["power", "nuc-01", "cycle"],
                         "MPS_ERR_RETURN_VALUE", "RequestPowerStateChange",
                         "returned 2 (UNKNOWN_ERROR)", "unspecified error")
        self.assertEqual(err["data"].get("return_value"), 2, err)
        self.assertEqual(err["data"].get("return_name"), "UNKNOWN_ERROR")

    def test_invalid_transition_return_value(self):
        """No fault injected: AMT itself refuses a power-on of a machine
        that is on (not in AvailableRequestedPowerStates)."""
        g = guid(0x4381)
        mps, _ = self.start([{"guid": g, "name": "nuc-01"}])
        err = self.fails(mps, ["power", "nuc-01", "on"],
                         "MPS_ERR_RETURN_VALUE", "returned 2")
        self.assertEqual(err["data"].get("return_value"), 2, err)

    def test_power_cooldown(self):
        g = guid(0x4391)
        mps, sim = self.start([{"guid": g, "name": "nuc-01"}],
                              power_cooldown=60)
        self.ok(mps, "power", "nuc-01", "cycle")
        n = len(sim.calls(g))
        err = self.fails(mps, ["power", "nuc-01", "reset"],
                         "MPS_ERR_COOLDOWN", "power action refused",
                         "cooldown 60 s")
        self.assertEqual(err["data"].get("cooldown"), 60, err)
        self.assertGreater(err["data"].get("retry_after", 0), 0, err)
        # Refused by the daemon: AMT never saw the second action.
        self.assertEqual(len(sim.calls(g)), n)
        # Reading the state is not an action: still allowed.
        self.assertEqual(self.power_state(mps, "nuc-01")["state"], "on")

    def test_fleet_isolates_failures(self):
        base = guid(0x4400)
        good = [guid_add(base, i) for i in range(3)]
        bad = guid(0x4410)
        mps = self.new_mps(devices=[{"guid": bad, "name": "broken"}])
        self.new_sim(mps, "good", count=3, guid_base=base)
        self.new_sim(mps, "bad", guid=bad,
                     wsman_faults=["destination-unreachable"])
        mps.wait_guids(set(good) | {bad})
        r = mps.cli("power", "--all", "status")
        self.assertEqual(r.returncode, 1, r.stderr)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(len(lines), 4, lines)
        by = {ln.split()[0]: ln for ln in lines}
        self.assertEqual(set(by), set(good) | {bad})
        for g in good:
            self.assertRegex(by[g], r"^%s  -\s+ok: on$" % g)
        self.assertRegex(by[bad], r"^%s  broken  FAILED: .*"
                         r"DestinationUnreachable" % bad)
        self.assertIn("1 of 4 devices failed", r.stderr.decode())


if __name__ == "__main__":
    main()
