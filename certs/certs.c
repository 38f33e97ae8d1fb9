/*
 * certs.c: root CA and CIRA server certificates with the OpenSSL 3 EVP API.
 *
 * Everything an AMT device looks at is decided here: the names it matches
 * (CN and subjectAltName), the key size it accepts (see certs.h), and the
 * validity window it checks against a clock that is often wrong.  Files
 * are written so that a daemon reloading on SIGHUP never reads a partial
 * certificate or key.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "certs.h"
#include "mps_err.h"

/* A PEM certificate or key is a few KiB; anything bigger is not ours. */
#define CERTS_FILE_MAX		(1024 * 1024)

/* One subjectAltName in a form that can be compared and encoded. */
struct certs_san {
	int		type;		/* GEN_DNS or GEN_IPADD */
	unsigned char	ip[16];
	size_t		iplen;		/* 4 or 16 */
	char		dns[254];
};

struct certs_sanlist {
	struct certs_san v[CERTS_SAN_MAX];
	size_t		 n;
};

/* A file written through a temporary name, see certs_write_key(). */
struct certs_file {
	char	path[CERTS_PATH_MAX];
	char	tmp[CERTS_PATH_MAX];
	int	staged;		/* tmp exists */
	int	placed;		/* path holds our data */
};

static void	certs_seterr(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	certs_seterr_ssl(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
certs_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * Like certs_seterr() with the reason of the newest OpenSSL error
 * appended; the error queue is cleared so that stale entries never end
 * up in a later, unrelated message.
 */
static void
certs_seterr_ssl(char *err, size_t errlen, const char *fmt, ...)
{
	va_list		 ap;
	unsigned long	 e;
	const char	*reason;
	size_t		 used;

	e = ERR_peek_last_error();
	ERR_clear_error();
	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	if (e == 0 || (reason = ERR_reason_error_string(e)) == NULL)
		return;
	used = strlen(err);
	if (used < errlen)
		snprintf(err + used, errlen - used, ": %s", reason);
}

/* Key types. */

static const struct {
	enum certs_key_type	 type;
	const char		*name;
	int			 bits;		/* 0 for EC */
} certs_key_types[] = {
	{ CERTS_KEY_RSA2048,	"rsa2048",	2048 },
	{ CERTS_KEY_RSA3072,	"rsa3072",	3072 },
	{ CERTS_KEY_RSA4096,	"rsa4096",	4096 },
	{ CERTS_KEY_EC384,	"ec384",	0 },
};
#define CERTS_NKEY_TYPES (sizeof(certs_key_types) / sizeof(certs_key_types[0]))

int
certs_key_type_parse(const char *s, enum certs_key_type *type)
{
	size_t	i;

	for (i = 0; i < CERTS_NKEY_TYPES; i++) {
		if (s != NULL && strcasecmp(s, certs_key_types[i].name) == 0) {
			*type = certs_key_types[i].type;
			return 0;
		}
	}
	return MPS_ERR_USAGE;
}

const char *
certs_key_type_str(enum certs_key_type type)
{
	size_t	i;

	for (i = 0; i < CERTS_NKEY_TYPES; i++)
		if (certs_key_types[i].type == type)
			return certs_key_types[i].name;
	return "default";
}

enum certs_key_type
certs_key_type_of(const EVP_PKEY *key)
{
	char	group[64];
	size_t	i;
	int	bits;

	if (key == NULL)
		return CERTS_KEY_DEFAULT;
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
		bits = EVP_PKEY_get_bits(key);
		for (i = 0; i < CERTS_NKEY_TYPES; i++)
			if (certs_key_types[i].bits == bits)
				return certs_key_types[i].type;
		return CERTS_KEY_DEFAULT;
	}
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
	    EVP_PKEY_get_group_name(key, group, sizeof(group), NULL) == 1 &&
	    strcmp(group, SN_secp384r1) == 0)
		return CERTS_KEY_EC384;
	return CERTS_KEY_DEFAULT;
}

EVP_PKEY *
certs_key_new(enum certs_key_type type)
{
	size_t	i;

	if (type == CERTS_KEY_DEFAULT)
		type = CERTS_KEY_RSA2048;
	if (type == CERTS_KEY_EC384)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", SN_secp384r1);
	for (i = 0; i < CERTS_NKEY_TYPES; i++)
		if (certs_key_types[i].type == type)
			return EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
			    (size_t)certs_key_types[i].bits);
	return NULL;
}

/*
 * The digest a certificate for key is signed with.  SHA-256 for RSA-2048
 * leaves keeps the chain AMT 12 accepted; the stronger keys AMT 22 wants
 * get SHA-384 to match their strength.
 */
static const EVP_MD *
certs_md_for(const EVP_PKEY *key)
{
	if (certs_key_type_of(key) == CERTS_KEY_RSA2048)
		return EVP_sha256();
	return EVP_sha384();
}

/* Names. */

