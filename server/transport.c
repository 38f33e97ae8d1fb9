/*
 * transport.c: WS-Man over HTTP to devices, through their tunnels
 * (transport.h).
 *
 * libcurl's multi interface runs on the daemon's event loop: curl tells us
 * which sockets to watch (transport_sock_cb) and when to call it back
 * (transport_timer_fn); libevent events call curl_multi_socket_action();
 * finished transfers are collected by transport_check_done().  We never
 * call into curl from inside a curl callback.
 *
 * Per device (struct transport_dev, c->xport): the curl easy handle (its
 * Digest state is what makes nonce reuse work), the abstract listener curl
 * connects to, and the relays of the connections accepted there.
 * Lifetime: created by the first request; the listener and channels go
 * TRANSPORT_LINGER s after the device's last request, the handle
 * TRANSPORT_KEEP s after (at once when TRANSPORT_MAX_IDLE idle devices
 * keep theirs already); everything goes when the tunnel does.  Freed from a
 * fresh event, never under a caller.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "server.h"
#include "relay.h"
#include "transport.h"

#define TD_F_BUSY	0x01	/* easy handle is in the multi */
#define TD_F_IDLE	0x02	/* on transport_idle_list */
#define TD_F_LINGERED	0x04	/* idle: listener and channels closed */
#define TD_F_GONE	0x08	/* detached from its device; reaper frees */

#define TRANSPORT_RESP_INITIAL	(16 * 1024)
#define TRANSPORT_BACKLOG	8

struct transport_dev {
	TAILQ_ENTRY(transport_dev) idle;	/* or reap, once GONE */
	struct dev_conn		*c;
	CURL			*easy;
	int			 lfd;		/* abstract listener, -1 */
	struct event		*lev;
	uint32_t		 lport;		/* port of the listener */
	struct relay		*conn;		/* the live connection, or NULL */
	transport_done_fn	*done;
	void			*arg;
	char			*resp;
	size_t			 resp_len, resp_cap;
	int			 too_large;
	int			 open_err;	/* relay failure this request */
	uint32_t		 open_reason;
	uint32_t		 port;		/* of the request */
	uint32_t		 timeout;
	uint32_t		 idle_since;	/* mono s */
	uint32_t		 flags;
	char			 errbuf[CURL_ERROR_SIZE];
	char			 sockname[80];
	char			 url[96];
};

TAILQ_HEAD(transport_list, transport_dev);

static CURLM			*transport_multi;
static struct curl_slist	*transport_hdrs;
static struct event		*transport_timer;	/* curl's timeout */
static struct event		*transport_sweeper;	/* linger/keep */
static struct event		*transport_reaper;
static struct transport_list	 transport_idle_list =
    TAILQ_HEAD_INITIALIZER(transport_idle_list);
static struct transport_list	 transport_reap_list =
    TAILQ_HEAD_INITIALIZER(transport_reap_list);
static uint32_t			 transport_nidle;
static uint32_t			 transport_nlisten;	/* listeners open */
static uint32_t			 transport_nconn;	/* live connections */
static struct transport_stats	 transport_st;
static struct log_ratelimit	 transport_rl =
    LOG_RATELIMIT_INIT("transport", 10, 10);

static void	transport_check_done(void);

void
transport_get_stats(struct transport_stats *st)
{
	*st = transport_st;
}

uint32_t
transport_fds(void)
{
	/* Each live connection is also curl's socket; ours is a relay's. */
	return transport_nlisten + transport_nconn;
}

uint32_t
transport_port(const struct dev_conn *c)
{
	if (c == NULL || c->sess == NULL)
		return 0;
	if (apf_session_is_forwarded(c->sess, TRANSPORT_PORT_HTTP))
		return TRANSPORT_PORT_HTTP;
	if (apf_session_is_forwarded(c->sess, TRANSPORT_PORT_HTTPS))
		return TRANSPORT_PORT_HTTPS;
	return 0;
}

