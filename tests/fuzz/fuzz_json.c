// SPDX-License-Identifier: Apache-2.0
/*
 * The JSON tokeniser (agent/jsontok.c) held to two references on any input:
 * - a plain recursive-descent validator written from RFC 8259's grammar
 *   here, slow and obvious: the tokeniser must accept exactly what it accepts;
 * - jsmn (Debian's libjsmn-dev, strict, the tokeniser used before): on every
 *   document the tokeniser accepts, jsmn must produce the same tokens (type,
 *   span, size) when it is an object or array. jsmn is more lenient, so the
 *   other direction is not checked.
 * Also checks each token's subtree link (next). Input: the document.
 *
 * Re-tokenising by difference (jtok_reparse) is held to tokenising whole:
 * an input "A \x01 B" (a byte no JSON document holds) also reparses B from
 * A's tokens, and whenever that succeeds the tokens must be exactly B's own,
 * and any key that differs must have been reported. The seeds are pairs of
 * consecutive streamed events, so the fuzzer works near same-shape pairs.
 */
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#define JSMN_STATIC
#include <jsmn.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsontok.h"

#define CAP 4096

struct ref {
	const char *s;
	size_t n, i;
	int depth;
};

static void ws(struct ref *r)
{
	while (r->i < r->n && strchr(" \t\n\r", r->s[r->i]) && r->s[r->i])
		r->i++;
}

static bool eat(struct ref *r, char c)
{
	if (r->i < r->n && r->s[r->i] == c) {
		r->i++;
		return true;
	}
	return false;
}

static bool digit(struct ref *r)
{
	return r->i < r->n && r->s[r->i] >= '0' && r->s[r->i] <= '9';
}

static bool value(struct ref *r);

static bool string(struct ref *r)
{
	if (!eat(r, '"'))
		return false;
	while (r->i < r->n) {
		unsigned char c = (unsigned char)r->s[r->i++];

		if (c == '"')
			return true;
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (r->i >= r->n)
				return false;
			c = (unsigned char)r->s[r->i++];
			if (c == 'u') {
				for (int k = 0; k < 4; k++, r->i++)
					if (r->i >= r->n || !strchr("0123456789abcdefABCDEF", r->s[r->i]) || !r->s[r->i])
						return false;
			} else if (!c || !strchr("\"\\/bfnrt", c)) {
				return false;
			}
		}
	}
	return false;
}

static bool number(struct ref *r)
{
	eat(r, '-');
	if (eat(r, '0')) {
	} else if (digit(r)) {
		while (digit(r))
			r->i++;
	} else {
		return false;
	}
	if (eat(r, '.')) {
		if (!digit(r))
			return false;
		while (digit(r))
			r->i++;
	}
	if (eat(r, 'e') || eat(r, 'E')) {
		if (!eat(r, '+'))
			eat(r, '-');
		if (!digit(r))
			return false;
		while (digit(r))
			r->i++;
	}
	return true;
}

static bool word(struct ref *r, const char *w)
{
	size_t n = strlen(w);

	if (r->n - r->i < n || memcmp(r->s + r->i, w, n) != 0)
		return false;
	r->i += n;
	return true;
}

static bool members(struct ref *r, char close, bool object)
{
	if (++r->depth > JTOK_MAX_DEPTH)
		return false;
	ws(r);
	if (eat(r, close))
		goto done;
	do {
		ws(r);
		if (object) {
			if (!string(r))
				return false;
			ws(r);
			if (!eat(r, ':'))
				return false;
			ws(r);
		}
		if (!value(r))
			return false;
		ws(r);
	} while (eat(r, ','));
	if (!eat(r, close))
		return false;
done:
	r->depth--;
	return true;
}

static bool value(struct ref *r)
{
	if (r->i >= r->n)
		return false;
	switch (r->s[r->i]) {
	case '{': r->i++; return members(r, '}', true);
	case '[': r->i++; return members(r, ']', false);
	case '"': return string(r);
	case 't': return word(r, "true");
	case 'f': return word(r, "false");
	case 'n': return word(r, "null");
	default: return number(r);
	}
}

