/*
 * sim_wsman.c: the WS-Management responder of a simulated AMT device.
 *
 * One authenticated SOAP request in, one SOAP response out.  Answers are
 * built from templates (sim_fixture.c: the recorded AMT responses, or the
 * built-in set): the template is copied, its header rewritten for this
 * exchange (RelatesTo = the request's MessageID, a fresh MessageID in
 * AMT's pattern, the response Action), and the properties that depend on
 * the simulated machine are written from its state (sim_amt.c): power
 * state, boot settings, identity, clock.
 *
 * What AMT answers and what we do:
 *   Get        the instance; with selectors, the matching instance of
 *              the class's Pull template (InvalidSelectors if none)
 *   Put        AMT_BootSettingData is stored; other classes echo the
 *              instance, like AMT's PutResponse
 *   Enumerate  a new EnumerationContext (a few per device, LRU)
 *   Pull       MaxElements items per page (1 if absent, per the spec),
 *              EnumerationContext while more remain, EndOfSequence last
 *   Invoke     state-changing methods are simulated (power, boot order,
 *              boot role, time sync, GetUuid); other methods answer their
 *              recorded output
 *   unknown resource -> wsa:DestinationUnreachable, known resource but
 *   unknown action -> wsa:ActionNotSupported, both HTTP 400.
 */
#include <sys/time.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "mps_err.h"
#include "sim_wsman.h"
#include "wsman.h"

#define SIM_WSMAN_DOMAIN	"sim.test"
/* A response action: the request's plus "Response". */
#define SIM_WSMAN_ACTION_LEN	(WSMAN_MAX_URI + WSMAN_MAX_NAME + 16)
/* A Pull never returns more than this many items per page. */
#define SIM_WSMAN_MAX_PAGE	4096

/* One request being answered. */
struct sim_wsman_rq {
	struct sim_wsman	*w;
	struct sim_amt		*a;
	uint32_t		 faults;
	struct wsman_req_info	 req;
	struct sim_wsman_call	*call;
	xmlDoc			*doc;		/* the response being built */
};

typedef uint32_t sim_wsman_method_fn(struct sim_wsman_rq *, xmlNode *);
typedef void sim_wsman_hook_fn(struct sim_wsman_rq *, xmlNode *);

static sim_wsman_method_fn sim_wsman_m_power, sim_wsman_m_boot_order,
    sim_wsman_m_boot_role, sim_wsman_m_time_get, sim_wsman_m_time_set,
    sim_wsman_m_uuid;
static sim_wsman_hook_fn sim_wsman_h_power, sim_wsman_h_boot,
    sim_wsman_h_general, sim_wsman_h_package, sim_wsman_h_swid,
    sim_wsman_h_setup;

/* Methods whose effect is simulated.  Class URI, method, handler. */
static const struct {
	const char		*uri;
	const char		*method;
	sim_wsman_method_fn	*fn;
} sim_wsman_methods[] = {
	{ WSMAN_URI_CIM "CIM_PowerManagementService",
	    "RequestPowerStateChange", sim_wsman_m_power },
	{ WSMAN_URI_CIM "CIM_BootConfigSetting", "ChangeBootOrder",
	    sim_wsman_m_boot_order },
	{ WSMAN_URI_CIM "CIM_BootService", "SetBootConfigRole",
	    sim_wsman_m_boot_role },
	{ WSMAN_URI_AMT "AMT_TimeSynchronizationService",
	    "GetLowAccuracyTimeSynch", sim_wsman_m_time_get },
	{ WSMAN_URI_AMT "AMT_TimeSynchronizationService",
	    "SetHighAccuracyTimeSynch", sim_wsman_m_time_set },
	{ WSMAN_URI_AMT "AMT_SetupAndConfigurationService", "GetUuid",
	    sim_wsman_m_uuid },
};

/* Instances whose properties come from the machine.  By element name. */
static const struct {
	const char		*cls;
	sim_wsman_hook_fn	*fn;
} sim_wsman_hooks[] = {
	{ "CIM_AssociatedPowerManagementService", sim_wsman_h_power },
	{ "AMT_BootSettingData", sim_wsman_h_boot },
	{ "AMT_GeneralSettings", sim_wsman_h_general },
	{ "CIM_ComputerSystemPackage", sim_wsman_h_package },
	{ "CIM_SoftwareIdentity", sim_wsman_h_swid },
	{ "AMT_SetupAndConfigurationService", sim_wsman_h_setup },
};

static const struct {
	const char	*word;
	int		 has_arg;
} sim_wsman_fault_words[] = {
#define SIM_WF_WORD(name, word, arg) { word, arg },
	SIM_WSMAN_FAULTS(SIM_WF_WORD)
#undef SIM_WF_WORD
};

