// SPDX-License-Identifier: Apache-2.0
#include "llm.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "jsonview.h"

/* Does the path (without its query) end with suffix? */
static int path_ends(const char *path, size_t plen, const char *suffix)
{
	size_t n = strlen(suffix);

	return plen >= n && memcmp(path + plen - n, suffix, n) == 0;
}

enum llm_flavor llm_flavor_for(const char *method, const char *path)
{
	size_t plen = strcspn(path, "?#");

	while (plen > 1 && path[plen - 1] == '/')
		plen--;
	if (strcmp(method, "POST") != 0)
		return LLM_NONE;
	if (path_ends(path, plen, "/chat/completions"))
		return LLM_OPENAI_CHAT;
	if (path_ends(path, plen, "/completions"))
		return LLM_OPENAI_COMPLETIONS;
	if (path_ends(path, plen, "/responses"))
		return LLM_OPENAI_RESPONSES;
	if (path_ends(path, plen, "/embeddings"))
		return LLM_OPENAI_EMBEDDINGS;
	if (path_ends(path, plen, "/v1/messages"))
		return LLM_ANTHROPIC_MESSAGES;
	if (path_ends(path, plen, "/api/chat"))
		return LLM_OLLAMA_CHAT;
	if (path_ends(path, plen, "/api/generate"))
		return LLM_OLLAMA_GENERATE;
	if (path_ends(path, plen, "/generate_stream"))
		return LLM_TGI_GENERATE_STREAM;
	if (path_ends(path, plen, "/generate"))
		return LLM_TGI_GENERATE;
	return LLM_NONE;
}

bool llm_replay = true;

/* The appends a streamed event makes: its piece of completion text, or of
 * tool-call arguments. Everything else it does sets a field from a value,
 * and is done again to no effect when the value is the same. */
enum append_op { APPEND_NONE, APPEND_DELTA, APPEND_TOOL_ARGS };

struct appends {
	int n;
	enum append_op op; /* the last one */
	int tok, choice;
};

/* One document being read into an exchange. */
struct doc {
	struct exchange *x;
	struct jdoc j;
	const struct exchange_sink *sink;
	uint64_t now;
	struct appends *rec; /* a streamed event's appends, counted */
};

static void note_append(const struct doc *c, enum append_op op, int choice, int tok)
{
	if (c->rec) {
		c->rec->n++;
		c->rec->op = op;
		c->rec->choice = choice;
		c->rec->tok = tok;
	}
}

static int get(const struct doc *c, int o, const char *key)
{
	return jdoc_get(&c->j, o, key);
}

static void copy_str(const struct doc *c, char *dst, size_t dstsz, int o)
{
	jdoc_copy_str(&c->j, o, dst, dstsz);
}

static void set_int(const struct doc *c, int64_t *dst, int o)
{
	jdoc_int(&c->j, o, dst);
}

static int arr_len(const struct doc *c, int o)
{
	return jdoc_len(&c->j, o);
}

static int at(const struct doc *c, int arr, int k)
{
	return jdoc_at(&c->j, arr, k);
}

/* for_each(c, e, arr): e runs over the elements of arr, in linear time. */
#define for_each(c, e, arr) for (int e = jdoc_first(&(c)->j, arr); e >= 0; e = jdoc_next(&(c)->j, arr, e))

static bool is_str(const struct doc *c, int o)
{
	return jdoc_is_string(&c->j, o);
}

/* A string as decoded text; anything else (tool arguments given as an
 * object) as its JSON text. */
static void append_any(const struct doc *c, struct xbuf *b, int o)
{
	if (is_str(c, o))
		jdoc_append_str(&c->j, o, b);
	else
		jdoc_append_raw(&c->j, o, b);
}

/* Message content: a string, or an array of parts whose text fields count
 * ({"type":"text","text":...}, "input_text", "output_text"); tool results
 * nest their own content. */
