// SPDX-License-Identifier: Apache-2.0
/* The one implementation of an evidence stream's rules (proto/chain.c):
 * known answers computed outside this code (Python's hashlib and the
 * cryptography package's Ed25519, from the events' exact bytes), then every
 * kind of tampering an auditor's check must refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "chain.h"
#include "evidence.pb-c.h"

typedef Sealtap__Evidence__V1__Event Event;

static const uint8_t stream_id[CHAIN_STREAM_ID] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
						     0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf };
/* Three heartbeat events of that stream, as chain_link and protobuf-c make
 * them, and what hashlib says of them: event 0's leaf hash, and the root of
 * the tree of all three, H(1 || H(1 || l0 || l1) || l2). */
static const char *const event_hex[3] = {
	"08011210a0a1a2a3a4a5a6a7a8a9aaabacadaeaf2900002a36fe9c971732036b6174da0100",
	"08011210a0a1a2a3a4a5a6a7a8a9aaabacadaeaf180122200be343240feb50499a5a0d79934861bbd8ebebcc01c69a50213"
	"3b0b2803354312901002a36fe9c971732036b6174da01020801",
	"08011210a0a1a2a3a4a5a6a7a8a9aaabacadaeaf180222209c5bd909eae48358a3e0550f029657bc6c1f3433fa73a1437f1"
	"62b93ab52d27b2902002a36fe9c971732036b6174da01020802",
};
static const char leaf0_hex[] = "0be343240feb50499a5a0d79934861bbd8ebebcc01c69a502133b0b280335431";
static const char root3_hex[] = "0d173040826bf8eab174473b1076a2d5b546ae00cc2059033173d9f6804fc23a";
/* The checkpoint of those three events signed by the Ed25519 key whose seed
 * is 00 01 .. 1f, made by the cryptography package. */
static const char agent_pub_hex[] = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";
static const char checkpoint_note[] =
	"sealtap/stream/a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\n3\nDRcwQIJr+OqxdEc7EHai1bVGrgDMIFkDMXPZ9oBPwjo=\n\n"
	"\xe2\x80\x94 sealtap-agent-03a107bff3ce10be "
	"PO5epHhg/Ahe14r1g12gBXxAVSY+j6jLjmIFxSZrKCS9nsPDKbQZ/Hez8wNlX5osH1svd8R4ANPuBoVphTN5srTJVgI=\n";

struct bytes {
	uint8_t p[512];
	size_t n;
};

static void unhex(const char *h, uint8_t *out, size_t *n)
{
	size_t k = strlen(h) / 2;

	for (size_t i = 0; i < k; i++)
		assert_int_equal(sscanf(h + 2 * i, "%2hhx", &out[i]), 1);
	if (n)
		*n = k;
}

static struct bytes event_bytes(int i)
{
	struct bytes b;

	unhex(event_hex[i], b.p, &b.n);
	return b;
}

static void agent_pub(uint8_t pub[CHAIN_AGENT_KEY])
{
	unhex(agent_pub_hex, pub, NULL);
}

/* The writer's side: chain_link gives three events the exact bytes above. */
static void test_chain_link_makes_the_known_events(void **state)
{
	struct chain c;

	(void)state;
	chain_init(&c, stream_id);
	for (int i = 0; i < 3; i++) {
		Event e = SEALTAP__EVIDENCE__V1__EVENT__INIT;
		Sealtap__Evidence__V1__Heartbeat h = SEALTAP__EVIDENCE__V1__HEARTBEAT__INIT;
		struct bytes want = event_bytes(i);
		uint8_t got[512];
		size_t n;

		e.schema_version = SEALTAP__EVIDENCE__V1__SCHEMA_VERSION__SCHEMA_VERSION_1;
		chain_link(&c, &e);
		e.time_unix_nano = 1700000000000000000ull + (uint64_t)i;
		e.node = "kat";
		h.exchanges = (uint64_t)i;
		e.kind_case = SEALTAP__EVIDENCE__V1__EVENT__KIND_HEARTBEAT;
		e.heartbeat = &h;
		n = sealtap__evidence__v1__event__pack(&e, got);
		assert_int_equal(n, want.n);
		assert_memory_equal(got, want.p, n);
		chain_append(&c, got, n);
	}
	assert_int_equal(c.tree.size, 3);
}

