// SPDX-License-Identifier: Apache-2.0
#include "coverage.h"

#include <stdbool.h>
#include <stdlib.h>

#include "evidence.h"

struct coverage {
	struct evidence *ev;
	uint64_t heartbeat_ns, last_heartbeat;
	uint64_t exchanges, bytes; /* at the last heartbeat */
	uint64_t reported[COVERAGE_LOSS_MAX]; /* loss counters at the last capture_loss event */
	uint8_t account_digest[32];           /* of the account last recorded (zero: none yet) */
};

struct coverage *coverage_new(struct evidence *ev, uint64_t heartbeat_ns, uint64_t now_ns)
{
	struct coverage *cv = calloc(1, sizeof(*cv));

	if (!cv)
		return NULL;
	cv->ev = ev;
	cv->heartbeat_ns = heartbeat_ns;
	cv->last_heartbeat = now_ns;
	return cv;
}

static void record_losses(struct coverage *cv, const struct coverage_sample *s)
{
	uint64_t delta[COVERAGE_LOSS_MAX];
	size_t n = s->nlosses < COVERAGE_LOSS_MAX ? s->nlosses : COVERAGE_LOSS_MAX;
	bool grew = false;

	for (size_t i = 0; i < n; i++) {
		delta[i] = s->losses[i] >= cv->reported[i] ? s->losses[i] - cv->reported[i] : s->losses[i];
		grew |= delta[i] != 0;
	}
	if (!grew)
		return;
	/* Taken as reported even if the spool refuses the event: the gap
	 * event that follows a refusal tells that something was dropped. */
	evidence_capture_loss(cv->ev, s->loss_names, delta, n);
	for (size_t i = 0; i < n; i++)
		cv->reported[i] = s->losses[i];
}

void coverage_tick(struct coverage *cv, const struct coverage_sample *s, uint64_t now_ns)
{
	if (!cv || !s)
		return;
	record_losses(cv, s);
	if (!cv->heartbeat_ns || now_ns - cv->last_heartbeat < cv->heartbeat_ns)
		return;
	evidence_heartbeat(cv->ev, &(struct evidence_heartbeat){
					   .exchanges = s->exchanges - cv->exchanges,
					   .bytes_captured = s->bytes - cv->bytes,
					   .processes_watched = s->processes,
					   .interval_ms = (now_ns - cv->last_heartbeat) / 1000000,
				   });
	cv->exchanges = s->exchanges;
	cv->bytes = s->bytes;
	cv->last_heartbeat = now_ns;
}

void coverage_account(struct coverage *cv, const struct coverage_account *acc)
{
	/* A refused event is tried again at the next call: the digest moves
	 * only when one is recorded. */
	if (cv && acc)
		evidence_coverage(cv->ev, acc, cv->account_digest);
}

void coverage_free(struct coverage *cv)
{
	free(cv);
}
