// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "classify.h"
#include "detectors.h"

static const uint8_t key[32] = "unit-test-fingerprint-key-32byte";

#define MAX_FOUND 16

struct found {
	int n;
	struct cl_finding f[MAX_FOUND];
	int raised_at_feed; /* findings raised by the cl_feed being watched */
	bool in_feed;
};

static void on_finding(void *ctx, const struct cl_finding *f)
{
	struct found *fd = ctx;

	if (fd->n < MAX_FOUND)
		fd->f[fd->n++] = *f;
	if (fd->in_feed)
		fd->raised_at_feed++;
}

static struct classifier *builtin(void)
{
	char err[256];
	struct classifier *c = classifier_new(NULL, 0, key, sizeof(key), err, sizeof(err));

	if (!c)
		fail_msg("classifier_new: %s", err);
	return c;
}

/* Feeds text in pieces of `step` bytes (0: whole). */
static void scan(struct classifier *c, const char *text, size_t step, struct found *out)
{
	struct cl_stream *s = cl_open(c, on_finding, out);
	size_t n = strlen(text);

	memset(out, 0, sizeof(*out));
	assert_non_null(s);
	for (size_t off = 0; off < n;) {
		size_t k = step && n - off > step ? step : n - off;

		cl_feed(s, text + off, k);
		off += k;
	}
	cl_close(s);
}

static const struct detector *det(struct classifier *c, const char *id)
{
	const struct detector *d;
	size_t n = classifier_detectors(c, &d);

	for (size_t i = 0; i < n; i++)
		if (strcmp(d[i].id, id) == 0)
			return &d[i];
	fail_msg("no detector %s", id);
	return NULL;
}

struct positive {
	const char *id, *value, *text; /* text has the value exactly once */
};

