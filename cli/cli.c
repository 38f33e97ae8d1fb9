/*
 * cli.c: amt-mps-cli entry point: options, the command table, socket
 * selection, and the one place that turns control-protocol failures into
 * messages and exit statuses.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "mps_err.h"

static int	cli_help(struct cli *, int, char **);

/*
 * The command table.  Fleet-capable device commands set CLI_CMD_DEVICE and
 * accept CLI_OPT_ALL | CLI_OPT_TAG; their handler builds params with
 * cli_target().
 */
static const struct cli_cmd cli_cmds[] = {
	{ "devices", "[--tag T]", "list connected devices",
	    0, 0, CLI_OPT_TAG, 0, cmd_devices_list, NULL },
	{ "show", "DEV", "show one connected device in detail",
	    1, 1, 0, CLI_CMD_DEVICE, cmd_devices_show, NULL },
	{ "disconnect", "DEV", "close a device's tunnel (it will reconnect)",
	    1, 1, 0, CLI_CMD_DEVICE, cmd_devices_disconnect, NULL },
	{ "power", "DEV|--all|--tag T ACTION", "power state (ACTION status) "
	    "or a power action", 2, 2, CLI_OPT_ALL | CLI_OPT_TAG,
	    CLI_CMD_DEVICE, cmd_amt_power,
	    "ACTION: status, on, off, soft-off, reset, soft-reset, cycle, "
	    "sleep,\n  hibernate, nmi (soft-off, soft-reset, sleep and "
	    "hibernate need the OS agent)" },
	{ "boot", "DEV|--all|--tag T pxe|bios|hdd|cd [--reboot]",
	    "boot once from TARGET at the next start", 2, 2,
	    CLI_OPT_ALL | CLI_OPT_TAG | CLI_OPT_REBOOT, CLI_CMD_DEVICE,
	    cmd_amt_boot, "--reboot  then reset the device if it is on, "
	    "power it on if not" },
	{ "pxeboot", "DEV|--all|--tag T", "boot once from the network now "
	    "(boot pxe --reboot)", 1, 1, CLI_OPT_ALL | CLI_OPT_TAG,
	    CLI_CMD_DEVICE, cmd_amt_pxeboot, NULL },
	{ "info", "DEV|--all|--tag T", "AMT version, host name, UUID, "
	    "provisioning mode", 1, 1, CLI_OPT_ALL | CLI_OPT_TAG,
	    CLI_CMD_DEVICE, cmd_amt_info, NULL },
	{ "version", "DEV|--all|--tag T", "AMT firmware version",
	    1, 1, CLI_OPT_ALL | CLI_OPT_TAG, CLI_CMD_DEVICE,
	    cmd_amt_version, NULL },
	{ "uuid", "DEV|--all|--tag T", "the system UUID AMT reports",
	    1, 1, CLI_OPT_ALL | CLI_OPT_TAG, CLI_CMD_DEVICE, cmd_amt_uuid,
	    NULL },
	{ "time", "DEV|--all|--tag T", "set the AMT clock to this host's "
	    "clock", 1, 1, CLI_OPT_ALL | CLI_OPT_TAG, CLI_CMD_DEVICE,
	    cmd_amt_time, NULL },
	{ "wsman", "DEV|--all|--tag T OP CLASS [METHOD] [options]",
	    "raw WS-Management: get, enumerate, put, invoke", 3, 4,
	    CLI_OPT_ALL | CLI_OPT_TAG | CLI_OPT_SELECTOR | CLI_OPT_PARAM |
	    CLI_OPT_SET | CLI_OPT_XML, CLI_CMD_DEVICE, cmd_wsman,
	    "wsman DEV get CLASS [--selector K=V ...]\n"
	    "  wsman DEV enumerate CLASS\n"
	    "  wsman DEV put CLASS [--selector K=V ...] (--set K=V ... | "
	    "--xml FILE)\n"
	    "  wsman DEV invoke CLASS METHOD [--selector K=V ...] "
	    "[--param K=V ...]\n"
	    "  CLASS is a class name (AMT_GeneralSettings) or a resource "
	    "URI" },
	{ "forward", "DEV PORT [--listen ADDR:PORT] [--detach] | --list | "
	    "--close ID", "a local TCP port leading to a device port "
	    "(sol, kvm, wsman)", 0, 2, CLI_OPT_FORWARD, 0, cmd_forward,
	    "--listen A:P  loopback address to listen on (127.0.0.1:0)\n  "
	    "--detach      leave the forward open and exit" },
	{ "stats", "", "print server counters",
	    0, 0, 0, 0, cmd_server_stats, NULL },
	{ "server", "", "print server information (version, listeners, TLS)",
	    0, 0, 0, 0, cmd_server_info, NULL },
	{ "reload", "", "reload the devices file and TLS certificate",
	    0, 0, 0, 0, cmd_server_reload, NULL },
	{ "watch", "[--count N]", "print connect/disconnect events as they "
	    "happen", 0, 0, CLI_OPT_COUNT, 0, cmd_watch, NULL },
	{ "hash-password", "", "hash an MPS password (read from stdin) for "
	    "the devices file", 0, 0, 0, 0, cmd_passwd_hash, NULL },
	{ "call", "METHOD [PARAMS-JSON]", "send one raw control request",
	    1, 2, 0, 0, cmd_server_call, NULL },
	{ "help", "[COMMAND]", "show help for all or one command",
	    0, 1, 0, 0, cli_help, NULL },
};
#define CLI_NCMDS	(sizeof(cli_cmds) / sizeof(cli_cmds[0]))