#define SIM_WSMAN_NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Copy with truncation (log fields are bounded; the log says enough). */
static void
sim_wsman_strlcpy(char *dst, const char *src, size_t cap)
{
	size_t	n = strlen(src);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* --- configuration --- */

void
sim_wsman_cfg_default(struct sim_wsman_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->user = SIM_WSMAN_DEFAULT_USER;
	c->password = SIM_WSMAN_DEFAULT_PASSWORD;
	(void)sim_wsman_version_parse(c, SIM_WSMAN_DEFAULT_VERSION);
	c->provisioning_mode = 1;
	c->power = SIM_AMT_ON;
	c->nonce_lifetime_s = SIM_WSMAN_DEFAULT_NONCE_S;
	c->fault_count = UINT32_MAX;
}

const char *
sim_wsman_fault_name(enum sim_wsman_fault f)
{
	if ((unsigned)f >= SIM_WF_COUNT)
		return "?";
	return sim_wsman_fault_words[f].word;
}

int
sim_wsman_fault_parse(struct sim_wsman_cfg *c, const char *s)
{
	const char	*arg;
	char		*end;
	size_t		 wl, i;
	unsigned long	 v = 0;

	wl = strcspn(s, "=:");
	arg = s[wl] != '\0' ? s + wl + 1 : NULL;
	for (i = 0; i < SIM_WF_COUNT; i++)
		if (strlen(sim_wsman_fault_words[i].word) == wl &&
		    strncmp(sim_wsman_fault_words[i].word, s, wl) == 0)
			break;
	if (i == SIM_WF_COUNT ||
	    (arg != NULL) != (sim_wsman_fault_words[i].has_arg != 0))
		return MPS_ERR_USAGE;
	if (arg != NULL) {
		errno = 0;
		if (arg[0] < '0' || arg[0] > '9')
			return MPS_ERR_USAGE;
		v = strtoul(arg, &end, 10);
		if (*end != '\0' || errno != 0 || v > UINT32_MAX)
			return MPS_ERR_USAGE;
	}
	if (i == SIM_WF_RETURN_VALUE)
		c->fault_rv = (uint32_t)v;
	else if (i == SIM_WF_SLOW) {
		if (v > 600000)
			return MPS_ERR_USAGE;
		c->fault_slow_ms = (uint32_t)v;
	}
	c->faults |= 1u << i;
	return 0;
}

int
sim_wsman_version_parse(struct sim_wsman_cfg *c, const char *s)
{
	unsigned int	maj, min, fix, build;
	int		n, end = 0;

	n = sscanf(s, "%u.%u.%u%n.%u%n", &maj, &min, &fix, &end, &build,
	    &end);
	if (n < 3 || s[end] != '\0' || maj > 99 || min > 99 || fix > 999)
		return MPS_ERR_USAGE;
	snprintf(c->version, sizeof(c->version), "%u.%u.%u", maj, min, fix);
	if (n == 4)
		snprintf(c->build, sizeof(c->build), "%u", build);
	else
		snprintf(c->build, sizeof(c->build), "0");
	return 0;
}

void
sim_wsman_server_header(const struct sim_wsman *w, char *buf, size_t len)
{
	snprintf(buf, len, "Intel(R) Active Management Technology %s.%s",
	    w->cfg.version, w->cfg.build);
}

int
sim_wsman_init(struct sim_wsman *w, struct event_base *base, uint32_t ndevs,
    char *err, size_t errlen)
{
	const char	*dir = w->cfg.fixtures;
	int		 r;

	w->base = base;
	w->log_fd = -1;
	w->ready = 1;
	if (dir == NULL)
		dir = sim_fixture_default_dir();
	else if (strcmp(dir, "none") == 0)
		dir = NULL;
	if ((r = sim_fixture_load(&w->fx, dir, err, errlen)) != 0)
		return r;
	if ((w->cfg.faults & (1u << SIM_WF_HTTP_CAPTURES)) &&
	    (w->fx.cap401.head == NULL || w->fx.cap200.head == NULL)) {
		snprintf(err, errlen, "http-captures needs the http/ captures "
		    "of the fixtures (--fixtures DIR)");
		return MPS_ERR_USAGE;
	}
	if (w->cfg.log_path != NULL &&
	    (w->log_fd = sim_wsman_log_open(w->cfg.log_path)) < 0) {
		snprintf(err, errlen, "%s: %s", w->cfg.log_path,
		    strerror(errno));
		return MPS_ERR_IO;
	}
	if (ndevs > 0 && (w->amts = calloc(ndevs, sizeof(*w->amts))) == NULL)
		return MPS_ERR_NOMEM;
	w->namts = ndevs;
	return 0;
}

void
sim_wsman_free(struct sim_wsman *w)
{
	uint32_t	i;

	if (!w->ready)
		return;
	w->ready = 0;
	sim_wsman_listen_stop(w);
	for (i = 0; i < w->namts && w->amts != NULL; i++) {
		if (w->amts[i] != NULL)
			sim_amt_clear(w->amts[i]);
		free(w->amts[i]);
	}
	free(w->amts);
	w->amts = NULL;
	w->namts = 0;
	sim_fixture_free(&w->fx);
	if (w->log_fd >= 0)
		close(w->log_fd);
	w->log_fd = -1;
	if (w->tls_ctx != NULL)
		SSL_CTX_free(w->tls_ctx);
	w->tls_ctx = NULL;
}

struct sim_amt *
sim_wsman_amt(struct sim_wsman *w, uint32_t index, const uint8_t uuid[16])
{
	struct sim_amt	*a;

	if (index >= w->namts)
		return NULL;
	if ((a = w->amts[index]) != NULL)
		return a;
	if ((a = malloc(sizeof(*a))) == NULL)
		return NULL;
	sim_amt_init(a, index, uuid, w->cfg.power);
	w->amts[index] = a;
	return a;
}

uint32_t
sim_wsman_dev_faults(const struct sim_wsman *w, uint32_t index)
{
	return index < w->cfg.fault_count ? w->cfg.faults : 0;
}

/* --- tree helpers --- */

static void
sim_wsman_text(xmlNode *n, const char *text)
{
	xmlNodeSetContent(n, NULL);
	/* AddContent stores raw text; it is escaped when serialised. */
	xmlNodeAddContent(n, BAD_CAST text);
}

static const char *
sim_wsman_ns(const xmlNode *n)
{
	return n != NULL && n->ns != NULL && n->ns->href != NULL ?
	    (const char *)n->ns->href : NULL;
}

/* Set every property name of inst (in its namespace); the count. */
static int
sim_wsman_prop_set(xmlNode *inst, const char *name, const char *value)
{
	xmlNode	*c;
	int	 n = 0;

	for (c = wsman_xml_child(inst, sim_wsman_ns(inst), name); c != NULL;
	    c = wsman_xml_next(c, sim_wsman_ns(inst), name)) {
		sim_wsman_text(c, value);
		n++;
	}
	return n;
}

/*
 * Set property name, or add it where AMT would put it: properties are
 * alphabetical, and in a method output ReturnValue comes last.
 */
static int
sim_wsman_prop_put(xmlNode *inst, const char *name, const char *value)
{
	xmlNode	*c, *n;

	if (sim_wsman_prop_set(inst, name, value) > 0)
		return 0;
	if ((n = xmlNewNode(inst->ns, BAD_CAST name)) == NULL)
		return MPS_ERR_NOMEM;
	sim_wsman_text(n, value);
	for (c = inst->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE &&
		    (strcmp((const char *)c->name, "ReturnValue") == 0 ||
		    (strcmp(name, "ReturnValue") != 0 &&
		    strcmp((const char *)c->name, name) > 0)))
			break;
	if (c != NULL)
		xmlAddPrevSibling(c, n);
	else
		xmlAddChild(inst, n);
	return 0;
}

/* Replace the repeated property name with values, in place. */
static void
sim_wsman_prop_array(xmlNode *inst, const char *name, const uint32_t *v,
    size_t nv)
{
	xmlNode	*old, *at, *c, *next, *n;
	char	 num[16];
	size_t	 i;

	/* New values go before the old ones, else in name order; then the
	 * old ones (all after the insertion point) are dropped. */
	old = wsman_xml_child(inst, sim_wsman_ns(inst), name);
	at = old;
	if (at == NULL)
		for (at = inst->children; at != NULL; at = at->next)
			if (at->type == XML_ELEMENT_NODE &&
			    strcmp((const char *)at->name, name) > 0)
				break;
	for (i = 0; i < nv; i++) {
		if ((n = xmlNewNode(inst->ns, BAD_CAST name)) == NULL)
			break;
		snprintf(num, sizeof(num), "%u", v[i]);
		sim_wsman_text(n, num);
		if (at != NULL)
			xmlAddPrevSibling(at, n);
		else
			xmlAddChild(inst, n);
	}
	for (c = old; c != NULL; c = next) {
		next = c->next;
		if (wsman_xml_is(c, sim_wsman_ns(inst), name)) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		}
	}
}

