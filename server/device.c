/*
 * device.c: one CIRA tunnel per struct dev_conn.
 *
 *   accept -> HANDSHAKE -(TLS up)-> APF -(USERAUTH ok)-> ACTIVE
 *                 \                   \                    \
 *                  `--------------------`--------------------`-> CLOSING -> freed
 *
 * TLS is driven directly (SSL_read/SSL_write on a plain event), not
 * through bufferevent_openssl: that reads one TLS record per wake-up
 * (two read(2)s, since it cannot use read-ahead) and toggles EV_WRITE with
 * two epoll_ctl(2)s for every reply.  Here a wake-up reads every record
 * OpenSSL already has (read-ahead: one read(2) per wake-up at idle), hands
 * the plaintext to protocol/apf_session, and the replies the session
 * appends to `out` are encrypted once, after the callback, by the flusher
 * (several messages share one record).  OpenSSL writes its records into
 * `wire` through a small BIO of ours instead of to the socket, so that
 * every record of a round (a handshake flight, a 64 KiB burst of channel
 * data) leaves in one write(2) rather than one each.  EV_WRITE is armed
 * only while the kernel refuses bytes.  Session events drive auth,
 * registration and keepalive.
 *
 * Deadlines without per-connection timers: every connection sits in one
 * slot of a timing wheel of one-second slots, at its next deadline (auth
 * timeout, delayed auth verdict, KEEPALIVE_OPTIONS due, idle timeout,
 * close linger).  Input moves a tunnel to its new idle deadline at most
 * once per second; the 1 s tick only visits the slots whose second has
 * come.  A wheel instead of one list ordered by last receive because the
 * idle timeout differs per device once its keepalive interval is known.
 *
 * Close paths all end in dev_closing(): one summary line, registry and
 * counters updated, then either an immediate or a flushed (bounded linger)
 * release.  The memory is freed from a separate event (dev_reaper), never
 * under a caller that may still hold c.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "server.h"
#include "ops.h"

#define DEV_WHEEL	512		/* one-second slots, power of two */
#define DEV_WHEEL_MASK	(DEV_WHEEL - 1)
#define DEV_LINGER	2		/* s to flush a goodbye */
#define DEV_KA_FIRST	3		/* s after auth without forwards */
#define DEV_KA_SETTLE	1		/* s after the last tcpip-forward */
#define DEV_KA_LATEST	10		/* s after auth at the latest */
#define DEV_KA_FORWARDS	7		/* AMT forwards at most 7 ports */
#define DEV_KA_PORT	5900		/* forwarded last by AMT */
#define DEV_RX_SLACK	4096		/* input bound above one message */
#define DEV_READ_BUDGET	(256 * 1024)	/* plaintext per wake-up, fairness */
#define DEV_READ_CHUNK	16384		/* one TLS record's plaintext */
#define DEV_WRITE_CHUNK	16384		/* one full TLS record per SSL_write */
#define DEV_READ_AHEAD	(256 * 1024)	/* read buffer while streaming */
#define DEV_WIRE_MAX	(256 * 1024)	/* ciphertext encrypted ahead */

enum dev_where {
	DEV_WHERE_NONE,
	DEV_WHERE_WHEEL,
	DEV_WHERE_DUE,		/* taken out by the tick, being handled */
	DEV_WHERE_DEAD,		/* waiting for the reaper */
};

TAILQ_HEAD(dev_list, dev_conn);

static struct dev_list	 dev_wheel[DEV_WHEEL];
static struct dev_list	 dev_due = TAILQ_HEAD_INITIALIZER(dev_due);
static struct dev_list	 dev_dead = TAILQ_HEAD_INITIALIZER(dev_dead);
static int		 dev_wheel_ready;
static uint32_t		 dev_wheel_now;	/* last second processed */
static struct event	*dev_reaper;
static struct event	*dev_flusher;
static struct dev_list	 dev_dirty = TAILQ_HEAD_INITIALIZER(dev_dirty);
static BIO_METHOD	*dev_wire_meth;
static uint64_t		 dev_last_id;
static uint32_t		 dev_counts[DEV_CLOSING + 1];

/* Lines any host on the network can trigger are rate limited. */
static struct log_ratelimit dev_rl_preauth =
    LOG_RATELIMIT_INIT("pre-auth connection messages", 10, 100);
static struct log_ratelimit dev_rl_authfail =
    LOG_RATELIMIT_INIT("auth failure messages", 10, 100);

static const char *const dev_state_names[] = {
	"handshake", "apf", "active", "closing",
};

static const char *const dev_close_names[] = {
#define DEV_CLOSE_NAME(name, str) str,
	DEV_CLOSE_REASONS(DEV_CLOSE_NAME)
#undef DEV_CLOSE_NAME
};

static int	dev_apf_send(void *, const uint8_t *, size_t);
static void	dev_mark_dirty(struct dev_conn *);
static void	dev_flush(struct dev_conn *);
static void	dev_read(struct dev_conn *);
static void	dev_apf_event(void *, const struct apf_event *);

static const struct apf_session_cb dev_apf_cb = {
	dev_apf_send,
	dev_apf_event,
};

const char *
dev_state_name(enum dev_state st)
{
	if ((unsigned)st > DEV_CLOSING)
		return "?";
	return dev_state_names[st];
}

const char *
dev_close_reason_str(enum dev_close_reason r)
{
	if ((unsigned)r >= DEV_CLOSE_MAX)
		return "?";
	return dev_close_names[r];
}

uint32_t
dev_count(enum dev_state st)
{
	return dev_counts[st];
}

uint32_t
dev_count_all(void)
{
	return dev_counts[DEV_HANDSHAKE] + dev_counts[DEV_APF] +
	    dev_counts[DEV_ACTIVE] + dev_counts[DEV_CLOSING];
}

struct dev_conn *
dev_from_reg(struct reg_node *n)
{
	return (struct dev_conn *)(void *)((char *)n -
	    offsetof(struct dev_conn, reg));
}

/*
 * The three buffers of a tunnel exist only while they hold bytes: an idle
 * tunnel then costs none of them (≈ 450 bytes of 10,000s of tunnels).
 */
static struct evbuffer *
dev_buf(struct evbuffer **b)
{
	if (*b == NULL)
		*b = evbuffer_new();
	return *b;
}

static size_t
dev_len(const struct evbuffer *b)
{
	return b != NULL ? evbuffer_get_length(b) : 0;
}

static void
dev_buf_trim(struct evbuffer **b)
{
	if (*b != NULL && evbuffer_get_length(*b) == 0) {
		evbuffer_free(*b);
		*b = NULL;
	}
}

