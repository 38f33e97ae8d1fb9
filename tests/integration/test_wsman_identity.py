"""Identity, time and raw WS-Man through the tunnel.

info / version / uuid (the UUID AMT reports is the GUID the device sent in
APF), time (the clock is read and set; the values AMT got are checked in
the call log), and raw `wsman get|enumerate|put|invoke` on real classes,
cross-checked against each other.
"""

import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mpstest import guid  # noqa: E402
from wsmantest import WsmanTestCase, main  # noqa: E402


class IdentityTest(WsmanTestCase):
    TIMEOUT = 90

    def setUp(self):
        super().setUp()
        self.g = guid(0x4201)
        self.mps = self.new_mps(devices=[{"guid": self.g, "name": "nuc-01"}])
        self.sim = self.new_sim(self.mps, "amt", guid=self.g)
        self.mps.wait_guids({self.g})

    def test_info_version_uuid(self):
        mps = self.mps
        info = self.ok_json(mps, "info", "nuc-01")
        self.assertEqual(info["guid"], self.g)
        self.assertRegex(info["amt_version"], r"^\d+\.\d+\.\d+$")
        self.assertEqual(info["uuid"], self.g)
        self.assertIn(info["provisioning_mode"], (1, "admin"))
        # version and uuid print the bare value, the same as info.
        self.assertEqual(self.ok(mps, "version", "nuc-01"),
                         info["amt_version"] + "\n")
        self.assertEqual(self.ok(mps, "uuid", "nuc-01"), self.g + "\n")
        # The readable block.
        out = self.ok(mps, "info", "nuc-01")
        self.assertRegex(out, r"(?m)^AMT version +%s$"
                         % re.escape(info["amt_version"]))
        self.assertRegex(out, r"(?m)^UUID +%s$" % self.g)
        self.assertRegex(out, r"(?m)^host name +%s$"
                         % re.escape(info["hostname"]))
        self.assertRegex(out, r"(?m)^provisioning mode +admin control "
                         r"mode \(ACM\)$")
        # The sequence AMT saw (docs/wsman.md, identity).
        steps = [s for s in self.sim.steps(self.g)
                 if s != ("CIM_SoftwareIdentity", "Pull")]
        self.assertEqual(steps[:4], [
            ("CIM_SoftwareIdentity", "Enumerate"),
            ("AMT_GeneralSettings", "Get"),
            ("CIM_ComputerSystemPackage", "Get"),
            ("AMT_SetupAndConfigurationService", "Get")])

    def test_version_matches_software_identity(self):
        mps = self.mps
        version = self.ok(mps, "version", "nuc-01").strip()
        items = self.ok_json(mps, "wsman", "nuc-01", "enumerate",
                             "CIM_SoftwareIdentity")["instances"]
        amt = [i for i in items if i.get("InstanceID") == "AMT"]
        self.assertEqual(len(amt), 1, items)
        self.assertEqual(amt[0]["VersionString"], version)
        self.assertGreater(len(items), 3)
        # The same instance by selector.
        one = self.ok_json(mps, "wsman", "nuc-01", "get",
                           "CIM_SoftwareIdentity", "--selector",
                           "InstanceID=AMT")["instance"]
        self.assertEqual(one["VersionString"], version)
        # Human enumerate: one block per instance.
        out = self.ok(mps, "wsman", "nuc-01", "enumerate",
                      "CIM_SoftwareIdentity")
        self.assertEqual(len(out.strip().split("\n\n")), len(items))
        self.assertRegex(out, r"(?m)^InstanceID +AMT$")

    def test_wsman_get_general_settings(self):
        mps = self.mps
        r = self.ok_json(mps, "wsman", "nuc-01", "get",
                         "AMT_GeneralSettings")
        inst = r["instance"]
        self.assertIn("HostName", inst)
        self.assertIn("AMT_GeneralSettings", r["xml"])
        info = self.ok_json(mps, "info", "nuc-01")
        self.assertEqual(inst["HostName"], info["hostname"])
        out = self.ok(mps, "wsman", "nuc-01", "get", "AMT_GeneralSettings")
        self.assertRegex(out, r"(?m)^HostName +%s$"
                         % re.escape(inst["HostName"]))
        # A full resource URI works as well as a class name.
        uri = ("http://intel.com/wbem/wscim/1/amt-schema/1/"
               "AMT_GeneralSettings")
        self.assertEqual(self.ok_json(mps, "wsman", "nuc-01", "get",
                                      uri)["instance"]["HostName"],
                         inst["HostName"])
        self.assertEqual(self.sim.steps(self.g)[-1],
                         ("AMT_GeneralSettings", "Get"))

    def test_wsman_put_set_and_xml(self):
        mps = self.mps
        before = self.ok_json(mps, "wsman", "nuc-01", "get",
                              "AMT_BootSettingData")
        self.assertEqual(before["instance"]["BIOSPause"], "false")
        out = self.ok(mps, "wsman", "nuc-01", "put", "AMT_BootSettingData",
                      "--set", "BIOSPause=true")
        self.assertTrue(out.startswith("nuc-01: AMT_BootSettingData "
                                       "updated\n"), out)
        self.assertEqual(self.ok_json(mps, "wsman", "nuc-01", "get",
                                      "AMT_BootSettingData")
                         ["instance"]["BIOSPause"], "true")
        # Put back what Get returned, from a file.
        path = os.path.join(self.tmp, "bsd.xml")
        with open(path, "w") as f:
            f.write(before["xml"])
        self.ok(mps, "wsman", "nuc-01", "put", "AMT_BootSettingData",
                "--xml", path)
        self.assertEqual(self.ok_json(mps, "wsman", "nuc-01", "get",
                                      "AMT_BootSettingData")
                         ["instance"]["BIOSPause"], "false")
        puts = [c for c in self.sim.calls(self.g) if c["action"] == "Put"]
        self.assertEqual(len(puts), 2)
        self.assertTrue(all(c["status"] == 200 for c in puts), puts)

    def test_wsman_invoke(self):
        mps = self.mps
        out = self.ok(mps, "wsman", "nuc-01", "invoke",
                      "AMT_TimeSynchronizationService",
                      "GetLowAccuracyTimeSynch")
        self.assertTrue(out.startswith("nuc-01: GetLowAccuracyTimeSynch "
                                       "ReturnValue 0 (SUCCESS)\n"), out)
        m = re.search(r"(?m)^Ta0 +(\d+)$", out)
        self.assertIsNotNone(m, out)
        self.assertLess(abs(int(m.group(1)) - time.time()), 86400 * 366)
        self.assertEqual(self.sim.steps(self.g)[-1],
                         ("AMT_TimeSynchronizationService",
                          "GetLowAccuracyTimeSynch"))

    def test_time_sync(self):
        mps = self.mps
        t0 = int(time.time())
        r = self.ok_json(mps, "time", "nuc-01")
        t1 = int(time.time()) + 1
        self.assertEqual(r["guid"], self.g)
        calls = self.sim.calls(self.g)[-2:]
        self.assertEqual([(c["resource"], c["action"]) for c in calls],
                         [("AMT_TimeSynchronizationService",
                           "GetLowAccuracyTimeSynch"),
                          ("AMT_TimeSynchronizationService",
                           "SetHighAccuracyTimeSynch")])
        p = calls[1]["params"]
        self.assertEqual(calls[1]["return_value"], 0)
        for k in ("Tm1", "Tm2"):
            self.assertTrue(t0 - 1 <= int(p[k]) <= t1, (k, p, t0, t1))
        self.assertLessEqual(int(p["Tm1"]), int(p["Tm2"]))
        out = self.ok(mps, "time", "nuc-01")
        self.assertRegex(out, r"^nuc-01: clock set to \d{4}-\d\d-\d\dT"
                         r"\d\d:\d\d:\d\dZ")
        # After a sync the AMT clock reads (about) ours.
        ta0 = self.ok_json(mps, "wsman", "nuc-01", "invoke",
                           "AMT_TimeSynchronizationService",
                           "GetLowAccuracyTimeSynch")
        ta0 = json.dumps(ta0)
        m = re.search(r'"Ta0": "?(\d+)', ta0)
        self.assertIsNotNone(m, ta0)
        self.assertLess(abs(int(m.group(1)) - time.time()), 5)