/* Text of the first child name of parent in namespace ns, or "". */
static int
sim_wsman_child_text(const xmlNode *parent, const char *ns, const char *name,
    char *buf, size_t len)
{
	buf[0] = '\0';
	return wsman_xml_text(wsman_xml_child(parent, ns, name), buf, len,
	    WSMAN_TEXT_TRIM);
}

/* The value of selector name anywhere under n (inside an EPR). */
static int
sim_wsman_epr_selector(const xmlNode *n, const char *name, char *buf,
    size_t len)
{
	const xmlNode	*c;
	xmlChar		*attr;
	int		 hit;

	for (c = n != NULL ? n->children : NULL; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (wsman_xml_is(c, WSMAN_NS_WSMAN, "Selector")) {
			attr = xmlGetNoNsProp(c, BAD_CAST "Name");
			hit = attr != NULL &&
			    strcmp((const char *)attr, name) == 0;
			xmlFree(attr);
			if (hit)
				return wsman_xml_text(c, buf, len,
				    WSMAN_TEXT_TRIM);
		} else if (sim_wsman_epr_selector(c, name, buf, len) == 0)
			return 0;
	}
	return MPS_ERR_NOT_FOUND;
}

static int
sim_wsman_u32(const xmlNode *parent, const char *ns, const char *name,
    uint32_t *v)
{
	return wsman_xml_u32(wsman_xml_child(parent, ns, name), v);
}

static int
sim_wsman_i64(const xmlNode *parent, const char *ns, const char *name,
    int64_t *v)
{
	return wsman_xml_i64(wsman_xml_child(parent, ns, name), v);
}

/* --- per-class instance hooks --- */

static void
sim_wsman_h_power(struct sim_wsman_rq *q, xmlNode *inst)
{
	const uint32_t	*avail;
	size_t		 n;
	char		 num[16];

	n = sim_amt_power_available(q->a->power, &avail);
	sim_wsman_prop_array(inst, "AvailableRequestedPowerStates", avail, n);
	snprintf(num, sizeof(num), "%u", q->a->power);
	(void)sim_wsman_prop_put(inst, "PowerState", num);
}

static void
sim_wsman_h_boot(struct sim_wsman_rq *q, xmlNode *inst)
{
	char	v[16];
	int	i;

	for (i = 0; i < SIM_AMT_BF_COUNT; i++) {
		sim_amt_boot_value(q->a, (enum sim_amt_boot_field)i, v,
		    sizeof(v));
		/* Only what this firmware's template has: AMT omits the
		 * properties a platform lacks, and so do we. */
		(void)sim_wsman_prop_set(inst,
		    sim_amt_boot_field_name((enum sim_amt_boot_field)i), v);
	}
	(void)sim_wsman_prop_set(inst, "OptionsCleared",
	    q->a->options_cleared ? "true" : "false");
}

static void
sim_wsman_h_general(struct sim_wsman_rq *q, xmlNode *inst)
{
	char	fqdn[64];

	snprintf(fqdn, sizeof(fqdn), "%s.%s", q->a->name, SIM_WSMAN_DOMAIN);
	(void)sim_wsman_prop_put(inst, "HostName", q->a->name);
	(void)sim_wsman_prop_put(inst, "DigestRealm", q->a->realm);
	(void)sim_wsman_prop_set(inst, "DomainName", SIM_WSMAN_DOMAIN);
	(void)sim_wsman_prop_set(inst, "HostOSFQDN", fqdn);
}

static void
sim_wsman_h_package(struct sim_wsman_rq *q, xmlNode *inst)
{
	static const char	hex[] = "0123456789ABCDEF";
	char			guid[33];
	size_t			i;

	/* The bytes the device sent in APF, in that (SMBIOS) order. */
	for (i = 0; i < 16; i++) {
		guid[2 * i] = hex[q->a->uuid[i] >> 4];
		guid[2 * i + 1] = hex[q->a->uuid[i] & 0x0f];
	}
	guid[32] = '\0';
	(void)sim_wsman_prop_put(inst, "PlatformGUID", guid);
}

static void
sim_wsman_h_swid(struct sim_wsman_rq *q, xmlNode *inst)
{
	static const char *const versions[] = { "AMT", "Flash", "Netstack",
	    "AMTApps", "Recovery Version", "AMT FW Core Version" };
	static const char *const builds[] = { "Build Number",
	    "Recovery Build Num" };
	char	id[128];
	size_t	i;

	if (sim_wsman_child_text(inst, sim_wsman_ns(inst), "InstanceID", id,
	    sizeof(id)) != 0)
		return;
	for (i = 0; i < SIM_WSMAN_NELEM(versions); i++)
		if (strcmp(id, versions[i]) == 0)
			(void)sim_wsman_prop_set(inst, "VersionString",
			    q->w->cfg.version);
	for (i = 0; i < SIM_WSMAN_NELEM(builds); i++)
		if (strcmp(id, builds[i]) == 0)
			(void)sim_wsman_prop_set(inst, "VersionString",
			    q->w->cfg.build);
}

static void
sim_wsman_h_setup(struct sim_wsman_rq *q, xmlNode *inst)
{
	char	num[16];

	snprintf(num, sizeof(num), "%u", q->w->cfg.provisioning_mode);
	(void)sim_wsman_prop_put(inst, "ProvisioningMode", num);
	(void)sim_wsman_prop_put(inst, "ProvisioningState", "2");
}

static void
sim_wsman_hook(struct sim_wsman_rq *q, xmlNode *inst)
{
	size_t	i;

	if (inst == NULL || inst->type != XML_ELEMENT_NODE)
		return;
	for (i = 0; i < SIM_WSMAN_NELEM(sim_wsman_hooks); i++)
		if (strcmp((const char *)inst->name, sim_wsman_hooks[i].cls) ==
		    0)
			sim_wsman_hooks[i].fn(q, inst);
}

/* --- methods --- */

