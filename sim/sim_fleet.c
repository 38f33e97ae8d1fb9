/*
 * sim_fleet.c: the whole simulated fleet in one libevent loop.
 *
 * There are no per-device timers.  Every deadline is a position on one of
 * a few lists ordered by due time, and one periodic tick (SIM_TICK_MS)
 * pops what is due from each head.  Insertion walks back from the tail, so
 * with one interval per list (the usual case: every device uses the same
 * keepalive interval and handshake timeout) it is O(1).
 *
 * Starting connections: fresh devices in index order, then reconnects whose
 * backoff expired, limited by --rate (a token bucket refilled by the clock)
 * and by --max-inflight (connections not yet ACTIVE or failed).  A slot
 * freeing up schedules a "kick" event instead of starting the next device
 * from inside another device's callback.
 */
#include <sys/resource.h>

#include <errno.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "mps_err.h"
#include "sim.h"

/* Descriptors kept free for the summary file, the CA file, logs. */
#define SIM_FD_RESERVE		32
/* OpenSSL's read-ahead buffer while a device has input in flight. */
#define SIM_TLS_READ_BUF	(64 * 1024)
/* Free heap kept at its top; allocations from this size on use mmap. */
#define SIM_MALLOC_TRIM		(2 * 1024 * 1024)
#define SIM_MALLOC_MMAP		(4 * 1024 * 1024)

void
sim_fleet_opts_default(struct sim_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->user = SIM_DEFAULT_USER;
	o->password = SIM_DEFAULT_PASSWORD;
	o->tls_min = TLS1_2_VERSION;
	o->count = 1;
	o->max_inflight = 200;
	o->handshake_timeout_ms = 60 * 1000;
	o->backoff_min_ms = 1000;
	o->backoff_max_ms = 30 * 1000;
	o->trigger = 4;			/* periodic */
	o->fwd_address = "";
	o->rx_window = 64 * 1024;
	o->max_packet = 16 * 1024;
	o->max_channels = 8;
	o->chan_out_max = 64 * 1024;
	o->misbehave = SIM_MB_NONE;
	o->misbehave_count = UINT32_MAX;	/* all */
	sim_wsman_cfg_default(&o->wsman);
}

uint64_t
sim_fleet_now_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
sim_fleet_log(struct sim_fleet *f, int level, const struct sim_dev *d,
    const char *fmt, ...)
{
	va_list	ap;
	double	t;

	if (level > f->opt.verbose)
		return;
	t = (double)(sim_fleet_now_ms() - f->t0_ms) / 1000.0;
	if (d != NULL)
		fprintf(stderr, "amt-cira-sim: %.3f dev=%u ", t, d->index);
	else
		fprintf(stderr, "amt-cira-sim: %.3f ", t);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
sim_fleet_tl_insert(struct sim_fleet *f, enum sim_tlist_id id,
    struct sim_dev *d, uint64_t due_ms)
{
	struct sim_tlist	*l = &f->tl[id];
	struct sim_dev		*at;

	sim_fleet_tl_remove(f, d);
	d->due_ms = due_ms;
	d->tlist = (uint8_t)id;
	/* Walk back to the last entry due no later than us. */
	for (at = l->tail; at != NULL && at->due_ms > due_ms; at = at->tprev)
		;
	d->tprev = at;
	d->tnext = at != NULL ? at->tnext : l->head;
	if (d->tnext != NULL)
		d->tnext->tprev = d;
	else
		l->tail = d;
	if (at != NULL)
		at->tnext = d;
	else
		l->head = d;
	l->len++;
}

void
sim_fleet_tl_remove(struct sim_fleet *f, struct sim_dev *d)
{
	struct sim_tlist	*l;

	if (d->tlist == SIM_TL_NONE)
		return;
	l = &f->tl[d->tlist];
	if (d->tprev != NULL)
		d->tprev->tnext = d->tnext;
	else
		l->head = d->tnext;
	if (d->tnext != NULL)
		d->tnext->tprev = d->tprev;
	else
		l->tail = d->tprev;
	d->tprev = d->tnext = NULL;
	d->tlist = SIM_TL_NONE;
	l->len--;
}

void
sim_fleet_kick(struct sim_fleet *f)
{
	if (f->kick_ev != NULL && !f->stopping)
		event_active(f->kick_ev, EV_TIMEOUT, 0);
}

void
sim_fleet_connect_sample(struct sim_fleet *f, uint64_t ms)
{
	struct sim_stats	*st = &f->st;
	uint32_t		*n;
	size_t			 cap;

	if (st->nconnect_ms == st->connect_ms_cap) {
		if (st->connect_ms_cap >= SIM_CONNECT_SAMPLES_MAX)
			return;
		cap = st->connect_ms_cap ? st->connect_ms_cap * 2 : 1024;
		if ((n = reallocarray(st->connect_ms, cap, sizeof(*n))) ==
		    NULL)
			return;
		st->connect_ms = n;
		st->connect_ms_cap = cap;
	}
	st->connect_ms[st->nconnect_ms++] = ms > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)ms;
}

