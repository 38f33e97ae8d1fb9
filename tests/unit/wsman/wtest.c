/*
 * wtest.c: helpers for the wsman unit tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mps_err.h"
#include "wtest.h"

char *
wtest_load(const char *rel, size_t *len)
{
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof path, "%s%s", WT_FIX, rel);
	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("cannot open fixture %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

char *
wtest_replace(const char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), count = 0, n;
	const char *p, *q;
	char *out, *w;

	assert_true(fl > 0);
	for (p = s; (q = strstr(p, from)) != NULL; p = q + fl)
		count++;
	n = strlen(s) + count * tl + 1;
	out = malloc(n);
	assert_non_null(out);
	for (p = s, w = out; (q = strstr(p, from)) != NULL; p = q + fl) {
		memcpy(w, p, (size_t)(q - p));
		w += q - p;
		memcpy(w, to, tl);
		w += tl;
	}
	strcpy(w, p);
	return out;
}

char *
wtest_relate(const char *body, const char *msgid)
{
	const char *open, *start, *end;
	char *out;
	size_t n;

	/* The element is <x:RelatesTo>...</x:RelatesTo> whatever x is. */
	open = strstr(body, "RelatesTo>");
	assert_non_null(open);
	start = open + strlen("RelatesTo>");
	end = strchr(start, '<');
	assert_non_null(end);
	n = (size_t)(start - body) + strlen(msgid) + strlen(end) + 1;
	out = malloc(n);
	assert_non_null(out);
	snprintf(out, n, "%.*s%s%s", (int)(start - body), body, msgid, end);
	return out;
}

