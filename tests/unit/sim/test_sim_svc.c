/*
 * test_sim_svc.c: the SOL redirection service (16994) and the bulk
 * sink/source service (9999) driven in memory.  A channel that is not
 * registered in its device's table only buffers what the service writes
 * (sim_chan_write), so the test reads the replies from ch->out, exactly as
 * they would leave, one write per reply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <openssl/evp.h>

#include "mps_err.h"
#include "sim.h"

static struct sim_fleet	t_fleet;
static struct sim_dev	t_dev;

static struct sim_chan *
t_chan(const struct sim_svc *svc, uint32_t port)
{
	struct sim_chan	*ch;

	memset(&t_fleet, 0, sizeof(t_fleet));
	sim_fleet_opts_default(&t_fleet.opt);
	memset(&t_dev, 0, sizeof(t_dev));
	t_dev.fleet = &t_fleet;
	ch = calloc(1, sizeof(*ch));
	assert_non_null(ch);
	ch->dev = &t_dev;
	ch->port = port;
	ch->state = SIM_CHAN_OPEN;
	assert_int_equal(svc->open(ch), 0);
	ch->svc = svc;
	return ch;
}

static void
t_free(struct sim_chan *ch)
{
	ch->svc->close(ch);
	if (ch->out != NULL)
		evbuffer_free(ch->out);
	free(ch);
}

/* Takes everything the service wrote so far. */
static size_t
t_take(struct sim_chan *ch, uint8_t *buf, size_t cap)
{
	size_t	n;

	if (ch->out == NULL)
		return 0;
	n = evbuffer_get_length(ch->out);
	assert_true(n <= cap);
	evbuffer_remove(ch->out, buf, n);
	return n;
}

static void
t_feed_all(struct sim_chan *ch, const uint8_t *p, size_t len)
{
	assert_int_equal(ch->svc->data(ch, p, len), len);
}

/* amtterm's sequence, byte for byte as amtterm 1.4 writes it. */
static void
test_sol_amtterm(void **state)
{
	static const uint8_t start[8] = { 0x10, 0, 0, 0, 'S', 'O', 'L', ' ' };
	static const uint8_t sol[24] = { 0x20, 0, 0, 0, 0, 0, 0, 0,
	    0xe8, 0x03, 100, 0, 0, 0, 0x10, 0x27, 0, 0, 0x88, 0x13 };
	struct sim_chan	*ch = t_chan(&sim_svc_sol, 16994);
	struct sim_sol	*s = ch->svc_state;
	uint8_t		 auth[64], out[256], data[16];
	size_t		 n, alen;

	/* Start, split across two deliveries: nothing until complete. */
	assert_int_equal(ch->svc->data(ch, start, 5), 0);
	assert_int_equal(t_take(ch, out, sizeof(out)), 0);
	t_feed_all(ch, start, sizeof(start));
	n = t_take(ch, out, sizeof(out));
	assert_int_equal(n, 13);
	assert_int_equal(out[0], 0x11);
	assert_int_equal(out[1], 0);
	assert_int_equal(out[12], 0);	/* no OEM data */
	assert_int_equal(s->state, SIM_SOL_WAIT_AUTH);

	/* Query, then user/password (the WS-Man defaults). */
	memset(auth, 0, sizeof(auth));
	auth[0] = 0x13;
	t_feed_all(ch, auth, 9);
	n = t_take(ch, out, sizeof(out));
	assert_int_equal(n, 10);
	assert_int_equal(out[0], 0x14);
	assert_int_equal(out[5], 1);
	assert_int_equal(out[9], 1);
	alen = 2 + strlen("admin") + strlen("P@ssw0rd");
	auth[4] = 1;
	auth[5] = (uint8_t)alen;
	auth[9] = 5;
	memcpy(auth + 10, "admin", 5);
	auth[15] = 8;
	memcpy(auth + 16, "P@ssw0rd", 8);
	t_feed_all(ch, auth, 9 + alen);
	n = t_take(ch, out, sizeof(out));
	assert_int_equal(n, 9);
	assert_int_equal(out[0], 0x14);
	assert_int_equal(out[1], 0);

	t_feed_all(ch, sol, sizeof(sol));
	n = t_take(ch, out, sizeof(out));
	assert_int_equal(n, 23);
	assert_int_equal(out[0], 0x21);
	assert_int_equal(out[1], 0);
	assert_int_equal(s->state, SIM_SOL_RUN);

	/* Two data messages and a heartbeat in one delivery. */
	memset(data, 0, sizeof(data));
	data[0] = 0x28;
	data[8] = 3;
	memcpy(data + 10, "hi\n", 3);
	{
		uint8_t	two[40];

		memcpy(two, data, 13);
		memcpy(two + 13, data, 13);
		memset(two + 26, 0, 8);
		two[26] = 0x2b;
		t_feed_all(ch, two, 34);
	}
	n = t_take(ch, out, sizeof(out));
	assert_int_equal(n, 26);
	assert_int_equal(out[0], 0x2a);
	assert_int_equal(out[8], 3);
	assert_memory_equal(out + 10, "hi\n", 3);
	assert_int_equal(out[13], 0x2a);
	assert_int_equal(out[13 + 4], 1);	/* sequence counts up */
	assert_int_equal(t_fleet.st.sol_bytes, 6);
	assert_int_equal(t_fleet.st.sol_sessions, 1);

	/* End SOL, end session: the channel closes. */
	memset(data, 0, sizeof(data));
	data[0] = 0x22;
	t_feed_all(ch, data, 8);
	n = t_take(ch, out, sizeof(out));
	assert_int_equal(n, 8);
	assert_int_equal(out[0], 0x23);
	data[0] = 0x12;
	t_feed_all(ch, data, 4);
	assert_int_equal(ch->state, SIM_CHAN_CLOSE_PENDING);
	t_free(ch);
}

