/*
 * test_relay.c: the relay engine (server/relay.c) against a real APF
 * session driven by scripted device bytes, with a socketpair as the local
 * fd, on a real event base.  The test plays both outer ends: the device
 * (feeding CONFIRM/DATA/ADJUST/CLOSE into the session and decoding what the
 * session sends) and the local peer (the other end of the socketpair).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "proto_util.h"
#include "server.h"
#include "relay.h"

#define THEIRS		77		/* the device's id for our channel */
#define WINDOW		32768		/* our rx window (session limit) */
#define PORT		16992

struct t {
	struct event_base	*base;
	struct pu_rec		 rec;
	struct dev_conn		*c;
	int			 peer;		/* the local peer's end */
	struct relay		*r;
	/* owner callbacks */
	int			 opened, closed, closed_err;
	uint32_t		 closed_reason;
	/* what the device saw */
	uint32_t		 ours;		/* our id, from CHANNEL_OPEN */
	uint32_t		 dev_window;	/* bytes the device may send */
	int			 nopen, nclose;
	uint64_t		 adjusted;
	uint8_t			*got;		/* CHANNEL_DATA payload */
	size_t			 got_len, got_cap;
};

static struct t	*T;

static void
hook(struct pu_rec *r, const struct apf_event *ev)
{
	switch (ev->type) {
	case APF_EV_CHAN_OPENED:
	case APF_EV_CHAN_OPEN_FAILED:
	case APF_EV_CHAN_DATA:
	case APF_EV_CHAN_WINDOW:
	case APF_EV_CHAN_CLOSED:
		relay_chan_event(T->c, ev);
		break;
	default:
		break;
	}
}

static void
cb_opened(struct relay *r, void *arg)
{
	struct t	*t = arg;

	assert_ptr_equal(r, t->r);
	t->opened++;
}

static void
cb_closed(struct relay *r, void *arg, int err, uint32_t reason)
{
	struct t	*t = arg;

	t->closed++;
	t->closed_err = err;
	t->closed_reason = reason;
}

static const struct relay_cb test_cb = { cb_opened, cb_closed };

/* Decodes everything the session sent, as the device. */
static void
scan(struct t *t)
{
	struct apf_msg	m;
	size_t		i;

	for (i = 0; i < t->rec.nmsgs; i++) {
		pu_sent(&t->rec, i, &m);
		switch (m.type) {
		case APF_CHANNEL_OPEN:
			t->nopen++;
			t->ours = m.u.open.sender;
			t->dev_window = m.u.open.window;
			assert_int_equal(m.u.open.conn_port, PORT);
			break;
		case APF_CHANNEL_DATA:
			assert_int_equal(m.u.data.recipient, THEIRS);
			if (t->got_len + m.u.data.data.len > t->got_cap) {
				t->got_cap = (t->got_len + m.u.data.data.len) * 2;
				t->got = realloc(t->got, t->got_cap);
				assert_non_null(t->got);
			}
			memcpy(t->got + t->got_len, m.u.data.data.p,
			    m.u.data.data.len);
			t->got_len += m.u.data.data.len;
			break;
		case APF_CHANNEL_WINDOW_ADJUST:
			assert_int_equal(m.u.window_adjust.recipient, THEIRS);
			t->adjusted += m.u.window_adjust.bytes;
			t->dev_window += m.u.window_adjust.bytes;
			break;
		case APF_CHANNEL_CLOSE:
			assert_int_equal(m.u.close.recipient, THEIRS);
			t->nclose++;
			break;
		default:
			break;
		}
	}
	pu_clear(&t->rec);
}

/* Runs the loop for ms, then looks at what the device got. */
static void
spin(struct t *t, int ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(t->base, &tv);
	event_base_dispatch(t->base);
	scan(t);
}

/* Feeds one device message whole (pu_feed_msg stops at 4 KiB). */
static void
feed(struct t *t, struct apf_msg *m)
{
	static uint8_t	buf[9 + 65536];
	size_t		len, used;

	assert_int_equal(apf_encode(m, buf, sizeof(buf), &len), MPS_OK);
	assert_int_equal(pu_feed(&t->rec, buf, len, &used), MPS_OK);
	assert_int_equal(used, len);
	scan(t);
}

