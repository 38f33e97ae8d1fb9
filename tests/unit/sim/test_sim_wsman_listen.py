#!/usr/bin/env python3
"""amt-cira-sim's WS-Man responder on a local port, driven by curl.

--wsman-listen / --wsman-listen-tls serve device 0's responder on plain
TCP and TLS; no daemon is involved.  curl does the Digest exchange (so a
client other than ours agrees with the responder), the rest checks the
machine's state model, Enumerate/Pull, faults, the call log, and the
http-captures replay byte for byte against the recorded files.

usage: test_sim_wsman_listen.py AMT-CIRA-SIM CURL FIXTURES-DIR
Standard library only.
"""

import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

SIM, CURL, FIX = sys.argv[1], sys.argv[2], sys.argv[3]
HAVE_FIX = os.path.isdir(os.path.join(FIX, "responses"))

NS_S = "http://www.w3.org/2003/05/soap-envelope"
NS_A = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_W = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
NS_N = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
XF = "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
EN = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/"
CIM = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
AMT = "http://intel.com/wbem/wscim/1/amt-schema/1/"
GUID = "0053494d-0000-4000-8000-000000000000"   # the default --guid-base
# The same GUID in SMBIOS byte order, as PlatformGUID carries it.
PLATFORM_GUID = "4D495300000000408000000000000000"


def envelope(action, uri, msgid, body="", selectors=()):
    sel = ""
    if selectors:
        sel = "<w:SelectorSet>%s</w:SelectorSet>" % "".join(
            '<w:Selector Name="%s">%s</w:Selector>' % kv for kv in selectors)
    return ('<?xml version="1.0" encoding="utf-8"?>'
            '<s:Envelope xmlns:s="%s" xmlns:a="%s" xmlns:w="%s" '
            'xmlns:n="%s"><s:Header><a:Action>%s</a:Action>'
            '<a:To>/wsman</a:To><w:ResourceURI>%s</w:ResourceURI>'
            '<a:MessageID>%s</a:MessageID><a:ReplyTo><a:Address>'
            '%s/role/anonymous</a:Address></a:ReplyTo>'
            '<w:OperationTimeout>PT60S</w:OperationTimeout>%s</s:Header>'
            '<s:Body>%s</s:Body></s:Envelope>'
            % (NS_S, NS_A, NS_W, NS_N, action, uri, msgid, NS_A, sel, body))


def invoke(cls_uri, method, msgid, params=""):
    return envelope("%s/%s" % (cls_uri, method), cls_uri, msgid,
                    '<p:%s_INPUT xmlns:p="%s">%s</p:%s_INPUT>'
                    % (method, cls_uri, params, method))


def text(body, name):
    """Text of the first element with local name `name` (any prefix)."""
    m = re.search(r"<(?:\w+:)?%s(?:\s[^>]*)?>([^<]*)</" % name, body)
    return m.group(1) if m else None


