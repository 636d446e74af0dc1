/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stream - the agent's view of each connection's two byte streams: where the
 * next byte is expected, so that anything the kernel side could not deliver
 * is seen as a gap and counted.
 *
 * Owns a fixed-capacity table keyed by (pid, SSL*). When it is full, the
 * connection seen least recently is evicted (counted). Entries leave on
 * SSL_free (close), on process exit, by idle timeout, or by eviction.
 */
#ifndef SEALTAP_STREAM_H
#define SEALTAP_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stream_key {
	uint32_t pid;
	uint64_t ssl;
};

struct stream_conn {
	struct stream_key key;
	uint64_t id; /* unique over the table's life: keys (pid, SSL*) are reused within seconds */
	uint64_t next_off[2]; /* per direction */
	uint64_t last_seen_ns;
	void *user; /* the caller's per-connection state, released through
		     * the table's release hook whenever the entry goes */
};

struct stream_stats {
	uint64_t gaps;        /* jumps forward in a stream */
	uint64_t gap_bytes;   /* bytes those jumps skipped */
	uint64_t tail_bytes;  /* bytes lost at the end of closed streams */
	uint64_t overlaps;    /* chunks at an offset already passed (should not happen) */
	uint64_t restarts;    /* kernel side restarted a known connection (its LRU evicted it) */
	uint64_t evicted;     /* connections dropped here because the table was full */
	uint64_t idle_evicted; /* connections dropped after no data for the idle timeout */
	uint64_t opened;
	uint64_t closed;
	uint64_t active;
};

struct stream_table {
	void (*release_user)(void *user); /* may be NULL */
	struct stream_conn *slots;
	uint64_t *occupied; /* a bit a slot: set while it holds an entry (the only record of it) */
	size_t cap; /* power of two */
	size_t max_live; /* evict above this: keeps probe sequences short */
	uint64_t next_id; /* the last connection id given */
	struct stream_stats st;
};

/* capacity is rounded up to a power of two; returns 0 or -ENOMEM. */
int stream_init(struct stream_table *t, size_t capacity);
void stream_release(struct stream_table *t);

/* Accounts one chunk of dir at [off, off+len). start marks the kernel's first
 * record for this key. Returns the number of bytes missing right before this
 * chunk (0 when contiguous); *conn (when not NULL) is set to the entry, valid
 * until the next call that changes the table. */
uint64_t stream_on_data(struct stream_table *t, uint32_t pid, uint64_t ssl, int dir, uint64_t off,
			uint64_t len, int start, uint64_t now_ns, struct stream_conn **conn);

/* The connection closed with these final stream lengths; returns the bytes
 * lost at its tail (both directions). */
uint64_t stream_on_close(struct stream_table *t, uint32_t pid, uint64_t ssl, uint64_t write_total,
			 uint64_t read_total);

/* Drops connections that saw no data since before idle_before_ns (their
 * user state is released, which reports what was in flight). Returns how
 * many. O(capacity): call it about once a second. */
size_t stream_evict_idle(struct stream_table *t, uint64_t idle_before_ns);

/* Forgets every connection of pid. Returns how many. */
size_t stream_forget_pid(struct stream_table *t, uint32_t pid);

/* Whether match accepts any connection. O(capacity). */
bool stream_any(const struct stream_table *t, bool (*match)(const struct stream_conn *, void *), void *ctx);

/* Removes (and releases) every connection match accepts. Returns how many.
 * O(capacity). */
size_t stream_remove_if(struct stream_table *t, bool (*match)(const struct stream_conn *, void *), void *ctx);

#endif
