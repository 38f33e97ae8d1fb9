/*
 * sim_dev.c: one simulated AMT device: a TLS client connection and the
 * device side of APF, in the order real AMT walks it:
 *
 *   TLS up -> PROTOCOLVERSION + SERVICE_REQUEST auth@ -> SERVICE_ACCEPT
 *   -> USERAUTH_REQUEST(password) -> USERAUTH_SUCCESS
 *   -> SERVICE_REQUEST pfwd@ -> SERVICE_ACCEPT
 *   -> GLOBAL_REQUEST tcpip-forward per port -> REQUEST_SUCCESS(port) each
 *   -> ACTIVE: KEEPALIVE_REQUEST every interval, answer the MPS's keepalive
 *      options and probes, accept channels to forwarded ports.
 *
 * Misbehaving devices leave this path at the point their kind names.
 * Nothing here owns a timer: deadlines are list positions swept by the
 * fleet's single tick.
 *
 * TLS I/O is direct SSL_read/SSL_write on the socket, driven by one
 * persistent read event and a write event armed only when TLS is blocked
 * on the socket.  A read round reads while OpenSSL holds read-ahead bytes
 * (SSL_has_pending()), up to a byte budget, and never reads the socket
 * just to see EAGAIN: the event is level-triggered.  Output is APF
 * messages appended to d->out and written once per round, up to a TLS
 * record per SSL_write, so small messages (WINDOW_ADJUST, keepalives)
 * share a record with whatever else the round produced.  Sends made outside
 * the device's callback (timers, the tick) activate its read event with
 * EV_WRITE, so they too are written together in the next loop turn.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "abuf.h"
#include "mps_err.h"
#include "sim.h"

/* Queued TLS output above which channels stop moving data (per device);
 * they move again once it is down to half. */
#define SIM_DEV_OUT_HIGH	(256 * 1024)
/* First pullup when decoding: most APF messages are far smaller. */
#define SIM_DEV_PULLUP_FIRST	4096
/* Room offered to one SSL_read: a whole TLS record's plaintext. */
#define SIM_DEV_READ_CHUNK	(16 * 1024)
/* Plaintext read per callback before other devices get a turn. */
#define SIM_DEV_READ_BUDGET	(256 * 1024)
/* Plaintext written per callback before other devices get a turn. */
#define SIM_DEV_WRITE_BUDGET	(1024 * 1024)
/* Output queued mid-round above which it is written before reading on,
 * so the MPS gets echoes while the round goes on. */
#define SIM_DEV_FLUSH_AT	(64 * 1024)
/* Bytes per SSL_write: one full TLS record. */
#define SIM_DEV_RECORD		(16 * 1024)
#define SIM_DEV_GARBAGE_LEN	512
#define SIM_DEV_UNKNOWN_REQ	"x-unknown-request@amt-cira-sim"

static const char *sim_dev_state_names[] = {
#define SIM_DS_NAME(name, str) str,
	SIM_DEV_STATES(SIM_DS_NAME)
#undef SIM_DS_NAME
};

static const struct {
	const char	*key;
	int		 by_server;
} sim_close_reasons[] = {
#define SIM_CR_ROW(name, key, by_server) { key, by_server },
	SIM_CLOSE_REASONS(SIM_CR_ROW)
#undef SIM_CR_ROW
};

static const char *sim_misbehave_names[] = {
#define SIM_MB_NAME(name, word) word,
	SIM_MISBEHAVIOURS(SIM_MB_NAME)
#undef SIM_MB_NAME
};

static void	sim_dev_readcb(evutil_socket_t fd, short what, void *arg);
static void	sim_dev_writecb(evutil_socket_t fd, short what, void *arg);

const char *
sim_dev_state_name(enum sim_dev_state st)
{
	if ((unsigned)st >= SIM_DEV_STATE_COUNT)
		return "?";
	return sim_dev_state_names[st];
}

const char *
sim_close_reason_name(enum sim_close_reason r)
{
	if ((unsigned)r >= SIM_CLOSE_COUNT)
		return "?";
	return sim_close_reasons[r].key;
}

int
sim_close_reason_by_server(enum sim_close_reason r)
{
	if ((unsigned)r >= SIM_CLOSE_COUNT)
		return 0;
	return sim_close_reasons[r].by_server;
}

const char *
sim_misbehave_name(enum sim_misbehave mb)
{
	if ((unsigned)mb >= SIM_MB_COUNT)
		return "?";
	return sim_misbehave_names[mb];
}

int
sim_misbehave_parse(const char *s, enum sim_misbehave *mb)
{
	int	i;

	for (i = 0; i < SIM_MB_COUNT; i++) {
		if (strcmp(s, sim_misbehave_names[i]) == 0) {
			*mb = (enum sim_misbehave)i;
			return 0;
		}
	}
	return MPS_ERR_USAGE;
}

/* The single setter, so the fleet's per-state counts never drift. */
void
sim_dev_set_state(struct sim_dev *d, enum sim_dev_state st)
{
	struct sim_fleet	*f = d->fleet;

	if (d->state == st)
		return;
	f->state_count[d->state]--;
	f->state_count[st]++;
	if (f->opt.verbose >= 2)
		sim_fleet_log(f, 2, d, "state %s -> %s",
		    sim_dev_state_name(d->state), sim_dev_state_name(st));
	d->state = (uint8_t)st;
}

static void
sim_dev_release_inflight(struct sim_dev *d)
{
	if (d->flags & SIM_DEVF_INFLIGHT) {
		d->flags &= ~SIM_DEVF_INFLIGHT;
		d->fleet->inflight--;
		sim_fleet_kick(d->fleet);
	}
}

int
sim_dev_out_room(const struct sim_dev *d)
{
	if (d->ssl == NULL)
		return 0;
	return evbuffer_get_length(d->out) < SIM_DEV_OUT_HIGH;
}

/*
 * Inside the device's own callback the flush at its end takes everything;
 * outside it (tick, timers) the read event is activated with EV_WRITE,
 * which several sends in one loop turn share.  While TLS waits for socket
 * room the write event will flush anyway.
 */