static void append_content(const struct doc *c, struct xbuf *b, int content)
{
	if (is_str(c, content)) {
		jdoc_append_str(&c->j, content, b);
		return;
	}
	for_each(c, part, content) {
		int text = is_str(c, part) ? part : get(c, part, "text");
		int inner = get(c, part, "content");

		if (text >= 0) {
			if (b->len)
				xbuf_append(b, "\n", 1);
			jdoc_append_str(&c->j, text, b);
		}
		if (get(c, part, "input") >= 0) /* Anthropic tool_use */
			append_any(c, &c->x->tool_args_in, get(c, part, "input"));
		if (is_str(c, inner) || arr_len(c, inner)) { /* tool_result */
			if (b->len)
				xbuf_append(b, "\n", 1);
			if (is_str(c, inner))
				jdoc_append_str(&c->j, inner, b);
			else
				for_each(c, e, inner)
					jdoc_append_str(&c->j, get(c, e, "text"), b);
		}
	}
}

static void add_text_message(const struct doc *c, const char *role, int content)
{
	struct x_message *m;

	if (!is_str(c, content) && arr_len(c, content) == 0)
		return; /* absent, null (an assistant turn that only calls tools), or empty */
	m = exchange_add_message(c->x, role);
	if (m)
		append_content(c, &m->text, content);
}

/* {"role":..., "content":..., "tool_calls":[{"function":{"arguments":...}}]} */
static void add_messages(const struct doc *c, int msgs)
{
	for_each(c, m, msgs) {
		int calls = get(c, m, "tool_calls");
		char role[16] = "user";

		copy_str(c, role, sizeof(role), get(c, m, "role"));
		add_text_message(c, role, get(c, m, "content"));
		for_each(c, call, calls)
			append_any(c, &c->x->tool_args_in, get(c, get(c, call, "function"), "arguments"));
	}
}

/* A string, or an array of strings (or of token ids, which carry no text). */
static void add_string_or_list(const struct doc *c, const char *role, int v)
{
	if (is_str(c, v)) {
		add_text_message(c, role, v);
		return;
	}
	for_each(c, e, v)
		if (is_str(c, e))
			add_text_message(c, role, e);
}

enum llm_flavor llm_guess_flavor(const char *body, size_t len)
{
	struct doc c;
	enum llm_flavor f = LLM_NONE;

	c.x = NULL;

	if (jdoc_parse(&c.j, body, len))
		return LLM_NONE;
	if (get(&c, 0, "messages") >= 0)
		f = get(&c, 0, "anthropic_version") >= 0 ? LLM_ANTHROPIC_MESSAGES : LLM_OPENAI_CHAT;
	else if (get(&c, 0, "prompt") >= 0)
		f = LLM_OPENAI_COMPLETIONS;
	else if (get(&c, 0, "inputs") >= 0)
		f = LLM_TGI_GENERATE;
	else if (get(&c, 0, "input") >= 0)
		f = LLM_OPENAI_RESPONSES;
	jdoc_release(&c.j);
	return f;
}

