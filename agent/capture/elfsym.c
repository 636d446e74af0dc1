// SPDX-License-Identifier: Apache-2.0
#include "elfsym.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>

uint64_t elfsym_vaddr_to_offset(Elf *elf, uint64_t vaddr)
{
	size_t nph = 0;

	if (elf_getphdrnum(elf, &nph))
		return 0;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_memsz)
			return vaddr - ph.p_vaddr + ph.p_offset;
	}
	return 0;
}

/* Compares a symbol name to a wanted base name, ignoring an @version suffix. */
static int name_matches(const char *sym, const char *want)
{
	size_t n = strlen(want);

	return strncmp(sym, want, n) == 0 && (sym[n] == '\0' || sym[n] == '@');
}

static int scan_section(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, const char *const *names,
			size_t n, uint64_t *offsets)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t count, found = 0;

	if (!data || sh->sh_entsize == 0)
		return 0;
	count = sh->sh_size / sh->sh_entsize;
	for (size_t i = 0; i < count; i++) {
		GElf_Sym sym;
		const char *name;

		if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx == SHN_UNDEF || sym.st_value == 0)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name)
			continue;
		for (size_t k = 0; k < n; k++) {
			if (offsets[k] || !name_matches(name, names[k]))
				continue;
			offsets[k] = elfsym_vaddr_to_offset(elf, sym.st_value);
			if (offsets[k])
				found++;
		}
	}
	return (int)found;
}

int elfsym_find(int fd, const char *const *names, size_t n, uint64_t *offsets)
{
	Elf *elf;
	Elf_Scn *scn = NULL;
	int found = 0;

	memset(offsets, 0, n * sizeof(*offsets));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return -ENOEXEC;
	if (elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		return -ENOEXEC;
	}
	/* .dynsym first: it is what the dynamic linker resolves, and it is all
	 * a stripped binary keeps. .symtab adds local copies in unstripped ones. */
	for (int pass = 0; pass < 2; pass++) {
		scn = NULL;
		while ((scn = elf_nextscn(elf, scn)) != NULL) {
			GElf_Shdr sh;

			if (!gelf_getshdr(scn, &sh))
				continue;
			if (sh.sh_type == (pass == 0 ? SHT_DYNSYM : SHT_SYMTAB))
				found += scan_section(elf, scn, &sh, names, n, offsets);
		}
	}
	elf_end(elf);
	return found;
}