/* getopt_long values of long-only options. */
enum {
	CLI_LOPT_JSON = 256,
	CLI_LOPT_TIMEOUT,
	CLI_LOPT_VERSION,
	CLI_LOPT_TAG,
	CLI_LOPT_ALL,
	CLI_LOPT_COUNT,
	CLI_LOPT_REBOOT,
	CLI_LOPT_SELECTOR,
	CLI_LOPT_PARAM,
	CLI_LOPT_SET,
	CLI_LOPT_XML,
	CLI_LOPT_LISTEN,
	CLI_LOPT_DETACH,
	CLI_LOPT_LIST,
	CLI_LOPT_CLOSE,
};

static const struct option cli_global_opts[] = {
	{ "socket",	required_argument, NULL, 's' },
	{ "json",	no_argument,	   NULL, CLI_LOPT_JSON },
	{ "timeout",	required_argument, NULL, CLI_LOPT_TIMEOUT },
	{ "help",	no_argument,	   NULL, 'h' },
	{ "version",	no_argument,	   NULL, CLI_LOPT_VERSION },
};
#define CLI_NGLOBAL	(sizeof(cli_global_opts) / sizeof(cli_global_opts[0]))

static const struct {
	unsigned	bit;
	struct option	opt;
} cli_cmd_opts[] = {
	{ CLI_OPT_TAG,	 { "tag",   required_argument, NULL, CLI_LOPT_TAG } },
	{ CLI_OPT_ALL,	 { "all",   no_argument,       NULL, CLI_LOPT_ALL } },
	{ CLI_OPT_COUNT, { "count", required_argument, NULL, CLI_LOPT_COUNT } },
	{ CLI_OPT_REBOOT,
	    { "reboot", no_argument, NULL, CLI_LOPT_REBOOT } },
	{ CLI_OPT_SELECTOR,
	    { "selector", required_argument, NULL, CLI_LOPT_SELECTOR } },
	{ CLI_OPT_PARAM, { "param", required_argument, NULL, CLI_LOPT_PARAM } },
	{ CLI_OPT_SET,	 { "set",   required_argument, NULL, CLI_LOPT_SET } },
	{ CLI_OPT_XML,	 { "xml",   required_argument, NULL, CLI_LOPT_XML } },
	{ CLI_OPT_FORWARD,
	    { "listen", required_argument, NULL, CLI_LOPT_LISTEN } },
	{ CLI_OPT_FORWARD, { "detach", no_argument, NULL, CLI_LOPT_DETACH } },
	{ CLI_OPT_FORWARD, { "list", no_argument, NULL, CLI_LOPT_LIST } },
	{ CLI_OPT_FORWARD,
	    { "close", required_argument, NULL, CLI_LOPT_CLOSE } },
};
#define CLI_NCMDOPTS	(sizeof(cli_cmd_opts) / sizeof(cli_cmd_opts[0]))

