// SPDX-License-Identifier: Apache-2.0
#include "detectors.h"

#include <stdlib.h>
#include <string.h>

#include "detector_ends.h"
#include "validate.h"

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* refine: the first start at a word boundary from which the rest of the run
 * passes check (an IBAN after "IBAN ", a date after "born on"). */
static bool first_valid_start(const char *run, size_t n, size_t *start, bool (*check)(const char *, size_t))
{
	for (size_t i = 0; i < n; i++)
		if ((i == 0 || !is_alnum(run[i - 1])) && is_alnum(run[i]) && check(run + i, n - i)) {
			*start = i;
			return true;
		}
	return false;
}

static bool refine_card(const char *run, size_t n, size_t *start)
{
	return first_valid_start(run, n, start, card_ok);
}

/* One of the issuers' published test numbers. */
static bool card_test_value(const char *s, size_t n)
{
	char d[32];
	size_t nd = digits_of(s, n, d, sizeof(d));

	return card_is_test_number(d, nd);
}

static bool refine_iban(const char *run, size_t n, size_t *start)
{
	return first_valid_start(run, n, start, iban_ok);
}

static bool refine_date(const char *run, size_t n, size_t *start)
{
	return first_valid_start(run, n, start, date_ok);
}

/* The start that leaves exactly `want` digits (and an opening parenthesis
 * right before the first of them). */
static bool last_digits(const char *run, size_t n, size_t *start, size_t want)
{
	size_t seen = 0;

	for (size_t i = n; i-- > 0;) {
		if (!is_digit(run[i]))
			continue;
		if (++seen == want) {
			*start = i > 0 && run[i - 1] == '(' ? i - 1 : i;
			return true;
		}
	}
	return false;
}

static bool refine_ssn_spaced(const char *run, size_t n, size_t *start)
{
	return last_digits(run, n, start, 9);
}

static bool refine_phone_national(const char *run, size_t n, size_t *start)
{
	/* Eleven digits when the number starts with 0 (UK style), else ten. */
	return last_digits(run, n, start, 11) && run[*start + (run[*start] == '(')] == '0'
		       ? true
		       : last_digits(run, n, start, 10);
}

static bool refine_phone_intl(const char *run, size_t n, size_t *start)
{
	const char *plus = NULL;

	for (size_t i = 0; i < n; i++)
		if (run[i] == '+')
			plus = run + i;
	if (!plus)
		return false;
	*start = (size_t)(plus - run);
	return true;
}

bool det_last_literal(const char *run, size_t n, const char *lit, size_t *at)
{
	size_t l = strlen(lit);

	for (size_t i = n; i-- > 0;)
		if (i + l <= n && memcmp(run + i, lit, l) == 0) {
			*at = i;
			return true;
		}
	return false;
}

static bool refine_pem(const char *run, size_t n, size_t *start)
{
	return det_last_literal(run, n, "-----BEGIN", start);
}

static bool refine_putty(const char *run, size_t n, size_t *start)
{
	return det_last_literal(run, n, "PuTTY-User-Key-File-", start);
}

/* From its scheme: Slack's webhooks answer over http too. */
static bool refine_slack_webhook(const char *run, size_t n, size_t *start)
{
	if (!det_last_literal(run, n, "://hooks.slack.com/", start))
		return false;
	if (*start >= 5 && memcmp(run + *start - 5, "https", 5) == 0)
		*start -= 5;
	else if (*start >= 4 && memcmp(run + *start - 4, "http", 4) == 0)
		*start -= 4;
	else
		return false;
	return true;
}

/* scheme://user:password@ - the scheme is the letters (and jdbc: parts)
 * before the last "://". */
static bool refine_connstr(const char *run, size_t n, size_t *start)
{
	size_t i;

	if (!det_last_literal(run, n, "://", start))
		return false;
	i = *start;
	while (i > 0 && (is_alnum(run[i - 1]) || run[i - 1] == '+' || run[i - 1] == ':'))
		i--;
	*start = i;
	return true;
}

/* The last number-word followed by a capitalised word: "1600 Pennsylvania
 * Avenue" out of "Suite 5 at 1600 Pennsylvania Avenue". */
static bool refine_address(const char *run, size_t n, size_t *start)
{
	bool found = false;

	for (size_t i = 0; i + 2 < n; i++)
		if ((i == 0 || run[i - 1] == ' ') && is_digit(run[i])) {
			size_t j = i;

			while (j < n && is_digit(run[j]))
				j++;
			if (j + 1 < n && run[j] == ' ' && run[j + 1] >= 'A' && run[j + 1] <= 'Z') {
				*start = i;
				found = true;
			}
		}
	return found;
}

