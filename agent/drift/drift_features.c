// SPDX-License-Identifier: Apache-2.0
#include "drift_features.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detectors.h"
#include "jsonview.h"

const char *const drift_num_names[DN__MAX] = { "output_length", "output_tokens", "non_letter_share",
					       "latency",       "time_to_first_token", "tokens_per_second" };
const char *const drift_rate_names[DR__MAX] = { "refusal_rate",     "error_rate",	    "finish_length_rate",
						"json_invalid_rate", "finding_rate_pii", "finding_rate_financial",
						"finding_rate_health", "finding_rate_secrets", "other_script_rate" };
const char *const drift_finish_names[DFIN__MAX] = { "none", "stop", "length", "tool_calls", "content_filter", "other" };
const char *const drift_script_names[DS__MAX] = { "none", "latin", "greek",  "cyrillic", "hebrew", "arabic",
						  "devanagari", "thai", "hangul", "kana", "han", "other" };

/* Phrases that open a refusal, lower case (a typographic apostrophe is
 * folded to ' before matching). */
static const char *const builtin_refusals[] = {
	"i'm sorry, but",  "i am sorry, but",  "i can't help with", "i cannot help with", "i can't assist",
	"i cannot assist", "i'm unable to",    "i am unable to",    "i won't be able to", "i can't provide",
	"i cannot provide", "i'm not able to", "i am not able to",  "i must decline",     "i can't comply",
	"i cannot comply", "as an ai language model", NULL,
};

static enum drift_script script_of(uint32_t c)
{
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
		return DS_LATIN;
	if (c < 0x80)
		return DS_NONE;
	if ((c >= 0xc0 && c <= 0x24f && c != 0xd7 && c != 0xf7) || (c >= 0x1e00 && c <= 0x1eff))
		return DS_LATIN;
	if (c >= 0x370 && c <= 0x3ff)
		return DS_GREEK;
	if (c >= 0x400 && c <= 0x52f)
		return DS_CYRILLIC;
	if (c >= 0x590 && c <= 0x5ff)
		return DS_HEBREW;
	if ((c >= 0x600 && c <= 0x6ff) || (c >= 0x750 && c <= 0x77f))
		return DS_ARABIC;
	if (c >= 0x900 && c <= 0x97f)
		return DS_DEVANAGARI;
	if (c >= 0xe00 && c <= 0xe7f)
		return DS_THAI;
	if ((c >= 0xac00 && c <= 0xd7af) || (c >= 0x1100 && c <= 0x11ff) || (c >= 0x3130 && c <= 0x318f))
		return DS_HANGUL;
	if (c >= 0x3040 && c <= 0x30ff)
		return DS_KANA;
	if ((c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf))
		return DS_HAN;
	/* Punctuation, symbols, emoji, fullwidth forms: not letters. */
	if ((c >= 0x2000 && c <= 0x2bff) || (c >= 0x3000 && c <= 0x303f) || (c >= 0xff00 && c <= 0xffef) ||
	    c >= 0x1f000 || (c >= 0x80 && c <= 0xbf))
		return DS_NONE;
	return DS_OTHER;
}

static bool is_space(uint32_t c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == 0xa0 || c == 0x3000;
}

static void code_point(struct drift_text *t, uint32_t c)
{
	enum drift_script s = script_of(c);
	uint32_t lower = c < 0x80 && c >= 'A' && c <= 'Z' ? c | 0x20 : c;

	t->chars++;
	if (!is_space(c)) {
		t->nonspace++;
		if (s != DS_NONE) {
			t->letters++;
			t->script[s]++;
		}
	}
	if (t->nprev == 2) {
		uint64_t h = 1469598103934665603ull;

		h = (h ^ t->prev[0]) * 1099511628211ull;
		h = (h ^ t->prev[1]) * 1099511628211ull;
		h = (h ^ lower) * 1099511628211ull;
		if (t->ngram[h % DRIFT_NGRAM] < UINT16_MAX)
			t->ngram[h % DRIFT_NGRAM]++;
	}
	t->prev[0] = t->prev[1];
	t->prev[1] = lower;
	if (t->nprev < 2)
		t->nprev++;
	if (t->head_len < DRIFT_HEAD - 1) {
		/* The head keeps ASCII lower-cased and folds the typographic apostrophe. */
		char ch = c == 0x2019 ? '\'' : c < 0x80 ? (char)lower : (char)0x80;

		t->head[t->head_len++] = ch;
		t->head[t->head_len] = '\0';
	}
}

/* The length of the UTF-8 sequence a lead byte opens (1 for a stray byte). */
static unsigned seq_len(uint8_t b)
{
	return b < 0xc0 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : b < 0xf8 ? 4 : 1;
}

static uint32_t decode(const uint8_t *p, unsigned n)
{
	static const uint8_t lead_mask[5] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	uint32_t c = p[0] & lead_mask[n];

	for (unsigned i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0xfffd;
		c = c << 6 | (p[i] & 0x3f);
	}
	return c;
}

void drift_text_feed(struct drift_text *t, const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s, *end = p + n;

	/* Finish a sequence the previous delta cut. */
	while (t->ncarry && p < end) {
		unsigned want = seq_len(t->carry[0]);

		t->carry[t->ncarry++] = *p++;
		if (t->ncarry == want) {
			code_point(t, decode(t->carry, want));
			t->ncarry = 0;
		}
	}
	while (p < end) {
		unsigned len = *p < 0x80 ? 1 : seq_len(*p);

		if ((size_t)(end - p) < len) {
			memcpy(t->carry, p, (size_t)(end - p));
			t->ncarry = (unsigned)(end - p);
			return;
		}
		code_point(t, len == 1 ? *p : decode(p, len));
		p += len;
	}
}

