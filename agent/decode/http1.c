// SPDX-License-Identifier: Apache-2.0
#include "http1.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const methods[] = { "GET ",     "POST ",    "PUT ",   "DELETE ", "HEAD ",
				       "OPTIONS ", "PATCH ",   "CONNECT ", "TRACE " };

static bool starts_message(const char *s, size_t n, bool request_side, bool *partial)
{
	*partial = false;
	if (!request_side) {
		static const char tok[] = "HTTP/1.";

		if (n >= sizeof(tok) - 1)
			return memcmp(s, tok, sizeof(tok) - 1) == 0;
		*partial = memcmp(s, tok, n) == 0;
		return false;
	}
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		size_t m = strlen(methods[i]);

		if (n >= m && memcmp(s, methods[i], m) == 0)
			return true;
		if (n < m && memcmp(s, methods[i], n) == 0)
			*partial = true;
	}
	return false;
}

bool h1_looks_like_request(const uint8_t *data, size_t len)
{
	bool partial;

	return starts_message((const char *)data, len, true, &partial);
}

bool h1_looks_like_response(const uint8_t *data, size_t len)
{
	bool partial;

	return starts_message((const char *)data, len, false, &partial);
}

void h1_init(struct h1_parser *p, bool request_side, const struct h1_callbacks *cb, void *ctx)
{
	memset(p, 0, sizeof(*p));
	p->request_side = request_side;
	p->cb = cb;
	p->ctx = ctx;
}

static void drop_line(struct h1_parser *p)
{
	free(p->line);
	p->line = NULL;
	p->line_len = 0;
	p->line_overflow = false;
}

static void drop_head(struct h1_parser *p)
{
	free(p->head);
	p->head = NULL;
}

void h1_release(struct h1_parser *p)
{
	drop_line(p);
	drop_head(p);
}

static bool need_line(struct h1_parser *p)
{
	if (!p->line)
		p->line = malloc(H1_MAX_LINE + 1);
	return p->line != NULL;
}

static void end_message(struct h1_parser *p, bool complete)
{
	if (p->in_message) {
		p->in_message = false;
		if (complete)
			p->st.messages++;
		else
			p->st.incomplete++;
		p->cb->on_end(p->ctx, complete);
	}
	p->state = H1_START;
	drop_line(p);
	drop_head(p);
	p->head_bytes = 0;
}

static void fail(struct h1_parser *p)
{
	p->st.errors++;
	end_message(p, false);
	p->state = H1_RESYNC;
	p->st.resyncs++;
}

static void copy_field(char *dst, size_t dstsz, const char *src, size_t n, bool *truncated)
{
	if (n >= dstsz) {
		n = dstsz - 1;
		*truncated = true;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Case-insensitive search for a token in a comma-separated header value. */
static bool has_token(const char *v, size_t n, const char *tok)
{
	size_t t = strlen(tok);

	for (size_t i = 0; i + t <= n; i++) {
		if (strncasecmp(v + i, tok, t) != 0)
			continue;
		if ((i == 0 || v[i - 1] == ',' || v[i - 1] == ' ') &&
		    (i + t == n || v[i + t] == ',' || v[i + t] == ' ' || v[i + t] == ';'))
			return true;
	}
	return false;
}

static int parse_start_line(struct h1_parser *p, const char *l, size_t n)
{
	struct h1_head *h = p->head ? p->head : (p->head = malloc(sizeof(*h)));
	const char *sp1, *sp2, *end = l + n;

	if (!h)
		return -ENOMEM;
	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	h->is_request = p->request_side;
	sp1 = memchr(l, ' ', n);
	if (!sp1)
		return -1;
	if (p->request_side) {
		sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
		if (!sp2 || (size_t)(sp1 - l) >= sizeof(h->method) || end - sp2 != 9 ||
		    memcmp(sp2 + 1, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)sp2[8]))
			return -1;
		memcpy(h->method, l, (size_t)(sp1 - l));
		copy_field(h->path, sizeof(h->path), sp1 + 1, (size_t)(sp2 - sp1 - 1), &h->truncated);
		h->minor = sp2[8] - '0';
		return 0;
	}
	if (sp1 - l != 8 || memcmp(l, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)l[7]) ||
	    end - sp1 < 4 || !isdigit((unsigned char)sp1[1]) || !isdigit((unsigned char)sp1[2]) ||
	    !isdigit((unsigned char)sp1[3]) || (end - sp1 > 4 && sp1[4] != ' '))
		return -1;
	h->minor = l[7] - '0';
	h->status = (sp1[1] - '0') * 100 + (sp1[2] - '0') * 10 + (sp1[3] - '0');
	if (h->minor == 0)
		h->conn_close = true; /* HTTP/1.0 closes unless keep-alive, see below */
	return 0;
}

