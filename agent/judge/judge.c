// SPDX-License-Identifier: Apache-2.0
#include "judge.h"

#include "tally.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "about.h"
#include "clock.h"
#include "evidence.h"
#include "exchange_json.h"
#include "finding_json.h"
#include "hex.h"
#include "json.h"
#include "leak.h"
#include "routing.h"

#define PROMPT_VALUES 128 /* fingerprints of one exchange's prompt kept for echo */

enum part { PART_MESSAGE, PART_PROMPT_TOOLS, PART_COMPLETION, PART_COMPLETION_TOOLS };

struct judge {
	struct classifier *c;
	struct judge_opts o;
	struct leak_table *leaks;
	struct tally *tally; /* labelled counters for /metrics */
	const struct routing *routing;
	struct judge_stats st;
	struct cl_lazy lazy; /* completions whose last tokens wait to be scanned */
	uint64_t now;        /* the last judge_sync's time: when a waiting tail began, at the latest */
};

/* Where a stream's findings come from. */
struct origin {
	struct judge *j;
	struct exchange *x;
	enum part part;
	int index; /* message or choice */
};

struct judged {
	uint64_t client; /* identity hash, 0: unknown */
	int nprompt;
	uint8_t prompt[PROMPT_VALUES][LEAK_FP_LEN];
	struct cl_stream *out[X_MAX_CHOICES];
	struct origin origin[X_MAX_CHOICES];
};

struct judge *judge_new(struct classifier *c, const struct judge_opts *o)
{
	struct judge *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->c = c;
	j->o = *o;
	j->leaks = leak_table_new(o->leak_slots, o->leak_window_ns);
	j->tally = tally_new();
	if (!j->leaks || !j->tally) {
		judge_free(j);
		return NULL;
	}
	return j;
}

void judge_free(struct judge *j)
{
	if (!j)
		return;
	leak_table_free(j->leaks);
	tally_free(j->tally);
	free(j);
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h;
}

static uint64_t client_identity(const struct x_identity *w)
{
	uint64_t h = 0xcbf29ce484222325ull;
	char peer[sizeof(w->peer)];
	char *colon;

	if (w->process_is_server) {
		if (!w->peer[0])
			return 0;
		memcpy(peer, w->peer, sizeof(peer));
		colon = strrchr(peer, ':'); /* "10.0.0.7:51234", "[fd00::7]:51234": drop the port */
		if (colon)
			*colon = '\0';
		h = fnv1a(fnv1a(h, "peer:"), peer);
	} else if (w->pod_uid[0]) {
		h = fnv1a(fnv1a(h, "pod:"), w->pod_uid);
	} else if (w->container_id[0]) {
		h = fnv1a(fnv1a(h, "container:"), w->container_id);
	} else {
		char uid[16];

		snprintf(uid, sizeof(uid), ":%u", w->uid);
		h = fnv1a(fnv1a(fnv1a(h, "exe:"), w->exe), uid);
	}
	return h ? h : 1;
}

static struct judged *judged_of(struct judge *j, struct exchange *x)
{
	struct judged *jx = x->judged;

	if (jx)
		return jx;
	jx = calloc(1, sizeof(*jx));
	if (!jx) {
		j->st.streams_failed++;
		return NULL;
	}
	jx->client = client_identity(&x->who);
	x->judged = jx;
	return jx;
}

enum { LEAK_ECHO = 1, LEAK_NOVEL = 2, LEAK_CROSS = 3 };

_Static_assert(CL_FINGERPRINT_LEN == EVIDENCE_FINGERPRINT, "the evidence records the classifier's whole fingerprint");

static int leak_label(struct judge *j, const struct judged *jx, const struct cl_finding *f, uint64_t now)
{
	for (int i = 0; i < jx->nprompt; i++)
		if (memcmp(jx->prompt[i], f->fingerprint, LEAK_FP_LEN) == 0) {
			j->st.echo++;
			return LEAK_ECHO;
		}
	if (leak_seen_elsewhere(j->leaks, f->fingerprint, jx->client, now)) {
		j->st.cross_identity++;
		return LEAK_CROSS;
	}
	j->st.novel++;
	return LEAK_NOVEL;
}

/* ,"evidence":{"stream":..,"seq":..}: where the signed copy is (null when
 * it was dropped, counted, or not written). */
static void put_evidence_ref(const struct judge *j, FILE *out, int64_t seq)
{
	uint8_t id[CHAIN_STREAM_ID];

	if (!j->o.ev)
		return;
	evidence_stream_id(j->o.ev, id);
	fputs(",\"evidence\":", out);
	if (seq >= 0) {
		fputs("{\"stream\":\"", out);
		hex_put(out, id, CHAIN_STREAM_ID);
		fprintf(out, "\",\"seq\":%" PRId64 "}", seq);
	} else {
		fputs("null", out);
	}
}

static void put_str(FILE *out, const char *key, const char *s)
{
	fprintf(out, ",\"%s\":", key);
	if (s && *s)
		json_put_string(out, s, strlen(s));
	else
		fputs("null", out);
}

