/* SPDX-License-Identifier: Apache-2.0 */
/*
 * identity - who a watched process is, for exchanges: executable, and the
 * container id and Kubernetes pod UID parsed from its cgroup path. Results
 * are cached per pid in a fixed table (recycled pids are re-read once their
 * entry ages out).
 */
#ifndef SEALTAP_IDENTITY_H
#define SEALTAP_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "exchange.h"

/* Parses a cgroup path. Recognises the systemd and cgroupfs layouts of
 * kubelet (pod<UID>, with '_' or '-' separators), containerd/CRI-O/docker
 * scopes and directories (a 64-hex-digit id). Outputs "" when absent. */
void identity_parse_cgroup(const char *path, char *container_id, size_t cidsz, char *pod_uid,
			   size_t podsz);

/* Fills exe, container_id and pod_uid of who->pid (cached for 10 s). */
void identity_fill(struct x_identity *who, uint64_t now_ns);

#endif