/* Writes path atomically (temporary file + rename) with the summary. */
static void
sim_fleet_write_ready(struct sim_fleet *f)
{
	/* Devices closed by our own shutdown have not "settled". */
	if (f->ready_written || f->opt.ready_path == NULL || f->stopping)
		return;
	f->ready_written = 1;
	if (sim_summary_write(f, f->opt.ready_path) != 0)
		sim_fleet_log(f, 0, NULL, "cannot write %s", f->opt.ready_path);
}

/*
 * A device reached ACTIVE or closed for the first time.  When the
 * originals have all settled, duplicate-guid connections may start; when
 * everything has, the ready file is written.
 */
void
sim_fleet_dev_settled(struct sim_fleet *f, struct sim_dev *d)
{
	if (d->flags & SIM_DEVF_SETTLED)
		return;
	d->flags |= SIM_DEVF_SETTLED;
	if (f->unsettled > 0)
		f->unsettled--;
	if (f->unsettled > 0)
		return;
	if (f->fresh_limit < f->ndevs) {
		f->unsettled = f->ndevs - f->fresh_limit;
		f->fresh_limit = f->ndevs;
		sim_fleet_log(f, 1, NULL, "originals settled; starting %u "
		    "duplicate-guid connections", f->unsettled);
		sim_fleet_kick(f);
		return;
	}
	sim_fleet_write_ready(f);
}

/* Starts as many devices as the rate and the in-flight cap allow. */
static void
sim_fleet_start_some(struct sim_fleet *f, uint64_t now)
{
	struct sim_opts	*o = &f->opt;
	struct sim_dev	*d;
	double		 burst;

	if (f->stopping)
		return;
	if (o->rate > 0) {
		/* A burst of at most one tick and a bit, at least one. */
		burst = o->rate * (SIM_TICK_MS * 2) / 1000.0;
		if (burst < 1)
			burst = 1;
		f->tokens += o->rate * (double)(now - f->last_tick_ms) / 1000.0;
		if (f->tokens > burst)
			f->tokens = burst;
	}
	f->last_tick_ms = now;
	while (f->inflight < o->max_inflight &&
	    (o->rate <= 0 || f->tokens >= 1)) {
		if ((d = f->tl[SIM_TL_STARTQ].head) != NULL)
			sim_fleet_tl_remove(f, d);
		else if (f->next_fresh < f->fresh_limit)
			d = &f->devs[f->next_fresh++];
		else
			break;
		if (o->rate > 0)
			f->tokens -= 1;
		/* A failed start closes d at once (counted there). */
		(void)sim_dev_start(d);
		if (f->stopping)
			return;
	}
}

static void
sim_fleet_stop(struct sim_fleet *f, const char *why)
{
	uint32_t	i;

	if (f->stopping)
		return;
	sim_fleet_log(f, 1, NULL, "stopping: %s", why);
	/* The summary is a snapshot of the running fleet, taken before the
	 * devices are closed. */
	if (f->opt.summary_path != NULL &&
	    sim_summary_write(f, f->opt.summary_path) != 0) {
		sim_fleet_log(f, 0, NULL, "cannot write the summary to %s",
		    f->opt.summary_path);
		f->exit_code = 1;
	}
	f->stopping = 1;
	for (i = 0; i < f->ndevs; i++) {
		sim_fleet_tl_remove(f, &f->devs[i]);
		sim_dev_close(&f->devs[i], SIM_CLOSE_SHUTDOWN, 0);
	}
	event_base_loopexit(f->base, NULL);
}

