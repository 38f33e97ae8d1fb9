"""The shipped example configuration passes `amt-mps -t`.

config/amt-mps.yaml.example and config/devices.yaml.example are copied
into a temporary directory together with a certificate made by the real
amt-mps-certs under the names the example gives in tls.certificate and
tls.key.  In the copy (never the example itself) every absolute path
(state_dir, control.socket, whatever else the example gains) is moved
under the temporary directory.  The copy must pass `amt-mps -t -c COPY`
(exit 0); deliberately broken copies must fail with exit 1 and a
file:line:col message.

Nothing here lists the example's keys: new keys in the example are
checked by `amt-mps -t` itself, as they should be.

Needs AMT_MPS_BIN and AMT_MPS_CERTS_BIN (tests/integration/CMakeLists.txt).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
EXAMPLES = os.path.join(TOP, "config")
DAEMON = os.environ.get("AMT_MPS_BIN", "")
CERTS = os.environ.get("AMT_MPS_CERTS_BIN", "")
SLOW = float(os.environ.get("MPSTEST_SLOW", "1"))

# "key: /abs/path" as a block mapping entry (optionally a list item),
# the value plain or quoted; comments and flow mappings are left alone.
ABS_VALUE = re.compile(
    r"""^(\s*(?:-\s+)?[A-Za-z_][\w-]*:[ \t]+)(["']?)(/[^"'\s#]*)\2""")


def relocate(text, root):
    """text with every absolute path value moved under root; returns
    (new text, [(old, new)])."""
    moved = []
    out = []
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith("#"):
            out.append(line)
            continue
        m = ABS_VALUE.match(line)
        if m is None:
            out.append(line)
            continue
        old = m.group(3)
        new = os.path.join(root, old.lstrip("/"))
        moved.append((old, new))
        out.append(line[:m.start(2)] + '"%s"' % new + line[m.end():])
    return "".join(out), moved


def tls_file(text, key):
    """The value of tls.KEY (certificate or key) in the example, or None."""
    in_tls = False
    for line in text.splitlines():
        if re.match(r"^tls:\s*(#.*)?$", line):
            in_tls = True
            continue
        if in_tls and re.match(r"^\S", line):
            in_tls = False
        if in_tls:
            m = re.match(r"""^\s+%s:\s+["']?([^"'\s#]+)""" % key, line)
            if m:
                return m.group(1)
    return None


class ExampleConfigTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        missing = [n for n, v in (("AMT_MPS_BIN", DAEMON),
                                  ("AMT_MPS_CERTS_BIN", CERTS))
                   if not v or not os.access(v, os.X_OK)]
        if missing:
            raise unittest.SkipTest("binaries not given: %s"
                                    % ", ".join(missing))

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mpsit-example-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.etc = os.path.join(self.tmp, "etc")
        os.makedirs(self.etc)
        with open(os.path.join(EXAMPLES, "amt-mps.yaml.example")) as f:
            self.example = f.read()
        text, self.moved = relocate(self.example,
                                    os.path.join(self.tmp, "root"))
        for _, new in self.moved:
            os.makedirs(os.path.dirname(new), exist_ok=True)
        self.config = os.path.join(self.etc, "amt-mps.yaml")
        with open(self.config, "w") as f:
            f.write(text)
        shutil.copyfile(os.path.join(EXAMPLES, "devices.yaml.example"),
                        os.path.join(self.etc, "devices.yaml"))

        r = subprocess.run([CERTS, "init", "--dir", self.etc, "--cn",
                            "mps.example.org"], capture_output=True,
                           timeout=60 * SLOW)
        self.assertEqual(r.returncode, 0, r.stderr)
        # The names the example gives (relative to its own directory).
        for key, made in (("certificate", "server.crt"),
                          ("key", "server.key")):
            name = tls_file(self.example, key)
            if name is None or os.path.isabs(name):
                continue
            dst = os.path.join(self.etc, name)
            if os.path.abspath(dst) != os.path.join(self.etc, made):
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copyfile(os.path.join(self.etc, made), dst)

    def check(self, config):
        """Runs `amt-mps -t -c config`; (exit status, stdout + stderr)."""
        r = subprocess.run([DAEMON, "-t", "-c", config],
                           capture_output=True, timeout=60 * SLOW,
                           cwd=self.tmp, stdin=subprocess.DEVNULL)
        return r.returncode, (r.stdout + r.stderr).decode(errors="replace")

    def test_example_passes(self):
        # The relocation did what it claims: no absolute path of the
        # example is left outside the temporary directory.
        with open(self.config) as f:
            for ln in f:
                m = ABS_VALUE.match(ln)
                if m and not ln.lstrip().startswith("#"):
                    self.assertTrue(m.group(3).startswith(self.tmp), ln)
        rc, out = self.check(self.config)
        self.assertEqual(rc, 0, out)
        self.assertIn("configuration OK", out)
        self.assertNotRegex(out, r"(?i)\b(error|unknown key)\b")

    def broken(self, name, text):
        path = os.path.join(self.etc, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_unknown_key_is_refused(self):
        with open(self.config) as f:
            text = f.read()
        if not text.endswith("\n"):
            text += "\n"
        line = text.count("\n") + 1
        bad = self.broken("bad.yaml", text + "no_such_key_in_example: 1\n")
        rc, out = self.check(bad)
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"bad\.yaml:%d:1: .*no_such_key_in_example"
                         % line)

    def test_bad_value_is_refused(self):
        # The first line that sets a port gets an out-of-range one.
        with open(self.config) as f:
            lines = f.read().splitlines(keepends=True)
        for i, ln in enumerate(lines):
            if not ln.lstrip().startswith("#") and \
                    re.search(r"\bport:\s*\d+", ln):
                lines[i] = re.sub(r"(\bport:\s*)\d+", r"\g<1>99999", ln,
                                  count=1)
                break
        else:
            self.skipTest("the example sets no port")
        bad = self.broken("badport.yaml", "".join(lines))
        rc, out = self.check(bad)
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"badport\.yaml:%d:\d+: " % (i + 1))

    def test_broken_devices_file_is_refused(self):
        with open(os.path.join(self.etc, "devices.yaml")) as f:
            dev = f.read()
        if not dev.endswith("\n"):
            dev += "\n"
        self.broken("baddev.yaml", dev + "bogus: [\n")
        with open(self.config) as f:
            text = f.read()
        text, n = re.subn(r"(?m)^devices_file:.*$", "devices_file: baddev.yaml",
                          text)
        if n == 0:
            text += "devices_file: baddev.yaml\n"
        cfg = self.broken("baddevcfg.yaml", text)
        rc, out = self.check(cfg)
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"baddev\.yaml:\d+:\d+: ")

    def test_missing_certificate_is_refused(self):
        name = tls_file(self.example, "certificate")
        if name is None:
            self.skipTest("the example sets no tls.certificate")
        path = name if os.path.isabs(name) else os.path.join(self.etc, name)
        os.unlink(path)
        rc, out = self.check(self.config)
        self.assertNotEqual(rc, 0, out)
        self.assertIn(os.path.basename(name), out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
