// SPDX-License-Identifier: Apache-2.0
#include "validate.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "hash.h"
#include "jsonview.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

size_t digits_of(const char *s, size_t n, char *out, size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (is_digit(s[i])) {
			if (k < max)
				out[k] = s[i];
			k++;
		}
	return k;
}

/* Integer value of a run of digits (at most 9, so it fits). */
static int num(const char *d, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (d[i] - '0');
	return v;
}

bool luhn_ok(const char *d, size_t n)
{
	int sum = 0;

	for (size_t i = 0; i < n; i++) {
		int v = d[n - 1 - i] - '0';

		if (i & 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return n > 1 && sum % 10 == 0;
}

/* Issuer identification ranges and the lengths each issuer uses. */
struct iin {
	int lo, hi;    /* prefix range, inclusive, over `digits` leading digits */
	int digits;
	int min, max;  /* card number length */
};

static const struct iin iins[] = {
	{ 4, 4, 1, 13, 19 },          /* Visa (13, 16, 19) */
	{ 51, 55, 2, 16, 16 },        /* Mastercard */
	{ 2221, 2720, 4, 16, 16 },    /* Mastercard 2-series */
	{ 34, 34, 2, 15, 15 },        /* American Express */
	{ 37, 37, 2, 15, 15 },
	{ 6011, 6011, 4, 16, 19 },    /* Discover */
	{ 644, 649, 3, 16, 19 },
	{ 65, 65, 2, 16, 19 },
	{ 3528, 3589, 4, 16, 19 },    /* JCB */
	{ 300, 305, 3, 14, 19 },      /* Diners Club */
	{ 36, 36, 2, 14, 19 },
	{ 38, 39, 2, 14, 19 },
	{ 62, 62, 2, 16, 19 },        /* UnionPay */
	{ 2200, 2204, 4, 16, 19 },    /* Mir */
	{ 50, 50, 2, 12, 19 },        /* Maestro */
	{ 56, 58, 2, 12, 19 },
	{ 60, 60, 2, 16, 19 },        /* RuPay, Discover */
	{ 63, 63, 2, 12, 19 },
	{ 67, 67, 2, 12, 19 },
	{ 81, 82, 2, 16, 16 },        /* RuPay */
	{ 1, 1, 1, 15, 15 },          /* UATP (airlines) */
	{ 9792, 9792, 4, 16, 16 },    /* Troy */
};

static bool issuer_length_ok(const char *d, size_t n)
{
	for (size_t i = 0; i < sizeof(iins) / sizeof(iins[0]); i++) {
		int p = num(d, (size_t)iins[i].digits);

		if (p >= iins[i].lo && p <= iins[i].hi && (int)n >= iins[i].min && (int)n <= iins[i].max)
			return true;
	}
	return false;
}

/* Printed groupings: fours with a shorter last group, or Amex / Diners
 * 4-6-5 and 4-6-4. */
static bool grouping_ok(const char *s, size_t n)
{
	int groups[8], ng = 0, len = 0;
	char sep = 0;

	for (size_t i = 0; i < n; i++) {
		if (is_digit(s[i])) {
			len++;
			continue;
		}
		if (sep && s[i] != sep)
			return false; /* mixed separators */
		sep = s[i];
		if (len == 0 || ng == 7)
			return false; /* doubled separator */
		groups[ng++] = len;
		len = 0;
	}
	if (!sep)
		return true;
	groups[ng++] = len;
	if (ng == 3 && groups[0] == 4 && groups[1] == 6 && (groups[2] == 5 || groups[2] == 4))
		return true;
	for (int i = 0; i < ng - 1; i++)
		if (groups[i] != 4)
			return false;
	return groups[ng - 1] >= 1 && groups[ng - 1] <= 4;
}

bool card_is_test_number(const char *d, size_t n)
{
	static const char *const tests[] = {
		"4111111111111111", "4242424242424242", "4012888888881881", "4222222222222",
		"4000056655665556", "4000000000000002", "4000000000000077", "4000000000000093",
		"4000000000000101", "4000000000000341", "4000000000003220", "4000002500003155",
		"4000000000009995", "4012000077777777", "5555555555554444", "5105105105105100",
		"5200828282828210", "2223003122003222", "2222400070000005", "378282246310005",
		"371449635398431", "378734493671000", "6011111111111117", "6011000990139424",
		"6011000400000000", "3530111333300000", "3566002020360505", "3566111111111113",
		"30569309025904", "38520000023237", "36227206271667", "6200000000000005",
		"6205500000000000004", "5019717010103742", "6331101999990016",
		"122000000000003",     /* UATP */
		"6759649826438453",    /* Maestro (UK) */
		"6799990100000000019", /* Maestro */
		"2200000000000004",    /* Mir */
		"3566000020000410",    /* JCB */
		"36006666333344",      /* Diners Club */
		"5454545454545454",    /* Mastercard */
		"4917610000000000",    /* Visa Electron */
		"4000000760000002", "4000001240000000", "4000004840008001", "4000000000003063",
		"4000002760003184", "4000008260003178", "5200828282828210", "5105105105105100",
	};

	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (strlen(tests[i]) == n && memcmp(tests[i], d, n) == 0)
			return true;
	return false;
}

bool luhn_value_ok(const char *s, size_t n)
{
	char d[64];
	size_t nd = digits_of(s, n, d, sizeof(d));

	return nd <= sizeof(d) && luhn_ok(d, nd);
}

bool card_ok(const char *s, size_t n)
{
	char d[32];
	size_t nd = digits_of(s, n, d, sizeof(d));

	return nd >= 13 && nd <= 19 && grouping_ok(s, n) && luhn_ok(d, nd) && issuer_length_ok(d, nd);
}

bool ssn_ok(const char *s, size_t n)
{
	static const char *const samples[] = { "078051120", "219099999", "457555462", "123456789" };
	char d[16];
	int area, group, serial;

	if (digits_of(s, n, d, sizeof(d)) != 9)
		return false;
	area = num(d, 3), group = num(d + 3, 2), serial = num(d + 5, 4);
	if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0)
		return false;
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		if (memcmp(d, samples[i], 9) == 0)
			return false;
	return true;
}

/* IBAN lengths per country (ISO 13616 registry). */
static const char iban_lengths[] =
	"AD24AE23AL28AT20AZ28BA20BE16BG22BH22BI27BR29BY28CH21CR22CY28CZ24DE22DJ27DK18DO28EE20EG29ES24"
	"FI18FK18FO18FR27GB22GE22GI23GL18GR27GT28HN28HR21HU28IE22IL23IQ23IS26IT27JO30KW30KZ20LB28LC32"
	"LI21LT20LU20LV21LY25MC27MD24ME22MK19MN20MR27MT31MU30NI28NL18NO15OM23PK24PL28PS29PT25QA29RO24"
	"RS22RU33SA24SC31SD18SE24SI19SK24SM27SO23ST25SV28TL23TN24TR26UA29VA22VG24XK20YE30";

/* The entry of a table of fixed-width records that starts with the
 * two-letter code cc, or NULL. */
static const char *find_code(const char *table, size_t width, const char *cc)
{
	for (const char *p = table; *p; p += width)
		if (p[0] == cc[0] && p[1] == cc[1])
			return p;
	return NULL;
}

static int iban_length(const char *cc)
{
	const char *p = find_code(iban_lengths, 4, cc);

	return p ? (p[2] - '0') * 10 + (p[3] - '0') : -1;
}

bool iban_ok(const char *s, size_t n)
{
	char v[40];
	size_t k = 0;
	int rem = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == ' ' || c == '-')
			continue;
		if (k == sizeof(v))
			return false;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		if (!is_digit(c) && !is_upper(c))
			return false;
		v[k++] = c;
	}
	if (k < 15 || !is_upper(v[0]) || !is_upper(v[1]) || !is_digit(v[2]) || !is_digit(v[3]) ||
	    iban_length(v) != (int)k)
		return false;
	/* Move the first four to the end, letters as 10..35, mod 97 digit by digit. */
	for (size_t i = 0; i < k; i++) {
		char c = v[(i + 4) % k];

		if (is_digit(c))
			rem = (rem * 10 + (c - '0')) % 97;
		else
			rem = (rem * 100 + (c - 'A' + 10)) % 97;
	}
	return rem == 1;
}

