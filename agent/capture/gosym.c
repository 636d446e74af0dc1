// SPDX-License-Identifier: Apache-2.0
#include "gosym.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfsym.h"

/* pcHeader magics (runtime/symtab.go): the table's layout by Go release. */
#define PCLN_GO116 0xfffffffau /* Go 1.16, 1.17 */
#define PCLN_GO118 0xfffffff0u /* Go 1.18, 1.19 */
#define PCLN_GO120 0xfffffff1u /* Go 1.20 and later */

static const char buildinfo_magic[] = "\xff Go buildinf:";

struct section {
	const uint8_t *p;
	size_t n;
	uint64_t addr;
};

static Elf *open_elf(int fd)
{
	Elf *elf;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		return NULL;
	}
	return elf;
}

static int find_section(Elf *elf, const char *want, struct section *out)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return -EINVAL;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)) || strcmp(name, want))
			continue;
		if (sh.sh_type == SHT_NOBITS || !(d = elf_getdata(scn, NULL)) || !d->d_buf)
			return -EINVAL;
		out->p = d->d_buf;
		out->n = d->d_size;
		out->addr = sh.sh_addr;
		return 0;
	}
	return -ENOENT;
}

/* n bytes at virtual address vaddr, from whichever section holds them. */
static const uint8_t *at_vaddr(Elf *elf, uint64_t vaddr, size_t n)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS || !sh.sh_addr || vaddr < sh.sh_addr ||
		    vaddr - sh.sh_addr > sh.sh_size || n > sh.sh_size - (vaddr - sh.sh_addr))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf || d->d_size < sh.sh_size)
			return NULL;
		return (const uint8_t *)d->d_buf + (vaddr - sh.sh_addr);
	}
	return NULL;
}

static uint64_t le(const uint8_t *p, int size)
{
	uint64_t v = 0;

	for (int i = size - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* An unsigned LEB128 varint at p (of n bytes): its value and length. */
static int uvarint(const uint8_t *p, size_t n, uint64_t *v)
{
	*v = 0;
	for (size_t i = 0; i < n && i < 10; i++) {
		*v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80))
			return (int)i + 1;
	}
	return -1;
}

static void set_version(struct go_binary *out, const uint8_t *s, size_t n)
{
	int minor = 0;

	if (n >= sizeof(out->version))
		n = sizeof(out->version) - 1;
	memcpy(out->version, s, n);
	out->version[n] = '\0';
	if (sscanf(out->version, "go1.%d", &minor) == 1 && minor > 0)
		out->minor = minor;
}

/* The build information's version string: inline since Go 1.18 (flag 2),
 * behind a pointer to runtime.buildVersion before. */
static int read_buildinfo(Elf *elf, struct go_binary *out)
{
	struct section bi;
	uint64_t len, ptr;
	const uint8_t *s;
	int ptrsize, flags, k;

	if (find_section(elf, ".go.buildinfo", &bi))
		return -ENOENT;
	if (bi.n < 32 || memcmp(bi.p, buildinfo_magic, sizeof(buildinfo_magic) - 1))
		return -EINVAL;
	ptrsize = bi.p[14];
	flags = bi.p[15];
	if (ptrsize != 4 && ptrsize != 8)
		return -EINVAL;
	if (flags & 2) {
		k = uvarint(bi.p + 32, bi.n - 32, &len);
		if (k < 0 || len > bi.n - 32 - (size_t)k)
			return -EINVAL;
		set_version(out, bi.p + 32 + k, len);
		return 0;
	}
	if (flags & 1) /* big-endian: not a target here */
		return -EINVAL;
	/* A pointer to a string header {data, len}. */
	s = at_vaddr(elf, le(bi.p + 16, ptrsize), 2 * (size_t)ptrsize);
	if (!s)
		return -EINVAL;
	ptr = le(s, ptrsize);
	len = le(s + ptrsize, ptrsize);
	if (len == 0 || len > 64 || !(s = at_vaddr(elf, ptr, len)))
		return -EINVAL;
	set_version(out, s, len);
	return 0;
}

/* The pcHeader's magic: which Go release wrote the function table. */
static uint32_t pcln_magic(const struct section *t)
{
	return t->n >= 8 ? (uint32_t)le(t->p, 4) : 0;
}

int gosym_inspect(int fd, struct go_binary *out)
{
	Elf *elf = open_elf(fd);
	struct section t;
	int err, has_table;
	uint32_t magic;

	memset(out, 0, sizeof(*out));
	if (!elf)
		return -ENOEXEC;
	has_table = find_section(elf, ".gopclntab", &t) == 0;
	err = read_buildinfo(elf, out);
	if (err == -ENOENT && !has_table) {
		elf_end(elf);
		return -ENOENT;
	}
	/* Without readable build information the table's format still tells
	 * the release range. */
	magic = has_table ? pcln_magic(&t) : 0;
	if (!out->minor)
		out->minor = magic == PCLN_GO120 ? 20 : magic == PCLN_GO118 ? 18 : magic == PCLN_GO116 ? 16 : 0;
	elf_end(elf);
	/* amd64's register ABI came with Go 1.17; 1.16's table format (also
	 * 1.17's) can't tell them apart, so only the version string can. */
	out->regabi = out->minor >= 18 || (out->minor == 17 && out->version[0]);
	return err == -EINVAL && !has_table ? -EINVAL : 0;
}

