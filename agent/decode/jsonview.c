// SPDX-License-Identifier: Apache-2.0
#include "jsonview.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int jdoc_parse(struct jdoc *d, const char *js, size_t len)
{
	int n, cap;

	/* Not the token array: clearing 5 KiB per streamed event showed up. */
	d->js = js;
	d->look = NULL;
	d->diff = NULL;
	d->t = d->heap = NULL;
	d->n = 0;
	n = jtok_parse(js, len, d->stack, JDOC_STACK_TOKENS);
	d->t = d->stack;
	/* Larger documents: a heap array, doubled until it holds them (the
	 * reparses add at most the cost of one more pass). */
	for (cap = 4 * JDOC_STACK_TOKENS; n == -ENOSPC && cap <= JDOC_MAX_TOKENS; cap *= 2) {
		struct jtok *t = realloc(d->heap, (size_t)cap * sizeof(*t));

		if (!t)
			break;
		d->t = d->heap = t;
		n = jtok_parse(js, len, d->heap, cap);
	}
	if (n <= 0 || (d->t[0].type != JTOK_OBJECT && d->t[0].type != JTOK_ARRAY)) {
		jdoc_release(d);
		return -EBADMSG;
	}
	d->n = n;
	return 0;
}

void jdoc_release(struct jdoc *d)
{
	free(d->heap);
	d->heap = NULL;
	d->t = NULL;
	d->n = 0;
}

struct jdoc_memo {
	uint32_t len, n;        /* the remembered document and its tokens */
	uint32_t cap_bytes, cap_tokens;
	struct jtok_diff diff;  /* jtok_reparse's */
	struct jtok *t;         /* cap_tokens of them, then cap_bytes of text */
	char *js;
	struct jdoc_lookups look;
	struct jtok data[];
};

/* Keeps the document just parsed into d for the next one; a document too
 * large to be worth it frees the memo (a stream's events are small). */
static void remember(struct jdoc_memo **memo, const struct jdoc *d, const char *js, size_t len)
{
	struct jdoc_memo *m = *memo;

	if (len > JDOC_MEMO_MAX_BYTES || d->n > JDOC_MEMO_MAX_TOKENS) {
		free(m);
		*memo = NULL;
		return;
	}
	if (!m || m->cap_bytes < len || m->cap_tokens < (uint32_t)d->n) {
		/* Room for the next events to grow a little without a realloc. */
		uint32_t cb = (uint32_t)(len + len / 2 + 64), ct = ((uint32_t)d->n + 15) & ~15u;
		struct jdoc_memo *g;

		if (cb > JDOC_MEMO_MAX_BYTES)
			cb = JDOC_MEMO_MAX_BYTES;
		if (m && m->cap_tokens > ct)
			ct = m->cap_tokens;
		g = realloc(m, sizeof(*g) + ct * sizeof(struct jtok) + cb);
		if (!g) { /* only an optimisation: parse whole next time */
			free(m);
			*memo = NULL;
			return;
		}
		m = *memo = g;
		m->cap_bytes = cb;
		m->cap_tokens = ct;
		m->t = m->data;
		m->js = (char *)(m->data + ct);
	}
	m->look.n = m->look.cursor = 0; /* another shape: other answers */
	m->diff.hint = -1;
	memcpy(m->t, d->t, (size_t)d->n * sizeof(struct jtok));
	memcpy(m->js, js, len);
	m->n = (uint32_t)d->n;
	m->len = (uint32_t)len;
}

int jdoc_parse_memo(struct jdoc *d, const char *js, size_t len, struct jdoc_memo **memo)
{
	struct jdoc_memo *m = *memo;

	if (m && m->n && len <= m->cap_bytes &&
	    jtok_reparse(m->js, m->len, js, len, m->t, (int)m->n, &m->diff) == (int)m->n) {
		/* The memo's tokens now describe js: the document is js read
		 * through them, and js becomes the memo's text. */
		memcpy(m->js, js, len);
		m->len = (uint32_t)len;
		if (m->diff.keys_changed)
			m->look.n = 0;
		m->look.cursor = 0;
		d->js = js;
		d->t = m->t;
		d->heap = NULL;
		d->n = (int)m->n;
		d->look = &m->look;
		d->diff = &m->diff;
		return 0;
	}
	if (jdoc_parse(d, js, len))
		return -EBADMSG;
	remember(memo, d, js, len);
	d->look = *memo ? &(*memo)->look : NULL;
	return 0;
}