int llm_parse_request(struct exchange *x, const char *body, size_t len)
{
	struct doc c;
	int v;

	c.x = x;
	c.sink = NULL;
	c.now = 0;

	if (jdoc_parse(&c.j, body, len) || c.j.t[0].type != JTOK_OBJECT) {
		jdoc_release(&c.j);
		return -EBADMSG;
	}
	copy_str(&c, x->model_requested, sizeof(x->model_requested), get(&c, 0, "model"));
	v = get(&c, 0, "stream");
	x->stream_requested = v >= 0 ? jdoc_true(&c.j, v)
				     : (x->flavor == LLM_OLLAMA_CHAT || x->flavor == LLM_OLLAMA_GENERATE ||
					x->flavor == LLM_TGI_GENERATE_STREAM);
	/* JSON output asked for: OpenAI's response_format (text.format for
	 * /v1/responses), Ollama's format ("json" or a schema). */
	v = get(&c, 0, "response_format");
	if (v < 0 && (v = get(&c, 0, "text")) >= 0)
		v = get(&c, v, "format");
	if (v >= 0 && (v = get(&c, v, "type")) >= 0)
		x->json_requested = jdoc_str_is(&c.j, v, "json_object") || jdoc_str_is(&c.j, v, "json_schema");
	v = get(&c, 0, "format");
	if (v >= 0 && (x->flavor == LLM_OLLAMA_CHAT || x->flavor == LLM_OLLAMA_GENERATE))
		x->json_requested = jdoc_str_is(&c.j, v, "json") || c.j.t[v].type == JTOK_OBJECT;
	/* The tools offered (OpenAI, Anthropic, Ollama: "tools"; OpenAI's
	 * older "functions"), as sent: what prompt change management digests. */
	if ((v = get(&c, 0, "tools")) >= 0 || (v = get(&c, 0, "functions")) >= 0)
		jdoc_append_raw(&c.j, v, &x->tools);
	switch (x->flavor) {
	case LLM_OPENAI_CHAT:
	case LLM_OLLAMA_CHAT:
		add_messages(&c, get(&c, 0, "messages"));
		break;
	case LLM_ANTHROPIC_MESSAGES:
		add_text_message(&c, "system", get(&c, 0, "system"));
		add_messages(&c, get(&c, 0, "messages"));
		break;
	case LLM_OPENAI_COMPLETIONS:
		add_string_or_list(&c, "prompt", get(&c, 0, "prompt"));
		break;
	case LLM_OPENAI_EMBEDDINGS:
		add_string_or_list(&c, "input", get(&c, 0, "input"));
		break;
	case LLM_OPENAI_RESPONSES:
		add_text_message(&c, "system", get(&c, 0, "instructions"));
		v = get(&c, 0, "input");
		if (is_str(&c, v))
			add_text_message(&c, "user", v);
		else
			add_messages(&c, v);
		break;
	case LLM_OLLAMA_GENERATE:
		add_text_message(&c, "system", get(&c, 0, "system"));
		add_text_message(&c, "prompt", get(&c, 0, "prompt"));
		break;
	case LLM_TGI_GENERATE:
	case LLM_TGI_GENERATE_STREAM:
		add_text_message(&c, "prompt", get(&c, 0, "inputs"));
		break;
	case LLM_GUESS:
	case LLM_NONE:
		break;
	}
	jdoc_release(&c.j);
	return 0;
}

/* The completion text of choice idx grows by the string at o; the sink sees
 * the piece at once. */
static void delta(const struct doc *c, int idx, int o)
{
	struct exchange *x = c->x;
	struct x_choice *ch;
	size_t before;

	note_append(c, APPEND_DELTA, idx, o);
	if (!is_str(c, o) || c->j.t[o].end == c->j.t[o].start || !(ch = exchange_choice(x, idx)))
		return;
	if (!x->t_first_token)
		x->t_first_token = c->now;
	before = ch->text.len;
	jdoc_append_str(&c->j, o, &ch->text);
	if (c->sink && c->sink->on_delta && ch->text.len > before)
		c->sink->on_delta(c->sink->ctx, x, idx, ch->text.p + before, ch->text.len - before);
}

static void finish(const struct doc *c, int idx, int reason)
{
	struct x_choice *ch;

	if (!is_str(c, reason) || !(ch = exchange_choice(c->x, idx)))
		return;
	copy_str(c, ch->finish_reason, sizeof(ch->finish_reason), reason);
}

static void tool_args(const struct doc *c, int idx, int args)
{
	struct x_choice *ch;

	note_append(c, APPEND_TOOL_ARGS, idx, args);
	if (args >= 0 && (ch = exchange_choice(c->x, idx)))
		append_any(c, &ch->tool_args, args);
}

static void usage(const struct doc *c, int u)
{
	struct exchange *x = c->x;

	if (u < 0)
		return;
	set_int(c, &x->prompt_tokens, get(c, u, "prompt_tokens"));
	set_int(c, &x->completion_tokens, get(c, u, "completion_tokens"));
	set_int(c, &x->total_tokens, get(c, u, "total_tokens"));
	set_int(c, &x->prompt_tokens, get(c, u, "input_tokens")); /* Anthropic, responses */
	set_int(c, &x->completion_tokens, get(c, u, "output_tokens"));
}

static void model_fields(const struct doc *c, int o)
{
	copy_str(c, c->x->model_reported, sizeof(c->x->model_reported), get(c, o, "model"));
	copy_str(c, c->x->system_fingerprint, sizeof(c->x->system_fingerprint),
		 get(c, o, "system_fingerprint"));
}

