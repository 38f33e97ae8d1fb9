/*
 * transport.h: HTTP to a device's WS-Man port through its tunnel.
 *
 * libcurl (multi interface, driven by the daemon's libevent loop) does
 * HTTP/1.1, Digest, chunked bodies, keep-alive, the 401 -> new connection
 * dance and TLS to 16993.  It reaches the device through an internal
 * listener on an abstract Unix socket per device ("\0amt-mps/<pid>/<conn
 * id>/<port>"), made when a request needs it; every connection accepted
 * there (peer checked with SO_PEERCRED: our own pid only) is bridged by the
 * relay engine to a NEW channel to that device port.  So each HTTP
 * connection is one APF channel, as AMT expects.  curl closes each
 * connection after its request (CURLOPT_FORBID_REUSE: see transport.c);
 * should a connection linger anyway, a newer one from curl closes it, so
 * a device has at most one live connection.
 *
 * One curl easy handle per device, kept while the device is busy and for
 * TRANSPORT_KEEP s after, so Digest reuses the nonce with increasing nc
 * (losing it costs the device a 401 and a second channel per request:
 * a 1,000-device fleet query took 2.5x as long here).
 * Once a device has no request for TRANSPORT_LINGER s its listener (and
 * any channel left) is closed.
 *
 * Port: 16992 (plain HTTP) if the device forwarded it, else 16993 (TLS
 * inside the tunnel, SSL_OP_LEGACY_SERVER_CONNECT, TLS 1.0+ at security
 * level 0 for old firmware, certificate not verified: there is no
 * configuration key for pinning yet, see docs/control-protocol.md).
 */
#ifndef TRANSPORT_H
#define TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

struct dev_conn;
struct transport_dev;

#define TRANSPORT_MAX_BODY	(4u * 1024u * 1024u)	/* response bytes */
#define TRANSPORT_LINGER	2	/* s an idle device keeps its channels */
#define TRANSPORT_KEEP		60	/* s an idle device keeps its handle */
#define TRANSPORT_MAX_IDLE	4096	/* idle devices holding a handle
					   (~11 KiB each, for Digest reuse) */
#define TRANSPORT_MAX_CACHED	64	/* curl's connection cache (unused:
					   no connection is reused) */
#define TRANSPORT_PORT_HTTP	16992
#define TRANSPORT_PORT_HTTPS	16993

struct transport_result {
	int		 err;		/* 0: an HTTP answer came (any status) */
	int		 http_status;
	const char	*body;		/* valid during the callback only */
	size_t		 len;
	uint32_t	 port;		/* 16992 or 16993 */
	uint32_t	 apf_reason;	/* MPS_ERR_OPEN_REFUSED */
	uint32_t	 timeout;	/* s, for MPS_ERR_TIMEOUT */
	char		 detail[256];	/* curl's words for MPS_ERR_IO/TLS */
};

/*
 * Completion of transport_post().  err: 0 (see http_status),
 * MPS_ERR_TIMEOUT, MPS_ERR_OPEN_REFUSED (+apf_reason), MPS_ERR_LIMIT
 * (channel limit), MPS_ERR_NOT_CONNECTED (tunnel gone), MPS_ERR_TOO_LARGE,
 * MPS_ERR_TLS, MPS_ERR_IO.  Runs from the event loop, never from inside
 * transport_post().
 */
typedef void transport_done_fn(void *arg, const struct transport_result *res);

/* Once at startup (curl_global_init, the multi handle); 0 or error. */
int	transport_init(void);
/* Cancels everything silently and frees curl (after the loop stopped). */
void	transport_cleanup(void);

/*
 * POSTs body to /wsman of device c with its AMT digest credentials.  One
 * request per device at a time (MPS_ERR_BUSY otherwise).  Immediate
 * errors, with msg filled: MPS_ERR_NOT_CONNECTED, MPS_ERR_NO_CREDENTIALS,
 * MPS_ERR_PORT (neither 16992 nor 16993 forwarded), MPS_ERR_LIMIT (no
 * descriptors to spare), MPS_ERR_NOMEM.  timeout in seconds.
 */
int	transport_post(struct dev_conn *c, const char *body, size_t len,
	    uint32_t timeout, transport_done_fn *done, void *arg,
	    char *msg, size_t msglen);
/* Drops c's request in flight, if any, without calling back. */
void	transport_cancel(struct dev_conn *c);
/* c has no more work for now: start the linger/keep clocks. */
void	transport_idle(struct dev_conn *c);
/* The tunnel is closing: cancel, close the listener and channels. */
void	transport_dev_gone(struct dev_conn *c);

/* The port transport_post() would use for c now, 0 if none. */
uint32_t transport_port(const struct dev_conn *c);
/* Counters for server.stats. */
struct transport_stats {
	uint64_t	requests;
	uint64_t	failures;
	uint64_t	connections;	/* accepted from curl = channels */
	uint32_t	devices;	/* with transport state now */
	uint32_t	in_flight;
};
void	transport_get_stats(struct transport_stats *st);
/* Descriptors held now (listeners, curl's ends of live connections). */
uint32_t transport_fds(void);

#endif /* TRANSPORT_H */
