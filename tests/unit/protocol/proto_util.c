/* proto_util.c: test harness for the protocol unit tests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mps_err.h"
#include "proto_util.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t
pu_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1, v;

	for (; *hex != '\0'; hex++) {
		if (*hex == ' ' || *hex == '\n' || *hex == '\t')
			continue;
		v = hexval((unsigned char)*hex);
		assert_true(v >= 0);
		if (hi < 0) {
			hi = v;
			continue;
		}
		assert_true(n < cap);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	assert_true(hi < 0);
	return n;
}

static void
grow(uint8_t **buf, size_t *cap, size_t need)
{
	size_t ncap = *cap == 0 ? 4096 : *cap;

	if (need <= *cap)
		return;
	while (ncap < need)
		ncap *= 2;
	*buf = realloc(*buf, ncap);
	assert_non_null(*buf);
	*cap = ncap;
}

static int
rec_send(void *arg, const uint8_t *buf, size_t len)
{
	struct pu_rec *r = arg;

	assert_true(len > 0);
	if (r->fail_send)
		return -1;
	grow(&r->out, &r->out_cap, r->out_len + len);
	memcpy(r->out + r->out_len, buf, len);
	assert_true(r->nmsgs < PU_MAX_MSGS);
	r->msg_off[r->nmsgs] = r->out_len;
	r->msg_len[r->nmsgs] = len;
	r->nmsgs++;
	r->out_len += len;
	return 0;
}

static void
copy_text(char *dst, size_t cap, struct apf_str s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;

	if (n > 0)
		memcpy(dst, s.p, n);
	dst[n] = '\0';
}

static void
rec_event(void *arg, const struct apf_event *ev)
{
	struct pu_rec *r = arg;
	struct pu_event *e;

	assert_true(r->nev < PU_MAX_EVENTS);
	e = &r->ev[r->nev++];
	memset(e, 0, sizeof(*e));
	e->type = ev->type;
	e->chan = ev->chan;
	e->chan_arg = ev->chan_arg;
	switch (ev->type) {
	case APF_EV_VERSION:
		e->a = ev->u.version.major;
		e->b = ev->u.version.trigger;
		snprintf(e->text1, sizeof(e->text1), "%s", ev->u.version.guid);
		break;
	case APF_EV_AUTH:
		copy_text(e->text1, sizeof(e->text1), ev->u.auth.user);
		copy_text(e->text2, sizeof(e->text2), ev->u.auth.password);
		break;
	case APF_EV_FORWARD_ADDED:
	case APF_EV_FORWARD_REMOVED:
		e->a = ev->u.forward.port;
		break;
	case APF_EV_KEEPALIVE:
	case APF_EV_KEEPALIVE_REPLY:
		e->a = ev->u.keepalive.cookie;
		break;
	case APF_EV_KEEPALIVE_OPTIONS:
		e->a = ev->u.ka_options.interval;
		e->b = ev->u.ka_options.timeout;
		break;
	case APF_EV_CHAN_OPEN_FAILED:
		e->a = ev->u.open_failure.reason;
		break;
	case APF_EV_CHAN_DATA:
		e->len = ev->u.data.len;
		grow(&r->data, &r->data_cap, r->data_len + ev->u.data.len);
		memcpy(r->data + r->data_len, ev->u.data.p, ev->u.data.len);
		r->data_len += ev->u.data.len;
		break;
	case APF_EV_DISCONNECT:
		e->a = ev->u.disconnect.reason;
		break;
	default:
		break;
	}
	if (r->hook != NULL)
		r->hook(r, ev);
	/* r->s may be gone now if the hook freed it. */
	if (r->s == NULL)
		return;
	if (ev->type == APF_EV_AUTH && r->auth != PU_AUTH_ASYNC)
		assert_int_equal(apf_session_auth_result(r->s,
		    r->auth == PU_AUTH_ACCEPT), MPS_OK);
	if (ev->type == APF_EV_CHAN_DATA && r->consume)
		(void)apf_session_consumed(r->s, ev->chan, ev->u.data.len);
}

void
pu_init(struct pu_rec *r, const struct apf_session_limits *lim)
{
	struct apf_session_cb cb = { rec_send, rec_event };

	memset(r, 0, sizeof(*r));
	r->auth = PU_AUTH_ACCEPT;
	r->s = apf_session_new(lim, &cb, r);
	assert_non_null(r->s);
}

