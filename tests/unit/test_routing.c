// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "detectors.h"
#include "routing.h"

static char path[64];

static const char *write_policy(const char *text)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/sealtap-routing-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	fchmod(fd, 0600);
	close(fd);
	return path;
}

static struct routing *load(const char *text)
{
	size_t n;
	const struct detector *dets = detectors_builtin(&n);
	struct routing *r = NULL;
	char err[512];

	write_policy(text);
	if (routing_load(&r, path, NULL, dets, n, err, sizeof(err)))
		fail_msg("refused: %s", err);
	unlink(path);
	assert_non_null(r);
	return r;
}

static void refused(const char *text, const char *want)
{
	size_t n;
	const struct detector *dets = detectors_builtin(&n);
	struct routing *r = (struct routing *)1;
	char err[512], expect[600];

	write_policy(text);
	assert_int_equal(routing_load(&r, path, NULL, dets, n, err, sizeof(err)), -1);
	assert_null(r);
	snprintf(expect, sizeof(expect), "%s:%s", path, want);
	if (strncmp(err, expect, strlen(expect)) != 0)
		fail_msg("got \"%s\", want \"%s...\"", err, expect);
	unlink(path);
}

static const struct detector *det(const char *id)
{
	size_t n;
	const struct detector *dets = detectors_builtin(&n);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(dets[i].id, id))
			return &dets[i];
	fail_msg("no detector %s", id);
	return NULL;
}

/* Every provider the issue names, by its hosts as clients write them:
 * with a port, in capitals, with a final dot, in brackets; and hosts that
 * only look like theirs. */
