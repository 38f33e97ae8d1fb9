/*
 * control.c: the control socket (docs/control-protocol.md): JSON-RPC 2.0,
 * one object per line, over a Unix stream socket.
 *
 * Bounded everywhere: clients (control.max_clients), request lines
 * (control.max_line, checked before a line is complete), queued output
 * (CTL_OUTPUT_MAX: a client that lets more pile up is dropped), requests in
 * flight per client (CTL_MAX_PENDING).
 *
 * Requests are objects of their own (struct ctl_req) that name their
 * client by id, not by pointer.  A method may answer at once (CTL_DONE) or
 * keep the request and answer when its work completes (CTL_PENDING: the
 * device methods of ctl_ops.c); by then the client may be gone, and the
 * answer is simply dropped.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "forward.h"
#include "server.h"
#include "ops.h"
#include "transport.h"

#define CTL_MAX_PENDING	256	/* requests in flight per client */
#define CTL_LINGER	2	/* s to flush a final error to a client */
#define CTL_BACKLOG	64

struct ctl_client {
	TAILQ_ENTRY(ctl_client)	 entry;
	uint64_t		 id;
	struct bufferevent	*bev;
	uid_t			 uid;
	pid_t			 pid;
	int			 subscribed;
	int			 closing;
	int			 lingering;	/* on ctl_closing */
	uint32_t		 pending;
};

struct ctl_req {
	TAILQ_ENTRY(ctl_req)	 entry;
	uint64_t		 client_id;
	json_t			*id;		/* NULL: notification */
	const char		*method;	/* static */
	int			 pending;	/* on ctl_pending */
};

/*
 * A method: fn answers req (ctl_req_ok/ctl_req_fail) and returns
 * CTL_DONE, or keeps it and returns CTL_PENDING.  cc is valid only during
 * the call.  params is an object (empty when absent), borrowed.
 */
struct ctl_method {
	const char	*name;
	int		(*fn)(struct ctl_client *cc, struct ctl_req *req,
			    json_t *params);
};

TAILQ_HEAD(ctl_client_list, ctl_client);
TAILQ_HEAD(ctl_req_list, ctl_req);

static struct ctl_client_list	ctl_clients =
    TAILQ_HEAD_INITIALIZER(ctl_clients);
static struct ctl_client_list	ctl_closing =
    TAILQ_HEAD_INITIALIZER(ctl_closing);
static struct ctl_client_list	ctl_dead = TAILQ_HEAD_INITIALIZER(ctl_dead);
static uint32_t			ctl_nalloc;	/* clients not yet freed */
static struct ctl_req_list	ctl_pending =
    TAILQ_HEAD_INITIALIZER(ctl_pending);
static int			ctl_fd = -1;
static struct event		*ctl_ev;
static struct event		*ctl_reaper;
static char			 ctl_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static struct stat		 ctl_path_st;	/* the socket file we made */
static uint32_t			 ctl_max_clients = 64;
static uint32_t			 ctl_max_line = 65536;
static uint32_t			 ctl_nclients;
static uint64_t			 ctl_last_id;
static struct log_ratelimit	 ctl_rl = LOG_RATELIMIT_INIT("control", 10, 20);

static void	ctl_client_close(struct ctl_client *, int, const char *);

uint32_t
ctl_client_count(void)
{
	return ctl_nclients;
}

uint32_t
ctl_busy(void)
{
	return ctl_nalloc;
}

/* ----------------------------------------------------------- framing */

int
ctl_frame_next(struct evbuffer *in, size_t max, char **line, size_t *len)
{
	struct evbuffer_ptr	 p;
	size_t			 eol_len = 0, n;
	char			*buf;

	*line = NULL;
	*len = 0;
	p = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
	if (p.pos == -1) {
		/* No newline yet: refuse as soon as the line cannot fit. */
		if (evbuffer_get_length(in) > max)
			return MPS_ERR_TOO_LARGE;
		return 0;
	}
	n = (size_t)p.pos;
	if (n > max)
		return MPS_ERR_TOO_LARGE;
	if ((buf = malloc(n + 1)) == NULL)
		return MPS_ERR_NOMEM;
	if (evbuffer_remove(in, buf, n) != (int)n) {
		free(buf);
		return MPS_ERR_INTERNAL;
	}
	evbuffer_drain(in, eol_len);
	if (n > 0 && buf[n - 1] == '\r')	/* tolerate CRLF */
		n--;
	buf[n] = '\0';
	*line = buf;
	*len = n;
	return 1;
}

/* ---------------------------------------------------------- sending */

