/*
 * ops.c: the per-device scheduler of AMT operations (ops.h).
 *
 * A job is one operation for one device:
 *
 *   QUEUED -(device free, running slot, spacing)-> RUNNING:
 *	SPACING (waiting OPS_SPACING_MS) <-> SENT (request with the transport)
 *   -> FINISHED (on ops_done_list; the done event calls back and frees)
 *
 * A job never calls back from where it finishes: it moves to the done list
 * and a fresh event delivers it, so callers of ops_submit, the transport
 * and device.c never see a callback (and a free) under their feet.
 *
 * Per device state (struct ops_dev, c->ops) lives while the tunnel does;
 * ops_dev_gone() detaches it and the done event frees it.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <libxml/parser.h>
#include <openssl/rand.h>

#include "server.h"
#include "ops.h"
#include "relay.h"
#include "transport.h"

enum ops_job_state {
	OPS_JOB_QUEUED,
	OPS_JOB_SPACING,	/* running, next request waits for spacing */
	OPS_JOB_SENT,		/* running, request with the transport */
	OPS_JOB_FINISHED,
};

struct ops_job {
	TAILQ_ENTRY(ops_job)	 entry;		/* od->queue or ops_done_list */
	struct ops_dev		*od;		/* NULL once finished */
	struct amt_op		*op;
	ops_done_fn		*done;
	void			*arg;
	enum ops_job_state	 state;
	int			 flags;
	int			 err;
	uint32_t		 port;
	uint32_t		 apf_reason;
	uint32_t		 requests;
	uint32_t		 cooldown, cooldown_ago;
	uint64_t		 submitted_ms;
	uint64_t		 cool_ms;	/* our cooldown reservation */
	char			 guid[APF_GUID_STRLEN + 1];
	char			 step[64];
	char			 detail[256];
	char			 message[1024];
};

TAILQ_HEAD(ops_job_list, ops_job);

struct ops_dev {
	TAILQ_ENTRY(ops_dev)	 ready;		/* or ops_dead */
	struct dev_conn		*c;		/* NULL once gone */
	struct ops_job_list	 queue;
	struct ops_job		*running;
	uint32_t		 nqueued;
	uint64_t		 last_ms;	/* last request start */
	struct event		*spacing;
	int			 on_ready;
	int			 gone;
};

TAILQ_HEAD(ops_dev_list, ops_dev);

/* Cooldown reservations by GUID, oldest first. */
struct ops_cool {
	TAILQ_ENTRY(ops_cool)	 order;
	struct ops_cool		*hnext;
	uint64_t		 at_ms;
	char			 guid[APF_GUID_STRLEN + 1];
};

TAILQ_HEAD(ops_cool_list, ops_cool);

static struct ops_job_list	 ops_done_list =
    TAILQ_HEAD_INITIALIZER(ops_done_list);
static struct ops_dev_list	 ops_ready = TAILQ_HEAD_INITIALIZER(ops_ready);
static struct ops_dev_list	 ops_dead = TAILQ_HEAD_INITIALIZER(ops_dead);
static struct ops_cool_list	 ops_cool_order =
    TAILQ_HEAD_INITIALIZER(ops_cool_order);
static struct ops_cool		*ops_cool_hash[OPS_COOL_BUCKETS];
static struct event		*ops_done_ev;
static struct wsman_ctx		 ops_ctx;
static struct ops_stats		 ops_st;

static void	ops_step(struct ops_job *);
static void	ops_kick(struct ops_dev *);

struct wsman_ctx *
ops_wsman(void)
{
	return &ops_ctx;
}

void
ops_get_stats(struct ops_stats *st)
{
	*st = ops_st;
}

static uint64_t
ops_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------- cooldown */

static uint32_t
ops_cool_hashfn(const char *guid)
{
	uint32_t	h = 2166136261u;

	while (*guid != '\0') {
		h ^= (uint8_t)*guid++;
		h *= 16777619u;
	}
	return h & (OPS_COOL_BUCKETS - 1);
}

static void
ops_cool_unlink(struct ops_cool *k)
{
	struct ops_cool	**pp;

	for (pp = &ops_cool_hash[ops_cool_hashfn(k->guid)]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == k) {
			*pp = k->hnext;
			break;
		}
	TAILQ_REMOVE(&ops_cool_order, k, order);
	free(k);
}

