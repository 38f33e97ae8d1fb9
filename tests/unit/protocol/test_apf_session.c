/*
 * test_apf_session.c: the server-side APF state machine: order, auth,
 * global requests, keepalive, channels, windows, closes, tombstones,
 * glitches, reentrancy and memory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "apf.h"
#include "apf_session.h"
#include "mps_err.h"
#include "proto_util.h"

#define DISC_PROTO	"01 00000002 0000"
#define DISC_SERVICE	"01 00000007 0000"

static const uint32_t amt_ports[] = { 16993, 16992, 664, 623, 16995, 16994,
    5900 };
#define NPORTS	(sizeof(amt_ports) / sizeof(amt_ports[0]))

static struct pu_rec *
rec_new(const struct apf_session_limits *lim)
{
	struct pu_rec *r = malloc(sizeof(*r));

	assert_non_null(r);
	pu_init(r, lim);
	return r;
}

static void
rec_done(struct pu_rec *r)
{
	pu_free(r);
	free(r);
}

static void
feed_hex(struct pu_rec *r, const char *hex, int want_rc)
{
	uint8_t b[4096];
	size_t n, used;

	n = pu_hex(hex, b, sizeof(b));
	assert_int_equal(pu_feed(r, b, n, &used), want_rc);
	if (want_rc == MPS_OK)
		assert_int_equal(used, n);
}

static void
test_handshake(void **state)
{
	struct pu_rec *r = rec_new(NULL);
	struct apf_msg m;
	uint32_t ports[APF_MAX_FORWARDS];

	(void)state;
	assert_int_equal(apf_session_state(r->s), APF_SESSION_VERSION);
	assert_string_equal(apf_session_guid(r->s), "");
	assert_int_equal(apf_session_max_message(r->s), 93);
	pu_msg_version(&m);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	/* No PROTOCOLVERSION goes back. */
	assert_int_equal(r->nmsgs, 0);
	assert_int_equal(r->nev, 1);
	assert_int_equal(r->ev[0].type, APF_EV_VERSION);
	assert_string_equal(r->ev[0].text1,
	    "03020100-0504-0706-0809-0a0b0c0d0e0f");
	assert_string_equal(apf_session_guid(r->s),
	    "03020100-0504-0706-0809-0a0b0c0d0e0f");
	assert_int_equal(apf_session_state(r->s), APF_SESSION_AUTH_SERVICE);

	pu_msg_service(&m, APF_SERVICE_AUTH);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_true(pu_sent_is(r, 0,
	    "06 00000012 6175746840616d742e696e74656c2e636f6d"));
	assert_int_equal(apf_session_state(r->s), APF_SESSION_USERAUTH);
	assert_true(apf_session_max_message(r->s) > 8000);

	pu_msg_userauth(&m, "mpsuser1", "Cira-Pass1!");
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_true(pu_sent_is(r, 1, "34"));
	assert_int_equal(pu_count(r, APF_EV_AUTH), 1);
	assert_string_equal(r->ev[1].text1, "mpsuser1");
	assert_string_equal(r->ev[1].text2, "Cira-Pass1!");
	assert_int_equal(r->ev[2].type, APF_EV_AUTHENTICATED);
	assert_int_equal(apf_session_state(r->s), APF_SESSION_PFWD_SERVICE);

	pu_msg_service(&m, APF_SERVICE_PFWD);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_true(pu_sent_is(r, 2,
	    "06 00000012 7066776440616d742e696e74656c2e636f6d"));
	assert_int_equal(apf_session_state(r->s), APF_SESSION_ACTIVE);
	assert_int_equal(apf_session_max_message(r->s),
	    9 + 65536 + 6553);

	pu_msg_forward(&m, 0, 16993, 1);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_true(pu_sent_is(r, 3, "51 00004261"));
	assert_int_equal(r->ev[3].type, APF_EV_FORWARD_ADDED);
	assert_int_equal(r->ev[3].a, 16993);
	assert_int_equal(apf_session_forwards(r->s, ports, APF_MAX_FORWARDS),
	    1);
	assert_int_equal(ports[0], 16993);
	assert_true(apf_session_is_forwarded(r->s, 16993));
	assert_false(apf_session_is_forwarded(r->s, 16992));
	assert_int_equal(apf_session_glitches(r->s), 0);
	assert_string_equal(apf_session_reason(r->s), "");
	rec_done(r);
}

/* Drives r to the given state with the standard messages. */
static void
goto_state(struct pu_rec *r, enum apf_session_state st)
{
	struct apf_msg m;

	if (st == APF_SESSION_VERSION)
		return;
	pu_msg_version(&m);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	if (st == APF_SESSION_AUTH_SERVICE)
		goto out;
	pu_msg_service(&m, APF_SERVICE_AUTH);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	if (st == APF_SESSION_USERAUTH)
		goto out;
	pu_msg_userauth(&m, "u", "p");
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	if (st == APF_SESSION_PFWD_SERVICE)
		goto out;
	pu_msg_service(&m, APF_SERVICE_PFWD);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
out:
	assert_int_equal(apf_session_state(r->s), st);
	pu_clear(r);
}

struct order_case {
	enum apf_session_state	 st;
	const char		*hex;
	const char		*reason;
};

#define HEX_VERSION "c0 00000001 00000000 00000001" \
	" 000102030405060708090a0b0c0d0e0f" \
	" 0000000000000000000000000000000000000000000000000000000000000000" \
	" 0000000000000000000000000000000000000000000000000000000000000000"
#define HEX_SVC_AUTH "05 00000012 6175746840616d742e696e74656c2e636f6d"
#define HEX_SVC_PFWD "05 00000012 7066776440616d742e696e74656c2e636f6d"
#define HEX_USERAUTH "32 00000001 75 00000012" \
	" 7066776440616d742e696e74656c2e636f6d" \
	" 00000008 70617373776f7264 00 00000001 70"
#define HEX_FORWARD "50 0000000d 74637069702d666f7277617264 01" \
	" 00000000 00004261"

