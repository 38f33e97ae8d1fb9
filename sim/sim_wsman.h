/*
 * sim_wsman.h: the simulator's Intel AMT WS-Management responder: what
 * answers on a simulated device's ports 16992 (HTTP) and 16993 (HTTPS,
 * TLS inside the channel).
 *
 * Layers, bottom up, each in its own file:
 *   sim_http.c       incremental HTTP/1.1 request parser, chunked writer
 *   sim_digest.c     HTTP Digest (MD5, qop=auth) the way AMT does it
 *   sim_amt.c        one simulated machine: power, boot, clock, nonces,
 *                    enumeration contexts; the state transitions
 *   sim_fixture.c    response templates: the recorded AMT fixtures plus a
 *                    built-in minimal set, indexed by resource and action
 *   sim_wsman.c      SOAP dispatch: request body in, response body out
 *   sim_wsman_log.c  the per-request JSON call log
 *   sim_tls_chan.c   TLS server over memory BIOs (device certificate)
 *   sim_wconn.c      one HTTP connection: bytes in, bytes out, faults,
 *                    keep-alive, delays; transport-neutral
 *   sim_svc_wsman.c  the channel service (16992/16993)
 *   sim_wsman_listen.c  the same responder on a local TCP port (debug)
 *
 * Everything below sim_wconn is pure (no sockets); sim_wconn needs an
 * event base only for the "slow" fault's timer.  Functions return 0 or a
 * negative MPS_ERR_* unless stated otherwise.
 */
#ifndef SIM_WSMAN_H
#define SIM_WSMAN_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

struct event_base;
struct event;
struct evbuffer;
struct evconnlistener;
struct ssl_st;
struct ssl_ctx_st;
struct bio_st;
struct sim_wsman_listen_ctx;

/* --- sim_http.c: HTTP/1.1 requests in, chunked responses out --- */

#define SIM_HTTP_MAX_HEADER	(16 * 1024)	/* request line + fields */
#define SIM_HTTP_MAX_LINE	(8 * 1024)	/* one line of them */
#define SIM_HTTP_MAX_BODY	(1024 * 1024)
#define SIM_HTTP_MAX_TARGET	256
#define SIM_HTTP_MAX_AUTH	2048		/* Authorization value */
#define SIM_HTTP_MAX_HOST	256
/* AMT's chunk sizes in captures: 0x7C..0x425; ours are drawn from this. */
#define SIM_HTTP_CHUNK_MIN	64
#define SIM_HTTP_CHUNK_MAX	1100

#define SIM_HTTP_STATES(X)						\
	X(LINE,		"request-line")					\
	X(HEADERS,	"headers")					\
	X(BODY,		"body")		/* Content-Length bytes */	\
	X(CHUNK_SIZE,	"chunk-size")					\
	X(CHUNK_DATA,	"chunk-data")					\
	X(CHUNK_CRLF,	"chunk-crlf")	/* CRLF after chunk data */	\
	X(TRAILERS,	"trailers")	/* after the last chunk */	\
	X(DONE,		"done")		/* one whole request parsed */	\
	X(FAILED,	"failed")	/* status says what to answer */

enum sim_http_state {
#define SIM_HS_ENUM(name, str) SIM_HTTP_##name,
	SIM_HTTP_STATES(SIM_HS_ENUM)
#undef SIM_HS_ENUM
};

/*
 * One request being parsed.  Only the fields the responder uses are kept;
 * every other header is read, counted against the header cap and dropped.
 */
struct sim_http_req {
	enum sim_http_state	 state;
	int			 status;	/* FAILED: 400, 413, 431... */
	char			 method[16];
	char			 target[SIM_HTTP_MAX_TARGET];
	int			 minor;		/* HTTP/1.minor */
	char			 host[SIM_HTTP_MAX_HOST];
	int			 has_host;
	char			 auth[SIM_HTTP_MAX_AUTH];	/* "" if none */
	int			 conn_close;	/* Connection: close, or 1.0 */
	int			 expect_continue;
	int			 has_length;
	uint64_t		 length;	/* Content-Length */
	int			 chunked;
	uint64_t		 chunk_left;
	size_t			 header_bytes;	/* vs SIM_HTTP_MAX_HEADER */
	char			*line;		/* SIM_HTTP_MAX_LINE, lazy */
	size_t			 line_len;
	char			*body;		/* NUL-terminated, lazy */
	size_t			 body_len;
	size_t			 body_cap;
};

