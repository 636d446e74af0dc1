// SPDX-License-Identifier: Apache-2.0
#include "event_view.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jsonview.h"

/* ANSI SGR sequences; none when colours are off. */
#define C_RESET "\033[0m"
#define C_BOLD_RED "\033[1;31m"
#define C_RED "\033[31m"
#define C_YELLOW "\033[33m"
#define C_CYAN "\033[36m"
#define C_DIM "\033[2m"
#define C_BOLD "\033[1m"

#define SHOWN_MAX 4096 /* one shown line; longer ones end in "..." */

struct event_view {
	FILE *dest;
	bool colour;
	FILE *stream;
	char *buf; /* the line being written, EVENT_VIEW_LINE_MAX bytes */
	size_t len;
	bool overlong; /* the line being written passes through: it did not fit */
	char last_summary[SHOWN_MAX];
	bool summary_held; /* the last summary was not shown: it said nothing new */
	struct event_view_stats st;
};

/* ---- a shown line ---- */

struct shown {
	char b[SHOWN_MAX];
	size_t n;
	bool colour, cut;
};

static void put_bytes(struct shown *s, const char *p, size_t n)
{
	if (n > sizeof(s->b) - 4 - s->n) { /* room for "..." and the NUL */
		n = sizeof(s->b) - 4 - s->n;
		s->cut = true;
	}
	memcpy(s->b + s->n, p, n);
	s->n += n;
	s->b[s->n] = 0;
}

static void put(struct shown *s, const char *text)
{
	put_bytes(s, text, strlen(text));
}

static __attribute__((format(printf, 2, 3))) void putf(struct shown *s, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put_bytes(s, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void paint(struct shown *s, const char *sgr)
{
	if (s->colour)
		put(s, sgr);
}

/* Text from the wire: C0 controls, DEL and the C1 controls (U+0080-U+009F,
 * UTF-8 C2 80..C2 9F) shown as '?', so no escape sequence reaches the
 * terminal. */
static void put_safe(struct shown *s, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c == 0x7f) {
			put_bytes(s, "?", 1);
		} else if (c == 0xc2 && i + 1 < n && (unsigned char)p[i + 1] >= 0x80 &&
			   (unsigned char)p[i + 1] <= 0x9f) {
			put_bytes(s, "?", 1);
			i++;
		} else {
			put_bytes(s, (const char *)&p[i], 1);
		}
	}
}

/* ---- reading the line ---- */

struct line {
	struct jdoc d;
	int root;
};

static int get(const struct line *l, int obj, const char *key)
{
	return obj < 0 ? -1 : jdoc_get_n(&l->d, obj, key, strlen(key));
}

/* The decoded string at i into dst ("" when absent or not a string). */
static const char *str(const struct line *l, int i, char *dst, size_t cap)
{
	dst[0] = 0;
	if (i >= 0 && jdoc_is_string(&l->d, i))
		jdoc_copy_str(&l->d, i, dst, cap);
	return dst;
}

#define FIELD(l, obj, key, buf) str(l, get(l, obj, key), buf, sizeof(buf))

static int64_t num(const struct line *l, int obj, const char *key)
{
	int64_t v = 0;

	return jdoc_int(&l->d, get(l, obj, key), &v) ? v : 0;
}

static bool has_num(const struct line *l, int obj, const char *key, double *v)
{
	int i = get(l, obj, key);
	char tmp[64];
	size_t n;

	if (i < 0 || l->d.t[i].type != JTOK_PRIMITIVE)
		return false;
	n = (size_t)(l->d.t[i].end - l->d.t[i].start);
	if (n >= sizeof(tmp))
		return false;
	memcpy(tmp, l->d.js + l->d.t[i].start, n);
	tmp[n] = 0;
	*v = strtod(tmp, NULL);
	return true;
}

/* A string field shown safely, with a prefix, when it is not empty. */
static void put_field(struct shown *s, const struct line *l, int obj, const char *key, const char *prefix)
{
	char v[512];

	if (!*FIELD(l, obj, key, v))
		return;
	put(s, prefix);
	put_safe(s, v, strlen(v));
}

/* ---- the parts every event line shares ---- */

