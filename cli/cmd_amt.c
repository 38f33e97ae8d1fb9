/*
 * cmd_amt.c: power, boot, pxeboot, info, version, uuid, time.
 *
 * Each is one control method (power.state, power.action, boot.set,
 * amt.info, amt.time.sync) on one device or a fleet; devcmd.c does the
 * calling, this file only checks the words and words the results.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "devcmd.h"
#include "fmt.h"

/* Power actions as the daemon names them, and how a person reads them. */
static const struct {
	const char	*name;
	const char	*words;
} cmd_amt_actions[] = {
	{ "on",		"power on" },
	{ "off",	"power off" },
	{ "soft-off",	"soft power off (OS shutdown)" },
	{ "reset",	"reset" },
	{ "soft-reset",	"soft reset (OS restart)" },
	{ "cycle",	"power cycle" },
	{ "sleep",	"sleep" },
	{ "hibernate",	"hibernate" },
	{ "nmi",	"NMI" },
};
#define CMD_AMT_NACTIONS (sizeof(cmd_amt_actions) / sizeof(cmd_amt_actions[0]))

static const struct {
	const char	*name;
	const char	*words;
} cmd_amt_targets[] = {
	{ "pxe",	"the network (PXE)" },
	{ "bios",	"BIOS setup" },
	{ "hdd",	"the hard drive" },
	{ "cd",		"CD/DVD" },
};
#define CMD_AMT_NTARGETS (sizeof(cmd_amt_targets) / sizeof(cmd_amt_targets[0]))

/*
 * The qualifier a DMTF PowerState adds to the coarse state the daemon
 * sends ("off" + 8 -> "off (soft)"): tells a hard off from an OS shutdown,
 * light sleep from deep.
 */
static const char *
cmd_amt_state_detail(json_int_t ps)
{
	switch (ps) {
	case 3:
		return "light";
	case 4:
		return "deep";
	case 6:
		return "hard";
	case 8:
		return "soft";
	case 12:
		return "soft graceful";
	case 13:
		return "hard graceful";
	default:
		return NULL;
	}
}

static void
cmd_amt_state_line(const struct devcmd_view *v, json_t *r, char *buf,
    size_t len)
{
	const char *state = json_string_value(json_object_get(r, "state"));
	json_t *ps = json_object_get(r, "power_state");
	const char *detail = NULL;

	(void)v;
	if (json_is_integer(ps))
		detail = cmd_amt_state_detail(json_integer_value(ps));
	if (state == NULL)
		state = "unknown";
	if (detail != NULL)
		snprintf(buf, len, "%s (%s)", state, detail);
	else if (strcmp(state, "unknown") == 0 && json_is_integer(ps))
		snprintf(buf, len, "unknown (PowerState %" JSON_INTEGER_FORMAT
		    ")", json_integer_value(ps));
	else
		snprintf(buf, len, "%s", state);
}

/* power DEV status: "GUID  NAME  STATE", like a fleet line. */
static int
cmd_amt_state_print(struct cli *cli, const struct devcmd_view *v,
    const char *label, json_t *r)
{
	const char *guid = json_string_value(json_object_get(r, "guid"));
	const char *name = devcmd_name(cli, guid, r);
	char state[128];

	(void)label;
	cmd_amt_state_line(v, r, state, sizeof(state));
	printf("%s  %s  %s\n", guid != NULL ? guid : "-",
	    name != NULL ? name : "-", state);
	return CLI_EXIT_OK;
}

/* " (ReturnValue N)" when the result has one, else "". */
static void
cmd_amt_rv(json_t *r, char *buf, size_t len)
{
	json_t *rv = json_object_get(r, "return_value");

	if (json_is_integer(rv))
		snprintf(buf, len, " (ReturnValue %" JSON_INTEGER_FORMAT ")",
		    json_integer_value(rv));
	else
		snprintf(buf, len, "%s", "");
}

static const char *
cmd_amt_action_words(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < CMD_AMT_NACTIONS; i++)
		if (strcmp(cmd_amt_actions[i].name, name) == 0)
			return cmd_amt_actions[i].words;
	return name;
}

static void
cmd_amt_action_line(const struct devcmd_view *v, json_t *r, char *buf,
    size_t len)
{
	char rv[64];

	cmd_amt_rv(r, rv, sizeof(rv));
	snprintf(buf, len, "%s requested%s", cmd_amt_action_words(v->arg),
	    rv);
}

