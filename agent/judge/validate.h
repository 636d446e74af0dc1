/* SPDX-License-Identifier: Apache-2.0 */
/*
 * validate - the checks a format defines for itself: checksums, issuer
 * ranges, structure. Each takes the candidate value's bytes (not
 * NUL-terminated) and answers whether it is well formed; none of them
 * allocates or keeps anything. The classifier's confirm stage calls them
 * after the pattern scan, so a value that only looks right is dropped.
 */
#ifndef SEALTAP_VALIDATE_H
#define SEALTAP_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copies the decimal digits of s (dropping anything else) into out, at most
 * max; returns how many there were (possibly more than max). */
size_t digits_of(const char *s, size_t n, char *out, size_t max);

bool luhn_ok(const char *digits, size_t n);
/* Luhn over the digits of a value written with separators (at most 64). */
bool luhn_value_ok(const char *s, size_t n);
/* A payment card: 13-19 digits, Luhn, and a length the issuer whose prefix
 * it carries uses. Separators (one kind, spaces or dashes) must group the
 * digits as issuers print them (4-4-4-4, 4-6-5, 4-4-4-4-3, ...). */
bool card_ok(const char *s, size_t n);
/* Published test card numbers (Stripe, Visa, PayPal documentation). */
bool card_is_test_number(const char *digits, size_t n);

/* US SSN, dashed or not: area not 000, 666 or 900-999, group not 00,
 * serial not 0000, and not a published sample number. */
bool ssn_ok(const char *s, size_t n);
/* IBAN, spaced or not: a known country, that country's length, mod 97 == 1. */
bool iban_ok(const char *s, size_t n);
/* ABA routing number: 9 digits, a Federal Reserve prefix, 3-7-1 checksum. */
bool aba_ok(const char *s, size_t n);
/* US NPI: 10 digits starting 1 or 2, Luhn over 80840 followed by them. */
bool npi_ok(const char *s, size_t n);
/* DEA registration: registrant letter, name letter or 9, 7 digits with the
 * DEA checksum. */
bool dea_ok(const char *s, size_t n);
/* SWIFT/BIC: 4 bank letters, an ISO 3166 country, 2 location, optional 3
 * branch characters. */
bool bic_ok(const char *s, size_t n);
/* Bitcoin: a Base58Check P2PKH/P2SH address (double SHA-256 checksum), or a
 * bech32 / bech32m segwit address. */
bool btc_address_ok(const char *s, size_t n);
/* A JWT whose header is base64url JSON naming an "alg". */
/* base64 or base64url (either alphabet, padding or none) into out; the
 * decoded length, or -1 for a character of neither or more than max. */
int b64_decode(const char *s, size_t n, uint8_t *out, size_t max);
bool jwt_ok(const char *s, size_t n);
/* header.payload. whose header says "alg":"none": a token anyone can forge. */
bool jwt_unsigned_ok(const char *s, size_t n);
/* A Discord bot token whose first part decodes to a user id. */
bool discord_token_ok(const char *s, size_t n);
/* IPv4 dotted quad or IPv6 text form (inet_pton), not a documentation
 * range, unspecified or broadcast address. */
bool ip_ok(const char *s, size_t n);
/* A calendar date (Y-M-D, M/D/Y, D.M.Y or D/M/Y, or with a month name)
 * between 1900 and now. */
bool date_ok(const char *s, size_t n);

/* Up to NEEDLE_SET_MAX non-empty needles, indexed by first byte once so
 * that needle_set_find tries each only where its first byte is. It runs for
 * every candidate value, where glibc's memmem would cost a set-up per
 * needle, and trying every needle at every byte that starts one cost ~5k
 * instructions per value. */
#define NEEDLE_SET_MAX 64
struct needle_set {
	const char *const *needles;
	uint64_t by_first[256]; /* bit k: needles[k] starts with this byte */
	uint8_t len[NEEDLE_SET_MAX];
};

/* false (and an empty set) when count > NEEDLE_SET_MAX or a needle is
 * empty or longer than 255 bytes. */
bool needle_set_init(struct needle_set *set, const char *const *needles, size_t count);

/* Whether s[0..n) holds one of the set's needles. */
bool needle_set_find(const struct needle_set *set, const char *s, size_t n);
/* Whether s[0..n) holds one of the set's needles at a place where accept
 * (given the offset and length of the needle there) says yes. */
bool needle_set_find_if(const struct needle_set *set, const char *s, size_t n,
			bool (*accept)(const void *arg, size_t at, size_t len), const void *arg);

/* Shannon entropy of the bytes, in bits per byte. */
double entropy_bits(const char *s, size_t n);
/* Whether the value reads like a placeholder rather than a real secret:
 * x-runs, asterisks, angle or template brackets, "your_...", "example",
 * "changeme", a digit or letter repeated, or a keyboard sequence. */
bool looks_placeholder(const char *s, size_t n);
/* The same for a key file's base64 body, where a byte repeated is the
 * encoding's zeros (every OpenSSH key begins "...AAAAAAAAAAAB..."): its
 * markers, or fewer than 4 bits of entropy per character (a body that is
 * all "A", "MIIE" and x-runs). */
bool body_looks_placeholder(const char *s, size_t n);

#endif
