/*
 * sim_http.c: the HTTP/1.1 a simulated AMT device reads and writes.
 *
 * The parser is incremental: it takes whatever bytes a channel delivers
 * (a request may arrive one byte at a time, or several requests in one
 * packet) and never looks ahead.  Everything is bounded: a line, the
 * whole header block, the body; past a bound it fails with the status a
 * server would answer (431, 413) instead of buffering.  Since the peer is
 * the MPS under test, ambiguous framing (Content-Length together with
 * Transfer-Encoding, two different lengths, obsolete line folding) is
 * refused rather than guessed at.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>

#include "mps_err.h"
#include "sim_wsman.h"

static const char *sim_http_state_names[] = {
#define SIM_HS_NAME(name, str) str,
	SIM_HTTP_STATES(SIM_HS_NAME)
#undef SIM_HS_NAME
};

const char *
sim_http_state_name(enum sim_http_state st)
{
	if ((unsigned)st >= sizeof(sim_http_state_names) /
	    sizeof(sim_http_state_names[0]))
		return "?";
	return sim_http_state_names[st];
}

void
sim_http_req_reset(struct sim_http_req *r)
{
	char	*line = r->line, *body = r->body;
	size_t	 cap = r->body_cap;

	memset(r, 0, sizeof(*r));
	r->line = line;
	r->body = body;
	r->body_cap = cap;
	/* The kept buffer must not show the last request's body. */
	if (body != NULL)
		body[0] = '\0';
	r->state = SIM_HTTP_LINE;
}

