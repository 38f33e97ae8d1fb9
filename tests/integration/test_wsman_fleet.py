"""Fleet operations: `power --all status` over 200 simulated devices (every
line ok, timed and printed), --tag selects, and a fleet action changes
every selected machine and no other.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mpstest import guid, guid_add  # noqa: E402
from wsmantest import WsmanTestCase, main  # noqa: E402

FLEET = 200


class FleetTest(WsmanTestCase):
    TIMEOUT = 200

    def test_power_status_all_200(self):
        base = guid(0x5000)
        guids = {guid_add(base, i) for i in range(FLEET)}
        mps = self.new_mps()
        sim = self.new_sim(mps, "fleet", count=FLEET, guid_base=base)
        mps.wait_guids(guids, timeout=120)
        t0 = time.monotonic()
        r = mps.cli("power", "--all", "status", timeout=300)
        took = time.monotonic() - t0
        self.assertEqual(r.returncode, 0, r.stderr.decode()[-2000:])
        self.assertEqual(r.stderr, b"")
        lines = r.stdout.decode().splitlines()
        self.assertEqual(len(lines), FLEET)
        seen = set()
        for ln in lines:
            f = ln.split()
            self.assertEqual(f[1:], ["-", "ok:", "on"], ln)
            seen.add(f[0])
        self.assertEqual(seen, guids)
        # Each device was asked once.
        calls = sim.calls()
        self.assertEqual(len(calls), FLEET)
        self.assertEqual({c["guid"] for c in calls}, guids)
        sys.stderr.write("\n[measure] power --all status over %d devices: "
                         "%.2f s (CLI process included)\n" % (FLEET, took))
        # --json: one result per device, all ok.
        t0 = time.monotonic()
        res = self.ok_json(mps, "power", "--all", "status",
                           timeout=300)["results"]
        took = time.monotonic() - t0
        self.assertEqual(len(res), FLEET)
        self.assertTrue(all(e["ok"] and e["result"]["state"] == "on"
                            for e in res))
        sys.stderr.write("[measure] again with --json: %.2f s\n" % took)

    def test_tag_selects(self):
        lab = [guid(0x5101 + i) for i in range(3)]
        other = [guid(0x5201 + i) for i in range(2)]
        devs = [{"guid": g, "name": "lab-%d" % i, "tags": ["lab"]}
                for i, g in enumerate(lab)]
        devs += [{"guid": g, "name": "oth-%d" % i, "tags": ["other"]}
                 for i, g in enumerate(other)]
        mps = self.new_mps(devices=devs)
        for i, g in enumerate(lab + other):
            self.new_sim(mps, "amt%d" % i, guid=g)
        mps.wait_guids(set(lab + other))
        out = self.ok(mps, "power", "--tag", "lab", "off")
        lines = out.splitlines()
        self.assertEqual(len(lines), 3)
        for i, g in enumerate(lab):
            self.assertIn("%s  lab-%d  ok: power off requested "
                          "(ReturnValue 0)" % (g, i), lines)
        for i in range(3):
            self.wait_power(mps, "lab-%d" % i, "off")
        for i in range(2):
            self.assertEqual(self.power_state(mps, "oth-%d" % i)["state"],
                             "on")
        st = self.ok_json(mps, "power", "--tag", "lab", "status")
        self.assertEqual(sorted(e["guid"] for e in st["results"]),
                         sorted(lab))
        self.assertTrue(all(e["result"]["state"] == "off"
                            for e in st["results"]))
        # Unknown tag: nothing to do, said on stderr, exit 0.
        r = mps.cli("power", "--tag", "nope", "status")
        self.assertEqual((r.returncode, r.stdout), (0, b""))
        self.assertIn("no connected devices with tag nope",
                      r.stderr.decode())


if __name__ == "__main__":
    main()
