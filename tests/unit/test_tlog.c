// SPDX-License-Identifier: Apache-2.0
/* RFC 6962 Merkle trees against the published Certificate Transparency test
 * vectors, then every leaf and every pair of sizes of larger trees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tlog.h"

static const char *const inputs[] = { "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
				      "606162636465666768696a6b6c6d6e6f" };
static const char *const roots[] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void unhex(const char *h, uint8_t *out, size_t *n)
{
	size_t k = strlen(h) / 2;

	for (size_t i = 0; i < k; i++)
		sscanf(h + 2 * i, "%2hhx", &out[i]);
	if (n)
		*n = k;
}

static uint8_t leaves[8][TLOG_HASH];

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < 8; i++) {
		uint8_t d[16];
		size_t n;

		unhex(inputs[i], d, &n);
		tlog_leaf_hash(d, n, leaves[i]);
	}
	return 0;
}

static void check_hashes(uint8_t (*got)[TLOG_HASH], int n, const char *const *want, int nwant)
{
	assert_int_equal(n, nwant);
	for (int i = 0; i < n; i++) {
		uint8_t w[TLOG_HASH];

		unhex(want[i], w, NULL);
		assert_memory_equal(got[i], w, TLOG_HASH);
	}
}

static void test_tlog_roots_match_rfc6962(void **state)
{
	struct tlog_frontier f;

	(void)state;
	tlog_frontier_init(&f);
	for (int n = 0; n <= 8; n++) {
		uint8_t want[TLOG_HASH], a[TLOG_HASH], b[TLOG_HASH];

		unhex(roots[n], want, NULL);
		tlog_root(leaves, (uint64_t)n, a);
		tlog_frontier_root(&f, b);
		assert_memory_equal(a, want, TLOG_HASH);
		assert_memory_equal(b, want, TLOG_HASH); /* the agent's frontier agrees */
		if (n < 8)
			tlog_frontier_append(&f, leaves[n]);
	}
}

static void test_tlog_reference_proofs(void **state)
{
	static const char *const incl_0_8[] = { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
						"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
						"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" };
	static const char *const incl_5_8[] = { "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
						"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
						"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" };
	static const char *const cons_6_8[] = { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
						"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
						"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" };
	static const char *const cons_2_5[] = { "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
						"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" };
	uint8_t proof[TLOG_MAX_PROOF][TLOG_HASH], r8[TLOG_HASH], r6[TLOG_HASH], r5[TLOG_HASH], r2[TLOG_HASH],
		r1[TLOG_HASH];

	(void)state;
	unhex(roots[8], r8, NULL), unhex(roots[6], r6, NULL), unhex(roots[5], r5, NULL);
	unhex(roots[2], r2, NULL), unhex(roots[1], r1, NULL);
	check_hashes(proof, tlog_inclusion_proof(leaves, 8, 0, proof), incl_0_8, 3);
	assert_true(tlog_verify_inclusion(0, 8, leaves[0], proof, 3, r8));
	check_hashes(proof, tlog_inclusion_proof(leaves, 8, 5, proof), incl_5_8, 3);
	assert_true(tlog_verify_inclusion(5, 8, leaves[5], proof, 3, r8));
	assert_false(tlog_verify_inclusion(4, 8, leaves[5], proof, 3, r8)); /* wrong index */
	check_hashes(proof, tlog_consistency_proof(leaves, 1, 8, proof), incl_0_8, 3);
	assert_true(tlog_verify_consistency(1, 8, proof, 3, r1, r8));
	check_hashes(proof, tlog_consistency_proof(leaves, 6, 8, proof), cons_6_8, 3);
	assert_true(tlog_verify_consistency(6, 8, proof, 3, r6, r8));
	check_hashes(proof, tlog_consistency_proof(leaves, 2, 5, proof), cons_2_5, 2);
	assert_true(tlog_verify_consistency(2, 5, proof, 2, r2, r5));
	assert_false(tlog_verify_consistency(2, 5, proof, 2, r1, r5)); /* not the old root */
	assert_int_equal(tlog_consistency_proof(leaves, 1, 1, proof), 0);
	assert_true(tlog_verify_consistency(1, 1, proof, 0, r1, r1));
}

/* Every leaf of every tree up to 70 leaves proves its inclusion, every pair
 * of sizes proves consistency, and flipping one bit of any proof hash, or
 * using the neighbouring index or size, fails. */
static void test_tlog_all_sizes(void **state)
{
	static uint8_t many[70][TLOG_HASH];
	uint8_t proof[TLOG_MAX_PROOF][TLOG_HASH], root[71][TLOG_HASH];
	struct tlog_frontier f;

	(void)state;
	tlog_frontier_init(&f);
	for (int i = 0; i < 70; i++) {
		uint8_t d[2] = { (uint8_t)i, (uint8_t)(i * 7) };

		tlog_leaf_hash(d, 2, many[i]);
	}
	for (uint64_t n = 0; n <= 70; n++) {
		uint8_t fr[TLOG_HASH];

		tlog_root(many, n, root[n]);
		tlog_frontier_root(&f, fr);
		assert_memory_equal(fr, root[n], TLOG_HASH);
		if (n < 70)
			tlog_frontier_append(&f, many[n]);
	}
	for (uint64_t n = 1; n <= 70; n++) {
		for (uint64_t i = 0; i < n; i++) {
			int k = tlog_inclusion_proof(many, n, i, proof);

			assert_true(tlog_verify_inclusion(i, n, many[i], proof, k, root[n]));
			if (n > 1)
				assert_false(tlog_verify_inclusion((i + 1) % n, n, many[i], proof, k, root[n]));
			if (k > 0) {
				proof[k - 1][3] ^= 0x10;
				assert_false(tlog_verify_inclusion(i, n, many[i], proof, k, root[n]));
			}
		}
		for (uint64_t m = 1; m <= n; m++) {
			int k = tlog_consistency_proof(many, m, n, proof);

			assert_true(tlog_verify_consistency(m, n, proof, k, root[m], root[n]));
			if (m < n) {
				assert_false(tlog_verify_consistency(m, n, proof, k, root[m - 1], root[n]));
				proof[0][0] ^= 1;
				assert_false(tlog_verify_consistency(m, n, proof, k, root[m], root[n]));
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlog_roots_match_rfc6962),
		cmocka_unit_test(test_tlog_reference_proofs),
		cmocka_unit_test(test_tlog_all_sizes),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
