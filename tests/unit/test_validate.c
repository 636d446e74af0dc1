// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "validate.h"

#define OK(fn, s) assert_true(fn(s, strlen(s)))
#define NO(fn, s) assert_false(fn(s, strlen(s)))

static void test_validate_cards(void **state)
{
	(void)state;
	OK(card_ok, "4532015112830366");
	OK(card_ok, "4532 0151 1283 0366");
	OK(card_ok, "4532-0151-1283-0366");
	OK(card_ok, "3426 018159 08308");   /* Amex 4-6-5 */
	NO(card_ok, "4532015112830367");     /* Luhn */
	NO(card_ok, "4532 0151-1283 0366");  /* mixed separators */
	NO(card_ok, "45320 1511 2830 366");  /* not how cards are printed */
	NO(card_ok, "9532015112830360");     /* no issuer starts with 9 */
	NO(card_ok, "342601815908308000");   /* Amex is 15 digits */
	assert_true(card_is_test_number("4242424242424242", 16));
	assert_false(card_is_test_number("4532015112830366", 16));
}

static void test_validate_national_ids(void **state)
{
	(void)state;
	OK(ssn_ok, "536-22-1234");
	OK(ssn_ok, "536221234");
	NO(ssn_ok, "000-12-3456");
	NO(ssn_ok, "666-12-3456");
	NO(ssn_ok, "900-12-3456");
	NO(ssn_ok, "536-00-1234");
	NO(ssn_ok, "536-22-0000");
	NO(ssn_ok, "078-05-1120"); /* the Woolworth wallet card */
	NO(ssn_ok, "123-45-6789");
	OK(npi_ok, "1234567893"); /* CMS's example */
	OK(npi_ok, "2323194870");
	NO(npi_ok, "1234567890");
	NO(npi_ok, "3234567893");
	OK(dea_ok, "AB1234563");
	OK(dea_ok, "FX7491183");
	NO(dea_ok, "AB1234564");
	NO(dea_ok, "IB1234563"); /* I is no registrant type */
}

static void test_validate_banking(void **state)
{
	(void)state;
	OK(iban_ok, "DE89 3704 0044 0532 0130 00");
	OK(iban_ok, "GB82WEST12345698765432");
	OK(iban_ok, "BE52 2199 3518 1909");
	NO(iban_ok, "DE88 3704 0044 0532 0130 00"); /* mod 97 */
	NO(iban_ok, "DE89 3704 0044 0532 0130 0");  /* Germany's length is 22 */
	NO(iban_ok, "QQ89 3704 0044 0532 0130 00"); /* no such country */
	OK(aba_ok, "011000015");
	OK(aba_ok, "676579758");
	NO(aba_ok, "011000016");
	NO(aba_ok, "991000015"); /* not a Federal Reserve prefix */
	OK(bic_ok, "DEUTDEFF");
	OK(bic_ok, "DEUTDEFF500");
	NO(bic_ok, "DEUTXXFF"); /* XX is no country */
	NO(bic_ok, "DEUTDEF");
}

