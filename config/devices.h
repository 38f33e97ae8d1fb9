/*
 * devices.h: the devices file (devices.yaml): who may connect, with which
 * MPS credentials, and which AMT digest credentials WS-Man uses for them.
 * Reloadable: devices_load() builds a new table; the daemon swaps it in.
 */
#ifndef DEVICES_H
#define DEVICES_H

#include <stddef.h>

#include "config.h"

#define DEVICES_MAX_TAGS	16
#define DEVICES_MAX_FILE	(32 * 1024 * 1024)	/* bytes */
#define DEVICES_MAX_NODES	2000000		/* YAML nodes (~100k devices) */
#define DEVICES_GUID_LEN	36		/* without the NUL */
#define DEVICES_USERNAME_MAX	16	/* AMT: MPS username alphanumeric */
#define DEVICES_NAME_MAX	64
#define DEVICES_TAG_MAX		32

struct device_entry {
	char	 guid[37];		/* lowercase canonical; "" for defaults */
	char	*name;			/* friendly name or NULL */
	char	*mps_username;		/* NULL = inherit from defaults */
	char	*mps_password_hash;	/* passwd_hash() format */
	char	*amt_username;
	char	*amt_password;
	char	*tags[DEVICES_MAX_TAGS];
	size_t	 ntags;
	int	 line;			/* where it was declared */
	int	 col;
};

struct devices {
	char			*path;
	int			 accept_unknown;
	struct device_entry	 defaults;
	struct device_entry	*v;	/* sorted by guid */
	size_t			 n;
	struct device_entry	**by_name; /* named entries, sorted by name */
	size_t			 nnamed;
};

/* An empty table that accepts nobody (accept_unknown false, no defaults). */
struct devices *devices_new_empty(void);

/*
 * Loads and validates the devices file: GUIDs well formed and unique
 * (stored lowercase), names unique, hashes well formed, never a plaintext
 * MPS password key, every entry with MPS credentials (its own or the
 * defaults), accept_unknown only with default credentials.  0 with *out a
 * new table (free with devices_free), or MPS_ERR_CONFIG (MPS_ERR_NOMEM if
 * memory ran out) with err filled ("file:line:col: msg"); err may be NULL.
 * At most DEVICES_MAX_FILE bytes.  d->path is the file's absolute path.
 */
int	devices_load(const char *path, struct devices **out,
	    struct config_err *err);
/*
 * Like devices_load on data[0..len) (need not be NUL-terminated); name is
 * only used in err->file.  d->path stays NULL.
 */
int	devices_load_buffer(const char *data, size_t len, const char *name,
	    struct devices **out, struct config_err *err);
/* Frees d and everything it owns; NULL is fine. */
void	devices_free(struct devices *d);

/*
 * Canonical form of a textual GUID: 8-4-4-4-12 hex digits in either case
 * become lowercase in out (37 bytes with the NUL).  0 or MPS_ERR_INVALID.
 */
int	devices_guid_canon(const char *s, char out[DEVICES_GUID_LEN + 1]);

/* The entry for guid (any case), or NULL.  O(log n). */
const struct device_entry *devices_find(const struct devices *d,
	    const char *guid);
/* The entry with this friendly name (exact match), or NULL.  O(log n). */
const struct device_entry *devices_find_name(const struct devices *d,
	    const char *name);

/*
 * Effective credentials for a GUID: the entry's own values, falling back to
 * the defaults.  Entry may be NULL (unknown device).  Returns NULL when the
 * value is set nowhere.
 */
const char *devices_mps_username(const struct devices *d,
	    const struct device_entry *e);
const char *devices_mps_password_hash(const struct devices *d,
	    const struct device_entry *e);
const char *devices_amt_username(const struct devices *d,
	    const struct device_entry *e);
const char *devices_amt_password(const struct devices *d,
	    const struct device_entry *e);
/* 1 if entry (or, for unknown devices, nothing) carries tag. */
int	devices_has_tag(const struct device_entry *e, const char *tag);

#endif /* DEVICES_H */
