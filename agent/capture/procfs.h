/* SPDX-License-Identifier: Apache-2.0 */
/*
 * procfs - what the agent learns about a process from /proc: its identity
 * (comm, executable, cgroup) and the files it maps. Paths are read as the
 * process sees them; callers open them through /proc/PID/root so that a
 * process in another mount namespace (a container) is read correctly.
 */
#ifndef SEALTAP_PROCFS_H
#define SEALTAP_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROCFS_PATH_MAX 4096

struct proc_info {
	pid_t pid;
	char comm[16];
	char exe[PROCFS_PATH_MAX];    /* "" when unreadable (kernel thread, exited) */
	char cgroup[PROCFS_PATH_MAX]; /* cgroup v2 path, "" when unknown */
};

/* One line of /proc/PID/maps. path points into the parsed line. */
struct maps_entry {
	uint64_t start, end, offset;
	uint32_t dev_major, dev_minor;
	uint64_t ino;
	bool exec;
	bool deleted; /* the file was replaced or removed since it was mapped */
	const char *path; /* "" for anonymous mappings */
};

/* Parses one maps line in place (strips the newline and " (deleted)").
 * Returns 0, or -EINVAL for a line that is not in the maps format. */
int procfs_parse_maps_line(char *line, struct maps_entry *e);

/* Fills info for pid. Returns 0, or -errno (-ENOENT once the process is gone). */
int procfs_read_info(pid_t pid, struct proc_info *info);

/* Parses the contents of /proc/PID/cgroup into the cgroup v2 path (the
 * "0::" line), or the first hierarchy's path on a v1-only system. */
void procfs_parse_cgroup(const char *text, char *out, size_t outsz);

#endif
