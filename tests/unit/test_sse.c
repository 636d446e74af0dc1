// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sse.h"

static char got[4096];

static void on_event(void *ctx, const char *event, const char *data, size_t len, bool truncated)
{
	(void)ctx;
	snprintf(got + strlen(got), sizeof(got) - strlen(got), "[%s|%.*s%s]", event, (int)len, data,
		 truncated ? "|T" : "");
}

/* Feeds text split at every position (and byte by byte) and expects the
 * same events each time. */
static void expect_events(const char *text, const char *want)
{
	size_t n = strlen(text);
	struct sse_parser p;

	for (size_t k = 0; k <= n; k++) {
		got[0] = '\0';
		sse_init(&p, on_event, NULL);
		sse_feed(&p, (const uint8_t *)text, k);
		sse_feed(&p, (const uint8_t *)text + k, n - k);
		sse_release(&p);
		if (strcmp(got, want))
			fail_msg("split at %zu: got %s want %s", k, got, want);
	}
	got[0] = '\0';
	sse_init(&p, on_event, NULL);
	for (size_t i = 0; i < n; i++)
		sse_feed(&p, (const uint8_t *)text + i, 1);
	sse_release(&p);
	assert_string_equal(got, want);
}

static void test_sse_openai_style(void **state)
{
	(void)state;
	expect_events("data: {\"a\":1}\n\ndata: [DONE]\n\n", "[|{\"a\":1}][|[DONE]]");
}

static void test_sse_named_events_and_multiline_data(void **state)
{
	(void)state;
	expect_events("event: content_block_delta\ndata: line1\ndata: line2\n\n",
		      "[content_block_delta|line1\nline2]");
	/* The event name applies to one event only. */
	expect_events("event: x\ndata: 1\n\ndata: 2\n\n", "[x|1][|2]");
}

static void test_sse_line_endings_comments_and_fields(void **state)
{
	(void)state;
	expect_events(": keep-alive\r\ndata:no-space\r\n\r\ndata:  two spaces\r\r", "[|no-space][| two spaces]");
	expect_events("id: 7\nretry: 100\nunknown: x\ndata\n\n", "[|]");
	/* No blank line at the end: not dispatched. */
	expect_events("data: pending\n", "");
}

/* Lines longer than the line-end scan's 16-byte steps, ending at every
 * offset within a step, with each kind of ending, fed whole (the event
 * handed over in place) and split everywhere: the ends the scan finds are
 * the bytes' own. */
static void test_sse_long_lines_end_where_they_end(void **state)
{
	static const char *const endings[] = { "\n\n", "\r\n\r\n", "\r\r", "\n" };
	char text[512], want[512], value[160];

	(void)state;
	for (size_t len = 60; len < 100; len += 3)
		for (size_t e = 0; e < 4; e++) {
			for (size_t i = 0; i < len; i++)
				value[i] = (char)('a' + i % 26);
			value[len] = '\0';
			if (e == 3) /* two data lines, joined with LF */
				snprintf(text, sizeof(text), "data: %s\ndata: %s\n\n", value, value + len / 2),
					snprintf(want, sizeof(want), "[|%s\n%s]", value, value + len / 2);
			else
				snprintf(text, sizeof(text), "data: %s%s", value, endings[e]),
					snprintf(want, sizeof(want), "[|%s]", value);
			expect_events(text, want);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sse_openai_style),
		cmocka_unit_test(test_sse_named_events_and_multiline_data),
		cmocka_unit_test(test_sse_line_endings_comments_and_fields),
		cmocka_unit_test(test_sse_long_lines_end_where_they_end),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
