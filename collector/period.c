// SPDX-License-Identifier: Apache-2.0
#include "period.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event_json.h"
#include "evidence.pb-c.h"
#include "hex.h"
#include "verify.h"

typedef Sealtap__Evidence__V1__Event Event;

static const char *const category_names[] = { "pii", "financial", "health", "secret", "other" };
static const char *const leak_names[] = { "input", "echo", "novel", "cross_identity" };

const char *period_category_name(int c)
{
	return c >= 0 && c < PERIOD_CATEGORIES ? category_names[c] : "other";
}

const char *period_leak_name(int l)
{
	return l >= 0 && l < PERIOD_LEAKS ? leak_names[l] : "?";
}

static void table_add(struct period_table *t, const char *name, uint64_t n)
{
	if (!name || !*name)
		name = "(none)";
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->row[i].name, name)) {
			t->row[i].n += n;
			return;
		}
	if (t->n == PERIOD_NAMES) {
		t->other += n;
		return;
	}
	snprintf(t->row[t->n].name, sizeof(t->row[0].name), "%s", name);
	t->row[t->n++].n = n;
}

static int by_count(const void *a, const void *b)
{
	const struct period_count *x = a, *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->name, y->name);
}

static int by_stream(const void *a, const void *b)
{
	return memcmp(((const struct period_stream *)a)->id, ((const struct period_stream *)b)->id, CHAIN_STREAM_ID);
}

struct gather {
	struct period *p;
	struct store *s;
	const uint8_t *collector_key;
	int agent_of[PERIOD_STREAMS]; /* the agent row of each listed stream (-1: none yet) */
	uint64_t span_ns;
	int failed;
};

static int on_stream(void *ctx, const struct stream_row *r)
{
	struct period *p = ctx;

	if (p->nstreams == PERIOD_STREAMS) {
		p->streams_unlisted++;
		return 0;
	}
	memcpy(p->stream[p->nstreams].id, r->chain.id, CHAIN_STREAM_ID);
	memcpy(p->stream[p->nstreams].agent_key, r->agent_key, CHAIN_AGENT_KEY);
	p->stream[p->nstreams++].events = r->chain.tree.size;
	return 0;
}

struct checkpoints {
	struct period_stream *st;
	const uint8_t *collector_key;
};

static int on_checkpoint(void *ctx, uint64_t size, const uint8_t *note, size_t len)
{
	struct checkpoints *c = ctx;
	struct chain_checkpoint cp;

	c->st->checkpoints++;
	if (size > c->st->last_checkpoint)
		c->st->last_checkpoint = size;
	if (chain_checkpoint_check((const char *)note, len, c->st->id, c->st->agent_key, &cp) == CHAIN_CHECKPOINT_OK &&
	    cp.size == size)
		c->st->signed_ok++;
	if (c->collector_key && chain_checkpoint_cosigned((const char *)note, len, c->st->id, c->collector_key, &cp) ==
					CHAIN_CHECKPOINT_OK)
		c->st->cosigned_ok++;
	return 0;
}

static struct period_agent *agent_for(struct gather *g, const Event *e)
{
	struct period *p = g->p;
	struct period_stream key, *st;
	size_t i;
	int *slot;

	if (e->stream_id.len != CHAIN_STREAM_ID)
		return NULL;
	memcpy(key.id, e->stream_id.data, CHAIN_STREAM_ID);
	st = bsearch(&key, p->stream, p->nstreams, sizeof(p->stream[0]), by_stream);
	if (!st)
		return NULL; /* a stream past the listed ones: counted in streams_unlisted */
	slot = &g->agent_of[st - p->stream];
	if (*slot >= 0)
		return &p->agent[*slot];
	for (i = 0; i < p->nagents; i++)
		if (!memcmp(p->agent[i].key, st->agent_key, CHAIN_AGENT_KEY))
			break;
	if (i == p->nagents) {
		if (p->nagents == PERIOD_AGENTS) {
			p->agents_untabled++;
			return NULL;
		}
		memcpy(p->agent[p->nagents++].key, st->agent_key, CHAIN_AGENT_KEY);
	}
	*slot = (int)i;
	return &p->agent[i];
}

