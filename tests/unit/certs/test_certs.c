/*
 * test_certs.c: the mps_certs library, checked from the outside with
 * OpenSSL's own verifier and parsers: what an AMT device would check
 * (chain, names, key usage, key size) and what an operator relies on
 * (file modes, never clobbering, renew keeping the root).
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "certs.h"
#include "mps_err.h"

struct fixture {
	char	dir[64];
};

static int
setup(void **state)
{
	struct fixture	*fx;

	fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_certs.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	*state = fx;
	return 0;
}

static void
rm_rf(const char *path)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 st;
	char		 sub[4096];

	if (lstat(path, &st) == -1)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			rm_rf(sub);
		}
		closedir(d);
		rmdir(path);
	} else
		unlink(path);
}

static int
teardown(void **state)
{
	struct fixture	*fx = *state;

	rm_rf(fx->dir);
	free(fx);
	return 0;
}

static void
path_in(char *buf, size_t len, const char *dir, const char *name)
{
	assert_true((size_t)snprintf(buf, len, "%s/%s", dir, name) < len);
}

/* Whole file as a NUL-terminated string (NULL if missing). */
static char *
slurp(const char *path)
{
	FILE	*f;
	char	*buf;
	long	 n;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static mode_t
file_mode(const char *path)
{
	struct stat	st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* Number of directory entries other than "." and "..". */
static int
count_entries(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	assert_non_null(d = opendir(dir));
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/*
 * X509_verify_cert() of leaf against root as the only trust anchor, for
 * TLS server use, optionally matching a host name or an IP address the
 * way a TLS client (AMT) does.  Returns the X509_V_* result.
 */
static int
verify_chain(X509 *root, X509 *leaf, const char *host, const char *ip)
{
	X509_STORE		*st;
	X509_STORE_CTX		*ctx;
	X509_VERIFY_PARAM	*p;
	int			 r;

	assert_non_null(st = X509_STORE_new());
	assert_int_equal(X509_STORE_add_cert(st, root), 1);
	assert_non_null(ctx = X509_STORE_CTX_new());
	assert_int_equal(X509_STORE_CTX_init(ctx, st, leaf, NULL), 1);
	p = X509_STORE_CTX_get0_param(ctx);
	assert_int_equal(X509_VERIFY_PARAM_set_purpose(p,
	    X509_PURPOSE_SSL_SERVER), 1);
	if (host != NULL)
		assert_int_equal(X509_VERIFY_PARAM_set1_host(p, host, 0), 1);
	if (ip != NULL)
		assert_int_equal(X509_VERIFY_PARAM_set1_ip_asc(p, ip), 1);
	r = X509_verify_cert(ctx) == 1 ? X509_V_OK :
	    X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	ERR_clear_error();
	return r;
}

/* The SANs of a certificate as "DNS:x"/"IP:1.2.3.4" joined by ",". */
static void
sans_of(const X509 *x, char *buf, size_t len)
{
	GENERAL_NAMES		*gens;
	const GENERAL_NAME	*gn;
	char			 addr[INET6_ADDRSTRLEN];
	size_t			 used = 0;
	int			 i, n;

	buf[0] = '\0';
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	assert_non_null(gens);
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		gn = sk_GENERAL_NAME_value(gens, i);
		if (gn->type == GEN_DNS)
			used += (size_t)snprintf(buf + used, len - used,
			    "%sDNS:%s", i ? "," : "",
			    (const char *)ASN1_STRING_get0_data(gn->d.dNSName));
		else if (gn->type == GEN_IPADD) {
			n = ASN1_STRING_length(gn->d.iPAddress);
			assert_true(n == 4 || n == 16);
			assert_non_null(inet_ntop(n == 4 ? AF_INET : AF_INET6,
			    ASN1_STRING_get0_data(gn->d.iPAddress), addr,
			    sizeof(addr)));
			used += (size_t)snprintf(buf + used, len - used,
			    "%sIP:%s", i ? "," : "", addr);
		} else
			fail_msg("unexpected subjectAltName type %d",
			    gn->type);
		assert_true(used < len);
	}
	GENERAL_NAMES_free(gens);
}

static void
cn_of(const X509 *x, char *buf, size_t len)
{
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, buf, (int)len) > 0);
}

static int
ext_is_critical(const X509 *x, int nid)
{
	int	i;

	assert_true((i = X509_get_ext_by_NID(x, nid, -1)) >= 0);
	return X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

/* Days between notBefore and notAfter. */
static int
validity_days(const X509 *x)
{
	int	days = 0, secs = 0;

	assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x),
	    X509_get0_notAfter(x)), 1);
	return days;
}

