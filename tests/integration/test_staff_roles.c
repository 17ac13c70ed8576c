/*
 * Staff roles over the real stack (docs/ADMIN.md, "Roles" and "Limits"):
 * the demo has one login per role; support cannot refund, grant credits or
 * override dunning and finance can; every staff action is limited per
 * staff user and answers 429 with Retry-After past its limit. Expected
 * answers are written by hand from issue 14.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integration/harness.h"
#include "integration/inv_fixture.h"
#include "unit/unit.h"

/* POST a form as s (csrf added): the status; the answer into r (may be NULL). */
static long
staff_post(const struct t_session *s, const char *path, const char *fields, struct t_resp *r)
{
	char body[1024];

	snprintf(body, sizeof(body), "csrf=%s&%s", s->csrf, fields);
	return t_form_as(s->cookie, path, body, NULL, r);
}

/* True if the answer is the policy's 403 (not a handler's refusal). */
static int
forbidden(const struct t_resp *r)
{
	return r->status == 403 && strstr(r->body.data, "forbidden") != NULL;
}

START_TEST(staff_demo_has_one_login_per_role)
{
	ck_assert_str_eq(t_sql_value("SELECT staff_role FROM users WHERE email = 'staff@orgbill.test'"),
	    "admin");
	ck_assert_str_eq(t_sql_value("SELECT staff_role FROM users WHERE email = 'support@orgbill.test'"),
	    "support");
	ck_assert_str_eq(t_sql_value("SELECT staff_role FROM users WHERE email = 'finance@orgbill.test'"),
	    "finance");
	/* A role without the staff flag cannot be stored. */
	ck_assert_str_eq(t_sql_value("SELECT count(*) FROM users WHERE staff_role IS NOT NULL"
	    " AND NOT is_staff"), "0");
	/* `orgbill user create --staff` makes an admin (as staff were before roles). */
	{
		char out[256];

		ck_assert_int_eq(t_cli("user create --email made-staff@staff.test --staff",
		    "a-long-password-1\n", out, sizeof(out)), 0);
		ck_assert_str_eq(t_sql_value("SELECT staff_role FROM users"
		    " WHERE email = 'made-staff@staff.test'"), "admin");
	}
}
END_TEST

START_TEST(staff_support_reads_but_cannot_move_money)
{
	struct t_session sup, fin;
	struct t_resp r;
	char path[256];
	long acme = t_org_id("acme");

	t_reset_rate_limits();
	t_session_new(T_SUPPORT_EMAIL, &sup);
	t_session_new(T_FINANCE_EMAIL, &fin);
	/* Reading: every staff role. */
	ck_assert_int_eq(t_get_as(sup.cookie, NULL, "/admin", NULL), 200);
	ck_assert_int_eq(t_get_as(sup.cookie, NULL, "/admin/webhooks", NULL), 200);
	snprintf(path, sizeof(path), "/admin/orgs/%ld/credits", acme);
	ck_assert_int_eq(t_get_as(sup.cookie, NULL, path, NULL), 200);
	/* Credits: support 403, finance past the policy (the form's own 400). */
	staff_post(&sup, path, "amount=5&source=manual&reason=goodwill+credit", &r);
	ck_assert_msg(forbidden(&r), "%ld %s", r.status, r.body.data);
	t_resp_free(&r);
	staff_post(&fin, path, "amount=0&source=manual&reason=goodwill+credit", &r);
	ck_assert_msg(r.status == 400, "%ld %s", r.status, r.body.data);
	t_resp_free(&r);
	/* Refunds and the dunning override: the same. */
	staff_post(&sup, "/admin/refunds", "reason=goodwill+refund", &r);
	ck_assert_msg(forbidden(&r), "%ld %s", r.status, r.body.data);
	t_resp_free(&r);
	snprintf(path, sizeof(path), "/admin/dunning/%ld/override", acme);
	staff_post(&sup, path, "reason=customer+paid+by+wire", &r);
	ck_assert_msg(forbidden(&r), "%ld %s", r.status, r.body.data);
	t_resp_free(&r);
	/* Feature flags: only the admin staff role changes them; support and
	 * finance read the page. */
	ck_assert_int_eq(t_get_as(sup.cookie, NULL, "/admin/flags", NULL), 200);
	staff_post(&sup, "/admin/flags", "flag=ops.revenue_csv&scope=global&state=off&reason=checking+roles", &r);
	ck_assert_msg(forbidden(&r), "%ld %s", r.status, r.body.data);
	t_resp_free(&r);
	staff_post(&fin, "/admin/flags", "flag=ops.revenue_csv&scope=global&state=off&reason=checking+roles", &r);
	ck_assert_msg(forbidden(&r), "%ld %s", r.status, r.body.data);
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_value("SELECT enabled::text FROM feature_flags WHERE flag = 'ops.revenue_csv'"
	    " AND scope = 'global'"), "true");
	/* Reprocessing a webhook: support may (no such event: 404, not 403). */
	staff_post(&sup, "/admin/webhooks/evt_staffroles0/replay", "reason=checking+again", &r);
	ck_assert_msg(r.status == 404 && !forbidden(&r), "%ld %s", r.status, r.body.data);
	t_resp_free(&r);
	t_reset_rate_limits();
}
END_TEST

