// SPDX-License-Identifier: Apache-2.0
#include "evidence.h"

#include "drift.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "evidence.pb-c.h"
#include "keyfile.h"
#include "spool.h"
#include "tlog.h"

#define STATE_MAGIC "SEALTAP1"
#define EVENT_MAX (64u << 10) /* one serialised event, at most */
#define STATE_FIXED (8 + EVIDENCE_STREAM_ID + 8 + 8 + TLOG_HASH + 1)

typedef Sealtap__Evidence__V1__Event Event;

/* Where the stream stands: enough to append the next event and sign. */
struct stream_state {
	uint8_t id[EVIDENCE_STREAM_ID];
	uint64_t next; /* the next sequence number = the tree size */
	uint64_t untold; /* events dropped before sequencing, no gap event yet */
	uint8_t prev_leaf[TLOG_HASH];
	struct tlog_frontier tree;
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

static uint64_t now_unix_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t now_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- the state a checkpoint record carries ------------------------------
 * magic(8) | stream(16) | size(8) | drops not yet told(8) | prev leaf(32) |
 * n(1) | n hashes | note. The drops ride along so that a restart still tells
 * them in a gap event. */

static size_t state_pack(const struct stream_state *s, const char *note, size_t note_len, uint8_t *out, size_t cap)
{
	size_t need = STATE_FIXED + (size_t)s->tree.n * TLOG_HASH + note_len, k = 0;

	if (need > cap)
		return 0;
	memcpy(out, STATE_MAGIC, 8), k += 8;
	memcpy(out + k, s->id, EVIDENCE_STREAM_ID), k += EVIDENCE_STREAM_ID;
	for (int i = 0; i < 8; i++)
		out[k++] = (uint8_t)(s->next >> (8 * i));
	for (int i = 0; i < 8; i++)
		out[k++] = (uint8_t)(s->untold >> (8 * i));
	memcpy(out + k, s->prev_leaf, TLOG_HASH), k += TLOG_HASH;
	out[k++] = (uint8_t)s->tree.n;
	memcpy(out + k, s->tree.h, (size_t)s->tree.n * TLOG_HASH), k += (size_t)s->tree.n * TLOG_HASH;
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
	size_t k = 8 + EVIDENCE_STREAM_ID;
	uint64_t size = 0;
	int n;

	if (len < STATE_FIXED || memcmp(p, STATE_MAGIC, 8) != 0)
		return false;
	memset(s, 0, sizeof(*s));
	memcpy(s->id, p + 8, EVIDENCE_STREAM_ID);
	for (int i = 0; i < 8; i++)
		size |= (uint64_t)p[k++] << (8 * i);
	for (int i = 0; i < 8; i++)
		s->untold |= (uint64_t)p[k++] << (8 * i);
	memcpy(s->prev_leaf, p + k, TLOG_HASH), k += TLOG_HASH;
	n = p[k++];
	if (n > 64 || len < k + (size_t)n * TLOG_HASH || n != __builtin_popcountll(size))
		return false;
	s->next = size;
	s->tree.size = size;
	s->tree.n = n;
	memcpy(s->tree.h, p + k, (size_t)n * TLOG_HASH);
	return true;
}

/* ---- replay ---- */

static int on_replay(void *ctx, enum spool_type type, uint64_t seq, const uint8_t *data, size_t len)
{
	struct evidence *ev = ctx;
	struct stream_state *r = &ev->replayed;
	Event *e;
	uint8_t leaf[TLOG_HASH];
	bool ok;

	if (ev->replay_broken)
		return 0;
	if (type == SPOOL_CHECKPOINT) {
		struct stream_state s;

		if (!state_unpack(data, len, &s) || s.next != seq ||
		    (ev->have_replayed && memcmp(s.id, r->id, EVIDENCE_STREAM_ID))) {
			ev->replay_broken = true;
			return 0;
		}
		/* A checkpoint states the chain as of its size; an older one
		 * (repeated at a segment's head) adds nothing. */
		if (!ev->have_replayed || s.next >= r->next)
			*r = s;
		ev->have_replayed = true;
		return 0;
	}
	e = sealtap__evidence__v1__event__unpack(NULL, len, data);
	if (!e) {
		ev->replay_broken = true;
		return 0;
	}
	if (!ev->have_replayed && e->seq == 0 && e->stream_id.len == EVIDENCE_STREAM_ID) {
		memset(r, 0, sizeof(*r)); /* a stream replayed from its first event */
		memcpy(r->id, e->stream_id.data, EVIDENCE_STREAM_ID);
		ev->have_replayed = true;
	}
	ok = ev->have_replayed && e->seq == seq && e->stream_id.len == EVIDENCE_STREAM_ID &&
	     memcmp(e->stream_id.data, r->id, EVIDENCE_STREAM_ID) == 0;
	if (ok && seq < r->next) {
		/* Already inside the state a later-read checkpoint gave: nothing to add. */
	} else if (ok && seq == r->next &&
		   (seq == 0 ? e->prev_leaf_hash.len == 0
			     : e->prev_leaf_hash.len == TLOG_HASH &&
				       memcmp(e->prev_leaf_hash.data, r->prev_leaf, TLOG_HASH) == 0)) {
		tlog_leaf_hash(data, len, leaf);
		tlog_frontier_append(&r->tree, leaf);
		memcpy(r->prev_leaf, leaf, TLOG_HASH);
		r->next++;
	} else {
		ev->replay_broken = true;
	}
	sealtap__evidence__v1__event__free_unpacked(e, NULL);
	return 0;
}

/* ---- appending ---- */

static int checkpoint(struct evidence *ev);

/* Gives e the next place in the stream and writes it. */
static int64_t append(struct evidence *ev, Event *e)
{
	static uint8_t buf[EVENT_MAX];
	uint8_t leaf[TLOG_HASH];
	size_t n;
	int r;

	e->schema_version = SEALTAP__EVIDENCE__V1__SCHEMA_VERSION__SCHEMA_VERSION_1;
	e->stream_id = (ProtobufCBinaryData){ EVIDENCE_STREAM_ID, ev->s.id };
	e->seq = ev->s.next;
	e->prev_leaf_hash = (ProtobufCBinaryData){ ev->s.next ? TLOG_HASH : 0, ev->s.prev_leaf };
	e->time_unix_nano = now_unix_ns();
	e->node = ev->node;
	n = sealtap__evidence__v1__event__get_packed_size(e);
	if (n > sizeof(buf)) {
		ev->st.errors++;
		return -1;
	}
	sealtap__evidence__v1__event__pack(e, buf);
	r = spool_append(ev->spool, SPOOL_EVENT, ev->s.next, buf, n);
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
	tlog_leaf_hash(buf, n, leaf);
	tlog_frontier_append(&ev->s.tree, leaf);
	memcpy(ev->s.prev_leaf, leaf, TLOG_HASH);
	ev->st.events++;
	ev->since_checkpoint++;
	if (ev->o.observer)
		ev->o.observer(ev->o.observer_ctx, e, ev->pub);
	if (ev->since_checkpoint >= ev->o.checkpoint_every)
		checkpoint(ev);
	return (int64_t)ev->s.next++;
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
	tlog_frontier_root(&ev->s.tree, root);
	n = checkpoint_body(note, sizeof(note), ev->origin, ev->s.tree.size, root);
	if (n < 0 || (n = note_sign(ev->signer, note, (size_t)n, sizeof(note))) < 0 ||
	    !(len = state_pack(&ev->s, note, (size_t)n, blob, sizeof(blob))) ||
	    spool_append(ev->spool, SPOOL_CHECKPOINT, ev->s.tree.size, blob, len)) {
		ev->st.errors++;
		return -1;
	}
	ev->since_checkpoint = 0;
	ev->checkpoint_time = now_mono_ns();
	ev->checkpointed = ev->s.tree.size;
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
		lc.previous_stream_id = (ProtobufCBinaryData){ EVIDENCE_STREAM_ID, (uint8_t *)previous };
	e.kind_case = SEALTAP__EVIDENCE__V1__EVENT__KIND_LIFECYCLE;
	e.lifecycle = &lc;
	append(ev, &e);
}

struct evidence *evidence_open(const struct evidence_opts *o, char *err, size_t errsz)
{
	struct evidence *ev = calloc(1, sizeof(*ev));
	char path[4200];
	uint8_t seed[CL_KEY_MAX], previous[EVIDENCE_STREAM_ID];
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
		char aside[4300];

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
			memcpy(previous, ev->replayed.id, EVIDENCE_STREAM_ID);
			had_previous = true;
		}
		ev->st.new_stream = ev->have_replayed || ev->replay_broken;
		if (RAND_bytes(ev->s.id, EVIDENCE_STREAM_ID) != 1) {
			snprintf(err, errsz, "no randomness for a stream id");
			goto fail;
		}
		tlog_frontier_init(&ev->s.tree);
	}
	checkpoint_origin(ev->s.id, ev->origin);
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