/* ------------------------------------------------------ curl <-> loop */

static void
transport_sock_ev(evutil_socket_t fd, short what, void *arg)
{
	int	running, action = 0;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(transport_multi, fd, action, &running);
	transport_check_done();
}

/* curl: watch s for what (or stop watching). */
static int
transport_sock_cb(CURL *e, curl_socket_t s, int what, void *userp,
    void *socketp)
{
	struct event	*ev = socketp;
	short		 flags = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (ev != NULL) {
			event_free(ev);
			curl_multi_assign(transport_multi, s, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		flags |= EV_READ;
	if (what & CURL_POLL_OUT)
		flags |= EV_WRITE;
	if (ev == NULL) {
		if ((ev = event_new(srv->base, s, flags, transport_sock_ev,
		    NULL)) == NULL)
			return -1;
		curl_multi_assign(transport_multi, s, ev);
	} else {
		event_del(ev);
		event_assign(ev, srv->base, s, flags, transport_sock_ev, NULL);
	}
	event_add(ev, NULL);
	return 0;
}

static void
transport_timer_ev(evutil_socket_t fd, short what, void *arg)
{
	int	running;

	curl_multi_socket_action(transport_multi, CURL_SOCKET_TIMEOUT, 0,
	    &running);
	transport_check_done();
}

/* curl: call me back in ms (-1: never mind). */
static int
transport_timer_fn(CURLM *m, long ms, void *userp)
{
	struct timeval	tv;

	if (ms < 0) {
		evtimer_del(transport_timer);
		return 0;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(transport_timer, &tv);
	return 0;
}

/* AMT's TLS inside the tunnel: old firmware, no secure renegotiation. */
static CURLcode
transport_ssl_ctx_cb(CURL *e, void *sslctx, void *arg)
{
	SSL_CTX	*ctx = sslctx;

	SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT);
	SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	SSL_CTX_set_security_level(ctx, 0);
	return CURLE_OK;
}

static size_t
transport_write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct transport_dev	*td = arg;
	size_t			 len = size * n, ncap;
	char			*nb;

	if (len > TRANSPORT_MAX_BODY - td->resp_len) {
		td->too_large = 1;
		return 0;	/* CURLE_WRITE_ERROR: stop reading */
	}
	if (td->resp_len + len > td->resp_cap) {
		ncap = td->resp_cap > 0 ? td->resp_cap : TRANSPORT_RESP_INITIAL;
		while (ncap < td->resp_len + len)
			ncap *= 2;
		if (ncap > TRANSPORT_MAX_BODY)
			ncap = TRANSPORT_MAX_BODY;
		if ((nb = realloc(td->resp, ncap)) == NULL)
			return 0;
		td->resp = nb;
		td->resp_cap = ncap;
	}
	memcpy(td->resp + td->resp_len, p, len);
	td->resp_len += len;
	return len;
}

/* A new status line: a 401 body before the 200 is not the answer. */
static size_t
transport_header_cb(char *p, size_t size, size_t n, void *arg)
{
	struct transport_dev	*td = arg;
	size_t			 len = size * n;

	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0)
		td->resp_len = 0;
	return len;
}

/* curl's own account of a transfer, in the debug log (-d). */
static int
transport_debug_cb(CURL *e, curl_infotype type, char *data, size_t size,
    void *arg)
{
	struct transport_dev	*td = arg;
	char			 line[256];

	if (type != CURLINFO_TEXT || td->c == NULL)
		return 0;
	util_sanitize(data, size > 0 && data[size - 1] == '\n' ? size - 1 :
	    size, line, sizeof(line));
	dev_log(td->c, LOG_LEVEL_DEBUG, "curl: %s", line);
	return 0;
}

/* ------------------------------------------------------------ relays */

