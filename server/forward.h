/*
 * forward.h: port forwards.  A forward is a local TCP listener bound to
 * one device port: every connection accepted on it opens its own APF
 * channel to that port through the device's tunnel, carried by the relay
 * engine (relay.h), so tools that speak to AMT directly (amtterm on 16994,
 * a VNC viewer on 5900, WS-Man clients on 16992) work through the MPS.
 *
 * Policy when the device goes away: its relays end (relay_dev_gone), the
 * listener stays; a connection accepted while the device has no tunnel is
 * closed at once (the tool sees EOF, not a hang), and forwarding resumes
 * by itself when the device reconnects, because the device is looked up by
 * GUID at every accept.  Operators keep their viewer configured.
 *
 * Limits: FWD_MAX forwards, FWD_PER_DEVICE_MAX per device, FWD_CONN_MAX
 * connections per forward (more are accepted and closed at once).  Only
 * loopback addresses may be listened on.
 */
#ifndef FORWARD_H
#define FORWARD_H

#include <stdint.h>

#include <jansson.h>

struct ctl_client;
struct ctl_req;

#define FWD_MAX			256
#define FWD_PER_DEVICE_MAX	16
#define FWD_CONN_MAX		64
#define FWD_ACCEPT_BURST	32	/* accepts per listener wakeup */

#define FWD_STATES(X)							\
	X(FWD_ACTIVE,	"active")	/* device connected: forwarding */ \
	X(FWD_WAITING,	"waiting")	/* device away: refusing */	\
	X(FWD_CLOSED,	"closed")	/* listener gone, conns ending */

enum fwd_state {
#define FWD_STATE_ENUM(name, str) name,
	FWD_STATES(FWD_STATE_ENUM)
#undef FWD_STATE_ENUM
	FWD_STATE_MAX
};

const char *forward_state_name(enum fwd_state st);

/* Control methods (docs/control-protocol.md). */
int	forward_ctl_open(struct ctl_client *, struct ctl_req *, json_t *);
int	forward_ctl_list(struct ctl_client *, struct ctl_req *, json_t *);
int	forward_ctl_close(struct ctl_client *, struct ctl_req *, json_t *);

/* Number of forwards (server.stats). */
uint32_t forward_count(void);
/* Closes every forward and its connections (shutdown). */
void	forward_shutdown(void);

#endif /* FORWARD_H */