/* One per detector: the value, in text the way transcripts carry it. */
static const struct positive positives[] = {
	{ "secret.aws_access_key_id", "AKIAYOJFLJOOA7LQSAJ2", "export AWS_ACCESS_KEY_ID=AKIAYOJFLJOOA7LQSAJ2\n" },
	{ "secret.aws_secret_access_key", "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",
	  "aws_secret_access_key = Q83uy881pbm0dP/emLqs/ilmkTedbyOyoxPtVVh8" },
	{ "secret.github_token", "ghp_IxNKu8iS2G8NPRVdD53X83RZJzzzgEOzdme4",
	  "git clone https://ghp_IxNKu8iS2G8NPRVdD53X83RZJzzzgEOzdme4@github.com/acme/infra.git" },
	{ "secret.openai_api_key", "sk-proj-dtkXknzV6K8KkjnPCtGYcVMRPPzdJnYtuUU2RNhqxdFYiq8WAOWgJ1oe",
	  "client = OpenAI(api_key=\"sk-proj-dtkXknzV6K8KkjnPCtGYcVMRPPzdJnYtuUU2RNhqxdFYiq8WAOWgJ1oe\")" },
	{ "secret.jwt",
	  "eyJhbGciOiAiUlMyNTYiLCAidHlwIjogIkpXVCJ9.eyJzdWIiOiAiNDY1MDc1MjkiLCAiaWF0IjogMTcwMTk2NDU0MX0."
	  "fg83xEkhvT9lZOrffxQqcmaMR-Ij0W7djEe0avxbruI",
	  "Authorization: Bearer eyJhbGciOiAiUlMyNTYiLCAidHlwIjogIkpXVCJ9.eyJzdWIiOiAiNDY1MDc1MjkiLCAiaWF0IjogMTcw"
	  "MTk2NDU0MX0.fg83xEkhvT9lZOrffxQqcmaMR-Ij0W7djEe0avxbruI" },
	{ "secret.connection_string", "postgresql://app:Xk8!vQ2mZr7Lp@",
	  "DATABASE_URL=postgresql://app:Xk8!vQ2mZr7Lp@db.internal:5432/orders" },
	{ "secret.generic", "Tr0ub4dor&3xq", "db_password=\"Tr0ub4dor&3xq\"" },
	/* ... in the syntaxes people paste */
	{ "secret.generic", "Xk8vQ2mZr7Lp9w", "var clientSecret string = \"Xk8vQ2mZr7Lp9w\"" },
	{ "secret.generic", "Xk8vQ2mZr7Lp9w", "DB_PASSWORD ?= Xk8vQ2mZr7Lp9w" },
	{ "secret.generic", "Xk8vQ2mZr7Lp9w", "$config['db_password'] .= 'Xk8vQ2mZr7Lp9w';" },
	{ "secret.generic", "Xk8vQ2mZr7Lp9w", "<password>\n  Xk8vQ2mZr7Lp9w\n</password>" },
	{ "secret.generic", "Xk8vQ2mZr7Lp9w", "<add key=\"ApiKey\" value=\"Xk8vQ2mZr7Lp9w\" />" },
	{ "secret.generic", "Xk8vQ2mZr7Lp9w", "props.setProperty(\"db.password\", \"Xk8vQ2mZr7Lp9w\");" },
	{ "secret.generic", "Xk8vQ2mZr7Lp9w", "os.environ.get(\"API_TOKEN\", \"Xk8vQ2mZr7Lp9w\")" },
	{ "secret.generic", "Xk8vQ2mZr7Lp9w", "DB_PASS=Xk8vQ2mZr7Lp9w" },
	{ "financial.payment_card", "4532 0151 1283 0366", "Charge it to my card 4532 0151 1283 0366, expiry 09/28." },
	{ "financial.iban", "DE89 3704 0044 0532 0130 00", "Wire the deposit to IBAN DE89 3704 0044 0532 0130 00 by Friday." },
	{ "financial.aba_routing", "011000015", "Routing number 011000015, account 000123456789." },
	{ "financial.swift_bic", "DEUTDEFF500", "Use BIC DEUTDEFF500 when paying from abroad." },
	{ "financial.crypto_wallet", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
	  "My bitcoin address is bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4." },
	{ "health.npi", "1234567893", "Prescriber NPI 1234567893 is listed on the claim." },
	{ "health.dea_number", "AB1234563", "Prescription signed, DEA AB1234563." },
	{ "health.icd10", "E11.9", "Diagnosis code E11.9 was recorded at discharge." },
	{ "health.mrn", "MRN-4417023", "MRN MRN-4417023 - follow-up scheduled for Tuesday." },
	{ "pii.email", "maria.garcia@acme-corp.io", "Sure! You can reach the account owner at maria.garcia@acme-corp.io." },
	{ "pii.phone_intl", "+44 20 7946 0958", "Call the front desk on +44 20 7946 0958 before 6pm." },
	{ "pii.phone_national", "415-555-0132", "You can call him at 415-555-0132 after lunch." },
	{ "pii.phone_us", "(415) 555-0132", "Front desk (415) 555-0132, ask for Dana." },
	/* format variants */
	{ "pii.ssn", "536.22.1234", "The applicant's SSN is 536.22.1234 according to the form." },
	{ "financial.iban", "DE89-3704-0044-0532-0130-00", "IBAN DE89-3704-0044-0532-0130-00 for the refund." },
	{ "financial.payment_card", "1220 0000 1234 569", "Charge the UATP card 1220 0000 1234 569 for the flight." },
	{ "health.npi", "1234567893", "The provider 1234567893 billed twice." },
	{ "pii.passport", "X73920461", "Travel document X73920461 expires in May." },
	{ "pii.ssn", "536-22-1234", "The applicant's SSN is 536-22-1234 according to the form." },
	{ "pii.ssn_context", "536221234", "I think 536221234 is his social security number." },
	{ "pii.passport", "X73920461", "Passport number X73920461, issued in Lisbon." },
	{ "pii.drivers_license", "D4829176", "Driver's license D4829176 expires next March." },
	{ "pii.date_of_birth", "March 5, 1984", "Patient was born on March 5, 1984 in Ohio." },
	{ "pii.postal_address", "1600 Pennsylvania Avenue", "She lives at 1600 Pennsylvania Avenue with her dog." },
	{ "pii.ip_address", "10.20.30.40", "The login came from 10.20.30.40 at 03:12 UTC." },
	{ "secret.openrouter_api_key", "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",
	  "OPENROUTER_API_KEY=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" },
	{ "secret.cerebras_api_key", "csk-a0hipgad35l9m26mi0yhz0nartbnlzgcjn2qavsyeefnpaxx",
	  "CEREBRAS_API_KEY=csk-a0hipgad35l9m26mi0yhz0nartbnlzgcjn2qavsyeefnpaxx" },
	{ "secret.fireworks_api_key", "fw_NDi9LE1Ki3ylOjt6o0NpUmkV",
	  "FIREWORKS_API_KEY=fw_NDi9LE1Ki3ylOjt6o0NpUmkV" },
	{ "secret.helicone_api_key", "sk-helicone-9my4f0d-ggc6qpz-q05s7le-io49ern",
	  "Helicone-Auth: Bearer sk-helicone-9my4f0d-ggc6qpz-q05s7le-io49ern" },
	{ "secret.rubygems_api_key", "rubygems_6028de71159b42b4ea410fb9102f29a422eb14ab2f2d0f0c",
	  "GEM_HOST_API_KEY=rubygems_6028de71159b42b4ea410fb9102f29a422eb14ab2f2d0f0c" },
	{ "secret.nuget_api_key", "oy2yaeffhq0vy3238f76btf4boh55qaxtjm7kv25puzqm1",
	  "dotnet nuget push pkg.nupkg --api-key oy2yaeffhq0vy3238f76btf4boh55qaxtjm7kv25puzqm1" },
	{ "secret.clojars_token", "CLOJARS_mnyounii5wcerkh24rn0y75u2uecrcrwtbiz3mbrpjdh2g8xemm4qla48clo",
	  "CLOJARS_TOKEN=CLOJARS_mnyounii5wcerkh24rn0y75u2uecrcrwtbiz3mbrpjdh2g8xemm4qla48clo" },
	{ "secret.jfrog_api_key", "AKCprXwIS8HGNWkz2YS5ofA75UyiCDmO46ayJKP4GY08vDuPngU30ZP7Thnp5yftIY7uq6T2b",
	  "X-JFrog-Art-Api: AKCprXwIS8HGNWkz2YS5ofA75UyiCDmO46ayJKP4GY08vDuPngU30ZP7Thnp5yftIY7uq6T2b" },
	{ "secret.sourcegraph_token", "sgp_b21ead8f062d15a4f4ef27e9589c6948f6d30c01",
	  "SRC_ACCESS_TOKEN=sgp_b21ead8f062d15a4f4ef27e9589c6948f6d30c01" },
	{ "secret.pulumi_access_token", "pul-c3f252edc87ff4adfa36d0840164709ab7f3f386",
	  "PULUMI_ACCESS_TOKEN=pul-c3f252edc87ff4adfa36d0840164709ab7f3f386" },
	{ "secret.flyio_token", "fm2_3cW0uABBrDSxOOyBymrEqlHXm31qzZcmzTUoRyj9nde9syxoAwuKmhr7jmPY72T3AVbfzx06UVZyvmbPkZyRHJouZrQV"
	  "3xZAxjRM8mbTgDIMRBZxjX/BpYconEG4ZgzWbmHGJR1m4jfXuX8v/h2/1KZNUK9IKLdbFfu0XgOYgOjC29GFfm7s==",
	  "FLY_API_TOKEN=FlyV1 fm2_3cW0uABBrDSxOOyBymrEqlHXm31qzZcmzTUoRyj9nde9syxoAwuKmhr7jmPY72T3AVbfzx06"
	  "UVZyvmbPkZyRHJouZrQV3xZAxjRM8mbTgDIMRBZxjX/BpYconEG4ZgzWbmHGJR1m4jfXuX8v/h2/1KZNUK9IKLdbFfu0XgOY"
	  "gOjC29GFfm7s==" },
	{ "secret.planetscale_token", "pscale_tkn__90pMThdNADhn3dwHjhxCiQADMqOLRAxXVH0i8sUipE",
	  "PLANETSCALE_SERVICE_TOKEN=pscale_tkn__90pMThdNADhn3dwHjhxCiQADMqOLRAxXVH0i8sUipE" },
	{ "secret.prefect_api_key", "pnu_hG5tYGN2wrrNRUKSLmOrWpm8pGP6m4RcOdar",
	  "PREFECT_API_KEY=pnu_hG5tYGN2wrrNRUKSLmOrWpm8pGP6m4RcOdar" },
	{ "secret.scalingo_token", "tk-us-H2denCJjluEV99TARR-rjp5B42HXtVtPLx2Vm7Pkk3_7MbjN",
	  "SCALINGO_API_TOKEN=tk-us-H2denCJjluEV99TARR-rjp5B42HXtVtPLx2Vm7Pkk3_7MbjN" },
	{ "secret.dynatrace_token", "dt0c01.NFT5USJOWUXHU2R27T3UOZ7P.FXXBXZYMXY8JLLF3SBO7D8KSB1E8T8FVFRGUFBJG1PO57V3ZWVVI558EC0WAYF38",
	  "DT_API_TOKEN=dt0c01.NFT5USJOWUXHU2R27T3UOZ7P.FXXBXZYMXY8JLLF3SBO7D8KSB1E8T8FVFRGUFBJG1PO57V3ZWVV"
	  "I558EC0WAYF38" },
	{ "secret.airtable_token", "patObHxTaZhA7A6jp.5c5a6cd981f939451e0f1a365b67f7e58c59f8fca2f7c164c8170fbe7d5d5a48",
	  "AIRTABLE_TOKEN=patObHxTaZhA7A6jp.5c5a6cd981f939451e0f1a365b67f7e58c59f8fca2f7c164c8170fbe7d5d5a4"
	  "8" },
	{ "secret.figma_token", "figd_qIgtwaAtqkTIm97kMcy1yl4Ae0-uNONZjN7iUjrn",
	  "X-Figma-Token: figd_qIgtwaAtqkTIm97kMcy1yl4Ae0-uNONZjN7iUjrn" },
	{ "secret.contentful_token", "CFPAT-Y7p4bW8ELo6bAtLWMRYlGyzWoQNJ8Q5WlnsmqwxyZe7",
	  "CONTENTFUL_MANAGEMENT_TOKEN=CFPAT-Y7p4bW8ELo6bAtLWMRYlGyzWoQNJ8Q5WlnsmqwxyZe7" },
	{ "secret.readme_api_key", "rdme_fgockh10ev16injy4v0azup7bqvmvt2g9yn6vsgkq8t9ow66jm7mbmfip40vvfxr3h2ip8",
	  "README_API_KEY=rdme_fgockh10ev16injy4v0azup7bqvmvt2g9yn6vsgkq8t9ow66jm7mbmfip40vvfxr3h2ip8" },
	{ "secret.okta_api_token", "00iHvQspaKUEUvxj6eZxrNWcuz07esXpZwRqHFQges",
	  "OKTA_API_TOKEN=00iHvQspaKUEUvxj6eZxrNWcuz07esXpZwRqHFQges" },
	{ "secret.azure_devops_pat", "z7g6w22s7523hhv32buds3yuteph4pzd6gptzpex2ko2hegih5as",
	  "AZURE_DEVOPS_PAT=z7g6w22s7523hhv32buds3yuteph4pzd6gptzpex2ko2hegih5as" },
	{ "secret.shippo_api_token", "shippo_live_790a52eec4b7190ea9af4f66916abf05676139a8",
	  "SHIPPO_API_KEY=shippo_live_790a52eec4b7190ea9af4f66916abf05676139a8" },
	{ "secret.dropbox_access_token", "sl.1rQ41kvCNpzIxELIVoDMxCJql7j4jfaKG2lvKyFwJdxte7Xa-hxiUP9eLwvo3E4GEH_C-Hezg5xPtc-34HdjowEsgN2fO"
	  "H-lvWGFu-6hO07UBfq_rs6faE0slYM82jeDLGpE17lDUN",
	  "DROPBOX_ACCESS_TOKEN=sl.1rQ41kvCNpzIxELIVoDMxCJql7j4jfaKG2lvKyFwJdxte7Xa-hxiUP9eLwvo3E4GEH_C-Hez"
	  "g5xPtc-34HdjowEsgN2fOH-lvWGFu-6hO07UBfq_rs6faE0slYM82jeDLGpE17lDUN" },
	{ "secret.adafruit_io_key", "aio_v87NnckzLPdVvKS634L74lD3z71n",
	  "ADAFRUIT_IO_KEY=aio_v87NnckzLPdVvKS634L74lD3z71n" },
	{ "secret.google_oauth_access_token", "ya29.WWgB1SFxu9AZB7N85_x_AX1jgJUJcxHYBInUhtUrEpcPX5kWPGhMYE_fytqeAN029rHO5WsAJ5ZrXTCnLVSBrfd9bMi"
	  "BTpVEHl2pY-h_XQK-JCuZz8vSElR2t9GNcYpUiZIgW-M8PGjdeSPVMHx8XR",
	  "Authorization: OAuth ya29.WWgB1SFxu9AZB7N85_x_AX1jgJUJcxHYBInUhtUrEpcPX5kWPGhMYE_fytqeAN029rHO5W"
	  "sAJ5ZrXTCnLVSBrfd9bMiBTpVEHl2pY-h_XQK-JCuZz8vSElR2t9GNcYpUiZIgW-M8PGjdeSPVMHx8XR" },
	{ "secret.google_oauth_refresh_token", "1//0UdBjg01iJi75WXerIN-U8ctyIDHCEaYaE-kQHSncOAYuyuuQ_LV1KU-EFUPwqiinNo59fu09gSGYYGGVPxQAq1qIuqzW"
	  "LDxb8rI",
	  "\"refresh_token\": \"1//0UdBjg01iJi75WXerIN-U8ctyIDHCEaYaE-kQHSncOAYuyuuQ_LV1KU-EFUPwqiinNo59fu0"
	  "9gSGYYGGVPxQAq1qIuqzWLDxb8rI\"" },
	{ "secret.azure_shared_access_key", "I1GYXrgupfyKTpZQd9vViN4KCY0sXBKs4wnG+3ptPcI",
	  "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedA"
	  "ccessKey=I1GYXrgupfyKTpZQd9vViN4KCY0sXBKs4wnG+3ptPcI=" },
	{ "secret.twilio_auth_token", "3f9a2c7e1b8d4f6a9c3e5b7d2a4f6c8e",
	  "TWILIO_AUTH_TOKEN=3f9a2c7e1b8d4f6a9c3e5b7d2a4f6c8e" },
	{ "secret.pagerduty_api_key", "u+Ab3Cd5Ef7Gh9Jk1Lm2",
	  "PAGERDUTY_API_KEY=u+Ab3Cd5Ef7Gh9Jk1Lm2" },
	{ "secret.vercel_token", "Ab3Cd5Ef7Gh9Jk1Lm2Np4Qr6",
	  "VERCEL_TOKEN=Ab3Cd5Ef7Gh9Jk1Lm2Np4Qr6" },
	{ "secret.heroku_legacy_api_key", "3f9a2c7e-1b8d-4f6a-9c3e-5b7d2a4f6c8e",
	  "HEROKU_API_KEY=3f9a2c7e-1b8d-4f6a-9c3e-5b7d2a4f6c8e" },
	{ "secret.vault_legacy_token", "s.Ab3Cd5Ef7Gh9Jk1Lm2Np4Qr6",
	  "VAULT_TOKEN=s.Ab3Cd5Ef7Gh9Jk1Lm2Np4Qr6" },
	{ "secret.mailgun_private_key", "3f9a2c7e1b8d4f6a9c3e5b7d2a4f6c8e-3f9a2c7e-1b8d4f6a",
	  "MAILGUN_API_KEY=3f9a2c7e1b8d4f6a9c3e5b7d2a4f6c8e-3f9a2c7e-1b8d4f6a" },
	{ "secret.gitlab_token", "glffct-Ab3Cd5Ef7Gh9Jk1Lm2Np4Q",
	  "token: glffct-Ab3Cd5Ef7Gh9Jk1Lm2Np4Q" },
	/* Credentials by where they are placed (cred_syntax.c). */
	{ "secret.http_bearer_token", "8f3kQ9xLm2Pz7Rt4Vw6Yb1Nc5Hd0Js",
	  "curl -H \"Authorization: Bearer 8f3kQ9xLm2Pz7Rt4Vw6Yb1Nc5Hd0Js\" https://api.internal/v1/models" },
	{ "secret.http_basic_credentials", "YWxpY2U6czNjcjN0UGFzcyE=",
	  "Authorization: Basic YWxpY2U6czNjcjN0UGFzcyE=" },
	{ "secret.http_token_header", "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
	  "Authorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b" },
	{ "secret.http_api_key_header", "4f7a9c2e1b8d4e6f9a3c5b7d2e4f6a8c",
	  "X-API-Key: 4f7a9c2e1b8d4e6f9a3c5b7d2e4f6a8c" },
	{ "secret.cli_user_password", "Xk8vQ2mZr7Lp",
	  "curl -u deploy:Xk8vQ2mZr7Lp https://registry.internal/v2/" },
	{ "secret.cli_mysql_password", "W1nt3rIsC0ming",
	  "mysql -u root -pW1nt3rIsC0ming -h db.internal" },
	{ "secret.cli_password_flag", "Hunter2Secret!",
	  "sshpass -p 'Hunter2Secret!' ssh ops@bastion" },
	/* Vendors' formats (tokens.c), made up in their shapes. */
	{ "secret.groq_api_key", "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",
	  "GROQ_API_KEY=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" },
	{ "secret.replicate_api_token", "r8_J0RlgLKOmxgJTeKdNnFRIBXuDL7DxtpYlSXpf",
	  "export REPLICATE_API_TOKEN=r8_J0RlgLKOmxgJTeKdNnFRIBXuDL7DxtpYlSXpf" },
	{ "secret.perplexity_api_key", "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",
	  "client = OpenAI(api_key=\"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\", base_url=\"ht"
	  "tps://api.perplexity.ai\")" },
	{ "secret.xai_api_key", "xai-edUStPKR0CsTy4Qwb8DwkNhFdnXsiVpzz63FfkCzJr4i0B3JrTAwR4y9ojfljoQoaF1LlqsajAIxNKu8",
	  "XAI_API_KEY=xai-edUStPKR0CsTy4Qwb8DwkNhFdnXsiVpzz63FfkCzJr4i0B3JrTAwR4y9ojfljoQoaF1LlqsajAIxNKu8" },
	{ "secret.nvidia_api_key", "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",
	  "Authorization: Bearer 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" },
	{ "secret.huggingface_org_token", "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",
	  "HF_TOKEN=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" },
	{ "secret.langsmith_api_key", "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",
	  "LANGSMITH_API_KEY=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" },
	{ "secret.pinecone_api_key", "pcsk_1id6Vw_5DQL05HA064GiIjHGb3CXlMaXZjljENUhJduRHHJEYXg4JdpmrcXgGCJbW56eCu",
	  "pc = Pinecone(api_key=\"pcsk_1id6Vw_5DQL05HA064GiIjHGb3CXlMaXZjljENUhJduRHHJEYXg4JdpmrcXgGCJbW56"
	  "eCu\")" },
	{ "secret.databricks_token", "dapi68ef786e4d3cea27d26934b484e73cf5",
	  "DATABRICKS_TOKEN=dapi68ef786e4d3cea27d26934b484e73cf5" },
	{ "secret.aws_bedrock_api_key", "ABSKQmVkcm9ja0FQSUtleSCu3ZR1zTOlUcR64cXQLioDnkHIfxIq2HZt/PlJhx2jIclHkCiHp6bR1IqfEouHgxzNNAL5wISc"
	  "Gebcy8F5n3/YNBDRzrZSgqbjG3uhkWKFLf6x=",
	  "AWS_BEARER_TOKEN_BEDROCK=ABSKQmVkcm9ja0FQSUtleSCu3ZR1zTOlUcR64cXQLioDnkHIfxIq2HZt/PlJhx2jIclHkCi"
	  "Hp6bR1IqfEouHgxzNNAL5wIScGebcy8F5n3/YNBDRzrZSgqbjG3uhkWKFLf6x=" },
	{ "secret.aws_bedrock_short_term_key", "bedrock-api-key-uI5aHUQPFeNBTxaQWk8JzFalHlsZfYcMMDktXP/tKsf2rcDkdfrUnW5gcF+Ha6ili8GjHEAD6/Wj9Kfz"
	  "jsQGMrb9h+ImB+LK777pzNk8cL6j5IXAAjlsHUqJoUD/+Ydua+5ZMs1SWOpQaPRYpzbLGViYXjU2JgJngKtFI3OyV2dZAkg0"
	  "5rK+gqv81RKMGHZEM9YpvujA/C5Q52ryFlwRlOEVHzc0X0AWIRh/JUqBlIFXZ53Ncqe28+ajY75FnCttn6kfaqDeMqG3omjM"
	  "yXHCabM6JOF8EFd0Nhcy/1kGD2VD==",
	  "export AWS_BEARER_TOKEN_BEDROCK=bedrock-api-key-uI5aHUQPFeNBTxaQWk8JzFalHlsZfYcMMDktXP/tKsf2rcDk"
	  "dfrUnW5gcF+Ha6ili8GjHEAD6/Wj9KfzjsQGMrb9h+ImB+LK777pzNk8cL6j5IXAAjlsHUqJoUD/+Ydua+5ZMs1SWOpQaPRY"
	  "pzbLGViYXjU2JgJngKtFI3OyV2dZAkg05rK+gqv81RKMGHZEM9YpvujA/C5Q52ryFlwRlOEVHzc0X0AWIRh/JUqBlIFXZ53N"
	  "cqe28+ajY75FnCttn6kfaqDeMqG3omjMyXHCabM6JOF8EFd0Nhcy/1kGD2VD==" },
	{ "secret.deepseek_api_key", "sk-f1adbc60926f6967e7893f57fd14c160",
	  "DEEPSEEK_API_KEY=\"sk-f1adbc60926f6967e7893f57fd14c160\"" },
	{ "secret.cohere_api_key", "MjAdTdlzC5T4uUhf7kvmlP7HVDctQUy1xvCkgafr",
	  "co = cohere.Client(api_key=\"MjAdTdlzC5T4uUhf7kvmlP7HVDctQUy1xvCkgafr\")" },
	{ "secret.mistral_api_key", "fwA94hJ9WnywX0t0ZBfdTEmxI6CmuxV5",
	  "MISTRAL_API_KEY=fwA94hJ9WnywX0t0ZBfdTEmxI6CmuxV5" },
	{ "secret.together_api_key", "f0d7c1c1e21862ab8a18a8902073fec8df4f50947aaeb26c57d21fa5d328263d",
	  "TOGETHER_API_KEY=f0d7c1c1e21862ab8a18a8902073fec8df4f50947aaeb26c57d21fa5d328263d" },
	{ "secret.wandb_api_key", "fe574de739988b886e7577496a2c8773e130f7eb",
	  "wandb login fe574de739988b886e7577496a2c8773e130f7eb" },
	{ "secret.azure_openai_key", "19731662b5e803b61ba4168160adb592",
	  "api-key: 19731662b5e803b61ba4168160adb592" },
	{ "secret.npm_token", "npm_ncYFJEeAgYzQJjOIfPkzSrAsQtA9dtVK4wAA",
	  "//registry.npmjs.org/:_authToken=npm_ncYFJEeAgYzQJjOIfPkzSrAsQtA9dtVK4wAA" },
	{ "secret.pypi_token", "pypi-AgEIcHlwaS5vcmccUzYZAa3u2olZU6uqbgsYlVvsSKuvinX_zMqf9OgXluCZz8xBfZuXTptFyfePpX6N1NF2XV54wca"
	  "_7E56w8ZniqT3Ul4ffqkOkgWrdioyq_KvCiSGuPJ6sG9",
	  "password = pypi-AgEIcHlwaS5vcmccUzYZAa3u2olZU6uqbgsYlVvsSKuvinX_zMqf9OgXluCZz8xBfZuXTptFyfePpX6N"
	  "1NF2XV54wca_7E56w8ZniqT3Ul4ffqkOkgWrdioyq_KvCiSGuPJ6sG9" },
	{ "secret.docker_hub_token", "dckr_pat_AHEOVezxZuJPWvHogU5nGYVHWVs",
	  "docker login -u acme -p dckr_pat_AHEOVezxZuJPWvHogU5nGYVHWVs" },
	{ "secret.gitlab_runner_registration_token", "GR1348941UQk4DwgLGNOaeCtL31Ug",
	  "gitlab-runner register --registration-token GR1348941UQk4DwgLGNOaeCtL31Ug" },
	{ "secret.atlassian_api_token", "ATATT3q_DfcgaTMnTC0MrAU8urbFt5misIZHbhS4-FvafhdZxEuhnbzs0z1wNiMg9aW37k5wCnHDepQHgI3HLBkbvHEzuPyX"
	  "QEW88ad3DNBYjvsedonuSsddfrfifiUziXnFAAoeelK9mqmALOR2HcSGKgVP8Kd0d3mS8gBlKv3azKgaS_m_x-SHuKBD-=53"
	  "2F3AB3",
	  "JIRA_API_TOKEN=ATATT3q_DfcgaTMnTC0MrAU8urbFt5misIZHbhS4-FvafhdZxEuhnbzs0z1wNiMg9aW37k5wCnHDepQHg"
	  "I3HLBkbvHEzuPyXQEW88ad3DNBYjvsedonuSsddfrfifiUziXnFAAoeelK9mqmALOR2HcSGKgVP8Kd0d3mS8gBlKv3azKgaS"
	  "_m_x-SHuKBD-=532F3AB3" },
	{ "secret.bitbucket_app_password", "ATBBz7z54VfB4PbxntqB5IGky4Oo8DiIMWSW",
	  "BITBUCKET_APP_PASSWORD=ATBBz7z54VfB4PbxntqB5IGky4Oo8DiIMWSW" },
	{ "secret.linear_api_key", "lin_api_MPcwLuHj31CQJVukDCSXqLoivDP4SpGmrtWT01Nj",
	  "LINEAR_API_KEY=lin_api_MPcwLuHj31CQJVukDCSXqLoivDP4SpGmrtWT01Nj" },
	{ "secret.notion_token", "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",
	  "NOTION_TOKEN=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" },
	{ "secret.postman_api_key", "PMAK-9e048c07dd7753eda83d7c58-dfe0d5a0cf318656b3e6f0bade65c3b188",
	  "x-api-key: PMAK-9e048c07dd7753eda83d7c58-dfe0d5a0cf318656b3e6f0bade65c3b188" },
	{ "secret.netlify_token", "nfp_yzdaeA6AOSRwLqgotVz89HoZ9zDnki7XeZZO",
	  "NETLIFY_AUTH_TOKEN=nfp_yzdaeA6AOSRwLqgotVz89HoZ9zDnki7XeZZO" },
	{ "secret.supabase_key", "sbp_6f74bde94fb78c8d5f08b79affd2b49c12a4b006",
	  "supabase login --token sbp_6f74bde94fb78c8d5f08b79affd2b49c12a4b006" },
	{ "secret.heroku_api_key", "HRKU-AAjLGmsDx5StAZvlMz-Bk4opH1Dr8-h97s_F-vauP7-L7V21jxUdcfQm9_se",
	  "HEROKU_API_KEY=HRKU-AAjLGmsDx5StAZvlMz-Bk4opH1Dr8-h97s_F-vauP7-L7V21jxUdcfQm9_se" },
	{ "secret.digitalocean_token", "dop_v1_6d4a3baf69dad8199bfca8b6f3a6a9421cc1c93016f1c4261e5351d30b49895d",
	  "doctl auth init -t dop_v1_6d4a3baf69dad8199bfca8b6f3a6a9421cc1c93016f1c4261e5351d30b49895d" },
	{ "secret.terraform_cloud_token", "cubBKPL76dFKHc.atlasv1.p1Z5ibXt80nk8Btb2abplBpq8cJF5xgUskL-6GgebhbkXNNv_hOV48vsoUu19X5IQLJ",
	  "token = \"cubBKPL76dFKHc.atlasv1.p1Z5ibXt80nk8Btb2abplBpq8cJF5xgUskL-6GgebhbkXNNv_hOV48vsoUu19X5"
	  "IQLJ\"" },
	{ "secret.vault_token", "hvs.hQbtN2FWXWD5KaPHI2ufKssJ-Sk_WzDNhY7AGbX6lTiDYHP9zyBylxLUTZtFf-VnV7ktOdSJcmeA_BHJ2m5qGeRzxWk",
	  "VAULT_TOKEN=hvs.hQbtN2FWXWD5KaPHI2ufKssJ-Sk_WzDNhY7AGbX6lTiDYHP9zyBylxLUTZtFf-VnV7ktOdSJcmeA_BHJ"
	  "2m5qGeRzxWk" },
	{ "secret.doppler_token", "dp.st.bdcJx3TDF8265e3MOz7hT9fquKoPf96QGzlC2kx9",
	  "DOPPLER_TOKEN=dp.st.bdcJx3TDF8265e3MOz7hT9fquKoPf96QGzlC2kx9" },
	{ "secret.onepassword_service_account_token", "ops_eyJECweGThdgH9hmsOazM4n8PVGXpV9Wv4Esb7yeuCjVr5mXcj5RPD9oUsQChx5s4tI10FtdILQvH+nO69othB9KpGzU"
	  "3HEEmXL1uhLsc4Rr4aKxU3f0BJxrxDwzkl/JwAryNzbi0hSQK/lb09rIFxUeuVaT5jpTFPWhLn/5drcFlCxvnNGdcmyHc7E4"
	  "nSmwfIp7/JoppZrDDs7YvcX1eYgURZEQ3PZgPsTF2bUnxiP3zcCr1Y6ffeIIemGpb3EfKoNSvphIk7s4pqL0KJFlK6CXzU6M"
	  "98NdFQCyXYbTuEPP+IK=",
	  "OP_SERVICE_ACCOUNT_TOKEN=ops_eyJECweGThdgH9hmsOazM4n8PVGXpV9Wv4Esb7yeuCjVr5mXcj5RPD9oUsQChx5s4tI"
	  "10FtdILQvH+nO69othB9KpGzU3HEEmXL1uhLsc4Rr4aKxU3f0BJxrxDwzkl/JwAryNzbi0hSQK/lb09rIFxUeuVaT5jpTFPW"
	  "hLn/5drcFlCxvnNGdcmyHc7E4nSmwfIp7/JoppZrDDs7YvcX1eYgURZEQ3PZgPsTF2bUnxiP3zcCr1Y6ffeIIemGpb3EfKoN"
	  "SvphIk7s4pqL0KJFlK6CXzU6M98NdFQCyXYbTuEPP+IK=" },
	/* The generic secret after "TOKEN=" ends before the padding: the token,
	 * which ends later, wins. */
	{ "secret.grafana_token",
	  "glc_vDCMO0l9IFIR5HhmypjrZ3qho2gSTEh8zySqQ8TvZpE2yhEV5ISlrv3AqVjhsLeGStfNc/eW0UHOiospTwI/5XI7R+TuIhsswwiU"
	  "Eurp5EoSAoXJ2igj3Kxc==",
	  "GRAFANA_TOKEN=glc_vDCMO0l9IFIR5HhmypjrZ3qho2gSTEh8zySqQ8TvZpE2yhEV5ISlrv3AqVjhsLeGStfNc/eW0UHOiospTwI/5XI7R+"
	  "TuIhsswwiUEurp5EoSAoXJ2igj3Kxc==" },
	{ "secret.grafana_token", "glsa_4nsdXbkJeM3wCQdHy1CwVWgHo9RV7jAv_b4683f84",
	  "Authorization: Bearer glsa_4nsdXbkJeM3wCQdHy1CwVWgHo9RV7jAv_b4683f84" },
	{ "secret.new_relic_key", "NRAK-0GA09H5ZJ0RHY23SWSWZ79YUA5Y",
	  "NEW_RELIC_API_KEY=NRAK-0GA09H5ZJ0RHY23SWSWZ79YUA5Y" },
	{ "secret.sentry_token", "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",
	  "SENTRY_AUTH_TOKEN=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" },
	{ "secret.datadog_key", "b1d00909c30065f846d34530325fed10",
	  "DD_API_KEY=b1d00909c30065f846d34530325fed10" },
	{ "secret.cloudflare_origin_ca_key", "v1.0-a47b851832b6ec017c1e1777-155a0e9d8f27c7d9cf07255bc509cb3acac23db7c6e9b7d180a4742684ee75bb6c"
	  "c69f67e48eb7c64328c0490c257a632b96292794c9bce4850bbd0e7cb3593871c15d694c1957f8db",
	  "CF_ORIGIN_CA_KEY=v1.0-a47b851832b6ec017c1e1777-155a0e9d8f27c7d9cf07255bc509cb3acac23db7c6e9b7d18"
	  "0a4742684ee75bb6cc69f67e48eb7c64328c0490c257a632b96292794c9bce4850bbd0e7cb3593871c15d694c1957f8d"
	  "b" },
	{ "secret.cloudflare_api_token", "aoKfgFoeOASl1YCJlS24R5gA2q_yfHwuEHFhvTS0",
	  "CLOUDFLARE_API_TOKEN=aoKfgFoeOASl1YCJlS24R5gA2q_yfHwuEHFhvTS0" },
	{ "secret.slack_app_token", "xapp-1-AFMTII54PPA-8725422993518-d54ec6390bf61189639e35aeeb95210ef2a83fdf6a0b29872400c49b5539ac5"
	  "b",
	  "SLACK_APP_TOKEN=xapp-1-AFMTII54PPA-8725422993518-d54ec6390bf61189639e35aeeb95210ef2a83fdf6a0b298"
	  "72400c49b5539ac5b" },
	{ "secret.discord_bot_token", "MzY1NDMyMzg2MTc2OTIzNjQx.VrVGEh.fnZgB-2-uMksDur4Zlf49yBVae2sKjh1Ri4bwv",
	  "client.run(\"MzY1NDMyMzg2MTc2OTIzNjQx.VrVGEh.fnZgB-2-uMksDur4Zlf49yBVae2sKjh1Ri4bwv\")" },
	{ "secret.discord_webhook", "https://discord.com/api/webhooks/440965377808434848/a4Sz8kP62tZkhQM1V9rMRdyC5ksV1UE4YHoDxzoCGmyG"
	  "_D6Cok0j4ron6Yvy8lrVhZEg",
	  "Post alerts to https://discord.com/api/webhooks/440965377808434848/a4Sz8kP62tZkhQM1V9rMRdyC5ksV1"
	  "UE4YHoDxzoCGmyG_D6Cok0j4ron6Yvy8lrVhZEg from the cron job." },
	{ "secret.telegram_bot_token", "499804451:AAfbB6Mpr2lzoTvURbGpEVT_fTmTPoeFGTy",
	  "curl https://api.telegram.org/bot499804451:AAfbB6Mpr2lzoTvURbGpEVT_fTmTPoeFGTy/getMe" },
	{ "secret.twilio_api_key", "SKe0e30f328549c488e00a4ff1125cf5ec",
	  "TWILIO_API_KEY=SKe0e30f328549c488e00a4ff1125cf5ec" },
	{ "secret.sendgrid_api_key", "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",
	  "SENDGRID_API_KEY=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" },
	{ "secret.mailgun_api_key", "key-cec9524998a26259bebd2fa588058706",
	  "MAILGUN_API_KEY=key-cec9524998a26259bebd2fa588058706" },
	{ "secret.mailchimp_api_key", "1ce6936714122a40680a06aa0fca51d1-us3",
	  "MAILCHIMP_API_KEY=1ce6936714122a40680a06aa0fca51d1-us3" },
	{ "secret.shopify_token", "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",
	  "X-Shopify-Access-Token: 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" },
	{ "secret.square_token", "EAAAUJqGb8mUtDZldrphAxHUtwudSF4-BSX6BPdnbiZShDW0WCdGcH3EDTAP2JM-",
	  "SQUARE_ACCESS_TOKEN=EAAAUJqGb8mUtDZldrphAxHUtwudSF4-BSX6BPdnbiZShDW0WCdGcH3EDTAP2JM-" },
	{ "secret.braintree_access_token", "access_token$production$nk4ritsfva5pku2n$16b1e5d490340494b35ec2daca176014",
	  "BRAINTREE_TOKEN=access_token$production$nk4ritsfva5pku2n$16b1e5d490340494b35ec2daca176014" },
	{ "secret.stripe_webhook_secret", "whsec_GMoKBSgUbd5ue4hh9FiHBaloRIjOVIGh",
	  "STRIPE_WEBHOOK_SECRET=whsec_GMoKBSgUbd5ue4hh9FiHBaloRIjOVIGh" },
	{ "secret.aws_session_token", "IQoJb3JpZ2luX2VjT/jSBCjIwbHIifzg0UIbPf6KQ0IZ2O1XtXX0saEGWEzolegZP4O6a88RWEWTiYIPjCHH8S9CsiUAvUEw"
	  "t6wfPWU2p0tGWnUTM5lJYL5o59wtaqU+EVRWGczaHhwNJPGEH4l/lzq2LVf4WUfL03GTEXqyViAQjk5WY1/dn77318wi4Y+r"
	  "bDzZfLQX6plCjbn/lB6hzQ9h1r0gsPQyaxJHlOXGMY1gNMFW3GNzqgAV7+sURz6gObi0PeJC4LzA6Z4AAhx3pgrj/xbv/CLB"
	  "usAm7mzlg1CG42thrfu5LDOtNHPBtDYePWtLClz7tx3QZoeTpAjL+Sc/lz+JMlzr8IDMemaSytMgwQS59FQUwoMi6mouY7ee"
	  "fm0q1TjVuUvlQa9MtHmnEot/IpP7FufG==",
	  "aws_session_token = IQoJb3JpZ2luX2VjT/jSBCjIwbHIifzg0UIbPf6KQ0IZ2O1XtXX0saEGWEzolegZP4O6a88RWEWT"
	  "iYIPjCHH8S9CsiUAvUEwt6wfPWU2p0tGWnUTM5lJYL5o59wtaqU+EVRWGczaHhwNJPGEH4l/lzq2LVf4WUfL03GTEXqyViAQ"
	  "jk5WY1/dn77318wi4Y+rbDzZfLQX6plCjbn/lB6hzQ9h1r0gsPQyaxJHlOXGMY1gNMFW3GNzqgAV7+sURz6gObi0PeJC4LzA"
	  "6Z4AAhx3pgrj/xbv/CLBusAm7mzlg1CG42thrfu5LDOtNHPBtDYePWtLClz7tx3QZoeTpAjL+Sc/lz+JMlzr8IDMemaSytMg"
	  "wQS59FQUwoMi6mouY7eefm0q1TjVuUvlQa9MtHmnEot/IpP7FufG==" },
	{ "secret.gcp_oauth_client_secret", "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",
	  "\"client_secret\": \"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\"" },
	{ "secret.azure_storage_account_key", "FhFjRmfBwMRk7xbO00elFsvtSrAzCQia9e/QiizgU0lSu//rHMg7v3XMoiGDEz6E/gYYRWZlDR2NaM+co810M6==",
	  "DefaultEndpointsProtocol=https;AccountName=acmeprod;AccountKey=FhFjRmfBwMRk7xbO00elFsvtSrAzCQia9"
	  "e/QiizgU0lSu//rHMg7v3XMoiGDEz6E/gYYRWZlDR2NaM+co810M6==;EndpointSuffix=core.windows.net" },
	{ "secret.azure_sas_token", "jvInfwz2DNcsvfrlS4CAQIZphnROcy05lyrv9jxk%3D",
	  "https://acme.blob.core.windows.net/c/f.csv?sv=2022-11-02&ss=b&srt=o&sp=r&se=2026-12-31T00:00:00Z"
	  "&sig=jvInfwz2DNcsvfrlS4CAQIZphnROcy05lyrv9jxk%3D" },
	{ "secret.alibaba_access_key_id", "LTAIow40N459ztFu94GYMm21",
	  "ALIBABA_CLOUD_ACCESS_KEY_ID=LTAIow40N459ztFu94GYMm21" },
	{ "secret.ibm_cloud_api_key", "uYbawnF6GTmWrG1jQ4ILUNWh--UchpW5Nt6eP9raIsyf",
	  "IBMCLOUD_API_KEY=uYbawnF6GTmWrG1jQ4ILUNWh--UchpW5Nt6eP9raIsyf" },
	{ "secret.age_secret_key", "AGE-SECRET-KEY-1ET30JP669CLH352LRKGVR2N2NRNCHT3N7V5UEXSHE5C738DU625ZF376Y3",
	  "# created: 2026-01-01\nAGE-SECRET-KEY-1ET30JP669CLH352LRKGVR2N2NRNCHT3N7V5UEXSHE5C738DU625ZF376Y"
	  "3\n" },
	{ "secret.jwt_unsigned", "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiAiNTIzMzMiLCAicm9sZSI6ICJhZG1pbiJ9.",
	  "Authorization: Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiAiNTIzMzMiLCAicm9sZSI6ICJhZG"
	  "1pbiJ9." },
};

