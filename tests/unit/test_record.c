// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "record.h"
#include "sslsniff.h"

static unsigned char buf[sizeof(struct st_data_record) + ST_CHUNK_MAX + 1];

static struct st_data_record *data_rec(uint32_t len, uint64_t total, uint64_t call_off)
{
	struct st_data_record *d = (struct st_data_record *)buf;

	memset(buf, 0, sizeof(buf));
	d->h.kind = ST_REC_DATA;
	d->data_len = len;
	d->call_total = total;
	d->call_off = call_off;
	d->fn = ST_FN_SSL_WRITE;
	return d;
}

static void test_record_valid_data(void **state)
{
	(void)state;
	data_rec(100, 100, 0);
	assert_int_equal(record_check(buf, sizeof(struct st_data_record) + 100), ST_REC_DATA);
	data_rec(ST_CHUNK_MAX, 1 << 20, 16384);
	assert_int_equal(record_check(buf, sizeof(struct st_data_record) + ST_CHUNK_MAX), ST_REC_DATA);
}

static void test_record_size_must_match_payload(void **state)
{
	(void)state;
	data_rec(100, 100, 0);
	assert_int_equal(record_check(buf, sizeof(struct st_data_record) + 99), -EBADMSG);
	assert_int_equal(record_check(buf, sizeof(struct st_data_record) + 101), -EBADMSG);
	assert_int_equal(record_check(buf, 10), -EBADMSG);
	assert_int_equal(record_check(NULL, 0), -EBADMSG);
}

static void test_record_rejects_inconsistent_fields(void **state)
{
	struct st_data_record *d;

	(void)state;
	data_rec(ST_CHUNK_MAX + 1, 1 << 20, 0);
	assert_int_equal(record_check(buf, sizeof(struct st_data_record) + ST_CHUNK_MAX + 1), -EBADMSG);
	data_rec(100, 150, 100); /* chunk runs past the call */
	assert_int_equal(record_check(buf, sizeof(struct st_data_record) + 100), -EBADMSG);
	data_rec(0, 10, 0);
	assert_int_equal(record_check(buf, sizeof(struct st_data_record)), -EBADMSG);
	d = data_rec(10, 10, 0);
	d->dir = 2;
	assert_int_equal(record_check(buf, sizeof(struct st_data_record) + 10), -EBADMSG);
	d = data_rec(10, 10, 0);
	d->fn = 99;
	assert_int_equal(record_check(buf, sizeof(struct st_data_record) + 10), -EBADMSG);
}

static void test_record_other_kinds(void **state)
{
	struct st_record_hdr *h = (struct st_record_hdr *)buf;

	(void)state;
	memset(buf, 0, sizeof(buf));
	h->kind = ST_REC_CLOSE;
	assert_int_equal(record_check(buf, sizeof(struct st_close_record)), ST_REC_CLOSE);
	assert_int_equal(record_check(buf, sizeof(struct st_close_record) - 1), -EBADMSG);
	h->kind = ST_REC_EXEC;
	assert_int_equal(record_check(buf, sizeof(*h)), ST_REC_EXEC);
	h->kind = ST_REC_EXIT;
	assert_int_equal(record_check(buf, sizeof(*h)), ST_REC_EXIT);
	h->kind = 77;
	assert_int_equal(record_check(buf, sizeof(*h)), -EBADMSG);
}

static struct st_data_record *unseen_rec(uint64_t total, uint8_t fn, uint64_t key)
{
	struct st_data_record *d = data_rec(0, total, 0);

	d->h.kind = ST_REC_UNSEEN;
	d->fn = fn;
	d->ssl = key;
	return d;
}

/* sendfile and the like: a plain connection's range with no payload. */
static void test_record_unseen(void **state)
{
	struct st_data_record *d;

	(void)state;
	unseen_rec(200000, ST_FN_SENDFILE, ST_PLAIN_KEY | 42);
	assert_int_equal(record_check(buf, sizeof(struct st_data_record)), ST_REC_UNSEEN);
	unseen_rec(1, ST_FN_OTHER_CALL, ST_PLAIN_KEY | 1);
	assert_int_equal(record_check(buf, sizeof(struct st_data_record)), ST_REC_UNSEEN);
	/* A payload, an empty range, a copying call's name, an SSL key: refused. */
	d = unseen_rec(10, ST_FN_SENDFILE, ST_PLAIN_KEY | 42);
	d->data_len = 10;
	assert_int_equal(record_check(buf, sizeof(struct st_data_record) + 10), -EBADMSG);
	unseen_rec(0, ST_FN_SENDFILE, ST_PLAIN_KEY | 42);
	assert_int_equal(record_check(buf, sizeof(struct st_data_record)), -EBADMSG);
	unseen_rec(10, ST_FN_WRITEV, ST_PLAIN_KEY | 42);
	assert_int_equal(record_check(buf, sizeof(struct st_data_record)), -EBADMSG);
	unseen_rec(10, ST_FN__MAX + 1, ST_PLAIN_KEY | 42);
	assert_int_equal(record_check(buf, sizeof(struct st_data_record)), -EBADMSG);
	unseen_rec(10, ST_FN_SENDFILE, 0x7f0012345000ull);
	assert_int_equal(record_check(buf, sizeof(struct st_data_record)), -EBADMSG);
	/* ... and a data record may not name an unseen kind of call. */
	d = data_rec(10, 10, 0);
	d->fn = ST_FN_SENDFILE;
	assert_int_equal(record_check(buf, sizeof(struct st_data_record) + 10), -EBADMSG);
	d->fn = ST_FN_RECVMSG;
	assert_int_equal(record_check(buf, sizeof(struct st_data_record) + 10), ST_REC_DATA);
	/* GnuTLS's calls carry bytes; they are never an unseen kind. */
	d->fn = ST_FN_GNUTLS_RECV;
	assert_int_equal(record_check(buf, sizeof(struct st_data_record) + 10), ST_REC_DATA);
	unseen_rec(10, ST_FN_GNUTLS_SEND, ST_PLAIN_KEY | 42);
	assert_int_equal(record_check(buf, sizeof(struct st_data_record)), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_valid_data),
		cmocka_unit_test(test_record_size_must_match_payload),
		cmocka_unit_test(test_record_rejects_inconsistent_fields),
		cmocka_unit_test(test_record_other_kinds),
		cmocka_unit_test(test_record_unseen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
