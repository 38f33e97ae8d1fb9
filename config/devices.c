/*
 * devices.c: devices.yaml into a table sorted by GUID.
 *
 * The whole file is validated before the table is returned, so a reload
 * with a typo leaves the daemon on the previous table.  Lookups are binary
 * searches: the daemon looks a GUID up on every authentication.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apf.h"
#include "devices.h"
#include "mps_err.h"
#include "passwd.h"
#include "ydoc.h"

#define DEVICES_AMT_USER_MAX	64
#define DEVICES_AMT_PASS_MAX	256

enum devices_key {
	DK_GUID = 0,
	DK_NAME,
	DK_TAGS,
	DK_MPS_USERNAME,
	DK_MPS_PASSWORD_HASH,
	DK_AMT_USERNAME,
	DK_AMT_PASSWORD,
};

static const char *const devices_entry_keys[] = { "guid", "name", "tags",
    "mps_username", "mps_password_hash", "amt_username", "amt_password",
    NULL };
/* defaults: the credential keys only (same indexes minus the first 3). */
static const char *const devices_default_keys[] = { "mps_username",
    "mps_password_hash", "amt_username", "amt_password", NULL };

struct devices *
devices_new_empty(void)
{
	return calloc(1, sizeof(struct devices));
}

static void
devices_entry_clear(struct device_entry *e)
{
	size_t i;

	free(e->name);
	free(e->mps_username);
	free(e->mps_password_hash);
	free(e->amt_username);
	free(e->amt_password);
	for (i = 0; i < e->ntags; i++)
		free(e->tags[i]);
	memset(e, 0, sizeof *e);
}

void
devices_free(struct devices *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++)
		devices_entry_clear(&d->v[i]);
	devices_entry_clear(&d->defaults);
	free(d->v);
	free(d->by_name);
	free(d->path);
	free(d);
}

static int
devices_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
devices_guid_canon(const char *s, char out[DEVICES_GUID_LEN + 1])
{
	uint8_t	uuid[APF_UUID_LEN];

	/* The codec's parser and formatter define the canonical form. */
	if (s == NULL || strnlen(s, DEVICES_GUID_LEN + 1) != DEVICES_GUID_LEN ||
	    apf_guid_parse(s, uuid) != MPS_OK)
		return MPS_ERR_INVALID;
	apf_guid_format(uuid, out);
	return 0;
}

/* Friendly names and tags: [A-Za-z0-9._-], safe in shells and JSON. */
static int
devices_word_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' &&
		    *s != '-')
			return 0;
	return 1;
}

/* A name made only of hex digits and dashes would read as a GUID prefix. */
static int
devices_name_is_hexish(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s != '-' && devices_hexval((unsigned char)*s) < 0)
			return 0;
	return 1;
}

static int
devices_get_username(const struct ydoc_node *n, const char *path,
    char **out, struct config_err *err)
{
	const char *s, *p;
	int rc;

	if ((rc = ydoc_get_str(n, path, 256, &s, err)) != 0)
		return rc;
	for (p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p))
			break;
	if (*p != '\0' || strlen(s) > DEVICES_USERNAME_MAX)
		return ydoc_fail(err, n, "%s \"%.40s\" must be 1 to %d letters "
		    "and digits (AMT accepts nothing else)", path, s,
		    DEVICES_USERNAME_MAX);
	return ydoc_dup_str(n, path, DEVICES_USERNAME_MAX, out, err);
}

static int
devices_get_hash(const struct ydoc_node *n, const char *path, char **out,
    struct config_err *err)
{
	const char *s;
	int rc;

	if ((rc = ydoc_get_str(n, path, 1024, &s, err)) != 0)
		return rc;
	if (passwd_check_format(s) != 0)
		return ydoc_fail(err, n, "%s is not a hash made by amt-mps-cli "
		    "hash-password (\"$pbkdf2-sha256$<iterations>$<salt>$"
		    "<hash>\")", path);
	return ydoc_dup_str(n, path, PASSWD_HASH_MAX, out, err);
}

