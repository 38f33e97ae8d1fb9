/*
 * ctl_ops.c: the control methods that talk to devices (power.*, boot.*,
 * pxeboot, amt.*, wsman.*), for one device or a fleet.
 *
 * A request becomes a run (struct ctl_ops_run): the validated parameters
 * (struct ctl_ops_spec) and one task per device.  A task builds a fresh
 * operation from the spec and hands it to ops.c; its completion fills the
 * device's slot of the answer.  Fleet runs keep at most
 * CTL_OPS_FLEET_CONCURRENCY tasks in flight and answer once every device
 * has its entry.  Completions always come from ops.c's done event, so a
 * run is never freed under a caller; the control request (struct ctl_req)
 * tolerates a client that went away meanwhile (the answer is dropped), and
 * ops_shutdown() completes every task before the control socket closes.
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/tree.h>

#include "server.h"
#include "ops.h"
#include "relay.h"

#define CTL_OPS_FLEET_CONCURRENCY	64
#define CTL_OPS_FLEET_MAX		100000	/* devices per fleet request */

enum ctl_ops_kind {
	CTL_OPS_POWER_STATE,
	CTL_OPS_POWER_ACTION,
	CTL_OPS_BOOT,
	CTL_OPS_INFO,
	CTL_OPS_TIME,
	CTL_OPS_TIME_SYNC,
	CTL_OPS_WS_GET,
	CTL_OPS_WS_ENUMERATE,
	CTL_OPS_WS_PUT,
	CTL_OPS_WS_INVOKE,
};

/* Parameters, checked once, shared by every device of a run. */
struct ctl_ops_spec {
	enum ctl_ops_kind	 kind;
	const char		*method_name;	/* control method, for logs */
	json_t			*params;	/* owns the strings below */
	enum amt_power_action	 action;
	enum amt_boot_target	 target;
	int			 reboot;
	const char		*resource;	/* class name or URI */
	const char		*wsmethod;	/* invoke */
	struct wsman_selector	 sel[WSMAN_MAX_SELECTORS];
	size_t			 nsel;
	struct wsman_param	 wp[WSMAN_MAX_SELECTORS];
	size_t			 nwp;
	char			*owned[WSMAN_MAX_SELECTORS]; /* EPR texts */
	size_t			 nowned;
	const char		*put_xml;	/* put: instance as XML */
	json_t			*put_props;	/* put: props edited on Get */
};

struct ctl_ops_run;

struct ctl_ops_task {
	struct ctl_ops_run	*run;
	size_t			 index;
	int			 phase;		/* put with props: 0 Get, 1 Put */
	char			 guid[APF_GUID_STRLEN + 1];
};

struct ctl_ops_run {
	struct ctl_req		*req;
	struct ctl_ops_spec	 spec;
	int			 fleet;
	int			 in_method;	/* no answer from pump yet */
	size_t			 n;		/* entries of the answer */
	size_t			 ntasks;	/* devices to run (first n) */
	size_t			 next, running, finished, nok;
	struct ctl_ops_task	*tasks;
	json_t			*results;	/* fleet: one slot per device */
};

static void	ctl_ops_pump(struct ctl_ops_run *);
static void	ctl_ops_done(void *, const struct ops_outcome *);

/* -------------------------------------------------------- JSON helpers */

/* An instance: properties in order, repeated names folded into arrays. */
static json_t *
ctl_ops_instance_json(const struct wsman_instance *inst)
{
	json_t		*o = json_object(), *v, *prev, *arr;
	size_t		 i;

	for (i = 0; i < inst->nprops; i++) {
		const struct wsman_prop *p = &inst->props[i];

		v = (p->flags & WSMAN_PROP_NIL) ? json_null() :
		    json_string(p->value);
		if (v == NULL)		/* not UTF-8: keep the key */
			v = json_null();
		if ((prev = json_object_get(o, p->name)) == NULL) {
			json_object_set_new(o, p->name, v);
			continue;
		}
		if (!json_is_array(prev)) {
			arr = json_array();
			json_array_append(arr, prev);
			json_object_set_new(o, p->name, arr);
			prev = arr;
		}
		json_array_append_new(prev, v);
	}
	return o;
}

static json_t *
ctl_ops_str_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

