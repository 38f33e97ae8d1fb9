/*
 * tls.c: the listener's SSL_CTX.
 *
 * One context serves every new handshake; SSL objects hold a reference to
 * the context they were made from, so a reload swaps the pointer for new
 * handshakes while established tunnels keep theirs.
 *
 * Memory: SSL_MODE_RELEASE_BUFFERS lets OpenSSL free its 16 KiB+ record
 * buffers while a connection is idle, which is most of an AMT tunnel's
 * life (about 48 -> 15 KiB per connection, c-style-anchors.md section 4).
 * No session cache and no tickets: AMT is not known to resume, and it is
 * state and CPU we would pay on every handshake of a reconnect storm.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "certs.h"
#include "server.h"

static SSL_CTX		*tls_ctx;
static struct tls_info	 tls_cur;

const char *
tls_errors(char *buf, size_t len)
{
	unsigned long	e;
	size_t		off = 0;
	char		one[256];

	if (len == 0)
		return buf;
	buf[0] = '\0';
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, one, sizeof(one));
		if (off + 3 < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s",
			    off > 0 ? "; " : "", one);
		if (off >= len)
			off = len - 1;
	}
	return buf;
}

static int
tls_min_version(const struct mps_config *cfg)
{
	const char	*v = cfg->tls.min_version;

	if (v == NULL || *v == '\0')
		return cfg->tls.profile == CONFIG_TLS_LEGACY ?
		    TLS1_VERSION : TLS1_2_VERSION;
	if (strcmp(v, "1.0") == 0)
		return TLS1_VERSION;
	if (strcmp(v, "1.1") == 0)
		return TLS1_1_VERSION;
	if (strcmp(v, "1.3") == 0)
		return TLS1_3_VERSION;
	return TLS1_2_VERSION;
}

/*
 * Accept any client certificate during the handshake and judge the
 * recorded result afterwards (device.c): a verify failure then closes
 * with a clear log line instead of an opaque handshake alert, and
 * password-only devices that send no certificate are not refused.
 */
static int
tls_verify_cb(int ok, X509_STORE_CTX *x)
{
	return 1;
}

/* The leaf's SHA-256 as "AB:CD:..". */
static void
tls_fingerprint(SSL_CTX *ctx, char *out, size_t len)
{
	X509		*leaf;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, i;
	size_t		 off = 0;

	out[0] = '\0';
	if ((leaf = SSL_CTX_get0_certificate(ctx)) == NULL ||
	    X509_digest(leaf, EVP_sha256(), md, &mdlen) != 1)
		return;
	for (i = 0; i < mdlen && off + 4 <= len; i++)
		off += (size_t)snprintf(out + off, len - off, "%s%02X",
		    i > 0 ? ":" : "", md[i]);
}

/* Builds a context; NULL with err filled. */
static SSL_CTX *
tls_ctx_build(const struct mps_config *cfg, const char *cert, const char *key,
    char *err, size_t errlen)
{
	SSL_CTX			*ctx;
	STACK_OF(X509_NAME)	*cas;
	char			 ciphers[1024], ebuf[512];
	const char		*what = "";

	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		what = "SSL_CTX_new";
		goto fail;
	}
	/* Explicit: the system default (Debian: TLS 1.2) is applied by
	 * SSL_CTX_new and must not silently refuse a legacy fleet. */
	if (SSL_CTX_set_min_proto_version(ctx, tls_min_version(cfg)) != 1) {
		what = "tls.min_version";
		goto fail;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_NO_TICKET);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);

	if (cfg->tls.profile == CONFIG_TLS_LEGACY) {
		/* OpenSSL 3 refuses TLS 1.0/1.1 signatures above level 0. */
		snprintf(ciphers, sizeof(ciphers), "%s%s",
		    cfg->tls.ciphers != NULL ? cfg->tls.ciphers : "DEFAULT",
		    cfg->tls.ciphers != NULL &&
		    strstr(cfg->tls.ciphers, "@SECLEVEL") != NULL ?
		    "" : ":@SECLEVEL=0");
		if (SSL_CTX_set_cipher_list(ctx, ciphers) != 1) {
			what = "tls.ciphers";
			goto fail;
		}
	} else if (cfg->tls.ciphers != NULL &&
	    SSL_CTX_set_cipher_list(ctx, cfg->tls.ciphers) != 1) {
		what = "tls.ciphers";
		goto fail;
	}
	if (cfg->tls.ciphersuites != NULL &&
	    SSL_CTX_set_ciphersuites(ctx, cfg->tls.ciphersuites) != 1) {
		what = "tls.ciphersuites";
		goto fail;
	}

	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		what = cert;
		goto fail;
	}
	/* OpenSSL 3 already refuses a key of another certificate here
	 * (X509_R_KEY_VALUES_MISMATCH): say so in words, as below. */
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		unsigned long	e = ERR_peek_last_error();

		if (ERR_GET_LIB(e) != ERR_LIB_X509 ||
		    ERR_GET_REASON(e) != X509_R_KEY_VALUES_MISMATCH) {
			what = key;
			goto fail;
		}
		goto mismatch;
	}
	if (SSL_CTX_check_private_key(ctx) != 1)
		goto mismatch;

	if (cfg->tls.client_ca != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, cfg->tls.client_ca,
		    NULL) != 1 ||
		    (cas = SSL_load_client_CA_file(cfg->tls.client_ca)) ==
		    NULL) {
			what = cfg->tls.client_ca;
			goto fail;
		}
		SSL_CTX_set_client_CA_list(ctx, cas);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
		    (cfg->tls.require_client_cert ?
		    SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), tls_verify_cb);
	}
	return ctx;