static void
test_key_types(void **state)
{
	static const struct {
		const char		*name;
		enum certs_key_type	 type;
		int			 base, bits;
	} t[] = {
		{ "rsa2048", CERTS_KEY_RSA2048, EVP_PKEY_RSA, 2048 },
		{ "rsa3072", CERTS_KEY_RSA3072, EVP_PKEY_RSA, 3072 },
		{ "RSA4096", CERTS_KEY_RSA4096, EVP_PKEY_RSA, 4096 },
		{ "ec384", CERTS_KEY_EC384, EVP_PKEY_EC, 384 },
	};
	enum certs_key_type	 type;
	EVP_PKEY		*k;
	size_t			 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(certs_key_type_parse(t[i].name, &type), 0);
		assert_int_equal(type, t[i].type);
		assert_string_equal(certs_key_type_str(type), t[i].name[0] ==
		    'R' ? "rsa4096" : t[i].name);
		assert_non_null(k = certs_key_new(type));
		assert_int_equal(EVP_PKEY_get_base_id(k), t[i].base);
		assert_int_equal(EVP_PKEY_get_bits(k), t[i].bits);
		assert_int_equal(certs_key_type_of(k), type);
		EVP_PKEY_free(k);
	}
	assert_int_equal(certs_key_type_parse("rsa1024", &type),
	    MPS_ERR_USAGE);
	assert_int_equal(certs_key_type_parse("ec256", &type), MPS_ERR_USAGE);
	assert_int_equal(certs_key_type_parse(NULL, &type), MPS_ERR_USAGE);
	/* The default is RSA-2048: AMT 12 rejected a 3072-bit leaf. */
	assert_non_null(k = certs_key_new(CERTS_KEY_DEFAULT));
	assert_int_equal(certs_key_type_of(k), CERTS_KEY_RSA2048);
	EVP_PKEY_free(k);
	/* A P-256 key is not one of ours (AMT 22 rejects ECC-256). */
	assert_non_null(k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	assert_int_equal(certs_key_type_of(k), CERTS_KEY_DEFAULT);
	EVP_PKEY_free(k);
}

static void
test_root_ca(void **state)
{
	EVP_PKEY		*k;
	X509			*root;
	const ASN1_OCTET_STRING	*ski, *aki;
	char			 cn[128], err[256];
	BIGNUM			*serial;

	assert_non_null(k = certs_key_new(CERTS_KEY_RSA3072));
	assert_non_null(root = certs_root_new(k, 0, err, sizeof(err)));
	assert_int_equal(X509_get_version(root), X509_VERSION_3);
	assert_int_equal(X509_check_ca(root), 1);
	assert_true(X509_get_extension_flags(root) & EXFLAG_CA);
	assert_int_equal(X509_get_key_usage(root), KU_KEY_CERT_SIGN |
	    KU_CRL_SIGN);
	assert_true(ext_is_critical(root, NID_basic_constraints));
	assert_true(ext_is_critical(root, NID_key_usage));
	assert_non_null(ski = X509_get0_subject_key_id(root));
	assert_non_null(aki = X509_get0_authority_key_id(root));
	assert_int_equal(ASN1_OCTET_STRING_cmp(ski, aki), 0);
	assert_int_equal(X509_self_signed(root, 1), 1);
	assert_int_equal(X509_get_signature_nid(root),
	    NID_sha384WithRSAEncryption);
	cn_of(root, cn, sizeof(cn));
	assert_memory_equal(cn, "amt-mps root CA ", 16);
	assert_int_equal(strlen(cn), 16 + 8);
	/* Backdated one day, valid 20 years after now. */
	assert_int_equal(validity_days(root), CERTS_ROOT_DAYS + 1);
	assert_non_null(serial = ASN1_INTEGER_to_BN(
	    X509_get0_serialNumber(root), NULL));
	assert_true(BN_num_bits(serial) > 96 && BN_num_bits(serial) <= 128);
	assert_false(BN_is_negative(serial));
	BN_free(serial);
	X509_free(root);

	/* Validity bounds. */
	assert_null(certs_root_new(k, -1, err, sizeof(err)));
	assert_non_null(strstr(err, "out of range"));
	assert_null(certs_root_new(k, CERTS_DAYS_MAX + 1, err, sizeof(err)));
	assert_non_null(root = certs_root_new(k, 10, err, sizeof(err)));
	assert_int_equal(validity_days(root), 11);
	X509_free(root);
	EVP_PKEY_free(k);
}