static void
transport_relay_closed(struct relay *r, void *arg, int err,
    uint32_t apf_reason)
{
	struct transport_dev	*td = arg;

	if (td->conn == r) {
		td->conn = NULL;
		transport_nconn--;
	}
	if (!(td->flags & TD_F_BUSY) || err == 0)
		return;
	/* curl only sees a closed connection: remember why. */
	switch (err) {
	case MPS_ERR_OPEN_REFUSED:
	case MPS_ERR_LIMIT:
	case MPS_ERR_PORT:
		td->open_err = err;
		td->open_reason = apf_reason;
		break;
	case MPS_ERR_CLOSED:
		td->open_err = MPS_ERR_NOT_CONNECTED;
		break;
	case MPS_ERR_TIMEOUT:
		/* No answer to the open (or to anything): a timeout. */
		if (relay_get_stats(r)->bytes_out == 0 && td->open_err == 0)
			td->open_err = MPS_ERR_TIMEOUT;
		break;
	default:
		break;
	}
}

static const struct relay_cb transport_relay_cb = {
	NULL,
	transport_relay_closed,
};

static void
transport_close_conns(struct transport_dev *td)
{
	struct relay	*r;

	if ((r = td->conn) != NULL) {
		td->conn = NULL;
		transport_nconn--;
		relay_close(r);		/* no callback; may fail the tunnel */
	}
}

/* ---------------------------------------------------------- listener */

static void
transport_unlisten(struct transport_dev *td)
{
	if (td->lev != NULL) {
		event_free(td->lev);
		td->lev = NULL;
	}
	if (td->lfd != -1) {
		close(td->lfd);
		td->lfd = -1;
		transport_nlisten--;
	}
	td->lport = 0;
}

static void
transport_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct transport_dev	*td = arg;
	struct relay		*r;
	struct ucred		 cred;
	socklen_t		 len;
	int			 fd, err;

	for (;;) {
		if ((td->flags & TD_F_GONE) || td->lfd != lfd)
			return;		/* closed underneath */
		if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK |
		    SOCK_CLOEXEC)) == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED &&
			    log_ratelimit(&transport_rl, util_mono()))
				log_warn("transport: accept");
			return;
		}
		/* Abstract names have no permissions: check who it is. */
		memset(&cred, 0, sizeof(cred));
		len = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
		    cred.pid != getpid()) {
			if (log_ratelimit(&transport_rl, util_mono()))
				log_warnx("transport: refused a connection to "
				    "%s from pid %d (only amt-mps itself may "
				    "connect)", td->sockname, (int)cred.pid);
			close(fd);
			continue;
		}
		/*
		 * One transfer per device at a time, so a new connection
		 * means curl is done with the older one (after a 401, or
		 * because it cannot reuse it: curl 7.88 never reuses a Unix
		 * socket connection, curl#9664).  Its channel goes now
		 * rather than idling on the device.
		 */
		transport_close_conns(td);
		if (td->flags & TD_F_GONE) {
			close(fd);
			return;
		}
		transport_st.connections++;
		r = relay_new(td->c, fd, td->lport, &transport_relay_cb, td,
		    &err);
		if (td->flags & TD_F_GONE)
			return;		/* the tunnel failed underneath */
		if (r == NULL) {
			td->open_err = err == MPS_ERR_CLOSED ?
			    MPS_ERR_NOT_CONNECTED : err;
			continue;
		}
		td->conn = r;
		transport_nconn++;
	}
}

static int
transport_listen(struct transport_dev *td, uint32_t port)
{
	struct sockaddr_un	sun;
	size_t			n;
	int			fd;

	if (td->lfd != -1 && td->lport == port)
		return 0;
	transport_close_conns(td);
	transport_unlisten(td);
	n = (size_t)snprintf(td->sockname, sizeof(td->sockname),
	    "amt-mps/%d/%llu/%u", (int)getpid(),
	    (unsigned long long)td->c->id, port);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	/* Abstract: sun_path[0] is NUL; the name is the rest, unterminated. */
	memcpy(sun.sun_path + 1, td->sockname, n);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return MPS_ERR_IO;
	if (bind(fd, (struct sockaddr *)&sun, (socklen_t)(offsetof(struct
	    sockaddr_un, sun_path) + 1 + n)) == -1 ||
	    listen(fd, TRANSPORT_BACKLOG) == -1) {
		log_warn("transport: listen on @%s", td->sockname);
		close(fd);
		return MPS_ERR_IO;
	}
	if ((td->lev = event_new(srv->base, fd, EV_READ | EV_PERSIST,
	    transport_accept_cb, td)) == NULL) {
		close(fd);
		return MPS_ERR_NOMEM;
	}
	event_add(td->lev, NULL);
	td->lfd = fd;
	transport_nlisten++;
	td->lport = port;
	return 0;
}