/* A host name: LDH labels of 1..63 bytes, optional leading "*." label. */
static int
certs_dns_is_valid(const char *name)
{
	const char	*p = name;
	size_t		 label = 0;

	if (strlen(name) == 0 || strlen(name) > 253)
		return 0;
	if (strncmp(p, "*.", 2) == 0)
		p += 2;
	if (*p == '\0')
		return 0;
	for (; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-'))
			return 0;
		if (label == 0 && *p == '-')
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && p[-1] != '-';
}

/* Fill san with an IP address if s is one; 1 if it was, else 0. */
static int
certs_ip_parse(const char *s, struct certs_san *san)
{
	memset(san, 0, sizeof(*san));
	san->type = GEN_IPADD;
	if (inet_pton(AF_INET, s, san->ip) == 1) {
		san->iplen = 4;
		return 1;
	}
	if (inet_pton(AF_INET6, s, san->ip) == 1) {
		san->iplen = 16;
		return 1;
	}
	return 0;
}

static int
certs_san_parse(const char *spec, struct certs_san *san, char *err,
    size_t errlen)
{
	if (spec == NULL)
		spec = "";
	if (strncasecmp(spec, "IP:", 3) == 0) {
		if (certs_ip_parse(spec + 3, san))
			return 0;
		certs_seterr(err, errlen, "subjectAltName '%s': '%s' is not "
		    "an IPv4 or IPv6 address", spec, spec + 3);
		return MPS_ERR_USAGE;
	}
	if (strncasecmp(spec, "DNS:", 4) == 0) {
		if (certs_dns_is_valid(spec + 4)) {
			memset(san, 0, sizeof(*san));
			san->type = GEN_DNS;
			snprintf(san->dns, sizeof(san->dns), "%s", spec + 4);
			return 0;
		}
		certs_seterr(err, errlen, "subjectAltName '%s': '%s' is not "
		    "a valid DNS name", spec, spec + 4);
		return MPS_ERR_USAGE;
	}
	certs_seterr(err, errlen, "subjectAltName '%s': expected IP:ADDRESS "
	    "or DNS:NAME", spec);
	return MPS_ERR_USAGE;
}

int
certs_san_check(const char *spec, char *err, size_t errlen)
{
	struct certs_san san;

	return certs_san_parse(spec, &san, err, errlen);
}

/* The subjectAltName a CN stands for: IP when it parses as one. */
static int
certs_cn_san(const char *cn, struct certs_san *san, char *err, size_t errlen)
{
	if (cn == NULL || *cn == '\0') {
		certs_seterr(err, errlen, "the common name (CN) is empty");
		return MPS_ERR_USAGE;
	}
	if (strlen(cn) > CERTS_CN_MAX) {
		certs_seterr(err, errlen, "common name '%s' is longer than %d "
		    "bytes", cn, CERTS_CN_MAX);
		return MPS_ERR_USAGE;
	}
	if (certs_ip_parse(cn, san))
		return 0;
	if (certs_dns_is_valid(cn)) {
		memset(san, 0, sizeof(*san));
		san->type = GEN_DNS;
		snprintf(san->dns, sizeof(san->dns), "%s", cn);
		return 0;
	}
	certs_seterr(err, errlen, "common name '%s' is neither an IP address "
	    "nor a DNS name; AMT matches it against the MPS address it dials",
	    cn);
	return MPS_ERR_USAGE;
}

int
certs_cn_check(const char *cn, char *err, size_t errlen)
{
	struct certs_san san;

	return certs_cn_san(cn, &san, err, errlen);
}

static int
certs_san_equal(const struct certs_san *a, const struct certs_san *b)
{
	if (a->type != b->type)
		return 0;
	if (a->type == GEN_IPADD)
		return a->iplen == b->iplen &&
		    memcmp(a->ip, b->ip, a->iplen) == 0;
	/* DNS names compare case-insensitively (RFC 4343). */
	return strcasecmp(a->dns, b->dns) == 0;
}

/* Append san unless already listed. */
static int
certs_sanlist_add(struct certs_sanlist *l, const struct certs_san *san,
    char *err, size_t errlen)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		if (certs_san_equal(&l->v[i], san))
			return 0;
	if (l->n == CERTS_SAN_MAX) {
		certs_seterr(err, errlen, "too many subjectAltNames (at most "
		    "%d)", CERTS_SAN_MAX);
		return MPS_ERR_USAGE;
	}
	l->v[l->n++] = *san;
	return 0;
}

static void
certs_sanlist_remove(struct certs_sanlist *l, const struct certs_san *san)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		if (certs_san_equal(&l->v[i], san)) {
			memmove(&l->v[i], &l->v[i + 1],
			    (l->n - i - 1) * sizeof(l->v[0]));
			l->n--;
			return;
		}
	}
}

/* "IP:10.0.0.5" / "DNS:mps.example.com" */
static void
certs_san_format(const struct certs_san *san, char *buf, size_t len)
{
	char	addr[INET6_ADDRSTRLEN];

	if (san->type == GEN_DNS) {
		snprintf(buf, len, "DNS:%s", san->dns);
		return;
	}
	if (inet_ntop(san->iplen == 4 ? AF_INET : AF_INET6, san->ip, addr,
	    sizeof(addr)) == NULL)
		snprintf(addr, sizeof(addr), "?");
	snprintf(buf, len, "IP:%s", addr);
}

/*
 * The DNS and IP subjectAltNames of a certificate.  Other kinds (e-mail,
 * URI) are skipped: AMT matches only the address it dials.
 */
static void
certs_sanlist_from_cert(const X509 *x, struct certs_sanlist *l)
{
	GENERAL_NAMES		*gens;
	const GENERAL_NAME	*gn;
	const ASN1_STRING	*s;
	struct certs_san	 san;
	void			*v;
	int			 i, type, len;

	l->n = 0;
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (gens == NULL)
		return;
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		gn = sk_GENERAL_NAME_value(gens, i);
		v = GENERAL_NAME_get0_value(gn, &type);
		if (type != GEN_DNS && type != GEN_IPADD)
			continue;	/* v is no ASN1_STRING then */
		s = v;
		memset(&san, 0, sizeof(san));
		san.type = type;
		len = ASN1_STRING_length(s);
		if (type == GEN_DNS && len > 0 &&
		    (size_t)len < sizeof(san.dns)) {
			memcpy(san.dns, ASN1_STRING_get0_data(s), (size_t)len);
			if (strlen(san.dns) != (size_t)len)
				continue;	/* embedded NUL */
		} else if (type == GEN_IPADD && (len == 4 || len == 16)) {
			memcpy(san.ip, ASN1_STRING_get0_data(s), (size_t)len);
			san.iplen = (size_t)len;
		} else
			continue;
		if (certs_sanlist_add(l, &san, NULL, 0) != 0)
			break;
	}
	GENERAL_NAMES_free(gens);
}

/* The subject CN of a certificate into buf, or 0 if there is none. */
static int
certs_cert_cn(const X509 *x, char *buf, size_t len)
{
	const X509_NAME		*name;
	const ASN1_STRING	*s;
	int			 i, n;

	name = X509_get_subject_name(x);
	if ((i = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) < 0)
		return 0;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	n = ASN1_STRING_length(s);
	if (n <= 0 || (size_t)n >= len)
		return 0;
	memcpy(buf, ASN1_STRING_get0_data(s), (size_t)n);
	buf[n] = '\0';
	return strlen(buf) == (size_t)n;
}

