/*
 * mps_err.h: the one error vocabulary of amt-mps.
 *
 * Every layer returns 0 (MPS_OK) or one of these negative codes; pointers
 * return NULL on failure.  mps_strerror() gives a short English phrase for
 * logs and for the control protocol's error.message.  The numbers are part
 * of the control protocol contract (error.data.code): append, never renumber.
 */
#ifndef MPS_ERR_H
#define MPS_ERR_H

#define MPS_ERRORS(X)							\
	/* codec and bounded reader */					\
	X(MPS_ERR_INCOMPLETE,	 -1, "message incomplete, need more bytes") \
	X(MPS_ERR_INVALID,	 -2, "malformed message")		\
	X(MPS_ERR_TOO_LARGE,	 -3, "length exceeds limit")		\
	X(MPS_ERR_UNKNOWN_TYPE,	 -4, "unknown message type")		\
	X(MPS_ERR_UNKNOWN_REQUEST, -5, "unknown global request")	\
	X(MPS_ERR_UNKNOWN_SERVICE, -6, "unknown service")		\
	X(MPS_ERR_TRAILING,	 -7, "unexpected trailing bytes")	\
	X(MPS_ERR_NO_SPACE,	 -8, "output buffer too small")		\
	/* session */							\
	X(MPS_ERR_STATE,	 -9, "message not allowed in this state") \
	X(MPS_ERR_AUTH,		-10, "MPS authentication failed")	\
	X(MPS_ERR_CHANNEL,	-11, "unknown or closed channel")	\
	X(MPS_ERR_WINDOW,	-12, "peer exceeded the channel window") \
	X(MPS_ERR_LIMIT,	-13, "limit reached")			\
	X(MPS_ERR_PORT,		-14, "port not forwarded by the device") \
	X(MPS_ERR_CLOSED,	-15, "connection closed")		\
	/* daemon and operations */					\
	X(MPS_ERR_NOMEM,	-16, "out of memory")			\
	X(MPS_ERR_IO,		-17, "I/O error")			\
	X(MPS_ERR_TIMEOUT,	-18, "timed out")			\
	X(MPS_ERR_CONFIG,	-19, "configuration error")		\
	X(MPS_ERR_USAGE,	-20, "invalid arguments")		\
	X(MPS_ERR_NOT_FOUND,	-21, "no such device")			\
	X(MPS_ERR_AMBIGUOUS,	-22, "device name or prefix is ambiguous") \
	X(MPS_ERR_NOT_CONNECTED, -23, "device not connected")		\
	X(MPS_ERR_NO_CREDENTIALS, -24, "no AMT credentials for device") \
	X(MPS_ERR_AMT_AUTH,	-25, "AMT rejected the digest credentials") \
	X(MPS_ERR_OPEN_REFUSED,	-26, "channel open refused by device")	\
	X(MPS_ERR_HTTP,		-27, "unexpected HTTP response")	\
	X(MPS_ERR_XML,		-28, "malformed WS-Man response")	\
	X(MPS_ERR_WSMAN_FAULT,	-29, "WS-Man fault")			\
	X(MPS_ERR_RETURN_VALUE,	-30, "AMT method returned an error")	\
	X(MPS_ERR_COOLDOWN,	-31, "power action refused during cooldown") \
	X(MPS_ERR_BUSY,		-32, "too many requests in flight")	\
	X(MPS_ERR_TLS,		-33, "TLS error")			\
	X(MPS_ERR_INTERNAL,	-34, "internal error")			\
	X(MPS_ERR_EXISTS,	-35, "file exists")

enum mps_err {
	MPS_OK = 0,
#define MPS_ERR_ENUM(name, val, str) name = (val),
	MPS_ERRORS(MPS_ERR_ENUM)
#undef MPS_ERR_ENUM
};

/* Short English phrase for an error code; never NULL. */
const char	*mps_strerror(int err);

/* Stable identifier ("MPS_ERR_TIMEOUT") for an error code; never NULL. */
const char	*mps_errname(int err);

#endif /* MPS_ERR_H */
