// SPDX-License-Identifier: Apache-2.0
/*
 * tokens - vendors' credential formats: AI providers and AI
 * infrastructure, developer platforms, messaging and payments, cloud, keys.
 * Each with the strongest structural check its format allows: the
 * vendor's prefix, the exact length, the alphabet, a fixed tail or an
 * embedded structure where the vendor defines one. A format with no prefix
 * of its own is found only where the text names it (COHERE_API_KEY=...).
 *
 * Most patterns start with a literal, which Hyperscan finds cheaply; a
 * value never starts inside a longer run of its alphabet (the run before
 * the prefix must be empty, or the value is too long and is rejected).
 */
#include "detectors.h"

#include <string.h>

#include "detector_ends.h"
#include "validate.h"

/* A name and an assignment before a value: KEY = "value", key: value,
 * "key": "value", key => value, key := value, a header's "Name: value",
 * an argument (cohere.Client(api_key="value")); the value perhaps in
 * Markdown's backticks or bold (key: `value`, key: **value**). */
#define OPEN_MARK "(?:[\"'`]|\\*{1,2})?"
#define ASSIGN "[A-Za-z0-9_ .(\\-]{0,24}[\"']?\\s{0,3}(?::|=|:=|=>)\\s{0,3}" OPEN_MARK

/* A prefixed token: the value begins with one of PFX's literals ('|'
 * between them), which are public and shown (the first PRE bytes). */
#define TOKEN(ID, PFX, SEV, PAT, CHARSET, MIN, MAX, PRE)                                                         \
	{ .id = "secret." ID, .kind = ID, .category = CAT_SECRET, .severity = SEV, .pattern = PAT,             \
	  .charset = CHARSET, .min_len = MIN, .max_len = MAX, .prefix = PFX, .placeholder_filter = true,        \
	  .mask = MASK_PREFIX, .mask_prefix = PRE, .norm = NORM_EXACT }

/* A value with no prefix of its own, found where the text names it. */
#define NAMED(ID, SEV, PAT, CHARSET, MIN, MAX)                                                                 \
	{ .id = "secret." ID, .kind = ID, .category = CAT_SECRET, .severity = SEV, .pattern = PAT,             \
	  .charset = CHARSET, .min_len = MIN, .max_len = MAX, .min_entropy = 3.0, .placeholder_filter = true,  \
	  .mask = MASK_NONE, .norm = NORM_EXACT }

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The value starts right after the last lit in the run (AccountKey=, sig=). */
static bool after_literal(const char *run, size_t n, size_t *start, const char *lit)
{
	if (!det_last_literal(run, n, lit, start))
		return false;
	*start += strlen(lit);
	return true;
}

/* A Terraform Cloud token: 14 characters, then ".atlasv1.". */
static bool at_atlasv1(const char *run, size_t n, size_t *start)
{
	if (!det_last_literal(run, n, ".atlasv1.", start) || *start < 14)
		return false;
	*start -= 14;
	return true;
}

static bool refine_azure_account_key(const char *run, size_t n, size_t *start)
{
	return after_literal(run, n, start, "AccountKey=");
}

static bool refine_azure_sas(const char *run, size_t n, size_t *start)
{
	return after_literal(run, n, start, "sig=");
}

/* 123456789:AA...: the bot id's digits, not the "bot" before them in an
 * API URL (api.telegram.org/bot123...). */
static bool refine_telegram(const char *run, size_t n, size_t *start)
{
	const char *colon = memchr(run, ':', n);
	size_t i;

	if (!colon)
		return false;
	i = (size_t)(colon - run);
	while (i > 0 && is_digit(run[i - 1]))
		i--;
	*start = i;
	return true;
}

/* The URL from its scheme: "https://discord.com/api/webhooks/...". */
static bool refine_url(const char *run, size_t n, size_t *start)
{
	for (size_t i = n; i-- > 0;)
		if ((i + 8 <= n && memcmp(run + i, "https://", 8) == 0) || (i + 7 <= n && memcmp(run + i, "http://", 7) == 0)) {
			*start = i;
			return true;
		}
	return false;
}