/* Certificate building. */

static int
certs_set_serial(X509 *x)
{
	unsigned char	 buf[16];
	BIGNUM		*bn = NULL;
	int		 r = MPS_ERR_INTERNAL;

	/* 128 random bits: unique without a serial database. */
	if (RAND_bytes(buf, sizeof(buf)) != 1)
		return MPS_ERR_INTERNAL;
	buf[0] |= 0x01;	/* never zero, which RFC 5280 forbids */
	if ((bn = BN_bin2bn(buf, sizeof(buf), NULL)) != NULL &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL)
		r = 0;
	BN_free(bn);
	return r;
}

static int
certs_set_validity(X509 *x, int days)
{
	if (X509_gmtime_adj(X509_getm_notBefore(x), -CERTS_BACKDATE_SECS) ==
	    NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL) == NULL)
		return MPS_ERR_INTERNAL;
	return 0;
}

static int
certs_add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION	*ext;
	int		 r;

	if ((ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value)) == NULL)
		return MPS_ERR_INTERNAL;
	r = X509_add_ext(x, ext, -1) == 1 ? 0 : MPS_ERR_INTERNAL;
	X509_EXTENSION_free(ext);
	return r;
}

/*
 * The subjectAltName extension, built from GENERAL_NAMEs rather than a
 * config string so that no name can smuggle in a "," or another entry.
 */
static int
certs_add_sans(X509 *x, const struct certs_sanlist *l)
{
	GENERAL_NAMES		*gens;
	GENERAL_NAME		*gn = NULL;
	ASN1_IA5STRING		*ia5;
	ASN1_OCTET_STRING	*os;
	size_t			 i;
	int			 r = MPS_ERR_INTERNAL;

	if ((gens = sk_GENERAL_NAME_new_null()) == NULL)
		return MPS_ERR_NOMEM;
	for (i = 0; i < l->n; i++) {
		if ((gn = GENERAL_NAME_new()) == NULL)
			goto out;
		if (l->v[i].type == GEN_DNS) {
			if ((ia5 = ASN1_IA5STRING_new()) == NULL)
				goto out;
			if (ASN1_STRING_set(ia5, l->v[i].dns, -1) != 1) {
				ASN1_IA5STRING_free(ia5);
				goto out;
			}
			GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
		} else {
			if ((os = ASN1_OCTET_STRING_new()) == NULL)
				goto out;
			if (ASN1_OCTET_STRING_set(os, l->v[i].ip,
			    (int)l->v[i].iplen) != 1) {
				ASN1_OCTET_STRING_free(os);
				goto out;
			}
			GENERAL_NAME_set0_value(gn, GEN_IPADD, os);
		}
		if (sk_GENERAL_NAME_push(gens, gn) == 0)
			goto out;
		gn = NULL;
	}
	/* Not critical: the subject carries a CN (RFC 5280 4.2.1.6). */
	if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0,
	    X509V3_ADD_DEFAULT) == 1)
		r = 0;
 out:
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(gens);
	return r;
}

/* A new version-3 certificate with serial, validity and public key. */
static X509 *
certs_cert_skeleton(EVP_PKEY *key, int days)
{
	X509	*x;

	if ((x = X509_new()) == NULL)
		return NULL;
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    certs_set_serial(x) != 0 || certs_set_validity(x, days) != 0 ||
	    X509_set_pubkey(x, key) != 1) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static int
certs_days_check(int days, int dflt, int *out, char *err, size_t errlen)
{
	if (days == 0)
		days = dflt;
	if (days < 1 || days > CERTS_DAYS_MAX) {
		certs_seterr(err, errlen, "validity of %d days is out of range "
		    "(1..%d)", days, CERTS_DAYS_MAX);
		return MPS_ERR_USAGE;
	}
	*out = days;
	return 0;
}

X509 *
certs_root_new(EVP_PKEY *key, int days, char *err, size_t errlen)
{
	X509		*x = NULL;
	X509_NAME	*name;
	X509V3_CTX	 ctx;
	unsigned char	 rnd[4];
	char		 cn[CERTS_CN_MAX + 1];

	if (certs_days_check(days, CERTS_ROOT_DAYS, &days, err, errlen) != 0)
		return NULL;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		goto fail;
	snprintf(cn, sizeof(cn), "amt-mps root CA %02X%02X%02X%02X",
	    rnd[0], rnd[1], rnd[2], rnd[3]);
	if ((x = certs_cert_skeleton(key, days)) == NULL)
		goto fail;
	name = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	    (const unsigned char *)"amt-mps", -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1)
		goto fail;
	/* Self-signed: issuer and subject are the same certificate. */
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (certs_add_ext(x, &ctx, NID_basic_constraints,
	    "critical,CA:TRUE") != 0 ||
	    certs_add_ext(x, &ctx, NID_key_usage,
	    "critical,keyCertSign,cRLSign") != 0 ||
	    certs_add_ext(x, &ctx, NID_subject_key_identifier, "hash") != 0 ||
	    certs_add_ext(x, &ctx, NID_authority_key_identifier,
	    "keyid:always") != 0)
		goto fail;
	if (X509_sign(x, key, EVP_sha384()) <= 0)
		goto fail;
	return x;
 fail:
	certs_seterr_ssl(err, errlen, "cannot make the root certificate");
	X509_free(x);
	return NULL;
}

