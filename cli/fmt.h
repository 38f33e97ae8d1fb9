/*
 * fmt.h: human output of amt-mps-cli: times, sizes, port lists, aligned
 * tables and "label  value" listings of JSON objects.
 *
 * Everything here only formats; nothing talks to the daemon.  Unknown keys
 * in daemon objects are still printed (generically), so a newer daemon's
 * additions show up without a CLI change.
 */
#ifndef FMT_H
#define FMT_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

/* Longest value or table cell printed, in bytes; longer ones are cut. */
#define FMT_CELL_MAX	512

/*
 * Parses the daemon's timestamps: "YYYY-MM-DDTHH:MM:SS" with optional
 * fraction and a "Z" or "+hh:mm"/"-hh:mm" offset.  0 or MPS_ERR_INVALID.
 */
int	fmt_parse_time(const char *s, time_t *out);

/* "now", "42s ago", "5m ago", "3h12m ago", "2d4h ago" for then vs now. */
time_t	fmt_now(void);
void	fmt_ago(time_t then, time_t now, char *buf, size_t len);

/* "45s", "5m 3s", "3h 12m", "2d 4h" for a number of seconds. */
void	fmt_duration(double secs, char *buf, size_t len);

/* "512 B", "1.5 KiB", "12.0 MiB" ... */
void	fmt_bytes(double n, char *buf, size_t len);

/*
 * A JSON array of port numbers as a sorted list with runs folded:
 * "623,664,5900,16992-16995"; "-" when empty.  Non-numbers are skipped.
 */
void	fmt_ports(json_t *ports, char *buf, size_t len);

/* Display width of a UTF-8 string (code points; no wide-glyph tables). */
size_t	fmt_width(const char *s);

/* An aligned text table with a header row. */
struct fmt_table;

struct fmt_table *fmt_table_new(size_t ncol, const char *const *headers);
/* Copies ncol cells (NULL prints "-").  0 or MPS_ERR_NOMEM. */
int	fmt_table_add(struct fmt_table *t, const char *const *cells);
/* Prints header and rows, columns two spaces apart, no trailing blanks. */
void	fmt_table_print(const struct fmt_table *t, FILE *fp);
void	fmt_table_free(struct fmt_table *t);

enum fmt_kind {
	FMT_GUESS = 0,	/* by key name: *_at times, *bytes* sizes, else text */
	FMT_TEXT,
	FMT_TIME,	/* "2026-...Z (5m ago)" */
	FMT_PORTS,
	FMT_BYTES,	/* "1234567 (1.2 MiB)" */
	FMT_SECONDS,	/* "30 s" */
	FMT_DURATION,	/* "3h 12m" */
	FMT_ENDPOINTS,	/* [{address, port}] as "addr:port, [v6]:port" */
	FMT_HIDE,	/* not printed */
};

struct fmt_field {
	const char	*key;
	const char	*label;		/* NULL: the key with _ as spaces */
	enum fmt_kind	 kind;
};

/*
 * Prints obj as "label  value" lines: first the keys in fields (array
 * ended by a NULL key; fields may be NULL) in that order, then every other
 * key, nested objects flattened as "parent.child".  Null values print "-".
 */
void	fmt_object(FILE *fp, json_t *obj, const struct fmt_field *fields,
	    time_t now);

/* One JSON value as display text of the given kind (bounded by len). */
void	fmt_value(json_t *v, enum fmt_kind kind, const char *key, time_t now,
	    char *buf, size_t len);

#endif /* FMT_H */
