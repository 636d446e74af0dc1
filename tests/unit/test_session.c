// SPDX-License-Identifier: Apache-2.0
/*
 * Decoder tests over byte streams recorded from real clients and servers
 * (tests/fixtures, recorded by tests/fixtures/record.py): every fixture is
 * fed whole, split at every byte position of the request and of the
 * response, and one byte at a time; each run must produce exactly the
 * expected exchange.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <nghttp2/nghttp2.h>

#include "exchange.h"
#include "jsonview.h"
#include "session.h"

#ifndef FIXTURES
#define FIXTURES "tests/fixtures"
#endif

struct blob {
	uint8_t *p;
	size_t n;
};

struct result {
	int done;
	char api[32];
	char prompt[4096];
	char completion[4096];
	char deltas[4096];
	char finish[32];
	char model_reported[128];
	int complete_req, complete_resp;
	size_t first_delta_at; /* response bytes fed when the first delta came */
};

static struct result res;
static size_t fed_resp;

static struct blob load(const char *name, const char *ext)
{
	char path[512];
	struct blob b = { 0 };
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s.%s", FIXTURES, name, ext);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b.p = malloc((size_t)n + 1);
	assert_int_equal(fread(b.p, 1, (size_t)n, f), (size_t)n);
	b.p[n] = 0;
	b.n = (size_t)n;
	fclose(f);
	return b;
}

static void on_delta(void *ctx, struct exchange *x, int choice, const char *text, size_t len)
{
	(void)ctx;
	(void)x;
	assert_int_equal(choice, 0);
	if (!res.deltas[0])
		res.first_delta_at = fed_resp;
	strncat(res.deltas, text, len < sizeof(res.deltas) - strlen(res.deltas) - 1 ? len : 0);
}

static void on_done(void *ctx, struct exchange *x)
{
	(void)ctx;
	res.done++;
	snprintf(res.api, sizeof(res.api), "%s", llm_flavor_name(x->flavor));
	res.prompt[0] = '\0';
	for (int i = 0; i < x->nmessages; i++) {
		strncat(res.prompt, x->messages[i].role, sizeof(res.prompt) - strlen(res.prompt) - 1);
		strncat(res.prompt, "\t", sizeof(res.prompt) - strlen(res.prompt) - 1);
		strncat(res.prompt, x->messages[i].text.p ? x->messages[i].text.p : "",
			sizeof(res.prompt) - strlen(res.prompt) - 1);
		strncat(res.prompt, "\n", sizeof(res.prompt) - strlen(res.prompt) - 1);
	}
	snprintf(res.completion, sizeof(res.completion), "%s", x->choices[0].text.p ? x->choices[0].text.p : "");
	snprintf(res.finish, sizeof(res.finish), "%s", x->choices[0].finish_reason);
	snprintf(res.model_reported, sizeof(res.model_reported), "%s", x->model_reported);
	res.complete_req = x->request_complete;
	res.complete_resp = x->response_complete;
}

static void feed(struct session *s, int dir, const uint8_t *d, size_t n, uint64_t *off)
{
	uint8_t *chunk = malloc(n ? n : 1); /* exactly sized: ASan sees a read past the chunk */

	assert_non_null(chunk);
	memcpy(chunk, d, n);
	session_data(s, (enum session_dir)dir, chunk, n, 1000 + *off, 0);
	free(chunk);
	*off += n;
	if (dir == SESSION_RECEIVED)
		fed_resp += n;
}

static const struct session_origin origin = { .pid = 4242, .comm = "client" };

/* A session of the watched client, with its sink, stats and offsets, the
 * results cleared. */
struct conn {
	struct session_stats st;
	struct exchange_sink sink;
	struct session_env env;
	struct session *s;
	uint64_t off[2];
};

