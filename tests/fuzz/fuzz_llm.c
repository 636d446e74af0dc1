// SPDX-License-Identifier: Apache-2.0
/*
 * LLM API payloads straight into the JSON extraction, without HTTP in
 * front: request bodies, whole response bodies, server-sent event streams
 * (through the SSE parser, cut every few bytes) and NDJSON lines, for every
 * API flavour, and the flavour guess from a body.
 * Input: a flavour byte, a mode byte (low 2 bits: request, response, SSE,
 * NDJSON; the rest: bytes per SSE feed), then the payload.
 *
 * Streams are decoded twice, with events read by replaying the append of
 * the event before (llm_replay) and without: the exchanges and the deltas
 * handed over must be the same.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "llm.h"
#include "sse.h"

static size_t seen;
static uint64_t delta_hash; /* FNV-1a over every delta's choice, length and text, in order */

static void hash_bytes(const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		delta_hash = (delta_hash ^ ((const unsigned char *)p)[i]) * 0x100000001b3ull;
}

static void on_delta(void *ctx, struct exchange *x, int choice, const char *text, size_t len)
{
	(void)ctx, (void)x;
	hash_bytes(&choice, sizeof(choice));
	hash_bytes(&len, sizeof(len));
	hash_bytes(text, len);
}

static const struct exchange_sink sink = { NULL, on_delta, NULL, NULL };

static void on_event(void *ctx, const char *event, const char *data, size_t len, bool truncated)
{
	struct exchange *x = ctx;

	char *exact = malloc(len ? len : 1);

	(void)truncated;
	if (!exact)
		return;
	/* data[0..len) only, not terminated: a copy of exactly len bytes lets
	 * ASan catch a read past it */
	memcpy(exact, data, len);
	llm_stream_event(x, event, exact, len, &sink, 1);
	free(exact);
}

/* The texts the exchange kept must be what they say they are: NUL-terminated
 * at their length (a decoded \u0000 may end them earlier for strlen). */
static void check_text(const struct xbuf *b)
{
	if (b->p && (b->p[b->len] != '\0' || strlen(b->p) > b->len))
		abort();
}

static void check(const struct exchange *x)
{
	for (int i = 0; i < x->nmessages; i++)
		check_text(&x->messages[i].text);
	for (int i = 0; i < X_MAX_CHOICES; i++) {
		check_text(&x->choices[i].text);
		check_text(&x->choices[i].tool_args);
	}
	check_text(&x->tool_args_in);
	check_text(&x->error_body);
}

static bool same_buf(const struct xbuf *a, const struct xbuf *b)
{
	return a->len == b->len && a->truncated == b->truncated && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

/* Everything a streamed response can set. */
static bool same_exchange(const struct exchange *a, const struct exchange *b)
{
	for (int i = 0; i < X_MAX_CHOICES; i++)
		if (a->choices[i].used != b->choices[i].used || !same_buf(&a->choices[i].text, &b->choices[i].text) ||
		    !same_buf(&a->choices[i].tool_args, &b->choices[i].tool_args) ||
		    strcmp(a->choices[i].finish_reason, b->choices[i].finish_reason))
			return false;
	return a->choices_dropped == b->choices_dropped && a->t_first_token == b->t_first_token &&
	       a->prompt_tokens == b->prompt_tokens && a->completion_tokens == b->completion_tokens &&
	       a->total_tokens == b->total_tokens && !strcmp(a->model_reported, b->model_reported) &&
	       !strcmp(a->system_fingerprint, b->system_fingerprint);
}

static struct exchange *decode(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exchange *x, *y;
	uint64_t h;

	if (size < 2)
		return 0;
	llm_replay = true;
	delta_hash = 0xcbf29ce484222325ull;
	x = decode(data, size);
	h = delta_hash;
	if ((data[1] & 3) >= 2 && x) {
		llm_replay = false;
		delta_hash = 0xcbf29ce484222325ull;
		y = decode(data, size);
		if (y && (!same_exchange(x, y) || delta_hash != h))
			abort(); /* replaying the append read the stream differently */
		exchange_free(y);
	}
	exchange_free(x);
	return 0;
}

static struct exchange *decode(const uint8_t *data, size_t size)
{
	struct exchange *x;
	const char *body;
	size_t len, step;
	int mode;

	x = exchange_new();
	if (!x)
		return NULL;
	x->flavor = (enum llm_flavor)(1 + data[0] % (LLM_GUESS - 1));
	mode = data[1] & 3;
	step = (size_t)(data[1] >> 2) + 1;
	body = (const char *)data + 2, len = size - 2;
	seen += llm_guess_flavor(body, len);
	if (mode == 0) {
		llm_parse_request(x, body, len);
	} else if (mode == 1) {
		llm_parse_response(x, body, len, &sink, 1);
	} else if (mode == 2) {
		struct sse_parser p;

		sse_init(&p, on_event, x);
		for (size_t off = 0; off < len; off += step)
			sse_feed(&p, (const uint8_t *)body + off, len - off < step ? len - off : step);
		sse_release(&p);
	} else {
		while (len) {
			const char *nl = memchr(body, '\n', len);
			size_t n = nl ? (size_t)(nl - body) : len;
			char *line = malloc(n ? n : 1); /* exactly the line: the session hands it unterminated */

			if (!line)
				break;
			memcpy(line, body, n);
			llm_stream_event(x, "", line, n, &sink, 1);
			free(line);
			body += n + (nl != NULL), len -= n + (nl != NULL);
		}
	}
	check(x);
	return x;
}
