// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "stream.h"

static void test_stream_contiguous_has_no_gap(void **state)
{
	struct stream_table t;

	(void)state;
	assert_int_equal(stream_init(&t, 64), 0);
	assert_int_equal(stream_on_data(&t, 1, 0x1000, 0, 0, 100, 1, 1, NULL), 0);
	assert_int_equal(stream_on_data(&t, 1, 0x1000, 0, 100, 50, 0, 2, NULL), 0);
	assert_int_equal(stream_on_data(&t, 1, 0x1000, 1, 0, 10, 0, 3, NULL), 0);
	assert_int_equal(t.st.gaps, 0);
	assert_int_equal(t.st.active, 1);
	assert_int_equal(stream_on_close(&t, 1, 0x1000, 150, 10), 0);
	assert_int_equal(t.st.active, 0);
	stream_release(&t);
}

static void test_stream_jump_is_counted_gap(void **state)
{
	struct stream_table t;

	(void)state;
	assert_int_equal(stream_init(&t, 64), 0);
	stream_on_data(&t, 7, 0x2000, 0, 0, 16384, 1, 1, NULL);
	assert_int_equal(stream_on_data(&t, 7, 0x2000, 0, 65536, 100, 0, 2, NULL), 65536 - 16384);
	assert_int_equal(t.st.gaps, 1);
	assert_int_equal(t.st.gap_bytes, 65536 - 16384);
	/* Tail loss: the close says 70000 bytes were written, we saw 65636. */
	assert_int_equal(stream_on_close(&t, 7, 0x2000, 70000, 0), 70000 - 65636);
	assert_int_equal(t.st.tail_bytes, 70000 - 65636);
	stream_release(&t);
}

static void test_stream_restart_after_kernel_eviction(void **state)
{
	struct stream_table t;

	(void)state;
	assert_int_equal(stream_init(&t, 64), 0);
	stream_on_data(&t, 1, 0x10, 0, 0, 500, 1, 1, NULL);
	/* The kernel lost its entry: numbering starts over with the start flag. */
	assert_int_equal(stream_on_data(&t, 1, 0x10, 0, 0, 10, 1, 2, NULL), 0);
	assert_int_equal(t.st.restarts, 1);
	assert_int_equal(t.st.gaps, 0);
	stream_release(&t);
}

static void test_stream_first_seen_midstream_is_not_a_gap(void **state)
{
	struct stream_table t;

	(void)state;
	assert_int_equal(stream_init(&t, 64), 0);
	assert_int_equal(stream_on_data(&t, 1, 0x10, 1, 4096, 10, 0, 1, NULL), 0);
	assert_int_equal(stream_on_data(&t, 1, 0x10, 1, 4106, 10, 0, 1, NULL), 0);
	assert_int_equal(t.st.gaps, 0);
	stream_release(&t);
}

static void test_stream_full_table_evicts_oldest(void **state)
{
	struct stream_table t;

	(void)state;
	assert_int_equal(stream_init(&t, 16), 0); /* 12 live at most */
	for (uint64_t i = 0; i < 20; i++)
		stream_on_data(&t, 1, 0x1000 + i * 64, 0, 0, 1, 1, 100 + i, NULL);
	assert_int_equal(t.st.active, 12);
	assert_int_equal(t.st.evicted, 8);
	/* The oldest (0..7) went; the newest is still tracked. */
	assert_int_equal(stream_on_close(&t, 1, 0x1000 + 19 * 64, 1, 0), 0);
	assert_int_equal(t.st.closed, 1);
	assert_int_equal(stream_on_close(&t, 1, 0x1000, 1, 0), 0);
	assert_int_equal(t.st.closed, 1);
	stream_release(&t);
}

static void test_stream_forget_pid_removes_only_that_pid(void **state)
{
	struct stream_table t;

	(void)state;
	assert_int_equal(stream_init(&t, 256), 0);
	for (uint64_t i = 0; i < 60; i++)
		stream_on_data(&t, (uint32_t)(1 + i % 3), 0x1000 + i * 16, 0, 0, 1, 1, i, NULL);
	assert_int_equal(stream_forget_pid(&t, 2), 20);
	assert_int_equal(t.st.active, 40);
	/* Every remaining entry is still findable after backward shifts. */
	for (uint64_t i = 0; i < 60; i++)
		if (1 + i % 3 != 2)
			assert_int_equal(stream_on_data(&t, (uint32_t)(1 + i % 3), 0x1000 + i * 16, 0, 1, 1, 0, 100, NULL), 0);
	assert_int_equal(t.st.opened, 60);
	stream_release(&t);
}

