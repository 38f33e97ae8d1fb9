/*
 * auth.c: the verdict on a device's USERAUTH_REQUEST, the verified-
 * credential cache and the failed-auth throttle (see server.h for the
 * policies).  Pure computation: no sockets, no timers; device.c applies
 * the verdicts and delays.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "passwd.h"
#include "server.h"

#define AUTH_WINDOW	60	/* s: failures are counted per minute */

static const char *const auth_result_names[] = {
#define AUTH_RESULT_NAME(name, str) str,
	AUTH_RESULTS(AUTH_RESULT_NAME)
#undef AUTH_RESULT_NAME
};

const char *
auth_result_str(enum auth_result r)
{
	if ((unsigned)r >= AUTH_RESULT_MAX)
		return "?";
	return auth_result_names[r];
}

static size_t
auth_pow2(size_t n)
{
	size_t	p = 1;

	while (p < n && p < ((size_t)1 << 30))
		p <<= 1;
	return p;
}

/* ------------------------------------------------------------- cache */

int
auth_cache_init(struct auth_cache *c, size_t size)
{
	memset(c, 0, sizeof(*c));
	c->size = auth_pow2(size == 0 ? 1 : size);
	/* calloc: pages stay untouched (and out of RSS) until used. */
	if ((c->slots = calloc(c->size, sizeof(*c->slots))) == NULL)
		return MPS_ERR_NOMEM;
	if (RAND_bytes(c->secret, sizeof(c->secret)) != 1) {
		free(c->slots);
		c->slots = NULL;
		return MPS_ERR_INTERNAL;
	}
	return 0;
}

void
auth_cache_free(struct auth_cache *c)
{
	if (c->slots != NULL) {
		OPENSSL_cleanse(c->slots, c->size * sizeof(*c->slots));
		free(c->slots);
	}
	OPENSSL_cleanse(c->secret, sizeof(c->secret));
	memset(c, 0, sizeof(*c));
}

/*
 * key = HMAC-SHA256(secret, hash || 0 || password).  The process secret
 * means a memory dump does not give a cheap offline check of passwords.
 */
static int
auth_cache_key(const struct auth_cache *c, const char *hash, const void *pw,
    size_t len, uint8_t key[32])
{
	uint8_t		buf[PASSWD_HASH_MAX + 1 + PASSWD_MAX_LEN];
	size_t		hlen = strlen(hash);
	unsigned int	klen = 32;
	int		ok;

	if (hlen >= PASSWD_HASH_MAX || len > PASSWD_MAX_LEN)
		return -1;
	memcpy(buf, hash, hlen);
	buf[hlen] = 0;
	if (len > 0)
		memcpy(buf + hlen + 1, pw, len);
	ok = HMAC(EVP_sha256(), c->secret, sizeof(c->secret), buf,
	    hlen + 1 + len, key, &klen) != NULL && klen == 32;
	OPENSSL_cleanse(buf, hlen + 1 + len);
	return ok ? 0 : -1;
}

static size_t
auth_cache_slot(const struct auth_cache *c, const uint8_t key[32])
{
	size_t	i = 0;
	int	k;

	for (k = 0; k < 8; k++)
		i = (i << 8) | key[k];
	return i & (c->size - 1);
}

int
auth_cache_lookup(struct auth_cache *c, const char *hash, const void *pw,
    size_t len)
{
	uint8_t	key[32];

	if (c->slots == NULL || auth_cache_key(c, hash, pw, len, key) != 0)
		return 0;
	if (CRYPTO_memcmp(c->slots[auth_cache_slot(c, key)], key, 32) == 0) {
		c->hits++;
		return 1;
	}
	c->misses++;
	return 0;
}

void
auth_cache_add(struct auth_cache *c, const char *hash, const void *pw,
    size_t len)
{
	uint8_t	key[32];

	if (c->slots == NULL || auth_cache_key(c, hash, pw, len, key) != 0)
		return;
	/* Direct-mapped: a colliding entry is simply evicted. */
	memcpy(c->slots[auth_cache_slot(c, key)], key, 32);
}

/* ---------------------------------------------------------- throttle */

int
auth_throttle_init(struct auth_throttle *t, size_t max, uint32_t limit)
{
	memset(t, 0, sizeof(*t));
	TAILQ_INIT(&t->lru);
	t->max = max == 0 ? 1 : max;
	t->limit = limit;
	t->nbuckets = auth_pow2(t->max);
	if ((t->buckets = calloc(t->nbuckets, sizeof(*t->buckets))) == NULL)
		return MPS_ERR_NOMEM;
	return 0;
}

