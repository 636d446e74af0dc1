/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lineage - where one sensitive value went: every stored event that carries
 * its keyed fingerprint (findings and policy violations), across agents,
 * nodes and streams, in time order: the prompt it first appeared in, every
 * output that held it with its leak label, every rule it broke. The store's
 * fingerprint index finds them; each event's own bytes decide (an event
 * stored before the index is read, and the index is never trusted alone).
 *
 * With a proof, a LineageBundle (evidence.proto): per stream, the events
 * with an inclusion proof each against a checkpoint the agent signed, which
 * `sealtap-collector verify --proof` checks with nothing but the agents'
 * public keys.
 */
#ifndef SEALTAP_LINEAGE_H
#define SEALTAP_LINEAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store.h"

/* The events as JSON lines, then a {"type":"lineage",...} summary, to out;
 * the bundle to proof when it is not NULL. 0, or -1 with err. */
int lineage_list(struct store *s, const uint8_t fingerprint[STORE_FINGERPRINT], FILE *out, FILE *proof, char *err,
		 size_t errsz);

#endif
