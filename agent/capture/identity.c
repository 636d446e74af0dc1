// SPDX-License-Identifier: Apache-2.0
#include "identity.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "procfs.h"

#define CACHE_SLOTS 256
#define CACHE_TTL_NS 10000000000ull

struct cached {
	uint32_t pid;
	uint64_t at_ns;
	char exe[256];
	char container_id[72];
	char pod_uid[40];
};

static struct cached cache[CACHE_SLOTS];

static size_t hex_run(const char *s)
{
	size_t n = 0;

	while (isxdigit((unsigned char)s[n]))
		n++;
	return n;
}

void identity_parse_cgroup(const char *path, char *cid, size_t cidsz, char *pod, size_t podsz)
{
	const char *p;

	cid[0] = pod[0] = '\0';
	/* Pod UID: ".../kubepods-burstable-pod<uid with _>.slice" or
	 * ".../kubepods/burstable/pod<uid>/...". */
	p = strstr(path, "pod");
	while (p) {
		const char *u = p + 3;
		size_t n = 0;

		while (n < 36 && (isxdigit((unsigned char)u[n]) || u[n] == '_' || u[n] == '-'))
			n++;
		if (n == 36 && (p == path || p[-1] == '/' || p[-1] == '-')) {
			size_t k = n < podsz - 1 ? n : podsz - 1;

			for (size_t i = 0; i < k; i++)
				pod[i] = u[i] == '_' ? '-' : u[i];
			pod[k] = '\0';
			break;
		}
		p = strstr(p + 3, "pod");
	}
	/* Container id: the last 64-hex-digit run that starts a path element or
	 * follows a runtime prefix ("cri-containerd-", "docker-", "crio-"). */
	for (p = path; *p; p++) {
		size_t n;

		if (p != path && p[-1] != '/' && p[-1] != '-')
			continue;
		n = hex_run(p);
		if (n == 64) {
			size_t k = n < cidsz - 1 ? n : cidsz - 1;

			memcpy(cid, p, k);
			cid[k] = '\0';
			p += n - 1;
		}
	}
}

void identity_fill(struct x_identity *who, uint64_t now)
{
	struct cached *c = &cache[who->pid % CACHE_SLOTS];

	if (c->pid != who->pid || now - c->at_ns > CACHE_TTL_NS) {
		struct proc_info info;

		memset(c, 0, sizeof(*c));
		c->pid = who->pid;
		c->at_ns = now;
		if (procfs_read_info((pid_t)who->pid, &info) == 0) {
			snprintf(c->exe, sizeof(c->exe), "%.*s", (int)sizeof(c->exe) - 1, info.exe);
			identity_parse_cgroup(info.cgroup, c->container_id, sizeof(c->container_id),
					      c->pod_uid, sizeof(c->pod_uid));
		}
	}
	memcpy(who->exe, c->exe, sizeof(who->exe));
	memcpy(who->container_id, c->container_id, sizeof(who->container_id));
	memcpy(who->pod_uid, c->pod_uid, sizeof(who->pod_uid));
}