/* The reader's side: the known events step through, with hashlib's leaf and
 * root, and the known checkpoint is the stream's and states that tree. */
static void test_chain_known_answers(void **state)
{
	uint8_t leaf0[TLOG_HASH], root3[TLOG_HASH], root[TLOG_HASH], pub[CHAIN_AGENT_KEY];
	struct chain_checkpoint cp;
	struct chain c;

	(void)state;
	unhex(leaf0_hex, leaf0, NULL);
	unhex(root3_hex, root3, NULL);
	agent_pub(pub);
	chain_init(&c, stream_id);
	for (int i = 0; i < 3; i++) {
		struct bytes b = event_bytes(i);

		assert_int_equal(chain_step(&c, b.p, b.n, NULL), CHAIN_NEXT);
		if (i == 0)
			assert_memory_equal(c.prev_leaf, leaf0, TLOG_HASH);
	}
	chain_root(&c, root);
	assert_memory_equal(root, root3, TLOG_HASH);
	assert_int_equal(chain_checkpoint_check(checkpoint_note, strlen(checkpoint_note), stream_id, pub, &cp),
			 CHAIN_CHECKPOINT_OK);
	assert_int_equal(cp.size, 3);
	assert_memory_equal(cp.root, root3, TLOG_HASH);
	assert_int_equal(cp.body_len, strchr(strstr(checkpoint_note, "\n\n"), '\n') - checkpoint_note + 1);
	assert_true(chain_checkpoint_matches(&c, &cp));
}

/* An event re-encoded with one field changed, as a tamperer would. */
static struct bytes altered(int i, void (*change)(Event *e))
{
	struct bytes b = event_bytes(i);
	Event *e = sealtap__evidence__v1__event__unpack(NULL, b.n, b.p);
	Event copy;

	assert_non_null(e);
	copy = *e; /* changed in the copy: the unpacked event frees its own pointers */
	change(&copy);
	b.n = sealtap__evidence__v1__event__pack(&copy, b.p);
	sealtap__evidence__v1__event__free_unpacked(e, NULL);
	return b;
}

static uint8_t other_id[CHAIN_STREAM_ID] = { 1 };
static uint8_t wrong_leaf[TLOG_HASH] = { 0xbb };
static void other_stream(Event *e) { e->stream_id.data = other_id; }
static void seq_plus_one(Event *e) { e->seq++; }
static void bad_link(Event *e) { e->prev_leaf_hash.data = wrong_leaf; }
static void no_link(Event *e) { e->prev_leaf_hash.len = 0; }
static void link_at_zero(Event *e) { e->prev_leaf_hash = (ProtobufCBinaryData){ TLOG_HASH, wrong_leaf }; }
static void other_node(Event *e) { e->node = "elsewhere"; }

/* Every way an event can fail to continue a stream, and a refused event
 * leaves the chain as it was. */
