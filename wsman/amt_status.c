/*
 * amt_status.c: AMT PT_STATUS codes and method ReturnValue meanings.
 *
 * Intel's rule: DMTF (CIM_*) methods use the DMTF value map and report
 * AMT's own errors as 32768 + PT_STATUS; AMT_* and IPS_* methods return
 * PT_STATUS itself.  Some CIM maps overlap the PT_STATUS numbers
 * (4096-4099), so the family is decided by the class first.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "amt.h"
#include "wsman.h"

struct amt_code {
	uint32_t	 value;
	const char	*name;
	const char	*meaning;	/* NULL: derive from name */
};

static const struct amt_code amt_pt_status[] = {
	{ 0x0000, "SUCCESS", NULL },
	{ 0x0001, "INTERNAL_ERROR", NULL },
	{ 0x0002, "NOT_READY", NULL },
	{ 0x0003, "INVALID_PT_MODE", NULL },
	{ 0x0004, "INVALID_MESSAGE_LENGTH", NULL },
	{ 0x0005, "TABLE_FINGERPRINT_NOT_AVAILABLE", NULL },
	{ 0x0006, "INTEGRITY_CHECK_FAILED", NULL },
	{ 0x0007, "UNSUPPORTED_ISVS_VERSION", NULL },
	{ 0x0008, "APPLICATION_NOT_REGISTERED", NULL },
	{ 0x0009, "INVALID_REGISTRATION_DATA", NULL },
	{ 0x000A, "APPLICATION_DOES_NOT_EXIST", NULL },
	{ 0x000B, "NOT_ENOUGH_STORAGE", NULL },
	{ 0x000C, "INVALID_NAME", NULL },
	{ 0x000D, "BLOCK_DOES_NOT_EXIST", NULL },
	{ 0x000E, "INVALID_BYTE_OFFSET", NULL },
	{ 0x000F, "INVALID_BYTE_COUNT", NULL },
	{ 0x0010, "NOT_PERMITTED", NULL },
	{ 0x0011, "NOT_OWNER", NULL },
	{ 0x0012, "BLOCK_LOCKED_BY_OTHER", NULL },
	{ 0x0013, "BLOCK_NOT_LOCKED", NULL },
	{ 0x0014, "INVALID_GROUP_PERMISSIONS", NULL },
	{ 0x0015, "GROUP_DOES_NOT_EXIST", NULL },
	{ 0x0016, "INVALID_MEMBER_COUNT", NULL },
	{ 0x0017, "MAX_LIMIT_REACHED", NULL },
	{ 0x0018, "INVALID_AUTH_TYPE", NULL },
	{ 0x0019, "AUTHENTICATION_FAILED", NULL },
	{ 0x001A, "INVALID_DHCP_MODE", NULL },
	{ 0x001B, "INVALID_IP_ADDRESS", NULL },
	{ 0x001C, "INVALID_DOMAIN_NAME", NULL },
	{ 0x001D, "UNSUPPORTED_VERSION", NULL },
	{ 0x001E, "REQUEST_UNEXPECTED", NULL },
	{ 0x001F, "INVALID_TABLE_TYPE", NULL },
	{ 0x0020, "INVALID_PROVISIONING_STATE", NULL },
	{ 0x0021, "UNSUPPORTED_OBJECT", NULL },
	{ 0x0022, "INVALID_TIME", NULL },
	{ 0x0023, "INVALID_INDEX", NULL },
	{ 0x0024, "INVALID_PARAMETER", NULL },
	{ 0x0025, "INVALID_NETMASK", NULL },
	{ 0x0026, "FLASH_WRITE_LIMIT_EXCEEDED", NULL },
	{ 0x0027, "INVALID_IMAGE_LENGTH", NULL },
	{ 0x0028, "INVALID_IMAGE_SIGNATURE", NULL },
	{ 0x0029, "PROPOSE_ANOTHER_VERSION", NULL },
	{ 0x002A, "INVALID_PID_FORMAT", NULL },
	{ 0x002B, "INVALID_PPS_FORMAT", NULL },
	{ 0x002C, "BIST_COMMAND_BLOCKED", NULL },
	{ 0x002D, "CONNECTION_FAILED", NULL },
	{ 0x002E, "CONNECTION_TOO_MANY", NULL },
	{ 0x002F, "RNG_GENERATION_IN_PROGRESS", NULL },
	{ 0x0030, "RNG_NOT_READY", NULL },
	{ 0x0031, "CERTIFICATE_NOT_READY", NULL },
	{ 0x0400, "DISABLED_BY_POLICY", NULL },
	{ 0x0800, "NETWORK_IF_ERROR_BASE", NULL },
	{ 0x0801, "UNSUPPORTED_OEM_NUMBER", NULL },
	{ 0x0802, "UNSUPPORTED_BOOT_OPTION", NULL },
	{ 0x0803, "INVALID_COMMAND", NULL },
	{ 0x0804, "INVALID_SPECIAL_COMMAND", NULL },
	{ 0x0805, "INVALID_HANDLE", NULL },
	{ 0x0806, "INVALID_PASSWORD", NULL },
	{ 0x0807, "INVALID_REALM", NULL },
	{ 0x0808, "STORAGE_ACL_ENTRY_IN_USE", NULL },
	{ 0x0809, "DATA_MISSING", NULL },
	{ 0x080A, "DUPLICATE", NULL },
	{ 0x080B, "EVENTLOG_FROZEN", NULL },
	{ 0x080C, "PKI_MISSING_KEYS", NULL },
	{ 0x080D, "PKI_GENERATING_KEYS", NULL },
	{ 0x080E, "INVALID_KEY", NULL },
	{ 0x080F, "INVALID_CERT", NULL },
	{ 0x0810, "CERT_KEY_NOT_MATCH", NULL },
	{ 0x0811, "MAX_KERB_DOMAIN_REACHED", NULL },
	{ 0x0812, "UNSUPPORTED", NULL },
	{ 0x0813, "INVALID_PRIORITY", NULL },
	{ 0x0814, "NOT_FOUND", NULL },
	{ 0x0815, "INVALID_CREDENTIALS", NULL },
	{ 0x0816, "INVALID_PASSPHRASE", NULL },
	{ 0x0818, "NO_ASSOCIATION", NULL },
	{ 0x081B, "AUDIT_FAIL", NULL },
	{ 0x081C, "BLOCKING_COMPONENT", NULL },
	{ 0x0821, "USER_CONSENT_REQUIRED",
	    "user consent required: start opt-in and enter the code shown "
	    "on the device's screen" },
	{ 0x0822, "OPERATION_IN_PROGRESS", NULL },
	{ 0x1000, "APP_INTERNAL_ERROR", NULL },
	{ 0x1001, "NOT_INITIALIZED", NULL },
	{ 0x1002, "LIB_VERSION_UNSUPPORTED", NULL },
	{ 0x1003, "INVALID_PARAM", NULL },
	{ 0x1004, "RESOURCES", NULL },
	{ 0x1005, "HARDWARE_ACCESS_ERROR", NULL },
	{ 0x1006, "REQUESTOR_NOT_REGISTERED", NULL },
	{ 0x1007, "NETWORK_ERROR", NULL },
	{ 0x1008, "PARAM_BUFFER_TOO_SHORT", NULL },
	{ 0x1009, "COM_NOT_INITIALIZED_IN_THREAD", NULL },
	{ 0x100A, "URL_REQUIRED", NULL },
};

