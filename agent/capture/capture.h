/* SPDX-License-Identifier: Apache-2.0 */
/*
 * capture - consumes the probes' ring buffer: checks each record, accounts
 * stream offsets and gaps (stream.h), feeds each connection's decoder
 * (session.h), whose exchanges go to the sink it is given, hands process
 * events to attach, and writes the chunks when asked to.
 *
 * Wake-ups are batched in the kernel (a record forces one only when enough
 * data is queued), so capture_poll always drains the ring after waiting:
 * waiting alone would leave quiet traffic queued.
 */
#ifndef SEALTAP_CAPTURE_H
#define SEALTAP_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct sslsniff_bpf;
struct attach;
struct capture;
struct exchange_sink;

struct capture_opts {
	bool dump_chunks; /* print every chunk with its plaintext (--dump capture) */
	bool plain;       /* plain sockets are captured: their ends are swept for */
	FILE *out;        /* JSON lines */
	size_t max_conns; /* connections tracked at once */
	uint64_t idle_timeout_ns; /* drop connections quiet this long (0: never) */
	size_t max_body;  /* bytes kept of one request or whole response body */
	const uint16_t *model_ports; /* POSTs to these server ports are model traffic */
	int nmodel_ports;
	const char *const *model_comms; /* ... and POSTs to or from these processes */
	int nmodel_comms;
	/* Every decoded exchange, delta by delta (the later stages' fan-out);
	 * must outlive the capture. */
	const struct exchange_sink *sink;
	/* Appends later stages' groups to the stats line (",\"name\":{...}"). */
	void (*extra_stats)(void *ctx, FILE *out);
	void *extra_ctx;
};

struct capture *capture_new(struct sslsniff_bpf *skel, struct attach *a,
			    const struct capture_opts *opts);
void capture_free(struct capture *c);

/* Before a long poll: the first record the probes queue wakes the consumer. */
void capture_mark_idle(struct capture *c);

/* Waits up to timeout_ms for records, then consumes all queued. Returns the
 * number of records consumed, or a negative errno. */
int capture_poll(struct capture *c, int timeout_ms);

/* Periodic housekeeping (about once a second): idle connections, and plain
 * connections whose socket is gone. */
void capture_tick(struct capture *c, uint64_t now_ns);

/* What capture lost so far, by reason, cumulative since start: fills up to
 * cap (names are static strings) and returns how many. Plaintext lost in the
 * kernel (ring buffer full, unreadable user memory, calls not tracked),
 * malformed records, stream gaps and evicted connections, and what the
 * decoders had to drop (pending requests, HTTP/2 streams, bodies past the
 * cap, what a connection first seen mid-stream held before its first
 * message boundary). */
#define CAPTURE_LOSS_REASONS 18
size_t capture_losses(struct capture *c, const char **names, uint64_t *counts, size_t cap);

/* What capture saw so far, cumulative. */
struct capture_seen {
	uint64_t exchanges;
	uint64_t bytes;
	uint32_t processes; /* watched now */
};
void capture_seen(struct capture *c, struct capture_seen *out);

/* Writes one {"type":"stats",...} line: kernel counters, stream accounting,
 * attach state. */
void capture_write_stats(struct capture *c, FILE *out);

#endif