static void check_positive(struct classifier *c, const struct positive *p, const struct found *fd)
{
	const char *at = strstr(p->text, p->value);
	uint8_t fp[CL_FINGERPRINT_LEN];

	assert_non_null(at);
	if (fd->n != 1)
		fail_msg("%s: %d findings in \"%s\"", p->id, fd->n, p->text);
	assert_string_equal(fd->f[0].det->id, p->id);
	if (fd->f[0].start != (uint64_t)(at - p->text) || fd->f[0].end != (uint64_t)(at - p->text) + strlen(p->value))
		fail_msg("%s: found %llu-%llu, value at %zu-%zu", p->id, (unsigned long long)fd->f[0].start,
			 (unsigned long long)fd->f[0].end, (size_t)(at - p->text), (size_t)(at - p->text) + strlen(p->value));
	/* The preview shows at most four characters of the value. */
	assert_null(strstr(fd->f[0].masked, p->value));
	cl_fingerprint(c, fd->f[0].det, p->value, strlen(p->value), fp);
	assert_memory_equal(fp, fd->f[0].fingerprint, sizeof(fp));
}

static void test_classify_each_detector(void **state)
{
	struct classifier *c = builtin();
	struct found fd;

	(void)state;
	for (size_t i = 0; i < sizeof(positives) / sizeof(positives[0]); i++) {
		scan(c, positives[i].text, 0, &fd);
		check_positive(c, &positives[i], &fd);
	}
	classifier_free(c);
}

