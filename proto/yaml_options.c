// SPDX-License-Identifier: Apache-2.0
#include "yaml_options.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

struct walk {
	const struct opt_def *defs;
	const char *path;
	yaml_document_t doc;
	struct yopt_args *out;
	char *err;
	size_t errsz;
};

int yopt_verror_at(char *err, size_t errsz, const char *path, const struct yaml_node_s *n, const char *fmt,
		   va_list ap)
{
	int k = snprintf(err, errsz, "%s:%zu: ", path, n ? n->start_mark.line + 1 : 0);

	if (k >= 0 && (size_t)k < errsz)
		vsnprintf(err + k, errsz - (size_t)k, fmt, ap);
	return -1;
}

static int fail_at(struct walk *w, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	yopt_verror_at(w->err, w->errsz, w->path, n, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int add(struct walk *w, const yaml_node_t *at, const char *option, const char *value)
{
	struct yopt_args *a = w->out;
	char **argv = realloc(a->argv, (size_t)(a->n + 1) * sizeof(*argv));
	unsigned *line;
	size_t len;

	if (argv)
		a->argv = argv;
	line = realloc(a->line, (size_t)(a->n + 1) * sizeof(*line));
	if (line)
		a->line = line;
	len = strlen(option) + (value ? strlen(value) + 1 : 0) + 3;
	if (!argv || !line || !(a->argv[a->n] = malloc(len)))
		return fail_at(w, at, "out of memory");
	if (value)
		snprintf(a->argv[a->n], len, "--%s=%s", option, value);
	else
		snprintf(a->argv[a->n], len, "--%s", option);
	a->line[a->n++] = (unsigned)at->start_mark.line + 1;
	return 0;
}

/* The part of path after prefix and its dot, up to the next dot, into buf;
 * NULL when path is not under prefix. */
static const char *next_key(const char *path, const char *prefix, char *buf, size_t n)
{
	size_t k = strlen(prefix), len;
	const char *rest, *dot;

	if (!path || (k && (strncmp(path, prefix, k) || path[k] != '.')))
		return NULL;
	rest = path + (k ? k + 1 : 0);
	dot = strchr(rest, '.');
	len = dot ? (size_t)(dot - rest) : strlen(rest);
	if (len >= n)
		return NULL;
	memcpy(buf, rest, len);
	buf[len] = '\0';
	return buf;
}

/* Whether an entry before end already gives key under prefix. */
static bool key_seen(const struct opt_def *defs, const struct opt_def *end, const char *prefix, const char *key)
{
	char k[128];

	for (const struct opt_def *d = defs; d < end; d++)
		if (d->name && next_key(d->yaml, prefix, k, sizeof(k)) && strcmp(k, key) == 0)
			return true;
	return false;
}

/* The keys a mapping at prefix may hold, in the table's order, once each. */
static const char *expected_keys(const struct opt_def *defs, const char *prefix, char *buf, size_t n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (const struct opt_def *d = defs; (d->name || d->help) && off < n; d++) {
		char key[128];

		if (d->name && next_key(d->yaml, prefix, key, sizeof(key)) && !key_seen(defs, d, prefix, key))
			off += (size_t)snprintf(buf + off, n - off, "%s%s", off ? ", " : "", key);
	}
	return buf;
}

static int walk_section(struct walk *w, const yaml_node_t *map, const char *prefix);

static int walk_value(struct walk *w, const yaml_node_t *k, const yaml_node_t *v, const char *key,
		      const struct opt_def *s)
{
	const char *val = scalar(v);

	switch (s->yaml_kind) {
	case YOPT_SCALAR:
		if (!val || !*val)
			return fail_at(w, v, "%s: expected a value", key);
		return add(w, v, s->name, val);
	case YOPT_FLAG:
	case YOPT_NEGATED:
		if (!val || (strcmp(val, "true") && strcmp(val, "false")))
			return fail_at(w, v, "%s: expected true or false", key);
		return (strcmp(val, "true") == 0) == (s->yaml_kind == YOPT_FLAG) ? add(w, v, s->name, NULL) : 0;
	case YOPT_LIST:
		if (v->type != YAML_SEQUENCE_NODE)
			return fail_at(w, v, "%s: expected a list", key);
		for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
			const yaml_node_t *e = yaml_document_get_node(&w->doc, *it);

			if (!scalar(e) || !*scalar(e))
				return fail_at(w, e, "%s: expected a list of values", key);
			if (add(w, e, s->name, scalar(e)))
				return -1;
		}
		return 0;
	case YOPT_MAP:
		if (v->type != YAML_MAPPING_NODE)
			return fail_at(w, v, "%s: expected name: value pairs", key);
		for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
			const yaml_node_t *pk = yaml_document_get_node(&w->doc, p->key);
			const yaml_node_t *pv = yaml_document_get_node(&w->doc, p->value);
			char pair[1024];

			if (!scalar(pk) || !scalar(pv))
				return fail_at(w, pk, "%s: expected name: value pairs", key);
			snprintf(pair, sizeof(pair), "%s: %s", scalar(pk), scalar(pv));
			if (add(w, pk, s->name, pair))
				return -1;
		}
		return 0;
	case YOPT_RAW:
		/* A section its own parser reads from the file (the detectors). */
		if (v->type != YAML_MAPPING_NODE)
			return fail_at(w, v, "%s: expected %s", key, s->expect ? s->expect : "a mapping");
		return add(w, k, s->name, w->path);
	}
	return 0;
}