static bool email_ok(const char *s, size_t n)
{
	static const char *const doc_domains[] = {
		"example.com", "example.org", "example.net", "example.edu", "domain.com", "email.example",
		"yourcompany.com", "company.com", "test.com",
	};
	const char *at = memchr(s, '@', n), *dom, *tld;
	size_t dl;

	if (!at || at == s || at - s > 64 || memchr(at + 1, '@', n - (size_t)(at + 1 - s)))
		return false;
	dom = at + 1;
	dl = n - (size_t)(dom - s);
	if (dl < 4 || dom[0] == '.' || dom[0] == '-' || memmem(s, n, "..", 2))
		return false;
	tld = memrchr(dom, '.', dl);
	if (!tld || (size_t)(s + n - tld - 1) < 2)
		return false;
	for (const char *p = tld + 1; p < s + n; p++)
		if (!((*p | 32) >= 'a' && (*p | 32) <= 'z'))
			return false;
	/* Documentation domains (RFC 2606) and stand-ins. */
	for (size_t i = 0; i < sizeof(doc_domains) / sizeof(doc_domains[0]); i++) {
		size_t l = strlen(doc_domains[i]);

		if (dl >= l && strncasecmp(dom + dl - l, doc_domains[i], l) == 0 && (dl == l || dom[dl - l - 1] == '.'))
			return false;
	}
	for (const char *suffix = ".test\0.invalid\0.localhost\0.example\0"; *suffix; suffix += strlen(suffix) + 1) {
		size_t l = strlen(suffix);

		if (dl >= l && strncasecmp(dom + dl - l, suffix, l) == 0)
			return false;
	}
	return true;
}

/* +CC and 8 to 15 digits in all, separated by single spaces, dots or
 * dashes, with at most one parenthesised group. */
static bool phone_digits_ok(const char *s, size_t n)
{
	char d[24];
	size_t k = digits_of(s, n, d, sizeof(d));
	int parens = 0;

	for (size_t i = 1; i < n; i++) {
		if (s[i] == '(' || s[i] == ')')
			parens++;
		else if (!is_digit(s[i]) && !is_digit(s[i - 1]) && s[i - 1] != ')')
			return false; /* two separators in a row */
	}
	return s[0] == '+' && k >= 8 && k <= 15 && (parens == 0 || parens == 2);
}

static bool phone_national_ok(const char *s, size_t n)
{
	char d[24];
	size_t k = digits_of(s, n, d, sizeof(d));

	return (k == 10 && d[0] >= '2') || (k == 11 && d[0] == '0');
}

/* 123 45 6789: one separator kind, 3-2-4. */
static bool ssn_spaced_ok(const char *s, size_t n)
{
	return (n == 9 || (n == 11 && s[3] == s[6] && (s[3] == ' ' || s[3] == '-'))) && ssn_ok(s, n);
}

/* 123-45-6789 or 123.45.6789: one separator, in both places. */
static bool ssn_dashed_ok(const char *s, size_t n)
{
	return n == 11 && (s[3] == '-' || s[3] == '.') && s[6] == s[3] && ssn_ok(s, n);
}

static bool id_number_ok(const char *s, size_t n)
{
	char d[24];

	return digits_of(s, n, d, sizeof(d)) >= 6;
}

static bool eth_ok(const char *s, size_t n)
{
	return n == 42 && s[0] == '0' && s[1] == 'x';
}

static bool icd10_ok(const char *s, size_t n)
{
	return n >= 3 && n <= 8 && (n == 3 || s[3] == '.');
}

static bool address_ok(const char *s, size_t n)
{
	size_t start;

	return refine_address(s, n, &start) && start == 0;
}

static bool has_prefix(const char *s, size_t n, const char *p)
{
	size_t l = strlen(p);

	return n >= l && memcmp(s, p, l) == 0;
}

static bool jwt_value_ok(const char *s, size_t n)
{
	return has_prefix(s, n, "eyJ") && jwt_ok(s, n);
}

static bool openai_ok(const char *s, size_t n)
{
	return has_prefix(s, n, "sk-proj-") || has_prefix(s, n, "sk-svcacct-") || has_prefix(s, n, "sk-admin-") ||
	       (has_prefix(s, n, "sk-") && memmem(s, n, "T3BlbkFJ", 8));
}

/* A generic secret value mixes character classes (lower, upper, digit,
 * symbol), at least two of them; one case of letters with only - _ . is
 * an identifier ("my-tls-secret", "API_KEY_HEADER"), not a secret. */
static bool generic_secret_ok(const char *s, size_t n)
{
	bool lowc = false, up = false, dig = false, sym = false, ident_sym = true;

	/* A reference to a secret, not one: $VAR, %VAR% (shells, Windows). */
	if (n > 0 && (s[0] == '$' || s[0] == '%'))
		return false;

	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		lowc |= ch >= 'a' && ch <= 'z';
		up |= ch >= 'A' && ch <= 'Z';
		dig |= is_digit(ch);
		if (!is_alnum(ch)) {
			sym = true;
			ident_sym &= ch == '-' || ch == '_' || ch == '.';
		}
	}
	if (lowc + up + dig + sym < 2)
		return false;
	/* snake_case and UPPER_CASE with only - _ . : another key's name. */
	return !((lowc != up) && !dig && ident_sym);
}

