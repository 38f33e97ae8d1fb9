/*
 * cmd_wsman.c: wsman DEV get|enumerate|put|invoke: raw WS-Management on
 * any class, through the daemon's wsman.* methods.
 *
 * The daemon does the SOAP; this file turns the command line into params
 * (selectors, method parameters, the properties to change or an instance
 * file) and prints instances as "Property  value" lines, values unabridged,
 * since raw output is for reading what AMT actually holds.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devcmd.h"

/* An instance file for put: WS-Man bodies are capped at 4 MiB too. */
#define CMD_WSMAN_XML_MAX	(4u * 1024 * 1024)

enum cmd_wsman_op {
	CMD_WSMAN_GET,
	CMD_WSMAN_ENUMERATE,
	CMD_WSMAN_PUT,
	CMD_WSMAN_INVOKE,
};

static const struct {
	const char	*name;
	const char	*method;	/* control method */
	int		 nargs;		/* after OP: CLASS [METHOD] */
	unsigned	 opts;		/* CLI_OPT_* allowed */
} cmd_wsman_ops[] = {
	[CMD_WSMAN_GET] =	{ "get", "wsman.get", 1, CLI_OPT_SELECTOR },
	[CMD_WSMAN_ENUMERATE] =	{ "enumerate", "wsman.enumerate", 1, 0 },
	[CMD_WSMAN_PUT] =	{ "put", "wsman.put", 1,
	    CLI_OPT_SELECTOR | CLI_OPT_SET | CLI_OPT_XML },
	[CMD_WSMAN_INVOKE] =	{ "invoke", "wsman.invoke", 2,
	    CLI_OPT_SELECTOR | CLI_OPT_PARAM },
};
#define CMD_WSMAN_NOPS	(sizeof(cmd_wsman_ops) / sizeof(cmd_wsman_ops[0]))

