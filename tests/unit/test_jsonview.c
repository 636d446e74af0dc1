// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "jsonview.h"

static void unescaped(const char *in, const char *want)
{
	struct xbuf b;

	xbuf_init(&b, 1024);
	json_unescape(in, strlen(in), &b);
	assert_string_equal(b.p ? b.p : "", want);
	xbuf_release(&b);
}

static void test_jsonview_unescape(void **state)
{
	(void)state;
	unescaped("plain", "plain");
	unescaped("a\\n\\t\\\"\\\\\\/\\b\\f\\r", "a\n\t\"\\/\b\f\r");
	unescaped("\\u00e9\\u20ac\\ud83d\\ude00", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	/* A lone high or low surrogate, a bad hex digit, an unknown escape and a
	 * trailing backslash each become U+FFFD; the text around them survives. */
	unescaped("x\\ud83dy", "x\xef\xbf\xbdy");
	unescaped("x\\ude00y", "x\xef\xbf\xbdy");
	unescaped("x\\u12g4y", "x\xef\xbf\xbd" "12g4y");
	unescaped("x\\qy", "x\xef\xbf\xbdy");
	unescaped("x\\", "x\xef\xbf\xbd");
}

static void test_jsonview_navigation(void **state)
{
	const char *js = "{\"a\":{\"deep\":[1,{\"k\":\"v\"}]},\"list\":[\"x\",[9,9],\"z\"],\"n\":-42,\"t\":true,"
			 "\"obj\":{\"q\":1}} \n";
	struct jdoc d;
	struct xbuf raw;
	int list, e, seen = 0;
	int64_t n;
	char v[8];

	(void)state;
	assert_int_equal(jdoc_parse(&d, js, strlen(js)), 0);
	assert_true(jdoc_copy_str(&d, jdoc_get(&d, jdoc_at(&d, jdoc_get(&d, jdoc_get(&d, 0, "a"), "deep"), 1), "k"),
				  v, sizeof(v)));
	assert_string_equal(v, "v");
	list = jdoc_get(&d, 0, "list");
	assert_int_equal(jdoc_len(&d, list), 3);
	for (e = jdoc_first(&d, list); e >= 0; e = jdoc_next(&d, list, e))
		seen++;
	assert_int_equal(seen, 3);
	assert_true(jdoc_str_is(&d, jdoc_at(&d, list, 2), "z"));
	assert_true(jdoc_int(&d, jdoc_get(&d, 0, "n"), &n) && n == -42);
	assert_true(jdoc_true(&d, jdoc_get(&d, 0, "t")));
	assert_int_equal(jdoc_get(&d, 0, "missing"), -1);
	assert_int_equal(jdoc_get(&d, -1, "a"), -1);
	xbuf_init(&raw, 100);
	jdoc_append_raw(&d, jdoc_get(&d, 0, "obj"), &raw);
	assert_string_equal(raw.p, "{\"q\":1}");
	xbuf_release(&raw);
	jdoc_release(&d);
}

/* A repeated key reads as its last value, as JSON.parse and Python's json
 * read it: a server repeating "content" must not show us other text than
 * the client displays. Copies into fixed fields cut, with or without
 * escapes. */
static void test_jsonview_duplicate_keys_and_copies(void **state)
{
	const char *js = "{\"content\":\"decoy\",\"k\":1,\"content\":\"real \\u00e9\",\"long\":\"abcdefghij\"}";
	struct jdoc d;
	char v[16], small[5];

	(void)state;
	assert_int_equal(jdoc_parse(&d, js, strlen(js)), 0);
	assert_true(jdoc_copy_str(&d, jdoc_get(&d, 0, "content"), v, sizeof(v)));
	assert_string_equal(v, "real \xc3\xa9");
	assert_true(jdoc_copy_str(&d, jdoc_get(&d, 0, "long"), small, sizeof(small)));
	assert_string_equal(small, "abcd");
	assert_true(jdoc_copy_str(&d, jdoc_get(&d, 0, "content"), small, sizeof(small)));
	assert_string_equal(small, "real");
	assert_false(jdoc_copy_str(&d, jdoc_get(&d, 0, "k"), v, sizeof(v)));
	jdoc_release(&d);
}

static void test_jsonview_rejects(void **state)
{
	static const char *const bad[] = {
		"", "42", "\"s\"", "{\"a\":1} x", "{\"a\":", "{\"a\" 1}", "[1,2",
		/* the grammar's corners a lenient tokeniser lets through */
		"[01]", "[1.]", "[.5]", "[1e]", "[-]", "[+1]", "[1,]", "[,1]", "{\"a\":1,}", "{1:2}", "[tru]",
		"[truex]", "[\"\\x\"]", "[\"\\u12g4\"]", "[\"tab\there\"]", "{\"a\":1}{}", "[1 2]", "{\"a\":1 \"b\":2}",
		"[\"unterminated]",
	};
	static const char *const good[] = {
		"[0,-0,1.5,-2e10,3E+2,4e-1,true,false,null]", " {\"a\" : [ ] , \"b\":{}} \n",
		"[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"]", "[\"caf\xc3\xa9 long enough to take the 16-byte path\"]",
	};
	struct jdoc d;
	char big[4096];
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (jdoc_parse(&d, bad[i], strlen(bad[i])) != -EBADMSG)
			fail_msg("accepted %s", bad[i]);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (jdoc_parse(&d, good[i], strlen(good[i])) != 0)
			fail_msg("refused %s", good[i]);
		jdoc_release(&d);
	}
	/* 64 levels deep is the limit, 65 is refused. */
	memset(big, '[', 64), memset(big + 64, ']', 64);
	assert_int_equal(jdoc_parse(&d, big, 128), 0);
	jdoc_release(&d);
	memset(big, '[', 65), memset(big + 65, ']', 65);
	assert_int_equal(jdoc_parse(&d, big, 130), -EBADMSG);
	/* Past the stack array: heap tokens, same answers. */
	big[n++] = '[';
	for (int i = 0; i < 1000; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%d,", i);
	big[n - 1] = ']';
	assert_int_equal(jdoc_parse(&d, big, n), 0);
	assert_int_equal(jdoc_len(&d, 0), 1000);
	assert_true(d.heap != NULL);
	{
		int64_t v = 0;

		assert_true(jdoc_int(&d, jdoc_at(&d, 0, 999), &v));
		assert_int_equal(v, 999);
	}
	jdoc_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonview_unescape),
		cmocka_unit_test(test_jsonview_navigation),
		cmocka_unit_test(test_jsonview_duplicate_keys_and_copies),
		cmocka_unit_test(test_jsonview_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
