// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hash.h"

static void hex(const uint8_t *b, char out[2 * HASH_LEN + 1])
{
	for (size_t i = 0; i < HASH_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void test_hash_sha256(void **state)
{
	uint8_t d[HASH_LEN];
	char h[2 * HASH_LEN + 1];

	(void)state;
	/* FIPS 180-2, appendix B.1 and B.2 (two blocks). */
	hash_sha256("abc", 3, d);
	hex(d, h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hash_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
	hex(d, h);
	assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* RFC 4231 test cases 1, 2 and 6 (a key longer than a block, hashed first),
 * with the message split at every point between the two parts. */
static void test_hash_hmac_rfc4231(void **state)
{
	static const struct {
		uint8_t key_byte;
		size_t keylen;
		const char *key, *msg, *mac;
	} cases[] = {
		{ 0x0b, 20, NULL, "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
		{ 0, 4, "Jefe", "what do ya want for nothing?",
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
		{ 0xaa, 131, NULL, "Test Using Larger Than Block-Size Key - Hash Key First",
		  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t key[256], mac[HASH_LEN];
		size_t n = strlen(cases[i].msg);
		struct hash_key *k;

		if (cases[i].key)
			memcpy(key, cases[i].key, cases[i].keylen);
		else
			memset(key, cases[i].key_byte, cases[i].keylen);
		k = hash_key_new(key, cases[i].keylen);
		assert_non_null(k);
		for (size_t split = 0; split <= n; split++) {
			char h[2 * HASH_LEN + 1];

			hash_hmac2(k, cases[i].msg, split, cases[i].msg + split, n - split, mac);
			hex(mac, h);
			if (strcmp(h, cases[i].mac) != 0)
				fail_msg("case %zu split at %zu: %s", i, split, h);
		}
		hash_key_free(k);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_sha256),
		cmocka_unit_test(test_hash_hmac_rfc4231),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
