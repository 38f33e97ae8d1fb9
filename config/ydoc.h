/*
 * ydoc.h: a bounded YAML document tree for the config loaders (internal to
 * config/; the daemon uses config.h and devices.h).
 *
 * ydoc_parse() turns libyaml events into a small tree held in one arena, so
 * the loaders can walk it with positions at hand and free it in one go.  It
 * refuses what a configuration never needs and an attacker could abuse:
 * aliases and anchors (no "billion laughs"), explicit tags, more than one
 * document, nesting deeper than YDOC_MAX_DEPTH and more than max_nodes
 * nodes.  Every refusal and every syntax error is reported as file:line:col.
 *
 * The ydoc_get_* helpers convert one node to a typed value or fill err with
 * "<path> must be ..." at the node's position and return MPS_ERR_CONFIG.
 */
#ifndef YDOC_H
#define YDOC_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define YDOC_MAX_DEPTH	32
#define YDOC_PATH_MAX	128	/* "devices[12345].mps_password_hash" fits */

enum ydoc_kind {
	YDOC_SCALAR = 0,
	YDOC_MAP,
	YDOC_SEQ,
};

struct ydoc_node {
	enum ydoc_kind		 kind;
	int			 plain;	/* scalar written without quotes */
	int			 line;	/* 1-based */
	int			 col;	/* 1-based */
	size_t			 len;	/* scalar bytes; map pairs; seq items */
	char			*s;	/* scalar text, NUL-terminated */
	struct ydoc_node	*first;	/* map: key, value, key, value ... */
	struct ydoc_node	*last;
	struct ydoc_node	*next;
};

struct ydoc_block;

struct ydoc {
	struct ydoc_node	*root;	/* NULL for an empty file */
	size_t			 nodes;
	struct ydoc_block	*blocks;
};

/* "mapping", "list" or "scalar" for messages. */
const char	*ydoc_kind_name(enum ydoc_kind k);

/*
 * Parses data[0..len) into doc (which must be zeroed).  err->file must
 * already name the input.  0, or MPS_ERR_CONFIG / MPS_ERR_NOMEM with err
 * filled.  doc must be freed with ydoc_free() in both cases.
 */
int	ydoc_parse(struct ydoc *doc, const char *data, size_t len,
	    size_t max_nodes, struct config_err *err);
void	ydoc_free(struct ydoc *doc);

/*
 * Reads a whole regular file of at most max bytes into a fresh buffer
 * (NUL-terminated, *lenp bytes).  Fills err (no position) on failure.
 */
int	ydoc_read_file(const char *path, size_t max, char **bufp,
	    size_t *lenp, struct config_err *err);

/* Starts an error report: copies name into err->file, clears the rest. */
void	ydoc_err_init(struct config_err *err, const char *name);

/* Fills err with the node's position and the message; MPS_ERR_CONFIG. */
int	ydoc_fail(struct config_err *err, const struct ydoc_node *n,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Writes "prefix.key" (or "key" when prefix is empty) into buf. */
void	ydoc_path(char *buf, size_t len, const char *prefix, const char *key);

/* 1 for a plain "", "~", "null", "Null" or "NULL" scalar. */
int	ydoc_is_null(const struct ydoc_node *n);

/* Node kind checks: 0 or MPS_ERR_CONFIG ("<path> must be a mapping"). */
int	ydoc_want_map(const struct ydoc_node *n, const char *path,
	    struct config_err *err);
int	ydoc_want_seq(const struct ydoc_node *n, const char *path,
	    struct config_err *err);

/*
 * Looks up mapping key k (a scalar) in the NULL-terminated keys table.
 * Returns its index, or MPS_ERR_CONFIG for a non-scalar key, an unknown key
 * (the message lists the known ones) or a key already flagged in *seen
 * (duplicate).  The table holds at most 64 keys.
 */
int	ydoc_key(const struct ydoc_node *k, const char *prefix,
	    const char *const keys[], uint64_t *seen, struct config_err *err);

/* Plain decimal integer in [min, max]. */
int	ydoc_get_u32(const struct ydoc_node *n, const char *path,
	    uint32_t min, uint32_t max, uint32_t *out, struct config_err *err);
/* Plain true/false (also yes/no, on/off as YAML 1.1 has them). */
int	ydoc_get_bool(const struct ydoc_node *n, const char *path, int *out,
	    struct config_err *err);
/*
 * Any non-null scalar of 1..maxlen bytes without NUL or control characters
 * (tab excepted); *out points into the document.
 */
int	ydoc_get_str(const struct ydoc_node *n, const char *path,
	    size_t maxlen, const char **out, struct config_err *err);
/* Like ydoc_get_str but a fresh copy (MPS_ERR_NOMEM on failure). */
int	ydoc_dup_str(const struct ydoc_node *n, const char *path,
	    size_t maxlen, char **out, struct config_err *err);
/* One of the NULL-terminated names; *out is its index. */
int	ydoc_get_enum(const struct ydoc_node *n, const char *path,
	    const char *const names[], int *out, struct config_err *err);

#endif /* YDOC_H */
