// SPDX-License-Identifier: Apache-2.0
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <yaml.h>

/* What each setting is. SCALAR: one value; LIST: a sequence of scalars
 * (one option each); FLAG: a boolean that gives the option when true
 * (or when false, for NEGATED); MAP: name: value pairs as "name: value";
 * SECTION: a mapping of further settings; RAW: passed by line (the
 * detectors section, which its own parser reads from the file). */
enum kind { SCALAR, LIST, FLAG, NEGATED, MAP, SECTION, RAW };

struct setting {
	const char *key;
	enum kind kind;
	const char *option;              /* the long option */
	const struct setting *children;  /* SECTION */
};

#define END { NULL, 0, NULL, NULL }

static const struct setting selectors[] = {
	{ "all", FLAG, "all", NULL },	    { "pids", LIST, "pid", NULL },	   { "comms", LIST, "comm", NULL },
	{ "exes", LIST, "exe", NULL },	    { "cgroups", LIST, "cgroup", NULL }, END,
};
static const struct setting classification[] = {
	{ "fingerprint_key", SCALAR, "fingerprint-key", NULL },
	{ "leak_window", SCALAR, "leak-window", NULL },
	{ "leak_slots", SCALAR, "leak-slots", NULL },
	END,
};
static const struct setting drift[] = {
	{ "enabled", NEGATED, "no-drift", NULL },	 { "banned", SCALAR, "drift-banned", NULL },
	{ "refusals", SCALAR, "drift-refusals", NULL },	 { "keys", SCALAR, "drift-keys", NULL },
	{ "rate_shift", SCALAR, "drift-rate-shift", NULL }, END,
};
static const struct setting evidence[] = {
	{ "state_dir", SCALAR, "state-dir", NULL },
	{ "spool_max", SCALAR, "spool-max", NULL },
	{ "node", SCALAR, "node", NULL },
	{ "heartbeat_interval", SCALAR, "heartbeat-interval", NULL },
	END,
};
static const struct setting collector[] = {
	{ "url", SCALAR, "collector", NULL },	   { "ca", SCALAR, "collector-ca", NULL },
	{ "cert", SCALAR, "collector-cert", NULL }, { "key", SCALAR, "collector-key", NULL },
	{ "public_key", SCALAR, "collector-pubkey", NULL }, END,
};
static const struct setting otlp[] = {
	{ "url", SCALAR, "otlp-logs", NULL },
	{ "ca", SCALAR, "otlp-ca", NULL },
	{ "headers", MAP, "otlp-header", NULL },
	END,
};
static const struct setting outputs[] = {
	{ "evidence_json", SCALAR, "evidence-json", NULL },
	{ "otlp", SECTION, NULL, otlp },
	END,
};
static const struct setting metrics[] = {
	{ "listen", SCALAR, "metrics", NULL },
	END,
};
static const struct setting limits[] = {
	{ "ringbuf_size", SCALAR, "ringbuf-size", NULL }, { "wakeup_bytes", SCALAR, "wakeup-bytes", NULL },
	{ "max_conns", SCALAR, "max-conns", NULL },	  { "idle_timeout", SCALAR, "idle-timeout", NULL },
	{ "max_body", SCALAR, "max-body", NULL },	  END,
};
static const struct setting root[] = {
	{ "selectors", SECTION, NULL, selectors },
	{ "model_ports", LIST, "model-port", NULL },
	{ "model_processes", LIST, "model-process", NULL },
	{ "detectors", RAW, "detectors-section", NULL },
	{ "detectors_file", SCALAR, "detectors", NULL },
	{ "classification", SECTION, NULL, classification },
	{ "drift", SECTION, NULL, drift },
	{ "evidence", SECTION, NULL, evidence },
	{ "collector", SECTION, NULL, collector },
	{ "outputs", SECTION, NULL, outputs },
	{ "metrics", SECTION, NULL, metrics },
	{ "limits", SECTION, NULL, limits },
	{ "stats_interval", SCALAR, "stats-interval", NULL },
	END,
};

struct walk {
	const char *path;
	yaml_document_t doc;
	struct config_args *out;
	char *err;
	size_t errsz;
};

