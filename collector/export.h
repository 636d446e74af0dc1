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

/* Every event with since <= time < until (ns since the epoch), by stream. */
int export_json(struct store *s, uint64_t since_ns, uint64_t until_ns, FILE *out);

/* A bundle for events [from, to) of a stream, against the smallest stored
 * checkpoint covering them. */
int export_proof(struct store *s, const uint8_t stream[CHAIN_STREAM_ID], uint64_t from, uint64_t to, FILE *out, char *err,
		 size_t errsz);

/* Checks a bundle against the agent key; prints each proven event as a
 * JSON line and each failure. Returns failures, or -1 if the bundle or its
 * checkpoint does not verify at all. */
int verify_proof(const uint8_t *data, size_t len, const uint8_t key[CHAIN_AGENT_KEY], FILE *out);

#endif
