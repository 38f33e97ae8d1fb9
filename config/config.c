/*
 * config.c: amt-mps.yaml into a validated struct mps_config.
 *
 * Loading starts from the built-in defaults, walks the YAML tree with one
 * small function per section (each key in a table, so unknown and duplicate
 * keys are caught in one place), then runs the checks that span several
 * keys.  Nothing is handed to the caller until all of it passed.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "config.h"
#include "devices.h"
#include "mps_err.h"
#include "ydoc.h"

#define CONFIG_MAX_NODES	100000
#define CONFIG_STR_MAX		1024	/* cipher lists and similar */
#define CONFIG_SOCKET_MAX	(sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/* Keys seen while walking, for checks that span several keys. */
struct config_ctx {
	struct mps_config	*c;
	struct config_err	*err;
	const char		*basedir;	/* absolute, for relative paths */
	const struct ydoc_node	*state_dir;
	const struct ydoc_node	*certificate;
	const struct ydoc_node	*key;
	const struct ydoc_node	*require_client_cert;
	const struct ydoc_node	*min_version;
	const struct ydoc_node	*ciphers;
	const struct ydoc_node	*ciphersuites;
	const struct ydoc_node	*socket;
	const struct ydoc_node	*interval;
	const struct ydoc_node	*timeout;
	const struct ydoc_node	*buffer_per_device;
	const struct ydoc_node	*max_message;
	const struct ydoc_node	*forwards;	/* the list, for cross checks */
};

static const char *const config_profile_names[] = { "modern", "legacy", NULL };
static const char *const config_level_names[] = { "error", "warn", "info",
    "debug", NULL };
static const char *const config_format_names[] = { "text", "json", NULL };

const char *
config_tls_profile_name(enum config_tls_profile p)
{
	if ((unsigned)p < 2)
		return config_profile_names[p];
	return "?";
}

const char *
config_log_level_name(enum config_log_level l)
{
	if ((unsigned)l < 4)
		return config_level_names[l];
	return "?";
}

const char *
config_log_format_name(enum config_log_format f)
{
	if ((unsigned)f < 2)
		return config_format_names[f];
	return "?";
}

void
config_err_format(const struct config_err *err, char *buf, size_t len)
{
	if (len == 0)
		return;
	if (err == NULL) {
		snprintf(buf, len, "(no error)");
		return;
	}
	if (err->line > 0)
		snprintf(buf, len, "%s:%d:%d: %s", err->file, err->line,
		    err->col, err->msg);
	else
		snprintf(buf, len, "%s: %s", err->file, err->msg);
}

void
config_free(struct mps_config *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->state_dir);
	free(c->tls.certificate);
	free(c->tls.key);
	free(c->tls.client_ca);
	free(c->tls.min_version);
	free(c->tls.ciphers);
	free(c->tls.ciphersuites);
	free(c->control.socket);
	free(c->devices_file);
	free(c->forwards);
	free(c);
}

/* "<dir>/<name>" in a fresh string, or NULL. */
static char *
config_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *s;

	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	if ((s = malloc(dl + 1 + nl + 1)) == NULL)
		return NULL;
	memcpy(s, dir, dl);
	if (dl == 0 || dir[dl - 1] != '/')
		s[dl++] = '/';
	memcpy(s + dl, name, nl + 1);
	return s;
}

static int
config_set_defaults(struct mps_config *c, const char *state_dir,
    const char *socket)
{
	c->nlisten = 1;
	snprintf(c->listen[0].address, sizeof c->listen[0].address,
	    "0.0.0.0");
	c->listen[0].port = 4433;
	c->tls.profile = CONFIG_TLS_MODERN;
	c->control.mode = 0660;
	c->control.max_clients = 64;
	c->control.max_line = 65536;
	c->keepalive.interval = 30;
	c->keepalive.timeout = 90;
	c->limits.max_devices = 20000;
	c->limits.max_unauthenticated = 1000;
	c->limits.auth_timeout = 30;
	c->limits.channels_per_device = 8;
	c->limits.buffer_per_device = 1024 * 1024;
	c->limits.max_message = 64 * 1024;
	c->limits.window = 64 * 1024;
	c->limits.request_timeout = 30;
	c->limits.power_cooldown = 10;
	c->limits.fd_reserve = 32;
	c->limits.auth_failures_per_minute = 10;
	c->limits.handshakes_in_flight = 256;
	c->log.level = CONFIG_LOG_INFO;
	c->log.format = CONFIG_LOG_TEXT;
	c->forward.allow_non_loopback = 0;
	c->forward.per_device = CONFIG_FWD_PER_DEVICE;
	c->forward.connections = CONFIG_FWD_CONNECTIONS;
	if ((c->state_dir = strdup(state_dir)) == NULL ||
	    (c->tls.min_version = strdup("1.2")) == NULL)
		return MPS_ERR_NOMEM;
	if (socket != NULL)
		c->control.socket = strdup(socket);
	else
		c->control.socket = config_join(c->state_dir, "control.sock");
	return c->control.socket ? 0 : MPS_ERR_NOMEM;
}

