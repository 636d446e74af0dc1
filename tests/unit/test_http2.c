// SPDX-License-Identifier: Apache-2.0
/*
 * HTTP/2 frame layer: header blocks built with nghttp2's HPACK deflater,
 * split over HEADERS + CONTINUATION, padded HEADERS and DATA, priority
 * fields, PUSH_PROMISE (inflated, not reported), RST_STREAM, and a gap.
 * Every input is also fed split at every byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <nghttp2/nghttp2.h>

#include "http2.h"

static char log_[8192];

static void logf_(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(log_ + strlen(log_), sizeof(log_) - strlen(log_), fmt, ap);
	va_end(ap);
}

static void on_header(void *ctx, uint32_t sid, const uint8_t *n, size_t nl, const uint8_t *v, size_t vl)
{
	(void)ctx;
	logf_("[%u %.*s=%.*s]", sid, (int)nl, (const char *)n, (int)vl, (const char *)v);
}

static void on_headers_end(void *ctx, uint32_t sid, bool end_stream)
{
	(void)ctx;
	logf_("[%u H%s]", sid, end_stream ? " END" : "");
}

static void on_data(void *ctx, uint32_t sid, const uint8_t *d, size_t n)
{
	(void)ctx;
	logf_("%.*s", (int)n, (const char *)d);
	(void)sid;
}

static void on_end_stream(void *ctx, uint32_t sid)
{
	(void)ctx;
	logf_("[%u END]", sid);
}

static void on_reset(void *ctx, uint32_t sid)
{
	(void)ctx;
	logf_("[%u RST]", sid);
}

static void on_table_size(void *ctx, uint32_t size)
{
	(void)ctx;
	logf_("[table %u]", size);
}

static const struct h2_callbacks cb = { on_header, on_headers_end, on_data, on_end_stream, on_reset,
					on_table_size };

static uint8_t wire[8192];
static size_t wire_len;

static void frame(uint8_t type, uint8_t flags, uint32_t sid, const uint8_t *payload, size_t n)
{
	uint8_t *f = wire + wire_len;

	f[0] = (uint8_t)(n >> 16), f[1] = (uint8_t)(n >> 8), f[2] = (uint8_t)n;
	f[3] = type, f[4] = flags;
	f[5] = (uint8_t)(sid >> 24), f[6] = (uint8_t)(sid >> 16), f[7] = (uint8_t)(sid >> 8), f[8] = (uint8_t)sid;
	memcpy(f + 9, payload, n);
	wire_len += 9 + n;
}

static size_t hpack(nghttp2_hd_deflater *def, uint8_t *out, size_t cap, const char *const *kv, size_t npairs)
{
	nghttp2_nv nv[8];
	ssize_t r;

	for (size_t i = 0; i < npairs; i++) {
		nv[i].name = (uint8_t *)kv[2 * i];
		nv[i].namelen = strlen(kv[2 * i]);
		nv[i].value = (uint8_t *)kv[2 * i + 1];
		nv[i].valuelen = strlen(kv[2 * i + 1]);
		nv[i].flags = NGHTTP2_NV_FLAG_NONE;
	}
	r = nghttp2_hd_deflate_hd(def, out, cap, nv, npairs);
	assert_true(r > 0);
	return (size_t)r;
}

static void run_split(const char *want, bool client)
{
	for (size_t k = 0; k <= wire_len; k++) {
		struct h2_parser p;

		log_[0] = '\0';
		assert_int_equal(h2_init(&p, client, &cb, NULL), 0);
		h2_feed(&p, wire, k);
		h2_feed(&p, wire + k, wire_len - k);
		h2_release(&p);
		if (strcmp(log_, want))
			fail_msg("split at %zu:\n got %s\nwant %s", k, log_, want);
	}
}

static void test_http2_continuation_padding_priority(void **state)
{
	static const char *const req[] = { ":method", "POST", ":path", "/v1/chat/completions",
					   ":authority", "model.local", "content-type", "application/json" };
	static const char *const req2[] = { ":method", "POST", ":path", "/v1/chat/completions" };
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	nghttp2_hd_deflater *def;
	uint8_t block[512], payload[1024];
	size_t n, half;

	(void)state;
	assert_int_equal(nghttp2_hd_deflate_new(&def, 4096), 0);
	wire_len = 0;
	memcpy(wire, preface, sizeof(preface) - 1);
	wire_len = sizeof(preface) - 1;
	frame(4, 0, 0, (const uint8_t *)"\x00\x01\x00\x00\x10\x00", 6); /* SETTINGS header table 4096 */
	n = hpack(def, block, sizeof(block), req, 4);
	/* HEADERS, padded, with priority, half the block; the rest in CONTINUATION. */
	half = n / 2;
	payload[0] = 3;                                  /* pad length */
	memcpy(payload + 1, "\x00\x00\x00\x00\x10", 5);  /* stream dependency + weight */
	memcpy(payload + 6, block, half);
	memset(payload + 6 + half, 0, 3);
	frame(1, 0x08 | 0x20, 1, payload, 6 + half + 3);
	frame(9, 0x04, 1, block + half, n - half);
	/* DATA, padded, then unpadded with END_STREAM. */
	payload[0] = 5;
	memcpy(payload + 1, "{\"a\":", 5);
	memset(payload + 6, 0, 5);
	frame(0, 0x08, 1, payload, 11);
	frame(0, 0x01, 1, (const uint8_t *)"1}", 2);
	/* A second request reuses the dynamic table (indexed fields), then is reset. */
	n = hpack(def, block, sizeof(block), req2, 2);
	frame(1, 0x04, 3, block, n);
	frame(3, 0, 3, (const uint8_t *)"\x00\x00\x00\x08", 4);
	run_split("[table 4096]"
		  "[1 :method=POST][1 :path=/v1/chat/completions][1 :authority=model.local]"
		  "[1 content-type=application/json][1 H]{\"a\":1}[1 END]"
		  "[3 :method=POST][3 :path=/v1/chat/completions][3 H][3 RST]",
		  true);
	nghttp2_hd_deflate_del(def);
}

