/*
 * test_apf_replay.c: the recorded sessions, device side fed through our
 * session with their real TLS read boundaries.  Where the recorded MPS
 * acted on its own (CHANNEL_OPEN, CHANNEL_DATA, our CLOSE, keepalive
 * options) the test makes the same call; every other server byte must come
 * from our session by itself.  Our output must equal the recorded MPS's
 * byte for byte (CHANNEL_OPEN compared by field: its originator port is
 * arbitrary), except MeshCentral's padding byte after USERAUTH_FAILURE.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "apf.h"
#include "apf_session.h"
#include "mps_err.h"
#include "proto_util.h"

struct stream {
	uint8_t	*p;
	size_t	 len, cap;
};

static void
stream_add(struct stream *s, const uint8_t *p, size_t n)
{
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2 + 1024;
		s->p = realloc(s->p, s->cap);
		assert_non_null(s->p);
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
}

static void
stream_drain(struct stream *s, size_t n)
{
	assert_true(n <= s->len);
	memmove(s->p, s->p + n, s->len - n);
	s->len -= n;
}

struct replay {
	struct pu_rec	 r;
	struct stream	 in;		/* device bytes not yet consumed */
	struct stream	 dev;		/* device stream, for id mapping */
	struct stream	 srv;		/* recorded server stream */
	struct stream	 want;		/* recorded server bytes, no OPENs */
	uint32_t	 dev_id[64], our_id[64];
	size_t		 nmap;
	size_t		 opens;
	size_t		 dev_data;	/* CHANNEL_DATA payload bytes */
	int		 last_fail;	/* last server message: USERAUTH_FAIL */
	int		 want_auth_rc;
};

static uint32_t
map_ours(const struct replay *x, uint32_t dev)
{
	size_t i;

	for (i = x->nmap; i > 0; i--)
		if (x->dev_id[i - 1] == dev)
			return x->our_id[i - 1];
	fail_msg("no channel for device id %u", dev);
	return 0;
}

/* Our output without CHANNEL_OPENs, which are checked by field. */
static void
ours_without_opens(const struct pu_rec *r, struct stream *out)
{
	size_t i;

	out->len = 0;
	for (i = 0; i < r->nmsgs; i++)
		if (r->out[r->msg_off[i]] != APF_CHANNEL_OPEN)
			stream_add(out, r->out + r->msg_off[i], r->msg_len[i]);
}

static void
device_bytes(struct replay *x, const uint8_t *p, size_t n)
{
	struct apf_msg m;
	size_t used;
	int rc;

	/* Track the device's channel ids from its confirmations. */
	stream_add(&x->dev, p, n);
	while ((rc = apf_decode(x->dev.p, x->dev.len, APF_MAX_DATA, &m,
	    &used)) == MPS_OK) {
		if (m.type == APF_CHANNEL_OPEN_CONFIRMATION) {
			assert_true(x->nmap < 64);
			x->dev_id[x->nmap] = m.u.open_confirm.sender;
			x->our_id[x->nmap++] = m.u.open_confirm.recipient;
		}
		if (m.type == APF_CHANNEL_DATA)
			x->dev_data += m.u.data.data.len;
		stream_drain(&x->dev, used);
	}
	assert_int_equal(rc, MPS_ERR_INCOMPLETE);

	stream_add(&x->in, p, n);
	rc = apf_session_input(x->r.s, x->in.p, x->in.len, &used);
	if (rc != MPS_OK) {
		assert_int_equal(rc, x->want_auth_rc);
		assert_int_equal(apf_session_state(x->r.s),
		    APF_SESSION_CLOSED);
	}
	stream_drain(&x->in, used);
}

