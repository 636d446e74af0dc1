// SPDX-License-Identifier: Apache-2.0
/* The terminal's view of the event lines (agent/ops/event_view.c), fed the
 * real agent's JSON lines (tests/fixtures/event_lines.jsonl, written by
 * sealtap-agent --output json watching tests/e2e/peers/llm_server.py):
 * the exact line for each kind of event, the summary only when it changed
 * and once at the end, wire strings that cannot drive a terminal, colours
 * only when asked, lines it does not know or cannot hold passed through,
 * and the choice of format by terminal and NO_COLOR. */
#include <fcntl.h>
#include <pty.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "event_view.h"

#define MAX_LINES 16

static char fixture[MAX_LINES][4096];
static size_t nfixture;

static void load_fixture(void)
{
	FILE *f = fopen(FIXTURES "/event_lines.jsonl", "r");

	assert_non_null(f);
	for (nfixture = 0; nfixture < MAX_LINES && fgets(fixture[nfixture], sizeof(fixture[0]), f); nfixture++)
		fixture[nfixture][strcspn(fixture[nfixture], "\n")] = 0;
	fclose(f);
	assert_int_equal(nfixture, 10);
}

/* The fixture's line of that type (the n-th of them). */
static const char *line_of(const char *type, int n)
{
	char needle[64];

	snprintf(needle, sizeof(needle), "{\"type\":\"%s\"", type);
	for (size_t i = 0; i < nfixture; i++)
		if (!strncmp(fixture[i], needle, strlen(needle)) && n-- == 0)
			return fixture[i];
	fail_msg("no %s line in the fixture", type);
	return NULL;
}

struct out {
	char *buf;
	size_t len;
	FILE *f;
	struct event_view *v;
};

static void open_out(struct out *o, bool colour)
{
	o->buf = NULL;
	o->f = open_memstream(&o->buf, &o->len);
	assert_non_null(o->f);
	o->v = event_view_new(o->f, colour);
	assert_non_null(o->v);
}

static void close_out(struct out *o)
{
	event_view_free(o->v);
	fclose(o->f);
}

/* What was shown, each line without its "HH:MM:SS " (the wall clock). */
static char *shown(struct out *o)
{
	char *text = calloc(1, o->len + 1), *at = text;

	fflush(o->f);
	for (const char *p = o->buf; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);

		assert_true(n > 9 && p[2] == ':' && p[5] == ':' && p[8] == ' ');
		memcpy(at, p + 9, n - 9);
		at += n - 9;
		p += n;
	}
	return text;
}

static void shows(const char *json, const char *expected)
{
	struct out o;
	char *text;

	open_out(&o, false);
	event_view_line(o.v, json, strlen(json));
	text = shown(&o);
	assert_string_equal(text, expected);
	free(text);
	close_out(&o);
	free(o.buf);
}

static void test_event_view_findings(void **state)
{
	(void)state;
	shows(line_of("finding", 0),
	      "HIGH     leak novel     financial.payment_card (financial) \"****6467\" in the completion from "
	      "sealtap-test-model - python3[24385] as server, peer 127.0.0.1:48604 - evidence 0de84b7a #3\n");
	shows(line_of("finding", 1),
	      "MEDIUM   in prompt      pii.email (pii) \"m***@***.com\" in messages[1] (user) to m - python3[24385] as "
	      "server, peer 127.0.0.1:48618 - evidence 0de84b7a #4\n");
	shows(line_of("finding", 2),
	      "MEDIUM   leak echo      pii.email (pii) \"m***@***.com\" in the completion from m-v2 - python3[24385] "
	      "as server, peer 127.0.0.1:48618 - evidence 0de84b7a #6\n");
}

