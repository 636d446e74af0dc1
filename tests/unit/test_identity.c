// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "identity.h"

#define CID "3f4e9c1a2b7d8e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f"

static void parse(const char *path, const char *want_cid, const char *want_pod)
{
	char cid[72], pod[40];

	identity_parse_cgroup(path, cid, sizeof(cid), pod, sizeof(pod));
	assert_string_equal(cid, want_cid);
	assert_string_equal(pod, want_pod);
}

static void test_identity_kubernetes_systemd_and_cgroupfs(void **state)
{
	(void)state;
	parse("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b3c4d_5e6f_7a8b_9c0d_1e2f3a4b5c6d.slice/"
	      "cri-containerd-" CID ".scope",
	      CID, "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d");
	parse("/kubepods/besteffort/pod1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d/" CID, CID,
	      "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d");
	parse("/system.slice/docker-" CID ".scope", CID, "");
	parse("/docker/" CID, CID, "");
	parse("/user.slice/user-0.slice/session-3.scope", "", "");
	/* A "pod" that is only a substring of a word is not a pod UID. */
	parse("/apodcast-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d", "", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_kubernetes_systemd_and_cgroupfs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