/* The result object of a successful operation. */
static json_t *
ctl_ops_result_json(const struct ctl_ops_spec *sp, const char *guid,
    const struct amt_result *res)
{
	const struct wsman_instances *il = &res->instances;
	json_t		*o, *arr;
	char		 t[ISO8601_LEN];
	size_t		 i;

	o = json_pack("{s:s}", "guid", guid);
	switch (sp->kind) {
	case CTL_OPS_POWER_STATE:
		arr = json_array();
		for (i = 0; i < res->power.navailable; i++)
			json_array_append_new(arr,
			    json_integer(res->power.available[i]));
		json_object_set_new(o, "state",
		    json_string(amt_power_state_str(res->power.power_state)));
		json_object_set_new(o, "power_state",
		    json_integer(res->power.power_state));
		json_object_set_new(o, "state_text",
		    json_string(amt_power_state_name(res->power.power_state)));
		json_object_set_new(o, "available", arr);
		break;
	case CTL_OPS_POWER_ACTION:
		json_object_set_new(o, "action",
		    json_string(amt_power_action_str(sp->action)));
		json_object_set_new(o, "power_state",
		    json_integer(res->power.requested));
		json_object_set_new(o, "return_value",
		    json_integer(res->rv.value));
		json_object_set_new(o, "return_name",
		    ctl_ops_str_or_null(res->rv.name));
		break;
	case CTL_OPS_BOOT:
		json_object_set_new(o, "target",
		    json_string(amt_boot_target_str(sp->target)));
		json_object_set_new(o, "reboot", json_boolean(sp->reboot));
		json_object_set_new(o, "power_action", res->power.requested ?
		    json_string(amt_power_action_str(
		    (enum amt_power_action)res->power.requested)) :
		    json_null());
		if (res->power.known)
			json_object_set_new(o, "power_state_before",
			    json_integer(res->power.power_state));
		/* The power change's; the boot steps' are all 0 or failed. */
		if (sp->reboot && res->rv.present)
			json_object_set_new(o, "return_value",
			    json_integer(res->rv.value));
		break;
	case CTL_OPS_INFO:
		json_object_set_new(o, "amt_version",
		    ctl_ops_str_or_null(res->identity.amt_version));
		json_object_set_new(o, "build_number",
		    ctl_ops_str_or_null(res->identity.build_number));
		json_object_set_new(o, "sku",
		    ctl_ops_str_or_null(res->identity.sku));
		json_object_set_new(o, "hostname",
		    ctl_ops_str_or_null(res->identity.hostname));
		json_object_set_new(o, "domain",
		    ctl_ops_str_or_null(res->identity.domain));
		json_object_set_new(o, "realm",
		    ctl_ops_str_or_null(res->identity.realm));
		json_object_set_new(o, "platform_guid",
		    ctl_ops_str_or_null(res->identity.platform_guid));
		json_object_set_new(o, "uuid",
		    ctl_ops_str_or_null(res->identity.uuid));
		json_object_set_new(o, "provisioning_mode", json_string(
		    amt_identity_mode_str(res->identity.provisioning_mode)));
		json_object_set_new(o, "provisioning_mode_value",
		    json_integer(res->identity.provisioning_mode));
		json_object_set_new(o, "provisioning_state", json_string(
		    amt_identity_state_str(res->identity.provisioning_state)));
		json_object_set_new(o, "provisioning_state_value",
		    json_integer(res->identity.provisioning_state));
		break;
	case CTL_OPS_TIME:
	case CTL_OPS_TIME_SYNC:
		json_object_set_new(o, "ta0", json_integer(res->time.ta0));
		json_object_set_new(o, "amt_time", json_string(
		    util_iso8601((time_t)res->time.ta0, t)));
		json_object_set_new(o, "tm1", json_integer(res->time.tm1));
		if (sp->kind == CTL_OPS_TIME_SYNC)
			json_object_set_new(o, "tm2",
			    json_integer(res->time.tm2));
		json_object_set_new(o, "offset",
		    json_integer(res->time.offset));
		json_object_set_new(o, "synced",
		    json_boolean(res->time.synced));
		break;
	case CTL_OPS_WS_GET:
	case CTL_OPS_WS_PUT:
		if (il->n > 0) {
			json_object_set_new(o, "class",
			    json_string(il->v[0].class_name));
			json_object_set_new(o, "instance",
			    ctl_ops_instance_json(&il->v[0]));
			json_object_set_new(o, "xml",
			    json_stringn(il->v[0].xml, il->v[0].xml_len));
		}
		break;
	case CTL_OPS_WS_ENUMERATE:
		arr = json_array();
		for (i = 0; i < il->n; i++)
			json_array_append_new(arr,
			    ctl_ops_instance_json(&il->v[i]));
		json_object_set_new(o, "class", json_string(sp->resource));
		json_object_set_new(o, "count", json_integer((json_int_t)il->n));
		json_object_set_new(o, "instances", arr);
		break;
	case CTL_OPS_WS_INVOKE:
		json_object_set_new(o, "method", json_string(sp->wsmethod));
		json_object_set_new(o, "return_value",
		    json_integer(res->rv.value));
		json_object_set_new(o, "return_name",
		    ctl_ops_str_or_null(res->rv.name));
		if (il->n > 0) {
			json_object_set_new(o, "output",
			    ctl_ops_instance_json(&il->v[0]));
			json_object_set_new(o, "xml",
			    json_stringn(il->v[0].xml, il->v[0].xml_len));
		}
		break;
	}
	return o;
}

/* error.data for a failed operation (code/error are added by the caller). */
static json_t *
ctl_ops_error_data(const struct ops_outcome *oc)
{
	const struct amt_result	*res = oc->res;
	json_t			*d;

	d = json_pack("{s:s}", "guid", oc->guid);
	/* A step only where a request went out. */
	if (oc->requests > 0 && oc->step != NULL && oc->step[0] != '\0')
		json_object_set_new(d, "step", json_string(oc->step));
	switch (oc->err) {
	case MPS_ERR_WSMAN_FAULT:
		json_object_set_new(d, "fault", json_pack("{s:s, s:s, s:s, "
		    "s:s, s:s, s:o}", "code", res->fault.code, "subcode",
		    res->fault.subcode, "subcode_ns", res->fault.subcode_ns,
		    "reason", res->fault.reason, "detail", res->fault.detail,
		    "amt_status", res->fault.amt_status >= 0 ?
		    json_integer(res->fault.amt_status) : json_null()));
		break;
	case MPS_ERR_RETURN_VALUE:
		json_object_set_new(d, "return_value",
		    json_integer(res->rv.value));
		json_object_set_new(d, "return_name", json_string(res->rv.name));
		json_object_set_new(d, "return_meaning",
		    json_string(res->rv.meaning));
		break;
	case MPS_ERR_OPEN_REFUSED:
		json_object_set_new(d, "port", json_integer(oc->port));
		json_object_set_new(d, "apf_reason",
		    json_integer(oc->apf_reason));
		json_object_set_new(d, "apf_reason_name",
		    json_string(relay_open_reason_str(oc->apf_reason)));
		break;
	case MPS_ERR_COOLDOWN:
		json_object_set_new(d, "cooldown", json_integer(oc->cooldown));
		json_object_set_new(d, "last_action_ago",
		    json_integer(oc->cooldown_ago));
		json_object_set_new(d, "retry_after", json_integer(
		    oc->cooldown > oc->cooldown_ago ?
		    oc->cooldown - oc->cooldown_ago : 1));
		break;
	case MPS_ERR_TIMEOUT:
		json_object_set_new(d, "timeout",
		    json_integer(srv->cfg->limits.request_timeout));
		break;
	case MPS_ERR_HTTP:
	case MPS_ERR_AMT_AUTH:
		json_object_set_new(d, "http_status",
		    json_integer(res->http_status));
		break;
	default:
		break;
	}
	return d;
}