static int parse_header(struct h1_parser *p, const char *l, size_t n)
{
	struct h1_head *h = p->head;
	const char *colon = memchr(l, ':', n), *v;
	size_t name_len, vlen;

	if (n && (l[0] == ' ' || l[0] == '\t'))
		return 0; /* obsolete line folding: the folded value is not one we use */
	if (!colon || colon == l)
		return -1;
	name_len = (size_t)(colon - l);
	v = colon + 1;
	vlen = n - name_len - 1;
	while (vlen && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	h->nheaders++;
#define IS(name) (name_len == sizeof(name) - 1 && strncasecmp(l, name, name_len) == 0)
	if (IS("content-length")) {
		char *endp;
		char num[24];
		long long cl;

		if (vlen == 0 || vlen >= sizeof(num))
			return -1;
		memcpy(num, v, vlen);
		num[vlen] = '\0';
		cl = strtoll(num, &endp, 10);
		if (*endp || cl < 0 || (h->content_length >= 0 && h->content_length != cl))
			return -1; /* conflicting lengths: a smuggling attempt or garbage */
		h->content_length = cl;
	} else if (IS("transfer-encoding")) {
		if (has_token(v, vlen, "chunked"))
			h->chunked = true;
	} else if (IS("connection")) {
		if (has_token(v, vlen, "close"))
			h->conn_close = true;
		if (has_token(v, vlen, "keep-alive"))
			h->conn_close = false;
	} else if (IS("content-type")) {
		copy_field(h->content_type, sizeof(h->content_type), v, vlen, &h->truncated);
	} else if (IS("content-encoding")) {
		copy_field(h->content_encoding, sizeof(h->content_encoding), v, vlen, &h->truncated);
	} else if (IS("host")) {
		copy_field(h->host, sizeof(h->host), v, vlen, &h->truncated);
	} else if (IS("upgrade")) {
		h->upgrade = true;
		if (has_token(v, vlen, "h2c"))
			h->upgrade_h2c = true;
	}
#undef IS
	return 0;
}

/* The blank line after the headers: decide how the body is framed. */
static void head_done(struct h1_parser *p)
{
	struct h1_head *h = p->head;
	enum h1_body mode;
	int status;
	bool upgrade, chunked;
	int64_t content_length;

	if (!p->request_side && h->status == 101)
		h->upgrade = true;
	mode = p->cb->on_head(p->ctx, h);
	status = h->status, upgrade = h->upgrade, chunked = h->chunked;
	content_length = h->content_length;
	drop_head(p);
	p->head_bytes = 0;
	if (!p->request_side && (status == 101 || (upgrade && status < 300 && status >= 200))) {
		end_message(p, true);
		p->state = H1_TUNNEL;
		return;
	}
	if (mode == H1_BODY_NONE || (!p->request_side && (status < 200 || status == 204 ||
							  status == 304))) {
		end_message(p, true);
		return;
	}
	if (chunked) {
		p->state = H1_CHUNK_SIZE;
	} else if (content_length >= 0) {
		p->remaining = (uint64_t)content_length;
		p->state = H1_BODY_LEN;
		if (p->remaining == 0)
			end_message(p, true);
	} else if (p->request_side) {
		end_message(p, true); /* a request without length has no body */
	} else {
		p->state = H1_BODY_EOF;
	}
}

static void head_line(struct h1_parser *p, const char *l, size_t n)
{
	if (n && l[n - 1] == '\r')
		n--;
	if (!p->in_message) {
		if (n == 0)
			return; /* stray CRLF between messages is allowed */
		int err = parse_start_line(p, l, n);

		if (err == -ENOMEM) { /* the message is skipped, not misread: resync at the next */
			p->st.no_memory++;
			p->state = H1_RESYNC;
			p->st.resyncs++;
			return;
		}
		if (err) {
			fail(p);
			return;
		}
		p->in_message = true;
		return;
	}
	if (n == 0) {
		head_done(p);
		return;
	}
	if (parse_header(p, l, n))
		fail(p);
}

/* A hex digit's value, or -1 (not the locale's ctype: once per chunk). */
static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void chunk_size_line(struct h1_parser *p, const char *l, size_t n)
{
	uint64_t size = 0;
	size_t i = 0;
	int v;

	if (n && l[n - 1] == '\r')
		n--;
	for (; i < n && (v = hex_value(l[i])) >= 0; i++) {
		if (size >> 60) {
			fail(p);
			return;
		}
		size = size * 16 + (uint64_t)v;
	}
	if (i == 0 || (i < n && l[i] != ';' && l[i] != ' ' && l[i] != '\t')) {
		fail(p);
		return;
	}
	p->remaining = size;
	p->state = size ? H1_CHUNK_DATA : H1_TRAILERS;
}

/* Consumes bytes up to and including the next LF; returns how many. When a
 * line is complete, *line is set to it and *len to its length without the
 * LF (else *line is NULL). A line wholly inside d is read in place; only a
 * line cut between reads is gathered in the line buffer (and its 8 KiB
 * allocated). A line longer than H1_MAX_LINE is an error. */
static size_t take_line(struct h1_parser *p, const uint8_t *d, size_t n, const char **line, size_t *len)
{
	const uint8_t *nl = memchr(d, '\n', n);
	size_t take = nl ? (size_t)(nl - d) + 1 : n;

	*line = NULL;
	if (nl && p->line_len == 0 && !p->line_overflow && take <= H1_MAX_LINE) {
		*line = (const char *)d;
		*len = take - 1;
		return take;
	}
	if (!need_line(p) || p->line_len + take > H1_MAX_LINE) {
		p->line_overflow = true;
		take = nl ? take : n;
		return take;
	}
	memcpy(p->line + p->line_len, d, take);
	p->line_len += take;
	if (nl) {
		*line = p->line;
		*len = p->line_len - 1;
		p->line_len = 0;
	}
	return take;
}

/* Resync: find a line that starts a message. */
static size_t resync(struct h1_parser *p, const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool partial;

		if (d[i] == '\n') {
			p->line_len = 0;
			p->line_overflow = false;
			continue;
		}
		if (p->line_overflow || !need_line(p))
			continue;
		p->line[p->line_len++] = (char)d[i];
		if (starts_message(p->line, p->line_len, p->request_side, &partial)) {
			p->state = H1_HEAD; /* keep the bytes: they are the start line's */
			return i + 1;
		}
		if (!partial)
			p->line_overflow = true; /* not a message start: skip to the next line */
	}
	return n;
}

