/*
 * test_sim_http.c: the simulator's HTTP/1.1 request parser and chunked
 * writer.  Every valid request is also fed split at every byte position
 * and one byte at a time: the result must not depend on how a channel
 * cut the stream.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <event2/buffer.h>

#include "mps_err.h"
#include "sim_wsman.h"

/* What a parse produced, for comparing runs. */
struct t_result {
	int	rc;
	int	status;
	char	method[16];
	char	target[SIM_HTTP_MAX_TARGET];
	char	host[SIM_HTTP_MAX_HOST];
	char	auth[SIM_HTTP_MAX_AUTH];
	int	conn_close;
	int	minor;
	char	*body;
	size_t	body_len;
	size_t	used;		/* bytes taken by the first request */
};

static void
t_result_free(struct t_result *t)
{
	free(t->body);
	memset(t, 0, sizeof(*t));
}

static void
t_capture(struct sim_http_req *r, int rc, size_t used, struct t_result *t)
{
	t->rc = rc;
	t->status = r->status;
	t->used = used;
	if (rc != 0)
		return;
	strcpy(t->method, r->method);
	strcpy(t->target, r->target);
	strcpy(t->host, r->host);
	strcpy(t->auth, r->auth);
	t->conn_close = r->conn_close;
	t->minor = r->minor;
	t->body = malloc(r->body_len + 1);
	assert_non_null(t->body);
	memcpy(t->body, r->body, r->body_len + 1);
	t->body_len = r->body_len;
}

/*
 * Feed s in pieces cut at the given points (sorted, < len) until the first
 * request completes or fails.  used = bytes of s it took.
 */
static void
t_feed(const char *s, size_t len, const size_t *cuts, size_t ncuts,
    struct t_result *t)
{
	struct sim_http_req	r;
	size_t			off = 0, end, used, total = 0, k = 0;
	int			rc = MPS_ERR_INCOMPLETE;

	memset(t, 0, sizeof(*t));
	memset(&r, 0, sizeof(r));
	sim_http_req_reset(&r);
	while (off < len) {
		end = k < ncuts ? cuts[k++] : len;
		if (end <= off)
			continue;
		rc = sim_http_parse(&r, (const uint8_t *)s + off, end - off,
		    &used);
		total += used;
		if (rc != MPS_ERR_INCOMPLETE)
			break;
		assert_int_equal(used, end - off);
		off = end;
	}
	t_capture(&r, rc, total, t);
	sim_http_req_free(&r);
}

static void
t_same(const struct t_result *a, const struct t_result *b)
{
	assert_int_equal(a->rc, b->rc);
	assert_int_equal(a->status, b->status);
	if (a->rc != 0)
		return;
	assert_int_equal(a->used, b->used);
	assert_string_equal(a->method, b->method);
	assert_string_equal(a->target, b->target);
	assert_string_equal(a->host, b->host);
	assert_string_equal(a->auth, b->auth);
	assert_int_equal(a->conn_close, b->conn_close);
	assert_int_equal(a->body_len, b->body_len);
	assert_memory_equal(a->body, b->body, a->body_len);
}

/* Whole, split at every position, split twice, byte by byte: all equal. */
static void
t_every_split(const char *s, size_t len, struct t_result *whole)
{
	struct t_result	t;
	size_t		i, j, *cuts;

	t_feed(s, len, NULL, 0, whole);
	for (i = 1; i < len; i++) {
		t_feed(s, len, &i, 1, &t);
		t_same(whole, &t);
		t_result_free(&t);
	}
	/* Two cuts, on a coarser grid to keep it quadratic but quick. */
	for (i = 1; i < len; i += 7)
		for (j = i + 1; j < len; j += 13) {
			size_t c[2] = { i, j };

			t_feed(s, len, c, 2, &t);
			t_same(whole, &t);
			t_result_free(&t);
		}
	cuts = calloc(len, sizeof(*cuts));
	assert_non_null(cuts);
	for (i = 0; i < len; i++)
		cuts[i] = i + 1;
	t_feed(s, len, cuts, len, &t);
	t_same(whole, &t);
	t_result_free(&t);
	free(cuts);
}

static const char t_post[] =
    "POST /wsman HTTP/1.1\r\n"
    "Authorization: Digest username=\"admin\",realm=\"Digest:AB\","
    "nonce=\"n\",uri=\"/wsman\",qop=\"auth\",response=\"r\","
    "nc=\"00000001\",cnonce=\"c\"\r\n"
    "Host: 4c4c4544-0042-1000-8033-b6c04f504633:16992\r\n"
    "Content-Type: application/soap+xml;charset=UTF-8\r\n"
    "Content-Length: 11\r\n"
    "\r\n"
    "<s:E>x</s:E>";

