// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "http1.h"

static char log_[8192];
static bool next_no_body;

static void logf_(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(log_ + strlen(log_), sizeof(log_) - strlen(log_), fmt, ap);
	va_end(ap);
}

static enum h1_body on_head(void *ctx, const struct h1_head *h)
{
	(void)ctx;
	if (h->is_request)
		logf_("<%s %s>", h->method, h->path);
	else
		logf_("<%d>", h->status);
	return next_no_body ? H1_BODY_NONE : H1_BODY_AUTO;
}

static void on_body(void *ctx, const uint8_t *d, size_t n)
{
	(void)ctx;
	logf_("%.*s", (int)n, (const char *)d);
}

static void on_end(void *ctx, bool complete)
{
	(void)ctx;
	logf_("%s", complete ? "." : "!");
}

static const struct h1_callbacks cb = { on_head, on_body, on_end };

/* Runs text through a parser split at every position; returns the log. */
static void expect(bool request, const char *text, const char *want, bool eof)
{
	size_t n = strlen(text);

	for (size_t k = 0; k <= n; k++) {
		struct h1_parser p;

		log_[0] = '\0';
		h1_init(&p, request, &cb, NULL);
		h1_feed(&p, (const uint8_t *)text, k);
		h1_feed(&p, (const uint8_t *)text + k, n - k);
		if (eof)
			h1_eof(&p);
		h1_release(&p);
		if (strcmp(log_, want))
			fail_msg("split at %zu:\n got %s\nwant %s", k, log_, want);
	}
}

static void test_http1_pipelined_requests(void **state)
{
	(void)state;
	expect(true,
	       "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
	       "GET /health HTTP/1.1\r\n\r\n"
	       "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nX-T: 1\r\n\r\n",
	       "<POST /v1/chat/completions>hello.<GET /health>.<POST /a>abc.", false);
}

static void test_http1_response_framings(void **state)
{
	(void)state;
	expect(false,
	       "HTTP/1.1 100 Continue\r\n\r\n"
	       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
	       "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"
	       "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
	       "HTTP/1.0 200 OK\r\n\r\nuntil close",
	       "<100>.<200>abc.<204>.<200>hi.<200>until close.", true);
}

static void test_http1_head_response_has_no_body(void **state)
{
	(void)state;
	next_no_body = true;
	expect(false, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", "<200>.", false);
	next_no_body = false;
}

static void test_http1_gap_resyncs_at_next_message(void **state)
{
	struct h1_parser p;
	const char *a = "POST /x HTTP/1.1\r\nContent-Length: 100\r\n\r\npartial";
	const char *b = "tail of lost body\r\nGET /after HTTP/1.1\r\n\r\n";

	(void)state;
	log_[0] = '\0';
	h1_init(&p, true, &cb, NULL);
	h1_feed(&p, (const uint8_t *)a, strlen(a));
	h1_gap(&p, 50);
	h1_feed(&p, (const uint8_t *)b, strlen(b));
	assert_string_equal(log_, "<POST /x>partial!<GET /after>.");
	assert_int_equal(p.st.gaps, 1);
	assert_int_equal(p.st.resyncs, 1);
	assert_int_equal(p.st.incomplete, 1);
	h1_release(&p);
}

static void test_http1_rejects_conflicting_lengths_and_garbage(void **state)
{
	struct h1_parser p;
	/* After the error, resync finds the next line that starts a request. */
	const char *smuggle = "POST /x HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd\r\n"
			      "GET /ok HTTP/1.1\r\n\r\n";
	const char *junk = "\x16\x03\x01 not http at all\r\nGET /ok2 HTTP/1.1\r\n\r\n";

	(void)state;
	log_[0] = '\0';
	h1_init(&p, true, &cb, NULL);
	h1_feed(&p, (const uint8_t *)smuggle, strlen(smuggle));
	assert_string_equal(log_, "!<GET /ok>.");
	assert_int_equal(p.st.errors, 1);
	h1_release(&p);
	log_[0] = '\0';
	h1_init(&p, true, &cb, NULL);
	h1_feed(&p, (const uint8_t *)junk, strlen(junk));
	assert_string_equal(log_, "<GET /ok2>.");
	h1_release(&p);
}

static void test_http1_detection(void **state)
{
	(void)state;
	assert_true(h1_looks_like_request((const uint8_t *)"POST /", 6));
	assert_false(h1_looks_like_request((const uint8_t *)"POS", 3));
	assert_true(h1_looks_like_response((const uint8_t *)"HTTP/1.1 200", 12));
	assert_false(h1_looks_like_response((const uint8_t *)"HTTP/2", 6));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http1_pipelined_requests),
		cmocka_unit_test(test_http1_response_framings),
		cmocka_unit_test(test_http1_head_response_has_no_body),
		cmocka_unit_test(test_http1_gap_resyncs_at_next_message),
		cmocka_unit_test(test_http1_rejects_conflicting_lengths_and_garbage),
		cmocka_unit_test(test_http1_detection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
