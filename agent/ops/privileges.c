// SPDX-License-Identifier: Apache-2.0
#include "privileges.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38 /* Linux 5.8 */
#endif
#ifndef CAP_BPF
#define CAP_BPF 39 /* Linux 5.8 */
#endif

static const int kept[] = { CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, CAP_SYS_RESOURCE, CAP_SYS_ADMIN };

int privileges_drop(char *err, size_t errsz)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	uint64_t keep = 0, eff, perm;

	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		keep |= 1ull << kept[i];
	if (syscall(SYS_capget, &h, d)) {
		snprintf(err, errsz, "capget: %s", strerror(errno));
		return -1;
	}
	/* The bounding set first (it needs CAP_SETPCAP, about to go). */
	for (int cap = 0; cap <= 63; cap++) {
		if (keep & (1ull << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL) { /* EINVAL: no such capability */
			snprintf(err, errsz, "dropping capability %d from the bounding set: %s", cap, strerror(errno));
			return -1;
		}
	}
	eff = ((uint64_t)d[1].effective << 32 | d[0].effective) & keep;
	perm = ((uint64_t)d[1].permitted << 32 | d[0].permitted) & keep;
	d[0].effective = (uint32_t)eff, d[1].effective = (uint32_t)(eff >> 32);
	d[0].permitted = (uint32_t)perm, d[1].permitted = (uint32_t)(perm >> 32);
	d[0].inheritable = d[1].inheritable = 0;
	if (syscall(SYS_capset, &h, d)) {
		snprintf(err, errsz, "capset: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errsz, "no_new_privs: %s", strerror(errno));
		return -1;
	}
	return 0;
}
