/* SPDX-License-Identifier: Apache-2.0 */
/*
 * drift_features - what drift detection measures of one response, computed
 * incrementally while it streams (drift_text_feed per delta, any split,
 * UTF-8 sequences cut between deltas included), finished with the
 * exchange's metadata (drift_features_finish):
 *
 *   numeric      output length in characters and in tokens (reported, or
 *                characters / 4), share of non-letter characters among the
 *                non-space ones, latency, time to first token, tokens per
 *                second (lengths and times as log(1 + x): their spread is
 *                multiplicative);
 *   rates        refusal (a phrase of the lexicon in the first 512 bytes),
 *                error (status >= 400), finish reason "length", invalid
 *                JSON when JSON was requested, an output finding per
 *                category (PII, financial, health, secrets), and (drift.c)
 *                a response not in the key's dominant script;
 *   categorical  finish reason, dominant Unicode script, and a histogram of
 *                hashed character 3-grams (DRIFT_NGRAM buckets).
 *
 * Fixed size, no allocation: one drift_text per exchange being judged.
 */
#ifndef SEALTAP_DRIFT_FEATURES_H
#define SEALTAP_DRIFT_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exchange.h"

enum drift_num { DN_LENGTH, DN_TOKENS, DN_NONLETTER, DN_LATENCY, DN_TTFT, DN_TPS, DN__MAX };
enum drift_rate {
	DR_REFUSAL,
	DR_ERROR,
	DR_FINISH_LENGTH,
	DR_JSON_INVALID,
	DR_FINDING_PII,
	DR_FINDING_FINANCIAL,
	DR_FINDING_HEALTH,
	DR_FINDING_SECRET,
	DR_OTHER_SCRIPT, /* not in the key's dominant script (set by drift.c, which knows it) */
	DR__MAX
};
enum drift_finish { DFIN_NONE, DFIN_STOP, DFIN_LENGTH, DFIN_TOOL, DFIN_FILTER, DFIN_OTHER, DFIN__MAX };
enum drift_script {
	DS_NONE, DS_LATIN, DS_GREEK, DS_CYRILLIC, DS_HEBREW, DS_ARABIC, DS_DEVANAGARI,
	DS_THAI, DS_HANGUL, DS_KANA, DS_HAN, DS_OTHER, DS__MAX
};
#define DRIFT_NGRAM 32
#define DRIFT_HEAD 512

extern const char *const drift_num_names[DN__MAX];
extern const char *const drift_rate_names[DR__MAX];
extern const char *const drift_finish_names[DFIN__MAX];
extern const char *const drift_script_names[DS__MAX];

/* One response's measurements. */
struct drift_obs {
	float num[DN__MAX];
	bool has_num[DN__MAX];
	bool rate[DR__MAX];
	bool has_rate[DR__MAX];
	uint8_t finish, script;
	uint16_t ngram[DRIFT_NGRAM];
};

/* The text side, fed as it streams. */
struct drift_text {
	uint64_t chars, nonspace, letters;
	uint32_t script[DS__MAX];
	uint16_t ngram[DRIFT_NGRAM];
	uint32_t prev[2]; /* the two code points before, for 3-grams */
	unsigned nprev;
	uint8_t carry[4]; /* a UTF-8 sequence cut at the end of a delta */
	unsigned ncarry;
	char head[DRIFT_HEAD]; /* lower-cased start, for the refusal lexicon */
	size_t head_len;
};

void drift_text_feed(struct drift_text *t, const char *s, size_t n);
/* Fills o from the text and the finished exchange. refusals: lower-case
 * phrases, NULL-terminated (NULL: the built-in lexicon). */
void drift_features_finish(const struct drift_text *t, const struct exchange *x, const char *const *refusals,
			   struct drift_obs *o);
/* A refusal lexicon from a file: one phrase per line ('#' comments),
 * lower-cased here; a NULL-terminated array, freed with drift_lexicon_free.
 * At most 256 phrases of at most 200 bytes. */
char **drift_lexicon_load(const char *path, char *err, size_t errsz);
void drift_lexicon_free(char **lex);

/* The dominant script of the text so far (DS_NONE without letters). */
enum drift_script drift_text_script(const struct drift_text *t);

#endif
