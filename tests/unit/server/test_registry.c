/*
 * test_registry.c: GUID registry: newest wins, a replaced connection's
 * teardown never unregisters its successor, growth, selectors.
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

#include "server.h"

static void
node(struct reg_node *n, const char *guid)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->guid, sizeof(n->guid), "%s", guid);
}

#define G1 "4c4c4544-0042-1000-8033-b6c04f504633"
#define G2 "4c4c4544-0042-1000-8033-000000000002"
#define G3 "0053494d-0000-4000-8000-000000000003"

static void
test_newest_wins(void **state)
{
	struct registry	 r;
	struct reg_node	 old, new, other, *rep;

	assert_int_equal(registry_init(&r), 0);
	node(&old, G1);
	node(&new, G1);
	node(&other, G2);
	assert_int_equal(registry_insert(&r, &old, &rep), 0);
	assert_null(rep);
	assert_int_equal(registry_insert(&r, &other, &rep), 0);
	assert_null(rep);
	assert_ptr_equal(registry_find(&r, G1), &old);

	/* A newer connection for the same GUID takes over. */
	assert_int_equal(registry_insert(&r, &new, &rep), 0);
	assert_ptr_equal(rep, &old);
	assert_ptr_equal(registry_find(&r, G1), &new);
	assert_int_equal(r.n, 2);

	/* IMPS #441: the old connection's teardown must not clear it. */
	assert_int_equal(registry_remove(&r, &old), 0);
	assert_ptr_equal(registry_find(&r, G1), &new);
	assert_int_equal(r.n, 2);

	/* Re-registering the same node is harmless. */
	assert_int_equal(registry_insert(&r, &new, &rep), 0);
	assert_int_equal(r.n, 2);

	assert_int_equal(registry_remove(&r, &new), 1);
	assert_null(registry_find(&r, G1));
	assert_ptr_equal(registry_find(&r, G2), &other);
	assert_int_equal(registry_remove(&r, &new), 0);
	assert_int_equal(r.n, 1);
	registry_clear(&r);
}

static void
count_cb(struct reg_node *n, void *arg)
{
	(*(size_t *)arg)++;
}

static void
test_growth_20k(void **state)
{
	struct registry	 r;
	struct reg_node	*v, *rep;
	size_t		 i, n = 20000, seen = 0;

	assert_int_equal(registry_init(&r), 0);
	assert_non_null(v = calloc(n, sizeof(*v)));
	for (i = 0; i < n; i++) {
		snprintf(v[i].guid, sizeof(v[i].guid),
		    "0053494d-0000-4000-8000-%012zx", i);
		assert_int_equal(registry_insert(&r, &v[i], &rep), 0);
		assert_null(rep);
	}
	assert_int_equal(r.n, n);
	assert_true(r.nbuckets >= n);
	for (i = 0; i < n; i += 997)
		assert_ptr_equal(registry_find(&r, v[i].guid), &v[i]);
	registry_foreach(&r, count_cb, &seen);
	assert_int_equal(seen, n);
	for (i = 0; i < n; i += 2)
		assert_int_equal(registry_remove(&r, &v[i]), 1);
	assert_int_equal(r.n, n / 2);
	assert_null(registry_find(&r, v[0].guid));
	assert_ptr_equal(registry_find(&r, v[1].guid), &v[1]);
	registry_clear(&r);
	free(v);
}

static struct devices *
load_devices(void)
{
	struct devices		*d = NULL;
	struct config_err	 err;
	char			 path[] = "/tmp/test_reg_devXXXXXX";
	FILE			*fp;
	int			 fd;

	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(fp = fdopen(fd, "w"));
	fprintf(fp, "accept_unknown: false\n"
	    "defaults: {mps_username: u, mps_password_hash: "
	    "\"$pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA==$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}\n"
	    "devices:\n"
	    "  - {guid: " G1 ", name: nuc-01}\n"
	    "  - {guid: " G2 ", name: nuc-02}\n"
	    "  - {guid: 99999999-0000-0000-0000-000000000000, name: lab-a}\n");
	fclose(fp);
	if (devices_load(path, &d, &err) != 0)
		fail_msg("devices_load: %d:%d %s", err.line, err.col, err.msg);
	unlink(path);
	return d;
}

