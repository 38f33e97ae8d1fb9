/*
 * certs.h: certificates for the CIRA listener.
 *
 * AMT devices dial the MPS by an IP address or a DNS name, verify the
 * server certificate against a root certificate that was installed in the
 * device (AddTrustedRootCertificate) and match the name against the
 * certificate's CN/subjectAltName.  AMT sends no SNI, so one listening
 * address serves exactly one certificate.
 *
 * This library makes that pair of certificates: a root CA and a server
 * certificate issued under it.  It is used by amt-mps-certs and by the
 * daemon, which generates a development set on first start.
 *
 * A certificate directory holds:
 *	root.crt	root CA certificate (PEM, 0644): install it in AMT
 *	root.key	root CA private key (PEM PKCS#8, 0600)
 *	server.crt	server certificate (PEM, 0644): tls.certificate
 *	server.key	server private key (PEM PKCS#8, 0600): tls.key
 *	server.crt.old, server.key.old	the pair replaced by the last renew
 *
 * Conventions: functions return 0 or a negative MPS_ERR_* (mps_err.h);
 * those that take (err, errlen) also write a one-line English message
 * naming the file and the fix there (err may be NULL).  Invalid input from
 * the user gives MPS_ERR_USAGE, an existing file that would be overwritten
 * without force MPS_ERR_IO with a message "PATH exists; use --force to
 * replace it".  Pointer-returning functions return NULL on failure.
 * Objects returned are owned by the caller (EVP_PKEY_free, X509_free).
 */
#ifndef CERTS_H
#define CERTS_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Default validity.  The root outlives many server certificates. */
#define CERTS_ROOT_DAYS		7300	/* 20 years */
#define CERTS_SERVER_DAYS	730	/* 2 years */
#define CERTS_DAYS_MAX		36500	/* 100 years, bound for --days */
/*
 * notBefore is set this far in the past: AMT clocks often run on local
 * time or drift, and a certificate "not yet valid" kills every tunnel.
 */
#define CERTS_BACKDATE_SECS	(24 * 60 * 60)

#define CERTS_SAN_MAX		64	/* subjectAltNames per certificate */
#define CERTS_CN_MAX		64	/* X.520 ub-common-name */

/* Buffer sizes for certs_fingerprint(), NUL included. */
#define CERTS_FP_COLON_SIZE	96	/* "AB:CD:...": 32 * 3 */
#define CERTS_FP_HEX_SIZE	65	/* "abcd...": 32 * 2 + 1 */

#define CERTS_PATH_MAX		4096

/* File names inside a certificate directory. */
#define CERTS_ROOT_CRT		"root.crt"
#define CERTS_ROOT_KEY		"root.key"
#define CERTS_SERVER_CRT	"server.crt"
#define CERTS_SERVER_KEY	"server.key"

/*
 * Key types.  RSA-2048 is the default because AMT 12 rejects a 3072-bit
 * server certificate; AMT 22 requires RSA >= 3072 or EC P-384.
 */
enum certs_key_type {
	CERTS_KEY_DEFAULT = 0,	/* init: rsa2048; renew: keep current */
	CERTS_KEY_RSA2048,
	CERTS_KEY_RSA3072,
	CERTS_KEY_RSA4096,
	CERTS_KEY_EC384,
};

/*
 * Parse "rsa2048", "rsa3072", "rsa4096" or "ec384" into *type.
 * Returns 0 or MPS_ERR_USAGE.
 */
int	 certs_key_type_parse(const char *s, enum certs_key_type *type);

/* Name of a key type ("rsa2048"...; "default"); never NULL. */
const char *certs_key_type_str(enum certs_key_type type);

/*
 * Key type of an existing key (RSA 2048/3072/4096 or EC P-384), or
 * CERTS_KEY_DEFAULT when it is none of those.
 */
enum certs_key_type certs_key_type_of(const EVP_PKEY *key);

/*
 * Generate a fresh private key of the given type (DEFAULT means rsa2048).
 * Returns NULL on failure.
 */
EVP_PKEY *certs_key_new(enum certs_key_type type);

/*
 * Check a subjectAltName spec "IP:ADDR" (IPv4 or IPv6) or "DNS:NAME"
 * (prefix case-insensitive; NAME may start with "*.").  Returns 0 or
 * MPS_ERR_USAGE with a message.
 */
int	 certs_san_check(const char *spec, char *err, size_t errlen);

/*
 * Check a server common name: a DNS name or an IP address of at most
 * CERTS_CN_MAX bytes, since AMT matches it against the MPS address it
 * was given.  Returns 0 or MPS_ERR_USAGE with a message.
 */
int	 certs_cn_check(const char *cn, char *err, size_t errlen);

/*
 * Make a self-signed root CA certificate for key: subject
 * "O=amt-mps, CN=amt-mps root CA XXXXXXXX" (random suffix so two
 * installations can be told apart), basicConstraints critical CA:TRUE,
 * keyUsage critical keyCertSign+cRLSign, subject and authority key id,
 * random 128-bit serial, signed with SHA-384.  days 0 means
 * CERTS_ROOT_DAYS.  Returns NULL on failure.
 */
X509	*certs_root_new(EVP_PKEY *key, int days, char *err, size_t errlen);

/*
 * Issue a server certificate for key under ca/cakey: subject CN=cn,
 * subjectAltName = sans ("IP:..."/"DNS:...", duplicates dropped) plus the
 * CN itself as IP or DNS name when not already listed, basicConstraints
 * critical CA:FALSE, keyUsage critical digitalSignature+keyEncipherment
 * (digitalSignature only for EC keys, RFC 5480), extendedKeyUsage
 * serverAuth, subject and authority key id, random 128-bit serial.
 * Signed with SHA-256 when key is RSA-2048 (what AMT 12 verifies),
 * SHA-384 otherwise.  days 0 means CERTS_SERVER_DAYS.
 * Returns NULL on failure (bad cn/sans: message says which).
 */
