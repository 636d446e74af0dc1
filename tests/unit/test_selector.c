// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "selector.h"

static struct proc_info proc(pid_t pid, const char *comm, const char *exe, const char *cg)
{
	struct proc_info p;

	memset(&p, 0, sizeof(p));
	p.pid = pid;
	strncpy(p.comm, comm, sizeof(p.comm) - 1);
	strncpy(p.exe, exe, sizeof(p.exe) - 1);
	strncpy(p.cgroup, cg, sizeof(p.cgroup) - 1);
	return p;
}

static void test_selector_each_criterion(void **state)
{
	struct selector s = { 0 };
	struct proc_info vllm = proc(10, "vllm", "/usr/bin/python3.11", "/kubepods/pod-abc/cri-1234");
	struct proc_info other = proc(11, "bash", "/bin/bash", "/user.slice");

	(void)state;
	assert_true(selector_is_empty(&s));
	assert_false(selector_match(&s, &vllm));
	assert_int_equal(selector_add(&s, "comm", "vllm"), 0);
	assert_true(selector_match(&s, &vllm));
	assert_false(selector_match(&s, &other));
	memset(&s, 0, sizeof(s));
	assert_int_equal(selector_add(&s, "exe", "/usr/bin/python3.11"), 0);
	assert_true(selector_match(&s, &vllm));
	memset(&s, 0, sizeof(s));
	assert_int_equal(selector_add(&s, "cgroup", "pod-abc"), 0);
	assert_true(selector_match(&s, &vllm));
	assert_false(selector_match(&s, &other));
	memset(&s, 0, sizeof(s));
	assert_int_equal(selector_add(&s, "pid", "11"), 0);
	assert_true(selector_match(&s, &other));
	assert_false(selector_match(&s, &vllm));
	s.all = true;
	assert_true(selector_match(&s, &vllm));
}

static void test_selector_rejects_bad_values(void **state)
{
	struct selector s = { 0 };

	(void)state;
	assert_int_equal(selector_add(&s, "pid", "0"), -EINVAL);
	assert_int_equal(selector_add(&s, "pid", "12x"), -EINVAL);
	assert_int_equal(selector_add(&s, "pid", "-4"), -EINVAL);
	assert_int_equal(selector_add(&s, "exe", "python3"), -EINVAL);
	assert_int_equal(selector_add(&s, "comm", "a-name-longer-than-15"), -EINVAL);
	assert_int_equal(selector_add(&s, "comm", ""), -EINVAL);
	assert_int_equal(selector_add(&s, "color", "x"), -EINVAL);
	for (int i = 0; i < SELECTOR_MAX; i++)
		assert_int_equal(selector_add(&s, "comm", "x"), 0);
	assert_int_equal(selector_add(&s, "comm", "x"), -ENOSPC);
}

/* What may be ruled out before /proc is read, and which execs the kernel
 * side can tell (the rest must all wake the agent). */
static void test_selector_what_is_known_early(void **state)
{
	struct selector s = { 0 };

	(void)state;
	assert_int_equal(selector_add(&s, "pid", "11"), 0);
	assert_true(selector_may_match(&s, 11));
	assert_false(selector_may_match(&s, 12));
	assert_false(selector_exec_wakes_all(&s, true));
	assert_false(selector_exec_wakes_all(&s, false));
	assert_int_equal(selector_add(&s, "comm", "vllm"), 0);
	assert_true(selector_may_match(&s, 12)); /* its name is not known yet */
	assert_false(selector_exec_wakes_all(&s, true)); /* the kernel holds the names */
	assert_true(selector_exec_wakes_all(&s, false));
	memset(&s, 0, sizeof(s));
	assert_int_equal(selector_add(&s, "exe", "/usr/bin/python3.11"), 0);
	assert_true(selector_may_match(&s, 12));
	assert_true(selector_exec_wakes_all(&s, true));
	memset(&s, 0, sizeof(s));
	assert_int_equal(selector_add(&s, "cgroup", "pod-abc"), 0);
	assert_true(selector_exec_wakes_all(&s, true));
	memset(&s, 0, sizeof(s));
	s.all = true;
	assert_true(selector_may_match(&s, 12));
	assert_true(selector_exec_wakes_all(&s, true));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selector_each_criterion),
		cmocka_unit_test(test_selector_rejects_bad_values),
		cmocka_unit_test(test_selector_what_is_known_early),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
