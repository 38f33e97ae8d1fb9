/*
 * apf.c: APF message codec and GUID text.
 *
 * APF over CIRA has no outer framing, so the decoder rebuilds message
 * boundaries from each type's layout.  Every field is read through the
 * bounded reader: a short buffer can only ever give MPS_ERR_INCOMPLETE, and
 * every declared length is compared with its cap before we would wait for
 * the bytes, so a peer cannot make us hold more than apf_max_message().
 */
#include <string.h>

#include "abuf.h"
#include "apf.h"
#include "mps_err.h"

/* Fixed sizes of the messages without strings (type byte included). */
#define APF_LEN_DISCONNECT	7
#define APF_LEN_VERSION		93
#define APF_LEN_OPEN_REPLY	17	/* confirmation and failure */
#define APF_LEN_WINDOW_ADJUST	9
#define APF_LEN_DATA_HDR	9
#define APF_LEN_CLOSE		5
#define APF_LEN_KEEPALIVE	5
#define APF_LEN_KA_OPTIONS	9
#define APF_VERSION_RESERVED	64

/*
 * Largest messages with strings, each string at APF_MAX_STRING.  A global
 * request's name is checked against the known names as soon as it is
 * complete, so only udp-send-to (25-byte name) can grow past the header.
 */
#define APF_LEN_USERAUTH_MAX	(1 + 4 * (4 + APF_MAX_STRING) + 1)
#define APF_LEN_OPEN_MAX	(1 + 3 * (4 + APF_MAX_STRING) + 5 * 4)
#define APF_LEN_UDP_MAX		(1 + (4 + sizeof(APF_REQ_UDP_SEND_TO) - 1) + \
				 1 + 3 * (4 + APF_MAX_STRING) + 2 * 4)

const char *
apf_type_name(int type)
{
	switch (type) {
#define APF_TYPE_CASE(name, val) case val: return #name;
	APF_MESSAGES(APF_TYPE_CASE)
#undef APF_TYPE_CASE
	}
	return NULL;
}

struct apf_str
apf_cstr(const char *s)
{
	struct apf_str r;

	r.p = (const uint8_t *)s;
	r.len = s == NULL ? 0 : (uint32_t)strlen(s);
	return r;
}

int
apf_str_eq(struct apf_str s, const char *lit)
{
	size_t n = strlen(lit);

	if (s.len != n)
		return 0;
	return n == 0 || memcmp(s.p, lit, n) == 0;
}

size_t
apf_max_message(size_t max_data)
{
	size_t m = APF_LEN_USERAUTH_MAX;

	if (max_data > APF_MAX_DATA)
		max_data = APF_MAX_DATA;
	if (APF_LEN_UDP_MAX > m)
		m = APF_LEN_UDP_MAX;
	if (APF_LEN_OPEN_MAX > m)
		m = APF_LEN_OPEN_MAX;
	if (APF_LEN_DATA_HDR + max_data > m)
		m = APF_LEN_DATA_HDR + max_data;
	return m;
}

/* Decoding: one static function per layout, all on the bounded reader. */

static int
apf_get_str(struct abuf_rd *r, struct apf_str *s, uint32_t max)
{
	return abuf_get_string(r, &s->p, &s->len, max);
}

static int
apf_dec_userauth_req(struct abuf_rd *r, struct apf_msg *m)
{
	uint8_t change;
	int rc;

	if ((rc = apf_get_str(r, &m->u.userauth_req.user,
	    APF_MAX_STRING)) != 0 ||
	    (rc = apf_get_str(r, &m->u.userauth_req.service,
	    APF_MAX_STRING)) != 0 ||
	    (rc = apf_get_str(r, &m->u.userauth_req.method,
	    APF_MAX_STRING)) != 0)
		return rc;
	/*
	 * Only "password" carries a body (FALSE + password), as in LMS.  MC
	 * and IMPS assume it for every method and over-consume by 5 bytes.
	 * Other SSH methods are not used by AMT; "none" has no body.
	 */
	if (!apf_str_eq(m->u.userauth_req.method, APF_METHOD_PASSWORD))
		return MPS_OK;
	if ((rc = abuf_get_u8(r, &change)) != 0)
		return rc;
	/* TRUE would be a password change with a second string: not APF. */
	if (change != 0)
		return MPS_ERR_INVALID;
	if ((rc = apf_get_str(r, &m->u.userauth_req.password,
	    APF_MAX_STRING)) != 0)
		return rc;
	m->u.userauth_req.has_password = 1;
	return MPS_OK;
}