/* The JSON-RPC error object of a fleet entry (as ctl_req_fail makes). */
static json_t *
ctl_ops_error_obj(int err, const char *message, json_t *data)
{
	if (data == NULL)
		data = json_object();
	json_object_set_new(data, "code", json_integer(err));
	json_object_set_new(data, "error", json_string(mps_errname(err)));
	return json_pack("{s:i, s:s, s:o}", "code", CTL_OPERATION_FAILED,
	    "message", message, "data", data);
}

/* ----------------------------------------------------- put with props */

static int
ctl_ops_scalar(json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%.17g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
	else
		return MPS_ERR_USAGE;
	return 0;
}

/* The first element child of root named key, in root's namespace. */
static xmlNode *
ctl_ops_prop_node(xmlNode *root, xmlNode *after, const char *key)
{
	xmlNode	*n;

	n = after == NULL ? wsman_xml_child(root, NULL, key) :
	    wsman_xml_next(after, NULL, key);
	for (; n != NULL; n = wsman_xml_next(n, NULL, key))
		if (n->ns == NULL || root->ns == NULL ||
		    xmlStrEqual(n->ns->href, root->ns->href))
			return n;
	return NULL;
}

/* Sets the text of property element n (an xsi:nil goes). */
static void
ctl_ops_prop_set(xmlNode *n, const char *val)
{
	xmlAttr	*a;

	xmlNodeSetContent(n, NULL);
	xmlNodeAddContent(n, BAD_CAST val);	/* escaped on output */
	for (a = n->properties; a != NULL; a = a->next)
		if (a->ns != NULL && xmlStrEqual(a->name, BAD_CAST "nil") &&
		    xmlStrEqual(a->ns->href, BAD_CAST WSMAN_NS_XSI)) {
			xmlRemoveProp(a);
			break;
		}
}

/*
 * The instance AMT returned, with props changed in place: AMT validates a
 * Put against the schema, element order included, so nothing is added,
 * removed or moved.  An array value replaces the values of a repeated
 * property one for one.  *out is malloc'd.
 */
static int
ctl_ops_edit_instance(const struct wsman_instance *inst, json_t *props,
    char **out, char *err, size_t errlen)
{
	xmlDoc		*doc = NULL;
	xmlNode		*root, *n, *m;
	const char	*key;
	json_t		*v, *e;
	char		 val[4096];
	size_t		 len, i, count;
	int		 r;

	*out = NULL;
	if ((r = wsman_xml_read(inst->xml, inst->xml_len, &doc)) != 0) {
		snprintf(err, errlen, "cannot parse the instance AMT returned");
		return r;
	}
	root = xmlDocGetRootElement(doc);
	json_object_foreach(props, key, v) {
		if ((n = ctl_ops_prop_node(root, NULL, key)) == NULL) {
			snprintf(err, errlen, "property \"%s\" is not in the "
			    "%s instance the device returned (Put can only "
			    "change properties Get shows)", key,
			    inst->class_name);
			goto usage;
		}
		for (count = 0, m = n; m != NULL;
		    m = ctl_ops_prop_node(root, m, key))
			count++;
		if (!json_is_array(v) && count == 1) {
			if (ctl_ops_scalar(v, val, sizeof(val)) != 0)
				goto badvalue;
			ctl_ops_prop_set(n, val);
			continue;
		}
		if (!json_is_array(v) || json_array_size(v) != count) {
			snprintf(err, errlen, "property \"%s\" has %zu values "
			    "in the instance the device returned: give exactly "
			    "%zu (or pass \"xml\")", key, count, count);
			goto usage;
		}
		for (i = 0, m = n; m != NULL && i < count;
		    m = ctl_ops_prop_node(root, m, key), i++) {
			e = json_array_get(v, i);
			if (ctl_ops_scalar(e, val, sizeof(val)) != 0)
				goto badvalue;
			ctl_ops_prop_set(m, val);
		}
	}
	r = wsman_xml_fragment(root, out, &len);
	xmlFreeDoc(doc);
	if (r != 0)
		snprintf(err, errlen, "cannot serialise the edited instance");
	return r;

badvalue:
	snprintf(err, errlen, "property \"%s\": give a string, number or "
	    "boolean (for structured values pass \"xml\")", key);
usage:
	xmlFreeDoc(doc);
	return MPS_ERR_USAGE;
}

