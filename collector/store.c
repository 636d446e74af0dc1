// SPDX-License-Identifier: Apache-2.0
#include "store_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

bool store_is_postgres(const char *where)
{
	return strncmp(where, "postgresql://", 13) == 0 || strncmp(where, "postgres://", 11) == 0;
}

void store_redacted(const char *where, char *out, size_t cap)
{
	const char *auth = strstr(where, "://"), *at, *colon, *slash;
	size_t o = 0;

	if (!store_is_postgres(where) || !auth) {
		snprintf(out, cap, "%s", where);
		return;
	}
	auth += 3;
	at = strchr(auth, '@');
	colon = strchr(auth, ':');
	slash = strchr(auth, '/');
	if (!cap)
		return;
	for (const char *p = where; *p && o + 1 < cap;) {
		if (at && colon && colon < at && (!slash || colon < slash) && p == colon + 1) {
			/* postgresql://user:SECRET@host/... */
			o += (size_t)snprintf(out + o, cap - o, "***");
			p = at;
		} else if (!strncmp(p, "password=", 9) && (p == where || p[-1] == '?' || p[-1] == '&')) {
			/* ...?password=SECRET&... */
			o += (size_t)snprintf(out + o, cap - o, "password=***");
			p += 9 + strcspn(p + 9, "&");
		} else {
			out[o++] = *p++;
		}
		if (o >= cap)
			o = cap - 1;
	}
	out[o] = 0;
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

int store_agents_from_file(struct store *s, const uint8_t (*keys)[CHAIN_AGENT_KEY], size_t n)
{
	if (store_begin(s))
		return -1;
	if (s->ops->agents_from_file(s, keys, n) || store_commit(s)) {
		store_rollback(s);
		return -1;
	}
	return 0;
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
	case AGENT_FILE: return "allow-file";
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

static void put_be(EVP_MD_CTX *c, uint64_t v, int bytes)
{
	uint8_t b[8];

	for (int i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	EVP_DigestUpdate(c, b, (size_t)bytes);
}

static void put_str0(EVP_MD_CTX *c, const char *s)
{
	EVP_DigestUpdate(c, s ? s : "", s ? strlen(s) + 1 : 1);
}

void store_access_hash(const struct access_row *r, uint8_t out[32])
{
	static const char domain[] = "sealtap access log v1";
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	EVP_DigestUpdate(c, domain, sizeof(domain)); /* with its 0 byte */
	put_be(c, r->n, 8);
	put_be(c, r->time_unix_nano, 8);
	put_str0(c, r->principal);
	put_str0(c, r->role);
	put_str0(c, r->method);
	put_str0(c, r->target);
	put_be(c, (uint32_t)r->status, 4);
	put_be(c, r->returned, 8);
	EVP_DigestUpdate(c, r->prev, 32);
	EVP_DigestFinal_ex(c, out, NULL);
	EVP_MD_CTX_free(c);
}

int store_access_append(struct store *s, struct access_row *r)
{
	uint64_t last = 0;

	if (store_begin(s))
		return -1;
	if (s->ops->access_last(s, &last, r->prev)) {
		store_rollback(s);
		return -1;
	}
	r->n = last + 1;
	store_access_hash(r, r->hash);
	if (s->ops->access_put(s, r) || store_commit(s)) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

int store_each_access(struct store *s, store_access_fn fn, void *ctx)
{
	return s->ops->each_access(s, fn, ctx);
}
