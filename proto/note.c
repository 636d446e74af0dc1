// SPDX-License-Identifier: Apache-2.0
#include "note.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "hex.h"

#define SIG_LEN 64
#define DASH "\xe2\x80\x94 " /* U+2014 and a space open a signature line */

struct note_signer {
	EVP_PKEY *key;
	char name[NOTE_NAME_MAX];
	uint8_t pub[NOTE_PUBKEY];
};

/* A key name: non-empty, no spaces, no '+', no control characters. */
static bool name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= NOTE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((uint8_t)name[i] <= 0x20 || name[i] == '+' || name[i] == 0x7f)
			return false;
	return true;
}

struct note_signer *note_signer_new(const char *name, const uint8_t seed[NOTE_SEED])
{
	struct note_signer *s;
	size_t publen = NOTE_PUBKEY;

	if (!name_ok(name) || !(s = calloc(1, sizeof(*s))))
		return NULL;
	s->key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, NOTE_SEED);
	if (!s->key || !EVP_PKEY_get_raw_public_key(s->key, s->pub, &publen) || publen != NOTE_PUBKEY) {
		note_signer_free(s);
		return NULL;
	}
	snprintf(s->name, sizeof(s->name), "%s", name);
	return s;
}

void note_signer_free(struct note_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->key);
	free(s);
}

void note_signer_public(const struct note_signer *s, uint8_t pub[NOTE_PUBKEY])
{
	memcpy(pub, s->pub, NOTE_PUBKEY);
}

const char *note_signer_name(const struct note_signer *s)
{
	return s->name;
}

void note_key_id(const char *name, const uint8_t pub[NOTE_PUBKEY], uint8_t id[4])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t h[32], sep[2] = { 0x0a, 0x01 }; /* newline, then the Ed25519 signature type */

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) || !EVP_DigestUpdate(ctx, name, strlen(name)) ||
	    !EVP_DigestUpdate(ctx, sep, 2) || !EVP_DigestUpdate(ctx, pub, NOTE_PUBKEY) ||
	    !EVP_DigestFinal_ex(ctx, h, NULL))
		memset(h, 0, sizeof(h));
	EVP_MD_CTX_free(ctx);
	memcpy(id, h, 4);
}

void note_key_name(const char *role, const uint8_t pub[NOTE_PUBKEY], char out[NOTE_NAME_MAX])
{
	char h[17];

	hex_encode(pub, 8, h);
	snprintf(out, NOTE_NAME_MAX, "sealtap-%s-%s", role, h);
}

void checkpoint_origin(const uint8_t stream_id[16], char out[NOTE_ORIGIN_MAX])
{
	char h[33];

	hex_encode(stream_id, 16, h);
	snprintf(out, NOTE_ORIGIN_MAX, "sealtap/stream/%s", h);
}

/* Standard base64 of n bytes into out (NUL-terminated). */
static void b64(const uint8_t *in, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

/* Decodes exactly want bytes from standard, padded base64. */
static bool unb64(const char *in, size_t len, uint8_t *out, size_t want)
{
	uint8_t buf[128];
	int n;
	size_t pad = 0;

	if (len == 0 || len % 4 || len / 4 * 3 > sizeof(buf))
		return false;
	for (size_t i = 0; i < len; i++) /* EVP_DecodeBlock skips white space: refuse it */
		if (!((in[i] >= 'A' && in[i] <= 'Z') || (in[i] >= 'a' && in[i] <= 'z') || (in[i] >= '0' && in[i] <= '9') ||
		      in[i] == '+' || in[i] == '/' || (in[i] == '=' && i >= len - 2)))
			return false;
	pad = (in[len - 1] == '=') + (in[len - 2] == '=');
	n = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)len);
	if (n < 0 || (size_t)n - pad != want)
		return false;
	memcpy(out, buf, want);
	return true;
}

int checkpoint_body(char *out, size_t cap, const char *origin, uint64_t size, const uint8_t root[TLOG_HASH])
{
	char r[64];
	int n;

	for (const char *p = origin; *p; p++)
		if ((uint8_t)*p < 0x20)
			return -1;
	if (!*origin)
		return -1;
	b64(root, TLOG_HASH, r);
	n = snprintf(out, cap, "%s\n%" PRIu64 "\n%s\n", origin, size, r);
	return n > 0 && (size_t)n < cap ? n : -1;
}

