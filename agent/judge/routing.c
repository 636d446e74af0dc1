// SPDX-License-Identifier: Apache-2.0
#include "routing.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "exchange.h"
#include "yaml_options.h"

#define LIST_MAX 32 /* entries of one list in a rule */

struct list {
	char *item[LIST_MAX];
	size_t n;
};

/* What a destination may receive (or produce): the sets of one allow or
 * deny list. */
struct constraint {
	bool set, allow;
	unsigned categories; /* bit (1 << det_category) */
	unsigned severities; /* bit (1 << det_severity) */
	struct list detectors; /* ids or globs ("secret.*") */
};

struct rule {
	char name[ROUTING_NAME_MAX];
	int external; /* -1: either; 0, 1 */
	int role;     /* -1: either; 0 client, 1 server */
	struct list provider, host, api, model, exe, comm, pod, container;
	struct constraint receive, produce;
};

struct routing {
	struct rule rules[ROUTING_MAX_RULES];
	size_t n;
};

/* The well-known external providers, by the hosts their APIs answer on. */
static const struct {
	const char *glob, *provider;
} providers[] = {
	{ "api.openai.com", "openai" },
	{ "api.anthropic.com", "anthropic" },
	{ "generativelanguage.googleapis.com", "google" },
	{ "aiplatform.googleapis.com", "google" },
	{ "*-aiplatform.googleapis.com", "google" },
	{ "*.openai.azure.com", "azure_openai" },
	{ "*.cognitiveservices.azure.com", "azure_openai" },
	{ "*.services.ai.azure.com", "azure_openai" },
	{ "bedrock-runtime.*.amazonaws.com", "aws_bedrock" },
	{ "bedrock-runtime-fips.*.amazonaws.com", "aws_bedrock" },
	{ "bedrock-agent-runtime.*.amazonaws.com", "aws_bedrock" },
	{ "bedrock.*.amazonaws.com", "aws_bedrock" },
	{ "api.mistral.ai", "mistral" },
	{ "codestral.mistral.ai", "mistral" },
	{ "api.cohere.ai", "cohere" },
	{ "api.cohere.com", "cohere" },
	{ "api.groq.com", "groq" },
	{ "api.together.xyz", "together" },
	{ "api.together.ai", "together" },
	{ "api.x.ai", "xai" },
	{ "api.deepseek.com", "deepseek" },
	{ "api.perplexity.ai", "perplexity" },
	{ "openrouter.ai", "openrouter" },
	{ "api.fireworks.ai", "fireworks" },
};

static const char *const category_names[] = { "pii", "financial", "health", "secret" };
static const char *const severity_names[] = { NULL, "low", "medium", "high", "critical" };

/* The host as compared: lower case, without its port, its IPv6 brackets or
 * a final dot. */
static void host_name(const char *host, char *out, size_t cap)
{
	size_t n = 0;
	const char *end;

	if (!host)
		host = "";
	if (*host == '[') { /* [fd00::1]:443 */
		host++;
		end = strchr(host, ']');
	} else {
		end = strchr(host, ':');
		if (end && strchr(end + 1, ':'))
			end = NULL; /* a bare IPv6 address */
	}
	if (!end)
		end = host + strlen(host);
	while (host < end && n + 1 < cap)
		out[n++] = (char)tolower((unsigned char)*host++);
	while (n > 0 && out[n - 1] == '.')
		n--;
	out[n] = '\0';
}

const char *routing_provider(const char *host)
{
	char h[256];

	host_name(host, h, sizeof(h));
	if (!*h)
		return NULL;
	for (size_t i = 0; i < sizeof(providers) / sizeof(providers[0]); i++)
		if (!fnmatch(providers[i].glob, h, 0))
			return providers[i].provider;
	return NULL;
}

static bool provider_known(const char *name)
{
	for (size_t i = 0; i < sizeof(providers) / sizeof(providers[0]); i++)
		if (!strcmp(providers[i].provider, name))
			return true;
	return false;
}

/* ---- loading ---- */

struct loader {
	struct yopt_reader y;
	const struct detector *dets;
	size_t ndets;
};