static void
test_server_cert(void **state)
{
	static const char *const sans[] = {
		"IP:10.0.0.5", "DNS:alt.example.com", "ip:::1",
		"DNS:MPS.example.com",	/* the CN again: dropped */
		"IP:10.0.0.5",		/* duplicate: dropped */
	};
	EVP_PKEY	*rk, *sk, *other_k;
	X509		*root, *srv, *other;
	char		 buf[512], err[256];
	BIGNUM		*s1, *s2;

	assert_non_null(rk = certs_key_new(CERTS_KEY_RSA3072));
	assert_non_null(root = certs_root_new(rk, 0, err, sizeof(err)));
	assert_non_null(sk = certs_key_new(CERTS_KEY_RSA2048));
	srv = certs_server_new(root, rk, sk, "mps.example.com", sans, 5, 0,
	    err, sizeof(err));
	assert_non_null(srv);

	cn_of(srv, buf, sizeof(buf));
	assert_string_equal(buf, "mps.example.com");
	sans_of(srv, buf, sizeof(buf));
	assert_string_equal(buf, "DNS:mps.example.com,IP:10.0.0.5,"
	    "DNS:alt.example.com,IP:::1");
	assert_int_equal(X509_check_ca(srv), 0);
	assert_true(ext_is_critical(srv, NID_basic_constraints));
	assert_int_equal(X509_get_key_usage(srv), KU_DIGITAL_SIGNATURE |
	    KU_KEY_ENCIPHERMENT);
	assert_int_equal(X509_get_extended_key_usage(srv), XKU_SSL_SERVER);
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(srv),
	    X509_get0_subject_key_id(root)), 0);
	assert_non_null(X509_get0_subject_key_id(srv));
	assert_int_equal(X509_get_signature_nid(srv),
	    NID_sha256WithRSAEncryption);
	assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(srv)), 2048);
	assert_int_equal(validity_days(srv), CERTS_SERVER_DAYS + 1);

	/* The chain verifies for every name AMT may dial, and no other. */
	assert_int_equal(verify_chain(root, srv, NULL, NULL), X509_V_OK);
	assert_int_equal(verify_chain(root, srv, "mps.example.com", NULL),
	    X509_V_OK);
	assert_int_equal(verify_chain(root, srv, "alt.example.com", NULL),
	    X509_V_OK);
	assert_int_equal(verify_chain(root, srv, NULL, "10.0.0.5"), X509_V_OK);
	assert_int_equal(verify_chain(root, srv, NULL, "::1"), X509_V_OK);
	assert_int_equal(verify_chain(root, srv, "other.example.com", NULL),
	    X509_V_ERR_HOSTNAME_MISMATCH);
	assert_int_equal(verify_chain(root, srv, NULL, "10.0.0.6"),
	    X509_V_ERR_IP_ADDRESS_MISMATCH);
	/* The root is not a usable server certificate itself. */
	assert_int_not_equal(verify_chain(root, root, "mps.example.com",
	    NULL), X509_V_OK);

	/* Another root does not vouch for it. */
	assert_non_null(other_k = certs_key_new(CERTS_KEY_RSA2048));
	assert_non_null(other = certs_root_new(other_k, 0, err, sizeof(err)));
	assert_int_not_equal(verify_chain(other, srv, NULL, NULL), X509_V_OK);

	/* Serials are random, not a counter. */
	X509_free(srv);
	s1 = ASN1_INTEGER_to_BN(X509_get0_serialNumber(root), NULL);
	srv = certs_server_new(root, rk, sk, "mps.example.com", NULL, 0, 0,
	    err, sizeof(err));
	assert_non_null(srv);
	s2 = ASN1_INTEGER_to_BN(X509_get0_serialNumber(srv), NULL);
	assert_int_not_equal(BN_cmp(s1, s2), 0);
	assert_true(BN_num_bits(s2) > 96);
	BN_free(s1);
	BN_free(s2);

	/* The wrong CA key is refused. */
	X509_free(srv);
	assert_null(certs_server_new(root, other_k, sk, "mps.example.com",
	    NULL, 0, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "root key"));

	X509_free(other);
	EVP_PKEY_free(other_k);
	X509_free(root);
	EVP_PKEY_free(sk);
	EVP_PKEY_free(rk);
}

static void
test_server_ec384(void **state)
{
	EVP_PKEY	*rk, *sk;
	X509		*root, *srv;
	char		 err[256];

	assert_non_null(rk = certs_key_new(CERTS_KEY_EC384));
	assert_non_null(root = certs_root_new(rk, 0, err, sizeof(err)));
	assert_int_equal(X509_get_signature_nid(root),
	    NID_ecdsa_with_SHA384);
	assert_non_null(sk = certs_key_new(CERTS_KEY_EC384));
	srv = certs_server_new(root, rk, sk, "mps.example.com", NULL, 0, 90,
	    err, sizeof(err));
	assert_non_null(srv);
	assert_int_equal(X509_get_signature_nid(srv), NID_ecdsa_with_SHA384);
	/* RFC 5480: no keyEncipherment for an EC key. */
	assert_int_equal(X509_get_key_usage(srv), KU_DIGITAL_SIGNATURE);
	assert_int_equal(certs_key_type_of(X509_get0_pubkey(srv)),
	    CERTS_KEY_EC384);
	assert_int_equal(validity_days(srv), 91);
	assert_int_equal(verify_chain(root, srv, "mps.example.com", NULL),
	    X509_V_OK);
	X509_free(srv);
	X509_free(root);
	EVP_PKEY_free(sk);

	/* RSA-3072 leaf (AMT 22) under an EC root: SHA-384 as well. */
	assert_non_null(sk = certs_key_new(CERTS_KEY_RSA3072));
	assert_non_null(root = certs_root_new(rk, 0, err, sizeof(err)));
	srv = certs_server_new(root, rk, sk, "mps.example.com", NULL, 0, 0,
	    err, sizeof(err));
	assert_non_null(srv);
	assert_int_equal(X509_get_signature_nid(srv), NID_ecdsa_with_SHA384);
	assert_int_equal(verify_chain(root, srv, "mps.example.com", NULL),
	    X509_V_OK);
	X509_free(srv);
	X509_free(root);
	EVP_PKEY_free(sk);
	EVP_PKEY_free(rk);
}

