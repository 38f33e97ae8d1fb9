/*
 * amt_raw.c: generic Get, Put, Enumerate+Pull and Invoke on any class,
 * for the control socket's wsman.* methods.  The Enumerate+Pull steps are
 * also what the identity operation uses for CIM_SoftwareIdentity.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amt_op_int.h"
#include "mps_err.h"

void
amt_raw_release(struct amt_op *op)
{
	size_t i;

	for (i = 0; i < op->nsel; i++) {
		free(op->sel[i].name);
		free(op->sel[i].value);
	}
	free(op->sel);
	for (i = 0; i < op->nparams; i++) {
		free(op->params[i].name);
		free(op->params[i].value);
	}
	free(op->params);
	free(op->method);
	free(op->instance);
	op->sel = op->params = NULL;
	op->nsel = op->nparams = 0;
	op->method = op->instance = NULL;
}

/* Common part of the raw constructors. */
static int
amt_raw_new(struct wsman_ctx *ctx, enum amt_op_kind kind,
    enum amt_op_state first, const char *class_or_uri,
    const struct wsman_selector *sel, size_t nsel, struct amt_op **out)
{
	struct amt_op *op;
	int r;

	*out = NULL;
	if (nsel > WSMAN_MAX_SELECTORS || (nsel > 0 && sel == NULL))
		return MPS_ERR_USAGE;
	if ((r = amt_op_alloc(ctx, kind, first, &op)) != 0)
		return r;
	if ((r = wsman_resource_uri(class_or_uri, op->uri,
	    sizeof op->uri)) != 0 ||
	    (r = amt_op_copy_kv(sel, NULL, nsel, &op->sel)) != 0) {
		amt_op_free(op);
		return r;
	}
	op->nsel = nsel;
	*out = op;
	return 0;
}

int
amt_raw_get_new(struct wsman_ctx *ctx, const char *class_or_uri,
    const struct wsman_selector *sel, size_t nsel, struct amt_op **out)
{
	return amt_raw_new(ctx, AMT_OP_RAW_GET, AMT_ST_RAW_GET, class_or_uri,
	    sel, nsel, out);
}

int
amt_raw_put_new(struct wsman_ctx *ctx, const char *class_or_uri,
    const struct wsman_selector *sel, size_t nsel, const char *instance_xml,
    struct amt_op **out)
{
	int r;

	*out = NULL;
	if (instance_xml == NULL || instance_xml[0] == '\0' ||
	    strlen(instance_xml) > WSMAN_MAX_BODY)
		return MPS_ERR_USAGE;
	if ((r = amt_raw_new(ctx, AMT_OP_RAW_PUT, AMT_ST_RAW_PUT, class_or_uri,
	    sel, nsel, out)) != 0)
		return r;
	if (((*out)->instance = strdup(instance_xml)) == NULL) {
		amt_op_free(*out);
		*out = NULL;
		return MPS_ERR_NOMEM;
	}
	return 0;
}

int
amt_raw_enumerate_new(struct wsman_ctx *ctx, const char *class_or_uri,
    struct amt_op **out)
{
	struct amt_op *op;
	int r;

	if ((r = amt_raw_new(ctx, AMT_OP_RAW_ENUMERATE, AMT_ST_ENUMERATE,
	    class_or_uri, NULL, 0, out)) != 0)
		return r;
	op = *out;
	memcpy(op->enum_uri, op->uri, sizeof op->enum_uri);
	op->enum_list = &op->res.instances;
	op->after_enum = AMT_ST_DONE;
	return 0;
}

int
amt_raw_invoke_new(struct wsman_ctx *ctx, const char *class_or_uri,
    const char *method, const struct wsman_selector *sel, size_t nsel,
    const struct wsman_param *params, size_t nparams, struct amt_op **out)
{
	int r;

	*out = NULL;
	if (method == NULL || nparams > WSMAN_MAX_SELECTORS ||
	    (nparams > 0 && params == NULL))
		return MPS_ERR_USAGE;
	if ((r = amt_raw_new(ctx, AMT_OP_RAW_INVOKE, AMT_ST_RAW_INVOKE,
	    class_or_uri, sel, nsel, out)) != 0)
		return r;
	if (((*out)->method = strdup(method)) == NULL)
		r = MPS_ERR_NOMEM;
	else if ((r = amt_op_copy_kv(NULL, params, nparams,
	    &(*out)->params)) == 0)
		(*out)->nparams = nparams;
	if (r != 0) {
		amt_op_free(*out);
		*out = NULL;
	}
	return r;
}

/*
 * Borrowed views of the owned selectors and parameters.  WSMAN_MAX_
 * SELECTORS bounds both, so fixed arrays suffice.
 */
static void
amt_raw_views(const struct amt_op *op, struct wsman_selector *sel,
    struct wsman_param *par)
{
	size_t i;

