// SPDX-License-Identifier: Apache-2.0
#include "session.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decode.h"
#include "http1.h"
#include "http2.h"
#include "llm.h"
#include "sse.h"

#define DETECT_BYTES 24   /* enough to recognise a client's first bytes */
#define DETECT_HOLD 512   /* held while waiting for the other direction */
/* Concurrent streams decoded per connection: Go's net/http server allows
 * 250 at once (nghttp2 and most others 100), and a gateway multiplexing
 * its clients over one connection uses them. */
#define H2_MAX_STREAMS 256
static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/* RESYNC: the first bytes were not the start of an HTTP message. Either the
 * connection is not HTTP, or it was first seen mid-stream (open before the
 * agent, or its first bytes lost): each later chunk that begins a request
 * or a response picks it up there. */
enum proto { PROTO_UNKNOWN, PROTO_HTTP1, PROTO_HTTP2, PROTO_OTHER, PROTO_RESYNC };
enum body_mode { BODY_SKIP, BODY_WHOLE, BODY_SSE, BODY_NDJSON };

/*
 * A flow is one request and its response, whatever the HTTP version: the
 * request body is collected and parsed at its end; the response body is
 * decoded and split (whole, SSE, NDJSON) into the exchange as it arrives.
 */
struct flow {
	struct session *s;
	struct exchange *x; /* NULL: not a model API call, framing only */
	bool head;          /* HEAD request: its response has no body */
	bool responded;     /* a final response head was seen */
	struct decoder req_dec;
	struct xbuf req_body;
	enum body_mode mode;
	struct decoder resp_dec;
	struct xbuf resp_body; /* BODY_WHOLE; NDJSON's partial line */
	struct sse_parser sse;
};

/* HTTP/2 stream: its flow and the header fields being collected. */
struct h2_stream {
	uint32_t sid; /* 0: free */
	struct flow *f;
	char method[16], path[512], authority[128]; /* enough to tell the API */
	char content_type[128], content_encoding[32];
	int status;
	bool grpc;
};

/* An HTTP/2 connection's state, allocated only for HTTP/2 sessions so that
 * the far more common HTTP/1.1 connection does not carry it. The stream
 * table grows with the streams open at once (a slot is 0.8 KiB; a full table
 * 216 KiB), so an idle or one-stream-at-a-time connection stays small. */
struct h2_conn {
	struct h2_parser p[2]; /* one per direction, indexed by direction */
	int cur_dir;           /* direction of the frame being parsed */
	struct h2_stream *streams;
	int nstreams;          /* slots in streams, up to H2_MAX_STREAMS */
};

#define H2_FIRST_STREAMS 4

struct session {
	struct session_env *env;
	enum proto proto;
	int req_dir; /* the direction carrying requests */
	uint8_t *detect[2]; /* first bytes per direction, until the protocol is known */
	size_t detect_len[2];
	uint64_t now; /* timestamp of the chunk being decoded */
	struct session_origin origin; /* an exchange's identity is built from it */
	bool process_is_server;
	uint64_t skipped; /* RESYNC: bytes seen before a message boundary */

	/* HTTP/1.1 */
	struct h1_parser req, resp;
	struct flow *cur_req;                 /* request being read */
	struct flow *q[SESSION_MAX_PENDING];  /* awaiting responses, oldest first */
	int qhead, qlen;
	struct flow *cur_resp;                /* response being read */
	/* h2c by Upgrade: the 101 was read; the rest of the connection is
	 * HTTP/2, and the upgraded request is answered on stream 1. */
	bool h2c_switching;
	struct flow *h2c_flow;

	struct h2_conn *h2; /* HTTP/2 sessions only */
};

/* ---- flows ---- */

/* Is this connection model traffic whatever its paths: its server end a
 * configured model port, or the watched process a configured model process? */
static bool is_model_conn(const struct session *s)
{
	uint16_t port = s->process_is_server ? s->origin.lport : s->origin.rport;

	for (int i = 0; port && i < s->env->nmodel_ports; i++)
		if (s->env->model_ports[i] == port)
			return true;
	for (int i = 0; i < s->env->nmodel_comms; i++)
		if (strcmp(s->env->model_comms[i], s->origin.comm) == 0)
			return true;
	return false;
}

