/*
 * cfgtest.c: temporary directories and files for the config/ unit tests.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfgtest.h"

void
cfgtest_dir_init(struct cfgtest_dir *d)
{
	const char *tmp = getenv("TMPDIR");
	char tmpl[200], *real;

	memset(d, 0, sizeof *d);
	snprintf(tmpl, sizeof tmpl, "%s/mps-config-XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(tmpl) == NULL || (real = realpath(tmpl, NULL)) == NULL) {
		perror("mkdtemp");
		abort();
	}
	snprintf(d->path, sizeof d->path, "%s", real);
	free(real);
}

void
cfgtest_dir_cleanup(struct cfgtest_dir *d)
{
	size_t i;

	for (i = 0; i < d->nfiles; i++)
		unlink(d->files[i]);
	for (i = d->ndirs; i > 0; i--)
		rmdir(d->dirs[i - 1]);
	rmdir(d->path);
}

const char *
cfgtest_mkdir(struct cfgtest_dir *d, const char *rel)
{
	char full[sizeof d->dirs[0]], *p;

	if (d->ndirs >= sizeof d->dirs / sizeof d->dirs[0])
		abort();
	snprintf(full, sizeof full, "%s/%s", d->path, rel);
	p = d->dirs[d->ndirs];
	memcpy(p, full, sizeof full);
	if (mkdir(p, 0700) != 0) {
		perror(p);
		abort();
	}
	d->ndirs++;
	return p;
}

const char *
cfgtest_write_len(struct cfgtest_dir *d, const char *rel, const char *data,
    size_t len)
{
	char full[sizeof d->files[0]], *p = NULL;
	size_t i;
	FILE *f;

	snprintf(full, sizeof full, "%s/%s", d->path, rel);
	for (i = 0; i < d->nfiles; i++)
		if (strcmp(d->files[i], full) == 0)
			p = d->files[i];
	if (p == NULL) {
		if (d->nfiles >= sizeof d->files / sizeof d->files[0])
			abort();
		p = d->files[d->nfiles++];
		memcpy(p, full, sizeof full);
	}
	if ((f = fopen(p, "wb")) == NULL || fwrite(data, 1, len, f) != len) {
		perror(p);
		abort();
	}
	fclose(f);
	return p;
}

const char *
cfgtest_write(struct cfgtest_dir *d, const char *rel, const char *text)
{
	return cfgtest_write_len(d, rel, text, strlen(text));
}

char *
cfgtest_slurp(const char *path)
{
	FILE *f;
	char *buf;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (n < 0 || (buf = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

int
cfgtest_contains(const char *hay, const char *needle)
{
	return hay != NULL && needle != NULL && strstr(hay, needle) != NULL;
}