const char *sim_http_state_name(enum sim_http_state st);
/* Ready for the first (or next keep-alive) request; keeps buffers. */
void	sim_http_req_reset(struct sim_http_req *r);
void	sim_http_req_free(struct sim_http_req *r);
/*
 * Feed len bytes.  Returns 0 when a whole request has been parsed (*used
 * = the bytes it took; the rest belong to the next request),
 * MPS_ERR_INCOMPLETE when every byte was taken and more are needed, or
 * MPS_ERR_INVALID / MPS_ERR_TOO_LARGE with r->status set to the HTTP
 * status to answer before closing.  Calling it again after 0 without a
 * reset is MPS_ERR_STATE.
 */
int	sim_http_parse(struct sim_http_req *r, const uint8_t *p, size_t len,
	    size_t *used);
/* Reason phrase for a status ("Unauthorized"); never NULL. */
const char *sim_http_reason(int status);
/* An RFC 7231 date for now ("Mon, 10 Jan 2022 20:37:48 GMT"). */
void	sim_http_date(char *buf, size_t len);
/*
 * Append body as chunked transfer coding the way AMT writes it: sizes as
 * four upper-case hex digits, chunk lengths drawn from [SIM_HTTP_CHUNK_MIN,
 * SIM_HTTP_CHUNK_MAX] by a generator seeded with seed (so boundaries fall
 * mid-token, reproducibly), then "0\r\n\r\n".  Returns the chunk count
 * or MPS_ERR_NOMEM.
 */
int	sim_http_chunked(struct evbuffer *out, const char *body, size_t len,
	    uint32_t seed);

/* --- sim_digest.c: Digest authentication as AMT does it --- */

#define SIM_DIGEST_NONCES	4	/* live nonces per device */
#define SIM_DIGEST_NONCE_LEN	32	/* base64 of 24 random bytes */
#define SIM_DIGEST_WINDOW	64	/* nc values remembered per nonce */

/* Verification outcomes; X(enum suffix, log word). */
#define SIM_DIGEST_RESULTS(X)						\
	X(OK,		"ok")						\
	X(MISSING,	"no-credentials")				\
	X(MALFORMED,	"malformed")					\
	X(WRONG_USER,	"unknown-user")					\
	X(WRONG_REALM,	"wrong-realm")					\
	X(WRONG_URI,	"wrong-uri")					\
	X(BAD_QOP,	"bad-qop")					\
	X(UNKNOWN_NONCE, "unknown-nonce")				\
	X(BAD_RESPONSE,	"wrong-response")				\
	X(STALE,	"stale-nonce")					\
	X(REPLAY,	"replayed-nc")

enum sim_digest_result {
#define SIM_DR_ENUM(name, str) SIM_DIGEST_##name,
	SIM_DIGEST_RESULTS(SIM_DR_ENUM)
#undef SIM_DR_ENUM
};

struct sim_digest_nonce {
	char		value[SIM_DIGEST_NONCE_LEN + 1];	/* "" = free */
	uint64_t	born_ms;
	uint32_t	max_nc;		/* highest nc accepted */
	uint64_t	seen;		/* bit i: nc max_nc - i accepted */
};

struct sim_digest {
	struct sim_digest_nonce	n[SIM_DIGEST_NONCES];
	uint32_t		next;	/* slot the next nonce replaces */
};

/* What the device expects. */
struct sim_digest_cred {
	const char	*user;
	const char	*password;
	const char	*realm;
};

const char *sim_digest_result_name(enum sim_digest_result r);
/* A fresh nonce for a 401, remembered in d; *nonce points into d. */
int	sim_digest_challenge(struct sim_digest *d, uint64_t now_ms,
	    const char **nonce);
/*
 * Check an Authorization header value for a request (method, uri).  A
 * nonce older than lifetime_ms is STALE even with a right digest.  On OK
 * the nc is recorded, so the same nc is a REPLAY afterwards.
 */
enum sim_digest_result sim_digest_verify(struct sim_digest *d,
	    const char *authz, const char *method, const char *uri,
	    const struct sim_digest_cred *cred, uint64_t now_ms,
	    uint64_t lifetime_ms);
