// SPDX-License-Identifier: Apache-2.0
#include "evidence.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "chain.h"
#include "clock.h"
#include "evidence.pb-c.h"
#include "keyfile.h"
#include "paths.h"
#include "spool.h"

#define STATE_MAGIC "SEALTAP1"
#define EVENT_MAX (64u << 10) /* one serialised event, at most */
#define STATE_FIXED (8 + CHAIN_STREAM_ID + 8 + 8 + TLOG_HASH + 1)

typedef Sealtap__Evidence__V1__Event Event;

/* Where the stream stands: enough to append the next event and sign. */
struct stream_state {
	struct chain c;  /* c.tree.size: the next sequence number */
	uint64_t untold; /* events dropped before sequencing, no gap event yet */
};

struct evidence {
	struct evidence_opts o;
	struct spool *spool;
	struct note_signer *signer;
	uint8_t pub[NOTE_PUBKEY];
	char key_name[NOTE_NAME_MAX];
	char origin[NOTE_ORIGIN_MAX];
	char node[256]; /* copied: the caller's string may not outlive the call */
	struct stream_state s;
	unsigned since_checkpoint;
	uint64_t checkpoint_time;
	uint64_t checkpointed; /* the tree size of the newest checkpoint */
	struct evidence_stats st;
	bool finished; /* the stop is recorded */
	/* Replay on open. */
	struct stream_state replayed;
	bool have_replayed, replay_broken;
};

/* ---- the state a checkpoint record carries ------------------------------
 * magic(8) | stream(16) | size(8) | drops not yet told(8) | prev leaf(32) |
 * n(1) | n hashes | note. The drops ride along so that a restart still tells
 * them in a gap event. */

static size_t state_pack(const struct stream_state *s, const char *note, size_t note_len, uint8_t *out, size_t cap)
{
	const struct tlog_frontier *t = &s->c.tree;
	size_t need = STATE_FIXED + (size_t)t->n * TLOG_HASH + note_len, k = 0;

	if (need > cap)
		return 0;
	memcpy(out, STATE_MAGIC, 8), k += 8;
	memcpy(out + k, s->c.id, CHAIN_STREAM_ID), k += CHAIN_STREAM_ID;
	for (int i = 0; i < 8; i++)
		out[k++] = (uint8_t)(t->size >> (8 * i));
	for (int i = 0; i < 8; i++)
		out[k++] = (uint8_t)(s->untold >> (8 * i));
	memcpy(out + k, s->c.prev_leaf, TLOG_HASH), k += TLOG_HASH;
	out[k++] = (uint8_t)t->n;
	memcpy(out + k, t->h, (size_t)t->n * TLOG_HASH), k += (size_t)t->n * TLOG_HASH;
	memcpy(out + k, note, note_len);
	return need;
}

const uint8_t *evidence_checkpoint_note(const uint8_t *rec, size_t len, size_t *note_len)
{
	size_t n;

	if (len <= STATE_FIXED || memcmp(rec, STATE_MAGIC, 8) != 0)
		return NULL;
	n = STATE_FIXED + (size_t)rec[STATE_FIXED - 1] * TLOG_HASH;
	if (n >= len)
		return NULL;
	*note_len = len - n;
	return rec + n;
}

static bool state_unpack(const uint8_t *p, size_t len, struct stream_state *s)
{
	size_t k = 8 + CHAIN_STREAM_ID;
	uint64_t size = 0;
	int n;

	if (len < STATE_FIXED || memcmp(p, STATE_MAGIC, 8) != 0)
		return false;
	memset(s, 0, sizeof(*s));
	chain_init(&s->c, p + 8);
	for (int i = 0; i < 8; i++)
		size |= (uint64_t)p[k++] << (8 * i);
	for (int i = 0; i < 8; i++)
		s->untold |= (uint64_t)p[k++] << (8 * i);
	memcpy(s->c.prev_leaf, p + k, TLOG_HASH), k += TLOG_HASH;
	n = p[k++];
	if (n > 64 || len < k + (size_t)n * TLOG_HASH || n != __builtin_popcountll(size))
		return false;
	s->c.tree.size = size;
	s->c.tree.n = n;
	memcpy(s->c.tree.h, p + k, (size_t)n * TLOG_HASH);
	return true;
}

