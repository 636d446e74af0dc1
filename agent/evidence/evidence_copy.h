/* SPDX-License-Identifier: Apache-2.0 */
/*
 * evidence_copy - copies of the evidence record outside the signed spool,
 * for people and pipelines: every event as a JSON line (event_json.h) to a
 * file or stdout, and as an OpenTelemetry log record (otlp.h). Both carry
 * the stream id and sequence number, which is how a copy is matched to the
 * signed event; neither is proof of anything by itself.
 *
 * The file is opened for appending (O_APPEND, mode 0640, refused if it is a
 * symlink); a line is flushed per event. A write that fails is counted,
 * never retried: the signed record is the one that must not lose anything.
 */
#ifndef SEALTAP_EVIDENCE_COPY_H
#define SEALTAP_EVIDENCE_COPY_H

#include <stdint.h>
#include <stdio.h>

#include "otlp.h"

struct evidence_copy_opts {
	const char *json_path; /* "-": stdout; NULL: no JSON copy */
	struct otlp_opts otlp; /* url NULL: no OTLP copy */
};

struct evidence_copy;

struct evidence_copy *evidence_copy_new(const struct evidence_copy_opts *o, char *err, size_t errsz);
void evidence_copy_free(struct evidence_copy *c);
/* An evidence_observer_fn (evidence.h). */
void evidence_copy_event(void *ctx, const struct Sealtap__Evidence__V1__Event *e, const uint8_t *pub);
void evidence_copy_tick(struct evidence_copy *c, uint64_t now_ns);
void evidence_copy_flush(struct evidence_copy *c, uint64_t timeout_ns);
void evidence_copy_write_stats(const struct evidence_copy *c, FILE *out);

#endif