/* Credential keys shared by defaults and entries. */
static int
devices_credential(enum devices_key key, const struct ydoc_node *v,
    const char *path, struct device_entry *e, struct config_err *err)
{
	switch (key) {
	case DK_MPS_USERNAME:
		return devices_get_username(v, path, &e->mps_username, err);
	case DK_MPS_PASSWORD_HASH:
		return devices_get_hash(v, path, &e->mps_password_hash, err);
	case DK_AMT_USERNAME:
		return ydoc_dup_str(v, path, DEVICES_AMT_USER_MAX,
		    &e->amt_username, err);
	case DK_AMT_PASSWORD:
		return ydoc_dup_str(v, path, DEVICES_AMT_PASS_MAX,
		    &e->amt_password, err);
	default:
		return ydoc_fail(err, v, "%s: internal key error", path);
	}
}

/* The most common mistake gets its own message with the fix. */
static int
devices_plaintext_key(const struct ydoc_node *k, const char *prefix,
    struct config_err *err)
{
	if (k->kind == YDOC_SCALAR && strcmp(k->s, "mps_password") == 0)
		return ydoc_fail(err, k, "%s.mps_password: plaintext MPS "
		    "passwords are not accepted; store a hash instead: "
		    "echo -n 'secret' | amt-mps-cli hash-password, then set "
		    "mps_password_hash", prefix);
	return 0;
}

static int
devices_tags(const struct ydoc_node *n, const char *path,
    struct device_entry *e, struct config_err *err)
{
	const struct ydoc_node *t;
	const char *s;
	size_t i;
	int rc;

	if ((rc = ydoc_want_seq(n, path, err)) != 0)
		return rc;
	if (n->len > DEVICES_MAX_TAGS)
		return ydoc_fail(err, n, "%s has %zu tags; at most %d are "
		    "allowed", path, n->len, DEVICES_MAX_TAGS);
	for (t = n->first; t != NULL; t = t->next) {
		if ((rc = ydoc_get_str(t, path, DEVICES_TAG_MAX, &s, err)) != 0)
			return rc;
		if (!devices_word_ok(s))
			return ydoc_fail(err, t, "%s: tag \"%s\" may only hold "
			    "letters, digits, '.', '_' and '-'", path, s);
		for (i = 0; i < e->ntags; i++)
			if (strcmp(e->tags[i], s) == 0)
				return ydoc_fail(err, t, "%s: tag \"%s\" is "
				    "listed twice", path, s);
		if ((e->tags[e->ntags] = strdup(s)) == NULL) {
			ydoc_fail(err, t, "out of memory");
			return MPS_ERR_NOMEM;
		}
		e->ntags++;
	}
	return 0;
}

static int
devices_defaults(const struct ydoc_node *n, struct devices *d,
    struct config_err *err)
{
	const struct ydoc_node *k, *v;
	char path[YDOC_PATH_MAX];
	uint64_t seen = 0;
	int rc;

	if (ydoc_is_null(n))
		return 0;
	if ((rc = ydoc_want_map(n, "defaults", err)) != 0)
		return rc;
	for (k = n->first; k != NULL; k = v->next) {
		v = k->next;
		if ((rc = devices_plaintext_key(k, "defaults", err)) != 0)
			return rc;
		if ((rc = ydoc_key(k, "defaults", devices_default_keys, &seen,
		    err)) < 0)
			return rc;
		ydoc_path(path, sizeof path, "defaults", k->s);
		if ((rc = devices_credential((enum devices_key)(rc +
		    DK_MPS_USERNAME), v, path, &d->defaults, err)) != 0)
			return rc;
	}
	d->defaults.line = n->line;
	d->defaults.col = n->col;
	return 0;
}

static int
devices_entry(const struct ydoc_node *n, size_t idx, struct device_entry *e,
    struct config_err *err)
{
	const struct ydoc_node *k, *v;
	char prefix[YDOC_PATH_MAX], path[YDOC_PATH_MAX];
	uint64_t seen = 0;
	const char *s;
	int rc;