static void
test_sol_bad_password(void **state)
{
	static const uint8_t start[8] = { 0x10, 0, 0, 0, 'S', 'O', 'L', ' ' };
	static const uint8_t auth[] = { 0x13, 0, 0, 0, 1, 9, 0, 0, 0,
	    5, 'a', 'd', 'm', 'i', 'n', 2, 'n', 'o' };
	struct sim_chan	*ch = t_chan(&sim_svc_sol, 16994);
	uint8_t		 out[64];

	t_feed_all(ch, start, sizeof(start));
	(void)t_take(ch, out, sizeof(out));
	t_feed_all(ch, auth, sizeof(auth));
	assert_int_equal(t_take(ch, out, sizeof(out)), 9);
	assert_int_equal(out[0], 0x14);
	assert_int_equal(out[1], 1);
	assert_int_equal(ch->state, SIM_CHAN_CLOSE_PENDING);
	assert_int_equal(t_fleet.st.sol_auth_failed, 1);
	t_free(ch);
}

/* Out of order, unknown type, IDER: refused and closed. */
static void
test_sol_protocol_errors(void **state)
{
	static const uint8_t sol[24] = { 0x20 };
	static const uint8_t junk[4] = { 0x77, 0, 0, 0 };
	static const uint8_t ider[8] = { 0x10, 0, 0, 0, 'I', 'D', 'E', 'R' };
	struct sim_chan	*ch;
	uint8_t		 out[64];

	ch = t_chan(&sim_svc_sol, 16994);
	t_feed_all(ch, sol, sizeof(sol));
	assert_int_equal(ch->state, SIM_CHAN_CLOSE_PENDING);
	t_free(ch);

	ch = t_chan(&sim_svc_sol, 16994);
	t_feed_all(ch, junk, sizeof(junk));
	assert_int_equal(ch->state, SIM_CHAN_CLOSE_PENDING);
	t_free(ch);

	ch = t_chan(&sim_svc_sol, 16994);
	t_feed_all(ch, ider, sizeof(ider));
	assert_int_equal(t_take(ch, out, sizeof(out)), 13);
	assert_int_equal(out[1], 1);
	assert_int_equal(ch->state, SIM_CHAN_CLOSE_PENDING);
	t_free(ch);

	/* Lengths: incomplete, complete, oversized. */
	assert_int_equal(sim_svc_sol_msg_len((const uint8_t *)"\x28\0\0", 3),
	    0);
	assert_int_equal(sim_svc_sol_msg_len((const uint8_t *)
	    "\x28\0\0\0\0\0\0\0\x01\0x", 11), 11);
	assert_int_equal(sim_svc_sol_msg_len((const uint8_t *)
	    "\x28\0\0\0\0\0\0\0\xff\xff", 10), SIZE_MAX);
	assert_string_equal(sim_svc_sol_state_name(SIM_SOL_RUN), "run");
}

/* No room for the echo: nothing consumed (the channel holds the input). */
static void
test_sol_backpressure(void **state)
{
	static const uint8_t start[8] = { 0x10, 0, 0, 0, 'S', 'O', 'L', ' ' };
	struct sim_chan	*ch = t_chan(&sim_svc_sol, 16994);
	uint8_t		 msg[1034], *fill;
	size_t		 room;

	t_feed_all(ch, start, sizeof(start));
	((struct sim_sol *)ch->svc_state)->state = SIM_SOL_RUN;
	room = sim_chan_room(ch);
	fill = calloc(1, room - 100);
	assert_non_null(fill);
	assert_int_equal(sim_chan_write(ch, fill, room - 100), 0);
	free(fill);
	memset(msg, 'x', sizeof(msg));
	msg[0] = 0x28;
	msg[8] = 0x00;
	msg[9] = 0x04;	/* 1024 bytes */
	assert_int_equal(ch->svc->data(ch, msg, sizeof(msg)), 0);
	evbuffer_drain(ch->out, evbuffer_get_length(ch->out));
	assert_int_equal(ch->svc->data(ch, msg, sizeof(msg)), sizeof(msg));
	t_free(ch);
}