static size_t max_body(const struct session *s)
{
	return s->env->max_body ? s->env->max_body : SESSION_MAX_BODY;
}

static void identity_of(const struct session *s, struct x_identity *w);

static void emit_done(struct session *s, struct exchange *x)
{
	const struct exchange_sink *sink = s->env->sink;

	/* Addresses learnt after the request began (a TLS library served its
	 * first read from bytes taken in with its handshake; its socket was
	 * seen at a later call) complete the identity by the end. */
	if (!x->who.local[0] && !x->who.peer[0] && s->origin.family)
		identity_of(s, &x->who);
	s->env->st->exchanges++;
	if (!x->request_complete || !x->response_complete)
		s->env->st->incomplete++;
	for (int i = 0; i < X_MAX_CHOICES; i++)
		if (x->choices[i].text.truncated)
			s->env->st->body_truncated++;
	if (sink && sink->on_done)
		sink->on_done(sink->ctx, x);
}

static void flow_free(struct flow *f)
{
	if (!f)
		return;
	exchange_free(f->x);
	xbuf_release(&f->req_body);
	xbuf_release(&f->resp_body);
	decode_release(&f->req_dec);
	decode_release(&f->resp_dec);
	sse_release(&f->sse);
	free(f);
}

/* Reports the flow's exchange as it stands (incomplete) and frees it. */
static void flow_abort(struct flow *f)
{
	if (f && f->x)
		emit_done(f->s, f->x);
	flow_free(f);
}

/* An exchange's identity: the connection's, completed by the environment
 * (the process's executable, container and pod; the addresses formatted). */
static void identity_of(const struct session *s, struct x_identity *w)
{
	memset(w, 0, sizeof(*w));
	w->conn_id = s->origin.conn_id;
	w->pid = s->origin.pid;
	w->tid = s->origin.tid;
	w->uid = s->origin.uid;
	w->cgroup_id = s->origin.cgroup_id;
	memcpy(w->comm, s->origin.comm, sizeof(w->comm));
	w->process_is_server = s->process_is_server;
	if (s->env->identify)
		s->env->identify(s->env->identify_ctx, &s->origin, w, s->now);
}

static struct flow *flow_request_head(struct session *s, const char *method, const char *path,
				      const char *host, const char *content_encoding)
{
	struct flow *f = calloc(1, sizeof(*f));
	enum llm_flavor fl = llm_flavor_for(method, path);
	struct exchange *x;

	if (fl == LLM_NONE && strcmp(method, "POST") == 0 && is_model_conn(s))
		fl = LLM_GUESS; /* decided from the body at the request's end */

	s->env->st->http_requests++;
	if (!f) {
		s->env->st->no_memory++;
		return NULL;
	}
	f->s = s;
	f->head = strcmp(method, "HEAD") == 0;
	if (fl == LLM_NONE) {
		s->env->st->http_other++;
		return f;
	}
	x = f->x = exchange_new();
	if (!x) {
		s->env->st->no_memory++;
		return f;
	}
	x->id = ++s->env->next_id;
	x->flavor = fl;
	x->t_request = s->now;
	xstrcpy(x->method, sizeof(x->method), method);
	xstrcpy(x->path, sizeof(x->path), path);
	xstrcpy(x->host, sizeof(x->host), host);
	identity_of(s, &x->who);
	xbuf_init(&f->req_body, max_body(s));
	if (decode_init(&f->req_dec, content_encoding, max_body(s)))
		s->env->st->decode_errors++;
	return f;
}

static void req_body_out(void *ctx, const uint8_t *d, size_t n)
{
	struct flow *f = ctx;

	xbuf_append(&f->req_body, (const char *)d, n);
}

static void flow_request_body(struct flow *f, const uint8_t *d, size_t n)
{
	if (f && f->x && decode_feed(&f->req_dec, d, n, req_body_out, f) < 0)
		f->s->env->st->decode_errors++;
}