static int
cmd_amt_power_usage(const char *what)
{
	size_t i;

	fprintf(stderr, CLI_PROG ": power: %s; ACTION is status", what);
	for (i = 0; i < CMD_AMT_NACTIONS; i++)
		fprintf(stderr, ", %s", cmd_amt_actions[i].name);
	fputc('\n', stderr);
	return CLI_EXIT_USAGE;
}

int
cmd_amt_power(struct cli *cli, int argc, char **argv)
{
	struct devcmd_view v = { cmd_amt_state_line, cmd_amt_state_print,
	    NULL, NULL };
	json_t *params;
	size_t i;
	int rv;

	if ((rv = devcmd_params(cli, &argc, &argv, &params)) != CLI_EXIT_OK)
		return rv;
	if (strcmp(argv[0], "status") == 0) {
		rv = devcmd_run(cli, "power.state", params, &v);
		json_decref(params);
		return rv;
	}
	for (i = 0; i < CMD_AMT_NACTIONS; i++)
		if (strcmp(cmd_amt_actions[i].name, argv[0]) == 0)
			break;
	if (i == CMD_AMT_NACTIONS) {
		char what[96];

		json_decref(params);
		snprintf(what, sizeof(what), "unknown action '%.40s'",
		    argv[0]);
		return cmd_amt_power_usage(what);
	}
	v.line = cmd_amt_action_line;
	v.print = NULL;
	v.arg = cmd_amt_actions[i].name;
	if (json_object_set_new(params, "action",
	    json_string(cmd_amt_actions[i].name)) != 0)
		rv = CLI_EXIT_FAILED;
	else
		rv = devcmd_run(cli, "power.action", params, &v);
	json_decref(params);
	return rv;
}

static const char *
cmd_amt_target_words(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < CMD_AMT_NTARGETS; i++)
		if (strcmp(cmd_amt_targets[i].name, name) == 0)
			return cmd_amt_targets[i].words;
	return name;
}

/*
 * The power action a boot --reboot ended with.  The daemon picks it by
 * the power state it read (reset when on, power on otherwise) and names
 * it, as a name or as the RequestPowerStateChange number.
 */
static const char *
cmd_amt_boot_action(json_t *r)
{
	static const char *const keys[] = { "power_action", "action" };
	json_t *a;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		a = json_object_get(r, keys[i]);
		if (json_is_string(a))
			return json_string_value(a);
		if (json_is_integer(a) && json_integer_value(a) == 10)
			return "reset";
		if (json_is_integer(a) && json_integer_value(a) == 2)
			return "on";
	}
	return NULL;
}

static void
cmd_amt_boot_line(const struct devcmd_view *v, json_t *r, char *buf,
    size_t len)
{
	const char *action = cmd_amt_boot_action(r);
	char rv[64];

	/* The ReturnValue shown is the power action's. */
	cmd_amt_rv(r, rv, sizeof(rv));
	if (action != NULL)
		snprintf(buf, len, "next boot from %s (once); %s requested%s",
		    cmd_amt_target_words(v->arg), cmd_amt_action_words(action),
		    rv);
	else	/* every step's ReturnValue was 0, or it failed */
		snprintf(buf, len, "next boot from %s (once)%s",
		    cmd_amt_target_words(v->arg),
		    v->arg2 != NULL ? "; restart requested" : "");
}

static int
cmd_amt_boot_run(struct cli *cli, json_t *params, const char *target,
    int reboot)
{
	struct devcmd_view v = { cmd_amt_boot_line, NULL, target,
	    reboot ? "reboot" : NULL };

	if (json_object_set_new(params, "target", json_string(target)) != 0 ||
	    json_object_set_new(params, "reboot", json_boolean(reboot)) != 0) {
		cli_err("out of memory");
		return CLI_EXIT_FAILED;
	}
	return devcmd_run(cli, "boot.set", params, &v);
}

int
cmd_amt_boot(struct cli *cli, int argc, char **argv)
{
	json_t *params;
	size_t i;
	int rv;

	if ((rv = devcmd_params(cli, &argc, &argv, &params)) != CLI_EXIT_OK)
		return rv;
	for (i = 0; i < CMD_AMT_NTARGETS; i++)
		if (strcmp(cmd_amt_targets[i].name, argv[0]) == 0)
			break;
	if (i == CMD_AMT_NTARGETS) {
		cli_err("boot: unknown target '%.40s'; TARGET is pxe, bios, "
		    "hdd or cd", argv[0]);
		json_decref(params);
		return CLI_EXIT_USAGE;
	}
	rv = cmd_amt_boot_run(cli, params, cmd_amt_targets[i].name,
	    cli->reboot);
	json_decref(params);
	return rv;
}

