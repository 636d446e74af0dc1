// SPDX-License-Identifier: Apache-2.0
#include "http2.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

enum {
	F_DATA = 0,
	F_HEADERS = 1,
	F_RST_STREAM = 3,
	F_SETTINGS = 4,
	F_PUSH_PROMISE = 5,
	F_CONTINUATION = 9,
};
enum { FL_END_STREAM = 0x1, FL_ACK = 0x1, FL_END_HEADERS = 0x4, FL_PADDED = 0x8, FL_PRIORITY = 0x20 };
#define SETTINGS_HEADER_TABLE_SIZE 1

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

int h2_init(struct h2_parser *p, bool client_side, const struct h2_callbacks *cb, void *ctx)
{
	nghttp2_hd_inflater *inf;

	memset(p, 0, sizeof(*p));
	p->cb = cb;
	p->ctx = ctx;
	p->state = client_side ? H2_PREFACE : H2_FRAME_HEADER;
	if (nghttp2_hd_inflate_new(&inf))
		return -ENOMEM;
	p->inflater = inf;
	return 0;
}

void h2_release(struct h2_parser *p)
{
	if (p->inflater)
		nghttp2_hd_inflate_del(p->inflater);
	free(p->frame_buf);
	free(p->block);
	p->inflater = NULL;
	p->frame_buf = p->block = NULL;
}

static void die(struct h2_parser *p)
{
	p->state = H2_DEAD;
	free(p->frame_buf);
	free(p->block);
	p->frame_buf = p->block = NULL;
}

void h2_gap(struct h2_parser *p)
{
	p->st.gaps++;
	die(p);
}

void h2_set_table_size(struct h2_parser *p, uint32_t size)
{
	if (size > H2_MAX_TABLE) {
		size = H2_MAX_TABLE;
		p->st.table_clamped++;
	}
	if (p->inflater)
		nghttp2_hd_inflate_change_table_size(p->inflater, size);
}

static void inflate_block(struct h2_parser *p)
{
	uint8_t *in = p->block;
	size_t inlen = p->block_len;

	p->st.header_blocks++;
	for (;;) {
		nghttp2_nv nv;
		int flags = 0;
		ssize_t rv = nghttp2_hd_inflate_hd2(p->inflater, &nv, &flags, in, inlen, 1);

		if (rv < 0) {
			/* The dynamic table is now unknown: nothing later in this
			 * direction can be decoded. */
			p->st.hpack_errors++;
			die(p);
			return;
		}
		in += rv;
		inlen -= (size_t)rv;
		if ((flags & NGHTTP2_HD_INFLATE_EMIT) && !p->block_is_push)
			p->cb->on_header(p->ctx, p->block_sid, nv.name, nv.namelen, nv.value, nv.valuelen);
		if (flags & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(p->inflater);
			break;
		}
		if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && inlen == 0)
			break;
	}
	p->in_block = false;
	p->block_len = 0;
	free(p->block); /* idle connections hold no block buffer */
	p->block = NULL;
	if (!p->block_is_push)
		p->cb->on_headers_end(p->ctx, p->block_sid, p->block_end_stream);
}

static int block_append(struct h2_parser *p, const uint8_t *d, size_t n)
{
	uint8_t *b;

	if (p->block_len + n > H2_MAX_HEADER_BLOCK)
		return -1;
	b = realloc(p->block, p->block_len + n + 1);
	if (!b)
		return -1;
	p->block = b;
	memcpy(p->block + p->block_len, d, n);
	p->block_len += n;
	return 0;
}

/* A HEADERS, PUSH_PROMISE or CONTINUATION frame is complete in frame_buf. */
static void header_frame_done(struct h2_parser *p)
{
	const uint8_t *d = p->frame_buf;
	size_t n = p->frame_len, pad = 0;

	if (p->type == F_CONTINUATION) {
		if (!p->in_block || p->sid != p->block_sid)
			goto bad;
	} else {
		if (p->in_block)
			goto bad; /* a new block before the last one ended */
		if (p->flags & FL_PADDED) {
			if (n < 1)
				goto bad;
			pad = d[0];
			d++, n--;
		}
		if (p->type == F_HEADERS && (p->flags & FL_PRIORITY)) {
			if (n < 5)
				goto bad;
			d += 5, n -= 5;
		}
		if (p->type == F_PUSH_PROMISE) {
			if (n < 4)
				goto bad;
			d += 4, n -= 4;
		}
		if (pad > n)
			goto bad;
		n -= pad;
		p->in_block = true;
		p->block_sid = p->sid;
		p->block_is_push = p->type == F_PUSH_PROMISE;
		p->block_end_stream = p->type == F_HEADERS && (p->flags & FL_END_STREAM);
		p->block_len = 0;
	}
	if (block_append(p, d, n))
		goto bad;
	if (p->flags & FL_END_HEADERS)
		inflate_block(p);
	return;
bad:
	p->st.frame_errors++;
	die(p);
}

