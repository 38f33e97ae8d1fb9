/*
 * sim_svc_echo.c: the echo service: every byte the MPS sends on a channel
 * comes back on it.  It consumes only what fits in the channel's output, so
 * a peer that does not read its echo stops getting window credit: the
 * simplest service that still exercises flow control in both directions.
 */
#include "sim.h"

static int
sim_svc_echo_open(struct sim_chan *ch)
{
	return 0;
}

static size_t
sim_svc_echo_data(struct sim_chan *ch, const uint8_t *p, size_t len)
{
	size_t	n = sim_chan_room(ch);

	if (n > len)
		n = len;
	if (n == 0 || sim_chan_write(ch, p, n) != 0)
		return 0;
	return n;
}

static void
sim_svc_echo_close(struct sim_chan *ch)
{
}

const struct sim_svc sim_svc_echo = {
	.name = "echo",
	.open = sim_svc_echo_open,
	.data = sim_svc_echo_data,
	.writable = NULL,	/* the channel re-offers held input itself */
	.close = sim_svc_echo_close,
};
