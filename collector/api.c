// SPDX-License-Identifier: Apache-2.0
#include "api.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "console.h"
#include "event_json.h"
#include "export.h"
#include "hex.h"
#include "json.h"
#include "lineage.h"
#include "period.h"
#include "report.h"
#include "verify.h"

#define EVENTS_DEFAULT 1000
#define EVENTS_MAX 100000

typedef const char *(*arg_fn)(void *, const char *);

/* A JSON-lines (or other) body being written. */
struct body {
	FILE *f;
	struct api_answer *a;
};

static bool open_body(struct body *b, struct api_answer *a, const char *type)
{
	b->a = a;
	a->type = type;
	b->f = open_memstream(&a->body, &a->len);
	return b->f != NULL;
}

static int close_body(struct body *b, int status)
{
	if (fclose(b->f))
		status = 500;
	b->a->status = status;
	return 0;
}

static int refuse(struct api_answer *a, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->message, sizeof(a->message), fmt, ap);
	va_end(ap);
	a->status = status;
	return -1;
}

/* An unsigned decimal argument: 0 when absent, -1 (with a 400) when bad. */
static int num_arg(arg_fn arg, void *ctx, const char *name, uint64_t max, uint64_t *out, struct api_answer *a)
{
	const char *s = arg(ctx, name);
	char *end;

	*out = 0;
	if (!s)
		return 0;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (!*s || *end || errno || *out > max || s[0] == '-')
		return refuse(a, 400, "%s=%s: expected a number up to %" PRIu64, name, s, max);
	return 1;
}

static int hex_arg(arg_fn arg, void *ctx, const char *name, uint8_t *out, size_t n, struct api_answer *a)
{
	const char *s = arg(ctx, name);

	if (!s || strlen(s) != 2 * n || hex_decode(s, out, n))
		return refuse(a, 400, "%s: expected %zu hex digits", name, 2 * n);
	return 0;
}

/* ---- reads ---- */

struct counted {
	FILE *f;
	uint64_t n;
};

static int put_event(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	struct counted *c = ctx;

	(void)seq;
	event_json_bytes(c->f, bytes, len);
	c->n++;
	return 0;
}

/* A JSON-lines answer written by walk (a store walk over n, with arg):
 * 200 with what it returned, or 500 naming the store's error. */
typedef int (*walk_fn)(struct store *s, struct counted *n, const void *arg);

static int lines_answer(struct collector *c, struct api_answer *a, walk_fn walk, const void *arg)
{
	struct counted n;
	struct body b;

	if (!open_body(&b, a, "application/x-ndjson"))
		return refuse(a, 500, "out of memory");
	n = (struct counted){ b.f, 0 };
	if (walk(c->store, &n, arg)) {
		close_body(&b, 500);
		return refuse(a, 500, "store: %s", store_error(c->store));
	}
	a->returned = n.n;
	return close_body(&b, 200);
}

static int events(struct collector *c, const char *rest, arg_fn arg, void *ctx, struct api_answer *a)
{
	struct store_query q = { .limit = EVENTS_DEFAULT };
	uint64_t since, until, limit;
	struct body b;
	struct counted n;
	int r;

	(void)rest;
	if (num_arg(arg, ctx, "since", 10000000000ull, &since, a) < 0 ||
	    num_arg(arg, ctx, "until", 10000000000ull, &until, a) < 0 ||
	    (r = num_arg(arg, ctx, "limit", EVENTS_MAX, &limit, a)) < 0)
		return -1;
	if (r && limit)
		q.limit = limit;
	q.since_ns = since * 1000000000ull;
	q.until_ns = until * 1000000000ull;
	q.kind = arg(ctx, "kind");
	q.severity = arg(ctx, "severity");
	q.pod_uid = arg(ctx, "pod");
	q.model = arg(ctx, "model");
	q.detector = arg(ctx, "detector");
	if (!open_body(&b, a, "application/x-ndjson"))
		return refuse(a, 500, "out of memory");
	n = (struct counted){ b.f, 0 };
	r = store_query(c->store, &q, put_event, &n);
	a->returned = n.n;
	if (r) {
		close_body(&b, 500);
		return refuse(a, 500, "store: %s", store_error(c->store));
	}
	return close_body(&b, 200);
}

