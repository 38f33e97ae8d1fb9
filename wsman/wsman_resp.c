/*
 * wsman_resp.c: response envelopes: correlation, faults, payloads.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "mps_err.h"
#include "wsman.h"

/*
 * Resolve a QName-valued text node ("b:DestinationUnreachable") against
 * the namespaces in scope at n: the prefix means nothing by itself.
 */
static void
wsman_qname(xmlDoc *doc, xmlNode *n, char *local, size_t llen, char *ns,
    size_t nslen)
{
	char text[256], *colon, *name;
	xmlNs *xns;
	size_t len;

	local[0] = ns[0] = '\0';
	if (wsman_xml_text(n, text, sizeof text,
	    WSMAN_TEXT_TRIM | WSMAN_TEXT_TRUNCATE) != 0)
		return;
	if ((colon = strchr(text, ':')) != NULL) {
		*colon = '\0';
		name = colon + 1;
		xns = xmlSearchNs(doc, n, BAD_CAST text);
	} else {
		name = text;
		xns = xmlSearchNs(doc, n, NULL);
	}
	len = strlen(name);
	if (len >= llen)
		len = llen - 1;
	memcpy(local, name, len);
	local[len] = '\0';
	if (xns != NULL && xns->href != NULL) {
		len = strlen((const char *)xns->href);
		if (len < nslen)
			memcpy(ns, xns->href, len + 1);
	}
}

/* "AMT-STATUS 2082" or "AMT-STATUS 0x0822" anywhere in the detail. */
static int32_t
wsman_amt_status(const char *detail)
{
	const char *p;
	char *end;
	unsigned long v;

	if ((p = strstr(detail, "AMT-STATUS")) == NULL)
		return -1;
	p += strlen("AMT-STATUS");
	while (*p == ' ' || *p == ':' || *p == '=')
		p++;
	if (!isdigit((unsigned char)*p))
		return -1;
	errno = 0;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		v = strtoul(p + 2, &end, 16);
	else
		v = strtoul(p, &end, 10);
	if (errno != 0 || end == p || v > 0xffff)
		return -1;
	return (int32_t)v;
}

static void
wsman_fault_parse(struct wsman_resp *resp, xmlNode *fault)
{
	struct wsman_fault *f = &resp->fault;
	xmlNode *code, *sub, *val, *reason, *detail, *fd;
	const int tf = WSMAN_TEXT_COLLAPSE | WSMAN_TEXT_TRUNCATE;
	char ns[sizeof f->subcode_ns];

	memset(f, 0, sizeof *f);
	f->amt_status = -1;
	code = wsman_xml_child(fault, WSMAN_NS_SOAP, "Code");
	if ((val = wsman_xml_child(code, WSMAN_NS_SOAP, "Value")) != NULL)
		wsman_qname(resp->doc, val, f->code, sizeof f->code, ns,
		    sizeof ns);
	sub = wsman_xml_child(code, WSMAN_NS_SOAP, "Subcode");
	if ((val = wsman_xml_child(sub, WSMAN_NS_SOAP, "Value")) != NULL)
		wsman_qname(resp->doc, val, f->subcode, sizeof f->subcode,
		    f->subcode_ns, sizeof f->subcode_ns);
	reason = wsman_xml_child(fault, WSMAN_NS_SOAP, "Reason");
	(void)wsman_xml_text(wsman_xml_child(reason, WSMAN_NS_SOAP, "Text"),
	    f->reason, sizeof f->reason, tf);
	detail = wsman_xml_child(fault, WSMAN_NS_SOAP, "Detail");
	if ((fd = wsman_xml_child(detail, WSMAN_NS_WSMAN, "FaultDetail")) !=
	    NULL)
		(void)wsman_xml_text(fd, f->detail, sizeof f->detail, tf);
	else
		(void)wsman_xml_text(detail, f->detail, sizeof f->detail, tf);
	f->amt_status = wsman_amt_status(f->detail);
}

int
wsman_resp_parse(struct wsman_resp *resp, const char *buf, size_t len,
    const char *message_id)
{
	xmlNode *root, *n, *payload;
	int r;

	memset(resp, 0, sizeof *resp);
	if ((r = wsman_xml_read(buf, len, &resp->doc)) != 0)
		return r;
	root = xmlDocGetRootElement(resp->doc);
	if (!wsman_xml_is(root, WSMAN_NS_SOAP, "Envelope"))
		goto bad;
	resp->header = wsman_xml_child(root, WSMAN_NS_SOAP, "Header");
	if ((resp->body = wsman_xml_child(root, WSMAN_NS_SOAP, "Body")) ==
	    NULL)
		goto bad;

	if ((n = wsman_xml_child(resp->header, WSMAN_NS_ADDR, "Action")) &&
	    wsman_xml_text(n, resp->action, sizeof resp->action,
	    WSMAN_TEXT_TRIM | WSMAN_TEXT_TRUNCATE) != 0)
		goto bad;
	if ((n = wsman_xml_child(resp->header, WSMAN_NS_ADDR, "RelatesTo")) &&
	    wsman_xml_text(n, resp->relates_to, sizeof resp->relates_to,
	    WSMAN_TEXT_TRIM) != 0)
		goto bad;

	payload = wsman_resp_payload(resp);
	resp->is_fault = wsman_xml_is(payload, WSMAN_NS_SOAP, "Fault");

	/*
	 * Correlation: a response must name the request it answers.  A
	 * fault without RelatesTo is still reported (AMT may not have got
	 * as far as reading our MessageID), but a RelatesTo that names
	 * another request is never taken as our answer.
	 */
	if (message_id != NULL) {
		if (resp->relates_to[0] == '\0' && !resp->is_fault)
			goto bad;
		if (resp->relates_to[0] != '\0' &&
		    strcmp(resp->relates_to, message_id) != 0)
			goto bad;
	}
	if (resp->is_fault) {
		wsman_fault_parse(resp, payload);
		return MPS_ERR_WSMAN_FAULT;
	}
	return 0;
bad:
	wsman_resp_free(resp);
	return MPS_ERR_XML;
}

