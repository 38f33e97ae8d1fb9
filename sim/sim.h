/*
 * sim.h: internals of amt-cira-sim, a simulated fleet of Intel AMT devices
 * speaking CIRA (TLS + APF) to an MPS.  One process, one libevent loop,
 * thousands of devices; no threads, no per-device timers.
 *
 * Objects:
 *   struct sim_fleet  the whole run: options, event base, TLS context,
 *                     device array, the timer lists swept by one tick,
 *                     counters for the summary.
 *   struct sim_dev    one device: one TLS connection (direct SSL_read and
 *                     SSL_write on its socket) and the device side of the
 *                     APF handshake (enum sim_dev_state).
 *   struct sim_chan   one channel the MPS opened to a forwarded port,
 *                     with window accounting both ways, bound to a service.
 *   struct sim_svc    what answers on a port (WS-Man on 16992/16993,
 *                     echo elsewhere): open/data/writable/close callbacks.
 *   struct sim_wsman  the WS-Man responder's fleet-wide state (sim_wsman.h).
 */
#ifndef SIM_H
#define SIM_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "apf.h"
#include "sim_wsman.h"

struct event_base;
struct event;
struct evbuffer;
struct ssl_ctx_st;
struct ssl_st;

#define SIM_MAX_PORTS		16	/* forwards per device */
#define SIM_MAX_SOURCES		256	/* --source addresses */
#define SIM_MAX_CHANNELS	64	/* --max-channels upper bound */
#define SIM_TICK_MS		50	/* the one periodic timer */
#define SIM_CONNECT_SAMPLES_MAX	(4u * 1024 * 1024)
/* The daemon's demo credentials, so the two work together out of the box. */
#define SIM_DEFAULT_USER	"mpsuser"
#define SIM_DEFAULT_PASSWORD	"Demo-Pass1"

/* Misbehaviours; X(enum suffix, option word). */
#define SIM_MISBEHAVIOURS(X)				\
	X(NONE,			"none")			\
	X(WRONG_PASSWORD,	"wrong-password")	\
	X(STALL,		"stall")		\
	X(GARBAGE,		"garbage")		\
	X(OVERSIZE,		"oversize")		\
	X(NO_KEEPALIVE,		"no-keepalive")		\
	X(DUPLICATE_GUID,	"duplicate-guid")	\
	X(IGNORE_WINDOW,	"ignore-window")	\
	X(UNKNOWN_REQUEST,	"unknown-request")

enum sim_misbehave {
#define SIM_MB_ENUM(name, word) SIM_MB_##name,
	SIM_MISBEHAVIOURS(SIM_MB_ENUM)
#undef SIM_MB_ENUM
	SIM_MB_COUNT
};

/*
 * Why a tunnel ended.  X(enum suffix, summary key, ended by the server?).
 * APF DISCONNECT reasons are counted separately, by code.
 */
#define SIM_CLOSE_REASONS(X)					\
	X(NONE,			"none",			0)	\
	X(SHUTDOWN,		"shutdown",		0)	\
	X(SERVER_EOF,		"server_closed",	1)	\
	X(APF_DISCONNECT,	"apf_disconnect",	1)	\
	X(RESET,		"connection_reset",	1)	\
	X(CONNECT_FAILED,	"connect_failed",	0)	\
	X(TLS_ERROR,		"tls_error",		0)	\
	X(IO_ERROR,		"io_error",		0)	\
	X(AUTH_FAILED,		"auth_failed",		1)	\
	X(PROTOCOL_ERROR,	"protocol_error",	0)	\
	X(UNEXPECTED_MESSAGE,	"unexpected_message",	0)	\
	X(WINDOW_EXCEEDED,	"mps_window_exceeded",	0)	\
	X(HANDSHAKE_TIMEOUT,	"handshake_timeout",	0)	\
	X(NO_MEMORY,		"no_memory",		0)	\
	X(NO_FD,		"no_fd",		0)