static const struct order_case order_cases[] = {
	{ APF_SESSION_VERSION, HEX_SVC_AUTH,
	  "SERVICE_REQUEST before PROTOCOLVERSION" },
	{ APF_SESSION_VERSION, HEX_USERAUTH,
	  "USERAUTH_REQUEST before PROTOCOLVERSION" },
	{ APF_SESSION_VERSION, HEX_FORWARD,
	  "GLOBAL_REQUEST before PROTOCOLVERSION" },
	{ APF_SESSION_VERSION, "d0 00000001",
	  "KEEPALIVE_REQUEST before PROTOCOLVERSION" },
	{ APF_SESSION_AUTH_SERVICE, HEX_USERAUTH,
	  "USERAUTH_REQUEST before auth service request" },
	{ APF_SESSION_AUTH_SERVICE, HEX_VERSION,
	  "PROTOCOLVERSION repeated (state AUTH_SERVICE)" },
	{ APF_SESSION_AUTH_SERVICE, HEX_SVC_PFWD,
	  "pfwd service request before authentication" },
	{ APF_SESSION_AUTH_SERVICE, "61 00000004",
	  "CHANNEL_CLOSE before auth service request" },
	{ APF_SESSION_USERAUTH, HEX_SVC_PFWD,
	  "SERVICE_REQUEST before USERAUTH_REQUEST" },
	{ APF_SESSION_USERAUTH, HEX_SVC_AUTH, NULL },
	{ APF_SESSION_USERAUTH, HEX_FORWARD,
	  "GLOBAL_REQUEST before USERAUTH_REQUEST" },
	{ APF_SESSION_PFWD_SERVICE, HEX_FORWARD,
	  "GLOBAL_REQUEST before pfwd service request" },
	{ APF_SESSION_PFWD_SERVICE, "d0 00000001",
	  "KEEPALIVE_REQUEST before pfwd service request" },
	{ APF_SESSION_PFWD_SERVICE, HEX_USERAUTH, NULL },
	{ APF_SESSION_PFWD_SERVICE, HEX_SVC_AUTH,
	  "auth service request repeated" },
	{ APF_SESSION_ACTIVE, HEX_VERSION, NULL },
	{ APF_SESSION_ACTIVE, HEX_USERAUTH,
	  "USERAUTH_REQUEST repeated (state ACTIVE)" },
	{ APF_SESSION_ACTIVE, HEX_SVC_PFWD, NULL },
	{ APF_SESSION_ACTIVE, "06 00000000",
	  "SERVICE_ACCEPT is not a device message" },
	{ APF_SESSION_ACTIVE, "34", "USERAUTH_SUCCESS is not a device message" },
	{ APF_SESSION_ACTIVE, "33 00000000 00", NULL },
	{ APF_SESSION_ACTIVE, "51", "REQUEST_SUCCESS is not a device message" },
	{ APF_SESSION_ACTIVE, "52", NULL },
	{ APF_SESSION_ACTIVE, "d2 0000001e 00000000", NULL },
	{ APF_SESSION_VERSION, "5e 00000004 ffffffff", NULL },
};

/* Every out-of-order message: MPS_ERR_STATE, DISCONNECT(2), CLOSED. */
static void
test_order(void **state)
{
	struct pu_rec *r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(order_cases) / sizeof(order_cases[0]); i++) {
		const struct order_case *c = &order_cases[i];

		r = rec_new(NULL);
		goto_state(r, c->st);
		feed_hex(r, c->hex, MPS_ERR_STATE);
		assert_int_equal(r->nmsgs, 1);
		assert_true(pu_sent_is(r, 0, DISC_PROTO));
		assert_int_equal(apf_session_state(r->s), APF_SESSION_CLOSED);
		assert_true(strlen(apf_session_reason(r->s)) > 0);
		if (c->reason != NULL &&
		    strcmp(apf_session_reason(r->s), c->reason) != 0)
			fail_msg("case %zu: reason \"%s\", want \"%s\"", i,
			    apf_session_reason(r->s), c->reason);
		/* Nothing more is accepted or sent. */
		feed_hex(r, "d0 00000001", MPS_ERR_STATE);
		assert_int_equal(r->nmsgs, 1);
		assert_int_equal(apf_session_max_message(r->s), 0);
		rec_done(r);
	}
}

/* The type byte alone decides: no waiting for a huge body out of order. */
static void
test_order_early(void **state)
{
	struct pu_rec *r = rec_new(NULL);
	uint8_t b = APF_CHANNEL_DATA;
	size_t used;

	(void)state;
	assert_int_equal(pu_feed(r, &b, 1, &used), MPS_ERR_STATE);
	assert_int_equal(used, 0);
	assert_true(pu_sent_is(r, 0, DISC_PROTO));
	assert_string_equal(apf_session_reason(r->s),
	    "CHANNEL_DATA before PROTOCOLVERSION");
	rec_done(r);
}

static void
test_unknown_service_and_type(void **state)
{
	struct pu_rec *r;

	(void)state;
	r = rec_new(NULL);
	goto_state(r, APF_SESSION_AUTH_SERVICE);
	feed_hex(r, "05 00000003 666f6f", MPS_ERR_UNKNOWN_SERVICE);
	assert_int_equal(r->nmsgs, 1);
	assert_true(pu_sent_is(r, 0, DISC_SERVICE));
	assert_string_equal(apf_session_reason(r->s),
	    "unknown service \"foo\"");
	rec_done(r);

	/* A USERAUTH_REQUEST for another service: same treatment. */
	r = rec_new(NULL);
	goto_state(r, APF_SESSION_USERAUTH);
	feed_hex(r, "32 00000001 75 00000003 666f6f 00000004 6e6f6e65",
	    MPS_ERR_UNKNOWN_SERVICE);
	assert_true(pu_sent_is(r, 0, DISC_SERVICE));
	assert_int_equal(pu_count(r, APF_EV_AUTH), 0);
	rec_done(r);

	r = rec_new(NULL);
	goto_state(r, APF_SESSION_ACTIVE);
	feed_hex(r, "60 00000004", MPS_ERR_UNKNOWN_TYPE);
	assert_true(pu_sent_is(r, 0, DISC_PROTO));
	assert_string_equal(apf_session_reason(r->s),
	    "unknown message type 96");
	rec_done(r);

	/* Malformed (password change flag) and oversize: also DISCONNECT. */
	r = rec_new(NULL);
	goto_state(r, APF_SESSION_USERAUTH);
	feed_hex(r, "32 00000001 75 00000012 7066776440616d742e696e74656c2e636f6d"
	    " 00000008 70617373776f7264 01", MPS_ERR_INVALID);
	assert_true(pu_sent_is(r, 0, DISC_PROTO));
	rec_done(r);
	r = rec_new(NULL);
	goto_state(r, APF_SESSION_AUTH_SERVICE);
	feed_hex(r, "05 ffffffff", MPS_ERR_TOO_LARGE);
	assert_true(pu_sent_is(r, 0, DISC_PROTO));
	rec_done(r);
}