/* Forgets reservations past the cooldown: the table stays bounded. */
static void
ops_cool_prune(uint64_t now, uint64_t span)
{
	struct ops_cool	*k;

	while ((k = TAILQ_FIRST(&ops_cool_order)) != NULL &&
	    k->at_ms + span <= now)
		ops_cool_unlink(k);
}

static struct ops_cool *
ops_cool_find(const char *guid)
{
	struct ops_cool	*k;

	for (k = ops_cool_hash[ops_cool_hashfn(guid)]; k != NULL;
	    k = k->hnext)
		if (strcmp(k->guid, guid) == 0)
			return k;
	return NULL;
}

/*
 * Reserves the power-action slot of guid now.  0, or MPS_ERR_COOLDOWN
 * with *ago (s since the last one), or MPS_ERR_NOMEM.
 */
static int
ops_cool_take(const char *guid, uint64_t now, uint32_t *ago)
{
	uint64_t	 span = (uint64_t)srv->cfg->limits.power_cooldown * 1000;
	struct ops_cool	*k;
	uint32_t	 h;

	if (span == 0)
		return 0;
	ops_cool_prune(now, span);
	if ((k = ops_cool_find(guid)) != NULL) {
		*ago = (uint32_t)((now - k->at_ms) / 1000);
		return MPS_ERR_COOLDOWN;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return MPS_ERR_NOMEM;
	snprintf(k->guid, sizeof(k->guid), "%s", guid);
	k->at_ms = now;
	h = ops_cool_hashfn(guid);
	k->hnext = ops_cool_hash[h];
	ops_cool_hash[h] = k;
	TAILQ_INSERT_TAIL(&ops_cool_order, k, order);
	return 0;
}

/* Gives back a reservation whose action never reached the device. */
static void
ops_cool_release(const char *guid, uint64_t at_ms)
{
	struct ops_cool	*k;

	if ((k = ops_cool_find(guid)) != NULL && k->at_ms == at_ms)
		ops_cool_unlink(k);
}

/* ---------------------------------------------------------- messages */

static const char *
ops_dev_label(const struct ops_job *j, char *buf, size_t len)
{
	const struct device_entry *e = devices_find(srv->devices, j->guid);

	if (e != NULL && e->name != NULL)
		snprintf(buf, len, "%s (%s)", j->guid, e->name);
	else
		snprintf(buf, len, "%s", j->guid);
	return buf;
}

/* The one sentence a user sees for a failed job: the cause and the fix. */
static void
ops_describe(struct ops_job *j)
{
	const struct amt_result	*res = amt_op_result(j->op);
	const char		*user, *step;
	char			 dev[APF_GUID_STRLEN + DEVICES_NAME_MAX + 8];
	char			 rv[64];

	ops_dev_label(j, dev, sizeof(dev));
	step = j->step;
	switch (j->err) {
	case MPS_ERR_NOT_CONNECTED:
		if (j->requests > 0)
			snprintf(j->message, sizeof(j->message), "device %s "
			    "disconnected during %s; the operation may or may "
			    "not have taken effect", dev, step);
		else
			snprintf(j->message, sizeof(j->message), "device %s is "
			    "not connected (it has no CIRA tunnel to this MPS)",
			    dev);
		break;
	case MPS_ERR_NO_CREDENTIALS:
		snprintf(j->message, sizeof(j->message), "no AMT credentials "
		    "for device %s: add amt_username and amt_password to its "
		    "entry (or to defaults) in the devices file%s%.400s, then "
		    "reload", dev, srv->devices->path != NULL ? " " : "",
		    srv->devices->path != NULL ? srv->devices->path : "");
		break;
	case MPS_ERR_AMT_AUTH:
		user = devices_amt_username(srv->devices,
		    devices_find(srv->devices, j->guid));
		snprintf(j->message, sizeof(j->message), "AMT rejected the "
		    "digest credentials for device %s (user \"%s\"): check "
		    "amt_username and amt_password in the devices file", dev,
		    user != NULL ? user : "");
		break;
	case MPS_ERR_OPEN_REFUSED:
		snprintf(j->message, sizeof(j->message), "device %s refused "
		    "to open a channel to port %u: APF reason %u (%s)%s", dev,
		    j->port, j->apf_reason, relay_open_reason_str(j->apf_reason),
		    j->apf_reason == APF_OPEN_CONNECT_FAILED ||
		    j->apf_reason == APF_OPEN_RESOURCE_SHORTAGE ?
		    "; AMT is busy, try again shortly" : "");
		break;
	case MPS_ERR_LIMIT:
		snprintf(j->message, sizeof(j->message), "no channel to "
		    "device %s: %.255s", dev, j->detail[0] != '\0' ? j->detail :
		    "its tunnel is at limits.channels_per_device");
		break;
	case MPS_ERR_TIMEOUT:
		snprintf(j->message, sizeof(j->message), "device %s did not "
		    "answer within %u s (%s)", dev,
		    srv->cfg->limits.request_timeout, step);
		break;
	case MPS_ERR_WSMAN_FAULT:
		snprintf(j->message, sizeof(j->message), "WS-Man fault from "
		    "device %s at %s: code %.60s, subcode %.120s: %.500s", dev,
		    step,
		    res->fault.code[0] ? res->fault.code : "?",
		    res->fault.subcode[0] ? res->fault.subcode : "-",
		    res->fault.reason[0] ? res->fault.reason :
		    res->fault.detail[0] ? res->fault.detail : "no reason");
		break;
	case MPS_ERR_RETURN_VALUE:
		snprintf(rv, sizeof(rv), "%u", res->rv.value);
		if (strncmp(step, "Invoke ", 7) == 0)
			step += 7;	/* the method's name */
		snprintf(j->message, sizeof(j->message), "AMT method %s on "
		    "device %s returned %s (%.48s): %.160s", step, dev, rv,
		    res->rv.name[0] ? res->rv.name : "?", res->rv.meaning);
		break;
	case MPS_ERR_COOLDOWN:
		snprintf(j->message, sizeof(j->message), "power action "
		    "refused: last one %u s ago, cooldown %u s",
		    j->cooldown_ago, j->cooldown);
		break;
	case MPS_ERR_HTTP:
		snprintf(j->message, sizeof(j->message), "device %s answered "
		    "HTTP %d at %s without a WS-Man body", dev,
		    res->http_status, step);
		break;
	case MPS_ERR_XML:
		snprintf(j->message, sizeof(j->message), "malformed WS-Man "
		    "response from device %s at %s", dev, step);
		break;
	case MPS_ERR_TOO_LARGE:
		snprintf(j->message, sizeof(j->message), "response from "
		    "device %s at %s is too large (%u bytes at most)", dev,
		    step, TRANSPORT_MAX_BODY);
		break;
	case MPS_ERR_BUSY:
		snprintf(j->message, sizeof(j->message), "device %s already "
		    "has %d operations queued; try again later", dev,
		    OPS_QUEUE_MAX);
		break;
	case MPS_ERR_CLOSED:
		snprintf(j->message, sizeof(j->message), "amt-mps is shutting "
		    "down; the operation on device %s was not completed", dev);
		break;
	case MPS_ERR_TLS:
	case MPS_ERR_IO:
		snprintf(j->message, sizeof(j->message), "connection to "
		    "device %s port %u failed at %s: %.255s", dev, j->port, step,
		    j->detail[0] != '\0' ? j->detail : mps_strerror(j->err));
		break;
	default:
		snprintf(j->message, sizeof(j->message), "%s on device %s "
		    "failed: %s%s%.255s", step, dev, mps_strerror(j->err),
		    j->detail[0] != '\0' ? ": " : "", j->detail);
		break;
	}
}

/* ------------------------------------------------------------- jobs */

/*
 * Ends j with err (0: done).  j leaves its device and goes to the done
 * list; the device moves on.  Touches nothing of the device after the
 * transport was told it is idle (that may close the tunnel).
 */
static void
ops_finish(struct ops_job *j, int err, const char *detail)
{
	const struct amt_result	*res = amt_op_result(j->op);
	struct ops_dev		*od = j->od;
	struct dev_conn		*c = NULL;
	int			 idle = 0;

	if (j->state == OPS_JOB_FINISHED)
		return;
	if (err == 0 && res->error != 0)
		err = res->error;
	j->err = err;
	if (detail != NULL && detail[0] != '\0' && j->detail[0] == '\0')
		snprintf(j->detail, sizeof(j->detail), "%s", detail);
	snprintf(j->step, sizeof(j->step), "%s", res->step[0] != '\0' ?
	    res->step : amt_op_state_str(amt_op_state(j->op)));
	if (od != NULL) {
		if (od->running == j) {
			od->running = NULL;
			ops_st.running--;
		} else if (j->state == OPS_JOB_QUEUED) {
			TAILQ_REMOVE(&od->queue, j, entry);
			od->nqueued--;
			ops_st.queued--;
		}
		j->od = NULL;
		c = od->c;
		idle = !od->gone && od->running == NULL &&
		    TAILQ_EMPTY(&od->queue);
	}
	/* A power change that never went out does not start the cooldown. */
	if (err != 0 && j->cool_ms != 0 && res->power.requested == 0)
		ops_cool_release(j->guid, j->cool_ms);
	j->state = OPS_JOB_FINISHED;
	TAILQ_INSERT_TAIL(&ops_done_list, j, entry);
	if (ops_done_ev != NULL)
		event_active(ops_done_ev, EV_TIMEOUT, 0);

	/* Next on this device, then devices waiting for a slot. */
	if (od != NULL && !od->gone)
		ops_kick(od);
	while (ops_st.running < OPS_MAX_RUNNING &&
	    (od = TAILQ_FIRST(&ops_ready)) != NULL) {
		TAILQ_REMOVE(&ops_ready, od, ready);
		od->on_ready = 0;
		ops_st.waiting--;
		ops_kick(od);
	}
	if (idle && c != NULL && c->ops != NULL && c->ops->running == NULL &&
	    TAILQ_EMPTY(&c->ops->queue))
		transport_idle(c);	/* may close the tunnel: last */
}

static void
ops_resp_cb(void *arg, const struct transport_result *tr)
{
	struct ops_job	*j = arg;
	int		 r;

	j->port = tr->port;
	if (tr->err != 0) {
		j->apf_reason = tr->apf_reason;
		ops_finish(j, tr->err, tr->detail);
		return;
	}
	r = amt_op_feed_response(j->op, tr->http_status, tr->body, tr->len);
	if (r == AMT_OP_MORE) {
		ops_step(j);
		return;
	}
	ops_finish(j, r, NULL);
}

static void
ops_spacing_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ops_dev	*od = arg;

	if (od->running != NULL && od->running->state == OPS_JOB_SPACING)
		ops_step(od->running);
}

