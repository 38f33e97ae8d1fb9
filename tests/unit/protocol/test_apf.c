/*
 * test_apf.c: the APF codec.  Golden vectors (most of them recorded from
 * MeshCentral and Open AMT sessions), every prefix of every message,
 * concatenations split at every position, limits, and GUID text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "apf.h"
#include "mps_err.h"
#include "proto_util.h"

struct vec {
	const char	*what;
	const char	*hex;
	unsigned int	 flags;
	enum apf_type	 type;
};

/* Recorded bytes unless marked "built". */
static const struct vec vecs[] = {
	{ "DISCONNECT (built)", "01 00000002 0000", 0, APF_DISCONNECT },
	{ "SERVICE_REQUEST auth",
	  "05 00000012 6175746840616d742e696e74656c2e636f6d", 0,
	  APF_SERVICE_REQUEST },
	{ "SERVICE_ACCEPT pfwd",
	  "06 00000012 7066776440616d742e696e74656c2e636f6d", 0,
	  APF_SERVICE_ACCEPT },
	{ "USERAUTH_REQUEST Open AMT test device",
	  "32 00000008 6d70737573657231"
	  " 00000012 7066776440616d742e696e74656c2e636f6d"
	  " 00000008 70617373776f7264 00 0000000b 436972612d506173733121",
	  0, APF_USERAUTH_REQUEST },
	{ "USERAUTH_REQUEST method none (built)",
	  "32 00000001 75 00000012 7066776440616d742e696e74656c2e636f6d"
	  " 00000004 6e6f6e65", 0, APF_USERAUTH_REQUEST },
	{ "USERAUTH_FAILURE (MeshCentral minus its padding byte)",
	  "33 00000008 70617373776f7264 00", 0, APF_USERAUTH_FAILURE },
	{ "USERAUTH_SUCCESS", "34", 0, APF_USERAUTH_SUCCESS },
	{ "GLOBAL_REQUEST tcpip-forward 16993",
	  "50 0000000d 74637069702d666f7277617264 01 00000000 00004261", 0,
	  APF_GLOBAL_REQUEST },
	{ "GLOBAL_REQUEST tcpip-forward MeshCentral",
	  "50 0000000d 74637069702d666f7277617264 00 00000006 6d632d646576"
	  " 00004260", 0, APF_GLOBAL_REQUEST },
	{ "GLOBAL_REQUEST cancel-tcpip-forward (built)",
	  "50 00000014 63616e63656c2d74637069702d666f7277617264 01"
	  " 00000000 00004260", 0, APF_GLOBAL_REQUEST },
	{ "GLOBAL_REQUEST udp-send-to (built)",
	  "50 00000019 7564702d73656e642d746f40616d742e696e74656c2e636f6d 00"
	  " 00000008 31302e302e302e31 0000026f"
	  " 00000008 31302e302e302e32 00000400 00000003 616263", 0,
	  APF_GLOBAL_REQUEST },
	{ "REQUEST_SUCCESS with port", "51 00004261",
	  APF_DEC_REQ_SUCCESS_PORT, APF_REQUEST_SUCCESS },
	{ "REQUEST_SUCCESS bare (built)", "51", 0, APF_REQUEST_SUCCESS },
	{ "REQUEST_FAILURE (built)", "52", 0, APF_REQUEST_FAILURE },
	{ "CHANNEL_OPEN Open AMT",
	  "5a 0000000f 666f727761726465642d7463706970 00000004 00014000"
	  " ffffffff 00000000 00004260 00000007 312e322e332e34 00000400", 0,
	  APF_CHANNEL_OPEN },
	{ "CHANNEL_OPEN_CONFIRMATION",
	  "5b 00000004 00000064 00010000 ffffffff", 0,
	  APF_CHANNEL_OPEN_CONFIRMATION },
	{ "CHANNEL_OPEN_FAILURE (built)",
	  "5c 00000004 00000002 00000000 00000000", 0,
	  APF_CHANNEL_OPEN_FAILURE },
	{ "CHANNEL_WINDOW_ADJUST (built)", "5d 00000064 00008000", 0,
	  APF_CHANNEL_WINDOW_ADJUST },
	{ "CHANNEL_DATA last chunk", "5e 00000005 00000005 300d0a0d0a", 0,
	  APF_CHANNEL_DATA },
	{ "CHANNEL_DATA empty (built)", "5e 00000005 00000000", 0,
	  APF_CHANNEL_DATA },
	{ "CHANNEL_CLOSE", "61 00000064", 0, APF_CHANNEL_CLOSE },
	{ "PROTOCOLVERSION Open AMT test device",
	  "c0 00000001 00000000 00000004 00000ace000000408000000000000000"
	  " 0000000000000000000000000000000000000000000000000000000000000000"
	  " 0000000000000000000000000000000000000000000000000000000000000000",
	  0, APF_PROTOCOLVERSION },
	{ "KEEPALIVE_REQUEST (built)", "d0 deadbeef", 0,
	  APF_KEEPALIVE_REQUEST },
	{ "KEEPALIVE_REPLY (built)", "d1 deadbeef", 0, APF_KEEPALIVE_REPLY },
	{ "KEEPALIVE_OPTIONS_REQUEST", "d2 0000001e 00000000", 0,
	  APF_KEEPALIVE_OPTIONS_REQUEST },
	{ "KEEPALIVE_OPTIONS_REPLY", "d3 0000001e 00000000", 0,
	  APF_KEEPALIVE_OPTIONS_REPLY },
};
#define NVECS	(sizeof(vecs) / sizeof(vecs[0]))

