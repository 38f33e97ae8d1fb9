/*
 * sim_chan.c: channels the MPS opens to a simulated device, with SSH-style
 * window accounting both ways, dispatched to a per-port service.
 *
 * Receive side: we advertise opt.rx_window.  Data beyond what is left of it
 * ends the tunnel (a strict peer finds server bugs).  Bytes the service has
 * not consumed stay in ch->in and are not credited, so a slow service
 * stalls the MPS instead of growing our memory; consumed bytes are credited
 * with WINDOW_ADJUST once half the window is used up: at once when half a
 * window of credit is owed, else at the end of the read round, so that a
 * service fed in small steps still costs one adjust per round.
 *
 * Send side: service output waits in ch->out (at most opt.chan_out_max) and
 * leaves as CHANNEL_DATA of at most opt.max_packet, never beyond the MPS's
 * window, and only while the device's TLS output is below its high mark.
 *
 * Ids are slot indexes and are reused as soon as a channel is freed, as
 * AMT reuses its ids (IMPS #741): a server that sends after CLOSE hits the
 * next channel, which is the bug this makes visible.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "mps_err.h"
#include "sim.h"

/* Held input is offered in pieces of at least this much (more when the
 * buffer already holds more contiguous bytes: that costs no copy). */
#define SIM_CHAN_FEED_CHUNK	(16 * 1024)
/* ignore-window: how far past the MPS's window to go, at least. */
#define SIM_CHAN_OVERRUN	(64 * 1024)
#define SIM_CHAN_OVERRUN_MAX	(4u * 1024 * 1024)

static const char *sim_chan_state_names[] = {
#define SIM_CS_NAME(name, str) str,
	SIM_CHAN_STATES(SIM_CS_NAME)
#undef SIM_CS_NAME
};

const char *
sim_chan_state_name(enum sim_chan_state st)
{
	if ((unsigned)st >= sizeof(sim_chan_state_names) /
	    sizeof(sim_chan_state_names[0]))
		return "?";
	return sim_chan_state_names[st];
}

static struct sim_chan *
sim_chan_lookup(struct sim_dev *d, uint32_t id)
{
	if (d->chans == NULL || id >= d->fleet->opt.max_channels)
		return NULL;
	return d->chans[id];
}

/*
 * Inside svc->open() the confirmation is not out yet, so nothing may leave:
 * sim_chan_on_open() flushes (and sends a pending CLOSE) after confirming.
 */
static int
sim_chan_registered(const struct sim_chan *ch)
{
	return ch->dev->chans != NULL && ch->dev->chans[ch->id] == ch;
}