static int lineage(struct collector *c, const char *rest, arg_fn arg, void *ctx, struct api_answer *a)
{
	uint8_t fp[STORE_FINGERPRINT];
	const char *proof = arg(ctx, "proof");
	bool bundle = proof && !strcmp(proof, "1");
	char err[256];
	struct body b;
	FILE *json;
	int r;

	if (strlen(rest) != 2 * STORE_FINGERPRINT || hex_decode(rest, fp, STORE_FINGERPRINT))
		return refuse(a, 400, "/v1/lineage/FINGERPRINT: 64 hex digits");
	if (!open_body(&b, a, bundle ? "application/x-protobuf" : "application/x-ndjson"))
		return refuse(a, 500, "out of memory");
	json = bundle ? fopen("/dev/null", "w") : b.f;
	r = json ? lineage_list(c->store, fp, json, bundle ? b.f : NULL, err, sizeof(err)) : -1;
	if (json && json != b.f)
		fclose(json);
	close_body(&b, 200);
	if (r) {
		free(a->body);
		a->body = NULL;
		a->len = 0;
		return refuse(a, strstr(err, "no stored event") ? 404 : 500, "%s", json ? err : "out of memory");
	}
	a->returned = 1;
	return 0;
}

static int put_stream(void *ctx, const struct stream_row *r)
{
	struct counted *w = ctx;

	fputs("{\"stream\":\"", w->f);
	hex_put(w->f, r->chain.id, CHAIN_STREAM_ID);
	fputs("\",\"agent_key\":\"", w->f);
	hex_put(w->f, r->agent_key, CHAIN_AGENT_KEY);
	fprintf(w->f, "\",\"events\":%" PRIu64 "}\n", r->chain.tree.size);
	w->n++;
	return 0;
}

static int walk_streams(struct store *s, struct counted *n, const void *arg)
{
	(void)arg;
	return store_each_stream(s, put_stream, n);
}

static int streams(struct collector *c, const char *rest, arg_fn arg, void *ctx, struct api_answer *a)
{
	(void)rest, (void)arg, (void)ctx;
	return lines_answer(c, a, walk_streams, NULL);
}

static int put_checkpoint(void *ctx, uint64_t size, const uint8_t *note, size_t len)
{
	struct counted *c = ctx;

	fprintf(c->f, "{\"size\":%" PRIu64 ",\"note\":", size);
	json_put_string(c->f, (const char *)note, len);
	fputs("}\n", c->f);
	c->n++;
	return 0;
}

static int walk_checkpoints(struct store *s, struct counted *n, const void *id)
{
	return store_each_checkpoint(s, id, put_checkpoint, n);
}

static int checkpoints(struct collector *c, const char *rest, arg_fn arg, void *ctx, struct api_answer *a)
{
	uint8_t id[CHAIN_STREAM_ID];

	(void)rest;
	if (hex_arg(arg, ctx, "stream", id, CHAIN_STREAM_ID, a))
		return -1;
	return lines_answer(c, a, walk_checkpoints, id);
}

/* The proof of events [from, to) as JSON, for a browser to check itself
 * (the console): the agent's key, the signed checkpoint note as text, and
 * per event its exact bytes (base64), its inclusion proof (hex, deepest
 * first) and its fields as the collector decodes them. */
#define PROOF_JSON_MAX 1000
static int proof_json(struct collector *c, const uint8_t id[CHAIN_STREAM_ID], uint64_t from, uint64_t to,
		      struct api_answer *a)
{
	uint64_t seqs[PROOF_JSON_MAX];
	struct proof pr;
	char err[256];
	struct body b;
	size_t n = (size_t)(to - from);