static size_t
vec_bytes(const struct vec *v, uint8_t *out, size_t cap)
{
	return pu_hex(v->hex, out, cap);
}

/* Every vector decodes whole, re-encodes to the same bytes. */
static void
test_golden_roundtrip(void **state)
{
	uint8_t in[512], out[512];
	struct apf_msg m;
	size_t i, n, used, olen;

	(void)state;
	for (i = 0; i < NVECS; i++) {
		n = vec_bytes(&vecs[i], in, sizeof(in));
		assert_int_equal(apf_decode_ex(in, n, APF_MAX_DATA,
		    vecs[i].flags, &m, &used), MPS_OK);
		assert_int_equal(used, n);
		assert_int_equal(m.type, vecs[i].type);
		assert_int_equal(apf_encoded_len(&m), n);
		assert_int_equal(apf_encode(&m, out, sizeof(out), &olen),
		    MPS_OK);
		assert_int_equal(olen, n);
		assert_memory_equal(out, in, n);
		/* One byte short of room: NO_SPACE, nothing claimed. */
		assert_int_equal(apf_encode(&m, out, n - 1, &olen),
		    MPS_ERR_NO_SPACE);
		assert_int_equal(olen, 0);
	}
}

static void
decode_hex(const char *hex, unsigned int flags, struct apf_msg *m,
    uint8_t *buf, size_t cap)
{
	size_t n, used;

	n = pu_hex(hex, buf, cap);
	assert_int_equal(apf_decode_ex(buf, n, APF_MAX_DATA, flags, m, &used),
	    MPS_OK);
	assert_int_equal(used, n);
}

