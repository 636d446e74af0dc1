// SPDX-License-Identifier: Apache-2.0
#include "selector.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static int add_str(const char **list, int *n, const char *value)
{
	if (*n >= SELECTOR_MAX)
		return -ENOSPC;
	list[(*n)++] = value;
	return 0;
}

int selector_add(struct selector *s, const char *kind, const char *value)
{
	if (!value || !*value)
		return -EINVAL;
	if (strcmp(kind, "pid") == 0) {
		char *end;
		long v;

		errno = 0;
		v = strtol(value, &end, 10);
		if (errno || *end || v <= 0 || v > INT_MAX)
			return -EINVAL;
		if (s->npids >= SELECTOR_MAX)
			return -ENOSPC;
		s->pids[s->npids++] = (pid_t)v;
		return 0;
	}
	if (strcmp(kind, "comm") == 0)
		return strlen(value) > 15 ? -EINVAL : add_str(s->comms, &s->ncomms, value);
	if (strcmp(kind, "exe") == 0)
		return value[0] != '/' ? -EINVAL : add_str(s->exes, &s->nexes, value);
	if (strcmp(kind, "cgroup") == 0)
		return add_str(s->cgroups, &s->ncgroups, value);
	return -EINVAL;
}

bool selector_is_empty(const struct selector *s)
{
	return !s->all && !s->npids && !s->ncomms && !s->nexes && !s->ncgroups;
}

bool selector_may_match(const struct selector *s, pid_t pid)
{
	if (s->all || s->ncomms || s->nexes || s->ncgroups)
		return true;
	for (int i = 0; i < s->npids; i++)
		if (s->pids[i] == pid)
			return true;
	return false;
}

bool selector_exec_wakes_all(const struct selector *s, bool plain)
{
	return s->all || s->nexes || s->ncgroups || (s->ncomms && !plain);
}

bool selector_match(const struct selector *s, const struct proc_info *p)
{
	if (s->all)
		return true;
	for (int i = 0; i < s->npids; i++)
		if (s->pids[i] == p->pid)
			return true;
	for (int i = 0; i < s->ncomms; i++)
		if (strcmp(s->comms[i], p->comm) == 0)
			return true;
	for (int i = 0; i < s->nexes; i++)
		if (p->exe[0] && strcmp(s->exes[i], p->exe) == 0)
			return true;
	for (int i = 0; i < s->ncgroups; i++)
		if (p->cgroup[0] && strstr(p->cgroup, s->cgroups[i]))
			return true;
	return false;
}
