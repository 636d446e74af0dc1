/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jsontok - a strict (RFC 8259) JSON tokeniser into a flat array of spans,
 * in one pass, without recursion or allocation for small documents.
 *
 * Written here rather than taken from a library because of speed: a streamed
 * model response is one small document per token, and the tokeniser is the
 * decoder's largest cost. jsmn (Debian's libjsmn-dev, used before) ran at
 * ~480 MB/s on those documents and held the decoder far under its target;
 * json-c and simdjson (C++) were measured too (docs/perf/history.md, Decoding). This one
 * scans strings 16 bytes at a time (SSE2, with a portable fallback), checks
 * the full grammar (numbers, literals, escapes, no control characters in
 * strings, commas and colons where they belong) and records for each token
 * the index past its subtree, so skipping a value is O(1).
 *
 * Token layout (the one jsmn used, so that consumers index the same way):
 * a container's span includes its brackets and its size counts members (an
 * object's keys, an array's elements); an object's members are laid out as
 * key, value, key, value...; a string's span excludes its quotes; a number
 * or literal's span is its text. tests/fuzz/fuzz_json.c holds it to jsmn's
 * tokens on every document both accept.
 */
#ifndef SEALTAP_JSONTOK_H
#define SEALTAP_JSONTOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum jtok_type { JTOK_OBJECT = 1, JTOK_ARRAY, JTOK_STRING, JTOK_PRIMITIVE };

struct jtok {
	uint8_t type;  /* enum jtok_type */
	uint8_t escaped; /* a string holding a backslash escape (else its text is its value) */
	int32_t start; /* byte offsets into the document */
	int32_t end;
	int32_t size;  /* members of a container; 1 for an object key, else 0 */
	int32_t next;  /* the index just past this token's subtree */
};

#define JTOK_MAX_DEPTH 64 /* deeper documents are refused */

/* Tokenises js[0..len) into t[0..cap). Returns the number of tokens; or
 * -ENOSPC when more than cap are needed (call again with more room);
 * -EBADMSG when the text is not one JSON value optionally surrounded by
 * white space, or nests deeper than JTOK_MAX_DEPTH. */
int jtok_parse(const char *js, size_t len, struct jtok *t, int cap);

/* What jtok_reparse found: hint is kept from call to call (start with -1):
 * the leaf of the first difference last time, where the next event's text
 * usually is; the rest is set by each call that succeeds. */
#define JTOK_MAX_HOLES 8
struct jtok_diff {
	int hint;
	int nholes;                  /* leaves whose text changed, in order */
	int holes[JTOK_MAX_HOLES];
	bool keys_changed;           /* an object key among them */
};

/* Re-tokenises by difference: old[0..olen) was tokenised into t[0..n); js
 * is a document of the same shape in which only leaf values (strings,
 * numbers, literals) differ, at most JTOK_MAX_HOLES of them. Checks each
 * changed leaf as jtok_parse would and moves the offsets in t, returning n;
 * returns -1 (t left as it was) when js differs anywhere else or the change
 * does not hold up: tokenise it whole. A streamed response repeats one
 * event shape with a new token of text in it, so this skips most of the
 * tokenising. */
#define JTOK_REPARSE_MAX_TOKENS 256 /* more: -1 */
int jtok_reparse(const char *old, size_t olen, const char *js, size_t len, struct jtok *t, int n,
		 struct jtok_diff *diff);

#endif
