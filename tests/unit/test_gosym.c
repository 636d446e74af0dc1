// SPDX-License-Identifier: Apache-2.0
/* gosym against real Go binaries (tests/go/tlsclient, built by make with
 * Debian's golang-go), with symbols and stripped, and against files that are
 * not Go or not Go's table. */
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

#include "elfsym.h"
#include "goret.h"
#include "gosym.h"

static const char *const names[] = { "crypto/tls.(*Conn).Write", "crypto/tls.(*Conn).Read", "no.such.func" };

static void test_gosym_version_from_build_info(void **state)
{
	struct go_binary g;
	int fd = open_fixture("tlsclient-stripped");

	(void)state;
	assert_int_equal(gosym_inspect(fd, &g), 0);
	assert_memory_equal(g.version, "go1.", 4);
	assert_true(g.minor >= 17); /* Debian 12's toolchain is 1.19 */
	assert_true(g.regabi);
	close(fd);
}

/* The function table gives what the symbol table gives, and still does
 * when the binary is stripped. */
static void test_gosym_finds_tls_functions_stripped_or_not(void **state)
{
	uint64_t off[3], size[3], soff[3], ssize[3], sym[3];
	int fd = open_fixture("tlsclient"), sfd = open_fixture("tlsclient-stripped");

	(void)state;
	assert_int_equal(gosym_find(fd, names, 3, off, size), 2);
	assert_int_equal(elfsym_find(fd, names, 3, sym), 2);
	assert_true(off[0] && off[1] && !off[2]);
	assert_true(off[0] == sym[0] && off[1] == sym[1]);
	assert_true(size[0] > 16 && size[0] < 65536 && size[1] > 16 && size[1] < 65536);
	assert_int_equal(elfsym_find(sfd, names, 3, sym), 0); /* stripped: no symbols at all */
	assert_int_equal(gosym_find(sfd, names, 3, soff, ssize), 2);
	/* Same code, same layout: a stripped build moves nothing in .text. */
	assert_true(soff[0] == off[0] && soff[1] == off[1] && ssize[0] == size[0] && ssize[1] == size[1]);
	close(fd);
	close(sfd);
}

static void test_gosym_not_go(void **state)
{
	struct go_binary g;
	uint64_t off[3], size[3];
	int fd = open("/bin/true", O_RDONLY), txt;
	char path[] = "/tmp/sealtap-gosym-XXXXXX";

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(gosym_inspect(fd, &g), -ENOENT);
	assert_int_equal(gosym_find(fd, names, 3, off, size), -ENOENT);
	close(fd);
	txt = mkstemp(path);
	assert_true(txt >= 0);
	assert_int_equal(write(txt, "not an ELF file\n", 16), 16);
	assert_int_equal(gosym_inspect(txt, &g), -ENOEXEC);
	assert_int_equal(gosym_find(txt, names, 3, off, size), -ENOEXEC);
	close(txt);
	unlink(path);
}

/* A copy of the binary with its function table's header damaged a byte at
 * a time: every answer is an error or a find within the file, never a crash
 * (ASan in the SAN build) or a function outside it. */
static void test_gosym_damaged_table(void **state)
{
	int fd = open_fixture("tlsclient-stripped");
	struct stat st;
	uint8_t *img;
	uint64_t off[3], size[3], good[3], gsize[3];
	char path[] = "/tmp/sealtap-gosym-XXXXXX";
	uint8_t *hdr;
	int out;

	(void)state;
	assert_int_equal(fstat(fd, &st), 0);
	img = malloc((size_t)st.st_size);
	assert_non_null(img);
	assert_int_equal(pread(fd, img, (size_t)st.st_size, 0), st.st_size);
	assert_int_equal(gosym_find(fd, names, 3, good, gsize), 2);
	close(fd);
	hdr = memmem(img, (size_t)st.st_size, "\xf0\xff\xff\xff\x00\x00", 6); /* the 1.18/1.19 pcHeader */
	if (!hdr)
		hdr = memmem(img, (size_t)st.st_size, "\xf1\xff\xff\xff\x00\x00", 6);
	assert_non_null(hdr);
	for (int i = 0; i < 72; i++) {
		uint8_t saved = hdr[i];

		hdr[i] ^= 0xa5;
		out = mkstemp(path);
		assert_true(out >= 0);
		assert_int_equal(write(out, img, (size_t)st.st_size), st.st_size);
		int r = gosym_find(out, names, 3, off, size);

		assert_true(r <= 2);
		for (int k = 0; r > 0 && k < 3; k++)
			assert_true(off[k] + size[k] <= (uint64_t)st.st_size);
		close(out);
		unlink(path);
		memcpy(path + strlen(path) - 6, "XXXXXX", 6);
		hdr[i] = saved;
	}
	free(img);
}