/* The table, as the pcHeader lays it out. */
struct pcln {
	const uint8_t *p;
	size_t n;
	int ptr;            /* pointer size */
	bool go118;         /* functab entries are 32-bit offsets from text */
	uint64_t nfunc;
	uint64_t text;      /* 1.18+: entry offsets are from here */
	uint64_t funcnames; /* offsets of the name table and the function table */
	uint64_t functab;
};

static int parse_header(const struct section *t, Elf *elf, struct pcln *c)
{
	uint32_t magic = pcln_magic(t);
	size_t words;
	const uint8_t *w;

	memset(c, 0, sizeof(*c));
	c->p = t->p;
	c->n = t->n;
	if (magic != PCLN_GO116 && magic != PCLN_GO118 && magic != PCLN_GO120)
		return -EINVAL;
	c->go118 = magic != PCLN_GO116;
	c->ptr = t->p[7];
	if ((c->ptr != 4 && c->ptr != 8) || t->p[4] || t->p[5])
		return -EINVAL;
	/* nfunc, nfiles, [textStart,] funcnameOffset, cuOffset, filetabOffset, pctabOffset, pclnOffset */
	words = c->go118 ? 8 : 7;
	if (t->n < 8 + words * (size_t)c->ptr)
		return -EINVAL;
	w = t->p + 8;
	c->nfunc = le(w, c->ptr);
	if (c->go118) {
		c->text = le(w + 2 * c->ptr, c->ptr);
		w += c->ptr;
	}
	c->funcnames = le(w + 2 * c->ptr, c->ptr);
	c->functab = le(w + 6 * c->ptr, c->ptr);
	if (c->go118 && !c->text) {
		/* A position-independent binary leaves textStart to a relocation:
		 * runtime.text is where .text begins. */
		struct section text;

		if (find_section(elf, ".text", &text))
			return -EINVAL;
		c->text = text.addr;
	}
	if (c->funcnames >= c->n || c->functab >= c->n || c->nfunc == 0 || c->nfunc > (c->n - c->functab) / 8)
		return -EINVAL;
	return 0;
}

/* Entry i of the function table: its function's entry address and the
 * offset of its _func record. */
static int functab_entry(const struct pcln *c, uint64_t i, uint64_t *entry, uint64_t *funcoff)
{
	size_t esz = c->go118 ? 4 : (size_t)c->ptr;
	uint64_t at = c->functab + i * 2 * esz;

	if (i > c->nfunc || at + 2 * esz > c->n)
		return -EINVAL;
	*entry = le(c->p + at, (int)esz) + (c->go118 ? c->text : 0);
	*funcoff = le(c->p + at + esz, (int)esz);
	return 0;
}

/* The name of the function whose _func record is at funcoff (from the
 * function table's start), NUL-terminated inside the table, or NULL. */
static const char *func_name(const struct pcln *c, uint64_t funcoff)
{
	uint64_t rec = c->functab + funcoff, nameoff, at;
	size_t skip = c->go118 ? 4 : (size_t)c->ptr; /* entryOff, or entry */

	if (rec + skip + 4 > c->n)
		return NULL;
	nameoff = le(c->p + rec + skip, 4);
	at = c->funcnames + nameoff;
	if (at >= c->n || !memchr(c->p + at, '\0', c->n - at))
		return NULL;
	return (const char *)c->p + at;
}

int gosym_find(int fd, const char *const *names, size_t n, uint64_t *offsets, uint64_t *sizes)
{
	Elf *elf = open_elf(fd);
	struct section t;
	struct pcln c;
	int err, found = 0;

	memset(offsets, 0, n * sizeof(*offsets));
	memset(sizes, 0, n * sizeof(*sizes));
	if (!elf)
		return -ENOEXEC;
	err = find_section(elf, ".gopclntab", &t);
	if (!err)
		err = parse_header(&t, elf, &c);
	for (uint64_t i = 0; !err && i < c.nfunc && found < (int)n; i++) {
		uint64_t entry, funcoff, next, unused;
		const char *name;

		if (functab_entry(&c, i, &entry, &funcoff) || functab_entry(&c, i + 1, &next, &unused) ||
		    next <= entry) {
			err = -EINVAL;
			break;
		}
		if (!(name = func_name(&c, funcoff)))
			continue;
		for (size_t k = 0; k < n; k++) {
			if (offsets[k] || strcmp(name, names[k]))
				continue;
			offsets[k] = elfsym_vaddr_to_offset(elf, entry);
			sizes[k] = offsets[k] ? next - entry : 0;
			found += offsets[k] != 0;
		}
	}
	elf_end(elf);
	return err ? err : found;
}
