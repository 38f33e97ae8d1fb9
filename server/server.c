/*
 * server.c: the daemon's life: startup, the 1 s tick, signals, reload,
 * clean shutdown.
 */
#include <sys/types.h>
#include <sys/resource.h>

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "passwd.h"
#include "forward.h"
#include "server.h"
#include "ops.h"
#include "transport.h"

#define SERVER_EXIT_GRACE	3	/* s for goodbyes at shutdown */
#define SERVER_FD_SLACK		16	/* descriptors libraries may open */
#define SERVER_TRIM_INTERVAL	5	/* s between heap trims after churn */

static struct mps_server	 the_server;
struct mps_server		*srv = &the_server;

int
server_fds_spare(void)
{
	/* Relays hold one descriptor each, the transport its listeners
	 * and curl's ends of the connections. */
	return srv->fd_limit - srv->fd_base - (int)dev_count_all() -
	    (int)ctl_busy() - (int)relay_count() - (int)transport_fds() -
	    (int)srv->cfg->limits.fd_reserve;
}

/* Built-in first-try policy: any GUID with the demo credentials. */
static int
server_demo_devices(struct devices *d)
{
	char	hash[PASSWD_HASH_MAX];
	int	r;

	if ((r = passwd_hash(MPS_DEMO_PASSWORD, strlen(MPS_DEMO_PASSWORD), 0,
	    hash, sizeof(hash))) != 0)
		return r;
	d->accept_unknown = 1;
	if ((d->defaults.mps_username = strdup(MPS_DEMO_USER)) == NULL ||
	    (d->defaults.mps_password_hash = strdup(hash)) == NULL ||
	    (d->defaults.amt_username = strdup("admin")) == NULL ||
	    (d->defaults.amt_password = strdup(MPS_DEMO_PASSWORD)) == NULL)
		return MPS_ERR_NOMEM;
	return 0;
}

int
server_load_devices(const struct mps_config *cfg, int builtin,
    struct devices **out, int *demo, struct config_err *err)
{
	struct devices	*d;
	int		 r;

	*out = NULL;
	*demo = 0;
	if (cfg->devices_file != NULL)
		return devices_load(cfg->devices_file, out, err);
	if ((d = devices_new_empty()) == NULL)
		return MPS_ERR_NOMEM;
	if (builtin) {
		if ((r = server_demo_devices(d)) != 0) {
			devices_free(d);
			snprintf(err->msg, sizeof(err->msg), "demo credentials: "
			    "%s", mps_strerror(r));
			return r;
		}
		*demo = 1;
	}
	*out = d;
	return 0;
}

static void
server_devices_announce(void)
{
	if (srv->demo) {
		log_warnx("WARNING: no devices file: DEMO policy in force: any "
		    "device GUID is accepted with MPS username \"%s\" and "
		    "password \"%s\".  Do not expose this; configure "
		    "devices_file (see devices.yaml.example, hash passwords "
		    "with amt-mps-cli hash-password)", MPS_DEMO_USER,
		    MPS_DEMO_PASSWORD);
		return;
	}
	if (srv->devices->path == NULL)
		log_warnx("WARNING: no devices_file configured: every device "
		    "will be refused");
	else
		log_info("devices file %s: %zu devices, unknown devices %s",
		    srv->devices->path, srv->devices->n,
		    srv->devices->accept_unknown ? "accepted with the default "
		    "credentials" : "refused");
}

void
server_conn_freed(void)
{
	listener_update();
	if (srv->shutting_down && dev_count_all() == 0 && ctl_busy() == 0)
		event_base_loopexit(srv->base, NULL);
}

static void
server_exit_cb(evutil_socket_t fd, short ev, void *arg)
{
	log_info("shutdown: %u connections did not finish in %ds, closing",
	    dev_count_all(), SERVER_EXIT_GRACE);
	event_base_loopexit(srv->base, NULL);
}

void
server_shutdown(const char *why)
{
	struct timeval	tv = { SERVER_EXIT_GRACE, 0 };

	if (srv->shutting_down)
		return;
	srv->shutting_down = 1;
	log_info("event=shutdown reason=\"%s\" devices=%zu", why, srv->reg.n);
	listener_shutdown();
	/* Forwards stop accepting and cut their relays at once. */
	forward_shutdown();
	/* Devices first, so subscribers still see the disconnect events. */
	dev_disconnect_all(DEV_CLOSE_SHUTDOWN);
	/* Every device operation is answered before the socket closes. */
	ops_shutdown();
	ctl_shutdown();
	if ((srv->exit_ev = evtimer_new(srv->base, server_exit_cb, NULL)) !=
	    NULL)
		evtimer_add(srv->exit_ev, &tv);
	server_conn_freed();
}

