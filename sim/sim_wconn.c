/*
 * sim_wconn.c: one HTTP connection to a simulated AMT's WS-Man port.
 *
 * Transport-neutral: bytes come in through sim_wconn_input() and leave
 * through the io callbacks, so the same code serves an APF channel
 * (sim_svc_wsman.c) and a local socket (sim_wsman_listen.c).  On 16993 a
 * TLS server over memory BIOs sits between the transport and HTTP.
 *
 * One request at a time, as AMT serves them: while an answer is leaving
 * (or held back by the "slow" fault) further input is buffered, up to
 * SIM_WCONN_IN_MAX, and parsed only when the answer is gone.  After a 401
 * or a request with Connection: close the answer is the last thing sent,
 * then the transport is closed, as AMT does.
 *
 * io->close() must not free the connection: its owner frees it later
 * (the channel's close callback, the socket's event), so every function
 * here may keep using c after calling it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "mps_err.h"
#include "sim_wsman.h"
#include "wsman.h"

#define SIM_WCONN_TLS_CHUNK	16384
/* The body AMT sends with a 401 is HTML; ours says the same thing. */
#define SIM_WCONN_401_BODY						\
	"<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\n" \
	"<html><head><title>Intel(R) Active Management Technology</title>" \
	"</head>\n<body><h1>401 Unauthorized</h1>\n<p>Log on failed: the "  \
	"user name or password is not right, or the account is locked "   \
	"for a while.</p>\n</body></html>\n"

static const char *sim_wconn_state_names[] = {
#define SIM_WC_NAME(name, str) str,
	SIM_WCONN_STATES(SIM_WC_NAME)
#undef SIM_WC_NAME
};

static void	sim_wconn_run(struct sim_wconn *c);

const char *
sim_wconn_state_name(enum sim_wconn_state st)
{
	if ((unsigned)st >= sizeof(sim_wconn_state_names) /
	    sizeof(sim_wconn_state_names[0]))
		return "?";
	return sim_wconn_state_names[st];
}

static uint64_t
sim_wconn_now_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
sim_wconn_log(struct sim_wconn *c, const char *what, const char *detail)
{
	if (c->ws->verbose < 1)
		return;
	fprintf(stderr, "amt-cira-sim: wsman dev=%u port=%u %s%s%s\n",
	    c->amt->index, c->port, what, detail != NULL ? ": " : "",
	    detail != NULL ? detail : "");
}

struct sim_wconn *
sim_wconn_new(struct sim_wsman *ws, struct sim_amt *a, uint32_t port,
    uint32_t faults, const struct sim_wconn_io *io, void *io_arg)
{
	struct sim_wconn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->ws = ws;
	c->amt = a;
	c->port = port;
	c->faults = faults;
	c->io = io;
	c->io_arg = io_arg;
	sim_http_req_reset(&c->req);
	if ((c->in = evbuffer_new()) == NULL ||
	    (c->out = evbuffer_new()) == NULL)
		goto fail;
	c->state = SIM_WCONN_READING;
	if (port == 16993) {
		if (ws->tls_ctx == NULL && sim_tls_chan_ctx(&ws->tls_ctx) != 0)
			goto fail;
		if (sim_tls_chan_new(ws->tls_ctx, &c->ssl, &c->rbio,
		    &c->wbio) != 0)
			goto fail;
		c->state = SIM_WCONN_HANDSHAKE;
	}
	ws->nconns++;
	return c;
fail:
	if (c->in != NULL)
		evbuffer_free(c->in);
	if (c->out != NULL)
		evbuffer_free(c->out);
	free(c);
	return NULL;
}

void
sim_wconn_free(struct sim_wconn *c)
{
	if (c == NULL)
		return;
	if (c->delay_ev != NULL)
		event_free(c->delay_ev);
	if (c->ssl != NULL)
		SSL_free(c->ssl);	/* and both BIOs */
	if (c->in != NULL)
		evbuffer_free(c->in);
	if (c->out != NULL)
		evbuffer_free(c->out);
	if (c->held != NULL)
		evbuffer_free(c->held);
	sim_http_req_free(&c->req);
	c->ws->nconns--;
	free(c);
}

static int
sim_wconn_pending(const struct sim_wconn *c)
{
	return evbuffer_get_length(c->out) > 0 ||
	    (c->ssl != NULL && BIO_ctrl_pending(c->wbio) > 0);
}

