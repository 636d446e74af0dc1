/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record - checks a ring-buffer record against the wire contract in
 * bpf/sslsniff.h before anything reads it. The ring buffer is written by our
 * own BPF code, but a mismatch between an old agent and new probes (or a bug)
 * must show up as a counted, rejected record, not as an out-of-bounds read.
 */
#ifndef SEALTAP_RECORD_H
#define SEALTAP_RECORD_H

#include <stddef.h>
#include <stdint.h>

/* Returns the record's kind (enum st_record_kind) when the record is well
 * formed and exactly sized, or -EBADMSG. */
int record_check(const void *data, size_t size);

/* A DATA record's address as "ip:port" or "[ip6]:port"; "" when the family
 * is ST_AF_UNKNOWN (never guessed). */
void record_format_addr(char *out, size_t outsz, uint8_t family, const uint8_t *addr, uint16_t port);

#endif