/* The rules of the routing policy the finding breaks: each one a signed
 * policy_violation event (pointing at the finding's), a JSON line and a
 * counter. */
static void check_routing(struct judge *j, const struct exchange *x, const struct cl_finding *f, bool input,
			  int64_t finding_seq)
{
	struct route_breach broken[ROUTING_MAX_RULES]; /* every rule may break: none is left out */
	const char *provider;
	size_t n;
	FILE *out = j->o.out;
	const struct route_dest d = {
		.api = llm_flavor_name(x->flavor),
		.model_requested = x->model_requested,
		.model_reported = x->model_reported,
		.host = x->host,
		.exe = x->who.exe,
		.comm = x->who.comm,
		.pod_uid = x->who.pod_uid,
		.container_id = x->who.container_id,
		.process_is_server = x->who.process_is_server,
	};

	if (!routing_rules(j->routing))
		return; /* no policy: nothing to match each finding's host against */
	provider = routing_provider(x->host);
	n = routing_check(j->routing, &d, f->det, input, broken, sizeof(broken) / sizeof(broken[0]));

	for (size_t i = 0; i < n; i++) {
		int64_t seq = -1;

		j->st.policy_violations++;
		tally_violation(j->tally, broken[i].rule, f->det, input, provider);
		if (j->o.ev) {
			struct evidence_about ab;

			about_exchange(x, &ab);
			seq = evidence_policy_violation(j->o.ev, &ab,
							&(struct evidence_policy_violation){
								.rule = broken[i].rule,
								.reason = broken[i].reason,
								.provider = provider,
								.detector = f->det->id,
								.category = det_category_name(f->det->category),
								.severity = det_severity_name(f->det->severity),
								.input = input,
								.masked = f->masked,
								.fingerprint = f->fingerprint,
								.finding_seq = finding_seq,
							});
		}
		fprintf(out, "{\"type\":\"policy_violation\",\"time_ns\":%" PRIu64 ",\"rule\":", clock_mono_ns());
		json_put_string(out, broken[i].rule, strlen(broken[i].rule));
		put_str(out, "reason", broken[i].reason);
		fprintf(out, ",\"exchange_id\":%" PRIu64 ",\"api\":\"%s\"", x->id, llm_flavor_name(x->flavor));
		put_str(out, "host", x->host);
		put_str(out, "provider", provider);
		put_str(out, "path", x->path);
		put_str(out, "model_requested", x->model_requested);
		put_str(out, "model_reported", x->model_reported);
		fprintf(out, ",\"direction\":\"%s\",", input ? "input" : "output");
		finding_put_fields(out, f);
		exchange_write_identity(out, &x->who);
		put_evidence_ref(j, out, seq);
		fputs("}\n", out);
		fflush(out);
	}
}

static void on_finding(void *ctx, const struct cl_finding *f)
{
	static const char *const parts[] = { "message", "tool_arguments", "completion", "tool_arguments" };
	static const char *const labels[] = { NULL, "echo", "novel", "cross_identity" };
	static const int ranks[] = { 1, 2, 3, 4 }; /* input, echo, novel, cross_identity */
	const struct origin *o = ctx;
	struct judge *j = o->j;
	struct exchange *x = o->x;
	struct judged *jx = x->judged;
	bool input = o->part == PART_MESSAGE || o->part == PART_PROMPT_TOOLS;
	uint64_t now = clock_mono_ns();
	int leak = 0;
	int64_t seq = -1;
	FILE *out = j->o.out;

	if (!input)
		x->output_categories |= 1u << f->det->category;
	if (input) {
		j->st.findings_input++;
		if (jx->nprompt < PROMPT_VALUES)
			memcpy(jx->prompt[jx->nprompt++], f->fingerprint, LEAK_FP_LEN);
		else
			j->st.prompt_values_dropped++;
		leak_remember(j->leaks, f->fingerprint, jx->client, now);
	} else {
		j->st.findings_output++;
		leak = leak_label(j, jx, f, now);
	}
	tally_finding(j->tally, f->det, input, leak);
	if (j->o.ev) {
		struct evidence_about ab;

		about_exchange(x, &ab);
		seq = evidence_finding(j->o.ev, &ab,
				       &(struct evidence_finding){
					       .detector = f->det->id,
					       .category = det_category_name(f->det->category),
					       .severity = det_severity_name(f->det->severity),
					       .input = input,
					       .leak = leak,
					       .part = parts[o->part],
					       .index = o->index,
					       .role = o->part == PART_MESSAGE ? x->messages[o->index].role : NULL,
					       .start = f->start,
					       .end = f->end,
					       .masked = f->masked,
					       .fingerprint = f->fingerprint,
				       });
	}
	fprintf(out, "{\"type\":\"finding\",\"time_ns\":%" PRIu64 ",\"exchange_id\":%" PRIu64 ",\"api\":\"%s\"",
		now, x->id, llm_flavor_name(x->flavor));
	put_str(out, "path", x->path);
	put_str(out, "model_requested", x->model_requested);
	put_str(out, "model_reported", x->model_reported);
	fprintf(out, ",\"direction\":\"%s\",\"part\":\"%s\"", input ? "input" : "output", parts[o->part]);
	if (o->part == PART_MESSAGE) {
		fprintf(out, ",\"message\":%d", o->index);
		put_str(out, "role", x->messages[o->index].role);
	} else if (!input) {
		fprintf(out, ",\"choice\":%d", o->index);
	}
	if (labels[leak])
		fprintf(out, ",\"leak\":\"%s\"", labels[leak]);
	fprintf(out, ",\"rank\":%d,", ranks[leak]);
	finding_put_fields(out, f);
	exchange_write_identity(out, &x->who);
	put_evidence_ref(j, out, seq);
	fputs("}\n", out);
	fflush(out);
	check_routing(j, x, f, input, seq);
}

