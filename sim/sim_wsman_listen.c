/*
 * sim_wsman_listen.c: the WS-Man responder of device 0 on a local TCP
 * port (--wsman-listen, --wsman-listen-tls), for debugging and tests:
 * curl, wsmancli or a script can talk to a simulated AMT without an MPS
 * in between.  The same connection code (sim_wconn.c) as the channels,
 * with the socket as transport; the TLS port speaks TLS on the socket as
 * 16993 does inside a channel.
 */
#include <sys/socket.h>

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "mps_err.h"
#include "sim_wsman.h"

/* Socket output buffered at most before the responder waits. */
#define SIM_WSMAN_LISTEN_OUT_MAX	(256 * 1024)
#define SIM_WSMAN_LISTEN_MAX_CONNS	64

/* One accepted connection. */
struct sim_wsman_listen_conn {
	struct sim_wsman	*w;
	struct bufferevent	*bev;
	struct sim_wconn	*c;
	struct event		*reap_ev;	/* frees us, outside wconn */
	struct sim_wsman_listen_conn	*prev, *next;
	int			 closing;
};

/* Listener context: which machine and port semantics. */
struct sim_wsman_listen_ctx {
	struct sim_wsman	*w;
	struct sim_amt		*a;
	uint32_t		 port;		/* 16992 or 16993 */
	struct sim_wsman_listen_conn	*conns;
	uint32_t		 nconns;
};

static void
sim_wsman_listen_conn_free(struct sim_wsman_listen_ctx *lx,
    struct sim_wsman_listen_conn *lc)
{
	if (lc->prev != NULL)
		lc->prev->next = lc->next;
	else
		lx->conns = lc->next;
	if (lc->next != NULL)
		lc->next->prev = lc->prev;
	lx->nconns--;
	sim_wconn_free(lc->c);
	if (lc->reap_ev != NULL)
		event_free(lc->reap_ev);
	bufferevent_free(lc->bev);
	free(lc);
}

static struct sim_wsman_listen_ctx *
sim_wsman_listen_conn_ctx(const struct sim_wsman_listen_conn *lc)
{
	return lc->w->listen_ctx[lc->c->port == 16993 ? 1 : 0];
}

static size_t
sim_wsman_listen_conn_room(void *arg)
{
	struct sim_wsman_listen_conn	*lc = arg;
	size_t			 used;

	if (lc->closing)
		return 0;
	used = evbuffer_get_length(bufferevent_get_output(lc->bev));
	return used >= SIM_WSMAN_LISTEN_OUT_MAX ? 0 :
	    SIM_WSMAN_LISTEN_OUT_MAX - used;
}

static int
sim_wsman_listen_conn_write(void *arg, const void *p, size_t len)
{
	struct sim_wsman_listen_conn	*lc = arg;

	return bufferevent_write(lc->bev, p, len) == 0 ? 0 : MPS_ERR_NOMEM;
}

/* Close once the output has left: the write callback or the reaper. */
static void
sim_wsman_listen_conn_close(void *arg)
{
	struct sim_wsman_listen_conn	*lc = arg;

	lc->closing = 1;
	bufferevent_disable(lc->bev, EV_READ);
	event_active(lc->reap_ev, EV_TIMEOUT, 0);
}

static const struct sim_wconn_io sim_wsman_listen_conn_io = {
	.room = sim_wsman_listen_conn_room,
	.write = sim_wsman_listen_conn_write,
	.close = sim_wsman_listen_conn_close,
};

/* Hand buffered socket input to the responder, as much as it takes. */
static void
sim_wsman_listen_conn_feed(struct sim_wsman_listen_conn *lc)
{
	struct evbuffer		*in = bufferevent_get_input(lc->bev);
	struct evbuffer_iovec	 v;
	size_t			 n;

	while (!lc->closing && evbuffer_peek(in, -1, NULL, &v, 1) > 0) {
		n = sim_wconn_input(lc->c, v.iov_base, v.iov_len);
		evbuffer_drain(in, n);
		if (n < v.iov_len)
			break;	/* full: continue when output drains */
	}
}

static void
sim_wsman_listen_conn_readcb(struct bufferevent *bev, void *arg)
{
	sim_wsman_listen_conn_feed(arg);
}

static void
sim_wsman_listen_conn_writecb(struct bufferevent *bev, void *arg)
{
	struct sim_wsman_listen_conn	*lc = arg;

	if (lc->closing) {
		sim_wsman_listen_conn_free(sim_wsman_listen_conn_ctx(lc), lc);
		return;
	}
	sim_wconn_writable(lc->c);
	sim_wsman_listen_conn_feed(lc);
}

static void
sim_wsman_listen_conn_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct sim_wsman_listen_conn	*lc = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		sim_wsman_listen_conn_free(sim_wsman_listen_conn_ctx(lc), lc);
}

static void
sim_wsman_listen_conn_reapcb(evutil_socket_t fd, short what, void *arg)
{
	struct sim_wsman_listen_conn	*lc = arg;

	/* Output still queued: the write callback frees us when it left. */
	if (evbuffer_get_length(bufferevent_get_output(lc->bev)) == 0)
		sim_wsman_listen_conn_free(sim_wsman_listen_conn_ctx(lc), lc);
}