	if (to <= from || n > PROOF_JSON_MAX)
		return refuse(a, 400, "format=json proves 1 to %d events: from < to, to - from <= %d", PROOF_JSON_MAX,
			      PROOF_JSON_MAX);
	for (size_t i = 0; i < n; i++)
		seqs[i] = from + i;
	if (proof_build(c->store, id, seqs, n, &pr, err, sizeof(err)))
		return refuse(a, strstr(err, "no such stream") ? 404 : 400, "%s", err);
	if (!open_body(&b, a, "application/json")) {
		proof_release(&pr);
		return refuse(a, 500, "out of memory");
	}
	fputs("{\"agent_public_key\":\"", b.f);
	hex_put(b.f, pr.b.agent_public_key.data, pr.b.agent_public_key.len);
	fputs("\",\"stream\":\"", b.f);
	hex_put(b.f, id, CHAIN_STREAM_ID);
	fputs("\",\"checkpoint\":", b.f);
	json_put_string(b.f, (const char *)pr.b.checkpoint.data, pr.b.checkpoint.len);
	fputs(",\"events\":[", b.f);
	for (size_t i = 0; i < pr.b.n_events; i++) {
		const Sealtap__Evidence__V1__ProvenEvent *pe = pr.b.events[i];

		fprintf(b.f, "%s{\"seq\":%" PRIu64 ",\"event\":\"", i ? "," : "", pe->seq);
		json_put_base64(b.f, pe->event.data, pe->event.len);
		fputs("\",\"inclusion_proof\":[", b.f);
		for (size_t k = 0; k < pe->n_inclusion_proof; k++) {
			fputs(k ? ",\"" : "\"", b.f);
			hex_put(b.f, pe->inclusion_proof[k].data, pe->inclusion_proof[k].len);
			fputc('"', b.f);
		}
		fputs("],\"fields\":", b.f);
		event_json_bytes(b.f, pe->event.data, pe->event.len); /* one line: its newline is JSON whitespace */
		fputc('}', b.f);
	}
	fputs("]}\n", b.f);
	a->returned = pr.b.n_events;
	proof_release(&pr);
	return close_body(&b, 200);
}

static int proof(struct collector *c, const char *rest, arg_fn arg, void *ctx, struct api_answer *a)
{
	uint8_t id[CHAIN_STREAM_ID];
	uint64_t from, to;
	const char *format = arg(ctx, "format");
	char err[256];
	struct body b;
	int r;

	(void)rest;
	if (hex_arg(arg, ctx, "stream", id, CHAIN_STREAM_ID, a) ||
	    num_arg(arg, ctx, "from", UINT64_MAX / 2, &from, a) < 0 || num_arg(arg, ctx, "to", UINT64_MAX / 2, &to, a) < 0)
		return -1;
	if (format && !strcmp(format, "json"))
		return proof_json(c, id, from, to, a);
	if (format)
		return refuse(a, 400, "format: json, or none for a ProofBundle");
	if (!open_body(&b, a, "application/x-protobuf"))
		return refuse(a, 500, "out of memory");
	r = export_proof(c->store, id, from, to, b.f, err, sizeof(err));
	close_body(&b, 200);
	if (r) {
		free(a->body);
		a->body = NULL;
		a->len = 0;
		return refuse(a, strstr(err, "no such stream") ? 404 : 400, "%s", err);
	}
	a->returned = to - from;
	return 0;
}

/* {"verified":..,"streams":..,"events":..,"access_log_entries":..,"problems":[..]} */
static int verification(struct collector *c, const char *rest, arg_fn arg, void *ctx, struct api_answer *a)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	uint64_t nstreams = 0, nevents = 0, entries = 0;
	int problems, access_problems;
	struct body b;

	(void)rest, (void)arg, (void)ctx;
	if (!f)
		return refuse(a, 500, "out of memory");
	problems = verify_store(c->store, NULL, f, &nstreams, &nevents);
	access_problems = problems < 0 ? -1 : verify_access_log(c->store, f, &entries);
	fclose(f);
	if (problems < 0 || access_problems < 0 || !open_body(&b, a, "application/json")) {
		free(text);
		return refuse(a, 500, "the store cannot be read");
	}
	fprintf(b.f,
		"{\"verified\":%s,\"streams\":%" PRIu64 ",\"events\":%" PRIu64 ",\"access_log_entries\":%" PRIu64
		",\"problems\":[",
		problems + access_problems ? "false" : "true", nstreams, nevents, entries);
	for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (line != text)
			fputc(',', b.f);
		json_put_string(b.f, line, nl ? (size_t)(nl - line) : strlen(line));
	}
	fputs("]}\n", b.f);
	free(text);
	a->returned = nevents;
	return close_body(&b, 200);
}