static void
test_auth_reject_sync(void **state)
{
	struct pu_rec *r = rec_new(NULL);
	struct apf_msg m;

	(void)state;
	r->auth = PU_AUTH_REJECT;
	goto_state(r, APF_SESSION_USERAUTH);
	pu_msg_userauth(&m, "mpsuser1", "wrong");
	assert_int_equal(pu_feed_msg(r, &m), MPS_ERR_AUTH);
	assert_int_equal(r->nmsgs, 1);
	/* 14 bytes: "password" and one partial-success byte. */
	assert_true(pu_sent_is(r, 0, "33 00000008 70617373776f7264 00"));
	assert_int_equal(apf_session_state(r->s), APF_SESSION_CLOSED);
	assert_string_equal(apf_session_reason(r->s),
	    mps_strerror(MPS_ERR_AUTH));
	assert_int_equal(pu_count(r, APF_EV_AUTHENTICATED), 0);
	/* A late verdict changes nothing. */
	assert_int_equal(apf_session_auth_result(r->s, 1), MPS_ERR_AUTH);
	assert_int_equal(r->nmsgs, 1);
	rec_done(r);
}

/* Async verdict: input pauses after USERAUTH_REQUEST, then resumes. */
static void
test_auth_async(void **state)
{
	struct pu_rec *r = rec_new(NULL);
	uint8_t b[512];
	size_t n, used, upto;

	(void)state;
	r->auth = PU_AUTH_ASYNC;
	n = pu_hex(HEX_VERSION HEX_SVC_AUTH HEX_USERAUTH HEX_SVC_PFWD
	    HEX_FORWARD, b, sizeof(b));
	upto = 93 + 23 + 46;
	assert_int_equal(pu_feed(r, b, n, &used), MPS_OK);
	assert_int_equal(used, upto);
	assert_int_equal(apf_session_state(r->s), APF_SESSION_AUTH_PENDING);
	assert_int_equal(pu_count(r, APF_EV_AUTH), 1);
	assert_int_equal(r->nmsgs, 1);		/* SERVICE_ACCEPT only */
	/* While paused, nothing is consumed. */
	assert_int_equal(pu_feed(r, b + upto, n - upto, &used), MPS_OK);
	assert_int_equal(used, 0);
	/* Verdict outside the callback. */
	assert_int_equal(apf_session_auth_result(r->s, 1), MPS_OK);
	assert_true(pu_sent_is(r, 1, "34"));
	assert_int_equal(pu_count(r, APF_EV_AUTHENTICATED), 1);
	assert_int_equal(apf_session_auth_result(r->s, 1), MPS_ERR_STATE);
	assert_int_equal(pu_feed(r, b + upto, n - upto, &used), MPS_OK);
	assert_int_equal(used, n - upto);
	assert_true(pu_sent_is(r, 3, "51 00004261"));
	assert_int_equal(apf_session_state(r->s), APF_SESSION_ACTIVE);
	rec_done(r);

	/* Async rejection. */
	r = rec_new(NULL);
	r->auth = PU_AUTH_ASYNC;
	assert_int_equal(pu_feed(r, b, n, &used), MPS_OK);
	assert_int_equal(apf_session_auth_result(r->s, 0), MPS_OK);
	assert_true(pu_sent_is(r, 1, "33 00000008 70617373776f7264 00"));
	assert_int_equal(apf_session_state(r->s), APF_SESSION_CLOSED);
	assert_int_equal(pu_feed(r, b + upto, n - upto, &used), MPS_ERR_AUTH);
	assert_int_equal(used, 0);
	assert_int_equal(r->nmsgs, 2);
	rec_done(r);
}

static void
test_forwards(void **state)
{
	struct pu_rec *r = rec_new(NULL);
	struct apf_msg m;
	uint32_t ports[APF_MAX_FORWARDS], p;
	size_t i;

	(void)state;
	goto_state(r, APF_SESSION_ACTIVE);
	/* want_reply 0 is answered too; a duplicate is answered, added once. */
	pu_msg_forward(&m, 0, 16992, 0);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	pu_msg_forward(&m, 0, 16992, 1);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_true(pu_sent_is(r, 0, "51 00004260"));
	assert_true(pu_sent_is(r, 1, "51 00004260"));
	assert_int_equal(pu_count(r, APF_EV_FORWARD_ADDED), 1);
	assert_int_equal(apf_session_forwards(r->s, ports, APF_MAX_FORWARDS),
	    1);
	/* Fill up to the cap; the next one is refused. */
	for (p = 1; p < APF_MAX_FORWARDS; p++) {
		pu_msg_forward(&m, 0, 1000 + p, 1);
		assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	}
	assert_int_equal(apf_session_forwards(r->s, ports, APF_MAX_FORWARDS),
	    APF_MAX_FORWARDS);
	pu_clear(r);
	pu_msg_forward(&m, 0, 5900, 1);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_true(pu_sent_is(r, 0, "52"));
	assert_false(apf_session_is_forwarded(r->s, 5900));
	/* A known port is still answered with success at the cap. */
	pu_msg_forward(&m, 0, 16992, 1);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_true(pu_sent_is(r, 1, "51 00004260"));
	/* Cancel: bare success, port gone, event. */
	pu_clear(r);
	pu_msg_forward(&m, 1, 16992, 1);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_true(pu_sent_is(r, 0, "51"));
	assert_int_equal(r->ev[0].type, APF_EV_FORWARD_REMOVED);
	assert_int_equal(r->ev[0].a, 16992);
	assert_false(apf_session_is_forwarded(r->s, 16992));
	assert_int_equal(apf_session_forwards(r->s, ports, 4), 4);
	/* Now there is room again. */
	pu_msg_forward(&m, 0, 5900, 1);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_true(pu_sent_is(r, 1, "51 0000170c"));
	/* Cancel of a port not forwarded; forward of port 0 and 70000. */
	assert_int_equal(apf_session_glitches(r->s), 0);
	pu_clear(r);
	pu_msg_forward(&m, 1, 16992, 1);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	pu_msg_forward(&m, 0, 0, 1);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	pu_msg_forward(&m, 0, 70000, 0);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	for (i = 0; i < 3; i++)
		assert_true(pu_sent_is(r, i, "52"));
	assert_int_equal(apf_session_glitches(r->s), 3);
	assert_int_equal(pu_count(r, APF_EV_FORWARD_ADDED), 0);
	rec_done(r);
}

#define HEX_UDP(wr) "50 00000019" \
	" 7564702d73656e642d746f40616d742e696e74656c2e636f6d " wr \
	" 00000008 31302e302e302e31 0000026f" \
	" 00000008 31302e302e302e32 00000400 00000003 616263"

