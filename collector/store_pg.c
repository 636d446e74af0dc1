// SPDX-License-Identifier: Apache-2.0
/*
 * The PostgreSQL backend (libpq), for several collector replicas serving
 * one fleet. The same tables as the SQLite backend, bytea for bytes.
 *
 * Concurrency: an ingest runs in one transaction; reading its stream takes
 * the row lock (SELECT ... FOR UPDATE), so replicas given batches of the
 * same stream take turns and each sees the other's committed frontier. Two
 * replicas racing to create a new stream both insert event 0: the second
 * blocks on the primary key, then fails, rolls back and answers 503; the
 * agent retries and is told "already stored".
 *
 * Speed: a batch's events are sent with one COPY ... (FORMAT binary) at the
 * next statement or commit instead of an INSERT round trip each. Walks
 * fetch one row at a time (single-row mode), so verifying a store of
 * millions of events does not load it into memory.
 *
 * Values go as parameters, never into the SQL text; results come back in
 * binary (bytea as bytes, bigint as 8 big-endian bytes).
 */
#include "store_backend.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

struct pg_store {
	struct store base;
	PGconn *conn;
	bool in_tx;
	uint8_t *copy; /* binary COPY rows of events not yet sent */
	size_t copy_len, copy_cap;
	size_t copy_rows;
};

static struct pg_store *pg(struct store *s)
{
	return (struct pg_store *)s;
}

/* Taken while creating the tables: replicas starting together would
 * otherwise race on CREATE TABLE IF NOT EXISTS (it is not atomic). */
#define SCHEMA_LOCK "7395283614401"

static const char schema[] =
	"SET client_min_messages TO warning;" /* not "already exists, skipping" on every start */
	"CREATE TABLE IF NOT EXISTS streams ("
	"  stream_id bytea PRIMARY KEY, agent_key bytea NOT NULL, size bigint NOT NULL,"
	"  prev_leaf bytea NOT NULL, frontier bytea NOT NULL);"
	"CREATE TABLE IF NOT EXISTS events ("
	"  stream_id bytea NOT NULL, seq bigint NOT NULL, bytes bytea NOT NULL,"
	"  time_unix_nano bigint, kind text, detector text, severity text, pod_uid text, model text,"
	"  PRIMARY KEY (stream_id, seq));"
	"CREATE INDEX IF NOT EXISTS events_time ON events (time_unix_nano);"
	/* lineage: a store made before it gains the column; old rows stay NULL */
	"ALTER TABLE events ADD COLUMN IF NOT EXISTS fingerprint bytea;"
	"CREATE INDEX IF NOT EXISTS events_fingerprint ON events (fingerprint) WHERE fingerprint IS NOT NULL;"
	"CREATE TABLE IF NOT EXISTS checkpoints ("
	"  stream_id bytea NOT NULL, size bigint NOT NULL, note bytea NOT NULL, received_unix bigint NOT NULL,"
	"  PRIMARY KEY (stream_id, size));"
	"CREATE TABLE IF NOT EXISTS rejections ("
	"  id bigserial PRIMARY KEY, received_unix bigint NOT NULL, agent_key bytea, status integer NOT NULL,"
	"  reason text NOT NULL);"
	"CREATE TABLE IF NOT EXISTS agents ("
	"  agent_key bytea PRIMARY KEY, state integer NOT NULL, first_seen_unix bigint NOT NULL,"
	"  decided_unix bigint NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS access_log ("
	"  n bigint PRIMARY KEY, time_unix_nano bigint NOT NULL, principal text NOT NULL, role text NOT NULL,"
	"  method text NOT NULL, target text NOT NULL, status integer NOT NULL, returned bigint NOT NULL,"
	"  prev bytea NOT NULL, hash bytea NOT NULL);";

/* Taken for the rest of the transaction by an access-log writer: replicas
 * append one at a time, each after the other's last entry. */
#define ACCESS_LOCK "7395283614402"

#define NOW "extract(epoch from now())::bigint"

static int fail_msg(struct store *s, const char *what)
{
	const char *m = PQerrorMessage(pg(s)->conn);
	size_t n = strcspn(m, "\n");

	snprintf(s->err, sizeof(s->err), "%s%s%.*s", what ? what : "", what ? ": " : "", (int)n, m);
	return -1;
}