static void
sim_fleet_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sim_fleet	*f = arg;
	struct sim_dev		*d;
	uint64_t		 now = sim_fleet_now_ms();

	while ((d = f->tl[SIM_TL_HANDSHAKE].head) != NULL && d->due_ms <= now)
		sim_dev_close(d, SIM_CLOSE_HANDSHAKE_TIMEOUT, 0);
	while ((d = f->tl[SIM_TL_KEEPALIVE].head) != NULL && d->due_ms <= now)
		sim_dev_keepalive_due(d, now);	/* re-inserts in the future */
	while ((d = f->tl[SIM_TL_RETRY].head) != NULL && d->due_ms <= now) {
		sim_fleet_tl_remove(f, d);
		sim_fleet_tl_insert(f, SIM_TL_STARTQ, d, now);
	}
	sim_fleet_start_some(f, now);

	if (f->opt.progress_s > 0 && now >= f->next_progress_ms) {
		sim_summary_progress(f, stderr);
		f->next_progress_ms = now +
		    (uint64_t)(f->opt.progress_s * 1000);
	}
	if (f->stop_at_ms != 0 && now >= f->stop_at_ms) {
		sim_fleet_stop(f, "duration reached");
		return;
	}
	/* Nothing can happen any more: every device closed for good (a
	 * --wsman-listen port still can: it runs until told to stop). */
	if (f->state_count[SIM_DEV_CLOSED] == f->ndevs &&
	    f->wsman.listener[0] == NULL && f->wsman.listener[1] == NULL) {
		sim_fleet_write_ready(f);
		sim_fleet_stop(f, "every device closed");
	}
}

static void
sim_fleet_kickcb(evutil_socket_t fd, short what, void *arg)
{
	struct sim_fleet	*f = arg;

	sim_fleet_start_some(f, sim_fleet_now_ms());
}

static void
sim_fleet_signal(evutil_socket_t sig, short what, void *arg)
{
	struct sim_fleet	*f = arg;
	const char		*path = f->opt.summary_path;

	if (sig == SIGUSR1) {
		/* A file is rewritten in place; otherwise stderr, so that
		 * stdout keeps exactly one summary (the final one). */
		if (path == NULL || strcmp(path, "-") == 0)
			(void)sim_summary_fprint(f, stderr);
		else
			(void)sim_summary_write(f, path);
		return;
	}
	sim_fleet_stop(f, sig == SIGINT ? "SIGINT" : "SIGTERM");
}

/*
 * Bulk tunnels allocate and free buffers of tens of KiB many times a
 * second (OpenSSL's record buffers come and go with
 * SSL_MODE_RELEASE_BUFFERS, evbuffer chains with the data).  glibc's
 * defaults give such memory back to the kernel each time it lands at the
 * top of the heap, and take it back with brk(2) right after: a system call
 * per buffer.  Keep a few MiB (peak RSS, what the fleet is measured by, is
 * unchanged), and keep buffers below the largest APF message off mmap(2).
 */
static void
sim_fleet_malloc_tune(void)
{
#if defined(__GLIBC__)
	(void)mallopt(M_TRIM_THRESHOLD, SIM_MALLOC_TRIM);
	(void)mallopt(M_MMAP_THRESHOLD, SIM_MALLOC_MMAP);
#endif
}

/* Raise the descriptor limit as far as allowed and say if it is short. */
static void
sim_fleet_nofile(struct sim_fleet *f)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	f->nofile_limit = rl.rlim_cur;
	if ((uint64_t)f->ndevs + SIM_FD_RESERVE > rl.rlim_cur)
		fprintf(stderr, "amt-cira-sim: warning: %u connections need "
		    "more descriptors than the limit of %llu allows; the "
		    "excess will fail with \"no_fd\" (raise ulimit -n or "
		    "run several simulators)\n", f->ndevs,
		    (unsigned long long)rl.rlim_cur);
}

