/*
 * amt.h: Intel AMT operations as small state machines over WS-Man.
 *
 * An operation (struct amt_op) is a sequence of WS-Man exchanges.  The
 * caller, which owns the transport, drives it:
 *
 *	amt_power_state_new(&ctx, &op);
 *	for (;;) {
 *		amt_op_next_request(op, &body, &len);
 *		... POST body to /wsman, get status + response body ...
 *		r = amt_op_feed_response(op, status, resp, resp_len);
 *		if (r != AMT_OP_MORE)
 *			break;		// AMT_OP_DONE or a negative error
 *	}
 *	res = amt_op_result(op);	// filled in both cases
 *	amt_op_free(op);
 *
 * Operations never do I/O and never read the clock (time sync takes a
 * clock callback).  One operation has at most one request outstanding.
 * Functions return 0 or a negative MPS_ERR_* unless stated otherwise.
 */
#ifndef AMT_H
#define AMT_H

#include <stddef.h>
#include <stdint.h>

#include "wsman.h"

#define AMT_OP_DONE	0
#define AMT_OP_MORE	1

/* Power actions: the wire PowerState of RequestPowerStateChange. */
enum amt_power_action {
	AMT_POWER_ON = 2,
	AMT_POWER_SLEEP = 4,
	AMT_POWER_CYCLE = 5,
	AMT_POWER_HIBERNATE = 7,
	AMT_POWER_OFF = 8,
	AMT_POWER_RESET = 10,
	AMT_POWER_NMI = 11,
	AMT_POWER_SOFT_OFF = 12,
	AMT_POWER_SOFT_RESET = 14
};

/*
 * Parse an action name ("on", "off", "cycle", "reset", "sleep",
 * "hibernate", "soft-off", "soft-reset", "nmi").  MPS_ERR_USAGE if
 * unknown.
 */
int	amt_power_action_parse(const char *name, enum amt_power_action *out);

/* Action name for a, or NULL if a is not one of the actions above. */
const char *amt_power_action_str(enum amt_power_action a);

/*
 * Coarse state for people and scripts: "on" (2), "sleep" (3, 4),
 * "hibernate" (7), "off" (6, 8, 13), "transitioning" (9), else
 * "unknown".  Never NULL.
 */
const char *amt_power_state_str(uint32_t power_state);

/* DMTF name of a PowerState value ("Off - Soft"), or "Unknown". */
const char *amt_power_state_name(uint32_t power_state);

enum amt_boot_target {
	AMT_BOOT_PXE,
	AMT_BOOT_BIOS,
	AMT_BOOT_HDD,
	AMT_BOOT_CD
};

/* "pxe", "bios", "hdd", "cd" <-> target.  MPS_ERR_USAGE if unknown. */
int	amt_boot_target_parse(const char *name, enum amt_boot_target *out);
const char *amt_boot_target_str(enum amt_boot_target t);

/*
 * PT_STATUS name (AMT's own status codes, e.g. 0x0821 ->
 * "USER_CONSENT_REQUIRED"), or NULL for an unknown code.
 */
const char *amt_status_name(uint32_t pt_status);

/* A method's ReturnValue with its name and meaning, ready to show. */
struct amt_return {
	int		present;	/* a ReturnValue was read */
	uint32_t	value;
	char		name[48];	/* "COMPLETED", "USER_CONSENT_REQUIRED" */
	char		meaning[160];	/* one line of English */
};

/*
 * Describe ReturnValue v of method on the class with resource_uri.  CIM
 * methods use their own value maps plus 32768 + PT_STATUS for AMT's
 * vendor errors; AMT_* and IPS_* methods return PT_STATUS directly.
 */
void	amt_status_describe(struct amt_return *rv, const char *resource_uri,
	    const char *method, uint32_t v);

/*
 * Provisioning mode and state names: 1 "admin" (ACM), 4 "client" (CCM);
 * 0 "pre", 1 "in", 2 "post".  "unknown" otherwise; never NULL.
 */
const char *amt_identity_mode_str(int provisioning_mode);
const char *amt_identity_state_str(int provisioning_state);

/*
 * Convert CIM_ComputerSystemPackage.PlatformGUID (32 hex digits, SMBIOS
 * byte order) into the canonical lower-case UUID string (first three
 * groups byte-swapped).  out must hold 37 bytes.  MPS_ERR_INVALID if
 * guid is not 32 hex digits.
 */
int	amt_identity_uuid(const char *guid, char *out, size_t len);

#define AMT_MAX_POWER_STATES	32