/* Parameters: text unless a length is given (then binary bytes). */
struct params {
	int n;
	const char *v[10];
	int len[10];
	int fmt[10];
	char num[10][24];
};

static void p_bytes(struct params *p, const void *b, size_t len)
{
	p->v[p->n] = b;
	p->len[p->n] = (int)len;
	p->fmt[p->n++] = 1;
}

static void p_text(struct params *p, const char *t)
{
	p->v[p->n] = t && *t ? t : NULL; /* "" and NULL: SQL NULL, as in SQLite */
	p->len[p->n] = 0;
	p->fmt[p->n++] = 0;
}

static void p_u64(struct params *p, uint64_t v)
{
	snprintf(p->num[p->n], sizeof(p->num[0]), "%llu", (unsigned long long)v);
	p_text(p, p->num[p->n]);
}

static void p_i64(struct params *p, int64_t v)
{
	snprintf(p->num[p->n], sizeof(p->num[0]), "%lld", (long long)v);
	p_text(p, p->num[p->n]);
}

static int flush_copy(struct store *s);

/* Runs one statement; NULL (with the error said) unless it succeeded. */
static PGresult *run(struct store *s, const char *sql, const struct params *p)
{
	PGresult *res;
	ExecStatusType st;

	if (flush_copy(s))
		return NULL;
	res = PQexecParams(pg(s)->conn, sql, p ? p->n : 0, NULL, p ? p->v : NULL, p ? p->len : NULL,
			   p ? p->fmt : NULL, 1);
	st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	snprintf(s->err, sizeof(s->err), "%.*s", (int)strcspn(PQresultErrorMessage(res), "\n"),
		 PQresultErrorMessage(res));
	PQclear(res);
	return NULL;
}

static int run_done(struct store *s, const char *sql, const struct params *p)
{
	PGresult *res = run(s, sql, p);

	PQclear(res);
	return res ? 0 : -1;
}

static uint64_t col_u64(const PGresult *res, int row, int col)
{
	uint64_t v = 0;

	if (!PQgetisnull(res, row, col) && PQgetlength(res, row, col) == 8)
		memcpy(&v, PQgetvalue(res, row, col), 8);
	else if (!PQgetisnull(res, row, col) && PQgetlength(res, row, col) == 4) {
		uint32_t w;

		memcpy(&w, PQgetvalue(res, row, col), 4);
		return be32toh(w);
	}
	return be64toh(v);
}

static const struct store_ops pg_ops;

static void pg_close(struct store *s)
{
	PQfinish(pg(s)->conn);
	free(pg(s)->copy);
	free(s);
}

struct store *store_pg_open(const char *uri, bool create, char *err, size_t errsz)
{
	struct pg_store *p = calloc(1, sizeof(*p));
	struct store *s = &p->base;
	PGresult *res;

	if (!p) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	s->ops = &pg_ops;
	p->conn = PQconnectdb(uri);
	if (PQstatus(p->conn) != CONNECTION_OK) {
		/* The URI may hold a password: name the server, not the URI. */
		snprintf(err, errsz, "PostgreSQL %s: %.*s", PQdb(p->conn) ? PQdb(p->conn) : "",
			 (int)strcspn(PQerrorMessage(p->conn), "\n"), PQerrorMessage(p->conn));
		pg_close(s);
		return NULL;
	}
	if (!create) {
		res = run(s, "SELECT to_regclass('streams') IS NOT NULL", NULL);
		if (!res || PQntuples(res) != 1 || !*PQgetvalue(res, 0, 0)) {
			snprintf(err, errsz, "PostgreSQL %s: %s", PQdb(p->conn), res ? "no sealtap store there" : s->err);
			PQclear(res);
			pg_close(s);
			return NULL;
		}
		PQclear(res);
	}
	res = PQexec(p->conn, "SELECT pg_advisory_lock(" SCHEMA_LOCK ")");
	PQclear(res);
	res = PQexec(p->conn, schema);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(err, errsz, "PostgreSQL %s: schema: %.*s", PQdb(p->conn),
			 (int)strcspn(PQresultErrorMessage(res), "\n"), PQresultErrorMessage(res));
		PQclear(res);
		pg_close(s);
		return NULL;
	}
	PQclear(res);
	PQclear(PQexec(p->conn, "SELECT pg_advisory_unlock(" SCHEMA_LOCK ")"));
	return s;
}

