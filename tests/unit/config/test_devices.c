/*
 * test_devices.c: devices.yaml loading, validation, lookups, inheritance.
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

#include "cfgtest.h"
#include "devices.h"
#include "mps_err.h"
#include "passwd.h"

/* Made by Python's hashlib.pbkdf2_hmac, an independent implementation. */
#define HASH_A "$pbkdf2-sha256$20000$ZUGhWtK6/IS9aGSV6jiDlw==$" \
	"hpsIZ7ps0V17HiMa5JRsNdqyNijCTdwAN1JffitUhgg="
#define HASH_B "$pbkdf2-sha256$20000$q/OnUkFSu+cyoKvz9J6onA==$" \
	"e2IdYbYkXeGA2HBcf1oK2YVPHp07BaoF/TwXOqwDBEk="

#define GUID1	"4c4c4544-0042-1000-8033-b6c04f504633"
#define GUID2	"4c4c4544-0042-1000-8033-b6c04f504634"

static const char contract_yaml[] =
    "# devices.yaml\n"
    "accept_unknown: true\n"
    "defaults:\n"
    "  mps_username: mpsuser\n"
    "  mps_password_hash: \"" HASH_A "\"\n"
    "  amt_username: admin\n"
    "  amt_password: \"P@ssw0rd\"\n"
    "devices:\n"
    "  - {guid: " GUID1 ", name: nuc-01, tags: [lab]}\n";

static struct devices *
load_ok(const char *yaml)
{
	struct devices *d = NULL;
	struct config_err err;
	char buf[700];

	if (devices_load_buffer(yaml, strlen(yaml), "devices.yaml", &d,
	    &err) != 0) {
		config_err_format(&err, buf, sizeof buf);
		print_error("unexpected error: %s\n", buf);
		fail();
	}
	assert_non_null(d);
	return d;
}

static void
expect_err(const char *yaml, int line, int col, const char *needle)
{
	struct devices *d = (struct devices *)&d;
	struct config_err err;
	char buf[700];
	int rc;

	rc = devices_load_buffer(yaml, strlen(yaml), "devices.yaml", &d, &err);
	config_err_format(&err, buf, sizeof buf);
	if (rc != MPS_ERR_CONFIG || err.line != line || err.col != col ||
	    strstr(err.msg, needle) == NULL) {
		print_error("rc %d, got \"%s\", want %d:%d \"%s\"\n", rc, buf,
		    line, col, needle);
		fail();
	}
	assert_null(d);
}

static void
test_contract_file(void **state)
{
	struct devices *d = load_ok(contract_yaml);
	const struct device_entry *e;

	(void)state;
	assert_true(d->accept_unknown);
	assert_int_equal(d->n, 1);
	e = devices_find(d, GUID1);
	assert_non_null(e);
	assert_string_equal(e->guid, GUID1);
	assert_string_equal(e->name, "nuc-01");
	assert_int_equal(e->ntags, 1);
	assert_true(devices_has_tag(e, "lab"));
	assert_false(devices_has_tag(e, "rack"));
	assert_int_equal(e->line, 9);
	/* Everything comes from defaults. */
	assert_null(e->mps_username);
	assert_string_equal(devices_mps_username(d, e), "mpsuser");
	assert_string_equal(devices_mps_password_hash(d, e), HASH_A);
	assert_string_equal(devices_amt_username(d, e), "admin");
	assert_string_equal(devices_amt_password(d, e), "P@ssw0rd");
	/* The stored hash verifies the password it was made from. */
	assert_int_equal(passwd_verify("Passw0rdMPS", 11,
	    devices_mps_password_hash(d, e)), 1);
	assert_ptr_equal(devices_find_name(d, "nuc-01"), e);
	assert_null(devices_find_name(d, "nuc-02"));
	devices_free(d);
}

static void
test_unknown_device(void **state)
{
	struct devices *d = load_ok(contract_yaml);

	(void)state;
	assert_null(devices_find(d, GUID2));
	assert_null(devices_find(d, "not-a-guid"));
	assert_null(devices_find(d, NULL));
	/* An unknown device gets the shared credentials and no tags. */
	assert_string_equal(devices_mps_username(d, NULL), "mpsuser");
	assert_string_equal(devices_mps_password_hash(d, NULL), HASH_A);
	assert_string_equal(devices_amt_password(d, NULL), "P@ssw0rd");
	assert_false(devices_has_tag(NULL, "lab"));
	devices_free(d);
}

