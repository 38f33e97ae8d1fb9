/*
 * test_passwd.c: PBKDF2-SHA256 hash strings: make, verify, refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "mps_err.h"
#include "passwd.h"

/* Python hashlib.pbkdf2_hmac('sha256', b'Passw0rdMPS', salt, 20000). */
#define KAT_PW		"Passw0rdMPS"
#define KAT_HASH	"$pbkdf2-sha256$20000$ZUGhWtK6/IS9aGSV6jiDlw==$" \
	"hpsIZ7ps0V17HiMa5JRsNdqyNijCTdwAN1JffitUhgg="

static void
test_hash_verify(void **state)
{
	char h1[PASSWD_HASH_MAX], h2[PASSWD_HASH_MAX];

	(void)state;
	assert_int_equal(passwd_hash("s3cret!", 7, 1000, h1, sizeof h1), 0);
	assert_true(strncmp(h1, "$pbkdf2-sha256$1000$", 20) == 0);
	assert_int_equal(passwd_check_format(h1), 0);
	assert_int_equal(passwd_verify("s3cret!", 7, h1), 1);
	assert_int_equal(passwd_verify("s3cret?", 7, h1), 0);
	assert_int_equal(passwd_verify("s3cret", 6, h1), 0);
	assert_int_equal(passwd_verify("s3cret!!", 8, h1), 0);
	/* Length counts, not the NUL: embedded NULs are password bytes. */
	assert_int_equal(passwd_hash("a\0b", 3, 1000, h2, sizeof h2), 0);
	assert_int_equal(passwd_verify("a\0b", 3, h2), 1);
	assert_int_equal(passwd_verify("a\0c", 3, h2), 0);
	assert_int_equal(passwd_verify("a", 1, h2), 0);
	/* A fresh salt each time: same password, different strings. */
	assert_int_equal(passwd_hash("s3cret!", 7, 1000, h2, sizeof h2), 0);
	assert_string_not_equal(h1, h2);
	assert_int_equal(passwd_verify("s3cret!", 7, h2), 1);
	/* The empty password is a password like any other. */
	assert_int_equal(passwd_hash("", 0, 1000, h1, sizeof h1), 0);
	assert_int_equal(passwd_verify("", 0, h1), 1);
	assert_int_equal(passwd_verify("x", 1, h1), 0);
}

/* A hash from an independent implementation verifies here. */
static void
test_known_answer(void **state)
{
	char h[PASSWD_HASH_MAX];

	(void)state;
	assert_int_equal(passwd_verify(KAT_PW, strlen(KAT_PW), KAT_HASH), 1);
	assert_int_equal(passwd_verify("passw0rdMPS", 11, KAT_HASH), 0);
	/* One flipped bit of the stored output: no match. */
	snprintf(h, sizeof h, "%s", KAT_HASH);
	h[strlen(h) - 8] = h[strlen(h) - 8] == 'f' ? 'g' : 'f';
	assert_int_equal(passwd_check_format(h), 0);
	assert_int_equal(passwd_verify(KAT_PW, strlen(KAT_PW), h), 0);
	/* The iteration count is part of the hash. */
	assert_int_equal(passwd_verify(KAT_PW, strlen(KAT_PW),
	    "$pbkdf2-sha256$20001$ZUGhWtK6/IS9aGSV6jiDlw==$"
	    "hpsIZ7ps0V17HiMa5JRsNdqyNijCTdwAN1JffitUhgg="), 0);
	/* So is the salt. */
	assert_int_equal(passwd_verify(KAT_PW, strlen(KAT_PW),
	    "$pbkdf2-sha256$20000$ZUGhWtK6/IS9aGSV6jiDlA==$"
	    "hpsIZ7ps0V17HiMa5JRsNdqyNijCTdwAN1JffitUhgg="), 0);
}

