/*
 * The invoices module's pure parts: CSV escaping, money text, credit
 * prices (one rounding rule), the dunning state machine, refundable
 * amounts, WinAnsi text for PDFs, e-mail formatting.
 */
#include <check.h>
#include <string.h>

#include "invoices/dunning.h"
#include "invoices/invoice_pdf.h"
#include "base/money.h"
#include "invoices/invoices.h"
#include "base/outbox.h"
#include "invoices/refunds.h"
#include "unit/unit.h"

static const char *
csv(const char *s, struct ob_buf *b)
{
	ob_buf_reset(b);
	ob_invoices_csv_field(b, s);
	return b->data ? b->data : "";
}

START_TEST(inv_csv_escaping)
{
	struct ob_buf b = OB_BUF_INIT;

	ck_assert_str_eq(csv("plain", &b), "plain");
	ck_assert_str_eq(csv("", &b), "");
	ck_assert_str_eq(csv(NULL, &b), "");
	ck_assert_str_eq(csv("a,b", &b), "\"a,b\"");
	ck_assert_str_eq(csv("say \"hi\"", &b), "\"say \"\"hi\"\"\"");
	ck_assert_str_eq(csv("two\nlines", &b), "\"two\nlines\"");
	ck_assert_str_eq(csv(" lead", &b), "\" lead\"");
	/* Formulas are defused. */
	ck_assert_str_eq(csv("=SUM(A1)", &b), "\"'=SUM(A1)\"");
	ck_assert_str_eq(csv("+1", &b), "\"'+1\"");
	ck_assert_str_eq(csv("-1", &b), "\"'-1\"");
	ck_assert_str_eq(csv("@x", &b), "\"'@x\"");
	ob_buf_free(&b);
}
END_TEST

/* The CSV's money columns: the formatter's plain style (test_money.c has the rest). */
START_TEST(inv_money_text)
{
	char m[OB_MONEY_MAX];

	ck_assert_str_eq(ob_money_format(m, sizeof(m), 0, "usd", OB_MONEY_PLAIN), "0.00");
	ck_assert_str_eq(ob_money_format(m, sizeof(m), 5, "usd", OB_MONEY_PLAIN), "0.05");
	ck_assert_str_eq(ob_money_format(m, sizeof(m), -5, "usd", OB_MONEY_PLAIN), "-0.05");
	ck_assert_str_eq(ob_money_format(m, sizeof(m), 1234567, "usd", OB_MONEY_PLAIN), "12345.67");
	ck_assert_str_eq(ob_money_format(m, sizeof(m), INT64_MIN, "usd", OB_MONEY_PLAIN),
	    "-92233720368547758.08");
}

START_TEST(inv_credit_price_rounding)
{
	ck_assert_int_eq(ob_invoices_credit_price(12345, 100), 1235);	/* 1234.5 → 1235 */
	ck_assert_int_eq(ob_invoices_credit_price(12344, 100), 1234);	/* 1234.4 → 1234 */
	ck_assert_int_eq(ob_invoices_credit_price(5, 100), 1);		/* 0.5 → 1 */
	ck_assert_int_eq(ob_invoices_credit_price(4, 100), 0);
	ck_assert_int_eq(ob_invoices_credit_price(-12345, 100), -1235);	/* away from zero */
	ck_assert_int_eq(ob_invoices_credit_price(5000, 100), 500);
	ck_assert_int_eq(ob_invoices_credit_price(0, 100), 0);
}
END_TEST