/* The binary COPY stream: a header, then per row a field count and per
 * field a length (-1: NULL) and its bytes, then -1 at the end. */
static const uint8_t copy_header[19] = { 'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0 };

static bool copy_room(struct pg_store *p, size_t more)
{
	uint8_t *grown;
	size_t cap;

	if (p->copy_len + more <= p->copy_cap)
		return true;
	cap = p->copy_cap ? p->copy_cap : 1 << 16;
	while (cap < p->copy_len + more)
		cap *= 2;
	grown = realloc(p->copy, cap);
	if (!grown)
		return false;
	p->copy = grown;
	p->copy_cap = cap;
	return true;
}

static void copy_put(struct pg_store *p, const void *b, size_t n)
{
	memcpy(p->copy + p->copy_len, b, n);
	p->copy_len += n;
}

static void copy_field(struct pg_store *p, const void *b, size_t n)
{
	uint32_t len = htobe32(b ? (uint32_t)n : UINT32_MAX);

	copy_put(p, &len, 4);
	if (b)
		copy_put(p, b, n);
}

static void copy_text(struct pg_store *p, const char *t)
{
	copy_field(p, t && *t ? t : NULL, t ? strlen(t) : 0);
}

static int flush_copy(struct store *s)
{
	struct pg_store *p = pg(s);
	uint16_t end = htobe16(UINT16_MAX);
	PGresult *res;
	int r = 0;

	if (!p->copy_rows)
		return 0;
	copy_put(p, &end, 2); /* room was reserved with each row */
	res = PQexec(p->conn, "COPY events (stream_id, seq, bytes, time_unix_nano, kind, detector, severity, pod_uid, "
			      "model, fingerprint) FROM STDIN (FORMAT binary)");
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		snprintf(s->err, sizeof(s->err), "%.*s", (int)strcspn(PQresultErrorMessage(res), "\n"),
			 PQresultErrorMessage(res));
		r = -1;
	}
	PQclear(res);
	if (!r && (PQputCopyData(p->conn, (const char *)p->copy, (int)p->copy_len) != 1 ||
		   PQputCopyEnd(p->conn, NULL) != 1))
		r = fail_msg(s, "COPY");
	/* Drain every result: the COPY's own, or its error. */
	while ((res = PQgetResult(p->conn))) {
		if (!r && PQresultStatus(res) != PGRES_COMMAND_OK) {
			snprintf(s->err, sizeof(s->err), "%.*s", (int)strcspn(PQresultErrorMessage(res), "\n"),
				 PQresultErrorMessage(res));
			r = -1;
		}
		PQclear(res);
	}
	p->copy_len = p->copy_rows = 0;
	return r;
}

static int pg_begin(struct store *s)
{
	int r;

	/* A restarted or failed-over server: reconnect between ingests. */
	if (PQstatus(pg(s)->conn) == CONNECTION_BAD)
		PQreset(pg(s)->conn);
	r = run_done(s, "BEGIN", NULL);

	pg(s)->in_tx = r == 0;
	return r;
}

static int pg_commit(struct store *s)
{
	int r = flush_copy(s);

	if (r) {
		PQclear(PQexec(pg(s)->conn, "ROLLBACK"));
	} else {
		r = run_done(s, "COMMIT", NULL);
	}
	pg(s)->in_tx = false;
	return r;
}

static void pg_rollback(struct store *s)
{
	pg(s)->copy_len = pg(s)->copy_rows = 0;
	PQclear(PQexec(pg(s)->conn, "ROLLBACK"));
	pg(s)->in_tx = false;
}

static int pg_get_stream(struct store *s, const uint8_t id[CHAIN_STREAM_ID], struct stream_row *out)
{
	struct params p = { 0 };
	PGresult *res;
	int r;

	p_bytes(&p, id, CHAIN_STREAM_ID);
	/* In an ingest the row stays locked until commit (see the top). */
	res = run(s,
		  pg(s)->in_tx ? "SELECT agent_key, size, prev_leaf, frontier FROM streams WHERE stream_id = $1 FOR UPDATE"
			       : "SELECT agent_key, size, prev_leaf, frontier FROM streams WHERE stream_id = $1",
		  &p);
	if (!res)
		return -1;
	r = PQntuples(res) == 0 ? 0
				: store_stream_from_columns(s, id, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0),
							    col_u64(res, 0, 1), PQgetvalue(res, 0, 2),
							    (size_t)PQgetlength(res, 0, 2), PQgetvalue(res, 0, 3),
							    (size_t)PQgetlength(res, 0, 3), out);
	PQclear(res);
	return r;
}

