/*
 * forward.c: port forwards (forward.h): local TCP listeners whose
 * connections each become one relay (relay.c) to a device port.
 *
 * A forward names its device by GUID, not by connection: the connection is
 * looked up at every accept, so a device that reconnects is forwarded to
 * again without anyone touching the forward.  The relays themselves belong
 * to the connection they were opened on and end with it (relay_dev_gone),
 * which tells us through the closed callback.
 *
 * Forwards come from two places, the configuration (forwards:, opened by
 * forward_start before any device connects) and forward.open; once open
 * they are the same thing, and forward.list tells them apart by origin.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "forward.h"
#include "server.h"

struct fwd;

struct fwd_conn {
	LIST_ENTRY(fwd_conn)	 link;
	struct fwd		*f;
	struct relay		*r;
};

enum fwd_origin {
	FWD_ORIGIN_CONTROL = 0,	/* forward.open */
	FWD_ORIGIN_CONFIG,	/* forwards: in amt-mps.yaml */
};

struct fwd {
	TAILQ_ENTRY(fwd)	 link;
	uint32_t		 id;
	enum fwd_origin		 origin;
	uint32_t		 port;		/* device port */
	char			 guid[APF_GUID_STRLEN + 1];
	char			 listen[PEER_STRLEN];	/* as bound */
	int			 fd;
	struct event		*ev;
	LIST_HEAD(, fwd_conn)	 conns;
	uint32_t		 nconns;
	/* cumulative */
	uint64_t		 accepted;	/* relayed */
	uint64_t		 refused;	/* device away, limit, error */
	uint64_t		 bytes_in;	/* to the device, ended conns */
	uint64_t		 bytes_out;	/* from it, ended conns */
	time_t			 created;
};

/* Every config forward must fit under the global cap. */
_Static_assert(CONFIG_MAX_FORWARDS <= FWD_MAX, "forwards: exceeds FWD_MAX");

static TAILQ_HEAD(, fwd) fwd_all = TAILQ_HEAD_INITIALIZER(fwd_all);
static uint32_t	fwd_n;
static uint32_t	fwd_last_id;

static const char *fwd_state_names[] = {
#define FWD_STATE_NAME(name, str) str,
	FWD_STATES(FWD_STATE_NAME)
#undef FWD_STATE_NAME
};

const char *
forward_state_name(enum fwd_state st)
{
	if ((unsigned)st >= FWD_STATE_MAX)
		return "?";
	return fwd_state_names[st];
}

uint32_t
forward_count(void)
{
	return fwd_n;
}

/*
 * The device's active connection, or NULL while it has no tunnel or has
 * not (yet) forwarded the port: right after a reconnect the tcpip-forward
 * requests follow authentication, and until then an open would fail.
 */
static struct dev_conn *
fwd_dev(const struct fwd *f)
{
	struct reg_node	*n;
	struct dev_conn	*c;

	if ((n = registry_find(&srv->reg, f->guid)) == NULL)
		return NULL;
	c = dev_from_reg(n);
	if (c == NULL || c->state != DEV_ACTIVE || c->sess == NULL ||
	    !apf_session_is_forwarded(c->sess, f->port))
		return NULL;
	return c;
}

static enum fwd_state
fwd_state(const struct fwd *f)
{
	return fwd_dev(f) != NULL ? FWD_ACTIVE : FWD_WAITING;
}

static void
fwd_conn_closed(struct relay *r, void *arg, int err, uint32_t apf_reason)
{
	struct fwd_conn		*fc = arg;
	struct fwd		*f = fc->f;
	const struct relay_stats *st = relay_get_stats(r);

	f->bytes_in += st->bytes_in;
	f->bytes_out += st->bytes_out;
	if (err != 0)
		log_msg(LOG_LEVEL_DEBUG, "forward %u: connection to %s port %u "
		    "ended: %s%s%s", f->id, f->guid, f->port, mps_strerror(err),
		    err == MPS_ERR_OPEN_REFUSED ? ": " : "",
		    err == MPS_ERR_OPEN_REFUSED ?
		    relay_open_reason_str(apf_reason) : "");
	LIST_REMOVE(fc, link);
	f->nconns--;
	free(fc);
}

static const struct relay_cb fwd_relay_cb = {
	.opened = NULL,
	.closed = fwd_conn_closed,
};

