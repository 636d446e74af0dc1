/* SPDX-License-Identifier: Apache-2.0 */
/*
 * selector - which processes the agent probes. A process is selected when it
 * matches any one criterion: pid, command name (exact), executable path
 * (exact, as the process sees it), or cgroup path substring (a container id
 * or pod UID). With `all`, every process is. The lists are fixed-size.
 */
#ifndef SEALTAP_SELECTOR_H
#define SEALTAP_SELECTOR_H

#include <stdbool.h>
#include <sys/types.h>

#include "procfs.h"

#define SELECTOR_MAX 32

struct selector {
	bool all;
	int npids, ncomms, nexes, ncgroups;
	pid_t pids[SELECTOR_MAX];
	const char *comms[SELECTOR_MAX];
	const char *exes[SELECTOR_MAX];
	const char *cgroups[SELECTOR_MAX];
};

/* Adds a criterion; kind is one of "pid", "comm", "exe", "cgroup". The value
 * is kept by reference. Returns 0, -EINVAL for a bad value or kind, -ENOSPC
 * when that list is full. */
int selector_add(struct selector *s, const char *kind, const char *value);

bool selector_is_empty(const struct selector *s);

/* Whether a process with this pid could match at all, before anything is
 * read of it: with only pids selected, most processes are ruled out here,
 * and the host's other execs cost no /proc reads. */
bool selector_may_match(const struct selector *s, pid_t pid);

/* Whether every exec on the host must wake the agent at once: when the
 * kernel side cannot tell a process that may match from the rest (--all,
 * an executable or cgroup, a command name without plain capture, whose
 * names the kernel then does not hold). Otherwise only the execs of
 * selected pids and commands do. */
bool selector_exec_wakes_all(const struct selector *s, bool plain);

bool selector_match(const struct selector *s, const struct proc_info *p);

#endif