void
pu_free(struct pu_rec *r)
{
	apf_session_free(r->s);
	free(r->out);
	free(r->data);
	memset(r, 0, sizeof(*r));
}

void
pu_clear(struct pu_rec *r)
{
	r->out_len = 0;
	r->nmsgs = 0;
	r->nev = 0;
	r->data_len = 0;
}

int
pu_feed(struct pu_rec *r, const uint8_t *p, size_t len, size_t *consumed)
{
	int rc;

	rc = apf_session_input(r->s, p, len, consumed);
	assert_true(*consumed <= len);
	return rc;
}

int
pu_feed_msg(struct pu_rec *r, const struct apf_msg *m)
{
	uint8_t buf[4096];
	size_t len, used;
	int rc;

	assert_int_equal(apf_encode(m, buf, sizeof(buf), &len), MPS_OK);
	rc = pu_feed(r, buf, len, &used);
	if (rc == MPS_OK && apf_session_state(r->s) != APF_SESSION_AUTH_PENDING)
		assert_int_equal(used, len);
	return rc;
}

void
pu_msg_version(struct apf_msg *m)
{
	int i;

	memset(m, 0, sizeof(*m));
	m->type = APF_PROTOCOLVERSION;
	m->u.version.major = 1;
	m->u.version.trigger = 4;
	for (i = 0; i < APF_UUID_LEN; i++)
		m->u.version.uuid[i] = (uint8_t)i;
}

void
pu_msg_service(struct apf_msg *m, const char *name)
{
	memset(m, 0, sizeof(*m));
	m->type = APF_SERVICE_REQUEST;
	m->u.service.name = apf_cstr(name);
}

void
pu_msg_userauth(struct apf_msg *m, const char *user, const char *pw)
{
	memset(m, 0, sizeof(*m));
	m->type = APF_USERAUTH_REQUEST;
	m->u.userauth_req.user = apf_cstr(user);
	m->u.userauth_req.service = apf_cstr(APF_SERVICE_PFWD);
	m->u.userauth_req.method = apf_cstr(APF_METHOD_PASSWORD);
	m->u.userauth_req.password = apf_cstr(pw);
}

void
pu_msg_forward(struct apf_msg *m, int cancel, uint32_t port,
    uint8_t want_reply)
{
	memset(m, 0, sizeof(*m));
	m->type = APF_GLOBAL_REQUEST;
	m->u.global.kind = cancel ? APF_GLOBAL_CANCEL_FORWARD :
	    APF_GLOBAL_TCPIP_FORWARD;
	m->u.global.want_reply = want_reply;
	m->u.global.addr = apf_cstr("");
	m->u.global.port = port;
}

void
pu_msg_u32(struct apf_msg *m, enum apf_type type, uint32_t v)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	switch (type) {
	case APF_DISCONNECT:
		m->u.disconnect.reason = v;
		break;
	case APF_CHANNEL_CLOSE:
		m->u.close.recipient = v;
		break;
	case APF_KEEPALIVE_REQUEST:
	case APF_KEEPALIVE_REPLY:
		m->u.keepalive.cookie = v;
		break;
	default:
		fail_msg("pu_msg_u32: type %d", type);
	}
}

void
pu_msg_confirm(struct apf_msg *m, uint32_t ours, uint32_t theirs,
    uint32_t window)
{
	memset(m, 0, sizeof(*m));
	m->type = APF_CHANNEL_OPEN_CONFIRMATION;
	m->u.open_confirm.recipient = ours;
	m->u.open_confirm.sender = theirs;
	m->u.open_confirm.window = window;
	m->u.open_confirm.reserved = APF_CHANNEL_RESERVED;
}

void
pu_msg_data(struct apf_msg *m, uint32_t to, const void *p, uint32_t len)
{
	memset(m, 0, sizeof(*m));
	m->type = APF_CHANNEL_DATA;
	m->u.data.recipient = to;
	m->u.data.data.p = p;
	m->u.data.data.len = len;
}

void
pu_msg_adjust(struct apf_msg *m, uint32_t to, uint32_t bytes)
{
	memset(m, 0, sizeof(*m));
	m->type = APF_CHANNEL_WINDOW_ADJUST;
	m->u.window_adjust.recipient = to;
	m->u.window_adjust.bytes = bytes;
}

