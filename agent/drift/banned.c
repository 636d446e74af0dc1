// SPDX-License-Identifier: Apache-2.0
#include "banned.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#define RULES_MAX 4096

struct banned {
	hs_database_t *db;
	hs_scratch_t *scratch;
	size_t n;
	unsigned streams; /* open: a retired list waits for them */
	bool retired;
};

struct banned_stream {
	struct banned *b;
	hs_stream_t *hs;
	banned_fn fn;
	void *ctx;
};

/* A literal phrase as a pattern: every character escaped as \xHH. */
static char *literal(const char *s, size_t n)
{
	char *p = malloc(4 * n + 1), *o = p;

	if (!p)
		return NULL;
	for (size_t i = 0; i < n; i++)
		o += sprintf(o, "\\x%02x", (unsigned char)s[i]);
	*o = '\0';
	return p;
}

struct banned *banned_load(const char *path, char *err, size_t errsz)
{
	FILE *f = fopen(path, "r");
	char *pats[RULES_MAX], line[4096];
	unsigned flags[RULES_MAX], ids[RULES_MAX];
	struct banned *b = calloc(1, sizeof(*b));
	hs_compile_error_t *cerr = NULL;
	unsigned lineno = 0;
	size_t n = 0;

	if (!f || !b) {
		snprintf(err, errsz, "%s: %s", path, f ? "out of memory" : strerror(errno));
		goto fail;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t len = strcspn(line, "\r\n");
		bool re = strncmp(line, "re:", 3) == 0;

		lineno++;
		line[len] = '\0';
		if (!len || line[0] == '#')
			continue;
		if (n == RULES_MAX) {
			snprintf(err, errsz, "%s:%u: more than %d rules", path, lineno, RULES_MAX);
			goto fail;
		}
		pats[n] = re ? strdup(line + 3) : literal(line, len);
		if (!pats[n]) {
			snprintf(err, errsz, "out of memory");
			goto fail;
		}
		flags[n] = HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH | (re ? HS_FLAG_UTF8 : 0);
		ids[n] = lineno;
		/* A pattern is checked alone first, so its error names its line. */
		if (re && hs_compile(pats[n], flags[n], HS_MODE_STREAM, NULL, &b->db, &cerr) != HS_SUCCESS) {
			snprintf(err, errsz, "%s:%u: not a valid pattern: %s", path, lineno, cerr ? cerr->message : "?");
			n++;
			goto fail;
		}
		hs_free_database(b->db);
		b->db = NULL;
		n++;
	}
	if (!n) {
		snprintf(err, errsz, "%s: no rules", path);
		goto fail;
	}
	if (hs_compile_multi((const char *const *)pats, flags, ids, (unsigned)n, HS_MODE_STREAM, NULL, &b->db, &cerr) !=
		    HS_SUCCESS ||
	    hs_alloc_scratch(b->db, &b->scratch) != HS_SUCCESS) {
		snprintf(err, errsz, "%s: %s", path, cerr ? cerr->message : "cannot compile the rules");
		goto fail;
	}
	b->n = n;
	for (size_t i = 0; i < n; i++)
		free(pats[i]);
	fclose(f);
	return b;
fail:
	hs_free_compile_error(cerr);
	for (size_t i = 0; i < n; i++)
		free(pats[i]);
	if (f)
		fclose(f);
	banned_free(b);
	return NULL;
}

void banned_free(struct banned *b)
{
	if (!b)
		return;
	hs_free_scratch(b->scratch);
	hs_free_database(b->db);
	free(b);
}

void banned_retire(struct banned *b)
{
	if (!b)
		return;
	b->retired = true;
	if (!b->streams)
		banned_free(b);
}

size_t banned_rules(const struct banned *b)
{
	return b ? b->n : 0;
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *ctx)
{
	struct banned_stream *s = ctx;

	(void)from, (void)to, (void)flags;
	s->fn(s->ctx, id);
	return 0;
}

struct banned_stream *banned_open(struct banned *b, banned_fn fn, void *ctx)
{
	struct banned_stream *s = b ? calloc(1, sizeof(*s)) : NULL;

	if (!s)
		return NULL;
	*s = (struct banned_stream){ b, NULL, fn, ctx };
	if (hs_open_stream(b->db, 0, &s->hs) != HS_SUCCESS) {
		free(s);
		return NULL;
	}
	b->streams++;
	return s;
}

void banned_feed(struct banned_stream *s, const char *text, size_t len)
{
	if (s && len)
		hs_scan_stream(s->hs, text, (unsigned)len, 0, s->b->scratch, on_match, s);
}

void banned_close(struct banned_stream *s)
{
	struct banned *b;

	if (!s)
		return;
	b = s->b;
	hs_close_stream(s->hs, b->scratch, on_match, s);
	free(s);
	if (--b->streams == 0 && b->retired)
		banned_free(b);
}