int
server_reload(struct config_err *err)
{
	struct mps_config	*ncfg = NULL;
	struct devices		*nd = NULL;
	const struct mps_config	*use;
	struct config_forward	*keep;
	size_t			 nkeep;
	char			 tlserr[512];
	int			 demo, r;

	memset(err, 0, sizeof(*err));
	/* Everything is built first; nothing changes unless all of it works. */
	if (srv->config_path != NULL &&
	    (r = config_load(srv->config_path, &ncfg, err)) != 0)
		goto fail;
	use = ncfg != NULL ? ncfg : srv->cfg;
	if ((r = server_load_devices(use, srv->config_path == NULL, &nd, &demo,
	    err)) != 0)
		goto fail;
	if ((r = tls_reload(use, tlserr, sizeof(tlserr))) != 0) {
		const char	*f = use->tls.certificate != NULL ?
			    use->tls.certificate : tls_get_info()->certificate;
		const char	*m = tlserr;
		size_t		 flen = strlen(f);

		/* "file: msg" already names the file in err->file. */
		if (strncmp(m, f, flen) == 0 && strncmp(m + flen, ": ", 2) == 0)
			m += flen + 2;
		snprintf(err->file, sizeof(err->file), "%.250s", f);
		snprintf(err->msg, sizeof(err->msg), "%.250s", m);
		goto fail;
	}

	devices_free(srv->devices);
	srv->devices = nd;
	srv->demo = demo;
	if (ncfg != NULL) {
		/* Sockets stay as bound at startup: show what is in force. */
		if (ncfg->nlisten != srv->cfg->nlisten ||
		    memcmp(ncfg->listen, srv->cfg->listen,
		    sizeof(ncfg->listen)) != 0 ||
		    strcmp(ncfg->control.socket, srv->cfg->control.socket) != 0)
			log_warnx("reload: listen and control.socket changes "
			    "take effect at the next restart");
		if (ncfg->nforwards != srv->cfg->nforwards ||
		    (ncfg->nforwards > 0 && memcmp(ncfg->forwards,
		    srv->cfg->forwards, ncfg->nforwards *
		    sizeof(*ncfg->forwards)) != 0))
			log_warnx("reload: forwards changes take effect at the "
			    "next restart (forward.open and forward.close "
			    "act now)");
		/* The list in force stays, as for listen (freed below). */
		keep = ncfg->forwards;
		nkeep = ncfg->nforwards;
		ncfg->forwards = srv->cfg->forwards;
		ncfg->nforwards = srv->cfg->nforwards;
		srv->cfg->forwards = keep;
		srv->cfg->nforwards = nkeep;
		memcpy(ncfg->listen, srv->cfg->listen, sizeof(ncfg->listen));
		ncfg->nlisten = srv->cfg->nlisten;
		if (srv->force_debug)
			ncfg->log.level = CONFIG_LOG_DEBUG;
		log_setlevel((enum log_level)ncfg->log.level);
		srv->auth.throttle.limit =
		    ncfg->limits.auth_failures_per_minute;
		config_free(srv->cfg);
		srv->cfg = ncfg;
	}
	log_info("event=reloaded config=%s", srv->config_path != NULL ?
	    srv->config_path : "(built-in)");
	server_devices_announce();
	return 0;

fail:
	{
		char buf[600];

		config_err_format(err, buf, sizeof(buf));
		log_warnx("reload failed, keeping the running configuration: %s",
		    buf);
	}
	config_free(ncfg);
	devices_free(nd);
	return MPS_ERR_CONFIG;
}

#define SERVER_MALLOC_TRIM	(2 * 1024 * 1024)
#define SERVER_MALLOC_MMAP	(4 * 1024 * 1024)

/*
 * A burst of TLS handshakes leaves the heap full of freed handshake
 * buffers between long-lived connection objects; glibc keeps those pages
 * resident.  After churn, hand them back to the kernel (malloc_trim also
 * releases whole free pages inside the heap).  At most every few seconds:
 * it walks the heap.
 */
static void
server_trim(uint32_t now)
{
	static uint64_t	last_total;
	static uint32_t	last_trim;

	if (srv->stats.connections_total == last_total ||
	    now - last_trim < SERVER_TRIM_INTERVAL ||
	    dev_count(DEV_HANDSHAKE) > 0)
		return;
	last_total = srv->stats.connections_total;
	last_trim = now;
	malloc_trim(0);
}

static void
server_tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	uint32_t	now = util_mono();

	dev_tick(now);
	server_trim(now);
	/* Also lifts an fd pause whose cause went away by other means. */
	listener_update();
}

static void
server_signal_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct config_err	err;

	switch (sig) {
	case SIGHUP:
		log_info("SIGHUP: reloading");
		server_reload(&err);
		break;
	case SIGTERM:
		server_shutdown("SIGTERM");
		break;
	case SIGINT:
		server_shutdown("SIGINT");
		break;
	}
}

/* Descriptors: use the hard limit; 20,000 tunnels need 20,000 fds. */
static void
server_fd_limits(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		srv->fd_limit = 1024;
		return;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	srv->fd_limit = rl.rlim_cur > 1 << 24 ? 1 << 24 : (int)rl.rlim_cur;
}

