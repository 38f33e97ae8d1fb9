/*
 * sim_fixture.c: the response templates the simulated AMT answers from.
 *
 * Two sources.  The recorded fixtures (responses/ of the shared
 * amt-wsman set: real AMT answers, one file per class and operation) are
 * indexed by what the envelopes themselves say, their ResourceURI and
 * Action header, not by file names, which do not map onto class names.
 * And a small built-in set, written here, that covers every operation
 * the daemon's amt.h performs (power, boot, identity), so a packaged
 * simulator without the fixtures still answers them; a recorded file
 * replaces the built-in template for the same key.
 *
 * Templates are stored without the indentation white space the fixture
 * files carry: real AMT sends its XML on one line, and a compact body is
 * what makes chunk boundaries fall inside tokens.
 *
 * The http/ captures (a 401 challenge, 200s with chunk boundaries inside
 * tokens) are kept as raw bytes, split at their recorded boundaries, for
 * the http-captures fault.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "mps_err.h"
#include "sim_wsman.h"
#include "wsman.h"

#define SIM_FIXTURE_MAX_FILES	4096
#define SIM_FIXTURE_MAX_DEPTH	8
#define SIM_FIXTURE_MAX_SIZE	(1024 * 1024)

/* The envelope AMT wraps every answer in, with its prefix letters. */
#define SIM_FIXTURE_ENV_OPEN						\
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"			\
	"<a:Envelope xmlns:a=\"" WSMAN_NS_SOAP "\""			\
	" xmlns:b=\"" WSMAN_NS_ADDR "\""				\
	" xmlns:c=\"" WSMAN_NS_WSMAN "\""				\
	" xmlns:d=\"http://schemas.xmlsoap.org/ws/2005/02/trust\""	\
	" xmlns:e=\"http://docs.oasis-open.org/wss/2004/01/"		\
	"oasis-200401-wss-wssecurity-secext-1.0.xsd\""			\
	" xmlns:f=\"http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd\"" \
	" xmlns:xsi=\"" WSMAN_NS_XSI "\">"				\
	"<a:Header><b:To>" WSMAN_ANONYMOUS "</b:To>"			\
	"<b:RelatesTo>0</b:RelatesTo>"					\
	"<b:Action a:mustUnderstand=\"true\"></b:Action>"		\
	"<b:MessageID>uuid:00000000-8086-8086-8086-000000000000</b:MessageID>" \
	"<c:ResourceURI></c:ResourceURI></a:Header><a:Body>"
#define SIM_FIXTURE_ENV_CLOSE	"</a:Body></a:Envelope>"

#define SIM_EPR(uri, sels)						\
	"<b:Address>" WSMAN_ANONYMOUS "</b:Address>"			\
	"<b:ReferenceParameters><c:ResourceURI>" uri "</c:ResourceURI>"	\
	"<c:SelectorSet>" sels "</c:SelectorSet></b:ReferenceParameters>"
#define SIM_SEL(name, value)	"<c:Selector Name=\"" name "\">" value \
	"</c:Selector>"
#define SIM_P(name, value)	"<g:" name ">" value "</g:" name ">"
#define SIM_SWID(id, v)		"<g:CIM_SoftwareIdentity>"		\
	SIM_P("InstanceID", id) SIM_P("IsEntity", "true")		\
	SIM_P("VersionString", v) "</g:CIM_SoftwareIdentity>"

/*
 * Built-in templates: AMT's property names in AMT's (alphabetical) order;
 * the values the responder does not overwrite per device are plausible
 * defaults for a provisioned AMT 15 desktop.
 */
