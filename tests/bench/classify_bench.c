// SPDX-License-Identifier: Apache-2.0
/*
 * classify_bench - the classifier's quality and speed.
 *
 *   classify_bench quality CORPUS [--check]
 *       Runs every record of the labelled corpus (tests/corpus) through its
 *       own stream and prints precision and recall per detector. A finding
 *       is a true positive when a label of the same detector overlaps it.
 *       --check: exit 1 unless every detector has precision >= 0.99 and
 *       recall >= 0.98 (and, with -v, lists each miss and false alarm by
 *       record number and detector, never the value).
 *
 *   classify_bench patterns CORPUS
 *       Each detector's database alone over 32 MB of the same text: where
 *       the scan's time goes.
 *
 *   classify_bench feed CORPUS MB EVERY ROUNDS
 *       Only the classifier over the speed text with a record after every
 *       EVERY filler pieces (0: clean), ROUNDS times: for profilers, whose
 *       report is otherwise dominated by the database compiles.
 *
 *   classify_bench tokens CORPUS [MB]
 *       A streamed completion's path: the sparse text cut into 4-byte
 *       tokens, a stream per 2 KiB completion, each token fed on its own
 *       (cl_feed), left to wait in the ring (cl_feed_lazy: scanned a
 *       piece at a time - here once, at the close - or every 16 tokens as a busy agent's batches
 *       of records would sync it), and the same text in 2 KiB writes as
 *       the reference: ns per token and scans per token of each.
 *
 *   classify_bench speed CORPUS [MB]
 *       Builds MB (default 100) of mixed text - prose, code and JSON, with
 *       a corpus record after every five pieces of it (~1 per 1.5 KiB: far
 *       denser than real traffic) - the same with one after every fifty
 *       (sparse, ~1 per 12 KiB), and the same text without the records,
 *       and scans each in 4 KiB writes, one stream per MiB, on one core. References timed in the
 *       same run: memchr over the same bytes, and the classifier's Hyperscan
 *       database alone (no confirm stage). Also the delay from the write that
 *       completes a value to its finding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h"
#include "jsonview.h"

#define MAX_LABELS 8

struct label {
	char detector[48];
	uint64_t start, end;
	bool hit;
};

struct rec {
	char *text;
	size_t len;
	struct label labels[MAX_LABELS];
	int nlabels;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct rec *load(const char *path, size_t *nrec)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, n = 0, alloc = 0;
	ssize_t len;
	struct rec *recs = NULL;

	if (!f) {
		perror(path);
		exit(2);
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		struct jdoc d;
		struct xbuf text;
		struct rec *r;
		int labels;

		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			recs = realloc(recs, alloc * sizeof(*recs));
			if (!recs)
				exit(2);
		}
		if (jdoc_parse(&d, line, (size_t)len)) {
			fprintf(stderr, "%s:%zu: not JSON\n", path, n + 1);
			exit(2);
		}
		r = &recs[n++];
		memset(r, 0, sizeof(*r));
		xbuf_init(&text, 1 << 20);
		jdoc_append_str(&d, jdoc_get(&d, 0, "text"), &text);
		r->text = text.p ? text.p : strdup("");
		r->len = text.len;
		labels = jdoc_get(&d, 0, "labels");
		for (int e = jdoc_first(&d, labels); e >= 0 && r->nlabels < MAX_LABELS; e = jdoc_next(&d, labels, e)) {
			struct label *l = &r->labels[r->nlabels++];
			int64_t v = 0;

			jdoc_copy_str(&d, jdoc_get(&d, e, "detector"), l->detector, sizeof(l->detector));
			jdoc_int(&d, jdoc_get(&d, e, "start"), &v), l->start = (uint64_t)v;
			jdoc_int(&d, jdoc_get(&d, e, "end"), &v), l->end = (uint64_t)v;
		}
		jdoc_release(&d);
	}
	free(line);
	fclose(f);
	*nrec = n;
	return recs;
}

/* ---- quality ---- */

struct tally {
	unsigned tp, fp, fn;
};

struct quality_ctx {
	struct rec *r;
	size_t index;
	const struct detector *dets;
	struct tally *t;
	bool verbose;
	char leaked[64]; /* set if a finding's preview contains its value */
};

