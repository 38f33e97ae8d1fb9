/*
 * wsman_req.c: the device side of an exchange, for the simulator:
 * reading requests.  Same hostile-input rules as responses, since the
 * simulator's peer is the daemon under test.
 */
#include <string.h>

#include <libxml/tree.h>

#include "mps_err.h"
#include "wsman.h"

static const struct {
	const char		*uri;
	enum wsman_action	 action;
} wsman_req_actions[] = {
	{ "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get", WSMAN_GET },
	{ "http://schemas.xmlsoap.org/ws/2004/09/transfer/Put", WSMAN_PUT },
	{ "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete",
	    WSMAN_DELETE },
	{ "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate",
	    WSMAN_ENUMERATE },
	{ "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull",
	    WSMAN_PULL },
	{ "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release",
	    WSMAN_RELEASE },
};

static int
wsman_req_method(struct wsman_req_info *req)
{
	size_t ul = strlen(req->resource_uri), i;
	const char *m;

	if (strncmp(req->action_uri, req->resource_uri, ul) != 0 ||
	    req->action_uri[ul] != '/')
		return MPS_ERR_XML;
	m = req->action_uri + ul + 1;
	if (m[0] == '\0' || strlen(m) > WSMAN_MAX_NAME)
		return MPS_ERR_XML;
	for (i = 0; m[i] != '\0'; i++)
		if (m[i] == '/' || m[i] == ' ')
			return MPS_ERR_XML;
	memcpy(req->method, m, strlen(m) + 1);
	req->action = WSMAN_INVOKE;
	return 0;
}

static int
wsman_req_selectors(struct wsman_req_info *req)
{
	xmlNode *set, *s;
	xmlChar *name;
	size_t n;
	int r;

	set = wsman_xml_child(req->header, WSMAN_NS_WSMAN, "SelectorSet");
	for (s = wsman_xml_child(set, WSMAN_NS_WSMAN, "Selector"); s != NULL;
	    s = wsman_xml_next(s, WSMAN_NS_WSMAN, "Selector")) {
		if (req->nselectors == WSMAN_MAX_SELECTORS)
			return MPS_ERR_LIMIT;
		if ((name = xmlGetNoNsProp(s, BAD_CAST "Name")) == NULL)
			return MPS_ERR_XML;
		n = strlen((const char *)name);
		if (n == 0 || n > WSMAN_MAX_NAME) {
			xmlFree(name);
			return MPS_ERR_XML;
		}
		memcpy(req->selectors[req->nselectors].name, name, n + 1);
		xmlFree(name);
		r = wsman_xml_text(s, req->selectors[req->nselectors].value,
		    sizeof req->selectors[0].value,
		    WSMAN_TEXT_TRIM | WSMAN_TEXT_TRUNCATE);
		if (r != 0)
			return r;
		req->nselectors++;
	}
	return 0;
}

int
wsman_req_parse(struct wsman_req_info *req, const char *buf, size_t len)
{
	xmlNode *root, *c;
	size_t i;
	int r;

	memset(req, 0, sizeof *req);
	if ((r = wsman_xml_read(buf, len, &req->doc)) != 0)
		return r;
	r = MPS_ERR_XML;
	root = xmlDocGetRootElement(req->doc);
	if (!wsman_xml_is(root, WSMAN_NS_SOAP, "Envelope"))
		goto bad;
	req->header = wsman_xml_child(root, WSMAN_NS_SOAP, "Header");
	req->body = wsman_xml_child(root, WSMAN_NS_SOAP, "Body");
	if (req->header == NULL || req->body == NULL)
		goto bad;
	req->payload = wsman_xml_child(req->body, NULL, NULL);
	if (wsman_xml_text(wsman_xml_child(req->header, WSMAN_NS_ADDR,
	    "Action"), req->action_uri, sizeof req->action_uri,
	    WSMAN_TEXT_TRIM) != 0 ||
	    wsman_xml_text(wsman_xml_child(req->header, WSMAN_NS_WSMAN,
	    "ResourceURI"), req->resource_uri, sizeof req->resource_uri,
	    WSMAN_TEXT_TRIM) != 0 ||
	    wsman_xml_text(wsman_xml_child(req->header, WSMAN_NS_ADDR,
	    "MessageID"), req->message_id, sizeof req->message_id,
	    WSMAN_TEXT_TRIM) != 0)
		goto bad;
	if (req->action_uri[0] == '\0' || req->resource_uri[0] == '\0' ||
	    req->message_id[0] == '\0')
		goto bad;
	for (i = 0; i < sizeof wsman_req_actions / sizeof wsman_req_actions[0];
	    i++)
		if (strcmp(req->action_uri, wsman_req_actions[i].uri) == 0)
			break;
	if (i < sizeof wsman_req_actions / sizeof wsman_req_actions[0])
		req->action = wsman_req_actions[i].action;
	else if (wsman_req_method(req) != 0)
		goto bad;
	if ((r = wsman_req_selectors(req)) != 0)
		goto bad;
	if (req->action == WSMAN_PULL || req->action == WSMAN_RELEASE) {
		r = MPS_ERR_XML;
		c = wsman_xml_child(req->payload, WSMAN_NS_ENUM,
		    "EnumerationContext");
		if (c == NULL || wsman_xml_text(c, req->context,
		    sizeof req->context, WSMAN_TEXT_TRIM) != 0 ||
		    req->context[0] == '\0')
			goto bad;
	}
	return 0;
bad:
	wsman_req_free(req);
	return r;
}

void
wsman_req_free(struct wsman_req_info *req)
{
	if (req == NULL)
		return;
	if (req->doc != NULL)
		xmlFreeDoc(req->doc);
	req->doc = NULL;
	req->header = req->body = req->payload = NULL;
}

const char *
wsman_req_selector(const struct wsman_req_info *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nselectors; i++)
		if (strcmp(req->selectors[i].name, name) == 0)
			return req->selectors[i].value;
	return NULL;
}
