/*
 * The console forms that read their fields themselves — sign-in, the org
 * switcher, seat assign and revoke, credit allocations, the billing details
 * form and the payment-method button — declare them in strict field tables
 * (fcgi/fields.h, OB_FIELDS_FORM): a field the form does not have, or a
 * value its row refuses (each value of a repeated field), is a readable
 * 400 console page and nothing happens. Expected answers are written from
 * the requirement; on the code before, each of these requests succeeded
 * or was answered by the handler without naming the field.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "integration/harness.h"
#include "unit/unit.h"

/* A 400 HTML page that says want. */
static void
want_page(const char *what, const struct t_resp *r, const char *want)
{
	const char *ct = t_header(r, "Content-Type");

	ck_assert_msg(r->status == 400, "%s: %ld %.300s", what, r->status, r->body.data);
	ck_assert_msg(ct != NULL && strstr(ct, "text/html") != NULL, "%s: %s", what, ct);
	ck_assert_msg(strstr(r->body.data, want) != NULL, "%s: no \"%s\" in %.500s", what, want,
	    r->body.data);
}

/* POST form (the session's CSRF token first) to path as s: the answer into r. */
static void
post(const struct t_session *s, const char *path, const char *fields, struct t_resp *r)
{
	char body[512];

	snprintf(body, sizeof(body), "csrf=%s&%s", s->csrf, fields);
	(void)t_form_as(s->cookie, path, body, NULL, r);
}

START_TEST(ident_forms_refuse_unknown_fields)
{
	long a = t_org_new("ident-forms-a", NULL, NULL), b = t_org_new("ident-forms-b", NULL, NULL);
	long owner = t_member_new(a, "owner", NULL), uid = t_member_new(a, "member", NULL);
	char email[160], body[256], before[256];
	struct t_session s;
	struct t_resp r;

	t_member_add(b, owner, "owner", NULL);
	snprintf(email, sizeof(email), "%s", t_sql_valuef("SELECT email FROM users WHERE id = %ld",
	    owner));
	t_reset_rate_limits();
	ck_assert_int_eq(t_login(email, T_MEMBER_PASSWORD, s.cookie, sizeof(s.cookie)), 303);
	t_csrf(s.cookie, s.csrf);
	snprintf(before, sizeof(before), "%s", t_sql_valuef("SELECT string_agg(coalesce(org_id, 0)"
	    "::text, ',' ORDER BY id) FROM sessions WHERE user_id = %ld", owner));

	/* The org switcher: a good org, with a field it does not have. */
	snprintf(body, sizeof(body), "org_id=%ld&zz_extra=1", b);
	post(&s, "/orgs/switch", body, &r);
	want_page("switch", &r, "Received unknown form field: zz_extra");
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT string_agg(coalesce(org_id, 0)::text, ','"
	    " ORDER BY id) FROM sessions WHERE user_id = %ld", owner), before);
	post(&s, "/orgs/switch", "org_id=1.5", &r);
	want_page("switch 1.5", &r, "No such organization.");
	t_resp_free(&r);

	/* Credit allocations: a good member and limit, plus a stray field. */
	snprintf(body, sizeof(body), "user_id=%ld&limit=5&note=hi", uid);
	post(&s, "/credits/allocations", body, &r);
	want_page("allocations", &r, "Received unknown form field: note");
	t_resp_free(&r);
	snprintf(body, sizeof(body), "user_id=%ld&limit=-5", uid);
	post(&s, "/credits/allocations", body, &r);
	want_page("allocations -5", &r, "The limit must be a whole number of credits");
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM credit_allocations WHERE org_id = %ld",
	    a), "0");

	/* Seats: every checked box is a member id, not only the last one. */
	snprintf(body, sizeof(body), "user_id=abc&user_id=%ld", uid);
	post(&s, "/seats/assign", body, &r);
	want_page("assign", &r, "A selected member is not valid.");
	t_resp_free(&r);
	snprintf(body, sizeof(body), "user_id=%ld&select_all=on", uid);
	post(&s, "/seats/revoke", body, &r);
	want_page("revoke", &r, "Received unknown form field: select_all");
	t_resp_free(&r);

	/* Billing details: a stray field stores nothing. */
	post(&s, "/billing/details", "email=ap%40forms.test&vat=1", &r);
	want_page("details", &r, "Received unknown form field: vat");
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM org_billing_details WHERE org_id = %ld"
	    " AND email = 'ap@forms.test'", a), "0");

	/* The payment-method button takes nothing but its token. */
	post(&s, "/billing/payment-method", "return=https%3A%2F%2Fevil.test", &r);
	want_page("payment method", &r, "Received unknown form field: return");
	t_resp_free(&r);
}
END_TEST

START_TEST(ident_login_form_refuses_unknown_fields)
{
	long org = t_org_new("ident-forms-login", NULL, NULL);
	long uid = t_member_new(org, "member", NULL);
	char email[160];
	struct t_resp r;

	snprintf(email, sizeof(email), "%s", t_sql_valuef("SELECT email FROM users WHERE id = %ld",
	    uid));
	t_reset_rate_limits();
	/* Right password, plus a field the form does not have: no session. */
	ck_assert_int_eq(t_login(email, T_MEMBER_PASSWORD, NULL, 0), 303);
	{
		struct t_resp g;
		char body[512], hc[256], token[128];
		const char *hdr[3], *v;

		ck_assert_int_eq(t_http(NULL, "GET", "/login", NULL, 0, NULL, &g), 0);
		v = t_set_cookie(&g, "__Host-ob_login");
		ck_assert_ptr_nonnull(v);
		snprintf(token, sizeof(token), "%s", v);
		t_resp_free(&g);
		snprintf(hc, sizeof(hc), "Cookie: __Host-ob_login=%s", token);
		hdr[0] = hc;
		hdr[1] = "Content-Type: application/x-www-form-urlencoded";
		hdr[2] = NULL;
		{
			char *e = curl_easy_escape(NULL, email, 0);

			snprintf(body, sizeof(body), "login_token=%s&email=%s&password=%s&remember=1",
			    token, e, T_MEMBER_PASSWORD);
			curl_free(e);
		}
		ck_assert_int_eq(t_http(NULL, "POST", "/login", body, strlen(body), hdr, &r), 0);
	}
	want_page("login", &r, "Received unknown form field: remember");
	ck_assert_ptr_null(t_set_cookie(&r, "__Host-ob_session"));
	/* The sign-in form again, to try once more. */
	ck_assert_ptr_nonnull(strstr(r.body.data, "name=\"password\""));
	t_resp_free(&r);
}
END_TEST

Suite *
ident_forms_suite(void)
{
	return t_suite("ident_forms", 120, T_TESTS(ident_forms_refuse_unknown_fields,
	    ident_login_form_refuses_unknown_fields));
}
