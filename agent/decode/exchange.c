// SPDX-License-Identifier: Apache-2.0
#include "exchange.h"

#include <stdlib.h>
#include <string.h>

void xbuf_init(struct xbuf *b, size_t limit)
{
	memset(b, 0, sizeof(*b));
	b->limit = limit;
}

void xbuf_append(struct xbuf *b, const char *s, size_t n)
{
	if (b->len + n > b->limit) {
		n = b->limit - b->len;
		b->truncated = true;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->truncated = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void xbuf_release(struct xbuf *b)
{
	free(b->p);
	xbuf_init(b, b->limit);
}

struct exchange *exchange_new(void)
{
	struct exchange *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->prompt_tokens = x->completion_tokens = x->total_tokens = -1;
	xbuf_init(&x->tool_args_in, X_SMALL_LIMIT);
	xbuf_init(&x->tools, X_TOOLS_LIMIT);
	xbuf_init(&x->error_body, X_SMALL_LIMIT);
	return x;
}

void exchange_free(struct exchange *x)
{
	if (!x)
		return;
	for (int i = 0; i < x->nmessages; i++)
		xbuf_release(&x->messages[i].text);
	for (int i = 0; i < X_MAX_CHOICES; i++) {
		xbuf_release(&x->choices[i].text);
		xbuf_release(&x->choices[i].tool_args);
	}
	xbuf_release(&x->tool_args_in);
	xbuf_release(&x->tools);
	xbuf_release(&x->error_body);
	free(x->event_memo);
	free(x);
}

struct x_message *exchange_add_message(struct exchange *x, const char *role)
{
	struct x_message *m;
	size_t used = 0;

	if (x->nmessages >= X_MAX_MESSAGES) {
		x->messages_dropped++;
		return NULL;
	}
	for (int i = 0; i < x->nmessages; i++)
		used += x->messages[i].text.len;
	m = &x->messages[x->nmessages++];
	xstrcpy(m->role, sizeof(m->role), role ? role : "");
	/* The prompt limit is shared by all messages of the exchange. */
	xbuf_init(&m->text, used < X_PROMPT_LIMIT ? X_PROMPT_LIMIT - used : 0);
	return m;
}

struct x_choice *exchange_choice(struct exchange *x, int i)
{
	struct x_choice *c;

	if (i < 0 || i >= X_MAX_CHOICES) {
		x->choices_dropped++;
		return NULL;
	}
	c = &x->choices[i];
	if (!c->used) {
		c->used = true;
		xbuf_init(&c->text, X_COMPLETION_LIMIT);
		xbuf_init(&c->tool_args, X_SMALL_LIMIT);
	}
	return c;
}

const char *llm_flavor_name(enum llm_flavor f)
{
	switch (f) {
	case LLM_OPENAI_CHAT: return "openai.chat";
	case LLM_OPENAI_COMPLETIONS: return "openai.completions";
	case LLM_OPENAI_RESPONSES: return "openai.responses";
	case LLM_OPENAI_EMBEDDINGS: return "openai.embeddings";
	case LLM_ANTHROPIC_MESSAGES: return "anthropic.messages";
	case LLM_OLLAMA_CHAT: return "ollama.chat";
	case LLM_OLLAMA_GENERATE: return "ollama.generate";
	case LLM_TGI_GENERATE: return "tgi.generate";
	case LLM_TGI_GENERATE_STREAM: return "tgi.generate_stream";
	case LLM_GUESS:
	case LLM_NONE: break;
	}
	return "none";
}

bool xstrcpy(char *dst, size_t dstsz, const char *src)
{
	size_t n = strnlen(src, dstsz);
	bool cut = n == dstsz;

	if (cut)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return cut;
}