/* -------------------------------------------------------------- specs */

static void
ctl_ops_spec_clear(struct ctl_ops_spec *sp)
{
	size_t	i;

	for (i = 0; i < sp->nowned; i++)
		free(sp->owned[i]);
	sp->nowned = 0;
	json_decref(sp->params);
	sp->params = NULL;
}

static int64_t
ctl_ops_now(void *arg)
{
	return (int64_t)time(NULL);
}

/* A fresh operation for one device (phase 1 of a put: with xml). */
static int
ctl_ops_make(const struct ctl_ops_spec *sp, int phase, const char *xml,
    struct amt_op **op)
{
	struct wsman_ctx	*ctx = ops_wsman();

	switch (sp->kind) {
	case CTL_OPS_POWER_STATE:
		return amt_power_state_new(ctx, op);
	case CTL_OPS_POWER_ACTION:
		return amt_power_action_new(ctx, sp->action, op);
	case CTL_OPS_BOOT:
		return amt_boot_new(ctx, sp->target, sp->reboot, op);
	case CTL_OPS_INFO:
		return amt_identity_new(ctx, op);
	case CTL_OPS_TIME:
	case CTL_OPS_TIME_SYNC:
		return amt_time_new(ctx, sp->kind == CTL_OPS_TIME_SYNC,
		    ctl_ops_now, NULL, op);
	case CTL_OPS_WS_GET:
		return amt_raw_get_new(ctx, sp->resource, sp->sel, sp->nsel, op);
	case CTL_OPS_WS_ENUMERATE:
		return amt_raw_enumerate_new(ctx, sp->resource, op);
	case CTL_OPS_WS_PUT:
		if (sp->put_props != NULL && phase == 0)
			return amt_raw_get_new(ctx, sp->resource, sp->sel,
			    sp->nsel, op);
		return amt_raw_put_new(ctx, sp->resource, sp->sel, sp->nsel,
		    xml != NULL ? xml : sp->put_xml, op);
	case CTL_OPS_WS_INVOKE:
		return amt_raw_invoke_new(ctx, sp->resource, sp->wsmethod,
		    sp->sel, sp->nsel, sp->wp, sp->nwp, op);
	}
	return MPS_ERR_USAGE;
}

/* A text value of a selector or parameter. */
static const char *
ctl_ops_text(json_t *v, struct ctl_ops_spec *sp)
{
	char	buf[64];

	if (json_is_string(v))
		return json_string_value(v);
	if (ctl_ops_scalar(v, buf, sizeof(buf)) != 0 ||
	    sp->nowned >= WSMAN_MAX_SELECTORS)
		return NULL;
	if ((sp->owned[sp->nowned] = strdup(buf)) == NULL)
		return NULL;
	return sp->owned[sp->nowned++];
}

static int
ctl_ops_parse_selectors(json_t *params, struct ctl_ops_spec *sp, char *err,
    size_t errlen)
{
	json_t		*s = json_object_get(params, "selectors"), *v;
	const char	*key;

	if (s == NULL || json_is_null(s))
		return 0;
	if (!json_is_object(s)) {
		snprintf(err, errlen, "\"selectors\" must be an object "
		    "{\"Name\": \"value\", ...}");
		return MPS_ERR_USAGE;
	}
	json_object_foreach(s, key, v) {
		if (sp->nsel >= WSMAN_MAX_SELECTORS) {
			snprintf(err, errlen, "at most %d selectors",
			    WSMAN_MAX_SELECTORS);
			return MPS_ERR_USAGE;
		}
		sp->sel[sp->nsel].name = key;
		if ((sp->sel[sp->nsel].value = ctl_ops_text(v, sp)) == NULL) {
			snprintf(err, errlen, "selector \"%s\" must be a string "
			    "or number", key);
			return MPS_ERR_USAGE;
		}
		sp->nsel++;
	}
	return 0;
}

/* One invoke parameter (arrays repeat the name). */
static int
ctl_ops_add_param(struct ctl_ops_spec *sp, const char *key, json_t *v,
    char *err, size_t errlen)
{
	struct wsman_selector	 esel[WSMAN_MAX_SELECTORS];
	json_t			*x, *cls, *es, *ev;
	const char		*ek;
	char			 uri[WSMAN_MAX_URI + 1], *epr;
	size_t			 nes = 0;

	if (sp->nwp >= WSMAN_MAX_SELECTORS) {
		snprintf(err, errlen, "at most %d parameters",
		    WSMAN_MAX_SELECTORS);
		return MPS_ERR_USAGE;
	}
	sp->wp[sp->nwp].name = key;
	sp->wp[sp->nwp].is_xml = 0;
	if (json_is_object(v) && (x = json_object_get(v, "xml")) != NULL &&
	    json_is_string(x)) {
		sp->wp[sp->nwp].value = json_string_value(x);
		sp->wp[sp->nwp++].is_xml = 1;
		return 0;
	}
	if (json_is_object(v) && (x = json_object_get(v, "epr")) != NULL &&
	    json_is_object(x)) {
		/* {"epr": {"class": "CIM_ComputerSystem", "selectors": {...}}} */
		if ((cls = json_object_get(x, "class")) == NULL)
			cls = json_object_get(x, "resource_uri");
		if (!json_is_string(cls) || wsman_resource_uri(
		    json_string_value(cls), uri, sizeof(uri)) != 0) {
			snprintf(err, errlen, "parameter \"%s\": epr needs "
			    "\"class\" (CIM_*, AMT_*, IPS_* or a URI)", key);
			return MPS_ERR_USAGE;
		}
		es = json_object_get(x, "selectors");
		json_object_foreach(es, ek, ev) {
			if (nes >= WSMAN_MAX_SELECTORS || !json_is_string(ev)) {
				snprintf(err, errlen, "parameter \"%s\": epr "
				    "selectors must be strings", key);
				return MPS_ERR_USAGE;
			}
			esel[nes].name = ek;
			esel[nes++].value = json_string_value(ev);
		}
		if (sp->nowned >= WSMAN_MAX_SELECTORS ||
		    wsman_epr_build(uri, esel, nes, &epr, NULL) != 0) {
			snprintf(err, errlen, "parameter \"%s\": invalid epr",
			    key);
			return MPS_ERR_USAGE;
		}
		sp->owned[sp->nowned++] = epr;
		sp->wp[sp->nwp].value = epr;
		sp->wp[sp->nwp++].is_xml = 1;
		return 0;
	}
	if ((sp->wp[sp->nwp].value = ctl_ops_text(v, sp)) == NULL) {
		snprintf(err, errlen, "parameter \"%s\": give a string, number, "
		    "boolean, array, {\"xml\": ...} or {\"epr\": ...}", key);
		return MPS_ERR_USAGE;
	}
	sp->nwp++;
	return 0;
}

