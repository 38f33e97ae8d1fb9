/*
 * test_config.c: amt-mps.yaml loading, validation, positions and dump.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfgtest.h"
#include "config.h"
#include "mps_err.h"

static const char full_yaml[] =
    "listen:\n"
    "  - {address: 127.0.0.1, port: 4433}\n"
    "  - address: \"::1\"\n"
    "    port: 14433\n"
    "state_dir: state\n"
    "tls:\n"
    "  certificate: certs/server.crt\n"
    "  key: /etc/amt-mps/server.key\n"
    "  client_ca: ./ca.pem\n"
    "  require_client_cert: true\n"
    "  min_version: \"1.0\"\n"
    "  ciphers: \"HIGH:!aNULL\"\n"
    "  ciphersuites: TLS_AES_128_GCM_SHA256\n"
    "  profile: legacy\n"
    "control:\n"
    "  socket: run/ctl.sock\n"
    "  mode: \"0600\"\n"
    "  max_clients: 5\n"
    "  max_line: 4096\n"
    "devices_file: devices.yaml\n"
    "keepalive:\n"
    "  interval: 20\n"
    "  timeout: 45\n"
    "limits:\n"
    "  max_devices: 100\n"
    "  max_unauthenticated: 50\n"
    "  auth_timeout: 10\n"
    "  channels_per_device: 4\n"
    "  buffer_per_device: 262144\n"
    "  max_message: 32768\n"
    "  window: 131072\n"
    "  request_timeout: 60\n"
    "  power_cooldown: 0\n"
    "  fd_reserve: 16\n"
    "  auth_failures_per_minute: 5\n"
    "  handshakes_in_flight: 64\n"
    "log:\n"
    "  level: debug\n"
    "  format: json\n";

static int
setup(void **state)
{
	struct cfgtest_dir *d = calloc(1, sizeof *d);

	if (d == NULL)
		return -1;
	cfgtest_dir_init(d);
	*state = d;
	return 0;
}

static int
teardown(void **state)
{
	struct cfgtest_dir *d = *state;

	cfgtest_dir_cleanup(d);
	free(d);
	return 0;
}

static struct mps_config *
load_ok(struct cfgtest_dir *d, const char *yaml)
{
	struct mps_config *c = NULL;
	struct config_err err;
	char buf[700];
	const char *p = cfgtest_write(d, "amt-mps.yaml", yaml);

	if (config_load(p, &c, &err) != 0) {
		config_err_format(&err, buf, sizeof buf);
		print_error("unexpected error: %s\n", buf);
		fail();
	}
	assert_non_null(c);
	return c;
}

/* Loads yaml (as "amt-mps.yaml") and expects an error at line:col. */
static void
expect_err(const char *yaml, int line, int col, const char *needle)
{
	struct mps_config *c = (struct mps_config *)&c;
	struct config_err err;
	char buf[700];
	int rc;

	rc = config_load_buffer(yaml, strlen(yaml), "amt-mps.yaml", "/etc",
	    &c, &err);
	config_err_format(&err, buf, sizeof buf);
	if (rc != MPS_ERR_CONFIG || err.line != line || err.col != col ||
	    strstr(err.msg, needle) == NULL) {
		print_error("rc %d, got \"%s\", want %d:%d \"%s\"\n", rc, buf,
		    line, col, needle);
		fail();
	}
	assert_null(c);
	assert_string_equal(err.file, "amt-mps.yaml");
}

static char *
path_in(const struct cfgtest_dir *d, const char *rel)
{
	static char buf[600];

	snprintf(buf, sizeof buf, "%s/%s", d->path, rel);
	return buf;
}

static void
test_defaults(void **state)
{
	struct mps_config *c = config_new_defaults();
	char cwd[PATH_MAX], want[PATH_MAX + 64];

	(void)state;
	assert_non_null(c);
	assert_null(c->path);
	assert_int_equal(c->nlisten, 1);
	assert_string_equal(c->listen[0].address, "0.0.0.0");
	assert_int_equal(c->listen[0].port, 4433);
	assert_non_null(getcwd(cwd, sizeof cwd));
	snprintf(want, sizeof want, "%s/amt-mps-state", cwd);
	assert_string_equal(c->state_dir, want);
	snprintf(want, sizeof want, "%s/amt-mps-state/control.sock", cwd);
	assert_string_equal(c->control.socket, want);
	assert_null(c->tls.certificate);
	assert_null(c->tls.key);
	assert_null(c->tls.client_ca);
	assert_null(c->devices_file);
	assert_string_equal(c->tls.min_version, "1.2");
	assert_int_equal(c->tls.profile, CONFIG_TLS_MODERN);
	assert_int_equal(c->control.mode, 0660);
	assert_int_equal(c->control.max_clients, 64);
	assert_int_equal(c->control.max_line, 65536);
	assert_int_equal(c->keepalive.interval, 30);
	assert_int_equal(c->keepalive.timeout, 90);
	assert_int_equal(c->limits.max_devices, 20000);
	assert_int_equal(c->limits.max_unauthenticated, 1000);
	assert_int_equal(c->limits.auth_timeout, 30);
	assert_int_equal(c->limits.channels_per_device, 8);
	assert_int_equal(c->limits.buffer_per_device, 1024 * 1024);
	assert_int_equal(c->limits.max_message, 64 * 1024);
	assert_int_equal(c->limits.window, 64 * 1024);
	assert_int_equal(c->limits.request_timeout, 30);
	assert_int_equal(c->limits.power_cooldown, 10);
	assert_int_equal(c->limits.fd_reserve, 32);
	assert_int_equal(c->limits.auth_failures_per_minute, 10);
	assert_int_equal(c->limits.handshakes_in_flight, 256);
	assert_int_equal(c->log.level, CONFIG_LOG_INFO);
	assert_int_equal(c->log.format, CONFIG_LOG_TEXT);
	assert_int_equal(c->forward.allow_non_loopback, 0);
	assert_int_equal(c->forward.per_device, 16);
	assert_int_equal(c->forward.connections, 64);
	assert_int_equal(c->nforwards, 0);
	assert_null(c->forwards);
	config_free(c);
	config_free(NULL);
}