/* Reprocess: 10 a minute per staff user, then 429 with Retry-After. */
START_TEST(staff_reprocess_limited_per_staff_user)
{
	struct t_session sup, fin;
	struct t_resp r;
	int i;

	t_reset_rate_limits();
	t_session_new(T_SUPPORT_EMAIL, &sup);
	t_session_new(T_FINANCE_EMAIL, &fin);
	for (i = 0; i < 10; i++) {
		staff_post(&sup, "/admin/webhooks/evt_staffroles1/replay", "reason=checking+again", &r);
		ck_assert_msg(r.status == 404, "request %d: %ld", i + 1, r.status);
		t_resp_free(&r);
	}
	staff_post(&sup, "/admin/webhooks/evt_staffroles1/replay", "reason=checking+again", &r);
	ck_assert_int_eq(r.status, 429);
	ck_assert_ptr_nonnull(t_header(&r, "Retry-After"));
	ck_assert_int_ge(atoi(t_header(&r, "Retry-After")), 1);
	t_resp_free(&r);
	/* Another staff user has a limit of their own. */
	ck_assert_int_eq(staff_post(&fin, "/admin/webhooks/evt_staffroles1/replay",
	    "reason=checking+again", NULL), 404);
	t_reset_rate_limits();
}
END_TEST

/* POST a JSON refund as s (X-CSRF-Token): the status. */
static long
json_refund(const struct t_session *s, long org, const char *inv_id, const char *reason,
    struct t_resp *r)
{
	char path[128], hc[128], body[256];
	const char *extra[2] = { hc, NULL };

	snprintf(path, sizeof(path), INV_API "/refunds/%ld", org);
	snprintf(hc, sizeof(hc), "X-CSRF-Token: %s", s->csrf);
	snprintf(body, sizeof(body), "{\"invoice_id\":\"%s\",\"amount\":500,\"reason\":\"%s\"}",
	    inv_id, reason);
	return t_call(s->cookie, NULL, "POST", path, body, "application/json", extra, r);
}

