// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "llm.h"

static void test_llm_flavor_by_path(void **state)
{
	(void)state;
	assert_int_equal(llm_flavor_for("POST", "/v1/chat/completions"), LLM_OPENAI_CHAT);
	assert_int_equal(llm_flavor_for("POST", "/openai/deployments/gpt/chat/completions?api-version=2024"),
			 LLM_OPENAI_CHAT);
	assert_int_equal(llm_flavor_for("POST", "/v1/completions"), LLM_OPENAI_COMPLETIONS);
	assert_int_equal(llm_flavor_for("POST", "/v1/responses/"), LLM_OPENAI_RESPONSES);
	assert_int_equal(llm_flavor_for("POST", "/v1/embeddings"), LLM_OPENAI_EMBEDDINGS);
	assert_int_equal(llm_flavor_for("POST", "/v1/messages"), LLM_ANTHROPIC_MESSAGES);
	assert_int_equal(llm_flavor_for("POST", "/api/chat"), LLM_OLLAMA_CHAT);
	assert_int_equal(llm_flavor_for("POST", "/api/generate"), LLM_OLLAMA_GENERATE);
	assert_int_equal(llm_flavor_for("POST", "/generate_stream"), LLM_TGI_GENERATE_STREAM);
	assert_int_equal(llm_flavor_for("POST", "/generate"), LLM_TGI_GENERATE);
	assert_int_equal(llm_flavor_for("GET", "/v1/chat/completions"), LLM_NONE);
	assert_int_equal(llm_flavor_for("POST", "/v1/models"), LLM_NONE);
}

static struct exchange *request(enum llm_flavor f, const char *json)
{
	struct exchange *x = exchange_new();

	x->flavor = f;
	assert_int_equal(llm_parse_request(x, json, strlen(json)), 0);
	return x;
}

static void test_llm_request_shapes(void **state)
{
	struct exchange *x;

	(void)state;
	/* Content parts, tool calls, escapes decoded to UTF-8. */
	x = request(LLM_OPENAI_CHAT,
		    "{\"model\":\"gpt\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
		    "\"text\":\"a\\u00e9\\ud83d\\ude00\"},{\"type\":\"image_url\",\"image_url\":{}}]},"
		    "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"function\":{\"name\":\"f\","
		    "\"arguments\":\"{\\\"card\\\":1}\"}}]}]}");
	assert_string_equal(x->model_requested, "gpt");
	assert_int_equal(x->nmessages, 1);
	assert_string_equal(x->messages[0].text.p, "a\xc3\xa9\xf0\x9f\x98\x80");
	assert_string_equal(x->tool_args_in.p, "{\"card\":1}");
	exchange_free(x);
	/* Responses API: instructions and typed input items. */
	x = request(LLM_OPENAI_RESPONSES,
		    "{\"model\":\"m\",\"instructions\":\"be terse\",\"input\":[{\"role\":\"user\",\"content\":"
		    "[{\"type\":\"input_text\",\"text\":\"q1\"}]}]}");
	assert_int_equal(x->nmessages, 2);
	assert_string_equal(x->messages[0].role, "system");
	assert_string_equal(x->messages[1].text.p, "q1");
	exchange_free(x);
	/* Embeddings and completions take a string or a list. */
	x = request(LLM_OPENAI_EMBEDDINGS, "{\"input\":[\"one\",\"two\",[1,2,3]]}");
	assert_int_equal(x->nmessages, 2);
	assert_string_equal(x->messages[1].text.p, "two");
	exchange_free(x);
	/* The tools offered, as their JSON text was sent (prompt change
	 * management digests it); OpenAI's older "functions" too. */
	x = request(LLM_ANTHROPIC_MESSAGES,
		    "{\"model\":\"c\",\"system\":\"s\",\"tools\": [ {\"name\":\"get\",\"input_schema\":{}} ],"
		    "\"messages\":[]}");
	assert_string_equal(x->tools.p, "[ {\"name\":\"get\",\"input_schema\":{}} ]");
	assert_string_equal(x->messages[0].role, "system");
	exchange_free(x);
	x = request(LLM_OPENAI_CHAT, "{\"functions\":[{\"name\":\"f\"}],\"messages\":[]}");
	assert_string_equal(x->tools.p, "[{\"name\":\"f\"}]");
	exchange_free(x);
	/* Ollama streams unless told not to. */
	x = request(LLM_OLLAMA_GENERATE, "{\"model\":\"l\",\"prompt\":\"p\"}");
	assert_true(x->stream_requested);
	exchange_free(x);
	x = exchange_new();
	x->flavor = LLM_OPENAI_CHAT;
	assert_int_equal(llm_parse_request(x, "{\"messages\":[", 13), -EBADMSG);
	exchange_free(x);
}