static int
sim_fleet_tls_init(struct sim_fleet *f)
{
	struct sim_opts	*o = &f->opt;
	SSL_CTX		*ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return MPS_ERR_TLS;
	/* Idle tunnels are the norm: give their buffers back.  Output is
	 * written from an evbuffer that may move between a WANT_WRITE and
	 * the retry, and a record at a time (partial writes). */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS |
	    SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* Read ahead into a buffer of several records: bulk input then
	 * costs one read(2) per few records instead of two per record
	 * (header, then body).  The buffer exists only while it holds
	 * bytes (SSL_MODE_RELEASE_BUFFERS), so idle devices do not pay. */
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_default_read_buffer_len(ctx, SIM_TLS_READ_BUF);
	if (SSL_CTX_set_min_proto_version(ctx, o->tls_min) != 1 ||
	    (o->tls_max != 0 &&
	    SSL_CTX_set_max_proto_version(ctx, o->tls_max) != 1))
		goto fail;
	if (o->ciphers != NULL &&
	    SSL_CTX_set_cipher_list(ctx, o->ciphers) != 1) {
		fprintf(stderr, "amt-cira-sim: bad --ciphers \"%s\"\n",
		    o->ciphers);
		goto fail;
	}
	/* Every device is a separate machine: no session resumption, each
	 * connection is a full handshake, as in a real reconnect storm. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	/* MPSes drop devices with a bare TCP close; make OpenSSL 3 report
	 * that as end of stream, as 1.1 did, not as a protocol error. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (o->insecure)
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	else {
		if (SSL_CTX_load_verify_locations(ctx, o->ca, NULL) != 1) {
			const char *e = ERR_reason_error_string(
			    ERR_peek_last_error());

			fprintf(stderr, "amt-cira-sim: cannot load CA file "
			    "%s: %s\n", o->ca, e != NULL ? e : "unknown error");
			goto fail;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	f->ssl_ctx = ctx;
	return 0;
fail:
	SSL_CTX_free(ctx);
	return MPS_ERR_TLS;
}

/* Device i: base GUID plus i in the last 48 bits (the last group). */
void
sim_fleet_guid(const uint8_t base[APF_UUID_LEN], uint32_t i,
    uint8_t out[APF_UUID_LEN])
{
	uint64_t	v = 0;
	int		k;

	memcpy(out, base, APF_UUID_LEN);
	for (k = 10; k < 16; k++)
		v = v << 8 | base[k];
	v = (v + i) & 0xffffffffffffULL;
	for (k = 15; k >= 10; k--) {
		out[k] = (uint8_t)v;
		v >>= 8;
	}
}

/* The WS-Man responder: templates, call log, the debug listeners. */
static int
sim_fleet_wsman_init(struct sim_fleet *f)
{
	struct sim_wsman	*w = &f->wsman;
	char			 err[512];
	int			 r;

	w->cfg = f->opt.wsman;
	w->verbose = f->opt.verbose;
	if ((r = sim_wsman_init(w, f->base, f->ndevs, err, sizeof(err))) !=
	    0) {
		fprintf(stderr, "amt-cira-sim: WS-Man responder: %s\n", err);
		return r;
	}
	sim_fleet_log(f, 1, NULL, "WS-Man: %zu response templates (%zu "
	    "recorded files read from %s, %zu skipped)", w->fx.n,
	    w->fx.files, w->fx.dir[0] != '\0' ? w->fx.dir :
	    "nowhere, built-in only", w->fx.skipped);
	if (w->cfg.listen == NULL && w->cfg.listen_tls == NULL)
		return 0;
	if ((r = sim_wsman_listen_start(w, sim_wsman_amt(w, 0,
	    f->devs[0].uuid), err, sizeof(err))) != 0) {
		fprintf(stderr, "amt-cira-sim: %s\n", err);
		return r;
	}
	return 0;
}

int
sim_fleet_init(struct sim_fleet *f)
{
	struct sim_opts	*o = &f->opt;
	struct timeval	 tv = { 0, SIM_TICK_MS * 1000 };
	uint32_t	 i, ndup = 0;
	int		 r;
	static const int sigs[] = { SIGINT, SIGTERM, SIGUSR1 };

	/* Log lines before the run starts count from here. */
	f->t0_ms = sim_fleet_now_ms();
	if (o->misbehave == SIM_MB_DUPLICATE_GUID)
		ndup = o->misbehave_count;
	f->ndevs = o->count + ndup;
	f->fresh_limit = o->count;
	f->unsettled = o->count;
	sim_fleet_nofile(f);
	sim_fleet_malloc_tune();
	if ((r = sim_fleet_tls_init(f)) != 0)
		return r;
	if ((f->devs = calloc(f->ndevs, sizeof(*f->devs))) == NULL)
		return MPS_ERR_NOMEM;
	for (i = 0; i < f->ndevs; i++) {
		struct sim_dev *d = &f->devs[i];

		d->fleet = f;
		d->index = i;
		d->state = SIM_DEV_IDLE;
		sim_fleet_guid(o->guid_base, i < o->count ? i : i - o->count,
		    d->uuid);
		if (i >= o->count)
			d->misbehave = SIM_MB_DUPLICATE_GUID;
		else if (o->misbehave != SIM_MB_NONE &&
		    o->misbehave != SIM_MB_DUPLICATE_GUID &&
		    i < o->misbehave_count)
			d->misbehave = (uint8_t)o->misbehave;
	}
	f->state_count[SIM_DEV_IDLE] = f->ndevs;

	signal(SIGPIPE, SIG_IGN);
	if ((f->base = event_base_new()) == NULL)
		return MPS_ERR_NOMEM;
	f->tick_ev = event_new(f->base, -1, EV_PERSIST, sim_fleet_tick, f);
	f->kick_ev = event_new(f->base, -1, 0, sim_fleet_kickcb, f);
	if (f->tick_ev == NULL || f->kick_ev == NULL ||
	    event_add(f->tick_ev, &tv) != 0)
		return MPS_ERR_NOMEM;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		f->sig_ev[i] = evsignal_new(f->base, sigs[i], sim_fleet_signal,
		    f);
		if (f->sig_ev[i] == NULL || event_add(f->sig_ev[i], NULL) != 0)
			return MPS_ERR_NOMEM;
	}
	return sim_fleet_wsman_init(f);
}

