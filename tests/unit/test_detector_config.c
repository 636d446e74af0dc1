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

#include "classify.h"
#include "detector_config.h"

static char path[64];

static const char *write_config(const char *text, mode_t mode)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/sealtap-detectors-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	fchmod(fd, mode);
	close(fd);
	return path;
}

/* The load must fail with this message (file:line: ...). */
static void refused(const char *text, const char *want)
{
	struct detector_set set;
	char err[512], expect[600];

	write_config(text, 0600);
	assert_int_equal(detector_set_load(&set, path, NULL, err, sizeof(err)), -1);
	snprintf(expect, sizeof(expect), "%s:%s", path, want);
	if (strncmp(err, expect, strlen(expect)) != 0)
		fail_msg("got \"%s\", want \"%s...\"", err, expect);
	assert_null(set.dets);
	unlink(path);
}

static const struct detector *find(const struct detector_set *set, const char *id)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->dets[i].id, id) == 0)
			return &set->dets[i];
	return NULL;
}

static int found;
static char found_id[48], found_mask[48];

static void on_finding(void *ctx, const struct cl_finding *f)
{
	(void)ctx;
	found++;
	snprintf(found_id, sizeof(found_id), "%s", f->det->id);
	snprintf(found_mask, sizeof(found_mask), "%s", f->masked);
}

static void scan(struct classifier *c, const char *text)
{
	struct cl_stream *s = cl_open(c, on_finding, NULL);

	found = 0;
	cl_feed(s, text, strlen(text));
	cl_close(s);
}

static void test_detector_config_applies(void **state)
{
	static const uint8_t key[32] = "detector-config-test-key-32bytes";
	struct detector_set set, builtin;
	struct classifier *c;
	char err[512];

	(void)state;
	assert_int_equal(detector_set_load(&builtin, NULL, NULL, err, sizeof(err)), 0);
	write_config("# turn one off, change one, add one\n"
		     "disable: [pii.email]\n"
		     "severity:\n"
		     "  financial.payment_card: critical\n"
		     "custom:\n"
		     "  - id: custom.employee_id\n"
		     "    category: pii\n"
		     "    severity: low\n"
		     "    pattern: 'EMP-[0-9]{6}'\n"
		     "    characters: 'A-Z0-9-'\n"
		     "    length: [10, 10]\n"
		     "    validator: luhn\n"
		     "    context: [Employee, staff]\n"
		     "    context_required: true\n"
		     "    mask: last2\n"
		     "    normalise: upper\n",
		     0644);
	assert_int_equal(detector_set_load(&set, path, NULL, err, sizeof(err)), 0);
	unlink(path);
	assert_int_equal(set.n, builtin.n); /* one off, one on */
	assert_null(find(&set, "pii.email"));
	assert_int_equal(find(&set, "financial.payment_card")->severity, SEV_CRITICAL);
	assert_int_equal(find(&builtin, "financial.payment_card")->severity, SEV_HIGH); /* a copy was changed */
	assert_string_equal(set.dets[set.n - 1].id, "custom.employee_id");
	c = classifier_new(set.dets, set.n, key, sizeof(key), err, sizeof(err));
	assert_non_null(c);
	scan(c, "Employee EMP-004218 joined."); /* 004218 passes Luhn */
	assert_int_equal(found, 1);
	assert_string_equal(found_id, "custom.employee_id");
	assert_string_equal(found_mask, "****18");
	scan(c, "Employee EMP-004211 joined."); /* fails Luhn */
	assert_int_equal(found, 0);
	scan(c, "Ticket EMP-004218 closed."); /* no context word */
	assert_int_equal(found, 0);
	scan(c, "write to maria.garcia@acme-corp.io"); /* disabled */
	assert_int_equal(found, 0);
	classifier_free(c);
	detector_set_release(&set);
	detector_set_release(&builtin);
}

static void test_detector_config_refuses(void **state)
{
	struct detector_set set;
	char err[512];

	(void)state;
	refused("disable: [pii.email]\nsurprise: 1\n", "2: unknown key 'surprise'");
	refused("disable: [pii.nope]\n", "1: disable: no built-in detector 'pii.nope'");
	refused("severity:\n  pii.email: severe\n", "2: severity 'severe': expected low, medium, high or critical");
	refused("custom:\n  - id: custom.x\n    pattern: 'X-[0-9'\n    characters: X0-9-\n    length: [3, 9]\n",
		"3: pattern does not compile");
	refused("custom:\n  - id: custom.x\n    pattern: 'X[0-9]+'\n", "2: a custom detector needs id, pattern");
	refused("custom:\n  - id: pii.email\n", "2: id: expected custom.NAME");
	refused("custom:\n  - id: custom.x\n    colour: red\n", "3: unknown key 'colour' in a custom detector");
	refused("custom:\n  - id: custom.x\n    length: [9, 3]\n", "3: length (longest): expected a whole number");
	refused("custom:\n  - id: custom.x\n    mask: middle\n", "3: mask 'middle'");
	refused("custom:\n  - id: custom.x\n    pattern: 'X[0-9]+'\n    characters: X0-9\n    length: [2, 9]\n"
		"    context_required: true\n",
		"2: custom.x: context_required without context words");
	refused("disable: [pii.email\n", "2: not valid YAML");
	/* Others may not write the file that decides what is reported. */
	write_config("disable: []\n", 0666);
	assert_int_equal(detector_set_load(&set, path, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "others can write it"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detector_config_applies),
		cmocka_unit_test(test_detector_config_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
