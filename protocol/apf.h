/*
 * apf.h: the APF message codec (Intel AMT port forwarding protocol, the
 * SSH connection layer without crypto, as CIRA carries it over TLS).
 *
 * APF has no outer framing: the length of a message follows from its type
 * and its string lengths.  apf_decode() rebuilds boundaries incrementally:
 *
 *   MPS_OK              one message decoded, *consumed bytes used;
 *   MPS_ERR_INCOMPLETE  not enough bytes yet (never fails on short input);
 *   anything else       the stream is unusable: close the connection.
 *
 * Decoded messages point into the caller's buffer (zero copy): they are
 * valid until the caller drains or changes it.  Every string is capped at
 * APF_MAX_STRING and CHANNEL_DATA at the caller's max_data, both checked
 * before the bytes are awaited, so the bytes held for one incomplete message
 * never exceed apf_max_message(max_data).
 *
 * Pure: libc only, no allocation.
 */
#ifndef APF_H
#define APF_H

#include <stddef.h>
#include <stdint.h>

/* X(name, value): every APF message type amt-mps knows. */
#define APF_MESSAGES(X)					\
	X(DISCONNECT,			  1)		\
	X(SERVICE_REQUEST,		  5)		\
	X(SERVICE_ACCEPT,		  6)		\
	X(USERAUTH_REQUEST,		 50)		\
	X(USERAUTH_FAILURE,		 51)		\
	X(USERAUTH_SUCCESS,		 52)		\
	X(GLOBAL_REQUEST,		 80)		\
	X(REQUEST_SUCCESS,		 81)		\
	X(REQUEST_FAILURE,		 82)		\
	X(CHANNEL_OPEN,			 90)		\
	X(CHANNEL_OPEN_CONFIRMATION,	 91)		\
	X(CHANNEL_OPEN_FAILURE,		 92)		\
	X(CHANNEL_WINDOW_ADJUST,	 93)		\
	X(CHANNEL_DATA,			 94)		\
	X(CHANNEL_CLOSE,		 97)		\
	X(PROTOCOLVERSION,		192)		\
	X(KEEPALIVE_REQUEST,		208)		\
	X(KEEPALIVE_REPLY,		209)		\
	X(KEEPALIVE_OPTIONS_REQUEST,	210)		\
	X(KEEPALIVE_OPTIONS_REPLY,	211)

enum apf_type {
#define APF_TYPE_ENUM(name, val) APF_##name = (val),
	APF_MESSAGES(APF_TYPE_ENUM)
#undef APF_TYPE_ENUM
};

/* Limits.  AMT's names are at most 25 bytes; 2 KiB matches the other MPSes. */
#define APF_MAX_STRING		2048
#define APF_MAX_DATA		(1024 * 1024)	/* hard cap on one CHANNEL_DATA */
#define APF_UUID_LEN		16
#define APF_GUID_STRLEN		36		/* without the NUL */

#define APF_SERVICE_AUTH	"auth@amt.intel.com"
#define APF_SERVICE_PFWD	"pfwd@amt.intel.com"
#define APF_REQ_TCPIP_FORWARD	"tcpip-forward"
#define APF_REQ_CANCEL_FORWARD	"cancel-tcpip-forward"
#define APF_REQ_UDP_SEND_TO	"udp-send-to@amt.intel.com"
#define APF_CHAN_FORWARDED	"forwarded-tcpip"
#define APF_CHAN_DIRECT		"direct-tcpip"
#define APF_METHOD_PASSWORD	"password"
#define APF_CHANNEL_RESERVED	0xFFFFFFFFu