static bool connstr_ok(const char *s, size_t n)
{
	static const char *const stand_ins[] = { "password", "pass", "pwd", "secret", "user", "changeme", "admin" };
	const char *sep = memmem(s, n, "://", 3), *colon, *at = s + n - 1;
	size_t pl;

	if (!sep || *at != '@')
		return false;
	colon = memchr(sep + 3, ':', (size_t)(at - sep - 3));
	if (!colon)
		return false;
	pl = (size_t)(at - colon - 1);
	for (size_t i = 0; i < sizeof(stand_ins) / sizeof(stand_ins[0]); i++)
		if (pl == strlen(stand_ins[i]) && strncasecmp(colon + 1, stand_ins[i], pl) == 0)
			return false;
	return pl > 0 && !looks_placeholder(colon + 1, pl);
}

static const char *const ctx_phone[] = { "phone", "telephone", "tel", "call", "mobile", "cell", "fax",
					 "contact", "reach", "text", "whatsapp", "dial", NULL };
static const char *const ctx_ssn[] = { "ssn", "social security", "social security number", "ss#", "ssn#", NULL };
static const char *const ctx_passport[] = { "passport", "passport number", "passport no", "travel document",
					    NULL };
static const char *const ctx_licence[] = { "driver's license", "driver’s license", "drivers license",
					   "driver license", "driver's licence", "driving licence",
					   "driving license", "license number", "licence number", "dl", "dl#",
					   NULL };
static const char *const ctx_dob[] = { "born", "birth", "date of birth", "dob", "d.o.b", "birthday",
				       "birthdate", NULL };
static const char *const ctx_address[] = { "address", "lives at", "live at", "living at", "resides at",
					   "residence", "ship to", "shipping", "billing", "mailing",
					   "located at", "mail to", "send to", "deliver to", NULL };
static const char *const ctx_aba[] = { "routing", "aba", "rtn", "routing number", "transit", NULL };
static const char *const ctx_bic[] = { "swift", "bic", "swift code", "bic code", NULL };
static const char *const ctx_eth[] = { "ethereum", "eth", "ether", "wallet", "metamask", NULL };
static const char *const ctx_npi[] = { "npi", "national provider", "provider", "provider id", "provider number",
				       "prescriber", NULL };
static const char *const ctx_icd[] = { "diagnosis", "diagnosed", "icd", "icd-10", "icd10", "dx", "condition",
				       "disorder", "patient", "medical", "clinical", NULL };
static const char *const ctx_mrn[] = { "mrn", "medical record", "medical record number", "patient id",
				       "patient number", "chart number", "hospital number", NULL };
/* Words before a number that say it is an identifier of something else
 * ("webhooks": a Discord webhook's 18-digit id, Luhn-valid one time in ten). */
static const char *const anti_ids[] = { "order", "invoice", "ticket", "tracking", "sku", "isbn", "ref",
					"reference", "confirmation", "serial", "part", "version", "webhooks",
					NULL };
static const char *const anti_ip[] = { "version", "ver", "release", "build", "v", NULL };

#define DIGITS "0-9"

/*
 * Long runs are left open in the patterns ("{8,}", not "{8,128}"): the
 * confirm stage bounds every value by max_len anyway, and Hyperscan's
 * bounded repeats of a hundred or more cost ~1.8 instructions per byte of
 * the streaming scan on text dense with secrets (callgrind, the eleven
 * repeats together). An open run reports a superset of match ends, each
 * judged by its value's length.
 */
/* The generic secret rule: a name that says "secret", with what may
 * follow it in a key ("db_password.prod"), then an assignment in the
 * syntaxes people paste: = : := => of most languages and formats, Make's
 * ?= ::= :::=, PHP's .= and a subscript's closing quote and bracket
 * ($cfg['db_password'] .=), a string type between name and operator (Go's
 * var x string = ..., Python's x: str = ..., TypeScript's x: string = ...). Spaces, not line breaks, around the operator: a value
 * never runs on into the next line's assignment. */
#define SECRET_NAME                                                                                              \
	"(?i:password|passwd|passphrase|pwd|pass|secret|token|auth|api[_\\-]?key|apikey|access[_\\-]?key|"      \
	"auth[_\\-]?key|client[_\\-]?secret|private[_\\-]?key|credentials?)(?:[_.\\-][A-Za-z0-9_.\\-]{0,20})?"
#define SECRET_TYPE "(?:[ \\t]*:?[ \\t]+(?:string|String|str|&str|\\[\\]byte|char\\*))?"
#define SECRET_OP "[ \\t]{0,3}(?::|=|:=|=>|\\?=|::=|:::=|\\.=)[ \\t]{0,3}"
#define SECRET_VALUE "[A-Za-z0-9_\\-+/.!@#$%^&*~]{8,}"

/* Secrets first: the most specific patterns win overlaps; then the
 * vendors' formats (tokens.c); then credentials by where they are placed
 * (cred_syntax.c: headers, command lines); then the rest, from the generic
 * secret on. */