static void
test_udp_and_unknown_request(void **state)
{
	struct pu_rec *r = rec_new(NULL);

	(void)state;
	goto_state(r, APF_SESSION_ACTIVE);
	feed_hex(r, HEX_UDP("01"), MPS_OK);
	assert_int_equal(r->nmsgs, 1);
	assert_true(pu_sent_is(r, 0, "52"));
	assert_int_equal(apf_session_glitches(r->s), 1);
	feed_hex(r, HEX_UDP("00"), MPS_OK);
	assert_int_equal(r->nmsgs, 1);
	assert_int_equal(apf_session_glitches(r->s), 2);
	assert_int_equal(apf_session_state(r->s), APF_SESSION_ACTIVE);

	/* Unknown request with want_reply: FAILURE, then DISCONNECT. */
	pu_clear(r);
	feed_hex(r, "50 00000004 78797a7a 01 00000000 00000001",
	    MPS_ERR_UNKNOWN_REQUEST);
	assert_int_equal(r->nmsgs, 2);
	assert_true(pu_sent_is(r, 0, "52"));
	assert_true(pu_sent_is(r, 1, DISC_PROTO));
	assert_string_equal(apf_session_reason(r->s),
	    "unknown global request \"xyzz\"");
	rec_done(r);

	/* Without want_reply: just DISCONNECT; hostile names are sanitised. */
	r = rec_new(NULL);
	goto_state(r, APF_SESSION_ACTIVE);
	feed_hex(r, "50 00000003 0a1b41 00", MPS_ERR_UNKNOWN_REQUEST);
	assert_int_equal(r->nmsgs, 1);
	assert_true(pu_sent_is(r, 0, DISC_PROTO));
	assert_string_equal(apf_session_reason(r->s),
	    "unknown global request \"??A\"");
	rec_done(r);
}

static void
test_keepalive(void **state)
{
	struct pu_rec *r = rec_new(NULL);

	(void)state;
	goto_state(r, APF_SESSION_ACTIVE);
	feed_hex(r, "d0 cafef00d", MPS_OK);
	assert_true(pu_sent_is(r, 0, "d1 cafef00d"));
	assert_int_equal(r->ev[0].type, APF_EV_KEEPALIVE);
	assert_int_equal(r->ev[0].a, 0xcafef00d);
	assert_int_equal(apf_session_keepalive_options(r->s, 30, 0), MPS_OK);
	assert_true(pu_sent_is(r, 1, "d2 0000001e 00000000"));
	feed_hex(r, "d3 0000005a 00000010", MPS_OK);
	assert_int_equal(r->ev[1].type, APF_EV_KEEPALIVE_OPTIONS);
	assert_int_equal(r->ev[1].a, 90);
	assert_int_equal(r->ev[1].b, 16);
	assert_int_equal(apf_session_keepalive_probe(r->s, 7), MPS_OK);
	assert_true(pu_sent_is(r, 2, "d0 00000007"));
	feed_hex(r, "d1 00000007", MPS_OK);
	assert_int_equal(r->ev[2].type, APF_EV_KEEPALIVE_REPLY);
	assert_int_equal(r->ev[2].a, 7);
	assert_int_equal(r->nmsgs, 3);
	rec_done(r);

	/* Only in ACTIVE. */
	r = rec_new(NULL);
	goto_state(r, APF_SESSION_PFWD_SERVICE);
	assert_int_equal(apf_session_keepalive_options(r->s, 30, 0),
	    MPS_ERR_STATE);
	assert_int_equal(apf_session_keepalive_probe(r->s, 1), MPS_ERR_STATE);
	assert_int_equal(r->nmsgs, 0);
	rec_done(r);
}

static void
test_device_open_and_disconnect(void **state)
{
	struct pu_rec *r = rec_new(NULL);

	(void)state;
	goto_state(r, APF_SESSION_ACTIVE);
	feed_hex(r, "5a 0000000c 6469726563742d7463706970 0000002a 00001000"
	    " ffffffff 00000000 00000000 00000000 00000000", MPS_OK);
	assert_true(pu_sent_is(r, 0, "5c 0000002a 00000003 00000000 00000000"));
	assert_int_equal(apf_session_channel_count(r->s), 0);
	/* Device DISCONNECT: event, CLOSED, nothing sent. */
	feed_hex(r, "01 0000000b 0000 d0 00000001", MPS_ERR_CLOSED);
	assert_int_equal(r->nmsgs, 1);
	assert_int_equal(r->ev[0].type, APF_EV_DISCONNECT);
	assert_int_equal(r->ev[0].a, 11);
	assert_int_equal(apf_session_state(r->s), APF_SESSION_CLOSED);
	assert_int_equal(apf_session_disconnect(r->s, 11), MPS_ERR_CLOSED);
	assert_int_equal(r->nmsgs, 1);
	rec_done(r);

	/* DISCONNECT is accepted before PROTOCOLVERSION too. */
	r = rec_new(NULL);
	feed_hex(r, "01 0000000b 0000", MPS_ERR_CLOSED);
	assert_int_equal(pu_count(r, APF_EV_DISCONNECT), 1);
	rec_done(r);

	/* Our own DISCONNECT. */
	r = rec_new(NULL);
	goto_state(r, APF_SESSION_ACTIVE);
	assert_int_equal(apf_session_disconnect(r->s, 11), MPS_OK);
	assert_true(pu_sent_is(r, 0, "01 0000000b 0000"));
	assert_int_equal(apf_session_state(r->s), APF_SESSION_CLOSED);
	feed_hex(r, "d0 00000001", MPS_ERR_CLOSED);
	rec_done(r);
}

static void
test_channel_lifecycle(void **state)
{
	struct pu_rec *r = rec_new(NULL);
	struct apf_msg m;
	uint8_t payload[300];
	uint32_t id, id2;
	int exists;
	int tag = 42;

	(void)state;
	memset(payload, 'x', sizeof(payload));
	pu_handshake(r, amt_ports, NPORTS);
	assert_int_equal(apf_session_open(r->s, 80, NULL, &id), MPS_ERR_PORT);
	assert_int_equal(r->nmsgs, 0);
	assert_int_equal(apf_session_open(r->s, 16992, &tag, &id), MPS_OK);
	assert_int_equal(id, 4);
	pu_sent(r, 0, &m);
	assert_int_equal(m.type, APF_CHANNEL_OPEN);
	assert_true(apf_str_eq(m.u.open.chan_type, "forwarded-tcpip"));
	assert_int_equal(m.u.open.sender, 4);
	assert_int_equal(m.u.open.window, 65536);
	assert_int_equal(m.u.open.reserved, 0xffffffffu);
	assert_int_equal(m.u.open.conn_port, 16992);
	assert_int_equal(apf_chan_state(r->s, id, &exists), APF_CHAN_OPENING);
	assert_true(exists);
	/* Nothing goes out while opening. */
	assert_int_equal(apf_session_send(r->s, id, payload, 10), 0);
	assert_int_equal(apf_session_send_window(r->s, id), 0);
	assert_int_equal(r->nmsgs, 1);

	pu_msg_confirm(&m, id, 100, 100);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_int_equal(r->ev[0].type, APF_EV_CHAN_OPENED);
	assert_int_equal(r->ev[0].chan, id);
	assert_ptr_equal(r->ev[0].chan_arg, &tag);
	assert_int_equal(apf_chan_state(r->s, id, NULL), APF_CHAN_OPEN);
	assert_int_equal(apf_session_send_window(r->s, id), 100);

	/* The device's window limits what goes out. */
	assert_int_equal(apf_session_send(r->s, id, payload, 250), 100);
	pu_sent(r, 1, &m);
	assert_int_equal(m.type, APF_CHANNEL_DATA);
	assert_int_equal(m.u.data.recipient, 100);
	assert_int_equal(m.u.data.data.len, 100);
	assert_int_equal(apf_session_send(r->s, id, payload, 150), 0);
	assert_int_equal(r->nmsgs, 2);
	pu_msg_adjust(&m, id, 1000);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_int_equal(r->ev[1].type, APF_EV_CHAN_WINDOW);
	assert_int_equal(apf_session_send(r->s, id, payload, 150), 150);
	assert_int_equal(apf_session_send_window(r->s, id), 850);

	/* Device data arrives as events with our arg. */
	pu_msg_data(&m, id, "hello", 5);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_int_equal(r->ev[2].type, APF_EV_CHAN_DATA);
	assert_int_equal(r->ev[2].len, 5);
	assert_memory_equal(r->data, "hello", 5);

	/* A second channel gets the next id; ids never go back. */
	assert_int_equal(apf_session_open(r->s, 16993, NULL, &id2), MPS_OK);
	assert_int_equal(id2, 5);
	assert_int_equal(apf_session_channel_count(r->s), 2);
	rec_done(r);
}

