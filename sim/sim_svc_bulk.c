/*
 * sim_svc_bulk.c: a byte sink/source for bulk tests (port 9999 when the
 * device forwards it with --ports).  The console sends one command per
 * line (at most SIM_BULK_LINE_MAX bytes, "\n"-terminated):
 *
 *   sink N     the next N bytes are read and discarded; then the device
 *              answers "<sha256 hex> N\n" (what it received)
 *   sink       everything until the channel closes is discarded
 *   source N   the device sends N pseudo-random bytes, as fast as the
 *              window allows; nothing else follows them
 *   sum        the device answers "<sha256 hex> N\n" of its last source
 *   echo       every further byte comes back (as port 7 would)
 *   quit       the device closes the channel
 *
 * Anything else gets "error\n" and the channel closed.  Both sides compute
 * the checksum on their own, so a test compares two independent SHA-256s.
 * Output is produced only as sim_chan_room() allows and input is consumed
 * only as it is hashed, so flow control stays end to end.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mps_err.h"
#include "sim.h"

#define SIM_BULK_LINE_MAX	128
/* Source bytes generated per step: large, so a step fills much of the
 * channel's output at once. */
#define SIM_BULK_CHUNK		(64 * 1024)
#define SIM_BULK_REPLY_MAX	96	/* 64 hex, space, 20 digits, \n */

static const char *sim_svc_bulk_state_names[] = {
#define SIM_BULK_NAME(name, str) str,
	SIM_BULK_STATES(SIM_BULK_NAME)
#undef SIM_BULK_NAME
};

const char *
sim_svc_bulk_state_name(enum sim_bulk_state st)
{
	if ((unsigned)st >= sizeof(sim_svc_bulk_state_names) /
	    sizeof(sim_svc_bulk_state_names[0]))
		return "?";
	return sim_svc_bulk_state_names[st];
}

/* xorshift64*: cheap, and the bytes are not compressible or periodic. */
static uint64_t
sim_svc_bulk_next(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dULL;
}

/*
 * The source stream: byte o is pattern[o mod 64 KiB] xor the number of the
 * 64 KiB block it is in (in every byte), the pattern xorshift64* output.
 * Cheap enough that the simulator's CPU goes to TLS, not to making bytes
 * (xorshift per word cost a fifth of it at 800 MB/s), still not periodic
 * (a block moved or repeated is caught by the checksum), and one
 * continuous sequence however it is cut into chunks, so "sum" can
 * regenerate it.
 */
#define SIM_BULK_PAT		(64 * 1024)
static uint64_t	sim_svc_bulk_pat[SIM_BULK_PAT / 8];
static int	sim_svc_bulk_pat_ready;

static void
sim_svc_bulk_pat_init(void)
{
	uint64_t	x = 0x9e3779b97f4a7c15ULL;
	size_t		i;

	if (sim_svc_bulk_pat_ready)
		return;
	for (i = 0; i < SIM_BULK_PAT / 8; i++)
		sim_svc_bulk_pat[i] = sim_svc_bulk_next(&x);
	sim_svc_bulk_pat_ready = 1;
}

static uint8_t
sim_svc_bulk_byte(uint64_t o)
{
	return ((const uint8_t *)sim_svc_bulk_pat)[o % SIM_BULK_PAT] ^
	    (uint8_t)(o / SIM_BULK_PAT);
}

static void
sim_svc_bulk_gen(struct sim_bulk_gen *g, uint8_t *buf, size_t n)
{
	uint64_t	o = g->off, w, mask;
	size_t		k, i;

	sim_svc_bulk_pat_init();
	for (; n > 0 && o % 8 != 0; n--, o++)
		*buf++ = sim_svc_bulk_byte(o);
	while (n >= 8) {
		/* Whole words up to the end of this 64 KiB block. */
		k = (SIM_BULK_PAT - o % SIM_BULK_PAT) / 8;
		if (k > n / 8)
			k = n / 8;
		mask = 0x0101010101010101ULL * (uint8_t)(o / SIM_BULK_PAT);
		for (i = 0; i < k; i++) {
			w = sim_svc_bulk_pat[(o % SIM_BULK_PAT) / 8 + i] ^ mask;
			memcpy(buf + 8 * i, &w, 8);
		}
		buf += 8 * k;
		o += 8 * k;
		n -= 8 * k;
	}
	for (; n > 0; n--, o++)
		*buf++ = sim_svc_bulk_byte(o);
	g->off = o;
}

/*
 * SHA-256 of the last source, regenerated from its starting state: the
 * stream itself is not hashed while it is sent, which halved the cost of
 * sourcing bytes (the bulk benchmark must measure the MPS, not this).
 */