/* Field values of the decoded golden vectors. */
static void
test_golden_fields(void **state)
{
	uint8_t b[512];
	char guid[APF_GUID_STRLEN + 1];
	struct apf_msg m;

	(void)state;
	decode_hex(vecs[0].hex, 0, &m, b, sizeof(b));
	assert_int_equal(m.u.disconnect.reason, APF_DISC_PROTOCOL_ERROR);

	decode_hex(vecs[3].hex, 0, &m, b, sizeof(b));
	assert_true(apf_str_eq(m.u.userauth_req.user, "mpsuser1"));
	assert_true(apf_str_eq(m.u.userauth_req.service, APF_SERVICE_PFWD));
	assert_true(apf_str_eq(m.u.userauth_req.method, "password"));
	assert_true(m.u.userauth_req.has_password);
	assert_true(apf_str_eq(m.u.userauth_req.password, "Cira-Pass1!"));
	assert_int_equal(apf_encoded_len(&m), 63);

	decode_hex(vecs[4].hex, 0, &m, b, sizeof(b));
	assert_true(apf_str_eq(m.u.userauth_req.method, "none"));
	assert_false(m.u.userauth_req.has_password);
	assert_int_equal(m.u.userauth_req.password.len, 0);

	decode_hex(vecs[5].hex, 0, &m, b, sizeof(b));
	assert_true(apf_str_eq(m.u.userauth_fail.methods, "password"));
	assert_int_equal(m.u.userauth_fail.partial, 0);

	decode_hex(vecs[8].hex, 0, &m, b, sizeof(b));
	assert_int_equal(m.u.global.kind, APF_GLOBAL_TCPIP_FORWARD);
	assert_true(apf_str_eq(m.u.global.name, "tcpip-forward"));
	assert_int_equal(m.u.global.want_reply, 0);
	assert_true(apf_str_eq(m.u.global.addr, "mc-dev"));
	assert_int_equal(m.u.global.port, 16992);

	decode_hex(vecs[9].hex, 0, &m, b, sizeof(b));
	assert_int_equal(m.u.global.kind, APF_GLOBAL_CANCEL_FORWARD);
	assert_int_equal(m.u.global.port, 16992);

	decode_hex(vecs[10].hex, 0, &m, b, sizeof(b));
	assert_int_equal(m.u.global.kind, APF_GLOBAL_UDP_SEND_TO);
	assert_true(apf_str_eq(m.u.global.addr, "10.0.0.1"));
	assert_int_equal(m.u.global.port, 623);
	assert_true(apf_str_eq(m.u.global.orig_addr, "10.0.0.2"));
	assert_int_equal(m.u.global.orig_port, 1024);
	assert_true(apf_str_eq(m.u.global.data, "abc"));

	decode_hex(vecs[11].hex, APF_DEC_REQ_SUCCESS_PORT, &m, b, sizeof(b));
	assert_true(m.u.req_success.has_port);
	assert_int_equal(m.u.req_success.port, 16993);

	decode_hex(vecs[14].hex, 0, &m, b, sizeof(b));
	assert_true(apf_str_eq(m.u.open.chan_type, APF_CHAN_FORWARDED));
	assert_int_equal(m.u.open.sender, 4);
	assert_int_equal(m.u.open.window, 81920);
	assert_int_equal(m.u.open.reserved, APF_CHANNEL_RESERVED);
	assert_int_equal(m.u.open.conn_addr.len, 0);
	assert_int_equal(m.u.open.conn_port, 16992);
	assert_true(apf_str_eq(m.u.open.orig_addr, "1.2.3.4"));
	assert_int_equal(m.u.open.orig_port, 1024);
	assert_int_equal(apf_encoded_len(&m), 55);

	decode_hex(vecs[15].hex, 0, &m, b, sizeof(b));
	assert_int_equal(m.u.open_confirm.recipient, 4);
	assert_int_equal(m.u.open_confirm.sender, 100);
	assert_int_equal(m.u.open_confirm.window, 65536);

	decode_hex(vecs[16].hex, 0, &m, b, sizeof(b));
	assert_int_equal(m.u.open_failure.recipient, 4);
	assert_int_equal(m.u.open_failure.reason, APF_OPEN_CONNECT_FAILED);

	decode_hex(vecs[18].hex, 0, &m, b, sizeof(b));
	assert_int_equal(m.u.data.recipient, 5);
	assert_int_equal(m.u.data.data.len, 5);
	assert_memory_equal(m.u.data.data.p, "0\r\n\r\n", 5);

	decode_hex(vecs[21].hex, 0, &m, b, sizeof(b));
	assert_int_equal(m.u.version.major, 1);
	assert_int_equal(m.u.version.minor, 0);
	assert_int_equal(m.u.version.trigger, 4);
	apf_guid_format(m.u.version.uuid, guid);
	assert_string_equal(guid, "ce0a0000-0000-4000-8000-000000000000");

	decode_hex(vecs[22].hex, 0, &m, b, sizeof(b));
	assert_int_equal(m.u.keepalive.cookie, 0xdeadbeef);
	decode_hex(vecs[25].hex, 0, &m, b, sizeof(b));
	assert_int_equal(m.u.ka_options.interval, 30);
	assert_int_equal(m.u.ka_options.timeout, 0);
}

