/*
 * test_sim_amt.c: the simulated machine's state model: power transitions
 * from every state for every request, boot configuration armed, used by
 * one boot and cleared, AMT_BootSettingData values, enumeration contexts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mps_err.h"
#include "sim_wsman.h"

static const uint8_t t_uuid[16] = {
	0x44, 0x45, 0x4c, 0x4c, 0x4b, 0x00, 0x10, 0x42,
	0x80, 0x33, 0xb6, 0xc0, 0x4f, 0x50, 0x46, 0x33,
};

static void
test_init(void **state)
{
	struct sim_amt	a;
	size_t		i;

	sim_amt_init(&a, 7, t_uuid, SIM_AMT_ON);
	assert_string_equal(a.name, "sim-7");
	/* SMBIOS byte order: the first three groups are swapped. */
	assert_string_equal(a.guid, "4c4c4544-004b-4210-8033-b6c04f504633");
	assert_int_equal(strlen(a.realm), 7 + 32);
	assert_memory_equal(a.realm, "Digest:", 7);
	for (i = 7; i < 39; i++)
		assert_non_null(strchr("0123456789ABCDEF", a.realm[i]));
	assert_int_equal(a.power, 2);
	assert_int_equal(a.options_cleared, 1);
	assert_int_equal(a.boot_source, SIM_AMT_BOOT_NONE);
	assert_string_equal(sim_amt_power_name(a.power), "on");
	assert_string_equal(sim_amt_power_name(99), "unknown");
}

/* Every state x every request: the ReturnValue and the state after. */
static void
test_power_table(void **state)
{
	static const uint32_t states[] = { 2, 3, 4, 7, 8 };
	static const uint32_t reqs[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
	    12, 13, 14, 15, 16, 17, 99 };
	static const struct {
		uint32_t	from, req, rv, to;
	} want[] = {
		/* on: what the real capture offers */
		{ 2, 10, 0, 2 }, { 2, 8, 0, 8 }, { 2, 5, 0, 2 },
		{ 2, 11, 0, 2 }, { 2, 4, 0, 4 }, { 2, 7, 0, 7 },
		{ 2, 14, 0, 2 }, { 2, 12, 0, 8 },
		/* asleep: wake, off, reset, cycle */
		{ 3, 2, 0, 2 }, { 3, 8, 0, 8 }, { 3, 10, 0, 2 }, { 3, 5, 0, 2 },
		{ 4, 2, 0, 2 }, { 4, 8, 0, 8 }, { 4, 10, 0, 2 }, { 4, 5, 0, 2 },
		/* hibernating: resume or off */
		{ 7, 2, 0, 2 }, { 7, 8, 0, 8 },
		/* off: only on */
		{ 8, 2, 0, 2 },
	};
	struct sim_amt	a;
	const uint32_t	*avail;
	size_t		 s, r, k, n, i;
	uint32_t	 rv, to;

	for (s = 0; s < sizeof(states) / sizeof(states[0]); s++) {
		for (r = 0; r < sizeof(reqs) / sizeof(reqs[0]); r++) {
			sim_amt_init(&a, 0, t_uuid, states[s]);
			rv = 2;
			to = states[s];
			for (k = 0; k < sizeof(want) / sizeof(want[0]); k++)
				if (want[k].from == states[s] &&
				    want[k].req == reqs[r]) {
					rv = want[k].rv;
					to = want[k].to;
				}
			if (sim_amt_power_change(&a, reqs[r]) != rv ||
			    a.power != to)
				fail_msg("from %u request %u: rv/state %u/%u, "
				    "want %u/%u", states[s], reqs[r],
				    sim_amt_power_change(&a, reqs[r]), a.power,
				    rv, to);
			/* What is offered is exactly what succeeds. */
			sim_amt_init(&a, 0, t_uuid, states[s]);
			n = sim_amt_power_available(states[s], &avail);
			for (i = 0; i < n; i++)
				if (avail[i] == reqs[r])
					break;
			assert_int_equal(i < n, rv == 0);
		}
	}
	/* The capture's order, for the on state. */
	n = sim_amt_power_available(2, &avail);
	assert_int_equal(n, 8);
	assert_int_equal(avail[0], 10);
	assert_int_equal(avail[7], 12);
}

