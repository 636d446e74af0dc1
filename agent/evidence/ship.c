// SPDX-License-Identifier: Apache-2.0
#include "ship.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "chain.h"
#include "clock.h"
#include "evidence.h"
#include "evidence.pb-c.h"
#include "note.h"
#include "spool.h"

#define BATCH_EVENTS 16384
#define BATCH_BYTES (8u << 20)
#define REPLY_MAX (64u << 10)
#define BACKOFF_MIN_NS 500000000ull
#define BACKOFF_MAX_NS 60000000000ull
#define REFUSED_MIN_NS 2000000000ull

struct ship {
	struct evidence *ev;
	struct ship_opts o;
	CURLM *multi;
	CURL *easy; /* the request in flight, or NULL */
	struct curl_slist *headers;
	uint8_t *body;
	size_t body_len;
	uint8_t reply[REPLY_MAX];
	size_t reply_len;
	uint64_t acked;    /* the collector has events below this */
	uint64_t sending;  /* the tree size the request in flight would reach */
	uint64_t next_try; /* monotonic ns */
	uint64_t backoff;
	struct ship_stats st;
};

struct ship *ship_new(struct evidence *ev, const struct ship_opts *o, char *err, size_t errsz)
{
	struct ship *s = calloc(1, sizeof(*s));
	uint64_t first;

	if (!s || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(s->multi = curl_multi_init())) {
		snprintf(err, errsz, "libcurl unavailable");
		free(s);
		return NULL;
	}
	s->ev = ev;
	s->o = *o;
	/* Unknown until the first answer: start from the oldest event held. */
	first = spool_first_seq(evidence_spool(ev));
	s->acked = first == UINT64_MAX ? 0 : first;
	return s;
}

/* ---- building a batch from the spool ---- */

struct gather {
	uint64_t first;
	ProtobufCBinaryData *events;
	size_t n, bytes;
	uint8_t *checkpoint; /* the note of the largest checkpoint within what was gathered */
	size_t checkpoint_len;
	uint64_t checkpoint_size;
};

static int gather_one(void *ctx, enum spool_type type, uint64_t seq, const uint8_t *data, size_t len)
{
	struct gather *g = ctx;

	if (type == SPOOL_CHECKPOINT) {
		const uint8_t *note;
		size_t nl;

		/* Usable when every event it covers is gathered. */
		if (seq <= g->first + g->n && seq > g->checkpoint_size &&
		    (note = evidence_checkpoint_note(data, len, &nl))) {
			free(g->checkpoint);
			g->checkpoint = malloc(nl);
			if (g->checkpoint) {
				memcpy(g->checkpoint, note, nl);
				g->checkpoint_len = nl;
				g->checkpoint_size = seq;
			}
		}
		return 0;
	}
	if (seq != g->first + g->n || g->n == BATCH_EVENTS || g->bytes + len > BATCH_BYTES)
		return 1; /* not contiguous (the spool was damaged) or the batch is full */
	g->events[g->n].data = malloc(len);
	if (!g->events[g->n].data)
		return 1;
	memcpy(g->events[g->n].data, data, len);
	g->events[g->n++].len = len;
	g->bytes += len;
	return 0;
}

static void gather_release(struct gather *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->events[i].data);
	free(g->events);
	free(g->checkpoint);
}

/* Packs the next batch into s->body; false when there is nothing to send. */
static bool build(struct ship *s)
{
	Sealtap__Evidence__V1__Batch b = SEALTAP__EVIDENCE__V1__BATCH__INIT;
	struct gather g = { .first = s->acked };
	uint8_t id[CHAIN_STREAM_ID], pub[NOTE_PUBKEY];
	bool ok = false;

	g.events = calloc(BATCH_EVENTS, sizeof(*g.events));
	if (!g.events)
		return false;
	spool_read(evidence_spool(s->ev), s->acked, UINT64_MAX, gather_one, &g);
	if (g.checkpoint && g.checkpoint_size > s->acked) {
		evidence_stream_id(s->ev, id);
		evidence_public_key(s->ev, pub);
		b.stream_id = (ProtobufCBinaryData){ CHAIN_STREAM_ID, id };
		b.first_seq = s->acked;
		b.n_events = (size_t)(g.checkpoint_size - s->acked); /* only what the checkpoint covers */
		b.events = g.events;
		b.checkpoint = (ProtobufCBinaryData){ g.checkpoint_len, g.checkpoint };
		b.agent_public_key = (ProtobufCBinaryData){ NOTE_PUBKEY, pub };
		s->body_len = sealtap__evidence__v1__batch__get_packed_size(&b);
		s->body = malloc(s->body_len);
		if (s->body) {
			sealtap__evidence__v1__batch__pack(&b, s->body);
			s->sending = g.checkpoint_size;
			ok = true;
		}
	}
	gather_release(&g);
	return ok;
}

