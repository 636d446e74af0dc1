// SPDX-License-Identifier: Apache-2.0
#include "detector_config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>
#include <yaml.h>

#include "validate.h"
#include "yaml_options.h"

#define MAX_CUSTOM 256
#define MAX_CONTEXT 32

static const struct {
	const char *name;
	bool (*fn)(const char *, size_t);
} validators[] = {
	{ "luhn", luhn_value_ok },  { "payment_card", card_ok }, { "iban", iban_ok },
	{ "aba_routing", aba_ok },  { "npi", npi_ok },           { "dea", dea_ok },
	{ "ssn", ssn_ok },          { "swift_bic", bic_ok },     { "bitcoin", btc_address_ok },
	{ "jwt", jwt_ok },          { "ip", ip_ok },             { "date", date_ok },
};

struct loader {
	struct yopt_reader y;
	struct detector_set *set;
	size_t ncustom_max;
};

/* Memory the set owns (custom detectors point into it), zeroed. */
static void *own(struct loader *l, size_t n)
{
	char **grown = realloc(l->set->strings, (l->set->nstrings + 1) * sizeof(*grown));
	void *p = calloc(1, n);

	if (grown)
		l->set->strings = grown;
	if (!grown || !p) {
		free(p);
		return NULL;
	}
	l->set->strings[l->set->nstrings++] = p;
	return p;
}

static char *keep(struct loader *l, const char *s, size_t n)
{
	char *copy = own(l, n + 1);

	if (copy)
		memcpy(copy, s, n);
	return copy;
}

static struct detector *find(struct detector_set *set, const char *id)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->dets[i].id, id) == 0)
			return &set->dets[i];
	return NULL;
}

static int parse_severity(struct loader *l, const yaml_node_t *n, enum det_severity *out)
{
	static const char *const names[] = { "low", "medium", "high", "critical" };
	const char *s = yopt_scalar(n);

	for (int i = 0; s && i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum det_severity)(SEV_LOW + i);
			return 0;
		}
	return yopt_fail(&l->y, n, "severity '%s': expected low, medium, high or critical", s ? s : "(not a word)");
}

static int parse_disable(struct loader *l, const yaml_node_t *seq)
{
	if (seq->type != YAML_SEQUENCE_NODE)
		return yopt_fail(&l->y, seq, "disable: expected a list of detector ids");
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		const yaml_node_t *n = yopt_node(&l->y, *it);
		struct detector *d = find(l->set, yopt_scalar(n) ? yopt_scalar(n) : "");

		if (!d)
			return yopt_fail(&l->y, n, "disable: no built-in detector '%s'", yopt_scalar(n) ? yopt_scalar(n) : "(not a word)");
		/* Removed in place: the order is the priority of the rest. */
		memmove(d, d + 1, (size_t)(l->set->dets + l->set->n - d - 1) * sizeof(*d));
		l->set->n--;
	}
	return 0;
}

static int parse_severities(struct loader *l, const yaml_node_t *map)
{
	if (map->type != YAML_MAPPING_NODE)
		return yopt_fail(&l->y, map, "severity: expected detector id: level pairs");
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yopt_node(&l->y, p->key);
		struct detector *d = find(l->set, yopt_scalar(k) ? yopt_scalar(k) : "");

		if (!d)
			return yopt_fail(&l->y, k, "severity: no detector '%s'", yopt_scalar(k) ? yopt_scalar(k) : "(not a word)");
		if (parse_severity(l, yopt_node(&l->y, p->value), &d->severity))
			return -1;
	}
	return 0;
}

static int parse_uint(struct loader *l, const yaml_node_t *n, unsigned long min, unsigned long max,
		      unsigned long *out, const char *what)
{
	const char *s = yopt_scalar(n);
	char *end;
	unsigned long v;

	errno = 0;
	v = s ? strtoul(s, &end, 10) : 0;
	if (!s || !*s || *end || errno || v < min || v > max || s[0] == '-')
		return yopt_fail(&l->y, n, "%s: expected a whole number from %lu to %lu", what, min, max);
	*out = v;
	return 0;
}

