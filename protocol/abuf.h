/*
 * abuf.h: the one bounded byte reader and writer every binary parser in
 * amt-mps goes through.  Big-endian integers, APF strings (u32 length +
 * bytes).  Pure: no allocation, no I/O.
 *
 * Reader rules (fail closed):
 *  - a getter never reads past the end; when fewer bytes remain than it
 *    needs it returns MPS_ERR_INCOMPLETE, consumes nothing and clears its
 *    outputs;
 *  - string getters compare the declared length with a caller cap before
 *    anything else (MPS_ERR_TOO_LARGE), with overflow-safe comparisons;
 *  - abuf_rd_end() returns MPS_ERR_TRAILING if bytes remain.
 *
 * Writer rules: the first failure (capacity) is sticky; later puts are
 * no-ops and abuf_wr_error() reports MPS_ERR_NO_SPACE.  Callers check once
 * at the end.
 */
#ifndef ABUF_H
#define ABUF_H

#include <stddef.h>
#include <stdint.h>

struct abuf_rd {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
};

struct abuf_wr {
	uint8_t		*p;
	size_t		 cap;
	size_t		 len;
	int		 err;	/* 0 or MPS_ERR_NO_SPACE, sticky */
};

void	abuf_rd_init(struct abuf_rd *r, const void *p, size_t len);
/* Bytes not yet consumed. */
size_t	abuf_rd_avail(const struct abuf_rd *r);
/* Bytes consumed so far. */
size_t	abuf_rd_offset(const struct abuf_rd *r);

int	abuf_get_u8(struct abuf_rd *r, uint8_t *v);
int	abuf_get_u16(struct abuf_rd *r, uint16_t *v);
int	abuf_get_u32(struct abuf_rd *r, uint32_t *v);
/* Copies exactly n bytes into dst. */
int	abuf_get_bytes(struct abuf_rd *r, void *dst, size_t n);
/* Points *p at the next n bytes without copying. */
int	abuf_get_direct(struct abuf_rd *r, const uint8_t **p, size_t n);
int	abuf_skip(struct abuf_rd *r, size_t n);
/*
 * APF string: u32 length then bytes.  Sets *p to the bytes inside the
 * reader's buffer (not NUL-terminated) and *len.  A declared length above
 * max gives MPS_ERR_TOO_LARGE even if the bytes are not there yet, so a
 * peer cannot make us wait for (and buffer) a huge string.
 */
int	abuf_get_string(struct abuf_rd *r, const uint8_t **p, uint32_t *len,
	    uint32_t max);
/* 0 if every byte was consumed, MPS_ERR_TRAILING otherwise. */
int	abuf_rd_end(const struct abuf_rd *r);

void	abuf_wr_init(struct abuf_wr *w, void *p, size_t cap);
void	abuf_put_u8(struct abuf_wr *w, uint8_t v);
void	abuf_put_u16(struct abuf_wr *w, uint16_t v);
void	abuf_put_u32(struct abuf_wr *w, uint32_t v);
void	abuf_put_bytes(struct abuf_wr *w, const void *p, size_t n);
/* u32 length + bytes. */
void	abuf_put_string(struct abuf_wr *w, const void *p, size_t n);
/* 0, or MPS_ERR_NO_SPACE if any put did not fit. */
int	abuf_wr_error(const struct abuf_wr *w);

#endif /* ABUF_H */
