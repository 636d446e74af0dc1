// SPDX-License-Identifier: Apache-2.0
/*
 * evidence_bench - the evidence path's speed, driven by
 * tests/bench/evidence_bench.py:
 *
 *   evidence_bench STATE_DIR N [URL CA]
 *
 * records N findings through the agent's evidence log (protobuf encoding,
 * spool writes, leaf hashes, a signed checkpoint every 256 events after an
 * fdatasync), then, given a collector URL, ships them and waits until the
 * collector has acknowledged them all (verified and stored). Prints one
 * line per phase: events, seconds, events per second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evidence.h"
#include "ship.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct evidence_opts o = { .version = "bench", .node = "bench", .spool_max_bytes = 1ull << 32 };
	/* A finding as the judge records one: the first built-in detector's
	 * names, a typical identity and model. */
	uint8_t fp[EVIDENCE_FINGERPRINT];
	struct evidence_finding f = { .detector = "secret.private_key", .category = "secret", .severity = "critical",
				      .part = "completion", .leak = 2, .start = 10, .end = 29, .masked = "****0366",
				      .fingerprint = fp };
	struct evidence_about ab = { .executable = "/usr/bin/python3.11",
				     .pod_uid = "0b5e6c9e-4a1c-4f0e-9a57-6f1f2a9d3c11",
				     .api = "openai.chat",
				     .model_requested = "gpt-4o",
				     .endpoint = "/v1/chat/completions" };
	struct evidence *ev;
	char err[512];
	long n;
	double t0, t;

	if (argc < 3)
		return fprintf(stderr, "usage: evidence_bench STATE_DIR N [URL CA]\n"), 2;
	o.state_dir = argv[1];
	n = atol(argv[2]);
	memset(fp, 0x5a, sizeof(fp));
	ev = evidence_open(&o, err, sizeof(err));
	if (!ev)
		return fprintf(stderr, "evidence: %s\n", err), 1;
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		ab.exchange_id = (uint64_t)i;
		if (evidence_finding(ev, &ab, &f) < 0)
			return fprintf(stderr, "event %ld not recorded\n", i), 1;
	}
	evidence_finish(ev);
	t = now_s() - t0;
	printf("record %ld events %.2f s %.0f events/s\n", n, t, n / t);
	if (argc > 4) {
		struct ship *s = ship_new(ev, &(struct ship_opts){ .url = argv[3], .ca_file = argv[4] }, err, sizeof(err));

		if (!s)
			return fprintf(stderr, "ship: %s\n", err), 1;
		t0 = now_s();
		ship_flush(s, 600000000000ull);
		t = now_s() - t0;
		printf("ship %ld events %.2f s %.0f events/s\n", n, t, n / t);
		ship_free(s);
	}
	evidence_close(ev);
	return 0;
}