static void
fwd_accept_one(struct fwd *f, int fd)
{
	struct dev_conn	*c;
	struct fwd_conn	*fc;
	int		 err, one = 1;

	/* Refused connections are closed at once: the tool sees EOF. */
	if ((c = fwd_dev(f)) == NULL ||
	    f->nconns >= srv->cfg->forward.connections ||
	    server_fds_spare() <= 0) {
		f->refused++;
		close(fd);
		return;
	}
	if ((fc = calloc(1, sizeof(*fc))) == NULL) {
		f->refused++;
		close(fd);
		return;
	}
	fc->f = f;
	/* Keystrokes (SOL, VNC) must leave at once. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((fc->r = relay_new(c, fd, f->port, &fwd_relay_cb, fc,
	    &err)) == NULL) {
		/* relay_new closed fd. */
		log_msg(LOG_LEVEL_DEBUG, "forward %u: %s", f->id,
		    mps_strerror(err));
		f->refused++;
		free(fc);
		return;
	}
	LIST_INSERT_HEAD(&f->conns, fc, link);
	f->nconns++;
	f->accepted++;
}

static void
fwd_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct fwd	*f = arg;
	int		 fd, i;

	for (i = 0; i < FWD_ACCEPT_BURST; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_msg(LOG_LEVEL_WARN, "forward %u: "
				    "accept: %s", f->id, strerror(errno));
			return;
		}
		fwd_accept_one(f, fd);
	}
}

/*
 * "127.0.0.1:5900", "[::1]:0", "127.0.0.1" (port 0), "localhost:N".
 * Only loopback addresses unless forward.allow_non_loopback: a forward
 * hands out the device's ports without any authentication of its own.
 */
static int
fwd_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len,
    char *errbuf, size_t errlen)
{
	char		 host[256], *port, *end;
	const char	*colon;
	unsigned long	 p = 0;
	struct sockaddr_in  *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strlen(s) >= sizeof(host)) {
		snprintf(errbuf, errlen, "listen address too long");
		return MPS_ERR_USAGE;
	}
	if (s[0] == '[') {
		if ((colon = strchr(s, ']')) == NULL) {
			snprintf(errbuf, errlen, "missing ']' in \"%.64s\"", s);
			return MPS_ERR_USAGE;
		}
		memcpy(host, s + 1, (size_t)(colon - s - 1));
		host[colon - s - 1] = '\0';
		port = colon[1] == ':' ? (char *)colon + 2 : NULL;
		if (colon[1] != '\0' && colon[1] != ':') {
			snprintf(errbuf, errlen, "bad listen address \"%.64s\"",
			    s);
			return MPS_ERR_USAGE;
		}
	} else {
		snprintf(host, sizeof(host), "%s", s);
		if ((port = strrchr(host, ':')) != NULL &&
		    strchr(host, ':') == port)
			*port++ = '\0';
		else
			port = NULL;
	}
	if (port != NULL) {
		errno = 0;
		p = strtoul(port, &end, 10);
		if (*port == '\0' || *end != '\0' || errno != 0 || p > 65535) {
			snprintf(errbuf, errlen, "bad port in \"%.64s\"", s);
			return MPS_ERR_USAGE;
		}
	}
	if (strcmp(host, "localhost") == 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		*len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*sin6);
	} else {
		snprintf(errbuf, errlen, "\"%.64s\" is not an IP address",
		    host);
		return MPS_ERR_USAGE;
	}
	if (!srv->cfg->forward.allow_non_loopback &&
	    !config_addr_is_loopback(host)) {
		snprintf(errbuf, errlen, "%.64s is not a loopback address: "
		    "forwards listen on loopback only (127.0.0.0/8, ::1) "
		    "unless forward.allow_non_loopback is true in the "
		    "configuration file", host);
		return MPS_ERR_USAGE;
	}
	return 0;
}

static json_t *
fwd_to_json(const struct fwd *f)
{
	const struct fwd_conn	*fc;
	const struct relay_stats *st;
	uint64_t		 in = f->bytes_in, out = f->bytes_out;
	char			 ts[ISO8601_LEN];

	LIST_FOREACH(fc, &f->conns, link) {
		st = relay_get_stats(fc->r);
		in += st->bytes_in;
		out += st->bytes_out;
	}
	return json_pack("{s:I, s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:I, "
	    "s:I, s:I, s:s}",
	    "id", (json_int_t)f->id,
	    "origin", f->origin == FWD_ORIGIN_CONFIG ? "config" : "control",
	    "guid", f->guid,
	    "port", (json_int_t)f->port,
	    "listen", f->listen,
	    "state", forward_state_name(fwd_state(f)),
	    "connections", (json_int_t)f->nconns,
	    "accepted", (json_int_t)f->accepted,
	    "refused", (json_int_t)f->refused,
	    "bytes_in", (json_int_t)in,
	    "bytes_out", (json_int_t)out,
	    "created", util_iso8601(f->created, ts));
}