void
sim_dev_flush_later(struct sim_dev *d)
{
	if (d->ssl == NULL || d->state == SIM_DEV_CONNECTING ||
	    (d->flags & (SIM_DEVF_IN_IO | SIM_DEVF_WANT_WRITE)))
		return;
	event_active(d->rev, EV_WRITE, 0);
}

/*
 * Encodes m straight into the TLS output buffer: one whole APF message per
 * call, no intermediate copy.
 */
int
sim_dev_send(struct sim_dev *d, const struct apf_msg *m)
{
	struct evbuffer		*out;
	struct evbuffer_iovec	 iov;
	size_t			 need, n;
	int			 r;

	if (d->ssl == NULL)
		return MPS_ERR_CLOSED;
	if ((need = apf_encoded_len(m)) == 0)
		return MPS_ERR_INVALID;
	out = d->out;
	if (evbuffer_reserve_space(out, (ev_ssize_t)need, &iov, 1) < 1)
		return MPS_ERR_NOMEM;
	if ((r = apf_encode(m, iov.iov_base, iov.iov_len, &n)) != 0)
		return r;
	iov.iov_len = n;
	if (evbuffer_commit_space(out, &iov, 1) != 0)
		return MPS_ERR_NOMEM;
	d->fleet->st.bytes_out += n;
	sim_dev_flush_later(d);
	return 0;
}

/* Bytes that are not a well-formed APF message (misbehaviours only). */
static int
sim_dev_send_raw(struct sim_dev *d, const void *p, size_t len)
{
	if (d->ssl == NULL)
		return MPS_ERR_CLOSED;
	if (evbuffer_add(d->out, p, len) != 0)
		return MPS_ERR_NOMEM;
	d->fleet->st.bytes_out += len;
	sim_dev_flush_later(d);
	return 0;
}

static int
sim_dev_send_service(struct sim_dev *d, const char *name)
{
	struct apf_msg	m;

	memset(&m, 0, sizeof(m));
	m.type = APF_SERVICE_REQUEST;
	m.u.service.name = apf_cstr(name);
	return sim_dev_send(d, &m);
}

static int
sim_dev_send_forward(struct sim_dev *d, uint32_t i)
{
	struct sim_opts	*o = &d->fleet->opt;
	struct apf_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = APF_GLOBAL_REQUEST;
	m.u.global.kind = APF_GLOBAL_TCPIP_FORWARD;
	m.u.global.name = apf_cstr(APF_REQ_TCPIP_FORWARD);
	m.u.global.want_reply = 1;
	m.u.global.addr = apf_cstr(o->fwd_address);
	m.u.global.port = o->ports[i];
	return sim_dev_send(d, &m);
}

static uint32_t
sim_dev_random(struct sim_dev *d)
{
	/* xorshift32 stirred with the device index: cookies, jitter and
	 * garbage only need to differ, not to be unpredictable. */
	static uint32_t	 x;

	if (x == 0)
		x = (uint32_t)getpid() * 2654435761u | 1;
	x ^= d->index * 2246822519u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

/*
 * Starts one connection: our own socket (so it can be bound to a source
 * address without reserving a port: IP_BIND_ADDRESS_NO_PORT lets many
 * source IPs share the ephemeral range), a non-blocking connect, and the
 * TLS client handshake, started once the socket is writable.  No SNI: AMT
 * sends none.
 */
int
sim_dev_start(struct sim_dev *d)
{
	struct sim_fleet	*f = d->fleet;
	struct sim_opts		*o = &f->opt;
	const struct sockaddr	*src = NULL;
	socklen_t		 srclen = 0;
	SSL			*ssl = NULL;
	int			 fd, one = 1, e;

	d->fwd_acked = d->fwd_answered = 0;
	d->fwd_next = 0;
	d->flags &= ~(SIM_DEVF_KA_PENDING | SIM_DEVF_OUT_BLOCKED |
	    SIM_DEVF_IN_IO | SIM_DEVF_WANT_WRITE | SIM_DEVF_READ_WANTS_WRITE |
	    SIM_DEVF_ADJUST_DUE);
	d->ka_interval_s = o->keepalive_s ? o->keepalive_s : 30;
	d->t_start_ms = sim_fleet_now_ms();
	f->st.connect_attempts++;
	d->flags |= SIM_DEVF_INFLIGHT;
	f->inflight++;
	sim_dev_set_state(d, SIM_DEV_CONNECTING);
	if (o->handshake_timeout_ms != 0)
		sim_fleet_tl_insert(f, SIM_TL_HANDSHAKE, d,
		    d->t_start_ms + o->handshake_timeout_ms);

	if (o->nsources > 0) {
		src = (const struct sockaddr *)&o->sources[d->index %
		    o->nsources];
		srclen = o->source_len[d->index % o->nsources];
	}
	fd = socket(o->server_addr.ss_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		e = errno;
		sim_fleet_log(f, 1, d, "socket: %s", strerror(e));
		sim_dev_close(d, (e == EMFILE || e == ENFILE) ?
		    SIM_CLOSE_NO_FD : SIM_CLOSE_CONNECT_FAILED, 0);
		return MPS_ERR_IO;
	}
	if (src != NULL) {
		if (src->sa_family == AF_INET)
			(void)setsockopt(fd, IPPROTO_IP,
			    IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, src, srclen) == -1) {
			sim_fleet_log(f, 1, d, "bind: %s", strerror(errno));
			close(fd);
			sim_dev_close(d, SIM_CLOSE_CONNECT_FAILED, 0);
			return MPS_ERR_IO;
		}
	}
	/* APF control messages (WINDOW_ADJUST, keepalives) are small and
	 * must not wait for Nagle behind a delayed ACK: that caps a channel
	 * at a window per 40 ms. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&o->server_addr,
	    o->server_addrlen) == -1 && errno != EINPROGRESS) {
		e = errno;
		sim_fleet_log(f, 1, d, "connect: %s", strerror(e));
		close(fd);
		sim_dev_close(d, e == EADDRNOTAVAIL ? SIM_CLOSE_NO_FD :
		    SIM_CLOSE_CONNECT_FAILED, 0);
		return MPS_ERR_IO;
	}
	if ((ssl = SSL_new(f->ssl_ctx)) == NULL || SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		close(fd);
		ERR_clear_error();
		sim_dev_close(d, SIM_CLOSE_NO_MEMORY, 0);
		return MPS_ERR_NOMEM;
	}
	/* From here the socket is closed with the SSL (sim_dev_io_free). */
	d->ssl = ssl;
	SSL_set_connect_state(ssl);
	if (!o->insecure) {
		const char *name = o->verify_name ? o->verify_name :
		    o->server_host;
		X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);

		/* An IP address is checked against the SAN IPs, a name
		 * against DNS names/CN, as AMT checks its MPS address. */
		if (X509_VERIFY_PARAM_set1_ip_asc(vp, name) != 1)
			(void)SSL_set1_host(ssl, name);
	}
	d->rev = event_new(f->base, fd, EV_READ | EV_PERSIST, sim_dev_readcb,
	    d);
	d->wev = event_new(f->base, fd, EV_WRITE, sim_dev_writecb, d);
	d->in = evbuffer_new();
	d->out = evbuffer_new();
	/* Writable means connected (or failed): the handshake starts then. */
	if (d->rev == NULL || d->wev == NULL || d->in == NULL ||
	    d->out == NULL || event_add(d->rev, NULL) != 0 ||
	    event_add(d->wev, NULL) != 0) {
		sim_dev_close(d, SIM_CLOSE_NO_MEMORY, 0);
		return MPS_ERR_NOMEM;
	}
	d->flags |= SIM_DEVF_WANT_WRITE;
	return 0;
}