static void conn_open(struct conn *c)
{
	memset(c, 0, sizeof(*c));
	c->sink = (struct exchange_sink){ .on_delta = on_delta, .on_done = on_done };
	c->env = (struct session_env){ .sink = &c->sink, .st = &c->st };
	c->s = session_new(&c->env, &origin);
	assert_non_null(c->s);
	memset(&res, 0, sizeof(res));
	fed_resp = 0;
}

/* Feeds req split at rk and resp split at mk (0: whole), or in steps of
 * `step` bytes when step > 0. The watched process is the client. */
static void run(const struct blob *req, const struct blob *resp, size_t rk, size_t mk, size_t step)
{
	struct conn cn;
	struct session *s;
	uint64_t *off = cn.off;

	conn_open(&cn);
	s = cn.s;
	if (step) {
		for (size_t i = 0; i < req->n; i += step)
			feed(s, SESSION_SENT, req->p + i, req->n - i < step ? req->n - i : step, &off[0]);
		for (size_t i = 0; i < resp->n; i += step)
			feed(s, SESSION_RECEIVED, resp->p + i, resp->n - i < step ? resp->n - i : step, &off[1]);
	} else {
		feed(s, SESSION_SENT, req->p, rk ? rk : req->n, &off[0]);
		if (rk)
			feed(s, SESSION_SENT, req->p + rk, req->n - rk, &off[0]);
		feed(s, SESSION_RECEIVED, resp->p, mk ? mk : resp->n, &off[1]);
		if (mk)
			feed(s, SESSION_RECEIVED, resp->p + mk, resp->n - mk, &off[1]);
	}
	session_close(s);
	assert_int_equal(cn.st.json_errors, 0);
	assert_int_equal(cn.st.parse_errors, 0);
}

struct expect {
	char api[32], prompt[4096], completion[4096], finish[32], model[128];
};

static void load_expect(const char *name, struct expect *e)
{
	struct blob b = load(name, "expect");
	struct jdoc d;
	struct xbuf prompt;
	int p;

	assert_int_equal(jdoc_parse(&d, (const char *)b.p, b.n), 0);
	memset(e, 0, sizeof(*e));
	jdoc_copy_str(&d, jdoc_get(&d, 0, "api"), e->api, sizeof(e->api));
	jdoc_copy_str(&d, jdoc_get(&d, 0, "completion"), e->completion, sizeof(e->completion));
	jdoc_copy_str(&d, jdoc_get(&d, 0, "finish_reason"), e->finish, sizeof(e->finish));
	jdoc_copy_str(&d, jdoc_get(&d, 0, "model_reported"), e->model, sizeof(e->model));
	xbuf_init(&prompt, sizeof(e->prompt) - 1);
	p = jdoc_get(&d, 0, "prompt");
	for (int m = jdoc_first(&d, p); m >= 0; m = jdoc_next(&d, p, m)) {
		jdoc_append_str(&d, jdoc_at(&d, m, 0), &prompt);
		xbuf_append(&prompt, "\t", 1);
		jdoc_append_str(&d, jdoc_at(&d, m, 1), &prompt);
		xbuf_append(&prompt, "\n", 1);
	}
	xstrcpy(e->prompt, sizeof(e->prompt), prompt.p ? prompt.p : "");
	xbuf_release(&prompt);
	jdoc_release(&d);
	free(b.p);
}

static void check(const struct expect *e, const char *how, size_t at)
{
	if (res.done != 1 || strcmp(res.api, e->api) || strcmp(res.prompt, e->prompt) ||
	    strcmp(res.completion, e->completion) || strcmp(res.deltas, e->completion) ||
	    strcmp(res.finish, e->finish) || strcmp(res.model_reported, e->model) || !res.complete_req ||
	    !res.complete_resp)
		fail_msg("%s at %zu: done=%d api=%s finish=%s model=%s complete=%d/%d\nprompt=%s\ncompletion=%s\n"
			 "deltas=%s",
			 how, at, res.done, res.api, res.finish, res.model_reported, res.complete_req,
			 res.complete_resp, res.prompt, res.completion, res.deltas);
}

