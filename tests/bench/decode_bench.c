// SPDX-License-Identifier: Apache-2.0
/*
 * decode_bench - decoder throughput over recorded fixtures (make bench).
 * Each iteration runs one whole connection (request + response) through a
 * fresh session, as the agent does; MB/s counts the captured bytes fed.
 * Two references are timed in the same run: a memcpy of the same bytes,
 * and the JSON tokeniser (jdoc_parse, i.e. jsontok) alone tokenising each of
 * the response's JSON documents whole - what the decoder would cost if it
 * did not re-tokenise a stream's events by difference (jtok_reparse).
 * The decode is timed in rounds; the mean, the median round and the best
 * round are printed (the best: the speed when nothing else took the core).
 *
 * With EXCHANGES_PER_CONNECTION, each connection carries that many copies
 * of the exchange (see again()), as clients that keep connections open do;
 * the default, one, charges every exchange a connection's setup.
 *
 * usage: decode_bench FIXTURE_DIR NAME [SECONDS [EXCHANGES_PER_CONNECTION]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exchange.h"
#include "jsonview.h"
#include "session.h"
#include "sslsniff.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct st_data_record *load(const char *dir, const char *name, const char *ext, int d)
{
	char path[512];
	FILE *f;
	long n;
	struct st_data_record *r;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext);
	f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	r = calloc(1, sizeof(*r) + (size_t)n);
	if (fread(r->data, 1, (size_t)n, f) != (size_t)n)
		exit(2);
	fclose(f);
	r->h.kind = ST_REC_DATA;
	r->h.pid = 1;
	r->dir = (uint8_t)d;
	r->data_len = (uint32_t)n;
	r->call_total = (uint64_t)n;
	return r;
}

/* The same exchange again, later on the same connection: HTTP/1.1 keep-alive
 * repeats the bytes; HTTP/2 (the client's side opens with the preface) keeps
 * only the stream's frames, renumbered to stream 1 + 2k. Its header blocks
 * are the connection's first, so they reference no dynamic-table entry they
 * did not insert themselves, and decode the same when sent again. */
static struct st_data_record *again(const struct st_data_record *r, unsigned k, bool h2)
{
	struct st_data_record *o = calloc(1, sizeof(*o) + r->data_len);
	const uint8_t *d = r->data;
	size_t i = 0, n = 0;

	if (!o)
		exit(2);
	*o = *r;
	if (!h2) {
		memcpy(o->data, d, r->data_len);
		return o;
	}
	if (r->data_len >= 24 && memcmp(d, "PRI * HTTP/2.0", 14) == 0)
		i = 24;
	while (i + 9 <= r->data_len) {
		size_t flen = 9 + ((size_t)d[i] << 16 | (size_t)d[i + 1] << 8 | d[i + 2]);
		uint32_t sid = ((uint32_t)d[i + 5] << 24 | (uint32_t)d[i + 6] << 16 | (uint32_t)d[i + 7] << 8 | d[i + 8]) &
			       0x7fffffffu;

		if (i + flen > r->data_len)
			break;
		if (sid) {
			memcpy(o->data + n, d + i, flen);
			sid += 2 * k;
			o->data[n + 5] = (uint8_t)(sid >> 24), o->data[n + 6] = (uint8_t)(sid >> 16);
			o->data[n + 7] = (uint8_t)(sid >> 8), o->data[n + 8] = (uint8_t)sid;
			n += flen;
		}
		i += flen;
	}
	o->data_len = (uint32_t)n;
	o->call_total = n;
	return o;
}

/* The JSON documents of a streamed response: each line (or SSE data field)
 * that starts with '{', up to its end. Binary framing around it (HTTP/2,
 * chunk sizes) is skipped by the same rule; a document an HTTP/2 frame
 * boundary cuts in two is left out. */
struct span {
	const char *p;
	size_t n;
};

static size_t find_docs(const struct st_data_record *r, struct span *out, size_t max)
{
	const char *s = (const char *)r->data, *end = s + r->data_len;
	size_t k = 0;

	for (const char *p = s; p < end && k < max; p++) {
		const char *nl;

		if (*p != '{' || !(p == s || p[-1] == '\n' || (p - s >= 6 && memcmp(p - 6, "data: ", 6) == 0)))
			continue;
		struct jdoc d;

		nl = memchr(p, '\n', (size_t)(end - p));
		out[k].p = p;
		out[k].n = (size_t)((nl ? nl : end) - p);
		p += out[k].n - 1;
		if (jdoc_parse(&d, out[k].p, out[k].n) == 0)
			k++;
		jdoc_release(&d);
	}
	return k;
}

/* Seconds spent tokenising the documents iters times. */
static double tokenise_only(const struct span *docs, size_t ndocs, unsigned long iters)
{
	double t0 = now_s();

	for (unsigned long i = 0; i < iters; i++)
		for (size_t k = 0; k < ndocs; k++) {
			struct jdoc d;

			jdoc_parse(&d, docs[k].p, docs[k].n);
			jdoc_release(&d);
		}
	return now_s() - t0;
}

static unsigned long deltas, done;

#define ROUNDS 9

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void on_delta(void *ctx, struct exchange *x, int c, const char *t, size_t n)
{
	(void)ctx, (void)x, (void)c, (void)t, (void)n;
	deltas++;
}

static void on_done(void *ctx, struct exchange *x)
{
	(void)ctx, (void)x;
	done++;
}

/* The decoders alone: an exchange's identity (capture's part) is not
 * completed here. */
static const struct session_origin origin = { .pid = 1, .comm = "bench" };