static void
sim_wsman_listen_acceptcb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct sim_wsman_listen_ctx		*lx = arg;
	struct event_base	*base = evconnlistener_get_base(l);
	struct sim_wsman_listen_conn	*lc;

	if (lx->nconns >= SIM_WSMAN_LISTEN_MAX_CONNS ||
	    (lc = calloc(1, sizeof(*lc))) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	lc->w = lx->w;
	lc->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	lc->reap_ev = evtimer_new(base, sim_wsman_listen_conn_reapcb, lc);
	lc->c = sim_wconn_new(lx->w, lx->a, lx->port,
	    sim_wsman_dev_faults(lx->w, lx->a->index),
	    &sim_wsman_listen_conn_io, lc);
	if (lc->bev == NULL || lc->reap_ev == NULL || lc->c == NULL) {
		if (lc->c != NULL)
			sim_wconn_free(lc->c);
		if (lc->reap_ev != NULL)
			event_free(lc->reap_ev);
		if (lc->bev != NULL)
			bufferevent_free(lc->bev);
		else
			evutil_closesocket(fd);
		free(lc);
		return;
	}
	lc->next = lx->conns;
	if (lx->conns != NULL)
		lx->conns->prev = lc;
	lx->conns = lc;
	lx->nconns++;
	bufferevent_setcb(lc->bev, sim_wsman_listen_conn_readcb,
	    sim_wsman_listen_conn_writecb, sim_wsman_listen_conn_eventcb, lc);
	/* Stop reading while the responder holds its input cap. */
	bufferevent_setwatermark(lc->bev, EV_READ, 0, SIM_WCONN_IN_MAX);
	bufferevent_enable(lc->bev, EV_READ | EV_WRITE);
}

static int
sim_wsman_listen_one(struct sim_wsman *w, int i, const char *spec,
    struct sim_amt *a, char *err, size_t errlen)
{
	struct sim_wsman_listen_ctx	*lx;
	struct addrinfo			 hints, *res = NULL;
	char				 host[256];
	const char			*colon, *port;
	size_t				 hl;

	/* HOST:PORT or [V6]:PORT */
	if (spec[0] == '[') {
		if ((colon = strstr(spec, "]:")) == NULL)
			goto usage;
		hl = (size_t)(colon - spec - 1);
		memcpy(host, spec + 1, hl < sizeof(host) ? hl : 0);
		port = colon + 2;
	} else {
		if ((colon = strrchr(spec, ':')) == NULL)
			goto usage;
		hl = (size_t)(colon - spec);
		memcpy(host, spec, hl < sizeof(host) ? hl : 0);
		port = colon + 1;
	}
	if (hl == 0 || hl >= sizeof(host))
		goto usage;
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL)
		goto usage;
	if ((lx = calloc(1, sizeof(*lx))) == NULL) {
		freeaddrinfo(res);
		snprintf(err, errlen, "out of memory");
		return MPS_ERR_NOMEM;
	}
	lx->w = w;
	lx->a = a;
	lx->port = i == 1 ? 16993 : 16992;
	w->listen_ctx[i] = lx;
	w->listener[i] = evconnlistener_new_bind(w->base,
	    sim_wsman_listen_acceptcb, lx, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 16, res->ai_addr,
	    (int)res->ai_addrlen);
	freeaddrinfo(res);
	if (w->listener[i] == NULL) {
		snprintf(err, errlen, "cannot listen on %s", spec);
		return MPS_ERR_IO;
	}
	return 0;
usage:
	snprintf(err, errlen, "bad listen address \"%s\" (HOST:PORT)", spec);
	return MPS_ERR_USAGE;
}

int
sim_wsman_listen_start(struct sim_wsman *w, struct sim_amt *a, char *err,
    size_t errlen)
{
	int	r;

	if (w->base == NULL || a == NULL) {
		snprintf(err, errlen, "no event loop or device for the "
		    "listener");
		return MPS_ERR_USAGE;
	}
	if (w->cfg.listen != NULL &&
	    (r = sim_wsman_listen_one(w, 0, w->cfg.listen, a, err,
	    errlen)) != 0)
		return r;
	if (w->cfg.listen_tls != NULL &&
	    (r = sim_wsman_listen_one(w, 1, w->cfg.listen_tls, a, err,
	    errlen)) != 0)
		return r;
	return 0;
}

void
sim_wsman_listen_stop(struct sim_wsman *w)
{
	int	i;

	for (i = 0; i < 2; i++) {
		if (w->listener[i] != NULL)
			evconnlistener_free(w->listener[i]);
		w->listener[i] = NULL;
		if (w->listen_ctx[i] == NULL)
			continue;
		while (w->listen_ctx[i]->conns != NULL)
			sim_wsman_listen_conn_free(w->listen_ctx[i],
			    w->listen_ctx[i]->conns);
		free(w->listen_ctx[i]);
		w->listen_ctx[i] = NULL;
	}
}