/* Frees the connection's TLS, events, buffers and socket. */
static void
sim_dev_io_free(struct sim_dev *d)
{
	int	fd = -1;

	if (d->ssl != NULL)
		fd = SSL_get_fd(d->ssl);
	if (d->rev != NULL)
		event_free(d->rev);
	if (d->wev != NULL)
		event_free(d->wev);
	SSL_free(d->ssl);
	if (d->in != NULL)
		evbuffer_free(d->in);
	if (d->out != NULL)
		evbuffer_free(d->out);
	if (fd != -1)
		close(fd);
	d->ssl = NULL;
	d->rev = d->wev = NULL;
	d->in = d->out = NULL;
	d->flags &= ~(SIM_DEVF_IN_IO | SIM_DEVF_WANT_WRITE |
	    SIM_DEVF_READ_WANTS_WRITE | SIM_DEVF_ADJUST_DUE |
	    SIM_DEVF_OUT_BLOCKED);
}

/*
 * Ends the tunnel: counts why, frees channels and TLS, then either parks
 * the device for a reconnect or closes it for good.  Idempotent.  After
 * this the caller must not touch d->ssl, its events or buffers (freed);
 * callers detect it as d->ssl changing.
 */
void
sim_dev_close(struct sim_dev *d, enum sim_close_reason why,
    uint32_t apf_reason)
{
	struct sim_fleet	*f = d->fleet;
	struct sim_opts		*o = &f->opt;
	struct sim_stats	*st = &f->st;
	uint64_t		 now, delay;
	SSL			*ssl;
	char			 guid[APF_GUID_STRLEN + 1];

	if (d->state == SIM_DEV_IDLE || d->state == SIM_DEV_WAIT_RETRY ||
	    d->state == SIM_DEV_CLOSED)
		return;
	if (why != SIM_CLOSE_SHUTDOWN) {
		st->disconnected++;
		st->close_reason[why]++;
		if (why == SIM_CLOSE_APF_DISCONNECT)
			st->apf_reason[apf_reason < SIM_APF_REASONS ?
			    apf_reason : SIM_APF_REASONS - 1]++;
		if (sim_close_reason_by_server(why)) {
			if (d->misbehave != SIM_MB_NONE)
				st->mb_closed_by_server++;
			else if (o->misbehave == SIM_MB_DUPLICATE_GUID &&
			    d->index < o->misbehave_count &&
			    (d->flags & SIM_DEVF_EVER_ACTIVE))
				st->mb_originals_closed_by_server++;
		}
		if (f->opt.verbose >= 1) {
			apf_guid_format(d->uuid, guid);
			sim_fleet_log(f, 1, d, "closed in %s: %s%s%.0u guid=%s",
			    sim_dev_state_name(d->state),
			    sim_close_reason_name(why),
			    why == SIM_CLOSE_APF_DISCONNECT ? " reason=" : "",
			    why == SIM_CLOSE_APF_DISCONNECT ? apf_reason : 0,
			    guid);
		}
	}
	sim_dev_release_inflight(d);
	sim_fleet_tl_remove(f, d);
	sim_chan_dev_free(d);
	if ((ssl = d->ssl) != NULL) {
		if (why == SIM_CLOSE_SHUTDOWN && SSL_is_init_finished(ssl)) {
			/* Best effort close_notify; the socket is closed
			 * right after, as a device powering down would. */
			if (ERR_peek_error() != 0)
				ERR_clear_error();
			(void)SSL_shutdown(ssl);
			ERR_clear_error();
		}
		sim_dev_io_free(d);
	}
	sim_fleet_dev_settled(f, d);
	if (o->reconnect && why != SIM_CLOSE_SHUTDOWN && !f->stopping) {
		now = sim_fleet_now_ms();
		if (d->backoff_ms == 0)
			d->backoff_ms = o->backoff_min_ms;
		/* Full jitter in [backoff/2, backoff]: a fleet dropped at once
		 * must not come back at once. */
		delay = d->backoff_ms / 2 +
		    sim_dev_random(d) % (d->backoff_ms / 2 + 1);
		d->backoff_ms = d->backoff_ms > o->backoff_max_ms / 2 ?
		    o->backoff_max_ms : d->backoff_ms * 2;
		sim_dev_set_state(d, SIM_DEV_WAIT_RETRY);
		sim_fleet_tl_insert(f, SIM_TL_RETRY, d, now + delay);
	} else
		sim_dev_set_state(d, SIM_DEV_CLOSED);
}