enum apf_disconnect_reason {
	APF_DISC_HOST_NOT_ALLOWED	= 1,
	APF_DISC_PROTOCOL_ERROR		= 2,
	APF_DISC_SERVICE_NOT_AVAILABLE	= 7,
	APF_DISC_PROTOCOL_VERSION	= 8,
	APF_DISC_CONNECTION_LOST	= 10,
	APF_DISC_BY_APPLICATION		= 11,
	APF_DISC_TOO_MANY_CONNECTIONS	= 12,
	APF_DISC_NO_MORE_AUTH_METHODS	= 14,
	APF_DISC_INVALID_CREDENTIALS	= 15,
	APF_DISC_CONNECTION_TIMED_OUT	= 16,
	APF_DISC_BY_POLICY		= 17,
	APF_DISC_TEMPORARILY_UNAVAILABLE = 18,
};

enum apf_open_failure_reason {
	APF_OPEN_ADMIN_PROHIBITED	= 1,
	APF_OPEN_CONNECT_FAILED		= 2,
	APF_OPEN_UNKNOWN_CHANNEL_TYPE	= 3,
	APF_OPEN_RESOURCE_SHORTAGE	= 4,
};

/* Which global request a GLOBAL_REQUEST carries. */
enum apf_global_kind {
	APF_GLOBAL_TCPIP_FORWARD = 1,
	APF_GLOBAL_CANCEL_FORWARD,
	APF_GLOBAL_UDP_SEND_TO,
};

/* A byte string inside the decoded buffer (not NUL-terminated). */
struct apf_str {
	const uint8_t	*p;
	uint32_t	 len;
};

/*
 * One decoded (or to-be-encoded) message.  Only the member matching type is
 * meaningful.  For encoding, strings point at the caller's bytes.
 */
struct apf_msg {
	enum apf_type	type;
	union {
		struct { uint32_t reason; } disconnect;
		struct { struct apf_str name; } service;	/* 5, 6 */
		struct {
			struct apf_str	user, service, method;
			struct apf_str	password;  /* method "password" only */
			int		has_password;
		} userauth_req;
		struct {
			struct apf_str	methods;   /* "password" */
			uint8_t		partial;
		} userauth_fail;
		struct {
			enum apf_global_kind kind;
			struct apf_str	name;
			uint8_t		want_reply;
			struct apf_str	addr;	   /* bind / udp address */
			uint32_t	port;
			/* udp-send-to only */
			struct apf_str	orig_addr;
			uint32_t	orig_port;
			struct apf_str	data;
		} global;
		struct {
			int		has_port;  /* reply to tcpip-forward */
			uint32_t	port;
		} req_success;
		struct {
			struct apf_str	chan_type;
			uint32_t	sender;
			uint32_t	window;
			uint32_t	reserved;
			struct apf_str	conn_addr;
			uint32_t	conn_port;
			struct apf_str	orig_addr;
			uint32_t	orig_port;
		} open;
		struct {
			uint32_t	recipient, sender, window, reserved;
		} open_confirm;
		struct {
			uint32_t	recipient, reason;
		} open_failure;
		struct { uint32_t recipient, bytes; } window_adjust;
		struct {
			uint32_t	recipient;
			struct apf_str	data;
		} data;
		struct { uint32_t recipient; } close;
		struct {
			uint32_t	major, minor, trigger;
			uint8_t		uuid[APF_UUID_LEN];
		} version;
		struct { uint32_t cookie; } keepalive;		/* 208, 209 */
		struct { uint32_t interval, timeout; } ka_options; /* 210, 211 */
	} u;
};

