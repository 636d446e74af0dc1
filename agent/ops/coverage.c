// SPDX-License-Identifier: Apache-2.0
#include "coverage.h"

#include <stdlib.h>

#include "capture.h"
#include "evidence.h"

struct coverage {
	struct evidence *ev;
	uint64_t heartbeat_ns, last_heartbeat;
	struct capture_seen seen; /* at the last heartbeat */
	uint64_t reported[CAPTURE_LOSS_REASONS]; /* loss counters at the last capture_loss event */
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

static void record_losses(struct coverage *cv, struct capture *cap)
{
	const char *names[CAPTURE_LOSS_REASONS];
	uint64_t now[CAPTURE_LOSS_REASONS], delta[CAPTURE_LOSS_REASONS];
	size_t n = capture_losses(cap, names, now, CAPTURE_LOSS_REASONS);
	bool grew = false;

	for (size_t i = 0; i < n; i++) {
		delta[i] = now[i] >= cv->reported[i] ? now[i] - cv->reported[i] : now[i];
		grew |= delta[i] != 0;
	}
	if (!grew)
		return;
	/* Taken as reported even if the spool refuses the event: the gap
	 * event that follows a refusal tells that something was dropped. */
	evidence_capture_loss(cv->ev, names, delta, n);
	for (size_t i = 0; i < n; i++)
		cv->reported[i] = now[i];
}

void coverage_tick(struct coverage *cv, struct capture *cap, uint64_t now_ns)
{
	struct capture_seen seen;

	if (!cv || !cap)
		return;
	record_losses(cv, cap);
	if (!cv->heartbeat_ns || now_ns - cv->last_heartbeat < cv->heartbeat_ns)
		return;
	capture_seen(cap, &seen);
	evidence_heartbeat(cv->ev, &(struct evidence_heartbeat){
					   .exchanges = seen.exchanges - cv->seen.exchanges,
					   .bytes_captured = seen.bytes - cv->seen.bytes,
					   .processes_watched = seen.processes,
					   .interval_ms = (now_ns - cv->last_heartbeat) / 1000000,
				   });
	cv->seen = seen;
	cv->last_heartbeat = now_ns;
}

void coverage_free(struct coverage *cv)
{
	free(cv);
}