enum sim_close_reason {
#define SIM_CR_ENUM(name, key, by_server) SIM_CLOSE_##name,
	SIM_CLOSE_REASONS(SIM_CR_ENUM)
#undef SIM_CR_ENUM
	SIM_CLOSE_COUNT
};

#define SIM_APF_REASONS		32	/* DISCONNECT codes counted 0..31 */

/*
 * Device states, in the order real AMT walks them.  X(enum suffix, name).
 */
#define SIM_DEV_STATES(X)					\
	X(IDLE,		"idle")		/* not started yet */		\
	X(CONNECTING,	"connecting")	/* TCP connect + TLS handshake */ \
	X(VERSION_SENT,	"version-sent")	/* stall: sent version, silent */ \
	X(AUTH_SERVICE,	"auth-service")	/* wait SERVICE_ACCEPT auth@ */	\
	X(USERAUTH,	"userauth")	/* wait USERAUTH_SUCCESS/FAILURE */ \
	X(PFWD_SERVICE,	"pfwd-service")	/* wait SERVICE_ACCEPT pfwd@ */	\
	X(FORWARDING,	"forwarding")	/* wait REQUEST_SUCCESS per port */ \
	X(ACTIVE,	"active")	/* keepalive, channels */ \
	X(MISBEHAVED,	"misbehaved")	/* sent bad bytes; waits */ \
	X(WAIT_RETRY,	"wait-retry")	/* closed; reconnect after backoff */ \
	X(CLOSED,	"closed")	/* done for good */

enum sim_dev_state {
#define SIM_DS_ENUM(name, str) SIM_DEV_##name,
	SIM_DEV_STATES(SIM_DS_ENUM)
#undef SIM_DS_ENUM
	SIM_DEV_STATE_COUNT
};

/* Which timer list a device sits on (at most one at a time). */
enum sim_tlist_id {
	SIM_TL_NONE = 0,
	SIM_TL_HANDSHAKE,	/* due = handshake deadline */
	SIM_TL_KEEPALIVE,	/* due = next KEEPALIVE_REQUEST */
	SIM_TL_RETRY,		/* due = reconnect time */
	SIM_TL_STARTQ,		/* due passed: waiting for a start slot */
	SIM_TL_COUNT
};

/* Device flags. */
#define SIM_DEVF_SETTLED	0x01	/* reached ACTIVE or closed once */
#define SIM_DEVF_KA_PENDING	0x02	/* our KEEPALIVE_REQUEST unanswered */
#define SIM_DEVF_INFLIGHT	0x04	/* counted in fleet->inflight */
#define SIM_DEVF_OUT_BLOCKED	0x08	/* channels wait for TLS output room */
#define SIM_DEVF_EVER_ACTIVE	0x10	/* reached ACTIVE at least once */
#define SIM_DEVF_IN_IO		0x20	/* in its I/O callback: flush at end */
#define SIM_DEVF_WANT_WRITE	0x40	/* wev armed: TLS waits for room */
#define SIM_DEVF_READ_WANTS_WRITE 0x80	/* SSL_read said WANT_WRITE */
#define SIM_DEVF_ADJUST_DUE	0x100	/* a channel holds credit to send */

/*
 * One simulated device.  Kept small on purpose (one per device, thousands of
 * them): channels live in a lazily allocated table, timers are list links.
 */