/* The minimal file of the design brief, key for key. */
static void
test_contract_minimal(void **state)
{
	struct cfgtest_dir *d = *state;
	struct mps_config *c;
	char want[600];

	c = load_ok(d,
	    "# amt-mps.yaml\n"
	    "listen: [{address: 0.0.0.0, port: 4433}]\n"
	    "tls: {certificate: server.crt, key: server.key}\n"
	    "control: {socket: /run/amt-mps/control.sock}\n"
	    "devices_file: devices.yaml\n"
	    "keepalive: {interval: 30, timeout: 90}\n"
	    "log: {level: info}\n");
	snprintf(want, sizeof want, "%s/amt-mps.yaml", d->path);
	assert_string_equal(c->path, want);
	assert_int_equal(c->nlisten, 1);
	assert_string_equal(c->listen[0].address, "0.0.0.0");
	assert_int_equal(c->listen[0].port, 4433);
	assert_string_equal(c->tls.certificate, path_in(d, "server.crt"));
	assert_string_equal(c->tls.key, path_in(d, "server.key"));
	assert_string_equal(c->control.socket, "/run/amt-mps/control.sock");
	assert_string_equal(c->devices_file, path_in(d, "devices.yaml"));
	assert_int_equal(c->keepalive.interval, 30);
	assert_int_equal(c->keepalive.timeout, 90);
	assert_int_equal(c->log.level, CONFIG_LOG_INFO);
	assert_string_equal(c->state_dir, CONFIG_FILE_STATE_DIR);
	config_free(c);
}

static void
test_every_key(void **state)
{
	struct cfgtest_dir *d = *state;
	struct mps_config *c = load_ok(d, full_yaml);

	assert_int_equal(c->nlisten, 2);
	assert_string_equal(c->listen[0].address, "127.0.0.1");
	assert_int_equal(c->listen[0].port, 4433);
	assert_string_equal(c->listen[1].address, "::1");
	assert_int_equal(c->listen[1].port, 14433);
	assert_string_equal(c->state_dir, path_in(d, "state"));
	assert_string_equal(c->tls.certificate, path_in(d, "certs/server.crt"));
	assert_string_equal(c->tls.key, "/etc/amt-mps/server.key");
	assert_string_equal(c->tls.client_ca, path_in(d, "ca.pem"));
	assert_int_equal(c->tls.require_client_cert, 1);
	assert_string_equal(c->tls.min_version, "1.0");
	assert_string_equal(c->tls.ciphers, "HIGH:!aNULL");
	assert_string_equal(c->tls.ciphersuites, "TLS_AES_128_GCM_SHA256");
	assert_int_equal(c->tls.profile, CONFIG_TLS_LEGACY);
	assert_string_equal(c->control.socket, path_in(d, "run/ctl.sock"));
	assert_int_equal(c->control.mode, 0600);
	assert_int_equal(c->control.max_clients, 5);
	assert_int_equal(c->control.max_line, 4096);
	assert_string_equal(c->devices_file, path_in(d, "devices.yaml"));
	assert_int_equal(c->keepalive.interval, 20);
	assert_int_equal(c->keepalive.timeout, 45);
	assert_int_equal(c->limits.max_devices, 100);
	assert_int_equal(c->limits.max_unauthenticated, 50);
	assert_int_equal(c->limits.auth_timeout, 10);
	assert_int_equal(c->limits.channels_per_device, 4);
	assert_int_equal(c->limits.buffer_per_device, 262144);
	assert_int_equal(c->limits.max_message, 32768);
	assert_int_equal(c->limits.window, 131072);
	assert_int_equal(c->limits.request_timeout, 60);
	assert_int_equal(c->limits.power_cooldown, 0);
	assert_int_equal(c->limits.fd_reserve, 16);
	assert_int_equal(c->limits.auth_failures_per_minute, 5);
	assert_int_equal(c->limits.handshakes_in_flight, 64);
	assert_int_equal(c->log.level, CONFIG_LOG_DEBUG);
	assert_int_equal(c->log.format, CONFIG_LOG_JSON);
	assert_string_equal(config_tls_profile_name(c->tls.profile), "legacy");
	assert_string_equal(config_log_level_name(c->log.level), "debug");
	assert_string_equal(config_log_format_name(c->log.format), "json");
	config_free(c);
}