/*
 * Decode one message from buf[0..len).  max_data caps CHANNEL_DATA lengths
 * (at most APF_MAX_DATA).  On MPS_OK sets *consumed.  On MPS_ERR_INCOMPLETE
 * *consumed is 0.  Other errors: MPS_ERR_UNKNOWN_TYPE, MPS_ERR_TOO_LARGE,
 * MPS_ERR_INVALID (e.g. bad USERAUTH boolean); for MPS_ERR_UNKNOWN_REQUEST
 * m->type, m->u.global.name and m->u.global.want_reply are valid so the
 * caller can answer REQUEST_FAILURE before disconnecting.
 *
 * Messages the device never sends (SERVICE_ACCEPT, USERAUTH_FAILURE ...)
 * decode too: the simulator uses the same decoder on the server's output.
 *
 * Layout choices: USERAUTH_REQUEST carries FALSE + password only for method
 * "password" (has_password); USERAUTH_FAILURE is string + 1 partial byte
 * (MeshCentral's and Open AMT's 15-byte form leaves a stray 0 byte);
 * REQUEST_SUCCESS is 1 byte unless APF_DEC_REQ_SUCCESS_PORT (below);
 * CHANNEL_OPEN uses the forwarded/direct-tcpip layout for any type string;
 * reserved fields (DISCONNECT u16, OPEN_FAILURE u32s, PROTOCOLVERSION's 64
 * bytes) are skipped whatever their value.  udp-send-to data is capped at
 * APF_MAX_STRING like every string.
 */
int	apf_decode(const uint8_t *buf, size_t len, size_t max_data,
	    struct apf_msg *m, size_t *consumed);

/*
 * Decoder options for apf_decode_ex().
 *
 * APF_DEC_REQ_SUCCESS_PORT: decode REQUEST_SUCCESS as the 5-byte reply to
 * tcpip-forward (type + u32 port, u.req_success.has_port = 1) instead of
 * the 1-byte form.  The two forms cannot be told apart on a stream: only the
 * peer that sent the global request knows which reply comes next.  A client
 * (the simulator) keeps its sent global requests in a FIFO and passes this
 * flag while the oldest unanswered one is a tcpip-forward; amt-mps always
 * answers tcpip-forward with the port and cancel-tcpip-forward without.
 * REQUEST_FAILURE is always 1 byte.
 */
#define APF_DEC_REQ_SUCCESS_PORT	0x01u

/* apf_decode() with APF_DEC_* flags; apf_decode() is flags 0. */
int	apf_decode_ex(const uint8_t *buf, size_t len, size_t max_data,
	    unsigned int flags, struct apf_msg *m, size_t *consumed);

/*
 * Encode m into out[0..cap).  Sets *len.  MPS_ERR_NO_SPACE if it does not
 * fit, MPS_ERR_INVALID for an unencodable message (unknown type, string over
 * APF_MAX_STRING, data over APF_MAX_DATA, a length with a NULL pointer).
 * REQUEST_SUCCESS carries the port iff u.req_success.has_port.
 * GLOBAL_REQUEST takes its name from u.global.kind; kind 0 encodes just
 * u.global.name + want_reply (a bare unknown request, for testing peers).
 * USERAUTH_REQUEST appends FALSE + password iff the method is "password".
 * OPEN_FAILURE's reserved words and DISCONNECT's u16 are written as 0.
 */
int	apf_encode(const struct apf_msg *m, uint8_t *out, size_t cap,
	    size_t *len);

/* Exact encoded size of m, 0 if it cannot be encoded. */
size_t	apf_encoded_len(const struct apf_msg *m);

/* The largest message apf_decode() can wait for with this max_data. */
size_t	apf_max_message(size_t max_data);

/* "CHANNEL_DATA" etc., or NULL for an unknown type. */
const char *apf_type_name(int type);

/* Convenience for building strings from C strings. */
struct apf_str apf_cstr(const char *s);
/* 1 if s equals the NUL-terminated lit, byte for byte. */
int	apf_str_eq(struct apf_str s, const char *lit);

/*
 * GUID text from the 16 wire bytes of PROTOCOLVERSION: the first three
 * groups little-endian (SMBIOS order), lowercase, 36 chars + NUL.
 * Bytes 00 01 .. 0f give "03020100-0504-0706-0809-0a0b0c0d0e0f".
 */
void	apf_guid_format(const uint8_t uuid[APF_UUID_LEN],
	    char out[APF_GUID_STRLEN + 1]);
/* Inverse of apf_guid_format; accepts either case.  0 or MPS_ERR_INVALID. */
int	apf_guid_parse(const char *s, uint8_t uuid[APF_UUID_LEN]);

#endif /* APF_H */
