/*
 * test_log.c: the rate limiter for peer-triggerable log lines, and the
 * JSON line format.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"

/* Runs fn with stderr captured; returns what was written (malloc'd). */
static char *
capture(void (*fn)(void))
{
	char	 path[] = "/tmp/test_logXXXXXX", *buf;
	int	 fd, saved;
	long	 n;
	FILE	*fp;

	assert_true((fd = mkstemp(path)) >= 0);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	fp = fdopen(fd, "r");
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	unlink(path);
	return buf;
}

static int
count(const char *hay, const char *needle)
{
	int	n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay++;
	}
	return n;
}

static void
burst(void)
{
	struct log_ratelimit	rl = LOG_RATELIMIT_INIT("auth failures", 10, 3);
	int			i, allowed = 0;

	log_init(LOG_LEVEL_INFO, 0);
	/* 10 lines in second 100: 3 pass, 7 are dropped. */
	for (i = 0; i < 10; i++)
		if (log_ratelimit(&rl, 100)) {
			allowed++;
			log_info("burst %d", i);
		}
	assert_int_equal(allowed, 3);
	assert_int_equal(rl.suppressed, 7);
	/* Same window still closed. */
	assert_false(log_ratelimit(&rl, 109));
	/* New window: summary first, then the line. */
	assert_true(log_ratelimit(&rl, 110));
	log_info("line after");
	assert_int_equal(rl.suppressed, 0);
	assert_int_equal(rl.total_suppressed, 8);
	/* A quiet window says nothing. */
	assert_true(log_ratelimit(&rl, 200));
	/* The tick flushes a pending summary without a new line. */
	for (i = 0; i < 5; i++)
		(void)log_ratelimit(&rl, 201);
	log_ratelimit_flush(&rl, 205);		/* window not over yet */
	assert_int_equal(rl.suppressed, 3);
	log_ratelimit_flush(&rl, 210);
	assert_int_equal(rl.suppressed, 0);
}

static void
test_ratelimit(void **state)
{
	char	*out = capture(burst);

	assert_int_equal(count(out, "info burst "), 3);
	assert_int_equal(count(out, "auth failures: 8 similar messages "
	    "suppressed"), 1);
	assert_int_equal(count(out, "auth failures: 3 similar messages "
	    "suppressed"), 1);
	assert_int_equal(count(out, "suppressed"), 2);
	assert_true(strstr(out, "suppressed") < strstr(out, "line after"));
	free(out);
}

static void
json_lines(void)
{
	log_init(LOG_LEVEL_INFO, 1);
	log_info("conn=7 peer=127.0.0.1:40000 event=auth-failed "
	    "reason=\"bad password\" user=x\"y");
	log_debug("not shown");
	log_init(LOG_LEVEL_INFO, 0);
}

static void
test_json(void **state)
{
	char	*out = capture(json_lines);

	assert_non_null(strstr(out, "\"level\":\"info\""));
	assert_non_null(strstr(out, "\"conn\":\"7\""));
	assert_non_null(strstr(out, "\"event\":\"auth-failed\""));
	assert_non_null(strstr(out, "\"reason\":\"bad password\""));
	assert_non_null(strstr(out, "\"msg\":\"conn=7 peer="));
	assert_non_null(strstr(out, "user=x\\\"y"));	/* escaped */
	assert_null(strstr(out, "not shown"));
	assert_int_equal(count(out, "\n"), 1);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ratelimit),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
