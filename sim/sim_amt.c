/*
 * sim_amt.c: one simulated machine behind a simulated AMT: its power
 * state, its boot configuration and what the last boot used, its clock,
 * and the WS-Man bookkeeping (nonces, enumeration contexts) that must
 * outlive a single HTTP connection.
 *
 * Power model (DMTF PowerState, what RequestPowerStateChange takes):
 *
 *	state         offers (AvailableRequestedPowerStates)
 *	2 on          10 8 5 11 4 7 14 12   (a real AMT 12 capture, on)
 *	4 sleep       2 8 10 5
 *	3 sleep-light 2 8 10 5
 *	7 hibernate   2 8
 *	8 off         2
 *
 *	request       effect
 *	2 on          -> 2, boots
 *	5 cycle, 10 reset, 14 soft-reset -> 2, boots
 *	8 off, 12 soft-off -> 8
 *	4 sleep       -> 4
 *	7 hibernate   -> 7
 *	11 NMI        stays on
 *
 * A request the current state does not offer returns 2 (Unknown or
 * Unspecified Error) and changes nothing; which of 2 and 4097 (Invalid
 * State Transition) real firmware uses is not recorded in any capture we
 * have, and clients must treat any nonzero value as failure anyway.
 *
 * Boot: ChangeBootOrder picks a source (or clears it), SetBootConfigRole
 * 1 arms it for the next boot only, AMT_BootSettingData holds the flags
 * (BIOSSetup...).  A boot (power on, reset, cycle) with the role armed
 * uses the source, or BIOS setup if that flag is set, records it in
 * last_boot, then clears everything as AMT does after one boot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apf.h"
#include "mps_err.h"
#include "sim_wsman.h"

static const struct {
	uint32_t	 value;
	const char	*name;
} sim_amt_powers[] = {
#define SIM_AP_NAME(name, value, str) { value, str },
	SIM_AMT_POWER_STATES(SIM_AP_NAME)
#undef SIM_AP_NAME
};

static const struct {
	const char	*id;
	const char	*name;
} sim_amt_boots[] = {
#define SIM_AB_NAME(name, id, str) { id, str },
	SIM_AMT_BOOT_SOURCES(SIM_AB_NAME)
#undef SIM_AB_NAME
};

static const struct {
	const char	*name;
	int		 is_bool;
} sim_amt_fields[] = {
#define SIM_BF_NAME(name, is_bool) { #name, is_bool },
	SIM_AMT_BOOT_FIELDS(SIM_BF_NAME)
#undef SIM_BF_NAME
};

static const uint32_t sim_amt_avail_on[] = { 10, 8, 5, 11, 4, 7, 14, 12 };
static const uint32_t sim_amt_avail_sleep[] = { 2, 8, 10, 5 };
static const uint32_t sim_amt_avail_hibernate[] = { 2, 8 };
static const uint32_t sim_amt_avail_off[] = { 2 };

#define SIM_AMT_NELEM(a)	(sizeof(a) / sizeof((a)[0]))

const char *
sim_amt_power_name(uint32_t power_state)
{
	size_t	i;

	for (i = 0; i < SIM_AMT_NELEM(sim_amt_powers); i++)
		if (sim_amt_powers[i].value == power_state)
			return sim_amt_powers[i].name;
	return "unknown";
}

const char *
sim_amt_boot_name(enum sim_amt_boot b)
{
	if ((unsigned)b >= SIM_AMT_BOOT_COUNT)
		return "?";
	return sim_amt_boots[b].name;
}

const char *
sim_amt_boot_field_name(enum sim_amt_boot_field f)
{
	if ((unsigned)f >= SIM_AMT_BF_COUNT)
		return "?";
	return sim_amt_fields[f].name;
}

int
sim_amt_boot_field_is_bool(enum sim_amt_boot_field f)
{
	return (unsigned)f < SIM_AMT_BF_COUNT && sim_amt_fields[f].is_bool;
}

int
sim_amt_boot_field_find(const char *name)
{
	size_t	i;

	for (i = 0; i < SIM_AMT_BF_COUNT; i++)
		if (strcmp(sim_amt_fields[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* The realm is fixed per platform; derive it from the GUID so each
 * simulated device has its own and keeps it across runs. */
