// SPDX-License-Identifier: Apache-2.0
#include "report.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "hex.h"

/* The timelines' colours per series, also their legends'. */
static const char *const category_colour[PERIOD_CATEGORIES] = { "#2f6db5", "#c0392b", "#16a085", "#8e44ad",
								  "#7f8c8d" };
static const char *const leak_colour[PERIOD_LEAKS] = { "#7f8c8d", "#e67e22", "#c0392b", "#8e44ad" };

void report_utc(uint64_t ns, char out[32])
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;

	if (!ns) {
		snprintf(out, 32, "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Text into HTML: & < > " ' escaped; control characters dropped. */
static void esc(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default:
			if (c >= 0x20 && c != 0x7f)
				fputc(c, out);
		}
	}
}

static void cell(FILE *out, const char *s)
{
	fputs("<td>", out);
	esc(out, s);
	fputs("</td>", out);
}

static void num_cell(FILE *out, uint64_t n)
{
	fprintf(out, "<td class=n>%" PRIu64 "</td>", n);
}

static void time_cell(FILE *out, uint64_t ns)
{
	char t[32];

	report_utc(ns, t);
	cell(out, t);
}

static void hex_cell(FILE *out, const uint8_t *b, size_t n, size_t shown)
{
	char hex[129];

	hex_encode(b, n, hex);
	fprintf(out, "<td class=mono title=\"%s\">%.*s</td>", hex, (int)(2 * shown), hex);
}

/* A section's heading with the SOC 2 criteria it supports. */
static void section(FILE *out, const char *id, const char *title, const char *criteria)
{
	fprintf(out, "<section id=%s><h2>", id);
	esc(out, title);
	fputs(" <span class=tsc>", out);
	esc(out, criteria);
	fputs("</span></h2>\n", out);
}

static void table_rows(FILE *out, const struct period_table *t, size_t max, const char *empty)
{
	if (!t->n) {
		fprintf(out, "<tr><td colspan=2 class=none>%s</td></tr>\n", empty);
		return;
	}
	for (size_t i = 0; i < t->n && i < max; i++) {
		fputs("<tr>", out);
		cell(out, t->row[i].name);
		num_cell(out, t->row[i].n);
		fputs("</tr>\n", out);
	}
	if (t->n > max || t->other) {
		uint64_t rest = t->other;

		for (size_t i = max; i < t->n; i++)
			rest += t->row[i].n;
		fprintf(out, "<tr><td class=none>all others</td><td class=n>%" PRIu64 "</td></tr>\n", rest);
	}
}

static void list_table(FILE *out, const struct period_list *l, const char *what, const char *empty)
{
	fprintf(out, "<table><tr><th>time (UTC)</th><th>node</th><th>evidence</th><th>%s</th><th>detail</th>"
		     "<th>model</th></tr>\n",
		what);
	if (!l->n)
		fprintf(out, "<tr><td colspan=6 class=none>%s</td></tr>\n", empty);
	for (size_t i = 0; i < l->n; i++) {
		const struct period_item *it = &l->item[i];
		char stream[33], ev[64];

		hex_encode(it->stream, CHAIN_STREAM_ID, stream);
		snprintf(ev, sizeof(ev), "%.8s #%" PRIu64, stream, it->seq);
		fputs("<tr>", out);
		time_cell(out, it->time_ns);
		cell(out, it->node);
		fprintf(out, "<td class=mono title=\"stream %s\">%s</td>", stream, ev);
		cell(out, it->what);
		cell(out, it->detail);
		cell(out, it->model);
		fputs("</tr>\n", out);
	}
	if (l->more)
		fprintf(out, "<tr><td colspan=6 class=none>and %" PRIu64 " more (sealtap-collector query lists them all)"
			     "</td></tr>\n",
			l->more);
	fputs("</table>\n", out);
}

/* Findings per bucket of the period, stacked by series (categories, or
 * leak labels): SVG drawn here, so the report needs nothing at run time
 * (no script, no library). counts: PERIOD_BUCKETS rows of nseries. */
