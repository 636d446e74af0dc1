/* SPDX-License-Identifier: Apache-2.0 */
/*
 * decode - Content-Encoding of HTTP bodies: identity, gzip, deflate (zlib or
 * raw, both are seen in the wild) through zlib, and br through libbrotli.
 * Streaming: input may be split anywhere. Output is delivered in pieces of
 * at most DECODE_PIECE bytes. The caller caps what it keeps; decode_feed
 * stops decoding once out_limit bytes have been produced, so a compression
 * bomb costs bounded CPU and no memory; what it drops sets truncated.
 */
#ifndef SEALTAP_DECODE_H
#define SEALTAP_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DECODE_PIECE 16384

enum decode_kind { DECODE_IDENTITY, DECODE_GZIP, DECODE_DEFLATE, DECODE_BR };

typedef void (*decode_out_fn)(void *ctx, const uint8_t *data, size_t len);

struct decoder {
	enum decode_kind kind;
	bool started, failed;
	bool truncated; /* output past out_limit was dropped (the caller counts it) */
	uint64_t out_total, out_limit;
	void *z;  /* z_stream */
	void *br; /* BrotliDecoderState */
};

/* Picks the decoder for a Content-Encoding value ("" or NULL: identity).
 * Returns 0, or -ENOTSUP for an encoding we don't decode (the body is then
 * not judged, and the caller counts it). */
int decode_init(struct decoder *d, const char *content_encoding, uint64_t out_limit);
/* Returns 0, -EBADMSG once the stream is corrupt (further input ignored),
 * -ENOMEM. */
int decode_feed(struct decoder *d, const uint8_t *in, size_t len, decode_out_fn out, void *ctx);
void decode_release(struct decoder *d);

#endif