static void
test_max_packet(void **state)
{
	struct apf_session_limits lim;
	struct pu_rec *r;
	struct apf_msg m;
	uint8_t payload[25];
	uint32_t id;
	size_t i;

	(void)state;
	apf_session_limits_default(&lim);
	lim.max_packet = 10;
	r = rec_new(&lim);
	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)i;
	pu_handshake(r, amt_ports, NPORTS);
	id = pu_open_confirmed(r, 16992, 7, 1 << 20);
	pu_clear(r);
	assert_int_equal(apf_session_send(r->s, id, payload, 25), 25);
	assert_int_equal(r->nmsgs, 3);
	for (i = 0; i < 3; i++) {
		pu_sent(r, i, &m);
		assert_int_equal(m.u.data.data.len, i < 2 ? 10 : 5);
		assert_memory_equal(m.u.data.data.p, payload + 10 * i,
		    m.u.data.data.len);
	}
	rec_done(r);
}

/* We close first, then the device answers: exactly one CLOSE from us. */
static void
test_close_ours_first(void **state)
{
	struct pu_rec *r = rec_new(NULL);
	struct apf_msg m;
	uint32_t id;
	int exists;

	(void)state;
	pu_handshake(r, amt_ports, NPORTS);
	id = pu_open_confirmed(r, 16992, 100, 4096);
	pu_clear(r);
	assert_int_equal(apf_session_close(r->s, id), MPS_OK);
	assert_true(pu_sent_is(r, 0, "61 00000064"));
	assert_int_equal(apf_chan_state(r->s, id, NULL), APF_CHAN_CLOSE_SENT);
	assert_int_equal(apf_session_close(r->s, id), MPS_OK);
	assert_int_equal(apf_session_send(r->s, id, (const uint8_t *)"x", 1),
	    MPS_ERR_CHANNEL);
	assert_int_equal(apf_session_send_window(r->s, id), 0);
	/* Data in flight from the device is dropped, not delivered. */
	pu_msg_data(&m, id, "late", 4);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_int_equal(pu_count(r, APF_EV_CHAN_DATA), 0);
	assert_int_equal(apf_session_glitches(r->s), 0);
	pu_msg_u32(&m, APF_CHANNEL_CLOSE, id);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_int_equal(r->nmsgs, 1);
	assert_int_equal(pu_count(r, APF_EV_CHAN_CLOSED), 1);
	(void)apf_chan_state(r->s, id, &exists);
	assert_false(exists);
	assert_int_equal(apf_session_channel_count(r->s), 0);
	assert_int_equal(apf_session_close(r->s, id), MPS_ERR_CHANNEL);
	assert_int_equal(r->nmsgs, 1);
	rec_done(r);
}

/* The device closes first: we answer with our one CLOSE, then free. */
static void
test_close_device_first(void **state)
{
	struct pu_rec *r = rec_new(NULL);
	struct apf_msg m;
	uint32_t id;

	(void)state;
	pu_handshake(r, amt_ports, NPORTS);
	id = pu_open_confirmed(r, 16992, 100, 4096);
	pu_clear(r);
	pu_msg_u32(&m, APF_CHANNEL_CLOSE, id);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_int_equal(r->nmsgs, 1);
	assert_true(pu_sent_is(r, 0, "61 00000064"));
	assert_int_equal(r->ev[0].type, APF_EV_CHAN_CLOSED);
	assert_int_equal(r->ev[0].chan, id);
	/* The consumer closing now sends nothing: the id is dead. */
	assert_int_equal(apf_session_close(r->s, id), MPS_ERR_CHANNEL);
	assert_int_equal(r->nmsgs, 1);
	rec_done(r);
}

/* close() while OPENING: CLOSE deferred to the confirmation. */
static void
test_close_while_opening(void **state)
{
	struct pu_rec *r = rec_new(NULL);
	struct apf_msg m;
	uint32_t id;

	(void)state;
	pu_handshake(r, amt_ports, NPORTS);
	assert_int_equal(apf_session_open(r->s, 16992, NULL, &id), MPS_OK);
	pu_clear(r);
	assert_int_equal(apf_session_close(r->s, id), MPS_OK);
	assert_int_equal(apf_session_close(r->s, id), MPS_OK);
	assert_int_equal(r->nmsgs, 0);
	assert_int_equal(apf_session_send(r->s, id, (const uint8_t *)"x", 1),
	    MPS_ERR_CHANNEL);
	pu_msg_confirm(&m, id, 0x77, 4096);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_int_equal(r->nmsgs, 1);
	assert_true(pu_sent_is(r, 0, "61 00000077"));
	assert_int_equal(pu_count(r, APF_EV_CHAN_OPENED), 0);
	pu_msg_u32(&m, APF_CHANNEL_CLOSE, id);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_int_equal(r->nmsgs, 1);
	assert_int_equal(pu_count(r, APF_EV_CHAN_CLOSED), 1);

	/* close() while OPENING, then OPEN_FAILURE: CLOSED, nothing sent. */
	pu_clear(r);
	assert_int_equal(apf_session_open(r->s, 16992, NULL, &id), MPS_OK);
	assert_int_equal(apf_session_close(r->s, id), MPS_OK);
	feed_hex(r, "5c 00000005 00000004 00000000 00000000", MPS_OK);
	assert_int_equal(r->nmsgs, 1);		/* the CHANNEL_OPEN */
	assert_int_equal(pu_count(r, APF_EV_CHAN_CLOSED), 1);
	assert_int_equal(pu_count(r, APF_EV_CHAN_OPEN_FAILED), 0);
	assert_int_equal(apf_session_channel_count(r->s), 0);

	/* A plain OPEN_FAILURE: event with the reason, channel freed. */
	pu_clear(r);
	assert_int_equal(apf_session_open(r->s, 16992, NULL, &id), MPS_OK);
	assert_int_equal(id, 6);
	feed_hex(r, "5c 00000006 00000002 00000000 00000000", MPS_OK);
	assert_int_equal(r->ev[0].type, APF_EV_CHAN_OPEN_FAILED);
	assert_int_equal(r->ev[0].chan, 6);
	assert_int_equal(r->ev[0].a, APF_OPEN_CONNECT_FAILED);
	assert_int_equal(apf_session_channel_count(r->s), 0);
	assert_int_equal(apf_session_glitches(r->s), 0);
	rec_done(r);
}

