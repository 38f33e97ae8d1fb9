/*
 * wsman.c: request envelopes.
 *
 * The header follows what Open AMT sends (Action, To, ResourceURI,
 * MessageID, ReplyTo, OperationTimeout, then the optional SelectorSet),
 * without mustUnderstand, MaxEnvelopeSize or OptionSet, which AMT either
 * does not need or rejects.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "mps_err.h"
#include "wsman.h"
#include "wsman_buf.h"

static const char *const wsman_action_names[] = {
	[WSMAN_GET] = "Get",
	[WSMAN_PUT] = "Put",
	[WSMAN_DELETE] = "Delete",
	[WSMAN_ENUMERATE] = "Enumerate",
	[WSMAN_PULL] = "Pull",
	[WSMAN_RELEASE] = "Release",
	[WSMAN_INVOKE] = "Invoke",
};

const char *
wsman_action_str(enum wsman_action a)
{
	if ((unsigned)a >= sizeof wsman_action_names /
	    sizeof wsman_action_names[0])
		return "unknown";
	return wsman_action_names[a];
}

int
wsman_ctx_init(struct wsman_ctx *ctx, uint64_t id_prefix, const char *to)
{
	size_t n;

	memset(ctx, 0, sizeof *ctx);
	ctx->id_prefix = id_prefix;
	if (to == NULL)
		to = WSMAN_DEFAULT_TO;
	n = strlen(to);
	if (n == 0 || n >= sizeof ctx->to || !wsman_buf_text_ok(to, n))
		return MPS_ERR_USAGE;
	memcpy(ctx->to, to, n + 1);
	return 0;
}

int
wsman_ctx_next_id(struct wsman_ctx *ctx, char *buf, size_t len)
{
	uint64_t p = ctx->id_prefix, s = ctx->id_seq++;
	int n;

	n = snprintf(buf, len, "uuid:%08" PRIx32 "-%04" PRIx32 "-%04" PRIx32
	    "-%04" PRIx32 "-%012" PRIx64,
	    (uint32_t)(p >> 32), (uint32_t)((p >> 16) & 0xffff),
	    (uint32_t)(p & 0xffff), (uint32_t)(s >> 48),
	    s & UINT64_C(0xffffffffffff));
	if (n < 0 || (size_t)n >= len)
		return MPS_ERR_NO_SPACE;
	return 0;
}

/* XML Name restricted to ASCII, which covers every CIM identifier. */
static int
wsman_name_ok(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || strlen(s) > WSMAN_MAX_NAME)
		return 0;
	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-' && s[i] != '.')
			return 0;
	return 1;
}

int
wsman_resource_uri(const char *class_or_uri, char *buf, size_t len)
{
	const char *base;
	int n;

	if (class_or_uri == NULL || len == 0)
		return MPS_ERR_USAGE;
	if (strncmp(class_or_uri, "http://", 7) == 0 ||
	    strncmp(class_or_uri, "https://", 8) == 0) {
		n = (int)strlen(class_or_uri);
		if ((size_t)n > WSMAN_MAX_URI ||
		    !wsman_buf_text_ok(class_or_uri, (size_t)n))
			return MPS_ERR_USAGE;
		base = "";
	} else {
		if (!wsman_name_ok(class_or_uri))
			return MPS_ERR_USAGE;
		if (strncmp(class_or_uri, "CIM_", 4) == 0)
			base = WSMAN_URI_CIM;
		else if (strncmp(class_or_uri, "AMT_", 4) == 0)
			base = WSMAN_URI_AMT;
		else if (strncmp(class_or_uri, "IPS_", 4) == 0)
			base = WSMAN_URI_IPS;
		else
			return MPS_ERR_USAGE;
	}
	n = snprintf(buf, len, "%s%s", base, class_or_uri);
	if (n < 0 || (size_t)n >= len)
		return MPS_ERR_USAGE;
	return 0;
}

static void
wsman_add_element(struct wsman_buf *b, const char *qname, const char *text)
{
	wsman_buf_adds(b, "<");
	wsman_buf_adds(b, qname);
	wsman_buf_adds(b, ">");
	wsman_buf_add_text(b, text);
	wsman_buf_adds(b, "</");
	wsman_buf_adds(b, qname);
	wsman_buf_adds(b, ">");
}