static const struct detector tokens[] = {
	/* ---- AI providers and AI infrastructure ---- */
	TOKEN("groq_api_key", "gsk_", SEV_CRITICAL, "gsk_[A-Za-z0-9]{52}" END_WORD, "A-Za-z0-9_", 56, 56, 4),
	TOKEN("replicate_api_token", "r8_", SEV_CRITICAL, "r8_[A-Za-z0-9]{37}" END_WORD, "A-Za-z0-9_", 40, 40, 3),
	TOKEN("perplexity_api_key", "pplx-", SEV_CRITICAL, "pplx-[A-Za-z0-9]{48}" END_TOK, "A-Za-z0-9-", 53, 53, 5),
	TOKEN("xai_api_key", "xai-", SEV_CRITICAL, "xai-[A-Za-z0-9]{80}" END_TOK, "A-Za-z0-9-", 84, 84, 4),
	TOKEN("nvidia_api_key", "nvapi-", SEV_CRITICAL, "nvapi-[A-Za-z0-9_\\-]{64}" END_TOK, "A-Za-z0-9_-", 70, 70, 6),
	TOKEN("huggingface_org_token", "api_org_", SEV_HIGH, "api_org_[A-Za-z]{34}" END_WORD, "A-Za-z_", 42, 42, 8),
	TOKEN("langsmith_api_key", "lsv2_", SEV_HIGH, "lsv2_(?:pt|sk)_[0-9a-f]{32}_[0-9a-f]{10}" END_WORD, "a-z0-9_", 51, 51, 8),
	TOKEN("pinecone_api_key", "pcsk_", SEV_HIGH, "pcsk_[A-Za-z0-9]{4,8}_[A-Za-z0-9]{40,80}" END_WORD, "A-Za-z0-9_", 50, 95, 5),
	TOKEN("databricks_token", "dapi", SEV_CRITICAL, "dapi[0-9a-f]{32}(?:-[0-9]{1,2})?" END_TOK, "a-z0-9-", 36, 39, 4),
	/* Bedrock API keys: long-term ("ABSK" and base64 of "BedrockAPIKey-"),
	 * short-term (a presigned request, base64). */
	TOKEN("aws_bedrock_api_key", "ABSK", SEV_CRITICAL, "ABSKQmVkcm9ja0FQSUtleS[A-Za-z0-9+/]{40,}={0,2}" END_B64,
		 "A-Za-z0-9+/=", 64, 512, 4),
	TOKEN("aws_bedrock_short_term_key", "bedrock-api-key-", SEV_CRITICAL, "bedrock-api-key-[A-Za-z0-9+/]{100,}={0,2}" END_B64,
		 "A-Za-z0-9+/=-", 116, 4096, 16),
	TOKEN("openrouter_api_key", "sk-or-v1-", SEV_CRITICAL, "sk-or-v1-[0-9a-f]{64}" END_WORD, "a-z0-9-", 73, 73, 9),
	TOKEN("cerebras_api_key", "csk-", SEV_CRITICAL, "csk-[a-z0-9]{48}" END_WORD, "a-z0-9-", 52, 52, 4),
	TOKEN("fireworks_api_key", "fw_", SEV_CRITICAL, "fw_[A-Za-z0-9]{20,40}" END_WORD, "A-Za-z0-9_", 23, 43, 3),
	TOKEN("helicone_api_key", "sk-helicone-", SEV_HIGH, "sk-helicone-[a-z0-9\\-]{20,64}" END_TOK, "a-z0-9-", 32, 76, 12),
	NAMED("deepseek_api_key", SEV_CRITICAL, "(?i:deepseek)" ASSIGN "sk-[0-9a-f]{32}" END_WORD, "a-z0-9-", 35, 35),
	NAMED("cohere_api_key", SEV_CRITICAL, "(?i:cohere|co_api_key)" ASSIGN "[A-Za-z0-9]{40}" END_WORD, "A-Za-z0-9",
	      40, 40),
	NAMED("mistral_api_key", SEV_CRITICAL, "(?i:mistral)" ASSIGN "[A-Za-z0-9]{32}" END_WORD, "A-Za-z0-9", 32, 32),
	NAMED("together_api_key", SEV_CRITICAL, "(?i:together)" ASSIGN "[0-9a-f]{64}" END_WORD, "0-9a-f", 64, 64),
	NAMED("wandb_api_key", SEV_HIGH,
	      "(?:(?i:wandb|weights[_ ]?(?:and|&)[_ ]?biases)" ASSIGN "|wandb login (?:--relogin )?" OPEN_MARK ")[0-9a-f]{40}" END_WORD,
	      "0-9a-f", 40, 40),
	/* Azure OpenAI: its "api-key" header, or a name that says so. */
	NAMED("azure_openai_key", SEV_CRITICAL,
	      "(?:(?i:azure[_\\-]?openai)[A-Za-z0-9_\\-]{0,16}|(?:^|[^A-Za-z0-9\\-])(?i:api-key))" ASSIGN "[0-9a-f]{32}" END_WORD,
	      "0-9a-f", 32,
	      32),

	/* ---- developer platforms ---- */
	TOKEN("rubygems_api_key", "rubygems_", SEV_CRITICAL, "rubygems_[0-9a-f]{48}" END_WORD, "a-z0-9_", 57, 57, 9),
	TOKEN("nuget_api_key", "oy2", SEV_CRITICAL, "oy2[a-z0-9]{43}" END_WORD, "a-z0-9", 46, 46, 3),
	TOKEN("clojars_token", "CLOJARS_", SEV_HIGH, "CLOJARS_[a-z0-9]{60}" END_WORD, "A-Za-z0-9_", 68, 68, 8),
	TOKEN("jfrog_api_key", "AKCp", SEV_CRITICAL, "AKCp[A-Za-z0-9]{69}" END_WORD, "A-Za-z0-9", 73, 73, 4),
	TOKEN("sourcegraph_token", "sgp_", SEV_HIGH, "sgp_(?:local_)?[0-9a-f]{40}" END_WORD, "a-z0-9_", 44, 50, 4),
	TOKEN("pulumi_access_token", "pul-", SEV_CRITICAL, "pul-[0-9a-f]{40}" END_WORD, "a-z0-9-", 44, 44, 4),
	TOKEN("npm_token", "npm_", SEV_CRITICAL, "npm_[A-Za-z0-9]{36}" END_WORD, "A-Za-z0-9_", 40, 40, 4),
	TOKEN("pypi_token", "pypi-", SEV_CRITICAL, "pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\\-]{50,}" END_TOK, "A-Za-z0-9_-", 70, 300, 5),
	TOKEN("docker_hub_token", "dckr_", SEV_CRITICAL, "dckr_(?:pat|oat)_[A-Za-z0-9_\\-]{27,40}" END_TOK, "A-Za-z0-9_-", 36, 49, 9),
	TOKEN("gitlab_runner_registration_token", "GR1348941", SEV_HIGH, "GR1348941[A-Za-z0-9_\\-]{20}" END_TOK, "A-Za-z0-9_-", 29,
	      29, 9),
	TOKEN("atlassian_api_token", "ATATT3", SEV_CRITICAL, "ATATT3[A-Za-z0-9_\\-=]{180,200}[^A-Za-z0-9_=\\-]",
		 "A-Za-z0-9_=-", 186, 206, 6),
	TOKEN("bitbucket_app_password", "ATBB", SEV_HIGH, "ATBB[A-Za-z0-9]{28,40}" END_WORD, "A-Za-z0-9", 32, 44, 4),
	TOKEN("linear_api_key", "lin_", SEV_HIGH, "lin_(?:api_[A-Za-z0-9]{40}|oauth_[0-9a-f]{64})" END_WORD, "A-Za-z0-9_", 48,
	      74, 8),
	TOKEN("notion_token", "ntn_|secret_", SEV_HIGH, "(?:ntn_[0-9]{11}[A-Za-z0-9]{35}|secret_[A-Za-z0-9]{43})" END_WORD,
	      "A-Za-z0-9_", 50, 50, 4),
	TOKEN("postman_api_key", "PMAK-", SEV_HIGH, "PMAK-[0-9a-f]{24}-[0-9a-f]{34}" END_TOK, "A-Za-z0-9-", 64, 64, 5),
	TOKEN("netlify_token", "nfp_", SEV_HIGH, "nfp_[A-Za-z0-9]{36}" END_WORD, "A-Za-z0-9_", 40, 40, 4),
	TOKEN("supabase_key", "sbp_|sb_secret_", SEV_CRITICAL, "(?:sbp_[0-9a-f]{40}|sb_secret_[A-Za-z0-9_\\-]{20,64})" END_TOK,
	      "A-Za-z0-9_-", 30, 74, 4),
	TOKEN("flyio_token", "fm1_|fm2_", SEV_CRITICAL, "fm[12]_[A-Za-z0-9+/=_\\-]{100,}[^A-Za-z0-9+/=_\\-]", "A-Za-z0-9+/=_-", 104,
	      2048, 4),
	TOKEN("planetscale_token", "pscale_", SEV_CRITICAL, "pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.\\-]{32,64}" END_DOTTED,
	      "A-Za-z0-9_.-", 43, 76, 7),
	TOKEN("prefect_api_key", "pnu_", SEV_HIGH, "pnu_[A-Za-z0-9]{36}" END_WORD, "A-Za-z0-9_", 40, 40, 4),
	TOKEN("scalingo_token", "tk-us-", SEV_HIGH, "tk-us-[A-Za-z0-9_\\-]{48}" END_TOK, "A-Za-z0-9_-", 54, 54, 6),
	TOKEN("heroku_api_key", "HRKU-AA", SEV_CRITICAL, "HRKU-AA[0-9A-Za-z_\\-]{58}" END_TOK, "A-Za-z0-9_-", 65, 65, 5),
	TOKEN("digitalocean_token", "dop_v1_|doo_v1_|dor_v1_", SEV_CRITICAL, "do[opr]_v1_[0-9a-f]{64}" END_WORD, "a-z0-9_", 71, 71, 7),
	{ .id = "secret.terraform_cloud_token", .kind = "terraform_cloud_token", .category = CAT_SECRET,
	  .severity = SEV_CRITICAL, .pattern = "[A-Za-z0-9]{14}\\.atlasv1\\.[A-Za-z0-9_=\\-]{60,70}" END_DOTTED,
	  .charset = "A-Za-z0-9_.=-", .min_len = 83, .max_len = 93, .refine = at_atlasv1, .prefix_start = true,
	  .placeholder_filter = true, .mask = MASK_NONE, .norm = NORM_EXACT },
	TOKEN("vault_token", "hvs.|hvb.|hvr.", SEV_CRITICAL, "hv[sbr]\\.[A-Za-z0-9_\\-]{24,}" END_TOK, "A-Za-z0-9_.-", 28, 512, 4),
	TOKEN("doppler_token", "dp.", SEV_CRITICAL, "dp\\.(?:pt|st|sa|ct|scim|audit)\\.[A-Za-z0-9]{40,44}" END_WORD, "A-Za-z0-9.",
	      46, 55, 6),
	TOKEN("onepassword_service_account_token", "ops_eyJ", SEV_CRITICAL,
		 "ops_eyJ[A-Za-z0-9+/=_\\-]{250,}[^A-Za-z0-9+/=_\\-]", "A-Za-z0-9+/=_-", 254, 2048, 4),
	TOKEN("grafana_token", "glsa_|glc_", SEV_HIGH, "(?:glsa_[A-Za-z0-9]{32}_[0-9a-f]{8}|glc_[A-Za-z0-9+/]{32,400}={0,2})[^A-Za-z0-9_+/=]",
	      "A-Za-z0-9_+/=", 36, 410, 4),
	TOKEN("dynatrace_token", "dt0c01.", SEV_HIGH, "dt0c01\\.[A-Z0-9]{24}\\.[A-Z0-9]{64}" END_WORD, "A-Za-z0-9.", 96, 96, 7),
	TOKEN("new_relic_key", "NRAK-|NRJS-|NRII-", SEV_HIGH, "(?:NRAK-[A-Z0-9]{27}|NRJS-[0-9a-f]{19}|NRII-[A-Za-z0-9_\\-]{32})" END_TOK,
	      "A-Za-z0-9_-", 24, 37, 5),
	TOKEN("sentry_token", "sntryu_|sntrys_", SEV_HIGH,
		 "(?:sntryu_[0-9a-f]{64}|sntrys_eyJ[A-Za-z0-9+/=_\\-]{60,})[^A-Za-z0-9+/=_\\-]", "A-Za-z0-9+/=_-", 71,
		 400, 7),
	NAMED("datadog_key", SEV_HIGH,
	      "(?:^|[^A-Za-z0-9])(?i:datadog[_\\-]?|dd[_\\-])(?i:api|app|application)[_\\-]?(?i:key)" ASSIGN
	      "(?:[0-9a-f]{40}|[0-9a-f]{32})" END_WORD,
	      "0-9a-f", 32, 40),
	NAMED("pagerduty_api_key", SEV_HIGH, "(?i:pagerduty|pager_duty|pd)[_\\-]?(?i:api[_\\-]?)?(?i:key|token)" ASSIGN
					     "[A-Za-z0-9_+\\-]{20}" END_TOK,
	      "A-Za-z0-9_+-", 20, 20),
	NAMED("vercel_token", SEV_CRITICAL, "(?i:vercel)[_\\-]?(?i:api[_\\-]?)?(?i:token)" ASSIGN "[A-Za-z0-9]{24}" END_WORD,
	      "A-Za-z0-9", 24, 24),
	NAMED("heroku_legacy_api_key", SEV_CRITICAL,
	      "(?i:heroku)[_\\-]?(?i:api[_\\-]?)?(?i:key|token)" ASSIGN
	      "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}" END_TOK,
	      "0-9a-f-", 36, 36),
	NAMED("vault_legacy_token", SEV_CRITICAL, "(?i:vault)[_\\-]?(?i:token)" ASSIGN "s\\.[A-Za-z0-9]{24}" END_WORD,
	      "A-Za-z0-9.", 26, 26),
	TOKEN("cloudflare_origin_ca_key", "v1.0-", SEV_CRITICAL, "v1\\.0-[0-9a-f]{24}-[0-9a-f]{146}" END_WORD, "a-z0-9.-", 176,
	      176, 5),
	NAMED("cloudflare_api_token", SEV_CRITICAL, "(?i:cloudflare|cf)[_\\-]?(?i:api[_\\-]?)?(?i:token)" ASSIGN
						       "[A-Za-z0-9_\\-]{40}" END_TOK,
	      "A-Za-z0-9_-", 40, 40),

	TOKEN("airtable_token", "pat", SEV_HIGH, "pat[A-Za-z0-9]{14}\\.[0-9a-f]{64}" END_WORD, "A-Za-z0-9.", 82, 82, 3),
	TOKEN("figma_token", "figd_", SEV_HIGH, "figd_[A-Za-z0-9_\\-]{40}" END_TOK, "A-Za-z0-9_-", 45, 45, 5),
	TOKEN("contentful_token", "CFPAT-", SEV_HIGH, "CFPAT-[A-Za-z0-9_\\-]{43}" END_TOK, "A-Za-z0-9_-", 49, 49, 6),
	TOKEN("readme_api_key", "rdme_", SEV_HIGH, "rdme_[a-z0-9]{70}" END_WORD, "a-z0-9_", 75, 75, 5),
	NAMED("okta_api_token", SEV_CRITICAL, "(?i:okta)" ASSIGN "00[A-Za-z0-9_\\-]{40}" END_TOK, "A-Za-z0-9_-", 42, 42),
	NAMED("azure_devops_pat", SEV_CRITICAL,
	      "(?i:azure[_\\-]?devops|azdo|ado)[_\\-]?(?i:pat|token|personal[_\\-]?access[_\\-]?token)" ASSIGN
	      "[a-z2-7]{52}" END_WORD,
	      "a-z2-7", 52, 52),

	/* ---- messaging and payments ---- */
	TOKEN("slack_app_token", "xapp-", SEV_HIGH, "xapp-[0-9]-[A-Z0-9]{9,12}-[0-9]{10,14}-[0-9a-f]{64}" END_WORD, "A-Za-z0-9-",
	      88, 100, 5),
	{ .id = "secret.discord_bot_token", .kind = "discord_bot_token", .category = CAT_SECRET,
	  .severity = SEV_CRITICAL,
	  .pattern = "[MNO][A-Za-z0-9_\\-]{23,25}\\.[A-Za-z0-9_\\-]{6}\\.[A-Za-z0-9_\\-]{27,38}" END_TOK,
	  .charset = "A-Za-z0-9_.-", .min_len = 58, .max_len = 72, .valid = discord_token_ok,
	  .placeholder_filter = true, .mask = MASK_NONE, .norm = NORM_EXACT },
	{ .id = "secret.discord_webhook", .kind = "discord_webhook", .category = CAT_SECRET, .severity = SEV_HIGH,
	  .pattern = "https://(?:ptb\\.|canary\\.)?discord(?:app)?\\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_\\-]{60,68}" END_TOK,
	  .charset = "A-Za-z0-9_.:/-", .min_len = 100, .max_len = 160, .refine = refine_url, .placeholder_filter = true,
	  .mask = MASK_PREFIX, .mask_prefix = 0, .norm = NORM_EXACT },
	{ .id = "secret.telegram_bot_token", .kind = "telegram_bot_token", .category = CAT_SECRET,
	  .severity = SEV_HIGH, .pattern = "[0-9]{8,10}:AA[A-Za-z0-9_\\-]{33}" END_TOK, .charset = "A-Za-z0-9_:-",
	  .min_len = 44, .max_len = 46, .refine = refine_telegram, .placeholder_filter = true, .mask = MASK_NONE,
	  .norm = NORM_EXACT },
	TOKEN("twilio_api_key", "SK", SEV_HIGH, "SK[0-9a-fA-F]{32}" END_WORD, "A-Za-z0-9", 34, 34, 2),
	TOKEN("sendgrid_api_key", "SG.", SEV_CRITICAL, "SG\\.[A-Za-z0-9_\\-]{22}\\.[A-Za-z0-9_\\-]{43}" END_TOK, "A-Za-z0-9_.-",
	      69, 69, 3),
	NAMED("twilio_auth_token", SEV_CRITICAL, "(?i:twilio)[_\\-]?(?i:auth)[_\\-]?(?i:token)" ASSIGN "[0-9a-f]{32}" END_WORD,
	      "0-9a-f", 32, 32),
	NAMED("mailgun_private_key", SEV_HIGH, "(?i:mailgun)[A-Za-z0-9_\\-]{0,16}" ASSIGN "[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}" END_TOK,
	      "0-9a-f-", 50, 50),
	TOKEN("mailgun_api_key", "key-", SEV_HIGH, "key-[0-9a-f]{32}" END_WORD, "a-z0-9-", 36, 36, 4),
	{ .id = "secret.mailchimp_api_key", .kind = "mailchimp_api_key", .category = CAT_SECRET, .severity = SEV_HIGH,
	  .pattern = "[0-9a-f]{32}-us[0-9]{1,2}" END_WORD, .charset = "a-z0-9-", .min_len = 36, .max_len = 37,
	  .min_entropy = 3.0, .placeholder_filter = true, .mask = MASK_NONE, .norm = NORM_EXACT },
	TOKEN("shopify_token", "shpat_|shpca_|shppa_|shpss_", SEV_CRITICAL, "shp(?:at|ca|pa|ss)_[0-9a-fA-F]{32}" END_WORD, "A-Za-z0-9_", 38, 38, 6),
	TOKEN("square_token", "EAAA|sq0atp-|sq0csp-", SEV_CRITICAL,
	      "(?:EAAA[A-Za-z0-9_\\-]{60}|sq0atp-[A-Za-z0-9_\\-]{22}|sq0csp-[A-Za-z0-9_\\-]{43})" END_TOK, "A-Za-z0-9_-",
	      29, 64, 4),
	TOKEN("braintree_access_token", "access_token$production$", SEV_CRITICAL, "access_token\\$production\\$[0-9a-z]{16}\\$[0-9a-f]{32}" END_WORD,
	      "A-Za-z0-9_$", 73, 73, 24),
	TOKEN("shippo_api_token", "shippo_", SEV_HIGH, "shippo_(?:live|test)_[0-9a-f]{40}" END_WORD, "a-z0-9_", 51, 52, 12),
	TOKEN("dropbox_access_token", "sl.", SEV_HIGH, "sl\\.[A-Za-z0-9_\\-]{130,}" END_TOK, "A-Za-z0-9_.-", 133, 1400, 3),
	TOKEN("adafruit_io_key", "aio_", SEV_MEDIUM, "aio_[A-Za-z0-9]{28}" END_WORD, "A-Za-z0-9_", 32, 32, 4),
	TOKEN("stripe_webhook_secret", "whsec_", SEV_HIGH, "whsec_[A-Za-z0-9]{32,}" END_WORD, "A-Za-z0-9_", 38, 100, 6),

	/* ---- cloud ---- */
	TOKEN("aws_session_token", "IQoJb3JpZ2lu|FwoGZXIvYXdz", SEV_CRITICAL, "(?:IQoJb3JpZ2luX2Vj|FwoGZXIvYXdz)[A-Za-z0-9/+=]{100,}" END_B64,
		 "A-Za-z0-9/+=", 112, 2048, 4),
	TOKEN("gcp_oauth_client_secret", "GOCSPX-", SEV_CRITICAL, "GOCSPX-[A-Za-z0-9_\\-]{28}" END_TOK, "A-Za-z0-9_-", 35, 35, 7),
	{ .id = "secret.azure_storage_account_key", .kind = "azure_storage_account_key", .category = CAT_SECRET,
	  .severity = SEV_CRITICAL, .pattern = "AccountKey=[A-Za-z0-9+/]{86}==" "[^A-Za-z0-9+/=]",
	  .charset = "A-Za-z0-9+/=", .min_len = 88, .max_len = 88, .refine = refine_azure_account_key,
	  .min_entropy = 4.0, .placeholder_filter = true, .mask = MASK_NONE, .norm = NORM_EXACT },
	{ .id = "secret.azure_sas_token", .kind = "azure_sas_token", .category = CAT_SECRET, .severity = SEV_HIGH,
	  .pattern = "[?&]sv=20[0-9]{2}-[0-9]{2}-[0-9]{2}&[^\\s\"'<>]{0,300}[?&]sig=[A-Za-z0-9%+/]{40,120}"
		     "[^A-Za-z0-9%+/]",
	  .charset = "A-Za-z0-9%+/=", .min_len = 40, .max_len = 120, .refine = refine_azure_sas, .min_entropy = 4.0,
	  .placeholder_filter = true, .mask = MASK_NONE, .norm = NORM_EXACT },
	TOKEN("google_oauth_access_token", "ya29.", SEV_HIGH, "ya29\\.[0-9A-Za-z_\\-]{30,}" END_TOK, "A-Za-z0-9_.-", 35, 2048, 5),
	TOKEN("google_oauth_refresh_token", "1//0", SEV_CRITICAL, "1//0[0-9A-Za-z_\\-]{40,}" END_TOK, "A-Za-z0-9_/-", 44, 512,
	      4),
	/* Service Bus and Event Hubs: the key's 43 base64 characters, its
	 * padding aside (the span the generic rule, which also knows
	 * "AccessKey=", gives it: one finding, not two). */
	{ .id = "secret.azure_shared_access_key", .kind = "azure_shared_access_key", .category = CAT_SECRET,
	  .severity = SEV_CRITICAL, .pattern = "SharedAccessKey=[A-Za-z0-9+/]{43}=[^A-Za-z0-9+/=]",
	  .charset = "A-Za-z0-9+/", .min_len = 43, .max_len = 43,
	  .min_entropy = 4.0, .placeholder_filter = true, .mask = MASK_NONE, .norm = NORM_EXACT },
	TOKEN("alibaba_access_key_id", "LTAI", SEV_HIGH, "LTAI[A-Za-z0-9]{12,20}" END_WORD, "A-Za-z0-9", 16, 24, 4),
	NAMED("ibm_cloud_api_key", SEV_CRITICAL,
	      "(?i:ibm[_\\-]?cloud[_\\-]?api[_\\-]?key|ibmcloud[_\\-]?api[_\\-]?key|ic_api_key)" ASSIGN
	      "[A-Za-z0-9_\\-]{44}" END_TOK,
	      "A-Za-z0-9_-", 44, 44),

	/* ---- keys ---- */
	TOKEN("age_secret_key", "AGE-SECRET-KEY-1", SEV_CRITICAL, "AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}" END_WORD, "A-Z0-9-",
	      74, 74, 15),
	{ .id = "secret.jwt_unsigned", .kind = "jwt", .category = CAT_SECRET, .severity = SEV_HIGH,
	  .pattern = "eyJ[A-Za-z0-9_\\-]{8,}\\.eyJ[A-Za-z0-9_\\-]{8,}\\.[^A-Za-z0-9_.\\-]", .charset = "A-Za-z0-9_.-",
	  .min_len = 24, .max_len = 4110, .valid = jwt_unsigned_ok, .mask = MASK_PREFIX, .mask_prefix = 3,
	  .norm = NORM_EXACT },
};

const struct detector *detectors_vendor(size_t *n)
{
	*n = sizeof(tokens) / sizeof(tokens[0]);
	return tokens;
}
