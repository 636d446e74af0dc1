/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gate - where in a text a literal-free detector could have a value.
 *
 * Most detectors start with a literal (a token prefix, a context word) that
 * Hyperscan's literal matcher finds at memory speed. A few are shapes only -
 * card numbers, IBANs, IP addresses, wallet addresses, DEA and SSN numbers -
 * and Hyperscan runs an automaton over every byte for them: together they
 * cost more than all the others. But every value of each of them contains a
 * short run of bytes of a known shape (two groups of four digits, "-dd-", a
 * capital pair before two digits, ...), which a few vector compares per 16
 * bytes find. The classifier scans for those detectors only near such runs
 * (classify.c), and the result is the same as scanning everything: each
 * detector's shape below is one that all of its findings contain.
 */
#ifndef SEALTAP_GATE_H
#define SEALTAP_GATE_H

#include <stddef.h>
#include <stdint.h>

enum gate_shape {
	GATE_CARD = 1u << 0,     /* four digits, then four more after at most one separator */
	GATE_SSN = 1u << 1,      /* "-dd-" or ".dd." */
	GATE_DIGITS7 = 1u << 2,  /* seven digits in a row (DEA numbers) */
	GATE_IBAN = 1u << 3,     /* two capitals and two digits (country and check digits) */
	GATE_IPV4 = 1u << 4,     /* a digit, '.', a digit, and another '.' two to four bytes on */
	GATE_IPV6 = 1u << 5,     /* two colons at most five bytes apart */
	GATE_ALNUM26 = 1u << 6,  /* 26 letters and digits in a row (Base58 and bech32 addresses) */
};

/* The longest shape: one ending in a text piece starts at most this many
 * bytes before the piece. */
#define GATE_SHAPE_MAX 26

/* On x86, 0 keeps to the SSE2 path even where the CPU has AVX2 (the tests
 * run both); otherwise AVX2 is used when the CPU has it. */
extern int gate_avx2;

/* Sets bit i of marks (one bit per byte of text[0..n), (n + 63) / 64 words)
 * when one of the shapes ends at text[i]. */
void gate_mark(unsigned shapes, const char *text, size_t n, uint64_t *marks);

#endif
