/* SPDX-License-Identifier: Apache-2.0 */
/*
 * llm - model API payloads into exchange fields: which API a request path
 * speaks, the prompt (per message, with its role) and model in the request
 * body, and the completion in the response, streamed (SSE events, NDJSON
 * lines) or whole. JSON is read through jsonview.h (jsontok, no tree);
 * its strings come out with escapes (\n, \uXXXX, surrogate pairs) decoded
 * to UTF-8, which is what later stages judge.
 *
 * Supported: OpenAI-compatible /v1/chat/completions, /v1/completions,
 * /v1/responses, /v1/embeddings (input side); Anthropic /v1/messages;
 * Ollama /api/chat and /api/generate; text-generation-inference /generate
 * and /generate_stream.
 */
#ifndef SEALTAP_LLM_H
#define SEALTAP_LLM_H

#include <stddef.h>
#include <stdint.h>

#include "exchange.h"

/* LLM_NONE for anything that is not a model API call. Query strings and
 * path prefixes (gateways, Azure deployments) are allowed. */
enum llm_flavor llm_flavor_for(const char *method, const char *path);

/* For a request to a configured model port on a path we don't know: the
 * API guessed from the body's top-level keys ("messages": OpenAI chat, or
 * Anthropic messages with "anthropic_version"; "prompt": completions;
 * "inputs": TGI; "input": responses). LLM_NONE when the body says nothing. */
enum llm_flavor llm_guess_flavor(const char *body, size_t len);

/* Fills the request side from a complete request body. Returns 0, or
 * -EBADMSG when the body is not the JSON the flavour expects. */
int llm_parse_request(struct exchange *x, const char *body, size_t len);

/* Whether an event that differs from the one before only in the value
 * that one appended is read by repeating that append (the default); the
 * tests turn it off to compare the two. */
extern bool llm_replay;

/* One streamed piece of the response: an SSE event (name may be "") or an
 * NDJSON line. Deltas go to sink as they are found. -EBADMSG when the data
 * is not JSON (the stream goes on). */
int llm_stream_event(struct exchange *x, const char *event, const char *data, size_t len,
		     const struct exchange_sink *sink, uint64_t now_ns);

/* A complete non-streamed response body. Each choice's text is handed to
 * the sink as one delta. */
int llm_parse_response(struct exchange *x, const char *body, size_t len,
		       const struct exchange_sink *sink, uint64_t now_ns);

#endif