static void on_quality_finding(void *ctx, const struct cl_finding *f)
{
	struct quality_ctx *q = ctx;
	size_t di = (size_t)(f->det - q->dets);

	/* The preview must never carry the value (longer than 4 bytes). */
	if (f->end - f->start > 4 && memmem(f->masked, strlen(f->masked), q->r->text + f->start, f->end - f->start))
		snprintf(q->leaked, sizeof(q->leaked), "%s", f->det->id);
	for (int i = 0; i < q->r->nlabels; i++) {
		struct label *l = &q->r->labels[i];

		if (strcmp(l->detector, f->det->id) == 0 && f->start < l->end && f->end > l->start) {
			if (!l->hit)
				q->t[di].tp++;
			l->hit = true;
			return;
		}
	}
	q->t[di].fp++;
	if (q->verbose)
		fprintf(stderr, "false alarm: record %zu, %s at %llu-%llu\n", q->index + 1, f->det->id,
			(unsigned long long)f->start, (unsigned long long)f->end);
}

static int quality(struct classifier *c, struct rec *recs, size_t n, bool check, bool verbose)
{
	const struct detector *dets;
	size_t nd = classifier_detectors(c, &dets);
	struct tally *t = calloc(nd, sizeof(*t));
	struct quality_ctx q = { .dets = dets, .t = t, .verbose = verbose };
	int bad = 0;
	unsigned tp = 0, fp = 0, fn = 0;

	for (size_t i = 0; i < n; i++) {
		struct cl_stream *s;

		q.r = &recs[i];
		q.index = i;
		s = cl_open(c, on_quality_finding, &q);
		cl_feed(s, recs[i].text, recs[i].len);
		cl_close(s);
		for (int k = 0; k < recs[i].nlabels; k++) {
			if (recs[i].labels[k].hit)
				continue;
			for (size_t di = 0; di < nd; di++)
				if (strcmp(dets[di].id, recs[i].labels[k].detector) == 0)
					t[di].fn++;
			if (verbose)
				fprintf(stderr, "missed: record %zu, %s\n", i + 1, recs[i].labels[k].detector);
		}
	}
	printf("%-32s %6s %6s %6s %9s %7s\n", "detector", "tp", "fp", "fn", "precision", "recall");
	for (size_t di = 0; di < nd; di++) {
		double p = t[di].tp + t[di].fp ? (double)t[di].tp / (t[di].tp + t[di].fp) : 1.0;
		double r = t[di].tp + t[di].fn ? (double)t[di].tp / (t[di].tp + t[di].fn) : 1.0;
		bool ok = p >= 0.99 && r >= 0.98 && t[di].tp > 0;

		printf("%-32s %6u %6u %6u %9.3f %7.3f%s\n", dets[di].id, t[di].tp, t[di].fp, t[di].fn, p, r,
		       ok ? "" : "  below target");
		bad |= !ok;
		tp += t[di].tp, fp += t[di].fp, fn += t[di].fn;
	}
	printf("%-32s %6u %6u %6u %9.4f %7.4f\n", "all", tp, fp, fn, (double)tp / (tp + fp ? tp + fp : 1),
	       (double)tp / (tp + fn ? tp + fn : 1));
	free(t);
	if (q.leaked[0]) {
		fprintf(stderr, "a masked preview of %s carries its value\n", q.leaked);
		return 1;
	}
	return check && bad ? 1 : 0;
}

/* ---- speed ---- */

static const char *const filler[] = {
	"The quarterly report shows revenue growth of 12% driven by the enterprise segment, while churn "
	"stayed flat. Next, we will look at the cost structure and the hiring plan for the second half. ",
	"def retry(fn, attempts=5, base=0.2):\n    for i in range(attempts):\n        try:\n            return fn()\n"
	"        except TimeoutError:\n            time.sleep(base * 2 ** i)\n    raise RuntimeError(\"gave up\")\n",
	"{\"id\": \"chatcmpl-9\", \"object\": \"chat.completion\", \"choices\": [{\"index\": 0, \"message\": {\"role\": "
	"\"assistant\", \"content\": \"Here are three ideas for the launch event.\"}}], \"usage\": {\"total_tokens\": 812}}\n",
	"## Installation\n\n1. Download the archive for your platform.\n2. Run `make install` as root.\n3. Edit "
	"/etc/app/config.yaml and restart the service with systemctl restart app.\n\n",
	"Sure! Photosynthesis converts light energy into chemical energy: chlorophyll absorbs photons, water is "
	"split, and the Calvin cycle fixes carbon dioxide into sugars that the plant uses to grow. ",
};

/* Ordinary text with a corpus record after every `every` filler pieces
 * (0: none). */