/*
 * Tombstones: stray traffic for a closed id is ignored (glitch), the
 * device's reuse of its own id for a new channel is fine, and ids we never
 * issued are protocol errors.
 */
static void
test_tombstones(void **state)
{
	struct pu_rec *r = rec_new(NULL);
	struct apf_msg m;
	uint32_t id, id2;

	(void)state;
	pu_handshake(r, amt_ports, NPORTS);
	id = pu_open_confirmed(r, 16992, 100, 4096);
	pu_msg_u32(&m, APF_CHANNEL_CLOSE, id);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	/* AMT reuses its id 100 at once for the next channel. */
	id2 = pu_open_confirmed(r, 16992, 100, 4096);
	assert_int_equal(id2, id + 1);
	pu_clear(r);
	pu_msg_data(&m, id, "old", 3);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	pu_msg_adjust(&m, id, 10);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	pu_msg_u32(&m, APF_CHANNEL_CLOSE, id);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	pu_msg_confirm(&m, id, 9, 9);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	feed_hex(r, "5c 00000004 00000002 00000000 00000000", MPS_OK);
	assert_int_equal(r->nmsgs, 0);
	assert_int_equal(r->nev, 0);
	assert_int_equal(apf_session_glitches(r->s), 5);
	/* The live channel with the reused device id is untouched. */
	assert_int_equal(apf_chan_state(r->s, id2, NULL), APF_CHAN_OPEN);
	assert_int_equal(apf_session_send(r->s, id2, (const uint8_t *)"ab", 2),
	    2);
	pu_sent(r, 0, &m);
	assert_int_equal(m.u.data.recipient, 100);
	assert_int_equal(apf_session_close(r->s, id2), MPS_OK);
	assert_true(pu_sent_is(r, 1, "61 00000064"));
	assert_int_equal(r->nmsgs, 2);
	/* An id we never issued: protocol error. */
	pu_clear(r);
	pu_msg_data(&m, id2 + 1, "x", 1);
	assert_int_equal(pu_feed_msg(r, &m), MPS_ERR_CHANNEL);
	assert_true(pu_sent_is(r, 0, DISC_PROTO));
	assert_string_equal(apf_session_reason(r->s),
	    "CHANNEL_DATA for unknown channel 6");
	rec_done(r);

	r = rec_new(NULL);
	pu_handshake(r, amt_ports, NPORTS);
	feed_hex(r, "61 00000002", MPS_ERR_CHANNEL);	/* below the first id */
	assert_true(pu_sent_is(r, 0, DISC_PROTO));
	rec_done(r);
}

static void
test_protocol_errors_on_channels(void **state)
{
	struct pu_rec *r;
	struct apf_msg m;
	uint32_t id;

	(void)state;
	/* Data before the confirmation. */
	r = rec_new(NULL);
	pu_handshake(r, amt_ports, NPORTS);
	assert_int_equal(apf_session_open(r->s, 16992, NULL, &id), MPS_OK);
	pu_clear(r);
	pu_msg_data(&m, id, "x", 1);
	assert_int_equal(pu_feed_msg(r, &m), MPS_ERR_STATE);
	assert_true(pu_sent_is(r, 0, DISC_PROTO));
	rec_done(r);
	/* A second confirmation. */
	r = rec_new(NULL);
	pu_handshake(r, amt_ports, NPORTS);
	id = pu_open_confirmed(r, 16992, 1, 10);
	pu_clear(r);
	pu_msg_confirm(&m, id, 1, 10);
	assert_int_equal(pu_feed_msg(r, &m), MPS_ERR_STATE);
	assert_true(pu_sent_is(r, 0, DISC_PROTO));
	rec_done(r);
}

static void
test_glitch_limit(void **state)
{
	struct apf_session_limits lim;
	struct pu_rec *r;
	struct apf_msg m;
	uint32_t id;
	int i;

	(void)state;
	apf_session_limits_default(&lim);
	lim.max_glitches = 3;
	r = rec_new(&lim);
	pu_handshake(r, amt_ports, NPORTS);
	id = pu_open_confirmed(r, 16992, 1, 10);
	pu_msg_u32(&m, APF_CHANNEL_CLOSE, id);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	pu_clear(r);
	for (i = 0; i < 3; i++) {
		pu_msg_adjust(&m, id, 1);
		assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	}
	assert_int_equal(r->nmsgs, 0);
	pu_msg_adjust(&m, id, 1);
	assert_int_equal(pu_feed_msg(r, &m), MPS_ERR_LIMIT);
	assert_true(pu_sent_is(r, 0, DISC_PROTO));
	assert_int_equal(apf_session_glitches(r->s), 4);
	rec_done(r);
}