/* ---- the request ---- */

static size_t on_reply(char *p, size_t size, size_t n, void *ctx)
{
	struct ship *s = ctx;
	size_t len = size * n;

	if (len > REPLY_MAX - s->reply_len)
		len = REPLY_MAX - s->reply_len; /* a reply is small; the rest is not needed */
	memcpy(s->reply + s->reply_len, p, len);
	s->reply_len += len;
	return size * n;
}

static void start(struct ship *s)
{
	s->easy = curl_easy_init();
	if (!s->easy)
		return;
	s->reply_len = 0;
	s->headers = curl_slist_append(NULL, "Content-Type: application/x-protobuf");
	curl_easy_setopt(s->easy, CURLOPT_URL, s->o.url);
	curl_easy_setopt(s->easy, CURLOPT_POST, 1L);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->body_len);
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_reply);
	curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->easy, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->easy, CURLOPT_PROTOCOLS_STR, "https,http");
	if (s->o.ca_file)
		curl_easy_setopt(s->easy, CURLOPT_CAINFO, s->o.ca_file);
	if (s->o.cert_file) {
		curl_easy_setopt(s->easy, CURLOPT_SSLCERT, s->o.cert_file);
		curl_easy_setopt(s->easy, CURLOPT_SSLKEY, s->o.key_file);
	}
	curl_multi_add_handle(s->multi, s->easy);
	s->st.batches++;
}

static void retry_later(struct ship *s, uint64_t now, curl_off_t retry_after)
{
	uint8_t r;
	uint64_t wait;

	s->backoff = s->backoff ? s->backoff * 2 : BACKOFF_MIN_NS;
	if (s->backoff > BACKOFF_MAX_NS)
		s->backoff = BACKOFF_MAX_NS;
	RAND_bytes(&r, 1);
	wait = s->backoff / 2 + s->backoff / 2 * r / 255; /* jitter: half to all of the backoff */
	if (retry_after > 0 && (uint64_t)retry_after * 1000000000ull > wait)
		wait = (uint64_t)retry_after * 1000000000ull;
	s->next_try = now + wait;
}

/* The Ack carries this stream's checkpoint at its tree size, signed by the
 * configured collector key (when one is configured). */
static bool cosigned(const struct ship *s, const Sealtap__Evidence__V1__Ack *ack)
{
	struct chain_checkpoint cp;
	uint8_t id[CHAIN_STREAM_ID];
	char note[NOTE_MAX];
	size_t n = ack->cosigned_checkpoint.len;

	if (!s->o.check_cosignature)
		return true;
	if (!n || n > sizeof(note))
		return false;
	memcpy(note, ack->cosigned_checkpoint.data, n);
	evidence_stream_id(s->ev, id);
	return chain_checkpoint_cosigned(note, n, id, s->o.collector_key, &cp) == CHAIN_CHECKPOINT_OK &&
	       cp.size == ack->tree_size;
}

