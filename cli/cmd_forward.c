/*
 * cmd_forward.c: forward DEV PORT [--listen ADDR:PORT] [--detach],
 * forward --list, forward --close ID.
 *
 * Without --detach the command owns the forward: it prints the local
 * address, waits for SIGINT/SIGTERM/SIGHUP and closes the forward before
 * exiting, so an operator's Ctrl-C leaves nothing behind in the daemon.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int
cmd_forward_list(struct cli *cli)
{
	json_t		*result = NULL, *a, *f;
	size_t		 i;
	int		 rv;

	if ((rv = cli_call(cli, "forward.list", NULL, &result)) != CLI_EXIT_OK)
		return rv;
	if (cli->json) {
		cli_print_json(result);
		json_decref(result);
		return CLI_EXIT_OK;
	}
	a = json_object_get(result, "forwards");
	if (json_array_size(a) == 0)
		printf("no forwards\n");
	else
		printf("%-4s %-22s %-36s %-6s %-8s %5s %9s %12s %12s\n", "ID",
		    "LISTEN", "DEVICE", "PORT", "STATE", "CONNS", "ACCEPTED",
		    "BYTES IN", "BYTES OUT");
	json_array_foreach(a, i, f) {
		printf("%-4lld %-22s %-36s %-6lld %-8s %5lld %9lld %12lld "
		    "%12lld\n",
		    (long long)json_integer_value(json_object_get(f, "id")),
		    json_string_value(json_object_get(f, "listen")),
		    json_string_value(json_object_get(f, "guid")),
		    (long long)json_integer_value(json_object_get(f, "port")),
		    json_string_value(json_object_get(f, "state")),
		    (long long)json_integer_value(json_object_get(f,
		    "connections")),
		    (long long)json_integer_value(json_object_get(f,
		    "accepted")),
		    (long long)json_integer_value(json_object_get(f,
		    "bytes_in")),
		    (long long)json_integer_value(json_object_get(f,
		    "bytes_out")));
	}
	json_decref(result);
	return CLI_EXIT_OK;
}

static int
cmd_forward_close(struct cli *cli, long long id, int quiet)
{
	json_t	*params, *result = NULL;
	int	 rv;

	if ((params = json_pack("{s:I}", "id", (json_int_t)id)) == NULL) {
		cli_err("out of memory");
		return CLI_EXIT_FAILED;
	}
	rv = cli_call(cli, "forward.close", params, &result);
	json_decref(params);
	if (rv != CLI_EXIT_OK)
		return rv;
	if (cli->json && !quiet)
		cli_print_json(result);
	else if (!quiet)
		printf("closed forward %lld\n", id);
	json_decref(result);
	return CLI_EXIT_OK;
}

/* "16994", or a name AMT users know: sol, kvm/vnc, wsman, wsman-tls. */
static int
cmd_forward_port(const char *s, long *port)
{
	static const struct {
		const char	*name;
		long		 port;
	} names[] = {
		{ "wsman", 16992 }, { "wsman-tls", 16993 }, { "sol", 16994 },
		{ "ider", 16994 }, { "redir-tls", 16995 }, { "kvm", 5900 },
		{ "vnc", 5900 },
	};
	char	*end;
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0) {
			*port = names[i].port;
			return 0;
		}
	*port = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || *port < 1 || *port > 65535)
		return -1;
	return 0;
}

int
cmd_forward(struct cli *cli, int argc, char **argv)
{
	json_t		*params, *result = NULL;
	sigset_t	 set;
	long		 port;
	long long	 id;
	int		 rv, sig = 0;

	if (cli->fwd_list || cli->fwd_close > 0) {
		if (argc != 0 || (cli->fwd_list && cli->fwd_close > 0)) {
			cli_err("forward: --list and --close ID take no other "
			    "arguments");
			return CLI_EXIT_USAGE;
		}
		return cli->fwd_list ? cmd_forward_list(cli) :
		    cmd_forward_close(cli, cli->fwd_close, 0);
	}
	if (argc != 2) {
		cli_err("forward: give DEV PORT (or --list, --close ID)");
		return CLI_EXIT_USAGE;
	}
	if (cmd_forward_port(argv[1], &port) != 0) {
		cli_err("forward: '%s' is not a port (1-65535, or sol, kvm, "
		    "wsman, wsman-tls)", argv[1]);
		return CLI_EXIT_USAGE;
	}
	if ((params = json_pack("{s:s, s:i}", "device", argv[0], "port",
	    (int)port)) == NULL) {
		cli_err("out of memory");
		return CLI_EXIT_FAILED;
	}
	if (cli->fwd_listen != NULL)
		json_object_set_new(params, "listen",
		    json_string(cli->fwd_listen));
	/* Block the signals first: one arriving right after the open must
	 * still close the forward. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (!cli->fwd_detach)
		sigprocmask(SIG_BLOCK, &set, NULL);
	rv = cli_call(cli, "forward.open", params, &result);
	json_decref(params);
	if (rv != CLI_EXIT_OK)
		return rv;
	id = (long long)json_integer_value(json_object_get(result, "id"));
	if (cli->json) {
		cli_print_json(result);
	} else {
		printf("%s\n", json_string_value(json_object_get(result,
		    "listen")));
		if (!cli->fwd_detach)
			fprintf(stderr, "forwarding %s to %s port %ld "
			    "(forward %lld); Ctrl-C closes it\n",
			    json_string_value(json_object_get(result,
			    "listen")), json_string_value(json_object_get(
			    result, "guid")), port, id);
	}
	fflush(stdout);
	json_decref(result);
	if (cli->fwd_detach)
		return CLI_EXIT_OK;
	if (sigwait(&set, &sig) != 0)
		sig = 0;
	return cmd_forward_close(cli, id, 1);
}