/* DMTF map shared by RequestPowerStateChange and RequestStateChange. */
static const struct amt_code amt_cim_generic[] = {
	{ 0, "COMPLETED", "completed with no error" },
	{ 1, "NOT_SUPPORTED", "not supported" },
	{ 2, "UNKNOWN_ERROR", "unknown or unspecified error" },
	{ 3, "TIMEOUT", "cannot complete within the timeout period" },
	{ 4, "FAILED", "failed" },
	{ 5, "INVALID_PARAMETER", "invalid parameter" },
	{ 6, "IN_USE", "in use" },
	{ 4096, "JOB_STARTED", "parameters checked, job started" },
	{ 4097, "INVALID_STATE_TRANSITION",
	    "invalid state transition for the current power state" },
	{ 4098, "TIMEOUT_NOT_SUPPORTED",
	    "use of timeout parameter not supported" },
	{ 4099, "BUSY", "busy" },
};

/* ChangeBootOrder and SetBootConfigRole. */
static const struct amt_code amt_cim_boot[] = {
	{ 0, "COMPLETED", "completed with no error" },
	{ 1, "NOT_SUPPORTED", "not supported" },
	{ 2, "UNKNOWN_ERROR", "unknown or unspecified error" },
	{ 3, "BUSY", "busy" },
	{ 4, "INVALID_REFERENCE", "invalid reference" },
	{ 5, "INVALID_PARAMETER", "invalid parameter" },
	{ 6, "ACCESS_DENIED",
	    "access denied (client control mode needs user consent for "
	    "boot changes)" },
};

