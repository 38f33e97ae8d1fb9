/*
 * amt_boot.c: next-boot target (PXE, BIOS setup, hard drive, CD/DVD).
 *
 * AMT refuses a boot source while BIOSSetup, BIOSPause, ReflashBIOS or
 * UseIDER are set, and refuses those flags while a source is set, so
 * stale settings from an earlier request can make any single step fail.
 * The robust order used by Open AMT clears both sides first:
 *
 *   1. Get AMT_BootSettingData
 *   2. Invoke CIM_BootConfigSetting.ChangeBootOrder()      (no source)
 *   3. Put AMT_BootSettingData (the Get result, boot flags rewritten)
 *   4. Invoke CIM_BootService.SetBootConfigRole(Boot Configuration 0, 1)
 *   5. Invoke CIM_BootConfigSetting.ChangeBootOrder(source) (none: BIOS)
 *
 * With reboot, the power state is read before step 1 and step 6 is a
 * RequestPowerStateChange: reset if the device is on, power on if not.
 */
#include <stdlib.h>
#include <string.h>

#include "amt_op_int.h"
#include "mps_err.h"

#define AMT_BSD		"AMT_BootSettingData"
#define AMT_BSD_URI	WSMAN_URI_AMT AMT_BSD
#define AMT_BCS_URI	WSMAN_URI_CIM "CIM_BootConfigSetting"
#define AMT_BSS_URI	WSMAN_URI_CIM "CIM_BootSourceSetting"
#define AMT_BS_URI	WSMAN_URI_CIM "CIM_BootService"
#define AMT_BOOT_CONFIG	"Intel(r) AMT: Boot Configuration 0"

static const struct {
	const char	*name;
	const char	*source;	/* CIM_BootSourceSetting InstanceID */
} amt_boot_targets[] = {
	[AMT_BOOT_PXE] = { "pxe", "Intel(r) AMT: Force PXE Boot" },
	[AMT_BOOT_BIOS] = { "bios", NULL },
	[AMT_BOOT_HDD] = { "hdd", "Intel(r) AMT: Force Hard-drive Boot" },
	[AMT_BOOT_CD] = { "cd", "Intel(r) AMT: Force CD/DVD Boot" },
};

#define AMT_NTARGETS \
	(sizeof amt_boot_targets / sizeof amt_boot_targets[0])

/*
 * Flags that select a special boot or lock the console: all cleared so
 * nothing from an earlier request rides along with this one.  BIOSSetup
 * is then set again for the bios target.
 */
static const char *const amt_boot_clear[] = {
	"BIOSPause", "BIOSSetup", "ConfigurationDataReset", "LockKeyboard",
	"LockPowerButton", "LockResetButton", "LockSleepButton",
	"PlatformErase", "ReflashBIOS", "SecureErase", "UseIDER", "UseSOL",
	"UseSafeMode", "UserPasswordBypass",
};

/* Numbers reset to their defaults: boot the first medium of the kind. */
static const char *const amt_boot_zero[] = {
	"BootMediaIndex", "IDERBootDevice",
};

int
amt_boot_target_parse(const char *name, enum amt_boot_target *out)
{
	size_t i;

	if (name == NULL)
		return MPS_ERR_USAGE;
	for (i = 0; i < AMT_NTARGETS; i++)
		if (strcmp(name, amt_boot_targets[i].name) == 0) {
			*out = (enum amt_boot_target)i;
			return 0;
		}
	return MPS_ERR_USAGE;
}

const char *
amt_boot_target_str(enum amt_boot_target t)
{
	if ((unsigned)t >= AMT_NTARGETS)
		return NULL;
	return amt_boot_targets[t].name;
}

int
amt_boot_new(struct wsman_ctx *ctx, enum amt_boot_target target, int reboot,
    struct amt_op **out)
{
	int r;

	*out = NULL;
	if ((unsigned)target >= AMT_NTARGETS)
		return MPS_ERR_USAGE;
	if ((r = amt_op_alloc(ctx, AMT_OP_BOOT,
	    reboot ? AMT_ST_POWER_GET : AMT_ST_BOOT_GET, out)) != 0)
		return r;
	(*out)->target = target;
	(*out)->reboot = reboot != 0;
	(*out)->res.boot.target = target;
	(*out)->res.boot.reboot = reboot != 0;
	return 0;
}

int
amt_boot_build_get(struct amt_op *op)
{
	struct wsman_request req = {
		.action = WSMAN_GET,
		.resource_uri = AMT_BSD_URI,
	};

	return amt_op_emit(op, &req);
}

/* Set every property called name (there is one) to value. */
static int
amt_boot_set(xmlNode *inst, const char *name, const char *value)
{
	xmlNode *n;
	int found = 0;

	for (n = wsman_xml_child(inst, AMT_BSD_URI, name); n != NULL;
	    n = wsman_xml_next(n, AMT_BSD_URI, name)) {
		xmlNodeSetContent(n, BAD_CAST value);
		found = 1;
	}
	return found;
}