/* A whole text through its own stream. */
static void scan_text(struct judge *j, struct exchange *x, enum part part, int index, const struct xbuf *b)
{
	struct origin o = { j, x, part, index };
	struct cl_stream *s;

	if (!b->len)
		return;
	s = cl_open(j->c, on_finding, &o);
	if (!s) {
		j->st.streams_failed++;
		return;
	}
	cl_feed(s, b->p, b->len);
	cl_close(s);
}

void judge_request(struct judge *j, struct exchange *x)
{
	if (!judged_of(j, x))
		return;
	for (int i = 0; i < x->nmessages; i++)
		scan_text(j, x, PART_MESSAGE, i, &x->messages[i].text);
	scan_text(j, x, PART_PROMPT_TOOLS, -1, &x->tool_args_in);
}

void judge_delta(struct judge *j, struct exchange *x, int choice, const char *text, size_t len)
{
	struct judged *jx = judged_of(j, x);

	if (!jx || choice < 0 || choice >= X_MAX_CHOICES)
		return;
	if (!jx->out[choice]) {
		jx->origin[choice] = (struct origin){ j, x, PART_COMPLETION, choice };
		jx->out[choice] = cl_open(j->c, on_finding, &jx->origin[choice]);
		if (!jx->out[choice]) {
			j->st.streams_failed++;
			return;
		}
	}
	cl_feed_lazy(jx->out[choice], text, len, &j->lazy, j->now);
}

void judge_sync(struct judge *j, uint64_t now)
{
	j->now = now;
	cl_lazy_sync(&j->lazy, now > JUDGE_LAZY_NS ? now - JUDGE_LAZY_NS : 0);
}

void judge_done(struct judge *j, struct exchange *x)
{
	struct judged *jx = x->judged;

	tally_exchange(j->tally, llm_flavor_name(x->flavor), x->model_reported[0] ? x->model_reported
										     : x->model_requested);
	if (!jx)
		return;
	for (int i = 0; i < X_MAX_CHOICES; i++) {
		cl_close(jx->out[i]); /* raises what waited for the end of the text */
		jx->out[i] = NULL;
		if (x->choices[i].used)
			scan_text(j, x, PART_COMPLETION_TOOLS, i, &x->choices[i].tool_args);
	}
	free(jx);
	x->judged = NULL;
}

void judge_write_prometheus(const struct judge *j, FILE *out)
{
	tally_write_prometheus(j->tally, out);
}

void judge_set_classifier(struct judge *j, struct classifier *c)
{
	j->c = c;
}

void judge_set_routing(struct judge *j, const struct routing *r)
{
	j->routing = r;
}

void judge_write_stats(const struct judge *j, FILE *out)
{
	const struct cl_stats *c = classifier_stats(j->c);
	const struct leak_stats *l = leak_table_stats(j->leaks);

	fprintf(out,
		",\"classify\":{\"bytes\":%" PRIu64 ",\"scans\":%" PRIu64 ",\"gated_bytes\":%" PRIu64 ",\"matches\":%" PRIu64
		",\"findings\":%" PRIu64 ",\"findings_input\":%" PRIu64 ",\"findings_output\":%" PRIu64 ",\"echo\":%" PRIu64
		",\"novel\":%" PRIu64 ",\"cross_identity\":%" PRIu64 ",\"rejected_shape\":%" PRIu64
		",\"rejected_validator\":%" PRIu64 ",\"rejected_filter\":%" PRIu64 ",\"rejected_context\":%" PRIu64
		",\"test_values\":%" PRIu64
		",\"overlaps\":%" PRIu64 ",\"queue_full\":%" PRIu64 ",\"prompt_values_dropped\":%" PRIu64
		",\"streams_failed\":%" PRIu64 ",\"leak_remembered\":%" PRIu64 ",\"leak_evicted\":%" PRIu64 "}",
		c->bytes, c->scans, c->gated_bytes, c->matches, c->findings, j->st.findings_input, j->st.findings_output,
		j->st.echo, j->st.novel, j->st.cross_identity, c->rejected_shape, c->rejected_validator, c->rejected_filter,
		c->rejected_context, c->test_values, c->overlaps, c->queue_full, j->st.prompt_values_dropped, j->st.streams_failed,
		l->remembered, l->evicted);
	fprintf(out, ",\"routing\":{\"rules\":%zu,\"violations\":%" PRIu64 "}", routing_rules(j->routing),
		j->st.policy_violations);
}