static int fail_at(struct walk *w, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int k = snprintf(w->err, w->errsz, "%s:%zu: ", w->path, n ? n->start_mark.line + 1 : 0);

	va_start(ap, fmt);
	if (k >= 0 && (size_t)k < w->errsz)
		vsnprintf(w->err + k, w->errsz - (size_t)k, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int add(struct walk *w, const yaml_node_t *at, const char *option, const char *value)
{
	struct config_args *a = w->out;
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

static const char *expected_keys(const struct setting *set, char *buf, size_t n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (const struct setting *s = set; s->key && off < n; s++)
		off += (size_t)snprintf(buf + off, n - off, "%s%s", off ? ", " : "", s->key);
	return buf;
}

static int walk_section(struct walk *w, const yaml_node_t *map, const struct setting *set);

static int walk_value(struct walk *w, const yaml_node_t *k, const yaml_node_t *v, const struct setting *s)
{
	const char *val = scalar(v);

	switch (s->kind) {
	case SCALAR:
		if (!val || !*val)
			return fail_at(w, v, "%s: expected a value", s->key);
		return add(w, v, s->option, val);
	case FLAG:
	case NEGATED:
		if (!val || (strcmp(val, "true") && strcmp(val, "false")))
			return fail_at(w, v, "%s: expected true or false", s->key);
		return (strcmp(val, "true") == 0) == (s->kind == FLAG) ? add(w, v, s->option, NULL) : 0;
	case LIST:
		if (v->type != YAML_SEQUENCE_NODE)
			return fail_at(w, v, "%s: expected a list", s->key);
		for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
			const yaml_node_t *e = yaml_document_get_node(&w->doc, *it);

			if (!scalar(e) || !*scalar(e))
				return fail_at(w, e, "%s: expected a list of values", s->key);
			if (add(w, e, s->option, scalar(e)))
				return -1;
		}
		return 0;
	case MAP:
		if (v->type != YAML_MAPPING_NODE)
			return fail_at(w, v, "%s: expected name: value pairs", s->key);
		for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
			const yaml_node_t *pk = yaml_document_get_node(&w->doc, p->key);
			const yaml_node_t *pv = yaml_document_get_node(&w->doc, p->value);
			char pair[1024];

			if (!scalar(pk) || !scalar(pv))
				return fail_at(w, pk, "%s: expected name: value pairs", s->key);
			snprintf(pair, sizeof(pair), "%s: %s", scalar(pk), scalar(pv));
			if (add(w, pk, s->option, pair))
				return -1;
		}
		return 0;
	case SECTION:
		if (v->type != YAML_MAPPING_NODE)
			return fail_at(w, v, "%s: expected a mapping", s->key);
		return walk_section(w, v, s->children);
	case RAW:
		/* The detectors section: its own parser reads it from the file. */
		if (v->type != YAML_MAPPING_NODE)
			return fail_at(w, v, "%s: expected a mapping (disable, severity, custom)", s->key);
		return add(w, k, s->option, w->path);
	}
	return 0;
}

static int walk_section(struct walk *w, const yaml_node_t *map, const struct setting *set)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(&w->doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(&w->doc, p->value);
		const char *key = scalar(k) ? scalar(k) : "";
		const struct setting *s = set;
		char keys[512];

		while (s->key && strcmp(s->key, key))
			s++;
		if (!s->key)
			return fail_at(w, k, "unknown key '%s' (expected one of: %s)", key,
				       expected_keys(set, keys, sizeof(keys)));
		if (walk_value(w, k, v, s))
			return -1;
	}
	return 0;
}

int config_check_owner(const char *path, char *err, size_t errsz)
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

int config_load(const char *path, struct config_args *out, char *err, size_t errsz)
{
	struct walk w = { .path = path, .out = out, .err = err, .errsz = errsz };
	const yaml_node_t *top;
	yaml_parser_t parser;
	FILE *f;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (config_check_owner(path, err, errsz) || config_digest(path, NULL, 0, NULL, 0, out->file_digest, err, errsz))
		return -1;
	if (!(out->path = strdup(path)) || !(f = fopen(path, "rb"))) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		config_release(out);
		return -1;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &w.doc)) {
		snprintf(err, errsz, "%s:%zu: not valid YAML: %s", path, parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "unknown error");
		yaml_parser_delete(&parser);
		fclose(f);
		config_release(out);
		return -1;
	}
	top = yaml_document_get_root_node(&w.doc);
	if (!top)
		r = 0; /* empty: the defaults */
	else if (top->type != YAML_MAPPING_NODE)
		r = fail_at(&w, top, "expected a mapping of settings");
	else
		r = walk_section(&w, top, root);
	yaml_document_delete(&w.doc);
	yaml_parser_delete(&parser);
	fclose(f);
	if (r)
		config_release(out);
	return r;
}

void config_release(struct config_args *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->argv[i]);
	free(a->argv);
	free(a->line);
	free(a->path);
	memset(a, 0, sizeof(*a));
}

static int digest_file(EVP_MD_CTX *md, const char *path, char *err, size_t errsz)
{
	FILE *f = fopen(path, "rb");
	char buf[8192];
	size_t n;

	if (!f) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		EVP_DigestUpdate(md, buf, n);
	n = (size_t)ferror(f);
	fclose(f);
	if (n) {
		snprintf(err, errsz, "%s: read error", path);
		return -1;
	}
	return 0;
}

int config_digest(const char *config_path, const char *const *policy_paths, int n, char *const *args, int nargs,
		  uint8_t out[CONFIG_DIGEST], char *err, size_t errsz)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int r = -1;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		snprintf(err, errsz, "SHA-256 unavailable");
		goto out;
	}
	if (config_path && digest_file(md, config_path, err, errsz))
		goto out;
	for (int i = 0; i < n; i++) {
		if (!policy_paths[i])
			continue;
		/* The path too: the same bytes moved to another role are another policy. */
		EVP_DigestUpdate(md, policy_paths[i], strlen(policy_paths[i]) + 1);
		if (digest_file(md, policy_paths[i], err, errsz))
			goto out;
	}
	for (int i = 0; i < nargs; i++)
		EVP_DigestUpdate(md, args[i], strlen(args[i]) + 1);
	r = EVP_DigestFinal_ex(md, out, NULL) ? 0 : -1;
out:
	EVP_MD_CTX_free(md);
	return r;
}
