/*
 * wsman.h: WS-Management envelopes for Intel AMT, built and parsed with
 * libxml2.  Pure: request bodies out, response bodies in, no I/O.
 *
 * Building: fill a struct wsman_request and call wsman_build(); it
 * produces a complete SOAP 1.2 envelope with the header AMT expects
 * (Action, To, ResourceURI, MessageID, ReplyTo, OperationTimeout PT60S,
 * optional SelectorSet).
 *
 * Parsing: wsman_resp_parse() checks that a body is a SOAP envelope, that
 * its RelatesTo matches the request's MessageID and whether it is a
 * fault; the wsman_resp_* helpers then pull out an instance, an
 * enumeration context, Pull items or a method's output.  Elements are
 * matched by namespace URI and local name only, never by prefix, since
 * AMT moves its prefixes from response to response.
 *
 * Every function returns 0 or a negative MPS_ERR_* (protocol/mps_err.h)
 * unless stated otherwise.
 */
#ifndef WSMAN_H
#define WSMAN_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

/* Limits.  Responses larger than WSMAN_MAX_BODY are refused unparsed. */
#define WSMAN_MAX_BODY		(4u * 1024u * 1024u)
#define WSMAN_MAX_INSTANCES	4096	/* instances kept per enumeration */
#define WSMAN_MAX_PROPS		1024	/* properties kept per instance */
#define WSMAN_MAX_PULLS		256	/* Pull round trips per enumeration */
#define WSMAN_MAX_SELECTORS	16	/* selectors or parameters per request */
#define WSMAN_MAX_NAME		128	/* class, method, selector, parameter */
#define WSMAN_MAX_URI		512	/* resource URI */
#define WSMAN_MSGID_LEN		48	/* "uuid:" + 36 + NUL, rounded up */
#define WSMAN_TO_LEN		256
#define WSMAN_CONTEXT_LEN	256	/* enumeration context */

/* AMT enforces at least 30 s whatever is sent; ask for 60 like Open AMT. */
#define WSMAN_OPERATION_TIMEOUT	"PT60S"
#define WSMAN_DEFAULT_TO	"http://localhost:16992/wsman"
/* Pull sizes used by Open AMT and MeshCentral. */
#define WSMAN_PULL_MAX_ELEMENTS	999
#define WSMAN_PULL_MAX_CHARS	99999

/* Namespace URIs. */
#define WSMAN_NS_SOAP	"http://www.w3.org/2003/05/soap-envelope"
#define WSMAN_NS_ADDR	"http://schemas.xmlsoap.org/ws/2004/08/addressing"
#define WSMAN_NS_WSMAN	"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
#define WSMAN_NS_ENUM	"http://schemas.xmlsoap.org/ws/2004/09/enumeration"
#define WSMAN_NS_XFER	"http://schemas.xmlsoap.org/ws/2004/09/transfer"
#define WSMAN_NS_XSI	"http://www.w3.org/2001/XMLSchema-instance"
#define WSMAN_NS_CIM	"http://schemas.dmtf.org/wbem/wscim/1/common"
#define WSMAN_ANONYMOUS	WSMAN_NS_ADDR "/role/anonymous"

/* Resource URI prefixes; ResourceURI = prefix + class name. */
#define WSMAN_URI_CIM	"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
#define WSMAN_URI_AMT	"http://intel.com/wbem/wscim/1/amt-schema/1/"
#define WSMAN_URI_IPS	"http://intel.com/wbem/wscim/1/ips-schema/1/"

enum wsman_action {
	WSMAN_GET,
	WSMAN_PUT,
	WSMAN_DELETE,
	WSMAN_ENUMERATE,
	WSMAN_PULL,
	WSMAN_RELEASE,
	WSMAN_INVOKE
};

/* Name of an action ("Get", "Pull", "Invoke"...); never NULL. */
const char	*wsman_action_str(enum wsman_action a);

/*
 * Per-daemon (or per-test) request context: the To address and the
 * MessageID generator.  MessageIDs are "uuid:" followed by the 64-bit
 * prefix and the 64-bit sequence number in UUID layout, so they are
 * unique as long as the prefix is random per process.  Prefix 0 gives
 * deterministic IDs for tests.
 */