static void finish(struct ship *s, CURLcode code, uint64_t now)
{
	long status = 0;
	curl_off_t retry_after = 0;
	Sealtap__Evidence__V1__Ack *ack = NULL;

	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(s->easy, CURLINFO_RETRY_AFTER, &retry_after);
	s->st.last_status = status;
	if (code == CURLE_OK && (status == 200 || status == 409))
		ack = sealtap__evidence__v1__ack__unpack(NULL, s->reply_len, s->reply);
	if (code == CURLE_OK && status == 200 && ack && !cosigned(s, ack)) {
		/* Not proof of receipt: keep everything, count it, try later. */
		if (s->st.cosign_invalid++ == 0)
			fprintf(stderr, "sealtap-agent: the collector's acknowledgement is not cosigned with "
					"--collector-pubkey: keeping the evidence and retrying (counted as "
					"ship.cosign_invalid)\n");
		retry_later(s, now, 0);
	} else if (code == CURLE_OK && status == 200 && ack && ack->tree_size >= s->acked) {
		s->acked = ack->tree_size;
		s->st.acked = s->acked;
		s->st.acked_batches++;
		s->backoff = 0;
		s->next_try = now; /* more may be waiting */
		spool_release(evidence_spool(s->ev), s->acked);
	} else if (code == CURLE_OK && status == 409 && ack) {
		/* The collector has another count: start from there if the spool still holds it. */
		uint64_t first = spool_first_seq(evidence_spool(s->ev));

		if (ack->tree_size >= first || ack->tree_size >= s->acked) {
			s->acked = ack->tree_size;
			s->next_try = now;
		} else {
			s->st.unreachable_events = first - ack->tree_size;
			retry_later(s, now, 0);
		}
		s->st.refused++;
	} else if (code == CURLE_OK && status >= 400 && status < 500 && status != 429 && status != 408) {
		/* A refusal to fix on one side or the other (an agent awaiting
		 * enrollment approval, a certificate to renew): try again, from
		 * 2 s up, so an approval takes effect within seconds at first. */
		s->st.refused++;
		if (s->backoff < REFUSED_MIN_NS / 2)
			s->backoff = REFUSED_MIN_NS / 2;
		retry_later(s, now, retry_after);
	} else {
		s->st.failures++;
		retry_later(s, now, retry_after);
	}
	if (ack)
		sealtap__evidence__v1__ack__free_unpacked(ack, NULL);
	curl_multi_remove_handle(s->multi, s->easy);
	curl_easy_cleanup(s->easy);
	curl_slist_free_all(s->headers);
	s->easy = NULL;
	s->headers = NULL;
	free(s->body);
	s->body = NULL;
}

void ship_tick(struct ship *s, uint64_t now)
{
	CURLMsg *m;
	int running, left;

	if (s->easy) {
		curl_multi_perform(s->multi, &running);
		while ((m = curl_multi_info_read(s->multi, &left)))
			if (m->msg == CURLMSG_DONE && m->easy_handle == s->easy)
				finish(s, m->data.result, now);
	}
	/* Reads the spool only when a checkpoint has been signed past what the
	 * collector acknowledged: an idle agent does no I/O here. */
	if (!s->easy && now >= s->next_try && evidence_checkpointed(s->ev) > s->acked && build(s))
		start(s), curl_multi_perform(s->multi, &running);
}

void ship_flush(struct ship *s, uint64_t timeout_ns)
{
	uint64_t end = clock_mono_ns() + timeout_ns;

	while (clock_mono_ns() < end) {
		uint64_t now = clock_mono_ns();

		if (!s->easy && now >= s->next_try && (evidence_checkpointed(s->ev) <= s->acked || !build(s)))
			return; /* everything signed is acknowledged */
		if (!s->easy && s->body)
			start(s);
		ship_tick(s, now);
		curl_multi_poll(s->multi, NULL, 0, 50, NULL);
	}
}

void ship_free(struct ship *s)
{
	if (!s)
		return;
	if (s->easy) {
		curl_multi_remove_handle(s->multi, s->easy);
		curl_easy_cleanup(s->easy);
	}
	curl_slist_free_all(s->headers);
	free(s->body);
	curl_multi_cleanup(s->multi);
	curl_global_cleanup();
	free(s);
}

uint64_t ship_acked(const struct ship *s)
{
	return s->acked;
}

void ship_write_stats(const struct ship *s, FILE *out)
{
	fprintf(out,
		",\"ship\":{\"batches\":%" PRIu64 ",\"acked_batches\":%" PRIu64 ",\"acked\":%" PRIu64
		",\"failures\":%" PRIu64 ",\"refused\":%" PRIu64 ",\"last_status\":%ld,\"unreachable_events\":%" PRIu64
		",\"cosign_invalid\":%" PRIu64 "}",
		s->st.batches, s->st.acked_batches, s->st.acked, s->st.failures, s->st.refused, s->st.last_status,
		s->st.unreachable_events, s->st.cosign_invalid);
}