char *
wtest_dechunk(const char *http, size_t len, size_t *out_len)
{
	const char *p, *end = http + len, *hdr;
	char *out, *num_end;
	size_t o = 0;
	unsigned long sz;

	/* Either a whole response or just its chunked body. */
	if (strncmp(http, "HTTP/1.1 ", 9) == 0) {
		hdr = strstr(http, "\r\n\r\n");
		assert_non_null(hdr);
		assert_non_null(strstr(http, "Transfer-Encoding: chunked"));
		p = hdr + 4;
	} else
		p = http;
	out = malloc(len + 1);
	assert_non_null(out);
	for (;;) {
		assert_true(p < end);
		sz = strtoul(p, &num_end, 16);
		assert_true(num_end > p);
		assert_true(num_end + 2 <= end);
		assert_memory_equal(num_end, "\r\n", 2);
		p = num_end + 2;
		if (sz == 0)
			break;
		assert_true(sz <= (size_t)(end - p));
		memcpy(out + o, p, sz);
		o += sz;
		p += sz;
		assert_true(p + 2 <= end);
		assert_memory_equal(p, "\r\n", 2);
		p += 2;
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

static void
wtest_rename_ns(xmlNode *n, int *counter, const xmlChar *default_href)
{
	xmlNs *ns;
	xmlNode *c;
	char name[16];

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (ns = n->nsDef; ns != NULL; ns = ns->next) {
			if (ns->prefix == NULL)
				continue;
			xmlFree((xmlChar *)ns->prefix);
			if (default_href != NULL &&
			    xmlStrEqual(ns->href, default_href)) {
				ns->prefix = NULL;
				continue;
			}
			snprintf(name, sizeof name, "zq%d", (*counter)++);
			ns->prefix = xmlStrdup(BAD_CAST name);
		}
		for (c = n->children; c != NULL; c = c->next)
			if (c->type == XML_ELEMENT_NODE) {
				wtest_rename_ns(c, counter, default_href);
				break;	/* the call walks the siblings */
			}
	}
}

char *
wtest_reprefix(const char *body, size_t len, int default_payload_ns)
{
	xmlDoc *doc;
	xmlNode *root, *bodyel, *payload;
	const xmlChar *href = NULL;
	xmlChar *mem;
	char *out;
	int n, counter = 0;

	assert_int_equal(wsman_xml_read(body, len, &doc), 0);
	root = xmlDocGetRootElement(doc);
	bodyel = wsman_xml_child(root, WSMAN_NS_SOAP, "Body");
	payload = wsman_xml_child(bodyel, NULL, NULL);
	if (default_payload_ns && payload != NULL && payload->ns != NULL)
		href = xmlStrdup(payload->ns->href);
	wtest_rename_ns(root, &counter, href);
	xmlFree((xmlChar *)href);
	xmlDocDumpMemory(doc, &mem, &n);
	assert_non_null(mem);
	out = strdup((const char *)mem);
	assert_non_null(out);
	xmlFree(mem);
	xmlFreeDoc(doc);
	return out;
}

static void
wtest_copy(const xmlNode *n, char *buf, size_t len)
{
	assert_int_equal(wsman_xml_text(n, buf, len, WSMAN_TEXT_TRIM), 0);
}

void
wtest_req_parse(struct wtest_req *rq, const char *body, size_t len)
{
	xmlNode *root, *rt;

	memset(rq, 0, sizeof *rq);
	assert_non_null(body);
	assert_int_equal(strlen(body), len);
	assert_int_equal(wsman_xml_read(body, len, &rq->doc), 0);
	root = xmlDocGetRootElement(rq->doc);
	assert_true(wsman_xml_is(root, WSMAN_NS_SOAP, "Envelope"));
	rq->header = wsman_xml_child(root, WSMAN_NS_SOAP, "Header");
	rq->body = wsman_xml_child(root, WSMAN_NS_SOAP, "Body");
	assert_non_null(rq->header);
	assert_non_null(rq->body);
	rq->payload = wsman_xml_child(rq->body, NULL, NULL);
	wtest_copy(wsman_xml_child(rq->header, WSMAN_NS_ADDR, "Action"),
	    rq->action, sizeof rq->action);
	wtest_copy(wsman_xml_child(rq->header, WSMAN_NS_ADDR, "To"),
	    rq->to, sizeof rq->to);
	wtest_copy(wsman_xml_child(rq->header, WSMAN_NS_WSMAN, "ResourceURI"),
	    rq->uri, sizeof rq->uri);
	wtest_copy(wsman_xml_child(rq->header, WSMAN_NS_ADDR, "MessageID"),
	    rq->msgid, sizeof rq->msgid);
	rt = wsman_xml_child(rq->header, WSMAN_NS_ADDR, "ReplyTo");
	wtest_copy(wsman_xml_child(rt, WSMAN_NS_ADDR, "Address"),
	    rq->reply_to, sizeof rq->reply_to);
	wtest_copy(wsman_xml_child(rq->header, WSMAN_NS_WSMAN,
	    "OperationTimeout"), rq->timeout, sizeof rq->timeout);
	/* Every request carries the full header AMT expects. */
	assert_true(rq->action[0] != '\0');
	assert_true(rq->uri[0] != '\0');
	assert_true(rq->msgid[0] != '\0');
	assert_string_equal(rq->reply_to, WSMAN_ANONYMOUS);
	assert_string_equal(rq->timeout, "PT60S");
}

void
wtest_req_free(struct wtest_req *rq)
{
	if (rq->doc != NULL)
		xmlFreeDoc(rq->doc);
	memset(rq, 0, sizeof *rq);
}

const char *
wtest_selector(const xmlNode *parent, const char *name)
{
	static char buf[1024];
	xmlNode *set, *s;
	xmlChar *attr;
	int match;

	set = wsman_xml_child(parent, WSMAN_NS_WSMAN, "SelectorSet");
	for (s = wsman_xml_child(set, WSMAN_NS_WSMAN, "Selector"); s != NULL;
	    s = wsman_xml_next(s, WSMAN_NS_WSMAN, "Selector")) {
		/* Name must be an unqualified attribute. */
		attr = xmlGetNoNsProp(s, BAD_CAST "Name");
		match = attr != NULL && strcmp((char *)attr, name) == 0;
		xmlFree(attr);
		if (match) {
			assert_int_equal(wsman_xml_text(s, buf, sizeof buf, 0),
			    0);
			return buf;
		}
	}
	return NULL;
}

const char *
wtest_text(const xmlNode *parent, const char *ns, const char *local)
{
	static char buf[4096];
	xmlNode *c;

	if ((c = wsman_xml_child(parent, ns, local)) == NULL)
		return NULL;
	assert_int_equal(wsman_xml_text(c, buf, sizeof buf, WSMAN_TEXT_TRIM),
	    0);
	return buf;
}

size_t
wtest_nchildren(const xmlNode *n)
{
	xmlNode *c;
	size_t k = 0;

	for (c = wsman_xml_child(n, NULL, NULL); c != NULL;
	    c = wsman_xml_next(c, NULL, NULL))
		k++;
	return k;
}

void
wtest_next(struct amt_op *op, struct wtest_req *rq)
{
	const char *body;
	size_t len;

	assert_int_equal(amt_op_next_request(op, &body, &len), 0);
	wtest_req_parse(rq, body, len);
}

int
wtest_feed_text(struct amt_op *op, const struct wtest_req *rq,
    const char *body, int status)
{
	char *rel;
	int r;

	rel = wtest_relate(body, rq->msgid);
	r = amt_op_feed_response(op, status, rel, strlen(rel));
	free(rel);
	return r;
}

int
wtest_feed_fixture(struct amt_op *op, const struct wtest_req *rq,
    const char *rel, int status)
{
	char *body;
	int r;

	body = wtest_load(rel, NULL);
	r = wtest_feed_text(op, rq, body, status);
	free(body);
	return r;
}

char *
wtest_method_response(const char *class_uri, const char *method, unsigned rv)
{
	char *base, *a, *b, *c;
	char num[32];

	base = wtest_load("responses/cim/power/managementservice/"
	    "requestpowerstatechange.xml", NULL);
	a = wtest_replace(base, WSMAN_URI_CIM "CIM_PowerManagementService",
	    class_uri);
	b = wtest_replace(a, "RequestPowerStateChange", method);
	snprintf(num, sizeof num, "<g:ReturnValue>%u<", rv);
	c = wtest_replace(b, "<g:ReturnValue>0<", num);
	free(base);
	free(a);
	free(b);
	return c;
}
