/*
 * apf_session.c: the server side of one CIRA tunnel.
 *
 * Bytes in, whole APF messages and events out.  The rules that shape the
 * code:
 *
 *  - The type byte is checked against the state before the message is
 *    decoded, so a device cannot make us wait for (and buffer) a large
 *    message that the state would refuse anyway.
 *  - The daemon may call back into the session from an event callback, so
 *    no channel pointer is ever used after an event was emitted: handlers
 *    emit last, and callers look channels up again by id.  The channel
 *    table is an array that open() may grow and a close may shrink.
 *  - apf_session_free() from inside a callback is deferred: the session is
 *    marked, goes quiet (no sends, no events), and the outermost session
 *    call frees it on the way out.
 *  - Memory: an idle tunnel holds only struct apf_session (about 200 bytes);
 *    the channel table exists only while channels do.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abuf.h"
#include "apf.h"
#include "apf_session.h"
#include "mps_err.h"

#define SESS_FIRST_CHAN_ID	4	/* as MeshCentral and Open AMT */
#define SESS_MAX_CHANNELS	4096	/* hard cap on the configured limit */
#define SESS_MAX_RX_WINDOW	(1u << 30)
#define SESS_REASON_LEN		128
#define SESS_CTL_BUF		256	/* every control message we send fits */
#define SESS_ORIG_ADDR		"127.0.0.1"
#define SESS_PORT_MAX		65535

struct apf_chan {
	uint32_t		 id;		/* ours */
	uint32_t		 peer;		/* the device's, once OPEN */
	uint32_t		 port;
	enum apf_chan_state	 state;
	void			*arg;
	uint32_t		 tx_window;	/* bytes the device will take */
	/*
	 * Receive accounting; rx_left + rx_held + rx_credit == rx_window
	 * always.  rx_left goes negative when the device overruns the window,
	 * down to the grace.
	 */
	int64_t			 rx_left;	/* window the device still has */
	uint32_t		 rx_held;	/* delivered, not yet consumed */
	uint32_t		 rx_credit;	/* consumed, not yet credited */
	int			 close_wanted;	/* close() while OPENING */
};

struct apf_session {
	struct apf_session_cb	 cb;
	void			*arg;
	struct apf_session_limits lim;
	enum apf_session_state	 state;
	int			 err;		/* why CLOSED */
	char			*reason;	/* allocated on the first failure */
	uint32_t		 next_id;	/* never reused: tombstones */
	uint32_t		 glitches;
	struct apf_chan		*chans;		/* NULL while there are none */
	uint32_t		 nchans;
	uint32_t		 chan_cap;
	uint32_t		 nfwd;
	uint32_t		 fwd[APF_MAX_FORWARDS];
	uint16_t		 depth;		/* session calls on the stack */
	uint8_t			 in_input;
	uint8_t			 free_pending;
	char			 guid[APF_GUID_STRLEN + 1];
};

/* Names and small helpers. */

const char *
apf_session_state_name(enum apf_session_state st)
{
	switch (st) {
	case APF_SESSION_VERSION:
		return "VERSION";
	case APF_SESSION_AUTH_SERVICE:
		return "AUTH_SERVICE";
	case APF_SESSION_USERAUTH:
		return "USERAUTH";
	case APF_SESSION_AUTH_PENDING:
		return "AUTH_PENDING";
	case APF_SESSION_PFWD_SERVICE:
		return "PFWD_SERVICE";
	case APF_SESSION_ACTIVE:
		return "ACTIVE";
	case APF_SESSION_CLOSED:
		return "CLOSED";
	}
	return "UNKNOWN";
}

const char *
apf_chan_state_name(enum apf_chan_state st)
{
	switch (st) {
	case APF_CHAN_OPENING:
		return "OPENING";
	case APF_CHAN_OPEN:
		return "OPEN";
	case APF_CHAN_CLOSE_SENT:
		return "CLOSE_SENT";
	}
	return "UNKNOWN";
}

/* What a state waits for, for "X before Y" reasons. */
static const char *
sess_awaits(enum apf_session_state st)
{
	switch (st) {
	case APF_SESSION_VERSION:
		return "PROTOCOLVERSION";
	case APF_SESSION_AUTH_SERVICE:
		return "auth service request";
	case APF_SESSION_USERAUTH:
		return "USERAUTH_REQUEST";
	case APF_SESSION_AUTH_PENDING:
		return "authentication verdict";
	case APF_SESSION_PFWD_SERVICE:
		return "pfwd service request";
	case APF_SESSION_ACTIVE:
	case APF_SESSION_CLOSED:
		break;
	}
	return "nothing";
}