static void flow_request_end(struct flow *f, bool complete)
{
	struct exchange *x = f ? f->x : NULL;

	if (!x)
		return;
	x->request_complete = complete;
	if (f->req_body.truncated || f->req_dec.truncated)
		f->s->env->st->body_truncated++;
	if (x->flavor == LLM_GUESS)
		x->flavor = llm_guess_flavor(f->req_body.p ? f->req_body.p : "", f->req_body.len);
	if (x->flavor == LLM_NONE) { /* a model connection, but not a model call */
		f->s->env->st->http_other++;
		exchange_free(x);
		f->x = NULL;
		xbuf_release(&f->req_body);
		decode_release(&f->req_dec);
		return;
	}
	if (llm_parse_request(x, f->req_body.p ? f->req_body.p : "", f->req_body.len)) {
		x->request_parse_error = true;
		f->s->env->st->json_errors++;
	}
	xbuf_release(&f->req_body);
	decode_release(&f->req_dec);
	if (f->s->env->sink && f->s->env->sink->on_request)
		f->s->env->sink->on_request(f->s->env->sink->ctx, x);
}

static void on_sse_event(void *ctx, const char *event, const char *data, size_t len, bool truncated)
{
	struct flow *f = ctx;
	struct session *s = f->s;

	if (truncated)
		s->env->st->body_truncated++;
	if (llm_stream_event(f->x, event, data, len, s->env->sink, s->now))
		s->env->st->json_errors++;
}

static void ndjson_line(struct flow *f, const char *line, size_t n)
{
	struct session *s = f->s;

	while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
		n--;
	if (n && llm_stream_event(f->x, "", line, n, s->env->sink, s->now))
		s->env->st->json_errors++;
}

