// SPDX-License-Identifier: Apache-2.0
/*
 * One direction of an HTTP/2 connection straight into the frame parser and
 * its HPACK inflater (nghttp2), without the session's protocol detection in
 * front: frames, padding, CONTINUATION, RST_STREAM, SETTINGS, table sizes.
 * Input: a flags byte (bit 0: the client's side, which starts with the
 * connection preface; bits 1-6: how many bytes per feed, so frames and
 * header blocks are cut at many places), then the bytes of the direction.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http2.h"

static size_t seen;

static void on_header(void *ctx, uint32_t sid, const uint8_t *name, size_t nlen, const uint8_t *value,
		      size_t vlen)
{
	(void)ctx;
	/* touch both ends of each: a bad pointer or length shows */
	if (nlen)
		seen += name[0] + name[nlen - 1];
	if (vlen)
		seen += value[0] + value[vlen - 1];
	seen += sid;
}

static void on_headers_end(void *ctx, uint32_t sid, bool end_stream)
{
	(void)ctx;
	seen += sid + end_stream;
}

static void on_data(void *ctx, uint32_t sid, const uint8_t *data, size_t len)
{
	(void)ctx;
	if (len)
		seen += data[0] + data[len - 1] + sid;
}

static void on_end_stream(void *ctx, uint32_t sid)
{
	(void)ctx;
	seen += sid;
}

static void on_reset(void *ctx, uint32_t sid)
{
	(void)ctx;
	seen += sid;
}

static void on_table_size(void *ctx, uint32_t size)
{
	struct h2_parser *p = ctx;

	/* Apply it to the same parser: any size, at any moment, must be safe. */
	h2_set_table_size(p, size);
}

static const struct h2_callbacks cb = {
	on_header, on_headers_end, on_data, on_end_stream, on_reset, on_table_size,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct h2_parser p;
	size_t step;

	if (size < 1)
		return 0;
	step = ((data[0] >> 1) & 63) + 1;
	if (h2_init(&p, data[0] & 1, &cb, &p))
		return 0;
	data++, size--;
	while (size) {
		size_t n = size < step ? size : step;

		h2_feed(&p, data, n);
		data += n, size -= n;
	}
	h2_release(&p);
	return 0;
}
