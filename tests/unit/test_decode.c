// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <brotli/encode.h>
#include <zlib.h>

#include "decode.h"

static uint8_t out[1 << 20];
static size_t out_len;

static void sink(void *ctx, const uint8_t *d, size_t n)
{
	(void)ctx;
	assert_true(out_len + n <= sizeof(out));
	memcpy(out + out_len, d, n);
	out_len += n;
}

static size_t deflate_with(int window_bits, const uint8_t *in, size_t n, uint8_t *dst, size_t cap)
{
	z_stream z = { 0 };

	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = dst;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return cap - z.avail_out;
}

/* Decodes enc split at every 7th position and expects plain. */
static void roundtrip(const char *ce, const uint8_t *enc, size_t n, const uint8_t *plain, size_t pn)
{
	for (size_t k = 0; k <= n; k += 7) {
		struct decoder d;

		out_len = 0;
		assert_int_equal(decode_init(&d, ce, sizeof(out)), 0);
		assert_int_equal(decode_feed(&d, enc, k, sink, NULL), 0);
		assert_int_equal(decode_feed(&d, enc + k, n - k, sink, NULL), 0);
		decode_release(&d);
		assert_int_equal(out_len, pn);
		assert_memory_equal(out, plain, pn);
	}
}

static uint8_t plain[50000], enc[60000];

static void fill_plain(void)
{
	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)("data: {\"delta\":\"token\"}\n\n"[i % 26] + (i / 997) % 3);
}

static void test_decode_gzip_zlib_raw_deflate(void **state)
{
	size_t n;

	(void)state;
	fill_plain();
	n = deflate_with(15 + 16, plain, sizeof(plain), enc, sizeof(enc));
	roundtrip("gzip", enc, n, plain, sizeof(plain));
	n = deflate_with(15, plain, sizeof(plain), enc, sizeof(enc));
	roundtrip("deflate", enc, n, plain, sizeof(plain));
	n = deflate_with(-15, plain, sizeof(plain), enc, sizeof(enc));
	roundtrip("deflate", enc, n, plain, sizeof(plain));
	roundtrip("identity", plain, 1000, plain, 1000);
	roundtrip(NULL, plain, 1000, plain, 1000);
}

static void test_decode_brotli(void **state)
{
	size_t n = sizeof(enc);

	(void)state;
	fill_plain();
	assert_true(BrotliEncoderCompress(5, 22, BROTLI_MODE_TEXT, sizeof(plain), plain, &n, enc));
	roundtrip("br", enc, n, plain, sizeof(plain));
}

static void test_decode_bomb_is_capped_and_corruption_reported(void **state)
{
	static uint8_t zeros[1 << 20];
	struct decoder d;
	size_t n;

	(void)state;
	n = deflate_with(15 + 16, zeros, sizeof(zeros), enc, sizeof(enc));
	assert_true(n < 5000); /* 1 MiB of zeros in a few KiB */
	out_len = 0;
	assert_int_equal(decode_init(&d, "gzip", 4096), 0);
	assert_int_equal(decode_feed(&d, enc, n, sink, NULL), 0);
	assert_int_equal(out_len, 4096);
	assert_true(d.truncated); /* the cut is known, so it is counted */
	decode_release(&d);

	/* Identity: exactly the limit is whole; one byte more is a cut. */
	out_len = 0;
	assert_int_equal(decode_init(&d, NULL, 10), 0);
	assert_int_equal(decode_feed(&d, zeros, 6, sink, NULL), 0);
	assert_int_equal(decode_feed(&d, zeros, 4, sink, NULL), 0);
	assert_false(d.truncated);
	assert_int_equal(decode_feed(&d, zeros, 1, sink, NULL), 0);
	assert_true(d.truncated);
	assert_int_equal(out_len, 10);
	decode_release(&d);

	out_len = 0;
	assert_int_equal(decode_init(&d, "gzip", sizeof(out)), 0);
	assert_int_equal(decode_feed(&d, (const uint8_t *)"\x1f\x8b\x08\x00garbage-garbage-garbage", 27, sink, NULL),
			 -EBADMSG);
	assert_int_equal(decode_feed(&d, (const uint8_t *)"x", 1, sink, NULL), -EBADMSG);
	decode_release(&d);
	assert_int_equal(decode_init(&d, "compress", 10), -ENOTSUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_gzip_zlib_raw_deflate),
		cmocka_unit_test(test_decode_brotli),
		cmocka_unit_test(test_decode_bomb_is_capped_and_corruption_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