static void test_http2_push_promise_is_inflated_not_reported(void **state)
{
	static const char *const push[] = { ":method", "GET", ":path", "/pushed", "x-custom", "kept-in-table" };
	static const char *const resp[] = { ":status", "200", "x-custom", "kept-in-table" };
	nghttp2_hd_deflater *def;
	uint8_t block[512], payload[600];
	size_t n;

	(void)state;
	assert_int_equal(nghttp2_hd_deflate_new(&def, 4096), 0);
	wire_len = 0;
	n = hpack(def, block, sizeof(block), push, 3);
	memcpy(payload, "\x00\x00\x00\x02", 4); /* promised stream 2 */
	memcpy(payload + 4, block, n);
	frame(5, 0x04, 1, payload, 4 + n);
	/* The response's x-custom is encoded as an index into the table the
	 * push promise filled: it decodes only if the promise was inflated. */
	n = hpack(def, block, sizeof(block), resp, 2);
	frame(1, 0x04 | 0x01, 1, block, n);
	run_split("[1 :status=200][1 x-custom=kept-in-table][1 H END]", false);
	nghttp2_hd_deflate_del(def);
}

/* A table size off the wire is clamped: a peer can't make us keep 4 GiB. */
static void test_http2_table_size_is_clamped(void **state)
{
	struct h2_parser p;

	(void)state;
	assert_int_equal(h2_init(&p, false, &cb, NULL), 0);
	h2_set_table_size(&p, 4096);
	assert_int_equal(p.st.table_clamped, 0);
	h2_set_table_size(&p, 0xffffffffu);
	assert_int_equal(p.st.table_clamped, 1);
	h2_release(&p);
}

static void test_http2_gap_and_garbage_stop_the_direction(void **state)
{
	struct h2_parser p;

	(void)state;
	log_[0] = '\0';
	assert_int_equal(h2_init(&p, true, &cb, NULL), 0);
	h2_feed(&p, (const uint8_t *)"PRI * HTTP/1.1\r\n", 16);
	assert_int_equal(p.state, H2_DEAD);
	assert_int_equal(p.st.frame_errors, 1);
	h2_release(&p);
	assert_int_equal(h2_init(&p, false, &cb, NULL), 0);
	h2_gap(&p);
	h2_feed(&p, (const uint8_t *)"\x00\x00\x02\x00\x01\x00\x00\x00\x01hi", 11);
	assert_string_equal(log_, "");
	assert_int_equal(p.st.gaps, 1);
	h2_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http2_continuation_padding_priority),
		cmocka_unit_test(test_http2_push_promise_is_inflated_not_reported),
		cmocka_unit_test(test_http2_table_size_is_clamped),
		cmocka_unit_test(test_http2_gap_and_garbage_stop_the_direction),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
