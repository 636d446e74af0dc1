// SPDX-License-Identifier: Apache-2.0
#include "ingest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.pb-c.h"
#include "export.h"
#include "hex.h"
#include "webhook.h"

typedef Sealtap__Evidence__V1__Batch Batch;
typedef Sealtap__Evidence__V1__Event Event;

static void set(struct ingest_result *r, int status, const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
}

static void ack(struct ingest_result *r, const uint8_t *stream, uint64_t size, const char *note, size_t note_len)
{
	Sealtap__Evidence__V1__Ack a = SEALTAP__EVIDENCE__V1__ACK__INIT;

	a.stream_id = (ProtobufCBinaryData){ CHAIN_STREAM_ID, (uint8_t *)stream };
	a.tree_size = size;
	if (note)
		a.cosigned_checkpoint = (ProtobufCBinaryData){ note_len, (uint8_t *)note };
	r->body_len = sealtap__evidence__v1__ack__get_packed_size(&a);
	r->body = malloc(r->body_len);
	if (r->body)
		sealtap__evidence__v1__ack__pack(&a, r->body);
	else
		r->body_len = 0;
}

/* 0 when the key may ship; otherwise the refusal is set. A key in the
 * allowlist file is enrolled unless revoked in the store; with first-use
 * enrollment an unknown key is recorded as pending, and stays refused until
 * an operator approves it (sealtap-collector approve), on any replica. */
static int admit(struct collector *c, const uint8_t *key, struct ingest_result *r)
{
	enum agent_state st;
	char hex[2 * CHAIN_AGENT_KEY + 1];

	if (store_agent_state(c->store, key, &st)) {
		set(r, 503, "store: %s", store_error(c->store));
		return -1;
	}
	if (st == AGENT_REVOKED) {
		set(r, 403, "agent key revoked");
		return -1;
	}
	if (st == AGENT_APPROVED)
		return 0;
	for (size_t i = 0; i < c->allow.n; i++)
		if (memcmp(c->allow.keys[i], key, CHAIN_AGENT_KEY) == 0)
			return 0;
	if (!c->first_use) {
		set(r, 403, "agent key not enrolled");
		return -1;
	}
	hex_encode(key, CHAIN_AGENT_KEY, hex);
	if (st == AGENT_UNKNOWN && store_agent_request(c->store, key)) {
		set(r, 503, "store: %s", store_error(c->store));
		return -1;
	}
	set(r, 403, "agent key awaiting approval: sealtap-collector approve %s", hex);
	return -1;
}

/* The new events of a batch, checked and hashed, before anything is stored. */
struct pending {
	size_t from;      /* index in the batch of the first new event */
	struct stream_row next; /* the stream once they are added */
	Event **decoded;  /* events[from..], unpacked once for checking and storing */
};

static void pending_release(struct pending *p, size_t n)
{
	if (!p->decoded)
		return;
	for (size_t i = 0; i < n; i++)
		if (p->decoded[i])
			sealtap__evidence__v1__event__free_unpacked(p->decoded[i], NULL);
	free(p->decoded);
}

/* Checks events[from..] continue the stream; extends p->next. */
static bool check_events(const Batch *b, struct pending *p, struct ingest_result *r)
{
	p->decoded = calloc(b->n_events - p->from, sizeof(*p->decoded));
	if (!p->decoded) {
		set(r, 503, "out of memory");
		return false;
	}
	for (size_t i = p->from; i < b->n_events; i++) {
		uint64_t seq = b->first_seq + i;
		const ProtobufCBinaryData *raw = &b->events[i];
		enum chain_verdict v = chain_step(&p->next.chain, raw->data, raw->len, &p->decoded[i - p->from]);

		if (v == CHAIN_NOT_AN_EVENT) {
			set(r, 400, "event %llu is not an Event", (unsigned long long)seq);
			return false;
		}
		if (v != CHAIN_NEXT) {
			set(r, 400, "event %llu does not continue the stream (stream id, sequence number or previous "
				    "leaf hash)", (unsigned long long)seq);
			return false;
		}
	}
	return true;
}

