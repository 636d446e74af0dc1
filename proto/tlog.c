// SPDX-License-Identifier: Apache-2.0
#include "tlog.h"

#include <string.h>

#include <openssl/evp.h>

static void sha256_parts(const void *a, size_t alen, const void *b, size_t blen, const void *c, size_t clen,
			 uint8_t out[TLOG_HASH])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	/* Only allocation can fail here; a zero hash then fails every comparison. */
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) || !EVP_DigestUpdate(ctx, a, alen) ||
	    !EVP_DigestUpdate(ctx, b, blen) || !EVP_DigestUpdate(ctx, c, clen) || !EVP_DigestFinal_ex(ctx, out, NULL))
		memset(out, 0, TLOG_HASH);
	EVP_MD_CTX_free(ctx);
}

void tlog_leaf_hash(const void *data, size_t len, uint8_t out[TLOG_HASH])
{
	static const uint8_t prefix = 0x00;

	sha256_parts(&prefix, 1, data, len, "", 0, out);
}

void tlog_node_hash(const uint8_t left[TLOG_HASH], const uint8_t right[TLOG_HASH], uint8_t out[TLOG_HASH])
{
	static const uint8_t prefix = 0x01;

	sha256_parts(&prefix, 1, left, TLOG_HASH, right, TLOG_HASH, out);
}

void tlog_frontier_init(struct tlog_frontier *f)
{
	memset(f, 0, sizeof(*f));
}

void tlog_frontier_append(struct tlog_frontier *f, const uint8_t leaf[TLOG_HASH])
{
	uint8_t c[TLOG_HASH];

	memcpy(c, leaf, TLOG_HASH);
	/* Each set low bit of the old size is a subtree the new one completes. */
	for (uint64_t s = f->size; s & 1; s >>= 1)
		tlog_node_hash(f->h[--f->n], c, c);
	memcpy(f->h[f->n++], c, TLOG_HASH);
	f->size++;
}

void tlog_frontier_root(const struct tlog_frontier *f, uint8_t out[TLOG_HASH])
{
	uint8_t r[TLOG_HASH];

	if (f->n == 0) {
		sha256_parts("", 0, "", 0, "", 0, out);
		return;
	}
	memcpy(r, f->h[f->n - 1], TLOG_HASH);
	for (int i = f->n - 2; i >= 0; i--)
		tlog_node_hash(f->h[i], r, r);
	memcpy(out, r, TLOG_HASH);
}

/* The largest power of two smaller than n (n >= 2). */
static uint64_t split(uint64_t n)
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

void tlog_root(const uint8_t (*leaves)[TLOG_HASH], uint64_t n, uint8_t out[TLOG_HASH])
{
	uint8_t l[TLOG_HASH], r[TLOG_HASH];
	uint64_t k;

	if (n == 0) {
		sha256_parts("", 0, "", 0, "", 0, out);
		return;
	}
	if (n == 1) {
		memcpy(out, leaves[0], TLOG_HASH);
		return;
	}
	k = split(n);
	tlog_root(leaves, k, l);
	tlog_root(leaves + k, n - k, r);
	tlog_node_hash(l, r, out);
}

/* RFC 6962 2.1.1 PATH(m, D[n]), deepest hash first. */
static int path(const uint8_t (*leaves)[TLOG_HASH], uint64_t n, uint64_t m, uint8_t proof[][TLOG_HASH], int at)
{
	uint64_t k;

	if (n <= 1)
		return at;
	k = split(n);
	if (m < k) {
		at = path(leaves, k, m, proof, at);
		tlog_root(leaves + k, n - k, proof[at]);
	} else {
		at = path(leaves + k, n - k, m - k, proof, at);
		tlog_root(leaves, k, proof[at]);
	}
	return at + 1;
}

int tlog_inclusion_proof(const uint8_t (*leaves)[TLOG_HASH], uint64_t size, uint64_t index,
			 uint8_t proof[TLOG_MAX_PROOF][TLOG_HASH])
{
	if (index >= size)
		return -1;
	return path(leaves, size, index, proof, 0);
}

/* Shifts fn and sn right together until fn's low bit is set or fn is 0. */
static void shift_to_set_bit(uint64_t *fn, uint64_t *sn)
{
	while (!(*fn & 1) && *fn != 0) {
		*fn >>= 1;
		*sn >>= 1;
	}
}

bool tlog_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf[TLOG_HASH],
			   const uint8_t (*proof)[TLOG_HASH], int n, const uint8_t root[TLOG_HASH])
{
	uint64_t fn = index, sn = size - 1;
	uint8_t r[TLOG_HASH];

	/* RFC 9162 2.1.3.2 */
	if (index >= size || n < 0 || n > TLOG_MAX_PROOF)
		return false;
	memcpy(r, leaf, TLOG_HASH);
	for (int i = 0; i < n; i++) {
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn) {
			tlog_node_hash(proof[i], r, r);
			shift_to_set_bit(&fn, &sn);
		} else {
			tlog_node_hash(r, proof[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, TLOG_HASH) == 0;
}

/* RFC 6962 2.1.2 SUBPROOF(m, D[n], b). */
static int subproof(const uint8_t (*leaves)[TLOG_HASH], uint64_t m, uint64_t n, bool b, uint8_t proof[][TLOG_HASH],
		    int at)
{
	uint64_t k;

	if (m == n) {
		if (!b)
			tlog_root(leaves, n, proof[at++]);
		return at;
	}
	k = split(n);
	if (m <= k) {
		at = subproof(leaves, m, k, b, proof, at);
		tlog_root(leaves + k, n - k, proof[at]);
	} else {
		at = subproof(leaves + k, m - k, n - k, false, proof, at);
		tlog_root(leaves, k, proof[at]);
	}
	return at + 1;
}

int tlog_consistency_proof(const uint8_t (*leaves)[TLOG_HASH], uint64_t m, uint64_t n,
			   uint8_t proof[TLOG_MAX_PROOF][TLOG_HASH])
{
	if (m == 0 || m > n)
		return -1;
	return subproof(leaves, m, n, true, proof, 0);
}

bool tlog_verify_consistency(uint64_t m, uint64_t n, const uint8_t (*proof)[TLOG_HASH], int len,
			     const uint8_t root_m[TLOG_HASH], const uint8_t root_n[TLOG_HASH])
{
	uint8_t fr[TLOG_HASH], sr[TLOG_HASH];
	uint64_t fn, sn;
	int i = 0;

	/* RFC 9162 2.1.4.2 */
	if (m == 0 || m > n || len < 0 || len > TLOG_MAX_PROOF)
		return false;
	if (m == n)
		return len == 0 && memcmp(root_m, root_n, TLOG_HASH) == 0;
	if (len == 0)
		return false;
	fn = m - 1;
	sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	/* When m is a power of two its root is the proof's implicit first hash. */
	if ((m & (m - 1)) == 0) {
		memcpy(fr, root_m, TLOG_HASH);
	} else {
		memcpy(fr, proof[0], TLOG_HASH);
		i = 1;
	}
	memcpy(sr, fr, TLOG_HASH);
	for (; i < len; i++) {
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn) {
			tlog_node_hash(proof[i], fr, fr);
			tlog_node_hash(proof[i], sr, sr);
			shift_to_set_bit(&fn, &sn);
		} else {
			tlog_node_hash(sr, proof[i], sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(fr, root_m, TLOG_HASH) == 0 && memcmp(sr, root_n, TLOG_HASH) == 0;
}