static void
dev_vlog(const struct dev_conn *c, enum log_level level, const char *fmt,
    va_list ap) LOG_PRINTF(3, 0);

static void
dev_vlog(const struct dev_conn *c, enum log_level level, const char *fmt,
    va_list ap)
{
	char	msg[LOG_LINE_MAX], peer[PEER_STRLEN];

	if (!log_enabled(level))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	util_peer_str(&c->peer, peer);
	if (c->reg.guid[0] != '\0')
		log_msg(level, "conn=%llu peer=%s guid=%s %s",
		    (unsigned long long)c->id, peer, c->reg.guid, msg);
	else
		log_msg(level, "conn=%llu peer=%s %s",
		    (unsigned long long)c->id, peer, msg);
}

void
dev_log(const struct dev_conn *c, enum log_level level, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	dev_vlog(c, level, fmt, ap);
	va_end(ap);
}

/* dev_log() through a rate limiter. */
static void
dev_log_rl(const struct dev_conn *c, struct log_ratelimit *rl,
    enum log_level level, const char *fmt, ...) LOG_PRINTF(4, 5);

static void
dev_log_rl(const struct dev_conn *c, struct log_ratelimit *rl,
    enum log_level level, const char *fmt, ...)
{
	va_list	ap;

	if (!log_enabled(level) || !log_ratelimit(rl, util_mono()))
		return;
	va_start(ap, fmt);
	dev_vlog(c, level, fmt, ap);
	va_end(ap);
}

/* The single state setter: counts, gate, debug trace. */
static void
dev_set_state(struct dev_conn *c, enum dev_state st)
{
	if (c->state == st)
		return;
	dev_log(c, LOG_LEVEL_DEBUG, "state %s -> %s",
	    dev_state_name(c->state), dev_state_name(st));
	dev_counts[c->state]--;
	dev_counts[st]++;
	c->state = st;
	/* Fewer handshakes or pre-auth connections may reopen the gate. */
	listener_update();
}

/* ------------------------------------------------------------- wheel */

static void
dev_wheel_init(void)
{
	size_t	i;

	if (dev_wheel_ready)
		return;
	for (i = 0; i < DEV_WHEEL; i++)
		TAILQ_INIT(&dev_wheel[i]);
	dev_wheel_now = util_mono();
	dev_wheel_ready = 1;
}

static void
dev_timer_unlink(struct dev_conn *c)
{
	switch (c->where) {
	case DEV_WHERE_WHEEL:
		TAILQ_REMOVE(&dev_wheel[c->wake & DEV_WHEEL_MASK], c, wheel);
		break;
	case DEV_WHERE_DUE:
		TAILQ_REMOVE(&dev_due, c, wheel);
		break;
	case DEV_WHERE_DEAD:
		TAILQ_REMOVE(&dev_dead, c, wheel);
		break;
	}
	c->where = DEV_WHERE_NONE;
}

static uint32_t
dev_next_wake(const struct dev_conn *c)
{
	uint32_t	w;

	switch (c->state) {
	case DEV_HANDSHAKE:
	case DEV_APF:
		w = c->accepted + srv->cfg->limits.auth_timeout;
		if ((c->flags & DEV_F_VERDICT) && c->verdict_due < w)
			w = c->verdict_due;
		return w;
	case DEV_ACTIVE:
		w = c->last_rx + c->idle_timeout;
		if (c->ka_due != 0 && c->ka_due < w)
			w = c->ka_due;
		return w;
	default:
		return c->linger_until;
	}
}

/* Files c under its next deadline; O(1), a no-op if unchanged. */
static void
dev_timer_update(struct dev_conn *c)
{
	uint32_t	w;

	if (c->where == DEV_WHERE_DEAD)
		return;
	w = dev_next_wake(c);
	/* A slot already passed would only come round again in 512 s. */
	if (w <= dev_wheel_now)
		w = dev_wheel_now + 1;
	if (c->where == DEV_WHERE_WHEEL && c->wake == w)
		return;
	dev_timer_unlink(c);
	c->wake = w;
	TAILQ_INSERT_TAIL(&dev_wheel[w & DEV_WHEEL_MASK], c, wheel);
	c->where = DEV_WHERE_WHEEL;
}

/* ----------------------------------------------------------- freeing */

static void
dev_free(struct dev_conn *c)
{
	/* Always done by dev_closing; kept for connections that never
	 * got there (cleanup at exit). */
	ops_dev_gone(c);
	relay_dev_gone(c);
	if (c->sess != NULL)
		apf_session_free(c->sess);
	if (c->flags & DEV_F_DIRTY)
		TAILQ_REMOVE(&dev_dirty, c, dirty);
	if (c->rev != NULL)
		event_free(c->rev);
	if (c->wev != NULL)
		event_free(c->wev);
	if (c->ssl != NULL)
		SSL_free(c->ssl);	/* its BIOs; the socket BIO not fd */
	if (c->fd >= 0)
		close(c->fd);
	if (c->wire != NULL)
		evbuffer_free(c->wire);
	if (c->in != NULL)
		evbuffer_free(c->in);
	if (c->out != NULL)
		evbuffer_free(c->out);
	dev_counts[c->state]--;
	free(c);
}

static void
dev_reaper_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct dev_conn	*c;
	int		 n = 0;

	while ((c = TAILQ_FIRST(&dev_dead)) != NULL) {
		TAILQ_REMOVE(&dev_dead, c, wheel);
		dev_free(c);
		n++;
	}
	if (n > 0)
		server_conn_freed();
}

/*
 * Stops all I/O on c and queues it for the reaper.  c stays valid until
 * the current callback chain has returned.
 */
static void
dev_release(struct dev_conn *c)
{
	if (c->flags & DEV_F_FREEING)
		return;
	c->flags |= DEV_F_FREEING;
	dev_timer_unlink(c);
	event_del(c->rev);
	event_del(c->wev);
	c->flags &= ~DEV_F_WEV;
	if (c->flags & DEV_F_DIRTY) {
		TAILQ_REMOVE(&dev_dirty, c, dirty);
		c->flags &= ~DEV_F_DIRTY;
	}
	TAILQ_INSERT_TAIL(&dev_dead, c, wheel);
	c->where = DEV_WHERE_DEAD;
	event_active(dev_reaper, EV_TIMEOUT, 0);
}

/*
 * Every close goes through here once: the summary line, the registry, the
 * counters, the event for subscribers.  Leaves c in CLOSING.
 */
