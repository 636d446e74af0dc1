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

static const uint8_t fp[EVIDENCE_FINGERPRINT] = { 0xfe, 0xed, 1, 2, 3, [31] = 0x99 };
static const struct evidence_about about = {
	.connection_id = 987654321, .capture_source = "openssl",
	.pid = 4242, .uid = 1000, .cgroup_id = 77, .executable = "/usr/bin/python3", .comm = "python3",
	.container_id = "c0ffee", .pod_uid = "pod-1", .peer = "10.0.0.9:5555", .process_is_server = true,
	.api = "openai.chat", .model_requested = "gpt-x", .model_reported = "gpt-x-2025", .endpoint = "/v1/chat/completions",
	.exchange_id = 17,
};
static const struct evidence_finding card = {
	.detector = "financial.payment_card", .category = "financial", .severity = "high", .leak = 2,
	.part = "completion", .index = 1, .start = 5, .end = 24, .masked = "****0366", .fingerprint = fp,
};

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
		if (evidence_finding(ev, &about, &card) >= 0)
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
	assert_true(evidence_finding(ev, &about, &card) >= 0);
	assert_int_equal(evidence_stats(ev)->gap_events, 1);
	evidence_close(ev);

	snprintf(path, sizeof(path), "%s/spool", dir);
	sp = spool_open(path, 1 << 20, tally, &t, err, sizeof(err));
	assert_non_null(sp);
	spool_close(sp);
	assert_int_equal(t.out_of_order, 0);
	/* A gap event is smaller than a finding: one may fit in the first run's
	 * last bytes, before the second run tells the rest. Together they tell
	 * every drop. */
	assert_true(t.gaps >= 1 && t.gaps <= 2);
	assert_int_equal(t.gap_total, dropped + 1); /* the findings, and the first run's stop event */
	assert_int_equal(t.findings, written + 1);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

/* The first finding event in the spool, unpacked (NULL if none). */
static int first_finding(void *ctx, enum spool_type type, uint64_t seq, const uint8_t *data, size_t len)
{
	Sealtap__Evidence__V1__Event **out = ctx;
	Sealtap__Evidence__V1__Event *e;

	(void)seq;
	if (type != SPOOL_EVENT || *out)
		return 0;
	e = sealtap__evidence__v1__event__unpack(NULL, len, data);
	assert_non_null(e);
	if (e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_FINDING)
		*out = e;
	else
		sealtap__evidence__v1__event__free_unpacked(e, NULL);
	return 0;
}

/* The event records exactly the plain values it was given, and NULL
 * strings as empty ones. */
static void test_evidence_finding_records_the_values_given(void **state)
{
	struct evidence_opts o = { .state_dir = dir, .node = "unit", .version = "test", .spool_max_bytes = 1 << 20 };
	struct evidence_finding f = card;
	Sealtap__Evidence__V1__Event *e = NULL;
	struct evidence *ev;
	char err[256], path[128];
	struct spool *sp;

	(void)state;
	f.role = NULL;
	snprintf(dir, sizeof(dir), "/tmp/sealtap-evidence-XXXXXX");
	assert_non_null(mkdtemp(dir));
	ev = evidence_open(&o, err, sizeof(err));
	assert_non_null(ev);
	assert_int_equal(evidence_finding(ev, &about, &f), 1); /* after the start event */
	evidence_close(ev);
	snprintf(path, sizeof(path), "%s/spool", dir);
	sp = spool_open(path, 1 << 20, first_finding, &e, err, sizeof(err));
	assert_non_null(sp);
	spool_close(sp);
	assert_non_null(e);
	assert_string_equal(e->finding->detector, "financial.payment_card");
	assert_string_equal(e->finding->category, "financial");
	assert_string_equal(e->finding->severity, "high");
	assert_int_equal(e->finding->direction, SEALTAP__EVIDENCE__V1__DIRECTION__DIRECTION_OUTPUT);
	assert_int_equal(e->finding->leak, SEALTAP__EVIDENCE__V1__LEAK__LEAK_NOVEL);
	assert_string_equal(e->finding->part, "completion");
	assert_int_equal(e->finding->index, 1);
	assert_string_equal(e->finding->role, "");
	assert_int_equal(e->finding->start, 5);
	assert_int_equal(e->finding->end, 24);
	assert_string_equal(e->finding->masked, "****0366");
	assert_int_equal(e->finding->fingerprint.len, EVIDENCE_FINGERPRINT);
	assert_memory_equal(e->finding->fingerprint.data, fp, EVIDENCE_FINGERPRINT);
	assert_int_equal(e->identity->pid, 4242);
	assert_int_equal(e->identity->connection_id, 987654321);
	assert_string_equal(e->identity->capture_source, "openssl");
	assert_int_equal(e->identity->cgroup_id, 77);
	assert_string_equal(e->identity->executable, "/usr/bin/python3");
	assert_string_equal(e->identity->container_id, "c0ffee");
	assert_string_equal(e->identity->pod_uid, "pod-1");
	assert_string_equal(e->identity->peer, "10.0.0.9:5555");
	assert_true(e->identity->process_is_server);
	assert_string_equal(e->model->api, "openai.chat");
	assert_string_equal(e->model->requested, "gpt-x");
	assert_string_equal(e->model->reported, "gpt-x-2025");
	assert_string_equal(e->model->endpoint, "/v1/chat/completions");
	assert_string_equal(e->model->system_fingerprint, "");
	assert_int_equal(e->model->exchange_id, 17);
	sealtap__evidence__v1__event__free_unpacked(e, NULL);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evidence_full_spool_makes_a_gap),
		cmocka_unit_test(test_evidence_finding_records_the_values_given),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