bool aba_ok(const char *s, size_t n)
{
	char d[16];
	int p, sum;

	if (n != 9 || digits_of(s, n, d, sizeof(d)) != 9)
		return false;
	p = num(d, 2);
	if (!(p <= 12 || (p >= 21 && p <= 32) || (p >= 61 && p <= 72) || p == 80))
		return false;
	sum = 3 * (d[0] + d[3] + d[6] - 3 * '0') + 7 * (d[1] + d[4] + d[7] - 3 * '0') + (d[2] + d[5] + d[8] - 3 * '0');
	return sum % 10 == 0 && num(d, 9) != 0;
}

bool npi_ok(const char *s, size_t n)
{
	char d[16] = "80840";

	if (n != 10 || digits_of(s, n, d + 5, 10) != 10 || (d[5] != '1' && d[5] != '2'))
		return false;
	return luhn_ok(d, 15);
}

bool dea_ok(const char *s, size_t n)
{
	static const char registrants[] = "ABCDEFGHJKLMPRSTUX";
	const char *d = s + 2;
	int sum;

	if (n != 9 || !strchr(registrants, s[0]) || !(is_upper(s[1]) || s[1] == '9'))
		return false;
	for (int i = 0; i < 7; i++)
		if (!is_digit(d[i]))
			return false;
	sum = (d[0] - '0') + (d[2] - '0') + (d[4] - '0') + 2 * ((d[1] - '0') + (d[3] - '0') + (d[5] - '0'));
	return sum % 10 == d[6] - '0';
}

