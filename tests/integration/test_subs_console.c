/*
 * The console's subscription, credits and invoices pages as a billing
 * manager uses them, server side (no JavaScript):
 *  - a plan change is previewed on the card of the plan it switches to,
 *    with plan names and the confirm form; Pro (2 × $49, per user) to
 *    Business (2 × $29) a moment after buying is a credit of $98 - $58 =
 *    $40.00 to the balance; Business to Pro waits for the period's end and
 *    offers "switch now", which charges 3 × ($49 - $29) = $60.00;
 *  - a refused cancellation comes back with the cancel form open; a new
 *    subscription's flash follows its status when the page is shown;
 *  - a member's limit is removed with the Unlimited box (audited, the
 *    change recorded as NULL; another org's member is not found); the
 *    extra-task limit "Unlimited" is -1 in the API and never shown as -1;
 *  - the console's invoice PDF is orgbill's (the API's still redirects to
 *    Stripe's), with the PO number, billing details and lines;
 *  - a declined credit purchase says "Payment required … complete it
 *    here" and links the open invoice, mirrored at once.
 * Fresh orgs per test; expectations written by hand.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "integration/harness.h"
#include "integration/inv_fixture.h"

/* A new billing member of org, signed in, into s. */
static void
billing_session(long org, const char *role, struct t_session *s)
{
	long uid = t_member_new(org, role, NULL);
	char em[128];

	snprintf(em, sizeof(em), "%s", t_sql_valuef("SELECT email FROM users WHERE id = %ld", uid));
	t_reset_rate_limits();
	ck_assert_int_eq(t_login(em, T_MEMBER_PASSWORD, s->cookie, sizeof(s->cookie)), 303);
	t_csrf(s->cookie, s->csrf);
}

/* An org (card: visa) with a monthly subscription of plan × seats bought through the API. */
static void
subscribed_org(struct inv_org *o, const char *tag, const char *plan, int seats)
{
	char body[256], path[128];
	cJSON *j;

	inv_org_new(o, tag, "pm_card_visa");
	snprintf(body, sizeof(body), "{\"plan\":\"%s\",\"seats\":%d,\"cycle\":\"month\","
	    "\"payment_method\":\"pm_card_visa\"}", plan, seats);
	snprintf(path, sizeof(path), INV_API "/subscriptions/%ld", o->id);
	t_reset_rate_limits();
	j = inv_api(o->key, "POST", path, body, 201);
	ck_assert_str_eq(t_jstr(j, "status"), "active");
	cJSON_Delete(j);
}

/* body must contain needle. */
static void
has(const struct t_resp *r, const char *needle)
{
	ck_assert_msg(strstr(r->body.data, needle) != NULL, "no \"%s\" in the page", needle);
}

/* body must not contain needle. */
static void
lacks(const struct t_resp *r, const char *needle)
{
	const char *at = strstr(r->body.data, needle);

	ck_assert_msg(at == NULL, "\"%s\" on the page: …%.80s", needle,
	    at != NULL && at - r->body.data > 40 ? at - 40 : r->body.data);
}

/* The part of the page from the plan card of code on (to the next card or the end). */
static const char *
card_of(const struct t_resp *r, const char *code, char *out, size_t n)
{
	char start[64];
	const char *p, *e;

	snprintf(start, sizeof(start), "data-plan=\"%s\"", code);
	p = strstr(r->body.data, start);
	ck_assert_ptr_nonnull(p);
	e = strstr(p, "</article>");
	ck_assert_ptr_nonnull(e);
	snprintf(out, n, "%.*s", (int)(e - p), p);
	return out;
}