	for (i = 0; i < op->nsel; i++) {
		sel[i].name = op->sel[i].name;
		sel[i].value = op->sel[i].value;
	}
	for (i = 0; i < op->nparams; i++) {
		par[i].name = op->params[i].name;
		par[i].value = op->params[i].value;
		par[i].is_xml = op->params[i].is_xml;
	}
}

int
amt_raw_build_enumerate(struct amt_op *op)
{
	struct wsman_request req = {
		.action = WSMAN_ENUMERATE,
		.resource_uri = op->enum_uri,
	};

	op->pulls = 0;
	return amt_op_emit(op, &req);
}

int
amt_raw_handle_enumerate(struct amt_op *op, const struct wsman_resp *resp)
{
	int r;

	if ((r = wsman_resp_enum_context(resp, op->enum_ctx,
	    sizeof op->enum_ctx)) != 0)
		return r;
	return AMT_ST_PULL;
}

int
amt_raw_build_pull(struct amt_op *op)
{
	struct wsman_request req = {
		.action = WSMAN_PULL,
		.resource_uri = op->enum_uri,
		.context = op->enum_ctx,
	};

	/* A device that keeps handing out contexts must not keep us
	 * pulling forever. */
	if (op->pulls >= WSMAN_MAX_PULLS)
		return MPS_ERR_LIMIT;
	op->pulls++;
	return amt_op_emit(op, &req);
}

int
amt_raw_handle_pull(struct amt_op *op, const struct wsman_resp *resp)
{
	int r, end;

	if ((r = wsman_resp_pull(resp, op->enum_list, WSMAN_MAX_INSTANCES,
	    op->enum_ctx, sizeof op->enum_ctx, &end)) != 0)
		return r;
	if (!end)
		return AMT_ST_PULL;
	if (op->enum_done != NULL && (r = op->enum_done(op)) != 0)
		return r;
	return op->after_enum;
}

int
amt_raw_build_get(struct amt_op *op)
{
	struct wsman_selector sel[WSMAN_MAX_SELECTORS];
	struct wsman_request req = {
		.action = WSMAN_GET,
		.resource_uri = op->uri,
		.selectors = sel,
		.nselectors = op->nsel,
	};

	amt_raw_views(op, sel, NULL);
	return amt_op_emit(op, &req);
}

/* Get and Put responses carry the instance as the Body's payload. */
static int
amt_raw_keep_instance(struct amt_op *op, const struct wsman_resp *resp)
{
	xmlNode *p;
	int r;

	if ((p = wsman_resp_payload(resp)) == NULL)
		return MPS_ERR_XML;
	if ((r = wsman_instances_append(&op->res.instances, p, 1)) != 0)
		return r;
	return AMT_ST_DONE;
}

int
amt_raw_handle_get(struct amt_op *op, const struct wsman_resp *resp)
{
	return amt_raw_keep_instance(op, resp);
}

int
amt_raw_build_put(struct amt_op *op)
{
	struct wsman_selector sel[WSMAN_MAX_SELECTORS];
	struct wsman_request req = {
		.action = WSMAN_PUT,
		.resource_uri = op->uri,
		.selectors = sel,
		.nselectors = op->nsel,
		.instance = op->instance,
		.instance_len = strlen(op->instance),
	};

	amt_raw_views(op, sel, NULL);
	return amt_op_emit(op, &req);
}

int
amt_raw_handle_put(struct amt_op *op, const struct wsman_resp *resp)
{
	/* Some services answer a Put with an empty Body. */
	if (wsman_resp_payload(resp) == NULL)
		return AMT_ST_DONE;
	return amt_raw_keep_instance(op, resp);
}

int
amt_raw_build_invoke(struct amt_op *op)
{
	struct wsman_selector sel[WSMAN_MAX_SELECTORS];
	struct wsman_param par[WSMAN_MAX_SELECTORS];
	struct wsman_request req = {
		.action = WSMAN_INVOKE,
		.resource_uri = op->uri,
		.method = op->method,
		.selectors = sel,
		.nselectors = op->nsel,
		.params = par,
		.nparams = op->nparams,
	};

	amt_raw_views(op, sel, par);
	return amt_op_emit(op, &req);
}

int
amt_raw_handle_invoke(struct amt_op *op, const struct wsman_resp *resp)
{
	xmlNode *o;
	uint32_t v;
	int r;

	if ((r = wsman_resp_output(resp, op->uri, op->method, &o, &v)) != 0)
		return r;
	amt_status_describe(&op->res.rv, op->uri, op->method, v);
	/* Keep the outputs even for a nonzero ReturnValue: they may say
	 * why (and the caller asked for this method's raw result). */
	if ((r = wsman_instances_append(&op->res.instances, o, 1)) != 0)
		return r;
	return v == 0 ? AMT_ST_DONE : MPS_ERR_RETURN_VALUE;
}