static void timeline(FILE *out, const struct period *p, const uint64_t *counts, int nseries,
		     const char *(*name)(int), const char *const *colour, const char *label)
{
	const int w = 720, h = 160, left = 40, bottom = 20, bar = (w - left) / PERIOD_BUCKETS;
	uint64_t max = 0;
	char from[32], to[32];

	for (int b = 0; b < PERIOD_BUCKETS; b++) {
		uint64_t sum = 0;

		for (int c = 0; c < nseries; c++)
			sum += counts[b * nseries + c];
		if (sum > max)
			max = sum;
	}
	report_utc(p->since_ns, from);
	report_utc(p->until_ns, to);
	fprintf(out, "<svg class=timeline viewBox=\"0 0 %d %d\" role=img aria-label=\"%s\">\n"
		     "<line x1=%d y1=%d x2=%d y2=%d stroke=\"#999\"/>\n",
		w, h, label, left, h - bottom, w, h - bottom);
	fprintf(out, "<text x=%d y=12 font-size=10 text-anchor=end>%" PRIu64 "</text>\n", left - 4, max);
	fprintf(out, "<text x=%d y=%d font-size=10>%s</text><text x=%d y=%d font-size=10 text-anchor=end>%s</text>\n",
		left, h - 4, from, w, h - 4, to);
	for (int b = 0; b < PERIOD_BUCKETS && max; b++) {
		double y = h - bottom;

		for (int c = 0; c < nseries; c++) {
			uint64_t n = counts[b * nseries + c];
			double bh = (double)n * (h - bottom - 16) / (double)max;

			if (!n)
				continue;
			y -= bh;
			fprintf(out, "<rect x=%d y=%.1f width=%d height=%.1f fill=\"%s\"><title>%s: %" PRIu64
				     "</title></rect>\n",
				left + b * bar, y, bar - 1, bh, colour[c], name(c), n);
		}
	}
	fputs("</svg>\n<p class=legend>", out);
	for (int c = 0; c < nseries; c++)
		fprintf(out, "<span style=\"color:%s\">&#9632;</span> %s ", colour[c], name(c));
	fputs("</p>\n", out);
}

static const char style[] =
	"body{font:14px/1.45 system-ui,sans-serif;color:#222;max-width:60rem;margin:2rem auto;padding:0 1rem}"
	"h1{font-size:1.6rem;margin:0}h2{font-size:1.2rem;border-bottom:1px solid #ccc;margin-top:2rem}"
	".tsc{font-size:.8rem;font-weight:normal;color:#555;margin-left:.5rem}"
	"table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.85rem}"
	"th,td{border:1px solid #ddd;padding:.2rem .4rem;text-align:left;vertical-align:top}"
	"table.wide{font-size:.75rem}"
	"th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}"
	".mono,code,pre{font-family:ui-monospace,monospace;font-size:.8rem;overflow-wrap:anywhere}.none{color:#777;font-style:italic}"
	".ok{color:#1b7f3b;font-weight:bold}.bad{color:#b00020;font-weight:bold}"
	"pre{background:#f7f7f7;padding:.5rem;white-space:pre-wrap;word-break:break-all}"
	".totals td{font-size:1rem}svg.timeline{width:100%;height:auto}.legend{font-size:.8rem}"
	"@media print{body{margin:0;max-width:none}section,table,svg{break-inside:avoid}}";