/* Sends j's next request, or waits for the spacing first. */
static void
ops_step(struct ops_job *j)
{
	struct ops_dev	*od = j->od;
	const char	*body;
	size_t		 len;
	uint64_t	 now = ops_now_ms(), wait;
	struct timeval	 tv;
	char		 msg[256];
	int		 r;

	if (od->last_ms != 0 && now < od->last_ms + OPS_SPACING_MS) {
		wait = od->last_ms + OPS_SPACING_MS - now;
		if (od->spacing == NULL && (od->spacing = evtimer_new(srv->base,
		    ops_spacing_cb, od)) == NULL) {
			ops_finish(j, MPS_ERR_NOMEM, NULL);
			return;
		}
		j->state = OPS_JOB_SPACING;
		tv.tv_sec = 0;
		tv.tv_usec = (suseconds_t)(wait * 1000);
		evtimer_add(od->spacing, &tv);
		return;
	}
	if ((r = amt_op_next_request(j->op, &body, &len)) != 0) {
		ops_finish(j, r, NULL);
		return;
	}
	od->last_ms = now;
	j->state = OPS_JOB_SENT;
	r = transport_post(od->c, body, len, srv->cfg->limits.request_timeout,
	    ops_resp_cb, j, msg, sizeof(msg));
	if (r != 0) {
		ops_finish(j, r, msg);
		return;
	}
	j->requests++;
}

