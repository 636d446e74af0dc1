// SPDX-License-Identifier: Apache-2.0
/*
 * cred_syntax - credentials known by where people put them rather than by
 * their shape: HTTP authentication headers (Bearer, Basic, Token, API-key
 * headers) and command lines (curl -u, mysql -p, sshpass, docker login,
 * --password/--token flags), as pasted into prompts and sent by tools.
 *
 * A value so placed can be anything, so each is judged: not a reference
 * ($VAR, ${VAR}, {{ var }}, <...>), not a placeholder, not a word or an
 * identifier alone; Basic credentials must decode to user:password.
 */
#include "detectors.h"

#include <stdint.h>
#include <string.h>

#include "validate.h"

/* What a token in a header may hold (RFC 6750's b64token, and '='). */
#define TOKEN68 "[A-Za-z0-9_.~+/\\-]"
#define TOKEN68_SET "A-Za-z0-9_.~+/=-"
#define AFTER_TOKEN68 "[^A-Za-z0-9_.~+/=\\-]"
/* A command-line value: anything printable but spaces and quotes. */
#define ARG_SET "!#-&(-~"
#define ARG "[!#-&(-~]"
#define AFTER_ARG "[\\s'\"]"

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Stand-ins people type where a secret goes. */
static bool stand_in(const char *s, size_t n)
{
	static const char *const words[] = { "password", "passwd", "pass", "secret", "token", "changeme", "admin",
					     "root", "user", "username", "apikey", "api_key", "none", "null", NULL };

	for (size_t i = 0; words[i]; i++)
		if (n == strlen(words[i]) && strncasecmp(s, words[i], n) == 0)
			return true;
	return false;
}

/* A value in a place a secret goes is one unless it is a reference to one
 * ($VAR, %VAR%, a path, @file), a stand-in, or a plain word: it must mix at
 * least two of lower case, upper case, digits and symbols, and not be
 * lower case with only - _ . (an identifier). */