static int pg_put_stream(struct store *s, const struct stream_row *r)
{
	struct params p = { 0 };

	p_bytes(&p, r->chain.id, CHAIN_STREAM_ID);
	p_bytes(&p, r->agent_key, CHAIN_AGENT_KEY);
	p_u64(&p, r->chain.tree.size);
	p_bytes(&p, r->chain.prev_leaf, TLOG_HASH);
	p_bytes(&p, r->chain.tree.h, r->chain.tree.n * TLOG_HASH);
	return run_done(s,
			"INSERT INTO streams (stream_id, agent_key, size, prev_leaf, frontier) VALUES ($1, $2, $3, $4, $5) "
			"ON CONFLICT (stream_id) DO UPDATE SET size = excluded.size, prev_leaf = excluded.prev_leaf, "
			"frontier = excluded.frontier",
			&p);
}

/* One bytea by (stream, number) into a malloc'd buffer: 1, 0, -1. */
static int get_blob(struct store *s, const char *sql, const uint8_t id[CHAIN_STREAM_ID], uint64_t n, uint8_t **bytes,
		    size_t *len)
{
	struct params p = { 0 };
	PGresult *res;
	int r = 0;

	p_bytes(&p, id, CHAIN_STREAM_ID);
	p_u64(&p, n);
	res = run(s, sql, &p);
	if (!res)
		return -1;
	if (PQntuples(res) == 1) {
		*len = (size_t)PQgetlength(res, 0, 0);
		*bytes = malloc(*len + 1);
		if (*bytes)
			memcpy(*bytes, PQgetvalue(res, 0, 0), *len);
		r = *bytes ? 1 : -1;
	}
	PQclear(res);
	return r;
}

static int pg_get_event(struct store *s, const uint8_t id[CHAIN_STREAM_ID], uint64_t seq, uint8_t **bytes, size_t *len)
{
	return get_blob(s, "SELECT bytes FROM events WHERE stream_id = $1 AND seq = $2", id, seq, bytes, len);
}

static int pg_get_checkpoint(struct store *s, const uint8_t id[CHAIN_STREAM_ID], uint64_t size, uint8_t **note, size_t *len)
{
	return get_blob(s, "SELECT note FROM checkpoints WHERE stream_id = $1 AND size = $2", id, size, note, len);
}

static int pg_put_event(struct store *s, const uint8_t id[CHAIN_STREAM_ID], uint64_t seq, const uint8_t *bytes, size_t len,
			const struct event_meta *m)
{
	struct pg_store *p = pg(s);
	const char *texts[] = { m->kind, m->detector, m->severity, m->pod_uid, m->model };
	size_t need = sizeof(copy_header) + 2 + 10 * 4 + CHAIN_STREAM_ID + 8 + len + 8 + STORE_FINGERPRINT + 2;
	uint16_t fields = htobe16(10);
	uint64_t seq_be = htobe64(seq), time_be = htobe64(m->time_unix_nano);

	for (size_t i = 0; i < 5; i++)
		need += texts[i] ? strlen(texts[i]) : 0;
	if (!copy_room(p, need)) {
		snprintf(s->err, sizeof(s->err), "out of memory");
		return -1;
	}
	if (!p->copy_rows)
		copy_put(p, copy_header, sizeof(copy_header));
	copy_put(p, &fields, 2);
	copy_field(p, id, CHAIN_STREAM_ID);
	copy_field(p, &seq_be, 8);
	copy_field(p, bytes, len);
	copy_field(p, &time_be, 8);
	for (size_t i = 0; i < 5; i++)
		copy_text(p, texts[i]);
	copy_field(p, m->fingerprint, STORE_FINGERPRINT);
	p->copy_rows++;
	return 0;
}

static int pg_put_checkpoint(struct store *s, const uint8_t id[CHAIN_STREAM_ID], uint64_t size, const char *note, size_t len)
{
	struct params p = { 0 };

	p_bytes(&p, id, CHAIN_STREAM_ID);
	p_u64(&p, size);
	p_bytes(&p, note, len);
	return run_done(s,
			"INSERT INTO checkpoints (stream_id, size, note, received_unix) VALUES ($1, $2, $3, " NOW ") "
			"ON CONFLICT DO NOTHING",
			&p);
}

