/*
 * main.c: amt-mps-certs, the certificate tool of amt-mps.
 *
 *	amt-mps-certs init --dir DIR --cn NAME [--san SPEC ...]
 *	    [--key-type TYPE] [--days N] [--force]
 *	amt-mps-certs renew --dir DIR [--cn NAME] [--san SPEC ...]
 *	    [--key-type TYPE] [--days N] [--force]
 *	amt-mps-certs fingerprint --dir DIR
 *
 * Exit status: 0 ok, 1 the operation failed, 2 usage error.  Everything
 * the command line can get wrong is checked here, before any key is
 * generated, so a usage error never leaves a file behind.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs.h"
#include "mps_err.h"

#define EXIT_USAGE	2

enum certs_cmd { CMD_INIT, CMD_RENEW, CMD_FINGERPRINT };

struct certs_args {
	enum certs_cmd		 cmd;
	const char		*dir;
	struct certs_opts	 o;
	const char		*sans[CERTS_SAN_MAX];
	int			 has_opts;	/* any option but --dir */
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: amt-mps-certs init --dir DIR --cn NAME [--san IP:ADDR|DNS:NAME ...]\n"
"           [--key-type rsa2048|rsa3072|rsa4096|ec384] [--days N] [--force]\n"
"       amt-mps-certs renew --dir DIR [--cn NAME] [--san IP:ADDR|DNS:NAME ...]\n"
"           [--key-type TYPE] [--days N] [--force]\n"
"       amt-mps-certs fingerprint --dir DIR\n"
"       amt-mps-certs --help | --version\n"
"\n"
"init         create DIR/root.crt, root.key, server.crt, server.key\n"
"renew        issue a new server certificate under the same root\n"
"fingerprint  print the SHA-256 hash of DIR/root.crt for AMT's CIRA setup\n"
"\n"
"--cn NAME    the address AMT dials (IP or DNS name); also added as a SAN\n"
"--key-type   server key (default rsa2048: AMT 12 rejects 3072-bit\n"
"             server keys; AMT 22 needs rsa3072 or ec384)\n"
"--days N     server certificate validity (default %d; the root: %d)\n"
"--force      init: replace existing files; renew: replace a server.crt\n"
"             that root.crt did not issue\n"
"Exit status: 0 ok, 1 failure, 2 usage error.\n",
	    CERTS_SERVER_DAYS, CERTS_ROOT_DAYS);
}

static int	usage_error(const char *, ...)
		    __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "amt-mps-certs: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'amt-mps-certs --help'.\n");
	return EXIT_USAGE;
}

static int
parse_days(const char *s, int *days)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 ||
	    v > CERTS_DAYS_MAX)
		return -1;
	*days = (int)v;
	return 0;
}

/* Returns 0, or the exit status to leave with (help: 0 via *done). */
static int
parse_args(int argc, char **argv, struct certs_args *a, int *done)
{
	static const struct option longopts[] = {
		{ "dir",	required_argument, NULL, 'd' },
		{ "cn",		required_argument, NULL, 'n' },
		{ "san",	required_argument, NULL, 's' },
		{ "key-type",	required_argument, NULL, 'k' },
		{ "days",	required_argument, NULL, 'D' },
		{ "force",	no_argument,	   NULL, 'f' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL,		0,		   NULL, 0 }
	};
	char	msg[512];
	int	c;

	if (strcmp(argv[1], "init") == 0)
		a->cmd = CMD_INIT;
	else if (strcmp(argv[1], "renew") == 0)
		a->cmd = CMD_RENEW;
	else if (strcmp(argv[1], "fingerprint") == 0)
		a->cmd = CMD_FINGERPRINT;
	else
		return usage_error("unknown command '%s'", argv[1]);

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, ":h", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'd':
			a->dir = optarg;
			continue;
		case 'h':
			usage(stdout);
			*done = 1;
			return 0;
		case ':':
			return usage_error("option %s needs an argument",
			    argv[optind]);
		case '?':
			return usage_error("unknown option '%s'",
			    argv[optind]);
		}
		a->has_opts = 1;
		switch (c) {
		case 'n':
			if (certs_cn_check(optarg, msg, sizeof(msg)) != 0)
				return usage_error("%s", msg);
			a->o.cn = optarg;
			break;
		case 's':
			if (certs_san_check(optarg, msg, sizeof(msg)) != 0)
				return usage_error("%s", msg);
			if (a->o.nsans == CERTS_SAN_MAX)
				return usage_error("too many --san (at most "
				    "%d)", CERTS_SAN_MAX);
			a->sans[a->o.nsans++] = optarg;
			break;
		case 'k':
			if (certs_key_type_parse(optarg, &a->o.key_type) != 0)
				return usage_error("unknown key type '%s' "
				    "(rsa2048, rsa3072, rsa4096, ec384)",
				    optarg);
			break;
		case 'D':
			if (parse_days(optarg, &a->o.days) != 0)
				return usage_error("--days '%s' is not a "
				    "number of days from 1 to %d", optarg,
				    CERTS_DAYS_MAX);
			break;
		case 'f':
			a->o.force = 1;
			break;
		}
	}
	/* getopt saw argv + 1: its optind counts from the command. */
	if (optind + 1 < argc)
		return usage_error("unexpected argument '%s'",
		    argv[optind + 1]);
	if (a->dir == NULL || *a->dir == '\0')
		return usage_error("%s needs --dir DIR", argv[1]);
	if (a->cmd == CMD_INIT && a->o.cn == NULL)
		return usage_error("%s needs --cn NAME, the address AMT "
		    "dials", argv[1]);
	if (a->cmd == CMD_FINGERPRINT && a->has_opts)
		return usage_error("%s takes only --dir", argv[1]);
	a->o.sans = a->sans;
	return 0;
}

