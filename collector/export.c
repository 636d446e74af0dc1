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

/* The leaf hashes of a stream up to a checkpoint's size, and the bytes of
 * the events being proven (seqs, ascending). */
struct leaves {
	uint8_t (*h)[TLOG_HASH];
	uint64_t n, cap, upto;
	const uint64_t *seqs;
	size_t nseqs, next;
	uint8_t **bytes; /* by index into seqs */
	size_t *lens;
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
	if (l->next < l->nseqs && l->seqs[l->next] == seq) {
		l->bytes[l->next] = malloc(len ? len : 1);
		if (!l->bytes[l->next])
			return -1;
		memcpy(l->bytes[l->next], bytes, len);
		l->lens[l->next++] = len;
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

void proof_release(struct proof *p)
{
	if (p->bytes)
		for (size_t i = 0; i < p->n; i++)
			free(p->bytes[i]);
	free(p->bytes), free(p->lens), free(p->pe), free(p->pes), free(p->proofs), free(p->pbd), free(p->note);
	memset(p, 0, sizeof(*p));
}

int proof_build(struct store *s, const uint8_t stream[CHAIN_STREAM_ID], const uint64_t *seqs, size_t n,
		struct proof *out, char *err, size_t errsz)
{
	struct proof *p = out;
	struct pick pick = { .want = n ? seqs[n - 1] + 1 : 0 };
	struct leaves l = { .seqs = seqs, .nseqs = n };

	memset(p, 0, sizeof(*p));
	sealtap__evidence__v1__proof_bundle__init(&p->b);
	if (n == 0 || n > PROOF_MAX_EVENTS) {
		snprintf(err, errsz, "a bundle holds 1 to %d events", PROOF_MAX_EVENTS);
		return -1;
	}
	for (size_t i = 1; i < n; i++)
		if (seqs[i] <= seqs[i - 1]) {
			snprintf(err, errsz, "events to prove must ascend");
			return -1;
		}
	if (store_get_stream(s, stream, &p->row) != 1) {
		snprintf(err, errsz, "no such stream");
		return -1;
	}
	if (store_each_checkpoint(s, stream, pick_checkpoint, &pick) || !pick.note) {
		free(pick.note);
		snprintf(err, errsz, "no checkpoint covers events up to %llu", (unsigned long long)pick.want);
		return -1;
	}
	p->note = pick.note;
	p->n = n;
	l.upto = pick.size;
	p->bytes = l.bytes = calloc(n, sizeof(*l.bytes));
	p->lens = l.lens = calloc(n, sizeof(*l.lens));
	p->pe = calloc(n, sizeof(*p->pe));
	p->pes = calloc(n, sizeof(*p->pes));
	p->proofs = calloc(n, sizeof(*p->proofs));
	p->pbd = calloc(n * TLOG_MAX_PROOF, sizeof(*p->pbd));
	if (!l.bytes || !l.lens || !p->pe || !p->pes || !p->proofs || !p->pbd) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	if (store_each_event(s, stream, collect, &l) < 0 || l.n != pick.size || l.next != n) {
		snprintf(err, errsz, "the stored events do not form the tree the checkpoint signs: run verify");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		int k = tlog_inclusion_proof((const uint8_t(*)[TLOG_HASH])l.h, pick.size, seqs[i], p->proofs[i]);

		sealtap__evidence__v1__proven_event__init(&p->pe[i]);
		p->pe[i].seq = seqs[i];
		p->pe[i].event = (ProtobufCBinaryData){ l.lens[i], l.bytes[i] };
		p->pe[i].n_inclusion_proof = (size_t)k;
		p->pe[i].inclusion_proof = &p->pbd[i * TLOG_MAX_PROOF];
		for (int j = 0; j < k; j++)
			p->pbd[i * TLOG_MAX_PROOF + (size_t)j] = (ProtobufCBinaryData){ TLOG_HASH, p->proofs[i][j] };
		p->pes[i] = &p->pe[i];
	}
	free(l.h);
	memcpy(p->stream, stream, CHAIN_STREAM_ID);
	p->b.agent_public_key = (ProtobufCBinaryData){ CHAIN_AGENT_KEY, p->row.agent_key };
	p->b.stream_id = (ProtobufCBinaryData){ CHAIN_STREAM_ID, p->stream };
	p->b.checkpoint = (ProtobufCBinaryData){ pick.len, (uint8_t *)p->note };
	p->b.n_events = n;
	p->b.events = p->pes;
	return 0;
fail:
	free(l.h);
	proof_release(p);
	return -1;
}

int export_proof(struct store *s, const uint8_t stream[CHAIN_STREAM_ID], uint64_t from, uint64_t to, FILE *out, char *err,
		 size_t errsz)
{
	struct proof p;
	uint64_t *seqs;
	uint8_t *packed = NULL;
	int rc = -1;

	if (from >= to || to - from > PROOF_MAX_EVENTS) {
		snprintf(err, errsz, "a bundle holds 1 to %d events (--from < --to)", PROOF_MAX_EVENTS);
		return -1;
	}
	if (!(seqs = malloc((size_t)(to - from) * sizeof(*seqs)))) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	for (uint64_t i = from; i < to; i++)
		seqs[i - from] = i;
	if (proof_build(s, stream, seqs, (size_t)(to - from), &p, err, errsz)) {
		free(seqs);
		return -1;
	}
	packed = malloc(sealtap__evidence__v1__proof_bundle__get_packed_size(&p.b));
	if (!packed)
		snprintf(err, errsz, "out of memory");
	else if (fwrite(packed, 1, sealtap__evidence__v1__proof_bundle__pack(&p.b, packed), out) == 0 || fflush(out))
		snprintf(err, errsz, "cannot write the bundle");
	else
		rc = 0;
	free(packed);
	free(seqs);
	proof_release(&p);
	return rc;
}

/* One ProofBundle against the keys given: its checkpoint signed by one of
 * them for its stream, each event in that tree (and, for a lineage, carrying
 * fp). Prints each proven event; returns failures, -1 when the bundle's
 * checkpoint does not verify at all. */
static int verify_one(const Sealtap__Evidence__V1__ProofBundle *b, const uint8_t (*keys)[CHAIN_AGENT_KEY], size_t nkeys,
		      const uint8_t *fp, FILE *out)
{
	struct chain_checkpoint cp;
	char note[NOTE_MAX];
	size_t k;
	int bad = 0;

	if (b->stream_id.len != CHAIN_STREAM_ID || b->checkpoint.len == 0 || b->checkpoint.len > NOTE_MAX) {
		fprintf(out, "bundle: no stream id or checkpoint\n");
		return -1;
	}
	for (k = 0; k < nkeys; k++) {
		memcpy(note, b->checkpoint.data, b->checkpoint.len);
		if (chain_checkpoint_check(note, b->checkpoint.len, b->stream_id.data, keys[k], &cp) == CHAIN_CHECKPOINT_OK)
			break;
	}
	if (k == nkeys) {
		fprintf(out, "checkpoint of stream ");
		hex_put(out, b->stream_id.data, CHAIN_STREAM_ID);
		fprintf(out, ": not signed by a given agent key for this stream\n");
		return -1;
	}
	for (size_t i = 0; i < b->n_events; i++) {
		const Sealtap__Evidence__V1__ProvenEvent *e = b->events[i];
		uint8_t leaf[TLOG_HASH], proof[TLOG_MAX_PROOF][TLOG_HASH];
		const uint8_t *carried;
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
		carried = ev ? event_fingerprint(ev) : NULL;
		if (ok && fp && (!carried || memcmp(carried, fp, STORE_FINGERPRINT))) {
			fprintf(out, "event %" PRIu64 ": proven, but it does not carry the lineage's fingerprint\n", e->seq);
			bad++;
			sealtap__evidence__v1__event__free_unpacked(ev, NULL);
			continue;
		}
		if (ev)
			sealtap__evidence__v1__event__free_unpacked(ev, NULL);
		if (!ok) {
			fprintf(out, "event %" PRIu64 ": NOT in the signed tree of size %" PRIu64 "\n", e->seq, cp.size);
			bad++;
			continue;
		}
		event_json_bytes(out, e->event.data, e->event.len);
	}
	return bad;
}

int verify_proof(const uint8_t *data, size_t len, const uint8_t (*keys)[CHAIN_AGENT_KEY], size_t nkeys, FILE *out)
{
	Sealtap__Evidence__V1__ProofBundle *b = sealtap__evidence__v1__proof_bundle__unpack(NULL, len, data);
	Sealtap__Evidence__V1__LineageBundle *lb;
	int bad = 0;

	if (b && b->stream_id.len) {
		bad = verify_one(b, keys, nkeys, NULL, out);
		sealtap__evidence__v1__proof_bundle__free_unpacked(b, NULL);
		return bad;
	}
	if (b)
		sealtap__evidence__v1__proof_bundle__free_unpacked(b, NULL);
	/* A lineage: each stream's bundle, every event carrying the value. */
	lb = sealtap__evidence__v1__lineage_bundle__unpack(NULL, len, data);
	if (!lb || lb->fingerprint.len != STORE_FINGERPRINT || !lb->n_proofs) {
		fprintf(out, "not a proof bundle\n");
		if (lb)
			sealtap__evidence__v1__lineage_bundle__free_unpacked(lb, NULL);
		return -1;
	}
	for (size_t i = 0; i < lb->n_proofs && bad >= 0; i++) {
		int r = verify_one(lb->proofs[i], keys, nkeys, lb->fingerprint.data, out);

		bad = r < 0 ? -1 : bad + r;
	}
	if (bad >= 0) {
		fputs("{\"type\":\"lineage\",\"fingerprint\":\"", out);
		hex_put(out, lb->fingerprint.data, STORE_FINGERPRINT);
		fprintf(out, "\",\"streams\":%zu,\"failures\":%d}\n", lb->n_proofs, bad);
	}
	sealtap__evidence__v1__lineage_bundle__free_unpacked(lb, NULL);
	return bad;
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