static int category_of(const char *c)
{
	for (int i = 0; i < PCAT_OTHER; i++)
		if (!strcmp(c, category_names[i]))
			return i;
	return PCAT_OTHER;
}

static const char *model_of(const Event *e)
{
	if (!e->model)
		return "";
	return *e->model->reported ? e->model->reported : e->model->requested;
}

static struct period_item *list_add(struct period_list *l, const Event *e, uint64_t seq)
{
	struct period_item *it;

	if (l->n == PERIOD_LIST) {
		l->more++;
		return NULL;
	}
	it = &l->item[l->n++];
	it->time_ns = e->time_unix_nano;
	it->seq = seq;
	if (e->stream_id.len == CHAIN_STREAM_ID)
		memcpy(it->stream, e->stream_id.data, CHAIN_STREAM_ID);
	snprintf(it->node, sizeof(it->node), "%s", e->node);
	snprintf(it->model, sizeof(it->model), "%s", model_of(e));
	return it;
}

static void note_coverage(struct period_agent *a, const Event *e)
{
	const Sealtap__Evidence__V1__Coverage *cv = e->coverage;

	if (e->time_unix_nano < a->coverage_ns)
		return;
	a->coverage_ns = e->time_unix_nano;
	a->processes_listed = (uint32_t)cv->n_processes;
	a->processes_omitted = cv->processes_omitted;
	a->nunwatched = 0;
	a->unwatched_more = 0;
	for (size_t i = 0; i < cv->n_processes; i++)
		for (size_t k = 0; k < cv->processes[i]->n_stacks; k++) {
			const Sealtap__Evidence__V1__StackCoverage *sc = cv->processes[i]->stacks[k];
			struct period_unwatched *u;

			if (!strcmp(sc->state, "watched"))
				continue;
			if (a->nunwatched == PERIOD_UNWATCHED) {
				a->unwatched_more++;
				continue;
			}
			u = &a->unwatched[a->nunwatched++];
			u->pid = cv->processes[i]->pid;
			snprintf(u->comm, sizeof(u->comm), "%s", cv->processes[i]->comm);
			snprintf(u->stack, sizeof(u->stack), "%s", sc->stack);
			snprintf(u->state, sizeof(u->state), "%s", sc->state);
			snprintf(u->reason, sizeof(u->reason), "%s", sc->reason);
		}
}

static void note_finding(struct gather *g, const Event *e)
{
	struct period *p = g->p;
	const Sealtap__Evidence__V1__Finding *f = e->finding;
	int leak = f->direction == SEALTAP__EVIDENCE__V1__DIRECTION__DIRECTION_INPUT ? PERIOD_INPUT
		   : f->leak == SEALTAP__EVIDENCE__V1__LEAK__LEAK_ECHO		    ? PERIOD_ECHO
		   : f->leak == SEALTAP__EVIDENCE__V1__LEAK__LEAK_CROSS_IDENTITY    ? PERIOD_CROSS
										    : PERIOD_NOVEL;
	int cat = category_of(f->category);
	uint64_t t = e->time_unix_nano;
	size_t b = 0;

	p->findings++;
	p->by_leak[leak]++;
	p->by_category[cat][leak]++;
	table_add(&p->detectors, f->detector, 1);
	table_add(&p->models, model_of(e), 1);
	table_add(&p->severities, f->severity, 1);
	if (e->model) {
		char ep[sizeof(p->endpoints.row[0].name)];

		snprintf(ep, sizeof(ep), "%s %s", e->model->host, e->model->endpoint);
		table_add(&p->endpoints, ep, 1);
	}
	if (t >= p->since_ns && g->span_ns)
		b = (size_t)((t - p->since_ns) / ((g->span_ns + PERIOD_BUCKETS - 1) / PERIOD_BUCKETS));
	if (b >= PERIOD_BUCKETS)
		b = PERIOD_BUCKETS - 1;
	p->timeline[b][cat]++;
	p->leak_timeline[b][leak]++;
}

