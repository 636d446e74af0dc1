// SPDX-License-Identifier: Apache-2.0
#include "classify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>
#include <openssl/crypto.h>

#include "gate.h"
#include "hash.h"
#include "validate.h"

#define CL_RING 16384  /* history per stream: a scan piece, plus the longest value and its context */
#define CL_PIECE 4096  /* scanned at a time: fewer calls, and a bound on one call's candidates */
/* A lazy stream's tail is scanned once it holds this much (a piece, less
 * the final newline cl_close adds): one Hyperscan call costs as much as
 * scanning ~150 bytes when the database is in cache, and several times
 * that when the agent's other work has pushed it out (make bench:
 * classify-bench tokens, stream_cost.py). */
#define CL_LAZY_BYTES (CL_PIECE - 1)
#define CL_BATCH 2048  /* candidates of one piece (a piece of 4096 bytes cannot hold more values) */
#define CL_PENDING 32  /* candidates a stream carries to a later piece (PEM bodies, context after) */
#define CL_RECENT 16  /* findings remembered for overlap */
#define MAX_DELIM 3   /* bytes a pattern consumes past its value (detector_ends.h) */
#define RUN_SLACK 64  /* a run may be this much longer than a value when a refine picks the start */
#define ANTI_WINDOW 24
#define CTX_AFTER_GAP 24   /* bytes between a value and a context word after it */
#define CTX_AFTER_REACH 64 /* from a value's end to the end of such a word, at most */
#define PEM_FOLLOW 320  /* bytes after a BEGIN line within which its body is judged */
#define PEM_BODY_MIN 64 /* base64 characters that make it a key rather than a mention */
#define PEM_BODY_MAX 160
/* A PuTTY file's private lines come after its public ones: ~900 bytes
 * after the first line for RSA-4096. A DSA key's are 36 characters, the fewest. */
#define PUTTY_FOLLOW 2048
#define PUTTY_BODY_MIN 32
#define GATE_WIDTH_MAX 256 /* a gated pattern's longest match, at most: else it is scanned everywhere */

_Static_assert(CL_FINGERPRINT_LEN == HASH_LEN, "a fingerprint is one HMAC-SHA-256");

bool cl_gate = true;

/* Values from public documentation, which models quote all the time. */
static const char *const doc_examples[] = {
	"SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", /* jwt.io's sample token signature */
	"sk_test_4eC39HqLyjWDarjtT1zdp7dc",            /* Stripe API reference */
	"sk_test_BQokikJOvBiI2HlWgH4olfQ2",
	"ghp_16C7e42F292c6912E7710c838347Ae178B4a",    /* GitHub docs */
	"AKIAIOSFODNN7EXAMPLE",                        /* AWS docs */
	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};

struct cand {
	uint32_t det;
	uint64_t start, end; /* the value */
	uint64_t decide;     /* judged when the stream has reached this offset */
	enum det_body body; /* a key file: judged with its body, which follows */
};

struct classifier {
	const struct detector *dets;
	size_t n;
	uint8_t (*charset)[32]; /* per detector, a bit per byte value */
	hs_database_t *db;       /* stream mode: the detectors scanned everywhere (NULL: none) */
	hs_database_t *gated_db; /* block mode: the shape-only ones, scanned near their shapes (gate.h) */
	hs_scratch_t *scratch;   /* fits both */
	unsigned gate_shapes;    /* the shapes the gated detectors need */
	unsigned gate_width;     /* the longest match of gated_db */
	unsigned gate_reach;     /* from a shape to the furthest end of a finding containing it */
	struct hash_key *hmac; /* the fingerprint key */
	struct cl_stats st;
	unsigned streams;             /* open streams: a retired classifier waits for them */
	bool is_retired;
	void (*retired)(void *ctx);   /* called when a retired classifier is freed */
	void *retired_ctx;
	size_t nbatch; /* candidates of the piece being scanned (one scan at a time) */
	struct cand batch[CL_BATCH];
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
	uint64_t off; /* bytes scanned */
	/* Bytes in the ring: off, and a tail of at most CL_LAZY_BYTES still
	 * to be scanned (cl_feed_lazy), while lazy is set. */
	uint64_t fed;
	struct cl_lazy *lazy;
	struct cl_stream *lazy_prev, *lazy_next; /* in lazy, oldest tail first */
	uint64_t lazy_since;                     /* when the tail began */
	/* Match ends up to here are within reach of a shape seen already (the
	 * gated scan goes on into the next piece). */
	uint64_t gate_until;
	size_t *raw; /* cl_scan_raw: matches are counted, not judged */
	size_t npending;
	unsigned nrecent;
	struct cand pending[CL_PENDING];
	struct recent recent[CL_RECENT];
	char ring[CL_RING];
};