/* The _INPUT element, or NULL (an empty input is legal). */
static xmlNode *
sim_wsman_input(struct sim_wsman_rq *q)
{
	return wsman_xml_is(q->req.payload, q->req.resource_uri, NULL) ?
	    q->req.payload : NULL;
}

static uint32_t
sim_wsman_m_power(struct sim_wsman_rq *q, xmlNode *out)
{
	uint32_t	ps, rv, boots = q->a->boots;

	if (sim_wsman_u32(sim_wsman_input(q), q->req.resource_uri,
	    "PowerState", &ps) != 0)
		return SIM_AMT_RV_INVALID_PARAM;
	rv = sim_amt_power_change(q->a, ps);
	if (rv == SIM_AMT_RV_OK && q->a->boots != boots)
		q->call->booted = sim_amt_boot_name(q->a->last_boot);
	return rv;
}

static uint32_t
sim_wsman_m_boot_order(struct sim_wsman_rq *q, xmlNode *out)
{
	xmlNode	*src;
	char	 id[256];

	src = wsman_xml_child(sim_wsman_input(q), q->req.resource_uri,
	    "Source");
	/* No Source at all clears the boot source. */
	if (src == NULL)
		return sim_amt_change_boot_order(q->a, NULL);
	if (sim_wsman_epr_selector(src, "InstanceID", id, sizeof(id)) != 0)
		return SIM_AMT_RV_INVALID_REF;
	return sim_amt_change_boot_order(q->a, id);
}

static uint32_t
sim_wsman_m_boot_role(struct sim_wsman_rq *q, xmlNode *out)
{
	xmlNode		*in = sim_wsman_input(q), *cfg;
	char		 id[256];
	uint32_t	 role;

	cfg = wsman_xml_child(in, q->req.resource_uri, "BootConfigSetting");
	if (cfg == NULL || sim_wsman_epr_selector(cfg, "InstanceID", id,
	    sizeof(id)) != 0)
		return SIM_AMT_RV_INVALID_REF;
	if (sim_wsman_u32(in, q->req.resource_uri, "Role", &role) != 0)
		return SIM_AMT_RV_INVALID_PARAM;
	return sim_amt_set_boot_role(q->a, id, role);
}

static uint32_t
sim_wsman_m_time_get(struct sim_wsman_rq *q, xmlNode *out)
{
	char	num[32];

	q->a->last_ta0 = (int64_t)time(NULL) + q->a->clock_offset;
	snprintf(num, sizeof(num), "%lld", (long long)q->a->last_ta0);
	return sim_wsman_prop_put(out, "Ta0", num) == 0 ? SIM_AMT_RV_OK :
	    SIM_AMT_PT_INVALID_PARAMETER;
}

static uint32_t
sim_wsman_m_time_set(struct sim_wsman_rq *q, xmlNode *out)
{
	xmlNode	*in = sim_wsman_input(q);
	int64_t	 ta0, tm1, tm2;

	/* AMT_* methods return PT_STATUS: 36 is INVALID_PARAMETER. */
	if (sim_wsman_i64(in, q->req.resource_uri, "Ta0", &ta0) != 0 ||
	    sim_wsman_i64(in, q->req.resource_uri, "Tm1", &tm1) != 0 ||
	    sim_wsman_i64(in, q->req.resource_uri, "Tm2", &tm2) != 0 ||
	    tm1 < 0 || tm2 < 0)
		return SIM_AMT_PT_INVALID_PARAMETER;
	/* The device clock now reads what the console sent. */
	q->a->clock_offset = tm2 - (int64_t)time(NULL);
	return SIM_AMT_RV_OK;
}

static uint32_t
sim_wsman_m_uuid(struct sim_wsman_rq *q, xmlNode *out)
{
	unsigned char	b64[32];

	if (EVP_EncodeBlock(b64, q->a->uuid, 16) != 24)
		return 1;
	return sim_wsman_prop_put(out, "UUID", (const char *)b64) == 0 ?
	    SIM_AMT_RV_OK : 1;
}

/* --- building responses --- */

/* The payload element of a response document's Body. */
static xmlNode *
sim_wsman_payload(xmlDoc *doc)
{
	xmlNode	*body;

	body = wsman_xml_child(xmlDocGetRootElement(doc), WSMAN_NS_SOAP,
	    "Body");
	return wsman_xml_child(body, NULL, NULL);
}

static xmlNode *
sim_wsman_body(xmlDoc *doc)
{
	return wsman_xml_child(xmlDocGetRootElement(doc), WSMAN_NS_SOAP,
	    "Body");
}

/* The namespace href on doc's root (declared with prefix if missing). */
static xmlNs *
sim_wsman_root_ns(xmlDoc *doc, const char *href, const char *prefix)
{
	xmlNode	*root = xmlDocGetRootElement(doc);
	xmlNs	*ns;
	char	 p[8];
	int	 i;

	if ((ns = xmlSearchNsByHref(doc, root, BAD_CAST href)) != NULL)
		return ns;
	/* A prefix nobody else uses in this envelope. */
	snprintf(p, sizeof(p), "%s", prefix);
	for (i = 0; xmlSearchNs(doc, root, BAD_CAST p) != NULL && i < 26;
	    i++)
		snprintf(p, sizeof(p), "%c%c", prefix[0], 'a' + i);
	return xmlNewNs(root, BAD_CAST href, BAD_CAST p);
}

static xmlDoc *
sim_wsman_copy(const struct sim_fixture *fx)
{
	return xmlCopyDoc(fx->doc, 1);
}

/* Replace the Body's content with a copy of inst (from another doc). */
static xmlNode *
sim_wsman_set_payload(xmlDoc *doc, const xmlNode *inst)
{
	xmlNode	*body = sim_wsman_body(doc), *copy;

	xmlNodeSetContent(body, NULL);
	if ((copy = xmlDocCopyNode((xmlNode *)inst, doc, 1)) == NULL)
		return NULL;
	xmlAddChild(body, copy);
	xmlReconciliateNs(doc, copy);
	return copy;
}

/* Rewrite the header for this exchange and serialise. */
static int
sim_wsman_finish(struct sim_wsman_rq *q, const char *action,
    struct sim_wsman_reply *rep)
{
	xmlNode		*root = xmlDocGetRootElement(q->doc), *hdr, *n;
	xmlNs		*addr;
	xmlChar		*mem = NULL;
	char		 id[64], *nl;
	int		 size = 0;

