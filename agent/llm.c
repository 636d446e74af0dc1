// SPDX-License-Identifier: Apache-2.0
#include "llm.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#define JSON_MAX_DEPTH 64

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

/* One tokener, reset per document: a streamed response parses a document
 * per event, and making a tokener each time was a measurable share of the
 * decode cost. The agent decodes on one thread. */
static struct json_tokener *tokener;

static struct json_object *parse_json(const char *s, size_t len)
{
	struct json_object *o;

	if (len > INT32_MAX)
		return NULL;
	if (!tokener && !(tokener = json_tokener_new_ex(JSON_MAX_DEPTH)))
		return NULL;
	json_tokener_reset(tokener);
	o = json_tokener_parse_ex(tokener, s, (int)len);
	if (json_tokener_get_error(tokener) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v))
		return v;
	return NULL;
}

static const char *str(struct json_object *o, size_t *len)
{
	if (!o || !json_object_is_type(o, json_type_string))
		return NULL;
	if (len)
		*len = (size_t)json_object_get_string_len(o);
	return json_object_get_string(o);
}

static void copy_str(char *dst, size_t dstsz, struct json_object *o)
{
	const char *s = str(o, NULL);

	if (s)
		xstrcpy(dst, dstsz, s);
}

static void set_int(int64_t *dst, struct json_object *o)
{
	if (o && (json_object_is_type(o, json_type_int) || json_object_is_type(o, json_type_double)))
		*dst = json_object_get_int64(o);
}

static size_t arr_len(struct json_object *o)
{
	return o && json_object_is_type(o, json_type_array) ? json_object_array_length(o) : 0;
}

static void append_json_str(struct xbuf *b, struct json_object *o)
{
	size_t n;
	const char *s = str(o, &n);

	if (s)
		xbuf_append(b, s, n);
}

/* Serialises a non-string value (tool arguments given as an object). */
static void append_json_any(struct xbuf *b, struct json_object *o)
{
	const char *s;

	if (!o)
		return;
	if (json_object_is_type(o, json_type_string)) {
		append_json_str(b, o);
		return;
	}
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (s)
		xbuf_append(b, s, strlen(s));
}

/* Message content: a string, or an array of parts whose text fields count
 * ({"type":"text","text":...}, "input_text", "output_text"); tool results
 * nest their own content. */
static void append_content(struct exchange *x, struct xbuf *b, struct json_object *content)
{
	size_t n = arr_len(content);

	if (str(content, NULL)) {
		append_json_str(b, content);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *part = json_object_array_get_idx(content, i);
		struct json_object *text = get(part, "text");

		if (!part)
			continue;
		if (str(part, NULL))
			text = part;
		if (text) {
			if (b->len)
				xbuf_append(b, "\n", 1);
			append_json_str(b, text);
		}
		if (get(part, "input")) /* Anthropic tool_use */
			append_json_any(&x->tool_args_in, get(part, "input"));
		if (get(part, "content") && part != content) { /* tool_result */
			struct json_object *inner = get(part, "content");

			if (str(inner, NULL) || arr_len(inner)) {
				if (b->len)
					xbuf_append(b, "\n", 1);
				if (str(inner, NULL))
					append_json_str(b, inner);
				else
					for (size_t k = 0; k < arr_len(inner); k++)
						append_json_str(b, get(json_object_array_get_idx(inner, k), "text"));
			}
		}
	}
}

static void add_text_message(struct exchange *x, const char *role, struct json_object *content)
{
	struct x_message *m;

	if (!content)
		return;
	m = exchange_add_message(x, role);
	if (m)
		append_content(x, &m->text, content);
}

/* {"role":..., "content":..., "tool_calls":[{"function":{"arguments":...}}]} */
static void add_messages(struct exchange *x, struct json_object *msgs)
{
	for (size_t i = 0; i < arr_len(msgs); i++) {
		struct json_object *m = json_object_array_get_idx(msgs, i);
		struct json_object *calls = get(m, "tool_calls");
		const char *role = str(get(m, "role"), NULL);

		add_text_message(x, role ? role : "user", get(m, "content") ? get(m, "content") : NULL);
		for (size_t k = 0; k < arr_len(calls); k++)
			append_json_any(&x->tool_args_in,
					get(get(json_object_array_get_idx(calls, k), "function"), "arguments"));
	}
}

