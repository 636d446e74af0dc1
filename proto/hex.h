/* SPDX-License-Identifier: Apache-2.0 */
/* hex - bytes to and from lower-case hexadecimal text (stream ids, keys,
 * fingerprints), one implementation for the agent and the collector. */
#ifndef SEALTAP_HEX_H
#define SEALTAP_HEX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Writes 2n digits and a NUL into out. */
void hex_encode(const uint8_t *b, size_t n, char *out);
/* Writes 2n digits to a stream. */
void hex_put(FILE *out, const uint8_t *b, size_t n);
/* Reads exactly 2n hex digits (the whole string) into out: 0, or -1. */
int hex_decode(const char *h, uint8_t *out, size_t n);

#endif