static void put_time(struct shown *s)
{
	struct timespec ts;
	struct tm tm;
	char t[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(t, sizeof(t), "%H:%M:%S", &tm);
	paint(s, C_DIM);
	put(s, t);
	paint(s, C_RESET);
	put(s, " ");
}

static const char *severity_colour(const char *sev)
{
	if (!strcmp(sev, "critical"))
		return C_BOLD_RED;
	if (!strcmp(sev, "high"))
		return C_RED;
	if (!strcmp(sev, "medium") || !strcmp(sev, "warning"))
		return C_YELLOW;
	return C_CYAN;
}

/* "CRITICAL" and the like, padded to one width so that the events line up. */
static void put_severity(struct shown *s, const char *sev)
{
	char up[16];
	size_t i;

	for (i = 0; sev[i] && i < sizeof(up) - 1; i++)
		up[i] = (char)(sev[i] >= 'a' && sev[i] <= 'z' ? sev[i] - 32 : sev[i]);
	up[i] = 0;
	paint(s, severity_colour(sev));
	put_safe(s, up, i);
	paint(s, C_RESET);
	putf(s, "%*s", (int)(i < 9 ? 9 - i : 1), "");
}

/* What was found, as the finding's own fields name it: the detector, its
 * category and the masked value (never the value: the line has none). */
static void put_what(struct shown *s, const struct line *l)
{
	char det[128], cat[32], masked[256];

	FIELD(l, l->root, "detector", det);
	FIELD(l, l->root, "category", cat);
	FIELD(l, l->root, "masked", masked);
	paint(s, C_BOLD);
	put_safe(s, det, strlen(det));
	paint(s, C_RESET);
	if (*cat) {
		put(s, " (");
		put_safe(s, cat, strlen(cat));
		put(s, ")");
	}
	if (*masked) {
		put(s, " \"");
		put_safe(s, masked, strlen(masked));
		put(s, "\"");
	}
}

static void put_model(struct shown *s, const struct line *l, const char *prefix)
{
	char m[256];

	if (!*FIELD(l, l->root, "model_reported", m))
		FIELD(l, l->root, "model_requested", m);
	if (!*m)
		return;
	put(s, prefix);
	put_safe(s, m, strlen(m));
}

/* Where: the process (and its pod or container), its side of the
 * connection and the peer. */
static void put_where(struct shown *s, const struct line *l)
{
	int id = get(l, l->root, "identity");
	char comm[32], v[256];

	if (id < 0)
		return;
	put(s, " - ");
	if (!*FIELD(l, id, "comm", comm))
		snprintf(comm, sizeof(comm), "?");
	put_safe(s, comm, strlen(comm));
	putf(s, "[%" PRId64 "]", num(l, id, "pid"));
	if (*FIELD(l, id, "pod_uid", v)) {
		put(s, " pod ");
		put_safe(s, v, strlen(v));
	} else if (*FIELD(l, id, "container_id", v)) {
		put(s, " container ");
		put_safe(s, v, strlen(v) < 12 ? strlen(v) : 12);
	}
	put_field(s, l, id, "role", " as ");
	put_field(s, l, id, "peer", ", peer ");
}

/* The signed event that records it: stream (first 8 hex digits) and
 * sequence number, as `sealtap-collector query` shows them. */
static void put_evidence(struct shown *s, const struct line *l)
{
	int ev = get(l, l->root, "evidence");
	char stream[40];
	double seq;

	paint(s, C_DIM);
	if (ev >= 0 && *FIELD(l, ev, "stream", stream)) {
		put(s, " - evidence ");
		put_safe(s, stream, strlen(stream) < 8 ? strlen(stream) : 8);
		putf(s, " #%" PRId64, num(l, ev, "seq"));
	} else if (has_num(l, l->root, "evidence_seq", &seq) && seq >= 0) {
		putf(s, " - evidence #%.0f", seq);
	}
	paint(s, C_RESET);
}

/* ---- one line per kind of event ---- */

/* n thing(s), in words. */
static void put_count(struct shown *s, int64_t n, const char *one, const char *many)
{
	putf(s, "%" PRId64 " %s", n, n == 1 ? one : many);
}

static void show_finding(struct shown *s, const struct line *l)
{
	char sev[16], dir[16], leak[32], part[32], role[32];
	bool input;

	FIELD(l, l->root, "severity", sev);
	FIELD(l, l->root, "direction", dir);
	FIELD(l, l->root, "leak", leak);
	FIELD(l, l->root, "part", part);
	input = !strcmp(dir, "input");
	put_severity(s, sev);
	if (input) {
		put(s, "in prompt      ");
	} else {
		char head[48];

		snprintf(head, sizeof(head), "leak %s", *leak ? leak : "?");
		paint(s, !strcmp(leak, "echo") ? C_YELLOW : C_BOLD_RED);
		put_safe(s, head, strlen(head));
		paint(s, C_RESET);
		putf(s, "%*s", (int)(strlen(head) < 15 ? 15 - strlen(head) : 1), "");
	}
	put_what(s, l);
	if (!strcmp(part, "message")) {
		putf(s, " in messages[%" PRId64 "]", num(l, l->root, "message"));
		if (*FIELD(l, l->root, "role", role)) {
			put(s, " (");
			put_safe(s, role, strlen(role));
			put(s, ")");
		}
	} else if (!strcmp(part, "completion")) {
		put(s, " in the completion");
	} else if (!strcmp(part, "tool_arguments")) {
		put(s, " in the tool arguments");
	}
	put_model(s, l, input ? " to " : " from ");
	put_where(s, l);
	put_evidence(s, l);
}

static void show_violation(struct shown *s, const struct line *l)
{
	char sev[16], dir[16], provider[64], host[256];

	FIELD(l, l->root, "severity", sev);
	FIELD(l, l->root, "direction", dir);
	FIELD(l, l->root, "provider", provider);
	FIELD(l, l->root, "host", host);
	put_severity(s, sev);
	paint(s, C_BOLD_RED);
	put(s, "policy         ");
	paint(s, C_RESET);
	put_field(s, l, l->root, "rule", "rule ");
	put_field(s, l, l->root, "reason", ": ");
	put(s, ": ");
	put_what(s, l);
	put(s, !strcmp(dir, "input") ? " sent to " : " produced by ");
	if (*provider) {
		put_safe(s, provider, strlen(provider));
		if (*host) {
			put(s, " (");
			put_safe(s, host, strlen(host));
			put(s, ")");
		}
	} else {
		put_safe(s, *host ? host : "a model", strlen(*host ? host : "a model"));
	}
	put_model(s, l, ", model ");
	put_where(s, l);
	put_evidence(s, l);
}

static void show_drift(struct shown *s, const struct line *l)
{
	char layer[32], key[640], feature[64], test[64], model[256], prev[256];
	double stat, thr, ref, cur;

	FIELD(l, l->root, "layer", layer);
	FIELD(l, l->root, "key", key);
	if (!strcmp(layer, "model_change_event")) {
		put_severity(s, "notice");
		put(s, "model change   ");
		put_safe(s, key, strlen(key));
		put(s, ": ");
		FIELD(l, l->root, "previous_model", prev);
		FIELD(l, l->root, "model", model);
		put_safe(s, *prev ? prev : "?", strlen(*prev ? prev : "?"));
		put(s, " -> ");
		paint(s, C_BOLD);
		put_safe(s, *model ? model : "?", strlen(*model ? model : "?"));
		paint(s, C_RESET);
		put_evidence(s, l);
		return;
	}
	FIELD(l, l->root, "feature", feature);
	FIELD(l, l->root, "test", test);
	if (!strcmp(layer, "banned")) {
		int c = get(l, l->root, "contributors");

		put_severity(s, "high");
		put(s, "banned content ");
		put_safe(s, key, strlen(key));
		put(s, ": the output matched the banned-content list");
		if (c >= 0 && jdoc_len(&l->d, c) > 0) {
			char rule[128];

			str(l, jdoc_at(&l->d, c, 0), rule, sizeof(rule));
			put(s, " at ");
			put_safe(s, rule, strlen(rule));
		}
		put_evidence(s, l);
		return;
	}
	put_severity(s, "warning");
	put(s, "drift          ");
	put_safe(s, key, strlen(key));
	put(s, ": ");
	paint(s, C_BOLD);
	put_safe(s, feature, strlen(feature));
	paint(s, C_RESET);
	put(s, " moved");
	if (has_num(l, l->root, "reference_value", &ref) && has_num(l, l->root, "current_value", &cur))
		putf(s, " from %.4g to %.4g", ref, cur);
	put(s, " (");
	put_safe(s, test, strlen(test));
	if (has_num(l, l->root, "statistic", &stat) && has_num(l, l->root, "threshold", &thr))
		putf(s, " %.4g > %.4g", stat, thr);
	put(s, ", ");
	put_safe(s, layer, strlen(layer));
	put(s, ")");
	put_evidence(s, l);
}

static void show_prompt_change(struct shown *s, const struct line *l)
{
	char key[640];
	bool instr = jdoc_true(&l->d, get(l, l->root, "instructions_changed"));
	bool tools = jdoc_true(&l->d, get(l, l->root, "tools_changed"));

	FIELD(l, l->root, "key", key);
	put_severity(s, "notice");
	put(s, "prompt change  ");
	put_safe(s, key, strlen(key));
	put(s, ": ");
	if (instr)
		putf(s, "system prompt changed (%" PRId64 " -> %" PRId64 " bytes)",
		     num(l, l->root, "previous_instructions_length"), num(l, l->root, "instructions_length"));
	if (instr && tools)
		put(s, ", ");
	if (tools)
		putf(s, "tools changed (%" PRId64 " -> %" PRId64 " bytes)", num(l, l->root, "previous_tools_length"),
		     num(l, l->root, "tools_length"));
	put(s, "; after ");
	put_count(s, num(l, l->root, "previous_exchanges"), "exchange", "exchanges");
	put(s, " with the one before, ");
	put_count(s, num(l, l->root, "known_prompts"), "prompt", "prompts");
	put(s, " known");
	put_evidence(s, l);
}

static void put_bytes_count(struct shown *s, int64_t n)
{
	if (n >= 10ll << 20)
		putf(s, "%.1f MiB", (double)n / (1 << 20));
	else if (n >= 10ll << 10)
		putf(s, "%.1f KiB", (double)n / (1 << 10));
	else
		putf(s, "%" PRId64 " bytes", n);
}

/* The stats object in one line: what is watched, seen, found, lost and
 * recorded. Its fields are the stats line's (docs/agent-options.md). */
static void show_stats(struct shown *s, const struct line *l)
{
	int kernel = get(l, l->root, "kernel"), agent = get(l, l->root, "agent"), dec = get(l, l->root, "decode");
	int att = get(l, l->root, "attach"), cls = get(l, l->root, "classify"), rt = get(l, l->root, "routing");
	int dr = get(l, l->root, "drift"), pr = get(l, l->root, "prompts"), ev = get(l, l->root, "evidence");
	int sh = get(l, l->root, "ship");
	int64_t lost = num(l, kernel, "lost_ringbuf") + num(l, kernel, "lost_fault") +
		       num(l, kernel, "lost_no_entry") + num(l, kernel, "lost_no_conn") + num(l, kernel, "lost_event");
	int64_t gaps = num(l, agent, "gaps");
	int64_t drift = num(l, dr, "alerts_fast") + num(l, dr, "alerts_window") + num(l, dr, "silent_updates") +
			num(l, dr, "banned");

	put_severity(s, "info");
	put(s, "summary        ");
	put_count(s, num(l, att, "processes"), "process", "processes");
	put(s, " watched, ");
	put_count(s, num(l, dec, "exchanges"), "model exchange", "model exchanges");
	put(s, ", ");
	put_bytes_count(s, num(l, kernel, "bytes"));
	putf(s, " captured; findings: %" PRId64 " in prompts, %" PRId64 " in outputs (%" PRId64 " novel, %" PRId64
		" echo, %" PRId64 " cross-identity); ",
	     num(l, cls, "findings_input"), num(l, cls, "findings_output"), num(l, cls, "novel"), num(l, cls, "echo"),
	     num(l, cls, "cross_identity"));
	put_count(s, num(l, rt, "violations"), "policy violation", "policy violations");
	put(s, ", ");
	put_count(s, drift, "drift alert", "drift alerts");
	put(s, ", ");
	put_count(s, num(l, dr, "model_changes"), "model change", "model changes");
	put(s, ", ");
	put_count(s, num(l, pr, "changes"), "prompt change", "prompt changes");
	put(s, "; ");
	if (lost || gaps) {
		paint(s, C_YELLOW);
		putf(s, "lost: %" PRId64 " capture records, %" PRId64 " stream gaps", lost, gaps);
		paint(s, C_RESET);
	} else {
		put(s, "nothing lost");
	}
	if (ev >= 0) {
		putf(s, "; evidence: %" PRId64 " events signed this run", num(l, ev, "events"));
		if (num(l, ev, "dropped")) {
			paint(s, C_YELLOW);
			putf(s, ", %" PRId64 " dropped (spool full)", num(l, ev, "dropped"));
			paint(s, C_RESET);
		}
	}
	/* acked is a tree size: the record from its first event, over every run */
	if (sh >= 0 && num(l, sh, "acked"))
		putf(s, ", the collector holds the record's first %" PRId64, num(l, sh, "acked"));
	else if (sh >= 0)
		put(s, ", none at the collector yet");
}

/* ---- the view ---- */

static void write_through(struct event_view *v, const char *p, size_t n)
{
	fwrite(p, 1, n, v->dest);
}

/* A shown line, after the time it is shown. */
static void emit(struct event_view *v, const char *text, size_t n)
{
	struct shown t = { .colour = v->colour };

	put_time(&t);
	fwrite(t.b, 1, t.n, v->dest);
	fwrite(text, 1, n, v->dest);
	fputc('\n', v->dest);
	fflush(v->dest);
	v->st.shown++;
}

void event_view_line(struct event_view *v, const char *text, size_t len)
{
	struct line l;
	struct shown s = { .colour = v->colour };
	char type[32];
	bool summary = false;

	if (jdoc_parse(&l.d, text, len) < 0) {
		v->st.unreadable++;
		goto through;
	}
	l.root = 0;
	FIELD(&l, l.root, "type", type);
	if (!strcmp(type, "finding"))
		show_finding(&s, &l);
	else if (!strcmp(type, "policy_violation"))
		show_violation(&s, &l);
	else if (!strcmp(type, "drift"))
		show_drift(&s, &l);
	else if (!strcmp(type, "prompt_change"))
		show_prompt_change(&s, &l);
	else if (!strcmp(type, "stats"))
		show_stats(&s, &l), summary = true;
	else if (!strcmp(type, "ready"))
		; /* said on stderr, in words, with what is watched */
	else {
		jdoc_release(&l.d);
		goto through;
	}
	jdoc_release(&l.d);
	if (!s.n)
		return;
	if (summary) {
		/* A summary like the last one says nothing new: the terminal is
		 * quiet while nothing happens. */
		if (!strcmp(s.b, v->last_summary)) {
			v->st.summaries_unchanged++;
			v->summary_held = true;
			return;
		}
		memcpy(v->last_summary, s.b, s.n + 1);
	}
	v->summary_held = false;
	if (s.cut)
		put(&s, "...");
	emit(v, s.b, s.n);
	return;
through:
	v->st.passed_through++;
	write_through(v, text, len);
	fputc('\n', v->dest);
	fflush(v->dest);
}

/* fopencookie's write: whole lines are shown; a line that outgrows the
 * buffer is written through as it comes, up to its newline. */
static ssize_t view_write(void *cookie, const char *p, size_t n)
{
	struct event_view *v = cookie;
	size_t done = 0;

	while (done < n) {
		const char *nl = memchr(p + done, '\n', n - done);
		size_t take = nl ? (size_t)(nl - (p + done)) : n - done;

		if (v->overlong) {
			write_through(v, p + done, take);
		} else if (v->len + take > EVENT_VIEW_LINE_MAX) {
			v->overlong = true;
			v->st.passed_through++;
			write_through(v, v->buf, v->len);
			write_through(v, p + done, take);
			v->len = 0;
		} else {
			memcpy(v->buf + v->len, p + done, take);
			v->len += take;
		}
		done += take;
		if (!nl)
			break;
		done++; /* the newline */
		if (v->overlong) {
			fputc('\n', v->dest);
			fflush(v->dest);
			v->overlong = false;
		} else {
			event_view_line(v, v->buf, v->len);
		}
		v->len = 0;
	}
	return (ssize_t)n;
}

struct event_view *event_view_new(FILE *dest, bool colour)
{
	struct event_view *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->dest = dest;
	v->colour = colour;
	v->buf = malloc(EVENT_VIEW_LINE_MAX);
	v->stream = v->buf ? fopencookie(v, "w", (cookie_io_functions_t){ .write = view_write }) : NULL;
	if (!v->stream) {
		free(v->buf);
		free(v);
		return NULL;
	}
	return v;
}

void event_view_free(struct event_view *v)
{
	if (!v)
		return;
	fclose(v->stream); /* flushes into view_write */
	if (v->len)
		event_view_line(v, v->buf, v->len); /* a last line without its newline */
	if (v->summary_held) /* the numbers at the end are shown, even unchanged */
		emit(v, v->last_summary, strlen(v->last_summary));
	free(v->buf);
	free(v);
}

FILE *event_view_stream(struct event_view *v)
{
	return v->stream;
}

const struct event_view_stats *event_view_stats(const struct event_view *v)
{
	return &v->st;
}

enum output_format output_choose(enum output_format asked, int fd, bool *colour)
{
	const char *no_color = getenv("NO_COLOR");
	bool tty = isatty(fd) == 1;
	enum output_format f = asked == OUTPUT_AUTO ? (tty ? OUTPUT_HUMAN : OUTPUT_JSON) : asked;

	*colour = f == OUTPUT_HUMAN && tty && !(no_color && *no_color);
	return f;
}
