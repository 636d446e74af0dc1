/* SPDX-License-Identifier: Apache-2.0 */
/*
 * judge - classifies every model exchange: each prompt message once the
 * request is decoded, each choice's completion delta by delta as it
 * arrives, tool-call arguments when the exchange ends. Output findings are
 * labelled:
 *   echo            the same value (by fingerprint) is in this exchange's prompt
 *   cross_identity  another client identity sent it in a prompt within the window
 *   novel           neither: the model produced it
 * and every finding becomes a {"type":"finding",...} JSON line tied to its
 * exchange and identity, with a masked preview and a fingerprint only.
 *
 * With a routing policy (routing.h), each finding that breaks one of its
 * rules is also a policy violation: a signed event, a
 * {"type":"policy_violation",...} line and a labelled counter.
 *
 * A client identity is the peer address (without port) when the watched
 * process serves the model, else the watched process's pod, container or
 * executable and uid. An unknown peer (a memory BIO) is no identity: its
 * values are never called cross_identity, for lack of proof.
 */
#ifndef SEALTAP_JUDGE_H
#define SEALTAP_JUDGE_H

#include <stdint.h>
#include <stdio.h>

#include "classify.h"
#include "exchange.h"

struct evidence;
struct routing;

struct judge_opts {
	FILE *out;               /* finding events */
	struct evidence *ev;     /* the signed record each finding goes into (NULL: none) */
	size_t leak_slots;       /* fingerprints remembered across exchanges */
	uint64_t leak_window_ns; /* how long a prompt value counts for cross_identity */
};

struct judge_stats {
	uint64_t findings_input, findings_output;
	uint64_t echo, novel, cross_identity;
	uint64_t prompt_values_dropped; /* past the per-exchange echo set */
	uint64_t policy_violations;
	uint64_t streams_failed;        /* texts not scanned for lack of memory (counted, not silent) */
};

struct judge;

struct judge *judge_new(struct classifier *c, const struct judge_opts *o);
void judge_free(struct judge *j);

void judge_request(struct judge *j, struct exchange *x);
/* A completion's tokens are scanned a kilobyte at a time, or once they
 * have waited JUDGE_LAZY_NS (judge_sync): a finding in a streamed answer
 * comes at most that much (and one batch of records) after its value. */
#define JUDGE_LAZY_NS 200000000ull
void judge_delta(struct judge *j, struct exchange *x, int choice, const char *text, size_t len);
/* Scans what has waited long enough; the capture loop calls it after every
 * batch of records, with the time. */
void judge_sync(struct judge *j, uint64_t now);
/* Finishes the exchange's streams and releases its state. */
void judge_done(struct judge *j, struct exchange *x);

/* Findings by detector, category, severity, direction and leak label, and
 * exchanges by API and model, as Prometheus text. */
void judge_write_prometheus(const struct judge *j, FILE *out);

/* A reload: new texts go to c; those being scanned finish with the old one. */
void judge_set_classifier(struct judge *j, struct classifier *c);
/* The routing policy findings are checked against (NULL: none); the
 * caller keeps it, and may free the previous one once this returns. */
void judge_set_routing(struct judge *j, const struct routing *r);

/* ,"classify":{...} for the agent's stats line. */
void judge_write_stats(const struct judge *j, FILE *out);

#endif
