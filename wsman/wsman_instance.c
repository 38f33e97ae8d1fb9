/*
 * wsman_instance.c: CIM instances as name/value pairs plus their XML.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "mps_err.h"
#include "wsman.h"

static char *
wsman_dup_text(const xmlNode *n)
{
	xmlChar *c;
	char *s;

	if ((c = xmlNodeGetContent(n)) == NULL)
		return strdup("");
	s = strdup((const char *)c);
	xmlFree(c);
	return s;
}

static int
wsman_is_nil(const xmlNode *n)
{
	xmlChar *v;
	int nil;

	v = xmlGetNsProp(n, BAD_CAST "nil", BAD_CAST WSMAN_NS_XSI);
	if (v == NULL)
		return 0;
	nil = strcmp((const char *)v, "true") == 0 ||
	    strcmp((const char *)v, "1") == 0;
	xmlFree(v);
	return nil;
}

/* Fill p from property element n. */
static int
wsman_prop_from_node(const xmlNode *n, struct wsman_prop *p)
{
	xmlNode *inner, *other;

	memset(p, 0, sizeof *p);
	if ((p->name = strdup((const char *)n->name)) == NULL)
		return MPS_ERR_NOMEM;
	inner = wsman_xml_child(n, NULL, NULL);
	if (wsman_is_nil(n)) {
		p->flags = WSMAN_PROP_NIL;
		p->value = strdup("");
	} else if (inner == NULL) {
		p->value = wsman_dup_text(n);
	} else if ((other = wsman_xml_next(inner, NULL, NULL)) == NULL &&
	    wsman_xml_is(inner, WSMAN_NS_CIM, NULL)) {
		/*
		 * <p:ReleaseDate><cim:Datetime>2020-08-10T00:00:00Z
		 * </cim:Datetime></p:ReleaseDate>: the wrapper carries only
		 * the type, the text is the value.
		 */
		p->value = wsman_dup_text(inner);
	} else {
		p->flags = WSMAN_PROP_XML;
		if (wsman_xml_fragment(n, &p->value, NULL) != 0)
			p->value = NULL;
	}
	if (p->value == NULL) {
		free(p->name);
		p->name = NULL;
		return MPS_ERR_NOMEM;
	}
	return 0;
}

int
wsman_instance_from_node(const xmlNode *n, struct wsman_instance *inst)
{
	const xmlNode *c;
	size_t count = 0, i;
	int r;

	memset(inst, 0, sizeof *inst);
	if (n == NULL || n->type != XML_ELEMENT_NODE)
		return MPS_ERR_XML;
	for (c = wsman_xml_child(n, NULL, NULL); c != NULL;
	    c = wsman_xml_next(c, NULL, NULL))
		if (++count > WSMAN_MAX_PROPS)
			return MPS_ERR_LIMIT;

	inst->class_name = strdup((const char *)n->name);
	inst->ns = strdup(n->ns != NULL && n->ns->href != NULL ?
	    (const char *)n->ns->href : "");
	if (inst->class_name == NULL || inst->ns == NULL)
		goto nomem;
	if (count > 0 &&
	    (inst->props = calloc(count, sizeof *inst->props)) == NULL)
		goto nomem;
	for (c = wsman_xml_child(n, NULL, NULL), i = 0; c != NULL;
	    c = wsman_xml_next(c, NULL, NULL), i++) {
		if ((r = wsman_prop_from_node(c, &inst->props[i])) != 0) {
			wsman_instance_clear(inst);
			return r;
		}
		inst->nprops = i + 1;
	}
	if ((r = wsman_xml_fragment(n, &inst->xml, &inst->xml_len)) != 0) {
		wsman_instance_clear(inst);
		return r;
	}
	return 0;
nomem:
	wsman_instance_clear(inst);
	return MPS_ERR_NOMEM;
}

void
wsman_instance_clear(struct wsman_instance *inst)
{
	size_t i;

	if (inst == NULL)
		return;
	for (i = 0; i < inst->nprops; i++) {
		free(inst->props[i].name);
		free(inst->props[i].value);
	}
	free(inst->props);
	free(inst->class_name);
	free(inst->ns);
	free(inst->xml);
	memset(inst, 0, sizeof *inst);
}

const char *
wsman_instance_value(const struct wsman_instance *inst, const char *name)
{
	size_t i;

	if (inst == NULL || name == NULL)
		return NULL;
	for (i = 0; i < inst->nprops; i++)
		if (strcmp(inst->props[i].name, name) == 0)
			return inst->props[i].value;
	return NULL;
}

int
wsman_instances_append(struct wsman_instances *list, const xmlNode *n,
    size_t max)
{
	struct wsman_instance *v;
	size_t ncap;
	int r;

	if (list->n >= max)
		return MPS_ERR_LIMIT;
	if (list->n == list->cap) {
		ncap = list->cap ? list->cap * 2 : 8;
		if (ncap > max)
			ncap = max;
		if ((v = realloc(list->v, ncap * sizeof *v)) == NULL)
			return MPS_ERR_NOMEM;
		list->v = v;
		list->cap = ncap;
	}
	if ((r = wsman_instance_from_node(n, &list->v[list->n])) != 0)
		return r;
	list->n++;
	return 0;
}

void
wsman_instances_clear(struct wsman_instances *list)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < list->n; i++)
		wsman_instance_clear(&list->v[i]);
	free(list->v);
	memset(list, 0, sizeof *list);
}

const struct wsman_instance *
wsman_instances_find(const struct wsman_instances *list, const char *prop,
    const char *value)
{
	const char *v;
	size_t i;

	if (list == NULL || prop == NULL || value == NULL)
		return NULL;
	for (i = 0; i < list->n; i++)
		if ((v = wsman_instance_value(&list->v[i], prop)) != NULL &&
		    strcmp(v, value) == 0)
			return &list->v[i];
	return NULL;
}
