/*
 * main.c: amt-cira-sim, a simulated fleet of Intel AMT devices that open
 * CIRA tunnels (TLS + APF) to an MPS.  Options, validation, then the fleet
 * loop; see docs/simulator.md.
 */
#include <sys/socket.h>

#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "mps_err.h"
#include "sim.h"

#define SIM_DEFAULT_SERVER	"127.0.0.1:4433"
/* "SIM" in the first group; the last group numbers the fleet. */
#define SIM_DEFAULT_GUID_BASE	"0053494d-0000-4000-8000-000000000000"
/* The order MeshCentral and Open AMT note for real AMT: 5900 last. */
#define SIM_DEFAULT_PORTS	"16993,16992,664,623,16995,16994,5900"

enum {
	OPT_SERVER = 256, OPT_COUNT, OPT_GUID, OPT_GUID_BASE, OPT_SOURCE,
	OPT_RATE, OPT_MAX_INFLIGHT, OPT_USER, OPT_PASSWORD, OPT_CA,
	OPT_INSECURE, OPT_VERIFY_NAME, OPT_TLS_MIN, OPT_TLS_MAX, OPT_CIPHERS,
	OPT_DURATION, OPT_SUMMARY, OPT_READY_FILE, OPT_PROGRESS,
	OPT_KEEPALIVE, OPT_TRIGGER, OPT_PORTS, OPT_PIPELINE, OPT_FWD_ADDRESS,
	OPT_WINDOW, OPT_SLOW_ADJUST, OPT_MAX_PACKET, OPT_MAX_CHANNELS, OPT_CHAN_OUT_MAX,
	OPT_REFUSE_OPEN, OPT_MISBEHAVE, OPT_MISBEHAVE_COUNT, OPT_RECONNECT,
	OPT_BACKOFF, OPT_HANDSHAKE_TIMEOUT, OPT_VERSION,
	OPT_AMT_USER, OPT_AMT_PASSWORD, OPT_AMT_VERSION, OPT_AMT_PROVISIONING,
	OPT_AMT_POWER, OPT_FIXTURES, OPT_WSMAN_LOG, OPT_WSMAN_FAULT,
	OPT_WSMAN_FAULT_COUNT, OPT_WSMAN_LISTEN, OPT_WSMAN_LISTEN_TLS,
	OPT_WSMAN_NONCE_LIFETIME,
};