static void fixture_every_split(const char *name)
{
	struct blob req = load(name, "req"), resp = load(name, "resp");
	struct expect e;

	load_expect(name, &e);
	run(&req, &resp, 0, 0, 0);
	check(&e, "whole", 0);
	for (size_t k = 1; k < req.n; k++) {
		run(&req, &resp, k, 0, 0);
		check(&e, "request split", k);
	}
	for (size_t k = 1; k < resp.n; k++) {
		run(&req, &resp, 0, k, 0);
		check(&e, "response split", k);
	}
	run(&req, &resp, 0, 0, 1);
	check(&e, "byte by byte", 1);
	free(req.p);
	free(resp.p);
}

static void test_session_openai_chat_sse(void **state)
{
	(void)state;
	fixture_every_split("openai_chat_sse");
}

static void test_session_openai_chat_gzip(void **state)
{
	(void)state;
	fixture_every_split("openai_chat_gzip");
}

static void test_session_anthropic_sse(void **state)
{
	(void)state;
	fixture_every_split("anthropic_sse");
}

static void test_session_ollama_ndjson(void **state)
{
	(void)state;
	fixture_every_split("ollama_ndjson");
}

static void test_session_tgi_sse(void **state)
{
	(void)state;
	fixture_every_split("tgi_sse");
}

static void test_session_openai_chat_http2(void **state)
{
	(void)state;
	fixture_every_split("openai_chat_h2_sse");
}

/* h2c by Upgrade (curl --http2 over http://, recorded): the client's HTTP/1.1
 * request, the server's 101 and HTTP/2 after it, then the client's preface,
 * fed in the order they happen (the preface only follows the 101), with
 * the response split at every point and the upgrade request at every point. */
static void run_upgrade(const struct blob *req, size_t preface_at, const struct blob *resp, size_t rk, size_t mk)
{
	struct conn cn;

	conn_open(&cn);
	feed(cn.s, SESSION_SENT, req->p, rk ? rk : preface_at, &cn.off[0]);
	if (rk)
		feed(cn.s, SESSION_SENT, req->p + rk, preface_at - rk, &cn.off[0]);
	feed(cn.s, SESSION_RECEIVED, resp->p, mk ? mk : resp->n, &cn.off[1]);
	if (mk)
		feed(cn.s, SESSION_RECEIVED, resp->p + mk, resp->n - mk, &cn.off[1]);
	feed(cn.s, SESSION_SENT, req->p + preface_at, req->n - preface_at, &cn.off[0]);
	session_close(cn.s);
	assert_int_equal(cn.st.parse_errors, 0);
	assert_int_equal(cn.st.proto_http1, 1);
	assert_int_equal(cn.st.proto_http2, 1);
}

static void test_session_h2c_upgrade(void **state)
{
	struct blob req = load("openai_chat_h2c_upgrade", "req"), resp = load("openai_chat_h2c_upgrade", "resp");
	const char *preface = memmem(req.p, req.n, "PRI * HTTP/2.0", 14);
	size_t at;
	struct expect e;

	(void)state;
	assert_non_null(preface);
	assert_non_null(memmem(resp.p, resp.n, "HTTP/1.1 101 ", 13));
	at = (size_t)(preface - (const char *)req.p);
	load_expect("openai_chat_h2c_upgrade", &e);
	run_upgrade(&req, at, &resp, 0, 0);
	check(&e, "whole", 0);
	for (size_t k = 1; k < at; k++) {
		run_upgrade(&req, at, &resp, k, 0);
		check(&e, "upgrade request split", k);
	}
	for (size_t k = 1; k < resp.n; k++) {
		run_upgrade(&req, at, &resp, 0, k);
		check(&e, "response split", k);
	}
	free(req.p);
	free(resp.p);
}

/* Real time: the first delta reaches the sink when its event is complete,
 * long before the response ends. */
