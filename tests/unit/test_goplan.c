// SPDX-License-Identifier: Apache-2.0
/* goplan against real Go binaries built by make (tests/go: an HTTPS client
 * and server, with symbols and stripped, and a program without crypto/tls),
 * and against a copy whose build information names a Go older than the
 * register ABI. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "go_fixtures.h"

#include "goplan.h"

static void assert_rets_are_rets(int fd, const uint64_t *rets, size_t n, uint64_t entry)
{
	assert_true(n >= 1 && n <= GOPLAN_RETS_MAX);
	for (size_t i = 0; i < n; i++) {
		uint8_t b;

		assert_true(rets[i] > entry);
		assert_int_equal(pread(fd, &b, 1, (off_t)rets[i]), 1);
		assert_int_equal(b, 0xc3);
	}
}

/* Both programs, with symbols or without: a plan, the same for both builds
 * of one program, whose return sites are RET instructions after the entry. */
static void test_goplan_probe_able(void **state)
{
	static const char *const progs[] = { "tlsclient", "llmserver" };

	(void)state;
	for (int k = 0; k < 2; k++) {
		char stripped[64];
		struct go_plan p, s;
		int fd = open_fixture(progs[k]), sfd;

		snprintf(stripped, sizeof(stripped), "%s-stripped", progs[k]);
		sfd = open_fixture(stripped);
		assert_int_equal(goplan_make(fd, &p), 0);
		assert_int_equal(goplan_make(sfd, &s), 0);
		assert_true(p.uses_tls && p.bin.regabi);
		assert_string_equal(p.why, "");
		assert_true(p.write_off && p.read_off && p.close_off);
		assert_rets_are_rets(fd, p.write_rets, p.nwrite_rets, p.write_off);
		assert_rets_are_rets(fd, p.read_rets, p.nread_rets, p.read_off);
		/* The bodies begin past the stack check: a few instructions in. */
		assert_true(p.write_body > p.write_off && p.write_body - p.write_off < 32);
		assert_true(p.read_body > p.read_off && p.read_body - p.read_off < 32);
		assert_true(s.write_off == p.write_off && s.read_off == p.read_off && s.close_off == p.close_off);
		assert_true(s.write_body == p.write_body && s.read_body == p.read_body);
		assert_true(s.nwrite_rets == p.nwrite_rets && s.nread_rets == p.nread_rets);
		assert_memory_equal(s.write_rets, p.write_rets, p.nwrite_rets * sizeof(uint64_t));
		close(fd);
		close(sfd);
	}
}

/* A Go program that links no crypto/tls: a Go binary, nothing to probe, no
 * complaint. A file that isn't Go at all: -ENOENT. */
static void test_goplan_no_tls(void **state)
{
	struct go_plan p;
	int fd = open_fixture("notls-stripped"), c = open("/bin/true", O_RDONLY);

	(void)state;
	assert_int_equal(goplan_make(fd, &p), 0);
	assert_memory_equal(p.bin.version, "go1.", 4);
	assert_false(p.uses_tls);
	assert_string_equal(p.why, "");
	assert_true(c >= 0);
	assert_int_equal(goplan_make(c, &p), -ENOENT);
	close(fd);
	close(c);
}

/* The same client, its build information rewritten to name Go 1.16 (the
 * last release that passed arguments on the stack): recognised as using
 * crypto/tls, not probed, with the reason. */
static void test_goplan_before_register_abi(void **state)
{
	int fd = open_fixture("tlsclient-stripped"), out;
	char path[] = "/tmp/sealtap-goplan-XXXXXX";
	struct go_plan p, orig;
	struct stat st;
	uint8_t *img, *v;

	(void)state;
	assert_int_equal(goplan_make(fd, &orig), 0);
	assert_int_equal(fstat(fd, &st), 0);
	img = malloc((size_t)st.st_size);
	assert_non_null(img);
	assert_int_equal(pread(fd, img, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	/* The build information's own copy, not the runtime's. */
	v = memmem(img, (size_t)st.st_size, "\xff Go buildinf:", 14);
	assert_non_null(v);
	v = memmem(v, (size_t)st.st_size - (size_t)(v - img), orig.bin.version, strlen(orig.bin.version));
	assert_non_null(v);
	memcpy(v, "go1.16", 6); /* "go1.19.8" -> "go1.16.8": same length */
	out = mkstemp(path);
	assert_true(out >= 0);
	assert_int_equal(write(out, img, (size_t)st.st_size), st.st_size);
	assert_int_equal(goplan_make(out, &p), 0);
	assert_int_equal(p.bin.minor, 16);
	assert_true(p.uses_tls);
	assert_false(p.bin.regabi);
	assert_non_null(strstr(p.why, "passes arguments on the stack"));
	assert_int_equal(p.nwrite_rets + p.nread_rets, 0);
	close(out);
	unlink(path);
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_goplan_probe_able),
		cmocka_unit_test(test_goplan_no_tls),
		cmocka_unit_test(test_goplan_before_register_abi),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
