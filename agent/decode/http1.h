/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http1 - an incremental HTTP/1.x message parser for one direction of a
 * connection (RFC 9112): request or status line, headers, and the body
 * framed by Content-Length, chunked coding, or the end of the connection.
 * Bytes may be split anywhere; state is bounded (one header line, one head).
 *
 * It reports framing only: the body is handed out de-chunked but still
 * content-encoded (see decode.h). Which response has no body because its
 * request was HEAD is the caller's knowledge: on_head says so.
 *
 * After a capture gap or a malformed message the parser ends the message in
 * progress as incomplete and resynchronises at the next line that starts a
 * message ("GET ", "POST ", ..., or "HTTP/1."), counting both.
 */
#ifndef SEALTAP_HTTP1_H
#define SEALTAP_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define H1_MAX_LINE 8192   /* one request/status/header line */
#define H1_MAX_HEAD 65536  /* a whole head */
#define H1_MAX_PATH 2048

struct h1_head {
	bool is_request;
	int minor;          /* HTTP/1.minor */
	char method[16];
	char path[H1_MAX_PATH];
	int status;
	char content_type[128];
	char content_encoding[32];
	char host[256];
	int64_t content_length; /* -1 when absent */
	bool chunked;
	bool conn_close;
	bool upgrade;       /* 101 Switching Protocols or Upgrade header */
	bool upgrade_h2c;   /* the Upgrade header names h2c (HTTP/2 without TLS) */
	bool truncated;     /* a kept value was longer than its field */
	unsigned nheaders;
};

enum h1_body { H1_BODY_AUTO, H1_BODY_NONE };

struct h1_callbacks {
	/* Head parsed. Return H1_BODY_NONE when the message has no body
	 * whatever its headers say (the response to HEAD). */
	enum h1_body (*on_head)(void *ctx, const struct h1_head *h);
	void (*on_body)(void *ctx, const uint8_t *data, size_t len);
	/* The message ended; complete is false when a gap, an error or the
	 * end of the connection cut it. */
	void (*on_end)(void *ctx, bool complete);
};

struct h1_stats {
	uint64_t messages, incomplete, errors, resyncs, gaps;
	uint64_t no_memory; /* messages skipped: their head could not be allocated */
};

struct h1_parser {
	const struct h1_callbacks *cb;
	void *ctx;
	bool request_side;
	enum {
		H1_START,      /* between messages */
		H1_HEAD,
		H1_BODY_LEN,
		H1_CHUNK_SIZE,
		H1_CHUNK_DATA,
		H1_CHUNK_END,  /* CRLF after chunk data */
		H1_TRAILERS,
		H1_BODY_EOF,   /* until the connection closes */
		H1_RESYNC,
		H1_TUNNEL,     /* after an upgrade: not HTTP any more */
	} state;
	bool in_message;
	struct h1_head *head; /* held from a start line to the end of its head, so a
			       * connection between messages or in a body costs none */
	char *line; /* H1_MAX_LINE + 1, held only while a line is in progress, so an
		     * idle connection costs no line buffer */
	size_t line_len;
	bool line_overflow;
	size_t head_bytes;
	uint64_t remaining;
	struct h1_stats st;
};

void h1_init(struct h1_parser *p, bool request_side, const struct h1_callbacks *cb, void *ctx);
/* Returns the bytes taken as HTTP/1; fewer than len only when the message
 * ended in an upgrade (101): the rest is the new protocol's, which the
 * caller may decode (h2c) or drop. */
size_t h1_feed(struct h1_parser *p, const uint8_t *data, size_t len);
/* n bytes of this direction were lost. */
void h1_gap(struct h1_parser *p, uint64_t n);
/* The connection closed: ends a body delimited by the close. */
void h1_eof(struct h1_parser *p);
void h1_release(struct h1_parser *p);

/* Whether data starts like an HTTP/1 request (method and space) or
 * response ("HTTP/1."): protocol detection on a connection's first bytes. */
bool h1_looks_like_request(const uint8_t *data, size_t len);
bool h1_looks_like_response(const uint8_t *data, size_t len);

#endif