struct mps_config *
config_new_defaults(void)
{
	struct mps_config *c;
	char cwd[PATH_MAX], *state = NULL;

	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	/*
	 * The first-try state directory lives in the current directory; make
	 * it absolute now so log lines and a later chdir agree on it.
	 */
	if (getcwd(cwd, sizeof cwd) != NULL)
		state = config_join(cwd, CONFIG_DEFAULT_STATE_DIR);
	if (config_set_defaults(c, state ? state : "./"
	    CONFIG_DEFAULT_STATE_DIR, NULL) != 0) {
		free(state);
		config_free(c);
		return NULL;
	}
	free(state);
	return c;
}

/* A path value: absolute as written, relative to the config file's dir. */
static int
config_get_path(struct config_ctx *x, const struct ydoc_node *n,
    const char *path, int nullable, char **out)
{
	const char *s;
	char *res;
	int rc;

	if (nullable && ydoc_is_null(n)) {
		free(*out);
		*out = NULL;
		return 0;
	}
	if ((rc = ydoc_get_str(n, path, PATH_MAX - 1, &s, x->err)) != 0)
		return rc;
	if (*s == '/')
		res = strdup(s);
	else {
		/* "./x" and "." name the file's directory itself. */
		while (s[0] == '.' && s[1] == '/')
			for (s += 2; *s == '/'; s++)
				;
		if (strcmp(s, ".") == 0)
			s = "";
		res = *s ? config_join(x->basedir, s) : strdup(x->basedir);
	}
	if (res == NULL) {
		ydoc_fail(x->err, n, "out of memory");
		return MPS_ERR_NOMEM;
	}
	if (strlen(res) >= PATH_MAX) {
		free(res);
		return ydoc_fail(x->err, n, "%s resolves to a path longer "
		    "than %d bytes", path, PATH_MAX - 1);
	}
	free(*out);
	*out = res;
	return 0;
}

/* A nullable plain string (cipher lists). */
static int
config_get_opt_str(struct config_ctx *x, const struct ydoc_node *n,
    const char *path, char **out)
{
	if (ydoc_is_null(n)) {
		free(*out);
		*out = NULL;
		return 0;
	}
	return ydoc_dup_str(n, path, CONFIG_STR_MAX, out, x->err);
}

static int
config_listen_entry(struct config_ctx *x, const struct ydoc_node *item,
    size_t idx, struct config_listen *l)
{
	static const char *const keys[] = { "address", "port", NULL };
	const struct ydoc_node *k, *v, *port = NULL;
	char prefix[YDOC_PATH_MAX], path[YDOC_PATH_MAX];
	unsigned char addr[sizeof(struct in6_addr)];
	uint64_t seen = 0;
	uint32_t u;
	const char *s;
	int rc;

	snprintf(prefix, sizeof prefix, "listen[%zu]", idx);
	if ((rc = ydoc_want_map(item, prefix, x->err)) != 0)
		return rc;
	snprintf(l->address, sizeof l->address, "0.0.0.0");
	for (k = item->first; k != NULL; k = v->next) {
		v = k->next;
		if ((rc = ydoc_key(k, prefix, keys, &seen, x->err)) < 0)
			return rc;
		ydoc_path(path, sizeof path, prefix, k->s);
		switch (rc) {
		case 0:
			if ((rc = ydoc_get_str(v, path, sizeof l->address - 1,
			    &s, x->err)) != 0)
				return rc;
			if (inet_pton(AF_INET, s, addr) != 1 &&
			    inet_pton(AF_INET6, s, addr) != 1)
				return ydoc_fail(x->err, v, "%s must be a "
				    "numeric IPv4 or IPv6 address, not \"%s\"",
				    path, s);
			snprintf(l->address, sizeof l->address, "%s", s);
			break;
		case 1:
			if ((rc = ydoc_get_u32(v, path, 1, 65535, &u,
			    x->err)) != 0)
				return rc;
			l->port = (uint16_t)u;
			port = v;
			break;
		}
	}
	if (port == NULL)
		return ydoc_fail(x->err, item, "%s.port is required", prefix);
	return 0;
}

static int
config_listen(struct config_ctx *x, const struct ydoc_node *n)
{
	struct config_listen tmp[CONFIG_MAX_LISTEN];
	const struct ydoc_node *item;
	size_t i, j;
	int rc;

	if ((rc = ydoc_want_seq(n, "listen", x->err)) != 0)
		return rc;
	if (n->len < 1 || n->len > CONFIG_MAX_LISTEN)
		return ydoc_fail(x->err, n, "listen must have 1 to %d entries, "
		    "not %zu", CONFIG_MAX_LISTEN, n->len);
	memset(tmp, 0, sizeof tmp);
	for (i = 0, item = n->first; item != NULL; item = item->next, i++) {
		if ((rc = config_listen_entry(x, item, i, &tmp[i])) != 0)
			return rc;
		for (j = 0; j < i; j++)
			if (tmp[j].port == tmp[i].port &&
			    strcmp(tmp[j].address, tmp[i].address) == 0)
				return ydoc_fail(x->err, item, "listen[%zu] "
				    "repeats listen[%zu] (%s port %u)", i, j,
				    tmp[i].address, tmp[i].port);
	}
	memcpy(x->c->listen, tmp, sizeof tmp);
	x->c->nlisten = n->len;
	return 0;
}

