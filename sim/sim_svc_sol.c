/*
 * sim_svc_sol.c: the AMT redirection service on 16994, serial-over-LAN only,
 * as amtterm and MeshCommander speak it (little-endian; byte 0 is the type):
 *
 *   console                          device
 *   0x10 StartRedirectionSession "SOL " -> 0x11 reply, 13 bytes (no OEM data)
 *   0x13 Authenticate, type 0 (query)   -> 0x14 listing type 1
 *        type 1 (user/password)         -> 0x14 status 0, or 1 when wrong
 *   0x20 StartSOL (24 bytes)            -> 0x21 reply, 23 bytes
 *   0x28 data to host (10 + len)        -> 0x2A data from host, same bytes:
 *                                          the simulated serial port echoes
 *   0x24 keep-alive ping                -> 0x25 pong
 *   0x2B heartbeat                      -> (ignored: amtterm echoes ours)
 *   0x22 EndSOL                         -> 0x23 reply
 *   0x12 EndRedirectionSession          -> channel closed
 *
 * Credentials are the WS-Man ones (--amt-user / --amt-password), as AMT has
 * one set for both.  Only query and user/password authentication exist here:
 * amtterm 1.4 (Debian) sends user/password; digest (types 3/4) is answered
 * with status 1 like any other unsupported method.
 *
 * Replies leave one per sim_chan_write(), and nothing is sent unasked, so
 * each reply is its own CHANNEL_DATA: amtterm's parser takes a whole read
 * as one AUTHENTICATE or START_SOL reply.  A message is consumed only once
 * it is complete and its answer fits in the channel's output, so a console
 * that does not read stalls itself, not our memory.
 */
#include <stdlib.h>
#include <string.h>

#include "mps_err.h"
#include "sim.h"

#define SIM_SOL_START		0x10
#define SIM_SOL_START_REPLY	0x11
#define SIM_SOL_END_SESSION	0x12
#define SIM_SOL_AUTH		0x13
#define SIM_SOL_AUTH_REPLY	0x14
#define SIM_SOL_SOL_START	0x20
#define SIM_SOL_SOL_START_REPLY	0x21
#define SIM_SOL_SOL_END		0x22
#define SIM_SOL_SOL_END_REPLY	0x23
#define SIM_SOL_PING		0x24
#define SIM_SOL_PONG		0x25
#define SIM_SOL_TO_HOST		0x28
#define SIM_SOL_FROM_HOST	0x2a
#define SIM_SOL_HEARTBEAT	0x2b

#define SIM_SOL_AUTH_QUERY	0
#define SIM_SOL_AUTH_USERPASS	1
#define SIM_SOL_AUTH_DIGEST	4

/* Largest message accepted: an auth with 2 x 255 bytes, or SOL data. */
#define SIM_SOL_MSG_MAX		(4 * 1024)

static const char *sim_svc_sol_state_names[] = {
#define SIM_SOL_NAME(name, str) str,
	SIM_SOL_STATES(SIM_SOL_NAME)
#undef SIM_SOL_NAME
};

const char *
sim_svc_sol_state_name(enum sim_sol_state st)
{
	if ((unsigned)st >= sizeof(sim_svc_sol_state_names) /
	    sizeof(sim_svc_sol_state_names[0]))
		return "?";
	return sim_svc_sol_state_names[st];
}

static uint32_t
sim_svc_sol_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
sim_svc_sol_put32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static int
sim_svc_sol_open(struct sim_chan *ch)
{
	struct sim_sol	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return MPS_ERR_NOMEM;
	s->state = SIM_SOL_WAIT_START;
	ch->svc_state = s;
	return 0;
}

static void
sim_svc_sol_fail(struct sim_chan *ch, struct sim_sol *s)
{
	s->state = SIM_SOL_ENDED;
	ch->dev->fleet->st.sol_errors++;
	sim_chan_close(ch);
}