static void
dev_closing(struct dev_conn *c, enum dev_close_reason why, const char *detail)
{
	enum dev_state	 was = c->state;
	char		 peer[PEER_STRLEN], d[256];
	json_t		*ev;
	const struct device_entry *e;

	c->close_reason = why;
	srv->stats.disconnects[why]++;
	util_sanitize(detail != NULL ? detail : "", detail != NULL ?
	    strlen(detail) : 0, d, sizeof(d));
	if (c->flags & DEV_F_REGISTERED) {
		registry_remove(&srv->reg, &c->reg);
		c->flags &= ~DEV_F_REGISTERED;
	}
	dev_set_state(c, DEV_CLOSING);
	event_del(c->rev);	/* what it still says is not heard */
	/* Operations fail, channel streams flush and close: nothing may
	 * use the session from here on. */
	ops_dev_gone(c);
	relay_dev_gone(c);

	if (was == DEV_ACTIVE) {
		dev_log(c, LOG_LEVEL_INFO, "event=disconnected reason=\"%s\"%s%s%s "
		    "duration=%us bytes_in=%llu bytes_out=%llu",
		    dev_close_reason_str(why), d[0] ? " detail=\"" : "", d,
		    d[0] ? "\"" : "", util_mono() - c->accepted,
		    (unsigned long long)c->bytes_in,
		    (unsigned long long)c->bytes_out);
		e = devices_find(srv->devices, c->reg.guid);
		ev = json_pack("{s:s, s:o, s:s, s:s}", "guid", c->reg.guid,
		    "name", e != NULL && e->name != NULL ?
		    json_string(e->name) : json_null(),
		    "remote", util_peer_str(&c->peer, peer),
		    "reason", dev_close_reason_str(why));
		ctl_event("disconnect", ev);
	} else {
		dev_log_rl(c, &dev_rl_preauth, LOG_LEVEL_INFO,
		    "event=closed reason=\"%s\"%s%s%s state=%s duration=%us "
		    "bytes_in=%llu", dev_close_reason_str(why),
		    d[0] ? " detail=\"" : "", d, d[0] ? "\"" : "",
		    dev_state_name(was), util_mono() - c->accepted,
		    (unsigned long long)c->bytes_in);
	}
}

/* Closes at once, dropping anything unsent. */
static void
dev_close(struct dev_conn *c, enum dev_close_reason why, const char *detail)
{
	if (c->state == DEV_CLOSING)
		return;
	dev_closing(c, why, detail);
	dev_release(c);
}

/* Closes after what is queued has been written, DEV_LINGER s at most. */
static void
dev_close_flush(struct dev_conn *c, enum dev_close_reason why,
    const char *detail)
{
	if (c->state == DEV_CLOSING)
		return;
	dev_closing(c, why, detail);
	if (dev_output_pending(c) == 0) {
		dev_release(c);
		return;
	}
	c->linger_until = util_mono() + DEV_LINGER;
	dev_timer_update(c);
}

void
dev_disconnect(struct dev_conn *c, enum dev_close_reason why,
    uint32_t apf_reason, const char *detail)
{
	if (c->state == DEV_CLOSING)
		return;
	/* c may be closed by a failing send (output full) inside. */
	if (c->sess != NULL && apf_reason != 0 &&
	    apf_session_state(c->sess) != APF_SESSION_CLOSED)
		apf_session_disconnect(c->sess, apf_reason);
	dev_close_flush(c, why, detail);
}

void
dev_disconnect_all(enum dev_close_reason why)
{
	struct dev_conn	*c, *next;
	size_t		 i;

	for (i = 0; i < DEV_WHEEL && dev_wheel_ready; i++) {
		for (c = TAILQ_FIRST(&dev_wheel[i]); c != NULL; c = next) {
			next = TAILQ_NEXT(c, wheel);
			/* Lingering c moves to a later slot: seen again,
			 * skipped as CLOSING. */
			dev_disconnect(c, why, APF_DISC_BY_APPLICATION, NULL);
		}
	}
	while ((c = TAILQ_FIRST(&dev_due)) != NULL) {
		dev_timer_unlink(c);
		dev_disconnect(c, why, APF_DISC_BY_APPLICATION, NULL);
		if (c->where == DEV_WHERE_NONE)
			dev_timer_update(c);
	}
}

/* ------------------------------------------------------- keepalive */

static void
dev_ka_send(struct dev_conn *c, uint32_t now)
{
	uint32_t	interval = srv->cfg->keepalive.interval;

	if (c->flags & DEV_F_KA_SENT) {
		c->ka_due = 0;
		return;
	}
	if (apf_session_state(c->sess) != APF_SESSION_ACTIVE) {
		/* pfwd@ not requested yet: look again shortly. */
		c->ka_due = now < c->authed + DEV_KA_LATEST ? now + 1 : 0;
		return;
	}
	c->ka_due = 0;
	c->flags |= DEV_F_KA_SENT;
	/* (interval, 0) as the other MPSes send and AMT accepts. */
	if (apf_session_keepalive_options(c->sess, interval, 0) != 0)
		return;		/* c may be closing (output full) */
	dev_log(c, LOG_LEVEL_DEBUG, "event=keepalive-options-sent interval=%u "
	    "forwards=%u", interval, c->nforwards);
}

/* A forward arrived: send KEEPALIVE_OPTIONS once the forwards settle. */
static void
dev_ka_schedule(struct dev_conn *c, uint32_t port)
{
	uint32_t	now = util_mono(), due;

	if (c->flags & DEV_F_KA_SENT)
		return;
	/*
	 * AMT forwards 5900 last when it forwards it at all, and at most 7
	 * ports; otherwise wait a quiet second.  Sent after the input has
	 * been handled, so it follows this forward's REQUEST_SUCCESS.
	 */
	if (port == DEV_KA_PORT || c->nforwards >= DEV_KA_FORWARDS)
		due = now;
	else
		due = now + DEV_KA_SETTLE;
	if (due > c->authed + DEV_KA_LATEST)
		due = c->authed + DEV_KA_LATEST;
	c->ka_due = due;
}

/* -------------------------------------------------------------- auth */

static void
dev_verdict_fail(struct dev_conn *c, enum auth_result r)
{
	/* Sends USERAUTH_FAILURE; the session is CLOSED afterwards. */
	apf_session_auth_result(c->sess, 0);
	dev_close_flush(c, DEV_CLOSE_AUTH_FAILED, auth_result_str(r));
}