static const char countries[] =
	"ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZCACCCDCFCGCHCICKCL"
	"CMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGU"
	"GWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMC"
	"MDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPT"
	"PWPYQARERORSRURWSASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZUA"
	"UGUMUSUYUZVAVCVEVGVIVNVUWFWSXKYEYTZAZMZW";

static bool country_ok(const char *cc)
{
	return find_code(countries, 2, cc) != NULL;
}

bool bic_ok(const char *s, size_t n)
{
	if (n != 8 && n != 11)
		return false;
	for (size_t i = 0; i < 6; i++)
		if (!is_upper(s[i]))
			return false;
	for (size_t i = 6; i < n; i++)
		if (!is_upper(s[i]) && !is_digit(s[i]))
			return false;
	return country_ok(s + 4);
}

static const char b58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

static bool base58check_ok(const char *s, size_t n)
{
	uint8_t b[32] = { 0 }, h1[HASH_LEN], h2[HASH_LEN];
	size_t zeros = 0, size;
	const uint8_t *payload;

	while (zeros < n && s[zeros] == '1')
		zeros++;
	for (size_t i = 0; i < n; i++) {
		const char *p = memchr(b58, s[i], sizeof(b58) - 1);
		unsigned carry;

		if (!p)
			return false;
		carry = (unsigned)(p - b58);
		for (int j = (int)sizeof(b) - 1; j >= 0; j--) {
			carry += 58u * b[j];
			b[j] = (uint8_t)carry;
			carry >>= 8;
		}
		if (carry)
			return false; /* longer than any address */
	}
	size = 0;
	while (size < sizeof(b) && b[size] == 0)
		size++;
	size = sizeof(b) - size + zeros; /* significant bytes plus the leading zero bytes */
	if (size != 25)
		return false;
	payload = b + sizeof(b) - 25;
	if (payload[0] != 0x00 && payload[0] != 0x05)
		return false;
	hash_sha256(payload, 21, h1);
	hash_sha256(h1, sizeof(h1), h2);
	return memcmp(h2, payload + 21, 4) == 0;
}

static uint32_t bech32_polymod(const uint8_t *v, size_t n)
{
	static const uint32_t gen[5] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3 };
	uint32_t chk = 1;

	for (size_t i = 0; i < n; i++) {
		uint32_t top = chk >> 25;

		chk = (chk & 0x1ffffff) << 5 ^ v[i];
		for (int k = 0; k < 5; k++)
			if ((top >> k) & 1)
				chk ^= gen[k];
	}
	return chk;
}

