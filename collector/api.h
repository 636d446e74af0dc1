/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api - the collector's read and administration API, served next to ingest
 * (http.c authenticates the caller and logs each call; this answers it):
 *
 *   GET  /v1/events?since=&until=&kind=&severity=&pod=&model=&detector=&limit=
 *                                     events as JSON lines (limit: default 1000, at most 100000)
 *   GET  /v1/lineage/FINGERPRINT      the value's events and summary (lineage.h); ?proof=1: the bundle
 *   GET  /v1/streams                  every stream: id, agent key, events stored
 *   GET  /v1/checkpoints?stream=HEX   its checkpoints, as received (the agent's signed notes)
 *   GET  /v1/proof?stream=HEX&from=SEQ&to=SEQ   a ProofBundle of events [from, to);
 *                                     &format=json: the same as JSON, for a browser to check
 *   GET  /v1/report?from=&to=         the evidence report of a period (report.h), HTML
 *   GET  /console, /console/FILE      the console's files (console.h)
 *   GET  /v1/verify                   the whole store and the access log verified
 *   GET  /v1/access-log?from=N&limit=   who read what (entries from N on; limit as for events)
 *   GET  /v1/agents                   enrolled, pending and revoked agent keys
 *   POST /v1/agents/KEY/approve, /v1/agents/KEY/revoke
 *
 * since/until are Unix seconds, as the command line takes them; a bad
 * argument is a 400 naming it. Every answer is built whole before it is
 * sent, and counts what it returned (events, rows) for the access log.
 */
#ifndef SEALTAP_API_H
#define SEALTAP_API_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ingest.h"

struct api_answer {
	int status;
	const char *type; /* Content-Type */
	char *body;       /* malloc'd */
	size_t len;
	uint64_t returned;
	char message[200]; /* for errors, and the X-Sealtap-Reason header */
};

struct api_route {
	const char *method, *path; /* path: exact, or a prefix when it ends with '/' */
	unsigned roles;            /* enum role bits allowed */
	int (*answer)(struct collector *c, const char *rest, const char *(*arg)(void *, const char *), void *ctx,
		      struct api_answer *out);
};

/* The route of an API call, or NULL when the method and path are none. */
const struct api_route *api_route(const char *method, const char *path);
/* The answer (*out filled, body malloc'd or NULL). arg(ctx, name): a query
 * argument, or NULL. */
void api_answer(struct collector *c, const struct api_route *r, const char *path,
		const char *(*arg)(void *, const char *), void *ctx, struct api_answer *out);
void api_answer_release(struct api_answer *a);
/* One access log entry as a JSON line (the API's and access-log's). */
void api_access_json(FILE *out, const struct access_row *r);

#endif