START_TEST(cheaper_plan_preview_on_its_card_with_the_credit)
{
	struct inv_org o;
	struct t_session s;
	struct t_resp r;
	char body[256], card[8192], path[128];
	cJSON *j;

	subscribed_org(&o, "subs-credit", "pro", 2);
	billing_session(o.id, "billing", &s);
	/* One action per card: the current plan none, Business "Switch to Business…". */
	ck_assert_int_eq(t_get_as(s.cookie, NULL, "/subscription", &r), 200);
	has(&r, "data-k=\"plan\">Pro</strong>");
	has(&r, "data-k=\"status\">Active</strong>");
	card_of(&r, "business", card, sizeof(card));
	ck_assert_ptr_nonnull(strstr(card, "<button type=\"submit\">Switch to Business…</button>"));
	ck_assert_ptr_null(strstr(card, "/subscription/change"));
	card_of(&r, "pro", card, sizeof(card));
	ck_assert_ptr_null(strstr(card, "<button"));
	t_resp_free(&r);

	snprintf(body, sizeof(body), "csrf=%s&plan=business", s.csrf);
	ck_assert_int_eq(t_form_as(s.cookie, "/subscription/preview", body, NULL, &r), 200);
	card_of(&r, "business", card, sizeof(card));
	ck_assert_ptr_nonnull(strstr(card, "<h3 id=\"confirm-h\">Switch from Pro to Business</h3>"));
	ck_assert_ptr_nonnull(strstr(card, "<td>Unused time (Pro)</td><td class=\"num\">2</td>"
	    "<td class=\"num\">-$98.00</td>"));
	ck_assert_ptr_nonnull(strstr(card, "<td>Remaining time (Business)</td><td class=\"num\">2</td>"
	    "<td class=\"num\">$58.00</td>"));
	ck_assert_ptr_nonnull(strstr(card, "Takes effect now, with a credit of <strong>$40.00</strong> "
	    "to your balance"));
	ck_assert_ptr_nonnull(strstr(card, "<input type=\"hidden\" name=\"plan\" value=\"business\">"));
	ck_assert_ptr_nonnull(strstr(card, ">Confirm: switch to Business</button>"));
	/* The card's own switch button gives way to the confirm step; no plan codes for people. */
	ck_assert_ptr_null(strstr(card, "Switch to Business…"));
	lacks(&r, "(pro)");
	lacks(&r, "(business)");
	t_resp_free(&r);

	/* The API's preview says the same. */
	snprintf(path, sizeof(path), INV_API "/subscriptions/%ld/preview", o.id);
	j = inv_api(o.key, "POST", path, "{\"plan\":\"business\"}", 200);
	ck_assert_str_eq(t_jstr(j, "plan_name"), "Business");
	ck_assert_str_eq(t_jstr(j, "from_plan_name"), "Pro");
	ck_assert_str_eq(t_jstr(j, "credit_text"), "$40.00");
	ck_assert_ptr_null(cJSON_GetObjectItem(j, "charge_text"));
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "downgrade")));
	cJSON_Delete(j);

	/* Confirmed: the plan is Business. */
	snprintf(body, sizeof(body), "csrf=%s&idem=subs-credit-%d&plan=business&cycle=month&seats=2",
	    s.csrf, (int)getpid());
	ck_assert_int_eq(t_form_as(s.cookie, "/subscription/change", body, NULL, &r), 303);
	ck_assert_str_eq(t_header(&r, "Location"), "/subscription?done=changed");
	t_resp_free(&r);
	ck_assert_str_eq(inv_sub_row(&o, "plan_code"), "business");
}
END_TEST