/* certs_server_new() with the names already parsed (cn first in l). */
static X509 *
certs_server_new_list(X509 *ca, EVP_PKEY *cakey, EVP_PKEY *key,
    const char *cn, const struct certs_sanlist *l, int days, char *err,
    size_t errlen)
{
	X509		*x = NULL;
	X509V3_CTX	 ctx;
	const char	*ku;

	if (certs_days_check(days, CERTS_SERVER_DAYS, &days, err,
	    errlen) != 0)
		return NULL;
	if (X509_check_private_key(ca, cakey) != 1) {
		certs_seterr_ssl(err, errlen, "the root key does not belong "
		    "to the root certificate");
		return NULL;
	}
	if ((x = certs_cert_skeleton(key, days)) == NULL)
		goto fail;
	if (X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(ca)) != 1)
		goto fail;
	/*
	 * RSA key exchange (AMT 11/12 offer TLS_RSA_* suites) encrypts the
	 * premaster secret to the key, hence keyEncipherment; an EC key
	 * only ever signs.
	 */
	ku = EVP_PKEY_get_base_id(key) == EVP_PKEY_EC ?
	    "critical,digitalSignature" :
	    "critical,digitalSignature,keyEncipherment";
	X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
	if (certs_add_ext(x, &ctx, NID_basic_constraints,
	    "critical,CA:FALSE") != 0 ||
	    certs_add_ext(x, &ctx, NID_key_usage, ku) != 0 ||
	    certs_add_ext(x, &ctx, NID_ext_key_usage, "serverAuth") != 0 ||
	    certs_add_ext(x, &ctx, NID_subject_key_identifier, "hash") != 0 ||
	    certs_add_ext(x, &ctx, NID_authority_key_identifier,
	    "keyid:always") != 0 ||
	    certs_add_sans(x, l) != 0)
		goto fail;
	if (X509_sign(x, cakey, certs_md_for(key)) <= 0)
		goto fail;
	return x;
 fail:
	certs_seterr_ssl(err, errlen, "cannot make the server certificate");
	X509_free(x);
	return NULL;
}

/* The names of a server certificate: the CN's own SAN first. */
static int
certs_sanlist_build(struct certs_sanlist *l, const char *cn,
    const char *const *sans, size_t nsans, const struct certs_sanlist *more,
    char *err, size_t errlen)
{
	struct certs_san	san;
	size_t			i;
	int			r;

	l->n = 0;
	if ((r = certs_cn_san(cn, &san, err, errlen)) != 0 ||
	    (r = certs_sanlist_add(l, &san, err, errlen)) != 0)
		return r;
	for (i = 0; i < nsans; i++)
		if ((r = certs_san_parse(sans[i], &san, err, errlen)) != 0 ||
		    (r = certs_sanlist_add(l, &san, err, errlen)) != 0)
			return r;
	for (i = 0; more != NULL && i < more->n; i++)
		if ((r = certs_sanlist_add(l, &more->v[i], err, errlen)) != 0)
			return r;
	return 0;
}

X509 *
certs_server_new(X509 *ca, EVP_PKEY *cakey, EVP_PKEY *key, const char *cn,
    const char *const *sans, size_t nsans, int days, char *err,
    size_t errlen)
{
	struct certs_sanlist	*l;
	X509			*x = NULL;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		certs_seterr(err, errlen, "out of memory");
		return NULL;
	}
	if (certs_sanlist_build(l, cn, sans, nsans, NULL, err, errlen) == 0)
		x = certs_server_new_list(ca, cakey, key, cn, l, days, err,
		    errlen);
	free(l);
	return x;
}

/* Inspection. */

int
certs_fingerprint(const X509 *cert, char colon[CERTS_FP_COLON_SIZE],
    char hex[CERTS_FP_HEX_SIZE])
{
	static const char	 up[] = "0123456789ABCDEF";
	static const char	 lo[] = "0123456789abcdef";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 n = 0, i;

	if (cert == NULL || X509_digest(cert, EVP_sha256(), md, &n) != 1 ||
	    n != 32)
		return MPS_ERR_INTERNAL;
	for (i = 0; i < n; i++) {
		if (colon != NULL) {
			colon[i * 3] = up[md[i] >> 4];
			colon[i * 3 + 1] = up[md[i] & 0x0f];
			colon[i * 3 + 2] = i + 1 < n ? ':' : '\0';
		}
		if (hex != NULL) {
			hex[i * 2] = lo[md[i] >> 4];
			hex[i * 2 + 1] = lo[md[i] & 0x0f];
		}
	}
	if (hex != NULL)
		hex[n * 2] = '\0';
	return 0;
}

/* Never prompt on a terminal for a passphrase: keys here are plain. */
static int
certs_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return 0;
}

