/*
 * config.h: the daemon configuration (amt-mps.yaml) as a validated struct.
 *
 * config_load() parses YAML with libyaml into a fresh struct, checks every
 * key (unknown keys are errors) and every value, and only then hands it
 * over; the caller swaps it in.  Errors carry file:line:col.  Relative paths
 * in the file are resolved against the file's directory.  Every key, its
 * default and its bounds are documented in docs/configuration.md.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define CONFIG_MAX_LISTEN	8
#define CONFIG_DEFAULT_PATH	"/etc/amt-mps/amt-mps.yaml"
#define CONFIG_MAX_FILE		(1024 * 1024)	/* bytes of amt-mps.yaml */

/* Built-in defaults (no file): state in ./amt-mps-state, socket inside. */
#define CONFIG_DEFAULT_STATE_DIR "amt-mps-state"
/* Defaults when a file is loaded but does not set the key. */
#define CONFIG_FILE_STATE_DIR	"/var/lib/amt-mps"
#define CONFIG_FILE_SOCKET	"/run/amt-mps/control.sock"

#define CONFIG_KEEPALIVE_MIN	5	/* s, keepalive.interval bounds */
#define CONFIG_KEEPALIVE_MAX	3600
#define CONFIG_TIMEOUT_MAX	86400	/* s, keepalive.timeout */

/* forward.per_device and forward.connections: defaults and bounds. */
#define CONFIG_FWD_PER_DEVICE	16
#define CONFIG_FWD_PER_DEVICE_MAX 256
#define CONFIG_FWD_CONNECTIONS	64
#define CONFIG_FWD_CONNECTIONS_MAX 1024
/* Entries in forwards: (the daemon's global cap, FWD_MAX, is as large). */
#define CONFIG_MAX_FORWARDS	256

/* Where and why loading failed: "file:line:col: message". */
struct config_err {
	char	file[256];
	int	line;		/* 1-based, 0 if not about a position */
	int	col;		/* 1-based */
	char	msg[256];
};

/* Formats err as "file:line:col: msg" (or "file: msg") into buf. */
void	config_err_format(const struct config_err *err, char *buf, size_t len);

enum config_tls_profile {
	CONFIG_TLS_MODERN = 0,	/* min TLS 1.2, default cipher list */
	CONFIG_TLS_LEGACY,	/* AMT 11 and older: TLS 1.0+, @SECLEVEL=0 */
};

enum config_log_format {
	CONFIG_LOG_TEXT = 0,
	CONFIG_LOG_JSON,
};

enum config_log_level {
	CONFIG_LOG_ERROR = 0,
	CONFIG_LOG_WARN,
	CONFIG_LOG_INFO,
	CONFIG_LOG_DEBUG,
};

struct config_listen {
	char		address[64];	/* numeric IPv4/IPv6 */
	uint16_t	port;
};

/* One entry of forwards: (opened at daemon start). */
struct config_forward {
	char			device[37];	/* lowercase canonical GUID */
	uint16_t		port;		/* device port */
	struct config_listen	listen;		/* canonical; port 0 = any */
};

struct mps_config {
	char			*path;		/* file loaded, NULL = built-in */
	struct config_listen	 listen[CONFIG_MAX_LISTEN];
	size_t			 nlisten;
	char			*state_dir;	/* dev certificate, runtime files */

	struct {
		char	*certificate;	/* PEM, NULL = generate dev cert */
		char	*key;
		char	*client_ca;	/* NULL = no client cert verification */
		int	 require_client_cert;
		char	*min_version;	/* "1.0" "1.1" "1.2" "1.3" */
		char	*ciphers;	/* TLS <= 1.2 list, NULL = default */
		char	*ciphersuites;	/* TLS 1.3, NULL = default */
		enum config_tls_profile profile;
	} tls;

	struct {
		char	*socket;	/* control socket path */
		mode_t	 mode;		/* default 0660 */
		uint32_t max_clients;	/* default 64 */
		uint32_t max_line;	/* request line bytes, default 65536 */
	} control;