/* Move bytes to the transport as its room allows. */
static int
sim_wconn_push(struct sim_wconn *c, const void *p, size_t len, size_t *n)
{
	size_t	room = c->io->room(c->io_arg);

	*n = len < room ? len : room;
	if (*n == 0)
		return 0;
	return c->io->write(c->io_arg, p, *n);
}

/*
 * Plaintext out -> (TLS) -> transport, until done or the transport is
 * full.  Encrypts only what can leave soon, so a stalled peer holds
 * plaintext here rather than records in OpenSSL.
 */
static int
sim_wconn_flush(struct sim_wconn *c)
{
	unsigned char	 buf[SIM_WCONN_TLS_CHUNK];
	const uint8_t	*p;
	size_t		 len, n;
	int		 r, k;

	for (;;) {
		if (c->ssl != NULL) {
			while ((len = BIO_ctrl_pending(c->wbio)) > 0) {
				if (c->io->room(c->io_arg) == 0)
					return 0;
				if (len > sizeof(buf))
					len = sizeof(buf);
				if (len > c->io->room(c->io_arg))
					len = c->io->room(c->io_arg);
				if ((k = BIO_read(c->wbio, buf, (int)len)) <= 0)
					return MPS_ERR_TLS;
				if ((r = c->io->write(c->io_arg, buf,
				    (size_t)k)) != 0)
					return r;
			}
			if (c->state == SIM_WCONN_HANDSHAKE ||
			    (len = evbuffer_get_length(c->out)) == 0)
				return 0;
			if (c->io->room(c->io_arg) == 0)
				return 0;
			if (len > SIM_WCONN_TLS_CHUNK)
				len = SIM_WCONN_TLS_CHUNK;
			if ((p = evbuffer_pullup(c->out, (ev_ssize_t)len)) ==
			    NULL)
				return MPS_ERR_NOMEM;
			if ((k = SSL_write(c->ssl, p, (int)len)) <= 0)
				return MPS_ERR_TLS;
			evbuffer_drain(c->out, (size_t)k);
			continue;
		}
		while ((len = evbuffer_get_length(c->out)) > 0) {
			if (len > SIM_WCONN_TLS_CHUNK)
				len = SIM_WCONN_TLS_CHUNK;
			if ((p = evbuffer_pullup(c->out, (ev_ssize_t)len)) ==
			    NULL)
				return MPS_ERR_NOMEM;
			if ((r = sim_wconn_push(c, p, len, &n)) != 0)
				return r;
			if (n == 0)
				return 0;
			evbuffer_drain(c->out, n);
		}
		return 0;
	}
}

/* Give up on the connection: nothing more is sent or read. */
static void
sim_wconn_abort(struct sim_wconn *c, const char *why)
{
	if (c->state == SIM_WCONN_CLOSED)
		return;
	sim_wconn_log(c, "closing", why);
	ERR_clear_error();
	c->state = SIM_WCONN_CLOSED;
	c->io->close(c->io_arg);
}

static void
sim_wconn_log_call(struct sim_wconn *c, const struct sim_wsman_call *call)
{
	struct sim_wsman_stats	*st = &c->ws->st;

	if (call->status == 200)
		st->ok++;
	else if (call->status == 401)
		st->unauthorized++;
	else if (call->fault[0] != '\0')
		st->faults++;
	else
		st->http_errors++;
	if (sim_wsman_log_write(c->ws->log_fd, c->amt, c->port, call) != 0)
		sim_wconn_log(c, "call log write failed", NULL);
}

/* Where the answer to the current request goes. */
static struct evbuffer *
sim_wconn_dst(struct sim_wconn *c)
{
	if ((c->faults & (1u << SIM_WF_SLOW)) && c->ws->base != NULL &&
	    c->ws->cfg.fault_slow_ms > 0) {
		if (c->held == NULL)
			c->held = evbuffer_new();
		if (c->held != NULL)
			return c->held;
	}
	return c->out;
}