static void test_chain_refuses_each_tampered_event(void **state)
{
	static const struct {
		int at; /* the event replaced */
		void (*change)(Event *e);
		enum chain_verdict want;
	} cases[] = {
		{ 1, other_stream, CHAIN_OTHER_STREAM }, { 1, seq_plus_one, CHAIN_WRONG_SEQ },
		{ 1, bad_link, CHAIN_BROKEN_LINK },      { 1, no_link, CHAIN_BROKEN_LINK },
		{ 0, link_at_zero, CHAIN_BROKEN_LINK },  { 2, seq_plus_one, CHAIN_WRONG_SEQ },
	};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct chain c, before;

		chain_init(&c, stream_id);
		for (int i = 0; i < cases[k].at; i++) {
			struct bytes b = event_bytes(i);

			assert_int_equal(chain_step(&c, b.p, b.n, NULL), CHAIN_NEXT);
		}
		before = c;
		{
			struct bytes b = altered(cases[k].at, cases[k].change);
			Event *e = NULL;

			assert_int_equal(chain_step(&c, b.p, b.n, &e), cases[k].want);
			assert_non_null(e); /* handed over even when refused, for the caller's message */
			sealtap__evidence__v1__event__free_unpacked(e, NULL);
		}
		assert_memory_equal(&c, &before, sizeof(c));
	}
	{ /* bytes that are not an Event at all */
		static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
		struct chain c;
		Event *e = (Event *)1;

		chain_init(&c, stream_id);
		assert_int_equal(chain_step(&c, junk, sizeof(junk), &e), CHAIN_NOT_AN_EVENT);
		assert_null(e);
		assert_int_equal(c.tree.size, 0);
	}
	{ /* a replayed event: the right one, a second time */
		struct chain c;
		struct bytes b = event_bytes(0);

		chain_init(&c, stream_id);
		assert_int_equal(chain_step(&c, b.p, b.n, NULL), CHAIN_NEXT);
		assert_int_equal(chain_step(&c, b.p, b.n, NULL), CHAIN_WRONG_SEQ);
	}
}

/* An event whose content changed but whose chain fields did not still
 * steps (the link is to the previous event), and the tree then no longer
 * matches the signed checkpoint: the root is what catches it. */
static void test_chain_altered_content_breaks_the_root(void **state)
{
	uint8_t pub[CHAIN_AGENT_KEY];
	struct chain_checkpoint cp;
	struct chain c;
	struct bytes b;

	(void)state;
	agent_pub(pub);
	assert_int_equal(chain_checkpoint_check(checkpoint_note, strlen(checkpoint_note), stream_id, pub, &cp),
			 CHAIN_CHECKPOINT_OK);
	chain_init(&c, stream_id);
	b = event_bytes(0);
	assert_int_equal(chain_step(&c, b.p, b.n, NULL), CHAIN_NEXT);
	b = event_bytes(1);
	assert_int_equal(chain_step(&c, b.p, b.n, NULL), CHAIN_NEXT);
	b = altered(2, other_node);
	assert_int_equal(chain_step(&c, b.p, b.n, NULL), CHAIN_NEXT);
	assert_false(chain_checkpoint_matches(&c, &cp));
	/* ... and a tree of another size never matches, whatever its root. */
	chain_init(&c, stream_id);
	b = event_bytes(0);
	assert_int_equal(chain_step(&c, b.p, b.n, NULL), CHAIN_NEXT);
	assert_false(chain_checkpoint_matches(&c, &cp));
}

/* Every way a checkpoint can fail to be the stream's. */
static void test_chain_refuses_each_bad_checkpoint(void **state)
{
	uint8_t pub[CHAIN_AGENT_KEY], other_pub[CHAIN_AGENT_KEY];
	struct chain_checkpoint cp;
	char note[sizeof(checkpoint_note)];
	size_t n = strlen(checkpoint_note);
	uint8_t other_stream_id[CHAIN_STREAM_ID];

	(void)state;
	agent_pub(pub);
	memcpy(other_pub, pub, sizeof(pub));
	other_pub[0] ^= 1;
	/* another key */
	assert_int_equal(chain_checkpoint_check(checkpoint_note, n, stream_id, other_pub, &cp),
			 CHAIN_CHECKPOINT_UNSIGNED);
	/* the body altered: the size */
	memcpy(note, checkpoint_note, sizeof(note));
	note[strchr(note, '\n') - note + 1] = '4';
	assert_int_equal(chain_checkpoint_check(note, n, stream_id, pub, &cp), CHAIN_CHECKPOINT_UNSIGNED);
	/* the signature altered */
	memcpy(note, checkpoint_note, sizeof(note));
	note[n - 10] = note[n - 10] == 'A' ? 'B' : 'A';
	assert_int_equal(chain_checkpoint_check(note, n, stream_id, pub, &cp), CHAIN_CHECKPOINT_UNSIGNED);
	/* cut short: no signature line */
	assert_int_equal(chain_checkpoint_check(checkpoint_note, (size_t)(strstr(checkpoint_note, "\n\n") -
									     checkpoint_note) + 2,
						stream_id, pub, &cp),
			 CHAIN_CHECKPOINT_UNSIGNED);
	/* well signed, but for another stream (its origin names this one) */
	memcpy(other_stream_id, stream_id, sizeof(other_stream_id));
	other_stream_id[15] ^= 1;
	assert_int_equal(chain_checkpoint_check(checkpoint_note, n, other_stream_id, pub, &cp),
			 CHAIN_CHECKPOINT_OTHER_STREAM);
}