/* A file that sets nothing gets the file-mode defaults. */
static void
test_empty_file(void **state)
{
	struct cfgtest_dir *d = *state;
	struct mps_config *c = load_ok(d, "# nothing here\n");

	assert_string_equal(c->state_dir, CONFIG_FILE_STATE_DIR);
	assert_string_equal(c->control.socket, CONFIG_FILE_SOCKET);
	assert_int_equal(c->nlisten, 1);
	assert_int_equal(c->listen[0].port, 4433);
	assert_null(c->devices_file);
	assert_null(c->tls.certificate);
	config_free(c);
	c = load_ok(d, "");
	assert_int_equal(c->keepalive.timeout, 90);
	config_free(c);
}

static void
test_unknown_keys(void **state)
{
	(void)state;
	expect_err("log: {level: info}\nlisne: []\n", 2, 1,
	    "unknown key lisne");
	expect_err("tls:\n  certificate: a\n  certfile: b\n", 3, 3,
	    "unknown key tls.certfile");
	expect_err("limits:\n  max_device: 3\n", 2, 3,
	    "unknown key limits.max_device (known: max_devices,");
	expect_err("listen:\n  - {address: 0.0.0.0, prot: 1}\n", 2, 24,
	    "unknown key listen[0].prot");
	expect_err("keepalive: {interval: 30, every: 5}\n", 1, 27,
	    "unknown key keepalive.every");
}

static void
test_duplicate_keys(void **state)
{
	(void)state;
	expect_err("log: {level: info}\nstate_dir: /a\nlog: {}\n", 3, 1,
	    "duplicate key log");
	expect_err("control:\n  mode: \"0600\"\n  mode: \"0660\"\n", 3, 3,
	    "duplicate key control.mode");
}

static void
test_wrong_types(void **state)
{
	(void)state;
	expect_err("listen: {address: 0.0.0.0, port: 4433}\n", 1, 9,
	    "listen must be a list, not a mapping");
	expect_err("listen:\n  - {port: abc}\n", 2, 12,
	    "listen[0].port must be a non-negative decimal integer");
	expect_err("listen:\n  - {port: \"4433\"}\n", 2, 12,
	    "must be an integer, not a quoted string");
	expect_err("keepalive: 30\n", 1, 12,
	    "keepalive must be a mapping");
	expect_err("tls: {require_client_cert: maybe}\n", 1, 28,
	    "tls.require_client_cert must be true or false");
	expect_err("state_dir: [a, b]\n", 1, 12,
	    "state_dir must be a string, not a list");
	expect_err("state_dir:\n", 1, 11, "state_dir must be a string, "
	    "not empty");
	expect_err("log: {level: loud}\n", 1, 14,
	    "log.level must be one of error, warn, info, debug");
	expect_err("log: {format: xml}\n", 1, 15,
	    "log.format must be one of text, json");
	expect_err("tls: {profile: old}\n", 1, 16,
	    "tls.profile must be one of modern, legacy");
	expect_err("- a\n- b\n", 1, 1, "must be a mapping of keys");
	expect_err("{[a]: 1}\n", 1, 2, "keys in the top level must be "
	    "plain names");
	expect_err("limits: {max_devices: -5}\n", 1, 23,
	    "non-negative decimal integer");
}

static void
test_bounds(void **state)
{
	(void)state;
	expect_err("listen: [{port: 0}]\n", 1, 17,
	    "listen[0].port must be between 1 and 65535, not 0");
	expect_err("listen: [{port: 65536}]\n", 1, 17, "between 1 and 65535");
	expect_err("listen: [{port: 99999999999999999999999}]\n", 1, 17,
	    "between 1 and 65535");
	expect_err("limits:\n  channels_per_device: 0\n", 2, 24,
	    "limits.channels_per_device must be between 1 and 64");
	expect_err("limits:\n  max_message: 2097152\n", 2, 16,
	    "limits.max_message must be between 1024 and 1048576");
	expect_err("control: {max_line: 10}\n", 1, 21,
	    "control.max_line must be between 1024");
	expect_err("keepalive: {interval: 1}\n", 1, 23,
	    "keepalive.interval must be between 5 and 3600");
	expect_err("listen: []\n", 1, 9, "listen must have 1 to 8 entries");
	expect_err("listen: [{port: 1}, {port: 2}, {port: 3}, {port: 4}, "
	    "{port: 5}, {port: 6}, {port: 7}, {port: 8}, {port: 9}]\n", 1, 9,
	    "not 9");
}

/* The message quoted in the task, byte for byte with its position. */
static void
test_keepalive_cross_check(void **state)
{
	struct cfgtest_dir *d = *state;
	const char *yaml =
	    "# amt-mps.yaml\n"
	    "listen: [{address: 0.0.0.0, port: 4433}]\n"
	    "log: {level: info}\n"
	    "\n"
	    "keepalive:\n"
	    "  interval: 30\n"
	    "  timeout: 50\n";
	struct mps_config *c = NULL;
	struct config_err err;
	char buf[600];

	assert_int_equal(config_load_buffer(yaml, strlen(yaml),
	    "amt-mps.yaml", "/", &c, &err), MPS_ERR_CONFIG);
	assert_null(c);
	config_err_format(&err, buf, sizeof buf);
	assert_string_equal(buf, "amt-mps.yaml:7:12: keepalive.timeout must "
	    "be at least 2 * keepalive.interval (60)");
	/* Exactly 2x is fine; the interval alone sets timeout to 3x. */
	c = load_ok(d, "keepalive: {interval: 30, timeout: 60}\n");
	assert_int_equal(c->keepalive.timeout, 60);
	config_free(c);
	c = load_ok(d, "keepalive: {interval: 100}\n");
	assert_int_equal(c->keepalive.interval, 100);
	assert_int_equal(c->keepalive.timeout, 300);
	config_free(c);
	expect_err("keepalive: {timeout: 50}\n", 1, 22,
	    "at least 2 * keepalive.interval (60)");
}