int
cmd_amt_pxeboot(struct cli *cli, int argc, char **argv)
{
	json_t *params;
	int rv;

	if ((rv = devcmd_params(cli, &argc, &argv, &params)) != CLI_EXIT_OK)
		return rv;
	rv = cmd_amt_boot_run(cli, params, "pxe", 1);
	json_decref(params);
	return rv;
}

/* Provisioning mode as a number (1, 4) or a name, for people. */
static void
cmd_amt_mode(json_t *m, char *buf, size_t len)
{
	if (json_is_integer(m) && json_integer_value(m) == 1)
		snprintf(buf, len, "admin control mode (ACM)");
	else if (json_is_integer(m) && json_integer_value(m) == 4)
		snprintf(buf, len, "client control mode (CCM)");
	else if (json_is_string(m) && strcmp(json_string_value(m), "admin")
	    == 0)
		snprintf(buf, len, "admin control mode (ACM)");
	else if (json_is_string(m) && strcmp(json_string_value(m), "client")
	    == 0)
		snprintf(buf, len, "client control mode (CCM)");
	else
		fmt_value(m, FMT_TEXT, "provisioning_mode", 0, buf, len);
}

/* "host.domain", or whichever of the two is set, or "". */
static void
cmd_amt_fqdn(json_t *r, char *buf, size_t len)
{
	const char *h = json_string_value(json_object_get(r, "hostname"));
	const char *d = json_string_value(json_object_get(r, "domain"));

	if (h == NULL)
		h = "";
	if (d == NULL)
		d = "";
	snprintf(buf, len, "%s%s%s", h, *h && *d ? "." : "", d);
}

static void
cmd_amt_info_line(const struct devcmd_view *v, json_t *r, char *buf,
    size_t len)
{
	const char *ver = json_string_value(json_object_get(r,
	    "amt_version"));
	char fqdn[300], mode[64];

	(void)v;
	cmd_amt_fqdn(r, fqdn, sizeof(fqdn));
	cmd_amt_mode(json_object_get(r, "provisioning_mode"), mode,
	    sizeof(mode));
	snprintf(buf, len, "AMT %s, %s, %s", ver != NULL ? ver : "?",
	    fqdn[0] != '\0' ? fqdn : "no host name", mode);
}

static const struct fmt_field cmd_amt_info_fields[] = {
	{ "guid",		"guid",			FMT_TEXT },
	{ "name",		"name",			FMT_TEXT },
	{ "amt_version",	"AMT version",		FMT_TEXT },
	{ "build_number",	"build",		FMT_TEXT },
	{ "sku",		"SKU",			FMT_TEXT },
	{ "hostname",		"host name",		FMT_TEXT },
	{ "domain",		"domain",		FMT_TEXT },
	{ "uuid",		"UUID",			FMT_TEXT },
	{ "platform_guid",	"platform GUID",	FMT_TEXT },
	{ "provisioning_mode",	"provisioning mode",	FMT_TEXT },
	{ "provisioning_state",	"provisioning state",	FMT_TEXT },
	{ "realm",		"digest realm",		FMT_TEXT },
	/* The numbers behind the mode and state words: --json has them. */
	{ "provisioning_mode_value", NULL,		FMT_HIDE },
	{ "provisioning_state_value", NULL,		FMT_HIDE },
	{ NULL, NULL, 0 },
};

static int
cmd_amt_info_print(struct cli *cli, const struct devcmd_view *v,
    const char *label, json_t *r)
{
	json_t *copy;
	char mode[64];

	(void)cli;
	(void)v;
	(void)label;
	/* The mode reads better as words; the rest as the daemon sent it. */
	if ((copy = json_deep_copy(r)) == NULL) {
		cli_err("out of memory");
		return CLI_EXIT_FAILED;
	}
	if (json_object_get(r, "provisioning_mode") != NULL) {
		cmd_amt_mode(json_object_get(r, "provisioning_mode"), mode,
		    sizeof(mode));
		json_object_set_new(copy, "provisioning_mode",
		    json_string(mode));
	}
	fmt_object(stdout, copy, cmd_amt_info_fields, fmt_now());
	json_decref(copy);
	return CLI_EXIT_OK;
}