/* The identity and model fields every event about an exchange carries. */
struct about {
	Sealtap__Evidence__V1__Identity id;
	Sealtap__Evidence__V1__Model m;
};

static void about_exchange(struct about *ab, const struct exchange *x, Event *e)
{
	const struct x_identity *w = &x->who;

	sealtap__evidence__v1__identity__init(&ab->id);
	sealtap__evidence__v1__model__init(&ab->m);
	ab->id.pid = w->pid;
	ab->id.uid = w->uid;
	ab->id.executable = (char *)w->exe;
	ab->id.comm = (char *)w->comm;
	ab->id.container_id = (char *)w->container_id;
	ab->id.pod_uid = (char *)w->pod_uid;
	ab->id.cgroup_id = w->cgroup_id;
	ab->id.peer = (char *)w->peer;
	ab->id.process_is_server = w->process_is_server;
	ab->m.api = (char *)llm_flavor_name(x->flavor);
	ab->m.requested = (char *)x->model_requested;
	ab->m.reported = (char *)x->model_reported;
	ab->m.endpoint = (char *)x->path;
	ab->m.system_fingerprint = (char *)x->system_fingerprint;
	ab->m.exchange_id = x->id;
	e->identity = &ab->id;
	e->model = &ab->m;
}

int64_t evidence_finding(struct evidence *ev, const struct exchange *x, const struct cl_finding *f,
			 const struct evidence_place *where)
{
	Sealtap__Evidence__V1__Finding fd = SEALTAP__EVIDENCE__V1__FINDING__INIT;
	Event e = SEALTAP__EVIDENCE__V1__EVENT__INIT;
	struct about ab;

	report_drops(ev);
	fd.detector = (char *)f->det->id;
	fd.category = (char *)det_category_name(f->det->category);
	fd.severity = (char *)det_severity_name(f->det->severity);
	fd.direction = where->input ? SEALTAP__EVIDENCE__V1__DIRECTION__DIRECTION_INPUT
				    : SEALTAP__EVIDENCE__V1__DIRECTION__DIRECTION_OUTPUT;
	fd.leak = leak_of(where->leak);
	fd.part = (char *)where->part;
	fd.index = where->index;
	fd.role = (char *)(where->role ? where->role : "");
	fd.start = f->start;
	fd.end = f->end;
	fd.masked = (char *)f->masked;
	fd.fingerprint = (ProtobufCBinaryData){ CL_FINGERPRINT_LEN, (uint8_t *)f->fingerprint };
	about_exchange(&ab, x, &e);
	e.kind_case = SEALTAP__EVIDENCE__V1__EVENT__KIND_FINDING;
	e.finding = &fd;
	return append(ev, &e);
}