static bool bech32_ok(const char *s, size_t n)
{
	static const char cs[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
	uint8_t v[96];
	size_t k = 0;
	uint32_t c;
	bool up = false, low = false;

	if ((n != 42 && n != 62) || lower(s[0]) != 'b' || lower(s[1]) != 'c' || s[2] != '1')
		return false;
	v[k++] = 'b' >> 5, v[k++] = 'c' >> 5, v[k++] = 0, v[k++] = 'b' & 31, v[k++] = 'c' & 31;
	for (size_t i = 3; i < n; i++) {
		const char *p = memchr(cs, lower(s[i]), sizeof(cs) - 1);

		up |= is_upper(s[i]);
		low |= s[i] >= 'a' && s[i] <= 'z';
		if (!p)
			return false;
		v[k++] = (uint8_t)(p - cs);
	}
	if (up && low)
		return false;
	c = bech32_polymod(v, k);
	/* Witness version 0 uses bech32, later versions bech32m (BIP 350). */
	return v[5] == 0 ? c == 1 : (v[5] <= 16 && c == 0x2bc830a3);
}

bool btc_address_ok(const char *s, size_t n)
{
	if (n >= 3 && lower(s[0]) == 'b' && lower(s[1]) == 'c' && s[2] == '1')
		return bech32_ok(s, n);
	return n >= 26 && n <= 35 && (s[0] == '1' || s[0] == '3') && base58check_ok(s, n);
}

int b64_decode(const char *s, size_t n, uint8_t *out, size_t max)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int v;

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (is_digit(c))
			v = c - '0' + 52;
		else if (c == '-' || c == '+')
			v = 62;
		else if (c == '_' || c == '/')
			v = 63;
		else if (c == '=')
			break;
		else
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (k == max)
				return -1;
			out[k++] = (uint8_t)(acc >> bits);
		}
	}
	return (int)k;
}

/* The JWT's header (the part before its first dot) as a JSON object whose
 * "alg" is a string: that string's token in d (released by the caller), or
 * -1 (nothing to release). */
static int jwt_alg(const char *s, size_t n, struct jdoc *d)
{
	const char *dot = memchr(s, '.', n);
	uint8_t hdr[512];
	int len, alg;

	if (!dot)
		return -1;
	len = b64_decode(s, (size_t)(dot - s), hdr, sizeof(hdr));
	if (len <= 0 || jdoc_parse(d, (const char *)hdr, (size_t)len))
		return -1;
	alg = d->t[0].type == JTOK_OBJECT ? jdoc_get(d, 0, "alg") : -1;
	if (alg < 0 || !jdoc_is_string(d, alg)) {
		jdoc_release(d);
		return -1;
	}
	return alg;
}

bool jwt_ok(const char *s, size_t n)
{
	const char *dot = memchr(s, '.', n);
	struct jdoc d;

	if (!dot || !memchr(dot + 1, '.', n - (size_t)(dot + 1 - s)) || jwt_alg(s, n, &d) < 0)
		return false;
	jdoc_release(&d);
	return true;
}

/* A JWT with no signature: its header says "alg":"none" and the value ends
 * at the second dot (header.payload.). */
bool jwt_unsigned_ok(const char *s, size_t n)
{
	const char *dot = memchr(s, '.', n);
	struct jdoc d;
	int alg;
	bool ok;

	if (!dot || n < 2 || s[n - 1] != '.' || memchr(dot + 1, '.', n - (size_t)(dot + 1 - s)) != s + n - 1 ||
	    (alg = jwt_alg(s, n, &d)) < 0)
		return false;
	ok = jdoc_str_is(&d, alg, "none") || jdoc_str_is(&d, alg, "None") || jdoc_str_is(&d, alg, "NONE");
	jdoc_release(&d);
	return ok;
}

/* A Discord bot token: its first part is the bot's user id (a snowflake,
 * 17 to 20 digits) in base64. */