static void
sim_amt_realm(struct sim_amt *a)
{
	char	hex[33];
	size_t	i;

	if (sim_digest_md5_hex((const char *)a->uuid, sizeof(a->uuid), hex) !=
	    0)
		memset(hex, '0', 32);
	hex[32] = '\0';
	for (i = 0; i < 32; i++)
		if (hex[i] >= 'a' && hex[i] <= 'f')
			hex[i] = (char)(hex[i] - 'a' + 'A');
	snprintf(a->realm, sizeof(a->realm), "Digest:%s", hex);
}

static void
sim_amt_boot_clear(struct sim_amt *a)
{
	memset(a->boot, 0, sizeof(a->boot));
	a->boot_source = SIM_AMT_BOOT_NONE;
	a->boot_role = SIM_AMT_ROLE_NONE;
	a->options_cleared = 1;
}

void
sim_amt_init(struct sim_amt *a, uint32_t index, const uint8_t uuid[16],
    uint32_t power)
{
	memset(a, 0, sizeof(*a));
	a->index = index;
	memcpy(a->uuid, uuid, sizeof(a->uuid));
	apf_guid_format(a->uuid, a->guid);
	snprintf(a->name, sizeof(a->name), "sim-%u", index);
	sim_amt_realm(a);
	a->power = power;
	a->last_boot = SIM_AMT_BOOT_NONE;
	sim_amt_boot_clear(a);
}

void
sim_amt_clear(struct sim_amt *a)
{
	size_t	i;

	for (i = 0; i < SIM_AMT_ENUMS; i++)
		sim_amt_enum_close(&a->enums[i]);
}

size_t
sim_amt_power_available(uint32_t power_state, const uint32_t **list)
{
	switch (power_state) {
	case SIM_AMT_ON:
		*list = sim_amt_avail_on;
		return SIM_AMT_NELEM(sim_amt_avail_on);
	case SIM_AMT_SLEEP_LIGHT:
	case SIM_AMT_SLEEP_DEEP:
		*list = sim_amt_avail_sleep;
		return SIM_AMT_NELEM(sim_amt_avail_sleep);
	case SIM_AMT_HIBERNATE:
		*list = sim_amt_avail_hibernate;
		return SIM_AMT_NELEM(sim_amt_avail_hibernate);
	default:
		*list = sim_amt_avail_off;
		return SIM_AMT_NELEM(sim_amt_avail_off);
	}
}

/* A boot: use an armed single-use configuration, then forget it. */
static void
sim_amt_boot_now(struct sim_amt *a)
{
	a->boots++;
	if (a->boot_role == SIM_AMT_ROLE_NEXT_SINGLE_USE) {
		if (a->boot_source != SIM_AMT_BOOT_NONE)
			a->last_boot = a->boot_source;
		else if (a->boot[SIM_AMT_BF_BIOSSetup])
			a->last_boot = SIM_AMT_BOOT_BIOS_SETUP;
		else
			a->last_boot = SIM_AMT_BOOT_NONE;
	} else
		a->last_boot = SIM_AMT_BOOT_NONE;
	sim_amt_boot_clear(a);
}

uint32_t
sim_amt_power_change(struct sim_amt *a, uint32_t requested)
{
	const uint32_t	*avail;
	size_t		 n, i;

	n = sim_amt_power_available(a->power, &avail);
	for (i = 0; i < n; i++)
		if (avail[i] == requested)
			break;
	if (i == n)
		return SIM_AMT_RV_UNSPECIFIED;
	switch (requested) {
	case 2:		/* on */
	case 5:		/* power cycle */
	case 10:	/* master bus reset */
	case 14:	/* graceful reset */
		a->power = SIM_AMT_ON;
		sim_amt_boot_now(a);
		break;
	case 8:		/* off - soft */
	case 12:	/* off - soft graceful */
		a->power = SIM_AMT_OFF;
		break;
	case 4:
		a->power = SIM_AMT_SLEEP_DEEP;
		break;
	case 7:
		a->power = SIM_AMT_HIBERNATE;
		break;
	case 11:	/* NMI: the OS sees an interrupt, power stays */
		break;
	default:
		return SIM_AMT_RV_UNSPECIFIED;
	}
	return SIM_AMT_RV_OK;
}

