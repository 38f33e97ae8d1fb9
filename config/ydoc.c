/*
 * ydoc.c: libyaml events to a bounded tree, plus typed node accessors.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "mps_err.h"
#include "ydoc.h"

/* Nodes and scalar texts live in blocks of at least this many bytes. */
#define YDOC_BLOCK_SIZE	(64 * 1024)
#define YDOC_ALIGN	(sizeof(max_align_t))

struct ydoc_block {
	struct ydoc_block	*next;
	size_t			 used;
	size_t			 cap;
	max_align_t		 data[];
};

const char *
ydoc_kind_name(enum ydoc_kind k)
{
	switch (k) {
	case YDOC_SCALAR:
		return "scalar";
	case YDOC_MAP:
		return "mapping";
	case YDOC_SEQ:
		return "list";
	}
	return "?";
}

void
ydoc_err_init(struct config_err *err, const char *name)
{
	memset(err, 0, sizeof *err);
	snprintf(err->file, sizeof err->file, "%s", name ? name : "(input)");
}

int
ydoc_fail(struct config_err *err, const struct ydoc_node *n,
    const char *fmt, ...)
{
	va_list ap;

	err->line = n ? n->line : 0;
	err->col = n ? n->col : 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return MPS_ERR_CONFIG;
}

static int
ydoc_fail_at(struct config_err *err, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
ydoc_fail_at(struct config_err *err, int line, int col, const char *fmt, ...)
{
	va_list ap;

	err->line = line;
	err->col = col;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return MPS_ERR_CONFIG;
}

void
ydoc_path(char *buf, size_t len, const char *prefix, const char *key)
{
	if (prefix == NULL || *prefix == '\0')
		snprintf(buf, len, "%s", key);
	else
		snprintf(buf, len, "%s.%s", prefix, key);
}

static void *
ydoc_alloc(struct ydoc *doc, size_t size)
{
	struct ydoc_block *b = doc->blocks;
	size_t cap;
	void *p;

	size = (size + YDOC_ALIGN - 1) / YDOC_ALIGN * YDOC_ALIGN;
	if (b == NULL || b->cap - b->used < size) {
		cap = size > YDOC_BLOCK_SIZE ? size : YDOC_BLOCK_SIZE;
		if ((b = malloc(sizeof *b + cap)) == NULL)
			return NULL;
		b->cap = cap;
		b->used = 0;
		b->next = doc->blocks;
		doc->blocks = b;
	}
	p = (char *)b->data + b->used;
	b->used += size;
	return p;
}

void
ydoc_free(struct ydoc *doc)
{
	struct ydoc_block *b, *next;

	if (doc == NULL)
		return;
	for (b = doc->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	doc->blocks = NULL;
	doc->root = NULL;
	doc->nodes = 0;
}

/*
 * Reader errors (bad UTF-8, control characters) carry only a byte offset;
 * turn it into a line and column the operator can find.
 */
static void
ydoc_offset_pos(const char *data, size_t len, size_t off, int *line, int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	if (off > len)
		off = len;
	for (i = 0; i < off; i++) {
		if (data[i] == '\n') {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

static int
ydoc_syntax_error(yaml_parser_t *p, const char *data, size_t len,
    struct config_err *err)
{
	int line, col;
	const char *problem = p->problem ? p->problem : "unknown problem";

	if (p->error == YAML_MEMORY_ERROR) {
		ydoc_fail_at(err, 0, 0, "out of memory while parsing");
		return MPS_ERR_NOMEM;
	}
	if (p->error == YAML_READER_ERROR) {
		ydoc_offset_pos(data, len, p->problem_offset, &line, &col);
		return ydoc_fail_at(err, line, col,
		    "not valid YAML text: %s", problem);
	}
	line = (int)p->problem_mark.line + 1;
	col = (int)p->problem_mark.column + 1;
	if (p->context != NULL)
		return ydoc_fail_at(err, line, col,
		    "YAML syntax error: %s %s (line %d)", problem, p->context,
		    (int)p->context_mark.line + 1);
	return ydoc_fail_at(err, line, col, "YAML syntax error: %s", problem);
}

/* Refuses the YAML features a configuration never needs. */
static int
ydoc_check_props(const yaml_event_t *ev, const yaml_char_t *anchor,
    const yaml_char_t *tag, struct config_err *err)
{
	int line = (int)ev->start_mark.line + 1;
	int col = (int)ev->start_mark.column + 1;

	if (anchor != NULL)
		return ydoc_fail_at(err, line, col,
		    "YAML anchors (&%.40s) are not supported", anchor);
	if (tag != NULL)
		return ydoc_fail_at(err, line, col,
		    "YAML tags (%.40s) are not supported", tag);
	return 0;
}

int
ydoc_parse(struct ydoc *doc, const char *data, size_t len,
    size_t max_nodes, struct config_err *err)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct ydoc_node *stack[YDOC_MAX_DEPTH], *n, *parent;
	int depth = 0, ndocs = 0, done = 0, rc = 0;
	int line, col;

	if (!yaml_parser_initialize(&p)) {
		ydoc_fail_at(err, 0, 0, "out of memory");
		return MPS_ERR_NOMEM;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = ydoc_syntax_error(&p, data, len, err);
			break;
		}
		line = (int)ev.start_mark.line + 1;
		col = (int)ev.start_mark.column + 1;
		n = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++ndocs > 1)
				rc = ydoc_fail_at(err, line, col,
				    "only one YAML document is allowed");
			break;
		case YAML_ALIAS_EVENT:
			rc = ydoc_fail_at(err, line, col,
			    "YAML aliases (*%.40s) are not supported",
			    ev.data.alias.anchor);
			break;
		case YAML_SCALAR_EVENT:
			rc = ydoc_check_props(&ev, ev.data.scalar.anchor,
			    ev.data.scalar.tag, err);
			if (rc != 0)
				break;
			/* fallthrough */
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (ev.type == YAML_SEQUENCE_START_EVENT)
				rc = ydoc_check_props(&ev,
				    ev.data.sequence_start.anchor,
				    ev.data.sequence_start.tag, err);
			else if (ev.type == YAML_MAPPING_START_EVENT)
				rc = ydoc_check_props(&ev,
				    ev.data.mapping_start.anchor,
				    ev.data.mapping_start.tag, err);
			if (rc != 0)
				break;
			if (doc->nodes >= max_nodes) {
				rc = ydoc_fail_at(err, line, col,
				    "too many YAML nodes (limit %zu)",
				    max_nodes);
				break;
			}
			if ((n = ydoc_alloc(doc, sizeof *n)) == NULL) {
				rc = MPS_ERR_NOMEM;
				ydoc_fail_at(err, line, col, "out of memory");
				break;
			}
			memset(n, 0, sizeof *n);
			doc->nodes++;
			n->line = line;
			n->col = col;
			if (ev.type == YAML_SCALAR_EVENT) {
				n->kind = YDOC_SCALAR;
				n->plain = ev.data.scalar.style ==
				    YAML_PLAIN_SCALAR_STYLE;
				n->len = ev.data.scalar.length;
				if ((n->s = ydoc_alloc(doc, n->len + 1)) ==
				    NULL) {
					rc = MPS_ERR_NOMEM;
					ydoc_fail_at(err, line, col,
					    "out of memory");
					break;
				}
				memcpy(n->s, ev.data.scalar.value, n->len);
				n->s[n->len] = '\0';
			} else
				n->kind = ev.type == YAML_MAPPING_START_EVENT ?
				    YDOC_MAP : YDOC_SEQ;
			parent = depth > 0 ? stack[depth - 1] : NULL;
			if (parent == NULL)
				doc->root = n;
			else {
				if (parent->last != NULL)
					parent->last->next = n;
				else
					parent->first = n;
				parent->last = n;
				parent->len++;	/* halved for a map at its end */
			}
			if (n->kind != YDOC_SCALAR) {
				if (depth >= YDOC_MAX_DEPTH) {
					rc = ydoc_fail_at(err, line, col,
					    "nesting deeper than %d levels",
					    YDOC_MAX_DEPTH);
					break;
				}
				stack[depth++] = n;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			/* libyaml pairs keys with values, so len is even. */
			if (depth > 0) {
				n = stack[--depth];
				if (n->kind == YDOC_MAP)
					n->len /= 2;
			}
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return rc;
}

int
ydoc_read_file(const char *path, size_t max, char **bufp, size_t *lenp,
    struct config_err *err)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t r;
	int fd;

	*bufp = NULL;
	*lenp = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return ydoc_fail(err, NULL, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) == -1) {
		ydoc_fail(err, NULL, "cannot stat: %s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		ydoc_fail(err, NULL, "not a regular file");
		goto fail;
	}
	if ((uintmax_t)st.st_size > max) {
		ydoc_fail(err, NULL, "file is larger than the limit of %zu "
		    "bytes", max);
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		ydoc_fail(err, NULL, "out of memory");
		close(fd);
		return MPS_ERR_NOMEM;
	}
	/* The file may change under us: never read past what we sized for. */
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			ydoc_fail(err, NULL, "read error: %s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	*bufp = buf;
	*lenp = got;
	return 0;
fail:
	free(buf);
	close(fd);
	return MPS_ERR_CONFIG;
}

int
ydoc_is_null(const struct ydoc_node *n)
{
	if (n == NULL || n->kind != YDOC_SCALAR || !n->plain)
		return 0;
	return n->len == 0 || strcmp(n->s, "~") == 0 ||
	    strcmp(n->s, "null") == 0 || strcmp(n->s, "Null") == 0 ||
	    strcmp(n->s, "NULL") == 0;
}

int
ydoc_want_map(const struct ydoc_node *n, const char *path,
    struct config_err *err)
{
	if (n->kind != YDOC_MAP)
		return ydoc_fail(err, n, "%s must be a mapping (key: value), "
		    "not a %s", path, ydoc_kind_name(n->kind));
	return 0;
}

int
ydoc_want_seq(const struct ydoc_node *n, const char *path,
    struct config_err *err)
{
	if (n->kind != YDOC_SEQ)
		return ydoc_fail(err, n, "%s must be a list, not a %s", path,
		    ydoc_kind_name(n->kind));
	return 0;
}

int
ydoc_key(const struct ydoc_node *k, const char *prefix,
    const char *const keys[], uint64_t *seen, struct config_err *err)
{
	char known[200], path[YDOC_PATH_MAX];
	size_t off = 0;
	int i;

	if (k->kind != YDOC_SCALAR)
		return ydoc_fail(err, k, "keys in %s must be plain names, not "
		    "a %s", prefix && *prefix ? prefix : "the top level",
		    ydoc_kind_name(k->kind));
	for (i = 0; keys[i] != NULL && i < 64; i++) {
		if (strcmp(k->s, keys[i]) != 0)
			continue;
		ydoc_path(path, sizeof path, prefix, keys[i]);
		if (*seen & ((uint64_t)1 << i))
			return ydoc_fail(err, k, "duplicate key %s", path);
		*seen |= (uint64_t)1 << i;
		return i;
	}
	known[0] = '\0';
	for (i = 0; keys[i] != NULL && i < 64 && off < sizeof known; i++)
		off += (size_t)snprintf(known + off, sizeof known - off,
		    "%s%s", i ? ", " : "", keys[i]);
	ydoc_path(path, sizeof path, prefix, k->s);
	return ydoc_fail(err, k, "unknown key %.80s (known: %s)", path, known);
}

static int
ydoc_want_scalar(const struct ydoc_node *n, const char *path,
    const char *what, struct config_err *err)
{
	if (n->kind != YDOC_SCALAR)
		return ydoc_fail(err, n, "%s must be %s, not a %s", path, what,
		    ydoc_kind_name(n->kind));
	if (ydoc_is_null(n))
		return ydoc_fail(err, n, "%s must be %s, not empty", path,
		    what);
	return 0;
}

int
ydoc_get_u32(const struct ydoc_node *n, const char *path, uint32_t min,
    uint32_t max, uint32_t *out, struct config_err *err)
{
	uint64_t v = 0;
	size_t i;
	int rc;

	if ((rc = ydoc_want_scalar(n, path, "an integer", err)) != 0)
		return rc;
	if (!n->plain)
		return ydoc_fail(err, n, "%s must be an integer, not a quoted "
		    "string", path);
	for (i = 0; i < n->len; i++) {
		if (n->s[i] < '0' || n->s[i] > '9')
			return ydoc_fail(err, n, "%s must be a non-negative "
			    "decimal integer, not \"%.40s\"", path, n->s);
		/* Saturate instead of wrapping: huge values fail the bound. */
		if (v <= UINT32_MAX)
			v = v * 10 + (uint64_t)(n->s[i] - '0');
	}
	if (v < min || v > max)
		return ydoc_fail(err, n, "%s must be between %u and %u, not "
		    "%.40s", path, min, max, n->s);
	*out = (uint32_t)v;
	return 0;
}

int
ydoc_get_bool(const struct ydoc_node *n, const char *path, int *out,
    struct config_err *err)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes",
	    "Yes", "YES", "on", "On", "ON", NULL };
	static const char *const no[] = { "false", "False", "FALSE", "no",
	    "No", "NO", "off", "Off", "OFF", NULL };
	int i, rc;

	if ((rc = ydoc_want_scalar(n, path, "true or false", err)) != 0)
		return rc;
	if (n->plain) {
		for (i = 0; yes[i] != NULL; i++)
			if (strcmp(n->s, yes[i]) == 0) {
				*out = 1;
				return 0;
			}
		for (i = 0; no[i] != NULL; i++)
			if (strcmp(n->s, no[i]) == 0) {
				*out = 0;
				return 0;
			}
	}
	return ydoc_fail(err, n, "%s must be true or false, not %s%.40s%s",
	    path, n->plain ? "" : "\"", n->s, n->plain ? "" : "\"");
}

#define YDOC_BAD_UTF8	0xffffffffu

/*
 * Decodes one code point at s[*i] and advances *i.  libyaml checks the
 * file, but escapes ("\xff", "\ud800") can still put anything into a
 * scalar, and these strings end up in logs, JSON and dumped YAML.
 */
static uint32_t
ydoc_utf8_next(const char *str, size_t len, size_t *i)
{
	const unsigned char *s = (const unsigned char *)str + *i;
	size_t left = len - *i, n, k;
	uint32_t cp, min;

	if (s[0] < 0x80) {
		(*i)++;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else
		return YDOC_BAD_UTF8;
	if (left < n)
		return YDOC_BAD_UTF8;
	for (k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return YDOC_BAD_UTF8;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return YDOC_BAD_UTF8;
	*i += n;
	return cp;
}

int
ydoc_get_str(const struct ydoc_node *n, const char *path, size_t maxlen,
    const char **out, struct config_err *err)
{
	size_t i;
	int rc;

	if ((rc = ydoc_want_scalar(n, path, "a string", err)) != 0)
		return rc;
	if (n->len == 0)
		return ydoc_fail(err, n, "%s must not be empty", path);
	if (n->len > maxlen)
		return ydoc_fail(err, n, "%s is longer than %zu bytes", path,
		    maxlen);
	for (i = 0; i < n->len; ) {
		uint32_t cp = ydoc_utf8_next(n->s, n->len, &i);

		if (cp == YDOC_BAD_UTF8)
			return ydoc_fail(err, n, "%s is not valid UTF-8", path);
		if ((cp < 0x20 && cp != '\t') || (cp >= 0x7f && cp <= 0x9f) ||
		    cp == 0x2028 || cp == 0x2029 || cp == 0xfeff ||
		    cp == 0xfffe || cp == 0xffff)
			return ydoc_fail(err, n, "%s contains a control "
			    "character (U+%04X)", path, (unsigned)cp);
	}
	*out = n->s;
	return 0;
}

int
ydoc_dup_str(const struct ydoc_node *n, const char *path, size_t maxlen,
    char **out, struct config_err *err)
{
	const char *s;
	char *copy;
	int rc;

	if ((rc = ydoc_get_str(n, path, maxlen, &s, err)) != 0)
		return rc;
	if ((copy = strdup(s)) == NULL) {
		ydoc_fail(err, n, "out of memory");
		return MPS_ERR_NOMEM;
	}
	free(*out);
	*out = copy;
	return 0;
}

int
ydoc_get_enum(const struct ydoc_node *n, const char *path,
    const char *const names[], int *out, struct config_err *err)
{
	char list[160];
	size_t off = 0;
	int i, rc;

	if ((rc = ydoc_want_scalar(n, path, "a name", err)) != 0)
		return rc;
	for (i = 0; names[i] != NULL; i++)
		if (strcmp(n->s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	list[0] = '\0';
	for (i = 0; names[i] != NULL && off < sizeof list; i++)
		off += (size_t)snprintf(list + off, sizeof list - off, "%s%s",
		    i ? ", " : "", names[i]);
	return ydoc_fail(err, n, "%s must be one of %s, not \"%.40s\"", path,
	    list, n->s);
}