static void
dev_auth(struct dev_conn *c, const struct apf_event *ev)
{
	enum auth_result r;
	char		 peer[PEER_STRLEN], detail[96];
	uint32_t	 now = util_mono(), delay;
	int		 cached;

	util_sanitize(ev->u.auth.user.p, ev->u.auth.user.len, c->user,
	    sizeof(c->user));
	r = auth_check(&srv->auth, srv->devices, c->reg.guid,
	    &ev->u.auth.user, &ev->u.auth.method, &ev->u.auth.password,
	    &cached);
	if (r == AUTH_OK) {
		if (cached)
			srv->stats.auth_cache_hits++;
		if (srv->reg.n >= srv->cfg->limits.max_devices &&
		    registry_find(&srv->reg, c->reg.guid) == NULL) {
			snprintf(detail, sizeof(detail), "max_devices %u reached",
			    srv->cfg->limits.max_devices);
			dev_log_rl(c, &dev_rl_authfail, LOG_LEVEL_WARN,
			    "event=refused reason=\"too many devices\" "
			    "max_devices=%u", srv->cfg->limits.max_devices);
			dev_disconnect(c, DEV_CLOSE_TOO_MANY,
			    APF_DISC_TOO_MANY_CONNECTIONS, detail);
			return;
		}
		srv->stats.auth_ok++;
		dev_log(c, LOG_LEVEL_DEBUG, "event=auth-ok user=%s cached=%d",
		    c->user, cached);
		/* Emits APF_EV_AUTHENTICATED from inside: see dev_active. */
		apf_session_auth_result(c->sess, 1);
		return;
	}

	srv->stats.auth_failures++;
	delay = auth_throttle_fail(&srv->auth.throttle, &c->peer, now);
	dev_log_rl(c, &dev_rl_authfail, LOG_LEVEL_WARN,
	    "event=auth-failed reason=\"%s\" user=%s%s", auth_result_str(r),
	    c->user, delay > 0 ? " throttled=1" : "");
	ctl_event("auth_failed", json_pack("{s:s, s:s, s:s, s:s}",
	    "guid", c->reg.guid, "remote", util_peer_str(&c->peer, peer),
	    "reason", auth_result_str(r), "user", c->user));
	if (delay > 0) {
		/* Slow the guesser down; the tick delivers the verdict. */
		srv->stats.auth_delayed++;
		c->flags |= DEV_F_VERDICT;
		c->verdict_due = now + delay;
		c->verdict_reason = (uint8_t)r;
		dev_log(c, LOG_LEVEL_DEBUG, "auth verdict delayed %us", delay);
		dev_timer_update(c);
		return;
	}
	dev_verdict_fail(c, r);
}

/* USERAUTH_SUCCESS went out: register, newest wins. */
static void
dev_active(struct dev_conn *c)
{
	struct reg_node		*old = NULL;
	struct dev_conn		*o;
	const struct device_entry *e;
	SSL			*ssl;
	char			 peer[PEER_STRLEN], detail[64];

	c->authed = c->last_rx = util_mono();
	c->idle_timeout = srv->cfg->keepalive.timeout;
	c->ka_due = c->authed + DEV_KA_FIRST;
	dev_set_state(c, DEV_ACTIVE);
	if (registry_insert(&srv->reg, &c->reg, &old) != 0) {
		dev_disconnect(c, DEV_CLOSE_NOMEM, APF_DISC_BY_APPLICATION,
		    "registry");
		return;
	}
	c->flags |= DEV_F_REGISTERED;
	if (old != NULL && old != &c->reg) {
		o = dev_from_reg(old);
		/* The registry already points at c: o must not unregister. */
		o->flags &= ~DEV_F_REGISTERED;
		dev_log(o, LOG_LEVEL_INFO, "event=replaced-by-newer by_conn=%llu",
		    (unsigned long long)c->id);
		snprintf(detail, sizeof(detail), "by conn=%llu",
		    (unsigned long long)c->id);
		dev_disconnect(o, DEV_CLOSE_REPLACED, APF_DISC_BY_APPLICATION,
		    detail);
	}
	ssl = c->ssl;
	dev_log(c, LOG_LEVEL_INFO, "event=connected user=%s tls=%s cipher=%s",
	    c->user, SSL_get_version(ssl), SSL_get_cipher_name(ssl));
	c->flags |= DEV_F_LOGGED_OPEN;
	e = devices_find(srv->devices, c->reg.guid);
	ctl_event("connect", json_pack("{s:s, s:o, s:s}", "guid", c->reg.guid,
	    "name", e != NULL && e->name != NULL ? json_string(e->name) :
	    json_null(), "remote", util_peer_str(&c->peer, peer)));
	dev_timer_update(c);
}

/* ------------------------------------------------------ APF callbacks */

static int
dev_apf_send(void *arg, const uint8_t *buf, size_t len)
{
	struct dev_conn	*c = arg;
	struct evbuffer	*out;

	if (c->state == DEV_CLOSING)
		return -1;
	if ((out = dev_buf(&c->out)) == NULL) {
		dev_close(c, DEV_CLOSE_NOMEM, "output");
		return -1;
	}
	/* A device that does not read is dead; do not hoard for it (the
	 * bound covers what is encrypted and waiting for the kernel too). */
	if (dev_output_pending(c) + len >
	    srv->cfg->limits.buffer_per_device) {
		dev_close(c, DEV_CLOSE_OUTPUT_FULL, "buffer_per_device reached");
		return -1;
	}
	/* One message, whole, in one call: APF has no framing to resync. */
	if (evbuffer_add(out, buf, len) != 0) {
		dev_close(c, DEV_CLOSE_NOMEM, "output");
		return -1;
	}
	c->bytes_out += len;
	srv->stats.bytes_out += len;
	dev_mark_dirty(c);
	return 0;
}

