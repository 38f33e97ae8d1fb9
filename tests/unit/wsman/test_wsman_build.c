/*
 * test_wsman_build.c: request envelopes, checked by parsing them back
 * namespace-aware, the way AMT reads them.
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

#include "mps_err.h"
#include "wsman.h"
#include "wtest.h"

#define URI_GS	WSMAN_URI_AMT "AMT_GeneralSettings"

static void
build_ok(const struct wsman_request *req, struct wtest_req *rq)
{
	char *out;
	size_t len;

	assert_int_equal(wsman_build(req, &out, &len), 0);
	assert_int_equal(strlen(out), len);
	wtest_req_parse(rq, out, len);
	free(out);
}

static int
build_err(const struct wsman_request *req)
{
	char *out = (char *)1;
	size_t len = 7;
	int r;

	r = wsman_build(req, &out, &len);
	assert_null(out);
	assert_int_equal(len, 0);
	return r;
}

static void
test_message_ids(void **state)
{
	struct wsman_ctx ctx;
	char id[WSMAN_MSGID_LEN], prev[WSMAN_MSGID_LEN] = "";
	int i;

	(void)state;
	assert_int_equal(wsman_ctx_init(&ctx, 0, NULL), 0);
	assert_string_equal(ctx.to, WSMAN_DEFAULT_TO);
	assert_int_equal(wsman_ctx_next_id(&ctx, id, sizeof id), 0);
	assert_string_equal(id, "uuid:00000000-0000-0000-0000-000000000000");
	assert_int_equal(wsman_ctx_next_id(&ctx, id, sizeof id), 0);
	assert_string_equal(id, "uuid:00000000-0000-0000-0000-000000000001");

	assert_int_equal(wsman_ctx_init(&ctx, UINT64_C(0x0123456789abcdef),
	    "/wsman"), 0);
	assert_string_equal(ctx.to, "/wsman");
	ctx.id_seq = UINT64_C(0xfedcba9876543210);
	assert_int_equal(wsman_ctx_next_id(&ctx, id, sizeof id), 0);
	assert_string_equal(id, "uuid:01234567-89ab-cdef-fedc-ba9876543210");
	/* Consecutive IDs never repeat. */
	for (i = 0; i < 1000; i++) {
		assert_int_equal(wsman_ctx_next_id(&ctx, id, sizeof id), 0);
		assert_string_not_equal(id, prev);
		strcpy(prev, id);
	}
	assert_int_equal(wsman_ctx_next_id(&ctx, id, 10), MPS_ERR_NO_SPACE);
	assert_int_equal(wsman_ctx_init(&ctx, 0, "bad\001to"), MPS_ERR_USAGE);
	assert_int_equal(wsman_ctx_init(&ctx, 0, ""), MPS_ERR_USAGE);
}

static void
test_resource_uri(void **state)
{
	char buf[WSMAN_MAX_URI + 1];

	(void)state;
	assert_int_equal(wsman_resource_uri("CIM_PowerManagementService", buf,
	    sizeof buf), 0);
	assert_string_equal(buf, "http://schemas.dmtf.org/wbem/wscim/1/"
	    "cim-schema/2/CIM_PowerManagementService");
	assert_int_equal(wsman_resource_uri("AMT_GeneralSettings", buf,
	    sizeof buf), 0);
	assert_string_equal(buf,
	    "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings");
	assert_int_equal(wsman_resource_uri("IPS_OptInService", buf,
	    sizeof buf), 0);
	assert_string_equal(buf,
	    "http://intel.com/wbem/wscim/1/ips-schema/1/IPS_OptInService");
	assert_int_equal(wsman_resource_uri("http://example.org/x/Y", buf,
	    sizeof buf), 0);
	assert_string_equal(buf, "http://example.org/x/Y");
	assert_int_equal(wsman_resource_uri("Foo_Bar", buf, sizeof buf),
	    MPS_ERR_USAGE);
	assert_int_equal(wsman_resource_uri("CIM_<x>", buf, sizeof buf),
	    MPS_ERR_USAGE);
	assert_int_equal(wsman_resource_uri("", buf, sizeof buf),
	    MPS_ERR_USAGE);
	assert_int_equal(wsman_resource_uri("AMT_GeneralSettings", buf, 20),
	    MPS_ERR_USAGE);
}