static int
apf_dec_global(struct abuf_rd *r, struct apf_msg *m)
{
	struct apf_str name;
	int rc;

	if ((rc = apf_get_str(r, &name, APF_MAX_STRING)) != 0 ||
	    (rc = abuf_get_u8(r, &m->u.global.want_reply)) != 0)
		return rc;
	m->u.global.name = name;
	if (apf_str_eq(name, APF_REQ_TCPIP_FORWARD))
		m->u.global.kind = APF_GLOBAL_TCPIP_FORWARD;
	else if (apf_str_eq(name, APF_REQ_CANCEL_FORWARD))
		m->u.global.kind = APF_GLOBAL_CANCEL_FORWARD;
	else if (apf_str_eq(name, APF_REQ_UDP_SEND_TO))
		m->u.global.kind = APF_GLOBAL_UDP_SEND_TO;
	else
		/* The body's length is unknowable: the stream ends here. */
		return MPS_ERR_UNKNOWN_REQUEST;

	if ((rc = apf_get_str(r, &m->u.global.addr, APF_MAX_STRING)) != 0 ||
	    (rc = abuf_get_u32(r, &m->u.global.port)) != 0)
		return rc;
	if (m->u.global.kind != APF_GLOBAL_UDP_SEND_TO)
		return MPS_OK;
	if ((rc = apf_get_str(r, &m->u.global.orig_addr,
	    APF_MAX_STRING)) != 0 ||
	    (rc = abuf_get_u32(r, &m->u.global.orig_port)) != 0 ||
	    (rc = apf_get_str(r, &m->u.global.data, APF_MAX_STRING)) != 0)
		return rc;
	return MPS_OK;
}

static int
apf_dec_open(struct abuf_rd *r, struct apf_msg *m)
{
	int rc;

	/*
	 * forwarded-tcpip and direct-tcpip share this layout and APF has no
	 * other channel type; the type string is left for the caller to judge.
	 */
	if ((rc = apf_get_str(r, &m->u.open.chan_type, APF_MAX_STRING)) != 0 ||
	    (rc = abuf_get_u32(r, &m->u.open.sender)) != 0 ||
	    (rc = abuf_get_u32(r, &m->u.open.window)) != 0 ||
	    (rc = abuf_get_u32(r, &m->u.open.reserved)) != 0 ||
	    (rc = apf_get_str(r, &m->u.open.conn_addr, APF_MAX_STRING)) != 0 ||
	    (rc = abuf_get_u32(r, &m->u.open.conn_port)) != 0 ||
	    (rc = apf_get_str(r, &m->u.open.orig_addr, APF_MAX_STRING)) != 0 ||
	    (rc = abuf_get_u32(r, &m->u.open.orig_port)) != 0)
		return rc;
	return MPS_OK;
}

static int
apf_dec_version(struct abuf_rd *r, struct apf_msg *m)
{
	int rc;

	if ((rc = abuf_get_u32(r, &m->u.version.major)) != 0 ||
	    (rc = abuf_get_u32(r, &m->u.version.minor)) != 0 ||
	    (rc = abuf_get_u32(r, &m->u.version.trigger)) != 0 ||
	    (rc = abuf_get_bytes(r, m->u.version.uuid, APF_UUID_LEN)) != 0 ||
	    (rc = abuf_skip(r, APF_VERSION_RESERVED)) != 0)
		return rc;
	return MPS_OK;
}

/* The body after the type byte; rc 0 means r is just past the message. */
static int
apf_dec_body(struct abuf_rd *r, size_t max_data, unsigned int flags,
    struct apf_msg *m)
{
	uint32_t skip32;
	uint16_t skip16;
	int rc;

