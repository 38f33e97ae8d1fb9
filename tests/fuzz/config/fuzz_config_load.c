/*
 * fuzz_config_load.c: amt-mps.yaml bytes into config_load_buffer().
 *
 * Besides memory safety, checks two properties: a failure always carries
 * a message, and an accepted config dumps to YAML that loads back to the
 * same dump (config_dump is a fixed point).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "mps_err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
dump(const struct mps_config *c, size_t *len)
{
	char *buf = NULL;
	FILE *f;

	if ((f = open_memstream(&buf, len)) == NULL)
		abort();
	config_dump(c, f);
	fclose(f);
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mps_config *c = NULL, *c2 = NULL;
	struct config_err err;
	char line[600], *d1, *d2;
	size_t l1, l2;
	int rc;

	rc = config_load_buffer((const char *)data, size, "fuzz.yaml",
	    "/fuzz", &c, &err);
	if (rc != 0) {
		if (c != NULL || err.msg[0] == '\0' ||
		    memchr(err.msg, '\0', sizeof err.msg) == NULL)
			abort();
		config_err_format(&err, line, sizeof line);
		return 0;
	}
	d1 = dump(c, &l1);
	if (config_load_buffer(d1, l1, "dump.yaml", "/fuzz", &c2, &err) != 0) {
		config_err_format(&err, line, sizeof line);
		fprintf(stderr, "dump does not load: %s\n%s", line, d1);
		abort();
	}
	d2 = dump(c2, &l2);
	if (l1 != l2 || memcmp(d1, d2, l1) != 0) {
		fprintf(stderr, "dump changed on reload:\n%s\n---\n%s", d1, d2);
		abort();
	}
	free(d1);
	free(d2);
	config_free(c);
	config_free(c2);
	return 0;
}