static char *mixed_text(struct rec *recs, size_t nrec, size_t size, unsigned every)
{
	char *buf = malloc(size);
	size_t at = 0, ri = 0, fi = 0;

	if (!buf)
		exit(2);
	while (at < size) {
		const char *piece;
		size_t len;

		if (every && fi % (every + 1) == every) {
			piece = recs[ri % nrec].text;
			len = recs[ri % nrec].len;
			ri++;
		} else {
			piece = filler[fi % (sizeof(filler) / sizeof(filler[0]))];
			len = strlen(piece);
		}
		fi++;
		if (len > size - at)
			len = size - at;
		memcpy(buf + at, piece, len);
		at += len;
		if (at < size)
			buf[at++] = '\n';
	}
	return buf;
}

static unsigned long speed_findings;

static void on_speed_finding(void *ctx, const struct cl_finding *f)
{
	(void)ctx, (void)f;
	speed_findings++;
}

/* Latency: a value written in two deltas; how long from the second write
 * (which completes it) to its finding. */
static double finding_time;

static void on_latency_finding(void *ctx, const struct cl_finding *f)
{
	(void)ctx, (void)f;
	finding_time = now_s();
}

#define SPEED_WRITE 4096          /* bytes per cl_feed, as a decoder hands them over */
#define SPEED_PER_STREAM (1 << 20) /* a stream per MiB of text */

/* The text through the classifier as the speed runs feed it. */
static void feed_streams(struct classifier *c, const char *text, size_t size)
{
	size_t chunk = SPEED_WRITE, per_stream = SPEED_PER_STREAM;

	for (size_t base = 0; base < size; base += per_stream) {
		struct cl_stream *s = cl_open(c, on_speed_finding, NULL);

		for (size_t off = 0; off < per_stream && base + off < size; off += chunk)
			cl_feed(s, text + base + off, chunk);
		cl_close(s);
	}
}

/* The classifier and its database alone over the same text, interleaved
 * rounds, the best of each (this VM's speed drifts). */
static void time_both(struct classifier *c, const char *text, size_t size, double *t_cls, double *t_hs,
		      unsigned long *matches)
{
	size_t chunk = SPEED_WRITE, per_stream = SPEED_PER_STREAM;

	*t_cls = *t_hs = 1e9;
	for (int round = 0; round < 3; round++) {
		double t0, t;

		*matches = 0;
		t0 = now_s();
		for (size_t base = 0; base < size; base += per_stream)
			*matches += cl_scan_raw(c, text + base, size - base < per_stream ? size - base : per_stream, chunk);
		t = now_s() - t0;
		*t_hs = t < *t_hs ? t : *t_hs;

		speed_findings = 0;
		t0 = now_s();
		feed_streams(c, text, size);
		t = now_s() - t0;
		*t_cls = t < *t_cls ? t : *t_cls;
	}
}

static int speed(struct classifier *c, struct rec *recs, size_t nrec, size_t mb)
{
	static const struct {
		const char *name;
		unsigned every;
	} texts[] = { { "mixed", 5 }, { "sparse", 50 }, { "clean", 0 } };
	size_t size = mb << 20;
	const struct detector *dets;
	size_t nd = classifier_detectors(c, &dets);
	double lat[200];
	int nlat = 0;

	for (size_t k = 0; k < sizeof(texts) / sizeof(texts[0]); k++) {
		char *text = mixed_text(recs, nrec, size, texts[k].every);
		double t_cls, t_hs, t0, t_chr;
		unsigned long matches, newlines = 0;

		uint64_t gated0 = classifier_stats(c)->gated_bytes, bytes0 = classifier_stats(c)->bytes;

		time_both(c, text, size, &t_cls, &t_hs, &matches);
		t0 = now_s();
		for (const char *p = text; (p = memchr(p, '\n', (size_t)(text + size - p))); p++)
			newlines++;
		t_chr = now_s() - t0;
		printf("%-6s text  %zu MB, %zu detectors, 4 KiB writes: classifier %.0f MB/s (%lu findings, %lu pattern "
		       "matches); its databases alone %.0f MB/s (classifier at %.0f%%); memchr %.0f MB/s; shape-only "
		       "detectors run over %.0f%% of the text\n",
		       texts[k].name, mb, nd, (double)size / t_cls / 1e6, speed_findings, matches,
		       (double)size / t_hs / 1e6, 100.0 * t_hs / t_cls, (double)size / t_chr / 1e6,
		       100.0 * (double)(classifier_stats(c)->gated_bytes - gated0) /
			       (double)(classifier_stats(c)->bytes - bytes0));
		free(text);
	}

	/* Latency over the corpus's labelled values, each split in the middle. */
	for (size_t i = 0; i < nrec && nlat < 200; i++) {
		struct rec *r = &recs[i];
		struct cl_stream *s;
		size_t mid;
		double t1;

		if (r->nlabels != 1 || strncmp(r->labels[0].detector, "financial", 9) != 0)
			continue;
		mid = (size_t)(r->labels[0].start + r->labels[0].end) / 2;
		s = cl_open(c, on_latency_finding, NULL);
		cl_feed(s, r->text, mid);
		finding_time = 0;
		t1 = now_s();
		cl_feed(s, r->text + mid, r->len - mid);
		if (finding_time > 0) /* raised by the write itself, not at close */
			lat[nlat++] = finding_time - t1;
		cl_close(s);
	}
	for (int i = 1; i < nlat; i++) /* insertion sort for the median */
		for (int j = i; j > 0 && lat[j] < lat[j - 1]; j--) {
			double tmp = lat[j];

			lat[j] = lat[j - 1], lat[j - 1] = tmp;
		}
	if (nlat)
		printf("latency     write that completes a value -> its finding: median %.1f us, max %.1f us (%d values)\n",
		       lat[nlat / 2] * 1e6, lat[nlat - 1] * 1e6, nlat);
	return 0;
}