static void
test_cn_becomes_san(void **state)
{
	static const struct {
		const char *cn, *sans;
	} t[] = {
		{ "192.0.2.7", "IP:192.0.2.7" },
		{ "2001:db8::1", "IP:2001:db8::1" },
		{ "mps", "DNS:mps" },
		{ "*.example.com", "DNS:*.example.com" },
	};
	EVP_PKEY	*k;
	X509		*root, *srv;
	char		 buf[256], err[256];
	size_t		 i;

	assert_non_null(k = certs_key_new(CERTS_KEY_RSA2048));
	assert_non_null(root = certs_root_new(k, 0, err, sizeof(err)));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		srv = certs_server_new(root, k, k, t[i].cn, NULL, 0, 0, err,
		    sizeof(err));
		assert_non_null(srv);
		sans_of(srv, buf, sizeof(buf));
		assert_string_equal(buf, t[i].sans);
		X509_free(srv);
	}
	assert_non_null(srv = certs_server_new(root, k, k, "192.0.2.7", NULL,
	    0, 0, err, sizeof(err)));
	assert_int_equal(verify_chain(root, srv, NULL, "192.0.2.7"),
	    X509_V_OK);
	X509_free(srv);
	X509_free(root);
	EVP_PKEY_free(k);
}

static void
test_bad_names(void **state)
{
	static const char *const bad_sans[] = {
		"foo", "IP:", "IP:999.1.1.1", "IP:mps.example.com", "DNS:",
		"DNS:bad_name", "DNS:-a.example.com", "DNS:a-.example.com",
		"DNS:a..b", "DNS:a b", "DNS:a,IP:1.2.3.4", "URI:http://x",
		"DNS:*", "DNS:a.*.com",
	};
	static const char *const good_sans[] = {
		"IP:1.2.3.4", "ip:::1", "IP:fe80::1", "DNS:mps", "dns:a-b.c",
		"DNS:*.example.com", "DNS:xn--bcher-kva.example",
	};
	EVP_PKEY	*k;
	X509		*root;
	char		 err[256], cn[80], buf[96];
	const char	*one;
	size_t		 i;

	for (i = 0; i < sizeof(bad_sans) / sizeof(bad_sans[0]); i++) {
		err[0] = '\0';
		assert_int_equal(certs_san_check(bad_sans[i], err,
		    sizeof(err)), MPS_ERR_USAGE);
		assert_non_null(strstr(err, "subjectAltName"));
	}
	for (i = 0; i < sizeof(good_sans) / sizeof(good_sans[0]); i++)
		assert_int_equal(certs_san_check(good_sans[i], err,
		    sizeof(err)), 0);

	assert_int_equal(certs_cn_check("my mps", err, sizeof(err)),
	    MPS_ERR_USAGE);
	assert_non_null(strstr(err, "neither an IP address nor a DNS name"));
	assert_int_equal(certs_cn_check("", err, sizeof(err)), MPS_ERR_USAGE);
	/* 65 bytes is one too many for a CN, though a fine DNS name. */
	memset(cn, 'a', 65);
	cn[32] = '.';
	cn[65] = '\0';
	assert_int_equal(certs_cn_check(cn, err, sizeof(err)), MPS_ERR_USAGE);
	assert_non_null(strstr(err, "longer than 64"));
	snprintf(buf, sizeof(buf), "DNS:%s", cn);
	assert_int_equal(certs_san_check(buf, err, sizeof(err)), 0);
	cn[64] = '\0';
	assert_int_equal(certs_cn_check(cn, err, sizeof(err)), 0);
	/* A DNS label is at most 63 bytes. */
	memset(cn, 'a', 64);
	cn[64] = '\0';
	assert_int_equal(certs_cn_check(cn, err, sizeof(err)), MPS_ERR_USAGE);

	/* certs_server_new() refuses the same inputs and names them. */
	assert_non_null(k = certs_key_new(CERTS_KEY_RSA2048));
	assert_non_null(root = certs_root_new(k, 0, err, sizeof(err)));
	one = "DNS:bad_name";
	assert_null(certs_server_new(root, k, k, "mps.example.com", &one, 1,
	    0, err, sizeof(err)));
	assert_non_null(strstr(err, "bad_name"));
	assert_null(certs_server_new(root, k, k, "not valid", NULL, 0, 0,
	    err, sizeof(err)));
	assert_null(certs_server_new(root, k, k, "mps", NULL, 0,
	    CERTS_DAYS_MAX + 1, err, sizeof(err)));
	X509_free(root);
	EVP_PKEY_free(k);
}

