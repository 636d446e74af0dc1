// SPDX-License-Identifier: Apache-2.0
#include "classify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "validate.h"

#define CL_RING 8192  /* history per stream: the longest value plus its context */
#define CL_PIECE 512  /* scanned at a time; bounds the candidates one scan call queues */
#define CL_QUEUE 128  /* candidates awaiting a decision */
#define CL_RECENT 16  /* findings remembered for overlap */
#define RUN_SLACK 64  /* a run may be this much longer than a value when a refine picks the start */
#define ANTI_WINDOW 24
#define PEM_FOLLOW 320  /* bytes after a BEGIN line within which its body is judged */
#define PEM_BODY_MIN 64 /* base64 characters that make it a key rather than a mention */
#define PEM_BODY_MAX 160

/* Values from public documentation, which models quote all the time. */
static const char *const doc_examples[] = {
	"SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", /* jwt.io's sample token signature */
	"sk_test_4eC39HqLyjWDarjtT1zdp7dc",            /* Stripe API reference */
	"sk_test_BQokikJOvBiI2HlWgH4olfQ2",
	"ghp_16C7e42F292c6912E7710c838347Ae178B4a",    /* GitHub docs */
};

struct classifier {
	const struct detector *dets;
	size_t n;
	uint8_t (*charset)[32]; /* per detector, a bit per byte value */
	hs_database_t *db;
	hs_scratch_t *scratch;
	uint8_t key[CL_KEY_MAX];
	size_t keylen;
	struct cl_stats st;
};

struct cand {
	uint32_t det;
	uint64_t start, end; /* the value */
	uint64_t decide;     /* judged when the stream has reached this offset */
	bool need_after;     /* its context words have to follow it */
	bool pem;
};

struct recent {
	uint64_t start, end;
	uint32_t det;
};

struct cl_stream {
	struct classifier *c;
	hs_stream_t *hs;
	cl_finding_fn fn;
	void *ctx;
	uint64_t off; /* bytes fed */
	size_t nq;
	unsigned nrecent;
	struct cand q[CL_QUEUE];
	struct recent recent[CL_RECENT];
	char ring[CL_RING];
};

static bool is_word(char c)
{
	return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z') || c == '_';
}

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

static void charset_compile(const char *spec, uint8_t bits[32])
{
	memset(bits, 0, 32);
	for (size_t i = 0; spec[i]; i++) {
		unsigned lo = (uint8_t)spec[i], hi = lo;

		if (spec[i + 1] == '-' && spec[i + 2]) {
			hi = (uint8_t)spec[i + 2];
			i += 2;
		}
		for (unsigned ch = lo; ch <= hi; ch++)
			bits[ch >> 3] |= (uint8_t)(1u << (ch & 7));
	}
}

static bool in_set(const uint8_t bits[32], char ch)
{
	uint8_t u = (uint8_t)ch;

	return bits[u >> 3] & (1u << (u & 7));
}

