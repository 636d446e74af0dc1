// SPDX-License-Identifier: Apache-2.0
#include "http.h"

#include "access.h"
#include "console.h"
#include "api.h"
#include "webhook.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#define BODY_MAX (16u << 20)     /* one batch */
#define INFLIGHT_MAX (64u << 20) /* all bodies being received at once: slow uploads cannot pile up memory */
#define CONNECTIONS 1024
#define PER_ADDRESS 16   /* an agent needs one; a NAT of many agents a few */
#define CONNECTION_IDLE 10 /* seconds */
#define ADDRESS_SLOTS 4096 /* live client addresses counted (more than CONNECTIONS ever hold) */

/* Connections held per client address, counted when they start and end. */
struct per_address {
	uint32_t addr; /* IPv4, network order */
	uint16_t n;
	bool used;
};

struct http {
	struct MHD_Daemon *d;
	struct collector *c;
	size_t inflight; /* bytes held by uploads in progress (one polling thread: no lock) */
	bool client_certs; /* mutual TLS: every request needs a certificate from the client CA */
	const struct access *access; /* principals and their roles (none: ingest and metrics as before, no API) */
	bool require_certs; /* mutual TLS and no token principals: no certificate, no handshake */
	struct per_address addrs[ADDRESS_SLOTS]; /* (one polling thread: no lock) */
	struct http_stats st;
};

/* Who is calling: a principal of the access configuration, or nobody. */
struct caller {
	const struct principal *p;
	char subject[256]; /* its verified client certificate's subject, RFC 4514 ("" when none) */
	bool by_cookie;    /* known by the console's cookie */
};

/* One request's body, gathered as it arrives. */
struct upload {
	uint8_t *data;
	size_t len, cap;
	bool too_big;
	bool busy; /* refused for lack of room: answered 503, retried by the agent */
	const struct api_route *api; /* an administrative POST: its body is read and ignored */
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type, const void *body,
			     size_t len, const char *reason)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (!strncmp(type, "text/html", 9)) {
		/* The console and the report: nothing but their own files, no
		 * framing by another site, evidence kept out of caches. */
		MHD_add_response_header(r, "Content-Security-Policy",
					"default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
					"frame-ancestors 'self'; base-uri 'none'; form-action 'self'");
		MHD_add_response_header(r, "Cache-Control", "no-store");
		MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	}
	if (reason)
		MHD_add_response_header(r, "X-Sealtap-Reason", reason);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result text(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	char line[320];

	snprintf(line, sizeof(line), "%s\n", msg);
	return reply(conn, status, "text/plain", line, strlen(line), msg);
}

/* With a client CA, GnuTLS asks for a certificate but lets the handshake
 * finish without one; whether it was given and chains to the CA is checked
 * here, before anything of the request is read. */
static bool client_verified(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	unsigned status = 0;

	return ci && ci->tls_session &&
	       gnutls_certificate_verify_peers2((gnutls_session_t)ci->tls_session, &status) == GNUTLS_E_SUCCESS &&
	       status == 0;
}

/* The verified client certificate's subject, as RFC 4514 writes it. */
static bool peer_subject(struct MHD_Connection *conn, char *out, size_t cap)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt;
	gnutls_datum_t dn = { 0 };
	unsigned n = 0;
	bool ok;

	if (!ci || !ci->tls_session || !(certs = gnutls_certificate_get_peers((gnutls_session_t)ci->tls_session, &n)) ||
	    !n || gnutls_x509_crt_init(&crt) < 0)
		return false;
	ok = gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) >= 0 && gnutls_x509_crt_get_dn3(crt, &dn, 0) >= 0;
	if (ok)
		snprintf(out, cap, "%.*s", (int)dn.size, (const char *)dn.data);
	gnutls_free(dn.data);
	gnutls_x509_crt_deinit(crt);
	return ok;
}

/* A verified client certificate's principal, else a bearer token's: in
 * the Authorization header, or the console's cookie (a browser cannot send
 * the header on its own; the login page sets the cookie, SameSite=Strict,
 * so no other site's page can make the browser use it). */
