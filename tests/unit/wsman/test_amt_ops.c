/*
 * test_amt_ops.c: every AMT operation driven step by step with recorded
 * responses, asserting the exact requests it produces.
 *
 * Responses are the fixtures with RelatesTo rewritten to the request's
 * MessageID.  ChangeBootOrder and SetBootConfigRole have no real capture
 * (the fixture README marks cim/boot/ as hand-written), so their answers
 * are the real RequestPowerStateChange response re-targeted at those
 * methods (wtest_method_response).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>

#include "amt.h"
#include "mps_err.h"
#include "wsman.h"
#include "wtest.h"

#define XFER		"http://schemas.xmlsoap.org/ws/2004/09/transfer/"
#define ENUMA		"http://schemas.xmlsoap.org/ws/2004/09/enumeration/"
#define URI_APMS	WSMAN_URI_CIM "CIM_AssociatedPowerManagementService"
#define URI_PMS		WSMAN_URI_CIM "CIM_PowerManagementService"
#define URI_CS		WSMAN_URI_CIM "CIM_ComputerSystem"
#define URI_BSD		WSMAN_URI_AMT "AMT_BootSettingData"
#define URI_BCS		WSMAN_URI_CIM "CIM_BootConfigSetting"
#define URI_BSS		WSMAN_URI_CIM "CIM_BootSourceSetting"
#define URI_BS		WSMAN_URI_CIM "CIM_BootService"
#define URI_TS		WSMAN_URI_AMT "AMT_TimeSynchronizationService"

#define F_POWER_GET	"responses/cim/associatedpower/managementservice/get.xml"
#define F_RPSC		"responses/cim/power/managementservice/" \
			    "requestpowerstatechange.xml"
#define F_BSD_GET	"responses/amt/boot/settingdata/get.xml"

static struct wsman_ctx ctx;

static int
setup(void **state)
{
	(void)state;
	return wsman_ctx_init(&ctx, 0, NULL);
}

/* Feed a method response re-targeted from the recorded one. */
static int
feed_method(struct amt_op *op, const struct wtest_req *rq, const char *uri,
    const char *method, unsigned rv)
{
	char *body;
	int r;

	body = wtest_method_response(uri, method, rv);
	r = wtest_feed_text(op, rq, body, 200);
	free(body);
	return r;
}

/* Assert rq is an Invoke of uri/method and return its _INPUT element. */
static xmlNode *
expect_invoke(const struct wtest_req *rq, const char *uri,
    const char *method)
{
	char want[512], input[128];

	snprintf(want, sizeof want, "%s/%s", uri, method);
	assert_string_equal(rq->action, want);
	assert_string_equal(rq->uri, uri);
	snprintf(input, sizeof input, "%s_INPUT", method);
	assert_true(wsman_xml_is(rq->payload, uri, input));
	return rq->payload;
}

/* Assert n holds an EPR to uri with selector sel=value. */
static void
expect_epr(const xmlNode *n, const char *uri, const char *sel,
    const char *value)
{
	xmlNode *rp;

	assert_non_null(n);
	assert_string_equal(wtest_text(n, WSMAN_NS_ADDR, "Address"),
	    WSMAN_ANONYMOUS);
	rp = wsman_xml_child(n, WSMAN_NS_ADDR, "ReferenceParameters");
	assert_string_equal(wtest_text(rp, WSMAN_NS_WSMAN, "ResourceURI"), uri);
	assert_string_equal(wtest_selector(rp, sel), value);
}

static void
expect_power_change(const struct wtest_req *rq, const char *power_state)
{
	xmlNode *in;

	in = expect_invoke(rq, URI_PMS, "RequestPowerStateChange");
	assert_int_equal(wtest_nchildren(in), 2);
	assert_string_equal(wtest_text(in, URI_PMS, "PowerState"),
	    power_state);
	expect_epr(wsman_xml_child(in, URI_PMS, "ManagedElement"), URI_CS,
	    "Name", "ManagedSystem");
	expect_epr(wsman_xml_child(in, URI_PMS, "ManagedElement"), URI_CS,
	    "CreationClassName", "CIM_ComputerSystem");
}

static void
expect_get(const struct wtest_req *rq, const char *uri)
{
	assert_string_equal(rq->action, XFER "Get");
	assert_string_equal(rq->uri, uri);
	assert_null(rq->payload);
}

static void
test_power_state(void **state)
{
	static const uint32_t avail[] = { 10, 8, 5, 11, 4, 7, 14, 12 };
	const struct amt_result *res;
	struct amt_op *op;
	struct wtest_req rq;
	const char *b;
	size_t l, i;

	(void)state;
	assert_int_equal(amt_power_state_new(&ctx, &op), 0);
	assert_string_equal(amt_op_name(op), "power-state");
	/* Nothing to feed before a request went out. */
	assert_int_equal(amt_op_feed_response(op, 200, "x", 1), MPS_ERR_STATE);
	wtest_next(op, &rq);
	expect_get(&rq, URI_APMS);
	assert_string_equal(rq.to, WSMAN_DEFAULT_TO);
	/* One request at a time. */
	assert_int_equal(amt_op_next_request(op, &b, &l), MPS_ERR_STATE);
	assert_int_equal(wtest_feed_fixture(op, &rq, F_POWER_GET, 200),
	    AMT_OP_DONE);
	wtest_req_free(&rq);
	res = amt_op_result(op);
	assert_int_equal(res->error, 0);
	assert_true(res->power.known);
	assert_int_equal(res->power.power_state, 2);
	assert_string_equal(amt_power_state_str(res->power.power_state), "on");
	assert_int_equal(res->power.navailable, 8);
	for (i = 0; i < 8; i++)
		assert_int_equal(res->power.available[i], avail[i]);
	assert_int_equal(res->power.requested, 0);
	assert_int_equal(amt_op_state(op), AMT_ST_DONE);
	assert_int_equal(amt_op_next_request(op, &b, &l), MPS_ERR_STATE);
	amt_op_free(op);
}