static bool is_word(char c)
{
	return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z') || c == '_';
}

/* Whether the value starting at w[r] (w holds the stream from offset lo)
 * is glued to the word before it ("ORD-123...", "id_4111..."), or its
 * start is out of sight. One or two underscores after a non-word are
 * Markdown's _emphasis_ or __strong__, not glue (detector_ends.h). */
static bool glued_before(const char *w, size_t r, uint64_t lo)
{
	size_t u = 0;

	while (u < 2 && r > u && w[r - u - 1] == '_')
		u++;
	if (r > u)
		return is_word(w[r - u - 1]);
	return lo > 0; /* the window begins at the value or its underscores */
}

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

static bool in_set(const uint8_t bits[32], char ch)
{
	uint8_t u = (uint8_t)ch;

	return bits[u >> 3] & (1u << (u & 7));
}

/* The detector's context words as a case-insensitive alternation, before
 * the value (within CL_CONTEXT_BEFORE bytes on its line) or after it. */
static char *context_pattern(const struct detector *d, bool after)
{
	size_t cap = strlen(d->pattern) + 64, len = 0;
	char *alt, *out;

	for (const char *const *w = d->context; *w; w++)
		cap += 2 * strlen(*w) + 1;
	alt = malloc(cap);
	out = malloc(2 * cap);
	if (!alt || !out) {
		free(alt), free(out);
		return NULL;
	}
	for (const char *const *w = d->context; *w; w++) {
		if (w != d->context)
			alt[len++] = '|';
		for (const char *p = *w; *p; p++) {
			if (strchr(".^$|()[]{}*+?\\#", *p))
				alt[len++] = '\\';
			alt[len++] = *p;
		}
	}
	alt[len] = '\0';
	if (after)
		snprintf(out, 2 * cap, "(?:%s)[^\\n]{0,%d}(?i:%s)", d->pattern, CTX_AFTER_GAP, alt);
	else
		snprintf(out, 2 * cap, "(?i:%s)[^\\n]{0,%d}(?:%s)", alt, CL_CONTEXT_BEFORE, d->pattern);
	free(alt);
	return out;
}

static void free_patterns(char **pats, unsigned n)
{
	if (pats)
		for (unsigned i = 0; i < n; i++)
			free(pats[i]);
	free(pats);
}

/* A gated detector's pattern goes into the block-mode database when its
 * matches are bounded: the gated scan starts that far before the match ends
 * it looks for. A finding's end lies within gate_reach bytes after a shape
 * it contains (the shape is in its value, or in the match for IBANs; the
 * slack covers trailing characters trimmed off a value). */
static bool gateable(struct classifier *c, const struct detector *d, const char *pattern)
{
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *cerr = NULL;
	unsigned reach;

	if (!cl_gate || !d->gate || d->context_required)
		return false;
	if (hs_expression_info(pattern, 0, &info, &cerr) != HS_SUCCESS) {
		hs_free_compile_error(cerr);
		return false; /* reported by the compile that follows */
	}
	if (info->max_width > GATE_WIDTH_MAX) {
		free(info);
		return false;
	}
	if (info->max_width > c->gate_width)
		c->gate_width = info->max_width;
	reach = (info->max_width > d->max_len + MAX_DELIM ? info->max_width : d->max_len + MAX_DELIM) + 16;
	if (reach > c->gate_reach)
		c->gate_reach = reach;
	c->gate_shapes |= d->gate;
	free(info);
	return true;
}

static bool compile_db(char **pats, unsigned *ids, unsigned np, unsigned mode, hs_database_t **db,
		       const struct detector *dets, char *err, size_t errsz)
{
	hs_compile_error_t *cerr = NULL;

	if (np == 0)
		return true;
	if (hs_compile_multi((const char *const *)pats, NULL, ids, np, mode, NULL, db, &cerr) == HS_SUCCESS)
		return true;
	snprintf(err, errsz, "detector %s: pattern does not compile: %s",
		 cerr && cerr->expression >= 0 ? dets[ids[cerr->expression] / 2].id : "?",
		 cerr ? cerr->message : "unknown error");
	hs_free_compile_error(cerr);
	return false;
}