/* ---------------------------------------------------------- lifetime */

static void
transport_idle_remove(struct transport_dev *td)
{
	if (td->flags & TD_F_IDLE) {
		TAILQ_REMOVE(&transport_idle_list, td, idle);
		td->flags &= ~TD_F_IDLE;
		transport_nidle--;
	}
}

static void
transport_reaper_cb(evutil_socket_t fd, short what, void *arg)
{
	struct transport_dev	*td;

	while ((td = TAILQ_FIRST(&transport_reap_list)) != NULL) {
		TAILQ_REMOVE(&transport_reap_list, td, idle);
		if (td->easy != NULL)
			curl_easy_cleanup(td->easy);
		free(td->resp);
		free(td);
		transport_st.devices--;
	}
}

/* Takes td out of the multi without calling back. */
static void
transport_abort(struct transport_dev *td)
{
	if (!(td->flags & TD_F_BUSY))
		return;
	td->flags &= ~TD_F_BUSY;
	transport_st.in_flight--;
	td->done = NULL;
	td->arg = NULL;
	curl_multi_remove_handle(transport_multi, td->easy);
	/* The connection was mid-request: its channels are useless now. */
	transport_close_conns(td);
}

/*
 * Detaches td from its device and queues it for the reaper.  Everything
 * that talks to the device or curl stops now.
 */
static void
transport_dev_drop(struct transport_dev *td)
{
	if (td->flags & TD_F_GONE)
		return;
	transport_abort(td);
	transport_idle_remove(td);
	td->flags |= TD_F_GONE;
	if (td->c != NULL && td->c->xport == td)
		td->c->xport = NULL;
	transport_close_conns(td);
	transport_unlisten(td);
	td->c = NULL;
	TAILQ_INSERT_TAIL(&transport_reap_list, td, idle);
	event_active(transport_reaper, EV_TIMEOUT, 0);
}

static void
transport_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct transport_dev	*td, *next;
	struct timeval		 one = { 1, 0 };
	uint32_t		 now = util_mono();

	for (td = TAILQ_FIRST(&transport_idle_list); td != NULL; td = next) {
		next = TAILQ_NEXT(td, idle);
		if (now < td->idle_since + TRANSPORT_LINGER)
			break;		/* the rest are younger */
		if (now >= td->idle_since + TRANSPORT_KEEP) {
			transport_dev_drop(td);
			continue;
		}
		if (!(td->flags & TD_F_LINGERED)) {
			td->flags |= TD_F_LINGERED;
			transport_close_conns(td);
			transport_unlisten(td);
		}
	}
	if (!TAILQ_EMPTY(&transport_idle_list))
		evtimer_add(transport_sweeper, &one);
}

void
transport_idle(struct dev_conn *c)
{
	struct transport_dev	*td = c->xport;
	struct timeval		 one = { 1, 0 };

	if (td == NULL || (td->flags & (TD_F_BUSY | TD_F_GONE)))
		return;
	transport_idle_remove(td);
	/*
	 * Bounded: when TRANSPORT_MAX_IDLE handles are kept, the device
	 * going idle now gives its handle back at once.  Evicting the oldest
	 * instead would keep none useful for a fleet larger than the bound:
	 * fleet runs go in GUID order, and the oldest are needed first.
	 */
	if (transport_nidle >= TRANSPORT_MAX_IDLE) {
		transport_dev_drop(td);
		return;
	}
	td->idle_since = util_mono();
	TAILQ_INSERT_TAIL(&transport_idle_list, td, idle);
	td->flags |= TD_F_IDLE;
	transport_nidle++;
	if (!evtimer_pending(transport_sweeper, NULL))
		evtimer_add(transport_sweeper, &one);
}

