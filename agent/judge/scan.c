// SPDX-License-Identifier: Apache-2.0
#include "scan.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "classify.h"
#include "detector_config.h"
#include "finding_json.h"
#include "json.h"
#include "keyfile.h"

#define READ_SIZE (64 << 10)
#define LINE_RING 65536 /* line starts remembered; findings come within a few KiB of their line */

/* Where lines start, for the human format's file:line:column. */
struct lines {
	uint64_t start[LINE_RING];
	uint64_t count; /* lines started so far; start[(count-1) % LINE_RING] is the last */
};

struct scan_file {
	const char *name;
	bool text_format;
	unsigned long findings;
	struct lines lines;
};

static void lines_feed(struct lines *l, uint64_t base, const char *p, size_t n)
{
	for (const char *nl = p; (nl = memchr(nl, '\n', n - (size_t)(nl - p))); nl++)
		l->start[l->count++ % LINE_RING] = base + (uint64_t)(nl - p) + 1;
}

/* 1-based line and column of off, or line 0 when it is out of memory. */
static void lines_find(const struct lines *l, uint64_t off, uint64_t *line, uint64_t *col)
{
	uint64_t lo = l->count > LINE_RING ? l->count - LINE_RING : 0, hi = l->count;

	*line = 0, *col = 0;
	if (lo > 0 && off < l->start[lo % LINE_RING])
		return;
	while (lo < hi) { /* the last line start <= off */
		uint64_t mid = lo + (hi - lo) / 2;

		if (l->start[mid % LINE_RING] <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	*line = lo; /* line 1 starts at offset 0: start[0] holds it */
	*col = off - l->start[(lo - 1) % LINE_RING] + 1;
}

static void on_finding(void *ctx, const struct cl_finding *f)
{
	struct scan_file *sf = ctx;
	uint64_t line, col;

	sf->findings++;
	lines_find(&sf->lines, f->start, &line, &col);
	if (sf->text_format) {
		printf("%s:%llu:%llu: %s %s %s %s\n", sf->name, (unsigned long long)line, (unsigned long long)col,
		       det_severity_name(f->det->severity), det_category_name(f->det->category), f->det->id,
		       f->masked);
		return;
	}
	fputs("{\"file\":", stdout);
	json_put_string(stdout, sf->name, strlen(sf->name));
	fprintf(stdout, ",\"line\":%llu,\"column\":%llu,", (unsigned long long)line, (unsigned long long)col);
	finding_put_fields(stdout, f);
	fputs("}\n", stdout);
}

/* Returns findings (>= 0), or -1 when the file could not be read. */
static long scan_one(struct classifier *c, const char *path, bool text_format, char *buf)
{
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *in = is_stdin ? stdin : fopen(path, "rb");
	struct scan_file *sf;
	struct cl_stream *s;
	uint64_t off = 0;
	size_t n;
	long found;

	if (!in) {
		fprintf(stderr, "sealtap-agent scan: %s: %s\n", path, strerror(errno));
		return -1;
	}
	sf = calloc(1, sizeof(*sf));
	s = sf ? cl_open(c, on_finding, sf) : NULL;
	if (!s) {
		fprintf(stderr, "sealtap-agent scan: out of memory\n");
		free(sf);
		if (!is_stdin)
			fclose(in);
		return -1;
	}
	sf->name = is_stdin ? "(stdin)" : path;
	sf->text_format = text_format;
	sf->lines.start[sf->lines.count++] = 0;
	while ((n = fread(buf, 1, READ_SIZE, in)) > 0) {
		lines_feed(&sf->lines, off, buf, n);
		cl_feed(s, buf, n);
		off += n;
	}
	cl_close(s);
	found = ferror(in) ? -1 : (long)sf->findings;
	if (found < 0)
		fprintf(stderr, "sealtap-agent scan: %s: read error\n", path);
	OPENSSL_cleanse(buf, READ_SIZE);
	if (!is_stdin)
		fclose(in);
	free(sf);
	return found;
}

static void scan_usage(FILE *out)
{
	fprintf(out,
		"usage: sealtap-agent scan [--key FILE] [--detectors FILE] [--format json|text] [FILE...]\n"
		"\n"
		"Finds sensitive data in text files (standard input when none, or -), with\n"
		"the agent's detectors. One JSON line per finding, never the value itself:\n"
		"detector, category, severity, byte offsets, line, a masked preview and an\n"
		"HMAC-SHA-256 fingerprint under the deployment key.\n"
		"\n"
		"  --key FILE      fingerprint key (default %s when readable;\n"
		"                  otherwise a key for this run only, fingerprints unlinkable)\n"
		"  --detectors FILE  YAML: built-ins to disable, severities, custom detectors\n"
		"  --format text   file:line:column: severity category detector masked\n"
		"\n"
		"Exit status: 0 nothing found, 1 something found, 2 an error.\n",
		KEYFILE_DEFAULT_FINGERPRINT);
}

int scan_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "detectors", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *key_path = NULL, *detectors_path = NULL;
	struct detector_set set;
	bool text_format = false, failed = false;
	uint8_t key[CL_KEY_MAX];
	unsigned long total = 0;
	char err[512], *buf;
	struct classifier *c;
	int keylen, opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			key_path = optarg;
			break;
		case 'd':
			detectors_path = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "json") && strcmp(optarg, "text")) {
				fprintf(stderr, "sealtap-agent scan: --format is json or text, not '%s'\n", optarg);
				return 2;
			}
			text_format = strcmp(optarg, "text") == 0;
			break;
		case 'h':
			scan_usage(stdout);
			return 0;
		default:
			scan_usage(stderr);
			return 2;
		}
	}
	if (detector_set_load(&set, detectors_path, NULL, err, sizeof(err))) {
		fprintf(stderr, "sealtap-agent scan: detectors: %s\n", err);
		return 2;
	}
	if (!key_path && access(KEYFILE_DEFAULT_FINGERPRINT, R_OK) == 0)
		key_path = KEYFILE_DEFAULT_FINGERPRINT;
	if (key_path) {
		keylen = keyfile_load(key_path, false, key, sizeof(key), err, sizeof(err));
		if (keylen < 0) {
			fprintf(stderr, "sealtap-agent scan: fingerprint key: %s\n", err);
			detector_set_release(&set);
			return 2;
		}
	} else {
		keylen = KEYFILE_LEN;
		if (RAND_priv_bytes(key, (int)keylen) != 1) {
			fprintf(stderr, "sealtap-agent scan: no randomness for a key\n");
			detector_set_release(&set);
			return 2;
		}
		fprintf(stderr, "sealtap-agent scan: no fingerprint key (--key): fingerprints are valid for this run only\n");
	}
	c = classifier_new(set.dets, set.n, key, (size_t)keylen, err, sizeof(err));
	OPENSSL_cleanse(key, sizeof(key));
	buf = malloc(READ_SIZE);
	if (!c || !buf) {
		fprintf(stderr, "sealtap-agent scan: %s\n", c ? "out of memory" : err);
		classifier_free(c);
		detector_set_release(&set);
		free(buf);
		return 2;
	}
	if (optind == argc) {
		long r = scan_one(c, "-", text_format, buf);

		failed |= r < 0;
		total += r > 0 ? (unsigned long)r : 0;
	}
	for (int i = optind; i < argc; i++) {
		long r = scan_one(c, argv[i], text_format, buf);

		failed |= r < 0;
		total += r > 0 ? (unsigned long)r : 0;
	}
	fflush(stdout);
	classifier_free(c);
	detector_set_release(&set);
	free(buf);
	return failed ? 2 : total ? 1 : 0;
}
