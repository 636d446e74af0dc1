// SPDX-License-Identifier: Apache-2.0
#include "lineage.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "event_json.h"
#include "evidence.pb-c.h"
#include "export.h"
#include "hex.h"
#include "json.h"

typedef Sealtap__Evidence__V1__Event Event;

#define LINEAGE_MAX 100000 /* events one lineage lists */
#define LINEAGE_NODES 64   /* nodes its summary names */

struct hit {
	uint8_t stream[CHAIN_STREAM_ID];
	uint64_t seq;
};

struct walk {
	const uint8_t *fp;
	FILE *out;
	struct hit *hits;
	size_t n, cap;
	bool too_many;
	uint64_t outputs[4], violations, inputs;
	Event *first_input; /* kept to summarise */
	char nodes[LINEAGE_NODES][64];
	size_t nnodes;
	uint64_t unlisted; /* events on nodes past the first LINEAGE_NODES (counted, not named) */
};

static void note_node(struct walk *w, const char *node)
{
	for (size_t i = 0; i < w->nnodes; i++)
		if (!strcmp(w->nodes[i], node))
			return;
	if (w->nnodes < LINEAGE_NODES)
		snprintf(w->nodes[w->nnodes++], sizeof(w->nodes[0]), "%s", node);
	else
		w->unlisted++;
}

static int on_event(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	struct walk *w = ctx;
	Event *e = sealtap__evidence__v1__event__unpack(NULL, len, bytes);
	const uint8_t *fp = e ? event_fingerprint(e) : NULL;

	if (!fp || memcmp(fp, w->fp, STORE_FINGERPRINT) || e->stream_id.len != CHAIN_STREAM_ID) {
		if (e)
			sealtap__evidence__v1__event__free_unpacked(e, NULL);
		return 0; /* the index's candidate, not this value */
	}
	if (w->n == LINEAGE_MAX) {
		w->too_many = true;
		sealtap__evidence__v1__event__free_unpacked(e, NULL);
		return 1;
	}
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		struct hit *g = realloc(w->hits, cap * sizeof(*g));

		if (!g) {
			sealtap__evidence__v1__event__free_unpacked(e, NULL);
			return -1;
		}
		w->hits = g;
		w->cap = cap;
	}
	memcpy(w->hits[w->n].stream, e->stream_id.data, CHAIN_STREAM_ID);
	w->hits[w->n++].seq = seq;
	note_node(w, e->node);
	if (e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_POLICY_VIOLATION) {
		w->violations++;
	} else if (e->finding->direction == SEALTAP__EVIDENCE__V1__DIRECTION__DIRECTION_INPUT) {
		w->inputs++;
		if (!w->first_input) {
			w->first_input = e; /* in time order: the first is the earliest */
			e = NULL;
		}
	} else {
		w->outputs[(unsigned)e->finding->leak < 4 ? e->finding->leak : 0]++;
	}
	event_json_bytes(w->out, bytes, len);
	if (e)
		sealtap__evidence__v1__event__free_unpacked(e, NULL);
	return 0;
}

static void put_summary(const struct walk *w, FILE *out)
{
	const Event *f = w->first_input;

	fputs("{\"type\":\"lineage\",\"fingerprint\":\"", out);
	hex_put(out, w->fp, STORE_FINGERPRINT);
	fprintf(out, "\",\"events\":%zu,\"inputs\":%" PRIu64 ",\"first_input\":", w->n, w->inputs);
	if (f) {
		fputs("{\"stream\":\"", out);
		hex_put(out, f->stream_id.data, f->stream_id.len);
		fprintf(out, "\",\"seq\":%" PRIu64 ",\"time_unix_nano\":%" PRIu64, f->seq, f->time_unix_nano);
		json_put_field(out, "node", f->node);
		if (f->identity) {
			fprintf(out, ",\"pid\":%u", f->identity->pid);
			json_put_field(out, "executable", f->identity->executable);
			json_put_field(out, "pod_uid", f->identity->pod_uid);
			json_put_field(out, "peer", f->identity->peer);
		}
		if (f->model) {
			json_put_field(out, "api", f->model->api);
			json_put_field(out, "model", *f->model->reported ? f->model->reported : f->model->requested);
		}
		fputc('}', out);
	} else {
		fputs("null", out);
	}
	fprintf(out,
		",\"outputs\":{\"echo\":%" PRIu64 ",\"novel\":%" PRIu64 ",\"cross_identity\":%" PRIu64
		"},\"policy_violations\":%" PRIu64 ",\"nodes\":[",
		w->outputs[1], w->outputs[2], w->outputs[3], w->violations);
	for (size_t i = 0; i < w->nnodes; i++) {
		if (i)
			fputc(',', out);
		json_put_string(out, w->nodes[i], strlen(w->nodes[i]));
	}
	fprintf(out, "],\"events_on_unlisted_nodes\":%" PRIu64 "}\n", w->unlisted);
}

