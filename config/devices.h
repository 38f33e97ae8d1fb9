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
};

struct devices {
	char			*path;
	int			 accept_unknown;
	struct device_entry	 defaults;
	struct device_entry	*v;	/* sorted by guid */
	size_t			 n;
};

/* An empty table that accepts nobody (accept_unknown false, no defaults). */
struct devices *devices_new_empty(void);

/*
 * Loads and validates the devices file: GUIDs well formed and unique
 * (stored lowercase), names unique, hashes well formed, never a plaintext
 * MPS password key.  0 or MPS_ERR_CONFIG with err filled.
 */
int	devices_load(const char *path, struct devices **out,
	    struct config_err *err);
void	devices_free(struct devices *d);

/* The entry for guid (any case), or NULL. */
const struct device_entry *devices_find(const struct devices *d,
	    const char *guid);

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
