/*
 * amt_op.c: the operation driver.  Each state names one WS-Man exchange;
 * the table below gives its request builder and response handler, and
 * the handler picks the next state.  Everything common to all exchanges
 * (HTTP status, envelope parsing, RelatesTo, faults, failure bookkeeping)
 * happens here, once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amt_op_int.h"
#include "mps_err.h"

struct amt_step {
	const char	*name;
	int		(*build)(struct amt_op *);
	int		(*handle)(struct amt_op *,
			    const struct wsman_resp *);
};

static const struct amt_step amt_steps[AMT_ST_COUNT] = {
	[AMT_ST_POWER_GET] = { "Get CIM_AssociatedPowerManagementService",
	    amt_power_build_get, amt_power_handle_get },
	[AMT_ST_POWER_CHANGE] = { "Invoke RequestPowerStateChange",
	    amt_power_build_change, amt_power_handle_change },
	[AMT_ST_BOOT_GET] = { "Get AMT_BootSettingData",
	    amt_boot_build_get, amt_boot_handle_get },
	[AMT_ST_BOOT_CLEAR] = { "Invoke ChangeBootOrder (clear)",
	    amt_boot_build_clear, amt_boot_handle_clear },
	[AMT_ST_BOOT_PUT] = { "Put AMT_BootSettingData",
	    amt_boot_build_put, amt_boot_handle_put },
	[AMT_ST_BOOT_ROLE] = { "Invoke SetBootConfigRole",
	    amt_boot_build_role, amt_boot_handle_role },
	[AMT_ST_BOOT_ORDER] = { "Invoke ChangeBootOrder",
	    amt_boot_build_order, amt_boot_handle_order },
	[AMT_ST_ENUMERATE] = { "Enumerate",
	    amt_raw_build_enumerate, amt_raw_handle_enumerate },
	[AMT_ST_PULL] = { "Pull",
	    amt_raw_build_pull, amt_raw_handle_pull },
	[AMT_ST_ID_GENERAL] = { "Get AMT_GeneralSettings",
	    amt_identity_build_general, amt_identity_handle_general },
	[AMT_ST_ID_PACKAGE] = { "Get CIM_ComputerSystemPackage",
	    amt_identity_build_package, amt_identity_handle_package },
	[AMT_ST_ID_SETUP] = { "Get AMT_SetupAndConfigurationService",
	    amt_identity_build_setup, amt_identity_handle_setup },
	[AMT_ST_TIME_GET] = { "Invoke GetLowAccuracyTimeSynch",
	    amt_time_build_get, amt_time_handle_get },
	[AMT_ST_TIME_SET] = { "Invoke SetHighAccuracyTimeSynch",
	    amt_time_build_set, amt_time_handle_set },
	[AMT_ST_RAW_GET] = { "Get", amt_raw_build_get, amt_raw_handle_get },
	[AMT_ST_RAW_PUT] = { "Put", amt_raw_build_put, amt_raw_handle_put },
	[AMT_ST_RAW_INVOKE] = { "Invoke",
	    amt_raw_build_invoke, amt_raw_handle_invoke },
	[AMT_ST_DONE] = { "done", NULL, NULL },
	[AMT_ST_FAILED] = { "failed", NULL, NULL },
};

static const char *const amt_op_names[] = {
	[AMT_OP_POWER_STATE] = "power-state",
	[AMT_OP_POWER_ACTION] = "power-action",
	[AMT_OP_BOOT] = "boot",
	[AMT_OP_IDENTITY] = "identity",
	[AMT_OP_TIME] = "time",
	[AMT_OP_RAW_GET] = "wsman-get",
	[AMT_OP_RAW_PUT] = "wsman-put",
	[AMT_OP_RAW_ENUMERATE] = "wsman-enumerate",
	[AMT_OP_RAW_INVOKE] = "wsman-invoke",
};

const char *
amt_op_state_str(enum amt_op_state st)
{
	if ((unsigned)st >= AMT_ST_COUNT)
		return "invalid";
	return amt_steps[st].name;
}

enum amt_op_state
amt_op_state(const struct amt_op *op)
{
	return op->state;
}

const char *
amt_op_name(const struct amt_op *op)
{
	return amt_op_names[op->kind];
}

const struct amt_result *
amt_op_result(const struct amt_op *op)
{
	return &op->res;
}

int
amt_op_alloc(struct wsman_ctx *ctx, enum amt_op_kind kind,
    enum amt_op_state first, struct amt_op **out)
{
	struct amt_op *op;

	*out = NULL;
	if (ctx == NULL)
		return MPS_ERR_USAGE;
	if ((op = calloc(1, sizeof *op)) == NULL)
		return MPS_ERR_NOMEM;
	op->kind = kind;
	op->state = first;
	op->ctx = ctx;
	op->res.fault.amt_status = -1;
	op->res.identity.provisioning_mode = -1;
	op->res.identity.provisioning_state = -1;
	*out = op;
	return 0;
}

void
amt_op_free(struct amt_op *op)
{
	if (op == NULL)
		return;
	free(op->req);
	free(op->boot_put);
	wsman_instances_clear(&op->swid);
	wsman_instances_clear(&op->res.instances);
	amt_raw_release(op);
	free(op);
}

int
amt_op_emit(struct amt_op *op, struct wsman_request *req)
{
	char *body;
	size_t len;
	int r;

	if ((r = wsman_ctx_next_id(op->ctx, op->msgid, sizeof op->msgid)) != 0)
		return r;
	req->message_id = op->msgid;
	req->to = op->ctx->to;
	if ((r = wsman_build(req, &body, &len)) != 0)
		return r;
	free(op->req);
	op->req = body;
	op->req_len = len;
	return 0;
}

int
amt_op_method(struct amt_op *op, const struct wsman_resp *resp,
    const char *uri, const char *method, xmlNode **out)
{
	uint32_t v;
	int r;

	if ((r = wsman_resp_output(resp, uri, method, out, &v)) != 0)
		return r;
	amt_status_describe(&op->res.rv, uri, method, v);
	return v == 0 ? 0 : MPS_ERR_RETURN_VALUE;
}

int
amt_op_copy_kv(const struct wsman_selector *sel, const struct wsman_param *par,
    size_t n, struct amt_kv **out)
{
	struct amt_kv *kv;
	const char *name, *value;
	size_t i;

	*out = NULL;
	if (n == 0)
		return 0;
	if (n > WSMAN_MAX_SELECTORS)
		return MPS_ERR_USAGE;
	if ((kv = calloc(n, sizeof *kv)) == NULL)
		return MPS_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		name = sel != NULL ? sel[i].name : par[i].name;
		value = sel != NULL ? sel[i].value : par[i].value;
		if (name == NULL || value == NULL)
			goto usage;
		kv[i].is_xml = par != NULL ? par[i].is_xml : 0;
		if ((kv[i].name = strdup(name)) == NULL ||
		    (kv[i].value = strdup(value)) == NULL) {
			n = i + 1;
			goto nomem;
		}
	}
	*out = kv;
	return 0;
usage:
	n = i;
	for (i = 0; i < n; i++) {
		free(kv[i].name);
		free(kv[i].value);
	}
	free(kv);
	return MPS_ERR_USAGE;
nomem:
	for (i = 0; i < n; i++) {
		free(kv[i].name);
		free(kv[i].value);
	}
	free(kv);
	return MPS_ERR_NOMEM;
}

/* Record the failure in the result and park the operation. */
static int
amt_op_fail(struct amt_op *op, int err)
{
	op->res.error = err;
	snprintf(op->res.step, sizeof op->res.step, "%s",
	    amt_op_state_str(op->state));
	op->state = AMT_ST_FAILED;
	op->awaiting = 0;
	return err;
}

