/*
 * wsman_buf.c: capped growable text buffer with XML escaping.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mps_err.h"
#include "wsman_buf.h"

void
wsman_buf_init(struct wsman_buf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

static int
wsman_buf_reserve(struct wsman_buf *b, size_t n)
{
	size_t want, ncap;
	char *p;

	if (b->err != 0)
		return b->err;
	/* Overflow-safe form of len + n > max. */
	if (n > b->max || b->len > b->max - n) {
		b->err = MPS_ERR_TOO_LARGE;
		return b->err;
	}
	want = b->len + n + 1;
	if (want <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 1024;
	while (ncap < want)
		ncap = ncap > SIZE_MAX / 2 ? want : ncap * 2;
	if ((p = realloc(b->data, ncap)) == NULL) {
		b->err = MPS_ERR_NOMEM;
		return b->err;
	}
	b->data = p;
	b->cap = ncap;
	return 0;
}

void
wsman_buf_add(struct wsman_buf *b, const char *s, size_t n)
{
	if (wsman_buf_reserve(b, n) != 0)
		return;
	if (n > 0)
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
wsman_buf_adds(struct wsman_buf *b, const char *s)
{
	wsman_buf_add(b, s, strlen(s));
}

void
wsman_buf_addu(struct wsman_buf *b, unsigned long long v)
{
	char tmp[32];
	int n;

	n = snprintf(tmp, sizeof tmp, "%llu", v);
	wsman_buf_add(b, tmp, (size_t)n);
}

void
wsman_buf_addi(struct wsman_buf *b, long long v)
{
	char tmp[32];
	int n;

	n = snprintf(tmp, sizeof tmp, "%lld", v);
	wsman_buf_add(b, tmp, (size_t)n);
}

/*
 * Decode one UTF-8 sequence at s (n bytes left).  Returns its length and
 * the code point, or 0 for an invalid, overlong or truncated sequence.
 */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xE0) == 0xC0) {
		len = 2; c = s[0] & 0x1F; min = 0x80;
	} else if ((s[0] & 0xF0) == 0xE0) {
		len = 3; c = s[0] & 0x0F; min = 0x800;
	} else if ((s[0] & 0xF8) == 0xF0) {
		len = 4; c = s[0] & 0x07; min = 0x10000;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

/* XML 1.0 Char production. */
static int
xml_char_ok(uint32_t c)
{
	if (c == 0x9 || c == 0xA || c == 0xD)
		return 1;
	if (c >= 0x20 && c <= 0xD7FF)
		return 1;
	if (c >= 0xE000 && c <= 0xFFFD)
		return 1;
	return c >= 0x10000 && c <= 0x10FFFF;
}

int
wsman_buf_text_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t off = 0, k;
	uint32_t cp;

	while (off < n) {
		if ((k = utf8_decode(p + off, n - off, &cp)) == 0 ||
		    !xml_char_ok(cp))
			return 0;
		off += k;
	}
	return 1;
}

void
wsman_buf_add_text(struct wsman_buf *b, const char *s)
{
	size_t n, i, run;
	const char *rep;

	if (b->err != 0)
		return;
	n = strlen(s);
	/* Caller text ends up inside a document the device parses: reject
	 * what would make that document ill-formed instead of sending it. */
	if (!wsman_buf_text_ok(s, n)) {
		b->err = MPS_ERR_USAGE;
		return;
	}
	for (i = 0, run = 0; i < n; i++) {
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		/* A literal CR would not survive end-of-line normalisation. */
		case '\r': rep = "&#13;"; break;
		default: rep = NULL; break;
		}
		if (rep == NULL)
			continue;
		wsman_buf_add(b, s + run, i - run);
		wsman_buf_adds(b, rep);
		run = i + 1;
	}
	wsman_buf_add(b, s + run, n - run);
}

int
wsman_buf_finish(struct wsman_buf *b, char **out, size_t *len)
{
	int err;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	/* An empty buffer still yields a valid empty string. */
	if (b->err == 0 && b->data == NULL)
		(void)wsman_buf_reserve(b, 0);
	if ((err = b->err) != 0) {
		wsman_buf_free(b);
		return err;
	}
	*out = b->data;
	if (len != NULL)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return 0;
}

void
wsman_buf_free(struct wsman_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
