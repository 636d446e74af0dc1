// SPDX-License-Identifier: Apache-2.0
#include "jsontok.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static size_t skip_ws(const char *js, size_t len, size_t pos)
{
	while (pos < len && (js[pos] == ' ' || js[pos] == '\n' || js[pos] == '\r' || js[pos] == '\t'))
		pos++;
	return pos;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The offset of the next byte at or after pos that ends or interrupts a
 * string's plain run: a quote, a backslash or a control character; len if
 * none. */
static size_t next_special(const char *js, size_t len, size_t pos)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x1f);

	for (; pos + 16 <= len; pos += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(js + pos));
		/* v <= 0x1f unsigned: max(v, 0x1f) == 0x1f */
		__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
					   _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl));
		unsigned mask = (unsigned)_mm_movemask_epi8(hit);

		if (mask)
			return pos + (size_t)__builtin_ctz(mask);
	}
#endif
	for (; pos < len; pos++) {
		unsigned char c = (unsigned char)js[pos];

		if (c == '"' || c == '\\' || c < 0x20)
			return pos;
	}
	return len;
}

/* pos is just past an opening quote. Returns the offset of the closing
 * quote, or -1 when the string is unterminated, holds a control character
 * or a malformed escape; *escaped tells whether it holds an escape. */
static long string_end(const char *js, size_t len, size_t pos, bool *escaped)
{
	*escaped = false;
	for (;;) {
		pos = next_special(js, len, pos);
		if (pos >= len || (unsigned char)js[pos] < 0x20)
			return -1;
		if (js[pos] == '"')
			return (long)pos;
		/* a backslash */
		*escaped = true;
		if (++pos >= len)
			return -1;
		switch (js[pos]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
			pos++;
			break;
		case 'u':
			if (pos + 4 >= len || !is_hex(js[pos + 1]) || !is_hex(js[pos + 2]) || !is_hex(js[pos + 3]) ||
			    !is_hex(js[pos + 4]))
				return -1;
			pos += 5;
			break;
		default:
			return -1;
		}
	}
}

static size_t digits(const char *js, size_t len, size_t pos)
{
	while (pos < len && js[pos] >= '0' && js[pos] <= '9')
		pos++;
	return pos;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? starting at pos; returns
 * the offset past it, or 0 when there is no number there. */
static size_t number_end(const char *js, size_t len, size_t pos)
{
	size_t p = pos, q;

	if (p < len && js[p] == '-')
		p++;
	if (p >= len)
		return 0;
	if (js[p] == '0')
		p++;
	else if (js[p] >= '1' && js[p] <= '9')
		p = digits(js, len, p + 1);
	else
		return 0;
	if (p < len && js[p] == '.') {
		q = digits(js, len, p + 1);
		if (q == p + 1)
			return 0;
		p = q;
	}
	if (p < len && (js[p] == 'e' || js[p] == 'E')) {
		p++;
		if (p < len && (js[p] == '+' || js[p] == '-'))
			p++;
		q = digits(js, len, p);
		if (q == p)
			return 0;
		p = q;
	}
	return p;
}

static size_t literal_end(const char *js, size_t len, size_t pos)
{
	static const char *const words[] = { "true", "false", "null" };

	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(words[i]);

		if (len - pos >= n && memcmp(js + pos, words[i], n) == 0)
			return pos + n;
	}
	return 0;
}

static void put(struct jtok *t, int i, enum jtok_type type, size_t start, size_t end, int size)
{
	t[i].type = (uint8_t)type;
	t[i].escaped = 0;
	t[i].start = (int32_t)start;
	t[i].end = (int32_t)end;
	t[i].size = size;
	t[i].next = i + 1; /* a container's is set when it closes */
}

/* The string whose opening quote is at *pos as token i (size 1 for a key);
 * *pos moves past its closing quote. */
static int add_string(const char *js, size_t len, size_t *pos, struct jtok *t, int i, int cap, int size)
{
	long end;
	bool escaped;

	if (i >= cap)
		return -ENOSPC;
	end = string_end(js, len, *pos + 1, &escaped);
	if (end < 0)
		return -EBADMSG;
	put(t, i, JTOK_STRING, *pos + 1, (size_t)end, size);
	t[i].escaped = escaped;
	*pos = (size_t)end + 1;
	return 0;
}