static int store_new(struct collector *c, const Batch *b, const struct pending *p, const char *note, size_t note_len)
{
	struct store *s = c->store;

	for (size_t i = p->from; i < b->n_events; i++) {
		const ProtobufCBinaryData *raw = &b->events[i];
		const Event *e = p->decoded[i - p->from];
		struct event_meta m = { 0 };

		m.time_unix_nano = e->time_unix_nano;
		m.kind = event_kind_name(e);
		if (e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_FINDING) {
			m.detector = e->finding->detector;
			m.severity = e->finding->severity;
			if (e->finding->fingerprint.len == STORE_FINGERPRINT)
				m.fingerprint = e->finding->fingerprint.data;
		} else if (e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_POLICY_VIOLATION) {
			m.detector = e->policy_violation->detector;
			m.severity = e->policy_violation->severity;
			if (e->policy_violation->fingerprint.len == STORE_FINGERPRINT)
				m.fingerprint = e->policy_violation->fingerprint.data;
		}
		if (e->identity)
			m.pod_uid = e->identity->pod_uid;
		if (e->model)
			m.model = *e->model->reported ? e->model->reported : e->model->requested;
		if (store_put_event(s, b->stream_id.data, b->first_seq + i, raw->data, raw->len, &m))
			return -1;
	}
	return store_put_checkpoint(s, b->stream_id.data, p->next.chain.tree.size, note, note_len) ||
			       store_put_stream(s, &p->next)
		       ? -1
		       : 0;
}

static void judge_new_events(struct collector *c, const Batch *b, struct pending *p,
			     const struct chain_checkpoint *cp, uint64_t had, char *note, struct ingest_result *r);

static void judge_stream(struct collector *c, const Batch *b, const struct chain_checkpoint *cp, char *note,
			 struct pending *p, struct ingest_result *r);

static void judge(struct collector *c, const Batch *b, struct ingest_result *r)
{
	struct pending p = { 0 };
	struct chain_checkpoint cp;
	enum chain_checkpoint_verdict v;
	char note[NOTE_MAX + 512];

	if (b->agent_public_key.len != CHAIN_AGENT_KEY || b->stream_id.len != CHAIN_STREAM_ID || !b->checkpoint.len ||
	    b->checkpoint.len > NOTE_MAX) {
		set(r, 400, "a batch needs a 32-byte agent key, a 16-byte stream id and a checkpoint");
		return;
	}
	if (admit(c, b->agent_public_key.data, r))
		return;
	memcpy(note, b->checkpoint.data, b->checkpoint.len);
	v = chain_checkpoint_check(note, b->checkpoint.len, b->stream_id.data, b->agent_public_key.data, &cp);
	if (v == CHAIN_CHECKPOINT_UNSIGNED) {
		set(r, 403, "checkpoint not signed by this agent's key");
		return;
	}
	if (v != CHAIN_CHECKPOINT_OK || cp.size != b->first_seq + b->n_events || b->first_seq > cp.size) {
		set(r, 400, "the checkpoint is not of this stream or does not end with the batch");
		return;
	}
	if (store_begin(c->store)) {
		set(r, 503, "store: %s", store_error(c->store));
		return;
	}
	judge_stream(c, b, &cp, note, &p, r);
	if (r->status == 200 && r->stored && store_commit(c->store)) {
		set(r, 503, "store: %s", store_error(c->store));
		r->stored = 0;
		ingest_result_release(r);
		r->body_len = 0;
	} else if (r->status != 200 || !r->stored) {
		store_rollback(c->store);
	} else {
		/* Stored for good: now the webhook may say so. */
		for (size_t i = 0; p.decoded && i < b->n_events - p.from; i++)
			webhook_event(c->webhook, p.decoded[i]);
	}
	pending_release(&p, b->n_events - p.from);
}

/* From reading the stream (locked until the end) to storing the new
 * events: one transaction, committed by the caller. */
static void judge_stream(struct collector *c, const Batch *b, const struct chain_checkpoint *cp, char *note,
			 struct pending *pp, struct ingest_result *r)
{
	char idhex[33];
	struct stream_row have;
	uint64_t had;
	int found, n;

	hex_encode(b->stream_id.data, CHAIN_STREAM_ID, idhex);
	found = store_get_stream(c->store, b->stream_id.data, &have);
	if (found < 0) {
		set(r, 503, "store: %s", store_error(c->store));
		return;
	}
	if (!found) {
		memset(&have, 0, sizeof(have));
		chain_init(&have.chain, b->stream_id.data);
		memcpy(have.agent_key, b->agent_public_key.data, CHAIN_AGENT_KEY);
	} else if (memcmp(have.agent_key, b->agent_public_key.data, CHAIN_AGENT_KEY) != 0) {
		set(r, 403, "stream %s belongs to another agent key", idhex);
		return;
	}
	had = have.chain.tree.size;
	if (b->first_seq > had) {
		set(r, 409, "gap: the collector has %llu events of this stream, the batch starts at %llu",
		    (unsigned long long)had, (unsigned long long)b->first_seq);
		ack(r, b->stream_id.data, had, NULL, 0);
		return;
	}
	/* Events the collector has already: they must be the same bytes. */
	for (uint64_t seq = b->first_seq; seq < had && seq < cp->size; seq++) {
		const ProtobufCBinaryData *raw = &b->events[seq - b->first_seq];
		uint8_t *stored;
		size_t len;

		n = store_get_event(c->store, b->stream_id.data, seq, &stored, &len);
		if (n != 1) {
			set(r, 503, "store: event %llu of a known stream is missing", (unsigned long long)seq);
			return;
		}
		n = len == raw->len && memcmp(stored, raw->data, len) == 0;
		free(stored);
		if (!n) {
			set(r, 409, "equivocation: event %llu differs from the one stored", (unsigned long long)seq);
			return;
		}
	}
	pp->from = had > b->first_seq ? (size_t)(had - b->first_seq) : 0;
	pp->next = have;
	if (cp->size > had && !check_events(b, pp, r))
		return;
	judge_new_events(c, b, pp, cp, had, note, r);
}