fail:
	snprintf(err, errlen, "%s: %s", what, tls_errors(ebuf, sizeof(ebuf)));
	SSL_CTX_free(ctx);
	return NULL;

mismatch:
	ERR_clear_error();
	snprintf(err, errlen, "%s: the private key %s does not match this "
	    "certificate", cert, key);
	SSL_CTX_free(ctx);
	return NULL;
}

/* Finds or makes the development certificate; fills tls_cur paths. */
static int
tls_dev_cert(const struct mps_config *cfg, int check_only,
    struct tls_info *info)
{
	struct certs_dev_info	 dev;
	const char		*dir = cfg->state_dir != NULL ?
				    cfg->state_dir : MPS_DEFAULT_STATE_DIR;
	char			 err[512];
	int			 r;

	info->dev_cert = 1;
	snprintf(info->certificate, sizeof(info->certificate), "%s/%s", dir,
	    CERTS_SERVER_CRT);
	snprintf(info->key, sizeof(info->key), "%s/%s", dir, CERTS_SERVER_KEY);
	snprintf(info->root, sizeof(info->root), "%s/%s", dir, CERTS_ROOT_CRT);
	if (check_only) {
		if (access(info->certificate, R_OK) != 0) {
			log_info("no tls.certificate: a development "
			    "certificate would be generated in %s", dir);
			return 1;	/* nothing to check */
		}
		return 0;
	}
	if (util_mkdir_p(dir, 0700) != 0) {
		log_warn("cannot create state_dir %s", dir);
		return MPS_ERR_CONFIG;
	}
	r = certs_make_dev_cert(dir, NULL, NULL, 0, &dev, err, sizeof(err));
	if (r != 0) {
		log_warnx("development certificate in %s: %s", dir, err);
		return MPS_ERR_CONFIG;
	}
	snprintf(info->certificate, sizeof(info->certificate), "%s",
	    dev.cert_path);
	snprintf(info->key, sizeof(info->key), "%s", dev.key_path);
	snprintf(info->root, sizeof(info->root), "%s", dev.root_path);
	log_warnx("WARNING: no tls.certificate configured: %s DEVELOPMENT "
	    "certificate %s (root CA %s, root SHA-256 %s); devices and "
	    "tools must trust that root.  For production create real "
	    "certificates with amt-mps-certs and set tls.certificate and "
	    "tls.key", dev.created ? "generated a new" : "using the",
	    dev.cert_path, dev.root_path,
	    dev.root_fp_colon[0] != '\0' ? dev.root_fp_colon : "unknown");
	return 0;
}

int
tls_init(const struct mps_config *cfg, int check_only)
{
	struct tls_info	 info;
	SSL_CTX		*ctx;
	char		 err[1024];
	int		 r;

	memset(&info, 0, sizeof(info));
	if (cfg->tls.certificate == NULL) {
		if ((r = tls_dev_cert(cfg, check_only, &info)) < 0)
			return r;
		if (r == 1)
			return 0;
	} else {
		snprintf(info.certificate, sizeof(info.certificate), "%s",
		    cfg->tls.certificate);
		snprintf(info.key, sizeof(info.key), "%s",
		    cfg->tls.key != NULL ? cfg->tls.key : cfg->tls.certificate);
	}
	if ((ctx = tls_ctx_build(cfg, info.certificate, info.key, err,
	    sizeof(err))) == NULL) {
		log_warnx("tls: %s", err);
		return MPS_ERR_TLS;
	}
	tls_fingerprint(ctx, info.fingerprint, sizeof(info.fingerprint));
	if (check_only) {
		SSL_CTX_free(ctx);
		return 0;
	}
	SSL_CTX_free(tls_ctx);
	tls_ctx = ctx;
	tls_cur = info;
	log_info("tls: certificate %s sha256=%s profile=%s", info.certificate,
	    info.fingerprint, cfg->tls.profile == CONFIG_TLS_LEGACY ?
	    "legacy" : "modern");
	return 0;
}

int
tls_reload(const struct mps_config *cfg, char *errbuf, size_t errlen)
{
	struct tls_info	 info = tls_cur;
	SSL_CTX		*ctx;
	char		 err[1024];

	if (cfg->tls.certificate != NULL) {
		info.dev_cert = 0;
		info.root[0] = '\0';
		snprintf(info.certificate, sizeof(info.certificate), "%s",
		    cfg->tls.certificate);
		snprintf(info.key, sizeof(info.key), "%s",
		    cfg->tls.key != NULL ? cfg->tls.key : cfg->tls.certificate);
	} else if (!tls_cur.dev_cert) {
		/* Switching to a dev cert at runtime would surprise. */
		snprintf(errbuf, errlen, "tls.certificate was removed; "
		    "restart to use a development certificate");
		return MPS_ERR_CONFIG;
	}
	if ((ctx = tls_ctx_build(cfg, info.certificate, info.key, err,
	    sizeof(err))) == NULL) {
		snprintf(errbuf, errlen, "%s", err);
		return MPS_ERR_TLS;
	}
	tls_fingerprint(ctx, info.fingerprint, sizeof(info.fingerprint));
	/* Established SSLs hold their own reference to the old context. */
	SSL_CTX_free(tls_ctx);
	tls_ctx = ctx;
	tls_cur = info;
	log_info("tls: reloaded certificate %s sha256=%s (new handshakes "
	    "only)", info.certificate, info.fingerprint);
	return 0;
}

SSL *
tls_ssl_new(void)
{
	if (tls_ctx == NULL)
		return NULL;
	return SSL_new(tls_ctx);
}

const struct tls_info *
tls_get_info(void)
{
	return &tls_cur;
}

void
tls_shutdown(void)
{
	SSL_CTX_free(tls_ctx);
	tls_ctx = NULL;
}
