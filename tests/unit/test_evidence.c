// SPDX-License-Identifier: Apache-2.0
/* The evidence log on its own: a full spool drops events before they get a
 * sequence number, counts them, and the next run's gap event tells how
 * many, in an unbroken chain. (tests/e2e/test_evidence.py checks real runs
 * with independent code.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "evidence.h"
#include "evidence.pb-c.h"
#include "spool.h"

static char dir[64];

static const struct detector *card(void)
{
	size_t n;
	const struct detector *d = detectors_builtin(&n);

	for (size_t i = 0; i < n; i++)
		if (strcmp(d[i].id, "financial.payment_card") == 0)
			return &d[i];
	return NULL;
}

struct tally {
	uint64_t events, gaps, gap_total, findings, lifecycles, next_seq;
	int out_of_order;
};

static int tally(void *ctx, enum spool_type type, uint64_t seq, const uint8_t *data, size_t len)
{
	struct tally *t = ctx;
	Sealtap__Evidence__V1__Event *e;

	if (type != SPOOL_EVENT)
		return 0;
	e = sealtap__evidence__v1__event__unpack(NULL, len, data);
	assert_non_null(e);
	if (e->seq != t->next_seq || seq != e->seq)
		t->out_of_order++;
	t->next_seq = e->seq + 1;
	t->events++;
	if (e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_GAP)
		t->gaps++, t->gap_total += e->gap->dropped;
	t->findings += e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_FINDING;
	t->lifecycles += e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_LIFECYCLE;
	sealtap__evidence__v1__event__free_unpacked(e, NULL);
	return 0;
}

static void test_evidence_full_spool_makes_a_gap(void **state)
{
	struct evidence_opts o = { .state_dir = dir, .node = "unit", .version = "test", .spool_max_bytes = 6000 };
	struct exchange *x = exchange_new();
	struct cl_finding f = { .det = card(), .start = 5, .end = 24, .masked = "****0366" };
	struct evidence *ev;
	struct tally t = { 0 };
	char err[256], path[128];
	uint64_t dropped = 0, written = 0;
	struct spool *sp;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sealtap-evidence-XXXXXX");
	assert_non_null(mkdtemp(dir));
	ev = evidence_open(&o, err, sizeof(err));
	assert_non_null(ev);
	for (int i = 0; i < 100; i++) {
		if (evidence_finding(ev, x, &f, &(struct evidence_place){ .part = "completion" }) >= 0)
			written++;
	}
	dropped = evidence_stats(ev)->dropped;
	assert_true(written > 5 && dropped > 10);
	assert_int_equal(written + dropped, 100);
	evidence_close(ev); /* the stop event is dropped too: the count goes into the checkpoint */

	o.spool_max_bytes = 1 << 20;
	ev = evidence_open(&o, err, sizeof(err));
	assert_non_null(ev);
	assert_true(evidence_stats(ev)->resumed);
	assert_true(evidence_finding(ev, x, &f, &(struct evidence_place){ .part = "completion" }) >= 0);
	assert_int_equal(evidence_stats(ev)->gap_events, 1);
	evidence_close(ev);

	snprintf(path, sizeof(path), "%s/spool", dir);
	sp = spool_open(path, 1 << 20, tally, &t, err, sizeof(err));
	assert_non_null(sp);
	spool_close(sp);
	assert_int_equal(t.out_of_order, 0);
	assert_int_equal(t.gaps, 1);
	assert_int_equal(t.gap_total, dropped + 1); /* the findings, and the first run's stop event */
	assert_int_equal(t.findings, written + 1);
	exchange_free(x);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evidence_full_spool_makes_a_gap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