struct amt_power_info {
	int		known;			/* power_state was read */
	uint32_t	power_state;		/* DMTF PowerState */
	uint32_t	available[AMT_MAX_POWER_STATES];
	size_t		navailable;		/* AvailableRequestedPowerStates */
	uint32_t	requested;		/* PowerState we asked for, 0 if none */
};

struct amt_boot_info {
	enum amt_boot_target	target;
	int			reboot;		/* power action requested */
};

struct amt_identity_info {
	char	amt_version[32];	/* CIM_SoftwareIdentity "AMT" */
	char	build_number[32];	/* CIM_SoftwareIdentity "Build Number" */
	char	sku[32];		/* CIM_SoftwareIdentity "Sku" */
	char	hostname[256];		/* AMT_GeneralSettings.HostName */
	char	domain[256];		/* AMT_GeneralSettings.DomainName */
	char	realm[64];		/* AMT_GeneralSettings.DigestRealm */
	char	platform_guid[40];	/* raw PlatformGUID */
	char	uuid[40];		/* canonical UUID, "" if unparsable */
	int	provisioning_mode;	/* 1 admin, 4 client, -1 unknown */
	int	provisioning_state;	/* 0 pre, 1 in, 2 post, -1 unknown */
};

struct amt_time_info {
	int64_t	ta0;		/* AMT clock, seconds since the epoch */
	int64_t	tm1;		/* our clock when Ta0 arrived */
	int64_t	tm2;		/* our clock when Set was built (sync only) */
	int64_t	offset;		/* ta0 - tm1: how far AMT is ahead of us */
	int	synced;		/* SetHighAccuracyTimeSynch succeeded */
};

/*
 * What an operation produced.  error is 0 on success; otherwise it is
 * the operation's error and step names the exchange that failed
 * ("Invoke ChangeBootOrder").  fault is filled for MPS_ERR_WSMAN_FAULT,
 * rv for the last method invoked (and for MPS_ERR_RETURN_VALUE).
 */
struct amt_result {
	int			 error;
	char			 step[64];
	int			 http_status;	/* of the last response */
	struct wsman_fault	 fault;
	struct amt_return	 rv;
	struct amt_power_info	 power;
	struct amt_boot_info	 boot;
	struct amt_identity_info identity;
	struct amt_time_info	 time;
	struct wsman_instances	 instances;	/* raw get/put/enumerate/invoke */
};

/* Every exchange an operation can be at.  Table-dispatched in amt_op.c. */
enum amt_op_state {
	AMT_ST_POWER_GET,	/* Get CIM_AssociatedPowerManagementService */
	AMT_ST_POWER_CHANGE,	/* Invoke RequestPowerStateChange */
	AMT_ST_BOOT_GET,	/* Get AMT_BootSettingData */
	AMT_ST_BOOT_CLEAR,	/* Invoke ChangeBootOrder (no source) */
	AMT_ST_BOOT_PUT,	/* Put AMT_BootSettingData */
	AMT_ST_BOOT_ROLE,	/* Invoke SetBootConfigRole(Role 1) */
	AMT_ST_BOOT_ORDER,	/* Invoke ChangeBootOrder (target source) */
	AMT_ST_ENUMERATE,	/* Enumerate */
	AMT_ST_PULL,		/* Pull, until EndOfSequence */
	AMT_ST_ID_GENERAL,	/* Get AMT_GeneralSettings */
	AMT_ST_ID_PACKAGE,	/* Get CIM_ComputerSystemPackage */
	AMT_ST_ID_SETUP,	/* Get AMT_SetupAndConfigurationService */
	AMT_ST_TIME_GET,	/* Invoke GetLowAccuracyTimeSynch */
	AMT_ST_TIME_SET,	/* Invoke SetHighAccuracyTimeSynch */
	AMT_ST_RAW_GET,
	AMT_ST_RAW_PUT,
	AMT_ST_RAW_INVOKE,
	AMT_ST_DONE,
	AMT_ST_FAILED,
	AMT_ST_COUNT
};

struct amt_op;

/*
 * Constructors.  ctx provides the To address and MessageIDs; it must
 * outlive the operation.  On success *out is a new operation (free with
 * amt_op_free()); errors: MPS_ERR_USAGE for bad arguments, MPS_ERR_NOMEM.
 */

/* Get CIM_AssociatedPowerManagementService -> result.power. */
int	amt_power_state_new(struct wsman_ctx *ctx, struct amt_op **out);

