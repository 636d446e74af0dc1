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
