// SPDX-License-Identifier: Apache-2.0
/* The evidence report's HTML (collector/report.c): every string from the
 * record escaped (a model name, a node, a rule can hold markup), lists cut
 * with the rest counted, and no script or fetched resource in it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report.h"
#include "store.h"

static char *render(const struct period *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	report_html(f, p, "/var/lib/<store>.db", NULL);
	fclose(f);
	return buf;
}

static void test_report_escapes_what_the_record_holds(void **state)
{
	struct period *p = calloc(1, sizeof(*p));
	char *html;

	(void)state;
	p->since_ns = 1796300000000000000ull;
	p->until_ns = p->since_ns + 3600000000000ull;
	p->nagents = 1;
	snprintf(p->agent[0].node, sizeof(p->agent[0].node), "node\"><img src=x onerror=alert(1)>");
	p->models.n = 1;
	snprintf(p->models.row[0].name, sizeof(p->models.row[0].name), "<script>alert('m')</script>");
	p->models.row[0].n = 3;
	p->findings = 3;
	p->violation_list.n = 1;
	snprintf(p->violation_list.item[0].what, sizeof(p->violation_list.item[0].what), "rule&<b>");
	p->violation_list.more = 7;
	html = render(p);
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<img"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(&#39;m&#39;)&lt;/script&gt;"));
	assert_non_null(strstr(html, "node&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
	assert_non_null(strstr(html, "rule&amp;&lt;b&gt;"));
	assert_non_null(strstr(html, "/var/lib/&lt;store&gt;.db"));
	assert_non_null(strstr(html, "and 7 more"));
	assert_non_null(strstr(html, "id=t-findings>3<"));
	assert_non_null(strstr(html, "2026-12-03T"));
	assert_null(strstr(html, "http://"));
	assert_null(strstr(html, "https://"));
	free(html);
	free(p);
}

/* A report names its store; a PostgreSQL URI's password is not written. */
static void test_report_store_name_without_password(void **state)
{
	static const char *const cases[][2] = {
		{ "postgresql://auditor:s3cret@db.internal:5432/sealtap", "postgresql://auditor:***@db.internal:5432/sealtap" },
		{ "postgres://u@h/db?password=s3cret&sslmode=require", "postgres://u@h/db?password=***&sslmode=require" },
		{ "postgresql:///db?host=/run/pg&port=5433", "postgresql:///db?host=/run/pg&port=5433" },
		{ "postgresql://h:5432/db", "postgresql://h:5432/db" },
		{ "/var/lib/sealtap/store.db", "/var/lib/sealtap/store.db" },
	};
	char out[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		store_redacted(cases[i][0], out, sizeof(out));
		assert_string_equal(out, cases[i][1]);
	}
	store_redacted(cases[0][0], out, 20); /* cut short, never past the buffer */
	assert_int_equal(strlen(out), 19);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_escapes_what_the_record_holds),
		cmocka_unit_test(test_report_store_name_without_password),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