	if ((hdr = wsman_xml_child(root, WSMAN_NS_SOAP, "Header")) == NULL)
		return MPS_ERR_INTERNAL;
	addr = sim_wsman_root_ns(q->doc, WSMAN_NS_ADDR, "b");
	snprintf(id, sizeof(id), "uuid:00000000-8086-8086-8086-%012llX",
	    (unsigned long long)(((uint64_t)q->a->index << 24 |
	    ++q->a->msg_seq) & 0xffffffffffffULL));
	if ((n = wsman_xml_child(hdr, WSMAN_NS_ADDR, "RelatesTo")) == NULL)
		n = xmlNewChild(hdr, addr, BAD_CAST "RelatesTo", NULL);
	if (n != NULL)
		sim_wsman_text(n, q->req.message_id);
	if ((n = wsman_xml_child(hdr, WSMAN_NS_ADDR, "MessageID")) == NULL)
		n = xmlNewChild(hdr, addr, BAD_CAST "MessageID", NULL);
	if (n != NULL)
		sim_wsman_text(n, id);
	if ((n = wsman_xml_child(hdr, WSMAN_NS_ADDR, "Action")) == NULL)
		n = xmlNewChild(hdr, addr, BAD_CAST "Action", NULL);
	if (n != NULL)
		sim_wsman_text(n, action);
	if ((n = wsman_xml_child(hdr, WSMAN_NS_WSMAN, "ResourceURI")) != NULL)
		sim_wsman_text(n, q->req.resource_uri);
	xmlDocDumpMemoryEnc(q->doc, &mem, &size, "UTF-8");
	if (mem == NULL || size <= 0)
		return MPS_ERR_NOMEM;
	/* AMT writes the declaration and the envelope on one line, and
	 * nothing after it. */
	while (size > 0 && mem[size - 1] == '\n')
		size--;
	rep->len = (size_t)size;
	if ((rep->body = malloc(rep->len + 1)) == NULL) {
		xmlFree(mem);
		return MPS_ERR_NOMEM;
	}
	memcpy(rep->body, mem, rep->len);
	rep->body[rep->len] = '\0';
	if ((nl = strstr(rep->body, "?>\n")) != NULL && nl - rep->body < 64) {
		memmove(nl + 2, nl + 3, rep->len - (size_t)(nl + 3 -
		    rep->body) + 1);
		rep->len--;
	}
	xmlFree(mem);
	rep->status = 200;
	return 0;
}

/* A SOAP fault; Sender faults are HTTP 400, Receiver ones 500. */
static int
sim_wsman_fault(struct sim_wsman_rq *q, const char *code, const char *ns,
    const char *subcode, const char *reason, struct sim_wsman_reply *rep)
{
	int	r;

	r = wsman_build_fault(q->req.message_id[0] != '\0' ?
	    q->req.message_id : NULL, code, ns, subcode, reason, NULL,
	    &rep->body, &rep->len);
	if (r != 0)
		return r;
	rep->status = strcmp(code, "Receiver") == 0 ? 500 : 400;
	snprintf(q->call->fault, sizeof(q->call->fault), "%s", subcode);
	return 0;
}

static int
sim_wsman_unreachable(struct sim_wsman_rq *q, struct sim_wsman_reply *rep)
{
	return sim_wsman_fault(q, "Sender", WSMAN_NS_ADDR,
	    "DestinationUnreachable", "No route can be determined to reach "
	    "the destination role defined by the WS-Addressing To.", rep);
}

static int
sim_wsman_unsupported(struct sim_wsman_rq *q, struct sim_wsman_reply *rep)
{
	return sim_wsman_fault(q, "Sender", WSMAN_NS_ADDR,
	    "ActionNotSupported", "The action is not supported by the "
	    "service.", rep);
}

static int
sim_wsman_bad_context(struct sim_wsman_rq *q, struct sim_wsman_reply *rep)
{
	return sim_wsman_fault(q, "Sender", WSMAN_NS_ENUM,
	    "InvalidEnumerationContext", "The supplied enumeration context "
	    "is invalid.", rep);
}

static int
sim_wsman_bad_representation(struct sim_wsman_rq *q,
    struct sim_wsman_reply *rep)
{
	return sim_wsman_fault(q, "Sender", WSMAN_NS_XFER,
	    "InvalidRepresentation", "The XML content is not valid for the "
	    "resource.", rep);
}

/* The response action for the request's action. */
static void
sim_wsman_response_action(const struct sim_wsman_rq *q, char *buf,
    size_t len)
{
	snprintf(buf, len, "%sResponse", q->req.action_uri);
}

/* 1 if inst matches every selector it has a property for. */
static int
sim_wsman_matches(const struct sim_wsman_rq *q, const xmlNode *inst)
{
	xmlNode	*p;
	char	 v[256];
	size_t	 i;

	for (i = 0; i < q->req.nselectors; i++) {
		/* A key that is no property (SystemName on some classes)
		 * cannot disagree. */
		p = wsman_xml_child(inst, sim_wsman_ns(inst),
		    q->req.selectors[i].name);
		if (p == NULL)
			continue;
		if (wsman_xml_text(p, v, sizeof(v), WSMAN_TEXT_TRIM) != 0 ||
		    strcmp(v, q->req.selectors[i].value) != 0)
			return 0;
	}
	return 1;
}

/* The Items element of a PullResponse document. */
static xmlNode *
sim_wsman_items(xmlDoc *doc)
{
	return wsman_xml_child(wsman_xml_child(sim_wsman_body(doc),
	    WSMAN_NS_ENUM, "PullResponse"), WSMAN_NS_ENUM, "Items");
}

static int
sim_wsman_get(struct sim_wsman_rq *q, struct sim_wsman_reply *rep)
{
	const struct sim_fixture	*get, *pull;
	xmlNode				*item, *inst = NULL;
	char				 action[SIM_WSMAN_ACTION_LEN];

	get = sim_fixture_find(&q->w->fx, q->req.resource_uri, "Get");
	pull = sim_fixture_find(&q->w->fx, q->req.resource_uri, "Pull");
	if (get == NULL && pull == NULL)
		return sim_wsman_unsupported(q, rep);
	if (get != NULL && (q->req.nselectors == 0 ||
	    sim_wsman_matches(q, sim_wsman_payload(get->doc)))) {
		if ((q->doc = sim_wsman_copy(get)) == NULL)
			return MPS_ERR_NOMEM;
		inst = sim_wsman_payload(q->doc);
	} else if (pull != NULL) {
		/* Multi-instance class: the Pull template's instance the
		 * selectors pick (the first one without selectors). */
		for (item = wsman_xml_child(sim_wsman_items(pull->doc), NULL,
		    NULL); item != NULL; item = wsman_xml_next(item, NULL,
		    NULL))
			if (sim_wsman_matches(q, item))
				break;
		if (item == NULL)
			return sim_wsman_fault(q, "Sender", WSMAN_NS_WSMAN,
			    "InvalidSelectors", "The selectors for the "
			    "resource are not valid.", rep);
		q->doc = get != NULL ? sim_wsman_copy(get) :
		    sim_fixture_skeleton(q->req.resource_uri, "");
		if (q->doc == NULL ||
		    (inst = sim_wsman_set_payload(q->doc, item)) == NULL)
			return MPS_ERR_NOMEM;
	} else
		return sim_wsman_fault(q, "Sender", WSMAN_NS_WSMAN,
		    "InvalidSelectors", "The selectors for the resource are "
		    "not valid.", rep);
	sim_wsman_hook(q, inst);
	sim_wsman_response_action(q, action, sizeof(action));
	return sim_wsman_finish(q, action, rep);
}

