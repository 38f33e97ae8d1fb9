/*
 * relay.c: the channel-stream relay engine (relay.h): one local fd <-> one
 * APF channel, windowed end to end.
 *
 * Two sides, finished independently:
 *
 *   channel  OPENING --OPENED--> OPEN --our close--> CLOSING --CLOSED--> GONE
 *              |  \--refused 2/4--> RETRY --timer--> OPENING
 *              `--refused / tunnel gone / device CLOSE ------------------> GONE
 *   fd       open --EOF--> (send the rest, then CLOSE) --> flush --> closed
 *                 --error--> closed
 *
 * The owner hears closed() once, when the fd side is finished.  The struct
 * outlives that until the channel side is GONE too, because the session
 * names it (chan_arg) in every event of the channel; then the reaper frees
 * it.  Every function that calls into the session re-checks the state
 * afterwards: a send can fail the whole tunnel (output full), and
 * relay_dev_gone() then runs underneath us.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "server.h"
#include "relay.h"

#define RELAY_F_FD_EOF		0x0001	/* the local peer finished sending */
#define RELAY_F_FLUSH		0x0002	/* fd closes once its output is out */
#define RELAY_F_QUIET		0x0004	/* owner told or gone: no callbacks */
#define RELAY_F_REAP		0x0008	/* on relay_reap_list */
#define RELAY_F_STALLED		0x0010	/* not reading: device window 0 */
#define RELAY_F_LISTED		0x0020	/* on c->relays */
#define RELAY_F_TXFULL		0x0040	/* not reading: tunnel output high */
#define RELAY_F_DIRTY		0x0080	/* on relay_dirty: output to write */

/*
 * fd -> device reads go straight into this buffer and out as CHANNEL_DATA
 * in the same callback (the loop is single-threaded).  Not through an
 * evbuffer: libevent 2.1 reads sockets at most 4 KiB at a time, which made
 * every stage downstream (CHANNEL_DATA, TLS records, the device's echo)
 * 4 KiB and held a forward at ~60 MB/s.
 */
static uint8_t	relay_rbuf[RELAY_READ_MAX];

struct relay {
	LIST_ENTRY(relay)	 entry;		/* c->relays */
	LIST_ENTRY(relay)	 all;		/* relay_all */
	TAILQ_ENTRY(relay)	 reap;
	TAILQ_ENTRY(relay)	 dirty;		/* relay_dirty */
	uint64_t		 id;
	struct dev_conn		*c;		/* NULL once the tunnel is gone */
	struct bufferevent	*bev;		/* NULL once the fd is closed */
	struct event		*rev;		/* fd readable; our reads */
	struct bufferevent	*dead_bev;	/* closed, freed by the reaper */
	struct evbuffer_cb_entry *outcb;
	struct event		*timer;		/* retry delay, open timeout */
	struct relay_cb		 cb;
	void			*arg;
	uint32_t		 port;
	uint32_t		 chan;
	enum relay_state	 state;
	uint32_t		 flags;
	int			 err;		/* first reason to end */
	uint32_t		 apf_reason;
	struct relay_stats	 st;
};

TAILQ_HEAD(relay_tailq, relay);

static struct relay_tailq	 relay_reap_list =
    TAILQ_HEAD_INITIALIZER(relay_reap_list);
static struct relay_list	 relay_all = LIST_HEAD_INITIALIZER(relay_all);
static struct event		*relay_reaper;
/*
 * Device bytes for the fds are written once per loop pass, after the
 * tunnel's read round, by relay_flusher: the 16 KiB CHANNEL_DATAs of one
 * round leave in one writev (one wake-up of the local peer instead of one
 * per message).  The bufferevent's own EV_WRITE is enabled only while the
 * kernel refuses bytes, so the common case costs no epoll_ctl.
 */
static struct event		*relay_flusher;
static struct relay_tailq	 relay_dirty =
    TAILQ_HEAD_INITIALIZER(relay_dirty);
static uint64_t			 relay_last_id;
static uint32_t			 relay_nalive;

static const char *const relay_state_names[] = {
	"opening", "retry", "open", "closing", "gone",
};

static void	relay_pump(struct relay *);
static void	relay_read_fd(evutil_socket_t, short, void *);
static void	relay_flush_fd(struct relay *, int);

