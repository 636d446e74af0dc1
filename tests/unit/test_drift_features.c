// SPDX-License-Identifier: Apache-2.0
/* Drift features: the same numbers however the output is cut into deltas
 * (UTF-8 sequences split included), scripts, the refusal lexicon, finish
 * reasons, JSON validity only when JSON was asked for. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "detectors.h"
#include "drift_features.h"

static void finish_text(const char *text, struct exchange *x, struct drift_obs *o, size_t cut)
{
	struct drift_text t;
	size_t n = strlen(text);

	memset(&t, 0, sizeof(t));
	if (cut) {
		for (size_t i = 0; i < n; i += cut)
			drift_text_feed(&t, text + i, n - i < cut ? n - i : cut);
	} else {
		drift_text_feed(&t, text, n);
	}
	drift_features_finish(&t, x, NULL, o);
}

static struct exchange *new_exchange(const char *finish)
{
	struct exchange *x = exchange_new();
	struct x_choice *c = exchange_choice(x, 0);

	snprintf(c->finish_reason, sizeof(c->finish_reason), "%s", finish);
	x->status = 200;
	x->completion_tokens = -1;
	return x;
}

static void test_drift_features_same_at_every_split(void **state)
{
	const char *text = "Привет, мир! Hello — 你好，世界。 Καλημέρα 😀 done.";
	struct exchange *x = new_exchange("stop");
	struct drift_obs whole, part;

	(void)state;
	finish_text(text, x, &whole, 0);
	for (size_t cut = 1; cut <= strlen(text); cut++) {
		finish_text(text, x, &part, cut);
		assert_memory_equal(&whole, &part, sizeof(whole));
	}
	assert_true(whole.script == DS_CYRILLIC || whole.script == DS_LATIN || whole.script == DS_HAN);
	exchange_free(x);
}

static void test_drift_features_scripts_and_share(void **state)
{
	struct exchange *x = new_exchange("stop");
	struct drift_obs o;

	(void)state;
	finish_text("Это обычный ответ на русском языке.", x, &o, 0);
	assert_int_equal(o.script, DS_CYRILLIC);
	finish_text("これは日本語のカタカナとひらがなです", x, &o, 0);
	assert_int_equal(o.script, DS_KANA);
	finish_text("모델의 답변입니다", x, &o, 0);
	assert_int_equal(o.script, DS_HANGUL);
	finish_text("12345 !!! ???", x, &o, 0);
	assert_int_equal(o.script, DS_NONE);
	assert_true(fabsf(o.num[DN_NONLETTER] - 1.0f) < 1e-6);
	finish_text("abcd 1234", x, &o, 0); /* 4 letters of 8 non-space */
	assert_true(fabsf(o.num[DN_NONLETTER] - 0.5f) < 1e-6);
	assert_true(fabsf(o.num[DN_LENGTH] - (float)log1p(9)) < 1e-5);
	assert_true(fabsf(o.num[DN_TOKENS] - (float)log1p(9 / 4.0)) < 1e-5); /* none reported: characters / 4 */
	x->completion_tokens = 7;
	finish_text("abcd 1234", x, &o, 0);
	assert_true(fabsf(o.num[DN_TOKENS] - (float)log1p(7)) < 1e-5);
	exchange_free(x);
}

static void test_drift_features_refusal_finish_json_findings(void **state)
{
	struct exchange *x = new_exchange("length");
	struct drift_obs o;

	(void)state;
	finish_text("I\u2019m sorry, but I can\u2019t help with that.", x, &o, 0);
	assert_true(o.rate[DR_REFUSAL]); /* the typographic apostrophe folded */
	assert_true(o.rate[DR_FINISH_LENGTH] && o.finish == DFIN_LENGTH);
	finish_text("Here is the answer you asked for: I am sorry, but later.", x, &o, 0);
	assert_true(o.rate[DR_REFUSAL]); /* in the first 512 bytes */
	finish_text("A plain answer.", x, &o, 0);
	assert_false(o.rate[DR_REFUSAL]);
	assert_false(o.has_rate[DR_JSON_INVALID]); /* JSON not asked for: not counted */
	x->json_requested = true;
	xbuf_append(&x->choices[0].text, "{\"a\": 1", 7);
	finish_text("{\"a\": 1", x, &o, 0);
	assert_true(o.has_rate[DR_JSON_INVALID] && o.rate[DR_JSON_INVALID]);
	xbuf_append(&x->choices[0].text, "}", 1);
	finish_text("{\"a\": 1}", x, &o, 0);
	assert_false(o.rate[DR_JSON_INVALID]);
	x->output_categories = 1u << CAT_SECRET;
	finish_text("x", x, &o, 0);
	assert_true(o.rate[DR_FINDING_SECRET] && !o.rate[DR_FINDING_PII]);
	assert_false(o.has_rate[DR_OTHER_SCRIPT]); /* drift.c sets it, knowing the key's script */
	exchange_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drift_features_same_at_every_split),
		cmocka_unit_test(test_drift_features_scripts_and_share),
		cmocka_unit_test(test_drift_features_refusal_finish_json_findings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
