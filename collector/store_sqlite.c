// SPDX-License-Identifier: Apache-2.0
#include "store_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

struct sqlite_store {
	struct store base;
	sqlite3 *db;
	sqlite3_stmt *put_event; /* prepared once: a batch inserts thousands */
};

static struct sqlite_store *sq(struct store *s)
{
	return (struct sqlite_store *)s;
}

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=FULL;" /* an acknowledged batch survives a power cut */
	"CREATE TABLE IF NOT EXISTS streams ("
	"  stream_id BLOB PRIMARY KEY, agent_key BLOB NOT NULL, size INTEGER NOT NULL,"
	"  prev_leaf BLOB NOT NULL, frontier BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS events ("
	"  stream_id BLOB NOT NULL, seq INTEGER NOT NULL, bytes BLOB NOT NULL,"
	"  time_unix_nano INTEGER, kind TEXT, detector TEXT, severity TEXT, pod_uid TEXT, model TEXT,"
	"  fingerprint BLOB,"
	"  PRIMARY KEY (stream_id, seq)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS events_time ON events (time_unix_nano);"
	"CREATE TABLE IF NOT EXISTS checkpoints ("
	"  stream_id BLOB NOT NULL, size INTEGER NOT NULL, note BLOB NOT NULL, received_unix INTEGER NOT NULL,"
	"  PRIMARY KEY (stream_id, size)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS rejections ("
	"  received_unix INTEGER NOT NULL, agent_key BLOB, status INTEGER NOT NULL, reason TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS agents ("
	"  agent_key BLOB PRIMARY KEY, state INTEGER NOT NULL, first_seen_unix INTEGER NOT NULL,"
	"  decided_unix INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS access_log ("
	"  n INTEGER PRIMARY KEY, time_unix_nano INTEGER NOT NULL, principal TEXT NOT NULL, role TEXT NOT NULL,"
	"  method TEXT NOT NULL, target TEXT NOT NULL, status INTEGER NOT NULL, returned INTEGER NOT NULL,"
	"  prev BLOB NOT NULL, hash BLOB NOT NULL);";

static int fail(struct store *s)
{
	snprintf(s->err, sizeof(s->err), "%s", sqlite3_errmsg(sq(s)->db));
	return -1;
}

static const struct store_ops sqlite_ops;

static void sqlite_close(struct store *s)
{
	sqlite3_finalize(sq(s)->put_event);
	sqlite3_close(sq(s)->db);
	free(s);
}

/* A store made before lineage has no fingerprint column: added, and
 * indexed (its old rows stay NULL; store_query says what that means). */
