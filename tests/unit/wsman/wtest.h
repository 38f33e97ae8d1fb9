/*
 * wtest.h: helpers shared by the wsman unit tests: fixture loading, text
 * edits of recorded responses (RelatesTo, prefixes), HTTP de-chunking and
 * a namespace-aware view of the requests the library builds.
 */
#ifndef WTEST_H
#define WTEST_H

#include <stddef.h>

#include <libxml/tree.h>

#include "amt.h"
#include "wsman.h"

#define WT_FIX	MPS_FIXTURES "/amt-wsman/"

/* Load a fixture (path relative to amt-wsman/); fails the test if absent.
 * The result is NUL-terminated; free() it. */
char	*wtest_load(const char *rel, size_t *len);

/* s with every occurrence of from replaced by to (malloc'd). */
char	*wtest_replace(const char *s, const char *from, const char *to);

/* body with its RelatesTo element's text set to msgid (malloc'd). */
char	*wtest_relate(const char *body, const char *msgid);

/* The body of a chunked HTTP/1.1 response, de-chunked (malloc'd). */
char	*wtest_dechunk(const char *http, size_t len, size_t *out_len);

/*
 * Re-serialise an XML document with every namespace prefix renamed
 * ("zq0", "zq1"...); with default_payload_ns the namespace of the Body's
 * payload element becomes the default namespace instead.  Fails the test
 * on error.  malloc'd.
 */
char	*wtest_reprefix(const char *body, size_t len, int default_payload_ns);

/* A parsed request envelope. */
struct wtest_req {
	xmlDoc	*doc;
	xmlNode	*header;
	xmlNode	*body;
	xmlNode	*payload;		/* first element in Body, or NULL */
	char	 action[512];
	char	 to[256];
	char	 uri[512];
	char	 msgid[64];
	char	 reply_to[256];
	char	 timeout[32];
};

/* Parse a request built by the library, asserting the header is whole. */
void	 wtest_req_parse(struct wtest_req *rq, const char *body, size_t len);
void	 wtest_req_free(struct wtest_req *rq);

/* Value of selector name in a w:SelectorSet under parent, or NULL
 * (points into a static buffer). */
const char *wtest_selector(const xmlNode *parent, const char *name);

/* Trimmed text of the first child ns:local of parent, or NULL (static). */
const char *wtest_text(const xmlNode *parent, const char *ns,
	    const char *local);

/* Number of element children of n. */
size_t	 wtest_nchildren(const xmlNode *n);

/* amt_op_next_request + wtest_req_parse, asserting success. */
void	 wtest_next(struct amt_op *op, struct wtest_req *rq);

/* Feed fixture rel (RelatesTo rewritten to rq's MessageID) with status. */
int	 wtest_feed_fixture(struct amt_op *op, const struct wtest_req *rq,
	    const char *rel, int status);

/* Feed body text (RelatesTo rewritten to rq's MessageID) with status. */
int	 wtest_feed_text(struct amt_op *op, const struct wtest_req *rq,
	    const char *body, int status);

/*
 * A method response shaped exactly like the recorded
 * RequestPowerStateChange response, re-targeted at class_uri/method and
 * carrying ReturnValue rv (malloc'd).
 */
char	*wtest_method_response(const char *class_uri, const char *method,
	    unsigned rv);

#endif /* WTEST_H */