static void
test_boot_once(void **state)
{
	struct sim_amt	a;

	sim_amt_init(&a, 0, t_uuid, SIM_AMT_ON);
	/* The Open AMT sequence: clear, (Put), role 1, source. */
	assert_int_equal(sim_amt_change_boot_order(&a, NULL), 0);
	assert_int_equal(sim_amt_set_boot_role(&a,
	    "Intel(r) AMT: Boot Configuration 0", 1), 0);
	assert_int_equal(sim_amt_change_boot_order(&a,
	    "Intel(r) AMT: Force PXE Boot"), 0);
	assert_int_equal(a.boot_source, SIM_AMT_BOOT_PXE);
	assert_int_equal(a.options_cleared, 0);
	/* Power state requests that do not boot leave it armed. */
	assert_int_equal(sim_amt_power_change(&a, 11), 0);
	assert_int_equal(a.boot_source, SIM_AMT_BOOT_PXE);
	assert_int_equal(sim_amt_power_change(&a, 10), 0);
	assert_int_equal(a.last_boot, SIM_AMT_BOOT_PXE);
	assert_string_equal(sim_amt_boot_name(a.last_boot), "pxe");
	assert_int_equal(a.boots, 1);
	/* Used once: cleared. */
	assert_int_equal(a.boot_source, SIM_AMT_BOOT_NONE);
	assert_int_equal(a.boot_role, 0);
	assert_int_equal(a.options_cleared, 1);
	assert_int_equal(sim_amt_power_change(&a, 5), 0);
	assert_int_equal(a.last_boot, SIM_AMT_BOOT_NONE);

	/* BIOS setup: the flag with no source. */
	assert_int_equal(sim_amt_boot_put(&a, "BIOSSetup", "true"), 0);
	assert_int_equal(sim_amt_set_boot_role(&a,
	    "Intel(r) AMT: Boot Configuration 0", 1), 0);
	assert_int_equal(sim_amt_power_change(&a, 8), 0);
	assert_int_equal(a.boot[SIM_AMT_BF_BIOSSetup], 1);	/* not booted */
	assert_int_equal(sim_amt_power_change(&a, 2), 0);
	assert_int_equal(a.last_boot, SIM_AMT_BOOT_BIOS_SETUP);
	assert_int_equal(a.boot[SIM_AMT_BF_BIOSSetup], 0);

	/* A source without the role armed is not used. */
	assert_int_equal(sim_amt_change_boot_order(&a,
	    "Intel(r) AMT: Force CD/DVD Boot"), 0);
	assert_int_equal(sim_amt_power_change(&a, 10), 0);
	assert_int_equal(a.last_boot, SIM_AMT_BOOT_NONE);

	/* Bad references and roles. */
	assert_int_equal(sim_amt_change_boot_order(&a,
	    "Intel(r) AMT: Force Floppy Boot"), 4);
	assert_int_equal(sim_amt_set_boot_role(&a, "Boot Configuration 1", 1),
	    4);
	assert_int_equal(sim_amt_set_boot_role(&a, NULL, 1), 4);
	assert_int_equal(sim_amt_set_boot_role(&a,
	    "Intel(r) AMT: Boot Configuration 0", 2), 5);
	assert_int_equal(sim_amt_set_boot_role(&a,
	    "Intel(r) AMT: Boot Configuration 0", 32768), 0);
	assert_int_equal(a.boot_role, 32768);
}

static void
test_boot_fields(void **state)
{
	struct sim_amt	a;
	char		v[16];
	int		i;

	sim_amt_init(&a, 0, t_uuid, SIM_AMT_ON);
	for (i = 0; i < SIM_AMT_BF_COUNT; i++) {
		const char *name = sim_amt_boot_field_name(
		    (enum sim_amt_boot_field)i);

		assert_int_equal(sim_amt_boot_field_find(name), i);
		sim_amt_boot_value(&a, (enum sim_amt_boot_field)i, v,
		    sizeof(v));
		assert_string_equal(v, sim_amt_boot_field_is_bool(
		    (enum sim_amt_boot_field)i) ? "false" : "0");
	}
	assert_int_equal(sim_amt_boot_field_find("OwningEntity"), -1);
	assert_int_equal(sim_amt_boot_put(&a, "UseSOL", "TRUE"), 0);
	assert_int_equal(sim_amt_boot_put(&a, "BootMediaIndex", "2"), 0);
	assert_int_equal(sim_amt_boot_put(&a, "UseSOL", "1"), MPS_ERR_INVALID);
	assert_int_equal(sim_amt_boot_put(&a, "BootMediaIndex", "x"),
	    MPS_ERR_INVALID);
	assert_int_equal(sim_amt_boot_put(&a, "BootMediaIndex", "-1"),
	    MPS_ERR_INVALID);
	assert_int_equal(sim_amt_boot_put(&a, "BootMediaIndex", "256"),
	    MPS_ERR_INVALID);
	/* Read-only properties are kept, not refused. */
	assert_int_equal(sim_amt_boot_put(&a, "BIOSLastStatus", "junk"), 0);
	sim_amt_boot_value(&a, SIM_AMT_BF_UseSOL, v, sizeof(v));
	assert_string_equal(v, "true");
	sim_amt_boot_value(&a, SIM_AMT_BF_BootMediaIndex, v, sizeof(v));
	assert_string_equal(v, "2");
	assert_int_equal(a.options_cleared, 0);
}

static void
test_enum_contexts(void **state)
{
	struct sim_fixture	fx = { 0 };
	struct sim_amt		a;
	struct sim_amt_enum	*e[SIM_AMT_ENUMS + 1];
	char			 first[SIM_AMT_CONTEXT_LEN];
	int			 i;

	sim_amt_init(&a, 3, t_uuid, SIM_AMT_ON);
	for (i = 0; i < SIM_AMT_ENUMS; i++) {
		e[i] = sim_amt_enum_open(&a, &fx, "urn:x", 100 + i);
		assert_non_null(e[i]);
		assert_int_equal(strlen(e[i]->ctx), 36);
	}
	strcpy(first, e[0]->ctx);
	assert_ptr_equal(sim_amt_enum_find(&a, first), e[0]);
	/* Full: the least recently used one goes. */
	e[0]->used_ms = 500;
	e[SIM_AMT_ENUMS] = sim_amt_enum_open(&a, &fx, "urn:y", 600);
	assert_ptr_equal(e[SIM_AMT_ENUMS], e[1]);
	assert_ptr_equal(sim_amt_enum_find(&a, first), e[0]);
	assert_string_equal(e[1]->uri, "urn:y");
	sim_amt_enum_close(e[0]);
	assert_null(sim_amt_enum_find(&a, first));
	assert_null(sim_amt_enum_find(&a, ""));
	sim_amt_clear(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_power_table),
		cmocka_unit_test(test_boot_once),
		cmocka_unit_test(test_boot_fields),
		cmocka_unit_test(test_enum_contexts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