static int add_fingerprint_column(struct sqlite_store *s)
{
	sqlite3_stmt *st = NULL;
	bool have = false;

	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM pragma_table_info('events') WHERE name = 'fingerprint'", -1, &st,
			       NULL) != SQLITE_OK)
		return -1;
	have = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (!have && sqlite3_exec(s->db, "ALTER TABLE events ADD COLUMN fingerprint BLOB", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	return sqlite3_exec(s->db,
			    "CREATE INDEX IF NOT EXISTS events_fingerprint ON events (fingerprint) "
			    "WHERE fingerprint IS NOT NULL",
			    NULL, NULL, NULL) == SQLITE_OK
		       ? 0
		       : -1;
}

struct store *store_sqlite_open(const char *path, bool create, char *err, size_t errsz)
{
	struct sqlite_store *s = calloc(1, sizeof(*s));
	char *msg = NULL;

	if (!s) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	s->base.ops = &sqlite_ops;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errsz, "%s: %s", path, msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		sqlite_close(&s->base);
		return NULL;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (add_fingerprint_column(s)) {
		snprintf(err, errsz, "%s: %s", path, sqlite3_errmsg(s->db));
		sqlite_close(&s->base);
		return NULL;
	}
	return &s->base;
}

static int exec(struct store *s, const char *sql)
{
	return sqlite3_exec(sq(s)->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : fail(s);
}

/* IMMEDIATE: the write lock is taken at once, so a whole ingest, from
 * reading the stream to storing its events, is one serialised step. */
static int sqlite_begin(struct store *s)
{
	return exec(s, "BEGIN IMMEDIATE");
}

static int sqlite_commit(struct store *s)
{
	return exec(s, "COMMIT");
}

static void sqlite_rollback(struct store *s)
{
	sqlite3_exec(sq(s)->db, "ROLLBACK", NULL, NULL, NULL);
}

static sqlite3_stmt *prep(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(sq(s)->db, sql, -1, &st, NULL) != SQLITE_OK)
		fail(s);
	return st;
}

/* Runs a statement that returns nothing. */
static int done(struct store *s, sqlite3_stmt *st)
{
	int r = st && sqlite3_step(st) == SQLITE_DONE ? 0 : fail(s);

	sqlite3_finalize(st);
	return r;
}

static int sqlite_get_stream(struct store *s, const uint8_t id[CHAIN_STREAM_ID], struct stream_row *out)
{
	sqlite3_stmt *st = prep(s, "SELECT agent_key, size, prev_leaf, frontier FROM streams WHERE stream_id = ?");
	int r;

	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, id, CHAIN_STREAM_ID, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		r = store_stream_from_columns(s, id, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
					      (uint64_t)sqlite3_column_int64(st, 1), sqlite3_column_blob(st, 2),
					      (size_t)sqlite3_column_bytes(st, 2), sqlite3_column_blob(st, 3),
					      (size_t)sqlite3_column_bytes(st, 3), out);
	else
		r = r == SQLITE_DONE ? 0 : fail(s);
	sqlite3_finalize(st);
	return r;
}

static int sqlite_put_stream(struct store *s, const struct stream_row *r)
{
	sqlite3_stmt *st = prep(s, "INSERT INTO streams (stream_id, agent_key, size, prev_leaf, frontier) "
				   "VALUES (?, ?, ?, ?, ?) ON CONFLICT (stream_id) DO UPDATE SET "
				   "size = excluded.size, prev_leaf = excluded.prev_leaf, frontier = excluded.frontier");

	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, r->chain.id, CHAIN_STREAM_ID, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, r->agent_key, CHAIN_AGENT_KEY, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)r->chain.tree.size);
	sqlite3_bind_blob(st, 4, r->chain.prev_leaf, TLOG_HASH, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, r->chain.tree.h, r->chain.tree.n * TLOG_HASH, SQLITE_STATIC);
	return done(s, st);
}

/* One blob by (stream, number) into a malloc'd buffer: 1, 0, -1. */
static int get_blob(struct store *s, const char *sql, const uint8_t id[CHAIN_STREAM_ID], uint64_t n, uint8_t **bytes,
		    size_t *len)
{
	sqlite3_stmt *st = prep(s, sql);
	int r;

	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, id, CHAIN_STREAM_ID, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)n);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*len = (size_t)sqlite3_column_bytes(st, 0);
		*bytes = malloc(*len + 1);
		if (*bytes)
			memcpy(*bytes, sqlite3_column_blob(st, 0), *len);
		r = *bytes ? 1 : -1;
	} else {
		r = r == SQLITE_DONE ? 0 : fail(s);
	}
	sqlite3_finalize(st);
	return r;
}

static int sqlite_get_event(struct store *s, const uint8_t id[CHAIN_STREAM_ID], uint64_t seq, uint8_t **bytes, size_t *len)
{
	return get_blob(s, "SELECT bytes FROM events WHERE stream_id = ? AND seq = ?", id, seq, bytes, len);
}

