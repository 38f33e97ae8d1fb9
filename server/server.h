/*
 * server.h: the amt-mps daemon.  Shared types first, then one banner per
 * file with that file's functions, so this header is the table of contents
 * (relayd/smtpd style).  Every function follows the project convention:
 * 0 or a negative MPS_ERR_* (mps_err.h), NULL for failed pointers.
 *
 * Objects and their lifetimes:
 *   struct dev_conn    one per accepted TLS connection (device.c); freed
 *                      from a fresh event after dev_close(), never inside
 *                      a callback that may still use it;
 *   struct reg_node    embedded in dev_conn: the GUID registration
 *                      (registry.c);
 *   struct ctl_client  one per control-socket client (control.c);
 *   struct ctl_req     one per control request until it is answered; it
 *                      names its client by id, so the client may go away
 *                      meanwhile (async methods).
 *
 * Device operations have their own headers (relay.h, transport.h, ops.h):
 *   struct relay       one local fd <-> one APF channel (relay.c); on
 *                      c->relays while it has a channel; outlives its fd
 *                      until the channel's last event, then reaped;
 *   struct transport_dev  curl handle, internal listener and live HTTP
 *                      connection of one device (transport.c, c->xport);
 *   struct ops_dev     the device's operation queue (ops.c, c->ops);
 *   struct ctl_ops_run one control request on one device or a fleet
 *                      (ctl_ops.c), freed when it has answered.
 * dev_closing() fails a tunnel's operations and flushes its relays
 * (ops_dev_gone, relay_dev_gone) before anything else can use it.
 */
#ifndef SERVER_H
#define SERVER_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <openssl/ssl.h>

#include "apf_session.h"
#include "config.h"
#include "devices.h"
#include "log.h"
#include "mps_err.h"
#include "relay.h"

struct bufferevent;
struct event;
struct event_base;
struct evbuffer;

/* ---------------------------------------------------------------- util.c */

/* A peer address kept compactly (20 bytes instead of sockaddr_storage). */
struct peer_addr {
	uint8_t		family;		/* AF_INET, AF_INET6, AF_UNIX, 0 */
	uint8_t		pad;
	uint16_t	port;		/* host order */
	uint8_t		addr[16];	/* IPv4 in the first 4 bytes */
};

#define PEER_STRLEN	64	/* "[v6]:port" with room to spare */
#define ISO8601_LEN	32

int	 util_peer_set(struct peer_addr *p, const struct sockaddr *sa,
	    socklen_t len);
/* "192.0.2.1:4433" or "[2001:db8::1]:4433"; returns buf. */
const char *util_peer_str(const struct peer_addr *p, char buf[PEER_STRLEN]);
/* "2026-11-24T10:00:00Z"; returns buf. */
const char *util_iso8601(time_t t, char buf[ISO8601_LEN]);
/* Seconds since the daemon started, from CLOCK_MONOTONIC; at least 1. */
uint32_t util_mono(void);
/* Resident set size in bytes (/proc/self/statm), 0 if unknown. */
uint64_t util_rss_bytes(void);
/* Bytes allocated from malloc and in use (mallinfo2). */
uint64_t util_heap_bytes(void);
/* mkdir -p with mode for the directories it creates. 0 or MPS_ERR_IO. */
int	 util_mkdir_p(const char *path, mode_t mode);
/* Open file descriptors of this process (/proc/self/fd), -1 if unknown. */
int	 util_count_fds(void);
/* A log-safe copy of untrusted bytes: printable ASCII, others as '?',
 * double quotes as '\''; truncated to cap-1.  Returns buf. */
const char *util_sanitize(const void *p, size_t len, char *buf, size_t cap);

/* ------------------------------------------------------------ registry.c */

/*
 * One GUID registration.  Lives inside its owner (struct dev_conn), so the
 * registry allocates nothing per device.  The registry compares node
 * pointers on removal: a closing old connection can never unregister the
 * newer connection that replaced it (IMPS #441).
 */
struct reg_node {
	struct reg_node	*next;		/* hash chain */
	uint32_t	 hash;
	char		 guid[APF_GUID_STRLEN + 1];	/* lowercase */
};

struct registry {
	struct reg_node	**buckets;
	size_t		  nbuckets;	/* power of two */
	size_t		  n;
};

