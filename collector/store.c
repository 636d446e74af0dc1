// SPDX-License-Identifier: Apache-2.0
#include "store_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool store_is_postgres(const char *where)
{
	return strncmp(where, "postgresql://", 13) == 0 || strncmp(where, "postgres://", 11) == 0;
}

struct store *store_open(const char *where, bool create, char *err, size_t errsz)
{
	return store_is_postgres(where) ? store_pg_open(where, create, err, errsz)
					: store_sqlite_open(where, create, err, errsz);
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

const char *store_error(struct store *s)
{
	return s->err;
}

int store_begin(struct store *s)
{
	return s->ops->begin(s);
}

int store_commit(struct store *s)
{
	return s->ops->commit(s);
}

void store_rollback(struct store *s)
{
	s->ops->rollback(s);
}

int store_get_stream(struct store *s, const uint8_t id[CHAIN_STREAM_ID], struct stream_row *out)
{
	return s->ops->get_stream(s, id, out);
}

int store_put_stream(struct store *s, const struct stream_row *r)
{
	return s->ops->put_stream(s, r);
}

int store_get_event(struct store *s, const uint8_t id[CHAIN_STREAM_ID], uint64_t seq, uint8_t **bytes, size_t *len)
{
	return s->ops->get_event(s, id, seq, bytes, len);
}

int store_put_event(struct store *s, const uint8_t id[CHAIN_STREAM_ID], uint64_t seq, const uint8_t *bytes, size_t len,
		    const struct event_meta *m)
{
	return s->ops->put_event(s, id, seq, bytes, len, m);
}

int store_put_checkpoint(struct store *s, const uint8_t id[CHAIN_STREAM_ID], uint64_t size, const char *note, size_t len)
{
	return s->ops->put_checkpoint(s, id, size, note, len);
}

int store_get_checkpoint(struct store *s, const uint8_t id[CHAIN_STREAM_ID], uint64_t size, uint8_t **note, size_t *len)
{
	return s->ops->get_checkpoint(s, id, size, note, len);
}

int store_put_rejection(struct store *s, const uint8_t *agent_key, int status, const char *reason)
{
	return s->ops->put_rejection(s, agent_key, status, reason);
}

int store_each_stream(struct store *s, store_stream_fn fn, void *ctx)
{
	uint8_t(*ids)[CHAIN_STREAM_ID] = NULL;
	size_t n = 0;
	int r = s->ops->stream_ids(s, &ids, &n);

	for (size_t i = 0; !r && i < n; i++) {
		struct stream_row row;

		r = store_get_stream(s, ids[i], &row) == 1 ? fn(ctx, &row) : -1;
	}
	free(ids);
	return r;
}

int store_each_event(struct store *s, const uint8_t id[CHAIN_STREAM_ID], store_row_fn fn, void *ctx)
{
	return s->ops->each_event(s, id, fn, ctx);
}

int store_each_checkpoint(struct store *s, const uint8_t id[CHAIN_STREAM_ID], store_row_fn fn, void *ctx)
{
	return s->ops->each_checkpoint(s, id, fn, ctx);
}

int store_query(struct store *s, const struct store_query *q, store_row_fn fn, void *ctx)
{
	return s->ops->query(s, q, fn, ctx);
}

int store_agent_state(struct store *s, const uint8_t key[CHAIN_AGENT_KEY], enum agent_state *state)
{
	return s->ops->agent_state(s, key, state);
}

int store_agent_request(struct store *s, const uint8_t key[CHAIN_AGENT_KEY])
{
	return s->ops->agent_request(s, key);
}

int store_agent_decide(struct store *s, const uint8_t key[CHAIN_AGENT_KEY], enum agent_state state)
{
	return s->ops->agent_decide(s, key, state);
}

int store_each_agent(struct store *s, store_agent_fn fn, void *ctx)
{
	return s->ops->each_agent(s, fn, ctx);
}

const char *agent_state_name(enum agent_state st)
{
	switch (st) {
	case AGENT_PENDING: return "pending";
	case AGENT_APPROVED: return "approved";
	case AGENT_REVOKED: return "revoked";
	default: return "unknown";
	}
}

int store_stream_from_columns(struct store *s, const uint8_t id[CHAIN_STREAM_ID], const void *key, size_t key_len,
			      uint64_t size, const void *prev, size_t prev_len, const void *frontier,
			      size_t frontier_len, struct stream_row *out)
{
	memset(out, 0, sizeof(*out));
	if (key_len != CHAIN_AGENT_KEY || prev_len != TLOG_HASH || frontier_len % TLOG_HASH ||
	    frontier_len / TLOG_HASH != (size_t)__builtin_popcountll(size)) {
		snprintf(s->err, sizeof(s->err), "stream row damaged");
		return -1;
	}
	chain_init(&out->chain, id);
	memcpy(out->agent_key, key, CHAIN_AGENT_KEY);
	memcpy(out->chain.prev_leaf, prev, TLOG_HASH);
	out->chain.tree.size = size;
	out->chain.tree.n = (int)(frontier_len / TLOG_HASH);
	if (frontier_len)
		memcpy(out->chain.tree.h, frontier, frontier_len);
	return 1;
}