struct sim_dev {
	struct sim_fleet	*fleet;
	struct ssl_st		*ssl;		/* NULL unless connected */
	struct event		*rev;		/* EV_READ, persistent */
	struct event		*wev;		/* EV_WRITE, armed on demand */
	struct evbuffer		*in;		/* plaintext from the MPS */
	struct evbuffer		*out;		/* APF to the MPS, not yet TLS */
	struct sim_chan		**chans;	/* [max_channels], lazy */
	struct sim_dev		*tprev, *tnext;	/* timer list links */
	uint64_t		 due_ms;	/* due on the current list */
	uint64_t		 t_start_ms;	/* connect started */
	uint32_t		 index;
	uint32_t		 ka_cookie;	/* last cookie we sent */
	uint32_t		 ka_interval_s;	/* current keepalive interval */
	uint32_t		 backoff_ms;	/* next reconnect delay */
	uint16_t		 fwd_acked;	/* bit i: ports[i] acked */
	uint16_t		 fwd_answered;	/* bit i: ports[i] answered */
	uint8_t			 uuid[APF_UUID_LEN];
	uint8_t			 state;		/* enum sim_dev_state */
	uint8_t			 tlist;		/* enum sim_tlist_id */
	uint8_t			 misbehave;	/* enum sim_misbehave */
	uint16_t		 flags;		/* SIM_DEVF_* */
	uint8_t			 fwd_next;	/* next port index to request */
	uint8_t			 nchans;	/* live channels */
};

/* A time-ordered doubly linked list of devices. */
struct sim_tlist {
	struct sim_dev	*head, *tail;
	uint32_t	 len;
};

struct sim_opts {
	/* where and who */
	const char	*server;		/* HOST:PORT */
	struct sockaddr_storage server_addr;
	socklen_t	 server_addrlen;
	char		 server_host[256];
	struct sockaddr_storage sources[SIM_MAX_SOURCES];
	socklen_t	 source_len[SIM_MAX_SOURCES];
	uint32_t	 nsources;
	const char	*user;
	const char	*password;
	/* TLS */
	const char	*ca;
	const char	*verify_name;		/* default: host of --server */
	const char	*ciphers;
	int		 insecure;
	int		 tls_min;		/* TLS1_x_VERSION */
	int		 tls_max;		/* 0 = library maximum */
	/* fleet */
	uint32_t	 count;
	uint8_t		 guid_base[APF_UUID_LEN];
	double		 rate;			/* new connections/s, 0 = max */
	uint32_t	 max_inflight;
	uint32_t	 handshake_timeout_ms;	/* 0 = none */
	int		 reconnect;
	uint32_t	 backoff_min_ms, backoff_max_ms;
	/* APF */
	uint32_t	 trigger;
	uint32_t	 ports[SIM_MAX_PORTS];
	uint32_t	 nports;
	int		 pipeline;		/* send all forwards at once */
	const char	*fwd_address;
	uint32_t	 keepalive_s;		/* 0 = as negotiated */
	uint32_t	 rx_window;
	uint32_t	 max_packet;
	uint32_t	 max_channels;
	uint32_t	 chan_out_max;
	uint32_t	 slow_adjust_ms;	/* hold WINDOW_ADJUST back */
	int		 refuse_open;
	/* misbehaviour */
	enum sim_misbehave misbehave;
	uint32_t	 misbehave_count;	/* or extra connections */
	/* run control and reporting */
	double		 duration_s;		/* 0 = until a signal */
	const char	*summary_path;		/* NULL, "-" or a file */
	const char	*ready_path;
	double		 progress_s;		/* 0 = quiet */
	int		 exit_when_closed;
	int		 verbose;
	/* WS-Man responder (16992/16993) */
	struct sim_wsman_cfg wsman;
};

