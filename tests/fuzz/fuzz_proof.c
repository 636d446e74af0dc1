// SPDX-License-Identifier: Apache-2.0
/*
 * What an auditor's tool parses: a proof or lineage bundle (verify
 * --proof) and an event's bytes (export as JSON). Any bytes: no crash, no hang, and never
 * "verified" for bytes no agent signed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event_json.h"
#include "export.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t keys[1][CHAIN_AGENT_KEY] = { { 0x42 } }; /* no one holds its private key */
	FILE *devnull = fopen("/dev/null", "w");

	if (!devnull)
		return 0;
	if (verify_proof(data, size, keys, 1, devnull) == 0 && size > 0)
		abort();
	event_json_bytes(devnull, data, size);
	fclose(devnull);
	return 0;
}