/* A million levels of nesting inside a prompt are refused at once: no
 * recursion, and no quadratic walk in the tokenizer. */
static void test_llm_deep_nesting_is_safe(void **state)
{
	size_t depth = 1000000, n = 0;
	char *doc = malloc(2 * depth + 64);
	struct exchange *x = exchange_new();
	int r;

	(void)state;
	n += (size_t)sprintf(doc, "{\"model\":\"m\",\"x\":");
	memset(doc + n, '[', depth);
	n += depth;
	memset(doc + n, ']', depth);
	n += depth;
	doc[n++] = '}';
	x->flavor = LLM_OPENAI_CHAT;
	r = llm_parse_request(x, doc, n);
	assert_int_equal(r, -EBADMSG);
	/* 64 levels are fine. */
	n = (size_t)sprintf(doc, "{\"model\":\"deep\",\"x\":");
	memset(doc + n, '[', 63);
	memset(doc + n + 63, ']', 63);
	n += 126;
	doc[n++] = '}';
	assert_int_equal(llm_parse_request(x, doc, n), 0);
	assert_string_equal(x->model_requested, "deep");
	exchange_free(x);
	free(doc);
}

static void test_llm_responses_stream_events(void **state)
{
	struct exchange *x = exchange_new();
	const char *e1 = "{\"type\":\"response.output_text.delta\",\"delta\":\"Hel\"}";
	const char *e2 = "{\"type\":\"response.output_text.delta\",\"delta\":\"lo\"}";
	const char *e3 = "{\"type\":\"response.completed\",\"response\":{\"model\":\"m2\",\"status\":\"completed\","
			 "\"usage\":{\"input_tokens\":3,\"output_tokens\":2,\"total_tokens\":5}}}";

	(void)state;
	x->flavor = LLM_OPENAI_RESPONSES;
	assert_int_equal(llm_stream_event(x, "response.output_text.delta", e1, strlen(e1), NULL, 1), 0);
	assert_int_equal(llm_stream_event(x, "", e2, strlen(e2), NULL, 2), 0);
	assert_int_equal(llm_stream_event(x, "", e3, strlen(e3), NULL, 3), 0);
	assert_string_equal(x->choices[0].text.p, "Hello");
	assert_string_equal(x->choices[0].finish_reason, "completed");
	assert_string_equal(x->model_reported, "m2");
	assert_int_equal(x->prompt_tokens, 3);
	assert_int_equal(x->total_tokens, 5);
	assert_int_equal(x->t_first_token, 1);
	assert_int_equal(llm_stream_event(x, "", "not json", 8, NULL, 4), -EBADMSG);
	exchange_free(x);
}

/* Events of one shape differing only in their text (one of them escaped),
 * one identical to the event before, then changes elsewhere (the model, a
 * finish reason). Read with llm_replay and without, the exchanges must be
 * what reading every event whole gives. That the replay path is taken is
 * not visible here by design (it has no other effect); the assertion on
 * x->replay only shows the first event's append was recorded as
 * replayable, and callgrind shows the saving (docs/perf/history.md, Decoding). */
static void stream_events(bool replay, struct exchange *x)
{
	static const char *const events[] = {
		"{\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":null}]}",
		"{\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"bc\"},\"finish_reason\":null}]}",
		"{\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"bc\"},\"finish_reason\":null}]}",
		"{\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\n\"},\"finish_reason\":null}]}",
		"{\"model\":\"m2\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"d\"},\"finish_reason\":null}]}",
		"{\"model\":\"m2\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"e\"},\"finish_reason\":\"stop\"}]}",
	};

	llm_replay = replay;
	x->flavor = LLM_OPENAI_CHAT;
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		assert_int_equal(llm_stream_event(x, "", events[i], strlen(events[i]), NULL, 10 + i), 0);
		if (i == 2) /* the events so far made one append each and nothing else */
			assert_int_not_equal(x->replay.op, 0);
	}
	llm_replay = true;
}

static void test_llm_stream_replay_reads_as_whole(void **state)
{
	struct exchange *x = exchange_new(), *y = exchange_new();

	(void)state;
	stream_events(true, x);
	stream_events(false, y);
	assert_string_equal(x->choices[0].text.p, "abcbc\nde");
	assert_string_equal(y->choices[0].text.p, "abcbc\nde");
	assert_string_equal(x->model_reported, "m2"); /* a changed value elsewhere: read whole */
	assert_string_equal(x->choices[0].finish_reason, "stop");
	assert_int_equal(x->t_first_token, 10);
	exchange_free(x);
	exchange_free(y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_llm_flavor_by_path),
		cmocka_unit_test(test_llm_request_shapes),
		cmocka_unit_test(test_llm_deep_nesting_is_safe),
		cmocka_unit_test(test_llm_responses_stream_events),
		cmocka_unit_test(test_llm_stream_replay_reads_as_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