/* A value split anywhere - two pieces at every position, and one byte at a
 * time - gives the same finding, at the same offsets. */
static void test_classify_every_split(void **state)
{
	struct classifier *c = builtin();
	struct found fd;

	(void)state;
	for (size_t i = 0; i < sizeof(positives) / sizeof(positives[0]); i++) {
		const struct positive *p = &positives[i];
		size_t n = strlen(p->text);

		scan(c, p->text, 1, &fd);
		check_positive(c, p, &fd);
		for (size_t cut = 1; cut < n; cut++) {
			struct cl_stream *s = cl_open(c, on_finding, &fd);

			memset(&fd, 0, sizeof(fd));
			cl_feed(s, p->text, cut);
			cl_feed(s, p->text + cut, n - cut);
			cl_close(s);
			check_positive(c, p, &fd);
		}
	}
	classifier_free(c);
}

/* Feeds text in pieces of `step` bytes through cl_feed_lazy, one piece in
 * every `eager` (0: none) through cl_feed, and syncs the list every
 * `sync_every` pieces (0: never, only the close and the size bound scan). */
static void scan_lazy(struct classifier *c, const char *text, size_t step, size_t eager, size_t sync_every,
		      struct found *out)
{
	struct cl_stream *s = cl_open(c, on_finding, out);
	struct cl_lazy l = { 0 };
	size_t n = strlen(text), piece = 0;

