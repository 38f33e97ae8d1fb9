/*
 * fmt.c: human output helpers for amt-mps-cli.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "mps_err.h"

/* Nested objects deeper than this print as compact JSON. */
#define FMT_FLATTEN_DEPTH	2

int
fmt_parse_time(const char *s, time_t *out)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, n = 0, oh, om;
	const char *p;
	long off = 0;
	time_t t;

	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d,
	    &h, &mi, &sec, &n) != 6 || n == 0)
		return MPS_ERR_INVALID;
	p = s + n;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
			return MPS_ERR_INVALID;
		off = (oh * 60L + om) * 60L * (*p == '+' ? 1 : -1);
		p += 6;
	} else if (*p != '\0') {
		return MPS_ERR_INVALID;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60)
		return MPS_ERR_INVALID;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1)
		return MPS_ERR_INVALID;
	*out = t - off;
	return 0;
}

/* Two most significant units of secs: "2d 4h", "5m 3s", "45s". */
static void
fmt_units(long long secs, const char *sep, char *buf, size_t len)
{
	long long d = secs / 86400, h = secs / 3600 % 24;
	long long m = secs / 60 % 60, s = secs % 60;

	if (d > 0)
		snprintf(buf, len, "%lldd%s%lldh", d, sep, h);
	else if (h > 0)
		snprintf(buf, len, "%lldh%s%lldm", h, sep, m);
	else if (m > 0)
		snprintf(buf, len, "%lldm%s%llds", m, sep, s);
	else
		snprintf(buf, len, "%llds", s);
}

/*
 * Wall-clock seconds for "ago" columns. time(2) may read the coarse clock,
 * which can trail the daemon's precise timestamps by a tick and turn
 * "5m ago" into "4m ago" at a boundary.
 */
time_t
fmt_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return time(NULL);
	return ts.tv_sec;
}

void
fmt_ago(time_t then, time_t now, char *buf, size_t len)
{
	long long secs = (long long)now - (long long)then;
	char u[32];

	/* Clocks of daemon and CLI are the same host's; skew is rounding. */
	if (secs <= 0) {
		snprintf(buf, len, "now");
		return;
	}
	if (secs >= 60 && secs < 3600)
		snprintf(u, sizeof(u), "%lldm", secs / 60);
	else
		fmt_units(secs, "", u, sizeof(u));
	snprintf(buf, len, "%s ago", u);
}

void
fmt_duration(double secs, char *buf, size_t len)
{
	if (secs < 0)
		secs = 0;
	fmt_units((long long)secs, " ", buf, len);
}