	switch (m->type) {
	case APF_DISCONNECT:
		/* The u16 is reserved; its value is not ours to judge. */
		if ((rc = abuf_get_u32(r, &m->u.disconnect.reason)) != 0 ||
		    (rc = abuf_get_u16(r, &skip16)) != 0)
			return rc;
		return MPS_OK;
	case APF_SERVICE_REQUEST:
	case APF_SERVICE_ACCEPT:
		return apf_get_str(r, &m->u.service.name, APF_MAX_STRING);
	case APF_USERAUTH_REQUEST:
		return apf_dec_userauth_req(r, m);
	case APF_USERAUTH_FAILURE:
		/*
		 * SSH's one partial-success byte.  MeshCentral and Open AMT add
		 * a second zero byte; a peer reading theirs closes right after.
		 */
		if ((rc = apf_get_str(r, &m->u.userauth_fail.methods,
		    APF_MAX_STRING)) != 0 ||
		    (rc = abuf_get_u8(r, &m->u.userauth_fail.partial)) != 0)
			return rc;
		return MPS_OK;
	case APF_USERAUTH_SUCCESS:
	case APF_REQUEST_FAILURE:
		return MPS_OK;
	case APF_GLOBAL_REQUEST:
		return apf_dec_global(r, m);
	case APF_REQUEST_SUCCESS:
		if ((flags & APF_DEC_REQ_SUCCESS_PORT) == 0)
			return MPS_OK;
		if ((rc = abuf_get_u32(r, &m->u.req_success.port)) != 0)
			return rc;
		m->u.req_success.has_port = 1;
		return MPS_OK;
	case APF_CHANNEL_OPEN:
		return apf_dec_open(r, m);
	case APF_CHANNEL_OPEN_CONFIRMATION:
		if ((rc = abuf_get_u32(r, &m->u.open_confirm.recipient)) != 0 ||
		    (rc = abuf_get_u32(r, &m->u.open_confirm.sender)) != 0 ||
		    (rc = abuf_get_u32(r, &m->u.open_confirm.window)) != 0 ||
		    (rc = abuf_get_u32(r, &m->u.open_confirm.reserved)) != 0)
			return rc;
		return MPS_OK;
	case APF_CHANNEL_OPEN_FAILURE:
		/* Two reserved u32s where SSH has description and language. */
		if ((rc = abuf_get_u32(r, &m->u.open_failure.recipient)) != 0 ||
		    (rc = abuf_get_u32(r, &m->u.open_failure.reason)) != 0 ||
		    (rc = abuf_get_u32(r, &skip32)) != 0 ||
		    (rc = abuf_get_u32(r, &skip32)) != 0)
			return rc;
		return MPS_OK;
	case APF_CHANNEL_WINDOW_ADJUST:
		if ((rc = abuf_get_u32(r, &m->u.window_adjust.recipient)) != 0 ||
		    (rc = abuf_get_u32(r, &m->u.window_adjust.bytes)) != 0)
			return rc;
		return MPS_OK;
	case APF_CHANNEL_DATA:
		if ((rc = abuf_get_u32(r, &m->u.data.recipient)) != 0)
			return rc;
		return apf_get_str(r, &m->u.data.data, (uint32_t)max_data);
	case APF_CHANNEL_CLOSE:
		return abuf_get_u32(r, &m->u.close.recipient);
	case APF_PROTOCOLVERSION:
		return apf_dec_version(r, m);
	case APF_KEEPALIVE_REQUEST:
	case APF_KEEPALIVE_REPLY:
		return abuf_get_u32(r, &m->u.keepalive.cookie);
	case APF_KEEPALIVE_OPTIONS_REQUEST:
	case APF_KEEPALIVE_OPTIONS_REPLY:
		if ((rc = abuf_get_u32(r, &m->u.ka_options.interval)) != 0 ||
		    (rc = abuf_get_u32(r, &m->u.ka_options.timeout)) != 0)
			return rc;
		return MPS_OK;
	}
	return MPS_ERR_UNKNOWN_TYPE;
}

int
apf_decode_ex(const uint8_t *buf, size_t len, size_t max_data,
    unsigned int flags, struct apf_msg *m, size_t *consumed)
{
	struct abuf_rd r;
	uint8_t type;
	int rc;

	memset(m, 0, sizeof(*m));
	*consumed = 0;
	if (max_data > APF_MAX_DATA)
		max_data = APF_MAX_DATA;
	abuf_rd_init(&r, buf, len);
	if ((rc = abuf_get_u8(&r, &type)) != 0)
		return rc;
	if (apf_type_name(type) == NULL)
		return MPS_ERR_UNKNOWN_TYPE;
	m->type = (enum apf_type)type;
	rc = apf_dec_body(&r, max_data, flags, m);
	if (rc == MPS_OK) {
		*consumed = abuf_rd_offset(&r);
		return MPS_OK;
	}
	if (rc == MPS_ERR_UNKNOWN_REQUEST) {
		/* Keep type, name and want_reply so the caller can refuse. */
		struct apf_str name = m->u.global.name;
		uint8_t want = m->u.global.want_reply;

		memset(&m->u, 0, sizeof(m->u));
		m->u.global.name = name;
		m->u.global.want_reply = want;
		return rc;
	}
	memset(m, 0, sizeof(*m));
	return rc;
}