START_TEST(lower_tier_waits_and_offers_now)
{
	struct inv_org o;
	struct t_session s;
	struct t_resp r;
	char body[256], card[8192];

	subscribed_org(&o, "subs-later", "business", 3);
	billing_session(o.id, "billing", &s);
	snprintf(body, sizeof(body), "csrf=%s&plan=pro", s.csrf);
	ck_assert_int_eq(t_form_as(s.cookie, "/subscription/preview", body, NULL, &r), 200);
	card_of(&r, "pro", card, sizeof(card));
	ck_assert_ptr_nonnull(strstr(card, "Switch from Business to Pro"));
	ck_assert_ptr_nonnull(strstr(card, "Takes effect at the end of the current period, on <time"));
	ck_assert_ptr_nonnull(strstr(card, "nothing is charged now."));
	ck_assert_ptr_nonnull(strstr(card, "Then <strong id=\"preview-next\">$147.00</strong> per month "
	    "for 3 seats."));
	ck_assert_ptr_null(strstr(card, "id=\"preview-lines\""));
	ck_assert_ptr_nonnull(strstr(card, ">Or switch now instead…</button>"));
	t_resp_free(&r);

	snprintf(body, sizeof(body), "csrf=%s&plan=pro&cycle=month&seats=3&immediate=true", s.csrf);
	ck_assert_int_eq(t_form_as(s.cookie, "/subscription/preview", body, NULL, &r), 200);
	card_of(&r, "pro", card, sizeof(card));
	ck_assert_ptr_nonnull(strstr(card, "Takes effect now: <strong>$60.00</strong> is charged now"));
	ck_assert_ptr_nonnull(strstr(card, "<input type=\"hidden\" name=\"immediate\" value=\"true\">"));
	ck_assert_ptr_null(strstr(card, "Or switch now instead"));
	t_resp_free(&r);

	/* Confirmed as first previewed: scheduled, shown with the plan's name and the day. */
	snprintf(body, sizeof(body), "csrf=%s&idem=subs-later-%d&plan=pro&cycle=month&seats=3", s.csrf,
	    (int)getpid());
	ck_assert_int_eq(t_form_as(s.cookie, "/subscription/change", body, NULL, &r), 303);
	ck_assert_str_eq(t_header(&r, "Location"), "/subscription?done=scheduled");
	t_resp_free(&r);
	ck_assert_int_eq(t_get_as(s.cookie, NULL, "/subscription?done=scheduled", &r), 200);
	has(&r, "<strong id=\"scheduled-change\">Changes to Pro (monthly) on <time datetime=\"");
	has(&r, "</time></strong> (3 seats)</p>");
	t_resp_free(&r);
}
END_TEST

START_TEST(refused_cancel_keeps_the_form_open)
{
	struct inv_org o;
	struct t_session s;
	struct t_resp r;
	char body[256];

	subscribed_org(&o, "subs-cancel", "business", 2);
	billing_session(o.id, "billing", &s);
	/* The flash follows the status now: paid since the form's answer, it started. */
	ck_assert_int_eq(t_get_as(s.cookie, NULL, "/subscription?done=payment_required", &r), 200);
	has(&r, "Subscription started.");
	lacks(&r, "Payment required");
	t_resp_free(&r);
	ck_assert_int_eq(t_get_as(s.cookie, NULL, "/subscription", &r), 200);
	has(&r, "<details id=\"cancel-flow\">");
	has(&r, "<summary class=\"button danger\" id=\"cancel-open\">Cancel subscription…</summary>");
	has(&r, "your 2 seats stay assigned and this period's included credits stay usable until then.");
	t_resp_free(&r);
	snprintf(body, sizeof(body), "csrf=%s&idem=subs-cancel-%d&when=period_end", s.csrf, (int)getpid());
	ck_assert_int_eq(t_form_as(s.cookie, "/subscription/cancel", body, NULL, &r), 400);
	has(&r, "A reason is required to cancel.");
	has(&r, "<details id=\"cancel-flow\" open>");
	t_resp_free(&r);
	ck_assert_str_eq(inv_sub_row(&o, "cancel_at_period_end"), "false");
}
END_TEST