/* Starts the device's next job if it may run now. */
static void
ops_kick(struct ops_dev *od)
{
	struct ops_job	*j;

	if (od->gone || od->running != NULL ||
	    (j = TAILQ_FIRST(&od->queue)) == NULL)
		return;
	if (ops_st.running >= OPS_MAX_RUNNING) {
		if (!od->on_ready) {
			TAILQ_INSERT_TAIL(&ops_ready, od, ready);
			od->on_ready = 1;
			ops_st.waiting++;
		}
		return;
	}
	TAILQ_REMOVE(&od->queue, j, entry);
	od->nqueued--;
	ops_st.queued--;
	od->running = j;
	ops_st.running++;
	ops_step(j);
}

static void
ops_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ops_outcome	 o;
	struct ops_job		*j;
	struct ops_dev		*od;
	uint64_t		 now = ops_now_ms();

	while ((j = TAILQ_FIRST(&ops_done_list)) != NULL) {
		TAILQ_REMOVE(&ops_done_list, j, entry);
		if (j->err != 0) {
			ops_describe(j);
			ops_st.failed++;
		} else
			ops_st.ok++;
		memset(&o, 0, sizeof(o));
		o.guid = j->guid;
		o.err = j->err;
		o.message = j->err != 0 ? j->message : NULL;
		o.res = amt_op_result(j->op);
		o.op_name = amt_op_name(j->op);
		o.step = j->step;
		o.port = j->port;
		o.apf_reason = j->apf_reason;
		o.cooldown = j->cooldown;
		o.cooldown_ago = j->cooldown_ago;
		o.requests = j->requests;
		o.ms = (uint32_t)(now - j->submitted_ms);
		log_msg(j->err != 0 || (j->flags & OPS_F_POWER) ?
		    LOG_LEVEL_INFO : LOG_LEVEL_DEBUG, "guid=%s event=operation "
		    "op=%s result=%s requests=%u ms=%u%s%s%s", j->guid,
		    o.op_name, j->err != 0 ? mps_errname(j->err) : "ok",
		    j->requests, o.ms, j->err != 0 ? " message=\"" : "",
		    j->err != 0 ? j->message : "", j->err != 0 ? "\"" : "");
		j->done(j->arg, &o);
		amt_op_free(j->op);
		free(j);
	}
	while ((od = TAILQ_FIRST(&ops_dead)) != NULL) {
		TAILQ_REMOVE(&ops_dead, od, ready);
		if (od->spacing != NULL)
			event_free(od->spacing);
		free(od);
	}
}