X509 *
certs_load_cert(const char *path, char *err, size_t errlen)
{
	FILE	*f;
	X509	*x;

	if ((f = fopen(path, "re")) == NULL) {
		certs_seterr(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	x = PEM_read_X509(f, NULL, certs_no_passphrase, NULL);
	fclose(f);
	if (x == NULL)
		certs_seterr_ssl(err, errlen, "%s holds no PEM certificate",
		    path);
	return x;
}

EVP_PKEY *
certs_load_key(const char *path, char *err, size_t errlen)
{
	FILE		*f;
	EVP_PKEY	*k;

	if ((f = fopen(path, "re")) == NULL) {
		certs_seterr(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	k = PEM_read_PrivateKey(f, NULL, certs_no_passphrase, NULL);
	fclose(f);
	if (k == NULL)
		certs_seterr_ssl(err, errlen, "%s holds no unencrypted PEM "
		    "private key", path);
	return k;
}

int
certs_fingerprint_file(const char *path, char colon[CERTS_FP_COLON_SIZE],
    char hex[CERTS_FP_HEX_SIZE], char *err, size_t errlen)
{
	X509	*x;
	int	 r;

	if ((x = certs_load_cert(path, err, errlen)) == NULL)
		return MPS_ERR_IO;
	r = certs_fingerprint(x, colon, hex);
	if (r != 0)
		certs_seterr_ssl(err, errlen, "cannot hash %s", path);
	X509_free(x);
	return r;
}

static time_t
certs_not_after(const X509 *x)
{
	struct tm	tm;

	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1)
		return (time_t)-1;
	return timegm(&tm);
}

int
certs_describe(const X509 *cert, char *buf, size_t len)
{
	struct certs_sanlist	*l;
	char			 cn[CERTS_CN_MAX + 1], one[300], day[32];
	struct tm		 tm;
	size_t			 used, i, nsans;
	int			 n;

	if (len == 0)
		return MPS_ERR_NO_SPACE;
	buf[0] = '\0';
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return MPS_ERR_NOMEM;
	if (!certs_cert_cn(cert, cn, sizeof(cn)))
		snprintf(cn, sizeof(cn), "?");
	certs_sanlist_from_cert(cert, l);
	n = snprintf(buf, len, "CN=%s SAN=", cn);
	for (i = 0; i < l->n && n >= 0 && (size_t)n < len; i++) {
		certs_san_format(&l->v[i], one, sizeof(one));
		used = (size_t)n;
		n += snprintf(buf + used, len - used, "%s%s", i ? "," : "",
		    one);
	}
	nsans = l->n;
	free(l);
	if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1 ||
	    strftime(day, sizeof(day), "%Y-%m-%d", &tm) == 0)
		snprintf(day, sizeof(day), "?");
	if (n >= 0 && (size_t)n < len) {
		used = (size_t)n;
		n += snprintf(buf + used, len - used, "%s key=%s expires=%s",
		    nsans == 0 ? "none" : "", certs_key_type_str(
		    certs_key_type_of(X509_get0_pubkey(cert))), day);
	}
	return n >= 0 && (size_t)n < len ? 0 : MPS_ERR_NO_SPACE;
}

/* Files. */

static int
certs_path(char *buf, size_t len, const char *dir, const char *name,
    char *err, size_t errlen)
{
	size_t	dlen = strlen(dir);

	/* "DIR/" and "DIR" name the same files; print them the same way. */
	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	if (dlen > INT_MAX || snprintf(buf, len, "%.*s%s%s", (int)dlen, dir,
	    dlen == 1 && dir[0] == '/' ? "" : "/", name) >= (int)len) {
		certs_seterr(err, errlen, "path %s/%s is too long", dir, name);
		return MPS_ERR_USAGE;
	}
	return 0;
}

/* The directory part of path into buf ("." when there is none). */
static void
certs_dirname(const char *path, char *buf, size_t len)
{
	const char	*slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(buf, len, ".");
	else if (slash == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - path), path);
}

static int
certs_exists(const char *path)
{
	struct stat	st;

	return lstat(path, &st) == 0;
}

/*
 * Make a rename or link durable: without this a crash can leave the
 * directory pointing at nothing even though the file data was synced.
 */
static void
certs_fsync_dir(const char *path)
{
	char	dir[CERTS_PATH_MAX];
	int	fd;

	certs_dirname(path, dir, sizeof(dir));
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	(void)fsync(fd);
	close(fd);
}

/* Write data to a fresh temporary file next to f->path, synced. */
static int
certs_stage(struct certs_file *f, const void *data, size_t len, mode_t mode,
    char *err, size_t errlen)
{
	const char	*base, *p = data;
	char		 dir[CERTS_PATH_MAX];
	ssize_t		 n;
	int		 fd, saved;

	certs_dirname(f->path, dir, sizeof(dir));
	base = strrchr(f->path, '/');
	base = base == NULL ? f->path : base + 1;
	if (snprintf(f->tmp, sizeof(f->tmp), "%s/.%s.XXXXXX", dir, base) >=
	    (int)sizeof(f->tmp)) {
		certs_seterr(err, errlen, "path %s is too long", f->path);
		return MPS_ERR_USAGE;
	}
	/* mkostemp opens O_EXCL with mode 0600: the key is never exposed. */
	if ((fd = mkostemp(f->tmp, O_CLOEXEC)) == -1) {
		certs_seterr(err, errlen, "cannot create a file in %s: %s",
		    dir, strerror(errno));
		return MPS_ERR_IO;
	}
	f->staged = 1;
	if (fchmod(fd, mode) == -1)
		goto fail;
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	return 0;
 fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(f->tmp);
	f->staged = 0;
	certs_seterr(err, errlen, "cannot write %s: %s", f->path,
	    strerror(saved));
	return MPS_ERR_IO;
}

/*
 * Put a staged file in place.  Without force, link() refuses an existing
 * target atomically, so a file that appeared since any earlier check is
 * still never clobbered.
 */
static int
certs_place(struct certs_file *f, int force, char *err, size_t errlen)
{
	int	saved;

	if (force) {
		if (rename(f->tmp, f->path) == -1) {
			saved = errno;
			certs_seterr(err, errlen, "cannot replace %s: %s",
			    f->path, strerror(saved));
			return MPS_ERR_IO;
		}
		f->staged = 0;
		f->placed = 1;
		return 0;
	}
	if (link(f->tmp, f->path) == -1) {
		saved = errno;
		if (saved == EEXIST) {
			certs_seterr(err, errlen, "%s exists; use --force to "
			    "replace it", f->path);
			return MPS_ERR_IO;
		}
		/* File systems without hard links: check, then rename. */
		if (saved != EPERM && saved != ENOTSUP && saved != ENOSYS &&
		    saved != EOPNOTSUPP) {
			certs_seterr(err, errlen, "cannot create %s: %s",
			    f->path, strerror(saved));
			return MPS_ERR_IO;
		}
		if (certs_exists(f->path)) {
			certs_seterr(err, errlen, "%s exists; use --force to "
			    "replace it", f->path);
			return MPS_ERR_IO;
		}
		return certs_place(f, 1, err, errlen);
	}
	unlink(f->tmp);
	f->staged = 0;
	f->placed = 1;
	return 0;
}

static void
certs_unstage(struct certs_file *f)
{
	if (f->staged)
		unlink(f->tmp);
	f->staged = 0;
}

/* PEM text of a key (in secure heap memory) or a certificate. */
static BIO *
certs_pem(EVP_PKEY *key, X509 *cert)
{
	BIO	*b;
	int	 ok;

	/* The secure heap BIO wipes the plaintext key when freed. */
	if ((b = BIO_new(key != NULL ? BIO_s_secmem() : BIO_s_mem())) == NULL)
		return NULL;
	if (key != NULL)
		ok = PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL,
		    NULL);
	else
		ok = PEM_write_bio_X509(b, cert);
	if (ok != 1) {
		BIO_free(b);
		return NULL;
	}
	return b;
}

static int
certs_stage_pem(struct certs_file *f, EVP_PKEY *key, X509 *cert,
    char *err, size_t errlen)
{
	BIO	*b;
	char	*data;
	long	 len;
	int	 r;

	if ((b = certs_pem(key, cert)) == NULL ||
	    (len = BIO_get_mem_data(b, &data)) <= 0) {
		BIO_free(b);
		certs_seterr_ssl(err, errlen, "cannot encode %s", f->path);
		return MPS_ERR_INTERNAL;
	}
	r = certs_stage(f, data, (size_t)len, key != NULL ? 0600 : 0644, err,
	    errlen);
	BIO_free(b);
	return r;
}