static const struct {
	const char	*cls;
	const char	*op;
	const char	*payload;	/* class namespace is prefix g */
} sim_fixture_builtins[] = {
	{ WSMAN_URI_CIM "CIM_AssociatedPowerManagementService", "Get",
	  "<g:CIM_AssociatedPowerManagementService>"
	  SIM_P("AvailableRequestedPowerStates", "10")
	  SIM_P("PowerState", "2")
	  "<g:ServiceProvided>" SIM_EPR(WSMAN_URI_CIM
	  "CIM_PowerManagementService",
	  SIM_SEL("CreationClassName", "CIM_PowerManagementService")
	  SIM_SEL("Name", "Intel(r) AMT Power Management Service")
	  SIM_SEL("SystemCreationClassName", "CIM_ComputerSystem")
	  SIM_SEL("SystemName", "Intel(r) AMT")) "</g:ServiceProvided>"
	  "<g:UserOfService>" SIM_EPR(WSMAN_URI_CIM "CIM_ComputerSystem",
	  SIM_SEL("CreationClassName", "CIM_ComputerSystem")
	  SIM_SEL("Name", "ManagedSystem")) "</g:UserOfService>"
	  "</g:CIM_AssociatedPowerManagementService>" },
	{ WSMAN_URI_AMT "AMT_BootSettingData", "Get",
	  "<g:AMT_BootSettingData>"
	  SIM_P("BIOSLastStatus", "2") SIM_P("BIOSLastStatus", "0")
	  SIM_P("BIOSPause", "false") SIM_P("BIOSSetup", "false")
	  SIM_P("BootMediaIndex", "0")
	  SIM_P("ConfigurationDataReset", "false")
	  SIM_P("ElementName", "Intel(r) AMT Boot Configuration Settings")
	  SIM_P("EnforceSecureBoot", "false")
	  SIM_P("FirmwareVerbosity", "0")
	  SIM_P("ForcedProgressEvents", "false")
	  SIM_P("IDERBootDevice", "0")
	  SIM_P("InstanceID", "Intel(r) AMT:BootSettingData 0")
	  SIM_P("LockKeyboard", "false") SIM_P("LockPowerButton", "false")
	  SIM_P("LockResetButton", "false") SIM_P("LockSleepButton", "false")
	  SIM_P("OptionsCleared", "true")
	  SIM_P("OwningEntity", "Intel(r) AMT")
	  SIM_P("PlatformErase", "false") SIM_P("RSEPassword", "")
	  SIM_P("ReflashBIOS", "false") SIM_P("SecureErase", "false")
	  SIM_P("UefiBootNumberOfParams", "0")
	  SIM_P("UseIDER", "false") SIM_P("UseSOL", "false")
	  SIM_P("UseSafeMode", "false") SIM_P("UserPasswordBypass", "false")
	  "</g:AMT_BootSettingData>" },
	{ WSMAN_URI_AMT "AMT_BootCapabilities", "Get",
	  "<g:AMT_BootCapabilities>"
	  SIM_P("BIOSPause", "false") SIM_P("BIOSReflash", "true")
	  SIM_P("BIOSSetup", "true")
	  SIM_P("ElementName", "Intel(r) AMT: Boot Capabilities")
	  SIM_P("ForceCDorDVDBoot", "true")
	  SIM_P("ForceDiagnosticBoot", "false")
	  SIM_P("ForceHardDriveBoot", "true") SIM_P("ForcePXEBoot", "true")
	  SIM_P("IDER", "true")
	  SIM_P("InstanceID", "Intel(r) AMT:BootCapabilities 0")
	  SIM_P("SOL", "true") SIM_P("SecureErase", "false")
	  SIM_P("UserPasswordBypass", "true")
	  "</g:AMT_BootCapabilities>" },
	{ WSMAN_URI_CIM "CIM_SoftwareIdentity", "Pull",
	  "<h:PullResponse xmlns:h=\"" WSMAN_NS_ENUM "\"><h:Items>"
	  SIM_SWID("Flash", "0") SIM_SWID("Netstack", "0")
	  SIM_SWID("AMTApps", "0") SIM_SWID("AMT", "0")
	  SIM_SWID("Sku", "16392") SIM_SWID("VendorID", "8086")
	  SIM_SWID("Build Number", "0") SIM_SWID("Recovery Version", "0")
	  SIM_SWID("Recovery Build Num", "0")
	  SIM_SWID("Legacy Mode", "False")
	  SIM_SWID("AMT FW Core Version", "0")
	  "</h:Items><h:EndOfSequence/></h:PullResponse>" },
	{ WSMAN_URI_AMT "AMT_GeneralSettings", "Get",
	  "<g:AMT_GeneralSettings>"
	  SIM_P("AMTNetworkEnabled", "1")
	  SIM_P("DDNSPeriodicUpdateInterval", "1440")
	  SIM_P("DDNSTTL", "900")
	  SIM_P("DDNSUpdateByDHCPServerEnabled", "true")
	  SIM_P("DDNSUpdateEnabled", "false")
	  SIM_P("DHCPv6ConfigurationTimeout", "0")
	  SIM_P("DigestRealm", "")
	  SIM_P("DomainName", "")
	  SIM_P("ElementName", "Intel(r) AMT: General Settings")
	  SIM_P("HostName", "")
	  SIM_P("HostOSFQDN", "")
	  SIM_P("IdleWakeTimeout", "65535")
	  SIM_P("InstanceID", "Intel(r) AMT: General Settings")
	  SIM_P("NetworkInterfaceEnabled", "true")
	  SIM_P("PingResponseEnabled", "true")
	  SIM_P("PowerSource", "0")
	  SIM_P("PreferredAddressFamily", "0")
	  SIM_P("PresenceNotificationInterval", "0")
	  SIM_P("PrivacyLevel", "0")
	  SIM_P("RmcpPingResponseEnabled", "true")
	  SIM_P("SharedFQDN", "true")
	  SIM_P("ThunderboltDockEnabled", "0")
	  SIM_P("WsmanOnlyMode", "false")
	  "</g:AMT_GeneralSettings>" },
	{ WSMAN_URI_CIM "CIM_ComputerSystemPackage", "Get",
	  "<g:CIM_ComputerSystemPackage>"
	  "<g:Antecedent>" SIM_EPR(WSMAN_URI_CIM "CIM_Chassis",
	  SIM_SEL("CreationClassName", "CIM_Chassis")
	  SIM_SEL("Tag", "CIM_Chassis")) "</g:Antecedent>"
	  "<g:Dependent>" SIM_EPR(WSMAN_URI_CIM "CIM_ComputerSystem",
	  SIM_SEL("CreationClassName", "CIM_ComputerSystem")
	  SIM_SEL("Name", "ManagedSystem")) "</g:Dependent>"
	  SIM_P("PlatformGUID", "")
	  "</g:CIM_ComputerSystemPackage>" },
	{ WSMAN_URI_AMT "AMT_SetupAndConfigurationService", "Get",
	  "<g:AMT_SetupAndConfigurationService>"
	  SIM_P("CreationClassName", "AMT_SetupAndConfigurationService")
	  SIM_P("ElementName", "Intel(r) AMT Setup and Configuration Service")
	  SIM_P("EnabledState", "5")
	  SIM_P("Name", "Intel(r) AMT Setup and Configuration Service")
	  SIM_P("PasswordModel", "1")
	  SIM_P("ProvisioningMode", "1")
	  SIM_P("ProvisioningState", "2")
	  SIM_P("RequestedState", "12")
	  SIM_P("SystemCreationClassName", "CIM_ComputerSystem")
	  SIM_P("SystemName", "Intel(r) AMT")
	  SIM_P("ZeroTouchConfigurationEnabled", "true")
	  "</g:AMT_SetupAndConfigurationService>" },
	{ WSMAN_URI_AMT "AMT_TimeSynchronizationService", "Get",
	  "<g:AMT_TimeSynchronizationService>"
	  SIM_P("CreationClassName", "AMT_TimeSynchronizationService")
	  SIM_P("ElementName", "Intel(r) AMT Time Synchronization Service")
	  SIM_P("EnabledState", "5")
	  SIM_P("LocalTimeSyncEnabled", "0")
	  SIM_P("Name", "Intel(r) AMT Time Synchronization Service")
	  SIM_P("RequestedState", "12")
	  SIM_P("SystemCreationClassName", "CIM_ComputerSystem")
	  SIM_P("SystemName", "Intel(r) AMT")
	  SIM_P("TimeSource", "0")
	  "</g:AMT_TimeSynchronizationService>" },
};

