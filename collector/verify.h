/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verify - the whole store checked offline, as an auditor would: per
 * stream, every sequence number present once and in order, each event
 * holding its own stream and number and chained to the one before by leaf
 * hash, every checkpoint signed by the stream's agent key and equal to the
 * RFC 6962 root of the events it covers, and the stream's state matching
 * its events. The first problem of each stream is named (stream, record,
 * why); nothing after it in that stream is judged.
 */
#ifndef SEALTAP_VERIFY_H
#define SEALTAP_VERIFY_H

#include <stdint.h>
#include <stdio.h>

#include "store.h"

/* Returns the number of problems written to out (0: all verified), or -1
 * when the store cannot be read. only_stream NULL: every stream. */
int verify_store(struct store *s, const uint8_t *only_stream, FILE *out, uint64_t *streams, uint64_t *events);

/* The access log's chain (store.h): every entry numbered 1, 2, ... in
 * order, its prev the hash of the one before, its hash its own. The first
 * entry that does not hold is named; nothing after it is judged. Returns
 * the problems (0 or 1), or -1 when it cannot be read; *entries, those read. */
int verify_access_log(struct store *s, FILE *out, uint64_t *entries);

#endif