	snprintf(prefix, sizeof prefix, "devices[%zu]", idx);
	if ((rc = ydoc_want_map(n, prefix, err)) != 0)
		return rc;
	e->line = n->line;
	e->col = n->col;
	for (k = n->first; k != NULL; k = v->next) {
		v = k->next;
		if ((rc = devices_plaintext_key(k, prefix, err)) != 0)
			return rc;
		if ((rc = ydoc_key(k, prefix, devices_entry_keys, &seen,
		    err)) < 0)
			return rc;
		ydoc_path(path, sizeof path, prefix, k->s);
		switch ((enum devices_key)rc) {
		case DK_GUID:
			if ((rc = ydoc_get_str(v, path, 64, &s, err)) != 0)
				return rc;
			if (devices_guid_canon(s, e->guid) != 0)
				return ydoc_fail(err, v, "%s \"%.40s\" is not a "
				    "GUID (8-4-4-4-12 hex digits, e.g. "
				    "4c4c4544-0042-1000-8033-b6c04f504633)",
				    path, s);
			break;
		case DK_NAME:
			if ((rc = ydoc_get_str(v, path, DEVICES_NAME_MAX, &s,
			    err)) != 0)
				return rc;
			if (!devices_word_ok(s))
				return ydoc_fail(err, v, "%s \"%s\" may only "
				    "hold letters, digits, '.', '_' and '-'",
				    path, s);
			if (devices_name_is_hexish(s))
				return ydoc_fail(err, v, "%s \"%s\" would read "
				    "as a GUID prefix; use at least one letter "
				    "beyond a-f", path, s);
			if ((rc = ydoc_dup_str(v, path, DEVICES_NAME_MAX,
			    &e->name, err)) != 0)
				return rc;
			break;
		case DK_TAGS:
			if ((rc = devices_tags(v, path, e, err)) != 0)
				return rc;
			break;
		default:
			if ((rc = devices_credential((enum devices_key)rc, v,
			    path, e, err)) != 0)
				return rc;
			break;
		}
	}
	if (e->guid[0] == '\0')
		return ydoc_fail(err, n, "%s.guid is required", prefix);
	return 0;
}

static int
devices_cmp_guid_ptr(const void *a, const void *b)
{
	const struct device_entry *x = *(const struct device_entry *const *)a;
	const struct device_entry *y = *(const struct device_entry *const *)b;
	int c = strcmp(x->guid, y->guid);

	/* Ties in declaration order, so a duplicate names the later one. */
	if (c == 0)
		c = (x > y) - (x < y);
	return c;
}

static int
devices_cmp_name_ptr(const void *a, const void *b)
{
	const struct device_entry *x = *(const struct device_entry *const *)a;
	const struct device_entry *y = *(const struct device_entry *const *)b;
	int c = strcmp(x->name, y->name);

	if (c == 0)
		c = (x->line > y->line) - (x->line < y->line);
	return c;
}

/*
 * Sorts the parsed entries into d->v by GUID and indexes the names,
 * refusing duplicates of either.  Takes ownership of parsed[0..n).
 */
static int
devices_index(struct devices *d, struct device_entry *parsed, size_t n,
    struct config_err *err)
{
	struct device_entry **order;
	size_t i, j;
	int rc = 0;

	if (n == 0)
		return 0;
	if ((order = calloc(n, sizeof *order)) == NULL) {
		ydoc_fail(err, NULL, "out of memory");
		return MPS_ERR_NOMEM;
	}
	for (i = 0; i < n; i++)
		order[i] = &parsed[i];
	qsort(order, n, sizeof *order, devices_cmp_guid_ptr);
	for (i = 1; i < n; i++)
		if (strcmp(order[i - 1]->guid, order[i]->guid) == 0) {
			err->line = order[i]->line;
			err->col = order[i]->col;
			snprintf(err->msg, sizeof err->msg, "devices[%zu]: "
			    "guid %s is already used by devices[%zu] (line "
			    "%d)", (size_t)(order[i] - parsed), order[i]->guid,
			    (size_t)(order[i - 1] - parsed),
			    order[i - 1]->line);
			free(order);
			return MPS_ERR_CONFIG;
		}
	/* Move the entries (and ownership of their strings) into d->v. */
	for (i = 0; i < n; i++)
		d->v[i] = *order[i];
	memset(parsed, 0, n * sizeof *parsed);
	d->n = n;
	for (i = 0, j = 0; i < n; i++)
		if (d->v[i].name != NULL)
			order[j++] = &d->v[i];
	qsort(order, j, sizeof *order, devices_cmp_name_ptr);
	for (i = 1; i < j; i++)
		if (strcmp(order[i - 1]->name, order[i]->name) == 0) {
			err->line = order[i]->line;
			err->col = order[i]->col;
			snprintf(err->msg, sizeof err->msg, "device %s: name "
			    "\"%s\" is already used by %s (line %d)",
			    order[i]->guid, order[i]->name, order[i - 1]->guid,
			    order[i - 1]->line);
			rc = MPS_ERR_CONFIG;
			break;
		}
	d->by_name = order;
	d->nnamed = j;
	return rc;
}

