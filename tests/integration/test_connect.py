"""Devices connect and `amt-mps-cli devices` lists exactly them."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpstest  # noqa: E402
from mpstest import MpsTestCase, guid, guid_add  # noqa: E402

SIM_PORTS = [16993, 16992, 664, 623, 16995, 16994, 5900]


def parse_iso(s):
    return time.mktime(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ")) - \
        time.mktime(time.gmtime(0))


class ConnectTest(MpsTestCase):
    TIMEOUT = 300

    def test_one_device(self):
        g = guid(1)
        mps = self.new_mps(devices=[{"guid": g, "name": "nuc-01",
                                     "tags": ["lab"]}])
        t0 = time.time()
        sim = self.new_sim(mps, "sim", guid=g)
        self.assertEqual(sim.ready_summary()["active"], 1)
        mps.wait_guids({g})
        devs = mps.devices()
        self.assertEqual(len(devs), 1)
        d = devs[0]
        self.assertEqual(d["guid"], g)
        self.assertEqual(d["name"], "nuc-01")
        self.assertEqual(d["tags"], ["lab"])
        self.assertRegex(d["remote"], r"^127\.0\.0\.1:\d+$")
        self.assertEqual(sorted(d["ports"]), sorted(SIM_PORTS))
        self.assertEqual(d["mps_username"], mpstest.MPS_USER)
        self.assertIsInstance(d["conn_id"], int)
        self.assertTrue(d["tls_version"].startswith("TLSv1."))
        self.assertTrue(d["tls_cipher"])
        # connected_at is this run's, give or take clock rounding.
        self.assertLess(abs(parse_iso(d["connected_at"]) - t0), 30)

        # show resolves GUID (any case), unique prefix and name alike.
        for dev in (g, g.upper(), g[:8], "nuc-01"):
            got = mps.cli_json("show", dev)
            self.assertEqual(got["guid"], g, dev)
            self.assertEqual(got["conn_id"], d["conn_id"], dev)

        # The table for people names the device too.
        r = mps.cli("devices")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.decode().splitlines()
        self.assertTrue(out[0].startswith("GUID"))
        self.assertEqual(len(out), 2)
        self.assertIn(g, out[1])
        self.assertIn("nuc-01", out[1])

    def test_500_devices(self):
        n = 500
        base = guid(0x10000, prefix="4c4c4544-0500-1000-8000")
        mps = self.new_mps()
        sim = self.new_sim(mps, "fleet", count=n, guid_base=base,
                           extra=["--max-inflight", "100"])
        sim.wait_ready(timeout=120)
        expected = {guid_add(base, i) for i in range(n)}
        self.assertEqual(len(expected), n)
        mps.wait_guids(expected, timeout=60)
        stats = mps.cli_json("stats")
        self.assertEqual(stats["devices"], n)
        # Every one is a distinct connection.
        conns = {d["conn_id"] for d in mps.devices()}
        self.assertEqual(len(conns), n)
        self.assertEqual(sim.ready_summary()["active"], n)

    def test_tag_filter(self):
        g1, g2, g3 = guid(0x21), guid(0x22), guid(0x23)
        mps = self.new_mps(devices=[
            {"guid": g1, "name": "lab-a", "tags": ["lab", "rack1"]},
            {"guid": g2, "name": "lab-b", "tags": ["rack2"]},
            {"guid": g3, "name": "lab-c"}])
        for i, g in enumerate((g1, g2, g3)):
            self.new_sim(mps, "sim%d" % i, guid=g)
        mps.wait_guids({g1, g2, g3})
        self.assertEqual({d["guid"] for d in mps.devices("--tag", "lab")},
                         {g1})
        self.assertEqual({d["guid"] for d in mps.devices("--tag", "rack2")},
                         {g2})
        self.assertEqual(mps.devices("--tag", "nope"), [])


if __name__ == "__main__":
    mpstest.main()
