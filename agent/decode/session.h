/* SPDX-License-Identifier: Apache-2.0 */
/*
 * session - one captured connection, decoded: recognises the protocol from
 * its first bytes, runs the HTTP/1.1 parsers (pairing requests with
 * responses, keep-alive and pipelining) or the HTTP/2 parsers (streams,
 * HPACK) on its two streams, undoes content codings, splits streamed
 * responses (SSE, NDJSON) and turns model API calls into exchanges (llm.h)
 * handed to a sink, delta by delta.
 *
 * Owns its parsers and the exchanges in flight. Bounded: at most
 * SESSION_MAX_PENDING requests awaiting responses, request and whole
 * response bodies capped at env->max_body; overflow is counted.
 */
#ifndef SEALTAP_SESSION_H
#define SEALTAP_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "exchange.h"

#define SESSION_MAX_PENDING 16
#define SESSION_MAX_BODY (4u << 20)

struct session;

/* The two directions of a connection, as the watched process sees them. */
enum session_dir {
	SESSION_SENT = 0,     /* the process wrote it */
	SESSION_RECEIVED = 1, /* the process read it */
};

/* Who a connection belongs to, from its first chunk. Kept compact (a
 * tracked connection's cost is mostly this struct); family and addresses
 * are in capture's encoding, opaque here, and become an exchange's strings
 * through env->identify. */
struct session_origin {
	uint64_t conn_id; /* capture's connection id, unique over the agent's life */
	uint8_t capture;  /* how capture took its bytes (capture's encoding, opaque here) */
	uint32_t pid, tid, uid;
	uint64_t cgroup_id;
	char comm[16];
	uint8_t family;   /* 0: unknown */
	uint8_t laddr[16], raddr[16];
	uint16_t lport, rport; /* 0: unknown */
};

struct session_stats {
	uint64_t sessions;
	uint64_t proto_http1, proto_http2, proto_other;
	uint64_t resynced;          /* of the other: picked up at a later message boundary (first seen mid-stream) */
	uint64_t resync_skipped_bytes; /* what those skipped before it: a capture loss */
	uint64_t http_requests, http_responses;
	uint64_t http_other;        /* requests that are not model API calls: counted only */
	uint64_t exchanges;         /* model API exchanges finished */
	uint64_t incomplete;        /* ... of which cut by a gap, a close or an error */
	uint64_t parse_errors;      /* malformed HTTP, resynchronised */
	uint64_t gaps;              /* capture gaps seen by the decoders */
	uint64_t json_errors;       /* model API bodies that were not the expected JSON */
	uint64_t body_truncated;    /* bodies or texts cut at their caps */
	uint64_t decode_errors;     /* corrupt or unsupported Content-Encoding */
	uint64_t pending_dropped;   /* requests dropped: too many awaiting responses */
	uint64_t unpaired_responses;
	uint64_t grpc;              /* HTTP/2 gRPC requests: recognised, not decoded */
	uint64_t h2_streams_dropped; /* HTTP/2 streams beyond the per-connection table */
	uint64_t h2_table_clamped;  /* HPACK table sizes announced above H2_MAX_TABLE */
	uint64_t no_memory;         /* connections, requests or exchanges left undecoded: out of memory */
};

struct session_env {
	const struct exchange_sink *sink;
	struct session_stats *st;
	uint64_t next_id;
	size_t max_body; /* 0: SESSION_MAX_BODY */
	/* Server ports, and process command names, whose POSTs are model
	 * traffic whatever their path. */
	const uint16_t *model_ports;
	int nmodel_ports;
	const char *const *model_comms;
	int nmodel_comms;
	/* Completes an exchange's identity from its connection's origin: the
	 * executable, container and pod, the local and peer addresses (pid,
	 * uid, comm and the server side are filled already). NULL: they stay
	 * "" (unknown). */
	void (*identify)(void *ctx, const struct session_origin *o, struct x_identity *who, uint64_t now_ns);
	void *identify_ctx;
};

/* A connection, from its first chunk's origin (copied). */
struct session *session_new(struct session_env *env, const struct session_origin *o);
/* The connection's addresses (o's family, addresses and ports), learnt
 * after its first chunk: a TLS library that served its first call from
 * bytes it had read earlier tells its socket at a later call. Taken when
 * none are known yet, never changed once they are. */
void session_learn_addresses(struct session *s, const struct session_origin *o);
/* One chunk of the connection, in stream order, at now_ns (CLOCK_MONOTONIC);
 * gap is the number of bytes lost right before it in that direction. */
void session_data(struct session *s, enum session_dir dir, const uint8_t *data, size_t len, uint64_t now_ns,
		  uint64_t gap);
/* The connection closed (or was evicted): ends what can end, reports the
 * rest as incomplete, frees everything. */
void session_close(struct session *s);

#endif
