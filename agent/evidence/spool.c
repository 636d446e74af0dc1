// SPDX-License-Identifier: Apache-2.0
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <zlib.h>

#include "paths.h"

#define SEG_MAX (4u << 20) /* a segment is closed at the first checkpoint past this */
#define REC_MAX (1u << 20) /* one record's payload */
#define HDR 17             /* length, CRC, type, seq */
/* A segment closes at the first checkpoint past SEG_MAX, so it can be
 * longer by what came in since the last one; this only guards against
 * reading something absurd into memory. */
#define SEG_READ_MAX (256u << 20)

struct segment {
	uint64_t id;
	uint64_t bytes;
	uint64_t min_seq, max_seq; /* of its events */
	bool has_events;
};

struct spool {
	char dir[PATH_MAX];
	int dirfd;
	int fd; /* the last segment, appended to */
	struct segment *segs;
	size_t nsegs, cap;
	uint64_t max_bytes;
	struct spool_stats st;
	uint8_t *last_cp; /* the newest checkpoint, repeated at the head of each new segment */
	size_t last_cp_len;
	uint64_t last_cp_seq;
};

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void seg_path(const struct spool *s, uint64_t id, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%016" PRIx64 ".seg", s->dir, id);
}

static int cmp_seg(const void *a, const void *b)
{
	const struct segment *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Reads a whole segment file. */
static uint8_t *slurp(const struct spool *s, uint64_t id, size_t *len)
{
	char path[PATH_BUF];
	struct stat st;
	uint8_t *buf;
	int fd;

	seg_path(s, id, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || st.st_size > (off_t)SEG_READ_MAX) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf && pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* Walks the records of buf; returns the offset where intact records end. */
static size_t walk(const uint8_t *buf, size_t len, spool_fn fn, void *ctx, struct segment *seg, int *stopped)
{
	size_t off = 0;

	while (off + HDR <= len) {
		uint32_t n = get32(buf + off);
		uint8_t type = buf[off + 8];
		uint64_t seq = get64(buf + off + 9);

		if (n > REC_MAX || off + HDR + n > len || (type != SPOOL_EVENT && type != SPOOL_CHECKPOINT) ||
		    (uint32_t)crc32(0, buf + off + 8, 9 + n) != get32(buf + off + 4))
			break;
		if (seg && type == SPOOL_EVENT) {
			if (!seg->has_events || seq < seg->min_seq)
				seg->min_seq = seq;
			if (!seg->has_events || seq > seg->max_seq)
				seg->max_seq = seq;
			seg->has_events = true;
		}
		if (fn && !*stopped && fn(ctx, (enum spool_type)type, seq, buf + off + HDR, n))
			*stopped = 1;
		off += HDR + n;
	}
	return off;
}

static int add_segment(struct spool *s, uint64_t id)
{
	if (s->nsegs == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct segment *g = realloc(s->segs, cap * sizeof(*g));

		if (!g)
			return -ENOMEM;
		s->segs = g;
		s->cap = cap;
	}
	memset(&s->segs[s->nsegs], 0, sizeof(s->segs[0]));
	s->segs[s->nsegs++].id = id;
	return 0;
}

static int open_segment(struct spool *s, uint64_t id, bool create)
{
	char path[PATH_BUF];

	seg_path(s, id, path, sizeof(path));
	s->fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0), 0600);
	if (s->fd < 0)
		return -errno;
	/* The new file's name must survive a crash as well as its contents. */
	if (create && fsync(s->dirfd))
		return -errno;
	return 0;
}

static int write_record(struct spool *s, enum spool_type type, uint64_t seq, const void *data, size_t len)
{
	uint8_t hdr[HDR];
	struct iovec iov[2] = { { hdr, HDR }, { (void *)data, len } };
	struct segment *cur = &s->segs[s->nsegs - 1];
	ssize_t w;

	put32(hdr, (uint32_t)len);
	hdr[8] = (uint8_t)type;
	put64(hdr + 9, seq);
	put32(hdr + 4, (uint32_t)crc32(crc32(0, hdr + 8, 9), data, (uInt)len));
	w = writev(s->fd, iov, 2);
	if (w != (ssize_t)(HDR + len)) {
		/* Cut what went out partly: the next record must follow an intact one. */
		if (w > 0 && ftruncate(s->fd, (off_t)cur->bytes) == 0)
			w = 0;
		return w < 0 ? -errno : -EIO;
	}
	cur->bytes += HDR + len;
	s->st.bytes += HDR + len;
	if (type == SPOOL_EVENT) {
		if (!cur->has_events)
			cur->min_seq = seq;
		cur->max_seq = seq;
		cur->has_events = true;
	}
	return 0;
}

static int rotate(struct spool *s)
{
	uint64_t id = s->nsegs ? s->segs[s->nsegs - 1].id + 1 : 1;
	int r;

	if (s->fd >= 0 && (fdatasync(s->fd) || close(s->fd)))
		return -errno;
	s->fd = -1;
	r = add_segment(s, id);
	if (r || (r = open_segment(s, id, true)))
		return r;
	s->st.segments++;
	/* Each segment starts with the newest checkpoint, so deleting older
	 * ones never loses the state a restart resumes from. */
	if (s->last_cp)
		return write_record(s, SPOOL_CHECKPOINT, s->last_cp_seq, s->last_cp, s->last_cp_len);
	return 0;
}

struct spool *spool_open(const char *dir, uint64_t max_bytes, spool_fn replay, void *ctx, char *err, size_t errsz)
{
	struct spool *s = calloc(1, sizeof(*s));
	DIR *d;
	struct dirent *e;
	int stopped = 0;