/* All forwards answered: the tunnel is up as far as the device knows. */
static void
sim_dev_activate(struct sim_dev *d)
{
	struct sim_fleet	*f = d->fleet;
	uint64_t		 now = sim_fleet_now_ms();
	struct apf_msg		 m;

	sim_dev_set_state(d, SIM_DEV_ACTIVE);
	sim_fleet_tl_remove(f, d);
	sim_dev_release_inflight(d);
	f->st.reached_active++;
	if (d->misbehave != SIM_MB_NONE)
		f->st.mb_active++;
	d->flags |= SIM_DEVF_EVER_ACTIVE;
	d->backoff_ms = 0;
	sim_fleet_connect_sample(f, now - d->t_start_ms);
	sim_fleet_dev_settled(f, d);
	if (d->misbehave != SIM_MB_NO_KEEPALIVE)
		sim_fleet_tl_insert(f, SIM_TL_KEEPALIVE, d,
		    now + (uint64_t)d->ka_interval_s * 1000);
	if (d->misbehave == SIM_MB_UNKNOWN_REQUEST) {
		/* A name the server cannot know, with want_reply: it must
		 * answer REQUEST_FAILURE and then disconnect, since it cannot
		 * know how long the body is. */
		memset(&m, 0, sizeof(m));
		m.type = APF_GLOBAL_REQUEST;
		m.u.global.name = apf_cstr(SIM_DEV_UNKNOWN_REQ);
		m.u.global.want_reply = 1;
		(void)sim_dev_send(d, &m);
	}
}

/* From the fleet tick: our periodic KEEPALIVE_REQUEST. */
void
sim_dev_keepalive_due(struct sim_dev *d, uint64_t now)
{
	struct sim_fleet	*f = d->fleet;
	struct apf_msg		 m;

	sim_fleet_tl_remove(f, d);
	if (d->state != SIM_DEV_ACTIVE)
		return;
	if (d->flags & SIM_DEVF_KA_PENDING)
		f->st.keepalive_missed++;
	memset(&m, 0, sizeof(m));
	m.type = APF_KEEPALIVE_REQUEST;
	m.u.keepalive.cookie = d->ka_cookie = sim_dev_random(d);
	if (sim_dev_send(d, &m) != 0) {
		sim_dev_close(d, SIM_CLOSE_NO_MEMORY, 0);
		return;
	}
	f->st.keepalive_sent++;
	d->flags |= SIM_DEVF_KA_PENDING;
	sim_fleet_tl_insert(f, SIM_TL_KEEPALIVE, d,
	    now + (uint64_t)d->ka_interval_s * 1000);
}

/* TLS is up: the device speaks first, as AMT does. */
static void
sim_dev_tls_up(struct sim_dev *d)
{
	struct sim_fleet	*f = d->fleet;
	struct apf_msg		 m;
	uint8_t			 junk[SIM_DEV_GARBAGE_LEN];
	size_t			 i;

	f->st.connected++;
	if (d->misbehave == SIM_MB_GARBAGE) {
		/* 0xff is no APF type, so the very first byte is wrong. */
		junk[0] = 0xff;
		for (i = 1; i < sizeof(junk); i++)
			junk[i] = (uint8_t)sim_dev_random(d);
		(void)sim_dev_send_raw(d, junk, sizeof(junk));
		goto misbehaved;
	}
	memset(&m, 0, sizeof(m));
	m.type = APF_PROTOCOLVERSION;
	m.u.version.major = 1;
	m.u.version.minor = 0;
	m.u.version.trigger = f->opt.trigger;
	memcpy(m.u.version.uuid, d->uuid, APF_UUID_LEN);
	if (sim_dev_send(d, &m) != 0)
		goto nomem;
	if (d->misbehave == SIM_MB_STALL) {
		/* Keep the socket open and say nothing more: only the
		 * server's authentication timeout can end this. */
		sim_dev_set_state(d, SIM_DEV_VERSION_SENT);
		sim_fleet_tl_remove(f, d);
		sim_dev_release_inflight(d);
		return;
	}
	if (sim_dev_send_service(d, APF_SERVICE_AUTH) != 0)
		goto nomem;
	sim_dev_set_state(d, SIM_DEV_AUTH_SERVICE);
	return;
misbehaved:
	sim_dev_set_state(d, SIM_DEV_MISBEHAVED);
	sim_fleet_tl_remove(f, d);
	sim_dev_release_inflight(d);
	return;
nomem:
	sim_dev_close(d, SIM_CLOSE_NO_MEMORY, 0);
}

static int
sim_dev_send_userauth(struct sim_dev *d)
{
	struct sim_opts	*o = &d->fleet->opt;
	struct apf_msg	 m;
	char		 wrong[APF_MAX_STRING];
	uint8_t		 buf[1100];
	struct abuf_wr	 w;

	if (d->misbehave == SIM_MB_OVERSIZE) {
		/* A user name declared 1 GiB long, followed by a little of
		 * it: the server must refuse on the length, not wait. */
		abuf_wr_init(&w, buf, sizeof(buf));
		abuf_put_u8(&w, APF_USERAUTH_REQUEST);
		abuf_put_u32(&w, 0x40000000u);
		while (w.len < sizeof(buf) && abuf_wr_error(&w) == 0)
			abuf_put_u8(&w, 'A');
		(void)sim_dev_send_raw(d, buf, w.len);
		sim_dev_set_state(d, SIM_DEV_MISBEHAVED);
		sim_fleet_tl_remove(d->fleet, d);
		sim_dev_release_inflight(d);
		return 0;
	}
	memset(&m, 0, sizeof(m));
	m.type = APF_USERAUTH_REQUEST;
	m.u.userauth_req.user = apf_cstr(o->user);
	m.u.userauth_req.service = apf_cstr(APF_SERVICE_PFWD);
	m.u.userauth_req.method = apf_cstr(APF_METHOD_PASSWORD);
	m.u.userauth_req.has_password = 1;
	m.u.userauth_req.password = apf_cstr(o->password);
	if (d->misbehave == SIM_MB_WRONG_PASSWORD) {
		(void)snprintf(wrong, sizeof(wrong), "%s-wrong", o->password);
		m.u.userauth_req.password = apf_cstr(wrong);
	}
	if (sim_dev_send(d, &m) != 0)
		return MPS_ERR_NOMEM;
	sim_dev_set_state(d, SIM_DEV_USERAUTH);
	return 0;
}

