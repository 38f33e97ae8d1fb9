/*
 * amt_identity.c: who the device is.
 *
 *   Enumerate+Pull CIM_SoftwareIdentity  -> AMT version, build, SKU
 *   Get AMT_GeneralSettings              -> host name, domain, realm
 *   Get CIM_ComputerSystemPackage        -> PlatformGUID, UUID
 *   Get AMT_SetupAndConfigurationService -> provisioning mode and state
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "amt_op_int.h"
#include "mps_err.h"

const char *
amt_identity_mode_str(int mode)
{
	switch (mode) {
	case 1:
		return "admin";
	case 4:
		return "client";
	default:
		return "unknown";
	}
}

const char *
amt_identity_state_str(int state)
{
	switch (state) {
	case 0:
		return "pre";
	case 1:
		return "in";
	case 2:
		return "post";
	default:
		return "unknown";
	}
}

static int
amt_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
amt_identity_uuid(const char *guid, char *out, size_t len)
{
	/* SMBIOS stores the first three UUID fields little-endian. */
	static const int order[16] = {
		3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15
	};
	unsigned char b[16];
	size_t i, n = 0;
	int hi, lo;

	if (len < 37)
		return MPS_ERR_NO_SPACE;
	out[0] = '\0';
	if (guid == NULL)
		return MPS_ERR_INVALID;
	for (i = 0; guid[i] != '\0'; i++) {
		if (guid[i] == '-')
			continue;
		if (n == 16 || (hi = amt_hexval(guid[i])) < 0 ||
		    (lo = amt_hexval(guid[i + 1])) < 0)
			return MPS_ERR_INVALID;
		b[n++] = (unsigned char)(hi << 4 | lo);
		i++;
	}
	if (n != 16)
		return MPS_ERR_INVALID;
	for (i = 0, n = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[n++] = '-';
		snprintf(out + n, 3, "%02x", b[order[i]]);
		n += 2;
	}
	out[n] = '\0';
	return 0;
}

int
amt_identity_new(struct wsman_ctx *ctx, struct amt_op **out)
{
	struct amt_op *op;
	int r;

	r = amt_op_alloc(ctx, AMT_OP_IDENTITY, AMT_ST_ENUMERATE, out);
	if (r != 0)
		return r;
	op = *out;
	snprintf(op->enum_uri, sizeof op->enum_uri, "%s",
	    WSMAN_URI_CIM "CIM_SoftwareIdentity");
	op->enum_list = &op->swid;
	op->after_enum = AMT_ST_ID_GENERAL;
	op->enum_done = amt_identity_swid_done;
	return 0;
}

static void
amt_identity_copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

/* VersionString of the software identity with InstanceID id. */
static const char *
amt_identity_swid(const struct amt_op *op, const char *id)
{
	const struct wsman_instance *i;

	i = wsman_instances_find(&op->swid, "InstanceID", id);
	return i != NULL ? wsman_instance_value(i, "VersionString") : NULL;
}

int
amt_identity_swid_done(struct amt_op *op)
{
	struct amt_identity_info *id = &op->res.identity;

	amt_identity_copy(id->amt_version, sizeof id->amt_version,
	    amt_identity_swid(op, "AMT"));
	amt_identity_copy(id->build_number, sizeof id->build_number,
	    amt_identity_swid(op, "Build Number"));
	amt_identity_copy(id->sku, sizeof id->sku,
	    amt_identity_swid(op, "Sku"));
	/* Only these three are kept; don't hold the whole list. */
	wsman_instances_clear(&op->swid);
	return 0;
}

static int
amt_identity_get(struct amt_op *op, const char *uri)
{
	struct wsman_request req = {
		.action = WSMAN_GET,
		.resource_uri = uri,
	};

	return amt_op_emit(op, &req);
}

int
amt_identity_build_general(struct amt_op *op)
{
	return amt_identity_get(op, WSMAN_URI_AMT "AMT_GeneralSettings");
}

int
amt_identity_handle_general(struct amt_op *op, const struct wsman_resp *resp)
{
	struct amt_identity_info *id = &op->res.identity;
	struct wsman_instance inst;
	int r;

	if ((r = wsman_resp_instance(resp, "AMT_GeneralSettings", &inst)) != 0)
		return r;
	amt_identity_copy(id->hostname, sizeof id->hostname,
	    wsman_instance_value(&inst, "HostName"));
	amt_identity_copy(id->domain, sizeof id->domain,
	    wsman_instance_value(&inst, "DomainName"));
	amt_identity_copy(id->realm, sizeof id->realm,
	    wsman_instance_value(&inst, "DigestRealm"));
	wsman_instance_clear(&inst);
	return AMT_ST_ID_PACKAGE;
}

int
amt_identity_build_package(struct amt_op *op)
{
	return amt_identity_get(op, WSMAN_URI_CIM "CIM_ComputerSystemPackage");
}

int
amt_identity_handle_package(struct amt_op *op, const struct wsman_resp *resp)
{
	struct amt_identity_info *id = &op->res.identity;
	struct wsman_instance inst;
	int r;

	if ((r = wsman_resp_instance(resp, "CIM_ComputerSystemPackage",
	    &inst)) != 0)
		return r;
	amt_identity_copy(id->platform_guid, sizeof id->platform_guid,
	    wsman_instance_value(&inst, "PlatformGUID"));
	/* An unparsable GUID leaves uuid empty; the raw value is kept. */
	(void)amt_identity_uuid(id->platform_guid, id->uuid, sizeof id->uuid);
	wsman_instance_clear(&inst);
	return AMT_ST_ID_SETUP;
}

int
amt_identity_build_setup(struct amt_op *op)
{
	return amt_identity_get(op,
	    WSMAN_URI_AMT "AMT_SetupAndConfigurationService");
}

static int
amt_identity_int(const struct wsman_instance *inst, const char *name)
{
	const char *v = wsman_instance_value(inst, name);
	int n = 0;
	size_t i;

	if (v == NULL || v[0] == '\0' || strlen(v) > 5)
		return -1;
	for (i = 0; v[i] != '\0'; i++) {
		if (!isdigit((unsigned char)v[i]))
			return -1;
		n = n * 10 + (v[i] - '0');
	}
	return n;
}

int
amt_identity_handle_setup(struct amt_op *op, const struct wsman_resp *resp)
{
	struct amt_identity_info *id = &op->res.identity;
	struct wsman_instance inst;
	int r;

	if ((r = wsman_resp_instance(resp, "AMT_SetupAndConfigurationService",
	    &inst)) != 0)
		return r;
	id->provisioning_mode = amt_identity_int(&inst, "ProvisioningMode");
	id->provisioning_state = amt_identity_int(&inst, "ProvisioningState");
	wsman_instance_clear(&inst);
	return AMT_ST_DONE;
}
