/*
 * test_auth.c: verified-credential cache, failed-auth throttle, verdicts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "passwd.h"
#include "server.h"

static void
addr4(struct peer_addr *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->port = port;
	inet_pton(AF_INET, ip, a->addr);
}

static void
test_cache_hit_miss(void **state)
{
	struct auth_cache	c;

	assert_int_equal(auth_cache_init(&c, 16), 0);
	assert_false(auth_cache_lookup(&c, "$h1", "pw", 2));
	auth_cache_add(&c, "$h1", "pw", 2);
	assert_true(auth_cache_lookup(&c, "$h1", "pw", 2));
	/* Another password, another hash, a prefix: all misses. */
	assert_false(auth_cache_lookup(&c, "$h1", "pX", 2));
	assert_false(auth_cache_lookup(&c, "$h2", "pw", 2));
	assert_false(auth_cache_lookup(&c, "$h1", "p", 1));
	/* hash||0||pw framing: "$h1" + "pw" is not "$h1p" + "w". */
	assert_false(auth_cache_lookup(&c, "$h1p", "w", 1));
	assert_int_equal(c.hits, 1);
	auth_cache_free(&c);
}

static void
test_cache_bounded(void **state)
{
	struct auth_cache	c;
	char			pw[32];
	int			i, hits = 0;

	/* 4 slots, 64 entries: bounded, most are evicted, no growth. */
	assert_int_equal(auth_cache_init(&c, 4), 0);
	assert_int_equal(c.size, 4);
	for (i = 0; i < 64; i++) {
		snprintf(pw, sizeof(pw), "pw%d", i);
		auth_cache_add(&c, "$h", pw, strlen(pw));
	}
	for (i = 0; i < 64; i++) {
		snprintf(pw, sizeof(pw), "pw%d", i);
		hits += auth_cache_lookup(&c, "$h", pw, strlen(pw));
	}
	assert_true(hits >= 1 && hits <= 4);
	/* The last one added is always there. */
	assert_true(auth_cache_lookup(&c, "$h", "pw63", 4));
	auth_cache_free(&c);
}

static void
test_throttle_delay_growth(void **state)
{
	struct auth_throttle	t;
	struct peer_addr	a, same_ip_other_port;
	uint32_t		expect[] = { 0, 0, 1, 2, 4, 8, 16, 30, 30, 30 };
	size_t			i;

	addr4(&a, "192.0.2.1", 1000);
	addr4(&same_ip_other_port, "192.0.2.1", 2000);
	assert_int_equal(auth_throttle_init(&t, 16, 2), 0);
	for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		assert_int_equal(auth_throttle_fail(&t, i % 2 ? &a :
		    &same_ip_other_port, 100 + (int64_t)i), expect[i]);
	assert_int_equal(auth_throttle_count(&t, &a, 109), 10);
	/* A new minute starts from zero. */
	assert_int_equal(auth_throttle_count(&t, &a, 160), 0);
	assert_int_equal(auth_throttle_fail(&t, &a, 160), 0);
	assert_int_equal(auth_throttle_count(&t, &a, 160), 1);
	auth_throttle_free(&t);
}

