/*
 * apf_session.h: the server side of one CIRA tunnel as a pure state
 * machine.  Bytes from the device go in with apf_session_input(); bytes for
 * the device and events for the daemon come out through two callbacks.  No
 * sockets, no timers, no libevent: server/ owns those and calls in.
 *
 * Order enforced (anything else is rejected with MPS_ERR_STATE and a
 * specific reason, after a DISCONNECT(PROTOCOL_ERROR) is emitted):
 *
 *   VERSION --PROTOCOLVERSION--> AUTH_SERVICE --SERVICE_REQUEST auth@-->
 *   USERAUTH --USERAUTH_REQUEST--> AUTH_PENDING --verdict ok--> PFWD_SERVICE
 *   --SERVICE_REQUEST pfwd@--> ACTIVE (forwards, channels, keepalive)
 *
 * PROTOCOLVERSION is never sent to the device (neither other MPS does and
 * devices connect).  KEEPALIVE_REQUEST is accepted from ACTIVE on only.
 *
 * Authentication is asynchronous: USERAUTH_REQUEST emits APF_EV_AUTH and
 * input processing pauses (apf_session_input consumes nothing more and
 * returns MPS_OK) until the daemon calls apf_session_auth_result(), which may
 * happen from inside the event callback.  A failed verdict emits
 * USERAUTH_FAILURE and the session enters CLOSED (caller closes after
 * flushing).
 *
 * Channels are opened by us (forwarded-tcpip to a port the device forwarded)
 * and addressed by our own channel id.  Ids are allocated from a counter
 * that never repeats within a session, so every id below the counter that is
 * not in the table is a tombstone: stray DATA/ADJUST/CLOSE for it is ignored
 * (and counted as a glitch), never mistaken for a live channel.  Exactly one
 * CLOSE is ever sent per channel.  Every channel ends with exactly one of
 * APF_EV_CHAN_OPEN_FAILED or APF_EV_CHAN_CLOSED (CLOSED also when the open
 * failed after apf_session_close() was called on it).
 *
 * Global requests: every tcpip-forward is answered (REQUEST_SUCCESS + port,
 * or REQUEST_FAILURE for port 0/>65535 or past APF_MAX_FORWARDS), also when
 * want_reply is 0; a repeated port is answered again but added once.
 * cancel-tcpip-forward gets the 1-byte REQUEST_SUCCESS (REQUEST_FAILURE and
 * a glitch for a port not forwarded).  udp-send-to gets REQUEST_FAILURE if
 * want_reply, and a glitch.  Unknown requests: REQUEST_FAILURE if
 * want_reply, then DISCONNECT (their length is unknowable).  Device-opened
 * channels are refused with OPEN_FAILURE reason 3.
 *
 * Callbacks and reentrancy.  From inside cb->event the daemon may call
 * apf_session_auth_result, _open, _send, _consumed, _close, _disconnect,
 * _keepalive_* and every getter.  apf_session_free is allowed too: it is
 * deferred until the outermost session call returns, and from then on the
 * session sends nothing and emits no events.  apf_session_input must not be
 * called from a callback (MPS_ERR_INTERNAL).  cb->send must not call back
 * into the session.  Pointers in an event (auth strings, data) point into
 * the caller's input buffer and are valid only during the callback.
 */
#ifndef APF_SESSION_H
#define APF_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "apf.h"

#define APF_MAX_FORWARDS	16	/* distinct forwarded ports per tunnel */

enum apf_session_state {
	APF_SESSION_VERSION,		/* waiting for PROTOCOLVERSION */
	APF_SESSION_AUTH_SERVICE,	/* waiting for auth@ service request */
	APF_SESSION_USERAUTH,		/* waiting for USERAUTH_REQUEST */
	APF_SESSION_AUTH_PENDING,	/* daemon is checking credentials */
	APF_SESSION_PFWD_SERVICE,	/* waiting for pfwd@ service request */
	APF_SESSION_ACTIVE,		/* forwards, channels, keepalive */
	APF_SESSION_CLOSED,		/* nothing more is accepted or sent */
};

enum apf_chan_state {
	APF_CHAN_OPENING,	/* CHANNEL_OPEN sent, no answer yet */
	APF_CHAN_OPEN,
	APF_CHAN_CLOSE_SENT,	/* our CLOSE sent, waiting for the device's */
};