/* Iterative: a stack of the open containers' token indices stands in for
 * recursion, so the depth a document may reach is a constant, not the C
 * stack's. Every path consumes input, so the time is linear in len. */
int jtok_parse(const char *js, size_t len, struct jtok *t, int cap)
{
	int open[JTOK_MAX_DEPTH];
	int depth = 0, n = 0, err;
	size_t pos, end;

	if (len > INT32_MAX - 1 || cap < 0)
		return -EBADMSG;
	pos = skip_ws(js, len, 0);
value:
	if (pos >= len)
		return -EBADMSG;
	switch (js[pos]) {
	case '{':
	case '[':
		if (depth == JTOK_MAX_DEPTH)
			return -EBADMSG;
		if (n >= cap)
			return -ENOSPC;
		put(t, n, js[pos] == '{' ? JTOK_OBJECT : JTOK_ARRAY, pos, pos, 0);
		open[depth++] = n++;
		pos = skip_ws(js, len, pos + 1);
		if (pos < len && js[pos] == (t[open[depth - 1]].type == JTOK_OBJECT ? '}' : ']'))
			goto close;
		if (t[open[depth - 1]].type == JTOK_OBJECT)
			goto key;
		goto value;
	case '"':
		if ((err = add_string(js, len, &pos, t, n++, cap, 0)))
			return err;
		break;
	case 't':
	case 'f':
	case 'n':
		end = literal_end(js, len, pos);
		goto primitive;
	default:
		end = number_end(js, len, pos);
	primitive:
		if (!end)
			return -EBADMSG;
		if (n >= cap)
			return -ENOSPC;
		put(t, n++, JTOK_PRIMITIVE, pos, end, 0);
		pos = end;
		break;
	}
after: /* a value ended: what may follow it depends on where it is */
	if (depth == 0) {
		pos = skip_ws(js, len, pos);
		return pos == len ? n : -EBADMSG;
	}
	if (t[open[depth - 1]].type == JTOK_ARRAY)
		t[open[depth - 1]].size++;
	pos = skip_ws(js, len, pos);
	if (pos >= len)
		return -EBADMSG;
	if (js[pos] == ',') {
		pos = skip_ws(js, len, pos + 1);
		if (t[open[depth - 1]].type == JTOK_OBJECT)
			goto key;
		goto value;
	}
	if (js[pos] == (t[open[depth - 1]].type == JTOK_OBJECT ? '}' : ']'))
		goto close;
	return -EBADMSG;
key:
	if (pos >= len || js[pos] != '"')
		return -EBADMSG;
	if ((err = add_string(js, len, &pos, t, n++, cap, 1)))
		return err;
	t[open[depth - 1]].size++;
	pos = skip_ws(js, len, pos);
	if (pos >= len || js[pos] != ':')
		return -EBADMSG;
	pos = skip_ws(js, len, pos + 1);
	goto value;
close:
	depth--;
	t[open[depth]].end = (int32_t)(pos + 1);
	t[open[depth]].next = n;
	pos++;
	goto after;
}

/* The length of the common prefix of a[0..an) and b[0..bn). */
static size_t common_prefix(const char *a, size_t an, const char *b, size_t bn)
{
	size_t n = an < bn ? an : bn, i = 0;

#ifdef __SSE2__
	for (; i + 16 <= n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(a + i));
		__m128i y = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
		unsigned diff = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y)) ^ 0xffffu;

		if (diff)
			return i + (size_t)__builtin_ctz(diff);
	}
#endif
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/* Why this is sound: each hole is a leaf token (string or primitive) whose
 * new text was checked by the same rules jtok_parse applies (string_end,
 * number_end, literal_end), and every byte between holes is identical to
 * the old, valid document; so the new document has the old one's grammar
 * derivation with those leaves replaced by leaves of the same kind, and its
 * tokens are the old ones with the offsets moved. A leaf's new text is
 * delimited by the same following byte as the old one (the comparison
 * resumes there), so maximal munch ends it where jtok_parse would. */
