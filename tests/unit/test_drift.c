// SPDX-License-Identifier: Apache-2.0
/* The drift engine through drift_observe: a model change, keys evicted
 * past the cap, state saved and loaded, and a damaged state file set
 * aside; banned content matched across deltas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "banned.h"
#include "drift.h"

struct seen {
	int alerts, model_changes;
	char last_feature[64];
};

static void on_alert(void *ctx, const struct drift_alert *a, const struct exchange *x)
{
	struct seen *s = ctx;

	(void)x;
	s->alerts++;
	s->model_changes += strcmp(a->layer, "model_change_event") == 0;
	snprintf(s->last_feature, sizeof(s->last_feature), "%s", a->feature);
}

static void obs(struct drift_obs *o, int i)
{
	memset(o, 0, sizeof(*o));
	for (int f = 0; f < DN__MAX; f++) {
		o->num[f] = (float)(5 + 0.3 * ((i * 7919 + f * 31) % 100) / 100.0);
		o->has_num[f] = true;
	}
	for (int r = 0; r < DR__MAX - 1; r++)
		o->has_rate[r] = true;
	o->finish = DFIN_STOP;
	o->script = DS_LATIN;
	o->ngram[i % DRIFT_NGRAM] = 3;
}

static void test_drift_model_change_and_eviction(void **state)
{
	struct seen s = { 0 };
	char err[256];
	struct drift *d = drift_new(&(struct drift_opts){ .max_keys = 2, .on_alert = on_alert, .alert_ctx = &s }, err,
				    sizeof(err));
	struct drift_obs o;

	(void)state;
	assert_non_null(d);
	for (int i = 0; i < 300; i++) {
		obs(&o, i);
		drift_observe(d, "a|/v1/chat/completions|m", "m-1", "fp1", &o, (uint64_t)i, NULL);
	}
	assert_int_equal(s.model_changes, 0);
	drift_observe(d, "a|/v1/chat/completions|m", "m-2", "fp1", &o, 301, NULL);
	assert_int_equal(s.model_changes, 1);
	drift_observe(d, "a|/v1/chat/completions|m", "m-2", "fp2", &o, 302, NULL); /* the fingerprint too */
	assert_int_equal(s.model_changes, 2);
	drift_observe(d, "b|/v1/chat/completions|m", "m", "", &o, 303, NULL);
	drift_observe(d, "c|/v1/chat/completions|m", "m", "", &o, 304, NULL);
	assert_int_equal(drift_get_stats(d)->keys, 2);
	assert_int_equal(drift_get_stats(d)->keys_evicted, 1);
	drift_free(d);
}

static void test_drift_state_saved_loaded_and_damage_set_aside(void **state)
{
	char path[] = "/tmp/sealtap-drift-state-XXXXXX", err[256];
	struct seen s = { 0 };
	struct drift_opts opts = { .on_alert = on_alert, .alert_ctx = &s };
	struct drift *d;
	struct drift_obs o;
	FILE *f;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	opts.state_path = path;
	d = drift_new(&opts, err, sizeof(err));
	for (int i = 0; i < 500; i++) {
		obs(&o, i);
		drift_observe(d, "a|/x|m", "m-1", "", &o, (uint64_t)i, NULL);
	}
	drift_free(d); /* saves */
	d = drift_new(&opts, err, sizeof(err));
	assert_int_equal(drift_get_stats(d)->state_loaded_keys, 1);
	assert_int_equal(drift_get_stats(d)->state_errors, 0);
	/* Loaded as it was: the same model, so no model change. */
	drift_observe(d, "a|/x|m", "m-1", "", &o, 501, NULL);
	assert_int_equal(s.model_changes, 0);
	drift_free(d);
	/* One byte altered: the whole file is set aside, not half used. */
	f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, 5000, SEEK_SET);
	fputc(0x5a ^ fgetc(f), f);
	fclose(f);
	d = drift_new(&opts, err, sizeof(err));
	assert_int_equal(drift_get_stats(d)->state_loaded_keys, 0);
	assert_int_equal(drift_get_stats(d)->state_errors, 1);
	assert_int_equal(drift_get_stats(d)->keys, 0);
	drift_free(d);
	unlink(path);
}

/* The window layer sees what no fast detector watches: the outputs' 3-gram
 * profile changing (text of another kind) with lengths and rates as before. */
static void test_drift_window_layer_profile_change(void **state)
{
	struct seen s = { 0 };
	char err[256];
	struct drift *d = drift_new(&(struct drift_opts){ .on_alert = on_alert, .alert_ctx = &s }, err, sizeof(err));
	struct drift_obs o;
	int at = -1;

	(void)state;
	for (int i = 0; i < 12000 && at < 0; i++) {
		obs(&o, i);
		if (i >= 8000) {
			memset(o.ngram, 0, sizeof(o.ngram));
			o.ngram[i % 4] = 3;
		}
		drift_observe(d, "a|/x|m", "m-1", "", &o, (uint64_t)i, NULL);
		if (s.alerts && strcmp(s.last_feature, "char_3grams") == 0)
			at = i;
	}
	assert_true(s.alerts == 1); /* nothing else moved */
	assert_true(at >= 8000 && at < 8000 + 3 * DRIFT_WINDOW);
	assert_int_equal(drift_get_stats(d)->alerts_window, 1);
	drift_free(d);
}

static void hit(void *ctx, unsigned line)
{
	((unsigned *)ctx)[line < 8 ? line : 0]++;
}

static void test_banned_across_deltas_caseless_and_bad_rules(void **state)
{
	char path[] = "/tmp/sealtap-banned-XXXXXX", err[256];
	unsigned hits[8] = { 0 };
	struct banned *b;
	struct banned_stream *s;
	int fd = mkstemp(path);
	const char rules[] = "# rules\nsecret recipe\n\nre:code\\s+\\d{4}\n";

	(void)state;
	assert_true(write(fd, rules, sizeof(rules) - 1) == (ssize_t)(sizeof(rules) - 1));
	close(fd);
	b = banned_load(path, err, sizeof(err));
	assert_non_null(b);
	assert_int_equal(banned_rules(b), 2);
	s = banned_open(b, hit, hits);
	banned_feed(s, "the SECRET re", 13);
	banned_feed(s, "cipe and the Code  12", 21);
	assert_int_equal(hits[2], 1);
	assert_int_equal(hits[4], 0);
	banned_feed(s, "34 and secret recipe again", 26);
	banned_close(s);
	assert_int_equal(hits[2], 1); /* once per text */
	assert_int_equal(hits[4], 1);
	banned_free(b);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(write(fd, "ok\nre:(unclosed\n", 16) == 16);
	close(fd);
	assert_null(banned_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, ":2: not a valid pattern"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drift_model_change_and_eviction),
		cmocka_unit_test(test_drift_state_saved_loaded_and_damage_set_aside),
		cmocka_unit_test(test_drift_window_layer_profile_change),
		cmocka_unit_test(test_banned_across_deltas_caseless_and_bad_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