	memset(out, 0, sizeof(*out));
	assert_non_null(s);
	for (size_t off = 0; off < n; piece++) {
		size_t k = n - off > step ? step : n - off;

		if (eager && piece % eager == eager - 1)
			cl_feed(s, text + off, k);
		else
			cl_feed_lazy(s, text + off, k, &l, piece);
		if (sync_every && piece % sync_every == sync_every - 1)
			cl_lazy_sync(&l, UINT64_MAX);
		off += k;
	}
	cl_close(s);
	assert_null(l.head);
	assert_int_equal(l.streams, 0);
}

/* Tokens left to wait in the ring (a streamed completion) give the same
 * findings, at the same offsets, however the waits and the scans fall. */
static void test_classify_lazy_same_findings(void **state)
{
	static const size_t steps[] = { 1, 3, 7, 64, 700 }, eager[] = { 0, 5 }, syncs[] = { 0, 1, 4, 9 };
	struct classifier *c = builtin();
	struct found fd;

	(void)state;
	for (size_t i = 0; i < sizeof(positives) / sizeof(positives[0]); i++)
		for (size_t a = 0; a < sizeof(steps) / sizeof(steps[0]); a++)
			for (size_t b = 0; b < sizeof(eager) / sizeof(eager[0]); b++)
				for (size_t y = 0; y < sizeof(syncs) / sizeof(syncs[0]); y++) {
					scan_lazy(c, positives[i].text, steps[a], eager[b], syncs[y], &fd);
					check_positive(c, &positives[i], &fd);
				}
	classifier_free(c);
}

/* Waiting tails are scanned, all of them, when the list is synced past the
 * time the oldest began; one alone when a piece has gathered in it or it
 * is fed eagerly; not before. */
static void test_classify_lazy_waits_bounded(void **state)
{
	static const char text[] = "Charge it to my card 4532 0151 1283 0366, expiry 09/28.";
	static char filler[4200];
	struct classifier *c = builtin();
	struct cl_lazy l = { 0 };
	struct cl_stream *s, *t;
	struct found fd = { 0 }, fe = { 0 };

	(void)state;
	s = cl_open(c, on_finding, &fd);
	t = cl_open(c, on_finding, &fe);
	for (size_t k = 0; k < sizeof(text) - 1; k++)
		cl_feed_lazy(s, text + k, 1, &l, 100);
	cl_feed_lazy(t, "x", 1, &l, 150);
	assert_ptr_equal(l.head, s);
	assert_int_equal(l.streams, 2);
	cl_lazy_sync(&l, 100); /* began at 100: not before 100 */
	assert_int_equal(fd.n, 0);
	cl_lazy_sync(&l, 101);
	assert_int_equal(fd.n, 1);
	assert_string_equal(fd.f[0].det->id, "financial.payment_card");
	assert_null(l.head); /* t, which began later, with it */
	assert_int_equal(l.streams, 0);
	cl_feed_lazy(t, "x", 1, &l, 200);
	assert_ptr_equal(l.head, t);
	cl_close(t);
	assert_null(l.head);
	cl_close(s);

	/* The size bound: a piece of filler after the value scans it with no sync. */
	memset(&fd, 0, sizeof(fd));
	memset(filler, ' ', sizeof(filler));
	s = cl_open(c, on_finding, &fd);
	cl_feed_lazy(s, text, sizeof(text) - 1, &l, 0);
	for (size_t k = 0; k + 10 <= sizeof(filler) && fd.n == 0; k += 10)
		cl_feed_lazy(s, filler + k, 10, &l, 0);
	assert_int_equal(fd.n, 1);
	/* An eager feed scans the tail before its own bytes. */
	memset(&fd, 0, sizeof(fd));
	cl_feed_lazy(s, text, sizeof(text) - 1, &l, 0);
	assert_int_equal(fd.n, 0);
	cl_feed(s, " ", 1);
	assert_int_equal(fd.n, 1);
	assert_null(l.head);
	cl_close(s);
	classifier_free(c);
}

