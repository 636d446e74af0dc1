/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http2 - an incremental HTTP/2 frame parser for one direction of a
 * connection (RFC 9113), with header blocks decompressed by nghttp2's HPACK
 * inflater (one per direction: the dynamic table is per direction).
 *
 * Reports header fields, DATA payloads (padding removed), end of stream and
 * resets per stream id. Every header block is inflated, including those of
 * streams nobody is interested in, since skipping one would desynchronise
 * the dynamic table. DATA is never buffered; a header block is, up to
 * H2_MAX_HEADER_BLOCK.
 *
 * A capture gap makes the rest of the direction undecodable (frame
 * boundaries and the HPACK table are lost): the parser stops and says so.
 */
#ifndef SEALTAP_HTTP2_H
#define SEALTAP_HTTP2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define H2_MAX_HEADER_BLOCK (256u << 10)
/* The largest HPACK dynamic table we keep per direction. The size comes off
 * the wire (SETTINGS_HEADER_TABLE_SIZE); unclamped, a peer could make us hold
 * up to 4 GiB per connection. An encoder that really uses more than this
 * makes the direction undecodable, counted in hpack_errors and table_clamped. */
#define H2_MAX_TABLE (64u << 10)

struct h2_callbacks {
	void (*on_header)(void *ctx, uint32_t sid, const uint8_t *name, size_t nlen,
			  const uint8_t *value, size_t vlen);
	/* All fields of a header block were reported. */
	void (*on_headers_end)(void *ctx, uint32_t sid, bool end_stream);
	void (*on_data)(void *ctx, uint32_t sid, const uint8_t *data, size_t len);
	/* END_STREAM on a DATA frame. */
	void (*on_end_stream)(void *ctx, uint32_t sid);
	void (*on_reset)(void *ctx, uint32_t sid);
	/* This direction's SETTINGS_HEADER_TABLE_SIZE: it bounds the table of
	 * the other direction's encoder, so the caller applies it there. */
	void (*on_table_size)(void *ctx, uint32_t size);
};

struct h2_stats {
	uint64_t frames, data_frames, header_blocks, resets, hpack_errors, frame_errors, gaps;
	uint64_t table_clamped; /* announced table sizes cut to H2_MAX_TABLE */
};

struct h2_parser {
	const struct h2_callbacks *cb;
	void *ctx;
	enum { H2_PREFACE, H2_FRAME_HEADER, H2_PAYLOAD, H2_DEAD } state;
	size_t preface_seen;
	uint8_t fh[9];
	size_t fh_len;
	uint32_t len, sid, left;
	uint8_t type, flags;
	/* DATA frames: padding. */
	bool pad_pending; /* the pad-length byte is next */
	uint32_t pad;
	/* HEADERS / PUSH_PROMISE / CONTINUATION: the frame payload, then the
	 * block being assembled. */
	uint8_t *frame_buf;
	size_t frame_len;
	uint8_t *block;
	size_t block_len;
	uint32_t block_sid;
	bool block_end_stream, block_is_push, in_block;
	void *inflater; /* nghttp2_hd_inflater */
	struct h2_stats st;
};

/* client_side: this direction carries the client's connection preface. */
int h2_init(struct h2_parser *p, bool client_side, const struct h2_callbacks *cb, void *ctx);
void h2_feed(struct h2_parser *p, const uint8_t *data, size_t len);
void h2_gap(struct h2_parser *p);
/* Applies a header table size announced by the other direction, at most
 * H2_MAX_TABLE. */
void h2_set_table_size(struct h2_parser *p, uint32_t size);
void h2_release(struct h2_parser *p);

#endif
