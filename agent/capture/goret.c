// SPDX-License-Identifier: Apache-2.0
#include "goret.h"

#include <capstone/capstone.h>
#include <errno.h>
#include <stdlib.h>
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