struct wsman_ctx {
	uint64_t	id_prefix;
	uint64_t	id_seq;			/* next sequence number */
	char		to[WSMAN_TO_LEN];
};

/*
 * Initialise ctx.  to NULL means WSMAN_DEFAULT_TO.  Returns MPS_ERR_USAGE
 * if to is too long or not valid XML text.
 */
int	wsman_ctx_init(struct wsman_ctx *ctx, uint64_t id_prefix,
	    const char *to);

/* Write the next MessageID into buf (len >= WSMAN_MSGID_LEN). */
int	wsman_ctx_next_id(struct wsman_ctx *ctx, char *buf, size_t len);

/*
 * Resource URI for a class name: CIM_*, AMT_* and IPS_* get their schema
 * prefix; a value that already starts with "http://" or "https://" is
 * taken as a full URI.  Anything else is MPS_ERR_USAGE, as is a result
 * that does not fit in len.
 */
int	wsman_resource_uri(const char *class_or_uri, char *buf, size_t len);

/* A header selector (or EPR selector): Name="name" with text value. */
struct wsman_selector {
	const char	*name;
	const char	*value;
};

/*
 * A method parameter.  value is text (escaped by the builder) unless
 * is_xml is set, in which case it is a well-formed XML fragment put
 * verbatim inside <p:name>; fragments may use the prefixes a (WS-
 * Addressing) and w (WS-Management) that the envelope declares, e.g. the
 * output of wsman_epr_build().
 */
struct wsman_param {
	const char	*name;
	const char	*value;
	int		 is_xml;
};

struct wsman_request {
	enum wsman_action		 action;
	const char			*resource_uri;	/* full URI */
	const char			*message_id;
	const char			*to;		/* NULL: WSMAN_DEFAULT_TO */
	const struct wsman_selector	*selectors;	/* header SelectorSet */
	size_t				 nselectors;
	const char			*method;	/* INVOKE */
	const struct wsman_param	*params;	/* INVOKE */
	size_t				 nparams;
	const char			*instance;	/* PUT: instance XML */
	size_t				 instance_len;
	const char			*context;	/* PULL, RELEASE */
};

/*
 * Build the envelope for req.  On success *out is a malloc'd
 * NUL-terminated string (caller frees) and *len its length.
 *
 * PUT: instance is one element whose namespace URI is the resource URI
 * (the instance as Get returned it, edited); it is parsed with the same
 * hostile-input rules as responses and re-serialised, so it cannot smuggle
 * a DTD or break the envelope.  INVOKE: the body is <p:METHOD_INPUT> with
 * one child per parameter.  Names (method, selector, parameter) must be
 * XML names of at most WSMAN_MAX_NAME bytes; text must be valid UTF-8.
 * Returns MPS_ERR_USAGE for invalid input, MPS_ERR_NOMEM, or
 * MPS_ERR_TOO_LARGE past WSMAN_MAX_BODY.
 */
int	wsman_build(const struct wsman_request *req, char **out, size_t *len);

/*
 * Build the inside of an endpoint reference: a:Address (anonymous) and
 * a:ReferenceParameters with w:ResourceURI and w:SelectorSet, for use as
 * an is_xml method parameter.  *out is malloc'd (caller frees).
 */
int	wsman_epr_build(const char *resource_uri,
	    const struct wsman_selector *sel, size_t nsel, char **out,
	    size_t *len);

/*
 * --- Parsing helpers over libxml2 trees ---
 */

/*
 * Parse buf as XML for WS-Man purposes: no network, no DTD (a document
 * containing <!DOCTYPE is refused outright, so no entity can be declared
 * or expanded), libxml2's default depth and text limits, at most
 * WSMAN_MAX_BODY bytes.  *out is freed with xmlFreeDoc().
 * Returns MPS_ERR_TOO_LARGE or MPS_ERR_XML.
 */
int	wsman_xml_read(const char *buf, size_t len, xmlDoc **out);

/* 1 if n is an element with namespace URI ns (NULL: any) and name local. */
int	wsman_xml_is(const xmlNode *n, const char *ns, const char *local);

/* First element child of parent matching ns/local (NULL: any), or NULL. */
xmlNode	*wsman_xml_child(const xmlNode *parent, const char *ns,
	    const char *local);

