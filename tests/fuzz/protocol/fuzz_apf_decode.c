/* fuzz_apf_decode.c: libFuzzer entry for the APF decoder. */
#include <stddef.h>
#include <stdint.h>

#include "proto_fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	proto_fuzz_decode(data, size);
	return 0;
}