static void
dev_apf_event(void *arg, const struct apf_event *ev)
{
	struct dev_conn	*c = arg;
	char		 detail[64];

	if (c->state == DEV_CLOSING)
		return;
	switch (ev->type) {
	case APF_EV_VERSION:
		memcpy(c->reg.guid, ev->u.version.guid, sizeof(c->reg.guid));
		c->reg.guid[APF_GUID_STRLEN] = '\0';
		dev_log(c, LOG_LEVEL_DEBUG, "event=version major=%u minor=%u "
		    "trigger=%u", ev->u.version.major, ev->u.version.minor,
		    ev->u.version.trigger);
		break;
	case APF_EV_AUTH:
		dev_auth(c, ev);
		break;
	case APF_EV_AUTHENTICATED:
		dev_active(c);
		break;
	case APF_EV_FORWARD_ADDED:
		if (c->nforwards < UINT8_MAX)
			c->nforwards++;
		dev_log(c, LOG_LEVEL_DEBUG, "event=forward port=%u",
		    ev->u.forward.port);
		dev_ka_schedule(c, ev->u.forward.port);
		break;
	case APF_EV_FORWARD_REMOVED:
		dev_log(c, LOG_LEVEL_DEBUG, "event=forward-cancel port=%u",
		    ev->u.forward.port);
		break;
	case APF_EV_KEEPALIVE:
	case APF_EV_KEEPALIVE_REPLY:
		c->last_keepalive = time(NULL);
		break;
	case APF_EV_KEEPALIVE_OPTIONS:
		c->ka_interval = ev->u.ka_options.interval;
		c->idle_timeout = srv->cfg->keepalive.timeout;
		/* AMT may pick a longer interval (90 s seen on a Dell). */
		if (c->ka_interval > 0 && c->ka_interval <= UINT32_MAX / 3 &&
		    3 * c->ka_interval > c->idle_timeout)
			c->idle_timeout = 3 * c->ka_interval;
		/* Debug: "connected" is the one info line per tunnel; the
		 * negotiated interval is in devices.list. */
		dev_log(c, LOG_LEVEL_DEBUG, "event=keepalive-options interval=%u "
		    "timeout=%u idle_timeout=%u", ev->u.ka_options.interval,
		    ev->u.ka_options.timeout, c->idle_timeout);
		dev_timer_update(c);
		break;
	case APF_EV_DISCONNECT:
		snprintf(detail, sizeof(detail), "apf reason %u",
		    ev->u.disconnect.reason);
		dev_close(c, DEV_CLOSE_DISCONNECT, detail);
		break;
	case APF_EV_CHAN_OPENED:
	case APF_EV_CHAN_OPEN_FAILED:
	case APF_EV_CHAN_DATA:
	case APF_EV_CHAN_WINDOW:
	case APF_EV_CHAN_CLOSED:
		relay_chan_event(c, ev);
		break;
	}
}

/* ------------------------------------------------------------- input */

/* Input held for the session: one maximal message and some slack. */
static size_t
dev_rx_high(const struct dev_conn *c)
{
	return c->sess != NULL ? apf_session_max_message(c->sess) +
	    DEV_RX_SLACK : DEV_READ_CHUNK;
}

/* Hands buffered input to the session.  c may be CLOSING afterwards. */
static void
dev_input(struct dev_conn *c)
{
	struct evbuffer	*in = c->in;
	size_t		 len, consumed;
	unsigned char	*p;
	uint32_t	 now;
	int		 r;
	char		 detail[160];

	/*
	 * Loop while the session makes progress: a verdict given from inside
	 * its auth event may leave whole messages behind the pause.
	 */
	while ((len = evbuffer_get_length(in)) > 0) {
		if ((p = evbuffer_pullup(in, -1)) == NULL) {
			dev_close(c, DEV_CLOSE_NOMEM, "input");
			return;
		}
		consumed = 0;
		r = apf_session_input(c->sess, p, len, &consumed);
		/* Callbacks may have closed c; it is still allocated. */
		if (consumed > 0)
			evbuffer_drain(in, consumed);
		if (c->state == DEV_CLOSING)
			return;
		if (r != 0) {
			/* The session has queued DISCONNECT(PROTOCOL_ERROR). */
			snprintf(detail, sizeof(detail), "%s",
			    apf_session_reason(c->sess)[0] != '\0' ?
			    apf_session_reason(c->sess) : mps_strerror(r));
			dev_close_flush(c, DEV_CLOSE_PROTOCOL, detail);
			return;
		}
		if (apf_session_state(c->sess) == APF_SESSION_CLOSED) {
			dev_close_flush(c, DEV_CLOSE_PROTOCOL,
			    apf_session_reason(c->sess));
			return;
		}
		if (consumed == 0)
			break;
	}
	dev_buf_trim(&c->in);
	if ((c->flags & DEV_F_RX_PAUSED) && dev_len(c->in) < dev_rx_high(c)) {
		/* Room again; OpenSSL may already hold the next records. */
		c->flags &= ~DEV_F_RX_PAUSED;
		event_add(c->rev, NULL);
		event_active(c->rev, EV_READ, 0);
	}
	now = util_mono();
	if (c->state == DEV_ACTIVE && c->ka_due != 0 && c->ka_due <= now)
		dev_ka_send(c, now);
	if (c->state == DEV_ACTIVE)
		dev_timer_update(c);
}

/*
 * OpenSSL's error queue must be empty before an I/O call or
 * SSL_get_error() may report an old error; clearing it unconditionally
 * costs ~800 instructions per call in OpenSSL 3.0, looking costs few.
 */
static void
dev_ssl_clean(void)
{
	if (ERR_peek_error() != 0)
		ERR_clear_error();
}

/* An SSL call failed with sslerr (errno was sys): ends c. */
static void
dev_io_failed(struct dev_conn *c, int sslerr, int sys)
{
	unsigned long	 e;
	char		 detail[256], one[160];
	size_t		 off = 0;

	if (c->state == DEV_CLOSING) {
		ERR_clear_error();
		dev_release(c);		/* the linger ends early */
		return;
	}
	/* The alert OpenSSL queued tells the device why (best effort). */
	if (sslerr == SSL_ERROR_SSL && dev_len(c->wire) > 0)
		(void)evbuffer_write(c->wire, c->fd);
	if (sslerr == SSL_ERROR_ZERO_RETURN ||
	    (sslerr == SSL_ERROR_SYSCALL && sys == 0)) {
		/* AMT may just drop TCP; that is an EOF, not a TLS error. */
		ERR_clear_error();
		dev_close(c, DEV_CLOSE_EOF, c->state == DEV_HANDSHAKE ?
		    "during tls handshake" : NULL);
		return;
	}
	detail[0] = '\0';
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, one, sizeof(one));
		if (off + 3 < sizeof(detail))
			off += (size_t)snprintf(detail + off,
			    sizeof(detail) - off, "%s%s", off ? "; " : "", one);
		if (off >= sizeof(detail))
			off = sizeof(detail) - 1;
	}
	if (off > 0)
		dev_close(c, DEV_CLOSE_TLS, detail);
	else if (c->state == DEV_HANDSHAKE)
		dev_close(c, DEV_CLOSE_TLS, sys ? strerror(sys) :
		    "handshake failed");
	else
		dev_close(c, DEV_CLOSE_IO, sys ? strerror(sys) : NULL);
}

static void
dev_wev_arm(struct dev_conn *c)
{
	if (!(c->flags & DEV_F_WEV)) {
		c->flags |= DEV_F_WEV;
		event_add(c->wev, NULL);
	}
}