/* A signed note whose body is not a checkpoint is told apart from an
 * unsigned one (the collector answers 400, not 403). */
static void test_chain_signed_note_that_is_no_checkpoint(void **state)
{
	static const uint8_t seed[NOTE_SEED] = { 0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
						 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31 };
	uint8_t pub[CHAIN_AGENT_KEY], signer_pub[CHAIN_AGENT_KEY];
	char name[NOTE_NAME_MAX], note[NOTE_MAX] = "sealtap/stream/a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\nnot a size\n";
	struct note_signer *s;
	struct chain_checkpoint cp;
	int n;

	(void)state;
	agent_pub(pub);
	note_key_name("agent", pub, name);
	s = note_signer_new(name, seed);
	assert_non_null(s);
	note_signer_public(s, signer_pub);
	assert_memory_equal(signer_pub, pub, CHAIN_AGENT_KEY); /* the seed is the known key's */
	n = note_sign(s, note, strlen(note), sizeof(note));
	assert_true(n > 0);
	assert_int_equal(chain_checkpoint_check(note, (size_t)n, stream_id, pub, &cp), CHAIN_CHECKPOINT_MALFORMED);
	note_signer_free(s);
}

/* The collector's cosignature on the agent's checkpoint: found under the
 * collector's key name, absent from the agent-signed note alone, and not
 * taken from the agent's own key. */
static void test_chain_collector_cosignature(void **state)
{
	uint8_t seed[NOTE_SEED], collector[NOTE_PUBKEY], agent[CHAIN_AGENT_KEY];
	char name[NOTE_NAME_MAX], note[NOTE_MAX];
	struct chain_checkpoint cp;
	struct note_signer *probe, *s;
	size_t n = strlen(checkpoint_note);
	int k;

	(void)state;
	agent_pub(agent);
	memset(seed, 0x42, sizeof(seed));
	probe = note_signer_new("k", seed);
	assert_non_null(probe);
	note_signer_public(probe, collector);
	note_signer_free(probe);
	note_key_name("collector", collector, name);
	s = note_signer_new(name, seed);
	assert_non_null(s);
	assert_int_equal(chain_checkpoint_cosigned(checkpoint_note, n, stream_id, collector, &cp),
			 CHAIN_CHECKPOINT_UNSIGNED);
	memcpy(note, checkpoint_note, n);
	k = note_sign(s, note, n, sizeof(note));
	assert_true(k > (int)n);
	assert_int_equal(chain_checkpoint_cosigned(note, (size_t)k, stream_id, collector, &cp), CHAIN_CHECKPOINT_OK);
	assert_int_equal(cp.size, 3);
	assert_int_equal(chain_checkpoint_check(note, (size_t)k, stream_id, agent, &cp), CHAIN_CHECKPOINT_OK);
	assert_int_equal(chain_checkpoint_cosigned(note, (size_t)k, stream_id, agent, &cp),
			 CHAIN_CHECKPOINT_UNSIGNED); /* the agent's key is no collector's */
	note_signer_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_link_makes_the_known_events),
		cmocka_unit_test(test_chain_known_answers),
		cmocka_unit_test(test_chain_refuses_each_tampered_event),
		cmocka_unit_test(test_chain_altered_content_breaks_the_root),
		cmocka_unit_test(test_chain_refuses_each_bad_checkpoint),
		cmocka_unit_test(test_chain_signed_note_that_is_no_checkpoint),
		cmocka_unit_test(test_chain_collector_cosignature),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
