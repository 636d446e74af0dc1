// SPDX-License-Identifier: Apache-2.0
#include "verify.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.pb-c.h"
#include "hex.h"
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
	uint64_t expect;
	uint8_t prev[TLOG_HASH];
	struct tlog_frontier tree;
	struct cp *cps;
	size_t ncps, cap, next_cp;
	int problems;
	bool stop; /* the first problem of a stream names it; what follows is not judged */
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
	char name[NOTE_NAME_MAX], origin[128], want[NOTE_ORIGIN_MAX];
	uint8_t root[TLOG_HASH], ours[TLOG_HASH];
	uint64_t size;
	size_t body;

	note_key_name("agent", w->row->agent_key, name);
	checkpoint_origin(w->row->id, want);
	while (!w->stop && w->next_cp < w->ncps && w->cps[w->next_cp].size <= w->tree.size) {
		struct cp *c = &w->cps[w->next_cp++];

		if (!note_verify(c->note, c->len, name, w->row->agent_key, &body) ||
		    !checkpoint_parse(c->note, body, origin, sizeof(origin), &size, root) || strcmp(origin, want) ||
		    size != c->size) {
			problem(w, "checkpoint at size %llu: not a checkpoint of this stream signed by its agent key",
				(unsigned long long)c->size);
			return;
		}
		if (size != w->tree.size)
			continue; /* reached only when events are missing: reported there */
		tlog_frontier_root(&w->tree, ours);
		if (memcmp(ours, root, TLOG_HASH) != 0)
			problem(w, "checkpoint at size %llu: its root is not the root of the stored events (one of "
				   "events 0..%llu altered)",
				(unsigned long long)size, (unsigned long long)size - 1);
	}
}

static int on_event(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	struct walk *w = ctx;
	Sealtap__Evidence__V1__Event *e;
	uint8_t leaf[TLOG_HASH];

	if (w->stop)
		return 0;
	if (seq != w->expect) {
		problem(w, "event %llu missing (the next stored is %llu)", (unsigned long long)w->expect,
			(unsigned long long)seq);
		return 0;
	}
	e = sealtap__evidence__v1__event__unpack(NULL, len, bytes);
	if (!e) {
		problem(w, "event %llu: not an Event (altered)", (unsigned long long)seq);
		return 0;
	}
	if (e->seq != seq || e->stream_id.len != STREAM_ID || memcmp(e->stream_id.data, w->row->id, STREAM_ID))
		problem(w, "event %llu: holds sequence number %llu of %s stream (moved or altered)",
			(unsigned long long)seq, (unsigned long long)e->seq,
			e->stream_id.len == STREAM_ID && !memcmp(e->stream_id.data, w->row->id, STREAM_ID) ? "this"
													   : "another");
	else if (seq == 0 ? e->prev_leaf_hash.len != 0
			  : e->prev_leaf_hash.len != TLOG_HASH || memcmp(e->prev_leaf_hash.data, w->prev, TLOG_HASH))
		problem(w, "event %llu: does not chain to event %llu (one of the two altered)", (unsigned long long)seq,
			(unsigned long long)seq - 1);
	sealtap__evidence__v1__event__free_unpacked(e, NULL);
	if (w->stop)
		return 0;
	tlog_leaf_hash(bytes, len, leaf);
	tlog_frontier_append(&w->tree, leaf);
	memcpy(w->prev, leaf, TLOG_HASH);
	w->expect++;
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
	uint8_t ours[TLOG_HASH], theirs[TLOG_HASH];

	if (a->only && memcmp(a->only, row->id, STREAM_ID))
		return 0;
	hex_encode(row->id, STREAM_ID, w.idhex);
	tlog_frontier_init(&w.tree);
	if (store_each_checkpoint(a->s, row->id, on_checkpoint, &w) || store_each_event(a->s, row->id, on_event, &w)) {
		fprintf(a->out, "stream %s: cannot read the store: %s\n", w.idhex, store_error(a->s));
		w.problems++;
	}
	if (!w.stop && w.expect != row->size)
		problem(&w, "%llu events stored, the stream says %llu (events %llu.. missing: truncated?)",
			(unsigned long long)w.expect, (unsigned long long)row->size, (unsigned long long)w.expect);
	if (!w.stop && w.next_cp < w.ncps)
		problem(&w, "checkpoint at size %llu covers events not stored", (unsigned long long)w.cps[w.next_cp].size);
	if (!w.stop) {
		tlog_frontier_root(&w.tree, ours);
		tlog_frontier_root(&row->tree, theirs);
		if (memcmp(ours, theirs, TLOG_HASH))
			problem(&w, "the stream's stored frontier is not the tree of its events");
	}
	a->streams++;
	a->events += w.expect;
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