static int
sim_wconn_head(struct sim_wconn *c, struct evbuffer *dst, int status,
    const char *type, int chunked, size_t length)
{
	char	date[64], server[96];
	int	n;

	sim_http_date(date, sizeof(date));
	sim_wsman_server_header(c->ws, server, sizeof(server));
	n = evbuffer_add_printf(dst, "HTTP/1.1 %d %s\r\nDate: %s\r\n"
	    "Server: %s\r\nX-Frame-Options: DENY\r\nContent-Type: %s\r\n",
	    status, sim_http_reason(status), date, server, type);
	if (n >= 0 && chunked)
		n = evbuffer_add_printf(dst, "Transfer-Encoding: chunked\r\n");
	else if (n >= 0)
		n = evbuffer_add_printf(dst, "Content-Length: %zu\r\n", length);
	if (n >= 0 && c->close_after)
		n = evbuffer_add_printf(dst, "Connection: close\r\n");
	if (n >= 0)
		n = evbuffer_add(dst, "\r\n", 2);
	return n < 0 ? MPS_ERR_NOMEM : 0;
}

/* A SOAP answer: chunked like AMT's, unless the client speaks 1.0. */
static int
sim_wconn_soap(struct sim_wconn *c, struct evbuffer *dst, int status,
    const char *body, size_t len)
{
	static const char	type[] = "application/soap+xml; charset=UTF-8";
	uint32_t		seed;
	int			r;

	if (c->req.minor == 0) {
		if ((r = sim_wconn_head(c, dst, status, type, 0, len)) != 0)
			return r;
		return evbuffer_add(dst, body, len) == 0 ? 0 : MPS_ERR_NOMEM;
	}
	if ((r = sim_wconn_head(c, dst, status, type, 1, 0)) != 0)
		return r;
	/* Reproducible per device and request, different between them. */
	seed = c->amt->index * 2654435761u ^ (uint32_t)c->amt->requests;
	return sim_http_chunked(dst, body, len, seed) < 0 ? MPS_ERR_NOMEM : 0;
}

/* A plain error answer (not WS-Man): text/html with a length. */
static int
sim_wconn_error(struct sim_wconn *c, struct evbuffer *dst, int status)
{
	char	body[256];
	int	n, r;

	n = snprintf(body, sizeof(body), "<html><head><title>%d %s</title>"
	    "</head><body><h1>%d %s</h1></body></html>\n", status,
	    sim_http_reason(status), status, sim_http_reason(status));
	if ((r = sim_wconn_head(c, dst, status, "text/html", 0,
	    (size_t)n)) != 0)
		return r;
	return evbuffer_add(dst, body, (size_t)n) == 0 ? 0 : MPS_ERR_NOMEM;
}

/* AMT's 401: a Digest challenge with a fresh nonce, and Connection: close. */
static int
sim_wconn_401(struct sim_wconn *c, struct evbuffer *dst)
{
	static const char	 body[] = SIM_WCONN_401_BODY;
	const char		*nonce;
	char			 server[96];
	int			 r;

	if ((r = sim_digest_challenge(&c->amt->digest, sim_wconn_now_ms(),
	    &nonce)) != 0)
		return r;
	sim_wsman_server_header(c->ws, server, sizeof(server));
	c->close_after = 1;
	/* Field order and the irregular separators are AMT's. */
	if (evbuffer_add_printf(dst, "HTTP/1.1 401 Unauthorized\r\n"
	    "WWW-Authenticate: Digest realm=\"%s\", nonce=\"%s\","
	    "stale=\"false\",qop=\"auth\"\r\nContent-Type: text/html\r\n"
	    "Server: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
	    c->amt->realm, nonce, server, sizeof(body) - 1) < 0 ||
	    evbuffer_add(dst, body, sizeof(body) - 1) != 0)
		return MPS_ERR_NOMEM;
	return 0;
}

/* Append s with the XML markup characters escaped. */
static int
sim_wconn_xml_text(struct evbuffer *dst, const char *s)
{
	int	r = 0;

	for (; *s != '\0' && r == 0; s++) {
		if (*s == '<')
			r = evbuffer_add(dst, "&lt;", 4);
		else if (*s == '>')
			r = evbuffer_add(dst, "&gt;", 4);
		else if (*s == '&')
			r = evbuffer_add(dst, "&amp;", 5);
		else
			r = evbuffer_add(dst, s, 1);
	}
	return r == 0 ? 0 : MPS_ERR_NOMEM;
}

/*
 * http-captures: replay the recorded exchange.  No Authorization: the
 * recorded 401 (headers as captured; the capture left out the HTML body
 * its Content-Length announces, so a body of that length is supplied).
 * With Authorization, not checked: the recorded 200, chunk boundaries as
 * captured; only RelatesTo is set to the request's MessageID, in the one
 * chunk that holds it, so a client that correlates still can.
 */