/*
 * The properties of an AMT_BootSettingData Put: checked on a scratch copy
 * of the machine (store 0) or stored (store 1).  MPS_ERR_INVALID for a
 * value of the wrong type.
 */
static int
sim_wsman_boot_put(struct sim_wsman_rq *q, const xmlNode *in, int store)
{
	struct sim_amt	 probe = *q->a;
	xmlNode		*c;
	char		 v[256];

	for (c = wsman_xml_child(in, q->req.resource_uri, NULL); c != NULL;
	    c = wsman_xml_next(c, q->req.resource_uri, NULL)) {
		if (wsman_xml_text(c, v, sizeof(v), WSMAN_TEXT_TRIM) != 0 ||
		    sim_amt_boot_put(store ? q->a : &probe,
		    (const char *)c->name, v) != 0)
			return MPS_ERR_INVALID;
	}
	return 0;
}

static int
sim_wsman_put(struct sim_wsman_rq *q, struct sim_wsman_reply *rep)
{
	const struct sim_fixture	*get;
	xmlNode				*in = sim_wsman_input(q), *inst;
	char				 action[SIM_WSMAN_ACTION_LEN];

	if (in == NULL)
		return sim_wsman_bad_representation(q, rep);
	get = sim_fixture_find(&q->w->fx, q->req.resource_uri, "Get");
	if (strcmp((const char *)in->name, "AMT_BootSettingData") == 0) {
		/* Check everything, then store: a bad Put changes nothing. */
		if (sim_wsman_boot_put(q, in, 0) != 0)
			return sim_wsman_bad_representation(q, rep);
		(void)sim_wsman_boot_put(q, in, 1);
		if (get == NULL)
			return sim_wsman_unsupported(q, rep);
		if ((q->doc = sim_wsman_copy(get)) == NULL)
			return MPS_ERR_NOMEM;
		inst = sim_wsman_payload(q->doc);
	} else {
		/* Other classes: answer the instance as sent, which is what
		 * AMT's PutResponse holds after a successful Put. */
		if (get == NULL && !sim_fixture_find(&q->w->fx,
		    q->req.resource_uri, "Put"))
			return sim_wsman_unsupported(q, rep);
		q->doc = sim_fixture_skeleton(q->req.resource_uri, "");
		if (q->doc == NULL ||
		    (inst = sim_wsman_set_payload(q->doc, in)) == NULL)
			return MPS_ERR_NOMEM;
	}
	sim_wsman_hook(q, inst);
	sim_wsman_response_action(q, action, sizeof(action));
	return sim_wsman_finish(q, action, rep);
}

static int
sim_wsman_delete(struct sim_wsman_rq *q, struct sim_wsman_reply *rep)
{
	const struct sim_fixture	*fx;
	char				 action[SIM_WSMAN_ACTION_LEN];

	fx = sim_fixture_find(&q->w->fx, q->req.resource_uri, "Delete");
	if (fx == NULL)
		return sim_wsman_unsupported(q, rep);
	if ((q->doc = sim_wsman_copy(fx)) == NULL)
		return MPS_ERR_NOMEM;
	sim_wsman_response_action(q, action, sizeof(action));
	return sim_wsman_finish(q, action, rep);
}

static int
sim_wsman_enumerate(struct sim_wsman_rq *q, struct sim_wsman_reply *rep,
    uint64_t now_ms)
{
	const struct sim_fixture	*src, *en;
	struct sim_amt_enum		*e;
	xmlNode				*resp, *ctx;
	xmlNs				*ns;
	char				 action[SIM_WSMAN_ACTION_LEN];

	src = sim_fixture_find(&q->w->fx, q->req.resource_uri, "Pull");
	if (src == NULL)
		src = sim_fixture_find(&q->w->fx, q->req.resource_uri, "Get");
	if (src == NULL)
		return sim_wsman_unsupported(q, rep);
	if ((e = sim_amt_enum_open(q->a, src, q->req.resource_uri,
	    now_ms)) == NULL)
		return MPS_ERR_NOMEM;
	en = sim_fixture_find(&q->w->fx, q->req.resource_uri, "Enumerate");
	if (en != NULL) {
		if ((q->doc = sim_wsman_copy(en)) == NULL)
			return MPS_ERR_NOMEM;
		resp = wsman_xml_child(sim_wsman_body(q->doc), WSMAN_NS_ENUM,
		    "EnumerateResponse");
		ctx = wsman_xml_child(resp, WSMAN_NS_ENUM,
		    "EnumerationContext");
	} else {
		if ((q->doc = sim_fixture_skeleton(q->req.resource_uri,
		    "")) == NULL)
			return MPS_ERR_NOMEM;
		ns = sim_wsman_root_ns(q->doc, WSMAN_NS_ENUM, "g");
		resp = xmlNewChild(sim_wsman_body(q->doc), ns,
		    BAD_CAST "EnumerateResponse", NULL);
		ctx = resp != NULL ? xmlNewChild(resp, ns,
		    BAD_CAST "EnumerationContext", NULL) : NULL;
	}
	if (ctx == NULL)
		return MPS_ERR_INTERNAL;
	sim_wsman_text(ctx, e->ctx);
	sim_wsman_response_action(q, action, sizeof(action));
	return sim_wsman_finish(q, action, rep);
}