static void test_session_deltas_arrive_while_streaming(void **state)
{
	struct blob req = load("openai_chat_sse", "req"), resp = load("openai_chat_sse", "resp");
	const char *first_event_end = strstr((const char *)resp.p, "}]}\n\n");

	(void)state;
	assert_non_null(first_event_end);
	run(&req, &resp, 0, 0, 1);
	/* Delivered while the event's final blank line (at "}]}\n\n" + 4) is fed. */
	assert_int_equal(res.first_delta_at, (size_t)(first_event_end - (const char *)resp.p) + 4);
	free(req.p);
	free(resp.p);
}

/* A response cut by the end of the connection is reported incomplete. */
static void test_session_cut_response_is_incomplete(void **state)
{
	struct blob req = load("openai_chat_sse", "req"), resp = load("openai_chat_sse", "resp");
	struct expect e;

	(void)state;
	load_expect("openai_chat_sse", &e);
	resp.n /= 2;
	run(&req, &resp, 0, 0, 0);
	assert_int_equal(res.done, 1);
	assert_true(res.complete_req);
	assert_false(res.complete_resp);
	/* What arrived is a proper prefix of the completion. */
	assert_true(strlen(res.completion) > 0 && strlen(res.completion) < strlen(e.completion));
	assert_memory_equal(res.completion, e.completion, strlen(res.completion));
	free(req.p);
	free(resp.p);
}

/* ---- many HTTP/2 streams at once ---- */

#define H2_CAP 256 /* the streams decoded per connection at once */
#define MANY (H2_CAP + 6)

static bool many_seen[MANY];
static int many_done;

static void many_on_done(void *ctx, struct exchange *x)
{
	int n;

	(void)ctx;
	if (x->request_complete && x->response_complete && x->choices[0].text.p &&
	    sscanf(x->choices[0].text.p, "answer %d", &n) == 1 && n >= 0 && n < MANY && !many_seen[n]) {
		many_seen[n] = true;
		many_done++;
	}
}

static size_t frame(uint8_t *out, uint8_t type, uint8_t flags, uint32_t sid, const void *payload, size_t len)
{
	out[0] = (uint8_t)(len >> 16), out[1] = (uint8_t)(len >> 8), out[2] = (uint8_t)len;
	out[3] = type, out[4] = flags;
	out[5] = (uint8_t)(sid >> 24), out[6] = (uint8_t)(sid >> 16), out[7] = (uint8_t)(sid >> 8), out[8] = (uint8_t)sid;
	memcpy(out + 9, payload, len);
	return 9 + len;
}

static size_t headers(uint8_t *out, nghttp2_hd_deflater *def, uint32_t sid, const nghttp2_nv *nv, size_t nnv)
{
	uint8_t block[1024];
	ssize_t n = nghttp2_hd_deflate_hd(def, block, sizeof(block), nv, nnv);

	assert_true(n > 0);
	return frame(out, 1 /* HEADERS */, 4 /* END_HEADERS */, sid, block, (size_t)n);
}

#define NV(n, v) { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, NGHTTP2_NV_FLAG_NONE }

/* 262 requests open at once on one connection, then their answers: the
 * stream table grows to its cap as streams open, the first 256 streams are
 * decoded whole and the 6 past the cap are counted as dropped. */
