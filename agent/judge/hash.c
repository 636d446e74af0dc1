// SPDX-License-Identifier: Apache-2.0
/*
 * OpenSSL 3's EVP interfaces cost more than the hashing itself on messages
 * this short: EVP_Digest with EVP_sha256() looks the algorithm up in the
 * provider store on every call (~490k instructions under callgrind when
 * nothing else holds SHA-256 fetched), and an HMAC restarted through
 * EVP_MAC took 310-500 ns for a 29-byte message against 135-160 ns here
 * (200k calls, alternating runs). The low-level SHA256_* calls are marked
 * deprecated in OpenSSL 3 but are part of it (Debian 12 ships 3.0) and use
 * the same SHA-NI/AVX2 code; a state is a plain struct, so the key's inner
 * and outer pads are hashed once (RFC 2104 section 4) and copied per
 * message. test_hash (FIPS 180-2 and RFC 4231 vectors) and the classifier's
 * fingerprint known-answer test pin the results.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "hash.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

_Static_assert(HASH_LEN == SHA256_DIGEST_LENGTH, "SHA-256");

struct hash_key {
	SHA256_CTX inner; /* after key ^ ipad */
	SHA256_CTX outer; /* after key ^ opad */
};

void hash_sha256(const void *d, size_t n, uint8_t out[HASH_LEN])
{
	SHA256_CTX h;

	SHA256_Init(&h);
	SHA256_Update(&h, d, n);
	SHA256_Final(out, &h);
}

struct hash_key *hash_key_new(const uint8_t *key, size_t keylen)
{
	struct hash_key *k = malloc(sizeof(*k));
	uint8_t block[SHA256_CBLOCK], pad[SHA256_CBLOCK];

	if (!k)
		return NULL;
	memset(block, 0, sizeof(block));
	if (keylen > SHA256_CBLOCK)
		hash_sha256(key, keylen, block);
	else if (keylen)
		memcpy(block, key, keylen);
	for (size_t i = 0; i < SHA256_CBLOCK; i++)
		pad[i] = block[i] ^ 0x36;
	SHA256_Init(&k->inner);
	SHA256_Update(&k->inner, pad, sizeof(pad));
	for (size_t i = 0; i < SHA256_CBLOCK; i++)
		pad[i] = block[i] ^ 0x5c;
	SHA256_Init(&k->outer);
	SHA256_Update(&k->outer, pad, sizeof(pad));
	OPENSSL_cleanse(block, sizeof(block));
	OPENSSL_cleanse(pad, sizeof(pad));
	return k;
}

void hash_key_free(struct hash_key *k)
{
	if (!k)
		return;
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

void hash_hmac2(const struct hash_key *k, const void *a, size_t an, const void *b, size_t bn,
		uint8_t out[HASH_LEN])
{
	SHA256_CTX h = k->inner;
	uint8_t inner[HASH_LEN];

	SHA256_Update(&h, a, an);
	SHA256_Update(&h, b, bn);
	SHA256_Final(inner, &h);
	/* That state held the message: the value being fingerprinted. */
	OPENSSL_cleanse(&h, sizeof(h));
	h = k->outer;
	SHA256_Update(&h, inner, sizeof(inner));
	SHA256_Final(out, &h);
	OPENSSL_cleanse(inner, sizeof(inner));
}