static int parse_bool(struct loader *l, const yaml_node_t *n, bool *out, const char *what)
{
	const char *s = yopt_scalar(n);

	if (s && (!strcmp(s, "true") || !strcmp(s, "false"))) {
		*out = s[0] == 't';
		return 0;
	}
	return yopt_fail(&l->y, n, "%s: expected true or false", what);
}

/* The delimiter that ends a custom value: one byte not among its
 * characters, as a Hyperscan class of \xHH ranges. */
static char *with_delimiter(struct loader *l, const char *pattern, const uint8_t bits[32])
{
	char cls[256 * 9 + 16], *p = cls;
	size_t cap = strlen(pattern) + sizeof(cls) + 16;
	char *out = malloc(cap), *kept;

	if (!out)
		return NULL;
	p += sprintf(p, "[^");
	for (unsigned c = 0; c < 256;) {
		unsigned e = c;

		if (!(bits[c >> 3] & (1u << (c & 7)))) {
			c++;
			continue;
		}
		while (e + 1 < 256 && (bits[(e + 1) >> 3] & (1u << ((e + 1) & 7))))
			e++;
		p += e > c ? sprintf(p, "\\x%02x-\\x%02x", c, e) : sprintf(p, "\\x%02x", c);
		c = e + 1;
	}
	sprintf(p, "]");
	snprintf(out, cap, "(?:%s)%s", pattern, cls);
	kept = keep(l, out, strlen(out));
	free(out);
	return kept;
}

static int parse_mask(struct loader *l, const yaml_node_t *n, struct detector *d)
{
	const char *s = yopt_scalar(n);
	unsigned long v;
	char *end;

	if (!s)
		return yopt_fail(&l->y, n, "mask: expected last4, last2, first2, none or prefix:N");
	if (!strcmp(s, "last4"))
		d->mask = MASK_LAST4;
	else if (!strcmp(s, "last2"))
		d->mask = MASK_LAST2;
	else if (!strcmp(s, "first2"))
		d->mask = MASK_FIRST2;
	else if (!strcmp(s, "none"))
		d->mask = MASK_NONE;
	else if (!strncmp(s, "prefix:", 7) && (v = strtoul(s + 7, &end, 10)) >= 1 && v <= 8 && !*end)
		d->mask = MASK_PREFIX, d->mask_prefix = (unsigned)v;
	else
		return yopt_fail(&l->y, n, "mask '%s': expected last4, last2, first2, none or prefix:N (N 1-8)", s);
	return 0;
}

static int parse_normalise(struct loader *l, const yaml_node_t *n, struct detector *d)
{
	static const char *const names[] = { "digits", "upper", "lower", "exact" };
	const char *s = yopt_scalar(n);

	for (int i = 0; s && i < 4; i++)
		if (!strcmp(s, names[i])) {
			d->norm = (enum det_norm)i;
			return 0;
		}
	return yopt_fail(&l->y, n, "normalise '%s': expected digits, upper, lower or exact", s ? s : "(not a word)");
}

static int parse_context(struct loader *l, const yaml_node_t *seq, struct detector *d)
{
	const char **words;
	size_t k = 0, n;

	if (seq->type != YAML_SEQUENCE_NODE)
		return yopt_fail(&l->y, seq, "context: expected a list of words");
	n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	if (n == 0 || n > MAX_CONTEXT)
		return yopt_fail(&l->y, seq, "context: expected 1 to %d words", MAX_CONTEXT);
	words = own(l, (n + 1) * sizeof(char *)); /* NULL-terminated */
	if (!words)
		return yopt_fail(&l->y, seq, "out of memory");
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		const yaml_node_t *w = yopt_node(&l->y, *it);
		const char *s = yopt_scalar(w);
		char *low;

		if (!s || !*s || strlen(s) > 40)
			return yopt_fail(&l->y, w, "context: expected words of 1 to 40 bytes");
		low = keep(l, s, strlen(s));
		if (!low)
			return yopt_fail(&l->y, w, "out of memory");
		for (char *c = low; *c; c++) /* matched in lower case */
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
		words[k++] = low;
	}
	words[k] = NULL;
	d->context = words;
	return 0;
}

