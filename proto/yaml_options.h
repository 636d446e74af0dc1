/* SPDX-License-Identifier: Apache-2.0 */
/*
 * yaml_options - a YAML settings file (libyaml) read into the long options
 * a program's command line takes ("--name=value" strings, each with the
 * line it came from), so one option parser checks both and the messages
 * can name file and line. The keys are those of the program's option
 * table (options.h): the agent's and the collector's.
 *
 * An unknown key, or a value of the wrong shape (a list where one value is
 * expected, ...), is an error naming the file, the line and what was
 * expected. A file others can write, or owned by a user other than root
 * or the caller, is refused: it decides what runs.
 */
#ifndef SEALTAP_YAML_OPTIONS_H
#define SEALTAP_YAML_OPTIONS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "opt.h"

struct yopt_args {
	char **argv;
	unsigned *line;
	int n;
	char *path;
};

/* Reads path with the keys of an option table (opt_def.yaml, dotted by
 * section): every value found becomes "--name=value" in out. */
int yopt_load(const char *path, const struct opt_def *defs, struct yopt_args *out, char *err, size_t errsz);
void yopt_release(struct yopt_args *a);

/* Refuses a file that others can write or that belongs to another user
 * (root may own it). 0 or -1 with err set. */
int yopt_check_owner(const char *path, char *err, size_t errsz);

/* A policy file's YAML document (its owner checked as above), into *doc
 * (free it with yaml_document_delete): 0, or -1 with err set. */
int yopt_read_document(const char *path, yaml_document_t *doc, char *err, size_t errsz);
/* The value under key in the document's root mapping (an agent
 * configuration file's section); the root itself when key is NULL. NULL
 * when absent or empty. */
yaml_node_t *yopt_section(yaml_document_t *doc, const char *key);

/* A policy file's reader: its document, and where its errors go. */
struct yopt_reader {
	const char *path;
	yaml_document_t doc;
	char *err;
	size_t errsz;
};
/* "PATH:LINE: message" into the reader's err; returns -1. */
int yopt_fail(struct yopt_reader *r, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
yaml_node_t *yopt_node(struct yopt_reader *r, int i);
/* The text of a scalar node, NULL for anything else. */
const char *yopt_scalar(const yaml_node_t *n);

/* "PATH:LINE: " and the message into err; returns -1. For every YAML
 * reader's errors, so they all name file and line the same way. */
int yopt_verror_at(char *err, size_t errsz, const char *path, const yaml_node_t *n, const char *fmt, va_list ap);

/* argv[0], then the file's options, then argv[1..]: the command line
 * overrides the file. A malloc'd array (the strings are not copied). */
char **yopt_merge(int argc, char **argv, const struct yopt_args *a, int *out_argc);

#endif