/* Checks "<ulen><user><plen><pass>" against the AMT credentials. */
static int
sim_svc_sol_userpass_ok(const struct sim_chan *ch, const uint8_t *p,
    size_t len)
{
	const struct sim_wsman_cfg *w = &ch->dev->fleet->opt.wsman;
	const char	*user = w->user != NULL ? w->user :
	    SIM_WSMAN_DEFAULT_USER;
	const char	*pass = w->password != NULL ? w->password :
	    SIM_WSMAN_DEFAULT_PASSWORD;
	size_t		 ulen, plen;

	if (len < 1 || (ulen = p[0]) + 2 > len)
		return 0;
	plen = p[1 + ulen];
	if (2 + ulen + plen != len)
		return 0;
	return ulen == strlen(user) && memcmp(p + 1, user, ulen) == 0 &&
	    plen == strlen(pass) && memcmp(p + 2 + ulen, pass, plen) == 0;
}

/*
 * Handles one complete message of mlen bytes.  Returns 1 when done, 0 when
 * the answer does not fit yet (nothing consumed), -1 when the channel is
 * closing.
 */
static int
sim_svc_sol_msg(struct sim_chan *ch, struct sim_sol *s, const uint8_t *p,
    size_t mlen)
{
	uint8_t		 r[64], out[SIM_SOL_MSG_MAX];
	size_t		 rlen = 0, dlen;
	uint32_t	 alen;

	memset(r, 0, sizeof(r));
	switch (p[0]) {
	case SIM_SOL_START:
		if (s->state != SIM_SOL_WAIT_START)
			break;
		r[0] = SIM_SOL_START_REPLY;
		/* Only SOL is simulated: IDER and KVM get a failure. */
		r[1] = memcmp(p + 4, "SOL ", 4) == 0 ? 0 : 1;
		r[4] = 1;	/* protocol 1.0 */
		r[6] = 11;	/* firmware 11.8, as the WS-Man side says */
		r[7] = 8;
		rlen = 13;	/* byte 12: no OEM data */
		if (sim_chan_room(ch) < rlen)
			return 0;
		if (sim_chan_write(ch, r, rlen) != 0)
			return -1;
		if (r[1] != 0) {
			sim_svc_sol_fail(ch, s);
			return -1;
		}
		s->state = SIM_SOL_WAIT_AUTH;
		return 1;
	case SIM_SOL_AUTH:
		if (s->state != SIM_SOL_WAIT_AUTH)
			break;
		alen = sim_svc_sol_le32(p + 5);
		r[0] = SIM_SOL_AUTH_REPLY;
		r[4] = p[4];
		rlen = 9;
		if (p[4] == SIM_SOL_AUTH_QUERY) {
			/* The methods offered, one byte each. */
			r[5] = 1;
			r[9] = SIM_SOL_AUTH_USERPASS;
			rlen = 10;
		} else if (p[4] == SIM_SOL_AUTH_USERPASS &&
		    sim_svc_sol_userpass_ok(ch, p + 9, alen))
			r[1] = 0;
		else
			r[1] = 1;
		if (sim_chan_room(ch) < rlen)
			return 0;
		if (sim_chan_write(ch, r, rlen) != 0)
			return -1;
		if (p[4] != SIM_SOL_AUTH_QUERY) {
			if (r[1] != 0) {
				ch->dev->fleet->st.sol_auth_failed++;
				sim_svc_sol_fail(ch, s);
				return -1;
			}
			s->state = SIM_SOL_WAIT_SOL;
		}
		return 1;
	case SIM_SOL_SOL_START:
		if (s->state != SIM_SOL_WAIT_SOL)
			break;
		r[0] = SIM_SOL_SOL_START_REPLY;
		/* Echo the console's settings back as accepted. */
		memcpy(r + 4, p + 4, 19);
		rlen = 23;
		if (sim_chan_room(ch) < rlen)
			return 0;
		if (sim_chan_write(ch, r, rlen) != 0)
			return -1;
		s->state = SIM_SOL_RUN;
		ch->dev->fleet->st.sol_sessions++;
		return 1;
	case SIM_SOL_TO_HOST:
		if (s->state != SIM_SOL_RUN)
			break;
		/* The serial port echoes: same payload, back as 0x2A. */
		dlen = mlen - 10;
		if (sim_chan_room(ch) < mlen)
			return 0;
		/* One write, so the message is one CHANNEL_DATA. */
		memset(out, 0, 10);
		out[0] = SIM_SOL_FROM_HOST;
		sim_svc_sol_put32(out + 4, s->seq);
		out[8] = dlen & 0xff;
		out[9] = (dlen >> 8) & 0xff;
		memcpy(out + 10, p + 10, dlen);
		if (sim_chan_write(ch, out, mlen) != 0)
			return -1;
		s->seq++;
		ch->dev->fleet->st.sol_bytes += dlen;
		return 1;
	case SIM_SOL_PING:
		r[0] = SIM_SOL_PONG;
		rlen = 8;
		if (sim_chan_room(ch) < rlen)
			return 0;
		return sim_chan_write(ch, r, rlen) != 0 ? -1 : 1;
	case SIM_SOL_HEARTBEAT:
		return 1;
	case SIM_SOL_SOL_END:
		if (s->state != SIM_SOL_RUN)
			break;
		r[0] = SIM_SOL_SOL_END_REPLY;
		rlen = 8;
		if (sim_chan_room(ch) < rlen)
			return 0;
		if (sim_chan_write(ch, r, rlen) != 0)
			return -1;
		s->state = SIM_SOL_WAIT_SOL;
		return 1;
	case SIM_SOL_END_SESSION:
		s->state = SIM_SOL_ENDED;
		sim_chan_close(ch);
		return -1;
	}
	/* Out of order or unknown: AMT drops the connection. */
	sim_fleet_log(ch->dev->fleet, 1, ch->dev, "SOL: message 0x%02x in "
	    "state %s", p[0], sim_svc_sol_state_name(s->state));
	sim_svc_sol_fail(ch, s);
	return -1;
}