/* A string, or an array of strings (or of token ids, which carry no text). */
static void add_string_or_list(struct exchange *x, const char *role, struct json_object *v)
{
	if (str(v, NULL)) {
		add_text_message(x, role, v);
		return;
	}
	for (size_t i = 0; i < arr_len(v); i++) {
		struct json_object *e = json_object_array_get_idx(v, i);

		if (str(e, NULL))
			add_text_message(x, role, e);
	}
}

enum llm_flavor llm_guess_flavor(const char *body, size_t len)
{
	struct json_object *root = parse_json(body, len);
	enum llm_flavor f = LLM_NONE;

	if (!root)
		return LLM_NONE;
	if (get(root, "messages"))
		f = get(root, "anthropic_version") ? LLM_ANTHROPIC_MESSAGES : LLM_OPENAI_CHAT;
	else if (get(root, "prompt"))
		f = LLM_OPENAI_COMPLETIONS;
	else if (get(root, "inputs"))
		f = LLM_TGI_GENERATE;
	else if (get(root, "input"))
		f = LLM_OPENAI_RESPONSES;
	json_object_put(root);
	return f;
}

int llm_parse_request(struct exchange *x, const char *body, size_t len)
{
	struct json_object *root = parse_json(body, len), *v;

	if (!root || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return -EBADMSG;
	}
	copy_str(x->model_requested, sizeof(x->model_requested), get(root, "model"));
	v = get(root, "stream");
	x->stream_requested = v ? json_object_get_boolean(v)
				: (x->flavor == LLM_OLLAMA_CHAT || x->flavor == LLM_OLLAMA_GENERATE ||
				   x->flavor == LLM_TGI_GENERATE_STREAM);
	switch (x->flavor) {
	case LLM_OPENAI_CHAT:
	case LLM_OLLAMA_CHAT:
		add_messages(x, get(root, "messages"));
		break;
	case LLM_ANTHROPIC_MESSAGES:
		if (get(root, "system"))
			add_text_message(x, "system", get(root, "system"));
		add_messages(x, get(root, "messages"));
		break;
	case LLM_OPENAI_COMPLETIONS:
		add_string_or_list(x, "prompt", get(root, "prompt"));
		break;
	case LLM_OPENAI_EMBEDDINGS:
		add_string_or_list(x, "input", get(root, "input"));
		break;
	case LLM_OPENAI_RESPONSES:
		if (get(root, "instructions"))
			add_text_message(x, "system", get(root, "instructions"));
		v = get(root, "input");
		if (str(v, NULL))
			add_text_message(x, "user", v);
		else
			add_messages(x, v);
		break;
	case LLM_OLLAMA_GENERATE:
		if (get(root, "system"))
			add_text_message(x, "system", get(root, "system"));
		add_text_message(x, "prompt", get(root, "prompt"));
		break;
	case LLM_TGI_GENERATE:
	case LLM_TGI_GENERATE_STREAM:
		add_text_message(x, "prompt", get(root, "inputs"));
		break;
	case LLM_GUESS:
	case LLM_NONE:
		break;
	}
	json_object_put(root);
	return 0;
}

static void delta(struct exchange *x, const struct exchange_sink *sink, int idx, const char *s,
		  size_t n, uint64_t now)
{
	struct x_choice *c = exchange_choice(x, idx);

	if (!c || n == 0)
		return;
	if (!x->t_first_token)
		x->t_first_token = now;
	xbuf_append(&c->text, s, n);
	if (sink && sink->on_delta)
		sink->on_delta(sink->ctx, x, idx, s, n);
}

static void delta_json(struct exchange *x, const struct exchange_sink *sink, int idx,
		       struct json_object *o, uint64_t now)
{
	size_t n;
	const char *s = str(o, &n);

	if (s)
		delta(x, sink, idx, s, n, now);
}

static void finish(struct exchange *x, int idx, struct json_object *reason)
{
	struct x_choice *c;

	if (!str(reason, NULL))
		return;
	c = exchange_choice(x, idx);
	if (c)
		copy_str(c->finish_reason, sizeof(c->finish_reason), reason);
}

static void tool_args(struct exchange *x, int idx, struct json_object *args)
{
	struct x_choice *c = exchange_choice(x, idx);

	if (c && args)
		append_json_any(&c->tool_args, args);
}