void
cli_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs(CLI_PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
cli_warn(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs(CLI_PROG ": warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
cli_print_json(json_t *v)
{
	if (json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_ENCODE_ANY) == 0)
		fputc('\n', stdout);
}

/* Longest synopsis that still leaves room for the help on its line. */
#define CLI_SYN_COL	28

static void
cli_usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: " CLI_PROG " [-s SOCKET] [--json] [--timeout S] "
	    "COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < CLI_NCMDS; i++) {
		char syn[128];

		snprintf(syn, sizeof(syn), "%s %s", cli_cmds[i].name,
		    cli_cmds[i].args);
		if (strlen(syn) > CLI_SYN_COL)
			fprintf(fp, "  %s\n  %-*s %s\n", syn, CLI_SYN_COL, "",
			    cli_cmds[i].help);
		else
			fprintf(fp, "  %-*s %s\n", CLI_SYN_COL, syn,
			    cli_cmds[i].help);
	}
	fprintf(fp, "\nDEV is a GUID, a unique GUID prefix or a friendly name."
	    "\nThe AMT commands (power ... wsman) take --all or --tag T "
	    "instead of DEV:\nevery connected device, or the devices tagged "
	    "T; one result line each.\n"
	    "Socket: -s, else $" CLI_SOCKET_ENV ", else " CLI_SOCKET_SYSTEM
	    " if it exists,\nelse " CLI_SOCKET_LOCAL ".\n"
	    "Exit status: 0 ok, 1 operation failed (on some device), "
	    "2 usage,\n3 server unreachable.  See amt-mps-cli(1).\n");
}

static void
cli_cmd_usage(FILE *fp, const struct cli_cmd *c)
{
	fprintf(fp, "usage: " CLI_PROG " [-s SOCKET] [--json] [--timeout S] "
	    "%s%s%s\n  %s\n", c->name, c->args[0] ? " " : "", c->args,
	    c->help);
	if (c->more != NULL)
		fprintf(fp, "  %s\n", c->more);
}

static const struct cli_cmd *
cli_find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < CLI_NCMDS; i++)
		if (strcmp(cli_cmds[i].name, name) == 0)
			return &cli_cmds[i];
	return NULL;
}

static int
cli_help(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc == 0) {
		cli_usage(stdout);
		return CLI_EXIT_OK;
	}
	if ((c = cli_find_cmd(argv[0])) == NULL) {
		cli_err("unknown command '%s'", argv[0]);
		cli_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	cli_cmd_usage(stdout, c);
	return CLI_EXIT_OK;
}

/* Parses a non-negative decimal number of seconds. */
static int
cli_parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) ||
	    v < 0 || v > 86400.0 * 365)
		return MPS_ERR_USAGE;
	*out = v;
	return 0;
}

static int
cli_parse_count(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1)
		return MPS_ERR_USAGE;
	*out = v;
	return 0;
}

/*
 * Keeps one K=V argument of a repeatable option.  The key must be
 * non-empty; the value may be empty and may contain '='.
 */
static int
cli_parse_kv(const char *opt, const char *arg, struct cli_kv *kv)
{
	const char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg) {
		cli_err("--%s wants NAME=VALUE, not '%s'", opt, arg);
		return MPS_ERR_USAGE;
	}
	if (kv->n == CLI_KV_MAX) {
		cli_err("at most %d --%s options (WS-Man allows no more per "
		    "request)", CLI_KV_MAX, opt);
		return MPS_ERR_USAGE;
	}
	kv->v[kv->n++] = arg;
	return 0;
}

/*
 * Names the option getopt_long() just rejected: optopt for a short one
 * (optind may still point into a cluster like -xj), else the argument
 * itself.
 */
static const char *
cli_bad_opt(char **argv, char *buf, size_t len)
{
	if (optopt > 0 && optopt < 256) {
		snprintf(buf, len, "-%c", optopt);
		return buf;
	}
	return argv[optind - 1];
}

/*
 * Handles an option valid in both passes.  Returns 1 if ch was one (with
 * *stop set to an exit status when the program should end now), else 0.
 */
static int
cli_global_opt(struct cli *cli, int ch, const char *arg, int *stop)
{
	switch (ch) {
	case 's':
		cli->socket_path = arg;
		cli->socket_origin = "-s";
		return 1;
	case CLI_LOPT_JSON:
		cli->json = 1;
		return 1;
	case CLI_LOPT_TIMEOUT:
		if (cli_parse_seconds(arg, &cli->timeout) != 0) {
			cli_err("--timeout wants seconds (0 = no limit), "
			    "not '%s'", arg);
			*stop = CLI_EXIT_USAGE;
		}
		return 1;
	case CLI_LOPT_VERSION:
		printf(CLI_PROG " " MPS_VERSION "\n");
		*stop = CLI_EXIT_OK;
		return 1;
	default:
		return 0;
	}
}