static void
dev_confirm(struct t *t, uint32_t window)
{
	struct apf_msg	m;

	pu_msg_confirm(&m, t->ours, THEIRS, window);
	feed(t, &m);
}

static void
dev_fail(struct t *t, uint32_t reason)
{
	struct apf_msg	m;

	memset(&m, 0, sizeof(m));
	m.type = APF_CHANNEL_OPEN_FAILURE;
	m.u.open_failure.recipient = t->ours;
	m.u.open_failure.reason = reason;
	feed(t, &m);
}

/* The device sends len bytes of pattern starting at off, within window. */
static void
dev_data(struct t *t, size_t off, size_t len)
{
	struct apf_msg	m;
	uint8_t		buf[16384];
	size_t		i, n;

	while (len > 0) {
		n = len < sizeof(buf) ? len : sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = (uint8_t)((off + i) * 7 + 3);
		pu_msg_data(&m, t->ours, buf, (uint32_t)n);
		assert_true(n <= t->dev_window);
		t->dev_window -= (uint32_t)n;
		feed(t, &m);
		off += n;
		len -= n;
	}
}

static void
dev_adjust(struct t *t, uint32_t n)
{
	struct apf_msg	m;

	pu_msg_adjust(&m, t->ours, n);
	feed(t, &m);
}

static void
dev_close(struct t *t)
{
	struct apf_msg	m;

	pu_msg_u32(&m, APF_CHANNEL_CLOSE, t->ours);
	feed(t, &m);
}

/* Reads what the peer can get now (non-blocking); -1 at EOF. */
static ssize_t
peer_read(struct t *t, uint8_t *buf, size_t cap)
{
	ssize_t	n, total = 0;

	while ((size_t)total < cap) {
		n = read(t->peer, buf + total, cap - (size_t)total);
		if (n == 0)
			return total > 0 ? total : -1;
		if (n < 0) {
			assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
			break;
		}
		total += n;
	}
	return total;
}

static void
peer_write(struct t *t, const void *p, size_t len)
{
	assert_int_equal(write(t->peer, p, len), (ssize_t)len);
}

static int
check_pattern(const uint8_t *p, size_t off, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (p[i] != (uint8_t)((off + i) * 7 + 3))
			return 0;
	return 1;
}

static int
setup(void **state)
{
	struct apf_session_limits	 lim;
	static const uint32_t		 ports[] = { 16992, 16994 };
	struct t			*t;

	t = calloc(1, sizeof(*t));
	assert_non_null(t);
	T = t;
	log_init(LOG_LEVEL_WARN, 0);
	t->base = event_base_new();
	assert_non_null(t->base);
	srv->base = t->base;
	/* The relay reads the tunnel's output watermark from the config. */
	srv->cfg = config_new_defaults();
	assert_non_null(srv->cfg);
	apf_session_limits_default(&lim);
	lim.rx_window = WINDOW;
	pu_init(&t->rec, &lim);
	pu_handshake(&t->rec, ports, 2);
	t->rec.hook = hook;
	t->c = calloc(1, sizeof(*t->c));
	assert_non_null(t->c);
	t->c->state = DEV_ACTIVE;
	/* The tunnel's TLS output, whose level holds up relay reads. */
	t->c->out = evbuffer_new();
	assert_non_null(t->c->out);
	t->c->sess = t->rec.s;
	t->c->id = 7;
	snprintf(t->c->reg.guid, sizeof(t->c->reg.guid),
	    "4c4c4544-0042-1000-8033-b6c04f504633");
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct t	*t = *state;

	/* What device.c does when the tunnel goes, then the loop drains. */
	t->c->state = DEV_CLOSING;
	relay_dev_gone(t->c);
	spin(t, 20);
	pu_free(&t->rec);
	relay_cleanup();
	assert_int_equal(relay_count(), 0);
	if (t->peer > 0)
		close(t->peer);
	event_base_free(t->base);
	srv->base = NULL;
	config_free(srv->cfg);
	srv->cfg = NULL;
	evbuffer_free(t->c->out);
	free(t->c);
	free(t->got);
	free(t);
	return 0;
}