/*
 * Length of the complete message at p, 0 if more bytes are needed, or
 * SIZE_MAX for a message that can never be valid.
 */
size_t
sim_svc_sol_msg_len(const uint8_t *p, size_t len)
{
	size_t	n;

	if (len < 1)
		return 0;
	switch (p[0]) {
	case SIM_SOL_START:
	case SIM_SOL_PING:
	case SIM_SOL_HEARTBEAT:
	case SIM_SOL_SOL_END:
		n = 8;
		break;
	case SIM_SOL_END_SESSION:
		n = 4;
		break;
	case SIM_SOL_SOL_START:
		n = 24;
		break;
	case SIM_SOL_AUTH:
		if (len < 9)
			return 0;
		n = sim_svc_sol_le32(p + 5);
		if (n > SIM_SOL_MSG_MAX - 9)
			return SIZE_MAX;
		n += 9;
		break;
	case SIM_SOL_TO_HOST:
		if (len < 10)
			return 0;
		n = 10 + ((size_t)p[8] | (size_t)p[9] << 8);
		if (n > SIM_SOL_MSG_MAX)
			return SIZE_MAX;
		break;
	default:
		return SIZE_MAX;
	}
	return len >= n ? n : 0;
}

static size_t
sim_svc_sol_data(struct sim_chan *ch, const uint8_t *p, size_t len)
{
	struct sim_sol	*s = ch->svc_state;
	size_t		 used = 0, n;
	int		 r;

	while (s->state != SIM_SOL_ENDED && used < len) {
		n = sim_svc_sol_msg_len(p + used, len - used);
		if (n == SIZE_MAX) {
			sim_fleet_log(ch->dev->fleet, 1, ch->dev, "SOL: bad "
			    "message type 0x%02x", p[used]);
			sim_svc_sol_fail(ch, s);
			return len;
		}
		if (n == 0)
			break;	/* the rest stays buffered in the channel */
		if ((r = sim_svc_sol_msg(ch, s, p + used, n)) == 0)
			break;	/* no room for the answer yet */
		if (r < 0)
			return len;
		used += n;
	}
	if (s->state == SIM_SOL_ENDED)
		return len;
	return used;
}

static void
sim_svc_sol_close(struct sim_chan *ch)
{
	free(ch->svc_state);
	ch->svc_state = NULL;
}

const struct sim_svc sim_svc_sol = {
	.name = "sol",
	.open = sim_svc_sol_open,
	.data = sim_svc_sol_data,
	.writable = NULL,	/* held input is offered again by the channel */
	.close = sim_svc_sol_close,
};
