// SPDX-License-Identifier: Apache-2.0
/*
 * The classifier with every built-in detector, streaming: input byte 0 is
 * the piece size the text is fed in (deltas), the rest is the text. Every
 * finding must lie inside the text and carry a mask of at most the value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "detectors.h"

static struct classifier *cls;
static size_t text_len;

static void on_finding(void *ctx, const struct cl_finding *f)
{
	(void)ctx;
	if (f->end > text_len + 1 || f->start >= f->end || strlen(f->masked) > f->end - f->start + 16)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[32] = { 1 };
	size_t piece;
	struct cl_stream *s;
	char err[256];

	if (!cls) {
		size_t n;
		const struct detector *d = detectors_builtin(&n);

		cls = classifier_new(d, n, key, sizeof(key), err, sizeof(err));
		if (!cls)
			abort();
	}
	if (size < 1)
		return 0;
	piece = data[0] ? data[0] : 1;
	text_len = size - 1;
	s = cl_open(cls, on_finding, NULL);
	for (size_t i = 1; i < size; i += piece)
		cl_feed(s, (const char *)data + i, size - i < piece ? size - i : piece);
	cl_close(s);
	return 0;
}