static void test_event_view_violation_and_changes(void **state)
{
	(void)state;
	shows(line_of("policy_violation", 0),
	      "CRITICAL policy         rule no-secrets-cards-or-health-data-to-external-providers: may not receive "
	      "category secret: secret.github_token (secret) \"ghp_***\" sent to openai (api.openai.com:18461), "
	      "model gpt-4o - python3[24419] as server, peer 127.0.0.1:37706 - evidence 0de84b7a #13\n");
	shows(line_of("prompt_change", 0),
	      "NOTICE   prompt change  /usr/bin/python3.11|/v1/chat/completions|m: system prompt changed (22 -> 24 "
	      "bytes); after 1 exchange with the one before, 2 prompts known - evidence #5\n");
	shows(line_of("drift", 0), "HIGH     banned content /usr/bin/python3.11|/v1/chat/completions|m: the output "
				   "matched the banned-content list at line 1 - evidence #2\n");
	shows(line_of("drift", 1), "NOTICE   model change   /usr/bin/python3.11|/v1/chat/completions|m: "
				   "sealtap-test-model -> m-v2 - evidence #7\n");
	/* A drift alert proper, in drift.c's fields. */
	shows("{\"type\":\"drift\",\"key\":\"svc|/v1/chat/completions|m\",\"layer\":\"window\",\"feature\":"
	      "\"output_length\",\"test\":\"ks\",\"statistic\":0.41,\"threshold\":0.2,\"p_value\":1e-09,"
	      "\"reference_value\":120,\"current_value\":310.5,\"contributors\":[],\"evidence_seq\":40}",
	      "WARNING  drift          svc|/v1/chat/completions|m: output_length moved from 120 to 310.5 (ks 0.41 > 0.2, "
	      "window) - evidence #40\n");
}

static void test_event_view_summary_when_changed_and_at_end(void **state)
{
	const char *stats = line_of("stats", 0);
	const char *expected = "INFO     summary        1 process watched, 2 model exchanges, 6114 bytes captured; "
			       "findings: 1 in prompts, 2 in outputs (1 novel, 1 echo, 0 cross-identity); 0 policy "
			       "violations, 1 drift alert, 1 model change, 1 prompt change; nothing lost; evidence: "
			       "9 events signed this run\n";
	struct out o;
	char *text, twice[1024];

	(void)state;
	shows(stats, expected);
	open_out(&o, false);
	for (int i = 0; i < 3; i++)
		event_view_line(o.v, stats, strlen(stats));
	text = shown(&o);
	assert_string_equal(text, expected); /* the same numbers: shown once */
	free(text);
	assert_int_equal(event_view_stats(o.v)->summaries_unchanged, 2);
	event_view_free(o.v); /* the numbers at the end are shown again */
	o.v = NULL;
	text = shown(&o);
	snprintf(twice, sizeof(twice), "%s%s", expected, expected);
	assert_string_equal(text, twice);
	free(text);
	fclose(o.f);
	free(o.buf);
}

/* An escape sequence in a model name (OSC title, C1 CSI, DEL) is shown as
 * '?': a model server cannot write to the operator's terminal. */
static void test_event_view_wire_strings_cannot_drive_the_terminal(void **state)
{
	const char *src = line_of("finding", 0), *at = strstr(src, "\"model_reported\":\"sealtap-test-model\"");
	char evil[4096];
	struct out o;

	(void)state;
	assert_non_null(at);
	snprintf(evil, sizeof(evil), "%.*s\"model_reported\":\"x\\u001b]0;owned\\u0007\\u009b2J\\u007fy\"%s",
		 (int)(at - src), src, at + strlen("\"model_reported\":\"sealtap-test-model\""));
	for (int colour = 0; colour < 2; colour++) {
		open_out(&o, colour);
		event_view_line(o.v, evil, strlen(evil));
		fflush(o.f);
		assert_non_null(strstr(o.buf, "from x?]0;owned??2J?y - python3"));
		assert_null(strchr(o.buf, '\a'));
		assert_null(strstr(o.buf, "\xc2\x9b"));
		if (!colour)
			assert_null(strchr(o.buf, '\033'));
		else /* colours: only the SGR sequences the view writes */
			for (const char *e = strchr(o.buf, '\033'); e; e = strchr(e + 1, '\033'))
				assert_int_equal(e[1], '[');
		close_out(&o);
		free(o.buf);
	}
}

