// SPDX-License-Identifier: Apache-2.0
#include "session.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decode.h"
#include "http1.h"
#include "identity.h"
#include "llm.h"
#include "sse.h"
#include "sslsniff.h"

#define DETECT_BYTES 24
static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum proto { PROTO_UNKNOWN, PROTO_HTTP1, PROTO_HTTP2, PROTO_OTHER };
enum body_mode { BODY_SKIP, BODY_WHOLE, BODY_SSE, BODY_NDJSON };

struct pending {
	struct exchange *x; /* NULL: not a model API call */
	bool head;          /* HEAD request: its response has no body */
};

struct session {
	struct session_env *env;
	enum proto proto;
	int req_dir; /* the direction carrying requests */
	uint8_t detect[2][DETECT_BYTES];
	size_t detect_len[2];
	uint64_t now; /* timestamp of the chunk being decoded */
	struct x_identity who;

	struct h1_parser req, resp;
	/* Request being read. */
	struct pending cur_req;
	struct decoder req_dec;
	struct xbuf req_body;
	/* Requests awaiting their responses, oldest first. */
	struct pending q[SESSION_MAX_PENDING];
	int qhead, qlen;
	/* Response being read. */
	struct exchange *cur_resp;
	bool resp_active;
	enum body_mode mode;
	struct decoder resp_dec;
	struct xbuf resp_body;   /* BODY_WHOLE; also NDJSON's partial line */
	struct sse_parser sse;
};

static void emit_done(struct session *s, struct exchange *x)
{
	const struct exchange_sink *sink = s->env->sink;

	s->env->st->exchanges++;
	if (!x->request_complete || !x->response_complete)
		s->env->st->incomplete++;
	for (int i = 0; i < X_MAX_CHOICES; i++)
		if (x->choices[i].text.truncated)
			s->env->st->body_truncated++;
	if (sink && sink->on_done)
		sink->on_done(sink->ctx, x);
	exchange_free(x);
}

/* ---- request side ---- */

static void req_body_out(void *ctx, const uint8_t *d, size_t n)
{
	struct session *s = ctx;

	xbuf_append(&s->req_body, (const char *)d, n);
}

static enum h1_body on_req_head(void *ctx, const struct h1_head *h)
{
	struct session *s = ctx;
	enum llm_flavor f = llm_flavor_for(h->method, h->path);

	s->env->st->http_requests++;
	memset(&s->cur_req, 0, sizeof(s->cur_req));
	s->cur_req.head = strcmp(h->method, "HEAD") == 0;
	if (f == LLM_NONE) {
		s->env->st->http_other++;
		return H1_BODY_AUTO;
	}
	s->cur_req.x = exchange_new();
	if (!s->cur_req.x)
		return H1_BODY_AUTO;
	s->cur_req.x->id = ++s->env->next_id;
	s->cur_req.x->flavor = f;
	s->cur_req.x->t_request = s->now;
	xstrcpy(s->cur_req.x->method, sizeof(s->cur_req.x->method), h->method);
	xstrcpy(s->cur_req.x->path, sizeof(s->cur_req.x->path), h->path);
	xstrcpy(s->cur_req.x->host, sizeof(s->cur_req.x->host), h->host);
	s->cur_req.x->who = s->who;
	identity_fill(&s->cur_req.x->who, s->now);
	xbuf_init(&s->req_body, SESSION_MAX_BODY);
	if (decode_init(&s->req_dec, h->content_encoding, SESSION_MAX_BODY))
		s->env->st->decode_errors++;
	return H1_BODY_AUTO;
}

static void on_req_body(void *ctx, const uint8_t *d, size_t n)
{
	struct session *s = ctx;

	if (s->cur_req.x && decode_feed(&s->req_dec, d, n, req_body_out, s) < 0)
		s->env->st->decode_errors++;
}

static void on_req_end(void *ctx, bool complete)
{
	struct session *s = ctx;
	struct exchange *x = s->cur_req.x;

	if (x) {
		x->request_complete = complete;
		if (s->req_body.truncated)
			s->env->st->body_truncated++;
		if (llm_parse_request(x, s->req_body.p ? s->req_body.p : "", s->req_body.len)) {
			x->request_parse_error = true;
			s->env->st->json_errors++;
		}
		xbuf_release(&s->req_body);
		decode_release(&s->req_dec);
	}
	if (s->qlen == SESSION_MAX_PENDING) {
		/* The server is not answering (or we lost its side): the oldest
		 * request goes, reported as incomplete. */
		struct pending *old = &s->q[s->qhead];

		s->env->st->pending_dropped++;
		if (old->x)
			emit_done(s, old->x);
		s->qhead = (s->qhead + 1) % SESSION_MAX_PENDING;
		s->qlen--;
	}
	s->q[(s->qhead + s->qlen) % SESSION_MAX_PENDING] = s->cur_req;
	s->qlen++;
	memset(&s->cur_req, 0, sizeof(s->cur_req));
}

/* ---- response side ---- */

