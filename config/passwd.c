/*
 * passwd.c: PBKDF2-HMAC-SHA256 hashes for MPS passwords.
 *
 * The hash string is parsed strictly (canonical base64, no leading zeros in
 * the iteration count) so that one password has exactly one spelling per
 * salt and a devices file cannot smuggle in odd variants.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "mps_err.h"
#include "passwd.h"

#define PASSWD_PREFIX		"$pbkdf2-sha256$"
#define PASSWD_SALT_LEN		16
#define PASSWD_SALT_MIN		8
#define PASSWD_SALT_MAX		32
#define PASSWD_DK_LEN		32

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 with padding; returns the length written (no NUL). */
static size_t
passwd_b64_encode(const uint8_t *in, size_t len, char *out)
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
		out[o++] = b64chars[v >> 6 & 63];
		out[o++] = b64chars[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (len - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
		out[o++] = b64chars[v >> 6 & 63];
		out[o++] = '=';
	}
	return o;
}

static int
passwd_b64_val(char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(b64chars, c)) == NULL)
		return -1;
	return (int)(p - b64chars);
}

/*
 * Decodes exactly len chars of canonical padded base64 into at most max
 * bytes.  Canonical means the unused low bits of the last symbol are zero,
 * so re-encoding gives back the same text.  Bytes written, or -1.
 */
static int
passwd_b64_decode(const char *in, size_t len, uint8_t *out, size_t max)
{
	size_t i, o = 0, pad = 0;
	int a, b, c, d;

	if (len == 0 || len % 4 != 0)
		return -1;
	if (in[len - 1] == '=')
		pad = in[len - 2] == '=' ? 2 : 1;
	if ((len / 4) * 3 - pad > max)
		return -1;
	for (i = 0; i < len; i += 4) {
		int last = i + 4 == len;

		a = passwd_b64_val(in[i]);
		b = passwd_b64_val(in[i + 1]);
		c = last && pad == 2 ? 0 : passwd_b64_val(in[i + 2]);
		d = last && pad >= 1 ? 0 : passwd_b64_val(in[i + 3]);
		if (a < 0 || b < 0 || c < 0 || d < 0)
			return -1;
		out[o++] = (uint8_t)(a << 2 | b >> 4);
		if (last && pad == 2) {
			if (b & 0x0f)
				return -1;
			break;
		}
		out[o++] = (uint8_t)((b & 0x0f) << 4 | c >> 2);
		if (last && pad == 1) {
			if (c & 0x03)
				return -1;
			break;
		}
		out[o++] = (uint8_t)((c & 0x03) << 6 | d);
	}
	return (int)o;
}

struct passwd_parsed {
	unsigned	iter;
	uint8_t		salt[PASSWD_SALT_MAX];
	size_t		saltlen;
	uint8_t		dk[PASSWD_DK_LEN];
};

static int
passwd_parse(const char *hash, struct passwd_parsed *pp)
{
	const char *p, *salt, *dk, *end;
	unsigned long v = 0;
	int n;

	if (hash == NULL || strnlen(hash, PASSWD_HASH_MAX) >= PASSWD_HASH_MAX)
		return MPS_ERR_INVALID;
	if (strncmp(hash, PASSWD_PREFIX, strlen(PASSWD_PREFIX)) != 0)
		return MPS_ERR_INVALID;
	p = hash + strlen(PASSWD_PREFIX);
	if (*p < '1' || *p > '9')	/* no sign, no leading zero */
		return MPS_ERR_INVALID;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > PASSWD_MAX_ITER)
			return MPS_ERR_INVALID;
	}
	if (v < PASSWD_MIN_ITER || *p != '$')
		return MPS_ERR_INVALID;
	pp->iter = (unsigned)v;
	salt = p + 1;
	if ((dk = strchr(salt, '$')) == NULL)
		return MPS_ERR_INVALID;
	n = passwd_b64_decode(salt, (size_t)(dk - salt), pp->salt,
	    sizeof pp->salt);
	if (n < PASSWD_SALT_MIN)
		return MPS_ERR_INVALID;
	pp->saltlen = (size_t)n;
	dk++;
	end = dk + strlen(dk);
	n = passwd_b64_decode(dk, (size_t)(end - dk), pp->dk, sizeof pp->dk);
	if (n != PASSWD_DK_LEN)
		return MPS_ERR_INVALID;
	return 0;
}

int
passwd_check_format(const char *hash)
{
	struct passwd_parsed pp;

	return passwd_parse(hash, &pp);
}

static int
passwd_derive(const char *pw, size_t len, const uint8_t *salt,
    size_t saltlen, unsigned iter, uint8_t dk[PASSWD_DK_LEN])
{
	/* PKCS5_PBKDF2_HMAC wants a non-NULL pointer even for "". */
	if (PKCS5_PBKDF2_HMAC(len ? pw : "", (int)len, salt, (int)saltlen,
	    (int)iter, EVP_sha256(), PASSWD_DK_LEN, dk) != 1)
		return MPS_ERR_INTERNAL;
	return 0;
}

int
passwd_hash(const char *pw, size_t len, unsigned iterations, char *out,
    size_t outlen)
{
	uint8_t salt[PASSWD_SALT_LEN], dk[PASSWD_DK_LEN];
	char salt64[64], dk64[64];
	size_t n;
	int rc;

	if (iterations == 0)
		iterations = PASSWD_DEFAULT_ITER;
	if (iterations < PASSWD_MIN_ITER || iterations > PASSWD_MAX_ITER)
		return MPS_ERR_INVALID;
	if (len > PASSWD_MAX_LEN || (pw == NULL && len > 0))
		return MPS_ERR_TOO_LARGE;
	if (out == NULL)
		return MPS_ERR_NO_SPACE;
	if (RAND_bytes(salt, sizeof salt) != 1)
		return MPS_ERR_INTERNAL;
	if ((rc = passwd_derive(pw, len, salt, sizeof salt, iterations,
	    dk)) != 0)
		return rc;
	n = passwd_b64_encode(salt, sizeof salt, salt64);
	salt64[n] = '\0';
	n = passwd_b64_encode(dk, sizeof dk, dk64);
	dk64[n] = '\0';
	OPENSSL_cleanse(dk, sizeof dk);
	n = (size_t)snprintf(out, outlen, PASSWD_PREFIX "%u$%s$%s", iterations,
	    salt64, dk64);
	if (n >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return MPS_ERR_NO_SPACE;
	}
	return 0;
}

int
passwd_verify(const char *pw, size_t len, const char *hash)
{
	struct passwd_parsed pp;
	uint8_t dk[PASSWD_DK_LEN];
	int rc, match;

	if ((rc = passwd_parse(hash, &pp)) != 0)
		return rc;
	/* No hash can have been made from an over-long password. */
	if (len > PASSWD_MAX_LEN || (pw == NULL && len > 0))
		return 0;
	if ((rc = passwd_derive(pw, len, pp.salt, pp.saltlen, pp.iter,
	    dk)) != 0)
		return rc;
	match = CRYPTO_memcmp(dk, pp.dk, sizeof dk) == 0;
	OPENSSL_cleanse(dk, sizeof dk);
	return match;
}