static int
sim_wconn_captures(struct sim_wconn *c, struct evbuffer *dst,
    struct sim_wsman_call *call)
{
	const struct sim_fixture_set	*fs = &c->ws->fx;
	const struct sim_fixture_http	*cap = &fs->cap200;
	struct wsman_req_info		 req;
	struct evbuffer			*tmp;
	const char			*cl, *p, *open, *close;
	size_t				 i, len, fill;
	char				 msgid[WSMAN_MSGID_LEN * 2] = "";
	int				 r = 0;

	call->auth = "capture";
	if (c->req.auth[0] == '\0') {
		call->status = 401;
		c->close_after = 1;
		if (evbuffer_add(dst, fs->cap401.head, fs->cap401.head_len) !=
		    0)
			return MPS_ERR_NOMEM;
		fill = 0;
		if ((cl = strstr(fs->cap401.head, "Content-Length:")) != NULL)
			fill = strtoul(cl + 15, NULL, 10);
		if (fill > 64 * 1024)
			fill = 0;
		len = sizeof(SIM_WCONN_401_BODY) - 1;
		if (evbuffer_add(dst, SIM_WCONN_401_BODY, len < fill ? len :
		    fill) != 0)
			return MPS_ERR_NOMEM;
		for (i = len; i < fill; i++)
			if (evbuffer_add(dst, i + 1 == fill ? "\n" : " ", 1) !=
			    0)
				return MPS_ERR_NOMEM;
		return 0;
	}
	if (wsman_req_parse(&req, c->req.body, c->req.body_len) == 0) {
		snprintf(msgid, sizeof(msgid), "%s", req.message_id);
		if (strcmp(req.resource_uri, WSMAN_URI_CIM "CIM_Card") == 0 &&
		    fs->cap200_card.nchunks > 0)
			cap = &fs->cap200_card;
	}
	wsman_req_free(&req);
	call->status = 200;
	if (evbuffer_add(dst, fs->cap200.head, fs->cap200.head_len) != 0 ||
	    (tmp = evbuffer_new()) == NULL)
		return MPS_ERR_NOMEM;
	for (i = 0; i < cap->nchunks && r == 0; i++) {
		p = cap->chunk[i];
		len = cap->chunk_len[i];
		evbuffer_drain(tmp, evbuffer_get_length(tmp));
		open = memmem(p, len, "RelatesTo>", 10);
		close = open != NULL ? memmem(open, len - (size_t)(open - p),
		    "</", 2) : NULL;
		if (msgid[0] != '\0' && open != NULL && close != NULL) {
			open += 10;
			if (evbuffer_add(tmp, p, (size_t)(open - p)) != 0 ||
			    sim_wconn_xml_text(tmp, msgid) != 0 ||
			    evbuffer_add(tmp, close, len - (size_t)(close -
			    p)) != 0)
				r = MPS_ERR_NOMEM;
		} else if (evbuffer_add(tmp, p, len) != 0)
			r = MPS_ERR_NOMEM;
		if (r == 0 && (evbuffer_add_printf(dst, "%04zX\r\n",
		    evbuffer_get_length(tmp)) < 0 ||
		    evbuffer_add_buffer(dst, tmp) != 0 ||
		    evbuffer_add(dst, "\r\n", 2) != 0))
			r = MPS_ERR_NOMEM;
	}
	evbuffer_free(tmp);
	if (r == 0 && evbuffer_add(dst, "0\r\n\r\n", 5) != 0)
		r = MPS_ERR_NOMEM;
	return r;
}

/* The slow fault's timer: release the held answer. */
static void
sim_wconn_delay_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sim_wconn	*c = arg;

	if (c->state != SIM_WCONN_DELAYING)
		return;
	if (c->held != NULL && evbuffer_add_buffer(c->out, c->held) != 0) {
		sim_wconn_abort(c, "out of memory");
		return;
	}
	c->state = c->close_after ? SIM_WCONN_CLOSING : SIM_WCONN_WRITING;
	sim_wconn_run(c);
}

