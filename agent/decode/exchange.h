/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exchange - one request to a model API and its response, as decoded text:
 * what the model received and what it produced, with who and when. This is
 * the value the protocol decoders hand to the later stages (classification,
 * drift, evidence).
 *
 * Every text is a bounded buffer: past its limit the text is cut and the
 * buffer flagged truncated (counted); an exchange never grows without bound.
 */
#ifndef SEALTAP_EXCHANGE_H
#define SEALTAP_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define X_MAX_MESSAGES 64
#define X_MAX_CHOICES 8
#define X_PROMPT_LIMIT (1u << 20)     /* all prompt text of one exchange */
#define X_COMPLETION_LIMIT (1u << 20) /* per choice */
#define X_SMALL_LIMIT (16u << 10)     /* error bodies, tool arguments */
#define X_TOOLS_LIMIT (256u << 10)    /* the request's tool definitions */

enum llm_flavor {
	LLM_NONE = 0,
	LLM_OPENAI_CHAT,
	LLM_OPENAI_COMPLETIONS,
	LLM_OPENAI_RESPONSES,
	LLM_OPENAI_EMBEDDINGS,
	LLM_ANTHROPIC_MESSAGES,
	LLM_OLLAMA_CHAT,
	LLM_OLLAMA_GENERATE,
	LLM_TGI_GENERATE,
	LLM_TGI_GENERATE_STREAM,
	LLM_GUESS, /* transient: a model port, API decided from the request body */
};

struct xbuf {
	char *p; /* NUL-terminated when non-NULL */
	size_t len, cap, limit;
	bool truncated;
};

struct x_message {
	char role[16];
	struct xbuf text;
};

struct x_choice {
	bool used;
	struct xbuf text;
	struct xbuf tool_args;
	char finish_reason[32];
};

struct x_identity {
	uint64_t conn_id;       /* the connection, unique over the agent's life (0: unknown) */
	char source[16];        /* how it was captured: "openssl", "gnutls", "go", "plain" ("" unknown) */
	uint32_t pid, tid, uid;
	uint64_t cgroup_id;
	char comm[16];
	char exe[256];
	char container_id[72];
	char pod_uid[40];
	char peer[64];  /* "ip:port" or "" when unknown */
	char local[64];
	bool process_is_server; /* the watched process served the request */
};

struct jdoc_memo;

struct exchange {
	uint64_t id; /* per agent run */
	enum llm_flavor flavor;
	char method[16];
	char path[256];
	char host[128];
	bool stream_requested;
	bool json_requested; /* response_format json_object / json_schema, Ollama "format" */
	bool streamed; /* the response came as SSE or NDJSON */
	char model_requested[128];
	char model_reported[128];
	char system_fingerprint[128];
	int nmessages;
	int messages_dropped;
	struct x_message messages[X_MAX_MESSAGES];
	struct xbuf tool_args_in; /* tool-call arguments inside the prompt */
	struct xbuf tools;        /* the tool definitions offered, as their JSON text ("tools", "functions") */
	struct x_choice choices[X_MAX_CHOICES];
	int choices_dropped;
	int64_t prompt_tokens, completion_tokens, total_tokens; /* -1: not reported */
	int status;
	struct xbuf error_body;
	uint64_t t_request, t_first_byte, t_first_token, t_end; /* CLOCK_MONOTONIC ns, 0: none */
	bool request_complete, response_complete;
	bool request_parse_error, response_parse_error;
	struct x_identity who;
	void *judged; /* the classifier's state for this exchange (judge.c), released by on_done */
	unsigned output_categories; /* bit (1 << det_category) per category with an output finding (judge.c) */
	void *drifted; /* the drift features' state (drift.c), released by on_done */
	struct jdoc_memo *event_memo; /* the last streamed event's tokens (llm.c, jsonview.h); one block */
	struct {
		uint8_t op; /* llm.c: the one append the last streamed event made, 0: none or more */
		int32_t tok, choice;
	} replay;
};

/* Receives exchanges as they are produced. on_request gets the exchange
 * once its request (the prompt) is decoded; on_delta each piece of a
 * choice's completion text in order, as it arrives; on_done the finished
 * exchange (valid only during the call). Every exchange that reached
 * on_request or on_delta reaches on_done before it is freed. */
struct exchange_sink {
	void (*on_request)(void *ctx, struct exchange *x);
	void (*on_delta)(void *ctx, struct exchange *x, int choice, const char *text, size_t len);
	void (*on_done)(void *ctx, struct exchange *x);
	void *ctx;
};

struct exchange *exchange_new(void);
void exchange_free(struct exchange *x);

void xbuf_init(struct xbuf *b, size_t limit);
/* Appends; cuts at the limit (flagging truncated). Out of memory also cuts. */
void xbuf_append(struct xbuf *b, const char *s, size_t n);
void xbuf_release(struct xbuf *b);

/* Adds a prompt message (role, text); counts it as dropped past
 * X_MAX_MESSAGES. Returns the message or NULL. */
struct x_message *exchange_add_message(struct exchange *x, const char *role);
/* The choice slot for index i (NULL past X_MAX_CHOICES, counted). */
struct x_choice *exchange_choice(struct exchange *x, int i);

const char *llm_flavor_name(enum llm_flavor f);

/* Copies a C string into a fixed field, cutting it to fit; always
 * terminates. Returns whether it was cut. */
bool xstrcpy(char *dst, size_t dstsz, const char *src);

#endif