static void
dev_wev_disarm(struct dev_conn *c)
{
	if (c->flags & DEV_F_WEV) {
		c->flags &= ~DEV_F_WEV;
		event_del(c->wev);
	}
}

/* Encrypted after the current callback, with whatever follows it;
 * while wev is armed, the kernel is full and wev will write it. */
static void
dev_mark_dirty(struct dev_conn *c)
{
	if (!(c->flags & (DEV_F_DIRTY | DEV_F_WEV))) {
		c->flags |= DEV_F_DIRTY;
		TAILQ_INSERT_TAIL(&dev_dirty, c, dirty);
		event_active(dev_flusher, EV_TIMEOUT, 0);
	}
}

/* ---------------------------------------------------- the wire BIO */

/* OpenSSL's records, appended to c->wire; never "would block". */
static int
dev_wire_write(BIO *b, const char *p, int n)
{
	BIO_clear_retry_flags(b);
	if (n <= 0)
		return 0;
	struct dev_conn	*c = BIO_get_data(b);

	if (dev_buf(&c->wire) == NULL || evbuffer_add(c->wire, p,
	    (size_t)n) != 0)
		return -1;
	return n;
}

static long
dev_wire_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	/* Flushing is ours (dev_wire_out); nothing else applies. */
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int
dev_wire_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static BIO *
dev_wire_bio(struct dev_conn *c)
{
	BIO	*b;

	if (dev_wire_meth == NULL) {
		if ((dev_wire_meth = BIO_meth_new(BIO_get_new_index() |
		    BIO_TYPE_SOURCE_SINK, "amt-mps wire")) == NULL ||
		    BIO_meth_set_write(dev_wire_meth, dev_wire_write) != 1 ||
		    BIO_meth_set_ctrl(dev_wire_meth, dev_wire_ctrl) != 1 ||
		    BIO_meth_set_create(dev_wire_meth, dev_wire_create) != 1) {
			BIO_meth_free(dev_wire_meth);
			dev_wire_meth = NULL;
			return NULL;
		}
	}
	if ((b = BIO_new(dev_wire_meth)) != NULL)
		BIO_set_data(b, c);
	return b;
}

/*
 * Writes the ciphertext in one go; what the kernel refuses waits for wev.
 * -1 when the connection failed (c is closing).
 */
static int
dev_wire_out(struct dev_conn *c)
{
	if (dev_len(c->wire) == 0)
		return 0;
	if (evbuffer_write(c->wire, c->fd) < 0 && errno != EAGAIN &&
	    errno != EWOULDBLOCK && errno != EINTR) {
		dev_io_failed(c, SSL_ERROR_SYSCALL, errno);
		return -1;
	}
	if (evbuffer_get_length(c->wire) > 0)
		dev_wev_arm(c);
	return 0;
}

/*
 * Encrypts `out` into `wire` (DEV_WIRE_MAX ahead at most) and writes
 * `wire`, until both are empty or the kernel is full (then wev goes on).
 * A lingering close completes when they empty.
 */
static void
dev_flush(struct dev_conn *c)
{
	size_t		 len, before = dev_output_pending(c);
	unsigned char	*p;
	int		 n, e;

	for (;;) {
		while ((len = dev_len(c->out)) > 0 &&
		    dev_len(c->wire) < DEV_WIRE_MAX &&
		    !(c->flags & DEV_F_WRITE_WANTS_R)) {
			if (len > DEV_WRITE_CHUNK)
				len = DEV_WRITE_CHUNK;
			if ((p = evbuffer_pullup(c->out, (ssize_t)len)) ==
			    NULL) {
				dev_close(c, DEV_CLOSE_NOMEM, "output");
				return;
			}
			dev_ssl_clean();
			n = SSL_write(c->ssl, p, (int)len);
			if (n > 0) {
				evbuffer_drain(c->out, (size_t)n);
				continue;
			}
			e = SSL_get_error(c->ssl, n);
			if (e == SSL_ERROR_WANT_READ) {
				/* The next wake-up for input writes first. */
				c->flags |= DEV_F_WRITE_WANTS_R;
				break;
			}
			dev_io_failed(c, e, errno);
			return;
		}
		if (dev_wire_out(c) != 0)
			return;
		if (dev_len(c->wire) > 0)
			return;			/* wev goes on */
		if (dev_len(c->out) == 0 ||
		    (c->flags & DEV_F_WRITE_WANTS_R))
			break;
	}
	dev_wev_disarm(c);
	dev_buf_trim(&c->out);
	dev_buf_trim(&c->wire);
	if (c->state == DEV_CLOSING) {
		if (dev_len(c->out) == 0)
			dev_release(c);		/* the goodbye is out */
		return;
	}
	/* Relays parked on a full output read again below a quarter. */
	if (c->state == DEV_ACTIVE && !LIST_EMPTY(&c->relays) &&
	    before > srv->cfg->limits.buffer_per_device / 4)
		relay_dev_writable(c);
}

size_t
dev_output_pending(const struct dev_conn *c)
{
	return dev_len(c->out) + dev_len(c->wire);
}

size_t
dev_output_high(const struct dev_conn *c)
{
	return srv->cfg->limits.buffer_per_device / 2;
}

/* Runs after the callbacks of a loop pass: one flush per dirty tunnel. */
static void
dev_flusher_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct dev_conn	*c;

	while ((c = TAILQ_FIRST(&dev_dirty)) != NULL) {
		TAILQ_REMOVE(&dev_dirty, c, dirty);
		c->flags &= ~DEV_F_DIRTY;
		dev_flush(c);
	}
}

static void
dev_handshake_done(struct dev_conn *c)
{
	SSL	*ssl = c->ssl;
	X509	*cert;
	long	 vr;
	char	 detail[160];

	if (srv->cfg->tls.client_ca != NULL &&
	    (cert = SSL_get0_peer_certificate(ssl)) != NULL &&
	    (vr = SSL_get_verify_result(ssl)) != X509_V_OK) {
		snprintf(detail, sizeof(detail),
		    "client certificate rejected: %s",
		    X509_verify_cert_error_string(vr));
		dev_close(c, DEV_CLOSE_TLS, detail);
		return;
	}
	if ((c->sess = apf_session_new(&srv->apf_limits, &dev_apf_cb, c)) ==
	    NULL) {
		dev_close(c, DEV_CLOSE_NOMEM, "apf session");
		return;
	}
	dev_set_state(c, DEV_APF);
	dev_log(c, LOG_LEVEL_DEBUG, "event=tls-established version=%s "
	    "cipher=%s", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
	/* The device may have sent its first messages with the Finished. */
	dev_read(c);
}

static void
dev_handshake(struct dev_conn *c)
{
	int	r, e;

	dev_ssl_clean();
	r = SSL_do_handshake(c->ssl);
	e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, r);
	if (e != SSL_ERROR_NONE && e != SSL_ERROR_WANT_READ) {
		dev_io_failed(c, e, errno);	/* sends the alert */
		return;
	}
	/* The whole flight in one write(2). */
	if (dev_wire_out(c) != 0)
		return;
	if (r == 1)
		dev_handshake_done(c);
}