static int
certs_write_pem(const char *path, EVP_PKEY *key, X509 *cert, int force,
    char *err, size_t errlen)
{
	struct certs_file	f;
	int			r;

	memset(&f, 0, sizeof(f));
	if (snprintf(f.path, sizeof(f.path), "%s", path) >=
	    (int)sizeof(f.path)) {
		certs_seterr(err, errlen, "path %s is too long", path);
		return MPS_ERR_USAGE;
	}
	if (!force && certs_exists(path)) {
		certs_seterr(err, errlen, "%s exists; use --force to replace "
		    "it", path);
		return MPS_ERR_IO;
	}
	if ((r = certs_stage_pem(&f, key, cert, err, errlen)) == 0 &&
	    (r = certs_place(&f, force, err, errlen)) == 0)
		certs_fsync_dir(path);
	certs_unstage(&f);
	return r;
}

int
certs_write_key(const char *path, EVP_PKEY *key, int force, char *err,
    size_t errlen)
{
	if (key == NULL)
		return MPS_ERR_USAGE;
	return certs_write_pem(path, key, NULL, force, err, errlen);
}

int
certs_write_cert(const char *path, X509 *cert, int force, char *err,
    size_t errlen)
{
	if (cert == NULL)
		return MPS_ERR_USAGE;
	return certs_write_pem(path, NULL, cert, force, err, errlen);
}

/* mkdir -p, new directories 0755 (keys inside are 0600 anyway). */
static int
certs_mkdirs(const char *dir, char *err, size_t errlen)
{
	char		buf[CERTS_PATH_MAX], *p;
	struct stat	st;
	int		last;

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf)) {
		certs_seterr(err, errlen, "path %s is too long", dir);
		return MPS_ERR_USAGE;
	}
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		last = *p == '\0';
		*p = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST) {
			certs_seterr(err, errlen, "cannot create directory "
			    "%s: %s", buf, strerror(errno));
			return MPS_ERR_IO;
		}
		if (last)
			break;
		*p = '/';
	}
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		certs_seterr(err, errlen, "%s is not a directory", dir);
		return MPS_ERR_IO;
	}
	return 0;
}

