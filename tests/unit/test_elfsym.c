// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "elfsym.h"

/* This binary's own functions: their file offsets must point at their code. */
int elfsym_probe_target(int x);
int elfsym_probe_target(int x)
{
	return x * 3 + 1;
}

static void test_elfsym_finds_own_function_at_its_code(void **state)
{
	const char *names[] = { "elfsym_probe_target", "no_such_function_here" };
	uint64_t off[2];
	unsigned char code[16];
	int fd = open("/proc/self/exe", O_RDONLY);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(elfsym_find(fd, names, 2, off), 1);
	assert_true(off[0] > 0);
	assert_int_equal(off[1], 0);
	/* The bytes at that file offset are the function's first instructions. */
	assert_int_equal(pread(fd, code, sizeof(code), (off_t)off[0]), (ssize_t)sizeof(code));
	assert_memory_equal(code, (const void *)elfsym_probe_target, sizeof(code));
	close(fd);
}

static void test_elfsym_libssl_versioned_symbols(void **state)
{
	const char *names[] = { "SSL_write", "SSL_read_ex", "SSL_write_ex2" };
	uint64_t off[3];
	int fd = open("/usr/lib/x86_64-linux-gnu/libssl.so.3", O_RDONLY);

	(void)state;
	assert_true(fd >= 0);
	/* Debian 12's OpenSSL 3.0 has no SSL_write_ex2 (3.3+). */
	assert_int_equal(elfsym_find(fd, names, 3, off), 2);
	assert_true(off[0] > 0 && off[1] > 0);
	assert_int_equal(off[2], 0);
	close(fd);
}

static void test_elfsym_not_elf(void **state)
{
	const char *names[] = { "x" };
	uint64_t off[1];
	int fd = open("/proc/self/cmdline", O_RDONLY);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(elfsym_find(fd, names, 1, off), -ENOEXEC);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elfsym_finds_own_function_at_its_code),
		cmocka_unit_test(test_elfsym_libssl_versioned_symbols),
		cmocka_unit_test(test_elfsym_not_elf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