START_TEST(inv_dunning_transitions)
{
	const int64_t g = 7 * 86400, s = 14 * 86400, t0 = 1000000;

	/* A failure moves only an active org. */
	ck_assert_int_eq(ob_dunning_next(OB_DUNNING_ACTIVE, OB_DUNNING_EV_FAILED, t0, t0, g, s, 0),
	    OB_DUNNING_PAST_DUE);
	ck_assert_int_eq(ob_dunning_next(OB_DUNNING_RESTRICTED, OB_DUNNING_EV_FAILED, t0, t0, g, s, 0),
	    OB_DUNNING_RESTRICTED);
	ck_assert_int_eq(ob_dunning_next(OB_DUNNING_SUSPENDED, OB_DUNNING_EV_FAILED, t0, t0, g, s, 0),
	    OB_DUNNING_SUSPENDED);
	/* Grace: the boundary second moves it, one before does not. */
	ck_assert_int_eq(ob_dunning_next(OB_DUNNING_PAST_DUE, OB_DUNNING_EV_TICK, t0, t0 + g - 1, g, s, 0),
	    OB_DUNNING_PAST_DUE);
	ck_assert_int_eq(ob_dunning_next(OB_DUNNING_PAST_DUE, OB_DUNNING_EV_TICK, t0, t0 + g, g, s, 0),
	    OB_DUNNING_RESTRICTED);
	/* One step per tick: a long-past past_due becomes restricted, not suspended. */
	ck_assert_int_eq(ob_dunning_next(OB_DUNNING_PAST_DUE, OB_DUNNING_EV_TICK, t0, t0 + g + s + 99, g, s, 0),
	    OB_DUNNING_RESTRICTED);
	ck_assert_int_eq(ob_dunning_next(OB_DUNNING_RESTRICTED, OB_DUNNING_EV_TICK, t0, t0 + s - 1, g, s, 0),
	    OB_DUNNING_RESTRICTED);
	ck_assert_int_eq(ob_dunning_next(OB_DUNNING_RESTRICTED, OB_DUNNING_EV_TICK, t0, t0 + s, g, s, 0),
	    OB_DUNNING_SUSPENDED);
	ck_assert_int_eq(ob_dunning_next(OB_DUNNING_SUSPENDED, OB_DUNNING_EV_TICK, t0, t0 + 10 * s, g, s, 0),
	    OB_DUNNING_SUSPENDED);
	ck_assert_int_eq(ob_dunning_next(OB_DUNNING_ACTIVE, OB_DUNNING_EV_TICK, t0, t0 + 10 * s, g, s, 0),
	    OB_DUNNING_ACTIVE);
	/* Staff override: ticks change nothing. */
	ck_assert_int_eq(ob_dunning_next(OB_DUNNING_PAST_DUE, OB_DUNNING_EV_TICK, t0, t0 + 10 * s, g, s, 1),
	    OB_DUNNING_PAST_DUE);
	/* A payment restores active from anywhere. */
	ck_assert_int_eq(ob_dunning_next(OB_DUNNING_PAST_DUE, OB_DUNNING_EV_PAID, t0, t0, g, s, 0), OB_DUNNING_ACTIVE);
	ck_assert_int_eq(ob_dunning_next(OB_DUNNING_RESTRICTED, OB_DUNNING_EV_PAID, t0, t0, g, s, 0), OB_DUNNING_ACTIVE);
	ck_assert_int_eq(ob_dunning_next(OB_DUNNING_SUSPENDED, OB_DUNNING_EV_PAID, t0, t0, g, s, 0), OB_DUNNING_ACTIVE);
	/* Zero-day periods: immediate steps. */
	ck_assert_int_eq(ob_dunning_next(OB_DUNNING_PAST_DUE, OB_DUNNING_EV_TICK, t0, t0, 0, 0, 0),
	    OB_DUNNING_RESTRICTED);
}
END_TEST

START_TEST(inv_dunning_names)
{
	enum ob_dunning_state st;

	ck_assert_str_eq(ob_dunning_state_name(OB_DUNNING_PAST_DUE), "past_due");
	ck_assert_int_eq(ob_dunning_state_parse("restricted", &st), 0);
	ck_assert_int_eq(st, OB_DUNNING_RESTRICTED);
	ck_assert_int_eq(ob_dunning_state_parse("bogus", &st), -1);
	ck_assert_int_eq(ob_dunning_state_parse(NULL, &st), -1);
}
END_TEST