enum apf_event_type {
	APF_EV_VERSION = 1,	/* u.version: uuid/guid known */
	APF_EV_AUTH,		/* u.auth: call apf_session_auth_result() */
	APF_EV_AUTHENTICATED,	/* USERAUTH_SUCCESS sent */
	APF_EV_FORWARD_ADDED,	/* u.forward.port */
	APF_EV_FORWARD_REMOVED,	/* u.forward.port */
	APF_EV_KEEPALIVE,	/* u.keepalive.cookie, reply already sent */
	APF_EV_KEEPALIVE_OPTIONS, /* u.ka_options: what the device accepted */
	APF_EV_CHAN_OPENED,	/* chan: confirmation received */
	APF_EV_CHAN_OPEN_FAILED, /* chan, u.open_failure.reason; chan freed */
	APF_EV_CHAN_DATA,	/* chan, u.data: bytes for the consumer */
	APF_EV_CHAN_WINDOW,	/* chan: send window grew (WINDOW_ADJUST) */
	APF_EV_CHAN_CLOSED,	/* chan: fully closed and freed; id is dead */
	APF_EV_DISCONNECT,	/* u.disconnect.reason: device said goodbye */
	APF_EV_KEEPALIVE_REPLY,	/* u.keepalive.cookie: answer to our probe */
};

struct apf_event {
	enum apf_event_type	type;
	uint32_t		chan;	/* our channel id, for APF_EV_CHAN_* */
	void			*chan_arg; /* as given to apf_session_open */
	union {
		struct {
			uint32_t major, minor, trigger;
			uint8_t	 uuid[APF_UUID_LEN];
			char	 guid[APF_GUID_STRLEN + 1];
		} version;
		struct {
			struct apf_str	user;
			struct apf_str	password;
			struct apf_str	method;	/* "password" or other */
		} auth;
		struct { uint32_t port; } forward;
		struct { uint32_t cookie; } keepalive;
		struct { uint32_t interval, timeout; } ka_options;
		struct { uint32_t reason; } open_failure;
		struct { const uint8_t *p; size_t len; } data;
		struct { uint32_t reason; } disconnect;
	} u;
};

struct apf_session_cb {
	/*
	 * Send one whole APF message to the device (copy it: buf is ours).
	 * Returns 0, or -1 if the transport cannot take it (the session then
	 * enters CLOSED and the calling function returns MPS_ERR_IO).
	 */
	int	(*send)(void *arg, const uint8_t *buf, size_t len);
	/* Something happened; see enum apf_event_type.  May be NULL. */
	void	(*event)(void *arg, const struct apf_event *ev);
};

/*
 * Zero fields mean the default; max_channels is capped at 4096, rx_window at
 * 1 GiB, max_packet at APF_MAX_DATA.  Data beyond rx_window is tolerated up to
 * rx_window / 10 per channel (grace), then MPS_ERR_WINDOW; one CHANNEL_DATA
 * larger than window + grace is MPS_ERR_TOO_LARGE.
 */
struct apf_session_limits {
	uint32_t	max_channels;	/* open channels at once (default 8) */
	uint32_t	rx_window;	/* window we advertise (default 64 KiB) */
	uint32_t	max_packet;	/* largest CHANNEL_DATA we send (32 KiB) */
	uint32_t	max_glitches;	/* survivable oddities before close (64) */
};

struct apf_session;

/* Fills l with the defaults above. */
void	apf_session_limits_default(struct apf_session_limits *l);

/*
 * NULL on allocation failure or without cb->send.  limits may be NULL for
 * the defaults.  cb is copied.
 */
struct apf_session *apf_session_new(const struct apf_session_limits *limits,
	    const struct apf_session_cb *cb, void *arg);
/*
 * Frees the session and its channels without sending anything and without
 * events.  From inside a callback the free is deferred (see above).
 */
void	apf_session_free(struct apf_session *s);

/*
 * Feed device bytes.  Decodes and handles as many whole messages as buf
 * holds and sets *consumed (the caller drains exactly that much and keeps the
 * rest for the next call).  Returns MPS_OK (including "need more bytes" and
 * "paused for the auth verdict") or a negative error after which the session
 * is CLOSED; apf_session_reason() then says why in words.  Whenever the
 * session ends up CLOSED the result is negative: MPS_ERR_STATE (order),
 * _UNKNOWN_TYPE/_REQUEST/_SERVICE, _TOO_LARGE/_INVALID (malformed),
 * _CHANNEL (unknown channel id), _WINDOW, _LIMIT (glitches), _AUTH (verdict
 * given from the callback was "no"), _CLOSED (device DISCONNECT, or the
 * daemon disconnected or freed from a callback), _IO (cb->send failed).
 * Protocol errors send DISCONNECT(PROTOCOL_ERROR) first (reason 7 for an
 * unknown service).  The type byte is judged against the state before the
 * rest of the message is awaited.
 *
 * After a verdict given outside the AUTH callback, call this again with the
 * bytes kept so far: nothing after USERAUTH_REQUEST was consumed.
 */
int	apf_session_input(struct apf_session *s, const uint8_t *buf,
	    size_t len, size_t *consumed);

