// SPDX-License-Identifier: Apache-2.0
#include "stream.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static size_t hash_key(uint32_t pid, uint64_t ssl)
{
	uint64_t h = ssl ^ ((uint64_t)pid << 32) ^ pid;

	/* splitmix64 finaliser: SSL* values share their low bits (allocator
	 * alignment), the table needs them spread. */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return (size_t)h;
}

static void release_user(struct stream_table *t, struct stream_conn *c)
{
	void *user = c->user;

	c->user = NULL;
	if (user && t->release_user)
		t->release_user(user);
}

int stream_init(struct stream_table *t, size_t capacity)
{
	size_t cap = 16;

	memset(t, 0, sizeof(*t));
	while (cap < capacity)
		cap <<= 1;
	t->slots = calloc(cap, sizeof(*t->slots));
	t->occupied = calloc((cap + 63) / 64, sizeof(*t->occupied));
	if (!t->slots || !t->occupied) {
		free(t->slots);
		free(t->occupied);
		return -ENOMEM;
	}
	t->cap = cap;
	t->max_live = cap / 4 * 3;
	return 0;
}

/* Whether slot i holds an entry: the occupancy bitmap is the only record of
 * it, so probes and walks can never disagree. */
static bool slot_used(const struct stream_table *t, size_t i)
{
	return t->occupied[i / 64] >> (i % 64) & 1;
}

/* The first slot in use at or after i, or cap: the table's walks read the
 * occupancy bitmap (a bit a slot), not the slots, so a large, mostly empty
 * table (65536 slots by default, 4 MiB) costs a walk 8 KiB of reads. */
static size_t next_used(const struct stream_table *t, size_t i)
{
	while (i < t->cap) {
		uint64_t word = t->occupied[i / 64] >> (i % 64);

		if (word)
			return i + (size_t)__builtin_ctzll(word);
		i = (i / 64 + 1) * 64;
	}
	return t->cap;
}

static void set_used(struct stream_table *t, size_t i, bool used)
{
	if (used)
		t->occupied[i / 64] |= 1ull << (i % 64);
	else
		t->occupied[i / 64] &= ~(1ull << (i % 64));
}

void stream_release(struct stream_table *t)
{
	for (size_t i = 0; t->slots && (i = next_used(t, i)) < t->cap; i++)
		release_user(t, &t->slots[i]);
	free(t->slots);
	free(t->occupied);
	memset(t, 0, sizeof(*t));
}

static struct stream_conn *find(struct stream_table *t, uint32_t pid, uint64_t ssl, size_t *pos)
{
	size_t mask = t->cap - 1;

	for (size_t i = hash_key(pid, ssl) & mask;; i = (i + 1) & mask) {
		struct stream_conn *c = &t->slots[i];

		if (!slot_used(t, i)) {
			*pos = i;
			return NULL;
		}
		if (c->key.pid == pid && c->key.ssl == ssl) {
			*pos = i;
			return c;
		}
	}
}

/* Backward-shift deletion keeps linear probing free of tombstones. */
static void remove_at(struct stream_table *t, size_t pos)
{
	size_t mask = t->cap - 1, hole = pos;

	release_user(t, &t->slots[pos]);
	for (size_t i = (pos + 1) & mask; slot_used(t, i); i = (i + 1) & mask) {
		size_t home = hash_key(t->slots[i].key.pid, t->slots[i].key.ssl) & mask;

		/* Move i into the hole unless its home lies cyclically in (hole, i]. */
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			t->slots[hole] = t->slots[i];
			hole = i;
		}
	}
	memset(&t->slots[hole], 0, sizeof(t->slots[hole]));
	set_used(t, hole, false);
	t->st.active--;
}

/* O(capacity), only when the table is full: a rare, counted event. */
static void evict_oldest(struct stream_table *t)
{
	size_t victim = 0;
	uint64_t oldest = UINT64_MAX;

	for (size_t i = 0; (i = next_used(t, i)) < t->cap; i++)
		if (t->slots[i].last_seen_ns < oldest) {
			oldest = t->slots[i].last_seen_ns;
			victim = i;
		}
	if (oldest != UINT64_MAX) {
		remove_at(t, victim);
		t->st.evicted++;
	}
}