static const struct option sim_longopts[] = {
	{ "server",		required_argument, NULL, OPT_SERVER },
	{ "count",		required_argument, NULL, OPT_COUNT },
	{ "guid",		required_argument, NULL, OPT_GUID },
	{ "guid-base",		required_argument, NULL, OPT_GUID_BASE },
	{ "source",		required_argument, NULL, OPT_SOURCE },
	{ "rate",		required_argument, NULL, OPT_RATE },
	{ "max-inflight",	required_argument, NULL, OPT_MAX_INFLIGHT },
	{ "user",		required_argument, NULL, OPT_USER },
	{ "password",		required_argument, NULL, OPT_PASSWORD },
	{ "ca",			required_argument, NULL, OPT_CA },
	{ "insecure",		no_argument,	   NULL, OPT_INSECURE },
	{ "verify-name",	required_argument, NULL, OPT_VERIFY_NAME },
	{ "tls-min",		required_argument, NULL, OPT_TLS_MIN },
	{ "tls-max",		required_argument, NULL, OPT_TLS_MAX },
	{ "ciphers",		required_argument, NULL, OPT_CIPHERS },
	{ "duration",		required_argument, NULL, OPT_DURATION },
	{ "summary",		required_argument, NULL, OPT_SUMMARY },
	{ "ready-file",		required_argument, NULL, OPT_READY_FILE },
	{ "progress",		required_argument, NULL, OPT_PROGRESS },
	{ "keepalive",		required_argument, NULL, OPT_KEEPALIVE },
	{ "trigger",		required_argument, NULL, OPT_TRIGGER },
	{ "ports",		required_argument, NULL, OPT_PORTS },
	{ "pipeline",		no_argument,	   NULL, OPT_PIPELINE },
	{ "fwd-address",	required_argument, NULL, OPT_FWD_ADDRESS },
	{ "window",		required_argument, NULL, OPT_WINDOW },
	{ "slow-adjust",	required_argument, NULL, OPT_SLOW_ADJUST },
	{ "max-packet",		required_argument, NULL, OPT_MAX_PACKET },
	{ "max-channels",	required_argument, NULL, OPT_MAX_CHANNELS },
	{ "chan-out-max",	required_argument, NULL, OPT_CHAN_OUT_MAX },
	{ "refuse-open",	no_argument,	   NULL, OPT_REFUSE_OPEN },
	{ "misbehave",		required_argument, NULL, OPT_MISBEHAVE },
	{ "misbehave-count",	required_argument, NULL, OPT_MISBEHAVE_COUNT },
	{ "reconnect",		no_argument,	   NULL, OPT_RECONNECT },
	{ "backoff",		required_argument, NULL, OPT_BACKOFF },
	{ "handshake-timeout",	required_argument, NULL,
	    OPT_HANDSHAKE_TIMEOUT },
	{ "amt-user",		required_argument, NULL, OPT_AMT_USER },
	{ "amt-password",	required_argument, NULL, OPT_AMT_PASSWORD },
	{ "amt-version",	required_argument, NULL, OPT_AMT_VERSION },
	{ "amt-provisioning",	required_argument, NULL,
	    OPT_AMT_PROVISIONING },
	{ "amt-power",		required_argument, NULL, OPT_AMT_POWER },
	{ "fixtures",		required_argument, NULL, OPT_FIXTURES },
	{ "wsman-log",		required_argument, NULL, OPT_WSMAN_LOG },
	{ "wsman-fault",	required_argument, NULL, OPT_WSMAN_FAULT },
	{ "wsman-fault-count",	required_argument, NULL,
	    OPT_WSMAN_FAULT_COUNT },
	{ "wsman-listen",	required_argument, NULL, OPT_WSMAN_LISTEN },
	{ "wsman-listen-tls",	required_argument, NULL,
	    OPT_WSMAN_LISTEN_TLS },
	{ "wsman-nonce-lifetime", required_argument, NULL,
	    OPT_WSMAN_NONCE_LIFETIME },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "help",		no_argument,	   NULL, 'h' },
	{ "version",		no_argument,	   NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static void
sim_usage(FILE *fp)
{
	fprintf(fp,
"usage: amt-cira-sim [options] (--ca FILE | --insecure)\n"
"  --server HOST:PORT      MPS address (" SIM_DEFAULT_SERVER ")\n"
"  --count N               devices (1)\n"
"  --guid GUID             one device with this GUID\n"
"  --guid-base GUID        device i = GUID + i in the last 48 bits\n"
"  --source A[,A...]       local source addresses, round-robin\n"
"  --rate R                new connections per second (0 = no limit)\n"
"  --max-inflight N        handshakes in flight at most (200)\n"
"  --user U --password P   MPS credentials (" SIM_DEFAULT_USER " / "
    SIM_DEFAULT_PASSWORD ")\n"
"  --ca FILE | --insecure  verify the server certificate, or do not\n"
"  --verify-name NAME      name or IP the certificate must carry\n"
"                          (default: HOST of --server)\n"
"  --tls-min V --tls-max V 1.0, 1.1, 1.2, 1.3 (min 1.2)\n"
"  --ciphers LIST          TLS 1.2 cipher list\n"
"  --duration S            run S seconds, then close cleanly (0 = until\n"
"                          SIGINT/SIGTERM)\n"
"  --summary FILE|-        JSON summary at exit (and on SIGUSR1)\n"
"  --ready-file FILE       summary written once every device is ACTIVE\n"
"                          or has failed\n"
"  --progress S            status line on stderr every S seconds\n"
"  --keepalive S           keepalive interval, overriding the MPS's\n"
"  --trigger N             PROTOCOLVERSION trigger reason (4 periodic)\n"
"  --ports LIST            forwarded ports (" SIM_DEFAULT_PORTS ")\n"
"  --pipeline              send every tcpip-forward at once\n"
"  --fwd-address S         address in tcpip-forward (\"\")\n"
"  --window B              receive window per channel (65536)\n"
"  --slow-adjust MS        hold each WINDOW_ADJUST back MS ms (a slow\n"
"                          device; 0 = off)\n"
"  --max-packet B          largest CHANNEL_DATA sent (16384)\n"
"  --max-channels N        channels per device (8), then OPEN_FAILURE 4\n"
"  --chan-out-max B        service output buffered per channel (65536)\n"
"  --refuse-open           answer every CHANNEL_OPEN with failure 4\n"
"  --misbehave KIND        wrong-password stall garbage oversize\n"
"                          no-keepalive duplicate-guid ignore-window\n"
"                          unknown-request\n"
"  --misbehave-count K     first K devices misbehave (all); for\n"
"                          duplicate-guid: K extra connections\n"
"  --reconnect             reconnect after a drop, with backoff\n"
"  --backoff MIN,MAX       reconnect backoff seconds (1,30)\n"
"  --handshake-timeout S   give up a handshake after S seconds (60)\n"
"WS-Man responder (ports 16992/16993):\n"
"  --amt-user U --amt-password P  AMT digest credentials (" \
    SIM_WSMAN_DEFAULT_USER " / " SIM_WSMAN_DEFAULT_PASSWORD ")\n"
"  --amt-version V         firmware version (" SIM_WSMAN_DEFAULT_VERSION ")\n"
"  --amt-provisioning M    acm or ccm (acm)\n"
"  --amt-power S           initial power state: on off sleep hibernate (on)\n"
"  --fixtures DIR|none     recorded responses (default: the shared set,\n"
"                          then the installed copy; none: built-in only)\n"
"  --wsman-log FILE        append one JSON line per WS-Man request\n"
"  --wsman-fault KIND[=N]  wrong-auth destination-unreachable\n"
"                          return-value=N slow=MS http-captures\n"
"                          (repeatable)\n"
"  --wsman-fault-count K   first K devices get the faults (all)\n"
"  --wsman-listen A:P      serve device 0's WS-Man on a local TCP port\n"
"  --wsman-listen-tls A:P  the same over TLS (as 16993)\n"
"  --wsman-nonce-lifetime S  digest nonces expire after S seconds (300)\n"
"  -v, --verbose           log per-device events (twice: states)\n");
}

static int
sim_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	char			*end;
	unsigned long long	 n;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 ||
	    n < min || n > max)
		return MPS_ERR_USAGE;
	*v = (uint32_t)n;
	return 0;
}

