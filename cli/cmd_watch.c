/*
 * cmd_watch.c: watch: subscribe to the daemon's events and print one line
 * per event until interrupted, --count events were seen or the daemon goes
 * away.
 */
#include <errno.h>
#include <signal.h>
#include <stdio_ext.h>
#include <string.h>

#include "cli.h"
#include "fmt.h"
#include "mps_err.h"

static volatile sig_atomic_t cmd_watch_stop;

static void
cmd_watch_signal(int sig)
{
	cmd_watch_stop = 1;
}

/* key=value, quoting values that would not survive splitting on blanks. */
static void
cmd_watch_kv(const char *key, json_t *v)
{
	char val[FMT_CELL_MAX + 1];
	const char *p;

	fmt_value(v, FMT_TEXT, key, 0, val, sizeof(val));
	if (val[0] != '\0' && strpbrk(val, " \t\"=") == NULL) {
		printf(" %s=%s", key, val);
		return;
	}
	printf(" %s=\"", key);
	for (p = val; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			putchar('\\');
		putchar(*p);
	}
	putchar('"');
}

/* "TIME EVENT GUID NAME key=value ..." */
static void
cmd_watch_print(json_t *ev)
{
	static const char *const fixed[] = { "time", "event", "guid", "name" };
	const char *time_s, *event, *guid, *name, *key;
	size_t i;
	json_t *v;

	time_s = json_string_value(json_object_get(ev, "time"));
	event = json_string_value(json_object_get(ev, "event"));
	guid = json_string_value(json_object_get(ev, "guid"));
	name = json_string_value(json_object_get(ev, "name"));
	printf("%s  %-12s  %s  %s", time_s ? time_s : "-",
	    event ? event : "-", guid ? guid : "-", name ? name : "-");
	json_object_foreach(ev, key, v) {
		for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			if (strcmp(key, fixed[i]) == 0)
				break;
		if (i == sizeof(fixed) / sizeof(fixed[0]))
			cmd_watch_kv(key, v);
	}
	putchar('\n');
}

/*
 * Flushes each event as it comes.  A reader that went away (watch | head)
 * is a normal end, not an error: drop what is buffered and stop.
 */
static int
cmd_watch_flush(int *done)
{
	if (fflush(stdout) == 0)
		return 0;
	if (errno == EPIPE) {
		__fpurge(stdout);
		clearerr(stdout);
		*done = 1;
		return 0;
	}
	cli_err("writing to standard output: %s", strerror(errno));
	return -1;
}

int
cmd_watch(struct cli *cli, int argc, char **argv)
{
	struct sigaction sa;
	json_t *result = NULL, *msg, *params, *err;
	const char *m;
	long seen = 0;
	int rv, done = 0;

	/* No SA_RESTART: Ctrl-C must interrupt the wait for the next event. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cmd_watch_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	cli->rpc.stop = &cmd_watch_stop;

	if ((rv = cli_call(cli, "events.subscribe", NULL, &result)) !=
	    CLI_EXIT_OK)
		return cmd_watch_stop ? CLI_EXIT_OK : rv;
	json_decref(result);
	if (!cli->json)
		fprintf(stderr, "watching events on %s (Ctrl-C to stop)\n",
		    cli->socket_path);

	while (!done && !cmd_watch_stop) {
		/* Events come when they come: no deadline here. */
		rv = rpc_recv(&cli->rpc, -1, &msg);
		if (cmd_watch_stop) {
			json_decref(msg);
			break;
		}
		if (rv == MPS_ERR_CLOSED) {
			cli_err("amt-mps closed the control connection on %s "
			    "(did it stop?)", cli->socket_path);
			return CLI_EXIT_UNREACHABLE;
		}
		if (rv == MPS_ERR_TOO_LARGE || rv == MPS_ERR_INVALID) {
			cli_err("amt-mps sent an unreadable event line (%s)",
			    mps_strerror(rv));
			return CLI_EXIT_FAILED;
		}
		if (rv != 0) {
			cli_err("control connection to %s failed: %s",
			    cli->socket_path,
			    rv == MPS_ERR_IO ? strerror(cli->rpc.sys_errno) :
			    mps_strerror(rv));
			return CLI_EXIT_UNREACHABLE;
		}
		/* An error without id: the daemon is dropping us (shutdown). */
		if ((err = json_object_get(msg, "error")) != NULL) {
			m = json_string_value(json_object_get(err, "message"));
			cli_err("%s", m != NULL ? m :
			    "amt-mps ended the subscription");
			json_decref(msg);
			return CLI_EXIT_UNREACHABLE;
		}
		m = json_string_value(json_object_get(msg, "method"));
		params = json_object_get(msg, "params");
		if (m != NULL && strcmp(m, "event") == 0 &&
		    json_is_object(params)) {
			if (cli->json) {
				if (json_dumpf(params, stdout, JSON_COMPACT |
				    JSON_PRESERVE_ORDER) == 0)
					putchar('\n');
			} else {
				cmd_watch_print(params);
			}
			if (cmd_watch_flush(&done) != 0) {
				json_decref(msg);
				return CLI_EXIT_FAILED;
			}
			if (cli->count > 0 && ++seen >= cli->count)
				done = 1;
		}
		json_decref(msg);
	}
	return CLI_EXIT_OK;
}