static int
wsman_selectors_ok(const struct wsman_selector *sel, size_t n)
{
	size_t i;

	if (n > WSMAN_MAX_SELECTORS || (n > 0 && sel == NULL))
		return 0;
	for (i = 0; i < n; i++)
		if (!wsman_name_ok(sel[i].name) || sel[i].value == NULL)
			return 0;
	return 1;
}

static void
wsman_add_selectors(struct wsman_buf *b, const struct wsman_selector *sel,
    size_t n)
{
	size_t i;

	wsman_buf_adds(b, "<w:SelectorSet>");
	for (i = 0; i < n; i++) {
		/* The Name attribute is unqualified, as AMT expects. */
		wsman_buf_adds(b, "<w:Selector Name=\"");
		wsman_buf_adds(b, sel[i].name);
		wsman_buf_adds(b, "\">");
		wsman_buf_add_text(b, sel[i].value);
		wsman_buf_adds(b, "</w:Selector>");
	}
	wsman_buf_adds(b, "</w:SelectorSet>");
}

int
wsman_epr_build(const char *resource_uri, const struct wsman_selector *sel,
    size_t nsel, char **out, size_t *len)
{
	struct wsman_buf b;

	*out = NULL;
	if (resource_uri == NULL || !wsman_selectors_ok(sel, nsel))
		return MPS_ERR_USAGE;
	wsman_buf_init(&b, WSMAN_MAX_BODY);
	wsman_add_element(&b, "a:Address", WSMAN_ANONYMOUS);
	wsman_buf_adds(&b, "<a:ReferenceParameters>");
	wsman_add_element(&b, "w:ResourceURI", resource_uri);
	if (nsel > 0)
		wsman_add_selectors(&b, sel, nsel);
	wsman_buf_adds(&b, "</a:ReferenceParameters>");
	return wsman_buf_finish(&b, out, len);
}

/*
 * Re-serialise the caller's Put instance after checking it is one
 * element of the class being Put.  Parsing it with the response rules
 * keeps DTDs and broken markup out of what we send.
 */
static int
wsman_put_instance(const struct wsman_request *req, char **frag)
{
	xmlDoc *doc;
	xmlNode *root;
	int r;

	*frag = NULL;
	if (req->instance == NULL || req->instance_len == 0)
		return MPS_ERR_USAGE;
	if ((r = wsman_xml_read(req->instance, req->instance_len, &doc)) != 0)
		return r == MPS_ERR_TOO_LARGE ? r : MPS_ERR_USAGE;
	root = xmlDocGetRootElement(doc);
	if (!wsman_xml_is(root, req->resource_uri, NULL))
		r = MPS_ERR_USAGE;
	else
		r = wsman_xml_fragment(root, frag, NULL);
	xmlFreeDoc(doc);
	return r;
}

static int
wsman_request_ok(const struct wsman_request *req)
{
	size_t i;

	if (req == NULL || req->resource_uri == NULL ||
	    req->message_id == NULL || req->message_id[0] == '\0')
		return 0;
	if (strlen(req->resource_uri) > WSMAN_MAX_URI)
		return 0;
	if (!wsman_selectors_ok(req->selectors, req->nselectors))
		return 0;
	switch (req->action) {
	case WSMAN_INVOKE:
		if (!wsman_name_ok(req->method))
			return 0;
		if (req->nparams > WSMAN_MAX_SELECTORS ||
		    (req->nparams > 0 && req->params == NULL))
			return 0;
		for (i = 0; i < req->nparams; i++)
			if (!wsman_name_ok(req->params[i].name) ||
			    req->params[i].value == NULL)
				return 0;
		break;
	case WSMAN_PULL:
	case WSMAN_RELEASE:
		if (req->context == NULL || req->context[0] == '\0')
			return 0;
		break;
	case WSMAN_GET:
	case WSMAN_PUT:
	case WSMAN_DELETE:
	case WSMAN_ENUMERATE:
		break;
	default:
		return 0;
	}
	return 1;
}

