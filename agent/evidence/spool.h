/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spool - the agent's evidence on disk until the collector acknowledges it:
 * append-only segment files (DIR/NNNNNNNNNNNNNNNN.seg, closed at the first
 * checkpoint past 4 MiB, the next one opening with that checkpoint) of
 * records
 *
 *     u32 length | u32 CRC-32 (of the rest) | u8 type | u64 seq | payload
 *
 * (little endian). Events carry their sequence number; a checkpoint carries
 * the tree size it covers. spool_sync makes everything appended durable:
 * the evidence log calls it before signing a checkpoint, so whatever was
 * signed (and may have been shipped) survives a crash.
 *
 * On open every intact record is replayed in order; a torn record at the
 * end of the last segment (a crash mid-write) is cut off, counted. A
 * segment is deleted once the collector has acknowledged every event in it
 * (never the one being written). Events beyond max_bytes are refused
 * (-ENOSPC) - the caller drops them before they get a sequence number and
 * says so in a gap event; checkpoints are always accepted.
 */
#ifndef SEALTAP_SPOOL_H
#define SEALTAP_SPOOL_H

#include <stddef.h>
#include <stdint.h>

enum spool_type { SPOOL_EVENT = 1, SPOOL_CHECKPOINT = 2 };

struct spool_stats {
	uint64_t bytes;    /* on disk now */
	uint64_t segments; /* files now */
	uint64_t appended, refused_full, torn_tail_bytes, deleted_segments;
};

struct spool;

/* Called for each record, in order. A non-zero return stops the walk. */
typedef int (*spool_fn)(void *ctx, enum spool_type type, uint64_t seq, const uint8_t *data, size_t len);

/* Opens (creating DIR, mode 0700) and replays. Returns NULL with err set. */
struct spool *spool_open(const char *dir, uint64_t max_bytes, spool_fn replay, void *ctx, char *err, size_t errsz);
void spool_close(struct spool *s);

int spool_append(struct spool *s, enum spool_type type, uint64_t seq, const void *data, size_t len);
int spool_sync(struct spool *s);
/* Deletes the segments holding only events below acked (a tree size). */
void spool_release(struct spool *s, uint64_t acked);
/* Walks the events with first <= seq < end, and the checkpoints among them. */
int spool_read(struct spool *s, uint64_t first, uint64_t end, spool_fn fn, void *ctx);
/* The oldest event still held (UINT64_MAX: none). */
uint64_t spool_first_seq(const struct spool *s);
const struct spool_stats *spool_stats(const struct spool *s);

#endif