static void
test_rx_window(void **state)
{
	struct apf_session_limits lim;
	struct pu_rec *r;
	struct apf_msg m;
	static uint8_t big[2000];
	uint32_t id;

	(void)state;
	apf_session_limits_default(&lim);
	lim.rx_window = 1000;			/* grace 100 */
	r = rec_new(&lim);
	pu_handshake(r, amt_ports, NPORTS);
	id = pu_open_confirmed(r, 16992, 9, 10);
	pu_clear(r);
	/* 400 in, 400 consumed: window still above half, no adjust. */
	pu_msg_data(&m, id, big, 400);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_int_equal(apf_session_consumed(r->s, id, 400), MPS_OK);
	assert_int_equal(r->nmsgs, 0);
	/* 200 more: held bytes are never credited. */
	pu_msg_data(&m, id, big, 200);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_int_equal(r->nmsgs, 0);
	assert_int_equal(apf_session_consumed(r->s, id, 201), MPS_ERR_USAGE);
	/* Consuming 100 makes it worthwhile: credit all 500 consumed. */
	assert_int_equal(apf_session_consumed(r->s, id, 100), MPS_OK);
	assert_int_equal(r->nmsgs, 1);
	assert_true(pu_sent_is(r, 0, "5d 00000009 000001f4"));
	/* Device may now send 900 (left) + grace 100; held are 100. */
	pu_msg_data(&m, id, big, 900);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	pu_msg_data(&m, id, big, 100);		/* in the grace */
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_int_equal(apf_session_state(r->s), APF_SESSION_ACTIVE);
	pu_msg_data(&m, id, big, 1);
	assert_int_equal(pu_feed_msg(r, &m), MPS_ERR_WINDOW);
	assert_true(pu_sent_is(r, 1, DISC_PROTO));
	assert_string_equal(apf_session_reason(r->s),
	    "channel 4 exceeded its window by 101 bytes");
	rec_done(r);

	/* One message beyond window + grace is refused by size. */
	r = rec_new(&lim);
	pu_handshake(r, amt_ports, NPORTS);
	id = pu_open_confirmed(r, 16992, 9, 10);
	pu_msg_data(&m, id, big, 1101);
	assert_int_equal(pu_feed_msg(r, &m), MPS_ERR_TOO_LARGE);
	rec_done(r);

	/* An overrun in grace is repaid before the device is credited. */
	r = rec_new(&lim);
	pu_handshake(r, amt_ports, NPORTS);
	id = pu_open_confirmed(r, 16992, 9, 10);
	pu_clear(r);
	pu_msg_data(&m, id, big, 1050);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_int_equal(apf_session_consumed(r->s, id, 50), MPS_OK);
	assert_int_equal(r->nmsgs, 0);
	assert_int_equal(apf_session_consumed(r->s, id, 1000), MPS_OK);
	assert_true(pu_sent_is(r, 0, "5d 00000009 000003e8"));
	rec_done(r);
}

static void
test_tx_window_saturates(void **state)
{
	struct pu_rec *r = rec_new(NULL);
	struct apf_msg m;
	uint32_t id;

	(void)state;
	pu_handshake(r, amt_ports, NPORTS);
	id = pu_open_confirmed(r, 16992, 9, 0xffffff00u);
	pu_msg_adjust(&m, id, 0x1000);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_int_equal(apf_session_send_window(r->s, id), UINT32_MAX);
	pu_msg_adjust(&m, id, UINT32_MAX);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_int_equal(apf_session_send_window(r->s, id), UINT32_MAX);
	assert_int_equal(apf_session_state(r->s), APF_SESSION_ACTIVE);
	rec_done(r);
}

static void
test_max_channels(void **state)
{
	struct apf_session_limits lim;
	struct pu_rec *r;
	struct apf_msg m;
	uint32_t a, b, c;

	(void)state;
	apf_session_limits_default(&lim);
	lim.max_channels = 2;
	r = rec_new(&lim);
	pu_handshake(r, amt_ports, NPORTS);
	a = pu_open_confirmed(r, 16992, 1, 10);
	assert_int_equal(apf_session_open(r->s, 16992, NULL, &b), MPS_OK);
	pu_clear(r);
	assert_int_equal(apf_session_open(r->s, 16992, NULL, &c), MPS_ERR_LIMIT);
	assert_int_equal(r->nmsgs, 0);
	/* A channel counts until both CLOSEs are done. */
	assert_int_equal(apf_session_close(r->s, a), MPS_OK);
	assert_int_equal(apf_session_open(r->s, 16992, NULL, &c), MPS_ERR_LIMIT);
	pu_msg_u32(&m, APF_CHANNEL_CLOSE, a);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	assert_int_equal(apf_session_open(r->s, 16992, NULL, &c), MPS_OK);
	assert_int_equal(c, 6);
	rec_done(r);

	/* Not before ACTIVE. */
	r = rec_new(NULL);
	goto_state(r, APF_SESSION_PFWD_SERVICE);
	assert_int_equal(apf_session_open(r->s, 16992, NULL, &c), MPS_ERR_STATE);
	rec_done(r);
}

/* Callbacks that call back in. */
static void
hook_close_on_data(struct pu_rec *r, const struct apf_event *ev)
{
	if (ev->type == APF_EV_CHAN_DATA)
		assert_int_equal(apf_session_close(r->s, ev->chan), MPS_OK);
	if (ev->type == APF_EV_CHAN_OPENED)
		assert_int_equal(apf_session_send(r->s, ev->chan,
		    (const uint8_t *)"GET", 3), 3);
	if (ev->type == APF_EV_CHAN_CLOSED) {
		uint32_t id;

		assert_int_equal(apf_session_open(r->s, 16992, NULL, &id),
		    MPS_OK);
	}
}

static void
test_reentrant_calls(void **state)
{
	struct pu_rec *r = rec_new(NULL);
	uint8_t b[256];
	size_t n, used;
	struct apf_msg m;
	uint32_t id;

	(void)state;
	pu_handshake(r, amt_ports, NPORTS);
	r->hook = hook_close_on_data;
	assert_int_equal(apf_session_open(r->s, 16992, NULL, &id), MPS_OK);
	pu_clear(r);
	/* Confirmation, data and the device's CLOSE in one read. */
	n = pu_hex("5b 00000004 00000064 00001000 ffffffff"
	    " 5e 00000004 00000002 6869"
	    " 5e 00000004 00000002 6869"
	    " 61 00000004", b, sizeof(b));
	assert_int_equal(pu_feed(r, b, n, &used), MPS_OK);
	assert_int_equal(used, n);
	/* DATA from OPENED, our CLOSE from the first DATA, the new OPEN. */
	assert_int_equal(r->nmsgs, 3);
	pu_sent(r, 0, &m);
	assert_int_equal(m.type, APF_CHANNEL_DATA);
	assert_true(pu_sent_is(r, 1, "61 00000064"));
	pu_sent(r, 2, &m);
	assert_int_equal(m.type, APF_CHANNEL_OPEN);
	assert_int_equal(m.u.open.sender, 5);
	/* The second DATA was after our CLOSE: dropped, one event only. */
	assert_int_equal(pu_count(r, APF_EV_CHAN_DATA), 1);
	assert_int_equal(pu_count(r, APF_EV_CHAN_CLOSED), 1);
	assert_int_equal(apf_session_channel_count(r->s), 1);
	rec_done(r);
}

static void
hook_disconnect(struct pu_rec *r, const struct apf_event *ev)
{
	if (ev->type == APF_EV_KEEPALIVE)
		assert_int_equal(apf_session_disconnect(r->s, 11), MPS_OK);
}

static void
hook_free(struct pu_rec *r, const struct apf_event *ev)
{
	if (ev->type == APF_EV_KEEPALIVE) {
		apf_session_free(r->s);
		r->s = NULL;
	}
}