static void	cmd_wsman_usage(struct cli *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Prints "amt-mps-cli: wsman: <message>" and the wsman synopsis. */
static void
cmd_wsman_usage(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, CLI_PROG ": wsman: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fprintf(stderr, "usage: " CLI_PROG " %s\n", cli->cmd->more);
}

/*
 * Adds the K=V arguments as an object under key.  With multi, a repeated
 * name collects its values in an array (array properties, repeated
 * parameters); without, a repeat is a usage error (selector names are
 * unique).
 */
static int
cmd_wsman_kv(const struct cli_kv *kv, const char *opt, int multi,
    json_t *params, const char *key)
{
	json_t *obj, *old, *val, *chk;
	char name[256];
	const char *eq;
	size_t i, n;
	int r;

	if (kv->n == 0)
		return CLI_EXIT_OK;
	if ((obj = json_object()) == NULL)
		goto nomem;
	for (i = 0; i < kv->n; i++) {
		eq = strchr(kv->v[i], '=');
		n = (size_t)(eq - kv->v[i]);
		if (n >= sizeof(name)) {
			cli_err("wsman: --%s name '%.40s...' is too long", opt,
			    kv->v[i]);
			goto usage;
		}
		memcpy(name, kv->v[i], n);
		name[n] = '\0';
		/* jansson takes only UTF-8, as WS-Man does. */
		val = json_string(eq + 1);
		chk = json_string(name);
		json_decref(chk);
		if (val == NULL || chk == NULL) {
			json_decref(val);
			cli_err("wsman: --%s %s: not valid UTF-8", opt,
			    kv->v[i]);
			goto usage;
		}
		old = json_object_get(obj, name);
		if (old != NULL && !multi) {
			json_decref(val);
			cli_err("wsman: --%s %s given twice", opt, name);
			goto usage;
		}
		/* The _new calls and "o" take val over, also on failure. */
		if (old == NULL)
			r = json_object_set_new(obj, name, val);
		else if (json_is_array(old))
			r = json_array_append_new(old, val);
		else
			r = json_object_set_new(obj, name,
			    json_pack("[Oo]", old, val));
		if (r != 0)
			goto nomem;
	}
	if (json_object_set_new(params, key, obj) != 0)
		goto nomem_params;
	return CLI_EXIT_OK;
usage:
	json_decref(obj);
	return CLI_EXIT_USAGE;
nomem:
	json_decref(obj);
nomem_params:
	cli_err("out of memory");
	return CLI_EXIT_FAILED;
}

/* Reads the --xml file ("-" = stdin), at most CMD_WSMAN_XML_MAX bytes. */
static int
cmd_wsman_read_xml(const char *path, json_t *params)
{
	FILE *fp;
	char *buf;
	size_t len = 0, n;
	int rv = CLI_EXIT_OK;

	if (strcmp(path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(path, "r")) == NULL) {
		cli_err("wsman: cannot open %s: %s", path, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	if ((buf = malloc(CMD_WSMAN_XML_MAX + 1)) == NULL) {
		cli_err("out of memory");
		rv = CLI_EXIT_FAILED;
		goto out;
	}
	while ((n = fread(buf + len, 1, CMD_WSMAN_XML_MAX + 1 - len, fp)) > 0)
		if ((len += n) > CMD_WSMAN_XML_MAX)
			break;
	if (ferror(fp)) {
		cli_err("wsman: reading %s: %s", path, strerror(errno));
		rv = CLI_EXIT_USAGE;
	} else if (len > CMD_WSMAN_XML_MAX) {
		cli_err("wsman: %s is over %u MiB, more than AMT accepts", path,
		    CMD_WSMAN_XML_MAX >> 20);
		rv = CLI_EXIT_USAGE;
	} else if (len == 0) {
		cli_err("wsman: %s is empty; --xml wants the instance as "
		    "'wsman get' shows it with --json (its xml)", path);
		rv = CLI_EXIT_USAGE;
	} else if (memchr(buf, '\0', len) != NULL) {
		cli_err("wsman: %s is not text (it has a NUL byte)", path);
		rv = CLI_EXIT_USAGE;
	} else if (json_object_set_new(params, "xml",
	    json_stringn(buf, len)) != 0) {
		/* json_stringn() refuses invalid UTF-8. */
		cli_err("wsman: %s is not UTF-8 text", path);
		rv = CLI_EXIT_USAGE;
	}
	free(buf);
out:
	if (fp != stdin)
		fclose(fp);
	return rv;
}

/* One property value, whole: strings verbatim, arrays joined. */
static void
cmd_wsman_value(json_t *v)
{
	size_t i;
	json_t *e;
	char *js;

	switch (json_typeof(v)) {
	case JSON_STRING:
		fputs(json_string_value(v), stdout);
		break;
	case JSON_NULL:
		fputs("(nil)", stdout);
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, e) {
			if (i > 0)
				fputs(", ", stdout);
			cmd_wsman_value(e);
		}
		break;
	default:
		js = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
		    JSON_PRESERVE_ORDER);
		fputs(js != NULL ? js : "?", stdout);
		free(js);
		break;
	}
}

/* An instance as aligned "Property  value" lines. */
static void
cmd_wsman_instance(json_t *inst)
{
	const char *k;
	size_t w = 0;
	json_t *v;

	if (!json_is_object(inst)) {
		cmd_wsman_value(inst);
		fputc('\n', stdout);
		return;
	}
	json_object_foreach(inst, k, v)
		if (strlen(k) > w)
			w = strlen(k);
	json_object_foreach(inst, k, v) {
		printf("%s%*s  ", k, (int)(w - strlen(k)), "");
		cmd_wsman_value(v);
		fputc('\n', stdout);
	}
}

/* The instances of an enumerate result, whatever the daemon called them. */
static json_t *
cmd_wsman_items(json_t *r)
{
	json_t *a = json_object_get(r, "instances");

	if (!json_is_array(a))
		a = json_object_get(r, "items");
	return json_is_array(a) ? a : NULL;
}

/* The output of an invoke: its _OUTPUT properties. */
static json_t *
cmd_wsman_output(json_t *r)
{
	json_t *o = json_object_get(r, "output");

	if (!json_is_object(o))
		o = json_object_get(r, "instance");
	return json_is_object(o) ? o : NULL;
}

static void
cmd_wsman_line(const struct devcmd_view *v, json_t *r, char *buf,
    size_t len)
{
	json_t *items, *inst, *rv;
	const char *name;

	if (strcmp(v->arg2, "get") == 0) {
		inst = json_object_get(r, "instance");
		snprintf(buf, len, "%s: %zu properties", v->arg,
		    json_object_size(inst));
	} else if (strcmp(v->arg2, "enumerate") == 0) {
		items = cmd_wsman_items(r);
		snprintf(buf, len, "%s: %zu instances", v->arg,
		    json_array_size(items));
	} else if (strcmp(v->arg2, "put") == 0) {
		snprintf(buf, len, "%s updated", v->arg);
	} else {
		rv = json_object_get(r, "return_value");
		if (!json_is_integer(rv))
			rv = json_object_get(cmd_wsman_output(r),
			    "ReturnValue");
		name = json_string_value(json_object_get(r, "return_name"));
		if (json_is_integer(rv))
			snprintf(buf, len, "%s ReturnValue %"
			    JSON_INTEGER_FORMAT "%s%s%s", v->arg,
			    json_integer_value(rv), name ? " (" : "",
			    name ? name : "", name ? ")" : "");
		else if (json_is_string(rv))
			snprintf(buf, len, "%s ReturnValue %s", v->arg,
			    json_string_value(rv));
		else
			snprintf(buf, len, "%s done", v->arg);
	}
}

static int
cmd_wsman_print(struct cli *cli, const struct devcmd_view *v,
    const char *label, json_t *r)
{
	char line[256];
	json_t *items, *e;
	size_t i;

	(void)cli;
	if (strcmp(v->arg2, "get") == 0) {
		cmd_wsman_instance(json_object_get(r, "instance"));
	} else if (strcmp(v->arg2, "enumerate") == 0) {
		items = cmd_wsman_items(r);
		json_array_foreach(items, i, e) {
			if (i > 0)
				fputc('\n', stdout);
			cmd_wsman_instance(e);
		}
		if (json_array_size(items) == 0)
			printf("%s: no instances of %s\n", label, v->arg);
	} else {
		cmd_wsman_line(v, r, line, sizeof(line));
		printf("%s: %s\n", label, line);
		if (strcmp(v->arg2, "invoke") == 0 &&
		    (e = cmd_wsman_output(r)) != NULL)
			cmd_wsman_instance(e);
	}
	return CLI_EXIT_OK;
}

int
cmd_wsman(struct cli *cli, int argc, char **argv)
{
	struct devcmd_view v = { cmd_wsman_line, cmd_wsman_print, NULL, NULL };
	const char *cls;
	json_t *params = NULL;
	size_t op;
	int rv;

	if ((rv = devcmd_params(cli, &argc, &argv, &params)) != CLI_EXIT_OK)
		return rv;
	for (op = 0; op < CMD_WSMAN_NOPS; op++)
		if (strcmp(cmd_wsman_ops[op].name, argv[0]) == 0)
			break;
	rv = CLI_EXIT_USAGE;
	if (op == CMD_WSMAN_NOPS) {
		cmd_wsman_usage(cli, "unknown operation '%.40s'", argv[0]);
		goto out;
	}
	if (argc - 1 != cmd_wsman_ops[op].nargs) {
		cmd_wsman_usage(cli, argc - 1 < cmd_wsman_ops[op].nargs ?
		    "%s: missing argument" : "%s: unexpected argument",
		    argv[0]);
		goto out;
	}
	if (cli->selectors.n > 0 &&
	    !(cmd_wsman_ops[op].opts & CLI_OPT_SELECTOR)) {
		cmd_wsman_usage(cli, "%s takes no --selector", argv[0]);
		goto out;
	}
	if (cli->params.n > 0 && !(cmd_wsman_ops[op].opts & CLI_OPT_PARAM)) {
		cmd_wsman_usage(cli, "--param is for invoke, not %s", argv[0]);
		goto out;
	}
	if ((cli->sets.n > 0 || cli->xml_file != NULL) &&
	    !(cmd_wsman_ops[op].opts & CLI_OPT_SET)) {
		cmd_wsman_usage(cli, "--set and --xml are for put, not %s",
		    argv[0]);
		goto out;
	}
	if (op == CMD_WSMAN_PUT && (cli->sets.n > 0) ==
	    (cli->xml_file != NULL)) {
		cmd_wsman_usage(cli, "put wants either --set NAME=VALUE ... "
		    "or --xml FILE");
		goto out;
	}
	cls = argv[1];
	if (*cls == '\0') {
		cmd_wsman_usage(cli, "CLASS must not be empty");
		goto out;
	}
	/* A full URI is passed as such; a class name the daemon maps. */
	if (json_object_set_new(params, strncmp(cls, "http://", 7) == 0 ||
	    strncmp(cls, "https://", 8) == 0 ? "resource_uri" : "class",
	    json_string(cls)) != 0) {
		cli_err("wsman: CLASS is not valid UTF-8");
		goto out;
	}
	if (op == CMD_WSMAN_INVOKE && (*argv[2] == '\0' ||
	    json_object_set_new(params, "method", json_string(argv[2])) != 0)) {
		cmd_wsman_usage(cli, "METHOD must be a non-empty name");
		goto out;
	}
	if ((rv = cmd_wsman_kv(&cli->selectors, "selector", 0, params,
	    "selectors")) != CLI_EXIT_OK ||
	    (rv = cmd_wsman_kv(&cli->params, "param", 1, params,
	    "params")) != CLI_EXIT_OK ||
	    (rv = cmd_wsman_kv(&cli->sets, "set", 1, params,
	    "instance")) != CLI_EXIT_OK)
		goto out;
	if (cli->xml_file != NULL &&
	    (rv = cmd_wsman_read_xml(cli->xml_file, params)) != CLI_EXIT_OK)
		goto out;
	v.arg = op == CMD_WSMAN_INVOKE ? argv[2] : cls;
	v.arg2 = cmd_wsman_ops[op].name;
	rv = devcmd_run(cli, cmd_wsman_ops[op].method, params, &v);
out:
	json_decref(params);
	return rv;
}