/* A socketpair with small kernel buffers, so "drained" means something. */
static int
pair(struct t *t, int small)
{
	int	sv[2], sz = 4096;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if (small) {
		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	t->peer = sv[1];
	return sv[0];
}

static void
open_relay(struct t *t, int small)
{
	int	err = 0;

	t->r = relay_new(t->c, pair(t, small), PORT, &test_cb, t, &err);
	assert_non_null(t->r);
	assert_int_equal(err, 0);
	scan(t);
	assert_int_equal(t->nopen, 1);
	assert_int_equal(t->dev_window, WINDOW);
}

/* ------------------------------------------------------------- tests */

/* Bytes written before the confirmation are held, then sent at once. */
static void
test_held_until_confirmed(void **state)
{
	struct t	*t = *state;

	open_relay(t, 0);
	peer_write(t, "hello", 5);
	spin(t, 20);
	assert_int_equal(t->got_len, 0);
	assert_int_equal(t->opened, 0);
	dev_confirm(t, 1000);
	assert_int_equal(t->opened, 1);
	assert_int_equal(t->got_len, 5);
	assert_memory_equal(t->got, "hello", 5);
	assert_int_equal(relay_state(t->r), RELAY_OPEN);
	/* Each later read goes out at once, however small. */
	peer_write(t, "x", 1);
	spin(t, 20);
	assert_int_equal(t->got_len, 6);
	assert_int_equal(relay_get_stats(t->r)->bytes_in, 6);
}

/* Window 0 stops reading the fd; WINDOW_ADJUST resumes it. */
static void
test_window_stall_and_resume(void **state)
{
	struct t	*t = *state;
	uint8_t		 buf[1000], big[65536];
	size_t		 i, accepted = 0;
	ssize_t		 n;
	int		 round;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	open_relay(t, 1);
	dev_confirm(t, 100);
	peer_write(t, buf, sizeof(buf));
	spin(t, 30);
	assert_int_equal(t->got_len, 100);
	assert_int_equal(relay_get_stats(t->r)->stalls, 1);

	/*
	 * Stalled: the relay must not read.  With small kernel buffers the
	 * peer can then only fill the socket, far less than the relay's own
	 * 64 KiB of input it would take if it kept reading.
	 */
	memset(big, 'z', sizeof(big));
	for (round = 0; round < 10; round++) {
		while ((n = write(t->peer, big, sizeof(big))) > 0)
			accepted += (size_t)n;
		assert_true(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
		spin(t, 5);
	}
	assert_true(accepted < RELAY_READ_MAX / 2);
	assert_int_equal(t->got_len, 100);

	/* A small adjust sends exactly that much more. */
	dev_adjust(t, 500);
	assert_int_equal(t->got_len, 600);
	assert_true(check_pattern(t->got, 0, 600));
	/* A large one drains everything the peer wrote. */
	dev_adjust(t, 1 << 20);
	spin(t, 50);
	assert_int_equal(t->got_len, sizeof(buf) + accepted);
	assert_true(check_pattern(t->got, 0, sizeof(buf)));
	assert_int_equal(relay_get_stats(t->r)->stalls, 2);
}

/*
 * A tunnel whose TLS output is above its high watermark is not fed: the
 * relay stops reading until the output drains and device.c says so.
 */
static void
test_tunnel_output_high(void **state)
{
	struct t	*t = *state;
	size_t		 high = dev_output_high(t->c);
	uint8_t		*fill = calloc(1, high);

	assert_non_null(fill);
	open_relay(t, 0);
	dev_confirm(t, 100000);
	evbuffer_add(t->c->out, fill, high);	/* a slow device's backlog */
	peer_write(t, "held", 4);
	spin(t, 30);
	assert_int_equal(t->got_len, 0);
	/* Drained below the low mark: the read resumes at once. */
	evbuffer_drain(t->c->out, high);
	relay_dev_writable(t->c);
	assert_int_equal(t->got_len, 0);	/* not yet scanned */
	scan(t);
	assert_int_equal(t->got_len, 4);
	assert_memory_equal(t->got, "held", 4);
	/* And it stays armed: later bytes flow on their own. */
	peer_write(t, "more", 4);
	spin(t, 30);
	assert_int_equal(t->got_len, 8);
	free(fill);
}

/* The device is credited only for bytes that left our buffer for the fd. */
static void
test_credit_after_drain(void **state)
{
	struct t		*t = *state;
	const struct relay_stats *st;
	uint8_t			*buf = malloc(WINDOW);
	size_t			 have = 0, second;
	ssize_t			 n;
	int			 i;

	assert_non_null(buf);
	open_relay(t, 1);
	dev_confirm(t, 1000);
	st = relay_get_stats(t->r);
	dev_data(t, 0, WINDOW);		/* the whole window */
	assert_int_equal(t->dev_window, 0);
	spin(t, 30);
	/* The peer reads nothing: most is still ours, uncredited. */
	assert_true(st->bytes_out < WINDOW);
	assert_true(t->adjusted <= st->bytes_out);
	assert_true(t->dev_window < WINDOW);
	for (i = 0; i < 200 && have < WINDOW; i++) {
		n = peer_read(t, buf + have, WINDOW - have);
		assert_true(n >= 0);
		have += (size_t)n;
		spin(t, 2);
	}
	assert_int_equal(have, WINDOW);
	assert_true(check_pattern(buf, 0, WINDOW));
	spin(t, 10);
	assert_int_equal(st->bytes_out, WINDOW);
	/*
	 * All drained: never more credit than drained, and at least half
	 * the window back (the session batches the rest, OpenSSH's rule).
	 */
	assert_true(t->adjusted <= st->bytes_out);
	assert_true(t->dev_window >= WINDOW / 2);
	/* Another round: the credit keeps pace with the drain. */
	second = t->dev_window;
	dev_data(t, WINDOW, second);
	for (i = 0, have = 0; i < 200 && have < second; i++) {
		n = peer_read(t, buf + have, second - have);
		assert_true(n >= 0);
		have += (size_t)n;
		spin(t, 2);
	}
	assert_int_equal(have, second);
	assert_true(check_pattern(buf, WINDOW, second));
	spin(t, 10);
	assert_int_equal(st->bytes_out, WINDOW + second);
	assert_true(t->adjusted <= st->bytes_out);
	assert_true(t->dev_window >= WINDOW / 2);
	free(buf);
}

/* fd EOF: what the peer sent goes out, then exactly one CLOSE. */
static void
test_fd_eof_then_device_close(void **state)
{
	struct t	*t = *state;

	open_relay(t, 0);
	dev_confirm(t, 2);
	peer_write(t, "abcdef", 6);
	shutdown(t->peer, SHUT_WR);
	spin(t, 20);
	/* Window 2: the rest waits, the CLOSE waits behind it. */
	assert_int_equal(t->got_len, 2);
	assert_int_equal(t->nclose, 0);
	dev_adjust(t, 100);
	spin(t, 10);
	assert_int_equal(t->got_len, 6);
	assert_memory_equal(t->got, "abcdef", 6);
	assert_int_equal(t->nclose, 1);
	assert_int_equal(t->closed, 1);
	assert_int_equal(t->closed_err, 0);
	dev_close(t);			/* the device's answer */
	spin(t, 10);
	assert_int_equal(t->nclose, 1);
	assert_int_equal(relay_count(), 0);
}

/* Device closes first: pending output reaches the peer, then EOF. */
static void
test_device_close_flushes(void **state)
{
	struct t	*t = *state;
	uint8_t		*buf = malloc(20000);
	size_t		 have = 0;
	ssize_t		 n;
	int		 i;

	assert_non_null(buf);
	open_relay(t, 1);
	dev_confirm(t, 1000);
	dev_data(t, 0, 20000);
	dev_close(t);
	assert_int_equal(t->nclose, 1);		/* the session's answer */
	spin(t, 10);
	assert_int_equal(t->closed, 0);		/* still flushing */
	for (i = 0; i < 200; i++) {
		n = peer_read(t, buf + have, 20000 - have);
		if (n < 0)
			break;			/* EOF after all of it */
		have += (size_t)n;
		spin(t, 2);
	}
	assert_int_equal(have, 20000);
	assert_true(check_pattern(buf, 0, 20000));
	assert_int_equal(t->closed, 1);
	assert_int_equal(t->closed_err, 0);
	assert_int_equal(t->nclose, 1);
	spin(t, 5);
	assert_int_equal(relay_count(), 0);
	free(buf);
}

/* Both close at once, fd first: still exactly one CLOSE. */
static void
test_close_race_fd_first(void **state)
{
	struct t	*t = *state;

	open_relay(t, 0);
	dev_confirm(t, 1000);
	close(t->peer);
	t->peer = -1;
	spin(t, 10);			/* our CLOSE goes out */
	assert_int_equal(t->nclose, 1);
	dev_close(t);			/* crossed on the wire */
	spin(t, 10);
	assert_int_equal(t->nclose, 1);
	assert_int_equal(t->closed, 1);
	assert_int_equal(relay_count(), 0);
}

/* Both close at once, device first: the late fd EOF sends nothing. */
static void
test_close_race_device_first(void **state)
{
	struct t	*t = *state;

	open_relay(t, 0);
	dev_confirm(t, 1000);
	close(t->peer);			/* EOF pending in the loop */
	t->peer = -1;
	dev_close(t);			/* handled before the loop runs */
	assert_int_equal(t->nclose, 1);
	spin(t, 10);
	assert_int_equal(t->nclose, 1);
	assert_int_equal(t->closed, 1);
	assert_int_equal(relay_count(), 0);
}

/* The tunnel goes away under an active relay with data in flight. */
static void
test_tunnel_gone(void **state)
{
	struct t	*t = *state;
	uint8_t		 buf[3000];
	ssize_t		 n;
	size_t		 have = 0;
	int		 i;

	open_relay(t, 1);
	dev_confirm(t, 1000);
	dev_data(t, 0, 3000);
	peer_write(t, "late", 4);
	/* As dev_closing does: the session is not used any more. */
	t->c->state = DEV_CLOSING;
	relay_dev_gone(t->c);
	apf_session_free(t->rec.s);
	t->rec.s = NULL;
	t->c->sess = NULL;
	for (i = 0; i < 100; i++) {
		n = peer_read(t, buf + have, sizeof(buf) - have);
		if (n < 0)
			break;
		have += (size_t)n;
		spin(t, 2);
	}
	assert_int_equal(have, 3000);		/* flushed, then EOF */
	assert_true(check_pattern(buf, 0, 3000));
	assert_int_equal(t->closed, 1);
	assert_int_equal(t->closed_err, MPS_ERR_CLOSED);
	spin(t, 5);
	assert_int_equal(relay_count(), 0);
	/* A relay to a closing tunnel is refused. */
	{
		int err = 0, sv[2];

		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		assert_null(relay_new(t->c, sv[0], PORT, &test_cb, t, &err));
		assert_int_equal(err, MPS_ERR_NOT_CONNECTED);
		close(sv[1]);
	}
}

/* Reasons 2 and 4 are retried (3 x 500 ms); held input survives. */
static void
test_open_retry(void **state)
{
	struct t	*t = *state;
	uint32_t	 first;

	open_relay(t, 0);
	first = t->ours;
	peer_write(t, "held", 4);
	dev_fail(t, APF_OPEN_RESOURCE_SHORTAGE);
	assert_int_equal(relay_state(t->r), RELAY_RETRY);
	assert_int_equal(t->closed, 0);
	spin(t, 600);
	assert_int_equal(t->nopen, 2);
	assert_true(t->ours != first);		/* a new channel id */
	dev_fail(t, APF_OPEN_CONNECT_FAILED);
	spin(t, 600);
	assert_int_equal(t->nopen, 3);
	dev_confirm(t, 1000);
	assert_int_equal(t->opened, 1);
	assert_int_equal(t->got_len, 4);
	assert_memory_equal(t->got, "held", 4);
	assert_int_equal(relay_get_stats(t->r)->open_tries, 3);
}

/* Retries are bounded; the reason comes back to the owner. */
static void
test_open_retry_exhausted(void **state)
{
	struct t	*t = *state;
	uint8_t		 b[4];
	int		 i;

	open_relay(t, 0);
	for (i = 0; i < RELAY_OPEN_RETRIES; i++) {
		dev_fail(t, APF_OPEN_CONNECT_FAILED);
		spin(t, RELAY_RETRY_MS + 100);
	}
	assert_int_equal(t->nopen, RELAY_OPEN_RETRIES + 1);
	dev_fail(t, APF_OPEN_CONNECT_FAILED);
	assert_int_equal(t->closed, 1);
	assert_int_equal(t->closed_err, MPS_ERR_OPEN_REFUSED);
	assert_int_equal(t->closed_reason, APF_OPEN_CONNECT_FAILED);
	spin(t, 10);
	assert_int_equal(peer_read(t, b, sizeof(b)), -1);	/* EOF */
}

/* Other reasons fail at once, and the peer sees EOF. */
static void
test_open_refused(void **state)
{
	struct t	*t = *state;
	uint8_t		 b[4];

	open_relay(t, 0);
	dev_fail(t, APF_OPEN_ADMIN_PROHIBITED);
	assert_int_equal(t->closed, 1);
	assert_int_equal(t->closed_err, MPS_ERR_OPEN_REFUSED);
	assert_int_equal(t->closed_reason, APF_OPEN_ADMIN_PROHIBITED);
	spin(t, 10);
	assert_int_equal(peer_read(t, b, sizeof(b)), -1);
	assert_int_equal(t->nopen, 1);
	assert_int_equal(relay_count(), 0);
}

/* The owner gives up while opening: the CLOSE waits for the answer. */
static void
test_owner_close_while_opening(void **state)
{
	struct t	*t = *state;

	open_relay(t, 0);
	relay_close(t->r);
	spin(t, 10);
	assert_int_equal(t->nclose, 0);
	assert_int_equal(relay_count(), 1);	/* named by the session */
	dev_confirm(t, 1000);
	assert_int_equal(t->nclose, 1);		/* the deferred CLOSE */
	assert_int_equal(t->opened, 0);
	dev_close(t);
	spin(t, 10);
	assert_int_equal(t->closed, 0);		/* no callback after close */
	assert_int_equal(relay_count(), 0);
}

/* Only forwarded ports; the fd is closed in any case. */
static void
test_port_not_forwarded(void **state)
{
	struct t	*t = *state;
	int		 err = 0;
	uint8_t		 b[4];

	assert_null(relay_new(t->c, pair(t, 0), 5900, &test_cb, t, &err));
	assert_int_equal(err, MPS_ERR_PORT);
	assert_int_equal(peer_read(t, b, sizeof(b)), -1);
	assert_int_equal(t->nopen, 0);
}

/* 1 MiB each way at once through small windows and buffers, in order. */
static void
test_bulk_both_ways(void **state)
{
	struct t	*t = *state;
	const size_t	 total = 1 << 20;
	uint8_t		*in = malloc(total), *out = malloc(total);
	size_t		 dsent = 0, pread_n = 0, pwrote = 0, credited = 0;
	size_t		 i;
	ssize_t		 n;
	int		 iter;

	assert_non_null(in);
	assert_non_null(out);
	for (i = 0; i < total; i++)
		out[i] = (uint8_t)(i * 13 + 1);
	open_relay(t, 1);
	dev_confirm(t, 8192);
	for (iter = 0; iter < 20000 && (pread_n < total ||
	    t->got_len < total); iter++) {
		/* device -> peer, within the window we advertise */
		if (dsent < total && t->dev_window > 0) {
			size_t k = total - dsent;

			if (k > t->dev_window)
				k = t->dev_window;
			if (k > 8192)
				k = 8192;
			dev_data(t, dsent, k);
			dsent += k;
		}
		/* peer -> device */
		if (pwrote < total) {
			n = write(t->peer, out + pwrote, total - pwrote < 4096 ?
			    total - pwrote : 4096);
			if (n > 0)
				pwrote += (size_t)n;
		}
		n = peer_read(t, in + pread_n, total - pread_n);
		if (n > 0)
			pread_n += (size_t)n;
		event_base_loop(t->base, EVLOOP_NONBLOCK);
		scan(t);
		/* The device consumes what it got and says so. */
		if (t->got_len > credited + 4096) {
			dev_adjust(t, (uint32_t)(t->got_len - credited));
			credited = t->got_len;
		}
	}
	assert_int_equal(pread_n, total);
	assert_true(check_pattern(in, 0, total));
	assert_int_equal(t->got_len, total);
	assert_memory_equal(t->got, out, total);
	/* The device never had more than our window outstanding. */
	assert_true(t->dev_window <= WINDOW);
	free(in);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_held_until_confirmed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_stall_and_resume,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_tunnel_output_high,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_credit_after_drain,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_eof_then_device_close,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_close_flushes,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_race_fd_first,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_race_device_first,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_tunnel_gone,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_retry,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_retry_exhausted,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_close_while_opening,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_not_forwarded,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_both_ways,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