static void totals(FILE *out, const struct period *p)
{
	fputs("<table class=totals id=totals>\n", out);
#define ROW(label, id, v) fprintf(out, "<tr><th>%s</th><td class=n id=%s>%" PRIu64 "</td></tr>\n", label, id, (uint64_t)(v))
	ROW("events in the period", "t-events", p->events);
	ROW("agents", "t-agents", p->nagents + p->agents_untabled);
	ROW("findings", "t-findings", p->findings);
	ROW("findings in prompts", "t-input", p->by_leak[PERIOD_INPUT]);
	ROW("findings in outputs, echo", "t-echo", p->by_leak[PERIOD_ECHO]);
	ROW("findings in outputs, novel", "t-novel", p->by_leak[PERIOD_NOVEL]);
	ROW("findings in outputs, cross-identity", "t-cross", p->by_leak[PERIOD_CROSS]);
	ROW("policy violations", "t-violations", p->violations);
	ROW("drift alerts", "t-drift", p->drift_alerts);
	ROW("model changes", "t-model-changes", p->model_changes.n + p->model_changes.more);
	ROW("prompt changes", "t-prompt-changes", p->prompt_changes.n + p->prompt_changes.more);
	ROW("configuration changes", "t-policy-changes", p->policy_changes.n + p->policy_changes.more);
#undef ROW
	fprintf(out, "<tr><th>the record</th><td id=t-verified class=%s>%s</td></tr>\n</table>\n",
		p->problems || p->access_problems ? "bad" : "ok",
		p->problems || p->access_problems ? "FAILED verification" : "verified");
}

static void watched(FILE *out, const struct period *p)
{
	section(out, "watched", "1. What was watched", "CC7.2");
	fputs("<p>Each agent watches the model-serving processes of one node from the kernel (eBPF) and signs what it "
	      "sees. Heartbeats show it was running; capture loss and the coverage account say, signed, what it "
	      "missed and what it could not watch.</p>\n<table class=wide><tr><th>agent key</th><th>node</th><th>version</th>"
	      "<th>events</th><th>first</th><th>last</th><th>heartbeats</th><th>last heartbeat</th><th>starts / "
	      "stops</th><th>exchanges</th><th>capture loss</th><th>events lost (gaps)</th></tr>\n",
	      out);
	if (!p->nagents)
		fputs("<tr><td colspan=12 class=none>no agent recorded anything in the period</td></tr>\n", out);
	for (size_t i = 0; i < p->nagents; i++) {
		const struct period_agent *a = &p->agent[i];
		uint64_t lost = a->losses.other;
		char ss[48];

		for (size_t k = 0; k < a->losses.n; k++)
			lost += a->losses.row[k].n;
		fputs("<tr>", out);
		hex_cell(out, a->key, CHAIN_AGENT_KEY, 8);
		cell(out, a->node);
		cell(out, a->version);
		num_cell(out, a->events);
		time_cell(out, a->first_ns);
		time_cell(out, a->last_ns);
		num_cell(out, a->heartbeats);
		time_cell(out, a->last_heartbeat_ns);
		snprintf(ss, sizeof(ss), "%" PRIu64 " / %" PRIu64, a->starts, a->stops);
		cell(out, ss);
		num_cell(out, a->exchanges);
		fputs("<td>", out);
		if (!lost)
			fputs("none", out);
		for (size_t k = 0; k < a->losses.n; k++) {
			esc(out, a->losses.row[k].name);
			fprintf(out, " %" PRIu64 "<br>", a->losses.row[k].n);
		}
		fputs("</td>", out);
		num_cell(out, a->gap_dropped);
		fputs("</tr>\n", out);
	}
	if (p->agents_untabled)
		fprintf(out, "<tr><td colspan=12 class=none>and %" PRIu64 " more agents' events</td></tr>\n",
			p->agents_untabled);
	fputs("</table>\n<h3>What could not be watched (each agent's last coverage account in the period)</h3>\n"
	      "<table><tr><th>agent key</th><th>process</th><th>stack</th><th>state</th><th>why</th></tr>\n",
	      out);
	{
		bool any = false;

		for (size_t i = 0; i < p->nagents; i++)
			for (size_t k = 0; k < p->agent[i].nunwatched; k++) {
				const struct period_unwatched *u = &p->agent[i].unwatched[k];
				char proc[48];

				any = true;
				snprintf(proc, sizeof(proc), "%s[%u]", u->comm, u->pid);
				fputs("<tr>", out);
				hex_cell(out, p->agent[i].key, CHAIN_AGENT_KEY, 8);
				cell(out, proc);
				cell(out, u->stack);
				cell(out, u->state);
				cell(out, u->reason);
				fputs("</tr>\n", out);
			}
		if (!any)
			fputs("<tr><td colspan=5 class=none>every TLS stack and socket the agents' accounts list was "
			      "watched</td></tr>\n",
			      out);
	}
	fputs("</table>\n</section>\n", out);
}