static int
sim_parse_double(const char *s, double min, double max, double *v)
{
	char	*end;
	double	 d;

	errno = 0;
	d = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || !(d >= min) ||
	    !(d <= max))
		return MPS_ERR_USAGE;
	*v = d;
	return 0;
}

static int
sim_parse_tls_version(const char *s, int *v)
{
	static const struct {
		const char	*name;
		int		 version;
	} t[] = {
		{ "1.0", TLS1_VERSION }, { "1.1", TLS1_1_VERSION },
		{ "1.2", TLS1_2_VERSION }, { "1.3", TLS1_3_VERSION },
	};
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(s, t[i].name) == 0) {
			*v = t[i].version;
			return 0;
		}
	}
	return MPS_ERR_USAGE;
}

static int
sim_parse_ports(struct sim_opts *o, const char *s)
{
	char		 buf[256], *tok, *save = NULL;
	uint32_t	 port, i;

	if (strlen(s) >= sizeof(buf))
		return MPS_ERR_USAGE;
	strcpy(buf, s);
	o->nports = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (o->nports == SIM_MAX_PORTS ||
		    sim_parse_u32(tok, 1, 65535, &port) != 0)
			return MPS_ERR_USAGE;
		for (i = 0; i < o->nports; i++)
			if (o->ports[i] == port)
				return MPS_ERR_USAGE;
		o->ports[o->nports++] = port;
	}
	return 0;
}

