/* fuzz_apf_session.c: libFuzzer entry for the APF session state machine. */
#include <stddef.h>
#include <stdint.h>

#include "proto_fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	proto_fuzz_session(data, size);
	return 0;
}