/* Every proper prefix of every message: INCOMPLETE, never anything else. */
static void
test_truncation(void **state)
{
	uint8_t in[512];
	struct apf_msg m;
	size_t i, k, n, used;
	int rc;

	(void)state;
	for (i = 0; i < NVECS; i++) {
		n = vec_bytes(&vecs[i], in, sizeof(in));
		for (k = 0; k < n; k++) {
			used = 99;
			rc = apf_decode_ex(in, k, APF_MAX_DATA, vecs[i].flags,
			    &m, &used);
			if (rc != MPS_ERR_INCOMPLETE)
				fail_msg("%s: prefix %zu gave %s", vecs[i].what,
				    k, mps_errname(rc));
			assert_int_equal(used, 0);
		}
	}
}

/*
 * The vectors back to back (1-byte REQUEST_SUCCESS only: the 5-byte form
 * needs the flag), split into two reads at every position, decode to the
 * same messages as the whole stream.
 */
static void
test_concat_split(void **state)
{
	uint8_t stream[8192], buf[8192];
	size_t lens[NVECS], nv = 0, total = 0, i, split, have, off, used;
	size_t got, fed;
	struct apf_msg m;
	int rc;

	(void)state;
	for (i = 0; i < NVECS; i++) {
		if (vecs[i].flags != 0)
			continue;
		lens[nv++] = vec_bytes(&vecs[i], stream + total,
		    sizeof(stream) - total);
		total += lens[nv - 1];
	}
	for (split = 0; split <= total; split++) {
		have = 0;
		got = 0;
		fed = 0;
		/* First read: split bytes; second read: the rest. */
		for (int step = 0; step < 2; step++) {
			size_t add = step == 0 ? split : total - split;

			memcpy(buf + have, stream + fed, add);
			have += add;
			fed += add;
			off = 0;
			while ((rc = apf_decode(buf + off, have - off,
			    APF_MAX_DATA, &m, &used)) == MPS_OK) {
				assert_int_equal(used, lens[got]);
				got++;
				off += used;
			}
			assert_int_equal(rc, MPS_ERR_INCOMPLETE);
			memmove(buf, buf + off, have - off);
			have -= off;
		}
		assert_int_equal(got, nv);
		assert_int_equal(have, 0);
	}
}

/* The REQUEST_SUCCESS flag decides 1 vs 5 bytes on the same stream. */
static void
test_request_success_flag(void **state)
{
	uint8_t b[16];
	struct apf_msg m;
	size_t n, used;

	(void)state;
	n = pu_hex("51 00004261 51", b, sizeof(b));
	assert_int_equal(apf_decode_ex(b, n, 0, APF_DEC_REQ_SUCCESS_PORT, &m,
	    &used), MPS_OK);
	assert_int_equal(used, 5);
	assert_int_equal(m.u.req_success.port, 0x4261);
	assert_int_equal(apf_decode(b, n, 0, &m, &used), MPS_OK);
	assert_int_equal(used, 1);
	assert_false(m.u.req_success.has_port);
	/* With the flag, 1..4 bytes are not enough. */
	assert_int_equal(apf_decode_ex(b, 4, 0, APF_DEC_REQ_SUCCESS_PORT, &m,
	    &used), MPS_ERR_INCOMPLETE);
	/* Encoding follows has_port. */
	m.type = APF_REQUEST_SUCCESS;
	m.u.req_success.has_port = 1;
	m.u.req_success.port = 16993;
	assert_int_equal(apf_encoded_len(&m), 5);
	m.u.req_success.has_port = 0;
	assert_int_equal(apf_encoded_len(&m), 1);
}

