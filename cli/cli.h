/*
 * cli.h: amt-mps-cli internals shared by the command files.
 *
 * A command is one entry in the table in cli.c plus one handler in a
 * cmd_*.c file.  The handler gets the positional arguments (options are
 * already parsed into struct cli) and returns the process exit status;
 * talking to the daemon goes through cli_call(), which connects lazily and
 * reports every failure itself, so handlers only format results.
 */
#ifndef CLI_H
#define CLI_H

#include <stdio.h>

#include <jansson.h>

#include "rpc.h"

#define CLI_PROG		"amt-mps-cli"
#define CLI_SOCKET_ENV		"AMT_MPS_SOCKET"
#define CLI_SOCKET_SYSTEM	"/run/amt-mps/control.sock"
#define CLI_SOCKET_LOCAL	"./amt-mps-state/control.sock"
#define CLI_TIMEOUT_DEFAULT	120	/* s; above the daemon's request_timeout */

/* Exit statuses: the CLI contract (design.md section 2). */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILED = 1,		/* operation failed (on some device) */
	CLI_EXIT_USAGE = 2,		/* bad command line or input */
	CLI_EXIT_UNREACHABLE = 3,	/* no daemon, or it stopped answering */
};

/*
 * Command options.  A command accepts only the ones its table entry lists;
 * adding an option is one bit, one struct cli field and one row in
 * cli_cmd_opts[].
 */
#define CLI_OPT_TAG	0x0001	/* --tag T */
#define CLI_OPT_ALL	0x0002	/* --all (fleet forms) */
#define CLI_OPT_COUNT	0x0004	/* --count N (watch) */
#define CLI_OPT_REBOOT	0x0008	/* --reboot (boot) */
#define CLI_OPT_SELECTOR 0x0010	/* --selector K=V, repeatable (wsman) */
#define CLI_OPT_PARAM	0x0020	/* --param K=V, repeatable (wsman invoke) */
#define CLI_OPT_SET	0x0040	/* --set K=V, repeatable (wsman put) */
#define CLI_OPT_XML	0x0080	/* --xml FILE (wsman put) */
#define CLI_OPT_FORWARD	0x0100	/* --listen --detach --list --close (forward) */

/*
 * Each repeatable K=V option keeps at most this many: the WS-Man layer
 * caps selectors and parameters at 16 per request (docs/wsman.md), so more
 * could only fail later, further from the command line.
 */
#define CLI_KV_MAX	16

/* The K=V arguments of one repeatable option, as given ("K=V"). */
struct cli_kv {
	const char	*v[CLI_KV_MAX];
	size_t		 n;
};

/* Command flags. */
#define CLI_CMD_DEVICE	0x0001	/* first positional is DEV (or --all/--tag) */

struct cli {
	/* global options */
	const char	*socket_path;
	const char	*socket_origin;	/* "-s", "$AMT_MPS_SOCKET", "default" */
	int		 json;
	double		 timeout;	/* s, 0 = wait forever */
	/* command options */
	const char	*tag;
	int		 all;
	long		 count;		/* 0 = unlimited */
	int		 reboot;
	struct cli_kv	 selectors;
	struct cli_kv	 params;
	struct cli_kv	 sets;
	const char	*xml_file;
	const char	*fwd_listen;	/* forward --listen */
	int		 fwd_detach;
	int		 fwd_list;
	long long	 fwd_close;	/* --close ID, 0 = none */

	const struct cli_cmd *cmd;
	struct rpc	 rpc;
	int		 connected;
	json_t		*names;		/* guid -> name, see devcmd_name() */
	int		 names_listed;	/* devices.list done for names */
};

struct cli_cmd {
	const char	*name;
	const char	*args;		/* synopsis after the name */
	const char	*help;		/* one line */
	int		 min_args;	/* positional arguments */
	int		 max_args;
	unsigned	 opts;		/* CLI_OPT_* accepted */
	unsigned	 flags;		/* CLI_CMD_* */
	int		(*run)(struct cli *, int, char **);
	const char	*more;		/* more usage lines, or NULL */
};

/* Prints "amt-mps-cli: <fmt>\n" on stderr. */
void	cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Calls method with params (borrowed, may be NULL).  On CLI_EXIT_OK
 * *result is a new reference.  Otherwise the failure has been reported
 * (and, with --json, the error object printed on stdout) and the exit
 * status to use is returned.
 */
int	cli_call(struct cli *cli, const char *method, json_t *params,
	    json_t **result);

/*
 * Adds the device selector of a CLI_CMD_DEVICE command to params: the
 * fleet selector from --all or --tag, else "device" from the first
 * positional argument, which is then consumed (*argc, *argv advance).
 * Returns CLI_EXIT_OK or an exit status (reported).
 */
int	cli_target(struct cli *cli, int *argc, char ***argv, json_t *params);

/* Prints a JSON value for --json (indented, key order kept). */
void	cli_print_json(json_t *v);

/* Command handlers (cmd_*.c). */
int	cmd_devices_list(struct cli *, int, char **);
int	cmd_devices_show(struct cli *, int, char **);
int	cmd_devices_disconnect(struct cli *, int, char **);
int	cmd_server_info(struct cli *, int, char **);
int	cmd_server_stats(struct cli *, int, char **);
int	cmd_server_reload(struct cli *, int, char **);
int	cmd_server_call(struct cli *, int, char **);
int	cmd_watch(struct cli *, int, char **);
int	cmd_passwd_hash(struct cli *, int, char **);
int	cmd_amt_power(struct cli *, int, char **);
int	cmd_amt_boot(struct cli *, int, char **);
int	cmd_amt_pxeboot(struct cli *, int, char **);
int	cmd_amt_info(struct cli *, int, char **);
int	cmd_amt_version(struct cli *, int, char **);
int	cmd_amt_uuid(struct cli *, int, char **);
int	cmd_amt_time(struct cli *, int, char **);
int	cmd_wsman(struct cli *, int, char **);
int	cmd_forward(struct cli *, int, char **);

#endif /* CLI_H */