/* Operations of the WS-Transfer/Enumeration actions, by response action. */
static const struct {
	const char	*action;
	const char	*op;
} sim_fixture_ops[] = {
	{ "http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse", "Get" },
	{ "http://schemas.xmlsoap.org/ws/2004/09/transfer/PutResponse", "Put" },
	{ "http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse",
	    "Delete" },
	{ "http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse",
	    "Create" },
	{ "http://schemas.xmlsoap.org/ws/2004/09/enumeration/EnumerateResponse",
	    "Enumerate" },
	{ "http://schemas.xmlsoap.org/ws/2004/09/enumeration/PullResponse",
	    "Pull" },
	{ "http://schemas.xmlsoap.org/ws/2004/09/enumeration/ReleaseResponse",
	    "Release" },
};

const char *
sim_fixture_default_dir(void)
{
	static const char *const dirs[] = {
#ifdef SIM_FIXTURES_BUILD_DIR
		SIM_FIXTURES_BUILD_DIR,
#endif
#ifdef SIM_FIXTURES_INSTALL_DIR
		SIM_FIXTURES_INSTALL_DIR,
#endif
		NULL
	};
	char	path[PATH_MAX];
	size_t	i;

	for (i = 0; dirs[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/responses", dirs[i]);
		if (access(path, R_OK | X_OK) == 0)
			return dirs[i];
	}
	return NULL;
}

/* Drop the white-space-only text between elements (the indentation). */
static void
sim_fixture_strip(xmlNode *n)
{
	xmlNode	*c, *next;
	int	 has_elem = 0;

	for (c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			has_elem = 1;
	for (c = n->children; c != NULL; c = next) {
		next = c->next;
		if (c->type == XML_ELEMENT_NODE)
			sim_fixture_strip(c);
		else if (has_elem && (c->type == XML_TEXT_NODE ||
		    c->type == XML_COMMENT_NODE) && (c->type ==
		    XML_COMMENT_NODE || xmlIsBlankNode(c))) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		}
	}
}

static void
sim_fixture_entry_free(struct sim_fixture *f)
{
	free(f->uri);
	free(f->op);
	free(f->origin);
	if (f->doc != NULL)
		xmlFreeDoc(f->doc);
	memset(f, 0, sizeof(*f));
}

/* Add (or, with replace, substitute) a template; takes doc. */
static int
sim_fixture_add(struct sim_fixture_set *fs, const char *uri, const char *op,
    int invoke, xmlDoc *doc, const char *origin, int replace)
{
	struct sim_fixture	*f = NULL, *nv;
	size_t			 i, cap;

	for (i = 0; i < fs->n; i++)
		if (strcmp(fs->v[i].uri, uri) == 0 &&
		    strcmp(fs->v[i].op, op) == 0)
			f = &fs->v[i];
	if (f != NULL && !replace) {
		xmlFreeDoc(doc);
		return 0;
	}
	if (f != NULL)
		sim_fixture_entry_free(f);
	else {
		if (fs->n == fs->cap) {
			cap = fs->cap ? fs->cap * 2 : 64;
			if ((nv = reallocarray(fs->v, cap, sizeof(*nv))) ==
			    NULL) {
				xmlFreeDoc(doc);
				return MPS_ERR_NOMEM;
			}
			fs->v = nv;
			fs->cap = cap;
		}
		f = &fs->v[fs->n++];
		memset(f, 0, sizeof(*f));
	}
	f->uri = strdup(uri);
	f->op = strdup(op);
	f->origin = strdup(origin);
	f->invoke = invoke;
	f->doc = doc;
	if (f->uri == NULL || f->op == NULL || f->origin == NULL) {
		sim_fixture_entry_free(f);
		fs->n--;
		return MPS_ERR_NOMEM;
	}
	return 0;
}

static void
sim_fixture_set_text(xmlNode *n, const char *text)
{
	xmlNodeSetContent(n, NULL);
	xmlNodeAddContent(n, BAD_CAST text);
}

xmlDoc *
sim_fixture_skeleton(const char *uri, const char *action)
{
	static const char	 env[] = SIM_FIXTURE_ENV_OPEN
	    SIM_FIXTURE_ENV_CLOSE;
	xmlDoc			*doc;
	xmlNode			*root, *hdr;

	if (wsman_xml_read(env, sizeof(env) - 1, &doc) != 0)
		return NULL;
	root = xmlDocGetRootElement(doc);
	hdr = wsman_xml_child(root, WSMAN_NS_SOAP, "Header");
	sim_fixture_set_text(wsman_xml_child(hdr, WSMAN_NS_ADDR, "Action"),
	    action);
	sim_fixture_set_text(wsman_xml_child(hdr, WSMAN_NS_WSMAN,
	    "ResourceURI"), uri);
	return doc;
}

static int
sim_fixture_builtin(struct sim_fixture_set *fs, size_t i)
{
	const char	*cls = sim_fixture_builtins[i].cls;
	const char	*op = sim_fixture_builtins[i].op;
	const char	*payload = sim_fixture_builtins[i].payload;
	char		 action[128];
	xmlDoc		*doc;
	xmlNode		*root, *body, *list = NULL;

	snprintf(action, sizeof(action), "http://schemas.xmlsoap.org/ws/"
	    "2004/09/%s/%sResponse", strcmp(op, "Pull") == 0 ||
	    strcmp(op, "Enumerate") == 0 ? "enumeration" : "transfer", op);
	if ((doc = sim_fixture_skeleton(cls, action)) == NULL)
		return MPS_ERR_NOMEM;
	/* The class namespace on the Envelope, as AMT declares it, so the
	 * payload parses in place with prefixes a..g in scope. */
	root = xmlDocGetRootElement(doc);
	body = wsman_xml_child(root, WSMAN_NS_SOAP, "Body");
	if (xmlNewNs(root, BAD_CAST cls, BAD_CAST "g") == NULL ||
	    xmlParseInNodeContext(body, payload, (int)strlen(payload),
	    XML_PARSE_NONET, &list) != XML_ERR_OK || list == NULL) {
		xmlFreeNodeList(list);
		xmlFreeDoc(doc);
		return MPS_ERR_INTERNAL;
	}
	xmlAddChildList(body, list);
	return sim_fixture_add(fs, cls, op, 0, doc, "built-in", 1);
}

/*
 * What a recorded response answers: its ResourceURI and the operation its
 * Action names.  0 and *op malloc'd, or MPS_ERR_INVALID for anything
 * that is not a response to a request (requests, faults).
 */
static int
sim_fixture_key(xmlDoc *doc, char *uri, size_t urilen, char **op,
    int *invoke)
{
	xmlNode	*root, *hdr;
	char	 action[WSMAN_MAX_URI + WSMAN_MAX_NAME + 16], rel[128];
	size_t	 i, ul, ml;

	root = xmlDocGetRootElement(doc);
	if (!wsman_xml_is(root, WSMAN_NS_SOAP, "Envelope") ||
	    (hdr = wsman_xml_child(root, WSMAN_NS_SOAP, "Header")) == NULL ||
	    wsman_xml_child(root, WSMAN_NS_SOAP, "Body") == NULL)
		return MPS_ERR_INVALID;
	/* No RelatesTo: a request someone filed among the responses. */
	if (wsman_xml_text(wsman_xml_child(hdr, WSMAN_NS_ADDR, "RelatesTo"),
	    rel, sizeof(rel), WSMAN_TEXT_TRIM) != 0 ||
	    wsman_xml_text(wsman_xml_child(hdr, WSMAN_NS_ADDR, "Action"),
	    action, sizeof(action), WSMAN_TEXT_TRIM) != 0 ||
	    wsman_xml_text(wsman_xml_child(hdr, WSMAN_NS_WSMAN,
	    "ResourceURI"), uri, urilen, WSMAN_TEXT_TRIM) != 0 ||
	    uri[0] == '\0')
		return MPS_ERR_INVALID;
	for (i = 0; i < sizeof(sim_fixture_ops) / sizeof(sim_fixture_ops[0]);
	    i++)
		if (strcmp(action, sim_fixture_ops[i].action) == 0) {
			*invoke = 0;
			return (*op = strdup(sim_fixture_ops[i].op)) == NULL ?
			    MPS_ERR_NOMEM : 0;
		}
	ul = strlen(uri);
	if (strncmp(action, uri, ul) != 0 || action[ul] != '/')
		return MPS_ERR_INVALID;
	ml = strlen(action + ul + 1);
	/* Hand-written fixtures sometimes drop the Response suffix. */
	if (ml > 8 && strcmp(action + ul + 1 + ml - 8, "Response") == 0)
		ml -= 8;
	if (ml == 0 || ml > WSMAN_MAX_NAME)
		return MPS_ERR_INVALID;
	*invoke = 1;
	return (*op = strndup(action + ul + 1, ml)) == NULL ? MPS_ERR_NOMEM :
	    0;
}

/* Read a whole small file; *buf malloc'd and NUL-terminated. */
static int
sim_fixture_slurp(const char *path, char **buf, size_t *len)
{
	struct stat	 sb;
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd, r = MPS_ERR_IO;

	*buf = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return MPS_ERR_IO;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
		goto out;
	if (sb.st_size > SIM_FIXTURE_MAX_SIZE) {
		r = MPS_ERR_TOO_LARGE;
		goto out;
	}
	if ((*buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		r = MPS_ERR_NOMEM;
		goto out;
	}
	while (off < (size_t)sb.st_size) {
		n = read(fd, *buf + off, (size_t)sb.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	(*buf)[off] = '\0';
	*len = off;
	r = 0;
out:
	if (r != 0) {
		free(*buf);
		*buf = NULL;
	}
	close(fd);
	return r;
}

static int
sim_fixture_file(struct sim_fixture_set *fs, const char *path)
{
	char	 uri[WSMAN_MAX_URI + 1], *buf, *op = NULL;
	size_t	 len;
	xmlDoc	*doc = NULL;
	int	 r, invoke;

	if ((r = sim_fixture_slurp(path, &buf, &len)) != 0) {
		fs->skipped++;
		return r == MPS_ERR_NOMEM ? r : 0;
	}
	r = wsman_xml_read(buf, len, &doc);
	free(buf);
	if (r != 0 || (r = sim_fixture_key(doc, uri, sizeof(uri), &op,
	    &invoke)) != 0) {
		if (doc != NULL)
			xmlFreeDoc(doc);
		fs->skipped++;
		return r == MPS_ERR_NOMEM ? r : 0;
	}
	sim_fixture_strip(xmlDocGetRootElement(doc));
	/* Built-ins are replaced; among files the first path wins. */
	{
		const struct sim_fixture *old = sim_fixture_find(fs, uri, op);

		r = sim_fixture_add(fs, uri, op, invoke, doc, path,
		    old != NULL && strcmp(old->origin, "built-in") == 0);
	}
	free(op);
	if (r == 0)
		fs->files++;
	return r;
}

static int
sim_fixture_is_xml(const struct dirent *de)
{
	size_t	l = strlen(de->d_name);

	if (de->d_name[0] == '.')
		return 0;
	return de->d_type == DT_DIR || de->d_type == DT_UNKNOWN ||
	    (l > 4 && strcmp(de->d_name + l - 4, ".xml") == 0);
}

static int
sim_fixture_walk(struct sim_fixture_set *fs, const char *dir, int depth,
    size_t *seen)
{
	struct dirent	**list = NULL;
	struct stat	  sb;
	char		  path[PATH_MAX];
	int		  n, i, r = 0;
	size_t		  l;

	if (depth > SIM_FIXTURE_MAX_DEPTH)
		return 0;
	/* alphasort: a stable order, so "first file wins" is stable. */
	if ((n = scandir(dir, &list, sim_fixture_is_xml, alphasort)) < 0)
		return depth == 0 ? MPS_ERR_IO : 0;
	for (i = 0; i < n && r == 0; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    list[i]->d_name) >= sizeof(path))
			continue;
		if (stat(path, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode))
			r = sim_fixture_walk(fs, path, depth + 1, seen);
		else if (S_ISREG(sb.st_mode)) {
			l = strlen(path);
			if (l <= 4 || strcmp(path + l - 4, ".xml") != 0)
				continue;
			if (++*seen > SIM_FIXTURE_MAX_FILES)
				break;
			r = sim_fixture_file(fs, path);
		}
	}
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return r;
}

static void
sim_fixture_http_free(struct sim_fixture_http *h)
{
	size_t	i;

	free(h->head);
	for (i = 0; i < h->nchunks; i++)
		free(h->chunk[i]);
	free(h->chunk);
	free(h->chunk_len);
	memset(h, 0, sizeof(*h));
}

/* Split "XXXX\r\n<data>\r\n ... 0\r\n\r\n" at its recorded boundaries. */
static int
sim_fixture_http_chunks(struct sim_fixture_http *h, const char *p,
    size_t len)
{
	char		*end, **nc;
	size_t		*nl, sz;
	unsigned long	 v;

	for (;;) {
		if (len == 0)
			return MPS_ERR_INVALID;
		v = strtoul(p, &end, 16);
		if (end == p || (size_t)(end - p) + 2 > len ||
		    end[0] != '\r' || end[1] != '\n')
			return MPS_ERR_INVALID;
		sz = (size_t)(end - p) + 2;
		p += sz;
		len -= sz;
		if (v == 0)
			return 0;
		if (v > len || len - v < 2 || p[v] != '\r' || p[v + 1] != '\n')
			return MPS_ERR_INVALID;
		nc = reallocarray(h->chunk, h->nchunks + 1, sizeof(*nc));
		if (nc == NULL)
			return MPS_ERR_NOMEM;
		h->chunk = nc;
		nl = reallocarray(h->chunk_len, h->nchunks + 1, sizeof(*nl));
		if (nl == NULL)
			return MPS_ERR_NOMEM;
		h->chunk_len = nl;
		if ((h->chunk[h->nchunks] = malloc(v)) == NULL)
			return MPS_ERR_NOMEM;
		memcpy(h->chunk[h->nchunks], p, v);
		h->chunk_len[h->nchunks++] = v;
		p += v + 2;
		len -= v + 2;
	}
}

/* One capture: with_head splits at the blank line; chunked parses on. */
static int
sim_fixture_http_load(struct sim_fixture_http *h, const char *dir,
    const char *name, int with_head, int chunked)
{
	char		 path[PATH_MAX], *buf, *blank;
	const char	*body;
	size_t		 len, hl;
	int		 r;

	if ((size_t)snprintf(path, sizeof(path), "%s/http/%s", dir, name) >=
	    sizeof(path))
		return MPS_ERR_IO;
	if ((r = sim_fixture_slurp(path, &buf, &len)) != 0)
		return r;
	body = buf;
	if (with_head) {
		if ((blank = strstr(buf, "\r\n\r\n")) == NULL) {
			free(buf);
			return MPS_ERR_INVALID;
		}
		hl = (size_t)(blank - buf) + 4;
		if ((h->head = strndup(buf, hl)) == NULL) {
			free(buf);
			return MPS_ERR_NOMEM;
		}
		h->head_len = hl;
		body = buf + hl;
	}
	r = chunked ? sim_fixture_http_chunks(h, body,
	    len - (size_t)(body - buf)) : 0;
	free(buf);
	if (r != 0)
		sim_fixture_http_free(h);
	return r;
}

int
sim_fixture_load(struct sim_fixture_set *fs, const char *dir, char *err,
    size_t errlen)
{
	char		 rdir[PATH_MAX];
	struct stat	 sb;
	size_t		 i, seen = 0;
	int		 r;

	memset(fs, 0, sizeof(*fs));
	for (i = 0; i < sizeof(sim_fixture_builtins) /
	    sizeof(sim_fixture_builtins[0]); i++)
		if ((r = sim_fixture_builtin(fs, i)) != 0) {
			snprintf(err, errlen, "built-in template %zu: %s", i,
			    mps_strerror(r));
			return r;
		}
	if (dir == NULL)
		return 0;
	if (strlen(dir) >= sizeof(fs->dir)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return MPS_ERR_USAGE;
	}
	snprintf(fs->dir, sizeof(fs->dir), "%s", dir);
	snprintf(rdir, sizeof(rdir), "%s/responses", dir);
	if (stat(rdir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		snprintf(rdir, sizeof(rdir), "%s", dir);
	if ((r = sim_fixture_walk(fs, rdir, 0, &seen)) != 0) {
		snprintf(err, errlen, "%s: %s", rdir, r == MPS_ERR_IO ?
		    strerror(errno) : mps_strerror(r));
		return r;
	}
	/* The captures are optional: only http-captures needs them. */
	r = sim_fixture_http_load(&fs->cap401, dir,
	    "401-digest-challenge.http", 1, 0);
	if (r == 0)
		r = sim_fixture_http_load(&fs->cap200, dir,
		    "200-chunked-cim-computersystempackage.http", 1, 1);
	if (r == 0)
		(void)sim_fixture_http_load(&fs->cap200_card, dir,
		    "200-chunked-cim-card-body.http", 0, 1);
	if (r == MPS_ERR_NOMEM) {
		snprintf(err, errlen, "http captures: %s", mps_strerror(r));
		return r;
	}
	return 0;
}

void
sim_fixture_free(struct sim_fixture_set *fs)
{
	size_t	i;

	for (i = 0; i < fs->n; i++)
		sim_fixture_entry_free(&fs->v[i]);
	free(fs->v);
	sim_fixture_http_free(&fs->cap401);
	sim_fixture_http_free(&fs->cap200);
	sim_fixture_http_free(&fs->cap200_card);
	memset(fs, 0, sizeof(*fs));
}

const struct sim_fixture *
sim_fixture_find(const struct sim_fixture_set *fs, const char *uri,
    const char *op)
{
	size_t	i;

	for (i = 0; i < fs->n; i++)
		if (strcmp(fs->v[i].op, op) == 0 &&
		    strcmp(fs->v[i].uri, uri) == 0)
			return &fs->v[i];
	return NULL;
}

int
sim_fixture_known(const struct sim_fixture_set *fs, const char *uri)
{
	size_t	i;

	for (i = 0; i < fs->n; i++)
		if (strcmp(fs->v[i].uri, uri) == 0)
			return 1;
	return 0;
}