const char *
relay_state_name(enum relay_state st)
{
	if ((unsigned)st > RELAY_GONE)
		return "?";
	return relay_state_names[st];
}

enum relay_state
relay_state(const struct relay *r)
{
	return r->state;
}

const struct relay_stats *
relay_get_stats(const struct relay *r)
{
	return &r->st;
}

uint32_t
relay_port(const struct relay *r)
{
	return r->port;
}

uint32_t
relay_chan(const struct relay *r)
{
	return r->state == RELAY_RETRY || r->state == RELAY_GONE ? 0 : r->chan;
}

uint32_t
relay_count(void)
{
	return relay_nalive;
}

const char *
relay_open_reason_str(uint32_t reason)
{
	switch (reason) {
	case APF_OPEN_ADMIN_PROHIBITED:
		return "administratively prohibited";
	case APF_OPEN_CONNECT_FAILED:
		return "connect failed";
	case APF_OPEN_UNKNOWN_CHANNEL_TYPE:
		return "unknown channel type";
	case APF_OPEN_RESOURCE_SHORTAGE:
		return "resource shortage";
	default:
		return "unknown reason";
	}
}

static void
relay_log(const struct relay *r, enum log_level level, const char *fmt, ...)
    LOG_PRINTF(3, 4);

static void
relay_log(const struct relay *r, enum log_level level, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->c != NULL)
		dev_log(r->c, level, "relay=%llu port=%u %s",
		    (unsigned long long)r->id, r->port, msg);
	else
		log_msg(level, "relay=%llu port=%u %s",
		    (unsigned long long)r->id, r->port, msg);
}

/* ----------------------------------------------------------- freeing */

static void
relay_undirty(struct relay *r)
{
	if (r->flags & RELAY_F_DIRTY) {
		TAILQ_REMOVE(&relay_dirty, r, dirty);
		r->flags &= ~RELAY_F_DIRTY;
	}
}

static void
relay_free(struct relay *r)
{
	relay_undirty(r);
	if (r->timer != NULL)
		event_free(r->timer);
	if (r->rev != NULL)
		event_free(r->rev);
	LIST_REMOVE(r, all);
	free(r);
	relay_nalive--;
}

static void
relay_reaper_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct relay	*r;

	while ((r = TAILQ_FIRST(&relay_reap_list)) != NULL) {
		TAILQ_REMOVE(&relay_reap_list, r, reap);
		r->flags &= ~RELAY_F_REAP;
		if (r->dead_bev != NULL) {
			bufferevent_free(r->dead_bev);	/* closes the fd */
			r->dead_bev = NULL;
		}
		if (r->bev == NULL && r->state == RELAY_GONE)
			relay_free(r);
	}
}

/* Queues r for the reaper: a closed fd to free, or r itself. */
static void
relay_reap(struct relay *r)
{
	if (r->flags & RELAY_F_REAP)
		return;
	r->flags |= RELAY_F_REAP;
	TAILQ_INSERT_TAIL(&relay_reap_list, r, reap);
	event_active(relay_reaper, EV_TIMEOUT, 0);
}

static void
relay_check_done(struct relay *r)
{
	if (r->bev == NULL && r->state == RELAY_GONE)
		relay_reap(r);
}

/* Tells the owner once that the fd side is over. */
static void
relay_notify(struct relay *r)
{
	if (r->flags & RELAY_F_QUIET)
		return;
	r->flags |= RELAY_F_QUIET;
	if (r->cb.closed != NULL)
		r->cb.closed(r, r->arg, r->err, r->apf_reason);
}

static void
relay_set_err(struct relay *r, int err)
{
	if (r->err == 0)
		r->err = err;
}

/* The channel side is finished for good: no event will name r again. */
static void
relay_set_gone(struct relay *r)
{
	if (r->timer != NULL)
		event_del(r->timer);
	if (r->flags & RELAY_F_LISTED) {
		LIST_REMOVE(r, entry);
		r->flags &= ~RELAY_F_LISTED;
	}
	r->state = RELAY_GONE;
}