static void identify(struct http *h, struct MHD_Connection *conn, struct caller *who)
{
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	const char *cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, "sealtap_token");

	memset(who, 0, sizeof(*who));
	if (h->client_certs && client_verified(conn) && peer_subject(conn, who->subject, sizeof(who->subject)))
		who->p = access_by_subject(h->access, who->subject);
	if (!who->p && auth && !strncasecmp(auth, "Bearer ", 7))
		who->p = access_by_token(h->access, auth + 7);
	if (!who->p && !auth && cookie && *cookie)
		who->by_cookie = (who->p = access_by_token(h->access, cookie)) != NULL;
}

/* A change asked with the console's cookie must come from the console's
 * own pages: SameSite keeps other sites out, but not another port of this
 * host (the same site), so the Origin must be this very origin. */
static bool same_origin(struct MHD_Connection *conn)
{
	const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");

	return origin && host && !strncmp(origin, "https://", 8) && !strcmp(origin + 8, host);
}

/* 401 when the caller is nobody, 403 when it has another role; the
 * message says which. Returns the status, 0 when allowed. */
static int authorise(const struct caller *who, unsigned roles, char *why, size_t cap)
{
	if (!who->p) {
		if (who->subject[0])
			snprintf(why, cap, "client certificate subject '%s' is no principal of this collector", who->subject);
		else
			snprintf(why, cap, "authentication required: a client certificate or Authorization: Bearer TOKEN "
					   "(in a browser: /console/login)");
		return 401;
	}
	if (!(who->p->role & roles)) {
		snprintf(why, cap, "%s has role %s, which may not do this", who->p->name, role_name(who->p->role));
		return 403;
	}
	return 0;
}

static enum MHD_Result refused(struct MHD_Connection *conn, int status, const char *why)
{
	char line[320];
	struct MHD_Response *r;
	enum MHD_Result ret;

