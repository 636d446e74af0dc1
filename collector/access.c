// SPDX-License-Identifier: Apache-2.0
#include "access.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "hex.h"
#include "yaml_options.h"

static const struct {
	const char *name;
	enum role role;
} roles[] = { { "agent", ROLE_AGENT }, { "auditor", ROLE_AUDITOR }, { "admin", ROLE_ADMIN }, { "monitor", ROLE_MONITOR } };

const char *role_name(enum role r)
{
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (roles[i].role == r)
			return roles[i].name;
	return "none";
}

static int parse_principal(struct yopt_reader *y, const yaml_node_t *n, struct access *a)
{
	struct principal *p = &a->p[a->n];
	bool have_token = false;

	if (a->n == ACCESS_MAX)
		return yopt_fail(y, n, "at most %d principals", ACCESS_MAX);
	if (n->type != YAML_MAPPING_NODE)
		return yopt_fail(y, n, "a principal: expected a mapping (name, certificate or token_sha256, role)");
	memset(p, 0, sizeof(*p));
	a->n++; /* released with the rest if it fails */
	for (yaml_node_pair_t *it = n->data.mapping.pairs.start; it < n->data.mapping.pairs.top; it++) {
		const yaml_node_t *k = yopt_node(y, it->key), *v = yopt_node(y, it->value);
		const char *key = yopt_scalar(k) ? yopt_scalar(k) : "", *s = yopt_scalar(v);

		if (!s || !*s)
			return yopt_fail(y, v, "%s: expected a word", key);
		if (!strcmp(key, "name")) {
			if (strlen(s) >= ACCESS_NAME_MAX ||
			    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@-") != strlen(s))
				return yopt_fail(y, v, "name: expected 1-%d letters, digits, '_', '.', '@' or '-'",
						 ACCESS_NAME_MAX - 1);
			for (size_t i = 0; i + 1 < a->n; i++)
				if (!strcmp(a->p[i].name, s))
					return yopt_fail(y, v, "name: '%s' is the name of another principal", s);
			snprintf(p->name, sizeof(p->name), "%s", s);
		} else if (!strcmp(key, "certificate")) {
			if (p->subject || have_token)
				return yopt_fail(y, v, "a principal is one certificate subject or one token, not both");
			if (!(p->subject = strdup(s)))
				return yopt_fail(y, v, "out of memory");
		} else if (!strcmp(key, "token_sha256")) {
			if (p->subject || have_token)
				return yopt_fail(y, v, "a principal is one certificate subject or one token, not both");
			if (strlen(s) != 64 || hex_decode(s, p->token_sha256, 32))
				return yopt_fail(y, v, "token_sha256: expected 64 hex digits (sealtap-collector token makes "
						       "a token and its hash)");
			have_token = true;
		} else if (!strcmp(key, "role")) {
			size_t i;

			for (i = 0; i < sizeof(roles) / sizeof(roles[0]) && strcmp(roles[i].name, s); i++)
				;
			if (i == sizeof(roles) / sizeof(roles[0]))
				return yopt_fail(y, v, "role: '%s' is not a role (agent, auditor, admin, monitor)", s);
			p->role = roles[i].role;
		} else {
			return yopt_fail(y, k, "a principal: unknown key '%s' (expected name, certificate, token_sha256 or "
					       "role)",
					 key);
		}
	}
	if (!p->name[0])
		return yopt_fail(y, n, "a principal needs a name (it is what the access log records)");
	if (!p->subject && !have_token)
		return yopt_fail(y, n, "principal '%s': give its certificate subject or its token_sha256", p->name);
	if (!p->role)
		return yopt_fail(y, n, "principal '%s': give its role", p->name);
	if (p->role == ROLE_AGENT)
		a->names_agents = true;
	return 0;
}

int access_load(struct access *a, const char *path, const char *section, char *err, size_t errsz)
{
	struct yopt_reader y = { .path = path, .err = err, .errsz = errsz };
	const yaml_node_t *root;
	int r = 0;

	memset(a, 0, sizeof(*a));
	if (!path)
		return 0;
	if (!(a->p = calloc(ACCESS_MAX, sizeof(*a->p)))) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	if (yopt_read_document(path, &y.doc, err, errsz)) {
		access_release(a);
		return -1;
	}
	root = yopt_section(&y.doc, section);
	if (root && root->type != YAML_MAPPING_NODE)
		r = yopt_fail(&y, root, "expected a mapping with principals");
	for (yaml_node_pair_t *it = root && !r ? root->data.mapping.pairs.start : NULL;
	     it && it < root->data.mapping.pairs.top && !r; it++) {
		const yaml_node_t *k = yopt_node(&y, it->key), *v = yopt_node(&y, it->value);

		if (!yopt_scalar(k) || strcmp(yopt_scalar(k), "principals"))
			r = yopt_fail(&y, k, "unknown key '%s' (expected principals)", yopt_scalar(k) ? yopt_scalar(k) : "");
		else if (v->type != YAML_SEQUENCE_NODE)
			r = yopt_fail(&y, v, "principals: expected a list");
		else
			for (yaml_node_item_t *e = v->data.sequence.items.start; e < v->data.sequence.items.top && !r; e++)
				r = parse_principal(&y, yopt_node(&y, *e), a);
	}
	yaml_document_delete(&y.doc);
	if (r)
		access_release(a);
	return r;
}

void access_release(struct access *a)
{
	for (size_t i = 0; a->p && i < a->n; i++)
		free(a->p[i].subject);
	free(a->p);
	memset(a, 0, sizeof(*a));
}

const struct principal *access_by_subject(const struct access *a, const char *subject)
{
	for (size_t i = 0; subject && i < a->n; i++)
		if (a->p[i].subject && !strcmp(a->p[i].subject, subject))
			return &a->p[i];
	return NULL;
}

const struct principal *access_by_token(const struct access *a, const char *token)
{
	uint8_t h[32];
	const struct principal *found = NULL;

	if (!token || !*token)
		return NULL;
	EVP_Digest(token, strlen(token), h, NULL, EVP_sha256(), NULL);
	for (size_t i = 0; i < a->n; i++) /* every one compared: the time says nothing of which */
		if (!a->p[i].subject && CRYPTO_memcmp(a->p[i].token_sha256, h, 32) == 0)
			found = &a->p[i];
	OPENSSL_cleanse(h, sizeof(h));
	return found;
}

bool access_has_tokens(const struct access *a)
{
	for (size_t i = 0; i < a->n; i++)
		if (!a->p[i].subject)
			return true;
	return false;
}