#define REG_MAX_MATCHES	16	/* GUIDs reported for an ambiguous selector */
#define REG_MIN_PREFIX	4	/* hex digits a prefix selector needs */

struct reg_resolve {
	char		 guid[APF_GUID_STRLEN + 1]; /* when found */
	struct reg_node	*node;		/* NULL: known but not connected */
	const struct device_entry *entry; /* devices-file entry or NULL */
	size_t		 nmatches;	/* for MPS_ERR_AMBIGUOUS (capped) */
	size_t		 nmatches_total;
	char		 matches[REG_MAX_MATCHES][APF_GUID_STRLEN + 1];
};

int	 registry_init(struct registry *r);
void	 registry_clear(struct registry *r);	/* frees buckets, not nodes */
struct reg_node *registry_find(const struct registry *r, const char *guid);
/*
 * Registers n (guid already set, lowercase).  If another node held the
 * GUID it is unlinked and returned in *replaced (newest wins); the caller
 * disconnects its owner.  0 or MPS_ERR_NOMEM.
 */
int	 registry_insert(struct registry *r, struct reg_node *n,
	    struct reg_node **replaced);
/* Unregisters n if, and only if, n itself is registered.  1 if removed. */
int	 registry_remove(struct registry *r, struct reg_node *n);
/* Calls fn for every node; fn must not change the registry. */
void	 registry_foreach(const struct registry *r,
	    void (*fn)(struct reg_node *, void *), void *arg);
/*
 * Resolves a selector: full GUID (any case), friendly name from the
 * devices file, or unique GUID prefix of >= REG_MIN_PREFIX hex digits
 * (over connected GUIDs and devices-file GUIDs).  Returns 0 (res->node
 * set), MPS_ERR_NOT_CONNECTED (res->guid set, no tunnel),
 * MPS_ERR_NOT_FOUND or MPS_ERR_AMBIGUOUS (res->matches).
 */
int	 registry_resolve(const struct registry *r, const struct devices *d,
	    const char *sel, struct reg_resolve *res);

/* ---------------------------------------------------------------- auth.c */

#define AUTH_CACHE_SIZE		65536	/* verified credentials remembered */
#define AUTH_THROTTLE_SIZE	4096	/* source addresses tracked */
#define AUTH_DELAY_MAX		30	/* s, longest delayed failure */

/* Why a USERAUTH_REQUEST was refused (or not). */
#define AUTH_RESULTS(X)						\
	X(AUTH_OK,		"ok")					\
	X(AUTH_UNKNOWN_DEVICE,	"unknown device")			\
	X(AUTH_NO_CREDENTIALS,	"no MPS credentials configured")	\
	X(AUTH_BAD_METHOD,	"unsupported auth method")		\
	X(AUTH_BAD_USERNAME,	"bad username")				\
	X(AUTH_BAD_PASSWORD,	"bad password")				\
	X(AUTH_BAD_HASH,	"malformed password hash")

enum auth_result {
#define AUTH_RESULT_ENUM(name, str) name,
	AUTH_RESULTS(AUTH_RESULT_ENUM)
#undef AUTH_RESULT_ENUM
	AUTH_RESULT_MAX
};

/*
 * Verified-credential cache: a set of HMAC-SHA256(process secret,
 * hash || 0 || password) keys, direct-mapped and overwritten on collision,
 * so it is bounded and O(1).  Only successful verifications go in; a hit
 * skips PBKDF2.  The key covers the hash string (with its salt), so a
 * changed devices file never validates an old password.
 */
struct auth_cache {
	uint8_t		(*slots)[32];	/* lazily touched (calloc) */
	size_t		  size;		/* power of two */
	uint8_t		  secret[32];
	uint64_t	  hits, misses;
};

/*
 * Failed-auth throttle per source address: a bounded table, least
 * recently used entry evicted when full.  Failures are counted in a fixed
 * one-minute window; beyond limit, each further failure's verdict is
 * delayed 1, 2, 4 ... AUTH_DELAY_MAX seconds.  Nobody is banned: honest
 * devices behind the same NAT still authenticate at full speed, only the
 * guesser's failures get slow.
 */
struct auth_throttle_entry {
	TAILQ_ENTRY(auth_throttle_entry) lru;
	struct auth_throttle_entry *hnext;
	uint8_t		family;
	uint8_t		addr[16];
	int64_t		window;		/* start of the counting minute */
	uint32_t	failures;	/* in this window */
};