/* ---- replay ---- */

static int on_replay(void *ctx, enum spool_type type, uint64_t seq, const uint8_t *data, size_t len)
{
	struct evidence *ev = ctx;
	struct stream_state *r = &ev->replayed;
	Event *e;

	if (ev->replay_broken)
		return 0;
	if (type == SPOOL_CHECKPOINT) {
		struct stream_state s;

		if (!state_unpack(data, len, &s) || s.c.tree.size != seq ||
		    (ev->have_replayed && memcmp(s.c.id, r->c.id, CHAIN_STREAM_ID))) {
			ev->replay_broken = true;
			return 0;
		}
		/* A checkpoint states the chain as of its size; an older one
		 * (repeated at a segment's head) adds nothing. */
		if (!ev->have_replayed || s.c.tree.size >= r->c.tree.size)
			*r = s;
		ev->have_replayed = true;
		return 0;
	}
	e = sealtap__evidence__v1__event__unpack(NULL, len, data);
	if (!e) {
		ev->replay_broken = true;
		return 0;
	}
	if (!ev->have_replayed && e->seq == 0 && e->stream_id.len == CHAIN_STREAM_ID) {
		memset(r, 0, sizeof(*r)); /* a stream replayed from its first event */
		chain_init(&r->c, e->stream_id.data);
		ev->have_replayed = true;
	}
	if (!ev->have_replayed || e->seq != seq)
		ev->replay_broken = true;
	else if (seq < r->c.tree.size && chain_claims(e, r->c.id, seq) == CHAIN_NEXT)
		; /* already inside the state a later-read checkpoint gave: nothing to add */
	else if (chain_check(&r->c, e) == CHAIN_NEXT)
		chain_append(&r->c, data, len);
	else
		ev->replay_broken = true;
	sealtap__evidence__v1__event__free_unpacked(e, NULL);
	return 0;
}

/* ---- appending ---- */

static int checkpoint(struct evidence *ev);

/* Gives e the next place in the stream and writes it. */
static int64_t append(struct evidence *ev, Event *e)
{
	static uint8_t buf[EVENT_MAX];
	uint64_t seq = ev->s.c.tree.size;
	size_t n;
	int r;

	e->schema_version = SEALTAP__EVIDENCE__V1__SCHEMA_VERSION__SCHEMA_VERSION_1;
	chain_link(&ev->s.c, e);
	e->time_unix_nano = clock_wall_ns();
	e->node = ev->node;
	n = sealtap__evidence__v1__event__get_packed_size(e);
	if (n > sizeof(buf)) {
		ev->st.errors++;
		return -1;
	}
	sealtap__evidence__v1__event__pack(e, buf);
	r = spool_append(ev->spool, SPOOL_EVENT, seq, buf, n);
	if (r == -ENOSPC) {
		if (e->kind_case != SEALTAP__EVIDENCE__V1__EVENT__KIND_GAP) { /* a gap event retries, uncounted */
			ev->s.untold++;
			ev->st.dropped++;
			ev->since_checkpoint++; /* the next checkpoint (within a second) keeps the count */
		}
		return -1;
	}
	if (r) {
		ev->st.errors++;
		return -1;
	}
	chain_append(&ev->s.c, buf, n);
	ev->st.events++;
	ev->since_checkpoint++;
	if (ev->o.observer)
		ev->o.observer(ev->o.observer_ctx, e, ev->pub);
	if (ev->since_checkpoint >= ev->o.checkpoint_every)
		checkpoint(ev);
	return (int64_t)seq;
}