/*
 * Checks params for kind into sp (which keeps a reference to params).
 * MPS_ERR_USAGE with err telling what is wrong.
 */
static int
ctl_ops_parse(enum ctl_ops_kind kind, json_t *params, struct ctl_ops_spec *sp,
    char *err, size_t errlen)
{
	json_t		*v, *a;
	const char	*key;
	char		 uri[WSMAN_MAX_URI + 1];
	size_t		 i;
	int		 r;

	memset(sp, 0, sizeof(*sp));
	sp->kind = kind;
	sp->params = json_incref(params);
	switch (kind) {
	case CTL_OPS_POWER_ACTION:
		v = json_object_get(params, "action");
		if (!json_is_string(v) || amt_power_action_parse(
		    json_string_value(v), &sp->action) != 0) {
			snprintf(err, errlen, "\"action\" must be one of on, "
			    "off, soft-off, reset, soft-reset, cycle, sleep, "
			    "hibernate, nmi");
			return MPS_ERR_USAGE;
		}
		return 0;
	case CTL_OPS_BOOT:
		v = json_object_get(params, "target");
		if (!json_is_string(v) || amt_boot_target_parse(
		    json_string_value(v), &sp->target) != 0) {
			snprintf(err, errlen, "\"target\" must be one of pxe, "
			    "bios, hdd, cd");
			return MPS_ERR_USAGE;
		}
		v = json_object_get(params, "reboot");
		if (v != NULL && !json_is_boolean(v) && !json_is_null(v)) {
			snprintf(err, errlen, "\"reboot\" must be true or "
			    "false");
			return MPS_ERR_USAGE;
		}
		sp->reboot = json_is_true(v);
		return 0;
	case CTL_OPS_WS_GET:
	case CTL_OPS_WS_ENUMERATE:
	case CTL_OPS_WS_PUT:
	case CTL_OPS_WS_INVOKE:
		break;
	default:
		return 0;
	}

	if ((v = json_object_get(params, "class")) == NULL)
		v = json_object_get(params, "resource_uri");
	if (!json_is_string(v) || wsman_resource_uri(json_string_value(v),
	    uri, sizeof(uri)) != 0) {
		snprintf(err, errlen, "give \"class\" (CIM_*, AMT_* or IPS_* "
		    "class name) or \"resource_uri\" (http://...)");
		return MPS_ERR_USAGE;
	}
	sp->resource = json_string_value(v);
	if ((r = ctl_ops_parse_selectors(params, sp, err, errlen)) != 0)
		return r;
	if (kind == CTL_OPS_WS_PUT) {
		v = json_object_get(params, "xml");
		a = json_object_get(params, "instance");
		if (json_is_string(v) && a == NULL)
			sp->put_xml = json_string_value(v);
		else if (json_is_object(a) && v == NULL &&
		    json_object_size(a) > 0) {
			sp->put_props = a;
			json_object_foreach(a, key, v) {
				char buf[8];
				json_t *e;

				json_array_foreach(v, i, e)
					if (ctl_ops_scalar(e, buf,
					    sizeof(buf)) != 0 &&
					    !json_is_string(e))
						break;
				if ((json_is_array(v) && i <
				    json_array_size(v)) || (!json_is_array(v) &&
				    !json_is_string(v) && ctl_ops_scalar(v,
				    buf, sizeof(buf)) != 0)) {
					snprintf(err, errlen, "instance.%s: "
					    "give a string, number, boolean or "
					    "an array of them (or pass "
					    "\"xml\")", key);
					return MPS_ERR_USAGE;
				}
			}
		} else {
			snprintf(err, errlen, "give either \"instance\" "
			    "{property: value, ...} (applied to what Get "
			    "returns) or \"xml\" (the whole instance, as Get "
			    "returned it, edited)");
			return MPS_ERR_USAGE;
		}
	}
	if (kind == CTL_OPS_WS_INVOKE) {
		v = json_object_get(params, "method");
		if (!json_is_string(v)) {
			snprintf(err, errlen, "missing \"method\" (e.g. "
			    "RequestPowerStateChange)");
			return MPS_ERR_USAGE;
		}
		sp->wsmethod = json_string_value(v);
		v = json_object_get(params, "params");
		if (v != NULL && !json_is_null(v) && !json_is_object(v)) {
			snprintf(err, errlen, "\"params\" must be an object");
			return MPS_ERR_USAGE;
		}
		json_object_foreach(v, key, a) {
			if (json_is_array(a)) {
				for (i = 0; i < json_array_size(a); i++)
					if ((r = ctl_ops_add_param(sp, key,
					    json_array_get(a, i), err,
					    errlen)) != 0)
						return r;
			} else if ((r = ctl_ops_add_param(sp, key, a, err,
			    errlen)) != 0)
				return r;
		}
	}
	return 0;
}

