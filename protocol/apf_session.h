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
 * CLOSE is ever sent per channel.
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
	 * Send one whole APF message to the device.  Returns 0, or -1 if the
	 * transport cannot take it (the session then enters CLOSED).
	 */
	int	(*send)(void *arg, const uint8_t *buf, size_t len);
	/* Something happened; see enum apf_event_type. */
	void	(*event)(void *arg, const struct apf_event *ev);
};

struct apf_session_limits {
	uint32_t	max_channels;	/* open channels at once (default 8) */
	uint32_t	rx_window;	/* window we advertise (default 64 KiB) */
	uint32_t	max_packet;	/* largest CHANNEL_DATA we send (32 KiB) */
	uint32_t	max_glitches;	/* survivable oddities before close (64) */
};

struct apf_session;

/* Fills l with the defaults above. */
void	apf_session_limits_default(struct apf_session_limits *l);

/* NULL on allocation failure.  limits may be NULL for the defaults. */
struct apf_session *apf_session_new(const struct apf_session_limits *limits,
	    const struct apf_session_cb *cb, void *arg);
/* Frees the session and its channels without sending anything. */
void	apf_session_free(struct apf_session *s);

/*
 * Feed device bytes.  Decodes and handles as many whole messages as buf
 * holds and sets *consumed (the caller drains exactly that much and keeps the
 * rest for the next call).  Returns MPS_OK (including "need more bytes" and
 * "paused for the auth verdict") or a negative error after which the session
 * is CLOSED; apf_session_reason() then says why in words.
 */
int	apf_session_input(struct apf_session *s, const uint8_t *buf,
	    size_t len, size_t *consumed);

/* Largest message the decoder may wait for in the current state. */
size_t	apf_session_max_message(const struct apf_session *s);

/* The verdict for APF_EV_AUTH: sends USERAUTH_SUCCESS or _FAILURE. */
int	apf_session_auth_result(struct apf_session *s, int ok);

/* Sends KEEPALIVE_OPTIONS_REQUEST (ACTIVE only). */
int	apf_session_keepalive_options(struct apf_session *s,
	    uint32_t interval, uint32_t timeout);
/* Sends a KEEPALIVE_REQUEST probe (ACTIVE only). */
int	apf_session_keepalive_probe(struct apf_session *s, uint32_t cookie);
/* Sends DISCONNECT(reason) and enters CLOSED. */
int	apf_session_disconnect(struct apf_session *s, uint32_t reason);

/*
 * Opens a forwarded-tcpip channel to a device port.  MPS_ERR_PORT unless
 * the device forwarded that port, MPS_ERR_LIMIT at max_channels,
 * MPS_ERR_STATE unless ACTIVE.  Sets *id; arg comes back in events.
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
 * half, as in OpenSSH), never for bytes still held by us.
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
enum apf_chan_state apf_chan_state(const struct apf_session *s, uint32_t id,
	    int *exists);
const char *apf_chan_state_name(enum apf_chan_state st);
/* Human reason for the last fatal error ("USERAUTH_REQUEST before auth
 * service"), or "" if none. */
const char *apf_session_reason(const struct apf_session *s);

/* Read-only views for the registry. */
const char *apf_session_guid(const struct apf_session *s); /* "" before VERSION */
size_t	apf_session_forwards(const struct apf_session *s, uint32_t *ports,
	    size_t max);
int	apf_session_is_forwarded(const struct apf_session *s, uint32_t port);
uint32_t apf_session_channel_count(const struct apf_session *s);
uint32_t apf_session_glitches(const struct apf_session *s);

#endif /* APF_SESSION_H */
