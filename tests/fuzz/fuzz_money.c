/*
 * libFuzzer target: base/money.c, which formats amounts in currencies that
 * come from outside (Stripe objects, request fields).
 *
 * Input: 8 bytes of amount (little-endian int64), the currency up to the
 * first newline, then a JSON document for ob_money_json_member. Checked:
 * every style fits OB_MONEY_MAX; the plain style reads back as the amount
 * with the currency's number of decimals (exact integers, no rounding);
 * a shorter buffer truncates and stays NUL-terminated.
 */
#include "fuzz.h"

#include <cJSON.h>

#include "base/money.h"
#include "base/num.h"

static int64_t
le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return (int64_t)v;
}

/* The plain text of amount read back: digits without the point equal amount. */
static void
check_plain(const char *text, int64_t amount, int exp)
{
	char digits[OB_MONEY_MAX];
	const char *dot = strchr(text, '.');
	size_t i, n = 0;
	int64_t back;

	if ((exp == 0) != (dot == NULL) || (dot != NULL && strlen(dot + 1) != (size_t)exp))
		abort();
	for (i = 0; text[i] != '\0'; i++)
		if (text[i] != '.')
			digits[n++] = text[i];
	digits[n] = '\0';
	if (ob_num_parse(digits, INT64_MIN, INT64_MAX, &back) != 0 || back != amount)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p, *cur, *doc;
	char out[128], small[8], *currency;
	size_t left, clen, dlen;
	int64_t amount;
	int style, exp;
	cJSON *j;

	if (size < 8)
		return 0;
	amount = le64(data);
	p = (const char *)data + 8;
	left = size - 8;
	cur = fuzz_part(&p, &left, '\n', &clen);
	doc = fuzz_part(&p, &left, '\0', &dlen);
	currency = fuzz_strndup(cur, clen);
	exp = ob_money_exponent(currency);
	if (exp != 0 && exp != 2 && exp != 3 && exp != 4)
		abort();
	for (style = OB_MONEY_PLAIN; style <= OB_MONEY_SYMBOL; style++) {
		memset(out, 'x', sizeof(out));
		out[sizeof(out) - 1] = '\0';
		ob_money_format(out, sizeof(out), amount, currency, (enum ob_money_style)style);
		if (strlen(out) >= OB_MONEY_MAX)
			abort();
		ob_money_format(small, sizeof(small), amount, currency, (enum ob_money_style)style);
		if (strlen(small) >= sizeof(small))
			abort();
		if (style == OB_MONEY_PLAIN)
			check_plain(out, amount, exp);
	}
	ob_money_count(out, sizeof(out), amount);
	if (strlen(out) >= OB_MONEY_MAX)
		abort();
	if ((j = cJSON_ParseWithLength(doc, dlen)) != NULL) {
		ob_money_json_member(j, "amount", "amount_text", currency, OB_MONEY_SYMBOL);
		cJSON_Delete(j);
	}
	free(currency);
	return 0;
}