	snprintf(line, sizeof(line), "%s\n", why);
	r = MHD_create_response_from_buffer(strlen(line), line, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain");
	MHD_add_response_header(r, "X-Sealtap-Reason", why);
	if (status == 401)
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"sealtap\"");
	ret = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static const int http_statuses[HTTP_STATUSES] = { 400, 401, 403, 409, 413, 500, 503 };

static void count_status(struct http *h, int status)
{
	for (int i = 0; i < HTTP_STATUSES; i++)
		if (http_statuses[i] == status) {
			h->st.by_status[i]++;
			return;
		}
}

/* GET /metrics: Prometheus text. The counters are written by this same
 * thread (MHD's one polling thread), so they are read consistently. */
static enum MHD_Result metrics(struct http *h, struct MHD_Connection *conn)
{
	char *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!f)
		return MHD_NO;
	fprintf(f,
		"# HELP sealtap_collector_requests_total batch requests received\n"
		"# TYPE sealtap_collector_requests_total counter\nsealtap_collector_requests_total %" PRIu64 "\n"
		"# HELP sealtap_collector_batches_accepted_total batches verified and stored (or identical duplicates)\n"
		"# TYPE sealtap_collector_batches_accepted_total counter\nsealtap_collector_batches_accepted_total %" PRIu64
		"\n# HELP sealtap_collector_events_stored_total events verified and stored\n"
		"# TYPE sealtap_collector_events_stored_total counter\nsealtap_collector_events_stored_total %" PRIu64 "\n"
		"# HELP sealtap_collector_rejected_total batches refused, by HTTP status (400 malformed or not verifying, "
		"403 key or signature, 409 equivocation or gap, 413 too large, 503 busy or store)\n"
		"# TYPE sealtap_collector_rejected_total counter\n",
		h->st.requests, h->st.accepted, h->st.events);
	for (int i = 0; i < HTTP_STATUSES; i++)
		fprintf(f, "sealtap_collector_rejected_total{status=\"%d\"} %" PRIu64 "\n", http_statuses[i],
			h->st.by_status[i]);
	fprintf(f,
		"# HELP sealtap_collector_api_requests_total calls of the read and administration API\n"
		"# TYPE sealtap_collector_api_requests_total counter\nsealtap_collector_api_requests_total %" PRIu64 "\n"
		"# HELP sealtap_collector_api_refused_total API calls refused for want of credentials (401) or role (403)\n"
		"# TYPE sealtap_collector_api_refused_total counter\nsealtap_collector_api_refused_total %" PRIu64 "\n"
		"# HELP sealtap_collector_refused_per_address_total connections refused: their client address held 16\n"
		"# TYPE sealtap_collector_refused_per_address_total counter\nsealtap_collector_refused_per_address_total %" PRIu64
		"\n"
		"# HELP sealtap_collector_access_logged_total API calls recorded in the access log\n"
		"# TYPE sealtap_collector_access_logged_total counter\nsealtap_collector_access_logged_total %" PRIu64 "\n"
		"# HELP sealtap_collector_access_log_errors_total API calls not answered: the access log could not be written\n"
		"# TYPE sealtap_collector_access_log_errors_total counter\nsealtap_collector_access_log_errors_total %" PRIu64
		"\n",
		h->st.api_requests, h->st.api_refused, h->st.refused_per_address, h->st.access_logged,
		h->st.access_log_errors);
	if (h->c->webhook) {
		struct webhook_stats w;

		webhook_get_stats(h->c->webhook, &w);
		fprintf(f,
			"# HELP sealtap_collector_webhook_total findings for the webhook, by outcome (queued, sent, "
			"given_up after a 4xx, dropped past the queue)\n# TYPE sealtap_collector_webhook_total counter\n"
			"sealtap_collector_webhook_total{outcome=\"queued\"} %" PRIu64 "\n"
			"sealtap_collector_webhook_total{outcome=\"sent\"} %" PRIu64 "\n"
			"sealtap_collector_webhook_total{outcome=\"given_up\"} %" PRIu64 "\n"
			"sealtap_collector_webhook_total{outcome=\"dropped\"} %" PRIu64 "\n"
			"# HELP sealtap_collector_webhook_failed_attempts_total webhook POSTs that failed and were retried\n"
			"# TYPE sealtap_collector_webhook_failed_attempts_total counter\n"
			"sealtap_collector_webhook_failed_attempts_total %" PRIu64 "\n",
			w.queued, w.sent, w.given_up, w.dropped, w.failed_attempts);
	}
	fclose(f);
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
	ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static const char *query_arg(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

struct target {
	char *p;
	size_t len, cap;
};

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct target *t = cls;
	int n;

	(void)kind;
	n = snprintf(t->p + t->len, t->cap - t->len, "%c%s%s%s", t->len && strchr(t->p, '?') ? '&' : '?', key,
		     value ? "=" : "", value ? value : "");
	if (n > 0)
		t->len = t->len + (size_t)n < t->cap ? t->len + (size_t)n : t->cap - 1;
	return MHD_YES;
}

/* One line of the access log, before the answer goes: a call that cannot
 * be recorded is not answered (503). */
static int log_access(struct http *h, struct MHD_Connection *conn, const struct caller *who, const char *method,
		      const char *url, int status, uint64_t returned)
{
	char buf[1024], principal[320];
	struct target t = { buf, 0, sizeof(buf) };
	struct timespec ts;
	struct access_row r = { 0 };

	t.len = (size_t)snprintf(buf, sizeof(buf), "%s", url);
	if (t.len >= sizeof(buf))
		t.len = sizeof(buf) - 1;
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_arg, &t);
	if (who->p)
		snprintf(principal, sizeof(principal), "%s", who->p->name);
	else if (who->subject[0])
		snprintf(principal, sizeof(principal), "certificate %s", who->subject);
	else
		snprintf(principal, sizeof(principal), "anonymous");
	clock_gettime(CLOCK_REALTIME, &ts);
	r.time_unix_nano = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	r.principal = principal;
	r.role = who->p ? role_name(who->p->role) : "none";
	r.method = method;
	r.target = buf;
	r.status = status;
	r.returned = returned;
	if (store_access_append(h->c->store, &r)) {
		h->st.access_log_errors++;
		return -1;
	}
	h->st.access_logged++;
	return 0;
}