static void
test_tls_rules(void **state)
{
	struct cfgtest_dir *d = *state;
	struct mps_config *c;

	expect_err("tls:\n  certificate: a.crt\n", 2, 16,
	    "tls.certificate is set but tls.key is not");
	expect_err("tls: {key: a.key}\n", 1, 12,
	    "tls.key is set but tls.certificate is not");
	expect_err("tls: {require_client_cert: true}\n", 1, 28,
	    "tls.require_client_cert needs tls.client_ca");
	expect_err("tls: {min_version: \"1.1\"}\n", 1, 20,
	    "tls.min_version 1.1 needs tls.profile: legacy");
	expect_err("tls: {min_version: \"2.0\"}\n", 1, 20,
	    "tls.min_version must be one of 1.0, 1.1, 1.2, 1.3");
	expect_err("tls:\n  ciphers: \"NOPE-NOT-A-CIPHER\"\n", 2, 12,
	    "tls.ciphers: OpenSSL finds no usable cipher");
	expect_err("tls:\n  ciphersuites: \"TLS_FAKE\"\n", 2, 17,
	    "tls.ciphersuites: OpenSSL does not accept");
	/* Legacy alone lowers the default minimum to 1.0. */
	c = load_ok(d, "tls: {profile: legacy}\n");
	assert_string_equal(c->tls.min_version, "1.0");
	config_free(c);
	c = load_ok(d, "tls: {min_version: TLSv1.3, certificate: null, "
	    "key: ~}\n");
	assert_string_equal(c->tls.min_version, "1.3");
	assert_null(c->tls.certificate);
	config_free(c);
	c = load_ok(d, "tls: {min_version: 1.2}\n");	/* plain, a float */
	assert_string_equal(c->tls.min_version, "1.2");
	config_free(c);
}

static void
test_control_mode(void **state)
{
	struct cfgtest_dir *d = *state;
	static const struct {
		const char	*yaml;
		unsigned	 mode;
	} ok[] = {
		{ "control: {mode: \"0600\"}\n", 0600 },
		{ "control: {mode: \"660\"}\n", 0660 },
		{ "control: {mode: 0640}\n", 0640 },
		{ "control: {mode: 0o666}\n", 0666 },
		{ "control: {mode: 432}\n", 0660 },	/* decimal int */
	};
	struct mps_config *c;
	size_t i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		c = load_ok(d, ok[i].yaml);
		assert_int_equal(c->control.mode, ok[i].mode);
		config_free(c);
	}
	expect_err("control: {mode: \"0400\"}\n", 1, 17,
	    "control.mode must give the owner read and write");
	expect_err("control: {mode: 660}\n", 1, 17,
	    "control.mode must give the owner");	/* 660 decimal = 01224 */
	expect_err("control: {mode: \"0778\"}\n", 1, 17,
	    "control.mode must be an octal permission");
	expect_err("control: {mode: rw}\n", 1, 17,
	    "control.mode must be an octal permission");
}

static void
test_listen_rules(void **state)
{
	struct cfgtest_dir *d = *state;
	struct mps_config *c;

	expect_err("listen:\n  - {address: localhost, port: 1}\n", 2, 15,
	    "listen[0].address must be a numeric IPv4 or IPv6 address");
	expect_err("listen:\n  - {address: 10.0.0.1}\n", 2, 5,
	    "listen[0].port is required");
	expect_err("listen:\n  - {port: 1}\n  - {address: 0.0.0.0, port: 1}\n",
	    3, 5, "listen[1] repeats listen[0] (0.0.0.0 port 1)");
	expect_err("listen: [4433]\n", 1, 10,
	    "listen[0] must be a mapping");
	c = load_ok(d, "listen: [{port: 1}, {address: \"fe80::1\", "
	    "port: 1}]\n");
	assert_int_equal(c->nlisten, 2);
	assert_string_equal(c->listen[0].address, "0.0.0.0");
	assert_string_equal(c->listen[1].address, "fe80::1");
	config_free(c);
}

static void
test_limits_cross_check(void **state)
{
	(void)state;
	expect_err("limits:\n  max_message: 65536\n  buffer_per_device: "
	    "8192\n", 3, 22, "limits.buffer_per_device (8192) must be at "
	    "least limits.max_message (65536)");
	expect_err("limits:\n  buffer_per_device: 8192\n", 2, 22,
	    "limits.buffer_per_device (8192) must be at least "
	    "limits.max_message (65536)");
}

