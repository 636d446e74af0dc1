// SPDX-License-Identifier: Apache-2.0
#include "export.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.pb-c.h"
#include "hex.h"
#include "json.h"
#include "chain.h"
#include "note.h"

typedef Sealtap__Evidence__V1__Event Event;

/* ---- proof bundles ---- */

struct leaves {
	uint8_t (*h)[TLOG_HASH];
	uint64_t n, cap, upto;
	uint8_t **bytes; /* the selected events' bytes, by seq - from */
	size_t *lens;
	uint64_t from, to;
};

static int collect(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	struct leaves *l = ctx;

	if (seq != l->n || seq >= l->upto)
		return seq >= l->upto ? 1 : -1; /* a hole: the store does not verify */
	if (l->n == l->cap) {
		uint64_t cap = l->cap ? l->cap * 2 : 1024;
		uint8_t(*g)[TLOG_HASH] = realloc(l->h, cap * TLOG_HASH);

		if (!g)
			return -1;
		l->h = g;
		l->cap = cap;
	}
	tlog_leaf_hash(bytes, len, l->h[l->n++]);
	if (seq >= l->from && seq < l->to) {
		l->bytes[seq - l->from] = malloc(len ? len : 1);
		if (!l->bytes[seq - l->from])
			return -1;
		memcpy(l->bytes[seq - l->from], bytes, len);
		l->lens[seq - l->from] = len;
	}
	return 0;
}

struct pick {
	uint64_t want;
	uint64_t size;
	char *note;
	size_t len;
};

/* The smallest checkpoint that covers `want` events. */
static int pick_checkpoint(void *ctx, uint64_t size, const uint8_t *note, size_t len)
{
	struct pick *p = ctx;

	if (size < p->want || p->note)
		return 0;
	p->note = malloc(len);
	if (!p->note)
		return -1;
	memcpy(p->note, note, len);
	p->len = len;
	p->size = size;
	return 0;
}

int export_proof(struct store *s, const uint8_t stream[CHAIN_STREAM_ID], uint64_t from, uint64_t to, FILE *out, char *err,
		 size_t errsz)
{
	Sealtap__Evidence__V1__ProofBundle b = SEALTAP__EVIDENCE__V1__PROOF_BUNDLE__INIT;
	struct stream_row row;
	struct pick pick = { .want = to };
	struct leaves l = { .from = from, .to = to };
	Sealtap__Evidence__V1__ProvenEvent *pe = NULL, **pes = NULL;
	uint8_t(*proofs)[TLOG_MAX_PROOF][TLOG_HASH] = NULL;
	ProtobufCBinaryData *pbd = NULL;
	uint64_t n = to - from;
	uint8_t *packed = NULL;
	int rc = -1;

	if (from >= to || n > 100000) {
		snprintf(err, errsz, "a bundle holds 1 to 100000 events (--from < --to)");
		return -1;
	}
	if (store_get_stream(s, stream, &row) != 1) {
		snprintf(err, errsz, "no such stream");
		return -1;
	}
	if (store_each_checkpoint(s, stream, pick_checkpoint, &pick) || !pick.note) {
		snprintf(err, errsz, "no checkpoint covers events up to %llu", (unsigned long long)to);
		goto out;
	}
	l.upto = pick.size;
	l.bytes = calloc(n, sizeof(*l.bytes));
	l.lens = calloc(n, sizeof(*l.lens));
	pe = calloc(n, sizeof(*pe));
	pes = calloc(n, sizeof(*pes));
	proofs = calloc(n, sizeof(*proofs));
	pbd = calloc(n * TLOG_MAX_PROOF, sizeof(*pbd));
	if (!l.bytes || !l.lens || !pe || !pes || !proofs || !pbd) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	if (store_each_event(s, stream, collect, &l) < 0 || l.n != pick.size) {
		snprintf(err, errsz, "the stored events do not form the tree the checkpoint signs: run verify");
		goto out;
	}
	for (uint64_t i = 0; i < n; i++) {
		int k = tlog_inclusion_proof((const uint8_t(*)[TLOG_HASH])l.h, pick.size, from + i, proofs[i]);

		sealtap__evidence__v1__proven_event__init(&pe[i]);
		pe[i].seq = from + i;
		pe[i].event = (ProtobufCBinaryData){ l.lens[i], l.bytes[i] };
		pe[i].n_inclusion_proof = (size_t)k;
		pe[i].inclusion_proof = &pbd[i * TLOG_MAX_PROOF];
		for (int j = 0; j < k; j++)
			pbd[i * TLOG_MAX_PROOF + (uint64_t)j] = (ProtobufCBinaryData){ TLOG_HASH, proofs[i][j] };
		pes[i] = &pe[i];
	}
	b.agent_public_key = (ProtobufCBinaryData){ CHAIN_AGENT_KEY, row.agent_key };
	b.stream_id = (ProtobufCBinaryData){ CHAIN_STREAM_ID, (uint8_t *)stream };
	b.checkpoint = (ProtobufCBinaryData){ pick.len, (uint8_t *)pick.note };
	b.n_events = (size_t)n;
	b.events = pes;
	packed = malloc(sealtap__evidence__v1__proof_bundle__get_packed_size(&b));
	if (!packed) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	if (fwrite(packed, 1, sealtap__evidence__v1__proof_bundle__pack(&b, packed), out) == 0 || fflush(out)) {
		snprintf(err, errsz, "cannot write the bundle");
		goto out;
	}
	rc = 0;
out:
	if (l.bytes)
		for (uint64_t i = 0; i < n; i++)
			free(l.bytes[i]);
	free(l.bytes), free(l.lens), free(l.h), free(pe), free(pes), free(proofs), free(pbd), free(packed);
	free(pick.note);
	return rc;
}