	if (!s) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	s->fd = s->dirfd = -1;
	s->max_bytes = max_bytes;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	if (mkdir(dir, 0700) && errno != EEXIST) {
		snprintf(err, errsz, "%s: cannot create: %s", dir, strerror(errno));
		goto fail;
	}
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = s->dirfd >= 0 ? fdopendir(dup(s->dirfd)) : NULL;
	if (!d) {
		snprintf(err, errsz, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	while ((e = readdir(d))) {
		uint64_t id;
		char tail;

		if (sscanf(e->d_name, "%16" SCNx64 ".se%c", &id, &tail) == 2 && tail == 'g' && strlen(e->d_name) == 20 &&
		    add_segment(s, id)) {
			closedir(d);
			snprintf(err, errsz, "out of memory");
			goto fail;
		}
	}
	closedir(d);
	if (s->nsegs) /* qsort may not be given a null array, even empty */
		qsort(s->segs, s->nsegs, sizeof(s->segs[0]), cmp_seg);
	for (size_t i = 0; i < s->nsegs; i++) {
		size_t len, good;
		uint8_t *buf = slurp(s, s->segs[i].id, &len);

		if (!buf) {
			snprintf(err, errsz, "%s: segment %016" PRIx64 " unreadable", dir, s->segs[i].id);
			goto fail;
		}
		good = walk(buf, len, replay, ctx, &s->segs[i], &stopped);
		free(buf);
		if (good < len && i + 1 < s->nsegs) {
			snprintf(err, errsz, "%s/%016" PRIx64 ".seg: damaged record at byte %zu, before the last segment",
				 dir, s->segs[i].id, good);
			goto fail;
		}
		if (good < len) { /* a crash mid-append: cut the torn record */
			char path[PATH_BUF];

			seg_path(s, s->segs[i].id, path, sizeof(path));
			if (truncate(path, (off_t)good)) {
				snprintf(err, errsz, "%s: %s", path, strerror(errno));
				goto fail;
			}
			s->st.torn_tail_bytes += len - good;
		}
		s->segs[i].bytes = good;
		s->st.bytes += good;
	}
	s->st.segments = s->nsegs;
	if (s->nsegs ? open_segment(s, s->segs[s->nsegs - 1].id, false) : rotate(s)) {
		snprintf(err, errsz, "%s: cannot open a segment: %s", dir, strerror(errno));
		goto fail;
	}
	return s;
fail:
	spool_close(s);
	return NULL;
}

void spool_close(struct spool *s)
{
	if (!s)
		return;
	if (s->fd >= 0) {
		fdatasync(s->fd);
		close(s->fd);
	}
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->segs);
	free(s->last_cp);
	free(s);
}

int spool_append(struct spool *s, enum spool_type type, uint64_t seq, const void *data, size_t len)
{
	int r;

	if (len > REC_MAX)
		return -EMSGSIZE;
	if (type == SPOOL_EVENT && s->st.bytes + HDR + len > s->max_bytes) {
		s->st.refused_full++;
		return -ENOSPC;
	}
	if (type == SPOOL_CHECKPOINT) {
		uint8_t *copy = malloc(len);

		if (!copy)
			return -ENOMEM;
		memcpy(copy, data, len);
		free(s->last_cp);
		s->last_cp = copy;
		s->last_cp_len = len;
		s->last_cp_seq = seq;
	}
	r = write_record(s, type, seq, data, len);
	if (r)
		return r;
	s->st.appended++;
	/* Segments end after a checkpoint, so the next one opens with the
	 * state as of its first event. */
	if (type == SPOOL_CHECKPOINT && s->segs[s->nsegs - 1].bytes >= SEG_MAX)
		return rotate(s);
	return 0;
}

int spool_sync(struct spool *s)
{
	return fdatasync(s->fd) ? -errno : 0;
}

void spool_release(struct spool *s, uint64_t acked)
{
	size_t keep = 0;

	for (size_t i = 0; i < s->nsegs; i++) {
		struct segment *g = &s->segs[i];
		char path[PATH_BUF];

		if (i + 1 < s->nsegs && (!g->has_events || g->max_seq < acked)) {
			seg_path(s, g->id, path, sizeof(path));
			if (unlink(path) == 0) {
				s->st.bytes -= g->bytes;
				s->st.segments--;
				s->st.deleted_segments++;
				continue;
			}
		}
		s->segs[keep++] = *g;
	}
	s->nsegs = keep;
}

struct range {
	uint64_t first, end;
	spool_fn fn;
	void *ctx;
};

static int in_range(void *ctx, enum spool_type type, uint64_t seq, const uint8_t *data, size_t len)
{
	struct range *r = ctx;

	if (type == SPOOL_EVENT ? seq >= r->first && seq < r->end : seq > r->first && seq <= r->end)
		return r->fn(r->ctx, type, seq, data, len);
	return 0;
}

int spool_read(struct spool *s, uint64_t first, uint64_t end, spool_fn fn, void *ctx)
{
	struct range r = { first, end, fn, ctx };
	int stopped = 0;

	for (size_t i = 0; i < s->nsegs && !stopped; i++) {
		const struct segment *g = &s->segs[i];
		uint8_t *buf;
		size_t len;

		if (g->has_events && (g->max_seq < first || g->min_seq >= end))
			continue;
		buf = slurp(s, g->id, &len);
		if (!buf)
			return -EIO;
		walk(buf, len < g->bytes ? len : (size_t)g->bytes, in_range, &r, NULL, &stopped);
		free(buf);
	}
	return 0;
}

uint64_t spool_first_seq(const struct spool *s)
{
	for (size_t i = 0; i < s->nsegs; i++)
		if (s->segs[i].has_events)
			return s->segs[i].min_seq;
	return UINT64_MAX;
}

const struct spool_stats *spool_stats(const struct spool *s)
{
	return &s->st;
}