static int pg_put_rejection(struct store *s, const uint8_t *agent_key, int status, const char *reason)
{
	struct params p = { 0 };
	char sql[160];

	if (agent_key)
		p_bytes(&p, agent_key, CHAIN_AGENT_KEY);
	else
		p_text(&p, NULL);
	p_i64(&p, status);
	p_text(&p, reason);
	if (run_done(s, "INSERT INTO rejections (received_unix, agent_key, status, reason) VALUES (" NOW ", $1, $2, $3)",
		     &p))
		return -1;
	snprintf(sql, sizeof(sql), "DELETE FROM rejections WHERE id <= (SELECT max(id) FROM rejections) - %d",
		 REJECTIONS_KEPT);
	return run_done(s, sql, NULL);
}

static int pg_stream_ids(struct store *s, uint8_t (**ids)[CHAIN_STREAM_ID], size_t *n)
{
	PGresult *res = run(s, "SELECT stream_id FROM streams ORDER BY stream_id", NULL);
	int rows;

	*ids = NULL;
	*n = 0;
	if (!res)
		return -1;
	rows = PQntuples(res);
	*ids = calloc((size_t)rows + 1, CHAIN_STREAM_ID);
	if (!*ids) {
		PQclear(res);
		snprintf(s->err, sizeof(s->err), "out of memory");
		return -1;
	}
	for (int i = 0; i < rows; i++)
		if (PQgetlength(res, i, 0) == CHAIN_STREAM_ID)
			memcpy((*ids)[(*n)++], PQgetvalue(res, i, 0), CHAIN_STREAM_ID);
	PQclear(res);
	return 0;
}

/* Hands each (number, bytes) row of a query to fn, one row in memory at
 * a time. A non-zero return from fn stops the walk (the rest is drained). */
/* Runs sql and gives each row to row(ctx, res, i) as it arrives, one at
 * a time (single-row mode: a long table is never held whole). A non-zero
 * return stops the walk and is returned. */
static int each_row(struct store *s, const char *sql, const struct params *p,
		    int (*row)(void *ctx, const PGresult *res, int i), void *ctx)
{
	PGconn *c = pg(s)->conn;
	PGresult *res;
	int r = 0;

	if (flush_copy(s))
		return -1;
	if (!PQsendQueryParams(c, sql, p ? p->n : 0, NULL, p ? p->v : NULL, p ? p->len : NULL, p ? p->fmt : NULL, 1))
		return fail_msg(s, NULL);
	PQsetSingleRowMode(c); /* if refused, the rows come at once: still correct */
	while ((res = PQgetResult(c))) {
		ExecStatusType st = PQresultStatus(res);

		if (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK) {
			for (int i = 0; !r && i < PQntuples(res); i++)
				r = row(ctx, res, i);
		} else if (!r) {
			snprintf(s->err, sizeof(s->err), "%.*s", (int)strcspn(PQresultErrorMessage(res), "\n"),
				 PQresultErrorMessage(res));
			r = -1;
		}
		PQclear(res);
	}
	return r;
}

struct seq_rows {
	store_row_fn fn;
	void *ctx;
};

static int seq_row(void *ctx, const PGresult *res, int i)
{
	const struct seq_rows *w = ctx;

	return w->fn(w->ctx, col_u64(res, i, 0), (const uint8_t *)PQgetvalue(res, i, 1), (size_t)PQgetlength(res, i, 1));
}

/* Rows of (a number, bytes). */
static int rows(struct store *s, const char *sql, const struct params *p, store_row_fn fn, void *ctx)
{
	struct seq_rows w = { fn, ctx };

	return each_row(s, sql, p, seq_row, &w);
}

static int pg_each_event(struct store *s, const uint8_t id[CHAIN_STREAM_ID], store_row_fn fn, void *ctx)
{
	struct params p = { 0 };

	p_bytes(&p, id, CHAIN_STREAM_ID);
	return rows(s, "SELECT seq, bytes FROM events WHERE stream_id = $1 ORDER BY seq", &p, fn, ctx);
}