struct auth_throttle {
	struct auth_throttle_entry	**buckets;
	size_t				  nbuckets;
	TAILQ_HEAD(auth_throttle_head, auth_throttle_entry) lru;	/* most recent first */
	size_t				  n, max;
	uint32_t			  limit;	/* failures/minute free */
};

struct auth {
	struct auth_cache	cache;
	struct auth_throttle	throttle;
};

int	 auth_cache_init(struct auth_cache *c, size_t size);
void	 auth_cache_free(struct auth_cache *c);
/* 1 if (hash, pw) was verified before. */
int	 auth_cache_lookup(struct auth_cache *c, const char *hash,
	    const void *pw, size_t len);
void	 auth_cache_add(struct auth_cache *c, const char *hash,
	    const void *pw, size_t len);

int	 auth_throttle_init(struct auth_throttle *t, size_t max,
	    uint32_t limit);
void	 auth_throttle_free(struct auth_throttle *t);
/*
 * Records a failure from addr at now (seconds) and returns the delay in
 * seconds to apply to its verdict (0 while under the limit).
 */
uint32_t auth_throttle_fail(struct auth_throttle *t,
	    const struct peer_addr *addr, int64_t now);
/* Failures counted for addr in its current window (tests, stats). */
uint32_t auth_throttle_count(const struct auth_throttle *t,
	    const struct peer_addr *addr, int64_t now);

int	 auth_init(struct auth *a, size_t cache_size, size_t throttle_size,
	    uint32_t failures_per_minute);
void	 auth_free(struct auth *a);
/*
 * The verdict for one USERAUTH_REQUEST.  *cached is set to 1 when the
 * cache spared a PBKDF2 run.  Constant-time comparisons throughout.
 */
enum auth_result auth_check(struct auth *a, const struct devices *d,
	    const char *guid, const struct apf_str *user,
	    const struct apf_str *method, const struct apf_str *password,
	    int *cached);
const char *auth_result_str(enum auth_result r);

/* ----------------------------------------------------------------- tls.c */

struct tls_info {
	char	certificate[4096];	/* file in use */
	char	key[4096];
	char	root[4096];		/* dev cert: root to install, or "" */
	char	fingerprint[96];	/* SHA-256 of the leaf, colon form */
	int	dev_cert;		/* 1: generated development cert */
};

/*
 * Builds the listener SSL_CTX from cfg; with no tls.certificate, creates
 * state_dir (0700) and a development certificate there on first start
 * (certs_make_dev_cert) and warns loudly.  check_only: build and drop,
 * never create files (amt-mps -t).  0 or MPS_ERR_TLS/MPS_ERR_CONFIG with
 * a logged explanation.
 */
int	 tls_init(const struct mps_config *cfg, int check_only);
/*
 * Rebuilds the SSL_CTX from the files of cfg and swaps it in for new
 * handshakes; established connections keep theirs.  On failure the old
 * context stays and the error is logged.
 */
int	 tls_reload(const struct mps_config *cfg, char *err, size_t errlen);
/* A new server SSL for an accepted connection, or NULL. */
SSL	*tls_ssl_new(void);
const struct tls_info *tls_get_info(void);
void	 tls_shutdown(void);
/* Drains the OpenSSL error queue into buf ("" if empty); returns buf. */
const char *tls_errors(char *buf, size_t len);

/* ------------------------------------------------------------ listener.c */

int	 listener_init(const struct mps_config *cfg);
/*
 * Re-evaluates the accept gate: pauses every listener while too many
 * handshakes or unauthenticated connections are in flight or descriptors
 * run low; resumes when they drop.  Cheap; call after counts change.
 */
void	 listener_update(void);
void	 listener_shutdown(void);

/* -------------------------------------------------------------- device.c */

enum dev_state {
	DEV_HANDSHAKE,		/* TLS handshake in progress */
	DEV_APF,		/* TLS up, APF before authentication */
	DEV_ACTIVE,		/* authenticated and registered */
	DEV_CLOSING,		/* flushing a goodbye, then freed */
};

