/*
 * cfgtest.h: helpers shared by the config/ unit tests: a private temporary
 * directory per test and small file writers.
 */
#ifndef CFGTEST_H
#define CFGTEST_H

#include <stddef.h>

#include "config.h"

struct cfgtest_dir {
	char	path[256];	/* mkdtemp result, realpath'd */
	char	files[32][300];	/* written files, removed by cleanup */
	size_t	nfiles;
	char	dirs[8][300];	/* subdirectories, removed after files */
	size_t	ndirs;
};

/* Creates a fresh directory under TMPDIR (or /tmp); aborts on failure. */
void	cfgtest_dir_init(struct cfgtest_dir *d);
/* Removes every file written through the helpers, then the directory. */
void	cfgtest_dir_cleanup(struct cfgtest_dir *d);
/* Creates the subdirectory rel; returns its path (static per dir slot). */
const char *cfgtest_mkdir(struct cfgtest_dir *d, const char *rel);
/* Writes len bytes to dir/rel and returns the full path (in d). */
const char *cfgtest_write_len(struct cfgtest_dir *d, const char *rel,
	    const char *data, size_t len);
const char *cfgtest_write(struct cfgtest_dir *d, const char *rel,
	    const char *text);
/* Reads a whole file into a malloc'd NUL-terminated string. */
char	*cfgtest_slurp(const char *path);
/* 1 if hay contains needle. */
int	cfgtest_contains(const char *hay, const char *needle);

#endif /* CFGTEST_H */