uint64_t stream_on_data(struct stream_table *t, uint32_t pid, uint64_t ssl, int dir, uint64_t off,
			uint64_t len, int start, uint64_t now_ns, struct stream_conn **conn)
{
	size_t pos;
	struct stream_conn *c = find(t, pid, ssl, &pos);
	uint64_t missing = 0;

	dir &= 1;
	if (c && start) {
		/* Our table still had it, the kernel's did not: it was evicted
		 * there and numbering restarted. Start over. */
		t->st.restarts++;
		memset(c->next_off, 0, sizeof(c->next_off));
		release_user(t, c);
		c->id = ++t->next_id; /* another connection for everything downstream */
	}
	if (!c) {
		if (t->st.active >= t->max_live) {
			evict_oldest(t);
			find(t, pid, ssl, &pos);
		}
		c = &t->slots[pos];
		set_used(t, pos, true);
		c->key.pid = pid;
		c->key.ssl = ssl;
		c->id = ++t->next_id;
		c->user = NULL;
		memset(c->next_off, 0, sizeof(c->next_off));
		t->st.active++;
		t->st.opened++;
		/* A connection first seen mid-stream (agent started late, or
		 * the first chunks were lost) counts as a gap from offset 0 only
		 * if the kernel side saw its start. */
		if (!start)
			c->next_off[dir] = off;
	}
	if (off > c->next_off[dir]) {
		missing = off - c->next_off[dir];
		t->st.gaps++;
		t->st.gap_bytes += missing;
	} else if (off < c->next_off[dir]) {
		t->st.overlaps++;
	}
	if (off + len > c->next_off[dir])
		c->next_off[dir] = off + len;
	c->last_seen_ns = now_ns;
	if (conn)
		*conn = c;
	return missing;
}

uint64_t stream_on_close(struct stream_table *t, uint32_t pid, uint64_t ssl, uint64_t write_total,
			 uint64_t read_total)
{
	size_t pos;
	struct stream_conn *c = find(t, pid, ssl, &pos);
	uint64_t tail = 0;

	if (!c)
		return 0;
	if (write_total > c->next_off[0])
		tail += write_total - c->next_off[0];
	if (read_total > c->next_off[1])
		tail += read_total - c->next_off[1];
	t->st.tail_bytes += tail;
	t->st.closed++;
	remove_at(t, pos);
	return tail;
}

/* Removes every entry matching; re-examines a slot after each removal, since
 * backward shift may move a later matching entry into it. */
size_t stream_remove_if(struct stream_table *t, bool (*match)(const struct stream_conn *, void *), void *ctx)
{
	size_t n = 0;

	for (size_t i = 0; (i = next_used(t, i)) < t->cap;) {
		if (match(&t->slots[i], ctx)) {
			remove_at(t, i);
			n++;
			continue;
		}
		i++;
	}
	return n;
}

bool stream_any(const struct stream_table *t, bool (*match)(const struct stream_conn *, void *), void *ctx)
{
	for (size_t i = 0; (i = next_used(t, i)) < t->cap; i++)
		if (match(&t->slots[i], ctx))
			return true;
	return false;
}

static bool pid_is(const struct stream_conn *c, void *pid)
{
	return c->key.pid == *(const uint32_t *)pid;
}

static bool idle_since(const struct stream_conn *c, void *before)
{
	return c->last_seen_ns < *(const uint64_t *)before;
}

size_t stream_forget_pid(struct stream_table *t, uint32_t pid)
{
	return stream_remove_if(t, pid_is, &pid);
}

size_t stream_evict_idle(struct stream_table *t, uint64_t idle_before_ns)
{
	size_t n = stream_remove_if(t, idle_since, &idle_before_ns);

	t->st.idle_evicted += n;
	return n;
}
