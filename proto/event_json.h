/* SPDX-License-Identifier: Apache-2.0 */
/*
 * event_json - an evidence event as one JSON line: where it is in its stream
 * (stream id, sequence number), when, the node, identity, model and the
 * kind's fields. Events hold no raw value, so neither does the line. Used
 * by the agent's JSON-lines copy and the collector's export and query, so
 * both say the same thing the same way.
 */
#ifndef SEALTAP_EVENT_JSON_H
#define SEALTAP_EVENT_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "evidence.pb-c.h"

/* "finding", "lifecycle", "gap", ...: what an event is, for people and queries. */
const char *event_kind_name(const Sealtap__Evidence__V1__Event *e);
/* The keyed fingerprint (32 bytes) an event carries - a finding's, a
 * policy violation's - or NULL. */
const uint8_t *event_fingerprint(const Sealtap__Evidence__V1__Event *e);

void event_json(FILE *out, const Sealtap__Evidence__V1__Event *e);
/* The same from an event's bytes ({"error":"not an Event"} if they are not one). */
void event_json_bytes(FILE *out, const uint8_t *bytes, size_t len);

#endif