static void test_validate_wallets(void **state)
{
	(void)state;
	OK(btc_address_ok, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"); /* the genesis block's */
	OK(btc_address_ok, "35b5v8UkURvq3g7tEeVuaqwWVTwcZwDyWw");
	NO(btc_address_ok, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"); /* checksum */
	OK(btc_address_ok, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"); /* BIP 173 */
	OK(btc_address_ok, "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4");
	OK(btc_address_ok, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"); /* BIP 350 */
	NO(btc_address_ok, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5");
	NO(btc_address_ok, "bc1qw508d6qejxtdg4y5r3zarvaRy0c5xw7kv8f3t4"); /* mixed case */
}

static void test_validate_tokens_and_addresses(void **state)
{
	(void)state;
	OK(jwt_ok, "eyJhbGciOiAiUlMyNTYiLCAidHlwIjogIkpXVCJ9.eyJzdWIiOiAiNDY1MDc1MjkifQ.fg83xEkhvT9lZOrffxQqcmaMR");
	NO(jwt_ok, "eyJ0eXAiOiAiSldUIn0.eyJzdWIiOiAiNDY1MDc1MjkifQ.fg83xEkhvT9lZOrffxQqcmaMR"); /* no alg */
	NO(jwt_ok, "eyJhbGciOiAiUlMyNTYiLCAidHlwIjogIkpXVCJ9");
	OK(ip_ok, "10.20.30.40");
	OK(ip_ok, "2a02:4780:a:1::42");
	NO(ip_ok, "192.0.2.15");   /* RFC 5737 */
	NO(ip_ok, "2001:db8::1"); /* RFC 3849 */
	NO(ip_ok, "256.1.1.1");
	NO(ip_ok, "12:30:45");
	NO(ip_ok, "127.0.0.1");
	OK(date_ok, "1984-03-05");
	OK(date_ok, "03/05/1984");
	OK(date_ok, "March 5, 1984");
	OK(date_ok, "5 March 1984");
	NO(date_ok, "1984-02-30");
	NO(date_ok, "1899-01-01");
	NO(date_ok, "2999-01-01"); /* a birth date is not in the future */
	NO(date_ok, "on March 5, 1984");
}

static void test_validate_filters(void **state)
{
	(void)state;
	assert_true(entropy_bits("aaaaaaaa", 8) < 0.01);
	assert_true(entropy_bits("abcdefgh", 8) > 2.99 && entropy_bits("abcdefgh", 8) < 3.01);
	assert_float_equal(entropy_bits("aaab", 4), 0.8112781244591328, 1e-12); /* -(3/4 log2 3/4 + 1/4 log2 1/4) */
	assert_float_equal(entropy_bits("", 0), 0, 0);
	{
		char all[512];

		for (size_t i = 0; i < sizeof(all); i++)
			all[i] = (char)(i * 7); /* every byte value twice */
		assert_float_equal(entropy_bits(all, sizeof(all)), 8.0, 1e-12);
	}
	OK(looks_placeholder, "AKIAIOSFODNN7EXAMPLE");
	OK(looks_placeholder, "ghp_xxxxxxxxxxxxxxxxxxxx");
	OK(looks_placeholder, "<your-token>");
	OK(looks_placeholder, "000000000");
	NO(looks_placeholder, "ghp_IxNKu8iS2G8NPRVdD53X83RZJzzzgEOzdme");
	OK(looks_placeholder, "k9Fq2-os.environ"); /* a marker that ends the value */
	NO(looks_placeholder, "k9Fq2-os.enviro");  /* ... cut short */
	OK(looks_placeholder, "Sample-k9Fq2");     /* any case, at the start */
	OK(looks_placeholder, "sk-XXXX-k9Fq2Lm3");  /* a short marker in one case */
	OK(looks_placeholder, "Fake-k9Fq2Lm3");
	OK(looks_placeholder, "k9Fq2AccessTokenHere");
	/* ... but in a random token's mixed case it is chance, not a mark */
	NO(looks_placeholder, "hvs.R-F4IsyhOaAwsPyLGk4jNp7xXxx_6p_Rz_rAtvwTe2");
	NO(looks_placeholder, "k9Fq2FaKeLm3w");
}

/* One pass for many needles: found at the start, the end, after a false
 * start on the same first byte; not when cut off by the end. */
static void test_validate_needle_set(void **state)
{
	static const char *const needles[] = { "abc", "abd", "x", "zz" };
	static const char *const empty_needle[] = { "a", "" };
	static const char *many[NEEDLE_SET_MAX + 1];
	struct needle_set set, none;

	(void)state;
	assert_true(needle_set_init(&set, needles, sizeof(needles) / sizeof(needles[0])));
	assert_true(needle_set_find(&set, "abc", 3));
	assert_true(needle_set_find(&set, "ababd", 5)); /* a false start on the same first byte, then one */
	assert_true(needle_set_find(&set, "....x", 5));
	assert_true(needle_set_find(&set, "zzab", 4));
	assert_false(needle_set_find(&set, "abab", 4));
	assert_false(needle_set_find(&set, "..z", 3));
	assert_false(needle_set_find(&set, "abcx", 2)); /* n bounds the search, not the NUL */
	assert_false(needle_set_find(&set, "", 0));
	assert_true(needle_set_init(&none, needles, 0));
	assert_false(needle_set_find(&none, "abc", 3));
	assert_false(needle_set_init(&none, empty_needle, 2));
	assert_false(needle_set_find(&none, "a", 1)); /* a refused set holds nothing */
	for (size_t i = 0; i < NEEDLE_SET_MAX + 1; i++)
		many[i] = i == NEEDLE_SET_MAX - 1 ? "q" : "m";
	assert_false(needle_set_init(&none, many, NEEDLE_SET_MAX + 1));
	assert_true(needle_set_init(&set, many, NEEDLE_SET_MAX));
	assert_true(needle_set_find(&set, "q", 1)); /* the last needle: bit 31 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate_cards),
		cmocka_unit_test(test_validate_national_ids),
		cmocka_unit_test(test_validate_banking),
		cmocka_unit_test(test_validate_wallets),
		cmocka_unit_test(test_validate_tokens_and_addresses),
		cmocka_unit_test(test_validate_filters),
		cmocka_unit_test(test_validate_needle_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