static void found(FILE *out, const struct period *p)
{
	section(out, "found", "2. What was found", "C1.1, CC7.3, P4.2");
	fputs("<p>Sensitive data in prompts and in model outputs. An output's leak label says where the value came "
	      "from: <b>echo</b> (the same client's prompt), <b>novel</b> (no prompt held it: the model produced it), "
	      "<b>cross_identity</b> (another client's prompt). The record holds masked previews and keyed "
	      "fingerprints, never the values, so the evidence itself retains no personal data.</p>\n",
	      out);
	fputs("<h3>Over the period, by category</h3>\n", out);
	timeline(out, p, &p->timeline[0][0], PERIOD_CATEGORIES, period_category_name, category_colour,
		 "findings over the period, by category");
	fputs("<h3>Over the period, by leak label</h3>\n", out);
	timeline(out, p, &p->leak_timeline[0][0], PERIOD_LEAKS, period_leak_name, leak_colour,
		 "findings over the period, by leak label");
	fputs("<table id=by-category><tr><th>category</th><th>in prompts</th><th>echo</th><th>novel</th>"
	      "<th>cross_identity</th></tr>\n",
	      out);
	for (int c = 0; c < PERIOD_CATEGORIES; c++) {
		fprintf(out, "<tr><td>%s</td>", period_category_name(c));
		for (int l = 0; l < PERIOD_LEAKS; l++)
			num_cell(out, p->by_category[c][l]);
		fputs("</tr>\n", out);
	}
	fputs("</table>\n<h3>Detectors</h3><table><tr><th>detector</th><th>findings</th></tr>\n", out);
	table_rows(out, &p->detectors, 20, "no findings");
	fputs("</table>\n<h3>Models</h3><table><tr><th>model (reported, else requested)</th><th>findings</th></tr>\n",
	      out);
	table_rows(out, &p->models, 20, "no findings");
	fputs("</table>\n<h3>Endpoints</h3><table><tr><th>host and path</th><th>findings</th></tr>\n", out);
	table_rows(out, &p->endpoints, 20, "no findings");
	fputs("</table>\n</section>\n", out);
}

static void governed(FILE *out, const struct period *p)
{
	section(out, "routing", "3. Restricted models: which data went to which model", "CC6.7, P6.1");
	fputs("<p>Each policy violation is a rule of the routing policy (which data a model or an external provider "
	      "may receive and produce) broken by a finding, signed and pointing at that finding's event.</p>\n",
	      out);
	fputs("<table><tr><th>rule</th><th>violations</th></tr>\n", out);
	table_rows(out, &p->rules, 20, "no policy violations");
	fputs("</table>\n", out);
	list_table(out, &p->violation_list, "rule", "no policy violations");
	fputs("</section>\n", out);
	section(out, "changes", "4. Changes and drift", "CC8.1, CC7.2");
	fputs("<p>Changes of the system prompt or tools a model is served with, of the model version it reports, and "
	      "of the agent's configuration, each signed when first seen; drift alerts when a model's outputs "
	      "changed without a reported change.</p>\n<h3>Prompt changes</h3>\n",
	      out);
	list_table(out, &p->prompt_changes, "key", "no prompt changes");
	fputs("<h3>Model changes</h3>\n", out);
	list_table(out, &p->model_changes, "versions", "no model changes");
	fputs("<h3>Configuration changes</h3>\n", out);
	list_table(out, &p->policy_changes, "digest", "no configuration changes");
	fputs("<h3>Drift alerts</h3>\n", out);
	list_table(out, &p->drift_list, "alert", "no drift alerts");
	fputs("</section>\n", out);
}