/* Counters for the summary; all cumulative unless noted. */
struct sim_stats {
	uint64_t	connect_attempts;
	uint64_t	connected;		/* TLS handshakes completed */
	uint64_t	authenticated;
	uint64_t	auth_failed;
	uint64_t	reached_active;
	uint64_t	disconnected;		/* ends we did not ask for */
	uint64_t	close_reason[SIM_CLOSE_COUNT];
	uint64_t	apf_reason[SIM_APF_REASONS];
	uint64_t	keepalive_sent;
	uint64_t	keepalive_replies;
	uint64_t	keepalive_bad_cookie;
	uint64_t	keepalive_missed;	/* next due before reply */
	uint64_t	keepalive_probes;	/* MPS probes answered */
	uint64_t	keepalive_options;
	uint64_t	forwards_refused;
	uint64_t	request_failures;	/* not for a forward */
	uint64_t	channels_opened;
	uint64_t	channels_refused;
	uint64_t	channels_closed;
	uint64_t	channel_bytes_in;	/* payload from the MPS */
	uint64_t	channel_bytes_out;	/* payload to the MPS */
	uint64_t	channel_glitches;	/* data/close for unknown ids */
	uint64_t	window_adjusts_delayed;	/* --slow-adjust */
	uint64_t	sol_sessions;		/* SOL started (0x21 sent) */
	uint64_t	sol_auth_failed;
	uint64_t	sol_errors;		/* protocol errors, closed */
	uint64_t	sol_bytes;		/* terminal bytes echoed */
	uint64_t	bulk_bytes_in;		/* sunk by the bulk service */
	uint64_t	bulk_bytes_out;		/* sourced by it */
	uint64_t	bytes_in;		/* APF bytes decoded */
	uint64_t	bytes_out;		/* APF bytes queued for TLS */
	/* misbehaving devices */
	uint64_t	mb_closed_by_server;
	uint64_t	mb_originals_closed_by_server;	/* duplicate-guid */
	uint64_t	mb_active;		/* reached ACTIVE */
	/* connect (TCP start) to ACTIVE, milliseconds */
	uint32_t	*connect_ms;
	size_t		 nconnect_ms, connect_ms_cap;
};

struct sim_fleet {
	struct sim_opts		 opt;
	struct event_base	*base;
	struct ssl_ctx_st	*ssl_ctx;
	struct event		*tick_ev;
	struct event		*kick_ev;	/* start pending devices soon */
	struct event		*sig_ev[4];
	struct sim_dev		*devs;
	uint32_t		 ndevs;		/* count + duplicates */
	uint32_t		 next_fresh;	/* next never-started device */
	uint32_t		 fresh_limit;	/* devices startable now */
	uint32_t		 inflight;	/* connecting or handshaking */
	uint32_t		 unsettled;	/* not ACTIVE/closed once */
	uint32_t		 state_count[SIM_DEV_STATE_COUNT];
	struct sim_tlist	 tl[SIM_TL_COUNT];
	double			 tokens;	/* --rate token bucket */
	uint64_t		 t0_ms, last_tick_ms, next_progress_ms;
	uint64_t		 stop_at_ms;	/* 0 = no --duration */
	uint64_t		 nofile_limit;
	int			 ready_written;
	int			 stopping;
	int			 exit_code;
	struct sim_stats	 st;
	struct sim_wsman	 wsman;
};

/*
 * What answers inside a channel.  Callbacks run from the device's input
 * processing; a service must not assume anything about the channel after it
 * called sim_chan_close().
 */
struct sim_svc {
	const char	*name;
	/* New channel: 0, or a negative MPS_ERR_* to refuse (failure 2). */
	int	(*open)(struct sim_chan *ch);
	/*
	 * Bytes from the MPS.  Returns how many were consumed; the rest stay
	 * buffered (and uncredited) and are offered again once output room
	 * appears.  This is how a slow service pushes back on the MPS.
	 */
	size_t	(*data)(struct sim_chan *ch, const uint8_t *p, size_t len);
	/* Output room appeared (optional). */
	void	(*writable)(struct sim_chan *ch);
	/* The channel is gone: free the service state.  Called once. */
	void	(*close)(struct sim_chan *ch);
};

/* Channel states, X(enum suffix, name). */
#define SIM_CHAN_STATES(X)						\
	X(OPEN,		"open")						\
	X(CLOSE_PENDING, "close-pending") /* service closed; output drains */ \
	X(CLOSE_SENT,	"close-sent")	/* our CLOSE sent; wait for MPS's */

