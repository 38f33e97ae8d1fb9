/*
 * test_control.c: control-socket line framing (bounded before the line is
 * complete).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <event2/buffer.h>

#include "server.h"

static void
test_lines(void **state)
{
	struct evbuffer	*in = evbuffer_new();
	char		*line;
	size_t		 len;

	evbuffer_add_printf(in, "{\"a\":1}\n{\"b\":2}\r\n\n{\"c\"");
	assert_int_equal(ctl_frame_next(in, 64, &line, &len), 1);
	assert_string_equal(line, "{\"a\":1}");
	assert_int_equal(len, 7);
	free(line);
	/* CRLF tolerated. */
	assert_int_equal(ctl_frame_next(in, 64, &line, &len), 1);
	assert_string_equal(line, "{\"b\":2}");
	free(line);
	/* Empty line is a line. */
	assert_int_equal(ctl_frame_next(in, 64, &line, &len), 1);
	assert_int_equal(len, 0);
	free(line);
	/* Partial: wait, keep the bytes. */
	assert_int_equal(ctl_frame_next(in, 64, &line, &len), 0);
	assert_null(line);
	assert_int_equal(evbuffer_get_length(in), 4);
	evbuffer_add_printf(in, ":3}\n");
	assert_int_equal(ctl_frame_next(in, 64, &line, &len), 1);
	assert_string_equal(line, "{\"c\":3}");
	free(line);
	assert_int_equal(evbuffer_get_length(in), 0);
	evbuffer_free(in);
}

static void
test_bounds(void **state)
{
	struct evbuffer	*in = evbuffer_new();
	char		 big[100], *line;
	size_t		 len;

	/* Exactly max bytes: accepted. */
	memset(big, 'x', 16);
	evbuffer_add(in, big, 16);
	evbuffer_add(in, "\n", 1);
	assert_int_equal(ctl_frame_next(in, 16, &line, &len), 1);
	assert_int_equal(len, 16);
	free(line);
	/* Over max with its newline. */
	evbuffer_add(in, big, 17);
	evbuffer_add(in, "\n", 1);
	assert_int_equal(ctl_frame_next(in, 16, &line, &len),
	    MPS_ERR_TOO_LARGE);
	evbuffer_drain(in, evbuffer_get_length(in));
	/* Over max before any newline: refused at once, not awaited. */
	evbuffer_add(in, big, 16);
	assert_int_equal(ctl_frame_next(in, 16, &line, &len), 0);
	evbuffer_add(in, big, 1);
	assert_int_equal(ctl_frame_next(in, 16, &line, &len),
	    MPS_ERR_TOO_LARGE);
	evbuffer_free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