static void
test_fingerprint(void **state)
{
	EVP_PKEY	*k;
	X509		*root;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n, i;
	char		 colon[CERTS_FP_COLON_SIZE], hex[CERTS_FP_HEX_SIZE];
	char		 want_colon[CERTS_FP_COLON_SIZE], want_hex[65], err[64];

	assert_non_null(k = certs_key_new(CERTS_KEY_RSA2048));
	assert_non_null(root = certs_root_new(k, 0, err, sizeof(err)));
	assert_int_equal(X509_digest(root, EVP_sha256(), md, &n), 1);
	assert_int_equal(n, 32);
	for (i = 0; i < n; i++) {
		snprintf(want_colon + i * 3, sizeof(want_colon) - i * 3,
		    i + 1 < n ? "%02X:" : "%02X", md[i]);
		snprintf(want_hex + i * 2, sizeof(want_hex) - i * 2, "%02x",
		    md[i]);
	}
	memset(colon, 'x', sizeof(colon));
	memset(hex, 'x', sizeof(hex));
	assert_int_equal(certs_fingerprint(root, colon, hex), 0);
	assert_string_equal(colon, want_colon);
	assert_string_equal(hex, want_hex);
	assert_int_equal(strlen(colon), 95);
	assert_int_equal(strlen(hex), 64);
	assert_int_equal(certs_fingerprint(root, NULL, hex), 0);
	assert_int_equal(certs_fingerprint(root, colon, NULL), 0);
	assert_string_equal(colon, want_colon);
	assert_int_equal(certs_fingerprint(NULL, colon, hex),
	    MPS_ERR_INTERNAL);
	X509_free(root);
	EVP_PKEY_free(k);
}

