/* SPDX-License-Identifier: Apache-2.0 */
/*
 * detectors - what sensitive data looks like. Each detector is a Hyperscan
 * pattern that ends just past the value (the scan reports end offsets only),
 * plus what the confirm stage needs to find the value's start and judge it:
 * the characters a value is made of, its length bounds, a validator, context
 * words, filters, and how to mask and fingerprint it.
 *
 * Patterns end with an explicit delimiter (one or two bytes that cannot
 * continue the value) instead of relying on what follows later: a value is
 * judged only on bytes that have arrived, so the result does not depend on
 * how the text was cut into deltas. The classifier scans a newline after the
 * last byte of a text, so a value at the very end is delimited too.
 */
#ifndef SEALTAP_DETECTORS_H
#define SEALTAP_DETECTORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gate.h"

enum det_category { CAT_PII, CAT_FINANCIAL, CAT_HEALTH, CAT_SECRET };
enum det_severity { SEV_LOW = 1, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL };

/* How a finding shows its value: never more than four characters of it. */
enum det_mask {
	MASK_LAST4,  /* ************1111 */
	MASK_LAST2,  /* phone numbers */
	MASK_EMAIL,  /* j***@***.com */
	MASK_PREFIX, /* the format's public prefix (AKIA, ghp_, sk-ant-): AKIA***; mask_prefix 0: up to "://" */
	MASK_FIRST2, /* IBAN country code, IP first octet, BIC bank letters */
	MASK_NONE,   /* *** */
};

/* What counts as the same value in two places (fingerprint input). */
enum det_norm {
	NORM_DIGITS, /* 4111 1111-... and 41111111... are one card */
	NORM_UPPER,  /* alphanumerics only, upper case (IBAN, BIC, DEA, ICD-10) */
	NORM_LOWER,  /* e-mail addresses, host names */
	NORM_EXACT,  /* secrets */
};

enum det_body {
	BODY_NONE,
	BODY_PEM,   /* a PEM BEGIN line; RFC 1421 header lines, then the body */
	BODY_PUTTY, /* PuTTY's "PuTTY-User-Key-File-N:"; the body follows "Private-Lines: N" */
};

struct detector {
	const char *id;   /* "financial.payment_card" */
	const char *kind; /* fingerprint domain: detectors of one kind (phone formats) share values */
	enum det_category category;
	enum det_severity severity;
	const char *pattern; /* Hyperscan syntax, ends past the value */
	const char *charset; /* the value's characters, as ranges: "0-9 -" */
	unsigned min_len, max_len;
	const char *trim;    /* characters not allowed at either end of the value */
	/* The value starts at the beginning of the charset run ending at the
	 * match end, unless refine moves it (a card after other digits). It
	 * gets the run; returns false to reject. */
	bool (*refine)(const char *run, size_t n, size_t *start);
	/* The value begins with one of these literals ('|' between them:
	 * "glsa_|glc_"): it starts at the first of them in its run, even when
	 * its alphabet runs on before it (KEY=ops_eyJ...: '_' and '=' are
	 * base64's too), and is refused when that start is glued to a word
	 * ("xgsk_...", a run longer than the value). NULL: the run's start. */
	const char *prefix;
	/* refine finds where the value starts, and the same holds there: the
	 * start must not be glued to a word, wherever the run began. */
	bool prefix_start;
	bool (*valid)(const char *v, size_t n);
	/* A published test value of the format (one complete list per
	 * format): dropped and counted (classify.test_values). */
	bool (*test_value)(const char *v, size_t n);
	const char *const *context;      /* whole words or phrases, any case */
	bool context_required;           /* else they are not consulted */
	const char *const *anti_context; /* words before the value that rule it out */
	double min_entropy;              /* bits per byte, 0: not checked */
	/* The match is a key file's first line: the value goes on into the
	 * base64 body that follows, judged once enough of it has arrived. */
	enum det_body body;
	bool placeholder_filter;
	enum det_mask mask;
	unsigned mask_prefix; /* MASK_PREFIX: how many leading bytes are public */
	enum det_norm norm;
	/* Shapes (gate.h) one of which every value of a literal-free pattern
	 * contains: it is scanned only near them. 0: scanned everywhere. */
	unsigned gate;
};

/* The built-in detectors, in priority order (earlier wins an overlap). */
const struct detector *detectors_builtin(size_t *n);
/* The vendors' credential formats among them (tokens.c), and credentials
 * known by where they are placed (cred_syntax.c). */
const struct detector *detectors_vendor(size_t *n);
const struct detector *detectors_placed(size_t *n);

/* Where the last lit in run[0..n) begins: for refine functions. */
bool det_last_literal(const char *run, size_t n, const char *lit, size_t *at);

/* A charset spec ("A-Z0-9-": ranges, a '-' at either end is itself) as a
 * bit per byte value. */
void det_charset_bits(const char *spec, uint8_t bits[32]);

const char *det_category_name(enum det_category c);
const char *det_severity_name(enum det_severity s);

#endif
