// SPDX-License-Identifier: Apache-2.0
#include "json.h"

#include <stdint.h>
#include <string.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid:
 * no overlongs, no surrogates, nothing above U+10FFFF (RFC 3629). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

void json_put_string(FILE *out, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', out);
	for (size_t i = 0; i < n;) {
		unsigned char ch = s[i];
		size_t len;

		if (ch == '"' || ch == '\\') {
			fputc('\\', out);
			fputc(ch, out);
			i++;
		} else if (ch == '\n') {
			fputs("\\n", out);
			i++;
		} else if (ch < 0x20 || ch == 0x7f) {
			fprintf(out, "\\u%04x", ch);
			i++;
		} else if ((len = utf8_len(s + i, n - i)) > 0) {
			fwrite(s + i, 1, len, out);
			i += len;
		} else {
			fputs("\\ufffd", out); /* not UTF-8: replaced, never passed on raw */
			i++;
		}
	}
	fputc('"', out);
}

void json_put_base64(FILE *out, const unsigned char *d, size_t n)
{
	char quad[4];
	size_t i;

	for (i = 0; i + 3 <= n; i += 3) {
		quad[0] = b64[d[i] >> 2];
		quad[1] = b64[((d[i] & 3) << 4) | (d[i + 1] >> 4)];
		quad[2] = b64[((d[i + 1] & 15) << 2) | (d[i + 2] >> 6)];
		quad[3] = b64[d[i + 2] & 63];
		fwrite(quad, 1, 4, out);
	}
	if (n - i == 1) {
		quad[0] = b64[d[i] >> 2];
		quad[1] = b64[(d[i] & 3) << 4];
		quad[2] = quad[3] = '=';
		fwrite(quad, 1, 4, out);
	} else if (n - i == 2) {
		quad[0] = b64[d[i] >> 2];
		quad[1] = b64[((d[i] & 3) << 4) | (d[i + 1] >> 4)];
		quad[2] = b64[(d[i + 1] & 15) << 2];
		quad[3] = '=';
		fwrite(quad, 1, 4, out);
	}
}

void json_put_field(FILE *out, const char *key, const char *s)
{
	fprintf(out, ",\"%s\":", key);
	json_put_string(out, s ? s : "", s ? strlen(s) : 0);
}