/* Queues one message line.  The client may be closed (not freed) after. */
static void
ctl_send(struct ctl_client *cc, json_t *msg)
{
	struct evbuffer	*out;
	char		*s;
	size_t		 len;

	if (cc->closing)
		return;
	out = bufferevent_get_output(cc->bev);
	/*
	 * A message is queued whole, so a large devices.list still goes out;
	 * what is bounded is the backlog a client may leave unread.
	 */
	if (evbuffer_get_length(out) > CTL_OUTPUT_MAX) {
		ctl_client_close(cc, 0, "output bound reached (client does "
		    "not read)");
		return;
	}
	if ((s = json_dumps(msg, JSON_COMPACT)) == NULL) {
		ctl_client_close(cc, 0, "out of memory");
		return;
	}
	len = strlen(s);
	if (evbuffer_add(out, s, len) != 0 || evbuffer_add(out, "\n", 1) != 0)
		ctl_client_close(cc, 0, "out of memory");
	free(s);
}

static struct ctl_client *
ctl_client_find(uint64_t id)
{
	struct ctl_client	*cc;

	TAILQ_FOREACH(cc, &ctl_clients, entry)
		if (cc->id == id)
			return cc;
	return NULL;
}

static void
ctl_req_free(struct ctl_req *req)
{
	struct ctl_client	*cc;

	if (req->pending)
		TAILQ_REMOVE(&ctl_pending, req, entry);
	if ((cc = ctl_client_find(req->client_id)) != NULL && cc->pending > 0)
		cc->pending--;
	json_decref(req->id);
	free(req);
}

/* Sends {jsonrpc, id, key: val} to req's client if it is still there. */
static void
ctl_req_answer(struct ctl_req *req, const char *key, json_t *val)
{
	struct ctl_client	*cc;
	json_t			*msg;

	cc = ctl_client_find(req->client_id);
	if (req->id != NULL && cc != NULL) {
		msg = json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id",
		    req->id, key, val);
		if (msg != NULL) {
			ctl_send(cc, msg);
			json_decref(msg);
		}
	} else
		json_decref(val);
	ctl_req_free(req);
}

void
ctl_req_ok(struct ctl_req *req, json_t *result)
{
	if (result == NULL)
		result = json_object();
	ctl_req_answer(req, "result", result);
}

static json_t *
ctl_error_obj(int code, int mps_err, json_t *data, const char *msg)
{
	if (code == CTL_OPERATION_FAILED) {
		if (data == NULL)
			data = json_object();
		json_object_set_new(data, "code", json_integer(mps_err));
		json_object_set_new(data, "error",
		    json_string(mps_errname(mps_err)));
	}
	if (data != NULL)
		return json_pack("{s:i, s:s, s:o}", "code", code, "message",
		    msg, "data", data);
	return json_pack("{s:i, s:s}", "code", code, "message", msg);
}

void
ctl_req_fail(struct ctl_req *req, int code, int mps_err, json_t *data,
    const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctl_req_answer(req, "error", ctl_error_obj(code, mps_err, data, msg));
}

/* An error for a line that never became a request (id null). */
static void
ctl_send_error(struct ctl_client *cc, json_t *id, int code, const char *msg)
{
	json_t	*m;

	m = json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id",
	    id != NULL ? id : json_null(), "error",
	    ctl_error_obj(code, 0, NULL, msg));
	if (m != NULL) {
		ctl_send(cc, m);
		json_decref(m);
	}
}

void
ctl_event(const char *event, json_t *params)
{
	struct ctl_client	*cc, *next;
	json_t			*msg;
	char			 t[ISO8601_LEN];
	int			 any = 0;

	if (params == NULL)
		return;
	TAILQ_FOREACH(cc, &ctl_clients, entry)
		if (cc->subscribed && !cc->closing)
			any = 1;
	if (!any) {
		json_decref(params);
		return;
	}
	json_object_set_new(params, "event", json_string(event));
	json_object_set_new(params, "time",
	    json_string(util_iso8601(time(NULL), t)));
	msg = json_pack("{s:s, s:s, s:o}", "jsonrpc", "2.0", "method",
	    "event", "params", params);
	if (msg == NULL)
		return;
	for (cc = TAILQ_FIRST(&ctl_clients); cc != NULL; cc = next) {
		next = TAILQ_NEXT(cc, entry);
		if (cc->subscribed)
			ctl_send(cc, msg);	/* cc may close, not free */
	}
	json_decref(msg);
}

/* ------------------------------------------------------------ helpers */

