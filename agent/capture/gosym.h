/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gosym - what a Go binary is: the toolchain that built it (its build
 * information, .go.buildinfo) and where its functions start and end, from
 * Go's own function table (.gopclntab). Both survive stripping
 * (-ldflags "-s -w"), which removes the ELF symbol table a uprobe would
 * otherwise be placed by.
 *
 * Every offset read from the file is checked against the section it points
 * into: a damaged or hostile binary gives -EINVAL, never a read out of
 * bounds.
 */
#ifndef SEALTAP_GOSYM_H
#define SEALTAP_GOSYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct go_binary {
	char version[32]; /* "go1.19.8", or "" when the build information could not be read */
	int minor;        /* 19 for go1.19.8; 0 when unknown */
	bool regabi;      /* arguments in registers (amd64, Go 1.17 and later) */
};

/* Whether the ELF file open as fd is a Go binary, and which. Returns 0,
 * -ENOENT when it is not a Go binary, -ENOEXEC when it is not ELF, or
 * -EINVAL when its build information is malformed. */
int gosym_inspect(int fd, struct go_binary *out);

/* Looks up each of names[0..n) ("crypto/tls.(*Conn).Write") in Go's function
 * table: offsets[i] is the file offset of its first instruction (what a
 * uprobe attaches at) and sizes[i] its length in bytes, or both 0 when the
 * binary has no such function. Returns the number found, -ENOENT when the
 * file has no Go function table, -ENOEXEC when it is not ELF, -EINVAL when
 * the table is malformed or of a format this does not know (before Go 1.16). */
int gosym_find(int fd, const char *const *names, size_t n, uint64_t *offsets, uint64_t *sizes);

#endif
