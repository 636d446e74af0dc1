// SPDX-License-Identifier: Apache-2.0
/* What the agent watched and lost, into the signed record
 * (agent/evidence/coverage.c): a capture_loss event with exactly the counts
 * lost since the previous one, none when nothing was lost, and heartbeats
 * with the exchanges and bytes of their interval, read back from the real
 * spool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "coverage.h"
#include "evidence.h"
#include "evidence.pb-c.h"
#include "spool.h"

#define S 1000000000ull

typedef Sealtap__Evidence__V1__Event Event;

struct seen {
	char lines[16][160]; /* one per capture_loss or heartbeat event, in order */
	int n;
};

static int collect(void *ctx, enum spool_type type, uint64_t seq, const uint8_t *data, size_t len)
{
	struct seen *s = ctx;
	Event *e;

	(void)seq;
	if (type != SPOOL_EVENT)
		return 0;
	e = sealtap__evidence__v1__event__unpack(NULL, len, data);
	assert_non_null(e);
	if (e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_CAPTURE_LOSS && s->n < 16) {
		int k = snprintf(s->lines[s->n], sizeof(s->lines[0]), "loss");

		for (size_t i = 0; i < e->capture_loss->n_counts; i++)
			k += snprintf(s->lines[s->n] + k, sizeof(s->lines[0]) - (size_t)k, " %s=%llu",
				      e->capture_loss->counts[i]->key,
				      (unsigned long long)e->capture_loss->counts[i]->value);
		s->n++;
	} else if (e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_HEARTBEAT && s->n < 16) {
		snprintf(s->lines[s->n++], sizeof(s->lines[0]), "heartbeat exchanges=%llu bytes=%llu processes=%u ms=%llu",
			 (unsigned long long)e->heartbeat->exchanges, (unsigned long long)e->heartbeat->bytes_captured,
			 e->heartbeat->processes_watched, (unsigned long long)e->heartbeat->interval_ms);
	}
	sealtap__evidence__v1__event__free_unpacked(e, NULL);
	return 0;
}

static struct coverage_sample sample(uint64_t ringbuf, uint64_t gaps, uint64_t exchanges, uint64_t bytes)
{
	return (struct coverage_sample){ .loss_names = { "lost_ringbuf", "stream_gaps" },
					 .losses = { ringbuf, gaps },
					 .nlosses = 2,
					 .exchanges = exchanges,
					 .bytes = bytes,
					 .processes = 3 };
}

static void test_coverage_losses_and_heartbeats(void **state)
{
	char dir[64] = "/tmp/sealtap-coverage-XXXXXX", err[256], path[128];
	struct evidence_opts o = { .node = "unit", .version = "test", .spool_max_bytes = 1 << 20 };
	struct seen seen = { 0 };
	struct coverage_sample s;
	struct evidence *ev;
	struct coverage *cv;
	struct spool *sp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	o.state_dir = dir;
	ev = evidence_open(&o, err, sizeof(err));
	assert_non_null(ev);
	cv = coverage_new(ev, 60 * S, 1000 * S);
	assert_non_null(cv);
	s = sample(0, 0, 0, 0);
	coverage_tick(cv, &s, 1001 * S); /* nothing lost, no heartbeat due */
	s = sample(5, 0, 2, 100);
	coverage_tick(cv, &s, 1002 * S); /* 5 records lost: one event, zero counts left out */
	s = sample(5, 0, 4, 300);
	coverage_tick(cv, &s, 1003 * S); /* nothing more lost: no event */
	s = sample(7, 1, 10, 1000);
	coverage_tick(cv, &s, 1060 * S); /* 2 and 1 more lost; then the heartbeat of 60 s */
	s = sample(7, 1, 12, 1500);
	coverage_tick(cv, &s, 1119 * S); /* 59 s: not yet */
	coverage_tick(cv, &s, 1120 * S);
	coverage_free(cv);
	evidence_close(ev);

	snprintf(path, sizeof(path), "%s/spool", dir);
	sp = spool_open(path, 1 << 20, collect, &seen, err, sizeof(err));
	assert_non_null(sp);
	spool_close(sp);
	assert_int_equal(seen.n, 4);
	assert_string_equal(seen.lines[0], "loss lost_ringbuf=5");
	assert_string_equal(seen.lines[1], "loss lost_ringbuf=2 stream_gaps=1");
	assert_string_equal(seen.lines[2], "heartbeat exchanges=10 bytes=1000 processes=3 ms=60000");
	assert_string_equal(seen.lines[3], "heartbeat exchanges=2 bytes=500 processes=3 ms=60000");
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_coverage_losses_and_heartbeats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