/* Closes the fd now, dropping whatever it was still owed. */
static void
relay_fd_close(struct relay *r)
{
	struct bufferevent	*bev = r->bev;

	if (bev == NULL)
		return;
	r->bev = NULL;
	event_del(r->rev);
	relay_undirty(r);
	if (r->outcb != NULL) {
		evbuffer_remove_cb_entry(bufferevent_get_output(bev), r->outcb);
		r->outcb = NULL;
	}
	bufferevent_disable(bev, EV_READ | EV_WRITE);
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	/* Freed from a fresh event: we may be inside its callbacks. */
	r->dead_bev = bev;
	relay_reap(r);
}

/* The fd side ends now (err may be 0); the owner is told. */
static void
relay_end_fd(struct relay *r, int err)
{
	relay_set_err(r, err);
	relay_fd_close(r);
	relay_log(r, r->err != 0 && r->err != MPS_ERR_CLOSED ?
	    LOG_LEVEL_INFO : LOG_LEVEL_DEBUG, "event=relay-closed "
	    "state=%s%s%s bytes_in=%llu bytes_out=%llu",
	    relay_state_name(r->state), r->err != 0 ? " error=" : "",
	    r->err != 0 ? mps_errname(r->err) : "",
	    (unsigned long long)r->st.bytes_in,
	    (unsigned long long)r->st.bytes_out);
	relay_notify(r);
	relay_check_done(r);
}

/* ----------------------------------------------------------- channel */

/*
 * Requests the one CLOSE (the session defers it while OPENING and sends
 * nothing after the device's).  The tunnel may fail underneath.
 */
static void
relay_chan_close(struct relay *r)
{
	switch (r->state) {
	case RELAY_OPENING:
	case RELAY_OPEN:
		r->state = RELAY_CLOSING;
		if (r->timer != NULL)
			event_del(r->timer);
		if (r->c != NULL && r->c->sess != NULL)
			apf_session_close(r->c->sess, r->chan);
		break;
	case RELAY_RETRY:
		relay_set_gone(r);	/* no channel exists */
		break;
	case RELAY_CLOSING:
	case RELAY_GONE:
		break;
	}
}

static void
relay_timer_add(struct relay *r, long ms)
{
	struct timeval	tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	event_add(r->timer, &tv);
}

/*
 * Sends CHANNEL_OPEN (or schedules a retry when the tunnel is at its
 * channel limit).  0, or the error that ends the relay.
 */
static int
relay_open(struct relay *r)
{
	int	rc;

	if (r->c == NULL || r->c->sess == NULL || r->c->state != DEV_ACTIVE)
		return MPS_ERR_CLOSED;
	r->st.open_tries++;
	rc = apf_session_open(r->c->sess, r->port, r, &r->chan);
	if (rc == 0) {
		r->state = RELAY_OPENING;
		relay_timer_add(r, RELAY_OPEN_TIMEOUT * 1000L);
		return 0;
	}
	if (rc == MPS_ERR_LIMIT && r->st.open_tries <= RELAY_OPEN_RETRIES) {
		relay_log(r, LOG_LEVEL_DEBUG, "event=open-deferred "
		    "reason=\"channel limit\" try=%u", r->st.open_tries);
		r->state = RELAY_RETRY;
		relay_timer_add(r, RELAY_RETRY_MS);
		return 0;
	}
	if (rc == MPS_ERR_STATE)
		rc = MPS_ERR_CLOSED;
	return rc;
}

static void
relay_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct relay	*r = arg;
	int		 rc;

	switch (r->state) {
	case RELAY_RETRY:
		if ((rc = relay_open(r)) != 0) {
			relay_set_gone(r);
			relay_end_fd(r, rc);
		}
		break;
	case RELAY_OPENING:
		relay_log(r, LOG_LEVEL_INFO, "event=open-timeout after=%us",
		    RELAY_OPEN_TIMEOUT);
		relay_set_err(r, MPS_ERR_TIMEOUT);
		relay_chan_close(r);
		relay_end_fd(r, MPS_ERR_TIMEOUT);
		break;
	default:
		break;
	}
}

static void
relay_opened(struct relay *r)
{
	if (r->state != RELAY_OPENING)
		return;
	r->state = RELAY_OPEN;
	event_del(r->timer);
	relay_log(r, LOG_LEVEL_DEBUG, "event=relay-open chan=%u tries=%u",
	    r->chan, r->st.open_tries);
	if (!(r->flags & RELAY_F_QUIET) && r->cb.opened != NULL)
		r->cb.opened(r, r->arg);
	/* What the fd sent while we waited goes out now. */
	relay_pump(r);
}