/*
 * Builds the first request once, without a device, so bad names or
 * values are an invalid-params answer rather than N device failures.
 */
static int
ctl_ops_validate(const struct ctl_ops_spec *sp, char *err, size_t errlen)
{
	struct amt_op	*op;
	const char	*body;
	size_t		 len;
	int		 r;

	if ((r = ctl_ops_make(sp, 0, NULL, &op)) != 0) {
		snprintf(err, errlen, "invalid parameters: %s",
		    mps_strerror(r));
		return r;
	}
	r = amt_op_next_request(op, &body, &len);
	amt_op_free(op);
	if (r != 0)
		snprintf(err, errlen, "invalid parameters: the WS-Man request "
		    "cannot be built (%s): check names, selectors and %s",
		    mps_strerror(r), sp->kind == CTL_OPS_WS_PUT ?
		    "that xml is one element of the class" : "values");
	return r;
}

/* --------------------------------------------------------------- runs */

static void
ctl_ops_run_free(struct ctl_ops_run *run)
{
	ctl_ops_spec_clear(&run->spec);
	json_decref(run->results);
	free(run->tasks);
	free(run);
}

/* Every entry is in: answer the request and free the run. */
static void
ctl_ops_answer(struct ctl_ops_run *run)
{
	json_t	*e, *err, *data, *res;

	if (run->fleet) {
		res = json_pack("{s:O, s:I, s:I, s:I}", "results",
		    run->results, "total", (json_int_t)run->n, "ok",
		    (json_int_t)run->nok, "failed",
		    (json_int_t)(run->n - run->nok));
		ctl_req_ok(run->req, res);
	} else {
		/* One device: its entry becomes the result or the error. */
		e = json_array_get(run->results, 0);
		err = json_object_get(e, "error");
		if (json_is_true(json_object_get(e, "ok")))
			ctl_req_ok(run->req,
			    json_incref(json_object_get(e, "result")));
		else {
			data = json_deep_copy(json_object_get(err, "data"));
			ctl_req_fail(run->req, CTL_OPERATION_FAILED,
			    (int)json_integer_value(json_object_get(data,
			    "code")), data, "%s", json_string_value(
			    json_object_get(err, "message")));
		}
	}
	ctl_ops_run_free(run);
}

/* Records one device's entry. */
static void
ctl_ops_record(struct ctl_ops_run *run, size_t i, json_t *entry, int ok)
{
	json_array_set_new(run->results, i, entry);
	if (ok)
		run->nok++;
	run->finished++;
}

static void
ctl_ops_record_error(struct ctl_ops_run *run, const char *guid, size_t i,
    int err, const char *message, json_t *data)
{
	ctl_ops_record(run, i, json_pack("{s:s, s:b, s:o}", "guid", guid,
	    "ok", 0, "error", ctl_ops_error_obj(err, message, data)), 0);
}

/* Hands task t's operation (phase 0, or the Put of phase 1) to ops.c. */
static void
ctl_ops_start(struct ctl_ops_task *t, int phase, const char *xml)
{
	struct ctl_ops_run	*run = t->run;
	struct reg_node		*n;
	struct amt_op		*op;
	int			 r, flags = 0;

	t->phase = phase;
	if (run->spec.kind == CTL_OPS_POWER_ACTION ||
	    (run->spec.kind == CTL_OPS_BOOT && run->spec.reboot))
		flags |= OPS_F_POWER;
	if ((r = ctl_ops_make(&run->spec, phase, xml, &op)) == 0) {
		if ((n = registry_find(&srv->reg, t->guid)) == NULL)
			r = ops_submit_absent(t->guid, op, ctl_ops_done, t);
		else
			r = ops_submit(dev_from_reg(n), op, flags,
			    ctl_ops_done, t);
	}
	if (r != 0) {
		/* Validated before: only memory can fail here. */
		run->running--;
		ctl_ops_record_error(run, t->guid, t->index, r,
		    mps_strerror(r), NULL);
	}
}

/* Starts tasks up to the concurrency bound; answers when all are in. */
static void
ctl_ops_pump(struct ctl_ops_run *run)
{
	while (run->next < run->ntasks && run->running < (run->fleet ?
	    CTL_OPS_FLEET_CONCURRENCY : 1)) {
		run->running++;
		ctl_ops_start(&run->tasks[run->next++], 0, NULL);
	}
	/* Inside ctl_ops_method the method itself answers. */
	if (!run->in_method && run->finished == run->n && run->running == 0)
		ctl_ops_answer(run);
}