static void
t_sha256_hex(const uint8_t *p, size_t len, char out[65])
{
	uint8_t		h[32];
	unsigned int	n = 0, i;

	assert_int_equal(EVP_Digest(p, len, h, &n, EVP_sha256(), NULL), 1);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static void
test_bulk_sink(void **state)
{
	struct sim_chan	*ch = t_chan(&sim_svc_bulk, 9999);
	uint8_t		 buf[5000], out[256];
	char		 hex[65], want[128];
	size_t		 i, n;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7);
	t_feed_all(ch, (const uint8_t *)"sink 5000\n", 10);
	/* In odd pieces. */
	for (i = 0; i < sizeof(buf); i += n) {
		n = sizeof(buf) - i < 333 ? sizeof(buf) - i : 333;
		t_feed_all(ch, buf + i, n);
	}
	n = t_take(ch, out, sizeof(out) - 1);
	out[n] = '\0';
	t_sha256_hex(buf, sizeof(buf), hex);
	snprintf(want, sizeof(want), "%s 5000\n", hex);
	assert_string_equal((char *)out, want);
	/* A second command on the same channel, then quit. */
	t_feed_all(ch, (const uint8_t *)"sink 0\nquit\n", 12);
	n = t_take(ch, out, sizeof(out) - 1);
	out[n] = '\0';
	t_sha256_hex(buf, 0, hex);
	snprintf(want, sizeof(want), "%s 0\n", hex);
	assert_string_equal((char *)out, want);
	assert_int_equal(ch->state, SIM_CHAN_CLOSE_PENDING);
	t_free(ch);
}

static void
test_bulk_source_sum(void **state)
{
	struct sim_chan	*ch = t_chan(&sim_svc_bulk, 9999);
	uint8_t		*got, out[256];
	size_t		 total = 200000, have = 0, n;
	char		 hex[65], want[128];

	got = malloc(total);
	assert_non_null(got);
	t_feed_all(ch, (const uint8_t *)"source 200000\n", 14);
	/* Output never beyond the channel's room; drain, then writable. */
	while (have < total) {
		n = evbuffer_get_length(ch->out);
		assert_true(n > 0);
		assert_true(n <= t_fleet.opt.chan_out_max);
		evbuffer_remove(ch->out, got + have, n);
		have += n;
		ch->svc->writable(ch);
	}
	assert_int_equal(evbuffer_get_length(ch->out), 0);
	t_feed_all(ch, (const uint8_t *)"sum\n", 4);
	n = t_take(ch, out, sizeof(out) - 1);
	out[n] = '\0';
	t_sha256_hex(got, total, hex);
	snprintf(want, sizeof(want), "%s 200000\n", hex);
	assert_string_equal((char *)out, want);
	free(got);
	t_free(ch);
}

static void
test_bulk_echo_and_errors(void **state)
{
	struct sim_chan	*ch = t_chan(&sim_svc_bulk, 9999);
	uint8_t		 out[64], line[200];

	t_feed_all(ch, (const uint8_t *)"echo\nabc", 8);
	assert_int_equal(t_take(ch, out, sizeof(out)), 3);
	assert_memory_equal(out, "abc", 3);
	t_free(ch);

	ch = t_chan(&sim_svc_bulk, 9999);
	t_feed_all(ch, (const uint8_t *)"bogus\n", 6);
	assert_int_equal(t_take(ch, out, sizeof(out)), 6);
	assert_memory_equal(out, "error\n", 6);
	assert_int_equal(ch->state, SIM_CHAN_CLOSE_PENDING);
	t_free(ch);

	/* A line too long without a newline. */
	ch = t_chan(&sim_svc_bulk, 9999);
	memset(line, 'a', sizeof(line));
	t_feed_all(ch, line, sizeof(line));
	assert_int_equal(ch->state, SIM_CHAN_CLOSE_PENDING);
	t_free(ch);

	ch = t_chan(&sim_svc_bulk, 9999);
	t_feed_all(ch, (const uint8_t *)"source 12x\n", 11);
	assert_int_equal(ch->state, SIM_CHAN_CLOSE_PENDING);
	t_free(ch);
	assert_string_equal(sim_svc_bulk_state_name(SIM_BULK_SINK_ALL),
	    "sink-all");
}

static void
test_svc_table(void **state)
{
	assert_ptr_equal(sim_svc_for_port(16994), &sim_svc_sol);
	assert_ptr_equal(sim_svc_for_port(9999), &sim_svc_bulk);
	assert_ptr_equal(sim_svc_for_port(16992), &sim_svc_wsman);
	assert_ptr_equal(sim_svc_for_port(5900), &sim_svc_echo);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sol_amtterm),
		cmocka_unit_test(test_sol_bad_password),
		cmocka_unit_test(test_sol_protocol_errors),
		cmocka_unit_test(test_sol_backpressure),
		cmocka_unit_test(test_bulk_sink),
		cmocka_unit_test(test_bulk_source_sum),
		cmocka_unit_test(test_bulk_echo_and_errors),
		cmocka_unit_test(test_svc_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