/* ---- tokens ---- */


#define TOKEN_BYTES 4          /* a model's token is about four characters of English */
#define COMPLETION_BYTES 2048 /* a stream per completion */

/* sync_every: 0 for cl_feed per token; SIZE_MAX lazy with no sync; else
 * lazy, synced after every sync_every tokens. token: bytes per feed. */
static double feed_tokens(struct classifier *c, const char *text, size_t size, size_t token, size_t sync_every,
			  uint64_t *scans)
{
	struct cl_lazy l = { 0 };
	uint64_t scans0 = classifier_stats(c)->scans;
	double t0 = now_s();
	size_t fed = 0;

	for (size_t base = 0; base < size; base += COMPLETION_BYTES) {
		struct cl_stream *s = cl_open(c, on_speed_finding, NULL);
		size_t end = base + COMPLETION_BYTES < size ? base + COMPLETION_BYTES : size;

		for (size_t off = base; off < end; off += token, fed++) {
			size_t k = end - off < token ? end - off : token;

			if (!sync_every) {
				cl_feed(s, text + off, k);
				continue;
			}
			cl_feed_lazy(s, text + off, k, &l, fed);
			if (sync_every != SIZE_MAX && fed % sync_every == sync_every - 1)
				cl_lazy_sync(&l, UINT64_MAX);
		}
		cl_close(s);
	}
	*scans = classifier_stats(c)->scans - scans0;
	return now_s() - t0;
}

static int tokens(struct classifier *c, struct rec *recs, size_t nrec, size_t mb)
{
	static const struct {
		const char *name;
		size_t token, sync_every;
	} ways[] = {
		{ "2 KiB writes (reference)", COMPLETION_BYTES, 0 },
		{ "cl_feed per token", TOKEN_BYTES, 0 },
		{ "cl_feed_lazy, synced every 16", TOKEN_BYTES, 16 },
		{ "cl_feed_lazy, scanned at close", TOKEN_BYTES, SIZE_MAX },
	};
	size_t size = mb << 20, ntok = (size + TOKEN_BYTES - 1) / TOKEN_BYTES;
	char *text = mixed_text(recs, nrec, size, 50);
	double best[sizeof(ways) / sizeof(ways[0])];
	uint64_t scans[sizeof(ways) / sizeof(ways[0])];
	unsigned long found[sizeof(ways) / sizeof(ways[0])];

	for (size_t w = 0; w < sizeof(ways) / sizeof(ways[0]); w++)
		best[w] = 1e9;
	for (int round = 0; round < 3; round++) /* interleaved, the best of each (this VM drifts) */
		for (size_t w = 0; w < sizeof(ways) / sizeof(ways[0]); w++) {
			double t;

			speed_findings = 0;
			t = feed_tokens(c, text, size, ways[w].token, ways[w].sync_every, &scans[w]);
			found[w] = speed_findings;
			best[w] = t < best[w] ? t : best[w];
		}
	printf("tokens: %zu MB of sparse text as %zu-byte tokens, a stream per %d-byte completion\n", mb, (size_t)TOKEN_BYTES,
	       COMPLETION_BYTES);
	for (size_t w = 0; w < sizeof(ways) / sizeof(ways[0]); w++)
		printf("  %-36s %7.1f ns/token  %.3f scans/token  %lu findings\n", ways[w].name, best[w] * 1e9 / (double)ntok,
		       (double)scans[w] / (double)ntok, found[w]);
	free(text);
	for (size_t w = 1; w < sizeof(ways) / sizeof(ways[0]); w++)
		if (found[w] != found[0])
			return fprintf(stderr, "tokens: %s found %lu, the reference %lu\n", ways[w].name, found[w], found[0]), 1;
	return 0;
}

