// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "exchange.h"
#include "hex.h"
#include "prompts.h"

/* A chat request to key (exe, model) with these instructions and tools. */
static struct exchange *request(const char *exe, const char *model, const char *system, const char *developer,
				const char *tools)
{
	struct exchange *x = exchange_new();
	struct x_message *m;

	assert_non_null(x);
	x->flavor = LLM_OPENAI_CHAT;
	snprintf(x->path, sizeof(x->path), "/v1/chat/completions");
	snprintf(x->model_requested, sizeof(x->model_requested), "%s", model);
	snprintf(x->who.exe, sizeof(x->who.exe), "%s", exe);
	x->who.process_is_server = true;
	if (system && (m = exchange_add_message(x, "system")))
		xbuf_append(&m->text, system, strlen(system));
	m = exchange_add_message(x, "user");
	xbuf_append(&m->text, "hello", 5);
	if (developer && (m = exchange_add_message(x, "developer")))
		xbuf_append(&m->text, developer, strlen(developer));
	if (tools)
		xbuf_append(&x->tools, tools, strlen(tools));
	return x;
}

static void see(struct prompts *p, const char *exe, const char *model, const char *system, const char *tools)
{
	struct exchange *x = request(exe, model, system, NULL, tools);

	prompts_request(p, x);
	exchange_free(x);
}

/* The digests are the documented framing (proto's PromptChange): the
 * expected bytes come from Python's hashlib; user messages do not count. */
static void test_prompts_digest_known_answer(void **state)
{
	struct exchange *x = request("/srv", "m", "You are terse.", "Use metric units.", "[{\"name\":\"f\"}]");
	struct exchange *none = request("/srv", "m", NULL, NULL, NULL);
	uint8_t i[32], t[32], d[32];
	uint64_t il, tl;
	char hex[65];

	(void)state;
	prompts_digest(x, i, t, d, &il, &tl);
	hex_encode(i, 32, hex);
	assert_string_equal(hex, "0ff5d4a3f0b8a3a59ab2f7be440bfdb3e91a2592b76772ed33b353dceda59546");
	hex_encode(t, 32, hex);
	assert_string_equal(hex, "918efb218d11a906df5a29daaff50aaad3ff29d8342d4ccdd9357d725e69d041");
	hex_encode(d, 32, hex);
	assert_string_equal(hex, "856c4504e64953890997f42d1786e15385acf1b69dd4a1fc2317cb2ccacbe4a7");
	assert_int_equal(il, strlen("You are terse.") + strlen("Use metric units."));
	assert_int_equal(tl, strlen("[{\"name\":\"f\"}]"));
	prompts_digest(none, i, t, d, &il, &tl); /* no instructions and no tools is a prompt too */
	hex_encode(d, 32, hex);
	assert_string_equal(hex, "2dba5dbc339e7316aea2683faf839c1b7b1ee2313db792112588118df066aa35");
	exchange_free(x);
	exchange_free(none);
}

static struct prompts *open_prompts(const char *state, size_t keys, FILE *out)
{
	char err[128];
	struct prompts *p = prompts_new(&(struct prompts_opts){ .out = out, .max_keys = keys, .state_path = state },
					err, sizeof(err));

	assert_non_null(p);
	return p;
}

static size_t lines_of(FILE *f)
{
	char line[4096];
	size_t n = 0;

	rewind(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, "\"type\":\"prompt_change\"") != NULL;
	return n;
}

/* The first prompt is the baseline; a new one is a change, once; one known
 * for the key is none; keys are apart; the table survives a restart and is
 * set aside when altered. */
static void test_prompts_changes_and_state(void **state)
{
	char path[] = "/tmp/sealtap-prompts-XXXXXX";
	int fd = mkstemp(path);
	FILE *out = tmpfile();
	struct prompts *p;
	FILE *f;

	(void)state;
	close(fd);
	unlink(path);
	p = open_prompts(path, 8, out);
	for (int i = 0; i < 100; i++)
		see(p, "/srv/a", "m", "v1", "[]");
	see(p, "/srv/b", "m", "v2", "[]"); /* another key: its own baseline */
	assert_int_equal(prompts_get_stats(p)->baselines, 2);
	assert_int_equal(lines_of(out), 0);
	see(p, "/srv/a", "m", "v2", "[]");
	see(p, "/srv/a", "m", "v2", "[]");
	assert_int_equal(lines_of(out), 1);
	see(p, "/srv/a", "m", "v1", "[]"); /* back to a known one */
	assert_int_equal(lines_of(out), 1);
	assert_int_equal(prompts_get_stats(p)->returned, 1);
	see(p, "/srv/a", "m", "v1", "[{\"name\":\"g\"}]");
	assert_int_equal(lines_of(out), 2);
	prompts_free(p); /* saved */

	p = open_prompts(path, 8, out);
	assert_int_equal(prompts_get_stats(p)->state_loaded_keys, 2);
	see(p, "/srv/a", "m", "v1", "[{\"name\":\"g\"}]");
	see(p, "/srv/a", "m", "v2", "[]");
	see(p, "/srv/b", "m", "v2", "[]");
	assert_int_equal(prompts_get_stats(p)->changes, 0);
	assert_int_equal(prompts_get_stats(p)->baselines, 0);
	prompts_free(p);

	/* one byte altered: set aside, counted; every key starts over */
	f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, 100, SEEK_SET);
	fputc('X', f);
	fclose(f);
	p = open_prompts(path, 8, out);
	assert_int_equal(prompts_get_stats(p)->state_errors, 1);
	assert_int_equal(prompts_get_stats(p)->state_loaded_keys, 0);
	see(p, "/srv/a", "m", "v9", "[]");
	assert_int_equal(prompts_get_stats(p)->baselines, 1);
	assert_int_equal(lines_of(out), 2);
	prompts_free(p);
	unlink(path);
	fclose(out);
}

/* Bounded: past max_keys the least recently used key goes; past
 * PROMPTS_KNOWN prompts of a key the oldest is forgotten (never the
 * current one). */
static void test_prompts_bounded(void **state)
{
	FILE *out = tmpfile();
	struct prompts *p = open_prompts(NULL, 4, out);
	char exe[32], sys[32];

	(void)state;
	for (int i = 0; i < 10; i++) {
		snprintf(exe, sizeof(exe), "/srv/%d", i);
		see(p, exe, "m", "v", "[]");
	}
	assert_int_equal(prompts_get_stats(p)->keys, 4);
	assert_int_equal(prompts_get_stats(p)->keys_evicted, 6);
	for (int i = 0; i < PROMPTS_KNOWN + 5; i++) {
		snprintf(sys, sizeof(sys), "version %d", i);
		see(p, "/srv/9", "m", sys, "[]");
	}
	assert_int_equal(prompts_get_stats(p)->changes, PROMPTS_KNOWN + 5); /* each a change from the baseline "v" on */
	assert_int_equal(prompts_get_stats(p)->prompts_forgotten, 6);
	see(p, "/srv/9", "m", "v", "[]"); /* the baseline, first seen longest ago, was forgotten: new again */
	assert_int_equal(prompts_get_stats(p)->changes, PROMPTS_KNOWN + 6);
	prompts_free(p);
	fclose(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prompts_digest_known_answer),
		cmocka_unit_test(test_prompts_changes_and_state),
		cmocka_unit_test(test_prompts_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