enum drift_script drift_text_script(const struct drift_text *t)
{
	enum drift_script best = DS_NONE;

	for (int s = DS_LATIN; s < DS__MAX; s++)
		if (t->script[s] > t->script[best] || (best == DS_NONE && t->script[s]))
			best = (enum drift_script)s;
	return best;
}

static enum drift_finish finish_of(const char *r)
{
	if (!*r)
		return DFIN_NONE;
	if (!strcmp(r, "stop") || !strcmp(r, "end_turn") || !strcmp(r, "stop_sequence") || !strcmp(r, "eos_token"))
		return DFIN_STOP;
	if (!strcmp(r, "length") || !strcmp(r, "max_tokens"))
		return DFIN_LENGTH;
	if (!strcmp(r, "tool_calls") || !strcmp(r, "tool_use") || !strcmp(r, "function_call"))
		return DFIN_TOOL;
	if (!strcmp(r, "content_filter") || !strcmp(r, "refusal"))
		return DFIN_FILTER;
	return DFIN_OTHER;
}

static bool refused(const struct drift_text *t, const char *const *phrases)
{
	for (const char *const *p = phrases ? phrases : builtin_refusals; *p; p++)
		if (strstr(t->head, *p))
			return true;
	return false;
}

static void set_num(struct drift_obs *o, enum drift_num f, double v)
{
	if (isfinite(v)) {
		o->num[f] = (float)v;
		o->has_num[f] = true;
	}
}

void drift_features_finish(const struct drift_text *t, const struct exchange *x, const char *const *refusals,
			   struct drift_obs *o)
{
	const struct x_choice *c0 = &x->choices[0];
	double tokens = x->completion_tokens >= 0 ? (double)x->completion_tokens : (double)t->chars / 4.0;

	memset(o, 0, sizeof(*o));
	set_num(o, DN_LENGTH, log1p((double)t->chars));
	set_num(o, DN_TOKENS, log1p(tokens));
	if (t->nonspace)
		set_num(o, DN_NONLETTER, (double)(t->nonspace - t->letters) / (double)t->nonspace);
	if (x->t_end > x->t_request && x->t_request)
		set_num(o, DN_LATENCY, log1p((double)(x->t_end - x->t_request) / 1e6));
	if (x->t_first_token > x->t_request && x->t_request)
		set_num(o, DN_TTFT, log1p((double)(x->t_first_token - x->t_request) / 1e6));
	if (x->t_first_token && x->t_end > x->t_first_token + 1000000 && tokens > 0)
		set_num(o, DN_TPS, log1p(tokens / ((double)(x->t_end - x->t_first_token) / 1e9)));
	for (int r = 0; r < DR__MAX; r++)
		o->has_rate[r] = r != DR_OTHER_SCRIPT;
	o->rate[DR_REFUSAL] = refused(t, refusals);
	o->rate[DR_ERROR] = x->status >= 400;
	o->finish = (uint8_t)finish_of(c0->finish_reason);
	o->rate[DR_FINISH_LENGTH] = o->finish == DFIN_LENGTH;
	o->has_rate[DR_JSON_INVALID] = x->json_requested && x->status < 400;
	if (o->has_rate[DR_JSON_INVALID]) {
		struct jdoc d;

		o->rate[DR_JSON_INVALID] = true; /* no text, or cut: not valid JSON either */
		if (c0->text.p && !c0->text.truncated) {
			o->rate[DR_JSON_INVALID] = jdoc_parse(&d, c0->text.p, c0->text.len) != 0;
			jdoc_release(&d);
		}
	}
	o->rate[DR_FINDING_PII] = x->output_categories & (1u << CAT_PII);
	o->rate[DR_FINDING_FINANCIAL] = x->output_categories & (1u << CAT_FINANCIAL);
	o->rate[DR_FINDING_HEALTH] = x->output_categories & (1u << CAT_HEALTH);
	o->rate[DR_FINDING_SECRET] = x->output_categories & (1u << CAT_SECRET);
	o->script = (uint8_t)drift_text_script(t);
	memcpy(o->ngram, t->ngram, sizeof(o->ngram));
}

char **drift_lexicon_load(const char *path, char *err, size_t errsz)
{
	FILE *f = fopen(path, "r");
	char **lex = calloc(257, sizeof(*lex)), line[512];
	unsigned lineno = 0, n = 0;

	if (!f || !lex) {
		snprintf(err, errsz, "%s: %s", path, f ? "out of memory" : strerror(errno));
		goto fail;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t len = strcspn(line, "\r\n");

		lineno++;
		line[len] = '\0';
		if (!len || line[0] == '#')
			continue;
		if (n == 256 || len > 200) {
			snprintf(err, errsz, "%s:%u: %s", path, lineno,
				 n == 256 ? "more than 256 phrases" : "a phrase is at most 200 bytes");
			goto fail;
		}
		for (size_t i = 0; i < len; i++)
			line[i] = (char)tolower((unsigned char)line[i]);
		if (!(lex[n++] = strdup(line))) {
			snprintf(err, errsz, "out of memory");
			goto fail;
		}
	}
	if (!n) {
		snprintf(err, errsz, "%s: no phrases", path);
		goto fail;
	}
	fclose(f);
	return lex;
fail:
	if (f)
		fclose(f);
	drift_lexicon_free(lex);
	return NULL;
}

void drift_lexicon_free(char **lex)
{
	if (!lex)
		return;
	for (char **p = lex; *p; p++)
		free(*p);
	free(lex);
}