class HttpCapturesTest(WsmanTestCase):
    """The recorded AMT 15 HTTP exchanges (fixtures http/), replayed by the
    simulator byte for byte: a 401 Digest challenge with Connection:
    close (so the next request needs a new channel), then a chunked 200
    whose chunk boundaries split XML tokens, handled end to end."""
    TIMEOUT = 90

    def setUp(self):
        super().setUp()
        self.g = guid(0x4251)
        self.mps = self.new_mps(devices=[{"guid": self.g, "name": "nuc-01"}])
        self.sim = self.new_sim(self.mps, "amt", guid=self.g,
                                wsman_faults=["http-captures"])
        self.mps.wait_guids({self.g})

    def test_challenge_then_chunked_answer(self):
        mps = self.mps
        r = self.ok_json(mps, "wsman", "nuc-01", "get",
                         "CIM_ComputerSystemPackage")
        self.assertEqual(r["instance"]["PlatformGUID"],
                         "44454C4C4B0010428033B6C04F504633")
        self.assertIn("PlatformGUID", r["xml"])
        calls = self.sim.calls(self.g, authed=False)
        self.assertEqual([c["status"] for c in calls], [401, 200], calls)
        self.assertEqual(calls[1]["resource"], "CIM_ComputerSystemPackage")
        # A value split across chunks comes out whole.
        card = self.ok_json(mps, "wsman", "nuc-01", "get",
                            "CIM_Card")["instance"]
        self.assertEqual(card["Manufacturer"], "Dell Inc.")
        self.assertEqual(card["SerialNumber"], "/6KB3PF3/CNPEC0017500BC/")
        out = self.ok(mps, "wsman", "nuc-01", "get", "CIM_Card")
        self.assertRegex(out, r"(?m)^Model +0MVDNX$")
        # The tunnel carried it all and is still up.
        self.assertEqual(mps.guids(), {self.g})


if __name__ == "__main__":
    main()
