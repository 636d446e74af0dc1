// SPDX-License-Identifier: Apache-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "spool.h"

struct seen {
	int events, checkpoints;
	uint64_t last_event_seq, last_cp_seq;
	int bad;
};

static int count(void *ctx, enum spool_type type, uint64_t seq, const uint8_t *data, size_t len)
{
	struct seen *s = ctx;
	char want[64];

	if (type == SPOOL_EVENT) {
		snprintf(want, sizeof(want), "event %llu", (unsigned long long)seq);
		if (s->events && seq != s->last_event_seq + 1)
			s->bad++;
		s->events++;
		s->last_event_seq = seq;
	} else {
		snprintf(want, sizeof(want), "checkpoint %llu", (unsigned long long)seq);
		s->checkpoints++;
		s->last_cp_seq = seq;
	}
	if (len < strlen(want) || memcmp(data, want, strlen(want)) != 0)
		s->bad++;
	return 0;
}

static char dir[64];

static void fresh_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/sealtap-spool-XXXXXX");
	assert_non_null(mkdtemp(dir));
}

static void rm_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Appends events [from, to) with a payload of pad bytes, a checkpoint every 10. */
static void append_events(struct spool *s, uint64_t from, uint64_t to, size_t pad)
{
	static char buf[8192];

	for (uint64_t i = from; i < to; i++) {
		int n = snprintf(buf, sizeof(buf), "event %llu", (unsigned long long)i);

		memset(buf + n, 'x', pad);
		assert_int_equal(spool_append(s, SPOOL_EVENT, i, buf, (size_t)n + pad), 0);
		if ((i + 1) % 10 == 0) {
			n = snprintf(buf, sizeof(buf), "checkpoint %llu", (unsigned long long)(i + 1));
			assert_int_equal(spool_append(s, SPOOL_CHECKPOINT, i + 1, buf, (size_t)n), 0);
		}
	}
}

static void test_spool_replays_what_was_appended(void **state)
{
	struct seen seen = { 0 };
	char err[256];
	struct spool *s;

	(void)state;
	fresh_dir();
	s = spool_open(dir, 1 << 30, NULL, NULL, err, sizeof(err));
	assert_non_null(s);
	append_events(s, 0, 25, 10);
	assert_int_equal(spool_sync(s), 0);
	spool_close(s);
	s = spool_open(dir, 1 << 30, count, &seen, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(seen.bad, 0);
	assert_int_equal(seen.events, 25);
	assert_int_equal(seen.checkpoints, 2);
	assert_int_equal(seen.last_cp_seq, 20);
	/* Reading a range: events 12..17 and the checkpoint at 20 is outside. */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(spool_read(s, 12, 18, count, &seen), 0);
	assert_int_equal(seen.events, 6);
	assert_int_equal(seen.checkpoints, 0);
	spool_close(s);
	rm_dir();
}

/* A crash mid-append leaves a torn record: it is cut, counted, and the
 * spool goes on from the last intact one. */
static void test_spool_cuts_a_torn_tail(void **state)
{
	struct seen seen = { 0 };
	char err[256], path[128];
	struct spool *s;
	struct stat st;

	(void)state;
	fresh_dir();
	s = spool_open(dir, 1 << 30, NULL, NULL, err, sizeof(err));
	append_events(s, 0, 5, 100);
	spool_close(s);
	snprintf(path, sizeof(path), "%s/0000000000000001.seg", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size - 7), 0); /* the last event loses its end */
	s = spool_open(dir, 1 << 30, count, &seen, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(seen.events, 4);
	assert_int_equal(spool_stats(s)->torn_tail_bytes, 17 + 7 + 100 - 7); /* header, "event 4", padding, less the cut */
	append_events(s, 4, 6, 100);
	spool_close(s);
	memset(&seen, 0, sizeof(seen));
	s = spool_open(dir, 1 << 30, count, &seen, err, sizeof(err));
	assert_int_equal(seen.events, 6);
	assert_int_equal(seen.bad, 0);
	spool_close(s);
	rm_dir();
}

static void test_spool_rotates_releases_and_fills(void **state)
{
	struct seen seen = { 0 };
	char err[256], path[512];
	struct spool *s;
	uint64_t segs;
	int fd;

	(void)state;
	fresh_dir();
	s = spool_open(dir, 64 << 20, NULL, NULL, err, sizeof(err));
	append_events(s, 0, 3000, 4000); /* ~12 MB: several 4 MiB segments */
	segs = spool_stats(s)->segments;
	assert_true(segs >= 3);
	/* Acknowledged through 2000: the segments holding only older events go. */
	spool_release(s, 2000);
	assert_true(spool_stats(s)->segments < segs);
	assert_true(spool_stats(s)->deleted_segments > 0);
	spool_close(s);
	s = spool_open(dir, 64 << 20, count, &seen, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(seen.bad, 0);
	assert_int_equal(seen.last_event_seq, 2999);
	assert_true(seen.events <= 2000 && seen.events >= 1000);
	/* A kept segment begins with the newest checkpoint before it. */
	assert_true(seen.checkpoints > 0);
	spool_close(s);
	/* Full: events refused and counted; checkpoints still accepted. */
	s = spool_open(dir, 1, NULL, NULL, err, sizeof(err));
	assert_int_equal(spool_append(s, SPOOL_EVENT, 3000, "event 3000", 10), -ENOSPC);
	assert_int_equal(spool_stats(s)->refused_full, 1);
	assert_int_equal(spool_append(s, SPOOL_CHECKPOINT, 3000, "checkpoint 3000", 15), 0);
	spool_close(s);
	/* Damage before the last segment: refused, with the place named. */
	{
		DIR *d = opendir(dir);
		struct dirent *e;
		char first[256] = "";

		while ((e = readdir(d)))
			if (strstr(e->d_name, ".seg") && (!first[0] || strcmp(e->d_name, first) < 0))
				snprintf(first, sizeof(first), "%s", e->d_name);
		closedir(d);
		snprintf(path, sizeof(path), "%s/%s", dir, first);
	}
	fd = open(path, O_WRONLY);
	assert_int_equal(pwrite(fd, "\xff", 1, 40), 1);
	close(fd);
	assert_null(spool_open(dir, 64 << 20, NULL, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "damaged record"));
	rm_dir();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spool_replays_what_was_appended),
		cmocka_unit_test(test_spool_cuts_a_torn_tail),
		cmocka_unit_test(test_spool_rotates_releases_and_fills),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
