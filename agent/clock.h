/* SPDX-License-Identifier: Apache-2.0 */
/* clock - the agent's one time base: CLOCK_MONOTONIC in nanoseconds, the
 * clock bpf_ktime_get_ns() reads, so kernel and agent timestamps compare. */
#ifndef SEALTAP_CLOCK_H
#define SEALTAP_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
