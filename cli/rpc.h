/*
 * rpc.h: the CLI side of the control socket (docs/control-protocol.md).
 *
 * One blocking-style client connection: JSON-RPC 2.0, one object per line.
 * Every wait has a deadline and every received line is capped, so a stuck
 * or babbling daemon can only make the CLI fail, never hang or grow without
 * bound.
 */
#ifndef RPC_H
#define RPC_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* A devices.list of a 20,000-device fleet is about 12 MiB. */
#define RPC_LINE_MAX	(16u * 1024 * 1024)

struct rpc {
	int			 fd;
	char			*buf;		/* received, not yet consumed */
	size_t			 len;
	size_t			 cap;
	size_t			 max;		/* longest accepted line */
	long long		 next_id;
	int			 sys_errno;	/* errno of the last MPS_ERR_IO */
	/* When set and nonzero after EINTR, waits give up (MPS_ERR_IO, EINTR). */
	volatile sig_atomic_t	*stop;
};

/* Monotonic milliseconds; a deadline is now_ms() + timeout, -1 = none. */
int64_t	rpc_now_ms(void);

/*
 * Connects to the Unix socket at path.  timeout_ms bounds the connect (-1
 * none).  0, MPS_ERR_TOO_LARGE (path does not fit sun_path) or MPS_ERR_IO
 * with r->sys_errno set.  r is initialised either way (keeping r->stop,
 * which the caller sets first); rpc_close() it.
 */
int	rpc_connect(struct rpc *r, const char *path, int64_t timeout_ms,
	    size_t max_line);
void	rpc_close(struct rpc *r);

/*
 * Sends one request (params may be NULL; it is not consumed) and stores its
 * id in *id.  0, MPS_ERR_IO, MPS_ERR_TIMEOUT or MPS_ERR_NOMEM.
 */
int	rpc_send(struct rpc *r, const char *method, json_t *params,
	    int64_t deadline, long long *id);

/*
 * Receives the next message of any kind (response or notification) into
 * *msg (a new reference to a JSON object).  0, MPS_ERR_CLOSED (peer closed),
 * MPS_ERR_IO, MPS_ERR_TIMEOUT, MPS_ERR_TOO_LARGE (line over r->max) or
 * MPS_ERR_INVALID (not a JSON object).
 */
int	rpc_recv(struct rpc *r, int64_t deadline, json_t **msg);

/*
 * Sends a request and waits for its response, skipping notifications and
 * other ids.  On 0 exactly one of *result and *error is a new reference.
 * A response with a null id carrying an error (the daemon refusing this
 * client) counts as the answer.  Transport failures as rpc_recv().
 */
int	rpc_call(struct rpc *r, const char *method, json_t *params,
	    int64_t deadline, json_t **result, json_t **error);

#endif /* RPC_H */
