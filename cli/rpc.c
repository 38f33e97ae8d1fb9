/*
 * rpc.c: JSON-RPC client for the amt-mps control socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mps_err.h"
#include "rpc.h"

#define RPC_BUF_INITIAL	4096
#define RPC_LINGER_MS	1000	/* for a refusal line after a failed send */

int64_t
rpc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline as a poll() timeout; 0 once passed. */
static int
rpc_poll_timeout(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - rpc_now_ms();
	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* Waits for events on r->fd.  0, MPS_ERR_TIMEOUT or MPS_ERR_IO. */
static int
rpc_wait(struct rpc *r, short events, int64_t deadline)
{
	struct pollfd pfd;
	int n;

	for (;;) {
		if (r->stop != NULL && *r->stop) {
			r->sys_errno = EINTR;
			return MPS_ERR_IO;
		}
		pfd.fd = r->fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, rpc_poll_timeout(deadline));
		if (n > 0)
			return 0;	/* POLLHUP/POLLERR: the read/write says */
		if (n == 0)
			return MPS_ERR_TIMEOUT;
		if (errno != EINTR || (r->stop != NULL && *r->stop)) {
			r->sys_errno = errno;
			return MPS_ERR_IO;
		}
	}
}

int
rpc_connect(struct rpc *r, const char *path, int64_t timeout_ms,
    size_t max_line)
{
	struct sockaddr_un sun;
	struct timeval tv;
	int flags;
	volatile sig_atomic_t *stop = r->stop;	/* set before connecting */

	memset(r, 0, sizeof(*r));
	r->stop = stop;
	r->fd = -1;
	r->max = max_line;
	r->next_id = 1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return MPS_ERR_TOO_LARGE;
	memcpy(sun.sun_path, path, strlen(path) + 1);

	if ((r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	/*
	 * A non-blocking connect() on a Unix socket with a full backlog fails
	 * with EAGAIN and never completes, so connect blocking and let
	 * SO_SNDTIMEO (which Linux applies to Unix connects) bound it.
	 */
	if (timeout_ms > 0) {
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		if (setsockopt(r->fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
		    sizeof(tv)) == -1)
			goto fail;
	}
	while (connect(r->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == EINTR && (r->stop == NULL || !*r->stop))
			continue;
		goto fail;
	}
	if ((flags = fcntl(r->fd, F_GETFL)) == -1 ||
	    fcntl(r->fd, F_SETFL, flags | O_NONBLOCK) == -1)
		goto fail;
	return 0;
fail:
	r->sys_errno = errno;
	if (r->fd != -1)
		close(r->fd);
	r->fd = -1;
	return MPS_ERR_IO;
}

void
rpc_close(struct rpc *r)
{
	if (r->fd != -1)
		close(r->fd);
	r->fd = -1;
	free(r->buf);
	r->buf = NULL;
	r->len = r->cap = 0;
}

/* Writes all of p[0..len) before deadline. */
static int
rpc_write_all(struct rpc *r, const char *p, size_t len, int64_t deadline)
{
	ssize_t n;
	int rv;

	while (len > 0) {
		n = send(r->fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			if ((rv = rpc_wait(r, POLLOUT, deadline)) != 0)
				return rv;
			continue;
		}
		r->sys_errno = errno;
		return MPS_ERR_IO;
	}
	return 0;
}

int
rpc_send(struct rpc *r, const char *method, json_t *params,
    int64_t deadline, long long *id)
{
	json_t *req;
	char *line = NULL;
	size_t len;
	int rv;

	req = json_pack("{s:s, s:I, s:s}", "jsonrpc", "2.0",
	    "id", (json_int_t)r->next_id, "method", method);
	if (req == NULL)
		return MPS_ERR_NOMEM;
	if (params != NULL && json_object_set(req, "params", params) != 0) {
		json_decref(req);
		return MPS_ERR_NOMEM;
	}
	/* Compact output escapes control characters: the line has no \n. */
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (line == NULL)
		return MPS_ERR_NOMEM;
	len = strlen(line);
	if ((rv = rpc_write_all(r, line, len, deadline)) == 0)
		rv = rpc_write_all(r, "\n", 1, deadline);
	free(line);
	if (rv == 0)
		*id = r->next_id++;
	return rv;
}

/*
 * Makes room for at least one more byte without letting the buffer grow
 * past max + 1 (enough to notice that a line is over the cap).
 */
static int
rpc_grow(struct rpc *r)
{
	size_t ncap;
	char *nbuf;

	if (r->len < r->cap)
		return 0;
	if (r->cap > r->max)
		return MPS_ERR_TOO_LARGE;
	ncap = r->cap == 0 ? RPC_BUF_INITIAL : r->cap * 2;
	if (ncap > r->max + 1)
		ncap = r->max + 1;
	if ((nbuf = realloc(r->buf, ncap)) == NULL)
		return MPS_ERR_NOMEM;
	r->buf = nbuf;
	r->cap = ncap;
	return 0;
}

/*
 * Returns the length of the next complete line (without its \n) in
 * *linelen, reading as needed.  The caller consumes linelen + 1 bytes.
 */
static int
rpc_read_line(struct rpc *r, int64_t deadline, size_t *linelen)
{
	size_t scanned = 0;
	char *nl;
	ssize_t n;
	int rv;

	for (;;) {
		if (r->len > scanned &&
		    (nl = memchr(r->buf + scanned, '\n', r->len - scanned))
		    != NULL) {
			*linelen = (size_t)(nl - r->buf);
			if (*linelen > r->max)
				return MPS_ERR_TOO_LARGE;
			return 0;
		}
		scanned = r->len;
		if (r->len > r->max)
			return MPS_ERR_TOO_LARGE;
		if ((rv = rpc_grow(r)) != 0)
			return rv;
		n = read(r->fd, r->buf + r->len, r->cap - r->len);
		if (n > 0) {
			r->len += (size_t)n;
			continue;
		}
		if (n == 0)
			return MPS_ERR_CLOSED;
		if (errno == EAGAIN || errno == EINTR) {
			if ((rv = rpc_wait(r, POLLIN, deadline)) != 0)
				return rv;
			continue;
		}
		r->sys_errno = errno;
		return MPS_ERR_IO;
	}
}

int
rpc_recv(struct rpc *r, int64_t deadline, json_t **msg)
{
	json_error_t jerr;
	size_t linelen;
	json_t *j;
	int rv;

	*msg = NULL;
	if ((rv = rpc_read_line(r, deadline, &linelen)) != 0)
		return rv;
	j = json_loadb(r->buf, linelen, 0, &jerr);
	r->len -= linelen + 1;
	memmove(r->buf, r->buf + linelen + 1, r->len);
	if (j == NULL)
		return MPS_ERR_INVALID;
	if (!json_is_object(j)) {
		json_decref(j);
		return MPS_ERR_INVALID;
	}
	*msg = j;
	return 0;
}

int
rpc_call(struct rpc *r, const char *method, json_t *params,
    int64_t deadline, json_t **result, json_t **error)
{
	json_t *msg, *jid, *v;
	long long id;
	int rv;

	*result = *error = NULL;
	if ((rv = rpc_send(r, method, params, deadline, &id)) != 0) {
		/*
		 * A daemon that refuses a client (too many clients) writes
		 * one error line and closes, maybe before our request went
		 * out: that line says why, so read it if it is there.
		 */
		if (rv == MPS_ERR_IO && rpc_recv(r, rpc_now_ms() +
		    RPC_LINGER_MS, &msg) == 0) {
			if ((v = json_object_get(msg, "error")) != NULL) {
				*error = json_incref(v);
				rv = 0;
			}
			json_decref(msg);
		}
		return rv;
	}
	for (;;) {
		if ((rv = rpc_recv(r, deadline, &msg)) != 0)
			return rv;
		jid = json_object_get(msg, "id");
		if ((json_is_integer(jid) && json_integer_value(jid) == id) ||
		    (json_is_null(jid) && json_object_get(msg, "error"))) {
			if ((v = json_object_get(msg, "error")) != NULL) {
				*error = json_incref(v);
			} else if ((v = json_object_get(msg, "result"))
			    != NULL) {
				*result = json_incref(v);
			} else {
				json_decref(msg);
				return MPS_ERR_INVALID;
			}
			json_decref(msg);
			return 0;
		}
		/* A notification or someone else's id: not ours to handle. */
		json_decref(msg);
	}
}
