/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webhook - tells a receiver (a SOAR, a chat bridge, an incident tool) about
 * every stored finding at or above a severity, and every policy violation
 * (whatever its severity: a control was broken): an HTTP POST of the event as
 * a JSON line (event_json.h: the finding's fields, identity, model, stream
 * and sequence number; never a value), with
 *
 *   X-Sealtap-Signature: sha256=<hex HMAC-SHA-256 of the body under the secret>
 *   X-Sealtap-Event: <stream hex>/<seq>
 *
 * so the receiver can check it came from this collector and match it to
 * the signed record. Sent from a thread of its own (libcurl), in order;
 * failures (transport, 429, 5xx) are retried with backoff (1 s doubling to
 * 60 s), another 4xx gives that event up (counted); at most WEBHOOK_QUEUE
 * events wait, past that new ones are dropped and counted. The signed
 * record is in the store either way: the webhook is the prompt, not the proof.
 */
#ifndef SEALTAP_WEBHOOK_H
#define SEALTAP_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "evidence.pb-c.h"

#define WEBHOOK_QUEUE 10000

struct webhook_stats {
	uint64_t queued, sent, failed_attempts, given_up, dropped;
};

struct webhook;

/* secret: the HMAC key's bytes; min_severity: low, medium, high or critical. */
struct webhook *webhook_start(const char *url, const char *ca_file, const uint8_t *secret, size_t secret_len,
			      const char *min_severity, char *err, size_t errsz);
/* A stored event: queued when it is a finding at or above the severity. */
void webhook_event(struct webhook *w, const Sealtap__Evidence__V1__Event *e);
/* Stops the thread (what is still queued is counted as dropped). */
void webhook_stop(struct webhook *w);
void webhook_get_stats(struct webhook *w, struct webhook_stats *out);

#endif