size_t h1_feed(struct h1_parser *p, const uint8_t *d, size_t n)
{
	size_t taken = 0;

	while (n > 0) {
		size_t used = 0;
		const char *line;
		size_t len;

		switch (p->state) {
		case H1_START:
			p->state = H1_HEAD;
			continue;
		case H1_HEAD:
			used = take_line(p, d, n, &line, &len);
			p->head_bytes += used;
			if (p->line_overflow || p->head_bytes > H1_MAX_HEAD) {
				fail(p);
				break;
			}
			if (line)
				head_line(p, line, len);
			break;
		case H1_BODY_LEN:
		case H1_CHUNK_DATA:
			if (p->line)
				drop_line(p);
			used = n < p->remaining ? n : (size_t)p->remaining;
			p->cb->on_body(p->ctx, d, used);
			p->remaining -= used;
			if (p->remaining == 0) {
				if (p->state == H1_BODY_LEN)
					end_message(p, true);
				else
					p->state = H1_CHUNK_END;
			}
			break;
		case H1_CHUNK_END:
			/* The CRLF after a chunk's data, whole in this read: taken
			 * at once (a streamed response has one chunk per event). */
			if (p->line_len == 0 && n >= 2 && d[0] == '\r' && d[1] == '\n') {
				used = 2;
				p->state = H1_CHUNK_SIZE;
				break;
			}
			/* fall through */
		case H1_CHUNK_SIZE:
		case H1_TRAILERS:
			used = take_line(p, d, n, &line, &len);
			if (p->line_overflow) {
				fail(p);
				break;
			}
			if (line) {
				if (len && line[len - 1] == '\r')
					len--;
				if (p->state == H1_CHUNK_SIZE)
					chunk_size_line(p, line, len);
				else if (p->state == H1_CHUNK_END)
					len == 0 ? (void)(p->state = H1_CHUNK_SIZE) : fail(p);
				else if (len == 0)
					end_message(p, true); /* end of trailers */
			}
			break;
		case H1_BODY_EOF:
			p->cb->on_body(p->ctx, d, n);
			used = n;
			break;
		case H1_RESYNC:
			used = resync(p, d, n);
			break;
		case H1_TUNNEL:
			return taken; /* not HTTP/1 any more */
		}
		d += used;
		n -= used;
		taken += used;
	}
	return taken;
}

void h1_gap(struct h1_parser *p, uint64_t n)
{
	if (n == 0 || p->state == H1_TUNNEL)
		return;
	p->st.gaps++;
	end_message(p, false);
	p->state = H1_RESYNC;
	p->st.resyncs++;
}

void h1_eof(struct h1_parser *p)
{
	if (p->state == H1_BODY_EOF)
		end_message(p, true);
	else
		end_message(p, false);
}