/* Patterns 0..np into the streaming database, except the gated ones,
 * which go into the block-mode one (reordered in place). */
static bool compile(struct classifier *c, char **pats, unsigned *ids, unsigned np, char *err, size_t errsz)
{
	unsigned ng = 0;

	for (unsigned i = 0; i < np; i++) {
		const struct detector *d = &c->dets[ids[i] / 2];

		if (gateable(c, d, pats[i])) {
			char *p = pats[i];
			unsigned id = ids[i];

			/* gated patterns collect at the front */
			memmove(pats + ng + 1, pats + ng, (i - ng) * sizeof(*pats));
			memmove(ids + ng + 1, ids + ng, (i - ng) * sizeof(*ids));
			pats[ng] = p, ids[ng] = id;
			ng++;
		}
	}
	if (!compile_db(pats, ids, ng, HS_MODE_BLOCK, &c->gated_db, c->dets, err, errsz) ||
	    !compile_db(pats + ng, ids + ng, np - ng, HS_MODE_STREAM, &c->db, c->dets, err, errsz))
		return false;
	if ((c->db && hs_alloc_scratch(c->db, &c->scratch) != HS_SUCCESS) ||
	    (c->gated_db && hs_alloc_scratch(c->gated_db, &c->scratch) != HS_SUCCESS)) {
		snprintf(err, errsz, "hyperscan: cannot allocate scratch space");
		return false;
	}
	return true;
}

struct classifier *classifier_new(const struct detector *dets, size_t ndets, const uint8_t *key,
				  size_t keylen, char *err, size_t errsz)
{
	struct classifier *c;
	char **pats;
	unsigned *ids, np = 0;

	if (!dets)
		dets = detectors_builtin(&ndets);
	if (keylen == 0 || keylen > CL_KEY_MAX) {
		snprintf(err, errsz, "fingerprint key must be 1 to %d bytes", CL_KEY_MAX);
		return NULL;
	}
	if (ndets > (1u << 20)) {
		snprintf(err, errsz, "too many detectors");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	pats = calloc(2 * ndets, sizeof(*pats));
	ids = calloc(2 * ndets, sizeof(*ids));
	if (c)
		c->charset = calloc(ndets, sizeof(*c->charset));
	if (!c || !pats || !ids || !c->charset) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	c->dets = dets;
	c->n = ndets;
	c->hmac = hash_key_new(key, keylen);
	if (!c->hmac) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < ndets; i++) {
		det_charset_bits(dets[i].charset, c->charset[i]);
		if (!dets[i].context_required) {
			pats[np] = strdup(dets[i].pattern);
			ids[np++] = (unsigned)(2 * i);
			continue;
		}
		/* Context words in the pattern: Hyperscan finds them as literals,
		 * far cheaper than running every number-shaped pattern alone. */
		pats[np] = context_pattern(&dets[i], false);
		ids[np++] = (unsigned)(2 * i);
		pats[np] = context_pattern(&dets[i], true);
		ids[np++] = (unsigned)(2 * i + 1);
	}
	for (unsigned i = 0; i < np; i++)
		if (!pats[i]) {
			snprintf(err, errsz, "out of memory");
			goto fail;
		}
	if (!compile(c, pats, ids, np, err, errsz))
		goto fail;
	free_patterns(pats, np), free(ids);
	return c;
fail:
	free_patterns(pats, np), free(ids);
	classifier_free(c);
	return NULL;
}

void classifier_free(struct classifier *c)
{
	if (!c)
		return;
	if (c->retired)
		c->retired(c->retired_ctx);
	hs_free_scratch(c->scratch);
	hs_free_database(c->db);
	hs_free_database(c->gated_db);
	free(c->charset);
	hash_key_free(c->hmac);
	free(c);
}

void classifier_retire(struct classifier *c, struct classifier *successor, void (*done)(void *ctx), void *ctx)
{
	if (successor)
		successor->st = c->st; /* the counters go on */
	c->is_retired = true;
	c->retired = done;
	c->retired_ctx = ctx;
	if (!c->streams)
		classifier_free(c);
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
	return s->fed > CL_RING ? s->fed - CL_RING : 0;
}

