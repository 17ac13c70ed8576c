/*
 * ob_money: the one money formatter.
 *
 * Amounts are integers in the currency's minor unit (cents for USD, yen
 * for JPY, fils for BHD) with a three-letter ISO 4217 code; the number of
 * decimals comes from the code's ISO 4217 exponent (0, 2, 3 or 4; 2 for a
 * code this table does not list, as Stripe does). Formatting is exact
 * integer arithmetic: no floating point, no rounding.
 *
 * One function, three styles for three audiences:
 *   OB_MONEY_PLAIN   "1234.56"      CSV and machine-readable fields
 *   OB_MONEY_CODE    "1234.56 USD"  invoices, PDFs, e-mail
 *   OB_MONEY_SYMBOL  "$1,234.56"    the console (thousands grouped; a
 *                                   symbol for the codes that have an
 *                                   unambiguous one, else "1,234.56 CHF")
 * Negative amounts get a leading '-' ("-$5.00", "-5.00 USD"). The
 * console's JavaScript receives strings formatted here for money (its
 * one formatter, templates/static/js/app.js, uses Intl.NumberFormat with
 * the currency for the few numbers it makes itself). Plain counts in the
 * console ("1,000,000" seats, credits, limits) go through ob_money_count.
 */
#ifndef OB_MONEY_H
#define OB_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

enum ob_money_style {
	OB_MONEY_PLAIN,
	OB_MONEY_CODE,
	OB_MONEY_SYMBOL,
};

/** ISO 4217 minor-unit exponent of currency (any case): 0, 2, 3 or 4. */
int ob_money_exponent(const char *currency);

/**
 * Format amount (minor units of currency) into out in style. Returns out;
 * n >= OB_MONEY_MAX always suffices (a shorter buffer truncates).
 */
const char *ob_money_format(char *out, size_t n, int64_t amount, const char *currency,
    enum ob_money_style style);

#define OB_MONEY_MAX 40

/**
 * A plain count with thousands grouped by ',' ("1,000,000", "-1,234")
 * into out (n >= OB_MONEY_MAX suffices). Returns out.
 */
const char *ob_money_count(char *out, size_t n, int64_t v);

/**
 * Add ob_money_format's text to o as string member name (view models:
 * "total_text"). Nothing is added when o is NULL.
 */
void ob_money_json(cJSON *o, const char *name, int64_t amount, const char *currency,
    enum ob_money_style style);

/**
 * For an exact integer member amount_name of o (ob_num_json_get), add its
 * text as text_name; nothing when the member is absent or not an integer.
 */
void ob_money_json_member(cJSON *o, const char *amount_name, const char *text_name,
    const char *currency, enum ob_money_style style);

#endif
