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
 * an argument (cohere.Client(api_key="value")). */
#define ASSIGN "[A-Za-z0-9_ .(\\-]{0,24}[\"']?\\s{0,3}(?::|=|:=|=>)\\s{0,3}[\"']?"

/* A prefixed token: its prefix (the first `pre` bytes) is public and shown. */
#define TOKEN(ID, SEV, PAT, CHARSET, MIN, MAX, PRE)                                                              \
	{ .id = "secret." ID, .kind = ID, .category = CAT_SECRET, .severity = SEV, .pattern = PAT,             \
	  .charset = CHARSET, .min_len = MIN, .max_len = MAX, .placeholder_filter = true, .mask = MASK_PREFIX, \
	  .mask_prefix = PRE, .norm = NORM_EXACT }

/* ... whose alphabet may run on before the prefix: the value starts there. */
#define TOKEN_AT(ID, SEV, PAT, CHARSET, MIN, MAX, PRE, AT)                                                       \
	{ .id = "secret." ID, .kind = ID, .category = CAT_SECRET, .severity = SEV, .pattern = PAT,             \
	  .charset = CHARSET, .min_len = MIN, .max_len = MAX, .refine = AT, .prefix_start = true,               \
	  .placeholder_filter = true,                                                                          \
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

/* A token whose alphabet runs on before it (KEY=ops_eyJ...: '=' and '_'
 * are base64's too) starts at its prefix. */
#define AT_PREFIX(NAME, LIT)                                               \
	static bool NAME(const char *run, size_t n, size_t *start)           \
	{                                                                    \
		return det_last_literal(run, n, LIT, start);                 \
	}
AT_PREFIX(at_absk, "ABSK")
AT_PREFIX(at_bedrock, "bedrock-api-key-")
AT_PREFIX(at_atatt, "ATATT3")
AT_PREFIX(at_ops, "ops_eyJ")
AT_PREFIX(at_sntry, "sntry")

/* A Terraform Cloud token: 14 characters, then ".atlasv1.". */
static bool at_atlasv1(const char *run, size_t n, size_t *start)
{
	if (!det_last_literal(run, n, ".atlasv1.", start) || *start < 14)
		return false;
	*start -= 14;
	return true;
}

/* AWS session tokens begin with one of two base64 headers. */
static bool at_aws_session(const char *run, size_t n, size_t *start)
{
	size_t a = 0, b = 0;
	bool fa = det_last_literal(run, n, "IQoJb3JpZ2lu", &a), fb = det_last_literal(run, n, "FwoGZXIvYXdz", &b);

	if (!fa && !fb)
		return false;
	*start = fa && (!fb || a > b) ? a : b;
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
	TOKEN("groq_api_key", SEV_CRITICAL, "gsk_[A-Za-z0-9]{52}" END_WORD, "A-Za-z0-9_", 56, 56, 4),
	TOKEN("replicate_api_token", SEV_CRITICAL, "r8_[A-Za-z0-9]{37}" END_WORD, "A-Za-z0-9_", 40, 40, 3),
	TOKEN("perplexity_api_key", SEV_CRITICAL, "pplx-[A-Za-z0-9]{48}" END_TOK, "A-Za-z0-9-", 53, 53, 5),
	TOKEN("xai_api_key", SEV_CRITICAL, "xai-[A-Za-z0-9]{80}" END_TOK, "A-Za-z0-9-", 84, 84, 4),
	TOKEN("nvidia_api_key", SEV_CRITICAL, "nvapi-[A-Za-z0-9_\\-]{64}" END_TOK, "A-Za-z0-9_-", 70, 70, 6),
	TOKEN("huggingface_org_token", SEV_HIGH, "api_org_[A-Za-z]{34}" END_WORD, "A-Za-z_", 42, 42, 8),
	TOKEN("langsmith_api_key", SEV_HIGH, "lsv2_(?:pt|sk)_[0-9a-f]{32}_[0-9a-f]{10}" END_WORD, "a-z0-9_", 51, 51, 8),
	TOKEN("pinecone_api_key", SEV_HIGH, "pcsk_[A-Za-z0-9]{4,8}_[A-Za-z0-9]{40,80}" END_WORD, "A-Za-z0-9_", 50, 95, 5),
	TOKEN("databricks_token", SEV_CRITICAL, "dapi[0-9a-f]{32}(?:-[0-9]{1,2})?" END_TOK, "a-z0-9-", 36, 39, 4),
	/* Bedrock API keys: long-term ("ABSK" and base64 of "BedrockAPIKey-"),
	 * short-term (a presigned request, base64). */
	TOKEN_AT("aws_bedrock_api_key", SEV_CRITICAL, "ABSKQmVkcm9ja0FQSUtleS[A-Za-z0-9+/]{40,}={0,2}" END_B64,
		 "A-Za-z0-9+/=", 64, 512, 4, at_absk),
	TOKEN_AT("aws_bedrock_short_term_key", SEV_CRITICAL, "bedrock-api-key-[A-Za-z0-9+/]{100,}={0,2}" END_B64,
		 "A-Za-z0-9+/=-", 116, 4096, 16, at_bedrock),
	NAMED("deepseek_api_key", SEV_CRITICAL, "(?i:deepseek)" ASSIGN "sk-[0-9a-f]{32}" END_WORD, "a-z0-9-", 35, 35),
	NAMED("cohere_api_key", SEV_CRITICAL, "(?i:cohere|co_api_key)" ASSIGN "[A-Za-z0-9]{40}" END_WORD, "A-Za-z0-9",
	      40, 40),
	NAMED("mistral_api_key", SEV_CRITICAL, "(?i:mistral)" ASSIGN "[A-Za-z0-9]{32}" END_WORD, "A-Za-z0-9", 32, 32),
	NAMED("together_api_key", SEV_CRITICAL, "(?i:together)" ASSIGN "[0-9a-f]{64}" END_WORD, "0-9a-f", 64, 64),
	NAMED("wandb_api_key", SEV_HIGH,
	      "(?:(?i:wandb|weights[_ ]?(?:and|&)[_ ]?biases)" ASSIGN "|wandb login (?:--relogin )?)[0-9a-f]{40}" END_WORD,
	      "0-9a-f", 40, 40),
	/* Azure OpenAI: its "api-key" header, or a name that says so. */
	NAMED("azure_openai_key", SEV_CRITICAL,
	      "(?:(?i:azure[_\\-]?openai)[A-Za-z0-9_\\-]{0,16}|(?:^|[^A-Za-z0-9\\-])(?i:api-key))" ASSIGN "[0-9a-f]{32}" END_WORD,
	      "0-9a-f", 32,
	      32),

	/* ---- developer platforms ---- */
	TOKEN("npm_token", SEV_CRITICAL, "npm_[A-Za-z0-9]{36}" END_WORD, "A-Za-z0-9_", 40, 40, 4),
	TOKEN("pypi_token", SEV_CRITICAL, "pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\\-]{50,}" END_TOK, "A-Za-z0-9_-", 70, 300, 5),
	TOKEN("docker_hub_token", SEV_CRITICAL, "dckr_(?:pat|oat)_[A-Za-z0-9_\\-]{27,40}" END_TOK, "A-Za-z0-9_-", 36, 49, 9),
	TOKEN("gitlab_runner_registration_token", SEV_HIGH, "GR1348941[A-Za-z0-9_\\-]{20}" END_TOK, "A-Za-z0-9_-", 29,
	      29, 9),
	TOKEN_AT("atlassian_api_token", SEV_CRITICAL, "ATATT3[A-Za-z0-9_\\-=]{180,200}[^A-Za-z0-9_=\\-]",
		 "A-Za-z0-9_=-", 186, 206, 6, at_atatt),
	TOKEN("bitbucket_app_password", SEV_HIGH, "ATBB[A-Za-z0-9]{28,40}" END_WORD, "A-Za-z0-9", 32, 44, 4),
	TOKEN("linear_api_key", SEV_HIGH, "lin_(?:api_[A-Za-z0-9]{40}|oauth_[0-9a-f]{64})" END_WORD, "A-Za-z0-9_", 48,
	      74, 8),
	TOKEN("notion_token", SEV_HIGH, "(?:ntn_[0-9]{11}[A-Za-z0-9]{35}|secret_[A-Za-z0-9]{43})" END_WORD,
	      "A-Za-z0-9_", 50, 50, 4),
	TOKEN("postman_api_key", SEV_HIGH, "PMAK-[0-9a-f]{24}-[0-9a-f]{34}" END_TOK, "A-Za-z0-9-", 64, 64, 5),
	TOKEN("netlify_token", SEV_HIGH, "nfp_[A-Za-z0-9]{36}" END_WORD, "A-Za-z0-9_", 40, 40, 4),
	TOKEN("supabase_key", SEV_CRITICAL, "(?:sbp_[0-9a-f]{40}|sb_secret_[A-Za-z0-9_\\-]{20,64})" END_TOK,
	      "A-Za-z0-9_-", 30, 74, 4),
	TOKEN("heroku_api_key", SEV_CRITICAL, "HRKU-AA[0-9A-Za-z_\\-]{58}" END_TOK, "A-Za-z0-9_-", 65, 65, 5),
	TOKEN("digitalocean_token", SEV_CRITICAL, "do[opr]_v1_[0-9a-f]{64}" END_WORD, "a-z0-9_", 71, 71, 7),
	{ .id = "secret.terraform_cloud_token", .kind = "terraform_cloud_token", .category = CAT_SECRET,
	  .severity = SEV_CRITICAL, .pattern = "[A-Za-z0-9]{14}\\.atlasv1\\.[A-Za-z0-9_=\\-]{60,70}" END_DOTTED,
	  .charset = "A-Za-z0-9_.=-", .min_len = 83, .max_len = 93, .refine = at_atlasv1, .prefix_start = true,
	  .placeholder_filter = true, .mask = MASK_NONE, .norm = NORM_EXACT },
	TOKEN("vault_token", SEV_CRITICAL, "hv[sbr]\\.[A-Za-z0-9_\\-]{24,}" END_TOK, "A-Za-z0-9_.-", 28, 512, 4),
	TOKEN("doppler_token", SEV_CRITICAL, "dp\\.(?:pt|st|sa|ct|scim|audit)\\.[A-Za-z0-9]{40,44}" END_WORD, "A-Za-z0-9.",
	      46, 55, 6),
	TOKEN_AT("onepassword_service_account_token", SEV_CRITICAL,
		 "ops_eyJ[A-Za-z0-9+/=_\\-]{250,}[^A-Za-z0-9+/=_\\-]", "A-Za-z0-9+/=_-", 254, 2048, 4, at_ops),
	TOKEN("grafana_token", SEV_HIGH, "(?:glsa_[A-Za-z0-9]{32}_[0-9a-f]{8}|glc_[A-Za-z0-9+/]{32,400}={0,2})[^A-Za-z0-9_+/=]",
	      "A-Za-z0-9_+/=", 36, 410, 4),
	TOKEN("new_relic_key", SEV_HIGH, "(?:NRAK-[A-Z0-9]{27}|NRJS-[0-9a-f]{19}|NRII-[A-Za-z0-9_\\-]{32})" END_TOK,
	      "A-Za-z0-9_-", 24, 37, 5),
	TOKEN_AT("sentry_token", SEV_HIGH,
		 "(?:sntryu_[0-9a-f]{64}|sntrys_eyJ[A-Za-z0-9+/=_\\-]{60,})[^A-Za-z0-9+/=_\\-]", "A-Za-z0-9+/=_-", 71,
		 400, 7, at_sntry),
	NAMED("datadog_key", SEV_HIGH,
	      "(?:^|[^A-Za-z0-9])(?i:datadog[_\\-]?|dd[_\\-])(?i:api|app|application)[_\\-]?(?i:key)" ASSIGN
	      "(?:[0-9a-f]{40}|[0-9a-f]{32})" END_WORD,
	      "0-9a-f", 32, 40),
	TOKEN("cloudflare_origin_ca_key", SEV_CRITICAL, "v1\\.0-[0-9a-f]{24}-[0-9a-f]{146}" END_WORD, "a-z0-9.-", 176,
	      176, 5),
	NAMED("cloudflare_api_token", SEV_CRITICAL, "(?i:cloudflare|cf)[_\\-]?(?i:api[_\\-]?)?(?i:token)" ASSIGN
						       "[A-Za-z0-9_\\-]{40}" END_TOK,
	      "A-Za-z0-9_-", 40, 40),

	/* ---- messaging and payments ---- */
	TOKEN("slack_app_token", SEV_HIGH, "xapp-[0-9]-[A-Z0-9]{9,12}-[0-9]{10,14}-[0-9a-f]{64}" END_WORD, "A-Za-z0-9-",
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
	TOKEN("twilio_api_key", SEV_HIGH, "SK[0-9a-fA-F]{32}" END_WORD, "A-Za-z0-9", 34, 34, 2),
	TOKEN("sendgrid_api_key", SEV_CRITICAL, "SG\\.[A-Za-z0-9_\\-]{22}\\.[A-Za-z0-9_\\-]{43}" END_TOK, "A-Za-z0-9_.-",
	      69, 69, 3),
	TOKEN("mailgun_api_key", SEV_HIGH, "key-[0-9a-f]{32}" END_WORD, "a-z0-9-", 36, 36, 4),
	{ .id = "secret.mailchimp_api_key", .kind = "mailchimp_api_key", .category = CAT_SECRET, .severity = SEV_HIGH,
	  .pattern = "[0-9a-f]{32}-us[0-9]{1,2}" END_WORD, .charset = "a-z0-9-", .min_len = 36, .max_len = 37,
	  .min_entropy = 3.0, .placeholder_filter = true, .mask = MASK_NONE, .norm = NORM_EXACT },
	TOKEN("shopify_token", SEV_CRITICAL, "shp(?:at|ca|pa|ss)_[0-9a-fA-F]{32}" END_WORD, "A-Za-z0-9_", 38, 38, 6),
	TOKEN("square_token", SEV_CRITICAL,
	      "(?:EAAA[A-Za-z0-9_\\-]{60}|sq0atp-[A-Za-z0-9_\\-]{22}|sq0csp-[A-Za-z0-9_\\-]{43})" END_TOK, "A-Za-z0-9_-",
	      29, 64, 4),
	TOKEN("braintree_access_token", SEV_CRITICAL, "access_token\\$production\\$[0-9a-z]{16}\\$[0-9a-f]{32}" END_WORD,
	      "A-Za-z0-9_$", 73, 73, 24),
	TOKEN("stripe_webhook_secret", SEV_HIGH, "whsec_[A-Za-z0-9]{32,}" END_WORD, "A-Za-z0-9_", 38, 100, 6),

	/* ---- cloud ---- */
	TOKEN_AT("aws_session_token", SEV_CRITICAL, "(?:IQoJb3JpZ2luX2Vj|FwoGZXIvYXdz)[A-Za-z0-9/+=]{100,}" END_B64,
		 "A-Za-z0-9/+=", 112, 2048, 4, at_aws_session),
	TOKEN("gcp_oauth_client_secret", SEV_CRITICAL, "GOCSPX-[A-Za-z0-9_\\-]{28}" END_TOK, "A-Za-z0-9_-", 35, 35, 7),
	{ .id = "secret.azure_storage_account_key", .kind = "azure_storage_account_key", .category = CAT_SECRET,
	  .severity = SEV_CRITICAL, .pattern = "AccountKey=[A-Za-z0-9+/]{86}==" "[^A-Za-z0-9+/=]",
	  .charset = "A-Za-z0-9+/=", .min_len = 88, .max_len = 88, .refine = refine_azure_account_key,
	  .min_entropy = 4.0, .placeholder_filter = true, .mask = MASK_NONE, .norm = NORM_EXACT },
	{ .id = "secret.azure_sas_token", .kind = "azure_sas_token", .category = CAT_SECRET, .severity = SEV_HIGH,
	  .pattern = "[?&]sv=20[0-9]{2}-[0-9]{2}-[0-9]{2}&[^\\s\"'<>]{0,300}[?&]sig=[A-Za-z0-9%+/]{40,120}"
		     "[^A-Za-z0-9%+/]",
	  .charset = "A-Za-z0-9%+/=", .min_len = 40, .max_len = 120, .refine = refine_azure_sas, .min_entropy = 4.0,
	  .placeholder_filter = true, .mask = MASK_NONE, .norm = NORM_EXACT },
	TOKEN("alibaba_access_key_id", SEV_HIGH, "LTAI[A-Za-z0-9]{12,20}" END_WORD, "A-Za-z0-9", 16, 24, 4),
	NAMED("ibm_cloud_api_key", SEV_CRITICAL,
	      "(?i:ibm[_\\-]?cloud[_\\-]?api[_\\-]?key|ibmcloud[_\\-]?api[_\\-]?key|ic_api_key)" ASSIGN
	      "[A-Za-z0-9_\\-]{44}" END_TOK,
	      "A-Za-z0-9_-", 44, 44),

	/* ---- keys ---- */
	TOKEN("age_secret_key", SEV_CRITICAL, "AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}" END_WORD, "A-Z0-9-",
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