static int released;

static void count_release(void *user)
{
	(void)user;
	released++;
}

static void test_stream_idle_eviction_releases_user_state(void **state)
{
	struct stream_table t;
	struct stream_conn *c = NULL;
	static int token;

	(void)state;
	assert_int_equal(stream_init(&t, 64), 0);
	t.release_user = count_release;
	stream_on_data(&t, 1, 0x10, 0, 0, 1, 1, 100, &c);
	c->user = &token;
	stream_on_data(&t, 1, 0x20, 0, 0, 1, 1, 500, NULL);
	assert_int_equal(stream_evict_idle(&t, 200), 1);
	assert_int_equal(released, 1);
	assert_int_equal(t.st.idle_evicted, 1);
	assert_int_equal(t.st.active, 1);
	stream_release(&t);
}

static bool conn_is(const struct stream_conn *c, void *key)
{
	const struct stream_key *k = key;

	return c->key.pid == k->pid && c->key.ssl == k->ssl;
}

/* The occupancy bitmap is the table's only record of which slots hold an
 * entry: after inserts and closes that shift entries back (linear probing),
 * the walks (stream_any, idle eviction, release) see exactly the entries
 * left, and the probes find each of them. */
static void test_stream_walks_see_every_entry(void **state)
{
	static int token;
	struct stream_table t;
	size_t bits = 0;

	(void)state;
	assert_int_equal(stream_init(&t, 512), 0);
	t.release_user = count_release;
	released = 0;
	for (uint64_t i = 0; i < 300; i++) {
		struct stream_conn *c = NULL;

		stream_on_data(&t, (uint32_t)(7 + i % 5), 0x7f0000001000 + i * 48, 0, 0, 1, 1, i, &c);
		c->user = &token;
	}
	for (uint64_t i = 0; i < 300; i += 3) /* closes: backward shifts */
		stream_on_close(&t, (uint32_t)(7 + i % 5), 0x7f0000001000 + i * 48, 1, 0);
	assert_int_equal(released, 100);
	for (size_t w = 0; w < (t.cap + 63) / 64; w++)
		bits += (size_t)__builtin_popcountll(t.occupied[w]);
	assert_int_equal(bits, 200);
	assert_int_equal(t.st.active, 200);
	for (uint64_t i = 0; i < 300; i++) {
		struct stream_key k = { .pid = (uint32_t)(7 + i % 5), .ssl = 0x7f0000001000 + i * 48 };

		assert_int_equal(stream_any(&t, conn_is, &k), i % 3 != 0);
		if (i % 3) /* found where it is, no restart, no gap: offset 1 is next */
			assert_int_equal(stream_on_data(&t, k.pid, k.ssl, 0, 1, 1, 0, i, NULL), 0);
	}
	assert_int_equal(t.st.opened, 300);
	assert_int_equal(stream_evict_idle(&t, 150), 100); /* last seen 1..149, two of every three left */
	assert_int_equal(t.st.active, 100);
	assert_int_equal(stream_evict_idle(&t, 1000), 100);
	for (size_t w = 0; w < (t.cap + 63) / 64; w++)
		assert_int_equal(t.occupied[w], 0);
	assert_int_equal(released, 300);
	stream_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_contiguous_has_no_gap),
		cmocka_unit_test(test_stream_jump_is_counted_gap),
		cmocka_unit_test(test_stream_restart_after_kernel_eviction),
		cmocka_unit_test(test_stream_first_seen_midstream_is_not_a_gap),
		cmocka_unit_test(test_stream_full_table_evicts_oldest),
		cmocka_unit_test(test_stream_forget_pid_removes_only_that_pid),
		cmocka_unit_test(test_stream_idle_eviction_releases_user_state),
		cmocka_unit_test(test_stream_walks_see_every_entry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