/* IPS_OptInService methods. */
static const struct amt_code amt_ips_optin[] = {
	{ 0, "SUCCESS", "success" },
	{ 1, "INTERNAL_ERROR", "internal error" },
	{ 2, "INVALID_STATE", "invalid state" },
	{ 3, "BLOCKED", "blocked" },
	{ 4, "FAILED", "failed" },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const struct amt_code *
amt_code_find(const struct amt_code *t, size_t n, uint32_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].value == v)
			return &t[i];
	return NULL;
}

const char *
amt_status_name(uint32_t pt_status)
{
	const struct amt_code *c;

	c = amt_code_find(amt_pt_status, NELEM(amt_pt_status), pt_status);
	return c != NULL ? c->name : NULL;
}

static void
amt_status_set(struct amt_return *rv, const char *name, const char *meaning)
{
	snprintf(rv->name, sizeof rv->name, "%s", name);
	snprintf(rv->meaning, sizeof rv->meaning, "%s", meaning);
}

/* Describe a PT_STATUS: "AMT status 0x0802: unsupported boot option". */
static void
amt_status_pt(struct amt_return *rv, uint32_t pt)
{
	const struct amt_code *c;
	char phrase[96];
	size_t i;

	c = amt_code_find(amt_pt_status, NELEM(amt_pt_status), pt);
	if (c == NULL) {
		snprintf(rv->name, sizeof rv->name, "UNKNOWN");
		snprintf(rv->meaning, sizeof rv->meaning,
		    "unrecognised AMT status 0x%04X", (unsigned)pt);
		return;
	}
	snprintf(rv->name, sizeof rv->name, "%s", c->name);
	if (c->meaning != NULL)
		snprintf(phrase, sizeof phrase, "%s", c->meaning);
	else {
		/* The names are the meaning; print them as words. */
		for (i = 0; c->name[i] != '\0' && i < sizeof phrase - 1; i++)
			phrase[i] = c->name[i] == '_' ? ' ' :
			    (char)tolower((unsigned char)c->name[i]);
		phrase[i] = '\0';
	}
	snprintf(rv->meaning, sizeof rv->meaning, "AMT status 0x%04X: %s",
	    (unsigned)pt, phrase);
}

void
amt_status_describe(struct amt_return *rv, const char *resource_uri,
    const char *method, uint32_t v)
{
	const struct amt_code *t = NULL, *c;
	size_t n = 0;
	const char *uri = resource_uri != NULL ? resource_uri : "";

	memset(rv, 0, sizeof *rv);
	rv->present = 1;
	rv->value = v;
	if (strncmp(uri, WSMAN_URI_CIM, strlen(WSMAN_URI_CIM)) == 0) {
		if (v >= 32768) {
			amt_status_pt(rv, v - 32768);
			return;
		}
		if (method != NULL && (strcmp(method, "ChangeBootOrder") == 0 ||
		    strcmp(method, "SetBootConfigRole") == 0)) {
			t = amt_cim_boot;
			n = NELEM(amt_cim_boot);
		} else {
			t = amt_cim_generic;
			n = NELEM(amt_cim_generic);
		}
	} else if (strcmp(uri, WSMAN_URI_IPS "IPS_OptInService") == 0) {
		t = amt_ips_optin;
		n = NELEM(amt_ips_optin);
	} else {
		amt_status_pt(rv, v);
		return;
	}
	if ((c = amt_code_find(t, n, v)) != NULL)
		amt_status_set(rv, c->name, c->meaning);
	else {
		snprintf(rv->name, sizeof rv->name, "UNKNOWN");
		snprintf(rv->meaning, sizeof rv->meaning,
		    "unrecognised return value %u", (unsigned)v);
	}
}