static void usage(struct exchange *x, struct json_object *u)
{
	if (!u)
		return;
	set_int(&x->prompt_tokens, get(u, "prompt_tokens"));
	set_int(&x->completion_tokens, get(u, "completion_tokens"));
	set_int(&x->total_tokens, get(u, "total_tokens"));
	set_int(&x->prompt_tokens, get(u, "input_tokens")); /* Anthropic, responses */
	set_int(&x->completion_tokens, get(u, "output_tokens"));
}

static void model_fields(struct exchange *x, struct json_object *o)
{
	copy_str(x->model_reported, sizeof(x->model_reported), get(o, "model"));
	copy_str(x->system_fingerprint, sizeof(x->system_fingerprint), get(o, "system_fingerprint"));
}

/* OpenAI chat and completions: choices[] with delta (streamed) or message. */
static void openai_choices(struct exchange *x, struct json_object *root,
			   const struct exchange_sink *sink, uint64_t now)
{
	struct json_object *choices = get(root, "choices");

	for (size_t i = 0; i < arr_len(choices); i++) {
		struct json_object *c = json_object_array_get_idx(choices, i);
		struct json_object *idxo = get(c, "index");
		int idx = idxo ? json_object_get_int(idxo) : (int)i;
		struct json_object *m = get(c, "delta") ? get(c, "delta") : get(c, "message");
		struct json_object *calls = get(m, "tool_calls");

		if (x->flavor == LLM_OPENAI_COMPLETIONS)
			delta_json(x, sink, idx, get(c, "text"), now);
		else
			delta_json(x, sink, idx, get(m, "content"), now);
		for (size_t k = 0; k < arr_len(calls); k++)
			tool_args(x, idx, get(get(json_object_array_get_idx(calls, k), "function"), "arguments"));
		finish(x, idx, get(c, "finish_reason"));
	}
}

/* OpenAI responses API, non-streamed: output[] of messages and calls. */
static void responses_output(struct exchange *x, struct json_object *resp,
			     const struct exchange_sink *sink, uint64_t now)
{
	struct json_object *out = get(resp, "output");

	model_fields(x, resp);
	usage(x, get(resp, "usage"));
	for (size_t i = 0; i < arr_len(out); i++) {
		struct json_object *item = json_object_array_get_idx(out, i);
		struct json_object *content = get(item, "content");

		for (size_t k = 0; k < arr_len(content); k++)
			delta_json(x, sink, 0, get(json_object_array_get_idx(content, k), "text"), now);
		if (get(item, "arguments"))
			tool_args(x, 0, get(item, "arguments"));
	}
	finish(x, 0, get(resp, "status"));
}

static void anthropic_content(struct exchange *x, struct json_object *root,
			      const struct exchange_sink *sink, uint64_t now)
{
	struct json_object *content = get(root, "content");

	model_fields(x, root);
	usage(x, get(root, "usage"));
	for (size_t i = 0; i < arr_len(content); i++) {
		struct json_object *b = json_object_array_get_idx(content, i);

		delta_json(x, sink, 0, get(b, "text"), now);
		if (get(b, "input"))
			tool_args(x, 0, get(b, "input"));
	}
	finish(x, 0, get(root, "stop_reason"));
}

static void ollama_message(struct exchange *x, struct json_object *root,
			   const struct exchange_sink *sink, uint64_t now)
{
	model_fields(x, root);
	if (x->flavor == LLM_OLLAMA_CHAT)
		delta_json(x, sink, 0, get(get(root, "message"), "content"), now);
	else
		delta_json(x, sink, 0, get(root, "response"), now);
	set_int(&x->prompt_tokens, get(root, "prompt_eval_count"));
	set_int(&x->completion_tokens, get(root, "eval_count"));
	finish(x, 0, get(root, "done_reason"));
}

static void tgi_result(struct exchange *x, struct json_object *o, const struct exchange_sink *sink,
		       uint64_t now)
{
	struct json_object *details;

	if (json_object_is_type(o, json_type_array)) /* [{"generated_text":...}] */
		o = json_object_array_get_idx(o, 0);
	delta_json(x, sink, 0, get(o, "generated_text"), now);
	details = get(o, "details");
	finish(x, 0, get(details, "finish_reason"));
	set_int(&x->completion_tokens, get(details, "generated_tokens"));
}

