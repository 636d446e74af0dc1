// SPDX-License-Identifier: Apache-2.0
/*
 * The classifier with every built-in detector, streaming: input byte 0 is
 * the piece size the text is fed in (deltas), the rest is the text. Every
 * finding must lie inside the text and carry a mask of at most the value;
 * and the classifier that scans the shape-only detectors only near their
 * shapes (gate.h) must find exactly what one scanning all of the text finds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "detectors.h"

#define MAX_FOUND 4096

struct found {
	size_t n, total; /* kept, and raised (the first MAX_FOUND are compared one by one) */
	struct cl_finding f[MAX_FOUND];
};

static struct classifier *gated, *everywhere;
static struct found found_gated, found_everywhere;
static size_t text_len;

static void on_finding(void *ctx, const struct cl_finding *f)
{
	struct found *out = ctx;

	if (f->end > text_len + 1 || f->start >= f->end || strlen(f->masked) > f->end - f->start + 16)
		abort();
	if (out->n < MAX_FOUND)
		out->f[out->n++] = *f;
	out->total++;
}

static struct classifier *make(bool gate)
{
	static const uint8_t key[32] = { 1 };
	const struct detector *d;
	struct classifier *c;
	char err[256];
	size_t n;

	d = detectors_builtin(&n);
	cl_gate = gate;
	c = classifier_new(d, n, key, sizeof(key), err, sizeof(err));
	cl_gate = true;
	if (!c)
		abort();
	return c;
}

static void classify(struct classifier *c, const uint8_t *text, size_t size, size_t piece, struct found *out)
{
	struct cl_stream *s = cl_open(c, on_finding, out);

	out->n = out->total = 0;
	for (size_t i = 0; i < size; i += piece)
		cl_feed(s, (const char *)text + i, size - i < piece ? size - i : piece);
	cl_close(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t piece;

	if (!gated) {
		gated = make(true);
		everywhere = make(false);
	}
	if (size < 1)
		return 0;
	piece = data[0] ? data[0] : 1;
	text_len = size - 1;
	classify(gated, data + 1, size - 1, piece, &found_gated);
	classify(everywhere, data + 1, size - 1, piece, &found_everywhere);
	if (found_gated.total != found_everywhere.total || found_gated.n != found_everywhere.n)
		abort();
	for (size_t i = 0; i < found_gated.n; i++) {
		const struct cl_finding *a = &found_gated.f[i], *b = &found_everywhere.f[i];

		if (a->det != b->det || a->start != b->start || a->end != b->end || strcmp(a->masked, b->masked) ||
		    memcmp(a->fingerprint, b->fingerprint, sizeof(a->fingerprint)))
			abort();
	}
	return 0;
}
