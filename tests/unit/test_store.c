// SPDX-License-Identifier: Apache-2.0
/* The store's contract (collector/store.h), the same for both backends:
 * this binary runs against SQLite in memory by default, and against a real
 * PostgreSQL server when SEALTAP_TEST_STORE names one (postgresql://...):
 * tests/e2e/test_collector_pg.py does, on the server it starts. Streams,
 * events' exact bytes, checkpoints, transactions, queries and the agent
 * keys' states. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "store.h"

static struct store *st;
static const uint8_t id_a[CHAIN_STREAM_ID] = { 0xa1 }, id_b[CHAIN_STREAM_ID] = { 0xb2 };

static int setup(void **state)
{
	const char *where = getenv("SEALTAP_TEST_STORE");
	char err[256];

	(void)state;
	st = store_open(where && *where ? where : ":memory:", true, err, sizeof(err));
	if (!st)
		fail_msg("store_open: %s", err);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	store_close(st);
	return 0;
}

static void put(const uint8_t *id, uint64_t seq, const char *bytes, const struct event_meta *m)
{
	assert_int_equal(store_put_event(st, id, seq, (const uint8_t *)bytes, strlen(bytes), m), 0);
}

/* A stream's row as stored: its chain (frontier, last leaf, size) and key. */
static void test_store_stream_rows(void **state)
{
	struct stream_row row, got;
	uint8_t leaf[TLOG_HASH];

	(void)state;
	memset(&row, 0, sizeof(row));
	chain_init(&row.chain, id_a);
	for (int i = 0; i < 5; i++) {
		char e[16];

		snprintf(e, sizeof(e), "e%d", i);
		chain_append(&row.chain, (const uint8_t *)e, strlen(e));
	}
	memset(row.agent_key, 0x77, sizeof(row.agent_key));
	assert_int_equal(store_get_stream(st, id_a, &got), 0); /* not yet */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_put_stream(st, &row), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_get_stream(st, id_a, &got), 1);
	store_rollback(st);
	assert_memory_equal(got.chain.id, id_a, CHAIN_STREAM_ID);
	assert_memory_equal(got.agent_key, row.agent_key, CHAIN_AGENT_KEY);
	assert_int_equal(got.chain.tree.size, 5);
	assert_int_equal(got.chain.tree.n, 2); /* 5 = 4 + 1: two subtrees */
	assert_memory_equal(got.chain.tree.h, row.chain.tree.h, 2 * TLOG_HASH);
	assert_memory_equal(got.chain.prev_leaf, row.chain.prev_leaf, TLOG_HASH);
	tlog_leaf_hash("e4", 2, leaf);
	assert_memory_equal(got.chain.prev_leaf, leaf, TLOG_HASH);
}

static int count_rows(void *ctx, uint64_t n, const uint8_t *bytes, size_t len)
{
	uint64_t *seen = ctx;

	(void)bytes, (void)len;
	seen[seen[0] + 1] = n;
	seen[0]++;
	return 0;
}

/* Events keep their exact bytes (NUL and high bytes included); a rolled
 * back transaction leaves nothing; the walk is in sequence order. */
static void test_store_events_and_transactions(void **state)
{
	static const uint8_t odd[] = { 0, 0xff, 0x80, 0, 'x' };
	struct event_meta m = { .time_unix_nano = 10, .kind = "heartbeat" };
	uint64_t seen[8] = { 0 };
	uint8_t *bytes;
	size_t len;

	(void)state;
	assert_int_equal(store_begin(st), 0);
	put(id_a, 0, "zero", &m);
	store_rollback(st);
	assert_int_equal(store_get_event(st, id_a, 0, &bytes, &len), 0);

	assert_int_equal(store_begin(st), 0);
	put(id_a, 2, "two", &m);
	put(id_a, 0, "zero", &m);
	assert_int_equal(store_put_event(st, id_a, 1, odd, sizeof(odd), &m), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_get_event(st, id_a, 1, &bytes, &len), 1);
	assert_int_equal(len, sizeof(odd));
	assert_memory_equal(bytes, odd, sizeof(odd));
	free(bytes);
	assert_int_equal(store_get_event(st, id_b, 1, &bytes, &len), 0); /* another stream's */
	assert_int_equal(store_each_event(st, id_a, count_rows, seen), 0);
	assert_int_equal(seen[0], 3);
	assert_int_equal(seen[1], 0);
	assert_int_equal(seen[2], 1);
	assert_int_equal(seen[3], 2);
}

/* Checkpoints by tree size; a second note at a size already stored is not
 * taken (the first, cosigned, stays). */