static void note_event(struct gather *g, const Event *e, uint64_t seq)
{
	struct period *p = g->p;
	struct period_agent *a = agent_for(g, e);
	struct period_item *it;

	p->events++;
	table_add(&p->kinds, event_kind_name(e), 1);
	if (a) {
		a->events++;
		if (!a->first_ns || e->time_unix_nano < a->first_ns)
			a->first_ns = e->time_unix_nano;
		if (e->time_unix_nano > a->last_ns)
			a->last_ns = e->time_unix_nano;
		if (*e->node)
			snprintf(a->node, sizeof(a->node), "%s", e->node);
	}
	switch (e->kind_case) {
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_FINDING:
		note_finding(g, e);
		break;
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_HEARTBEAT:
		if (a) {
			a->heartbeats++;
			a->exchanges += e->heartbeat->exchanges;
			a->bytes_captured += e->heartbeat->bytes_captured;
			if (e->time_unix_nano > a->last_heartbeat_ns)
				a->last_heartbeat_ns = e->time_unix_nano;
		}
		break;
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_LIFECYCLE:
		if (a && e->lifecycle->phase == SEALTAP__EVIDENCE__V1__AGENT_LIFECYCLE__PHASE__PHASE_START) {
			a->starts++;
			snprintf(a->version, sizeof(a->version), "%s", e->lifecycle->version);
		} else if (a && e->lifecycle->phase == SEALTAP__EVIDENCE__V1__AGENT_LIFECYCLE__PHASE__PHASE_STOP) {
			a->stops++;
		}
		break;
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_CAPTURE_LOSS:
		for (size_t i = 0; a && i < e->capture_loss->n_counts; i++)
			table_add(&a->losses, e->capture_loss->counts[i]->key, e->capture_loss->counts[i]->value);
		break;
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_GAP:
		if (a)
			a->gap_dropped += e->gap->dropped;
		break;
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_COVERAGE:
		if (a)
			note_coverage(a, e);
		break;
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_POLICY_VIOLATION: {
		const Sealtap__Evidence__V1__PolicyViolation *v = e->policy_violation;

		p->violations++;
		table_add(&p->rules, v->rule, 1);
		table_add(&p->providers, *v->provider ? v->provider : "(internal)", 1);
		if ((it = list_add(&p->violation_list, e, seq))) {
			snprintf(it->what, sizeof(it->what), "%s", v->rule);
			snprintf(it->detail, sizeof(it->detail), "%s: %s \"%s\" %s %s", v->reason, v->detector, v->masked,
				 v->direction == SEALTAP__EVIDENCE__V1__DIRECTION__DIRECTION_INPUT ? "sent to" : "from",
				 *v->provider ? v->provider : (e->model && *e->model->host ? e->model->host : "a model"));
		}
		break;
	}
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_DRIFT:
		p->drift_alerts++;
		if ((it = list_add(&p->drift_list, e, seq))) {
			snprintf(it->what, sizeof(it->what), "%s: %s", e->drift->layer, e->drift->feature);
			snprintf(it->detail, sizeof(it->detail), "%s; %s %.4g past %.4g", e->drift->key, e->drift->test,
				 e->drift->statistic, e->drift->threshold);
		}
		break;
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_MODEL_CHANGE:
		if ((it = list_add(&p->model_changes, e, seq))) {
			snprintf(it->what, sizeof(it->what), "%s -> %s", e->model_change->previous,
				 e->model_change->current);
			snprintf(it->detail, sizeof(it->detail), "fingerprint %s -> %s",
				 *e->model_change->previous_fingerprint ? e->model_change->previous_fingerprint : "-",
				 *e->model_change->current_fingerprint ? e->model_change->current_fingerprint : "-");
		}
		break;
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_PROMPT_CHANGE: {
		const Sealtap__Evidence__V1__PromptChange *pc = e->prompt_change;

		if ((it = list_add(&p->prompt_changes, e, seq))) {
			snprintf(it->what, sizeof(it->what), "%s", pc->key);
			snprintf(it->detail, sizeof(it->detail),
				 "%s%s%s; instructions %" PRIu64 " -> %" PRIu64 " bytes, tools %" PRIu64 " -> %" PRIu64
				 " bytes; %u prompts known",
				 pc->instructions_changed ? "system prompt changed" : "",
				 pc->instructions_changed && pc->tools_changed ? ", " : "",
				 pc->tools_changed ? "tools changed" : "", pc->previous_instructions_length,
				 pc->instructions_length, pc->previous_tools_length, pc->tools_length, pc->known_prompts);
		}
		break;
	}
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_POLICY_CHANGE:
		if ((it = list_add(&p->policy_changes, e, seq))) {
			char hex[65] = "";

			if (e->policy_change->config_digest.len == 32)
				hex_encode(e->policy_change->config_digest.data, 32, hex);
			snprintf(it->what, sizeof(it->what), "configuration %s", hex);
		}
		break;
	default:
		break;
	}
}