X509	*certs_server_new(X509 *ca, EVP_PKEY *cakey, EVP_PKEY *key,
	    const char *cn, const char *const *sans, size_t nsans, int days,
	    char *err, size_t errlen);

/*
 * SHA-256 of the certificate's DER encoding, the value AMT and RPS show
 * for a root certificate.  colon gets the form of `openssl x509
 * -fingerprint -sha256` ("3F:A1:..."), hex the plain lower-case form
 * ("3fa1...").  Either may be NULL.  Returns 0 or MPS_ERR_INTERNAL.
 */
int	 certs_fingerprint(const X509 *cert, char colon[CERTS_FP_COLON_SIZE],
	    char hex[CERTS_FP_HEX_SIZE]);

/* certs_fingerprint() of the first certificate in a PEM file. */
int	 certs_fingerprint_file(const char *path,
	    char colon[CERTS_FP_COLON_SIZE], char hex[CERTS_FP_HEX_SIZE],
	    char *err, size_t errlen);

/* Load the first certificate / the private key of a PEM file, or NULL. */
X509	*certs_load_cert(const char *path, char *err, size_t errlen);
EVP_PKEY *certs_load_key(const char *path, char *err, size_t errlen);

/*
 * Write a PEM file atomically: a temporary file in the same directory
 * (O_EXCL), fsync, then link (force 0: fails if path exists, without a
 * window for a race) or rename (force 1) into place, then fsync the
 * directory.  Keys get mode 0600, certificates 0644.  A reader never sees
 * a partial file.  Returns 0, MPS_ERR_IO ("PATH exists; use --force to
 * replace it" or the system error) or MPS_ERR_INTERNAL.
 */
int	 certs_write_key(const char *path, EVP_PKEY *key, int force,
	    char *err, size_t errlen);
int	 certs_write_cert(const char *path, X509 *cert, int force,
	    char *err, size_t errlen);

/*
 * One line describing a certificate for people, e.g.
 * "CN=mps.example.com SAN=DNS:mps.example.com,IP:10.0.0.5 key=rsa2048
 * expires=2027-11-24", truncated to len.  Returns 0 or MPS_ERR_NO_SPACE
 * when truncated.
 */
int	 certs_describe(const X509 *cert, char *buf, size_t len);

/* Options of certs_init() and certs_renew(). */
struct certs_opts {
	const char	 *cn;		/* server CN; renew: NULL keeps it */
	const char *const *sans;	/* "IP:..."/"DNS:..."; renew: nsans 0
					   keeps the current list */
	size_t		  nsans;
	enum certs_key_type key_type;	/* server key; DEFAULT: see enum */
	int		  days;		/* server validity, 0: default */
	int		  force;	/* see certs_init/certs_renew */
};

/*
 * Create dir (and parents, 0755) if needed and write a new root CA and a
 * server certificate issued under it: root.crt, root.key, server.crt,
 * server.key.  The root key is RSA-3072 for RSA-2048/3072 servers,
 * RSA-4096 for rsa4096 and EC P-384 for ec384.  Without force, nothing is
 * written if any of the four files exists.  All four are staged first and
 * then put in place; on failure the files this call created are removed.
 * Returns 0, MPS_ERR_USAGE (bad cn/sans/days), MPS_ERR_IO or
 * MPS_ERR_INTERNAL.
 */
int	 certs_init(const char *dir, const struct certs_opts *o, char *err,
	    size_t errlen);

/*
 * Issue a new server key and certificate under the root in dir.  CN and
 * SANs default to those of the current server.crt, the key type to the
 * current key's type; a new cn without sans keeps the other SANs but
 * drops the one the old CN stood for.  The previous pair is kept as server.crt.old and
 * server.key.old (replacing older backups), then server.key and
 * server.crt are replaced by rename, so a reader sees the old or the new
 * file, never a partial one.  force is needed only to replace a
 * server.crt that cannot be read or was not issued by root.crt (then cn
 * is required when it cannot be read).
 */
int	 certs_renew(const char *dir, const struct certs_opts *o, char *err,
	    size_t errlen);

/* What certs_make_dev_cert() made or found. */
struct certs_dev_info {
	char	cert_path[CERTS_PATH_MAX];	/* dir/server.crt */
	char	key_path[CERTS_PATH_MAX];	/* dir/server.key */
	char	root_path[CERTS_PATH_MAX];	/* dir/root.crt */
	char	root_fp_colon[CERTS_FP_COLON_SIZE];
	char	root_fp_hex[CERTS_FP_HEX_SIZE];
	time_t	not_after;	/* server certificate expiry */
	int	created;	/* 1: generated now, 0: existed already */
};

/*
 * For the daemon's first start: make sure dir holds a usable set (root +
 * server, as certs_init() with RSA-2048 and default validity).  If
 * server.crt and server.key exist they are kept and only described
 * (created 0; the root fingerprint is "" when root.crt is absent); if
 * none of the four files exists a new set is made (created 1); anything
 * in between is MPS_ERR_CONFIG, because guessing could clobber an
 * operator's key.  cn NULL means the host name.
 * The server certificate also carries DNS:localhost, IP:127.0.0.1 and
 * IP:::1 besides cn and the caller's sans, so local tools and the
 * simulator can verify it.
 */
int	 certs_make_dev_cert(const char *dir, const char *cn,
	    const char *const *sans, size_t nsans,
	    struct certs_dev_info *info, char *err, size_t errlen);

#endif /* CERTS_H */