static void
relay_open_failed(struct relay *r, uint32_t reason)
{
	int	rc;

	if (r->state != RELAY_OPENING)
		return;
	event_del(r->timer);
	r->apf_reason = reason;
	if ((reason == APF_OPEN_CONNECT_FAILED ||
	    reason == APF_OPEN_RESOURCE_SHORTAGE) &&
	    r->st.open_tries <= RELAY_OPEN_RETRIES && r->bev != NULL) {
		relay_log(r, LOG_LEVEL_DEBUG, "event=open-refused reason=%u "
		    "(%s) try=%u: retrying in %u ms", reason,
		    relay_open_reason_str(reason), r->st.open_tries,
		    RELAY_RETRY_MS);
		r->state = RELAY_RETRY;
		relay_timer_add(r, RELAY_RETRY_MS);
		return;
	}
	relay_log(r, LOG_LEVEL_INFO, "event=open-refused reason=%u (%s) "
	    "tries=%u", reason, relay_open_reason_str(reason),
	    r->st.open_tries);
	relay_set_gone(r);
	rc = MPS_ERR_OPEN_REFUSED;
	relay_end_fd(r, rc);
}

/* The device's bytes for the fd. */
static void
relay_data(struct relay *r, const uint8_t *p, size_t len)
{
	if (r->bev == NULL || (r->flags & RELAY_F_FLUSH)) {
		/* Nobody to give them to; we are closing anyway. */
		return;
	}
	if (bufferevent_write(r->bev, p, len) != 0) {
		relay_chan_close(r);
		relay_end_fd(r, MPS_ERR_NOMEM);
		return;
	}
	if (!(r->flags & RELAY_F_DIRTY)) {
		r->flags |= RELAY_F_DIRTY;
		TAILQ_INSERT_TAIL(&relay_dirty, r, dirty);
		event_active(relay_flusher, EV_TIMEOUT, 0);
	}
}

/*
 * Writes what is queued for the fd; the output callback credits the
 * device for what left.  What the kernel refuses now, libevent writes
 * when the fd is writable.
 */
static void
relay_write_out(struct relay *r)
{
	struct evbuffer	*out = bufferevent_get_output(r->bev);
	int		 n;

	/* libevent's own writer (EV_WRITE, enabled after a short write)
	 * may have emptied it first; evbuffer_write() says -1 then. */
	if (evbuffer_get_length(out) == 0) {
		if (r->flags & RELAY_F_FLUSH)
			relay_end_fd(r, 0);
		return;
	}
	/* A bufferevent keeps the front of its output frozen against other
	 * writers; thaw it for this one write, as its own writer does. */
	evbuffer_unfreeze(out, 1);
	n = evbuffer_write(out, bufferevent_getfd(r->bev));
	evbuffer_freeze(out, 1);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR) {
		relay_log(r, LOG_LEVEL_DEBUG, "fd error: %s", strerror(errno));
		relay_chan_close(r);
		relay_end_fd(r, MPS_ERR_IO);
		return;
	}
	/* A credit sent from the output callback may have ended the
	 * tunnel and, with it, this fd. */
	if (r->bev == NULL)
		return;
	if (evbuffer_get_length(out) > 0)
		bufferevent_enable(r->bev, EV_WRITE);
	else if (r->flags & RELAY_F_FLUSH)
		relay_end_fd(r, 0);
}

static void
relay_flusher_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct relay	*r;

	while ((r = TAILQ_FIRST(&relay_dirty)) != NULL) {
		relay_undirty(r);
		if (r->bev != NULL)
			relay_write_out(r);
	}
}