/* Every entry must end up with MPS credentials from somewhere. */
static int
devices_check_credentials(const struct devices *d,
    const struct ydoc_node *accept, struct config_err *err)
{
	const struct device_entry *e;
	size_t i;

	if (d->accept_unknown && (d->defaults.mps_username == NULL ||
	    d->defaults.mps_password_hash == NULL))
		return ydoc_fail(err, accept, "accept_unknown needs "
		    "defaults.mps_username and defaults.mps_password_hash, "
		    "the shared credentials unknown devices present");
	for (i = 0; i < d->n; i++) {
		e = &d->v[i];
		if (devices_mps_username(d, e) != NULL &&
		    devices_mps_password_hash(d, e) != NULL)
			continue;
		err->line = e->line;
		err->col = e->col;
		snprintf(err->msg, sizeof err->msg, "device %s has no %s, "
		    "neither its own nor in defaults, so it could never "
		    "authenticate", e->guid,
		    devices_mps_username(d, e) == NULL ? "mps_username" :
		    "mps_password_hash");
		return MPS_ERR_CONFIG;
	}
	return 0;
}

static int
devices_walk(const struct ydoc_node *root, struct devices *d,
    struct config_err *err)
{
	static const char *const keys[] = { "accept_unknown", "defaults",
	    "devices", NULL };
	const struct ydoc_node *k, *v, *item, *list = NULL, *accept = NULL;
	struct device_entry *parsed = NULL;
	uint64_t seen = 0;
	size_t i, n = 0;
	int rc = 0;

	if (root == NULL || ydoc_is_null(root))
		return 0;
	if (root->kind != YDOC_MAP)
		return ydoc_fail(err, root, "the devices file must be a "
		    "mapping (accept_unknown:, defaults:, devices:), not a %s",
		    ydoc_kind_name(root->kind));
	for (k = root->first; k != NULL; k = v->next) {
		v = k->next;
		if ((rc = ydoc_key(k, "", keys, &seen, err)) < 0)
			return rc;
		switch (rc) {
		case 0:
			rc = ydoc_get_bool(v, "accept_unknown",
			    &d->accept_unknown, err);
			accept = v;
			break;
		case 1:
			rc = devices_defaults(v, d, err);
			break;
		case 2:
			rc = ydoc_is_null(v) ? 0 :
			    ydoc_want_seq(v, "devices", err);
			list = ydoc_is_null(v) ? NULL : v;
			break;
		}
		if (rc != 0)
			return rc;
	}
	if (list != NULL && list->len > 0) {
		n = list->len;
		parsed = calloc(n, sizeof *parsed);
		d->v = calloc(n, sizeof *d->v);
		if (parsed == NULL || d->v == NULL) {
			free(parsed);
			ydoc_fail(err, list, "out of memory");
			return MPS_ERR_NOMEM;
		}
		for (i = 0, item = list->first; item != NULL;
		    item = item->next, i++)
			if ((rc = devices_entry(item, i, &parsed[i],
			    err)) != 0)
				break;
		if (rc == 0)
			rc = devices_index(d, parsed, n, err);
		for (i = 0; i < n; i++)
			devices_entry_clear(&parsed[i]);
		free(parsed);
		if (rc != 0)
			return rc;
	}
	return devices_check_credentials(d, accept ? accept : root, err);
}

