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
 * Origins: forwards listed under forwards: in amt-mps.yaml are opened by
 * forward_start() at daemon start, before any device connects (their
 * devices are named by GUID, so they simply wait); forward.open adds more
 * at run time.  Both kinds behave the same, forward.list shows which is
 * which ("origin": "config" or "control"), and forward.close closes either;
 * a closed configured forward comes back at the next restart.  A reload
 * does not open or close forwards: the list changes at restart.
 *
 * Limits: FWD_MAX forwards in all; forward.per_device per device and
 * forward.connections connections per forward (more are accepted and
 * closed at once), both read from the running configuration when they
 * apply.  Only loopback addresses (127.0.0.0/8, ::1) may be listened on
 * unless forward.allow_non_loopback is true.
 */
#ifndef FORWARD_H
#define FORWARD_H

#include <stdint.h>

#include <jansson.h>

struct ctl_client;
struct ctl_req;
struct mps_config;

#define FWD_MAX			256	/* global cap, whatever the config */
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

/*
 * Opens cfg's forwards: (at start, after the event base exists).  On a
 * failure (address in use, ...) logs which entry and why, closes the ones
 * it opened and returns MPS_ERR_IO or MPS_ERR_NOMEM: a startup error.
 */
int	forward_start(const struct mps_config *cfg);

/* Number of forwards (server.stats). */
uint32_t forward_count(void);
/* Closes every forward and its connections (shutdown). */
void	forward_shutdown(void);

#endif /* FORWARD_H */