/* OpenAI chat and completions: choices[] with delta (streamed) or message. */
static void openai_choices(const struct doc *c, int root)
{
	int choices = get(c, root, "choices");

	model_fields(c, root);
	usage(c, get(c, root, "usage"));
	int i = 0;

	for_each(c, ch, choices) {
		int64_t idx = i++;
		int m = get(c, ch, "delta") >= 0 ? get(c, ch, "delta") : get(c, ch, "message");
		int calls = get(c, m, "tool_calls");

		set_int(c, &idx, get(c, ch, "index"));
		if (idx < 0 || idx >= X_MAX_CHOICES)
			idx = X_MAX_CHOICES; /* counted as dropped by exchange_choice */
		if (c->x->flavor == LLM_OPENAI_COMPLETIONS)
			delta(c, (int)idx, get(c, ch, "text"));
		else
			delta(c, (int)idx, get(c, m, "content"));
		for_each(c, call, calls)
			tool_args(c, (int)idx, get(c, get(c, call, "function"), "arguments"));
		finish(c, (int)idx, get(c, ch, "finish_reason"));
	}
}

/* OpenAI responses API, non-streamed: output[] of messages and calls. */
static void responses_output(const struct doc *c, int resp)
{
	int out = get(c, resp, "output");

	model_fields(c, resp);
	usage(c, get(c, resp, "usage"));
	for_each(c, item, out) {
		int content = get(c, item, "content");

		for_each(c, part, content)
			delta(c, 0, get(c, part, "text"));
		tool_args(c, 0, get(c, item, "arguments"));
	}
	finish(c, 0, get(c, resp, "status"));
}

static void anthropic_content(const struct doc *c, int root)
{
	int content = get(c, root, "content");

	model_fields(c, root);
	usage(c, get(c, root, "usage"));
	for_each(c, b, content) {
		delta(c, 0, get(c, b, "text"));
		tool_args(c, 0, get(c, b, "input"));
	}
	finish(c, 0, get(c, root, "stop_reason"));
}

static void ollama_message(const struct doc *c, int root)
{
	model_fields(c, root);
	if (c->x->flavor == LLM_OLLAMA_CHAT)
		delta(c, 0, get(c, get(c, root, "message"), "content"));
	else
		delta(c, 0, get(c, root, "response"));
	set_int(c, &c->x->prompt_tokens, get(c, root, "prompt_eval_count"));
	set_int(c, &c->x->completion_tokens, get(c, root, "eval_count"));
	finish(c, 0, get(c, root, "done_reason"));
}

static void tgi_result(const struct doc *c, int o)
{
	int details;

	if (c->j.t[o].type == JTOK_ARRAY) /* [{"generated_text":...}] */
		o = at(c, o, 0);
	details = get(c, o, "details");
	delta(c, 0, get(c, o, "generated_text"));
	finish(c, 0, get(c, details, "finish_reason"));
	set_int(c, &c->x->completion_tokens, get(c, details, "generated_tokens"));
}

/* Anthropic's typed events. */
static void anthropic_event(const struct doc *c, int root)
{
	int type = get(c, root, "type"), d = get(c, root, "delta");

	if (jdoc_str_is(&c->j, type, "message_start")) {
		model_fields(c, get(c, root, "message"));
		usage(c, get(c, get(c, root, "message"), "usage"));
	} else if (jdoc_str_is(&c->j, type, "content_block_delta")) {
		if (jdoc_str_is(&c->j, get(c, d, "type"), "input_json_delta"))
			tool_args(c, 0, get(c, d, "partial_json"));
		else
			delta(c, 0, get(c, d, "text"));
	} else if (jdoc_str_is(&c->j, type, "message_delta")) {
		finish(c, 0, get(c, d, "stop_reason"));
		usage(c, get(c, root, "usage"));
	}
}

static void responses_event(const struct doc *c, int root)
{
	int type = get(c, root, "type"), r = get(c, root, "response");

	if (jdoc_str_is(&c->j, type, "response.output_text.delta")) {
		delta(c, 0, get(c, root, "delta"));
	} else if (jdoc_str_is(&c->j, type, "response.function_call_arguments.delta")) {
		tool_args(c, 0, get(c, root, "delta"));
	} else if (jdoc_str_is(&c->j, type, "response.created")) {
		model_fields(c, r);
	} else if (jdoc_str_is(&c->j, type, "response.completed") ||
		   jdoc_str_is(&c->j, type, "response.incomplete") ||
		   jdoc_str_is(&c->j, type, "response.failed")) {
		model_fields(c, r);
		usage(c, get(c, r, "usage"));
		finish(c, 0, get(c, r, "status"));
	}
}

