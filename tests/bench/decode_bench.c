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
 * usage: decode_bench FIXTURE_DIR NAME [SECONDS]
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

int main(int argc, char **argv)
{
	struct exchange_sink sink = { .on_delta = on_delta, .on_done = on_done };
	struct session_stats st = { 0 };
	struct session_env env = { .sink = &sink, .st = &st };
	struct st_data_record *req, *resp;
	double secs = argc > 3 ? atof(argv[3]) : 2.0, t0, el, el_dec, el_tok, mb_dec, mb_cpy, round_mb[ROUNDS];
	static struct span docs[4096];
	size_t ndocs;
	unsigned long iters = 0, bytes, fixed = 0;
	static char sinkbuf[1 << 16];

	if (argc < 3)
		return fprintf(stderr, "usage: decode_bench FIXTURE_DIR NAME [SECONDS]\n"), 2;
	req = load(argv[1], argv[2], "req", ST_DIR_WRITE);
	resp = load(argv[1], argv[2], "resp", ST_DIR_READ);
	bytes = req->data_len + resp->data_len;
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
				struct session *s = session_new(&env);

				session_data(s, req, 0);
				session_data(s, resp, 0);
				session_close(s);
			}
			it += 100;
			el = now_s() - t0;
		} while (fixed ? it < fixed : el < secs / ROUNDS);
		round_mb[r] = (double)it * bytes / el / 1e6;
		iters += it;
		el_dec += el;
	}
	if (done != iters || st.json_errors || st.parse_errors)
		return fprintf(stderr, "decoding failed: %lu exchanges for %lu runs\n", done, iters), 1;
	mb_dec = (double)iters * bytes / el_dec / 1e6;
	qsort(round_mb, ROUNDS, sizeof(round_mb[0]), cmp_double);
	t0 = now_s();
	for (unsigned long i = 0; i < iters; i++) {
		memcpy(sinkbuf, req->data, req->data_len < sizeof(sinkbuf) ? req->data_len : sizeof(sinkbuf));
		memcpy(sinkbuf, resp->data, resp->data_len < sizeof(sinkbuf) ? resp->data_len : sizeof(sinkbuf));
		__asm__ volatile("" ::: "memory");
	}
	el = now_s() - t0;
	mb_cpy = (double)iters * bytes / (el > 0 ? el : 1e-9) / 1e6;
	ndocs = find_docs(resp, docs, sizeof(docs) / sizeof(docs[0]));
	el_tok = tokenise_only(docs, ndocs, iters);
	printf("%-20s %5lu B/exchange %6.1f MB/s (rounds: median %6.1f, best %6.1f)  %7.0f exchanges/s  %4.1f deltas"
	       "  (memcpy %.0f MB/s",
	       argv[2], bytes, mb_dec, round_mb[ROUNDS / 2], round_mb[ROUNDS - 1], iters / el_dec,
	       (double)deltas / iters, mb_cpy);
	if (ndocs > 1) /* a streamed response: what tokenising every event whole would cost */
		printf("; tokenising its %zu documents whole, alone: %.0f MB/s", ndocs,
		       (double)iters * bytes / (el_tok > 0 ? el_tok : 1e-9) / 1e6);
	printf(")\n");
	return 0;
}
