/*
 * wsman_xml.c: the few libxml2 operations the WS-Man layer needs, with
 * the safety rules in one place.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "mps_err.h"
#include "wsman.h"

int
wsman_xml_read(const char *buf, size_t len, xmlDoc **out)
{
	xmlParserCtxt *ctxt;
	xmlDoc *doc;
	int ok;

	*out = NULL;
	if (buf == NULL || len == 0)
		return MPS_ERR_XML;
	if (len > WSMAN_MAX_BODY)
		return MPS_ERR_TOO_LARGE;
	/*
	 * SOAP forbids a DTD, and a DTD is the only way to declare entities:
	 * refusing it before libxml2 sees it rules out entity expansion
	 * (billion laughs) and external entities (XXE) whatever the parser
	 * would do with them.
	 */
	if (memmem(buf, len, "<!DOCTYPE", 9) != NULL ||
	    memmem(buf, len, "<!ENTITY", 8) != NULL)
		return MPS_ERR_XML;
	/*
	 * That byte scan only works if the bytes are what the parser reads:
	 * force UTF-8 and ignore any encoding declaration, so no UTF-16 or
	 * EBCDIC disguise can hide a DTD.  NUL is never valid XML anyway.
	 */
	if (memchr(buf, '\0', len) != NULL)
		return MPS_ERR_XML;
	/* White space before the XML declaration is invalid but harmless;
	 * tolerate it as other WS-Man clients do. */
	while (len > 0 && (*buf == ' ' || *buf == '\t' || *buf == '\r' ||
	    *buf == '\n')) {
		buf++;
		len--;
	}
	if (len == 0)
		return MPS_ERR_XML;
	if ((ctxt = xmlNewParserCtxt()) == NULL)
		return MPS_ERR_NOMEM;
	/*
	 * No XML_PARSE_NOENT (no substitution), no DTDLOAD, no HUGE (keep
	 * libxml2's depth and text-node limits), no network, and no error
	 * printing: a peer must not be able to fill our logs via libxml2.
	 */
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, NULL, "UTF-8",
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	    XML_PARSE_IGNORE_ENC);
	/* Namespace errors (an undeclared prefix) are not fatal to libxml2,
	 * but a document we cannot resolve names in is useless to us. */
	ok = doc != NULL && ctxt->wellFormed && ctxt->nsWellFormed;
	xmlFreeParserCtxt(ctxt);
	if (!ok || doc->intSubset != NULL || doc->extSubset != NULL ||
	    xmlDocGetRootElement(doc) == NULL) {
		if (doc != NULL)
			xmlFreeDoc(doc);
		return MPS_ERR_XML;
	}
	*out = doc;
	return 0;
}

int
wsman_xml_is(const xmlNode *n, const char *ns, const char *local)
{
	if (n == NULL || n->type != XML_ELEMENT_NODE)
		return 0;
	if (local != NULL && strcmp((const char *)n->name, local) != 0)
		return 0;
	if (ns != NULL) {
		if (n->ns == NULL || n->ns->href == NULL)
			return 0;
		if (strcmp((const char *)n->ns->href, ns) != 0)
			return 0;
	}
	return 1;
}

xmlNode *
wsman_xml_child(const xmlNode *parent, const char *ns, const char *local)
{
	xmlNode *c;

	if (parent == NULL)
		return NULL;
	for (c = parent->children; c != NULL; c = c->next)
		if (wsman_xml_is(c, ns, local))
			return c;
	return NULL;
}

xmlNode *
wsman_xml_next(const xmlNode *n, const char *ns, const char *local)
{
	xmlNode *c;

	if (n == NULL)
		return NULL;
	for (c = n->next; c != NULL; c = c->next)
		if (wsman_xml_is(c, ns, local))
			return c;
	return NULL;
}

/* Largest prefix of s (n bytes) that is at most max bytes and does not
 * end inside a UTF-8 sequence. */
