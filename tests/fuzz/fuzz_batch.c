// SPDX-License-Identifier: Apache-2.0
/*
 * The collector's batch endpoint behind HTTP: any bytes as a Batch, judged
 * against an in-memory SQLite store by a collector that enrolls one agent
 * key (seed 32 x 0x07, the key the seed corpus is signed with), so valid
 * batches reach verification, storage and the Merkle checks, and mutated
 * ones every refusal path. Stored events must always verify.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "note.h"
#include "store.h"
#include "verify.h"

static struct collector c;

static void setup(void)
{
	uint8_t seed[32], pub[NOTE_PUBKEY];
	char err[256];
	struct note_signer *agent;

	memset(seed, 0x07, sizeof(seed));
	agent = note_signer_new("k", seed);
	note_signer_public(agent, pub);
	note_signer_free(agent);
	c.allow.keys = malloc(CHAIN_AGENT_KEY);
	memcpy(c.allow.keys[0], pub, CHAIN_AGENT_KEY);
	c.allow.n = 1;
	memset(seed, 0x09, sizeof(seed));
	c.signer = note_signer_new("sealtap-collector-fuzz", seed);
	c.store = store_open(":memory:", true, err, sizeof(err));
	if (!c.store || !c.signer)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ingest_result r;
	uint64_t streams = 0, events = 0;
	FILE *devnull;

	if (!c.store)
		setup();
	ingest_batch(&c, data, size, &r);
	if (r.status == 200 && r.stored) {
		devnull = fopen("/dev/null", "w");
		if (verify_store(c.store, NULL, devnull, &streams, &events) != 0)
			abort(); /* the collector stored something that does not verify */
		fclose(devnull);
	}
	ingest_result_release(&r);
	return 0;
}
