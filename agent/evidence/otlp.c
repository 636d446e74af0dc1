// SPDX-License-Identifier: Apache-2.0
#include "otlp.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "clock.h"
#include "event_json.h"
#include "hex.h"

#define QUEUE_RECORDS 8192
#define QUEUE_BYTES (16u << 20)
#define BATCH_RECORDS 512
#define SEND_EVERY_NS 1000000000ull
#define BACKOFF_MIN_NS 1000000000ull
#define BACKOFF_MAX_NS 30000000000ull

/* ---- a protobuf writer: just what OTLP logs need ---- */

struct pbuf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

static bool pb_room(struct pbuf *b, size_t n)
{
	uint8_t *g;
	size_t cap;

	if (b->oom)
		return false;
	if (b->len + n <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + n)
		cap *= 2;
	g = realloc(b->p, cap);
	if (!g) {
		b->oom = true;
		return false;
	}
	b->p = g;
	b->cap = cap;
	return true;
}

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static void pb_varint(struct pbuf *b, uint64_t v)
{
	if (!pb_room(b, 10))
		return;
	while (v >= 0x80) {
		b->p[b->len++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b->p[b->len++] = (uint8_t)v;
}

static void pb_raw(struct pbuf *b, const void *d, size_t n)
{
	if (n && pb_room(b, n)) {
		memcpy(b->p + b->len, d, n);
		b->len += n;
	}
}

/* Field header of a length-delimited field (wire type 2). */
static void pb_len_field(struct pbuf *b, unsigned field, size_t n)
{
	pb_varint(b, (uint64_t)field << 3 | 2);
	pb_varint(b, n);
}

static void pb_bytes(struct pbuf *b, unsigned field, const void *d, size_t n)
{
	pb_len_field(b, field, n);
	pb_raw(b, d, n);
}

static void pb_fixed64(struct pbuf *b, unsigned field, uint64_t v)
{
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	pb_varint(b, (uint64_t)field << 3 | 1);
	pb_raw(b, le, 8);
}

/* The size of field `field` holding n bytes, header included. */
static size_t field_size(unsigned field, size_t n)
{
	return varint_len((uint64_t)field << 3) + varint_len(n) + n;
}

/* KeyValue{key, AnyValue{string_value}} as field `field`; empty values are left out. */
static void attr_str(struct pbuf *b, unsigned field, const char *key, const char *val)
{
	size_t kl = strlen(key), vl = val ? strlen(val) : 0, any;

	if (!vl)
		return;
	any = field_size(1, vl);
	pb_len_field(b, field, field_size(1, kl) + field_size(2, any));
	pb_bytes(b, 1, key, kl);
	pb_len_field(b, 2, any);
	pb_bytes(b, 1, val, vl);
}

/* KeyValue{key, AnyValue{int_value}}. */
static void attr_int(struct pbuf *b, unsigned field, const char *key, int64_t v)
{
	size_t kl = strlen(key), any = 1 + varint_len((uint64_t)v);

	pb_len_field(b, field, field_size(1, kl) + field_size(2, any));
	pb_bytes(b, 1, key, kl);
	pb_len_field(b, 2, any);
	pb_varint(b, 3 << 3 | 0);
	pb_varint(b, (uint64_t)v);
}

static void attr_hex(struct pbuf *b, unsigned field, const char *key, const uint8_t *d, size_t n)
{
	char hex[2 * 64 + 1];

	if (n > 64)
		n = 64;
	hex_encode(d, n, hex);
	attr_str(b, field, key, hex);
}

/* ---- the exporter ---- */

struct otlp {
	struct otlp_opts o;
	char node[256]; /* copied: the caller's string may not outlive otlp_new */
	CURLM *multi;
	CURL *easy;
	struct curl_slist *headers;
	struct pbuf resource; /* ResourceLogs.resource + scope header, the same for every request */
	struct pbuf body;     /* the request in flight */
	struct pbuf q[QUEUE_RECORDS]; /* encoded LogRecords, a ring */
	size_t head, n, bytes;
	size_t in_flight; /* records of q at head that the request carries */
	uint64_t last_send, next_try, backoff;
	struct otlp_stats st;
};

struct otlp *otlp_new(const struct otlp_opts *o, char *err, size_t errsz)
{
	struct otlp *x = calloc(1, sizeof(*x));

	if (!x || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(x->multi = curl_multi_init())) {
		snprintf(err, errsz, "libcurl unavailable");
		free(x);
		return NULL;
	}
	x->o = *o;
	snprintf(x->node, sizeof(x->node), "%s", o->node ? o->node : "");
	x->o.node = x->node;
	x->headers = curl_slist_append(NULL, "Content-Type: application/x-protobuf");
	for (int i = 0; i < o->nheaders; i++)
		x->headers = curl_slist_append(x->headers, o->headers[i]);
	return x;
}

static void release_request(struct otlp *x)
{
	if (x->easy) {
		curl_multi_remove_handle(x->multi, x->easy);
		curl_easy_cleanup(x->easy);
		x->easy = NULL;
	}
	free(x->body.p);
	memset(&x->body, 0, sizeof(x->body));
}

void otlp_free(struct otlp *x)
{
	if (!x)
		return;
	release_request(x);
	for (size_t i = 0; i < x->n; i++)
		free(x->q[(x->head + i) % QUEUE_RECORDS].p);
	free(x->resource.p);
	curl_slist_free_all(x->headers);
	curl_multi_cleanup(x->multi);
	curl_global_cleanup();
	free(x);
}

/* Resource (service, host, agent key) and the instrumentation scope, made
 * once: the agent's key is known with the first event. */
static void make_resource(struct otlp *x, const uint8_t pub[32])
{
	struct pbuf r = { 0 }, *b = &x->resource;

	attr_str(&r, 1, "service.name", "sealtap-agent");
	attr_str(&r, 1, "service.version", x->o.version);
	attr_str(&r, 1, "host.name", x->o.node);
	attr_hex(&r, 1, "sealtap.agent.public_key", pub, 32);
	pb_bytes(b, 1, r.p, r.len); /* ResourceLogs.resource */
	free(r.p);
}

static const char *provider_name(const char *api)
{
	/* gen_ai.provider.name (which replaced the deprecated gen_ai.system)
	 * where the API flavour says which provider's API it is. */
	if (!api || !*api)
		return NULL;
	if (strncmp(api, "openai", 6) == 0)
		return "openai";
	if (strcmp(api, "anthropic") == 0)
		return "anthropic";
	if (strcmp(api, "ollama") == 0)
		return "ollama";
	if (strcmp(api, "tgi") == 0)
		return "huggingface.tgi";
	return api;
}

/* Stacks of a coverage event in a state ("unwatched", "partial"). */
static int64_t coverage_in(const Sealtap__Evidence__V1__Coverage *c, const char *state)
{
	int64_t n = 0;

	for (size_t i = 0; i < c->n_processes; i++)
		for (size_t k = 0; k < c->processes[i]->n_stacks; k++)
			n += strcmp(c->processes[i]->stacks[k]->state, state) == 0;
	return n;
}

static void severity(const Sealtap__Evidence__V1__Event *e, int *num, const char **text)
{
	const char *sev = e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_FINDING ? e->finding->severity
			  : e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_POLICY_VIOLATION
				  ? e->policy_violation->severity
				  : NULL;

	*num = 9, *text = "INFO";
	if (sev && strcmp(sev, "critical") == 0)
		*num = 21, *text = "FATAL";
	else if (sev && strcmp(sev, "high") == 0)
		*num = 17, *text = "ERROR";
	else if ((sev && strcmp(sev, "medium") == 0) ||
		 e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_CAPTURE_LOSS ||
		 e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_POLICY_VIOLATION ||
		 e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_GAP ||
		 (e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_COVERAGE &&
		  coverage_in(e->coverage, "unwatched") + coverage_in(e->coverage, "partial") > 0))
		*num = 13, *text = "WARN";
}

static void kind_attrs(struct pbuf *b, const Sealtap__Evidence__V1__Event *e)
{
	static const char *const leaks[] = { "", "echo", "novel", "cross_identity" };
	char key[96];

	switch (e->kind_case) {
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_FINDING: {
		const Sealtap__Evidence__V1__Finding *f = e->finding;

		attr_str(b, 6, "sealtap.finding.detector", f->detector);
		attr_str(b, 6, "sealtap.finding.category", f->category);
		attr_str(b, 6, "sealtap.finding.severity", f->severity);
		attr_str(b, 6, "sealtap.finding.direction",
			 f->direction == SEALTAP__EVIDENCE__V1__DIRECTION__DIRECTION_INPUT ? "input" : "output");
		attr_str(b, 6, "sealtap.finding.leak", (unsigned)f->leak < 4 ? leaks[f->leak] : "");
		attr_str(b, 6, "sealtap.finding.part", f->part);
		attr_str(b, 6, "sealtap.finding.masked", f->masked);
		attr_hex(b, 6, "sealtap.finding.fingerprint", f->fingerprint.data, f->fingerprint.len);
		attr_int(b, 6, "sealtap.finding.start", (int64_t)f->start);
		attr_int(b, 6, "sealtap.finding.end", (int64_t)f->end);
		break;
	}
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_POLICY_VIOLATION: {
		const Sealtap__Evidence__V1__PolicyViolation *v = e->policy_violation;

		attr_str(b, 6, "sealtap.policy_violation.rule", v->rule);
		attr_str(b, 6, "sealtap.policy_violation.reason", v->reason);
		attr_str(b, 6, "sealtap.policy_violation.provider", v->provider);
		attr_str(b, 6, "sealtap.finding.detector", v->detector);
		attr_str(b, 6, "sealtap.finding.category", v->category);
		attr_str(b, 6, "sealtap.finding.severity", v->severity);
		attr_str(b, 6, "sealtap.finding.direction",
			 v->direction == SEALTAP__EVIDENCE__V1__DIRECTION__DIRECTION_INPUT ? "input" : "output");
		attr_str(b, 6, "sealtap.finding.masked", v->masked);
		attr_hex(b, 6, "sealtap.finding.fingerprint", v->fingerprint.data, v->fingerprint.len);
		attr_int(b, 6, "sealtap.policy_violation.finding_seq", (int64_t)v->finding_seq);
		break;
	}
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_GAP:
		attr_int(b, 6, "sealtap.gap.dropped", (int64_t)e->gap->dropped);
		break;
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_CAPTURE_LOSS:
		for (size_t i = 0; i < e->capture_loss->n_counts; i++) {
			snprintf(key, sizeof(key), "sealtap.capture_loss.%s", e->capture_loss->counts[i]->key);
			attr_int(b, 6, key, (int64_t)e->capture_loss->counts[i]->value);
		}
		break;
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_HEARTBEAT:
		attr_int(b, 6, "sealtap.heartbeat.exchanges", (int64_t)e->heartbeat->exchanges);
		attr_int(b, 6, "sealtap.heartbeat.bytes_captured", (int64_t)e->heartbeat->bytes_captured);
		attr_int(b, 6, "sealtap.heartbeat.processes_watched", e->heartbeat->processes_watched);
		break;
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_COVERAGE:
		attr_int(b, 6, "sealtap.coverage.processes", (int64_t)e->coverage->n_processes);
		attr_int(b, 6, "sealtap.coverage.unwatched", coverage_in(e->coverage, "unwatched"));
		attr_int(b, 6, "sealtap.coverage.partial", coverage_in(e->coverage, "partial"));
		attr_int(b, 6, "sealtap.coverage.omitted", e->coverage->processes_omitted);
		break;
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_LIFECYCLE:
		attr_str(b, 6, "sealtap.lifecycle.phase",
			 e->lifecycle->phase == SEALTAP__EVIDENCE__V1__AGENT_LIFECYCLE__PHASE__PHASE_START ? "start"
													 : "stop");
		attr_str(b, 6, "os.kernel", e->lifecycle->kernel); /* (not a convention: none exists) */
		break;
	default:
		break;
	}
}

/* "host:port", "[ip6]:port", "host" or a bare IPv6 address into the
 * address alone and the port (0: none), as the conventions want them. */
static void split_host_port(const char *s, char *addr, size_t cap, long *port)
{
	const char *colon = strrchr(s, ':');
	size_t n = strlen(s);

	*port = 0;
	if (colon && (s[0] == '[' || strchr(s, ':') == colon)) { /* a port, not an IPv6 address's colons */
		n = (size_t)(colon - s);
		*port = strtol(colon + 1, NULL, 10);
		if (*port <= 0 || *port > 65535)
			*port = 0;
	}
	if (s[0] == '[' && n >= 2 && s[n - 1] == ']')
		snprintf(addr, cap, "%.*s", (int)(n - 2), s + 1);
	else
		snprintf(addr, cap, "%.*s", (int)n, s);
}

/* An endpoint as network.peer.* or server.*: its address, its port (an
 * integer) when it has one. */
static void endpoint_attrs(struct pbuf *b, const char *s, const char *addr_key, const char *port_key)
{
	char addr[256];
	long port;

	if (!s || !*s)
		return;
	split_host_port(s, addr, sizeof(addr), &port);
	attr_str(b, 6, addr_key, addr);
	if (port)
		attr_int(b, 6, port_key, port);
}

/* One LogRecord. */
static void encode(struct pbuf *b, const Sealtap__Evidence__V1__Event *e)
{
	const char *kind = event_kind_name(e), *text;
	char name[64], summary[256];
	int sev;

	severity(e, &sev, &text);
	snprintf(name, sizeof(name), "sealtap.%s", kind);
	if (e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_FINDING)
		snprintf(summary, sizeof(summary), "%s finding in %s: %s %s", e->finding->severity,
			 e->finding->direction == SEALTAP__EVIDENCE__V1__DIRECTION__DIRECTION_INPUT ? "a prompt"
												 : "an output",
			 e->finding->detector, e->finding->masked);
	else if (e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_POLICY_VIOLATION)
		snprintf(summary, sizeof(summary), "policy violation (%s): %s %s %s", e->policy_violation->rule,
			 e->policy_violation->reason, e->policy_violation->detector, e->policy_violation->masked);
	else
		snprintf(summary, sizeof(summary), "sealtap %s", kind);
	pb_fixed64(b, 1, e->time_unix_nano);
	pb_varint(b, 2 << 3 | 0);
	pb_varint(b, (uint64_t)sev);
	pb_bytes(b, 3, text, strlen(text));
	pb_len_field(b, 5, field_size(1, strlen(summary))); /* body: AnyValue{string_value} */
	pb_bytes(b, 1, summary, strlen(summary));
	attr_hex(b, 6, "sealtap.stream_id", e->stream_id.data, e->stream_id.len);
	attr_int(b, 6, "sealtap.seq", (int64_t)e->seq);
	attr_str(b, 6, "sealtap.event.kind", kind);
	if (e->identity) {
		const Sealtap__Evidence__V1__Identity *id = e->identity;

		attr_int(b, 6, "process.pid", id->pid);
		attr_int(b, 6, "process.user.id", id->uid);
		attr_str(b, 6, "process.executable.path", id->executable);
		attr_str(b, 6, "process.command", id->comm);
		attr_str(b, 6, "container.id", id->container_id);
		attr_str(b, 6, "k8s.pod.uid", id->pod_uid);
		endpoint_attrs(b, id->peer, "network.peer.address", "network.peer.port");
		attr_int(b, 6, "sealtap.connection_id", (int64_t)id->connection_id);
		attr_str(b, 6, "sealtap.capture_source", id->capture_source);
	}
	if (e->model) {
		const Sealtap__Evidence__V1__Model *m = e->model;

		attr_str(b, 6, "gen_ai.provider.name", provider_name(m->api));
		attr_str(b, 6, "gen_ai.request.model", m->requested);
		attr_str(b, 6, "gen_ai.response.model", m->reported);
		attr_str(b, 6, "url.path", m->endpoint);
		endpoint_attrs(b, m->host, "server.address", "server.port");
		attr_int(b, 6, "sealtap.exchange_id", (int64_t)m->exchange_id);
	}
	kind_attrs(b, e);
	pb_fixed64(b, 11, e->time_unix_nano);
	pb_bytes(b, 12, name, strlen(name));
}

void otlp_event(struct otlp *x, const Sealtap__Evidence__V1__Event *e, const uint8_t pub[32])
{
	struct pbuf rec = { 0 };

	x->st.records++;
	if (!x->resource.len)
		make_resource(x, pub);
	if (x->n == QUEUE_RECORDS || x->bytes >= QUEUE_BYTES) {
		x->st.dropped++;
		return;
	}
	encode(&rec, e);
	if (rec.oom) {
		free(rec.p);
		x->st.dropped++;
		return;
	}
	x->q[(x->head + x->n) % QUEUE_RECORDS] = rec;
	x->n++;
	x->bytes += rec.len;
}

/* ExportLogsServiceRequest{ResourceLogs{resource, ScopeLogs{scope, records}}}
 * for the oldest queued records. */
static void build(struct otlp *x)
{
	static const char scope_name[] = "sealtap.evidence", scope_version[] = "v1";
	size_t records = 0, scope_size = field_size(1, sizeof(scope_name) - 1) + field_size(2, sizeof(scope_version) - 1);
	size_t scope_logs = field_size(1, scope_size), resource_logs;
	struct pbuf *b = &x->body;

	x->in_flight = x->n < BATCH_RECORDS ? x->n : BATCH_RECORDS;
	for (size_t i = 0; i < x->in_flight; i++)
		records += field_size(2, x->q[(x->head + i) % QUEUE_RECORDS].len);
	scope_logs += records;
	resource_logs = x->resource.len + field_size(2, scope_logs);
	pb_len_field(b, 1, resource_logs);
	pb_raw(b, x->resource.p, x->resource.len);
	pb_len_field(b, 2, scope_logs);
	pb_len_field(b, 1, scope_size);
	pb_bytes(b, 1, scope_name, sizeof(scope_name) - 1);
	pb_bytes(b, 2, scope_version, sizeof(scope_version) - 1);
	for (size_t i = 0; i < x->in_flight; i++) {
		const struct pbuf *r = &x->q[(x->head + i) % QUEUE_RECORDS];

		pb_bytes(b, 2, r->p, r->len);
	}
}

static void start(struct otlp *x, uint64_t now)
{
	build(x);
	if (x->body.oom || !(x->easy = curl_easy_init())) {
		release_request(x);
		x->st.failures++;
		x->next_try = now + BACKOFF_MIN_NS;
		return;
	}
	curl_easy_setopt(x->easy, CURLOPT_URL, x->o.url);
	curl_easy_setopt(x->easy, CURLOPT_POST, 1L);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, (const char *)x->body.p);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body.len);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	if (x->o.ca_file)
		curl_easy_setopt(x->easy, CURLOPT_CAINFO, x->o.ca_file);
	curl_multi_add_handle(x->multi, x->easy);
	x->st.requests++;
	x->last_send = now;
}