/* HOST:PORT or [V6]:PORT, resolved once. */
static int
sim_parse_server(struct sim_opts *o, const char *s)
{
	struct addrinfo	 hints, *res = NULL;
	const char	*colon, *port;
	size_t		 hl;

	if (s[0] == '[') {
		if ((colon = strstr(s, "]:")) == NULL)
			return MPS_ERR_USAGE;
		hl = (size_t)(colon - s - 1);
		port = colon + 2;
		s++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return MPS_ERR_USAGE;
		hl = (size_t)(colon - s);
		port = colon + 1;
	}
	if (hl == 0 || hl >= sizeof(o->server_host))
		return MPS_ERR_USAGE;
	memcpy(o->server_host, s, hl);
	o->server_host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(o->server_host, port, &hints, &res) != 0 ||
	    res == NULL)
		return MPS_ERR_USAGE;
	memcpy(&o->server_addr, res->ai_addr, res->ai_addrlen);
	o->server_addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int
sim_parse_sources(struct sim_opts *o, const char *s)
{
	struct addrinfo	 hints, *res;
	char		*buf, *tok, *save = NULL;
	int		 r = 0;

	if ((buf = strdup(s)) == NULL)
		return MPS_ERR_NOMEM;
	o->nsources = 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		res = NULL;
		if (o->nsources == SIM_MAX_SOURCES ||
		    getaddrinfo(tok, NULL, &hints, &res) != 0 || res == NULL) {
			r = MPS_ERR_USAGE;
			break;
		}
		memcpy(&o->sources[o->nsources], res->ai_addr,
		    res->ai_addrlen);
		o->source_len[o->nsources++] = res->ai_addrlen;
		freeaddrinfo(res);
	}
	free(buf);
	return r;
}

static int
sim_parse_backoff(struct sim_opts *o, const char *s)
{
	char	buf[64], *comma;
	double	lo, hi;

	if (strlen(s) >= sizeof(buf))
		return MPS_ERR_USAGE;
	strcpy(buf, s);
	if ((comma = strchr(buf, ',')) == NULL)
		return MPS_ERR_USAGE;
	*comma = '\0';
	if (sim_parse_double(buf, 0.01, 3600, &lo) != 0 ||
	    sim_parse_double(comma + 1, lo, 3600, &hi) != 0)
		return MPS_ERR_USAGE;
	o->backoff_min_ms = (uint32_t)(lo * 1000);
	o->backoff_max_ms = (uint32_t)(hi * 1000);
	return 0;
}

/* --amt-power: the states a machine can be found in. */
static int
sim_parse_power(const char *s, uint32_t *v)
{
	static const struct {
		const char	*name;
		uint32_t	 state;
	} t[] = {
		{ "on", SIM_AMT_ON }, { "off", SIM_AMT_OFF },
		{ "sleep", SIM_AMT_SLEEP_DEEP },
		{ "hibernate", SIM_AMT_HIBERNATE },
	};
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(s, t[i].name) == 0) {
			*v = t[i].state;
			return 0;
		}
	return MPS_ERR_USAGE;
}

static int
sim_bad(const char *opt, const char *arg)
{
	fprintf(stderr, "amt-cira-sim: bad value for %s: \"%s\"\n", opt, arg);
	return 2;
}

