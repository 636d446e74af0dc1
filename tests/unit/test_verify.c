// SPDX-License-Identifier: Apache-2.0
/* The store checked offline (collector/verify.c): a store that ingest
 * filled verifies; then each kind of damage an attacker with write access
 * to the database could do (an event's bytes altered, an event deleted,
 * two swapped, the end cut off, a checkpoint replaced) is named, with the
 * record it concerns. SQLite in a temporary file, altered with SQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "evidence_agent.h"
#include "verify.h"

#define EVENTS 6

static char path[64];

/* A store holding one agent's stream of EVENTS events, two batches. */
static void fill_store(void)
{
	struct collector col;
	struct agent a;
	struct ingest_result r;
	char note[NOTE_MAX];
	struct batch b;
	int fd;

	snprintf(path, sizeof(path), "/tmp/sealtap-verify-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	agent_init(&a, 0x07, 0x33);
	collector_init(&col, &a, path);
	for (uint64_t half = 0; half < 2; half++) {
		for (int i = 0; i < EVENTS / 2; i++)
			agent_event(&a, (uint64_t)i);
		b = make_batch(&a, half * EVENTS / 2, (half + 1) * EVENTS / 2, note,
			       agent_checkpoint(&a, note, sizeof(note)));
		ingest_batch(&col, b.bytes, b.len, &r);
		assert_int_equal(r.status, 200);
		ingest_result_release(&r);
		free(b.bytes);
	}
	collector_release(&col);
	note_signer_free(a.key);
}

static void sql(const char *statement)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, statement, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", statement, sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* verify_store's problem count, and its report into out. */
static int verify(char *out, size_t cap)
{
	char err[256];
	struct store *s = store_open(path, false, err, sizeof(err));
	uint64_t streams = 0, events = 0;
	FILE *f = fmemopen(out, cap, "w");
	int n;

	assert_non_null(s);
	assert_non_null(f);
	n = verify_store(s, NULL, f, &streams, &events);
	fclose(f);
	store_close(s);
	assert_int_equal(streams, 1);
	return n;
}

static void expect_problem(const char *damage, const char *named)
{
	char report[4096] = "";

	fill_store();
	sql(damage);
	assert_true(verify(report, sizeof(report)) > 0);
	if (!strstr(report, named))
		fail_msg("after %s the report lacks '%s':\n%s", damage, named, report);
	unlink(path);
}

static void test_verify_a_store_ingest_filled(void **state)
{
	char report[4096] = "";

	(void)state;
	fill_store();
	assert_int_equal(verify(report, sizeof(report)), 0);
	assert_string_equal(report, "");
	unlink(path);
}

static void test_verify_names_each_damage(void **state)
{
	(void)state;
	/* A byte of event 4's payload (its node name) changed: it still
	 * decodes and chains to 3, but 5's link and the root no longer hold. */
	expect_problem("UPDATE events SET bytes = CAST(replace(CAST(bytes AS TEXT), 'unit', 'evil') AS BLOB) "
		       "WHERE seq = 4",
		       "event 5: does not chain to event 4 (one of the two altered)");
	/* Each named exactly when the record allows it (checkpoints at 3 and
	 * 6): event 1 (event 2 does not chain to it, event 3 chains to 2);
	 * event 2, the last under the checkpoint at 3 (event 3 chains to
	 * another event 2); event 5, the last of all, only to within the events
	 * since the checkpoint that verified. */
	expect_problem("UPDATE events SET bytes = CAST(replace(CAST(bytes AS TEXT), 'unit', 'evil') AS BLOB) "
		       "WHERE seq = 1",
		       "event 1: altered (event 2 does not chain to it; event 3 chains to event 2)");
	expect_problem("UPDATE events SET bytes = CAST(replace(CAST(bytes AS TEXT), 'unit', 'evil') AS BLOB) "
		       "WHERE seq = 2",
		       "event 2: altered (the checkpoint at size 3 does not match, and event 3 chains to another");
	expect_problem("UPDATE events SET bytes = CAST(replace(CAST(bytes AS TEXT), 'unit', 'evil') AS BLOB) "
		       "WHERE seq = 5",
		       "checkpoint at size 6: its root is not the root of the stored events (one of events 3..5");
	expect_problem("DELETE FROM events WHERE seq = 2", "event 2 missing");
	/* Two events swapped: each sits at the other's number. */
	expect_problem("UPDATE events SET seq = -1 WHERE seq = 1; UPDATE events SET seq = 1 WHERE seq = 2; "
		       "UPDATE events SET seq = 2 WHERE seq = -1",
		       "event 1: holds sequence number 2");
	expect_problem("DELETE FROM events WHERE seq >= 4", "4 events stored, the stream says 6");
	/* The checkpoint at 6 replaced by the one at 3: not a checkpoint of
	 * that size. */
	expect_problem("UPDATE checkpoints SET note = (SELECT note FROM checkpoints WHERE size = 3) WHERE size = 6",
		       "checkpoint at size 6: not a checkpoint of this stream");
	expect_problem("UPDATE events SET bytes = X'ff' WHERE seq = 0", "event 0: not an Event");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_a_store_ingest_filled),
		cmocka_unit_test(test_verify_names_each_damage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
