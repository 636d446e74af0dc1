/* SPDX-License-Identifier: Apache-2.0 */
/*
 * coverage - puts what the agent watched and what it lost into the signed
 * record, so an auditor can tell "no findings" from "not watching":
 *
 *   capture_loss  at most once a second, when any loss counter grew: the
 *                 counts lost since the previous one, by reason;
 *   heartbeat     every interval: exchanges decoded and plaintext bytes
 *                 captured since the previous one, processes watched now;
 *   coverage      at start and whenever it changes: each selected
 *                 process's TLS stacks (and plain sockets), whether each is
 *                 watched, and why not.
 *
 * A loss is recorded whenever it happens; a missing heartbeat in a stream
 * means the agent was not running (or could not write), which the lifecycle
 * events then explain.
 */
#ifndef SEALTAP_COVERAGE_H
#define SEALTAP_COVERAGE_H

#include <stddef.h>
#include <stdint.h>

#include "coverage_account.h"

#define COVERAGE_LOSS_MAX 32 /* loss reasons one capture_loss event carries */

struct evidence;
struct coverage;

/* What capture saw and lost, cumulative since start, as plain values (main
 * reads them off capture: capture_losses, capture_seen). Names are static
 * strings, in the same order at every tick. */
struct coverage_sample {
	const char *loss_names[COVERAGE_LOSS_MAX];
	uint64_t losses[COVERAGE_LOSS_MAX];
	size_t nlosses;
	uint64_t exchanges, bytes; /* decoded, captured */
	uint32_t processes;        /* watched now */
};

/* heartbeat_ns 0: no heartbeats (capture losses are still recorded). */
struct coverage *coverage_new(struct evidence *ev, uint64_t heartbeat_ns, uint64_t now_ns);
/* About once a second, and once more at stop. */
void coverage_tick(struct coverage *cv, const struct coverage_sample *s, uint64_t now_ns);
/* The account as it stands: a coverage event when it differs from the last
 * one recorded (the first call always records). */
void coverage_account(struct coverage *cv, const struct coverage_account *acc);
void coverage_free(struct coverage *cv);

#endif