/* Drops the records the request carried from the queue. */
static void dequeue(struct otlp *x)
{
	for (size_t i = 0; i < x->in_flight; i++) {
		struct pbuf *r = &x->q[x->head];

		x->bytes -= r->len;
		free(r->p);
		memset(r, 0, sizeof(*r));
		x->head = (x->head + 1) % QUEUE_RECORDS;
	}
	x->n -= x->in_flight;
	x->in_flight = 0;
}

static void finish(struct otlp *x, CURLcode code, uint64_t now)
{
	long status = 0;
	curl_off_t retry_after = 0;
	uint8_t r;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER, &retry_after);
	if (code == CURLE_OK && status >= 200 && status < 300) {
		x->st.sent += x->in_flight;
		dequeue(x);
		x->backoff = 0;
		x->next_try = now;
	} else if (code == CURLE_OK && status >= 400 && status < 500 && status != 429 && status != 408) {
		x->st.refused += x->in_flight; /* the receiver will never take these */
		dequeue(x);
	} else {
		x->st.failures++;
		x->backoff = x->backoff ? x->backoff * 2 : BACKOFF_MIN_NS;
		if (x->backoff > BACKOFF_MAX_NS)
			x->backoff = BACKOFF_MAX_NS;
		RAND_bytes(&r, 1);
		x->next_try = now + x->backoff / 2 + x->backoff / 2 * r / 255;
		if (retry_after > 0 && retry_after < 3600 && now + (uint64_t)retry_after * 1000000000ull > x->next_try)
			x->next_try = now + (uint64_t)retry_after * 1000000000ull;
	}
	release_request(x);
}