	char	*devices_file;

	struct {
		uint32_t interval;	/* s, sent in KEEPALIVE_OPTIONS (30) */
		uint32_t timeout;	/* s, idle cut-off (90, >= 2*interval) */
	} keepalive;

	struct {
		uint32_t max_devices;		/* authenticated tunnels (20000) */
		uint32_t max_unauthenticated;	/* in handshake/auth (1000) */
		uint32_t auth_timeout;		/* s from accept (30) */
		uint32_t channels_per_device;	/* (8) */
		uint32_t buffer_per_device;	/* bytes queued to a device (1 MiB) */
		uint32_t max_message;		/* largest CHANNEL_DATA (64 KiB) */
		uint32_t window;		/* APF receive window (64 KiB) */
		uint32_t request_timeout;	/* s per WS-Man request (30) */
		uint32_t power_cooldown;	/* s between power actions (10) */
		uint32_t fd_reserve;		/* fds kept free (32) */
		uint32_t auth_failures_per_minute; /* per source before delay (10) */
		uint32_t handshakes_in_flight;	/* concurrent TLS handshakes (256) */
	} limits;

	struct {
		enum config_log_level	level;
		enum config_log_format	format;
	} log;

	struct {
		int	 allow_non_loopback;	/* listen beyond loopback (0) */
		uint32_t per_device;		/* forwards per device (16) */
		uint32_t connections;		/* per forward (64) */
	} forward;

	struct config_forward	*forwards;	/* NULL when nforwards is 0 */
	size_t			 nforwards;
};

/* "modern"/"legacy", "error".."debug", "text"/"json"; never NULL. */
const char *config_tls_profile_name(enum config_tls_profile p);
const char *config_log_level_name(enum config_log_level l);
const char *config_log_format_name(enum config_log_format f);

/*
 * A config holding the built-in defaults for a first try without a file:
 * listen 0.0.0.0:4433, state_dir <cwd>/amt-mps-state (made absolute now),
 * control.socket <state_dir>/control.sock, no certificate (the daemon
 * generates a development one), no devices file.  NULL if out of memory.
 */
struct mps_config *config_new_defaults(void);

/*
 * Loads and validates path.  On success *out is a new config (free with
 * config_free) and 0 is returned; on failure err is filled and
 * MPS_ERR_CONFIG returned (MPS_ERR_NOMEM if memory ran out).  err may be
 * NULL.  The file is at most CONFIG_MAX_FILE bytes; keys it does not set
 * take the defaults of docs/configuration.md (state_dir
 * CONFIG_FILE_STATE_DIR, control.socket CONFIG_FILE_SOCKET, the rest as
 * config_new_defaults).  c->path is the file's absolute path.
 */
int	config_load(const char *path, struct mps_config **out,
	    struct config_err *err);

/*
 * Like config_load on data[0..len) (need not be NUL-terminated).  name is
 * only used in err->file; relative paths resolve against basedir (an
 * absolute directory; NULL means the current directory).  c->path stays
 * NULL.
 */
int	config_load_buffer(const char *data, size_t len, const char *name,
	    const char *basedir, struct mps_config **out,
	    struct config_err *err);

/*
 * 1 if the numeric address is loopback (127.0.0.0/8, ::1): forwards
 * listen only there unless forward.allow_non_loopback.  0 otherwise, also
 * for what is not a numeric address.
 */
int	config_addr_is_loopback(const char *address);

/* "ADDR:PORT" or "[V6]:PORT" into buf (at least 72 bytes). */
const char *config_listen_str(const struct config_listen *l, char *buf,
	    size_t len);

/* Frees c and everything it owns; NULL is fine. */
void	config_free(struct mps_config *c);

/*
 * Writes the effective configuration as YAML (amt-mps -T): every key,
 * absolute paths, unset values as null.  config_load accepts the output
 * and yields an equal configuration.
 */
void	config_dump(const struct mps_config *c, FILE *fp);

#endif /* CONFIG_H */