/* The batch's new events check out: compare the roots, cosign, store, and
 * acknowledge. */
static void judge_new_events(struct collector *c, const Batch *b, struct pending *p,
			     const struct chain_checkpoint *cp, uint64_t had, char *note, struct ingest_result *r)
{
	uint64_t size = cp->size;
	int n;

	if (size < had) {
		/* An old checkpoint, for events all stored: acknowledge what we
		 * hold, with the checkpoint cosigned when it was stored, so the
		 * agent has the collector's signature for every ack. */
		uint8_t *stored = NULL;
		size_t len = 0;

		if (store_get_checkpoint(c->store, b->stream_id.data, had, &stored, &len) < 0) {
			set(r, 503, "store: %s", store_error(c->store));
			return;
		}
		set(r, 200, "already stored");
		ack(r, b->stream_id.data, had, (const char *)stored, len);
		free(stored);
		return;
	}
	if (!chain_checkpoint_matches(&p->next.chain, cp)) {
		set(r, 400, "the checkpoint's root is not the root of the stream's events");
		return;
	}
	n = note_sign(c->signer, note, b->checkpoint.len, NOTE_MAX + 512);
	if (n < 0) {
		set(r, 500, "cannot cosign");
		return;
	}
	if (size > had && store_new(c, b, p, note, (size_t)n)) {
		set(r, 503, "store: %s", store_error(c->store));
		return;
	}
	r->stored = size - had;
	set(r, 200, r->stored ? "stored %llu events" : "already stored", (unsigned long long)r->stored);
	ack(r, b->stream_id.data, size, note, (size_t)n);
}

void ingest_batch(struct collector *c, const uint8_t *data, size_t len, struct ingest_result *r)
{
	Batch *b = sealtap__evidence__v1__batch__unpack(NULL, len, data);

	memset(r, 0, sizeof(*r));
	if (!b)
		set(r, 400, "not a Batch (protobuf)");
	else
		judge(c, b, r);
	if (r->status != 200)
		store_put_rejection(c->store, b && b->agent_public_key.len == CHAIN_AGENT_KEY ? b->agent_public_key.data : NULL,
				    r->status, r->message);
	if (b)
		sealtap__evidence__v1__batch__free_unpacked(b, NULL);
}

void ingest_result_release(struct ingest_result *r)
{
	free(r->body);
	r->body = NULL;
}

int allowlist_load(struct allowlist *a, const char *path, char *err, size_t errsz)
{
	FILE *f = fopen(path, "r");
	char line[256];
	int lineno = 0;

	memset(a, 0, sizeof(*a));
	if (!f) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t");
		size_t n = strcspn(p, " \t\r\n#");
		uint8_t key[CHAIN_AGENT_KEY], (*grown)[CHAIN_AGENT_KEY];

		lineno++;
		if (n == 0)
			continue;
		if (n != 2 * CHAIN_AGENT_KEY) {
			snprintf(err, errsz, "%s:%d: expected a 64-hex-digit Ed25519 public key", path, lineno);
			goto fail;
		}
		for (int i = 0; i < CHAIN_AGENT_KEY; i++)
			if (sscanf(p + 2 * i, "%2hhx", &key[i]) != 1) {
				snprintf(err, errsz, "%s:%d: not hexadecimal", path, lineno);
				goto fail;
			}
		grown = realloc(a->keys, (a->n + 1) * sizeof(*grown));
		if (!grown) {
			snprintf(err, errsz, "out of memory");
			goto fail;
		}
		a->keys = grown;
		memcpy(a->keys[a->n++], key, CHAIN_AGENT_KEY);
	}
	fclose(f);
	return 0;
fail:
	fclose(f);
	allowlist_release(a);
	return -1;
}

void allowlist_release(struct allowlist *a)
{
	free(a->keys);
	memset(a, 0, sizeof(*a));
}