static int pg_each_checkpoint(struct store *s, const uint8_t id[CHAIN_STREAM_ID], store_row_fn fn, void *ctx)
{
	struct params p = { 0 };

	p_bytes(&p, id, CHAIN_STREAM_ID);
	return rows(s, "SELECT size, note FROM checkpoints WHERE stream_id = $1 ORDER BY size", &p, fn, ctx);
}

static int pg_query(struct store *s, const struct store_query *q, store_row_fn fn, void *ctx)
{
	struct params p = { 0 };

	p_u64(&p, q->since_ns);
	p_u64(&p, q->until_ns ? q->until_ns : (uint64_t)INT64_MAX);
	p_text(&p, q->kind);
	p_text(&p, q->severity);
	p_text(&p, q->pod_uid);
	p_text(&p, q->model);
	p_text(&p, q->detector);
	if (q->limit)
		p_u64(&p, q->limit);
	else
		p_text(&p, NULL); /* LIMIT NULL: no limit */
	if (q->fingerprint)
		p_bytes(&p, q->fingerprint, STORE_FINGERPRINT);
	else
		p_text(&p, NULL);
	/* Fixed SQL, values bound: a filter is never part of the statement. */
	return rows(s,
		    "SELECT seq, bytes FROM events WHERE time_unix_nano >= $1 AND time_unix_nano < $2 "
		    "AND ($3::text IS NULL OR kind = $3) AND ($4::text IS NULL OR severity = $4) "
		    "AND ($5::text IS NULL OR pod_uid = $5) AND ($6::text IS NULL OR model = $6) "
		    "AND ($7::text IS NULL OR detector = $7) "
		    "AND ($9::bytea IS NULL OR fingerprint = $9 OR (fingerprint IS NULL AND "
		    "kind IN ('finding', 'policy_violation'))) "
		    "ORDER BY time_unix_nano, stream_id, seq LIMIT $8::bigint",
		    &p, fn, ctx);
}

static int pg_agent_state(struct store *s, const uint8_t key[CHAIN_AGENT_KEY], enum agent_state *state)
{
	struct params p = { 0 };
	PGresult *res;

	p_bytes(&p, key, CHAIN_AGENT_KEY);
	res = run(s, "SELECT state FROM agents WHERE agent_key = $1", &p);
	if (!res)
		return -1;
	*state = PQntuples(res) == 1 ? (enum agent_state)col_u64(res, 0, 0) : AGENT_UNKNOWN;
	PQclear(res);
	return 0;
}

static int pg_agent_request(struct store *s, const uint8_t key[CHAIN_AGENT_KEY])
{
	struct params p = { 0 };

	p_bytes(&p, key, CHAIN_AGENT_KEY);
	p_i64(&p, AGENT_PENDING);
	return run_done(s, "INSERT INTO agents (agent_key, state, first_seen_unix) VALUES ($1, $2, " NOW ") "
			   "ON CONFLICT DO NOTHING",
			&p);
}

static int pg_agent_decide(struct store *s, const uint8_t key[CHAIN_AGENT_KEY], enum agent_state state)
{
	struct params p = { 0 };

	p_bytes(&p, key, CHAIN_AGENT_KEY);
	p_i64(&p, state);
	return run_done(s,
			"INSERT INTO agents (agent_key, state, first_seen_unix, decided_unix) VALUES ($1, $2, " NOW ", " NOW
			") ON CONFLICT (agent_key) DO UPDATE SET state = $2, decided_unix = " NOW,
			&p);
}

static int pg_each_agent(struct store *s, store_agent_fn fn, void *ctx)
{
	PGresult *res = run(s, "SELECT agent_key, state, first_seen_unix, decided_unix FROM agents "
			       "ORDER BY first_seen_unix, agent_key",
			    NULL);
	int r = 0;

	if (!res)
		return -1;
	for (int i = 0; !r && i < PQntuples(res); i++) {
		struct agent_row a;

		if (PQgetlength(res, i, 0) != CHAIN_AGENT_KEY)
			continue;
		memcpy(a.key, PQgetvalue(res, i, 0), CHAIN_AGENT_KEY);
		a.state = (enum agent_state)col_u64(res, i, 1);
		a.first_seen_unix = (int64_t)col_u64(res, i, 2);
		a.decided_unix = (int64_t)col_u64(res, i, 3);
		r = fn(ctx, &a);
	}
	PQclear(res);
	return r;
}

