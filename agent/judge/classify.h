/* SPDX-License-Identifier: Apache-2.0 */
/*
 * classify - finds sensitive values in text as it streams.
 *
 * The detectors' patterns are one Hyperscan database scanned in streaming
 * mode, so a value split across deltas, frames or reads is still one match;
 * the shape-only ones are a block-mode database run over the stream's
 * history only near the shapes their values contain (gate.h), with the
 * same result.
 * A match only says where a value may end; the confirm stage, over the
 * stream's own history ring, finds where it starts and judges it
 * (validator, placeholder and entropy filters, context words), then hands
 * out a finding: detector, offsets, a masked preview and a keyed
 * fingerprint. The value itself never leaves this module.
 *
 * A finding is raised as soon as the byte that ends its value arrives, or,
 * for detectors that need context words which did not come before the
 * value, once the context window after it has arrived (or the text ended).
 * The result does not depend on how the text was cut into pieces.
 */
#ifndef SEALTAP_CLASSIFY_H
#define SEALTAP_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detectors.h"

#define CL_FINGERPRINT_LEN 32 /* HMAC-SHA-256 */
#define CL_KEY_MAX 64
#define CL_CONTEXT_BEFORE 48  /* bytes before a value searched for its context words */

struct cl_finding {
	const struct detector *det;
	uint64_t start, end; /* byte offsets in the stream's text */
	char masked[48];
	uint8_t fingerprint[CL_FINGERPRINT_LEN]; /* HMAC(key, kind NUL normalised value) */
};

typedef void (*cl_finding_fn)(void *ctx, const struct cl_finding *f);

struct cl_stats {
	uint64_t bytes;      /* text scanned */
	uint64_t matches;    /* pattern matches (candidates) */
	uint64_t findings;
	uint64_t rejected_shape;     /* no value of the right length and boundaries there */
	uint64_t rejected_validator; /* checksum or structure */
	uint64_t rejected_filter;    /* placeholder, entropy, anti-context */
	uint64_t test_values;        /* published test and documentation values (test cards, example keys) */
	uint64_t rejected_context;   /* context words required and absent */
	uint64_t overlaps;           /* inside a finding already raised */
	uint64_t queue_full;         /* candidates dropped: too many awaiting a decision */
	uint64_t gated_bytes;        /* text the shape-only detectors were run over (near their shapes) */
	uint64_t scans;              /* pieces scanned: each a Hyperscan call (or two, round the ring's end) */
};

struct classifier;
struct cl_stream;

/* Whether the shape-only detectors are scanned only near their shapes
 * (gate.h; the default) rather than over all of the text. Read when a
 * classifier is made; the tests turn it off to compare the two. */
extern bool cl_gate;

/* Compiles the detectors (NULL: the built-ins) into one streaming database.
 * The fingerprint key is copied. NULL with a message in err on failure. */
struct classifier *classifier_new(const struct detector *dets, size_t ndets, const uint8_t *key,
				  size_t keylen, char *err, size_t errsz);
void classifier_free(struct classifier *c);
/* A reload: c takes no new streams (the caller stops opening them) and is
 * freed when its last open stream closes (now, if none is open); done(ctx)
 * then releases what it pointed into (its detectors). successor (may be
 * NULL) carries its counters on. */
void classifier_retire(struct classifier *c, struct classifier *successor, void (*done)(void *ctx), void *ctx);
const struct cl_stats *classifier_stats(const struct classifier *c);
size_t classifier_detectors(const struct classifier *c, const struct detector **dets);

/* One text (a prompt message, a completion): findings come through fn,
 * during cl_feed and cl_close. NULL when out of memory (counted by the
 * caller). */
struct cl_stream *cl_open(struct classifier *c, cl_finding_fn fn, void *ctx);
void cl_feed(struct cl_stream *s, const char *text, size_t n);
/* Streams fed a few bytes at a time (a streamed completion's tokens, each
 * a delta of its own): one Hyperscan call costs as much as scanning a few
 * hundred bytes, so cl_feed_lazy leaves the bytes in the stream's ring,
 * unscanned, until a piece (4 KiB) has gathered, the stream is fed with
 * cl_feed or closed, or cl_lazy_sync finds that the oldest tail began
 * before a given time. The findings and their offsets are the same as
 * cl_feed's; they only come up to that much later. The owner of the list
 * calls cl_lazy_sync often (every batch of records): no tail waits
 * unbounded. */
struct cl_lazy {
	struct cl_stream *head, *tail; /* oldest tail first */
	size_t streams;
};
void cl_feed_lazy(struct cl_stream *s, const char *text, size_t n, struct cl_lazy *l, uint64_t now);
/* Once the oldest tail began before `before` (UINT64_MAX: now), scans and
 * judges every tail, one after the other: a scan that follows another
 * finds the database in cache, one among the agent's other work does not. */
void cl_lazy_sync(struct cl_lazy *l, uint64_t before);
/* The text ended: judges what is pending and frees the stream. */
void cl_close(struct cl_stream *s);

/* Fingerprint of a value as detector d would normalise it (tests, and
 * matching a known value against findings without storing it). */
void cl_fingerprint(const struct classifier *c, const struct detector *d, const char *v, size_t n,
		    uint8_t out[CL_FINGERPRINT_LEN]);

/* The pattern database alone over text, in writes of the given size, with
 * no confirm stage: the benchmark's reference. Returns the match count. */
size_t cl_scan_raw(struct classifier *c, const char *text, size_t n, size_t write);

#endif
