/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keyfile - the deployment's secret keys on disk: the fingerprint (HMAC)
 * key now, the signing key later. A key file is raw bytes, owned by the
 * agent's user and readable by nobody else: a file others can read or
 * write is refused, as is a symlink (O_NOFOLLOW). A missing file is
 * created with fresh random bytes and mode 0600 when asked to.
 */
#ifndef SEALTAP_KEYFILE_H
#define SEALTAP_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYFILE_DEFAULT_FINGERPRINT "/var/lib/sealtap/fingerprint.key"
#define KEYFILE_LEN 32

/* Reads a key of 32 to max bytes into key. With create, a missing file (and
 * its directory, mode 0700) is made first. Returns the key length, or -1
 * with the reason in err. */
int keyfile_load(const char *path, bool create, uint8_t *key, size_t max, char *err, size_t errsz);

#endif
