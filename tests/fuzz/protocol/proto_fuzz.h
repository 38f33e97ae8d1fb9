/*
 * proto_fuzz.h: the protocol fuzz harnesses, shared by the libFuzzer
 * targets and by the deterministic mutation loop of the unit tests.  Each
 * checks the layer's invariants and abort()s when one breaks.
 */
#ifndef PROTO_FUZZ_H
#define PROTO_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/*
 * Byte 0 picks the decoder flags and max_data; the rest is decoded as a
 * stream.  Checks: only documented results, INCOMPLETE never past
 * apf_max_message(), every decoded message re-encodes to its length (and
 * to the same bytes where the layout has no reserved fields), and its
 * prefixes are INCOMPLETE.
 */
void	proto_fuzz_decode(const uint8_t *data, size_t size);

/*
 * Byte 0 picks the auth verdict (accept/reject, sync/async), the read
 * chunking and the limits; the rest are device bytes fed to a session
 * that opens a channel per forwarded port and relays like a daemon.
 * Checks: only documented results, CLOSED after an error, the unconsumed
 * rest below apf_session_max_message(), every message we send well formed,
 * no more CLOSEs than opens, no leaks (under ASan).
 */
void	proto_fuzz_session(const uint8_t *data, size_t size);

#endif /* PROTO_FUZZ_H */