/* Next element sibling after n matching ns/local (NULL: any), or NULL. */
xmlNode	*wsman_xml_next(const xmlNode *n, const char *ns, const char *local);

#define WSMAN_TEXT_TRIM		0x01	/* strip surrounding white space */
#define WSMAN_TEXT_COLLAPSE	0x02	/* runs of white space -> one space */
#define WSMAN_TEXT_TRUNCATE	0x04	/* cut to fit (at a UTF-8 boundary) */

/*
 * Copy the text content of n into buf (NUL-terminated).  Without
 * WSMAN_TEXT_TRUNCATE, text that does not fit is MPS_ERR_TOO_LARGE.
 */
int	wsman_xml_text(const xmlNode *n, char *buf, size_t len, int flags);

/* Strict decimal parse of n's trimmed text into a uint32_t / int64_t. */
int	wsman_xml_u32(const xmlNode *n, uint32_t *out);
int	wsman_xml_i64(const xmlNode *n, int64_t *out);

/*
 * Serialise n as a self-contained fragment: every namespace it uses is
 * declared on its root, so the text parses on its own (and can be sent
 * back in a Put).  *out is malloc'd (caller frees).
 */
int	wsman_xml_fragment(const xmlNode *n, char **out, size_t *len);

/*
 * --- Instances ---
 *
 * An instance as returned by Get, Put, Pull or a method output, in two
 * forms: name/value pairs for JSON, and the XML fragment for Put.  Array
 * properties appear as repeated names in their document order.
 */
#define WSMAN_PROP_NIL	0x01	/* xsi:nil="true"; value is "" */
#define WSMAN_PROP_XML	0x02	/* structured (an EPR...): value is the
				   property element as a fragment */

struct wsman_prop {
	char	*name;		/* local name */
	char	*value;		/* text, never NULL */
	int	 flags;
};

struct wsman_instance {
	char			*class_name;	/* local name of the element */
	char			*ns;		/* its namespace URI ("" if none) */
	struct wsman_prop	*props;
	size_t			 nprops;
	char			*xml;		/* self-contained fragment */
	size_t			 xml_len;
};

struct wsman_instances {
	struct wsman_instance	*v;
	size_t			 n;
	size_t			 cap;
};

/*
 * Convert element n into inst (zeroed first).  A property holding just a
 * CIM common wrapper (<cim:Datetime> and the like) gets the wrapped text
 * as value.  Returns MPS_ERR_LIMIT past WSMAN_MAX_PROPS, MPS_ERR_NOMEM.
 * On error inst is left cleared.
 */
int	wsman_instance_from_node(const xmlNode *n, struct wsman_instance *inst);

/* Release everything inst owns and zero it. */
void	wsman_instance_clear(struct wsman_instance *inst);

/* Value of the first property called name, or NULL. */
const char *wsman_instance_value(const struct wsman_instance *inst,
	    const char *name);

/*
 * Append the conversion of n to list, refusing (MPS_ERR_LIMIT) once list
 * holds max instances.
 */
int	wsman_instances_append(struct wsman_instances *list,
	    const xmlNode *n, size_t max);

/* Release every instance and the array; list is empty afterwards. */
void	wsman_instances_clear(struct wsman_instances *list);

/* First instance whose property prop equals value, or NULL. */
const struct wsman_instance *wsman_instances_find(
	    const struct wsman_instances *list, const char *prop,
	    const char *value);

/*
 * --- Responses ---
 */

/* A SOAP fault, strings bounded and NUL-terminated ("" when absent). */
struct wsman_fault {
	char	code[64];	/* local part of Code/Value: "Sender" */
	char	subcode[128];	/* local part of Subcode/Value */
	char	subcode_ns[192];/* namespace URI the subcode QName names */
	char	reason[512];	/* Reason/Text */
	char	detail[512];	/* Detail text or wsman:FaultDetail URI */
	int32_t	amt_status;	/* n from "AMT-STATUS n" in Detail, else -1 */
};

struct wsman_resp {
	xmlDoc			*doc;
	xmlNode			*header;
	xmlNode			*body;
	char			 action[256];		/* wsa:Action, "" if none */
	char			 relates_to[WSMAN_MSGID_LEN * 2];
	int			 is_fault;
	struct wsman_fault	 fault;
};