static void resp_body_out(void *ctx, const uint8_t *d, size_t n)
{
	struct flow *f = ctx;

	switch (f->mode) {
	case BODY_SSE:
		sse_feed(&f->sse, d, n);
		break;
	case BODY_NDJSON:
		while (n > 0) {
			const uint8_t *nl = memchr(d, '\n', n);
			size_t take = nl ? (size_t)(nl - d) : n;

			if (nl && f->resp_body.len == 0) { /* a whole line in this read: no copy */
				ndjson_line(f, (const char *)d, take);
				d += take + 1;
				n -= take + 1;
				continue;
			}
			xbuf_append(&f->resp_body, (const char *)d, take);
			if (!nl)
				break;
			ndjson_line(f, f->resp_body.p ? f->resp_body.p : "", f->resp_body.len);
			xbuf_release(&f->resp_body);
			d += take + 1;
			n -= take + 1;
		}
		break;
	case BODY_WHOLE:
		xbuf_append(&f->resp_body, (const char *)d, n);
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

static void flow_response_head(struct flow *f, int status, const char *content_type,
			       const char *content_encoding)
{
	struct session *s = f->s;
	struct exchange *x = f->x;

	s->env->st->http_responses++;
	f->responded = true;
	f->mode = BODY_SKIP;
	if (!x)
		return;
	x->status = status;
	x->t_first_byte = s->now;
	if (status < 300 && content_type_is(content_type, "text/event-stream")) {
		f->mode = BODY_SSE;
		x->streamed = true;
		sse_init(&f->sse, on_sse_event, f);
	} else if (status < 300 && (content_type_is(content_type, "application/x-ndjson") ||
				    ((x->flavor == LLM_OLLAMA_CHAT || x->flavor == LLM_OLLAMA_GENERATE) &&
				     x->stream_requested))) {
		f->mode = BODY_NDJSON;
		x->streamed = true;
		xbuf_init(&f->resp_body, max_body(s));
	} else {
		f->mode = BODY_WHOLE;
		xbuf_init(&f->resp_body, max_body(s));
	}
	/* The decoded size is capped too: a compression bomb costs bounded work.
	 * A stream may legitimately decode to more than one body's cap. */
	if (decode_init(&f->resp_dec, content_encoding, (uint64_t)max_body(s) * 16)) {
		s->env->st->decode_errors++;
		f->mode = BODY_SKIP;
	}
}

static void flow_response_body(struct flow *f, const uint8_t *d, size_t n)
{
	if (f && f->x && f->mode != BODY_SKIP && decode_feed(&f->resp_dec, d, n, resp_body_out, f) < 0)
		f->s->env->st->decode_errors++;
}

/* The response ended: finish the exchange, report it, free the flow. */
static void flow_response_end(struct flow *f, bool complete)
{
	struct session *s = f->s;
	struct exchange *x = f->x;

	if (x) {
		x->response_complete = complete;
		x->t_end = s->now;
		if (f->mode == BODY_WHOLE) {
			const char *body = f->resp_body.p ? f->resp_body.p : "";

			if (f->resp_body.truncated)
				s->env->st->body_truncated++;
			if (x->status >= 400) {
				xbuf_append(&x->error_body, body, f->resp_body.len);
			} else if (x->status >= 200 &&
				   llm_parse_response(x, body, f->resp_body.len, s->env->sink, s->now)) {
				x->response_parse_error = true;
				s->env->st->json_errors++;
			}
		} else if (f->mode == BODY_NDJSON && f->resp_body.len) {
			ndjson_line(f, f->resp_body.p, f->resp_body.len);
		}
		/* A whole body counts its own cut above (its cap is lower). */
		if (f->mode != BODY_WHOLE && f->resp_dec.truncated)
			s->env->st->body_truncated++;
	}
	flow_abort(f);
}

/* ---- HTTP/1.1 ---- */

static void queue_push(struct session *s, struct flow *f)
{
	if (s->qlen == SESSION_MAX_PENDING) {
		/* The server is not answering (or we lost its side): the oldest
		 * request goes, reported as incomplete. */
		s->env->st->pending_dropped++;
		flow_abort(s->q[s->qhead]);
		s->qhead = (s->qhead + 1) % SESSION_MAX_PENDING;
		s->qlen--;
	}
	s->q[(s->qhead + s->qlen) % SESSION_MAX_PENDING] = f;
	s->qlen++;
}

static struct flow *queue_pop(struct session *s)
{
	struct flow *f;

	if (s->qlen == 0)
		return NULL;
	f = s->q[s->qhead];
	s->qhead = (s->qhead + 1) % SESSION_MAX_PENDING;
	s->qlen--;
	return f;
}

static enum h1_body on_req_head(void *ctx, const struct h1_head *h)
{
	struct session *s = ctx;

	s->cur_req = flow_request_head(s, h->method, h->path, h->host, h->content_encoding);
	return H1_BODY_AUTO;
}

static void on_req_body(void *ctx, const uint8_t *d, size_t n)
{
	struct session *s = ctx;

	flow_request_body(s->cur_req, d, n);
}

static void on_req_end(void *ctx, bool complete)
{
	struct session *s = ctx;

	if (!s->cur_req)
		return;
	flow_request_end(s->cur_req, complete);
	queue_push(s, s->cur_req);
	s->cur_req = NULL;
}

static enum h1_body on_resp_head(void *ctx, const struct h1_head *h)
{
	struct session *s = ctx;
	struct flow *f;

	if (h->status == 101 && h->upgrade_h2c) {
		s->h2c_flow = queue_pop(s);
		if (!s->h2c_flow)
			s->env->st->unpaired_responses++;
		s->h2c_switching = true;
		return H1_BODY_NONE;
	}
	if (h->status >= 100 && h->status < 200 && h->status != 101) {
		s->env->st->http_responses++;
		return H1_BODY_AUTO; /* interim: the final response is still to come */
	}
	f = queue_pop(s);
	if (!f) {
		s->env->st->unpaired_responses++;
		return H1_BODY_AUTO;
	}
	s->cur_resp = f;
	flow_response_head(f, h->status, h->content_type, h->content_encoding);
	return f->head ? H1_BODY_NONE : H1_BODY_AUTO;
}

static void on_resp_body(void *ctx, const uint8_t *d, size_t n)
{
	struct session *s = ctx;

	flow_response_body(s->cur_resp, d, n);
}

static void on_resp_end(void *ctx, bool complete)
{
	struct session *s = ctx;
	struct flow *f = s->cur_resp;

	if (!f)
		return; /* an interim response, or one we could not pair */
	s->cur_resp = NULL;
	flow_response_end(f, complete);
}

static const struct h1_callbacks req_cb = { on_req_head, on_req_body, on_req_end };
static const struct h1_callbacks resp_cb = { on_resp_head, on_resp_body, on_resp_end };

/* ---- HTTP/2 ---- */

static struct h2_stream *h2_find(struct session *s, uint32_t sid, bool create)
{
	struct h2_stream *free_slot = NULL;

	if (sid == 0 || !s->h2)
		return NULL;
	for (int i = 0; i < s->h2->nstreams; i++) {
		if (s->h2->streams[i].sid == sid)
			return &s->h2->streams[i];
		if (!s->h2->streams[i].sid && !free_slot)
			free_slot = &s->h2->streams[i];
	}
	if (!create)
		return NULL;
	if (!free_slot && s->h2->nstreams < H2_MAX_STREAMS) {
		/* Grow; slot pointers are not kept across calls, so moving is safe. */
		int n = s->h2->nstreams * 2 < H2_MAX_STREAMS ? s->h2->nstreams * 2 : H2_MAX_STREAMS;
		struct h2_stream *t = realloc(s->h2->streams, (size_t)n * sizeof(*t));

		if (!t)
			return NULL; /* counted as a dropped stream, see on_h2_headers_end */
		for (int i = s->h2->nstreams; i < n; i++)
			t[i].sid = 0;
		free_slot = &t[s->h2->nstreams];
		s->h2->streams = t;
		s->h2->nstreams = n;
	}
	if (!free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->sid = sid;
	return free_slot;
}

static void h2_stream_end(struct h2_stream *st)
{
	st->sid = 0;
	st->f = NULL;
}

static void set_field(char *dst, size_t dstsz, const uint8_t *v, size_t n)
{
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static bool name_is(const uint8_t *name, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(name, want, n) == 0; /* HTTP/2 names are lower case */
}

static void on_h2_header(void *ctx, uint32_t sid, const uint8_t *name, size_t nlen,
			 const uint8_t *value, size_t vlen)
{
	struct session *s = ctx;
	struct h2_stream *st = h2_find(s, sid, s->h2->cur_dir == s->req_dir);

	if (!st)
		return;
	if (name_is(name, nlen, ":method"))
		set_field(st->method, sizeof(st->method), value, vlen);
	else if (name_is(name, nlen, ":path"))
		set_field(st->path, sizeof(st->path), value, vlen);
	else if (name_is(name, nlen, ":authority"))
		set_field(st->authority, sizeof(st->authority), value, vlen);
	else if (name_is(name, nlen, "content-type"))
		set_field(st->content_type, sizeof(st->content_type), value, vlen);
	else if (name_is(name, nlen, "content-encoding"))
		set_field(st->content_encoding, sizeof(st->content_encoding), value, vlen);
	else if (name_is(name, nlen, ":status") && vlen == 3)
		st->status = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
}

static void on_h2_headers_end(void *ctx, uint32_t sid, bool end_stream)
{
	struct session *s = ctx;
	struct h2_stream *st = h2_find(s, sid, false);

	if (!st) {
		/* A request whose stream found no slot (the table at its cap, or
		 * unable to grow): counted once, at the end of its header block. */
		if (s->h2->cur_dir == s->req_dir)
			s->env->st->h2_streams_dropped++;
		return;
	}
	if (s->h2->cur_dir == s->req_dir) {
		if (!st->f && st->method[0]) {
			st->grpc = content_type_is(st->content_type, "application/grpc") ||
				   strncasecmp(st->content_type, "application/grpc+", 17) == 0;
			if (st->grpc)
				s->env->st->grpc++;
			st->f = flow_request_head(s, st->method, st->path, st->authority,
						  st->content_encoding);
			st->content_type[0] = st->content_encoding[0] = '\0';
		} else if (!st->f) {
			/* A request block without :method (malformed, or its first
			 * fields lost when the stream table could not grow). */
			s->env->st->parse_errors++;
		}
		if (end_stream && st->f)
			flow_request_end(st->f, true);
		return;
	}
	if (!st->f) {
		h2_stream_end(st);
		return;
	}
	if (!st->f->responded && st->status >= 200)
		flow_response_head(st->f, st->status, st->content_type, st->content_encoding);
	if (end_stream) {
		flow_response_end(st->f, true);
		h2_stream_end(st);
	}
}

static void on_h2_data(void *ctx, uint32_t sid, const uint8_t *d, size_t n)
{
	struct session *s = ctx;
	struct h2_stream *st = h2_find(s, sid, false);

	if (!st || !st->f)
		return;
	if (s->h2->cur_dir == s->req_dir)
		flow_request_body(st->f, d, n);
	else if (st->f->responded)
		flow_response_body(st->f, d, n);
}

static void on_h2_end_stream(void *ctx, uint32_t sid)
{
	struct session *s = ctx;
	struct h2_stream *st = h2_find(s, sid, false);

	if (!st || !st->f)
		return;
	if (s->h2->cur_dir == s->req_dir) {
		flow_request_end(st->f, true);
		return;
	}
	flow_response_end(st->f, st->f->responded);
	h2_stream_end(st);
}

static void on_h2_reset(void *ctx, uint32_t sid)
{
	struct session *s = ctx;
	struct h2_stream *st = h2_find(s, sid, false);

	if (!st)
		return;
	flow_abort(st->f);
	h2_stream_end(st);
}

static void on_h2_table_size(void *ctx, uint32_t size)
{
	struct session *s = ctx;

	/* Announced by this direction's receiver for the other's encoder. */
	h2_set_table_size(&s->h2->p[!s->h2->cur_dir], size);
}

static const struct h2_callbacks h2_cb = {
	on_h2_header, on_h2_headers_end, on_h2_data, on_h2_end_stream, on_h2_reset, on_h2_table_size,
};

/* ---- connection ---- */

struct session *session_new(struct session_env *env, const struct session_origin *o)
{
	struct session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->env = env;
	s->origin = *o;
	s->origin.comm[sizeof(s->origin.comm) - 1] = '\0';
	env->st->sessions++;
	return s;
}

void session_learn_addresses(struct session *s, const struct session_origin *o)
{
	if (s->origin.family || !o->family)
		return;
	s->origin.family = o->family;
	memcpy(s->origin.laddr, o->laddr, sizeof(s->origin.laddr));
	memcpy(s->origin.raddr, o->raddr, sizeof(s->origin.raddr));
	s->origin.lport = o->lport;
	s->origin.rport = o->rport;
}

static void start(struct session *s, enum proto proto, int req_dir)
{
	s->proto = proto;
	s->req_dir = req_dir;
	s->process_is_server = req_dir == SESSION_RECEIVED;
	if (proto == PROTO_HTTP1) {
		s->env->st->proto_http1++;
		h1_init(&s->req, true, &req_cb, s);
		h1_init(&s->resp, false, &resp_cb, s);
		return;
	}
	s->env->st->proto_http2++;
	/* A free slot needs only its sid cleared (h2_find clears a slot when it
	 * takes it). */
	s->h2 = calloc(1, sizeof(*s->h2));
	if (s->h2) {
		s->h2->cur_dir = req_dir;
		s->h2->streams = malloc(H2_FIRST_STREAMS * sizeof(*s->h2->streams));
		s->h2->nstreams = s->h2->streams ? H2_FIRST_STREAMS : 0;
		for (int i = 0; i < s->h2->nstreams; i++)
			s->h2->streams[i].sid = 0;
	}
	if (!s->h2 || !s->h2->streams || h2_init(&s->h2->p[req_dir], true, &h2_cb, s) ||
	    h2_init(&s->h2->p[!req_dir], false, &h2_cb, s)) {
		if (s->h2) {
			h2_release(&s->h2->p[0]);
			h2_release(&s->h2->p[1]);
			free(s->h2->streams);
			free(s->h2);
			s->h2 = NULL;
		}
		s->env->st->no_memory++; /* the connection goes undecoded */
		s->proto = PROTO_OTHER;
	}
}

/* Does the data start like an HTTP/2 SETTINGS frame on stream 0? A server
 * sends one right after the handshake, often before it reads the client's
 * preface, so the protocol is decided by the other direction. */
static bool h2_settings_start(const uint8_t *b, size_t n)
{
	if (n < 9)
		return n < 4 || b[3] == 4;
	return b[3] == 4 && (b[0] << 16 | b[1] << 8 | b[2]) % 6 == 0 && !(b[5] | b[6] | b[7] | b[8]);
}

static void give_up(struct session *s)
{
	s->proto = PROTO_OTHER;
	s->env->st->proto_other++;
}

/* Not the start of an HTTP message: count it as other until a message
 * boundary proves otherwise (resync). What detection held is skipped; the
 * chunk being looked at may itself begin a message (the caller resyncs on
 * it). */
static void wait_for_boundary(struct session *s)
{
	s->proto = PROTO_RESYNC;
	s->env->st->proto_other++;
	s->skipped = s->detect_len[0] + s->detect_len[1];
}


/* Looks at the first bytes of each direction (held across chunks) and
 * decides the protocol. Returns false when it could not (counted as
 * other, and waiting for a message boundary). */
static bool detect(struct session *s, int dir, const uint8_t *data, size_t len)
{
	size_t held = s->detect_len[dir];
	size_t take = len < DETECT_HOLD - held ? len : DETECT_HOLD - held;
	size_t pl = sizeof(h2_preface) - 1, n = held + take;
	uint8_t *buf;

	if (!s->detect[dir] && !(s->detect[dir] = malloc(DETECT_HOLD))) {
		s->env->st->no_memory++;
		give_up(s);
		return false;
	}
	buf = s->detect[dir];
	memcpy(buf + held, data, take);
	if (memcmp(buf, h2_preface, n < pl ? n : pl) == 0) {
		if (n >= pl)
			start(s, PROTO_HTTP2, dir);
	} else if (h1_looks_like_request(buf, n)) {
		start(s, PROTO_HTTP1, dir);
	} else if (h1_looks_like_response(buf, n)) {
		start(s, PROTO_HTTP1, !dir);
	} else if (n >= DETECT_BYTES && !h2_settings_start(buf, n)) {
		wait_for_boundary(s);
		return false;
	}
	if (s->proto != PROTO_UNKNOWN)
		return true; /* the caller replays held bytes, then this chunk */
	if (take < len) { /* undecided, and more than we hold */
		wait_for_boundary(s);
		return false;
	}
	s->detect_len[dir] = n;
	return true;
}

/* After an h2c 101: the connection's HTTP/1 state goes, HTTP/2 starts (the
 * client's preface comes next, as with prior knowledge), and the request
 * that asked for the upgrade waits for its answer on stream 1. */
static void switch_to_h2c(struct session *s)
{
	struct flow *upgraded = s->h2c_flow;
	struct h2_stream *st;

	s->h2c_switching = false;
	s->h2c_flow = NULL;
	/* Nothing can follow the upgrade request in HTTP/1. */
	flow_abort(s->cur_req);
	s->cur_req = NULL;
	for (struct flow *f; (f = queue_pop(s)) != NULL;)
		flow_abort(f);
	h1_release(&s->req);
	h1_release(&s->resp);
	start(s, PROTO_HTTP2, s->req_dir);
	st = s->proto == PROTO_HTTP2 ? h2_find(s, 1, true) : NULL;
	if (st)
		st->f = upgraded;
	else
		flow_abort(upgraded);
}

static void feed(struct session *s, int dir, const uint8_t *d, size_t n)
{
	size_t used;

	if (n == 0)
		return;
	if (s->proto == PROTO_HTTP1) {
		used = h1_feed(dir == s->req_dir ? &s->req : &s->resp, d, n);
		/* The 101's own chunk may carry the server's first HTTP/2 frames. */
		if (s->h2c_switching && dir != s->req_dir) {
			switch_to_h2c(s);
			feed(s, dir, d + used, n - used);
		}
	} else if (s->proto == PROTO_HTTP2) {
		s->h2->cur_dir = dir;
		h2_feed(&s->h2->p[dir], d, n);
	}
}

/* A chunk of a RESYNC connection: when it begins a request or a response,
 * HTTP/1.1 decoding starts with it and what came before is counted as
 * skipped. Only chunk starts are looked at: a call boundary is where a
 * message most often begins, and a look costs a few compares. HTTP/2 cannot
 * be picked up mid-stream (its header compression state is unknown): such a
 * connection stays here, counted as other. */
static void resync(struct session *s, int dir, const uint8_t *data, size_t len)
{
	if (h1_looks_like_request(data, len))
		start(s, PROTO_HTTP1, dir);
	else if (h1_looks_like_response(data, len))
		start(s, PROTO_HTTP1, !dir);
	else {
		s->skipped += len;
		return;
	}
	s->env->st->resynced++;
	s->env->st->resync_skipped_bytes += s->skipped;
	s->skipped = 0;
	feed(s, dir, data, len);
}

void session_data(struct session *s, enum session_dir dir, const uint8_t *data, size_t len, uint64_t now_ns,
		  uint64_t gap)
{
	s->now = now_ns;
	if (s->proto == PROTO_RESYNC) {
		resync(s, (int)dir, data, len);
		return;
	}
	if (s->proto == PROTO_UNKNOWN) {
		size_t held = s->detect_len[dir];

		if (gap) { /* its start was lost: only a message boundary can tell */
			wait_for_boundary(s);
			resync(s, (int)dir, data, len);
			goto done;
		}
		if (!detect(s, dir, data, len) ||
		    (s->proto != PROTO_HTTP1 && s->proto != PROTO_HTTP2)) {
			if (s->proto == PROTO_RESYNC)
				resync(s, (int)dir, data, len);
			goto done;
		}
		/* Replay what detection held: the other direction's first bytes,
		 * and this direction's earlier chunks and this one. */
		feed(s, !dir, s->detect[!dir], s->detect_len[!dir]);
		feed(s, dir, s->detect[dir], held);
		feed(s, dir, data, len);
done:
		if (s->proto != PROTO_UNKNOWN)
			for (int k = 0; k < 2; k++) {
				free(s->detect[k]);
				s->detect[k] = NULL;
			}
		return;
	}
	if (gap && (s->proto == PROTO_HTTP1 || s->proto == PROTO_HTTP2)) {
		s->env->st->gaps++;
		if (s->proto == PROTO_HTTP1)
			h1_gap((int)dir == s->req_dir ? &s->req : &s->resp, gap);
		else
			h2_gap(&s->h2->p[dir]);
	}
	feed(s, dir, data, len);
}

void session_close(struct session *s)
{
	if (!s)
		return;
	if (s->proto == PROTO_HTTP1) {
		h1_eof(&s->req);
		h1_eof(&s->resp);
		s->env->st->parse_errors += s->req.st.errors + s->resp.st.errors;
		s->env->st->no_memory += s->req.st.no_memory + s->resp.st.no_memory;
		h1_release(&s->req);
		h1_release(&s->resp);
		/* Requests that never got (all of) their response. */
		flow_abort(s->h2c_flow);
		flow_abort(s->cur_req);
		for (struct flow *f; (f = queue_pop(s)) != NULL;)
			flow_abort(f);
	} else if (s->proto == PROTO_HTTP2) {
		for (int i = 0; i < 2; i++) {
			struct h2_parser *p = &s->h2->p[i];

			s->env->st->parse_errors += p->st.frame_errors + p->st.hpack_errors;
			s->env->st->h2_table_clamped += p->st.table_clamped;
			h2_release(p);
		}
		for (int i = 0; i < s->h2->nstreams; i++)
			if (s->h2->streams[i].sid)
				flow_abort(s->h2->streams[i].f);
		free(s->h2->streams);
		free(s->h2);
	}
	free(s->detect[0]);
	free(s->detect[1]);
	free(s);
}