static int name_index(const char *const *names, int n, const char *s)
{
	for (int i = 0; s && i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return i;
	return -1;
}

/* A scalar or a list of them into l; check (may be NULL) refuses an entry. */
static int parse_list(struct loader *l, const char *key, const yaml_node_t *v, struct list *out,
		      const char *(*check)(struct loader *, const char *))
{
	const yaml_node_t *items[LIST_MAX];
	size_t n = 0;

	if (yopt_scalar(v)) {
		items[n++] = v;
	} else if (v->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
			if (n == LIST_MAX)
				return yopt_fail(&l->y, v, "%s: at most %d entries", key, LIST_MAX);
			items[n++] = yopt_node(&l->y, *it);
		}
	} else {
		return yopt_fail(&l->y, v, "%s: expected a word or a list of them", key);
	}
	if (n == 0)
		return yopt_fail(&l->y, v, "%s: an empty list matches nothing: leave the key out", key);
	for (size_t i = 0; i < n; i++) {
		const char *s = yopt_scalar(items[i]), *why;

		if (!s || !*s)
			return yopt_fail(&l->y, items[i], "%s: expected a word", key);
		if (check && (why = check(l, s)))
			return yopt_fail(&l->y, items[i], "%s: '%s' %s", key, s, why);
		if (!(out->item[out->n] = strdup(s)))
			return yopt_fail(&l->y, items[i], "out of memory");
		out->n++;
	}
	return 0;
}

static const char *check_provider(struct loader *l, const char *s)
{
	(void)l;
	return provider_known(s) ? NULL
				 : "is not a known provider (openai, anthropic, google, azure_openai, aws_bedrock, mistral, "
				   "cohere, groq, together, xai, deepseek, perplexity, openrouter, fireworks)";
}

static const char *check_api(struct loader *l, const char *s)
{
	(void)l;
	for (int f = LLM_OPENAI_CHAT; f < LLM_GUESS; f++)
		if (!strcmp(llm_flavor_name((enum llm_flavor)f), s))
			return NULL;
	return "is not an API the agent decodes (openai.chat, anthropic.messages, ollama.chat, tgi.generate, ...)";
}

static const char *check_detector(struct loader *l, const char *s)
{
	for (size_t i = 0; i < l->ndets; i++)
		if (!fnmatch(s, l->dets[i].id, 0))
			return NULL;
	return "names no detector the agent runs";
}

static const char *check_category(struct loader *l, const char *s)
{
	(void)l;
	return name_index(category_names, 4, s) >= 0 ? NULL : "is not a category (pii, financial, health, secret)";
}

static const char *check_severity(struct loader *l, const char *s)
{
	(void)l;
	return name_index(severity_names, 5, s) > 0 ? NULL : "is not a severity (low, medium, high, critical)";
}

static void list_free(struct list *li)
{
	for (size_t i = 0; i < li->n; i++)
		free(li->item[i]);
	li->n = 0;
}

static int parse_bool(struct loader *l, const char *key, const yaml_node_t *v, int *out)
{
	const char *s = yopt_scalar(v);

	if (s && (!strcmp(s, "true") || !strcmp(s, "yes")))
		*out = 1;
	else if (s && (!strcmp(s, "false") || !strcmp(s, "no")))
		*out = 0;
	else
		return yopt_fail(&l->y, v, "%s: expected true or false", key);
	return 0;
}

static int parse_match(struct loader *l, const yaml_node_t *m, struct rule *r)
{
	if (m->type != YAML_MAPPING_NODE)
		return yopt_fail(&l->y, m, "match: expected a mapping (external, provider, host, api, model, exe, comm, pod, "
				     "container, role)");
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yopt_node(&l->y, p->key), *v = yopt_node(&l->y, p->value);
		const char *key = yopt_scalar(k) ? yopt_scalar(k) : "";
		int rc;

		if (!strcmp(key, "external"))
			rc = parse_bool(l, key, v, &r->external);
		else if (!strcmp(key, "role")) {
			const char *s = yopt_scalar(v);

			r->role = s && !strcmp(s, "server") ? 1 : s && !strcmp(s, "client") ? 0 : -2;
			rc = r->role == -2 ? yopt_fail(&l->y, v, "role: expected client or server") : 0;
		} else if (!strcmp(key, "provider"))
			rc = parse_list(l, key, v, &r->provider, check_provider);
		else if (!strcmp(key, "host"))
			rc = parse_list(l, key, v, &r->host, NULL);
		else if (!strcmp(key, "api"))
			rc = parse_list(l, key, v, &r->api, check_api);
		else if (!strcmp(key, "model"))
			rc = parse_list(l, key, v, &r->model, NULL);
		else if (!strcmp(key, "exe"))
			rc = parse_list(l, key, v, &r->exe, NULL);
		else if (!strcmp(key, "comm"))
			rc = parse_list(l, key, v, &r->comm, NULL);
		else if (!strcmp(key, "pod"))
			rc = parse_list(l, key, v, &r->pod, NULL);
		else if (!strcmp(key, "container"))
			rc = parse_list(l, key, v, &r->container, NULL);
		else
			rc = yopt_fail(&l->y, k, "match: unknown key '%s' (expected external, provider, host, api, model, exe, "
					   "comm, pod, container or role)",
				     key);
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_set(struct loader *l, const char *what, const yaml_node_t *v, struct constraint *c)
{
	struct list names = { 0 };

	if (v->type != YAML_MAPPING_NODE)
		return yopt_fail(&l->y, v, "%s: expected a mapping (categories, detectors, severities)", what);
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yopt_node(&l->y, p->key), *val = yopt_node(&l->y, p->value);
		const char *key = yopt_scalar(k) ? yopt_scalar(k) : "";
		int rc;

		if (!strcmp(key, "categories")) {
			rc = parse_list(l, key, val, &names, check_category);
			for (size_t i = 0; i < names.n; i++)
				c->categories |= 1u << name_index(category_names, 4, names.item[i]);
		} else if (!strcmp(key, "severities")) {
			rc = parse_list(l, key, val, &names, check_severity);
			for (size_t i = 0; i < names.n; i++)
				c->severities |= 1u << name_index(severity_names, 5, names.item[i]);
		} else if (!strcmp(key, "detectors")) {
			rc = parse_list(l, key, val, &c->detectors, check_detector);
		} else {
			rc = yopt_fail(&l->y, k, "%s: unknown key '%s' (expected categories, detectors or severities)", what, key);
		}
		list_free(&names);
		if (rc)
			return rc;
	}
	if (!c->categories && !c->severities && !c->detectors.n)
		return yopt_fail(&l->y, v, "%s: names no category, detector or severity", what);
	return 0;
}