static int
decode_rc(const char *hex, size_t max_data, struct apf_msg *m)
{
	uint8_t b[256];
	size_t n, used = 77;
	int rc;

	n = pu_hex(hex, b, sizeof(b));
	rc = apf_decode(b, n, max_data, m, &used);
	if (rc != MPS_OK)
		assert_int_equal(used, 0);
	return rc;
}

static void
test_limits(void **state)
{
	struct apf_msg m;

	(void)state;
	/* Oversize strings are refused from the length alone. */
	assert_int_equal(decode_rc("05 00000801", 0, &m), MPS_ERR_TOO_LARGE);
	assert_int_equal(decode_rc("05 00000800", 0, &m), MPS_ERR_INCOMPLETE);
	assert_int_equal(decode_rc("05 ffffffff", 0, &m), MPS_ERR_TOO_LARGE);
	assert_int_equal(decode_rc("32 00000001 41 ffffffff", 0, &m),
	    MPS_ERR_TOO_LARGE);
	assert_int_equal(decode_rc("5a ffffffff", 0, &m), MPS_ERR_TOO_LARGE);
	assert_int_equal(decode_rc("50 ffffffff", 0, &m), MPS_ERR_TOO_LARGE);
	assert_int_equal(decode_rc("50 0000000d 74637069702d666f7277617264 01"
	    " fffffff0", 0, &m), MPS_ERR_TOO_LARGE);
	/* CHANNEL_DATA against the caller's cap, and the hard cap. */
	assert_int_equal(decode_rc("5e 00000004 00000011", 16, &m),
	    MPS_ERR_TOO_LARGE);
	assert_int_equal(decode_rc("5e 00000004 00000010", 16, &m),
	    MPS_ERR_INCOMPLETE);
	assert_int_equal(decode_rc("5e 00000004 ffffffff", SIZE_MAX, &m),
	    MPS_ERR_TOO_LARGE);
	assert_int_equal(decode_rc("5e 00000004 00100001", SIZE_MAX, &m),
	    MPS_ERR_TOO_LARGE);
	assert_int_equal(decode_rc("5e 00000004 00100000", SIZE_MAX, &m),
	    MPS_ERR_INCOMPLETE);
	assert_int_equal(decode_rc("5e 00000004 00000001", 0, &m),
	    MPS_ERR_TOO_LARGE);
	/* The largest wait is bounded. */
	assert_int_equal(apf_max_message(0), 1 + 4 * (4 + APF_MAX_STRING) + 1);
	assert_int_equal(apf_max_message(65536), 9 + 65536);
	assert_int_equal(apf_max_message(SIZE_MAX), 9 + APF_MAX_DATA);
}

static void
test_unknown(void **state)
{
	static const int bad[] = { 0, 2, 3, 4, 7, 49, 53, 60, 79, 83, 89, 95,
	    96, 98, 99, 100, 191, 193, 207, 212, 250, 255 };
	uint8_t b[4];
	struct apf_msg m;
	size_t i, used;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b[0] = (uint8_t)bad[i];
		assert_int_equal(apf_decode(b, 1, 0, &m, &used),
		    MPS_ERR_UNKNOWN_TYPE);
		assert_null(apf_type_name(bad[i]));
	}
	assert_string_equal(apf_type_name(APF_CHANNEL_DATA), "CHANNEL_DATA");
	assert_string_equal(apf_type_name(192), "PROTOCOLVERSION");
	/* Empty input is simply incomplete. */
	assert_int_equal(apf_decode(b, 0, 0, &m, &used), MPS_ERR_INCOMPLETE);

	/* Unknown global request: name and want_reply kept for the reply. */
	assert_int_equal(decode_rc("50 00000008 6b656570616c6976 01 00000000",
	    0, &m), MPS_ERR_UNKNOWN_REQUEST);
	assert_int_equal(m.type, APF_GLOBAL_REQUEST);
	assert_true(apf_str_eq(m.u.global.name, "keepaliv"));
	assert_int_equal(m.u.global.want_reply, 1);
	assert_int_equal(decode_rc("50 00000003 616263 00", 0, &m),
	    MPS_ERR_UNKNOWN_REQUEST);
	assert_int_equal(m.u.global.want_reply, 0);
	/* ... but only once want_reply is there. */
	assert_int_equal(decode_rc("50 00000003 616263", 0, &m),
	    MPS_ERR_INCOMPLETE);
	/* A prefix of a known name is unknown. */
	assert_int_equal(decode_rc("50 00000005 7463706970 01", 0, &m),
	    MPS_ERR_UNKNOWN_REQUEST);

	/* USERAUTH password change (TRUE) is not APF. */
	assert_int_equal(decode_rc("32 00000001 75 00000001 73"
	    " 00000008 70617373776f7264 01 00000001 70", 0, &m),
	    MPS_ERR_INVALID);
}