static void settings_done(struct h2_parser *p)
{
	if (p->flags & FL_ACK)
		return;
	for (size_t i = 0; i + 6 <= p->frame_len; i += 6) {
		const uint8_t *s = p->frame_buf + i;
		uint16_t id = (uint16_t)(s[0] << 8 | s[1]);
		uint32_t v = (uint32_t)s[2] << 24 | (uint32_t)s[3] << 16 | (uint32_t)s[4] << 8 | s[5];

		if (id == SETTINGS_HEADER_TABLE_SIZE && p->cb->on_table_size)
			p->cb->on_table_size(p->ctx, v);
	}
}

static bool frame_is_buffered(uint8_t type)
{
	return type == F_HEADERS || type == F_PUSH_PROMISE || type == F_CONTINUATION ||
	       type == F_SETTINGS || type == F_RST_STREAM;
}

static void frame_done(struct h2_parser *p)
{
	switch (p->type) {
	case F_DATA:
		if (p->flags & FL_END_STREAM)
			p->cb->on_end_stream(p->ctx, p->sid);
		break;
	case F_HEADERS:
	case F_PUSH_PROMISE:
	case F_CONTINUATION:
		header_frame_done(p);
		break;
	case F_SETTINGS:
		settings_done(p);
		break;
	case F_RST_STREAM:
		p->st.resets++;
		p->cb->on_reset(p->ctx, p->sid);
		break;
	}
	p->frame_len = 0;
	free(p->frame_buf);
	p->frame_buf = NULL;
	if (p->state != H2_DEAD)
		p->state = H2_FRAME_HEADER;
}

static void frame_header_done(struct h2_parser *p)
{
	p->len = (uint32_t)p->fh[0] << 16 | (uint32_t)p->fh[1] << 8 | p->fh[2];
	p->type = p->fh[3];
	p->flags = p->fh[4];
	p->sid = ((uint32_t)p->fh[5] << 24 | (uint32_t)p->fh[6] << 16 | (uint32_t)p->fh[7] << 8 |
		  p->fh[8]) & 0x7fffffff;
	p->left = p->len;
	p->fh_len = 0;
	p->st.frames++;
	/* Only CONTINUATION may follow an unfinished header block. */
	if (p->in_block && p->type != F_CONTINUATION) {
		p->st.frame_errors++;
		die(p);
		return;
	}
	if (p->type == F_DATA) {
		p->st.data_frames++;
		p->pad_pending = (p->flags & FL_PADDED) != 0;
		p->pad = 0;
	}
	if (frame_is_buffered(p->type)) {
		uint8_t *b;

		if (p->len > H2_MAX_HEADER_BLOCK) {
			p->st.frame_errors++;
			die(p);
			return;
		}
		b = malloc(p->len + 1);
		if (!b) {
			die(p);
			return;
		}
		free(p->frame_buf);
		p->frame_buf = b;
		p->frame_len = 0;
	}
	p->state = H2_PAYLOAD;
	if (p->left == 0)
		frame_done(p);
}

/* Consumes DATA payload bytes: pad length, data, padding. */
static size_t data_bytes(struct h2_parser *p, const uint8_t *d, size_t n)
{
	size_t used = 0;

	if (p->pad_pending) {
		p->pad = d[0];
		p->pad_pending = false;
		p->left--;
		if (p->pad > p->left) {
			p->st.frame_errors++;
			die(p);
			return 1;
		}
		return 1;
	}
	if (p->left > p->pad) {
		size_t payload = p->left - p->pad;

		used = n < payload ? n : payload;
		p->cb->on_data(p->ctx, p->sid, d, used);
	} else {
		used = n < p->left ? n : p->left; /* padding */
	}
	p->left -= (uint32_t)used;
	return used;
}

void h2_feed(struct h2_parser *p, const uint8_t *d, size_t n)
{
	while (n > 0 && p->state != H2_DEAD) {
		size_t used;

		switch (p->state) {
		case H2_PREFACE:
			used = sizeof(preface) - 1 - p->preface_seen;
			if (used > n)
				used = n;
			if (memcmp(d, preface + p->preface_seen, used) != 0) {
				p->st.frame_errors++;
				die(p);
				return;
			}
			p->preface_seen += used;
			if (p->preface_seen == sizeof(preface) - 1)
				p->state = H2_FRAME_HEADER;
			break;
		case H2_FRAME_HEADER:
			used = 9 - p->fh_len < n ? 9 - p->fh_len : n;
			memcpy(p->fh + p->fh_len, d, used);
			p->fh_len += used;
			if (p->fh_len == 9)
				frame_header_done(p);
			break;
		case H2_PAYLOAD:
			if (p->type == F_DATA) {
				used = data_bytes(p, d, n);
			} else {
				used = n < p->left ? n : p->left;
				if (frame_is_buffered(p->type)) {
					memcpy(p->frame_buf + p->frame_len, d, used);
					p->frame_len += used;
				}
				p->left -= (uint32_t)used;
			}
			if (p->left == 0 && p->state == H2_PAYLOAD)
				frame_done(p);
			break;
		default:
			return;
		}
		d += used;
		n -= used;
	}
}
