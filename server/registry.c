/*
 * registry.c: GUID -> authenticated connection.
 *
 * A chained hash table of nodes embedded in their owners (no allocation
 * per device), doubled when the load passes 1, so lookups stay O(1) at
 * 20,000 tunnels.  Prefix and name lookups for the control socket are
 * linear scans: they run per operator request, not per packet.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

#define REG_INITIAL_BUCKETS	256

static uint32_t
registry_hash(const char *guid)
{
	uint32_t	h = 2166136261u;	/* FNV-1a */

	while (*guid != '\0') {
		h ^= (uint8_t)*guid++;
		h *= 16777619u;
	}
	return h;
}

int
registry_init(struct registry *r)
{
	memset(r, 0, sizeof(*r));
	r->buckets = calloc(REG_INITIAL_BUCKETS, sizeof(*r->buckets));
	if (r->buckets == NULL)
		return MPS_ERR_NOMEM;
	r->nbuckets = REG_INITIAL_BUCKETS;
	return 0;
}

void
registry_clear(struct registry *r)
{
	free(r->buckets);
	memset(r, 0, sizeof(*r));
}

struct reg_node *
registry_find(const struct registry *r, const char *guid)
{
	struct reg_node	*n;
	uint32_t	 h;

	if (r->nbuckets == 0)
		return NULL;
	h = registry_hash(guid);
	for (n = r->buckets[h & (r->nbuckets - 1)]; n != NULL; n = n->next)
		if (n->hash == h && strcmp(n->guid, guid) == 0)
			return n;
	return NULL;
}

/* Doubles the table; on allocation failure the old one simply stays. */
static void
registry_grow(struct registry *r)
{
	struct reg_node	**nb, *n, *next;
	size_t		  i, nsize = r->nbuckets * 2;

	if ((nb = calloc(nsize, sizeof(*nb))) == NULL)
		return;
	for (i = 0; i < r->nbuckets; i++) {
		for (n = r->buckets[i]; n != NULL; n = next) {
			next = n->next;
			n->next = nb[n->hash & (nsize - 1)];
			nb[n->hash & (nsize - 1)] = n;
		}
	}
	free(r->buckets);
	r->buckets = nb;
	r->nbuckets = nsize;
}

int
registry_insert(struct registry *r, struct reg_node *n,
    struct reg_node **replaced)
{
	struct reg_node	**pp;

	*replaced = NULL;
	if (r->nbuckets == 0 && registry_init(r) != 0)
		return MPS_ERR_NOMEM;
	n->hash = registry_hash(n->guid);
	for (pp = &r->buckets[n->hash & (r->nbuckets - 1)]; *pp != NULL;
	    pp = &(*pp)->next) {
		if ((*pp)->hash == n->hash && strcmp((*pp)->guid, n->guid) == 0) {
			/* Newest wins: n takes the old node's place. */
			*replaced = *pp;
			if (*replaced == n)	/* already registered */
				return 0;
			n->next = (*pp)->next;
			(*replaced)->next = NULL;
			*pp = n;
			return 0;
		}
	}
	n->next = r->buckets[n->hash & (r->nbuckets - 1)];
	r->buckets[n->hash & (r->nbuckets - 1)] = n;
	r->n++;
	if (r->n > r->nbuckets)
		registry_grow(r);
	return 0;
}

int
registry_remove(struct registry *r, struct reg_node *n)
{
	struct reg_node	**pp;

	if (r->nbuckets == 0)
		return 0;
	/*
	 * Compare pointers, not GUIDs: when a newer connection replaced n,
	 * the GUID is registered to someone else and must stay.
	 */
	for (pp = &r->buckets[n->hash & (r->nbuckets - 1)]; *pp != NULL;
	    pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			n->next = NULL;
			r->n--;
			return 1;
		}
	}
	return 0;
}

void
registry_foreach(const struct registry *r,
    void (*fn)(struct reg_node *, void *), void *arg)
{
	struct reg_node	*n, *next;
	size_t		 i;

	for (i = 0; i < r->nbuckets; i++)
		for (n = r->buckets[i]; n != NULL; n = next) {
			next = n->next;
			fn(n, arg);
		}
}

/* 1 if guid starts with prefix, case-insensitively, dashes included. */
static int
registry_prefix_match(const char *guid, const char *prefix)
{
	for (; *prefix != '\0'; prefix++, guid++)
		if (*guid == '\0' ||
		    tolower((unsigned char)*prefix) != *guid)
			return 0;
	return 1;
}

static void
registry_add_match(struct reg_resolve *res, const char *guid)
{
	if (res->nmatches < REG_MAX_MATCHES)
		memcpy(res->matches[res->nmatches++], guid,
		    APF_GUID_STRLEN + 1);
	res->nmatches_total++;
}

static int
registry_cmp_guid(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Found a single GUID: connected or not. */
static int
registry_resolved(const struct registry *r, const struct devices *d,
    const char *guid, struct reg_resolve *res)
{
	memcpy(res->guid, guid, APF_GUID_STRLEN + 1);
	res->node = registry_find(r, guid);
	res->entry = d != NULL ? devices_find(d, guid) : NULL;
	return res->node != NULL ? 0 : MPS_ERR_NOT_CONNECTED;
}

int
registry_resolve(const struct registry *r, const struct devices *d,
    const char *sel, struct reg_resolve *res)
{
	uint8_t		 uuid[APF_UUID_LEN];
	char		 guid[APF_GUID_STRLEN + 1];
	struct reg_node	*n;
	size_t		 i, len, hex = 0;

	memset(res, 0, sizeof(*res));
	len = strlen(sel);

	/* 1. A full GUID names exactly one device, connected or not. */
	if (len == APF_GUID_STRLEN && apf_guid_parse(sel, uuid) == 0) {
		apf_guid_format(uuid, guid);
		return registry_resolved(r, d, guid, res);
	}

	/* 2. A friendly name from the devices file. */
	if (d != NULL && len > 0) {
		for (i = 0; i < d->n; i++)
			if (d->v[i].name != NULL &&
			    strcmp(d->v[i].name, sel) == 0)
				return registry_resolved(r, d, d->v[i].guid,
				    res);
	}

	/* 3. A unique prefix of at least REG_MIN_PREFIX hex digits. */
	for (i = 0; i < len; i++) {
		if (isxdigit((unsigned char)sel[i]))
			hex++;
		else if (sel[i] != '-')
			return MPS_ERR_NOT_FOUND;
	}
	if (hex < REG_MIN_PREFIX || len > APF_GUID_STRLEN)
		return MPS_ERR_NOT_FOUND;
	for (i = 0; i < r->nbuckets; i++)
		for (n = r->buckets[i]; n != NULL; n = n->next)
			if (registry_prefix_match(n->guid, sel))
				registry_add_match(res, n->guid);
	if (d != NULL) {
		for (i = 0; i < d->n; i++)
			if (registry_prefix_match(d->v[i].guid, sel) &&
			    registry_find(r, d->v[i].guid) == NULL)
				registry_add_match(res, d->v[i].guid);
	}
	if (res->nmatches_total == 0)
		return MPS_ERR_NOT_FOUND;
	if (res->nmatches_total > 1) {
		qsort(res->matches, res->nmatches, sizeof(res->matches[0]),
		    registry_cmp_guid);
		return MPS_ERR_AMBIGUOUS;
	}
	memcpy(guid, res->matches[0], sizeof(guid));
	res->nmatches = res->nmatches_total = 0;
	return registry_resolved(r, d, guid, res);
}
