/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest - one batch from an agent, judged before anything is kept:
 *
 *   400  not a Batch; a checkpoint that does not parse or does not match the
 *        batch (origin, size); an event that is not the next of its stream
 *        (stream id, sequence number, previous leaf hash); the Merkle root of
 *        the stored events plus these differs from the signed one
 *   403  an agent key not enrolled (or revoked, or awaiting approval); a
 *        checkpoint not signed by that key; a stream that belongs to another
 *        key
 *   409  a sequence number already stored with other bytes (equivocation);
 *        a batch that starts past what is stored (a gap) - the answer's
 *        Ack says how many events the collector has
 *   200  stored (or an identical duplicate: nothing new), answered with an
 *        Ack holding the checkpoint cosigned by the collector
 *
 * Verifying against the collector's own frontier of the stream proves that
 * the new checkpoint extends the previous one (the tree is append-only).
 * Every refusal is kept in the store with its reason.
 */
#ifndef SEALTAP_INGEST_H
#define SEALTAP_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "note.h"
#include "store.h"

struct allowlist {
	uint8_t (*keys)[CHAIN_AGENT_KEY];
	size_t n;
};

struct webhook;

struct collector {
	struct store *store;
	struct allowlist allow; /* enrolled by file */
	bool first_use;         /* unknown keys wait for an approve command */
	struct note_signer *signer; /* cosigns what it verified */
	struct webhook *webhook;    /* told of stored findings (NULL: none) */
};

struct ingest_result {
	int status;
	char message[256];
	uint8_t *body; /* a packed Ack (200, 409), malloc'd */
	size_t body_len;
	uint64_t stored; /* events newly stored */
};

void ingest_batch(struct collector *c, const uint8_t *data, size_t len, struct ingest_result *r);
void ingest_result_release(struct ingest_result *r);

/* Reads hex Ed25519 public keys, one per line ('#' comments). */
int allowlist_load(struct allowlist *a, const char *path, char *err, size_t errsz);
void allowlist_release(struct allowlist *a);

#endif