static void on_sse_event(void *ctx, const char *event, const char *data, size_t len, bool truncated)
{
	struct session *s = ctx;

	if (truncated)
		s->env->st->body_truncated++;
	if (s->cur_resp && llm_stream_event(s->cur_resp, event, data, len, s->env->sink, s->now))
		s->env->st->json_errors++;
}

static void ndjson_line(struct session *s, const char *line, size_t n)
{
	while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
		n--;
	if (n && llm_stream_event(s->cur_resp, "", line, n, s->env->sink, s->now))
		s->env->st->json_errors++;
}

static void resp_body_out(void *ctx, const uint8_t *d, size_t n)
{
	struct session *s = ctx;

	switch (s->mode) {
	case BODY_SSE:
		sse_feed(&s->sse, d, n);
		break;
	case BODY_NDJSON:
		while (n > 0) {
			const uint8_t *nl = memchr(d, '\n', n);
			size_t take = nl ? (size_t)(nl - d) : n;

			xbuf_append(&s->resp_body, (const char *)d, take);
			if (!nl)
				break;
			ndjson_line(s, s->resp_body.p ? s->resp_body.p : "", s->resp_body.len);
			xbuf_release(&s->resp_body);
			d += take + 1;
			n -= take + 1;
		}
		break;
	case BODY_WHOLE:
		xbuf_append(&s->resp_body, (const char *)d, n);
		break;
	case BODY_SKIP:
		break;
	}
}

