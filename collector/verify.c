// SPDX-License-Identifier: Apache-2.0
#include "verify.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.pb-c.h"
#include "hex.h"
#include "chain.h"
#include "note.h"

struct cp {
	uint64_t size;
	char *note;
	size_t len;
};

struct walk {
	FILE *out;
	const struct stream_row *row;
	char idhex[33];
	struct chain chain; /* the events read so far, as a writer would have chained them */
	struct cp *cps;
	size_t ncps, cap, next_cp;
	int problems;
	bool stop; /* the first problem of a stream names it; what follows is not judged */
	uint64_t verified_cp; /* the size of the last checkpoint that matched (0: none) */
	/* A problem whose record the next event pins: a checkpoint that does not
	 * match (PEND_ROOT, size pend_at), or event pend_at not chaining to the
	 * one before (PEND_LINK). pend_leaf: the stored event's leaf the next
	 * event should link to, if that one is intact. */
	enum { PEND_NONE, PEND_ROOT, PEND_LINK } pend;
	uint64_t pend_at;
	uint8_t pend_leaf[TLOG_HASH];
};

static void problem(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	w->problems++;
	w->stop = true;
	fprintf(w->out, "stream %s: ", w->idhex);
	va_start(ap, fmt);
	vfprintf(w->out, fmt, ap);
	va_end(ap);
	fputc('\n', w->out);
}

/* Checks every checkpoint whose size the tree has now reached. */
static void check_checkpoints(struct walk *w)
{
	uint64_t size = w->chain.tree.size;

	while (!w->stop && w->next_cp < w->ncps && w->cps[w->next_cp].size <= size) {
		struct cp *c = &w->cps[w->next_cp++];
		struct chain_checkpoint cp;

		if (chain_checkpoint_check(c->note, c->len, w->row->chain.id, w->row->agent_key, &cp) !=
			    CHAIN_CHECKPOINT_OK ||
		    cp.size != c->size) {
			problem(w, "checkpoint at size %llu: not a checkpoint of this stream signed by its agent key",
				(unsigned long long)c->size);
			return;
		}
		if (cp.size != size)
			continue; /* reached only when events are missing: reported there */
		if (chain_checkpoint_matches(&w->chain, &cp)) {
			w->verified_cp = size;
		} else if (size - 1 == w->verified_cp) {
			problem(w, "event %llu: altered (the checkpoint at size %llu does not match, the one before it does)",
				(unsigned long long)size - 1, (unsigned long long)size);
		} else { /* the next event's link says whether the last one is it */
			w->stop = true;
			w->pend = PEND_ROOT;
			w->pend_at = size;
			memcpy(w->pend_leaf, w->chain.prev_leaf, TLOG_HASH);
		}
	}
}

/* The pending problem, judged by the next event's link to the stored one
 * before it (next NULL: there is none). */
static void settle(struct walk *w, const Sealtap__Evidence__V1__Event *next)
{
	bool links = next && next->prev_leaf_hash.len == TLOG_HASH &&
		     !memcmp(next->prev_leaf_hash.data, w->pend_leaf, TLOG_HASH);
	unsigned long long at = w->pend_at;

	if (w->pend == PEND_ROOT && next && !links)
		problem(w, "event %llu: altered (the checkpoint at size %llu does not match, and event %llu chains to "
			   "another event %llu than the one stored)",
			at - 1, at, at, at - 1);
	else if (w->pend == PEND_ROOT)
		problem(w, "checkpoint at size %llu: its root is not the root of the stored events (one of events "
			   "%llu..%llu altered, each chained to the one before)",
			at, (unsigned long long)w->verified_cp, at - 1);
	else if (w->pend == PEND_LINK && next && links)
		problem(w, "event %llu: altered (event %llu does not chain to it; event %llu chains to event %llu)", at - 1,
			at, at + 1, at);
	else if (w->pend == PEND_LINK && next)
		problem(w, "event %llu: altered (it chains to event %llu as stored, but event %llu does not chain to it)",
			at, at - 1, at + 1);
	else if (w->pend == PEND_LINK)
		problem(w, "event %llu: does not chain to event %llu (one of the two altered)", at, at - 1);
	w->pend = PEND_NONE;
}

