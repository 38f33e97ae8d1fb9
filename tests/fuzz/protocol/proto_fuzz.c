/* proto_fuzz.c: invariant-checking harnesses for the APF codec/session. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apf.h"
#include "apf_session.h"
#include "mps_err.h"
#include "proto_fuzz.h"

#define CHECK(cond)	do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

static const size_t fuzz_max_data[] = { 0, 16, 1024, 65536, APF_MAX_DATA };

static int
decode_rc_ok(int rc)
{
	switch (rc) {
	case MPS_OK:
	case MPS_ERR_INCOMPLETE:
	case MPS_ERR_INVALID:
	case MPS_ERR_TOO_LARGE:
	case MPS_ERR_UNKNOWN_TYPE:
	case MPS_ERR_UNKNOWN_REQUEST:
		return 1;
	}
	return 0;
}

/* Layouts whose skipped fields we rewrite as 0: not byte-canonical. */
static int
has_reserved(enum apf_type t)
{
	return t == APF_DISCONNECT || t == APF_CHANNEL_OPEN_FAILURE ||
	    t == APF_PROTOCOLVERSION;
}

static void
check_message(const uint8_t *p, size_t used, size_t max_data,
    unsigned int flags, const struct apf_msg *m)
{
	struct apf_msg m2;
	uint8_t *out;
	size_t olen, used2;

	CHECK(used > 0);
	CHECK(apf_type_name(m->type) != NULL);
	CHECK(apf_encoded_len(m) == used);
	CHECK((out = malloc(used)) != NULL);
	CHECK(apf_encode(m, out, used, &olen) == MPS_OK && olen == used);
	if (!has_reserved(m->type))
		CHECK(memcmp(out, p, used) == 0);
	CHECK(apf_decode_ex(out, olen, max_data, flags, &m2, &used2) ==
	    MPS_OK && used2 == used && m2.type == m->type);
	free(out);
	/* Short reads of a message are only ever "need more". */
	CHECK(apf_decode_ex(p, used - 1, max_data, flags, &m2, &used2) ==
	    MPS_ERR_INCOMPLETE && used2 == 0);
	CHECK(apf_decode_ex(p, used / 2, max_data, flags, &m2, &used2) ==
	    MPS_ERR_INCOMPLETE);
}

void
proto_fuzz_decode(const uint8_t *data, size_t size)
{
	struct apf_msg m;
	unsigned int flags;
	size_t max_data, off = 1, used;
	int rc;

	if (size < 1)
		return;
	flags = data[0] & 1 ? APF_DEC_REQ_SUCCESS_PORT : 0;
	max_data = fuzz_max_data[(data[0] >> 1) % 5];
	while (off < size) {
		used = 12345;
		rc = apf_decode_ex(data + off, size - off, max_data, flags, &m,
		    &used);
		CHECK(decode_rc_ok(rc));
		if (rc == MPS_OK) {
			CHECK(used <= size - off);
			check_message(data + off, used, max_data, flags, &m);
			off += used;
			continue;
		}
		CHECK(used == 0);
		if (rc == MPS_ERR_INCOMPLETE) {
			/* Never waits for more than the documented bound. */
			CHECK(size - off < apf_max_message(max_data));
			break;
		}
		if (rc == MPS_ERR_UNKNOWN_REQUEST)
			CHECK(m.type == APF_GLOBAL_REQUEST);
		off++;		/* garbage: keep exploring from the next byte */
	}
}

/* The session harness: a tiny daemon. */

struct fz {
	struct apf_session	*s;
	int			 accept, async;
	uint32_t		 opens, closes_sent, events;
	uint32_t		 rng;
};

static uint32_t
fz_rand(struct fz *f)
{
	f->rng ^= f->rng << 13;
	f->rng ^= f->rng >> 17;
	f->rng ^= f->rng << 5;
	return f->rng;
}

static int
fz_send(void *arg, const uint8_t *buf, size_t len)
{
	struct fz *f = arg;
	struct apf_msg m;
	size_t used;

	/* Whatever the device did, what we send is whole and well formed. */
	CHECK(len > 0);
	CHECK(apf_decode_ex(buf, len, APF_MAX_DATA,
	    len == 5 && buf[0] == APF_REQUEST_SUCCESS ?
	    APF_DEC_REQ_SUCCESS_PORT : 0, &m, &used) == MPS_OK);
	CHECK(used == len);
	if (m.type == APF_CHANNEL_OPEN)
		f->opens++;
	if (m.type == APF_CHANNEL_CLOSE)
		f->closes_sent++;
	CHECK(f->closes_sent <= f->opens);
	return 0;
}