static void
fwd_free(struct fwd *f)
{
	struct fwd_conn	*fc;

	/* relay_close: no callback runs, so the list is ours to empty. */
	while ((fc = LIST_FIRST(&f->conns)) != NULL) {
		LIST_REMOVE(fc, link);
		relay_close(fc->r);
		free(fc);
	}
	if (f->ev != NULL)
		event_free(f->ev);
	if (f->fd >= 0)
		close(f->fd);
	TAILQ_REMOVE(&fwd_all, f, link);
	fwd_n--;
	free(f);
}

static struct fwd *
fwd_find(uint32_t id)
{
	struct fwd	*f;

	TAILQ_FOREACH(f, &fwd_all, link)
		if (f->id == id)
			return f;
	return NULL;
}

/*
 * Binds ss and sets up a forward to guid's port.  0 with *out set, or
 * MPS_ERR_IO (errno's words in err) / MPS_ERR_NOMEM.
 */
static int
fwd_new(const struct sockaddr_storage *ss, socklen_t sslen, const char *guid,
    uint32_t port, enum fwd_origin origin, struct fwd **out, char *err,
    size_t errlen)
{
	struct sockaddr_storage	 bound;
	struct peer_addr	 pa;
	struct fwd		*f;
	socklen_t		 blen = sizeof(bound);
	int			 fd, one = 1;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) != 0 || bind(fd, (const struct sockaddr *)ss,
	    sslen) != 0 || listen(fd, 64) != 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return MPS_ERR_IO;
	}
	if (getsockname(fd, (struct sockaddr *)&bound, &blen) != 0 ||
	    util_peer_set(&pa, (struct sockaddr *)&bound, blen) != 0 ||
	    (f = calloc(1, sizeof(*f))) == NULL) {
		close(fd);
		snprintf(err, errlen, "cannot set up the forward");
		return MPS_ERR_NOMEM;
	}
	f->fd = fd;
	if ((f->ev = event_new(srv->base, fd, EV_READ | EV_PERSIST,
	    fwd_accept_cb, f)) == NULL || event_add(f->ev, NULL) != 0) {
		if (f->ev != NULL)
			event_free(f->ev);
		close(fd);
		free(f);
		snprintf(err, errlen, "cannot set up the forward");
		return MPS_ERR_NOMEM;
	}
	f->id = ++fwd_last_id;
	f->origin = origin;
	f->port = port;
	snprintf(f->guid, sizeof(f->guid), "%s", guid);
	util_peer_str(&pa, f->listen);
	f->created = time(NULL);
	LIST_INIT(&f->conns);
	TAILQ_INSERT_TAIL(&fwd_all, f, link);
	fwd_n++;
	log_msg(LOG_LEVEL_INFO, "forward %u: %s -> %s port %u%s", f->id,
	    f->listen, f->guid, f->port, origin == FWD_ORIGIN_CONFIG ?
	    " (configured)" : "");
	*out = f;
	return 0;
}