static int sqlite_get_checkpoint(struct store *s, const uint8_t id[CHAIN_STREAM_ID], uint64_t size, uint8_t **note,
				 size_t *len)
{
	return get_blob(s, "SELECT note FROM checkpoints WHERE stream_id = ? AND size = ?", id, size, note, len);
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v && *v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static int sqlite_put_event(struct store *s, const uint8_t id[CHAIN_STREAM_ID], uint64_t seq, const uint8_t *bytes,
			    size_t len, const struct event_meta *m)
{
	sqlite3_stmt *st = sq(s)->put_event;
	int r;

	if (!st) {
		st = sq(s)->put_event = prep(s, "INSERT INTO events (stream_id, seq, bytes, time_unix_nano, kind, detector, "
					    "severity, pod_uid, model, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
		if (!st)
			return -1;
	}
	sqlite3_bind_blob(st, 1, id, CHAIN_STREAM_ID, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	sqlite3_bind_blob(st, 3, bytes, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)m->time_unix_nano);
	bind_text(st, 5, m->kind);
	bind_text(st, 6, m->detector);
	bind_text(st, 7, m->severity);
	bind_text(st, 8, m->pod_uid);
	bind_text(st, 9, m->model);
	if (m->fingerprint)
		sqlite3_bind_blob(st, 10, m->fingerprint, STORE_FINGERPRINT, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 10);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : fail(s);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

static int sqlite_put_checkpoint(struct store *s, const uint8_t id[CHAIN_STREAM_ID], uint64_t size, const char *note, size_t len)
{
	sqlite3_stmt *st = prep(s, "INSERT INTO checkpoints (stream_id, size, note, received_unix) "
				   "VALUES (?, ?, ?, strftime('%s','now')) ON CONFLICT DO NOTHING");

	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, id, CHAIN_STREAM_ID, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
	sqlite3_bind_blob(st, 3, note, (int)len, SQLITE_STATIC);
	return done(s, st);
}

static int sqlite_put_rejection(struct store *s, const uint8_t *agent_key, int status, const char *reason)
{
	sqlite3_stmt *st = prep(s, "INSERT INTO rejections (received_unix, agent_key, status, reason) "
				   "VALUES (strftime('%s','now'), ?, ?, ?)");

	if (!st)
		return -1;
	if (agent_key)
		sqlite3_bind_blob(st, 1, agent_key, CHAIN_AGENT_KEY, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 1);
	sqlite3_bind_int(st, 2, status);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	if (done(s, st))
		return -1;
	/* Anyone can send garbage: keep the newest REJECTIONS_KEPT, drop older ones. */
	{
		char sql[128];

		snprintf(sql, sizeof(sql), "DELETE FROM rejections WHERE rowid <= (SELECT max(rowid) FROM rejections) - %d",
			 REJECTIONS_KEPT);
		return exec(s, sql);
	}
}

static int sqlite_stream_ids(struct store *s, uint8_t (**ids)[CHAIN_STREAM_ID], size_t *n)
{
	sqlite3_stmt *st = prep(s, "SELECT stream_id FROM streams ORDER BY stream_id");
	size_t cap = 0;
	int r = 0;

	*ids = NULL;
	*n = 0;
	if (!st)
		return -1;
	while (!r && sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != CHAIN_STREAM_ID)
			continue;
		if (*n == cap) {
			uint8_t(*grown)[CHAIN_STREAM_ID] = realloc(*ids, (cap = cap ? 2 * cap : 16) * CHAIN_STREAM_ID);

			if (!grown) {
				snprintf(s->err, sizeof(s->err), "out of memory");
				r = -1;
				break;
			}
			*ids = grown;
		}
		memcpy((*ids)[(*n)++], sqlite3_column_blob(st, 0), CHAIN_STREAM_ID);
	}
	sqlite3_finalize(st);
	return r;
}

/* Hands each (number, blob) row of a bound statement to fn; finalizes it. */
static int rows(sqlite3_stmt *st, store_row_fn fn, void *ctx)
{
	int r = 0;

	while (!r && sqlite3_step(st) == SQLITE_ROW)
		r = fn(ctx, (uint64_t)sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1),
		       (size_t)sqlite3_column_bytes(st, 1));
	sqlite3_finalize(st);
	return r;
}

static int each_of_stream(struct store *s, const char *sql, const uint8_t id[CHAIN_STREAM_ID], store_row_fn fn, void *ctx)
{
	sqlite3_stmt *st = prep(s, sql);

	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, id, CHAIN_STREAM_ID, SQLITE_STATIC);
	return rows(st, fn, ctx);
}

static int sqlite_each_event(struct store *s, const uint8_t id[CHAIN_STREAM_ID], store_row_fn fn, void *ctx)
{
	return each_of_stream(s, "SELECT seq, bytes FROM events WHERE stream_id = ? ORDER BY seq", id, fn, ctx);
}

static int sqlite_each_checkpoint(struct store *s, const uint8_t id[CHAIN_STREAM_ID], store_row_fn fn, void *ctx)
{
	return each_of_stream(s, "SELECT size, note FROM checkpoints WHERE stream_id = ? ORDER BY size", id, fn, ctx);
}

