/* SPDX-License-Identifier: Apache-2.0 */
/* clock - the agent's two time bases, in nanoseconds, one function each:
 *   clock_mono_ns  CLOCK_MONOTONIC, the clock bpf_ktime_get_ns() reads, so
 *                  kernel and agent timestamps compare; for intervals.
 *   clock_wall_ns  CLOCK_REALTIME since the Unix epoch; for what a reader of
 *                  the record compares with other clocks (event times, drift
 *                  windows). */
#ifndef SEALTAP_CLOCK_H
#define SEALTAP_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t clock_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static inline uint64_t clock_wall_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

#endif