static void
test_iteration_bounds(void **state)
{
	char h[PASSWD_HASH_MAX];

	(void)state;
	assert_int_equal(passwd_hash("pw", 2, 999, h, sizeof h),
	    MPS_ERR_INVALID);
	assert_int_equal(passwd_hash("pw", 2, PASSWD_MAX_ITER + 1, h,
	    sizeof h), MPS_ERR_INVALID);
	assert_int_equal(passwd_hash("pw", 2, PASSWD_MIN_ITER, h, sizeof h),
	    0);
	assert_int_equal(passwd_hash("pw", 2, 0, h, sizeof h), 0);
	assert_true(strncmp(h, "$pbkdf2-sha256$20000$", 21) == 0);
	assert_int_equal(passwd_verify("pw", 2, h), 1);
	assert_int_equal(passwd_check_format("$pbkdf2-sha256$999$"
	    "ZUGhWtK6/IS9aGSV6jiDlw==$"
	    "hpsIZ7ps0V17HiMa5JRsNdqyNijCTdwAN1JffitUhgg="), MPS_ERR_INVALID);
	assert_int_equal(passwd_check_format("$pbkdf2-sha256$10000000$"
	    "ZUGhWtK6/IS9aGSV6jiDlw==$"
	    "hpsIZ7ps0V17HiMa5JRsNdqyNijCTdwAN1JffitUhgg="), 0);
	assert_int_equal(passwd_check_format("$pbkdf2-sha256$10000001$"
	    "ZUGhWtK6/IS9aGSV6jiDlw==$"
	    "hpsIZ7ps0V17HiMa5JRsNdqyNijCTdwAN1JffitUhgg="), MPS_ERR_INVALID);
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"secret",
		"$pbkdf2-sha1$20000$ZUGhWtK6/IS9aGSV6jiDlw==$"
		    "hpsIZ7ps0V17HiMa5JRsNdqyNijCTdwAN1JffitUhgg=",
		"$pbkdf2-sha256$020000$ZUGhWtK6/IS9aGSV6jiDlw==$"
		    "hpsIZ7ps0V17HiMa5JRsNdqyNijCTdwAN1JffitUhgg=",
		"$pbkdf2-sha256$+20000$ZUGhWtK6/IS9aGSV6jiDlw==$"
		    "hpsIZ7ps0V17HiMa5JRsNdqyNijCTdwAN1JffitUhgg=",
		"$pbkdf2-sha256$99999999999999999999999$ZUGhWtK6/IS9aGSV6jiDlw==$"
		    "hpsIZ7ps0V17HiMa5JRsNdqyNijCTdwAN1JffitUhgg=",
		"$pbkdf2-sha256$20000",
		"$pbkdf2-sha256$20000$",
		"$pbkdf2-sha256$20000$ZUGhWtK6/IS9aGSV6jiDlw==",
		"$pbkdf2-sha256$20000$ZUGhWtK6/IS9aGSV6jiDlw==$",
		"$pbkdf2-sha256$20000$$hpsIZ7ps0V17HiMa5JRsNdqyNijCTdwAN1JffitUhgg=",
		/* salt too short (6 bytes) */
		"$pbkdf2-sha256$20000$ZUGhWtK6$"
		    "hpsIZ7ps0V17HiMa5JRsNdqyNijCTdwAN1JffitUhgg=",
		/* output 31 bytes */
		"$pbkdf2-sha256$20000$ZUGhWtK6/IS9aGSV6jiDlw==$"
		    "hpsIZ7ps0V17HiMa5JRsNdqyNijCTdwAN1JffitUhg==",
		/* not base64 */
		"$pbkdf2-sha256$20000$ZUGhWtK6*IS9aGSV6jiDlw==$"
		    "hpsIZ7ps0V17HiMa5JRsNdqyNijCTdwAN1JffitUhgg=",
		/* missing padding */
		"$pbkdf2-sha256$20000$ZUGhWtK6/IS9aGSV6jiDlw$"
		    "hpsIZ7ps0V17HiMa5JRsNdqyNijCTdwAN1JffitUhgg=",
		/* non-canonical: unused low bits set in the last symbol */
		"$pbkdf2-sha256$20000$ZUGhWtK6/IS9aGSV6jiDlx==$"
		    "hpsIZ7ps0V17HiMa5JRsNdqyNijCTdwAN1JffitUhgg=",
		"$pbkdf2-sha256$20000$ZUGhWtK6/IS9aGSV6jiDlw==$"
		    "hpsIZ7ps0V17HiMa5JRsNdqyNijCTdwAN1JffitUhgh=",
		/* padding in the middle, trailing junk */
		"$pbkdf2-sha256$20000$ZUGh=tK6/IS9aGSV6jiDlw==$"
		    "hpsIZ7ps0V17HiMa5JRsNdqyNijCTdwAN1JffitUhgg=",
		"$pbkdf2-sha256$20000$ZUGhWtK6/IS9aGSV6jiDlw==$"
		    "hpsIZ7ps0V17HiMa5JRsNdqyNijCTdwAN1JffitUhgg=\n",
		"$pbkdf2-sha256$20000$ZUGhWtK6/IS9aGSV6jiDlw==$"
		    "hpsIZ7ps0V17HiMa5JRsNdqyNijCTdwAN1JffitUhgg=$x",
		" $pbkdf2-sha256$20000$ZUGhWtK6/IS9aGSV6jiDlw==$"
		    "hpsIZ7ps0V17HiMa5JRsNdqyNijCTdwAN1JffitUhgg=",
	};
	char longhash[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (passwd_check_format(bad[i]) != MPS_ERR_INVALID ||
		    passwd_verify("pw", 2, bad[i]) != MPS_ERR_INVALID) {
			print_error("accepted bad hash #%zu: %s\n", i, bad[i]);
			fail();
		}
	}
	assert_int_equal(passwd_check_format(NULL), MPS_ERR_INVALID);
	assert_int_equal(passwd_verify("pw", 2, NULL), MPS_ERR_INVALID);
	/* Longer than PASSWD_HASH_MAX: refused before any parsing. */
	memset(longhash, 'A', sizeof longhash - 1);
	longhash[sizeof longhash - 1] = '\0';
	memcpy(longhash, "$pbkdf2-sha256$1000$", 20);
	assert_int_equal(passwd_check_format(longhash), MPS_ERR_INVALID);
}

