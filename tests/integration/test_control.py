"""The control socket: framing errors, isolation, events, CLI exit codes."""

import json
import os
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpstest  # noqa: E402
from mpstest import CLI, Ctl, MpsTestCase, guid, run_cli  # noqa: E402

MAX_LINE = 4096


class ControlTest(MpsTestCase):

    def setUp(self):
        super().setUp()
        self.mps = self.new_mps(
            control_extra=", max_line: %d, max_clients: 4" % MAX_LINE)

    def client(self):
        c = Ctl(self.mps.sock)
        self.addCleanup(c.close)
        return c

    def test_socket_permissions(self):
        st = os.stat(self.mps.sock)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)

    def test_malformed_json_keeps_client(self):
        c1, c2 = self.client(), self.client()
        c1.send_raw(b"{this is not json\n")
        msg = c1.recv()
        self.assertEqual(msg["error"]["code"], -32700)
        self.assertIsNone(msg.get("id"))
        # Still usable, and the other client never noticed.
        self.assertIn("result", c1.call("server.info"))
        self.assertIn("result", c2.call("server.stats"))

    def test_invalid_requests(self):
        c = self.client()
        c.send_raw(b"[1,2,3]\n")
        self.assertEqual(c.recv()["error"]["code"], -32600)
        r = c.call("no.such.method")
        self.assertEqual(r["error"]["code"], -32601)
        r = c.call("devices.get", {"device": 42})
        self.assertEqual(r["error"]["code"], -32602)
        # A well-formed GUID without a tunnel: not found or not connected,
        # both are true; a name nobody has is not found.
        r = c.call("devices.get", {"device": guid(0xdead)})
        self.assertEqual(r["error"]["code"], -32000)
        self.assertIn(r["error"]["data"]["error"],
                      ("MPS_ERR_NOT_FOUND", "MPS_ERR_NOT_CONNECTED"))
        r = c.call("devices.get", {"device": "no-such-name"})
        self.assertEqual(r["error"]["code"], -32000)
        self.assertEqual(r["error"]["data"]["error"], "MPS_ERR_NOT_FOUND")
        self.assertIn("no-such-name", r["error"]["message"])
        self.assertIn("result", c.call("server.info"))

    def test_overlong_line_disconnects_only_that_client(self):
        c1, c2 = self.client(), self.client()
        c1.send_raw(b'{"jsonrpc":"2.0","id":1,"method":"server.info",'
                    b'"params":{"pad":"' + b"x" * (MAX_LINE * 2))
        msg = c1.recv()
        self.assertIsNotNone(msg, "closed without an error line")
        self.assertEqual(msg["error"]["code"], -32600)
        self.assertTrue(c1.closed_by_peer(), "client not disconnected")
        self.assertIn("result", c2.call("server.info"))
        # A line just under the limit is fine.
        pad = "y" * (MAX_LINE - 200)
        r = c2.call("server.info", {"pad": pad})
        self.assertNotEqual(r.get("error", {}).get("code"), -32600)

    def test_max_clients(self):
        clients = [self.client() for _ in range(4)]
        for c in clients:
            self.assertIn("result", c.call("server.info"))
        extra = Ctl(self.mps.sock)
        self.addCleanup(extra.close)
        line = extra.recv_line()
        if line is not None:
            self.assertIn("error", json.loads(line))
        self.assertTrue(extra.closed_by_peer())
        r = self.mps.cli("stats")
        self.assertEqual(r.returncode, 1, r.stderr)
        clients[0].close()
        self.assertEqual(self.mps.cli("--json", "stats").returncode, 0)

    def test_events_stream_to_watch(self):
        g = guid(0x801)
        p = subprocess.Popen([CLI, "-s", self.mps.sock, "--json", "watch",
                              "--count", "2"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            # Wait until the subscription is in place before connecting.
            mpstest.wait_until(
                lambda: self.mps.cli_json("stats")["control_clients"] >= 2,
                10, "watch to subscribe")
            sim = self.new_sim(self.mps, "sim", guid=g)
            self.mps.wait_guids({g})
            sim.stop()
            out, err = p.communicate(timeout=30 * mpstest.SLOW)
        finally:
            p.kill()
            p.wait()
        self.assertEqual(p.returncode, 0, err)
        evs = [json.loads(x) for x in out.decode().splitlines()]
        self.assertEqual([e["event"] for e in evs], ["connect", "disconnect"])
        for e in evs:
            self.assertEqual(e["guid"], g)
            self.assertRegex(e["remote"], r"^127\.0\.0\.1:\d+$")
        self.assertTrue(evs[1]["reason"])

    def test_cli_exit_codes(self):
        mps = self.mps
        g = guid(0x811)
        sim = self.new_sim(mps, "sim", guid=g)
        mps.wait_guids({g})
        # 1: the operation failed on the device.
        r = mps.cli("disconnect", guid(0x812))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertTrue(r.stderr.startswith(b"amt-mps-cli: "), r.stderr)
        r = mps.cli("show", "no-such-name")
        self.assertEqual(r.returncode, 1, r.stderr)
        # 2: usage, before the daemon is even asked.
        for args in (["bogus"], ["show"], ["devices", "--nope"]):
            self.assertEqual(mps.cli(*args).returncode, 2, args)
        # 0: disconnect a connected device; the sim sees the server close.
        r = mps.cli("disconnect", g)
        self.assertEqual((r.returncode, r.stdout.decode()),
                         (0, "disconnected %s\n" % g), r.stderr)
        mps.wait_guids(set())
        mpstest.wait_until(lambda: sim.live_summary()["disconnected"] == 1,
                           10, "the sim to see the disconnect")
        r = mps.cli("disconnect", g)
        self.assertEqual(r.returncode, 1)
        # 3: no daemon.
        mps.stop()
        r = run_cli(["devices"], sock=mps.sock)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn(mps.sock.encode(), r.stderr)


if __name__ == "__main__":
    mpstest.main()
