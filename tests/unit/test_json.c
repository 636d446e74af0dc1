// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json.h"

static char *capture_b64(const unsigned char *d, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	json_put_base64(f, d, n);
	fclose(f);
	return buf;
}

static void test_json_base64_rfc4648_vectors(void **state)
{
	static const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *out[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };

	(void)state;
	for (size_t i = 0; i < 7; i++) {
		char *s = capture_b64((const unsigned char *)in[i], strlen(in[i]));

		assert_string_equal(s, out[i]);
		free(s);
	}
}

static void test_json_string_escapes_everything_unsafe(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	json_put_string(f, "a\"b\\c\nd\x01\xff", 9);
	fclose(f);
	assert_string_equal(buf, "\"a\\\"b\\\\c\\nd\\u0001\\ufffd\"");
	free(buf);
}

static void test_json_string_keeps_utf8_and_rejects_invalid(void **state)
{
	/* é (2 bytes), € (3), 😀 (4) pass; an overlong '/', a lone surrogate and a
	 * truncated sequence are replaced. */
	static const char in[] = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\xc0\xaf|\xed\xa0\x80|\xe2\x82";
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	json_put_string(f, in, sizeof(in) - 1);
	fclose(f);
	assert_string_equal(buf, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\\ufffd\\ufffd|"
				 "\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd\"");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_base64_rfc4648_vectors),
		cmocka_unit_test(test_json_string_escapes_everything_unsafe),
		cmocka_unit_test(test_json_string_keeps_utf8_and_rejects_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