void
relay_chan_event(struct dev_conn *c, const struct apf_event *ev)
{
	struct relay	*r = ev->chan_arg;

	if (r == NULL || r->c != c || r->chan != ev->chan)
		return;		/* not ours (or stale): ignore */
	switch (ev->type) {
	case APF_EV_CHAN_OPENED:
		relay_opened(r);
		break;
	case APF_EV_CHAN_OPEN_FAILED:
		relay_open_failed(r, ev->u.open_failure.reason);
		break;
	case APF_EV_CHAN_DATA:
		if (r->state == RELAY_OPEN)
			relay_data(r, ev->u.data.p, ev->u.data.len);
		break;
	case APF_EV_CHAN_WINDOW:
		if (r->state == RELAY_OPEN) {
			r->flags &= ~RELAY_F_STALLED;
			relay_pump(r);
		}
		break;
	case APF_EV_CHAN_CLOSED:
		/* Device closed first, or its answer to ours. */
		relay_set_gone(r);
		if (r->bev != NULL)
			relay_flush_fd(r, 0);
		else
			relay_check_done(r);
		break;
	default:
		break;
	}
}

void
relay_dev_gone(struct dev_conn *c)
{
	struct relay	*r;

	while ((r = LIST_FIRST(&c->relays)) != NULL) {
		relay_set_gone(r);	/* unlists r */
		r->c = NULL;
		relay_set_err(r, MPS_ERR_CLOSED);
		if (r->bev != NULL)
			relay_flush_fd(r, MPS_ERR_CLOSED);
		else
			relay_check_done(r);
	}
}

/* ----------------------------------------------------------------- fd */

/* Stops reading the fd until the device's window opens. */
static void
relay_stall(struct relay *r)
{
	if (!(r->flags & RELAY_F_STALLED)) {
		r->flags |= RELAY_F_STALLED;
		r->st.stalls++;
	}
	event_del(r->rev);
}

/*
 * Bytes the fd may send now: the device's window, bounded by what the
 * tunnel's TLS output can take before it reaches its high watermark (a
 * device that reads slowly must hold up every channel's reads, not grow
 * the tunnel's buffer towards limits.buffer_per_device, which ends the
 * tunnel).  0 with the reason flagged.
 */
static size_t
relay_room(struct relay *r)
{
	size_t	win, pending, high, room;

	win = apf_session_send_window(r->c->sess, r->chan);
	if (win == 0) {
		relay_stall(r);
		return 0;
	}
	high = dev_output_high(r->c);
	pending = dev_output_pending(r->c);
	if (pending >= high || high - pending < RELAY_READ_MIN) {
		r->flags |= RELAY_F_TXFULL;
		event_del(r->rev);
		return 0;
	}
	room = high - pending;
	if (room > win)
		room = win;
	return room < sizeof(relay_rbuf) ? room : sizeof(relay_rbuf);
}

/*
 * Writes out what is queued for the fd, then closes it (at once if
 * nothing is).  Bounded by RELAY_FLUSH_TIMEOUT.
 */
static void
relay_flush_fd(struct relay *r, int err)
{
	struct timeval	tv = { RELAY_FLUSH_TIMEOUT, 0 };

	relay_set_err(r, err);
	if (r->bev == NULL)
		return;
	if (evbuffer_get_length(bufferevent_get_output(r->bev)) == 0) {
		relay_end_fd(r, 0);
		return;
	}
	r->flags |= RELAY_F_FLUSH;
	event_del(r->rev);
	bufferevent_enable(r->bev, EV_WRITE);
	bufferevent_set_timeouts(r->bev, NULL, &tv);
}

/*
 * fd -> device: reads the fd while the channel is open, the device's
 * window is not 0 and the tunnel's output is below its watermark;
 * otherwise leaves the bytes in the kernel (the local peer's TCP window
 * is the backpressure).
 */
static void
relay_pump(struct relay *r)
{
	if (r->state != RELAY_OPEN || r->bev == NULL ||
	    (r->flags & (RELAY_F_FD_EOF | RELAY_F_FLUSH)))
		return;
	if (event_pending(r->rev, EV_READ, NULL) || relay_room(r) == 0)
		return;
	r->flags &= ~(RELAY_F_STALLED | RELAY_F_TXFULL);
	event_add(r->rev, NULL);
	/* Just opened or unblocked: what the peer wrote meanwhile is most
	 * likely waiting; send it now rather than after another poll. */
	relay_read_fd(bufferevent_getfd(r->bev), EV_READ, r);
}

