/*
 * The money formatter (money.h).
 */
#include "base/money.h"

#include <stdio.h>
#include <string.h>

#include "base/num.h"

/* ISO 4217 codes whose minor unit is not 1/100. Lower case, sorted. */
static const struct {
	char code[4];
	int exp;
} exponents[] = {
	{ "bhd", 3 }, { "bif", 0 }, { "clf", 4 }, { "clp", 0 }, { "djf", 0 },
	{ "gnf", 0 }, { "iqd", 3 }, { "isk", 0 }, { "jod", 3 }, { "jpy", 0 },
	{ "kmf", 0 }, { "krw", 0 }, { "kwd", 3 }, { "lyd", 3 }, { "omr", 3 },
	{ "pyg", 0 }, { "rwf", 0 }, { "tnd", 3 }, { "ugx", 0 }, { "uyi", 0 },
	{ "uyw", 4 }, { "vnd", 0 }, { "vuv", 0 }, { "xaf", 0 }, { "xof", 0 },
	{ "xpf", 0 },
};

/* Symbols that name one currency without doubt. */
static const struct {
	char code[4];
	const char *symbol;
} symbols[] = {
	{ "usd", "$" }, { "eur", "€" }, { "gbp", "£" }, { "jpy", "¥" }, { "inr", "₹" },
};

/* currency in lower case into lc[4]; 0, or -1 if it is not three letters. */
static int
lower3(const char *currency, char lc[4])
{
	int i;

	if (currency == NULL)
		return -1;
	for (i = 0; i < 3; i++) {
		char c = currency[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c < 'a' || c > 'z')
			return -1;
		lc[i] = c;
	}
	lc[3] = '\0';
	return currency[3] == '\0' ? 0 : -1;
}

int
ob_money_exponent(const char *currency)
{
	char lc[4];
	size_t i;

	if (lower3(currency, lc) != 0)
		return 2;
	for (i = 0; i < sizeof(exponents) / sizeof(exponents[0]); i++)
		if (strcmp(exponents[i].code, lc) == 0)
			return exponents[i].exp;
	return 2;
}

static const char *
symbol_for(const char *lc)
{
	size_t i;

	for (i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++)
		if (strcmp(symbols[i].code, lc) == 0)
			return symbols[i].symbol;
	return NULL;
}

/* The digits of v with a ',' between groups of three into out[n]. */
static void
group(char *out, size_t n, uint64_t v)
{
	char d[24], g[32];
	size_t len, i, j = 0;

	snprintf(d, sizeof(d), "%llu", (unsigned long long)v);
	len = strlen(d);
	for (i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			g[j++] = ',';
		g[j++] = d[i];
	}
	g[j] = '\0';
	snprintf(out, n, "%s", g);
}

const char *
ob_money_count(char *out, size_t n, int64_t v)
{
	char g[32];

	group(g, sizeof(g), v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
	snprintf(out, n, "%s%s", v < 0 ? "-" : "", g);
	return out;
}

const char *
ob_money_format(char *out, size_t n, int64_t amount, const char *currency,
    enum ob_money_style style)
{
	static const uint64_t pow10[] = { 1, 10, 100, 1000, 10000 };
	int exp = ob_money_exponent(currency);
	uint64_t a = amount < 0 ? (uint64_t)0 - (uint64_t)amount : (uint64_t)amount;
	const char *sign = amount < 0 ? "-" : "", *sym = NULL;
	char num[40], whole[32], lc[4] = "", uc[4] = "";
	int i;

	/* The console's style groups thousands; the others stay machine-plain. */
	if (style == OB_MONEY_SYMBOL)
		group(whole, sizeof(whole), a / pow10[exp]);
	else
		snprintf(whole, sizeof(whole), "%llu", (unsigned long long)(a / pow10[exp]));
	if (exp == 0)
		snprintf(num, sizeof(num), "%s", whole);
	else
		snprintf(num, sizeof(num), "%s.%0*llu", whole, exp,
		    (unsigned long long)(a % pow10[exp]));
	if (lower3(currency, lc) == 0)
		for (i = 0; i < 4; i++)
			uc[i] = (char)(lc[i] >= 'a' && lc[i] <= 'z' ? lc[i] - 'a' + 'A' : lc[i]);
	if (style == OB_MONEY_SYMBOL && lc[0] != '\0')
		sym = symbol_for(lc);
	if (style == OB_MONEY_PLAIN || (style != OB_MONEY_PLAIN && uc[0] == '\0' && sym == NULL))
		snprintf(out, n, "%s%s", sign, num);
	else if (sym != NULL)
		snprintf(out, n, "%s%s%s", sign, sym, num);
	else
		snprintf(out, n, "%s%s %s", sign, num, uc);
	return out;
}

void
ob_money_json(cJSON *o, const char *name, int64_t amount, const char *currency,
    enum ob_money_style style)
{
	char buf[OB_MONEY_MAX];

	if (o != NULL)
		cJSON_AddStringToObject(o, name, ob_money_format(buf, sizeof(buf), amount, currency,
		    style));
}

void
ob_money_json_member(cJSON *o, const char *amount_name, const char *text_name,
    const char *currency, enum ob_money_style style)
{
	int64_t v;

	if (ob_num_json_get(o, amount_name, &v) == 0)
		ob_money_json(o, text_name, v, currency, style);
}