static void
wsman_add_action(struct wsman_buf *b, const struct wsman_request *req)
{
	static const char xfer[] = WSMAN_NS_XFER "/";
	static const char en[] = WSMAN_NS_ENUM "/";

	wsman_buf_adds(b, "<a:Action>");
	switch (req->action) {
	case WSMAN_GET:
		wsman_buf_adds(b, xfer);
		wsman_buf_adds(b, "Get");
		break;
	case WSMAN_PUT:
		wsman_buf_adds(b, xfer);
		wsman_buf_adds(b, "Put");
		break;
	case WSMAN_DELETE:
		wsman_buf_adds(b, xfer);
		wsman_buf_adds(b, "Delete");
		break;
	case WSMAN_ENUMERATE:
		wsman_buf_adds(b, en);
		wsman_buf_adds(b, "Enumerate");
		break;
	case WSMAN_PULL:
		wsman_buf_adds(b, en);
		wsman_buf_adds(b, "Pull");
		break;
	case WSMAN_RELEASE:
		wsman_buf_adds(b, en);
		wsman_buf_adds(b, "Release");
		break;
	case WSMAN_INVOKE:
		/* Method actions are the class URI plus the method name. */
		wsman_buf_add_text(b, req->resource_uri);
		wsman_buf_adds(b, "/");
		wsman_buf_adds(b, req->method);
		break;
	}
	wsman_buf_adds(b, "</a:Action>");
}

static void
wsman_add_body(struct wsman_buf *b, const struct wsman_request *req,
    const char *put_frag)
{
	size_t i;

	switch (req->action) {
	case WSMAN_GET:
	case WSMAN_DELETE:
		wsman_buf_adds(b, "<s:Body/>");
		return;
	case WSMAN_PUT:
		wsman_buf_adds(b, "<s:Body>");
		wsman_buf_adds(b, put_frag);
		wsman_buf_adds(b, "</s:Body>");
		return;
	case WSMAN_ENUMERATE:
		wsman_buf_adds(b, "<s:Body><n:Enumerate xmlns:n=\""
		    WSMAN_NS_ENUM "\"/></s:Body>");
		return;
	case WSMAN_PULL:
		wsman_buf_adds(b, "<s:Body><n:Pull xmlns:n=\"" WSMAN_NS_ENUM
		    "\">");
		wsman_add_element(b, "n:EnumerationContext", req->context);
		wsman_buf_adds(b, "<n:MaxElements>");
		wsman_buf_addu(b, WSMAN_PULL_MAX_ELEMENTS);
		wsman_buf_adds(b, "</n:MaxElements><n:MaxCharacters>");
		wsman_buf_addu(b, WSMAN_PULL_MAX_CHARS);
		wsman_buf_adds(b, "</n:MaxCharacters></n:Pull></s:Body>");
		return;
	case WSMAN_RELEASE:
		wsman_buf_adds(b, "<s:Body><n:Release xmlns:n=\""
		    WSMAN_NS_ENUM "\">");
		wsman_add_element(b, "n:EnumerationContext", req->context);
		wsman_buf_adds(b, "</n:Release></s:Body>");
		return;
	case WSMAN_INVOKE:
		wsman_buf_adds(b, "<s:Body><p:");
		wsman_buf_adds(b, req->method);
		wsman_buf_adds(b, "_INPUT xmlns:p=\"");
		wsman_buf_add_text(b, req->resource_uri);
		wsman_buf_adds(b, "\">");
		for (i = 0; i < req->nparams; i++) {
			wsman_buf_adds(b, "<p:");
			wsman_buf_adds(b, req->params[i].name);
			wsman_buf_adds(b, ">");
			if (req->params[i].is_xml)
				wsman_buf_adds(b, req->params[i].value);
			else
				wsman_buf_add_text(b, req->params[i].value);
			wsman_buf_adds(b, "</p:");
			wsman_buf_adds(b, req->params[i].name);
			wsman_buf_adds(b, ">");
		}
		wsman_buf_adds(b, "</p:");
		wsman_buf_adds(b, req->method);
		wsman_buf_adds(b, "_INPUT></s:Body>");
		return;
	}
}

static int
wsman_has_xml_params(const struct wsman_request *req)
{
	size_t i;

	if (req->action != WSMAN_INVOKE)
		return 0;
	for (i = 0; i < req->nparams; i++)
		if (req->params[i].is_xml)
			return 1;
	return 0;
}