int
devices_load_buffer(const char *data, size_t len, const char *name,
    struct devices **out, struct config_err *err)
{
	struct config_err local;
	struct devices *d;
	struct ydoc doc;
	int rc;

	if (err == NULL)
		err = &local;
	ydoc_err_init(err, name);
	*out = NULL;
	if (len > DEVICES_MAX_FILE)
		return ydoc_fail(err, NULL, "file is larger than the limit of "
		    "%d bytes", DEVICES_MAX_FILE);
	if ((d = devices_new_empty()) == NULL) {
		ydoc_fail(err, NULL, "out of memory");
		return MPS_ERR_NOMEM;
	}
	memset(&doc, 0, sizeof doc);
	if ((rc = ydoc_parse(&doc, data, len, DEVICES_MAX_NODES, err)) == 0)
		rc = devices_walk(doc.root, d, err);
	ydoc_free(&doc);
	if (rc != 0) {
		devices_free(d);
		return rc == MPS_ERR_NOMEM ? rc : MPS_ERR_CONFIG;
	}
	*out = d;
	return 0;
}

int
devices_load(const char *path, struct devices **out, struct config_err *err)
{
	struct config_err local;
	char *buf;
	size_t len;
	int rc;

	if (err == NULL)
		err = &local;
	*out = NULL;
	ydoc_err_init(err, path);
	if ((rc = ydoc_read_file(path, DEVICES_MAX_FILE, &buf, &len,
	    err)) != 0)
		return rc == MPS_ERR_NOMEM ? rc : MPS_ERR_CONFIG;
	rc = devices_load_buffer(buf, len, path, out, err);
	free(buf);
	if (rc != 0)
		return rc;
	if (((*out)->path = realpath(path, NULL)) == NULL &&
	    ((*out)->path = strdup(path)) == NULL) {
		devices_free(*out);
		*out = NULL;
		ydoc_fail(err, NULL, "out of memory");
		return MPS_ERR_NOMEM;
	}
	return 0;
}

static int
devices_cmp_guid_key(const void *key, const void *elem)
{
	return strcmp(key, ((const struct device_entry *)elem)->guid);
}

const struct device_entry *
devices_find(const struct devices *d, const char *guid)
{
	char canon[DEVICES_GUID_LEN + 1];

	if (d == NULL || d->n == 0 || devices_guid_canon(guid, canon) != 0)
		return NULL;
	return bsearch(canon, d->v, d->n, sizeof *d->v, devices_cmp_guid_key);
}

static int
devices_cmp_name_key(const void *key, const void *elem)
{
	return strcmp(key, (*(const struct device_entry *const *)elem)->name);
}

const struct device_entry *
devices_find_name(const struct devices *d, const char *name)
{
	struct device_entry *const *p;

	if (d == NULL || d->nnamed == 0 || name == NULL)
		return NULL;
	p = bsearch(name, d->by_name, d->nnamed, sizeof *d->by_name,
	    devices_cmp_name_key);
	return p ? *p : NULL;
}

const char *
devices_mps_username(const struct devices *d, const struct device_entry *e)
{
	if (e != NULL && e->mps_username != NULL)
		return e->mps_username;
	return d ? d->defaults.mps_username : NULL;
}

const char *
devices_mps_password_hash(const struct devices *d,
    const struct device_entry *e)
{
	if (e != NULL && e->mps_password_hash != NULL)
		return e->mps_password_hash;
	return d ? d->defaults.mps_password_hash : NULL;
}

const char *
devices_amt_username(const struct devices *d, const struct device_entry *e)
{
	if (e != NULL && e->amt_username != NULL)
		return e->amt_username;
	return d ? d->defaults.amt_username : NULL;
}

const char *
devices_amt_password(const struct devices *d, const struct device_entry *e)
{
	if (e != NULL && e->amt_password != NULL)
		return e->amt_password;
	return d ? d->defaults.amt_password : NULL;
}

int
devices_has_tag(const struct device_entry *e, const char *tag)
{
	size_t i;

	if (e == NULL || tag == NULL)
		return 0;
	for (i = 0; i < e->ntags; i++)
		if (strcmp(e->tags[i], tag) == 0)
			return 1;
	return 0;
}
