/* SPDX-License-Identifier: Apache-2.0 */
/*
 * access - who may do what through the collector's HTTP API. Principals, in
 * YAML (libyaml), as a file (serve --access FILE) or the collector
 * configuration's `access:` section:
 *
 *   principals:
 *     - name: fleet-agents
 *       certificate: "CN=sealtap agent,O=Acme"   # a client certificate's subject (RFC 4514),
 *       role: agent                              #   issued by --client-ca
 *     - name: jane-auditor
 *       token_sha256: 5e884898...                # SHA-256 of a bearer token, never the token
 *       role: auditor                            #   (sealtap-collector token makes one)
 *
 * Roles: agent (POST /v1/batches), auditor (reads: events, lineage, streams,
 * checkpoints, proofs, verification, the access log, agents, metrics),
 * admin (enrollment: list, approve, revoke agents; the access log; metrics),
 * monitor (metrics). Anything unknown, a principal with neither or both of
 * certificate and token, a token hash that is not 64 hex digits, or two
 * principals of one name is refused with the file and line.
 */
#ifndef SEALTAP_ACCESS_H
#define SEALTAP_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum role { ROLE_AGENT = 1, ROLE_AUDITOR = 2, ROLE_ADMIN = 4, ROLE_MONITOR = 8 };

#define ACCESS_MAX 256
#define ACCESS_NAME_MAX 64

struct principal {
	char name[ACCESS_NAME_MAX];
	enum role role;
	char *subject;              /* a certificate's, or NULL */
	uint8_t token_sha256[32];   /* when subject is NULL */
};

struct access {
	struct principal *p;
	size_t n;
	bool names_agents; /* a principal has the agent role: ingest then requires one */
};

/* path NULL: no configuration (a->n 0). 0, or -1 with err. */
int access_load(struct access *a, const char *path, const char *section, char *err, size_t errsz);
void access_release(struct access *a);

const struct principal *access_by_subject(const struct access *a, const char *subject);
/* The bearer token's principal (compared by SHA-256, in constant time). */
const struct principal *access_by_token(const struct access *a, const char *token);
const char *role_name(enum role r);
/* Whether a principal is known by a bearer token (then a client may come
 * without a certificate). */
bool access_has_tokens(const struct access *a);

#endif