static const struct detector specific[] = {

	{ .id = "secret.private_key", .kind = "private_key", .category = CAT_SECRET, .severity = SEV_CRITICAL,
	  .pattern = "-----BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----", .charset = "A-Z0-9 -",
	  .min_len = 20, .max_len = 80, .refine = refine_pem, .body = BODY_PEM, .mask = MASK_PREFIX, .mask_prefix = 10,
	  .norm = NORM_EXACT },
	/* PuTTY's key file (versions 2 and 3), its first line up to the key
	 * type; raised on its private lines. */
	{ .id = "secret.putty_private_key", .kind = "putty_private_key", .category = CAT_SECRET,
	  .severity = SEV_CRITICAL,
	  .pattern = "PuTTY-User-Key-File-[23]: (?:ssh-(?:rsa|dss|ed25519|ed448)|ecdsa-sha2-nistp(?:256|384|521))",
	  .charset = "A-Za-z0-9: -", .min_len = 29, .max_len = 52, .refine = refine_putty, .body = BODY_PUTTY,
	  .mask = MASK_PREFIX, .mask_prefix = 20, .norm = NORM_EXACT },

	{ .id = "secret.aws_access_key_id", .kind = "aws_access_key_id", .category = CAT_SECRET,
	  .severity = SEV_HIGH,
	  .pattern = "(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z2-7]{16}" END_WORD,
	  .charset = "A-Z0-9", .min_len = 20, .max_len = 20, .placeholder_filter = true,
	  .mask = MASK_PREFIX, .mask_prefix = 4, .norm = NORM_EXACT },

	{ .id = "secret.aws_secret_access_key", .kind = "aws_secret_access_key", .category = CAT_SECRET,
	  .severity = SEV_CRITICAL,
	  .pattern = "(?:(?i:aws)[A-Za-z0-9_ .\\-]{0,24}(?i:secret)|(?i:secret_?access_?key))[A-Za-z0-9_ .\\-]{0,24}"
		     "[\"']?\\s{0,3}[:=>]{1,2}\\s{0,3}[\"']?[A-Za-z0-9/+]{40}" END_B64,
	  .charset = "A-Za-z0-9/+", .min_len = 40, .max_len = 40, .min_entropy = 4.0,
	  .placeholder_filter = true, .mask = MASK_NONE, .norm = NORM_EXACT },

	{ .id = "secret.gcp_api_key", .kind = "gcp_api_key", .category = CAT_SECRET, .severity = SEV_HIGH,
	  .pattern = "AIza[0-9A-Za-z_\\-]{35}" END_TOK, .charset = "0-9A-Za-z_-", .min_len = 39, .max_len = 39,
	  .placeholder_filter = true, .mask = MASK_PREFIX, .mask_prefix = 4, .norm = NORM_EXACT },

	{ .id = "secret.gcp_service_account", .kind = "gcp_service_account", .category = CAT_SECRET,
	  .severity = SEV_CRITICAL, .pattern = "\"private_key_id\"\\s{0,3}:\\s{0,3}\"[0-9a-f]{40}\"",
	  .charset = "0-9a-f", .min_len = 40, .max_len = 40, .placeholder_filter = true, .mask = MASK_NONE,
	  .norm = NORM_EXACT },

	{ .id = "secret.azure_client_secret", .kind = "azure_client_secret", .category = CAT_SECRET,
	  .severity = SEV_CRITICAL, .pattern = "[A-Za-z0-9_~.\\-]{3}[0-9]Q~[A-Za-z0-9_~.\\-]{31,34}[^A-Za-z0-9_~.\\-]",
	  .charset = "A-Za-z0-9_~.-", .min_len = 37, .max_len = 40, .min_entropy = 3.5,
	  .placeholder_filter = true, .mask = MASK_NONE, .norm = NORM_EXACT },

	{ .id = "secret.github_token", .kind = "github_token", .category = CAT_SECRET, .severity = SEV_CRITICAL,
	  .pattern = "(?:(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})" END_WORD,
	  .charset = "A-Za-z0-9_", .min_len = 40, .max_len = 93, .placeholder_filter = true,
	  .mask = MASK_PREFIX, .mask_prefix = 4, .norm = NORM_EXACT },

	{ .id = "secret.gitlab_token", .kind = "gitlab_token", .category = CAT_SECRET, .severity = SEV_CRITICAL,
	  .pattern = "(?:glpat|gldt|glrt|glrtr|glptt|gloas|glsoat|glcbt|glft|glimt|glagent|glffct|glwt)-[A-Za-z0-9_\\-]{20,64}" END_TOK,
	  .charset = "A-Za-z0-9_-", .min_len = 25, .max_len = 72, .placeholder_filter = true,
	  .mask = MASK_PREFIX, .mask_prefix = 5, .norm = NORM_EXACT },

	{ .id = "secret.slack_webhook", .kind = "slack_webhook", .category = CAT_SECRET, .severity = SEV_HIGH,
	  .pattern = "https?://hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/]{20,}[^A-Za-z0-9_/]",
	  .charset = "A-Za-z0-9_/:.", .min_len = 44, .max_len = 160, .refine = refine_slack_webhook,
	  .placeholder_filter = true, .mask = MASK_PREFIX, .mask_prefix = 24, .norm = NORM_EXACT },

	{ .id = "secret.slack_token", .kind = "slack_token", .category = CAT_SECRET, .severity = SEV_HIGH,
	  /* Bot, user, app, refresh, legacy workspace tokens; config tokens
	   * (xoxe.xoxp-1-...) whole. */
	  .pattern = "(?:xoxe\\.)?xox[baprseo]-[0-9A-Za-z\\-]{10,}" END_TOK, .charset = "0-9A-Za-z.-", .min_len = 15,
	  .max_len = 255, .placeholder_filter = true, .mask = MASK_PREFIX, .mask_prefix = 5,
	  .norm = NORM_EXACT },

	{ .id = "secret.stripe_live_key", .kind = "stripe_key", .category = CAT_SECRET, .severity = SEV_CRITICAL,
	  .pattern = "(?:sk|rk)_live_[0-9A-Za-z]{20,}" END_WORD, .charset = "0-9A-Za-z_", .min_len = 28,
	  .max_len = 255, .placeholder_filter = true, .mask = MASK_PREFIX, .mask_prefix = 8,
	  .norm = NORM_EXACT },

	{ .id = "secret.stripe_test_key", .kind = "stripe_key", .category = CAT_SECRET, .severity = SEV_MEDIUM,
	  .pattern = "(?:sk|rk)_test_[0-9A-Za-z]{20,}" END_WORD, .charset = "0-9A-Za-z_", .min_len = 28,
	  .max_len = 255, .placeholder_filter = true, .mask = MASK_PREFIX, .mask_prefix = 8,
	  .norm = NORM_EXACT },

	{ .id = "secret.anthropic_api_key", .kind = "anthropic_api_key", .category = CAT_SECRET,
	  .severity = SEV_CRITICAL, .pattern = "sk-ant-(?:api|admin|sid)[0-9]{2}-[A-Za-z0-9_\\-]{80,}" END_TOK,
	  .charset = "A-Za-z0-9_-", .min_len = 93, .max_len = 135, .placeholder_filter = true,
	  .mask = MASK_PREFIX, .mask_prefix = 7, .norm = NORM_EXACT },

	{ .id = "secret.openai_api_key", .kind = "openai_api_key", .category = CAT_SECRET,
	  .severity = SEV_CRITICAL,
	  .pattern = "sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_\\-]{40,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})" END_TOK,
	  .charset = "A-Za-z0-9_-", .min_len = 48, .max_len = 270, .valid = openai_ok,
	  .placeholder_filter = true, .mask = MASK_PREFIX, .mask_prefix = 3, .norm = NORM_EXACT },

	{ .id = "secret.huggingface_token", .kind = "huggingface_token", .category = CAT_SECRET,
	  .severity = SEV_HIGH, .pattern = "hf_[A-Za-z]{34}" END_WORD, .charset = "A-Za-z_", .min_len = 37,
	  .max_len = 37, .min_entropy = 3.5, .placeholder_filter = true, .mask = MASK_PREFIX,
	  .mask_prefix = 3, .norm = NORM_EXACT },

	{ .id = "secret.jwt", .kind = "jwt", .category = CAT_SECRET, .severity = SEV_HIGH,
	  .pattern = "eyJ[A-Za-z0-9_\\-]{8,}\\.eyJ[A-Za-z0-9_\\-]{8,}\\.[A-Za-z0-9_\\-]{8,}[^A-Za-z0-9_.\\-]",
	  .charset = "A-Za-z0-9_.-", .min_len = 30, .max_len = 4110, .valid = jwt_value_ok,
	  .placeholder_filter = false, .mask = MASK_PREFIX, .mask_prefix = 3, .norm = NORM_EXACT },

	{ .id = "secret.connection_string", .kind = "connection_string", .category = CAT_SECRET,
	  .severity = SEV_HIGH,
	  .pattern = "(?i:postgres(?:ql)?|mysql|mariadb|mongodb(?:\\+srv)?|rediss?|amqps?|mssql|sqlserver|"
		     "jdbc:[a-z]{2,12}|s?ftp|smtps?|ldaps?)://[^\\s:/@\"'<>]{1,64}:[^\\s@/\"'<>]+@",
	  .charset = "!#-&(-;=?-~", .min_len = 12, .max_len = 220, .refine = refine_connstr,
	  .valid = connstr_ok, .mask = MASK_PREFIX, .mask_prefix = 0, .norm = NORM_EXACT },

};

