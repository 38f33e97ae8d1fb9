/*
 * test_apf_mutation.c: a deterministic mutation loop in the normal test
 * suite.  Recorded device streams and synthetic ones are bit-flipped,
 * truncated, spliced and given hostile lengths, then run through the same
 * invariant-checking harnesses as the fuzz targets (which abort on any
 * broken invariant; ASan/UBSan watch memory).  Fixed seeds: every run is
 * the same run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "apf.h"
#include "mps_err.h"
#include "proto_fuzz.h"
#include "proto_util.h"

#define ITERATIONS	1500

struct seed {
	uint8_t	*p;
	size_t	 len;
};

static uint32_t rng_state;

static uint32_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static const uint32_t hostile_u32[] = { 0, 1, 0x7f, 0x800, 0x801, 0xffff,
    0x10000, 0x100001, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff };

/* Applies 1..4 random mutations to buf (len in/out, capacity cap). */
static void
mutate(uint8_t *buf, size_t *len, size_t cap)
{
	int i, n = 1 + (int)(rnd() % 4);
	size_t at, k, v;

	for (i = 0; i < n && *len > 0; i++) {
		at = rnd() % *len;
		switch (rnd() % 7) {
		case 0:		/* bit flip */
			buf[at] ^= (uint8_t)(1u << (rnd() % 8));
			break;
		case 1:		/* interesting byte */
			buf[at] = (uint8_t[]){ 0, 1, 0x7f, 0x80, 0xff,
			    APF_CHANNEL_DATA, APF_GLOBAL_REQUEST }[rnd() % 7];
			break;
		case 2:		/* hostile u32 (a length or an id) */
			if (*len - at >= 4) {
				v = hostile_u32[rnd() % (sizeof(hostile_u32) /
				    sizeof(hostile_u32[0]))];
				buf[at] = (uint8_t)(v >> 24);
				buf[at + 1] = (uint8_t)(v >> 16);
				buf[at + 2] = (uint8_t)(v >> 8);
				buf[at + 3] = (uint8_t)v;
			}
			break;
		case 3:		/* truncate */
			*len = at + 1;
			break;
		case 4:		/* delete a range */
			k = 1 + rnd() % 16;
			if (k > *len - at)
				k = *len - at;
			memmove(buf + at, buf + at + k, *len - at - k);
			*len -= k;
			break;
		case 5:		/* duplicate a range (e.g. a whole message) */
			k = 1 + rnd() % 64;
			if (k > *len - at)
				k = *len - at;
			if (*len + k <= cap) {
				memmove(buf + at + k, buf + at, *len - at);
				*len += k;
			}
			break;
		default:	/* insert a random byte */
			if (*len < cap) {
				memmove(buf + at + 1, buf + at, *len - at);
				buf[at] = (uint8_t)rnd();
				(*len)++;
			}
			break;
		}
	}
}

/* Device streams of the recorded sessions, truncated to keep runs short. */
static size_t
load_seeds(struct seed *seeds, size_t max)
{
	static const char *files[] = {
		"meshcentral-client_meshcentral-mps_auth-ok.records.jsonl",
		"meshcentral-client_meshcentral-mps_auth-fail.records.jsonl",
		"test-device_openamt-mps_power-boot-version.records.jsonl",
	};
	struct pu_chunk *c;
	size_t f, i, n, ns = 0;
	int conn;

	for (f = 0; f < 3; f++) {
		n = pu_load_jsonl(files[f], &c);
		for (conn = 1; conn <= 4 && ns < max; conn++) {
			struct seed *s = &seeds[ns];

			s->p = malloc(8192);
			assert_non_null(s->p);
			s->len = 0;
			for (i = 0; i < n; i++) {
				if (!c[i].c2s || c[i].conn != conn)
					continue;
				if (s->len + c[i].len > 8192)
					break;
				memcpy(s->p + s->len, c[i].p, c[i].len);
				s->len += c[i].len;
			}
			if (s->len == 0)
				free(s->p);
			else
				ns++;
		}
		pu_free_chunks(c, n);
	}
	return ns;
}

static void
test_mutated_sessions(void **state)
{
	struct seed seeds[16];
	uint8_t *buf;
	size_t ns, i, len, cap = 16384, total = 0;
	int it;

	(void)state;
	ns = load_seeds(seeds, 16);
	assert_true(ns >= 6);
	buf = malloc(cap);
	assert_non_null(buf);
	rng_state = 0x2545f491;
	for (it = 0; it < ITERATIONS; it++) {
		const struct seed *s = &seeds[(size_t)it % ns];

		/* Byte 0: harness mode (verdict, chunking, limits). */
		buf[0] = (uint8_t)rnd();
		memcpy(buf + 1, s->p, s->len);
		len = s->len + 1;
		mutate(buf + 1, &len, cap - 1);
		proto_fuzz_session(buf, len);
		proto_fuzz_decode(buf, len);
		total += len;
	}
	/* The unmutated seeds, every mode. */
	for (i = 0; i < ns; i++)
		for (it = 0; it < 32; it++) {
			buf[0] = (uint8_t)it;
			memcpy(buf + 1, seeds[i].p, seeds[i].len);
			proto_fuzz_session(buf, seeds[i].len + 1);
		}
	print_message("%d mutated inputs, %zu bytes\n", ITERATIONS, total);
	for (i = 0; i < ns; i++)
		free(seeds[i].p);
	free(buf);
}

/* Random bytes that start with a valid handshake reach every state. */
static void
test_random_after_handshake(void **state)
{
	uint8_t buf[2048];
	size_t hs, len, i;
	int it;

	(void)state;
	hs = pu_hex("00"
	    "c0 00000001 00000000 00000001 000102030405060708090a0b0c0d0e0f"
	    " 0000000000000000000000000000000000000000000000000000000000000000"
	    " 0000000000000000000000000000000000000000000000000000000000000000"
	    " 05 00000012 6175746840616d742e696e74656c2e636f6d"
	    " 32 00000001 75 00000012 7066776440616d742e696e74656c2e636f6d"
	    " 00000008 70617373776f7264 00 00000001 70"
	    " 05 00000012 7066776440616d742e696e74656c2e636f6d"
	    " 50 0000000d 74637069702d666f7277617264 01 00000000 00004260"
	    " 5b 00000004 00000001 00000100 ffffffff", buf, sizeof(buf));
	rng_state = 0x1234567;
	for (it = 0; it < 3000; it++) {
		buf[0] = (uint8_t)rnd();
		len = hs + rnd() % 64;
		for (i = hs; i < len; i++) {
			/* Mostly plausible type bytes, then anything. */
			if (i == hs || rnd() % 5 == 0)
				buf[i] = (uint8_t[]){ 0x5d, 0x5e, 0x61, 0x5b,
				    0x5c, 0xd0, 0xd3, 0x50, 0x01, 0x5a }
				    [rnd() % 10];
			else
				buf[i] = (uint8_t)(rnd() % 3 == 0 ? rnd() :
				    rnd() % 8);
		}
		proto_fuzz_session(buf, len);
		proto_fuzz_decode(buf, len);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutated_sessions),
		cmocka_unit_test(test_random_after_handshake),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
