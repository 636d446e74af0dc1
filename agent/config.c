// SPDX-License-Identifier: Apache-2.0
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>


int config_load(const char *path, const struct opt_def *defs, struct yopt_args *out, char *err, size_t errsz)
{
	return yopt_load(path, defs, out, err, errsz);
}

static int digest_file(EVP_MD_CTX *md, const char *path, char *err, size_t errsz)
{
	FILE *f = fopen(path, "rb");
	char buf[8192];
	size_t n;

	if (!f) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		EVP_DigestUpdate(md, buf, n);
	n = (size_t)ferror(f);
	fclose(f);
	if (n) {
		snprintf(err, errsz, "%s: read error", path);
		return -1;
	}
	return 0;
}

int config_digest(const char *config_path, const char *const *policy_paths, int n, char *const *args, int nargs,
		  uint8_t out[CONFIG_DIGEST], char *err, size_t errsz)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int r = -1;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		snprintf(err, errsz, "SHA-256 unavailable");
		goto out;
	}
	if (config_path && digest_file(md, config_path, err, errsz))
		goto out;
	for (int i = 0; i < n; i++) {
		if (!policy_paths[i])
			continue;
		/* The path too: the same bytes moved to another role are another policy. */
		EVP_DigestUpdate(md, policy_paths[i], strlen(policy_paths[i]) + 1);
		if (digest_file(md, policy_paths[i], err, errsz))
			goto out;
	}
	for (int i = 0; i < nargs; i++)
		EVP_DigestUpdate(md, args[i], strlen(args[i]) + 1);
	r = EVP_DigestFinal_ex(md, out, NULL) ? 0 : -1;
out:
	EVP_MD_CTX_free(md);
	return r;
}