/* Forwards: one at a time as the MeshCentral client does, or all at once
 * with --pipeline. */
static int
sim_dev_next_forwards(struct sim_dev *d)
{
	struct sim_opts	*o = &d->fleet->opt;

	if (o->nports == 0) {
		sim_dev_activate(d);
		return 0;
	}
	do {
		if (sim_dev_send_forward(d, d->fwd_next) != 0)
			return MPS_ERR_NOMEM;
		d->fwd_next++;
	} while (o->pipeline && d->fwd_next < o->nports);
	return 0;
}

static int
sim_dev_on_forward_reply(struct sim_dev *d, const struct apf_msg *m)
{
	struct sim_fleet	*f = d->fleet;
	struct sim_opts		*o = &f->opt;
	uint32_t		 i;

	/* Replies come in request order: the oldest unanswered one. */
	for (i = 0; i < d->fwd_next; i++)
		if (!(d->fwd_answered & (1u << i)))
			break;
	if (i == d->fwd_next)
		return MPS_ERR_STATE;
	d->fwd_answered |= (uint16_t)(1u << i);
	if (m->type == APF_REQUEST_SUCCESS) {
		if (m->u.req_success.has_port &&
		    m->u.req_success.port != o->ports[i]) {
			sim_fleet_log(f, 1, d, "REQUEST_SUCCESS for port %u, "
			    "expected %u", m->u.req_success.port, o->ports[i]);
			return MPS_ERR_INVALID;
		}
		d->fwd_acked |= (uint16_t)(1u << i);
	} else
		f->st.forwards_refused++;
	if (d->fwd_next < o->nports && !o->pipeline)
		return sim_dev_next_forwards(d);
	if (d->fwd_answered == (uint16_t)((1u << o->nports) - 1))
		sim_dev_activate(d);
	return 0;
}

/* Messages valid in any state once TLS is up. 1 = handled. */
static int
sim_dev_common(struct sim_dev *d, const struct apf_msg *m)
{
	struct sim_fleet	*f = d->fleet;
	struct apf_msg		 r;

	memset(&r, 0, sizeof(r));
	switch (m->type) {
	case APF_DISCONNECT:
		sim_dev_close(d, SIM_CLOSE_APF_DISCONNECT,
		    m->u.disconnect.reason);
		return 1;
	case APF_KEEPALIVE_REQUEST:
		/* no-keepalive plays a zombie: silent both ways. */
		if (d->misbehave == SIM_MB_NO_KEEPALIVE)
			return 1;
		r.type = APF_KEEPALIVE_REPLY;
		r.u.keepalive.cookie = m->u.keepalive.cookie;
		f->st.keepalive_probes++;
		if (sim_dev_send(d, &r) != 0)
			sim_dev_close(d, SIM_CLOSE_NO_MEMORY, 0);
		return 1;
	case APF_KEEPALIVE_REPLY:
		if (!(d->flags & SIM_DEVF_KA_PENDING) ||
		    m->u.keepalive.cookie != d->ka_cookie) {
			f->st.keepalive_bad_cookie++;
			return 1;
		}
		d->flags &= ~SIM_DEVF_KA_PENDING;
		f->st.keepalive_replies++;
		return 1;
	case APF_KEEPALIVE_OPTIONS_REQUEST:
		/* Accept what the MPS asks, as AMT does, and echo it. */
		r.type = APF_KEEPALIVE_OPTIONS_REPLY;
		r.u.ka_options = m->u.ka_options;
		f->st.keepalive_options++;
		if (f->opt.keepalive_s == 0 && m->u.ka_options.interval > 0 &&
		    m->u.ka_options.interval != d->ka_interval_s) {
			/* The options arrive once the forwards are done, so
			 * the first keepalive was planned with the default:
			 * plan it again with the negotiated interval. */
			d->ka_interval_s = m->u.ka_options.interval;
			if (d->tlist == SIM_TL_KEEPALIVE)
				sim_fleet_tl_insert(f, SIM_TL_KEEPALIVE, d,
				    sim_fleet_now_ms() +
				    (uint64_t)d->ka_interval_s * 1000);
		}
		if (sim_dev_send(d, &r) != 0)
			sim_dev_close(d, SIM_CLOSE_NO_MEMORY, 0);
		return 1;
	default:
		return 0;
	}
}

/*
 * One decoded message from the MPS.  Returns 0, or a negative code after
 * which the caller closes the tunnel with *why.
 */
static int
sim_dev_handle(struct sim_dev *d, const struct apf_msg *m,
    enum sim_close_reason *why)
{
	struct sim_fleet	*f = d->fleet;
	int			 r;