static const struct detector general[] = {
	{ .id = "secret.generic", .kind = "generic_secret", .category = CAT_SECRET, .severity = SEV_MEDIUM,
	  .pattern = "(?:" SECRET_NAME "[\"']?\\]?" SECRET_TYPE "[\"']?" SECRET_OP "[\"']?"
		     /* <password>value</password>, the value perhaps on the next line */
		     "|<" SECRET_NAME ">\\s{0,24}"
		     /* <add key="ApiKey" value="...">, name="password" value="..." */
		     "|(?i:key|name)\\s?=\\s?[\"'][A-Za-z0-9_.\\-]{0,24}" SECRET_NAME "[\"']\\s{1,3}(?i:value)\\s?=\\s?[\"']"
		     /* setProperty("db.password", "..."), getenv("DB_PASSWORD", "...") */
		     "|[\"'][A-Za-z0-9_.\\-]{0,24}" SECRET_NAME "[\"']\\s{0,3},\\s{0,3}[\"'])"
		     SECRET_VALUE "={0,2}[^A-Za-z0-9_\\-+/.!@#$%^&*~=]",
	  .charset = "A-Za-z0-9_+/.!@#$%^&*~-", .min_len = 8, .max_len = 128, .trim = ".",
	  .valid = generic_secret_ok, .min_entropy = 3.0, .placeholder_filter = true, .mask = MASK_NONE,
	  .norm = NORM_EXACT },

	/* A number written with its country code: stronger than any context word. */
	{ .id = "pii.phone_intl", .kind = "phone", .category = CAT_PII, .severity = SEV_MEDIUM,
	  .pattern = "\\+[1-9][0-9 .()\\-]{6,20}[0-9]" END_GROUPS,
	  .charset = DIGITS "+ .()-", .min_len = 9, .max_len = 24, .trim = " .-(", .refine = refine_phone_intl,
	  .valid = phone_digits_ok, .mask = MASK_LAST2, .norm = NORM_DIGITS },

	/* Confirmed by context words: where the text says what a value is, that wins
	 * an overlap with a detector that only knows its shape. */
	{ .id = "financial.aba_routing", .kind = "aba_routing", .category = CAT_FINANCIAL, .severity = SEV_MEDIUM,
	  .pattern = "[0-9]{9}" END_NUM, .charset = DIGITS, .min_len = 9, .max_len = 9, .valid = aba_ok,
	  .context = ctx_aba, .context_required = true, .mask = MASK_LAST4, .norm = NORM_DIGITS },
	{ .id = "financial.swift_bic", .kind = "swift_bic", .category = CAT_FINANCIAL, .severity = SEV_LOW,
	  .pattern = "[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?" END_WORD, .charset = "A-Z0-9", .min_len = 8,
	  .max_len = 11, .valid = bic_ok, .context = ctx_bic, .context_required = true,
	  .mask = MASK_FIRST2, .norm = NORM_UPPER },
	{ .id = "financial.eth_address", .kind = "crypto_wallet", .category = CAT_FINANCIAL,
	  .severity = SEV_MEDIUM, .pattern = "0x[0-9a-fA-F]{40}" END_WORD, .charset = "0-9a-fA-Fx",
	  .min_len = 42, .max_len = 42, .valid = eth_ok, .context = ctx_eth, .context_required = true,
	  .placeholder_filter = true, .mask = MASK_LAST4, .norm = NORM_LOWER },
	{ .id = "health.npi", .kind = "npi", .category = CAT_HEALTH, .severity = SEV_MEDIUM,
	  .pattern = "[12][0-9]{9}" END_NUM, .charset = DIGITS, .min_len = 10, .max_len = 10, .valid = npi_ok,
	  .context = ctx_npi, .context_required = true, .mask = MASK_LAST4, .norm = NORM_DIGITS },
	{ .id = "health.mrn", .kind = "mrn", .category = CAT_HEALTH, .severity = SEV_HIGH,
	  .pattern = "(?:[A-Z]{1,3}-?)?[0-9]{6,10}" END_NUM, .charset = "A-Z0-9-", .min_len = 6, .max_len = 14,
	  .trim = "-", .valid = id_number_ok, .context = ctx_mrn, .context_required = true,
	  .placeholder_filter = true, .mask = MASK_LAST2, .norm = NORM_UPPER },
	{ .id = "health.icd10", .kind = "icd10", .category = CAT_HEALTH, .severity = SEV_MEDIUM,
	  .pattern = "[A-TV-Z][0-9][0-9AB](?:\\.[0-9A-KXZ]{1,4})?" END_HOST, .charset = "A-Z0-9.",
	  .min_len = 3, .max_len = 8, .trim = ".", .valid = icd10_ok, .context = ctx_icd,
	  .context_required = true, .mask = MASK_NONE, .norm = NORM_UPPER },
	{ .id = "pii.ssn_context", .kind = "ssn", .category = CAT_PII, .severity = SEV_HIGH,
	  .pattern = "(?:[0-9]{9}|[0-9]{3} [0-9]{2} [0-9]{4})" END_GROUPS, .charset = DIGITS " ", .min_len = 9,
	  .max_len = 11, .trim = " ", .refine = refine_ssn_spaced, .valid = ssn_spaced_ok, .context = ctx_ssn,
	  .context_required = true, .mask = MASK_LAST4, .norm = NORM_DIGITS },
	{ .id = "pii.passport", .kind = "passport", .category = CAT_PII, .severity = SEV_HIGH,
	  .pattern = "[A-Z]{0,2}[0-9]{6,9}" END_NUM, .charset = "A-Z0-9", .min_len = 6, .max_len = 11,
	  .valid = id_number_ok, .context = ctx_passport, .context_required = true,
	  .placeholder_filter = true, .mask = MASK_LAST2, .norm = NORM_UPPER },
	{ .id = "pii.drivers_license", .kind = "drivers_license", .category = CAT_PII, .severity = SEV_HIGH,
	  .pattern = "[A-Z]{0,2}[0-9]{5,13}" END_NUM, .charset = "A-Z0-9", .min_len = 6, .max_len = 15,
	  .valid = id_number_ok, .context = ctx_licence, .context_required = true,
	  .placeholder_filter = true, .mask = MASK_LAST2, .norm = NORM_UPPER },
	/* (415) 555-0132: the North American way of writing a number, a phone
	 * number without a word to say so. */
	{ .id = "pii.phone_us", .kind = "phone", .category = CAT_PII, .severity = SEV_MEDIUM,
	  .pattern = "\\([2-9][0-9]{2}\\) ?[2-9][0-9]{2}-[0-9]{4}" END_NUM, .charset = DIGITS " ()-", .min_len = 13,
	  .max_len = 14, .trim = " -", .refine = refine_phone_national, .valid = phone_national_ok,
	  .mask = MASK_LAST2, .norm = NORM_DIGITS },
	{ .id = "pii.phone_national", .kind = "phone", .category = CAT_PII, .severity = SEV_MEDIUM,
	  .pattern = "(?:\\(?[2-9][0-9]{2}\\)?[ .\\-]?[2-9][0-9]{2}[ .\\-][0-9]{4}|"
		     "0[1-9][0-9]{1,3}[ \\-]?[0-9]{3,4}[ \\-]?[0-9]{3,4})" END_GROUPS,
	  .charset = DIGITS " .()-", .min_len = 10, .max_len = 16, .trim = " .-", .refine = refine_phone_national,
	  .valid = phone_national_ok, .context = ctx_phone, .context_required = true, .mask = MASK_LAST2,
	  .norm = NORM_DIGITS },
	{ .id = "pii.date_of_birth", .kind = "date_of_birth", .category = CAT_PII, .severity = SEV_MEDIUM,
	  .pattern = "(?:(?:19|20)[0-9]{2}[\\-/.][0-9]{1,2}[\\-/.][0-9]{1,2}|[0-9]{1,2}[\\-/.][0-9]{1,2}[\\-/.](?:19|20)[0-9]{2}|"
		     "(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\\.? [0-9]{1,2}(?:st|nd|rd|th)?,? (?:19|20)[0-9]{2}|"
		     "[0-9]{1,2}(?:st|nd|rd|th)? (?:of )?(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\\.?,? (?:19|20)[0-9]{2})" END_NUM,
	  .charset = "A-Za-z0-9 ,./-", .min_len = 6, .max_len = 40, .trim = " ,.-/", .refine = refine_date,
	  .valid = date_ok, .context = ctx_dob, .context_required = true, .mask = MASK_NONE,
	  .norm = NORM_DIGITS },
	{ .id = "pii.postal_address", .kind = "postal_address", .category = CAT_PII, .severity = SEV_MEDIUM,
	  .pattern = "[0-9]{1,6} (?:[A-Z][A-Za-z]+\\.? ){1,4}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|"
		     "Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq)\\.?" END_WORD,
	  .charset = "A-Za-z0-9 .", .min_len = 8, .max_len = 80, .trim = " .", .refine = refine_address,
	  .valid = address_ok, .context = ctx_address, .context_required = true, .mask = MASK_NONE,
	  .norm = NORM_LOWER },

	/* Self-validating formats. */
	{ .id = "financial.payment_card", .kind = "payment_card", .category = CAT_FINANCIAL,
	  .severity = SEV_HIGH, .pattern = "[0-9](?:[ \\-]?[0-9]){12,18}" END_GROUPS, .charset = DIGITS " -",
	  .min_len = 13, .max_len = 23, .trim = " -", .refine = refine_card, .valid = card_ok, .test_value = card_test_value,
	  .anti_context = anti_ids, .mask = MASK_LAST4, .norm = NORM_DIGITS,
	  .gate = GATE_CARD },
	{ .id = "financial.iban", .kind = "iban", .category = CAT_FINANCIAL, .severity = SEV_HIGH,
	  .pattern = "[A-Z]{2}[0-9]{2}(?:[ \\-]?[A-Z0-9]){11,30}" END_WORD, .charset = "A-Z0-9 -", .min_len = 15,
	  .max_len = 42, .trim = " -", .refine = refine_iban, .valid = iban_ok, .mask = MASK_FIRST2,
	  .norm = NORM_UPPER,
	  .gate = GATE_IBAN },
	{ .id = "financial.crypto_wallet", .kind = "crypto_wallet", .category = CAT_FINANCIAL,
	  .severity = SEV_MEDIUM,
	  .pattern = "(?:[13][1-9A-HJ-NP-Za-km-z]{25,34}|(?i:bc1)[02-9ac-hj-np-zAC-HJ-NP-Z]{39,59})" END_WORD,
	  .charset = "A-Za-z0-9", .min_len = 26, .max_len = 62, .valid = btc_address_ok, .mask = MASK_LAST4,
	  .norm = NORM_EXACT,
	  .gate = GATE_ALNUM26 },
	{ .id = "health.dea_number", .kind = "dea_number", .category = CAT_HEALTH, .severity = SEV_HIGH,
	  .pattern = "[A-Z][A-Z9][0-9]{7}" END_WORD, .charset = "A-Z0-9", .min_len = 9, .max_len = 9,
	  .valid = dea_ok, .anti_context = anti_ids, .mask = MASK_LAST2, .norm = NORM_UPPER,
	  .gate = GATE_DIGITS7 },
	{ .id = "pii.ssn", .kind = "ssn", .category = CAT_PII, .severity = SEV_HIGH,
	  .pattern = "[0-9]{3}(?:-[0-9]{2}-|\\.[0-9]{2}\\.)[0-9]{4}" END_NUM, .charset = DIGITS "-.", .min_len = 11,
	  .max_len = 11, .trim = "-.", .valid = ssn_dashed_ok, .anti_context = anti_ids, .mask = MASK_LAST4,
	  .norm = NORM_DIGITS,
	  .gate = GATE_SSN },
	{ .id = "pii.email", .kind = "email", .category = CAT_PII, .severity = SEV_MEDIUM,
	  .pattern = "@[A-Za-z0-9\\-]{1,63}(?:\\.[A-Za-z0-9\\-]{1,63}){0,8}\\.[A-Za-z]{2,24}" END_HOST,
	  .charset = "A-Za-z0-9._%+@-", .min_len = 6, .max_len = 254, .trim = ".-_%+", .valid = email_ok,
	  .mask = MASK_EMAIL, .norm = NORM_LOWER },
	{ .id = "pii.ip_address", .kind = "ip_address", .category = CAT_PII, .severity = SEV_LOW,
	  .pattern = "(?:[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}|[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:]{1,35})" END_HOST,
	  .charset = "0-9A-Fa-f.:", .min_len = 3, .max_len = 45, .trim = ".", .valid = ip_ok,
	  .anti_context = anti_ip, .mask = MASK_FIRST2, .norm = NORM_LOWER,
	  .gate = GATE_IPV4 | GATE_IPV6 },
};