/*
 * Reads what the device sent and hands it to the session, record by
 * record, up to DEV_READ_BUDGET per wake-up.  Stops when OpenSSL holds
 * nothing more: epoll is level-triggered and reports the rest.
 */
static void
dev_read(struct dev_conn *c)
{
	struct evbuffer_iovec	 v;
	size_t			 len, high, want, budget = DEV_READ_BUDGET;
	int			 n, e;
	uint32_t		 now = util_mono();

	if (now != c->last_rx) {
		c->last_rx = now;
		if (c->state == DEV_ACTIVE)
			dev_timer_update(c);
	}
	while (c->state != DEV_CLOSING) {
		if (dev_buf(&c->in) == NULL) {
			dev_close(c, DEV_CLOSE_NOMEM, "input");
			return;
		}
		len = evbuffer_get_length(c->in);
		high = dev_rx_high(c);
		if (len >= high) {
			/* The session is not taking input: the device
			 * waits in its TCP window. */
			c->flags |= DEV_F_RX_PAUSED;
			event_del(c->rev);
			return;
		}
		want = high - len < DEV_READ_CHUNK ? high - len :
		    DEV_READ_CHUNK;
		if (evbuffer_reserve_space(c->in, (ssize_t)want, &v, 1) < 1) {
			dev_close(c, DEV_CLOSE_NOMEM, "input");
			return;
		}
		if (v.iov_len > want)
			v.iov_len = want;
		/*
		 * While channel streams run, OpenSSL reads up to 16 records
		 * per read(2); otherwise one (the buffer is allocated per
		 * burst and released when empty, so this is about the size of
		 * a burst, never about idle memory).
		 */
		SSL_set_default_read_buffer_len(c->ssl,
		    LIST_EMPTY(&c->relays) ? 0 : DEV_READ_AHEAD);
		dev_ssl_clean();
		n = SSL_read(c->ssl, v.iov_base, (int)v.iov_len);
		if (n <= 0) {
			e = SSL_get_error(c->ssl, n);
			if (e == SSL_ERROR_WANT_READ) {
				/* A KeyUpdate answer or the like. */
				if (dev_len(c->wire) > 0)
					dev_mark_dirty(c);
				return;
			}
			/* No WANT_WRITE: the wire BIO takes every byte. */
			dev_io_failed(c, e, errno);
			return;
		}
		v.iov_len = (size_t)n;
		evbuffer_commit_space(c->in, &v, 1);
		c->bytes_in += (uint64_t)n;
		srv->stats.bytes_in += (uint64_t)n;
		if (c->sess != NULL)
			dev_input(c);
		if ((size_t)n >= budget) {
			/* Fair to the other tunnels: continue next pass. */
			if (SSL_has_pending(c->ssl))
				event_active(c->rev, EV_READ, 0);
			return;
		}
		budget -= (size_t)n;
		if (!SSL_has_pending(c->ssl))
			return;
	}
}

static void
dev_rev_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dev_conn	*c = arg;

	if (c->state == DEV_HANDSHAKE) {
		dev_handshake(c);
		return;
	}
	if (c->flags & DEV_F_WRITE_WANTS_R) {
		c->flags &= ~DEV_F_WRITE_WANTS_R;
		dev_flush(c);
		if (c->flags & DEV_F_FREEING)
			return;
	}
	dev_read(c);
}

static void
dev_wev_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dev_conn	*c = arg;

	if (c->state == DEV_HANDSHAKE) {
		/* The rest of our flight; the handshake goes on on input. */
		if (dev_wire_out(c) == 0 && dev_len(c->wire) == 0)
			dev_wev_disarm(c);
		return;
	}
	dev_flush(c);
}

/* -------------------------------------------------------------- tick */

/* A deadline of c has come; c may be released. */
static void
dev_expire(struct dev_conn *c, uint32_t now)
{
	char	detail[64];

	switch (c->state) {
	case DEV_CLOSING:
		if (now >= c->linger_until) {
			dev_log(c, LOG_LEVEL_DEBUG, "linger expired");
			dev_release(c);
		}
		return;
	case DEV_HANDSHAKE:
	case DEV_APF:
		if ((c->flags & DEV_F_VERDICT) && now >= c->verdict_due) {
			c->flags &= ~DEV_F_VERDICT;
			dev_verdict_fail(c, (enum auth_result)c->verdict_reason);
			return;
		}
		if (now >= c->accepted + srv->cfg->limits.auth_timeout) {
			snprintf(detail, sizeof(detail), "not authenticated "
			    "within %us", srv->cfg->limits.auth_timeout);
			dev_close(c, DEV_CLOSE_AUTH_TIMEOUT, detail);
		}
		return;
	case DEV_ACTIVE:
		if (c->ka_due != 0 && now >= c->ka_due)
			dev_ka_send(c, now);
		if (c->state == DEV_ACTIVE &&
		    now >= c->last_rx + c->idle_timeout) {
			snprintf(detail, sizeof(detail), "nothing received for "
			    "%us", now - c->last_rx);
			dev_disconnect(c, DEV_CLOSE_IDLE,
			    APF_DISC_CONNECTION_TIMED_OUT, detail);
		}
		return;
	}
}

void
dev_tick(uint32_t now)
{
	struct dev_conn	*c, *next;
	uint32_t	 t, span;

	/* "N similar messages suppressed" without waiting for the next one. */
	log_ratelimit_flush(&dev_rl_preauth, now);
	log_ratelimit_flush(&dev_rl_authfail, now);
	if (!dev_wheel_ready || now <= dev_wheel_now)
		return;
	span = now - dev_wheel_now;
	if (span > DEV_WHEEL)
		span = DEV_WHEEL;	/* the loop stalled: visit each once */
	for (t = now - span + 1; ; t++) {
		struct dev_list *slot = &dev_wheel[t & DEV_WHEEL_MASK];

		for (c = TAILQ_FIRST(slot); c != NULL; c = next) {
			next = TAILQ_NEXT(c, wheel);
			if (c->wake > now)
				continue;	/* a later lap */
			TAILQ_REMOVE(slot, c, wheel);
			TAILQ_INSERT_TAIL(&dev_due, c, wheel);
			c->where = DEV_WHERE_DUE;
		}
		if (t == now)
			break;
	}
	dev_wheel_now = now;
	while ((c = TAILQ_FIRST(&dev_due)) != NULL) {
		dev_timer_unlink(c);
		dev_expire(c, now);
		if (c->where == DEV_WHERE_NONE)
			dev_timer_update(c);
	}
}

