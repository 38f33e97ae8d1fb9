/*
 * cmd_devices.c: devices, show, disconnect.
 */
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fmt.h"

static const struct fmt_field cmd_devices_fields[] = {
	{ "guid",		"guid",			FMT_TEXT },
	{ "name",		"name",			FMT_TEXT },
	{ "tags",		"tags",			FMT_TEXT },
	{ "remote",		"remote",		FMT_TEXT },
	{ "connected_at",	"connected",		FMT_TIME },
	{ "last_keepalive",	"last keepalive",	FMT_TIME },
	{ "keepalive_interval",	"keepalive interval",	FMT_SECONDS },
	{ "ports",		"ports",		FMT_PORTS },
	{ "channels",		"channels",		FMT_TEXT },
	{ "tls_version",	"tls version",		FMT_TEXT },
	{ "tls_cipher",		"tls cipher",		FMT_TEXT },
	{ "mps_username",	"mps user",		FMT_TEXT },
	{ "conn_id",		"conn id",		FMT_TEXT },
	{ "bytes_in",		"bytes in",		FMT_BYTES },
	{ "bytes_out",		"bytes out",		FMT_BYTES },
	{ NULL, NULL, 0 },
};

/* "TLSv1.3" + "TLS_AES_256_GCM_SHA384" -> "1.3 AES_256_GCM_SHA384". */
static void
cmd_devices_tls(json_t *d, char *buf, size_t len)
{
	const char *v = json_string_value(json_object_get(d, "tls_version"));
	const char *c = json_string_value(json_object_get(d, "tls_cipher"));

	if (v != NULL && strncmp(v, "TLSv", 4) == 0)
		v += 4;
	if (c != NULL && strncmp(c, "TLS_", 4) == 0)
		c += 4;
	if (v == NULL && c == NULL)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%s%s%s", v ? v : "", v && c ? " " : "",
		    c ? c : "");
}

/* A device timestamp as "5m ago", or "-". */
static void
cmd_devices_ago(json_t *d, const char *key, time_t now, char *buf,
    size_t len)
{
	time_t t;

	if (fmt_parse_time(json_string_value(json_object_get(d, key)), &t)
	    == 0)
		fmt_ago(t, now, buf, len);
	else
		snprintf(buf, len, "-");
}

static int
cmd_devices_table(json_t *devs)
{
	static const char *const hdr[] = { "GUID", "NAME", "REMOTE",
	    "CONNECTED", "LAST KA", "PORTS", "CHANS", "TLS" };
	char conn[32], ka[32], ports[128], chans[24], tls[128];
	const char *cells[8];
	struct fmt_table *t;
	time_t now = fmt_now();
	size_t i;
	json_t *d;

	if ((t = fmt_table_new(8, hdr)) == NULL)
		goto nomem;
	json_array_foreach(devs, i, d) {
		cmd_devices_ago(d, "connected_at", now, conn, sizeof(conn));
		cmd_devices_ago(d, "last_keepalive", now, ka, sizeof(ka));
		fmt_ports(json_object_get(d, "ports"), ports, sizeof(ports));
		fmt_value(json_object_get(d, "channels"), FMT_TEXT,
		    "channels", now, chans, sizeof(chans));
		cmd_devices_tls(d, tls, sizeof(tls));
		cells[0] = json_string_value(json_object_get(d, "guid"));
		cells[1] = json_string_value(json_object_get(d, "name"));
		cells[2] = json_string_value(json_object_get(d, "remote"));
		cells[3] = conn;
		cells[4] = ka;
		cells[5] = ports;
		cells[6] = chans;
		cells[7] = tls;
		if (fmt_table_add(t, cells) != 0)
			goto nomem;
	}
	fmt_table_print(t, stdout);
	fmt_table_free(t);
	return CLI_EXIT_OK;
nomem:
	fmt_table_free(t);
	cli_err("out of memory formatting %zu devices",
	    json_array_size(devs));
	return CLI_EXIT_FAILED;
}

int
cmd_devices_list(struct cli *cli, int argc, char **argv)
{
	json_t *params, *result = NULL, *devs;
	int rv;

	if ((params = json_object()) == NULL ||
	    (cli->tag != NULL && json_object_set_new(params, "tag",
	    json_string(cli->tag)) != 0)) {
		json_decref(params);
		cli_err("out of memory");
		return CLI_EXIT_FAILED;
	}
	rv = cli_call(cli, "devices.list", params, &result);
	json_decref(params);
	if (rv != CLI_EXIT_OK)
		return rv;
	devs = json_object_get(result, "devices");
	if (!json_is_array(devs)) {
		cli_err("devices.list answered without a devices array");
		json_decref(result);
		return CLI_EXIT_FAILED;
	}
	if (cli->json)
		cli_print_json(result);
	else if (json_array_size(devs) == 0 && cli->tag != NULL)
		printf("no connected devices with tag %s\n", cli->tag);
	else if (json_array_size(devs) == 0)
		printf("no devices connected\n");
	else
		rv = cmd_devices_table(devs);
	json_decref(result);
	return rv;
}

int
cmd_devices_show(struct cli *cli, int argc, char **argv)
{
	json_t *params, *result = NULL;
	int rv;

	if ((params = json_object()) == NULL) {
		cli_err("out of memory");
		return CLI_EXIT_FAILED;
	}
	if ((rv = cli_target(cli, &argc, &argv, params)) == CLI_EXIT_OK)
		rv = cli_call(cli, "devices.get", params, &result);
	json_decref(params);
	if (rv != CLI_EXIT_OK)
		return rv;
	if (cli->json)
		cli_print_json(result);
	else
		fmt_object(stdout, result, cmd_devices_fields, fmt_now());
	json_decref(result);
	return CLI_EXIT_OK;
}

int
cmd_devices_disconnect(struct cli *cli, int argc, char **argv)
{
	json_t *params, *result = NULL;
	const char *guid;
	int rv;

	if ((params = json_object()) == NULL) {
		cli_err("out of memory");
		return CLI_EXIT_FAILED;
	}
	if ((rv = cli_target(cli, &argc, &argv, params)) == CLI_EXIT_OK)
		rv = cli_call(cli, "devices.disconnect", params, &result);
	json_decref(params);
	if (rv != CLI_EXIT_OK)
		return rv;
	if (cli->json) {
		cli_print_json(result);
	} else {
		guid = json_string_value(json_object_get(result, "guid"));
		printf("disconnected %s\n", guid != NULL ? guid : "device");
	}
	json_decref(result);
	return CLI_EXIT_OK;
}
