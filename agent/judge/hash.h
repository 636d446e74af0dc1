// SPDX-License-Identifier: Apache-2.0
#ifndef SEALTAP_HASH_H
#define SEALTAP_HASH_H

/*
 * SHA-256 and HMAC-SHA-256 (RFC 2104) of short messages, many times a
 * second: the classifier's fingerprints and Base58Check checksums.
 */

#include <stddef.h>
#include <stdint.h>

#define HASH_LEN 32

void hash_sha256(const void *d, size_t n, uint8_t out[HASH_LEN]);

struct hash_key;

/* NULL when out of memory; a key of any length (one longer than a SHA-256
 * block is hashed first, as RFC 2104 says). */
struct hash_key *hash_key_new(const uint8_t *key, size_t keylen);

/* Wipes the key's state before freeing it. */
void hash_key_free(struct hash_key *k);

/* HMAC-SHA-256(key, a || b). Reads k only: callers may share it. */
void hash_hmac2(const struct hash_key *k, const void *a, size_t an, const void *b, size_t bn,
		uint8_t out[HASH_LEN]);

#endif
