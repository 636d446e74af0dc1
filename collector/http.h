/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http - the collector's HTTP server (libmicrohttpd, TLS with GnuTLS):
 * POST /v1/batches takes one protobuf Batch (at most 16 MiB; larger is
 * refused with 413 and not kept; past 64 MiB of bodies being received at
 * once, 503 and the agent retries) and answers as ingest.h says, with the
 * reason in an X-Sealtap-Reason header; GET /healthz says ok; GET /metrics
 * gives Prometheus text (requests, accepted batches, events stored,
 * refusals by status); the read and administration API (api.h) answers
 * callers the access configuration (access.h) gives a role, each call
 * recorded in the store's access log first.
 */
#ifndef SEALTAP_HTTP_H
#define SEALTAP_HTTP_H

#include <stdint.h>

#include "ingest.h"

#define HTTP_STATUSES 7 /* 400, 401, 403, 409, 413, 500, 503 */

struct http_stats {
	uint64_t requests, accepted, rejected, events;
	uint64_t by_status[HTTP_STATUSES]; /* refusals by status, in that order */
	uint64_t busy; /* answered 503: the 64 MiB of bodies in flight were taken */
	uint64_t api_requests, api_refused; /* the read and administration API (api.h) */
	uint64_t access_logged, access_log_errors;
	uint64_t refused_per_address; /* connections refused: their address held PER_ADDRESS already */
};

struct http;
struct access;

/* cert_pem/key_pem NULL: plain HTTP (tests and loopback only).
 * client_ca_pem: mutual TLS: a client without a certificate is refused in
 * the handshake (unless a principal is known by a token), one whose
 * certificate another CA issued gets 403. access: the principals (which the
 * server keeps pointing at). */
struct http *http_start(struct collector *c, const struct access *access, const char *addr, uint16_t port,
			const char *cert_pem, const char *key_pem, const char *client_ca_pem, char *err, size_t errsz);
void http_stop(struct http *h);
const struct http_stats *http_stats(const struct http *h);

#endif
