/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics - Prometheus text exposition on GET /metrics (libmicrohttpd,
 * plain HTTP: bind it to loopback or the pod network, not the internet).
 *
 * The server has no thread of its own: metrics_poll runs it from the main
 * loop, so the counters are read by the thread that writes them (no locks,
 * no torn values); a scrape waits at most one loop turn (50 ms).
 *
 * Every number of the agent's stats line becomes a metric: group "kernel",
 * key "lost_ringbuf" is sealtap_kernel_lost_ringbuf_total (counters) or
 * without _total for the gauges listed in metrics.c. Labelled series
 * (findings by detector, category, severity, direction and leak label;
 * exchanges by API and model) come from the write_labelled callback.
 */
#ifndef SEALTAP_METRICS_H
#define SEALTAP_METRICS_H

#include <stddef.h>
#include <stdio.h>

struct metrics;

/* write_stats: the JSON stats line ({"type":"stats",...}); write_labelled:
 * Prometheus text appended as it is (may be NULL). */
struct metrics_source {
	void (*write_stats)(void *ctx, FILE *out);
	void (*write_labelled)(void *ctx, FILE *out);
	void *ctx;
};

/* listen: "ADDR:PORT" (IPv4). NULL with err set when it cannot listen. */
struct metrics *metrics_start(const char *listen, const struct metrics_source *src, char *err, size_t errsz);
void metrics_poll(struct metrics *m);
void metrics_stop(struct metrics *m);

/* The stats line as Prometheus text (exposed for the tests). 0, or -1 when
 * the line is not a stats object. */
int metrics_from_stats(const char *json, size_t len, FILE *out);

#endif
