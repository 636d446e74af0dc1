/* SPDX-License-Identifier: Apache-2.0 */
/*
 * goret - where a Go function returns, and where its body begins, found
 * by disassembling it with Capstone (x86-64). A Go function can't be given
 * a uretprobe (the runtime moves and copies goroutine stacks, and a
 * hijacked return address breaks that), so its return is caught by a
 * uprobe on each of its return instructions instead. Its first instruction
 * runs twice when the goroutine's stack must grow first (the prologue calls
 * morestack and jumps back to it); the instruction after the prologue's
 * check runs once per call.
 */
#ifndef SEALTAP_GORET_H
#define SEALTAP_GORET_H

#include <stddef.h>
#include <stdint.h>

#define GORET_MAX_FUNC (1u << 20) /* bytes of one function read at most */

/* Disassembles the size bytes at file offset off of the file open as fd
 * (one function: its entry and size from gosym) and writes the offsets of
 * its RET instructions to rets (up to cap). Returns how many there are (it
 * may exceed cap: then only cap were written), or a negative errno: -EIO
 * when the bytes can't be read, -E2BIG past GORET_MAX_FUNC, -ENOEXEC when
 * an instruction can't be decoded (the function is then not probed: a
 * missed return would leave its calls unpaired). */
int goret_find(int fd, uint64_t off, uint64_t size, uint64_t *rets, size_t cap);

/* The file offset of the first instruction after the function's stack
 * check (the prologue compares the stack pointer, or a register computed
 * from it, against the goroutine's stack guard at [r14+16] and branches to
 * morestack), or off itself when the function has no check (NOSPLIT): where
 * a probe runs once per call, with the arguments still in their registers.
 * Returns 0, or -EIO / -ENOEXEC as goret_find. */
int goret_body(int fd, uint64_t off, uint64_t size, uint64_t *body);

#endif