/* Sends buf as CHANNEL_DATA; 0, or the relay has ended. */
static int
relay_send(struct relay *r, const uint8_t *buf, size_t len)
{
	size_t	done = 0;
	long	sent;

	while (done < len) {
		sent = apf_session_send(r->c->sess, r->chan, buf + done,
		    len - done);
		/* The tunnel may have failed underneath (output full). */
		if (r->state != RELAY_OPEN || r->bev == NULL)
			return -1;
		if (sent <= 0) {
			/* We read no more than the window: a refusal is the
			 * session's or the tunnel's failure. */
			relay_log(r, LOG_LEVEL_INFO, "send failed: %s",
			    sent < 0 ? mps_strerror((int)sent) : "no window");
			relay_chan_close(r);
			relay_end_fd(r, (int)sent == MPS_ERR_NOMEM ?
			    MPS_ERR_NOMEM : MPS_ERR_IO);
			return -1;
		}
		done += (size_t)sent;
		r->st.bytes_in += (uint64_t)sent;
	}
	return 0;
}

/*
 * The fd is readable: one read of what may be sent, sent at once (never
 * held back for a fuller buffer: SOL gives up after ~10 s of silence).
 */
static void
relay_read_fd(evutil_socket_t fd, short what, void *arg)
{
	struct relay	*r = arg;
	size_t		 room;
	ssize_t		 n;

	if (r->state != RELAY_OPEN || r->bev == NULL) {
		event_del(r->rev);
		return;
	}
	if ((room = relay_room(r)) == 0)
		return;
	n = read(fd, relay_rbuf, room);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		relay_log(r, LOG_LEVEL_DEBUG, "fd error: %s", strerror(errno));
		relay_chan_close(r);
		relay_end_fd(r, MPS_ERR_IO);
		return;
	}
	if (n == 0) {
		/* The local peer is done and all it sent went out. */
		r->flags |= RELAY_F_FD_EOF;
		event_del(r->rev);
		relay_chan_close(r);
		relay_flush_fd(r, 0);
		return;
	}
	if (relay_send(r, relay_rbuf, (size_t)n) != 0)
		return;
	/* Keeps the read armed, or parks it on the window or the output. */
	(void)relay_room(r);
}

/* The tunnel's output fell below its low watermark: resume reading. */
void
relay_dev_writable(struct dev_conn *c)
{
	struct relay	*r, *next;

	for (r = LIST_FIRST(&c->relays); r != NULL; r = next) {
		next = LIST_NEXT(r, entry);
		if (r->flags & RELAY_F_TXFULL)
			relay_pump(r);
		if (c->state != DEV_ACTIVE)
			return;
	}
}

static void
relay_write_cb(struct bufferevent *bev, void *arg)
{
	struct relay	*r = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	if (r->flags & RELAY_F_FLUSH)
		relay_end_fd(r, 0);
	else
		bufferevent_disable(bev, EV_WRITE);	/* the flusher's again */
}

static void
relay_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct relay	*r = arg;
	int		 e = EVUTIL_SOCKET_ERROR();

	/* Reading is ours (relay_read_fd): only writes report here. */
	if (what & BEV_EVENT_TIMEOUT) {
		relay_log(r, LOG_LEVEL_INFO, "event=flush-timeout: the local "
		    "peer did not take %zu bytes within %us",
		    evbuffer_get_length(bufferevent_get_output(bev)),
		    RELAY_FLUSH_TIMEOUT);
		relay_chan_close(r);
		relay_end_fd(r, MPS_ERR_TIMEOUT);
		return;
	}
	relay_log(r, LOG_LEVEL_DEBUG, "fd %s: %s", what & BEV_EVENT_EOF ?
	    "eof" : "error", e != 0 ? strerror(e) : "-");
	relay_chan_close(r);
	relay_end_fd(r, (r->flags & RELAY_F_FLUSH) || (what & BEV_EVENT_EOF) ?
	    0 : MPS_ERR_IO);
}

/* Drained bytes: the device may send that many more. */
static void
relay_out_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct relay	*r = arg;

	if (info->n_deleted == 0)
		return;
	r->st.bytes_out += info->n_deleted;
	if (r->state == RELAY_OPEN && r->c != NULL && r->c->sess != NULL)
		apf_session_consumed(r->c->sess, r->chan, info->n_deleted);
}

/* ---------------------------------------------------------------- API */

