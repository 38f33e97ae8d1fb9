"""amt-mps-cli against a scripted fake control socket.

These pin the CLI's side of the contract (docs/cli.md, the control protocol)
without a daemon: request shapes, --json output, human output, error and
exit-status mapping, the response-size cap, timeouts, watch, and
hash-password (checked by recomputing PBKDF2 here).
"""

import base64
import hashlib
import json
import os
import pty
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mpstest import CLI, run_cli  # noqa: E402

GUID_A = "4c4c4544-0042-1000-8033-b6c04f504633"
GUID_B = "4c4c4544-0042-1000-8033-b6c04f504634"


def device(guid, name, conn_id, ago=300):
    # Whole seconds, so the CLI's clock can only be at or after them.
    now = int(time.time())
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - ago))
    ka = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 12))
    return {"guid": guid, "name": name, "tags": ["lab"],
            "remote": "127.0.0.1:%d" % (40000 + conn_id),
            "connected_at": iso, "last_keepalive": ka,
            "keepalive_interval": 30,
            "ports": [16993, 16992, 664, 623, 16995, 16994, 5900],
            "channels": 0, "tls_version": "TLSv1.3",
            "tls_cipher": "TLS_AES_256_GCM_SHA384",
            "mps_username": "mpsuser", "conn_id": conn_id,
            "bytes_in": 123456, "bytes_out": 567}


def response(req, result=None, error=None):
    msg = {"jsonrpc": "2.0", "id": req.get("id")}
    if error is not None:
        msg["error"] = error
    else:
        msg["result"] = result
    return (json.dumps(msg) + "\n").encode()


def op_error(message, code=-23, name="MPS_ERR_NOT_CONNECTED", **data):
    d = {"code": code, "error": name}
    d.update(data)
    return {"code": -32000, "message": message, "data": d}


class FakeDaemon:
    """A Unix-socket server answering each request line with script(req).

    script returns a list of items: bytes are sent, "close" closes the
    connection, "hang" stops answering on it.  Requests are recorded.
    """

    def __init__(self, path, script):
        self.path = path
        self.script = script
        self.requests = []
        self.ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.ls.bind(path)
        self.ls.listen(8)
        self.ls.settimeout(0.2)
        self.stopping = False
        self.conns = []
        self.t = threading.Thread(target=self._serve, daemon=True)
        self.t.start()

    def _serve(self):
        while not self.stopping:
            try:
                c, _ = self.ls.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self._conn, args=(c,),
                             daemon=True).start()

    def _conn(self, c):
        buf = b""
        c.settimeout(0.2)
        while not self.stopping:
            try:
                chunk = c.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b"\n" in buf:
                line, _, buf = buf.partition(b"\n")
                req = json.loads(line)
                self.requests.append(req)
                for item in self.script(req):
                    if item == "close":
                        c.close()
                        return
                    if item == "hang":
                        while not self.stopping:
                            time.sleep(0.05)
                        return
                    try:
                        # Blocking while the CLI drains big answers.
                        c.settimeout(30)
                        c.sendall(item)
                        c.settimeout(0.2)
                    except OSError:
                        return

    def stop(self):
        self.stopping = True
        self.ls.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


@unittest.skipUnless(CLI and os.access(CLI, os.X_OK),
                     "AMT_MPS_CLI_BIN not given")
class CliTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mpscli-")
        self.sock = os.path.join(self.tmp, "ctl.sock")
        self.fake = None
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def tearDown(self):
        if self.fake:
            self.fake.stop()

    def serve(self, script):
        self.fake = FakeDaemon(self.sock, script)
        return self.fake

    def cli(self, *args, **kw):
        return run_cli(list(args), sock=self.sock, **kw)

    def std(self, req):
        """A well-behaved daemon with two devices."""
        m, p = req["method"], req.get("params") or {}
        devs = [device(GUID_A, "nuc-01", 7), device(GUID_B, None, 9, 7200)]
        if m == "devices.list":
            if "tag" in p:
                devs = [d for d in devs if p["tag"] in d["tags"]][:1]
            return [response(req, {"devices": devs})]
        if m == "devices.get":
            if p.get("device") in ("nuc-01", GUID_A):
                return [response(req, devs[0])]
            if p.get("device") == "4c4c":
                return [response(req, error=op_error(
                    "device name or prefix '4c4c' is ambiguous",
                    -22, "MPS_ERR_AMBIGUOUS", matches=[GUID_A, GUID_B]))]
            return [response(req, error=op_error(
                "no device matches '%s'" % p.get("device"), -21,
                "MPS_ERR_NOT_FOUND"))]
        if m == "devices.disconnect":
            if p.get("device") == "nuc-01":
                return [response(req, {"guid": GUID_A,
                                       "disconnected": True})]
            return [response(req, error=op_error(
                "device %s is not connected (it has no CIRA tunnel to "
                "this MPS)" % p.get("device")))]
        if m == "server.stats":
            return [response(req, {"devices": 2, "auth_failures": 1,
                                   "disconnects": {"keepalive timeout": 3},
                                   "bytes_in": 5 << 20,
                                   "rss_bytes": 12 << 20})]
        if m == "server.info":
            return [response(req, {
                "version": "0.1.0", "pid": 42,
                "started_at": "2026-01-01T00:00:00Z", "uptime": 3725,
                "listen": [{"address": "0.0.0.0", "port": 4433},
                           {"address": "::", "port": 4433}],
                "config": "/etc/amt-mps/amt-mps.yaml",
                "devices_file": "/etc/amt-mps/devices.yaml",
                "tls": {"certificate": "server.crt", "dev_cert": False,
                        "profile": "modern", "min_version": "1.2"}})]
        if m == "config.reload":
            return [response(req, error=op_error(
                "devices.yaml:7:3: unknown key 'gid'", -19,
                "MPS_ERR_CONFIG", file="devices.yaml", line=7, col=3))]
        return [response(req, error={"code": -32601,
                                     "message": "method not found"})]

    # -- requests and --json output --------------------------------------

    def test_devices_json_verbatim(self):
        self.serve(self.std)
        r = self.cli("--json", "devices")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual([d["guid"] for d in out["devices"]],
                         [GUID_A, GUID_B])
        self.assertEqual(out["devices"][0]["ports"][0], 16993)
        self.assertEqual(self.fake.requests[0]["method"], "devices.list")
        self.assertEqual(self.fake.requests[0]["jsonrpc"], "2.0")

    def test_global_options_after_command(self):
        self.serve(self.std)
        r = self.cli("devices", "--tag", "lab", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(json.loads(r.stdout)["devices"]), 1)
        self.assertEqual(self.fake.requests[0]["params"], {"tag": "lab"})

    def test_devices_table(self):
        self.serve(self.std)
        r = self.cli("devices")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(lines[0].split(), ["GUID", "NAME", "REMOTE",
                                            "CONNECTED", "LAST", "KA",
                                            "PORTS", "CHANS", "TLS"])
        self.assertEqual(len(lines), 3)
        self.assertTrue(lines[1].startswith(GUID_A + "  nuc-01"))
        self.assertIn("5m ago", lines[1])
        self.assertRegex(lines[1], r"  1[2-5]s ago  ")
        self.assertIn("623,664,5900,16992-16995", lines[1])
        self.assertIn("1.3 AES_256_GCM_SHA384", lines[1])
        self.assertIn("2h0m ago", lines[2])
        # Columns line up: NAME starts at the same offset on every row.
        col = lines[0].index("NAME")
        self.assertEqual(lines[1][col:col + 6], "nuc-01")
        self.assertEqual(lines[2][col], "-")

    def test_show_passes_device_through(self):
        self.serve(self.std)
        r = self.cli("show", "nuc-01")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.fake.requests[0]["method"], "devices.get")
        self.assertEqual(self.fake.requests[0]["params"],
                         {"device": "nuc-01"})
        out = r.stdout.decode()
        self.assertRegex(out, r"(?m)^guid +%s$" % GUID_A)
        self.assertRegex(out, r"(?m)^conn id +7$")
        self.assertRegex(out, r"(?m)^keepalive interval +30 s$")
        self.assertRegex(out, r"(?m)^bytes in +123456 \(120\.6 KiB\)$")
        self.assertRegex(out, r"(?m)^connected +\S+Z \(5m ago\)$")

    def test_stats_and_server_human(self):
        self.serve(self.std)
        r = self.cli("stats")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.decode()
        self.assertRegex(out, r"(?m)^auth failures +1$")
        self.assertRegex(out, r"(?m)^disconnects\.keepalive timeout +3$")
        self.assertRegex(out, r"(?m)^rss +12582912 \(12\.0 MiB\)$")
        r = self.cli("server")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.decode()
        self.assertRegex(out, r"(?m)^uptime +1h 2m$")
        self.assertRegex(out, r"(?m)^listen +0\.0\.0\.0:4433, \[::\]:4433$")
        self.assertRegex(out, r"(?m)^tls\.dev cert +no$")

    def test_call_raw(self):
        self.serve(self.std)
        r = self.cli("call", "devices.list", '{"tag":"lab"}')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(json.loads(r.stdout)["devices"]), 1)
        r = self.cli("call", "devices.list", "[1]")
        self.assertEqual(r.returncode, 2)

    # -- errors and exit statuses ----------------------------------------

    def test_not_connected_is_exit_1(self):
        self.serve(self.std)
        r = self.cli("disconnect", "nuc-99")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, b"")
        self.assertEqual(r.stderr.decode(),
                         "amt-mps-cli: device nuc-99 is not connected (it "
                         "has no CIRA tunnel to this MPS)\n")
        r = self.cli("--json", "disconnect", "nuc-99")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(json.loads(r.stdout)["error"]["data"]["error"],
                         "MPS_ERR_NOT_CONNECTED")
        r = self.cli("disconnect", "nuc-01")
        self.assertEqual((r.returncode, r.stdout),
                         (0, ("disconnected %s\n" % GUID_A).encode()))

    def test_ambiguous_lists_candidates(self):
        self.serve(self.std)
        r = self.cli("show", "4c4c")
        self.assertEqual(r.returncode, 1)
        err = r.stderr.decode()
        self.assertIn("ambiguous", err)
        self.assertIn("candidates: %s %s" % (GUID_A, GUID_B), err)

    def test_config_error_position(self):
        self.serve(self.std)
        r = self.cli("reload")
        self.assertEqual(r.returncode, 1)
        self.assertIn("devices.yaml:7:3: unknown key", r.stderr.decode())

    def test_invalid_params_is_usage(self):
        self.serve(lambda req: [response(req, error={
            "code": -32602, "message": "params.device: expected a string"})])
        r = self.cli("show", "x")
        self.assertEqual(r.returncode, 2)
        self.assertIn("params.device", r.stderr.decode())

    def test_usage_errors(self):
        for args in (["frobnicate"], ["show"], ["show", "a", "b"],
                     ["devices", "--bogus"], ["--timeout", "soon", "stats"],
                     ["watch", "--count", "0"], ["devices", "--tag"], []):
            r = run_cli(args, sock=self.sock)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(b"usage" if args[:1] != ["--timeout"] and
                          args[:1] != ["watch"] else b"amt-mps-cli:",
                          r.stderr, args)
            self.assertEqual(r.stdout, b"", args)

    def test_help_and_version(self):
        r = run_cli(["--help"])
        self.assertEqual(r.returncode, 0)
        for cmd in (b"devices", b"show", b"disconnect", b"stats", b"server",
                    b"watch", b"hash-password", b"reload"):
            self.assertIn(cmd, r.stdout)
        r = run_cli(["--version"])
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout.decode(), r"^amt-mps-cli \d+\.\d+")

    def test_unreachable_is_exit_3(self):
        r = self.cli("devices")	# nothing listens on self.sock
        self.assertEqual(r.returncode, 3)
        err = r.stderr.decode()
        self.assertIn(self.sock, err)
        self.assertIn("-s SOCKET", err)
        self.assertIn("amt-mps", err)

    def test_socket_from_environment(self):
        self.serve(self.std)
        r = run_cli(["--json", "devices"],
                    env={"AMT_MPS_SOCKET": self.sock})
        self.assertEqual(r.returncode, 0, r.stderr)
        # -s wins over the environment.
        r = run_cli(["-s", self.sock + ".nope", "devices"],
                    env={"AMT_MPS_SOCKET": self.sock})
        self.assertEqual(r.returncode, 3)
        self.assertIn(".nope", r.stderr.decode())

    def test_skips_events_and_foreign_ids(self):
        def script(req):
            ev = {"jsonrpc": "2.0", "method": "event",
                  "params": {"event": "connect", "guid": GUID_B}}
            other = {"jsonrpc": "2.0", "id": 999, "result": {"x": 1}}
            return [(json.dumps(ev) + "\n").encode(),
                    (json.dumps(other) + "\n").encode()] + \
                self.std(req)
        self.serve(script)
        r = self.cli("--json", "show", GUID_A)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["guid"], GUID_A)

    def test_timeout_is_exit_3(self):
        self.serve(lambda req: ["hang"])
        t0 = time.monotonic()
        r = self.cli("--timeout", "0.5", "stats")
        self.assertLess(time.monotonic() - t0, 10)
        self.assertEqual(r.returncode, 3)
        self.assertIn("no answer", r.stderr.decode())

    def test_closed_without_answer_is_exit_3(self):
        self.serve(lambda req: ["close"])
        r = self.cli("stats")
        self.assertEqual(r.returncode, 3)
        self.assertIn("closed the control connection", r.stderr.decode())

    def test_refused_with_null_id_error(self):
        # What a daemon over control.max_clients sends before closing.
        self.serve(lambda req: [b'{"jsonrpc":"2.0","id":null,"error":'
                                b'{"code":-32000,"message":"too many '
                                b'control clients (64)"}}\n', "close"])
        r = self.cli("stats")
        self.assertEqual(r.returncode, 1)
        self.assertIn("too many control clients", r.stderr.decode())

    def test_oversized_response_fails_cleanly(self):
        big = b"[" + b"1," * (9 << 20)	# 18 MiB, no newline yet
        self.serve(lambda req: [big, "hang"])
        t0 = time.monotonic()
        r = self.cli("stats", timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("exceeds 16 MiB", r.stderr.decode())
        self.assertLess(time.monotonic() - t0, 30)

    def test_garbage_response(self):
        self.serve(lambda req: [b"this is not json\n"])
        r = self.cli("stats")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not a JSON-RPC", r.stderr.decode())

    # -- watch -----------------------------------------------------------

    def events(self):
        return [
            {"event": "connect", "time": "2026-11-24T10:00:00Z",
             "guid": GUID_A, "name": "nuc-01", "remote": "127.0.0.1:40000"},
            {"event": "disconnect", "time": "2026-11-24T10:05:00Z",
             "guid": GUID_A, "name": None, "remote": "127.0.0.1:40000",
             "reason": "keepalive timeout"},
        ]

    def watch_script(self, req):
        if req["method"] != "events.subscribe":
            return self.std(req)
        out = [response(req, {"subscribed": True})]
        for e in self.events():
            out.append((json.dumps({"jsonrpc": "2.0", "method": "event",
                                    "params": e}) + "\n").encode())
        return out + ["hang"]

    def test_watch_json_lines(self):
        self.serve(self.watch_script)
        r = self.cli("--json", "watch", "--count", "2", timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.decode().splitlines()
        self.assertEqual([json.loads(x) for x in lines], self.events())

    def test_watch_human_lines(self):
        self.serve(self.watch_script)
        r = self.cli("watch", "--count", "2", timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(len(lines), 2)
        self.assertRegex(lines[0], r"^2026-11-24T10:00:00Z +connect +%s "
                         r"+nuc-01 remote=127\.0\.0\.1:40000$" % GUID_A)
        self.assertIn('reason="keepalive timeout"', lines[1])

    def test_watch_sigint_exits_0(self):
        self.serve(self.watch_script)
        p = subprocess.Popen([CLI, "-s", self.sock, "--json", "watch"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            first = p.stdout.readline()
            self.assertEqual(json.loads(first)["event"], "connect")
            p.send_signal(2)
            self.assertEqual(p.wait(timeout=10), 0)
        finally:
            p.kill()
            p.wait()
            p.stdout.close()
            p.stderr.close()

    def test_watch_daemon_gone_is_exit_3(self):
        def script(req):
            return [response(req, {"subscribed": True}), "close"]
        self.serve(script)
        r = self.cli("watch", timeout=30)
        self.assertEqual(r.returncode, 3)

    # -- hash-password ---------------------------------------------------

    def check_hash(self, h, pw):
        parts = h.split("$")
        self.assertEqual(parts[:2], ["", "pbkdf2-sha256"], h)
        it = int(parts[2])
        salt = base64.b64decode(parts[3])
        want = base64.b64decode(parts[4])
        self.assertEqual(len(salt), 16)
        self.assertEqual(hashlib.pbkdf2_hmac("sha256", pw, salt, it,
                                             len(want)), want)

    def test_hash_password_pipe(self):
        r = run_cli(["hash-password"], input_bytes=b"Demo-Pass1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, b"")
        h = r.stdout.decode().rstrip("\n")
        self.check_hash(h, b"Demo-Pass1")
        # `echo secret |`: the newline is the shell's.
        r2 = run_cli(["hash-password"], input_bytes=b"Demo-Pass1\n")
        self.check_hash(r2.stdout.decode().strip(), b"Demo-Pass1")
        self.assertNotEqual(h, r2.stdout.decode().strip(), "salt reused")

    def test_hash_password_refusals_and_warnings(self):
        r = run_cli(["hash-password"], input_bytes=b"")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"empty", r.stderr)
        self.assertEqual(r.stdout, b"")
        r = run_cli(["hash-password"], input_bytes=b"x" * 5000)
        self.assertEqual(r.returncode, 2)
        r = run_cli(["hash-password"], input_bytes=b"short")
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"8 to 16", r.stderr)
        self.check_hash(r.stdout.decode().strip(), b"short")
        r = run_cli(["hash-password"], input_bytes=b"a-much-too-long-password")
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"8 to 16", r.stderr)

    def pty_run(self, answers):
        """Runs hash-password on a terminal, typing answers at prompts."""
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(CLI, [CLI, "hash-password"])
        out = b""
        try:
            pending = list(answers)
            given = 0
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                r, _, _ = select.select([fd], [], [], 0.5)
                if not r:
                    continue
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
                # Answer each prompt once it is fully shown (echo is off
                # by then; typing ahead would be flushed by TCSAFLUSH).
                if pending and out.count(b"password: ") > given:
                    os.write(fd, pending.pop(0) + b"\n")
                    given += 1
            _, status = os.waitpid(pid, 0)
        finally:
            os.close(fd)
        return os.waitstatus_to_exitcode(status), out

    def test_hash_password_tty(self):
        rc, out = self.pty_run([b"Tty-Pass-123", b"Tty-Pass-123"])
        self.assertEqual(rc, 0, out)
        self.assertNotIn(b"Tty-Pass-123", out, "password echoed")
        h = [ln for ln in out.decode().split() if ln.startswith("$pbkdf2")]
        self.assertEqual(len(h), 1, out)
        self.check_hash(h[0], b"Tty-Pass-123")
        rc, out = self.pty_run([b"Tty-Pass-123", b"Tty-Pass-124"])
        self.assertEqual(rc, 2, out)
        self.assertIn(b"do not match", out)
        self.assertNotIn(b"$pbkdf2", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
