// SPDX-License-Identifier: Apache-2.0
#include "opt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int opt_getopt_table(const struct opt_def *defs, struct option *out, size_t cap)
{
	size_t n = 0;

	for (const struct opt_def *d = defs; d->name || d->help; d++) {
		if (!d->name)
			continue;
		if (n + 1 >= cap)
			return -1;
		out[n++] = (struct option){ d->name, d->arg ? required_argument : no_argument, NULL, d->id };
	}
	out[n] = (struct option){ 0 };
	return (int)n;
}

const struct opt_def *opt_find(const struct opt_def *defs, int id)
{
	for (const struct opt_def *d = defs; d->name || d->help; d++)
		if (d->name && d->id == id)
			return d;
	return NULL;
}

int opt_number(const struct opt_def *d, const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	/* Sizes may say K, M or G (binary: 256M is 256 MiB). */
	if (end != s && end[0] && !end[1] && strchr("kKmMgG", end[0]))
		v *= end[0] == 'k' || end[0] == 'K' ? 1024.0 : end[0] == 'm' || end[0] == 'M' ? 1048576.0 : 1073741824.0, end++;
	if (errno || end == s || *end || v < d->min || v > d->max)
		return -EINVAL;
	*out = v;
	return 0;
}

int opt_store(const struct opt_def *d, const char *arg, void *base)
{
	char *at = (char *)base + d->offset;
	double v;

	switch (d->store) {
	case OPT_STORE_NONE:
		return 1;
	case OPT_STORE_BOOL:
		*(bool *)at = true;
		return 0;
	case OPT_STORE_STRING:
		*(const char **)at = arg;
		return 0;
	case OPT_STORE_DOUBLE:
		if (opt_number(d, arg, &v))
			return -EINVAL;
		*(double *)at = v;
		return 0;
	case OPT_STORE_ULONG:
		if (opt_number(d, arg, &v))
			return -EINVAL;
		*(unsigned long *)at = (unsigned long)v;
		return 0;
	}
	return -EINVAL;
}

#define USAGE_COLUMN 24 /* where help starts, beside a short signature or under a long one */

/* "--name ARG" as the usage text and the reference show it. */
static int signature(const struct opt_def *d, char *buf, size_t n)
{
	return snprintf(buf, n, "--%s%s%s", d->name, d->arg ? " " : "", d->arg ? d->arg : "");
}

void opt_usage(FILE *out, const struct opt_def *defs)
{
	for (const struct opt_def *d = defs; d->name || d->help; d++) {
		char sig[96];
		const char *h = d->help ? d->help : "";
		int w;

		if (!d->name) {
			fprintf(out, "\n%s\n", h);
			continue;
		}
		if (!d->help || d->yaml_kind == YOPT_RAW)
			continue; /* internal, or not for the command line */
		w = signature(d, sig, sizeof(sig));
		/* The help beside the signature, or under it when it is long. */
		if (w < USAGE_COLUMN - 3)
			fprintf(out, "  %-*s", USAGE_COLUMN - 2, sig);
		else
			fprintf(out, "  %s\n%*s", sig, USAGE_COLUMN, "");
		for (const char *nl; (nl = strchr(h, '\n')); h = nl + 1)
			fprintf(out, "%.*s\n%*s", (int)(nl - h), h, USAGE_COLUMN, "");
		fprintf(out, "%s\n", h);
	}
}

/* A help text on one line, for a table cell ('|' escaped). */
static void cell(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\n')
			fputc(' ', out);
		else if (*s == '|')
			fputs("\\|", out);
		else
			fputc(*s, out);
	}
}

void opt_markdown(FILE *out, const struct opt_def *defs)
{
	bool table = false;

	for (const struct opt_def *d = defs; d->name || d->help; d++) {
		char sig[96];

		if (!d->name) {
			size_t n = strlen(d->help);

			fprintf(out, "%s### %.*s", table ? "\n" : "", (int)(n && d->help[n - 1] == ':' ? n - 1 : n),
				d->help);
			fputs("\n\n| option | configuration file | what it does |\n| --- | --- | --- |\n", out);
			table = true;
			continue;
		}
		if (!d->help)
			continue;
		signature(d, sig, sizeof(sig));
		if (d->yaml_kind == YOPT_RAW)
			fputs("| (file only) | ", out);
		else
			fprintf(out, "| `%s` | ", sig);
		if (d->yaml)
			fprintf(out, "`%s`%s", d->yaml,
				d->yaml_kind == YOPT_LIST	? " (list)"
				: d->yaml_kind == YOPT_MAP	? " (name: value)"
				: d->yaml_kind == YOPT_FLAG	? " (true/false)"
				: d->yaml_kind == YOPT_NEGATED ? " (false gives the option)"
				: d->yaml_kind == YOPT_RAW	? " (a section)"
								: "");
		fputs(" | ", out);
		cell(out, d->help);
		fputs(" |\n", out);
	}
}