/* Why a connection ended: the name table is the stats/events vocabulary. */
#define DEV_CLOSE_REASONS(X)						\
	X(DEV_CLOSE_NONE,	"none")					\
	X(DEV_CLOSE_EOF,	"closed by device")			\
	X(DEV_CLOSE_DISCONNECT,	"device sent DISCONNECT")		\
	X(DEV_CLOSE_TLS,	"tls error")				\
	X(DEV_CLOSE_IO,		"i/o error")				\
	X(DEV_CLOSE_PROTOCOL,	"protocol error")			\
	X(DEV_CLOSE_AUTH_TIMEOUT, "auth timeout")			\
	X(DEV_CLOSE_AUTH_FAILED, "auth failed")				\
	X(DEV_CLOSE_TOO_MANY,	"too many devices")			\
	X(DEV_CLOSE_IDLE,	"idle timeout")				\
	X(DEV_CLOSE_REPLACED,	"replaced by newer connection")		\
	X(DEV_CLOSE_OPERATOR,	"disconnected by operator")		\
	X(DEV_CLOSE_OUTPUT_FULL, "output buffer full")			\
	X(DEV_CLOSE_SHUTDOWN,	"server shutdown")			\
	X(DEV_CLOSE_NOMEM,	"out of memory")

enum dev_close_reason {
#define DEV_CLOSE_ENUM(name, str) name,
	DEV_CLOSE_REASONS(DEV_CLOSE_ENUM)
#undef DEV_CLOSE_ENUM
	DEV_CLOSE_MAX
};

#define DEV_USER_MAX	32	/* MPS username kept for devices.get */

/*
 * One CIRA tunnel.  Kept small (it exists 20,000 times): no timers of its
 * own (the 1 s tick and a timing wheel cover every deadline), two
 * evbuffers that are empty at idle, the APF session created only once TLS
 * is up.
 */
struct dev_conn {
	TAILQ_ENTRY(dev_conn) wheel;	/* timing-wheel slot (or due list) */
	struct reg_node	 reg;		/* GUID registration when ACTIVE */
	uint64_t	 id;		/* conn=N in logs, conn_id in JSON */
	TAILQ_ENTRY(dev_conn) dirty;	/* output waiting for the flusher */
	SSL		*ssl;		/* TLS on fd (device.c reads/writes) */
	struct event	*rev;		/* fd readable (persistent) */
	struct event	*wev;		/* fd writable: only while blocked */
	struct evbuffer	*in;		/* plaintext not yet taken by sess */
	struct evbuffer	*out;		/* APF messages not yet encrypted */
	struct evbuffer	*wire;		/* TLS records not yet written */
	int		 fd;
	struct apf_session *sess;	/* NULL during the handshake */
	struct peer_addr peer;
	uint8_t		 state;		/* enum dev_state */
	uint8_t		 where;		/* wheel bookkeeping */
	uint8_t		 close_reason;	/* enum dev_close_reason */
	uint8_t		 nforwards;	/* tcpip-forwards seen */
	uint16_t	 flags;		/* DEV_F_* */
	uint32_t	 wake;		/* mono s: next deadline */
	uint32_t	 accepted;	/* mono s */
	uint32_t	 last_rx;	/* mono s */
	uint32_t	 ka_due;	/* mono s: send KEEPALIVE_OPTIONS; 0 */
	uint32_t	 authed;	/* mono s */
	uint32_t	 verdict_due;	/* mono s: delayed auth failure */
	uint32_t	 linger_until;	/* mono s: CLOSING deadline */
	uint32_t	 idle_timeout;	/* s */
	uint32_t	 ka_interval;	/* negotiated, 0 before the reply */
	time_t		 connected_at;	/* wall clock, accept */
	time_t		 last_keepalive; /* wall clock, 0 = none yet */
	uint64_t	 bytes_in, bytes_out;
	uint8_t		 verdict_reason; /* enum auth_result, delayed */
	struct relay_list relays;	/* channel streams (relay.c) */
	struct ops_dev	*ops;		/* WS-Man queue (ops.c), lazily */
	struct transport_dev *xport;	/* curl side (transport.c), lazily */
	char		 user[DEV_USER_MAX + 1];
};