/* Lower-case hex MD5 of s. */
int	sim_digest_md5_hex(const char *s, size_t len, char out[33]);
/* RFC 2617 response for qop=auth (what a client computes). */
int	sim_digest_response(const char *user, const char *realm,
	    const char *password, const char *method, const char *uri,
	    const char *nonce, const char *nc, const char *cnonce,
	    char out[33]);

/* --- sim_amt.c: one simulated machine --- */

/* DMTF PowerState values a simulated machine can be in. */
#define SIM_AMT_POWER_STATES(X)						\
	X(ON,		2,	"on")					\
	X(SLEEP_LIGHT,	3,	"sleep-light")				\
	X(SLEEP_DEEP,	4,	"sleep")				\
	X(HIBERNATE,	7,	"hibernate")				\
	X(OFF,		8,	"off")

enum sim_amt_power {
#define SIM_AP_ENUM(name, value, str) SIM_AMT_##name = value,
	SIM_AMT_POWER_STATES(SIM_AP_ENUM)
#undef SIM_AP_ENUM
};

/* Boot sources (CIM_BootSourceSetting InstanceIDs).  X(suffix, id, word) */
#define SIM_AMT_BOOT_SOURCES(X)						\
	X(NONE,		NULL,					"none")	\
	X(HDD,		"Intel(r) AMT: Force Hard-drive Boot",	"hdd")	\
	X(PXE,		"Intel(r) AMT: Force PXE Boot",		"pxe")	\
	X(CD,		"Intel(r) AMT: Force CD/DVD Boot",	"cd")	\
	X(OCR_HTTPS,	"Intel(r) AMT: Force OCR UEFI HTTPS Boot",	\
	    "ocr-https")						\
	X(BIOS_SETUP,	NULL,				"bios-setup")

enum sim_amt_boot {
#define SIM_AB_ENUM(name, id, str) SIM_AMT_BOOT_##name,
	SIM_AMT_BOOT_SOURCES(SIM_AB_ENUM)
#undef SIM_AB_ENUM
	SIM_AMT_BOOT_COUNT
};

/* AMT_BootSettingData properties a Put may change.  X(name, is_bool) */
#define SIM_AMT_BOOT_FIELDS(X)						\
	X(BIOSPause, 1) X(BIOSSetup, 1) X(BootMediaIndex, 0)		\
	X(ConfigurationDataReset, 1) X(EnforceSecureBoot, 1)		\
	X(FirmwareVerbosity, 0) X(ForcedProgressEvents, 1)		\
	X(IDERBootDevice, 0) X(LockKeyboard, 1) X(LockPowerButton, 1)	\
	X(LockResetButton, 1) X(LockSleepButton, 1) X(PlatformErase, 1)	\
	X(ReflashBIOS, 1) X(SecureErase, 1) X(UefiBootNumberOfParams, 0) \
	X(UseIDER, 1) X(UseSOL, 1) X(UseSafeMode, 1)			\
	X(UserPasswordBypass, 1)

enum sim_amt_boot_field {
#define SIM_BF_ENUM(name, is_bool) SIM_AMT_BF_##name,
	SIM_AMT_BOOT_FIELDS(SIM_BF_ENUM)
#undef SIM_BF_ENUM
	SIM_AMT_BF_COUNT
};

/* SetBootConfigRole roles AMT 7+ accepts. */
#define SIM_AMT_ROLE_NONE		0
#define SIM_AMT_ROLE_NEXT_SINGLE_USE	1
#define SIM_AMT_ROLE_NOT_NEXT		32768

/* CIM RequestPowerStateChange / boot method ReturnValues we use. */
#define SIM_AMT_RV_OK			0
#define SIM_AMT_RV_UNSPECIFIED		2	/* invalid transition */
#define SIM_AMT_RV_INVALID_REF		4
#define SIM_AMT_RV_INVALID_PARAM	5
#define SIM_AMT_PT_INVALID_PARAMETER	36	/* AMT_* methods: PT_STATUS */

#define SIM_AMT_ENUMS		4	/* open enumeration contexts */
#define SIM_AMT_CONTEXT_LEN	40

struct sim_fixture;

struct sim_amt_enum {
	char			 ctx[SIM_AMT_CONTEXT_LEN];	/* "" = free */
	const struct sim_fixture *fx;	/* the Pull (or Get) template */
	char			*uri;	/* resource it enumerates */
	uint32_t		 offset;	/* items already pulled */
	uint64_t		 used_ms;	/* for LRU replacement */
};

