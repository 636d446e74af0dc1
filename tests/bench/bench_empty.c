// SPDX-License-Identifier: Apache-2.0
/*
 * bench-empty - attaches do-nothing programs (bpf/bench_empty.bpf.c) to
 * libssl's SSL_write and SSL_read in one process: the floor sealtap's probes
 * are compared with.
 *
 * usage: bench-empty PID LIBSSL entry|entry+return
 *        bench-empty syscalls enter|exit|enter+exit
 * The second form attaches do-nothing programs to the system-call
 * tracepoints instead (every process pays them): the floor of plain-socket
 * capture. Prints "attached N" and holds the programs until stdin closes.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bench_empty.skel.h"
#include "elfsym.h"

static void hold_until_stdin_closes(int attached)
{
	char line[16];

	printf("attached %d\n", attached);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
}

static int hold_syscall_programs(const char *which)
{
	int enter = strstr(which, "enter") != NULL, exit_ = strstr(which, "exit") != NULL;
	int sock = strcmp(which, "sock") == 0;
	struct bench_empty_bpf *skel = bench_empty_bpf__open();
	int n = 0;

	if (!skel)
		return fprintf(stderr, "cannot open the empty programs\n"), 2;
	bpf_program__set_autoload(skel->progs.empty_enter, false);
	bpf_program__set_autoload(skel->progs.empty_return, false);
	bpf_program__set_autoload(skel->progs.empty_sys_enter, enter);
	bpf_program__set_autoload(skel->progs.empty_sys_exit, exit_);
	bpf_program__set_autoload(skel->progs.empty_sock_send, sock);
	bpf_program__set_autoload(skel->progs.empty_sock_recv, sock);
	if (bench_empty_bpf__load(skel))
		return fprintf(stderr, "cannot load the empty programs\n"), 2;
	if (enter)
		n += bpf_program__attach(skel->progs.empty_sys_enter) != NULL;
	if (exit_)
		n += bpf_program__attach(skel->progs.empty_sys_exit) != NULL;
	if (sock) {
		n += bpf_program__attach(skel->progs.empty_sock_send) != NULL;
		n += bpf_program__attach(skel->progs.empty_sock_recv) != NULL;
	}
	hold_until_stdin_closes(n);
	bench_empty_bpf__destroy(skel);
	return 0;
}

int main(int argc, char **argv)
{
	const char *names[] = { "SSL_write", "SSL_read" };
	struct bench_empty_bpf *skel;
	uint64_t off[2];
	int fd, n = 0, with_return;

	if (argc == 3 && strcmp(argv[1], "syscalls") == 0)
		return hold_syscall_programs(argv[2]);
	if (argc != 4)
		return fprintf(stderr, "usage: bench-empty PID LIBSSL entry|entry+return\n"
				       "       bench-empty syscalls enter|exit|enter+exit\n"), 2;
	with_return = strcmp(argv[3], "entry+return") == 0;
	fd = open(argv[2], O_RDONLY);
	if (fd < 0 || elfsym_find(fd, names, 2, off) != 2)
		return fprintf(stderr, "no SSL_write/SSL_read in %s\n", argv[2]), 2;
	skel = bench_empty_bpf__open();
	if (skel) {
		bpf_program__set_autoload(skel->progs.empty_sys_enter, false);
		bpf_program__set_autoload(skel->progs.empty_sys_exit, false);
		bpf_program__set_autoload(skel->progs.empty_sock_send, false);
		bpf_program__set_autoload(skel->progs.empty_sock_recv, false);
	}
	if (!skel || bench_empty_bpf__load(skel))
		return fprintf(stderr, "cannot load the empty programs\n"), 2;
	for (int i = 0; i < 2; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, entry);
		LIBBPF_OPTS(bpf_uprobe_opts, ret, .retprobe = true);

		n += bpf_program__attach_uprobe_opts(skel->progs.empty_enter, atoi(argv[1]), argv[2],
						     (size_t)off[i], &entry) != NULL;
		if (with_return)
			n += bpf_program__attach_uprobe_opts(skel->progs.empty_return, atoi(argv[1]),
							     argv[2], (size_t)off[i], &ret) != NULL;
	}
	hold_until_stdin_closes(n);
	bench_empty_bpf__destroy(skel);
	close(fd);
	return 0;
}