static void
test_yaml_refusals(void **state)
{
	(void)state;
	expect_err("state_dir: &a /x\ndevices_file: *a\n", 1, 12,
	    "YAML anchors (&a) are not supported");
	expect_err("state_dir: *a\n", 1, 12, "YAML aliases (*a) are not "
	    "supported");
	expect_err("state_dir: !!str /x\n", 1, 12, "YAML tags");
	expect_err("log: {level: info}\n---\nlog: {level: info}\n", 2, 1,
	    "only one YAML document");
	expect_err("listen: [{port: 1}\nlog: x\n", 2, 1,
	    "YAML syntax error");
	expect_err("a: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]"
	    "]]]]]]]]]]]]]]]]]]]]]]]]]]]\n", 1, 35, "nesting deeper than 32");
	/* Invalid UTF-8 on line 2, column 13. */
	expect_err("log: {}\nstate_dir: \"\xff\"\n", 2, 13,
	    "not valid YAML text");
	expect_err("state_dir: \"a\\x01b\"\n", 1, 12, "control character");
	/* Line separators would not survive a dump and reload. */
	expect_err("state_dir: \"/a\\u2028b\"\n", 1, 12,
	    "control character (U+2028)");
	expect_err("state_dir: \"/a\\Nb\"\n", 1, 12,
	    "control character (U+0085)");
}

/* A billion-laughs file fails at the first alias, in no time. */
static void
test_alias_bomb(void **state)
{
	const char *bomb =
	    "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n";

	(void)state;
	expect_err(bomb, 1, 4, "YAML anchors (&a) are not supported");
}

static void
test_file_errors(void **state)
{
	struct cfgtest_dir *d = *state;
	struct mps_config *c = NULL;
	struct config_err err;
	char *big, buf[600];
	const char *p;

	assert_int_equal(config_load(path_in(d, "missing.yaml"), &c, &err),
	    MPS_ERR_CONFIG);
	assert_null(c);
	assert_int_equal(err.line, 0);
	assert_true(cfgtest_contains(err.msg, "cannot open"));
	config_err_format(&err, buf, sizeof buf);
	assert_true(cfgtest_contains(buf, "missing.yaml: cannot open"));

	assert_int_equal(config_load(d->path, &c, &err), MPS_ERR_CONFIG);
	assert_true(cfgtest_contains(err.msg, "not a regular file"));

	big = malloc(CONFIG_MAX_FILE + 2);
	assert_non_null(big);
	memset(big, '#', CONFIG_MAX_FILE + 1);
	big[CONFIG_MAX_FILE + 1] = '\0';
	p = cfgtest_write(d, "big.yaml", big);
	free(big);
	assert_int_equal(config_load(p, &c, &err), MPS_ERR_CONFIG);
	assert_true(cfgtest_contains(err.msg, "larger than the limit"));
	assert_null(c);
}

static void
test_socket_path_length(void **state)
{
	char yaml[400];

	(void)state;
	snprintf(yaml, sizeof yaml, "control:\n  socket: /%0120d\n", 7);
	expect_err(yaml, 2, 11, "longer than the 107 bytes");
}

/* Relative paths follow the file, wherever the process runs. */
static void
test_relative_paths(void **state)
{
	struct cfgtest_dir *d = *state;
	struct mps_config *c = NULL;
	struct config_err err;
	char cwd[PATH_MAX], want[700];
	const char *sub = cfgtest_mkdir(d, "etc");

	(void)sub;
	cfgtest_write(d, "etc/amt-mps.yaml",
	    "tls: {certificate: ../pki/server.crt, key: ./k.pem}\n"
	    "devices_file: devices.yaml\n"
	    "state_dir: .\n"
	    "control: {socket: /abs/ctl.sock}\n");
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(d->path), 0);
	/* A relative file argument: paths resolve against its directory. */
	assert_int_equal(config_load("etc/amt-mps.yaml", &c, &err), 0);
	assert_int_equal(chdir(cwd), 0);
	snprintf(want, sizeof want, "%s/etc/../pki/server.crt", d->path);
	assert_string_equal(c->tls.certificate, want);
	snprintf(want, sizeof want, "%s/etc/k.pem", d->path);
	assert_string_equal(c->tls.key, want);
	snprintf(want, sizeof want, "%s/etc/devices.yaml", d->path);
	assert_string_equal(c->devices_file, want);
	snprintf(want, sizeof want, "%s/etc", d->path);
	assert_string_equal(c->state_dir, want);
	assert_string_equal(c->control.socket, "/abs/ctl.sock");
	snprintf(want, sizeof want, "%s/etc/amt-mps.yaml", d->path);
	assert_string_equal(c->path, want);
	config_free(c);

	/* The buffer API resolves against the given directory. */
	assert_int_equal(config_load_buffer("devices_file: x.yaml\n", 20,
	    "mem", "/srv/mps", &c, &err), 0);
	assert_string_equal(c->devices_file, "/srv/mps/x.yaml");
	assert_null(c->path);
	config_free(c);
}

static void
assert_config_equal(const struct mps_config *a, const struct mps_config *b)
{
	size_t i;

#define STR_EQ(f) do {							\
	if (a->f == NULL || b->f == NULL)				\
		assert_ptr_equal(a->f, b->f);				\
	else								\
		assert_string_equal(a->f, b->f);			\
} while (0)
	assert_int_equal(a->nlisten, b->nlisten);
	for (i = 0; i < a->nlisten; i++) {
		assert_string_equal(a->listen[i].address, b->listen[i].address);
		assert_int_equal(a->listen[i].port, b->listen[i].port);
	}
	STR_EQ(state_dir);
	STR_EQ(tls.certificate);
	STR_EQ(tls.key);
	STR_EQ(tls.client_ca);
	STR_EQ(tls.min_version);
	STR_EQ(tls.ciphers);
	STR_EQ(tls.ciphersuites);
	STR_EQ(control.socket);
	STR_EQ(devices_file);