/* A call of the read or administration API: authorised, answered and
 * logged. */
static enum MHD_Result api_call(struct http *h, struct MHD_Connection *conn, const struct api_route *route,
				const char *method, const char *url)
{
	struct caller who;
	struct api_answer a = { 0 };
	char why[320];
	int status;
	enum MHD_Result ret;

	h->st.api_requests++;
	if (!h->access->n)
		return refused(conn, 403, "the read API needs principals with roles (serve --access FILE)");
	identify(h, conn, &who);
	status = authorise(&who, route->roles, why, sizeof(why));
	if (!status && who.by_cookie && strcmp(method, "GET") && !same_origin(conn)) {
		status = 403;
		snprintf(why, sizeof(why), "a change asked with the console's cookie must come from its own pages (Origin)");
	}
	if (status) {
		h->st.api_refused++;
		if (log_access(h, conn, &who, method, url, status, 0))
			return refused(conn, 503, "the access log cannot be written: nothing is answered");
		return refused(conn, status, why);
	}
	api_answer(h->c, route, url, query_arg, conn, &a);
	if (log_access(h, conn, &who, method, url, a.status, a.returned)) {
		api_answer_release(&a);
		return refused(conn, 503, "the access log cannot be written: nothing is answered");
	}
	if (a.status != 200) {
		ret = refused(conn, a.status, a.message[0] ? a.message : "failed");
		api_answer_release(&a);
		return ret;
	}
	ret = reply(conn, 200, a.type, a.body ? a.body : "", a.len, NULL);
	api_answer_release(&a);
	return ret;
}

/* Who may read /metrics: a monitor, an auditor or an admin; with mutual
 * TLS and no principals, any client the CA issued a certificate; with
 * neither, anyone (a development collector on loopback). */
static enum MHD_Result metrics_call(struct http *h, struct MHD_Connection *conn)
{
	struct caller who;
	char why[320];
	int status = 0;

	if (h->access->n) {
		identify(h, conn, &who);
		status = authorise(&who, ROLE_MONITOR | ROLE_AUDITOR | ROLE_ADMIN, why, sizeof(why));
	} else if (h->client_certs && !client_verified(conn)) {
		status = 403;
		snprintf(why, sizeof(why), "a client certificate issued by the collector's client CA is required");
	}
	return status ? refused(conn, status, why) : metrics(h, conn);
}

