/* SPDX-License-Identifier: Apache-2.0 */
/*
 * coverage_account - the account of what the agent watches: each selected
 * process's TLS stacks (and plain sockets), whether each is watched, and
 * why not. Capture draws it up (attach_coverage); evidence records it
 * (coverage_account); the coverage command, the metrics and the state
 * file show it. Plain values only, shared by the stages.
 */
#ifndef SEALTAP_COVERAGE_ACCOUNT_H
#define SEALTAP_COVERAGE_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One TLS stack (or the plain sockets) of a process: strings owned by the
 * account that lists them. */
struct coverage_stack {
	const char *stack;  /* "openssl", "go", "plain", "boringssl", ... */
	const char *state;  /* "watched", "partial", "unwatched" */
	const char *reason; /* "" when watched */
	const char *file;   /* the file that holds it, "" for plain sockets */
};

#define COVERAGE_STACKS_MAX 12 /* stacks listed per process */

struct coverage_process {
	uint32_t pid;
	char comm[16];
	bool model_serving; /* it served model API exchanges, or is a --model-process */
	size_t nstacks;
	struct coverage_stack stacks[COVERAGE_STACKS_MAX];
};

/* The account: what every selected process uses and whether it is
 * watched. omitted counts processes left out (--all: those with plain
 * sockets only, all watched; the lister's cap). */
struct coverage_account {
	const struct coverage_process *procs;
	size_t nprocs;
	uint32_t omitted;
};

#endif