int jtok_reparse(const char *old, size_t olen, const char *js, size_t len, struct jtok *t, int n,
		 struct jtok_diff *diff)
{
	int *hint = &diff->hint;
	bool keys_changed = false;
	int32_t hole_shift[JTOK_MAX_HOLES];
	int hole_tok[JTOK_MAX_HOLES];
	bool hole_escaped[JTOK_MAX_HOLES];
	size_t po = 0, pn = 0;
	int nh = 0, k = 0;

	if (len > INT32_MAX - 1 || olen > INT32_MAX - 1 || n <= 0 || n > JTOK_REPARSE_MAX_TOKENS)
		return -1;
	for (;;) {
		size_t m = common_prefix(old + po, olen - po, js + pn, len - pn);
		int leaf, lo = k, hi = n; /* the leaf sought is lo - 1 once lo == hi */
		size_t ns, ne;

		po += m;
		pn += m;
		if (po == olen && pn == len)
			break;
		if (nh == JTOK_MAX_HOLES)
			return -1;
		/* The leaf holding the first difference: the last token starting
		 * at or before it (tokens start in increasing order), if that is
		 * a leaf reaching it. Where the last call's first difference was,
		 * if it holds this one (a later token starts past its end), else a
		 * binary search from k, past the last hole. */
		if (nh == 0 && *hint >= k && *hint < n && (size_t)t[*hint].start <= po &&
		    po <= (size_t)t[*hint].end)
			lo = hi = *hint + 1;
		while (lo < hi) {
			int mid = (lo + hi) / 2;

			if ((size_t)t[mid].start <= po)
				lo = mid + 1;
			else
				hi = mid;
		}
		leaf = lo - 1;
		if (leaf < k || (t[leaf].type != JTOK_STRING && t[leaf].type != JTOK_PRIMITIVE) ||
		    (size_t)t[leaf].end < po)
			return -1;
		k = leaf + 1;
		if (nh == 0)
			*hint = leaf;
		ns = (size_t)((int64_t)t[leaf].start + (nh ? hole_shift[nh - 1] : 0));
		hole_escaped[nh] = false;
		if (t[leaf].type == JTOK_STRING) {
			long e = string_end(js, len, ns, &hole_escaped[nh]);

			if (e < 0)
				return -1;
			ne = (size_t)e;
		} else {
			if (ns >= len)
				return -1;
			ne = (js[ns] == 't' || js[ns] == 'f' || js[ns] == 'n') ? literal_end(js, len, ns)
									       : number_end(js, len, ns);
			if (ne == 0)
				return -1;
		}
		if (t[leaf].type == JTOK_STRING && t[leaf].size == 1)
			keys_changed = true; /* an object key: lookups differ */
		hole_tok[nh] = leaf;
		hole_shift[nh] = (int32_t)((int64_t)ne - t[leaf].end); /* cumulative */
		nh++;
		po = (size_t)t[leaf].end;
		pn = ne;
		/* The next difference must lie in a later leaf: k is past this
		 * one, and every later leaf starts after its end. */
	}
	diff->nholes = nh;
	memcpy(diff->holes, hole_tok, (size_t)nh * sizeof(hole_tok[0]));
	diff->keys_changed = keys_changed;
	/* Each hole moves what follows it: the ends of the containers around
	 * it (the tokens before it whose subtree reaches past it), its own end,
	 * and everything after it. A piece of text of the old length moves
	 * nothing, and there are few holes. */
	for (int q = 0; q < nh; q++) {
		int32_t by = hole_shift[q] - (q ? hole_shift[q - 1] : 0);
		int l = hole_tok[q];

		t[l].escaped = hole_escaped[q];
		if (by == 0)
			continue;
		for (int i = 0; i < l; i++)
			if (t[i].next > l)
				t[i].end += by;
		t[l].end += by;
		for (int i = l + 1; i < n; i++) {
			t[i].start += by;
			t[i].end += by;
		}
	}
	return n;
}