static struct ops_job *
ops_job_new(const char *guid, struct amt_op *op, int flags,
    ops_done_fn *done, void *arg)
{
	struct ops_job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		amt_op_free(op);
		return NULL;
	}
	j->op = op;
	j->flags = flags;
	j->done = done;
	j->arg = arg;
	j->submitted_ms = ops_now_ms();
	snprintf(j->guid, sizeof(j->guid), "%s", guid);
	ops_st.submitted++;
	return j;
}

/* Ends a job that never reached a device. */
static void
ops_refuse(struct ops_job *j, int err)
{
	j->state = OPS_JOB_QUEUED;
	j->od = NULL;
	ops_finish(j, err, NULL);
}

int
ops_submit_absent(const char *guid, struct amt_op *op, ops_done_fn *done,
    void *arg)
{
	struct ops_job	*j;

	if ((j = ops_job_new(guid, op, 0, done, arg)) == NULL)
		return MPS_ERR_NOMEM;
	ops_refuse(j, MPS_ERR_NOT_CONNECTED);
	return 0;
}

int
ops_submit(struct dev_conn *c, struct amt_op *op, int flags,
    ops_done_fn *done, void *arg)
{
	const struct device_entry *e;
	struct ops_job	*j;
	struct ops_dev	*od;
	uint64_t	 now;
	uint32_t	 ago = 0;
	int		 r;

	if ((j = ops_job_new(c->reg.guid, op, flags, done, arg)) == NULL)
		return MPS_ERR_NOMEM;
	if (srv->shutting_down) {
		ops_refuse(j, MPS_ERR_CLOSED);
		return 0;
	}
	if (c->state != DEV_ACTIVE || c->sess == NULL) {
		ops_refuse(j, MPS_ERR_NOT_CONNECTED);
		return 0;
	}
	/* Refused without touching the device. */
	e = devices_find(srv->devices, c->reg.guid);
	if (devices_amt_username(srv->devices, e) == NULL ||
	    devices_amt_password(srv->devices, e) == NULL) {
		ops_refuse(j, MPS_ERR_NO_CREDENTIALS);
		return 0;
	}
	if ((od = c->ops) == NULL) {
		if ((od = calloc(1, sizeof(*od))) == NULL) {
			ops_refuse(j, MPS_ERR_NOMEM);
			return 0;
		}
		TAILQ_INIT(&od->queue);
		od->c = c;
		c->ops = od;
	}
	if (od->nqueued >= OPS_QUEUE_MAX) {
		ops_refuse(j, MPS_ERR_BUSY);
		return 0;
	}
	if (flags & OPS_F_POWER) {
		now = ops_now_ms();
		if ((r = ops_cool_take(c->reg.guid, now, &ago)) != 0) {
			j->cooldown = srv->cfg->limits.power_cooldown;
			j->cooldown_ago = ago;
			ops_refuse(j, r);
			return 0;
		}
		if (srv->cfg->limits.power_cooldown > 0)
			j->cool_ms = now;
	}
	j->od = od;
	j->state = OPS_JOB_QUEUED;
	TAILQ_INSERT_TAIL(&od->queue, j, entry);
	od->nqueued++;
	ops_st.queued++;
	ops_kick(od);
	return 0;
}

