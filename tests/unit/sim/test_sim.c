/*
 * test_sim.c: amt-cira-sim's fleet against the protocol layer's server
 * state machine (apf_session) over real TLS on loopback, in one process
 * and one event loop.  The daemon is not involved: this pins the device
 * side to the same session engine the daemon uses.
 *
 * Also the small pure parts: timer lists, GUID numbering, names.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "apf_session.h"
#include "mps_err.h"
#include "sim.h"

#define T_MAX_CONNS	64
#define T_PAYLOAD	(200 * 1024)

/* One accepted tunnel, server side. */
struct t_conn {
	struct t_srv		*srv;
	struct bufferevent	*bev;
	struct apf_session	*s;
	int			 nfwd;
	uint32_t		 chan;
	size_t			 sent, echoed;
	int			 closing;
	int			 chan_done;
	/* WS-Man mode: a 401 on a first channel, a 200 on a second one */
	int			 wphase;
	char			 wbuf[16384];
	size_t			 wlen;
	char			 realm[64], nonce[64];
};

struct t_srv {
	struct sim_fleet	*f;
	SSL_CTX			*ctx;
	struct evconnlistener	*lis;
	struct event		*check_ev;
	struct t_conn		*conns[T_MAX_CONNS];
	int			 nconns;
	int			 open_channel;	/* open 5900 (echo) after forwards */
	int			 wsman;		/* open 16992, speak HTTP */
	int			 wsman_401, wsman_200, wsman_bad;
	int			 chans_done;
	int			 echo_mismatch;
	int			 session_errors;
	int			 timed_out;
	uint64_t		 deadline_ms;
	uint8_t			 payload[T_PAYLOAD];
};

static SSL_CTX *
t_server_ctx(void)
{
	SSL_CTX		*ctx = SSL_CTX_new(TLS_server_method());
	EVP_PKEY	*pk = EVP_EC_gen("P-256");
	X509		*x = X509_new();
	X509_NAME	*n;

	assert_non_null(ctx);
	assert_non_null(pk);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pk);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"sim-test", -1, -1, 0);
	X509_set_issuer_name(x, n);
	assert_true(X509_sign(x, pk, EVP_sha256()) > 0);
	assert_int_equal(SSL_CTX_use_certificate(ctx, x), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(ctx, pk), 1);
	X509_free(x);
	EVP_PKEY_free(pk);
	return ctx;
}

static void
t_conn_free(struct t_conn *c)
{
	struct t_srv	*srv = c->srv;
	int		 i;

	for (i = 0; i < srv->nconns; i++)
		if (srv->conns[i] == c)
			srv->conns[i] = NULL;
	apf_session_free(c->s);
	bufferevent_free(c->bev);
	free(c);
}

static int
t_send(void *arg, const uint8_t *buf, size_t len)
{
	struct t_conn	*c = arg;

	return bufferevent_write(c->bev, buf, len) == 0 ? 0 : -1;
}

static void
t_pump(struct t_conn *c)
{
	long	n;

	while (c->sent < T_PAYLOAD) {
		n = apf_session_send(c->s, c->chan, c->srv->payload + c->sent,
		    T_PAYLOAD - c->sent);
		if (n <= 0)
			break;
		c->sent += (size_t)n;
	}
}

/* Value of key="..." in s, into out. */
static void
t_param(const char *s, const char *key, char *out, size_t len)
{
	const char	*p = strstr(s, key);

	assert_non_null(p);
	p += strlen(key);
	snprintf(out, len, "%.*s", (int)strcspn(p, "\""), p);
}