/*
 * A simulated machine as WS-Man sees it.  Created on the device's first
 * WS-Man connection and kept across tunnel drops, as a real machine keeps
 * its power state when its network blips.
 */
struct sim_amt {
	uint32_t		 index;
	uint8_t			 uuid[16];	/* as sent in APF */
	char			 guid[40];	/* canonical text */
	char			 name[24];	/* "sim-<index>" */
	char			 realm[48];	/* "Digest:" + 32 hex */
	uint32_t		 power;		/* enum sim_amt_power */
	uint32_t		 boot[SIM_AMT_BF_COUNT];
	int			 options_cleared;
	enum sim_amt_boot	 boot_source;	/* ChangeBootOrder */
	uint32_t		 boot_role;	/* SetBootConfigRole */
	enum sim_amt_boot	 last_boot;	/* what the last boot used */
	uint32_t		 boots;		/* power-ons and resets */
	int64_t			 clock_offset;	/* device clock - ours, s */
	int64_t			 last_ta0;
	struct sim_digest	 digest;
	struct sim_amt_enum	 enums[SIM_AMT_ENUMS];
	uint32_t		 enum_seq;
	uint32_t		 msg_seq;	/* response MessageIDs */
	uint64_t		 requests;	/* HTTP requests seen */
};

const char *sim_amt_power_name(uint32_t power_state);
const char *sim_amt_boot_name(enum sim_amt_boot b);
const char *sim_amt_boot_field_name(enum sim_amt_boot_field f);
int	sim_amt_boot_field_is_bool(enum sim_amt_boot_field f);
/* Index of the writable AMT_BootSettingData property name, or -1. */
int	sim_amt_boot_field_find(const char *name);
/* Set up a powered-on machine with cleared boot options. */
void	sim_amt_init(struct sim_amt *a, uint32_t index,
	    const uint8_t uuid[16], uint32_t power);
/* Release enumeration contexts. */
void	sim_amt_clear(struct sim_amt *a);
/* AvailableRequestedPowerStates in state power_state; returns the count. */
size_t	sim_amt_power_available(uint32_t power_state, const uint32_t **list);
/*
 * RequestPowerStateChange(requested): the ReturnValue.  A request the
 * current state does not offer is SIM_AMT_RV_UNSPECIFIED and changes
 * nothing.  A power-on, reset or cycle boots: it consumes a single-use
 * boot configuration (recorded in last_boot) and clears the boot options,
 * as AMT does after one boot.
 */
uint32_t sim_amt_power_change(struct sim_amt *a, uint32_t requested);
/* ChangeBootOrder: source InstanceID, or NULL to clear.  ReturnValue. */
uint32_t sim_amt_change_boot_order(struct sim_amt *a, const char *source);
/* SetBootConfigRole(config InstanceID, role).  ReturnValue. */
uint32_t sim_amt_set_boot_role(struct sim_amt *a, const char *config,
	    uint32_t role);
/*
 * Store one property of an AMT_BootSettingData Put: MPS_ERR_INVALID for a
 * value of the wrong type; names that are not writable are ignored
 * (AMT keeps read-only properties as they are).
 */
int	sim_amt_boot_put(struct sim_amt *a, const char *name,
	    const char *value);
/* Text of a boot field's value ("true", "0"). */
void	sim_amt_boot_value(const struct sim_amt *a, enum sim_amt_boot_field f,
	    char *buf, size_t len);
/* A new enumeration context for uri, served from fx; NULL if no memory. */
struct sim_amt_enum *sim_amt_enum_open(struct sim_amt *a,
	    const struct sim_fixture *fx, const char *uri, uint64_t now_ms);
struct sim_amt_enum *sim_amt_enum_find(struct sim_amt *a, const char *ctx);
void	sim_amt_enum_close(struct sim_amt_enum *e);

/* --- sim_fixture.c: response templates --- */

/*
 * One template: a whole response envelope for (resource URI, operation),
 * parsed once and copied per response.  op is "Get", "Put", "Delete",
 * "Create", "Enumerate", "Pull", "Release", or a method name.
 */
struct sim_fixture {
	char		*uri;
	char		*op;
	int		 invoke;	/* op is a method */
	xmlDoc		*doc;
	char		*origin;	/* file path, or "built-in" */
};