static void
test_power_actions(void **state)
{
	static const struct {
		const char	*name;
		const char	*wire;
	} actions[] = {
		{ "on", "2" }, { "sleep", "4" }, { "cycle", "5" },
		{ "hibernate", "7" }, { "off", "8" }, { "reset", "10" },
		{ "nmi", "11" }, { "soft-off", "12" }, { "soft-reset", "14" },
	};
	enum amt_power_action a;
	const struct amt_result *res;
	struct amt_op *op;
	struct wtest_req rq;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof actions / sizeof actions[0]; i++) {
		assert_int_equal(amt_power_action_parse(actions[i].name, &a),
		    0);
		assert_int_equal(amt_power_action_new(&ctx, a, &op), 0);
		wtest_next(op, &rq);
		expect_power_change(&rq, actions[i].wire);
		assert_int_equal(wtest_feed_fixture(op, &rq, F_RPSC, 200),
		    AMT_OP_DONE);
		res = amt_op_result(op);
		assert_int_equal(res->error, 0);
		assert_int_equal(res->power.requested,
		    (uint32_t)atoi(actions[i].wire));
		assert_true(res->rv.present);
		assert_int_equal(res->rv.value, 0);
		assert_string_equal(res->rv.name, "COMPLETED");
		wtest_req_free(&rq);
		amt_op_free(op);
	}
	assert_int_equal(amt_power_action_new(&ctx, (enum amt_power_action)3,
	    &op), MPS_ERR_USAGE);
	assert_null(op);
}

/* AMT reports its own refusals of a CIM method as 32768 + PT_STATUS. */
static void
test_power_action_refused(void **state)
{
	const struct amt_result *res;
	struct amt_op *op;
	struct wtest_req rq;

	(void)state;
	assert_int_equal(amt_power_action_new(&ctx, AMT_POWER_OFF, &op), 0);
	wtest_next(op, &rq);
	assert_int_equal(feed_method(op, &rq, URI_PMS,
	    "RequestPowerStateChange", 34849), MPS_ERR_RETURN_VALUE);
	res = amt_op_result(op);
	assert_int_equal(res->error, MPS_ERR_RETURN_VALUE);
	assert_string_equal(res->step, "Invoke RequestPowerStateChange");
	assert_int_equal(res->rv.value, 34849);
	assert_string_equal(res->rv.name, "USER_CONSENT_REQUIRED");
	assert_non_null(strstr(res->rv.meaning, "0x0821"));
	assert_int_equal(amt_op_state(op), AMT_ST_FAILED);
	wtest_req_free(&rq);
	amt_op_free(op);
}

/* A Get result with stale boot options set, to prove they get cleared. */
static char *
stale_boot_settings(void)
{
	char *a, *b, *c, *d;

	a = wtest_load(F_BSD_GET, NULL);
	b = wtest_replace(a, "<g:UseIDER>false<", "<g:UseIDER>true<");
	c = wtest_replace(b, "<g:BIOSPause>false<", "<g:BIOSPause>true<");
	d = wtest_replace(c, "<g:IDERBootDevice>0<", "<g:IDERBootDevice>1<");
	free(a);
	a = wtest_replace(d, "<g:LockKeyboard>false<",
	    "<g:LockKeyboard>true<");
	free(b);
	free(c);
	free(d);
	return a;
}

/* The Put must be the Get instance, same order, only flags rewritten. */
static void
expect_boot_put(const struct wtest_req *rq, int bios)
{
	struct wsman_resp resp;
	xmlNode *want, *got;
	char *get, a[256], b[256];
	const char *name;
	int changed = 0;

	assert_string_equal(rq->action, XFER "Put");
	assert_string_equal(rq->uri, URI_BSD);
	assert_true(wsman_xml_is(rq->payload, URI_BSD, "AMT_BootSettingData"));
	get = stale_boot_settings();
	assert_int_equal(wsman_resp_parse(&resp, get, strlen(get), NULL), 0);
	want = wsman_xml_child(wsman_resp_payload(&resp), NULL, NULL);
	got = wsman_xml_child(rq->payload, NULL, NULL);
	for (; want != NULL; want = wsman_xml_next(want, NULL, NULL),
	    got = wsman_xml_next(got, NULL, NULL)) {
		name = (const char *)want->name;
		assert_true(wsman_xml_is(got, URI_BSD, name));
		assert_int_equal(wsman_xml_text(want, a, sizeof a, 0), 0);
		assert_int_equal(wsman_xml_text(got, b, sizeof b, 0), 0);
		if (strcmp(name, "BIOSSetup") == 0)
			assert_string_equal(b, bios ? "true" : "false");
		else if (strcmp(name, "UseIDER") == 0 ||
		    strcmp(name, "BIOSPause") == 0 ||
		    strcmp(name, "LockKeyboard") == 0 ||
		    strcmp(name, "UseSOL") == 0 ||
		    strcmp(name, "ReflashBIOS") == 0)
			assert_string_equal(b, "false");
		else if (strcmp(name, "IDERBootDevice") == 0 ||
		    strcmp(name, "BootMediaIndex") == 0)
			assert_string_equal(b, "0");
		else
			/* Everything else goes back as the device sent it. */
			assert_string_equal(a, b);
		changed += strcmp(a, b) != 0;
	}
	assert_null(got);
	/* The four stale values, plus BIOSSetup for bios. */
	assert_int_equal(changed, bios ? 5 : 4);
	wsman_resp_free(&resp);
	free(get);
}

