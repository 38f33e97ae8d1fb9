/*
 * test_amt_status.c: PT_STATUS and ReturnValue tables, power and boot
 * names, PlatformGUID to UUID.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "amt.h"
#include "mps_err.h"
#include "wsman.h"

#define PMS	WSMAN_URI_CIM "CIM_PowerManagementService"
#define BCS	WSMAN_URI_CIM "CIM_BootConfigSetting"

static void
test_pt_status_names(void **state)
{
	(void)state;
	assert_string_equal(amt_status_name(0), "SUCCESS");
	assert_string_equal(amt_status_name(0x0024), "INVALID_PARAMETER");
	assert_string_equal(amt_status_name(0x0400), "DISABLED_BY_POLICY");
	assert_string_equal(amt_status_name(0x0802),
	    "UNSUPPORTED_BOOT_OPTION");
	assert_string_equal(amt_status_name(0x080A), "DUPLICATE");
	assert_string_equal(amt_status_name(0x0821), "USER_CONSENT_REQUIRED");
	assert_string_equal(amt_status_name(0x100A), "URL_REQUIRED");
	assert_null(amt_status_name(0x0817));	/* a gap in the table */
	assert_null(amt_status_name(0x9999));
}

static void
test_return_values(void **state)
{
	struct amt_return rv;

	(void)state;
	/* CIM family: the DMTF map... */
	amt_status_describe(&rv, PMS, "RequestPowerStateChange", 0);
	assert_true(rv.present);
	assert_string_equal(rv.name, "COMPLETED");
	amt_status_describe(&rv, PMS, "RequestPowerStateChange", 3);
	assert_string_equal(rv.name, "TIMEOUT");
	amt_status_describe(&rv, PMS, "RequestPowerStateChange", 4097);
	assert_string_equal(rv.name, "INVALID_STATE_TRANSITION");
	assert_int_equal(rv.value, 4097);
	/* ...not the PT_STATUS table, although 4097 is NOT_INITIALIZED there. */
	assert_string_not_equal(rv.name, "NOT_INITIALIZED");
	/* ...and AMT's own errors as 32768 + PT_STATUS. */
	amt_status_describe(&rv, PMS, "RequestPowerStateChange", 32768 + 0x24);
	assert_string_equal(rv.name, "INVALID_PARAMETER");
	assert_string_equal(rv.meaning, "AMT status 0x0024: invalid parameter");
	amt_status_describe(&rv, PMS, "RequestPowerStateChange", 34849);
	assert_string_equal(rv.name, "USER_CONSENT_REQUIRED");
	/* Boot methods read 3 and 6 differently. */
	amt_status_describe(&rv, BCS, "ChangeBootOrder", 3);
	assert_string_equal(rv.name, "BUSY");
	amt_status_describe(&rv, WSMAN_URI_CIM "CIM_BootService",
	    "SetBootConfigRole", 6);
	assert_string_equal(rv.name, "ACCESS_DENIED");
	amt_status_describe(&rv, PMS, "RequestPowerStateChange", 6);
	assert_string_equal(rv.name, "IN_USE");
	amt_status_describe(&rv, PMS, "RequestPowerStateChange", 77);
	assert_string_equal(rv.name, "UNKNOWN");
	assert_string_equal(rv.meaning, "unrecognised return value 77");
	amt_status_describe(&rv, PMS, "X", 32768 + 0x9999);
	assert_string_equal(rv.name, "UNKNOWN");

	/* AMT and IPS methods: PT_STATUS itself. */
	amt_status_describe(&rv, WSMAN_URI_AMT "AMT_PublicKeyManagementService",
	    "AddTrustedRootCertificate", 2058);
	assert_string_equal(rv.name, "DUPLICATE");
	assert_string_equal(rv.meaning, "AMT status 0x080A: duplicate");
	amt_status_describe(&rv, WSMAN_URI_AMT "AMT_X", "Y", 1);
	assert_string_equal(rv.name, "INTERNAL_ERROR");
	amt_status_describe(&rv, WSMAN_URI_IPS "IPS_HostBasedSetupService",
	    "Setup", 0x0821);
	assert_non_null(strstr(rv.meaning, "user consent required"));
	/* IPS_OptInService has its own small table. */
	amt_status_describe(&rv, WSMAN_URI_IPS "IPS_OptInService",
	    "SendOptInCode", 2);
	assert_string_equal(rv.name, "INVALID_STATE");
	amt_status_describe(&rv, WSMAN_URI_IPS "IPS_OptInService",
	    "SendOptInCode", 9);
	assert_string_equal(rv.name, "UNKNOWN");
	amt_status_describe(&rv, NULL, NULL, 0x0010);
	assert_string_equal(rv.name, "NOT_PERMITTED");
}

