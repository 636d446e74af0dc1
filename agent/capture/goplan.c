// SPDX-License-Identifier: Apache-2.0
#include "goplan.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "goret.h"

enum { GO_WRITE, GO_READ, GO_CLOSE, GO__COUNT };

static const char *const go_names[GO__COUNT] = {
	[GO_WRITE] = "crypto/tls.(*Conn).Write",
	[GO_READ] = "crypto/tls.(*Conn).Read",
	[GO_CLOSE] = "crypto/tls.(*Conn).Close",
};

/* The return instructions of one function, or the reason it can't be had. */
static int plan_returns(struct go_plan *p, int fd, int which, uint64_t off, uint64_t size, uint64_t *rets,
			size_t *nrets)
{
	int n = goret_find(fd, off, size, rets, GOPLAN_RETS_MAX);

	if (n == -ENOEXEC)
		snprintf(p->why, sizeof(p->why), "%s holds an instruction the disassembler does not decode",
			 go_names[which]);
	else if (n < 0)
		snprintf(p->why, sizeof(p->why), "%s could not be read (%s)", go_names[which], strerror(-n));
	else if (n == 0)
		snprintf(p->why, sizeof(p->why), "%s has no return instruction", go_names[which]);
	else if (n > GOPLAN_RETS_MAX)
		snprintf(p->why, sizeof(p->why), "%s has %d return instructions (at most %d are probed)",
			 go_names[which], n, GOPLAN_RETS_MAX);
	else {
		*nrets = (size_t)n;
		return 0;
	}
	return -1;
}

int goplan_make(int fd, struct go_plan *p)
{
	uint64_t off[GO__COUNT], size[GO__COUNT];
	int err;

	memset(p, 0, sizeof(*p));
	err = gosym_inspect(fd, &p->bin);
	if (err == -ENOENT || err == -ENOEXEC)
		return err;
	if (!err)
		err = gosym_find(fd, go_names, GO__COUNT, off, size);
	if (err == -EINVAL) {
		/* A Go binary whose tables can't be read (damaged, or older
		 * than Go 1.16): whether it uses crypto/tls is unknown, which
		 * is said, not taken as "no". */
		p->uses_tls = true;
		snprintf(p->why, sizeof(p->why), "Go %s: its function table can't be read (before Go 1.16, or damaged)",
			 p->bin.version[0] ? p->bin.version : "of unknown version");
		return 0;
	}
	if (err < 0 || !off[GO_WRITE] || !off[GO_READ])
		return 0; /* no crypto/tls linked in: a Go program that is no TLS peer */
	p->uses_tls = true;
	p->write_off = off[GO_WRITE];
	p->read_off = off[GO_READ];
	p->close_off = off[GO_CLOSE];
	if (!p->bin.regabi) {
		snprintf(p->why, sizeof(p->why), "Go %s passes arguments on the stack (the register ABI, read by the "
						 "probes, came with Go 1.17)",
			 p->bin.version[0] ? p->bin.version : "of unknown version");
		return 0;
	}
	if (goret_body(fd, off[GO_WRITE], size[GO_WRITE], &p->write_body) ||
	    goret_body(fd, off[GO_READ], size[GO_READ], &p->read_body)) {
		snprintf(p->why, sizeof(p->why), "the prologue of %s or %s can't be decoded", go_names[GO_WRITE],
			 go_names[GO_READ]);
		return 0;
	}
	if (plan_returns(p, fd, GO_WRITE, off[GO_WRITE], size[GO_WRITE], p->write_rets, &p->nwrite_rets) ||
	    plan_returns(p, fd, GO_READ, off[GO_READ], size[GO_READ], p->read_rets, &p->nread_rets))
		p->nwrite_rets = p->nread_rets = 0;
	return 0;
}