static void verified(FILE *out, const struct period *p)
{
	section(out, "verified", "5. How the record was verified", "CC7.2, CC6.1");
	fprintf(out,
		"<p id=verify-result class=%s>%s: %" PRIu64 " stream(s) and %" PRIu64 " event(s) checked, %d problem(s) "
		"in the evidence; access log: %" PRIu64 " entr(ies) checked, %d problem(s).</p>\n",
		p->problems || p->access_problems ? "bad" : "ok", p->problems || p->access_problems ? "FAILED" : "Verified",
		p->verified_streams, p->verified_events, p->problems, p->access_entries, p->access_problems);
	fputs("<p>Every stream was checked whole, not only the period: each event chained to the one before it by its "
	      "RFC 6962 leaf hash, with no number missing or repeated; every checkpoint signed (Ed25519) by the "
	      "stream's agent key and equal to the Merkle root of the events it covers; the access log's hash chain "
	      "entry by entry. The collector's cosignature on a checkpoint shows when it held those events.</p>\n"
	      "<table><tr><th>stream</th><th>agent key</th><th>events</th><th>checkpoints</th><th>signed by the "
	      "agent</th><th>cosigned by the collector</th><th>last checkpoint</th></tr>\n",
	      out);
	for (size_t i = 0; i < p->nstreams; i++) {
		const struct period_stream *st = &p->stream[i];
		char a[48], c[48];

		snprintf(a, sizeof(a), "%" PRIu64 " of %" PRIu64, st->signed_ok, st->checkpoints);
		if (p->cosignatures_checked)
			snprintf(c, sizeof(c), "%" PRIu64 " of %" PRIu64, st->cosigned_ok, st->checkpoints);
		else
			snprintf(c, sizeof(c), "not checked (no --collector-key)");
		fputs("<tr>", out);
		hex_cell(out, st->id, CHAIN_STREAM_ID, 16);
		hex_cell(out, st->agent_key, CHAIN_AGENT_KEY, 8);
		num_cell(out, st->events);
		num_cell(out, st->checkpoints);
		cell(out, a);
		cell(out, c);
		num_cell(out, st->last_checkpoint);
		fputs("</tr>\n", out);
	}
	if (p->streams_unlisted)
		fprintf(out, "<tr><td colspan=7 class=none>and %" PRIu64 " more streams (verified above)</td></tr>\n",
			p->streams_unlisted);
	fputs("</table>\n", out);
	if (p->problems || p->access_problems) {
		fputs("<h3>Problems found</h3><pre>", out);
		esc(out, p->problem_text);
		fputs("</pre>\n", out);
	}
	fputs("</section>\n", out);
}

static void commands(FILE *out, const struct period *p, const char *store, const char *collector_key)
{
	/* Unix seconds, as the commands take them: the period's end rounded up */
	uint64_t from = p->since_ns / 1000000000u, to = (p->until_ns + 999999999u) / 1000000000u;

	fputs("<section id=check><h2>6. Check it yourself</h2>\n<p>With the store (or a copy) and nothing from this "
	      "report, on any machine with sealtap-collector:</p>\n<pre>",
	      out);
	fputs("# the whole record, offline: chains, Merkle roots, signatures, the access log\nsealtap-collector verify "
	      "--store ",
	      out);
	esc(out, store);
	fputs("\n\n# the agent keys: compare with your enrollment records, not with the evidence\nsealtap-collector "
	      "agents --store ",
	      out);
	esc(out, store);
	fprintf(out, "\n\n# the period's events, and this report's counts (--since/--until are Unix seconds)\n"
		     "sealtap-collector query --store ");
	esc(out, store);
	fprintf(out, " --since %" PRIu64 " --until %" PRIu64 " --kind finding | wc -l\n", from, to);
	fputs("sealtap-collector report --store ", out);
	esc(out, store);
	fprintf(out, " --from %" PRIu64 " --to %" PRIu64 "%s", from, to, collector_key ? " --collector-key " : "");
	esc(out, collector_key ? collector_key : "");
	fputs(" --out again.html\n\n# a range of one stream as a proof bundle, checked with only the agent's public "
	      "key\nsealtap-collector export --store ",
	      out);
	esc(out, store);
	fputs(" --stream STREAM --from 0 --to N --proof bundle.pb\nsealtap-collector verify --proof bundle.pb --key "
	      "AGENT_KEY\n\n# where one value went (a finding's fingerprint), with the proofs\nsealtap-collector "
	      "lineage --store ",
	      out);
	esc(out, store);
	fputs(" FINGERPRINT --proof lineage.pb</pre>\n</section>\n", out);
}