/* A recorded raw HTTP response, split at its recorded chunk boundaries. */
struct sim_fixture_http {
	char		*head;		/* status line + headers + CRLF */
	size_t		 head_len;
	char		**chunk;	/* chunk payloads (chunked captures) */
	size_t		*chunk_len;
	size_t		 nchunks;
};

struct sim_fixture_set {
	struct sim_fixture	*v;
	size_t			 n, cap;
	char			 dir[512];	/* "" = built-in only */
	size_t			 files;		/* templates read from dir */
	size_t			 skipped;	/* files that are no response */
	/* http/ captures, for the http-captures fault */
	struct sim_fixture_http	 cap401;
	struct sim_fixture_http	 cap200;	/* ComputerSystemPackage */
	struct sim_fixture_http	 cap200_card;	/* CIM_Card body only */
};

/*
 * Load the built-in templates, then every response under dir (its
 * responses/ folder if it has one) and its http/ captures; a file
 * template replaces a built-in one for the same key, and among files the
 * first in path order wins.  dir NULL: built-in only.  Files that are no
 * response envelope (requests, broken XML) are skipped and counted.
 * MPS_ERR_IO if dir cannot be read; err gets a message.
 */
int	sim_fixture_load(struct sim_fixture_set *fs, const char *dir,
	    char *err, size_t errlen);
void	sim_fixture_free(struct sim_fixture_set *fs);
/* The template for (uri, op), or NULL. */
const struct sim_fixture *sim_fixture_find(const struct sim_fixture_set *fs,
	    const char *uri, const char *op);
/* 1 if any template exists for uri (the class is "implemented"). */
int	sim_fixture_known(const struct sim_fixture_set *fs, const char *uri);
/*
 * An AMT-style response envelope with an empty Body: Action and
 * ResourceURI set (as text, any value is safe), RelatesTo and MessageID
 * placeholders.  NULL if no memory.
 */
xmlDoc	*sim_fixture_skeleton(const char *uri, const char *action);
/* The compile-time default fixture directory that exists, or NULL. */
const char *sim_fixture_default_dir(void);

/* --- sim_wsman_log.c: one JSON line per request --- */

#define SIM_WSMAN_LOG_PARAMS	8

/* What one request did, for the call log. */
struct sim_wsman_call {
	const char	*method;	/* "Get", "Invoke"...; NULL: unparsed */
	char		 resource[512];	/* ResourceURI */
	char		 action[640];	/* wsa:Action */
	char		 sel_name[8][64];
	char		 sel_value[8][128];
	size_t		 nsel;
	char		 par_name[SIM_WSMAN_LOG_PARAMS][64];
	char		 par_value[SIM_WSMAN_LOG_PARAMS][128];
	size_t		 npar;
	int		 status;	/* HTTP status answered */
	int		 has_rv;
	uint32_t	 rv;
	char		 fault[64];	/* subcode of a SOAP fault, "" */
	const char	*auth;		/* sim_digest_result_name, or NULL */
	const char	*booted;	/* boot a power change started */
};

/* Open path for appending (O_APPEND); the fd or MPS_ERR_IO. */
int	sim_wsman_log_open(const char *path);
/* Write one line for call on device a, port port; one write(2). */
int	sim_wsman_log_write(int fd, const struct sim_amt *a, uint32_t port,
	    const struct sim_wsman_call *call);
/* The line without writing it (tests); NUL-terminated, returns length. */
size_t	sim_wsman_log_format(char *buf, size_t len, const struct sim_amt *a,
	    uint32_t port, const struct sim_wsman_call *call);

/* --- sim_wsman.c: the SOAP responder and the fleet-wide context --- */

/* Switchable faults.  X(enum suffix, option word, takes a number) */
#define SIM_WSMAN_FAULTS(X)						\
	X(WRONG_AUTH,		"wrong-auth",			0)	\
	X(DEST_UNREACHABLE,	"destination-unreachable",	0)	\
	X(RETURN_VALUE,		"return-value",			1)	\
	X(SLOW,			"slow",				1)	\
	X(HTTP_CAPTURES,	"http-captures",		0)

enum sim_wsman_fault {
#define SIM_WF_ENUM(name, word, arg) SIM_WF_##name,
	SIM_WSMAN_FAULTS(SIM_WF_ENUM)
#undef SIM_WF_ENUM
	SIM_WF_COUNT
};