#undef STR_EQ
	assert_int_equal(a->tls.require_client_cert, b->tls.require_client_cert);
	assert_int_equal(a->tls.profile, b->tls.profile);
	assert_int_equal(a->control.mode, b->control.mode);
	assert_int_equal(a->control.max_clients, b->control.max_clients);
	assert_int_equal(a->control.max_line, b->control.max_line);
	assert_memory_equal(&a->keepalive, &b->keepalive, sizeof a->keepalive);
	assert_memory_equal(&a->limits, &b->limits, sizeof a->limits);
	assert_int_equal(a->log.level, b->log.level);
	assert_int_equal(a->log.format, b->log.format);
	assert_memory_equal(&a->forward, &b->forward, sizeof a->forward);
	assert_int_equal(a->nforwards, b->nforwards);
	for (i = 0; i < a->nforwards; i++) {
		assert_string_equal(a->forwards[i].device,
		    b->forwards[i].device);
		assert_int_equal(a->forwards[i].port, b->forwards[i].port);
		assert_string_equal(a->forwards[i].listen.address,
		    b->forwards[i].listen.address);
		assert_int_equal(a->forwards[i].listen.port,
		    b->forwards[i].listen.port);
	}
}

static void
roundtrip(struct cfgtest_dir *d, const struct mps_config *c)
{
	struct mps_config *c2 = NULL;
	struct config_err err;
	char *text1, *text2, buf[700];
	FILE *f;

	assert_non_null(f = fopen(path_in(d, "dump1.yaml"), "w"));
	config_dump(c, f);
	fclose(f);
	cfgtest_write(d, "dump1.yaml", text1 = cfgtest_slurp(path_in(d,
	    "dump1.yaml")));	/* registers it for cleanup */
	if (config_load(path_in(d, "dump1.yaml"), &c2, &err) != 0) {
		config_err_format(&err, buf, sizeof buf);
		print_error("dump does not load: %s\n%s", buf, text1);
		fail();
	}
	assert_config_equal(c, c2);
	assert_non_null(f = fopen(path_in(d, "dump2.yaml"), "w"));
	config_dump(c2, f);
	fclose(f);
	text2 = cfgtest_slurp(path_in(d, "dump2.yaml"));
	cfgtest_write(d, "dump2.yaml", text2);
	assert_string_equal(text1, text2);
	free(text1);
	free(text2);
	config_free(c2);
}

static void
test_dump_roundtrip(void **state)
{
	struct cfgtest_dir *d = *state;
	struct mps_config *c;

	c = load_ok(d, full_yaml);
	roundtrip(d, c);
	config_free(c);
	c = config_new_defaults();
	roundtrip(d, c);
	config_free(c);
	/* Strings that need escaping survive too. */
	c = load_ok(d, "devices_file: \"/a\\\"x\\\\\"\n");
	assert_string_equal(c->devices_file, "/a\"x\\");
	roundtrip(d, c);
	config_free(c);
	c = load_ok(d, "state_dir: \"/srv/a \\\"b\\\" \\\\ \xc3\xa9\"\n");
	assert_string_equal(c->state_dir, "/srv/a \"b\" \\ \xc3\xa9");
	roundtrip(d, c);
	config_free(c);
}

#define G1	"4c4c4544-0042-1000-8033-b6c04f504633"
#define G2	"4c4c4544-0042-1000-8033-b6c04f504634"

static const char fwd_yaml[] =
    "forwards:\n"
    "  - {device: 4C4C4544-0042-1000-8033-B6C04F504633, port: 16994,\n"
    "     listen: \"127.0.0.1:16994\"}\n"
    "  - {device: " G1 ", port: 5900}\n"
    "  - device: " G2 "\n"
    "    port: 16992\n"
    "    listen: \"[0:0::1]:0\"\n"
    "  - {device: " G2 ", port: 9999, listen: \"0.0.0.0:0\"}\n"
    "  - {device: " G2 ", port: 9999, listen: \"127.0.0.2:0\"}\n"
    "forward:\n"
    "  allow_non_loopback: true\n"
    "  per_device: 3\n"
    "  connections: 1024\n";

