/*
 * ops.h: per-device scheduling of AMT operations (wsman/amt.h state
 * machines) over the WS-Man transport.
 *
 * Each device has a bounded queue (OPS_QUEUE_MAX) and runs one operation
 * at a time, its requests at least OPS_SPACING_MS apart (AMT serves one
 * request at a time and fails channel opens under load).  At most
 * OPS_MAX_RUNNING devices have an operation running at once; the others
 * wait their turn in arrival order.  Every request is bounded by
 * limits.request_timeout.  Power actions (OPS_F_POWER) are refused within
 * limits.power_cooldown seconds of the last one to the same GUID (Intel:
 * never send a second power change before the first completed), also
 * across reconnects.
 *
 * Every submitted operation ends in exactly one call of its done
 * callback, from a fresh event (never from inside ops_submit), also when
 * it is refused at once (no credentials, cooldown, not connected), when
 * the device disconnects mid-operation, or at shutdown.
 */
#ifndef OPS_H
#define OPS_H

#include <stddef.h>
#include <stdint.h>

#include "amt.h"

struct dev_conn;
struct ops_dev;

#define OPS_QUEUE_MAX		32	/* queued per device */
#define OPS_MAX_RUNNING		256	/* devices with an operation running */
#define OPS_SPACING_MS		10	/* between request starts, per device */
#define OPS_COOL_BUCKETS	1024

#define OPS_F_POWER		0x01	/* changes power: cooldown applies */

/* How an operation ended, for its done callback. */
struct ops_outcome {
	const char		*guid;
	int			 err;		/* 0 or MPS_ERR_* */
	const char		*message;	/* for err: cause and fix */
	const struct amt_result	*res;		/* the operation's result */
	const char		*op_name;	/* "power-state", "boot" ... */
	const char		*step;		/* exchange it ended at */
	uint32_t		 port;		/* WS-Man port used, 0 if none */
	uint32_t		 apf_reason;	/* MPS_ERR_OPEN_REFUSED */
	uint32_t		 cooldown;	/* MPS_ERR_COOLDOWN: s */
	uint32_t		 cooldown_ago;	/* s since the last action */
	uint32_t		 requests;	/* HTTP exchanges made */
	uint32_t		 ms;		/* submit to end */
};

typedef void ops_done_fn(void *arg, const struct ops_outcome *o);

/* Once at startup, after the event base exists (also transport_init). */
int	ops_init(void);
/*
 * Ends every operation with MPS_ERR_CLOSED and runs the done callbacks
 * now (call before ctl_shutdown, so every request is answered).
 */
void	ops_shutdown(void);
/* Frees what is left (after the loop stopped). */
void	ops_cleanup(void);

/*
 * Queues op (taken over in every case) on device c.  Returns 0 (done will
 * be called exactly once) or MPS_ERR_NOMEM (op freed, done never called).
 */
int	ops_submit(struct dev_conn *c, struct amt_op *op, int flags,
	    ops_done_fn *done, void *arg);
/*
 * Like ops_submit for a device that is known by GUID but has no tunnel:
 * ends at once with MPS_ERR_NOT_CONNECTED (fleet forms report it).
 */
int	ops_submit_absent(const char *guid, struct amt_op *op,
	    ops_done_fn *done, void *arg);
/* For device.c: c's tunnel is closing; its operations fail. */
void	ops_dev_gone(struct dev_conn *c);

/* The daemon's WS-Man context (random MessageID prefix). */
struct wsman_ctx *ops_wsman(void);

struct ops_stats {
	uint64_t	submitted;
	uint64_t	ok;
	uint64_t	failed;
	uint32_t	running;
	uint32_t	queued;
	uint32_t	waiting;	/* devices waiting for a running slot */
};
void	ops_get_stats(struct ops_stats *st);

#endif /* OPS_H */
