// SPDX-License-Identifier: Apache-2.0
#include "prompts.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "about.h"
#include "clock.h"
#include "drift.h"
#include "evidence.h"
#include "hex.h"
#include "json.h"
#include "paths.h"
#include "state_file.h"

#define SAVE_EVERY_NS 60000000000ull
#define STATE_MAGIC 0x5354504d4f525031ull /* "1PROMPTS" */

/* A prompt a key was seen with. */
struct known {
	uint8_t digest[32], instructions[32], tools[32];
	uint64_t instructions_len, tools_len;
	uint64_t first_seen_ns, exchanges;
};

/* One key: flat, so it is saved and loaded as it is. */
struct key {
	char name[DRIFT_KEY_MAX];
	bool used;
	uint32_t nknown, current; /* known[current]: the prompt it was last served under */
	uint64_t last_used_ns;
	struct known known[PROMPTS_KNOWN];
};

struct prompts {
	struct prompts_opts o;
	char state_path[PATH_BUF];
	struct key *keys;
	bool dirty;
	uint64_t last_save;
	struct prompts_stats st;
};

static bool instruction_role(const char *role)
{
	return !strcmp(role, "system") || !strcmp(role, "developer");
}

void prompts_digest(const struct exchange *x, uint8_t instructions[32], uint8_t tools[32], uint8_t digest[32],
		    uint64_t *instructions_len, uint64_t *tools_len)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	static const uint8_t zero = 0;

	*instructions_len = 0;
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	for (int i = 0; i < x->nmessages; i++) {
		const struct x_message *m = &x->messages[i];

		if (!instruction_role(m->role))
			continue;
		EVP_DigestUpdate(c, m->role, strlen(m->role));
		EVP_DigestUpdate(c, &zero, 1);
		EVP_DigestUpdate(c, m->text.p ? m->text.p : "", m->text.len);
		EVP_DigestUpdate(c, &zero, 1);
		*instructions_len += m->text.len;
	}
	EVP_DigestFinal_ex(c, instructions, NULL);
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	EVP_DigestUpdate(c, x->tools.p ? x->tools.p : "", x->tools.len);
	EVP_DigestFinal_ex(c, tools, NULL);
	*tools_len = x->tools.len;
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	EVP_DigestUpdate(c, instructions, 32);
	EVP_DigestUpdate(c, tools, 32);
	EVP_DigestFinal_ex(c, digest, NULL);
	EVP_MD_CTX_free(c);
}

/* ---- the table ---- */

static struct key *find_key(struct prompts *p, const char *name, bool *fresh)
{
	struct key *free_slot = NULL, *oldest = NULL;

	*fresh = false;
	for (size_t i = 0; i < p->o.max_keys; i++) {
		struct key *k = &p->keys[i];

		if (k->used && !strcmp(k->name, name))
			return k;
		if (!k->used && !free_slot)
			free_slot = k;
		if (k->used && (!oldest || k->last_used_ns < oldest->last_used_ns))
			oldest = k;
	}
	if (!free_slot) {
		free_slot = oldest; /* the least recently used key goes: its next request is a baseline again */
		p->st.keys_evicted++;
		p->st.keys--;
	}
	memset(free_slot, 0, sizeof(*free_slot));
	snprintf(free_slot->name, sizeof(free_slot->name), "%s", name);
	free_slot->used = true;
	p->st.keys++;
	*fresh = true;
	return free_slot;
}

/* Room for one more prompt in k: the one first seen longest ago goes
 * (never the current one). */
static struct known *add_known(struct prompts *p, struct key *k)
{
	uint32_t slot = k->nknown;

	if (k->nknown == PROMPTS_KNOWN) {
		slot = k->current == 0 ? 1 : 0;
		for (uint32_t i = 0; i < PROMPTS_KNOWN; i++)
			if (i != k->current && k->known[i].first_seen_ns < k->known[slot].first_seen_ns)
				slot = i;
		p->st.prompts_forgotten++;
	} else {
		k->nknown++;
	}
	memset(&k->known[slot], 0, sizeof(k->known[slot]));
	return &k->known[slot];
}

static void record_change(struct prompts *p, const struct exchange *x, const struct key *k, const struct known *was,
			  const struct known *now)
{
	struct evidence_prompt_change pc = {
		.key = k->name,
		.previous_digest = was->digest,
		.digest = now->digest,
		.instructions_changed = memcmp(was->instructions, now->instructions, 32) != 0,
		.tools_changed = memcmp(was->tools, now->tools, 32) != 0,
		.previous_instructions_length = was->instructions_len,
		.previous_tools_length = was->tools_len,
		.instructions_length = now->instructions_len,
		.tools_length = now->tools_len,
		.previous_first_seen_ns = was->first_seen_ns,
		.previous_exchanges = was->exchanges,
		.known_prompts = k->nknown,
	};
	FILE *out = p->o.out;
	int64_t seq = -1;

	p->st.changes++;
	if (p->o.ev) {
		struct evidence_about ab;

		about_exchange(x, &ab);
		seq = evidence_prompt_change(p->o.ev, &ab, &pc);
	}
	if (!out)
		return;
	fprintf(out, "{\"type\":\"prompt_change\",\"time_ns\":%" PRIu64 ",\"key\":", clock_mono_ns());
	json_put_string(out, k->name, strlen(k->name));
	fprintf(out, ",\"exchange_id\":%" PRIu64 ",\"api\":\"%s\",\"previous_digest\":\"", x->id,
		llm_flavor_name(x->flavor));
	hex_put(out, was->digest, 32);
	fputs("\",\"digest\":\"", out);
	hex_put(out, now->digest, 32);
	fprintf(out,
		"\",\"instructions_changed\":%s,\"tools_changed\":%s,\"previous_instructions_length\":%" PRIu64
		",\"instructions_length\":%" PRIu64 ",\"previous_tools_length\":%" PRIu64 ",\"tools_length\":%" PRIu64
		",\"previous_exchanges\":%" PRIu64 ",\"known_prompts\":%u,\"evidence_seq\":%" PRId64 "}\n",
		pc.instructions_changed ? "true" : "false", pc.tools_changed ? "true" : "false", was->instructions_len,
		now->instructions_len, was->tools_len, now->tools_len, was->exchanges, k->nknown, seq);
	fflush(out);
}