int
apf_decode(const uint8_t *buf, size_t len, size_t max_data,
    struct apf_msg *m, size_t *consumed)
{
	return apf_decode_ex(buf, len, max_data, 0, m, consumed);
}

/* Encoding. */

/* A string we are about to send: bounded and with bytes behind it. */
static int
apf_str_ok(struct apf_str s, uint32_t max)
{
	return s.len <= max && (s.len == 0 || s.p != NULL);
}

#define STRLEN(s)	(4 + (size_t)(s).len)

/* Exact size of m on the wire, or 0 if it cannot be encoded. */
static size_t
apf_layout_len(const struct apf_msg *m)
{
	const struct apf_str *s;
	size_t n;

	switch (m->type) {
	case APF_DISCONNECT:
		return APF_LEN_DISCONNECT;
	case APF_SERVICE_REQUEST:
	case APF_SERVICE_ACCEPT:
		if (!apf_str_ok(m->u.service.name, APF_MAX_STRING))
			return 0;
		return 1 + STRLEN(m->u.service.name);
	case APF_USERAUTH_REQUEST:
		if (!apf_str_ok(m->u.userauth_req.user, APF_MAX_STRING) ||
		    !apf_str_ok(m->u.userauth_req.service, APF_MAX_STRING) ||
		    !apf_str_ok(m->u.userauth_req.method, APF_MAX_STRING))
			return 0;
		n = 1 + STRLEN(m->u.userauth_req.user) +
		    STRLEN(m->u.userauth_req.service) +
		    STRLEN(m->u.userauth_req.method);
		if (!apf_str_eq(m->u.userauth_req.method, APF_METHOD_PASSWORD))
			return n;
		if (!apf_str_ok(m->u.userauth_req.password, APF_MAX_STRING))
			return 0;
		return n + 1 + STRLEN(m->u.userauth_req.password);
	case APF_USERAUTH_FAILURE:
		if (!apf_str_ok(m->u.userauth_fail.methods, APF_MAX_STRING))
			return 0;
		return 1 + STRLEN(m->u.userauth_fail.methods) + 1;
	case APF_USERAUTH_SUCCESS:
	case APF_REQUEST_FAILURE:
		return 1;
	case APF_GLOBAL_REQUEST:
		switch (m->u.global.kind) {
		case APF_GLOBAL_TCPIP_FORWARD:
		case APF_GLOBAL_CANCEL_FORWARD:
			if (!apf_str_ok(m->u.global.addr, APF_MAX_STRING))
				return 0;
			return 1 + 4 + strlen(m->u.global.kind ==
			    APF_GLOBAL_TCPIP_FORWARD ? APF_REQ_TCPIP_FORWARD :
			    APF_REQ_CANCEL_FORWARD) + 1 +
			    STRLEN(m->u.global.addr) + 4;
		case APF_GLOBAL_UDP_SEND_TO:
			if (!apf_str_ok(m->u.global.addr, APF_MAX_STRING) ||
			    !apf_str_ok(m->u.global.orig_addr,
			    APF_MAX_STRING) ||
			    !apf_str_ok(m->u.global.data, APF_MAX_STRING))
				return 0;
			return 1 + 4 + strlen(APF_REQ_UDP_SEND_TO) + 1 +
			    STRLEN(m->u.global.addr) + 4 +
			    STRLEN(m->u.global.orig_addr) + 4 +
			    STRLEN(m->u.global.data);
		}
		/* kind 0: a bare request by name (tests of unknown names). */
		s = &m->u.global.name;
		if (!apf_str_ok(*s, APF_MAX_STRING))
			return 0;
		return 1 + STRLEN(*s) + 1;
	case APF_REQUEST_SUCCESS:
		return m->u.req_success.has_port ? 5 : 1;
	case APF_CHANNEL_OPEN:
		if (!apf_str_ok(m->u.open.chan_type, APF_MAX_STRING) ||
		    !apf_str_ok(m->u.open.conn_addr, APF_MAX_STRING) ||
		    !apf_str_ok(m->u.open.orig_addr, APF_MAX_STRING))
			return 0;
		return 1 + STRLEN(m->u.open.chan_type) + 12 +
		    STRLEN(m->u.open.conn_addr) + 4 +
		    STRLEN(m->u.open.orig_addr) + 4;
	case APF_CHANNEL_OPEN_CONFIRMATION:
	case APF_CHANNEL_OPEN_FAILURE:
		return APF_LEN_OPEN_REPLY;
	case APF_CHANNEL_WINDOW_ADJUST:
		return APF_LEN_WINDOW_ADJUST;
	case APF_CHANNEL_DATA:
		if (!apf_str_ok(m->u.data.data, APF_MAX_DATA))
			return 0;
		return APF_LEN_DATA_HDR + m->u.data.data.len;
	case APF_CHANNEL_CLOSE:
		return APF_LEN_CLOSE;
	case APF_PROTOCOLVERSION:
		return APF_LEN_VERSION;
	case APF_KEEPALIVE_REQUEST:
	case APF_KEEPALIVE_REPLY:
		return APF_LEN_KEEPALIVE;
	case APF_KEEPALIVE_OPTIONS_REQUEST:
	case APF_KEEPALIVE_OPTIONS_REPLY:
		return APF_LEN_KA_OPTIONS;
	}
	return 0;
}

