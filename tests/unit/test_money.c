/*
 * The money formatter and the integer reader (base/money.h, base/num.h),
 * against hand-written expectations: ISO 4217 exponents, signs, the
 * int64 limits, JSON numbers beyond 2^31 and 2^53, fractions.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include <cJSON.h>

#include "base/money.h"
#include "base/num.h"
#include "unit/unit.h"

static const char *
fmt(int64_t v, const char *cur, enum ob_money_style st)
{
	static char buf[OB_MONEY_MAX];

	return ob_money_format(buf, sizeof(buf), v, cur, st);
}

START_TEST(money_styles_and_exponents)
{
	ck_assert_str_eq(fmt(1234, "usd", OB_MONEY_PLAIN), "12.34");
	ck_assert_str_eq(fmt(1234, "usd", OB_MONEY_CODE), "12.34 USD");
	ck_assert_str_eq(fmt(1234, "USD", OB_MONEY_SYMBOL), "$12.34");
	ck_assert_str_eq(fmt(5, "usd", OB_MONEY_CODE), "0.05 USD");
	ck_assert_str_eq(fmt(-5, "usd", OB_MONEY_SYMBOL), "-$0.05");
	ck_assert_str_eq(fmt(-500, "eur", OB_MONEY_CODE), "-5.00 EUR");
	ck_assert_str_eq(fmt(0, "usd", OB_MONEY_PLAIN), "0.00");
	ck_assert_str_eq(fmt(500, "jpy", OB_MONEY_CODE), "500 JPY");
	ck_assert_str_eq(fmt(500, "jpy", OB_MONEY_SYMBOL), "¥500");
	ck_assert_str_eq(fmt(1234, "bhd", OB_MONEY_CODE), "1.234 BHD");
	ck_assert_str_eq(fmt(12345, "clf", OB_MONEY_PLAIN), "1.2345");
	ck_assert_str_eq(fmt(1234, "chf", OB_MONEY_SYMBOL), "12.34 CHF");
	ck_assert_str_eq(fmt(INT64_MAX, "usd", OB_MONEY_PLAIN), "92233720368547758.07");
	ck_assert_str_eq(fmt(INT64_MIN, "usd", OB_MONEY_CODE), "-92233720368547758.08 USD");
	/* not a currency code: 2 decimals, no code */
	ck_assert_str_eq(fmt(1234, "", OB_MONEY_CODE), "12.34");
	ck_assert_str_eq(fmt(1234, NULL, OB_MONEY_SYMBOL), "12.34");
	/* the console's style groups thousands; CSV and e-mail styles do not */
	ck_assert_str_eq(fmt(123456789, "usd", OB_MONEY_SYMBOL), "$1,234,567.89");
	ck_assert_str_eq(fmt(-100000, "usd", OB_MONEY_SYMBOL), "-$1,000.00");
	ck_assert_str_eq(fmt(99999, "usd", OB_MONEY_SYMBOL), "$999.99");
	ck_assert_str_eq(fmt(1234567, "jpy", OB_MONEY_SYMBOL), "¥1,234,567");
	ck_assert_str_eq(fmt(123456, "chf", OB_MONEY_SYMBOL), "1,234.56 CHF");
	ck_assert_str_eq(fmt(INT64_MIN, "usd", OB_MONEY_SYMBOL), "-$92,233,720,368,547,758.08");
	ck_assert_str_eq(fmt(123456789, "usd", OB_MONEY_CODE), "1234567.89 USD");
	ck_assert_str_eq(fmt(123456789, "usd", OB_MONEY_PLAIN), "1234567.89");
	ck_assert_int_eq(ob_money_exponent("KWD"), 3);
	ck_assert_int_eq(ob_money_exponent("krw"), 0);
	ck_assert_int_eq(ob_money_exponent("usd"), 2);
}
END_TEST

START_TEST(money_count_groups)
{
	char b[OB_MONEY_MAX];

	ck_assert_str_eq(ob_money_count(b, sizeof(b), 0), "0");
	ck_assert_str_eq(ob_money_count(b, sizeof(b), 999), "999");
	ck_assert_str_eq(ob_money_count(b, sizeof(b), 1000), "1,000");
	ck_assert_str_eq(ob_money_count(b, sizeof(b), 1000000), "1,000,000");
	ck_assert_str_eq(ob_money_count(b, sizeof(b), -1234), "-1,234");
	ck_assert_str_eq(ob_money_count(b, sizeof(b), INT64_MIN), "-9,223,372,036,854,775,808");
}
END_TEST