void api_access_json(FILE *out, const struct access_row *r)
{
	fprintf(out, "{\"n\":%" PRIu64 ",\"time_unix_nano\":%" PRIu64, r->n, r->time_unix_nano);
	json_put_field(out, "principal", r->principal);
	json_put_field(out, "role", r->role);
	json_put_field(out, "method", r->method);
	json_put_field(out, "target", r->target);
	fprintf(out, ",\"status\":%d,\"returned\":%" PRIu64 ",\"hash\":\"", r->status, r->returned);
	hex_put(out, r->hash, 32);
	fputs("\"}\n", out);
}

/* The entries from number `from` on, at most `limit` of them: an answer is
 * built whole, so it is bounded however long the log grows. */
struct access_page {
	struct counted *out;
	uint64_t from, limit;
};

static int put_access(void *ctx, const struct access_row *r)
{
	struct access_page *p = ctx;

	if (r->n < p->from)
		return 0;
	if (p->out->n == p->limit)
		return 1; /* the page is full (not an error) */
	api_access_json(p->out->f, r);
	p->out->n++;
	return 0;
}

static int walk_access(struct store *s, struct counted *n, const void *arg)
{
	struct access_page p = *(const struct access_page *)arg;

	p.out = n;
	return store_each_access(s, put_access, &p) < 0 ? -1 : 0;
}

/* ?from=N (entry number, default 1) &limit= (default 1000, at most 100000). */
static int access_log(struct collector *c, const char *rest, arg_fn arg, void *ctx, struct api_answer *a)
{
	struct access_page p = { .limit = EVENTS_DEFAULT };
	uint64_t limit;
	int r;

	(void)rest;
	if (num_arg(arg, ctx, "from", UINT64_MAX / 2, &p.from, a) < 0 ||
	    (r = num_arg(arg, ctx, "limit", EVENTS_MAX, &limit, a)) < 0)
		return -1;
	if (r && limit)
		p.limit = limit;
	return lines_answer(c, a, walk_access, &p);
}

static int put_agent(void *ctx, const struct agent_row *r)
{
	struct counted *c = ctx;

	fputs("{\"key\":\"", c->f);
	hex_put(c->f, r->key, CHAIN_AGENT_KEY);
	fprintf(c->f, "\",\"state\":\"%s\",\"first_seen_unix\":%lld,\"decided_unix\":%lld}\n",
		agent_state_name(r->state), (long long)r->first_seen_unix, (long long)r->decided_unix);
	c->n++;
	return 0;
}

static int walk_agents(struct store *s, struct counted *n, const void *arg)
{
	(void)arg;
	return store_each_agent(s, put_agent, n);
}

/* Every key the store knows: the allow file's (recorded at the collector's
 * start), approved, pending and revoked. */
static int agents(struct collector *c, const char *rest, arg_fn arg, void *ctx, struct api_answer *a)
{
	(void)rest, (void)arg, (void)ctx;
	return lines_answer(c, a, walk_agents, NULL);
}

/* ---- administration ---- */

static int decide(struct collector *c, const char *rest, enum agent_state st, struct api_answer *a)
{
	uint8_t key[CHAIN_AGENT_KEY];
	const char *slash = strchr(rest, '/');
	char hex[2 * CHAIN_AGENT_KEY + 1];
	struct body b;

	if (!slash || (size_t)(slash - rest) != 2 * CHAIN_AGENT_KEY)
		return refuse(a, 400, "/v1/agents/KEY/...: KEY is the agent's 64-hex-digit public key");
	memcpy(hex, rest, 2 * CHAIN_AGENT_KEY);
	hex[2 * CHAIN_AGENT_KEY] = '\0';
	if (hex_decode(hex, key, CHAIN_AGENT_KEY))
		return refuse(a, 400, "/v1/agents/KEY/...: KEY is the agent's 64-hex-digit public key");
	if (store_agent_decide(c->store, key, st))
		return refuse(a, 500, "store: %s", store_error(c->store));
	if (!open_body(&b, a, "application/json"))
		return refuse(a, 500, "out of memory");
	fprintf(b.f, "{\"key\":\"%s\",\"state\":\"%s\"}\n", hex, agent_state_name(st));
	a->returned = 1;
	return close_body(&b, 200);
}

