// SPDX-License-Identifier: Apache-2.0
#include "goret.h"

#include <capstone/capstone.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int goret_find(int fd, uint64_t off, uint64_t size, uint64_t *rets, size_t cap)
{
	uint8_t *code;
	const uint8_t *p;
	size_t left;
	uint64_t addr;
	csh cs;
	cs_insn *insn;
	int n = 0, err = 0;

	if (size == 0 || size > GORET_MAX_FUNC)
		return -E2BIG;
	code = malloc(size);
	if (!code)
		return -ENOMEM;
	if (pread(fd, code, size, (off_t)off) != (ssize_t)size) {
		free(code);
		return -EIO;
	}
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
		free(code);
		return -ENOSYS;
	}
	insn = cs_malloc(cs);
	p = code;
	left = size;
	addr = off; /* instruction addresses as file offsets */
	while (insn && left > 0) {
		if (!cs_disasm_iter(cs, &p, &left, &addr, insn)) {
			/* Undecodable bytes inside the function's range: never guess
			 * past them. Go pads between functions, not inside them. */
			err = -ENOEXEC;
			break;
		}
		if (insn->id == X86_INS_RET) {
			if ((size_t)n < cap)
				rets[n] = insn->address;
			n++;
		}
	}
	if (!insn)
		err = -ENOMEM;
	cs_free(insn, 1);
	cs_close(&cs);
	free(code);
	return err ? err : n;
}

/* Instructions the prologue's check is looked for in: Go's is the first
 * two or three (a large frame computes its lowest address first). */
#define PROLOGUE_INSNS 4

int goret_body(int fd, uint64_t off, uint64_t size, uint64_t *body)
{
	uint8_t code[64];
	const uint8_t *p = code;
	size_t left = size < sizeof(code) ? (size_t)size : sizeof(code);
	uint64_t addr = off;
	bool guard = false;
	csh cs;
	cs_insn *insn;
	int err = 0;

	*body = off;
	if (size == 0 || pread(fd, code, left, (off_t)off) != (ssize_t)left)
		return -EIO;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return -ENOSYS;
	if (!(insn = cs_malloc(cs))) {
		cs_close(&cs);
		return -ENOMEM;
	}
	for (int i = 0; i < PROLOGUE_INSNS && left > 0; i++) {
		if (!cs_disasm_iter(cs, &p, &left, &addr, insn)) {
			err = -ENOEXEC;
			break;
		}
		/* cmp <sp or a register>, qword ptr [r14 + 0x10]: the guard. */
		if (insn->id == X86_INS_CMP && strstr(insn->op_str, "[r14 + 0x10]")) {
			guard = true;
			continue;
		}
		/* ... and the unsigned branch to morestack right after it. */
		if (guard && (insn->id == X86_INS_JBE || insn->id == X86_INS_JB)) {
			*body = addr; /* the next instruction's */
			break;
		}
		guard = false;
	}
	cs_free(insn, 1);
	cs_close(&cs);
	return err;
}