static const char *
ctl_param_str(json_t *params, const char *key)
{
	json_t	*v = json_object_get(params, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/*
 * Resolves params.device.  On success returns the connection; otherwise
 * answers req with the error and returns NULL.
 */
struct dev_conn *
ctl_device(struct ctl_req *req, json_t *params)
{
	struct reg_resolve	 res;
	const char		*sel;
	json_t			*m;
	size_t			 i;
	int			 r;

	if ((sel = ctl_param_str(params, "device")) == NULL) {
		ctl_req_fail(req, CTL_INVALID_PARAMS, 0, NULL, "missing "
		    "parameter \"device\" (a GUID, a unique GUID prefix or a "
		    "device name)");
		return NULL;
	}
	r = registry_resolve(&srv->reg, srv->devices, sel, &res);
	switch (r) {
	case 0:
		return dev_from_reg(res.node);
	case MPS_ERR_NOT_CONNECTED:
		ctl_req_fail(req, CTL_OPERATION_FAILED, r,
		    json_pack("{s:s}", "guid", res.guid), "device %s%s%s%s is "
		    "not connected (it has no CIRA tunnel to this MPS)",
		    res.guid, res.entry != NULL && res.entry->name != NULL ?
		    " (" : "", res.entry != NULL && res.entry->name != NULL ?
		    res.entry->name : "", res.entry != NULL &&
		    res.entry->name != NULL ? ")" : "");
		return NULL;
	case MPS_ERR_AMBIGUOUS:
		m = json_array();
		for (i = 0; i < res.nmatches; i++)
			json_array_append_new(m, json_string(res.matches[i]));
		ctl_req_fail(req, CTL_OPERATION_FAILED, r,
		    json_pack("{s:o}", "matches", m), "\"%s\" matches %zu "
		    "devices; give more of the GUID", sel, res.nmatches_total);
		return NULL;
	default:
		ctl_req_fail(req, CTL_OPERATION_FAILED, MPS_ERR_NOT_FOUND, NULL,
		    "no device matches \"%s\" (give a GUID, a unique GUID "
		    "prefix of at least %d hex digits, or a name from the "
		    "devices file)", sel, REG_MIN_PREFIX);
		return NULL;
	}
}

/* ------------------------------------------------------------ methods */

static int
ctl_m_server_info(struct ctl_client *cc, struct ctl_req *req, json_t *params)
{
	const struct mps_config	*cfg = srv->cfg;
	const struct tls_info	*ti = tls_get_info();
	json_t			*listen, *tls;
	char			 t[ISO8601_LEN];
	size_t			 i;

	listen = json_array();
	for (i = 0; i < cfg->nlisten; i++)
		json_array_append_new(listen, json_pack("{s:s, s:i}",
		    "address", cfg->listen[i].address, "port",
		    cfg->listen[i].port));
	tls = json_pack("{s:s, s:b, s:s, s:s}",
	    "certificate", ti->certificate,
	    "dev_cert", ti->dev_cert,
	    "profile", cfg->tls.profile == CONFIG_TLS_LEGACY ?
	    "legacy" : "modern",
	    "min_version", cfg->tls.min_version != NULL ?
	    cfg->tls.min_version : cfg->tls.profile == CONFIG_TLS_LEGACY ?
	    "1.0" : "1.2");
	json_object_set_new(tls, "fingerprint", json_string(ti->fingerprint));
	if (ti->dev_cert)
		json_object_set_new(tls, "root_certificate",
		    json_string(ti->root));
	ctl_req_ok(req, json_pack("{s:s, s:I, s:s, s:I, s:o, s:o, s:o, s:o, "
	    "s:b, s:s}",
	    "version", MPS_VERSION,
	    "pid", (json_int_t)getpid(),
	    "started_at", util_iso8601(srv->started_at, t),
	    "uptime", (json_int_t)(time(NULL) - srv->started_at),
	    "listen", listen,
	    "config", srv->config_path != NULL ?
	    json_string(srv->config_path) : json_null(),
	    "devices_file", srv->devices != NULL && srv->devices->path != NULL ?
	    json_string(srv->devices->path) : json_null(),
	    "tls", tls,
	    "demo_credentials", srv->demo,
	    "control_socket", ctl_path));
	return CTL_DONE;
}

static void
ctl_sum_channels(struct reg_node *n, void *arg)
{
	struct dev_conn	*c = dev_from_reg(n);
	uint64_t	*sum = arg;

	if (c->sess != NULL)
		*sum += apf_session_channel_count(c->sess);
}

static int
ctl_m_server_stats(struct ctl_client *cc, struct ctl_req *req, json_t *params)
{
	const struct mps_stats	*st = &srv->stats;
	struct ops_stats	 os;
	struct transport_stats	 ts;
	json_t			*disc, *res;
	uint64_t		 channels = 0;
	int			 i;

	disc = json_object();
	for (i = 1; i < DEV_CLOSE_MAX; i++)
		if (st->disconnects[i] > 0)
			json_object_set_new(disc, dev_close_reason_str(i),
			    json_integer((json_int_t)st->disconnects[i]));
	registry_foreach(&srv->reg, ctl_sum_channels, &channels);
	res = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "devices", (json_int_t)srv->reg.n,
	    "unauthenticated", (json_int_t)(dev_count(DEV_HANDSHAKE) +
	    dev_count(DEV_APF)),
	    "handshakes", (json_int_t)dev_count(DEV_HANDSHAKE),
	    "connections_total", (json_int_t)st->connections_total,
	    "auth_failures", (json_int_t)st->auth_failures,
	    "auth_ok", (json_int_t)st->auth_ok,
	    "auth_cache_hits", (json_int_t)st->auth_cache_hits,
	    "auth_delayed", (json_int_t)st->auth_delayed,
	    "disconnects", disc,
	    "channels_open", (json_int_t)channels,
	    "bytes_in", (json_int_t)st->bytes_in,
	    "bytes_out", (json_int_t)st->bytes_out,
	    "control_clients", (json_int_t)ctl_nclients,
	    "rss_bytes", (json_int_t)util_rss_bytes(),
	    "heap_bytes", (json_int_t)util_heap_bytes(),
	    "connections", (json_int_t)dev_count_all(),
	    "accept_paused", (json_int_t)st->accept_paused,
	    "fds_spare", (json_int_t)server_fds_spare());
	ops_get_stats(&os);
	transport_get_stats(&ts);
	json_object_set_new(res, "operations", json_pack("{s:I, s:I, s:I, s:I, "
	    "s:I, s:I}", "submitted", (json_int_t)os.submitted, "ok",
	    (json_int_t)os.ok, "failed", (json_int_t)os.failed, "running",
	    (json_int_t)os.running, "queued", (json_int_t)os.queued,
	    "waiting", (json_int_t)os.waiting));
	json_object_set_new(res, "wsman", json_pack("{s:I, s:I, s:I, s:I, s:I}",
	    "requests", (json_int_t)ts.requests, "failures",
	    (json_int_t)ts.failures, "connections", (json_int_t)ts.connections,
	    "in_flight", (json_int_t)ts.in_flight, "devices",
	    (json_int_t)ts.devices));
	json_object_set_new(res, "relays", json_integer(relay_count()));
	json_object_set_new(res, "forwards", json_integer(forward_count()));
	ctl_req_ok(req, res);
	return CTL_DONE;
}

struct ctl_collect {
	struct dev_conn	**v;
	size_t		  n, cap;
	const char	 *tag;
};

static void
ctl_collect_cb(struct reg_node *n, void *arg)
{
	struct ctl_collect	*cl = arg;
	struct dev_conn		*c = dev_from_reg(n);

	if (cl->tag != NULL && !devices_has_tag(devices_find(srv->devices,
	    c->reg.guid), cl->tag))
		return;
	if (cl->n < cl->cap)
		cl->v[cl->n++] = c;
}

static int
ctl_cmp_guid(const void *a, const void *b)
{
	const struct dev_conn	*ca = *(struct dev_conn *const *)a;
	const struct dev_conn	*cb = *(struct dev_conn *const *)b;

	return strcmp(ca->reg.guid, cb->reg.guid);
}

static int
ctl_m_devices_list(struct ctl_client *cc, struct ctl_req *req,
    json_t *params)
{
	struct ctl_collect	 cl;
	json_t			*arr, *tag = json_object_get(params, "tag");
	size_t			 i;

	if (tag != NULL && !json_is_string(tag) && !json_is_null(tag)) {
		ctl_req_fail(req, CTL_INVALID_PARAMS, 0, NULL,
		    "parameter \"tag\" must be a string");
		return CTL_DONE;
	}
	memset(&cl, 0, sizeof(cl));
	cl.tag = json_is_string(tag) ? json_string_value(tag) : NULL;
	cl.cap = srv->reg.n;
	if (cl.cap > 0 && (cl.v = calloc(cl.cap, sizeof(*cl.v))) == NULL) {
		ctl_req_fail(req, CTL_OPERATION_FAILED, MPS_ERR_NOMEM, NULL,
		    "out of memory");
		return CTL_DONE;
	}
	registry_foreach(&srv->reg, ctl_collect_cb, &cl);
	if (cl.n > 1)
		qsort(cl.v, cl.n, sizeof(*cl.v), ctl_cmp_guid);
	arr = json_array();
	for (i = 0; i < cl.n; i++)
		json_array_append_new(arr, dev_to_json(cl.v[i]));
	free(cl.v);
	ctl_req_ok(req, json_pack("{s:o}", "devices", arr));
	return CTL_DONE;
}

static int
ctl_m_devices_get(struct ctl_client *cc, struct ctl_req *req, json_t *params)
{
	struct dev_conn	*c;

	if ((c = ctl_device(req, params)) == NULL)
		return CTL_DONE;
	ctl_req_ok(req, dev_to_json(c));
	return CTL_DONE;
}

static int
ctl_m_devices_disconnect(struct ctl_client *cc, struct ctl_req *req,
    json_t *params)
{
	struct dev_conn	*c;
	char		 guid[APF_GUID_STRLEN + 1], detail[64];

	if ((c = ctl_device(req, params)) == NULL)
		return CTL_DONE;
	memcpy(guid, c->reg.guid, sizeof(guid));
	snprintf(detail, sizeof(detail), "control client uid %u",
	    (unsigned)cc->uid);
	dev_disconnect(c, DEV_CLOSE_OPERATOR, APF_DISC_BY_APPLICATION, detail);
	ctl_req_ok(req, json_pack("{s:s, s:b}", "guid", guid,
	    "disconnected", 1));
	return CTL_DONE;
}

static int
ctl_m_events_subscribe(struct ctl_client *cc, struct ctl_req *req,
    json_t *params)
{
	cc->subscribed = 1;
	ctl_req_ok(req, json_pack("{s:b}", "subscribed", 1));
	return CTL_DONE;
}

static int
ctl_m_config_reload(struct ctl_client *cc, struct ctl_req *req,
    json_t *params)
{
	struct config_err	err;
	char			buf[600];

	memset(&err, 0, sizeof(err));
	if (server_reload(&err) != 0) {
		config_err_format(&err, buf, sizeof(buf));
		ctl_req_fail(req, CTL_OPERATION_FAILED, MPS_ERR_CONFIG,
		    json_pack("{s:s, s:i, s:i}", "file", err.file, "line",
		    err.line, "col", err.col), "reload failed: %s; the "
		    "previous configuration stays in force", buf);
		return CTL_DONE;
	}
	ctl_req_ok(req, json_pack("{s:I, s:b}", "devices",
	    (json_int_t)(srv->devices != NULL ? srv->devices->n : 0),
	    "ok", 1));
	return CTL_DONE;
}

/* The method table: one row per method, no switch. */
static const struct ctl_method ctl_methods[] = {
	{ "server.info",	ctl_m_server_info },
	{ "server.stats",	ctl_m_server_stats },
	{ "devices.list",	ctl_m_devices_list },
	{ "devices.get",	ctl_m_devices_get },
	{ "devices.disconnect",	ctl_m_devices_disconnect },
	{ "events.subscribe",	ctl_m_events_subscribe },
	{ "config.reload",	ctl_m_config_reload },
	{ "power.state",	ctl_ops_power_state },
	{ "power.action",	ctl_ops_power_action },
	{ "boot.set",		ctl_ops_boot_set },
	{ "pxeboot",		ctl_ops_pxeboot },
	{ "amt.info",		ctl_ops_amt_info },
	{ "amt.time",		ctl_ops_amt_time },
	{ "amt.time.sync",	ctl_ops_amt_time_sync },
	{ "wsman.get",		ctl_ops_wsman_get },
	{ "wsman.enumerate",	ctl_ops_wsman_enumerate },
	{ "wsman.put",		ctl_ops_wsman_put },
	{ "wsman.invoke",	ctl_ops_wsman_invoke },
	{ "forward.open",	forward_ctl_open },
	{ "forward.list",	forward_ctl_list },
	{ "forward.close",	forward_ctl_close },
};

static const struct ctl_method *
ctl_method_find(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(ctl_methods) / sizeof(ctl_methods[0]); i++)
		if (strcmp(ctl_methods[i].name, name) == 0)
			return &ctl_methods[i];
	return NULL;
}