static int check_pattern(struct loader *l, const yaml_node_t *n, const char *pattern)
{
	hs_database_t *db = NULL;
	hs_compile_error_t *e = NULL;
	int r = 0;

	if (hs_compile(pattern, 0, HS_MODE_STREAM, NULL, &db, &e) != HS_SUCCESS)
		r = yopt_fail(&l->y, n, "pattern does not compile: %s", e ? e->message : "unknown error");
	hs_free_compile_error(e);
	hs_free_database(db);
	return r;
}

static int parse_custom_one(struct loader *l, const yaml_node_t *map)
{
	static const char *const keys =
		"id, category, severity, pattern, characters, length, validator, context, context_required, mask, "
		"normalise, min_entropy";
	struct detector d = { .severity = SEV_MEDIUM, .mask = MASK_NONE, .norm = NORM_EXACT,
			      .placeholder_filter = true };
	const yaml_node_t *pattern_node = NULL;
	const char *pattern = NULL;
	uint8_t bits[32];

	if (map->type != YAML_MAPPING_NODE)
		return yopt_fail(&l->y, map, "custom: each detector is a mapping of %s", keys);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yopt_node(&l->y, p->key), *v = yopt_node(&l->y, p->value);
		const char *key = yopt_scalar(k) ? yopt_scalar(k) : "", *s = yopt_scalar(v);
		unsigned long num;

		if (!strcmp(key, "id")) {
			if (!s || strncmp(s, "custom.", 7) || strlen(s) < 8 || strlen(s) > 47)
				return yopt_fail(&l->y, v, "id: expected custom.NAME (at most 47 bytes)");
			if (find(l->set, s))
				return yopt_fail(&l->y, v, "id: '%s' is already a detector", s);
			d.id = d.kind = keep(l, s, strlen(s));
		} else if (!strcmp(key, "category")) {
			static const char *const names[] = { "pii", "financial", "health", "secret" };
			int i = 0;

			while (i < 4 && (!s || strcmp(s, names[i])))
				i++;
			if (i == 4)
				return yopt_fail(&l->y, v, "category: expected pii, financial, health or secret");
			d.category = (enum det_category)i;
		} else if (!strcmp(key, "severity")) {
			if (parse_severity(l, v, &d.severity))
				return -1;
		} else if (!strcmp(key, "pattern")) {
			if (!s || !*s || strlen(s) > 1024)
				return yopt_fail(&l->y, v, "pattern: expected a Hyperscan expression of at most 1024 bytes");
			pattern = s;
			pattern_node = v;
		} else if (!strcmp(key, "characters")) {
			if (!s || !*s || strlen(s) > 128)
				return yopt_fail(&l->y, v, "characters: expected ranges such as A-Z0-9-");
			d.charset = keep(l, s, strlen(s));
		} else if (!strcmp(key, "length")) {
			yaml_node_item_t *it = v->type == YAML_SEQUENCE_NODE ? v->data.sequence.items.start : NULL;

			if (!it || v->data.sequence.items.top - it != 2)
				return yopt_fail(&l->y, v, "length: expected [shortest, longest]");
			if (parse_uint(l, yopt_node(&l->y, it[0]), 1, 1024, &num, "length"))
				return -1;
			d.min_len = (unsigned)num;
			if (parse_uint(l, yopt_node(&l->y, it[1]), d.min_len, 1024, &num, "length (longest)"))
				return -1;
			d.max_len = (unsigned)num;
		} else if (!strcmp(key, "validator")) {
			size_t i = 0;

			while (i < sizeof(validators) / sizeof(validators[0]) && (!s || strcmp(s, validators[i].name)))
				i++;
			if (i == sizeof(validators) / sizeof(validators[0]))
				return yopt_fail(&l->y, v, "validator '%s': expected luhn, payment_card, iban, aba_routing, npi, "
						     "dea, ssn, swift_bic, bitcoin, jwt, ip or date", s ? s : "");
			d.valid = validators[i].fn;
		} else if (!strcmp(key, "context")) {
			if (parse_context(l, v, &d))
				return -1;
		} else if (!strcmp(key, "context_required")) {
			if (parse_bool(l, v, &d.context_required, "context_required"))
				return -1;
		} else if (!strcmp(key, "mask")) {
			if (parse_mask(l, v, &d))
				return -1;
		} else if (!strcmp(key, "normalise")) {
			if (parse_normalise(l, v, &d))
				return -1;
		} else if (!strcmp(key, "min_entropy")) {
			char *end;

			d.min_entropy = s ? strtod(s, &end) : -1;
			if (!s || *end || d.min_entropy < 0 || d.min_entropy > 8)
				return yopt_fail(&l->y, v, "min_entropy: expected bits per byte, 0 to 8");
		} else {
			return yopt_fail(&l->y, k, "unknown key '%s' in a custom detector (expected %s)", key, keys);
		}
	}
	if (!d.id || !pattern || !d.charset || !d.max_len)
		return yopt_fail(&l->y, map, "a custom detector needs id, pattern, characters and length");
	if (d.context_required && !d.context)
		return yopt_fail(&l->y, map, "%s: context_required without context words", d.id);
	det_charset_bits(d.charset, bits);
	d.pattern = with_delimiter(l, pattern, bits);
	if (!d.pattern)
		return yopt_fail(&l->y, map, "out of memory");
	if (check_pattern(l, pattern_node, d.pattern))
		return -1;
	if (l->set->n == l->ncustom_max)
		return yopt_fail(&l->y, map, "at most %d custom detectors", MAX_CUSTOM);
	l->set->dets[l->set->n++] = d;
	return 0;
}