int
sim_fleet_run(struct sim_fleet *f)
{
	f->t0_ms = f->last_tick_ms = sim_fleet_now_ms();
	f->next_progress_ms = f->t0_ms + (uint64_t)(f->opt.progress_s * 1000);
	if (f->opt.duration_s > 0)
		f->stop_at_ms = f->t0_ms +
		    (uint64_t)(f->opt.duration_s * 1000);
	f->tokens = 1;
	sim_fleet_start_some(f, f->t0_ms);
	if (event_base_dispatch(f->base) < 0)
		return MPS_ERR_INTERNAL;
	return f->exit_code;
}

void
sim_fleet_free(struct sim_fleet *f)
{
	size_t	i;

	if (f->devs != NULL) {
		for (i = 0; i < f->ndevs; i++) {
			sim_fleet_tl_remove(f, &f->devs[i]);
			sim_dev_close(&f->devs[i], SIM_CLOSE_SHUTDOWN, 0);
		}
		free(f->devs);
	}
	/* After the channels (they hold connections), before the base. */
	sim_wsman_free(&f->wsman);
	for (i = 0; i < sizeof(f->sig_ev) / sizeof(f->sig_ev[0]); i++)
		if (f->sig_ev[i] != NULL)
			event_free(f->sig_ev[i]);
	if (f->tick_ev != NULL)
		event_free(f->tick_ev);
	if (f->kick_ev != NULL)
		event_free(f->kick_ev);
	if (f->base != NULL)
		event_base_free(f->base);
	if (f->ssl_ctx != NULL)
		SSL_CTX_free(f->ssl_ctx);
	free(f->st.connect_ms);
}
