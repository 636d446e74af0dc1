// SPDX-License-Identifier: Apache-2.0
#include "hex.h"

#include <string.h>

static const char digits[] = "0123456789abcdef";

void hex_encode(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

void hex_put(FILE *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fputc(digits[b[i] >> 4], out);
		fputc(digits[b[i] & 15], out);
	}
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(const char *h, uint8_t *out, size_t n)
{
	if (strlen(h) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = nibble(h[2 * i]), lo = nibble(h[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