/* WS-Man over the channel: a request, with Digest once we have a nonce. */
static void
t_wsman_send(struct t_conn *c)
{
	static const char	 body[] = "<s:Envelope xmlns:s=\"http://www.w3."
	    "org/2003/05/soap-envelope\" xmlns:a=\"http://schemas.xmlsoap."
	    "org/ws/2004/08/addressing\" xmlns:w=\"http://schemas.dmtf.org/"
	    "wbem/wsman/1/wsman.xsd\"><s:Header><a:Action>http://schemas."
	    "xmlsoap.org/ws/2004/09/transfer/Get</a:Action><w:ResourceURI>"
	    "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_"
	    "AssociatedPowerManagementService</w:ResourceURI><a:MessageID>1"
	    "</a:MessageID></s:Header><s:Body/></s:Envelope>";
	char			 req[4096], auth[1024] = "", resp[33];
	int			 n;

	if (c->wphase == 1) {
		assert_int_equal(sim_digest_response("admin", c->realm,
		    "P@ssw0rd", "POST", "/wsman", c->nonce, "00000001", "cn",
		    resp), 0);
		snprintf(auth, sizeof(auth), "Authorization: Digest "
		    "username=\"admin\", realm=\"%s\", nonce=\"%s\", "
		    "uri=\"/wsman\", qop=auth, nc=00000001, cnonce=\"cn\", "
		    "response=\"%s\"\r\n", c->realm, c->nonce, resp);
	}
	n = snprintf(req, sizeof(req), "POST /wsman HTTP/1.1\r\nHost: %s:16992"
	    "\r\n%sContent-Length: %zu\r\n\r\n%s", "device", auth,
	    sizeof(body) - 1, body);
	assert_int_equal(apf_session_send(c->s, c->chan, (const uint8_t *)req,
	    (size_t)n), n);
}

static void
t_wsman_event(struct t_conn *c, const struct apf_event *ev)
{
	struct t_srv	*srv = c->srv;

	switch (ev->type) {
	case APF_EV_CHAN_OPENED:
		c->wlen = 0;
		t_wsman_send(c);
		break;
	case APF_EV_CHAN_DATA:
		if (c->wlen + ev->u.data.len >= sizeof(c->wbuf)) {
			srv->wsman_bad++;
			break;
		}
		memcpy(c->wbuf + c->wlen, ev->u.data.p, ev->u.data.len);
		c->wlen += ev->u.data.len;
		c->wbuf[c->wlen] = '\0';
		(void)apf_session_consumed(c->s, c->chan, ev->u.data.len);
		/* The 200 keeps the connection: we end it ourselves. */
		if (c->wphase == 1 && strstr(c->wbuf, "\r\n0\r\n\r\n")) {
			if (strncmp(c->wbuf, "HTTP/1.1 200 OK\r\n", 17) == 0 &&
			    strstr(c->wbuf, "<g:PowerState>2</g:PowerState>"))
				srv->wsman_200++;
			else
				srv->wsman_bad++;
			(void)apf_session_close(c->s, c->chan);
		}
		break;
	case APF_EV_CHAN_CLOSED:
		if (c->wphase == 0) {
			/* AMT closes the channel after its 401. */
			if (strncmp(c->wbuf, "HTTP/1.1 401 Unauthorized\r\n",
			    27) != 0) {
				srv->wsman_bad++;
				break;
			}
			srv->wsman_401++;
			t_param(c->wbuf, "realm=\"", c->realm,
			    sizeof(c->realm));
			t_param(c->wbuf, "nonce=\"", c->nonce,
			    sizeof(c->nonce));
			c->wphase = 1;
			assert_int_equal(apf_session_open(c->s, 16992, c,
			    &c->chan), 0);
		} else {
			c->chan_done = 1;
			srv->chans_done++;
		}
		break;
	default:
		break;
	}
}