static void
test_encode_errors(void **state)
{
	static uint8_t big[APF_MAX_STRING + 1];
	uint8_t out[64];
	struct apf_msg m;
	size_t len;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = (enum apf_type)77;
	assert_int_equal(apf_encode(&m, out, sizeof(out), &len),
	    MPS_ERR_INVALID);
	assert_int_equal(apf_encoded_len(&m), 0);

	m.type = APF_SERVICE_REQUEST;
	m.u.service.name.p = big;
	m.u.service.name.len = sizeof(big);
	assert_int_equal(apf_encoded_len(&m), 0);
	assert_int_equal(apf_encode(&m, out, sizeof(out), &len),
	    MPS_ERR_INVALID);
	m.u.service.name.len = APF_MAX_STRING;
	assert_int_equal(apf_encoded_len(&m), 5 + APF_MAX_STRING);
	assert_int_equal(apf_encode(&m, out, sizeof(out), &len),
	    MPS_ERR_NO_SPACE);
	/* A length without bytes behind it is refused. */
	m.u.service.name.p = NULL;
	m.u.service.name.len = 3;
	assert_int_equal(apf_encoded_len(&m), 0);

	memset(&m, 0, sizeof(m));
	m.type = APF_CHANNEL_DATA;
	m.u.data.data.p = big;
	m.u.data.data.len = APF_MAX_DATA + 1;
	assert_int_equal(apf_encoded_len(&m), 0);

	/* kind 0 encodes a bare request by name (for testing peers). */
	memset(&m, 0, sizeof(m));
	m.type = APF_GLOBAL_REQUEST;
	m.u.global.name = apf_cstr("xyz");
	m.u.global.want_reply = 1;
	assert_int_equal(apf_encode(&m, out, sizeof(out), &len), MPS_OK);
	assert_int_equal(len, 9);
	assert_memory_equal(out, "\x50\0\0\0\x03xyz\x01", 9);

	/* USERAUTH_FAILURE is 14 bytes; DISCONNECT 7; OPEN_FAILURE 17. */
	memset(&m, 0, sizeof(m));
	m.type = APF_USERAUTH_FAILURE;
	m.u.userauth_fail.methods = apf_cstr("password");
	assert_int_equal(apf_encoded_len(&m), 14);
	m.type = APF_DISCONNECT;
	assert_int_equal(apf_encoded_len(&m), 7);
	m.type = APF_CHANNEL_OPEN_FAILURE;
	assert_int_equal(apf_encoded_len(&m), 17);
	m.type = APF_PROTOCOLVERSION;
	assert_int_equal(apf_encoded_len(&m), 93);
}

