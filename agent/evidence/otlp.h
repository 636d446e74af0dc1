/* SPDX-License-Identifier: Apache-2.0 */
/*
 * otlp - a copy of every evidence event as an OpenTelemetry log record,
 * POSTed as OTLP/HTTP protobuf (ExportLogsServiceRequest) to any
 * OpenTelemetry pipeline, e.g. a collector feeding a SIEM.
 *
 * Each record carries sealtap.stream_id and sealtap.seq, so a SIEM copy can
 * be matched to the signed record (the spool and the collector hold the
 * proof; this copy is for search and alerting). Attributes follow the
 * semantic conventions: service.* and host.name on the resource; process.*,
 * container.id, k8s.pod.uid, network.peer.address, url.path and gen_ai.*
 * (gen_ai.provider.name, gen_ai.request.model, gen_ai.response.model) on
 * each record; sealtap.* for the rest. Findings map their severity to the
 * log severity (critical FATAL, high ERROR, medium WARN, low INFO).
 *
 * Records are encoded when the event happens and queued (at most 8192
 * records or 16 MiB; past that they are dropped and counted); up to 512
 * go in one request, at least once a second, from the main loop without
 * blocking it (libcurl multi). 429, 5xx and transport failures retry with
 * backoff (1 s doubling to 30 s, or Retry-After when longer); another 4xx drops that request's records
 * (counted as refused): the receiver will not take them.
 *
 * The protobuf is written by hand (otlp.c): five nested messages whose
 * records must be encoded ahead, in bounded memory, to be queued.
 */
#ifndef SEALTAP_OTLP_H
#define SEALTAP_OTLP_H

#include <stdint.h>
#include <stdio.h>

#include "evidence.pb-c.h"

#define OTLP_MAX_HEADERS 8

struct otlp_opts {
	const char *url;     /* http(s)://HOST:4318/v1/logs */
	const char *ca_file; /* NULL: the system's CAs */
	const char *headers[OTLP_MAX_HEADERS]; /* "Name: value", e.g. an API key */
	int nheaders;
	const char *node, *version;
};

struct otlp_stats {
	uint64_t records, sent, dropped, refused, failures, requests;
};

struct otlp;

struct otlp *otlp_new(const struct otlp_opts *o, char *err, size_t errsz);
void otlp_free(struct otlp *x);
/* Queues an event's copy (pub: the agent's public key). */
void otlp_event(struct otlp *x, const Sealtap__Evidence__V1__Event *e, const uint8_t pub[32]);
void otlp_tick(struct otlp *x, uint64_t now_ns);
/* At stop: sends what is queued, for at most timeout_ns. */
void otlp_flush(struct otlp *x, uint64_t timeout_ns);
void otlp_write_stats(const struct otlp *x, FILE *out);

#endif
