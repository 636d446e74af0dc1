// SPDX-License-Identifier: Apache-2.0
#include "decode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <brotli/decode.h>
#include <zlib.h>

int decode_init(struct decoder *d, const char *ce, uint64_t out_limit)
{
	memset(d, 0, sizeof(*d));
	d->out_limit = out_limit;
	if (!ce || !*ce || strcasecmp(ce, "identity") == 0)
		d->kind = DECODE_IDENTITY;
	else if (strcasecmp(ce, "gzip") == 0 || strcasecmp(ce, "x-gzip") == 0)
		d->kind = DECODE_GZIP;
	else if (strcasecmp(ce, "deflate") == 0)
		d->kind = DECODE_DEFLATE;
	else if (strcasecmp(ce, "br") == 0)
		d->kind = DECODE_BR;
	else
		return -ENOTSUP;
	return 0;
}

static int z_start(struct decoder *d, int window_bits)
{
	z_stream *z = calloc(1, sizeof(*z));

	if (!z)
		return -ENOMEM;
	if (inflateInit2(z, window_bits) != Z_OK) {
		free(z);
		return -ENOMEM;
	}
	d->z = z;
	return 0;
}

static void emit(struct decoder *d, const uint8_t *b, size_t n, decode_out_fn out, void *ctx)
{
	if (n && d->out_total >= d->out_limit) {
		d->truncated = true;
		return;
	}
	if (n > d->out_limit - d->out_total) {
		n = (size_t)(d->out_limit - d->out_total);
		d->truncated = true;
	}
	d->out_total += n;
	out(ctx, b, n);
}

static int feed_zlib(struct decoder *d, const uint8_t *in, size_t len, decode_out_fn out, void *ctx)
{
	z_stream *z = d->z;
	uint8_t buf[DECODE_PIECE];

	z->next_in = (Bytef *)in;
	z->avail_in = (uInt)len;
	while (z->avail_in > 0 && d->out_total < d->out_limit) {
		int r;

		z->next_out = buf;
		z->avail_out = sizeof(buf);
		r = inflate(z, Z_NO_FLUSH);
		emit(d, buf, sizeof(buf) - z->avail_out, out, ctx);
		if (r == Z_STREAM_END) {
			/* gzip allows concatenated members; anything else after the
			 * end is trailing garbage we ignore. */
			if (d->kind == DECODE_GZIP && z->avail_in > 0)
				inflateReset(z);
			else
				break;
		} else if (r == Z_BUF_ERROR && z->avail_out != 0) {
			break; /* needs more input */
		} else if (r != Z_OK && r != Z_BUF_ERROR) {
			return -EBADMSG;
		}
	}
	return 0;
}

static int feed_br(struct decoder *d, const uint8_t *in, size_t len, decode_out_fn out, void *ctx)
{
	uint8_t buf[DECODE_PIECE];
	size_t avail_in = len;
	const uint8_t *next_in = in;

	while (d->out_total < d->out_limit) {
		size_t avail_out = sizeof(buf);
		uint8_t *next_out = buf;
		BrotliDecoderResult r = BrotliDecoderDecompressStream(d->br, &avail_in, &next_in,
								      &avail_out, &next_out, NULL);

		emit(d, buf, sizeof(buf) - avail_out, out, ctx);
		if (r == BROTLI_DECODER_RESULT_ERROR)
			return -EBADMSG;
		if (r != BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT)
			break;
	}
	return 0;
}

int decode_feed(struct decoder *d, const uint8_t *in, size_t len, decode_out_fn out, void *ctx)
{
	int r = 0;

	if (d->failed)
		return -EBADMSG;
	if (len == 0)
		return 0;
	if (d->out_total >= d->out_limit) {
		d->truncated = true; /* (for compressed input: probably more output) */
		return 0;
	}
	if (!d->started) {
		d->started = true;
		switch (d->kind) {
		case DECODE_GZIP:
			r = z_start(d, 15 + 16);
			break;
		case DECODE_DEFLATE:
			/* "deflate" is meant to be zlib-wrapped, but servers also
			 * send raw deflate: a zlib header has CMF 0x?8 and a
			 * checksum over the first two bytes. */
			r = z_start(d, (in[0] & 0x0f) == 8 ? 15 : -15);
			break;
		case DECODE_BR:
			d->br = BrotliDecoderCreateInstance(NULL, NULL, NULL);
			r = d->br ? 0 : -ENOMEM;
			break;
		case DECODE_IDENTITY:
			break;
		}
		if (r)
			return r;
	}
	switch (d->kind) {
	case DECODE_IDENTITY:
		emit(d, in, len, out, ctx);
		break;
	case DECODE_GZIP:
	case DECODE_DEFLATE:
		r = feed_zlib(d, in, len, out, ctx);
		break;
	case DECODE_BR:
		r = feed_br(d, in, len, out, ctx);
		break;
	}
	if (r == -EBADMSG)
		d->failed = true;
	return r;
}

void decode_release(struct decoder *d)
{
	if (d->z) {
		inflateEnd(d->z);
		free(d->z);
	}
	if (d->br)
		BrotliDecoderDestroyInstance(d->br);
	memset(d, 0, sizeof(*d));
}