void
auth_throttle_free(struct auth_throttle *t)
{
	struct auth_throttle_entry	*e;

	while ((e = TAILQ_FIRST(&t->lru)) != NULL) {
		TAILQ_REMOVE(&t->lru, e, lru);
		free(e);
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
	TAILQ_INIT(&t->lru);
}

static size_t
auth_throttle_bucket(const struct auth_throttle *t, const struct peer_addr *a)
{
	uint32_t	h = 2166136261u;
	size_t		i, n = a->family == AF_INET ? 4 : 16;

	h ^= a->family;
	h *= 16777619u;
	for (i = 0; i < n; i++) {
		h ^= a->addr[i];
		h *= 16777619u;
	}
	return h & (t->nbuckets - 1);
}

/* Source identity is the address without the port. */
static int
auth_throttle_same(const struct auth_throttle_entry *e,
    const struct peer_addr *a)
{
	return e->family == a->family &&
	    memcmp(e->addr, a->addr, sizeof(e->addr)) == 0;
}

static struct auth_throttle_entry *
auth_throttle_find(const struct auth_throttle *t, const struct peer_addr *a)
{
	struct auth_throttle_entry	*e;

	if (t->buckets == NULL)
		return NULL;
	for (e = t->buckets[auth_throttle_bucket(t, a)]; e != NULL;
	    e = e->hnext)
		if (auth_throttle_same(e, a))
			return e;
	return NULL;
}

static void
auth_throttle_unhash(struct auth_throttle *t, struct auth_throttle_entry *e)
{
	struct auth_throttle_entry	**pp;
	struct peer_addr		  a;

	memset(&a, 0, sizeof(a));
	a.family = e->family;
	memcpy(a.addr, e->addr, sizeof(a.addr));
	for (pp = &t->buckets[auth_throttle_bucket(t, &a)]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			return;
		}
}

uint32_t
auth_throttle_fail(struct auth_throttle *t, const struct peer_addr *a,
    int64_t now)
{
	struct auth_throttle_entry	*e;
	uint32_t			 excess;
	size_t				 b;

	if (t->buckets == NULL)
		return 0;
	if ((e = auth_throttle_find(t, a)) != NULL) {
		TAILQ_REMOVE(&t->lru, e, lru);
	} else {
		if (t->n >= t->max) {
			/* Full: recycle the least recently failing source. */
			e = TAILQ_LAST(&t->lru, auth_throttle_head);
			TAILQ_REMOVE(&t->lru, e, lru);
			auth_throttle_unhash(t, e);
		} else if ((e = malloc(sizeof(*e))) == NULL)
			return 0;
		else
			t->n++;
		memset(e, 0, sizeof(*e));
		e->family = a->family;
		memcpy(e->addr, a->addr, sizeof(e->addr));
		e->window = now;
		b = auth_throttle_bucket(t, a);
		e->hnext = t->buckets[b];
		t->buckets[b] = e;
	}
	TAILQ_INSERT_HEAD(&t->lru, e, lru);

	if (now < e->window || now - e->window >= AUTH_WINDOW) {
		e->window = now;
		e->failures = 0;
	}
	if (e->failures < UINT32_MAX)
		e->failures++;
	/* limit 0 disables the throttle. */
	if (t->limit == 0 || e->failures <= t->limit)
		return 0;
	excess = e->failures - t->limit;	/* 1, 2, 3 ... */
	if (excess > 5)
		return AUTH_DELAY_MAX;
	return (1u << (excess - 1)) < AUTH_DELAY_MAX ?
	    (1u << (excess - 1)) : AUTH_DELAY_MAX;
}

uint32_t
auth_throttle_count(const struct auth_throttle *t, const struct peer_addr *a,
    int64_t now)
{
	const struct auth_throttle_entry	*e;

	if ((e = auth_throttle_find(t, a)) == NULL)
		return 0;
	if (now < e->window || now - e->window >= AUTH_WINDOW)
		return 0;
	return e->failures;
}

/* ----------------------------------------------------------- verdict */

int
auth_init(struct auth *a, size_t cache_size, size_t throttle_size,
    uint32_t failures_per_minute)
{
	int	r;

	memset(a, 0, sizeof(*a));
	if ((r = auth_cache_init(&a->cache, cache_size)) != 0)
		return r;
	if ((r = auth_throttle_init(&a->throttle, throttle_size,
	    failures_per_minute)) != 0) {
		auth_cache_free(&a->cache);
		return r;
	}
	return 0;
}

void
auth_free(struct auth *a)
{
	auth_cache_free(&a->cache);
	auth_throttle_free(&a->throttle);
}

enum auth_result
auth_check(struct auth *a, const struct devices *d, const char *guid,
    const struct apf_str *user, const struct apf_str *method,
    const struct apf_str *password, int *cached)
{
	const struct device_entry	*e;
	const char			*u, *h;
	size_t				 ulen;
	int				 r;

	*cached = 0;
	if (!apf_str_eq(*method, APF_METHOD_PASSWORD))
		return AUTH_BAD_METHOD;
	e = devices_find(d, guid);
	if (e == NULL && !d->accept_unknown)
		return AUTH_UNKNOWN_DEVICE;
	u = devices_mps_username(d, e);
	h = devices_mps_password_hash(d, e);
	if (u == NULL || h == NULL)
		return AUTH_NO_CREDENTIALS;
	ulen = strlen(u);
	if (user->len != ulen || CRYPTO_memcmp(user->p, u, ulen) != 0)
		return AUTH_BAD_USERNAME;
	if (auth_cache_lookup(&a->cache, h, password->p, password->len)) {
		*cached = 1;
		return AUTH_OK;
	}
	r = passwd_verify((const char *)password->p, password->len, h);
	if (r < 0)
		return AUTH_BAD_HASH;
	if (r == 0)
		return AUTH_BAD_PASSWORD;
	auth_cache_add(&a->cache, h, password->p, password->len);
	return AUTH_OK;
}
