"""amt-mps-cli's WS-Man commands against a scripted fake control socket.

power, boot, pxeboot, info, version, uuid, time and wsman: the requests
they send (docs/control-protocol.md), their human and --json output, the
fleet form (--all, --tag: one line per device, exit 1 if any failed), and
usage errors (exit 2, nothing sent).  The real daemon and simulator are
exercised by the other test_wsman_*.py files; this one pins the CLI alone.
"""

import json
import os
import re
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mpstest import CLI, run_cli  # noqa: E402
from test_cli import FakeDaemon, device, op_error, response  # noqa: E402

GUID_A = "4c4c4544-0042-1000-8033-b6c04f504633"
GUID_B = "4c4c4544-0042-1000-8033-b6c04f504634"
GUID_C = "4c4c4544-0042-1000-8033-b6c04f504635"

INSTANCE = {"ElementName": "Intel(r) AMT: General Settings",
            "HostName": "nuc-01", "DomainName": "lab.example",
            "PingResponseEnabled": "true",
            "InstanceID": "Intel(r) AMT: General Settings"}


@unittest.skipUnless(CLI and os.access(CLI, os.X_OK),
                     "AMT_MPS_CLI_BIN not given")
class WsmanCliTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mpscli4-")
        self.sock = os.path.join(self.tmp, "ctl.sock")
        self.fake = None
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def tearDown(self):
        if self.fake:
            self.fake.stop()

    def serve(self, script=None):
        self.fake = FakeDaemon(self.sock, script or self.std)
        return self.fake

    def cli(self, *args, **kw):
        return run_cli(list(args), sock=self.sock, **kw)

    def methods(self):
        return [r["method"] for r in self.fake.requests]

    def last(self, method):
        reqs = [r for r in self.fake.requests if r["method"] == method]
        self.assertTrue(reqs, "no %s request" % method)
        return reqs[-1].get("params")

    def one(self, p, result):
        """A one-device answer, or the fleet form for all/tag."""
        if p.get("all") or p.get("tag"):
            res = []
            for g in (GUID_A, GUID_B, GUID_C):
                if g == GUID_C:
                    res.append({"guid": g, "ok": False, "error": op_error(
                        "device %s did not answer within 2 s" % g, -7,
                        "MPS_ERR_TIMEOUT")})
                else:
                    r = dict(result)
                    r["guid"] = g
                    res.append({"guid": g, "ok": True, "result": r})
            return {"results": res}
        return result

    def std(self, req):
        m, p = req["method"], req.get("params") or {}
        devs = [device(GUID_A, "nuc-01", 1), device(GUID_B, None, 2),
                device(GUID_C, "nuc-03", 3)]
        if m == "devices.list":
            return [response(req, {"devices": devs})]
        if m == "devices.get":
            return [response(req, d) for d in devs
                    if d["guid"] == p.get("device")]
        if p.get("device") == "nuc-07":
            return [response(req, error=op_error(
                "device nuc-07 is not connected (it has no CIRA tunnel to "
                "this MPS)"))]
        if m == "power.state":
            ps = 8 if p.get("device") == "off-box" else 2
            return [response(req, self.one(p, {
                "guid": GUID_A, "state": "off" if ps == 8 else "on",
                "power_state": ps,
                "state_text": "Off - Soft" if ps == 8 else "On"}))]
        if m == "power.action":
            return [response(req, self.one(p, {
                "guid": GUID_A, "action": p["action"],
                "return_value": 0}))]
        if m == "boot.set":
            r = {"guid": GUID_A, "target": p["target"],
                 "reboot": p["reboot"]}
            if p["reboot"]:
                r["power_action"] = "reset"
                r["return_value"] = 0
            return [response(req, self.one(p, r))]
        if m == "amt.info":
            return [response(req, self.one(p, {
                "guid": GUID_A, "amt_version": "16.1.25",
                "build_number": "2049", "sku": "16392",
                "hostname": "nuc-01", "domain": "lab.example",
                "uuid": "55e3ae13-bfd2-61bb-17a0-88aedd7037ea",
                "platform_guid": "13AEE355D2BFBB6117A088AEDD7037EA",
                "provisioning_mode": "admin", "provisioning_mode_value": 1,
                "provisioning_state": "post",
                "provisioning_state_value": 2}))]
        if m == "amt.time.sync":
            return [response(req, self.one(p, {
                "guid": GUID_A, "ta0": 1704586865, "tm1": 1704586907,
                "tm2": 1704586907, "offset": -42, "synced": True}))]
        if m == "wsman.get":
            return [response(req, self.one(p, {
                "guid": GUID_A, "instance": INSTANCE, "xml": "<x/>"}))]
        if m == "wsman.enumerate":
            return [response(req, self.one(p, {
                "guid": GUID_A, "instances": [
                    {"InstanceID": "AMT", "VersionString": "16.1.25"},
                    {"InstanceID": "Flash", "VersionString": "16.1.25"}]}))]
        if m == "wsman.put":
            return [response(req, self.one(p, {
                "guid": GUID_A, "instance": INSTANCE, "xml": "<x/>"}))]
        if m == "wsman.invoke":
            return [response(req, self.one(p, {
                "guid": GUID_A, "return_value": 0, "return_name": "SUCCESS",
                "output": {"ReturnValue": 0, "Ta0": 1704586865}}))]
        return [response(req, error={"code": -32601,
                                     "message": "method not found"})]

    # -- power ------------------------------------------------------------

    def test_power_status(self):
        self.serve()
        r = self.cli("power", "nuc-01", "status")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.last("power.state"), {"device": "nuc-01"})
        self.assertEqual(r.stdout.decode().split(), [GUID_A, "nuc-01", "on"])
        r = self.cli("power", "off-box", "status")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.decode(),
                         "%s  nuc-01  off (soft)\n" % GUID_A)

    def test_power_status_json(self):
        self.serve()
        r = self.cli("--json", "power", "nuc-01", "status")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual((out["guid"], out["state"], out["power_state"]),
                         (GUID_A, "on", 2))

    def test_power_actions(self):
        self.serve()
        for action, words in (("on", "power on"), ("off", "power off"),
                              ("cycle", "power cycle"), ("reset", "reset"),
                              ("soft-off", "soft power off"),
                              ("soft-reset", "soft reset"),
                              ("sleep", "sleep"), ("hibernate", "hibernate"),
                              ("nmi", "NMI")):
            r = self.cli("power", "nuc-01", action)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(self.last("power.action"),
                             {"device": "nuc-01", "action": action})
            out = r.stdout.decode()
            self.assertTrue(out.startswith("nuc-01: %s" % words), out)
            self.assertTrue(out.endswith("requested (ReturnValue 0)\n"),
                            out)

    def test_power_unknown_action_is_usage(self):
        self.serve()
        r = self.cli("power", "nuc-01", "explode")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown action 'explode'", r.stderr.decode())
        self.assertIn("soft-reset", r.stderr.decode())
        self.assertEqual(self.fake.requests, [])

    def test_fleet_lines_and_exit(self):
        self.serve()
        r = self.cli("power", "--all", "status")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(self.last("power.state"), {"all": True})
        lines = r.stdout.decode().splitlines()
        self.assertEqual(len(lines), 3, lines)
        self.assertEqual(lines[0].split(), [GUID_A, "nuc-01", "ok:", "on"])
        self.assertEqual(lines[1].split(), [GUID_B, "-", "ok:", "on"])
        self.assertRegex(lines[2], r"^%s  nuc-03  FAILED: device %s did "
                         r"not answer within 2 s$" % (GUID_C, GUID_C))
        # Names line up in one column.
        self.assertEqual(lines[0].index("ok"), lines[1].index("ok"))
        self.assertIn("1 of 3 devices failed", r.stderr.decode())
        # The daemon sent no names: one devices.list supplied them all.
        self.assertEqual(self.methods(), ["power.state", "devices.list"])
        # --tag, and --json prints the results as the daemon sent them.
        r = self.cli("--json", "power", "--tag", "lab", "cycle")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(self.last("power.action"),
                         {"tag": "lab", "action": "cycle"})
        out = json.loads(r.stdout)
        self.assertEqual([e["ok"] for e in out["results"]],
                         [True, True, False])

    def test_names_from_results_need_no_lookup(self):
        res = {"guid": GUID_B, "name": "from-result", "state": "on",
               "power_state": 2}
        self.serve(lambda req: [response(req, res)])
        r = self.cli("power", GUID_B, "status")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.decode(),
                         "%s  from-result  on\n" % GUID_B)
        self.assertEqual(self.methods(), ["power.state"])

    def test_fleet_all_ok_and_empty(self):
        self.serve(lambda req: [response(req, {"results": [
            {"guid": GUID_A, "ok": True, "result": {
                "guid": GUID_A, "action": "reset", "return_value": 0}}]})]
            if req["method"] != "devices.list" else self.std(req))
        r = self.cli("power", "--all", "reset")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.decode(), "%s  nuc-01  ok: reset "
                         "requested (ReturnValue 0)\n" % GUID_A)
        self.fake.stop()
        self.fake = None
        os.unlink(self.sock)
        self.serve(lambda req: [response(req, {"results": []})])
        r = self.cli("power", "--tag", "none", "status")
        self.assertEqual((r.returncode, r.stdout), (0, b""))
        self.assertIn("no connected devices with tag none",
                      r.stderr.decode())

    def test_fleet_usage(self):
        self.serve()
        for args in (["power", "--all", "nuc-01", "status"],
                     ["power", "--all", "--tag", "x", "status"],
                     ["power", "nuc-01"], ["power"],
                     ["boot", "nuc-01", "floppy"], ["boot", "nuc-01"],
                     ["info"], ["version", "a", "b"],
                     ["pxeboot", "nuc-01", "--reboot"],
                     ["time", "--selector", "a=b", "nuc-01"]):
            r = self.cli(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertEqual(r.stdout, b"", args)
        self.assertEqual(self.fake.requests, [])

    # -- errors -----------------------------------------------------------

    def test_daemon_error_message_and_exit(self):
        self.serve()
        for args in (["power", "nuc-07", "status"],
                     ["power", "nuc-07", "on"],
                     ["boot", "nuc-07", "pxe"], ["info", "nuc-07"],
                     ["wsman", "nuc-07", "get", "AMT_GeneralSettings"]):
            r = self.cli(*args)
            self.assertEqual(r.returncode, 1, args)
            self.assertEqual(r.stdout, b"", args)
            self.assertEqual(r.stderr.decode(),
                             "amt-mps-cli: device nuc-07 is not connected "
                             "(it has no CIRA tunnel to this MPS)\n")
        r = self.cli("--json", "power", "nuc-07", "status")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(json.loads(r.stdout)["error"]["data"]["error"],
                         "MPS_ERR_NOT_CONNECTED")

    # -- boot -------------------------------------------------------------

    def test_boot_and_pxeboot(self):
        self.serve()
        r = self.cli("boot", "nuc-01", "bios")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.last("boot.set"),
                         {"device": "nuc-01", "target": "bios",
                          "reboot": False})
        self.assertEqual(r.stdout.decode(),
                         "nuc-01: next boot from BIOS setup (once)\n")
        r = self.cli("boot", "nuc-01", "hdd", "--reboot")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.last("boot.set"),
                         {"device": "nuc-01", "target": "hdd",
                          "reboot": True})
        self.assertEqual(r.stdout.decode(), "nuc-01: next boot from the "
                         "hard drive (once); reset requested "
                         "(ReturnValue 0)\n")
        r = self.cli("pxeboot", "nuc-01")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.last("boot.set"),
                         {"device": "nuc-01", "target": "pxe",
                          "reboot": True})
        self.assertIn("the network (PXE)", r.stdout.decode())
        r = self.cli("pxeboot", "--tag", "lab")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(self.last("boot.set"),
                         {"tag": "lab", "target": "pxe", "reboot": True})
        self.assertEqual(len(r.stdout.decode().splitlines()), 3)

    # -- identity and time --------------------------------------------------

    def test_info_version_uuid(self):
        self.serve()
        r = self.cli("info", "nuc-01")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.last("amt.info"), {"device": "nuc-01"})
        out = r.stdout.decode()
        self.assertRegex(out, r"(?m)^AMT version +16\.1\.25$")
        self.assertRegex(out, r"(?m)^host name +nuc-01$")
        self.assertRegex(out, r"(?m)^domain +lab\.example$")
        self.assertRegex(out, r"(?m)^UUID +55e3ae13-bfd2-61bb-17a0-"
                         r"88aedd7037ea$")
        self.assertRegex(out, r"(?m)^provisioning mode +admin control "
                         r"mode \(ACM\)$")
        self.assertRegex(out, r"(?m)^provisioning state +post$")
        self.assertNotIn("value", out)
        r = self.cli("version", "nuc-01")
        self.assertEqual((r.returncode, r.stdout), (0, b"16.1.25\n"))
        r = self.cli("uuid", "nuc-01")
        self.assertEqual((r.returncode, r.stdout),
                         (0, b"55e3ae13-bfd2-61bb-17a0-88aedd7037ea\n"))
        r = self.cli("version", "--all")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout.decode().splitlines()[0].split(),
                         [GUID_A, "nuc-01", "ok:", "16.1.25"])
        r = self.cli("info", "--all")
        self.assertIn("ok: AMT 16.1.25, nuc-01.lab.example, admin control "
                      "mode (ACM)", r.stdout.decode())

    def test_time(self):
        self.serve()
        r = self.cli("time", "nuc-01")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.last("amt.time.sync"), {"device": "nuc-01"})
        self.assertEqual(r.stdout.decode(), "nuc-01: clock set to "
                         "2024-01-07T00:21:47Z (AMT clock was 42 s "
                         "behind)\n")

    # -- raw WS-Man ---------------------------------------------------------

    def test_wsman_get(self):
        self.serve()
        r = self.cli("wsman", "nuc-01", "get", "AMT_GeneralSettings")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.last("wsman.get"),
                         {"device": "nuc-01",
                          "class": "AMT_GeneralSettings"})
        out = r.stdout.decode()
        self.assertRegex(out, r"(?m)^HostName +nuc-01$")
        self.assertRegex(out, r"(?m)^ElementName +Intel\(r\) AMT: General "
                         r"Settings$")
        uri = ("http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
               "CIM_SoftwareIdentity")
        r = self.cli("wsman", "nuc-01", "get", uri, "--selector",
                     "InstanceID=AMT FW Core Version")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.last("wsman.get"),
                         {"device": "nuc-01", "resource_uri": uri,
                          "selectors": {"InstanceID":
                                        "AMT FW Core Version"}})

    def test_wsman_enumerate(self):
        self.serve()
        r = self.cli("wsman", "nuc-01", "enumerate", "CIM_SoftwareIdentity")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.last("wsman.enumerate"),
                         {"device": "nuc-01",
                          "class": "CIM_SoftwareIdentity"})
        blocks = r.stdout.decode().split("\n\n")
        self.assertEqual(len(blocks), 2)
        self.assertRegex(blocks[0], r"(?m)^InstanceID +AMT$")
        r = self.cli("wsman", "--all", "enumerate", "CIM_SoftwareIdentity")
        self.assertIn("ok: CIM_SoftwareIdentity: 2 instances",
                      r.stdout.decode())

    def test_wsman_put(self):
        self.serve()
        r = self.cli("wsman", "nuc-01", "put", "AMT_GeneralSettings",
                     "--set", "PingResponseEnabled=false",
                     "--set", "DDNSTTL=900")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.last("wsman.put"),
                         {"device": "nuc-01",
                          "class": "AMT_GeneralSettings",
                          "instance": {"PingResponseEnabled": "false",
                                       "DDNSTTL": "900"}})
        self.assertEqual(r.stdout.decode().splitlines()[0],
                         "nuc-01: AMT_GeneralSettings updated")
        path = os.path.join(self.tmp, "gs.xml")
        xml = '<h:AMT_GeneralSettings xmlns:h="x">\u00e9</h:AMT_GeneralSettings>'
        with open(path, "w", encoding="utf-8") as f:
            f.write(xml)
        r = self.cli("wsman", "nuc-01", "put", "AMT_GeneralSettings",
                     "--xml", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.last("wsman.put")["xml"], xml)
        r = run_cli(["-s", self.sock, "wsman", "nuc-01", "put",
                     "AMT_GeneralSettings", "--xml", "-"],
                    input_bytes=xml.encode())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.last("wsman.put")["xml"], xml)

    def test_wsman_invoke(self):
        self.serve()
        r = self.cli("wsman", "nuc-01", "invoke",
                     "AMT_TimeSynchronizationService",
                     "GetLowAccuracyTimeSynch", "--selector",
                     "Name=Intel(r) AMT Time Synchronization Service",
                     "--param", "A=1", "--param", "A=2", "--param", "B=x=y")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.last("wsman.invoke"), {
            "device": "nuc-01", "class": "AMT_TimeSynchronizationService",
            "method": "GetLowAccuracyTimeSynch",
            "selectors": {"Name":
                          "Intel(r) AMT Time Synchronization Service"},
            "params": {"A": ["1", "2"], "B": "x=y"}})
        out = r.stdout.decode()
        self.assertTrue(out.startswith("nuc-01: GetLowAccuracyTimeSynch "
                                       "ReturnValue 0 (SUCCESS)\n"), out)
        self.assertRegex(out, r"(?m)^Ta0 +1704586865$")

    def test_wsman_usage(self):
        self.serve()
        empty = os.path.join(self.tmp, "empty.xml")
        open(empty, "w").close()
        for args in (["wsman", "nuc-01", "frob", "X"],
                     ["wsman", "nuc-01", "get"],
                     ["wsman", "nuc-01", "get", "X", "Y"],
                     ["wsman", "nuc-01", "invoke", "X"],
                     ["wsman", "nuc-01", "put", "X"],
                     ["wsman", "nuc-01", "put", "X", "--set", "a=1",
                      "--xml", empty],
                     ["wsman", "nuc-01", "put", "X", "--xml", empty],
                     ["wsman", "nuc-01", "put", "X", "--xml",
                      os.path.join(self.tmp, "missing.xml")],
                     ["wsman", "nuc-01", "get", "X", "--param", "a=1"],
                     ["wsman", "nuc-01", "get", "X", "--set", "a=1"],
                     ["wsman", "nuc-01", "enumerate", "X", "--selector",
                      "a=1"],
                     ["wsman", "nuc-01", "get", "X", "--selector", "=1"],
                     ["wsman", "nuc-01", "get", "X", "--selector", "a"],
                     ["wsman", "nuc-01", "get", "X", "--selector", "a=1",
                      "--selector", "a=2"],
                     ["wsman", "nuc-01", "get", ""],
                     ["wsman", "nuc-01", "get", "X", "--selector",
                      b"a=\xff"],
                     ["wsman", "nuc-01", "invoke", "X", "M", "--param",
                      b"\xfe=1"],
                     ["wsman", "nuc-01", "get", "X"] +
                     ["--selector=k%d=v" % i for i in range(17)]):
            r = self.cli(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertEqual(r.stdout, b"", args)
            self.assertTrue(re.match(rb"amt-mps-cli: ", r.stderr), args)
        self.assertEqual(self.fake.requests, [])

    def test_help_lists_new_commands(self):
        r = run_cli(["--help"])
        self.assertEqual(r.returncode, 0)
        for cmd in (b"power", b"boot", b"pxeboot", b"info", b"version",
                    b"uuid", b"time", b"wsman"):
            self.assertRegex(r.stdout, rb"(?m)^  " + cmd + rb" ")
        r = run_cli(["help", "wsman"])
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"invoke CLASS METHOD", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