static bool valid(const struct jdoc *d, int i)
{
	return i >= 0 && i < d->n;
}

/* A key given twice resolves to its last occurrence, as in JSON.parse and
 * Python's json: the client and we must read the same text, or a hostile
 * server could show it one completion and us another. */
static int search(const struct jdoc *d, int obj, const char *key, size_t klen)
{
	int j, found = -1;

	if (!valid(d, obj) || d->t[obj].type != JTOK_OBJECT)
		return -1;
	j = obj + 1;
	for (int k = 0; k < d->t[obj].size && j + 1 < d->n; k++) {
		const struct jtok *kt = &d->t[j];

		if ((size_t)(kt->end - kt->start) == klen && (klen == 0 || d->js[kt->start] == key[0]) &&
		    memcmp(d->js + kt->start, key, klen) == 0)
			found = j + 1;
		j = d->t[j + 1].next;
	}
	return found;
}

int jdoc_get_searched(const struct jdoc *d, int obj, const char *key, size_t klen)
{
	struct jdoc_lookups *l = d->look;
	int found = search(d, obj, key, klen);

	if (l && l->cursor < JDOC_MEMO_LOOKUPS) { /* the answer at this step from now on */
		l->e[l->cursor].key = key;
		l->e[l->cursor].obj = obj;
		l->e[l->cursor].found = found;
		l->n = ++l->cursor;
	}
	return found;
}

int jdoc_len(const struct jdoc *d, int arr)
{
	return valid(d, arr) && d->t[arr].type == JTOK_ARRAY ? d->t[arr].size : 0;
}

int jdoc_at(const struct jdoc *d, int arr, int k)
{
	int j;

	if (k < 0 || k >= jdoc_len(d, arr))
		return -1;
	j = arr + 1;
	while (k-- > 0 && j < d->n)
		j = d->t[j].next;
	return j < d->n ? j : -1;
}

int jdoc_first(const struct jdoc *d, int arr)
{
	return jdoc_len(d, arr) > 0 ? arr + 1 : -1;
}

int jdoc_next(const struct jdoc *d, int arr, int elem)
{
	int j;

	if (!valid(d, arr) || !valid(d, elem))
		return -1;
	j = d->t[elem].next;
	return j < d->n && d->t[j].start < d->t[arr].end ? j : -1;
}

bool jdoc_is_string(const struct jdoc *d, int i)
{
	return valid(d, i) && d->t[i].type == JTOK_STRING;
}

void jdoc_append_str(const struct jdoc *d, int i, struct xbuf *out)
{
	if (!jdoc_is_string(d, i))
		return;
	if (d->t[i].escaped)
		json_unescape(d->js + d->t[i].start, (size_t)(d->t[i].end - d->t[i].start), out);
	else
		xbuf_append(out, d->js + d->t[i].start, (size_t)(d->t[i].end - d->t[i].start));
}

bool jdoc_copy_str(const struct jdoc *d, int i, char *dst, size_t dstsz)
{
	const char *s;
	size_t n;

	if (!jdoc_is_string(d, i))
		return false;
	s = d->js + d->t[i].start;
	n = (size_t)(d->t[i].end - d->t[i].start);
	if (n < dstsz && !d->t[i].escaped) {
		/* The common case (model names, finish reasons): no escapes, fits. */
		memcpy(dst, s, n);
		dst[n] = '\0';
	} else {
		struct xbuf b;

		xbuf_init(&b, dstsz - 1);
		json_unescape(s, n, &b);
		xstrcpy(dst, dstsz, b.p ? b.p : "");
		xbuf_release(&b);
	}
	return true;
}