struct classifier *classifier_new(const struct detector *dets, size_t ndets, const uint8_t *key,
				  size_t keylen, char *err, size_t errsz)
{
	struct classifier *c;
	const char **pats;
	unsigned *ids, *flags;
	hs_compile_error_t *cerr = NULL;

	if (!dets)
		dets = detectors_builtin(&ndets);
	if (keylen == 0 || keylen > CL_KEY_MAX) {
		snprintf(err, errsz, "fingerprint key must be 1 to %d bytes", CL_KEY_MAX);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	pats = calloc(ndets, sizeof(*pats));
	ids = calloc(ndets, sizeof(*ids));
	flags = calloc(ndets, sizeof(*flags));
	if (c)
		c->charset = calloc(ndets, sizeof(*c->charset));
	if (!c || !pats || !ids || !flags || !c->charset) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	c->dets = dets;
	c->n = ndets;
	memcpy(c->key, key, keylen);
	c->keylen = keylen;
	for (size_t i = 0; i < ndets; i++) {
		pats[i] = dets[i].pattern;
		ids[i] = (unsigned)i;
		charset_compile(dets[i].charset, c->charset[i]);
	}
	if (hs_compile_multi(pats, flags, ids, (unsigned)ndets, HS_MODE_STREAM, NULL, &c->db, &cerr) != HS_SUCCESS) {
		snprintf(err, errsz, "detector %s: pattern does not compile: %s",
			 cerr && cerr->expression >= 0 ? dets[cerr->expression].id : "?",
			 cerr ? cerr->message : "unknown error");
		hs_free_compile_error(cerr);
		goto fail;
	}
	if (hs_alloc_scratch(c->db, &c->scratch) != HS_SUCCESS) {
		snprintf(err, errsz, "hyperscan: cannot allocate scratch space");
		goto fail;
	}
	free(pats), free(ids), free(flags);
	return c;
fail:
	free(pats), free(ids), free(flags);
	classifier_free(c);
	return NULL;
}

void classifier_free(struct classifier *c)
{
	if (!c)
		return;
	hs_free_scratch(c->scratch);
	hs_free_database(c->db);
	free(c->charset);
	OPENSSL_cleanse(c->key, sizeof(c->key));
	free(c);
}

const struct cl_stats *classifier_stats(const struct classifier *c)
{
	return &c->st;
}

size_t classifier_detectors(const struct classifier *c, const struct detector **dets)
{
	*dets = c->dets;
	return c->n;
}

/* Bytes [from, to) of the stream, all still in the ring, into dst. */
static void ring_copy(const struct cl_stream *s, uint64_t from, uint64_t to, char *dst)
{
	size_t n = (size_t)(to - from), at = (size_t)(from & (CL_RING - 1)), first = CL_RING - at;

	if (first > n)
		first = n;
	memcpy(dst, s->ring + at, first);
	memcpy(dst + first, s->ring, n - first);
}

/* The oldest offset still in the ring. */
static uint64_t ring_floor(const struct cl_stream *s)
{
	return s->off > CL_RING ? s->off - CL_RING : 0;
}

/* Whether one of words occurs in w as a whole word or phrase, any case. */
static bool has_word(const char *w, size_t n, const char *const *words)
{
	char low[CL_CONTEXT_BEFORE + CL_CONTEXT_AFTER];

	if (!words || n == 0)
		return false;
	if (n > sizeof(low))
		n = sizeof(low);
	for (size_t i = 0; i < n; i++)
		low[i] = (char)(w[i] >= 'A' && w[i] <= 'Z' ? w[i] + 32 : w[i]);
	for (const char *const *word = words; *word; word++) {
		size_t l = strlen(*word);

		for (size_t i = 0; i + l <= n; i++)
			if (low[i] == (*word)[0] && memcmp(low + i, *word, l) == 0 && (i == 0 || !is_alnum(low[i - 1])) &&
			    (i + l == n || !is_alnum(low[i + l])))
				return true;
	}
	return false;
}

static bool doc_example(const char *v, size_t n)
{
	for (size_t i = 0; i < sizeof(doc_examples) / sizeof(doc_examples[0]); i++)
		if (memmem(v, n, doc_examples[i], strlen(doc_examples[i])))
			return true;
	return false;
}

static void enqueue(struct cl_stream *s, const struct cand *k)
{
	if (s->nq == CL_QUEUE) {
		s->c->st.queue_full++;
		return;
	}
	s->q[s->nq++] = *k;
}

/* A match of detector id ending at E: find the value, judge what can be
 * judged from the bytes up to E, and queue it for the decision. */
static void candidate(struct cl_stream *s, unsigned id, uint64_t E)
{
	struct classifier *c = s->c;
	const struct detector *d = &c->dets[id];
	const uint8_t *cs = c->charset[id];
	size_t lim = d->max_len + RUN_SLACK, span = lim + CL_CONTEXT_BEFORE + 4, n, v, r, k = 0;
	uint64_t lo = E > span ? E - span : 0;
	struct cand cand = { .det = id };
	char w[CL_RING];

	c->st.matches++;
	if (lo < ring_floor(s))
		lo = ring_floor(s);
	n = (size_t)(E - lo);
	ring_copy(s, lo, E, w);
	/* The pattern consumed a delimiter or two after the value. */
	v = n;
	while (k < 3 && v > 0 && !in_set(cs, w[v - 1]))
		v--, k++;
	r = v;
	while (r > 0 && in_set(cs, w[r - 1]) && v - r <= lim)
		r--;
	if (v - r > lim) {
		if (!d->refine)
			goto shape; /* part of something longer */
		r = v - lim;
	} else if ((r > 0 && is_word(w[r - 1])) || (r == 0 && lo > 0)) {
		goto shape; /* glued to a word, or its start is out of sight */
	}
	while (d->trim && r < v && strchr(d->trim, w[r]))
		r++;
	while (d->trim && v > r && strchr(d->trim, w[v - 1]))
		v--;
	if (d->refine) {
		size_t off = 0;

		if (!d->refine(w + r, v - r, &off))
			goto shape;
		r += off;
	}
	if (v - r < d->min_len || v - r > d->max_len)
		goto shape;
	if (d->valid && !d->valid(w + r, v - r)) {
		c->st.rejected_validator++;
		return;
	}
	if ((d->placeholder_filter && looks_placeholder(w + r, v - r)) || doc_example(w + r, v - r) ||
	    (d->min_entropy > 0 && entropy_bits(w + r, v - r) < d->min_entropy) ||
	    (d->anti_context && has_word(w + (r > ANTI_WINDOW ? r - ANTI_WINDOW : 0), r > ANTI_WINDOW ? ANTI_WINDOW : r,
					 d->anti_context))) {
		c->st.rejected_filter++;
		return;
	}
	cand.start = lo + r;
	cand.end = lo + v;
	cand.decide = E;
	if (d->context_required) {
		size_t b = r > CL_CONTEXT_BEFORE ? CL_CONTEXT_BEFORE : r;

		if (!has_word(w + r - b, b, d->context)) {
			cand.need_after = true;
			cand.decide = cand.end + CL_CONTEXT_AFTER;
		}
	}
	if (d->pem_body) {
		cand.pem = true;
		cand.decide = cand.end + PEM_FOLLOW;
	}
	enqueue(s, &cand);
	return;
shape:
	c->st.rejected_shape++;
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *ctx)
{
	(void)from, (void)flags;
	candidate(ctx, id, to);
	return 0;
}

/* The base64 body after a PEM BEGIN line, skipping line breaks (real or
 * JSON-escaped "\n") and RFC 1421 header lines. Returns how many body
 * characters went into body; *end is the offset just past the last. */
static size_t pem_body(const char *t, size_t n, uint64_t base, char *body, uint64_t *end)
{
	size_t k = 0, i = 0;
	bool line_start = true;

	while (i < n && k < PEM_BODY_MAX) {
		char ch = t[i];

		if (line_start) {
			const char *nl = memchr(t + i, '\n', n - i), *colon = memchr(t + i, ':', n - i);

			line_start = false;
			if (colon && (!nl || colon < nl)) { /* Proc-Type: ..., DEK-Info: ... */
				if (!nl)
					break;
				i = (size_t)(nl - t) + 1;
				line_start = true;
				continue;
			}
		}
		if (ch == '\r' || ch == '\n' || ch == ' ' || ch == '\t') {
			line_start = ch == '\n';
			i++;
		} else if (ch == '\\' && i + 1 < n && t[i + 1] == 'n') {
			line_start = true;
			i += 2;
		} else if (is_alnum(ch) || ch == '+' || ch == '/' || ch == '=') {
			body[k++] = ch;
			*end = base + i + 1;
			i++;
		} else {
			break;
		}
	}
	return k;
}

static void put_masked(const struct detector *d, const char *v, size_t n, char *out, size_t sz)
{
	char tail[5];
	size_t k = 0, show;
	const char *at, *dot;

	switch (d->mask) {
	case MASK_LAST4:
	case MASK_LAST2:
		show = d->mask == MASK_LAST4 ? 4 : 2;
		for (size_t i = n; i-- > 0 && k < show;)
			if (is_alnum(v[i]))
				tail[show - 1 - k++] = v[i];
		tail[show] = '\0';
		snprintf(out, sz, "****%s", tail + (show - k));
		return;
	case MASK_EMAIL:
		at = memchr(v, '@', n);
		dot = at ? memrchr(at, '.', n - (size_t)(at - v)) : NULL;
		snprintf(out, sz, "%c***@***%.*s", v[0], dot ? (int)(v + n - dot) > 25 ? 25 : (int)(v + n - dot) : 0,
			 dot ? dot : "");
		return;
	case MASK_PREFIX:
		show = d->mask_prefix;
		if (show == 0) { /* up to "://" */
			const char *sep = memmem(v, n, "://", 3);

			show = sep ? (size_t)(sep - v) + 3 : 0;
		}
		if (show > n / 2)
			show = n / 2; /* never half the value */
		if (show > 24)
			show = 24;
		snprintf(out, sz, "%.*s***", (int)show, v);
		return;
	case MASK_FIRST2:
		snprintf(out, sz, "%.*s***", n >= 8 ? 2 : 0, v);
		return;
	case MASK_NONE:
		break;
	}
	snprintf(out, sz, "***");
}

/* The value as its kind compares it: a card with or without spaces, an
 * address in any case. */
static size_t normalise(enum det_norm norm, const char *v, size_t n, char *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		char ch = v[i];

		switch (norm) {
		case NORM_DIGITS:
			if (ch >= '0' && ch <= '9')
				out[k++] = ch;
			break;
		case NORM_UPPER:
			if (is_alnum(ch))
				out[k++] = (char)(ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
			break;
		case NORM_LOWER:
			out[k++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
			break;
		case NORM_EXACT:
			out[k++] = ch;
			break;
		}
	}
	return k;
}

static void fingerprint(const struct classifier *c, const char *kind, const char *norm, size_t n,
			uint8_t out[CL_FINGERPRINT_LEN])
{
	uint8_t msg[64 + CL_RING];
	size_t kl = strlen(kind) + 1; /* the NUL separates domain and value */
	unsigned len = CL_FINGERPRINT_LEN;

	if (kl > 64 || n > CL_RING ||
	    !HMAC(EVP_sha256(), c->key, (int)c->keylen, (memcpy(msg, kind, kl), memcpy(msg + kl, norm, n), msg),
		  kl + n, out, &len))
		memset(out, 0, CL_FINGERPRINT_LEN);
	OPENSSL_cleanse(msg, kl + n);
}

void cl_fingerprint(const struct classifier *c, const struct detector *d, const char *v, size_t n,
		    uint8_t out[CL_FINGERPRINT_LEN])
{
	char *norm = malloc(n + 1);

	if (!norm || n > CL_RING) {
		free(norm);
		memset(out, 0, CL_FINGERPRINT_LEN);
		return;
	}
	fingerprint(c, d->kind, norm, normalise(d->norm, v, n, norm), out);
	free(norm);
}

static bool overlaps_recent(const struct cl_stream *s, const struct cand *k)
{
	unsigned n = s->nrecent < CL_RECENT ? s->nrecent : CL_RECENT;

	for (unsigned i = 0; i < n; i++) {
		const struct recent *r = &s->recent[i];

		if (k->start < r->end && k->end > r->start && r->det <= k->det)
			return true;
	}
	return false;
}

/* Decides a queued candidate: the context after it, a PEM body, overlap;
 * then masks, fingerprints and raises it. */
static void decide(struct cl_stream *s, struct cand *k)
{
	struct classifier *c = s->c;
	const struct detector *d = &c->dets[k->det];
	struct cl_finding f = { .det = d };
	char val[CL_RING], norm[CL_RING], after[PEM_FOLLOW];
	uint64_t stop = s->off;
	size_t n, an;

	if (k->start < ring_floor(s)) {
		c->st.rejected_shape++; /* cannot happen with the bounds above; counted if it does */
		return;
	}
	if (k->need_after || k->pem) {
		uint64_t to = k->end + (k->pem ? PEM_FOLLOW : CL_CONTEXT_AFTER);

		if (to > stop)
			to = stop;
		an = (size_t)(to - k->end);
		ring_copy(s, k->end, to, after);
		if (k->need_after && !has_word(after, an, d->context)) {
			c->st.rejected_context++;
			return;
		}
		if (k->pem) {
			size_t nb = pem_body(after, an, k->end, norm, &k->end);

			if (nb < PEM_BODY_MIN || looks_placeholder(norm, nb)) {
				c->st.rejected_filter++;
				return;
			}
			if (overlaps_recent(s, k)) {
				c->st.overlaps++;
				return;
			}
			n = (size_t)(k->end - k->start);
			ring_copy(s, k->start, k->end, val);
			put_masked(d, val, n, f.masked, sizeof(f.masked));
			fingerprint(c, d->kind, norm, nb, f.fingerprint);
			goto raise;
		}
	}
	if (overlaps_recent(s, k)) {
		c->st.overlaps++;
		return;
	}
	n = (size_t)(k->end - k->start);
	ring_copy(s, k->start, k->end, val);
	put_masked(d, val, n, f.masked, sizeof(f.masked));
	fingerprint(c, d->kind, norm, normalise(d->norm, val, n, norm), f.fingerprint);
raise:
	OPENSSL_cleanse(val, n);
	OPENSSL_cleanse(norm, sizeof(norm));
	s->recent[s->nrecent++ % CL_RECENT] = (struct recent){ k->start, k->end, k->det };
	f.start = k->start;
	f.end = k->end;
	c->st.findings++;
	s->fn(s->ctx, &f);
}

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->decide != y->decide)
		return x->decide < y->decide ? -1 : 1;
	if (x->det != y->det)
		return x->det < y->det ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Decides every queued candidate due by `upto`, in (due offset, detector,
 * start) order whatever the piece sizes were. */
static void flush(struct cl_stream *s, uint64_t upto)
{
	size_t keep = 0;

	if (s->nq == 0)
		return;
	qsort(s->q, s->nq, sizeof(s->q[0]), cand_cmp);
	for (size_t i = 0; i < s->nq; i++) {
		if (s->q[i].decide <= upto)
			decide(s, &s->q[i]);
		else
			s->q[keep++] = s->q[i];
	}
	s->nq = keep;
}

struct cl_stream *cl_open(struct classifier *c, cl_finding_fn fn, void *ctx)
{
	struct cl_stream *s = malloc(sizeof(*s));

	if (!s)
		return NULL;
	s->c = c;
	s->fn = fn;
	s->ctx = ctx;
	s->off = 0;
	s->nq = 0;
	s->nrecent = 0;
	if (hs_open_stream(c->db, 0, &s->hs) != HS_SUCCESS) {
		free(s);
		return NULL;
	}
	return s;
}

static void scan_piece(struct cl_stream *s, const char *p, size_t n)
{
	size_t at = (size_t)(s->off & (CL_RING - 1)), first = CL_RING - at;

	if (first > n)
		first = n;
	memcpy(s->ring + at, p, first);
	memcpy(s->ring, p + first, n - first);
	s->off += n;
	hs_scan_stream(s->hs, p, (unsigned)n, 0, s->c->scratch, on_match, s);
}

void cl_feed(struct cl_stream *s, const char *text, size_t n)
{
	s->c->st.bytes += n;
	while (n > 0) {
		size_t k = n < CL_PIECE ? n : CL_PIECE;

		scan_piece(s, text, k);
		flush(s, s->off);
		text += k;
		n -= k;
	}
}

void cl_close(struct cl_stream *s)
{
	if (!s)
		return;
	scan_piece(s, "\n", 1); /* delimits a value at the very end */
	hs_close_stream(s->hs, s->c->scratch, on_match, s);
	flush(s, UINT64_MAX);
	OPENSSL_cleanse(s->ring, sizeof(s->ring));
	free(s);
}