static void tgi_event(const struct doc *c, int root)
{
	int tok = get(c, root, "token"), details = get(c, root, "details");

	if (!jdoc_true(&c->j, get(c, tok, "special")))
		delta(c, 0, get(c, tok, "text"));
	finish(c, 0, get(c, details, "finish_reason"));
	set_int(c, &c->x->completion_tokens, get(c, details, "generated_tokens"));
}

/* A parsed document into the exchange: a whole response body, or one
 * streamed event of it. */
static void apply(const struct doc *c, bool event)
{
	switch (c->x->flavor) {
	case LLM_OPENAI_CHAT:
	case LLM_OPENAI_COMPLETIONS:
	case LLM_OPENAI_EMBEDDINGS:
		openai_choices(c, 0); /* "delta" when streamed, "message" when whole */
		break;
	case LLM_OPENAI_RESPONSES:
		(event ? responses_event : responses_output)(c, 0);
		break;
	case LLM_ANTHROPIC_MESSAGES:
		(event ? anthropic_event : anthropic_content)(c, 0);
		break;
	case LLM_OLLAMA_CHAT:
	case LLM_OLLAMA_GENERATE:
		ollama_message(c, 0);
		break;
	case LLM_TGI_GENERATE:
	case LLM_TGI_GENERATE_STREAM:
		(event ? tgi_event : tgi_result)(c, 0);
		break;
	case LLM_GUESS:
	case LLM_NONE:
		break;
	}
}

static int parse_apply(struct exchange *x, const char *data, size_t len, bool event,
		       const struct exchange_sink *sink, uint64_t now)
{
	struct doc c; /* not zeroed whole: jdoc_parse sets what it uses */
	struct appends rec = { 0 };
	const struct jtok_diff *diff;
	int dropped = x->choices_dropped;

	c.x = x;
	c.sink = sink;
	c.now = now;
	c.rec = NULL;
	if (!event) {
		if (jdoc_parse(&c.j, data, len))
			return -EBADMSG;
		apply(&c, false);
		jdoc_release(&c.j);
		return 0;
	}
	/* A streamed response's events share a shape: each is tokenised by
	 * difference from the one before. */
	if (jdoc_parse_memo(&c.j, data, len, &x->event_memo))
		return -EBADMSG;
	diff = c.j.diff;
	if (llm_replay && x->replay.op != APPEND_NONE && diff &&
	    (diff->nholes == 0 || (diff->nholes == 1 && diff->holes[0] == x->replay.tok))) {
		/* The event before made one append and otherwise set fields from
		 * values; this one differs from it at most in the appended value,
		 * so reading it whole would set the same fields to the same values
		 * again: only the append is made. (fuzz_llm compares the two.) */
		if (x->replay.op == APPEND_DELTA)
			delta(&c, x->replay.choice, x->replay.tok);
		else
			tool_args(&c, x->replay.choice, x->replay.tok);
	} else {
		c.rec = &rec;
		apply(&c, true);
		/* Replayable next time only if the append was the one effect that
		 * does not repeat (a choice index past the table counts a drop on
		 * every call: not replayed). */
		x->replay.op = rec.n == 1 && x->choices_dropped == dropped ? rec.op : APPEND_NONE;
		x->replay.tok = rec.tok;
		x->replay.choice = rec.choice;
	}
	jdoc_release(&c.j);
	return 0;
}

int llm_parse_response(struct exchange *x, const char *body, size_t len,
		       const struct exchange_sink *sink, uint64_t now)
{
	return parse_apply(x, body, len, false, sink, now);
}

int llm_stream_event(struct exchange *x, const char *event, const char *data, size_t len,
		     const struct exchange_sink *sink, uint64_t now)
{
	(void)event; /* every flavour repeats the event type inside the JSON */
	if (len == 6 && memcmp(data, "[DONE]", 6) == 0)
		return 0;
	return parse_apply(x, data, len, true, sink, now);
}