static int on_event(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	struct gather *g = ctx;
	Event *e = sealtap__evidence__v1__event__unpack(NULL, len, bytes);

	if (!e) { /* verify names it; the report counts it */
		table_add(&g->p->kinds, "(undecodable)", 1);
		return 0;
	}
	note_event(g, e, seq);
	sealtap__evidence__v1__event__free_unpacked(e, NULL);
	return 0;
}

static int first_time(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	Event *e = sealtap__evidence__v1__event__unpack(NULL, len, bytes);

	(void)seq;
	if (e) {
		*(uint64_t *)ctx = e->time_unix_nano;
		sealtap__evidence__v1__event__free_unpacked(e, NULL);
	}
	return 1; /* one is enough */
}

/* verify's words, kept (the first bytes) for the report. */
static int verify_into(struct store *s, struct period *p)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -1;
	p->problems = verify_store(s, NULL, f, &p->verified_streams, &p->verified_events);
	if (p->problems >= 0)
		p->access_problems = verify_access_log(s, f, &p->access_entries);
	fclose(f);
	snprintf(p->problem_text, sizeof(p->problem_text), "%s", text ? text : "");
	free(text);
	return p->problems < 0 || p->access_problems < 0 ? -1 : 0;
}

int period_gather(struct store *s, uint64_t since_ns, uint64_t until_ns, const uint8_t *collector_key,
		  struct period *p, char *err, size_t errsz)
{
	struct gather *g = calloc(1, sizeof(*g));
	struct timespec now;

	if (!g)
		return snprintf(err, errsz, "out of memory"), -1;
	memset(p, 0, sizeof(*p));
	clock_gettime(CLOCK_REALTIME, &now);
	p->generated_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	p->until_ns = until_ns ? until_ns : p->generated_ns;
	p->since_ns = since_ns;
	if (!since_ns && store_query(s, &(struct store_query){ .limit = 1 }, first_time, &p->since_ns) < 0)
		goto store_failed;
	p->cosignatures_checked = collector_key != NULL;
	if (store_each_stream(s, on_stream, p))
		goto store_failed;
	qsort(p->stream, p->nstreams, sizeof(p->stream[0]), by_stream);
	for (size_t i = 0; i < p->nstreams; i++) {
		struct checkpoints c = { &p->stream[i], collector_key };

		g->agent_of[i] = -1;
		if (store_each_checkpoint(s, p->stream[i].id, on_checkpoint, &c))
			goto store_failed;
	}
	g->p = p;
	g->s = s;
	g->span_ns = p->until_ns > p->since_ns ? p->until_ns - p->since_ns : 0;
	if (store_query(s, &(struct store_query){ .since_ns = p->since_ns, .until_ns = p->until_ns }, on_event, g))
		goto store_failed;
	if (verify_into(s, p)) {
		snprintf(err, errsz, "verifying the store: %s", store_error(s));
		free(g);
		return -1;
	}
	qsort(p->detectors.row, p->detectors.n, sizeof(p->detectors.row[0]), by_count);
	qsort(p->models.row, p->models.n, sizeof(p->models.row[0]), by_count);
	qsort(p->endpoints.row, p->endpoints.n, sizeof(p->endpoints.row[0]), by_count);
	qsort(p->rules.row, p->rules.n, sizeof(p->rules.row[0]), by_count);
	qsort(p->providers.row, p->providers.n, sizeof(p->providers.row[0]), by_count);
	qsort(p->kinds.row, p->kinds.n, sizeof(p->kinds.row[0]), by_count);
	free(g);
	return 0;
store_failed:
	snprintf(err, errsz, "reading the store: %s", store_error(s));
	free(g);
	return -1;
}
