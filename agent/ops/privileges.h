/* SPDX-License-Identifier: Apache-2.0 */
/*
 * privileges - once the agent is set up (probes loaded, listeners bound,
 * keys and state open), it keeps only the capabilities it needs for the
 * rest of its life and can never gain more:
 *
 *   CAP_BPF, CAP_PERFMON     attaching uprobes to processes that start later
 *   CAP_SYS_ADMIN            the same on kernels whose perf_event_paranoid
 *                            policy (Debian's level 3) accepts no less for a
 *                            uprobe on another process; measured on 6.18
 *   CAP_SYS_PTRACE           reading other users' /proc/PID/maps and exe
 *   CAP_DAC_READ_SEARCH      opening their libraries through /proc/PID/root
 *   CAP_SYS_RESOURCE         the descriptor limit a busy node needs
 *
 * Everything else leaves the effective, permitted, inheritable and bounding
 * sets, and PR_SET_NO_NEW_PRIVS is set (no setuid or file capabilities can
 * give any back). Capabilities the agent did not have stay absent.
 */
#ifndef SEALTAP_PRIVILEGES_H
#define SEALTAP_PRIVILEGES_H

#include <stddef.h>

/* 0, or -1 with err set. */
int privileges_drop(char *err, size_t errsz);

#endif