START_TEST(unlimited_instead_of_minus_one)
{
	struct t_session s;
	struct t_resp r;
	char body[256], row[64];
	long org = t_org_new("subs-unl", NULL, NULL), other = t_org_new("subs-unl-x", NULL, NULL);
	long member = t_member_new(org, "member", NULL), stranger = t_member_new(other, "member", NULL);

	billing_session(org, "owner", &s);
	/* A limit, then the Unlimited box with the number cleared. */
	snprintf(body, sizeof(body), "csrf=%s&user_id=%ld&limit=500", s.csrf, member);
	ck_assert_int_eq(t_form_as(s.cookie, "/credits/allocations", body, NULL, &r), 303);
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT limit_amount FROM credit_allocations WHERE org_id = %ld"
	    " AND user_id = %ld", org, member), "500");
	/* A number typed beside a ticked box: unclear, refused, nothing changes
	 * (the member does not become unlimited by accident). */
	snprintf(body, sizeof(body), "csrf=%s&user_id=%ld&limit=700&unlimited=true", s.csrf, member);
	ck_assert_int_eq(t_form_as(s.cookie, "/credits/allocations", body, NULL, &r), 400);
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT limit_amount FROM credit_allocations WHERE org_id = %ld"
	    " AND user_id = %ld", org, member), "500");
	snprintf(body, sizeof(body), "csrf=%s&user_id=%ld&limit=&unlimited=true", s.csrf, member);
	ck_assert_int_eq(t_form_as(s.cookie, "/credits/allocations", body, NULL, &r), 303);
	ck_assert_str_eq(t_header(&r, "Location"), "/credits?saved=allocations");
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM credit_allocations WHERE org_id = %ld", org), "0");
	ck_assert_str_eq(t_sql_valuef("SELECT old_limit || ':' || COALESCE(new_limit::text, 'null')"
	    " FROM credit_allocation_changes WHERE org_id = %ld ORDER BY id DESC LIMIT 1", org), "500:null");
	ck_assert_str_eq(t_sql_valuef("SELECT before->>'limit' || ':' || (after->'limit')::text FROM audit_log"
	    " WHERE org_id = %ld AND action = 'credits.allocate' ORDER BY id DESC LIMIT 1", org), "500:null");
	/* Again: nothing to remove, no second record. */
	ck_assert_int_eq(t_form_as(s.cookie, "/credits/allocations", body, NULL, NULL), 303);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND action = 'credits.allocate'", org), "2");
	/* Another org's member is no member here. */
	snprintf(body, sizeof(body), "csrf=%s&user_id=%ld&unlimited=true", s.csrf, stranger);
	ck_assert_int_eq(t_form_as(s.cookie, "/credits/allocations", body, NULL, &r), 404);
	t_resp_free(&r);

	/* Extra tasks unlimited: -1 stored, "Unlimited" shown, never -1. */
	snprintf(body, sizeof(body), "csrf=%s&allow_extra_tasks=on&unlimited=true", s.csrf);
	ck_assert_int_eq(t_form_as(s.cookie, "/credits/settings", body, NULL, &r), 303);
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT max_extra_tasks FROM organizations WHERE id = %ld", org), "-1");
	ck_assert_int_eq(t_get_as(s.cookie, NULL, "/credits", &r), 200);
	has(&r, "allowed, no limit (Unlimited)");
	has(&r, "id=\"extra-unlimited\" checked>");
	has(&r, "name=\"max_extra_tasks\" type=\"number\" min=\"0\" step=\"1\" value=\"\"");
	snprintf(row, sizeof(row), "data-user=\"%ld\"", member);
	has(&r, row);
	has(&r, "class=\"alloc-unlimited\" checked>");
	lacks(&r, "value=\"-1\"");
	lacks(&r, ">-1<");
	lacks(&r, "\xe2\x88\x92" "1");	/* U+2212 MINUS SIGN */
	/* A new org: what to do instead of an empty chart. */
	has(&r, "<strong>No credits yet.</strong>");
	has(&r, "<strong>No credits used in the last 30 days.</strong>");
	lacks(&r, "id=\"credits-chart\"");
	t_resp_free(&r);
}
END_TEST

/* Run pdftotext on the PDF in r; its text (static buffer). */
static const char *
pdf_text(const struct t_resp *r)
{
	static char text[16384];
	char path[64], cmd[128];
	FILE *f, *p;
	size_t n;

	snprintf(path, sizeof(path), "/tmp/ob-subs-%d.pdf", (int)getpid());
	ck_assert_ptr_nonnull(f = fopen(path, "wb"));
	ck_assert_uint_eq(fwrite(r->body.data, 1, r->body.len, f), r->body.len);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "pdftotext -layout %s -", path);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	n = fread(text, 1, sizeof(text) - 1, p);
	text[n] = '\0';
	ck_assert_int_eq(pclose(p), 0);
	unlink(path);
	return text;
}