int verify_proof(const uint8_t *data, size_t len, const uint8_t key[CHAIN_AGENT_KEY], FILE *out)
{
	Sealtap__Evidence__V1__ProofBundle *b = sealtap__evidence__v1__proof_bundle__unpack(NULL, len, data);
	struct chain_checkpoint cp;
	char note[NOTE_MAX];
	int bad = 0;

	if (!b) {
		fprintf(out, "not a proof bundle\n");
		return -1;
	}
	if (b->stream_id.len != CHAIN_STREAM_ID || b->checkpoint.len == 0 || b->checkpoint.len > NOTE_MAX) {
		fprintf(out, "bundle: no stream id or checkpoint\n");
		goto fail;
	}
	memcpy(note, b->checkpoint.data, b->checkpoint.len);
	if (chain_checkpoint_check(note, b->checkpoint.len, b->stream_id.data, key, &cp) != CHAIN_CHECKPOINT_OK) {
		fprintf(out, "checkpoint: not signed by the given agent key for this stream\n");
		goto fail;
	}
	for (size_t i = 0; i < b->n_events; i++) {
		const Sealtap__Evidence__V1__ProvenEvent *e = b->events[i];
		uint8_t leaf[TLOG_HASH], proof[TLOG_MAX_PROOF][TLOG_HASH];
		Event *ev;
		bool ok = e->n_inclusion_proof <= TLOG_MAX_PROOF;

		for (size_t j = 0; ok && j < e->n_inclusion_proof; j++) {
			ok = e->inclusion_proof[j].len == TLOG_HASH;
			if (ok)
				memcpy(proof[j], e->inclusion_proof[j].data, TLOG_HASH);
		}
		tlog_leaf_hash(e->event.data, e->event.len, leaf);
		ok = ok && tlog_verify_inclusion(e->seq, cp.size, leaf, (const uint8_t(*)[TLOG_HASH])proof,
						 (int)e->n_inclusion_proof, cp.root);
		ev = ok ? sealtap__evidence__v1__event__unpack(NULL, e->event.len, e->event.data) : NULL;
		ok = ev && chain_claims(ev, b->stream_id.data, e->seq) == CHAIN_NEXT;
		if (ev)
			sealtap__evidence__v1__event__free_unpacked(ev, NULL);
		if (!ok) {
			fprintf(out, "event %" PRIu64 ": NOT in the signed tree of size %" PRIu64 "\n", e->seq, cp.size);
			bad++;
			continue;
		}
		event_json_bytes(out, e->event.data, e->event.len);
	}
	sealtap__evidence__v1__proof_bundle__free_unpacked(b, NULL);
	return bad;
fail:
	sealtap__evidence__v1__proof_bundle__free_unpacked(b, NULL);
	return -1;
}

/* ---- JSON lines by time ---- */

struct by_time {
	struct store *s;
	uint64_t since, until;
	FILE *out;
};

static int json_event(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	struct by_time *t = ctx;
	Event *e = sealtap__evidence__v1__event__unpack(NULL, len, bytes);
	bool in = e && e->time_unix_nano >= t->since && e->time_unix_nano < t->until;

	(void)seq;
	if (e)
		sealtap__evidence__v1__event__free_unpacked(e, NULL);
	if (in)
		event_json_bytes(t->out, bytes, len);
	return 0;
}

static int json_stream(void *ctx, const struct stream_row *r)
{
	struct by_time *t = ctx;

	return store_each_event(t->s, r->chain.id, json_event, t);
}

int export_json(struct store *s, uint64_t since_ns, uint64_t until_ns, FILE *out)
{
	struct by_time t = { s, since_ns, until_ns, out };

	return store_each_stream(s, json_stream, &t);
}