/*
 * Drive a boot operation through its whole sequence.  power_fixture is
 * the power state answer (NULL without reboot); want_action the wire
 * PowerState expected at the end.
 */
static void
run_boot(enum amt_boot_target target, int reboot, const char *power_body,
    const char *want_action)
{
	static const char *const sources[] = {
		[AMT_BOOT_PXE] = "Intel(r) AMT: Force PXE Boot",
		[AMT_BOOT_BIOS] = NULL,
		[AMT_BOOT_HDD] = "Intel(r) AMT: Force Hard-drive Boot",
		[AMT_BOOT_CD] = "Intel(r) AMT: Force CD/DVD Boot",
	};
	const struct amt_result *res;
	struct amt_op *op;
	struct wtest_req rq;
	xmlNode *in;
	char *body, *put_resp;
	int r;

	assert_int_equal(amt_boot_new(&ctx, target, reboot, &op), 0);

	if (reboot) {
		wtest_next(op, &rq);
		expect_get(&rq, URI_APMS);
		assert_int_equal(wtest_feed_text(op, &rq, power_body, 200),
		    AMT_OP_MORE);
		wtest_req_free(&rq);
	}

	/* 1. Get AMT_BootSettingData */
	wtest_next(op, &rq);
	assert_int_equal(amt_op_state(op), AMT_ST_BOOT_GET);
	expect_get(&rq, URI_BSD);
	body = stale_boot_settings();
	assert_int_equal(wtest_feed_text(op, &rq, body, 200), AMT_OP_MORE);
	free(body);
	wtest_req_free(&rq);

	/* 2. ChangeBootOrder with no source clears it */
	wtest_next(op, &rq);
	in = expect_invoke(&rq, URI_BCS, "ChangeBootOrder");
	assert_int_equal(wtest_nchildren(in), 0);
	assert_int_equal(feed_method(op, &rq, URI_BCS, "ChangeBootOrder", 0),
	    AMT_OP_MORE);
	wtest_req_free(&rq);

	/* 3. Put AMT_BootSettingData */
	wtest_next(op, &rq);
	expect_boot_put(&rq, target == AMT_BOOT_BIOS);
	/* AMT answers a Put with the stored instance. */
	body = wtest_load(F_BSD_GET, NULL);
	put_resp = wtest_replace(body, XFER "GetResponse", XFER "PutResponse");
	assert_int_equal(wtest_feed_text(op, &rq, put_resp, 200),
	    AMT_OP_MORE);
	free(put_resp);
	free(body);
	wtest_req_free(&rq);

	/* 4. SetBootConfigRole(Boot Configuration 0, 1) */
	wtest_next(op, &rq);
	in = expect_invoke(&rq, URI_BS, "SetBootConfigRole");
	assert_int_equal(wtest_nchildren(in), 2);
	expect_epr(wsman_xml_child(in, URI_BS, "BootConfigSetting"), URI_BCS,
	    "InstanceID", "Intel(r) AMT: Boot Configuration 0");
	assert_string_equal(wtest_text(in, URI_BS, "Role"), "1");
	assert_int_equal(feed_method(op, &rq, URI_BS, "SetBootConfigRole", 0),
	    AMT_OP_MORE);
	wtest_req_free(&rq);

	/* 5. ChangeBootOrder(source) */
	wtest_next(op, &rq);
	in = expect_invoke(&rq, URI_BCS, "ChangeBootOrder");
	if (sources[target] == NULL)
		assert_int_equal(wtest_nchildren(in), 0);
	else {
		assert_int_equal(wtest_nchildren(in), 1);
		expect_epr(wsman_xml_child(in, URI_BCS, "Source"), URI_BSS,
		    "InstanceID", sources[target]);
	}
	r = feed_method(op, &rq, URI_BCS, "ChangeBootOrder", 0);
	assert_int_equal(r, reboot ? AMT_OP_MORE : AMT_OP_DONE);
	wtest_req_free(&rq);

	/* 6. reset or power on */
	if (reboot) {
		wtest_next(op, &rq);
		expect_power_change(&rq, want_action);
		assert_int_equal(wtest_feed_fixture(op, &rq, F_RPSC, 200),
		    AMT_OP_DONE);
		wtest_req_free(&rq);
	}
	res = amt_op_result(op);
	assert_int_equal(res->error, 0);
	assert_int_equal(res->boot.target, target);
	assert_int_equal(res->boot.reboot, reboot);
	assert_int_equal(res->power.requested,
	    reboot ? (uint32_t)atoi(want_action) : 0);
	amt_op_free(op);
}