/* A prologue with its stack check (cmp against [r14+0x10], jbe to
 * morestack): the body begins after the branch; without one, at the entry. */
static void test_goret_body(void **state)
{
	static const uint8_t checked[] = { 0x4c, 0x8d, 0x64, 0x24, 0x98, /* lea r12, [rsp-0x68] */
					   0x4d, 0x3b, 0x66, 0x10,       /* cmp r12, [r14+0x10] */
					   0x0f, 0x86, 0x64, 0x07, 0x00, 0x00, /* jbe +0x764 */
					   0x48, 0x81, 0xec, 0xe8, 0x00, 0x00, 0x00, /* sub rsp, 0xe8 */
					   0xc3 };
	static const uint8_t nosplit[] = { 0x48, 0x89, 0xd8, 0xc3 }; /* mov rax, rbx; ret */
	char path[] = "/tmp/sealtap-gobody-XXXXXX";
	int fd = mkstemp(path);
	uint64_t body;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, checked, sizeof(checked), 100), (ssize_t)sizeof(checked));
	assert_int_equal(pwrite(fd, nosplit, sizeof(nosplit), 200), (ssize_t)sizeof(nosplit));
	assert_int_equal(goret_body(fd, 100, sizeof(checked), &body), 0);
	assert_int_equal(body, 100 + 15);
	assert_int_equal(goret_body(fd, 200, sizeof(nosplit), &body), 0);
	assert_int_equal(body, 200);
	assert_int_equal(goret_body(fd, (uint64_t)1 << 40, 16, &body), -EIO);
	close(fd);
	unlink(path);
}

/* Where Write and Read return (goret over gosym's ranges): RET
 * instructions inside the function, at instruction boundaries Capstone
 * found, the same in the stripped build. */
static void test_gosym_return_sites(void **state)
{
	uint64_t off[3], size[3], rets[64], srets[64];
	int fd = open_fixture("tlsclient"), sfd = open_fixture("tlsclient-stripped");

	(void)state;
	assert_int_equal(gosym_find(fd, names, 3, off, size), 2);
	for (int k = 0; k < 2; k++) {
		int n = goret_find(fd, off[k], size[k], rets, 64), m = goret_find(sfd, off[k], size[k], srets, 64);

		assert_true(n >= 1 && n <= 64);
		assert_int_equal(m, n);
		assert_memory_equal(rets, srets, (size_t)n * sizeof(*rets));
		for (int i = 0; i < n; i++) {
			uint8_t b;

			assert_true(rets[i] > off[k] && rets[i] < off[k] + size[k]);
			assert_int_equal(pread(fd, &b, 1, (off_t)rets[i]), 1);
			assert_int_equal(b, 0xc3); /* a near RET */
		}
		/* Only what fits is written; the count says how many there are. */
		assert_int_equal(goret_find(fd, off[k], size[k], rets, 0), n);
	}
	/* Not code: a read past the end, an empty range, and bytes that are
	 * no instruction in 64-bit mode (0x06, 0x27): never a guess past them. */
	assert_int_equal(goret_find(fd, (uint64_t)1 << 40, 16, rets, 64), -EIO);
	assert_int_equal(goret_find(fd, off[0], 0, rets, 64), -E2BIG);
	{
		char path[] = "/tmp/sealtap-goret-XXXXXX";
		int bad = mkstemp(path);

		assert_true(bad >= 0);
		assert_int_equal(write(bad, "\x90\x06\x27\xc3", 4), 4);
		assert_int_equal(goret_find(bad, 0, 4, rets, 64), -ENOEXEC);
		assert_int_equal(goret_body(bad, 0, 4, &rets[0]), -ENOEXEC);
		close(bad);
		unlink(path);
	}
	close(fd);
	close(sfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gosym_version_from_build_info),
		cmocka_unit_test(test_gosym_finds_tls_functions_stripped_or_not),
		cmocka_unit_test(test_gosym_not_go),
		cmocka_unit_test(test_gosym_damaged_table),
		cmocka_unit_test(test_gosym_return_sites),
		cmocka_unit_test(test_goret_body),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
