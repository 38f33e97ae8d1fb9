/*
 * proto_util.h: shared helpers for the protocol unit tests: hex, a
 * recording session harness (bytes sent and events seen), device message
 * builders, and a reader for the recorded fixture sessions.
 */
#ifndef PROTO_UTIL_H
#define PROTO_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "apf.h"
#include "apf_session.h"

#define PU_MAX_EVENTS	512
#define PU_MAX_MSGS	512

/* Hex string (whitespace ignored) to bytes; returns length, aborts on junk. */
size_t	pu_hex(const char *hex, uint8_t *out, size_t cap);

struct pu_event {
	enum apf_event_type	type;
	uint32_t		chan;
	void			*chan_arg;
	uint32_t		a, b;	/* port, cookie, reason, interval/timeout */
	char			text1[64], text2[64]; /* guid, user, password */
	size_t			len;	/* data length */
};

enum pu_auth {
	PU_AUTH_ASYNC,		/* leave the verdict to the test */
	PU_AUTH_ACCEPT,		/* accept from inside the callback */
	PU_AUTH_REJECT,		/* reject from inside the callback */
};

struct pu_rec;
typedef void pu_hook_fn(struct pu_rec *, const struct apf_event *);

struct pu_rec {
	struct apf_session	*s;
	uint8_t			*out;		/* everything sent */
	size_t			 out_len, out_cap;
	size_t			 msg_off[PU_MAX_MSGS]; /* where each send began */
	size_t			 msg_len[PU_MAX_MSGS];
	size_t			 nmsgs;
	struct pu_event		 ev[PU_MAX_EVENTS];
	size_t			 nev;
	enum pu_auth		 auth;
	int			 consume;	/* credit data in the callback */
	int			 fail_send;	/* send() returns -1 */
	pu_hook_fn		*hook;		/* extra work in the callback */
	void			*hook_arg;
	uint8_t			*data;		/* channel data received */
	size_t			 data_len, data_cap;
};

/* Creates r->s with the given limits (NULL for defaults). */
void	pu_init(struct pu_rec *r, const struct apf_session_limits *lim);
void	pu_free(struct pu_rec *r);
/* Forgets recorded bytes and events. */
void	pu_clear(struct pu_rec *r);

/* Feeds bytes; returns the session's rc and sets *consumed. */
int	pu_feed(struct pu_rec *r, const uint8_t *p, size_t len,
	    size_t *consumed);
/* Encodes m as the device and feeds it whole; returns rc. */
int	pu_feed_msg(struct pu_rec *r, const struct apf_msg *m);

/* Device message builders (device -> server). */
void	pu_msg_version(struct apf_msg *m);
void	pu_msg_service(struct apf_msg *m, const char *name);
void	pu_msg_userauth(struct apf_msg *m, const char *user, const char *pw);
void	pu_msg_forward(struct apf_msg *m, int cancel, uint32_t port,
	    uint8_t want_reply);
void	pu_msg_u32(struct apf_msg *m, enum apf_type type, uint32_t v);
void	pu_msg_confirm(struct apf_msg *m, uint32_t ours, uint32_t theirs,
	    uint32_t window);
void	pu_msg_data(struct apf_msg *m, uint32_t to, const void *p,
	    uint32_t len);
void	pu_msg_adjust(struct apf_msg *m, uint32_t to, uint32_t bytes);

/* Drives a fresh session to ACTIVE with the given forwards; clears r. */
void	pu_handshake(struct pu_rec *r, const uint32_t *ports, size_t n);
/* Opens a channel to port and confirms it with device id theirs. */
uint32_t pu_open_confirmed(struct pu_rec *r, uint32_t port, uint32_t theirs,
	    uint32_t window);

/* Decodes the i-th message we sent (REQUEST_SUCCESS with port if 5). */
void	pu_sent(const struct pu_rec *r, size_t i, struct apf_msg *m);
/* 1 if the i-th sent message has exactly these hex bytes. */
int	pu_sent_is(const struct pu_rec *r, size_t i, const char *hex);
/* Number of events of a type. */
size_t	pu_count(const struct pu_rec *r, enum apf_event_type type);

/* Recorded fixture sessions (records.jsonl / messages.jsonl). */
struct pu_chunk {
	int		 conn;
	int		 c2s;
	uint8_t		*p;
	size_t		 len;
	char		 name[64];	/* messages.jsonl only */
};

/* Loads MPS_FIXTURES/apf/<file>; returns the count, *out owns the array. */
size_t	pu_load_jsonl(const char *file, struct pu_chunk **out);
void	pu_free_chunks(struct pu_chunk *c, size_t n);

#endif /* PROTO_UTIL_H */
