/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ship - sends the spool to the collector (libcurl, driven from the main
 * loop without blocking it): a Batch is the events from the first one not
 * yet acknowledged up to a checkpoint the spool holds (at most 16384 events
 * or 8 MiB), their exact bytes, that signed checkpoint and the agent's
 * public key, POSTed over TLS (the collector's CA; a client certificate for
 * mutual TLS when given). An Ack releases the spool segments it covers; a
 * gap answer moves the start to what the collector has (with
 * --collector-pubkey an Ack counts only if the collector cosigned it);
 * failures retry
 * with exponential backoff and jitter (0.5 s doubling to 60 s), honouring
 * Retry-After. At least once: a restart sends again from the oldest event
 * the spool holds, and the collector acknowledges duplicates it already has.
 */
#ifndef SEALTAP_SHIP_H
#define SEALTAP_SHIP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct evidence;

struct ship_opts {
	const char *url;       /* https://HOST:PORT/v1/batches */
	const char *ca_file;   /* the collector's CA (NULL: the system's) */
	const char *cert_file; /* client certificate and key, for mutual TLS */
	const char *key_file;
	/* With check_cosignature, an Ack releases the spool only when it holds
	 * this stream's checkpoint at the acknowledged size, cosigned with
	 * collector_key: proof of receipt from the real collector, not merely
	 * from whoever answered on its address. */
	bool check_cosignature;
	uint8_t collector_key[32];
};

struct ship_stats {
	uint64_t batches, acked_batches, acked;   /* acked: the tree size the collector confirmed */
	uint64_t failures, refused;               /* transport or 5xx/429 failures; 4xx refusals */
	long last_status;
	uint64_t unreachable_events;              /* the collector lacks events the spool no longer has */
	uint64_t cosign_invalid;                  /* Acks without a valid collector cosignature */
};

struct ship;

struct ship *ship_new(struct evidence *ev, const struct ship_opts *o, char *err, size_t errsz);
void ship_free(struct ship *s);
void ship_tick(struct ship *s, uint64_t now_ns);
/* Sends until everything signed is acknowledged or timeout_ns passes (at exit). */
void ship_flush(struct ship *s, uint64_t timeout_ns);
void ship_write_stats(const struct ship *s, FILE *out);
/* The tree size the collector confirmed holding (0: nothing yet). */
uint64_t ship_acked(const struct ship *s);

#endif
