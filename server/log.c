/*
 * log.c: text or JSON lines on stderr, levels, rate limiting.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static enum log_level	log_level = LOG_LEVEL_INFO;
static int		log_json;

static const char *const log_level_names[] = {
	"error", "warn", "info", "debug",
};

void
log_init(enum log_level level, int json)
{
	log_level = level;
	log_json = json;
}

void
log_setlevel(enum log_level level)
{
	log_level = level;
}

enum log_level
log_getlevel(void)
{
	return log_level;
}

int
log_enabled(enum log_level level)
{
	return level <= log_level;
}

const char *
log_level_name(enum log_level level)
{
	if ((unsigned)level >= sizeof(log_level_names) / sizeof(*log_level_names))
		return "?";
	return log_level_names[level];
}

/* Appends printf output to buf[*off..cap), truncating; never overflows. */
static void
log_append(char *buf, size_t cap, size_t *off, const char *fmt, ...)
    LOG_PRINTF(4, 5);

static void
log_append(char *buf, size_t cap, size_t *off, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (*off >= cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, cap - *off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= cap - *off)
		*off = cap - 1;
	else
		*off += (size_t)n;
}

/* JSON string body of s[0..len) (no quotes) into buf. */
static void
log_json_escape(char *buf, size_t cap, size_t *off, const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len && *off + 7 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\') {
			buf[(*off)++] = '\\';
			buf[(*off)++] = (char)ch;
		} else if (ch < 0x20 || ch == 0x7f) {
			log_append(buf, cap, off, "\\u%04x", ch);
		} else
			buf[(*off)++] = (char)ch;
	}
	buf[*off < cap ? *off : cap - 1] = '\0';
}

/*
 * Copies key=value tokens of the message out as JSON members, so JSON log
 * consumers can filter on conn, guid, event, reason without parsing text.
 * Values are bare words or "double quoted" (no escapes inside: the callers
 * never put a double quote into a quoted value).
 */
static void
log_json_fields(char *buf, size_t cap, size_t *off, const char *msg)
{
	const char	*p = msg, *k, *v;
	size_t		 klen, vlen;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		k = p;
		while ((*p >= 'a' && *p <= 'z') || *p == '_' ||
		    (*p >= '0' && *p <= '9'))
			p++;
		klen = (size_t)(p - k);
		if (klen == 0 || *p != '=') {
			while (*p != '\0' && *p != ' ')
				p++;
			continue;
		}
		p++;
		if (*p == '"') {
			v = ++p;
			while (*p != '\0' && *p != '"')
				p++;
			vlen = (size_t)(p - v);
			if (*p == '"')
				p++;
		} else {
			v = p;
			while (*p != '\0' && *p != ' ')
				p++;
			vlen = (size_t)(p - v);
		}
		/* Our own members win over a message token of the same name. */
		if ((klen == 4 && (memcmp(k, "time", 4) == 0)) ||
		    (klen == 5 && memcmp(k, "level", 5) == 0) ||
		    (klen == 3 && memcmp(k, "msg", 3) == 0))
			continue;
		log_append(buf, cap, off, ",\"%.*s\":\"", (int)klen, k);
		log_json_escape(buf, cap, off, v, vlen);
		log_append(buf, cap, off, "\"");
	}
}

void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char		 msg[LOG_LINE_MAX], line[LOG_LINE_MAX * 2 + 256];
	char		 ts[40];
	struct timespec	 now;
	struct tm	 tm;
	size_t		 off = 0;
	int		 n, saved_errno = errno;

	if (!log_enabled(level))
		return;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n >= (int)sizeof(msg))
		memcpy(msg + sizeof(msg) - 4, "...", 4);

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	off = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + off, sizeof(ts) - off, ".%03dZ",
	    (int)(now.tv_nsec / 1000000) % 1000);
	off = 0;

	if (log_json) {
		log_append(line, sizeof(line) - 1, &off,
		    "{\"time\":\"%s\",\"level\":\"%s\"", ts,
		    log_level_name(level));
		log_json_fields(line, sizeof(line) - 1, &off, msg);
		log_append(line, sizeof(line) - 1, &off, ",\"msg\":\"");
		log_json_escape(line, sizeof(line) - 1, &off, msg, strlen(msg));
		log_append(line, sizeof(line) - 1, &off, "\"}");
	} else
		log_append(line, sizeof(line) - 1, &off, "%s %s %s", ts,
		    log_level_name(level), msg);
	line[off++] = '\n';

	/* One write per line so concurrent writers never interleave. */
	while (write(STDERR_FILENO, line, off) < 0 && errno == EINTR)
		;
	errno = saved_errno;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	char	buf[LOG_LINE_MAX];
	va_list	ap;
	int	saved_errno = errno;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_msg(LOG_LEVEL_WARN, "%s: %s", buf, strerror(saved_errno));
	errno = saved_errno;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_WARN, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (!log_enabled(LOG_LEVEL_DEBUG))
		return;
	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	char	buf[LOG_LINE_MAX];
	va_list	ap;
	int	saved_errno = errno;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_msg(LOG_LEVEL_ERROR, "fatal: %s: %s", buf, strerror(saved_errno));
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	char	buf[LOG_LINE_MAX];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_msg(LOG_LEVEL_ERROR, "fatal: %s", buf);
	exit(1);
}

void
log_ratelimit_flush(struct log_ratelimit *rl, int64_t now)
{
	if (rl->window != INT64_MIN && now >= rl->window &&
	    now - rl->window < (int64_t)rl->interval)
		return;
	if (rl->suppressed > 0)
		log_msg(LOG_LEVEL_WARN,
		    "%s: %u similar messages suppressed in %us",
		    rl->what, rl->suppressed, rl->interval);
	rl->window = now;
	rl->count = 0;
	rl->suppressed = 0;
}

int
log_ratelimit(struct log_ratelimit *rl, int64_t now)
{
	log_ratelimit_flush(rl, now);
	if (rl->count < rl->burst) {
		rl->count++;
		return 1;
	}
	rl->suppressed++;
	rl->total_suppressed++;
	return 0;
}
