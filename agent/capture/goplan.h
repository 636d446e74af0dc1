/* SPDX-License-Identifier: Apache-2.0 */
/*
 * goplan - where to probe a Go binary's crypto/tls, or why it can't be:
 * the entries of (*Conn).Write, (*Conn).Read and (*Conn).Close (from Go's
 * function table, gosym: stripped binaries too) and every return
 * instruction of Write and Read (goret), for a binary built with the
 * register ABI (Go 1.17 and later, amd64), whose argument registers the
 * probes read. Anything else is a binary that uses crypto/tls and is not
 * watched, with the reason in words for the operator and the auditor.
 */
#ifndef SEALTAP_GOPLAN_H
#define SEALTAP_GOPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gosym.h"

/* Return instructions probed per function at most: the Go compiler emits
 * one per return path, a handful in these functions; more means code this
 * was not built for, and it is not probed rather than half probed. */
#define GOPLAN_RETS_MAX 32

struct go_plan {
	struct go_binary bin;
	bool uses_tls;      /* crypto/tls.(*Conn).Write and Read are in it */
	uint64_t write_off; /* their entries' file offsets */
	uint64_t read_off;
	uint64_t close_off; /* 0 when the linker left Close out */
	uint64_t write_body; /* past their stack checks: where a call is seen once (goret_body) */
	uint64_t read_body;
	uint64_t write_rets[GOPLAN_RETS_MAX];
	uint64_t read_rets[GOPLAN_RETS_MAX];
	size_t nwrite_rets, nread_rets;
	char why[128]; /* uses_tls but not probe-able: the reason ("" when it is) */
};

/* Plans the probes of the ELF file open as fd. Returns 0 for a Go binary
 * (uses_tls says whether it has anything to probe, why whether it can be),
 * -ENOENT when the file is not a Go binary, -ENOEXEC when it is not ELF. */
int goplan_make(int fd, struct go_plan *p);

#endif
