// SPDX-License-Identifier: Apache-2.0
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#define END { NULL, 0, NULL, NULL }

static const struct yopt_setting selectors[] = {
	{ "all", YOPT_FLAG, "all", NULL },	    { "pids", YOPT_LIST, "pid", NULL },	   { "comms", YOPT_LIST, "comm", NULL },
	{ "exes", YOPT_LIST, "exe", NULL },	    { "cgroups", YOPT_LIST, "cgroup", NULL }, END,
};
static const struct yopt_setting classification[] = {
	{ "fingerprint_key", YOPT_SCALAR, "fingerprint-key", NULL },
	{ "leak_window", YOPT_SCALAR, "leak-window", NULL },
	{ "leak_slots", YOPT_SCALAR, "leak-slots", NULL },
	END,
};
static const struct yopt_setting drift[] = {
	{ "enabled", YOPT_NEGATED, "no-drift", NULL },	 { "banned", YOPT_SCALAR, "drift-banned", NULL },
	{ "refusals", YOPT_SCALAR, "drift-refusals", NULL },	 { "keys", YOPT_SCALAR, "drift-keys", NULL },
	{ "rate_shift", YOPT_SCALAR, "drift-rate-shift", NULL }, END,
};
static const struct yopt_setting evidence[] = {
	{ "state_dir", YOPT_SCALAR, "state-dir", NULL },
	{ "spool_max", YOPT_SCALAR, "spool-max", NULL },
	{ "node", YOPT_SCALAR, "node", NULL },
	{ "heartbeat_interval", YOPT_SCALAR, "heartbeat-interval", NULL },
	END,
};
static const struct yopt_setting collector[] = {
	{ "url", YOPT_SCALAR, "collector", NULL },	   { "ca", YOPT_SCALAR, "collector-ca", NULL },
	{ "cert", YOPT_SCALAR, "collector-cert", NULL }, { "key", YOPT_SCALAR, "collector-key", NULL },
	{ "public_key", YOPT_SCALAR, "collector-pubkey", NULL }, END,
};
static const struct yopt_setting otlp[] = {
	{ "url", YOPT_SCALAR, "otlp-logs", NULL },
	{ "ca", YOPT_SCALAR, "otlp-ca", NULL },
	{ "headers", YOPT_MAP, "otlp-header", NULL },
	END,
};
static const struct yopt_setting outputs[] = {
	{ "evidence_json", YOPT_SCALAR, "evidence-json", NULL },
	{ "otlp", YOPT_SECTION, NULL, otlp },
	END,
};
static const struct yopt_setting metrics[] = {
	{ "listen", YOPT_SCALAR, "metrics", NULL },
	END,
};
static const struct yopt_setting limits[] = {
	{ "ringbuf_size", YOPT_SCALAR, "ringbuf-size", NULL }, { "wakeup_bytes", YOPT_SCALAR, "wakeup-bytes", NULL },
	{ "max_conns", YOPT_SCALAR, "max-conns", NULL },	  { "idle_timeout", YOPT_SCALAR, "idle-timeout", NULL },
	{ "max_body", YOPT_SCALAR, "max-body", NULL },	  END,
};
static const struct yopt_setting root[] = {
	{ "selectors", YOPT_SECTION, NULL, selectors },
	{ "model_ports", YOPT_LIST, "model-port", NULL },
	{ "model_processes", YOPT_LIST, "model-process", NULL },
	{ "detectors", YOPT_RAW, "detectors-section", NULL },
	{ "detectors_file", YOPT_SCALAR, "detectors", NULL },
	{ "classification", YOPT_SECTION, NULL, classification },
	{ "drift", YOPT_SECTION, NULL, drift },
	{ "evidence", YOPT_SECTION, NULL, evidence },
	{ "collector", YOPT_SECTION, NULL, collector },
	{ "outputs", YOPT_SECTION, NULL, outputs },
	{ "metrics", YOPT_SECTION, NULL, metrics },
	{ "limits", YOPT_SECTION, NULL, limits },
	{ "stats_interval", YOPT_SCALAR, "stats-interval", NULL },
	END,
};

int config_load(const char *path, struct yopt_args *out, char *err, size_t errsz)
{
	return yopt_load(path, root, out, err, errsz);
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