int
amt_boot_handle_get(struct amt_op *op, const struct wsman_resp *resp)
{
	xmlNode *inst;
	size_t i;

	inst = wsman_resp_payload(resp);
	if (!wsman_xml_is(inst, AMT_BSD_URI, AMT_BSD))
		return MPS_ERR_XML;
	/*
	 * Edit the instance in place and send it all back: AMT validates a
	 * Put against the class schema, element order included, so the
	 * Get result is the only safe template.  Properties this firmware
	 * lacks are left absent rather than invented.
	 */
	for (i = 0; i < sizeof amt_boot_clear / sizeof amt_boot_clear[0]; i++)
		(void)amt_boot_set(inst, amt_boot_clear[i], "false");
	for (i = 0; i < sizeof amt_boot_zero / sizeof amt_boot_zero[0]; i++)
		(void)amt_boot_set(inst, amt_boot_zero[i], "0");
	if (op->target == AMT_BOOT_BIOS &&
	    !amt_boot_set(inst, "BIOSSetup", "true"))
		return MPS_ERR_XML;
	free(op->boot_put);
	op->boot_put = NULL;
	if (wsman_xml_fragment(inst, &op->boot_put, NULL) != 0)
		return MPS_ERR_NOMEM;
	return AMT_ST_BOOT_CLEAR;
}

/* ChangeBootOrder with source (InstanceID) or, for NULL, no Source. */
static int
amt_boot_change_order(struct amt_op *op, const char *source)
{
	struct wsman_selector sel = { "InstanceID", source };
	struct wsman_param param;
	struct wsman_request req = {
		.action = WSMAN_INVOKE,
		.resource_uri = AMT_BCS_URI,
		.method = "ChangeBootOrder",
	};
	char *epr = NULL;
	int r;

	if (source != NULL) {
		r = wsman_epr_build(AMT_BSS_URI, &sel, 1, &epr, NULL);
		if (r != 0)
			return r;
		param = (struct wsman_param){ "Source", epr, 1 };
		req.params = &param;
		req.nparams = 1;
	}
	r = amt_op_emit(op, &req);
	free(epr);
	return r;
}

int
amt_boot_build_clear(struct amt_op *op)
{
	return amt_boot_change_order(op, NULL);
}

int
amt_boot_handle_clear(struct amt_op *op, const struct wsman_resp *resp)
{
	int r;

	if ((r = amt_op_method(op, resp, AMT_BCS_URI, "ChangeBootOrder",
	    NULL)) != 0)
		return r;
	return AMT_ST_BOOT_PUT;
}

int
amt_boot_build_put(struct amt_op *op)
{
	struct wsman_request req = {
		.action = WSMAN_PUT,
		.resource_uri = AMT_BSD_URI,
		.instance = op->boot_put,
		.instance_len = op->boot_put != NULL ? strlen(op->boot_put) : 0,
	};

	return amt_op_emit(op, &req);
}

int
amt_boot_handle_put(struct amt_op *op, const struct wsman_resp *resp)
{
	xmlNode *p;

	/* PutResponse carries the instance as stored; anything else in the
	 * Body means the device answered something other than our Put. */
	p = wsman_resp_payload(resp);
	if (p != NULL && !wsman_xml_is(p, AMT_BSD_URI, AMT_BSD))
		return MPS_ERR_XML;
	return AMT_ST_BOOT_ROLE;
}

int
amt_boot_build_role(struct amt_op *op)
{
	struct wsman_selector sel = { "InstanceID", AMT_BOOT_CONFIG };
	struct wsman_param params[2];
	struct wsman_request req = {
		.action = WSMAN_INVOKE,
		.resource_uri = AMT_BS_URI,
		.method = "SetBootConfigRole",
		.params = params,
		.nparams = 2,
	};
	char *epr;
	int r;

	if ((r = wsman_epr_build(AMT_BCS_URI, &sel, 1, &epr, NULL)) != 0)
		return r;
	params[0] = (struct wsman_param){ "BootConfigSetting", epr, 1 };
	/* Role 1 = IsNextSingleUse, the only role AMT 7+ supports besides
	 * 32768 (IsNotNext): the setting applies to the next boot only. */
	params[1] = (struct wsman_param){ "Role", "1", 0 };
	r = amt_op_emit(op, &req);
	free(epr);
	return r;
}

int
amt_boot_handle_role(struct amt_op *op, const struct wsman_resp *resp)
{
	int r;

	if ((r = amt_op_method(op, resp, AMT_BS_URI, "SetBootConfigRole",
	    NULL)) != 0)
		return r;
	return AMT_ST_BOOT_ORDER;
}

int
amt_boot_build_order(struct amt_op *op)
{
	return amt_boot_change_order(op, amt_boot_targets[op->target].source);
}

int
amt_boot_handle_order(struct amt_op *op, const struct wsman_resp *resp)
{
	int r;

	if ((r = amt_op_method(op, resp, AMT_BCS_URI, "ChangeBootOrder",
	    NULL)) != 0)
		return r;
	return op->reboot ? AMT_ST_POWER_CHANGE : AMT_ST_DONE;
}