/* The console file a URL names that needs no credentials, or NULL. */
static const char *console_public(const char *url)
{
	if (!strcmp(url, "/console/login"))
		return "login.html";
	if (!strcmp(url, "/console/login.js"))
		return "login.js";
	if (!strcmp(url, "/console/app.css"))
		return "app.css";
	return NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_size, void **state)
{
	struct http *h = cls;
	struct upload *u = *state;
	struct ingest_result r;
	const struct api_route *route;
	enum MHD_Result ret;

	(void)version;
	if (strcmp(method, "GET") == 0 && strcmp(url, "/healthz") == 0)
		return text(conn, 200, "ok");
	if (strcmp(method, "GET") == 0 && strcmp(url, "/metrics") == 0)
		return metrics_call(h, conn);
	if (strcmp(method, "GET") == 0 && console_public(url)) {
		struct console_asset f;

		/* what anyone gets: the sign-in form, its script and the styles; no evidence */
		if (!console_asset(console_public(url), &f))
			return text(conn, 500, "the console was built without its sign-in page");
		return reply(conn, 200, f.type, f.data, f.len, NULL);
	}
	if ((route = api_route(method, url))) {
		if (strcmp(method, "POST"))
			return api_call(h, conn, route, method, url);
		if (!u) { /* an administrative POST: read (and ignore) any body, then answer */
			if (!(u = calloc(1, sizeof(*u))))
				return MHD_NO;
			u->api = route;
			*state = u;
			return MHD_YES;
		}
		if (*upload_size) {
			*upload_size = 0;
			return MHD_YES;
		}
		return api_call(h, conn, route, method, url);
	}
	if (strcmp(url, "/v1/batches") != 0)
		return text(conn, 404, "no such endpoint (POST /v1/batches; GET /console, /v1/events, /v1/lineage/FP, "
				       "/v1/streams, /v1/checkpoints, /v1/proof, /v1/report, /v1/verify, /v1/access-log, "
				       "/v1/agents)");
	if (strcmp(method, "POST") != 0)
		return text(conn, 405, "POST a Batch (application/x-protobuf)");
	if (!u) { /* the first call: headers only */
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		struct caller who;
		char why[320];
		int status = 0;

		if (h->access->names_agents) { /* principals name the agents: only they ship */
			identify(h, conn, &who);
			status = authorise(&who, ROLE_AGENT, why, sizeof(why));
		} else if (h->client_certs && !client_verified(conn)) {
			status = 403;
			snprintf(why, sizeof(why), "a client certificate issued by the collector's client CA is required");
		}
		if (status) {
			h->st.requests++;
			h->st.rejected++;
			count_status(h, status);
			return refused(conn, status, why);
		}
		if (cl && strtoull(cl, NULL, 10) > BODY_MAX) { /* refused before reading any of it */
			h->st.requests++;
			h->st.rejected++;
			count_status(h, 413);
			return text(conn, 413, "a batch is at most 16 MiB");
		}
		u = calloc(1, sizeof(*u));
		if (!u)
			return MHD_NO;
		*state = u;
		return MHD_YES;
	}
	if (*upload_size) { /* a piece of the body */
		size_t n = *upload_size;

		*upload_size = 0;
		if (u->too_big || u->busy)
			return MHD_YES; /* read and discard the rest: nothing kept past a cap */
		if (u->len + n > BODY_MAX) {
			u->too_big = true;
			return MHD_YES;
		}
		if (u->len + n > u->cap) {
			size_t cap = u->cap ? u->cap : 64 << 10;
			uint8_t *g;

			while (cap < u->len + n)
				cap *= 2;
			if (cap > BODY_MAX)
				cap = BODY_MAX;
			if (h->inflight + (cap - u->cap) > INFLIGHT_MAX) {
				u->busy = true;
				return MHD_YES;
			}
			g = realloc(u->data, cap);
			if (!g) {
				u->busy = true;
				return MHD_YES;
			}
			h->inflight += cap - u->cap;
			u->data = g;
			u->cap = cap;
		}
		memcpy(u->data + u->len, upload_data, n);
		u->len += n;
		return MHD_YES;
	}
	h->st.requests++;
	if (u->too_big) {
		h->st.rejected++;
		count_status(h, 413);
		return text(conn, 413, "a batch is at most 16 MiB");
	}
	if (u->busy) {
		h->st.busy++;
		count_status(h, 503);
		return text(conn, 503, "too many batches being received at once: retry");
	}
	ingest_batch(h->c, u->data, u->len, &r);
	if (r.status == 200)
		h->st.accepted++, h->st.events += r.stored;
	else
		h->st.rejected++;
	count_status(h, r.status);
	if (r.body)
		ret = reply(conn, (unsigned)r.status, "application/x-protobuf", r.body, r.body_len, r.message);
	else
		ret = text(conn, (unsigned)r.status, r.message);
	ingest_result_release(&r);
	return ret;
}

/* The count of a client address, found or made (a slot whose count fell to
 * 0 is taken over); NULL only if every slot is held, which CONNECTIONS <
 * ADDRESS_SLOTS rules out. */
static struct per_address *address_slot(struct http *h, uint32_t addr)
{
	size_t i = (addr * 2654435761u) % ADDRESS_SLOTS;
	struct per_address *free_slot = NULL;