/* ------------------------------------------------------------- setup */

/* Reads from the socket; writes into c->wire (dev_wire_out sends it). */
static int
dev_ssl_bios(struct dev_conn *c)
{
	BIO	*rb, *wb;

	if ((rb = BIO_new_socket(c->fd, BIO_NOCLOSE)) == NULL)
		return -1;
	if ((wb = dev_wire_bio(c)) == NULL) {
		BIO_free(rb);
		return -1;
	}
	SSL_set_bio(c->ssl, rb, wb);	/* owned by the SSL from here */
	return 0;
}

void
dev_accept(int fd, const struct sockaddr *sa, socklen_t salen)
{
	struct dev_conn	*c;
	SSL		*ssl;
	int		 one = 1;

	/* APF messages are small (WINDOW_ADJUST, keepalives, a SOL
	 * keystroke): behind Nagle and the device's delayed ACK each
	 * waits up to 40 ms, which caps a channel at a window per 40 ms
	 * (measured: 0.8 MiB/s through a forward without this). */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	dev_wheel_init();
	if ((dev_reaper == NULL && (dev_reaper = event_new(srv->base, -1, 0,
	    dev_reaper_cb, NULL)) == NULL) || (dev_flusher == NULL &&
	    (dev_flusher = event_new(srv->base, -1, 0, dev_flusher_cb,
	    NULL)) == NULL)) {
		close(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	if ((ssl = tls_ssl_new()) == NULL) {
		free(c);
		close(fd);
		return;
	}
	c->fd = fd;
	c->ssl = ssl;
	/*
	 * Read-ahead: one read(2) takes a whole record (or several) instead
	 * of a header and a body.  Partial writes with a moving buffer: the
	 * output evbuffer is pulled up afresh for each retry.  A device that
	 * drops TCP without close_notify is an EOF.
	 */
	SSL_set_read_ahead(ssl, 1);
	SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_set_options(ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_set_accept_state(ssl);
	if (dev_ssl_bios(c) != 0 ||
	    (c->rev = event_new(srv->base, fd, EV_READ | EV_PERSIST,
	    dev_rev_cb, c)) == NULL ||
	    (c->wev = event_new(srv->base, fd, EV_WRITE | EV_PERSIST,
	    dev_wev_cb, c)) == NULL) {
		ERR_clear_error();
		c->state = DEV_HANDSHAKE;
		dev_counts[DEV_HANDSHAKE]++;
		dev_free(c);		/* closes fd */
		return;
	}
	c->id = ++dev_last_id;
	util_peer_set(&c->peer, sa, salen);
	c->accepted = c->last_rx = util_mono();
	c->connected_at = time(NULL);
	c->state = DEV_HANDSHAKE;
	dev_counts[DEV_HANDSHAKE]++;
	srv->stats.connections_total++;

	event_add(c->rev, NULL);
	dev_timer_update(c);
	dev_log(c, LOG_LEVEL_DEBUG, "event=accepted");
	listener_update();
}

void
dev_cleanup(void)
{
	struct dev_conn	*c;
	size_t		 i;

	/* Shutdown leftovers (linger cut short): free without ceremony. */
	for (i = 0; i < DEV_WHEEL && dev_wheel_ready; i++) {
		while ((c = TAILQ_FIRST(&dev_wheel[i])) != NULL) {
			TAILQ_REMOVE(&dev_wheel[i], c, wheel);
			dev_free(c);
		}
	}
	while ((c = TAILQ_FIRST(&dev_due)) != NULL) {
		TAILQ_REMOVE(&dev_due, c, wheel);
		dev_free(c);
	}
	while ((c = TAILQ_FIRST(&dev_dead)) != NULL) {
		TAILQ_REMOVE(&dev_dead, c, wheel);
		dev_free(c);
	}
	if (dev_reaper != NULL)
		event_free(dev_reaper);
	dev_reaper = NULL;
	if (dev_flusher != NULL)
		event_free(dev_flusher);
	dev_flusher = NULL;
	BIO_meth_free(dev_wire_meth);
	dev_wire_meth = NULL;
}

/* ------------------------------------------------------------ JSON */

json_t *
dev_to_json(const struct dev_conn *c)
{
	const struct device_entry *e = devices_find(srv->devices, c->reg.guid);
	SSL		*ssl = c->ssl;
	uint32_t	 ports[APF_MAX_FORWARDS];
	size_t		 i, n;
	json_t		*o, *jp, *tags;
	char		 peer[PEER_STRLEN], t1[ISO8601_LEN], t2[ISO8601_LEN];

	jp = json_array();
	n = c->sess != NULL ? apf_session_forwards(c->sess, ports,
	    APF_MAX_FORWARDS) : 0;
	for (i = 0; i < n && i < APF_MAX_FORWARDS; i++)
		json_array_append_new(jp, json_integer(ports[i]));
	tags = json_array();
	for (i = 0; e != NULL && i < e->ntags; i++)
		json_array_append_new(tags, json_string(e->tags[i]));
	o = json_pack("{s:s, s:o, s:o, s:s, s:s, s:o, s:o, s:o, s:I, "
	    "s:s, s:s, s:s, s:I, s:I, s:I}",
	    "guid", c->reg.guid,
	    "name", e != NULL && e->name != NULL ? json_string(e->name) :
	    json_null(),
	    "tags", tags,
	    "remote", util_peer_str(&c->peer, peer),
	    "connected_at", util_iso8601(c->connected_at, t1),
	    "last_keepalive", c->last_keepalive != 0 ?
	    json_string(util_iso8601(c->last_keepalive, t2)) : json_null(),
	    "keepalive_interval", c->ka_interval != 0 ?
	    json_integer(c->ka_interval) : json_null(),
	    "ports", jp,
	    "channels", (json_int_t)(c->sess != NULL ?
	    apf_session_channel_count(c->sess) : 0),
	    "tls_version", ssl != NULL ? SSL_get_version(ssl) : "",
	    "tls_cipher", ssl != NULL ? SSL_get_cipher_name(ssl) : "",
	    "mps_username", c->user,
	    "conn_id", (json_int_t)c->id,
	    "bytes_in", (json_int_t)c->bytes_in,
	    "bytes_out", (json_int_t)c->bytes_out);
	return o;
}