	*why = SIM_CLOSE_UNEXPECTED_MESSAGE;
	if (sim_dev_common(d, m))
		return 0;
	switch (d->state) {
	case SIM_DEV_VERSION_SENT:
	case SIM_DEV_MISBEHAVED:
		/* Deliberately deaf: waiting for the server to act. */
		return 0;
	case SIM_DEV_AUTH_SERVICE:
		if (m->type != APF_SERVICE_ACCEPT ||
		    !apf_str_eq(m->u.service.name, APF_SERVICE_AUTH))
			break;
		if ((r = sim_dev_send_userauth(d)) != 0)
			*why = SIM_CLOSE_NO_MEMORY;
		return r;
	case SIM_DEV_USERAUTH:
		if (m->type == APF_USERAUTH_FAILURE) {
			f->st.auth_failed++;
			*why = SIM_CLOSE_AUTH_FAILED;
			return MPS_ERR_AUTH;
		}
		if (m->type != APF_USERAUTH_SUCCESS)
			break;
		f->st.authenticated++;
		if (sim_dev_send_service(d, APF_SERVICE_PFWD) != 0) {
			*why = SIM_CLOSE_NO_MEMORY;
			return MPS_ERR_NOMEM;
		}
		sim_dev_set_state(d, SIM_DEV_PFWD_SERVICE);
		return 0;
	case SIM_DEV_PFWD_SERVICE:
		if (m->type != APF_SERVICE_ACCEPT ||
		    !apf_str_eq(m->u.service.name, APF_SERVICE_PFWD))
			break;
		sim_dev_set_state(d, SIM_DEV_FORWARDING);
		if ((r = sim_dev_next_forwards(d)) != 0)
			*why = SIM_CLOSE_NO_MEMORY;
		return r;
	case SIM_DEV_FORWARDING:
	case SIM_DEV_ACTIVE:
		switch (m->type) {
		case APF_REQUEST_SUCCESS:
		case APF_REQUEST_FAILURE:
			if (d->state == SIM_DEV_FORWARDING)
				return sim_dev_on_forward_reply(d, m);
			/* The answer to unknown-request, or a stray one. */
			if (m->type == APF_REQUEST_FAILURE)
				f->st.request_failures++;
			return 0;
		case APF_CHANNEL_OPEN:
			return sim_chan_on_open(d, m);
		case APF_CHANNEL_DATA:
			if ((r = sim_chan_on_data(d, m)) == MPS_ERR_WINDOW)
				*why = SIM_CLOSE_WINDOW_EXCEEDED;
			return r;
		case APF_CHANNEL_WINDOW_ADJUST:
			return sim_chan_on_window(d, m);
		case APF_CHANNEL_CLOSE:
			return sim_chan_on_close(d, m);
		default:
			break;
		}
		break;
	default:
		break;
	}
	sim_fleet_log(f, 1, d, "unexpected %s in state %s",
	    apf_type_name(m->type) ? apf_type_name(m->type) : "?",
	    sim_dev_state_name(d->state));
	return MPS_ERR_STATE;
}

/*
 * REQUEST_SUCCESS is 5 bytes (with the port) when it answers tcpip-forward
 * and 1 byte otherwise; only we know which request it answers.  Our only
 * global requests with a success reply are forwards, so: the port form
 * while any forward is unanswered.
 */
static unsigned int
sim_dev_decode_flags(const struct sim_dev *d)
{
	uint16_t	sent = (uint16_t)((1u << d->fwd_next) - 1);

	if (d->state == SIM_DEV_FORWARDING && (d->fwd_answered & sent) != sent)
		return APF_DEC_REQ_SUCCESS_PORT;
	return 0;
}

/*
 * Decodes and handles every whole message in the TLS input.  APF has no
 * framing, so a message may span reads; the decoder caps every declared
 * length, which bounds what an incomplete message can make us hold.
 */
static void
sim_dev_input(struct sim_dev *d)
{
	struct sim_fleet	*f = d->fleet;
	SSL			*ssl = d->ssl;
	struct evbuffer		*in = d->in;
	size_t			 max_data = f->opt.rx_window;
	size_t			 max_msg = apf_max_message(max_data);
	size_t			 len, want, used;
	const uint8_t		*p;
	struct apf_msg		 m;
	enum sim_close_reason	 why;
	unsigned int		 flags;
	int			 r;

	while ((len = evbuffer_get_length(in)) > 0) {
		want = len < SIM_DEV_PULLUP_FIRST ? len : SIM_DEV_PULLUP_FIRST;
		if ((p = evbuffer_pullup(in, (ev_ssize_t)want)) == NULL)
			goto nomem;
		flags = sim_dev_decode_flags(d);
		r = apf_decode_ex(p, want, max_data, flags, &m, &used);
		if (r == MPS_ERR_INCOMPLETE && want < len) {
			want = len < max_msg ? len : max_msg;
			if ((p = evbuffer_pullup(in, (ev_ssize_t)want)) == NULL)
				goto nomem;
			r = apf_decode_ex(p, want, max_data, flags, &m, &used);
		}
		if (r == MPS_ERR_INCOMPLETE)
			return;
		if (r != 0) {
			sim_fleet_log(f, 1, d, "undecodable input from MPS "
			    "in state %s: %s (first byte %u)",
			    sim_dev_state_name(d->state), mps_strerror(r),
			    p[0]);
			sim_dev_close(d, SIM_CLOSE_PROTOCOL_ERROR, 0);
			return;
		}
		f->st.bytes_in += used;
		r = sim_dev_handle(d, &m, &why);
		/* The connection may have been freed by a close above. */
		if (d->ssl != ssl)
			return;
		if (r != 0) {
			sim_dev_close(d, why, 0);
			return;
		}
		evbuffer_drain(in, used);
	}
	return;
nomem:
	sim_dev_close(d, SIM_CLOSE_NO_MEMORY, 0);
}

/* OpenSSL's error queue must be empty before a call whose result is read
 * with SSL_get_error(); clearing an empty queue is wasted work. */
static void
sim_dev_err_clean(void)
{
	if (ERR_peek_error() != 0)
		ERR_clear_error();
}

/*
 * A TLS call failed for good (err from SSL_get_error(), e the errno right
 * after the call): works out why and closes.  Not every queue entry is
 * about TLS: OpenSSL 3 reports socket failures as ERR_LIB_SYS with the
 * errno as reason.  The newest real TLS error wins, else the errno.
 */