static void
test_empty_table(void **state)
{
	struct devices *d = devices_new_empty();

	(void)state;
	assert_non_null(d);
	assert_false(d->accept_unknown);
	assert_int_equal(d->n, 0);
	assert_null(devices_find(d, GUID1));
	assert_null(devices_find_name(d, "x"));
	assert_null(devices_mps_username(d, NULL));
	assert_null(devices_amt_password(d, NULL));
	devices_free(d);
	devices_free(NULL);
	d = load_ok("# only a comment\n");
	assert_false(d->accept_unknown);
	assert_int_equal(d->n, 0);
	devices_free(d);
	d = load_ok("devices: []\n");
	assert_int_equal(d->n, 0);
	devices_free(d);
}

static void
test_accept_unknown_policy(void **state)
{
	struct devices *d;

	(void)state;
	d = load_ok("defaults: {mps_username: u1, mps_password_hash: \""
	    HASH_A "\"}\n");
	assert_false(d->accept_unknown);	/* the default is closed */
	devices_free(d);
	d = load_ok("accept_unknown: false\n");
	assert_false(d->accept_unknown);
	devices_free(d);
	expect_err("accept_unknown: maybe\n", 1, 17,
	    "accept_unknown must be true or false");
	expect_err("accept_unknown: true\n", 1, 17,
	    "accept_unknown needs defaults.mps_username and "
	    "defaults.mps_password_hash");
	expect_err("accept_unknown: true\ndefaults: {mps_username: a}\n", 1,
	    17, "accept_unknown needs");
}

static void
test_overrides(void **state)
{
	struct devices *d;
	const struct device_entry *e;

	(void)state;
	d = load_ok(
	    "defaults:\n"
	    "  mps_username: shared\n"
	    "  mps_password_hash: \"" HASH_A "\"\n"
	    "  amt_username: admin\n"
	    "devices:\n"
	    "  - guid: " GUID1 "\n"
	    "    mps_username: own01\n"
	    "    mps_password_hash: \"" HASH_B "\"\n"
	    "    amt_username: root\n"
	    "    amt_password: secret1\n"
	    "  - guid: " GUID2 "\n"
	    "    amt_password: secret2\n");
	e = devices_find(d, GUID1);
	assert_non_null(e);
	assert_string_equal(devices_mps_username(d, e), "own01");
	assert_string_equal(devices_mps_password_hash(d, e), HASH_B);
	assert_string_equal(devices_amt_username(d, e), "root");
	assert_string_equal(devices_amt_password(d, e), "secret1");
	e = devices_find(d, GUID2);
	assert_non_null(e);
	assert_null(e->name);
	assert_string_equal(devices_mps_username(d, e), "shared");
	assert_string_equal(devices_amt_username(d, e), "admin");
	assert_string_equal(devices_amt_password(d, e), "secret2");
	/* Nowhere set: NULL, the daemon then reports missing credentials. */
	assert_null(devices_amt_password(d, NULL));
	devices_free(d);
}

static void
test_guid_canonical(void **state)
{
	char out[DEVICES_GUID_LEN + 1];
	struct devices *d;
	const struct device_entry *e;

	(void)state;
	assert_int_equal(devices_guid_canon("4C4C4544-0042-1000-8033-"
	    "B6C04F504633", out), 0);
	assert_string_equal(out, GUID1);
	assert_int_equal(devices_guid_canon(GUID1 "0", out), MPS_ERR_INVALID);
	assert_int_equal(devices_guid_canon("4c4c4544-0042-1000-8033-"
	    "b6c04f50463", out), MPS_ERR_INVALID);
	assert_int_equal(devices_guid_canon("4c4c4544+0042-1000-8033-"
	    "b6c04f504633", out), MPS_ERR_INVALID);
	assert_int_equal(devices_guid_canon("4c4c4544-0042-1000-8033-"
	    "b6c04f50463g", out), MPS_ERR_INVALID);
	assert_int_equal(devices_guid_canon(NULL, out), MPS_ERR_INVALID);

	d = load_ok("defaults: {mps_username: u, mps_password_hash: \""
	    HASH_A "\"}\n"
	    "devices:\n"
	    "  - guid: 4C4C4544-0042-1000-8033-B6C04F504634\n"
	    "  - guid: \"03000200-0400-0500-0006-000700080009\"\n");
	assert_int_equal(d->n, 2);
	/* Sorted by canonical GUID, stored lowercase, found in any case. */
	assert_string_equal(d->v[0].guid,
	    "03000200-0400-0500-0006-000700080009");
	assert_string_equal(d->v[1].guid, GUID2);
	e = devices_find(d, "4c4c4544-0042-1000-8033-B6C04F504634");
	assert_ptr_equal(e, &d->v[1]);
	devices_free(d);

	expect_err("devices:\n  - {guid: 4c4c4544-0042-1000-8033}\n", 2, 12,
	    "devices[0].guid \"4c4c4544-0042-1000-8033\" is not a GUID");
	expect_err("devices:\n  - {name: x1}\n", 2, 5,
	    "devices[0].guid is required");
	expect_err("devices:\n  - {guid: [1]}\n", 2, 12,
	    "devices[0].guid must be a string, not a list");
}