bool jdoc_str_is(const struct jdoc *d, int i, const char *s)
{
	size_t n = strlen(s);

	return jdoc_is_string(d, i) && (size_t)(d->t[i].end - d->t[i].start) == n &&
	       memcmp(d->js + d->t[i].start, s, n) == 0;
}

bool jdoc_int(const struct jdoc *d, int i, int64_t *out)
{
	const char *p;
	int64_t v = 0;
	bool neg;
	int k, end;

	if (!valid(d, i) || d->t[i].type != JTOK_PRIMITIVE)
		return false;
	p = d->js + d->t[i].start;
	end = d->t[i].end - d->t[i].start;
	neg = end > 0 && p[0] == '-';
	k = neg;
	if (k >= end || p[k] < '0' || p[k] > '9')
		return false; /* true, false, null */
	for (; k < end && p[k] >= '0' && p[k] <= '9'; k++) {
		if (v > (INT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (p[k] - '0');
	}
	*out = neg ? -v : v; /* a fraction or exponent is cut off: counts are integers */
	return true;
}

bool jdoc_true(const struct jdoc *d, int i)
{
	return valid(d, i) && d->t[i].type == JTOK_PRIMITIVE && d->js[d->t[i].start] == 't';
}

void jdoc_append_raw(const struct jdoc *d, int i, struct xbuf *out)
{
	if (!valid(d, i))
		return;
	if (d->t[i].type == JTOK_STRING) /* a string's span excludes the quotes */
		xbuf_append(out, d->js + d->t[i].start - 1, (size_t)(d->t[i].end - d->t[i].start) + 2);
	else
		xbuf_append(out, d->js + d->t[i].start, (size_t)(d->t[i].end - d->t[i].start));
}

static int hex4(const char *s, size_t n)
{
	int v = 0;

	if (n < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		char c = s[k];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static void put_utf8(struct xbuf *out, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	}
	xbuf_append(out, b, n);
}

void json_unescape(const char *s, size_t n, struct xbuf *out)
{
	size_t i = 0;

	while (i < n) {
		const char *bs = memchr(s + i, '\\', n - i);
		size_t run = bs ? (size_t)(bs - (s + i)) : n - i;
		int cp;

		xbuf_append(out, s + i, run); /* the common case: no escapes at all */
		i += run;
		if (i >= n)
			break;
		i++; /* the backslash */
		if (i >= n) {
			put_utf8(out, 0xfffd);
			break;
		}
		switch (s[i++]) {
		case '"': xbuf_append(out, "\"", 1); break;
		case '\\': xbuf_append(out, "\\", 1); break;
		case '/': xbuf_append(out, "/", 1); break;
		case 'b': xbuf_append(out, "\b", 1); break;
		case 'f': xbuf_append(out, "\f", 1); break;
		case 'n': xbuf_append(out, "\n", 1); break;
		case 'r': xbuf_append(out, "\r", 1); break;
		case 't': xbuf_append(out, "\t", 1); break;
		case 'u':
			cp = hex4(s + i, n - i);
			if (cp < 0) {
				put_utf8(out, 0xfffd);
				break;
			}
			i += 4;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				/* A high surrogate must be followed by \u and a low one. */
				int lo = (i + 6 <= n && s[i] == '\\' && s[i + 1] == 'u') ? hex4(s + i + 2, n - i - 2) : -1;

				if (lo >= 0xdc00 && lo <= 0xdfff) {
					i += 6;
					put_utf8(out, 0x10000 + (((uint32_t)cp - 0xd800) << 10) + ((uint32_t)lo - 0xdc00));
				} else {
					put_utf8(out, 0xfffd);
				}
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				put_utf8(out, 0xfffd); /* a lone low surrogate */
			} else {
				put_utf8(out, (uint32_t)cp);
			}
			break;
		default:
			put_utf8(out, 0xfffd);
			break;
		}
	}
}
