// SPDX-License-Identifier: Apache-2.0
/*
 * note_example - prints the signed checkpoint the agent's code makes over
 * the given leaves, for tests/e2e/test_evidence_format.py to check with an
 * independent implementation (Python hashlib and cryptography).
 *
 * usage: note_example SEED_HEX KEY_NAME ORIGIN [LEAF_HEX...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "note.h"
#include "tlog.h"

/* Any number of whole bytes, up to max: their count, or -1. */
static int unhex(const char *h, uint8_t *out, size_t max)
{
	size_t n = strlen(h) / 2;

	return n <= max && hex_decode(h, out, n) == 0 ? (int)n : -1;
}

int main(int argc, char **argv)
{
	uint8_t seed[NOTE_SEED], root[TLOG_HASH], buf[4096];
	struct tlog_frontier f;
	struct note_signer *s;
	char note[NOTE_MAX];
	int n;

	if (argc < 4 || unhex(argv[1], seed, sizeof(seed)) != NOTE_SEED)
		return fprintf(stderr, "usage: note_example SEED_HEX KEY_NAME ORIGIN [LEAF_HEX...]\n"), 2;
	tlog_frontier_init(&f);
	for (int i = 4; i < argc; i++) {
		int len = unhex(argv[i], buf, sizeof(buf));

		if (len < 0)
			return fprintf(stderr, "bad leaf %s\n", argv[i]), 2;
		tlog_leaf_hash(buf, (size_t)len, root);
		tlog_frontier_append(&f, root);
	}
	tlog_frontier_root(&f, root);
	s = note_signer_new(argv[2], seed);
	if (!s)
		return fprintf(stderr, "bad key name\n"), 2;
	n = checkpoint_body(note, sizeof(note), argv[3], f.size, root);
	if (n < 0 || (n = note_sign(s, note, (size_t)n, sizeof(note))) < 0)
		return fprintf(stderr, "cannot sign\n"), 1;
	fwrite(note, 1, (size_t)n, stdout);
	note_signer_free(s);
	return 0;
}