def texts(body, name):
    return re.findall(r"<(?:\w+:)?%s(?:\s[^>]*)?>([^<]*)</" % name, body)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class SimProc:
    """One amt-cira-sim with its responder on two local ports."""

    def __init__(self, tmp, name, extra=()):
        self.log = os.path.join(tmp, name + ".jsonl")
        self.port, self.tls_port = free_port(), free_port()
        self.errpath = os.path.join(tmp, name + ".err")
        # Port 1 refuses: the device never reaches an MPS; the listener
        # keeps the simulator running until SIGTERM.
        cmd = [SIM, "--server", "127.0.0.1:1", "--insecure",
               "--wsman-listen", "127.0.0.1:%d" % self.port,
               "--wsman-listen-tls", "127.0.0.1:%d" % self.tls_port,
               "--wsman-log", self.log] + list(extra)
        self.err = open(self.errpath, "wb")
        self.p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                  stderr=self.err)
        deadline = time.monotonic() + 30
        while True:
            if self.p.poll() is not None:
                raise AssertionError("amt-cira-sim exited: %s"
                                     % self.stderr())
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                socket.create_connection(("127.0.0.1", self.tls_port),
                                         1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stderr(self):
        with open(self.errpath, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        rc = self.p.wait(30)
        self.err.close()
        err = self.stderr()
        assert "Sanitizer" not in err and "runtime error" not in err, err
        assert rc == 0, "exit %d: %s" % (rc, err)

    def url(self, tls=False):
        if tls:
            return "https://127.0.0.1:%d/wsman" % self.tls_port
        return "http://127.0.0.1:%d/wsman" % self.port

    def curl(self, body, tls=False, user="admin", password="P@ssw0rd"):
        """POST body with curl --digest; (HTTP status, body, seconds)."""
        cmd = [CURL, "-s", "-S", "--digest", "-u", "%s:%s" % (user, password),
               "-H", "Content-Type: application/soap+xml;charset=UTF-8",
               "--data-binary", "@-", "-w", "\n%{http_code}",
               "--max-time", "30"]
        if tls:
            cmd.append("-k")
        cmd.append(self.url(tls))
        t0 = time.monotonic()
        r = subprocess.run(cmd, input=body.encode(), capture_output=True,
                           timeout=60)
        took = time.monotonic() - t0
        assert r.returncode == 0, r.stderr
        out = r.stdout.decode()
        out, _, code = out.rpartition("\n")
        return int(code), out, took

    def calls(self, authed=True):
        with open(self.log) as f:
            out = [json.loads(ln) for ln in f if ln.strip()]
        return [c for c in out if not authed or c["status"] != 401]


def raw_exchange(port, request, want_close):
    """Send request bytes on a new connection; all bytes until the peer
    closes (want_close) or a complete chunked answer arrived."""
    s = socket.create_connection(("127.0.0.1", port), 10)
    s.settimeout(10)
    s.sendall(request)
    got = b""
    while True:
        try:
            b = s.recv(65536)
        except socket.timeout:
            break
        if not b:
            break
        got += b
        if not want_close and got.endswith(b"\r\n0\r\n\r\n"):
            break
    s.close()
    return got


def post(body, extra=b""):
    b = body.encode()
    return (b"POST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra +
            b"Content-Length: %d\r\n\r\n" % len(b) + b)


class Base(unittest.TestCase):
    def setUp(self):
        self.tmpdir = tempfile.TemporaryDirectory(prefix="simws.")
        self.tmp = self.tmpdir.name
        self.sims = []

    def tearDown(self):
        for s in self.sims:
            s.stop()
        self.tmpdir.cleanup()

    def sim(self, name="sim", extra=()):
        s = SimProc(self.tmp, name, extra)
        self.sims.append(s)
        return s


class ResponderTest(Base):
    def test_get_plain_and_tls(self):
        sim = self.sim()
        for tls in (False, True):
            code, body, _ = sim.curl(envelope(XF + "Get",
                                              AMT + "AMT_GeneralSettings",
                                              "m-%d" % tls), tls=tls)
            self.assertEqual(code, 200, body)
            self.assertEqual(text(body, "RelatesTo"), "m-%d" % tls)
            self.assertEqual(text(body, "Action"), XF + "GetResponse")
            self.assertEqual(text(body, "HostName"), "sim-0")
            self.assertRegex(text(body, "MessageID"),
                             r"^uuid:00000000-8086-8086-8086-[0-9A-F]{12}$")
            self.assertRegex(text(body, "DigestRealm"),
                             r"^Digest:[0-9A-F]{32}$")
        code, _, _ = sim.curl(envelope(XF + "Get",
                                       AMT + "AMT_GeneralSettings", "x"),
                              password="wrong")
        self.assertEqual(code, 401)
        calls = sim.calls(authed=False)
        self.assertEqual([c["port"] for c in calls if c["status"] == 200],
                         [16992, 16993])
        self.assertEqual(calls[-1]["auth"], "wrong-response")
        self.assertTrue(all(c["guid"] == GUID for c in calls))

    def test_state_model(self):
        sim = self.sim()
        aps = CIM + "CIM_AssociatedPowerManagementService"
        pms = CIM + "CIM_PowerManagementService"

        def power():
            code, body, _ = sim.curl(envelope(XF + "Get", aps, "g"))
            self.assertEqual(code, 200)
            return (int(text(body, "PowerState")),
                    [int(v) for v in texts(body,
                                           "AvailableRequestedPowerStates")])

        def change(state):
            code, body, _ = sim.curl(invoke(
                pms, "RequestPowerStateChange", "c",
                "<p:PowerState>%d</p:PowerState>" % state))
            self.assertEqual(code, 200)
            self.assertEqual(text(body, "Action"),
                             pms + "/RequestPowerStateChangeResponse")
            return int(text(body, "ReturnValue"))

        self.assertEqual(power(), (2, [10, 8, 5, 11, 4, 7, 14, 12]))
        self.assertEqual(change(8), 0)
        self.assertEqual(power(), (8, [2]))
        self.assertEqual(change(4), 2)          # sleep when off: refused
        self.assertEqual(power()[0], 8)
        self.assertEqual(change(2), 0)
        self.assertEqual(change(10), 0)         # reset: stays on
        self.assertEqual(power()[0], 2)

        # Boot settings read back as written.
        bsd = AMT + "AMT_BootSettingData"
        code, body, _ = sim.curl(envelope(XF + "Get", bsd, "b1"))
        inst = re.search(r"<(\w+):AMT_BootSettingData>.*"
                         r"</\1:AMT_BootSettingData>", body).group(0)
        inst = inst.replace(">false</g:BIOSSetup>", ">true</g:BIOSSetup>")
        inst = inst.replace("<g:AMT_BootSettingData>",
                            '<g:AMT_BootSettingData xmlns:g="%s">' % bsd)
        code, body, _ = sim.curl(envelope(XF + "Put", bsd, "b2", inst))
        self.assertEqual(code, 200, body)
        self.assertEqual(text(body, "Action"), XF + "PutResponse")
        code, body, _ = sim.curl(envelope(XF + "Get", bsd, "b3"))
        self.assertEqual(text(body, "BIOSSetup"), "true")
        self.assertEqual(text(body, "OptionsCleared"), "false")

        # Identity: the PlatformGUID is the device's GUID, SMBIOS order.
        code, body, _ = sim.curl(envelope(
            XF + "Get", CIM + "CIM_ComputerSystemPackage", "i1"))
        self.assertEqual(text(body, "PlatformGUID"), PLATFORM_GUID)
        code, body, _ = sim.curl(envelope(
            XF + "Get", AMT + "AMT_SetupAndConfigurationService", "i2"))
        self.assertEqual(text(body, "ProvisioningMode"), "1")

        # Time: Ta0 is now.
        code, body, _ = sim.curl(invoke(
            AMT + "AMT_TimeSynchronizationService",
            "GetLowAccuracyTimeSynch", "t1"))
        self.assertLess(abs(int(text(body, "Ta0")) - time.time()), 5)
        self.assertEqual(text(body, "ReturnValue"), "0")

        steps = [(c["method"], c["resource"], c["action"])
                 for c in sim.calls()]
        self.assertEqual(steps[:4], [
            ("Get", "CIM_AssociatedPowerManagementService", "Get"),
            ("Invoke", "CIM_PowerManagementService",
             "RequestPowerStateChange"),
            ("Get", "CIM_AssociatedPowerManagementService", "Get"),
            ("Invoke", "CIM_PowerManagementService",
             "RequestPowerStateChange")])
        rv = [(c["params"]["PowerState"], c["return_value"])
              for c in sim.calls() if c["action"] ==
              "RequestPowerStateChange"]
        self.assertEqual(rv, [("8", 0), ("4", 2), ("2", 0), ("10", 0)])

    def test_enumerate_pull_and_faults(self):
        sim = self.sim()
        swid = CIM + "CIM_SoftwareIdentity"
        code, body, _ = sim.curl(envelope(EN + "Enumerate", swid, "e",
                                          "<n:Enumerate/>"))
        self.assertEqual(code, 200)
        ctx, ids, pages = text(body, "EnumerationContext"), [], 0
        while True:
            code, body, _ = sim.curl(envelope(
                EN + "Pull", swid, "p%d" % pages,
                "<n:Pull><n:EnumerationContext>%s</n:EnumerationContext>"
                "<n:MaxElements>4</n:MaxElements></n:Pull>" % ctx))
            self.assertEqual(code, 200, body)
            pages += 1
            ids += texts(body, "InstanceID")
            if "EndOfSequence" in body:
                self.assertIsNone(text(body, "EnumerationContext"))
                break
            ctx = text(body, "EnumerationContext")
        self.assertEqual(pages, 3)
        self.assertEqual(len(ids), 11)
        self.assertIn("AMT", ids)

        code, body, _ = sim.curl(envelope(XF + "Get", CIM + "CIM_Nothing",
                                          "u"))
        self.assertEqual(code, 400)
        self.assertIn(":DestinationUnreachable<", body)
        self.assertEqual(text(body, "RelatesTo"), "u")
        code, body, _ = sim.curl(invoke(AMT + "AMT_GeneralSettings", "Frob",
                                        "v"))
        self.assertEqual(code, 400)
        self.assertIn(":ActionNotSupported<", body)
        faults = [c["fault"] for c in sim.calls() if c["fault"]]
        self.assertEqual(faults, ["DestinationUnreachable",
                                  "ActionNotSupported"])

    def test_digest_nonce_reuse(self):
        """A raw client: the nonce from one 401 serves later connections
        as nc counts up; a repeated nc is refused."""
        sim = self.sim()
        body = envelope(XF + "Get", AMT + "AMT_GeneralSettings", "d")
        r = raw_exchange(sim.port, post(body), True)
        self.assertTrue(r.startswith(b"HTTP/1.1 401 Unauthorized\r\n"), r)
        self.assertIn(b"\r\nConnection: close\r\n", r)
        hdr = re.search(rb'WWW-Authenticate: Digest realm="([^"]+)", '
                        rb'nonce="([^"]+)",stale="false",qop="auth"\r\n', r)
        self.assertIsNotNone(hdr, r)
        realm, nonce = hdr.group(1).decode(), hdr.group(2).decode()

        def authz(nc):
            h = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731
            resp = h("%s:%s:%s:%s:auth:%s" % (
                h("admin:%s:P@ssw0rd" % realm), nonce, nc, "xyz",
                h("POST:/wsman")))
            return ('Authorization: Digest username="admin", realm="%s", '
                    'nonce="%s", uri="/wsman", qop=auth, nc=%s, '
                    'cnonce="xyz", response="%s"\r\n'
                    % (realm, nonce, nc, resp)).encode()
        for nc in ("00000001", "00000002"):
            r = raw_exchange(sim.port, post(body, authz(nc)), False)
            self.assertTrue(r.startswith(b"HTTP/1.1 200 OK\r\n"), r[:200])
            self.assertIn(b"\r\nTransfer-Encoding: chunked\r\n", r)
        r = raw_exchange(sim.port, post(body, authz("00000002")), True)
        self.assertTrue(r.startswith(b"HTTP/1.1 401"), r[:200])
        self.assertEqual([c["auth"] for c in sim.calls(authed=False)],
                         ["no-credentials", "ok", "ok", "replayed-nc"])

    def test_without_fixtures(self):
        sim = self.sim(extra=["--fixtures", "none", "--amt-power", "off",
                              "--amt-version", "11.8.55.3510",
                              "--amt-provisioning", "ccm"])
        code, body, _ = sim.curl(envelope(
            XF + "Get", CIM + "CIM_AssociatedPowerManagementService", "n"))
        self.assertEqual((code, text(body, "PowerState")), (200, "8"))
        code, body, _ = sim.curl(envelope(
            XF + "Get", AMT + "AMT_SetupAndConfigurationService", "n"))
        self.assertEqual(text(body, "ProvisioningMode"), "4")
        # Recorded-only classes are not there without the recordings.
        code, body, _ = sim.curl(envelope(XF + "Get", CIM + "CIM_Chassis",
                                          "n"))
        self.assertEqual(code, 400)
        self.assertIn(":DestinationUnreachable<", body)
        r = raw_exchange(sim.port, post(envelope(
            XF + "Get", AMT + "AMT_GeneralSettings", "n")), True)
        self.assertIn(b"\r\nServer: Intel(R) Active Management Technology "
                      b"11.8.55.3510\r\n", r)

    @unittest.skipUnless(HAVE_FIX, "no recorded fixtures")
    def test_recorded_classes(self):
        sim = self.sim(extra=["--fixtures", FIX])
        code, body, _ = sim.curl(envelope(XF + "Get", CIM + "CIM_Chassis",
                                          "c"))
        self.assertEqual(code, 200)
        self.assertEqual(text(body, "RelatesTo"), "c")
        self.assertEqual(text(body, "CreationClassName"), "CIM_Chassis")


class FaultTest(Base):
    def test_wrong_auth(self):
        sim = self.sim(extra=["--wsman-fault", "wrong-auth"])
        code, _, _ = sim.curl(envelope(XF + "Get",
                                       AMT + "AMT_GeneralSettings", "w"))
        self.assertEqual(code, 401)
        self.assertEqual({c["status"] for c in sim.calls(authed=False)},
                         {401})

    def test_destination_unreachable_and_count(self):
        # Only device 0 (the listener's) of 2 is affected with count 1;
        # count 0 affects nobody.
        sim = self.sim(extra=["--count", "2", "--wsman-fault",
                              "destination-unreachable",
                              "--wsman-fault-count", "1"])
        code, body, _ = sim.curl(envelope(
            XF + "Get", CIM + "CIM_AssociatedPowerManagementService", "x"))
        self.assertEqual(code, 400)
        self.assertIn(":DestinationUnreachable<", body)
        sim2 = self.sim("sim2", extra=["--wsman-fault",
                                       "destination-unreachable",
                                       "--wsman-fault-count", "0"])
        code, _, _ = sim2.curl(envelope(
            XF + "Get", CIM + "CIM_AssociatedPowerManagementService", "x"))
        self.assertEqual(code, 200)

    def test_return_value(self):
        sim = self.sim(extra=["--wsman-fault", "return-value=32769"])
        pms = CIM + "CIM_PowerManagementService"
        code, body, _ = sim.curl(invoke(pms, "RequestPowerStateChange", "r",
                                        "<p:PowerState>8</p:PowerState>"))
        self.assertEqual((code, text(body, "ReturnValue")), (200, "32769"))
        code, body, _ = sim.curl(envelope(
            XF + "Get", CIM + "CIM_AssociatedPowerManagementService", "g"))
        self.assertEqual(text(body, "PowerState"), "2")
        self.assertEqual(sim.calls()[0]["return_value"], 32769)

    def test_slow(self):
        sim = self.sim(extra=["--wsman-fault", "slow=400"])
        code, _, took = sim.curl(envelope(XF + "Get",
                                          AMT + "AMT_GeneralSettings", "s"))
        self.assertEqual(code, 200)
        # The 401 and the 200 are each held 400 ms.
        self.assertGreaterEqual(took, 0.8)

    @unittest.skipUnless(HAVE_FIX, "no recorded fixtures")
    def test_http_captures(self):
        sim = self.sim(extra=["--fixtures", FIX, "--wsman-fault",
                              "http-captures"])
        with open(os.path.join(FIX, "http", "401-digest-challenge.http"),
                  "rb") as f:
            rec401 = f.read()
        with open(os.path.join(FIX, "http",
                               "200-chunked-cim-computersystempackage.http"),
                  "rb") as f:
            rec200 = f.read()
        # MessageID 1 is what the recording answers: byte for byte.
        body = envelope(XF + "Get", CIM + "CIM_ComputerSystemPackage", "1")
        r = raw_exchange(sim.port, post(body), True)
        self.assertEqual(r[:len(rec401)], rec401)
        self.assertEqual(len(r), len(rec401) + 693)
        r = raw_exchange(sim.port, post(body, b"Authorization: Digest "
                                        b'username="admin"\r\n'), False)
        self.assertEqual(r, rec200)
        # curl follows the recorded challenge and reads the recorded
        # chunks (boundaries inside tokens) like any answer.
        code, body, _ = sim.curl(envelope(
            XF + "Get", CIM + "CIM_ComputerSystemPackage", "5"))
        self.assertEqual(code, 200)
        self.assertEqual(text(body, "RelatesTo"), "5")
        self.assertEqual(text(body, "PlatformGUID"),
                         "44454C4C4B0010428033B6C04F504633")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