static void
test_write_files(void **state)
{
	struct fixture	*fx = *state;
	EVP_PKEY	*k, *k2, *back;
	X509		*root, *root2, *xback;
	char		 kpath[256], cpath[256], err[512], *before, *after;
	char		 colon[CERTS_FP_COLON_SIZE], want[CERTS_FP_COLON_SIZE];

	path_in(kpath, sizeof(kpath), fx->dir, "a.key");
	path_in(cpath, sizeof(cpath), fx->dir, "a.crt");
	assert_non_null(k = certs_key_new(CERTS_KEY_RSA2048));
	assert_non_null(root = certs_root_new(k, 0, err, sizeof(err)));
	/* A permissive umask must not loosen the key's mode. */
	umask(0);
	assert_int_equal(certs_write_key(kpath, k, 0, err, sizeof(err)), 0);
	umask(022);
	assert_int_equal(certs_write_cert(cpath, root, 0, err, sizeof(err)),
	    0);
	assert_int_equal(file_mode(kpath), 0600);
	assert_int_equal(file_mode(cpath), 0644);
	/* No temporary file left behind. */
	assert_int_equal(count_entries(fx->dir), 2);

	/* Load back what was written. */
	assert_non_null(back = certs_load_key(kpath, err, sizeof(err)));
	assert_int_equal(EVP_PKEY_eq(back, k), 1);
	EVP_PKEY_free(back);
	assert_non_null(xback = certs_load_cert(cpath, err, sizeof(err)));
	assert_int_equal(X509_cmp(xback, root), 0);
	X509_free(xback);
	assert_int_equal(certs_fingerprint(root, want, NULL), 0);
	assert_int_equal(certs_fingerprint_file(cpath, colon, NULL, err,
	    sizeof(err)), 0);
	assert_string_equal(colon, want);

	/* Existing files are never replaced without force. */
	assert_non_null(k2 = certs_key_new(CERTS_KEY_RSA2048));
	assert_non_null(root2 = certs_root_new(k2, 0, err, sizeof(err)));
	before = slurp(kpath);
	assert_int_equal(certs_write_key(kpath, k2, 0, err, sizeof(err)),
	    MPS_ERR_IO);
	assert_non_null(strstr(err, "a.key exists; use --force to replace "
	    "it"));
	after = slurp(kpath);
	assert_string_equal(before, after);
	free(after);
	assert_int_equal(certs_write_cert(cpath, root2, 0, err, sizeof(err)),
	    MPS_ERR_IO);
	assert_int_equal(count_entries(fx->dir), 2);

	/* With force they are, and the mode is still 0600. */
	assert_int_equal(certs_write_key(kpath, k2, 1, err, sizeof(err)), 0);
	after = slurp(kpath);
	assert_string_not_equal(before, after);
	assert_non_null(strstr(after, "-----BEGIN PRIVATE KEY-----"));
	free(after);
	free(before);
	assert_int_equal(file_mode(kpath), 0600);
	assert_non_null(back = certs_load_key(kpath, err, sizeof(err)));
	assert_int_equal(EVP_PKEY_eq(back, k2), 1);
	EVP_PKEY_free(back);
	assert_int_equal(count_entries(fx->dir), 2);

	/* Errors name the file. */
	assert_null(certs_load_cert("/nonexistent/x.crt", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/x.crt"));
	assert_null(certs_load_cert(kpath, err, sizeof(err)));
	assert_non_null(strstr(err, "no PEM certificate"));
	assert_int_equal(certs_write_key("/nonexistent/dir/x.key", k, 0, err,
	    sizeof(err)), MPS_ERR_IO);

	X509_free(root2);
	X509_free(root);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(k);
}

/* Load dir's four files and check the set is consistent. */
static void
check_set(const char *dir, const char *host, X509 **rootp, X509 **srvp)
{
	char		 p[256], err[512];
	X509		*root, *srv;
	EVP_PKEY	*rk, *sk;

	path_in(p, sizeof(p), dir, "root.crt");
	assert_non_null(root = certs_load_cert(p, err, sizeof(err)));
	assert_int_equal(file_mode(p), 0644);
	path_in(p, sizeof(p), dir, "root.key");
	assert_non_null(rk = certs_load_key(p, err, sizeof(err)));
	assert_int_equal(file_mode(p), 0600);
	path_in(p, sizeof(p), dir, "server.crt");
	assert_non_null(srv = certs_load_cert(p, err, sizeof(err)));
	assert_int_equal(file_mode(p), 0644);
	path_in(p, sizeof(p), dir, "server.key");
	assert_non_null(sk = certs_load_key(p, err, sizeof(err)));
	assert_int_equal(file_mode(p), 0600);
	assert_int_equal(X509_check_private_key(root, rk), 1);
	assert_int_equal(X509_check_private_key(srv, sk), 1);
	assert_int_equal(verify_chain(root, srv, host, NULL), X509_V_OK);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(sk);
	*rootp = root;
	*srvp = srv;
}

static void
test_init(void **state)
{
	struct fixture		*fx = *state;
	static const char *const sans[] = { "IP:10.1.2.3" };
	struct certs_opts	 o;
	X509			*root, *srv, *root2, *srv2;
	char			 dir[128], p[256], buf[256], err[512];
	char			*before;

	/* Missing parents are created. */
	snprintf(dir, sizeof(dir), "%s/etc/amt-mps/", fx->dir);
	memset(&o, 0, sizeof(o));
	o.cn = "mps.example.com";
	o.sans = sans;
	o.nsans = 1;
	assert_int_equal(certs_init(dir, &o, err, sizeof(err)), 0);
	check_set(dir, "mps.example.com", &root, &srv);
	assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(root)), 3072);
	assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(srv)), 2048);
	sans_of(srv, buf, sizeof(buf));
	assert_string_equal(buf, "DNS:mps.example.com,IP:10.1.2.3");
	assert_int_equal(count_entries(dir), 4);

	/* A second init refuses and leaves every byte alone. */
	path_in(p, sizeof(p), dir, "root.key");
	before = slurp(p);
	err[0] = '\0';
	assert_int_equal(certs_init(dir, &o, err, sizeof(err)), MPS_ERR_IO);
	assert_non_null(strstr(err, "exists; use --force to replace it"));
	assert_non_null(strstr(err, "/etc/amt-mps/root."));
	assert_null(strstr(err, "//"));
	check_set(dir, "mps.example.com", &root2, &srv2);
	assert_int_equal(X509_cmp(root, root2), 0);
	assert_int_equal(X509_cmp(srv, srv2), 0);
	X509_free(root2);
	X509_free(srv2);
	{
		char *after = slurp(p);

		assert_string_equal(before, after);
		free(after);
	}
	free(before);

	/* Even one existing file blocks it, and nothing is written. */
	path_in(p, sizeof(p), fx->dir, "partial");
	assert_int_equal(mkdir(p, 0755), 0);
	path_in(buf, sizeof(buf), p, "server.key");
	assert_int_equal(certs_write_cert(buf, root, 0, err, sizeof(err)), 0);
	assert_int_equal(certs_init(p, &o, err, sizeof(err)), MPS_ERR_IO);
	assert_non_null(strstr(err, "server.key exists"));
	assert_int_equal(count_entries(p), 1);

	/* force replaces the whole set with a new root. */
	o.force = 1;
	o.key_type = CERTS_KEY_EC384;
	o.days = 30;
	assert_int_equal(certs_init(dir, &o, err, sizeof(err)), 0);
	check_set(dir, "mps.example.com", &root2, &srv2);
	assert_int_not_equal(X509_cmp(root, root2), 0);
	assert_int_equal(certs_key_type_of(X509_get0_pubkey(root2)),
	    CERTS_KEY_EC384);
	assert_int_equal(certs_key_type_of(X509_get0_pubkey(srv2)),
	    CERTS_KEY_EC384);
	assert_int_equal(validity_days(srv2), 31);
	assert_int_equal(count_entries(dir), 4);
	X509_free(root2);
	X509_free(srv2);

	/* Bad input is refused before anything happens. */
	o.cn = "bad name";
	assert_int_equal(certs_init(dir, &o, err, sizeof(err)),
	    MPS_ERR_USAGE);
	o.cn = NULL;
	assert_int_equal(certs_init(dir, &o, err, sizeof(err)),
	    MPS_ERR_USAGE);
	o.cn = "mps";
	o.days = -5;
	assert_int_equal(certs_init(dir, &o, err, sizeof(err)),
	    MPS_ERR_USAGE);

	X509_free(root);
	X509_free(srv);
}