static int
config_tls_version(struct config_ctx *x, const struct ydoc_node *n)
{
	static const char *const names[] = { "1.0", "1.1", "1.2", "1.3",
	    "TLSv1", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3", NULL };
	static const char *const canon[] = { "1.0", "1.1", "1.2", "1.3",
	    "1.0", "1.0", "1.1", "1.2", "1.3" };
	char *s;
	int i, rc;

	if (ydoc_is_null(n))
		i = -1;
	else if ((rc = ydoc_get_enum(n, "tls.min_version", names, &i,
	    x->err)) != 0)
		return rc;
	free(x->c->tls.min_version);
	x->c->tls.min_version = NULL;
	if (i < 0)
		return 0;	/* chosen by the profile after the walk */
	if ((s = strdup(canon[i])) == NULL) {
		ydoc_fail(x->err, n, "out of memory");
		return MPS_ERR_NOMEM;
	}
	x->c->tls.min_version = s;
	x->min_version = n;
	return 0;
}

static int
config_tls(struct config_ctx *x, const struct ydoc_node *n)
{
	static const char *const keys[] = { "certificate", "key", "client_ca",
	    "require_client_cert", "min_version", "ciphers", "ciphersuites",
	    "profile", NULL };
	const struct ydoc_node *k, *v;
	char path[YDOC_PATH_MAX];
	uint64_t seen = 0;
	int rc, e;

	if ((rc = ydoc_want_map(n, "tls", x->err)) != 0)
		return rc;
	for (k = n->first; k != NULL; k = v->next) {
		v = k->next;
		if ((rc = ydoc_key(k, "tls", keys, &seen, x->err)) < 0)
			return rc;
		ydoc_path(path, sizeof path, "tls", k->s);
		switch (rc) {
		case 0:
			rc = config_get_path(x, v, path, 1,
			    &x->c->tls.certificate);
			x->certificate = x->c->tls.certificate ? v : NULL;
			break;
		case 1:
			rc = config_get_path(x, v, path, 1, &x->c->tls.key);
			x->key = x->c->tls.key ? v : NULL;
			break;
		case 2:
			rc = config_get_path(x, v, path, 1,
			    &x->c->tls.client_ca);
			break;
		case 3:
			rc = ydoc_get_bool(v, path,
			    &x->c->tls.require_client_cert, x->err);
			x->require_client_cert = v;
			break;
		case 4:
			rc = config_tls_version(x, v);
			break;
		case 5:
			rc = config_get_opt_str(x, v, path, &x->c->tls.ciphers);
			x->ciphers = v;
			break;
		case 6:
			rc = config_get_opt_str(x, v, path,
			    &x->c->tls.ciphersuites);
			x->ciphersuites = v;
			break;
		case 7:
			rc = ydoc_get_enum(v, path, config_profile_names, &e,
			    x->err);
			x->c->tls.profile = (enum config_tls_profile)e;
			break;
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
config_mode(struct config_ctx *x, const struct ydoc_node *n)
{
	const char *s;
	unsigned long v = 0;
	int octal, rc;

	if ((rc = ydoc_get_str(n, "control.mode", 16, &s, x->err)) != 0)
		return rc;
	/*
	 * A quoted "0660" or "660" is octal, as in chmod.  A plain 0660 is
	 * octal too (YAML 1.1), as is 0o660 (YAML 1.2); a plain 432 is the
	 * decimal integer.
	 */
	octal = !n->plain || s[0] == '0';
	if (s[0] == '0' && s[1] == 'o')
		s += 2;
	if (*s == '\0')
		goto bad;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > (octal ? '7' : '9'))
			goto bad;
		v = v * (octal ? 8 : 10) + (unsigned long)(*s - '0');
		if (v > 07777)
			goto bad;
	}
	if (v > 0777 || (v & 0600) != 0600)
		return ydoc_fail(x->err, n, "control.mode must give the owner "
		    "read and write and have no bits beyond 0777 "
		    "(e.g. \"0660\"), not 0%lo", v);
	x->c->control.mode = (mode_t)v;
	return 0;
bad:
	return ydoc_fail(x->err, n, "control.mode must be an octal "
	    "permission such as \"0660\", not %s%s%s", n->plain ? "" : "\"",
	    n->s, n->plain ? "" : "\"");
}

static int
config_control(struct config_ctx *x, const struct ydoc_node *n)
{
	static const char *const keys[] = { "socket", "mode", "max_clients",
	    "max_line", NULL };
	const struct ydoc_node *k, *v;
	char path[YDOC_PATH_MAX];
	uint64_t seen = 0;
	int rc;

	if ((rc = ydoc_want_map(n, "control", x->err)) != 0)
		return rc;
	for (k = n->first; k != NULL; k = v->next) {
		v = k->next;
		if ((rc = ydoc_key(k, "control", keys, &seen, x->err)) < 0)
			return rc;
		ydoc_path(path, sizeof path, "control", k->s);
		switch (rc) {
		case 0:
			rc = config_get_path(x, v, path, 0,
			    &x->c->control.socket);
			x->socket = v;
			break;
		case 1:
			rc = config_mode(x, v);
			break;
		case 2:
			rc = ydoc_get_u32(v, path, 1, 4096,
			    &x->c->control.max_clients, x->err);
			break;
		case 3:
			rc = ydoc_get_u32(v, path, 1024, 16 * 1024 * 1024,
			    &x->c->control.max_line, x->err);
			break;
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
config_keepalive(struct config_ctx *x, const struct ydoc_node *n)
{
	static const char *const keys[] = { "interval", "timeout", NULL };
	const struct ydoc_node *k, *v;
	char path[YDOC_PATH_MAX];
	uint64_t seen = 0;
	int rc;

	if ((rc = ydoc_want_map(n, "keepalive", x->err)) != 0)
		return rc;
	for (k = n->first; k != NULL; k = v->next) {
		v = k->next;
		if ((rc = ydoc_key(k, "keepalive", keys, &seen, x->err)) < 0)
			return rc;
		ydoc_path(path, sizeof path, "keepalive", k->s);
		if (rc == 0) {
			rc = ydoc_get_u32(v, path, CONFIG_KEEPALIVE_MIN,
			    CONFIG_KEEPALIVE_MAX, &x->c->keepalive.interval,
			    x->err);
			x->interval = v;
		} else {
			rc = ydoc_get_u32(v, path, 2 * CONFIG_KEEPALIVE_MIN,
			    CONFIG_TIMEOUT_MAX, &x->c->keepalive.timeout,
			    x->err);
			x->timeout = v;
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Every limit: its key, where it lives, and its bounds. */
struct config_limit {
	const char	*key;
	size_t		 off;
	uint32_t	 min;
	uint32_t	 max;
};

#define LIMIT(name, lo, hi) \
	{ #name, offsetof(struct mps_config, limits.name), (lo), (hi) }
static const struct config_limit config_limits[] = {
	LIMIT(max_devices, 1, 1000000),
	LIMIT(max_unauthenticated, 1, 1000000),
	LIMIT(auth_timeout, 1, 3600),
	LIMIT(channels_per_device, 1, 64),
	LIMIT(buffer_per_device, 4096, 64 * 1024 * 1024),
	LIMIT(max_message, 1024, 1024 * 1024),
	LIMIT(window, 1024, 16 * 1024 * 1024),
	LIMIT(request_timeout, 1, 3600),
	LIMIT(power_cooldown, 0, 3600),
	LIMIT(fd_reserve, 0, 4096),
	LIMIT(auth_failures_per_minute, 1, 1000000),
	LIMIT(handshakes_in_flight, 1, 100000),
};
#undef LIMIT
#define CONFIG_NLIMITS	(sizeof config_limits / sizeof config_limits[0])

static int
config_limits_section(struct config_ctx *x, const struct ydoc_node *n)
{
	const char *keys[CONFIG_NLIMITS + 1];
	const struct config_limit *l;
	const struct ydoc_node *k, *v;
	char path[YDOC_PATH_MAX];
	uint64_t seen = 0;
	size_t i;
	int rc;

	for (i = 0; i < CONFIG_NLIMITS; i++)
		keys[i] = config_limits[i].key;
	keys[i] = NULL;
	if ((rc = ydoc_want_map(n, "limits", x->err)) != 0)
		return rc;
	for (k = n->first; k != NULL; k = v->next) {
		v = k->next;
		if ((rc = ydoc_key(k, "limits", keys, &seen, x->err)) < 0)
			return rc;
		l = &config_limits[rc];
		ydoc_path(path, sizeof path, "limits", l->key);
		if ((rc = ydoc_get_u32(v, path, l->min, l->max,
		    (uint32_t *)(void *)((char *)x->c + l->off), x->err)) != 0)
			return rc;
		if (strcmp(l->key, "buffer_per_device") == 0)
			x->buffer_per_device = v;
		else if (strcmp(l->key, "max_message") == 0)
			x->max_message = v;
	}
	return 0;
}

static int
config_log(struct config_ctx *x, const struct ydoc_node *n)
{
	static const char *const keys[] = { "level", "format", NULL };
	const struct ydoc_node *k, *v;
	char path[YDOC_PATH_MAX];
	uint64_t seen = 0;
	int rc, e;

	if ((rc = ydoc_want_map(n, "log", x->err)) != 0)
		return rc;
	for (k = n->first; k != NULL; k = v->next) {
		v = k->next;
		if ((rc = ydoc_key(k, "log", keys, &seen, x->err)) < 0)
			return rc;
		ydoc_path(path, sizeof path, "log", k->s);
		if (rc == 0) {
			if ((rc = ydoc_get_enum(v, path, config_level_names,
			    &e, x->err)) != 0)
				return rc;
			x->c->log.level = (enum config_log_level)e;
		} else {
			if ((rc = ydoc_get_enum(v, path, config_format_names,
			    &e, x->err)) != 0)
				return rc;
			x->c->log.format = (enum config_log_format)e;
		}
	}
	return 0;
}

int
config_addr_is_loopback(const char *address)
{
	struct in_addr	a4;
	struct in6_addr	a6;

	if (inet_pton(AF_INET, address, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, address, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

const char *
config_listen_str(const struct config_listen *l, char *buf, size_t len)
{
	snprintf(buf, len, strchr(l->address, ':') != NULL ? "[%s]:%u" :
	    "%s:%u", l->address, l->port);
	return buf;
}

static int
config_addr_is_any(const char *address)
{
	return strcmp(address, "0.0.0.0") == 0 || strcmp(address, "::") == 0;
}

/*
 * "ADDR:PORT" or "[V6]:PORT", numeric, port 0-65535, into l with the
 * address in inet_ntop's spelling, so that duplicates compare equal
 * however they were written.  0, or -1 for anything else.
 */
static int
config_hostport(const char *s, struct config_listen *l)
{
	unsigned char	 addr[sizeof(struct in6_addr)];
	char		 host[INET6_ADDRSTRLEN];
	const char	*end, *p;
	size_t		 hlen;
	unsigned long	 port = 0;
	int		 af;

	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL || end[1] != ':')
			return -1;
		hlen = (size_t)(end - s - 1);
		s++;
		p = end + 2;
		af = AF_INET6;
	} else {
		if ((end = strchr(s, ':')) == NULL || strchr(end + 1, ':'))
			return -1;
		hlen = (size_t)(end - s);
		p = end + 1;
		af = AF_INET;
	}
	if (hlen == 0 || hlen >= sizeof(host) || *p == '\0' || strlen(p) > 5)
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port > 65535 || inet_pton(af, host, addr) != 1 ||
	    inet_ntop(af, addr, l->address, sizeof(l->address)) == NULL)
		return -1;
	l->port = (uint16_t)port;
	return 0;
}

static int
config_forward_section(struct config_ctx *x, const struct ydoc_node *n)
{
	static const char *const keys[] = { "allow_non_loopback",
	    "per_device", "connections", NULL };
	const struct ydoc_node *k, *v;
	char path[YDOC_PATH_MAX];
	uint64_t seen = 0;
	int rc;

	if ((rc = ydoc_want_map(n, "forward", x->err)) != 0)
		return rc;
	for (k = n->first; k != NULL; k = v->next) {
		v = k->next;
		if ((rc = ydoc_key(k, "forward", keys, &seen, x->err)) < 0)
			return rc;
		ydoc_path(path, sizeof path, "forward", k->s);
		switch (rc) {
		case 0:
			rc = ydoc_get_bool(v, path,
			    &x->c->forward.allow_non_loopback, x->err);
			break;
		case 1:
			rc = ydoc_get_u32(v, path, 1, CONFIG_FWD_PER_DEVICE_MAX,
			    &x->c->forward.per_device, x->err);
			break;
		case 2:
			rc = ydoc_get_u32(v, path, 1,
			    CONFIG_FWD_CONNECTIONS_MAX,
			    &x->c->forward.connections, x->err);
			break;
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
config_forwards_entry(struct config_ctx *x, const struct ydoc_node *item,
    size_t idx, struct config_forward *f)
{
	static const char *const keys[] = { "device", "port", "listen", NULL };
	const struct ydoc_node *k, *v;
	char prefix[YDOC_PATH_MAX], path[YDOC_PATH_MAX];
	uint64_t seen = 0;
	uint32_t u;
	const char *s;
	int rc;

	snprintf(prefix, sizeof prefix, "forwards[%zu]", idx);
	if ((rc = ydoc_want_map(item, prefix, x->err)) != 0)
		return rc;
	/* An ephemeral loopback port, as forward.open without listen. */
	snprintf(f->listen.address, sizeof f->listen.address, "127.0.0.1");
	for (k = item->first; k != NULL; k = v->next) {
		v = k->next;
		if ((rc = ydoc_key(k, prefix, keys, &seen, x->err)) < 0)
			return rc;
		ydoc_path(path, sizeof path, prefix, k->s);
		switch (rc) {
		case 0:
			if ((rc = ydoc_get_str(v, path, 64, &s, x->err)) != 0)
				return rc;
			if (devices_guid_canon(s, f->device) != 0)
				return ydoc_fail(x->err, v, "%s \"%.40s\" is "
				    "not a GUID (8-4-4-4-12 hex digits, e.g. "
				    "4c4c4544-0042-1000-8033-b6c04f504633)",
				    path, s);
			break;
		case 1:
			if ((rc = ydoc_get_u32(v, path, 1, 65535, &u,
			    x->err)) != 0)
				return rc;
			f->port = (uint16_t)u;
			break;
		case 2:
			if ((rc = ydoc_get_str(v, path, 128, &s, x->err)) != 0)
				return rc;
			if (config_hostport(s, &f->listen) != 0)
				return ydoc_fail(x->err, v, "%s must be "
				    "\"ADDR:PORT\" or \"[IPV6]:PORT\" with a "
				    "numeric address and a port from 0 (any "
				    "free port) to 65535, not \"%.64s\"",
				    path, s);
			break;
		}
	}
	if (f->device[0] == '\0')
		return ydoc_fail(x->err, item, "%s.device is required (the "
		    "device's GUID)", prefix);
	if (f->port == 0)
		return ydoc_fail(x->err, item, "%s.port is required (the "
		    "device port, e.g. 16994 for SOL)", prefix);
	return 0;
}

static int
config_forwards(struct config_ctx *x, const struct ydoc_node *n)
{
	struct config_forward *v = NULL;
	const struct ydoc_node *item;
	size_t i;
	int rc;

	free(x->c->forwards);
	x->c->forwards = NULL;
	x->c->nforwards = 0;
	if (ydoc_is_null(n))
		return 0;
	if ((rc = ydoc_want_seq(n, "forwards", x->err)) != 0)
		return rc;
	if (n->len > CONFIG_MAX_FORWARDS)
		return ydoc_fail(x->err, n, "forwards may have at most %d "
		    "entries (the daemon's limit on forwards), not %zu",
		    CONFIG_MAX_FORWARDS, n->len);
	if (n->len == 0)
		return 0;
	if ((v = calloc(n->len, sizeof(*v))) == NULL) {
		ydoc_fail(x->err, n, "out of memory");
		return MPS_ERR_NOMEM;
	}
	for (i = 0, item = n->first; item != NULL; item = item->next, i++)
		if ((rc = config_forwards_entry(x, item, i, &v[i])) != 0) {
			free(v);
			return rc;
		}
	x->c->forwards = v;
	x->c->nforwards = n->len;
	x->forwards = n;
	return 0;
}

/* The value of key in map n, or n itself when it has no such key. */
static const struct ydoc_node *
config_map_value(const struct ydoc_node *n, const char *key)
{
	const struct ydoc_node *k;

	for (k = n->first; k != NULL && k->next != NULL; k = k->next->next)
		if (k->kind == YDOC_SCALAR && strcmp(k->s, key) == 0)
			return k->next;
	return n;
}

/*
 * What needs forward: as well as forwards: (either may come first):
 * loopback unless allowed, no two entries on one address and port, at
 * most forward.per_device per device.
 */
static int
config_check_forwards(struct config_ctx *x)
{
	const struct mps_config *c = x->c;
	const struct config_forward *f, *g;
	const struct ydoc_node *item;
	char a[80], b[80];
	size_t i, j, same;

	for (i = 0, item = x->forwards != NULL ? x->forwards->first : NULL;
	    i < c->nforwards && item != NULL; i++, item = item->next) {
		f = &c->forwards[i];
		if (!c->forward.allow_non_loopback &&
		    !config_addr_is_loopback(f->listen.address))
			return ydoc_fail(x->err, config_map_value(item,
			    "listen"), "forwards[%zu].listen %s is not a "
			    "loopback address (127.0.0.0/8, ::1): a forward "
			    "hands out the device's port to whoever can "
			    "connect; set forward.allow_non_loopback: true to "
			    "allow it", i, f->listen.address);
		for (j = 0, same = 0; j < i; j++) {
			g = &c->forwards[j];
			if (strcmp(g->device, f->device) == 0)
				same++;
			if (f->listen.port == 0 ||
			    g->listen.port != f->listen.port)
				continue;
			if (strcmp(g->listen.address, f->listen.address) == 0 ||
			    config_addr_is_any(g->listen.address) ||
			    config_addr_is_any(f->listen.address))
				return ydoc_fail(x->err, config_map_value(item,
				    "listen"), "forwards[%zu].listen %s "
				    "collides with forwards[%zu] (%s): both "
				    "cannot be bound", i,
				    config_listen_str(&f->listen, a, sizeof a),
				    j, config_listen_str(&g->listen, b,
				    sizeof b));
		}
		if (same >= c->forward.per_device)
			return ydoc_fail(x->err, config_map_value(item,
			    "device"), "forwards[%zu]: device %s has more "
			    "than forward.per_device (%u) forwards; raise "
			    "forward.per_device (at most %d) or remove one",
			    i, f->device, c->forward.per_device,
			    CONFIG_FWD_PER_DEVICE_MAX);
	}
	return 0;
}

/*
 * Asks OpenSSL whether it understands the cipher strings, so a typo is
 * reported here with its position rather than at the first handshake.
 */
static int
config_check_ciphers(struct config_ctx *x)
{
	SSL_CTX *ctx;
	int rc = 0;

	if (x->c->tls.ciphers == NULL && x->c->tls.ciphersuites == NULL)
		return 0;
	if ((ctx = SSL_CTX_new(TLS_method())) == NULL) {
		ydoc_fail(x->err, NULL, "cannot create a TLS context to check "
		    "tls.ciphers");
		return MPS_ERR_TLS;
	}
	if (x->c->tls.ciphers != NULL &&
	    SSL_CTX_set_cipher_list(ctx, x->c->tls.ciphers) != 1)
		rc = ydoc_fail(x->err, x->ciphers, "tls.ciphers: OpenSSL "
		    "finds no usable cipher in \"%.80s\"", x->c->tls.ciphers);
	else if (x->c->tls.ciphersuites != NULL &&
	    SSL_CTX_set_ciphersuites(ctx, x->c->tls.ciphersuites) != 1)
		rc = ydoc_fail(x->err, x->ciphersuites, "tls.ciphersuites: "
		    "OpenSSL does not accept \"%.80s\" (TLS 1.3 suites such "
		    "as TLS_AES_128_GCM_SHA256)", x->c->tls.ciphersuites);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

/* The checks that need more than one key. */
static int
config_cross_checks(struct config_ctx *x, const struct ydoc_node *root)
{
	struct mps_config *c = x->c;
	const char *def;
	int rc;

	if (c->tls.certificate != NULL && c->tls.key == NULL)
		return ydoc_fail(x->err, x->certificate, "tls.certificate is "
		    "set but tls.key is not; give both, or neither for a "
		    "generated development certificate");
	if (c->tls.key != NULL && c->tls.certificate == NULL)
		return ydoc_fail(x->err, x->key, "tls.key is set but "
		    "tls.certificate is not; give both, or neither for a "
		    "generated development certificate");
	if (c->tls.require_client_cert && c->tls.client_ca == NULL)
		return ydoc_fail(x->err, x->require_client_cert,
		    "tls.require_client_cert needs tls.client_ca");
	/* Without an explicit minimum the profile chooses it. */
	if (x->min_version == NULL) {
		def = c->tls.profile == CONFIG_TLS_LEGACY ? "1.0" : "1.2";
		free(c->tls.min_version);
		if ((c->tls.min_version = strdup(def)) == NULL) {
			ydoc_fail(x->err, NULL, "out of memory");
			return MPS_ERR_NOMEM;
		}
	}
	if (c->tls.profile == CONFIG_TLS_MODERN &&
	    strcmp(c->tls.min_version, "1.2") < 0)
		return ydoc_fail(x->err, x->min_version, "tls.min_version %s "
		    "needs tls.profile: legacy (for AMT 11 and older); the "
		    "modern profile allows 1.2 and 1.3", c->tls.min_version);
	if (x->timeout == NULL) {
		/* Only the interval was given: keep the 3x default ratio. */
		c->keepalive.timeout = 3 * c->keepalive.interval;
	} else if (c->keepalive.timeout < 2 * c->keepalive.interval)
		return ydoc_fail(x->err, x->timeout, "keepalive.timeout must "
		    "be at least 2 * keepalive.interval (%u)",
		    2 * c->keepalive.interval);
	if (c->limits.buffer_per_device < c->limits.max_message)
		return ydoc_fail(x->err, x->buffer_per_device ?
		    x->buffer_per_device : x->max_message,
		    "limits.buffer_per_device (%u) must be at least "
		    "limits.max_message (%u)", c->limits.buffer_per_device,
		    c->limits.max_message);
	if (strlen(c->control.socket) > CONFIG_SOCKET_MAX)
		return ydoc_fail(x->err, x->socket ? x->socket : root,
		    "control.socket \"%.60s...\" is longer than the %zu bytes "
		    "a Unix socket path may have", c->control.socket,
		    CONFIG_SOCKET_MAX);
	if ((rc = config_check_forwards(x)) != 0)
		return rc;
	return config_check_ciphers(x);
}

static int
config_walk(struct config_ctx *x, const struct ydoc_node *root)
{
	static const char *const keys[] = { "listen", "state_dir", "tls",
	    "control", "devices_file", "keepalive", "limits", "log", "forward",
	    "forwards", NULL };
	const struct ydoc_node *k, *v;
	uint64_t seen = 0;
	int rc;

	if (root == NULL)
		return 0;
	if (root->kind != YDOC_MAP && !ydoc_is_null(root))
		return ydoc_fail(x->err, root, "the configuration must be a "
		    "mapping of keys (listen:, tls:, ...), not a %s",
		    ydoc_kind_name(root->kind));
	if (root->kind != YDOC_MAP)
		return 0;
	for (k = root->first; k != NULL; k = v->next) {
		v = k->next;
		if ((rc = ydoc_key(k, "", keys, &seen, x->err)) < 0)
			return rc;
		switch (rc) {
		case 0:
			rc = config_listen(x, v);
			break;
		case 1:
			rc = config_get_path(x, v, "state_dir", 0,
			    &x->c->state_dir);
			x->state_dir = v;
			break;
		case 2:
			rc = config_tls(x, v);
			break;
		case 3:
			rc = config_control(x, v);
			break;
		case 4:
			rc = config_get_path(x, v, "devices_file", 1,
			    &x->c->devices_file);
			break;
		case 5:
			rc = config_keepalive(x, v);
			break;
		case 6:
			rc = config_limits_section(x, v);
			break;
		case 7:
			rc = config_log(x, v);
			break;
		case 8:
			rc = config_forward_section(x, v);
			break;
		case 9:
			rc = config_forwards(x, v);
			break;
		}
		if (rc != 0)
			return rc;
	}
	return config_cross_checks(x, root);
}

int
config_load_buffer(const char *data, size_t len, const char *name,
    const char *basedir, struct mps_config **out, struct config_err *err)
{
	struct config_err local;
	struct config_ctx x;
	struct ydoc doc;
	char cwd[PATH_MAX];
	int rc;

	if (err == NULL)
		err = &local;
	ydoc_err_init(err, name);
	*out = NULL;
	memset(&doc, 0, sizeof doc);
	memset(&x, 0, sizeof x);
	x.err = err;
	if (basedir == NULL) {
		if (getcwd(cwd, sizeof cwd) == NULL)
			return ydoc_fail(err, NULL, "cannot find the current "
			    "directory for relative paths");
		basedir = cwd;
	}
	x.basedir = basedir;
	if (len > CONFIG_MAX_FILE)
		return ydoc_fail(err, NULL, "file is larger than the limit of "
		    "%d bytes", CONFIG_MAX_FILE);
	if ((x.c = calloc(1, sizeof *x.c)) == NULL ||
	    config_set_defaults(x.c, CONFIG_FILE_STATE_DIR,
	    CONFIG_FILE_SOCKET) != 0) {
		config_free(x.c);
		ydoc_fail(err, NULL, "out of memory");
		return MPS_ERR_NOMEM;
	}
	if ((rc = ydoc_parse(&doc, data, len, CONFIG_MAX_NODES, err)) == 0)
		rc = config_walk(&x, doc.root);
	ydoc_free(&doc);
	if (rc != 0) {
		config_free(x.c);
		return rc == MPS_ERR_NOMEM ? rc : MPS_ERR_CONFIG;
	}
	*out = x.c;
	return 0;
}

int
config_load(const char *path, struct mps_config **out,
    struct config_err *err)
{
	struct config_err local;
	char *buf, *dir, *slash, *real;
	size_t len;
	int rc;

	if (err == NULL)
		err = &local;
	*out = NULL;
	ydoc_err_init(err, path);
	if ((rc = ydoc_read_file(path, CONFIG_MAX_FILE, &buf, &len, err)) != 0)
		return rc == MPS_ERR_NOMEM ? rc : MPS_ERR_CONFIG;
	/* Relative paths inside resolve against the file's own directory. */
	dir = strrchr(path, '/') ? strdup(path) : strdup(".");
	if (dir == NULL) {
		free(buf);
		ydoc_fail(err, NULL, "out of memory");
		return MPS_ERR_NOMEM;
	}
	if ((slash = strrchr(dir, '/')) == dir)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	if ((real = realpath(dir, NULL)) == NULL) {
		free(dir);
		free(buf);
		return ydoc_fail(err, NULL, "cannot resolve the directory of "
		    "the file");
	}
	free(dir);
	rc = config_load_buffer(buf, len, path, real, out, err);
	free(real);
	free(buf);
	if (rc != 0)
		return rc;
	if (((*out)->path = realpath(path, NULL)) == NULL &&
	    ((*out)->path = strdup(path)) == NULL) {
		config_free(*out);
		*out = NULL;
		ydoc_fail(err, NULL, "out of memory");
		return MPS_ERR_NOMEM;
	}
	return 0;
}

/* A double-quoted YAML string; escapes what YAML would not take raw. */
static void
config_dump_str(FILE *fp, const char *s)
{
	const unsigned char *p;

	if (s == NULL) {
		fputs("null", fp);
		return;
	}
	fputc('"', fp);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(fp, "\\x%02x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

static void
config_dump_kv(FILE *fp, const char *indent, const char *key, const char *s)
{
	fprintf(fp, "%s%s: ", indent, key);
	config_dump_str(fp, s);
	fputc('\n', fp);
}

void
config_dump(const struct mps_config *c, FILE *fp)
{
	char buf[80];
	size_t i;

	fputs("# amt-mps effective configuration\n", fp);
	fputs("listen:\n", fp);
	for (i = 0; i < c->nlisten; i++) {
		fputs("  - {address: ", fp);
		config_dump_str(fp, c->listen[i].address);
		fprintf(fp, ", port: %u}\n", c->listen[i].port);
	}
	config_dump_kv(fp, "", "state_dir", c->state_dir);
	fputs("tls:\n", fp);
	config_dump_kv(fp, "  ", "certificate", c->tls.certificate);
	config_dump_kv(fp, "  ", "key", c->tls.key);
	config_dump_kv(fp, "  ", "client_ca", c->tls.client_ca);
	fprintf(fp, "  require_client_cert: %s\n",
	    c->tls.require_client_cert ? "true" : "false");
	config_dump_kv(fp, "  ", "min_version", c->tls.min_version);
	config_dump_kv(fp, "  ", "ciphers", c->tls.ciphers);
	config_dump_kv(fp, "  ", "ciphersuites", c->tls.ciphersuites);
	fprintf(fp, "  profile: %s\n", config_tls_profile_name(c->tls.profile));
	fputs("control:\n", fp);
	config_dump_kv(fp, "  ", "socket", c->control.socket);
	fprintf(fp, "  mode: \"%04o\"\n", (unsigned)c->control.mode);
	fprintf(fp, "  max_clients: %u\n", c->control.max_clients);
	fprintf(fp, "  max_line: %u\n", c->control.max_line);
	config_dump_kv(fp, "", "devices_file", c->devices_file);
	fputs("keepalive:\n", fp);
	fprintf(fp, "  interval: %u\n", c->keepalive.interval);
	fprintf(fp, "  timeout: %u\n", c->keepalive.timeout);
	fputs("limits:\n", fp);
	for (i = 0; i < CONFIG_NLIMITS; i++)
		fprintf(fp, "  %s: %u\n", config_limits[i].key,
		    *(const uint32_t *)(const void *)((const char *)c +
		    config_limits[i].off));
	fputs("log:\n", fp);
	fprintf(fp, "  level: %s\n", config_log_level_name(c->log.level));
	fprintf(fp, "  format: %s\n", config_log_format_name(c->log.format));
	fputs("forward:\n", fp);
	fprintf(fp, "  allow_non_loopback: %s\n",
	    c->forward.allow_non_loopback ? "true" : "false");
	fprintf(fp, "  per_device: %u\n", c->forward.per_device);
	fprintf(fp, "  connections: %u\n", c->forward.connections);
	fputs(c->nforwards == 0 ? "forwards: []\n" : "forwards:\n", fp);
	for (i = 0; i < c->nforwards; i++) {
		fprintf(fp, "  - {device: %s, port: %u, listen: ",
		    c->forwards[i].device, c->forwards[i].port);
		config_dump_str(fp, config_listen_str(&c->forwards[i].listen,
		    buf, sizeof buf));
		fputs("}\n", fp);
	}
}
