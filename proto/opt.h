/* SPDX-License-Identifier: Apache-2.0 */
/*
 * opt - a program's options, defined once: each entry of a table gives
 * an option's long name, its argument, its key in the YAML configuration
 * file, its bounds, where its value goes and its help. From that one table
 * come the getopt_long table, the usage text, the configuration file's keys
 * (yaml_options.h reads a file with it) and the option reference in the
 * documentation (opt_markdown), so the four cannot disagree.
 *
 * Not the evidence format: a helper agent and collector share, kept in
 * proto/ beside the other shared code (see proto/README.md).
 */
#ifndef SEALTAP_OPT_H
#define SEALTAP_OPT_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* What a program's main returns; only main turns failures into these. */
enum sealtap_exit {
	SEALTAP_EXIT_OK = 0,
	SEALTAP_EXIT_FAILED = 1, /* a runtime failure (verify: problems found) */
	SEALTAP_EXIT_SETUP = 2,  /* unusable setup: options, configuration, privileges, kernel */
};

/* How the configuration file gives an option. SCALAR: one value; LIST: a
 * sequence of values (one option each); FLAG: a boolean giving the option
 * when true (NEGATED: when false); MAP: name: value pairs, one option
 * "name: value" each; RAW: a mapping another parser reads, the option gets
 * the file's path (a setting of the file alone: in the reference, not in
 * the usage text). */
enum yopt_kind { YOPT_SCALAR, YOPT_LIST, YOPT_FLAG, YOPT_NEGATED, YOPT_MAP, YOPT_RAW };

/* Where opt_store puts a value (at offset in the caller's struct). NONE:
 * the caller's own code takes it (opt_store returns 1). */
enum opt_store { OPT_STORE_NONE, OPT_STORE_BOOL, OPT_STORE_STRING, OPT_STORE_DOUBLE, OPT_STORE_ULONG };

struct opt_def {
	const char *name;     /* long option; NULL: a heading (help) or, with no help, the end */
	int id;               /* what getopt_long returns for it (> 255, or the short option) */
	const char *arg;      /* the argument in the usage text ("PATH", "S"); NULL: no argument */
	const char *yaml;     /* its key in the configuration file ("evidence.state_dir"); NULL: none */
	enum yopt_kind yaml_kind;
	enum opt_store store;
	size_t offset;        /* where store puts it */
	double min, max;      /* a number's bounds (DOUBLE and ULONG; sizes may say K, M, G) */
	const char *expect;   /* what a refused value should have been: "--NAME VALUE: expected ..." */
	const char *help;     /* usage text; a '\n' continues it on an indented line. NULL:
			       * an internal option, in neither the usage text nor the reference */
};

#define OPT_HEADING(text) { .help = (text) }
#define OPT_END { .name = NULL }

/* Fills out (cap entries, the last left zero) for getopt_long. Returns the
 * number of options, or -1 when cap is too small. */
int opt_getopt_table(const struct opt_def *defs, struct option *out, size_t cap);
const struct opt_def *opt_find(const struct opt_def *defs, int id);
/* A number in [d->min, d->max]; "256M" is 256 MiB. 0 or -EINVAL. */
int opt_number(const struct opt_def *d, const char *s, double *out);
/* Stores arg as d says into base. 0 stored, 1 for the caller (STORE_NONE),
 * -EINVAL refused (the caller says d->expect). */
int opt_store(const struct opt_def *d, const char *arg, void *base);

/* The options section by section, as --help prints them. */
void opt_usage(FILE *out, const struct opt_def *defs);
/* The option reference as Markdown tables, one per heading: option,
 * configuration key, what it does. */
void opt_markdown(FILE *out, const struct opt_def *defs);

#endif