/* Read a small file whole (for the .old backups). */
static int
certs_slurp(const char *path, char **data, size_t *len, char *err,
    size_t errlen)
{
	struct stat	 st;
	ssize_t		 n;
	size_t		 got = 0;
	char		*buf;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		certs_seterr(err, errlen, "cannot read %s: %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return MPS_ERR_IO;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CERTS_FILE_MAX) {
		certs_seterr(err, errlen, "%s is not a certificate or key "
		    "file", path);
		close(fd);
		return MPS_ERR_IO;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return MPS_ERR_NOMEM;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*data = buf;
	*len = got;
	return 0;
}

/* Copy path to path.old atomically; nothing to do when path is absent. */
static int
certs_backup(const char *path, mode_t mode, char *err, size_t errlen)
{
	struct certs_file	 f;
	char			*data = NULL;
	size_t			 len = 0;
	int			 r;

	if (!certs_exists(path))
		return 0;
	memset(&f, 0, sizeof(f));
	if (snprintf(f.path, sizeof(f.path), "%s.old", path) >=
	    (int)sizeof(f.path)) {
		certs_seterr(err, errlen, "path %s is too long", path);
		return MPS_ERR_USAGE;
	}
	if ((r = certs_slurp(path, &data, &len, err, errlen)) != 0)
		return r;
	if ((r = certs_stage(&f, data, len, mode, err, errlen)) == 0)
		r = certs_place(&f, 1, err, errlen);
	certs_unstage(&f);
	OPENSSL_cleanse(data, len);
	free(data);
	return r;
}

/* Operations on a certificate directory. */

enum { CERTS_F_ROOT_CRT, CERTS_F_ROOT_KEY, CERTS_F_SERVER_CRT,
    CERTS_F_SERVER_KEY, CERTS_NFILES };

static const char *const certs_names[CERTS_NFILES] = {
	CERTS_ROOT_CRT, CERTS_ROOT_KEY, CERTS_SERVER_CRT, CERTS_SERVER_KEY
};

static int
certs_paths(struct certs_file f[CERTS_NFILES], const char *dir, char *err,
    size_t errlen)
{
	int	i, r;

	memset(f, 0, sizeof(*f) * CERTS_NFILES);
	for (i = 0; i < CERTS_NFILES; i++)
		if ((r = certs_path(f[i].path, sizeof(f[i].path), dir,
		    certs_names[i], err, errlen)) != 0)
			return r;
	return 0;
}

/* The root key type that goes with a server key type. */
static enum certs_key_type
certs_root_type_for(enum certs_key_type server)
{
	switch (server) {
	case CERTS_KEY_RSA4096:
		return CERTS_KEY_RSA4096;
	case CERTS_KEY_EC384:
		return CERTS_KEY_EC384;
	default:
		return CERTS_KEY_RSA3072;
	}
}

int
certs_init(const char *dir, const struct certs_opts *o, char *err,
    size_t errlen)
{
	struct certs_file	 f[CERTS_NFILES];
	struct certs_sanlist	*l = NULL;
	enum certs_key_type	 type;
	EVP_PKEY		*rkey = NULL, *skey = NULL;
	X509			*root = NULL, *server = NULL;
	int			 days, i, r;

	if (dir == NULL || *dir == '\0' || o == NULL) {
		certs_seterr(err, errlen, "no certificate directory given");
		return MPS_ERR_USAGE;
	}
	if ((r = certs_paths(f, dir, err, errlen)) != 0)
		return r;
	/* Validate everything before the slow key generation. */
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return MPS_ERR_NOMEM;
	if ((r = certs_sanlist_build(l, o->cn, o->sans, o->nsans, NULL, err,
	    errlen)) != 0 ||
	    (r = certs_days_check(o->days, CERTS_SERVER_DAYS, &days, err,
	    errlen)) != 0)
		goto out;
	for (i = 0; !o->force && i < CERTS_NFILES; i++) {
		if (certs_exists(f[i].path)) {
			certs_seterr(err, errlen, "%s exists; use --force to "
			    "replace it", f[i].path);
			r = MPS_ERR_IO;
			goto out;
		}
	}
	if ((r = certs_mkdirs(dir, err, errlen)) != 0)
		goto out;

	type = o->key_type == CERTS_KEY_DEFAULT ? CERTS_KEY_RSA2048 :
	    o->key_type;
	r = MPS_ERR_INTERNAL;
	if ((rkey = certs_key_new(certs_root_type_for(type))) == NULL ||
	    (skey = certs_key_new(type)) == NULL) {
		certs_seterr_ssl(err, errlen, "cannot generate a %s key",
		    certs_key_type_str(type));
		goto out;
	}
	if ((root = certs_root_new(rkey, CERTS_ROOT_DAYS, err,
	    errlen)) == NULL ||
	    (server = certs_server_new_list(root, rkey, skey, o->cn, l, days,
	    err, errlen)) == NULL)
		goto out;

	/* Stage all four, then place them: no half-written set on errors. */
	if ((r = certs_stage_pem(&f[CERTS_F_ROOT_CRT], NULL, root, err,
	    errlen)) != 0 ||
	    (r = certs_stage_pem(&f[CERTS_F_ROOT_KEY], rkey, NULL, err,
	    errlen)) != 0 ||
	    (r = certs_stage_pem(&f[CERTS_F_SERVER_CRT], NULL, server, err,
	    errlen)) != 0 ||
	    (r = certs_stage_pem(&f[CERTS_F_SERVER_KEY], skey, NULL, err,
	    errlen)) != 0)
		goto out;
	/* Keys first, so a certificate never points at a missing key. */
	if ((r = certs_place(&f[CERTS_F_ROOT_KEY], o->force, err,
	    errlen)) != 0 ||
	    (r = certs_place(&f[CERTS_F_ROOT_CRT], o->force, err,
	    errlen)) != 0 ||
	    (r = certs_place(&f[CERTS_F_SERVER_KEY], o->force, err,
	    errlen)) != 0 ||
	    (r = certs_place(&f[CERTS_F_SERVER_CRT], o->force, err,
	    errlen)) != 0)
		goto out;
	certs_fsync_dir(f[0].path);
 out:
	for (i = 0; i < CERTS_NFILES; i++) {
		/* Undo only what we created; --force replacements stay. */
		if (r != 0 && f[i].placed && !o->force)
			unlink(f[i].path);
		certs_unstage(&f[i]);
	}
	X509_free(server);
	X509_free(root);
	EVP_PKEY_free(skey);
	EVP_PKEY_free(rkey);
	free(l);
	return r;
}

static int
certs_is_issued_by(X509 *x, X509 *ca)
{
	return X509_check_issued(ca, x) == X509_V_OK &&
	    X509_verify(x, X509_get0_pubkey(ca)) == 1;
}

int
certs_renew(const char *dir, const struct certs_opts *o, char *err,
    size_t errlen)
{
	struct certs_file	 f[CERTS_NFILES];
	struct certs_sanlist	*old_sans = NULL, *l = NULL;
	enum certs_key_type	 type;
	EVP_PKEY		*rkey = NULL, *skey = NULL;
	X509			*root = NULL, *old = NULL, *server = NULL;
	struct certs_san	 old_cn_san;
	char			 old_cn[CERTS_CN_MAX + 1];
	const char		*cn;
	int			 days, i, r;

	if (dir == NULL || *dir == '\0' || o == NULL) {
		certs_seterr(err, errlen, "no certificate directory given");
		return MPS_ERR_USAGE;
	}
	if ((r = certs_paths(f, dir, err, errlen)) != 0)
		return r;
	if ((old_sans = calloc(1, sizeof(*old_sans))) == NULL ||
	    (l = calloc(1, sizeof(*l))) == NULL) {
		r = MPS_ERR_NOMEM;
		goto out;
	}
	r = MPS_ERR_IO;
	if ((root = certs_load_cert(f[CERTS_F_ROOT_CRT].path, err,
	    errlen)) == NULL ||
	    (rkey = certs_load_key(f[CERTS_F_ROOT_KEY].path, err,
	    errlen)) == NULL)
		goto out;
	if (X509_check_private_key(root, rkey) != 1) {
		certs_seterr_ssl(err, errlen, "%s does not belong to %s",
		    f[CERTS_F_ROOT_KEY].path, f[CERTS_F_ROOT_CRT].path);
		r = MPS_ERR_CONFIG;
		goto out;
	}

	/* The current certificate supplies the defaults. */
	if (certs_exists(f[CERTS_F_SERVER_CRT].path)) {
		old = certs_load_cert(f[CERTS_F_SERVER_CRT].path, err, errlen);
		if (old == NULL && !o->force) {
			/* err names the problem; add the way out. */
			if (err != NULL && strlen(err) + 1 < errlen)
				snprintf(err + strlen(err), errlen -
				    strlen(err), "; use --force (with --cn) "
				    "to replace it");
			goto out;
		}
		if (old != NULL && !o->force && !certs_is_issued_by(old,
		    root)) {
			certs_seterr(err, errlen, "%s was not issued by %s; "
			    "use --force to replace it",
			    f[CERTS_F_SERVER_CRT].path,
			    f[CERTS_F_ROOT_CRT].path);
			goto out;
		}
	}
	ERR_clear_error();
	cn = o->cn;
	if (cn == NULL && old != NULL && certs_cert_cn(old, old_cn,
	    sizeof(old_cn)))
		cn = old_cn;
	if (cn == NULL) {
		certs_seterr(err, errlen, "no common name to keep from %s; "
		    "give --cn", f[CERTS_F_SERVER_CRT].path);
		r = MPS_ERR_USAGE;
		goto out;
	}
	if (o->nsans == 0 && old != NULL) {
		certs_sanlist_from_cert(old, old_sans);
		/*
		 * A new CN means the MPS moved: the old CN's own SAN goes
		 * with it, the other names stay.
		 */
		if (cn != old_cn && certs_cert_cn(old, old_cn,
		    sizeof(old_cn)) && certs_cn_san(old_cn, &old_cn_san,
		    NULL, 0) == 0)
			certs_sanlist_remove(old_sans, &old_cn_san);
	}
	if ((r = certs_sanlist_build(l, cn, o->sans, o->nsans, old_sans, err,
	    errlen)) != 0 ||
	    (r = certs_days_check(o->days, CERTS_SERVER_DAYS, &days, err,
	    errlen)) != 0)
		goto out;
	type = o->key_type;
	if (type == CERTS_KEY_DEFAULT && old != NULL &&
	    (type = certs_key_type_of(X509_get0_pubkey(old))) ==
	    CERTS_KEY_DEFAULT) {
		certs_seterr(err, errlen, "the key of %s is none of rsa2048, "
		    "rsa3072, rsa4096, ec384; give --key-type",
		    f[CERTS_F_SERVER_CRT].path);
		r = MPS_ERR_USAGE;
		goto out;
	}

	r = MPS_ERR_INTERNAL;
	if ((skey = certs_key_new(type)) == NULL) {
		certs_seterr_ssl(err, errlen, "cannot generate a %s key",
		    certs_key_type_str(type));
		goto out;
	}
	if ((server = certs_server_new_list(root, rkey, skey, cn, l, days,
	    err, errlen)) == NULL)
		goto out;
	if ((r = certs_stage_pem(&f[CERTS_F_SERVER_KEY], skey, NULL, err,
	    errlen)) != 0 ||
	    (r = certs_stage_pem(&f[CERTS_F_SERVER_CRT], NULL, server, err,
	    errlen)) != 0 ||
	    (r = certs_backup(f[CERTS_F_SERVER_KEY].path, 0600, err,
	    errlen)) != 0 ||
	    (r = certs_backup(f[CERTS_F_SERVER_CRT].path, 0644, err,
	    errlen)) != 0)
		goto out;
	/*
	 * Two renames cannot be one atomic step; the daemon checks that key
	 * and certificate match when it reloads and keeps the old pair if
	 * it catches the instant between them.
	 */
	if ((r = certs_place(&f[CERTS_F_SERVER_KEY], 1, err, errlen)) != 0 ||
	    (r = certs_place(&f[CERTS_F_SERVER_CRT], 1, err, errlen)) != 0)
		goto out;
	certs_fsync_dir(f[0].path);
 out:
	for (i = 0; i < CERTS_NFILES; i++)
		certs_unstage(&f[i]);
	X509_free(server);
	X509_free(old);
	X509_free(root);
	EVP_PKEY_free(skey);
	EVP_PKEY_free(rkey);
	free(l);
	free(old_sans);
	return r;
}

int
certs_make_dev_cert(const char *dir, const char *cn, const char *const *sans,
    size_t nsans, struct certs_dev_info *info, char *err, size_t errlen)
{
	static const char *const local[] = {
		"DNS:localhost", "IP:127.0.0.1", "IP:::1"
	};
	struct certs_file	 f[CERTS_NFILES];
	struct certs_opts	 o;
	const char		**all = NULL;
	char			 host[256];
	X509			*x;
	size_t			 i;
	int			 have[CERTS_NFILES], nhave = 0, r;

	if (info == NULL || dir == NULL || *dir == '\0') {
		certs_seterr(err, errlen, "no certificate directory given");
		return MPS_ERR_USAGE;
	}
	memset(info, 0, sizeof(*info));
	if ((r = certs_paths(f, dir, err, errlen)) != 0)
		return r;
	for (i = 0; i < CERTS_NFILES; i++) {
		have[i] = certs_exists(f[i].path);
		nhave += have[i];
	}

	if (nhave == 0) {
		if (cn == NULL) {
			/* A host name AMT could not match is no use. */
			if (gethostname(host, sizeof(host)) == -1)
				host[0] = '\0';
			host[sizeof(host) - 1] = '\0';
			if (certs_cn_check(host, NULL, 0) != 0)
				snprintf(host, sizeof(host), "localhost");
			cn = host;
		}
		if (nsans > CERTS_SAN_MAX ||
		    (all = calloc(nsans + 3, sizeof(*all))) == NULL) {
			certs_seterr(err, errlen, "too many subjectAltNames");
			return MPS_ERR_USAGE;
		}
		for (i = 0; i < nsans; i++)
			all[i] = sans[i];
		for (i = 0; i < 3; i++)
			all[nsans + i] = local[i];
		memset(&o, 0, sizeof(o));
		o.cn = cn;
		o.sans = all;
		o.nsans = nsans + 3;
		o.key_type = CERTS_KEY_RSA2048;
		r = certs_init(dir, &o, err, errlen);
		free(all);
		if (r != 0)
			return r;
		info->created = 1;
	} else if (!have[CERTS_F_SERVER_CRT] || !have[CERTS_F_SERVER_KEY]) {
		certs_seterr(err, errlen, "%s holds an incomplete certificate "
		    "set (no %s); complete it with 'amt-mps-certs renew --dir "
		    "%s --cn NAME' or start over with 'amt-mps-certs init "
		    "--force'", dir, have[CERTS_F_SERVER_CRT] ?
		    CERTS_SERVER_KEY : CERTS_SERVER_CRT, dir);
		return MPS_ERR_CONFIG;
	}

	snprintf(info->cert_path, sizeof(info->cert_path), "%s",
	    f[CERTS_F_SERVER_CRT].path);
	snprintf(info->key_path, sizeof(info->key_path), "%s",
	    f[CERTS_F_SERVER_KEY].path);
	snprintf(info->root_path, sizeof(info->root_path), "%s",
	    f[CERTS_F_ROOT_CRT].path);
	if ((x = certs_load_cert(info->cert_path, err, errlen)) == NULL)
		return MPS_ERR_CONFIG;
	info->not_after = certs_not_after(x);
	X509_free(x);
	if (certs_exists(info->root_path) &&
	    (r = certs_fingerprint_file(info->root_path, info->root_fp_colon,
	    info->root_fp_hex, err, errlen)) != 0)
		return MPS_ERR_CONFIG;
	return 0;
}
