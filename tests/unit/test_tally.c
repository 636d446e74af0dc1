// SPDX-License-Identifier: Apache-2.0
/* The labelled counters behind /metrics (agent/judge/tally.c): exact
 * Prometheus lines for findings and exchanges, label values escaped, and
 * the bound: past TALLY_DETECTORS detectors or TALLY_MODELS models the rest
 * count as "other", so made-up model names cannot grow the agent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tally.h"

static char *prometheus(const struct tally *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	tally_write_prometheus(t, f);
	fclose(f);
	return buf;
}

static void has(const char *text, const char *line)
{
	if (!strstr(text, line))
		fail_msg("no line '%s' in:\n%s", line, text);
}

static void test_tally_exact_lines(void **state)
{
	const struct detector card = { .id = "financial.payment_card", .category = CAT_FINANCIAL,
				       .severity = SEV_HIGH };
	struct tally *t = tally_new();
	char *out;

	(void)state;
	assert_non_null(t);
	tally_finding(t, &card, true, 0);
	tally_finding(t, &card, false, 2);
	tally_finding(t, &card, false, 2);
	tally_finding(t, &card, false, 3);
	tally_exchange(t, "openai.chat", "gpt-4o");
	tally_exchange(t, "openai.chat", "gpt-4o");
	tally_exchange(t, "anthropic.messages", "say \"hi\"\\n");
	out = prometheus(t);
	has(out, "# TYPE sealtap_findings_total counter\n");
	has(out, "sealtap_findings_total{detector=\"financial.payment_card\",category=\"financial\",severity=\"high\","
		 "direction=\"input\",leak=\"none\"} 1\n");
	has(out, "sealtap_findings_total{detector=\"financial.payment_card\",category=\"financial\",severity=\"high\","
		 "direction=\"output\",leak=\"novel\"} 2\n");
	has(out, "sealtap_findings_total{detector=\"financial.payment_card\",category=\"financial\",severity=\"high\","
		 "direction=\"output\",leak=\"cross_identity\"} 1\n");
	assert_null(strstr(out, "leak=\"echo\"")); /* zero counts are not written */
	has(out, "sealtap_exchanges_total{api=\"openai.chat\",model=\"gpt-4o\"} 2\n");
	has(out, "sealtap_exchanges_total{api=\"anthropic.messages\",model=\"say \\\"hi\\\"\\\\n\"} 1\n");
	free(out);
	tally_free(t);
}

static void test_tally_bounded_by_other(void **state)
{
	static char ids[TALLY_DETECTORS + 5][32];
	struct detector d[TALLY_DETECTORS + 5];
	struct tally *t = tally_new();
	char model[32], first_other[40], *out;

	(void)state;
	for (int i = 0; i < TALLY_DETECTORS + 5; i++) {
		snprintf(ids[i], sizeof(ids[i]), "custom.d%d", i);
		d[i] = (struct detector){ .id = ids[i], .category = CAT_SECRET, .severity = SEV_LOW };
		tally_finding(t, &d[i], false, 2);
	}
	for (int i = 0; i < TALLY_MODELS + 3; i++) {
		snprintf(model, sizeof(model), "made-up-%d", i);
		tally_exchange(t, "openai.chat", model);
	}
	out = prometheus(t);
	has(out, "detector=\"custom.d0\"");
	has(out, "sealtap_findings_total{detector=\"other\",category=\"other\",severity=\"other\","
		 "direction=\"output\",leak=\"novel\"} 5\n");
	snprintf(first_other, sizeof(first_other), "detector=\"custom.d%d\"", TALLY_DETECTORS);
	assert_null(strstr(out, first_other)); /* the first past the bound is "other" */
	has(out, "sealtap_exchanges_total{api=\"other\",model=\"other\"} 3\n");
	snprintf(first_other, sizeof(first_other), "model=\"made-up-%d\"", TALLY_MODELS);
	assert_null(strstr(out, first_other));
	free(out);
	tally_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tally_exact_lines),
		cmocka_unit_test(test_tally_bounded_by_other),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