static void test_session_http2_many_streams(void **state)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	nghttp2_nv req_nv[] = { NV(":method", "POST"), NV(":path", "/v1/chat/completions"), NV(":scheme", "https"),
				NV(":authority", "model"), NV("content-type", "application/json") };
	nghttp2_nv resp_nv[] = { NV(":status", "200"), NV("content-type", "application/json") };
	size_t cap = 1 << 20, nq = 0, nr = 0;
	uint8_t *q = malloc(cap), *r = malloc(cap);
	nghttp2_hd_deflater *cdef, *sdef;
	struct session_stats st = { 0 };
	struct exchange_sink sink = { .on_done = many_on_done };
	struct session_env env = { .sink = &sink, .st = &st };
	struct session *s;
	uint64_t off[2] = { 0, 0 };
	char body[256];

	(void)state;
	assert_int_equal(nghttp2_hd_deflate_new(&cdef, 4096), 0);
	assert_int_equal(nghttp2_hd_deflate_new(&sdef, 4096), 0);
	memcpy(q, preface, sizeof(preface) - 1), nq = sizeof(preface) - 1;
	nq += frame(q + nq, 4 /* SETTINGS */, 0, 0, "", 0);
	nr += frame(r + nr, 4, 0, 0, "", 0);
	for (uint32_t i = 0; i < MANY; i++) /* every request opened before any ends */
		nq += headers(q + nq, cdef, 2 * i + 1, req_nv, sizeof(req_nv) / sizeof(req_nv[0]));
	for (uint32_t i = 0; i < MANY; i++) {
		int n = snprintf(body, sizeof(body), "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"ask %u\"}]}", i);

		nq += frame(q + nq, 0 /* DATA */, 1 /* END_STREAM */, 2 * i + 1, body, (size_t)n);
	}
	for (uint32_t i = 0; i < MANY; i++) {
		int n = snprintf(body, sizeof(body),
				 "{\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
				 "\"content\":\"answer %u\"},\"finish_reason\":\"stop\"}]}", i);

		nr += headers(r + nr, sdef, 2 * i + 1, resp_nv, sizeof(resp_nv) / sizeof(resp_nv[0]));
		nr += frame(r + nr, 0, 1, 2 * i + 1, body, (size_t)n);
	}
	memset(many_seen, 0, sizeof(many_seen));
	many_done = 0;
	s = session_new(&env, &origin);
	assert_non_null(s);
	feed(s, SESSION_SENT, q, nq, &off[0]);
	feed(s, SESSION_RECEIVED, r, nr, &off[1]);
	session_close(s);
	assert_int_equal(st.proto_http2, 1);
	assert_int_equal(many_done, H2_CAP);
	for (int i = 0; i < H2_CAP; i++)
		assert_true(many_seen[i]);
	assert_int_equal(st.h2_streams_dropped, MANY - H2_CAP);
	assert_int_equal(st.parse_errors, 0);
	assert_int_equal(st.no_memory, 0);
	nghttp2_hd_deflate_del(cdef);
	nghttp2_hd_deflate_del(sdef);
	free(q);
	free(r);
}

/* A connection first seen mid-stream (open before the agent started, or its
 * first bytes lost): the tail of a previous request body and of its
 * response come first, at every length, then a whole exchange, which must
 * be decoded exactly; the bytes before it are counted as skipped. */
static void test_session_picked_up_mid_stream(void **state)
{
	static const char *const fixtures[] = { "openai_chat_sse", "openai_chat_gzip", "anthropic_sse",
						"ollama_ndjson", "tgi_sse" };

	(void)state;
	for (size_t f = 0; f < sizeof(fixtures) / sizeof(fixtures[0]); f++) {
		struct blob req = load(fixtures[f], "req"), resp = load(fixtures[f], "resp");
		const uint8_t *body = (const uint8_t *)strstr((const char *)req.p, "\r\n\r\n") + 4;
		size_t body_len = req.n - (size_t)(body - req.p);
		struct expect e;

		load_expect(fixtures[f], &e);
		for (size_t k = 1; k < body_len; k += k < 16 ? 1 : 7) {
			size_t m = k < resp.n / 2 ? k : resp.n / 2;
			struct conn cn;

			conn_open(&cn);
			feed(cn.s, SESSION_SENT, req.p + req.n - k, k, &cn.off[0]);       /* a body's last k bytes */
			feed(cn.s, SESSION_RECEIVED, resp.p + resp.n - m, m, &cn.off[1]); /* its response's tail */
			feed(cn.s, SESSION_SENT, req.p, req.n, &cn.off[0]);
			feed(cn.s, SESSION_RECEIVED, resp.p, resp.n, &cn.off[1]);
			session_close(cn.s);
			check(&e, fixtures[f], k);
			assert_int_equal(cn.st.proto_other, 1);
			assert_int_equal(cn.st.resynced, 1);
			assert_int_equal(cn.st.resync_skipped_bytes, k + m);
			assert_int_equal(cn.st.unpaired_responses, 0);
		}
		free(req.p);
		free(resp.p);
	}
}

