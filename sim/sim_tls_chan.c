/*
 * sim_tls_chan.c: TLS server inside a byte stream, for WS-Man on 16993.
 *
 * Over CIRA the TLS of port 16993 runs inside an APF channel: there is no
 * socket to hand OpenSSL, so each connection gets two memory BIOs.  Bytes
 * from the channel are written into rbio, OpenSSL's records come out of
 * wbio and go back into the channel (sim_wconn.c moves them).
 *
 * The device identity is what an unprovisioned-TLS AMT presents: a
 * self-signed certificate the MPS cannot chain to anything, so it must
 * pin it or skip verification.  One RSA-2048 key and certificate per
 * simulator process, made in memory on first use: key generation costs
 * a fraction of a second, and thousands of simulated devices sharing one
 * certificate is no different to an MPS from one device reconnecting.
 * TLS 1.2 only, the version every AMT 11+ firmware speaks.
 */
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "mps_err.h"
#include "sim_wsman.h"

#define SIM_TLS_CHAN_DAYS	3650

static int
sim_tls_chan_cert(EVP_PKEY **pkey_out, X509 **cert_out)
{
	EVP_PKEY	*pkey = NULL;
	X509		*x = NULL;
	X509_NAME	*name;
	unsigned char	 serial[16];
	BIGNUM		*bn = NULL;
	int		 ok = 0;

	if ((pkey = EVP_RSA_gen(2048)) == NULL || (x = X509_new()) == NULL)
		goto out;
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7f;	/* a positive serial */
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto out;
	if (X509_set_version(x, 2) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -24 * 3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x),
	    (long)SIM_TLS_CHAN_DAYS * 24 * 3600) == NULL ||
	    X509_set_pubkey(x, pkey) != 1)
		goto out;
	name = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	    (const unsigned char *)"amt-cira-sim", -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"amt-cira-sim simulated AMT device", -1,
	    -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 ||
	    X509_sign(x, pkey, EVP_sha256()) <= 0)
		goto out;
	ok = 1;
out:
	BN_free(bn);
	if (!ok) {
		X509_free(x);
		EVP_PKEY_free(pkey);
		return MPS_ERR_TLS;
	}
	*pkey_out = pkey;
	*cert_out = x;
	return 0;
}

int
sim_tls_chan_ctx(SSL_CTX **out)
{
	EVP_PKEY	*pkey = NULL;
	X509		*cert = NULL;
	SSL_CTX		*ctx = NULL;
	int		 r;

	*out = NULL;
	if ((r = sim_tls_chan_cert(&pkey, &cert)) != 0)
		return r;
	r = MPS_ERR_TLS;
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		goto out;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, pkey) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		goto out;
	/* Idle connections keep no record buffers (thousands of them). */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	r = 0;
out:
	X509_free(cert);
	EVP_PKEY_free(pkey);
	if (r != 0) {
		SSL_CTX_free(ctx);
		ERR_clear_error();
		return r;
	}
	*out = ctx;
	return 0;
}

int
sim_tls_chan_new(SSL_CTX *ctx, SSL **ssl_out, BIO **rbio_out,
    BIO **wbio_out)
{
	SSL	*ssl;
	BIO	*rbio, *wbio;

	if ((ssl = SSL_new(ctx)) == NULL)
		return MPS_ERR_NOMEM;
	rbio = BIO_new(BIO_s_mem());
	wbio = BIO_new(BIO_s_mem());
	if (rbio == NULL || wbio == NULL) {
		BIO_free(rbio);
		BIO_free(wbio);
		SSL_free(ssl);
		return MPS_ERR_NOMEM;
	}
	/* An empty rbio means "wait for more", not end of stream. */
	BIO_set_mem_eof_return(rbio, -1);
	BIO_set_mem_eof_return(wbio, -1);
	SSL_set_bio(ssl, rbio, wbio);	/* ssl owns both now */
	SSL_set_accept_state(ssl);
	*ssl_out = ssl;
	*rbio_out = rbio;
	*wbio_out = wbio;
	return 0;
}