/* RequestPowerStateChange(action) -> result.rv, result.power.requested. */
int	amt_power_action_new(struct wsman_ctx *ctx,
	    enum amt_power_action action, struct amt_op **out);

/*
 * Next boot from target: Get AMT_BootSettingData, ChangeBootOrder(),
 * Put AMT_BootSettingData (boot flags cleared, BIOSSetup for bios),
 * SetBootConfigRole(1), ChangeBootOrder(source; none for bios).  With
 * reboot, the power state is read first and the sequence ends with a
 * reset (device on) or power-on (anything else).  pxeboot is
 * amt_boot_new(ctx, AMT_BOOT_PXE, 1, out).
 */
int	amt_boot_new(struct wsman_ctx *ctx, enum amt_boot_target target,
	    int reboot, struct amt_op **out);

/*
 * Enumerate+Pull CIM_SoftwareIdentity, then Get AMT_GeneralSettings,
 * CIM_ComputerSystemPackage and AMT_SetupAndConfigurationService
 * -> result.identity.
 */
int	amt_identity_new(struct wsman_ctx *ctx, struct amt_op **out);

/*
 * GetLowAccuracyTimeSynch, and with sync SetHighAccuracyTimeSynch(Ta0,
 * Tm1, Tm2) -> result.time.  now(arg) returns the current UTC time in
 * seconds; it is called when the Get response is fed (Tm1) and when the
 * Set request is built (Tm2).
 */
int	amt_time_new(struct wsman_ctx *ctx, int sync,
	    int64_t (*now)(void *), void *arg, struct amt_op **out);

/*
 * Raw operations for the control socket.  class_or_uri as for
 * wsman_resource_uri().  Results land in result.instances: the instance
 * (get, put), every instance (enumerate), or the method's _OUTPUT element
 * as one instance (invoke; result.rv holds the ReturnValue and a nonzero
 * one fails the operation with MPS_ERR_RETURN_VALUE).  Arguments are
 * copied.
 */
int	amt_raw_get_new(struct wsman_ctx *ctx, const char *class_or_uri,
	    const struct wsman_selector *sel, size_t nsel,
	    struct amt_op **out);
int	amt_raw_put_new(struct wsman_ctx *ctx, const char *class_or_uri,
	    const struct wsman_selector *sel, size_t nsel,
	    const char *instance_xml, struct amt_op **out);
int	amt_raw_enumerate_new(struct wsman_ctx *ctx, const char *class_or_uri,
	    struct amt_op **out);
int	amt_raw_invoke_new(struct wsman_ctx *ctx, const char *class_or_uri,
	    const char *method, const struct wsman_selector *sel, size_t nsel,
	    const struct wsman_param *params, size_t nparams,
	    struct amt_op **out);

/*
 * The next request body.  *body stays owned by op and valid until the
 * next call on op.  MPS_ERR_STATE (op unchanged) if a response is awaited
 * or the operation has finished.  A request that cannot be built
 * (MPS_ERR_USAGE for bad raw arguments, MPS_ERR_LIMIT past
 * WSMAN_MAX_PULLS, MPS_ERR_NOMEM) fails the operation like a bad answer.
 */
int	amt_op_next_request(struct amt_op *op, const char **body,
	    size_t *len);

/*
 * Feed the HTTP status and body answering the last request.  Returns
 * AMT_OP_MORE (call amt_op_next_request again), AMT_OP_DONE, or the
 * negative error that ended the operation (also in the result):
 * MPS_ERR_AMT_AUTH for 401, MPS_ERR_WSMAN_FAULT, MPS_ERR_RETURN_VALUE,
 * MPS_ERR_HTTP for another non-200 without a fault, MPS_ERR_XML (also a
 * RelatesTo that is not this request's), MPS_ERR_TOO_LARGE, MPS_ERR_LIMIT.
 * MPS_ERR_STATE (op unchanged) if no response is awaited.
 */
int	amt_op_feed_response(struct amt_op *op, int http_status,
	    const char *body, size_t len);

/* Result so far; complete once the operation is done or failed. */
const struct amt_result *amt_op_result(const struct amt_op *op);

/* Current state, and its name ("Get AMT_BootSettingData"). */
enum amt_op_state amt_op_state(const struct amt_op *op);
const char *amt_op_state_str(enum amt_op_state st);

/* Name of the operation ("power-state", "boot", "identity" ...). */
const char *amt_op_name(const struct amt_op *op);

/* Free op and everything its result owns.  NULL is a no-op. */
void	amt_op_free(struct amt_op *op);

#endif /* AMT_H */
