// SPDX-License-Identifier: Apache-2.0
#include "tally.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct det_row {
	char id[64];
	const char *category, *severity; /* static names */
	uint64_t n[2][4];                /* [output][leak] */
};

struct model_row {
	char api[32], model[128];
	uint64_t n;
};

struct violation_row {
	char rule[64], detector[64];
	const char *category, *provider; /* static names */
	bool output;
	uint64_t n;
};

struct tally {
	struct det_row det[TALLY_DETECTORS + 1]; /* the last: "other" */
	size_t ndet;
	struct model_row model[TALLY_MODELS + 1];
	size_t nmodel;
	struct violation_row violation[TALLY_VIOLATIONS + 1];
	size_t nviolation;
};

struct tally *tally_new(void)
{
	struct tally *t = calloc(1, sizeof(*t));

	if (t) {
		snprintf(t->det[TALLY_DETECTORS].id, sizeof(t->det[0].id), "other");
		t->det[TALLY_DETECTORS].category = t->det[TALLY_DETECTORS].severity = "other";
		snprintf(t->model[TALLY_MODELS].api, sizeof(t->model[0].api), "other");
		snprintf(t->model[TALLY_MODELS].model, sizeof(t->model[0].model), "other");
		snprintf(t->violation[TALLY_VIOLATIONS].rule, sizeof(t->violation[0].rule), "other");
		snprintf(t->violation[TALLY_VIOLATIONS].detector, sizeof(t->violation[0].detector), "other");
		t->violation[TALLY_VIOLATIONS].category = t->violation[TALLY_VIOLATIONS].provider = "other";
	}
	return t;
}

void tally_free(struct tally *t)
{
	free(t);
}

/* Detectors are keyed by id, not by pointer: a reload builds new ones. */
void tally_finding(struct tally *t, const struct detector *d, bool input, int leak)
{
	struct det_row *r = NULL;

	if (!t)
		return;
	for (size_t i = 0; i < t->ndet && !r; i++)
		if (!strcmp(t->det[i].id, d->id) && t->det[i].severity == det_severity_name(d->severity))
			r = &t->det[i];
	if (!r && t->ndet < TALLY_DETECTORS) {
		r = &t->det[t->ndet++];
		snprintf(r->id, sizeof(r->id), "%s", d->id);
		r->category = det_category_name(d->category);
		r->severity = det_severity_name(d->severity);
	}
	if (!r)
		r = &t->det[TALLY_DETECTORS];
	r->n[!input][leak & 3]++;
}

void tally_exchange(struct tally *t, const char *api, const char *model)
{
	struct model_row *r = NULL;

	if (!t)
		return;
	for (size_t i = 0; i < t->nmodel && !r; i++)
		if (!strcmp(t->model[i].api, api) && !strcmp(t->model[i].model, model))
			r = &t->model[i];
	if (!r && t->nmodel < TALLY_MODELS) {
		r = &t->model[t->nmodel++];
		snprintf(r->api, sizeof(r->api), "%s", api);
		snprintf(r->model, sizeof(r->model), "%s", model);
	}
	(r ? r : &t->model[TALLY_MODELS])->n++;
}

void tally_violation(struct tally *t, const char *rule, const struct detector *d, bool input, const char *provider)
{
	struct violation_row *r = NULL;

	if (!t)
		return;
	provider = provider ? provider : "none";
	for (size_t i = 0; i < t->nviolation && !r; i++)
		if (!strcmp(t->violation[i].rule, rule) && !strcmp(t->violation[i].detector, d->id) &&
		    t->violation[i].output == !input && !strcmp(t->violation[i].provider, provider))
			r = &t->violation[i];
	if (!r && t->nviolation < TALLY_VIOLATIONS) {
		r = &t->violation[t->nviolation++];
		snprintf(r->rule, sizeof(r->rule), "%s", rule);
		snprintf(r->detector, sizeof(r->detector), "%s", d->id);
		r->category = det_category_name(d->category);
		r->provider = provider; /* routing_provider's static names */
		r->output = !input;
	}
	(r ? r : &t->violation[TALLY_VIOLATIONS])->n++;
}

/* A label value: backslash, quote and newline escaped. */
static void label(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', out), fputc(*s, out);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

void tally_write_prometheus(const struct tally *t, FILE *out)
{
	static const char *const leaks[] = { "none", "echo", "novel", "cross_identity" };

	if (!t)
		return;
	fputs("# HELP sealtap_findings_total findings by detector, category, severity, direction and leak label\n"
	      "# TYPE sealtap_findings_total counter\n",
	      out);
	for (size_t i = 0; i <= TALLY_DETECTORS; i++) {
		const struct det_row *r = &t->det[i];

		if (i >= t->ndet && i != TALLY_DETECTORS)
			continue;
		for (int dir = 0; dir < 2; dir++)
			for (int l = 0; l < 4; l++) {
				if (!r->n[dir][l])
					continue;
				fputs("sealtap_findings_total{detector=\"", out);
				label(out, r->id);
				fprintf(out, "\",category=\"%s\",severity=\"%s\",direction=\"%s\",leak=\"%s\"} %" PRIu64 "\n",
					r->category, r->severity, dir ? "output" : "input", leaks[l], r->n[dir][l]);
			}
	}
	fputs("# HELP sealtap_exchanges_total model exchanges by API and model (reported, else requested)\n"
	      "# TYPE sealtap_exchanges_total counter\n",
	      out);
	for (size_t i = 0; i <= TALLY_MODELS; i++) {
		const struct model_row *r = &t->model[i];

		if ((i >= t->nmodel && i != TALLY_MODELS) || !r->n)
			continue;
		fputs("sealtap_exchanges_total{api=\"", out);
		label(out, r->api);
		fputs("\",model=\"", out);
		label(out, r->model);
		fprintf(out, "\"} %" PRIu64 "\n", r->n);
	}
	fputs("# HELP sealtap_policy_violations_total findings that broke a routing policy rule, by rule, detector, "
	      "direction and provider\n"
	      "# TYPE sealtap_policy_violations_total counter\n",
	      out);
	for (size_t i = 0; i <= TALLY_VIOLATIONS; i++) {
		const struct violation_row *r = &t->violation[i];

		if ((i >= t->nviolation && i != TALLY_VIOLATIONS) || !r->n)
			continue;
		fputs("sealtap_policy_violations_total{rule=\"", out);
		label(out, r->rule);
		fputs("\",detector=\"", out);
		label(out, r->detector);
		fprintf(out, "\",category=\"%s\",direction=\"%s\",provider=\"%s\"} %" PRIu64 "\n", r->category,
			r->output ? "output" : "input", r->provider, r->n);
	}
}
