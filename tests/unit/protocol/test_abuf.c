/* test_abuf.c: the bounded reader and writer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "abuf.h"
#include "mps_err.h"

static void
test_rd_integers(void **state)
{
	static const uint8_t b[] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde };
	struct abuf_rd r;
	uint32_t v32;
	uint16_t v16;
	uint8_t v8;

	(void)state;
	abuf_rd_init(&r, b, sizeof(b));
	assert_int_equal(abuf_get_u8(&r, &v8), MPS_OK);
	assert_int_equal(v8, 0x12);
	assert_int_equal(abuf_get_u16(&r, &v16), MPS_OK);
	assert_int_equal(v16, 0x3456);
	assert_int_equal(abuf_get_u32(&r, &v32), MPS_OK);
	assert_int_equal(v32, 0x789abcde);
	assert_int_equal(abuf_rd_offset(&r), 7);
	assert_int_equal(abuf_rd_avail(&r), 0);
	assert_int_equal(abuf_rd_end(&r), MPS_OK);
	/* Short reads consume nothing and clear the outputs. */
	v8 = 0xff;
	v16 = 0xffff;
	v32 = 0xffffffff;
	assert_int_equal(abuf_get_u8(&r, &v8), MPS_ERR_INCOMPLETE);
	assert_int_equal(v8, 0);
	abuf_rd_init(&r, b, 3);
	assert_int_equal(abuf_get_u32(&r, &v32), MPS_ERR_INCOMPLETE);
	assert_int_equal(v32, 0);
	assert_int_equal(abuf_rd_offset(&r), 0);
	abuf_rd_init(&r, b, 1);
	assert_int_equal(abuf_get_u16(&r, &v16), MPS_ERR_INCOMPLETE);
	assert_int_equal(v16, 0);
	assert_int_equal(abuf_rd_end(&r), MPS_ERR_TRAILING);
}

static void
test_rd_bytes(void **state)
{
	static const uint8_t b[] = { 1, 2, 3, 4, 5 };
	uint8_t dst[8];
	const uint8_t *p;
	struct abuf_rd r;

	(void)state;
	abuf_rd_init(&r, b, sizeof(b));
	memset(dst, 0xee, sizeof(dst));
	assert_int_equal(abuf_get_bytes(&r, dst, 6), MPS_ERR_INCOMPLETE);
	assert_int_equal(dst[0], 0);		/* cleared */
	assert_int_equal(abuf_rd_offset(&r), 0);
	assert_int_equal(abuf_get_bytes(&r, dst, 2), MPS_OK);
	assert_memory_equal(dst, b, 2);
	assert_int_equal(abuf_get_direct(&r, &p, 2), MPS_OK);
	assert_ptr_equal(p, b + 2);
	assert_int_equal(abuf_get_direct(&r, &p, 2), MPS_ERR_INCOMPLETE);
	assert_null(p);
	assert_int_equal(abuf_skip(&r, 2), MPS_ERR_INCOMPLETE);
	assert_int_equal(abuf_skip(&r, 1), MPS_OK);
	assert_int_equal(abuf_rd_end(&r), MPS_OK);
	/* Huge n must not wrap any offset arithmetic. */
	abuf_rd_init(&r, b, sizeof(b));
	assert_int_equal(abuf_skip(&r, 1), MPS_OK);
	assert_int_equal(abuf_skip(&r, SIZE_MAX), MPS_ERR_INCOMPLETE);
	assert_int_equal(abuf_get_direct(&r, &p, SIZE_MAX - 1),
	    MPS_ERR_INCOMPLETE);
	assert_int_equal(abuf_rd_offset(&r), 1);
	/* A NULL buffer is an empty one. */
	abuf_rd_init(&r, NULL, 100);
	assert_int_equal(abuf_rd_avail(&r), 0);
}

