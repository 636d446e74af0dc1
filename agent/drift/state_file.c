// SPDX-License-Identifier: Apache-2.0
#include "state_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "paths.h"

struct header {
	uint64_t magic;
	uint32_t size, n;
	uint32_t crc; /* of the records */
	uint32_t pad;
};

int state_file_save(const char *path, uint64_t magic, const void *recs, size_t size, size_t n,
		    bool (*used)(const void *rec))
{
	char tmp[PATH_BUF + 8];
	struct header h = { magic, (uint32_t)size, 0, 0, 0 };
	uLong crc = crc32(0, NULL, 0);
	const char *r = recs;
	FILE *f;
	bool ok;

	for (size_t i = 0; i < n; i++)
		if (used(r + i * size)) {
			h.n++;
			crc = crc32(crc, (const Bytef *)(r + i * size), (uInt)size);
		}
	h.crc = (uint32_t)crc;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "wb");
	ok = f && fwrite(&h, sizeof(h), 1, f) == 1;
	for (size_t i = 0; ok && i < n; i++)
		if (used(r + i * size))
			ok = fwrite(r + i * size, size, 1, f) == 1;
	ok = f && fflush(f) == 0 && fdatasync(fileno(f)) == 0 && ok;
	if (f)
		ok = fclose(f) == 0 && ok;
	ok = ok && rename(tmp, path) == 0;
	if (!ok)
		unlink(tmp);
	return ok ? 0 : -1;
}

long state_file_load(const char *path, uint64_t magic, void *recs, size_t size, size_t max,
		     bool (*accept)(const void *rec))
{
	struct header h;
	FILE *f = fopen(path, "rb");
	uLong crc = crc32(0, NULL, 0);
	char *r = recs, *one = malloc(size);
	size_t n = 0;
	bool bad = !one;

	if (!f) {
		free(one);
		return 0;
	}
	if (bad || fread(&h, sizeof(h), 1, f) != 1 || h.magic != magic || h.size != size)
		bad = true;
	for (uint32_t i = 0; !bad && i < h.n; i++) {
		if (fread(one, size, 1, f) != 1) {
			bad = true;
			break;
		}
		crc = crc32(crc, (const Bytef *)one, (uInt)size);
		if (n < max && (!accept || accept(one)))
			memcpy(r + n++ * size, one, size);
	}
	fclose(f);
	free(one);
	if (bad || (uint32_t)crc != h.crc) {
		memset(recs, 0, max * size);
		return -1;
	}
	return (long)n;
}