static void
test_throttle_per_source(void **state)
{
	struct auth_throttle	t;
	struct peer_addr	a, b;
	int			i;

	addr4(&a, "192.0.2.1", 1);
	addr4(&b, "192.0.2.2", 1);
	assert_int_equal(auth_throttle_init(&t, 16, 3), 0);
	for (i = 0; i < 10; i++)
		auth_throttle_fail(&t, &a, 5);
	/* b is not punished for a's guesses. */
	assert_int_equal(auth_throttle_fail(&t, &b, 5), 0);
	assert_int_equal(auth_throttle_count(&t, &b, 5), 1);
	auth_throttle_free(&t);

	/* limit 0 disables throttling. */
	assert_int_equal(auth_throttle_init(&t, 16, 0), 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(auth_throttle_fail(&t, &a, 5), 0);
	auth_throttle_free(&t);
}

static void
test_throttle_lru_bound(void **state)
{
	struct auth_throttle	t;
	struct peer_addr	a, b, c, d;
	char			ip[32];
	int			i;

	addr4(&a, "10.0.0.1", 1);
	addr4(&b, "10.0.0.2", 1);
	addr4(&c, "10.0.0.3", 1);
	addr4(&d, "10.0.0.4", 1);
	assert_int_equal(auth_throttle_init(&t, 3, 10), 0);
	auth_throttle_fail(&t, &a, 1);
	auth_throttle_fail(&t, &b, 1);
	auth_throttle_fail(&t, &c, 1);
	auth_throttle_fail(&t, &a, 2);		/* a is now most recent */
	auth_throttle_fail(&t, &d, 3);		/* evicts b, the oldest */
	assert_int_equal(t.n, 3);
	assert_int_equal(auth_throttle_count(&t, &a, 3), 2);
	assert_int_equal(auth_throttle_count(&t, &b, 3), 0);
	assert_int_equal(auth_throttle_count(&t, &c, 3), 1);
	assert_int_equal(auth_throttle_count(&t, &d, 3), 1);
	/* Thousands of sources never grow it past its bound. */
	for (i = 0; i < 5000; i++) {
		struct peer_addr x;

		snprintf(ip, sizeof(ip), "10.%d.%d.%d", (i >> 16) & 255,
		    (i >> 8) & 255, i & 255);
		addr4(&x, ip, 1);
		auth_throttle_fail(&t, &x, 4);
	}
	assert_int_equal(t.n, 3);
	auth_throttle_free(&t);
}

/* A devices file on disk, as the daemon loads it. */
static struct devices *
load_devices(int accept_unknown)
{
	struct devices		*d = NULL;
	struct config_err	 err;
	char			 hash[PASSWD_HASH_MAX], path[] =
				    "/tmp/test_auth_devXXXXXX";
	FILE			*fp;
	int			 fd;

	assert_int_equal(passwd_hash("right-pw", 8, PASSWD_MIN_ITER, hash,
	    sizeof(hash)), 0);
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(fp = fdopen(fd, "w"));
	fprintf(fp, "accept_unknown: %s\n"
	    "defaults:\n"
	    "  mps_username: mpsuser\n"
	    "  mps_password_hash: \"%s\"\n"
	    "devices:\n"
	    "  - {guid: 4c4c4544-0042-1000-8033-b6c04f504633, name: nuc-01}\n"
	    "  - {guid: 4c4c4544-0042-1000-8033-000000000002, name: nuc-02,"
	    " mps_username: other}\n", accept_unknown ? "true" : "false",
	    hash);
	fclose(fp);
	assert_int_equal(devices_load(path, &d, &err), 0);
	unlink(path);
	return d;
}

static enum auth_result
check(struct auth *a, struct devices *d, const char *guid, const char *user,
    const char *pw, int *cached)
{
	struct apf_str	u = apf_cstr(user), m = apf_cstr("password"),
			p = apf_cstr(pw);

	return auth_check(a, d, guid, &u, &m, &p, cached);
}

static void
test_verdicts(void **state)
{
	struct auth	 a;
	struct devices	*d = load_devices(0);
	struct apf_str	 u = apf_cstr("mpsuser"), m = apf_cstr("none"),
			 p = apf_cstr("right-pw");
	int		 cached;

	assert_int_equal(auth_init(&a, 64, 16, 10), 0);
	assert_int_equal(check(&a, d, "4c4c4544-0042-1000-8033-b6c04f504633",
	    "mpsuser", "right-pw", &cached), AUTH_OK);
	assert_int_equal(cached, 0);
	/* Second time from the cache: no PBKDF2. */
	assert_int_equal(check(&a, d, "4c4c4544-0042-1000-8033-b6c04f504633",
	    "mpsuser", "right-pw", &cached), AUTH_OK);
	assert_int_equal(cached, 1);
	assert_int_equal(check(&a, d, "4c4c4544-0042-1000-8033-b6c04f504633",
	    "mpsuser", "wrong-pw", &cached), AUTH_BAD_PASSWORD);
	assert_int_equal(check(&a, d, "4c4c4544-0042-1000-8033-b6c04f504633",
	    "MPSUSER", "right-pw", &cached), AUTH_BAD_USERNAME);
	assert_int_equal(check(&a, d, "4c4c4544-0042-1000-8033-b6c04f504633",
	    "mpsuse", "right-pw", &cached), AUTH_BAD_USERNAME);
	/* Per-device username overrides the default. */
	assert_int_equal(check(&a, d, "4c4c4544-0042-1000-8033-000000000002",
	    "mpsuser", "right-pw", &cached), AUTH_BAD_USERNAME);
	assert_int_equal(check(&a, d, "4c4c4544-0042-1000-8033-000000000002",
	    "other", "right-pw", &cached), AUTH_OK);
	assert_int_equal(check(&a, d, "11111111-2222-3333-4444-555555555555",
	    "mpsuser", "right-pw", &cached), AUTH_UNKNOWN_DEVICE);
	assert_int_equal(auth_check(&a, d,
	    "4c4c4544-0042-1000-8033-b6c04f504633", &u, &m, &p, &cached),
	    AUTH_BAD_METHOD);
	devices_free(d);

	d = load_devices(1);
	assert_int_equal(check(&a, d, "11111111-2222-3333-4444-555555555555",
	    "mpsuser", "right-pw", &cached), AUTH_OK);
	assert_int_equal(check(&a, d, "11111111-2222-3333-4444-555555555555",
	    "mpsuser", "wrong", &cached), AUTH_BAD_PASSWORD);
	devices_free(d);

	/* A table with no credentials at all refuses everyone. */
	d = devices_new_empty();
	d->accept_unknown = 1;
	assert_int_equal(check(&a, d, "11111111-2222-3333-4444-555555555555",
	    "mpsuser", "right-pw", &cached), AUTH_NO_CREDENTIALS);
	devices_free(d);
	auth_free(&a);
	assert_string_equal(auth_result_str(AUTH_BAD_PASSWORD), "bad password");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_hit_miss),
		cmocka_unit_test(test_cache_bounded),
		cmocka_unit_test(test_throttle_delay_growth),
		cmocka_unit_test(test_throttle_per_source),
		cmocka_unit_test(test_throttle_lru_bound),
		cmocka_unit_test(test_verdicts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
