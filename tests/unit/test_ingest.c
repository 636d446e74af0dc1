// SPDX-License-Identifier: Apache-2.0
/* The collector's verdict on a batch (collector/ingest.c), against a real
 * SQLite store in memory, no privileges: every answer the contract in
 * ingest.h lists — 200 stored and cosigned, 200 identical duplicate, 400,
 * 403, 409 — each made by the one change that should cause it, and what
 * was stored checked by verify_store afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "evidence_agent.h"
#include "verify.h"

static struct collector col;
static uint8_t collector_pub[NOTE_PUBKEY];

/* Sends a batch; returns the status and fills r (released by the caller). */
static int send(const struct batch *b, struct ingest_result *r)
{
	ingest_batch(&col, b->bytes, b->len, r);
	return r->status;
}

static void expect(const struct batch *b, int status, const char *message_part, uint64_t stored)
{
	struct ingest_result r;

	assert_int_equal(send(b, &r), status);
	if (!strstr(r.message, message_part))
		fail_msg("status %d message '%s' lacks '%s'", r.status, r.message, message_part);
	assert_int_equal(r.stored, stored);
	ingest_result_release(&r);
	free(b->bytes);
}

static int problems(void)
{
	uint64_t streams, events;
	FILE *devnull = fopen("/dev/null", "w");
	int n = verify_store(col.store, NULL, devnull, &streams, &events);

	fclose(devnull);
	return n;
}

static struct agent enrolled, stranger;

static int setup(void **state)
{
	(void)state;
	agent_init(&enrolled, 0x07, 0x11);
	agent_init(&stranger, 0x08, 0x22);
	collector_init(&col, &enrolled, ":memory:");
	note_signer_public(col.signer, collector_pub);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	collector_release(&col);
	note_signer_free(enrolled.key);
	note_signer_free(stranger.key);
	return 0;
}

/* 200: a stream's first batch is stored, and the answer is an Ack whose
 * checkpoint carries the agent's signature and the collector's. Sent
 * again, it is an identical duplicate: 200, nothing new stored. */
static void test_ingest_stores_and_cosigns(void **state)
{
	char note[NOTE_MAX], name[NOTE_NAME_MAX];
	struct ingest_result r;
	struct batch b;
	size_t n, body;
	Sealtap__Evidence__V1__Ack *ack;

	(void)state;
	for (int i = 0; i < 3; i++)
		agent_event(&enrolled, (uint64_t)i);
	n = agent_checkpoint(&enrolled, note, sizeof(note));
	b = make_batch(&enrolled, 0, 3, note, n);
	assert_int_equal(send(&b, &r), 200);
	assert_int_equal(r.stored, 3);
	ack = sealtap__evidence__v1__ack__unpack(NULL, r.body_len, r.body);
	assert_non_null(ack);
	assert_int_equal(ack->tree_size, 3);
	assert_memory_equal(ack->stream_id.data, enrolled.chain.id, CHAIN_STREAM_ID);
	note_key_name("agent", enrolled.pub, name);
	assert_true(note_verify((const char *)ack->cosigned_checkpoint.data, ack->cosigned_checkpoint.len, name,
				enrolled.pub, &body));
	assert_true(note_verify((const char *)ack->cosigned_checkpoint.data, ack->cosigned_checkpoint.len,
				note_signer_name(col.signer), collector_pub, &body));
	sealtap__evidence__v1__ack__free_unpacked(ack, NULL);
	ingest_result_release(&r);
	expect(&b, 200, "already stored", 0);
	assert_int_equal(problems(), 0);
}

/* 200 for the next batch, which continues the stored stream. */
static void test_ingest_continues_a_stream(void **state)
{
	char note[NOTE_MAX];
	size_t n;
	struct batch b;

	(void)state;
	agent_event(&enrolled, 3);
	agent_event(&enrolled, 4);
	n = agent_checkpoint(&enrolled, note, sizeof(note));
	b = make_batch(&enrolled, 3, 5, note, n);
	expect(&b, 200, "stored 2 events", 2);
	assert_int_equal(problems(), 0);
}

/* 400 for bytes that are no batch, a checkpoint that does not end with the
 * batch, an event that does not continue the stream, and a root that is
 * not the events'. Nothing of them is stored. */