	for (size_t k = 0; k < ADDRESS_SLOTS; k++, i = (i + 1) % ADDRESS_SLOTS) {
		struct per_address *a = &h->addrs[i];

		if (a->used && a->addr == addr)
			return a;
		if (a->used && a->n == 0 && !free_slot)
			free_slot = a;
		if (!a->used) {
			if (!free_slot)
				free_slot = a;
			break;
		}
	}
	if (free_slot)
		*free_slot = (struct per_address){ .addr = addr, .n = 0, .used = true };
	return free_slot;
}

static uint32_t ipv4_of(const struct sockaddr *sa)
{
	return sa && sa->sa_family == AF_INET ? ((const struct sockaddr_in *)sa)->sin_addr.s_addr : 0;
}

/* Before MHD makes anything of a new connection (no TLS session yet): no
 * client address holds more than PER_ADDRESS connections, so one client
 * cannot take the CONNECTIONS every agent shares. */
static enum MHD_Result admit_address(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct http *h = cls;
	struct per_address *a = address_slot(h, ipv4_of(addr));

	(void)len;
	if (a && a->n < PER_ADDRESS)
		return MHD_YES;
	h->st.refused_per_address++;
	return MHD_NO;
}

/* With mutual TLS and no principal known by a token, a client without a
 * certificate is refused in the handshake, before it holds any request
 * state: GnuTLS is told to require one, not only to ask. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http *h = cls;
	const union MHD_ConnectionInfo *ci;

	(void)socket_context;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci) {
		struct per_address *a = address_slot(h, ipv4_of(ci->client_addr));

		if (a && code == MHD_CONNECTION_NOTIFY_STARTED)
			a->n++;
		else if (a && a->n)
			a->n--;
	}
	if (code != MHD_CONNECTION_NOTIFY_STARTED || !h->require_certs)
		return;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci && ci->tls_session)
		gnutls_certificate_server_set_request((gnutls_session_t)ci->tls_session, GNUTLS_CERT_REQUIRE);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state, enum MHD_RequestTerminationCode why)
{
	struct http *h = cls;
	struct upload *u = *state;

	(void)conn, (void)why;
	if (u) {
		h->inflight -= u->cap;
		free(u->data);
	}
	free(u);
	*state = NULL;
}

struct http *http_start(struct collector *c, const struct access *access, const char *addr, uint16_t port,
			const char *cert_pem, const char *key_pem, const char *client_ca_pem, char *err, size_t errsz)
{
	struct http *h = calloc(1, sizeof(*h));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem tls[4] = { { MHD_OPTION_END, 0, NULL } };
	int n = 0;

	if (!h) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		snprintf(err, errsz, "%s: not an IPv4 address", addr);
		free(h);
		return NULL;
	}
	h->c = c;
	h->access = access;
	if (cert_pem) {
		flags |= MHD_USE_TLS;
		tls[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cert_pem };
		tls[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)key_pem };
		if (client_ca_pem) {
			tls[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, (void *)client_ca_pem };
			h->client_certs = true;
			h->require_certs = !access_has_tokens(access);
		}
	}
	tls[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	/* One polling thread: requests are handled one at a time, so the
	 * store needs no locking. A connection idle for CONNECTION_IDLE
	 * seconds (headers or a body that stopped coming) is closed; no client
	 * address holds more than PER_ADDRESS of them (admit_address: refused
	 * before a TLS session is made - MHD's own per-address limit closed
	 * them after, and under a flood a new agent's handshake then failed). */
	h->d = MHD_start_daemon(flags, port, admit_address, h, on_request, h, MHD_OPTION_SOCK_ADDR, &sa,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
				MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned)CONNECTION_IDLE, MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTIONS,
				MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
	if (!h->d) {
		snprintf(err, errsz, "cannot listen on %s:%u (%s)", addr, port, strerror(errno));
		free(h);
		return NULL;
	}
	return h;
}

void http_stop(struct http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}

const struct http_stats *http_stats(const struct http *h)
{
	return &h->st;
}
