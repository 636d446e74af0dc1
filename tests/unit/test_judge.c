// SPDX-License-Identifier: Apache-2.0
/* The judge (agent/judge/judge.c) on exchanges built in memory, with the
 * built-in detectors: input findings on the prompt, output findings raised
 * delta by delta with the leak label their evidence earns (echo: in this
 * prompt; cross_identity: another client's prompt; novel: neither; never
 * cross_identity for a client that cannot be identified), and no value in
 * what it writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "judge.h"

#define CARD "4532 0151 1283 0366"
#define EMAIL "maria.garcia@acme-corp.io"

static struct classifier *cls;
static struct judge *judge;
static char *out_buf;
static size_t out_len;
static FILE *out;

static int setup(void **state)
{
	static const uint8_t key[32] = { 1, 2, 3 };
	char err[256];

	(void)state;
	cls = classifier_new(NULL, 0, key, sizeof(key), err, sizeof(err));
	assert_non_null(cls);
	out = open_memstream(&out_buf, &out_len);
	assert_non_null(out);
	judge = judge_new(cls, &(struct judge_opts){ .out = out, .leak_slots = 1024, .leak_window_ns = 3600000000000ull });
	assert_non_null(judge);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	judge_free(judge);
	classifier_free(cls);
	fclose(out);
	free(out_buf);
	return 0;
}

/* An exchange of a model server (the watched process serves it) with the
 * client at peer, one user message, and the completion in deltas. */
static void exchange(const char *peer, const char *prompt, const char *const *deltas)
{
	struct exchange *x = exchange_new();

	assert_non_null(x);
	x->id = 1;
	x->flavor = LLM_OPENAI_CHAT;
	snprintf(x->path, sizeof(x->path), "/v1/chat/completions");
	snprintf(x->who.peer, sizeof(x->who.peer), "%s", peer);
	x->who.process_is_server = true;
	x->nmessages = 1;
	snprintf(x->messages[0].role, sizeof(x->messages[0].role), "user");
	xbuf_init(&x->messages[0].text, 1 << 16);
	xbuf_append(&x->messages[0].text, prompt, strlen(prompt));
	judge_request(judge, x);
	for (; *deltas; deltas++)
		judge_delta(judge, x, 0, *deltas, strlen(*deltas));
	judge_done(judge, x);
	exchange_free(x);
}

/* The finding lines written since the last call, one string. */
static const char *written(void)
{
	static size_t seen;
	static char text[8192];
	size_t n;

	fflush(out);
	n = out_len - seen < sizeof(text) - 1 ? out_len - seen : sizeof(text) - 1;
	memcpy(text, out_buf + seen, n);
	text[n] = '\0';
	seen = out_len;
	return text;
}

static int count(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_judge_labels_each_kind_of_leak(void **state)
{
	const char *text;

	(void)state;
	/* Client A sends a card and an e-mail; the answer repeats the e-mail
	 * (split across deltas): an input finding each, an echo. */
	exchange("10.0.0.1:40000", "card " CARD " mail " EMAIL " thanks",
		 (const char *const[]){ "Sure, I wrote to maria.gar", "cia@acme-corp.io today.", NULL });
	text = written();
	assert_int_equal(count(text, "\"direction\":\"input\""), 2);
	assert_int_equal(count(text, "\"direction\":\"output\""), 1);
	assert_int_equal(count(text, "\"leak\":\"echo\""), 1);
	assert_int_equal(count(text, "\"detector\":\"financial.payment_card\""), 1);

	/* Client B, at another address, is told A's card: cross_identity. */
	exchange("10.0.0.2:40001", "what is on file?",
		 (const char *const[]){ "The card on file is 4532 0151 ", "1283 0366 for sure.", NULL });
	text = written();
	assert_int_equal(count(text, "\"leak\":\"cross_identity\""), 1);
	assert_int_equal(count(text, "\"rank\":4"), 1);

	/* A again, from another port: the same client, so its own card back
	 * is not cross_identity (it is not in this prompt either: novel). */
	exchange("10.0.0.1:40002", "remind me", (const char *const[]){ "Your card: " CARD ".", NULL });
	text = written();
	assert_int_equal(count(text, "\"leak\":\"novel\""), 1);
	assert_int_equal(count(text, "cross_identity"), 0);

	/* A client that cannot be identified (no peer: a memory BIO) is told
	 * the card: no proof of whose it was, so novel, never cross_identity. */
	exchange("", "and now?", (const char *const[]){ "It is " CARD ".", NULL });
	text = written();
	assert_int_equal(count(text, "\"leak\":\"novel\""), 1);
	assert_int_equal(count(text, "cross_identity"), 0);
}

/* What the judge writes holds masked previews and fingerprints only. */
static void test_judge_writes_no_value(void **state)
{
	const char *text;

	(void)state;
	exchange("10.0.0.3:1", "my card is " CARD ", mail " EMAIL,
		 (const char *const[]){ "noted: ", CARD, " and ", EMAIL, NULL });
	text = written();
	assert_true(count(text, "\"type\":\"finding\"") >= 4);
	assert_null(strstr(text, "4532 0151"));
	assert_null(strstr(text, "45320151"));
	assert_null(strstr(text, "1283 0366"));
	assert_null(strstr(text, "maria.garcia"));
	assert_null(strstr(text, "acme-corp"));
	assert_non_null(strstr(text, "0366")); /* the masked preview keeps the last four */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judge_labels_each_kind_of_leak),
		cmocka_unit_test(test_judge_writes_no_value),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