/* A paid invoice: support cannot refund it (403), finance can (201), audited as staff. */
START_TEST(staff_finance_refunds_support_cannot)
{
	struct inv_org o;
	struct t_session sup, fin;
	struct t_resp r;
	cJSON *sub, *list, *inv;
	const char *inv_id;

	inv_org_new(&o, "staffrefund", "pm_card_visa");
	sub = inv_subscription_new(&o, 2000, 1);
	inv_deliver();
	list = inv_list(&o);
	inv = cJSON_GetArrayItem(cJSON_GetObjectItem(list, "data"), 0);
	ck_assert_ptr_nonnull(inv);
	inv_id = t_jstr(inv, "id");
	t_reset_rate_limits();
	t_session_new(T_SUPPORT_EMAIL, &sup);
	t_session_new(T_FINANCE_EMAIL, &fin);
	json_refund(&sup, o.id, inv_id, "goodwill", &r);
	ck_assert_msg(forbidden(&r), "%ld %s", r.status, r.body.data);
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM refunds WHERE org_id = %ld", o.id), "0");
	json_refund(&fin, o.id, inv_id, "goodwill", &r);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body.data);
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) > 0 FROM audit_log WHERE org_id = %ld"
	    " AND actor_type = 'staff' AND actor_id = '%ld' AND reason = 'goodwill'",
	    o.id, t_user_id(T_FINANCE_EMAIL)), "t");
	cJSON_Delete(list);
	cJSON_Delete(sub);
	t_reset_rate_limits();
}
END_TEST

/* An operator gives and takes away staff roles; a live session follows at once. */
START_TEST(staff_role_set_by_operator)
{
	char args[128], cookie[128], out[128];
	long org = t_org_new("staffrole", NULL, NULL), uid = t_member_new(org, "member", NULL);
	const char *email = t_sql_valuef("SELECT email FROM users WHERE id = %ld", uid);
	char mail[128];
	struct t_resp r;

	snprintf(mail, sizeof(mail), "%s", email);
	t_reset_rate_limits();
	ck_assert_int_eq(t_login(mail, T_MEMBER_PASSWORD, cookie, sizeof(cookie)), 303);
	ck_assert_int_eq(t_get_as(cookie, NULL, "/admin", NULL), 404);
	snprintf(args, sizeof(args), "user staff-role --user %ld --role support", uid);
	ck_assert_int_eq(t_cli(args, NULL, out, sizeof(out)), 0);
	ck_assert_int_eq(t_get_as(cookie, NULL, "/admin/customers", NULL), 200);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM audit_log WHERE action = 'user.staff_role'"
	    " AND target_id = '%ld' AND after->>'staff_role' = 'support'", uid), "1");
	/* Support: no credit grants. */
	{
		struct t_session s;
		char path[128];

		snprintf(s.cookie, sizeof(s.cookie), "%s", cookie);
		t_csrf(cookie, s.csrf);
		snprintf(path, sizeof(path), "/admin/orgs/%ld/credits", org);
		staff_post(&s, path, "amount=5&source=manual&reason=goodwill+credit", &r);
		ck_assert_msg(forbidden(&r), "%ld %s", r.status, r.body.data);
		t_resp_free(&r);
	}
	snprintf(args, sizeof(args), "user staff-role --user %ld --role none", uid);
	ck_assert_int_eq(t_cli(args, NULL, out, sizeof(out)), 0);
	ck_assert_int_eq(t_get_as(cookie, NULL, "/admin/customers", NULL), 404);
	ck_assert_str_eq(t_sql_valuef("SELECT is_staff::text || COALESCE(staff_role, '-') FROM users"
	    " WHERE id = %ld", uid), "false-");
	snprintf(args, sizeof(args), "user staff-role --user %ld --role owner", uid);
	ck_assert_int_ne(t_cli(args, NULL, out, sizeof(out)), 0);
	ck_assert_int_ne(t_cli("user staff-role --user 987654321 --role admin", NULL, out,
	    sizeof(out)), 0);
	t_reset_rate_limits();
}
END_TEST

Suite *
staff_roles_suite(void)
{
	return t_suite("staff_roles", 120, T_TESTS(staff_demo_has_one_login_per_role,
	    staff_support_reads_but_cannot_move_money, staff_reprocess_limited_per_staff_user,
	    staff_finance_refunds_support_cannot, staff_role_set_by_operator));
}