int
amt_op_next_request(struct amt_op *op, const char **body, size_t *len)
{
	const struct amt_step *st;
	int r;

	*body = NULL;
	*len = 0;
	if (op->awaiting || op->state >= AMT_ST_DONE)
		return MPS_ERR_STATE;
	st = &amt_steps[op->state];
	if ((r = st->build(op)) != 0)
		return amt_op_fail(op, r);
	op->awaiting = 1;
	*body = op->req;
	*len = op->req_len;
	return 0;
}

int
amt_op_feed_response(struct amt_op *op, int http_status, const char *body,
    size_t len)
{
	struct wsman_resp resp;
	int r, next;

	if (!op->awaiting)
		return MPS_ERR_STATE;
	op->awaiting = 0;
	op->res.http_status = http_status;
	/* libcurl already retried the Digest challenge; a 401 reaching us
	 * means the credentials themselves are wrong. */
	if (http_status == 401)
		return amt_op_fail(op, MPS_ERR_AMT_AUTH);
	/* Some firmware answers bad requests with 400/500 and no body. */
	if (len == 0 && http_status != 200)
		return amt_op_fail(op, MPS_ERR_HTTP);

	r = wsman_resp_parse(&resp, body, len, op->msgid);
	if (r == MPS_ERR_WSMAN_FAULT) {
		op->res.fault = resp.fault;
		wsman_resp_free(&resp);
		return amt_op_fail(op, r);
	}
	if (r != 0) {
		wsman_resp_free(&resp);
		/* A non-200 that is not a SOAP fault is an HTTP problem. */
		return amt_op_fail(op, http_status == 200 ? r : MPS_ERR_HTTP);
	}
	if (http_status != 200) {
		wsman_resp_free(&resp);
		return amt_op_fail(op, MPS_ERR_HTTP);
	}
	next = amt_steps[op->state].handle(op, &resp);
	wsman_resp_free(&resp);
	if (next < 0)
		return amt_op_fail(op, next);
	if (next >= AMT_ST_COUNT || next == AMT_ST_FAILED)
		return amt_op_fail(op, MPS_ERR_INTERNAL);
	op->state = (enum amt_op_state)next;
	return op->state == AMT_ST_DONE ? AMT_OP_DONE : AMT_OP_MORE;
}