/*
 * Parses the command's arguments: its own options and, for convenience,
 * the global ones too (`amt-mps-cli devices --json`).  Leaves the
 * positionals in *pargc / *pargv.  Returns -1 to go on, else an exit
 * status.
 */
static int
cli_parse_cmd(struct cli *cli, const struct cli_cmd *c, int argc,
    char **argv, int *pargc, char ***pargv)
{
	struct option opts[CLI_NGLOBAL + CLI_NCMDOPTS + 1];
	char buf[8];
	size_t i, n = 0;
	int ch, stop = -1, min, max;

	for (i = 0; i < CLI_NGLOBAL; i++)
		opts[n++] = cli_global_opts[i];
	for (i = 0; i < CLI_NCMDOPTS; i++)
		if (c->opts & cli_cmd_opts[i].bit)
			opts[n++] = cli_cmd_opts[i].opt;
	memset(&opts[n], 0, sizeof(opts[n]));

	optind = 0;	/* GNU: full reinitialisation for the second pass */
	opterr = 0;	/* we word the messages ourselves */
	while ((ch = getopt_long(argc, argv, ":s:h", opts, NULL)) != -1) {
		if (cli_global_opt(cli, ch, optarg, &stop)) {
			if (stop != -1)
				return stop;
			continue;
		}
		switch (ch) {
		case 'h':
			cli_cmd_usage(stdout, c);
			return CLI_EXIT_OK;
		case CLI_LOPT_TAG:
			if (*optarg == '\0') {
				cli_err("--tag wants a non-empty tag");
				return CLI_EXIT_USAGE;
			}
			cli->tag = optarg;
			break;
		case CLI_LOPT_ALL:
			cli->all = 1;
			break;
		case CLI_LOPT_COUNT:
			if (cli_parse_count(optarg, &cli->count) != 0) {
				cli_err("--count wants a positive number, "
				    "not '%s'", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case CLI_LOPT_REBOOT:
			cli->reboot = 1;
			break;
		case CLI_LOPT_SELECTOR:
			if (cli_parse_kv("selector", optarg,
			    &cli->selectors) != 0)
				return CLI_EXIT_USAGE;
			break;
		case CLI_LOPT_PARAM:
			if (cli_parse_kv("param", optarg, &cli->params) != 0)
				return CLI_EXIT_USAGE;
			break;
		case CLI_LOPT_SET:
			if (cli_parse_kv("set", optarg, &cli->sets) != 0)
				return CLI_EXIT_USAGE;
			break;
		case CLI_LOPT_XML:
			if (*optarg == '\0') {
				cli_err("--xml wants a file name (- for "
				    "standard input)");
				return CLI_EXIT_USAGE;
			}
			cli->xml_file = optarg;
			break;
		case CLI_LOPT_LISTEN:
			cli->fwd_listen = optarg;
			break;
		case CLI_LOPT_DETACH:
			cli->fwd_detach = 1;
			break;
		case CLI_LOPT_LIST:
			cli->fwd_list = 1;
			break;
		case CLI_LOPT_CLOSE: {
			char *end;

			cli->fwd_close = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' ||
			    cli->fwd_close < 1) {
				cli_err("--close wants a forward id, not "
				    "'%s'", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		}
		case ':':
			cli_err("%s: option %s needs an argument", c->name,
			    cli_bad_opt(argv, buf, sizeof(buf)));
			cli_cmd_usage(stderr, c);
			return CLI_EXIT_USAGE;
		default:
			cli_err("%s: unknown option %s", c->name,
			    cli_bad_opt(argv, buf, sizeof(buf)));
			cli_cmd_usage(stderr, c);
			return CLI_EXIT_USAGE;
		}
	}
	*pargc = argc - optind;
	*pargv = argv + optind;

	/* With a fleet selector the DEV argument goes away. */
	min = c->min_args;
	max = c->max_args;
	if ((c->flags & CLI_CMD_DEVICE) && (cli->all || cli->tag != NULL)) {
		if (cli->all && cli->tag != NULL) {
			cli_err("%s: give --all or --tag, not both", c->name);
			return CLI_EXIT_USAGE;
		}
		min--;
		max--;
	}
	if (*pargc < min || *pargc > max) {
		if (*pargc < min)
			cli_err("%s: missing argument", c->name);
		else
			cli_err("%s: unexpected argument '%s'", c->name,
			    (*pargv)[max]);
		cli_cmd_usage(stderr, c);
		return CLI_EXIT_USAGE;
	}
	return -1;
}

/* Socket choice: -s, $AMT_MPS_SOCKET, the system path, the local one. */
static void
cli_pick_socket(struct cli *cli)
{
	const char *env;

	if (cli->socket_path != NULL)
		return;
	if ((env = getenv(CLI_SOCKET_ENV)) != NULL && *env != '\0') {
		cli->socket_path = env;
		cli->socket_origin = "$" CLI_SOCKET_ENV;
	} else if (access(CLI_SOCKET_SYSTEM, F_OK) == 0) {
		cli->socket_path = CLI_SOCKET_SYSTEM;
		cli->socket_origin = "default";
	} else {
		cli->socket_path = CLI_SOCKET_LOCAL;
		cli->socket_origin = "default";
	}
}

static int64_t
cli_deadline(const struct cli *cli)
{
	if (cli->timeout <= 0)
		return -1;
	return rpc_now_ms() + (int64_t)(cli->timeout * 1000.0);
}

static int
cli_connect(struct cli *cli)
{
	int64_t tmo = cli->timeout > 0 ? (int64_t)(cli->timeout * 1000) : -1;
	int rv;

	if (cli->connected)
		return CLI_EXIT_OK;
	rv = rpc_connect(&cli->rpc, cli->socket_path, tmo, RPC_LINE_MAX);
	if (rv == MPS_ERR_TOO_LARGE) {
		cli_err("control socket path %s is too long for a Unix socket "
		    "(at most 107 bytes)", cli->socket_path);
		return CLI_EXIT_USAGE;
	}
	if (rv != 0) {
		const char *hint;

		switch (cli->rpc.sys_errno) {
		case EACCES:
		case EPERM:
			hint = "the daemon admits only root and its own user; "
			    "run as one of them or check control.mode";
			break;
		case ENOENT:
		case ECONNREFUSED:
			hint = "is amt-mps running? Start it, or point -s "
			    "SOCKET (or $" CLI_SOCKET_ENV ") at its "
			    "control socket";
			break;
		default:
			hint = "point -s SOCKET (or $" CLI_SOCKET_ENV ") at "
			    "the control socket of a running amt-mps";
			break;
		}
		cli_err("cannot connect to the amt-mps control socket %s "
		    "(%s): %s", cli->socket_path, cli->socket_origin,
		    strerror(cli->rpc.sys_errno));
		cli_err("%s", hint);
		return CLI_EXIT_UNREACHABLE;
	}
	cli->connected = 1;
	return CLI_EXIT_OK;
}

/* Reports a transport failure of a call in progress. */
static int
cli_transport_error(struct cli *cli, int rv)
{
	switch (rv) {
	case MPS_ERR_TIMEOUT:
		cli_err("no answer from amt-mps on %s within %g s (raise "
		    "--timeout, or 0 to wait without limit)",
		    cli->socket_path, cli->timeout);
		return CLI_EXIT_UNREACHABLE;
	case MPS_ERR_CLOSED:
		cli_err("amt-mps closed the control connection on %s before "
		    "answering (did it stop?)", cli->socket_path);
		return CLI_EXIT_UNREACHABLE;
	case MPS_ERR_IO:
		cli_err("control connection to %s failed: %s",
		    cli->socket_path, strerror(cli->rpc.sys_errno));
		return CLI_EXIT_UNREACHABLE;
	case MPS_ERR_TOO_LARGE:
		cli_err("a response from amt-mps exceeds %u MiB; narrow the "
		    "request (e.g. --tag)", RPC_LINE_MAX >> 20);
		return CLI_EXIT_FAILED;
	case MPS_ERR_INVALID:
		cli_err("amt-mps sent a response that is not a JSON-RPC "
		    "object");
		return CLI_EXIT_FAILED;
	default:
		cli_err("control request failed: %s", mps_strerror(rv));
		return CLI_EXIT_FAILED;
	}
}

/*
 * Reports a JSON-RPC error object the way users should read it: the
 * daemon's message already names cause and fix; ambiguous names also list
 * the candidates.
 */
static int
cli_report_error(struct cli *cli, json_t *error)
{
	json_t *data, *dcode, *matches, *m;
	const char *msg, *file;
	json_int_t code;
	size_t i;

	if (cli->json) {
		json_t *wrap = json_pack("{s:O}", "error", error);

		if (wrap != NULL)
			cli_print_json(wrap);
		json_decref(wrap);
	}
	msg = json_string_value(json_object_get(error, "message"));
	code = json_integer_value(json_object_get(error, "code"));
	data = json_object_get(error, "data");
	dcode = json_object_get(data, "code");
	cli_err("%s", msg != NULL && *msg != '\0' ? msg :
	    "amt-mps reported an error without a message");
	/* Config errors carry their position; show it if msg does not. */
	file = json_string_value(json_object_get(data, "file"));
	if (file != NULL && (msg == NULL || strstr(msg, file) == NULL))
		cli_err("at %s:%" JSON_INTEGER_FORMAT ":%" JSON_INTEGER_FORMAT,
		    file, json_integer_value(json_object_get(data, "line")),
		    json_integer_value(json_object_get(data, "col")));
	if ((matches = json_object_get(data, "matches")) != NULL &&
	    json_is_array(matches)) {
		fputs(CLI_PROG ": candidates:", stderr);
		json_array_foreach(matches, i, m)
			if (json_is_string(m))
				fprintf(stderr, " %s", json_string_value(m));
		fputc('\n', stderr);
	}
	if (code == -32602 || (json_is_integer(dcode) &&
	    json_integer_value(dcode) == MPS_ERR_USAGE))
		return CLI_EXIT_USAGE;
	return CLI_EXIT_FAILED;
}

int
cli_call(struct cli *cli, const char *method, json_t *params,
    json_t **result)
{
	json_t *error = NULL;
	int rv;

	*result = NULL;
	if ((rv = cli_connect(cli)) != CLI_EXIT_OK)
		return rv;
	rv = rpc_call(&cli->rpc, method, params, cli_deadline(cli), result,
	    &error);
	if (rv != 0)
		return cli_transport_error(cli, rv);
	if (error != NULL) {
		rv = cli_report_error(cli, error);
		json_decref(error);
		return rv;
	}
	return CLI_EXIT_OK;
}

int
cli_target(struct cli *cli, int *argc, char ***argv, json_t *params)
{
	int rv;

	/*
	 * The fleet selector's wire form is fixed here only, so the fleet
	 * commands cannot drift apart.
	 */
	if (cli->all)
		rv = json_object_set_new(params, "all", json_true());
	else if (cli->tag != NULL)
		rv = json_object_set_new(params, "tag",
		    json_string(cli->tag));
	else if (*argc > 0 && (*argv)[0][0] != '\0') {
		rv = json_object_set_new(params, "device",
		    json_string((*argv)[0]));
		(*argc)--;
		(*argv)++;
	} else {
		cli_err("%s: DEV must not be empty", cli->cmd->name);
		return CLI_EXIT_USAGE;
	}
	if (rv != 0) {
		cli_err("out of memory");
		return CLI_EXIT_FAILED;
	}
	return CLI_EXIT_OK;
}

int
main(int argc, char **argv)
{
	struct cli cli;
	const struct cli_cmd *c;
	int ch, stop = -1, pargc, rv;
	char **pargv, buf[8];

	memset(&cli, 0, sizeof(cli));
	cli.rpc.fd = -1;
	cli.timeout = CLI_TIMEOUT_DEFAULT;
	signal(SIGPIPE, SIG_IGN);

	/* Global options stop at the command name ("+"). */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:s:h", cli_global_opts,
	    NULL)) != -1) {
		if (cli_global_opt(&cli, ch, optarg, &stop)) {
			if (stop != -1)
				return stop;
			continue;
		}
		switch (ch) {
		case 'h':
			cli_usage(stdout);
			return CLI_EXIT_OK;
		case ':':
			cli_err("option %s needs an argument",
			    cli_bad_opt(argv, buf, sizeof(buf)));
			cli_usage(stderr);
			return CLI_EXIT_USAGE;
		default:
			cli_err("unknown option %s",
			    cli_bad_opt(argv, buf, sizeof(buf)));
			cli_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		cli_err("no command given");
		cli_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if ((c = cli_find_cmd(argv[optind])) == NULL) {
		cli_err("unknown command '%s'", argv[optind]);
		cli_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	cli.cmd = c;
	rv = cli_parse_cmd(&cli, c, argc - optind, argv + optind, &pargc,
	    &pargv);
	if (rv != -1)
		return rv;
	cli_pick_socket(&cli);

	rv = c->run(&cli, pargc, pargv);

	rpc_close(&cli.rpc);
	json_decref(cli.names);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_err("writing to standard output: %s", strerror(errno));
		if (rv == CLI_EXIT_OK)
			rv = CLI_EXIT_FAILED;
	}
	return rv;
}