static void
test_duplicates(void **state)
{
	(void)state;
	/* The same GUID in another case is the same device. */
	expect_err(
	    "defaults: {mps_username: u, mps_password_hash: \"" HASH_A "\"}\n"
	    "devices:\n"
	    "  - {guid: " GUID1 "}\n"
	    "  - {guid: " GUID2 "}\n"
	    "  - {guid: 4C4C4544-0042-1000-8033-B6C04F504633}\n", 5, 5,
	    "devices[2]: guid " GUID1 " is already used by devices[0] "
	    "(line 3)");
	expect_err(
	    "defaults: {mps_username: u, mps_password_hash: \"" HASH_A "\"}\n"
	    "devices:\n"
	    "  - {guid: " GUID2 ", name: nuc}\n"
	    "  - {guid: " GUID1 ", name: nuc}\n", 4, 5,
	    "name \"nuc\" is already used by " GUID2 " (line 3)");
	expect_err("devices:\n  - {guid: " GUID1 ", guid: " GUID2 "}\n", 2,
	    50, "duplicate key devices[0].guid");
}

static void
test_plaintext_rejected(void **state)
{
	(void)state;
	expect_err("defaults:\n  mps_username: u\n  mps_password: secret\n",
	    3, 3, "plaintext MPS passwords are not accepted");
	expect_err("defaults:\n  mps_password: secret\n", 2, 3,
	    "amt-mps-cli hash-password");
	expect_err("devices:\n  - guid: " GUID1 "\n    mps_password: x\n", 3,
	    5, "devices[0].mps_password: plaintext");
}

static void
test_bad_hash(void **state)
{
	(void)state;
	expect_err("defaults:\n  mps_password_hash: secret\n", 2, 22,
	    "defaults.mps_password_hash is not a hash made by amt-mps-cli "
	    "hash-password");
	expect_err("defaults:\n  mps_password_hash: "
	    "\"$pbkdf2-sha256$20000$ZUGhWtK6/IS9aGSV6jiDlw==$AAAA\"\n", 2, 22,
	    "is not a hash");
	expect_err("devices:\n  - {guid: " GUID1 ", mps_password_hash: "
	    "\"$pbkdf2-sha256$100$ZUGhWtK6/IS9aGSV6jiDlw==$"
	    "hpsIZ7ps0V17HiMa5JRsNdqyNijCTdwAN1JffitUhgg=\"}\n", 2, 69,
	    "devices[0].mps_password_hash is not a hash");
}

static void
test_usernames(void **state)
{
	struct devices *d;

	(void)state;
	d = load_ok("defaults: {mps_username: Abcdefgh12345678, "
	    "mps_password_hash: \"" HASH_A "\"}\n");
	assert_string_equal(d->defaults.mps_username, "Abcdefgh12345678");
	devices_free(d);
	expect_err("defaults: {mps_username: Abcdefgh123456789}\n", 1, 26,
	    "defaults.mps_username \"Abcdefgh123456789\" must be 1 to 16 "
	    "letters and digits");
	expect_err("defaults: {mps_username: mps-user}\n", 1, 26,
	    "must be 1 to 16 letters and digits");
	expect_err("defaults: {mps_username: \"\"}\n", 1, 26,
	    "defaults.mps_username must not be empty");
	expect_err("defaults: {amt_username: [a]}\n", 1, 26,
	    "defaults.amt_username must be a string");
	expect_err("defaults: {guid: " GUID1 "}\n", 1, 12,
	    "unknown key defaults.guid");
}