static bool placed_secret_ok(const char *s, size_t n)
{
	bool low = false, up = false, dig = false, sym = false, ident_sym = true;

	if (n == 0 || s[0] == '$' || s[0] == '%' || s[0] == '@' || s[0] == '/' || s[0] == '-' || stand_in(s, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		low |= is_lower(s[i]);
		up |= is_upper(s[i]);
		dig |= is_digit(s[i]);
		if (!is_lower(s[i]) && !is_upper(s[i]) && !is_digit(s[i])) {
			sym = true;
			ident_sym &= s[i] == '-' || s[i] == '_' || s[i] == '.';
		}
	}
	return low + up + dig + sym >= 2 && !(low && !up && !dig && ident_sym);
}

/* A bearer token that is not a JWT: JWTs are judged by their own
 * detectors (a signed one verified in shape, an unsigned one by its
 * "alg":"none"), whatever header carries them. */
static bool bearer_ok(const char *s, size_t n)
{
	return placed_secret_ok(s, n) && !(n > 3 && memcmp(s, "eyJ", 3) == 0 && memchr(s, '.', n));
}

/* Basic credentials: base64 of user:password, printable, both parts there
 * and the password no stand-in. */
static bool basic_ok(const char *s, size_t n)
{
	uint8_t out[512];
	int len = b64_decode(s, n, out, sizeof(out));
	const uint8_t *colon;

	if (len < 3)
		return false;
	for (int i = 0; i < len; i++)
		if (out[i] < 0x20 || out[i] == 0x7f)
			return false;
	colon = memchr(out, ':', (size_t)len);
	if (!colon || colon == out || colon == out + len - 1)
		return false;
	return !stand_in((const char *)colon + 1, (size_t)(out + len - colon - 1)) &&
	       !looks_placeholder((const char *)colon + 1, (size_t)(out + len - colon - 1));
}

/* -u user:password: the password, after the first colon (curl splits there). */
static bool refine_user_password(const char *run, size_t n, size_t *start)
{
	const char *colon = memchr(run, ':', n);

	if (!colon || colon == run)
		return false;
	*start = (size_t)(colon - run) + 1;
	return true;
}

/* mysql -pSECRET: the value after "-p" (the flag and its value are one
 * word; "-p" alone asks for the password). */
static bool refine_after_dash_p(const char *run, size_t n, size_t *start)
{
	if (n < 3 || run[0] != '-' || run[1] != 'p')
		return false;
	*start = 2;
	return true;
}

/* A flag's value: after "--flag=" or "-p" when they are one word with it
 * (the value's characters include '=' and '-'), else the word itself. */
static bool refine_flag_value(const char *run, size_t n, size_t *start)
{
	const char *eq;

	*start = 0;
	if (n < 2 || run[0] != '-')
		return true;
	if (run[1] == '-' && (eq = memchr(run, '=', n)) != NULL) {
		*start = (size_t)(eq - run) + 1;
		return true;
	}
	return refine_after_dash_p(run, n, start);
}

#define PLACED(ID, SEV, PAT, CHARSET, MIN, MAX, VALID, REFINE)                                                 \
	{ .id = "secret." ID, .kind = "placed_secret", .category = CAT_SECRET, .severity = SEV, .pattern = PAT, \
	  .charset = CHARSET, .min_len = MIN, .max_len = MAX, .refine = REFINE, .valid = VALID,              \
	  .trim = ".", .min_entropy = 2.5, .placeholder_filter = true, .mask = MASK_NONE, .norm = NORM_EXACT }

static const struct detector placed[] = {
	/* ---- HTTP authentication ---- */
	PLACED("http_bearer_token", SEV_HIGH, "(?i:bearer) +" TOKEN68 "{20,}={0,2}" AFTER_TOKEN68, TOKEN68_SET, 20,
	       4096, bearer_ok, NULL),
	PLACED("http_basic_credentials", SEV_HIGH, "(?i:basic) +[A-Za-z0-9+/]{6,}={0,2}[^A-Za-z0-9+/=]",
	       "A-Za-z0-9+/=", 8, 684, basic_ok, NULL),
	PLACED("http_token_header", SEV_HIGH,
	       "(?i:authorization)[\"']?\\s{0,3}:\\s{0,3}[\"']?(?i:token|api-token) +" TOKEN68 "{16,}={0,2}" AFTER_TOKEN68,
	       TOKEN68_SET, 16, 4096, placed_secret_ok, NULL),
	PLACED("http_api_key_header", SEV_HIGH,
	       "(?:^|[^A-Za-z0-9\\-])(?i:x-api-key|x-api-token|x-auth-token|x-access-token|private-token|x-goog-api-key|"
	       "ocp-apim-subscription-key)[\"']?\\s{0,3}:\\s{0,3}[\"']?" TOKEN68 "{16,}={0,2}" AFTER_TOKEN68,
	       TOKEN68_SET, 16, 4096, placed_secret_ok, NULL),

	/* ---- command lines ---- */
	PLACED("cli_user_password", SEV_HIGH,
	       "(?:^|\\s)(?:-u|--user)(?: +|=)['\"]?[A-Za-z0-9_.@\\-]{1,64}:" ARG "{4,128}" AFTER_ARG, ARG_SET, 4, 128,
	       placed_secret_ok, refine_user_password),
	PLACED("cli_mysql_password", SEV_HIGH,
	       "(?:mysql|mysqldump|mysqladmin|mariadb)(?: [^\\n]{0,120})? -p" ARG "{4,128}" AFTER_ARG, ARG_SET, 4, 128,
	       placed_secret_ok, refine_after_dash_p),
	PLACED("cli_password_flag", SEV_HIGH,
	       "(?:sshpass -p ?|docker login(?: [^\\n]{0,120})? -p +|(?:^|\\s)--(?i:password|passwd|pass|token|api-key|"
	       "apikey|secret|client-secret|auth-token|access-token)(?: +|=))['\"]?" ARG "{6,128}" AFTER_ARG,
	       ARG_SET, 6, 128, placed_secret_ok, refine_flag_value),
};

const struct detector *detectors_placed(size_t *n)
{
	*n = sizeof(placed) / sizeof(placed[0]);
	return placed;
}
