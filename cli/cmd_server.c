/*
 * cmd_server.c: server, stats, reload, call.
 */
#include <time.h>

#include "cli.h"
#include "fmt.h"

static const struct fmt_field cmd_server_info_fields[] = {
	{ "version",		"version",		FMT_TEXT },
	{ "pid",		"pid",			FMT_TEXT },
	{ "started_at",		"started",		FMT_TIME },
	{ "uptime",		"uptime",		FMT_DURATION },
	{ "listen",		"listen",		FMT_ENDPOINTS },
	{ "config",		"config",		FMT_TEXT },
	{ "devices_file",	"devices file",		FMT_TEXT },
	{ NULL, NULL, 0 },
};

static const struct fmt_field cmd_server_stats_fields[] = {
	{ "devices",		"devices",		FMT_TEXT },
	{ "unauthenticated",	"unauthenticated",	FMT_TEXT },
	{ "connections_total",	"connections total",	FMT_TEXT },
	{ "auth_ok",		"auth ok",		FMT_TEXT },
	{ "auth_failures",	"auth failures",	FMT_TEXT },
	{ "auth_cache_hits",	"auth cache hits",	FMT_TEXT },
	{ "channels_open",	"channels open",	FMT_TEXT },
	{ "bytes_in",		"bytes in",		FMT_BYTES },
	{ "bytes_out",		"bytes out",		FMT_BYTES },
	{ "control_clients",	"control clients",	FMT_TEXT },
	{ "rss_bytes",		"rss",			FMT_BYTES },
	{ NULL, NULL, 0 },
};

/* Calls a parameterless method and prints its result object. */
static int
cmd_server_show(struct cli *cli, const char *method,
    const struct fmt_field *fields)
{
	json_t *result = NULL;
	int rv;

	if ((rv = cli_call(cli, method, NULL, &result)) != CLI_EXIT_OK)
		return rv;
	if (cli->json)
		cli_print_json(result);
	else if (json_is_object(result))
		fmt_object(stdout, result, fields, fmt_now());
	else
		cli_print_json(result);
	json_decref(result);
	return CLI_EXIT_OK;
}

int
cmd_server_info(struct cli *cli, int argc, char **argv)
{
	return cmd_server_show(cli, "server.info", cmd_server_info_fields);
}

int
cmd_server_stats(struct cli *cli, int argc, char **argv)
{
	return cmd_server_show(cli, "server.stats", cmd_server_stats_fields);
}

int
cmd_server_reload(struct cli *cli, int argc, char **argv)
{
	json_t *result = NULL, *n;
	int rv;

	if ((rv = cli_call(cli, "config.reload", NULL, &result)) !=
	    CLI_EXIT_OK)
		return rv;
	if (cli->json) {
		cli_print_json(result);
	} else {
		n = json_object_get(result, "devices");
		if (json_is_integer(n))
			printf("reloaded: %" JSON_INTEGER_FORMAT " device "
			    "entr%s\n", json_integer_value(n),
			    json_integer_value(n) == 1 ? "y" : "ies");
		else
			printf("reloaded\n");
	}
	json_decref(result);
	return CLI_EXIT_OK;
}

/*
 * A raw request for scripts and debugging: the result is printed as JSON
 * whatever --json says, since there is no table to make of it.
 */
int
cmd_server_call(struct cli *cli, int argc, char **argv)
{
	json_t *params = NULL, *result = NULL;
	json_error_t jerr;
	int rv;

	if (argc > 1) {
		params = json_loads(argv[1], JSON_DECODE_ANY, &jerr);
		if (!json_is_object(params)) {
			cli_err("call: PARAMS must be a JSON object%s%s",
			    params == NULL ? ": " : "",
			    params == NULL ? jerr.text : "");
			json_decref(params);
			return CLI_EXIT_USAGE;
		}
	}
	rv = cli_call(cli, argv[0], params, &result);
	json_decref(params);
	if (rv != CLI_EXIT_OK)
		return rv;
	cli_print_json(result);
	json_decref(result);
	return CLI_EXIT_OK;
}
