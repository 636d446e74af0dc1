/* SPDX-License-Identifier: Apache-2.0 */
/*
 * state_file - a table of fixed-size records kept across restarts (drift's
 * keys, the prompts' keys): a header (magic, record size, count, CRC-32 of
 * the records), then the records as they are in memory. Written to
 * PATH.tmp, synced and renamed over PATH, so a crash leaves the old file or
 * the new one. A file of another build (magic or record size), torn or
 * altered (CRC) is refused whole, never half-used.
 */
#ifndef SEALTAP_STATE_FILE_H
#define SEALTAP_STATE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The records of recs[0..n) that used() says are in use. 0 or -1. */
int state_file_save(const char *path, uint64_t magic, const void *recs, size_t size, size_t n,
		    bool (*used)(const void *rec));
/* Up to max records into recs, each one accept() (NULL: any) takes; the
 * count, 0 when there is no file, -1 when it is refused (recs zeroed). */
long state_file_load(const char *path, uint64_t magic, void *recs, size_t size, size_t max,
		     bool (*accept)(const void *rec));

#endif
