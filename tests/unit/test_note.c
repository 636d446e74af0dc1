// SPDX-License-Identifier: Apache-2.0
/* C2SP signed notes and checkpoints: round trips, cosignatures, and every
 * way a note can be altered failing. (tests/e2e/test_evidence_format.py
 * checks the same notes with an independent Ed25519 implementation.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "note.h"

static const uint8_t seed_a[NOTE_SEED] = "agent-seed-for-unit-tests-32byte";
static const uint8_t seed_b[NOTE_SEED] = "collector-seed-for-unit-tests-32";

static int signed_checkpoint(struct note_signer *s, char *note, uint64_t size)
{
	uint8_t root[TLOG_HASH];
	int n;

	memset(root, 0xab, sizeof(root));
	n = checkpoint_body(note, NOTE_MAX, "sealtap.local/agent/0123456789abcdef", size, root);
	assert_true(n > 0);
	return note_sign(s, note, (size_t)n, NOTE_MAX);
}

static void test_note_sign_verify_cosign(void **state)
{
	struct note_signer *a = note_signer_new("sealtap.local/agent/0123456789abcdef", seed_a);
	struct note_signer *b = note_signer_new("sealtap.local/collector", seed_b);
	uint8_t pa[NOTE_PUBKEY], pb[NOTE_PUBKEY], root[TLOG_HASH];
	char note[NOTE_MAX], origin[128];
	size_t body;
	uint64_t size;
	int n;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	note_signer_public(a, pa);
	note_signer_public(b, pb);
	n = signed_checkpoint(a, note, 42);
	assert_true(n > 0);
	assert_true(note_verify(note, (size_t)n, note_signer_name(a), pa, &body));
	assert_true(checkpoint_parse(note, body, origin, sizeof(origin), &size, root));
	assert_string_equal(origin, "sealtap.local/agent/0123456789abcdef");
	assert_int_equal(size, 42);
	assert_int_equal(root[0], 0xab);
	assert_false(note_verify(note, (size_t)n, note_signer_name(b), pb, &body)); /* not signed by b yet */
	n = note_sign(b, note, (size_t)n, sizeof(note));                         /* the collector cosigns */
	assert_true(n > 0);
	assert_true(note_verify(note, (size_t)n, note_signer_name(a), pa, &body));
	assert_true(note_verify(note, (size_t)n, note_signer_name(b), pb, &body));
	assert_false(note_verify(note, (size_t)n, note_signer_name(a), pb, &body)); /* a's name, b's key */
	note_signer_free(a);
	note_signer_free(b);
}

static void test_note_tampering_fails(void **state)
{
	struct note_signer *a = note_signer_new("sealtap.local/agent/x", seed_a);
	uint8_t pa[NOTE_PUBKEY];
	char note[NOTE_MAX], copy[NOTE_MAX];
	size_t body;
	int n;

	(void)state;
	note_signer_public(a, pa);
	n = signed_checkpoint(a, note, 7);
	/* Any single byte changed - in the body, the name or the signature. */
	for (int i = 0; i < n - 1; i++) {
		memcpy(copy, note, (size_t)n);
		copy[i] ^= 0x01;
		if (note_verify(copy, (size_t)n, "sealtap.local/agent/x", pa, &body))
			fail_msg("byte %d altered and the note still verifies", i);
	}
	/* A different size with the old signature. */
	memcpy(copy, note, (size_t)n);
	copy[strchr(copy, '\n') - copy + 1] = '8';
	assert_false(note_verify(copy, (size_t)n, "sealtap.local/agent/x", pa, &body));
	/* Truncated, or with no signature at all. */
	assert_false(note_verify(note, (size_t)n - 1, "sealtap.local/agent/x", pa, &body));
	assert_false(note_verify(note, (size_t)(strstr(note, "\n\n") - note) + 1, "sealtap.local/agent/x", pa, &body));
	note_signer_free(a);
}

static void test_checkpoint_parse_refuses(void **state)
{
	static const char *const bad[] = {
		"origin\n42\n",                                                 /* no root */
		"origin\n042\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n", /* leading zero */
		"origin\n-1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n",
		"origin\n42\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6ur\n",     /* 30 bytes */
		"\n42\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n",       /* no origin */
		"origin\n42\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=",   /* no final newline */
	};
	char origin[64];
	uint64_t size;
	uint8_t root[TLOG_HASH];

	(void)state;
	assert_true(checkpoint_parse("origin\n42\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\next\n", 59, origin,
				     sizeof(origin), &size, root));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (checkpoint_parse(bad[i], strlen(bad[i]), origin, sizeof(origin), &size, root))
			fail_msg("accepted: %s", bad[i]);
	assert_null(note_signer_new("has space", seed_a));
	assert_null(note_signer_new("has+plus", seed_a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_note_sign_verify_cosign),
		cmocka_unit_test(test_note_tampering_fails),
		cmocka_unit_test(test_checkpoint_parse_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
