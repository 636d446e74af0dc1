/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_backend - what a storage backend implements (store.h is the
 * contract). A backend's struct embeds struct store first; store.c
 * dispatches through ops and owns the error text.
 */
#ifndef SEALTAP_STORE_BACKEND_H
#define SEALTAP_STORE_BACKEND_H

#include "store.h"

struct store_ops {
	void (*close)(struct store *s);
	int (*begin)(struct store *s);
	int (*commit)(struct store *s);
	void (*rollback)(struct store *s);
	int (*get_stream)(struct store *s, const uint8_t id[CHAIN_STREAM_ID], struct stream_row *out);
	int (*put_stream)(struct store *s, const struct stream_row *r);
	int (*get_event)(struct store *s, const uint8_t id[CHAIN_STREAM_ID], uint64_t seq, uint8_t **bytes, size_t *len);
	int (*put_event)(struct store *s, const uint8_t id[CHAIN_STREAM_ID], uint64_t seq, const uint8_t *bytes, size_t len,
			 const struct event_meta *m);
	int (*put_checkpoint)(struct store *s, const uint8_t id[CHAIN_STREAM_ID], uint64_t size, const char *note,
			      size_t len);
	int (*get_checkpoint)(struct store *s, const uint8_t id[CHAIN_STREAM_ID], uint64_t size, uint8_t **note, size_t *len);
	int (*put_rejection)(struct store *s, const uint8_t *agent_key, int status, const char *reason);
	/* Lists stream ids (into a malloc'd array) so that walking them can
	 * query the store again. */
	int (*stream_ids)(struct store *s, uint8_t (**ids)[CHAIN_STREAM_ID], size_t *n);
	int (*each_event)(struct store *s, const uint8_t id[CHAIN_STREAM_ID], store_row_fn fn, void *ctx);
	int (*each_checkpoint)(struct store *s, const uint8_t id[CHAIN_STREAM_ID], store_row_fn fn, void *ctx);
	int (*query)(struct store *s, const struct store_query *q, store_row_fn fn, void *ctx);
	int (*agent_state)(struct store *s, const uint8_t key[CHAIN_AGENT_KEY], enum agent_state *state);
	int (*agent_request)(struct store *s, const uint8_t key[CHAIN_AGENT_KEY]);
	int (*agent_decide)(struct store *s, const uint8_t key[CHAIN_AGENT_KEY], enum agent_state state);
	int (*each_agent)(struct store *s, store_agent_fn fn, void *ctx);
	int (*agents_from_file)(struct store *s, const uint8_t (*keys)[CHAIN_AGENT_KEY], size_t n);
	/* Inside a transaction: locks the access log against other writers
	 * and gives its last entry's number and hash (0 and zeros: empty). */
	int (*access_last)(struct store *s, uint64_t *n, uint8_t hash[32]);
	int (*access_put)(struct store *s, const struct access_row *r);
	int (*each_access)(struct store *s, store_access_fn fn, void *ctx);
};

struct store {
	const struct store_ops *ops;
	char err[256];
};

/* Most of a stream row is checked the same way whatever stored it. */
int store_stream_from_columns(struct store *s, const uint8_t id[CHAIN_STREAM_ID], const void *key, size_t key_len,
			      uint64_t size, const void *prev, size_t prev_len, const void *frontier,
			      size_t frontier_len, struct stream_row *out);

struct store *store_sqlite_open(const char *path, bool create, char *err, size_t errsz);
struct store *store_pg_open(const char *uri, bool create, char *err, size_t errsz);

/* Fixed: anyone can send garbage, so only the newest are kept. */
#define REJECTIONS_KEPT 100000

#endif