static void
test_renew(void **state)
{
	struct fixture		*fx = *state;
	static const char *const sans[] = { "IP:10.1.2.3", "DNS:b.example" };
	struct certs_opts	 o;
	X509			*root, *srv, *root2, *srv2, *old;
	char			 dir[128], other[128], p[256], buf[256];
	char			 err[512], *before_key, *key_old;

	snprintf(dir, sizeof(dir), "%s/c", fx->dir);
	memset(&o, 0, sizeof(o));
	o.cn = "a.example";
	o.sans = sans;
	o.nsans = 2;
	o.key_type = CERTS_KEY_RSA3072;
	assert_int_equal(certs_init(dir, &o, err, sizeof(err)), 0);
	check_set(dir, "a.example", &root, &srv);
	path_in(p, sizeof(p), dir, "server.key");
	before_key = slurp(p);

	/* Plain renew: same root, same names and key type, new key. */
	memset(&o, 0, sizeof(o));
	assert_int_equal(certs_renew(dir, &o, err, sizeof(err)), 0);
	check_set(dir, "a.example", &root2, &srv2);
	assert_int_equal(X509_cmp(root, root2), 0);
	assert_int_not_equal(X509_cmp(srv, srv2), 0);
	sans_of(srv2, buf, sizeof(buf));
	assert_string_equal(buf, "DNS:a.example,IP:10.1.2.3,DNS:b.example");
	assert_int_equal(certs_key_type_of(X509_get0_pubkey(srv2)),
	    CERTS_KEY_RSA3072);
	{
		char *now = slurp(p);

		assert_string_not_equal(now, before_key);
		free(now);
	}
	/* The previous pair is kept, the key still private. */
	path_in(p, sizeof(p), dir, "server.key.old");
	key_old = slurp(p);
	assert_string_equal(key_old, before_key);
	assert_int_equal(file_mode(p), 0600);
	free(key_old);
	free(before_key);
	path_in(p, sizeof(p), dir, "server.crt.old");
	assert_int_equal(file_mode(p), 0644);
	assert_non_null(old = certs_load_cert(p, err, sizeof(err)));
	assert_int_equal(X509_cmp(old, srv), 0);
	X509_free(old);
	assert_int_equal(count_entries(dir), 6);
	X509_free(srv);
	X509_free(root2);
	srv = srv2;

	/* A new CN takes the place of the old one; other SANs stay. */
	o.cn = "192.0.2.9";
	o.key_type = CERTS_KEY_RSA2048;
	assert_int_equal(certs_renew(dir, &o, err, sizeof(err)), 0);
	check_set(dir, NULL, &root2, &srv2);
	cn_of(srv2, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.9");
	sans_of(srv2, buf, sizeof(buf));
	assert_string_equal(buf, "IP:192.0.2.9,IP:10.1.2.3,DNS:b.example");
	assert_int_equal(verify_chain(root2, srv2, NULL, "192.0.2.9"),
	    X509_V_OK);
	assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(srv2)), 2048);
	X509_free(root2);
	X509_free(srv2);

	/* Explicit SANs replace the list. */
	o.cn = NULL;
	o.sans = sans + 1;
	o.nsans = 1;
	assert_int_equal(certs_renew(dir, &o, err, sizeof(err)), 0);
	check_set(dir, NULL, &root2, &srv2);
	sans_of(srv2, buf, sizeof(buf));
	assert_string_equal(buf, "IP:192.0.2.9,DNS:b.example");
	X509_free(root2);
	X509_free(srv2);

	/* A server.crt this root did not issue needs force. */
	snprintf(other, sizeof(other), "%s/other", fx->dir);
	memset(&o, 0, sizeof(o));
	o.cn = "z.example";
	assert_int_equal(certs_init(other, &o, err, sizeof(err)), 0);
	path_in(p, sizeof(p), other, "server.crt");
	assert_non_null(old = certs_load_cert(p, err, sizeof(err)));
	path_in(p, sizeof(p), dir, "server.crt");
	assert_int_equal(certs_write_cert(p, old, 1, err, sizeof(err)), 0);
	memset(&o, 0, sizeof(o));
	assert_int_equal(certs_renew(dir, &o, err, sizeof(err)), MPS_ERR_IO);
	assert_non_null(strstr(err, "was not issued by"));
	assert_non_null(strstr(err, "use --force"));
	assert_non_null(srv2 = certs_load_cert(p, err, sizeof(err)));
	assert_int_equal(X509_cmp(srv2, old), 0);
	X509_free(srv2);
	o.force = 1;
	assert_int_equal(certs_renew(dir, &o, err, sizeof(err)), 0);
	check_set(dir, "z.example", &root2, &srv2);
	assert_int_equal(X509_cmp(root, root2), 0);
	X509_free(root2);
	X509_free(srv2);
	X509_free(old);

	/* Without server.crt the CN must be given. */
	assert_int_equal(unlink(p), 0);
	memset(&o, 0, sizeof(o));
	assert_int_equal(certs_renew(dir, &o, err, sizeof(err)),
	    MPS_ERR_USAGE);
	assert_non_null(strstr(err, "give --cn"));
	o.cn = "a.example";
	assert_int_equal(certs_renew(dir, &o, err, sizeof(err)), 0);
	check_set(dir, "a.example", &root2, &srv2);
	X509_free(root2);
	X509_free(srv2);

	/* Without the root key there is nothing to sign with. */
	path_in(p, sizeof(p), dir, "root.key");
	assert_int_equal(unlink(p), 0);
	assert_int_equal(certs_renew(dir, &o, err, sizeof(err)), MPS_ERR_IO);
	assert_non_null(strstr(err, "root.key"));

	X509_free(root);
	X509_free(srv);
}

