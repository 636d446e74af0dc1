// SPDX-License-Identifier: Apache-2.0
/*
 * bench-empty - attaches do-nothing programs (bpf/bench_empty.bpf.c) to
 * libssl's SSL_write and SSL_read in one process: the floor sealtap's probes
 * are compared with.
 *
 * usage: bench-empty PID LIBSSL entry|entry+return|agent
 *        bench-empty go PID BINARY
 *        bench-empty syscalls enter|exit|enter+exit
 * The second form attaches do-nothing programs to the system-call
 * tracepoints instead (every process pays them): the floor of plain-socket
 * capture. The go form puts them where sealtap's Go probes go: where
 * crypto/tls.(*Conn).Write and Read begin and on each of their return
 * instructions (goplan). The agent form puts them at exactly the points
 * the agent uses for that process (attach.c): entry and return of every
 * SSL_write/SSL_read variant the library has, entry of SSL_set_fd,
 * SSL_set_rfd, SSL_set_wfd and SSL_free, and the socket tracepoints of
 * plain capture: the floor of the agent on a real server. Prints
 * "attached N" and holds the programs until stdin closes.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bench_empty.skel.h"
#include "elfsym.h"
#include "goplan.h"

static void hold_until_stdin_closes(int attached)
{
	char line[16];

	printf("attached %d\n", attached);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
}

/* The empty programs loaded: those flagged in want (EMPTY_*), the others
 * left out. NULL when they can't be. */
enum { EMPTY_ENTER = 1, EMPTY_RETURN = 2, EMPTY_SYS_ENTER = 4, EMPTY_SYS_EXIT = 8, EMPTY_SOCK = 16 };

static struct bench_empty_bpf *load_empty(unsigned want)
{
	struct bench_empty_bpf *skel = bench_empty_bpf__open();

	if (!skel)
		return NULL;
	bpf_program__set_autoload(skel->progs.empty_enter, want & EMPTY_ENTER);
	bpf_program__set_autoload(skel->progs.empty_return, want & EMPTY_RETURN);
	bpf_program__set_autoload(skel->progs.empty_sys_enter, want & EMPTY_SYS_ENTER);
	bpf_program__set_autoload(skel->progs.empty_sys_exit, want & EMPTY_SYS_EXIT);
	bpf_program__set_autoload(skel->progs.empty_sock_send, want & EMPTY_SOCK);
	bpf_program__set_autoload(skel->progs.empty_sock_recv, want & EMPTY_SOCK);
	if (bench_empty_bpf__load(skel)) {
		bench_empty_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

static int hold_syscall_programs(const char *which)
{
	int enter = strstr(which, "enter") != NULL, exit_ = strstr(which, "exit") != NULL;
	int sock = strcmp(which, "sock") == 0;
	struct bench_empty_bpf *skel = load_empty((enter ? EMPTY_SYS_ENTER : 0) | (exit_ ? EMPTY_SYS_EXIT : 0) |
						  (sock ? EMPTY_SOCK : 0));
	int n = 0;

	if (!skel)
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

static int hold_go_programs(int pid, const char *binary)
{
	struct bench_empty_bpf *skel;
	struct go_plan g;
	uint64_t at[2 + 2 * GOPLAN_RETS_MAX];
	size_t nat = 0;
	int fd = open(binary, O_RDONLY), n = 0;

	if (fd < 0 || goplan_make(fd, &g) || !g.uses_tls || g.why[0])
		return fprintf(stderr, "no probe-able crypto/tls in %s\n", binary), 2;
	at[nat++] = g.write_body;
	at[nat++] = g.read_body;
	for (size_t i = 0; i < g.nwrite_rets; i++)
		at[nat++] = g.write_rets[i];
	for (size_t i = 0; i < g.nread_rets; i++)
		at[nat++] = g.read_rets[i];
	if (!(skel = load_empty(EMPTY_ENTER)))
		return fprintf(stderr, "cannot load the empty programs\n"), 2;
	for (size_t i = 0; i < nat; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, entry);

		n += bpf_program__attach_uprobe_opts(skel->progs.empty_enter, pid, binary, (size_t)at[i], &entry) != NULL;
	}
	hold_until_stdin_closes(n);
	bench_empty_bpf__destroy(skel);
	close(fd);
	return 0;
}

/* What the agent attaches for one process's libssl (attach.c's symbols). */
static int hold_agent_points(int pid, const char *lib)
{
	static const char *const io[] = { "SSL_write", "SSL_write_ex", "SSL_write_ex2", "SSL_read", "SSL_read_ex" };
	static const char *const entry_only[] = { "SSL_set_fd", "SSL_set_rfd", "SSL_set_wfd", "SSL_free" };
	struct bench_empty_bpf *skel;
	int fd = open(lib, O_RDONLY), n = 0;

	if (fd < 0)
		return fprintf(stderr, "cannot open %s\n", lib), 2;
	if (!(skel = load_empty(EMPTY_ENTER | EMPTY_RETURN | EMPTY_SOCK)))
		return fprintf(stderr, "cannot load the empty programs\n"), 2;
	for (size_t i = 0; i < sizeof(io) / sizeof(io[0]) + sizeof(entry_only) / sizeof(entry_only[0]); i++) {
		bool is_io = i < sizeof(io) / sizeof(io[0]);
		const char *name = is_io ? io[i] : entry_only[i - sizeof(io) / sizeof(io[0])];
		uint64_t off;
		LIBBPF_OPTS(bpf_uprobe_opts, entry);
		LIBBPF_OPTS(bpf_uprobe_opts, ret, .retprobe = true);

		if (elfsym_find(fd, &name, 1, &off) != 1)
			continue; /* this version has no such function: the agent skips it too */
		n += bpf_program__attach_uprobe_opts(skel->progs.empty_enter, pid, lib, (size_t)off, &entry) != NULL;
		if (is_io)
			n += bpf_program__attach_uprobe_opts(skel->progs.empty_return, pid, lib, (size_t)off, &ret) != NULL;
	}
	n += bpf_program__attach(skel->progs.empty_sock_send) != NULL;
	n += bpf_program__attach(skel->progs.empty_sock_recv) != NULL;
	hold_until_stdin_closes(n);
	bench_empty_bpf__destroy(skel);
	close(fd);
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
	if (argc == 4 && strcmp(argv[1], "go") == 0)
		return hold_go_programs(atoi(argv[2]), argv[3]);
	if (argc != 4)
		return fprintf(stderr, "usage: bench-empty PID LIBSSL entry|entry+return|agent\n"
				       "       bench-empty go PID BINARY\n"
				       "       bench-empty syscalls enter|exit|enter+exit\n"), 2;
	if (strcmp(argv[3], "agent") == 0)
		return hold_agent_points(atoi(argv[1]), argv[2]);
	with_return = strcmp(argv[3], "entry+return") == 0;
	fd = open(argv[2], O_RDONLY);
	if (fd < 0 || elfsym_find(fd, names, 2, off) != 2)
		return fprintf(stderr, "no SSL_write/SSL_read in %s\n", argv[2]), 2;
	if (!(skel = load_empty(EMPTY_ENTER | EMPTY_RETURN)))
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