START_TEST(console_pdf_is_ours_with_details_and_lines)
{
	struct inv_org o;
	struct t_session s;
	struct t_resp r;
	char body[256], path[160], id[64], want[128];
	const char *text;

	inv_org_new(&o, "subs-pdf", "pm_card_visa");
	billing_session(o.id, "billing", &s);
	snprintf(body, sizeof(body), "csrf=%s&idem=subs-pdf-%d&credits=3000", s.csrf, (int)getpid());
	ck_assert_int_eq(t_form_as(s.cookie, "/billing/credits/purchase", body, NULL, &r), 303);
	ck_assert_int_eq(strncmp(t_header(&r, "Location"),
	    "/billing/invoices?done=credits_bought&purchase=", 47), 0);
	t_resp_free(&r);
	inv_deliver();
	snprintf(id, sizeof(id), "%s", t_sql_valuef("SELECT public_id FROM invoices WHERE org_id = %ld", o.id));

	/* The invoice page's line: its quantity, the kind in words. */
	snprintf(path, sizeof(path), "/billing/invoices/%s", id);
	ck_assert_int_eq(t_get_as(s.cookie, NULL, path, &r), 200);
	has(&r, "<tr><td>Purchase of 3000 credits</td><td>Credit purchase</td><td class=\"num\">1</td>"
	    "<td class=\"num\">$3.00</td><td class=\"num\">$3.00</td></tr>");
	has(&r, ">Still to pay</th><td class=\"num\">$0.00</td>");
	t_resp_free(&r);

	snprintf(path, sizeof(path), "/billing/invoices/%s/pdf", id);
	ck_assert_int_eq(t_get_as(s.cookie, NULL, path, &r), 200);
	ck_assert_str_eq(t_header(&r, "Content-Type"), "application/pdf");
	text = pdf_text(&r);
	t_resp_free(&r);
	ck_assert_msg(strstr(text, "Bill to\n") != NULL, "%s", text);
	snprintf(want, sizeof(want), "Inv subs-pdf\n");
	ck_assert_msg(strstr(text, want) != NULL, "%s", text);
	ck_assert_msg(strstr(text, "1 Test Road\n") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "12345 Springfield") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "Tax ID: EU123\n") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "PO number: PO-4711\n") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "Purchase of 3000 credits") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "Thank you for your business.") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "Status: paid") != NULL, "%s", text);

	/* The API's route still sends Stripe's PDF. */
	snprintf(path, sizeof(path), INV_API "/invoices/%ld/%s/pdf", o.id, id);
	ck_assert_int_eq(t_get_as(NULL, o.key, path, &r), 302);
	t_resp_free(&r);
}
END_TEST

START_TEST(declined_purchase_says_payment_required)
{
	struct inv_org o;
	struct t_session s;
	struct t_resp r;
	char body[256], loc[256], want[256];

	inv_org_new(&o, "subs-payreq", "pm_card_chargeDeclined");
	billing_session(o.id, "billing", &s);
	snprintf(body, sizeof(body), "csrf=%s&idem=subs-payreq-%d&credits=1000", s.csrf, (int)getpid());
	ck_assert_int_eq(t_form_as(s.cookie, "/billing/credits/purchase", body, NULL, &r), 303);
	snprintf(loc, sizeof(loc), "%s", t_header(&r, "Location"));
	t_resp_free(&r);
	snprintf(want, sizeof(want), "/billing/invoices?done=credits_declined&purchase=%s",
	    t_sql_valuef("SELECT public_id FROM credit_purchases WHERE org_id = %ld", o.id));
	ck_assert_str_eq(loc, want);
	/* The open invoice is mirrored at once (no webhook delivered). */
	ck_assert_str_eq(t_sql_valuef("SELECT status FROM invoices WHERE org_id = %ld", o.id), "open");
	ck_assert_int_eq(t_get_as(s.cookie, NULL, loc, &r), 200);
	snprintf(want, sizeof(want), "Payment required for 1,000 credits — <a href=\"/billing/invoices/%s\">"
	    "complete it here</a>", t_sql_valuef("SELECT public_id FROM invoices WHERE org_id = %ld", o.id));
	has(&r, want);
	has(&r, "<td class=\"num\">1,000</td><td class=\"num\">$1.00</td><td>Payment required — <a href=");
	lacks(&r, "declined");
	lacks(&r, "No invoice yet.");
	t_resp_free(&r);
}
END_TEST

Suite *
subs_console_suite(void)
{
	Suite *s = suite_create("subs_console");
	TCase *tc = tcase_create("subs_console");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, cheaper_plan_preview_on_its_card_with_the_credit);
	tcase_add_test(tc, lower_tier_waits_and_offers_now);
	tcase_add_test(tc, refused_cancel_keeps_the_form_open);
	tcase_add_test(tc, unlimited_instead_of_minus_one);
	tcase_add_test(tc, console_pdf_is_ours_with_details_and_lines);
	tcase_add_test(tc, declined_purchase_says_payment_required);
	suite_add_tcase(s, tc);
	return s;
}