static void
test_content_length(void **state)
{
	struct t_result	t;

	t_every_split(t_post, sizeof(t_post) - 1, &t);
	assert_int_equal(t.rc, 0);
	assert_string_equal(t.method, "POST");
	assert_string_equal(t.target, "/wsman");
	assert_string_equal(t.host,
	    "4c4c4544-0042-1000-8033-b6c04f504633:16992");
	assert_true(strncmp(t.auth, "Digest username=\"admin\"", 23) == 0);
	assert_int_equal(t.body_len, 11);
	assert_string_equal(t.body, "<s:E>x</s:E");
	/* Content-Length 11 of the 12 bytes: one byte is left over. */
	assert_int_equal(t.used, sizeof(t_post) - 2);
	assert_int_equal(t.conn_close, 0);
	assert_int_equal(t.minor, 1);
	t_result_free(&t);
}

static void
test_chunked_request(void **state)
{
	static const char	s[] =
	    "\r\n"		/* a stray empty line before a request */
	    "POST /wsman HTTP/1.1\n"	/* bare LF is tolerated */
	    "host: h\r\n"
	    "transfer-encoding: chunked\r\n"
	    "connection: keep-alive, close\r\n"
	    "\r\n"
	    "5;ext=\"1\"\r\nhello\r\n"
	    "001\r\n \r\n"
	    "6\r\nworld!\r\n"
	    "0\r\n"
	    "X-Trailer: yes\r\n"
	    "\r\n";
	struct t_result		t;

	t_every_split(s, sizeof(s) - 1, &t);
	assert_int_equal(t.rc, 0);
	assert_string_equal(t.body, "hello world!");
	assert_int_equal(t.used, sizeof(s) - 1);
	assert_int_equal(t.conn_close, 1);
	t_result_free(&t);
}

static void
test_pipelined(void **state)
{
	static const char	s[] =
	    "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nAB"
	    "GET /b HTTP/1.0\r\n\r\n"
	    "POST /c HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n";
	struct sim_http_req	r;
	size_t			used, off = 0;

	memset(&r, 0, sizeof(r));
	sim_http_req_reset(&r);
	assert_int_equal(sim_http_parse(&r, (const uint8_t *)s, sizeof(s) - 1,
	    &used), 0);
	assert_string_equal(r.target, "/a");
	assert_string_equal(r.body, "AB");
	assert_int_equal(used, 50);
	off = used;
	/* Done: more input without a reset is refused. */
	assert_int_equal(sim_http_parse(&r, (const uint8_t *)s, 1, &used),
	    MPS_ERR_STATE);
	sim_http_req_reset(&r);
	assert_int_equal(sim_http_parse(&r, (const uint8_t *)s + off,
	    sizeof(s) - 1 - off, &used), 0);
	assert_string_equal(r.method, "GET");
	assert_string_equal(r.target, "/b");
	assert_int_equal(r.minor, 0);
	assert_int_equal(r.conn_close, 1);	/* 1.0 closes by default */
	assert_int_equal(r.body_len, 0);
	assert_string_equal(r.body, "");
	off += used;
	sim_http_req_reset(&r);
	assert_int_equal(sim_http_parse(&r, (const uint8_t *)s + off,
	    sizeof(s) - 1 - off, &used), 0);
	assert_string_equal(r.target, "/c");
	assert_int_equal(off + used, sizeof(s) - 1);
	sim_http_req_free(&r);
}

