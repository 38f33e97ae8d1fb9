/*
 * test_sim_digest.c: the simulator's Digest authentication.  Expected
 * digests come from outside the code under test: RFC 2617's own example,
 * the AMT vector in the shared WS-Man reference (computed there from a
 * real AMT 15 challenge), and a client written here on OpenSSL's MD5.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include "mps_err.h"
#include "sim_wsman.h"

#define T_REALM		"Digest:34BF4B5A0561F95248F58509A406E046"
#define T_LIFE_MS	(300 * 1000)

/* A client's digest, independently: MD5 via EVP, hex by hand. */
static void
t_md5(const char *s, char out[33])
{
	unsigned char	md[16];
	unsigned int	n = 0, i;

	assert_int_equal(EVP_Digest(s, strlen(s), md, &n, EVP_md5(), NULL), 1);
	for (i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static void
t_client(const char *user, const char *realm, const char *pass,
    const char *nonce, const char *nc, const char *cnonce, char out[33])
{
	char	a1[256], ha1[33], ha2[33], all[512];

	snprintf(a1, sizeof(a1), "%s:%s:%s", user, realm, pass);
	t_md5(a1, ha1);
	t_md5("POST:/wsman", ha2);
	snprintf(all, sizeof(all), "%s:%s:%s:%s:auth:%s", ha1, nonce, nc,
	    cnonce, ha2);
	t_md5(all, out);
}

/* The header libcurl sends (unquoted nc and qop, ", " separators). */
static void
t_authz(char *buf, size_t len, const char *user, const char *realm,
    const char *pass, const char *nonce, const char *nc)
{
	char	resp[33];

	t_client(user, realm, pass, nonce, nc, "0a4f113b", resp);
	snprintf(buf, len, "Digest username=\"%s\", realm=\"%s\", "
	    "nonce=\"%s\", uri=\"/wsman\", cnonce=\"0a4f113b\", nc=%s, "
	    "qop=auth, response=\"%s\"", user, realm, nonce, nc, resp);
}

static enum sim_digest_result
t_verify(struct sim_digest *d, const char *authz, uint64_t now)
{
	struct sim_digest_cred	cred = { "admin", "P@ssw0rd", T_REALM };

	return sim_digest_verify(d, authz, "POST", "/wsman", &cred, now,
	    T_LIFE_MS);
}

static void
test_vectors(void **state)
{
	char	out[33];

	/* RFC 2617 section 3.5. */
	assert_int_equal(sim_digest_response("Mufasa", "testrealm@host.com",
	    "Circle Of Life", "GET", "/dir/index.html",
	    "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b",
	    out), 0);
	assert_string_equal(out, "6629fae49393a05397450978507c4ef1");
	/* reference/wsman-amt.md 2.2, AMT 15.0 challenge. */
	assert_int_equal(sim_digest_response("admin", T_REALM, "P@ssw0rd",
	    "POST", "/wsman", "bQali2IAAAAAAAAAn0xaWCOcxNsRcEHX", "00000001",
	    "0a4f113b", out), 0);
	assert_string_equal(out, "a4f7003abd32562e8b14a799499a09d2");
	t_client("admin", T_REALM, "P@ssw0rd",
	    "bQali2IAAAAAAAAAn0xaWCOcxNsRcEHX", "00000001", "0a4f113b", out);
	assert_string_equal(out, "a4f7003abd32562e8b14a799499a09d2");
	assert_int_equal(sim_digest_md5_hex("", 0, out), 0);
	assert_string_equal(out, "d41d8cd98f00b204e9800998ecf8427e");
}

static void
test_challenge_and_counts(void **state)
{
	struct sim_digest	 d;
	const char		*nonce;
	char			 n1[64], h[1024];
	int			 i;

	memset(&d, 0, sizeof(d));
	assert_int_equal(sim_digest_challenge(&d, 1000, &nonce), 0);
	assert_int_equal(strlen(nonce), SIM_DIGEST_NONCE_LEN);
	strcpy(n1, nonce);
	assert_int_equal(t_verify(&d, "", 1000), SIM_DIGEST_MISSING);

	t_authz(h, sizeof(h), "admin", T_REALM, "P@ssw0rd", n1, "00000001");
	assert_int_equal(t_verify(&d, h, 1001), SIM_DIGEST_OK);
	/* The same nc again is a replay, however right the digest. */
	assert_int_equal(t_verify(&d, h, 1002), SIM_DIGEST_REPLAY);
	/* Counting up on the same nonce needs no new challenge. */
	for (i = 2; i <= 5; i++) {
		char nc[16];

		snprintf(nc, sizeof(nc), "%08x", i);
		t_authz(h, sizeof(h), "admin", T_REALM, "P@ssw0rd", n1, nc);
		assert_int_equal(t_verify(&d, h, 1003), SIM_DIGEST_OK);
	}
	/* Out of order within the window (parallel connections): fine
	 * once, then a replay. */
	t_authz(h, sizeof(h), "admin", T_REALM, "P@ssw0rd", n1, "00000009");
	assert_int_equal(t_verify(&d, h, 1004), SIM_DIGEST_OK);
	t_authz(h, sizeof(h), "admin", T_REALM, "P@ssw0rd", n1, "00000007");
	assert_int_equal(t_verify(&d, h, 1004), SIM_DIGEST_OK);
	assert_int_equal(t_verify(&d, h, 1004), SIM_DIGEST_REPLAY);
	/* Far behind the newest: refused. */
	t_authz(h, sizeof(h), "admin", T_REALM, "P@ssw0rd", n1, "000000ff");
	assert_int_equal(t_verify(&d, h, 1005), SIM_DIGEST_OK);
	t_authz(h, sizeof(h), "admin", T_REALM, "P@ssw0rd", n1, "00000008");
	assert_int_equal(t_verify(&d, h, 1005), SIM_DIGEST_REPLAY);
	/* nc 0 is never valid. */
	t_authz(h, sizeof(h), "admin", T_REALM, "P@ssw0rd", n1, "00000000");
	assert_int_equal(t_verify(&d, h, 1005), SIM_DIGEST_REPLAY);
	/* Past its lifetime the nonce is stale (digest right or not). */
	t_authz(h, sizeof(h), "admin", T_REALM, "P@ssw0rd", n1, "00000100");
	assert_int_equal(t_verify(&d, h, 1000 + T_LIFE_MS + 1),
	    SIM_DIGEST_STALE);
}

static void
test_rejections(void **state)
{
	struct sim_digest	 d;
	const char		*nonce;
	char			 n1[64], h[1024], resp[33];

	memset(&d, 0, sizeof(d));
	assert_int_equal(sim_digest_challenge(&d, 0, &nonce), 0);
	strcpy(n1, nonce);
	t_authz(h, sizeof(h), "admin", T_REALM, "wrong", n1, "00000001");
	assert_int_equal(t_verify(&d, h, 1), SIM_DIGEST_BAD_RESPONSE);
	t_authz(h, sizeof(h), "root", T_REALM, "P@ssw0rd", n1, "00000001");
	assert_int_equal(t_verify(&d, h, 1), SIM_DIGEST_WRONG_USER);
	t_authz(h, sizeof(h), "admin", "Digest:00", "P@ssw0rd", n1,
	    "00000001");
	assert_int_equal(t_verify(&d, h, 1), SIM_DIGEST_WRONG_REALM);
	t_authz(h, sizeof(h), "admin", T_REALM, "P@ssw0rd",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "00000001");
	assert_int_equal(t_verify(&d, h, 1), SIM_DIGEST_UNKNOWN_NONCE);
	/* A failed attempt did not burn nc 1. */
	t_authz(h, sizeof(h), "admin", T_REALM, "P@ssw0rd", n1, "00000001");
	assert_int_equal(t_verify(&d, h, 1), SIM_DIGEST_OK);

	t_client("admin", T_REALM, "P@ssw0rd", n1, "00000002", "c", resp);
	/* Another URI than the request's. */
	snprintf(h, sizeof(h), "Digest username=\"admin\",realm=\"%s\","
	    "nonce=\"%s\",uri=\"/other\",qop=\"auth\",response=\"%s\","
	    "nc=\"00000002\",cnonce=\"c\"", T_REALM, n1, resp);
	assert_int_equal(t_verify(&d, h, 1), SIM_DIGEST_WRONG_URI);
	/* RFC 2069 (no qop) and auth-int are not what AMT offers. */
	snprintf(h, sizeof(h), "Digest username=\"admin\",realm=\"%s\","
	    "nonce=\"%s\",uri=\"/wsman\",response=\"%s\"", T_REALM, n1, resp);
	assert_int_equal(t_verify(&d, h, 1), SIM_DIGEST_BAD_QOP);
	snprintf(h, sizeof(h), "Digest username=\"admin\",realm=\"%s\","
	    "nonce=\"%s\",uri=\"/wsman\",qop=auth-int,response=\"%s\","
	    "nc=00000002,cnonce=\"c\"", T_REALM, n1, resp);
	assert_int_equal(t_verify(&d, h, 1), SIM_DIGEST_BAD_QOP);
	/* Open AMT / MeshCentral style: every value quoted, bare commas,
	 * upper-case hex in the response. */
	{
		char	up[33];
		int	i;

		for (i = 0; i < 33; i++)
			up[i] = (char)(resp[i] >= 'a' && resp[i] <= 'f' ?
			    resp[i] - 32 : resp[i]);
		snprintf(h, sizeof(h), "Digest username=\"admin\","
		    "realm=\"%s\",nonce=\"%s\",uri=\"/wsman\",qop=\"auth\","
		    "response=\"%s\",nc=\"00000002\",cnonce=\"c\"", T_REALM,
		    n1, up);
		assert_int_equal(t_verify(&d, h, 1), SIM_DIGEST_OK);
	}
	/* Garbage. */
	assert_int_equal(t_verify(&d, "Basic YWRtaW46eA==", 1),
	    SIM_DIGEST_MALFORMED);
	assert_int_equal(t_verify(&d, "Digest username=\"admin", 1),
	    SIM_DIGEST_MALFORMED);
	assert_int_equal(t_verify(&d, "Digest =x", 1), SIM_DIGEST_MALFORMED);
	assert_int_equal(t_verify(&d, "Digest username=admin,algorithm=SHA-256,"
	    "nonce=x,uri=/wsman,response=y", 1), SIM_DIGEST_MALFORMED);
}

/* Nonces from earlier 401s stay good until more than NONCES are out. */
static void
test_nonce_slots(void **state)
{
	struct sim_digest	 d;
	const char		*nonce;
	char			 n[SIM_DIGEST_NONCES + 1][64], h[1024];
	int			 i;

	memset(&d, 0, sizeof(d));
	for (i = 0; i <= SIM_DIGEST_NONCES; i++) {
		assert_int_equal(sim_digest_challenge(&d, 10, &nonce), 0);
		strcpy(n[i], nonce);
	}
	/* The oldest was replaced, the others all work. */
	t_authz(h, sizeof(h), "admin", T_REALM, "P@ssw0rd", n[0], "00000001");
	assert_int_equal(t_verify(&d, h, 11), SIM_DIGEST_UNKNOWN_NONCE);
	for (i = 1; i <= SIM_DIGEST_NONCES; i++) {
		t_authz(h, sizeof(h), "admin", T_REALM, "P@ssw0rd", n[i],
		    "00000001");
		assert_int_equal(t_verify(&d, h, 11), SIM_DIGEST_OK);
		assert_string_not_equal(n[i], n[i - 1]);
	}
	for (i = 0; i <= SIM_DIGEST_REPLAY; i++)
		assert_string_not_equal(sim_digest_result_name(
		    (enum sim_digest_result)i), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_challenge_and_counts),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_nonce_slots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
