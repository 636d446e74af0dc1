/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jsonview - read-only access to a JSON document without building a tree:
 * jsontok tokenises it into a flat array of spans (each knowing where its
 * subtree ends), and these helpers navigate that array and decode the few
 * strings the caller asks for. A streamed model response is one small
 * document per token; building a DOM for each (json-c) was ~85% of the
 * decode time, this allocates nothing for documents up to JDOC_STACK_TOKENS.
 *
 * Tokens are addressed by index; -1 means absent and every helper accepts
 * it. Object keys are compared byte for byte as they appear on the wire
 * (a key spelled with escapes is not matched). Strings are decoded from
 * JSON escapes (\n, \uXXXX, surrogate pairs) into UTF-8; malformed escapes
 * and lone surrogates become U+FFFD.
 */
#ifndef SEALTAP_JSONVIEW_H
#define SEALTAP_JSONVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exchange.h"
#include "jsontok.h"

#define JDOC_STACK_TOKENS 256
#define JDOC_MAX_TOKENS (1 << 20) /* a larger document is refused */
#define JDOC_MAX_DEPTH JTOK_MAX_DEPTH /* so is a deeper one */

struct jdoc_memo;

#define JDOC_MEMO_LOOKUPS 32

/* The lookups made in a remembered document, in the order the reader made
 * them: their answers hold for the next document as long as its tokens and
 * keys are the same, and its reader asks the same questions in the same
 * order, so the cursor mostly finds its answer at once. */
struct jdoc_lookups {
	uint32_t n, cursor;
	struct {
		const char *key; /* by address: a string constant */
		int32_t obj, found;
	} e[JDOC_MEMO_LOOKUPS];
};

struct jdoc {
	const char *js;
	struct jtok *t;
	int n;
	struct jdoc_lookups *look; /* set by jdoc_parse_memo (in the memo) */
	/* jdoc_parse_memo: the leaves that differ from the previous document
	 * (every other byte is the same); NULL when it was tokenised whole */
	const struct jtok_diff *diff;
	struct jtok *heap;
	struct jtok stack[JDOC_STACK_TOKENS];
};

/* Parses an object or array document. Returns 0, or -EBADMSG (not JSON,
 * trailing bytes, a scalar at the root, too many tokens, or nested deeper
 * than JDOC_MAX_DEPTH). */
int jdoc_parse(struct jdoc *d, const char *js, size_t len);
void jdoc_release(struct jdoc *d);

/* The previous document of a stream (one allocation: free() releases it),
 * so that the next one of the same shape is tokenised by difference
 * (jtok_reparse) instead of whole, and the key lookups made in it are
 * answered again without searching while the keys and the structure stay
 * the same. */
#define JDOC_MEMO_MAX_BYTES 4096 /* larger documents are not remembered */
#define JDOC_MEMO_MAX_TOKENS 128

/* jdoc_parse for the next document of a stream: by difference from *memo
 * when it has the same shape, else whole; then remembers it in *memo
 * (allocated, grown or freed here). The result and errors are jdoc_parse's;
 * d may point into *memo, so parse the next document only after releasing
 * d. Lookups in such a document are remembered by the key's address: pass
 * jdoc_get string constants only. */
int jdoc_parse_memo(struct jdoc *d, const char *js, size_t len, struct jdoc_memo **memo);

/* The value of key (klen bytes) in obj; a repeated key gives its last value
 * (as JSON.parse). Inline: in a stream's events most lookups are answered
 * by the remembered ones. */
int jdoc_get_searched(const struct jdoc *d, int obj, const char *key, size_t klen);
static inline int jdoc_get_n(const struct jdoc *d, int obj, const char *key, size_t klen)
{
	struct jdoc_lookups *l = d->look;

	if (l && l->cursor < l->n && l->e[l->cursor].key == key && l->e[l->cursor].obj == obj)
		return l->e[l->cursor++].found;
	return jdoc_get_searched(d, obj, key, klen);
}
/* The same for a NUL-terminated key; inline, so that a literal key's length
 * is known at compile time. */
static inline int jdoc_get(const struct jdoc *d, int obj, const char *key)
{
	return jdoc_get_n(d, obj, key, __builtin_strlen(key));
}
int jdoc_len(const struct jdoc *d, int arr);
int jdoc_at(const struct jdoc *d, int arr, int k);
/* Array iteration in linear time: for (e = jdoc_first(d, a); e >= 0;
 * e = jdoc_next(d, a, e)). jdoc_at is O(k): use it for the first element. */
int jdoc_first(const struct jdoc *d, int arr);
int jdoc_next(const struct jdoc *d, int arr, int elem);

bool jdoc_is_string(const struct jdoc *d, int i);
/* Appends the decoded string at i (nothing unless it is a string). */
void jdoc_append_str(const struct jdoc *d, int i, struct xbuf *out);
/* Decodes the string at i into dst (cut to fit). Returns false if absent. */
bool jdoc_copy_str(const struct jdoc *d, int i, char *dst, size_t dstsz);
/* Whether i is the string literal s (compared undecoded). */
bool jdoc_str_is(const struct jdoc *d, int i, const char *s);
/* Integer value of a number token; false if i is not a number. */
bool jdoc_int(const struct jdoc *d, int i, int64_t *out);
bool jdoc_true(const struct jdoc *d, int i);
/* The value's JSON text exactly as on the wire. */
void jdoc_append_raw(const struct jdoc *d, int i, struct xbuf *out);

/* Decodes a JSON string body (without quotes) into UTF-8, appending. */
void json_unescape(const char *s, size_t n, struct xbuf *out);

#endif
