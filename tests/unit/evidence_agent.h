/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An agent's side of the evidence, for the collector's unit tests: a key, a
 * stream chained by proto/chain.c as the agent chains it, signed
 * checkpoints and batches as the agent ships them, and a collector that
 * enrolls it. Static functions in a header: each test binary of the
 * collector includes it once.
 */
#ifndef SEALTAP_TEST_EVIDENCE_AGENT_H
#define SEALTAP_TEST_EVIDENCE_AGENT_H

#include "chain.h"
#include "evidence.pb-c.h"
#include "ingest.h"
#include "note.h"
#include "store.h"

typedef Sealtap__Evidence__V1__Event Event;
typedef Sealtap__Evidence__V1__Batch Batch;

#define MAX_EVENTS 8

/* An agent as far as the collector can tell: a key and a stream. */
struct agent {
	struct note_signer *key;
	uint8_t pub[CHAIN_AGENT_KEY];
	struct chain chain;
	uint8_t events[MAX_EVENTS * 2][256]; /* every event made so far, by sequence number */
	size_t lens[MAX_EVENTS * 2];
};

/* A batch as the agent sends it (bytes malloc'd). */
struct batch {
	uint8_t *bytes;
	size_t len;
};

static void agent_init(struct agent *a, uint8_t seed_byte, uint8_t stream_byte)
{
	uint8_t seed[NOTE_SEED], id[CHAIN_STREAM_ID], probe_pub[NOTE_PUBKEY];
	char name[NOTE_NAME_MAX];
	struct note_signer *probe;

	memset(a, 0, sizeof(*a));
	memset(seed, seed_byte, sizeof(seed));
	probe = note_signer_new("k", seed);
	assert_non_null(probe);
	note_signer_public(probe, probe_pub);
	note_signer_free(probe);
	note_key_name("agent", probe_pub, name);
	a->key = note_signer_new(name, seed);
	assert_non_null(a->key);
	note_signer_public(a->key, a->pub);
	memset(id, stream_byte, sizeof(id));
	chain_init(&a->chain, id);
}

/* The next event of the agent's stream (a heartbeat counting n). */
static void agent_event(struct agent *a, uint64_t n)
{
	Event e = SEALTAP__EVIDENCE__V1__EVENT__INIT;
	Sealtap__Evidence__V1__Heartbeat h = SEALTAP__EVIDENCE__V1__HEARTBEAT__INIT;
	uint64_t seq = a->chain.tree.size;

	assert_true(seq < MAX_EVENTS * 2);
	e.schema_version = SEALTAP__EVIDENCE__V1__SCHEMA_VERSION__SCHEMA_VERSION_1;
	chain_link(&a->chain, &e);
	e.time_unix_nano = 1700000000000000000ull + seq;
	e.node = "unit";
	h.exchanges = n;
	e.kind_case = SEALTAP__EVIDENCE__V1__EVENT__KIND_HEARTBEAT;
	e.heartbeat = &h;
	a->lens[seq] = sealtap__evidence__v1__event__pack(&e, a->events[seq]);
	chain_append(&a->chain, a->events[seq], a->lens[seq]);
}

/* A signed checkpoint of the agent's tree as it stands. */
static size_t agent_checkpoint(struct agent *a, char *note, size_t cap)
{
	char origin[NOTE_ORIGIN_MAX];
	uint8_t root[TLOG_HASH];
	int n;

	checkpoint_origin(a->chain.id, origin);
	chain_root(&a->chain, root);
	n = checkpoint_body(note, cap, origin, a->chain.tree.size, root);
	assert_true(n > 0);
	n = note_sign(a->key, note, (size_t)n, cap);
	assert_true(n > 0);
	return (size_t)n;
}

/* Events [from, to) of the agent's stream with its checkpoint at to. */
static struct batch make_batch(struct agent *a, uint64_t from, uint64_t to, const char *note, size_t note_len)
{
	Batch b = SEALTAP__EVIDENCE__V1__BATCH__INIT;
	ProtobufCBinaryData ev[MAX_EVENTS * 2];
	struct batch out;

	for (uint64_t i = from; i < to; i++)
		ev[i - from] = (ProtobufCBinaryData){ a->lens[i], a->events[i] };
	b.stream_id = (ProtobufCBinaryData){ CHAIN_STREAM_ID, a->chain.id };
	b.first_seq = from;
	b.n_events = (size_t)(to - from);
	b.events = ev;
	b.checkpoint = (ProtobufCBinaryData){ note_len, (uint8_t *)note };
	b.agent_public_key = (ProtobufCBinaryData){ CHAIN_AGENT_KEY, a->pub };
	out.len = sealtap__evidence__v1__batch__get_packed_size(&b);
	out.bytes = malloc(out.len);
	assert_non_null(out.bytes);
	sealtap__evidence__v1__batch__pack(&b, out.bytes);
	return out;
}

/* A collector that enrolls a's key, cosigns with a fixed key and keeps its
 * store at where (":memory:", or a file). */
static void collector_init(struct collector *col, const struct agent *a, const char *where)
{
	uint8_t seed[NOTE_SEED];
	char err[256];

	memset(col, 0, sizeof(*col));
	col->allow.keys = malloc(CHAIN_AGENT_KEY);
	assert_non_null(col->allow.keys);
	memcpy(col->allow.keys[0], a->pub, CHAIN_AGENT_KEY);
	col->allow.n = 1;
	memset(seed, 0x09, sizeof(seed));
	col->signer = note_signer_new("sealtap-collector-unit", seed);
	assert_non_null(col->signer);
	col->store = store_open(where, true, err, sizeof(err));
	if (!col->store)
		fail_msg("%s: %s", where, err);
}

static void collector_release(struct collector *col)
{
	store_close(col->store);
	note_signer_free(col->signer);
	free(col->allow.keys);
}

#endif