static int parse_custom(struct loader *l, const yaml_node_t *seq)
{
	if (seq->type != YAML_SEQUENCE_NODE)
		return yopt_fail(&l->y, seq, "custom: expected a list of detectors");
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++)
		if (parse_custom_one(l, yopt_node(&l->y, *it)))
			return -1;
	return 0;
}

static int parse_root(struct loader *l, const char *section)
{
	const yaml_node_t *root = yopt_section(&l->y.doc, section);

	if (!root)
		return 0; /* an empty file: the built-ins */
	if (root->type != YAML_MAPPING_NODE)
		return yopt_fail(&l->y, root, "expected a mapping with disable, severity and custom");
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yopt_node(&l->y, p->key), *v = yopt_node(&l->y, p->value);
		const char *key = yopt_scalar(k) ? yopt_scalar(k) : "";
		int r;

		if (!strcmp(key, "disable"))
			r = parse_disable(l, v);
		else if (!strcmp(key, "severity"))
			r = parse_severities(l, v);
		else if (!strcmp(key, "custom"))
			r = parse_custom(l, v);
		else
			r = yopt_fail(&l->y, k, "unknown key '%s' (expected disable, severity or custom)", key);
		if (r)
			return r;
	}
	return 0;
}

int detector_set_load(struct detector_set *set, const char *path, const char *section, char *err, size_t errsz)
{
	size_t nbuiltin;
	const struct detector *builtin = detectors_builtin(&nbuiltin);
	struct loader l = { .y = { .path = path, .err = err, .errsz = errsz }, .set = set };
	int r;

	memset(set, 0, sizeof(*set));
	set->dets = calloc(nbuiltin + MAX_CUSTOM, sizeof(*set->dets));
	if (!set->dets) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	memcpy(set->dets, builtin, nbuiltin * sizeof(*builtin));
	set->n = nbuiltin;
	l.ncustom_max = nbuiltin + MAX_CUSTOM;
	if (!path)
		return 0;
	if (yopt_read_document(path, &l.y.doc, err, errsz)) {
		detector_set_release(set);
		return -1;
	}
	r = parse_root(&l, section);
	yaml_document_delete(&l.y.doc);
	if (r)
		detector_set_release(set);
	return r;
}

void detector_set_release(struct detector_set *set)
{
	for (size_t i = 0; i < set->nstrings; i++)
		free(set->strings[i]);
	free(set->strings);
	free(set->dets);
	memset(set, 0, sizeof(*set));
}