static void
fz_event(void *arg, const struct apf_event *ev)
{
	static const uint8_t req[] = "POST /wsman HTTP/1.1\r\n\r\n";
	struct fz *f = arg;
	uint32_t id;
	long n;

	f->events++;
	switch (ev->type) {
	case APF_EV_AUTH:
		CHECK(apf_session_state(f->s) == APF_SESSION_AUTH_PENDING);
		if (!f->async)
			CHECK(apf_session_auth_result(f->s, f->accept) ==
			    MPS_OK);
		break;
	case APF_EV_FORWARD_ADDED:
		(void)apf_session_open(f->s, ev->u.forward.port, f, &id);
		break;
	case APF_EV_CHAN_OPENED:
	case APF_EV_CHAN_WINDOW:
		CHECK(ev->chan_arg == f);
		n = apf_session_send(f->s, ev->chan, req, sizeof(req) - 1);
		CHECK(n >= 0 || n == MPS_ERR_CHANNEL || n == MPS_ERR_CLOSED);
		break;
	case APF_EV_CHAN_DATA:
		CHECK(ev->u.data.len > 0);
		CHECK(apf_session_consumed(f->s, ev->chan, ev->u.data.len) ==
		    MPS_OK || apf_session_state(f->s) == APF_SESSION_CLOSED);
		if (fz_rand(f) % 4 == 0)
			(void)apf_session_close(f->s, ev->chan);
		break;
	case APF_EV_CHAN_CLOSED:
	case APF_EV_CHAN_OPEN_FAILED: {
		int exists;

		(void)apf_chan_state(f->s, ev->chan, &exists);
		CHECK(!exists);
		break;
	}
	case APF_EV_KEEPALIVE:
		if (fz_rand(f) % 8 == 0)
			(void)apf_session_keepalive_probe(f->s, f->events);
		break;
	default:
		break;
	}
}

static int
session_rc_ok(int rc)
{
	switch (rc) {
	case MPS_OK:
	case MPS_ERR_INVALID:
	case MPS_ERR_TOO_LARGE:
	case MPS_ERR_UNKNOWN_TYPE:
	case MPS_ERR_UNKNOWN_REQUEST:
	case MPS_ERR_UNKNOWN_SERVICE:
	case MPS_ERR_STATE:
	case MPS_ERR_AUTH:
	case MPS_ERR_CHANNEL:
	case MPS_ERR_WINDOW:
	case MPS_ERR_LIMIT:
	case MPS_ERR_CLOSED:
		return 1;
	}
	return 0;
}

void
proto_fuzz_session(const uint8_t *data, size_t size)
{
	struct apf_session_cb cb = { fz_send, fz_event };
	struct apf_session_limits lim;
	struct fz f;
	uint8_t *buf;
	size_t have = 0, fed = 0, used, chunk;
	int rc = MPS_OK;

	if (size < 1)
		return;
	memset(&f, 0, sizeof(f));
	f.accept = (data[0] & 1) == 0;
	f.async = (data[0] & 2) != 0;
	f.rng = 0x9e3779b9u ^ data[0] ^ (uint32_t)size;
	apf_session_limits_default(&lim);
	if (data[0] & 0x10) {
		lim.rx_window = 1024;
		lim.max_packet = 64;
		lim.max_channels = 2;
		lim.max_glitches = 4;
	}
	CHECK((f.s = apf_session_new(&lim, &cb, &f)) != NULL);
	CHECK((buf = malloc(size)) != NULL);
	data++;
	size--;
	while (fed < size || have > 0) {
		/* Reads of 1 byte, small, or everything, as byte 0 says. */
		switch ((data[-1] >> 2) & 3) {
		case 0:
			chunk = size - fed;
			break;
		case 1:
			chunk = 1;
			break;
		default:
			chunk = 1 + fz_rand(&f) % 64;
			break;
		}
		if (chunk > size - fed)
			chunk = size - fed;
		memcpy(buf + have, data + fed, chunk);
		have += chunk;
		fed += chunk;
		rc = apf_session_input(f.s, buf, have, &used);
		CHECK(session_rc_ok(rc));
		CHECK(used <= have);
		memmove(buf, buf + used, have - used);
		have -= used;
		if (rc != MPS_OK) {
			CHECK(apf_session_state(f.s) == APF_SESSION_CLOSED);
			CHECK(apf_session_reason(f.s)[0] != '\0');
			CHECK(apf_session_input(f.s, buf, have, &used) < 0 &&
			    used == 0);
			break;
		}
		if (apf_session_state(f.s) == APF_SESSION_AUTH_PENDING) {
			CHECK(f.async);
			CHECK(apf_session_auth_result(f.s, f.accept) == MPS_OK);
			continue;
		}
		/* A stalled partial message stays under the bound. */
		CHECK(have < apf_session_max_message(f.s));
		if (fed == size)
			break;
	}
	CHECK(apf_session_channel_count(f.s) <= lim.max_channels);
	apf_session_free(f.s);
	free(buf);
}
