// SPDX-License-Identifier: Apache-2.0
#include "stacks.h"

#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "elfsym.h"

static const char *const names[STACK__COUNT] = {
	[STACK_OPENSSL] = "openssl",
	[STACK_GNUTLS] = "gnutls",
	[STACK_GO] = "go",
	[STACK_PLAIN] = "plain",
	[STACK_OPENSSL_STATIC] = "openssl_static",
	[STACK_BORINGSSL] = "boringssl",
	[STACK_RUSTLS] = "rustls",
	[STACK_JSSE] = "jsse",
	[STACK_NSS] = "nss",
	[STACK_WOLFSSL] = "wolfssl",
	[STACK_MBEDTLS] = "mbedtls",
};

const char *stack_name(enum stack_id id)
{
	return id >= 0 && id < STACK__COUNT ? names[id] : "none";
}

/* Libraries that say what they are by what they export. */
static const struct {
	const char *symbol;
	enum stack_id stack;
	const char *why;
} exported[] = {
	{ "JNI_CreateJavaVM", STACK_JSSE, "Java's TLS (JSSE) runs as JIT-compiled bytecode inside the JVM: no "
					   "function to probe" },
	{ "SSL_ImportFD", STACK_NSS, "NSS (libssl3) is not probed" },
	{ "wolfSSL_write", STACK_WOLFSSL, "wolfSSL is not probed" },
	{ "mbedtls_ssl_write", STACK_MBEDTLS, "mbed TLS is not probed" },
};

/* Stacks linked in without symbols, known by strings their code carries:
 * the source file names their error reporting records. The first match
 * wins; BoringSSL before OpenSSL (it keeps some of OpenSSL's names). */
static const struct {
	const char *needle;
	enum stack_id stack;
	const char *why;
} carried[] = {
	{ "handshake_client.cc", STACK_BORINGSSL,
	  "BoringSSL is linked in without symbols (as in Envoy or Bun): nothing to attach a probe to" },
	{ "statem_clnt.c", STACK_OPENSSL_STATIC,
	  "OpenSSL is linked in statically without exported symbols: nothing to attach a probe to" },
	{ "rustls", STACK_RUSTLS, "rustls (Rust) is not probed" },
};

/* Read-only data scanned at most: a large proxy's is tens of MiB. */
#define RODATA_MAX (256u << 20)

static enum stack_id by_strings(int fd, char *why, size_t whysz)
{
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	enum stack_id found = STACK_NONE;

	if (elf_version(EV_CURRENT) == EV_NONE || !(elf = elf_begin(fd, ELF_C_READ_MMAP, NULL)))
		return STACK_NONE;
	if (elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx)) {
		elf_end(elf);
		return STACK_NONE;
	}
	while (found == STACK_NONE && (scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)) ||
		    strcmp(name, ".rodata") || sh.sh_type == SHT_NOBITS || sh.sh_size > RODATA_MAX ||
		    !(d = elf_getdata(scn, NULL)) || !d->d_buf)
			continue;
		for (size_t i = 0; i < sizeof(carried) / sizeof(carried[0]); i++)
			if (memmem(d->d_buf, d->d_size, carried[i].needle, strlen(carried[i].needle))) {
				found = carried[i].stack;
				snprintf(why, whysz, "%s", carried[i].why);
				break;
			}
	}
	elf_end(elf);
	return found;
}

enum stack_id stacks_recognise(int fd, char *why, size_t whysz)
{
	enum { N = sizeof(exported) / sizeof(exported[0]) };
	const char *syms[N];
	uint64_t off[N];

	for (size_t i = 0; i < N; i++)
		syms[i] = exported[i].symbol;
	if (elfsym_find(fd, syms, N, off) > 0)
		for (size_t i = 0; i < N; i++)
			if (off[i]) {
				snprintf(why, whysz, "%s", exported[i].why);
				return exported[i].stack;
			}
	return by_strings(fd, why, whysz);
}