void
transport_cancel(struct dev_conn *c)
{
	if (c->xport != NULL)
		transport_abort(c->xport);
}

void
transport_dev_gone(struct dev_conn *c)
{
	if (c->xport != NULL)
		transport_dev_drop(c->xport);
}

/* ---------------------------------------------------------- requests */

static int
transport_easy_new(struct transport_dev *td)
{
	CURL	*e;

	if ((e = curl_easy_init()) == NULL)
		return MPS_ERR_NOMEM;
	curl_easy_setopt(e, CURLOPT_PRIVATE, td);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, td->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, transport_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, td);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, transport_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, td);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, transport_hdrs);
	curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_DIGEST);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	/* The GUID in the URL is no host name: never ask a proxy. */
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "amt-mps/" MPS_VERSION);
	/*
	 * One connection (one channel) per request, closed after it, as Go's
	 * AMT client does.  curl 7.88 cannot reuse Unix socket connections
	 * anyway (curl#9664): cached, they only held channels and made every
	 * transfer walk the cache (10,000 devices: 2 ms of CPU per request
	 * instead of 0.4).  Digest state lives in the handle, not the
	 * connection, so the nonce is still reused.
	 */
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	/* TLS inside the tunnel: not verified (no pinning key yet). */
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_0);
	curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, transport_ssl_ctx_cb);
	if (log_enabled(LOG_LEVEL_DEBUG)) {
		curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, transport_debug_cb);
		curl_easy_setopt(e, CURLOPT_DEBUGDATA, td);
		curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
	}
	td->easy = e;
	return 0;
}

static struct transport_dev *
transport_dev_get(struct dev_conn *c)
{
	struct transport_dev	*td;

	if (c->xport != NULL)
		return c->xport;
	if ((td = calloc(1, sizeof(*td))) == NULL)
		return NULL;
	td->c = c;
	td->lfd = -1;
	c->xport = td;
	transport_st.devices++;
	return td;
}