static int
sim_wsman_pull(struct sim_wsman_rq *q, struct sim_wsman_reply *rep,
    uint64_t now_ms)
{
	struct sim_amt_enum	*e;
	xmlNode			*pr, *items, *c, *next, *n;
	xmlNs			*ns;
	uint32_t		 max = 1, i = 0, kept = 0, total;
	char			 action[SIM_WSMAN_ACTION_LEN];

	e = sim_amt_enum_find(q->a, q->req.context);
	if (e == NULL || strcmp(e->uri, q->req.resource_uri) != 0)
		return sim_wsman_bad_context(q, rep);
	e->used_ms = now_ms;
	/* WS-Enumeration: MaxElements defaults to 1. */
	if (wsman_xml_child(q->req.payload, WSMAN_NS_ENUM, "MaxElements") !=
	    NULL && (sim_wsman_u32(q->req.payload, WSMAN_NS_ENUM,
	    "MaxElements", &max) != 0 || max == 0))
		return sim_wsman_fault(q, "Sender", WSMAN_NS_WSMAN,
		    "SchemaValidationError", "MaxElements is not a positive "
		    "number.", rep);
	if (max > SIM_WSMAN_MAX_PAGE)
		max = SIM_WSMAN_MAX_PAGE;
	if (strcmp(e->fx->op, "Pull") == 0) {
		if ((q->doc = sim_wsman_copy(e->fx)) == NULL)
			return MPS_ERR_NOMEM;
		items = sim_wsman_items(q->doc);
		pr = items != NULL ? items->parent : NULL;
	} else {
		/* A singleton enumerates as its one instance. */
		if ((q->doc = sim_fixture_skeleton(q->req.resource_uri,
		    "")) == NULL)
			return MPS_ERR_NOMEM;
		ns = sim_wsman_root_ns(q->doc, WSMAN_NS_ENUM, "g");
		pr = xmlNewChild(sim_wsman_body(q->doc), ns,
		    BAD_CAST "PullResponse", NULL);
		items = pr != NULL ? xmlNewChild(pr, ns, BAD_CAST "Items",
		    NULL) : NULL;
		if (items != NULL) {
			n = xmlDocCopyNode(sim_wsman_payload(e->fx->doc),
			    q->doc, 1);
			if (n == NULL)
				return MPS_ERR_NOMEM;
			xmlAddChild(items, n);
			xmlReconciliateNs(q->doc, n);
		}
	}
	if (pr == NULL || items == NULL)
		return MPS_ERR_INTERNAL;
	/* Keep this page's items, written from the machine's state. */
	for (c = items->children; c != NULL; c = next) {
		next = c->next;
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (i < e->offset || i >= e->offset + max) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		} else {
			sim_wsman_hook(q, c);
			kept++;
		}
		i++;
	}
	total = i;
	for (c = pr->children; c != NULL; c = next) {
		next = c->next;
		if (wsman_xml_is(c, WSMAN_NS_ENUM, "EnumerationContext") ||
		    wsman_xml_is(c, WSMAN_NS_ENUM, "EndOfSequence")) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		}
	}
	e->offset += kept;
	if (e->offset < total) {
		/* More to come: the context goes before Items. */
		if ((n = xmlNewNode(items->ns, BAD_CAST "EnumerationContext"))
		    == NULL)
			return MPS_ERR_NOMEM;
		sim_wsman_text(n, e->ctx);
		xmlAddPrevSibling(items, n);
	} else {
		if (xmlNewChild(pr, items->ns, BAD_CAST "EndOfSequence",
		    NULL) == NULL)
			return MPS_ERR_NOMEM;
		sim_amt_enum_close(e);
	}
	sim_wsman_response_action(q, action, sizeof(action));
	return sim_wsman_finish(q, action, rep);
}

static int
sim_wsman_release(struct sim_wsman_rq *q, struct sim_wsman_reply *rep)
{
	struct sim_amt_enum	*e;
	char			 action[SIM_WSMAN_ACTION_LEN];

	e = sim_amt_enum_find(q->a, q->req.context);
	if (e == NULL || strcmp(e->uri, q->req.resource_uri) != 0)
		return sim_wsman_bad_context(q, rep);
	sim_amt_enum_close(e);
	if ((q->doc = sim_fixture_skeleton(q->req.resource_uri, "")) == NULL)
		return MPS_ERR_NOMEM;
	sim_wsman_response_action(q, action, sizeof(action));
	return sim_wsman_finish(q, action, rep);
}

static int
sim_wsman_invoke(struct sim_wsman_rq *q, struct sim_wsman_reply *rep)
{
	const struct sim_fixture	*fx;
	sim_wsman_method_fn		*fn = NULL;
	xmlNode				*out;
	xmlNs				*ns;
	char				 name[WSMAN_MAX_NAME + 16], num[16];
	char				 action[SIM_WSMAN_ACTION_LEN];
	uint32_t			 rv = 0;
	size_t				 i;

	for (i = 0; i < SIM_WSMAN_NELEM(sim_wsman_methods); i++)
		if (strcmp(sim_wsman_methods[i].uri,
		    q->req.resource_uri) == 0 &&
		    strcmp(sim_wsman_methods[i].method, q->req.method) == 0)
			fn = sim_wsman_methods[i].fn;
	fx = sim_fixture_find(&q->w->fx, q->req.resource_uri, q->req.method);
	if (fn == NULL && fx == NULL)
		return sim_wsman_unsupported(q, rep);
	snprintf(name, sizeof(name), "%s_OUTPUT", q->req.method);
	if (fx != NULL) {
		if ((q->doc = sim_wsman_copy(fx)) == NULL)
			return MPS_ERR_NOMEM;
		out = sim_wsman_payload(q->doc);
	} else {
		if ((q->doc = sim_fixture_skeleton(q->req.resource_uri,
		    "")) == NULL)
			return MPS_ERR_NOMEM;
		ns = sim_wsman_root_ns(q->doc, q->req.resource_uri, "g");
		out = xmlNewChild(sim_wsman_body(q->doc), ns, BAD_CAST name,
		    NULL);
		if (out != NULL && sim_wsman_prop_put(out, "ReturnValue",
		    "0") != 0)
			out = NULL;
	}
	if (out == NULL)
		return MPS_ERR_NOMEM;
	if (q->faults & (1u << SIM_WF_RETURN_VALUE))
		/* A failing method changes nothing. */
		rv = q->w->cfg.fault_rv;
	else if (fn != NULL)
		rv = fn(q, out);
	else if (sim_wsman_u32(out, sim_wsman_ns(out), "ReturnValue", &rv) !=
	    0)
		rv = 0;
	snprintf(num, sizeof(num), "%u", rv);
	if (sim_wsman_prop_put(out, "ReturnValue", num) != 0)
		return MPS_ERR_NOMEM;
	q->call->has_rv = 1;
	q->call->rv = rv;
	snprintf(action, sizeof(action), "%s/%sResponse",
	    q->req.resource_uri, q->req.method);
	return sim_wsman_finish(q, action, rep);
}