/* One recorded server message: act as the recorded MPS did, if it acted. */
static void
server_message(struct replay *x, const uint8_t *p, size_t n,
    const struct apf_msg *m)
{
	struct apf_msg o;
	uint32_t id, ours;
	int exists;

	switch (m->type) {
	case APF_CHANNEL_OPEN:
		assert_int_equal(apf_session_open(x->r.s, m->u.open.conn_port,
		    NULL, &id), MPS_OK);
		assert_int_equal(id, m->u.open.sender);
		pu_sent(&x->r, x->r.nmsgs - 1, &o);
		assert_int_equal(o.type, APF_CHANNEL_OPEN);
		assert_true(apf_str_eq(o.u.open.chan_type, APF_CHAN_FORWARDED));
		assert_int_equal(o.u.open.sender, m->u.open.sender);
		assert_int_equal(o.u.open.window, m->u.open.window);
		assert_int_equal(o.u.open.reserved, m->u.open.reserved);
		assert_int_equal(o.u.open.conn_port, m->u.open.conn_port);
		x->opens++;
		return;
	case APF_CHANNEL_DATA:
		ours = map_ours(x, m->u.data.recipient);
		assert_int_equal(apf_session_send(x->r.s, ours,
		    m->u.data.data.p, m->u.data.data.len),
		    (long)m->u.data.data.len);
		break;
	case APF_CHANNEL_CLOSE:
		ours = map_ours(x, m->u.close.recipient);
		/* If the device closed first, our session already answered. */
		if (apf_chan_state(x->r.s, ours, &exists) == APF_CHAN_OPEN &&
		    exists)
			assert_int_equal(apf_session_close(x->r.s, ours),
			    MPS_OK);
		break;
	case APF_KEEPALIVE_OPTIONS_REQUEST:
		assert_int_equal(apf_session_keepalive_options(x->r.s,
		    m->u.ka_options.interval, m->u.ka_options.timeout),
		    MPS_OK);
		break;
	default:
		break;		/* our session must have sent it by itself */
	}
	stream_add(&x->want, p, n);
}

static void
server_bytes(struct replay *x, const uint8_t *p, size_t n)
{
	struct stream ours = { NULL, 0, 0 };
	struct apf_msg m;
	size_t used;
	int rc;

	stream_add(&x->srv, p, n);
	for (;;) {
		rc = apf_decode_ex(x->srv.p, x->srv.len, APF_MAX_DATA,
		    APF_DEC_REQ_SUCCESS_PORT, &m, &used);
		if (rc == MPS_ERR_UNKNOWN_TYPE && x->last_fail &&
		    x->srv.p[0] == 0) {
			/* MeshCentral's 15-byte USERAUTH_FAILURE: skip. */
			stream_drain(&x->srv, 1);
			continue;
		}
		if (rc == MPS_ERR_INCOMPLETE)
			break;
		assert_int_equal(rc, MPS_OK);
		x->last_fail = m.type == APF_USERAUTH_FAILURE;
		server_message(x, x->srv.p, used, &m);
		stream_drain(&x->srv, used);
		/* Everything the recording sent so far, we sent too. */
		ours_without_opens(&x->r, &ours);
		assert_true(ours.len >= x->want.len);
		assert_memory_equal(ours.p, x->want.p, x->want.len);
	}
	free(ours.p);
}

struct session_case {
	const char	*name;
	int		 conn;
	int		 accept;
	const char	*user, *password, *guid;
	size_t		 forwards, opens;
};

