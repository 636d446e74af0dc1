// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "gate.h"

#define ALL (GATE_CARD | GATE_SSN | GATE_DIGITS7 | GATE_IBAN | GATE_IPV4 | GATE_IPV6 | GATE_ALNUM26)

/* The offsets gate_mark marks in text, as a string "3 9 12" ("" for none),
 * with the text placed at offset `at` of a 300-byte buffer of spaces so
 * that shapes straddle the 64-byte blocks at some of the offsets. */
static void marked(unsigned shapes, const char *text, size_t at, char *out, size_t outsz)
{
	char buf[300];
	uint64_t marks[(sizeof(buf) + 63) / 64];
	size_t len = strlen(text), used = 0;

	memset(buf, ' ', sizeof(buf));
	memcpy(buf + at, text, len);
	gate_mark(shapes, buf, at + len, marks);
	out[0] = '\0';
	for (size_t i = 0; i < at + len; i++)
		if (marks[i / 64] >> (i % 64) & 1)
			used += (size_t)snprintf(out + used, outsz - used, "%s%zu", used ? " " : "", i - at);
}

struct shape_case {
	unsigned shapes;
	const char *text;
	const char *ends; /* where a shape ends, relative to the text */
};

static const struct shape_case cases[] = {
	/* dddd?dddd: each end of a second group of four */
	{ GATE_CARD, "4111 1111 1111 1111", "8 13 18" },
	{ GATE_CARD, "4111-1111", "8" },
	{ GATE_CARD, "41111111", "7" },
	{ GATE_CARD, "4111  1111 12 3456", "" },
	/* -dd-dd */
	{ GATE_SSN, "123-45-6789", "8" },
	{ GATE_SSN, "2024-01-15", "9" }, /* a loose shape: the database decides */
	{ GATE_SSN, "12-345-6789", "" },
	{ GATE_SSN, "a-12-34b", "6" },
	/* seven digits */
	{ GATE_DIGITS7, "AB1234563", "8" },
	{ GATE_DIGITS7, "123456", "" },
	/* UUdd */
	{ GATE_IBAN, "GB82 WEST", "3" },
	{ GATE_IBAN, "Gb82 gB82", "" },
	/* d.d, up to two bytes, .d (the second dot three to five bytes after the first digit) */
	{ GATE_IPV4, "10.0.0.1", "5 7" },
	{ GATE_IPV4, "192.168.1.1", "8 10" },
	{ GATE_IPV4, "3.14 and 2.5.", "" },
	/* colons at most five apart */
	{ GATE_IPV6, "fe80::1", "5" },
	{ GATE_IPV6, "2001:db8:0:1", "8 10" },
	{ GATE_IPV6, "{\"a\":1,\"bb\":2}", "" },
	{ GATE_IPV6, "a:bcdef:g", "" },
	/* 26 letters and digits in a row: every end from the 26th on */
	{ GATE_ALNUM26, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "25 26 27 28 29 30 31 32 33" },
	{ GATE_ALNUM26, "1BvBMSEYstWetqTFn5Au4m4GF", "" },
	/* a shape not asked for is not marked */
	{ GATE_IPV6, "4111 1111 1111 1111 123-45-6789", "" },
	/* none in prose with a few numbers */
	{ ALL, "Revenue grew 12% in Q3 2024; see section 4.2 of the report.", "" },
};

static void test_gate_marks_where_shapes_end(void **state)
{
	char got[512];

	(void)state;
	/* Both instruction-set paths on x86 (where the CPU has AVX2). */
	for (int avx2 = 0; avx2 <= 1; avx2++) {
		gate_avx2 = avx2;
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			for (size_t at = 40; at <= 70; at++) {
				marked(cases[i].shapes, cases[i].text, at, got, sizeof(got));
				if (strcmp(got, cases[i].ends) != 0)
					fail_msg("case %zu \"%s\" at %zu (avx2 %d): marks \"%s\", want \"%s\"", i,
						 cases[i].text, at, gate_avx2, got, cases[i].ends);
			}
	}
}

/* A shape cut off by the end of the text is not marked: its rest has not
 * arrived (the classifier looks again once it has). */
static void test_gate_no_mark_past_the_end(void **state)
{
	char got[512];

	(void)state;
	marked(GATE_CARD, "4111 111", 60, got, sizeof(got));
	assert_string_equal(got, "");
	marked(GATE_CARD, "4111 1111", 60, got, sizeof(got));
	assert_string_equal(got, "8");
}

/* A 26-character run is marked only when a digit is near its start (every
 * wallet address has one in its first three characters); a run of letters
 * alone, far from any digit or colon, is passed over. */
static void test_gate_letter_runs(void **state)
{
	char got[512];

	(void)state;
	marked(GATE_ALNUM26, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz", 70, got,
	       sizeof(got));
	assert_string_equal(got, "");
	/* 42 characters: the 26th to the last each end a run */
	marked(GATE_ALNUM26, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", 70, got, sizeof(got));
	assert_string_equal(got, "25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gate_marks_where_shapes_end),
		cmocka_unit_test(test_gate_no_mark_past_the_end),
		cmocka_unit_test(test_gate_letter_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
