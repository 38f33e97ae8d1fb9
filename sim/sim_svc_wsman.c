/*
 * sim_svc_wsman.c: the WS-Man service on a simulated device's ports
 * 16992 (HTTP) and 16993 (HTTPS inside the channel).  Each channel the
 * MPS opens is one HTTP connection (sim_wconn.c); the device's machine
 * state (sim_amt.c) is shared by all of them and outlives the tunnel.
 */
#include "mps_err.h"
#include "sim.h"

static size_t
sim_svc_wsman_room(void *arg)
{
	return sim_chan_room(arg);
}

static int
sim_svc_wsman_write(void *arg, const void *p, size_t len)
{
	return sim_chan_write(arg, p, len);
}

/* The channel sends its CLOSE once our output has left; the MPS's CLOSE
 * then frees it and calls sim_svc_wsman_close(). */
static void
sim_svc_wsman_chan_close(void *arg)
{
	sim_chan_close(arg);
}

static const struct sim_wconn_io sim_svc_wsman_io = {
	.room = sim_svc_wsman_room,
	.write = sim_svc_wsman_write,
	.close = sim_svc_wsman_chan_close,
};

static int
sim_svc_wsman_open(struct sim_chan *ch)
{
	struct sim_dev		*d = ch->dev;
	struct sim_wsman	*w = &d->fleet->wsman;
	struct sim_amt		*a;
	struct sim_wconn	*c;

	if ((a = sim_wsman_amt(w, d->index, d->uuid)) == NULL)
		return MPS_ERR_NOMEM;
	c = sim_wconn_new(w, a, ch->port, sim_wsman_dev_faults(w, d->index),
	    &sim_svc_wsman_io, ch);
	if (c == NULL)
		return MPS_ERR_NOMEM;
	ch->svc_state = c;
	return 0;
}

static size_t
sim_svc_wsman_data(struct sim_chan *ch, const uint8_t *p, size_t len)
{
	/* ch may be closing after this; it is freed only by the MPS's
	 * CLOSE, never from inside this call. */
	return sim_wconn_input(ch->svc_state, p, len);
}

static void
sim_svc_wsman_writable(struct sim_chan *ch)
{
	sim_wconn_writable(ch->svc_state);
}

static void
sim_svc_wsman_close(struct sim_chan *ch)
{
	sim_wconn_free(ch->svc_state);
	ch->svc_state = NULL;
}

const struct sim_svc sim_svc_wsman = {
	.name = "wsman",
	.open = sim_svc_wsman_open,
	.data = sim_svc_wsman_data,
	.writable = sim_svc_wsman_writable,
	.close = sim_svc_wsman_close,
};