static void test_ingest_refuses_malformed_batches(void **state)
{
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
	struct batch garbage = { malloc(sizeof(junk)), sizeof(junk) };
	char note[NOTE_MAX], fork_note[NOTE_MAX];
	struct agent fork;
	struct batch b;
	size_t n, fork_n;

	(void)state;
	memcpy(garbage.bytes, junk, sizeof(junk));
	expect(&garbage, 400, "not a Batch", 0);

	/* The store holds events 0..4. A checkpoint at 6 for a batch that
	 * ends at 5. */
	agent_event(&enrolled, 5);
	n = agent_checkpoint(&enrolled, note, sizeof(note));
	b = make_batch(&enrolled, 3, 5, note, n);
	expect(&b, 400, "does not end with the batch", 0);
	b = make_batch(&enrolled, 5, 6, note, n);
	expect(&b, 200, "stored 1 events", 1);

	/* A fork of the same stream and key from event 5 on: its event 6
	 * links to its own 5, not to the 5 the store holds. */
	fork = enrolled;
	chain_init(&fork.chain, enrolled.chain.id);
	for (uint64_t i = 0; i < 5; i++)
		chain_append(&fork.chain, enrolled.events[i], enrolled.lens[i]);
	agent_event(&fork, 99);
	agent_event(&fork, 6);
	fork_n = agent_checkpoint(&fork, fork_note, sizeof(fork_note));
	b = make_batch(&fork, 6, 7, fork_note, fork_n);
	expect(&b, 400, "does not continue the stream", 0);

	/* The real event 6, which chains, under the fork's checkpoint at 7:
	 * the signed root is not the root of the stored events and this one. */
	agent_event(&enrolled, 6);
	b = make_batch(&enrolled, 6, 7, fork_note, fork_n);
	expect(&b, 400, "root is not the root", 0);
	assert_int_equal(problems(), 0);
}

/* 403 for a key not enrolled, a checkpoint not signed by the batch's key,
 * and (with first-use enrollment) a key awaiting approval. */
static void test_ingest_refuses_unknown_keys(void **state)
{
	char note[NOTE_MAX];
	struct batch b;
	size_t n;

	(void)state;
	agent_event(&stranger, 0);
	n = agent_checkpoint(&stranger, note, sizeof(note));
	b = make_batch(&stranger, 0, 1, note, n);
	expect(&b, 403, "not enrolled", 0);

	/* The enrolled key's batch with the stranger's signature on it. */
	b = make_batch(&enrolled, 7, 7, note, n);
	expect(&b, 403, "not signed by this agent's key", 0);

	col.first_use = true;
	b = make_batch(&stranger, 0, 1, note, n);
	expect(&b, 403, "awaiting approval", 0);
	b = make_batch(&stranger, 0, 1, note, n);
	expect(&b, 403, "awaiting approval", 0); /* still: an operator must approve */
	assert_int_equal(store_agent_decide(col.store, stranger.pub, AGENT_APPROVED), 0);
	b = make_batch(&stranger, 0, 1, note, n);
	expect(&b, 200, "stored 1 events", 1);
	col.first_use = false;
}

/* 409 for a batch that starts past what is stored (the Ack says how much
 * is), and for an event stored with other bytes (equivocation). */
static void test_ingest_refuses_gaps_and_equivocation(void **state)
{
	char note[NOTE_MAX];
	struct ingest_result r;
	Sealtap__Evidence__V1__Ack *ack;
	struct agent other;
	struct batch b;
	size_t n;

	(void)state;
	/* The enrolled stream holds events 0..5; send 8 alone. */
	agent_event(&enrolled, 7);
	agent_event(&enrolled, 8);
	n = agent_checkpoint(&enrolled, note, sizeof(note));
	b = make_batch(&enrolled, 8, 9, note, n);
	assert_int_equal(send(&b, &r), 409);
	assert_non_null(strstr(r.message, "gap"));
	ack = sealtap__evidence__v1__ack__unpack(NULL, r.body_len, r.body);
	assert_non_null(ack);
	assert_int_equal(ack->tree_size, 6);
	sealtap__evidence__v1__ack__free_unpacked(ack, NULL);
	ingest_result_release(&r);
	free(b.bytes);

	/* Event 1 again, with other bytes, under a valid checkpoint of a
	 * stream that says so: the same key re-signing history. */
	other = enrolled;
	chain_init(&other.chain, enrolled.chain.id);
	chain_append(&other.chain, enrolled.events[0], enrolled.lens[0]);
	agent_event(&other, 1000);
	n = agent_checkpoint(&other, note, sizeof(note));
	b = make_batch(&other, 1, 2, note, n);
	expect(&b, 409, "equivocation", 0);
	assert_int_equal(problems(), 0);
}

int main(void)
{
	/* In order: each test continues the store the ones before left. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ingest_stores_and_cosigns),
		cmocka_unit_test(test_ingest_continues_a_stream),
		cmocka_unit_test(test_ingest_refuses_malformed_batches),
		cmocka_unit_test(test_ingest_refuses_unknown_keys),
		cmocka_unit_test(test_ingest_refuses_gaps_and_equivocation),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