static void
test_names_and_tags(void **state)
{
	struct devices *d;
	const struct device_entry *e;

	(void)state;
	d = load_ok("defaults: {mps_username: u, mps_password_hash: \""
	    HASH_A "\"}\n"
	    "devices:\n"
	    "  - guid: " GUID1 "\n"
	    "    name: rack2.node_07\n"
	    "    tags: [lab, rack-2, gpu]\n"
	    "  - guid: " GUID2 "\n"
	    "    name: alpha\n"
	    "    tags: []\n");
	e = devices_find_name(d, "rack2.node_07");
	assert_non_null(e);
	assert_string_equal(e->guid, GUID1);
	assert_int_equal(e->ntags, 3);
	assert_true(devices_has_tag(e, "rack-2"));
	assert_true(devices_has_tag(e, "gpu"));
	assert_false(devices_has_tag(e, "Lab"));
	e = devices_find_name(d, "alpha");
	assert_non_null(e);
	assert_int_equal(e->ntags, 0);
	assert_int_equal(d->nnamed, 2);
	devices_free(d);

	expect_err("devices:\n  - {guid: " GUID1 ", name: \"my pc\"}\n", 2,
	    56, "devices[0].name \"my pc\" may only hold letters");
	expect_err("devices:\n  - {guid: " GUID1 ", name: cafe-01}\n", 2, 56,
	    "would read as a GUID prefix");
	expect_err("devices:\n  - {guid: " GUID1 ", tags: [a, b, a]}\n", 2,
	    63, "tag \"a\" is listed twice");
	expect_err("devices:\n  - {guid: " GUID1 ", tags: lab}\n", 2, 56,
	    "devices[0].tags must be a list");
	expect_err("devices:\n  - {guid: " GUID1 ", tags: [\"a b\"]}\n", 2,
	    57, "tag \"a b\" may only hold");
	expect_err("devices:\n  - {guid: " GUID1 ", tags: [a,b,c,d,e,f,g,h,i,"
	    "j,k,l,m,n,o,p,q]}\n", 2, 56, "has 17 tags; at most 16");
	expect_err("devices:\n  - {guid: " GUID1 ", colour: red}\n", 2, 50,
	    "unknown key devices[0].colour");
}

static void
test_missing_credentials(void **state)
{
	(void)state;
	expect_err("devices:\n  - {guid: " GUID1 ", name: node1}\n", 2, 5,
	    "device " GUID1 " has no mps_username");
	expect_err("defaults: {mps_username: u}\ndevices:\n  - {guid: " GUID1
	    "}\n", 3, 5, "has no mps_password_hash");
}

static void
test_structure_errors(void **state)
{
	(void)state;
	expect_err("- " GUID1 "\n", 1, 1, "the devices file must be a "
	    "mapping");
	expect_err("devices: {guid: " GUID1 "}\n", 1, 10,
	    "devices must be a list");
	expect_err("devices:\n  - " GUID1 "\n", 2, 5,
	    "devices[0] must be a mapping");
	expect_err("hosts: []\n", 1, 1, "unknown key hosts (known: "
	    "accept_unknown, defaults, devices)");
	expect_err("defaults: &d {mps_username: a}\n", 1, 11, "anchors");
}

static void
test_example_file(void **state)
{
	struct devices *d = NULL;
	struct config_err err;
	const struct device_entry *e;
	char buf[700];

	(void)state;
	if (devices_load(MPS_SOURCE_DIR "/config/devices.yaml.example", &d,
	    &err) != 0) {
		config_err_format(&err, buf, sizeof buf);
		print_error("%s\n", buf);
		fail();
	}
	assert_non_null(d->path);
	assert_true(d->accept_unknown);
	assert_int_equal(d->n, 3);
	e = devices_find(d, GUID2);
	assert_non_null(e);
	assert_string_equal(e->name, "nuc-02");
	assert_string_equal(devices_amt_password(d, e), "Other-AMT-Passw0rd");
	e = devices_find_name(d, "branch-office-pc");
	assert_non_null(e);
	assert_string_equal(devices_mps_username(d, e), "branch01");
	assert_int_equal(passwd_verify("Lab2Passw0rd", 12,
	    devices_mps_password_hash(d, e)), 1);
	assert_int_equal(passwd_verify("Passw0rdMPS", 11,
	    d->defaults.mps_password_hash), 1);
	devices_free(d);
}

