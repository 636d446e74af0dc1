// SPDX-License-Identifier: Apache-2.0
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int procfs_parse_maps_line(char *line, struct maps_entry *e)
{
	char perms[5];
	int pos = 0;
	size_t len;
	char *path;

	memset(e, 0, sizeof(*e));
	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %" SCNx32 ":%" SCNx32 " %" SCNu64 "%n",
		   &e->start, &e->end, perms, &e->offset, &e->dev_major, &e->dev_minor, &e->ino,
		   &pos) != 7 ||
	    e->end < e->start || strlen(perms) != 4)
		return -EINVAL;
	e->exec = perms[2] == 'x';
	path = line + pos;
	while (*path == ' ' || *path == '\t')
		path++;
	len = strlen(path);
	while (len && (path[len - 1] == '\n' || path[len - 1] == ' '))
		path[--len] = '\0';
	static const char deleted[] = " (deleted)";
	if (len >= sizeof(deleted) - 1 && strcmp(path + len - (sizeof(deleted) - 1), deleted) == 0) {
		path[len - (sizeof(deleted) - 1)] = '\0';
		e->deleted = true;
	}
	e->path = path;
	return 0;
}

static int read_small_file(const char *path, char *buf, size_t bufsz)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, bufsz - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

void procfs_parse_cgroup(const char *text, char *out, size_t outsz)
{
	const char *first = NULL;

	out[0] = '\0';
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		const char *colon1 = strchr(line, ':');
		const char *colon2 = colon1 ? strchr(colon1 + 1, ':') : NULL;
		size_t n;

		if (colon2 && (!nl || colon2 < nl)) {
			const char *p = colon2 + 1;

			n = nl ? (size_t)(nl - p) : strlen(p);
			if (strncmp(line, "0::", 3) == 0 || !first) {
				if (n >= outsz)
					n = outsz - 1;
				memcpy(out, p, n);
				out[n] = '\0';
				first = line;
				if (strncmp(line, "0::", 3) == 0)
					return;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
}

int procfs_read_info(pid_t pid, struct proc_info *info)
{
	char path[64], buf[PROCFS_PATH_MAX];
	ssize_t n;
	int r;

	memset(info, 0, sizeof(*info));
	info->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	r = read_small_file(path, buf, sizeof(info->comm) + 1);
	if (r < 0)
		return r;
	buf[strcspn(buf, "\n")] = '\0';
	buf[sizeof(info->comm) - 1] = '\0'; /* the kernel caps comm at 15 bytes */
	memcpy(info->comm, buf, sizeof(info->comm));

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, info->exe, sizeof(info->exe) - 1);
	info->exe[n > 0 ? n : 0] = '\0';

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (read_small_file(path, buf, sizeof(buf)) > 0)
		procfs_parse_cgroup(buf, info->cgroup, sizeof(info->cgroup));
	return 0;
}
