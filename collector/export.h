/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export - evidence out of the store: events as JSON lines (their fields,
 * never a raw value, which they do not hold), and proof bundles
 * (evidence.proto ProofBundle) an auditor verifies with nothing but the
 * file and the agent's public key: the events' exact bytes, an inclusion
 * proof for each, and the checkpoint the agent signed.
 */
#ifndef SEALTAP_EXPORT_H
#define SEALTAP_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "evidence.pb-c.h"
#include "event_json.h"
#include "store.h"
#include "tlog.h"

#define PROOF_MAX_EVENTS 100000

/* A ProofBundle being built: b points into the rest. */
struct proof {
	Sealtap__Evidence__V1__ProofBundle b;
	struct stream_row row;
	uint8_t stream[CHAIN_STREAM_ID];
	char *note;
	size_t n;
	uint8_t **bytes;
	size_t *lens;
	Sealtap__Evidence__V1__ProvenEvent *pe, **pes;
	uint8_t (*proofs)[TLOG_MAX_PROOF][TLOG_HASH];
	ProtobufCBinaryData *pbd;
};

/* The proof of events seqs[0..n) (ascending) of a stream, against the
 * smallest stored checkpoint covering the last: 0, or -1 with err. */
int proof_build(struct store *s, const uint8_t stream[CHAIN_STREAM_ID], const uint64_t *seqs, size_t n,
		struct proof *out, char *err, size_t errsz);
void proof_release(struct proof *p);

/* Every event with since <= time < until (ns since the epoch), by stream. */
int export_json(struct store *s, uint64_t since_ns, uint64_t until_ns, FILE *out);

/* A bundle for events [from, to) of a stream, against the smallest stored
 * checkpoint covering them. */
int export_proof(struct store *s, const uint8_t stream[CHAIN_STREAM_ID], uint64_t from, uint64_t to, FILE *out, char *err,
		 size_t errsz);

/* Checks a ProofBundle, or a LineageBundle (each of its streams, and that
 * every event carries its fingerprint), against the agent keys given (a
 * checkpoint must be signed by one of them); prints each proven event as a
 * JSON line and each failure. Returns failures, or -1 if the bundle or a
 * checkpoint does not verify at all. */
int verify_proof(const uint8_t *data, size_t len, const uint8_t (*keys)[CHAIN_AGENT_KEY], size_t nkeys, FILE *out);

#endif
