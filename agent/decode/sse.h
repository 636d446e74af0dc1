/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sse - an incremental parser of server-sent events (the text/event-stream
 * format of the WHATWG HTML standard, section 9.2). Bytes may be split
 * anywhere; lines end in CRLF, LF or CR; "data:" lines of one event are
 * joined with LF; a blank line dispatches; ":" lines are comments.
 *
 * Bounded: an event's data longer than SSE_MAX_EVENT is cut there and the
 * event flagged truncated (counted by the caller). The data buffer grows
 * with the largest event seen, so an idle stream holds little.
 */
#ifndef SEALTAP_SSE_H
#define SEALTAP_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exchange.h" /* struct xbuf */

#define SSE_MAX_EVENT (256u << 10)
#define SSE_MAX_NAME 64

/* data is data[0..len), not NUL-terminated (an event whole in one read is
 * handed over where it lies); event is "" when unnamed. */
typedef void (*sse_event_fn)(void *ctx, const char *event, const char *data, size_t len,
			     bool truncated);

struct sse_parser {
	sse_event_fn on_event;
	void *ctx;
	char event[SSE_MAX_NAME];
	struct xbuf data; /* grows with the largest event, up to SSE_MAX_EVENT */
	bool has_data;
	char line[SSE_MAX_NAME + 8]; /* a field name and the start of its value */
	size_t line_len;
	enum { SSE_LINE_START, SSE_IN_FIELD, SSE_IN_DATA, SSE_IN_EVENT, SSE_SKIP } state;
	bool after_cr;   /* last byte was CR: a following LF belongs to it */
	bool value_started; /* past the optional space after "field:" */
	uint64_t events;
};

void sse_init(struct sse_parser *p, sse_event_fn fn, void *ctx);
void sse_release(struct sse_parser *p);
/* Out of memory shows as a truncated event. */
void sse_feed(struct sse_parser *p, const uint8_t *buf, size_t len);

#endif
