/*
 * wsman_buf.h: growable, size-capped text buffer used to build SOAP
 * envelopes.  Internal to the wsman library.
 *
 * Errors are sticky: once an append fails (out of memory, cap exceeded,
 * text that is not valid XML character data) every later append is a
 * no-op and wsman_buf_finish() reports the first error.  Builders can
 * therefore append unconditionally and check once at the end.
 */
#ifndef WSMAN_BUF_H
#define WSMAN_BUF_H

#include <stddef.h>

struct wsman_buf {
	char	*data;		/* NUL-terminated while err == 0 */
	size_t	 len;
	size_t	 cap;
	size_t	 max;		/* hard cap on len */
	int	 err;		/* first error (negative MPS_ERR_*), or 0 */
};

/* Start an empty buffer that may grow up to max bytes. */
void	wsman_buf_init(struct wsman_buf *b, size_t max);

/* Append n raw bytes (no escaping). */
void	wsman_buf_add(struct wsman_buf *b, const char *s, size_t n);

/* Append a NUL-terminated string verbatim. */
void	wsman_buf_adds(struct wsman_buf *b, const char *s);

/* Append an unsigned number in decimal. */
void	wsman_buf_addu(struct wsman_buf *b, unsigned long long v);

/* Append a signed number in decimal. */
void	wsman_buf_addi(struct wsman_buf *b, long long v);

/*
 * Append s as XML character data, escaping markup characters.  Sets the
 * error MPS_ERR_USAGE if s is not valid UTF-8 or holds characters XML 1.0
 * forbids (control characters other than tab, CR and LF).
 */
void	wsman_buf_add_text(struct wsman_buf *b, const char *s);

/*
 * Hand the buffer over: on success *out is a malloc'd NUL-terminated
 * string (free() it) and *len its length.  On error returns the sticky
 * error, frees the storage and leaves *out NULL.  The buffer is empty
 * afterwards either way.
 */
int	wsman_buf_finish(struct wsman_buf *b, char **out, size_t *len);

/* Release storage without handing it over. */
void	wsman_buf_free(struct wsman_buf *b);

/*
 * 1 if s (n bytes) is well-formed UTF-8 made only of characters that XML
 * 1.0 allows in character data, else 0.
 */
int	wsman_buf_text_ok(const char *s, size_t n);

#endif /* WSMAN_BUF_H */