static size_t
utf8_cut(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

int
wsman_xml_text(const xmlNode *n, char *buf, size_t len, int flags)
{
	xmlChar *content;
	const char *s;
	size_t i, o, slen;
	int space;

	if (len == 0)
		return MPS_ERR_USAGE;
	buf[0] = '\0';
	if (n == NULL)
		return 0;
	if ((content = xmlNodeGetContent(n)) == NULL)
		return 0;		/* empty element */
	s = (const char *)content;
	slen = strlen(s);
	if (flags & (WSMAN_TEXT_TRIM | WSMAN_TEXT_COLLAPSE)) {
		while (slen > 0 && isspace((unsigned char)*s)) {
			s++;
			slen--;
		}
		while (slen > 0 && isspace((unsigned char)s[slen - 1]))
			slen--;
	}
	if (flags & WSMAN_TEXT_COLLAPSE) {
		/* Collapse in place inside the libxml2 copy we own. */
		char *w = (char *)content;

		for (i = 0, o = 0, space = 0; i < slen; i++) {
			if (isspace((unsigned char)s[i])) {
				space = 1;
				continue;
			}
			if (space)
				w[o++] = ' ';
			space = 0;
			w[o++] = s[i];
		}
		s = w;
		slen = o;
	}
	if (slen >= len) {
		if (!(flags & WSMAN_TEXT_TRUNCATE)) {
			xmlFree(content);
			return MPS_ERR_TOO_LARGE;
		}
		slen = utf8_cut(s, slen, len - 1);
	}
	memmove(buf, s, slen);
	buf[slen] = '\0';
	xmlFree(content);
	return 0;
}

int
wsman_xml_u32(const xmlNode *n, uint32_t *out)
{
	char tmp[32], *end;
	unsigned long long v;
	int r;

	*out = 0;
	if ((r = wsman_xml_text(n, tmp, sizeof tmp, WSMAN_TEXT_TRIM)) != 0)
		return r == MPS_ERR_TOO_LARGE ? MPS_ERR_XML : r;
	/* strtoull takes a sign and leading space; a device value must not. */
	if (!isdigit((unsigned char)tmp[0]))
		return MPS_ERR_XML;
	errno = 0;
	v = strtoull(tmp, &end, 10);
	if (errno != 0 || *end != '\0' || v > UINT32_MAX)
		return MPS_ERR_XML;
	*out = (uint32_t)v;
	return 0;
}

int
wsman_xml_i64(const xmlNode *n, int64_t *out)
{
	char tmp[32], *end;
	long long v;
	const char *p;
	int r;

	*out = 0;
	if ((r = wsman_xml_text(n, tmp, sizeof tmp, WSMAN_TEXT_TRIM)) != 0)
		return r == MPS_ERR_TOO_LARGE ? MPS_ERR_XML : r;
	p = tmp[0] == '-' ? tmp + 1 : tmp;
	if (!isdigit((unsigned char)*p))
		return MPS_ERR_XML;
	errno = 0;
	v = strtoll(tmp, &end, 10);
	if (errno != 0 || *end != '\0')
		return MPS_ERR_XML;
	*out = (int64_t)v;
	return 0;
}

int
wsman_xml_fragment(const xmlNode *n, char **out, size_t *len)
{
	xmlDoc *doc;
	xmlNode *copy;
	xmlBuffer *xb;
	int r = MPS_ERR_NOMEM;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	if (n == NULL || n->type != XML_ELEMENT_NODE)
		return MPS_ERR_USAGE;
	/*
	 * Copying into a fresh document makes libxml2 declare, on the copy's
	 * root, every namespace the subtree uses but inherited from its
	 * ancestors (AMT declares them all on the Envelope).
	 */
	if ((doc = xmlNewDoc(BAD_CAST "1.0")) == NULL)
		return MPS_ERR_NOMEM;
	if ((copy = xmlDocCopyNode((xmlNode *)n, doc, 1)) == NULL)
		goto out;
	xmlDocSetRootElement(doc, copy);
	if ((xb = xmlBufferCreate()) == NULL)
		goto out;
	if (xmlNodeDump(xb, doc, copy, 0, 0) < 0) {
		xmlBufferFree(xb);
		goto out;
	}
	if ((*out = strdup((const char *)xmlBufferContent(xb))) != NULL) {
		if (len != NULL)
			*len = strlen(*out);
		r = 0;
	}
	xmlBufferFree(xb);
out:
	xmlFreeDoc(doc);
	return r;
}