int
main(int argc, char **argv)
{
	static struct sim_fleet	 fleet;
	struct sim_opts		*o = &fleet.opt;
	const char		*server = SIM_DEFAULT_SERVER;
	const char		*guid = NULL;
	const char		*guid_base = SIM_DEFAULT_GUID_BASE;
	const char		*sources = NULL, *ports = SIM_DEFAULT_PORTS;
	int			 ch, r, count_set = 0;
	double			 dv;
	uint32_t		 u;

	sim_fleet_opts_default(o);
	while ((ch = getopt_long(argc, argv, "vh", sim_longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_SERVER:
			server = optarg;
			break;
		case OPT_COUNT:
			if (sim_parse_u32(optarg, 1, 1000000, &o->count) != 0)
				return sim_bad("--count", optarg);
			count_set = 1;
			break;
		case OPT_GUID:
			guid = optarg;
			break;
		case OPT_GUID_BASE:
			guid_base = optarg;
			break;
		case OPT_SOURCE:
			sources = optarg;
			break;
		case OPT_RATE:
			if (sim_parse_double(optarg, 0, 1e6, &o->rate) != 0)
				return sim_bad("--rate", optarg);
			break;
		case OPT_MAX_INFLIGHT:
			if (sim_parse_u32(optarg, 1, 1000000,
			    &o->max_inflight) != 0)
				return sim_bad("--max-inflight", optarg);
			break;
		case OPT_USER:
			o->user = optarg;
			break;
		case OPT_PASSWORD:
			o->password = optarg;
			break;
		case OPT_CA:
			o->ca = optarg;
			break;
		case OPT_INSECURE:
			o->insecure = 1;
			break;
		case OPT_VERIFY_NAME:
			o->verify_name = optarg;
			break;
		case OPT_TLS_MIN:
			if (sim_parse_tls_version(optarg, &o->tls_min) != 0)
				return sim_bad("--tls-min", optarg);
			break;
		case OPT_TLS_MAX:
			if (sim_parse_tls_version(optarg, &o->tls_max) != 0)
				return sim_bad("--tls-max", optarg);
			break;
		case OPT_CIPHERS:
			o->ciphers = optarg;
			break;
		case OPT_DURATION:
			if (sim_parse_double(optarg, 0, 1e7,
			    &o->duration_s) != 0)
				return sim_bad("--duration", optarg);
			break;
		case OPT_SUMMARY:
			o->summary_path = optarg;
			break;
		case OPT_READY_FILE:
			o->ready_path = optarg;
			break;
		case OPT_PROGRESS:
			if (sim_parse_double(optarg, 0.1, 86400,
			    &o->progress_s) != 0)
				return sim_bad("--progress", optarg);
			break;
		case OPT_KEEPALIVE:
			if (sim_parse_u32(optarg, 1, 86400,
			    &o->keepalive_s) != 0)
				return sim_bad("--keepalive", optarg);
			break;
		case OPT_TRIGGER:
			if (sim_parse_u32(optarg, 0, 255, &o->trigger) != 0)
				return sim_bad("--trigger", optarg);
			break;
		case OPT_PORTS:
			ports = optarg;
			break;
		case OPT_PIPELINE:
			o->pipeline = 1;
			break;
		case OPT_FWD_ADDRESS:
			if (strlen(optarg) > 255)
				return sim_bad("--fwd-address", optarg);
			o->fwd_address = optarg;
			break;
		case OPT_WINDOW:
			if (sim_parse_u32(optarg, 1024, APF_MAX_DATA,
			    &o->rx_window) != 0)
				return sim_bad("--window", optarg);
			break;
		case OPT_SLOW_ADJUST:
			if (sim_parse_u32(optarg, 0, 60000,
			    &o->slow_adjust_ms) != 0)
				return sim_bad("--slow-adjust", optarg);
			break;
		case OPT_MAX_PACKET:
			if (sim_parse_u32(optarg, 1, APF_MAX_DATA,
			    &o->max_packet) != 0)
				return sim_bad("--max-packet", optarg);
			break;
		case OPT_MAX_CHANNELS:
			if (sim_parse_u32(optarg, 1, SIM_MAX_CHANNELS,
			    &o->max_channels) != 0)
				return sim_bad("--max-channels", optarg);
			break;
		case OPT_CHAN_OUT_MAX:
			if (sim_parse_u32(optarg, 1024, 64 * 1024 * 1024,
			    &o->chan_out_max) != 0)
				return sim_bad("--chan-out-max", optarg);
			break;
		case OPT_REFUSE_OPEN:
			o->refuse_open = 1;
			break;
		case OPT_MISBEHAVE:
			if (sim_misbehave_parse(optarg, &o->misbehave) != 0)
				return sim_bad("--misbehave", optarg);
			break;
		case OPT_MISBEHAVE_COUNT:
			if (sim_parse_u32(optarg, 0, 1000000, &u) != 0)
				return sim_bad("--misbehave-count", optarg);
			o->misbehave_count = u;
			break;
		case OPT_RECONNECT:
			o->reconnect = 1;
			break;
		case OPT_BACKOFF:
			if (sim_parse_backoff(o, optarg) != 0)
				return sim_bad("--backoff", optarg);
			break;
		case OPT_HANDSHAKE_TIMEOUT:
			if (sim_parse_double(optarg, 0, 86400, &dv) != 0)
				return sim_bad("--handshake-timeout", optarg);
			o->handshake_timeout_ms = (uint32_t)(dv * 1000);
			break;
		case OPT_AMT_USER:
			if (optarg[0] == '\0' || strlen(optarg) > 64)
				return sim_bad("--amt-user", optarg);
			o->wsman.user = optarg;
			break;
		case OPT_AMT_PASSWORD:
			if (strlen(optarg) > 64)
				return sim_bad("--amt-password", optarg);
			o->wsman.password = optarg;
			break;
		case OPT_AMT_VERSION:
			if (sim_wsman_version_parse(&o->wsman, optarg) != 0)
				return sim_bad("--amt-version", optarg);
			break;
		case OPT_AMT_PROVISIONING:
			if (strcmp(optarg, "acm") == 0)
				o->wsman.provisioning_mode = 1;
			else if (strcmp(optarg, "ccm") == 0)
				o->wsman.provisioning_mode = 4;
			else
				return sim_bad("--amt-provisioning", optarg);
			break;
		case OPT_AMT_POWER:
			if (sim_parse_power(optarg, &o->wsman.power) != 0)
				return sim_bad("--amt-power", optarg);
			break;
		case OPT_FIXTURES:
			o->wsman.fixtures = optarg;
			break;
		case OPT_WSMAN_LOG:
			o->wsman.log_path = optarg;
			break;
		case OPT_WSMAN_FAULT:
			if (sim_wsman_fault_parse(&o->wsman, optarg) != 0)
				return sim_bad("--wsman-fault", optarg);
			break;
		case OPT_WSMAN_FAULT_COUNT:
			if (sim_parse_u32(optarg, 0, 1000000,
			    &o->wsman.fault_count) != 0)
				return sim_bad("--wsman-fault-count", optarg);
			break;
		case OPT_WSMAN_LISTEN:
			o->wsman.listen = optarg;
			break;
		case OPT_WSMAN_LISTEN_TLS:
			o->wsman.listen_tls = optarg;
			break;
		case OPT_WSMAN_NONCE_LIFETIME:
			if (sim_parse_u32(optarg, 0, 86400 * 365,
			    &o->wsman.nonce_lifetime_s) != 0)
				return sim_bad("--wsman-nonce-lifetime",
				    optarg);
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			sim_usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("amt-cira-sim %s\n", MPS_VERSION);
			return 0;
		default:
			sim_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		sim_usage(stderr);
		return 2;
	}
	if (o->ca == NULL && !o->insecure) {
		fprintf(stderr, "amt-cira-sim: give --ca FILE to verify the "
		    "MPS certificate, or --insecure to skip verification\n");
		return 2;
	}
	if (guid != NULL) {
		if (count_set && o->count != 1) {
			fprintf(stderr, "amt-cira-sim: --guid is one device; "
			    "use --guid-base with --count\n");
			return 2;
		}
		guid_base = guid;
	}
	if (apf_guid_parse(guid_base, o->guid_base) != 0)
		return sim_bad(guid != NULL ? "--guid" : "--guid-base",
		    guid_base);
	if (sim_parse_server(o, server) != 0)
		return sim_bad("--server", server);
	o->server = server;
	if (sources != NULL) {
		if (sim_parse_sources(o, sources) != 0)
			return sim_bad("--source", sources);
		for (u = 0; u < o->nsources; u++)
			if (o->sources[u].ss_family !=
			    o->server_addr.ss_family)
				return sim_bad("--source (address family "
				    "differs from --server)", sources);
	}
	if (sim_parse_ports(o, ports) != 0)
		return sim_bad("--ports", ports);
	if (o->tls_max != 0 && o->tls_max < o->tls_min)
		return sim_bad("--tls-max", "below --tls-min");
	/* Default "all": K devices, or K duplicates of the first K. */
	if (o->misbehave_count > o->count)
		o->misbehave_count = o->count;
	if (o->misbehave == SIM_MB_NONE)
		o->misbehave_count = 0;

	if ((r = sim_fleet_init(&fleet)) != 0) {
		fprintf(stderr, "amt-cira-sim: setup failed: %s\n",
		    mps_strerror(r));
		sim_fleet_free(&fleet);
		return 1;
	}
	r = sim_fleet_run(&fleet);
	sim_fleet_free(&fleet);
	return r == 0 ? 0 : 1;
}