/* ----------------------------------------------------------- requests */

static void
ctl_handle_line(struct ctl_client *cc, const char *line, size_t len)
{
	const struct ctl_method	*m;
	struct ctl_req		*req;
	json_error_t		 jerr;
	json_t			*msg, *id, *params, *jv, *jm;
	char			 ebuf[256];
	size_t			 i;

	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i == len)
		return;		/* blank line: ignore */
	if ((msg = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL) {
		snprintf(ebuf, sizeof(ebuf), "parse error: %s (column %d)",
		    jerr.text, jerr.column);
		ctl_send_error(cc, NULL, CTL_PARSE_ERROR, ebuf);
		return;
	}
	id = json_object_get(msg, "id");
	jv = json_object_get(msg, "jsonrpc");
	jm = json_object_get(msg, "method");
	params = json_object_get(msg, "params");
	if (!json_is_object(msg) || !json_is_string(jv) ||
	    strcmp(json_string_value(jv), "2.0") != 0 ||
	    !json_is_string(jm) || (id != NULL && !json_is_string(id) &&
	    !json_is_integer(id) && !json_is_null(id))) {
		ctl_send_error(cc, json_is_string(id) || json_is_integer(id) ?
		    id : NULL, CTL_INVALID_REQUEST, "invalid request: expected "
		    "{\"jsonrpc\":\"2.0\",\"id\":<number|string>,"
		    "\"method\":\"...\",\"params\":{...}}");
		json_decref(msg);
		return;
	}
	if ((m = ctl_method_find(json_string_value(jm))) == NULL) {
		snprintf(ebuf, sizeof(ebuf), "method not found: %.100s",
		    json_string_value(jm));
		if (id != NULL)
			ctl_send_error(cc, id, CTL_METHOD_NOT_FOUND, ebuf);
		json_decref(msg);
		return;
	}
	if (params != NULL && !json_is_object(params)) {
		if (id != NULL)
			ctl_send_error(cc, id, CTL_INVALID_PARAMS,
			    "params must be an object");
		json_decref(msg);
		return;
	}
	if (cc->pending >= CTL_MAX_PENDING) {
		json_t *e = ctl_error_obj(CTL_OPERATION_FAILED, MPS_ERR_BUSY,
		    NULL, "too many requests in flight on this connection");
		json_t *r = json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0",
		    "id", id != NULL ? id : json_null(), "error", e);

		if (r != NULL) {
			ctl_send(cc, r);
			json_decref(r);
		}
		json_decref(msg);
		return;
	}
	if ((req = calloc(1, sizeof(*req))) == NULL) {
		json_decref(msg);
		ctl_client_close(cc, 0, "out of memory");
		return;
	}
	req->client_id = cc->id;
	req->id = id != NULL ? json_incref(id) : NULL;
	req->method = m->name;
	cc->pending++;
	if (params == NULL) {
		params = json_object();
		if (m->fn(cc, req, params) == CTL_PENDING) {
			req->pending = 1;
			TAILQ_INSERT_TAIL(&ctl_pending, req, entry);
		}
		json_decref(params);
	} else if (m->fn(cc, req, params) == CTL_PENDING) {
		req->pending = 1;
		TAILQ_INSERT_TAIL(&ctl_pending, req, entry);
	}
	json_decref(msg);
}

