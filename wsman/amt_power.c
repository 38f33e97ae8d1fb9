/*
 * amt_power.c: power state and power actions.
 *
 * State: Get CIM_AssociatedPowerManagementService (a singleton on AMT;
 * no selector needed).  Action: Invoke
 * CIM_PowerManagementService.RequestPowerStateChange with the wanted
 * PowerState and the managed system's EPR.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amt_op_int.h"
#include "mps_err.h"

#define AMT_APMS	"CIM_AssociatedPowerManagementService"
#define AMT_PMS_URI	WSMAN_URI_CIM "CIM_PowerManagementService"
#define AMT_CS_URI	WSMAN_URI_CIM "CIM_ComputerSystem"

static const struct {
	const char		*name;
	enum amt_power_action	 action;
} amt_power_actions[] = {
	{ "on", AMT_POWER_ON },
	{ "off", AMT_POWER_OFF },
	{ "cycle", AMT_POWER_CYCLE },
	{ "reset", AMT_POWER_RESET },
	{ "sleep", AMT_POWER_SLEEP },
	{ "hibernate", AMT_POWER_HIBERNATE },
	{ "soft-off", AMT_POWER_SOFT_OFF },
	{ "soft-reset", AMT_POWER_SOFT_RESET },
	{ "nmi", AMT_POWER_NMI },
};

/* DMTF CIM_PowerManagementService PowerState value map, 0..17. */
static const char *const amt_power_names[] = {
	"Unknown", "Other", "On", "Sleep - Light", "Sleep - Deep",
	"Power Cycle (Off - Soft)", "Off - Hard", "Hibernate (Off - Soft)",
	"Off - Soft", "Power Cycle (Off - Hard)", "Master Bus Reset",
	"Diagnostic Interrupt (NMI)", "Off - Soft Graceful",
	"Off - Hard Graceful", "Master Bus Reset Graceful",
	"Power Cycle (Off - Soft Graceful)",
	"Power Cycle (Off - Hard Graceful)", "Diagnostic Interrupt (INIT)",
};

int
amt_power_action_parse(const char *name, enum amt_power_action *out)
{
	size_t i;

	if (name == NULL)
		return MPS_ERR_USAGE;
	for (i = 0; i < sizeof amt_power_actions / sizeof amt_power_actions[0];
	    i++)
		if (strcmp(name, amt_power_actions[i].name) == 0) {
			*out = amt_power_actions[i].action;
			return 0;
		}
	return MPS_ERR_USAGE;
}

const char *
amt_power_action_str(enum amt_power_action a)
{
	size_t i;

	for (i = 0; i < sizeof amt_power_actions / sizeof amt_power_actions[0];
	    i++)
		if (amt_power_actions[i].action == a)
			return amt_power_actions[i].name;
	return NULL;
}

const char *
amt_power_state_str(uint32_t s)
{
	switch (s) {
	case 2:
		return "on";
	case 3:
	case 4:
		return "sleep";
	case 7:
		return "hibernate";
	case 6:
	case 8:
	case 13:
		return "off";
	case 9:
		return "transitioning";
	default:
		return "unknown";
	}
}

const char *
amt_power_state_name(uint32_t s)
{
	if (s >= sizeof amt_power_names / sizeof amt_power_names[0])
		return "Unknown";
	return amt_power_names[s];
}

static int
amt_power_valid(enum amt_power_action a)
{
	return amt_power_action_str(a) != NULL;
}

int
amt_power_state_new(struct wsman_ctx *ctx, struct amt_op **out)
{
	return amt_op_alloc(ctx, AMT_OP_POWER_STATE, AMT_ST_POWER_GET, out);
}

int
amt_power_action_new(struct wsman_ctx *ctx, enum amt_power_action action,
    struct amt_op **out)
{
	int r;

	*out = NULL;
	if (!amt_power_valid(action))
		return MPS_ERR_USAGE;
	if ((r = amt_op_alloc(ctx, AMT_OP_POWER_ACTION, AMT_ST_POWER_CHANGE,
	    out)) != 0)
		return r;
	(*out)->action = action;
	return 0;
}

int
amt_power_build_get(struct amt_op *op)
{
	struct wsman_request req = {
		.action = WSMAN_GET,
		.resource_uri = WSMAN_URI_CIM AMT_APMS,
	};

	return amt_op_emit(op, &req);
}

int
amt_power_handle_get(struct amt_op *op, const struct wsman_resp *resp)
{
	struct amt_power_info *pi = &op->res.power;
	static const char ns[] = WSMAN_URI_CIM AMT_APMS;
	xmlNode *inst, *n;
	uint32_t v;

	/* Properties live in the class namespace, whatever its prefix. */
	inst = wsman_resp_payload(resp);
	if (!wsman_xml_is(inst, ns, AMT_APMS))
		return MPS_ERR_XML;
	if ((n = wsman_xml_child(inst, ns, "PowerState")) == NULL ||
	    wsman_xml_u32(n, &pi->power_state) != 0)
		return MPS_ERR_XML;
	pi->known = 1;
	pi->navailable = 0;
	for (n = wsman_xml_child(inst, ns, "AvailableRequestedPowerStates");
	    n != NULL;
	    n = wsman_xml_next(n, ns, "AvailableRequestedPowerStates")) {
		if (pi->navailable == AMT_MAX_POWER_STATES)
			return MPS_ERR_LIMIT;
		if (wsman_xml_u32(n, &v) != 0)
			return MPS_ERR_XML;
		pi->available[pi->navailable++] = v;
	}
	return op->kind == AMT_OP_BOOT ? AMT_ST_BOOT_GET : AMT_ST_DONE;
}

int
amt_power_build_change(struct amt_op *op)
{
	static const struct wsman_selector cs[] = {
		{ "CreationClassName", "CIM_ComputerSystem" },
		{ "Name", "ManagedSystem" },
	};
	struct wsman_param params[2];
	struct wsman_request req = {
		.action = WSMAN_INVOKE,
		.resource_uri = AMT_PMS_URI,
		.method = "RequestPowerStateChange",
		.params = params,
		.nparams = 2,
	};
	enum amt_power_action a;
	char num[16], *epr;
	int r;

	if (op->kind == AMT_OP_BOOT)
		/* A "power on" to a running box does nothing: reset it. */
		a = op->res.power.known && op->res.power.power_state == 2 ?
		    AMT_POWER_RESET : AMT_POWER_ON;
	else
		a = op->action;
	snprintf(num, sizeof num, "%u", (unsigned)a);
	if ((r = wsman_epr_build(AMT_CS_URI, cs, 2, &epr, NULL)) != 0)
		return r;
	params[0] = (struct wsman_param){ "PowerState", num, 0 };
	params[1] = (struct wsman_param){ "ManagedElement", epr, 1 };
	r = amt_op_emit(op, &req);
	free(epr);
	if (r == 0)
		op->res.power.requested = (uint32_t)a;
	return r;
}

int
amt_power_handle_change(struct amt_op *op, const struct wsman_resp *resp)
{
	int r;

	if ((r = amt_op_method(op, resp, AMT_PMS_URI,
	    "RequestPowerStateChange", NULL)) != 0)
		return r;
	return AMT_ST_DONE;
}