static void feed(struct session *s, const struct st_data_record *r)
{
	session_data(s, (enum session_dir)r->dir, r->data, r->data_len, r->h.ts_ns, 0);
}

int main(int argc, char **argv)
{
	struct exchange_sink sink = { .on_delta = on_delta, .on_done = on_done };
	struct session_stats st = { 0 };
	struct session_env env = { .sink = &sink, .st = &st };
	struct st_data_record *req, *resp, **reqs, **resps;
	double secs = argc > 3 ? atof(argv[3]) : 2.0, t0, el, el_dec, el_tok, mb_dec, mb_cpy, round_mb[ROUNDS];
	unsigned per_conn = argc > 4 ? (unsigned)atoi(argv[4]) : 1;
	bool h2;
	static struct span docs[4096];
	size_t ndocs;
	unsigned long iters = 0, bytes, fixed = 0, deltas_one;
	char label[96];
	static char sinkbuf[1 << 16];

	if (argc < 3 || per_conn < 1 || per_conn > 10000)
		return fprintf(stderr, "usage: decode_bench FIXTURE_DIR NAME [SECONDS [EXCHANGES_PER_CONNECTION]]\n"), 2;
	req = load(argv[1], argv[2], "req", ST_DIR_WRITE);
	resp = load(argv[1], argv[2], "resp", ST_DIR_READ);
	h2 = req->data_len >= 14 && memcmp(req->data, "PRI * HTTP/2.0", 14) == 0;
	reqs = calloc(per_conn, sizeof(*reqs));
	resps = calloc(per_conn, sizeof(*resps));
	if (!reqs || !resps)
		return 2;
	reqs[0] = req, resps[0] = resp;
	bytes = req->data_len + resp->data_len;
	for (unsigned k = 1; k < per_conn; k++) {
		reqs[k] = again(req, k, h2);
		resps[k] = again(resp, k, h2);
		bytes += reqs[k]->data_len + resps[k]->data_len;
	}
	{ /* one exchange alone first: how many deltas each must give */
		struct session *s = session_new(&env, &origin);

		feed(s, req);
		feed(s, resp);
		session_close(s);
		deltas_one = deltas;
		deltas = done = 0;
	}
	/* A fixed count instead of a time (DECODE_BENCH_ITERS hundreds per
	 * round): for counting instructions under callgrind, which is how two
	 * builds are compared on a machine this noisy. */
	if (getenv("DECODE_BENCH_ITERS"))
		fixed = 100 * strtoul(getenv("DECODE_BENCH_ITERS"), NULL, 10);
	/* In ROUNDS rounds: this VM's neighbours take the core away for whole
	 * stretches, so the median and the best round are reported beside the
	 * mean (the best is the code's speed when nothing interferes). */
	el_dec = 0;
	for (int r = 0; r < ROUNDS; r++) {
		unsigned long it = 0;

		t0 = now_s();
		do {
			for (int i = 0; i < 100; i++) {
				struct session *s = session_new(&env, &origin);

				for (unsigned k = 0; k < per_conn; k++) {
					feed(s, reqs[k]);
					feed(s, resps[k]);
				}
				session_close(s);
			}
			it += 100;
			el = now_s() - t0;
		} while (fixed ? it < fixed : el < secs / ROUNDS);
		round_mb[r] = (double)it * bytes / el / 1e6;
		iters += it;
		el_dec += el;
	}
	if (done != iters * per_conn || deltas != done * deltas_one || st.json_errors || st.parse_errors)
		return fprintf(stderr, "decoding failed: %lu exchanges for %lu connections of %u\n", done, iters,
			       per_conn), 1;
	mb_dec = (double)iters * bytes / el_dec / 1e6;
	qsort(round_mb, ROUNDS, sizeof(round_mb[0]), cmp_double);
	t0 = now_s();
	for (unsigned long i = 0; i < iters; i++)
		for (unsigned k = 0; k < per_conn; k++) {
			memcpy(sinkbuf, reqs[k]->data, reqs[k]->data_len < sizeof(sinkbuf) ? reqs[k]->data_len
											    : sizeof(sinkbuf));
			memcpy(sinkbuf, resps[k]->data, resps[k]->data_len < sizeof(sinkbuf) ? resps[k]->data_len
											      : sizeof(sinkbuf));
			__asm__ volatile("" ::: "memory");
		}
	el = now_s() - t0;
	mb_cpy = (double)iters * bytes / (el > 0 ? el : 1e-9) / 1e6;
	ndocs = find_docs(resp, docs, sizeof(docs) / sizeof(docs[0]));
	el_tok = tokenise_only(docs, ndocs, iters * per_conn);
	if (per_conn > 1)
		snprintf(label, sizeof(label), "%s x%u/conn", argv[2], per_conn);
	else
		snprintf(label, sizeof(label), "%s", argv[2]);
	printf("%-20s %5lu B/exchange %6.1f MB/s (rounds: median %6.1f, best %6.1f)  %7.0f exchanges/s  %4.1f deltas"
	       "  (memcpy %.0f MB/s",
	       label, bytes / per_conn, mb_dec, round_mb[ROUNDS / 2], round_mb[ROUNDS - 1],
	       (double)done / el_dec, (double)deltas / done, mb_cpy);
	if (ndocs > 1) /* a streamed response: what tokenising every event whole would cost */
		printf("; tokenising its %zu documents whole, alone: %.0f MB/s", ndocs,
		       (double)iters * bytes / (el_tok > 0 ? el_tok : 1e-9) / 1e6);
	printf(")\n");
	return 0;
}