/* ops.c: one device's operation ended.  The run may be freed after. */
static void
ctl_ops_done(void *arg, const struct ops_outcome *oc)
{
	struct ctl_ops_task	*t = arg;
	struct ctl_ops_run	*run = t->run;
	char			*xml = NULL, err[512];
	int			 r;

	/* wsman.put with properties: the Get is in, now the Put. */
	if (oc->err == 0 && run->spec.kind == CTL_OPS_WS_PUT &&
	    run->spec.put_props != NULL && t->phase == 0) {
		if (oc->res->instances.n == 0) {
			r = MPS_ERR_XML;
			snprintf(err, sizeof(err), "Get on device %s returned "
			    "no instance to edit", t->guid);
		} else
			r = ctl_ops_edit_instance(&oc->res->instances.v[0],
			    run->spec.put_props, &xml, err, sizeof(err));
		if (r == 0)
			ctl_ops_start(t, 1, xml);
		else {
			run->running--;
			ctl_ops_record_error(run, t->guid, t->index, r, err,
			    json_pack("{s:s}", "guid", t->guid));
		}
		free(xml);
		ctl_ops_pump(run);
		return;
	}
	run->running--;
	if (oc->err == 0)
		ctl_ops_record(run, t->index, json_pack("{s:s, s:b, s:o}",
		    "guid", oc->guid, "ok", 1, "result",
		    ctl_ops_result_json(&run->spec, oc->guid, oc->res)), 1);
	else
		ctl_ops_record_error(run, oc->guid, t->index, oc->err,
		    oc->message, ctl_ops_error_data(oc));
	ctl_ops_pump(run);
}

/* --------------------------------------------------------- fleet list */

struct ctl_ops_collect {
	char		(*g)[APF_GUID_STRLEN + 1];
	size_t		  n, cap;
	const char	 *tag;
};

static void
ctl_ops_collect_cb(struct reg_node *n, void *arg)
{
	struct ctl_ops_collect	*cl = arg;

	if (cl->tag != NULL && !devices_has_tag(devices_find(srv->devices,
	    n->guid), cl->tag))
		return;
	if (cl->n < cl->cap)
		memcpy(cl->g[cl->n++], n->guid, APF_GUID_STRLEN + 1);
}

static int
ctl_ops_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * The fleet's GUIDs from guids / all / tag, sorted and unique.  Entries
 * of guids that name no device are recorded as errors right away.
 * 0, MPS_ERR_USAGE (err), MPS_ERR_NOMEM.
 */
static int
ctl_ops_fleet(struct ctl_ops_run *run, json_t *params, char *err,
    size_t errlen)
{
	struct ctl_ops_collect	 cl;
	struct reg_resolve	 res;
	json_t			*guids = json_object_get(params, "guids");
	json_t			*all = json_object_get(params, "all");
	json_t			*tag = json_object_get(params, "tag");
	json_t			*bad;
	size_t			 i, j, nbad = 0;
	int			 r;

	memset(&cl, 0, sizeof(cl));
	bad = json_array();
	if (guids != NULL) {
		if (!json_is_array(guids) ||
		    json_array_size(guids) > CTL_OPS_FLEET_MAX) {
			snprintf(err, errlen, "\"guids\" must be an array of "
			    "GUIDs, prefixes or names (at most %d)",
			    CTL_OPS_FLEET_MAX);
			json_decref(bad);
			return MPS_ERR_USAGE;
		}
		cl.cap = json_array_size(guids);
	} else if (json_is_true(all) || json_is_string(tag)) {
		cl.cap = srv->reg.n;
		cl.tag = json_is_string(tag) ? json_string_value(tag) : NULL;
		if (cl.tag != NULL)
			cl.cap += srv->devices->n;
	} else {
		snprintf(err, errlen, "give \"device\" (one device) or one of "
		    "\"guids\": [...], \"all\": true, \"tag\": \"...\"");
		json_decref(bad);
		return MPS_ERR_USAGE;
	}
	if (cl.cap > 0 && (cl.g = calloc(cl.cap, sizeof(*cl.g))) == NULL) {
		json_decref(bad);
		return MPS_ERR_NOMEM;
	}
	if (guids != NULL) {
		for (i = 0; i < json_array_size(guids); i++) {
			json_t *g = json_array_get(guids, i);

			r = json_is_string(g) ? registry_resolve(&srv->reg,
			    srv->devices, json_string_value(g), &res) :
			    MPS_ERR_NOT_FOUND;
			if (r == 0 || r == MPS_ERR_NOT_CONNECTED) {
				memcpy(cl.g[cl.n++], res.guid,
				    APF_GUID_STRLEN + 1);
				continue;
			}
			json_array_append_new(bad, json_pack("{s:o, s:b, s:o}",
			    "guid", json_is_string(g) ? json_copy(g) :
			    json_null(), "ok", 0, "error", ctl_ops_error_obj(r,
			    r == MPS_ERR_AMBIGUOUS ? "matches several "
			    "devices; give more of the GUID" : "no device "
			    "matches this GUID, prefix or name", NULL)));
			nbad++;
		}
	} else {
		registry_foreach(&srv->reg, ctl_ops_collect_cb, &cl);
		/* A tag also names devices of the file that are away. */
		for (i = 0; cl.tag != NULL && i < srv->devices->n; i++)
			if (devices_has_tag(&srv->devices->v[i], cl.tag) &&
			    registry_find(&srv->reg, srv->devices->v[i].guid) ==
			    NULL && cl.n < cl.cap)
				memcpy(cl.g[cl.n++], srv->devices->v[i].guid,
				    APF_GUID_STRLEN + 1);
	}
	if (cl.n > 1)
		qsort(cl.g, cl.n, sizeof(*cl.g), ctl_ops_cmp);
	for (i = j = 0; i < cl.n; i++)
		if (j == 0 || strcmp(cl.g[j - 1], cl.g[i]) != 0) {
			if (j != i)
				memcpy(cl.g[j], cl.g[i], sizeof(cl.g[i]));
			j++;
		}
	cl.n = j;

	run->n = cl.n + nbad;
	run->results = json_array();
	if (run->n > 0 && (run->tasks = calloc(run->n, sizeof(*run->tasks))) ==
	    NULL) {
		free(cl.g);
		json_decref(bad);
		return MPS_ERR_NOMEM;
	}
	for (i = 0; i < cl.n; i++) {
		run->tasks[i].run = run;
		run->tasks[i].index = i;
		memcpy(run->tasks[i].guid, cl.g[i], sizeof(cl.g[i]));
		json_array_append_new(run->results, json_null());
	}
	/* Unknown selectors: entries at the end, already complete. */
	for (i = 0; i < nbad; i++) {
		json_array_append(run->results, json_array_get(bad, i));
		run->finished++;
	}
	run->ntasks = cl.n;
	free(cl.g);
	json_decref(bad);
	return 0;
}

