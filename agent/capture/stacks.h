/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stacks - the TLS stacks the agent knows of, and recognising those it has
 * no probes for in a file, so that what is not watched is said, with the
 * reason, rather than left out: an auditor must be able to tell "no leak"
 * from "not looked at".
 *
 * Probed (attach.c plans their probes): OpenSSL (shared, or an executable
 * that exports it), GnuTLS, Go's crypto/tls; plaintext sockets are watched
 * by the kernel programs. Recognised only: statically linked OpenSSL or
 * BoringSSL without symbols (Envoy, Bun), rustls, Java's JSSE (libjvm), NSS
 * (libssl3), wolfSSL, mbed TLS.
 */
#ifndef SEALTAP_STACKS_H
#define SEALTAP_STACKS_H

#include <stddef.h>

enum stack_id {
	STACK_NONE = -1,
	STACK_OPENSSL = 0,
	STACK_GNUTLS,
	STACK_GO,
	STACK_PLAIN,
	STACK_OPENSSL_STATIC, /* linked in without symbols: nothing to attach to */
	STACK_BORINGSSL,
	STACK_RUSTLS,
	STACK_JSSE,
	STACK_NSS,
	STACK_WOLFSSL,
	STACK_MBEDTLS,
	STACK__COUNT,
};

/* Its name in tables, metrics and evidence: "openssl", "go", "boringssl". */
const char *stack_name(enum stack_id id);

/* The stack a file holds that no probe is planned for, if it is one this
 * recognises, with why it is not watched in why; STACK_NONE otherwise
 * (most files: libc, an interpreter). Reads the file's exported symbols
 * and its read-only data once; fd is left open. */
enum stack_id stacks_recognise(int fd, char *why, size_t whysz);

#endif