static void
test_get(void **state)
{
	struct wsman_request req = {
		.action = WSMAN_GET,
		.resource_uri = URI_GS,
		.message_id = "17",
	};
	struct wtest_req rq;

	(void)state;
	build_ok(&req, &rq);
	assert_string_equal(rq.action,
	    "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get");
	assert_string_equal(rq.to, WSMAN_DEFAULT_TO);
	assert_string_equal(rq.uri, URI_GS);
	assert_string_equal(rq.msgid, "17");
	assert_null(rq.payload);
	assert_null(wsman_xml_child(rq.header, WSMAN_NS_WSMAN, "SelectorSet"));
	/* AMT rejects OptionSet and small MaxEnvelopeSize: send neither. */
	assert_null(wsman_xml_child(rq.header, WSMAN_NS_WSMAN, "OptionSet"));
	assert_null(wsman_xml_child(rq.header, WSMAN_NS_WSMAN,
	    "MaxEnvelopeSize"));
	wtest_req_free(&rq);

	req.action = WSMAN_DELETE;
	req.to = "/wsman";
	build_ok(&req, &rq);
	assert_string_equal(rq.action,
	    "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete");
	assert_string_equal(rq.to, "/wsman");
	wtest_req_free(&rq);
}

static void
test_selectors_escaped(void **state)
{
	const struct wsman_selector sel[] = {
		{ "InstanceID", "Intel(r) AMT: Force PXE Boot" },
		{ "Tricky", "a&b<c>\"d'\xc3\xa9\r" },
	};
	struct wsman_request req = {
		.action = WSMAN_GET,
		.resource_uri = WSMAN_URI_CIM "CIM_BootSourceSetting",
		.message_id = "uuid:1",
		.selectors = sel,
		.nselectors = 2,
	};
	struct wtest_req rq;

	(void)state;
	build_ok(&req, &rq);
	assert_string_equal(wtest_selector(rq.header, "InstanceID"),
	    "Intel(r) AMT: Force PXE Boot");
	/* Markup and CR survive the round trip unchanged. */
	assert_string_equal(wtest_selector(rq.header, "Tricky"),
	    "a&b<c>\"d'\xc3\xa9\r");
	assert_null(wtest_selector(rq.header, "Name"));
	wtest_req_free(&rq);
}