uint32_t
sim_amt_change_boot_order(struct sim_amt *a, const char *source)
{
	size_t	i;

	if (source == NULL) {
		a->boot_source = SIM_AMT_BOOT_NONE;
		return SIM_AMT_RV_OK;
	}
	for (i = 0; i < SIM_AMT_BOOT_COUNT; i++)
		if (sim_amt_boots[i].id != NULL &&
		    strcmp(sim_amt_boots[i].id, source) == 0) {
			a->boot_source = (enum sim_amt_boot)i;
			a->options_cleared = 0;
			return SIM_AMT_RV_OK;
		}
	/* Not a CIM_BootSourceSetting this platform has. */
	return SIM_AMT_RV_INVALID_REF;
}

uint32_t
sim_amt_set_boot_role(struct sim_amt *a, const char *config, uint32_t role)
{
	if (config == NULL ||
	    strcmp(config, "Intel(r) AMT: Boot Configuration 0") != 0)
		return SIM_AMT_RV_INVALID_REF;
	if (role != SIM_AMT_ROLE_NEXT_SINGLE_USE &&
	    role != SIM_AMT_ROLE_NOT_NEXT)
		return SIM_AMT_RV_INVALID_PARAM;
	a->boot_role = role;
	return SIM_AMT_RV_OK;
}

int
sim_amt_boot_put(struct sim_amt *a, const char *name, const char *value)
{
	char		*end;
	unsigned long	 v;
	int		 f;

	if ((f = sim_amt_boot_field_find(name)) < 0)
		return 0;
	if (sim_amt_fields[f].is_bool) {
		if (strcasecmp(value, "true") == 0)
			a->boot[f] = 1;
		else if (strcasecmp(value, "false") == 0)
			a->boot[f] = 0;
		else
			return MPS_ERR_INVALID;
	} else {
		if (value[0] < '0' || value[0] > '9')
			return MPS_ERR_INVALID;
		v = strtoul(value, &end, 10);
		if (*end != '\0' || v > 255)
			return MPS_ERR_INVALID;
		a->boot[f] = (uint32_t)v;
	}
	a->options_cleared = 0;
	return 0;
}

void
sim_amt_boot_value(const struct sim_amt *a, enum sim_amt_boot_field f,
    char *buf, size_t len)
{
	if ((unsigned)f >= SIM_AMT_BF_COUNT) {
		snprintf(buf, len, "?");
		return;
	}
	if (sim_amt_fields[f].is_bool)
		snprintf(buf, len, "%s", a->boot[f] ? "true" : "false");
	else
		snprintf(buf, len, "%u", a->boot[f]);
}

struct sim_amt_enum *
sim_amt_enum_open(struct sim_amt *a, const struct sim_fixture *fx,
    const char *uri, uint64_t now_ms)
{
	struct sim_amt_enum	*e = NULL;
	size_t			 i;

	/* A free slot, else the least recently used: an abandoned
	 * enumeration just expires, as AMT lets contexts expire. */
	for (i = 0; i < SIM_AMT_ENUMS; i++) {
		if (a->enums[i].ctx[0] == '\0') {
			e = &a->enums[i];
			break;
		}
		if (e == NULL || a->enums[i].used_ms < e->used_ms)
			e = &a->enums[i];
	}
	sim_amt_enum_close(e);
	if ((e->uri = strdup(uri)) == NULL)
		return NULL;
	/* AMT's contexts look like 14000000-0000-0000-0000-000000000000. */
	snprintf(e->ctx, sizeof(e->ctx), "%08X-0000-0000-0000-%012X",
	    ++a->enum_seq, a->index);
	e->fx = fx;
	e->offset = 0;
	e->used_ms = now_ms;
	return e;
}

struct sim_amt_enum *
sim_amt_enum_find(struct sim_amt *a, const char *ctx)
{
	size_t	i;

	for (i = 0; i < SIM_AMT_ENUMS; i++)
		if (a->enums[i].ctx[0] != '\0' &&
		    strcmp(a->enums[i].ctx, ctx) == 0)
			return &a->enums[i];
	return NULL;
}

void
sim_amt_enum_close(struct sim_amt_enum *e)
{
	free(e->uri);
	memset(e, 0, sizeof(*e));
}
