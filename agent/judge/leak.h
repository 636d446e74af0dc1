/* SPDX-License-Identifier: Apache-2.0 */
/*
 * leak - which client identities have sent which sensitive values in their
 * prompts, by keyed fingerprint only, for a window of time. A value a model
 * outputs to one client that another client put in a prompt is the
 * cross-tenant leak this table exists to catch.
 *
 * Fixed memory: an open-addressing table of `slots` entries, probed a few
 * slots deep; when those are all live the oldest is replaced (counted).
 * Each entry keeps the two most recent identities that sent the value.
 */
#ifndef SEALTAP_LEAK_H
#define SEALTAP_LEAK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEAK_FP_LEN 16 /* fingerprint prefix kept: 128 bits */

struct leak_stats {
	uint64_t remembered; /* prompt values recorded */
	uint64_t evicted;    /* live entries replaced for lack of room */
};

struct leak_table;

/* slots is rounded up to a power of two. NULL when out of memory. */
struct leak_table *leak_table_new(size_t slots, uint64_t window_ns);
void leak_table_free(struct leak_table *t);

/* ident 0 means "unknown client": remembered values stay unattributed. */
void leak_remember(struct leak_table *t, const uint8_t *fp, uint64_t ident, uint64_t now_ns);
/* Whether a client other than ident sent fp within the window. */
bool leak_seen_elsewhere(const struct leak_table *t, const uint8_t *fp, uint64_t ident, uint64_t now_ns);
const struct leak_stats *leak_table_stats(const struct leak_table *t);

#endif