/*
 * Largest message the decoder may wait for in the current state: after
 * apf_session_input returned MPS_OK outside AUTH_PENDING, the unconsumed
 * rest is always shorter.  93 before PROTOCOLVERSION, about 2 KiB around the
 * service requests, about 8 KiB for USERAUTH, and in ACTIVE 9 + rx_window
 * + grace (at least the 8 KiB of the string-bearing messages).
 */
size_t	apf_session_max_message(const struct apf_session *s);

/*
 * The verdict for APF_EV_AUTH: sends USERAUTH_SUCCESS (then
 * APF_EV_AUTHENTICATED) or the 14-byte USERAUTH_FAILURE (then CLOSED; the
 * caller closes after flushing).  0 once sent; MPS_ERR_STATE unless
 * AUTH_PENDING.  Methods other than "password" come with an empty password;
 * reject them.
 */
int	apf_session_auth_result(struct apf_session *s, int ok);

/* Sends KEEPALIVE_OPTIONS_REQUEST (ACTIVE only). */
int	apf_session_keepalive_options(struct apf_session *s,
	    uint32_t interval, uint32_t timeout);
/* Sends a KEEPALIVE_REQUEST probe (ACTIVE only). */
int	apf_session_keepalive_probe(struct apf_session *s, uint32_t cookie);
/* Sends DISCONNECT(reason) and enters CLOSED (MPS_ERR_CLOSED if it was). */
int	apf_session_disconnect(struct apf_session *s, uint32_t reason);

/*
 * Opens a forwarded-tcpip channel to a device port.  MPS_ERR_PORT unless
 * the device forwarded that port, MPS_ERR_LIMIT at max_channels (channels
 * count until both CLOSEs are done), MPS_ERR_STATE unless ACTIVE.  Sets *id
 * (ids start at 4 and never repeat); arg comes back in events.  The open
 * advertises rx_window; APF_EV_CHAN_OPENED or _OPEN_FAILED follows.
 */
int	apf_session_open(struct apf_session *s, uint32_t port, void *arg,
	    uint32_t *id);
/*
 * Sends up to len bytes as CHANNEL_DATA messages of at most max_packet each,
 * limited by the device's window.  Returns the number of bytes sent (0 when
 * the window is closed or the channel still opening), or a negative error
 * (MPS_ERR_CHANNEL for an unknown/closing channel).
 */
long	apf_session_send(struct apf_session *s, uint32_t id,
	    const uint8_t *p, size_t len);
/* Bytes the device will accept now on this channel (0 if not open). */
uint32_t apf_session_send_window(const struct apf_session *s, uint32_t id);
/*
 * The consumer has written n bytes of this channel's data onward: credit the
 * device.  WINDOW_ADJUST is sent only once worthwhile (the window fell below
 * half, as in OpenSSH), never for bytes still held by us.  MPS_ERR_USAGE if
 * n exceeds the bytes delivered and not yet consumed.
 */
int	apf_session_consumed(struct apf_session *s, uint32_t id, size_t n);
/*
 * Closes our side.  Exactly one CLOSE goes out per channel: while OPENING it
 * is deferred to the confirmation; after the device's CLOSE nothing is sent.
 * APF_EV_CHAN_CLOSED follows when both sides are done.
 */
int	apf_session_close(struct apf_session *s, uint32_t id);

enum apf_session_state apf_session_state(const struct apf_session *s);
const char *apf_session_state_name(enum apf_session_state st);
/* State of channel id; *exists (may be NULL) is 0 if there is none. */
enum apf_chan_state apf_chan_state(const struct apf_session *s, uint32_t id,
	    int *exists);
const char *apf_chan_state_name(enum apf_chan_state st);
/*
 * Human reason for the first fatal error ("USERAUTH_REQUEST before auth
 * service request", "channel 4 exceeded its window by 101 bytes"), or ""
 * if none.  Peer-supplied names in it are sanitised to printable ASCII.
 */
const char *apf_session_reason(const struct apf_session *s);

/* Read-only views for the registry. */
/* Lowercase GUID from PROTOCOLVERSION, "" before it. */
const char *apf_session_guid(const struct apf_session *s);
/* Copies up to max forwarded ports (in forward order); returns how many. */
size_t	apf_session_forwards(const struct apf_session *s, uint32_t *ports,
	    size_t max);
int	apf_session_is_forwarded(const struct apf_session *s, uint32_t port);
uint32_t apf_session_channel_count(const struct apf_session *s);
uint32_t apf_session_glitches(const struct apf_session *s);
/* Heap bytes the session holds now (struct, channel table, reason text). */
size_t	apf_session_memory(const struct apf_session *s);

#endif /* APF_SESSION_H */