#define DEV_F_KA_SENT		0x0001	/* KEEPALIVE_OPTIONS_REQUEST sent */
#define DEV_F_VERDICT		0x0002	/* failure verdict delayed */
#define DEV_F_FREEING		0x0004	/* free scheduled */
#define DEV_F_REGISTERED	0x0008	/* reg is in the registry */
#define DEV_F_LOGGED_OPEN	0x0010	/* "connected" was logged */
#define DEV_F_DIRTY		0x0020	/* on the flusher's list */
#define DEV_F_WEV		0x0040	/* wev armed */
#define DEV_F_RX_PAUSED		0x0080	/* input full: rev off */
#define DEV_F_WRITE_WANTS_R	0x0200	/* SSL_write needs readability */

/*
 * The tunnel's TLS output: bytes queued, and the watermark above which
 * relays stop reading their fds (relay.c) so that one busy channel cannot
 * push the tunnel to limits.buffer_per_device.
 */
size_t	 dev_output_pending(const struct dev_conn *c);
size_t	 dev_output_high(const struct dev_conn *c);
/* Takes ownership of fd (closed on any failure). */
void	 dev_accept(int fd, const struct sockaddr *sa, socklen_t salen);
/* The 1 s tick: expires deadlines up to now (mono seconds). */
void	 dev_tick(uint32_t now);
/*
 * Says goodbye (APF DISCONNECT apf_reason when the session can still send)
 * and closes after a short bounded flush.  c stays valid until the next
 * loop iteration.
 */
void	 dev_disconnect(struct dev_conn *c, enum dev_close_reason why,
	    uint32_t apf_reason, const char *detail);
/* Disconnects every connection (shutdown). */
void	 dev_disconnect_all(enum dev_close_reason why);
/* Frees whatever is left at exit (after the loop has stopped). */
void	 dev_cleanup(void);
/* Registered connection for a node. */
struct dev_conn *dev_from_reg(struct reg_node *n);
/* The device object of docs/control-protocol.md.  New reference. */
json_t	*dev_to_json(const struct dev_conn *c);
const char *dev_state_name(enum dev_state st);
const char *dev_close_reason_str(enum dev_close_reason r);
/* Logs "conn=N peer=A [guid=G] <fmt>" at level. */
void	 dev_log(const struct dev_conn *c, enum log_level level,
	    const char *fmt, ...) LOG_PRINTF(3, 4);
/* Counts of connections per state. */
uint32_t dev_count(enum dev_state st);
uint32_t dev_count_all(void);

/* ------------------------------------------------------------- control.c */

#define CTL_OUTPUT_MAX	(1024 * 1024)	/* bytes queued to one client */

/* JSON-RPC 2.0 error codes. */
#define CTL_PARSE_ERROR		(-32700)
#define CTL_INVALID_REQUEST	(-32600)
#define CTL_METHOD_NOT_FOUND	(-32601)
#define CTL_INVALID_PARAMS	(-32602)
#define CTL_OPERATION_FAILED	(-32000)

struct ctl_req;
struct ctl_client;

/* What a method handler returns. */
#define CTL_DONE	0	/* answered (ctl_req_ok/ctl_req_fail called) */
#define CTL_PENDING	1	/* will be answered later, req kept */

int	 ctl_init(const char *path, mode_t mode, uint32_t max_clients,
	    uint32_t max_line);
/* Answers pending requests with an error, closes clients, unlinks. */
void	 ctl_shutdown(void);
/* Sends an event notification to subscribers; steals params. */
void	 ctl_event(const char *event, json_t *params);
uint32_t ctl_client_count(void);
/* Clients not yet freed (including those flushing a last answer). */
uint32_t ctl_busy(void);
/* Frees everything left after the loop stopped. */
void	 ctl_cleanup(void);
/*
 * Frames the next request line in `in`: 1 and *line (malloc'd,
 * NUL-terminated, without the newline) when a whole line of at most max
 * bytes is there; 0 when more bytes are needed; MPS_ERR_TOO_LARGE as soon
 * as the line is known to exceed max (also before its newline arrives).
 */
int	 ctl_frame_next(struct evbuffer *in, size_t max, char **line,
	    size_t *len);
/* Answers req with result (stolen) and frees req. */
void	 ctl_req_ok(struct ctl_req *req, json_t *result);
/*
 * Answers req with JSON-RPC error code (CTL_OPERATION_FAILED adds
 * data.code/data.error from mps_err); data (stolen, may be NULL) gets
 * merged in.  Frees req.
 */