/* Every recorded message decodes whole and re-encodes byte for byte. */
static void
test_fixture_messages(void **state)
{
	static const char *files[] = {
		"meshcentral-client_meshcentral-mps_auth-ok.messages.jsonl",
		"meshcentral-client_meshcentral-mps_auth-fail.messages.jsonl",
		"test-device_openamt-mps_power-boot-version.messages.jsonl",
	};
	struct pu_chunk *c;
	struct apf_msg m;
	uint8_t *out;
	size_t f, i, n, used, olen, checked = 0;

	(void)state;
	for (f = 0; f < 3; f++) {
		n = pu_load_jsonl(files[f], &c);
		assert_true(n > 0);
		for (i = 0; i < n; i++) {
			if (strncmp(c[i].name, "PADDING", 7) == 0)
				continue;	/* MeshCentral's extra 0 byte */
			assert_int_equal(apf_decode_ex(c[i].p, c[i].len,
			    APF_MAX_DATA, APF_DEC_REQ_SUCCESS_PORT, &m, &used),
			    MPS_OK);
			assert_int_equal(used, c[i].len);
			assert_string_equal(apf_type_name(m.type), c[i].name);
			out = malloc(c[i].len);
			assert_non_null(out);
			assert_int_equal(apf_encode(&m, out, c[i].len, &olen),
			    MPS_OK);
			assert_int_equal(olen, c[i].len);
			assert_memory_equal(out, c[i].p, olen);
			free(out);
			checked++;
		}
		pu_free_chunks(c, n);
	}
	assert_true(checked > 250);
}

static void
test_guid(void **state)
{
	uint8_t u[APF_UUID_LEN], back[APF_UUID_LEN];
	char s[APF_GUID_STRLEN + 1];
	int i;

	(void)state;
	for (i = 0; i < APF_UUID_LEN; i++)
		u[i] = (uint8_t)i;
	apf_guid_format(u, s);
	assert_string_equal(s, "03020100-0504-0706-0809-0a0b0c0d0e0f");
	assert_int_equal(apf_guid_parse(s, back), MPS_OK);
	assert_memory_equal(back, u, APF_UUID_LEN);
	/* MeshCentral fixture's UUID bytes. */
	pu_hex("78563412bc9af1de23450000000000aa", u, sizeof(u));
	apf_guid_format(u, s);
	assert_string_equal(s, "12345678-9abc-def1-2345-0000000000aa");
	assert_int_equal(apf_guid_parse("12345678-9ABC-DEF1-2345-0000000000AA",
	    back), MPS_OK);
	assert_memory_equal(back, u, APF_UUID_LEN);
	for (i = 0; i < APF_UUID_LEN; i++)
		u[i] = (uint8_t)(0xf0 | i);
	apf_guid_format(u, s);
	assert_int_equal(apf_guid_parse(s, back), MPS_OK);
	assert_memory_equal(back, u, APF_UUID_LEN);

	memset(back, 0x5a, sizeof(back));
	assert_int_equal(apf_guid_parse("", back), MPS_ERR_INVALID);
	assert_int_equal(apf_guid_parse(NULL, back), MPS_ERR_INVALID);
	assert_int_equal(apf_guid_parse("03020100-0504-0706-0809-0a0b0c0d0e0",
	    back), MPS_ERR_INVALID);
	assert_int_equal(apf_guid_parse("03020100-0504-0706-0809-0a0b0c0d0e0f0",
	    back), MPS_ERR_INVALID);
	assert_int_equal(apf_guid_parse("03020100x0504-0706-0809-0a0b0c0d0e0f",
	    back), MPS_ERR_INVALID);
	assert_int_equal(apf_guid_parse("0302010-00504-0706-0809-0a0b0c0d0e0f",
	    back), MPS_ERR_INVALID);
	assert_int_equal(apf_guid_parse("03020100-0504-0706-0809-0a0b0c0d0e0g",
	    back), MPS_ERR_INVALID);
	/* Failure leaves the output alone. */
	assert_int_equal(back[0], 0x5a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_roundtrip),
		cmocka_unit_test(test_golden_fields),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_concat_split),
		cmocka_unit_test(test_request_success_flag),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_encode_errors),
		cmocka_unit_test(test_fixture_messages),
		cmocka_unit_test(test_guid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