/* -------------------------------------------------------- connections */

static void
ctl_reaper_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ctl_client	*cc;

	while ((cc = TAILQ_FIRST(&ctl_dead)) != NULL) {
		TAILQ_REMOVE(&ctl_dead, cc, entry);
		bufferevent_free(cc->bev);
		free(cc);
		ctl_nalloc--;
		server_conn_freed();
	}
}

static void
ctl_client_release(struct ctl_client *cc)
{
	if (cc->lingering) {
		TAILQ_REMOVE(&ctl_closing, cc, entry);
		cc->lingering = 0;
	}
	bufferevent_disable(cc->bev, EV_READ | EV_WRITE);
	bufferevent_setcb(cc->bev, NULL, NULL, NULL, NULL);
	TAILQ_INSERT_TAIL(&ctl_dead, cc, entry);
	event_active(ctl_reaper, EV_TIMEOUT, 0);
}

static void
ctl_write_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_client	*cc = arg;

	if (cc->closing && evbuffer_get_length(bufferevent_get_output(bev)) ==
	    0)
		ctl_client_release(cc);
}

/*
 * Takes cc out of service.  flush: let queued output go first (bounded
 * by a write timeout).  cc is freed from the reaper, never here.
 */
static void
ctl_client_close(struct ctl_client *cc, int flush, const char *why)
{
	if (cc->closing)
		return;
	cc->closing = 1;
	TAILQ_REMOVE(&ctl_clients, cc, entry);
	ctl_nclients--;
	log_debug("control: client %llu uid=%u closed: %s",
	    (unsigned long long)cc->id, (unsigned)cc->uid, why);
	if (flush && evbuffer_get_length(bufferevent_get_output(cc->bev)) > 0) {
		struct timeval tv = { CTL_LINGER, 0 };

		bufferevent_disable(cc->bev, EV_READ);
		bufferevent_set_timeouts(cc->bev, NULL, &tv);
		TAILQ_INSERT_TAIL(&ctl_closing, cc, entry);
		cc->lingering = 1;
		return;
	}
	ctl_client_release(cc);
}