/* A value that straddles the end of the classifier's 16 KiB history ring
 * (the stream's bytes wrap round it there): found once, at its offsets,
 * whether the writes are 4 KiB or of an odd size. */
static void test_classify_across_ring_end(void **state)
{
	static const char filler[] = "Notes follow here. ";
	static char text[40000];
	static const size_t wrap = 2 * 16384, steps[] = { 4096, 1000 };
	struct classifier *c = builtin();
	struct found fd;

	(void)state;
	for (size_t i = 0; i < sizeof(positives) / sizeof(positives[0]); i++) {
		const struct positive *p = &positives[i];
		size_t voff = (size_t)(strstr(p->text, p->value) - p->text), vlen = strlen(p->value);

		for (size_t k = 1; k < vlen; k += 4) {
			size_t start = wrap - k - voff; /* the value starts k bytes before the wrap */

			for (size_t j = 0; j < start; j++)
				text[j] = filler[j % (sizeof(filler) - 1)];
			text[start - 1] = '\n';
			strcpy(text + start, p->text);
			for (size_t st = 0; st < 2 * sizeof(steps) / sizeof(steps[0]); st++) {
				if (st < sizeof(steps) / sizeof(steps[0]))
					scan(c, text, steps[st], &fd);
				else /* left waiting in the ring, which wraps meanwhile */
					scan_lazy(c, text, steps[st - sizeof(steps) / sizeof(steps[0])] / 8, 0, 3, &fd);
				if (fd.n != 1 || strcmp(fd.f[0].det->id, p->id) != 0 || fd.f[0].start != wrap - k ||
				    fd.f[0].end != wrap - k + vlen)
					fail_msg("%s across the ring's end (%zu bytes before it, %zu-byte writes): %d findings, "
						 "first %s at %llu", p->id, k, steps[st % 2], fd.n, fd.n ? fd.f[0].det->id : "-",
						 fd.n ? (unsigned long long)fd.f[0].start : 0ULL);
			}
		}
	}
	classifier_free(c);
}

static bool in_charset(const uint8_t cs[32], const char *chars)
{
	for (const char *q = chars; *q; q++)
		if ((cs[(uint8_t)*q >> 3] >> ((uint8_t)*q & 7)) & 1)
			return true;
	return false;
}

/* Every detector's value with each neighbour people put around values is
 * found at its exact offsets, unless the neighbour is one of the value's
 * own characters (then it is part of it, by the rule that a value never
 * ends inside a run of its alphabet): sentence punctuation right after it,
 * in its own text; and, for the detectors that know a value by itself,
 * quotes, brackets, backticks and Markdown emphasis (* ** _ __) around it
 * in a plain sentence (a value known by the words before it, "Bearer" or
 * "KEY=", has its text's own grammar). */
static void test_classify_boundaries(void **state)
{
	static const char *const after[] = { ".", ",", ";", ":", ")", "]", "!", "?" };
	static const struct {
		const char *l, *r;
	} around[] = {
		{ "\"", "\"" }, { "'", "'" }, { "(", ")" }, { "[", "]" }, { "`", "`" }, { "**", "**" }, { "*", "*" },
		{ "_", "_" }, { "__", "__" }, { "<", ">" }, { "{", "}" }, { "", "" },
	};
	struct classifier *c = builtin();
	struct found fd;
	int tried = 0, wrapped = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(positives) / sizeof(positives[0]); i++) {
		const struct positive *p = &positives[i];
		const char *at = strstr(p->text, p->value);
		size_t pre = (size_t)(at - p->text), vlen = strlen(p->value);
		char text[8192];
		struct positive w = { p->id, p->value, text };
		uint8_t cs[32];
		bool alone;

		det_charset_bits(det(c, p->id)->charset, cs);
		for (size_t k = 0; k < sizeof(after) / sizeof(after[0]); k++) {
			if (in_charset(cs, after[k]) || (at[vlen] && at[vlen] != ' ' && at[vlen] != '\n'))
				continue; /* its own character, or the text goes on right after the value */
			snprintf(text, sizeof(text), "%.*s%s%s%s", (int)(pre + vlen), p->text, after[k], at[vlen] ? " " : "",
				 at + vlen);
			scan(c, text, 0, &fd);
			check_positive(c, &w, &fd);
			tried++;
		}
		snprintf(text, sizeof(text), "Note: %s here.", p->value);
		scan(c, text, 0, &fd);
		alone = fd.n == 1 && strcmp(fd.f[0].det->id, p->id) == 0;
		for (size_t k = 0; alone && k < sizeof(around) / sizeof(around[0]); k++) {
			if (in_charset(cs, around[k].l) || in_charset(cs, around[k].r))
				continue;
			snprintf(text, sizeof(text), "Note: %s%s%s here.", around[k].l, p->value, around[k].r);
			scan(c, text, 0, &fd);
			check_positive(c, &w, &fd);
			wrapped++;
		}
	}
	assert_true(tried > 300 && wrapped > 300);
	classifier_free(c);
}

static void test_classify_hard_negatives(void **state)
{
	static const char *const negatives[] = {
		"Your order #4024007198966155 has shipped and will arrive Thursday.",
		"Order number ORD-536-22-1234 is being processed.",
		"request id 123e4567-e89b-12d3-a456-426614174000 failed with status 503",
		"The commit 9fceb02d0ae598e95dc970b74767f19372d61af8 fixed the race.",
		"Card number 4532015112830367 was rejected by the checksum.",
		"Invalid IBAN DE88 3704 0044 0532 0130 00 - please check the digits.",
		"Use the example key AKIAIOSFODNN7EXAMPLE from the AWS docs.",
		"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"GitHub's docs show ghp_16C7e42F292c6912E7710c838347Ae178B4a in the curl example.",
		"Try the test card 4242 4242 4242 4242 with any future date.",
		"Stripe's docs use sk_test_4eC39HqLyjWDarjtT1zdp7dc as the sample key.",
		"Email us at support@example.com or jane.doe@example.org.",
		"Upgrade to version 4.12.3.1 for the fix.",
		"Documentation addresses like 192.0.2.15 and 2001:db8::1 are reserved.",
		"In C++ you write std::vector<int> v; and std::map for lookups.",
		"The meeting is at 10:45:33 in room 401.",
		"password: ********",
		"token = process.env.GITHUB_TOKEN",
		"secretName: my-tls-secret",
		"The tokenizer: cl100k_base handles this.",
		"Example: postgres://user:password@localhost:5432/db",
		"-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
		"Build 123456789 passed all checks.",
		"The hotel 415 555 0132 rooms were booked.", /* "tel" inside "hotel" is no context */
		/* An underscore glues a word to a value; only after a non-word is it emphasis. */
		"card_4539148803436467_ref and row_4539 1488 0343 6467__ and ___4539148803436467___",
		/* Vendors' formats: placeholders, references, glued to a word, the
		 * wrong length, a structure that does not hold. */
		"GROQ_API_KEY=gsk_your-api-key-here",
		"Set NPM_TOKEN=${NPM_TOKEN}; never commit npm_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.",
		"Groq keys start with gsk_ and Replicate tokens with r8_.",
		"id=xgsk_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8dKLzdocJ2isAjIhKt",
		"npm_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8dKLzd is one character too long",
		"DATABRICKS_TOKEN=dapi00000000000000000000000000000000",
		/* HS256 with no signature: not "alg":"none" */
		"Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsInJvbGUiOiJhZG1pbiJ9.",
		/* a Discord token's shape whose first part is no user id */
		"client.run(\"NDpub3QtYS11c2VyLWlkMTIz.AbCdEf.u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8dKL\")",
		"https://discord.com/api/webhooks/489815249678974828/short",
		"vault login $VAULT_TOKEN",
		/* a prefix inside a longer run of its alphabet: no value starts there */
		"id=xfw_8kQ9xLm2Pz7Rt4Vw6Yb1Nc5H",
		"see mysl.MkPz7Rt4Vw6Yb1Nc5HMkPz7Rt4Vw6Yb1Nc5HMkPz7Rt4Vw6Yb1Nc5HMkPz7Rt4Vw6Yb1Nc5HMkPz7Rt4Vw6Yb1Nc5HMkPz7Rt4"
		"Vw6Yb1Nc5HMkPz7Rt4Vw6Yb1Nc5HMkPz7Rt4Vw6",
		/* Secret assignments that are not: references, names, redactions, the next line. */
		"password=$DB_PASSWORD",
		"password: ${DB_PASSWORD}",
		"password: \"{{ .Values.db.password }}\"",
		"token: %API_TOKEN%",
		"password_field = \"user_password\"",
		"api_key_name = API_KEY_HEADER",
		"password: [REDACTED]",
		"secret: ********",
		"password=",
		"user=admin_root123",
		"The password is changed every 90 days.",
		"bypass_cache = true",
		"compass_heading = north-north-east",
		"<password></password>",
		"getenv(\"DB_PASSWORD\", \"\")",
		"token_type: bearer_token",
		"password=\nAdminUser9 is next",
		/* Placed credentials: references, stand-ins, ports, prose. */
		"curl -u $USER:$PASS https://api.internal/",
		"ssh -p 2222 ops@bastion",
		"docker run -p 8080:80 nginx",
		"mkdir -p /tmp/build",
		"gh auth login --token $GITHUB_TOKEN",
		"echo $PW | docker login --password-stdin -u acme",
		"Authorization: Bearer <token>",
		"Authorization: Bearer YOUR_TOKEN_HERE",
		"Basic authentication is required for the admin page.",
		"A basic understanding of statistics helps.",
		"curl -u root:root http://localhost:8080/",
		"curl -u admin:password https://example.internal/",
		"mysql -u root -p mydb",
		"./run --token=abcdefghij",
		"Send the bearer token in the Authorization header.",
		"Authorization: Basic dXNlcjpwYXNzd29yZA==",
		"X-API-Key: ${API_KEY}",
		"kubectl --token=\"{{ .Values.token }}\" get pods",
	};
	struct classifier *c = builtin();
	struct found fd;

	(void)state;
	for (size_t i = 0; i < sizeof(negatives) / sizeof(negatives[0]); i++) {
		scan(c, negatives[i], 0, &fd);
		if (fd.n)
			fail_msg("\"%s\": %s reported", negatives[i], fd.f[0].det->id);
	}
	assert_true(classifier_stats(c)->rejected_validator > 0);
	assert_true(classifier_stats(c)->rejected_filter > 0);
	/* the test card, and AWS's (two), Stripe's and GitHub's documentation
	 * keys: counted as test values */
	assert_true(classifier_stats(c)->test_values >= 5); /* a value two detectors match counts twice */
	classifier_free(c);
}