size_t
apf_encoded_len(const struct apf_msg *m)
{
	return apf_layout_len(m);
}

static void
apf_put_str(struct abuf_wr *w, struct apf_str s)
{
	abuf_put_string(w, s.p, s.len);
}

static void
apf_put_cstr(struct abuf_wr *w, const char *s)
{
	abuf_put_string(w, s, strlen(s));
}

/* Writes the body after the type byte; m was validated by the caller. */
static void
apf_enc_body(const struct apf_msg *m, struct abuf_wr *w)
{
	static const uint8_t zeros[APF_VERSION_RESERVED];

	switch (m->type) {
	case APF_DISCONNECT:
		abuf_put_u32(w, m->u.disconnect.reason);
		abuf_put_u16(w, 0);
		break;
	case APF_SERVICE_REQUEST:
	case APF_SERVICE_ACCEPT:
		apf_put_str(w, m->u.service.name);
		break;
	case APF_USERAUTH_REQUEST:
		apf_put_str(w, m->u.userauth_req.user);
		apf_put_str(w, m->u.userauth_req.service);
		apf_put_str(w, m->u.userauth_req.method);
		if (apf_str_eq(m->u.userauth_req.method, APF_METHOD_PASSWORD)) {
			abuf_put_u8(w, 0);
			apf_put_str(w, m->u.userauth_req.password);
		}
		break;
	case APF_USERAUTH_FAILURE:
		apf_put_str(w, m->u.userauth_fail.methods);
		abuf_put_u8(w, m->u.userauth_fail.partial);
		break;
	case APF_USERAUTH_SUCCESS:
	case APF_REQUEST_FAILURE:
		break;
	case APF_GLOBAL_REQUEST:
		switch (m->u.global.kind) {
		case APF_GLOBAL_TCPIP_FORWARD:
			apf_put_cstr(w, APF_REQ_TCPIP_FORWARD);
			break;
		case APF_GLOBAL_CANCEL_FORWARD:
			apf_put_cstr(w, APF_REQ_CANCEL_FORWARD);
			break;
		case APF_GLOBAL_UDP_SEND_TO:
			apf_put_cstr(w, APF_REQ_UDP_SEND_TO);
			break;
		default:
			apf_put_str(w, m->u.global.name);
			abuf_put_u8(w, m->u.global.want_reply);
			return;
		}
		abuf_put_u8(w, m->u.global.want_reply);
		apf_put_str(w, m->u.global.addr);
		abuf_put_u32(w, m->u.global.port);
		if (m->u.global.kind == APF_GLOBAL_UDP_SEND_TO) {
			apf_put_str(w, m->u.global.orig_addr);
			abuf_put_u32(w, m->u.global.orig_port);
			apf_put_str(w, m->u.global.data);
		}
		break;
	case APF_REQUEST_SUCCESS:
		if (m->u.req_success.has_port)
			abuf_put_u32(w, m->u.req_success.port);
		break;
	case APF_CHANNEL_OPEN:
		apf_put_str(w, m->u.open.chan_type);
		abuf_put_u32(w, m->u.open.sender);
		abuf_put_u32(w, m->u.open.window);
		abuf_put_u32(w, m->u.open.reserved);
		apf_put_str(w, m->u.open.conn_addr);
		abuf_put_u32(w, m->u.open.conn_port);
		apf_put_str(w, m->u.open.orig_addr);
		abuf_put_u32(w, m->u.open.orig_port);
		break;
	case APF_CHANNEL_OPEN_CONFIRMATION:
		abuf_put_u32(w, m->u.open_confirm.recipient);
		abuf_put_u32(w, m->u.open_confirm.sender);
		abuf_put_u32(w, m->u.open_confirm.window);
		abuf_put_u32(w, m->u.open_confirm.reserved);
		break;
	case APF_CHANNEL_OPEN_FAILURE:
		abuf_put_u32(w, m->u.open_failure.recipient);
		abuf_put_u32(w, m->u.open_failure.reason);
		abuf_put_u32(w, 0);
		abuf_put_u32(w, 0);
		break;
	case APF_CHANNEL_WINDOW_ADJUST:
		abuf_put_u32(w, m->u.window_adjust.recipient);
		abuf_put_u32(w, m->u.window_adjust.bytes);
		break;
	case APF_CHANNEL_DATA:
		abuf_put_u32(w, m->u.data.recipient);
		apf_put_str(w, m->u.data.data);
		break;
	case APF_CHANNEL_CLOSE:
		abuf_put_u32(w, m->u.close.recipient);
		break;
	case APF_PROTOCOLVERSION:
		abuf_put_u32(w, m->u.version.major);
		abuf_put_u32(w, m->u.version.minor);
		abuf_put_u32(w, m->u.version.trigger);
		abuf_put_bytes(w, m->u.version.uuid, APF_UUID_LEN);
		abuf_put_bytes(w, zeros, sizeof(zeros));
		break;
	case APF_KEEPALIVE_REQUEST:
	case APF_KEEPALIVE_REPLY:
		abuf_put_u32(w, m->u.keepalive.cookie);
		break;
	case APF_KEEPALIVE_OPTIONS_REQUEST:
	case APF_KEEPALIVE_OPTIONS_REPLY:
		abuf_put_u32(w, m->u.ka_options.interval);
		abuf_put_u32(w, m->u.ka_options.timeout);
		break;
	}
}