static char *str(const char *s)
{
	return (char *)(s ? s : "");
}

int64_t evidence_drift(struct evidence *ev, const struct exchange *x, const struct drift_alert *a)
{
	Sealtap__Evidence__V1__Drift dr = SEALTAP__EVIDENCE__V1__DRIFT__INIT;
	Sealtap__Evidence__V1__Span ref = SEALTAP__EVIDENCE__V1__SPAN__INIT, cur = SEALTAP__EVIDENCE__V1__SPAN__INIT;
	Event e = SEALTAP__EVIDENCE__V1__EVENT__INIT;
	struct about ab;

	report_drops(ev);
	dr.key = str(a->key);
	dr.feature = str(a->feature);
	dr.test = str(a->test);
	dr.layer = str(a->layer);
	dr.statistic = a->statistic;
	dr.threshold = a->threshold;
	dr.effect_size = a->effect_size;
	dr.p_value = a->p_value;
	dr.reference_value = a->reference_value;
	dr.current_value = a->current_value;
	dr.fixed_reference_value = a->fixed_reference_value;
	ref.start_unix_nano = a->reference_start_ns;
	ref.end_unix_nano = a->reference_end_ns;
	ref.count = a->reference_count;
	cur.start_unix_nano = a->current_start_ns;
	cur.end_unix_nano = a->current_end_ns;
	cur.count = a->current_count;
	dr.reference = &ref;
	dr.current = &cur;
	dr.n_contributors = (size_t)a->ncontributors;
	dr.contributors = (char **)a->contributors;
	if (x)
		about_exchange(&ab, x, &e);
	e.kind_case = SEALTAP__EVIDENCE__V1__EVENT__KIND_DRIFT;
	e.drift = &dr;
	return append(ev, &e);
}

int64_t evidence_model_change(struct evidence *ev, const struct exchange *x, const struct drift_alert *a)
{
	Sealtap__Evidence__V1__ModelChange mc = SEALTAP__EVIDENCE__V1__MODEL_CHANGE__INIT;
	Event e = SEALTAP__EVIDENCE__V1__EVENT__INIT;
	struct about ab;

	report_drops(ev);
	mc.previous = str(a->previous_model);
	mc.current = str(a->model);
	mc.previous_fingerprint = str(a->previous_fingerprint);
	mc.current_fingerprint = str(a->fingerprint);
	if (x)
		about_exchange(&ab, x, &e);
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

void evidence_tick(struct evidence *ev, uint64_t now_ns)
{
	report_drops(ev);
	if (ev->since_checkpoint && now_ns - ev->checkpoint_time >= ev->o.checkpoint_interval_ns)
		checkpoint(ev);
}

void evidence_stream_id(const struct evidence *ev, uint8_t id[EVIDENCE_STREAM_ID])
{
	memcpy(id, ev->s.id, EVIDENCE_STREAM_ID);
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
