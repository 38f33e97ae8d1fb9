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
#define PASSWD_MIN_ITER		1000
#define PASSWD_MAX_ITER		10000000
#define PASSWD_MAX_LEN		1024	/* longest password accepted, bytes */

/*
 * Hashes pw[0..len) with a fresh random salt into out (NUL-terminated;
 * PASSWD_HASH_MAX bytes always suffice).  iterations 0 means
 * PASSWD_DEFAULT_ITER.  Returns 0, MPS_ERR_INVALID (iterations outside
 * PASSWD_MIN_ITER..PASSWD_MAX_ITER), MPS_ERR_TOO_LARGE (len >
 * PASSWD_MAX_LEN), MPS_ERR_NO_SPACE (outlen too small) or
 * MPS_ERR_INTERNAL (no randomness).
 */
int	passwd_hash(const char *pw, size_t len, unsigned iterations,
	    char *out, size_t outlen);
/*
 * 1 if pw[0..len) matches hash, 0 if not (also for len > PASSWD_MAX_LEN),
 * MPS_ERR_INVALID if hash is malformed.  Costs one PBKDF2 run at the
 * hash's iteration count; the comparison is constant time.
 */
int	passwd_verify(const char *pw, size_t len, const char *hash);
/*
 * 0 if hash is well formed: the prefix, an iteration count within bounds
 * without leading zeros, 8..32 bytes of salt and 32 bytes of output, both
 * canonical padded base64.  MPS_ERR_INVALID otherwise.
 */
int	passwd_check_format(const char *hash);

#endif /* PASSWD_H */
