/* SPDX-License-Identifier: Apache-2.0 */
/*
 * banned - content a model must not produce again (a configured list),
 * matched in outputs as they stream so it is raised at once, not when
 * the response ends. The list file has one rule per line: a phrase
 * (matched case-insensitively, as a literal), or "re:" and a Hyperscan
 * pattern; '#' starts a comment line. A rule is named by its line number
 * ("line 12"): the phrase itself stays out of logs and evidence.
 *
 * All rules are one Hyperscan streaming database; each output text is one
 * stream, so a phrase split across deltas is still found, once per text.
 */
#ifndef SEALTAP_BANNED_H
#define SEALTAP_BANNED_H

#include <stddef.h>

struct banned;
struct banned_stream;

/* NULL with err set when the file cannot be read or a rule not compiled
 * (naming file:line). */
struct banned *banned_load(const char *path, char *err, size_t errsz);
void banned_free(struct banned *b);
/* A reload: freed when the last stream on it closes (now, if none). */
void banned_retire(struct banned *b);
size_t banned_rules(const struct banned *b);

/* on_match(ctx, line) for each rule the text matches, once per rule. */
typedef void (*banned_fn)(void *ctx, unsigned line);
struct banned_stream *banned_open(struct banned *b, banned_fn fn, void *ctx);
void banned_feed(struct banned_stream *s, const char *text, size_t len);
void banned_close(struct banned_stream *s);

#endif