static int agent_action(struct collector *c, const char *rest, arg_fn arg, void *ctx, struct api_answer *a)
{
	const char *action = strchr(rest, '/');

	(void)arg, (void)ctx;
	if (action && !strcmp(action, "/approve"))
		return decide(c, rest, AGENT_APPROVED, a);
	if (action && !strcmp(action, "/revoke"))
		return decide(c, rest, AGENT_REVOKED, a);
	return refuse(a, 404, "POST /v1/agents/KEY/approve or /v1/agents/KEY/revoke");
}

/* The evidence report of a period (report.h), as the command writes it;
 * from/to are Unix seconds (default: the first event, now). */
static int report(struct collector *c, const char *rest, arg_fn arg, void *ctx, struct api_answer *a)
{
	uint64_t from, to;
	uint8_t key[NOTE_PUBKEY];
	struct period *p;
	char err[256];
	struct body b;

	(void)rest;
	if (num_arg(arg, ctx, "from", 1e10, &from, a) < 0 || num_arg(arg, ctx, "to", 1e10, &to, a) < 0)
		return -1;
	if (to && to <= from)
		return refuse(a, 400, "to must be after from");
	if (!(p = malloc(sizeof(*p))))
		return refuse(a, 500, "out of memory");
	if (c->signer)
		note_signer_public(c->signer, key);
	if (period_gather(c->store, from * 1000000000ull, to * 1000000000ull, c->signer ? key : NULL, p, err,
			  sizeof(err))) {
		free(p);
		return refuse(a, 500, "%s", err);
	}
	if (!open_body(&b, a, "text/html; charset=utf-8")) {
		free(p);
		return refuse(a, 500, "out of memory");
	}
	{
		char hex[2 * NOTE_PUBKEY + 1];

		hex_encode(key, NOTE_PUBKEY, hex);
		report_html(b.f, p, "STORE", c->signer ? hex : NULL);
	}
	a->returned = p->events;
	free(p);
	return close_body(&b, 200);
}

/* The console's files (console.h), behind the same roles as the API. */
static int console_file(struct collector *c, const char *rest, arg_fn arg, void *ctx, struct api_answer *a)
{
	struct console_asset file, *f = &file;

	(void)c, (void)arg, (void)ctx;
	if (!console_asset(*rest ? rest : "index.html", f))
		return refuse(a, 404, "no such console file");
	a->type = f->type;
	a->body = malloc(f->len ? f->len : 1);
	if (!a->body)
		return refuse(a, 500, "out of memory");
	memcpy(a->body, f->data, f->len);
	a->len = f->len;
	a->status = 200;
	return 0;
}

static const struct api_route routes[] = {
	{ "GET", "/console", ROLE_AUDITOR | ROLE_ADMIN, console_file },
	{ "GET", "/console/", ROLE_AUDITOR | ROLE_ADMIN, console_file },
	{ "GET", "/v1/report", ROLE_AUDITOR, report },
	{ "GET", "/v1/events", ROLE_AUDITOR, events },
	{ "GET", "/v1/lineage/", ROLE_AUDITOR, lineage },
	{ "GET", "/v1/streams", ROLE_AUDITOR, streams },
	{ "GET", "/v1/checkpoints", ROLE_AUDITOR, checkpoints },
	{ "GET", "/v1/proof", ROLE_AUDITOR, proof },
	{ "GET", "/v1/verify", ROLE_AUDITOR, verification },
	{ "GET", "/v1/access-log", ROLE_AUDITOR | ROLE_ADMIN, access_log },
	{ "GET", "/v1/agents", ROLE_AUDITOR | ROLE_ADMIN, agents },
	{ "POST", "/v1/agents/", ROLE_ADMIN, agent_action },
};

const struct api_route *api_route(const char *method, const char *path)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct api_route *r = &routes[i];
		size_t n = strlen(r->path);
		bool prefix = r->path[n - 1] == '/';

		if (!strcmp(method, r->method) && (prefix ? !strncmp(path, r->path, n) && path[n] : !strcmp(path, r->path)))
			return r;
	}
	return NULL;
}

void api_answer(struct collector *c, const struct api_route *r, const char *path, arg_fn arg, void *ctx,
		struct api_answer *out)
{
	size_t n = strlen(r->path);

	memset(out, 0, sizeof(*out));
	r->answer(c, r->path[n - 1] == '/' ? path + n : "", arg, ctx, out);
	if (!out->status)
		out->status = 500;
}

void api_answer_release(struct api_answer *a)
{
	free(a->body);
	a->body = NULL;
}