static void
test_load_file_errors(void **state)
{
	struct cfgtest_dir dir;
	struct devices *d = NULL;
	struct config_err err;
	char buf[700];
	const char *p;

	(void)state;
	cfgtest_dir_init(&dir);
	p = cfgtest_write(&dir, "devices.yaml", "devices:\n  - {guid: nope}\n");
	assert_int_equal(devices_load(p, &d, &err), MPS_ERR_CONFIG);
	config_err_format(&err, buf, sizeof buf);
	assert_true(strncmp(buf, p, strlen(p)) == 0);
	assert_true(cfgtest_contains(buf, "devices.yaml:2:12: devices[0].guid "
	    "\"nope\" is not a GUID"));
	snprintf(buf, sizeof buf, "%s/none.yaml", dir.path);
	assert_int_equal(devices_load(buf, &d, &err), MPS_ERR_CONFIG);
	assert_true(cfgtest_contains(err.msg, "cannot open"));
	assert_null(d);
	cfgtest_dir_cleanup(&dir);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* 20,000 devices: loads in well under a second, lookups by bsearch. */
static void
test_twenty_thousand(void **state)
{
	enum { N = 20000 };
	struct cfgtest_dir dir;
	struct devices *d = NULL;
	struct config_err err;
	const struct device_entry *e;
	char guid[40], name[32], buf[700];
	size_t cap = (size_t)N * 200 + 1024, len = 0;
	char *text = malloc(cap);
	double t0, t1, t2;
	const char *p;
	unsigned i;

	(void)state;
	assert_non_null(text);
	len += (size_t)snprintf(text + len, cap - len,
	    "accept_unknown: false\ndefaults:\n  mps_username: fleet\n"
	    "  mps_password_hash: \"%s\"\n  amt_username: admin\n"
	    "  amt_password: \"Fleet-AMT-1\"\ndevices:\n", HASH_A);
	/* Reverse order, mixed case: the loader must sort and fold. */
	for (i = N; i > 0; i--)
		len += (size_t)snprintf(text + len, cap - len,
		    "  - {guid: %08X-0000-4000-8000-%012x, name: node-%u, "
		    "tags: [t%u, fleet]}\n", i * 2654435761u, i, i, i % 7);
	cfgtest_dir_init(&dir);
	p = cfgtest_write_len(&dir, "devices.yaml", text, len);
	free(text);
	t0 = now_ms();
	if (devices_load(p, &d, &err) != 0) {
		config_err_format(&err, buf, sizeof buf);
		print_error("%s\n", buf);
		fail();
	}
	t1 = now_ms();
	assert_int_equal(d->n, N);
	for (i = 1; i < N; i++)
		assert_true(strcmp(d->v[i - 1].guid, d->v[i].guid) < 0);
	for (i = 1; i <= N; i++) {
		snprintf(guid, sizeof guid, "%08x-0000-4000-8000-%012x",
		    i * 2654435761u, i);
		e = devices_find(d, guid);
		assert_non_null(e);
		snprintf(name, sizeof name, "node-%u", i);
		assert_string_equal(e->name, name);
		assert_ptr_equal(devices_find_name(d, name), e);
	}
	t2 = now_ms();
	assert_null(devices_find(d, "ffffffff-0000-4000-8000-000000000000"));
	print_message("20000 devices: file %zu bytes, load %.1f ms, "
	    "40000 lookups %.1f ms\n", len, t1 - t0, t2 - t1);
	devices_free(d);
	cfgtest_dir_cleanup(&dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contract_file),
		cmocka_unit_test(test_unknown_device),
		cmocka_unit_test(test_empty_table),
		cmocka_unit_test(test_accept_unknown_policy),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_guid_canonical),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_plaintext_rejected),
		cmocka_unit_test(test_bad_hash),
		cmocka_unit_test(test_usernames),
		cmocka_unit_test(test_names_and_tags),
		cmocka_unit_test(test_missing_credentials),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_load_file_errors),
		cmocka_unit_test(test_twenty_thousand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