/* A good file: canonical GUIDs and addresses, default listen. */
static void
test_forwards_good(void **state)
{
	struct cfgtest_dir *d = *state;
	struct mps_config *c = load_ok(d, fwd_yaml);
	char buf[80];

	assert_int_equal(c->forward.allow_non_loopback, 1);
	assert_int_equal(c->forward.per_device, 3);
	assert_int_equal(c->forward.connections, 1024);
	assert_int_equal(c->nforwards, 5);
	assert_string_equal(c->forwards[0].device, G1);
	assert_int_equal(c->forwards[0].port, 16994);
	assert_string_equal(config_listen_str(&c->forwards[0].listen, buf,
	    sizeof buf), "127.0.0.1:16994");
	assert_string_equal(c->forwards[1].device, G1);
	assert_int_equal(c->forwards[1].port, 5900);
	assert_string_equal(c->forwards[1].listen.address, "127.0.0.1");
	assert_int_equal(c->forwards[1].listen.port, 0);
	assert_string_equal(c->forwards[2].device, G2);
	assert_string_equal(config_listen_str(&c->forwards[2].listen, buf,
	    sizeof buf), "[::1]:0");
	assert_string_equal(c->forwards[3].listen.address, "0.0.0.0");
	roundtrip(d, c);
	config_free(c);

	/* Empty and null lists are no forwards; the defaults. */
	c = load_ok(d, "forwards: []\nforward: {}\n");
	assert_int_equal(c->nforwards, 0);
	assert_null(c->forwards);
	assert_int_equal(c->forward.allow_non_loopback, 0);
	assert_int_equal(c->forward.per_device, 16);
	assert_int_equal(c->forward.connections, 64);
	roundtrip(d, c);
	config_free(c);
	c = load_ok(d, "forwards:\n");
	assert_int_equal(c->nforwards, 0);
	config_free(c);

	/* Ephemeral ports never collide; per_device 16 by default. */
	c = load_ok(d,
	    "forwards:\n"
	    "  - {device: " G1 ", port: 1, listen: \"127.0.0.1:0\"}\n"
	    "  - {device: " G1 ", port: 1, listen: \"127.0.0.1:0\"}\n"
	    "  - {device: " G1 ", port: 1, listen: \"127.0.0.1:7\"}\n"
	    "  - {device: " G1 ", port: 1, listen: \"127.0.0.2:7\"}\n"
	    "  - {device: " G1 ", port: 1, listen: \"[::1]:7\"}\n");
	assert_int_equal(c->nforwards, 5);
	config_free(c);

	assert_int_equal(config_addr_is_loopback("127.255.0.1"), 1);
	assert_int_equal(config_addr_is_loopback("::1"), 1);
	assert_int_equal(config_addr_is_loopback("128.0.0.1"), 0);
	assert_int_equal(config_addr_is_loopback("::"), 0);
	assert_int_equal(config_addr_is_loopback("localhost"), 0);
}

static void
test_forward_section_errors(void **state)
{
	(void)state;
	expect_err("forward: {per_device: 0}\n", 1, 23,
	    "forward.per_device must be between 1 and 256, not 0");
	expect_err("forward: {per_device: 257}\n", 1, 23,
	    "forward.per_device must be between 1 and 256");
	expect_err("forward: {connections: 0}\n", 1, 24,
	    "forward.connections must be between 1 and 1024, not 0");
	expect_err("forward: {connections: 1025}\n", 1, 24,
	    "forward.connections must be between 1 and 1024");
	expect_err("forward: {allow_non_loopback: sometimes}\n", 1, 31,
	    "forward.allow_non_loopback must be true or false");
	expect_err("forward: {per_device: 2, loopback: false}\n", 1, 26,
	    "unknown key forward.loopback");
	expect_err("forward: [1]\n", 1, 10, "forward must be a mapping");
}

