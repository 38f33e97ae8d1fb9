"""Reloading the TLS certificate (SIGHUP, `amt-mps-cli reload`).

Two certificate sets, A and B, made by the real amt-mps-certs.  The daemon
starts on A with a simulated device connected; A's files are replaced by
B's under the same paths and the daemon is told to reload.  Then:

- the device's tunnel stays up (same conn_id) and still carries WS-Man
  (`amt-mps-cli power DEV status` through it);
- a new TLS handshake gets B's server certificate (SHA-256 of the peer
  certificate == SHA-256 of B/server.crt, also what `openssl x509
  -fingerprint` and `amt-mps-cli --json server` say), and verifies against
  B's root (the one `amt-mps-certs fingerprint` prints), no longer A's;
- a second device, verifying the server against B's root, connects;
- a broken certificate (garbage PEM) and a key that does not match the
  certificate are refused with a clear log line (and, for the CLI, exit 1
  with the reason), while new handshakes keep getting B and every tunnel
  stays up.

Needs AMT_MPS_CERTS_BIN (tests/integration/CMakeLists.txt sets it).
"""

import hashlib
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpstest  # noqa: E402
from mpstest import MpsTestCase, guid, wait_until  # noqa: E402

CERTS = os.environ.get("AMT_MPS_CERTS_BIN", "")

GARBAGE_PEM = ("-----BEGIN CERTIFICATE-----\n"
               "bm90IGEgY2VydGlmaWNhdGUsIGp1c3QgZ2FyYmFnZQ==!!\n"
               "-----END CERTIFICATE-----\n")


def sha256_colon(der):
    return ":".join("%02X" % b for b in hashlib.sha256(der).digest())


def pem_file_der(path):
    """The DER of the first certificate in a PEM file."""
    with open(path) as f:
        text = f.read()
    m = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----",
                  text, re.S)
    if m is None:
        raise AssertionError("no certificate in %s" % path)
    return ssl.PEM_cert_to_DER_cert(m.group(0))


def replace_file(src, dst):
    """Puts src's bytes at dst atomically (what an operator's cp + mv or
    a certificate renewal tool does)."""
    tmp = dst + ".new"
    shutil.copyfile(src, tmp)
    os.chmod(tmp, 0o600)
    os.replace(tmp, dst)


def write_file(dst, text):
    tmp = dst + ".new"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, dst)


