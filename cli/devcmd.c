/*
 * devcmd.c: running a device command on one device or on a fleet.
 */
#include <string.h>

#include "devcmd.h"
#include "fmt.h"

/* One fleet result line's text after the name, bounded like a cell. */
#define DEVCMD_LINE_MAX	FMT_CELL_MAX

int
devcmd_params(struct cli *cli, int *argc, char ***argv, json_t **params)
{
	int rv;

	if ((*params = json_object()) == NULL) {
		cli_err("out of memory");
		return CLI_EXIT_FAILED;
	}
	if ((rv = cli_target(cli, argc, argv, *params)) != CLI_EXIT_OK) {
		json_decref(*params);
		*params = NULL;
	}
	return rv;
}

/*
 * Adds guid -> name to cli->names from a devices.list or devices.get
 * result.  Only for display: an error is not reported (the command itself
 * already succeeded or failed), the names just stay unknown.
 */
static void
devcmd_names_add(struct cli *cli, json_t *d)
{
	const char *g = json_string_value(json_object_get(d, "guid"));
	const char *n = json_string_value(json_object_get(d, "name"));

	if (g != NULL)
		json_object_set_new(cli->names, g, n != NULL && *n != '\0' ?
		    json_string(n) : json_null());
}

static void
devcmd_fetch_names(struct cli *cli, const char *method, json_t *params)
{
	json_t *result = NULL, *error = NULL, *devs, *d;
	int64_t deadline = -1;
	size_t i;

	if (cli->timeout > 0)
		deadline = rpc_now_ms() + (int64_t)(cli->timeout * 1000.0);
	if (rpc_call(&cli->rpc, method, params, deadline, &result,
	    &error) == 0 && result != NULL) {
		if ((devs = json_object_get(result, "devices")) != NULL)
			json_array_foreach(devs, i, d)
				devcmd_names_add(cli, d);
		else
			devcmd_names_add(cli, result);	/* devices.get */
	}
	json_decref(result);
	json_decref(error);
}

const char *
devcmd_name(struct cli *cli, const char *guid, json_t *result)
{
	json_t *n = json_object_get(result, "name"), *params;

	if (json_is_string(n))
		return *json_string_value(n) != '\0' ?
		    json_string_value(n) : NULL;
	if (json_is_null(n) || guid == NULL)
		return NULL;	/* the daemon says: no name */
	if (cli->names == NULL && (cli->names = json_object()) == NULL)
		return NULL;
	if ((n = json_object_get(cli->names, guid)) != NULL)
		return json_string_value(n);
	if (!cli->connected || (params = json_object()) == NULL)
		return NULL;
	/*
	 * A fleet asks for the whole list once; one device asks for itself
	 * only (the list of a large fleet is megabytes).  Either way each
	 * GUID is looked up at most once.
	 */
	if ((cli->all || cli->tag != NULL) && !cli->names_listed) {
		cli->names_listed = 1;
		if (cli->tag != NULL)
			json_object_set_new(params, "tag",
			    json_string(cli->tag));
		devcmd_fetch_names(cli, "devices.list", params);
	} else if (!cli->all && cli->tag == NULL) {
		json_object_set_new(params, "device", json_string(guid));
		devcmd_fetch_names(cli, "devices.get", params);
	}
	json_decref(params);
	if ((n = json_object_get(cli->names, guid)) == NULL)
		json_object_set_new(cli->names, guid, json_null());
	return json_string_value(json_object_get(cli->names, guid));
}

/* A device's label for messages: its name, else its GUID, else DEV. */
static const char *
devcmd_label(struct cli *cli, json_t *params, json_t *result)
{
	const char *guid = json_string_value(json_object_get(result, "guid"));
	const char *name = devcmd_name(cli, guid, result);

	if (name != NULL)
		return name;
	if (guid != NULL)
		return guid;
	name = json_string_value(json_object_get(params, "device"));
	return name != NULL ? name : "device";
}

/* Copies s into buf with control characters (a stray newline) as '?'. */
static void
devcmd_oneline(const char *s, char *buf, size_t len)
{
	char *p;

	snprintf(buf, len, "%s", s);
	for (p = buf; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

static int
devcmd_fleet(struct cli *cli, json_t *result, const struct devcmd_view *v)
{
	char text[DEVCMD_LINE_MAX + 1], clean[DEVCMD_LINE_MAX + 1];
	json_t *results, *e, *r, *err;
	const char *guid, *name, *msg;
	size_t i, w = 1, nfail = 0, n;

	results = json_object_get(result, "results");
	if (!json_is_array(results)) {
		cli_err("amt-mps answered without a results array");
		return CLI_EXIT_FAILED;
	}
	n = json_array_size(results);
	json_array_foreach(results, i, e) {
		if (!json_is_true(json_object_get(e, "ok")))
			nfail++;
		if (cli->json)
			continue;
		guid = json_string_value(json_object_get(e, "guid"));
		r = json_object_get(e, "result");
		name = devcmd_name(cli, guid, json_object_get(e, "name") ?
		    e : r);
		if (name != NULL && fmt_width(name) > w)
			w = fmt_width(name);
	}
	if (cli->json) {
		cli_print_json(result);
	} else {
		json_array_foreach(results, i, e) {
			guid = json_string_value(json_object_get(e, "guid"));
			r = json_object_get(e, "result");
			name = devcmd_name(cli, guid,
			    json_object_get(e, "name") ? e : r);
			name = name != NULL ? name : "-";
			if (json_is_true(json_object_get(e, "ok"))) {
				text[0] = '\0';
				if (v->line != NULL)
					v->line(v, r, text, sizeof(text));
				devcmd_oneline(text, clean, sizeof(clean));
				printf("%s  %s%*s  ok%s%s\n", guid ? guid : "-",
				    name, (int)(w - fmt_width(name)), "",
				    clean[0] != '\0' ? ": " : "", clean);
			} else {
				err = json_object_get(e, "error");
				msg = json_string_value(json_object_get(err,
				    "message"));
				devcmd_oneline(msg != NULL ? msg :
				    "(no message)", clean, sizeof(clean));
				printf("%s  %s%*s  FAILED: %s\n",
				    guid ? guid : "-", name,
				    (int)(w - fmt_width(name)), "", clean);
			}
		}
	}
	if (n == 0 && !cli->json) {
		if (cli->tag != NULL)
			cli_warn("no connected devices with tag %s", cli->tag);
		else
			cli_warn("no devices connected");
	}
	if (nfail > 0) {
		cli_err("%zu of %zu devices failed", nfail, n);
		return CLI_EXIT_FAILED;
	}
	return CLI_EXIT_OK;
}

int
devcmd_run(struct cli *cli, const char *method, json_t *params,
    const struct devcmd_view *v)
{
	char text[DEVCMD_LINE_MAX + 1];
	json_t *result = NULL;
	int rv;

	if ((rv = cli_call(cli, method, params, &result)) != CLI_EXIT_OK)
		return rv;
	if (cli->all || cli->tag != NULL) {
		rv = devcmd_fleet(cli, result, v);
	} else if (cli->json) {
		cli_print_json(result);
	} else if (v->print != NULL) {
		rv = v->print(cli, v, devcmd_label(cli, params, result),
		    result);
	} else {
		text[0] = '\0';
		if (v->line != NULL)
			v->line(v, result, text, sizeof(text));
		printf("%s: %s\n", devcmd_label(cli, params, result),
		    text[0] != '\0' ? text : "ok");
	}
	json_decref(result);
	return rv;
}