void
ops_dev_gone(struct dev_conn *c)
{
	struct ops_dev	*od = c->ops;
	struct ops_job	*j;
	int		 err;

	if (od != NULL) {
		c->ops = NULL;
		od->gone = 1;
		if (od->on_ready) {
			TAILQ_REMOVE(&ops_ready, od, ready);
			od->on_ready = 0;
			ops_st.waiting--;
		}
		if (od->spacing != NULL)
			event_del(od->spacing);
		transport_cancel(c);
		/* At shutdown the cause is ours, not the device's. */
		err = srv->shutting_down ? MPS_ERR_CLOSED :
		    MPS_ERR_NOT_CONNECTED;
		if ((j = od->running) != NULL)
			ops_finish(j, err, NULL);
		while ((j = TAILQ_FIRST(&od->queue)) != NULL)
			ops_finish(j, err, NULL);
		od->c = NULL;
		TAILQ_INSERT_TAIL(&ops_dead, od, ready);
		if (ops_done_ev != NULL)
			event_active(ops_done_ev, EV_TIMEOUT, 0);
	}
	transport_dev_gone(c);
}

/* ------------------------------------------------------------- setup */

int
ops_init(void)
{
	uint64_t	prefix;
	int		r;

	if (ops_done_ev != NULL)
		return 0;
	xmlInitParser();
	if (RAND_bytes((unsigned char *)&prefix, sizeof(prefix)) != 1)
		return MPS_ERR_INTERNAL;
	if ((r = wsman_ctx_init(&ops_ctx, prefix, NULL)) != 0)
		return r;
	if ((ops_done_ev = event_new(srv->base, -1, 0, ops_done_cb, NULL)) ==
	    NULL)
		return MPS_ERR_NOMEM;
	return transport_init();
}

void
ops_shutdown(void)
{
	struct ops_dev	*od;

	/* Devices still waiting for a slot fail first; then the rest. */
	while ((od = TAILQ_FIRST(&ops_ready)) != NULL) {
		TAILQ_REMOVE(&ops_ready, od, ready);
		od->on_ready = 0;
		ops_st.waiting--;
		if (od->c != NULL)
			ops_dev_gone(od->c);
	}
	/* Callbacks may submit more: those are refused (shutting_down). */
	while (!TAILQ_EMPTY(&ops_done_list) || !TAILQ_EMPTY(&ops_dead))
		ops_done_cb(-1, 0, NULL);
}

void
ops_cleanup(void)
{
	struct ops_cool	*k;

	if (ops_done_ev != NULL) {
		ops_done_cb(-1, 0, NULL);
		event_free(ops_done_ev);
		ops_done_ev = NULL;
	}
	while ((k = TAILQ_FIRST(&ops_cool_order)) != NULL)
		ops_cool_unlink(k);
	transport_cleanup();
}
