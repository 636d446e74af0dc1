// SPDX-License-Identifier: Apache-2.0
/* The cross-identity table (agent/judge/leak.c): who sent which value in a
 * prompt, by fingerprint, within a window; what a client that cannot be
 * identified proves (nothing); and its fixed memory under pressure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "leak.h"

#define S 1000000000ull

static void fp_of(uint32_t n, uint8_t fp[LEAK_FP_LEN])
{
	/* Spread like the keyed MAC the judge passes (the home slot is the first
	 * 8 bytes): a multiplicative hash of n, then n itself. */
	uint64_t h = (n + 1) * 0x9e3779b97f4a7c15ull;

	memcpy(fp, &h, 8);
	memset(fp + 8, 0, LEAK_FP_LEN - 8);
	memcpy(fp + 8, &n, sizeof(n));
}

static void test_leak_another_client_within_the_window(void **state)
{
	struct leak_table *t = leak_table_new(64, 3600 * S);
	uint8_t fp[LEAK_FP_LEN], other[LEAK_FP_LEN];

	(void)state;
	assert_non_null(t);
	fp_of(1, fp);
	fp_of(2, other);
	leak_remember(t, fp, 11, 100 * S);
	assert_false(leak_seen_elsewhere(t, fp, 11, 101 * S));   /* the sender itself: an echo, not a leak */
	assert_true(leak_seen_elsewhere(t, fp, 22, 101 * S));    /* another client */
	assert_false(leak_seen_elsewhere(t, other, 22, 101 * S)); /* a value nobody sent */
	assert_false(leak_seen_elsewhere(t, fp, 22, (100 + 3601) * S)); /* past the window */
	assert_int_equal(leak_table_stats(t)->remembered, 1);
	leak_table_free(t);
}

/* Two senders of one value are both kept: the output to either is a leak
 * from the other, and a third sees both. */
static void test_leak_two_senders(void **state)
{
	struct leak_table *t = leak_table_new(64, 3600 * S);
	uint8_t fp[LEAK_FP_LEN];

	(void)state;
	fp_of(7, fp);
	leak_remember(t, fp, 11, 10 * S);
	leak_remember(t, fp, 22, 20 * S);
	assert_true(leak_seen_elsewhere(t, fp, 11, 30 * S));
	assert_true(leak_seen_elsewhere(t, fp, 22, 30 * S));
	assert_true(leak_seen_elsewhere(t, fp, 33, 30 * S));
	leak_table_free(t);
}

/* A client that cannot be identified (0: a memory BIO's peer) proves
 * nothing either way: its prompts are no one's, its outputs leak from no
 * one. */
static void test_leak_unknown_client_is_no_identity(void **state)
{
	struct leak_table *t = leak_table_new(64, 3600 * S);
	uint8_t fp[LEAK_FP_LEN];

	(void)state;
	fp_of(3, fp);
	leak_remember(t, fp, 0, 10 * S);
	assert_false(leak_seen_elsewhere(t, fp, 22, 11 * S));
	leak_remember(t, fp, 22, 12 * S);
	assert_false(leak_seen_elsewhere(t, fp, 0, 13 * S));
	assert_false(leak_seen_elsewhere(t, fp, 22, 13 * S)); /* its only other sender is the unknown one */
	leak_table_free(t);
}

/* Fixed memory: more live values than slots replace the oldest, counted;
 * the newest are still found. */
static void test_leak_bounded_and_counted(void **state)
{
	struct leak_table *t = leak_table_new(16, 3600 * S); /* 16 slots */
	uint8_t fp[LEAK_FP_LEN];
	int found = 0;

	(void)state;
	for (uint32_t i = 0; i < 64; i++) {
		fp_of(i, fp);
		leak_remember(t, fp, 11, (10 + i) * S);
	}
	assert_int_equal(leak_table_stats(t)->remembered, 64);
	assert_true(leak_table_stats(t)->evicted >= 64 - 16);
	for (uint32_t i = 64 - 8; i < 64; i++) {
		fp_of(i, fp);
		found += leak_seen_elsewhere(t, fp, 22, 80 * S);
	}
	assert_true(found >= 6); /* the newest survive (probing may cost one or two) */
	fp_of(63, fp);
	assert_true(leak_seen_elsewhere(t, fp, 22, 80 * S)); /* and the last always */
	leak_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leak_another_client_within_the_window),
		cmocka_unit_test(test_leak_two_senders),
		cmocka_unit_test(test_leak_unknown_client_is_no_identity),
		cmocka_unit_test(test_leak_bounded_and_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
