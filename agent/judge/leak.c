// SPDX-License-Identifier: Apache-2.0
#include "leak.h"

#include <stdlib.h>
#include <string.h>

#define PROBE 8

struct leak_entry {
	uint8_t fp[LEAK_FP_LEN];
	uint64_t ident[2]; /* [0] the most recent sender */
	uint64_t seen[2];  /* when; 0: empty */
};

struct leak_table {
	struct leak_entry *e;
	size_t mask;
	uint64_t window_ns;
	struct leak_stats st;
};

struct leak_table *leak_table_new(size_t slots, uint64_t window_ns)
{
	struct leak_table *t = calloc(1, sizeof(*t));
	size_t n = 16;

	while (n < slots)
		n <<= 1;
	if (t)
		t->e = calloc(n, sizeof(*t->e));
	if (!t || !t->e) {
		free(t);
		return NULL;
	}
	t->mask = n - 1;
	t->window_ns = window_ns;
	return t;
}

void leak_table_free(struct leak_table *t)
{
	if (t)
		free(t->e);
	free(t);
}

static bool live(const struct leak_table *t, uint64_t seen, uint64_t now)
{
	return seen && now - seen <= t->window_ns;
}

static size_t home(const struct leak_table *t, const uint8_t *fp)
{
	uint64_t h;

	memcpy(&h, fp, sizeof(h)); /* a keyed MAC: already uniformly spread */
	return (size_t)h & t->mask;
}

static struct leak_entry *find(const struct leak_table *t, const uint8_t *fp, uint64_t now)
{
	for (size_t i = 0, k = home(t, fp); i < PROBE; i++, k = (k + 1) & t->mask)
		if (live(t, t->e[k].seen[0], now) && memcmp(t->e[k].fp, fp, LEAK_FP_LEN) == 0)
			return &t->e[k];
	return NULL;
}

void leak_remember(struct leak_table *t, const uint8_t *fp, uint64_t ident, uint64_t now_ns)
{
	struct leak_entry *e = find(t, fp, now_ns), *oldest = NULL;

	t->st.remembered++;
	if (e) {
		if (e->ident[0] != ident) { /* a second sender: keep the previous one too */
			e->ident[1] = e->ident[0];
			e->seen[1] = e->seen[0];
			e->ident[0] = ident;
		}
		e->seen[0] = now_ns;
		return;
	}
	for (size_t i = 0, k = home(t, fp); i < PROBE; i++, k = (k + 1) & t->mask) {
		if (!live(t, t->e[k].seen[0], now_ns)) {
			oldest = &t->e[k];
			break;
		}
		if (!oldest || t->e[k].seen[0] < oldest->seen[0])
			oldest = &t->e[k];
	}
	if (live(t, oldest->seen[0], now_ns))
		t->st.evicted++;
	memset(oldest, 0, sizeof(*oldest));
	memcpy(oldest->fp, fp, LEAK_FP_LEN);
	oldest->ident[0] = ident;
	oldest->seen[0] = now_ns;
}

bool leak_seen_elsewhere(const struct leak_table *t, const uint8_t *fp, uint64_t ident, uint64_t now_ns)
{
	const struct leak_entry *e = find(t, fp, now_ns);

	if (!e || ident == 0)
		return false; /* an unknown client cannot be told apart from the sender */
	for (int i = 0; i < 2; i++)
		if (live(t, e->seen[i], now_ns) && e->ident[i] != 0 && e->ident[i] != ident)
			return true;
	return false;
}

const struct leak_stats *leak_table_stats(const struct leak_table *t)
{
	return &t->st;
}