static int
sim_svc_bulk_source_sum(struct sim_bulk *b)
{
	uint8_t			buf[SIM_BULK_CHUNK];
	struct sim_bulk_gen	g = b->src_start;
	uint64_t		left = b->source_total;
	size_t			n;

	if (EVP_DigestInit_ex(b->md, EVP_sha256(), NULL) != 1)
		return -1;
	while (left > 0) {
		n = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		sim_svc_bulk_gen(&g, buf, n);
		if (EVP_DigestUpdate(b->md, buf, n) != 1)
			return -1;
		left -= n;
	}
	return 0;
}

static int
sim_svc_bulk_open(struct sim_chan *ch)
{
	struct sim_bulk	*b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return MPS_ERR_NOMEM;
	if ((b->md = EVP_MD_CTX_new()) == NULL) {
		free(b);
		return MPS_ERR_NOMEM;
	}
	b->state = SIM_BULK_COMMAND;
	/* Each channel's stream starts at a different block. */
	b->gen.off = (uint64_t)ch->port * SIM_BULK_PAT;
	ch->svc_state = b;
	return 0;
}

static void
sim_svc_bulk_hex(EVP_MD_CTX *md, char out[65])
{
	uint8_t		h[EVP_MAX_MD_SIZE];
	unsigned int	n = 0, i;

	if (EVP_DigestFinal_ex(md, h, &n) != 1)
		n = 0;
	for (i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
	out[2 * i] = '\0';
}

/* Queues "<hex> N\n" for the digest in b->md; 0 when it does not fit. */
static int
sim_svc_bulk_reply_sum(struct sim_chan *ch, struct sim_bulk *b,
    uint64_t count, int saved)
{
	char	hex[65], line[SIM_BULK_REPLY_MAX];
	int	n;

	if (sim_chan_room(ch) < SIM_BULK_REPLY_MAX)
		return 0;
	if (saved)
		memcpy(hex, b->sum, sizeof(hex));
	else
		sim_svc_bulk_hex(b->md, hex);
	n = snprintf(line, sizeof(line), "%s %" PRIu64 "\n", hex, count);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	return sim_chan_write(ch, line, (size_t)n) != 0 ? -1 : 1;
}

static void
sim_svc_bulk_fail(struct sim_chan *ch, struct sim_bulk *b)
{
	b->state = SIM_BULK_DONE;
	if (sim_chan_room(ch) >= 6)
		(void)sim_chan_write(ch, "error\n", 6);
	sim_chan_close(ch);
}

/* Sends source bytes while room lasts. */
static void
sim_svc_bulk_pump(struct sim_chan *ch, struct sim_bulk *b)
{
	uint8_t		buf[SIM_BULK_CHUNK];
	size_t		n;

	while (b->state == SIM_BULK_SOURCE && b->left > 0 &&
	    (n = sim_chan_room(ch)) > 0) {
		if (n > sizeof(buf))
			n = sizeof(buf);
		if (n > b->left)
			n = (size_t)b->left;
		sim_svc_bulk_gen(&b->gen, buf, n);
		if (sim_chan_write(ch, buf, n) != 0) {
			sim_svc_bulk_fail(ch, b);
			return;
		}
		b->left -= n;
		ch->dev->fleet->st.bulk_bytes_out += n;
	}
	if (b->state == SIM_BULK_SOURCE && b->left == 0) {
		b->have_sum = 1;	/* computed when asked for */
		b->state = SIM_BULK_COMMAND;
	}
}

/* Parses one command line (without its "\n"). */
static void
sim_svc_bulk_command(struct sim_chan *ch, struct sim_bulk *b,
    const char *line)
{
	unsigned long long	n;
	char			*end;

	if (strncmp(line, "sink", 4) == 0 || strncmp(line, "source ", 7) == 0) {
		if (EVP_DigestInit_ex(b->md, EVP_sha256(), NULL) != 1) {
			sim_svc_bulk_fail(ch, b);
			return;
		}
	}
	if (strcmp(line, "sink") == 0) {
		b->state = SIM_BULK_SINK_ALL;
		return;
	}
	if (strncmp(line, "sink ", 5) == 0 ||
	    strncmp(line, "source ", 7) == 0) {
		n = strtoull(strchr(line, ' ') + 1, &end, 10);
		if (*end != '\0' || end == strchr(line, ' ') + 1) {
			sim_svc_bulk_fail(ch, b);
			return;
		}
		b->left = b->total = n;
		if (line[1] == 'i') {
			b->state = SIM_BULK_SINK;
		} else {
			b->have_sum = b->sum_ready = 0;
			b->source_total = n;
			b->src_start = b->gen;
			b->state = SIM_BULK_SOURCE;
			sim_svc_bulk_pump(ch, b);
		}
		return;
	}
	if (strcmp(line, "sum") == 0) {
		b->state = SIM_BULK_SUM;
		return;
	}
	if (strcmp(line, "echo") == 0) {
		b->state = SIM_BULK_ECHO;
		return;
	}
	if (strcmp(line, "quit") == 0) {
		b->state = SIM_BULK_DONE;
		sim_chan_close(ch);
		return;
	}
	sim_svc_bulk_fail(ch, b);
}

/* A pending answer (sink done, sum): 1 sent, 0 no room, -1 failed. */
static int
sim_svc_bulk_answer(struct sim_chan *ch, struct sim_bulk *b)
{
	int	r;

	if (b->state == SIM_BULK_SINK_REPLY)
		r = sim_svc_bulk_reply_sum(ch, b, b->total, 0);
	else if (b->state == SIM_BULK_SUM && b->have_sum) {
		if (!b->sum_ready) {
			if (sim_svc_bulk_source_sum(b) != 0) {
				sim_svc_bulk_fail(ch, b);
				return -1;
			}
			sim_svc_bulk_hex(b->md, b->sum);
			b->sum_ready = 1;
		}
		r = sim_svc_bulk_reply_sum(ch, b, b->source_total, 1);
	}
	else if (b->state == SIM_BULK_SUM)
		r = sim_chan_room(ch) < 8 ? 0 :
		    sim_chan_write(ch, "nosum\n", 6) != 0 ? -1 : 1;
	else
		return 1;
	if (r > 0)
		b->state = SIM_BULK_COMMAND;
	else if (r < 0)
		sim_svc_bulk_fail(ch, b);
	return r;
}

static size_t
sim_svc_bulk_data(struct sim_chan *ch, const uint8_t *p, size_t len)
{
	struct sim_bulk	*b = ch->svc_state;
	const uint8_t	*nl;
	size_t		 used = 0, n;
	char		 line[SIM_BULK_LINE_MAX + 1];

	while (used < len) {
		switch (b->state) {
		case SIM_BULK_COMMAND:
			n = len - used;
			if (n > SIM_BULK_LINE_MAX + 1)
				n = SIM_BULK_LINE_MAX + 1;
			if ((nl = memchr(p + used, '\n', n)) == NULL) {
				if (n > SIM_BULK_LINE_MAX)
					sim_svc_bulk_fail(ch, b);
				return b->state == SIM_BULK_DONE ? len : used;
			}
			n = (size_t)(nl - (p + used));
			memcpy(line, p + used, n);
			line[n] = '\0';
			if (n > 0 && line[n - 1] == '\r')
				line[n - 1] = '\0';
			used += n + 1;
			sim_svc_bulk_command(ch, b, line);
			break;
		case SIM_BULK_SINK:
		case SIM_BULK_SINK_ALL:
			n = len - used;
			if (b->state == SIM_BULK_SINK && n > b->left)
				n = (size_t)b->left;
			if (EVP_DigestUpdate(b->md, p + used, n) != 1) {
				sim_svc_bulk_fail(ch, b);
				return len;
			}
			used += n;
			ch->dev->fleet->st.bulk_bytes_in += n;
			if (b->state == SIM_BULK_SINK &&
			    (b->left -= n) == 0) {
				b->state = SIM_BULK_SINK_REPLY;
				if (sim_svc_bulk_answer(ch, b) == 0)
					return used;
			}
			break;
		case SIM_BULK_ECHO:
			n = sim_chan_room(ch);
			if (n > len - used)
				n = len - used;
			if (n == 0)
				return used;
			if (sim_chan_write(ch, p + used, n) != 0) {
				sim_svc_bulk_fail(ch, b);
				return len;
			}
			used += n;
			break;
		case SIM_BULK_SOURCE:
			/* Commands wait until the source is sent. */
			sim_svc_bulk_pump(ch, b);
			if (b->state == SIM_BULK_SOURCE)
				return used;
			break;
		case SIM_BULK_SINK_REPLY:
		case SIM_BULK_SUM:
			if (sim_svc_bulk_answer(ch, b) <= 0)
				return b->state == SIM_BULK_DONE ? len : used;
			break;
		case SIM_BULK_DONE:
			return len;
		}
	}
	/* A sum command that was the last bytes: answer now if room. */
	if (b->state == SIM_BULK_SUM || b->state == SIM_BULK_SINK_REPLY)
		(void)sim_svc_bulk_answer(ch, b);
	return used;
}

static void
sim_svc_bulk_writable(struct sim_chan *ch)
{
	struct sim_bulk	*b = ch->svc_state;

	if (b->state == SIM_BULK_SOURCE)
		sim_svc_bulk_pump(ch, b);
	else if (b->state == SIM_BULK_SINK_REPLY || b->state == SIM_BULK_SUM)
		(void)sim_svc_bulk_answer(ch, b);
}

static void
sim_svc_bulk_close(struct sim_chan *ch)
{
	struct sim_bulk	*b = ch->svc_state;

	if (b != NULL) {
		EVP_MD_CTX_free(b->md);
		free(b);
	}
	ch->svc_state = NULL;
}

const struct sim_svc sim_svc_bulk = {
	.name = "bulk",
	.open = sim_svc_bulk_open,
	.data = sim_svc_bulk_data,
	.writable = sim_svc_bulk_writable,
	.close = sim_svc_bulk_close,
};
