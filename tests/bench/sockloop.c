// SPDX-License-Identifier: Apache-2.0
/*
 * sockloop: what system-call tracing costs a process the agent does not
 * watch. N iterations of a 1 KiB write + read on a Unix socketpair, then N
 * getppid calls (a null system call); prints ns per iteration of each. Run
 * it with and without the agent in the same session and compare
 * (docs/perf/2026-12-03-plain-sockets.md).
 *
 * usage: sockloop N
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char buf[1024] = { 0 };
	long n = argc > 1 ? atol(argv[1]) : 300000;
	double t0, pair;
	int sv[2];

	if (n <= 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return fprintf(stderr, "usage: sockloop N\n"), 2;
	t0 = now_s();
	for (long i = 0; i < n; i++)
		if (write(sv[0], buf, sizeof(buf)) != sizeof(buf) || read(sv[1], buf, sizeof(buf)) != sizeof(buf))
			return perror("socketpair"), 1;
	pair = (now_s() - t0) / (double)n * 1e9;
	t0 = now_s();
	for (long i = 0; i < n; i++)
		getppid();
	printf("socketpair 1KiB write+read %.0f ns/iter; getppid %.0f ns\n", pair, (now_s() - t0) / (double)n * 1e9);
	return 0;
}