static void
sim_dev_fail(struct sim_dev *d, int err, int e)
{
	struct sim_fleet	*f = d->fleet;
	unsigned long		 l, last = 0;
	int			 so = 0, fd, eof;
	socklen_t		 solen = sizeof(so), sslen;
	struct sockaddr_storage	 ss;
	char			 buf[256];
	enum sim_close_reason	 why;

	eof = err == SSL_ERROR_ZERO_RETURN;
	if (err != SSL_ERROR_SYSCALL)
		e = 0;
	while ((l = ERR_get_error()) != 0) {
		if (ERR_GET_LIB(l) == ERR_LIB_SYS) {
			if (e == 0)
				e = ERR_GET_REASON(l);
		} else if (ERR_GET_LIB(l) != 0)
			last = l;
	}
	if (eof && d->state != SIM_DEV_CONNECTING) {
		sim_dev_close(d, SIM_CLOSE_SERVER_EOF, 0);
		return;
	}
	if (d->state == SIM_DEV_CONNECTING && last == 0) {
		/* The socket may still hold the connect error; and a socket
		 * without a peer never got connected at all. */
		fd = SSL_get_fd(d->ssl);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &solen) == 0 &&
		    so != 0)
			e = so;
		sslen = sizeof(ss);
		if (getpeername(fd, (struct sockaddr *)&ss, &sslen) == -1) {
			why = SIM_CLOSE_CONNECT_FAILED;
			goto out;
		}
	}
	if (last != 0 && ERR_GET_LIB(last) == ERR_LIB_SSL &&
	    ERR_GET_REASON(last) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
		/* OpenSSL 3's name for a TCP close without close_notify. */
		why = SIM_CLOSE_SERVER_EOF;
		last = 0;
	} else if (last != 0) {
		ERR_error_string_n(last, buf, sizeof(buf));
		sim_fleet_log(f, 1, d, "TLS error in %s: %s",
		    sim_dev_state_name(d->state), buf);
		why = SIM_CLOSE_TLS_ERROR;
	} else if (e == ECONNRESET || e == EPIPE)
		why = SIM_CLOSE_RESET;
	else if (e == 0 || eof)
		/* SSL_ERROR_SYSCALL with no errno: the peer went away. */
		why = SIM_CLOSE_SERVER_EOF;
	else
		why = SIM_CLOSE_IO_ERROR;
out:
	if (e != 0 && (why == SIM_CLOSE_RESET || why == SIM_CLOSE_IO_ERROR ||
	    why == SIM_CLOSE_CONNECT_FAILED))
		sim_fleet_log(f, 1, d, "socket error in %s: %s",
		    sim_dev_state_name(d->state), strerror(e));
	sim_dev_close(d, why, 0);
}

/* TLS needs socket room: arm the write event (once). */
static int
sim_dev_arm_write(struct sim_dev *d)
{
	if (d->flags & SIM_DEVF_WANT_WRITE)
		return 0;
	if (event_add(d->wev, NULL) != 0) {
		sim_dev_close(d, SIM_CLOSE_NO_MEMORY, 0);
		return MPS_ERR_NOMEM;
	}
	d->flags |= SIM_DEVF_WANT_WRITE;
	return 0;
}

/*
 * Writes queued output, a TLS record per SSL_write; with whole_only, only
 * full records (mid-round: APF messages are rarely a record's size, and
 * the tail would leave as a record of its own, when the rest of the round
 * may fill it).  Returns 0 when all of it left, 1 when TLS waits for the
 * socket (or the budget is spent: the rest goes in the next loop turn),
 * negative after a close.
 */
static int
sim_dev_write(struct sim_dev *d, int whole_only)
{
	SSL		*ssl = d->ssl;
	const uint8_t	*p;
	size_t		 len, n, done = 0;
	int		 r, err, e;

	if (d->flags & SIM_DEVF_WANT_WRITE)
		return 1;
	while ((len = evbuffer_get_length(d->out)) > 0) {
		if (done >= SIM_DEV_WRITE_BUDGET) {
			event_active(d->rev, EV_WRITE, 0);
			return 1;
		}
		if (len > SIM_DEV_RECORD)
			len = SIM_DEV_RECORD;
		else if (whole_only && len < SIM_DEV_RECORD)
			return 1;
		/* A retry after WANT_WRITE passes the same bytes again, at
		 * least as many, maybe moved: allowed by the SSL modes. */
		if ((p = evbuffer_pullup(d->out, (ev_ssize_t)len)) == NULL) {
			sim_dev_close(d, SIM_CLOSE_NO_MEMORY, 0);
			return MPS_ERR_NOMEM;
		}
		sim_dev_err_clean();
		r = SSL_write_ex(ssl, p, len, &n);
		e = errno;
		if (r != 1) {
			err = SSL_get_error(ssl, 0);
			if (err == SSL_ERROR_WANT_WRITE)
				return sim_dev_arm_write(d) != 0 ? -1 : 1;
			/* Renegotiation: the read event, always armed, brings
			 * the bytes; the flush after that read retries. */
			if (err == SSL_ERROR_WANT_READ)
				return 1;
			sim_dev_fail(d, err, e);
			return MPS_ERR_IO;
		}
		evbuffer_drain(d->out, n);
		done += n;
	}
	return 0;
}

/*
 * The end of an I/O round (whole_only: mid-round, see sim_dev_write()):
 * held credit joins the output, output leaves, and once it is down to half
 * the high mark the channels that stopped on it move again (which may
 * queue more: hence the loop).
 */
static void
sim_dev_flush(struct sim_dev *d, int whole_only)
{
	SSL	*ssl = d->ssl;
	int	 r, credit = !whole_only;

	for (;;) {
		/* Held credit waits for the end of the round: one adjust per
		 * channel and round. */
		if (credit && (d->flags & SIM_DEVF_ADJUST_DUE) &&
		    sim_chan_dev_adjust(d) != 0) {
			sim_dev_close(d, SIM_CLOSE_NO_MEMORY, 0);
			return;
		}
		if ((r = sim_dev_write(d, whole_only)) < 0)
			return;
		if (r == 0 && credit && (d->flags & SIM_DEVF_ADJUST_DUE))
			continue;
		if (!(d->flags & SIM_DEVF_OUT_BLOCKED) ||
		    evbuffer_get_length(d->out) > SIM_DEV_OUT_HIGH / 2)
			return;
		d->flags &= ~SIM_DEVF_OUT_BLOCKED;
		sim_chan_dev_writable(d);
		if (d->ssl != ssl)
			return;
		if (r != 0 || (evbuffer_get_length(d->out) == 0 &&
		    !(credit && (d->flags & SIM_DEVF_ADJUST_DUE))))
			return;
	}
}