#define SIM_WSMAN_DEFAULT_USER		"admin"
#define SIM_WSMAN_DEFAULT_PASSWORD	"P@ssw0rd"
#define SIM_WSMAN_DEFAULT_VERSION	"15.0.23.1706"
#define SIM_WSMAN_DEFAULT_NONCE_S	300

struct sim_wsman_cfg {
	const char	*user;
	const char	*password;
	const char	*fixtures;	/* NULL: default; "none": built-in */
	const char	*log_path;	/* --wsman-log */
	char		 version[32];	/* "15.0.23" */
	char		 build[16];	/* "1706" */
	uint32_t	 provisioning_mode;	/* 1 ACM, 4 CCM */
	uint32_t	 power;		/* initial power state */
	uint32_t	 nonce_lifetime_s;
	uint32_t	 faults;	/* bit (1 << SIM_WF_*) */
	uint32_t	 fault_rv;
	uint32_t	 fault_slow_ms;
	uint32_t	 fault_count;	/* first K devices; UINT32_MAX all */
	const char	*listen;	/* --wsman-listen ADDR:PORT */
	const char	*listen_tls;	/* --wsman-listen-tls ADDR:PORT */
};

/* Counters for the summary. */
struct sim_wsman_stats {
	uint64_t	requests;	/* HTTP requests parsed */
	uint64_t	ok;		/* 200 */
	uint64_t	unauthorized;	/* 401 */
	uint64_t	faults;		/* SOAP faults (400/500) */
	uint64_t	http_errors;	/* other 4xx/5xx */
	uint64_t	tls_handshakes;
	uint64_t	tls_failures;
};

struct sim_wsman {
	struct sim_wsman_cfg	 cfg;
	struct sim_fixture_set	 fx;
	struct event_base	*base;		/* for delays; may be NULL */
	int			 log_fd;	/* -1 = no call log */
	struct ssl_ctx_st	*tls_ctx;	/* lazy: first TLS connection */
	struct sim_amt		**amts;		/* per device index, lazy */
	uint32_t		 namts;
	struct evconnlistener	*listener[2];	/* plain, TLS */
	struct sim_wsman_listen_ctx *listen_ctx[2];
	uint32_t		 nconns;	/* live connections */
	struct sim_wsman_stats	 st;
	int			 verbose;
	int			 ready;		/* init ran: free has work */
};

/* The response the responder produced for one request. */
struct sim_wsman_reply {
	int		 status;	/* 200, 400 or 500 */
	char		*body;		/* malloc'd SOAP envelope */
	size_t		 len;
};

void	sim_wsman_cfg_default(struct sim_wsman_cfg *c);
/* "KIND" or "KIND=N" / "KIND:N" into c; MPS_ERR_USAGE if unknown. */
int	sim_wsman_fault_parse(struct sim_wsman_cfg *c, const char *s);
const char *sim_wsman_fault_name(enum sim_wsman_fault f);
/* "15.0.23.1706" or "15.0.23" into c->version / c->build. */
int	sim_wsman_version_parse(struct sim_wsman_cfg *c, const char *s);
/*
 * Set up w from w->cfg (fill cfg first): templates, call log, per-device
 * table for ndevs devices.  base may be NULL (no delays).  err gets a
 * message on failure; call sim_wsman_free() anyway.
 */
int	sim_wsman_init(struct sim_wsman *w, struct event_base *base,
	    uint32_t ndevs, char *err, size_t errlen);
void	sim_wsman_free(struct sim_wsman *w);
/* Device index's machine, created on first use; NULL if no memory. */
struct sim_amt *sim_wsman_amt(struct sim_wsman *w, uint32_t index,
	    const uint8_t uuid[16]);
/* The faults (bit mask) that apply to device index. */
uint32_t sim_wsman_dev_faults(const struct sim_wsman *w, uint32_t index);
/* "Intel(R) Active Management Technology 15.0.23.1706" */
void	sim_wsman_server_header(const struct sim_wsman *w, char *buf,
	    size_t len);
/*
 * Answer one authenticated SOAP request for machine a, with the device's
 * faults.  Fills rep (free rep->body) and call.  Only resource
 * exhaustion is an error; everything a peer can send gets a SOAP answer.
 */
