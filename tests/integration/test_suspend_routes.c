/*
 * A suspended org is read-only (docs/SECURITY.md, "Suspended
 * organizations"): over every route of the app's table, its owner (a
 * console session) and an API key with every scope get 403 org_suspended
 * on each tenant write, except the routes listed by hand below; the same
 * requests on an org in good standing never answer org_suspended;
 * metering keeps its 402; staff still act on the suspended org.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "identity/policy.h"
#include "fcgi/routes.h"
#include "integration/harness.h"

#define API "/api/v1/org-billing"

/*
 * The tenant writes a suspended org may still make (method, pattern),
 * written out from the requirement, not from the gate's code: reads that
 * travel as POST (previews, checks), metering (its own 402), recovering
 * (the billing portal, the payment method) and revoking a key.
 */
static const char *const still_open[][2] = {
	{ "POST", "/subscription/preview" },
	{ "POST", API "/subscriptions/{org_id}/preview" },
	{ "POST", "/billing/portal" },
	{ "POST", API "/billing/portal" },
	{ "POST", "/billing/payment-method" },
	{ "POST", API "/payment-method/{org_id}/portal" },
	{ "POST", "/api-keys/{prefix}/revoke" },
	{ "POST", API "/usage/{org_id}" },
	{ "POST", API "/limits/{org_id}/check" },
	{ "POST", API "/credits/{org_id}/check" },
	{ "POST", API "/credits/{org_id}/deduct" },
};

/* One tenant: an org, its owner signed in, an API key with every scope. */
struct tenant {
	long org, owner;
	char cookie[128], csrf[64], key[128];
};

static void
tenant_new(const char *tag, struct tenant *t)
{
	char q[256], email[256];

	memset(t, 0, sizeof(*t));
	t->org = t_org_new(tag, NULL, NULL);
	t->owner = t_member_new(t->org, "owner", NULL);
	snprintf(q, sizeof(q), "SELECT email FROM users WHERE id = %ld", t->owner);
	snprintf(email, sizeof(email), "%s", t_sql_value(q));
	t_reset_rate_limits();
	ck_assert_int_eq(t_login(email, T_MEMBER_PASSWORD, t->cookie, sizeof(t->cookie)), 303);
	t_csrf(t->cookie, t->csrf);
	t_apikey_new(t->org, "read,write,meter,admin", t->key, sizeof(t->key));
}

static int
listed_open(const struct ob_route *ro)
{
	size_t i;

	for (i = 0; i < sizeof(still_open) / sizeof(still_open[0]); i++)
		if (strcmp(ro->method, still_open[i][0]) == 0 &&
		    strcmp(ro->pattern, still_open[i][1]) == 0)
			return 1;
	return 0;
}