static int by_stream_seq(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	int c = memcmp(x->stream, y->stream, CHAIN_STREAM_ID);

	return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Per stream, a ProofBundle of its events; all in one LineageBundle. */
static int write_bundle(struct store *s, struct walk *w, FILE *proof, char *err, size_t errsz)
{
	Sealtap__Evidence__V1__LineageBundle lb = SEALTAP__EVIDENCE__V1__LINEAGE_BUNDLE__INIT;
	struct proof *proofs = NULL;
	Sealtap__Evidence__V1__ProofBundle **pbs = NULL;
	uint64_t *seqs = malloc((w->n ? w->n : 1) * sizeof(*seqs));
	uint8_t *packed = NULL;
	size_t np = 0;
	int rc = -1;

	proofs = calloc(w->n ? w->n : 1, sizeof(*proofs));
	pbs = calloc(w->n ? w->n : 1, sizeof(*pbs));
	if (!seqs || !proofs || !pbs) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	qsort(w->hits, w->n, sizeof(*w->hits), by_stream_seq);
	for (size_t i = 0, j; i < w->n; i = j) {
		size_t k = 0;

		for (j = i; j < w->n && !memcmp(w->hits[j].stream, w->hits[i].stream, CHAIN_STREAM_ID); j++)
			seqs[k++] = w->hits[j].seq;
		if (proof_build(s, w->hits[i].stream, seqs, k, &proofs[np], err, errsz))
			goto out;
		pbs[np] = &proofs[np].b;
		np++;
	}
	lb.fingerprint = (ProtobufCBinaryData){ STORE_FINGERPRINT, (uint8_t *)w->fp };
	lb.n_proofs = np;
	lb.proofs = pbs;
	packed = malloc(sealtap__evidence__v1__lineage_bundle__get_packed_size(&lb) + 1);
	if (!packed)
		snprintf(err, errsz, "out of memory");
	else if (fwrite(packed, 1, sealtap__evidence__v1__lineage_bundle__pack(&lb, packed), proof) == 0 || fflush(proof))
		snprintf(err, errsz, "cannot write the bundle");
	else
		rc = 0;
out:
	for (size_t i = 0; i < np; i++)
		proof_release(&proofs[i]);
	free(proofs), free(pbs), free(seqs), free(packed);
	return rc;
}

int lineage_list(struct store *s, const uint8_t fingerprint[STORE_FINGERPRINT], FILE *out, FILE *proof, char *err,
		 size_t errsz)
{
	struct walk w = { .fp = fingerprint, .out = out };
	struct store_query q = { .fingerprint = fingerprint };
	int rc = store_query(s, &q, on_event, &w);

	if (rc < 0) {
		snprintf(err, errsz, "%s", store_error(s));
	} else if (w.too_many) {
		snprintf(err, errsz, "more than %d events carry this fingerprint", LINEAGE_MAX);
		rc = -1;
	} else {
		rc = 0;
		put_summary(&w, out);
		if (proof && w.n == 0) {
			snprintf(err, errsz, "no stored event carries this fingerprint: no bundle written");
			rc = -1;
		} else if (proof) {
			rc = write_bundle(s, &w, proof, err, errsz);
		}
	}
	if (w.first_input)
		sealtap__evidence__v1__event__free_unpacked(w.first_input, NULL);
	free(w.hits);
	return rc;
}