static void test_store_checkpoints(void **state)
{
	uint64_t seen[8] = { 0 };
	uint8_t *note;
	size_t len;

	(void)state;
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_put_checkpoint(st, id_a, 3, "note at 3", 9), 0);
	assert_int_equal(store_put_checkpoint(st, id_a, 1, "note at 1", 9), 0);
	assert_int_equal(store_put_checkpoint(st, id_a, 3, "other 3", 7), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_get_checkpoint(st, id_a, 3, &note, &len), 1);
	assert_int_equal(len, 9);
	assert_memory_equal(note, "note at 3", 9);
	free(note);
	assert_int_equal(store_get_checkpoint(st, id_a, 2, &note, &len), 0);
	assert_int_equal(store_each_checkpoint(st, id_a, count_rows, seen), 0);
	assert_int_equal(seen[0], 2);
	assert_int_equal(seen[1], 1);
	assert_int_equal(seen[2], 3);
}

struct hits {
	int n;
	uint64_t last;
};

static int hit(void *ctx, uint64_t n, const uint8_t *bytes, size_t len)
{
	struct hits *h = ctx;

	(void)bytes, (void)len;
	h->n++;
	h->last = n;
	return 0;
}

static int query(const struct store_query *q)
{
	struct hits h = { 0 };

	assert_int_equal(store_query(st, q, hit, &h), 0);
	return h.n;
}

/* Every filter of the query, alone and together, and the limit. */
static void test_store_query_filters(void **state)
{
	static const uint8_t fp1[STORE_FINGERPRINT] = { 1 }, fp2[STORE_FINGERPRINT] = { 2 };
	struct event_meta f1 = { .time_unix_nano = 100000000000ull, .kind = "finding", .detector = "pii.email",
				 .severity = "medium", .pod_uid = "pod-1", .model = "m1", .fingerprint = fp1 };
	struct event_meta f2 = { .time_unix_nano = 200000000000ull, .kind = "finding", .detector = "secret.aws",
				 .severity = "critical", .pod_uid = "pod-2", .model = "m2", .fingerprint = fp2 };
	struct event_meta d = { .time_unix_nano = 300000000000ull, .kind = "drift", .model = "m1" };
	/* a finding stored before the fingerprint index: no fingerprint column */
	struct event_meta old = { .time_unix_nano = 50000000000ull, .kind = "policy_violation" };

	(void)state;
	assert_int_equal(store_begin(st), 0);
	put(id_b, 0, "f1", &f1);
	put(id_b, 1, "f2", &f2);
	put(id_b, 2, "d", &d);
	put(id_b, 3, "old", &old);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(query(&(struct store_query){ .kind = "finding" }), 2);
	assert_int_equal(query(&(struct store_query){ .kind = "drift" }), 1);
	assert_int_equal(query(&(struct store_query){ .severity = "critical" }), 1);
	assert_int_equal(query(&(struct store_query){ .detector = "pii.email" }), 1);
	assert_int_equal(query(&(struct store_query){ .pod_uid = "pod-2" }), 1);
	assert_int_equal(query(&(struct store_query){ .model = "m1" }), 2);
	assert_int_equal(query(&(struct store_query){ .model = "m1", .kind = "finding" }), 1);
	assert_int_equal(query(&(struct store_query){ .since_ns = 150000000000ull, .until_ns = 250000000000ull }), 1);
	assert_int_equal(query(&(struct store_query){ .since_ns = 150000000000ull, .kind = "finding" }), 1);
	assert_int_equal(query(&(struct store_query){ .kind = "finding", .limit = 1 }), 1);
	assert_int_equal(query(&(struct store_query){ .kind = "nothing" }), 0);
	/* the fingerprint index: its value's events, and those it cannot rule out (no column) */
	assert_int_equal(query(&(struct store_query){ .fingerprint = fp1 }), 2);
	assert_int_equal(query(&(struct store_query){ .fingerprint = fp2, .kind = "finding" }), 1);
	assert_int_equal(query(&(struct store_query){ .fingerprint = (const uint8_t[STORE_FINGERPRINT]){ 3 } }), 1);
}

struct agents {
	int n;
	enum agent_state last;
};

static int each_agent(void *ctx, const struct agent_row *a)
{
	struct agents *g = ctx;

	g->n++;
	g->last = a->state;
	return 0;
}

/* A key is unknown, then pending once it asks, approved or revoked by a
 * decision; asking again keeps the decision. */