/* Each bad request fails with its status, however it is split. */
static void
test_errors(void **state)
{
	static const struct {
		const char	*req;
		int		 status;
	} t[] = {
		{ "POST /wsman HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 400 },
		{ "POST /wsman HTTP/2.0\r\nHost: h\r\n\r\n", 505 },
		{ "POST /wsman HTTX/1.1\r\nHost: h\r\n\r\n", 400 },
		{ "POST  /wsman HTTP/1.1\r\nHost: h\r\n\r\n", 400 },
		{ "PO(ST /wsman HTTP/1.1\r\nHost: h\r\n\r\n", 400 },
		{ "POST /wsman HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 400 },
		{ "POST /wsman HTTP/1.1\r\nHost h\r\n\r\n", 400 },
		{ "POST /wsman HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n", 400 },
		{ "POST /wsman HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
		  "Content-Length: 2\r\n\r\n", 400 },
		{ "POST /wsman HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n"
		  "\r\n", 400 },
		{ "POST /wsman HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n", 400 },
		{ "POST /wsman HTTP/1.1\r\nHost: h\r\n"
		  "Transfer-Encoding: gzip, chunked\r\n\r\n", 501 },
		{ "POST /wsman HTTP/1.1\r\nHost: h\r\n"
		  "Content-Length: 1048577\r\n\r\n", 413 },
		{ "POST /wsman HTTP/1.1\r\nHost: h\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n100001\r\n", 413 },
		{ "POST /wsman HTTP/1.1\r\nHost: h\r\n"
		  "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400 },
		{ "POST /wsman HTTP/1.1\r\nHost: h\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n", 400 },
		{ "POST /wsman HTTP/1.1\r\nHost: h\r\nExpect: magic\r\n\r\n",
		  417 },
		{ "POST /ws\rman HTTP/1.1\r\nHost: h\r\n\r\n", 400 },
	};
	struct t_result	r;
	size_t		i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		t_every_split(t[i].req, strlen(t[i].req), &r);
		assert_int_not_equal(r.rc, 0);
		assert_int_not_equal(r.rc, MPS_ERR_INCOMPLETE);
		if (r.status != t[i].status)
			fail_msg("request %zu: status %d, want %d", i,
			    r.status, t[i].status);
		t_result_free(&r);
	}
}

/* Bounds: a NUL, an endless header block, an endless line. */
static void
test_limits(void **state)
{
	struct sim_http_req	r;
	char			*big;
	size_t			 used, n;
	int			 rc;

	memset(&r, 0, sizeof(r));
	sim_http_req_reset(&r);
	assert_int_equal(sim_http_parse(&r, (const uint8_t *)"GET /\0", 6,
	    &used), MPS_ERR_INVALID);
	assert_int_equal(r.status, 400);

	/* Headers of 100 bytes each, more than 16 KiB of them. */
	sim_http_req_reset(&r);
	n = SIM_HTTP_MAX_HEADER + 4096;
	big = malloc(n);
	assert_non_null(big);
	memcpy(big, "POST /wsman HTTP/1.1\r\n", 22);
	for (used = 22; used + 100 <= n; used += 100) {
		memset(big + used, 'a', 98);
		memcpy(big + used, "X-A:", 4);
		memcpy(big + used + 98, "\r\n", 2);
	}
	rc = sim_http_parse(&r, (const uint8_t *)big, used, &n);
	assert_int_equal(rc, MPS_ERR_TOO_LARGE);
	assert_int_equal(r.status, 431);
	/* It stopped at the limit, not at the end of the input. */
	assert_true(n <= SIM_HTTP_MAX_HEADER + 1);

	/* One line longer than a line may be. */
	sim_http_req_reset(&r);
	memset(big, 'a', SIM_HTTP_MAX_LINE + 10);
	memcpy(big, "POST /", 6);
	rc = sim_http_parse(&r, (const uint8_t *)big, SIM_HTTP_MAX_LINE + 10,
	    &n);
	assert_int_equal(rc, MPS_ERR_TOO_LARGE);
	assert_int_equal(r.status, 414);
	free(big);

	/* Exactly the largest body is fine. */
	sim_http_req_reset(&r);
	n = SIM_HTTP_MAX_BODY;
	big = malloc(n + 128);
	assert_non_null(big);
	used = (size_t)snprintf(big, 128, "POST /wsman HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: %zu\r\n\r\n", n);
	memset(big + used, 'b', n);
	assert_int_equal(sim_http_parse(&r, (const uint8_t *)big, used + n,
	    &n), 0);
	assert_int_equal(r.body_len, SIM_HTTP_MAX_BODY);
	free(big);
	sim_http_req_free(&r);
}

static void
test_expect_continue(void **state)
{
	static const char	s[] = "POST /wsman HTTP/1.1\r\nHost: h\r\n"
	    "Expect: 100-continue\r\nContent-Length: 3\r\n\r\n";
	struct sim_http_req	r;
	size_t			used;

	memset(&r, 0, sizeof(r));
	sim_http_req_reset(&r);
	assert_int_equal(sim_http_parse(&r, (const uint8_t *)s, sizeof(s) - 1,
	    &used), MPS_ERR_INCOMPLETE);
	assert_int_equal(r.expect_continue, 1);
	assert_int_equal(r.state, SIM_HTTP_BODY);
	assert_int_equal(sim_http_parse(&r, (const uint8_t *)"abc", 3, &used),
	    0);
	assert_string_equal(r.body, "abc");
	sim_http_req_free(&r);
}

/* Parse a chunked stream the writer produced; checks AMT's format. */
static void
t_check_chunks(const char *p, size_t len, const char *body, size_t blen,
    int *mid_token)
{
	size_t	off = 0, got = 0, n;
	char	hex[5];

	for (;;) {
		/* The last chunk is "0" alone, as in AMT's captures. */
		if (len - off == 5 && p[off] == '0')
			break;
		assert_true(off + 6 <= len);
		/* Otherwise always four upper-case hex digits. */
		memcpy(hex, p + off, 4);
		hex[4] = '\0';
		assert_int_equal(strspn(hex, "0123456789ABCDEF"), 4);
		n = strtoul(hex, NULL, 16);
		assert_memory_equal(p + off + 4, "\r\n", 2);
		off += 6;
		assert_true(n >= 1 && n <= SIM_HTTP_CHUNK_MAX);
		if (got + n < blen)
			assert_true(n >= SIM_HTTP_CHUNK_MIN);
		assert_memory_equal(p + off, body + got, n);
		got += n;
		off += n;
		assert_memory_equal(p + off, "\r\n", 2);
		off += 2;
		/* A boundary inside a tag or a word, not between them. */
		if (got < blen && body[got - 1] != '>' && body[got] != '<')
			*mid_token = 1;
	}
	assert_int_equal(got, blen);
	assert_true(len - off == 5);
	assert_memory_equal(p + off, "0\r\n\r\n", 5);
}

static void
test_chunked_writer(void **state)
{
	struct evbuffer	*a = evbuffer_new(), *b = evbuffer_new();
	char		*body, *req;
	size_t		 blen = 20000, i, len, used;
	int		 n, mid = 0;
	struct sim_http_req r;

	body = malloc(blen + 1);
	assert_non_null(body);
	for (i = 0; i < blen; i++)
		body[i] = "<g:Name>value</g:Name>"[i % 22];
	body[blen] = '\0';
	n = sim_http_chunked(a, body, blen, 42);
	assert_true(n >= (int)(blen / SIM_HTTP_CHUNK_MAX));
	assert_true(n <= (int)(blen / SIM_HTTP_CHUNK_MIN) + 1);
	len = evbuffer_get_length(a);
	t_check_chunks((const char *)evbuffer_pullup(a, -1), len, body, blen,
	    &mid);
	assert_true(mid);
	/* The same seed cuts the same way; another seed differently. */
	assert_int_equal(sim_http_chunked(b, body, blen, 42), n);
	assert_int_equal(evbuffer_get_length(b), len);
	assert_memory_equal(evbuffer_pullup(a, -1), evbuffer_pullup(b, -1),
	    len);
	evbuffer_drain(b, len);
	(void)sim_http_chunked(b, body, blen, 43);
	assert_true(evbuffer_get_length(b) != len ||
	    memcmp(evbuffer_pullup(a, -1), evbuffer_pullup(b, -1), len) != 0);

	/* And our own parser reads it back as a chunked request body. */
	req = malloc(len + 128);
	assert_non_null(req);
	used = (size_t)snprintf(req, 128, "POST /wsman HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n");
	memcpy(req + used, evbuffer_pullup(a, -1), len);
	memset(&r, 0, sizeof(r));
	sim_http_req_reset(&r);
	assert_int_equal(sim_http_parse(&r, (const uint8_t *)req, used + len,
	    &i), 0);
	assert_int_equal(i, used + len);
	assert_int_equal(r.body_len, blen);
	assert_memory_equal(r.body, body, blen);
	sim_http_req_free(&r);

	/* An empty body is just the last chunk. */
	evbuffer_drain(b, evbuffer_get_length(b));
	assert_int_equal(sim_http_chunked(b, "", 0, 1), 0);
	assert_int_equal(evbuffer_get_length(b), 5);
	free(req);
	free(body);
	evbuffer_free(a);
	evbuffer_free(b);
}

static void
test_names_and_reasons(void **state)
{
	int	i;

	for (i = SIM_HTTP_LINE; i <= SIM_HTTP_FAILED; i++)
		assert_string_not_equal(
		    sim_http_state_name((enum sim_http_state)i), "?");
	assert_string_equal(sim_http_state_name(SIM_HTTP_FAILED + 1), "?");
	assert_string_equal(sim_http_reason(401), "Unauthorized");
	assert_string_equal(sim_http_reason(431),
	    "Request Header Fields Too Large");
	assert_string_equal(sim_http_reason(299), "Error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_chunked_request),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_expect_continue),
		cmocka_unit_test(test_chunked_writer),
		cmocka_unit_test(test_names_and_reasons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