/* Reports drops as soon as the spool takes an event again. */
static void report_drops(struct evidence *ev)
{
	Sealtap__Evidence__V1__Gap gap = SEALTAP__EVIDENCE__V1__GAP__INIT;
	Event e = SEALTAP__EVIDENCE__V1__EVENT__INIT;
	uint64_t n = ev->s.untold;

	if (!n)
		return;
	gap.dropped = n;
	e.kind_case = SEALTAP__EVIDENCE__V1__EVENT__KIND_GAP;
	e.gap = &gap;
	ev->s.untold = 0;
	if (append(ev, &e) >= 0)
		ev->st.gap_events++;
	else
		ev->s.untold = n; /* still no room: told later, by this run or the next */
}

static int checkpoint(struct evidence *ev)
{
	static uint8_t blob[NOTE_MAX + STATE_FIXED + 64 * TLOG_HASH];
	char note[NOTE_MAX];
	uint8_t root[TLOG_HASH];
	size_t len;
	int n;

	/* Durable first: a signed checkpoint may be shipped, and must never
	 * cover an event a crash could take back. */
	if (spool_sync(ev->spool)) {
		ev->st.errors++;
		return -1;
	}
	chain_root(&ev->s.c, root);
	n = checkpoint_body(note, sizeof(note), ev->origin, ev->s.c.tree.size, root);
	if (n < 0 || (n = note_sign(ev->signer, note, (size_t)n, sizeof(note))) < 0 ||
	    !(len = state_pack(&ev->s, note, (size_t)n, blob, sizeof(blob))) ||
	    spool_append(ev->spool, SPOOL_CHECKPOINT, ev->s.c.tree.size, blob, len)) {
		ev->st.errors++;
		return -1;
	}
	ev->since_checkpoint = 0;
	ev->checkpoint_time = clock_mono_ns();
	ev->checkpointed = ev->s.c.tree.size;
	ev->st.checkpoints++;
	return 0;
}

static void lifecycle(struct evidence *ev, bool start, const uint8_t *previous)
{
	Sealtap__Evidence__V1__AgentLifecycle lc = SEALTAP__EVIDENCE__V1__AGENT_LIFECYCLE__INIT;
	Event e = SEALTAP__EVIDENCE__V1__EVENT__INIT;
	struct utsname u;

	lc.phase = start ? SEALTAP__EVIDENCE__V1__AGENT_LIFECYCLE__PHASE__PHASE_START
			 : SEALTAP__EVIDENCE__V1__AGENT_LIFECYCLE__PHASE__PHASE_STOP;
	lc.version = (char *)(ev->o.version ? ev->o.version : "");
	lc.kernel = (char *)(uname(&u) == 0 ? u.release : "");
	if (ev->o.config_digest)
		lc.config_digest = (ProtobufCBinaryData){ 32, (uint8_t *)ev->o.config_digest };
	if (previous)
		lc.previous_stream_id = (ProtobufCBinaryData){ CHAIN_STREAM_ID, (uint8_t *)previous };
	e.kind_case = SEALTAP__EVIDENCE__V1__EVENT__KIND_LIFECYCLE;
	e.lifecycle = &lc;
	append(ev, &e);
}

struct evidence *evidence_open(const struct evidence_opts *o, char *err, size_t errsz)
{
	struct evidence *ev = calloc(1, sizeof(*ev));
	char path[PATH_BUF];
	uint8_t seed[NOTE_SEED], id[CHAIN_STREAM_ID], previous[CHAIN_STREAM_ID];
	bool had_previous = false;
	int n;

