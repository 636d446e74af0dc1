/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store - where the collector keeps evidence: per agent stream its state
 * (tree size, frontier, last leaf, the agent key that owns it), every
 * event's exact bytes by (stream, sequence number), every checkpoint note
 * as received and cosigned, and every refused batch (why, from which key).
 * Events are never re-encoded: the bytes stored are the bytes signed.
 *
 * One implementation so far: SQLite (store_sqlite.c, one file, WAL).
 */
#ifndef SEALTAP_STORE_H
#define SEALTAP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlog.h"

#define STREAM_ID 16
#define AGENT_KEY 32

struct stream_row {
	uint8_t id[STREAM_ID];
	uint8_t agent_key[AGENT_KEY];
	uint64_t size;
	uint8_t prev_leaf[TLOG_HASH];
	struct tlog_frontier tree;
};

/* What an event is about, kept beside its bytes for queries. */
struct event_meta {
	uint64_t time_unix_nano;
	const char *kind;     /* "finding", "lifecycle", "gap", ... */
	const char *detector; /* findings */
	const char *severity;
	const char *pod_uid;
	const char *model;
};

struct store;

struct store *store_open(const char *path, char *err, size_t errsz);
void store_close(struct store *s);

int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/* 1 found, 0 absent, -1 error. */
int store_get_stream(struct store *s, const uint8_t id[STREAM_ID], struct stream_row *out);
int store_put_stream(struct store *s, const struct stream_row *r);
/* The stored bytes of (stream, seq) into a malloc'd buffer: 1, 0, -1. */
int store_get_event(struct store *s, const uint8_t id[STREAM_ID], uint64_t seq, uint8_t **bytes, size_t *len);
int store_put_event(struct store *s, const uint8_t id[STREAM_ID], uint64_t seq, const uint8_t *bytes, size_t len,
		    const struct event_meta *m);
int store_put_checkpoint(struct store *s, const uint8_t id[STREAM_ID], uint64_t size, const char *note, size_t len);
/* Keeps the newest 100,000 refusals: anyone can send garbage. */
int store_put_rejection(struct store *s, const uint8_t *agent_key, int status, const char *reason);

/* Walks for verification and export. A non-zero return stops the walk
 * and is returned. */
typedef int (*store_stream_fn)(void *ctx, const struct stream_row *r);
/* An event (seq, its bytes) or a checkpoint (tree size, its note). */
typedef int (*store_row_fn)(void *ctx, uint64_t n, const uint8_t *bytes, size_t len);
int store_each_stream(struct store *s, store_stream_fn fn, void *ctx);
int store_each_event(struct store *s, const uint8_t id[STREAM_ID], store_row_fn fn, void *ctx);
int store_each_checkpoint(struct store *s, const uint8_t id[STREAM_ID], store_row_fn fn, void *ctx);

/* Events matching every filter given (NULL / 0: any), by time. */
struct store_query {
	uint64_t since_ns, until_ns; /* until 0: no bound */
	const char *kind, *severity, *pod_uid, *model, *detector;
	uint64_t limit; /* 0: no limit */
};
int store_query(struct store *s, const struct store_query *q, store_row_fn fn, void *ctx);

const char *store_error(struct store *s);

#endif