/* Mid-stream, the first boundary may be a response (the request it answers
 * was lost): it is reported unpaired, and the next exchange is whole. */
static void test_session_picked_up_at_a_response(void **state)
{
	struct blob req = load("openai_chat_sse", "req"), resp = load("openai_chat_sse", "resp");
	struct expect e;
	struct conn cn;

	(void)state;
	load_expect("openai_chat_sse", &e);
	conn_open(&cn);
	feed(cn.s, SESSION_SENT, req.p + req.n - 40, 40, &cn.off[0]);
	feed(cn.s, SESSION_RECEIVED, resp.p, resp.n, &cn.off[1]);
	feed(cn.s, SESSION_SENT, req.p, req.n, &cn.off[0]);
	feed(cn.s, SESSION_RECEIVED, resp.p, resp.n, &cn.off[1]);
	session_close(cn.s);
	check(&e, "after an unpaired response", 0);
	assert_int_equal(cn.st.resynced, 1);
	assert_int_equal(cn.st.resync_skipped_bytes, 40);
	assert_int_equal(cn.st.unpaired_responses, 1);
	free(req.p);
	free(resp.p);
}

/* HTTP/2 cannot be picked up mid-stream (the header compression state is
 * lost), nor can a protocol that is not HTTP: neither is ever decoded, both
 * are counted as other. */
static void test_session_not_picked_up(void **state)
{
	struct blob req = load("openai_chat_h2_sse", "req"), resp = load("openai_chat_h2_sse", "resp");
	static const uint8_t pg[] = { 'Q', 0, 0, 0, 13, 's', 'e', 'l', 'e', 'c', 't', ' ', '1', ';', 0 };
	const size_t preface = 24;

	(void)state;
	for (int round = 0; round < 2; round++) {
		struct conn cn;

		conn_open(&cn);
		if (round == 0) { /* HTTP/2 frames without the preface that began the connection */
			feed(cn.s, SESSION_SENT, req.p + preface, req.n - preface, &cn.off[0]);
			feed(cn.s, SESSION_RECEIVED, resp.p, resp.n, &cn.off[1]);
		} else {
			for (int i = 0; i < 3; i++)
				feed(cn.s, SESSION_SENT, pg, sizeof(pg), &cn.off[0]);
		}
		session_close(cn.s);
		assert_int_equal(res.done, 0);
		assert_int_equal(cn.st.proto_other, 1);
		assert_int_equal(cn.st.resynced, 0);
		assert_int_equal(cn.st.http_requests, 0);
	}
	free(req.p);
	free(resp.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_openai_chat_sse),
		cmocka_unit_test(test_session_openai_chat_gzip),
		cmocka_unit_test(test_session_anthropic_sse),
		cmocka_unit_test(test_session_ollama_ndjson),
		cmocka_unit_test(test_session_tgi_sse),
		cmocka_unit_test(test_session_openai_chat_http2),
		cmocka_unit_test(test_session_h2c_upgrade),
		cmocka_unit_test(test_session_deltas_arrive_while_streaming),
		cmocka_unit_test(test_session_cut_response_is_incomplete),
		cmocka_unit_test(test_session_http2_many_streams),
		cmocka_unit_test(test_session_picked_up_mid_stream),
		cmocka_unit_test(test_session_picked_up_at_a_response),
		cmocka_unit_test(test_session_not_picked_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
