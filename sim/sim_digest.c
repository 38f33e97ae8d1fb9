/*
 * sim_digest.c: HTTP Digest authentication (RFC 2617, MD5, qop=auth) as
 * Intel AMT does it.
 *
 * AMT's challenge is `Digest realm="Digest:<hex>", nonce="...",
 * stale="false",qop="auth"` (no opaque, no algorithm).  A nonce stays
 * good across connections until it expires, so a client that keeps the
 * challenge and counts nc up is not challenged again; every 401 hands out
 * a new nonce.  We keep a few live nonces per device so that clients on
 * parallel connections do not invalidate each other's.
 *
 * Replay: each nonce remembers the highest nc it accepted and a bitmap of
 * the SIM_DIGEST_WINDOW values below it.  A repeated nc, or one older than
 * the window, is refused; a reordered one inside the window is not (two
 * requests on two connections may arrive in either order).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "mps_err.h"
#include "sim_wsman.h"

static const char *sim_digest_result_names[] = {
#define SIM_DR_NAME(name, str) str,
	SIM_DIGEST_RESULTS(SIM_DR_NAME)
#undef SIM_DR_NAME
};

/* The Authorization parameters we use, bounded. */
struct sim_digest_params {
	char	username[128];
	char	realm[128];
	char	nonce[128];
	char	uri[SIM_HTTP_MAX_TARGET];
	char	response[64];
	char	qop[32];
	char	nc[32];
	char	cnonce[128];
	char	algorithm[32];
};

const char *
sim_digest_result_name(enum sim_digest_result r)
{
	if ((unsigned)r >= sizeof(sim_digest_result_names) /
	    sizeof(sim_digest_result_names[0]))
		return "?";
	return sim_digest_result_names[r];
}

int
sim_digest_md5_hex(const char *s, size_t len, char out[33])
{
	static const char	hex[] = "0123456789abcdef";
	unsigned char		md[EVP_MAX_MD_SIZE];
	unsigned int		mdlen = 0, i;

	if (EVP_Digest(s, len, md, &mdlen, EVP_md5(), NULL) != 1 ||
	    mdlen != 16)
		return MPS_ERR_INTERNAL;
	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0x0f];
	}
	out[32] = '\0';
	return 0;
}

/* MD5 hex of the parts joined with ':'. */
static int
sim_digest_md5_join(char out[33], const char *const *parts, size_t n)
{
	char	buf[2048];
	size_t	off = 0, l, i;

	for (i = 0; i < n; i++) {
		l = strlen(parts[i]);
		if (off + l + 1 >= sizeof(buf))
			return MPS_ERR_TOO_LARGE;
		if (i > 0)
			buf[off++] = ':';
		memcpy(buf + off, parts[i], l);
		off += l;
	}
	return sim_digest_md5_hex(buf, off, out);
}

int
sim_digest_response(const char *user, const char *realm,
    const char *password, const char *method, const char *uri,
    const char *nonce, const char *nc, const char *cnonce, char out[33])
{
	char		 ha1[33], ha2[33];
	const char	*p1[] = { user, realm, password };
	const char	*p2[] = { method, uri };
	const char	*p3[] = { ha1, nonce, nc, cnonce, "auth", ha2 };
	int		 r;

	if ((r = sim_digest_md5_join(ha1, p1, 3)) != 0 ||
	    (r = sim_digest_md5_join(ha2, p2, 2)) != 0)
		return r;
	return sim_digest_md5_join(out, p3, 6);
}

int
sim_digest_challenge(struct sim_digest *d, uint64_t now_ms,
    const char **nonce)
{
	struct sim_digest_nonce	*n = &d->n[d->next % SIM_DIGEST_NONCES];
	unsigned char		 raw[24];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return MPS_ERR_INTERNAL;
	/* 24 bytes are exactly 32 base64 characters, no padding. */
	if (EVP_EncodeBlock((unsigned char *)n->value, raw, sizeof(raw)) !=
	    SIM_DIGEST_NONCE_LEN)
		return MPS_ERR_INTERNAL;
	n->born_ms = now_ms;
	n->max_nc = 0;
	n->seen = 0;
	d->next = (d->next + 1) % SIM_DIGEST_NONCES;
	*nonce = n->value;
	return 0;
}

/*
 * Split "Digest k=v, k="v",k=v" tolerantly: separators are commas outside
 * quotes with any white space around them (AMT's own are irregular, and
 * clients quote nc and qop or not).  Unknown keys are ignored; a value
 * too long for its field is malformed.
 */
static int
sim_digest_parse(const char *s, struct sim_digest_params *p)
{
	const char	*k, *v;
	size_t		 kl, vl, cap;
	char		*dst;
	int		 quoted;

	memset(p, 0, sizeof(*p));
	while (*s == ' ' || *s == '\t')
		s++;
	if (strncasecmp(s, "Digest", 6) != 0 || (s[6] != ' ' && s[6] != '\t'))
		return MPS_ERR_INVALID;
	s += 7;
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (*s == '\0')
			break;
		k = s;
		while (*s != '\0' && *s != '=' && *s != ' ' && *s != '\t' &&
		    *s != ',')
			s++;
		kl = (size_t)(s - k);
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s != '=' || kl == 0)
			return MPS_ERR_INVALID;
		s++;
		while (*s == ' ' || *s == '\t')
			s++;
		quoted = *s == '"';
		if (quoted) {
			v = ++s;
			while (*s != '\0' && *s != '"') {
				if (*s == '\\' && s[1] != '\0')
					s++;
				s++;
			}
			if (*s != '"')
				return MPS_ERR_INVALID;
			vl = (size_t)(s - v);
			s++;
		} else {
			v = s;
			while (*s != '\0' && *s != ',' && *s != ' ' &&
			    *s != '\t')
				s++;
			vl = (size_t)(s - v);
		}