static int on_event(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	struct walk *w = ctx;
	Sealtap__Evidence__V1__Event *e;
	enum chain_verdict v;

	if (w->pend) {
		e = sealtap__evidence__v1__event__unpack(NULL, len, bytes);
		settle(w, e && seq == w->pend_at + (w->pend == PEND_LINK) ? e : NULL);
		if (e)
			sealtap__evidence__v1__event__free_unpacked(e, NULL);
	}
	if (w->stop)
		return 0;
	if (seq != w->chain.tree.size) {
		problem(w, "event %llu missing (the next stored is %llu)", (unsigned long long)w->chain.tree.size,
			(unsigned long long)seq);
		return 0;
	}
	v = chain_step(&w->chain, bytes, len, &e);
	if (v == CHAIN_NOT_AN_EVENT)
		problem(w, "event %llu: not an Event (altered)", (unsigned long long)seq);
	else if (v == CHAIN_OTHER_STREAM || v == CHAIN_WRONG_SEQ)
		problem(w, "event %llu: holds sequence number %llu of %s stream (moved or altered)",
			(unsigned long long)seq, (unsigned long long)e->seq, v == CHAIN_WRONG_SEQ ? "this" : "another");
	else if (v == CHAIN_BROKEN_LINK && w->verified_cp == seq)
		problem(w, "event %llu: altered (it does not chain to event %llu, which a checkpoint verified)",
			(unsigned long long)seq, (unsigned long long)seq - 1);
	else if (v == CHAIN_BROKEN_LINK) { /* the next event's link says which of the two it is */
		w->stop = true;
		w->pend = PEND_LINK;
		w->pend_at = seq;
		tlog_leaf_hash(bytes, len, w->pend_leaf);
	}
	if (e)
		sealtap__evidence__v1__event__free_unpacked(e, NULL);
	if (v == CHAIN_NEXT)
		check_checkpoints(w);
	return 0;
}

static int on_checkpoint(void *ctx, uint64_t size, const uint8_t *note, size_t len)
{
	struct walk *w = ctx;

	if (w->ncps == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct cp *g = realloc(w->cps, cap * sizeof(*g));

		if (!g)
			return -1;
		w->cps = g;
		w->cap = cap;
	}
	w->cps[w->ncps].note = malloc(len ? len : 1);
	if (!w->cps[w->ncps].note)
		return -1;
	memcpy(w->cps[w->ncps].note, note, len);
	w->cps[w->ncps].len = len;
	w->cps[w->ncps++].size = size;
	return 0;
}

struct all {
	struct store *s;
	const uint8_t *only;
	FILE *out;
	int problems;
	uint64_t streams, events;
};

static int on_stream(void *ctx, const struct stream_row *row)
{
	struct all *a = ctx;
	struct walk w = { .out = a->out, .row = row };
	const uint8_t *id = row->chain.id;
	uint8_t ours[TLOG_HASH], theirs[TLOG_HASH];
	uint64_t read;

	if (a->only && memcmp(a->only, id, CHAIN_STREAM_ID))
		return 0;
	hex_encode(id, CHAIN_STREAM_ID, w.idhex);
	chain_init(&w.chain, id);
	if (store_each_checkpoint(a->s, id, on_checkpoint, &w) || store_each_event(a->s, id, on_event, &w)) {
		fprintf(a->out, "stream %s: cannot read the store: %s\n", w.idhex, store_error(a->s));
		w.problems++;
	}
	if (w.pend)
		settle(&w, NULL);
	read = w.chain.tree.size;
	if (!w.stop && read != row->chain.tree.size)
		problem(&w, "%llu events stored, the stream says %llu (events %llu.. missing: truncated?)",
			(unsigned long long)read, (unsigned long long)row->chain.tree.size, (unsigned long long)read);
	if (!w.stop && w.next_cp < w.ncps)
		problem(&w, "checkpoint at size %llu covers events not stored", (unsigned long long)w.cps[w.next_cp].size);
	if (!w.stop) {
		chain_root(&w.chain, ours);
		chain_root(&row->chain, theirs);
		if (memcmp(ours, theirs, TLOG_HASH))
			problem(&w, "the stream's stored frontier is not the tree of its events");
	}
	a->streams++;
	a->events += read;
	a->problems += w.problems;
	for (size_t i = 0; i < w.ncps; i++)
		free(w.cps[i].note);
	free(w.cps);
	return 0;
}

int verify_store(struct store *s, const uint8_t *only_stream, FILE *out, uint64_t *streams, uint64_t *events)
{
	struct all a = { .s = s, .only = only_stream, .out = out };

	if (store_each_stream(s, on_stream, &a)) {
		fprintf(out, "cannot read the store: %s\n", store_error(s));
		return -1;
	}
	*streams = a.streams;
	*events = a.events;
	return a.problems;
}

struct access_walk {
	FILE *out;
	uint64_t n;
	uint8_t prev[32];
	int problems;
};

static int access_entry(void *ctx, const struct access_row *r)
{
	struct access_walk *w = ctx;
	uint8_t h[32];
	const char *why = NULL;

	store_access_hash(r, h);
	if (r->n != w->n + 1)
		why = r->n <= w->n ? "a number out of order (an entry moved or copied)" : "entries before it are missing";
	else if (memcmp(r->prev, w->prev, 32))
		why = "it does not chain to the entry before (one of the two altered)";
	else if (memcmp(r->hash, h, 32))
		why = "its hash is not the hash of its fields (altered)";
	if (why) {
		fprintf(w->out, "access log entry %llu: %s\n", (unsigned long long)r->n, why);
		w->problems++;
		return 1; /* what follows is not judged */
	}
	w->n = r->n;
	memcpy(w->prev, r->hash, 32);
	return 0;
}

int verify_access_log(struct store *s, FILE *out, uint64_t *entries)
{
	struct access_walk w = { .out = out };
	int r = store_each_access(s, access_entry, &w);

	*entries = w.n;
	if (r < 0) {
		fprintf(out, "access log: %s\n", store_error(s));
		return -1;
	}
	return w.problems;
}