bool discord_token_ok(const char *s, size_t n)
{
	const char *dot = memchr(s, '.', n);
	uint8_t id[32];
	int len;

	if (!dot)
		return false;
	len = b64_decode(s, (size_t)(dot - s), id, sizeof(id));
	if (len < 17 || len > 20)
		return false;
	for (int i = 0; i < len; i++)
		if (id[i] < '0' || id[i] > '9')
			return false;
	return true;
}

bool ip_ok(const char *s, size_t n)
{
	char buf[64];
	uint8_t a[16];

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, a) == 1) {
		uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];

		return v != 0 && v != 0xffffffff && a[0] != 127 &&
		       (v >> 8) != 0xc00002 && (v >> 8) != 0xc63364 && (v >> 8) != 0xcb0071; /* RFC 5737 */
	}
	if (inet_pton(AF_INET6, buf, a) == 1) {
		static const uint8_t zero[16], loop[16] = { [15] = 1 };

		return memcmp(a, zero, 16) != 0 && memcmp(a, loop, 16) != 0 &&
		       !(a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8); /* RFC 3849 */
	}
	return false;
}

static bool ymd_ok(int y, int m, int d)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	if (y < 1900 || y > tm.tm_year + 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return false;
	return true;
}

/* Month number from the first three letters of a name, or 0. */
static int month_named(const char *s, size_t n)
{
	static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	char m[3];

	if (n < 3)
		return 0;
	for (int i = 0; i < 3; i++)
		m[i] = (char)lower(s[i]);
	for (int i = 0; i < 12; i++)
		if (memcmp(names + 3 * i, m, 3) == 0)
			return i + 1;
	return 0;
}

bool date_ok(const char *s, size_t n)
{
	int f[3], nf = 0, month = 0;
	size_t i = 0;

	/* Split into up to three numbers and at most one month name. */
	while (i < n && nf <= 3) {
		if (is_digit(s[i])) {
			size_t j = i;

			while (j < n && is_digit(s[j]) && j - i < 5)
				j++;
			if (nf == 3)
				return false;
			f[nf++] = num(s + i, j - i);
			i = j;
		} else if ((s[i] | 32) >= 'a' && (s[i] | 32) <= 'z') {
			size_t j = i;

			while (j < n && (s[j] | 32) >= 'a' && (s[j] | 32) <= 'z')
				j++;
			if (month || !(month = month_named(s + i, j - i)))
				return false;
			i = j;
		} else {
			i++;
		}
	}
	if (month) /* "March 5, 1984", "5 March 1984" */
		return nf == 2 && ((f[1] >= 1000 && ymd_ok(f[1], month, f[0])) || (f[0] >= 1000 && ymd_ok(f[0], month, f[1])));
	if (nf != 3)
		return false;
	if (f[0] >= 1000)
		return ymd_ok(f[0], f[1], f[2]);
	return f[2] >= 1000 && (ymd_ok(f[2], f[0], f[1]) || ymd_ok(f[2], f[1], f[0]));
}

double entropy_bits(const char *s, size_t n)
{
	/* H = log2(n) - sum(c log2 c) / n over the distinct bytes' counts c.
	 * Only the counters of bytes present are cleared and summed: values
	 * are tens of bytes, and 256 counters each time cost more than they. */
	size_t counts[256];
	uint8_t distinct[256];
	unsigned nd = 0;
	double sum = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		counts[(uint8_t)s[i]] = 0;
	for (size_t i = 0; i < n; i++)
		if (counts[(uint8_t)s[i]]++ == 0)
			distinct[nd++] = (uint8_t)s[i];
	for (unsigned k = 0; k < nd; k++) {
		double c = (double)counts[distinct[k]];

		sum += c * log2(c);
	}
	return log2((double)n) - sum / (double)n;
}

bool needle_set_init(struct needle_set *set, const char *const *needles, size_t count)
{
	memset(set, 0, sizeof(*set));
	if (count > NEEDLE_SET_MAX)
		return false;
	for (size_t k = 0; k < count; k++) {
		size_t l = strlen(needles[k]);

		if (l == 0 || l > UINT8_MAX) {
			memset(set, 0, sizeof(*set));
			return false;
		}
		set->len[k] = (uint8_t)l;
		set->by_first[(uint8_t)needles[k][0]] |= 1ull << k;
	}
	set->needles = needles;
	return true;
}