static void
ctl_read_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_client	*cc = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	char			*line, msg[128];
	size_t			 len;
	int			 r;

	while (!cc->closing &&
	    (r = ctl_frame_next(in, ctl_max_line, &line, &len)) == 1) {
		ctl_handle_line(cc, line, len);
		free(line);
	}
	if (cc->closing)
		return;
	if (r == MPS_ERR_TOO_LARGE) {
		snprintf(msg, sizeof(msg), "invalid request: line longer than "
		    "%u bytes (control.max_line)", ctl_max_line);
		ctl_send_error(cc, NULL, CTL_INVALID_REQUEST, msg);
		ctl_client_close(cc, 1, "line too long");
	} else if (r < 0)
		ctl_client_close(cc, 0, mps_strerror(r));
}

static void
ctl_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_client	*cc = arg;

	if (cc->closing) {
		ctl_client_release(cc);		/* linger timed out or error */
		return;
	}
	ctl_client_close(cc, 0, what & BEV_EVENT_EOF ? "eof" : "error");
}

/* Refuses a client with one best-effort line. */
static void
ctl_refuse(int fd, const char *msg)
{
	char	buf[256];
	int	n;

	n = snprintf(buf, sizeof(buf), "{\"jsonrpc\":\"2.0\",\"id\":null,"
	    "\"error\":{\"code\":%d,\"message\":\"%s\"}}\n",
	    CTL_OPERATION_FAILED, msg);
	if (n > 0 && write(fd, buf, (size_t)n) < 0) {
		/* nothing to do: the client is being dropped */
	}
	close(fd);
}