/*
 * A read round: SSL_read while OpenSSL holds bytes it read ahead, each
 * piece decoded at once, up to the budget; then the event is activated
 * again if bytes are left, since epoll cannot see them.  Output is written
 * mid-round once enough is queued.  Returns 1 when more input is certain
 * to come soon (a record half read, or the budget spent), 0 otherwise,
 * negative after a close.
 */
static int
sim_dev_read(struct sim_dev *d)
{
	SSL			*ssl = d->ssl;
	struct evbuffer_iovec	 iov;
	size_t			 got = 0, n;
	int			 r, err, e;

	d->flags &= ~SIM_DEVF_READ_WANTS_WRITE;
	do {
		if (evbuffer_reserve_space(d->in, SIM_DEV_READ_CHUNK, &iov,
		    1) < 1) {
			sim_dev_close(d, SIM_CLOSE_NO_MEMORY, 0);
			return MPS_ERR_NOMEM;
		}
		sim_dev_err_clean();
		r = SSL_read_ex(ssl, iov.iov_base, iov.iov_len, &n);
		e = errno;
		if (r != 1) {
			err = SSL_get_error(ssl, 0);
			if (err == SSL_ERROR_WANT_READ)
				return SSL_has_pending(ssl) ? 1 : 0;
			if (err == SSL_ERROR_WANT_WRITE) {
				/* TLS housekeeping (a key update answer)
				 * waits for room; the write event resumes
				 * reading. */
				d->flags |= SIM_DEVF_READ_WANTS_WRITE;
				return sim_dev_arm_write(d);
			}
			sim_dev_fail(d, err, e);
			return MPS_ERR_IO;
		}
		iov.iov_len = n;
		if (evbuffer_commit_space(d->in, &iov, 1) != 0) {
			sim_dev_close(d, SIM_CLOSE_NO_MEMORY, 0);
			return MPS_ERR_NOMEM;
		}
		got += n;
		sim_dev_input(d);
		if (d->ssl != ssl)
			return MPS_ERR_CLOSED;
		if (evbuffer_get_length(d->out) >= SIM_DEV_FLUSH_AT) {
			sim_dev_flush(d, 1);
			if (d->ssl != ssl)
				return MPS_ERR_CLOSED;
		}
	} while (SSL_has_pending(ssl) && got < SIM_DEV_READ_BUDGET);
	if (!SSL_has_pending(ssl))
		return 0;
	event_active(d->rev, EV_READ, 0);
	return 1;
}

/* TCP connected (or failed) and TLS handshake steps. */
static void
sim_dev_handshake(struct sim_dev *d)
{
	SSL	*ssl = d->ssl;
	int	 r, err, e;

	sim_dev_err_clean();
	r = SSL_do_handshake(ssl);
	e = errno;
	if (r != 1) {
		err = SSL_get_error(ssl, r);
		if (err == SSL_ERROR_WANT_READ)
			return;
		if (err == SSL_ERROR_WANT_WRITE) {
			(void)sim_dev_arm_write(d);
			return;
		}
		sim_dev_fail(d, err, e);
		return;
	}
	/* The connect-time write event is not needed any more. */
	if (d->flags & SIM_DEVF_WANT_WRITE) {
		(void)event_del(d->wev);
		d->flags &= ~SIM_DEVF_WANT_WRITE;
	}
	d->flags |= SIM_DEVF_IN_IO;
	sim_dev_tls_up(d);
	if (d->ssl != ssl)
		return;
	/* What arrived with the handshake's last flight sits read ahead,
	 * where epoll cannot see it. */
	if (SSL_has_pending(ssl) && sim_dev_read(d) < 0)
		return;
	sim_dev_flush(d, 0);
	if (d->ssl != ssl)
		return;
	d->flags &= ~SIM_DEVF_IN_IO;
}

/*
 * The read event: EV_READ from the socket or from a read budget spent;
 * EV_WRITE when sends outside this callback asked for a flush.  While the
 * input is known to go on, a last partial TLS record of output (the tail
 * of the round's echo, usually a few bytes) and held credit wait for the
 * next round, which is certain to come, instead of leaving as a tiny
 * record of their own.
 */
static void
sim_dev_readcb(evutil_socket_t fd, short what, void *arg)
{
	struct sim_dev	*d = arg;
	SSL		*ssl = d->ssl;
	int		 more = 0;

	if (d->state == SIM_DEV_CONNECTING) {
		sim_dev_handshake(d);
		return;
	}
	d->flags |= SIM_DEVF_IN_IO;
	if ((what & EV_READ) && (more = sim_dev_read(d)) < 0)
		return;
	sim_dev_flush(d, more && !(what & EV_WRITE));
	if (d->ssl != ssl)
		return;
	d->flags &= ~SIM_DEVF_IN_IO;
}

/* The write event: the socket has room again (or connected). */
static void
sim_dev_writecb(evutil_socket_t fd, short what, void *arg)
{
	struct sim_dev	*d = arg;
	SSL		*ssl = d->ssl;

	d->flags &= ~SIM_DEVF_WANT_WRITE;
	if (d->state == SIM_DEV_CONNECTING) {
		sim_dev_handshake(d);
		return;
	}
	d->flags |= SIM_DEVF_IN_IO;
	if ((d->flags & SIM_DEVF_READ_WANTS_WRITE) && sim_dev_read(d) < 0)
		return;
	sim_dev_flush(d, 0);
	if (d->ssl != ssl)
		return;
	d->flags &= ~SIM_DEVF_IN_IO;
}