int
cmd_amt_info(struct cli *cli, int argc, char **argv)
{
	struct devcmd_view v = { cmd_amt_info_line, cmd_amt_info_print,
	    NULL, NULL };
	json_t *params;
	int rv;

	if ((rv = devcmd_params(cli, &argc, &argv, &params)) != CLI_EXIT_OK)
		return rv;
	rv = devcmd_run(cli, "amt.info", params, &v);
	json_decref(params);
	return rv;
}

/* One key of amt.info; v->arg is the key. */
static void
cmd_amt_key_line(const struct devcmd_view *v, json_t *r, char *buf,
    size_t len)
{
	json_t *x = json_object_get(r, v->arg);

	if (x == NULL || json_is_null(x))
		snprintf(buf, len, "(not reported)");
	else
		fmt_value(x, FMT_TEXT, v->arg, 0, buf, len);
}

/* version / uuid on one device print the bare value, for scripts. */
static int
cmd_amt_key_print(struct cli *cli, const struct devcmd_view *v,
    const char *label, json_t *r)
{
	char buf[FMT_CELL_MAX + 1];
	json_t *x = json_object_get(r, v->arg);

	(void)cli;
	if (x == NULL || json_is_null(x) ||
	    (json_is_string(x) && *json_string_value(x) == '\0')) {
		cli_err("%s: AMT did not report %s", label, v->arg2);
		return CLI_EXIT_FAILED;
	}
	fmt_value(x, FMT_TEXT, v->arg, 0, buf, sizeof(buf));
	printf("%s\n", buf);
	return CLI_EXIT_OK;
}

static int
cmd_amt_key(struct cli *cli, int argc, char **argv, const char *key,
    const char *words)
{
	struct devcmd_view v = { cmd_amt_key_line, cmd_amt_key_print, key,
	    words };
	json_t *params;
	int rv;

	if ((rv = devcmd_params(cli, &argc, &argv, &params)) != CLI_EXIT_OK)
		return rv;
	rv = devcmd_run(cli, "amt.info", params, &v);
	json_decref(params);
	return rv;
}

int
cmd_amt_version(struct cli *cli, int argc, char **argv)
{
	return cmd_amt_key(cli, argc, argv, "amt_version",
	    "its firmware version");
}

int
cmd_amt_uuid(struct cli *cli, int argc, char **argv)
{
	return cmd_amt_key(cli, argc, argv, "uuid", "a system UUID");
}

/* A UTC epoch as "2026-11-24T10:00:00Z"; "" when v is not a number. */
static void
cmd_amt_epoch(json_t *v, char *buf, size_t len)
{
	struct tm tm;
	time_t t;

	buf[0] = '\0';
	if (!json_is_integer(v))
		return;
	t = (time_t)json_integer_value(v);
	if (gmtime_r(&t, &tm) != NULL)
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
cmd_amt_time_line(const struct devcmd_view *v, json_t *r, char *buf,
    size_t len)
{
	json_t *off = json_object_get(r, "offset");
	char when[64], was[96];
	json_int_t o;

	(void)v;
	/* Tm2 is what we told AMT the time is; fall back to Tm1. */
	cmd_amt_epoch(json_object_get(r, "tm2"), when, sizeof(when));
	if (when[0] == '\0')
		cmd_amt_epoch(json_object_get(r, "tm1"), when, sizeof(when));
	was[0] = '\0';
	if (json_is_integer(off)) {
		o = json_integer_value(off);
		if (o == 0)
			snprintf(was, sizeof(was), " (AMT clock was right)");
		else
			snprintf(was, sizeof(was), " (AMT clock was %"
			    JSON_INTEGER_FORMAT " s %s)", o < 0 ? -o : o,
			    o > 0 ? "ahead" : "behind");
	}
	snprintf(buf, len, "clock set to %s%s",
	    when[0] != '\0' ? when : "this host's time", was);
}

int
cmd_amt_time(struct cli *cli, int argc, char **argv)
{
	struct devcmd_view v = { cmd_amt_time_line, NULL, NULL, NULL };
	json_t *params;
	int rv;

	if ((rv = devcmd_params(cli, &argc, &argv, &params)) != CLI_EXIT_OK)
		return rv;
	rv = devcmd_run(cli, "amt.time.sync", params, &v);
	json_decref(params);
	return rv;
}