static int pg_agents_from_file(struct store *s, const uint8_t (*keys)[CHAIN_AGENT_KEY], size_t n)
{
	if (run_done(s, "DELETE FROM agents WHERE state = 4", NULL))
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct params p = { 0 };

		p_bytes(&p, keys[i], CHAIN_AGENT_KEY);
		if (run_done(s,
			     "INSERT INTO agents (agent_key, state, first_seen_unix, decided_unix) VALUES ($1, 4, " NOW ", " NOW
			     ") ON CONFLICT (agent_key) DO UPDATE SET state = 4, decided_unix = " NOW " WHERE agents.state = 1",
			     &p))
			return -1;
	}
	return 0;
}

static int pg_access_last(struct store *s, uint64_t *n, uint8_t hash[32])
{
	PGresult *res;

	*n = 0;
	memset(hash, 0, 32);
	if (run_done(s, "SELECT pg_advisory_xact_lock(" ACCESS_LOCK ")", NULL))
		return -1;
	res = run(s, "SELECT n, hash FROM access_log ORDER BY n DESC LIMIT 1", NULL);
	if (!res)
		return -1;
	if (PQntuples(res) == 1) {
		*n = col_u64(res, 0, 0);
		if (PQgetlength(res, 0, 1) == 32)
			memcpy(hash, PQgetvalue(res, 0, 1), 32);
	}
	PQclear(res);
	return 0;
}

static int pg_access_put(struct store *s, const struct access_row *a)
{
	struct params p = { 0 };

	p_u64(&p, a->n);
	p_u64(&p, a->time_unix_nano);
	p_text(&p, a->principal);
	p_text(&p, a->role);
	p_text(&p, a->method);
	p_text(&p, a->target);
	p_i64(&p, a->status);
	p_u64(&p, a->returned);
	p_bytes(&p, a->prev, 32);
	p_bytes(&p, a->hash, 32);
	return run_done(s,
			"INSERT INTO access_log (n, time_unix_nano, principal, role, method, target, status, returned, "
			"prev, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
			&p);
}

struct access_rows {
	store_access_fn fn;
	void *ctx;
};

static int access_row(void *ctx, const PGresult *res, int i)
{
	const struct access_rows *w = ctx;
	struct access_row a = {
		.n = col_u64(res, i, 0),
		.time_unix_nano = col_u64(res, i, 1),
		.principal = PQgetvalue(res, i, 2),
		.role = PQgetvalue(res, i, 3),
		.method = PQgetvalue(res, i, 4),
		.target = PQgetvalue(res, i, 5),
		.status = (int)col_u64(res, i, 6),
		.returned = col_u64(res, i, 7),
	};

	/* a hash of another length is copied as far as it goes: verify names the entry */
	memcpy(a.prev, PQgetvalue(res, i, 8), PQgetlength(res, i, 8) < 32 ? (size_t)PQgetlength(res, i, 8) : 32);
	memcpy(a.hash, PQgetvalue(res, i, 9), PQgetlength(res, i, 9) < 32 ? (size_t)PQgetlength(res, i, 9) : 32);
	return w->fn(w->ctx, &a);
}

static int pg_each_access(struct store *s, store_access_fn fn, void *ctx)
{
	struct access_rows w = { fn, ctx };

	return each_row(s,
			"SELECT n, time_unix_nano, principal, role, method, target, status, returned, prev, hash "
			"FROM access_log ORDER BY n",
			NULL, access_row, &w);
}

static const struct store_ops pg_ops = {
	.close = pg_close,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.get_stream = pg_get_stream,
	.put_stream = pg_put_stream,
	.get_event = pg_get_event,
	.put_event = pg_put_event,
	.put_checkpoint = pg_put_checkpoint,
	.get_checkpoint = pg_get_checkpoint,
	.put_rejection = pg_put_rejection,
	.stream_ids = pg_stream_ids,
	.each_event = pg_each_event,
	.each_checkpoint = pg_each_checkpoint,
	.query = pg_query,
	.agent_state = pg_agent_state,
	.agent_request = pg_agent_request,
	.agent_decide = pg_agent_decide,
	.each_agent = pg_each_agent,
	.agents_from_file = pg_agents_from_file,
	.access_last = pg_access_last,
	.access_put = pg_access_put,
	.each_access = pg_each_access,
};