static uint32_t
sat_add_u32(uint32_t a, uint32_t b)
{
	return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

/* Peer bytes for a log line: bounded, printable ASCII only. */
static void
sess_printable(struct apf_str s, char *out, size_t outlen)
{
	size_t i, n = s.len < outlen - 1 ? s.len : outlen - 1;

	for (i = 0; i < n; i++)
		out[i] = s.p[i] >= 0x20 && s.p[i] < 0x7f ? (char)s.p[i] : '?';
	out[n] = '\0';
}

static void
sess_vset_reason(struct apf_session *s, const char *fmt, va_list ap)
{
	/* Only the first fatal reason counts; later ones are consequences. */
	if (s->reason != NULL)
		return;
	if ((s->reason = malloc(SESS_REASON_LEN)) == NULL)
		return;
	vsnprintf(s->reason, SESS_REASON_LEN, fmt, ap);
}

static void sess_set_reason(struct apf_session *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
sess_set_reason(struct apf_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sess_vset_reason(s, fmt, ap);
	va_end(ap);
}

static int
sess_closed_err(const struct apf_session *s)
{
	return s->err != 0 ? s->err : MPS_ERR_CLOSED;
}

static void
sess_enter_closed(struct apf_session *s, int err)
{
	if (s->state == APF_SESSION_CLOSED)
		return;
	s->state = APF_SESSION_CLOSED;
	s->err = err;
}

/* Sending. */

static int
sess_send_raw(struct apf_session *s, const uint8_t *buf, size_t len)
{
	if (s->state == APF_SESSION_CLOSED)
		return MPS_ERR_CLOSED;
	if (s->cb.send(s->arg, buf, len) != 0) {
		sess_set_reason(s, "transport refused a %s message",
		    apf_type_name(buf[0]));
		sess_enter_closed(s, MPS_ERR_IO);
		return MPS_ERR_IO;
	}
	return MPS_OK;
}

/* Encodes and sends one small control message. */
static int
sess_send(struct apf_session *s, const struct apf_msg *m)
{
	uint8_t buf[SESS_CTL_BUF];
	size_t len;
	int rc;

	if ((rc = apf_encode(m, buf, sizeof(buf), &len)) != 0) {
		/* Our own messages always fit: a bug, not a peer problem. */
		sess_set_reason(s, "cannot encode %s: %s",
		    apf_type_name(m->type), mps_strerror(rc));
		sess_enter_closed(s, MPS_ERR_INTERNAL);
		return MPS_ERR_INTERNAL;
	}
	return sess_send_raw(s, buf, len);
}

static int
sess_send_simple(struct apf_session *s, enum apf_type type)
{
	struct apf_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	return sess_send(s, &m);
}

static int
sess_send_u32(struct apf_session *s, enum apf_type type, uint32_t v)
{
	struct apf_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	switch (type) {
	case APF_DISCONNECT:
		m.u.disconnect.reason = v;
		break;
	case APF_CHANNEL_CLOSE:
		m.u.close.recipient = v;
		break;
	case APF_KEEPALIVE_REQUEST:
	case APF_KEEPALIVE_REPLY:
		m.u.keepalive.cookie = v;
		break;
	case APF_REQUEST_SUCCESS:
		m.u.req_success.has_port = 1;
		m.u.req_success.port = v;
		break;
	default:
		return MPS_ERR_INTERNAL;
	}
	return sess_send(s, &m);
}

/*
 * The one way a session dies of its peer's doing: DISCONNECT(disc) goes out
 * first (unless disc is 0), then the session is CLOSED with err.
 */
static int sess_fail(struct apf_session *, int, uint32_t, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static int
sess_fail(struct apf_session *s, int err, uint32_t disc, const char *fmt, ...)
{
	va_list ap;

	if (s->state == APF_SESSION_CLOSED)
		return sess_closed_err(s);
	va_start(ap, fmt);
	sess_vset_reason(s, fmt, ap);
	va_end(ap);
	if (disc != 0)
		(void)sess_send_u32(s, APF_DISCONNECT, disc);
	sess_enter_closed(s, err);
	return err;
}

/* Survivable oddity: counted, and fatal past the limit. */
static int
sess_glitch(struct apf_session *s, const char *what, uint32_t id)
{
	if (++s->glitches <= s->lim.max_glitches)
		return MPS_OK;
	return sess_fail(s, MPS_ERR_LIMIT, APF_DISC_PROTOCOL_ERROR,
	    "too many protocol glitches (last: %s %" PRIu32 ")", what, id);
}

/* Events, and the deferred free they make necessary. */

static void
sess_emit(struct apf_session *s, const struct apf_event *ev)
{
	if (s->free_pending || s->cb.event == NULL)
		return;
	s->depth++;
	s->cb.event(s->arg, ev);
	s->depth--;
}

static void
sess_destroy(struct apf_session *s)
{
	free(s->chans);
	free(s->reason);
	free(s);
}

/* Every public call that can emit ends here; s may be gone afterwards. */
static int
sess_leave(struct apf_session *s, int rc)
{
	s->depth--;
	if (s->depth == 0 && s->free_pending)
		sess_destroy(s);
	return rc;
}

/* Channel table. */

static struct apf_chan *
sess_chan_find(const struct apf_session *s, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < s->nchans; i++)
		if (s->chans[i].id == id)
			return &s->chans[i];
	return NULL;
}

/* A closed id of ours: stray traffic for it is ignored, never misrouted. */
static int
sess_is_tombstone(const struct apf_session *s, uint32_t id)
{
	return id >= SESS_FIRST_CHAN_ID && id < s->next_id;
}

static int
sess_chan_reserve(struct apf_session *s)
{
	struct apf_chan *t;
	uint32_t cap;

	if (s->nchans < s->chan_cap)
		return MPS_OK;
	cap = s->chan_cap == 0 ? 2 : s->chan_cap * 2;
	if (cap > s->lim.max_channels)
		cap = s->lim.max_channels;
	if ((t = realloc(s->chans, cap * sizeof(*t))) == NULL)
		return MPS_ERR_NOMEM;
	s->chans = t;
	s->chan_cap = cap;
	return MPS_OK;
}

static void
sess_chan_remove(struct apf_session *s, struct apf_chan *c)
{
	uint32_t i = (uint32_t)(c - s->chans);

	s->chans[i] = s->chans[--s->nchans];
	/* Give the table back when idle: idle tunnels must stay small. */
	if (s->nchans == 0) {
		free(s->chans);
		s->chans = NULL;
		s->chan_cap = 0;
	}
}

/* The largest CHANNEL_DATA payload we accept: the window plus its grace. */
static uint32_t
sess_rx_grace(const struct apf_session *s)
{
	return s->lim.rx_window / 10;
}

static size_t
sess_max_data(const struct apf_session *s)
{
	uint64_t n;

	if (s->state != APF_SESSION_ACTIVE)
		return 0;
	n = (uint64_t)s->lim.rx_window + sess_rx_grace(s);
	return n > APF_MAX_DATA ? APF_MAX_DATA : (size_t)n;
}

/*
 * Looks up the channel a device message names.  NULL with *rc == 0 means
 * a tombstone (ignored, glitch counted); NULL with *rc < 0 is fatal.
 */
static struct apf_chan *
sess_chan_for_peer(struct apf_session *s, const char *what, uint32_t id,
    int *rc)
{
	struct apf_chan *c;

	*rc = MPS_OK;
	if ((c = sess_chan_find(s, id)) != NULL)
		return c;
	if (sess_is_tombstone(s, id))
		*rc = sess_glitch(s, what, id);
	else
		*rc = sess_fail(s, MPS_ERR_CHANNEL, APF_DISC_PROTOCOL_ERROR,
		    "%s for unknown channel %" PRIu32, what, id);
	return NULL;
}

/* Message handlers, one per device message type. */

static int
sess_on_disconnect(struct apf_session *s, const struct apf_msg *m)
{
	struct apf_event ev;

	sess_set_reason(s, "device disconnected (reason %" PRIu32 ")",
	    m->u.disconnect.reason);
	sess_enter_closed(s, MPS_ERR_CLOSED);
	memset(&ev, 0, sizeof(ev));
	ev.type = APF_EV_DISCONNECT;
	ev.u.disconnect.reason = m->u.disconnect.reason;
	sess_emit(s, &ev);
	return MPS_OK;
}

static int
sess_on_version(struct apf_session *s, const struct apf_msg *m)
{
	struct apf_event ev;

	/*
	 * No PROTOCOLVERSION goes back: neither MeshCentral nor Open AMT
	 * sends one and devices connect.  Any version is recorded.
	 */
	apf_guid_format(m->u.version.uuid, s->guid);
	s->state = APF_SESSION_AUTH_SERVICE;
	memset(&ev, 0, sizeof(ev));
	ev.type = APF_EV_VERSION;
	ev.u.version.major = m->u.version.major;
	ev.u.version.minor = m->u.version.minor;
	ev.u.version.trigger = m->u.version.trigger;
	memcpy(ev.u.version.uuid, m->u.version.uuid, APF_UUID_LEN);
	memcpy(ev.u.version.guid, s->guid, sizeof(ev.u.version.guid));
	sess_emit(s, &ev);
	return MPS_OK;
}

static int
sess_on_service(struct apf_session *s, const struct apf_msg *m)
{
	struct apf_msg reply;
	char name[40];
	int auth, pfwd, rc;

	auth = apf_str_eq(m->u.service.name, APF_SERVICE_AUTH);
	pfwd = apf_str_eq(m->u.service.name, APF_SERVICE_PFWD);
	if (!auth && !pfwd) {
		/* As LMS does: DISCONNECT(SERVICE_NOT_AVAILABLE). */
		sess_printable(m->u.service.name, name, sizeof(name));
		return sess_fail(s, MPS_ERR_UNKNOWN_SERVICE,
		    APF_DISC_SERVICE_NOT_AVAILABLE,
		    "unknown service \"%s\"", name);
	}
	if (auth && s->state != APF_SESSION_AUTH_SERVICE)
		return sess_fail(s, MPS_ERR_STATE, APF_DISC_PROTOCOL_ERROR,
		    "auth service request repeated");
	if (pfwd && s->state != APF_SESSION_PFWD_SERVICE)
		return sess_fail(s, MPS_ERR_STATE, APF_DISC_PROTOCOL_ERROR,
		    "pfwd service request before authentication");
	memset(&reply, 0, sizeof(reply));
	reply.type = APF_SERVICE_ACCEPT;
	reply.u.service.name = apf_cstr(auth ? APF_SERVICE_AUTH :
	    APF_SERVICE_PFWD);
	if ((rc = sess_send(s, &reply)) != 0)
		return rc;
	s->state = auth ? APF_SESSION_USERAUTH : APF_SESSION_ACTIVE;
	return MPS_OK;
}

static int
sess_on_userauth(struct apf_session *s, const struct apf_msg *m)
{
	struct apf_event ev;
	char name[40];

	if (!apf_str_eq(m->u.userauth_req.service, APF_SERVICE_PFWD)) {
		sess_printable(m->u.userauth_req.service, name, sizeof(name));
		return sess_fail(s, MPS_ERR_UNKNOWN_SERVICE,
		    APF_DISC_SERVICE_NOT_AVAILABLE,
		    "USERAUTH_REQUEST for unknown service \"%s\"", name);
	}
	/* Input pauses here until apf_session_auth_result(). */
	s->state = APF_SESSION_AUTH_PENDING;
	memset(&ev, 0, sizeof(ev));
	ev.type = APF_EV_AUTH;
	ev.u.auth.user = m->u.userauth_req.user;
	ev.u.auth.password = m->u.userauth_req.password;
	ev.u.auth.method = m->u.userauth_req.method;
	sess_emit(s, &ev);
	return MPS_OK;
}

static int
sess_fwd_index(const struct apf_session *s, uint32_t port)
{
	uint32_t i;

	for (i = 0; i < s->nfwd; i++)
		if (s->fwd[i] == port)
			return (int)i;
	return -1;
}

static int
sess_on_forward(struct apf_session *s, const struct apf_msg *m)
{
	struct apf_event ev;
	uint32_t port = m->u.global.port;
	int rc;

	/*
	 * Every tcpip-forward gets an answer, also with want_reply 0, as
	 * both other MPSes do; AMT waits for it.
	 */
	if (port == 0 || port > SESS_PORT_MAX) {
		if ((rc = sess_send_simple(s, APF_REQUEST_FAILURE)) != 0)
			return rc;
		return sess_glitch(s, "tcpip-forward for port", port);
	}
	if (sess_fwd_index(s, port) >= 0)
		return sess_send_u32(s, APF_REQUEST_SUCCESS, port);
	if (s->nfwd >= APF_MAX_FORWARDS)
		return sess_send_simple(s, APF_REQUEST_FAILURE);
	if ((rc = sess_send_u32(s, APF_REQUEST_SUCCESS, port)) != 0)
		return rc;
	s->fwd[s->nfwd++] = port;
	memset(&ev, 0, sizeof(ev));
	ev.type = APF_EV_FORWARD_ADDED;
	ev.u.forward.port = port;
	sess_emit(s, &ev);
	return MPS_OK;
}

static int
sess_on_cancel(struct apf_session *s, const struct apf_msg *m)
{
	struct apf_event ev;
	uint32_t port = m->u.global.port;
	int i, rc;

	if ((i = sess_fwd_index(s, port)) < 0) {
		if ((rc = sess_send_simple(s, APF_REQUEST_FAILURE)) != 0)
			return rc;
		return sess_glitch(s, "cancel-tcpip-forward for port", port);
	}
	/* The bare 1-byte success, as Open AMT answers a cancel. */
	if ((rc = sess_send_simple(s, APF_REQUEST_SUCCESS)) != 0)
		return rc;
	s->fwd[i] = s->fwd[--s->nfwd];
	memset(&ev, 0, sizeof(ev));
	ev.type = APF_EV_FORWARD_REMOVED;
	ev.u.forward.port = port;
	sess_emit(s, &ev);
	return MPS_OK;
}

static int
sess_on_global(struct apf_session *s, const struct apf_msg *m)
{
	int rc;

	switch (m->u.global.kind) {
	case APF_GLOBAL_TCPIP_FORWARD:
		return sess_on_forward(s, m);
	case APF_GLOBAL_CANCEL_FORWARD:
		return sess_on_cancel(s, m);
	case APF_GLOBAL_UDP_SEND_TO:
		/* An MPS sends no datagrams for the device; refuse politely. */
		if (m->u.global.want_reply &&
		    (rc = sess_send_simple(s, APF_REQUEST_FAILURE)) != 0)
			return rc;
		return sess_glitch(s, "udp-send-to to port", m->u.global.port);
	}
	return sess_fail(s, MPS_ERR_INTERNAL, APF_DISC_PROTOCOL_ERROR,
	    "global request of unknown kind");
}

static int
sess_on_chan_open(struct apf_session *s, const struct apf_msg *m)
{
	struct apf_msg reply;

	/* Device-initiated channels are refused, as MeshCentral/Open AMT do. */
	memset(&reply, 0, sizeof(reply));
	reply.type = APF_CHANNEL_OPEN_FAILURE;
	reply.u.open_failure.recipient = m->u.open.sender;
	reply.u.open_failure.reason = APF_OPEN_UNKNOWN_CHANNEL_TYPE;
	return sess_send(s, &reply);
}

static int
sess_on_open_confirm(struct apf_session *s, const struct apf_msg *m)
{
	struct apf_event ev;
	struct apf_chan *c;
	int rc;

	if ((c = sess_chan_for_peer(s, "CHANNEL_OPEN_CONFIRMATION",
	    m->u.open_confirm.recipient, &rc)) == NULL)
		return rc;
	if (c->state != APF_CHAN_OPENING)
		return sess_fail(s, MPS_ERR_STATE, APF_DISC_PROTOCOL_ERROR,
		    "CHANNEL_OPEN_CONFIRMATION for channel %" PRIu32
		    " that is not opening", c->id);
	c->peer = m->u.open_confirm.sender;
	c->tx_window = m->u.open_confirm.window;
	if (c->close_wanted) {
		/* The deferred CLOSE: the consumer gave up while we waited. */
		if ((rc = sess_send_u32(s, APF_CHANNEL_CLOSE, c->peer)) != 0)
			return rc;
		c->state = APF_CHAN_CLOSE_SENT;
		return MPS_OK;
	}
	c->state = APF_CHAN_OPEN;
	memset(&ev, 0, sizeof(ev));
	ev.type = APF_EV_CHAN_OPENED;
	ev.chan = c->id;
	ev.chan_arg = c->arg;
	sess_emit(s, &ev);
	return MPS_OK;
}

static int
sess_on_open_failure(struct apf_session *s, const struct apf_msg *m)
{
	struct apf_event ev;
	struct apf_chan *c;
	int rc;

	if ((c = sess_chan_for_peer(s, "CHANNEL_OPEN_FAILURE",
	    m->u.open_failure.recipient, &rc)) == NULL)
		return rc;
	if (c->state != APF_CHAN_OPENING)
		return sess_fail(s, MPS_ERR_STATE, APF_DISC_PROTOCOL_ERROR,
		    "CHANNEL_OPEN_FAILURE for channel %" PRIu32
		    " that is not opening", c->id);
	memset(&ev, 0, sizeof(ev));
	/* A consumer that already closed waits for CLOSED, not a failure. */
	ev.type = c->close_wanted ? APF_EV_CHAN_CLOSED :
	    APF_EV_CHAN_OPEN_FAILED;
	ev.chan = c->id;
	ev.chan_arg = c->arg;
	ev.u.open_failure.reason = m->u.open_failure.reason;
	sess_chan_remove(s, c);
	sess_emit(s, &ev);
	return MPS_OK;
}

static int
sess_on_window_adjust(struct apf_session *s, const struct apf_msg *m)
{
	struct apf_event ev;
	struct apf_chan *c;
	int rc;

	if ((c = sess_chan_for_peer(s, "CHANNEL_WINDOW_ADJUST",
	    m->u.window_adjust.recipient, &rc)) == NULL)
		return rc;
	if (c->state == APF_CHAN_OPENING)
		return sess_fail(s, MPS_ERR_STATE, APF_DISC_PROTOCOL_ERROR,
		    "CHANNEL_WINDOW_ADJUST for channel %" PRIu32
		    " before its confirmation", c->id);
	/* Saturating: a device adding past 4 GiB gets 4 GiB, not a wrap. */
	c->tx_window = sat_add_u32(c->tx_window, m->u.window_adjust.bytes);
	if (c->state != APF_CHAN_OPEN || c->close_wanted)
		return MPS_OK;
	memset(&ev, 0, sizeof(ev));
	ev.type = APF_EV_CHAN_WINDOW;
	ev.chan = c->id;
	ev.chan_arg = c->arg;
	sess_emit(s, &ev);
	return MPS_OK;
}

static int
sess_on_data(struct apf_session *s, const struct apf_msg *m)
{
	struct apf_event ev;
	struct apf_chan *c;
	uint32_t len = m->u.data.data.len;
	int rc;

	if ((c = sess_chan_for_peer(s, "CHANNEL_DATA",
	    m->u.data.recipient, &rc)) == NULL)
		return rc;
	if (c->state == APF_CHAN_OPENING)
		return sess_fail(s, MPS_ERR_STATE, APF_DISC_PROTOCOL_ERROR,
		    "CHANNEL_DATA for channel %" PRIu32
		    " before its confirmation", c->id);
	c->rx_left -= len;
	if (c->rx_left < -(int64_t)sess_rx_grace(s))
		return sess_fail(s, MPS_ERR_WINDOW, APF_DISC_PROTOCOL_ERROR,
		    "channel %" PRIu32 " exceeded its window by %" PRId64
		    " bytes", c->id, -c->rx_left);
	/*
	 * After our CLOSE the consumer is gone: data the device sent before
	 * it saw our CLOSE is dropped (it still counted against the window).
	 */
	if (c->state != APF_CHAN_OPEN || len == 0)
		return MPS_OK;
	c->rx_held += len;
	memset(&ev, 0, sizeof(ev));
	ev.type = APF_EV_CHAN_DATA;
	ev.chan = c->id;
	ev.chan_arg = c->arg;
	ev.u.data.p = m->u.data.data.p;
	ev.u.data.len = len;
	sess_emit(s, &ev);
	return MPS_OK;
}

static int
sess_on_chan_close(struct apf_session *s, const struct apf_msg *m)
{
	struct apf_event ev;
	struct apf_chan *c;
	int rc;

	if ((c = sess_chan_for_peer(s, "CHANNEL_CLOSE",
	    m->u.close.recipient, &rc)) == NULL)
		return rc;
	if (c->state == APF_CHAN_OPENING)
		return sess_fail(s, MPS_ERR_STATE, APF_DISC_PROTOCOL_ERROR,
		    "CHANNEL_CLOSE for channel %" PRIu32
		    " before its confirmation", c->id);
	/*
	 * Device closed first: our one CLOSE answers it.  If ours already
	 * went out, nothing more is sent: AMT may have reused its id by now
	 * (Open AMT mps#741).
	 */
	if (c->state == APF_CHAN_OPEN &&
	    (rc = sess_send_u32(s, APF_CHANNEL_CLOSE, c->peer)) != 0)
		return rc;
	memset(&ev, 0, sizeof(ev));
	ev.type = APF_EV_CHAN_CLOSED;
	ev.chan = c->id;
	ev.chan_arg = c->arg;
	sess_chan_remove(s, c);
	sess_emit(s, &ev);
	return MPS_OK;
}

static int
sess_on_keepalive(struct apf_session *s, const struct apf_msg *m)
{
	struct apf_event ev;
	int rc;

	memset(&ev, 0, sizeof(ev));
	ev.u.keepalive.cookie = m->u.keepalive.cookie;
	if (m->type == APF_KEEPALIVE_REQUEST) {
		if ((rc = sess_send_u32(s, APF_KEEPALIVE_REPLY,
		    m->u.keepalive.cookie)) != 0)
			return rc;
		ev.type = APF_EV_KEEPALIVE;
	} else
		ev.type = APF_EV_KEEPALIVE_REPLY;
	sess_emit(s, &ev);
	return MPS_OK;
}

static int
sess_on_ka_options(struct apf_session *s, const struct apf_msg *m)
{
	struct apf_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = APF_EV_KEEPALIVE_OPTIONS;
	ev.u.ka_options.interval = m->u.ka_options.interval;
	ev.u.ka_options.timeout = m->u.ka_options.timeout;
	sess_emit(s, &ev);
	return MPS_OK;
}

#define ST(x)		(1u << APF_SESSION_##x)
#define ST_OPEN		(ST(VERSION) | ST(AUTH_SERVICE) | ST(USERAUTH) | \
			 ST(AUTH_PENDING) | ST(PFWD_SERVICE) | ST(ACTIVE))

/*
 * What a device may send, and when.  Types missing here (SERVICE_ACCEPT,
 * USERAUTH_SUCCESS/FAILURE, REQUEST_SUCCESS/FAILURE, KEEPALIVE_OPTIONS_
 * REQUEST) are server messages and refused in every state.
 */
static const struct sess_handler {
	uint8_t		 type;
	unsigned int	 states;
	int		(*fn)(struct apf_session *, const struct apf_msg *);
} sess_handlers[] = {
	{ APF_DISCONNECT,		ST_OPEN,	 sess_on_disconnect },
	{ APF_PROTOCOLVERSION,		ST(VERSION),	 sess_on_version },
	{ APF_SERVICE_REQUEST,		ST(AUTH_SERVICE) | ST(PFWD_SERVICE),
					sess_on_service },
	{ APF_USERAUTH_REQUEST,		ST(USERAUTH),	 sess_on_userauth },
	{ APF_GLOBAL_REQUEST,		ST(ACTIVE),	 sess_on_global },
	{ APF_CHANNEL_OPEN,		ST(ACTIVE),	 sess_on_chan_open },
	{ APF_CHANNEL_OPEN_CONFIRMATION, ST(ACTIVE),	 sess_on_open_confirm },
	{ APF_CHANNEL_OPEN_FAILURE,	ST(ACTIVE),	 sess_on_open_failure },
	{ APF_CHANNEL_WINDOW_ADJUST,	ST(ACTIVE),	 sess_on_window_adjust },
	{ APF_CHANNEL_DATA,		ST(ACTIVE),	 sess_on_data },
	{ APF_CHANNEL_CLOSE,		ST(ACTIVE),	 sess_on_chan_close },
	{ APF_KEEPALIVE_REQUEST,	ST(ACTIVE),	 sess_on_keepalive },
	{ APF_KEEPALIVE_REPLY,		ST(ACTIVE),	 sess_on_keepalive },
	{ APF_KEEPALIVE_OPTIONS_REPLY,	ST(ACTIVE),	 sess_on_ka_options },
};

static const struct sess_handler *
sess_handler(uint8_t type)
{
	size_t i;

	for (i = 0; i < sizeof(sess_handlers) / sizeof(sess_handlers[0]); i++)
		if (sess_handlers[i].type == type)
			return &sess_handlers[i];
	return NULL;
}

/*
 * Judges a message by its type byte alone, before decoding.  Unknown types
 * pass here and are refused by the decoder.
 */
static int
sess_check_order(struct apf_session *s, uint8_t type)
{
	const struct sess_handler *h;
	const char *name;

	if ((name = apf_type_name(type)) == NULL)
		return MPS_OK;
	if ((h = sess_handler(type)) == NULL)
		return sess_fail(s, MPS_ERR_STATE, APF_DISC_PROTOCOL_ERROR,
		    "%s is not a device message", name);
	if ((h->states & (1u << s->state)) != 0)
		return MPS_OK;
	/* Allowed only later: "X before Y"; only earlier: out of order. */
	if ((h->states >> s->state) != 0)
		return sess_fail(s, MPS_ERR_STATE, APF_DISC_PROTOCOL_ERROR,
		    "%s before %s", name, sess_awaits(s->state));
	return sess_fail(s, MPS_ERR_STATE, APF_DISC_PROTOCOL_ERROR,
	    "%s repeated (state %s)", name, apf_session_state_name(s->state));
}

static int
sess_decode_error(struct apf_session *s, int rc, const struct apf_msg *m,
    uint8_t type)
{
	char name[40];

	switch (rc) {
	case MPS_ERR_UNKNOWN_TYPE:
		return sess_fail(s, rc, APF_DISC_PROTOCOL_ERROR,
		    "unknown message type %u", (unsigned int)type);
	case MPS_ERR_UNKNOWN_REQUEST:
		/*
		 * The body's length is unknowable, so the stream is lost:
		 * answer if asked, then disconnect.
		 */
		if (m->u.global.want_reply)
			(void)sess_send_simple(s, APF_REQUEST_FAILURE);
		sess_printable(m->u.global.name, name, sizeof(name));
		return sess_fail(s, rc, APF_DISC_PROTOCOL_ERROR,
		    "unknown global request \"%s\"", name);
	case MPS_ERR_TOO_LARGE:
		return sess_fail(s, rc, APF_DISC_PROTOCOL_ERROR,
		    "%s with an oversized length", apf_type_name(type));
	default:
		return sess_fail(s, rc, APF_DISC_PROTOCOL_ERROR,
		    "malformed %s: %s", apf_type_name(type), mps_strerror(rc));
	}
}

/* Public API. */

void
apf_session_limits_default(struct apf_session_limits *l)
{
	l->max_channels = 8;
	l->rx_window = 64 * 1024;
	l->max_packet = 32 * 1024;
	l->max_glitches = 64;
}

struct apf_session *
apf_session_new(const struct apf_session_limits *limits,
    const struct apf_session_cb *cb, void *arg)
{
	struct apf_session_limits def;
	struct apf_session *s;

	if (cb == NULL || cb->send == NULL)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	apf_session_limits_default(&def);
	s->lim = limits != NULL ? *limits : def;
	if (s->lim.max_channels == 0)
		s->lim.max_channels = def.max_channels;
	if (s->lim.max_channels > SESS_MAX_CHANNELS)
		s->lim.max_channels = SESS_MAX_CHANNELS;
	if (s->lim.rx_window == 0)
		s->lim.rx_window = def.rx_window;
	/* Keeps window + grace (and so rx_held) far inside a u32. */
	if (s->lim.rx_window > SESS_MAX_RX_WINDOW)
		s->lim.rx_window = SESS_MAX_RX_WINDOW;
	if (s->lim.max_packet == 0)
		s->lim.max_packet = def.max_packet;
	if (s->lim.max_packet > APF_MAX_DATA)
		s->lim.max_packet = APF_MAX_DATA;
	if (s->lim.max_glitches == 0)
		s->lim.max_glitches = def.max_glitches;
	s->cb = *cb;
	s->arg = arg;
	s->state = APF_SESSION_VERSION;
	s->next_id = SESS_FIRST_CHAN_ID;
	return s;
}

void
apf_session_free(struct apf_session *s)
{
	if (s == NULL)
		return;
	if (s->depth > 0) {
		/* Called from a callback: go quiet now, free on the way out. */
		s->free_pending = 1;
		sess_enter_closed(s, MPS_ERR_CLOSED);
		return;
	}
	sess_destroy(s);
}

int
apf_session_input(struct apf_session *s, const uint8_t *buf, size_t len,
    size_t *consumed)
{
	const struct sess_handler *h;
	struct apf_msg m;
	size_t off = 0, n;
	int rc = MPS_OK;

	*consumed = 0;
	if (s->in_input)
		return MPS_ERR_INTERNAL;	/* not reentrant; see header */
	if (s->state == APF_SESSION_CLOSED)
		return sess_closed_err(s);
	s->in_input = 1;
	s->depth++;
	while (off < len && s->state != APF_SESSION_CLOSED &&
	    s->state != APF_SESSION_AUTH_PENDING) {
		if ((rc = sess_check_order(s, buf[off])) != 0)
			break;
		rc = apf_decode(buf + off, len - off, sess_max_data(s), &m, &n);
		if (rc == MPS_ERR_INCOMPLETE) {
			rc = MPS_OK;
			break;
		}
		if (rc != MPS_OK) {
			rc = sess_decode_error(s, rc, &m, buf[off]);
			break;
		}
		/* Consumed before handling: a handler may end the session. */
		off += n;
		h = sess_handler(m.type);
		if ((rc = h->fn(s, &m)) != 0)
			break;
	}
	*consumed = off;
	s->in_input = 0;
	if (rc == MPS_OK && s->state == APF_SESSION_CLOSED)
		rc = sess_closed_err(s);
	return sess_leave(s, rc);
}

size_t
apf_session_max_message(const struct apf_session *s)
{
	switch (s->state) {
	case APF_SESSION_VERSION:
		return 93;	/* PROTOCOLVERSION; DISCONNECT is shorter */
	case APF_SESSION_AUTH_SERVICE:
	case APF_SESSION_PFWD_SERVICE:
		return 1 + 4 + APF_MAX_STRING;
	case APF_SESSION_USERAUTH:
	case APF_SESSION_AUTH_PENDING:
		return 1 + 4 * (4 + APF_MAX_STRING) + 1;
	case APF_SESSION_ACTIVE:
		return apf_max_message(sess_max_data(s));
	case APF_SESSION_CLOSED:
		break;
	}
	return 0;
}

int
apf_session_auth_result(struct apf_session *s, int ok)
{
	struct apf_event ev;
	struct apf_msg m;
	int rc;

	if (s->state != APF_SESSION_AUTH_PENDING)
		return s->state == APF_SESSION_CLOSED ? sess_closed_err(s) :
		    MPS_ERR_STATE;
	s->depth++;
	if (!ok) {
		/* 14 bytes: name-list "password" and one partial byte. */
		memset(&m, 0, sizeof(m));
		m.type = APF_USERAUTH_FAILURE;
		m.u.userauth_fail.methods = apf_cstr(APF_METHOD_PASSWORD);
		rc = sess_send(s, &m);
		sess_set_reason(s, "%s", mps_strerror(MPS_ERR_AUTH));
		sess_enter_closed(s, MPS_ERR_AUTH);
		return sess_leave(s, rc);
	}
	if ((rc = sess_send_simple(s, APF_USERAUTH_SUCCESS)) != 0)
		return sess_leave(s, rc);
	s->state = APF_SESSION_PFWD_SERVICE;
	memset(&ev, 0, sizeof(ev));
	ev.type = APF_EV_AUTHENTICATED;
	sess_emit(s, &ev);
	return sess_leave(s, MPS_OK);
}

static int
sess_require_active(const struct apf_session *s)
{
	if (s->state == APF_SESSION_CLOSED)
		return sess_closed_err(s);
	return s->state == APF_SESSION_ACTIVE ? MPS_OK : MPS_ERR_STATE;
}

int
apf_session_keepalive_options(struct apf_session *s, uint32_t interval,
    uint32_t timeout)
{
	struct apf_msg m;
	int rc;

	if ((rc = sess_require_active(s)) != 0)
		return rc;
	memset(&m, 0, sizeof(m));
	m.type = APF_KEEPALIVE_OPTIONS_REQUEST;
	m.u.ka_options.interval = interval;
	m.u.ka_options.timeout = timeout;
	return sess_send(s, &m);
}

int
apf_session_keepalive_probe(struct apf_session *s, uint32_t cookie)
{
	int rc;

	if ((rc = sess_require_active(s)) != 0)
		return rc;
	return sess_send_u32(s, APF_KEEPALIVE_REQUEST, cookie);
}

int
apf_session_disconnect(struct apf_session *s, uint32_t reason)
{
	int rc;

	if (s->state == APF_SESSION_CLOSED)
		return sess_closed_err(s);
	rc = sess_send_u32(s, APF_DISCONNECT, reason);
	sess_set_reason(s, "disconnected by the server (reason %" PRIu32 ")",
	    reason);
	sess_enter_closed(s, MPS_ERR_CLOSED);
	return rc;
}

int
apf_session_open(struct apf_session *s, uint32_t port, void *arg,
    uint32_t *id)
{
	struct apf_chan *c;
	struct apf_msg m;
	uint32_t cid;
	int rc;

	*id = 0;
	if ((rc = sess_require_active(s)) != 0)
		return rc;
	if (sess_fwd_index(s, port) < 0)
		return MPS_ERR_PORT;
	if (s->nchans >= s->lim.max_channels)
		return MPS_ERR_LIMIT;
	/* Ids never repeat in a session; 0xFFFFFFFF is reserved. */
	if (s->next_id == APF_CHANNEL_RESERVED)
		return MPS_ERR_LIMIT;
	if ((rc = sess_chan_reserve(s)) != 0)
		return rc;
	cid = s->next_id;
	memset(&m, 0, sizeof(m));
	m.type = APF_CHANNEL_OPEN;
	m.u.open.chan_type = apf_cstr(APF_CHAN_FORWARDED);
	m.u.open.sender = cid;
	m.u.open.window = s->lim.rx_window;
	m.u.open.reserved = APF_CHANNEL_RESERVED;
	/* Empty connected address works (Open AMT always sends it). */
	m.u.open.conn_addr = apf_cstr("");
	m.u.open.conn_port = port;
	m.u.open.orig_addr = apf_cstr(SESS_ORIG_ADDR);
	m.u.open.orig_port = 1024 + cid % 30000;
	if ((rc = sess_send(s, &m)) != 0)
		return rc;
	s->next_id++;
	c = &s->chans[s->nchans++];
	memset(c, 0, sizeof(*c));
	c->id = cid;
	c->port = port;
	c->state = APF_CHAN_OPENING;
	c->arg = arg;
	c->rx_left = s->lim.rx_window;
	*id = cid;
	return MPS_OK;
}

long
apf_session_send(struct apf_session *s, uint32_t id, const uint8_t *p,
    size_t len)
{
	struct abuf_wr w;
	struct apf_chan *c;
	uint8_t *buf;
	size_t total, chunk, done = 0;
	int rc;

	if ((rc = sess_require_active(s)) != 0)
		return rc;
	if ((c = sess_chan_find(s, id)) == NULL || c->close_wanted ||
	    c->state == APF_CHAN_CLOSE_SENT)
		return MPS_ERR_CHANNEL;
	if (c->state == APF_CHAN_OPENING)
		return 0;
	total = len < c->tx_window ? len : c->tx_window;
	if (total > LONG_MAX)
		total = LONG_MAX;
	if (total == 0)
		return 0;
	chunk = total < s->lim.max_packet ? total : s->lim.max_packet;
	/* Each message goes out whole, header and payload in one buffer. */
	if ((buf = malloc(9 + chunk)) == NULL)
		return MPS_ERR_NOMEM;
	while (done < total) {
		if (total - done < chunk)
			chunk = total - done;
		abuf_wr_init(&w, buf, 9 + chunk);
		abuf_put_u8(&w, APF_CHANNEL_DATA);
		abuf_put_u32(&w, c->peer);
		abuf_put_string(&w, p + done, chunk);
		if ((rc = sess_send_raw(s, buf, w.len)) != 0) {
			free(buf);
			return rc;
		}
		c->tx_window -= (uint32_t)chunk;
		done += chunk;
	}
	free(buf);
	return (long)done;
}

uint32_t
apf_session_send_window(const struct apf_session *s, uint32_t id)
{
	const struct apf_chan *c;

	if (s->state != APF_SESSION_ACTIVE ||
	    (c = sess_chan_find(s, id)) == NULL ||
	    c->state != APF_CHAN_OPEN || c->close_wanted)
		return 0;
	return c->tx_window;
}

int
apf_session_consumed(struct apf_session *s, uint32_t id, size_t n)
{
	struct apf_msg m;
	struct apf_chan *c;
	int rc;

	if ((rc = sess_require_active(s)) != 0)
		return rc;
	if ((c = sess_chan_find(s, id)) == NULL)
		return MPS_ERR_CHANNEL;
	if (n > c->rx_held)
		return MPS_ERR_USAGE;
	c->rx_held -= (uint32_t)n;
	c->rx_credit += (uint32_t)n;
	/*
	 * Credit only once the device's view of the window fell below half
	 * (OpenSSH's rule), so small reads do not cost a message each.  An
	 * overrun in grace is repaid first: the device's window goes back
	 * to at most rx_window.
	 */
	if (c->state != APF_CHAN_OPEN || c->rx_credit == 0 ||
	    c->rx_left >= (int64_t)(s->lim.rx_window / 2))
		return MPS_OK;
	if (c->rx_left < 0) {
		int64_t debt = -c->rx_left;

		if ((int64_t)c->rx_credit <= debt) {
			c->rx_left += c->rx_credit;
			c->rx_credit = 0;
			return MPS_OK;
		}
		c->rx_credit -= (uint32_t)debt;
		c->rx_left = 0;
	}
	memset(&m, 0, sizeof(m));
	m.type = APF_CHANNEL_WINDOW_ADJUST;
	m.u.window_adjust.recipient = c->peer;
	m.u.window_adjust.bytes = c->rx_credit;
	if ((rc = sess_send(s, &m)) != 0)
		return rc;
	c->rx_left += c->rx_credit;
	c->rx_credit = 0;
	return MPS_OK;
}

int
apf_session_close(struct apf_session *s, uint32_t id)
{
	struct apf_chan *c;
	int rc;

	if (s->state == APF_SESSION_CLOSED)
		return sess_closed_err(s);
	if ((c = sess_chan_find(s, id)) == NULL)
		return MPS_ERR_CHANNEL;
	switch (c->state) {
	case APF_CHAN_OPENING:
		c->close_wanted = 1;	/* CLOSE goes out on confirmation */
		return MPS_OK;
	case APF_CHAN_OPEN:
		if ((rc = sess_send_u32(s, APF_CHANNEL_CLOSE, c->peer)) != 0)
			return rc;
		c->state = APF_CHAN_CLOSE_SENT;
		return MPS_OK;
	case APF_CHAN_CLOSE_SENT:
		break;
	}
	return MPS_OK;
}

enum apf_session_state
apf_session_state(const struct apf_session *s)
{
	return s->state;
}

enum apf_chan_state
apf_chan_state(const struct apf_session *s, uint32_t id, int *exists)
{
	const struct apf_chan *c;

	if ((c = sess_chan_find(s, id)) == NULL) {
		if (exists != NULL)
			*exists = 0;
		return APF_CHAN_OPENING;
	}
	if (exists != NULL)
		*exists = 1;
	return c->state;
}

const char *
apf_session_reason(const struct apf_session *s)
{
	return s->reason != NULL ? s->reason : "";
}

const char *
apf_session_guid(const struct apf_session *s)
{
	return s->guid;
}

size_t
apf_session_forwards(const struct apf_session *s, uint32_t *ports,
    size_t max)
{
	size_t i, n = s->nfwd < max ? s->nfwd : max;

	for (i = 0; i < n; i++)
		ports[i] = s->fwd[i];
	return n;
}

int
apf_session_is_forwarded(const struct apf_session *s, uint32_t port)
{
	return sess_fwd_index(s, port) >= 0;
}

uint32_t
apf_session_channel_count(const struct apf_session *s)
{
	return s->nchans;
}

uint32_t
apf_session_glitches(const struct apf_session *s)
{
	return s->glitches;
}

size_t
apf_session_memory(const struct apf_session *s)
{
	return sizeof(*s) + (size_t)s->chan_cap * sizeof(struct apf_chan) +
	    (s->reason != NULL ? SESS_REASON_LEN : 0);
}