static void
hook_input(struct pu_rec *r, const struct apf_event *ev)
{
	size_t used;

	if (ev->type == APF_EV_KEEPALIVE)
		assert_int_equal(apf_session_input(r->s,
		    (const uint8_t *)"\xd0\0\0\0\x01", 5, &used),
		    MPS_ERR_INTERNAL);
}

static void
test_reentrant_close_free(void **state)
{
	struct pu_rec *r;
	uint8_t b[64];
	size_t n, used;

	(void)state;
	n = pu_hex("d0 00000001 d0 00000002", b, sizeof(b));

	/* Disconnect from a callback: the rest of the read is not handled. */
	r = rec_new(NULL);
	pu_handshake(r, amt_ports, NPORTS);
	r->hook = hook_disconnect;
	assert_int_equal(pu_feed(r, b, n, &used), MPS_ERR_CLOSED);
	assert_int_equal(used, 5);
	assert_int_equal(r->nmsgs, 2);		/* reply, DISCONNECT */
	assert_true(pu_sent_is(r, 1, "01 0000000b 0000"));
	assert_int_equal(pu_count(r, APF_EV_KEEPALIVE), 1);
	rec_done(r);

	/* Free from a callback: deferred; ASan proves no use after free. */
	r = rec_new(NULL);
	pu_handshake(r, amt_ports, NPORTS);
	r->hook = hook_free;
	assert_int_equal(pu_feed(r, b, n, &used), MPS_ERR_CLOSED);
	assert_null(r->s);
	assert_int_equal(r->nmsgs, 1);		/* only the first reply */
	assert_int_equal(pu_count(r, APF_EV_KEEPALIVE), 1);
	rec_done(r);

	/* input() from a callback is refused. */
	r = rec_new(NULL);
	pu_handshake(r, amt_ports, NPORTS);
	r->hook = hook_input;
	assert_int_equal(pu_feed(r, b, n, &used), MPS_OK);
	assert_int_equal(pu_count(r, APF_EV_KEEPALIVE), 2);
	rec_done(r);
}

static void
hook_free_on_auth(struct pu_rec *r, const struct apf_event *ev)
{
	if (ev->type == APF_EV_AUTHENTICATED) {
		apf_session_free(r->s);
		r->s = NULL;
	}
}

/* Free from inside auth_result's own event (outside input). */
static void
test_free_in_auth_result(void **state)
{
	struct pu_rec *r = rec_new(NULL);
	struct apf_session *s;

	(void)state;
	r->auth = PU_AUTH_ASYNC;
	goto_state(r, APF_SESSION_USERAUTH);
	feed_hex(r, HEX_USERAUTH, MPS_OK);
	r->hook = hook_free_on_auth;
	s = r->s;
	assert_int_equal(apf_session_auth_result(s, 1), MPS_OK);
	assert_null(r->s);
	assert_int_equal(pu_count(r, APF_EV_AUTHENTICATED), 1);
	rec_done(r);
}

static void
test_send_failure(void **state)
{
	struct pu_rec *r = rec_new(NULL);
	uint32_t id;

	(void)state;
	pu_handshake(r, amt_ports, NPORTS);
	id = pu_open_confirmed(r, 16992, 3, 100);
	r->fail_send = 1;
	assert_int_equal(apf_session_send(r->s, id, (const uint8_t *)"ab", 2),
	    MPS_ERR_IO);
	assert_int_equal(apf_session_state(r->s), APF_SESSION_CLOSED);
	assert_int_equal(apf_session_send(r->s, id, (const uint8_t *)"ab", 2),
	    MPS_ERR_IO);
	rec_done(r);

	r = rec_new(NULL);
	r->fail_send = 1;
	goto_state(r, APF_SESSION_AUTH_SERVICE);
	feed_hex(r, HEX_SVC_AUTH, MPS_ERR_IO);
	assert_int_equal(apf_session_state(r->s), APF_SESSION_CLOSED);
	rec_done(r);
}

/* An idle authenticated tunnel costs a couple of hundred bytes. */
static void
test_memory(void **state)
{
	struct pu_rec *r = rec_new(NULL);
	struct apf_msg m;
	size_t idle;
	uint32_t id;
	int i;

	(void)state;
	pu_handshake(r, amt_ports, NPORTS);
	idle = apf_session_memory(r->s);
	print_message("idle ACTIVE session with %zu forwards: %zu bytes\n",
	    NPORTS, idle);
	assert_true(idle <= 256);
	for (i = 0; i < 8; i++)
		(void)pu_open_confirmed(r, 16992, (uint32_t)i, 10);
	assert_true(apf_session_memory(r->s) > idle);
	assert_int_equal(apf_session_open(r->s, 16992, NULL, &id),
	    MPS_ERR_LIMIT);
	for (i = 0; i < 8; i++) {
		pu_msg_u32(&m, APF_CHANNEL_CLOSE, 4 + (uint32_t)i);
		assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	}
	/* The table is given back once empty. */
	assert_int_equal(apf_session_memory(r->s), idle);
	rec_done(r);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(apf_session_state_name(APF_SESSION_VERSION),
	    "VERSION");
	assert_string_equal(apf_session_state_name(APF_SESSION_AUTH_PENDING),
	    "AUTH_PENDING");
	assert_string_equal(apf_session_state_name(APF_SESSION_CLOSED),
	    "CLOSED");
	assert_string_equal(apf_chan_state_name(APF_CHAN_CLOSE_SENT),
	    "CLOSE_SENT");
	assert_string_equal(apf_chan_state_name(APF_CHAN_OPENING), "OPENING");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_order_early),
		cmocka_unit_test(test_unknown_service_and_type),
		cmocka_unit_test(test_auth_reject_sync),
		cmocka_unit_test(test_auth_async),
		cmocka_unit_test(test_forwards),
		cmocka_unit_test(test_udp_and_unknown_request),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_device_open_and_disconnect),
		cmocka_unit_test(test_channel_lifecycle),
		cmocka_unit_test(test_max_packet),
		cmocka_unit_test(test_close_ours_first),
		cmocka_unit_test(test_close_device_first),
		cmocka_unit_test(test_close_while_opening),
		cmocka_unit_test(test_tombstones),
		cmocka_unit_test(test_protocol_errors_on_channels),
		cmocka_unit_test(test_glitch_limit),
		cmocka_unit_test(test_rx_window),
		cmocka_unit_test(test_tx_window_saturates),
		cmocka_unit_test(test_max_channels),
		cmocka_unit_test(test_reentrant_calls),
		cmocka_unit_test(test_reentrant_close_free),
		cmocka_unit_test(test_free_in_auth_result),
		cmocka_unit_test(test_send_failure),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