static int walk_section(struct walk *w, const yaml_node_t *map, const char *prefix)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(&w->doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(&w->doc, p->value);
		const char *key = scalar(k) ? scalar(k) : "";
		const struct opt_def *leaf = NULL;
		bool section = false;
		char path[256], buf[128], keys[512];

		if ((size_t)snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", key) >= sizeof(path))
			return fail_at(w, k, "key '%s': too long", key);
		for (const struct opt_def *d = w->defs; (d->name || d->help) && !leaf; d++) {
			if (!d->name || !d->yaml)
				continue;
			if (strcmp(d->yaml, path) == 0)
				leaf = d;
			else if (next_key(d->yaml, path, buf, sizeof(buf)))
				section = true;
		}
		if (leaf) {
			if (walk_value(w, k, v, key, leaf))
				return -1;
		} else if (section) {
			if (v->type != YAML_MAPPING_NODE)
				return fail_at(w, v, "%s: expected a mapping", key);
			if (walk_section(w, v, path))
				return -1;
		} else {
			return fail_at(w, k, "unknown key '%s' (expected one of: %s)", key,
				       expected_keys(w->defs, prefix, keys, sizeof(keys)));
		}
	}
	return 0;
}

int yopt_check_owner(const char *path, char *err, size_t errsz)
{
	struct stat st;

	if (stat(path, &st)) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (st.st_mode & 022) {
		snprintf(err, errsz, "%s: others can write it (mode %04o): chmod go-w", path,
			 (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errsz, "%s: owned by uid %u, neither root nor this user", path, (unsigned)st.st_uid);
		return -1;
	}
	return 0;
}

int yopt_fail(struct yopt_reader *r, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	yopt_verror_at(r->err, r->errsz, r->path, n, fmt, ap);
	va_end(ap);
	return -1;
}

yaml_node_t *yopt_node(struct yopt_reader *r, int i)
{
	return yaml_document_get_node(&r->doc, i);
}

const char *yopt_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

int yopt_read_document(const char *path, yaml_document_t *doc, char *err, size_t errsz)
{
	yaml_parser_t parser;
	FILE *f;
	int r = 0;

	if (yopt_check_owner(path, err, errsz))
		return -1;
	if (!(f = fopen(path, "rb"))) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, doc)) {
		snprintf(err, errsz, "%s:%zu: not valid YAML: %s", path, parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "unknown error");
		r = -1;
	}
	yaml_parser_delete(&parser);
	fclose(f);
	return r;
}

yaml_node_t *yopt_section(yaml_document_t *doc, const char *key)
{
	yaml_node_t *top = yaml_document_get_root_node(doc);

	if (!key || !top || top->type != YAML_MAPPING_NODE)
		return top;
	for (yaml_node_pair_t *p = top->data.mapping.pairs.start; p < top->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);

		if (k && k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key))
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

int yopt_load(const char *path, const struct opt_def *defs, struct yopt_args *out, char *err, size_t errsz)
{
	struct walk w = { .defs = defs, .path = path, .out = out, .err = err, .errsz = errsz };
	const yaml_node_t *top;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (!(out->path = strdup(path))) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	if (yopt_read_document(path, &w.doc, err, errsz)) {
		yopt_release(out);
		return -1;
	}
	top = yaml_document_get_root_node(&w.doc);
	if (!top)
		r = 0; /* empty: the defaults */
	else if (top->type != YAML_MAPPING_NODE)
		r = fail_at(&w, top, "expected a mapping of settings");
	else
		r = walk_section(&w, top, "");
	yaml_document_delete(&w.doc);
	if (r)
		yopt_release(out);
	return r;
}

void yopt_release(struct yopt_args *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->argv[i]);
	free(a->argv);
	free(a->line);
	free(a->path);
	memset(a, 0, sizeof(*a));
}

char **yopt_merge(int argc, char **argv, const struct yopt_args *a, int *out_argc)
{
	char **merged = calloc((size_t)(argc + a->n + 1), sizeof(*merged));

	if (!merged)
		return NULL;
	merged[0] = argv[0];
	memcpy(merged + 1, a->argv, (size_t)a->n * sizeof(*merged));
	memcpy(merged + 1 + a->n, argv + 1, (size_t)(argc - 1) * sizeof(*merged));
	*out_argc = argc + a->n;
	return merged;
}