/* One whole request parsed: answer it (or schedule the answer). */
static int
sim_wconn_request(struct sim_wconn *c)
{
	struct sim_http_req	*q = &c->req;
	struct sim_wsman_call	 call;
	struct sim_wsman_reply	 rep;
	struct sim_digest_cred	 cred;
	struct evbuffer		*dst;
	enum sim_digest_result	 dr;
	struct timeval		 tv;
	int			 r = 0;

	memset(&call, 0, sizeof(call));
	c->nreq++;
	c->amt->requests++;
	c->ws->st.requests++;
	c->close_after = q->conn_close;
	dst = sim_wconn_dst(c);
	if (strcmp(q->target, "/wsman") != 0) {
		call.status = 404;
		r = sim_wconn_error(c, dst, 404);
	} else if (strcmp(q->method, "POST") != 0) {
		call.status = 405;
		r = sim_wconn_error(c, dst, 405);
	} else if (c->faults & (1u << SIM_WF_HTTP_CAPTURES)) {
		sim_wsman_describe(q->body, q->body_len, &call);
		r = sim_wconn_captures(c, dst, &call);
	} else {
		cred.user = c->ws->cfg.user;
		cred.password = c->ws->cfg.password;
		cred.realm = c->amt->realm;
		if (c->faults & (1u << SIM_WF_WRONG_AUTH))
			dr = q->auth[0] == '\0' ? SIM_DIGEST_MISSING :
			    SIM_DIGEST_BAD_RESPONSE;
		else
			dr = sim_digest_verify(&c->amt->digest, q->auth,
			    q->method, q->target, &cred, sim_wconn_now_ms(),
			    (uint64_t)c->ws->cfg.nonce_lifetime_s * 1000);
		call.auth = sim_digest_result_name(dr);
		if (dr != SIM_DIGEST_OK) {
			/* Described for the log only: AMT reads nothing of
			 * an unauthenticated request. */
			sim_wsman_describe(q->body, q->body_len, &call);
			call.status = 401;
			r = sim_wconn_401(c, dst);
		} else {
			r = sim_wsman_handle(c->ws, c->amt, c->faults, q->body,
			    q->body_len, &rep, &call);
			if (r == 0)
				r = sim_wconn_soap(c, dst, rep.status,
				    rep.body, rep.len);
			free(rep.body);
		}
	}
	if (r != 0)
		return r;
	sim_wconn_log_call(c, &call);
	if (dst == c->held) {
		if (c->delay_ev == NULL && (c->delay_ev = evtimer_new(
		    c->ws->base, sim_wconn_delay_cb, c)) == NULL)
			return MPS_ERR_NOMEM;
		tv.tv_sec = c->ws->cfg.fault_slow_ms / 1000;
		tv.tv_usec = (c->ws->cfg.fault_slow_ms % 1000) * 1000;
		if (evtimer_add(c->delay_ev, &tv) != 0)
			return MPS_ERR_NOMEM;
		c->state = SIM_WCONN_DELAYING;
	} else
		c->state = c->close_after ? SIM_WCONN_CLOSING :
		    SIM_WCONN_WRITING;
	return 0;
}

/* TLS: decrypt what is there into c->in (bounded). */
static int
sim_wconn_tls_read(struct sim_wconn *c)
{
	unsigned char	buf[SIM_WCONN_TLS_CHUNK];
	int		k, e;

	while (evbuffer_get_length(c->in) < SIM_WCONN_IN_MAX) {
		k = SSL_read(c->ssl, buf, sizeof(buf));
		if (k > 0) {
			if (evbuffer_add(c->in, buf, (size_t)k) != 0)
				return MPS_ERR_NOMEM;
			continue;
		}
		e = SSL_get_error(c->ssl, k);
		if (e == SSL_ERROR_WANT_READ)
			return 0;
		if (e == SSL_ERROR_ZERO_RETURN)
			return MPS_ERR_CLOSED;	/* close_notify */
		return MPS_ERR_TLS;
	}
	return 0;
}

/* Feed buffered input to the parser, one evbuffer segment at a time. */
static int
sim_wconn_parse(struct sim_wconn *c)
{
	struct evbuffer_iovec	v;
	size_t			used;
	int			r;

	while (evbuffer_peek(c->in, -1, NULL, &v, 1) > 0) {
		r = sim_http_parse(&c->req, v.iov_base, v.iov_len, &used);
		evbuffer_drain(c->in, used);
		if (r != MPS_ERR_INCOMPLETE)
			return r;
	}
	return MPS_ERR_INCOMPLETE;
}