void
pu_handshake(struct pu_rec *r, const uint32_t *ports, size_t n)
{
	struct apf_msg m;
	size_t i;

	pu_msg_version(&m);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	pu_msg_service(&m, APF_SERVICE_AUTH);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	pu_msg_userauth(&m, "mpsuser1", "Cira-Pass1!");
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	pu_msg_service(&m, APF_SERVICE_PFWD);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	for (i = 0; i < n; i++) {
		pu_msg_forward(&m, 0, ports[i], 1);
		assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	}
	assert_int_equal(apf_session_state(r->s), APF_SESSION_ACTIVE);
	pu_clear(r);
}

uint32_t
pu_open_confirmed(struct pu_rec *r, uint32_t port, uint32_t theirs,
    uint32_t window)
{
	struct apf_msg m;
	uint32_t id;

	assert_int_equal(apf_session_open(r->s, port, NULL, &id), MPS_OK);
	pu_msg_confirm(&m, id, theirs, window);
	assert_int_equal(pu_feed_msg(r, &m), MPS_OK);
	return id;
}

void
pu_sent(const struct pu_rec *r, size_t i, struct apf_msg *m)
{
	size_t used;

	assert_true(i < r->nmsgs);
	assert_int_equal(apf_decode_ex(r->out + r->msg_off[i], r->msg_len[i],
	    APF_MAX_DATA, r->msg_len[i] == 5 ? APF_DEC_REQ_SUCCESS_PORT : 0,
	    m, &used), MPS_OK);
	assert_int_equal(used, r->msg_len[i]);
}

int
pu_sent_is(const struct pu_rec *r, size_t i, const char *hex)
{
	uint8_t want[512];
	size_t n = pu_hex(hex, want, sizeof(want));

	if (i >= r->nmsgs || r->msg_len[i] != n)
		return 0;
	return memcmp(r->out + r->msg_off[i], want, n) == 0;
}

size_t
pu_count(const struct pu_rec *r, enum apf_event_type type)
{
	size_t i, n = 0;

	for (i = 0; i < r->nev; i++)
		if (r->ev[i].type == type)
			n++;
	return n;
}

/* Minimal reader for the fixtures' flat one-object-per-line JSON. */
static const char *
json_field(const char *line, const char *key)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	if ((p = strstr(line, pat)) == NULL)
		return NULL;
	return p + strlen(pat);
}

size_t
pu_load_jsonl(const char *file, struct pu_chunk **out)
{
	char path[1024], *line = NULL;
	const char *v, *e;
	struct pu_chunk *c = NULL;
	size_t n = 0, cap = 0, linecap = 0, hl;
	ssize_t got;
	FILE *f;

	snprintf(path, sizeof(path), "%s/apf/%s", MPS_FIXTURES, file);
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open fixture %s", path);
	while ((got = getline(&line, &linecap, f)) > 0) {
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			c = realloc(c, cap * sizeof(*c));
			assert_non_null(c);
		}
		memset(&c[n], 0, sizeof(c[n]));
		assert_non_null(v = json_field(line, "conn"));
		c[n].conn = atoi(v);
		assert_non_null(v = json_field(line, "dir"));
		c[n].c2s = strncmp(v, "\"c2s\"", 5) == 0;
		if ((v = json_field(line, "name")) != NULL) {
			v++;
			e = strchr(v, '"');
			assert_non_null(e);
			snprintf(c[n].name, sizeof(c[n].name), "%.*s",
			    (int)(e - v), v);
		}
		assert_non_null(v = json_field(line, "hex"));
		v++;
		assert_non_null(e = strchr(v, '"'));
		hl = (size_t)(e - v);
		c[n].p = malloc(hl / 2 + 1);
		assert_non_null(c[n].p);
		{
			char *tmp = strndup(v, hl);

			assert_non_null(tmp);
			c[n].len = pu_hex(tmp, c[n].p, hl / 2 + 1);
			free(tmp);
		}
		n++;
	}
	free(line);
	fclose(f);
	*out = c;
	return n;
}

void
pu_free_chunks(struct pu_chunk *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(c[i].p);
	free(c);
}