START_TEST(num_parse_strict)
{
	int64_t v = 42;

	ck_assert_int_eq(ob_num_parse("9223372036854775807", 0, INT64_MAX, &v), 0);
	ck_assert_int_eq(v, INT64_MAX);
	ck_assert_int_eq(ob_num_parse("-9223372036854775808", INT64_MIN, 0, &v), 0);
	ck_assert_int_eq(v, INT64_MIN);
	ck_assert_int_eq(ob_num_parse("9223372036854775808", 0, INT64_MAX, &v), -1);
	ck_assert_int_eq(ob_num_parse("12a", 0, 100, &v), -1);
	ck_assert_int_eq(ob_num_parse("+1", 0, 100, &v), -1);
	ck_assert_int_eq(ob_num_parse(" 1", 0, 100, &v), -1);
	ck_assert_int_eq(ob_num_parse("", 0, 100, &v), -1);
	ck_assert_int_eq(ob_num_parse("-", -5, 100, &v), -1);
	ck_assert_int_eq(ob_num_parse("1.5", 0, 100, &v), -1);
	ck_assert_int_eq(ob_num_parse("101", 0, 100, &v), -1);
	ck_assert_int_eq(ob_num_parse("-1", 0, 100, &v), -1);
	ck_assert_int_eq(v, INT64_MIN);	/* untouched by failures */
}
END_TEST

START_TEST(num_json_64bit)
{
	cJSON *o = cJSON_Parse("{\"ts\":4102444800,\"big\":3000000000000,\"frac\":1.5,"
	    "\"exp\":1e3,\"huge\":1e300,\"s\":\"9223372036854775807\",\"neg\":-7,"
	    "\"str\":\"x\",\"bool\":true,\"edge\":9007199254740992,\"over\":18014398509481984}");
	int64_t v = 0;

	ck_assert_ptr_nonnull(o);
	/* after 2038 and above 2^31: exact */
	ck_assert_int_eq(ob_num_json_member(o, "ts", 0, INT64_MAX, &v), 0);
	ck_assert_int_eq(v, 4102444800LL);
	ck_assert_int_eq(ob_num_json_member(o, "big", 0, INT64_MAX, &v), 0);
	ck_assert_int_eq(v, 3000000000000LL);
	ck_assert_int_eq(ob_num_json_member(o, "exp", 0, INT64_MAX, &v), 0);
	ck_assert_int_eq(v, 1000);
	ck_assert_int_eq(ob_num_json_member(o, "s", 0, INT64_MAX, &v), 0);
	ck_assert_int_eq(v, INT64_MAX);
	ck_assert_int_eq(ob_num_json_member(o, "edge", 0, INT64_MAX, &v), 0);
	ck_assert_int_eq(v, 9007199254740992LL);
	ck_assert_int_eq(ob_num_json_member(o, "neg", -10, 10, &v), 0);
	ck_assert_int_eq(v, -7);
	ck_assert_int_eq(ob_num_json_member(o, "neg", 0, 10, &v), -1);
	ck_assert_int_eq(ob_num_json_member(o, "frac", 0, 10, &v), -1);
	ck_assert_int_eq(ob_num_json_member(o, "huge", 0, INT64_MAX, &v), -1);
	ck_assert_int_eq(ob_num_json_member(o, "over", 0, INT64_MAX, &v), -1);
	ck_assert_int_eq(ob_num_json_member(o, "str", 0, 10, &v), -1);
	ck_assert_int_eq(ob_num_json_member(o, "bool", 0, 10, &v), -1);
	ck_assert_int_eq(ob_num_json_member(o, "absent", 0, 10, &v), -1);
	ck_assert_int_eq(ob_num_json(NULL, 0, 10, &v), -1);
	cJSON_Delete(o);
}
END_TEST

START_TEST(num_checked_arithmetic)
{
	int64_t r = 0;
	char buf[24];

	ck_assert_int_eq(ob_num_mul(1000000000000LL, 100, &r), 0);
	ck_assert_int_eq(r, 100000000000000LL);
	ck_assert_int_eq(ob_num_mul(INT64_MAX / 2 + 1, 2, &r), -1);
	ck_assert_int_eq(ob_num_mul(-1, INT64_MIN, &r), -1);
	ck_assert_int_eq(ob_num_add(INT64_MAX, 1, &r), -1);
	ck_assert_int_eq(ob_num_add(-5, 3, &r), 0);
	ck_assert_int_eq(r, -2);
	ck_assert_str_eq(ob_num_str(buf, sizeof(buf), INT64_MIN), "-9223372036854775808");
}
END_TEST

Suite *money_suite(void)
{
	return t_suite("money", 0, T_TESTS(money_styles_and_exponents, money_count_groups, num_parse_strict,
	    num_json_64bit, num_checked_arithmetic));
}