/* The answer to input that is no request we can read; then close. */
static int
sim_wconn_bad_request(struct sim_wconn *c)
{
	struct sim_wsman_call	call;

	memset(&call, 0, sizeof(call));
	c->close_after = 1;
	c->nreq++;
	c->ws->st.requests++;
	call.status = c->req.status;
	sim_wconn_log(c, "bad request", sim_http_reason(c->req.status));
	sim_wconn_log_call(c, &call);
	return sim_wconn_error(c, c->out, c->req.status);
}

static void
sim_wconn_run(struct sim_wconn *c)
{
	int	r;

	for (;;) {
		if (c->state == SIM_WCONN_CLOSED)
			return;
		if ((r = sim_wconn_flush(c)) != 0) {
			sim_wconn_abort(c, mps_strerror(r));
			return;
		}
		switch (c->state) {
		case SIM_WCONN_HANDSHAKE:
			r = SSL_do_handshake(c->ssl);
			if (r == 1) {
				c->ws->st.tls_handshakes++;
				c->state = SIM_WCONN_READING;
				continue;
			}
			if (SSL_get_error(c->ssl, r) == SSL_ERROR_WANT_READ) {
				/* Our flight (ServerHello...) may be out. */
				if ((r = sim_wconn_flush(c)) != 0)
					sim_wconn_abort(c, mps_strerror(r));
				return;
			}
			c->ws->st.tls_failures++;
			/* Let the alert out, if any, then close. */
			(void)sim_wconn_flush(c);
			sim_wconn_abort(c, "TLS handshake failed");
			return;
		case SIM_WCONN_DELAYING:
			return;
		case SIM_WCONN_WRITING:
		case SIM_WCONN_CLOSING:
			if (sim_wconn_pending(c))
				return;	/* wait for room */
			if (c->state == SIM_WCONN_CLOSING) {
				if (c->ssl != NULL) {
					(void)SSL_shutdown(c->ssl);
					(void)sim_wconn_flush(c);
				}
				sim_wconn_abort(c, NULL);
				return;
			}
			c->state = SIM_WCONN_READING;
			sim_http_req_reset(&c->req);
			continue;
		case SIM_WCONN_READING:
			if (c->ssl != NULL &&
			    (r = sim_wconn_tls_read(c)) != 0) {
				sim_wconn_abort(c, r == MPS_ERR_CLOSED ?
				    "peer closed TLS" : mps_strerror(r));
				return;
			}
			r = sim_wconn_parse(c);
			if (r == MPS_ERR_INCOMPLETE) {
				if (c->req.expect_continue) {
					/* Say "go on" once per request. */
					c->req.expect_continue = 0;
					if (evbuffer_add_printf(c->out,
					    "HTTP/1.1 100 Continue\r\n\r\n") <
					    0) {
						sim_wconn_abort(c,
						    "out of memory");
						return;
					}
					continue;
				}
				return;
			}
			if (r == 0) {
				if ((r = sim_wconn_request(c)) != 0) {
					sim_wconn_abort(c, mps_strerror(r));
					return;
				}
				continue;
			}
			/* A request we cannot read: say so, then close. */
			if (sim_wconn_bad_request(c) != 0) {
				sim_wconn_abort(c, "out of memory");
				return;
			}
			c->state = SIM_WCONN_CLOSING;
			continue;
		case SIM_WCONN_CLOSED:
			return;
		}
	}
}

size_t
sim_wconn_input(struct sim_wconn *c, const uint8_t *p, size_t len)
{
	size_t	held, room, n;

	if (c->state == SIM_WCONN_CLOSED)
		return len;	/* nobody listens any more: drop */
	held = evbuffer_get_length(c->in) +
	    (c->ssl != NULL ? BIO_ctrl_pending(c->rbio) : 0);
	room = held >= SIM_WCONN_IN_MAX ? 0 : SIM_WCONN_IN_MAX - held;
	n = len < room ? len : room;
	if (n > 0) {
		if (c->ssl != NULL) {
			if (BIO_write(c->rbio, p, (int)n) != (int)n) {
				sim_wconn_abort(c, "out of memory");
				return len;
			}
		} else if (evbuffer_add(c->in, p, n) != 0) {
			sim_wconn_abort(c, "out of memory");
			return len;
		}
	}
	sim_wconn_run(c);
	return n;
}

void
sim_wconn_writable(struct sim_wconn *c)
{
	sim_wconn_run(c);
}
