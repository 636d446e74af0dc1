/* SPDX-License-Identifier: Apache-2.0 */
/*
 * note - C2SP signed notes with Ed25519 (OpenSSL's libcrypto), and the
 * C2SP tlog-checkpoint they carry:
 *
 *   <origin>\n<tree size>\n<base64 root hash>\n     the body (what is signed)
 *   \n
 *   — <key name> <base64(key id[4] || signature[64])>\n
 *
 * key id = SHA-256(key name || 0x0A || 0x01 || public key)[:4]. The agent
 * signs its own checkpoints; the collector cosigns them with a second line.
 */
#ifndef SEALTAP_NOTE_H
#define SEALTAP_NOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlog.h"

#define NOTE_PUBKEY 32
#define NOTE_SEED 32
#define NOTE_MAX 4096     /* a checkpoint note with a few signatures fits easily */
#define NOTE_NAME_MAX 128
#define NOTE_ORIGIN_MAX 64

struct note_signer; /* an Ed25519 private key and its name */

/* From a 32-byte seed (the private key as stored). NULL on failure. */
struct note_signer *note_signer_new(const char *name, const uint8_t seed[NOTE_SEED]);
void note_signer_free(struct note_signer *s);
void note_signer_public(const struct note_signer *s, uint8_t pub[NOTE_PUBKEY]);
const char *note_signer_name(const struct note_signer *s);

void note_key_id(const char *name, const uint8_t pub[NOTE_PUBKEY], uint8_t id[4]);
/* The key name sealtap signs with: "sealtap-<role>-<first 8 bytes of the
 * public key in hex>" (role "agent" or "collector"). */
void note_key_name(const char *role, const uint8_t pub[NOTE_PUBKEY], char out[NOTE_NAME_MAX]);
/* The checkpoint origin of an agent stream: "sealtap/stream/<id in hex>". */
void checkpoint_origin(const uint8_t stream_id[16], char out[NOTE_ORIGIN_MAX]);

/* Checkpoint body for origin, size, root. Returns its length, or -1 if it
 * does not fit or origin is not a valid line. */
int checkpoint_body(char *out, size_t cap, const char *origin, uint64_t size, const uint8_t root[TLOG_HASH]);
/* Parses a checkpoint body (extension lines allowed and ignored). */
bool checkpoint_parse(const char *body, size_t len, char *origin, size_t origin_cap, uint64_t *size,
		      uint8_t root[TLOG_HASH]);

/* Appends a signature line by s to a note: note is either a body (then the
 * blank line is added) or an already signed note. Returns the new length,
 * or -1. */
int note_sign(struct note_signer *s, char *note, size_t len, size_t cap);

/* Verifies that note carries a valid signature by (name, pub). On success
 * sets *body_len to the length of the signed body. */
bool note_verify(const char *note, size_t len, const char *name, const uint8_t pub[NOTE_PUBKEY],
		 size_t *body_len);

#endif