bool checkpoint_parse(const char *body, size_t len, char *origin, size_t origin_cap, uint64_t *size,
		      uint8_t root[TLOG_HASH])
{
	const char *end = body + len, *l1, *l2, *l3;
	uint64_t v = 0;

	if (len == 0 || body[len - 1] != '\n')
		return false;
	l1 = memchr(body, '\n', len);
	l2 = l1 ? memchr(l1 + 1, '\n', (size_t)(end - l1 - 1)) : NULL;
	l3 = l2 ? memchr(l2 + 1, '\n', (size_t)(end - l2 - 1)) : NULL;
	if (!l3 || l1 == body || (size_t)(l1 - body) >= origin_cap)
		return false;
	/* A decimal without sign or leading zeros. */
	if (l2 == l1 + 1 || (l1[1] == '0' && l2 != l1 + 2))
		return false;
	for (const char *p = l1 + 1; p < l2; p++) {
		if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (!unb64(l2 + 1, (size_t)(l3 - l2 - 1), root, TLOG_HASH))
		return false;
	memcpy(origin, body, (size_t)(l1 - body));
	origin[l1 - body] = '\0';
	*size = v;
	return true;
}

/* Where the signed body ends: after the newline that precedes the last
 * blank line, or the whole text when there are no signatures yet. */
static size_t body_end(const char *note, size_t len)
{
	for (size_t i = len; i-- > 1;)
		if (note[i] == '\n' && note[i - 1] == '\n')
			return i;
	return len;
}

int note_sign(struct note_signer *s, char *note, size_t len, size_t cap)
{
	EVP_MD_CTX *ctx;
	uint8_t blob[4 + SIG_LEN];
	size_t body = body_end(note, len), siglen = SIG_LEN;
	char sig[128];
	int n;

	if (len == 0 || note[body - 1] != '\n')
		return -1;
	ctx = EVP_MD_CTX_new();
	note_key_id(s->name, s->pub, blob);
	if (!ctx || EVP_DigestSignInit(ctx, NULL, NULL, NULL, s->key) != 1 ||
	    EVP_DigestSign(ctx, blob + 4, &siglen, (const uint8_t *)note, body) != 1 || siglen != SIG_LEN) {
		EVP_MD_CTX_free(ctx);
		return -1;
	}
	EVP_MD_CTX_free(ctx);
	b64(blob, sizeof(blob), sig);
	n = snprintf(note + len, cap - len, "%s" DASH "%s %s\n", body == len ? "\n" : "", s->name, sig);
	return n > 0 && (size_t)n < cap - len ? (int)(len + (size_t)n) : -1;
}

static bool verify_sig(const uint8_t pub[NOTE_PUBKEY], const char *msg, size_t len, const uint8_t sig[SIG_LEN])
{
	EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, NOTE_PUBKEY);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = key && ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
		  EVP_DigestVerify(ctx, sig, SIG_LEN, (const uint8_t *)msg, len) == 1;

	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return ok;
}

bool note_verify(const char *note, size_t len, const char *name, const uint8_t pub[NOTE_PUBKEY],
		 size_t *body_len)
{
	size_t body, nlen = strlen(name), dash = strlen(DASH);
	uint8_t want_id[4], blob[4 + SIG_LEN];
	const char *p, *end = note + len;

	if (len == 0 || len > NOTE_MAX || note[len - 1] != '\n')
		return false;
	for (size_t i = 0; i < len; i++)
		if ((uint8_t)note[i] < 0x20 && note[i] != '\n')
			return false;
	body = body_end(note, len);
	if (body == len)
		return false; /* not signed at all */
	note_key_id(name, pub, want_id);
	/* The first line with this key's name and id decides (as Go's note.Open). */
	for (p = note + body + 1; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *sp;

		if (!nl || (size_t)(nl - p) < dash || memcmp(p, DASH, dash) != 0)
			return false; /* a malformed signature line spoils the note */
		sp = memchr(p + dash, ' ', (size_t)(nl - p - dash));
		if (!sp)
			return false;
		if ((size_t)(sp - p - dash) == nlen && memcmp(p + dash, name, nlen) == 0 &&
		    unb64(sp + 1, (size_t)(nl - sp - 1), blob, sizeof(blob)) && memcmp(blob, want_id, 4) == 0) {
			if (!verify_sig(pub, note, body, blob + 4))
				return false;
			*body_len = body;
			return true;
		}
		p = nl + 1;
	}
	return false;
}
