// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * bench_empty.bpf.c - the floor for the probe-cost benchmark: programs that
 * do nothing, attached where sealtap's are, so the benchmark can state
 * sealtap's cost as a ratio to the cost of the trap itself, in the same run.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("uprobe")
int BPF_KPROBE(empty_enter)
{
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(empty_return)
{
	return 0;
}

/* The floor of plain-socket capture: do-nothing programs on the system-call
 * tracepoints, which run for every system call of every process. */
SEC("tp_btf/sys_enter")
int BPF_PROG(empty_sys_enter, struct pt_regs *regs, long nr)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(empty_sys_exit, struct pt_regs *regs, long ret)
{
	return 0;
}

/* ... and on the socket layer's send and receive tracepoints, which run only
 * for socket data calls. */
SEC("tp_btf/sock_send_length")
int BPF_PROG(empty_sock_send, struct sock *sk, int ret, int flags)
{
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(empty_sock_recv, struct sock *sk, int ret, int flags)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	return regs->orig_ax == 12345;
}