	if (!ev) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	ev->o = *o;
	snprintf(ev->node, sizeof(ev->node), "%s", o->node ? o->node : "");
	ev->o.node = ev->node;
	if (!ev->o.checkpoint_every)
		ev->o.checkpoint_every = 256;
	if (!ev->o.checkpoint_interval_ns)
		ev->o.checkpoint_interval_ns = 1000000000ull;
	if (mkdir(o->state_dir, 0700) && errno != EEXIST) {
		snprintf(err, errsz, "%s: cannot create: %s", o->state_dir, strerror(errno));
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/agent.key", o->state_dir);
	n = keyfile_load(path, true, seed, sizeof(seed), err, errsz);
	if (n < 0)
		goto fail;
	{
		struct note_signer *probe = note_signer_new("k", seed); /* the public key names the signer */

		if (!probe) {
			snprintf(err, errsz, "%s: not usable as an Ed25519 key", path);
			OPENSSL_cleanse(seed, sizeof(seed));
			goto fail;
		}
		note_signer_public(probe, ev->pub);
		note_signer_free(probe);
		note_key_name("agent", ev->pub, ev->key_name);
		ev->signer = note_signer_new(ev->key_name, seed);
		OPENSSL_cleanse(seed, sizeof(seed));
		if (!ev->signer) {
			snprintf(err, errsz, "%s: not usable as an Ed25519 key", path);
			goto fail;
		}
	}
	snprintf(path, sizeof(path), "%s/spool", o->state_dir);
	ev->spool = spool_open(path, o->spool_max_bytes, on_replay, ev, err, errsz);
	if (!ev->spool) {
		/* Damaged: keep it for inspection, start a fresh spool and stream. */
		char aside[PATH_BUF + 32];

		snprintf(aside, sizeof(aside), "%s.damaged-%llu", path, (unsigned long long)time(NULL));
		fprintf(stderr, "sealtap-agent: evidence spool: %s; moved to %s, a new stream begins\n", err, aside);
		if (rename(path, aside)) {
			snprintf(err, errsz, "%s: cannot move the damaged spool aside: %s", path, strerror(errno));
			goto fail;
		}
		ev->replay_broken = true;
		ev->spool = spool_open(path, o->spool_max_bytes, NULL, NULL, err, errsz);
		if (!ev->spool)
			goto fail;
	}
	if (ev->have_replayed && !ev->replay_broken) {
		ev->s = ev->replayed;
		ev->st.resumed = true;
	} else {
		if (ev->have_replayed) {
			memcpy(previous, ev->replayed.c.id, CHAIN_STREAM_ID);
			had_previous = true;
		}
		ev->st.new_stream = ev->have_replayed || ev->replay_broken;
		if (RAND_bytes(id, CHAIN_STREAM_ID) != 1) {
			snprintf(err, errsz, "no randomness for a stream id");
			goto fail;
		}
		memset(&ev->s, 0, sizeof(ev->s));
		chain_init(&ev->s.c, id);
	}
	checkpoint_origin(ev->s.c.id, ev->origin);
	lifecycle(ev, true, had_previous ? previous : NULL);
	if (checkpoint(ev)) {
		snprintf(err, errsz, "%s: cannot write the first checkpoint", path);
		goto fail;
	}
	return ev;
fail:
	evidence_close(ev);
	return NULL;
}

void evidence_finish(struct evidence *ev)
{
	if (!ev || ev->finished || !ev->spool || !ev->signer)
		return;
	report_drops(ev);
	lifecycle(ev, false, NULL);
	checkpoint(ev);
	ev->finished = true;
}

void evidence_close(struct evidence *ev)
{
	if (!ev)
		return;
	evidence_finish(ev);
	spool_close(ev->spool);
	note_signer_free(ev->signer);
	free(ev);
}

static Sealtap__Evidence__V1__Leak leak_of(int leak)
{
	switch (leak) {
	case 1: return SEALTAP__EVIDENCE__V1__LEAK__LEAK_ECHO;
	case 2: return SEALTAP__EVIDENCE__V1__LEAK__LEAK_NOVEL;
	case 3: return SEALTAP__EVIDENCE__V1__LEAK__LEAK_CROSS_IDENTITY;
	}
	return SEALTAP__EVIDENCE__V1__LEAK__LEAK_UNSPECIFIED;
}

static char *str(const char *s)
{
	return (char *)(s ? s : "");
}

/* The identity and model fields every event about an exchange carries. */
struct about {
	Sealtap__Evidence__V1__Identity id;
	Sealtap__Evidence__V1__Model m;
};

static void about_fill(struct about *out, const struct evidence_about *ab, Event *e)
{
	sealtap__evidence__v1__identity__init(&out->id);
	sealtap__evidence__v1__model__init(&out->m);
	out->id.pid = ab->pid;
	out->id.uid = ab->uid;
	out->id.executable = str(ab->executable);
	out->id.comm = str(ab->comm);
	out->id.container_id = str(ab->container_id);
	out->id.pod_uid = str(ab->pod_uid);
	out->id.cgroup_id = ab->cgroup_id;
	out->id.peer = str(ab->peer);
	out->id.process_is_server = ab->process_is_server;
	out->id.connection_id = ab->connection_id;
	out->id.capture_source = str(ab->capture_source);
	out->m.api = str(ab->api);
	out->m.requested = str(ab->model_requested);
	out->m.reported = str(ab->model_reported);
	out->m.endpoint = str(ab->endpoint);
	out->m.system_fingerprint = str(ab->system_fingerprint);
	out->m.exchange_id = ab->exchange_id;
	out->m.host = str(ab->host);
	e->identity = &out->id;
	e->model = &out->m;
}

int64_t evidence_finding(struct evidence *ev, const struct evidence_about *ab, const struct evidence_finding *f)
{
	Sealtap__Evidence__V1__Finding fd = SEALTAP__EVIDENCE__V1__FINDING__INIT;
	Event e = SEALTAP__EVIDENCE__V1__EVENT__INIT;
	struct about a;

	report_drops(ev);
	fd.detector = str(f->detector);
	fd.category = str(f->category);
	fd.severity = str(f->severity);
	fd.direction = f->input ? SEALTAP__EVIDENCE__V1__DIRECTION__DIRECTION_INPUT
				: SEALTAP__EVIDENCE__V1__DIRECTION__DIRECTION_OUTPUT;
	fd.leak = leak_of(f->leak);
	fd.part = str(f->part);
	fd.index = f->index;
	fd.role = str(f->role);
	fd.start = f->start;
	fd.end = f->end;
	fd.masked = str(f->masked);
	fd.fingerprint = (ProtobufCBinaryData){ EVIDENCE_FINGERPRINT, (uint8_t *)f->fingerprint };
	about_fill(&a, ab, &e);
	e.kind_case = SEALTAP__EVIDENCE__V1__EVENT__KIND_FINDING;
	e.finding = &fd;
	return append(ev, &e);
}

int64_t evidence_policy_violation(struct evidence *ev, const struct evidence_about *ab,
				  const struct evidence_policy_violation *v)
{
	Sealtap__Evidence__V1__PolicyViolation pv = SEALTAP__EVIDENCE__V1__POLICY_VIOLATION__INIT;
	Event e = SEALTAP__EVIDENCE__V1__EVENT__INIT;
	struct about a;

	report_drops(ev);
	pv.rule = str(v->rule);
	pv.reason = str(v->reason);
	pv.direction = v->input ? SEALTAP__EVIDENCE__V1__DIRECTION__DIRECTION_INPUT
				: SEALTAP__EVIDENCE__V1__DIRECTION__DIRECTION_OUTPUT;
	pv.detector = str(v->detector);
	pv.category = str(v->category);
	pv.severity = str(v->severity);
	pv.masked = str(v->masked);
	pv.fingerprint = (ProtobufCBinaryData){ EVIDENCE_FINGERPRINT, (uint8_t *)v->fingerprint };
	pv.provider = str(v->provider);
	pv.finding_seq = v->finding_seq > 0 ? (uint64_t)v->finding_seq : 0;
	about_fill(&a, ab, &e);
	e.kind_case = SEALTAP__EVIDENCE__V1__EVENT__KIND_POLICY_VIOLATION;
	e.policy_violation = &pv;
	return append(ev, &e);
}

int64_t evidence_prompt_change(struct evidence *ev, const struct evidence_about *ab,
			       const struct evidence_prompt_change *p)
{
	Sealtap__Evidence__V1__PromptChange pc = SEALTAP__EVIDENCE__V1__PROMPT_CHANGE__INIT;
	Event e = SEALTAP__EVIDENCE__V1__EVENT__INIT;
	struct about a;

	report_drops(ev);
	pc.key = str(p->key);
	pc.previous_digest = (ProtobufCBinaryData){ 32, (uint8_t *)p->previous_digest };
	pc.digest = (ProtobufCBinaryData){ 32, (uint8_t *)p->digest };
	pc.instructions_changed = p->instructions_changed;
	pc.tools_changed = p->tools_changed;
	pc.previous_instructions_length = p->previous_instructions_length;
	pc.previous_tools_length = p->previous_tools_length;
	pc.instructions_length = p->instructions_length;
	pc.tools_length = p->tools_length;
	pc.previous_first_seen_unix_nano = p->previous_first_seen_ns;
	pc.previous_exchanges = p->previous_exchanges;
	pc.known_prompts = p->known_prompts;
	about_fill(&a, ab, &e);
	e.kind_case = SEALTAP__EVIDENCE__V1__EVENT__KIND_PROMPT_CHANGE;
	e.prompt_change = &pc;
	return append(ev, &e);
}

int64_t evidence_drift(struct evidence *ev, const struct evidence_about *ab, const struct evidence_drift *d)
{
	Sealtap__Evidence__V1__Drift dr = SEALTAP__EVIDENCE__V1__DRIFT__INIT;
	Sealtap__Evidence__V1__Span ref = SEALTAP__EVIDENCE__V1__SPAN__INIT, cur = SEALTAP__EVIDENCE__V1__SPAN__INIT;
	Event e = SEALTAP__EVIDENCE__V1__EVENT__INIT;
	struct about a;

	report_drops(ev);
	dr.key = str(d->key);
	dr.feature = str(d->feature);
	dr.test = str(d->test);
	dr.layer = str(d->layer);
	dr.statistic = d->statistic;
	dr.threshold = d->threshold;
	dr.effect_size = d->effect_size;
	dr.p_value = d->p_value;
	dr.reference_value = d->reference_value;
	dr.current_value = d->current_value;
	dr.fixed_reference_value = d->fixed_reference_value;
	ref.start_unix_nano = d->reference.start_ns;
	ref.end_unix_nano = d->reference.end_ns;
	ref.count = d->reference.count;
	cur.start_unix_nano = d->current.start_ns;
	cur.end_unix_nano = d->current.end_ns;
	cur.count = d->current.count;
	dr.reference = &ref;
	dr.current = &cur;
	dr.n_contributors = d->ncontributors;
	dr.contributors = (char **)d->contributors;
	if (ab)
		about_fill(&a, ab, &e);
	e.kind_case = SEALTAP__EVIDENCE__V1__EVENT__KIND_DRIFT;
	e.drift = &dr;
	return append(ev, &e);
}

int64_t evidence_model_change(struct evidence *ev, const struct evidence_about *ab,
			      const struct evidence_model_change *m)
{
	Sealtap__Evidence__V1__ModelChange mc = SEALTAP__EVIDENCE__V1__MODEL_CHANGE__INIT;
	Event e = SEALTAP__EVIDENCE__V1__EVENT__INIT;
	struct about a;

	report_drops(ev);
	mc.previous = str(m->previous);
	mc.current = str(m->current);
	mc.previous_fingerprint = str(m->previous_fingerprint);
	mc.current_fingerprint = str(m->current_fingerprint);
	if (ab)
		about_fill(&a, ab, &e);
	e.kind_case = SEALTAP__EVIDENCE__V1__EVENT__KIND_MODEL_CHANGE;
	e.model_change = &mc;
	return append(ev, &e);
}

int64_t evidence_policy_change(struct evidence *ev, const uint8_t digest[32])
{
	Sealtap__Evidence__V1__PolicyChange pc = SEALTAP__EVIDENCE__V1__POLICY_CHANGE__INIT;
	Event e = SEALTAP__EVIDENCE__V1__EVENT__INIT;

	report_drops(ev);
	pc.config_digest = (ProtobufCBinaryData){ 32, (uint8_t *)digest };
	e.kind_case = SEALTAP__EVIDENCE__V1__EVENT__KIND_POLICY_CHANGE;
	e.policy_change = &pc;
	return append(ev, &e);
}

int64_t evidence_capture_loss(struct evidence *ev, const char *const *reasons, const uint64_t *counts, size_t n)
{
	Sealtap__Evidence__V1__CaptureLoss cl = SEALTAP__EVIDENCE__V1__CAPTURE_LOSS__INIT;
	Sealtap__Evidence__V1__CaptureLoss__CountsEntry entries[32], *ptrs[32];
	Event e = SEALTAP__EVIDENCE__V1__EVENT__INIT;

	for (size_t i = 0; i < n && cl.n_counts < 32; i++) {
		if (!counts[i])
			continue;
		sealtap__evidence__v1__capture_loss__counts_entry__init(&entries[cl.n_counts]);
		entries[cl.n_counts].key = (char *)reasons[i];
		entries[cl.n_counts].value = counts[i];
		ptrs[cl.n_counts] = &entries[cl.n_counts];
		cl.n_counts++;
	}
	if (!cl.n_counts)
		return -1;
	cl.counts = ptrs;
	report_drops(ev);
	e.kind_case = SEALTAP__EVIDENCE__V1__EVENT__KIND_CAPTURE_LOSS;
	e.capture_loss = &cl;
	return append(ev, &e);
}

int64_t evidence_heartbeat(struct evidence *ev, const struct evidence_heartbeat *hb)
{
	Sealtap__Evidence__V1__Heartbeat h = SEALTAP__EVIDENCE__V1__HEARTBEAT__INIT;
	Event e = SEALTAP__EVIDENCE__V1__EVENT__INIT;

	h.exchanges = hb->exchanges;
	h.bytes_captured = hb->bytes_captured;
	h.processes_watched = hb->processes_watched;
	h.interval_ms = hb->interval_ms;
	report_drops(ev);
	e.kind_case = SEALTAP__EVIDENCE__V1__EVENT__KIND_HEARTBEAT;
	e.heartbeat = &h;
	return append(ev, &e);
}

int evidence_coverage(struct evidence *ev, const struct coverage_account *acc, uint8_t last[32])
{
	Sealtap__Evidence__V1__Coverage cv = SEALTAP__EVIDENCE__V1__COVERAGE__INIT;
	Event e = SEALTAP__EVIDENCE__V1__EVENT__INIT;
	Sealtap__Evidence__V1__ProcessCoverage *procs = calloc(acc->nprocs ? acc->nprocs : 1, sizeof(*procs));
	Sealtap__Evidence__V1__ProcessCoverage **pp = calloc(acc->nprocs ? acc->nprocs : 1, sizeof(*pp));
	size_t nstacks = 0, k = 0, len;
	Sealtap__Evidence__V1__StackCoverage *stacks, **sp;
	uint8_t digest[32], *packed = NULL;
	int rc = -1;

	for (size_t i = 0; i < acc->nprocs; i++)
		nstacks += acc->procs[i].nstacks;
	stacks = calloc(nstacks ? nstacks : 1, sizeof(*stacks));
	sp = calloc(nstacks ? nstacks : 1, sizeof(*sp));
	if (!procs || !pp || !stacks || !sp)
		goto out;
	for (size_t i = 0; i < acc->nprocs; i++) {
		const struct coverage_process *p = &acc->procs[i];

		sealtap__evidence__v1__process_coverage__init(&procs[i]);
		procs[i].pid = p->pid;
		procs[i].comm = (char *)p->comm;
		procs[i].model_serving = p->model_serving;
		procs[i].stacks = &sp[k];
		for (size_t j = 0; j < p->nstacks; j++, k++) {
			sealtap__evidence__v1__stack_coverage__init(&stacks[k]);
			stacks[k].stack = (char *)str(p->stacks[j].stack);
			stacks[k].state = (char *)str(p->stacks[j].state);
			stacks[k].reason = (char *)str(p->stacks[j].reason);
			stacks[k].file = (char *)str(p->stacks[j].file);
			sp[k] = &stacks[k];
		}
		procs[i].n_stacks = p->nstacks;
		pp[i] = &procs[i];
	}
	cv.processes = pp;
	cv.n_processes = acc->nprocs;
	cv.processes_omitted = acc->omitted;
	/* The account's own encoding decides "changed": the event around it
	 * carries a time and a sequence number that always differ. */
	len = sealtap__evidence__v1__coverage__get_packed_size(&cv);
	if (!(packed = malloc(len ? len : 1)))
		goto out;
	sealtap__evidence__v1__coverage__pack(&cv, packed);
	if (!EVP_Digest(packed, len, digest, NULL, EVP_sha256(), NULL))
		goto out;
	if (!memcmp(digest, last, sizeof(digest))) {
		rc = 0;
		goto out;
	}
	report_drops(ev);
	e.kind_case = SEALTAP__EVIDENCE__V1__EVENT__KIND_COVERAGE;
	e.coverage = &cv;
	if (append(ev, &e) >= 0) {
		memcpy(last, digest, sizeof(digest));
		rc = 1;
	}
out:
	free(packed);
	free(stacks);
	free(sp);
	free(procs);
	free(pp);
	return rc;
}

void evidence_tick(struct evidence *ev, uint64_t now_ns)
{
	report_drops(ev);
	if (ev->since_checkpoint && now_ns - ev->checkpoint_time >= ev->o.checkpoint_interval_ns)
		checkpoint(ev);
}

void evidence_stream_id(const struct evidence *ev, uint8_t id[CHAIN_STREAM_ID])
{
	memcpy(id, ev->s.c.id, CHAIN_STREAM_ID);
}

void evidence_public_key(const struct evidence *ev, uint8_t pub[NOTE_PUBKEY])
{
	memcpy(pub, ev->pub, NOTE_PUBKEY);
}

const char *evidence_key_name(const struct evidence *ev)
{
	return ev->key_name;
}

uint64_t evidence_checkpointed(const struct evidence *ev)
{
	return ev->checkpointed;
}

const struct evidence_stats *evidence_stats(const struct evidence *ev)
{
	return &ev->st;
}

struct spool *evidence_spool(struct evidence *ev)
{
	return ev->spool;
}

void evidence_write_stats(const struct evidence *ev, FILE *out)
{
	const struct evidence_stats *e = &ev->st;
	const struct spool_stats *sp = spool_stats(ev->spool);

	fprintf(out,
		",\"evidence\":{\"events\":%" PRIu64 ",\"checkpoints\":%" PRIu64 ",\"dropped\":%" PRIu64
		",\"gap_events\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"resumed\":%s,\"new_stream\":%s"
		",\"spool_bytes\":%" PRIu64 ",\"spool_segments\":%" PRIu64 ",\"spool_torn_bytes\":%" PRIu64 "}",
		e->events, e->checkpoints, e->dropped, e->gap_events, e->errors, e->resumed ? "true" : "false",
		e->new_stream ? "true" : "false", sp->bytes, sp->segments, sp->torn_tail_bytes);
}
