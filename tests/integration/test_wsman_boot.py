"""Next-boot control: boot pxe|bios|hdd|cd [--reboot] and pxeboot.

The call sequence AMT receives is asserted exactly against the
simulator's WS-Man call log (docs/wsman.md, "Next boot"): Get
AMT_BootSettingData, ChangeBootOrder() to clear the source, Put
AMT_BootSettingData, SetBootConfigRole(1), ChangeBootOrder(source); with a
reboot the power state is read first and the final action is a reset when
the machine is on, a power-on when it is off.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mpstest import guid  # noqa: E402
from wsmantest import WsmanTestCase, main  # noqa: E402

BOOT = [("AMT_BootSettingData", "Get"),
        ("CIM_BootConfigSetting", "ChangeBootOrder"),
        ("AMT_BootSettingData", "Put"),
        ("CIM_BootService", "SetBootConfigRole"),
        ("CIM_BootConfigSetting", "ChangeBootOrder")]
STATE = ("CIM_AssociatedPowerManagementService", "Get")
CHANGE = ("CIM_PowerManagementService", "RequestPowerStateChange")

SOURCE = {"pxe": "Intel(r) AMT: Force PXE Boot",
          "hdd": "Intel(r) AMT: Force Hard-drive Boot",
          "cd": "Intel(r) AMT: Force CD/DVD Boot"}

WORDS = {"pxe": "the network (PXE)", "bios": "BIOS setup",
         "hdd": "the hard drive", "cd": "CD/DVD"}


class BootTest(WsmanTestCase):
    TIMEOUT = 90

    def setUp(self):
        super().setUp()
        self.g = guid(0x4101)
        self.mps = self.new_mps(devices=[{"guid": self.g, "name": "nuc-01"}])
        self.sim = self.new_sim(self.mps, "amt", guid=self.g)
        self.mps.wait_guids({self.g})

    def run_boot(self, *args):
        """Runs a boot command; returns (stdout, the calls it made)."""
        n = len(self.sim.calls(self.g))
        out = self.ok(self.mps, *args)
        return out, self.sim.calls(self.g)[n:]

    def check_sequence(self, calls, target, reboot_state=None):
        """calls must be exactly the boot sequence for target (preceded by
        the power-state read and followed by the power action when
        reboot_state is the state the machine was in)."""
        want = list(BOOT)
        if reboot_state is not None:
            want = [STATE] + want + [CHANGE]
        self.assertEqual([(c["resource"], c["action"]) for c in calls],
                         want)
        self.assertTrue(all(c["status"] == 200 for c in calls), calls)
        body = calls[1:] if reboot_state is not None else calls
        clear, put, role, order = body[1], body[2], body[3], body[4]
        self.assertNotIn("Source", clear["params"], clear)
        self.assertEqual(role["params"].get("Role"), "1", role)
        for c in (clear, role, order):
            self.assertEqual(c["return_value"], 0, c)
        if target in SOURCE:
            self.assertIn(SOURCE[target], order["params"].get("Source", ""),
                          order)
        else:
            self.assertNotIn("Source", order["params"], order)
        self.assertEqual(put["status"], 200)
        if reboot_state is not None:
            power = calls[-1]
            self.assertEqual(power["params"].get("PowerState"),
                             "10" if reboot_state == "on" else "2", power)
            self.assertEqual(power["return_value"], 0)

    def boot_settings(self):
        return self.ok_json(self.mps, "wsman", "nuc-01", "get",
                            "AMT_BootSettingData")["instance"]

    def test_boot_pxe_sequence(self):
        out, calls = self.run_boot("boot", "nuc-01", "pxe")
        self.assertEqual(out, "nuc-01: next boot from the network (PXE) "
                         "(once)\n")
        self.check_sequence(calls, "pxe")
        bs = self.boot_settings()
        self.assertEqual(bs["BIOSSetup"], "false")
        self.assertEqual(bs["UseIDER"], "false")
        # No power action: the machine is still on, nothing booted yet.
        self.assertEqual(self.power_state(self.mps, "nuc-01")["state"],
                         "on")
        self.assertFalse([c for c in calls if c.get("booted")])
        # The next reset boots from the network, once.
        self.ok(self.mps, "power", "nuc-01", "reset")
        booted = [c["booted"] for c in self.sim.calls(self.g)
                  if c.get("booted")]
        self.assertEqual(booted[-1], "pxe")

    def test_boot_bios_sequence(self):
        out, calls = self.run_boot("boot", "nuc-01", "bios")
        self.assertEqual(out, "nuc-01: next boot from BIOS setup (once)\n")
        self.check_sequence(calls, "bios")
        self.assertEqual(self.boot_settings()["BIOSSetup"], "true")

    def test_boot_hdd_cd(self):
        for target in ("hdd", "cd"):
            out, calls = self.run_boot("boot", "nuc-01", target)
            self.assertEqual(out, "nuc-01: next boot from %s (once)\n"
                             % WORDS[target])
            self.check_sequence(calls, target)

    def test_boot_reboot_json(self):
        n = len(self.sim.calls(self.g))
        r = self.ok_json(self.mps, "boot", "nuc-01", "hdd", "--reboot")
        self.assertEqual(r["guid"], self.g)
        self.check_sequence(self.sim.calls(self.g)[n:], "hdd", "on")

    def test_pxeboot_on_resets(self):
        out, calls = self.run_boot("pxeboot", "nuc-01")
        self.assertEqual(out, "nuc-01: next boot from the network (PXE) "
                         "(once); reset requested (ReturnValue 0)\n")
        self.check_sequence(calls, "pxe", "on")
        self.assertEqual(calls[-1].get("booted"), "pxe", calls[-1])
        self.wait_power(self.mps, "nuc-01", "on")

    def test_pxeboot_off_powers_on(self):
        self.ok(self.mps, "power", "nuc-01", "off")
        self.wait_power(self.mps, "nuc-01", "off")
        out, calls = self.run_boot("pxeboot", "nuc-01")
        self.assertEqual(out, "nuc-01: next boot from the network (PXE) "
                         "(once); power on requested (ReturnValue 0)\n")
        self.check_sequence(calls, "pxe", "off")
        self.assertEqual(calls[-1].get("booted"), "pxe", calls[-1])
        self.wait_power(self.mps, "nuc-01", "on")


if __name__ == "__main__":
    main()
