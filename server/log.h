/*
 * log.h: the daemon's logging, after the OpenBSD log.h API.
 *
 * Every line goes to stderr as one write(2): text
 *	2026-11-24T10:00:00.123Z info conn=7 peer=127.0.0.1:40000 event=...
 * or, with format json, one object per line whose "msg" is the same text
 * and whose key=value tokens are also copied out as members:
 *	{"time":"...","level":"info","conn":"7",...,"msg":"conn=7 ..."}
 * systemd, docker and the integration tests all read stderr.
 *
 * log_warn() appends strerror(errno); log_warnx() does not.  fatal() and
 * fatalx() are for the daemon's own invariants and startup only, never for
 * anything a peer can cause.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <stdint.h>

/* Same numbering as enum config_log_level. */
enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

#define LOG_LINE_MAX	2048	/* longer lines are truncated with "..." */

#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* json 0: text lines, 1: JSON lines. */
void	log_init(enum log_level level, int json);
void	log_setlevel(enum log_level level);
enum log_level log_getlevel(void);
/* 1 if a line at this level would be written (skip costly formatting). */
int	log_enabled(enum log_level level);
const char *log_level_name(enum log_level level);

void	log_msg(enum log_level level, const char *fmt, ...) LOG_PRINTF(2, 3);
void	log_vmsg(enum log_level level, const char *fmt, va_list ap)
	    LOG_PRINTF(2, 0);
void	log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void	log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);
void	log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void	log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
void	fatal(const char *fmt, ...) LOG_PRINTF(1, 2)
	    __attribute__((noreturn));
void	fatalx(const char *fmt, ...) LOG_PRINTF(1, 2)
	    __attribute__((noreturn));

/*
 * Rate limiter for lines a peer can trigger at will (TLS failures, auth
 * failures, protocol errors): at most burst lines per interval seconds.
 * The first line allowed in a new interval is preceded by
 * "<what>: N similar messages suppressed" when some were dropped.
 * Initialise with LOG_RATELIMIT_INIT.
 */
struct log_ratelimit {
	const char	*what;
	uint32_t	 interval;	/* seconds */
	uint32_t	 burst;
	int64_t		 window;	/* start of the current interval */
	uint32_t	 count;		/* lines allowed in this interval */
	uint32_t	 suppressed;	/* lines dropped in this interval */
	uint64_t	 total_suppressed;
};
#define LOG_RATELIMIT_INIT(what, interval, burst)	\
	{ (what), (interval), (burst), INT64_MIN, 0, 0, 0 }

/*
 * 1 if a line may be logged now (monotonic seconds), 0 to drop it.  Logs
 * the "suppressed" summary itself when a new interval starts.
 */
int	log_ratelimit(struct log_ratelimit *rl, int64_t now);
/*
 * Starts a new interval if the current one is over, logging the summary of
 * what was dropped; the daemon's tick calls it so a burst's summary is not
 * held back until the next line of that kind.
 */
void	log_ratelimit_flush(struct log_ratelimit *rl, int64_t now);

#endif /* LOG_H */