static void
t_event(void *arg, const struct apf_event *ev)
{
	struct t_conn	*c = arg;
	struct t_srv	*srv = c->srv;

	switch (ev->type) {
	case APF_EV_AUTH:
		(void)apf_session_auth_result(c->s,
		    apf_str_eq(ev->u.auth.user, SIM_DEFAULT_USER) &&
		    apf_str_eq(ev->u.auth.password, SIM_DEFAULT_PASSWORD));
		break;
	case APF_EV_FORWARD_ADDED:
		if (++c->nfwd != 7)
			break;
		(void)apf_session_keepalive_options(c->s, 5, 0);
		if (srv->wsman)
			assert_int_equal(apf_session_open(c->s, 16992, c,
			    &c->chan), 0);
		else if (srv->open_channel)
			assert_int_equal(apf_session_open(c->s, 5900, c,
			    &c->chan), 0);
		break;
	case APF_EV_CHAN_OPENED:
	case APF_EV_CHAN_WINDOW:
	case APF_EV_CHAN_DATA:
	case APF_EV_CHAN_CLOSED:
		if (srv->wsman) {
			t_wsman_event(c, ev);
			break;
		}
		if (ev->type == APF_EV_CHAN_CLOSED) {
			c->chan_done = 1;
			srv->chans_done++;
			break;
		}
		if (ev->type != APF_EV_CHAN_DATA) {
			t_pump(c);
			break;
		}
		if (c->echoed + ev->u.data.len > T_PAYLOAD ||
		    memcmp(srv->payload + c->echoed, ev->u.data.p,
		    ev->u.data.len) != 0)
			srv->echo_mismatch++;
		c->echoed += ev->u.data.len;
		(void)apf_session_consumed(c->s, c->chan, ev->u.data.len);
		if (c->echoed == T_PAYLOAD)
			(void)apf_session_close(c->s, c->chan);
		break;
	default:
		break;
	}
}

static void
t_writecb(struct bufferevent *bev, void *arg)
{
	struct t_conn	*c = arg;

	if (c->closing)
		t_conn_free(c);
}

static void
t_readcb(struct bufferevent *bev, void *arg)
{
	struct t_conn	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	size_t		 len, used;
	uint8_t		*p;
	int		 r;

	if (c->closing)
		return;
	len = evbuffer_get_length(in);
	p = evbuffer_pullup(in, -1);
	r = apf_session_input(c->s, p, len, &used);
	evbuffer_drain(in, used);
	if (r != 0 || apf_session_state(c->s) == APF_SESSION_CLOSED) {
		if (r != 0)
			c->srv->session_errors++;
		/* Flush what the session said last, then close. */
		c->closing = 1;
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			t_conn_free(c);
	}
}

static void
t_eventcb(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		t_conn_free(arg);
}