struct relay *
relay_new(struct dev_conn *c, int fd, uint32_t port,
    const struct relay_cb *cb, void *arg, int *err)
{
	struct relay	*r;
	int		 rc;

	*err = 0;
	if (c == NULL || c->state != DEV_ACTIVE || c->sess == NULL) {
		close(fd);
		*err = MPS_ERR_NOT_CONNECTED;
		return NULL;
	}
	if (!apf_session_is_forwarded(c->sess, port)) {
		close(fd);
		*err = MPS_ERR_PORT;
		return NULL;
	}
	if ((relay_reaper == NULL && (relay_reaper = event_new(srv->base, -1,
	    0, relay_reaper_cb, NULL)) == NULL) || (relay_flusher == NULL &&
	    (relay_flusher = event_new(srv->base, -1, 0, relay_flusher_cb,
	    NULL)) == NULL)) {
		close(fd);
		*err = MPS_ERR_NOMEM;
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		close(fd);
		*err = MPS_ERR_NOMEM;
		return NULL;
	}
	evutil_make_socket_nonblocking(fd);
	if ((r->timer = evtimer_new(srv->base, relay_timer_cb, r)) == NULL ||
	    (r->rev = event_new(srv->base, fd, EV_READ | EV_PERSIST,
	    relay_read_fd, r)) == NULL ||
	    (r->bev = bufferevent_socket_new(srv->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL ||
	    (r->outcb = evbuffer_add_cb(bufferevent_get_output(r->bev),
	    relay_out_cb, r)) == NULL) {
		if (r->bev != NULL)
			bufferevent_free(r->bev);
		else
			close(fd);
		if (r->timer != NULL)
			event_free(r->timer);
		if (r->rev != NULL)
			event_free(r->rev);
		free(r);
		*err = MPS_ERR_NOMEM;
		return NULL;
	}
	r->id = ++relay_last_id;
	r->c = c;
	r->port = port;
	r->arg = arg;
	if (cb != NULL)
		r->cb = *cb;
	relay_nalive++;
	LIST_INSERT_HEAD(&relay_all, r, all);
	LIST_INSERT_HEAD(&c->relays, r, entry);
	r->flags |= RELAY_F_LISTED;
	/* The bufferevent writes; reads are relay_read_fd's, from OPEN on. */
	bufferevent_set_max_single_write(r->bev, RELAY_READ_MAX);
	bufferevent_setcb(r->bev, NULL, relay_write_cb, relay_event_cb, r);
	bufferevent_disable(r->bev, EV_READ | EV_WRITE);

	/* No callbacks from in here: an open that fails now is our return. */
	r->flags |= RELAY_F_QUIET;
	rc = relay_open(r);
	if (r->state == RELAY_GONE || r->c == NULL) {
		/* The tunnel failed underneath (its output was full). */
		rc = rc != 0 ? rc : MPS_ERR_CLOSED;
	}
	if (rc != 0) {
		relay_set_gone(r);
		relay_set_err(r, rc);
		relay_fd_close(r);
		relay_check_done(r);
		*err = rc;
		return NULL;
	}
	r->flags &= ~RELAY_F_QUIET;
	relay_log(r, LOG_LEVEL_DEBUG, "event=relay-new chan=%u", r->chan);
	return r;
}

void
relay_close(struct relay *r)
{
	r->flags |= RELAY_F_QUIET;
	relay_chan_close(r);		/* the tunnel may fail underneath */
	relay_fd_close(r);
	relay_check_done(r);
}

void
relay_cleanup(void)
{
	struct relay	*r;

	if (relay_reaper != NULL)
		relay_reaper_cb(-1, 0, NULL);
	/* At exit, relays still flushing or waiting for a CLOSE go too. */
	while ((r = LIST_FIRST(&relay_all)) != NULL) {
		if (r->flags & RELAY_F_REAP)
			TAILQ_REMOVE(&relay_reap_list, r, reap);
		if (r->flags & RELAY_F_LISTED)
			LIST_REMOVE(r, entry);
		if (r->dead_bev != NULL)
			bufferevent_free(r->dead_bev);
		if (r->bev != NULL)
			bufferevent_free(r->bev);
		relay_free(r);
	}
	if (relay_reaper != NULL) {
		event_free(relay_reaper);
		relay_reaper = NULL;
	}
	if (relay_flusher != NULL) {
		event_free(relay_flusher);
		relay_flusher = NULL;
	}
}
