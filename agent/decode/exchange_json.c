// SPDX-License-Identifier: Apache-2.0
#include "exchange_json.h"

#include <inttypes.h>
#include <string.h>

#include "json.h"

static void key_str(FILE *out, const char *key, const char *s)
{
	fprintf(out, ",\"%s\":", key);
	if (s && *s)
		json_put_string(out, s, strlen(s));
	else
		fputs("null", out);
}

static void key_buf(FILE *out, const char *key, const struct xbuf *b)
{
	fprintf(out, ",\"%s\":", key);
	json_put_string(out, b->p ? b->p : "", b->len);
	if (b->truncated)
		fprintf(out, ",\"%s_truncated\":true", key);
}

/* A count or a timestamp; negative means "not known" and prints null. */
static void key_num(FILE *out, const char *sep, const char *key, int64_t v)
{
	if (v >= 0)
		fprintf(out, "%s\"%s\":%" PRId64, sep, key, v);
	else
		fprintf(out, "%s\"%s\":null", sep, key);
}

static int64_t time_or_unknown(uint64_t t)
{
	return t ? (int64_t)t : -1;
}

void exchange_write_json(FILE *out, const struct exchange *x)
{
	const struct x_identity *w = &x->who;
	const char *sep = "";

	fprintf(out, "{\"type\":\"exchange\",\"id\":%" PRIu64 ",\"api\":\"%s\"", x->id,
		llm_flavor_name(x->flavor));
	key_str(out, "method", x->method);
	key_str(out, "path", x->path);
	key_str(out, "host", x->host);
	key_str(out, "model_requested", x->model_requested);
	key_str(out, "model_reported", x->model_reported);
	key_str(out, "system_fingerprint", x->system_fingerprint);
	fprintf(out, ",\"stream_requested\":%s,\"streamed\":%s", x->stream_requested ? "true" : "false",
		x->streamed ? "true" : "false");
	fputs(",\"prompt\":[", out);
	for (int i = 0; i < x->nmessages; i++) {
		fprintf(out, "%s{\"role\":", i ? "," : "");
		json_put_string(out, x->messages[i].role, strlen(x->messages[i].role));
		key_buf(out, "text", &x->messages[i].text);
		fputc('}', out);
	}
	fputc(']', out);
	if (x->messages_dropped)
		fprintf(out, ",\"prompt_messages_dropped\":%d", x->messages_dropped);
	if (x->tool_args_in.len)
		key_buf(out, "prompt_tool_arguments", &x->tool_args_in);
	fputs(",\"choices\":[", out);
	for (int i = 0; i < X_MAX_CHOICES; i++) {
		const struct x_choice *c = &x->choices[i];

		if (!c->used)
			continue;
		fprintf(out, "%s{\"index\":%d", sep, i);
		key_buf(out, "text", &c->text);
		if (c->tool_args.len)
			key_buf(out, "tool_arguments", &c->tool_args);
		key_str(out, "finish_reason", c->finish_reason);
		fputc('}', out);
		sep = ",";
	}
	fputc(']', out);
	fputs(",\"usage\":{", out);
	key_num(out, "", "prompt_tokens", x->prompt_tokens);
	key_num(out, ",", "completion_tokens", x->completion_tokens);
	key_num(out, ",", "total_tokens", x->total_tokens);
	fputc('}', out);
	fprintf(out, ",\"status\":%d", x->status);
	if (x->error_body.len)
		key_buf(out, "error", &x->error_body);
	fputs(",\"timing\":{", out);
	key_num(out, "", "request_ns", time_or_unknown(x->t_request));
	key_num(out, ",", "first_byte_ns", time_or_unknown(x->t_first_byte));
	key_num(out, ",", "first_token_ns", time_or_unknown(x->t_first_token));
	key_num(out, ",", "end_ns", time_or_unknown(x->t_end));
	fputc('}', out);
	fprintf(out, ",\"complete\":{\"request\":%s,\"response\":%s}",
		x->request_complete ? "true" : "false", x->response_complete ? "true" : "false");
	if (x->request_parse_error || x->response_parse_error)
		fprintf(out, ",\"parse_error\":{\"request\":%s,\"response\":%s}",
			x->request_parse_error ? "true" : "false",
			x->response_parse_error ? "true" : "false");
	exchange_write_identity(out, w);
	fputs("}\n", out);
}

void exchange_write_identity(FILE *out, const struct x_identity *w)
{
	fprintf(out, ",\"identity\":{\"connection_id\":%" PRIu64, w->conn_id);
	key_str(out, "capture_source", w->source);
	fprintf(out, ",\"pid\":%u,\"tid\":%u,\"uid\":%u,\"cgroup_id\":%" PRIu64, w->pid, w->tid, w->uid,
		w->cgroup_id);
	key_str(out, "comm", w->comm);
	key_str(out, "exe", w->exe);
	key_str(out, "container_id", w->container_id);
	key_str(out, "pod_uid", w->pod_uid);
	key_str(out, "local", w->local);
	key_str(out, "peer", w->peer);
	fprintf(out, ",\"role\":\"%s\"}", w->process_is_server ? "server" : "client");
}
