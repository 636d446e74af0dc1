// SPDX-License-Identifier: Apache-2.0
/*
 * A whole captured connection, as the probes would hand it over: HTTP/1.1
 * or HTTP/2 (HPACK), chunked or gzip/br bodies, SSE or NDJSON streams, LLM
 * API JSON, in both directions, with gaps. Input: a flags byte (model
 * port on, server side), then chunks: [direction+gap byte][len 2 bytes LE][data].
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "session.h"
#include "sslsniff.h"

static size_t seen;

static void on_request(void *ctx, struct exchange *x)
{
	(void)ctx;
	seen += x->nmessages;
}

static void on_delta(void *ctx, struct exchange *x, int choice, const char *text, size_t len)
{
	(void)ctx, (void)x, (void)choice;
	if (len)
		seen += (unsigned char)text[len - 1]; /* touch the text: a bad pointer or length shows */
}

static void on_done(void *ctx, struct exchange *x)
{
	(void)ctx;
	for (int i = 0; i < X_MAX_CHOICES; i++)
		if (x->choices[i].text.p)
			seen += strlen(x->choices[i].text.p) == x->choices[i].text.len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t ports[] = { 8000 };
	struct exchange_sink sink = { on_request, on_delta, on_done, NULL };
	struct session_stats st = { 0 };
	struct session_env env = { .sink = &sink, .st = &st, .max_body = 1 << 16 };
	uint64_t off[2] = { 0, 0 };
	struct session *s;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		env.model_ports = ports;
		env.nmodel_ports = 1;
	}
	s = session_new(&env);
	if (!s)
		return 0;
	data++, size--;
	while (size >= 3) {
		uint8_t d = data[0] & 1, gap = data[0] >> 1;
		size_t n = (size_t)data[1] | (size_t)data[2] << 8;
		struct st_data_record *r;

		data += 3, size -= 3;
		if (n > size)
			n = size;
		r = calloc(1, sizeof(*r) + n);
		if (!r)
			break;
		r->h.kind = ST_REC_DATA;
		r->h.pid = 1;
		r->dir = d;
		r->data_len = (uint32_t)n;
		r->call_total = n;
		r->stream_off = off[d] + gap;
		r->lport = 8000;
		memcpy(r->data, data, n);
		session_data(s, r, gap);
		off[d] += gap + n;
		free(r);
		data += n, size -= n;
	}
	session_close(s);
	return 0;
}
