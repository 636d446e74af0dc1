// SPDX-License-Identifier: Apache-2.0
#include "sse.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

void sse_init(struct sse_parser *p, sse_event_fn fn, void *ctx)
{
	memset(p, 0, sizeof(*p));
	p->on_event = fn;
	p->ctx = ctx;
	xbuf_init(&p->data, SSE_MAX_EVENT);
}

void sse_release(struct sse_parser *p)
{
	xbuf_release(&p->data);
}

static void clear_event(struct sse_parser *p)
{
	p->event[0] = '\0';
	/* The buffer stays: the next event is usually as large. */
	p->data.len = 0;
	p->data.truncated = false;
	if (p->data.p)
		p->data.p[0] = '\0';
	p->has_data = false;
}

/* One event to the caller, and the parser ready for the next. */
static void hand_over(struct sse_parser *p, const char *data, size_t len, bool truncated)
{
	p->events++;
	p->on_event(p->ctx, p->event, data, len, truncated);
	clear_event(p);
}

static void dispatch(struct sse_parser *p)
{
	if (p->has_data)
		hand_over(p, p->data.p ? p->data.p : "", p->data.len, p->data.truncated);
	else
		clear_event(p);
}

/* The field name is complete (we saw ':' or the end of the line). */
static void field_named(struct sse_parser *p, bool line_ended)
{
	size_t n = p->line_len;

	p->value_started = false;
	p->line_len = 0;
	if (n == 4 && memcmp(p->line, "data", 4) == 0) {
		if (p->has_data)
			xbuf_append(&p->data, "\n", 1);
		p->has_data = true;
		p->state = SSE_IN_DATA;
	} else if (n == 5 && memcmp(p->line, "event", 5) == 0) {
		p->event[0] = '\0';
		p->state = SSE_IN_EVENT;
	} else {
		p->state = SSE_SKIP; /* id, retry, comments, unknown fields */
	}
	if (line_ended)
		p->state = SSE_LINE_START;
}

static void end_of_line(struct sse_parser *p)
{
	switch (p->state) {
	case SSE_LINE_START:
		dispatch(p);
		break;
	case SSE_IN_FIELD:
		field_named(p, true);
		break;
	default:
		break;
	}
	p->state = SSE_LINE_START;
	p->line_len = 0;
}

/* Index of the first CR or LF at or after i, or len: one pass (SSE2). */
static size_t line_end(const uint8_t *buf, size_t i, size_t len)
{
#ifdef __SSE2__
	const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');

	for (; i + 16 <= len; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(buf + i));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));

		if (m)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	for (; i < len; i++)
		if (buf[i] == '\r' || buf[i] == '\n')
			return i;
	return len;
}

/* At i, a "data:" line that is a whole event in buf: the value is handed
 * over where it is, and the offset past the blank line returned; 0 when the
 * event goes on past this line or this read (or is longer than the cap). */
static size_t whole_event(struct sse_parser *p, const uint8_t *buf, size_t i, size_t len)
{
	size_t v = i + 5, j, end;

	if (v < len && buf[v] == ' ')
		v++;
	j = line_end(buf, v, len);
	if (j - v > SSE_MAX_EVENT)
		return 0;
	if (j + 2 <= len && buf[j] == '\n' && buf[j + 1] == '\n')
		end = j + 2;
	else if (j + 4 <= len && memcmp(buf + j, "\r\n\r\n", 4) == 0)
		end = j + 4;
	else
		return 0; /* CR-only endings, more lines, or the rest in the next read */
	hand_over(p, (const char *)buf + v, j - v, false);
	p->after_cr = false;
	return end;
}

void sse_feed(struct sse_parser *p, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t ch = buf[i];

		if (ch == '\n' && p->after_cr) {
			p->after_cr = false;
			continue;
		}
		p->after_cr = ch == '\r';
		if (ch == '\r' || ch == '\n') {
			end_of_line(p);
			continue;
		}
		switch (p->state) {
		case SSE_LINE_START:
			if (ch == 'd' && len - i >= 5 && memcmp(buf + i, "data:", 5) == 0) {
				/* The line nearly every event is: its name whole in
				 * this read, taken at once; and when the event is
				 * that one line, whole in this read, it is handed
				 * over from here without a copy. */
				size_t next = p->has_data ? 0 : whole_event(p, buf, i, len);

				if (next) {
					i = next - 1;
					continue;
				}
				memcpy(p->line, "data", 4);
				p->line_len = 4;
				field_named(p, false);
				i += 4; /* at the colon */
				break;
			}
			if (ch == ':') {
				p->state = SSE_SKIP;
				break;
			}
			p->state = SSE_IN_FIELD;
			/* fall through */
		case SSE_IN_FIELD:
			if (ch == ':')
				field_named(p, false);
			else if (p->line_len < SSE_MAX_NAME)
				p->line[p->line_len++] = (char)ch;
			else
				p->state = SSE_SKIP; /* no field we know is that long */
			break;
		case SSE_IN_DATA: {
			/* Fast path: copy the run up to the end of the line at once. */
			size_t j;

			if (!p->value_started) {
				p->value_started = true;
				if (ch == ' ')
					break;
			}
			j = line_end(buf, i, len);
			xbuf_append(&p->data, (const char *)buf + i, j - i);
			i = j - 1;
			break;
		}
		case SSE_IN_EVENT:
			if (!p->value_started) {
				p->value_started = true;
				if (ch == ' ')
					break;
			}
			if (p->line_len < SSE_MAX_NAME - 1) {
				p->event[p->line_len++] = (char)ch;
				p->event[p->line_len] = '\0';
			}
			break;
		case SSE_SKIP:
			break;
		}
	}
}
