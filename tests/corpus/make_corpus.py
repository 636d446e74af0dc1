#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Builds the classifier's labelled corpus (tests/corpus/corpus.jsonl).

Every record is a piece of text as it would cross a model API - a user
prompt, a model answer, a tool result, a snippet of code or configuration -
with the exact byte spans of the sensitive values in it and the detector
that must report each. Positives are generated so that they pass their
format's checks (Luhn, mod 97, Base58Check, bech32, ...) with fresh random
digits; hard negatives are things that look alike and must not be reported:
order numbers, UUIDs, hashes, timestamps, numbers that fail their checksum,
documentation example keys, versions.

The output is committed; rerunning with the same seed rewrites it byte for
byte. usage: make_corpus.py [OUT]
"""
import base64
import hashlib
import json
import random
import string
import sys

R = random.Random(20261128)


# ---- values that pass their format's checks ---------------------------------

def luhn_digit(body):
    total = 0
    for i, ch in enumerate(reversed(body)):
        v = int(ch)
        if i % 2 == 0:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return str((10 - total % 10) % 10)


def digits(n):
    return "".join(R.choice(string.digits) for _ in range(n))


def card():
    prefix, length, groups = R.choice([
        ("4", 16, (4, 4, 4, 4)), ("51", 16, (4, 4, 4, 4)), ("55", 16, (4, 4, 4, 4)),
        ("2221", 16, (4, 4, 4, 4)), ("37", 15, (4, 6, 5)), ("34", 15, (4, 6, 5)),
        ("6011", 16, (4, 4, 4, 4)), ("3530", 16, (4, 4, 4, 4)), ("36", 14, (4, 6, 4)),
        ("1", 15, (4, 4, 4, 3)), ("9792", 16, (4, 4, 4, 4)), ("62", 16, (4, 4, 4, 4)), ("2200", 16, (4, 4, 4, 4)),
    ])
    body = prefix + digits(length - len(prefix) - 1)
    num = body + luhn_digit(body)
    sep = R.choice(["", " ", "-"])
    if not sep:
        return num
    out, i = [], 0
    for g in groups:
        out.append(num[i:i + g])
        i += g
    return sep.join(out)


def bad_card():
    """16 digits with a Visa prefix and a wrong check digit."""
    body = "4" + digits(14)
    good = luhn_digit(body)
    wrong = str((int(good) + R.randint(1, 9)) % 10)
    return body + wrong


IBAN_BBAN = {"DE": 18, "GB": None, "FR": 23, "NL": None, "ES": 20, "IT": None, "CH": 17, "BE": 12}


def iban():
    cc = R.choice(["DE", "FR", "ES", "CH", "BE", "GB", "NL"])
    if cc == "GB":
        bban = "".join(R.choice(string.ascii_uppercase) for _ in range(4)) + digits(14)
    elif cc == "NL":
        bban = "".join(R.choice(string.ascii_uppercase) for _ in range(4)) + digits(10)
    else:
        bban = digits(IBAN_BBAN[cc])
    rearranged = bban + cc + "00"
    num = int("".join(str(int(c, 36)) for c in rearranged))
    check = 98 - num % 97
    value = f"{cc}{check:02d}{bban}"
    if R.random() < 0.6:
        value = R.choice([" ", " ", "-"]).join(value[i:i + 4] for i in range(0, len(value), 4))
    return value


def bad_iban():
    """A German IBAN whose check digits are off by one."""
    while True:
        v = iban().replace(" ", "").replace("-", "")
        if v.startswith("DE"):
            check = (int(v[2:4]) + 1) % 100
            return f"DE{check:02d}{v[4:]}"


def aba():
    while True:
        p = R.choice(["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "21", "26", "31",
                      "61", "63", "67", "71"])
        d = p + digits(6)
        s = 3 * (int(d[0]) + int(d[3]) + int(d[6])) + 7 * (int(d[1]) + int(d[4]) + int(d[7])) + int(d[2]) + int(d[5])
        return d + str((10 - s % 10) % 10)


def npi():
    body = R.choice("12") + digits(8)
    return body + luhn_digit("80840" + body)


def dea():
    first = R.choice("ABFGMP")
    second = R.choice(string.ascii_uppercase)
    d = digits(6)
    s = int(d[0]) + int(d[2]) + int(d[4]) + 2 * (int(d[1]) + int(d[3]) + int(d[5]))
    return first + second + d + str(s % 10)


def ssn():
    while True:
        area = R.randint(1, 899)
        if area != 666:
            break
    sep = R.choice(["-", "-", "."])
    return f"{area:03d}{sep}{R.randint(1, 99):02d}{sep}{R.randint(1, 9999):04d}"


def ssn_context_value():
    """An SSN written without dashes or dots, with spaces or none: only context says what it is."""
    d = ssn().replace("-", "").replace(".", "")
    sep = R.choice(["", " "])
    return d[:3] + sep + d[3:5] + sep + d[5:]


B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58encode(b):
    n = int.from_bytes(b, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    pad = len(b) - len(b.lstrip(b"\0"))
    return "1" * pad + out


def btc_legacy():
    payload = bytes([R.choice([0, 5])]) + bytes(R.getrandbits(8) for _ in range(20))
    chk = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    return b58encode(payload + chk)


BECH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_polymod(values):
    gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1ffffff) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((top >> i) & 1) else 0
    return chk


def btc_segwit():
    prog = [R.getrandbits(8) for _ in range(20)]
    acc, bits, data = 0, 0, [0]
    for b in prog:
        acc = acc << 8 | b
        bits += 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    hrp = [ord(c) >> 5 for c in "bc"] + [0] + [ord(c) & 31 for c in "bc"]
    pm = bech32_polymod(hrp + data + [0] * 6) ^ 1
    data += [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return "bc1" + "".join(BECH[d] for d in data)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    header = b64url(json.dumps({"alg": R.choice(["HS256", "RS256"]), "typ": "JWT"}).encode())
    payload = b64url(json.dumps({"sub": digits(8), "iat": 1700000000 + R.randint(0, 10**7)}).encode())
    sig = b64url(bytes(R.getrandbits(8) for _ in range(32)))
    return f"{header}.{payload}.{sig}"


def rand_str(alphabet, n):
    return "".join(R.choice(alphabet) for _ in range(n))


ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + "234567"


# What every unencrypted OpenSSH Ed25519 key begins with (PROTOCOL.key):
# the magic, cipher and KDF "none", one key, its public part's length and
# type. Its zero bytes are runs of "A" in base64.
OPENSSH_ED25519_HEAD = (b"openssh-key-v1\0" + b"\0\0\0\4none" * 2 + b"\0\0\0\0" + b"\0\0\0\1" + b"\0\0\0\x33" +
                        b"\0\0\0\x0bssh-ed25519" + b"\0\0\0\x20")


def pem_key():
    kind = R.choice(["", "RSA ", "EC ", "OPENSSH "])
    head = OPENSSH_ED25519_HEAD if kind == "OPENSSH " else b""
    body = base64.b64encode(head + bytes(R.getrandbits(8) for _ in range(180))).decode()
    width = 70 if head else 64  # ssh-keygen writes 70 characters a line
    lines = [body[i:i + width] for i in range(0, len(body), width)]
    return f"-----BEGIN {kind}PRIVATE KEY-----\n" + "\n".join(lines) + f"\n-----END {kind}PRIVATE KEY-----"


def b64_lines(nbytes):
    body = base64.b64encode(bytes(R.getrandbits(8) for _ in range(nbytes))).decode()
    return [body[i:i + 64] for i in range(0, len(body), 64)]


# PuTTY's key file as puttygen writes it, format 2 or 3, sizes of its key
# types; encrypted ones have format 3's Argon2 lines.
PUTTY_KEYS = {"ssh-ed25519": (51, 36), "ssh-rsa": (279, 1012), "ecdsa-sha2-nistp256": (104, 36),
              "ecdsa-sha2-nistp384": (136, 52), "ssh-dss": (433, 25)}


def putty_key():
    kind = R.choice(sorted(PUTTY_KEYS))
    pub, priv = PUTTY_KEYS[kind]
    version = R.choice([2, 3])
    encrypted = version == 3 and R.random() < 0.4
    lines = [f"PuTTY-User-Key-File-{version}: {kind}", "Encryption: " + ("aes256-cbc" if encrypted else "none"),
             f"Comment: {R.choice(['rsa-key-20250114', 'deploy@build-7', 'imported-openssh-key'])}"]
    public = b64_lines(pub)
    lines += [f"Public-Lines: {len(public)}"] + public
    if encrypted:
        lines += ["Key-Derivation: Argon2id", "Argon2-Memory: 8192", "Argon2-Passes: 13", "Argon2-Parallelism: 1",
                  "Argon2-Salt: " + rand_str(HEXD, 32)]
    private = b64_lines(priv + (16 if encrypted else 0))
    lines += [f"Private-Lines: {len(private)}"] + private
    lines.append("Private-MAC: " + rand_str(HEXD, 64 if version == 3 else 40))
    return "\n".join(lines)


FIRST = ["James", "Maria", "Wei", "Aisha", "Olga", "Carlos", "Priya", "Liam", "Fatima", "Kenji", "Sofia", "Noah"]
LAST = ["Smith", "Garcia", "Chen", "Khan", "Ivanova", "Silva", "Patel", "Murphy", "Haddad", "Tanaka", "Rossi"]
DOMAINS = ["gmail.com", "outlook.com", "acme-corp.io", "fastmail.fm", "uni-heidelberg.de", "proton.me",
           "mail.contoso-health.org", "yahoo.co.uk"]
STREETS = ["Maple", "Oak", "Pennsylvania", "Elm Grove", "Sunset", "Harbor View", "Lincoln", "Cedar Hill"]
SUFFIXES = ["Street", "St", "Avenue", "Ave", "Road", "Lane", "Drive", "Boulevard", "Court", "Way"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def email():
    f, l = R.choice(FIRST).lower(), R.choice(LAST).lower()
    local = R.choice([f"{f}.{l}", f"{f[0]}{l}", f"{f}{R.randint(1, 99)}", f"{l}.{f}+billing"])
    return f"{local}@{R.choice(DOMAINS)}"


def phone_intl():
    return R.choice([
        f"+1 {R.randint(201, 989)} {R.randint(200, 999)} {digits(4)}",
        f"+44 20 {digits(4)} {digits(4)}",
        f"+49 30 {digits(8)}",
        f"+33 6 {digits(2)} {digits(2)} {digits(2)} {digits(2)}",
        f"+91{R.randint(70000, 99999)}{digits(5)}",
    ])


def phone_national():
    return R.choice([
        f"{R.randint(201, 989)}-{R.randint(200, 999)}-{digits(4)}",
        f"{R.randint(201, 989)}.{R.randint(200, 999)}.{digits(4)}",
        f"07700 {digits(6)}",
    ])


def dob():
    y, m, d = R.randint(1940, 2005), R.randint(1, 12), R.randint(1, 28)
    return R.choice([f"{y}-{m:02d}-{d:02d}", f"{m:02d}/{d:02d}/{y}", f"{MONTHS[m - 1]} {d}, {y}",
                     f"{d} {MONTHS[m - 1]} {y}"])


def address():
    return f"{R.randint(1, 9999)} {R.choice(STREETS)} {R.choice(SUFFIXES)}"


def ipv4():
    while True:
        a = [R.choice([10, 172, 192, R.randint(11, 223)]), R.randint(0, 255), R.randint(0, 255), R.randint(1, 254)]
        if a[0] not in (127, 192) or a[1] == 168:
            return ".".join(map(str, a))


def ipv6():
    return "2a02:" + ":".join(f"{R.getrandbits(16):x}" for _ in range(7))


def bic():
    bank = rand_str(string.ascii_uppercase, 4)
    return bank + R.choice(["DE", "FR", "GB", "US", "CH", "NL"]) + rand_str(string.ascii_uppercase + string.digits, 2) + \
        R.choice(["", "XXX", "500"])


def eth():
    return "0x" + rand_str("0123456789abcdef", 40)


def icd10():
    return R.choice(["E11.9", "I10", "J45.909", "F32.A", "M54.5", "K21.0", "C50.911", "G43.909", "N18.3"])


def mrn():
    return R.choice(["", "MRN-", "HSP"]) + digits(R.choice([7, 8]))


def passport():
    return R.choice([digits(9), R.choice(string.ascii_uppercase) + digits(8)])


def licence():
    return R.choice(string.ascii_uppercase) + digits(R.choice([7, 8, 12]))


def secrets():
    return {
        "secret.aws_access_key_id": lambda: "AKIA" + rand_str(UPPER_DIGITS, 16),
        "secret.aws_secret_access_key": lambda: rand_str(ALNUM + "/+", 40),
        "secret.gcp_api_key": lambda: "AIza" + rand_str(ALNUM + "_-", 35),
        "secret.github_token": lambda: R.choice(["ghp_", "gho_", "ghs_"]) + rand_str(ALNUM, 36),
        "secret.gitlab_token": lambda: "glpat-" + rand_str(ALNUM + "_-", 20),
        "secret.slack_token": lambda: "xoxb-" + digits(11) + "-" + digits(12) + "-" + rand_str(ALNUM, 24),
        "secret.slack_webhook": lambda: "https://hooks.slack.com/services/T" + rand_str(UPPER_DIGITS, 8) + "/B" +
        rand_str(UPPER_DIGITS, 8) + "/" + rand_str(ALNUM, 24),
        "secret.stripe_live_key": lambda: "sk_live_" + rand_str(ALNUM, 24),
        "secret.stripe_test_key": lambda: R.choice(["sk_test_", "rk_test_"]) + rand_str(ALNUM, 24),
        "secret.openai_api_key": lambda: "sk-proj-" + rand_str(ALNUM + "_-", 56),
        "secret.anthropic_api_key": lambda: "sk-ant-api03-" + rand_str(ALNUM + "_-", 93) + "AA",
        "secret.huggingface_token": lambda: "hf_" + rand_str(string.ascii_letters, 34),
        "secret.azure_client_secret": lambda: rand_str(ALNUM, 3) + str(R.randint(0, 9)) + "Q~" +
        rand_str(ALNUM + "_~.-", 32) + rand_str(ALNUM, 2),
        "secret.jwt": jwt,
        "secret.private_key": pem_key,
        "secret.gcp_service_account": lambda: rand_str("0123456789abcdef", 40),
    }


# ---- vendors' credential formats (agent/judge/tokens.c) ---------------------

HEXD = "0123456789abcdef"
UPPER_ALNUM = string.ascii_uppercase + string.digits
LOWER_DIGITS = string.ascii_lowercase + string.digits
AGE_BECH = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"


def discord_token():
    uid = str(R.randint(10 ** 17, 10 ** 19))
    return (base64.b64encode(uid.encode()).decode().rstrip("=") + "." + rand_str(ALNUM + "_-", 6) + "." +
            rand_str(ALNUM + "_-", R.choice([27, 38])))


def jwt_unsigned():
    head = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    body = b64url(json.dumps({"sub": digits(6), "role": R.choice(["admin", "user"])}).encode())
    return head + "." + body + "."


def vendor_tokens():
    """detector -> (generator, templates): each vendor's format in the text
    people paste it in (an env file, a config, a command, a header)."""
    b64 = ALNUM + "+/"
    return {
        "secret.groq_api_key": (lambda: "gsk_" + rand_str(ALNUM, 52), [
            "GROQ_API_KEY={v}", "client = Groq(api_key=\"{v}\")"]),
        "secret.replicate_api_token": (lambda: "r8_" + rand_str(ALNUM, 37), [
            "export REPLICATE_API_TOKEN={v}", "Authorization: Bearer {v}"]),
        "secret.perplexity_api_key": (lambda: "pplx-" + rand_str(ALNUM, 48), [
            "PERPLEXITY_API_KEY={v}", "Use {v} as the key for the sonar model."]),
        "secret.xai_api_key": (lambda: "xai-" + rand_str(ALNUM, 80), [
            "XAI_API_KEY={v}", "curl https://api.x.ai/v1/chat/completions -H \"Authorization: Bearer {v}\""]),
        "secret.nvidia_api_key": (lambda: "nvapi-" + rand_str(ALNUM + "_-", 64), [
            "NVIDIA_API_KEY={v}", "Authorization: Bearer {v}"]),
        "secret.huggingface_org_token": (lambda: "api_org_" + rand_str(string.ascii_letters, 34), [
            "HF_TOKEN={v}", "token: {v}"]),
        "secret.langsmith_api_key": (lambda: "lsv2_" + R.choice(["pt", "sk"]) + "_" + rand_str(HEXD, 32) + "_" +
                                     rand_str(HEXD, 10), [
            "LANGSMITH_API_KEY={v}", "os.environ[\"LANGCHAIN_API_KEY\"] = \"{v}\""]),
        "secret.pinecone_api_key": (lambda: "pcsk_" + rand_str(ALNUM, 6) + "_" + rand_str(ALNUM, 63), [
            "pc = Pinecone(api_key=\"{v}\")", "PINECONE_API_KEY={v}"]),
        "secret.databricks_token": (lambda: "dapi" + rand_str(HEXD, 32), [
            "DATABRICKS_TOKEN={v}", "token = {v}"]),
        "secret.aws_bedrock_api_key": (lambda: "ABSKQmVkcm9ja0FQSUtleS" + rand_str(b64, 108) + "=", [
            "AWS_BEARER_TOKEN_BEDROCK={v}", "export AWS_BEARER_TOKEN_BEDROCK=\"{v}\""]),
        "secret.aws_bedrock_short_term_key": (lambda: "bedrock-api-key-" + rand_str(b64, 300) + "==", [
            "AWS_BEARER_TOKEN_BEDROCK={v}"]),
        "secret.deepseek_api_key": (lambda: "sk-" + rand_str(HEXD, 32), [
            "DEEPSEEK_API_KEY={v}", "deepseek_key = \"{v}\""]),
        "secret.cohere_api_key": (lambda: rand_str(ALNUM, 40), [
            "COHERE_API_KEY={v}", "co = cohere.Client(api_key=\"{v}\")"]),
        "secret.mistral_api_key": (lambda: rand_str(ALNUM, 32), [
            "MISTRAL_API_KEY={v}", "mistral_api_key: \"{v}\""]),
        "secret.together_api_key": (lambda: rand_str(HEXD, 64), [
            "TOGETHER_API_KEY={v}"]),
        "secret.wandb_api_key": (lambda: rand_str(HEXD, 40), [
            "wandb login {v}", "WANDB_API_KEY={v}"]),
        "secret.azure_openai_key": (lambda: rand_str(HEXD, 32), [
            "api-key: {v}", "AZURE_OPENAI_API_KEY={v}"]),
        "secret.npm_token": (lambda: "npm_" + rand_str(ALNUM, 36), [
            "//registry.npmjs.org/:_authToken={v}", "NPM_TOKEN={v}"]),
        "secret.pypi_token": (lambda: "pypi-AgEIcHlwaS5vcmc" + rand_str(ALNUM + "_-", 120), [
            "password = {v}", "TWINE_PASSWORD={v}"]),
        "secret.docker_hub_token": (lambda: R.choice(["dckr_pat_", "dckr_oat_"]) + rand_str(ALNUM + "_-", 27), [
            "docker login -u acme -p {v}", "DOCKERHUB_TOKEN={v}"]),
        "secret.gitlab_runner_registration_token": (lambda: "GR1348941" + rand_str(ALNUM + "_-", 20), [
            "gitlab-runner register --registration-token {v}"]),
        "secret.atlassian_api_token": (lambda: "ATATT3" + rand_str(ALNUM + "_-", 183) + "=" +
                                       rand_str("0123456789ABCDEF", 8), [
            "JIRA_API_TOKEN={v}", "confluence token: {v}"]),
        "secret.bitbucket_app_password": (lambda: "ATBB" + rand_str(ALNUM, 32), [
            "BITBUCKET_APP_PASSWORD={v}"]),
        "secret.linear_api_key": (lambda: "lin_api_" + rand_str(ALNUM, 40), [
            "LINEAR_API_KEY={v}", "Authorization: {v}"]),
        "secret.notion_token": (lambda: R.choice(["ntn_" + digits(11) + rand_str(ALNUM, 35),
                                                  "secret_" + rand_str(ALNUM, 43)]), [
            "NOTION_TOKEN={v}", "notion = Client(auth=\"{v}\")"]),
        "secret.postman_api_key": (lambda: "PMAK-" + rand_str(HEXD, 24) + "-" + rand_str(HEXD, 34), [
            "x-api-key: {v}", "POSTMAN_API_KEY={v}"]),
        "secret.netlify_token": (lambda: "nfp_" + rand_str(ALNUM, 36), [
            "NETLIFY_AUTH_TOKEN={v}"]),
        "secret.supabase_key": (lambda: R.choice(["sbp_" + rand_str(HEXD, 40), "sb_secret_" + rand_str(ALNUM, 31)]), [
            "supabase login --token {v}", "SUPABASE_SECRET_KEY={v}"]),
        "secret.heroku_api_key": (lambda: "HRKU-AA" + rand_str(ALNUM + "_-", 58), [
            "HEROKU_API_KEY={v}"]),
        "secret.digitalocean_token": (lambda: R.choice(["dop", "doo", "dor"]) + "_v1_" + rand_str(HEXD, 64), [
            "doctl auth init -t {v}", "DIGITALOCEAN_TOKEN={v}"]),
        "secret.terraform_cloud_token": (lambda: rand_str(ALNUM, 14) + ".atlasv1." + rand_str(ALNUM + "_-", 67), [
            "credentials \"app.terraform.io\" {{ token = \"{v}\" }}", "TF_TOKEN_app_terraform_io={v}"]),
        "secret.vault_token": (lambda: "hvs." + rand_str(ALNUM + "_-", 91), [
            "VAULT_TOKEN={v}", "vault login {v}"]),
        "secret.doppler_token": (lambda: "dp." + R.choice(["st", "pt", "sa"]) + "." + rand_str(ALNUM, 40), [
            "DOPPLER_TOKEN={v}"]),
        "secret.onepassword_service_account_token": (lambda: "ops_eyJ" + rand_str(b64, 300) + "=", [
            "OP_SERVICE_ACCOUNT_TOKEN={v}"]),
        "secret.grafana_token": (lambda: R.choice(["glsa_" + rand_str(ALNUM, 32) + "_" + rand_str(HEXD, 8),
                                                   "glc_" + rand_str(b64, 120) + "=="]), [
            "Authorization: Bearer {v}", "GRAFANA_TOKEN={v}"]),
        "secret.new_relic_key": (lambda: R.choice(["NRAK-" + rand_str(UPPER_ALNUM, 27), "NRJS-" + rand_str(HEXD, 19)]), [
            "NEW_RELIC_API_KEY={v}", "Api-Key: {v}"]),
        "secret.sentry_token": (lambda: "sntryu_" + rand_str(HEXD, 64), [
            "SENTRY_AUTH_TOKEN={v}"]),
        "secret.datadog_key": (lambda: rand_str(HEXD, R.choice([32, 40])), [
            "DD_API_KEY={v}", "datadog_app_key: {v}"]),
        "secret.cloudflare_origin_ca_key": (lambda: "v1.0-" + rand_str(HEXD, 24) + "-" + rand_str(HEXD, 146), [
            "CF_ORIGIN_CA_KEY={v}"]),
        "secret.cloudflare_api_token": (lambda: rand_str(ALNUM + "_-", 40), [
            "CLOUDFLARE_API_TOKEN={v}", "cf_token: \"{v}\""]),
        "secret.slack_app_token": (lambda: "xapp-1-A" + rand_str(UPPER_ALNUM, 10) + "-" + digits(13) + "-" +
                                   rand_str(HEXD, 64), [
            "SLACK_APP_TOKEN={v}"]),
        "secret.discord_bot_token": (discord_token, [
            "client.run(\"{v}\")", "DISCORD_TOKEN={v}"]),
        "secret.discord_webhook": (lambda: "https://discord.com/api/webhooks/" + digits(18) + "/" +
                                   rand_str(ALNUM + "_-", 68), [
            "Post alerts to {v} from the cron job.", "webhook_url: {v}"]),
        "secret.telegram_bot_token": (lambda: digits(R.choice([9, 10])) + ":AA" + rand_str(ALNUM + "_-", 33), [
            "curl https://api.telegram.org/bot{v}/getMe", "TELEGRAM_BOT_TOKEN={v}"]),
        "secret.twilio_api_key": (lambda: "SK" + rand_str(HEXD, 32), [
            "TWILIO_API_KEY={v}"]),
        "secret.sendgrid_api_key": (lambda: "SG." + rand_str(ALNUM + "_-", 22) + "." + rand_str(ALNUM + "_-", 43), [
            "SENDGRID_API_KEY={v}", "sg = SendGridAPIClient(\"{v}\")"]),
        "secret.mailgun_api_key": (lambda: "key-" + rand_str(HEXD, 32), [
            "MAILGUN_API_KEY={v}"]),
        "secret.mailchimp_api_key": (lambda: rand_str(HEXD, 32) + "-us" + str(R.randint(1, 21)), [
            "MAILCHIMP_API_KEY={v}"]),
        "secret.shopify_token": (lambda: R.choice(["shpat_", "shpca_", "shppa_", "shpss_"]) + rand_str(HEXD, 32), [
            "X-Shopify-Access-Token: {v}"]),
        "secret.square_token": (lambda: R.choice(["EAAA" + rand_str(ALNUM + "_-", 60),
                                                  "sq0csp-" + rand_str(ALNUM + "_-", 43)]), [
            "SQUARE_ACCESS_TOKEN={v}"]),
        "secret.braintree_access_token": (lambda: "access_token$production$" + rand_str(string.ascii_lowercase +
                                                                                        string.digits, 16) + "$" +
                                          rand_str(HEXD, 32), [
            "BRAINTREE_TOKEN={v}"]),
        "secret.stripe_webhook_secret": (lambda: "whsec_" + rand_str(ALNUM, 32), [
            "STRIPE_WEBHOOK_SECRET={v}"]),
        "secret.aws_session_token": (lambda: R.choice(["IQoJb3JpZ2luX2Vj", "FwoGZXIvYXdz"]) + rand_str(b64, 400) + "==", [
            "aws_session_token = {v}", "AWS_SESSION_TOKEN={v}"]),
        "secret.gcp_oauth_client_secret": (lambda: "GOCSPX-" + rand_str(ALNUM + "_-", 28), [
            "\"client_secret\": \"{v}\""]),
        "secret.azure_storage_account_key": (lambda: rand_str(b64, 86) + "==", [
            "DefaultEndpointsProtocol=https;AccountName=acmeprod;AccountKey={v};EndpointSuffix=core.windows.net"]),
        "secret.azure_sas_token": (lambda: rand_str(ALNUM, 40) + "%3D", [
            "https://acme.blob.core.windows.net/c/f.csv?sv=2022-11-02&ss=b&srt=o&sp=r&se=2026-12-31T00:00:00Z&sig={v}"]),
        "secret.alibaba_access_key_id": (lambda: "LTAI" + rand_str(ALNUM, R.choice([12, 16, 20])), [
            "ALIBABA_CLOUD_ACCESS_KEY_ID={v}"]),
        "secret.ibm_cloud_api_key": (lambda: rand_str(ALNUM + "_-", 44), [
            "IBMCLOUD_API_KEY={v}"]),
        "secret.age_secret_key": (lambda: "AGE-SECRET-KEY-1" + rand_str(AGE_BECH, 58), [
            "# created: 2026-01-01\n{v}\n"]),
        "secret.openrouter_api_key": (lambda: "sk-or-v1-" + rand_str(HEXD, 64), [
            "OPENROUTER_API_KEY={v}", "client = OpenAI(base_url=\"https://openrouter.ai/api/v1\", api_key=\"{v}\")"]),
        "secret.cerebras_api_key": (lambda: "csk-" + rand_str(LOWER_DIGITS, 48), ["CEREBRAS_API_KEY={v}"]),
        "secret.fireworks_api_key": (lambda: "fw_" + rand_str(ALNUM, 24), ["FIREWORKS_API_KEY={v}"]),
        "secret.helicone_api_key": (lambda: "sk-helicone-" + "-".join(rand_str(LOWER_DIGITS, 7) for _ in range(4)), [
            "Helicone-Auth: Bearer {v}"]),
        "secret.rubygems_api_key": (lambda: "rubygems_" + rand_str(HEXD, 48), ["GEM_HOST_API_KEY={v}"]),
        "secret.nuget_api_key": (lambda: "oy2" + rand_str(LOWER_DIGITS, 43), [
            "dotnet nuget push pkg.nupkg --api-key {v}"]),
        "secret.clojars_token": (lambda: "CLOJARS_" + rand_str(LOWER_DIGITS, 60), ["CLOJARS_TOKEN={v}"]),
        "secret.jfrog_api_key": (lambda: "AKCp" + rand_str(ALNUM, 69), ["X-JFrog-Art-Api: {v}"]),
        "secret.sourcegraph_token": (lambda: "sgp_" + rand_str(HEXD, 40), ["SRC_ACCESS_TOKEN={v}"]),
        "secret.pulumi_access_token": (lambda: "pul-" + rand_str(HEXD, 40), ["PULUMI_ACCESS_TOKEN={v}"]),
        "secret.flyio_token": (lambda: "fm2_" + rand_str(b64, 180) + "==", ["FLY_API_TOKEN=FlyV1 {v}"]),
        "secret.planetscale_token": (lambda: "pscale_tkn_" + rand_str(ALNUM + "_", 43), [
            "PLANETSCALE_SERVICE_TOKEN={v}"]),
        "secret.prefect_api_key": (lambda: "pnu_" + rand_str(ALNUM, 36), ["PREFECT_API_KEY={v}"]),
        "secret.scalingo_token": (lambda: "tk-us-" + rand_str(ALNUM + "_-", 48), ["SCALINGO_API_TOKEN={v}"]),
        "secret.dynatrace_token": (lambda: "dt0c01." + rand_str(UPPER_ALNUM, 24) + "." + rand_str(UPPER_ALNUM, 64), [
            "DT_API_TOKEN={v}"]),
        "secret.airtable_token": (lambda: "pat" + rand_str(ALNUM, 14) + "." + rand_str(HEXD, 64), [
            "AIRTABLE_TOKEN={v}"]),
        "secret.figma_token": (lambda: "figd_" + rand_str(ALNUM + "_-", 40), ["X-Figma-Token: {v}"]),
        "secret.contentful_token": (lambda: "CFPAT-" + rand_str(ALNUM + "_-", 43), ["CONTENTFUL_MANAGEMENT_TOKEN={v}"]),
        "secret.readme_api_key": (lambda: "rdme_" + rand_str(LOWER_DIGITS, 70), ["README_API_KEY={v}"]),
        "secret.okta_api_token": (lambda: "00" + rand_str(ALNUM + "_-", 40), ["OKTA_API_TOKEN={v}"]),
        "secret.azure_devops_pat": (lambda: rand_str("abcdefghijklmnopqrstuvwxyz234567", 52), ["AZURE_DEVOPS_PAT={v}"]),
        "secret.shippo_api_token": (lambda: "shippo_" + R.choice(["live", "test"]) + "_" + rand_str(HEXD, 40), [
            "SHIPPO_API_KEY={v}"]),
        "secret.dropbox_access_token": (lambda: "sl." + rand_str(ALNUM + "_-", 138), ["DROPBOX_ACCESS_TOKEN={v}"]),
        "secret.adafruit_io_key": (lambda: "aio_" + rand_str(ALNUM, 28), ["ADAFRUIT_IO_KEY={v}"]),
        "secret.google_oauth_access_token": (lambda: "ya29." + rand_str(ALNUM + "_-", 150), [
            "Authorization: OAuth {v}"]),
        "secret.google_oauth_refresh_token": (lambda: "1//0" + rand_str(ALNUM + "_-", 99), [
            "\"refresh_token\": \"{v}\""]),
        "secret.azure_shared_access_key": (lambda: rand_str(b64, 43), [
            "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
            "SharedAccessKey={v}="]),
        "secret.twilio_auth_token": (lambda: rand_str(HEXD, 32), ["TWILIO_AUTH_TOKEN={v}"]),
        "secret.pagerduty_api_key": (lambda: rand_str(ALNUM + "_+-", 20), ["PAGERDUTY_API_KEY={v}"]),
        "secret.vercel_token": (lambda: rand_str(ALNUM, 24), ["VERCEL_TOKEN={v}"]),
        "secret.heroku_legacy_api_key": (lambda: "-".join(rand_str(HEXD, n) for n in (8, 4, 4, 4, 12)), [
            "HEROKU_API_KEY={v}"]),
        "secret.vault_legacy_token": (lambda: "s." + rand_str(ALNUM, 24), ["VAULT_TOKEN={v}"]),
        "secret.mailgun_private_key": (lambda: rand_str(HEXD, 32) + "-" + rand_str(HEXD, 8) + "-" + rand_str(HEXD, 8), [
            "MAILGUN_API_KEY={v}"]),
        "secret.jwt_unsigned": (jwt_unsigned, [
            "Authorization: Bearer {v}", "The forged token {v} was accepted."]),
    }


# Placeholders and prose that name these formats without carrying one.
def vendor_negatives():
    return [
        lambda: "GROQ_API_KEY=gsk_your-api-key-here",
        lambda: "Set NPM_TOKEN=${NPM_TOKEN} in CI; never commit npm_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.",
        lambda: "Groq keys start with gsk_ and Replicate tokens with r8_.",
        lambda: "XAI_API_KEY=<your xai key>",
        lambda: "vault login $VAULT_TOKEN",
        lambda: "export SENDGRID_API_KEY='SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'",
        lambda: "docker login -u acme -p \"$DOCKERHUB_TOKEN\"",
        lambda: f"The request {rand_str(HEXD, 32)} was retried.",
        lambda: f"commit {rand_str(HEXD, 40)} touched the datadog integration",
        lambda: "Use pcsk_... from the Pinecone console.",
        lambda: "DATABRICKS_TOKEN=dapi00000000000000000000000000000000",
        lambda: "Slack app tokens look like xapp-1-A0000000000-0000000000000-<hex>.",
        lambda: f"The file hash is {rand_str(HEXD, 64)} (sha256).",
        lambda: "MAILCHIMP_API_KEY=REPLACE_ME",
        lambda: "An unsigned JWT has a header like {\"alg\":\"none\"} and an empty signature.",
    ]


# ---- credentials by where they are placed (agent/judge/cred_syntax.c) -------

PW_CHARS = ALNUM + "!#%&*+-.?@^_~"


def password():
    """A password someone typed: letters with digits and often a symbol."""
    p = rand_str(ALNUM, R.randint(8, 14)) + R.choice(["", "!", "#", "_", "@"]) + str(R.randint(0, 99))
    return p if any(c.isdigit() for c in p) else p + "7"


def basic_credentials():
    user = R.choice(["alice", "deploy", "svc-orders", "ci", "grafana"])
    return base64.b64encode((user + ":" + password()).encode()).decode()


def placed_credentials():
    tok = lambda: rand_str(ALNUM, R.randint(24, 40))
    return {
        "secret.http_bearer_token": (tok, [
            "curl -H \"Authorization: Bearer {v}\" https://api.internal/v1/models",
            "Authorization: Bearer {v}",
            "headers = {{\"Authorization\": \"Bearer {v}\"}}"]),
        "secret.http_basic_credentials": (basic_credentials, [
            "Authorization: Basic {v}", "Proxy-Authorization: Basic {v}",
            "curl -H 'Authorization: Basic {v}' https://registry.internal/v2/"]),
        "secret.http_token_header": (lambda: rand_str(HEXD, 40), [
            "Authorization: Token {v}", "-H \"Authorization: token {v}\""]),
        "secret.http_api_key_header": (tok, [
            "X-API-Key: {v}", "curl -H 'x-api-key: {v}' https://gateway.internal/v1/chat",
            "PRIVATE-TOKEN: {v}"]),
        "secret.cli_user_password": (password, [
            "curl -u deploy:{v} https://registry.internal/v2/", "curl --user admin:{v} https://jenkins.local/api/json"]),
        "secret.cli_mysql_password": (password, [
            "mysql -u root -p{v} -h db.internal", "mysqldump -u backup -p{v} orders > orders.sql"]),
        "secret.cli_password_flag": (password, [
            "sshpass -p '{v}' ssh ops@bastion", "docker login -u acme -p {v} registry.acme.io",
            "./deploy.sh --password={v} --env prod", "vault-sync --token {v} --all"]),
    }


def look_alike_negatives():
    """Text dense with long runs of token alphabets that carry no secret:
    base64 blobs, minified code, long numbers, hashes, and prose that names
    the formats."""
    b64 = ALNUM + "+/"
    return [
        lambda: "data:image/png;base64," + rand_str(b64, 180) + "==",
        lambda: "<img src=\"data:image/gif;base64," + rand_str(b64, 96) + "=\">",
        lambda: "!function(e,t){var n=" + rand_str(string.ascii_lowercase, 1) + "(e),r=t.length;for(var o=0;o<r;o++)"
                "n[t[o]]=e[t[o]];return n}(window,[\"fetch\",\"atob\"]);",
        lambda: f"The account balance is {digits(24)} satoshis after {digits(3)} transfers.",
        lambda: f"integrity=\"sha512-{rand_str(b64, 86)}==\"",
        lambda: f"Content-MD5: {rand_str(b64, 22)}==",
        lambda: "GitLab tokens start with glpat-, Slack's with xoxb- or xoxp-, and npm's with npm_.",
        lambda: "An OpenRouter key looks like sk-or-v1- followed by 64 hex digits.",
        lambda: "Rotate the Azure storage AccountKey and the SAS sig= parameters every 90 days.",
        lambda: f"ETag: \"{rand_str(HEXD, 32)}\"",
        lambda: "password: sk_test_0000000000000000000000000000",
        lambda: "token: abcdefghijklmnopqrstuvwxyz0123456789ABCD",
        # a PuTTY file's public part (what `puttygen -L`'s neighbours share), and its name in prose
        lambda: "\n".join(putty_key().split("\n")[:4 + 2]) + "\n...",
        lambda: "A .ppk file begins with PuTTY-User-Key-File-3: ssh-ed25519 and its Public-Lines.",
    ]


def placed_negatives():
    return [
        lambda: "password=$DB_PASSWORD",
        lambda: "password: \"{{ .Values.db.password }}\"",
        lambda: "token: %API_TOKEN%",
        lambda: "password_field = \"user_password\"",
        lambda: "api_key_name = API_KEY_HEADER",
        lambda: "password: [REDACTED]",
        lambda: "password=\nuser=admin_root123",
        lambda: "The password is changed every 90 days.",
        lambda: "bypass_cache = true",
        lambda: "token_type: bearer_token",
        lambda: "curl -u $USER:$PASS https://api.internal/",
        lambda: f"ssh -p {R.randint(1024, 65000)} ops@bastion",
        lambda: f"docker run -p {R.randint(1024, 9999)}:80 nginx",
        lambda: "mkdir -p /tmp/build && cd /tmp/build",
        lambda: "gh auth login --token $GITHUB_TOKEN",
        lambda: "echo $PW | docker login --password-stdin -u acme",
        lambda: "Authorization: Bearer <token>",
        lambda: "Authorization: Bearer YOUR_TOKEN_HERE",
        lambda: "Basic authentication is required for the admin page.",
        lambda: "A basic understanding of statistics helps.",
        lambda: "curl -u admin:password https://localhost:8080/",
        lambda: "mysql -u root -p mydb",
        lambda: "Send the bearer token in the Authorization header.",
        lambda: "X-API-Key: ${API_KEY}",
        lambda: "kubectl --token=\"{{ .Values.token }}\" get pods",
    ]


# ---- how values appear in transcripts ---------------------------------------

# Each: detector -> (generator, templates). {v} is the value; the templates are
# what users paste and models answer.
def positives():
    s = secrets()
    return {
        "pii.email": (email, [
            "Please draft a reply to {v} thanking them for the quick turnaround.",
            "Sure! You can reach the account owner at {v}.",
            "From: {v}\nSubject: Re: contract renewal",
            "The customer record shows email={v} and status=active.",
        ]),
        "pii.phone_intl": (phone_intl, [
            "Call the front desk on {v} before 6pm.",
            "Her number is {v}, she prefers WhatsApp.",
            "contact: {{\"name\": \"Ops\", \"phone\": \"{v}\"}}",
        ]),
        "pii.phone_us": (lambda: "(%d%s) %d%s-%s" % (R.randint(2, 9), digits(2), R.randint(2, 9), digits(2), digits(4)), [
            "Front desk {v}, ask for Dana.", "Reach the clinic at {v} during office hours.",
            "Contact: Maria Chen {v}"]),
        "pii.phone_national": (phone_national, [
            "You can call him at {v} after lunch.",
            "Mobile: {v}",
            "Phone number on file: {v}.",
        ]),
        "pii.ssn": (ssn, [
            "The applicant's SSN is {v} according to the form.",
            "Here is the employee record: name Jordan Lee, ssn {v}, hired 2019.",
            "I found this in the document: {v} next to the signature line.",
        ]),
        "pii.ssn_context": (ssn_context_value, [
            "Social security number: {v}",
            "SSN {v} was flagged for verification.",
        ]),
        "pii.passport": (passport, [
            "Passport number {v}, issued in Lisbon.",
            "Traveller details - passport: {v}, nationality: PT.",
        ]),
        "pii.drivers_license": (licence, [
            "Driver's license {v} expires next March.",
            "Please verify the DL number {v} for the rental.",
        ]),
        "pii.date_of_birth": (dob, [
            "Patient was born on {v} in Ohio.",
            "Date of birth: {v}",
            "DOB {v}; allergies: none.",
        ]),
        "pii.postal_address": (address, [
            "Ship to {v}, Springfield, IL 62704.",
            "She lives at {v} with her two kids.",
            "Billing address: {v}, Apt 4B",
        ]),
        "pii.ip_address": (lambda: R.choice([ipv4, ipv4, ipv6])(), [
            "The login came from {v} at 03:12 UTC.",
            "ssh admin@{v} failed three times",
            "Blocked client {v} after repeated 401s.",
        ]),
        "financial.payment_card": (card, [
            "Charge it to my card {v}, expiry 09/28.",
            "Sure, the card on file ends in those digits: {v}.",
            "payment_method: {v}",
            "I have extracted the following card number: {v}",
        ]),
        "financial.iban": (iban, [
            "Wire the deposit to IBAN {v} by Friday.",
            "Beneficiary account: {v} (Deutsche Bank).",
        ]),
        "financial.aba_routing": (aba, [
            "Routing number {v}, account 000123456789.",
            "ABA: {v}",
        ]),
        "financial.swift_bic": (bic, [
            "SWIFT code {v} for the international transfer.",
            "Use BIC {v} when paying from abroad.",
        ]),
        "financial.crypto_wallet": (lambda: R.choice([btc_legacy, btc_segwit])(), [
            "Send the BTC to {v} and reply with the tx id.",
            "My bitcoin address is {v}.",
        ]),
        "financial.eth_address": (eth, [
            "Transfer 0.5 ETH to wallet {v} please.",
            "Ethereum address: {v}",
        ]),
        "health.npi": (npi, [
            "Prescriber NPI {v} is listed on the claim.",
            "The provider's NPI: {v}",
        ]),
        "health.dea_number": (dea, [
            "Dr. Patel's DEA registration {v} was checked against the list.",
            "Prescription signed, DEA {v}.",
        ]),
        "health.icd10": (icd10, [
            "Diagnosis code {v} was recorded at discharge.",
            "The patient was diagnosed with {v} last year.",
        ]),
        "health.mrn": (mrn, [
            "MRN {v} - follow-up scheduled for Tuesday.",
            "Medical record number: {v}",
        ]),
        "secret.aws_access_key_id": (s["secret.aws_access_key_id"], [
            "export AWS_ACCESS_KEY_ID={v}",
            "The key id in the leaked config was {v}.",
        ]),
        "secret.aws_secret_access_key": (s["secret.aws_secret_access_key"], [
            "aws_secret_access_key = {v}",
            "AWS_SECRET_ACCESS_KEY=\"{v}\"",
            "{{\"SecretAccessKey\": \"{v}\"}}",
        ]),
        "secret.gcp_api_key": (s["secret.gcp_api_key"], [
            "const mapsKey = \"{v}\";",
            "Use the API key {v} for the geocoding call.",
        ]),
        "secret.gcp_service_account": (s["secret.gcp_service_account"], [
            "{{\"type\": \"service_account\", \"project_id\": \"demo\", \"private_key_id\": \"{v}\"}}",
        ]),
        "secret.azure_client_secret": (s["secret.azure_client_secret"], [
            "AZURE_CLIENT_SECRET={v}",
            "client secret: {v}",
        ]),
        "secret.github_token": (s["secret.github_token"], [
            "git clone https://{v}@github.com/acme/infra.git",
            "GITHUB_TOKEN={v}",
        ]),
        "secret.gitlab_token": (s["secret.gitlab_token"], [
            "curl --header \"PRIVATE-TOKEN: {v}\" https://gitlab.example.com/api/v4/projects",
        ]),
        "secret.slack_token": (s["secret.slack_token"], [
            "SLACK_BOT_TOKEN={v}",
            "the bot authenticates with {v}",
        ]),
        "secret.slack_webhook": (s["secret.slack_webhook"], [
            "Post alerts to {v} from the cron job.",
        ]),
        "secret.stripe_live_key": (s["secret.stripe_live_key"], [
            "stripe.api_key = \"{v}\"",
        ]),
        "secret.stripe_test_key": (s["secret.stripe_test_key"], [
            "STRIPE_SECRET_KEY={v} # staging",
            "For the sandbox use {v} in the request header.",
        ]),
        "secret.openai_api_key": (s["secret.openai_api_key"], [
            "OPENAI_API_KEY={v}",
            "client = OpenAI(api_key=\"{v}\")",
        ]),
        "secret.anthropic_api_key": (s["secret.anthropic_api_key"], [
            "ANTHROPIC_API_KEY={v}",
        ]),
        "secret.huggingface_token": (s["secret.huggingface_token"], [
            "huggingface-cli login --token {v}",
        ]),
        "secret.jwt": (s["secret.jwt"], [
            "Authorization: Bearer {v}",
            "The session cookie was {v}; it expires in an hour.",
        ]),
        "secret.private_key": (s["secret.private_key"], [
            "Here is the deploy key, keep it safe:\n{v}\n",
            "cat id_rsa\n{v}",
        ]),
        "secret.putty_private_key": (putty_key, [
            "Here is the key file for the bastion (PuTTY):\n{v}\n",
            "type deploy.ppk\n{v}\nThat is the whole file.",
            "Can you convert this to OpenSSH format?\n\n```\n{v}\n```",
        ]),
        "secret.connection_string": (lambda: R.choice(["postgresql", "mysql", "mongodb+srv", "redis"]) + "://" +
                                     R.choice(["app", "svc_orders", "admin2"]) + ":" + rand_str(ALNUM + "!~", 14) +
                                     "@", [
            "DATABASE_URL={v}db.internal:5432/orders",
            "connect with {v}db-primary.internal/prod",
        ]),
        "secret.generic": (lambda: rand_str(ALNUM, R.randint(6, 10)) + R.choice("!#$") + rand_str(ALNUM, 6), [
            "password: {v}",
            "db_password=\"{v}\"",
            "{{\"api_token\": \"{v}\"}}",
            "config = {{'password': '{v}', 'user': 'svc'}}",
            "dbPassword := \"{v}\"",
            "var clientSecret string = \"{v}\"",
            "const cfg = {{ apiKey: '{v}', region: 'eu' }};",
            "DB_PASSWORD ?= {v}",
            "$config['db_password'] .= '{v}';",
            "[database]\npassword={v}\nhost=db",
            "<password>{v}</password>",
            "<password>\n  {v}\n</password>",
            "<add key=\"ApiKey\" value=\"{v}\" />",
            "props.setProperty(\"db.password\", \"{v}\");",
            "os.getenv(\"DB_PASSWORD\", \"{v}\")",
            "DB_PASS={v}",
            "auth: {v}",
        ]),
    }


# Text that looks like sensitive data and is not, or is a documentation
# example. Each generator returns a whole record's text.
def negatives():
    uuid = lambda: "-".join(rand_str("0123456789abcdef", n) for n in (8, 4, 4, 4, 12))
    return [
        lambda: f"Your order #{digits(16)} has shipped and will arrive Thursday.",
        lambda: f"Order number ORD-{digits(3)}-{digits(2)}-{digits(4)} is being processed.",
        lambda: f"request id {uuid()} failed with status 503",
        lambda: f"The commit {rand_str('0123456789abcdef', 40)} fixed the race.",
        lambda: f"sha256: {rand_str('0123456789abcdef', 64)}",
        lambda: f"Tracking number {digits(12)} - estimated delivery 2026-12-03.",
        lambda: f"The event happened at 2026-11-{R.randint(10, 28)}T{R.randint(10, 23)}:{R.randint(10, 59)}:00Z.",
        lambda: f"Unix time {R.randint(1600000000, 1800000000)} corresponds to last spring.",
        lambda: f"Card number {bad_card()} was rejected by the checksum.",
        lambda: f"Invalid IBAN {bad_iban()} - please check the digits.",
        lambda: "Use the example key AKIAIOSFODNN7EXAMPLE from the AWS docs.",
        lambda: "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        lambda: "Try the test card 4242 4242 4242 4242 with any future date.",
        lambda: "Stripe's docs use sk_test_4eC39HqLyjWDarjtT1zdp7dc as the sample key.",
        lambda: "The jwt.io sample is eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6"
                "IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        lambda: "Email us at support@example.com or jane.doe@example.org.",
        lambda: f"Upgrade to version {R.randint(1, 9)}.{R.randint(0, 20)}.{R.randint(0, 9)}.{R.randint(0, 99)} for the fix.",
        lambda: "The OID 1.3.6.1.4.1.311.21.8 identifies the template.",
        lambda: "Documentation addresses like 192.0.2.15 and 2001:db8::1 are reserved.",
        lambda: "In C++ you write std::vector<int> v; and std::map for lookups.",
        lambda: f"The meeting is at 10:{R.randint(10, 59)}:{R.randint(10, 59)} in room 4{digits(2)}.",
        lambda: f"MAC address 00:1A:2B:{rand_str('0123456789ABCDEF', 2)}:{rand_str('0123456789ABCDEF', 2)}:5E was seen.",
        lambda: f"The invoice total is ${R.randint(100, 9999)}.{digits(2)} for {R.randint(2, 40)} seats.",
        lambda: f"We sold {R.randint(100, 999)} {R.randint(10, 99)} {R.randint(1000, 9999)} units across regions.",
        lambda: f"ISBN 978-{digits(1)}-{digits(3)}-{digits(5)}-{digits(1)} is the second edition.",
        lambda: "password: ********",
        lambda: "password: <your-password-here>",
        lambda: "Set API_KEY=${OPENAI_API_KEY} in the environment, never inline.",
        lambda: "token = process.env.GITHUB_TOKEN",
        lambda: "secretName: my-tls-secret",
        lambda: "The tokenizer: cl100k_base handles this.",
        lambda: f"Ticket {R.choice('ABCDEFGHJKLMPRSTUX')}{R.choice(string.ascii_uppercase)}{digits(7)} was closed.",
        lambda: "Example: postgres://user:password@localhost:5432/db",
        lambda: f"The ZIP code {digits(5)} covers the north side.",
        lambda: f"Flight UA{digits(3)} departs at 7:45.",
        lambda: "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx is a placeholder token.",
        lambda: "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
        lambda: f"GUID {uuid().upper()} registered.",
        lambda: f"Build {digits(9)} passed all checks.",
        lambda: f"The DEADBEEF{digits(4)} constant is a marker.",
        lambda: f"Bitcoin's genesis block hash starts with 000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f.",
    ]


FILLER = [
    "Here's a summary of the discussion so far.",
    "Let me know if you need anything else!",
    "I can't share personal information about other customers.",
    "The function below retries with exponential backoff.",
    "Step 1: open the settings page. Step 2: select Security.",
    "Based on the logs, the failure started after the deploy.",
    "Thanks, that worked. Can you also update the docs?",
    "Sure - here is the corrected JSON:",
    "",
]


def record(text, labels):
    return {"text": text, "labels": labels}


# Markdown around a value that stands alone in its sentence ("the card is
# {v}."), as a model writes it; a value placed after a header name or an
# operator keeps its text's grammar. Underscores only around values that
# have none in their alphabet.
EMPHASIS = ["**", "*", "`", "_", "__"]


def emphasised(det, value, pre, post):
    last = pre.rstrip()[-1:]
    if (R.random() >= 0.2 or not (pre == "" or pre.endswith(" ")) or not (last == "" or last.isalpha())
            or post[:1] not in ("", " ", ".", ",", "\n") or det.startswith(("secret.http_", "secret.cli_"))):
        return pre, post
    mark = R.choice(EMPHASIS if not det.startswith("secret.") else EMPHASIS[:3])
    if mark[0] in value:
        return pre, post
    return pre + mark, mark + post


def positive_record(det, gen, templates):
    value = gen()
    tpl = R.choice(templates)
    pre, post = tpl.split("{v}")
    pre, post = pre.replace("{{", "{").replace("}}", "}"), post.replace("{{", "{").replace("}}", "}")
    pre, post = emphasised(det, value, pre, post)
    lead = R.choice(FILLER)
    lead = lead + " " if lead else ""
    text = lead + pre + value + post
    start = len((lead + pre).encode())
    return record(text, [{"detector": det, "start": start, "end": start + len(value.encode())}])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/corpus/corpus.jsonl"
    pos = positives()
    pos.update(vendor_tokens())
    pos.update(placed_credentials())
    negs = negatives() + vendor_negatives() + placed_negatives() + look_alike_negatives()
    records = []
    for det, (gen, templates) in pos.items():
        for _ in range(60):
            records.append(positive_record(det, gen, templates))
    for _ in range(25):
        for g in negs:
            records.append(record(g(), []))
    R.shuffle(records)
    with open(out, "w") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{out}: {len(records)} records, {sum(len(r['labels']) for r in records)} labelled values")


if __name__ == "__main__":
    main()