enum sim_chan_state {
#define SIM_CS_ENUM(name, str) SIM_CHAN_##name,
	SIM_CHAN_STATES(SIM_CS_ENUM)
#undef SIM_CS_ENUM
};

struct sim_chan {
	struct sim_dev		*dev;
	const struct sim_svc	*svc;
	void			*svc_state;
	struct evbuffer		*in;	/* from MPS, not consumed yet */
	struct evbuffer		*out;	/* to MPS, waiting for window */
	uint32_t		 id;	/* ours: a slot, reused at once */
	uint32_t		 peer_id;
	uint32_t		 port;
	uint32_t		 rx_left;	/* MPS may still send */
	uint32_t		 rx_unacked;	/* consumed, not yet credited */
	uint32_t		 tx_window;	/* bytes we may still send */
	struct event		*adjust_ev;	/* --slow-adjust, lazy */
	int			 adjust_armed;
	int			 adjust_due;	/* send credit at flush time */
	enum sim_chan_state	 state;
};

/* sim_fleet.c */
/* Defaults for every option (server address and GUID base excepted). */
void	sim_fleet_opts_default(struct sim_opts *o);
/* Sets up f from f->opt; on failure call sim_fleet_free() anyway. */
int	sim_fleet_init(struct sim_fleet *f);
/* Runs until --duration, SIGINT/SIGTERM, or every device closed for good. */
int	sim_fleet_run(struct sim_fleet *f);
void	sim_fleet_free(struct sim_fleet *f);
uint64_t sim_fleet_now_ms(void);
void	sim_fleet_tl_insert(struct sim_fleet *f, enum sim_tlist_id id,
	    struct sim_dev *d, uint64_t due_ms);
void	sim_fleet_tl_remove(struct sim_fleet *f, struct sim_dev *d);
void	sim_fleet_kick(struct sim_fleet *f);
void	sim_fleet_dev_settled(struct sim_fleet *f, struct sim_dev *d);
void	sim_fleet_connect_sample(struct sim_fleet *f, uint64_t ms);
/* Device i's UUID: base plus i in the last 48 bits, wrapping. */
void	sim_fleet_guid(const uint8_t base[APF_UUID_LEN], uint32_t i,
	    uint8_t out[APF_UUID_LEN]);
