// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "procfs.h"

static void test_procfs_maps_line_library(void **state)
{
	char line[] = "7f3a1c2b0000-7f3a1c30e000 r-xp 00022000 fe:01 333427                     "
		      "/usr/lib/x86_64-linux-gnu/libssl.so.3\n";
	struct maps_entry e;

	(void)state;
	assert_int_equal(procfs_parse_maps_line(line, &e), 0);
	assert_true(e.exec);
	assert_false(e.deleted);
	assert_int_equal(e.start, 0x7f3a1c2b0000ull);
	assert_int_equal(e.end, 0x7f3a1c30e000ull);
	assert_int_equal(e.offset, 0x22000);
	assert_int_equal(e.dev_major, 0xfe);
	assert_int_equal(e.dev_minor, 1);
	assert_int_equal(e.ino, 333427);
	assert_string_equal(e.path, "/usr/lib/x86_64-linux-gnu/libssl.so.3");
}

static void test_procfs_maps_line_deleted_and_anonymous(void **state)
{
	char del[] = "55d0-56d0 r-xp 00000000 08:02 42 /opt/app/lib with space.so (deleted)\n";
	char anon[] = "7ffd1000-7ffd2000 rw-p 00000000 00:00 0\n";
	char vdso[] = "7ffd3000-7ffd4000 r-xp 00000000 00:00 0                  [vdso]\n";
	struct maps_entry e;

	(void)state;
	assert_int_equal(procfs_parse_maps_line(del, &e), 0);
	assert_true(e.deleted);
	assert_string_equal(e.path, "/opt/app/lib with space.so");
	assert_int_equal(procfs_parse_maps_line(anon, &e), 0);
	assert_false(e.exec);
	assert_string_equal(e.path, "");
	assert_int_equal(procfs_parse_maps_line(vdso, &e), 0);
	assert_string_equal(e.path, "[vdso]");
}

static void test_procfs_maps_line_garbage(void **state)
{
	char a[] = "not a maps line";
	char b[] = "2000-1000 r-xp 0 00:00 0 /x";
	struct maps_entry e;

	(void)state;
	assert_int_equal(procfs_parse_maps_line(a, &e), -EINVAL);
	assert_int_equal(procfs_parse_maps_line(b, &e), -EINVAL);
}

static void test_procfs_cgroup_v2_and_v1(void **state)
{
	char out[128];

	(void)state;
	procfs_parse_cgroup("0::/kubepods.slice/kubepods-pod1234.slice/cri-containerd-abcd.scope\n", out,
			    sizeof(out));
	assert_string_equal(out, "/kubepods.slice/kubepods-pod1234.slice/cri-containerd-abcd.scope");
	procfs_parse_cgroup("12:pids:/docker/ff00\n11:cpu:/docker/ff00\n0::/init.scope\n", out, sizeof(out));
	assert_string_equal(out, "/init.scope");
	procfs_parse_cgroup("4:memory:/docker/77aa\n", out, sizeof(out));
	assert_string_equal(out, "/docker/77aa");
	procfs_parse_cgroup("garbage", out, sizeof(out));
	assert_string_equal(out, "");
}

static void test_procfs_read_self(void **state)
{
	struct proc_info info;

	(void)state;
	assert_int_equal(procfs_read_info(getpid(), &info), 0);
	assert_string_equal(info.comm, "test_procfs");
	assert_non_null(strstr(info.exe, "test_procfs"));
	assert_int_equal(procfs_read_info(999999999, &info), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_procfs_maps_line_library),
		cmocka_unit_test(test_procfs_maps_line_deleted_and_anonymous),
		cmocka_unit_test(test_procfs_maps_line_garbage),
		cmocka_unit_test(test_procfs_cgroup_v2_and_v1),
		cmocka_unit_test(test_procfs_read_self),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
