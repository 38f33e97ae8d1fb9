/*
 * sim_wsman_log.c: the WS-Man call log, one JSON object per line per HTTP
 * request a simulated device answered, so a test can assert the exact
 * sequence of calls the MPS made.  Each line goes out in one write(2) on
 * an O_APPEND descriptor: lines from several simulators sharing a file
 * do not interleave, and a reader never sees half a line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "mps_err.h"
#include "sim_wsman.h"

/* A line never needs more: every field in the call record is bounded. */
#define SIM_WSMAN_LOG_LINE	16384

struct sim_wsman_log_buf {
	char	*p;
	size_t	 len, off;
	int	 full;
};

static void
sim_wsman_log_add(struct sim_wsman_log_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sim_wsman_log_add(struct sim_wsman_log_buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (b->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->off, b->len - b->off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->len - b->off) {
		b->full = 1;
		return;
	}
	b->off += (size_t)n;
}

/* A JSON string (with quotes); NULL is null. */
static void
sim_wsman_log_str(struct sim_wsman_log_buf *b, const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;

	if (s == NULL) {
		sim_wsman_log_add(b, "null");
		return;
	}
	sim_wsman_log_add(b, "\"");
	for (; *u != '\0'; u++) {
		if (*u == '"' || *u == '\\')
			sim_wsman_log_add(b, "\\%c", *u);
		else if (*u < 0x20 || *u == 0x7f)
			sim_wsman_log_add(b, "\\u%04x", *u);
		else
			sim_wsman_log_add(b, "%c", *u);
	}
	sim_wsman_log_add(b, "\"");
}

/* The class name: what follows the last '/' of a resource URI. */
static const char *
sim_wsman_log_class(const char *uri)
{
	const char	*slash = strrchr(uri, '/');

	return slash != NULL ? slash + 1 : uri;
}

size_t
sim_wsman_log_format(char *buf, size_t len, const struct sim_amt *a,
    uint32_t port, const struct sim_wsman_call *call)
{
	struct sim_wsman_log_buf	 b = { buf, len, 0, 0 };
	struct timeval			 tv;
	const char			*act = NULL;
	size_t				 i;

	if (len == 0)
		return 0;
	gettimeofday(&tv, NULL);
	sim_wsman_log_add(&b, "{\"t\":%lld.%03ld,\"guid\":",
	    (long long)tv.tv_sec, (long)(tv.tv_usec / 1000));
	sim_wsman_log_str(&b, a->guid);
	sim_wsman_log_add(&b, ",\"device\":");
	sim_wsman_log_str(&b, a->name);
	sim_wsman_log_add(&b, ",\"port\":%u,\"method\":", port);
	sim_wsman_log_str(&b, call->method);
	sim_wsman_log_add(&b, ",\"resource\":");
	sim_wsman_log_str(&b, call->resource[0] != '\0' ?
	    sim_wsman_log_class(call->resource) : NULL);
	/* For an Invoke the method name, else the operation again. */
	if (call->method != NULL && strcmp(call->method, "Invoke") == 0 &&
	    call->action[0] != '\0')
		act = sim_wsman_log_class(call->action);
	else
		act = call->method;
	sim_wsman_log_add(&b, ",\"action\":");
	sim_wsman_log_str(&b, act);
	sim_wsman_log_add(&b, ",\"resource_uri\":");
	sim_wsman_log_str(&b, call->resource[0] != '\0' ? call->resource :
	    NULL);
	sim_wsman_log_add(&b, ",\"action_uri\":");
	sim_wsman_log_str(&b, call->action[0] != '\0' ? call->action : NULL);
	sim_wsman_log_add(&b, ",\"selectors\":{");
	for (i = 0; i < call->nsel; i++) {
		sim_wsman_log_add(&b, i > 0 ? "," : "");
		sim_wsman_log_str(&b, call->sel_name[i]);
		sim_wsman_log_add(&b, ":");
		sim_wsman_log_str(&b, call->sel_value[i]);
	}
	sim_wsman_log_add(&b, "},\"params\":{");
	for (i = 0; i < call->npar; i++) {
		sim_wsman_log_add(&b, i > 0 ? "," : "");
		sim_wsman_log_str(&b, call->par_name[i]);
		sim_wsman_log_add(&b, ":");
		sim_wsman_log_str(&b, call->par_value[i]);
	}
	sim_wsman_log_add(&b, "},\"status\":%d,\"return_value\":",
	    call->status);
	if (call->has_rv)
		sim_wsman_log_add(&b, "%u", call->rv);
	else
		sim_wsman_log_add(&b, "null");
	sim_wsman_log_add(&b, ",\"fault\":");
	sim_wsman_log_str(&b, call->fault[0] != '\0' ? call->fault : NULL);
	sim_wsman_log_add(&b, ",\"auth\":");
	sim_wsman_log_str(&b, call->auth);
	if (call->booted != NULL) {
		sim_wsman_log_add(&b, ",\"booted\":");
		sim_wsman_log_str(&b, call->booted);
	}
	sim_wsman_log_add(&b, "}\n");
	if (b.full) {
		/* Cannot happen with the bounded record; still one line. */
		b.off = 0;
		b.full = 0;
		sim_wsman_log_add(&b, "{\"guid\":\"%s\",\"error\":\"line too "
		    "long\"}\n", a->guid);
	}
	return b.off;
}

int
sim_wsman_log_open(const char *path)
{
	int	fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0644)) < 0)
		return MPS_ERR_IO;
	return fd;
}

int
sim_wsman_log_write(int fd, const struct sim_amt *a, uint32_t port,
    const struct sim_wsman_call *call)
{
	char	line[SIM_WSMAN_LOG_LINE];
	size_t	n;
	ssize_t	w;

	if (fd < 0)
		return 0;
	n = sim_wsman_log_format(line, sizeof(line), a, port, call);
	do
		w = write(fd, line, n);
	while (w < 0 && errno == EINTR);
	return w == (ssize_t)n ? 0 : MPS_ERR_IO;
}
