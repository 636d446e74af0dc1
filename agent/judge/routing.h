/* SPDX-License-Identifier: Apache-2.0 */
/*
 * routing - the data-routing policy: which data a model may receive in its
 * prompts and produce in its outputs. Rules, in YAML (libyaml), as a file
 * (--routing FILE) or the agent configuration's `routing:` section:
 *
 *   rules:
 *     - name: no-sensitive-data-to-external-providers
 *       match:                       # every key given must hold (lists: any of)
 *         external: true             # a well-known external provider's host
 *         provider: [openai, anthropic]   # ... which one (routing_provider)
 *         host: ["*.internal"]       # Host / :authority without its port (globs)
 *         api: [openai.chat]         # the decoded API flavour
 *         model: ["gpt-4*"]          # requested or reported (globs)
 *         exe: ["/usr/bin/python3*"] # the watched process (globs)
 *         comm: [python3]
 *         pod: [POD_UID]             # its pod or container (as --cgroup)
 *         container: [CONTAINER_ID]
 *         role: client               # the watched process's side: client, server
 *       receive:                     # what its prompts may carry
 *         deny: { categories: [secret, financial, health] }
 *       produce:                     # what its outputs may carry
 *         allow: { categories: [pii], detectors: [..], severities: [low, medium] }
 *
 * A rule is a constraint: a finding breaks it when the exchange matches
 * and the finding is in the deny set (any of its categories, detectors or
 * severities), or outside the allow set (none of them). Each rule a
 * finding breaks is one violation. Anything unknown, a detector the agent
 * does not run, or a rule that constrains nothing, is refused with the
 * file and line.
 */
#ifndef SEALTAP_ROUTING_H
#define SEALTAP_ROUTING_H

#include <stdbool.h>
#include <stddef.h>

#include "detectors.h"

#define ROUTING_MAX_RULES 64
#define ROUTING_NAME_MAX 64

struct routing;

/* Where a finding's text went: filled from the exchange. */
struct route_dest {
	const char *api;       /* "openai.chat", ... */
	const char *model_requested, *model_reported;
	const char *host;      /* as sent, perhaps with ":port" */
	const char *exe, *comm, *pod_uid, *container_id;
	bool process_is_server;
};

/* path NULL: no policy (*out NULL). section: as detector_set_load. The
 * detectors the agent runs (ids a rule may name). 0, or -1 with err. */
int routing_load(struct routing **out, const char *path, const char *section, const struct detector *dets,
		 size_t ndets, char *err, size_t errsz);
void routing_free(struct routing *r);
size_t routing_rules(const struct routing *r);

/* The well-known external provider serving host ("api.openai.com:443"):
 * "openai", "anthropic", "google", "azure_openai", "aws_bedrock", ...; NULL
 * when the host is none of theirs. */
const char *routing_provider(const char *host);

/* A rule a finding broke, and why. */
struct route_breach {
	const char *rule;
	char reason[160]; /* "may not receive category secret", "may produce only ..." */
};

/* The rules a finding of det, in a prompt (input) or an output, breaks at
 * d: up to max of them into out; returns how many were broken. */
size_t routing_check(const struct routing *r, const struct route_dest *d, const struct detector *det, bool input,
		     struct route_breach *out, size_t max);

#endif