int
transport_post(struct dev_conn *c, const char *body, size_t len,
    uint32_t timeout, transport_done_fn *done, void *arg, char *msg,
    size_t msglen)
{
	const struct device_entry	*e;
	struct transport_dev		*td;
	const char			*user, *pass;
	uint32_t			 port;
	int				 rc;

	if (c == NULL || c->state != DEV_ACTIVE || c->sess == NULL) {
		snprintf(msg, msglen, "device is not connected");
		return MPS_ERR_NOT_CONNECTED;
	}
	e = devices_find(srv->devices, c->reg.guid);
	user = devices_amt_username(srv->devices, e);
	pass = devices_amt_password(srv->devices, e);
	if (user == NULL || pass == NULL) {
		snprintf(msg, msglen, "no AMT credentials for device %s",
		    c->reg.guid);
		return MPS_ERR_NO_CREDENTIALS;
	}
	if ((port = transport_port(c)) == 0) {
		snprintf(msg, msglen, "device %s forwarded neither port %d "
		    "nor %d: it offers no WS-Man through its tunnel",
		    c->reg.guid, TRANSPORT_PORT_HTTP, TRANSPORT_PORT_HTTPS);
		return MPS_ERR_PORT;
	}
	if ((td = transport_dev_get(c)) == NULL) {
		snprintf(msg, msglen, "out of memory");
		return MPS_ERR_NOMEM;
	}
	if (td->flags & TD_F_BUSY) {
		snprintf(msg, msglen, "a request to device %s is in flight",
		    c->reg.guid);
		return MPS_ERR_BUSY;
	}
	/* A listener, curl's socket and the accepted one. */
	if ((td->lfd == -1 || td->lport != port) && server_fds_spare() < 3) {
		snprintf(msg, msglen, "no file descriptors to spare for a "
		    "request (limits.fd_reserve reached)");
		return MPS_ERR_LIMIT;
	}
	if ((rc = transport_listen(td, port)) != 0) {
		snprintf(msg, msglen, "cannot listen on the internal socket: "
		    "%s", mps_strerror(rc));
		return rc;
	}
	if (td->easy == NULL && (rc = transport_easy_new(td)) != 0) {
		snprintf(msg, msglen, "cannot create a curl handle");
		return rc;
	}
	transport_idle_remove(td);
	td->flags &= ~TD_F_LINGERED;
	snprintf(td->url, sizeof(td->url), "%s://%s:%u/wsman",
	    port == TRANSPORT_PORT_HTTP ? "http" : "https", c->reg.guid, port);
	curl_easy_setopt(td->easy, CURLOPT_URL, td->url);
	curl_easy_setopt(td->easy, CURLOPT_ABSTRACT_UNIX_SOCKET, td->sockname);
	curl_easy_setopt(td->easy, CURLOPT_USERNAME, user);
	curl_easy_setopt(td->easy, CURLOPT_PASSWORD, pass);
	curl_easy_setopt(td->easy, CURLOPT_TIMEOUT_MS, (long)timeout * 1000L);
	curl_easy_setopt(td->easy, CURLOPT_POSTFIELDSIZE, (long)len);
	if (curl_easy_setopt(td->easy, CURLOPT_COPYPOSTFIELDS, body) !=
	    CURLE_OK) {
		snprintf(msg, msglen, "out of memory");
		return MPS_ERR_NOMEM;
	}
	td->resp_len = 0;
	td->too_large = 0;
	td->open_err = 0;
	td->open_reason = 0;
	td->errbuf[0] = '\0';
	td->port = port;
	td->timeout = timeout;
	td->done = done;
	td->arg = arg;
	if (curl_multi_add_handle(transport_multi, td->easy) != CURLM_OK) {
		td->done = NULL;
		snprintf(msg, msglen, "curl refused the request");
		return MPS_ERR_INTERNAL;
	}
	td->flags |= TD_F_BUSY;
	transport_st.requests++;
	transport_st.in_flight++;
	return 0;
}

static int
transport_is_tls_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
		return 1;
	default:
		return 0;
	}
}

/* A transfer ended: tell the caller why, in our vocabulary. */
static void
transport_finish(struct transport_dev *td, CURLcode rc)
{
	struct transport_result	 res;
	transport_done_fn	*done = td->done;
	void			*arg = td->arg;
	long			 status = 0;
	double			 secs = 0;

	td->flags &= ~TD_F_BUSY;
	transport_st.in_flight--;
	td->done = NULL;
	td->arg = NULL;
	memset(&res, 0, sizeof(res));
	res.port = td->port;
	res.timeout = td->timeout;
	curl_easy_getinfo(td->easy, CURLINFO_TOTAL_TIME, &secs);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(td->easy, CURLINFO_RESPONSE_CODE, &status);
		res.http_status = (int)status;
		res.body = td->resp != NULL ? td->resp : "";
		res.len = td->resp_len;
	} else if (td->too_large) {
		res.err = MPS_ERR_TOO_LARGE;
		snprintf(res.detail, sizeof(res.detail), "response larger "
		    "than %u bytes", TRANSPORT_MAX_BODY);
	} else if (td->open_err != 0) {
		res.err = td->open_err;
		res.apf_reason = td->open_reason;
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		res.err = MPS_ERR_TIMEOUT;
	} else if (td->c == NULL || td->c->state != DEV_ACTIVE) {
		res.err = MPS_ERR_NOT_CONNECTED;
	} else {
		res.err = transport_is_tls_error(rc) ? MPS_ERR_TLS : MPS_ERR_IO;
		snprintf(res.detail, sizeof(res.detail), "%s",
		    td->errbuf[0] != '\0' ? td->errbuf :
		    curl_easy_strerror(rc));
	}
	if (res.err != 0)
		transport_st.failures++;
	if (td->c != NULL)
		dev_log(td->c, LOG_LEVEL_DEBUG, "event=wsman-http port=%u "
		    "status=%d bytes=%zu ms=%ld%s%s curl=%d", td->port,
		    res.http_status, res.len, (long)(secs * 1000),
		    res.err != 0 ? " error=" : "", res.err != 0 ?
		    mps_errname(res.err) : "", (int)rc);
	if (done != NULL)
		done(arg, &res);
	/*
	 * The body was the callback's to read.  An idle device keeps its
	 * handle for the Digest state, not a buffer of up to 4 MiB.
	 */
	if (!(td->flags & TD_F_BUSY)) {
		free(td->resp);
		td->resp = NULL;
		td->resp_cap = 0;
		td->resp_len = 0;
	}
}

