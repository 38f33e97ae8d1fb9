/*
 * test_sim_wsman.c: the simulated AMT's WS-Man responder end to end
 * through its HTTP connection (sim_wconn) over an in-memory transport
 * with little room, as a channel has: Digest challenge and nonce reuse,
 * keep-alive, chunked answers, the daemon's own AMT operations (amt.h)
 * run against it, Enumerate/Pull paging, faults, the call log, and TLS.
 * The client side here is written independently of the responder: its
 * own HTTP framing, its own Digest on OpenSSL's MD5.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "amt.h"
#include "mps_err.h"
#include "sim_wsman.h"
#include "wsman.h"

#define T_FIX		MPS_FIXTURES "/amt-wsman"
#define T_ROOM		700	/* transport room per round: forces waits */

static const uint8_t t_uuid[16] = {
	0x44, 0x45, 0x4c, 0x4c, 0x4b, 0x00, 0x10, 0x42,
	0x80, 0x33, 0xb6, 0xc0, 0x4f, 0x50, 0x46, 0x33,
};

/* The transport: a buffer with a little room, drained by the test. */
struct t_io {
	struct evbuffer	*out;
	size_t		 room;
	int		 closed;
};

static size_t
t_io_room(void *arg)
{
	struct t_io	*io = arg;

	return io->closed ? 0 : io->room;
}

static int
t_io_write(void *arg, const void *p, size_t len)
{
	struct t_io	*io = arg;

	assert_false(io->closed);
	assert_true(len <= io->room);
	io->room -= len;
	return evbuffer_add(io->out, p, len) == 0 ? 0 : MPS_ERR_NOMEM;
}

static void
t_io_close(void *arg)
{
	struct t_io	*io = arg;

	io->closed = 1;
}

static const struct sim_wconn_io t_io_ops = {
	.room = t_io_room, .write = t_io_write, .close = t_io_close,
};

/* A connection as the client sees it. */
struct t_conn {
	struct sim_wconn	*c;
	struct t_io		 io;
	struct evbuffer		*got;	/* everything received */
};

/* A client: remembers the challenge and counts nc, as libcurl does. */
struct t_client {
	struct sim_wsman	*w;
	struct sim_amt		*a;
	uint32_t		 port;
	const char		*user, *password;
	char			 realm[64];
	char			 nonce[64];
	uint32_t		 nc;
	struct t_conn		*conn;
	int			 connections;
	int			 challenges;
	struct event_base	*base;	/* run while waiting (slow) */
};

struct t_resp {
	int	status;
	char	head[4096];
	char	*body;
	size_t	body_len;
	int	closed;
};

