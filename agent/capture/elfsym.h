/* SPDX-License-Identifier: Apache-2.0 */
/*
 * elfsym - where a function lives in an ELF file, as the file offset a uprobe
 * is attached at. Reads .dynsym and .symtab (a stripped static binary still
 * exports through .dynsym) and translates the symbol's virtual address to a
 * file offset through the PT_LOAD segment that contains it.
 */
#ifndef SEALTAP_ELFSYM_H
#define SEALTAP_ELFSYM_H

#include <libelf.h>
#include <stddef.h>
#include <stdint.h>

/* Looks up each of names[0..n) in the ELF file open as fd. offsets[i] is set
 * to the file offset of names[i], or 0 when the file has no defined function
 * of that name. Versioned names ("SSL_write@@OPENSSL_3.0.0") match their base
 * name. Returns the number of names found, or a negative errno when the file
 * is not a readable ELF file. */
int elfsym_find(int fd, const char *const *names, size_t n, uint64_t *offsets);

/* A virtual address of an open ELF file as a file offset, through the
 * executable PT_LOAD segment that maps it; 0 when none does (then it can't
 * be probed). */
uint64_t elfsym_vaddr_to_offset(Elf *elf, uint64_t vaddr);

#endif