void
wsman_resp_free(struct wsman_resp *resp)
{
	if (resp == NULL)
		return;
	if (resp->doc != NULL)
		xmlFreeDoc(resp->doc);
	resp->doc = NULL;
	resp->header = resp->body = NULL;
}

xmlNode *
wsman_resp_payload(const struct wsman_resp *resp)
{
	if (resp == NULL || resp->body == NULL)
		return NULL;
	return wsman_xml_child(resp->body, NULL, NULL);
}

int
wsman_resp_instance(const struct wsman_resp *resp, const char *class_name,
    struct wsman_instance *inst)
{
	xmlNode *n;

	memset(inst, 0, sizeof *inst);
	if ((n = wsman_resp_payload(resp)) == NULL)
		return MPS_ERR_XML;
	if (class_name != NULL && !wsman_xml_is(n, NULL, class_name))
		return MPS_ERR_XML;
	return wsman_instance_from_node(n, inst);
}

/* Copy a context; an empty one or one too long to send back is bad. */
static int
wsman_copy_context(xmlNode *n, char *ctx, size_t len)
{
	if (wsman_xml_text(n, ctx, len, WSMAN_TEXT_TRIM) != 0 ||
	    ctx[0] == '\0') {
		ctx[0] = '\0';
		return MPS_ERR_XML;
	}
	return 0;
}

int
wsman_resp_enum_context(const struct wsman_resp *resp, char *ctx,
    size_t len)
{
	xmlNode *er, *c;

	if (len == 0)
		return MPS_ERR_USAGE;
	ctx[0] = '\0';
	er = wsman_resp_payload(resp);
	if (!wsman_xml_is(er, WSMAN_NS_ENUM, "EnumerateResponse"))
		return MPS_ERR_XML;
	if ((c = wsman_xml_child(er, WSMAN_NS_ENUM, "EnumerationContext")) ==
	    NULL)
		return MPS_ERR_XML;
	return wsman_copy_context(c, ctx, len);
}

int
wsman_resp_pull(const struct wsman_resp *resp, struct wsman_instances *list,
    size_t max, char *ctx, size_t len, int *end)
{
	xmlNode *pr, *items, *it, *c;
	int r;

	if (len == 0)
		return MPS_ERR_USAGE;
	ctx[0] = '\0';
	*end = 0;
	pr = wsman_resp_payload(resp);
	if (!wsman_xml_is(pr, WSMAN_NS_ENUM, "PullResponse"))
		return MPS_ERR_XML;
	if ((items = wsman_xml_child(pr, WSMAN_NS_ENUM, "Items")) != NULL)
		for (it = wsman_xml_child(items, NULL, NULL); it != NULL;
		    it = wsman_xml_next(it, NULL, NULL))
			if ((r = wsman_instances_append(list, it, max)) != 0)
				return r;
	if ((c = wsman_xml_child(pr, WSMAN_NS_ENUM, "EnumerationContext")) !=
	    NULL && (r = wsman_copy_context(c, ctx, len)) != 0)
		return r;
	/*
	 * AMT sometimes sends a context together with EndOfSequence, and
	 * sometimes a context without it: EndOfSequence wins, and only a
	 * context keeps the enumeration going.
	 */
	if (wsman_xml_child(pr, WSMAN_NS_ENUM, "EndOfSequence") != NULL ||
	    ctx[0] == '\0')
		*end = 1;
	return 0;
}

int
wsman_resp_output(const struct wsman_resp *resp, const char *resource_uri,
    const char *method, xmlNode **out, uint32_t *rv)
{
	char name[WSMAN_MAX_NAME + 8];
	xmlNode *o, *v;
	size_t n;

	if (out != NULL)
		*out = NULL;
	*rv = 0;
	n = strlen(method);
	if (n > WSMAN_MAX_NAME)
		return MPS_ERR_USAGE;
	memcpy(name, method, n);
	memcpy(name + n, "_OUTPUT", sizeof "_OUTPUT");
	o = wsman_resp_payload(resp);
	if (!wsman_xml_is(o, resource_uri, name))
		return MPS_ERR_XML;
	if ((v = wsman_xml_child(o, resource_uri, "ReturnValue")) == NULL)
		return MPS_ERR_XML;
	if (wsman_xml_u32(v, rv) != 0)
		return MPS_ERR_XML;
	if (out != NULL)
		*out = o;
	return 0;
}