/* The secrets' patterns leave long runs open (detectors.c): a value of the
 * detector's max_len is found whole, one a character longer is not found at
 * all, however its run ends. */
static void test_classify_length_bounds(void **state)
{
	static const struct {
		const char *id, *before, *prefix, *suffix; /* value: prefix, random characters, suffix */
	} cases[] = {
		{ "secret.generic", "password = ", "", "" },
		{ "secret.slack_token", "token ", "xoxb-", "" },
		{ "secret.slack_webhook", "hook ", "https://hooks.slack.com/services/", "" },
		{ "secret.stripe_live_key", "key ", "sk_live_", "" },
		{ "secret.anthropic_api_key", "key ", "sk-ant-api03-", "" },
		{ "secret.openai_api_key", "key ", "sk-proj-", "" },
		{ "secret.connection_string", "dsn ", "postgres://svc:", "@" },
	};
	static const char alnum[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	struct classifier *c = builtin();
	struct found fd;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct detector *d = det(c, cases[i].id);
		uint32_t x = 2463534242u; /* xorshift: no markers, no runs of six */

		for (size_t extra = 0; extra <= 1; extra++) {
			size_t len = d->max_len + extra, pre = strlen(cases[i].before);
			char text[512];
			char *v = text + pre;

			memcpy(text, cases[i].before, pre);
			memcpy(v, cases[i].prefix, strlen(cases[i].prefix));
			for (size_t k = strlen(cases[i].prefix); k < len - strlen(cases[i].suffix); k++) {
				x ^= x << 13, x ^= x >> 17, x ^= x << 5;
				v[k] = alnum[x % (sizeof(alnum) - 1)];
			}
			memcpy(v + len - strlen(cases[i].suffix), cases[i].suffix, strlen(cases[i].suffix));
			strcpy(v + len, " and more\n");
			scan(c, text, 0, &fd);
			if (extra == 0 && (fd.n != 1 || fd.f[0].det != d || fd.f[0].start != pre || fd.f[0].end != pre + len))
				fail_msg("%s, %zu bytes: %d findings, first %s [%llu, %llu)", cases[i].id, len, fd.n,
					 fd.n ? fd.f[0].det->id : "-", fd.n ? (unsigned long long)fd.f[0].start : 0,
					 fd.n ? (unsigned long long)fd.f[0].end : 0);
			if (extra == 1 && fd.n != 0)
				fail_msg("%s, %zu bytes (over max_len): %s reported", cases[i].id, len, fd.f[0].det->id);
		}
	}
	classifier_free(c);
}

/* Streamed like a completion: the finding comes with the delta that ends
 * the value, not when the response ends. */
static void test_classify_real_time(void **state)
{
	static const char *const deltas[] = { "Sure, the card", " on file is 4532 01", "51 1283 03", "66.", " Anything else?" };
	struct classifier *c = builtin();
	struct found fd = { 0 };
	struct cl_stream *s = cl_open(c, on_finding, &fd);

	(void)state;
	for (size_t i = 0; i < 3; i++)
		cl_feed(s, deltas[i], strlen(deltas[i]));
	assert_int_equal(fd.n, 0);
	fd.in_feed = true;
	cl_feed(s, deltas[3], strlen(deltas[3])); /* "66." - the value and its delimiter, not yet what follows */
	cl_feed(s, deltas[4], strlen(deltas[4]));
	fd.in_feed = false;
	assert_int_equal(fd.raised_at_feed, 1);
	assert_string_equal(fd.f[0].det->id, "financial.payment_card");
	assert_string_equal(fd.f[0].masked, "****0366");
	cl_close(s);
	assert_int_equal(fd.n, 1);
	classifier_free(c);
}

/* The same card with spaces, dashes or none is one fingerprint; another
 * kind of value with the same digits is not. The fingerprint is the
 * documented HMAC-SHA-256(key, kind NUL normalised value), which an auditor
 * can recompute: the expected bytes come from Python's hmac module, and stay
 * the same on every call (the MAC context is restarted, not copied). */
static void test_classify_fingerprints(void **state)
{
	struct classifier *c = builtin(), *other;
	uint8_t a[CL_FINGERPRINT_LEN], b[CL_FINGERPRINT_LEN], d[CL_FINGERPRINT_LEN];
	const struct detector *card;
	char err[128];
	static const uint8_t key2[32] = "another-deployment-key-32-bytes!";
	static const uint8_t known[CL_FINGERPRINT_LEN] = {
		0x24, 0x59, 0x50, 0x2a, 0xcc, 0x56, 0xea, 0x4f, 0xbd, 0x3e, 0xbb, 0x24, 0x2e, 0xdf, 0x1d, 0x7e,
		0x75, 0xc1, 0xb8, 0x91, 0xe5, 0xdd, 0x60, 0x83, 0xc1, 0x41, 0x78, 0x96, 0xe4, 0x8b, 0xa1, 0xdd,
	};

	(void)state;
	card = det(c, "financial.payment_card");
	cl_fingerprint(c, card, "4532 0151 1283 0366", 19, a);
	assert_memory_equal(a, known, sizeof(a));
	cl_fingerprint(c, card, "4532-0151-1283-0366", 19, b);
	assert_memory_equal(a, b, sizeof(a));
	cl_fingerprint(c, det(c, "pii.phone_intl"), "4532015112830366", 16, d);
	assert_memory_not_equal(a, d, sizeof(a));
	/* A different deployment key: unlinkable fingerprints. */
	other = classifier_new(NULL, 0, key2, sizeof(key2), err, sizeof(err));
	assert_non_null(other);
	cl_fingerprint(other, det(other, "financial.payment_card"), "4532015112830366", 16, d);
	assert_memory_not_equal(a, d, sizeof(a));
	classifier_free(other);
	classifier_free(c);
}

/* A private key streamed in small deltas is raised once, with only the
 * BEGIN line's first ten characters in the preview. */
/* An OpenSSH key as ssh-keygen writes it (made for this test): its body
 * begins with runs of "A" (the encoding's zero bytes), which are no
 * placeholder there. */
static const char openssh_ed25519[] =
		"-----BEGIN OPENSSH PRIVATE KEY-----\n"
		"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
		"QyNTUxOQAAACBuPUNxy6WUYbc4uYSiX1zT8yG9eih1VzOO6BzTXZiqjgAAAJBm9IquZvSK\n"
		"rgAAAAtzc2gtZWQyNTUxOQAAACBuPUNxy6WUYbc4uYSiX1zT8yG9eih1VzOO6BzTXZiqjg\n"
		"AAAEBpeSl7JLaVam4dByNMRxjuxG8IB6EnXCuK1+lC8HbTxW49Q3HLpZRhtzi5hKJfXNPz\n"
		"Ib16KHVXM47oHNNdmKqOAAAAB3Jvb3RAdm0BAgMEBQY=\n"
		"-----END OPENSSH PRIVATE KEY-----\n";

static void test_classify_private_key(void **state)
{
	static const char key_text[] =
		"Here is the deploy key:\n-----BEGIN RSA PRIVATE KEY-----\n"
		"MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\n"
		"aNn5wUqWmf3pWkVjCc6EJK0MdaUh2NRM1W7GCtGkR2hl8G0SyJbR1t9nXpQW2bYz\n"
		"-----END RSA PRIVATE KEY-----\n";
	static const char *const keys[] = { key_text, openssh_ed25519 };
	static const char all_a[] = "-----BEGIN OPENSSH PRIVATE KEY-----\n"
				    "b3BlbnNzaC1rZXktdjEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
				    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
				    "-----END OPENSSH PRIVATE KEY-----\n";
	struct classifier *c = builtin();
	struct found fd;

	(void)state;
	for (size_t k = 0; k < 2; k++)
		for (size_t step = 1; step <= 64; step *= 4) {
			scan(c, keys[k], step, &fd);
			assert_int_equal(fd.n, 1);
			assert_string_equal(fd.f[0].det->id, "secret.private_key");
			assert_string_equal(fd.f[0].masked, "-----BEGIN***");
			assert_int_equal(fd.f[0].start, strstr(keys[k], "-----BEGIN") - keys[k]);
		}
	scan(c, all_a, 0, &fd); /* a body of zeros is a stand-in */
	assert_int_equal(fd.n, 0);
	classifier_free(c);
}

/* The engine takes detectors from configuration as well as its own. */
/* PuTTY key files as puttygen writes them (keys made for this test): an
 * Ed25519 key (format 3), an encrypted ECDSA key (3, Argon2id), an RSA key
 * (format 2). One finding each, from the first line to the end of the
 * private lines (their first 160 characters, like a PEM body), whatever the
 * writes; the same fingerprint with CRLF or JSON-escaped line breaks. */
static const char putty_ed25519[] =
		"PuTTY-User-Key-File-3: ssh-ed25519\n"
		"Encryption: none\n"
		"Comment: test-ed25519\n"
		"Public-Lines: 2\n"
		"AAAAC3NzaC1lZDI1NTE5AAAAIIqBKkUzEyqb2SEN69UzKna0lprdaX92pUK1GaIN\n"
		"O2FU\n"
		"Private-Lines: 1\n"
		"AAAAINcMFSVaQA53sPLUD58vAcdkPoA1a2lkfZCV/GAYBXBh\n"
		"Private-MAC: 60863edf98deb861817c42194023118143e8c4e9400365821ad245e569ef8b36\n";
