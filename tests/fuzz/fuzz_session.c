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
	/* Port 8000 at both ends, so that the model-port rule (data[0] & 1)
	 * applies whichever side the input makes the server. */
	s = session_new(&env, &(struct session_origin){ .pid = 1, .lport = 8000, .rport = 8000 });
	if (!s)
		return 0;
	data++, size--;
	while (size >= 3) {
		uint8_t d = data[0] & 1, gap = data[0] >> 1;
		size_t n = (size_t)data[1] | (size_t)data[2] << 8;
		uint8_t *chunk;
		data += 3, size -= 3;
		if (n > size)
			n = size;
		/* A chunk of its own, exactly sized: a read past its end is
		 * caught, not hidden inside the rest of the input. */
		chunk = malloc(n ? n : 1);
		if (!chunk)
			break;
		memcpy(chunk, data, n);
		session_data(s, (enum session_dir)d, chunk, n, off[d] + gap, gap);
		free(chunk);
		off[d] += gap + n;
		data += n, size -= n;
	}
	session_close(s);
	return 0;
}