void	 ctl_req_fail(struct ctl_req *req, int code, int mps_err,
	    json_t *data, const char *fmt, ...) LOG_PRINTF(5, 6);

/*
 * Resolves params.device to a connected device; otherwise answers req
 * (not found, ambiguous, not connected) and returns NULL.
 */
struct dev_conn *ctl_device(struct ctl_req *req, json_t *params);

/* ------------------------------------------------------------- ctl_ops.c */

/*
 * Control methods that talk to devices (docs/control-protocol.md): one
 * device (params.device) or a fleet (guids, all, tag).  Each returns
 * CTL_PENDING and answers when the operations are done.
 */
int	 ctl_ops_power_state(struct ctl_client *, struct ctl_req *, json_t *);
int	 ctl_ops_power_action(struct ctl_client *, struct ctl_req *, json_t *);
int	 ctl_ops_boot_set(struct ctl_client *, struct ctl_req *, json_t *);
int	 ctl_ops_pxeboot(struct ctl_client *, struct ctl_req *, json_t *);
int	 ctl_ops_amt_info(struct ctl_client *, struct ctl_req *, json_t *);
int	 ctl_ops_amt_time(struct ctl_client *, struct ctl_req *, json_t *);
int	 ctl_ops_amt_time_sync(struct ctl_client *, struct ctl_req *, json_t *);
int	 ctl_ops_wsman_get(struct ctl_client *, struct ctl_req *, json_t *);
int	 ctl_ops_wsman_enumerate(struct ctl_client *, struct ctl_req *,
	    json_t *);
int	 ctl_ops_wsman_put(struct ctl_client *, struct ctl_req *, json_t *);
int	 ctl_ops_wsman_invoke(struct ctl_client *, struct ctl_req *, json_t *);

/* -------------------------------------------------------------- server.c */

struct mps_stats {
	uint64_t	connections_total;
	uint64_t	auth_ok;
	uint64_t	auth_failures;
	uint64_t	auth_cache_hits;
	uint64_t	auth_delayed;
	uint64_t	bytes_in;
	uint64_t	bytes_out;
	uint64_t	disconnects[DEV_CLOSE_MAX];
	uint64_t	accept_paused;
};

struct mps_server {
	struct event_base	*base;
	struct mps_config	*cfg;
	struct devices		*devices;
	char			*config_path;	/* NULL: built-in defaults */
	int			 demo;		/* demo credentials in use */
	int			 force_debug;	/* -d: debug whatever the config */
	int			 shutting_down;
	time_t			 started_at;
	struct registry		 reg;
	struct auth		 auth;
	struct mps_stats	 stats;
	struct apf_session_limits apf_limits;
	int			 fd_limit;	/* RLIMIT_NOFILE soft */
	int			 fd_base;	/* descriptors not ours to count */
	struct event		*tick_ev;
	struct event		*sig_hup, *sig_term, *sig_int;
	struct event		*exit_ev;
};

extern struct mps_server *srv;

/* Demo credentials of the built-in policy (no devices file). */
#define MPS_DEMO_USER		"mpsuser"
#define MPS_DEMO_PASSWORD	"Demo-Pass1"
#define MPS_DEFAULT_STATE_DIR	"./amt-mps-state"

/*
 * Loads cfg's devices file, or the built-in demo policy when builtin and
 * there is none.  *out is new; err is filled on MPS_ERR_CONFIG.
 */
int	 server_load_devices(const struct mps_config *cfg, int builtin,
	    struct devices **out, int *demo, struct config_err *err);
/*
 * Runs the daemon until shutdown; takes ownership of cfg.  config_path
 * NULL means built-in defaults (demo policy without devices file).
 * Returns the exit status.
 */
int	 server_run(struct mps_config *cfg, const char *config_path,
	    int force_debug);
/*
 * Reloads the config file (if any), the devices file and the TLS
 * certificate.  Nothing changes on error; err says why.
 */
int	 server_reload(struct config_err *err);
/* Starts a clean shutdown. */
void	 server_shutdown(const char *why);
/* The free descriptors left before the reserve is touched (may be < 0). */
int	 server_fds_spare(void);
/* Called by device.c and control.c when a connection is freed. */
void	 server_conn_freed(void);

#endif /* SERVER_H */