static const char putty_ecdsa_encrypted[] =
		"PuTTY-User-Key-File-3: ecdsa-sha2-nistp384\n"
		"Encryption: aes256-cbc\n"
		"Comment: enc-key\n"
		"Public-Lines: 3\n"
		"AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBGELZslCG+R8\n"
		"aej/9uGF6DyeMrYfbqu2+nDpyCbc6qjFte2HErV+YMGgThpzJq8JgdJ++oXCaxXU\n"
		"Fg0lO2iEBwHEpKD+0ffEGVNkAyKrhexfnudmWsXGDGKhVRy1ZkDJQA==\n"
		"Key-Derivation: Argon2id\n"
		"Argon2-Memory: 8192\n"
		"Argon2-Passes: 34\n"
		"Argon2-Parallelism: 1\n"
		"Argon2-Salt: 9670621d164ec9ace8d8575f32ab15ea\n"
		"Private-Lines: 2\n"
		"/XrudOng/FvQH53TtL7YlYcyL+1TlK9zO8hL+3SUwhXjG5D96Em4AdCB1GJUc5nM\n"
		"MBbD2CBr8+ZkcjXszxETMg==\n"
		"Private-MAC: a68a3a096874c4f279889d3d7e118a76a87908a5848b9b7cd059ce634ac0644d\n";
static const char putty_rsa_v2[] =
		"PuTTY-User-Key-File-2: ssh-rsa\n"
		"Encryption: none\n"
		"Comment: rsa-key-20261203\n"
		"Public-Lines: 6\n"
		"AAAAB3NzaC1yc2EAAAADAQABAAABAQDauoWI2eOMndxhmgRmzgWNbf2ThHN/AE2Q\n"
		"qwXlDTe7N/glOMvEnZl2IF+2SlRrGaBefxyl3EOECWdTCEi3jeNwpzFVzmMjk8qW\n"
		"Twhgq+7KCKj2b4P7UxrsQBuOyXSDte3TLPgagqsAWDO3YUjqv2IE70fK/z3se+xA\n"
		"TdM/Gr1LntszyhXbt5yGutuwOi0HYX4s3Rihy1zdlOMQOYyvNk98v+ch6/txzbID\n"
		"pyJJSxsgfdnxKDskZ/QpT3qTLHeV+jUZqyZcDM/PBM7k1De2Tf7jjQYLA78bjAGW\n"
		"H3+vigLfZljRit7U8oSvEqokONg7PEjMb6k4WmcU1wRAAh1poRxJ\n"
		"Private-Lines: 14\n"
		"AAABAQCuddGmyyw9b3hlfQR/v1ocaZu1exLoPKShfFfyT22hbc4GWlvlUlMiLkZJ\n"
		"TtYwqrsIRFjkTmCnwxxf1R6zEYBUzXaDW2Al827GHvmuqdSH3wptrZrW7n1t7OBO\n"
		"Lo85svWj1514/7pHRxLQ9M7FNquHBhf8aUPKCTnyPGD/V2OfGPbuw2g2u1lNZWjf\n"
		"2DNJal74lmQVfEkg0DbxTNzIuSjz9ZFWiEUXwnlVaEzWTFVO3xEF+faEJdcZY5cI\n"
		"xnTKI8YyTQ738vOqS5RF87whtY/Ouwg84CtOCXoi4zZCOdUAr9iMFyfIHpfQxw3A\n"
		"K0bF/MUY+xhsILTOxXIQ8irlkLlVAAAAgQD59umjrTMs43iosL/nlTwdT4QjTnTs\n"
		"6qACYEAFWDvsTTOK0gkVhdcHB6QoeXy7dIwsRZ+lXtCc/zHCEe0+4PHPiNPON+p6\n"
		"oxwDcr6pSlzKogjuxTzXPvP/FLXDkZAf18Wsdjrx1beotObKMX3iUKEAkKJHFnXI\n"
		"CzVJwFHX3ZcLHwAAAIEA4AKIYvhFdzDSwODYH63lQpqhAAqk7KPw1qt11o1Bf7AU\n"
		"/aF7tmSE69X+w00W+CPtfJzo+jxhQzdnd9QWoR74SGMMsKLyZ3E//VFcJsWJPsYm\n"
		"8XNelMWgT1prIn/QtCoTkbhg2MeBf8wVOg8Ar0fKfgrMXNoY15hPdBynI4vB05cA\n"
		"AACAPNCd2u/jWoOanU7k0DJRcjlFC1AkXZnTJzQAkbUo4cidjilkT8guyNYJ5s3F\n"
		"JBpd95KiRP6jasazYs4uKgJUC3Awi8LiOsnSujPOWJaYrs/7SP3uEMXnoihZBdkz\n"
		"qw2YtI5GQlkXfUAZs5r7A6ImSMCueehChO6u28kSMglRWx4=\n"
		"Private-MAC: 875c6cacd2f8cd3f35046eded034a39e34a5df80\n";

/* text with each "\n" written as `nl` */
static void with_breaks(const char *text, const char *nl, char *out, size_t cap)
{
	size_t k = 0;

	for (const char *p = text; *p && k + 3 < cap; p++) {
		if (*p == '\n') {
			memcpy(out + k, nl, strlen(nl));
			k += strlen(nl);
		} else {
			out[k++] = *p;
		}
	}
	out[k] = '\0';
}

static void test_classify_putty_key(void **state)
{
	static const struct {
		const char *text, *last; /* the private lines' last characters found */
	} keys[] = {
		{ putty_ed25519, "/GAYBXBh" },
		{ putty_ecdsa_encrypted, "zxETMg==" },
		{ putty_rsa_v2, NULL }, /* 14 lines: the first 160 characters */
	};
	static const char *const breaks[] = { "\n", "\r\n", "\\n" };
	struct classifier *c = builtin();
	uint8_t first[3][CL_FINGERPRINT_LEN];
	struct found fd;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		for (size_t b = 0; b < 3; b++) {
			char text[4096], lead[4200];
			size_t end;

			with_breaks(keys[i].text, breaks[b], text, sizeof(text));
			snprintf(lead, sizeof(lead), "my key file: %s Thanks!", text);
			if (keys[i].last) {
				end = (size_t)(strstr(lead, keys[i].last) - lead) + strlen(keys[i].last);
			} else {
				const char *body = strstr(lead, "Private-Lines: 14") + 17 + strlen(breaks[b]);

				end = (size_t)(body - lead) + 2 * (64 + strlen(breaks[b])) + 32;
			}
			for (size_t step = 1; step <= 4096; step *= 8) {
				scan(c, lead, step, &fd);
				assert_int_equal(fd.n, 1);
				assert_string_equal(fd.f[0].det->id, "secret.putty_private_key");
				assert_string_equal(fd.f[0].masked, "PuTTY-User-Key-File-***");
				assert_int_equal(fd.f[0].start, 13);
				assert_int_equal(fd.f[0].end, end);
				if (b == 0 && step == 1)
					memcpy(first[i], fd.f[0].fingerprint, CL_FINGERPRINT_LEN);
				assert_memory_equal(fd.f[0].fingerprint, first[i], CL_FINGERPRINT_LEN);
			}
		}
	}
	assert_memory_not_equal(first[0], first[1], CL_FINGERPRINT_LEN);
	/* Not a key: its first line named in prose, a public part alone, a
	 * private line that is a placeholder or not base64. */
	{
		static const char *const not_keys[] = {
			"The first line reads PuTTY-User-Key-File-3: ssh-ed25519 and then the public lines.",
			"PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: c\nPublic-Lines: 2\n"
			"AAAAC3NzaC1lZDI1NTE5AAAAIIqBKkUzEyqb2SEN69UzKna0lprdaX92pUK1GaIN\nO2FU\n",
			"PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPrivate-Lines: 1\n"
			"AAAAxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nPrivate-MAC: 00\n",
			"PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPrivate-Lines: 1\n"
			"<the private key goes here, 48 characters of it>\nPrivate-MAC: 00\n",
		};

		for (size_t i = 0; i < sizeof(not_keys) / sizeof(not_keys[0]); i++) {
			scan(c, not_keys[i], 0, &fd);
			assert_int_equal(fd.n, 0);
		}
	}
	classifier_free(c);
}

static void test_classify_custom_detector(void **state)
{
	static const char *const ctx[] = { "employee", NULL };
	static const struct detector custom[] = { {
		.id = "custom.employee_id", .kind = "employee_id", .category = CAT_PII, .severity = SEV_LOW,
		.pattern = "EMP-[0-9]{6}[^0-9]", .charset = "A-Z0-9-", .min_len = 10, .max_len = 10,
		.context = ctx, .context_required = true, .mask = MASK_LAST2, .norm = NORM_UPPER,
	} };
	char err[128];
	struct classifier *c = classifier_new(custom, 1, key, sizeof(key), err, sizeof(err));
	struct found fd;

	(void)state;
	assert_non_null(c);
	scan(c, "Employee EMP-004211 joined.", 0, &fd);
	assert_int_equal(fd.n, 1);
	assert_string_equal(fd.f[0].masked, "****11");
	scan(c, "Ticket EMP-004211 closed.", 0, &fd);
	assert_int_equal(fd.n, 0);
	classifier_free(c);
	/* A bad pattern is refused with the detector named. */
	{
		struct detector bad = custom[0];

		bad.pattern = "EMP-[0-9";
		assert_null(classifier_new(&bad, 1, key, sizeof(key), err, sizeof(err)));
		assert_non_null(strstr(err, "custom.employee_id"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_each_detector),
		cmocka_unit_test(test_classify_every_split),
		cmocka_unit_test(test_classify_across_ring_end),
		cmocka_unit_test(test_classify_lazy_same_findings),
		cmocka_unit_test(test_classify_lazy_waits_bounded),
		cmocka_unit_test(test_classify_boundaries),
		cmocka_unit_test(test_classify_hard_negatives),
		cmocka_unit_test(test_classify_length_bounds),
		cmocka_unit_test(test_classify_real_time),
		cmocka_unit_test(test_classify_fingerprints),
		cmocka_unit_test(test_classify_private_key),
		cmocka_unit_test(test_classify_putty_key),
		cmocka_unit_test(test_classify_custom_detector),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