static int sqlite_query(struct store *s, const struct store_query *q, store_row_fn fn, void *ctx)
{
	/* Fixed SQL, values bound: a filter is never part of the statement. */
	sqlite3_stmt *st = prep(s, "SELECT seq, bytes FROM events WHERE time_unix_nano >= ?1 AND time_unix_nano < ?2 "
				   "AND (?3 IS NULL OR kind = ?3) AND (?4 IS NULL OR severity = ?4) "
				   "AND (?5 IS NULL OR pod_uid = ?5) AND (?6 IS NULL OR model = ?6) "
				   "AND (?7 IS NULL OR detector = ?7) "
				   "AND (?9 IS NULL OR fingerprint = ?9 OR (fingerprint IS NULL AND "
				   "kind IN ('finding', 'policy_violation'))) "
				   "ORDER BY time_unix_nano, stream_id, seq LIMIT ?8");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)q->since_ns);
	sqlite3_bind_int64(st, 2, q->until_ns ? (sqlite3_int64)q->until_ns : INT64_MAX);
	bind_text(st, 3, q->kind);
	bind_text(st, 4, q->severity);
	bind_text(st, 5, q->pod_uid);
	bind_text(st, 6, q->model);
	bind_text(st, 7, q->detector);
	sqlite3_bind_int64(st, 8, q->limit ? (sqlite3_int64)q->limit : -1);
	if (q->fingerprint)
		sqlite3_bind_blob(st, 9, q->fingerprint, STORE_FINGERPRINT, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 9);
	return rows(st, fn, ctx);
}

static int sqlite_agent_state(struct store *s, const uint8_t key[CHAIN_AGENT_KEY], enum agent_state *state)
{
	sqlite3_stmt *st = prep(s, "SELECT state FROM agents WHERE agent_key = ?");
	int r;

	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, key, CHAIN_AGENT_KEY, SQLITE_STATIC);
	r = sqlite3_step(st);
	*state = r == SQLITE_ROW ? (enum agent_state)sqlite3_column_int(st, 0) : AGENT_UNKNOWN;
	r = r == SQLITE_ROW || r == SQLITE_DONE ? 0 : fail(s);
	sqlite3_finalize(st);
	return r;
}

static int sqlite_agent_request(struct store *s, const uint8_t key[CHAIN_AGENT_KEY])
{
	sqlite3_stmt *st = prep(s, "INSERT INTO agents (agent_key, state, first_seen_unix) "
				   "VALUES (?, ?, strftime('%s','now')) ON CONFLICT DO NOTHING");

	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, key, CHAIN_AGENT_KEY, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, AGENT_PENDING);
	return done(s, st);
}

static int sqlite_agent_decide(struct store *s, const uint8_t key[CHAIN_AGENT_KEY], enum agent_state state)
{
	sqlite3_stmt *st = prep(s, "INSERT INTO agents (agent_key, state, first_seen_unix, decided_unix) "
				   "VALUES (?1, ?2, strftime('%s','now'), strftime('%s','now')) ON CONFLICT (agent_key) "
				   "DO UPDATE SET state = ?2, decided_unix = strftime('%s','now')");

	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, key, CHAIN_AGENT_KEY, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, state);
	return done(s, st);
}

static int sqlite_each_agent(struct store *s, store_agent_fn fn, void *ctx)
{
	sqlite3_stmt *st = prep(s, "SELECT agent_key, state, first_seen_unix, decided_unix FROM agents "
				   "ORDER BY first_seen_unix, agent_key");
	int r = 0;

	if (!st)
		return -1;
	while (!r && sqlite3_step(st) == SQLITE_ROW) {
		struct agent_row a;

		if (sqlite3_column_bytes(st, 0) != CHAIN_AGENT_KEY)
			continue;
		memcpy(a.key, sqlite3_column_blob(st, 0), CHAIN_AGENT_KEY);
		a.state = (enum agent_state)sqlite3_column_int(st, 1);
		a.first_seen_unix = sqlite3_column_int64(st, 2);
		a.decided_unix = sqlite3_column_int64(st, 3);
		r = fn(ctx, &a);
	}
	sqlite3_finalize(st);
	return r;
}