static void
test_rd_string(void **state)
{
	static const uint8_t ok[] = { 0, 0, 0, 3, 'a', 'b', 'c', 9 };
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 'x' };
	static const uint8_t big[] = { 0, 0, 8, 1 };	/* 2049 */
	const uint8_t *p;
	struct abuf_rd r;
	uint32_t len;

	(void)state;
	abuf_rd_init(&r, ok, sizeof(ok));
	assert_int_equal(abuf_get_string(&r, &p, &len, 3), MPS_OK);
	assert_int_equal(len, 3);
	assert_memory_equal(p, "abc", 3);
	assert_int_equal(abuf_rd_end(&r), MPS_ERR_TRAILING);
	/* Cap below the length: TOO_LARGE, even though the bytes are here. */
	abuf_rd_init(&r, ok, sizeof(ok));
	assert_int_equal(abuf_get_string(&r, &p, &len, 2), MPS_ERR_TOO_LARGE);
	assert_null(p);
	assert_int_equal(len, 0);
	assert_int_equal(abuf_rd_offset(&r), 0);
	/* Every prefix is INCOMPLETE, never anything else. */
	for (size_t i = 0; i < 7; i++) {
		abuf_rd_init(&r, ok, i);
		assert_int_equal(abuf_get_string(&r, &p, &len, 100),
		    MPS_ERR_INCOMPLETE);
		assert_int_equal(abuf_rd_offset(&r), 0);
	}
	/* Oversize lengths are refused before their bytes exist. */
	abuf_rd_init(&r, huge, sizeof(huge));
	assert_int_equal(abuf_get_string(&r, &p, &len, UINT32_MAX - 1),
	    MPS_ERR_TOO_LARGE);
	abuf_rd_init(&r, huge, sizeof(huge));
	assert_int_equal(abuf_get_string(&r, &p, &len, UINT32_MAX),
	    MPS_ERR_INCOMPLETE);
	abuf_rd_init(&r, big, sizeof(big));
	assert_int_equal(abuf_get_string(&r, &p, &len, 2048),
	    MPS_ERR_TOO_LARGE);
}

static void
test_wr(void **state)
{
	uint8_t buf[16];
	struct abuf_wr w;

	(void)state;
	abuf_wr_init(&w, buf, sizeof(buf));
	abuf_put_u8(&w, 0xc0);
	abuf_put_u16(&w, 0x0102);
	abuf_put_u32(&w, 0xa1b2c3d4);
	abuf_put_string(&w, "hi", 2);
	assert_int_equal(abuf_wr_error(&w), MPS_OK);
	assert_int_equal(w.len, 13);
	assert_memory_equal(buf, "\xc0\x01\x02\xa1\xb2\xc3\xd4\0\0\0\x02hi",
	    13);
	/* The first failure sticks; nothing more is written. */
	abuf_put_u32(&w, 0x11223344);
	assert_int_equal(abuf_wr_error(&w), MPS_ERR_NO_SPACE);
	assert_int_equal(w.len, 13);
	abuf_put_u8(&w, 1);
	assert_int_equal(w.len, 13);
	assert_int_equal(abuf_wr_error(&w), MPS_ERR_NO_SPACE);
	/* A string that does not fit leaves no half-written length. */
	abuf_wr_init(&w, buf, 6);
	abuf_put_string(&w, "abc", 3);
	assert_int_equal(abuf_wr_error(&w), MPS_ERR_NO_SPACE);
	assert_int_equal(w.len, 0);
	abuf_wr_init(&w, buf, 7);
	abuf_put_string(&w, "abc", 3);
	assert_int_equal(abuf_wr_error(&w), MPS_OK);
	assert_int_equal(w.len, 7);
	abuf_wr_init(&w, buf, 2);
	abuf_put_bytes(&w, "abc", SIZE_MAX);
	assert_int_equal(abuf_wr_error(&w), MPS_ERR_NO_SPACE);
	assert_int_equal(w.len, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rd_integers),
		cmocka_unit_test(test_rd_bytes),
		cmocka_unit_test(test_rd_string),
		cmocka_unit_test(test_wr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
