"""MPS authentication: wrong passwords, unknown GUIDs, per-device creds."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpstest  # noqa: E402
from mpstest import MpsTestCase, guid  # noqa: E402


class AuthTest(MpsTestCase):

    def test_wrong_password_rejected_and_logged(self):
        good, bad = guid(0xa1), guid(0xa2)
        mps = self.new_mps(devices=[{"guid": good}, {"guid": bad}],
                           accept_unknown=False)
        sgood = self.new_sim(mps, "good", guid=good)
        sbad = self.new_sim(mps, "bad", guid=bad, password="Wrong-Pass9")
        mps.wait_guids({good})
        line = mps.wait_log_line("guid=" + bad, "event=auth-failed",
                                 'reason="bad password"')
        self.assertIn("peer=127.0.0.1", line)
        self.assertNotIn("Wrong-Pass9", mps.log(), "password logged")
        rs = sbad.ready_summary()
        self.assertEqual((rs["active"], rs["auth_failed"]), (0, 1))
        self.assertEqual(sgood.ready_summary()["active"], 1)
        stats = mps.cli_json("stats")
        self.assertGreaterEqual(stats["auth_failures"], 1)
        self.assertEqual(stats["devices"], 1)
        self.assertEqual(mps.guids(), {good})

    def test_wrong_username_rejected(self):
        g = guid(0xa3)
        mps = self.new_mps(devices=[{"guid": g}], accept_unknown=False)
        s = self.new_sim(mps, "sim", guid=g, user="someoneelse")
        self.assertEqual(s.ready_summary()["auth_failed"], 1)
        mps.wait_log_line("guid=" + g, "event=auth-failed",
                          'reason="bad username"')
        self.assertEqual(mps.guids(), set())

    def test_unknown_guid_accepted_when_policy_allows(self):
        known, unknown = guid(0xb1), guid(0xb2)
        mps = self.new_mps(devices=[{"guid": known, "name": "known"}],
                           accept_unknown=True)
        self.new_sim(mps, "known", guid=known)
        su = self.new_sim(mps, "unknown", guid=unknown)
        self.assertEqual(su.ready_summary()["active"], 1)
        mps.wait_guids({known, unknown})
        d = mps.device_map()[unknown]
        self.assertIsNone(d["name"])
        # ...but only with the default credentials.
        other = guid(0xb3)
        sx = self.new_sim(mps, "unknown-bad", guid=other,
                          password="Wrong-Pass9")
        self.assertEqual(sx.ready_summary()["auth_failed"], 1)
        self.assertEqual(mps.guids(), {known, unknown})

    def test_unknown_guid_rejected_when_policy_forbids(self):
        known, unknown = guid(0xc1), guid(0xc2)
        mps = self.new_mps(devices=[{"guid": known}], accept_unknown=False)
        sk = self.new_sim(mps, "known", guid=known)
        su = self.new_sim(mps, "unknown", guid=unknown)
        self.assertEqual(su.ready_summary()["auth_failed"], 1)
        self.assertEqual(sk.ready_summary()["active"], 1)
        mps.wait_log_line("guid=" + unknown, "event=auth-failed",
                          'reason="unknown device"')
        mps.wait_guids({known})

    def test_per_device_credentials(self):
        own = guid(0xd1)
        mps = self.new_mps(devices=[{"guid": own, "mps_username": "branch01",
                                     "mps_password": "Own-Pass-123"}],
                           accept_unknown=True)
        # The shared defaults do not open a device that has its own.
        s1 = self.new_sim(mps, "defaults", guid=own)
        self.assertEqual(s1.ready_summary()["auth_failed"], 1)
        self.assertEqual(mps.guids(), set())
        s2 = self.new_sim(mps, "own", guid=own, user="branch01",
                          password="Own-Pass-123")
        self.assertEqual(s2.ready_summary()["active"], 1)
        mps.wait_guids({own})
        self.assertEqual(mps.device_map()[own]["mps_username"], "branch01")


if __name__ == "__main__":
    mpstest.main()