static void
test_resolve(void **state)
{
	struct registry		 r;
	struct reg_node		 n1, n3, *rep;
	struct reg_resolve	 res;
	struct devices		*d = load_devices();

	assert_int_equal(registry_init(&r), 0);
	node(&n1, G1);
	node(&n3, G3);
	registry_insert(&r, &n1, &rep);
	registry_insert(&r, &n3, &rep);

	/* Full GUID, any case. */
	assert_int_equal(registry_resolve(&r, d,
	    "4C4C4544-0042-1000-8033-B6C04F504633", &res), 0);
	assert_ptr_equal(res.node, &n1);
	assert_non_null(res.entry);
	/* Known but not connected. */
	assert_int_equal(registry_resolve(&r, d, G2, &res),
	    MPS_ERR_NOT_CONNECTED);
	assert_string_equal(res.guid, G2);
	assert_null(res.node);
	/* Friendly names. */
	assert_int_equal(registry_resolve(&r, d, "nuc-01", &res), 0);
	assert_ptr_equal(res.node, &n1);
	assert_int_equal(registry_resolve(&r, d, "nuc-02", &res),
	    MPS_ERR_NOT_CONNECTED);
	assert_int_equal(registry_resolve(&r, d, "lab-a", &res),
	    MPS_ERR_NOT_CONNECTED);
	assert_string_equal(res.guid, "99999999-0000-0000-0000-000000000000");
	/* Unique prefix among connected devices. */
	assert_int_equal(registry_resolve(&r, d, "0053494D", &res), 0);
	assert_ptr_equal(res.node, &n3);
	/* Prefix shared by a connected and a devices-file GUID. */
	assert_int_equal(registry_resolve(&r, d, "4c4c4544", &res),
	    MPS_ERR_AMBIGUOUS);
	assert_int_equal(res.nmatches, 2);
	assert_string_equal(res.matches[0], G2);	/* sorted */
	assert_string_equal(res.matches[1], G1);
	/* Dashes are part of the prefix. */
	assert_int_equal(registry_resolve(&r, d, "4c4c4544-0042-1000-8033-b",
	    &res), 0);
	assert_ptr_equal(res.node, &n1);
	/* Too short, not hex, no match. */
	assert_int_equal(registry_resolve(&r, d, "4c4", &res),
	    MPS_ERR_NOT_FOUND);
	assert_int_equal(registry_resolve(&r, d, "nuc", &res),
	    MPS_ERR_NOT_FOUND);
	assert_int_equal(registry_resolve(&r, d, "abcdef", &res),
	    MPS_ERR_NOT_FOUND);
	assert_int_equal(registry_resolve(&r, d, "", &res),
	    MPS_ERR_NOT_FOUND);
	/* Without a devices table only connected GUIDs count. */
	assert_int_equal(registry_resolve(&r, NULL, "4c4c", &res), 0);
	assert_ptr_equal(res.node, &n1);
	registry_clear(&r);
	devices_free(d);
}

static void
test_ambiguous_capped(void **state)
{
	struct registry		 r;
	struct reg_node		 v[40], *rep;
	struct reg_resolve	 res;
	int			 i;

	assert_int_equal(registry_init(&r), 0);
	for (i = 0; i < 40; i++) {
		memset(&v[i], 0, sizeof(v[i]));
		snprintf(v[i].guid, sizeof(v[i].guid),
		    "aaaa0000-0000-0000-0000-%012d", i);
		registry_insert(&r, &v[i], &rep);
	}
	assert_int_equal(registry_resolve(&r, NULL, "aaaa", &res),
	    MPS_ERR_AMBIGUOUS);
	assert_int_equal(res.nmatches, REG_MAX_MATCHES);
	assert_int_equal(res.nmatches_total, 40);
	registry_clear(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newest_wins),
		cmocka_unit_test(test_growth_20k),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_ambiguous_capped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