static void
test_dev_cert(void **state)
{
	struct fixture		*fx = *state;
	static const char *const extra[] = { "DNS:mps.lan" };
	struct certs_dev_info	*info, *again;
	X509			*root, *srv;
	char			 dir[128], buf[512], err[512];
	char			 fp[CERTS_FP_COLON_SIZE];
	time_t			 now = time(NULL);

	assert_non_null(info = calloc(1, sizeof(*info)));
	assert_non_null(again = calloc(1, sizeof(*again)));
	snprintf(dir, sizeof(dir), "%s/state/tls", fx->dir);
	assert_int_equal(certs_make_dev_cert(dir, "mps.test", extra, 1, info,
	    err, sizeof(err)), 0);
	assert_int_equal(info->created, 1);
	snprintf(buf, sizeof(buf), "%s/server.crt", dir);
	assert_string_equal(info->cert_path, buf);
	snprintf(buf, sizeof(buf), "%s/server.key", dir);
	assert_string_equal(info->key_path, buf);
	snprintf(buf, sizeof(buf), "%s/root.crt", dir);
	assert_string_equal(info->root_path, buf);
	assert_int_equal(certs_fingerprint_file(info->root_path, fp, NULL,
	    err, sizeof(err)), 0);
	assert_string_equal(info->root_fp_colon, fp);
	assert_int_equal(strlen(info->root_fp_hex), 64);
	assert_true(info->not_after > now + (CERTS_SERVER_DAYS - 1) * 86400L);
	assert_true(info->not_after < now + (CERTS_SERVER_DAYS + 1) * 86400L);

	check_set(dir, "mps.test", &root, &srv);
	sans_of(srv, buf, sizeof(buf));
	assert_string_equal(buf, "DNS:mps.test,DNS:mps.lan,DNS:localhost,"
	    "IP:127.0.0.1,IP:::1");
	assert_int_equal(verify_chain(root, srv, "localhost", NULL),
	    X509_V_OK);
	assert_int_equal(verify_chain(root, srv, NULL, "127.0.0.1"),
	    X509_V_OK);
	assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(srv)), 2048);
	X509_free(root);
	X509_free(srv);

	/* Second start: the same files, described, not regenerated. */
	assert_int_equal(certs_make_dev_cert(dir, "other.test", NULL, 0,
	    again, err, sizeof(err)), 0);
	assert_int_equal(again->created, 0);
	assert_string_equal(again->root_fp_hex, info->root_fp_hex);
	assert_true(again->not_after == info->not_after);

	/* A half-present set is an error, not a silent regeneration. */
	assert_int_equal(unlink(info->key_path), 0);
	assert_int_equal(certs_make_dev_cert(dir, NULL, NULL, 0, again, err,
	    sizeof(err)), MPS_ERR_CONFIG);
	assert_non_null(strstr(err, "incomplete"));
	assert_non_null(strstr(err, "server.key"));

	/* No CN: the host name, or localhost when it is not a DNS name. */
	snprintf(dir, sizeof(dir), "%s/hostcn", fx->dir);
	assert_int_equal(certs_make_dev_cert(dir, NULL, NULL, 0, again, err,
	    sizeof(err)), 0);
	assert_int_equal(again->created, 1);
	free(again);
	free(info);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_types),
		cmocka_unit_test(test_root_ca),
		cmocka_unit_test(test_server_cert),
		cmocka_unit_test(test_server_ec384),
		cmocka_unit_test(test_cn_becomes_san),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test_setup_teardown(test_write_files, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_init, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renew, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dev_cert, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
