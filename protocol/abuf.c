/*
 * abuf.c: bounded big-endian reader and writer.
 *
 * Every length check is written as "n > avail" against the bytes that
 * remain, never as "off + n > len", so a hostile n near SIZE_MAX cannot wrap
 * the sum and slip past the check.
 */
#include <string.h>

#include "abuf.h"
#include "mps_err.h"

void
abuf_rd_init(struct abuf_rd *r, const void *p, size_t len)
{
	r->p = p;
	r->len = p == NULL ? 0 : len;
	r->off = 0;
}

size_t
abuf_rd_avail(const struct abuf_rd *r)
{
	return r->len - r->off;
}

size_t
abuf_rd_offset(const struct abuf_rd *r)
{
	return r->off;
}

int
abuf_get_u8(struct abuf_rd *r, uint8_t *v)
{
	*v = 0;
	if (abuf_rd_avail(r) < 1)
		return MPS_ERR_INCOMPLETE;
	*v = r->p[r->off];
	r->off += 1;
	return MPS_OK;
}

int
abuf_get_u16(struct abuf_rd *r, uint16_t *v)
{
	const uint8_t *q;

	*v = 0;
	if (abuf_rd_avail(r) < 2)
		return MPS_ERR_INCOMPLETE;
	q = r->p + r->off;
	*v = (uint16_t)((uint16_t)q[0] << 8 | q[1]);
	r->off += 2;
	return MPS_OK;
}

int
abuf_get_u32(struct abuf_rd *r, uint32_t *v)
{
	const uint8_t *q;

	*v = 0;
	if (abuf_rd_avail(r) < 4)
		return MPS_ERR_INCOMPLETE;
	q = r->p + r->off;
	*v = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 |
	    (uint32_t)q[2] << 8 | (uint32_t)q[3];
	r->off += 4;
	return MPS_OK;
}

int
abuf_get_bytes(struct abuf_rd *r, void *dst, size_t n)
{
	if (abuf_rd_avail(r) < n) {
		if (dst != NULL && n > 0)
			memset(dst, 0, n);
		return MPS_ERR_INCOMPLETE;
	}
	if (n > 0)
		memcpy(dst, r->p + r->off, n);
	r->off += n;
	return MPS_OK;
}

int
abuf_get_direct(struct abuf_rd *r, const uint8_t **p, size_t n)
{
	*p = NULL;
	if (abuf_rd_avail(r) < n)
		return MPS_ERR_INCOMPLETE;
	*p = r->p + r->off;
	r->off += n;
	return MPS_OK;
}

int
abuf_skip(struct abuf_rd *r, size_t n)
{
	if (abuf_rd_avail(r) < n)
		return MPS_ERR_INCOMPLETE;
	r->off += n;
	return MPS_OK;
}

int
abuf_get_string(struct abuf_rd *r, const uint8_t **p, uint32_t *len,
    uint32_t max)
{
	const uint8_t *q;
	uint32_t n;

	*p = NULL;
	*len = 0;
	if (abuf_rd_avail(r) < 4)
		return MPS_ERR_INCOMPLETE;
	q = r->p + r->off;
	n = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 |
	    (uint32_t)q[2] << 8 | (uint32_t)q[3];
	/* The cap comes first: a peer must not make us wait for 4 GiB. */
	if (n > max)
		return MPS_ERR_TOO_LARGE;
	if (abuf_rd_avail(r) - 4 < n)
		return MPS_ERR_INCOMPLETE;
	*p = q + 4;
	*len = n;
	r->off += 4 + (size_t)n;
	return MPS_OK;
}

int
abuf_rd_end(const struct abuf_rd *r)
{
	return abuf_rd_avail(r) == 0 ? MPS_OK : MPS_ERR_TRAILING;
}

void
abuf_wr_init(struct abuf_wr *w, void *p, size_t cap)
{
	w->p = p;
	w->cap = p == NULL ? 0 : cap;
	w->len = 0;
	w->err = 0;
}

/* Reserves n bytes; NULL (and a sticky error) if they do not fit. */
static uint8_t *
abuf_wr_reserve(struct abuf_wr *w, size_t n)
{
	uint8_t *q;

	if (w->err != 0)
		return NULL;
	if (w->cap - w->len < n) {
		w->err = MPS_ERR_NO_SPACE;
		return NULL;
	}
	q = w->p + w->len;
	w->len += n;
	return q;
}

void
abuf_put_u8(struct abuf_wr *w, uint8_t v)
{
	uint8_t *q;

	if ((q = abuf_wr_reserve(w, 1)) != NULL)
		q[0] = v;
}

void
abuf_put_u16(struct abuf_wr *w, uint16_t v)
{
	uint8_t *q;

	if ((q = abuf_wr_reserve(w, 2)) != NULL) {
		q[0] = (uint8_t)(v >> 8);
		q[1] = (uint8_t)v;
	}
}

void
abuf_put_u32(struct abuf_wr *w, uint32_t v)
{
	uint8_t *q;

	if ((q = abuf_wr_reserve(w, 4)) != NULL) {
		q[0] = (uint8_t)(v >> 24);
		q[1] = (uint8_t)(v >> 16);
		q[2] = (uint8_t)(v >> 8);
		q[3] = (uint8_t)v;
	}
}

void
abuf_put_bytes(struct abuf_wr *w, const void *p, size_t n)
{
	uint8_t *q;

	if ((q = abuf_wr_reserve(w, n)) != NULL && n > 0)
		memcpy(q, p, n);
}

void
abuf_put_string(struct abuf_wr *w, const void *p, size_t n)
{
	/* An APF length is 32 bits: a longer string cannot be expressed. */
	if (n > UINT32_MAX) {
		if (w->err == 0)
			w->err = MPS_ERR_NO_SPACE;
		return;
	}
	/* Check both parts up front so a failure leaves no half-written length. */
	if (w->err == 0 && (w->cap - w->len < 4 || w->cap - w->len - 4 < n)) {
		w->err = MPS_ERR_NO_SPACE;
		return;
	}
	abuf_put_u32(w, (uint32_t)n);
	abuf_put_bytes(w, p, n);
}

int
abuf_wr_error(const struct abuf_wr *w)
{
	return w->err;
}