/* Whether one of words occurs in w as a whole word or phrase, any case. */
static bool has_word(const char *w, size_t n, const char *const *words)
{
	char low[CL_CONTEXT_BEFORE + CTX_AFTER_REACH + 16];

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

static struct needle_set doc_example_set;
_Static_assert(sizeof(doc_examples) / sizeof(doc_examples[0]) <= NEEDLE_SET_MAX,
	       "a needle set holds at most NEEDLE_SET_MAX examples");

/* Before main, single-threaded: the set is read-only from then on. */
__attribute__((constructor)) static void doc_examples_init(void)
{
	needle_set_init(&doc_example_set, doc_examples, sizeof(doc_examples) / sizeof(doc_examples[0]));
}

static bool doc_example(const char *v, size_t n)
{
	return needle_set_find(&doc_example_set, v, n);
}

static void enqueue(struct cl_stream *s, const struct cand *k)
{
	struct classifier *c = s->c;

	if (c->nbatch == CL_BATCH) {
		c->st.queue_full++;
		return;
	}
	c->batch[c->nbatch++] = *k;
}

enum reject { R_NONE, R_SHAPE, R_VALIDATOR, R_FILTER, R_CONTEXT, R_TEST_VALUE };

static void count_reject(struct classifier *c, enum reject why)
{
	switch (why) {
	case R_SHAPE: c->st.rejected_shape++; break;
	case R_VALIDATOR: c->st.rejected_validator++; break;
	case R_FILTER: c->st.rejected_filter++; break;
	case R_CONTEXT: c->st.rejected_context++; break;
	case R_TEST_VALUE: c->st.test_values++; break;
	case R_NONE: break;
	}
}

/* Where the first of prefixes ("a|b") begins in run[0..n). */
static bool first_prefix(const char *run, size_t n, const char *prefixes, size_t *at)
{
	bool found = false;

	*at = 0;
	for (const char *p = prefixes; *p;) {
		size_t l = strcspn(p, "|");

		for (size_t i = 0; i + l <= n && (!found || i < *at); i++)
			if (memcmp(run + i, p, l) == 0) {
				*at = i;
				found = true;
				break;
			}
		p += l + (p[l] == '|');
	}
	return found;
}

/* The value of d ending at w[v] (w holds the stream from offset lo): walk
 * back over its characters, check its boundaries, let refine pick the
 * start, then judge it. Sets [*r, v') on success. */
static enum reject extract(const struct detector *d, const uint8_t *cs, const char *w, size_t *rp, size_t *vp,
			   uint64_t lo)
{
	size_t lim = d->max_len + RUN_SLACK, v = *vp, r = v;
	bool late_start = d->prefix || d->prefix_start; /* the start is found inside the run */

	while (r > 0 && in_set(cs, w[r - 1]) && v - r <= lim)
		r--;
	if (v - r > lim) {
		if (!d->refine)
			return R_SHAPE; /* part of something longer */
		r = v - lim;
	} else if (!late_start && ((r == 0 && lo > 0) || (w[r] != ' ' && glued_before(w, r, lo)))) {
		return R_SHAPE; /* glued to a word ("ORD-123..."), or its start is out of sight */
	}
	if (d->prefix) {
		size_t off = 0;

		if (!first_prefix(w + r, v - r, d->prefix, &off))
			return R_SHAPE;
		r += off;
	}
	while (d->trim && r < v && strchr(d->trim, w[r]))
		r++;
	while (d->trim && v > r && strchr(d->trim, w[v - 1]))
		v--;
	if (d->refine) {
		size_t off = 0;

		if (!d->refine(w + r, v - r, &off))
			return R_SHAPE;
		r += off;
	}
	/* A start found inside the run is judged where it is. */
	if (late_start && glued_before(w, r, lo))
		return R_SHAPE;
	if (v - r < d->min_len || v - r > d->max_len)
		return R_SHAPE;
	if (d->valid && !d->valid(w + r, v - r))
		return R_VALIDATOR;
	/* A published test value (an issuer's test card, a vendor's example
	 * key): never a finding, always counted. */
	if (doc_example(w + r, v - r) || (d->test_value && d->test_value(w + r, v - r)))
		return R_TEST_VALUE;
	if ((d->placeholder_filter && looks_placeholder(w + r, v - r)) ||
	    (d->min_entropy > 0 && entropy_bits(w + r, v - r) < d->min_entropy) ||
	    (d->anti_context && has_word(w + (r > ANTI_WINDOW ? r - ANTI_WINDOW : 0), r > ANTI_WINDOW ? ANTI_WINDOW : r,
					 d->anti_context)))
		return R_FILTER;
	*rp = r;
	*vp = v;
	return R_NONE;
}

/* A match of pattern id ending at E. Pattern 2i is detector i's value,
 * preceded by its context words when it needs them; 2i+1 is the value
 * followed by them. Finds the value, judges what the bytes up to E allow,
 * and queues it for the decision. */
static void candidate(struct cl_stream *s, unsigned id, uint64_t E)
{
	struct classifier *c = s->c;
	unsigned di = id / 2;
	bool ctx_after = id & 1;
	const struct detector *d = &c->dets[di];
	const uint8_t *cs = c->charset[di];
	size_t span = d->max_len + RUN_SLACK + CL_CONTEXT_BEFORE + (ctx_after ? CTX_AFTER_REACH : 0) + 4;
	size_t n, v, r = 0, k = 0;
	uint64_t lo = E > span ? E - span : 0;
	struct cand cand = { .det = di };
	enum reject why = R_SHAPE;
	char w[CL_RING];

	c->st.matches++;
	if (lo < ring_floor(s))
		lo = ring_floor(s);
	n = (size_t)(E - lo);
	ring_copy(s, lo, E, w);
	if (!ctx_after) {
		/* The pattern consumed a delimiter or two after the value: bytes
		 * that are not the value's, or separators it cannot end with. */
		v = n;
		while (k < MAX_DELIM && v > 0 && (!in_set(cs, w[v - 1]) || (d->trim && strchr(d->trim, w[v - 1]))))
			v--, k++;
		why = extract(d, cs, w, &r, &v, lo);
		if (why == R_NONE && d->context_required) {
			size_t b = r > CL_CONTEXT_BEFORE ? CL_CONTEXT_BEFORE : r;

			if (!has_word(w + r - b, b, d->context))
				why = R_CONTEXT; /* the pattern's context was part of a longer word */
		}
	} else {
		/* value, delimiter, up to CTX_AFTER_GAP bytes, context word: the
		 * value is the nearest run before the word that passes. */
		for (size_t end = n; end-- > 0 && n - end <= CTX_AFTER_REACH;) {
			if (end == 0 || !in_set(cs, w[end - 1]) || in_set(cs, w[end]))
				continue;
			v = end;
			why = extract(d, cs, w, &r, &v, lo);
			if (why != R_NONE)
				continue;
			if (!has_word(w + v, n - v, d->context))
				why = R_CONTEXT;
			break;
		}
	}
	if (why != R_NONE) {
		count_reject(c, why);
		return;
	}
	cand.start = lo + r;
	cand.end = lo + v;
	/* Decided once every pattern that can report this value has: its own
	 * delimiter, or the context word after it (found later, so it loses
	 * an overlap with a detector that knew at the value's end). */
	cand.decide = cand.end + (ctx_after ? CTX_AFTER_REACH : 0);
	if (d->body != BODY_NONE) {
		cand.body = d->body;
		cand.decide = cand.end + (d->body == BODY_PEM ? PEM_FOLLOW : PUTTY_FOLLOW);
	}
	enqueue(s, &cand);
}

/* A match of pattern id ending at stream offset E. */
static void matched(struct cl_stream *s, unsigned id, uint64_t E)
{
	if (s->raw)
		(*s->raw)++;
	else
		candidate(s, id, E);
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *ctx)
{
	(void)from, (void)flags;
	matched(ctx, id, to);
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

/* Where the line at t[i] ends, before its break (real "\n" or "\r\n", or
 * JSON-escaped); *next is where the next line begins (n when none). */
static size_t line_end(const char *t, size_t n, size_t i, size_t *next)
{
	for (; i < n; i++) {
		size_t e = i;

		if (t[i] == '\n')
			*next = i + 1;
		else if (t[i] == '\\' && i + 1 < n && t[i + 1] == 'n')
			*next = i + 2;
		else
			continue;
		if (e > 0 && t[e - 1] == '\r')
			e--;
		else if (e > 1 && t[e - 2] == '\\' && t[e - 1] == 'r')
			e -= 2;
		return e;
	}
	*next = n;
	return n;
}

/* The private lines of a PuTTY key file: "Private-Lines: N" (after the
 * public lines, which are no secret), then N lines of base64, each nothing
 * else; stops at the first line that is not. Like pem_body. */
static size_t putty_body(const char *t, size_t n, uint64_t base, char *body, uint64_t *end)
{
	const char *hdr = memmem(t, n, "Private-Lines: ", 15);
	size_t k = 0, i, next, lines = 0;

	if (!hdr)
		return 0;
	i = (size_t)(hdr - t) + 15;
	while (i < n && t[i] >= '0' && t[i] <= '9' && lines < 1000)
		lines = lines * 10 + (size_t)(t[i++] - '0');
	if (line_end(t, n, i, &next) != i)
		return 0; /* "Private-Lines: N" and nothing more */
	for (i = next; lines > 0 && i < n && k < PEM_BODY_MAX; lines--, i = next) {
		size_t stop = line_end(t, n, i, &next);

		for (size_t j = i; j < stop; j++)
			if (!(is_alnum(t[j]) || t[j] == '+' || t[j] == '/' || t[j] == '='))
				return k; /* not a body line */
		for (size_t j = i; j < stop && k < PEM_BODY_MAX; j++) {
			body[k++] = t[j];
			*end = base + j + 1;
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

/* The NUL after the kind separates the domain from the value. */
static void fingerprint(const struct classifier *c, const char *kind, const char *norm, size_t n,
			uint8_t out[CL_FINGERPRINT_LEN])
{
	hash_hmac2(c->hmac, kind, strlen(kind) + 1, norm, n, out);
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

/* Whether a queued candidate of a stronger detector (found, judged and
 * waiting only for its turn) overlaps k: then k is part of it. A key
 * file's first line is not yet judged (its body follows): it does not count. */
static bool overlaps_queued(const struct cand *k, const struct cand *q, size_t nq)
{
	for (size_t i = 0; i < nq; i++)
		if (q[i].body == BODY_NONE && q[i].det < k->det && k->start < q[i].end && k->end > q[i].start)
			return true;
	return false;
}

/* Decides a queued candidate: a PEM body, overlap (with a finding raised,
 * or with one of the still queued candidates q[0..nq), whose own turn
 * comes later); then masks, fingerprints and raises it. */
static void decide(struct cl_stream *s, struct cand *k, const struct cand *q, size_t nq)
{
	struct classifier *c = s->c;
	const struct detector *d = &c->dets[k->det];
	struct cl_finding f = { .det = d };
	char val[CL_RING], norm[CL_RING], after[PUTTY_FOLLOW];
	uint64_t stop = s->off;
	size_t n, nnorm = 0;

	if (k->start < ring_floor(s)) {
		c->st.rejected_shape++; /* cannot happen with the bounds above; counted if it does */
		return;
	}
	if (k->body != BODY_NONE) {
		bool pem = k->body == BODY_PEM;
		uint64_t to = k->end + (pem ? PEM_FOLLOW : PUTTY_FOLLOW);
		size_t an;

		if (to > stop)
			to = stop;
		an = (size_t)(to - k->end);
		ring_copy(s, k->end, to, after);
		/* the body is what identifies a key */
		nnorm = pem ? pem_body(after, an, k->end, norm, &k->end) : putty_body(after, an, k->end, norm, &k->end);
		OPENSSL_cleanse(after, an);
		if (nnorm < (pem ? PEM_BODY_MIN : PUTTY_BODY_MIN) || body_looks_placeholder(norm, nnorm)) {
			c->st.rejected_filter++;
			return;
		}
	}
	if (overlaps_recent(s, k) || overlaps_queued(k, q, nq) || overlaps_queued(k, s->pending, s->npending)) {
		c->st.overlaps++;
		return;
	}
	n = (size_t)(k->end - k->start);
	ring_copy(s, k->start, k->end, val);
	if (k->body == BODY_NONE)
		nnorm = normalise(d->norm, val, n, norm);
	put_masked(d, val, n, f.masked, sizeof(f.masked));
	fingerprint(c, d->kind, norm, nnorm, f.fingerprint);
	OPENSSL_cleanse(val, n);
	OPENSSL_cleanse(norm, nnorm);
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

/* Decides every candidate due by `upto` - the piece's and those carried
 * from earlier pieces - in (due offset, detector, start) order whatever the
 * piece sizes were; carries the rest. */
static void flush(struct cl_stream *s, uint64_t upto)
{
	struct classifier *c = s->c;
	size_t n;

	for (size_t i = 0; i < s->npending; i++) {
		if (c->nbatch == CL_BATCH) {
			c->st.queue_full += s->npending - i;
			break;
		}
		c->batch[c->nbatch++] = s->pending[i];
	}
	s->npending = 0;
	n = c->nbatch;
	c->nbatch = 0;
	if (n == 0)
		return;
	qsort(c->batch, n, sizeof(c->batch[0]), cand_cmp);
	for (size_t i = 0; i < n; i++) {
		if (c->batch[i].decide <= upto)
			decide(s, &c->batch[i], c->batch + i + 1, n - i - 1);
		else if (s->npending < CL_PENDING)
			s->pending[s->npending++] = c->batch[i];
		else
			c->st.queue_full++;
	}
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
	s->fed = 0;
	s->lazy = NULL;
	s->gate_until = 0;
	s->raw = NULL;
	s->npending = 0;
	s->nrecent = 0;
	s->hs = NULL;
	if (c->db && hs_open_stream(c->db, 0, &s->hs) != HS_SUCCESS) {
		free(s);
		return NULL;
	}
	c->streams++;
	return s;
}

struct gated_block {
	struct cl_stream *s;
	uint64_t base;  /* stream offset of the block's first byte */
	uint64_t after; /* matches ending here or before were reported already */
};

static int on_gated_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
			  void *ctx)
{
	struct gated_block *b = ctx;

	(void)from, (void)flags;
	if (b->base + to > b->after)
		matched(b->s, id, b->base + to);
	return 0;
}

/* The gated database over the block that holds every match ending in
 * (after, to]: it starts gate_width bytes before the first such end. */
static void scan_gated(struct cl_stream *s, uint64_t after, uint64_t to)
{
	struct classifier *c = s->c;
	struct gated_block b = { .s = s, .after = after };
	char block[CL_PIECE + GATE_WIDTH_MAX + GATE_SHAPE_MAX];

	b.base = after + 1 > c->gate_width ? after + 1 - c->gate_width : 0;
	ring_copy(s, b.base, to, block);
	if (!s->raw)
		c->st.gated_bytes += to - b.base;
	hs_scan(c->gated_db, block, (unsigned)(to - b.base), 0, c->scratch, on_gated_match, &b);
}

/* The piece that took the stream from offset prev to s->off: finds the
 * shapes that ended in it, and runs the gated database over the match ends
 * within reach of one (this piece's, or an earlier one's still in reach).
 * Nearby ranges are scanned as one: a scan call costs about as much as
 * gate_width bytes. */
static void gate_piece(struct cl_stream *s, uint64_t prev)
{
	struct classifier *c = s->c;
	uint64_t base = prev > GATE_SHAPE_MAX ? prev - GATE_SHAPE_MAX : 0, from = prev, to = prev;
	size_t n = (size_t)(s->off - base);
	size_t at = (size_t)(base & (CL_RING - 1));
	char copy[CL_PIECE + GATE_SHAPE_MAX];
	const char *text = s->ring + at;
	uint64_t marks[(CL_PIECE + GATE_SHAPE_MAX + 63) / 64];

	if (s->gate_until > prev)
		to = s->gate_until < s->off ? s->gate_until : s->off;
	if (at + n > CL_RING) { /* the piece, or the bytes before it, wrap round the ring */
		ring_copy(s, base, s->off, copy);
		text = copy;
	}
	gate_mark(c->gate_shapes, text, n, marks);
	for (size_t k = 0; k < (n + 63) / 64; k++) {
		uint64_t first, last, lo, hi;

		if (!marks[k])
			continue;
		/* One range for a word's shapes (a little more than their union
		 * when gate_reach is shorter than a word: only more is scanned). */
		first = base + 64 * k + (unsigned)__builtin_ctzll(marks[k]);
		last = base + 64 * k + 63 - (unsigned)__builtin_clzll(marks[k]);
		if (last + c->gate_reach > s->gate_until)
			s->gate_until = last + c->gate_reach;
		lo = first > prev ? first : prev;
		hi = s->gate_until < s->off ? s->gate_until : s->off;
		if (to > from && lo <= to + c->gate_width) {
			to = hi;
			continue;
		}
		if (to > from)
			scan_gated(s, from, to);
		from = lo, to = hi;
	}
	if (to > from)
		scan_gated(s, from, to);
}

static void ring_append(struct cl_stream *s, const char *p, size_t n)
{
	size_t at = (size_t)(s->fed & (CL_RING - 1)), first = CL_RING - at;

	if (first > n)
		first = n;
	memcpy(s->ring + at, p, first);
	memcpy(s->ring, p + first, n - first);
	s->fed += n;
}

/* Scans what was appended to the ring since the last scan (at most
 * CL_PIECE bytes), in place. */
static void scan_tail(struct cl_stream *s)
{
	uint64_t prev = s->off;
	size_t n = (size_t)(s->fed - prev), at = (size_t)(prev & (CL_RING - 1)), first = CL_RING - at;

	if (n == 0)
		return;
	if (first > n)
		first = n;
	s->off = s->fed;
	s->c->st.scans++;
	if (s->hs) {
		hs_scan_stream(s->hs, s->ring + at, (unsigned)first, 0, s->c->scratch, on_match, s);
		if (n > first)
			hs_scan_stream(s->hs, s->ring, (unsigned)(n - first), 0, s->c->scratch, on_match, s);
	}
	if (s->c->gated_db)
		gate_piece(s, prev);
}

static void scan_piece(struct cl_stream *s, const char *p, size_t n)
{
	ring_append(s, p, n);
	scan_tail(s);
}

/* Every match for a value ending at X has been reported once the scan is
 * MAX_DELIM bytes past X: decide up to there, so overlaps resolve the same
 * way however the text was cut. */
static void decide_scanned(struct cl_stream *s)
{
	flush(s, s->off > MAX_DELIM ? s->off - MAX_DELIM : 0);
}

static void lazy_unlink(struct cl_stream *s)
{
	struct cl_lazy *l = s->lazy;

	if (!l)
		return;
	if (s->lazy_prev)
		s->lazy_prev->lazy_next = s->lazy_next;
	else
		l->head = s->lazy_next;
	if (s->lazy_next)
		s->lazy_next->lazy_prev = s->lazy_prev;
	else
		l->tail = s->lazy_prev;
	l->streams--;
	s->lazy = NULL;
}

/* The stream's waiting tail, scanned and judged now. */
static void lazy_scan(struct cl_stream *s)
{
	lazy_unlink(s);
	scan_tail(s);
	decide_scanned(s);
}

void cl_feed(struct cl_stream *s, const char *text, size_t n)
{
	if (s->lazy)
		lazy_scan(s); /* the bytes before these first */
	s->c->st.bytes += n;
	while (n > 0) {
		size_t k = n < CL_PIECE ? n : CL_PIECE;

		scan_piece(s, text, k);
		decide_scanned(s);
		text += k;
		n -= k;
	}
}

void cl_feed_lazy(struct cl_stream *s, const char *text, size_t n, struct cl_lazy *l, uint64_t now)
{
	if (s->fed - s->off + n > CL_LAZY_BYTES) {
		cl_feed(s, text, n);
		return;
	}
	s->c->st.bytes += n;
	ring_append(s, text, n);
	if (!s->lazy && n > 0) {
		s->lazy = l;
		s->lazy_since = now;
		s->lazy_next = NULL;
		s->lazy_prev = l->tail;
		if (l->tail)
			l->tail->lazy_next = s;
		else
			l->head = s;
		l->tail = s;
		l->streams++;
	}
}

void cl_lazy_sync(struct cl_lazy *l, uint64_t before)
{
	if (!l->head || l->head->lazy_since >= before)
		return;
	while (l->head) /* all of them: one pass while the database is in cache */
		lazy_scan(l->head);
}

void cl_close(struct cl_stream *s)
{
	struct classifier *c;

	if (!s)
		return;
	c = s->c;
	lazy_unlink(s);
	ring_append(s, "\n", 1); /* delimits a value at the very end */
	scan_tail(s);
	if (s->hs)
		hs_close_stream(s->hs, c->scratch, on_match, s);
	flush(s, UINT64_MAX);
	OPENSSL_cleanse(s->ring, sizeof(s->ring));
	free(s);
	if (--c->streams == 0 && c->is_retired)
		classifier_free(c);
}

size_t cl_scan_raw(struct classifier *c, const char *text, size_t n, size_t write)
{
	struct cl_stream *s = cl_open(c, NULL, NULL);
	size_t matches = 0;

	if (!s)
		return 0;
	s->raw = &matches;
	for (size_t off = 0; off < n; off += write)
		for (size_t k = off; k < off + write && k < n; k += CL_PIECE) {
			size_t end = off + write < n ? off + write : n;

			scan_piece(s, text + k, end - k < CL_PIECE ? end - k : CL_PIECE);
		}
	cl_close(s);
	return matches;
}