static bool reference_accepts(const char *s, size_t n)
{
	struct ref r = { s, n, 0, 0 };

	ws(&r);
	if (!value(&r))
		return false;
	ws(&r);
	return r.i == n;
}

static struct jtok t[CAP];
static jsmntok_t j[CAP];
static struct jtok ta[CAP], tb[CAP];

static bool is_key(const struct jtok *k)
{
	return k->type == JTOK_STRING && k->size == 1;
}

static void check_reparse(const char *a, size_t an, const char *b, size_t bn)
{
	int na = jtok_parse(a, an, ta, CAP), nb, r;
	/* a hint anywhere (even a wrong one) must not change the answer */
	struct jtok_diff diff = { .hint = an ? (int)(unsigned char)a[0] % 64 - 1 : -1 };
	bool keys_changed;

	if (na <= 0)
		return;
	r = jtok_reparse(a, an, b, bn, ta, na, &diff);
	keys_changed = diff.keys_changed;
	if (r < 0)
		return; /* no claim: tokenise whole */
	nb = jtok_parse(b, bn, tb, CAP);
	if (r != na || nb != na)
		abort(); /* reparsed a document that is not valid, or not of that shape */
	for (int i = 0; i < na; i++) {
		if (ta[i].type != tb[i].type || ta[i].start != tb[i].start || ta[i].end != tb[i].end ||
		    ta[i].size != tb[i].size || ta[i].next != tb[i].next || ta[i].escaped != tb[i].escaped)
			abort();
	}
	/* Every leaf not reported as changed is the same text as in A, and no
	 * key changed unless keys_changed says so. */
	jtok_parse(a, an, ta, CAP);
	for (int i = 0, h = 0; i < na; i++) {
		bool reported = h < diff.nholes && diff.holes[h] == i;
		bool same = ta[i].end - ta[i].start == tb[i].end - tb[i].start &&
			    memcmp(a + ta[i].start, b + tb[i].start, (size_t)(ta[i].end - ta[i].start)) == 0;

		h += reported;
		if (ta[i].type != JTOK_OBJECT && ta[i].type != JTOK_ARRAY && !reported && !same)
			abort();
		if (is_key(&ta[i]) && !same && !keys_changed)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep = memchr(data, 1, size);

	if (sep)
		check_reparse((const char *)data, (size_t)(sep - data), (const char *)sep + 1,
			      size - (size_t)(sep - data) - 1);

	const char *s = (const char *)data;
	int n = jtok_parse(s, size, t, CAP);
	jsmn_parser p;
	int m;

	if (n == -ENOSPC)
		return 0; /* a document of more tokens than this harness holds */
	if ((n > 0) != reference_accepts(s, size))
		abort(); /* accepted what the grammar refuses, or the reverse */
	if (n <= 0 || t[0].type == JTOK_STRING || t[0].type == JTOK_PRIMITIVE)
		return 0; /* jsmn's strict mode refuses a scalar document (jsonview does too) */
	jsmn_init(&p);
	m = jsmn_parse(&p, s, size, j, CAP);
	if (m != n)
		abort();
	for (int i = 0; i < n; i++) {
		if (t[i].type != (int)j[i].type || t[i].start != j[i].start || t[i].end != j[i].end ||
		    t[i].size != j[i].size)
			abort();
		/* escaped: exactly the strings holding a backslash */
		if (t[i].escaped != (t[i].type == JTOK_STRING &&
				     memchr(s + t[i].start, '\\', (size_t)(t[i].end - t[i].start)) != NULL))
			abort();
		/* next: past the subtree, which is every later token inside the span */
		if (t[i].next <= i || t[i].next > n)
			abort();
		for (int k = i + 1; k < t[i].next; k++)
			if (t[k].start < t[i].start || t[k].end > t[i].end)
				abort();
		if (t[i].next < n && t[i].next > i + 1 && t[t[i].next].start < t[i].end)
			abort();
	}
	return 0;
}