static void
server_cleanup(void)
{
	listener_shutdown();
	forward_shutdown();
	ctl_cleanup();
	dev_cleanup();
	ops_cleanup();
	relay_cleanup();
	tls_shutdown();
	if (srv->tick_ev != NULL)
		event_free(srv->tick_ev);
	if (srv->exit_ev != NULL)
		event_free(srv->exit_ev);
	if (srv->sig_hup != NULL)
		event_free(srv->sig_hup);
	if (srv->sig_term != NULL)
		event_free(srv->sig_term);
	if (srv->sig_int != NULL)
		event_free(srv->sig_int);
	if (srv->base != NULL)
		event_base_free(srv->base);
	registry_clear(&srv->reg);
	auth_free(&srv->auth);
	devices_free(srv->devices);
	config_free(srv->cfg);
	free(srv->config_path);
	memset(srv, 0, sizeof(*srv));
}

int
server_run(struct mps_config *cfg, const char *config_path, int force_debug)
{
	struct config_err	 err;
	struct timeval		 one = { 1, 0 };
	char			 buf[600];
	int			 rc = 1;

	memset(srv, 0, sizeof(*srv));
	srv->cfg = cfg;
	srv->force_debug = force_debug;
	srv->started_at = time(NULL);
	/* Absolute, so a reload reads the same file whatever the cwd. */
	if (config_path != NULL &&
	    (srv->config_path = realpath(config_path, NULL)) == NULL &&
	    (srv->config_path = strdup(config_path)) == NULL)
		fatalx("out of memory");
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Streaming tunnels free and reallocate OpenSSL's 64 KiB read-ahead
	 * buffer (released when empty) and evbuffer chains many times a
	 * second; at glibc's default trim threshold each free at the top of
	 * the heap is a brk(2) shrink and the next allocation a grow (measured:
	 * more brk calls than reads).  A fixed few MiB of slack instead;
	 * server_trim() still hands everything back after connection churn.
	 */
	(void)mallopt(M_TRIM_THRESHOLD, SERVER_MALLOC_TRIM);
	(void)mallopt(M_MMAP_THRESHOLD, SERVER_MALLOC_MMAP);
	server_fd_limits();
	(void)util_mono();	/* start the monotonic epoch */

	memset(&err, 0, sizeof(err));
	if (server_load_devices(cfg, config_path == NULL, &srv->devices,
	    &srv->demo, &err) != 0) {
		config_err_format(&err, buf, sizeof(buf));
		log_warnx("%s", buf);
		goto out;
	}
	if (auth_init(&srv->auth, AUTH_CACHE_SIZE, AUTH_THROTTLE_SIZE,
	    cfg->limits.auth_failures_per_minute) != 0 ||
	    registry_init(&srv->reg) != 0) {
		log_warnx("out of memory");
		goto out;
	}
	apf_session_limits_default(&srv->apf_limits);
	srv->apf_limits.max_channels = cfg->limits.channels_per_device;
	srv->apf_limits.rx_window = cfg->limits.window;
	if (srv->apf_limits.max_packet > cfg->limits.max_message)
		srv->apf_limits.max_packet = cfg->limits.max_message;

	if ((srv->base = event_base_new()) == NULL) {
		log_warnx("cannot create the event loop");
		goto out;
	}
	if (ops_init() != 0) {
		log_warnx("cannot set up the WS-Man transport (libcurl)");
		goto out;
	}
	if (tls_init(cfg, 0) != 0 || listener_init(cfg) != 0 ||
	    ctl_init(cfg->control.socket, cfg->control.mode,
	    cfg->control.max_clients, cfg->control.max_line) != 0 ||
	    forward_start(cfg) != 0)
		goto out;
	srv->fd_base = util_count_fds();
	if (srv->fd_base < 0)
		srv->fd_base = 16;
	srv->fd_base += SERVER_FD_SLACK;

	if ((srv->tick_ev = event_new(srv->base, -1, EV_PERSIST,
	    server_tick_cb, NULL)) == NULL ||
	    (srv->sig_hup = evsignal_new(srv->base, SIGHUP, server_signal_cb,
	    NULL)) == NULL ||
	    (srv->sig_term = evsignal_new(srv->base, SIGTERM, server_signal_cb,
	    NULL)) == NULL ||
	    (srv->sig_int = evsignal_new(srv->base, SIGINT, server_signal_cb,
	    NULL)) == NULL)
		goto out;
	event_add(srv->tick_ev, &one);
	event_add(srv->sig_hup, NULL);
	event_add(srv->sig_term, NULL);
	event_add(srv->sig_int, NULL);

	server_devices_announce();
	log_info("event=started version=%s pid=%d config=%s fd_limit=%d "
	    "max_devices=%u", MPS_VERSION, (int)getpid(), config_path != NULL ?
	    config_path : "(built-in defaults)", srv->fd_limit,
	    cfg->limits.max_devices);
	if (event_base_dispatch(srv->base) == -1) {
		log_warnx("event loop failed");
		goto out;
	}
	log_info("event=stopped");
	rc = 0;
out:
	server_cleanup();
	return rc;
}