static void criteria(FILE *out)
{
	static const char *const rows[][3] = {
		{ "CC6.1", "Logical access to the evidence: roles (agent, auditor, admin, monitor) and a hash-chained "
			   "access log of every read, verified in section 5.", "5" },
		{ "CC6.7", "Transmission of information restricted to authorised models and providers: the routing "
			   "policy and every violation of it.", "3" },
		{ "CC7.2", "The system is monitored: agents' heartbeats, coverage and capture loss; drift alerts; the "
			   "monitoring's own record verified.", "1, 4, 5" },
		{ "CC7.3", "Security events are evaluated: each finding labelled as echo, novel or cross-identity, with "
			   "its severity.", "2" },
		{ "CC8.1", "Changes are recorded: system prompts and tools, reported model versions, the agent's "
			   "configuration.", "4" },
		{ "C1.1", "Confidential information is identified where it flows: findings by category, detector and "
			  "model; lineage of a value.", "2" },
		{ "P4.2", "Personal information is not retained by the monitoring: masked previews and keyed "
			  "fingerprints only.", "2" },
		{ "P6.1", "Personal information disclosed to third parties (external model providers) is recorded and "
			  "checked against policy.", "3" },
	};

	fputs("<section id=criteria><h2>SOC 2 criteria this report supports</h2>\n<table><tr><th>criterion</th>"
	      "<th>what here supports it</th><th>section</th></tr>\n",
	      out);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		fprintf(out, "<tr><td>%s</td><td>%s</td><td>%s</td></tr>\n", rows[i][0], rows[i][1], rows[i][2]);
	fputs("</table>\n<p class=none>The criteria are the AICPA's 2017 Trust Services Criteria; which of them an "
	      "engagement tests, and what else it needs, the auditor decides.</p>\n</section>\n",
	      out);
}

void report_html(FILE *out, const struct period *p, const char *store, const char *collector_key)
{
	char from[32], to[32], gen[32];

	report_utc(p->since_ns, from);
	report_utc(p->until_ns, to);
	report_utc(p->generated_ns, gen);
	fprintf(out, "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>\n<title>sealtap evidence report %s to "
		     "%s</title>\n<meta name=viewport content=\"width=device-width\">\n<style>%s</style></head><body>\n",
		from, to, style);
	fprintf(out, "<header><h1>sealtap evidence report</h1>\n<p>Period <b id=period-from>%s</b> to <b "
		     "id=period-to>%s</b> (UTC). Generated %s from the store <code>",
		from, to, gen);
	esc(out, store);
	fputs("</code>", out);
	if (collector_key) {
		fputs("; cosignatures checked with the collector key <code>", out);
		esc(out, collector_key);
		fputs("</code>", out);
	}
	fputs(".</p></header>\n", out);
	totals(out, p);
	watched(out, p);
	found(out, p);
	governed(out, p);
	verified(out, p);
	commands(out, p, store, collector_key);
	criteria(out);
	fputs("</body></html>\n", out);
}