/* The labelled lines the operator copies into AMT's CIRA setup. */
static int
print_root(const char *dir)
{
	char	path[CERTS_PATH_MAX], colon[CERTS_FP_COLON_SIZE];
	char	hex[CERTS_FP_HEX_SIZE], err[1024];
	size_t	len = strlen(dir);

	while (len > 1 && dir[len - 1] == '/')
		len--;
	snprintf(path, sizeof(path), "%.*s%s" CERTS_ROOT_CRT, (int)len, dir,
	    len == 1 && dir[0] == '/' ? "" : "/");
	if (certs_fingerprint_file(path, colon, hex, err, sizeof(err)) != 0) {
		fprintf(stderr, "amt-mps-certs: %s\n", err);
		return 1;
	}
	printf("root certificate: %s\n", path);
	printf("SHA-256 fingerprint (openssl x509 -fingerprint -sha256): %s\n",
	    colon);
	printf("SHA-256 hash (plain hex, for AMT/RPS CIRA configuration): "
	    "%s\n", hex);
	return 0;
}

static int
print_server(const char *dir)
{
	char	 path[CERTS_PATH_MAX], line[2048], err[1024];
	X509	*x;
	size_t	 len = strlen(dir);

	while (len > 1 && dir[len - 1] == '/')
		len--;
	snprintf(path, sizeof(path), "%.*s%s" CERTS_SERVER_CRT, (int)len,
	    dir, len == 1 && dir[0] == '/' ? "" : "/");
	if ((x = certs_load_cert(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "amt-mps-certs: %s\n", err);
		return 1;
	}
	(void)certs_describe(x, line, sizeof(line));
	printf("server certificate: %s\n", path);
	printf("  %s\n", line);
	X509_free(x);
	return 0;
}

int
main(int argc, char **argv)
{
	struct certs_args	a;
	char			err[1024];
	int			done = 0, r;

	if (argc < 2)
		return usage_error("%s", "no command given");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("amt-mps-certs %s\n", MPS_VERSION);
		return 0;
	}
	memset(&a, 0, sizeof(a));
	if ((r = parse_args(argc, argv, &a, &done)) != 0 || done)
		return r;

	err[0] = '\0';
	switch (a.cmd) {
	case CMD_INIT:
		r = certs_init(a.dir, &a.o, err, sizeof(err));
		break;
	case CMD_RENEW:
		r = certs_renew(a.dir, &a.o, err, sizeof(err));
		break;
	case CMD_FINGERPRINT:
		return print_root(a.dir);
	}
	if (r != 0) {
		fprintf(stderr, "amt-mps-certs: %s\n",
		    err[0] != '\0' ? err : mps_strerror(r));
		return 1;
	}
	if (a.cmd == CMD_INIT)
		printf("wrote %s, %s, %s, %s in %s\n", CERTS_ROOT_CRT,
		    CERTS_ROOT_KEY, CERTS_SERVER_CRT, CERTS_SERVER_KEY, a.dir);
	if (a.cmd == CMD_RENEW)
		printf("renewed; the previous pair is kept as %s.old and "
		    "%s.old\n", CERTS_SERVER_CRT, CERTS_SERVER_KEY);
	if (print_server(a.dir) != 0 || print_root(a.dir) != 0)
		return 1;
	return 0;
}