static void
ctl_accept_cb(evutil_socket_t lfd, short ev, void *arg)
{
	struct ctl_client	*cc;
	struct ucred		 cred;
	socklen_t		 len = sizeof(cred);
	int			 fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    log_ratelimit(&ctl_rl, util_mono()))
			log_warn("control: accept");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("control: SO_PEERCRED");
		close(fd);
		return;
	}
	if (cred.uid != 0 && cred.uid != geteuid()) {
		if (log_ratelimit(&ctl_rl, util_mono()))
			log_warnx("control: refused uid %u pid %d (only root "
			    "and uid %u may use the control socket)",
			    (unsigned)cred.uid, (int)cred.pid,
			    (unsigned)geteuid());
		ctl_refuse(fd, "permission denied: only root and the "
		    "daemon's user may use the control socket");
		return;
	}
	if (ctl_nclients >= ctl_max_clients || srv->shutting_down ||
	    server_fds_spare() <= 0) {
		if (log_ratelimit(&ctl_rl, util_mono()))
			log_warnx("control: refused pid %d: %s", (int)cred.pid,
			    srv->shutting_down ? "shutting down" :
			    "too many clients");
		ctl_refuse(fd, srv->shutting_down ? "server shutting down" :
		    "too many control clients (control.max_clients)");
		return;
	}
	if ((cc = calloc(1, sizeof(*cc))) == NULL) {
		close(fd);
		return;
	}
	if ((cc->bev = bufferevent_socket_new(srv->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(cc);
		close(fd);
		return;
	}
	cc->id = ++ctl_last_id;
	cc->uid = cred.uid;
	cc->pid = cred.pid;
	TAILQ_INSERT_TAIL(&ctl_clients, cc, entry);
	ctl_nclients++;
	ctl_nalloc++;
	bufferevent_setcb(cc->bev, ctl_read_cb, ctl_write_cb, ctl_event_cb, cc);
	/* Stop reading once a line could no longer be valid. */
	bufferevent_setwatermark(cc->bev, EV_READ, 0, (size_t)ctl_max_line + 2);
	bufferevent_enable(cc->bev, EV_READ | EV_WRITE);
	log_debug("control: client %llu uid=%u pid=%d connected",
	    (unsigned long long)cc->id, (unsigned)cred.uid, (int)cred.pid);
}

/* 1 if something answers on path (another daemon owns it). */
static int
ctl_in_use(const struct sockaddr_un *sun)
{
	int	fd, r;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return r;
}

int
ctl_init(const char *path, mode_t mode, uint32_t max_clients,
    uint32_t max_line)
{
	struct sockaddr_un	 sun, tmp;
	char			 dir[PATH_MAX];
	mode_t			 old;
	int			 fd;

	ctl_max_clients = max_clients > 0 ? max_clients : 64;
	ctl_max_line = max_line > 0 ? max_line : 65536;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path) - 16) {
		log_warnx("control socket path too long (max %zu bytes): %s",
		    sizeof(sun.sun_path) - 16, path);
		return MPS_ERR_CONFIG;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	tmp = sun;
	snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.%d.tmp", path,
	    (int)getpid());

	snprintf(dir, sizeof(dir), "%s", path);
	if (util_mkdir_p(dirname(dir), 0750) != 0) {
		log_warn("control socket directory for %s", path);
		return MPS_ERR_IO;
	}
	if (ctl_in_use(&sun)) {
		log_warnx("control socket %s is in use: is another amt-mps "
		    "running?", path);
		return MPS_ERR_IO;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		log_warn("control socket");
		return MPS_ERR_IO;
	}
	unlink(tmp.sun_path);
	/* Never exists with looser permissions, not even for a moment. */
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&tmp, sizeof(tmp)) == -1) {
		umask(old);
		log_warn("control socket bind %s", tmp.sun_path);
		close(fd);
		return MPS_ERR_IO;
	}
	umask(old);
	if (chmod(tmp.sun_path, mode) == -1 || listen(fd, CTL_BACKLOG) == -1 ||
	    rename(tmp.sun_path, sun.sun_path) == -1) {
		log_warn("control socket %s", path);
		unlink(tmp.sun_path);
		close(fd);
		return MPS_ERR_IO;
	}
	ctl_fd = fd;
	snprintf(ctl_path, sizeof(ctl_path), "%s", path);
	if (stat(ctl_path, &ctl_path_st) == -1)
		memset(&ctl_path_st, 0, sizeof(ctl_path_st));
	if ((ctl_ev = event_new(srv->base, fd, EV_READ | EV_PERSIST,
	    ctl_accept_cb, NULL)) == NULL ||
	    (ctl_reaper = event_new(srv->base, -1, 0, ctl_reaper_cb, NULL)) ==
	    NULL)
		return MPS_ERR_NOMEM;
	event_add(ctl_ev, NULL);
	log_info("control socket %s mode %04o", path, (unsigned)mode);
	return 0;
}