/* Anthropic's typed events. */
static void anthropic_event(struct exchange *x, struct json_object *root,
			    const struct exchange_sink *sink, uint64_t now)
{
	const char *type = str(get(root, "type"), NULL);
	struct json_object *d = get(root, "delta");

	if (!type)
		return;
	if (strcmp(type, "message_start") == 0) {
		model_fields(x, get(root, "message"));
		usage(x, get(get(root, "message"), "usage"));
	} else if (strcmp(type, "content_block_delta") == 0) {
		const char *dt = str(get(d, "type"), NULL);

		if (dt && strcmp(dt, "input_json_delta") == 0)
			tool_args(x, 0, get(d, "partial_json"));
		else
			delta_json(x, sink, 0, get(d, "text"), now);
	} else if (strcmp(type, "message_delta") == 0) {
		finish(x, 0, get(d, "stop_reason"));
		usage(x, get(root, "usage"));
	}
}

static void responses_event(struct exchange *x, struct json_object *root,
			    const struct exchange_sink *sink, uint64_t now)
{
	const char *type = str(get(root, "type"), NULL);

	if (!type)
		return;
	if (strcmp(type, "response.output_text.delta") == 0)
		delta_json(x, sink, 0, get(root, "delta"), now);
	else if (strcmp(type, "response.function_call_arguments.delta") == 0)
		tool_args(x, 0, get(root, "delta"));
	else if (strcmp(type, "response.created") == 0 || strcmp(type, "response.completed") == 0 ||
		 strcmp(type, "response.incomplete") == 0 || strcmp(type, "response.failed") == 0) {
		struct json_object *r = get(root, "response");

		model_fields(x, r);
		usage(x, get(r, "usage"));
		if (strcmp(type, "response.created") != 0)
			finish(x, 0, get(r, "status"));
	}
}

static void tgi_event(struct exchange *x, struct json_object *root, const struct exchange_sink *sink,
		      uint64_t now)
{
	struct json_object *tok = get(root, "token");
	struct json_object *special = get(tok, "special");

	if (!(special && json_object_get_boolean(special)))
		delta_json(x, sink, 0, get(tok, "text"), now);
	finish(x, 0, get(get(root, "details"), "finish_reason"));
	set_int(&x->completion_tokens, get(get(root, "details"), "generated_tokens"));
}

/* A parsed document into the exchange: a whole response body, or one
 * streamed event of it. */
static void apply(struct exchange *x, struct json_object *root, bool event,
		  const struct exchange_sink *sink, uint64_t now)
{
	switch (x->flavor) {
	case LLM_OPENAI_CHAT:
	case LLM_OPENAI_COMPLETIONS:
	case LLM_OPENAI_EMBEDDINGS:
		model_fields(x, root);
		usage(x, get(root, "usage"));
		openai_choices(x, root, sink, now); /* "delta" when streamed, "message" when whole */
		break;
	case LLM_OPENAI_RESPONSES:
		(event ? responses_event : responses_output)(x, root, sink, now);
		break;
	case LLM_ANTHROPIC_MESSAGES:
		(event ? anthropic_event : anthropic_content)(x, root, sink, now);
		break;
	case LLM_OLLAMA_CHAT:
	case LLM_OLLAMA_GENERATE:
		ollama_message(x, root, sink, now);
		break;
	case LLM_TGI_GENERATE:
	case LLM_TGI_GENERATE_STREAM:
		(event ? tgi_event : tgi_result)(x, root, sink, now);
		break;
	case LLM_GUESS:
	case LLM_NONE:
		break;
	}
}

int llm_parse_response(struct exchange *x, const char *body, size_t len,
		       const struct exchange_sink *sink, uint64_t now)
{
	struct json_object *root = parse_json(body, len);

	if (!root)
		return -EBADMSG;
	apply(x, root, false, sink, now);
	json_object_put(root);
	return 0;
}

int llm_stream_event(struct exchange *x, const char *event, const char *data, size_t len,
		     const struct exchange_sink *sink, uint64_t now)
{
	struct json_object *root;

	(void)event; /* every flavour repeats the event type inside the JSON */
	if (len == 6 && memcmp(data, "[DONE]", 6) == 0)
		return 0;
	root = parse_json(data, len);
	if (!root)
		return -EBADMSG;
	apply(x, root, true, sink, now);
	json_object_put(root);
	return 0;
}
