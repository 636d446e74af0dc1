/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chain - the rules of an evidence stream, in one place. The agent that
 * writes a stream, the collector that ingests it, and the verifier and the
 * proof export that check it all call these, so that "this event continues
 * the stream" and "this checkpoint is the stream's" cannot mean different
 * things to different readers:
 *
 *   event n     carries the stream's id, seq = n and, when n > 0, the leaf
 *               hash of event n-1 (none for n = 0). Its leaf hash is
 *               SHA-256(0x00 || its exact serialised bytes) (tlog.h), and
 *               appending it extends the stream's RFC 6962 tree by that leaf.
 *   checkpoint  a C2SP signed note by the agent's key, named
 *               note_key_name("agent", key), whose body names the stream's
 *               origin (checkpoint_origin), a tree size and that tree's root;
 *               the collector cosigns it with its own key when it stores it.
 *
 * A chain holds no allocation: copy it, store it, throw it away.
 */
#ifndef SEALTAP_CHAIN_H
#define SEALTAP_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "note.h"
#include "tlog.h"

#define CHAIN_STREAM_ID 16        /* bytes of a stream id (random, made by the agent) */
#define CHAIN_AGENT_KEY NOTE_PUBKEY /* an agent's Ed25519 public key: its identity */

struct Sealtap__Evidence__V1__Event;

/* Where a stream stands after its first tree.size events. */
struct chain {
	uint8_t id[CHAIN_STREAM_ID];
	uint8_t prev_leaf[TLOG_HASH]; /* leaf hash of event tree.size - 1 (when tree.size > 0) */
	struct tlog_frontier tree;    /* tree.size is the number of events: the next sequence number */
};

enum chain_verdict {
	CHAIN_NEXT = 0,     /* the stream's next event */
	CHAIN_NOT_AN_EVENT, /* the bytes are not an Event */
	CHAIN_OTHER_STREAM, /* it names another stream */
	CHAIN_WRONG_SEQ,    /* this stream, but not the next sequence number */
	CHAIN_BROKEN_LINK,  /* its previous leaf hash is not the last event's */
};

/* An empty stream with this id. */
void chain_init(struct chain *c, const uint8_t id[CHAIN_STREAM_ID]);

/* The writer's half: gives e the stream id, sequence number and previous
 * leaf hash of the next event (e borrows c's bytes until c changes). */
void chain_link(const struct chain *c, struct Sealtap__Evidence__V1__Event *e);

/* Does e name this stream and sequence number? CHAIN_NEXT when it does
 * (the link is not judged: events of a proof bundle are not consecutive). */
enum chain_verdict chain_claims(const struct Sealtap__Evidence__V1__Event *e, const uint8_t id[CHAIN_STREAM_ID],
				uint64_t seq);
/* Is e the next event of c? c is not changed. */
enum chain_verdict chain_check(const struct chain *c, const struct Sealtap__Evidence__V1__Event *e);
/* Appends an event by its exact serialised bytes (after chain_check). */
void chain_append(struct chain *c, const uint8_t *bytes, size_t len);
/* Both: unpacks bytes, checks and, when CHAIN_NEXT, appends. With out, the
 * unpacked event (or NULL) is handed over to be freed by the caller. */
enum chain_verdict chain_step(struct chain *c, const uint8_t *bytes, size_t len,
			      struct Sealtap__Evidence__V1__Event **out);
void chain_root(const struct chain *c, uint8_t root[TLOG_HASH]);

/* What a valid checkpoint states. body_len: the signed body's length. */
struct chain_checkpoint {
	uint64_t size;
	uint8_t root[TLOG_HASH];
	size_t body_len;
};

enum chain_checkpoint_verdict {
	CHAIN_CHECKPOINT_OK = 0,
	CHAIN_CHECKPOINT_UNSIGNED,     /* no valid signature by the agent key */
	CHAIN_CHECKPOINT_MALFORMED,    /* signed, but its body is not a checkpoint */
	CHAIN_CHECKPOINT_OTHER_STREAM, /* a checkpoint of another stream's origin */
};

/* Is note (len bytes) a checkpoint of stream id signed by the agent key?
 * Fills cp when it is. Further signatures (a collector's) are allowed. */
enum chain_checkpoint_verdict chain_checkpoint_check(const char *note, size_t len, const uint8_t id[CHAIN_STREAM_ID],
						     const uint8_t key[CHAIN_AGENT_KEY], struct chain_checkpoint *cp);
/* The same check for the collector's cosignature on a checkpoint it
 * acknowledged: signed by note_key_name("collector", collector_key). */
enum chain_checkpoint_verdict chain_checkpoint_cosigned(const char *note, size_t len, const uint8_t id[CHAIN_STREAM_ID],
							const uint8_t collector_key[NOTE_PUBKEY],
							struct chain_checkpoint *cp);
/* Does the checkpoint state exactly this chain's tree (size and root)? */
bool chain_checkpoint_matches(const struct chain *c, const struct chain_checkpoint *cp);

#endif