/*
 * Removes our socket file, and only ours: a daemon started while this one
 * was shutting down may have put its own socket at the path already.
 */
static void
ctl_unlink(void)
{
	struct stat	st;

	if (stat(ctl_path, &st) == 0 && st.st_dev == ctl_path_st.st_dev &&
	    st.st_ino == ctl_path_st.st_ino)
		unlink(ctl_path);
}

void
ctl_shutdown(void)
{
	struct ctl_client	*cc;
	struct ctl_req		*req;

	/* Pending requests get an answer, not silence. */
	while ((req = TAILQ_FIRST(&ctl_pending)) != NULL)
		ctl_req_fail(req, CTL_OPERATION_FAILED, MPS_ERR_CLOSED, NULL,
		    "amt-mps is shutting down; the request was not completed");
	if (ctl_ev != NULL) {
		event_free(ctl_ev);
		ctl_ev = NULL;
	}
	if (ctl_fd != -1) {
		close(ctl_fd);
		ctl_fd = -1;
		ctl_unlink();
	}
	/* Every client learns why its connection ends, idle or not. */
	while ((cc = TAILQ_FIRST(&ctl_clients)) != NULL) {
		json_t	*m = json_pack("{s:s, s:n, s:o}", "jsonrpc", "2.0",
			    "id", "error", ctl_error_obj(CTL_OPERATION_FAILED,
			    MPS_ERR_CLOSED, NULL, "amt-mps is shutting down"));

		if (m != NULL) {
			ctl_send(cc, m);
			json_decref(m);
		}
		ctl_client_close(cc, 1, "shutdown");
	}
}

void
ctl_cleanup(void)
{
	struct ctl_client	*cc;

	ctl_shutdown();
	/* Lingering clients still owned by the (stopped) loop. */
	while ((cc = TAILQ_FIRST(&ctl_closing)) != NULL)
		ctl_client_release(cc);
	while ((cc = TAILQ_FIRST(&ctl_dead)) != NULL) {
		TAILQ_REMOVE(&ctl_dead, cc, entry);
		bufferevent_free(cc->bev);
		free(cc);
		ctl_nalloc--;
	}
	if (ctl_reaper != NULL) {
		event_free(ctl_reaper);
		ctl_reaper = NULL;
	}
}