int
wsman_build(const struct wsman_request *req, char **out, size_t *len)
{
	struct wsman_buf b;
	char *put_frag = NULL;
	xmlDoc *check;
	int r;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	if (!wsman_request_ok(req))
		return MPS_ERR_USAGE;
	if (req->action == WSMAN_PUT &&
	    (r = wsman_put_instance(req, &put_frag)) != 0)
		return r;

	wsman_buf_init(&b, WSMAN_MAX_BODY);
	wsman_buf_adds(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "<s:Envelope xmlns:s=\"" WSMAN_NS_SOAP "\" xmlns:a=\""
	    WSMAN_NS_ADDR "\" xmlns:w=\"" WSMAN_NS_WSMAN "\"><s:Header>");
	wsman_add_action(&b, req);
	wsman_add_element(&b, "a:To", req->to != NULL ? req->to :
	    WSMAN_DEFAULT_TO);
	wsman_add_element(&b, "w:ResourceURI", req->resource_uri);
	wsman_add_element(&b, "a:MessageID", req->message_id);
	wsman_buf_adds(&b, "<a:ReplyTo><a:Address>" WSMAN_ANONYMOUS
	    "</a:Address></a:ReplyTo><w:OperationTimeout>"
	    WSMAN_OPERATION_TIMEOUT "</w:OperationTimeout>");
	if (req->nselectors > 0)
		wsman_add_selectors(&b, req->selectors, req->nselectors);
	wsman_buf_adds(&b, "</s:Header>");
	wsman_add_body(&b, req, put_frag);
	free(put_frag);
	wsman_buf_adds(&b, "</s:Envelope>");
	if ((r = wsman_buf_finish(&b, out, len)) != 0)
		return r;

	/*
	 * Caller-supplied XML fragments are the one way to produce an
	 * ill-formed envelope; check the result rather than send it.
	 */
	if (wsman_has_xml_params(req)) {
		if (wsman_xml_read(*out, strlen(*out), &check) != 0) {
			free(*out);
			*out = NULL;
			if (len != NULL)
				*len = 0;
			return MPS_ERR_USAGE;
		}
		xmlFreeDoc(check);
	}
	return 0;
}

int
wsman_build_fault(const char *relates_to, const char *code,
    const char *subcode_ns, const char *subcode, const char *reason,
    const char *detail, char **out, size_t *len)
{
	struct wsman_buf b;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	if (!wsman_name_ok(code) || !wsman_name_ok(subcode) ||
	    subcode_ns == NULL || reason == NULL)
		return MPS_ERR_USAGE;
	wsman_buf_init(&b, WSMAN_MAX_BODY);
	wsman_buf_adds(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "<s:Envelope xmlns:s=\"" WSMAN_NS_SOAP "\" xmlns:a=\""
	    WSMAN_NS_ADDR "\"><s:Header>");
	wsman_add_element(&b, "a:To", WSMAN_ANONYMOUS);
	if (relates_to != NULL)
		wsman_add_element(&b, "a:RelatesTo", relates_to);
	/* AMT uses the addressing fault action for addressing subcodes and
	 * the WS-Man one for everything else. */
	wsman_add_element(&b, "a:Action", strcmp(subcode_ns, WSMAN_NS_ADDR) ==
	    0 ? WSMAN_NS_ADDR "/fault" :
	    "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault");
	wsman_buf_adds(&b, "</s:Header><s:Body><s:Fault><s:Code><s:Value>s:");
	wsman_buf_adds(&b, code);
	/* The subcode is a QName: declare its prefix where it is used. */
	wsman_buf_adds(&b, "</s:Value><s:Subcode><s:Value xmlns:f=\"");
	wsman_buf_add_text(&b, subcode_ns);
	wsman_buf_adds(&b, "\">f:");
	wsman_buf_adds(&b, subcode);
	wsman_buf_adds(&b, "</s:Value></s:Subcode></s:Code><s:Reason>"
	    "<s:Text xml:lang=\"en-US\">");
	wsman_buf_add_text(&b, reason);
	wsman_buf_adds(&b, "</s:Text></s:Reason><s:Detail>");
	if (detail != NULL)
		wsman_buf_add_text(&b, detail);
	wsman_buf_adds(&b, "</s:Detail></s:Fault></s:Body></s:Envelope>");
	return wsman_buf_finish(&b, out, len);
}