static void
transport_check_done(void)
{
	struct transport_dev	*td;
	CURLMsg			*m;
	CURLcode		 rc;
	CURL			*e;
	char			*priv;
	int			 left;

	while ((m = curl_multi_info_read(transport_multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		e = m->easy_handle;
		rc = m->data.result;
		priv = NULL;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv);
		td = (struct transport_dev *)(void *)priv;
		/* m is invalid after this. */
		curl_multi_remove_handle(transport_multi, e);
		if (td != NULL && (td->flags & TD_F_BUSY))
			transport_finish(td, rc);
	}
}

/* ------------------------------------------------------------- setup */

int
transport_init(void)
{
	struct curl_slist	*h;

	if (transport_multi != NULL)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return MPS_ERR_INTERNAL;
	if ((transport_multi = curl_multi_init()) == NULL)
		return MPS_ERR_NOMEM;
	curl_multi_setopt(transport_multi, CURLMOPT_SOCKETFUNCTION,
	    transport_sock_cb);
	curl_multi_setopt(transport_multi, CURLMOPT_TIMERFUNCTION,
	    transport_timer_fn);
	curl_multi_setopt(transport_multi, CURLMOPT_MAXCONNECTS,
	    (long)TRANSPORT_MAX_CACHED);
	/*
	 * No "Expect: 100-continue" (AMT does not do it); the content type
	 * AMT's own tools send.
	 */
	h = curl_slist_append(NULL,
	    "Content-Type: application/soap+xml;charset=UTF-8");
	if (h != NULL)
		h = curl_slist_append(h, "Expect:");
	if (h == NULL)
		return MPS_ERR_NOMEM;
	transport_hdrs = h;
	if ((transport_timer = evtimer_new(srv->base, transport_timer_ev,
	    NULL)) == NULL ||
	    (transport_sweeper = evtimer_new(srv->base, transport_sweep_cb,
	    NULL)) == NULL ||
	    (transport_reaper = event_new(srv->base, -1, 0,
	    transport_reaper_cb, NULL)) == NULL)
		return MPS_ERR_NOMEM;
	return 0;
}

void
transport_cleanup(void)
{
	struct transport_dev	*td;

	while ((td = TAILQ_FIRST(&transport_idle_list)) != NULL)
		transport_dev_drop(td);
	if (transport_reaper != NULL)
		transport_reaper_cb(-1, 0, NULL);
	if (transport_multi != NULL) {
		curl_multi_cleanup(transport_multi);
		transport_multi = NULL;
	}
	curl_slist_free_all(transport_hdrs);
	transport_hdrs = NULL;
	if (transport_timer != NULL)
		event_free(transport_timer);
	if (transport_sweeper != NULL)
		event_free(transport_sweeper);
	if (transport_reaper != NULL)
		event_free(transport_reaper);
	transport_timer = transport_sweeper = transport_reaper = NULL;
	curl_global_cleanup();
}