/* ------------------------------------------------------------ methods */

static int
ctl_ops_method(struct ctl_req *req, json_t *params, enum ctl_ops_kind kind)
{
	struct ctl_ops_run	*run;
	struct dev_conn		*c;
	char			 err[512];
	int			 r;

	if ((run = calloc(1, sizeof(*run))) == NULL) {
		ctl_req_fail(req, CTL_OPERATION_FAILED, MPS_ERR_NOMEM, NULL,
		    "out of memory");
		return CTL_DONE;
	}
	run->req = req;
	if ((r = ctl_ops_parse(kind, params, &run->spec, err,
	    sizeof(err))) != 0 ||
	    (r = ctl_ops_validate(&run->spec, err, sizeof(err))) != 0) {
		ctl_req_fail(req, CTL_INVALID_PARAMS, 0, NULL, "%s", err);
		ctl_ops_run_free(run);
		return CTL_DONE;
	}
	if (json_object_get(params, "device") != NULL) {
		/* ctl_device answers "not connected" etc. itself. */
		if ((c = ctl_device(req, params)) == NULL) {
			ctl_ops_run_free(run);
			return CTL_DONE;
		}
		if ((run->tasks = calloc(1, sizeof(*run->tasks))) == NULL ||
		    (run->results = json_array()) == NULL) {
			ctl_req_fail(req, CTL_OPERATION_FAILED, MPS_ERR_NOMEM,
			    NULL, "out of memory");
			ctl_ops_run_free(run);
			return CTL_DONE;
		}
		run->n = run->ntasks = 1;
		json_array_append_new(run->results, json_null());
		run->tasks[0].run = run;
		memcpy(run->tasks[0].guid, c->reg.guid, APF_GUID_STRLEN + 1);
	} else {
		run->fleet = 1;
		if ((r = ctl_ops_fleet(run, params, err, sizeof(err))) != 0) {
			if (r == MPS_ERR_USAGE)
				ctl_req_fail(req, CTL_INVALID_PARAMS, 0, NULL,
				    "%s", err);
			else
				ctl_req_fail(req, CTL_OPERATION_FAILED, r,
				    NULL, "out of memory");
			ctl_ops_run_free(run);
			return CTL_DONE;
		}
	}
	run->in_method = 1;
	ctl_ops_pump(run);
	run->in_method = 0;
	if (run->finished == run->n && run->running == 0) {
		ctl_ops_answer(run);	/* e.g. a fleet without devices */
		return CTL_DONE;
	}
	return CTL_PENDING;
}

#define CTL_OPS_WRAP(fn, kind)						\
int									\
fn(struct ctl_client *cc, struct ctl_req *req, json_t *params)		\
{									\
	return ctl_ops_method(req, params, kind);			\
}

CTL_OPS_WRAP(ctl_ops_power_state, CTL_OPS_POWER_STATE)
CTL_OPS_WRAP(ctl_ops_power_action, CTL_OPS_POWER_ACTION)
CTL_OPS_WRAP(ctl_ops_boot_set, CTL_OPS_BOOT)
CTL_OPS_WRAP(ctl_ops_amt_info, CTL_OPS_INFO)
CTL_OPS_WRAP(ctl_ops_amt_time, CTL_OPS_TIME)
CTL_OPS_WRAP(ctl_ops_amt_time_sync, CTL_OPS_TIME_SYNC)
CTL_OPS_WRAP(ctl_ops_wsman_get, CTL_OPS_WS_GET)
CTL_OPS_WRAP(ctl_ops_wsman_enumerate, CTL_OPS_WS_ENUMERATE)
CTL_OPS_WRAP(ctl_ops_wsman_put, CTL_OPS_WS_PUT)
CTL_OPS_WRAP(ctl_ops_wsman_invoke, CTL_OPS_WS_INVOKE)

/* pxeboot: boot.set {target: pxe, reboot: true}. */
int
ctl_ops_pxeboot(struct ctl_client *cc, struct ctl_req *req, json_t *params)
{
	json_t	*p = json_deep_copy(params);
	int	 r;

	if (p == NULL) {
		ctl_req_fail(req, CTL_OPERATION_FAILED, MPS_ERR_NOMEM, NULL,
		    "out of memory");
		return CTL_DONE;
	}
	json_object_set_new(p, "target", json_string("pxe"));
	json_object_set_new(p, "reboot", json_true());
	r = ctl_ops_method(req, p, CTL_OPS_BOOT);
	json_decref(p);
	return r;
}
