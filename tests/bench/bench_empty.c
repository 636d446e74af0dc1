// SPDX-License-Identifier: Apache-2.0
/*
 * bench-empty - attaches do-nothing programs (bpf/bench_empty.bpf.c) to
 * libssl's SSL_write and SSL_read in one process: the floor sealtap's probes
 * are compared with.
 *
 * usage: bench-empty PID LIBSSL entry|entry+return
 * Prints "attached N" and holds the probes until stdin closes.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bench_empty.skel.h"
#include "elfsym.h"

int main(int argc, char **argv)
{
	const char *names[] = { "SSL_write", "SSL_read" };
	struct bench_empty_bpf *skel;
	uint64_t off[2];
	int fd, n = 0, with_return;
	char line[16];

	if (argc != 4)
		return fprintf(stderr, "usage: bench-empty PID LIBSSL entry|entry+return\n"), 2;
	with_return = strcmp(argv[3], "entry+return") == 0;
	fd = open(argv[2], O_RDONLY);
	if (fd < 0 || elfsym_find(fd, names, 2, off) != 2)
		return fprintf(stderr, "no SSL_write/SSL_read in %s\n", argv[2]), 2;
	skel = bench_empty_bpf__open_and_load();
	if (!skel)
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
	printf("attached %d\n", n);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	bench_empty_bpf__destroy(skel);
	close(fd);
	return 0;
}
