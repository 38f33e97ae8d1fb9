/*
 * fuzz_devices_load.c: devices.yaml bytes into devices_load_buffer().
 *
 * On success the table's invariants must hold: GUIDs canonical, strictly
 * sorted and each found by devices_find(), names found by
 * devices_find_name(), every entry with MPS credentials.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "mps_err.h"
#include "passwd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct devices *d = NULL;
	struct config_err err;
	char canon[DEVICES_GUID_LEN + 1];
	const struct device_entry *e;
	size_t i;

	if (devices_load_buffer((const char *)data, size, "fuzz.yaml", &d,
	    &err) != 0) {
		if (d != NULL || err.msg[0] == '\0')
			abort();
		return 0;
	}
	for (i = 0; i < d->n; i++) {
		e = &d->v[i];
		if (devices_guid_canon(e->guid, canon) != 0 ||
		    strcmp(canon, e->guid) != 0)
			abort();
		if (i > 0 && strcmp(d->v[i - 1].guid, e->guid) >= 0)
			abort();
		if (devices_find(d, e->guid) != e)
			abort();
		if (e->name != NULL && devices_find_name(d, e->name) != e)
			abort();
		if (devices_mps_username(d, e) == NULL ||
		    passwd_check_format(devices_mps_password_hash(d, e)) != 0)
			abort();
	}
	devices_free(d);
	return 0;
}
