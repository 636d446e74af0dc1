// SPDX-License-Identifier: Apache-2.0
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "paths.h"

static int create_key(const char *path, char *err, size_t errsz)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 16];
	uint8_t key[KEYFILE_LEN];
	int fd;
	ssize_t w;

	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir(dirname(dir), 0700) && errno != EEXIST) {
		snprintf(err, errsz, "%s: cannot create its directory: %s", path, strerror(errno));
		return -1;
	}
	if (RAND_priv_bytes(key, sizeof(key)) != 1) {
		snprintf(err, errsz, "%s: no randomness for a new key", path);
		return -1;
	}
	/* Written whole under another name, then linked into place: two
	 * processes starting at once never both write a key, and neither reads
	 * one half-written (link fails if the other's is there). */
	snprintf(tmp, sizeof(tmp), "%s.new-XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errsz, "%s: cannot create: %s", path, strerror(errno));
		return -1;
	}
	w = write(fd, key, sizeof(key));
	memset(key, 0, sizeof(key));
	if (w != (ssize_t)sizeof(key) || fchmod(fd, 0600) || fsync(fd)) {
		snprintf(err, errsz, "%s: cannot write the new key: %s", path, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (link(tmp, path) && errno != EEXIST) {
		snprintf(err, errsz, "%s: cannot create: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	unlink(tmp);
	return 0;
}

int keyfile_load(const char *path, bool create, uint8_t *key, size_t max, char *err, size_t errsz)
{
	struct stat st;
	ssize_t n;
	int fd;

	if (create && access(path, F_OK) != 0 && create_key(path, err, errsz))
		return -1;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(err, errsz, "%s: mode %04o lets others read or write the key; chmod 600 it", path,
			 (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errsz, "%s: owned by uid %u, not by this user", path, (unsigned)st.st_uid);
		close(fd);
		return -1;
	}
	n = read(fd, key, max);
	close(fd);
	if (n < KEYFILE_LEN) {
		snprintf(err, errsz, "%s: a key needs at least %d bytes, the file has %zd", path, KEYFILE_LEN,
			 n < 0 ? (ssize_t)0 : n);
		return -1;
	}
	return (int)n;
}