void prompts_request(struct prompts *p, const struct exchange *x)
{
	char name[DRIFT_KEY_MAX];
	struct known seen = { 0 }, *slot;
	struct key *k;
	bool fresh;

	if (!p || x->flavor == LLM_OPENAI_EMBEDDINGS)
		return; /* an embedding has no instructions */
	p->st.requests++;
	prompts_digest(x, seen.instructions, seen.tools, seen.digest, &seen.instructions_len, &seen.tools_len);
	drift_key_name(x, name, sizeof(name));
	k = find_key(p, name, &fresh);
	k->last_used_ns = clock_mono_ns();
	p->dirty = true;
	if (!fresh && !memcmp(k->known[k->current].digest, seen.digest, 32)) {
		k->known[k->current].exchanges++;
		return;
	}
	for (uint32_t i = 0; !fresh && i < k->nknown; i++)
		if (!memcmp(k->known[i].digest, seen.digest, 32)) {
			k->current = i; /* seen before for this key: no change to report */
			k->known[i].exchanges++;
			p->st.returned++;
			return;
		}
	seen.first_seen_ns = clock_wall_ns();
	seen.exchanges = 1;
	if (fresh) {
		p->st.baselines++;
		k->known[0] = seen;
		k->nknown = 1;
		k->current = 0;
		return;
	}
	{
		struct known was = k->known[k->current];

		slot = add_known(p, k);
		*slot = seen;
		k->current = (uint32_t)(slot - k->known);
		record_change(p, x, k, &was, slot);
	}
}

/* ---- state on disk ---- */

static bool key_used(const void *rec)
{
	return ((const struct key *)rec)->used;
}

static bool key_sound(const void *rec)
{
	const struct key *k = rec;

	return k->nknown >= 1 && k->nknown <= PROMPTS_KNOWN && k->current < k->nknown;
}

static void save(struct prompts *p)
{
	if (!p->o.state_path)
		return;
	if (state_file_save(p->o.state_path, STATE_MAGIC, p->keys, sizeof(struct key), p->o.max_keys, key_used)) {
		p->st.state_errors++;
		return;
	}
	p->st.state_saves++;
	p->dirty = false;
}

/* A state file set aside (counted) means every key starts over with a
 * baseline: no change is invented. */
static void load(struct prompts *p)
{
	long n = state_file_load(p->o.state_path, STATE_MAGIC, p->keys, sizeof(struct key), p->o.max_keys, key_sound);

	if (n < 0) {
		p->st.state_errors++;
		return;
	}
	for (long i = 0; i < n; i++) {
		p->keys[i].name[sizeof(p->keys[i].name) - 1] = '\0';
		p->keys[i].used = true;
		p->keys[i].last_used_ns = 0; /* the monotonic clock started over */
	}
	p->st.keys = (uint64_t)n;
	p->st.state_loaded_keys = (uint64_t)n;
}

/* ---- life cycle ---- */

struct prompts *prompts_new(const struct prompts_opts *o, char *err, size_t errsz)
{
	struct prompts *p = calloc(1, sizeof(*p));

	if (!p) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	p->o = *o;
	if (!p->o.max_keys)
		p->o.max_keys = 1024;
	if (o->state_path) {
		snprintf(p->state_path, sizeof(p->state_path), "%s", o->state_path);
		p->o.state_path = p->state_path;
	}
	p->keys = calloc(p->o.max_keys, sizeof(struct key));
	if (!p->keys) {
		snprintf(err, errsz, "out of memory for %zu prompt keys", p->o.max_keys);
		free(p);
		return NULL;
	}
	if (p->o.state_path)
		load(p);
	return p;
}

void prompts_free(struct prompts *p)
{
	if (!p)
		return;
	if (p->dirty)
		save(p);
	free(p->keys);
	free(p);
}

void prompts_tick(struct prompts *p, uint64_t mono_ns)
{
	if (!p)
		return;
	if (!p->last_save)
		p->last_save = mono_ns;
	if (p->dirty && mono_ns - p->last_save >= SAVE_EVERY_NS) {
		save(p);
		p->last_save = mono_ns;
	}
}

const struct prompts_stats *prompts_get_stats(const struct prompts *p)
{
	return &p->st;
}

void prompts_write_stats(const struct prompts *p, FILE *out)
{
	if (!p)
		return;
	fprintf(out,
		",\"prompts\":{\"requests\":%" PRIu64 ",\"keys\":%" PRIu64 ",\"baselines\":%" PRIu64
		",\"changes\":%" PRIu64 ",\"returned\":%" PRIu64 ",\"keys_evicted\":%" PRIu64
		",\"prompts_forgotten\":%" PRIu64 ",\"state_saves\":%" PRIu64 ",\"state_errors\":%" PRIu64
		",\"state_loaded_keys\":%" PRIu64 "}",
		p->st.requests, p->st.keys, p->st.baselines, p->st.changes, p->st.returned, p->st.keys_evicted,
		p->st.prompts_forgotten, p->st.state_saves, p->st.state_errors, p->st.state_loaded_keys);
}