/* Method parameters for the log: text, or an EPR's key selector. */
static void
sim_wsman_log_params(struct sim_wsman_rq *q)
{
	struct sim_wsman_call	*call = q->call;
	xmlNode			*in = sim_wsman_input(q), *c;

	for (c = wsman_xml_child(in, NULL, NULL); c != NULL &&
	    call->npar < SIM_WSMAN_LOG_PARAMS; c = wsman_xml_next(c, NULL,
	    NULL)) {
		sim_wsman_strlcpy(call->par_name[call->npar],
		    (const char *)c->name, sizeof(call->par_name[0]));
		if (wsman_xml_child(c, NULL, NULL) != NULL) {
			if (sim_wsman_epr_selector(c, "InstanceID",
			    call->par_value[call->npar],
			    sizeof(call->par_value[0])) != 0 &&
			    sim_wsman_epr_selector(c, "Name",
			    call->par_value[call->npar],
			    sizeof(call->par_value[0])) != 0)
				snprintf(call->par_value[call->npar],
				    sizeof(call->par_value[0]), "(EPR)");
		} else if (wsman_xml_text(c, call->par_value[call->npar],
		    sizeof(call->par_value[0]), WSMAN_TEXT_TRIM |
		    WSMAN_TEXT_TRUNCATE) != 0)
			call->par_value[call->npar][0] = '\0';
		call->npar++;
	}
}

static void
sim_wsman_describe_req(const struct wsman_req_info *req,
    struct sim_wsman_call *call)
{
	size_t	i;

	call->method = wsman_action_str(req->action);
	sim_wsman_strlcpy(call->resource, req->resource_uri,
	    sizeof(call->resource));
	sim_wsman_strlcpy(call->action, req->action_uri, sizeof(call->action));
	call->nsel = 0;
	for (i = 0; i < req->nselectors && i < 8; i++) {
		sim_wsman_strlcpy(call->sel_name[i], req->selectors[i].name,
		    sizeof(call->sel_name[0]));
		sim_wsman_strlcpy(call->sel_value[i], req->selectors[i].value,
		    sizeof(call->sel_value[0]));
		call->nsel++;
	}
}

void
sim_wsman_describe(const char *body, size_t len, struct sim_wsman_call *call)
{
	struct wsman_req_info	req;

	memset(&req, 0, sizeof(req));
	if (len > 0 && wsman_req_parse(&req, body, len) == 0)
		sim_wsman_describe_req(&req, call);
	wsman_req_free(&req);
}

static uint64_t
sim_wsman_now_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
sim_wsman_handle(struct sim_wsman *w, struct sim_amt *a, uint32_t faults,
    const char *body, size_t len, struct sim_wsman_reply *rep,
    struct sim_wsman_call *call)
{
	struct sim_wsman_rq	 q;
	xmlDoc			*doc;
	char			 act[16];
	size_t			 i;
	int			 r, known;
	uint64_t		 now = sim_wsman_now_ms();

	memset(&q, 0, sizeof(q));
	memset(rep, 0, sizeof(*rep));
	q.w = w;
	q.a = a;
	q.faults = faults;
	q.call = call;
	if ((r = wsman_req_parse(&q.req, body, len)) != 0) {
		if (r == MPS_ERR_NOMEM)
			return r;
		/* Well-formed XML with an action we do not parse (Create,
		 * Subscribe...) is unsupported; anything else is invalid. */
		act[0] = '\0';
		if (wsman_xml_read(body, len, &doc) == 0) {
			(void)wsman_xml_text(wsman_xml_child(wsman_xml_child(
			    xmlDocGetRootElement(doc), WSMAN_NS_SOAP,
			    "Header"), WSMAN_NS_ADDR, "Action"), act,
			    sizeof(act), WSMAN_TEXT_TRIM | WSMAN_TEXT_TRUNCATE);
			xmlFreeDoc(doc);
		}
		r = act[0] != '\0' ? sim_wsman_unsupported(&q, rep) :
		    sim_wsman_fault(&q, "Sender", WSMAN_NS_WSMAN,
		    "SchemaValidationError", "The request is not a valid "
		    "WS-Management message.", rep);
		goto out;
	}
	sim_wsman_describe_req(&q.req, call);
	if (q.req.action == WSMAN_INVOKE)
		sim_wsman_log_params(&q);
	if (faults & (1u << SIM_WF_DEST_UNREACHABLE)) {
		r = sim_wsman_unreachable(&q, rep);
		goto out;
	}
	known = sim_fixture_known(&w->fx, q.req.resource_uri);
	for (i = 0; i < SIM_WSMAN_NELEM(sim_wsman_methods) && !known; i++)
		known = strcmp(sim_wsman_methods[i].uri,
		    q.req.resource_uri) == 0;
	if (!known) {
		r = sim_wsman_unreachable(&q, rep);
		goto out;
	}
	switch (q.req.action) {
	case WSMAN_GET:
		r = sim_wsman_get(&q, rep);
		break;
	case WSMAN_PUT:
		r = sim_wsman_put(&q, rep);
		break;
	case WSMAN_DELETE:
		r = sim_wsman_delete(&q, rep);
		break;
	case WSMAN_ENUMERATE:
		r = sim_wsman_enumerate(&q, rep, now);
		break;
	case WSMAN_PULL:
		r = sim_wsman_pull(&q, rep, now);
		break;
	case WSMAN_RELEASE:
		r = sim_wsman_release(&q, rep);
		break;
	case WSMAN_INVOKE:
		r = sim_wsman_invoke(&q, rep);
		break;
	default:
		r = sim_wsman_unsupported(&q, rep);
		break;
	}
	/* A template we cannot use is our problem, not the peer's: answer
	 * as AMT does when it fails inside, and keep the connection. */
	if (r != 0 && r != MPS_ERR_NOMEM) {
		free(rep->body);
		memset(rep, 0, sizeof(*rep));
		r = sim_wsman_fault(&q, "Receiver", WSMAN_NS_WSMAN,
		    "InternalError", "The device could not build its answer.",
		    rep);
	}
out:
	if (q.doc != NULL)
		xmlFreeDoc(q.doc);
	wsman_req_free(&q.req);
	if (r != 0) {
		free(rep->body);
		memset(rep, 0, sizeof(*rep));
	}
	call->status = rep->status;
	return r;
}
