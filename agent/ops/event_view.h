/* SPDX-License-Identifier: Apache-2.0 */
/*
 * event_view - the agent's event lines as a person reads them on a
 * terminal: one line per finding, policy violation, drift alert, model and
 * prompt change, and a short summary in place of the stats object.
 *
 * The JSON line stays the one format every producer writes (judge, drift,
 * prompts, capture); this view reads each line back and shows it. So the
 * terminal can never say more than the JSON does (the values are not in
 * it: masked values and fingerprints only), and nothing has two writers.
 *
 * Strings in the lines come from the wire (a model name, a rule, a key):
 * every control character is shown as '?' so that no peer can drive the
 * terminal with escape sequences. Lines the view does not know (the
 * --dump debug lines) pass through as they are; so does a line longer than
 * EVENT_VIEW_LINE_MAX, counted.
 *
 * Single-threaded like its writers. Wall-clock time of showing is printed
 * (the lines carry the monotonic clock).
 */
#ifndef SEALTAP_EVENT_VIEW_H
#define SEALTAP_EVENT_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define EVENT_VIEW_LINE_MAX (64u << 10)

enum output_format { OUTPUT_AUTO, OUTPUT_JSON, OUTPUT_HUMAN };

struct event_view;

/* Shows on dest (borrowed; flushed after every line), with ANSI colours
 * when colour is set. NULL when out of memory. */
struct event_view *event_view_new(FILE *dest, bool colour);
/* Shows what is still buffered, then frees; NULL is accepted. */
void event_view_free(struct event_view *v);

/* A stream to hand the producers in place of stdout: every line written to
 * it is shown. Owned by the view (closed by event_view_free). */
FILE *event_view_stream(struct event_view *v);

/* One line (without its newline) shown now. */
void event_view_line(struct event_view *v, const char *line, size_t len);

/* Lines passed through unread because they were longer than the cap or
 * not JSON; and stats summaries left out because nothing changed. */
struct event_view_stats {
	unsigned long shown, passed_through, unreadable, summaries_unchanged;
};
const struct event_view_stats *event_view_stats(const struct event_view *v);

/* The format to use: OUTPUT_AUTO is human on a terminal, JSON otherwise;
 * colours only on a terminal and never when NO_COLOR is set (no-color.org:
 * present and not empty). */
enum output_format output_choose(enum output_format asked, int fd, bool *colour);

#endif
