/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prompts - change management of the instructions models serve under: per
 * key (serving identity | endpoint | requested model, as drift_key_name),
 * each request's system and developer messages and tool definitions are
 * digested (SHA-256; the framing is proto's PromptChange). The first prompt
 * a key is seen with is its baseline; a prompt not seen before for the key
 * after that is a signed prompt_change event (old and new digest, lengths,
 * which part changed, the exchange it was first seen in) and a
 * {"type":"prompt_change",...} line. The text never leaves the agent.
 *
 * Bounded: PROMPTS_KNOWN digests per key (the oldest forgotten first,
 * counted), max_keys keys (the least recently used evicted, counted). The
 * table is kept in STATE_DIR/prompts.state (written every minute and at
 * stop; one torn or altered is set aside, counted), so a restart is no
 * change.
 */
#ifndef SEALTAP_PROMPTS_H
#define SEALTAP_PROMPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exchange.h"

#define PROMPTS_KNOWN 16

struct evidence;

struct prompts_opts {
	FILE *out;              /* prompt_change lines */
	struct evidence *ev;    /* NULL: no signed events */
	size_t max_keys;        /* default 1024 */
	const char *state_path; /* NULL: not kept across restarts */
};

struct prompts_stats {
	uint64_t requests, keys, baselines, changes, returned; /* returned: back to a prompt known for the key */
	uint64_t keys_evicted, prompts_forgotten, state_saves, state_errors, state_loaded_keys;
};

struct prompts;

struct prompts *prompts_new(const struct prompts_opts *o, char *err, size_t errsz);
/* Saves the table. */
void prompts_free(struct prompts *p);
/* A decoded request: its prompt against its key's. */
void prompts_request(struct prompts *p, const struct exchange *x);
/* Saves the table when due. */
void prompts_tick(struct prompts *p, uint64_t mono_ns);
const struct prompts_stats *prompts_get_stats(const struct prompts *p);
/* ,"prompts":{...} for the agent's stats line. */
void prompts_write_stats(const struct prompts *p, FILE *out);

/* The digests of x's prompt (proto: PromptChange): instructions, tools and
 * the whole; the lengths of the first two. */
void prompts_digest(const struct exchange *x, uint8_t instructions[32], uint8_t tools[32], uint8_t digest[32],
		    uint64_t *instructions_len, uint64_t *tools_len);

#endif