static void
replay_one(const struct session_case *c)
{
	struct apf_session_limits lim;
	struct replay *x;
	struct pu_chunk *rec;
	struct stream ours = { NULL, 0, 0 };
	char path[256];
	size_t n, i, records = 0;

	x = calloc(1, sizeof(*x));
	assert_non_null(x);
	apf_session_limits_default(&lim);
	lim.rx_window = 81920;		/* what Open AMT advertises */
	pu_init(&x->r, &lim);
	x->r.auth = c->accept ? PU_AUTH_ACCEPT : PU_AUTH_REJECT;
	x->r.consume = 1;
	x->want_auth_rc = MPS_ERR_AUTH;
	snprintf(path, sizeof(path), "%s.records.jsonl", c->name);
	n = pu_load_jsonl(path, &rec);
	for (i = 0; i < n; i++) {
		if (rec[i].conn != c->conn)
			continue;
		records++;
		if (rec[i].c2s)
			device_bytes(x, rec[i].p, rec[i].len);
		else
			server_bytes(x, rec[i].p, rec[i].len);
	}
	assert_true(records > 0);
	assert_int_equal(x->in.len, 0);
	assert_int_equal(x->srv.len, 0);
	ours_without_opens(&x->r, &ours);
	assert_int_equal(ours.len, x->want.len);
	assert_memory_equal(ours.p, x->want.p, ours.len);
	assert_int_equal(x->opens, c->opens);

	assert_int_equal(pu_count(&x->r, APF_EV_AUTH), 1);
	for (i = 0; i < x->r.nev; i++)
		if (x->r.ev[i].type == APF_EV_AUTH)
			break;
	assert_string_equal(x->r.ev[i].text1, c->user);
	assert_string_equal(x->r.ev[i].text2, c->password);
	assert_string_equal(apf_session_guid(x->r.s), c->guid);
	if (c->accept) {
		assert_int_equal(apf_session_state(x->r.s),
		    APF_SESSION_ACTIVE);
		assert_int_equal(pu_count(&x->r, APF_EV_FORWARD_ADDED),
		    c->forwards);
		assert_int_equal(apf_session_channel_count(x->r.s), 0);
		assert_int_equal(pu_count(&x->r, APF_EV_CHAN_CLOSED), c->opens);
		/* Every byte the device sent on a channel reached us. */
		assert_int_equal(x->r.data_len, x->dev_data);
		assert_int_equal(apf_session_glitches(x->r.s), 0);
	} else
		assert_int_equal(apf_session_state(x->r.s),
		    APF_SESSION_CLOSED);
	print_message("%s conn %d: %zu records, %zu server bytes matched\n",
	    c->name, c->conn, records, ours.len);
	free(ours.p);
	pu_free_chunks(rec, n);
	free(x->in.p);
	free(x->dev.p);
	free(x->srv.p);
	free(x->want.p);
	pu_free(&x->r);
	free(x);
}

#define OPENAMT	"test-device_openamt-mps_power-boot-version"
#define OA_GUID	"ce0a0000-0000-4000-8000-000000000000"

static void
test_replay_meshcentral(void **state)
{
	static const struct session_case ok = {
		"meshcentral-client_meshcentral-mps_auth-ok", 1, 1,
		"q6XZ7RYrZcbPL8Qs", "CiraLab-Pass1!",
		"12345678-9abc-def1-2345-0000000000aa", 2, 0 };
	static const struct session_case bad = {
		"meshcentral-client_meshcentral-mps_auth-fail", 1, 0,
		"q6XZ7RYrZcbPL8Qs", "wrong",
		"12345678-9abc-def1-2345-0000000000aa", 0, 0 };

	(void)state;
	replay_one(&ok);
	replay_one(&bad);
}

static void
test_replay_openamt(void **state)
{
	struct pu_chunk *rec;
	struct session_case c = { OPENAMT, 0, 1, "mpsuser1", "Cira-Pass1!",
	    OA_GUID, 7, 0 };
	size_t n, i, opens[8] = { 0 };

	(void)state;
	/* Count the recorded opens per connection from the messages file. */
	n = pu_load_jsonl(OPENAMT ".messages.jsonl", &rec);
	for (i = 0; i < n; i++)
		if (!rec[i].c2s && strcmp(rec[i].name, "CHANNEL_OPEN") == 0)
			opens[rec[i].conn]++;
	pu_free_chunks(rec, n);
	for (c.conn = 1; c.conn <= 4; c.conn++) {
		c.opens = opens[c.conn];
		assert_true(c.opens > 0);
		replay_one(&c);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_meshcentral),
		cmocka_unit_test(test_replay_openamt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