#define SIM_DIGEST_KEY(name)						\
		if (kl == sizeof(#name) - 1 &&				\
		    strncasecmp(k, #name, kl) == 0) {			\
			dst = p->name;					\
			cap = sizeof(p->name);				\
		} else
		SIM_DIGEST_KEY(username)
		SIM_DIGEST_KEY(realm)
		SIM_DIGEST_KEY(nonce)
		SIM_DIGEST_KEY(uri)
		SIM_DIGEST_KEY(response)
		SIM_DIGEST_KEY(qop)
		SIM_DIGEST_KEY(nc)
		SIM_DIGEST_KEY(cnonce)
		SIM_DIGEST_KEY(algorithm)
		{
			dst = NULL;
			cap = 0;
		}
#undef SIM_DIGEST_KEY
		if (dst == NULL)
			continue;
		if (vl >= cap)
			return MPS_ERR_TOO_LARGE;
		/* Backslash escapes are legal in quoted strings; nothing
		 * we compare needs one, so they are kept literally. */
		memcpy(dst, v, vl);
		dst[vl] = '\0';
	}
	return 0;
}

/* nc is 8 hex digits; be tolerant of fewer (MeshCentral). */
static int
sim_digest_nc(const char *s, uint32_t *out)
{
	uint32_t	v = 0;
	size_t		i;

	if (s[0] == '\0' || strlen(s) > 8)
		return MPS_ERR_INVALID;
	for (i = 0; s[i] != '\0'; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return MPS_ERR_INVALID;
		v = v << 4 | (uint32_t)(isdigit((unsigned char)s[i]) ?
		    s[i] - '0' : (tolower((unsigned char)s[i]) - 'a' + 10));
	}
	*out = v;
	return 0;
}

/* Record nc on n; 0, or MPS_ERR_INVALID for a replay. */
static int
sim_digest_nc_accept(struct sim_digest_nonce *n, uint32_t nc)
{
	uint32_t	back;

	if (nc == 0)
		return MPS_ERR_INVALID;
	if (nc > n->max_nc) {
		back = nc - n->max_nc;
		n->seen = back >= 64 ? 0 : n->seen << back;
		n->seen |= 1;
		n->max_nc = nc;
		return 0;
	}
	back = n->max_nc - nc;
	if (back >= SIM_DIGEST_WINDOW || (n->seen & (1ULL << back)))
		return MPS_ERR_INVALID;
	n->seen |= 1ULL << back;
	return 0;
}

enum sim_digest_result
sim_digest_verify(struct sim_digest *d, const char *authz, const char *method,
    const char *uri, const struct sim_digest_cred *cred, uint64_t now_ms,
    uint64_t lifetime_ms)
{
	struct sim_digest_params	 p;
	struct sim_digest_nonce		*n = NULL;
	char				 want[33];
	uint32_t			 nc;
	size_t				 i;

	if (authz == NULL || authz[0] == '\0')
		return SIM_DIGEST_MISSING;
	if (sim_digest_parse(authz, &p) != 0 || p.username[0] == '\0' ||
	    p.nonce[0] == '\0' || p.response[0] == '\0' ||
	    p.uri[0] == '\0')
		return SIM_DIGEST_MALFORMED;
	if (p.algorithm[0] != '\0' && strcasecmp(p.algorithm, "MD5") != 0)
		return SIM_DIGEST_MALFORMED;
	if (strcmp(p.username, cred->user) != 0)
		return SIM_DIGEST_WRONG_USER;
	if (strcmp(p.realm, cred->realm) != 0)
		return SIM_DIGEST_WRONG_REALM;
	if (strcmp(p.uri, uri) != 0)
		return SIM_DIGEST_WRONG_URI;
	/* AMT offers only qop=auth; RFC 2069 digests (no qop) and
	 * auth-int are refused. */
	if (strcmp(p.qop, "auth") != 0 || p.cnonce[0] == '\0' ||
	    sim_digest_nc(p.nc, &nc) != 0)
		return SIM_DIGEST_BAD_QOP;
	for (i = 0; i < SIM_DIGEST_NONCES; i++)
		if (d->n[i].value[0] != '\0' &&
		    strcmp(d->n[i].value, p.nonce) == 0)
			n = &d->n[i];
	if (n == NULL)
		return SIM_DIGEST_UNKNOWN_NONCE;
	if (sim_digest_response(cred->user, cred->realm, cred->password,
	    method, p.uri, p.nonce, p.nc, p.cnonce, want) != 0 ||
	    strlen(p.response) != 32)
		return SIM_DIGEST_BAD_RESPONSE;
	for (i = 0; i < 32; i++)
		p.response[i] = (char)tolower((unsigned char)p.response[i]);
	if (CRYPTO_memcmp(want, p.response, 32) != 0)
		return SIM_DIGEST_BAD_RESPONSE;
	if (lifetime_ms > 0 && now_ms - n->born_ms > lifetime_ms)
		return SIM_DIGEST_STALE;
	if (sim_digest_nc_accept(n, nc) != 0)
		return SIM_DIGEST_REPLAY;
	return SIM_DIGEST_OK;
}