static void
fill_path(const char *pattern, const struct tenant *t, char *out, size_t len)
{
	size_t o = 0;
	const char *p = pattern;

	while (*p != '\0' && o + 32 < len) {
		if (*p == '{') {
			if (strncmp(p, "{org_id}", 8) == 0)
				o += (size_t)snprintf(out + o, len - o, "%ld", t->org);
			else if (strncmp(p, "{user_id}", 9) == 0)
				o += (size_t)snprintf(out + o, len - o, "%ld", t->owner);
			else
				o += (size_t)snprintf(out + o, len - o, "zzzzzzzzzzzz");
			p = strchr(p, '}') + 1;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
}

static int
has_code(const struct t_resp *r, const char *code)
{
	char a[64], b[64];

	snprintf(a, sizeof(a), "\"code\":\"%s\"", code);
	snprintf(b, sizeof(b), "<code>%s</code>", code);
	return r->body.data != NULL &&
	    (strstr(r->body.data, a) != NULL || strstr(r->body.data, b) != NULL);
}

/* Does the policy let this caller (owner session or all-scope key) act here? */
static int
policy_allows(const struct ob_route *ro, const struct tenant *t, int as_key)
{
	struct ob_principal who;

	memset(&who, 0, sizeof(who));
	who.org_id = t->org;
	if (as_key) {
		who.kind = OB_PRINCIPAL_KEY;
		who.key_org_id = t->org;
		who.scopes = OB_SCOPE_READ | OB_SCOPE_WRITE | OB_SCOPE_METER | OB_SCOPE_ADMIN;
	} else {
		who.kind = OB_PRINCIPAL_USER;
		who.role = OB_ROLE_OWNER;
		who.members_see_billing = 1;
	}
	return ob_policy_decide(ro->action, &who) == OB_ALLOW;
}

/* Send route ro as the tenant's owner (as_key 0) or key; the answer into r. */
static void
send_as(const struct ob_route *ro, const struct tenant *t, int as_key, struct t_resp *r)
{
	char path[512], body[128], hcsrf[128];
	const char *extra[2] = { NULL, NULL };
	int api = strncmp(ro->pattern, "/api/", 5) == 0;

	fill_path(ro->pattern, t, path, sizeof(path));
	if (api) {
		snprintf(body, sizeof(body), "{}");
		if (!as_key) {
			snprintf(hcsrf, sizeof(hcsrf), "X-CSRF-Token: %s", t->csrf);
			extra[0] = hcsrf;
		}
	} else {
		snprintf(body, sizeof(body), "csrf=%s", t->csrf);
	}
	t_reset_rate_limits();	/* the subscription class allows 5 an hour */
	ck_assert_int_eq(t_http_as(as_key ? NULL : t->cookie, as_key ? t->key : NULL, ro->method,
	    path, body, api ? "application/json" : "application/x-www-form-urlencoded", extra, r), 0);
}

/*
 * Every non-GET route of the table, as both callers of tenant t. With
 * suspended set, a route the policy allows and the list above does not
 * name must answer 403 org_suspended; otherwise no route may. The number
 * of routes that answered org_suspended.
 */
static int
sweep(const struct tenant *t, int suspended)
{
	const struct ob_router *rt = &ob_app_router;
	struct t_resp r;
	size_t i;
	int as_key, failures = 0, refused = 0;

	for (i = 0; i < rt->nroutes; i++) {
		const struct ob_route *ro = &rt->routes[i];
		int api = strncmp(ro->pattern, "/api/", 5) == 0;

		if (strcmp(ro->method, "GET") == 0 || strcmp(ro->pattern, "/logout") == 0)
			continue;	/* reads; signing out would end the session */
		for (as_key = 0; as_key < 2; as_key++) {
			int want, got;

			if (as_key && !api)
				continue;	/* keys never reach the console */
			/* A tenant write: about one org, and this caller may make it. */
			want = suspended && ob_policy_rule(ro->action)->need == OB_NEED_ORG &&
			    policy_allows(ro, t, as_key) && !listed_open(ro);
			send_as(ro, t, as_key, &r);
			got = r.status == 403 && has_code(&r, "org_suspended");
			if (got)
				refused++;
			if (want != got || (!want && has_code(&r, "org_suspended"))) {
				failures++;
				fprintf(stderr, "suspended=%d %s %s as %s: want%s org_suspended, got %ld %.160s\n",
				    suspended, ro->method, ro->pattern, as_key ? "key" : "owner",
				    want ? "" : " no", r.status, r.body.data ? r.body.data : "");
			}
			t_resp_free(&r);
		}
	}
	ck_assert_msg(failures == 0, "%d route checks failed (see stderr)", failures);
	return refused;
}

static void
suspend_by_dunning(long org)
{
	char q[512];

	snprintf(q, sizeof(q), "UPDATE organizations SET billing_state = 'suspended',"
	    " status = 'suspended', suspended_reason = 'billing: unpaid invoice' WHERE id = %ld", org);
	t_sql(q);
	snprintf(q, sizeof(q), "INSERT INTO org_dunning (org_id, state, suspended_at)"
	    " VALUES (%ld, 'suspended', now())", org);
	t_sql(q);
}

START_TEST(suspended_org_is_read_only_over_the_route_table)
{
	struct tenant sus, live;
	int n;

	tenant_new("susp-ro", &sus);
	tenant_new("susp-live", &live);
	suspend_by_dunning(sus.org);
	n = sweep(&sus, 1);
	/* Hand-counted floor: the org's console forms and API writes. */
	ck_assert_int_ge(n, 40);
	ck_assert_int_eq(sweep(&live, 0), 0);
}
END_TEST

/* Reads still work for the suspended org's owner and key. */
START_TEST(suspended_org_still_reads)
{
	struct tenant t;
	struct t_resp r;
	char path[128];

	tenant_new("susp-read", &t);
	suspend_by_dunning(t.org);
	ck_assert_int_eq(t_http_as(t.cookie, NULL, "GET", "/invoices", NULL, NULL, NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "read-only-note"));
	t_resp_free(&r);
	snprintf(path, sizeof(path), API "/credits/%ld", t.org);
	ck_assert_int_eq(t_http_as(NULL, t.key, "GET", path, NULL, NULL, NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	/* The members page hides the management forms. */
	ck_assert_int_eq(t_http_as(t.cookie, NULL, "GET", "/members", NULL, NULL, NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_null(strstr(r.body.data, "action=\"/members/invite\""));
	t_resp_free(&r);
}
END_TEST

/* Metering keeps its own answer: 402 billing_restricted, never org_suspended. */
START_TEST(suspended_org_deduct_is_402)
{
	struct tenant t;
	struct t_resp r;
	char q[512], path[128], body[256], idem[96];
	const char *extra[2] = { idem, NULL };

	tenant_new("susp-meter", &t);
	snprintf(q, sizeof(q), "SELECT * FROM add_credits_to_pool(%ld, NULL, 1000, 'manual',"
	    " NULL, NULL, 'test', 'test', NULL)", t.org);
	t_sql(q);
	suspend_by_dunning(t.org);
	snprintf(path, sizeof(path), API "/credits/%ld/deduct", t.org);
	snprintf(body, sizeof(body), "{\"user_id\":\"%ld\",\"amount\":5,\"service\":\"chat\"}", t.owner);
	snprintf(idem, sizeof(idem), "Idempotency-Key: susp-%d-%ld", (int)getpid(), (long)time(NULL));
	ck_assert_int_eq(t_http_as(NULL, t.key, "POST", path, body, "application/json", extra, &r), 0);
	ck_assert_int_eq(r.status, 402);
	ck_assert_ptr_nonnull(strstr(r.body.data, "billing_restricted"));
	t_resp_free(&r);
	snprintf(q, sizeof(q), "SELECT count(*) FROM credit_usage WHERE org_id = %ld", t.org);
	ck_assert_str_eq(t_sql_value(q), "0");
}
END_TEST

/* Staff act on the suspended org; once lifted, the owner's writes pass the gate. */
START_TEST(staff_act_on_suspended_org)
{
	struct tenant t;
	struct t_session staff;
	struct t_resp r;
	char path[128], body[256], q[256];

	tenant_new("susp-staff", &t);
	suspend_by_dunning(t.org);
	t_reset_rate_limits();
	t_session_new("staff@orgbill.test", &staff);
	snprintf(path, sizeof(path), "/admin/dunning/%ld/override", t.org);
	snprintf(body, sizeof(body), "csrf=%s&reason=customer+paid+by+wire", staff.csrf);
	ck_assert_int_eq(t_http_as(staff.cookie, NULL, "POST", path, body,
	    "application/x-www-form-urlencoded", NULL, &r), 0);
	ck_assert_int_eq(r.status, 303);
	t_resp_free(&r);
	snprintf(q, sizeof(q), "SELECT billing_state FROM organizations WHERE id = %ld", t.org);
	ck_assert_str_eq(t_sql_value(q), "active");
	/* Staff-suspended orgs (status) are read-only too, until staff lift it. */
	snprintf(q, sizeof(q), "UPDATE organizations SET status = 'suspended',"
	    " suspended_reason = 'staff: abuse review' WHERE id = %ld", t.org);
	t_sql(q);
	snprintf(body, sizeof(body), "csrf=%s&members_see_billing=on", t.csrf);
	ck_assert_int_eq(t_http_as(t.cookie, NULL, "POST", "/members/visibility", body,
	    "application/x-www-form-urlencoded", NULL, &r), 0);
	ck_assert_int_eq(r.status, 403);
	ck_assert_ptr_nonnull(strstr(r.body.data, "org_suspended"));
	t_resp_free(&r);
	snprintf(q, sizeof(q), "UPDATE organizations SET status = 'active',"
	    " suspended_reason = NULL WHERE id = %ld", t.org);
	t_sql(q);
	ck_assert_int_eq(t_http_as(t.cookie, NULL, "POST", "/members/visibility", body,
	    "application/x-www-form-urlencoded", NULL, &r), 0);
	ck_assert_int_eq(r.status, 303);
	t_resp_free(&r);
}
END_TEST

Suite *suspend_routes_suite(void)
{
	Suite *s = suite_create("suspend_routes");
	TCase *tc = tcase_create("suspend_routes");

	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, suspended_org_is_read_only_over_the_route_table);
	tcase_add_test(tc, suspended_org_still_reads);
	tcase_add_test(tc, suspended_org_deduct_is_402);
	tcase_add_test(tc, staff_act_on_suspended_org);
	suite_add_tcase(s, tc);
	return s;
}