/* receive: or produce: - exactly one of allow and deny. */
static int parse_constraint(struct loader *l, const char *what, const yaml_node_t *v, struct constraint *c)
{
	const yaml_node_pair_t *p;

	if (c->set)
		return yopt_fail(&l->y, v, "%s: given twice", what);
	if (v->type != YAML_MAPPING_NODE || v->data.mapping.pairs.top - v->data.mapping.pairs.start != 1)
		return yopt_fail(&l->y, v, "%s: expected one of allow or deny, with its categories, detectors or severities",
			       what);
	p = v->data.mapping.pairs.start;
	if (!yopt_scalar(yopt_node(&l->y, p->key)) ||
	    (strcmp(yopt_scalar(yopt_node(&l->y, p->key)), "allow") && strcmp(yopt_scalar(yopt_node(&l->y, p->key)), "deny")))
		return yopt_fail(&l->y, yopt_node(&l->y, p->key), "%s: expected allow or deny", what);
	c->set = true;
	c->allow = !strcmp(yopt_scalar(yopt_node(&l->y, p->key)), "allow");
	return parse_set(l, what, yopt_node(&l->y, p->value), c);
}

static int parse_rule(struct loader *l, const yaml_node_t *n, struct routing *rt)
{
	struct rule *r = &rt->rules[rt->n];

	if (rt->n == ROUTING_MAX_RULES)
		return yopt_fail(&l->y, n, "at most %d rules", ROUTING_MAX_RULES);
	if (n->type != YAML_MAPPING_NODE)
		return yopt_fail(&l->y, n, "a rule: expected a mapping (name, match, receive, produce)");
	r->external = -1;
	r->role = -1;
	rt->n++; /* freed with the rest if it fails */
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yopt_node(&l->y, p->key), *v = yopt_node(&l->y, p->value);
		const char *key = yopt_scalar(k) ? yopt_scalar(k) : "";
		int rc;

		if (!strcmp(key, "name")) {
			const char *s = yopt_scalar(v);

			if (!s || !*s || strlen(s) >= ROUTING_NAME_MAX || strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
										    "RSTUVWXYZ0123456789_.-") != strlen(s))
				return yopt_fail(&l->y, v, "name: expected 1-%d letters, digits, '_', '.' or '-'",
					       ROUTING_NAME_MAX - 1);
			for (size_t i = 0; i + 1 < rt->n; i++)
				if (!strcmp(rt->rules[i].name, s))
					return yopt_fail(&l->y, v, "name: '%s' is the name of another rule", s);
			snprintf(r->name, sizeof(r->name), "%s", s);
			rc = 0;
		} else if (!strcmp(key, "match")) {
			rc = parse_match(l, v, r);
		} else if (!strcmp(key, "receive")) {
			rc = parse_constraint(l, "receive", v, &r->receive);
		} else if (!strcmp(key, "produce")) {
			rc = parse_constraint(l, "produce", v, &r->produce);
		} else {
			rc = yopt_fail(&l->y, k, "a rule: unknown key '%s' (expected name, match, receive or produce)", key);
		}
		if (rc)
			return rc;
	}
	if (!r->name[0])
		return yopt_fail(&l->y, n, "a rule needs a name (it is what a violation reports)");
	if (!r->receive.set && !r->produce.set)
		return yopt_fail(&l->y, n, "rule '%s': says nothing a model may receive or produce (receive:, produce:)",
			       r->name);
	return 0;
}