void	sim_fleet_log(struct sim_fleet *f, int level, const struct sim_dev *d,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* sim_dev.c */
const char *sim_dev_state_name(enum sim_dev_state st);
void	sim_dev_set_state(struct sim_dev *d, enum sim_dev_state st);
int	sim_dev_start(struct sim_dev *d);
void	sim_dev_close(struct sim_dev *d, enum sim_close_reason why,
	    uint32_t apf_reason);
void	sim_dev_keepalive_due(struct sim_dev *d, uint64_t now);
/* Queues m; it leaves at the end of the current I/O round. */
int	sim_dev_send(struct sim_dev *d, const struct apf_msg *m);
int	sim_dev_out_room(const struct sim_dev *d);
/* Makes sure queued output and held credit leave soon. */
void	sim_dev_flush_later(struct sim_dev *d);
const char *sim_close_reason_name(enum sim_close_reason r);
int	sim_close_reason_by_server(enum sim_close_reason r);
const char *sim_misbehave_name(enum sim_misbehave mb);
int	sim_misbehave_parse(const char *s, enum sim_misbehave *mb);

/* sim_chan.c */
const char *sim_chan_state_name(enum sim_chan_state st);
/* APF input for channels; negative return: the tunnel must close. */
int	sim_chan_on_open(struct sim_dev *d, const struct apf_msg *m);
int	sim_chan_on_data(struct sim_dev *d, const struct apf_msg *m);
int	sim_chan_on_window(struct sim_dev *d, const struct apf_msg *m);
int	sim_chan_on_close(struct sim_dev *d, const struct apf_msg *m);
/* TLS output room returned: move queued channel output. */
void	sim_chan_dev_writable(struct sim_dev *d);
/* The read round is over: send the credit channels held back. */
int	sim_chan_dev_adjust(struct sim_dev *d);
/* The tunnel is gone: close every service, free every channel. */
void	sim_chan_dev_free(struct sim_dev *d);
/* For services. */
size_t	sim_chan_room(const struct sim_chan *ch);
int	sim_chan_write(struct sim_chan *ch, const void *p, size_t len);
void	sim_chan_close(struct sim_chan *ch);

/* sim_svc.c: port -> service. */
const struct sim_svc *sim_svc_for_port(uint32_t port);

/* sim_svc_echo.c */
extern const struct sim_svc sim_svc_echo;

/* sim_svc_wsman.c */
extern const struct sim_svc sim_svc_wsman;

/* sim_svc_sol.c: AMT redirection, SOL, on 16994.  X(enum suffix, name). */
#define SIM_SOL_STATES(X)						\
	X(WAIT_START,	"wait-start")	/* StartRedirectionSession */	\
	X(WAIT_AUTH,	"wait-auth")	/* Authenticate */		\
	X(WAIT_SOL,	"wait-sol")	/* StartSOL */			\
	X(RUN,		"run")		/* terminal data echoes */	\
	X(ENDED,	"ended")	/* closing; input discarded */

enum sim_sol_state {
#define SIM_SOL_ENUM(name, str) SIM_SOL_##name,
	SIM_SOL_STATES(SIM_SOL_ENUM)
#undef SIM_SOL_ENUM
};

struct sim_sol {
	enum sim_sol_state	state;
	uint32_t		seq;	/* of our data messages */
};

extern const struct sim_svc sim_svc_sol;
const char *sim_svc_sol_state_name(enum sim_sol_state st);
/* Complete message length at p, 0 = need more, SIZE_MAX = invalid. */
size_t	sim_svc_sol_msg_len(const uint8_t *p, size_t len);

/* sim_svc_bulk.c: sink/source/echo for bulk tests (port 9999). */
#define SIM_BULK_PORT	9999
#define SIM_BULK_STATES(X)						\
	X(COMMAND,	"command")	/* reading a command line */	\
	X(SINK,		"sink")		/* N bytes to hash and drop */	\
	X(SINK_ALL,	"sink-all")	/* drop until close */		\
	X(SINK_REPLY,	"sink-reply")	/* checksum waits for room */	\
	X(SOURCE,	"source")	/* sending N bytes */		\
	X(SUM,		"sum")		/* checksum waits for room */	\
	X(ECHO,		"echo")		/* echo until close */		\
	X(DONE,		"done")		/* closing */

enum sim_bulk_state {
#define SIM_BULK_ENUM(name, str) SIM_BULK_##name,
	SIM_BULK_STATES(SIM_BULK_ENUM)
#undef SIM_BULK_ENUM
};

struct evp_md_ctx_st;
/* Where the source's byte stream is (sim_svc_bulk_gen). */
struct sim_bulk_gen {
	uint64_t		 off;
};

struct sim_bulk {
	enum sim_bulk_state	 state;
	struct evp_md_ctx_st	*md;
	uint64_t		 left, total, source_total;
	struct sim_bulk_gen	 gen;		/* where the stream is */
	struct sim_bulk_gen	 src_start;	/* where the last source began */
	char			 sum[65];	/* of the last source */
	int			 have_sum;	/* a source completed */
	int			 sum_ready;	/* sum[] computed (on "sum") */
};

extern const struct sim_svc sim_svc_bulk;
const char *sim_svc_bulk_state_name(enum sim_bulk_state st);

/* sim_summary.c */
/* The JSON summary to path ("-" = stdout), a file written atomically. */
int	sim_summary_write(struct sim_fleet *f, const char *path);
int	sim_summary_fprint(struct sim_fleet *f, FILE *fp);
/* One human status line. */
void	sim_summary_progress(struct sim_fleet *f, FILE *fp);

#endif /* SIM_H */