START_TEST(inv_refund_arithmetic)
{
	struct ob_fail f;
	int64_t a;

	ck_assert_int_eq(ob_refunds_refundable(10000, 0), 10000);
	ck_assert_int_eq(ob_refunds_refundable(10000, 3000), 7000);
	ck_assert_int_eq(ob_refunds_refundable(10000, 12000), 0);
	/* Full refund of what is left. */
	ck_assert_int_eq(ob_refunds_amount(10000, 3000, 0, &a, &f), 0);
	ck_assert_int_eq(a, 7000);
	/* Partial, and exactly all that is left. */
	ck_assert_int_eq(ob_refunds_amount(10000, 0, 2500, &a, &f), 0);
	ck_assert_int_eq(a, 2500);
	ck_assert_int_eq(ob_refunds_amount(10000, 3000, 7000, &a, &f), 0);
	ck_assert_int_eq(a, 7000);
	/* One cent too many. */
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(ob_refunds_amount(10000, 3000, 7001, &a, &f), -1);
	ck_assert_str_eq(f.code, "amount_exceeds_refundable");
	ck_assert_str_eq(f.param, "amount");
	/* Nothing left. */
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(ob_refunds_amount(10000, 10000, 0, &a, &f), -1);
	ck_assert_str_eq(f.code, "nothing_to_refund");
	ck_assert_int_eq(ob_refunds_amount(0, 0, 0, &a, &f), -1);
	/* Negative. */
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(ob_refunds_amount(10000, 0, -1, &a, &f), -1);
	ck_assert_str_eq(f.param, "amount");
}
END_TEST

START_TEST(inv_winansi)
{
	char out[64];

	ob_invoice_pdf_winansi("3 \xc3\x97 Pro", out, sizeof(out));	/* × */
	ck_assert_str_eq(out, "3 \xd7 Pro");
	ob_invoice_pdf_winansi("caf\xc3\xa9", out, sizeof(out));
	ck_assert_str_eq(out, "caf\xe9");
	ob_invoice_pdf_winansi("\xe2\x82\xac 5", out, sizeof(out));	/* € is outside Latin-1 here */
	ck_assert_str_eq(out, "? 5");
	ob_invoice_pdf_winansi("a\nb\tc", out, sizeof(out));
	ck_assert_str_eq(out, "abc");
	ob_invoice_pdf_winansi("abcdef", out, 4);
	ck_assert_str_eq(out, "abc");
}
END_TEST

START_TEST(inv_mail_format)
{
	struct ob_buf b = OB_BUF_INIT;

	ck_assert_int_eq(ob_outbox_format(&b, "billing@orgbill.test", "ap@acme.test",
	    "Receipt\r\nBcc: evil@x.test", "line one\nline two", "m1@orgbill", 0), 0);
	ck_assert_ptr_nonnull(strstr(b.data, "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "To: <ap@acme.test>\r\n"));
	/* No header injection through the subject. */
	ck_assert_ptr_null(strstr(b.data, "\r\nBcc:"));
	ck_assert_ptr_nonnull(strstr(b.data, "\r\n\r\nline one\r\nline two\r\n"));
	ob_buf_reset(&b);
	ck_assert_int_eq(ob_outbox_format(&b, "billing@orgbill.test", "a@b.test>\r\nRCPT", "s", "b",
	    "m", 0), -1);
	ck_assert_int_eq(ob_outbox_format(&b, "billing@orgbill.test", "no-at-sign", "s", "b", "m", 0), -1);
	ob_buf_free(&b);
}
END_TEST

START_TEST(inv_filter_check)
{
	struct ob_invoices_filter ok = { "paid", "2026-01-01", "2026-02-01" };
	struct ob_invoices_filter bad_status = { "pending", NULL, NULL };
	struct ob_invoices_filter bad_date = { NULL, "2026-1-01", NULL };
	struct ob_invoices_filter backwards = { NULL, "2026-03-01", "2026-02-01" };
	struct ob_fail f;

	ck_assert_int_eq(ob_invoices_filter_check(&ok, &f), 0);
	ck_assert_int_eq(ob_invoices_filter_check(&bad_status, &f), -1);
	ck_assert_str_eq(f.param, "status");
	ck_assert_int_eq(ob_invoices_filter_check(&bad_date, &f), -1);
	ck_assert_str_eq(f.param, "from");
	ck_assert_int_eq(ob_invoices_filter_check(&backwards, &f), -1);
}
END_TEST

Suite *invoices_suite(void)
{
	return t_suite("invoices", 0, T_TESTS(inv_csv_escaping, inv_money_text,
	    inv_credit_price_rounding, inv_dunning_transitions, inv_dunning_names,
	    inv_refund_arithmetic, inv_winansi, inv_mail_format, inv_filter_check));
}