static void test_event_view_colours_only_when_asked(void **state)
{
	struct out o;
	const char *f = line_of("finding", 0);

	(void)state;
	open_out(&o, true);
	event_view_line(o.v, f, strlen(f));
	fflush(o.f);
	assert_non_null(strstr(o.buf, "\033[31mHIGH\033[0m"));
	assert_non_null(strstr(o.buf, "\033[1;31mleak novel\033[0m"));
	close_out(&o);
	free(o.buf);
}

/* The --dump lines, what is not JSON, and a line longer than the view
 * holds go through as they are, counted; the ready line is said on stderr
 * instead. Written through the stream, in pieces, as the producers do. */
static void test_event_view_passes_through_what_it_does_not_show(void **state)
{
	static char big[EVENT_VIEW_LINE_MAX + 100];
	struct out o;
	FILE *s;
	const char *dump = "{\"type\":\"chunk\",\"connection_id\":1}";

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	open_out(&o, false);
	s = event_view_stream(o.v);
	fputs(line_of("ready", 0), s);
	fputs("\n", s);
	fprintf(s, "%s\nnot json\n", dump);
	fputs(big, s);
	fputs("\n{\"type\":\"fin", s);
	fflush(s);
	fputs(strchr(line_of("finding", 0), 'i') + 2, s); /* the rest of a finding, in a second write */
	fputs("\n", s);
	fflush(s);
	fflush(o.f);
	assert_int_equal(strncmp(o.buf, dump, strlen(dump)), 0);
	assert_int_equal(strncmp(o.buf + strlen(dump), "\nnot json\naaaa", 14), 0);
	assert_int_equal(strspn(o.buf + strlen(dump) + 10, "a"), sizeof(big) - 1);
	assert_non_null(strstr(o.buf, "HIGH     leak novel     financial.payment_card"));
	assert_int_equal(event_view_stats(o.v)->passed_through, 3);
	assert_int_equal(event_view_stats(o.v)->unreadable, 1);
	assert_int_equal(event_view_stats(o.v)->shown, 1);
	close_out(&o);
	free(o.buf);
}

static void test_event_view_format_by_terminal_and_no_color(void **state)
{
	int master, slave, pipefd[2];
	bool colour;

	(void)state;
	assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
	assert_int_equal(pipe(pipefd), 0);
	unsetenv("NO_COLOR");
	assert_int_equal(output_choose(OUTPUT_AUTO, slave, &colour), OUTPUT_HUMAN);
	assert_true(colour);
	assert_int_equal(output_choose(OUTPUT_AUTO, pipefd[1], &colour), OUTPUT_JSON);
	assert_false(colour);
	assert_int_equal(output_choose(OUTPUT_HUMAN, pipefd[1], &colour), OUTPUT_HUMAN);
	assert_false(colour); /* asked for, but not a terminal */
	assert_int_equal(output_choose(OUTPUT_JSON, slave, &colour), OUTPUT_JSON);
	assert_false(colour);
	setenv("NO_COLOR", "1", 1);
	assert_int_equal(output_choose(OUTPUT_AUTO, slave, &colour), OUTPUT_HUMAN);
	assert_false(colour);
	setenv("NO_COLOR", "", 1); /* present but empty: no-color.org says it does not count */
	output_choose(OUTPUT_AUTO, slave, &colour);
	assert_true(colour);
	unsetenv("NO_COLOR");
	close(master);
	close(slave);
	close(pipefd[0]);
	close(pipefd[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_view_findings),
		cmocka_unit_test(test_event_view_violation_and_changes),
		cmocka_unit_test(test_event_view_summary_when_changed_and_at_end),
		cmocka_unit_test(test_event_view_wire_strings_cannot_drive_the_terminal),
		cmocka_unit_test(test_event_view_colours_only_when_asked),
		cmocka_unit_test(test_event_view_passes_through_what_it_does_not_show),
		cmocka_unit_test(test_event_view_format_by_terminal_and_no_color),
	};

	load_fixture();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