static void test_store_agent_states(void **state)
{
	uint8_t key[CHAIN_AGENT_KEY];
	enum agent_state s;
	struct agents g = { 0 };

	(void)state;
	memset(key, 0x5c, sizeof(key));
	assert_int_equal(store_agent_state(st, key, &s), 0);
	assert_int_equal(s, AGENT_UNKNOWN);
	assert_int_equal(store_agent_request(st, key), 0);
	assert_int_equal(store_agent_state(st, key, &s), 0);
	assert_int_equal(s, AGENT_PENDING);
	assert_int_equal(store_agent_decide(st, key, AGENT_APPROVED), 0);
	assert_int_equal(store_agent_request(st, key), 0);
	assert_int_equal(store_agent_state(st, key, &s), 0);
	assert_int_equal(s, AGENT_APPROVED);
	assert_int_equal(store_agent_decide(st, key, AGENT_REVOKED), 0);
	assert_int_equal(store_agent_state(st, key, &s), 0);
	assert_int_equal(s, AGENT_REVOKED);
	assert_int_equal(store_each_agent(st, each_agent, &g), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.last, AGENT_REVOKED);
	assert_string_equal(agent_state_name(AGENT_REVOKED), "revoked");
}

struct chainwalk {
	int n;
	uint8_t prev[32];
	bool ok;
};

static int each_logged(void *ctx, const struct access_row *r)
{
	struct chainwalk *w = ctx;
	uint8_t h[32];

	store_access_hash(r, h);
	w->ok = w->ok && r->n == (uint64_t)w->n + 1 && !memcmp(r->prev, w->prev, 32) && !memcmp(r->hash, h, 32);
	memcpy(w->prev, r->hash, 32);
	w->n++;
	return 0;
}

/* The access log: numbered from 1, each entry chained to the one before,
 * its fields read back as written. */
static void test_store_access_log(void **state)
{
	struct chainwalk w = { .ok = true };

	(void)state;
	for (int i = 0; i < 3; i++) {
		struct access_row r = { .time_unix_nano = 1000 + (uint64_t)i, .principal = "jane", .role = "auditor",
					.method = "GET", .target = "/v1/events?kind=finding", .status = 200,
					.returned = (uint64_t)i };

		assert_int_equal(store_access_append(st, &r), 0);
		assert_int_equal(r.n, (uint64_t)i + 1);
	}
	assert_int_equal(store_each_access(st, each_logged, &w), 0);
	assert_int_equal(w.n, 3);
	assert_true(w.ok);
}

/* An SQLite store made before lineage (events without a fingerprint
 * column) gains the column when opened; its old findings are still found
 * by a fingerprint query (the caller reads their bytes). */
static void test_store_sqlite_gains_the_fingerprint_column(void **state)
{
	static const uint8_t fp[STORE_FINGERPRINT] = { 7 };
	char path[] = "/tmp/sealtap-oldstore-XXXXXX", err[256];
	int fd = mkstemp(path);
	sqlite3 *db;
	struct store *old;
	struct hits h = { 0 };

	(void)state;
	close(fd);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TABLE events (stream_id BLOB NOT NULL, seq INTEGER NOT NULL, bytes BLOB NOT NULL,"
				      " time_unix_nano INTEGER, kind TEXT, detector TEXT, severity TEXT, pod_uid TEXT,"
				      " model TEXT, PRIMARY KEY (stream_id, seq)) WITHOUT ROWID;"
				      "INSERT INTO events VALUES (x'01', 0, x'00', 5, 'finding', 'pii.email', 'medium',"
				      " NULL, NULL);",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	old = store_open(path, false, err, sizeof(err));
	if (!old)
		fail_msg("store_open: %s", err);
	assert_int_equal(store_begin(old), 0);
	assert_int_equal(store_put_event(old, id_a, 0, (const uint8_t *)"new", 3,
					 &(struct event_meta){ .time_unix_nano = 6, .kind = "finding", .fingerprint = fp }),
			 0);
	assert_int_equal(store_commit(old), 0);
	assert_int_equal(store_query(old, &(struct store_query){ .fingerprint = fp }, hit, &h), 0);
	assert_int_equal(h.n, 2);
	store_close(old);
	unlink(path);
}

int main(void)
{
	/* In order: each test adds to the store the ones before left. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_stream_rows),
		cmocka_unit_test(test_store_events_and_transactions),
		cmocka_unit_test(test_store_checkpoints),
		cmocka_unit_test(test_store_query_filters),
		cmocka_unit_test(test_store_agent_states),
		cmocka_unit_test(test_store_sqlite_gains_the_fingerprint_column),
		cmocka_unit_test(test_store_access_log),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