static void
t_accept(struct evconnlistener *lis, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct t_srv		*srv = arg;
	struct t_conn		*c = calloc(1, sizeof(*c));
	struct apf_session_cb	 cb = { t_send, t_event };
	SSL			*ssl = SSL_new(srv->ctx);

	assert_non_null(c);
	assert_non_null(ssl);
	assert_true(srv->nconns < T_MAX_CONNS);
	c->srv = srv;
	c->bev = bufferevent_openssl_socket_new(srv->f->base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	assert_non_null(c->bev);
	c->s = apf_session_new(NULL, &cb, c);
	assert_non_null(c->s);
	srv->conns[srv->nconns++] = c;
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	bufferevent_setcb(c->bev, t_readcb, t_writecb, t_eventcb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* Ends the run once the fleet has done what the test waits for. */
static void
t_check(evutil_socket_t fd, short what, void *arg)
{
	struct t_srv		*srv = arg;
	struct sim_fleet	*f = srv->f;
	int			 done;

	if (sim_fleet_now_ms() > srv->deadline_ms) {
		int	i;

		/* Say where it stuck: the server's view of each echo. */
		for (i = 0; i < srv->nconns; i++)
			if (srv->conns[i] != NULL)
				fprintf(stderr, "conn %d: sent %zu "
				    "echoed %zu\n",
				    i, srv->conns[i]->sent,
				    srv->conns[i]->echoed);
		srv->timed_out = 1;
		raise(SIGTERM);
		return;
	}
	if (!srv->open_channel && !srv->wsman)
		return;	/* misbehaviour runs end when every device closed */
	done = srv->chans_done == (int)f->opt.count &&
	    f->st.keepalive_replies >= f->opt.count &&
	    f->state_count[SIM_DEV_ACTIVE] == f->opt.count;
	if (done)
		raise(SIGTERM);	/* the fleet's own clean stop */
}

/* Runs a fleet (opts already set) against an apf_session server. */
static void
t_run(struct sim_fleet *f, struct t_srv *srv)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);
	struct timeval		 tv = { 0, 100 * 1000 };
	size_t			 i;

	for (i = 0; i < T_PAYLOAD; i++)
		srv->payload[i] = (uint8_t)(i * 7 + i / 251);
	srv->f = f;
	srv->ctx = t_server_ctx();
	f->opt.insecure = 1;
	assert_int_equal(sim_fleet_init(f), 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv->lis = evconnlistener_new_bind(f->base, t_accept, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 128,
	    (struct sockaddr *)&sin, sizeof(sin));
	assert_non_null(srv->lis);
	assert_int_equal(getsockname(evconnlistener_get_fd(srv->lis),
	    (struct sockaddr *)&sin, &slen), 0);
	/* The fleet connects at run time: filling the address now is fine. */
	memcpy(&f->opt.server_addr, &sin, sizeof(sin));
	f->opt.server_addrlen = sizeof(sin);
	srv->deadline_ms = sim_fleet_now_ms() + 30 * 1000;
	srv->check_ev = event_new(f->base, -1, EV_PERSIST, t_check, srv);
	assert_non_null(srv->check_ev);
	event_add(srv->check_ev, &tv);

	assert_int_equal(sim_fleet_run(f), 0);

	event_free(srv->check_ev);
	for (i = 0; i < (size_t)srv->nconns; i++)
		if (srv->conns[i] != NULL)
			t_conn_free(srv->conns[i]);
	evconnlistener_free(srv->lis);
	SSL_CTX_free(srv->ctx);
	assert_false(srv->timed_out);
}

static void
t_opts(struct sim_fleet *f, uint32_t count)
{
	memset(f, 0, sizeof(*f));
	sim_fleet_opts_default(&f->opt);
	f->opt.count = count;
	f->opt.keepalive_s = 1;
	f->opt.handshake_timeout_ms = 20 * 1000;
	f->opt.ports[0] = 16993; f->opt.ports[1] = 16992;
	f->opt.ports[2] = 664; f->opt.ports[3] = 623;
	f->opt.ports[4] = 16995; f->opt.ports[5] = 16994;
	f->opt.ports[6] = 5900;
	f->opt.nports = 7;
	assert_int_equal(apf_guid_parse("4c4c4544-0000-1000-8000-00000000ff00",
	    f->opt.guid_base), 0);
}

/*
 * Full handshake, keepalives both ways, and a 200 KiB echo through a
 * small device window (many WINDOW_ADJUSTs) and small service output
 * (the held-input path), checked byte for byte.
 */
static void
test_fleet_echo(void **state)
{
	static struct sim_fleet	f;
	static struct t_srv	srv;

	t_opts(&f, 3);
	f.opt.rx_window = 8 * 1024;
	f.opt.chan_out_max = 4 * 1024;
	f.opt.max_packet = 3000;
	memset(&srv, 0, sizeof(srv));
	srv.open_channel = 1;
	t_run(&f, &srv);

	assert_int_equal(f.st.reached_active, 3);
	assert_int_equal(f.st.authenticated, 3);
	assert_int_equal(f.st.keepalive_options, 3);
	assert_true(f.st.keepalive_replies >= 3);
	assert_int_equal(f.st.keepalive_bad_cookie, 0);
	assert_int_equal(f.st.channels_opened, 3);
	assert_int_equal(f.st.channels_closed, 3);
	assert_int_equal(f.st.channel_bytes_in, 3 * T_PAYLOAD);
	assert_int_equal(f.st.channel_bytes_out, 3 * T_PAYLOAD);
	assert_int_equal(f.st.channel_glitches, 0);
	assert_int_equal(f.st.disconnected, 0);
	assert_int_equal(srv.echo_mismatch, 0);
	assert_int_equal(srv.chans_done, 3);
	assert_int_equal(srv.session_errors, 0);
	sim_fleet_free(&f);
}

/*
 * The WS-Man service on 16992 over real APF channels: without
 * credentials a 401 and the device closes the channel (as AMT does); on a
 * new channel with the Digest answer, the instance, chunked.
 */
static void
test_fleet_wsman(void **state)
{
	static struct sim_fleet	f;
	static struct t_srv	srv;

	t_opts(&f, 2);
	f.opt.max_packet = 500;		/* answers in many CHANNEL_DATAs */
	memset(&srv, 0, sizeof(srv));
	srv.wsman = 1;
	t_run(&f, &srv);
	assert_int_equal(srv.wsman_bad, 0);
	assert_int_equal(srv.wsman_401, 2);
	assert_int_equal(srv.wsman_200, 2);
	assert_int_equal(f.st.channels_opened, 4);
	assert_int_equal(f.st.channels_closed, 4);
	assert_int_equal(f.st.channel_glitches, 0);
	assert_int_equal(f.wsman.st.unauthorized, 2);
	assert_int_equal(f.wsman.st.ok, 2);
	assert_int_equal(f.wsman.nconns, 0);
	assert_int_equal(srv.session_errors, 0);
	sim_fleet_free(&f);
}

static void
test_fleet_pipeline(void **state)
{
	static struct sim_fleet	f;
	static struct t_srv	srv;

	t_opts(&f, 2);
	f.opt.pipeline = 1;
	memset(&srv, 0, sizeof(srv));
	srv.open_channel = 1;
	t_run(&f, &srv);
	assert_int_equal(f.st.reached_active, 2);
	assert_int_equal(srv.echo_mismatch, 0);
	assert_int_equal(srv.session_errors, 0);
	sim_fleet_free(&f);
}

static void
test_fleet_wrong_password(void **state)
{
	static struct sim_fleet	f;
	static struct t_srv	srv;

	t_opts(&f, 2);
	f.opt.misbehave = SIM_MB_WRONG_PASSWORD;
	f.opt.misbehave_count = 2;
	memset(&srv, 0, sizeof(srv));
	t_run(&f, &srv);
	assert_int_equal(f.st.auth_failed, 2);
	assert_int_equal(f.st.reached_active, 0);
	assert_int_equal(f.st.mb_closed_by_server, 2);
	assert_int_equal(f.state_count[SIM_DEV_CLOSED], 2);
	sim_fleet_free(&f);
}

static void
test_fleet_unknown_request(void **state)
{
	static struct sim_fleet	f;
	static struct t_srv	srv;

	t_opts(&f, 2);
	f.opt.misbehave = SIM_MB_UNKNOWN_REQUEST;
	f.opt.misbehave_count = 2;
	memset(&srv, 0, sizeof(srv));
	t_run(&f, &srv);
	assert_int_equal(f.st.reached_active, 2);
	assert_int_equal(f.st.request_failures, 2);
	assert_int_equal(f.st.mb_closed_by_server, 2);
	sim_fleet_free(&f);
}

static void
test_fleet_garbage_and_oversize(void **state)
{
	static struct sim_fleet	f;
	static struct t_srv	srv;
	enum sim_misbehave	kinds[] = { SIM_MB_GARBAGE, SIM_MB_OVERSIZE };
	size_t			i;

	for (i = 0; i < 2; i++) {
		t_opts(&f, 2);
		f.opt.misbehave = kinds[i];
		f.opt.misbehave_count = 2;
		memset(&srv, 0, sizeof(srv));
		t_run(&f, &srv);
		assert_int_equal(f.st.reached_active, 0);
		assert_int_equal(f.st.mb_closed_by_server, 2);
		assert_int_equal(srv.session_errors, 2);
		sim_fleet_free(&f);
	}
}

static void
test_tlist_order(void **state)
{
	static struct sim_fleet	f;
	struct sim_dev		d[6];
	static const uint64_t	due[6] = { 50, 10, 30, 30, 70, 20 };
	struct sim_dev		*p;
	uint64_t		last = 0;
	int			i, n = 0;

	memset(&f, 0, sizeof(f));
	memset(d, 0, sizeof(d));
	for (i = 0; i < 6; i++) {
		d[i].fleet = &f;
		sim_fleet_tl_insert(&f, SIM_TL_KEEPALIVE, &d[i], due[i]);
	}
	assert_int_equal(f.tl[SIM_TL_KEEPALIVE].len, 6);
	sim_fleet_tl_remove(&f, &d[4]);		/* the tail */
	sim_fleet_tl_remove(&f, &d[1]);		/* the head */
	/* Moving to another list removes from the first. */
	sim_fleet_tl_insert(&f, SIM_TL_RETRY, &d[2], 5);
	assert_int_equal(f.tl[SIM_TL_KEEPALIVE].len, 3);
	assert_ptr_equal(f.tl[SIM_TL_RETRY].head, &d[2]);
	for (p = f.tl[SIM_TL_KEEPALIVE].head; p != NULL; p = p->tnext) {
		assert_true(p->due_ms >= last);
		last = p->due_ms;
		n++;
	}
	assert_int_equal(n, 3);
	assert_ptr_equal(f.tl[SIM_TL_KEEPALIVE].tail, &d[0]);
	for (i = 0; i < 6; i++)
		sim_fleet_tl_remove(&f, &d[i]);
	assert_null(f.tl[SIM_TL_KEEPALIVE].head);
	assert_null(f.tl[SIM_TL_KEEPALIVE].tail);
	assert_int_equal(f.tl[SIM_TL_RETRY].len, 0);
}

static void
test_guid_numbering(void **state)
{
	uint8_t	base[APF_UUID_LEN], u[APF_UUID_LEN];
	char	s[APF_GUID_STRLEN + 1];

	assert_int_equal(apf_guid_parse("4c4c4544-0042-1000-8033-0000000000fe",
	    base), 0);
	sim_fleet_guid(base, 0, u);
	apf_guid_format(u, s);
	assert_string_equal(s, "4c4c4544-0042-1000-8033-0000000000fe");
	sim_fleet_guid(base, 3, u);
	apf_guid_format(u, s);
	assert_string_equal(s, "4c4c4544-0042-1000-8033-000000000101");
	/* The last 48 bits wrap without touching the rest. */
	assert_int_equal(apf_guid_parse("4c4c4544-0042-1000-8033-ffffffffffff",
	    base), 0);
	sim_fleet_guid(base, 1, u);
	apf_guid_format(u, s);
	assert_string_equal(s, "4c4c4544-0042-1000-8033-000000000000");
}

static void
test_names(void **state)
{
	enum sim_misbehave	mb;
	int			i;

	for (i = 0; i < SIM_MB_COUNT; i++) {
		assert_int_equal(sim_misbehave_parse(
		    sim_misbehave_name((enum sim_misbehave)i), &mb), 0);
		assert_int_equal(mb, i);
	}
	assert_int_equal(sim_misbehave_parse("nope", &mb), MPS_ERR_USAGE);
	for (i = 0; i < SIM_DEV_STATE_COUNT; i++)
		assert_string_not_equal(
		    sim_dev_state_name((enum sim_dev_state)i), "?");
	assert_string_equal(sim_dev_state_name(SIM_DEV_STATE_COUNT), "?");
	assert_true(sim_close_reason_by_server(SIM_CLOSE_SERVER_EOF));
	assert_false(sim_close_reason_by_server(SIM_CLOSE_SHUTDOWN));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlist_order),
		cmocka_unit_test(test_guid_numbering),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_fleet_echo),
		cmocka_unit_test(test_fleet_wsman),
		cmocka_unit_test(test_fleet_pipeline),
		cmocka_unit_test(test_fleet_wrong_password),
		cmocka_unit_test(test_fleet_unknown_request),
		cmocka_unit_test(test_fleet_garbage_and_oversize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