void
fmt_bytes(double n, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	while (n >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		n /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f B", n);
	else
		snprintf(buf, len, "%.1f %s", n, units[u]);
}

static int
fmt_cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

void
fmt_ports(json_t *ports, char *buf, size_t len)
{
	long long *v;
	size_t i, j, n = 0, off = 0;
	json_t *p;
	int w;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (!json_is_array(ports) || json_array_size(ports) == 0 ||
	    (v = calloc(json_array_size(ports), sizeof(*v))) == NULL) {
		snprintf(buf, len, "-");
		return;
	}
	json_array_foreach(ports, i, p)
		if (json_is_integer(p))
			v[n++] = json_integer_value(p);
	qsort(v, n, sizeof(*v), fmt_cmp_ll);
	for (i = j = 0; i < n; i++)	/* drop duplicates */
		if (j == 0 || v[i] != v[j - 1])
			v[j++] = v[i];
	n = j;
	for (i = 0; i < n && off < len; i = j) {
		/* Fold runs of three or more (16992-16995). */
		for (j = i + 1; j < n && v[j] == v[j - 1] + 1; j++)
			;
		if (j - i < 3)
			j = i + 1;
		if (j - i >= 3)
			w = snprintf(buf + off, len - off, "%s%lld-%lld",
			    off ? "," : "", v[i], v[j - 1]);
		else
			w = snprintf(buf + off, len - off, "%s%lld",
			    off ? "," : "", v[i]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	if (n == 0)
		snprintf(buf, len, "-");
	free(v);
}

size_t
fmt_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* Copies s into a new string of at most FMT_CELL_MAX bytes, UTF-8 safe. */
static char *
fmt_cut(const char *s)
{
	size_t n = strlen(s);

	if (n > FMT_CELL_MAX) {
		n = FMT_CELL_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return strndup(s, n);
}

struct fmt_table {
	size_t	  ncol;
	char	**cells;	/* (nrows + 1) * ncol, row 0 is the header */
	size_t	  nrows;	/* including the header */
	size_t	  cap;		/* rows allocated */
};

struct fmt_table *
fmt_table_new(size_t ncol, const char *const *headers)
{
	struct fmt_table *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->ncol = ncol;
	if (fmt_table_add(t, headers) != 0) {
		fmt_table_free(t);
		return NULL;
	}
	return t;
}

int
fmt_table_add(struct fmt_table *t, const char *const *cells)
{
	char **nc;
	size_t i, ncap;

	if (t->nrows == t->cap) {
		ncap = t->cap ? t->cap * 2 : 16;
		if (ncap > SIZE_MAX / sizeof(char *) / t->ncol)
			return MPS_ERR_NOMEM;
		nc = realloc(t->cells, ncap * t->ncol * sizeof(char *));
		if (nc == NULL)
			return MPS_ERR_NOMEM;
		t->cells = nc;
		t->cap = ncap;
	}
	for (i = 0; i < t->ncol; i++) {
		t->cells[t->nrows * t->ncol + i] =
		    fmt_cut(cells[i] != NULL ? cells[i] : "-");
		if (t->cells[t->nrows * t->ncol + i] == NULL) {
			while (i-- > 0)
				free(t->cells[t->nrows * t->ncol + i]);
			return MPS_ERR_NOMEM;
		}
	}
	t->nrows++;
	return 0;
}

void
fmt_table_print(const struct fmt_table *t, FILE *fp)
{
	size_t *w, r, c, cw;
	const char *s;

	if ((w = calloc(t->ncol, sizeof(*w))) == NULL)
		return;
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncol; c++)
			if ((cw = fmt_width(t->cells[r * t->ncol + c])) > w[c])
				w[c] = cw;
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncol; c++) {
			s = t->cells[r * t->ncol + c];
			fputs(s, fp);
			if (c + 1 < t->ncol)
				fprintf(fp, "%*s", (int)(w[c] - fmt_width(s) +
				    2), "");
		}
		fputc('\n', fp);
	}
	free(w);
}

void
fmt_table_free(struct fmt_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrows * t->ncol; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

static enum fmt_kind
fmt_guess(const char *key)
{
	size_t n = strlen(key);

	if (n > 3 && strcmp(key + n - 3, "_at") == 0)
		return FMT_TIME;
	if (strstr(key, "bytes") != NULL)
		return FMT_BYTES;
	if (strcmp(key, "ports") == 0)
		return FMT_PORTS;
	return FMT_TEXT;
}

/* Appends to buf (bounded); keeps *off consistent on truncation. */
static void
fmt_append(char *buf, size_t len, size_t *off, const char *s)
{
	int w;

	if (*off >= len)
		return;
	w = snprintf(buf + *off, len - *off, "%s", s);
	if (w > 0)
		*off += (size_t)w < len - *off ? (size_t)w : len - *off - 1;
}

static void
fmt_scalar(json_t *v, char *buf, size_t len)
{
	char *js;

	switch (json_typeof(v)) {
	case JSON_STRING:
		snprintf(buf, len, "%s", json_string_value(v));
		break;
	case JSON_INTEGER:
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(buf, len, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		snprintf(buf, len, "yes");
		break;
	case JSON_FALSE:
		snprintf(buf, len, "no");
		break;
	case JSON_NULL:
		snprintf(buf, len, "-");
		break;
	default:
		js = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		snprintf(buf, len, "%s", js != NULL ? js : "?");
		free(js);
		break;
	}
}

void
fmt_value(json_t *v, enum fmt_kind kind, const char *key, time_t now,
    char *buf, size_t len)
{
	char tmp[FMT_CELL_MAX + 1], ago[64];
	size_t i, off = 0;
	time_t t;
	json_t *e;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (kind == FMT_GUESS)
		kind = fmt_guess(key);
	if (v == NULL || json_is_null(v)) {
		snprintf(buf, len, "-");
		return;
	}
	switch (kind) {
	case FMT_TIME:
		if (json_is_string(v) &&
		    fmt_parse_time(json_string_value(v), &t) == 0) {
			fmt_ago(t, now, ago, sizeof(ago));
			snprintf(buf, len, "%s (%s)", json_string_value(v),
			    ago);
			return;
		}
		break;
	case FMT_PORTS:
		fmt_ports(v, buf, len);
		return;
	case FMT_BYTES:
		if (json_is_number(v)) {
			if (json_number_value(v) < 1024) {
				fmt_scalar(v, buf, len);
			} else {
				fmt_bytes(json_number_value(v), ago,
				    sizeof(ago));
				fmt_scalar(v, tmp, sizeof(tmp));
				snprintf(buf, len, "%s (%s)", tmp, ago);
			}
			return;
		}
		break;
	case FMT_SECONDS:
		if (json_is_number(v)) {
			fmt_scalar(v, tmp, sizeof(tmp));
			snprintf(buf, len, "%s s", tmp);
			return;
		}
		break;
	case FMT_DURATION:
		if (json_is_number(v)) {
			fmt_duration(json_number_value(v), buf, len);
			return;
		}
		break;
	case FMT_ENDPOINTS:
		if (!json_is_array(v))
			break;
		json_array_foreach(v, i, e) {
			const char *a = json_string_value(
			    json_object_get(e, "address"));
			json_t *p = json_object_get(e, "port");

			if (a == NULL || !json_is_integer(p))
				fmt_scalar(e, tmp, sizeof(tmp));
			else
				snprintf(tmp, sizeof(tmp), "%s%s%s:%"
				    JSON_INTEGER_FORMAT,
				    strchr(a, ':') ? "[" : "", a,
				    strchr(a, ':') ? "]" : "",
				    json_integer_value(p));
			fmt_append(buf, len, &off, i ? ", " : "");
			fmt_append(buf, len, &off, tmp);
		}
		if (off == 0)
			snprintf(buf, len, "-");
		return;
	default:
		break;
	}
	/* Text: arrays of scalars become "a, b, c". */
	if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (json_is_object(e) || json_is_array(e)) {
				fmt_scalar(v, buf, len);
				return;
			}
			fmt_scalar(e, tmp, sizeof(tmp));
			fmt_append(buf, len, &off, i ? ", " : "");
			fmt_append(buf, len, &off, tmp);
		}
		if (off == 0)
			snprintf(buf, len, "-");
		return;
	}
	fmt_scalar(v, buf, len);
}

struct fmt_line {
	char	*label;
	char	*value;
};

struct fmt_lines {
	struct fmt_line	*v;
	size_t		 n;
	size_t		 cap;
	int		 failed;
};

static void
fmt_lines_add(struct fmt_lines *l, const char *label, const char *value)
{
	struct fmt_line *nv;
	size_t ncap;

	if (l->failed)
		return;
	if (l->n == l->cap) {
		ncap = l->cap ? l->cap * 2 : 32;
		if ((nv = realloc(l->v, ncap * sizeof(*nv))) == NULL) {
			l->failed = 1;
			return;
		}
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n].label = strdup(label);
	l->v[l->n].value = strdup(value);
	if (l->v[l->n].label == NULL || l->v[l->n].value == NULL) {
		free(l->v[l->n].label);
		free(l->v[l->n].value);
		l->failed = 1;
		return;
	}
	l->n++;
}

static const struct fmt_field *
fmt_find_field(const struct fmt_field *fields, const char *key)
{
	for (; fields != NULL && fields->key != NULL; fields++)
		if (strcmp(fields->key, key) == 0)
			return fields;
	return NULL;
}

static void
fmt_label(const char *prefix, const char *key, char *buf, size_t len)
{
	char *p;

	snprintf(buf, len, "%s%s%s", prefix, *prefix ? "." : "", key);
	for (p = buf; *p != '\0'; p++)
		if (*p == '_')
			*p = ' ';
}

/* Adds the lines for one key; objects are flattened a few levels deep. */
static void
fmt_collect(struct fmt_lines *l, const char *prefix, const char *key,
    json_t *v, const struct fmt_field *f, int depth, time_t now)
{
	char label[256], value[FMT_CELL_MAX + 1], sub[256];
	const char *k;
	json_t *e;

	if (f != NULL && f->kind == FMT_HIDE)
		return;
	if (json_is_object(v) && depth < FMT_FLATTEN_DEPTH &&
	    (f == NULL || f->kind == FMT_GUESS)) {
		snprintf(sub, sizeof(sub), "%s%s%s", prefix, *prefix ? "." : "",
		    f != NULL && f->label != NULL ? f->label : key);
		if (json_object_size(v) == 0) {
			fmt_label("", sub, label, sizeof(label));
			fmt_lines_add(l, label, "-");
		}
		json_object_foreach(v, k, e)
			fmt_collect(l, sub, k, e, NULL, depth + 1, now);
		return;
	}
	if (f != NULL && f->label != NULL)
		snprintf(label, sizeof(label), "%s", f->label);
	else
		fmt_label(prefix, key, label, sizeof(label));
	fmt_value(v, f != NULL ? f->kind : FMT_GUESS, key, now, value,
	    sizeof(value));
	fmt_lines_add(l, label, value);
}

void
fmt_object(FILE *fp, json_t *obj, const struct fmt_field *fields,
    time_t now)
{
	struct fmt_lines l;
	const struct fmt_field *f;
	const char *key;
	size_t i, w = 0;
	json_t *v;

	memset(&l, 0, sizeof(l));
	for (f = fields; f != NULL && f->key != NULL; f++)
		if ((v = json_object_get(obj, f->key)) != NULL)
			fmt_collect(&l, "", f->key, v, f, 0, now);
	json_object_foreach(obj, key, v)
		if (fmt_find_field(fields, key) == NULL)
			fmt_collect(&l, "", key, v, NULL, 0, now);
	for (i = 0; i < l.n; i++)
		if (fmt_width(l.v[i].label) > w)
			w = fmt_width(l.v[i].label);
	for (i = 0; i < l.n; i++) {
		fprintf(fp, "%s%*s  %s\n", l.v[i].label,
		    (int)(w - fmt_width(l.v[i].label)), "", l.v[i].value);
		free(l.v[i].label);
		free(l.v[i].value);
	}
	if (l.failed)
		fprintf(fp, "(output incomplete: out of memory)\n");
	free(l.v);
}