static bool content_type_is(const char *ct, const char *want)
{
	size_t n = strlen(want);

	return strncasecmp(ct, want, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static enum h1_body on_resp_head(void *ctx, const struct h1_head *h)
{
	struct session *s = ctx;
	struct pending p = { 0 };

	s->env->st->http_responses++;
	if (h->status >= 100 && h->status < 200 && h->status != 101)
		return H1_BODY_AUTO; /* interim: the final response is still to come */
	if (s->qlen > 0) {
		p = s->q[s->qhead];
		s->qhead = (s->qhead + 1) % SESSION_MAX_PENDING;
		s->qlen--;
	} else {
		s->env->st->unpaired_responses++;
	}
	s->resp_active = true;
	s->cur_resp = p.x;
	s->mode = BODY_SKIP;
	if (!p.x)
		return p.head ? H1_BODY_NONE : H1_BODY_AUTO;
	p.x->status = h->status;
	p.x->t_first_byte = s->now;
	if (h->status < 300 && content_type_is(h->content_type, "text/event-stream")) {
		s->mode = BODY_SSE;
		p.x->streamed = true;
		sse_init(&s->sse, on_sse_event, s);
	} else if (h->status < 300 && (content_type_is(h->content_type, "application/x-ndjson") ||
				       ((p.x->flavor == LLM_OLLAMA_CHAT ||
					 p.x->flavor == LLM_OLLAMA_GENERATE) &&
					p.x->stream_requested))) {
		s->mode = BODY_NDJSON;
		p.x->streamed = true;
		xbuf_init(&s->resp_body, SESSION_MAX_BODY);
	} else {
		s->mode = BODY_WHOLE;
		xbuf_init(&s->resp_body, SESSION_MAX_BODY);
	}
	if (decode_init(&s->resp_dec, h->content_encoding, SESSION_MAX_BODY * 4)) {
		s->env->st->decode_errors++;
		s->mode = BODY_SKIP;
	}
	return p.head ? H1_BODY_NONE : H1_BODY_AUTO;
}

static void on_resp_body(void *ctx, const uint8_t *d, size_t n)
{
	struct session *s = ctx;

	if (s->cur_resp && s->mode != BODY_SKIP &&
	    decode_feed(&s->resp_dec, d, n, resp_body_out, s) < 0)
		s->env->st->decode_errors++;
}

static void on_resp_end(void *ctx, bool complete)
{
	struct session *s = ctx;
	struct exchange *x = s->cur_resp;

	if (!s->resp_active)
		return; /* an interim 1xx response ended */
	s->resp_active = false;
	s->cur_resp = NULL;
	if (!x)
		return;
	x->response_complete = complete;
	x->t_end = s->now;
	if (s->mode == BODY_WHOLE) {
		const char *body = s->resp_body.p ? s->resp_body.p : "";

		if (s->resp_body.truncated)
			s->env->st->body_truncated++;
		if (x->status >= 400)
			xbuf_append(&x->error_body, body, s->resp_body.len);
		else if (x->status >= 200 && x->flavor != LLM_OPENAI_EMBEDDINGS &&
			 llm_parse_response(x, body, s->resp_body.len, s->env->sink, s->now)) {
			x->response_parse_error = true;
			s->env->st->json_errors++;
		} else if (x->flavor == LLM_OPENAI_EMBEDDINGS) {
			llm_parse_response(x, body, s->resp_body.len, s->env->sink, s->now);
		}
	} else if (s->mode == BODY_NDJSON && s->resp_body.len) {
		ndjson_line(s, s->resp_body.p, s->resp_body.len);
	}
	if (s->mode == BODY_SSE)
		sse_release(&s->sse);
	xbuf_release(&s->resp_body);
	decode_release(&s->resp_dec);
	s->mode = BODY_SKIP;
	emit_done(s, x);
}

static const struct h1_callbacks req_cb = { on_req_head, on_req_body, on_req_end };
static const struct h1_callbacks resp_cb = { on_resp_head, on_resp_body, on_resp_end };

/* ---- connection ---- */

struct session *session_new(struct session_env *env)
{
	struct session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->env = env;
	env->st->sessions++;
	return s;
}

static void format_addr(char *out, size_t outsz, uint8_t family, const uint8_t *addr, uint16_t port)
{
	char text[INET6_ADDRSTRLEN];

	out[0] = '\0';
	if (family == ST_AF_INET && inet_ntop(AF_INET, addr, text, sizeof(text)))
		snprintf(out, outsz, "%s:%u", text, port);
	else if (family == ST_AF_INET6 && inet_ntop(AF_INET6, addr, text, sizeof(text)))
		snprintf(out, outsz, "[%s]:%u", text, port);
}

static void set_identity(struct session *s, const struct st_data_record *d)
{
	struct x_identity *w = &s->who;

	w->pid = d->h.pid;
	w->tid = d->h.tid;
	w->uid = d->h.uid;
	w->cgroup_id = d->h.cgroup_id;
	memcpy(w->comm, d->h.comm, sizeof(w->comm));
	w->comm[sizeof(w->comm) - 1] = '\0';
	format_addr(w->local, sizeof(w->local), d->family, d->laddr, d->lport);
	format_addr(w->peer, sizeof(w->peer), d->family, d->raddr, d->rport);
}

/* Decides the protocol from the first bytes of either direction. */
static void detect(struct session *s, int dir, const uint8_t *data, size_t len)
{
	uint8_t *buf = s->detect[dir];
	size_t *n = &s->detect_len[dir];
	size_t take = DETECT_BYTES - *n < len ? DETECT_BYTES - *n : len;
	size_t pl = sizeof(h2_preface) - 1;

	memcpy(buf + *n, data, take);
	*n += take;
	if (*n >= pl || memcmp(buf, h2_preface, *n) != 0) {
		if (*n >= pl && memcmp(buf, h2_preface, pl) == 0) {
			s->proto = PROTO_HTTP2;
			s->env->st->proto_http2++;
			return;
		}
	} else {
		return; /* could still be the HTTP/2 preface */
	}
	if (h1_looks_like_request(buf, *n) || h1_looks_like_response(buf, *n)) {
		s->proto = PROTO_HTTP1;
		s->req_dir = h1_looks_like_request(buf, *n) ? dir : !dir;
		s->who.process_is_server = s->req_dir == ST_DIR_READ;
		s->env->st->proto_http1++;
		h1_init(&s->req, true, &req_cb, s);
		h1_init(&s->resp, false, &resp_cb, s);
		return;
	}
	if (*n >= DETECT_BYTES) {
		s->proto = PROTO_OTHER;
		s->env->st->proto_other++;
	}
}

void session_data(struct session *s, const struct st_data_record *d, uint64_t gap)
{
	int dir = d->dir;

	s->now = d->h.ts_ns;
	if (s->proto == PROTO_UNKNOWN) {
		if (!s->who.pid)
			set_identity(s, d);
		size_t held = s->detect_len[dir];

		if (gap) /* a connection whose start we lost: we can't tell */
			return;
		detect(s, dir, d->data, d->data_len);
		if (s->proto != PROTO_HTTP1)
			return;
		/* Replay what detection held: the other direction's first bytes,
		 * and this direction's earlier chunks. */
		h1_feed((!dir) == s->req_dir ? &s->req : &s->resp, s->detect[!dir], s->detect_len[!dir]);
		h1_feed(dir == s->req_dir ? &s->req : &s->resp, s->detect[dir], held);
		h1_feed(dir == s->req_dir ? &s->req : &s->resp, d->data, d->data_len);
		return;
	}
	if (s->proto != PROTO_HTTP1)
		return;
	if (gap) {
		s->env->st->gaps++;
		h1_gap(dir == s->req_dir ? &s->req : &s->resp, gap);
	}
	h1_feed(dir == s->req_dir ? &s->req : &s->resp, d->data, d->data_len);
}

void session_close(struct session *s)
{
	if (!s)
		return;
	if (s->proto == PROTO_HTTP1) {
		h1_eof(&s->req);
		h1_eof(&s->resp);
		s->env->st->parse_errors += s->req.st.errors + s->resp.st.errors;
		h1_release(&s->req);
		h1_release(&s->resp);
	}
	/* Requests that never got their response. */
	if (s->cur_req.x) {
		s->cur_req.x->request_complete = false;
		emit_done(s, s->cur_req.x);
	}
	while (s->qlen > 0) {
		struct pending *p = &s->q[s->qhead];

		if (p->x)
			emit_done(s, p->x);
		s->qhead = (s->qhead + 1) % SESSION_MAX_PENDING;
		s->qlen--;
	}
	xbuf_release(&s->req_body);
	xbuf_release(&s->resp_body);
	decode_release(&s->req_dec);
	decode_release(&s->resp_dec);
	sse_release(&s->sse);
	free(s);
}