static int feed_only(struct classifier *c, struct rec *recs, size_t nrec, size_t mb, unsigned every, int rounds)
{
	size_t size = mb << 20;
	char *text = mixed_text(recs, nrec, size, every);
	double t0 = now_s(), t;

	for (int round = 0; round < rounds; round++)
		feed_streams(c, text, size);
	t = now_s() - t0;
	printf("feed   %zu MB x %d, a record per %u pieces: %.0f MB/s, %lu findings in all rounds\n", mb, rounds, every,
	       (double)size * rounds / t / 1e6, speed_findings);
	free(text);
	return 0;
}

/* Each detector's own cost: a classifier with it alone, database only. */
static int patterns(const uint8_t *key, size_t keylen, struct rec *recs, size_t nrec)
{
	size_t size = 32 << 20, nd;
	char *text = mixed_text(recs, nrec, size, 5), err[256];
	const struct detector *dets = detectors_builtin(&nd);

	printf("%-32s %9s %9s\n", "detector (alone, database only)", "MB/s", "matches");
	for (size_t i = 0; i < nd; i++) {
		struct classifier *one = classifier_new(&dets[i], 1, key, keylen, err, sizeof(err));
		double t0 = now_s(), t;
		size_t m;

		if (!one)
			return fprintf(stderr, "%s: %s\n", dets[i].id, err), 2;
		m = cl_scan_raw(one, text, size, 4096);
		t = now_s() - t0;
		printf("%-32s %9.0f %9zu\n", dets[i].id, (double)size / t / 1e6, m);
		classifier_free(one);
	}
	free(text);
	return 0;
}

int main(int argc, char **argv)
{
	static const uint8_t key[32] = "sealtap-bench-fingerprint-key!!";
	char err[256];
	struct classifier *c;
	struct rec *recs;
	size_t n;
	int rc;

	if (argc < 3 || (strcmp(argv[1], "quality") && strcmp(argv[1], "speed") && strcmp(argv[1], "patterns") &&
			  strcmp(argv[1], "feed") && strcmp(argv[1], "tokens")) || (strcmp(argv[1], "feed") == 0 && argc < 6))
		return fprintf(stderr, "usage: classify_bench quality|speed|patterns|tokens CORPUS [--check [-v] | MB]\n"
				       "       classify_bench feed CORPUS MB EVERY ROUNDS\n"), 2;
	c = classifier_new(NULL, 0, key, sizeof(key), err, sizeof(err));
	if (!c)
		return fprintf(stderr, "classifier: %s\n", err), 2;
	recs = load(argv[2], &n);
	if (strcmp(argv[1], "quality") == 0) {
		bool check = false, verbose = false;

		for (int i = 3; i < argc; i++)
			check |= strcmp(argv[i], "--check") == 0, verbose |= strcmp(argv[i], "-v") == 0;
		rc = quality(c, recs, n, check, verbose);
	} else if (strcmp(argv[1], "speed") == 0) {
		rc = speed(c, recs, n, argc > 3 ? (size_t)atoi(argv[3]) : 100);
	} else if (strcmp(argv[1], "tokens") == 0) {
		rc = tokens(c, recs, n, argc > 3 ? (size_t)atoi(argv[3]) : 16);
	} else if (strcmp(argv[1], "feed") == 0) {
		rc = feed_only(c, recs, n, (size_t)atoi(argv[3]), (unsigned)atoi(argv[4]), atoi(argv[5]));
	} else {
		rc = patterns(key, sizeof(key), recs, n);
	}
	for (size_t i = 0; i < n; i++)
		free(recs[i].text);
	free(recs);
	classifier_free(c);
	return rc;
}
