"""Two connections with one GUID: the newest wins, the old one is closed."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpstest  # noqa: E402
from mpstest import MpsTestCase, guid, wait_until  # noqa: E402


class DuplicateTest(MpsTestCase):

    def test_newest_connection_wins(self):
        g, other = guid(0x301), guid(0x302)
        mps = self.new_mps()
        s_other = self.new_sim(mps, "other", guid=other)
        s_old = self.new_sim(mps, "old", guid=g)
        mps.wait_guids({g, other})
        first = mps.device_map()[g]
        other_conn = mps.device_map()[other]["conn_id"]

        s_new = self.new_sim(mps, "new", guid=g)
        self.assertEqual(s_new.ready_summary()["active"], 1)

        def replaced():
            d = mps.device_map().get(g)
            return d if d and d["conn_id"] != first["conn_id"] else None
        second = wait_until(replaced, 15, "the newer connection to win",
                            diag=mps.tail)
        self.assertNotEqual(second["remote"], first["remote"])

        # The server closes the older tunnel...
        wait_until(lambda: s_old.live_summary()["disconnected"] == 1, 15,
                   "the old connection to be closed by the server",
                   diag=lambda: s_old.proc.tail() + mps.tail())
        mps.wait_log_line("conn=%s " % first["conn_id"],
                          "event=disconnected",
                          'reason="replaced by newer connection"')
        # ...and its closing did not clear the newer one's registration.
        devs = mps.devices()
        self.assertEqual(sorted(d["guid"] for d in devs), sorted([g, other]))
        now = {d["guid"]: d for d in devs}
        self.assertEqual(now[g]["conn_id"], second["conn_id"])
        self.assertEqual(now[other]["conn_id"], other_conn)
        self.assertEqual(s_new.live_summary()["disconnected"], 0)
        self.assertEqual(s_other.live_summary()["disconnected"], 0)
        self.assertEqual(mps.cli_json("stats")["devices"], 2)


if __name__ == "__main__":
    mpstest.main()