void det_charset_bits(const char *spec, uint8_t bits[32])
{
	memset(bits, 0, 32);
	for (size_t i = 0; spec[i]; i++) {
		unsigned lo = (uint8_t)spec[i], hi = lo;

		if (spec[i + 1] == '-' && spec[i + 2]) {
			hi = (uint8_t)spec[i + 2];
			i += 2;
		}
		for (unsigned ch = lo; ch <= hi; ch++)
			bits[ch >> 3] |= (uint8_t)(1u << (ch & 7));
	}
}

#define NSPECIFIC (sizeof(specific) / sizeof(specific[0]))
#define NGENERAL (sizeof(general) / sizeof(general[0]))
#define NVENDOR_MAX 256 /* room for tokens.c's and cred_syntax.c's tables */

const struct detector *detectors_builtin(size_t *n)
{
	static struct detector all[NSPECIFIC + NVENDOR_MAX + NGENERAL];
	static size_t nall;
	size_t nvendor, nplaced;
	const struct detector *vendor = detectors_vendor(&nvendor), *placed = detectors_placed(&nplaced);

	/* Put together once, in priority order; the agent has one thread. */
	if (nvendor + nplaced > NVENDOR_MAX)
		abort(); /* a table grown past its room: caught by every test */
	if (!nall) {
		memcpy(all, specific, sizeof(specific));
		memcpy(all + NSPECIFIC, vendor, nvendor * sizeof(*vendor));
		memcpy(all + NSPECIFIC + nvendor, placed, nplaced * sizeof(*placed));
		memcpy(all + NSPECIFIC + nvendor + nplaced, general, sizeof(general));
		nall = NSPECIFIC + nvendor + nplaced + NGENERAL;
	}
	*n = nall;
	return all;
}

const char *det_category_name(enum det_category c)
{
	switch (c) {
	case CAT_PII: return "pii";
	case CAT_FINANCIAL: return "financial";
	case CAT_HEALTH: return "health";
	case CAT_SECRET: return "secret";
	}
	return "unknown";
}

const char *det_severity_name(enum det_severity s)
{
	switch (s) {
	case SEV_LOW: return "low";
	case SEV_MEDIUM: return "medium";
	case SEV_HIGH: return "high";
	case SEV_CRITICAL: return "critical";
	}
	return "unknown";
}