static void
t_md5(const char *s, char out[33])
{
	unsigned char	md[16];
	unsigned int	n = 0, i;

	assert_int_equal(EVP_Digest(s, strlen(s), md, &n, EVP_md5(), NULL), 1);
	for (i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static struct t_conn *
t_conn_new(struct t_client *cl)
{
	struct t_conn	*tc = calloc(1, sizeof(*tc));

	assert_non_null(tc);
	tc->io.out = evbuffer_new();
	tc->got = evbuffer_new();
	tc->c = sim_wconn_new(cl->w, cl->a, cl->port,
	    sim_wsman_dev_faults(cl->w, cl->a->index), &t_io_ops, &tc->io);
	assert_non_null(tc->c);
	assert_int_equal(tc->c->state, cl->port == 16993 ?
	    SIM_WCONN_HANDSHAKE : SIM_WCONN_READING);
	cl->connections++;
	return tc;
}

static void
t_conn_free(struct t_conn *tc)
{
	if (tc == NULL)
		return;
	sim_wconn_free(tc->c);
	evbuffer_free(tc->io.out);
	evbuffer_free(tc->got);
	free(tc);
}

/* Move what the responder wrote to the client and give it room again. */
static void
t_pump(struct t_conn *tc)
{
	int	i;

	for (i = 0; i < 100000; i++) {
		evbuffer_add_buffer(tc->got, tc->io.out);
		tc->io.room = T_ROOM;
		sim_wconn_writable(tc->c);
		if (evbuffer_get_length(tc->io.out) == 0)
			return;
	}
	fail_msg("the responder never stopped writing");
}

/* Parse one whole HTTP response at the front of tc->got, if there is. */
static int
t_take_response(struct t_conn *tc, struct t_resp *r)
{
	const char	*p, *hend, *cl, *q;
	size_t		 len, hl, off, n, blen = 0;
	char		*body = NULL;

	len = evbuffer_get_length(tc->got);
	if (len == 0)
		return 0;
	p = (const char *)evbuffer_pullup(tc->got, -1);
	if ((hend = memmem(p, len, "\r\n\r\n", 4)) == NULL)
		return 0;
	hl = (size_t)(hend - p) + 4;
	assert_true(hl < sizeof(r->head));
	memcpy(r->head, p, hl);
	r->head[hl] = '\0';
	assert_int_equal(strncmp(r->head, "HTTP/1.1 ", 9), 0);
	r->status = atoi(r->head + 9);
	if (r->status == 100) {
		evbuffer_drain(tc->got, hl);
		return t_take_response(tc, r);
	}
	off = hl;
	if (strstr(r->head, "\r\nTransfer-Encoding: chunked\r\n") != NULL) {
		body = malloc(len + 1);
		assert_non_null(body);
		for (;;) {
			if ((q = memmem(p + off, len - off, "\r\n", 2)) == NULL)
				goto partial;
			n = strtoul(p + off, NULL, 16);
			off = (size_t)(q - p) + 2;
			if (n == 0) {
				if (len - off < 2)
					goto partial;
				off += 2;
				break;
			}
			if (len - off < n + 2)
				goto partial;
			memcpy(body + blen, p + off, n);
			blen += n;
			off += n + 2;
		}
	} else {
		assert_non_null(cl = strstr(r->head, "Content-Length: "));
		n = strtoul(cl + 16, NULL, 10);
		if (len - off < n)
			return 0;
		body = malloc(n + 1);
		assert_non_null(body);
		memcpy(body, p + off, n);
		blen = n;
		off += n;
	}
	body[blen] = '\0';
	r->body = body;
	r->body_len = blen;
	evbuffer_drain(tc->got, off);
	return 1;
partial:
	free(body);
	return 0;
}

/* Send raw bytes in pieces of 1..31 bytes, as channels deliver them. */
static void
t_send(struct t_conn *tc, const char *p, size_t len)
{
	size_t	off = 0, n;

	while (off < len) {
		n = 1 + (size_t)rand() % 31;
		if (n > len - off)
			n = len - off;
		assert_int_equal(sim_wconn_input(tc->c, (const uint8_t *)p +
		    off, n), n);
		off += n;
		t_pump(tc);
	}
}

static void
t_sends(struct t_conn *tc, const char *s)
{
	t_send(tc, s, strlen(s));
}

/* Wait for one response on tc (running the event loop if there is one). */
static void
t_wait(struct t_client *cl, struct t_conn *tc, struct t_resp *r)
{
	int	i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < 1000; i++) {
		t_pump(tc);
		if (t_take_response(tc, r)) {
			r->closed = tc->io.closed;
			return;
		}
		if (cl->base == NULL)
			break;
		event_base_loop(cl->base, EVLOOP_ONCE);
	}
	fail_msg("no response");
}

static char *
t_authz(struct t_client *cl)
{
	char	a1[256], ha1[33], ha2[33], all[512], resp[33], nc[16];
	char	*h;

	snprintf(nc, sizeof(nc), "%08x", ++cl->nc);
	snprintf(a1, sizeof(a1), "%s:%s:%s", cl->user, cl->realm,
	    cl->password);
	t_md5(a1, ha1);
	t_md5("POST:/wsman", ha2);
	snprintf(all, sizeof(all), "%s:%s:%s:abcdef:auth:%s", ha1, cl->nonce,
	    nc, ha2);
	t_md5(all, resp);
	assert_true(asprintf(&h, "Authorization: Digest username=\"%s\","
	    "realm=\"%s\",nonce=\"%s\",uri=\"/wsman\",qop=\"auth\","
	    "response=\"%s\",nc=\"%s\",cnonce=\"abcdef\"\r\n", cl->user,
	    cl->realm, cl->nonce, resp, nc) > 0);
	return h;
}

/* Remember realm and nonce from a 401's WWW-Authenticate. */
static void
t_challenge(struct t_client *cl, const struct t_resp *r)
{
	const char		*h, *v;
	static const char	 lead[] =
	    "\r\nWWW-Authenticate: Digest realm=\"";

	assert_non_null(h = strstr(r->head, lead));
	v = h + sizeof(lead) - 1;
	snprintf(cl->realm, sizeof(cl->realm), "%.*s",
	    (int)strcspn(v, "\""), v);
	assert_non_null(v = strstr(h, "nonce=\""));
	v += 7;
	snprintf(cl->nonce, sizeof(cl->nonce), "%.*s",
	    (int)strcspn(v, "\""), v);
	/* AMT's exact separators. */
	assert_non_null(strstr(h, "\",stale=\"false\",qop=\"auth\"\r\n"));
	cl->nc = 0;
	cl->challenges++;
}

/*
 * POST body on the client's connection (a new one if it has none or the
 * last was closed); on a 401 retry once on a new connection with the
 * challenge, as libcurl does.  Returns the final response.
 */
static void
t_post(struct t_client *cl, const char *body, size_t len, struct t_resp *r)
{
	char	*req, *auth;
	int	 attempt, n;

	for (attempt = 0; attempt < 2; attempt++) {
		if (cl->conn == NULL || cl->conn->io.closed) {
			t_conn_free(cl->conn);
			cl->conn = t_conn_new(cl);
		}
		auth = cl->nonce[0] != '\0' ? t_authz(cl) : strdup("");
		n = asprintf(&req, "POST /wsman HTTP/1.1\r\nHost: "
		    "%s:%u\r\n%sContent-Type: application/soap+xml;"
		    "charset=UTF-8\r\nContent-Length: %zu\r\n\r\n%.*s",
		    cl->a->guid, cl->port, auth, len, (int)len, body);
		assert_true(n > 0);
		free(auth);
		t_send(cl->conn, req, (size_t)n);
		free(req);
		t_wait(cl, cl->conn, r);
		if (r->status != 401)
			return;
		/* AMT closes after a 401. */
		assert_true(r->closed);
		assert_non_null(strstr(r->head, "\r\nConnection: close\r\n"));
		t_challenge(cl, r);
		if (attempt == 0)
			free(r->body);
	}
}

static void
t_client_init(struct t_client *cl, struct sim_wsman *w, struct sim_amt *a,
    uint32_t port)
{
	memset(cl, 0, sizeof(*cl));
	cl->w = w;
	cl->a = a;
	cl->port = port;
	cl->user = SIM_WSMAN_DEFAULT_USER;
	cl->password = SIM_WSMAN_DEFAULT_PASSWORD;
}

static void
t_client_done(struct t_client *cl)
{
	t_conn_free(cl->conn);
	cl->conn = NULL;
}

/* Run an AMT operation from the daemon's wsman library to its end. */
static int
t_run_op(struct t_client *cl, struct amt_op *op)
{
	struct t_resp	 r;
	const char	*body;
	size_t		 len;
	int		 rc;

	for (;;) {
		assert_int_equal(amt_op_next_request(op, &body, &len), 0);
		t_post(cl, body, len, &r);
		if (r.status == 200)
			assert_non_null(strstr(r.head, "\r\nContent-Type: "
			    "application/soap+xml; charset=UTF-8\r\n"));
		rc = amt_op_feed_response(op, r.status, r.body, r.body_len);
		free(r.body);
		if (rc != AMT_OP_MORE)
			return rc;
	}
}

static void
t_wsman_init(struct sim_wsman *w, const char *fixtures, const char *log,
    struct event_base *base)
{
	char	err[256] = "";

	memset(w, 0, sizeof(*w));
	sim_wsman_cfg_default(&w->cfg);
	w->cfg.fixtures = fixtures;
	w->cfg.log_path = log;
	if (sim_wsman_init(w, base, 4, err, sizeof(err)) != 0)
		fail_msg("sim_wsman_init: %s", err);
}

static int
t_have_fixtures(void)
{
	return access(T_FIX "/responses", R_OK) == 0;
}

/* Digest, nonce reuse across connections, keep-alive, close. */
static void
test_auth_and_keepalive(void **state)
{
	struct sim_wsman	 w;
	struct sim_amt		*a;
	struct t_client		 cl;
	struct t_resp		 r;
	struct wsman_ctx	 ctx;
	struct wsman_request	 req = { .action = WSMAN_GET,
	    .resource_uri = WSMAN_URI_AMT "AMT_GeneralSettings",
	    .message_id = "17" };
	struct wsman_resp	 resp;
	char			*body;
	size_t			 len;
	int			 i;

	t_wsman_init(&w, "none", NULL, NULL);
	assert_non_null(a = sim_wsman_amt(&w, 0, t_uuid));
	assert_ptr_equal(sim_wsman_amt(&w, 0, t_uuid), a);
	assert_null(sim_wsman_amt(&w, 4, t_uuid));
	assert_int_equal(wsman_ctx_init(&ctx, 0, NULL), 0);
	assert_int_equal(wsman_build(&req, &body, &len), 0);
	t_client_init(&cl, &w, a, 16992);

	/* First: 401, HTML with a length, the Server header, closed. */
	t_post(&cl, body, len, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(cl.challenges, 1);
	assert_int_equal(cl.connections, 2);
	assert_string_equal(cl.realm, a->realm);
	assert_non_null(strstr(r.head, "\r\nServer: Intel(R) Active "
	    "Management Technology 15.0.23.1706\r\n"));
	assert_non_null(strstr(r.head, "\r\nTransfer-Encoding: chunked\r\n"));
	assert_null(strstr(r.head, "Connection: close"));
	memset(&resp, 0, sizeof(resp));
	assert_int_equal(wsman_resp_parse(&resp, r.body, r.body_len, "17"), 0);
	assert_false(resp.is_fault);
	assert_string_equal(resp.action,
	    "http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse");
	wsman_resp_free(&resp);
	assert_non_null(strstr(r.body, "<g:HostName>sim-0</g:HostName>"));
	assert_non_null(strstr(r.body, "<b:MessageID>uuid:00000000-8086-8086-"
	    "8086-"));
	/* The declaration and the envelope on one line, as AMT sends. */
	assert_int_equal(strncmp(r.body, "<?xml version=\"1.0\" encoding="
	    "\"UTF-8\"?><a:Envelope ", 50), 0);
	free(r.body);

	/* Keep-alive: more requests on the same connection, nc counting. */
	for (i = 0; i < 3; i++) {
		t_post(&cl, body, len, &r);
		assert_int_equal(r.status, 200);
		assert_false(r.closed);
		free(r.body);
	}
	assert_int_equal(cl.connections, 2);
	assert_int_equal(cl.nc, 4);

	/* A new connection reuses the nonce: no challenge. */
	t_conn_free(cl.conn);
	cl.conn = NULL;
	t_post(&cl, body, len, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(cl.challenges, 1);
	assert_int_equal(cl.connections, 3);
	free(r.body);

	/* Replaying an nc: 401 (and a fresh challenge that works). */
	cl.nc--;
	t_post(&cl, body, len, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(cl.challenges, 2);
	free(r.body);

	/* Connection: close is honoured after the answer. */
	{
		char	*auth = t_authz(&cl), *raw;
		int	 n;

		n = asprintf(&raw, "POST /wsman HTTP/1.1\r\nHost: x\r\n%s"
		    "Connection: close\r\nContent-Length: %zu\r\n\r\n%s",
		    auth, len, body);
		free(auth);
		t_send(cl.conn, raw, (size_t)n);
		free(raw);
		t_wait(&cl, cl.conn, &r);
		assert_int_equal(r.status, 200);
		assert_true(r.closed);
		assert_non_null(strstr(r.head, "\r\nConnection: close\r\n"));
		free(r.body);
	}

	/* Wrong password: 401 every time, the operation says so. */
	cl.password = "nope";
	t_post(&cl, body, len, &r);
	assert_int_equal(r.status, 401);
	free(r.body);
	/* First contact, the replay, and both tries with the wrong password. */
	assert_int_equal(w.st.unauthorized, 4);
	free(body);
	t_client_done(&cl);
	sim_wsman_free(&w);
}

/* Byte-level HTTP: errors, other paths, pipelining, HTTP/1.0. */
static void
test_http_edges(void **state)
{
	struct sim_wsman	 w;
	struct sim_amt		*a;
	struct t_client		 cl;
	struct t_conn		*tc;
	struct t_resp		 r;
	static const char	 two[] =
	    "POST /nothere HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"
	    "GET /wsman HTTP/1.1\r\nHost: h\r\n\r\n";

	t_wsman_init(&w, "none", NULL, NULL);
	a = sim_wsman_amt(&w, 1, t_uuid);
	t_client_init(&cl, &w, a, 16992);

	/* Two pipelined requests, answered in order on one connection. */
	tc = t_conn_new(&cl);
	t_send(tc, two, sizeof(two) - 1);
	t_wait(&cl, tc, &r);
	assert_int_equal(r.status, 404);
	free(r.body);
	t_wait(&cl, tc, &r);
	assert_int_equal(r.status, 405);
	assert_false(r.closed);
	free(r.body);
	t_conn_free(tc);

	/* Unreadable input: 400 and close. */
	tc = t_conn_new(&cl);
	t_sends(tc, "POST /wsman HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	t_wait(&cl, tc, &r);
	assert_int_equal(r.status, 400);
	assert_true(r.closed);
	free(r.body);
	/* Input after close is dropped, not an error. */
	assert_int_equal(sim_wconn_input(tc->c, (const uint8_t *)"x", 1), 1);
	assert_int_equal(tc->c->state, SIM_WCONN_CLOSED);
	t_conn_free(tc);

	/* A body over the cap: 413 before it is read. */
	tc = t_conn_new(&cl);
	t_sends(tc, "POST /wsman HTTP/1.1\r\nHost: h\r\nContent-Length: "
	    "9999999\r\n\r\n");
	t_wait(&cl, tc, &r);
	assert_int_equal(r.status, 413);
	assert_true(r.closed);
	free(r.body);
	t_conn_free(tc);

	/* Expect: 100-continue gets its interim answer. */
	tc = t_conn_new(&cl);
	t_sends(tc, "POST /wsman HTTP/1.1\r\nHost: h\r\nExpect: 100-continue"
	    "\r\nContent-Length: 2\r\n\r\n");
	t_pump(tc);
	assert_int_equal(strncmp((const char *)evbuffer_pullup(tc->got, -1),
	    "HTTP/1.1 100 Continue\r\n\r\n", 25), 0);
	t_sends(tc, "<>");
	t_wait(&cl, tc, &r);
	assert_int_equal(r.status, 401);
	free(r.body);
	t_conn_free(tc);
	t_client_done(&cl);
	sim_wsman_free(&w);
}

/* Power through amt.h's operations, with and without the fixtures. */
static void
t_power(const char *fixtures)
{
	struct sim_wsman	 w;
	struct sim_amt		*a;
	struct t_client		 cl;
	struct wsman_ctx	 ctx;
	struct amt_op		*op;
	const struct amt_result	*res;
	size_t			 i;

	t_wsman_init(&w, fixtures, NULL, NULL);
	a = sim_wsman_amt(&w, 0, t_uuid);
	t_client_init(&cl, &w, a, 16992);
	assert_int_equal(wsman_ctx_init(&ctx, 0x1234, NULL), 0);

	assert_int_equal(amt_power_state_new(&ctx, &op), 0);
	assert_int_equal(t_run_op(&cl, op), AMT_OP_DONE);
	res = amt_op_result(op);
	assert_int_equal(res->power.power_state, 2);
	assert_int_equal(res->power.navailable, 8);
	amt_op_free(op);

	assert_int_equal(amt_power_action_new(&ctx, AMT_POWER_OFF, &op), 0);
	assert_int_equal(t_run_op(&cl, op), AMT_OP_DONE);
	assert_int_equal(amt_op_result(op)->rv.value, 0);
	amt_op_free(op);
	assert_int_equal(a->power, 8);

	assert_int_equal(amt_power_state_new(&ctx, &op), 0);
	assert_int_equal(t_run_op(&cl, op), AMT_OP_DONE);
	res = amt_op_result(op);
	assert_int_equal(res->power.power_state, 8);
	assert_int_equal(res->power.navailable, 1);
	assert_int_equal(res->power.available[0], 2);
	amt_op_free(op);

	/* Sleep when off: refused by the machine, the state stays. */
	assert_int_equal(amt_power_action_new(&ctx, AMT_POWER_SLEEP, &op), 0);
	assert_int_equal(t_run_op(&cl, op), MPS_ERR_RETURN_VALUE);
	assert_int_equal(amt_op_result(op)->rv.value, 2);
	amt_op_free(op);
	assert_int_equal(a->power, 8);

	for (i = 0; i < 3; i++) {
		static const enum amt_power_action acts[] = { AMT_POWER_ON,
		    AMT_POWER_HIBERNATE, AMT_POWER_ON };
		static const uint32_t after[] = { 2, 7, 2 };

		assert_int_equal(amt_power_action_new(&ctx, acts[i], &op), 0);
		assert_int_equal(t_run_op(&cl, op), AMT_OP_DONE);
		amt_op_free(op);
		assert_int_equal(a->power, after[i]);
	}
	t_client_done(&cl);
	sim_wsman_free(&w);
}

static void
test_power(void **state)
{
	t_power("none");
	if (t_have_fixtures())
		t_power(T_FIX);
}

/* Boot: the daemon's sequence, stored, then used by the reset. */
static void
t_boot(const char *fixtures)
{
	struct sim_wsman	 w;
	struct sim_amt		*a;
	struct t_client		 cl;
	struct wsman_ctx	 ctx;
	struct amt_op		*op;
	char			 log[] = "/tmp/test_sim_wsman.XXXXXX";
	int			 fd;
	FILE			*fp;
	char			 line[16384];
	json_t			*j;
	json_error_t		 je;
	int			 n = 0, saw_order = 0, saw_boot = 0;

	assert_true((fd = mkstemp(log)) >= 0);
	close(fd);
	t_wsman_init(&w, fixtures, log, NULL);
	a = sim_wsman_amt(&w, 2, t_uuid);
	t_client_init(&cl, &w, a, 16992);
	assert_int_equal(wsman_ctx_init(&ctx, 0, NULL), 0);

	assert_int_equal(amt_boot_new(&ctx, AMT_BOOT_BIOS, 0, &op), 0);
	assert_int_equal(t_run_op(&cl, op), AMT_OP_DONE);
	amt_op_free(op);
	assert_int_equal(a->boot[SIM_AMT_BF_BIOSSetup], 1);
	assert_int_equal(a->boot_role, 1);
	assert_int_equal(a->boot_source, SIM_AMT_BOOT_NONE);

	/* pxeboot on a running machine: ends with a reset that boots. */
	assert_int_equal(amt_boot_new(&ctx, AMT_BOOT_PXE, 1, &op), 0);
	assert_int_equal(t_run_op(&cl, op), AMT_OP_DONE);
	assert_int_equal(amt_op_result(op)->power.requested, 10);
	amt_op_free(op);
	assert_int_equal(a->last_boot, SIM_AMT_BOOT_PXE);
	assert_int_equal(a->boot[SIM_AMT_BF_BIOSSetup], 0);

	/* The call log: one JSON object per line, the whole sequence. */
	assert_non_null(fp = fopen(log, "r"));
	while (fgets(line, sizeof(line), fp) != NULL) {
		assert_non_null(j = json_loads(line, 0, &je));
		assert_string_equal(json_string_value(json_object_get(j,
		    "guid")), a->guid);
		assert_string_equal(json_string_value(json_object_get(j,
		    "device")), "sim-2");
		assert_int_equal(json_integer_value(json_object_get(j,
		    "port")), 16992);
		if (json_integer_value(json_object_get(j, "status")) == 200 &&
		    strcmp(json_string_value(json_object_get(j, "action")),
		    "ChangeBootOrder") == 0 && json_object_get(json_object_get(
		    j, "params"), "Source") != NULL) {
			assert_string_equal(json_string_value(json_object_get(
			    json_object_get(j, "params"), "Source")),
			    "Intel(r) AMT: Force PXE Boot");
			assert_string_equal(json_string_value(json_object_get(
			    j, "method")), "Invoke");
			assert_string_equal(json_string_value(json_object_get(
			    j, "resource")), "CIM_BootConfigSetting");
			assert_int_equal(json_integer_value(json_object_get(j,
			    "return_value")), 0);
			saw_order++;
		}
		if (json_object_get(j, "booted") != NULL) {
			assert_string_equal(json_string_value(json_object_get(
			    j, "booted")), "pxe");
			assert_string_equal(json_string_value(json_object_get(
			    json_object_get(j, "params"), "PowerState")), "10");
			saw_boot++;
		}
		json_decref(j);
		n++;
	}
	fclose(fp);
	unlink(log);
	/* 401 + 5 (bios) + 7 (pxe with power read and reset). */
	assert_int_equal(n, 13);
	assert_int_equal(saw_order, 1);
	assert_int_equal(saw_boot, 1);
	t_client_done(&cl);
	sim_wsman_free(&w);
}

static void
test_boot(void **state)
{
	t_boot("none");
	if (t_have_fixtures())
		t_boot(T_FIX);
}

/* Identity: the UUID AMT reports is the GUID the device sent in APF. */
static void
t_identity(const char *fixtures)
{
	struct sim_wsman	 w;
	struct sim_amt		*a;
	struct t_client		 cl;
	struct wsman_ctx	 ctx;
	struct amt_op		*op;
	const struct amt_result	*res;

	t_wsman_init(&w, fixtures, NULL, NULL);
	w.cfg.provisioning_mode = 4;
	assert_int_equal(sim_wsman_version_parse(&w.cfg, "16.1.25.2124"), 0);
	a = sim_wsman_amt(&w, 3, t_uuid);
	t_client_init(&cl, &w, a, 16992);
	assert_int_equal(wsman_ctx_init(&ctx, 0, NULL), 0);
	assert_int_equal(amt_identity_new(&ctx, &op), 0);
	assert_int_equal(t_run_op(&cl, op), AMT_OP_DONE);
	res = amt_op_result(op);
	assert_string_equal(res->identity.uuid, a->guid);
	assert_string_equal(res->identity.platform_guid,
	    "44454C4C4B0010428033B6C04F504633");
	assert_string_equal(res->identity.amt_version, "16.1.25");
	assert_string_equal(res->identity.build_number, "2124");
	assert_string_equal(res->identity.hostname, "sim-3");
	assert_string_equal(res->identity.realm, a->realm);
	assert_int_equal(res->identity.provisioning_mode, 4);
	assert_int_equal(res->identity.provisioning_state, 2);
	amt_op_free(op);
	t_client_done(&cl);
	sim_wsman_free(&w);
}

static void
test_identity(void **state)
{
	t_identity("none");
	if (t_have_fixtures())
		t_identity(T_FIX);
}

static int64_t
t_now(void *arg)
{
	return (int64_t)time(NULL) + *(int64_t *)arg;
}

static void
test_time(void **state)
{
	struct sim_wsman	 w;
	struct sim_amt		*a;
	struct t_client		 cl;
	struct wsman_ctx	 ctx;
	struct amt_op		*op;
	const struct amt_result	*res;
	int64_t			 skew = 1000;

	t_wsman_init(&w, "none", NULL, NULL);
	a = sim_wsman_amt(&w, 0, t_uuid);
	t_client_init(&cl, &w, a, 16992);
	assert_int_equal(wsman_ctx_init(&ctx, 0, NULL), 0);
	/* The console runs 1000 s ahead: after a sync, so does AMT. */
	assert_int_equal(amt_time_new(&ctx, 1, t_now, &skew, &op), 0);
	assert_int_equal(t_run_op(&cl, op), AMT_OP_DONE);
	res = amt_op_result(op);
	assert_true(res->time.synced);
	assert_true(res->time.offset >= -1002 && res->time.offset <= -998);
	amt_op_free(op);
	assert_int_equal(amt_time_new(&ctx, 0, t_now, &skew, &op), 0);
	assert_int_equal(t_run_op(&cl, op), AMT_OP_DONE);
	res = amt_op_result(op);
	assert_true(res->time.offset >= -2 && res->time.offset <= 2);
	amt_op_free(op);
	t_client_done(&cl);
	sim_wsman_free(&w);
}

/* One request with a hand-written body; the parsed response. */
static int
t_raw(struct t_client *cl, const char *action, const char *uri,
    const char *extra_header, const char *payload, struct wsman_resp *resp,
    const char *msgid)
{
	struct t_resp	 r;
	char		*body;
	int		 n, rc;

	n = asprintf(&body, "<s:Envelope xmlns:s=\"" WSMAN_NS_SOAP "\" "
	    "xmlns:a=\"" WSMAN_NS_ADDR "\" xmlns:w=\"" WSMAN_NS_WSMAN "\" "
	    "xmlns:n=\"" WSMAN_NS_ENUM "\"><s:Header><a:Action>%s</a:Action>"
	    "<a:To>/wsman</a:To><w:ResourceURI>%s</w:ResourceURI>"
	    "<a:MessageID>%s</a:MessageID>%s</s:Header><s:Body>%s</s:Body>"
	    "</s:Envelope>", action, uri, msgid, extra_header, payload);
	assert_true(n > 0);
	t_post(cl, body, (size_t)n, &r);
	free(body);
	memset(resp, 0, sizeof(*resp));
	rc = wsman_resp_parse(resp, r.body, r.body_len, msgid);
	if (rc == MPS_ERR_WSMAN_FAULT)
		assert_int_equal(r.status, 400);
	else
		assert_int_equal(r.status, 200);
	free(r.body);
	return rc;
}

#define T_EN	"http://schemas.xmlsoap.org/ws/2004/09/enumeration/"
#define T_XF	"http://schemas.xmlsoap.org/ws/2004/09/transfer/"
#define T_SWID	WSMAN_URI_CIM "CIM_SoftwareIdentity"

/* Enumerate + Pull in pages, Release, contexts, selectors, faults. */
static void
test_enumerate_and_faults(void **state)
{
	struct sim_wsman	 w;
	struct sim_amt		*a;
	struct t_client		 cl;
	struct wsman_resp	 resp;
	struct wsman_instances	 list = { 0 };
	struct wsman_instance	 inst;
	char			 ctx[128], pl[512], id[16];
	int			 end = 0, pulls = 0;

	t_wsman_init(&w, "none", NULL, NULL);
	a = sim_wsman_amt(&w, 0, t_uuid);
	t_client_init(&cl, &w, a, 16992);

	assert_int_equal(t_raw(&cl, T_EN "Enumerate", T_SWID, "",
	    "<n:Enumerate/>", &resp, "e1"), 0);
	assert_int_equal(wsman_resp_enum_context(&resp, ctx, sizeof(ctx)), 0);
	wsman_resp_free(&resp);
	while (!end) {
		snprintf(pl, sizeof(pl), "<n:Pull><n:EnumerationContext>%s"
		    "</n:EnumerationContext><n:MaxElements>3</n:MaxElements>"
		    "</n:Pull>", ctx);
		snprintf(id, sizeof(id), "p%d", pulls);
		assert_int_equal(t_raw(&cl, T_EN "Pull", T_SWID, "", pl,
		    &resp, id), 0);
		assert_int_equal(wsman_resp_pull(&resp, &list, 100, ctx,
		    sizeof(ctx), &end), 0);
		wsman_resp_free(&resp);
		pulls++;
		assert_true(pulls < 10);
	}
	/* 11 instances, 3 a page. */
	assert_int_equal(list.n, 11);
	assert_int_equal(pulls, 4);
	assert_string_equal(wsman_instance_value(wsman_instances_find(&list,
	    "InstanceID", "AMT"), "VersionString"), "15.0.23");
	assert_string_equal(wsman_instance_value(wsman_instances_find(&list,
	    "InstanceID", "Build Number"), "VersionString"), "1706");
	wsman_instances_clear(&list);
	/* The context is gone after EndOfSequence. */
	snprintf(pl, sizeof(pl), "<n:Pull><n:EnumerationContext>%s"
	    "</n:EnumerationContext></n:Pull>", "00000001-0000-0000-0000-"
	    "000000000000");
	assert_int_equal(t_raw(&cl, T_EN "Pull", T_SWID, "", pl, &resp, "x"),
	    MPS_ERR_WSMAN_FAULT);
	assert_string_equal(resp.fault.subcode, "InvalidEnumerationContext");
	wsman_resp_free(&resp);

	/* Release ends an enumeration early. */
	assert_int_equal(t_raw(&cl, T_EN "Enumerate", T_SWID, "",
	    "<n:Enumerate/>", &resp, "e2"), 0);
	assert_int_equal(wsman_resp_enum_context(&resp, ctx, sizeof(ctx)), 0);
	wsman_resp_free(&resp);
	snprintf(pl, sizeof(pl), "<n:Release><n:EnumerationContext>%s"
	    "</n:EnumerationContext></n:Release>", ctx);
	assert_int_equal(t_raw(&cl, T_EN "Release", T_SWID, "", pl, &resp,
	    "r"), 0);
	wsman_resp_free(&resp);
	assert_null(sim_amt_enum_find(a, ctx));

	/* A singleton enumerates as its one instance. */
	assert_int_equal(t_raw(&cl, T_EN "Enumerate", WSMAN_URI_AMT
	    "AMT_GeneralSettings", "", "<n:Enumerate/>", &resp, "e3"), 0);
	assert_int_equal(wsman_resp_enum_context(&resp, ctx, sizeof(ctx)), 0);
	wsman_resp_free(&resp);
	snprintf(pl, sizeof(pl), "<n:Pull><n:EnumerationContext>%s"
	    "</n:EnumerationContext><n:MaxElements>999</n:MaxElements>"
	    "</n:Pull>", ctx);
	assert_int_equal(t_raw(&cl, T_EN "Pull", WSMAN_URI_AMT
	    "AMT_GeneralSettings", "", pl, &resp, "p"), 0);
	assert_int_equal(wsman_resp_pull(&resp, &list, 100, ctx, sizeof(ctx),
	    &end), 0);
	assert_int_equal(list.n, 1);
	assert_true(end);
	wsman_instances_clear(&list);
	wsman_resp_free(&resp);

	/* Get by selector picks the instance out of the Pull template. */
	assert_int_equal(t_raw(&cl, T_XF "Get", T_SWID, "<w:SelectorSet>"
	    "<w:Selector Name=\"InstanceID\">Build Number</w:Selector>"
	    "</w:SelectorSet>", "", &resp, "g1"), 0);
	assert_int_equal(wsman_resp_instance(&resp, "CIM_SoftwareIdentity",
	    &inst), 0);
	assert_string_equal(wsman_instance_value(&inst, "VersionString"),
	    "1706");
	wsman_instance_clear(&inst);
	wsman_resp_free(&resp);
	assert_int_equal(t_raw(&cl, T_XF "Get", T_SWID, "<w:SelectorSet>"
	    "<w:Selector Name=\"InstanceID\">Nope</w:Selector>"
	    "</w:SelectorSet>", "", &resp, "g2"), MPS_ERR_WSMAN_FAULT);
	assert_string_equal(resp.fault.subcode, "InvalidSelectors");
	wsman_resp_free(&resp);

	/* Unknown class, unknown method of a known class. */
	assert_int_equal(t_raw(&cl, T_XF "Get", WSMAN_URI_IPS "IPS_Nothing",
	    "", "", &resp, "u1"), MPS_ERR_WSMAN_FAULT);
	assert_string_equal(resp.fault.subcode, "DestinationUnreachable");
	assert_string_equal(resp.fault.subcode_ns, WSMAN_NS_ADDR);
	assert_string_equal(resp.fault.code, "Sender");
	wsman_resp_free(&resp);
	assert_int_equal(t_raw(&cl, WSMAN_URI_AMT "AMT_GeneralSettings/Frob",
	    WSMAN_URI_AMT "AMT_GeneralSettings", "", "", &resp, "u2"),
	    MPS_ERR_WSMAN_FAULT);
	assert_string_equal(resp.fault.subcode, "ActionNotSupported");
	wsman_resp_free(&resp);
	/* A Put that is not the class: InvalidRepresentation. */
	assert_int_equal(t_raw(&cl, T_XF "Put", WSMAN_URI_AMT
	    "AMT_BootSettingData", "", "<x:Y xmlns:x=\"urn:x\"/>", &resp,
	    "u3"), MPS_ERR_WSMAN_FAULT);
	assert_string_equal(resp.fault.subcode, "InvalidRepresentation");
	wsman_resp_free(&resp);
	/* A value of the wrong type: refused, nothing stored. */
	assert_int_equal(t_raw(&cl, T_XF "Put", WSMAN_URI_AMT
	    "AMT_BootSettingData", "", "<p:AMT_BootSettingData xmlns:p=\""
	    WSMAN_URI_AMT "AMT_BootSettingData\"><p:BIOSPause>true"
	    "</p:BIOSPause><p:UseSOL>maybe</p:UseSOL>"
	    "</p:AMT_BootSettingData>", &resp, "u4"), MPS_ERR_WSMAN_FAULT);
	wsman_resp_free(&resp);
	assert_int_equal(a->boot[SIM_AMT_BF_BIOSPause], 0);
	/* Not even a WS-Man envelope. */
	assert_int_equal(t_raw(&cl, "", "", "", "", &resp, "z"),
	    MPS_ERR_WSMAN_FAULT);
	wsman_resp_free(&resp);
	t_client_done(&cl);
	sim_wsman_free(&w);
}

/* destination-unreachable, return-value=N, wrong-auth, for device 0 only. */
static void
test_fault_switches(void **state)
{
	struct sim_wsman	 w;
	struct sim_amt		*a, *b;
	struct t_client		 cl;
	struct wsman_ctx	 ctx;
	struct amt_op		*op;

	t_wsman_init(&w, "none", NULL, NULL);
	assert_int_equal(sim_wsman_fault_parse(&w.cfg, "return-value=32769"),
	    0);
	assert_int_equal(sim_wsman_fault_parse(&w.cfg, "frob"), MPS_ERR_USAGE);
	assert_int_equal(sim_wsman_fault_parse(&w.cfg, "slow"), MPS_ERR_USAGE);
	assert_int_equal(sim_wsman_fault_parse(&w.cfg, "wrong-auth=1"),
	    MPS_ERR_USAGE);
	assert_int_equal(sim_wsman_fault_parse(&w.cfg, "slow:x"),
	    MPS_ERR_USAGE);
	w.cfg.fault_count = 1;
	assert_int_equal(sim_wsman_dev_faults(&w, 0),
	    1u << SIM_WF_RETURN_VALUE);
	assert_int_equal(sim_wsman_dev_faults(&w, 1), 0);
	a = sim_wsman_amt(&w, 0, t_uuid);
	b = sim_wsman_amt(&w, 1, t_uuid);
	assert_int_equal(wsman_ctx_init(&ctx, 0, NULL), 0);

	/* return-value: the method fails and changes nothing. */
	t_client_init(&cl, &w, a, 16992);
	assert_int_equal(amt_power_action_new(&ctx, AMT_POWER_OFF, &op), 0);
	assert_int_equal(t_run_op(&cl, op), MPS_ERR_RETURN_VALUE);
	assert_int_equal(amt_op_result(op)->rv.value, 32769);
	amt_op_free(op);
	assert_int_equal(a->power, 2);
	/* Gets are not methods: unaffected. */
	assert_int_equal(amt_power_state_new(&ctx, &op), 0);
	assert_int_equal(t_run_op(&cl, op), AMT_OP_DONE);
	amt_op_free(op);
	t_client_done(&cl);
	/* Device 1 is past --wsman-fault-count. */
	t_client_init(&cl, &w, b, 16992);
	assert_int_equal(amt_power_action_new(&ctx, AMT_POWER_OFF, &op), 0);
	assert_int_equal(t_run_op(&cl, op), AMT_OP_DONE);
	amt_op_free(op);
	assert_int_equal(b->power, 8);
	t_client_done(&cl);

	w.cfg.faults = 1u << SIM_WF_DEST_UNREACHABLE;
	t_client_init(&cl, &w, a, 16992);
	assert_int_equal(amt_power_state_new(&ctx, &op), 0);
	assert_int_equal(t_run_op(&cl, op), MPS_ERR_WSMAN_FAULT);
	assert_string_equal(amt_op_result(op)->fault.subcode,
	    "DestinationUnreachable");
	amt_op_free(op);
	t_client_done(&cl);

	/* wrong-auth: right credentials, still 401, every time. */
	w.cfg.faults = 1u << SIM_WF_WRONG_AUTH;
	t_client_init(&cl, &w, a, 16992);
	assert_int_equal(amt_power_state_new(&ctx, &op), 0);
	assert_int_equal(t_run_op(&cl, op), MPS_ERR_AMT_AUTH);
	amt_op_free(op);
	assert_int_equal(cl.challenges, 2);
	t_client_done(&cl);
	sim_wsman_free(&w);
}

/* slow=MS: the answer is held by a timer, not by sleeping. */
static void
test_slow(void **state)
{
	struct sim_wsman	 w;
	struct event_base	*base = event_base_new();
	struct t_client		 cl;
	struct wsman_ctx	 ctx;
	struct amt_op		*op;
	struct timespec		 t0, t1;
	double			 ms;

	assert_non_null(base);
	t_wsman_init(&w, "none", NULL, base);
	assert_int_equal(sim_wsman_fault_parse(&w.cfg, "slow=150"), 0);
	t_client_init(&cl, &w, sim_wsman_amt(&w, 0, t_uuid), 16992);
	cl.base = base;
	assert_int_equal(wsman_ctx_init(&ctx, 0, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(amt_power_state_new(&ctx, &op), 0);
	assert_int_equal(t_run_op(&cl, op), AMT_OP_DONE);
	amt_op_free(op);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1000 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	/* Two answers (401, 200), each held 150 ms. */
	assert_true(ms >= 290);
	/* Closing the connection while an answer is held is clean. */
	{
		struct t_conn	*tc = t_conn_new(&cl);

		t_sends(tc, "POST /wsman HTTP/1.1\r\nHost: h\r\n"
		    "Content-Length: 0\r\n\r\n");
		assert_int_equal(tc->c->state, SIM_WCONN_DELAYING);
		t_conn_free(tc);
	}
	t_client_done(&cl);
	sim_wsman_free(&w);
	event_base_free(base);
}

/* http-captures: the recorded bytes, RelatesTo aside. */
static void
test_http_captures(void **state)
{
	struct sim_wsman	 w;
	struct t_client		 cl;
	struct t_conn		*tc;
	struct t_resp		 r;
	char			*rec, *got, *want;
	FILE			*fp;
	size_t			 n;
	long			 sz;
	static const char	 get[] = "<s:Envelope xmlns:s=\"" WSMAN_NS_SOAP
	    "\" xmlns:a=\"" WSMAN_NS_ADDR "\" xmlns:w=\"" WSMAN_NS_WSMAN "\">"
	    "<s:Header><a:Action>" T_XF "Get</a:Action><w:ResourceURI>"
	    WSMAN_URI_CIM "CIM_ComputerSystemPackage</w:ResourceURI>"
	    "<a:MessageID>uuid:1</a:MessageID></s:Header><s:Body/>"
	    "</s:Envelope>";
	char			 req[2048];

	if (!t_have_fixtures()) {
		skip();
		return;
	}
	t_wsman_init(&w, T_FIX, NULL, NULL);
	assert_int_equal(sim_wsman_fault_parse(&w.cfg, "http-captures"), 0);
	t_client_init(&cl, &w, sim_wsman_amt(&w, 0, t_uuid), 16992);

	/* First: the recorded 401 headers, byte for byte. */
	assert_non_null(fp = fopen(T_FIX "/http/401-digest-challenge.http",
	    "rb"));
	fseek(fp, 0, SEEK_END);
	sz = ftell(fp);
	rewind(fp);
	rec = malloc((size_t)sz);
	assert_int_equal(fread(rec, 1, (size_t)sz, fp), (size_t)sz);
	fclose(fp);
	tc = t_conn_new(&cl);
	n = (size_t)snprintf(req, sizeof(req), "POST /wsman HTTP/1.1\r\n"
	    "Host: h\r\nContent-Length: %zu\r\n\r\n%s", sizeof(get) - 1, get);
	t_send(tc, req, n);
	t_pump(tc);
	assert_true(tc->io.closed);
	got = (char *)evbuffer_pullup(tc->got, -1);
	assert_memory_equal(got, rec, (size_t)sz);
	/* ...then the 693-byte body its Content-Length announces. */
	assert_int_equal(evbuffer_get_length(tc->got), (size_t)sz + 693);
	free(rec);
	t_conn_free(tc);

	/* Second: the recorded chunked 200 with its mid-token boundaries. */
	assert_non_null(fp = fopen(T_FIX
	    "/http/200-chunked-cim-computersystempackage.http", "rb"));
	fseek(fp, 0, SEEK_END);
	sz = ftell(fp);
	rewind(fp);
	rec = malloc((size_t)sz + 1);
	assert_int_equal(fread(rec, 1, (size_t)sz, fp), (size_t)sz);
	rec[sz] = '\0';
	fclose(fp);
	/* The only change: RelatesTo 1 -> uuid:1, chunk size 02FA -> 02FF. */
	want = malloc((size_t)sz + 16);
	assert_non_null(want);
	{
		char	*p = strstr(rec, "\r\n02FA\r\n");
		char	*q = strstr(rec, "<b:RelatesTo>1<");

		assert_non_null(p);
		assert_non_null(q);
		n = (size_t)(p - rec);
		memcpy(want, rec, n);
		memcpy(want + n, "\r\n02FF\r\n", 8);
		memcpy(want + n + 8, p + 8, (size_t)(q - p) + 13 - 8);
		n += (size_t)(q - p) + 13;
		memcpy(want + n, "uuid:1", 6);
		n += 6;
		memcpy(want + n, q + 14, (size_t)sz - (size_t)(q + 14 - rec));
		n += (size_t)sz - (size_t)(q + 14 - rec);
	}
	tc = t_conn_new(&cl);
	n = (size_t)snprintf(req, sizeof(req), "POST /wsman HTTP/1.1\r\n"
	    "Host: h\r\nAuthorization: Digest username=\"x\"\r\n"
	    "Content-Length: %zu\r\n\r\n%s", sizeof(get) - 1, get);
	t_send(tc, req, n);
	t_pump(tc);
	assert_false(tc->io.closed);
	assert_int_equal(evbuffer_get_length(tc->got), (size_t)sz + 5);
	assert_memory_equal(evbuffer_pullup(tc->got, -1), want, (size_t)sz + 5);
	/* And it is a valid response for that request. */
	assert_int_equal(t_take_response(tc, &r), 1);
	{
		struct wsman_resp	resp;

		memset(&resp, 0, sizeof(resp));
		assert_int_equal(wsman_resp_parse(&resp, r.body, r.body_len,
		    "uuid:1"), 0);
		wsman_resp_free(&resp);
	}
	free(r.body);
	free(want);
	free(rec);
	t_conn_free(tc);
	t_client_done(&cl);
	sim_wsman_free(&w);
}

/* Move bytes both ways between a TLS client and the responder. */
static void
t_tls_move(struct t_conn *tc, SSL *ssl, BIO *rb, BIO *wb,
    struct evbuffer *plain)
{
	char	buf[16384];
	int	k;

	while ((k = BIO_read(wb, buf, sizeof(buf))) > 0)
		t_send(tc, buf, (size_t)k);
	t_pump(tc);
	if ((k = (int)evbuffer_get_length(tc->got)) > 0) {
		assert_int_equal(BIO_write(rb, evbuffer_pullup(tc->got, -1), k),
		    k);
		evbuffer_drain(tc->got, (size_t)k);
	}
	while ((k = SSL_read(ssl, buf, sizeof(buf))) > 0)
		evbuffer_add(plain, buf, (size_t)k);
}

/*
 * One TLS connection to 16993 carrying one request; the plaintext
 * answer in r.  Returns the client's SSL shutdown state.
 */
static int
t_tls_exchange(struct t_client *cl, SSL_CTX *cctx, const char *req,
    struct t_resp *r)
{
	struct t_conn	*tc = t_conn_new(cl), fake;
	SSL		*ssl;
	BIO		*rb, *wb;
	int		 i, sent = 0, shut;

	assert_non_null(ssl = SSL_new(cctx));
	rb = BIO_new(BIO_s_mem());
	wb = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(rb, -1);
	SSL_set_bio(ssl, rb, wb);
	SSL_set_connect_state(ssl);
	memset(&fake, 0, sizeof(fake));
	fake.got = evbuffer_new();
	memset(r, 0, sizeof(*r));
	for (i = 0; i < 100; i++) {
		if (!sent && SSL_do_handshake(ssl) == 1) {
			assert_int_equal(SSL_version(ssl), TLS1_2_VERSION);
			assert_int_equal(SSL_write(ssl, req, (int)strlen(req)),
			    (int)strlen(req));
			sent = 1;
		}
		t_tls_move(tc, ssl, rb, wb, fake.got);
		if (sent && t_take_response(&fake, r))
			break;
	}
	assert_true(sent);
	assert_non_null(r->body);
	/* Whatever else the responder sends (close_notify) arrives. */
	t_tls_move(tc, ssl, rb, wb, fake.got);
	r->closed = tc->io.closed;
	shut = SSL_get_shutdown(ssl);
	SSL_free(ssl);
	evbuffer_free(fake.got);
	t_conn_free(tc);
	return shut;
}

/* 16993: TLS inside the stream, with a client on memory BIOs. */
static void
test_tls(void **state)
{
	struct sim_wsman	 w;
	struct t_client		 cl;
	struct t_conn		*tc;
	struct t_resp		 r;
	SSL_CTX			*cctx;
	char			*auth, *req;
	int			 shut;
	static const char	 get[] = "<s:Envelope xmlns:s=\"" WSMAN_NS_SOAP
	    "\" xmlns:a=\"" WSMAN_NS_ADDR "\" xmlns:w=\"" WSMAN_NS_WSMAN "\">"
	    "<s:Header><a:Action>" T_XF "Get</a:Action><w:ResourceURI>"
	    WSMAN_URI_AMT "AMT_GeneralSettings</w:ResourceURI>"
	    "<a:MessageID>9</a:MessageID></s:Header><s:Body/></s:Envelope>";

	t_wsman_init(&w, "none", NULL, NULL);
	t_client_init(&cl, &w, sim_wsman_amt(&w, 0, t_uuid), 16993);
	assert_non_null(cctx = SSL_CTX_new(TLS_client_method()));
	SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, NULL);

	/* No credentials: 401, then close_notify and close, as on 16992. */
	assert_true(asprintf(&req, "POST /wsman HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: %zu\r\n\r\n%s", sizeof(get) - 1, get) > 0);
	shut = t_tls_exchange(&cl, cctx, req, &r);
	free(req);
	assert_non_null(w.tls_ctx);
	assert_int_equal(r.status, 401);
	assert_true(r.closed);
	assert_int_equal(shut & SSL_RECEIVED_SHUTDOWN, SSL_RECEIVED_SHUTDOWN);
	t_challenge(&cl, &r);
	free(r.body);

	/* With the challenge answered: the instance, connection kept. */
	auth = t_authz(&cl);
	assert_true(asprintf(&req, "POST /wsman HTTP/1.1\r\nHost: h\r\n%s"
	    "Content-Length: %zu\r\n\r\n%s", auth, sizeof(get) - 1, get) >
	    0);
	free(auth);
	(void)t_tls_exchange(&cl, cctx, req, &r);
	free(req);
	assert_int_equal(r.status, 200);
	assert_false(r.closed);
	assert_non_null(strstr(r.body, "<g:HostName>sim-0</g:HostName>"));
	assert_non_null(strstr(r.body, "<b:RelatesTo>9</b:RelatesTo>"));
	free(r.body);
	assert_int_equal(w.st.tls_handshakes, 2);

	/* A client that speaks no TLS gets nothing and is closed. */
	tc = t_conn_new(&cl);
	t_sends(tc, "POST /wsman HTTP/1.1\r\nHost: h\r\n\r\n");
	t_pump(tc);
	assert_true(tc->io.closed);
	assert_int_equal(w.st.tls_failures, 1);
	t_conn_free(tc);
	SSL_CTX_free(cctx);
	t_client_done(&cl);
	sim_wsman_free(&w);
	ERR_clear_error();
}

/* The fixture set: what was indexed and how. */
static void
test_fixture_index(void **state)
{
	struct sim_fixture_set		 fs;
	const struct sim_fixture	*f;
	char				 err[256];

	assert_int_equal(sim_fixture_load(&fs, NULL, err, sizeof(err)), 0);
	assert_true(fs.n >= 6);
	assert_non_null(f = sim_fixture_find(&fs, WSMAN_URI_CIM
	    "CIM_AssociatedPowerManagementService", "Get"));
	assert_string_equal(f->origin, "built-in");
	assert_null(sim_fixture_find(&fs, WSMAN_URI_CIM "CIM_Chassis",
	    "Get"));
	sim_fixture_free(&fs);
	assert_int_equal(sim_fixture_load(&fs, "/nonexistent/dir", err,
	    sizeof(err)), MPS_ERR_IO);
	sim_fixture_free(&fs);
	if (!t_have_fixtures())
		return;
	assert_int_equal(sim_fixture_load(&fs, T_FIX, err, sizeof(err)), 0);
	/* About 290 recorded files; the requests among them are skipped. */
	assert_true(fs.files > 250);
	assert_true(fs.skipped >= 2);
	assert_non_null(f = sim_fixture_find(&fs, WSMAN_URI_CIM
	    "CIM_AssociatedPowerManagementService", "Get"));
	assert_string_not_equal(f->origin, "built-in");
	/* Methods are indexed by the Action, with or without "Response". */
	assert_non_null(sim_fixture_find(&fs, WSMAN_URI_CIM "CIM_BootService",
	    "SetBootConfigRole"));
	assert_non_null(f = sim_fixture_find(&fs, WSMAN_URI_AMT
	    "AMT_TimeSynchronizationService", "GetLowAccuracyTimeSynch"));
	assert_int_equal(f->invoke, 1);
	assert_true(sim_fixture_known(&fs, WSMAN_URI_CIM "CIM_Chassis"));
	assert_int_equal(fs.cap200.nchunks, 3);
	assert_int_equal(fs.cap200_card.nchunks, 3);
	assert_non_null(fs.cap401.head);
	sim_fixture_free(&fs);
}

/* The log line for a call, field by field. */
static void
test_log_format(void **state)
{
	struct sim_amt		a;
	struct sim_wsman_call	call;
	char			line[4096];
	json_t			*j;
	json_error_t		je;
	size_t			n;

	sim_amt_init(&a, 5, t_uuid, 2);
	memset(&call, 0, sizeof(call));
	call.method = "Invoke";
	strcpy(call.resource, WSMAN_URI_CIM "CIM_PowerManagementService");
	strcpy(call.action, WSMAN_URI_CIM "CIM_PowerManagementService/"
	    "RequestPowerStateChange");
	strcpy(call.sel_name[0], "Name");
	strcpy(call.sel_value[0], "Intel(r) AMT \"Power\"\n");
	call.nsel = 1;
	strcpy(call.par_name[0], "PowerState");
	strcpy(call.par_value[0], "8");
	call.npar = 1;
	call.status = 200;
	call.has_rv = 1;
	call.rv = 0;
	call.auth = "ok";
	n = sim_wsman_log_format(line, sizeof(line), &a, 16993, &call);
	assert_int_equal(n, strlen(line));
	assert_int_equal(line[n - 1], '\n');
	assert_null(strchr(line, '\n') != line + n - 1 ? line : NULL);
	assert_non_null(j = json_loads(line, 0, &je));
	assert_string_equal(json_string_value(json_object_get(j, "resource")),
	    "CIM_PowerManagementService");
	assert_string_equal(json_string_value(json_object_get(j, "action")),
	    "RequestPowerStateChange");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    j, "selectors"), "Name")), "Intel(r) AMT \"Power\"\n");
	assert_int_equal(json_integer_value(json_object_get(j, "port")),
	    16993);
	assert_int_equal(json_integer_value(json_object_get(j,
	    "return_value")), 0);
	assert_true(json_is_null(json_object_get(j, "fault")));
	assert_null(json_object_get(j, "booted"));
	json_decref(j);
	/* Not an Invoke: action repeats the operation; no return value. */
	call.method = "Get";
	call.has_rv = 0;
	call.nsel = call.npar = 0;
	sim_wsman_log_format(line, sizeof(line), &a, 16992, &call);
	assert_non_null(j = json_loads(line, 0, &je));
	assert_string_equal(json_string_value(json_object_get(j, "action")),
	    "Get");
	assert_true(json_is_null(json_object_get(j, "return_value")));
	json_decref(j);
	for (n = 0; n < SIM_WF_COUNT; n++)
		assert_string_not_equal(sim_wsman_fault_name(
		    (enum sim_wsman_fault)n), "?");
	for (n = 0; n <= SIM_WCONN_CLOSED; n++)
		assert_string_not_equal(sim_wconn_state_name(
		    (enum sim_wconn_state)n), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_index),
		cmocka_unit_test(test_log_format),
		cmocka_unit_test(test_auth_and_keepalive),
		cmocka_unit_test(test_http_edges),
		cmocka_unit_test(test_power),
		cmocka_unit_test(test_boot),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_enumerate_and_faults),
		cmocka_unit_test(test_fault_switches),
		cmocka_unit_test(test_slow),
		cmocka_unit_test(test_http_captures),
		cmocka_unit_test(test_tls),
	};

	srand(1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
