/*
 * listener.c: the CIRA listening sockets and the accept gate.
 *
 * Accepting is paused, never refused, when the daemon is saturated: while
 * limits.handshakes_in_flight TLS handshakes or limits.max_unauthenticated
 * pre-auth connections are in flight, and while free descriptors are
 * below limits.fd_reserve.  Waiting connections stay in the kernel's
 * backlog (devices retry anyway).  accept() failing with EMFILE/ENFILE
 * pauses for one second, as tmux and relayd do, because a readable
 * listener we cannot accept from would otherwise spin the loop.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "server.h"

#define LISTEN_BACKLOG		4096	/* capped by net.core.somaxconn */
#define LISTEN_BATCH		64	/* accepts per wakeup: be fair */

struct listener {
	int		 fd;
	struct event	*ev;
	char		 name[PEER_STRLEN];
};

static struct listener	 listeners[CONFIG_MAX_LISTEN];
static size_t		 nlisteners;
static int		 listen_paused;		/* events removed */
static int		 listen_emfile;		/* 1 s back-off running */
static struct event	*listen_retry_ev;
static struct log_ratelimit listen_rl =
    LOG_RATELIMIT_INIT("accept", 10, 5);

static void	listener_accept_cb(evutil_socket_t, short, void *);

static void
listener_retry_cb(evutil_socket_t fd, short ev, void *arg)
{
	listen_emfile = 0;
	listener_update();
}

static int
listener_open(const struct config_listen *cl, struct listener *l)
{
	struct addrinfo	 hints, *ai = NULL;
	char		 port[8];
	int		 fd = -1, one = 1, r;

	snprintf(port, sizeof(port), "%u", cl->port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if ((r = getaddrinfo(cl->address, port, &hints, &ai)) != 0) {
		log_warnx("listen %s port %u: %s", cl->address, cl->port,
		    gai_strerror(r));
		return MPS_ERR_CONFIG;
	}
	snprintf(l->name, sizeof(l->name), ai->ai_family == AF_INET6 ?
	    "[%s]:%u" : "%s:%u", cl->address, cl->port);
	if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		goto fail;
	/* "::" and "0.0.0.0" can then both be listed. */
	if (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) == -1)
		goto fail;
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1)
		goto fail;
	if (listen(fd, LISTEN_BACKLOG) == -1)
		goto fail;
	freeaddrinfo(ai);
	l->fd = fd;
	if ((l->ev = event_new(srv->base, fd, EV_READ | EV_PERSIST,
	    listener_accept_cb, l)) == NULL) {
		close(fd);
		return MPS_ERR_NOMEM;
	}
	return 0;

fail:
	log_warn("cannot listen on %s", l->name);
	if (fd != -1)
		close(fd);
	freeaddrinfo(ai);
	return MPS_ERR_IO;
}

int
listener_init(const struct mps_config *cfg)
{
	size_t	i;
	int	r;

	for (i = 0; i < cfg->nlisten && i < CONFIG_MAX_LISTEN; i++) {
		if ((r = listener_open(&cfg->listen[i], &listeners[i])) != 0) {
			nlisteners = i;
			listener_shutdown();
			return r;
		}
		event_add(listeners[i].ev, NULL);
		log_info("listening on %s", listeners[i].name);
	}
	nlisteners = i;
	if ((listen_retry_ev = evtimer_new(srv->base, listener_retry_cb,
	    NULL)) == NULL)
		return MPS_ERR_NOMEM;
	return 0;
}

/* Why accepting must wait now, or NULL. */
static const char *
listener_gate(void)
{
	const struct mps_config	*cfg = srv->cfg;

	if (srv->shutting_down)
		return "shutting down";
	if (listen_emfile)
		return "out of file descriptors";
	if (server_fds_spare() <= 0)
		return "file descriptor reserve reached";
	if (dev_count(DEV_HANDSHAKE) >= cfg->limits.handshakes_in_flight)
		return "handshakes_in_flight reached";
	if (dev_count(DEV_HANDSHAKE) + dev_count(DEV_APF) >=
	    cfg->limits.max_unauthenticated)
		return "max_unauthenticated reached";
	return NULL;
}

static void
listener_set_paused(int pause, const char *why)
{
	size_t	i;

	if (pause == listen_paused)
		return;
	listen_paused = pause;
	for (i = 0; i < nlisteners; i++) {
		if (pause)
			event_del(listeners[i].ev);
		else
			event_add(listeners[i].ev, NULL);
	}
	if (pause) {
		srv->stats.accept_paused++;
		if (log_ratelimit(&listen_rl, util_mono()))
			log_info("event=accept-paused reason=\"%s\"", why);
	} else
		log_debug("event=accept-resumed");
}

void
listener_update(void)
{
	const char	*why;

	if (nlisteners == 0)
		return;
	why = listener_gate();
	listener_set_paused(why != NULL, why);
}

static void
listener_accept_cb(evutil_socket_t lfd, short ev, void *arg)
{
	struct listener		*l = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	const char		*why;
	int			 fd, i;

	for (i = 0; i < LISTEN_BATCH; i++) {
		if ((why = listener_gate()) != NULL) {
			listener_set_paused(1, why);
			return;
		}
		len = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			switch (errno) {
			case EAGAIN:
			case EINTR:
				return;
			case EMFILE:
			case ENFILE:
				if (log_ratelimit(&listen_rl, util_mono()))
					log_warn("accept on %s", l->name);
				listen_emfile = 1;
				listener_set_paused(1,
				    "out of file descriptors");
				{
					struct timeval tv = { 1, 0 };

					evtimer_add(listen_retry_ev, &tv);
				}
				return;
			default:
				/* ECONNABORTED and friends: that peer only. */
				continue;
			}
		}
		dev_accept(fd, (struct sockaddr *)&ss, len);
	}
}

void
listener_shutdown(void)
{
	size_t	i;

	for (i = 0; i < nlisteners; i++) {
		if (listeners[i].ev != NULL)
			event_free(listeners[i].ev);
		if (listeners[i].fd != -1)
			close(listeners[i].fd);
		listeners[i].ev = NULL;
		listeners[i].fd = -1;
	}
	nlisteners = 0;
	listen_paused = 0;
	if (listen_retry_ev != NULL)
		event_free(listen_retry_ev);
	listen_retry_ev = NULL;
}