static int parse_root(struct loader *l, const yaml_node_t *root, struct routing *rt)
{
	if (root->type != YAML_MAPPING_NODE)
		return yopt_fail(&l->y, root, "expected a mapping with rules");
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yopt_node(&l->y, p->key), *v = yopt_node(&l->y, p->value);
		const char *key = yopt_scalar(k) ? yopt_scalar(k) : "";

		if (strcmp(key, "rules"))
			return yopt_fail(&l->y, k, "unknown key '%s' (expected rules)", key);
		if (v->type != YAML_SEQUENCE_NODE)
			return yopt_fail(&l->y, v, "rules: expected a list of rules");
		for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
			if (parse_rule(l, yopt_node(&l->y, *it), rt))
				return -1;
	}
	return 0;
}

int routing_load(struct routing **out, const char *path, const char *section, const struct detector *dets,
		 size_t ndets, char *err, size_t errsz)
{
	struct loader l = { .y = { .path = path, .err = err, .errsz = errsz }, .dets = dets, .ndets = ndets };
	const yaml_node_t *root;
	struct routing *rt;
	int r = 0;

	*out = NULL;
	if (!path)
		return 0;
	if (!(rt = calloc(1, sizeof(*rt)))) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	if (yopt_read_document(path, &l.y.doc, err, errsz)) {
		free(rt);
		return -1;
	}
	root = yopt_section(&l.y.doc, section);
	if (root)
		r = parse_root(&l, root, rt);
	yaml_document_delete(&l.y.doc);
	if (r) {
		routing_free(rt);
		return -1;
	}
	*out = rt;
	return 0;
}

void routing_free(struct routing *rt)
{
	if (!rt)
		return;
	for (size_t i = 0; i < rt->n; i++) {
		struct rule *r = &rt->rules[i];
		struct list *lists[] = { &r->provider, &r->host,	     &r->api,	 &r->model,	      &r->exe,
					 &r->comm,     &r->pod,		     &r->container, &r->receive.detectors,
					 &r->produce.detectors };

		for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++)
			list_free(lists[k]);
	}
	free(rt);
}

size_t routing_rules(const struct routing *rt)
{
	return rt ? rt->n : 0;
}

/* ---- checking ---- */

/* No list: anything; else s matches one of its globs. */
static bool any_glob(const struct list *li, const char *s)
{
	if (!li->n)
		return true;
	for (size_t i = 0; s && i < li->n; i++)
		if (!fnmatch(li->item[i], s, 0))
			return true;
	return false;
}

static bool matches(const struct rule *r, const struct route_dest *d, const char *host, const char *provider)
{
	if (r->external >= 0 && (provider != NULL) != r->external)
		return false;
	if (r->role >= 0 && d->process_is_server != r->role)
		return false;
	if (r->provider.n && (!provider || !any_glob(&r->provider, provider)))
		return false;
	if (r->model.n && !(any_glob(&r->model, d->model_requested) || any_glob(&r->model, d->model_reported)))
		return false;
	return any_glob(&r->host, host) && any_glob(&r->api, d->api) && any_glob(&r->exe, d->exe) &&
	       any_glob(&r->comm, d->comm) && any_glob(&r->pod, d->pod_uid) && any_glob(&r->container, d->container_id);
}

/* Whether c forbids det; why says what it forbids. */
static bool forbids(const struct constraint *c, const struct detector *det, const char *verb, char *why, size_t cap)
{
	bool cat = c->categories & (1u << det->category), sev = c->severities & (1u << det->severity);
	bool id = c->detectors.n && any_glob(&c->detectors, det->id);

	if (!c->set)
		return false;
	if (c->allow) {
		if (cat || sev || id)
			return false;
		snprintf(why, cap, "may %s only what its allow list names, not %s (%s, %s)", verb, det->id,
			 det_category_name(det->category), det_severity_name(det->severity));
		return true;
	}
	if (id)
		snprintf(why, cap, "may not %s detector %s", verb, det->id);
	else if (cat)
		snprintf(why, cap, "may not %s category %s", verb, det_category_name(det->category));
	else if (sev)
		snprintf(why, cap, "may not %s severity %s", verb, det_severity_name(det->severity));
	return cat || sev || id;
}

size_t routing_check(const struct routing *rt, const struct route_dest *d, const struct detector *det, bool input,
		     struct route_breach *out, size_t max)
{
	char host[256];
	const char *provider;
	size_t n = 0;

	if (!rt || !rt->n)
		return 0;
	host_name(d->host, host, sizeof(host));
	provider = routing_provider(host);
	for (size_t i = 0; i < rt->n && n < max; i++) {
		const struct rule *r = &rt->rules[i];

		if (!matches(r, d, host, provider))
			continue;
		if (forbids(input ? &r->receive : &r->produce, det, input ? "receive" : "produce", out[n].reason,
			    sizeof(out[n].reason)))
			out[n++].rule = r->name;
	}
	return n;
}