int
forward_ctl_open(struct ctl_client *cc, struct ctl_req *req, json_t *params)
{
	struct dev_conn		*c;
	struct fwd		*f, *g;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	const char		*listen_s = "127.0.0.1:0";
	json_t			*jp, *jl;
	json_int_t		 port;
	uint32_t		 per_dev = 0, per_max;
	char			 err[256];
	int			 r;

	jp = json_object_get(params, "port");
	if (!json_is_integer(jp) || (port = json_integer_value(jp)) < 1 ||
	    port > 65535) {
		ctl_req_fail(req, CTL_INVALID_PARAMS, 0, NULL, "parameter "
		    "\"port\" must be a device port (1-65535)");
		return CTL_DONE;
	}
	if ((jl = json_object_get(params, "listen")) != NULL &&
	    !json_is_null(jl)) {
		if (!json_is_string(jl)) {
			ctl_req_fail(req, CTL_INVALID_PARAMS, 0, NULL,
			    "parameter \"listen\" must be \"ADDR:PORT\"");
			return CTL_DONE;
		}
		listen_s = json_string_value(jl);
	}
	if ((r = fwd_parse_listen(listen_s, &ss, &sslen, err,
	    sizeof(err))) != 0) {
		ctl_req_fail(req, CTL_INVALID_PARAMS, 0, NULL, "%s", err);
		return CTL_DONE;
	}
	if ((c = ctl_device(req, params)) == NULL)
		return CTL_DONE;
	if (!apf_session_is_forwarded(c->sess, (uint32_t)port)) {
		ctl_req_fail(req, CTL_OPERATION_FAILED, MPS_ERR_PORT,
		    json_pack("{s:s, s:I}", "guid", c->reg.guid, "port", port),
		    "device %s did not forward port %d (tcpip-forward)",
		    c->reg.guid, (int)port);
		return CTL_DONE;
	}
	/* Configured forwards count too: the limit is per device. */
	TAILQ_FOREACH(g, &fwd_all, link)
		if (strcmp(g->guid, c->reg.guid) == 0)
			per_dev++;
	per_max = srv->cfg->forward.per_device;
	if (fwd_n >= FWD_MAX) {
		ctl_req_fail(req, CTL_OPERATION_FAILED, MPS_ERR_LIMIT, NULL,
		    "too many forwards: %u open, at most %u; close one "
		    "(forward.close)", fwd_n, FWD_MAX);
		return CTL_DONE;
	}
	if (per_dev >= per_max) {
		ctl_req_fail(req, CTL_OPERATION_FAILED, MPS_ERR_LIMIT, NULL,
		    "too many forwards for device %s: %u open, at most %u "
		    "(forward.per_device in the configuration file); close "
		    "one (forward.close)", c->reg.guid, per_dev, per_max);
		return CTL_DONE;
	}
	if ((r = fwd_new(&ss, sslen, c->reg.guid, (uint32_t)port,
	    FWD_ORIGIN_CONTROL, &f, err, sizeof(err))) != 0) {
		if (r == MPS_ERR_IO)
			ctl_req_fail(req, CTL_OPERATION_FAILED, MPS_ERR_IO,
			    NULL, "cannot listen on %s: %s", listen_s, err);
		else
			ctl_req_fail(req, CTL_OPERATION_FAILED, r, NULL, "%s",
			    err);
		return CTL_DONE;
	}
	ctl_req_ok(req, fwd_to_json(f));
	return CTL_DONE;
}

int
forward_ctl_list(struct ctl_client *cc, struct ctl_req *req, json_t *params)
{
	struct fwd	*f;
	json_t		*a = json_array();

	TAILQ_FOREACH(f, &fwd_all, link)
		json_array_append_new(a, fwd_to_json(f));
	ctl_req_ok(req, json_pack("{s:o}", "forwards", a));
	return CTL_DONE;
}

int
forward_ctl_close(struct ctl_client *cc, struct ctl_req *req, json_t *params)
{
	struct fwd	*f;
	json_t		*ji = json_object_get(params, "id");
	json_int_t	 id;

	if (!json_is_integer(ji) || (id = json_integer_value(ji)) < 1 ||
	    id > UINT32_MAX) {
		ctl_req_fail(req, CTL_INVALID_PARAMS, 0, NULL, "parameter "
		    "\"id\" must be a forward id (forward.list)");
		return CTL_DONE;
	}
	if ((f = fwd_find((uint32_t)id)) == NULL) {
		ctl_req_fail(req, CTL_OPERATION_FAILED, MPS_ERR_NOT_FOUND,
		    NULL, "no forward %lld", (long long)id);
		return CTL_DONE;
	}
	log_msg(LOG_LEVEL_INFO, "forward %u closed (%u connections cut)", f->id,
	    f->nconns);
	fwd_free(f);
	ctl_req_ok(req, json_pack("{s:I, s:b}", "id", id, "closed", 1));
	return CTL_DONE;
}

void
forward_shutdown(void)
{
	struct fwd	*f;

	while ((f = TAILQ_FIRST(&fwd_all)) != NULL)
		fwd_free(f);
}

int
forward_start(const struct mps_config *cfg)
{
	const struct config_forward	*cf;
	struct sockaddr_storage		 ss;
	struct fwd			*f;
	socklen_t			 sslen;
	char				 addr[80], err[256];
	size_t				 i;
	int				 r;

	for (i = 0; i < cfg->nforwards; i++) {
		cf = &cfg->forwards[i];
		config_listen_str(&cf->listen, addr, sizeof(addr));
		/* The loader checked the address; this only makes a sockaddr. */
		if ((r = fwd_parse_listen(addr, &ss, &sslen, err,
		    sizeof(err))) == 0)
			r = fwd_new(&ss, sslen, cf->device, cf->port,
			    FWD_ORIGIN_CONFIG, &f, err, sizeof(err));
		if (r != 0) {
			log_warnx("forwards[%zu] (%s port %u): cannot listen on "
			    "%s: %s; free the address or change the entry in "
			    "%s", i, cf->device, cf->port, addr, err,
			    cfg->path != NULL ? cfg->path : "the configuration");
			forward_shutdown();
			return r;
		}
	}
	return 0;
}