static void
test_forwards_errors(void **state)
{
	char *big, *p;
	int i;

	(void)state;
	expect_err("forwards: {device: x}\n", 1, 11,
	    "forwards must be a list, not a mapping");
	expect_err("forwards: [16994]\n", 1, 12,
	    "forwards[0] must be a mapping");
	/* Bad GUID, at the value. */
	expect_err("forwards:\n  - {device: nuc-01, port: 16994}\n", 2, 14,
	    "forwards[0].device \"nuc-01\" is not a GUID (8-4-4-4-12");
	expect_err("forwards:\n  - {device: 4c4c4544-0042-1000-8033-"
	    "b6c04f50463g, port: 1}\n", 2, 14, "is not a GUID");
	/* Bad port. */
	expect_err("forwards:\n  - {device: " G1 ", port: 0}\n", 2, 58,
	    "forwards[0].port must be between 1 and 65535, not 0");
	expect_err("forwards:\n  - {device: " G1 ", port: 65536}\n", 2, 58,
	    "forwards[0].port must be between 1 and 65535");
	expect_err("forwards:\n  - {device: " G1 ", port: sol}\n", 2, 58,
	    "forwards[0].port must be a non-negative decimal integer");
	/* Required keys, unknown keys. */
	expect_err("forwards:\n  - {port: 1}\n", 2, 5,
	    "forwards[0].device is required");
	expect_err("forwards:\n  - {device: " G1 "}\n", 2, 5,
	    "forwards[0].port is required");
	expect_err("forwards:\n  - {device: " G1 ", port: 1, bind: x}\n",
	    2, 61, "unknown key forwards[0].bind (known: device, port, "
	    "listen)");
	/* Bad listen syntax. */
	expect_err("forwards:\n  - {device: " G1 ", port: 1, "
	    "listen: \"127.0.0.1\"}\n", 2, 69, "forwards[0].listen must be "
	    "\"ADDR:PORT\" or \"[IPV6]:PORT\"");
	expect_err("forwards:\n  - {device: " G1 ", port: 1, "
	    "listen: \"::1:80\"}\n", 2, 69, "not \"::1:80\"");
	expect_err("forwards:\n  - {device: " G1 ", port: 1, "
	    "listen: \"localhost:80\"}\n", 2, 69, "numeric address");
	expect_err("forwards:\n  - {device: " G1 ", port: 1, "
	    "listen: \"127.0.0.1:65536\"}\n", 2, 69, "to 65535");
	expect_err("forwards:\n  - {device: " G1 ", port: 1, "
	    "listen: \"[::1]80\"}\n", 2, 69, "\"[IPV6]:PORT\"");
	expect_err("forwards:\n  - {device: " G1 ", port: 1, "
	    "listen: \"127.0.0.1:-1\"}\n", 2, 69, "not \"127.0.0.1:-1\"");
	/* Not loopback without forward.allow_non_loopback, either order. */
	expect_err("forwards:\n  - {device: " G1 ", port: 1, "
	    "listen: \"0.0.0.0:0\"}\n", 2, 69, "forwards[0].listen 0.0.0.0 "
	    "is not a loopback address (127.0.0.0/8, ::1)");
	expect_err("forwards:\n  - {device: " G1 ", port: 1, "
	    "listen: \"[fe80::1]:5\"}\nforward: {allow_non_loopback: false}\n",
	    2, 69, "set forward.allow_non_loopback: true to allow it");
	/* The same address and port twice; a wildcard overlapping. */
	expect_err("forwards:\n"
	    "  - {device: " G1 ", port: 1, listen: \"127.0.0.1:80\"}\n"
	    "  - {device: " G2 ", port: 2, listen: \"127.0.0.1:80\"}\n", 3, 69,
	    "forwards[1].listen 127.0.0.1:80 collides with forwards[0] "
	    "(127.0.0.1:80)");
	expect_err("forwards:\n"
	    "  - {device: " G1 ", port: 1, listen: \"[::1]:80\"}\n"
	    "  - {device: " G2 ", port: 2, listen: \"[0::1]:80\"}\n", 3, 69,
	    "forwards[1].listen [::1]:80 collides with forwards[0]");
	expect_err("forward: {allow_non_loopback: true}\nforwards:\n"
	    "  - {device: " G1 ", port: 1, listen: \"0.0.0.0:80\"}\n"
	    "  - {device: " G2 ", port: 2, listen: \"127.0.0.1:80\"}\n", 4, 69,
	    "collides with forwards[0] (0.0.0.0:80)");
	/* More than per_device for one device. */
	expect_err("forward: {per_device: 2}\nforwards:\n"
	    "  - {device: " G1 ", port: 1}\n"
	    "  - {device: " G2 ", port: 1}\n"
	    "  - {device: " G1 ", port: 2}\n"
	    "  - {device: 4C4C4544-0042-1000-8033-B6C04F504633, port: 3}\n",
	    6, 14, "forwards[3]: device " G1 " has more than "
	    "forward.per_device (2) forwards");
	/* The default per_device is 16; the list at most 256 entries. */
	big = malloc(300 * 80 + 64);
	assert_non_null(big);
	p = big + sprintf(big, "forwards:\n");
	for (i = 0; i < 17; i++)
		p += sprintf(p, "  - {device: " G1 ", port: %d}\n", i + 1);
	expect_err(big, 18, 14, "forwards[16]: device " G1 " has more than "
	    "forward.per_device (16)");
	p = big + sprintf(big, "forward: {per_device: 256}\nforwards:\n");
	for (i = 0; i < 257; i++)
		p += sprintf(p, "  - {device: " G1 ", port: %d}\n", i + 1);
	expect_err(big, 3, 3, "forwards may have at most 256 entries");
	free(big);
}

static void
test_err_format(void **state)
{
	struct config_err e;
	char buf[64];

	(void)state;
	memset(&e, 0, sizeof e);
	snprintf(e.file, sizeof e.file, "f.yaml");
	snprintf(e.msg, sizeof e.msg, "bad");
	config_err_format(&e, buf, sizeof buf);
	assert_string_equal(buf, "f.yaml: bad");
	e.line = 3;
	e.col = 9;
	config_err_format(&e, buf, sizeof buf);
	assert_string_equal(buf, "f.yaml:3:9: bad");
	config_err_format(&e, buf, 5);
	assert_string_equal(buf, "f.ya");
}

static void
test_example_file(void **state)
{
	struct mps_config *c = NULL;
	struct config_err err;
	char buf[700];

	(void)state;
	if (config_load(MPS_SOURCE_DIR "/config/amt-mps.yaml.example", &c,
	    &err) != 0) {
		config_err_format(&err, buf, sizeof buf);
		print_error("%s\n", buf);
		fail();
	}
	assert_int_equal(c->nlisten, 2);
	assert_string_equal(c->listen[1].address, "::");
	assert_int_equal(c->tls.certificate[0], '/');
	assert_true(cfgtest_contains(c->tls.certificate, "/config/server.crt"));
	assert_true(cfgtest_contains(c->devices_file, "/config/devices.yaml"));
	assert_int_equal(c->control.mode, 0660);
	assert_int_equal(c->forward.allow_non_loopback, 0);
	assert_int_equal(c->forward.per_device, 16);
	assert_int_equal(c->forward.connections, 64);
	config_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test_setup_teardown(test_contract_minimal, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_every_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_empty_file, setup,
		    teardown),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test_setup_teardown(test_keepalive_cross_check,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_rules, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_control_mode, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_listen_rules, setup,
		    teardown),
		cmocka_unit_test(test_limits_cross_check),
		cmocka_unit_test(test_yaml_refusals),
		cmocka_unit_test(test_alias_bomb),
		cmocka_unit_test_setup_teardown(test_file_errors, setup,
		    teardown),
		cmocka_unit_test(test_socket_path_length),
		cmocka_unit_test_setup_teardown(test_relative_paths, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_dump_roundtrip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_forwards_good, setup,
		    teardown),
		cmocka_unit_test(test_forward_section_errors),
		cmocka_unit_test(test_forwards_errors),
		cmocka_unit_test(test_err_format),
		cmocka_unit_test(test_example_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