/*
 * Parse a response body.  message_id, if not NULL, must equal the
 * response's wsa:RelatesTo; a mismatch (a stale or foreign response) or a
 * missing RelatesTo on a non-fault is MPS_ERR_XML.  A SOAP fault fills
 * resp->fault and returns MPS_ERR_WSMAN_FAULT.  Other errors:
 * MPS_ERR_TOO_LARGE, MPS_ERR_XML.  Call wsman_resp_free() afterwards
 * whatever the result.
 */
int	wsman_resp_parse(struct wsman_resp *resp, const char *buf, size_t len,
	    const char *message_id);

/* Release the parsed document; safe on a zeroed or failed resp. */
void	wsman_resp_free(struct wsman_resp *resp);

/* First element child of the Body (the payload), or NULL. */
xmlNode	*wsman_resp_payload(const struct wsman_resp *resp);

/*
 * Get/Put response: the instance element that is the Body's payload.
 * If class_name is not NULL the element's local name must match.
 */
int	wsman_resp_instance(const struct wsman_resp *resp,
	    const char *class_name, struct wsman_instance *inst);

/* EnumerateResponse: copy the EnumerationContext into ctx. */
int	wsman_resp_enum_context(const struct wsman_resp *resp, char *ctx,
	    size_t len);

/*
 * PullResponse: append the Items to list (at most max in total), copy
 * the new EnumerationContext into ctx ("" if none) and set *end when the
 * enumeration is over: EndOfSequence is present, or no context came back
 * to pull with.
 */
int	wsman_resp_pull(const struct wsman_resp *resp,
	    struct wsman_instances *list, size_t max, char *ctx, size_t len,
	    int *end);

/*
 * Method response: find <METHOD_OUTPUT> in namespace resource_uri, set
 * *out to it (may be NULL) and *rv to its ReturnValue.  A missing output
 * element or ReturnValue is MPS_ERR_XML.  Does not judge the value.
 */
int	wsman_resp_output(const struct wsman_resp *resp,
	    const char *resource_uri, const char *method, xmlNode **out,
	    uint32_t *rv);

/*
 * --- The device side (for the simulator) ---
 */

/* An incoming request, as a WS-Man service sees it. */
struct wsman_req_info {
	xmlDoc		*doc;
	xmlNode		*header;
	xmlNode		*body;
	xmlNode		*payload;	/* first element in Body, or NULL */
	enum wsman_action action;	/* INVOKE for a class method */
	char		 action_uri[WSMAN_MAX_URI + WSMAN_MAX_NAME + 2];
	char		 resource_uri[WSMAN_MAX_URI + 1];
	char		 message_id[WSMAN_MSGID_LEN * 2];
	char		 method[WSMAN_MAX_NAME + 1];	/* INVOKE */
	char		 context[WSMAN_CONTEXT_LEN];	/* PULL, RELEASE */
	struct {
		char	 name[WSMAN_MAX_NAME + 1];
		char	 value[256];	/* text content, truncated to fit */
	}		 selectors[WSMAN_MAX_SELECTORS];
	size_t		 nselectors;
};

/*
 * Parse a request envelope (same input rules as responses).  Action must
 * be a WS-Transfer or WS-Enumeration action or <ResourceURI>/<method>.
 * Returns MPS_ERR_XML for anything else, MPS_ERR_TOO_LARGE, MPS_ERR_LIMIT
 * past WSMAN_MAX_SELECTORS.  Call wsman_req_free() whatever the result.
 */
int	wsman_req_parse(struct wsman_req_info *req, const char *buf,
	    size_t len);
void	wsman_req_free(struct wsman_req_info *req);

/* Value of selector name, or NULL. */
const char *wsman_req_selector(const struct wsman_req_info *req,
	    const char *name);

/*
 * Build a SOAP fault envelope as AMT sends them: code "Sender" or
 * "Receiver", subcode a local name in namespace subcode_ns (e.g.
 * WSMAN_NS_ADDR, "DestinationUnreachable"), reason text, optional detail
 * text (NULL: empty Detail), RelatesTo relates_to (NULL: omitted).
 * *out is malloc'd.
 */
int	wsman_build_fault(const char *relates_to, const char *code,
	    const char *subcode_ns, const char *subcode, const char *reason,
	    const char *detail, char **out, size_t *len);

#endif /* WSMAN_H */