int	sim_wsman_handle(struct sim_wsman *w, struct sim_amt *a,
	    uint32_t faults, const char *body, size_t len,
	    struct sim_wsman_reply *rep, struct sim_wsman_call *call);
/* Fill call's method/resource/action/selectors from a body (logging). */
void	sim_wsman_describe(const char *body, size_t len,
	    struct sim_wsman_call *call);

/* --- sim_tls_chan.c: TLS server inside a byte stream --- */

/*
 * The device's TLS context: a self-signed RSA-2048 certificate made once
 * per process, in memory.  TLS 1.2 only, as the AMT firmware we model.
 */
int	sim_tls_chan_ctx(struct ssl_ctx_st **out);
/* A server-side SSL reading from rbio and writing to wbio (memory BIOs). */
int	sim_tls_chan_new(struct ssl_ctx_st *ctx, struct ssl_st **ssl,
	    struct bio_st **rbio, struct bio_st **wbio);

/* --- sim_wconn.c: one HTTP connection --- */

/*
 * The transport under a connection.  room: bytes write() accepts now.
 * close: end the transport once what was written has left (a channel
 * CLOSE, a socket shutdown); the connection is freed later by its owner.
 */
struct sim_wconn_io {
	size_t	(*room)(void *arg);
	int	(*write)(void *arg, const void *p, size_t len);
	void	(*close)(void *arg);
};

#define SIM_WCONN_STATES(X)						\
	X(HANDSHAKE,	"tls-handshake")	/* 16993: before HTTP */ \
	X(READING,	"reading")	/* waiting for a whole request */ \
	X(DELAYING,	"delaying")	/* slow fault: answer held */	\
	X(WRITING,	"writing")	/* answer leaving; input held */ \
	X(CLOSING,	"closing")	/* last answer leaving, then close */ \
	X(CLOSED,	"closed")	/* transport close requested */

enum sim_wconn_state {
#define SIM_WC_ENUM(name, str) SIM_WCONN_##name,
	SIM_WCONN_STATES(SIM_WC_ENUM)
#undef SIM_WC_ENUM
};

/* Raw input held at most (a pipelining client gets pushed back). */
#define SIM_WCONN_IN_MAX	(SIM_HTTP_MAX_HEADER + SIM_HTTP_MAX_BODY + \
	    64 * 1024)

struct sim_wconn {
	struct sim_wsman		*ws;
	struct sim_amt			*amt;
	uint32_t			 port;
	uint32_t			 faults;
	const struct sim_wconn_io	*io;
	void				*io_arg;
	enum sim_wconn_state		 state;
	struct sim_http_req		 req;
	struct evbuffer			*in;	/* plaintext not parsed yet */
	struct evbuffer			*out;	/* plaintext not sent yet */
	struct evbuffer			*held;	/* slow: answer waiting */
	struct event			*delay_ev;
	struct ssl_st			*ssl;	/* NULL: plain HTTP */
	struct bio_st			*rbio, *wbio;
	uint32_t			 nreq;
	int				 close_after;	/* after out drains */
};

const char *sim_wconn_state_name(enum sim_wconn_state st);
/* A connection for machine a on port (16993 = TLS).  NULL if no memory. */
struct sim_wconn *sim_wconn_new(struct sim_wsman *ws, struct sim_amt *a,
	    uint32_t port, uint32_t faults, const struct sim_wconn_io *io,
	    void *io_arg);
/*
 * Bytes from the peer; returns how many were taken (fewer only when
 * SIM_WCONN_IN_MAX is held already).  May write and may call io->close.
 */
size_t	sim_wconn_input(struct sim_wconn *c, const uint8_t *p, size_t len);
/* The transport has room again: continue writing, then reading. */
void	sim_wconn_writable(struct sim_wconn *c);
void	sim_wconn_free(struct sim_wconn *c);

/* --- sim_wsman_listen.c: the responder on a local TCP port --- */

/*
 * Listen on cfg.listen (plain) and cfg.listen_tls (TLS) for device 0,
 * machine a.  MPS_ERR_USAGE for a bad address, MPS_ERR_IO if bind fails.
 */
int	sim_wsman_listen_start(struct sim_wsman *w, struct sim_amt *a,
	    char *err, size_t errlen);
void	sim_wsman_listen_stop(struct sim_wsman *w);

#endif /* SIM_WSMAN_H */