int
apf_encode(const struct apf_msg *m, uint8_t *out, size_t cap, size_t *len)
{
	struct abuf_wr w;
	size_t need;

	*len = 0;
	if ((need = apf_layout_len(m)) == 0)
		return MPS_ERR_INVALID;
	if (need > cap)
		return MPS_ERR_NO_SPACE;
	abuf_wr_init(&w, out, cap);
	abuf_put_u8(&w, (uint8_t)m->type);
	apf_enc_body(m, &w);
	/* Both are our own invariants: the layout and the writer must agree. */
	if (abuf_wr_error(&w) != 0 || w.len != need)
		return MPS_ERR_INTERNAL;
	*len = need;
	return MPS_OK;
}

/* GUID text. */

/* Wire byte order of the 16 UUID bytes as they appear in the text. */
static const uint8_t apf_guid_order[APF_UUID_LEN] = {
	3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15
};

void
apf_guid_format(const uint8_t uuid[APF_UUID_LEN],
    char out[APF_GUID_STRLEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;
	uint8_t b;

	for (i = 0; i < APF_UUID_LEN; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		b = uuid[apf_guid_order[i]];
		out[o++] = hex[b >> 4];
		out[o++] = hex[b & 0x0f];
	}
	out[o] = '\0';
}

static int
apf_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
apf_guid_parse(const char *s, uint8_t uuid[APF_UUID_LEN])
{
	uint8_t tmp[APF_UUID_LEN];
	size_t i, o = 0;
	int hi, lo;

	if (s == NULL || strlen(s) != APF_GUID_STRLEN)
		return MPS_ERR_INVALID;
	for (i = 0; i < APF_UUID_LEN; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10) {
			if (s[o++] != '-')
				return MPS_ERR_INVALID;
		}
		if ((hi = apf_hexval(s[o])) < 0 ||
		    (lo = apf_hexval(s[o + 1])) < 0)
			return MPS_ERR_INVALID;
		o += 2;
		tmp[apf_guid_order[i]] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(uuid, tmp, APF_UUID_LEN);
	return MPS_OK;
}
