/*
 * main.c: amt-mps command line.
 *
 *	amt-mps [-c FILE] [-l ADDR:PORT] [-d] [-f] [-t] [-T] [--version]
 *
 * The daemon always runs in the foreground and logs to stderr (systemd,
 * docker and supervisors expect that); -f is accepted for compatibility.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: amt-mps [-dftT] [-c file] [-l addr:port] "
	    "[--version]\n"
	    "  -c file    configuration file (default %s if it exists,\n"
	    "             otherwise built-in defaults for a first try)\n"
	    "  -l a:p     listen on this address and port instead of the\n"
	    "             configured ones (IPv6 as [addr]:port)\n"
	    "  -d         log at debug level\n"
	    "  -f         run in the foreground (always the case)\n"
	    "  -t         check the configuration and devices files, exit\n"
	    "  -T         print the effective configuration, exit\n"
	    "  --version  print the version, exit\n", CONFIG_DEFAULT_PATH);
}

/*
 * -l ADDR:PORT replaces the listen list: a first try on built-in defaults
 * can stay on loopback, and tests never bind a public address.
 */
static int
parse_listen(const char *arg, struct config_listen *l)
{
	const char	*colon = strrchr(arg, ':');
	const char	*a = arg;
	size_t		 alen;
	char		*end;
	long		 port;

	if (colon == NULL)
		return -1;
	alen = (size_t)(colon - arg);
	if (alen >= 2 && arg[0] == '[' && arg[alen - 1] == ']') {
		a = arg + 1;
		alen -= 2;
	}
	if (alen == 0 || alen >= sizeof(l->address))
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || end == colon + 1 || port < 1 || port > 65535)
		return -1;
	memset(l, 0, sizeof(*l));
	memcpy(l->address, a, alen);
	l->port = (uint16_t)port;
	return 0;
}

/* amt-mps -t: every file the daemon would read at startup. */
static int
check(struct mps_config *cfg, const char *path)
{
	struct devices		*d = NULL;
	struct config_err	 err;
	char			 buf[600];
	int			 demo;

	memset(&err, 0, sizeof(err));
	if (server_load_devices(cfg, path == NULL, &d, &demo, &err) != 0) {
		config_err_format(&err, buf, sizeof(buf));
		fprintf(stderr, "%s\n", buf);
		return 1;
	}
	if (tls_init(cfg, 1) != 0) {
		devices_free(d);
		return 1;
	}
	fprintf(stderr, "amt-mps: configuration OK (config %s, devices %s: "
	    "%zu devices%s)\n", path != NULL ? path : "built-in defaults",
	    d->path != NULL ? d->path : "none", d->n,
	    demo ? ", demo credentials" : "");
	devices_free(d);
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "version",	no_argument,	NULL,	'V' },
		{ "help",	no_argument,	NULL,	'h' },
		{ NULL,		0,		NULL,	0 },
	};
	struct mps_config	*cfg = NULL;
	struct config_err	 err;
	struct config_listen	 listen;
	const char		*path = NULL;
	char			 buf[600];
	int			 ch, debug = 0, test = 0, dump = 0, rc;
	int			 have_listen = 0;

	while ((ch = getopt_long(argc, argv, "c:dftThl:", longopts, NULL))
	    != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'l':
			if (parse_listen(optarg, &listen) != 0) {
				fprintf(stderr, "amt-mps: -l %s: expected "
				    "ADDR:PORT, e.g. 127.0.0.1:4433\n", optarg);
				return 2;
			}
			have_listen = 1;
			break;
		case 'd':
			debug = 1;
			break;
		case 'f':
			break;
		case 't':
			test = 1;
			break;
		case 'T':
			dump = 1;
			break;
		case 'V':
			printf("amt-mps %s\n", MPS_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	log_init(debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO, 0);
	if (path == NULL && access(CONFIG_DEFAULT_PATH, F_OK) == 0)
		path = CONFIG_DEFAULT_PATH;
	memset(&err, 0, sizeof(err));
	if (path != NULL) {
		if (config_load(path, &cfg, &err) != 0) {
			config_err_format(&err, buf, sizeof(buf));
			fprintf(stderr, "%s\n", buf);
			return 1;
		}
	} else if ((cfg = config_new_defaults()) == NULL) {
		fprintf(stderr, "amt-mps: out of memory\n");
		return 1;
	}
	if (debug)
		cfg->log.level = CONFIG_LOG_DEBUG;
	if (have_listen) {
		cfg->listen[0] = listen;
		cfg->nlisten = 1;
	}

	if (dump) {
		config_dump(cfg, stdout);
		config_free(cfg);
		return 0;
	}
	if (test) {
		rc = check(cfg, path);
		config_free(cfg);
		return rc;
	}
	log_init((enum log_level)cfg->log.level,
	    cfg->log.format == CONFIG_LOG_JSON);
	if (path == NULL)
		log_warnx("no configuration file (%s): running on built-in "
		    "defaults for a first try", CONFIG_DEFAULT_PATH);
	return server_run(cfg, path, debug);
}
