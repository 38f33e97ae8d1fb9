/*
 * fuzz_wsman_response.c: arbitrary bytes as WS-Man response bodies.
 *
 * The input is one or more bodies separated by NUL bytes (NUL never
 * occurs in XML).  Each body goes through every response parser, then
 * the bodies are fed in turn to every AMT operation as the answers to its
 * requests.  RelatesTo, if present, is rewritten to the MessageID of the
 * request being answered, so the fuzzer reaches the steps past
 * correlation instead of stopping at it.  Each body is also read as a
 * request, the simulator's side of the exchange.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "amt.h"
#include "mps_err.h"
#include "wsman.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BODIES	16

static int64_t
fuzz_clock(void *arg)
{
	(void)arg;
	return 1704586800;
}

static void
fuzz_parsers(const char *body, size_t len)
{
	struct wsman_resp resp;
	struct wsman_req_info req;
	struct wsman_instances list = { 0 };
	struct wsman_instance inst;
	char ctx[WSMAN_CONTEXT_LEN];
	xmlNode *out;
	uint32_t rv;
	int r, end;

	r = wsman_resp_parse(&resp, body, len, NULL);
	if (r == 0) {
		if (wsman_resp_instance(&resp, NULL, &inst) == 0)
			wsman_instance_clear(&inst);
		(void)wsman_resp_enum_context(&resp, ctx, sizeof ctx);
		(void)wsman_resp_pull(&resp, &list, 64, ctx, sizeof ctx, &end);
		wsman_instances_clear(&list);
		(void)wsman_resp_output(&resp,
		    WSMAN_URI_AMT "AMT_TimeSynchronizationService",
		    "GetLowAccuracyTimeSynch", &out, &rv);
		out = wsman_resp_payload(&resp);
		if (out != NULL && out->ns != NULL &&
		    wsman_resp_output(&resp, (const char *)out->ns->href,
		    "RequestPowerStateChange", &out, &rv) == 0)
			(void)rv;
	}
	wsman_resp_free(&resp);
	if (wsman_req_parse(&req, body, len) == 0)
		(void)wsman_req_selector(&req, "InstanceID");
	wsman_req_free(&req);
}

/* body with the text of its first RelatesTo replaced by id (malloc'd). */
static char *
fuzz_relate(const char *body, size_t len, const char *id, size_t *olen)
{
	const char *tag, *start, *end;
	size_t idl = strlen(id), head;
	char *out;

	tag = memmem(body, len, "RelatesTo>", 10);
	if (tag == NULL ||
	    (end = memchr(tag + 10, '<', len - (size_t)(tag + 10 - body))) ==
	    NULL) {
		if ((out = malloc(len + 1)) == NULL)
			return NULL;
		memcpy(out, body, len);
		*olen = len;
		return out;
	}
	start = tag + 10;
	head = (size_t)(start - body);
	*olen = head + idl + (len - (size_t)(end - body));
	if ((out = malloc(*olen + 1)) == NULL)
		return NULL;
	memcpy(out, body, head);
	memcpy(out + head, id, idl);
	memcpy(out + head + idl, end, len - (size_t)(end - body));
	return out;
}

/* Pull the MessageID out of one of our own requests. */
static void
fuzz_msgid(const char *req, char *id, size_t len)
{
	const char *p, *e;

	id[0] = '\0';
	if ((p = strstr(req, "<a:MessageID>")) == NULL)
		return;
	p += strlen("<a:MessageID>");
	if ((e = strchr(p, '<')) == NULL || (size_t)(e - p) >= len)
		return;
	memcpy(id, p, (size_t)(e - p));
	id[e - p] = '\0';
}

static void
fuzz_op(struct amt_op *op, const char **bodies, const size_t *lens,
    size_t n)
{
	const char *req;
	char id[WSMAN_MSGID_LEN], *b;
	size_t i, rl, bl;
	int r;

	for (i = 0; i < n; i++) {
		if (amt_op_next_request(op, &req, &rl) != 0)
			break;
		fuzz_msgid(req, id, sizeof id);
		if ((b = fuzz_relate(bodies[i], lens[i], id, &bl)) == NULL)
			break;
		/* A body starting with '!' plays a 400 answer (faults). */
		r = amt_op_feed_response(op, bl > 0 && b[0] == '!' ? 400 : 200,
		    bl > 0 && b[0] == '!' ? b + 1 : b, bl > 0 && b[0] == '!' ?
		    bl - 1 : bl);
		free(b);
		if (r != AMT_OP_MORE)
			break;
	}
	(void)amt_op_result(op);
	amt_op_free(op);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct wsman_param par = { "PowerState", "2", 0 };
	const char *bodies[MAX_BODIES], *p = (const char *)data, *z;
	size_t lens[MAX_BODIES], n = 0, left = size, k;
	struct wsman_ctx ctx;
	struct amt_op *op;

	if (size > WSMAN_MAX_BODY)
		return 0;
	while (n < MAX_BODIES) {
		z = memchr(p, '\0', left);
		bodies[n] = p;
		lens[n] = z != NULL ? (size_t)(z - p) : left;
		n++;
		if (z == NULL)
			break;
		left -= (size_t)(z - p) + 1;
		p = z + 1;
	}
	for (k = 0; k < n; k++)
		fuzz_parsers(bodies[k], lens[k]);

	if (wsman_ctx_init(&ctx, 0, NULL) != 0)
		return 0;
	if (amt_power_state_new(&ctx, &op) == 0)
		fuzz_op(op, bodies, lens, n);
	if (amt_power_action_new(&ctx, AMT_POWER_RESET, &op) == 0)
		fuzz_op(op, bodies, lens, n);
	if (amt_boot_new(&ctx, AMT_BOOT_PXE, 1, &op) == 0)
		fuzz_op(op, bodies, lens, n);
	if (amt_boot_new(&ctx, AMT_BOOT_BIOS, 0, &op) == 0)
		fuzz_op(op, bodies, lens, n);
	if (amt_identity_new(&ctx, &op) == 0)
		fuzz_op(op, bodies, lens, n);
	if (amt_time_new(&ctx, 1, fuzz_clock, NULL, &op) == 0)
		fuzz_op(op, bodies, lens, n);
	if (amt_raw_get_new(&ctx, "AMT_GeneralSettings", NULL, 0, &op) == 0)
		fuzz_op(op, bodies, lens, n);
	if (amt_raw_enumerate_new(&ctx, "CIM_SoftwareIdentity", &op) == 0)
		fuzz_op(op, bodies, lens, n);
	if (amt_raw_invoke_new(&ctx, "CIM_PowerManagementService",
	    "RequestPowerStateChange", NULL, 0, &par, 1, &op) == 0)
		fuzz_op(op, bodies, lens, n);
	return 0;
}