static void test_routing_providers(void **state)
{
	static const struct {
		const char *host, *provider;
	} cases[] = {
		{ "api.openai.com", "openai" },
		{ "API.OpenAI.com:443", "openai" },
		{ "api.openai.com.", "openai" },
		{ "api.anthropic.com", "anthropic" },
		{ "generativelanguage.googleapis.com", "google" },
		{ "us-central1-aiplatform.googleapis.com:443", "google" },
		{ "acme-prod.openai.azure.com", "azure_openai" },
		{ "bedrock-runtime.eu-west-1.amazonaws.com", "aws_bedrock" },
		{ "api.mistral.ai", "mistral" },
		{ "api.cohere.com", "cohere" },
		{ "api.groq.com", "groq" },
		{ "api.together.xyz", "together" },
		{ "openai.com.attacker.example", NULL },
		{ "api.openai.com.internal", NULL },
		{ "llm.internal:8000", NULL },
		{ "[fd00::1]:8443", NULL },
		{ "10.0.0.7", NULL },
		{ "", NULL },
		{ NULL, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = routing_provider(cases[i].host);

		if ((got == NULL) != (cases[i].provider == NULL) || (got && strcmp(got, cases[i].provider)))
			fail_msg("%s: %s, want %s", cases[i].host ? cases[i].host : "(null)", got ? got : "none",
				 cases[i].provider ? cases[i].provider : "none");
	}
}

static size_t check(const struct routing *r, const struct route_dest *d, const char *id, bool input,
		    struct route_breach *b)
{
	return routing_check(r, d, det(id), input, b, 8);
}

/* A rule is a constraint on what matches it: deny by category, detector
 * (glob) or severity, allow-only, receive for prompts and produce for
 * outputs; every match key must hold; each broken rule is one breach. */
static void test_routing_rules(void **state)
{
	struct routing *r = load("rules:\n"
				 "  - name: external\n"
				 "    match: { external: true }\n"
				 "    receive: { deny: { categories: [secret, financial, health] } }\n"
				 "  - name: openai-no-critical\n"
				 "    match: { provider: [openai], api: [openai.chat] }\n"
				 "    receive: { deny: { severities: [critical] } }\n"
				 "  - name: restricted\n"
				 "    match: { model: [\"restricted-*\"], role: server, exe: [\"/opt/serve/*\"] }\n"
				 "    produce: { allow: { categories: [pii], severities: [low] } }\n"
				 "  - name: internal-no-keys\n"
				 "    match: { host: [\"*.internal\"] }\n"
				 "    receive: { deny: { detectors: [\"secret.*_key\"] } }\n");
	struct route_breach b[8];
	struct route_dest ext = { .api = "openai.chat", .host = "api.openai.com:443", .model_requested = "gpt-4o" };
	struct route_dest srv = { .api = "openai.chat",
				  .host = "127.0.0.1:8000",
				  .model_requested = "m",
				  .model_reported = "restricted-7b",
				  .exe = "/opt/serve/vllm",
				  .process_is_server = true };
	struct route_dest internal = { .api = "anthropic.messages", .host = "claude.internal" };

	(void)state;
	assert_int_equal(routing_rules(r), 4);
	/* a card to openai: the category rule; a private key: both rules */
	assert_int_equal(check(r, &ext, "financial.payment_card", true, b), 1);
	assert_string_equal(b[0].rule, "external");
	assert_string_equal(b[0].reason, "may not receive category financial");
	assert_int_equal(check(r, &ext, "secret.private_key", true, b), 2);
	assert_string_equal(b[1].rule, "openai-no-critical");
	assert_string_equal(b[1].reason, "may not receive severity critical");
	assert_int_equal(check(r, &ext, "pii.email", true, b), 0);
	assert_int_equal(check(r, &ext, "financial.payment_card", false, b), 0); /* receive says nothing of outputs */
	/* the reported model matches the glob; the allow list lets only pii and low through */
	assert_int_equal(check(r, &srv, "pii.email", false, b), 0);
	assert_int_equal(check(r, &srv, "pii.ip_address", false, b), 0);
	assert_int_equal(check(r, &srv, "financial.payment_card", false, b), 1);
	assert_string_equal(b[0].rule, "restricted");
	assert_non_null(strstr(b[0].reason, "may produce only what its allow list names, not financial.payment_card"));
	assert_int_equal(check(r, &srv, "financial.payment_card", true, b), 0);
	srv.process_is_server = false; /* every match key must hold */
	assert_int_equal(check(r, &srv, "financial.payment_card", false, b), 0);
	srv.process_is_server = true;
	srv.exe = "/usr/bin/python3";
	assert_int_equal(check(r, &srv, "financial.payment_card", false, b), 0);
	/* a detector glob */
	assert_int_equal(check(r, &internal, "secret.aws_secret_access_key", true, b), 1);
	assert_string_equal(b[0].reason, "may not receive detector secret.aws_secret_access_key");
	assert_int_equal(check(r, &internal, "secret.github_token", true, b), 0);
	assert_int_equal(routing_check(NULL, &ext, det("financial.payment_card"), true, b, 8), 0);
	routing_free(r);
}

/* external: false is the rest of the world: internal hosts and no host. */
static void test_routing_external_false(void **state)
{
	struct routing *r = load("rules:\n"
				 "  - name: internal-only-pii\n"
				 "    match: { external: false }\n"
				 "    produce: { deny: { categories: [secret] } }\n");
	struct route_breach b[8];
	struct route_dest none = { .api = "ollama.chat" }, ext = { .host = "api.anthropic.com" };

	(void)state;
	assert_int_equal(check(r, &none, "secret.github_token", false, b), 1);
	assert_int_equal(check(r, &ext, "secret.github_token", false, b), 0);
	routing_free(r);
}

static void test_routing_refuses(void **state)
{
	(void)state;
	refused("rules: {}\n", "1: rules: expected a list of rules");
	refused("rule: []\n", "1: unknown key 'rule' (expected rules)");
	refused("rules:\n  - match: { external: true }\n    receive: { deny: { categories: [pii] } }\n",
		"2: a rule needs a name");
	refused("rules:\n  - name: 'a b'\n    receive: { deny: { categories: [pii] } }\n", "2: name: expected");
	refused("rules:\n  - name: a\n    receive: { deny: { categories: [pii] }, allow: { categories: [pii] } }\n",
		"3: receive: expected one of allow or deny");
	refused("rules:\n  - name: a\n    receive: { block: { categories: [pii] } }\n",
		"3: receive: expected allow or deny");
	refused("rules:\n  - name: a\n    receive: { deny: {} }\n", "3: receive: names no category");
	refused("rules:\n  - name: a\n    receive: { deny: { categories: [] } }\n", "3: categories: an empty list");
	refused("rules:\n  - name: a\n    receive: { deny: { severities: [urgent] } }\n",
		"3: severities: 'urgent' is not a severity");
	refused("rules:\n  - name: a\n    match: { api: [openai.chatt] }\n    receive: { deny: { categories: [pii] } }\n",
		"3: api: 'openai.chatt' is not an API");
	refused("rules:\n  - name: a\n    match: { role: both }\n    receive: { deny: { categories: [pii] } }\n",
		"3: role: expected client or server");
	refused("rules:\n  - name: a\n    match: { pods: [x] }\n    receive: { deny: { categories: [pii] } }\n",
		"3: match: unknown key 'pods'");
	refused("rules:\n  - name: a\n    produce: { deny: { detectors: [\"nothing.*\"] } }\n",
		"3: detectors: 'nothing.*' names no detector");
}

/* A section of the agent's configuration file, and no policy at all. */
static void test_routing_section_and_none(void **state)
{
	size_t n;
	const struct detector *dets = detectors_builtin(&n);
	struct routing *r = (struct routing *)1;
	char err[256];

	(void)state;
	assert_int_equal(routing_load(&r, NULL, NULL, dets, n, err, sizeof(err)), 0);
	assert_null(r);
	assert_int_equal(routing_rules(NULL), 0);
	write_policy("selectors: { all: true }\nrouting:\n  rules:\n    - name: a\n"
		     "      receive: { deny: { categories: [health] } }\n");
	assert_int_equal(routing_load(&r, path, "routing", dets, n, err, sizeof(err)), 0);
	assert_int_equal(routing_rules(r), 1);
	routing_free(r);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routing_providers),
		cmocka_unit_test(test_routing_rules),
		cmocka_unit_test(test_routing_external_false),
		cmocka_unit_test(test_routing_refuses),
		cmocka_unit_test(test_routing_section_and_none),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
