// SPDX-License-Identifier: Apache-2.0
#include "chain.h"

#include <string.h>

#include "evidence.pb-c.h"

typedef Sealtap__Evidence__V1__Event Event;

_Static_assert(CHAIN_STREAM_ID == 16, "checkpoint_origin takes a 16-byte stream id");

void chain_init(struct chain *c, const uint8_t id[CHAIN_STREAM_ID])
{
	memset(c, 0, sizeof(*c));
	memcpy(c->id, id, CHAIN_STREAM_ID);
	tlog_frontier_init(&c->tree);
}

void chain_link(const struct chain *c, Event *e)
{
	e->stream_id = (ProtobufCBinaryData){ CHAIN_STREAM_ID, (uint8_t *)c->id };
	e->seq = c->tree.size;
	e->prev_leaf_hash = (ProtobufCBinaryData){ c->tree.size ? TLOG_HASH : 0, (uint8_t *)c->prev_leaf };
}

enum chain_verdict chain_claims(const Event *e, const uint8_t id[CHAIN_STREAM_ID], uint64_t seq)
{
	if (e->stream_id.len != CHAIN_STREAM_ID || memcmp(e->stream_id.data, id, CHAIN_STREAM_ID) != 0)
		return CHAIN_OTHER_STREAM;
	return e->seq == seq ? CHAIN_NEXT : CHAIN_WRONG_SEQ;
}

enum chain_verdict chain_check(const struct chain *c, const Event *e)
{
	enum chain_verdict v = chain_claims(e, c->id, c->tree.size);
	bool linked;

	if (v != CHAIN_NEXT)
		return v;
	if (c->tree.size == 0)
		linked = e->prev_leaf_hash.len == 0;
	else
		linked = e->prev_leaf_hash.len == TLOG_HASH &&
			 memcmp(e->prev_leaf_hash.data, c->prev_leaf, TLOG_HASH) == 0;
	return linked ? CHAIN_NEXT : CHAIN_BROKEN_LINK;
}

void chain_append(struct chain *c, const uint8_t *bytes, size_t len)
{
	tlog_leaf_hash(bytes, len, c->prev_leaf);
	tlog_frontier_append(&c->tree, c->prev_leaf);
}

enum chain_verdict chain_step(struct chain *c, const uint8_t *bytes, size_t len, Event **out)
{
	Event *e = sealtap__evidence__v1__event__unpack(NULL, len, bytes);
	enum chain_verdict v = e ? chain_check(c, e) : CHAIN_NOT_AN_EVENT;

	if (v == CHAIN_NEXT)
		chain_append(c, bytes, len);
	if (out)
		*out = e;
	else if (e)
		sealtap__evidence__v1__event__free_unpacked(e, NULL);
	return v;
}

void chain_root(const struct chain *c, uint8_t root[TLOG_HASH])
{
	tlog_frontier_root(&c->tree, root);
}

/* The checkpoint check, for a signature by role's key: the agent's own, or
 * the collector's cosignature. */
static enum chain_checkpoint_verdict check_signed(const char *note, size_t len, const uint8_t id[CHAIN_STREAM_ID],
						  const char *role, const uint8_t key[NOTE_PUBKEY],
						  struct chain_checkpoint *cp)
{
	char name[NOTE_NAME_MAX], want[NOTE_ORIGIN_MAX], origin[NOTE_ORIGIN_MAX + 64];

	note_key_name(role, key, name);
	if (!note_verify(note, len, name, key, &cp->body_len))
		return CHAIN_CHECKPOINT_UNSIGNED;
	if (!checkpoint_parse(note, cp->body_len, origin, sizeof(origin), &cp->size, cp->root))
		return CHAIN_CHECKPOINT_MALFORMED;
	checkpoint_origin(id, want);
	return strcmp(origin, want) == 0 ? CHAIN_CHECKPOINT_OK : CHAIN_CHECKPOINT_OTHER_STREAM;
}

enum chain_checkpoint_verdict chain_checkpoint_check(const char *note, size_t len, const uint8_t id[CHAIN_STREAM_ID],
						     const uint8_t key[CHAIN_AGENT_KEY], struct chain_checkpoint *cp)
{
	return check_signed(note, len, id, "agent", key, cp);
}

enum chain_checkpoint_verdict chain_checkpoint_cosigned(const char *note, size_t len, const uint8_t id[CHAIN_STREAM_ID],
							const uint8_t collector_key[NOTE_PUBKEY],
							struct chain_checkpoint *cp)
{
	return check_signed(note, len, id, "collector", collector_key, cp);
}

bool chain_checkpoint_matches(const struct chain *c, const struct chain_checkpoint *cp)
{
	uint8_t ours[TLOG_HASH];

	if (cp->size != c->tree.size)
		return false;
	chain_root(c, ours);
	return memcmp(ours, cp->root, TLOG_HASH) == 0;
}
