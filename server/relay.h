/*
 * relay.h: the channel-stream relay engine.  One struct relay carries the
 * bytes of one local file descriptor (a socket) through one APF channel of
 * one device, both directions, with end-to-end flow control:
 *
 *   fd -> device: every read is sent at once (apf_session_send), never held
 *	back for a fuller buffer (SOL dies after ~10 s of silence); while the
 *	device's send window is 0 the fd is not read (EV_READ off) until the
 *	device's WINDOW_ADJUST, nor while the tunnel's TLS output is above
 *	its high watermark (dev_output_high) until it drains below the low
 *	one.  Nothing is read before the open is confirmed: the bytes wait
 *	in the kernel.  One read takes up to RELAY_READ_MAX bytes.
 *   device -> fd: CHANNEL_DATA goes to the fd's output buffer; the device is
 *	credited (apf_session_consumed) only for bytes that have left that
 *	buffer for the kernel, so the fd's output never holds more than the
 *	window we advertise (plus the session's grace).
 *
 * Close: fd EOF sends what the fd left, then the one CLOSE; an fd error
 * closes at once.  The device's CLOSE (or the tunnel going away) flushes
 * what is queued for the fd, then closes the fd.  An open refused with
 * APF reason 2 (connect failed) or 4 (resource shortage), or refused
 * locally because the tunnel is at its channel limit, is retried
 * RELAY_OPEN_RETRIES times RELAY_RETRY_MS apart; any other refusal fails.
 *
 * Used by the WS-Man transport (curl's connections to the per-device Unix
 * listener) and by port forwards (a TCP listener per forward).
 *
 * Lifetime: the relay owns fd from relay_new() on.  The owner's closed
 * callback runs exactly once, when the relay has finished with the fd;
 * the owner must forget the relay then (or call relay_close() earlier, after
 * which no callback runs).  The struct itself lives on, invisibly, until the
 * channel's final APF event, and is freed from a fresh event (never under a
 * caller).
 */
#ifndef RELAY_H
#define RELAY_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "apf_session.h"

struct dev_conn;
struct relay;

#define RELAY_READ_MAX		(64 * 1024)	/* bytes per fd read */
#define RELAY_READ_MIN		4096		/* smaller room: wait */
#define RELAY_OPEN_RETRIES	3		/* after reason 2/4 or LIMIT */
#define RELAY_RETRY_MS		500
#define RELAY_OPEN_TIMEOUT	30		/* s for CHANNEL_OPEN's answer */
#define RELAY_FLUSH_TIMEOUT	10		/* s to write out the rest */

/* The relays of one tunnel (in struct dev_conn; zeroed is empty). */
LIST_HEAD(relay_list, relay);

enum relay_state {
	RELAY_OPENING,		/* CHANNEL_OPEN sent, fd input held */
	RELAY_RETRY,		/* open refused for now; reopening soon */
	RELAY_OPEN,		/* bytes flow both ways */
	RELAY_CLOSING,		/* our CLOSE requested; waiting for its end */
	RELAY_GONE,		/* channel finished or tunnel gone */
};

struct relay_cb {
	/* The device confirmed the channel.  May be NULL. */
	void	(*opened)(struct relay *r, void *arg);
	/*
	 * The relay has finished with the fd (closed, or about to be closed
	 * from a fresh event).  err is 0 for an orderly end, else why:
	 * MPS_ERR_OPEN_REFUSED (apf_reason is the device's reason),
	 * MPS_ERR_LIMIT (channel limit, retries used up), MPS_ERR_TIMEOUT (no
	 * answer to the open, or the fd did not take the rest), MPS_ERR_CLOSED
	 * (tunnel gone), MPS_ERR_IO (fd error), MPS_ERR_PORT (not forwarded).
	 * Forget r here.  May be NULL.
	 */
	void	(*closed)(struct relay *r, void *arg, int err,
		    uint32_t apf_reason);
};

struct relay_stats {
	uint64_t	bytes_in;	/* fd -> device */
	uint64_t	bytes_out;	/* device -> fd (written to the fd) */
	uint32_t	open_tries;
	uint32_t	stalls;		/* times the device window hit 0 */
};

/*
 * Bridges fd (a connected stream socket, made non-blocking here) to a new
 * channel to port on c.  Takes ownership of fd in every case.  Returns the
 * relay, or NULL with *err: MPS_ERR_NOT_CONNECTED (c not active),
 * MPS_ERR_PORT (the device did not forward port), MPS_ERR_NOMEM.  cb is
 * copied.  The callbacks never run from inside relay_new().
 */
struct relay *relay_new(struct dev_conn *c, int fd, uint32_t port,
	    const struct relay_cb *cb, void *arg, int *err);
/*
 * The owner is done: the channel is closed (one CLOSE), the fd closed
 * without flushing, and no callback runs any more.  r must not be used
 * afterwards.
 */
void	relay_close(struct relay *r);

/* For device.c: an APF_EV_CHAN_* event whose chan_arg is a relay. */
void	relay_chan_event(struct dev_conn *c, const struct apf_event *ev);
/*
 * For device.c: the tunnel is closing; its session will send and emit
 * nothing more.  Every relay of c lets its fd flush and close and reports
 * MPS_ERR_CLOSED.  Safe to call more than once.
 */
void	relay_dev_gone(struct dev_conn *c);
/* For device.c: the tunnel's output fell below its low watermark. */
void	relay_dev_writable(struct dev_conn *c);

enum relay_state relay_state(const struct relay *r);
const char *relay_state_name(enum relay_state st);
const struct relay_stats *relay_get_stats(const struct relay *r);
uint32_t relay_port(const struct relay *r);
/* Our channel id (0 while none is open). */
uint32_t relay_chan(const struct relay *r);
/* "connect failed" etc. for an APF open-failure reason; never NULL. */
const char *relay_open_reason_str(uint32_t reason);
/* Relays alive (including those waiting for the channel's end). */
uint32_t relay_count(void);
/* Frees what the reaper has not yet freed (after the loop stopped). */
void	relay_cleanup(void);

#endif /* RELAY_H */