static int sqlite_agents_from_file(struct store *s, const uint8_t (*keys)[CHAIN_AGENT_KEY], size_t n)
{
	sqlite3_stmt *st;

	if (exec(s, "DELETE FROM agents WHERE state = 4"))
		return -1;
	for (size_t i = 0; i < n; i++) {
		st = prep(s, "INSERT INTO agents (agent_key, state, first_seen_unix, decided_unix) "
			     "VALUES (?1, 4, strftime('%s','now'), strftime('%s','now')) ON CONFLICT (agent_key) "
			     "DO UPDATE SET state = 4, decided_unix = strftime('%s','now') WHERE agents.state = 1");
		if (!st)
			return -1;
		sqlite3_bind_blob(st, 1, keys[i], CHAIN_AGENT_KEY, SQLITE_STATIC);
		if (done(s, st))
			return -1;
	}
	return 0;
}

/* The caller's BEGIN IMMEDIATE holds the write lock: no other writer. */
static int sqlite_access_last(struct store *s, uint64_t *n, uint8_t hash[32])
{
	sqlite3_stmt *st = prep(s, "SELECT n, hash FROM access_log ORDER BY n DESC LIMIT 1");
	int r;

	if (!st)
		return -1;
	*n = 0;
	memset(hash, 0, 32);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*n = (uint64_t)sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) == 32)
			memcpy(hash, sqlite3_column_blob(st, 1), 32);
	}
	r = r == SQLITE_ROW || r == SQLITE_DONE ? 0 : fail(s);
	sqlite3_finalize(st);
	return r;
}

static int sqlite_access_put(struct store *s, const struct access_row *a)
{
	sqlite3_stmt *st = prep(s, "INSERT INTO access_log (n, time_unix_nano, principal, role, method, target, status, "
				   "returned, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)a->n);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)a->time_unix_nano);
	sqlite3_bind_text(st, 3, a->principal, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, a->method, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, a->target, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, a->status);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)a->returned);
	sqlite3_bind_blob(st, 9, a->prev, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 10, a->hash, 32, SQLITE_STATIC);
	return done(s, st);
}

static int sqlite_each_access(struct store *s, store_access_fn fn, void *ctx)
{
	sqlite3_stmt *st = prep(s, "SELECT n, time_unix_nano, principal, role, method, target, status, returned, prev, "
				   "hash FROM access_log ORDER BY n");
	int r = 0, step;

	if (!st)
		return -1;
	while (!r && (step = sqlite3_step(st)) == SQLITE_ROW) {
		struct access_row a = {
			.n = (uint64_t)sqlite3_column_int64(st, 0),
			.time_unix_nano = (uint64_t)sqlite3_column_int64(st, 1),
			.principal = (const char *)sqlite3_column_text(st, 2),
			.role = (const char *)sqlite3_column_text(st, 3),
			.method = (const char *)sqlite3_column_text(st, 4),
			.target = (const char *)sqlite3_column_text(st, 5),
			.status = sqlite3_column_int(st, 6),
			.returned = (uint64_t)sqlite3_column_int64(st, 7),
		};

		/* a hash column of another length is copied as far as it goes: verify names the entry */
		memcpy(a.prev, sqlite3_column_blob(st, 8),
		       sqlite3_column_bytes(st, 8) < 32 ? (size_t)sqlite3_column_bytes(st, 8) : 32);
		memcpy(a.hash, sqlite3_column_blob(st, 9),
		       sqlite3_column_bytes(st, 9) < 32 ? (size_t)sqlite3_column_bytes(st, 9) : 32);
		r = fn(ctx, &a);
	}
	sqlite3_finalize(st);
	return r;
}

static const struct store_ops sqlite_ops = {
	.close = sqlite_close,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.get_stream = sqlite_get_stream,
	.put_stream = sqlite_put_stream,
	.get_event = sqlite_get_event,
	.put_event = sqlite_put_event,
	.put_checkpoint = sqlite_put_checkpoint,
	.get_checkpoint = sqlite_get_checkpoint,
	.put_rejection = sqlite_put_rejection,
	.stream_ids = sqlite_stream_ids,
	.each_event = sqlite_each_event,
	.each_checkpoint = sqlite_each_checkpoint,
	.query = sqlite_query,
	.agent_state = sqlite_agent_state,
	.agent_request = sqlite_agent_request,
	.agent_decide = sqlite_agent_decide,
	.each_agent = sqlite_each_agent,
	.agents_from_file = sqlite_agents_from_file,
	.access_last = sqlite_access_last,
	.access_put = sqlite_access_put,
	.each_access = sqlite_each_access,
};