static void
test_power_names(void **state)
{
	enum amt_power_action a;

	(void)state;
	assert_int_equal(amt_power_action_parse("soft-reset", &a), 0);
	assert_int_equal(a, 14);
	assert_int_equal(amt_power_action_parse("nmi", &a), 0);
	assert_int_equal(a, 11);
	assert_int_equal(amt_power_action_parse("On", &a), MPS_ERR_USAGE);
	assert_int_equal(amt_power_action_parse(NULL, &a), MPS_ERR_USAGE);
	assert_string_equal(amt_power_action_str(AMT_POWER_CYCLE), "cycle");
	assert_null(amt_power_action_str((enum amt_power_action)6));

	assert_string_equal(amt_power_state_str(2), "on");
	assert_string_equal(amt_power_state_str(3), "sleep");
	assert_string_equal(amt_power_state_str(4), "sleep");
	assert_string_equal(amt_power_state_str(7), "hibernate");
	assert_string_equal(amt_power_state_str(6), "off");
	assert_string_equal(amt_power_state_str(8), "off");
	assert_string_equal(amt_power_state_str(13), "off");
	assert_string_equal(amt_power_state_str(9), "transitioning");
	assert_string_equal(amt_power_state_str(0), "unknown");
	assert_string_equal(amt_power_state_str(99), "unknown");

	assert_string_equal(amt_power_state_name(2), "On");
	assert_string_equal(amt_power_state_name(3), "Sleep - Light");
	assert_string_equal(amt_power_state_name(4), "Sleep - Deep");
	assert_string_equal(amt_power_state_name(6), "Off - Hard");
	assert_string_equal(amt_power_state_name(7), "Hibernate (Off - Soft)");
	assert_string_equal(amt_power_state_name(8), "Off - Soft");
	assert_string_equal(amt_power_state_name(10), "Master Bus Reset");
	assert_string_equal(amt_power_state_name(17),
	    "Diagnostic Interrupt (INIT)");
	assert_string_equal(amt_power_state_name(18), "Unknown");
}

static void
test_platform_uuid(void **state)
{
	char out[37];

	(void)state;
	/* The reference's worked example (MeshCentral/Go agree). */
	assert_int_equal(amt_identity_uuid("13AEE355D2BFBB6117A088AEDD7037EA",
	    out, sizeof out), 0);
	assert_string_equal(out, "55e3ae13-bfd2-61bb-17a0-88aedd7037ea");
	/* The AMT 15 capture's GUID: the Dell pattern of the design brief. */
	assert_int_equal(amt_identity_uuid("44454C4C4B0010428033B6C04F504633",
	    out, sizeof out), 0);
	assert_string_equal(out, "4c4c4544-004b-4210-8033-b6c04f504633");
	/* Dashes are tolerated, lower case too. */
	assert_int_equal(amt_identity_uuid(
	    "44454c4c-4b00-1042-8033-b6c04f504633", out, sizeof out), 0);
	assert_string_equal(out, "4c4c4544-004b-4210-8033-b6c04f504633");
	assert_int_equal(amt_identity_uuid("13AEE355", out, sizeof out),
	    MPS_ERR_INVALID);
	assert_string_equal(out, "");
	assert_int_equal(amt_identity_uuid("13AEE355D2BFBB6117A088AEDD7037EAFF",
	    out, sizeof out), MPS_ERR_INVALID);
	assert_int_equal(amt_identity_uuid("13AEE355D2BFBB6117A088AEDD7037EG",
	    out, sizeof out), MPS_ERR_INVALID);
	assert_int_equal(amt_identity_uuid("13AEE355D2BFBB6117A088AEDD7037E",
	    out, sizeof out), MPS_ERR_INVALID);
	assert_int_equal(amt_identity_uuid(NULL, out, sizeof out),
	    MPS_ERR_INVALID);
	assert_int_equal(amt_identity_uuid("13AEE355D2BFBB6117A088AEDD7037EA",
	    out, 36), MPS_ERR_NO_SPACE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pt_status_names),
		cmocka_unit_test(test_return_values),
		cmocka_unit_test(test_power_names),
		cmocka_unit_test(test_platform_uuid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