static uint32_t
sim_chan_sat_add(uint32_t a, uint32_t b)
{
	return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

static int
sim_chan_send_close(struct sim_chan *ch)
{
	struct apf_msg	m;

	memset(&m, 0, sizeof(m));
	m.type = APF_CHANNEL_CLOSE;
	m.u.close.recipient = ch->peer_id;
	ch->state = SIM_CHAN_CLOSE_SENT;
	return sim_dev_send(ch->dev, &m);
}

/* Frees the channel and its slot; the service hears about it once. */
static void
sim_chan_free(struct sim_chan *ch)
{
	struct sim_dev	*d = ch->dev;

	if (ch->svc != NULL && ch->svc->close != NULL)
		ch->svc->close(ch);
	if (ch->adjust_ev != NULL)
		event_free(ch->adjust_ev);
	if (ch->in != NULL)
		evbuffer_free(ch->in);
	if (ch->out != NULL)
		evbuffer_free(ch->out);
	d->chans[ch->id] = NULL;
	d->nchans--;
	d->fleet->st.channels_closed++;
	free(ch);
}

static int sim_chan_send_adjust(struct sim_chan *ch);

/* --slow-adjust: the held credit leaves now. */
static void
sim_chan_adjust_due(evutil_socket_t fd, short what, void *arg)
{
	struct sim_chan	*ch = arg;
	struct sim_dev	*d = ch->dev;

	ch->adjust_armed = 0;
	if (ch->state != SIM_CHAN_OPEN || d->ssl == NULL ||
	    ch->rx_unacked == 0)
		return;
	if (sim_chan_send_adjust(ch) != 0)
		sim_dev_close(d, SIM_CLOSE_NO_MEMORY, 0);
}

/*
 * Credit the MPS for consumed bytes once half the window is used.  Half a
 * window owed leaves at once; less is held until the end of the read round
 * (sim_chan_dev_adjust()), since a service that drains held input piece by
 * piece would otherwise answer every piece with its own adjust.  With
 * --slow-adjust the credit is held for that long first (one timer per
 * channel, only in that test mode), like a device whose consumer is slow.
 */
static int
sim_chan_consumed(struct sim_chan *ch, size_t n)
{
	struct sim_dev	*d = ch->dev;
	uint32_t	 half = d->fleet->opt.rx_window / 2;
	uint32_t	 ms = d->fleet->opt.slow_adjust_ms;
	struct timeval	 tv;

	ch->rx_unacked += (uint32_t)n;
	if (ch->rx_unacked == 0 || ch->rx_left >= half ||
	    ch->state != SIM_CHAN_OPEN)
		return 0;
	if (ms == 0) {
		if (ch->rx_unacked >= half)
			return sim_chan_send_adjust(ch);
		if (!ch->adjust_due) {
			ch->adjust_due = 1;
			d->flags |= SIM_DEVF_ADJUST_DUE;
			sim_dev_flush_later(d);
		}
		return 0;
	}
	if (ch->adjust_armed)
		return 0;
	if (ch->adjust_ev == NULL && (ch->adjust_ev = evtimer_new(
	    d->fleet->base, sim_chan_adjust_due, ch)) == NULL)
		return MPS_ERR_NOMEM;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (evtimer_add(ch->adjust_ev, &tv) != 0)
		return MPS_ERR_NOMEM;
	ch->adjust_armed = 1;
	d->fleet->st.window_adjusts_delayed++;
	return 0;
}

static int
sim_chan_send_adjust(struct sim_chan *ch)
{
	struct sim_dev	*d = ch->dev;
	struct apf_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = APF_CHANNEL_WINDOW_ADJUST;
	m.u.window_adjust.recipient = ch->peer_id;
	m.u.window_adjust.bytes = ch->rx_unacked;
	ch->rx_left += ch->rx_unacked;
	ch->rx_unacked = 0;
	ch->adjust_due = 0;
	return sim_dev_send(d, &m);
}

/*
 * Moves queued output as window and TLS room allow; sends the deferred
 * CLOSE once a closing service's output is gone.
 */
static int
sim_chan_flush(struct sim_chan *ch)
{
	struct sim_dev	*d = ch->dev;
	struct sim_opts	*o = &d->fleet->opt;
	struct apf_msg	 m;
	size_t		 len, n;
	const uint8_t	*p;
	int		 r;

	while (ch->out != NULL && (len = evbuffer_get_length(ch->out)) > 0 &&
	    ch->tx_window > 0) {
		if (!sim_dev_out_room(d)) {
			d->flags |= SIM_DEVF_OUT_BLOCKED;
			return 0;
		}
		n = len;
		if (n > ch->tx_window)
			n = ch->tx_window;
		if (n > o->max_packet)
			n = o->max_packet;
		if ((p = evbuffer_pullup(ch->out, (ev_ssize_t)n)) == NULL)
			return MPS_ERR_NOMEM;
		memset(&m, 0, sizeof(m));
		m.type = APF_CHANNEL_DATA;
		m.u.data.recipient = ch->peer_id;
		m.u.data.data.p = p;
		m.u.data.data.len = (uint32_t)n;
		if ((r = sim_dev_send(d, &m)) != 0)
			return r;
		evbuffer_drain(ch->out, n);
		ch->tx_window -= (uint32_t)n;
		d->fleet->st.channel_bytes_out += n;
	}
	if (ch->state == SIM_CHAN_CLOSE_PENDING &&
	    (ch->out == NULL || evbuffer_get_length(ch->out) == 0))
		return sim_chan_send_close(ch);
	return 0;
}

/* Offers buffered input to the service again (after output room grew). */
static int
sim_chan_feed(struct sim_chan *ch)
{
	struct evbuffer_iovec	 v;
	const uint8_t		*p;
	size_t			 len, n, chunk;
	int			 r;

	while (ch->state == SIM_CHAN_OPEN && ch->in != NULL &&
	    (len = evbuffer_get_length(ch->in)) > 0) {
		chunk = SIM_CHAN_FEED_CHUNK;
		if (evbuffer_peek(ch->in, -1, NULL, &v, 1) >= 1 &&
		    v.iov_len > chunk)
			chunk = v.iov_len;
		if (len > chunk)
			len = chunk;
		if ((p = evbuffer_pullup(ch->in, (ev_ssize_t)len)) == NULL)
			return MPS_ERR_NOMEM;
		n = ch->svc->data(ch, p, len);
		if (n > len)
			n = len;
		evbuffer_drain(ch->in, n);
		if ((r = sim_chan_consumed(ch, n)) != 0)
			return r;
		/* Partial progress may have freed room already (output that
		 * left at once): go on until the service takes nothing. */
		if (n == 0)
			break;
	}
	return 0;
}

/* Output room may have appeared: flush, re-offer input, tell the service. */
static int
sim_chan_kick(struct sim_chan *ch)
{
	int	r;

	if ((r = sim_chan_flush(ch)) != 0)
		return r;
	if (ch->state != SIM_CHAN_OPEN || sim_chan_room(ch) == 0)
		return 0;
	if ((r = sim_chan_feed(ch)) != 0)
		return r;
	if (ch->state == SIM_CHAN_OPEN && ch->svc->writable != NULL &&
	    sim_chan_room(ch) > 0)
		ch->svc->writable(ch);
	return 0;
}

static int
sim_chan_refuse(struct sim_dev *d, uint32_t peer, uint32_t reason)
{
	struct apf_msg	m;

	memset(&m, 0, sizeof(m));
	m.type = APF_CHANNEL_OPEN_FAILURE;
	m.u.open_failure.recipient = peer;
	m.u.open_failure.reason = reason;
	d->fleet->st.channels_refused++;
	return sim_dev_send(d, &m);
}

static int
sim_chan_port_acked(const struct sim_dev *d, uint32_t port)
{
	const struct sim_opts	*o = &d->fleet->opt;
	uint32_t		 i;

	for (i = 0; i < o->nports; i++)
		if (o->ports[i] == port && (d->fwd_acked & (1u << i)))
			return 1;
	return 0;
}

/* ignore-window: send well past the MPS's window in one burst. */
static int
sim_chan_overrun(struct sim_chan *ch)
{
	struct sim_dev	*d = ch->dev;
	struct apf_msg	 m;
	static uint8_t	 zeros[16 * 1024];
	uint64_t	 total;
	uint32_t	 n, extra;
	int		 r;

	/*
	 * Past any grace a server may allow (a fraction of its window), and
	 * past what it may credit back meanwhile: a server that hands the
	 * first window to its consumer before it has read the rest sends a
	 * WINDOW_ADJUST, and an overrun of one window would then fit.  Four
	 * windows stay an overrun after any credit a consumer that gives up
	 * on the garbage can cause.
	 */
	extra = ch->tx_window / 4 > SIM_CHAN_OVERRUN ? ch->tx_window / 4 :
	    SIM_CHAN_OVERRUN;
	total = 4 * (uint64_t)ch->tx_window + extra;
	if (total > SIM_CHAN_OVERRUN_MAX)
		total = SIM_CHAN_OVERRUN_MAX;
	while (total > 0) {
		n = total > sizeof(zeros) ? sizeof(zeros) : (uint32_t)total;
		memset(&m, 0, sizeof(m));
		m.type = APF_CHANNEL_DATA;
		m.u.data.recipient = ch->peer_id;
		m.u.data.data.p = zeros;
		m.u.data.data.len = n;
		if ((r = sim_dev_send(d, &m)) != 0)
			return r;
		d->fleet->st.channel_bytes_out += n;
		total -= n;
	}
	ch->tx_window = 0;
	return 0;
}

int
sim_chan_on_open(struct sim_dev *d, const struct apf_msg *m)
{
	struct sim_fleet	*f = d->fleet;
	struct sim_opts		*o = &f->opt;
	struct sim_chan		*ch;
	const struct sim_svc	*svc = NULL;
	struct apf_msg		 c;
	uint32_t		 port = m->u.open.conn_port, i, reason = 0;
	int			 r;

	if (!apf_str_eq(m->u.open.chan_type, APF_CHAN_FORWARDED))
		reason = APF_OPEN_UNKNOWN_CHANNEL_TYPE;
	else if (!sim_chan_port_acked(d, port) ||
	    (svc = sim_svc_for_port(port)) == NULL)
		reason = APF_OPEN_CONNECT_FAILED;
	else if (o->refuse_open || d->nchans >= o->max_channels)
		reason = APF_OPEN_RESOURCE_SHORTAGE;
	else if (d->chans == NULL &&
	    (d->chans = calloc(o->max_channels, sizeof(*d->chans))) == NULL)
		reason = APF_OPEN_RESOURCE_SHORTAGE;
	if (reason != 0) {
		sim_fleet_log(f, 2, d, "refusing channel to port %u: "
		    "reason %u", port, reason);
		return sim_chan_refuse(d, m->u.open.sender, reason);
	}
	for (i = 0; i < o->max_channels; i++)
		if (d->chans[i] == NULL)
			break;
	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		return sim_chan_refuse(d, m->u.open.sender,
		    APF_OPEN_RESOURCE_SHORTAGE);
	ch->dev = d;
	ch->id = i;
	ch->peer_id = m->u.open.sender;
	ch->port = port;
	ch->rx_left = o->rx_window;
	ch->tx_window = m->u.open.window;
	ch->state = SIM_CHAN_OPEN;
	if ((r = svc->open(ch)) != 0) {
		if (ch->out != NULL)
			evbuffer_free(ch->out);
		free(ch);
		return sim_chan_refuse(d, m->u.open.sender,
		    APF_OPEN_CONNECT_FAILED);
	}
	ch->svc = svc;
	d->chans[i] = ch;
	d->nchans++;
	f->st.channels_opened++;

	memset(&c, 0, sizeof(c));
	c.type = APF_CHANNEL_OPEN_CONFIRMATION;
	c.u.open_confirm.recipient = ch->peer_id;
	c.u.open_confirm.sender = ch->id;
	c.u.open_confirm.window = o->rx_window;
	c.u.open_confirm.reserved = APF_CHANNEL_RESERVED;
	if ((r = sim_dev_send(d, &c)) != 0)
		return r;
	if (d->misbehave == SIM_MB_IGNORE_WINDOW)
		return sim_chan_overrun(ch);
	/* The service may have queued a greeting in open(). */
	return sim_chan_flush(ch);
}

int
sim_chan_on_data(struct sim_dev *d, const struct apf_msg *m)
{
	struct sim_chan	*ch;
	const uint8_t	*p = m->u.data.data.p;
	size_t		 len = m->u.data.data.len, n;
	int		 r;

	if ((ch = sim_chan_lookup(d, m->u.data.recipient)) == NULL) {
		/* Data for a freed id: the MPS sent after a CLOSE. */
		d->fleet->st.channel_glitches++;
		return 0;
	}
	if (len > ch->rx_left) {
		sim_fleet_log(d->fleet, 1, d, "MPS sent %zu bytes on channel "
		    "%u with %u window left", len, ch->id, ch->rx_left);
		return MPS_ERR_WINDOW;
	}
	ch->rx_left -= (uint32_t)len;
	d->fleet->st.channel_bytes_in += len;
	if (ch->state != SIM_CHAN_OPEN)
		return 0;	/* the service is done with it */
	n = 0;
	if (ch->in == NULL || evbuffer_get_length(ch->in) == 0) {
		n = ch->svc->data(ch, p, len);
		if (n > len)
			n = len;
		if (ch->state != SIM_CHAN_OPEN)
			return sim_chan_consumed(ch, len);
	}
	if ((r = sim_chan_consumed(ch, n)) != 0 || n == len)
		return r;
	if (ch->in == NULL && (ch->in = evbuffer_new()) == NULL)
		return MPS_ERR_NOMEM;
	if (evbuffer_add(ch->in, p + n, len - n) != 0)
		return MPS_ERR_NOMEM;
	/* What was written may have left already, making room. */
	return sim_chan_feed(ch);
}

int
sim_chan_on_window(struct sim_dev *d, const struct apf_msg *m)
{
	struct sim_chan	*ch;

	if ((ch = sim_chan_lookup(d, m->u.window_adjust.recipient)) == NULL) {
		d->fleet->st.channel_glitches++;
		return 0;
	}
	ch->tx_window = sim_chan_sat_add(ch->tx_window,
	    m->u.window_adjust.bytes);
	return sim_chan_kick(ch);
}

int
sim_chan_on_close(struct sim_dev *d, const struct apf_msg *m)
{
	struct sim_chan	*ch;
	int		 r = 0;

	if ((ch = sim_chan_lookup(d, m->u.close.recipient)) == NULL) {
		d->fleet->st.channel_glitches++;
		return 0;
	}
	/* Exactly one CLOSE from us per channel: answer theirs unless ours
	 * already went out. */
	if (ch->state != SIM_CHAN_CLOSE_SENT)
		r = sim_chan_send_close(ch);
	sim_chan_free(ch);
	return r;
}

void
sim_chan_dev_writable(struct sim_dev *d)
{
	uint32_t	i;

	if (d->chans == NULL)
		return;
	for (i = 0; i < d->fleet->opt.max_channels && d->ssl != NULL; i++) {
		if (d->chans[i] == NULL)
			continue;
		if (sim_chan_kick(d->chans[i]) != 0) {
			sim_dev_close(d, SIM_CLOSE_NO_MEMORY, 0);
			return;
		}
		if (d->flags & SIM_DEVF_OUT_BLOCKED)
			return;
	}
}

int
sim_chan_dev_adjust(struct sim_dev *d)
{
	struct sim_chan	*ch;
	uint32_t	 i;
	int		 r;

	d->flags &= ~SIM_DEVF_ADJUST_DUE;
	if (d->chans == NULL)
		return 0;
	for (i = 0; i < d->fleet->opt.max_channels; i++) {
		if ((ch = d->chans[i]) == NULL || !ch->adjust_due)
			continue;
		ch->adjust_due = 0;
		if (ch->state == SIM_CHAN_OPEN && ch->rx_unacked > 0 &&
		    (r = sim_chan_send_adjust(ch)) != 0)
			return r;
	}
	return 0;
}

void
sim_chan_dev_free(struct sim_dev *d)
{
	uint32_t	i;

	if (d->chans == NULL)
		return;
	for (i = 0; i < d->fleet->opt.max_channels; i++)
		if (d->chans[i] != NULL)
			sim_chan_free(d->chans[i]);
	free(d->chans);
	d->chans = NULL;
	d->nchans = 0;
}

size_t
sim_chan_room(const struct sim_chan *ch)
{
	size_t	used, max = ch->dev->fleet->opt.chan_out_max;

	if (ch->state != SIM_CHAN_OPEN)
		return 0;
	used = ch->out != NULL ? evbuffer_get_length(ch->out) : 0;
	return used >= max ? 0 : max - used;
}

int
sim_chan_write(struct sim_chan *ch, const void *p, size_t len)
{
	if (ch->state != SIM_CHAN_OPEN)
		return MPS_ERR_CHANNEL;
	if (len > sim_chan_room(ch))
		return MPS_ERR_LIMIT;
	if (ch->out == NULL && (ch->out = evbuffer_new()) == NULL)
		return MPS_ERR_NOMEM;
	if (evbuffer_add(ch->out, p, len) != 0)
		return MPS_ERR_NOMEM;
	if (!sim_chan_registered(ch))
		return 0;
	return sim_chan_flush(ch);
}

void
sim_chan_close(struct sim_chan *ch)
{
	if (ch->state != SIM_CHAN_OPEN)
		return;
	ch->state = SIM_CHAN_CLOSE_PENDING;
	if (!sim_chan_registered(ch))
		return;
	/* A failed flush leaves the CLOSE pending; the tunnel is going
	 * down anyway in that case. */
	(void)sim_chan_flush(ch);
}