static void
test_boot_targets(void **state)
{
	enum amt_boot_target t;
	const char *names[] = { "pxe", "bios", "hdd", "cd" };
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		assert_int_equal(amt_boot_target_parse(names[i], &t), 0);
		assert_string_equal(amt_boot_target_str(t), names[i]);
		run_boot(t, 0, NULL, NULL);
	}
	assert_int_equal(amt_boot_target_parse("floppy", &t), MPS_ERR_USAGE);
	assert_null(amt_boot_target_str((enum amt_boot_target)9));
}

/* pxeboot: set PXE, then reset a running box or power on one that is off. */
static void
test_pxeboot(void **state)
{
	char *on, *off;

	(void)state;
	on = wtest_load(F_POWER_GET, NULL);
	run_boot(AMT_BOOT_PXE, 1, on, "10");
	off = wtest_replace(on, "<g:PowerState>2<", "<g:PowerState>8<");
	run_boot(AMT_BOOT_PXE, 1, off, "2");
	run_boot(AMT_BOOT_BIOS, 1, off, "2");
	run_boot(AMT_BOOT_HDD, 1, on, "10");
	free(off);
	free(on);
}

/* A refusal in the middle stops the sequence and says where. */
static void
test_boot_failures(void **state)
{
	static const char fault[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a:Envelope "
	    "xmlns:a=\"http://www.w3.org/2003/05/soap-envelope\" "
	    "xmlns:b=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
	    "xmlns:e=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\">"
	    "<a:Header><b:RelatesTo>x</b:RelatesTo><b:Action>"
	    "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</b:Action>"
	    "</a:Header><a:Body><a:Fault><a:Code><a:Value>a:Sender</a:Value>"
	    "<a:Subcode><a:Value>e:AccessDenied</a:Value></a:Subcode>"
	    "</a:Code><a:Reason><a:Text>The sender was not authorized to "
	    "access the resource.</a:Text></a:Reason><a:Detail/></a:Fault>"
	    "</a:Body></a:Envelope>";
	const struct amt_result *res;
	struct amt_op *op;
	struct wtest_req rq;
	const char *b;
	size_t l;
	char *body;

	(void)state;
	/* Put refused with a fault (CCM without consent). */
	assert_int_equal(amt_boot_new(&ctx, AMT_BOOT_BIOS, 0, &op), 0);
	wtest_next(op, &rq);
	assert_int_equal(wtest_feed_fixture(op, &rq, F_BSD_GET, 200),
	    AMT_OP_MORE);
	wtest_req_free(&rq);
	wtest_next(op, &rq);
	assert_int_equal(feed_method(op, &rq, URI_BCS, "ChangeBootOrder", 0),
	    AMT_OP_MORE);
	wtest_req_free(&rq);
	wtest_next(op, &rq);
	assert_int_equal(wtest_feed_text(op, &rq, fault, 400),
	    MPS_ERR_WSMAN_FAULT);
	wtest_req_free(&rq);
	res = amt_op_result(op);
	assert_int_equal(res->error, MPS_ERR_WSMAN_FAULT);
	assert_string_equal(res->step, "Put AMT_BootSettingData");
	assert_string_equal(res->fault.subcode, "AccessDenied");
	assert_string_equal(res->fault.subcode_ns, WSMAN_NS_WSMAN);
	assert_int_equal(res->http_status, 400);
	assert_int_equal(amt_op_next_request(op, &b, &l), MPS_ERR_STATE);
	assert_int_equal(amt_op_feed_response(op, 200, fault, strlen(fault)),
	    MPS_ERR_STATE);
	amt_op_free(op);

	/* SetBootConfigRole refused with ReturnValue 6. */
	assert_int_equal(amt_boot_new(&ctx, AMT_BOOT_PXE, 0, &op), 0);
	wtest_next(op, &rq);
	assert_int_equal(wtest_feed_fixture(op, &rq, F_BSD_GET, 200),
	    AMT_OP_MORE);
	wtest_req_free(&rq);
	wtest_next(op, &rq);
	assert_int_equal(feed_method(op, &rq, URI_BCS, "ChangeBootOrder", 0),
	    AMT_OP_MORE);
	wtest_req_free(&rq);
	wtest_next(op, &rq);
	body = wtest_load(F_BSD_GET, NULL);
	assert_int_equal(wtest_feed_text(op, &rq, body, 200), AMT_OP_MORE);
	free(body);
	wtest_req_free(&rq);
	wtest_next(op, &rq);
	assert_int_equal(feed_method(op, &rq, URI_BS, "SetBootConfigRole", 6),
	    MPS_ERR_RETURN_VALUE);
	wtest_req_free(&rq);
	res = amt_op_result(op);
	assert_string_equal(res->step, "Invoke SetBootConfigRole");
	assert_int_equal(res->rv.value, 6);
	assert_string_equal(res->rv.name, "ACCESS_DENIED");
	amt_op_free(op);

	/* A Get answer of the wrong class is not a boot setting. */
	assert_int_equal(amt_boot_new(&ctx, AMT_BOOT_PXE, 0, &op), 0);
	wtest_next(op, &rq);
	assert_int_equal(wtest_feed_fixture(op, &rq,
	    "responses/amt/boot/capabilities/get.xml", 200), MPS_ERR_XML);
	wtest_req_free(&rq);
	assert_string_equal(amt_op_result(op)->step, "Get AMT_BootSettingData");
	amt_op_free(op);

	/* An instance without BIOSSetup cannot be made to enter setup. */
	assert_int_equal(amt_boot_new(&ctx, AMT_BOOT_BIOS, 0, &op), 0);
	wtest_next(op, &rq);
	body = wtest_load(F_BSD_GET, NULL);
	{
		char *nobs = wtest_replace(body,
		    "<g:BIOSSetup>false</g:BIOSSetup>", "");

		assert_int_equal(wtest_feed_text(op, &rq, nobs, 200),
		    MPS_ERR_XML);
		free(nobs);
	}
	free(body);
	wtest_req_free(&rq);
	amt_op_free(op);

	assert_int_equal(amt_boot_new(&ctx, (enum amt_boot_target)7, 0, &op),
	    MPS_ERR_USAGE);
}

/* Transport-level outcomes, common to every operation. */
static void
test_http_outcomes(void **state)
{
	struct amt_op *op;
	struct wtest_req rq;
	char *body;

	(void)state;
	assert_int_equal(amt_power_state_new(&ctx, &op), 0);
	wtest_next(op, &rq);
	assert_int_equal(wtest_feed_fixture(op, &rq, F_POWER_GET, 401),
	    MPS_ERR_AMT_AUTH);
	assert_int_equal(amt_op_result(op)->http_status, 401);
	wtest_req_free(&rq);
	amt_op_free(op);

	assert_int_equal(amt_power_state_new(&ctx, &op), 0);
	wtest_next(op, &rq);
	assert_int_equal(amt_op_feed_response(op, 500, "", 0), MPS_ERR_HTTP);
	wtest_req_free(&rq);
	amt_op_free(op);

	/* A non-200 with a body that is not a fault. */
	assert_int_equal(amt_power_state_new(&ctx, &op), 0);
	wtest_next(op, &rq);
	assert_int_equal(wtest_feed_fixture(op, &rq, F_POWER_GET, 500),
	    MPS_ERR_HTTP);
	wtest_req_free(&rq);
	amt_op_free(op);

	/* A 200 with garbage. */
	assert_int_equal(amt_power_state_new(&ctx, &op), 0);
	wtest_next(op, &rq);
	assert_int_equal(amt_op_feed_response(op, 200, "<html>", 6),
	    MPS_ERR_XML);
	wtest_req_free(&rq);
	amt_op_free(op);

	/* The answer to an earlier request is not accepted. */
	assert_int_equal(amt_power_state_new(&ctx, &op), 0);
	wtest_next(op, &rq);
	body = wtest_load(F_POWER_GET, NULL);	/* RelatesTo 0, not ours */
	assert_int_equal(amt_op_feed_response(op, 200, body, strlen(body)),
	    MPS_ERR_XML);
	assert_int_equal(amt_op_result(op)->error, MPS_ERR_XML);
	free(body);
	wtest_req_free(&rq);
	amt_op_free(op);

	/* Each request carries a fresh MessageID. */
	{
		struct wtest_req a, b;
		struct amt_op *o1, *o2;

		assert_int_equal(amt_power_state_new(&ctx, &o1), 0);
		assert_int_equal(amt_power_state_new(&ctx, &o2), 0);
		wtest_next(o1, &a);
		wtest_next(o2, &b);
		assert_string_not_equal(a.msgid, b.msgid);
		assert_int_equal(strncmp(a.msgid, "uuid:", 5), 0);
		wtest_req_free(&a);
		wtest_req_free(&b);
		amt_op_free(o1);
		amt_op_free(o2);
	}
}

static void
test_identity(void **state)
{
	const struct amt_result *res;
	struct amt_op *op;
	struct wtest_req rq;

	(void)state;
	assert_int_equal(amt_identity_new(&ctx, &op), 0);
	wtest_next(op, &rq);
	assert_string_equal(rq.action, ENUMA "Enumerate");
	assert_string_equal(rq.uri, WSMAN_URI_CIM "CIM_SoftwareIdentity");
	assert_true(wsman_xml_is(rq.payload, WSMAN_NS_ENUM, "Enumerate"));
	assert_int_equal(wtest_feed_fixture(op, &rq,
	    "responses/cim/software/identity/enumerate.xml", 200),
	    AMT_OP_MORE);
	wtest_req_free(&rq);

	wtest_next(op, &rq);
	assert_string_equal(rq.action, ENUMA "Pull");
	assert_string_equal(rq.uri, WSMAN_URI_CIM "CIM_SoftwareIdentity");
	assert_string_equal(wtest_text(rq.payload, WSMAN_NS_ENUM,
	    "EnumerationContext"), "E2020000-0000-0000-0000-000000000000");
	assert_int_equal(wtest_feed_fixture(op, &rq,
	    "responses/cim/software/identity/pull.xml", 200), AMT_OP_MORE);
	wtest_req_free(&rq);

	wtest_next(op, &rq);
	expect_get(&rq, WSMAN_URI_AMT "AMT_GeneralSettings");
	assert_int_equal(wtest_feed_fixture(op, &rq,
	    "responses/amt/general/get.xml", 200), AMT_OP_MORE);
	wtest_req_free(&rq);

	wtest_next(op, &rq);
	expect_get(&rq, WSMAN_URI_CIM "CIM_ComputerSystemPackage");
	assert_int_equal(wtest_feed_fixture(op, &rq,
	    "responses/cim/computer/systempackage/get.xml", 200), AMT_OP_MORE);
	wtest_req_free(&rq);

	wtest_next(op, &rq);
	expect_get(&rq, WSMAN_URI_AMT "AMT_SetupAndConfigurationService");
	assert_int_equal(wtest_feed_fixture(op, &rq,
	    "responses/amt/setupandconfiguration/get.xml", 200), AMT_OP_DONE);
	wtest_req_free(&rq);

	res = amt_op_result(op);
	assert_int_equal(res->error, 0);
	assert_string_equal(res->identity.amt_version, "12.0.67");
	assert_string_equal(res->identity.build_number, "1579");
	assert_string_equal(res->identity.sku, "16392");
	assert_string_equal(res->identity.hostname, "Test Host Name");
	assert_string_equal(res->identity.domain, "Test Domain Name");
	assert_string_equal(res->identity.realm,
	    "Digest:F3EB554784E729164447A89F60B641C5");
	assert_string_equal(res->identity.platform_guid,
	    "13AEE355D2BFBB6117A088AEDD7037EA");
	assert_string_equal(res->identity.uuid,
	    "55e3ae13-bfd2-61bb-17a0-88aedd7037ea");
	assert_int_equal(res->identity.provisioning_mode, 1);
	assert_int_equal(res->identity.provisioning_state, 2);
	assert_string_equal(amt_identity_mode_str(1), "admin");
	assert_string_equal(amt_identity_mode_str(4), "client");
	assert_string_equal(amt_identity_state_str(2), "post");
	assert_string_equal(amt_identity_state_str(9), "unknown");
	amt_op_free(op);
}

/* A multi-page enumeration follows each new context to EndOfSequence. */
static void
test_raw_enumerate_pages(void **state)
{
	const struct amt_result *res;
	struct amt_op *op;
	struct wtest_req rq;
	char *page1, *enumr, *page2;
	unsigned i;
	int r;

	(void)state;
	page1 = wtest_load("responses/cim/chip/pull.xml", NULL);
	enumr = wtest_load("responses/cim/chip/enumerate.xml", NULL);
	page2 = wtest_replace(page1, "<g:EnumerationContext>D4020000-0000-"
	    "0000-0000-000000000000</g:EnumerationContext>",
	    "<g:EndOfSequence/>");

	assert_int_equal(amt_raw_enumerate_new(&ctx, "CIM_Chip", &op), 0);
	assert_string_equal(amt_op_name(op), "wsman-enumerate");
	wtest_next(op, &rq);
	assert_string_equal(rq.action, ENUMA "Enumerate");
	assert_string_equal(rq.uri, WSMAN_URI_CIM "CIM_Chip");
	assert_int_equal(wtest_feed_text(op, &rq, enumr, 200), AMT_OP_MORE);
	wtest_req_free(&rq);
	wtest_next(op, &rq);
	assert_string_equal(rq.action, ENUMA "Pull");
	assert_int_equal(wtest_feed_text(op, &rq, page1, 200), AMT_OP_MORE);
	wtest_req_free(&rq);
	/* The second Pull carries the context the first page returned. */
	wtest_next(op, &rq);
	assert_string_equal(wtest_text(rq.payload, WSMAN_NS_ENUM,
	    "EnumerationContext"), "D4020000-0000-0000-0000-000000000000");
	assert_int_equal(wtest_feed_text(op, &rq, page2, 200), AMT_OP_DONE);
	wtest_req_free(&rq);
	res = amt_op_result(op);
	assert_int_equal(res->instances.n, 2);
	assert_string_equal(res->instances.v[0].class_name, "CIM_Chip");
	assert_string_equal(wsman_instance_value(&res->instances.v[1],
	    "Manufacturer"), "Intel(R) Corporation");
	amt_op_free(op);

	/* A device that never ends the sequence is cut off. */
	assert_int_equal(amt_raw_enumerate_new(&ctx, "CIM_Chip", &op), 0);
	wtest_next(op, &rq);
	assert_int_equal(wtest_feed_text(op, &rq, enumr, 200), AMT_OP_MORE);
	wtest_req_free(&rq);
	for (i = 0; i < WSMAN_MAX_PULLS; i++) {
		wtest_next(op, &rq);
		r = wtest_feed_text(op, &rq, page1, 200);
		wtest_req_free(&rq);
		assert_int_equal(r, AMT_OP_MORE);
	}
	{
		const char *b;
		size_t l;

		assert_int_equal(amt_op_next_request(op, &b, &l),
		    MPS_ERR_LIMIT);
	}
	res = amt_op_result(op);
	assert_int_equal(res->error, MPS_ERR_LIMIT);
	assert_string_equal(res->step, "Pull");
	assert_int_equal(res->instances.n, WSMAN_MAX_PULLS);
	amt_op_free(op);

	free(page1);
	free(page2);
	free(enumr);
}

static int64_t
fake_clock(void *arg)
{
	int64_t *t = arg;

	return (*t)++;
}

static void
test_time_sync(void **state)
{
	const struct amt_result *res;
	struct amt_op *op;
	struct wtest_req rq;
	xmlNode *in;
	int64_t clock = 1704586800;

	(void)state;
	assert_int_equal(amt_time_new(&ctx, 1, fake_clock, &clock, &op), 0);
	wtest_next(op, &rq);
	in = expect_invoke(&rq, URI_TS, "GetLowAccuracyTimeSynch");
	assert_int_equal(wtest_nchildren(in), 0);
	assert_int_equal(wtest_feed_fixture(op, &rq, "responses/amt/"
	    "timesynchronization/getlowaccuracytimesynch.xml", 200),
	    AMT_OP_MORE);
	wtest_req_free(&rq);
	wtest_next(op, &rq);
	in = expect_invoke(&rq, URI_TS, "SetHighAccuracyTimeSynch");
	assert_int_equal(wtest_nchildren(in), 3);
	assert_string_equal(wtest_text(in, URI_TS, "Ta0"), "1704586865");
	assert_string_equal(wtest_text(in, URI_TS, "Tm1"), "1704586800");
	assert_string_equal(wtest_text(in, URI_TS, "Tm2"), "1704586801");
	assert_int_equal(wtest_feed_fixture(op, &rq, "responses/amt/"
	    "timesynchronization/sethighaccuracytimesynch.xml", 200),
	    AMT_OP_DONE);
	wtest_req_free(&rq);
	res = amt_op_result(op);
	assert_int_equal(res->error, 0);
	assert_int_equal(res->time.ta0, 1704586865);
	assert_int_equal(res->time.tm1, 1704586800);
	assert_int_equal(res->time.tm2, 1704586801);
	assert_int_equal(res->time.offset, 65);
	assert_true(res->time.synced);
	amt_op_free(op);

	/* Read-only: one exchange, no Set. */
	clock = 1704586900;
	assert_int_equal(amt_time_new(&ctx, 0, fake_clock, &clock, &op), 0);
	wtest_next(op, &rq);
	assert_int_equal(wtest_feed_fixture(op, &rq, "responses/amt/"
	    "timesynchronization/getlowaccuracytimesynch.xml", 200),
	    AMT_OP_DONE);
	wtest_req_free(&rq);
	res = amt_op_result(op);
	assert_int_equal(res->time.offset, -35);
	assert_false(res->time.synced);
	amt_op_free(op);

	assert_int_equal(amt_time_new(&ctx, 1, NULL, NULL, &op),
	    MPS_ERR_USAGE);
}

static void
test_raw_get_put(void **state)
{
	const struct wsman_selector sel[] = {
		{ "Name", "Intel(r) AMT Redirection Service" },
	};
	static const char uri[] = WSMAN_URI_AMT "AMT_RedirectionService";
	const struct amt_result *res;
	struct amt_op *op;
	struct wtest_req rq;
	char *instance;

	(void)state;
	assert_int_equal(amt_raw_get_new(&ctx, "AMT_RedirectionService", sel,
	    1, &op), 0);
	wtest_next(op, &rq);
	expect_get(&rq, uri);
	assert_string_equal(wtest_selector(rq.header, "Name"),
	    "Intel(r) AMT Redirection Service");
	assert_int_equal(wtest_feed_fixture(op, &rq,
	    "responses/amt/redirectionservice/get.xml", 200), AMT_OP_DONE);
	wtest_req_free(&rq);
	res = amt_op_result(op);
	assert_int_equal(res->instances.n, 1);
	assert_string_equal(wsman_instance_value(&res->instances.v[0],
	    "EnabledState"), "32771");
	instance = strdup(res->instances.v[0].xml);
	assert_non_null(instance);
	amt_op_free(op);

	/* Put sends back what Get returned. */
	assert_int_equal(amt_raw_put_new(&ctx, uri, sel, 1, instance, &op), 0);
	free(instance);
	wtest_next(op, &rq);
	assert_string_equal(rq.action, XFER "Put");
	assert_string_equal(wtest_selector(rq.header, "Name"),
	    "Intel(r) AMT Redirection Service");
	assert_true(wsman_xml_is(rq.payload, uri, "AMT_RedirectionService"));
	assert_string_equal(wtest_text(rq.payload, uri, "ListenerEnabled"),
	    "true");
	assert_int_equal(wtest_feed_fixture(op, &rq,
	    "responses/amt/redirectionservice/put.xml", 200), AMT_OP_DONE);
	wtest_req_free(&rq);
	res = amt_op_result(op);
	assert_int_equal(res->instances.n, 1);
	assert_string_equal(res->instances.v[0].class_name,
	    "AMT_RedirectionService");
	amt_op_free(op);

	/* An instance of the wrong class fails when the request is built. */
	assert_int_equal(amt_raw_put_new(&ctx, "AMT_GeneralSettings", NULL, 0,
	    "<x:AMT_RedirectionService xmlns:x=\"" WSMAN_URI_AMT
	    "AMT_RedirectionService\"/>", &op), 0);
	{
		const char *b;
		size_t l;

		assert_int_equal(amt_op_next_request(op, &b, &l),
		    MPS_ERR_USAGE);
	}
	assert_int_equal(amt_op_result(op)->error, MPS_ERR_USAGE);
	amt_op_free(op);

	assert_int_equal(amt_raw_get_new(&ctx, "NotAClass", NULL, 0, &op),
	    MPS_ERR_USAGE);
	assert_null(op);
	assert_int_equal(amt_raw_put_new(&ctx, uri, NULL, 0, "", &op),
	    MPS_ERR_USAGE);
}

static void
test_raw_invoke(void **state)
{
	static const char optin[] = WSMAN_URI_IPS "IPS_OptInService";
	static const char http[] = WSMAN_URI_IPS "IPS_HTTPProxyService";
	const struct wsman_param params[] = {
		{ "AccessInfo", "proxy.example.com", 0 },
		{ "InfoFormat", "201", 0 },
		{ "Port", "8080", 0 },
	};
	const struct amt_result *res;
	struct amt_op *op;
	struct wtest_req rq;
	xmlNode *in;

	(void)state;
	/* IPS_OptInService answers with its own code table. */
	assert_int_equal(amt_raw_invoke_new(&ctx, "IPS_OptInService",
	    "StartOptIn", NULL, 0, NULL, 0, &op), 0);
	wtest_next(op, &rq);
	expect_invoke(&rq, optin, "StartOptIn");
	assert_int_equal(wtest_feed_fixture(op, &rq,
	    "responses/ips/optin/startoptin.xml", 200), MPS_ERR_RETURN_VALUE);
	wtest_req_free(&rq);
	res = amt_op_result(op);
	assert_int_equal(res->rv.value, 2);
	assert_string_equal(res->rv.name, "INVALID_STATE");
	assert_int_equal(res->instances.n, 1);
	assert_string_equal(res->instances.v[0].class_name,
	    "StartOptIn_OUTPUT");
	amt_op_free(op);

	/* AMT/IPS methods return PT_STATUS: 2058 is DUPLICATE. */
	assert_int_equal(amt_raw_invoke_new(&ctx, http, "AddProxyAccessPoint",
	    NULL, 0, params, 3, &op), 0);
	wtest_next(op, &rq);
	in = expect_invoke(&rq, http, "AddProxyAccessPoint");
	assert_int_equal(wtest_nchildren(in), 3);
	assert_string_equal(wtest_text(in, http, "AccessInfo"),
	    "proxy.example.com");
	assert_string_equal(wtest_text(in, http, "Port"), "8080");
	assert_int_equal(wtest_feed_fixture(op, &rq,
	    "responses/ips/http/addproxyaccesspoint_2058.xml", 200),
	    MPS_ERR_RETURN_VALUE);
	wtest_req_free(&rq);
	res = amt_op_result(op);
	assert_string_equal(res->rv.name, "DUPLICATE");
	assert_non_null(strstr(res->rv.meaning, "0x080A"));
	amt_op_free(op);

	/* A zero ReturnValue completes. */
	assert_int_equal(amt_raw_invoke_new(&ctx,
	    "AMT_SetupAndConfigurationService", "CommitChanges", NULL, 0, NULL,
	    0, &op), 0);
	wtest_next(op, &rq);
	assert_int_equal(wtest_feed_fixture(op, &rq,
	    "responses/amt/setupandconfiguration/commitchanges.xml", 200),
	    AMT_OP_DONE);
	wtest_req_free(&rq);
	assert_string_equal(amt_op_result(op)->rv.name, "SUCCESS");
	amt_op_free(op);

	assert_int_equal(amt_raw_invoke_new(&ctx, http, NULL, NULL, 0, NULL,
	    0, &op), MPS_ERR_USAGE);
}

static void
test_state_names(void **state)
{
	(void)state;
	assert_string_equal(amt_op_state_str(AMT_ST_BOOT_PUT),
	    "Put AMT_BootSettingData");
	assert_string_equal(amt_op_state_str(AMT_ST_DONE), "done");
	assert_string_equal(amt_op_state_str(AMT_ST_COUNT), "invalid");
	amt_op_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_power_state, setup),
		cmocka_unit_test_setup(test_power_actions, setup),
		cmocka_unit_test_setup(test_power_action_refused, setup),
		cmocka_unit_test_setup(test_boot_targets, setup),
		cmocka_unit_test_setup(test_pxeboot, setup),
		cmocka_unit_test_setup(test_boot_failures, setup),
		cmocka_unit_test_setup(test_http_outcomes, setup),
		cmocka_unit_test_setup(test_identity, setup),
		cmocka_unit_test_setup(test_raw_enumerate_pages, setup),
		cmocka_unit_test_setup(test_time_sync, setup),
		cmocka_unit_test_setup(test_raw_get_put, setup),
		cmocka_unit_test_setup(test_raw_invoke, setup),
		cmocka_unit_test(test_state_names),
	};
	int r;

	r = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return r;
}