static void
test_enumerate_pull_release(void **state)
{
	struct wsman_request req = {
		.action = WSMAN_ENUMERATE,
		.resource_uri = WSMAN_URI_CIM "CIM_SoftwareIdentity",
		.message_id = "1",
	};
	struct wtest_req rq;

	(void)state;
	build_ok(&req, &rq);
	assert_string_equal(rq.action,
	    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate");
	assert_true(wsman_xml_is(rq.payload, WSMAN_NS_ENUM, "Enumerate"));
	assert_int_equal(wtest_nchildren(rq.payload), 0);
	wtest_req_free(&rq);

	req.action = WSMAN_PULL;
	req.context = "E2020000-0000-0000-0000-000000000000";
	build_ok(&req, &rq);
	assert_string_equal(rq.action,
	    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull");
	assert_true(wsman_xml_is(rq.payload, WSMAN_NS_ENUM, "Pull"));
	assert_string_equal(wtest_text(rq.payload, WSMAN_NS_ENUM,
	    "EnumerationContext"), "E2020000-0000-0000-0000-000000000000");
	assert_string_equal(wtest_text(rq.payload, WSMAN_NS_ENUM,
	    "MaxElements"), "999");
	assert_string_equal(wtest_text(rq.payload, WSMAN_NS_ENUM,
	    "MaxCharacters"), "99999");
	wtest_req_free(&rq);

	req.action = WSMAN_RELEASE;
	build_ok(&req, &rq);
	assert_string_equal(rq.action,
	    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release");
	assert_true(wsman_xml_is(rq.payload, WSMAN_NS_ENUM, "Release"));
	assert_string_equal(wtest_text(rq.payload, WSMAN_NS_ENUM,
	    "EnumerationContext"), "E2020000-0000-0000-0000-000000000000");
	wtest_req_free(&rq);

	/* Pull and Release need a context. */
	req.context = NULL;
	assert_int_equal(build_err(&req), MPS_ERR_USAGE);
	req.action = WSMAN_PULL;
	req.context = "";
	assert_int_equal(build_err(&req), MPS_ERR_USAGE);
}

static void
test_invoke_with_epr(void **state)
{
	static const char uri[] = WSMAN_URI_CIM "CIM_PowerManagementService";
	const struct wsman_selector cs[] = {
		{ "CreationClassName", "CIM_ComputerSystem" },
		{ "Name", "ManagedSystem" },
	};
	const struct wsman_selector hdr[] = {
		{ "Name", "Intel(r) AMT Power Management Service" },
	};
	struct wsman_param params[2];
	struct wsman_request req = {
		.action = WSMAN_INVOKE,
		.resource_uri = uri,
		.method = "RequestPowerStateChange",
		.message_id = "5",
		.selectors = hdr,
		.nselectors = 1,
		.params = params,
		.nparams = 2,
	};
	struct wtest_req rq;
	xmlNode *me, *rp;
	char *epr;

	(void)state;
	assert_int_equal(wsman_epr_build(WSMAN_URI_CIM "CIM_ComputerSystem",
	    cs, 2, &epr, NULL), 0);
	params[0] = (struct wsman_param){ "PowerState", "2", 0 };
	params[1] = (struct wsman_param){ "ManagedElement", epr, 1 };
	build_ok(&req, &rq);
	free(epr);
	assert_string_equal(rq.action, WSMAN_URI_CIM
	    "CIM_PowerManagementService/RequestPowerStateChange");
	assert_string_equal(wtest_selector(rq.header, "Name"),
	    "Intel(r) AMT Power Management Service");
	assert_true(wsman_xml_is(rq.payload, uri,
	    "RequestPowerStateChange_INPUT"));
	assert_int_equal(wtest_nchildren(rq.payload), 2);
	assert_string_equal(wtest_text(rq.payload, uri, "PowerState"), "2");
	me = wsman_xml_child(rq.payload, uri, "ManagedElement");
	assert_non_null(me);
	assert_string_equal(wtest_text(me, WSMAN_NS_ADDR, "Address"),
	    WSMAN_ANONYMOUS);
	rp = wsman_xml_child(me, WSMAN_NS_ADDR, "ReferenceParameters");
	assert_string_equal(wtest_text(rp, WSMAN_NS_WSMAN, "ResourceURI"),
	    WSMAN_URI_CIM "CIM_ComputerSystem");
	assert_string_equal(wtest_selector(rp, "CreationClassName"),
	    "CIM_ComputerSystem");
	assert_string_equal(wtest_selector(rp, "Name"), "ManagedSystem");
	wtest_req_free(&rq);

	/* No parameters: an empty _INPUT element. */
	req.nparams = 0;
	req.nselectors = 0;
	req.method = "GetLowAccuracyTimeSynch";
	req.resource_uri = WSMAN_URI_AMT "AMT_TimeSynchronizationService";
	build_ok(&req, &rq);
	assert_true(wsman_xml_is(rq.payload, req.resource_uri,
	    "GetLowAccuracyTimeSynch_INPUT"));
	assert_int_equal(wtest_nchildren(rq.payload), 0);
	wtest_req_free(&rq);
}

static void
test_put_sends_instance_back(void **state)
{
	struct wsman_resp resp;
	struct wsman_instance inst;
	struct wsman_request req = {
		.action = WSMAN_PUT,
		.resource_uri = URI_GS,
		.message_id = "9",
	};
	struct wtest_req rq;
	xmlNode *got, *want;
	char *body, *frag;
	size_t len, flen;

	(void)state;
	body = wtest_load("responses/amt/general/get.xml", &len);
	assert_int_equal(wsman_resp_parse(&resp, body, len, NULL), 0);
	assert_int_equal(wsman_resp_instance(&resp, "AMT_GeneralSettings",
	    &inst), 0);
	req.instance = inst.xml;
	req.instance_len = inst.xml_len;
	build_ok(&req, &rq);
	assert_string_equal(rq.action,
	    "http://schemas.xmlsoap.org/ws/2004/09/transfer/Put");
	assert_true(wsman_xml_is(rq.payload, URI_GS, "AMT_GeneralSettings"));
	/* Same properties, same order, same values as the Get returned. */
	want = wsman_xml_child(wsman_resp_payload(&resp), NULL, NULL);
	got = wsman_xml_child(rq.payload, NULL, NULL);
	assert_int_equal(wtest_nchildren(rq.payload),
	    wtest_nchildren(wsman_resp_payload(&resp)));
	for (; want != NULL; want = wsman_xml_next(want, NULL, NULL),
	    got = wsman_xml_next(got, NULL, NULL)) {
		char a[512], b[512];

		assert_true(wsman_xml_is(got, URI_GS,
		    (const char *)want->name));
		assert_int_equal(wsman_xml_text(want, a, sizeof a, 0), 0);
		assert_int_equal(wsman_xml_text(got, b, sizeof b, 0), 0);
		assert_string_equal(a, b);
	}
	assert_null(got);
	wtest_req_free(&rq);

	/* An instance of another class is refused. */
	req.resource_uri = WSMAN_URI_AMT "AMT_BootSettingData";
	assert_int_equal(build_err(&req), MPS_ERR_USAGE);
	req.resource_uri = URI_GS;

	/* So are smuggled DTDs, garbage and trailing elements. */
	frag = wtest_replace(inst.xml, "<g:AMT_GeneralSettings",
	    "<!DOCTYPE x [<!ENTITY e \"boom\">]><g:AMT_GeneralSettings");
	req.instance = frag;
	req.instance_len = strlen(frag);
	assert_int_equal(build_err(&req), MPS_ERR_USAGE);
	free(frag);
	req.instance = "<not-closed";
	req.instance_len = strlen(req.instance);
	assert_int_equal(build_err(&req), MPS_ERR_USAGE);
	flen = inst.xml_len * 2 + 1;
	frag = malloc(flen);
	assert_non_null(frag);
	snprintf(frag, flen, "%s%s", inst.xml, inst.xml);
	req.instance = frag;
	req.instance_len = strlen(frag);
	assert_int_equal(build_err(&req), MPS_ERR_USAGE);
	free(frag);
	req.instance = NULL;
	req.instance_len = 0;
	assert_int_equal(build_err(&req), MPS_ERR_USAGE);

	wsman_instance_clear(&inst);
	wsman_resp_free(&resp);
	free(body);
}

static void
test_invalid_requests(void **state)
{
	struct wsman_selector sel[WSMAN_MAX_SELECTORS + 1];
	struct wsman_param p = { "Good", "x", 0 };
	struct wsman_request req = {
		.action = WSMAN_INVOKE,
		.resource_uri = URI_GS,
		.method = "Do",
		.message_id = "1",
		.params = &p,
		.nparams = 1,
	};
	char *big;
	size_t i;

	(void)state;
	req.method = "Bad Method";
	assert_int_equal(build_err(&req), MPS_ERR_USAGE);
	req.method = "1abc";
	assert_int_equal(build_err(&req), MPS_ERR_USAGE);
	req.method = "Do";
	p.name = "a:b";
	assert_int_equal(build_err(&req), MPS_ERR_USAGE);
	p.name = "Good";
	p.value = "ctl\001char";
	assert_int_equal(build_err(&req), MPS_ERR_USAGE);
	p.value = "bad utf8 \xc3\x28";
	assert_int_equal(build_err(&req), MPS_ERR_USAGE);
	p.value = "overlong \xc0\xaf";
	assert_int_equal(build_err(&req), MPS_ERR_USAGE);
	p.value = "surrogate \xed\xa0\x80";
	assert_int_equal(build_err(&req), MPS_ERR_USAGE);
	/* A raw fragment that does not fit the envelope is caught. */
	p.value = "<a:Address>x</a:Addr>";
	p.is_xml = 1;
	assert_int_equal(build_err(&req), MPS_ERR_USAGE);
	p.value = "<q:Undeclared/>";
	assert_int_equal(build_err(&req), MPS_ERR_USAGE);
	p.value = "<a:Address>ok</a:Address>";
	req.message_id = NULL;
	assert_int_equal(build_err(&req), MPS_ERR_USAGE);
	req.message_id = "1";
	req.resource_uri = NULL;
	assert_int_equal(build_err(&req), MPS_ERR_USAGE);
	req.resource_uri = URI_GS;
	req.action = (enum wsman_action)99;
	assert_int_equal(build_err(&req), MPS_ERR_USAGE);

	req.action = WSMAN_GET;
	for (i = 0; i <= WSMAN_MAX_SELECTORS; i++)
		sel[i] = (struct wsman_selector){ "Name", "v" };
	req.selectors = sel;
	req.nselectors = WSMAN_MAX_SELECTORS + 1;
	assert_int_equal(build_err(&req), MPS_ERR_USAGE);
	req.nselectors = 1;
	sel[0].name = "";
	assert_int_equal(build_err(&req), MPS_ERR_USAGE);
	sel[0].name = "Name";
	sel[0].value = NULL;
	assert_int_equal(build_err(&req), MPS_ERR_USAGE);

	/* The size cap holds for what we send, too. */
	big = malloc(WSMAN_MAX_BODY + 1);
	assert_non_null(big);
	memset(big, 'x', WSMAN_MAX_BODY);
	big[WSMAN_MAX_BODY] = '\0';
	sel[0].value = big;
	assert_int_equal(build_err(&req), MPS_ERR_TOO_LARGE);
	free(big);
}

static void
test_action_names(void **state)
{
	(void)state;
	assert_string_equal(wsman_action_str(WSMAN_GET), "Get");
	assert_string_equal(wsman_action_str(WSMAN_INVOKE), "Invoke");
	assert_string_equal(wsman_action_str((enum wsman_action)42),
	    "unknown");
}

/* What the daemon builds, the simulator reads back identically. */
static void
test_request_roundtrip(void **state)
{
	static const char uri[] = WSMAN_URI_CIM "CIM_BootService";
	const struct wsman_selector sel[] = {
		{ "Name", "Intel(r) AMT Boot Service" },
		{ "SystemName", "Intel(r) AMT" },
	};
	const struct wsman_param par = { "Role", "1", 0 };
	const enum wsman_action acts[] = {
		WSMAN_GET, WSMAN_DELETE, WSMAN_ENUMERATE, WSMAN_PULL,
		WSMAN_RELEASE, WSMAN_INVOKE,
	};
	struct wsman_request req = {
		.resource_uri = uri,
		.message_id = "uuid:00000000-0000-0000-0000-00000000002a",
		.selectors = sel,
		.nselectors = 2,
		.method = "SetBootConfigRole",
		.params = &par,
		.nparams = 1,
		.context = "14000000-0000-0000-0000-000000000000",
	};
	struct wsman_req_info info;
	char *out;
	size_t len, i;

	(void)state;
	for (i = 0; i < sizeof acts / sizeof acts[0]; i++) {
		req.action = acts[i];
		assert_int_equal(wsman_build(&req, &out, &len), 0);
		assert_int_equal(wsman_req_parse(&info, out, len), 0);
		assert_int_equal(info.action, acts[i]);
		assert_string_equal(info.resource_uri, uri);
		assert_string_equal(info.message_id, req.message_id);
		assert_int_equal(info.nselectors, 2);
		assert_string_equal(wsman_req_selector(&info, "Name"),
		    "Intel(r) AMT Boot Service");
		assert_string_equal(wsman_req_selector(&info, "SystemName"),
		    "Intel(r) AMT");
		assert_null(wsman_req_selector(&info, "Other"));
		if (acts[i] == WSMAN_INVOKE) {
			assert_string_equal(info.method, "SetBootConfigRole");
			assert_true(wsman_xml_is(info.payload, uri,
			    "SetBootConfigRole_INPUT"));
		}
		if (acts[i] == WSMAN_PULL || acts[i] == WSMAN_RELEASE)
			assert_string_equal(info.context, req.context);
		wsman_req_free(&info);
		free(out);
	}
}

/* A request written by another client (Go, default-namespace SOAP). */
static void
test_request_foreign(void **state)
{
	struct wsman_req_info info;
	char *body, *bad;
	size_t len;

	(void)state;
	/* The fixture README: this file is a request, not a response. */
	body = wtest_load("responses/amt/boot/settingdata/put.xml", &len);
	assert_int_equal(wsman_req_parse(&info, body, len), 0);
	assert_int_equal(info.action, WSMAN_PUT);
	assert_string_equal(info.resource_uri,
	    WSMAN_URI_AMT "AMT_BootSettingData");
	assert_string_equal(info.message_id, "1");
	assert_int_equal(info.nselectors, 0);
	assert_true(wsman_xml_is(info.payload,
	    WSMAN_URI_AMT "AMT_BootSettingData", "AMT_BootSettingData"));
	wsman_req_free(&info);

	/* An action that is neither standard nor a method of the class. */
	bad = wtest_replace(body, "transfer/Put</a:Action>",
	    "transfer/Frobnicate</a:Action>");
	assert_int_equal(wsman_req_parse(&info, bad, strlen(bad)),
	    MPS_ERR_XML);
	wsman_req_free(&info);
	free(bad);
	bad = wtest_replace(body, "<a:MessageID>1</a:MessageID>", "");
	assert_int_equal(wsman_req_parse(&info, bad, strlen(bad)),
	    MPS_ERR_XML);
	wsman_req_free(&info);
	free(bad);
	free(body);

	/* A method of another class. */
	{
		struct wsman_request req = {
			.action = WSMAN_INVOKE,
			.resource_uri = URI_GS,
			.method = "M",
			.message_id = "1",
		};
		char *out, *moved;
		size_t l;

		assert_int_equal(wsman_build(&req, &out, &l), 0);
		moved = wtest_replace(out, URI_GS "/M<", URI_GS "X/M<");
		assert_int_equal(wsman_req_parse(&info, moved, strlen(moved)),
		    MPS_ERR_XML);
		wsman_req_free(&info);
		free(moved);
		free(out);
	}
}

static void
test_fault_builder(void **state)
{
	struct wsman_resp resp;
	char *out;
	size_t len;

	(void)state;
	assert_int_equal(wsman_build_fault("uuid:9", "Sender", WSMAN_NS_ADDR,
	    "DestinationUnreachable", "No route <here> & there", NULL, &out,
	    &len), 0);
	assert_int_equal(wsman_resp_parse(&resp, out, len, "uuid:9"),
	    MPS_ERR_WSMAN_FAULT);
	assert_string_equal(resp.fault.code, "Sender");
	assert_string_equal(resp.fault.subcode, "DestinationUnreachable");
	assert_string_equal(resp.fault.subcode_ns, WSMAN_NS_ADDR);
	assert_string_equal(resp.fault.reason, "No route <here> & there");
	assert_string_equal(resp.fault.detail, "");
	assert_string_equal(resp.action, WSMAN_NS_ADDR "/fault");
	wsman_resp_free(&resp);
	free(out);

	assert_int_equal(wsman_build_fault(NULL, "Receiver", WSMAN_NS_WSMAN,
	    "InternalError", "failed", "AMT-STATUS 36", &out, &len), 0);
	assert_int_equal(wsman_resp_parse(&resp, out, len, "any"),
	    MPS_ERR_WSMAN_FAULT);
	assert_string_equal(resp.fault.subcode_ns, WSMAN_NS_WSMAN);
	assert_int_equal(resp.fault.amt_status, 36);
	assert_string_equal(resp.action,
	    "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault");
	wsman_resp_free(&resp);
	free(out);

	assert_int_equal(wsman_build_fault(NULL, "Send er", WSMAN_NS_WSMAN,
	    "X", "r", NULL, &out, &len), MPS_ERR_USAGE);
	assert_null(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message_ids),
		cmocka_unit_test(test_resource_uri),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_selectors_escaped),
		cmocka_unit_test(test_enumerate_pull_release),
		cmocka_unit_test(test_invoke_with_epr),
		cmocka_unit_test(test_put_sends_instance_back),
		cmocka_unit_test(test_invalid_requests),
		cmocka_unit_test(test_action_names),
		cmocka_unit_test(test_request_roundtrip),
		cmocka_unit_test(test_request_foreign),
		cmocka_unit_test(test_fault_builder),
	};
	int r;

	r = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return r;
}
