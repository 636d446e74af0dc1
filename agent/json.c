// SPDX-License-Identifier: Apache-2.0
#include "json.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void json_put_string(FILE *out, const char *s, size_t n)
{
	fputc('"', out);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", out);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
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