bool needle_set_find_if(const struct needle_set *set, const char *s, size_t n,
			bool (*accept)(const void *arg, size_t at, size_t len), const void *arg)
{
	for (size_t i = 0; i < n; i++) {
		for (uint64_t m = set->by_first[(uint8_t)s[i]]; m; m &= m - 1) {
			unsigned k = (unsigned)__builtin_ctzll(m);

			if ((size_t)set->len[k] <= n - i && memcmp(s + i, set->needles[k], set->len[k]) == 0 &&
			    (!accept || accept(arg, i, set->len[k])))
				return true;
		}
	}
	return false;
}

bool needle_set_find(const struct needle_set *set, const char *s, size_t n)
{
	return needle_set_find_if(set, s, n, NULL, NULL);
}

static const char *const placeholder_markers[] = {
	"xxxx", "****", "....", "<", ">", "{{", "${", "$(", "%s", "example", "sample", "dummy",
	"placeholder", "your_", "your-", "yourkey", "yoursecret", "changeme", "redacted",
	"insert", "replace", "fake", "abcdefgh", "12345678", "qwerty", "process.env", "os.environ",
	"####", "tokenhere", "keyhere", "secrethere", "passwordhere", "accesstoken", "notarealkey", "not-a-real",
};
static struct needle_set placeholders;
_Static_assert(sizeof(placeholder_markers) / sizeof(placeholder_markers[0]) <= NEEDLE_SET_MAX,
	       "a needle set holds at most NEEDLE_SET_MAX markers");

/* Before main, single-threaded: the set is read-only from then on. */
__attribute__((constructor)) static void placeholders_init(void)
{
	needle_set_init(&placeholders, placeholder_markers, sizeof(placeholder_markers) / sizeof(placeholder_markers[0]));
}

/* A short marker ("xxxx", "fake") counts written in one case, as people
 * write one (xxxx, XXXX, Fake): a random token of mixed case holds "xXxx"
 * or "FaKe" about once in a thousand 90-character values, and is no
 * placeholder. Longer markers ("AccessTokenHere") are camel-cased by
 * people and (2/62)^6 unlikely in a random token, so any case counts. */
static bool written_as_marker(const void *arg, size_t at, size_t len)
{
	const char *s = (const char *)arg + at;
	size_t upper = 0, letters = 0;

	if (len > 4)
		return true;
	for (size_t i = 0; i < len; i++) {
		upper += s[i] >= 'A' && s[i] <= 'Z';
		letters += (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z');
	}
	return upper == 0 || upper == letters || (upper == 1 && s[0] >= 'A' && s[0] <= 'Z');
}

/* The markers (written_as_marker) and keyboard or alphabet sequences;
 * repeats too when `repeats`. */
static bool placeholder_in(const char *s, size_t n, bool repeats)
{
	char low[256] = { 0 }; /* zeroed for gcc, which cannot see n bytes set */
	size_t run = 1;

	if (n > sizeof(low))
		n = sizeof(low); /* the markers would show in the first 256 bytes */
	for (size_t i = 0; i < n; i++)
		low[i] = (char)lower((uint8_t)s[i]);
	if (needle_set_find_if(&placeholders, low, n, written_as_marker, s))
		return true;
	for (size_t i = 1, up = 1, down = 1; i < n; i++) {
		run = s[i] == s[i - 1] ? run + 1 : 1;
		up = s[i] == s[i - 1] + 1 ? up + 1 : 1;
		down = s[i] == s[i - 1] - 1 ? down + 1 : 1;
		if ((repeats && run >= 6) || up >= 7 || down >= 7)
			return true; /* AAAAAA, 000000; abcdefg, 1234567, 9876543 */
	}
	return false;
}

bool looks_placeholder(const char *s, size_t n)
{
	return placeholder_in(s, n, true);
}

bool body_looks_placeholder(const char *s, size_t n)
{
	return placeholder_in(s, n, false) || entropy_bits(s, n) < 4.0;
}
