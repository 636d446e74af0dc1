// SPDX-License-Identifier: Apache-2.0
#include "http.h"

#include "webhook.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>

#define BODY_MAX (16u << 20)     /* one batch */
#define INFLIGHT_MAX (64u << 20) /* all bodies being received at once: slow uploads cannot pile up memory */

struct http {
	struct MHD_Daemon *d;
	struct collector *c;
	size_t inflight; /* bytes held by uploads in progress (one polling thread: no lock) */
	bool client_certs; /* mutual TLS: every request needs a certificate from the client CA */
	struct http_stats st;
};

/* One request's body, gathered as it arrives. */
struct upload {
	uint8_t *data;
	size_t len, cap;
	bool too_big;
	bool busy; /* refused for lack of room: answered 503, retried by the agent */
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type, const void *body,
			     size_t len, const char *reason)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
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

static const int http_statuses[HTTP_STATUSES] = { 400, 403, 409, 413, 500, 503 };

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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_size, void **state)
{
	struct http *h = cls;
	struct upload *u = *state;
	struct ingest_result r;
	enum MHD_Result ret;

	(void)version;
	if (strcmp(method, "GET") == 0 && strcmp(url, "/healthz") == 0)
		return text(conn, 200, "ok");
	if (strcmp(method, "GET") == 0 && strcmp(url, "/metrics") == 0)
		return metrics(h, conn);
	if (strcmp(url, "/v1/batches") != 0)
		return text(conn, 404, "no such endpoint (POST /v1/batches)");
	if (strcmp(method, "POST") != 0)
		return text(conn, 405, "POST a Batch (application/x-protobuf)");
	if (!u) { /* the first call: headers only */
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");

		if (h->client_certs && !client_verified(conn)) {
			h->st.requests++;
			h->st.rejected++;
			count_status(h, 403);
			return text(conn, 403, "a client certificate issued by the collector's client CA is required");
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

struct http *http_start(struct collector *c, const char *addr, uint16_t port, const char *cert_pem,
			const char *key_pem, const char *client_ca_pem, char *err, size_t errsz)
{
	struct http *h = calloc(1, sizeof(*h));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
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
	if (cert_pem) {
		flags |= MHD_USE_TLS;
		tls[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cert_pem };
		tls[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)key_pem };
		if (client_ca_pem) {
			tls[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, (void *)client_ca_pem };
			h->client_certs = true;
		}
	}
	tls[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	/* One polling thread: requests are handled one at a time, so the
	 * store needs no locking. Slow clients time out; connections are capped. */
	h->d = MHD_start_daemon(flags, port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, &sa,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)256, MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
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
