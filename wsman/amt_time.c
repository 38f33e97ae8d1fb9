/*
 * amt_time.c: read and set the AMT clock.
 *
 * AMT_TimeSynchronizationService.GetLowAccuracyTimeSynch returns Ta0,
 * the device clock.  SetHighAccuracyTimeSynch(Ta0, Tm1, Tm2) sets it:
 * Ta0 is echoed back so AMT can account for the time the exchange took,
 * Tm1 is our clock when Ta0 arrived and Tm2 our clock just before the
 * Set is sent.  The clock is a callback so this file stays pure.
 */
#include <stdio.h>

#include "amt_op_int.h"
#include "mps_err.h"

#define AMT_TS_URI	WSMAN_URI_AMT "AMT_TimeSynchronizationService"

int
amt_time_new(struct wsman_ctx *ctx, int sync, int64_t (*now)(void *),
    void *arg, struct amt_op **out)
{
	int r;

	*out = NULL;
	if (now == NULL)
		return MPS_ERR_USAGE;
	if ((r = amt_op_alloc(ctx, AMT_OP_TIME, AMT_ST_TIME_GET, out)) != 0)
		return r;
	(*out)->sync = sync != 0;
	(*out)->now = now;
	(*out)->now_arg = arg;
	return 0;
}

int
amt_time_build_get(struct amt_op *op)
{
	struct wsman_request req = {
		.action = WSMAN_INVOKE,
		.resource_uri = AMT_TS_URI,
		.method = "GetLowAccuracyTimeSynch",
	};

	return amt_op_emit(op, &req);
}

int
amt_time_handle_get(struct amt_op *op, const struct wsman_resp *resp)
{
	struct amt_time_info *t = &op->res.time;
	xmlNode *o;
	int r;

	/* Sample our clock first: Tm1 is meant to be the arrival time. */
	t->tm1 = op->now(op->now_arg);
	if ((r = amt_op_method(op, resp, AMT_TS_URI, "GetLowAccuracyTimeSynch",
	    &o)) != 0)
		return r;
	if (wsman_xml_i64(wsman_xml_child(o, AMT_TS_URI, "Ta0"),
	    &t->ta0) != 0 || t->ta0 < 0)
		return MPS_ERR_XML;
	t->offset = t->ta0 - t->tm1;
	return op->sync ? AMT_ST_TIME_SET : AMT_ST_DONE;
}

int
amt_time_build_set(struct amt_op *op)
{
	struct amt_time_info *t = &op->res.time;
	char ta0[24], tm1[24], tm2[24];
	struct wsman_param params[3] = {
		{ "Ta0", ta0, 0 },
		{ "Tm1", tm1, 0 },
		{ "Tm2", tm2, 0 },
	};
	struct wsman_request req = {
		.action = WSMAN_INVOKE,
		.resource_uri = AMT_TS_URI,
		.method = "SetHighAccuracyTimeSynch",
		.params = params,
		.nparams = 3,
	};

	t->tm2 = op->now(op->now_arg);
	snprintf(ta0, sizeof ta0, "%lld", (long long)t->ta0);
	snprintf(tm1, sizeof tm1, "%lld", (long long)t->tm1);
	snprintf(tm2, sizeof tm2, "%lld", (long long)t->tm2);
	return amt_op_emit(op, &req);
}

int
amt_time_handle_set(struct amt_op *op, const struct wsman_resp *resp)
{
	int r;

	if ((r = amt_op_method(op, resp, AMT_TS_URI, "SetHighAccuracyTimeSynch",
	    NULL)) != 0)
		return r;
	op->res.time.synced = 1;
	return AMT_ST_DONE;
}
