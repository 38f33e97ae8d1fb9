/*
 * passwd.h: salted MPS password hashes for the devices file.
 *
 * Format: "$pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>" (PBKDF2-HMAC-
 * SHA256, 16-byte random salt, 32-byte output, default 20000 iterations).
 * Verification compares in constant time.  The daemon keeps a cache of
 * verified (hash, password) pairs so a reconnect storm does not pay PBKDF2
 * per device; see server/auth.c.
 */
#ifndef PASSWD_H
#define PASSWD_H

#include <stddef.h>

#define PASSWD_HASH_MAX		128	/* buffer size for one hash string */
#define PASSWD_DEFAULT_ITER	20000

/* Hashes pw[0..len) with a fresh random salt.  0 or negative MPS_ERR_*. */
int	passwd_hash(const char *pw, size_t len, unsigned iterations,
	    char *out, size_t outlen);
/* 1 if pw matches hash, 0 if not, negative MPS_ERR_INVALID if malformed. */
int	passwd_verify(const char *pw, size_t len, const char *hash);
/* 0 if hash is well formed, MPS_ERR_INVALID otherwise. */
int	passwd_check_format(const char *hash);

#endif /* PASSWD_H */