class TlsReloadTest(MpsTestCase):
    TIMEOUT = 150

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not CERTS or not os.access(CERTS, os.X_OK):
            raise unittest.SkipTest("AMT_MPS_CERTS_BIN not given")

    # -- helpers ---------------------------------------------------------

    def make_set(self, name):
        """A root CA and a server certificate for 127.0.0.1 in tmp/name;
        returns (dir, SHA-256 of server.crt, the root fingerprint line of
        `amt-mps-certs fingerprint`)."""
        d = os.path.join(self.tmp, name)
        r = subprocess.run([CERTS, "init", "--dir", d, "--cn", "127.0.0.1"],
                           capture_output=True, timeout=60 * mpstest.SLOW)
        self.assertEqual(r.returncode, 0, r.stderr)
        for f in ("root.crt", "server.crt", "server.key"):
            self.assertTrue(os.path.exists(os.path.join(d, f)), f)
        r = subprocess.run([CERTS, "fingerprint", "--dir", d],
                           capture_output=True, timeout=60 * mpstest.SLOW)
        self.assertEqual(r.returncode, 0, r.stderr)
        m = re.search(r"([0-9A-F]{2}(?::[0-9A-F]{2}){31})", r.stdout.decode())
        self.assertIsNotNone(m, r.stdout)
        # The tool's root fingerprint is the root certificate's SHA-256.
        self.assertEqual(m.group(1), sha256_colon(pem_file_der(
            os.path.join(d, "root.crt"))))
        return d, sha256_colon(pem_file_der(os.path.join(d, "server.crt")))

    def openssl_fp(self, path):
        """`openssl x509 -fingerprint -sha256` of path, or None without
        openssl."""
        exe = shutil.which("openssl")
        if exe is None:
            return None
        r = subprocess.run([exe, "x509", "-noout", "-fingerprint", "-sha256",
                            "-in", path], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.decode().strip().split("=", 1)[1]

    def handshake(self, port, cafile=None):
        """A fresh TLS handshake with the daemon: the SHA-256 of the
        certificate it presents.  With cafile the chain and the name
        (127.0.0.1) are verified, and ssl.SSLError raised if they fail."""
        if cafile is None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        else:
            ctx = ssl.create_default_context(cafile=cafile)
        with socket.create_connection(("127.0.0.1", port),
                                      timeout=10 * mpstest.SLOW) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                return sha256_colon(s.getpeercert(binary_form=True))

    def sees(self, mps, fp, ca):
        """New handshakes present fp and verify against ca."""
        self.assertEqual(self.handshake(mps.port), fp)
        self.assertEqual(self.handshake(mps.port, cafile=ca), fp)
        self.assertEqual(mps.cli_json("server")["tls"]["fingerprint"], fp)

    def power_ok(self, mps, name):
        """WS-Man through the tunnel still works."""
        r = mps.cli("power", name, "status")
        self.assertEqual(r.returncode, 0, "%s\n%s" % (
            r.stderr.decode(errors="replace"), mps.tail()))
        self.assertRegex(r.stdout.decode(), r"\b%s\b.*\bon\b" % name)

    def sim(self, mps, name, g, ca=None, start=True):
        """A device verifying the server against ca (or not at all) that
        answers WS-Man with the devices file's AMT credentials."""
        extra = ["--amt-user", mpstest.AMT_USER,
                 "--amt-password", mpstest.AMT_PASSWORD]
        if ca is not None:
            extra += ["--ca", ca, "--verify-name", "127.0.0.1"]
        s = mpstest.Sim(self, mps, name, guid=g, extra=extra)
        if ca is not None:
            s.argv.remove("--insecure")
        if start:
            s.start()
        return s

    def reload(self, mps, how):
        """Asks for a reload; returns the CLI's CompletedProcess (None for
        SIGHUP)."""
        if how == "sighup":
            n = len(mps.log_lines("SIGHUP: reloading"))
            mps.send_signal(signal.SIGHUP)
            wait_until(lambda: len(mps.log_lines("SIGHUP: reloading")) > n,
                       15, "the daemon to take SIGHUP", diag=mps.tail)
            return None
        return mps.cli("reload")

    def nlines(self, mps, *needles):
        return len(mps.log_lines(*needles))

    # -- the scenario ----------------------------------------------------

    def swap_then_break(self, how):
        a_dir, a_fp = self.make_set("A")
        b_dir, b_fp = self.make_set("B")
        self.assertNotEqual(a_fp, b_fp)
        a_root = os.path.join(a_dir, "root.crt")
        b_root = os.path.join(b_dir, "root.crt")
        ossl = self.openssl_fp(os.path.join(b_dir, "server.crt"))
        if ossl is not None:
            self.assertEqual(ossl, b_fp)

        g1, g2, g3 = guid(0x7101), guid(0x7102), guid(0x7103)
        devs = [{"guid": g1, "name": "tls-1"}, {"guid": g2, "name": "tls-2"},
                {"guid": g3, "name": "tls-3"}]
        mps = self.new_mps(devices=devs, accept_unknown=False, start=False)
        crt = os.path.join(mps.dir, "server.crt")
        key = os.path.join(mps.dir, "server.key")
        replace_file(os.path.join(a_dir, "server.crt"), crt)
        replace_file(os.path.join(a_dir, "server.key"), key)
        mps.write_config(extra="tls: {certificate: %s, key: %s}\n"
                         % (mpstest.yaml_str(crt), mpstest.yaml_str(key)))
        mps.start()
        mps.wait_log_line("tls: certificate", "sha256=" + a_fp)
        self.sees(mps, a_fp, a_root)

        # Tunnel 1, verifying the server against A's root.
        self.sim(mps, "dev1", g1, ca=a_root)
        mps.wait_guids({g1})
        conn1 = mps.device_map()[g1]["conn_id"]
        self.power_ok(mps, "tls-1")

        # Set B under the same paths, then reload.
        replace_file(os.path.join(b_dir, "server.crt"), crt)
        replace_file(os.path.join(b_dir, "server.key"), key)
        r = self.reload(mps, how)
        if r is not None:
            self.assertEqual(r.returncode, 0, r.stderr)
        mps.wait_log_line("tls: reloaded certificate " + crt,
                          "sha256=" + b_fp)
        mps.wait_log_line("event=reloaded")
        self.sees(mps, b_fp, b_root)
        with self.assertRaises(ssl.SSLError):
            self.handshake(mps.port, cafile=a_root)

        # Tunnel 1 was not touched and still carries WS-Man.
        self.assertEqual(mps.device_map()[g1]["conn_id"], conn1)
        self.power_ok(mps, "tls-1")

        # A device that trusts only B's root gets in after the reload.
        self.sim(mps, "dev2", g2, ca=b_root)
        mps.wait_guids({g1, g2})
        conn2 = mps.device_map()[g2]["conn_id"]
        self.power_ok(mps, "tls-2")

        # Broken files: each reload is refused, B stays in force.
        cases = [
            ("garbage certificate", GARBAGE_PEM, None, crt,
             r"PEM|no start line|bad base64|ASN1|decod"),
            ("key of another certificate", None,
             os.path.join(a_dir, "server.key"), crt,
             r"the private key .*server\.key does not match this "
             r"certificate"),
        ]
        for what, crt_text, key_src, named, reason in cases:
            with self.subTest(what):
                replace_file(os.path.join(b_dir, "server.crt"), crt)
                replace_file(os.path.join(b_dir, "server.key"), key)
                if crt_text is not None:
                    write_file(crt, crt_text)
                if key_src is not None:
                    replace_file(key_src, key)
                n_failed = self.nlines(mps, "reload failed, keeping the "
                                       "running configuration")
                n_ok = self.nlines(mps, "event=reloaded")
                r = self.reload(mps, how)
                if r is not None:
                    err = r.stderr.decode(errors="replace")
                    self.assertEqual(r.returncode, 1, err)
                    self.assertIn("reload failed", err)
                    self.assertIn(named, err)
                    self.assertRegex(err, reason)
                    self.assertIn("previous configuration stays in force",
                                  err)
                line = wait_until(
                    lambda: self.nlines(mps, "reload failed, keeping the "
                                        "running configuration") > n_failed
                    and mps.log_lines("reload failed, keeping the "
                                      "running configuration")[-1],
                    15, "the refused reload's log line", diag=mps.tail)
                self.assertIn(named, line)
                self.assertRegex(line, reason)
                self.assertEqual(self.nlines(mps, "event=reloaded"), n_ok)
                self.assertTrue(mps.proc.alive())
                self.sees(mps, b_fp, b_root)
                m = mps.device_map()
                self.assertEqual(m[g1]["conn_id"], conn1)
                self.assertEqual(m[g2]["conn_id"], conn2)
                self.power_ok(mps, "tls-1")
                self.power_ok(mps, "tls-2")

        # After the refused reloads a device trusting B still gets in.
        self.sim(mps, "dev3", g3, ca=b_root)
        mps.wait_guids({g1, g2, g3})
        self.power_ok(mps, "tls-3")

        # Good files again: the reload goes through.
        replace_file(os.path.join(b_dir, "server.crt"), crt)
        replace_file(os.path.join(b_dir, "server.key"), key)
        n_ok = self.nlines(mps, "event=reloaded")
        r = self.reload(mps, how)
        if r is not None:
            self.assertEqual(r.returncode, 0, r.stderr)
        wait_until(lambda: self.nlines(mps, "event=reloaded") > n_ok, 15,
                   "a reload with the good files again", diag=mps.tail)
        self.sees(mps, b_fp, b_root)
        m = mps.device_map()
        self.assertEqual(m[g1]["conn_id"], conn1)
        self.assertEqual(m[g2]["conn_id"], conn2)

    def test_sighup_swaps_certificate(self):
        self.swap_then_break("sighup")

    def test_cli_reload_swaps_certificate(self):
        self.swap_then_break("cli")


if __name__ == "__main__":
    mpstest.main()