void
sim_http_req_free(struct sim_http_req *r)
{
	free(r->line);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static int
sim_http_fail(struct sim_http_req *r, int status, int err)
{
	r->state = SIM_HTTP_FAILED;
	r->status = status;
	return err;
}

/* Trim spaces and tabs around [*s, *s + *n). */
static void
sim_http_trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* Case-insensitive compare of a counted string with a C string. */
static int
sim_http_ieq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* 1 if the comma-separated list s (n bytes) holds token tok. */
static int
sim_http_has_token(const char *s, size_t n, const char *tok)
{
	const char	*p = s, *end = s + n, *comma;
	size_t		 len;

	while (p < end) {
		comma = memchr(p, ',', (size_t)(end - p));
		len = (size_t)((comma != NULL ? comma : end) - p);
		{
			const char	*t = p;
			size_t		 tl = len;

			sim_http_trim(&t, &tl);
			if (sim_http_ieq(t, tl, tok))
				return 1;
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return 0;
}

static int
sim_http_is_tchar(int c)
{
	return isalnum(c) || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Copy a counted string into a bounded field; 0 or MPS_ERR_TOO_LARGE. */
static int
sim_http_copy(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return MPS_ERR_TOO_LARGE;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

/* "POST /wsman HTTP/1.1" */
static int
sim_http_request_line(struct sim_http_req *r, const char *s, size_t n)
{
	const char	*sp1, *sp2, *v;
	size_t		 ml, tl, vl;

	if ((sp1 = memchr(s, ' ', n)) == NULL)
		return sim_http_fail(r, 400, MPS_ERR_INVALID);
	ml = (size_t)(sp1 - s);
	if ((sp2 = memchr(sp1 + 1, ' ', n - ml - 1)) == NULL)
		return sim_http_fail(r, 400, MPS_ERR_INVALID);
	tl = (size_t)(sp2 - sp1 - 1);
	v = sp2 + 1;
	vl = n - ml - tl - 2;
	if (ml == 0 || tl == 0)
		return sim_http_fail(r, 400, MPS_ERR_INVALID);
	for (size_t i = 0; i < ml; i++)
		if (!sim_http_is_tchar((unsigned char)s[i]))
			return sim_http_fail(r, 400, MPS_ERR_INVALID);
	for (size_t i = 0; i < tl; i++)
		if ((unsigned char)sp1[1 + i] <= ' ' ||
		    (unsigned char)sp1[1 + i] == 0x7f)
			return sim_http_fail(r, 400, MPS_ERR_INVALID);
	if (sim_http_copy(r->method, sizeof(r->method), s, ml) != 0)
		return sim_http_fail(r, 501, MPS_ERR_INVALID);
	if (sim_http_copy(r->target, sizeof(r->target), sp1 + 1, tl) != 0)
		return sim_http_fail(r, 414, MPS_ERR_TOO_LARGE);
	if (vl != 8 || strncmp(v, "HTTP/", 5) != 0 || !isdigit((unsigned char)
	    v[5]) || v[6] != '.' || !isdigit((unsigned char)v[7]))
		return sim_http_fail(r, 400, MPS_ERR_INVALID);
	if (v[5] != '1')
		return sim_http_fail(r, 505, MPS_ERR_INVALID);
	r->minor = v[7] - '0';
	/* HTTP/1.0 closes after each response unless it asks otherwise. */
	r->conn_close = r->minor == 0;
	r->state = SIM_HTTP_HEADERS;
	return 0;
}

/* Strict decimal, no sign, no overflow. */
static int
sim_http_decimal(const char *s, size_t n, uint64_t *out)
{
	uint64_t	v = 0;

	if (n == 0 || n > 19)
		return MPS_ERR_INVALID;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return MPS_ERR_INVALID;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
sim_http_header(struct sim_http_req *r, const char *s, size_t n)
{
	const char	*colon, *v;
	size_t		 nl, vl;
	uint64_t	 len;

	/* Obsolete line folding is refused (RFC 7230 3.2.4). */
	if (s[0] == ' ' || s[0] == '\t')
		return sim_http_fail(r, 400, MPS_ERR_INVALID);
	if ((colon = memchr(s, ':', n)) == NULL)
		return sim_http_fail(r, 400, MPS_ERR_INVALID);
	nl = (size_t)(colon - s);
	if (nl == 0)
		return sim_http_fail(r, 400, MPS_ERR_INVALID);
	for (size_t i = 0; i < nl; i++)
		if (!sim_http_is_tchar((unsigned char)s[i]))
			return sim_http_fail(r, 400, MPS_ERR_INVALID);
	v = colon + 1;
	vl = n - nl - 1;
	sim_http_trim(&v, &vl);
	if (sim_http_ieq(s, nl, "Content-Length")) {
		if (sim_http_decimal(v, vl, &len) != 0)
			return sim_http_fail(r, 400, MPS_ERR_INVALID);
		if (r->has_length && r->length != len)
			return sim_http_fail(r, 400, MPS_ERR_INVALID);
		r->has_length = 1;
		r->length = len;
	} else if (sim_http_ieq(s, nl, "Transfer-Encoding")) {
		/* Only "chunked" alone: anything layered under it (gzip)
		 * is not something AMT or its clients do. */
		if (!sim_http_ieq(v, vl, "chunked"))
			return sim_http_fail(r, 501, MPS_ERR_INVALID);
		r->chunked = 1;
	} else if (sim_http_ieq(s, nl, "Host")) {
		if (r->has_host)
			return sim_http_fail(r, 400, MPS_ERR_INVALID);
		if (sim_http_copy(r->host, sizeof(r->host), v, vl) != 0)
			return sim_http_fail(r, 400, MPS_ERR_TOO_LARGE);
		r->has_host = 1;
	} else if (sim_http_ieq(s, nl, "Authorization")) {
		if (sim_http_copy(r->auth, sizeof(r->auth), v, vl) != 0)
			return sim_http_fail(r, 431, MPS_ERR_TOO_LARGE);
	} else if (sim_http_ieq(s, nl, "Connection")) {
		if (sim_http_has_token(v, vl, "close"))
			r->conn_close = 1;
		else if (sim_http_has_token(v, vl, "keep-alive"))
			r->conn_close = 0;
	} else if (sim_http_ieq(s, nl, "Expect")) {
		if (!sim_http_ieq(v, vl, "100-continue"))
			return sim_http_fail(r, 417, MPS_ERR_INVALID);
		r->expect_continue = r->minor >= 1;
	}
	return 0;
}

/* The empty line after the headers: decide how the body is framed. */
static int
sim_http_headers_done(struct sim_http_req *r)
{
	if (r->minor >= 1 && !r->has_host)
		return sim_http_fail(r, 400, MPS_ERR_INVALID);
	/* Both framings at once is how request smuggling starts. */
	if (r->chunked && r->has_length)
		return sim_http_fail(r, 400, MPS_ERR_INVALID);
	if (r->chunked) {
		r->state = SIM_HTTP_CHUNK_SIZE;
		return 0;
	}
	if (r->has_length && r->length > SIM_HTTP_MAX_BODY)
		return sim_http_fail(r, 413, MPS_ERR_TOO_LARGE);
	if (!r->has_length || r->length == 0) {
		r->expect_continue = 0;
		r->state = SIM_HTTP_DONE;
		return 0;
	}
	r->state = SIM_HTTP_BODY;
	return 0;
}

/* "1A2;ext=1" */
static int
sim_http_chunk_size(struct sim_http_req *r, const char *s, size_t n)
{
	uint64_t	v = 0;
	size_t		i;
	int		d;

	for (i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			break;
		if (i >= 15)
			return sim_http_fail(r, 413, MPS_ERR_TOO_LARGE);
		v = v << 4 | (uint64_t)d;
	}
	if (i == 0 || (i < n && s[i] != ';' && s[i] != ' ' && s[i] != '\t'))
		return sim_http_fail(r, 400, MPS_ERR_INVALID);
	if (v > SIM_HTTP_MAX_BODY - r->body_len)
		return sim_http_fail(r, 413, MPS_ERR_TOO_LARGE);
	r->chunk_left = v;
	r->state = v == 0 ? SIM_HTTP_TRAILERS : SIM_HTTP_CHUNK_DATA;
	return 0;
}

/* One complete line (CRLF or bare LF stripped) in the current state. */
static int
sim_http_line(struct sim_http_req *r, const char *s, size_t n)
{
	switch (r->state) {
	case SIM_HTTP_LINE:
		/* RFC 7230 3.5: ignore empty lines before a request. */
		if (n == 0)
			return 0;
		return sim_http_request_line(r, s, n);
	case SIM_HTTP_HEADERS:
		if (n == 0)
			return sim_http_headers_done(r);
		return sim_http_header(r, s, n);
	case SIM_HTTP_CHUNK_SIZE:
		return sim_http_chunk_size(r, s, n);
	case SIM_HTTP_CHUNK_CRLF:
		if (n != 0)
			return sim_http_fail(r, 400, MPS_ERR_INVALID);
		r->state = SIM_HTTP_CHUNK_SIZE;
		return 0;
	case SIM_HTTP_TRAILERS:
		/* Trailer fields are read and dropped. */
		if (n == 0)
			r->state = SIM_HTTP_DONE;
		return 0;
	default:
		return sim_http_fail(r, 500, MPS_ERR_STATE);
	}
}

static int
sim_http_body_add(struct sim_http_req *r, const uint8_t *p, size_t n)
{
	size_t	cap;
	char	*nb;

	if (n > SIM_HTTP_MAX_BODY - r->body_len)
		return sim_http_fail(r, 413, MPS_ERR_TOO_LARGE);
	if (r->body_len + n + 1 > r->body_cap) {
		cap = r->body_cap ? r->body_cap : 4096;
		while (cap < r->body_len + n + 1)
			cap *= 2;
		if (cap > SIM_HTTP_MAX_BODY + 1)
			cap = SIM_HTTP_MAX_BODY + 1;
		if ((nb = realloc(r->body, cap)) == NULL)
			return sim_http_fail(r, 500, MPS_ERR_NOMEM);
		r->body = nb;
		r->body_cap = cap;
	}
	memcpy(r->body + r->body_len, p, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return 0;
}

/* Lines of the header block and of chunk framing count against this. */
static int
sim_http_line_byte(struct sim_http_req *r, uint8_t c)
{
	size_t	max = r->state == SIM_HTTP_LINE ||
	    r->state == SIM_HTTP_HEADERS || r->state == SIM_HTTP_TRAILERS ?
	    SIM_HTTP_MAX_LINE : 1024;

	if (r->state == SIM_HTTP_LINE || r->state == SIM_HTTP_HEADERS ||
	    r->state == SIM_HTTP_TRAILERS) {
		if (++r->header_bytes > SIM_HTTP_MAX_HEADER)
			return sim_http_fail(r, 431, MPS_ERR_TOO_LARGE);
	}
	if (c == '\0')
		return sim_http_fail(r, 400, MPS_ERR_INVALID);
	if (r->line_len >= max)
		return sim_http_fail(r, r->state == SIM_HTTP_LINE ? 414 :
		    r->state == SIM_HTTP_CHUNK_SIZE ||
		    r->state == SIM_HTTP_CHUNK_CRLF ? 400 : 431,
		    MPS_ERR_TOO_LARGE);
	r->line[r->line_len++] = (char)c;
	return 0;
}

int
sim_http_parse(struct sim_http_req *r, const uint8_t *p, size_t len,
    size_t *used)
{
	size_t	i = 0, n, ll;
	int	rc;

	*used = 0;
	if (r->state == SIM_HTTP_DONE)
		return MPS_ERR_STATE;
	if (r->state == SIM_HTTP_FAILED)
		return MPS_ERR_INVALID;
	if (r->line == NULL && (r->line = malloc(SIM_HTTP_MAX_LINE)) == NULL)
		return sim_http_fail(r, 500, MPS_ERR_NOMEM);
	while (i < len) {
		if (r->state == SIM_HTTP_BODY ||
		    r->state == SIM_HTTP_CHUNK_DATA) {
			uint64_t left = r->state == SIM_HTTP_BODY ?
			    r->length - r->body_len : r->chunk_left;

			n = len - i;
			if ((uint64_t)n > left)
				n = (size_t)left;
			if ((rc = sim_http_body_add(r, p + i, n)) != 0)
				return rc;
			i += n;
			if (r->state == SIM_HTTP_BODY) {
				if (r->body_len == r->length)
					r->state = SIM_HTTP_DONE;
			} else if ((r->chunk_left -= n) == 0)
				r->state = SIM_HTTP_CHUNK_CRLF;
			if (r->state == SIM_HTTP_DONE)
				break;
			continue;
		}
		if (p[i] != '\n') {
			if ((rc = sim_http_line_byte(r, p[i])) != 0)
				return rc;
			i++;
			continue;
		}
		i++;
		if (r->state == SIM_HTTP_LINE || r->state == SIM_HTTP_HEADERS ||
		    r->state == SIM_HTTP_TRAILERS) {
			if (++r->header_bytes > SIM_HTTP_MAX_HEADER)
				return sim_http_fail(r, 431,
				    MPS_ERR_TOO_LARGE);
		}
		ll = r->line_len;
		if (ll > 0 && r->line[ll - 1] == '\r')
			ll--;
		r->line_len = 0;
		if (memchr(r->line, '\r', ll) != NULL)
			return sim_http_fail(r, 400, MPS_ERR_INVALID);
		if ((rc = sim_http_line(r, r->line, ll)) != 0)
			return rc;
		if (r->state == SIM_HTTP_DONE)
			break;
	}
	*used = i;
	if (r->state == SIM_HTTP_DONE) {
		/* Keep the body a C string even when it is empty. */
		if (r->body == NULL && sim_http_body_add(r,
		    (const uint8_t *)"", 0) != 0)
			return MPS_ERR_NOMEM;
		return 0;
	}
	return MPS_ERR_INCOMPLETE;
}

const char *
sim_http_reason(int status)
{
	switch (status) {
	case 100:	return "Continue";
	case 200:	return "OK";
	case 400:	return "Bad Request";
	case 401:	return "Unauthorized";
	case 404:	return "Not Found";
	case 405:	return "Method Not Allowed";
	case 413:	return "Request Entity Too Large";
	case 414:	return "Request-URI Too Long";
	case 417:	return "Expectation Failed";
	case 431:	return "Request Header Fields Too Large";
	case 500:	return "Internal Server Error";
	case 501:	return "Not Implemented";
	case 503:	return "Service Unavailable";
	case 505:	return "HTTP Version Not Supported";
	default:	return "Error";
	}
}

void
sim_http_date(char *buf, size_t len)
{
	struct tm	tm;
	time_t		now = time(NULL);

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
		snprintf(buf, len, "Thu, 01 Jan 1970 00:00:00 GMT");
}

/* xorshift32: reproducible chunk sizes without touching rand(). */
static uint32_t
sim_http_rand(uint32_t *s)
{
	uint32_t	x = *s ? *s : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

int
sim_http_chunked(struct evbuffer *out, const char *body, size_t len,
    uint32_t seed)
{
	size_t		off = 0, n;
	uint32_t	s = seed;
	int		count = 0;

	while (off < len) {
		n = SIM_HTTP_CHUNK_MIN + sim_http_rand(&s) %
		    (SIM_HTTP_CHUNK_MAX - SIM_HTTP_CHUNK_MIN + 1);
		if (n > len - off)
			n = len - off;
		if (evbuffer_add_printf(out, "%04zX\r\n", n) < 0 ||
		    evbuffer_add(out, body + off, n) != 0 ||
		    evbuffer_add(out, "\r\n", 2) != 0)
			return MPS_ERR_NOMEM;
		off += n;
		count++;
	}
	if (evbuffer_add(out, "0\r\n\r\n", 5) != 0)
		return MPS_ERR_NOMEM;
	return count;
}
