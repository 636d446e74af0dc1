/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlog - RFC 6962 (RFC 9162 section 2) Merkle tree hashing and proofs,
 * shared by the agent (which appends and signs) and the collector and
 * auditors (which verify). Leaf = SHA-256(0x00 || bytes), node =
 * SHA-256(0x01 || left || right); the tree of n leaves splits at the
 * largest power of two below n.
 *
 * Proofs are built from the full list of leaf hashes (the collector has
 * them all); the agent only keeps a frontier, enough to append and to
 * compute the root.
 */
#ifndef SEALTAP_TLOG_H
#define SEALTAP_TLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLOG_HASH 32
#define TLOG_MAX_PROOF 64 /* hashes in a proof of a tree up to 2^63 leaves */

void tlog_leaf_hash(const void *data, size_t len, uint8_t out[TLOG_HASH]);
void tlog_node_hash(const uint8_t left[TLOG_HASH], const uint8_t right[TLOG_HASH], uint8_t out[TLOG_HASH]);

/* The right edge of a tree: one subtree root per set bit of size. */
struct tlog_frontier {
	uint64_t size;
	int n;
	uint8_t h[64][TLOG_HASH]; /* largest subtree first */
};

void tlog_frontier_init(struct tlog_frontier *f);
void tlog_frontier_append(struct tlog_frontier *f, const uint8_t leaf[TLOG_HASH]);
void tlog_frontier_root(const struct tlog_frontier *f, uint8_t out[TLOG_HASH]);

/* The root of leaves[0..n) (n 0: SHA-256 of nothing). */
void tlog_root(const uint8_t (*leaves)[TLOG_HASH], uint64_t n, uint8_t out[TLOG_HASH]);

/* Inclusion proof of leaf index in the tree of size leaves; returns the
 * number of hashes, or -1 if index >= size. */
int tlog_inclusion_proof(const uint8_t (*leaves)[TLOG_HASH], uint64_t size, uint64_t index,
			 uint8_t proof[TLOG_MAX_PROOF][TLOG_HASH]);
bool tlog_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf[TLOG_HASH],
			   const uint8_t (*proof)[TLOG_HASH], int n, const uint8_t root[TLOG_HASH]);

/* Consistency proof that the tree of size m is a prefix of the tree of size
 * n (0 < m <= n); returns the number of hashes, or -1. */
int tlog_consistency_proof(const uint8_t (*leaves)[TLOG_HASH], uint64_t m, uint64_t n,
			   uint8_t proof[TLOG_MAX_PROOF][TLOG_HASH]);
bool tlog_verify_consistency(uint64_t m, uint64_t n, const uint8_t (*proof)[TLOG_HASH], int len,
			     const uint8_t root_m[TLOG_HASH], const uint8_t root_n[TLOG_HASH]);

#endif