static void
test_limits(void **state)
{
	char h[PASSWD_HASH_MAX], *big;

	(void)state;
	assert_int_equal(passwd_hash("pw", 2, 1000, h, 20), MPS_ERR_NO_SPACE);
	assert_int_equal(h[0], '\0');
	big = malloc(PASSWD_MAX_LEN + 1);
	assert_non_null(big);
	memset(big, 'x', PASSWD_MAX_LEN + 1);
	assert_int_equal(passwd_hash(big, PASSWD_MAX_LEN + 1, 1000, h,
	    sizeof h), MPS_ERR_TOO_LARGE);
	assert_int_equal(passwd_hash(big, PASSWD_MAX_LEN, 1000, h, sizeof h),
	    0);
	assert_int_equal(passwd_verify(big, PASSWD_MAX_LEN, h), 1);
	assert_int_equal(passwd_verify(big, PASSWD_MAX_LEN + 1, h), 0);
	free(big);
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Not an assertion on time: prints what one verification costs. */
static void
test_measure_verify(void **state)
{
	char h[PASSWD_HASH_MAX];
	double t0, t1;
	int i, n = 20;

	(void)state;
	assert_int_equal(passwd_hash("Passw0rdMPS", 11, 0, h, sizeof h), 0);
	t0 = now_us();
	for (i = 0; i < n; i++)
		assert_int_equal(passwd_verify("Passw0rdMPS", 11, h), 1);
	t1 = now_us();
	print_message("passwd_verify at %d iterations: %.0f us each\n",
	    PASSWD_DEFAULT_ITER, (t1 - t0) / n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_verify),
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_iteration_bounds),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_measure_verify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
