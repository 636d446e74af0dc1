/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store - where the collector keeps evidence: per agent stream its state
 * (tree size, frontier, last leaf, the agent key that owns it), every
 * event's exact bytes by (stream, sequence number), every checkpoint note
 * as received and cosigned, and every refused batch (why, from which key).
 * Events are never re-encoded: the bytes stored are the bytes signed.
 *
 * Two backends behind one interface (store_backend.h): SQLite, one file in
 * WAL mode (store_sqlite.c), and PostgreSQL (store_pg.c), which several
 * collector replicas can share: an ingest holds the stream's row lock from
 * store_get_stream to commit, so two replicas given the same stream's
 * batches serialise, and the loser of a race on a new stream fails its
 * commit (the agent retries and gets an identical-duplicate answer).
 *
 * It also keeps which agent keys may ship (enrolled, pending approval,
 * revoked), so an approval on one replica holds on all of them.
 */
#ifndef SEALTAP_STORE_H
#define SEALTAP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain.h"

/* A stream as stored: where its chain stands, and the key that owns it. */
struct stream_row {
	struct chain chain; /* chain.tree.size: the events stored */
	uint8_t agent_key[CHAIN_AGENT_KEY];
};

/* What an event is about, kept beside its bytes for queries. */
struct event_meta {
	uint64_t time_unix_nano;
	const char *kind;     /* "finding", "lifecycle", "gap", ... */
	const char *detector; /* findings */
	const char *severity;
	const char *pod_uid;
	const char *model;
	const uint8_t *fingerprint; /* findings and policy violations: the value's keyed fingerprint (32 bytes) */
};

#define STORE_FINGERPRINT 32

struct store;

/* A PostgreSQL connection URI (postgresql://, postgres://) or an SQLite
 * file path. create false: the store must already exist (reading commands:
 * a typo must not create an empty store that then "verifies"). */
struct store *store_open(const char *where, bool create, char *err, size_t errsz);
bool store_is_postgres(const char *where);
/* where, with a PostgreSQL URI's password (user:SECRET@, password=SECRET)
 * shown as ***: for anything printed or written into a report. */
void store_redacted(const char *where, char *out, size_t cap);
void store_close(struct store *s);

/* One ingest: begin; get_stream (locks the row until the end); put...;
 * commit or rollback. */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/* 1 found, 0 absent, -1 error. */
int store_get_stream(struct store *s, const uint8_t id[CHAIN_STREAM_ID], struct stream_row *out);
int store_put_stream(struct store *s, const struct stream_row *r);
/* The stored bytes of (stream, seq) into a malloc'd buffer: 1, 0, -1. */
int store_get_event(struct store *s, const uint8_t id[CHAIN_STREAM_ID], uint64_t seq, uint8_t **bytes, size_t *len);
int store_put_event(struct store *s, const uint8_t id[CHAIN_STREAM_ID], uint64_t seq, const uint8_t *bytes, size_t len,
		    const struct event_meta *m);
int store_put_checkpoint(struct store *s, const uint8_t id[CHAIN_STREAM_ID], uint64_t size, const char *note, size_t len);
/* The stored (cosigned) checkpoint note at a tree size, malloc'd: 1, 0, -1. */
int store_get_checkpoint(struct store *s, const uint8_t id[CHAIN_STREAM_ID], uint64_t size, uint8_t **note, size_t *len);
/* Keeps the newest 100,000 refusals: anyone can send garbage. */
int store_put_rejection(struct store *s, const uint8_t *agent_key, int status, const char *reason);

/* Walks for verification and export. A non-zero return stops the walk
 * and is returned. */
typedef int (*store_stream_fn)(void *ctx, const struct stream_row *r);
/* An event (seq, its bytes) or a checkpoint (tree size, its note). */
typedef int (*store_row_fn)(void *ctx, uint64_t n, const uint8_t *bytes, size_t len);
int store_each_stream(struct store *s, store_stream_fn fn, void *ctx);
int store_each_event(struct store *s, const uint8_t id[CHAIN_STREAM_ID], store_row_fn fn, void *ctx);
int store_each_checkpoint(struct store *s, const uint8_t id[CHAIN_STREAM_ID], store_row_fn fn, void *ctx);

/* Events matching every filter given (NULL / 0: any), by time. The
 * fingerprint filter is an index, not proof: it also returns the findings
 * and policy violations stored before the index existed (no fingerprint
 * column), and the caller checks each event's own bytes. */
struct store_query {
	uint64_t since_ns, until_ns; /* until 0: no bound */
	const char *kind, *severity, *pod_uid, *model, *detector;
	const uint8_t *fingerprint; /* STORE_FINGERPRINT bytes */
	uint64_t limit; /* 0: no limit */
};
int store_query(struct store *s, const struct store_query *q, store_row_fn fn, void *ctx);

/* Enrollment of agent keys. */
/* AGENT_FILE: in the allow list file of the collector that last started on
 * this store (listed for the record; the file itself decides at ingest). */
enum agent_state { AGENT_UNKNOWN, AGENT_PENDING, AGENT_APPROVED, AGENT_REVOKED, AGENT_FILE };
struct agent_row {
	uint8_t key[CHAIN_AGENT_KEY];
	enum agent_state state;
	int64_t first_seen_unix, decided_unix; /* decided 0: not yet */
};
/* 0 with *state set (AGENT_UNKNOWN when never seen), -1 error. */
int store_agent_state(struct store *s, const uint8_t key[CHAIN_AGENT_KEY], enum agent_state *state);
/* Records an unknown key as pending; a known one keeps its state. */
int store_agent_request(struct store *s, const uint8_t key[CHAIN_AGENT_KEY]);
int store_agent_decide(struct store *s, const uint8_t key[CHAIN_AGENT_KEY], enum agent_state state);
/* The allow list file's keys, so that listing agents shows every key that
 * may ship: those in state AGENT_FILE are replaced by these; a pending key
 * listed becomes AGENT_FILE; an approved or revoked one keeps its state. */
int store_agents_from_file(struct store *s, const uint8_t (*keys)[CHAIN_AGENT_KEY], size_t n);
typedef int (*store_agent_fn)(void *ctx, const struct agent_row *a);
int store_each_agent(struct store *s, store_agent_fn fn, void *ctx);
const char *agent_state_name(enum agent_state st);

/* The access log: every call through the read and administration API (who,
 * with which role, what was asked, the answer's status, how many events or
 * rows it returned), append-only and hash-chained like the evidence:
 *   hash = SHA-256("sealtap access log v1" 0x00, n, time (8 bytes big-endian
 *          each), principal 0x00 role 0x00 method 0x00 target 0x00,
 *          status (4 bytes), returned (8 bytes), prev)
 * with prev the hash of entry n-1 (32 zero bytes for entry 1). verify checks
 * it and names the first entry that does not hold. */
struct access_row {
	uint64_t n; /* 1, 2, ... */
	uint64_t time_unix_nano;
	const char *principal, *role, *method, *target;
	int status;
	uint64_t returned;
	uint8_t prev[32], hash[32];
};
/* Appends r (its n, prev and hash filled here) in a transaction of its
 * own, serialised with every other writer of the log. */
int store_access_append(struct store *s, struct access_row *r);
typedef int (*store_access_fn)(void *ctx, const struct access_row *r);
int store_each_access(struct store *s, store_access_fn fn, void *ctx);
void store_access_hash(const struct access_row *r, uint8_t out[32]);

const char *store_error(struct store *s);

#endif