void otlp_tick(struct otlp *x, uint64_t now)
{
	CURLMsg *msg;
	int running, left;

	if (!x)
		return;
	curl_multi_perform(x->multi, &running);
	while ((msg = curl_multi_info_read(x->multi, &left)))
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == x->easy)
			finish(x, msg->data.result, now);
	if (!x->easy && x->n && now >= x->next_try &&
	    (x->n >= BATCH_RECORDS || now - x->last_send >= SEND_EVERY_NS))
		start(x, now);
}

void otlp_flush(struct otlp *x, uint64_t timeout_ns)
{
	uint64_t end = clock_mono_ns() + timeout_ns;

	if (!x)
		return;
	x->last_send = 0; /* send what is queued now, not in a second */
	x->next_try = 0;
	while (clock_mono_ns() < end && (x->n || x->easy)) {
		uint64_t before = x->st.failures;

		otlp_tick(x, clock_mono_ns());
		if (x->st.failures != before)
			break; /* the receiver is not there: what is left is counted as dropped below */
		curl_multi_poll(x->multi, NULL, 0, 50, NULL);
		x->last_send = 0;
	}
	x->st.dropped += x->n;
}

void otlp_write_stats(const struct otlp *x, FILE *out)
{
	fprintf(out,
		",\"otlp\":{\"records\":%" PRIu64 ",\"sent\":%" PRIu64 ",\"queued\":%zu,\"dropped\":%" PRIu64
		",\"refused\":%" PRIu64 ",\"failures\":%" PRIu64 ",\"requests\":%" PRIu64 "}",
		x->st.records, x->st.sent, x->n, x->st.dropped, x->st.refused, x->st.failures, x->st.requests);
}
