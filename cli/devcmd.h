/*
 * devcmd.h: the common part of the device commands (power, boot, info,
 * wsman ...): one device or a fleet (--all, --tag), and how results are
 * shown.
 *
 * A device command builds its params with devcmd_params(), adds its own
 * keys, and hands them to devcmd_run() with a view.  devcmd_run() does the
 * call and everything that is the same for all commands: --json output,
 * the one-line-per-device fleet listing, and the exit status (1 when any
 * device failed).
 */
#ifndef DEVCMD_H
#define DEVCMD_H

#include <stddef.h>

#include <jansson.h>

#include "cli.h"

/*
 * How a command shows a successful result.  line() writes a one-line
 * summary ("on", "power cycle requested (ReturnValue 0)"), which fleet
 * output prints after "ok: ".  print() is the output for a single device;
 * NULL prints "<label>: <line>".  label is the device's friendly name, else
 * its GUID.  arg is the command's own word (the power action, the boot
 * target, the WS-Man class) for the callbacks to use.
 */
struct devcmd_view {
	void		(*line)(const struct devcmd_view *, json_t *result,
			    char *buf, size_t len);
	int		(*print)(struct cli *, const struct devcmd_view *,
			    const char *label, json_t *result);
	const char	*arg;
	const char	*arg2;
};

/*
 * A new params object holding the command's target (see cli_target()),
 * consuming DEV from the arguments.  CLI_EXIT_OK or an exit status
 * (reported); on failure *params is NULL.
 */
int	devcmd_params(struct cli *cli, int *argc, char ***argv,
	    json_t **params);

/*
 * Calls method with params (not consumed) and shows the outcome through
 * view.  One device: its result, or the daemon's error (exit 1, 2 for
 * invalid params).  Fleet: "GUID  NAME  ok: LINE" or "GUID  NAME  FAILED:
 * MESSAGE" per device, a count of failures on stderr and exit 1 if any
 * device failed.  --json prints the daemon's result unchanged.
 */
int	devcmd_run(struct cli *cli, const char *method, json_t *params,
	    const struct devcmd_view *view);

/*
 * The friendly name of device guid, or NULL if it has none: "name" from
 * result when the daemon sent it, else from one devices.list fetched on
 * first need (failures there only cost the names).  Valid until the CLI
 * exits.
 */
const char *devcmd_name(struct cli *cli, const char *guid, json_t *result);

#endif /* DEVCMD_H */
