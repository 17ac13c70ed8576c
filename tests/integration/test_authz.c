/*
 * The authorization matrix over the real stack: every route of the app's
 * table × every kind of caller, against an expected answer written by hand
 * from docs/SECURITY.md (never computed by the policy code under test, so a
 * wrong rule or a route naming the wrong action fails here).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/policy.h"
#include "fcgi/routes.h"
#include "integration/harness.h"
#include "unit/unit.h"

enum persona {
	P_ANON, P_MEMBER, P_BILLING, P_ADMIN, P_OWNER, P_OTHER_OWNER, P_STAFF,
	P_KEY_READ, P_KEY_WRITE, P_KEY_METER, P_KEY_ADMIN, P_KEY_OTHER_ORG, P__MAX
};

static const struct {
	const char *name, *email;
	enum ob_role role;	/* in acme (the org under test) */
	unsigned scopes;	/* keys */
} personas[P__MAX] = {
	[P_ANON] = { "anonymous", NULL, OB_ROLE_NONE, 0 },
	[P_MEMBER] = { "member", "member@acme.test", OB_ROLE_MEMBER, 0 },
	[P_BILLING] = { "billing", "billing@acme.test", OB_ROLE_BILLING, 0 },
	[P_ADMIN] = { "admin", "admin@acme.test", OB_ROLE_ADMIN, 0 },
	[P_OWNER] = { "owner", "owner@acme.test", OB_ROLE_OWNER, 0 },
	[P_OTHER_OWNER] = { "other org's owner", "owner@globex.test", OB_ROLE_NONE, 0 },
	[P_STAFF] = { "staff", "staff@orgbill.test", OB_ROLE_NONE, 0 },
	[P_KEY_READ] = { "key read", NULL, OB_ROLE_NONE, OB_SCOPE_READ },
	[P_KEY_WRITE] = { "key write", NULL, OB_ROLE_NONE, OB_SCOPE_WRITE },
	[P_KEY_METER] = { "key meter", NULL, OB_ROLE_NONE, OB_SCOPE_METER },
	[P_KEY_ADMIN] = { "key admin", NULL, OB_ROLE_NONE, OB_SCOPE_ADMIN },
	[P_KEY_OTHER_ORG] = { "key of other org", NULL, OB_ROLE_NONE,
	    OB_SCOPE_READ | OB_SCOPE_WRITE | OB_SCOPE_METER | OB_SCOPE_ADMIN },
};

static struct t_session sessions[P__MAX];
static char keys[P__MAX][128];
static long acme_id, globex_id, member_uid;

static int
is_key(enum persona p)
{
	return p >= P_KEY_READ;
}

static void
setup_personas(void)
{
	static const char *names[] = { "read", "write", "meter", "admin" };
	int p;

	acme_id = t_org_id("acme");
	globex_id = t_org_id("globex");
	member_uid = t_user_id("member@acme.test");
	t_reset_rate_limits();
	for (p = 0; p < P__MAX; p++) {
		/* The console works on the user's default org: acme for acme's
		 * people, globex for globex's owner. */
		if (personas[p].email != NULL)
			t_session_new(personas[p].email, &sessions[p]);
		if (p == P_KEY_OTHER_ORG)
			t_apikey_new(globex_id, "read,write,meter,admin", keys[p], sizeof(keys[p]));
		else if (is_key((enum persona)p))
			t_apikey_new(acme_id, names[p - P_KEY_READ], keys[p], sizeof(keys[p]));
	}
	/* Make sure every session's console org is its default org. */
	t_sql("UPDATE users SET default_org_id = (SELECT id FROM organizations WHERE slug = 'acme') WHERE email LIKE '%@acme.test'");
}

/* The path to request for a route pattern: captures filled in. */
static void
fill_path(const char *pattern, char *out, size_t len)
{
	size_t o = 0;
	const char *p = pattern;

	while (*p != '\0' && o + 32 < len) {
		if (*p == '{') {
			const char *e = strchr(p, '}');

			if (strncmp(p, "{org_id}", 8) == 0)
				o += (size_t)snprintf(out + o, len - o, "%ld", acme_id);
			else if (strncmp(p, "{user_id}", 9) == 0)
				o += (size_t)snprintf(out + o, len - o, "%ld", member_uid);
			else
				o += (size_t)snprintf(out + o, len - o, "zzzzzzzzzzzz");
			p = e + 1;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
}

/*
 * The expected matrix, written by hand from docs/SECURITY.md ("Who may do
 * what"), one row per route of the app's table, one letter per caller in
 * the order of enum persona:
 *
 *   anonymous, member, billing, admin, owner, other org's owner, staff,
 *   key read, key write, key meter, key admin, key of the other org
 *
 *   A allowed   U sign in first (401, or the sign-in page)
 *   F 403 forbidden   N 404 not found (another tenant's, or staff only)
 *
 * Console pages act on the caller's current org (the other org's owner is
 * the owner of theirs) and refuse keys; API paths with {org_id} name acme.
 * A route missing here, or a row for a route that is gone, fails the test:
 * a new route needs its row written by hand.
 */
#define API "/api/v1/org-billing"
static const struct {
	const char *method, *pattern, *row;
} matrix[] = {
	{ "GET", "/healthz", "AAAAAAAAAAAA" },
	{ "GET", "/readyz", "AAAAAAAAAAAA" },
	{ "GET", "/", "AAAAAAAAAAAA" },
	{ "GET", API "/dashboard/{org_id}", "UAAAANNAFFAN" },
	{ "GET", "/login", "AAAAAAAAAAAA" },
	{ "POST", "/login", "AAAAAAAAAAAA" },
	{ "POST", "/logout", "UAAAAAAUUUUU" },
	{ "POST", "/orgs/switch", "UAAAAAAUUUUU" },
	{ "GET", "/members", "UAAAAANUUUUU" },
	{ "POST", "/members/invite", "UFFAAANUUUUU" },
	{ "POST", "/members/{user_id}/role", "UFFAAANUUUUU" },
	{ "POST", "/members/visibility", "UFFAAANUUUUU" },
	{ "POST", "/members/{user_id}/remove", "UFFAAANUUUUU" },
	{ "GET", "/api-keys", "UFFAAANUUUUU" },
	{ "POST", "/api-keys", "UFFAAANUUUUU" },
	{ "POST", "/api-keys/{prefix}/revoke", "UFFAAANUUUUU" },
	{ "POST", "/members/invitations/{invitation_id}/resend", "UFFAAANUUUUU" },
	{ "POST", "/members/invitations/{invitation_id}/revoke", "UFFAAANUUUUU" },
	{ "GET", "/invite/{token}", "AAAAAAAAAAAA" },
	{ "GET", "/invite", "AAAAAAAAAAAA" },
	{ "POST", "/invite/{token}", "AAAAAAAAAAAA" },
	{ "POST", "/invite", "AAAAAAAAAAAA" },
	{ "GET", "/sso", "AAAAAAAAAAAA" },
	{ "POST", "/sso", "AAAAAAAAAAAA" },
	{ "GET", "/sso/callback", "AAAAAAAAAAAA" },
	{ "GET", "/sso/link", "UAAAAAAUUUUU" },
	{ "POST", "/sso/link", "UAAAAAAUUUUU" },
	{ "GET", "/activity", "UFAAAANUUUUU" },
	{ "GET", "/admin", "UNNNNNAUUUUU" },
	{ "GET", API "/{org_id}/members", "UAAAANNAFFAN" },
	{ "POST", API "/{org_id}/members", "UFFAANNFFFAN" },
	{ "POST", API "/{org_id}/members/{user_id}/role", "UFFAANNFFFAN" },
	{ "GET", API "/{org_id}/members/invitations", "UFFAANNFFFAN" },
	{ "POST", API "/{org_id}/members/invitations/{invitation_id}/resend", "UFFAANNFFFAN" },
	{ "POST", API "/{org_id}/members/invitations/{invitation_id}/revoke", "UFFAANNFFFAN" },
	{ "GET", API "/{org_id}/sso", "UFFFANNFFFFN" },
	{ "PUT", API "/{org_id}/sso", "UFFFANNFFFFN" },
	{ "DELETE", API "/{org_id}/sso", "UFFFANNFFFFN" },
	{ "GET", API "/{org_id}/history", "UFAAANNAFFAN" },
	{ "GET", "/admin/webhooks", "UNNNNNAUUUUU" },
	{ "GET", "/admin/webhooks/{event_id}", "UNNNNNAUUUUU" },
	{ "POST", "/admin/webhooks/{event_id}/replay", "UNNNNNAUUUUU" },
	{ "GET", "/admin/orgs/{org_id}/credits", "UNNNNNAUUUUU" },
	{ "POST", "/admin/orgs/{org_id}/credits", "UNNNNNAUUUUU" },
	{ "POST", "/admin/orgs/{org_id}/credits/reverse", "UNNNNNAUUUUU" },
	{ "GET", "/admin/revenue", "UNNNNNAUUUUU" },
	{ "GET", "/admin/revenue.csv", "UNNNNNAUUUUU" },
	{ "GET", "/admin/api/revenue", "UNNNNNANNNNN" },
	{ "GET", "/admin/health", "UNNNNNAUUUUU" },
	{ "GET", "/admin/api/health", "UNNNNNANNNNN" },
	{ "GET", "/admin/flags", "UNNNNNAUUUUU" },
	{ "POST", "/admin/flags", "UNNNNNAUUUUU" },
	{ "GET", "/admin/api/flags", "UNNNNNANNNNN" },
	{ "POST", API "/admin/credits/{org_id}/grants", "UNNNNNANNNNN" },
	{ "POST", API "/admin/credits/{org_id}/deductions/{key}/reverse", "UNNNNNANNNNN" },
	{ "GET", "/admin/customers", "UNNNNNAUUUUU" },
	{ "GET", "/admin/customers.csv", "UNNNNNAUUUUU" },
	{ "GET", "/admin/api/customers", "UNNNNNANNNNN" },
	{ "GET", "/admin/customers/{org_id}", "UNNNNNAUUUUU" },
	{ "GET", "/admin/api/customers/{org_id}", "UNNNNNANNNNN" },
	{ "POST", "/admin/customers/{org_id}/seats", "UNNNNNAUUUUU" },
	{ "POST", "/admin/customers/{org_id}/cancel", "UNNNNNAUUUUU" },
	{ "POST", "/admin/customers/{org_id}/reactivate", "UNNNNNAUUUUU" },
	{ "POST", "/admin/customers/{org_id}/suspend", "UNNNNNAUUUUU" },
	{ "POST", "/admin/customers/{org_id}/activate", "UNNNNNAUUUUU" },
	{ "POST", "/admin/customers/{org_id}/sync", "UNNNNNAUUUUU" },
	{ "POST", "/admin/customers/{org_id}/portal", "UNNNNNAUUUUU" },
	{ "POST", "/admin/api/customers/{org_id}/seats", "UNNNNNANNNNN" },
	{ "POST", "/admin/api/customers/{org_id}/cancel", "UNNNNNANNNNN" },
	{ "POST", "/admin/api/customers/{org_id}/reactivate", "UNNNNNANNNNN" },
	{ "POST", "/admin/api/customers/{org_id}/suspend", "UNNNNNANNNNN" },
	{ "POST", "/admin/api/customers/{org_id}/activate", "UNNNNNANNNNN" },
	{ "POST", "/admin/api/customers/{org_id}/sync", "UNNNNNANNNNN" },
	{ "POST", "/admin/api/customers/{org_id}/portal", "UNNNNNANNNNN" },
	{ "GET", "/credits", "UAAAAANUUUUU" },
	{ "POST", "/credits/settings", "UFAAAANUUUUU" },
	{ "POST", "/credits/allocations", "UFAAAANUUUUU" },
	{ "GET", API "/credits/{org_id}", "UFAAANNAFFAN" },
	{ "POST", API "/credits/{org_id}/add", "UFFFFNNFFFFN" },
	{ "POST", API "/credits/{org_id}/allocate", "UFAAANNFFFAN" },
	{ "GET", API "/credits/{org_id}/allocations", "UFAAANNAFFAN" },
	{ "GET", API "/credits/{org_id}/usage", "UFAAANNAFFAN" },
	{ "GET", API "/analytics/{org_id}/usage", "UFAAANNAFFAN" },
	{ "GET", API "/analytics/{org_id}/usage.csv", "UFAAANNAFFAN" },
	{ "GET", API "/analytics/{org_id}/forecast", "UFAAANNAFFAN" },
	{ "GET", "/usage", "UFAAAANUUUUU" },
	{ "POST", API "/credits/{org_id}/check", "UFFFFNNFFAFN" },
	{ "POST", API "/credits/{org_id}/deduct", "UFFFFNNFFAFN" },
	{ "POST", API "/credits/{org_id}/deductions/{key}/reverse", "UFFFFNNFFAFN" },
	{ "PATCH", API "/credits/{org_id}/settings", "UFAAANNFFFAN" },
	{ "GET", API "/billing/user", "UAAAAAAUUUUU" },
	{ "GET", API "/billing/org/{org_id}", "UFAAANNAFFAN" },
	{ "GET", "/api/v1/org/{org_id}/billing-overview/", "UAAAANNAFFAN" },
	{ "GET", API "/billing/system", "UNNNNNANNNNN" },
	{ "GET", "/subscription", "UFAAAANUUUUU" },
	{ "POST", "/subscription/create", "UFAAAANUUUUU" },
	{ "POST", "/subscription/summary", "UFAAAANUUUUU" },
	{ "POST", "/subscription/checkout", "UFAAAANUUUUU" },
	{ "GET", "/subscription/checkout", "UFAAAANUUUUU" },
	{ "GET", "/subscription/checkout/return", "UFAAAANUUUUU" },
	{ "POST", "/subscription/change", "UFAAAANUUUUU" },
	{ "POST", "/subscription/preview", "UFAAAANUUUUU" },
	{ "POST", "/subscription/cancel", "UFAAAANUUUUU" },
	{ "POST", "/subscription/reactivate", "UFAAAANUUUUU" },
	{ "POST", "/subscription/scheduled-change/cancel", "UFAAAANUUUUU" },
	{ "POST", "/billing/portal", "UFAAAANUUUUU" },
	{ "GET", "/seats", "UFAAAANUUUUU" },
	{ "POST", "/seats/assign", "UFAAAANUUUUU" },
	{ "POST", "/seats/revoke", "UFAAAANUUUUU" },
	{ "POST", "/seats/csv", "UFAAAANUUUUU" },
	{ "POST", "/seats/settings", "UFAAAANUUUUU" },
	{ "GET", API "/plans", "AAAAAAAAAAAA" },
	{ "POST", API "/subscriptions", "UFAAAANFFFAA" },
	{ "POST", API "/subscriptions/{org_id}", "UFAAANNFFFAN" },
	{ "GET", API "/subscriptions/{org_id}", "UFAAANNAFFAN" },
	{ "PATCH", API "/subscriptions/{org_id}", "UFAAANNFFFAN" },
	{ "PUT", API "/subscriptions/{org_id}/upgrade", "UFAAANNFFFAN" },
	{ "POST", API "/subscriptions/{org_id}/preview", "UFAAANNAFFAN" },
	{ "POST", API "/subscriptions/{org_id}/cancel", "UFAAANNFFFAN" },
	{ "POST", API "/subscriptions/{org_id}/reactivate", "UFAAANNFFFAN" },
	{ "POST", API "/subscriptions/{org_id}/scheduled-change/cancel", "UFAAANNFFFAN" },
	{ "POST", API "/billing/portal", "UFAAAANFFFFF" },
	{ "POST", API "/usage/{org_id}", "UFFFFNNFFAFN" },
	{ "POST", API "/limits/{org_id}/check", "UFFFFNNFFAFN" },
	{ "GET", API "/limits/{org_id}", "UAAAANNAFFAN" },
	{ "GET", API "/seats/{org_id}", "UFAAANNAFFAN" },
	{ "POST", API "/seats/{org_id}/assign", "UFAAANNFAFAN" },
	{ "POST", API "/seats/{org_id}/revoke", "UFAAANNFAFAN" },
	{ "POST", API "/seats/{org_id}/csv", "UFAAANNFAFAN" },
	{ "PATCH", API "/seats/{org_id}/settings", "UFAAANNFAFAN" },
	{ "GET", "/invoices", "UFAAAANUUUUU" },
	{ "GET", "/billing/invoices", "UFAAAANUUUUU" },
	{ "GET", "/billing/invoices/{invoice_id}", "UFAAAANUUUUU" },
	{ "GET", "/billing/invoices/{invoice_id}/pdf", "UFAAAANUUUUU" },
	{ "GET", "/billing/export/invoices.csv", "UFAAAANUUUUU" },
	{ "GET", "/billing/details", "UFAAAANUUUUU" },
	{ "POST", "/billing/details", "UFAAAANUUUUU" },
	{ "POST", "/billing/payment-method", "UFAAAANUUUUU" },
	{ "POST", "/billing/credits/purchase", "UFAAAANUUUUU" },
	{ "GET", "/admin/refunds", "UNNNNNAUUUUU" },
	{ "POST", "/admin/refunds", "UNNNNNAUUUUU" },
	{ "POST", "/admin/dunning/{org_id}/override", "UNNNNNAUUUUU" },
	{ "GET", API "/invoices/{org_id}/export.csv", "UFAAANNAFFAN" },
	{ "GET", API "/invoices/{org_id}", "UFAAANNAFFAN" },
	{ "GET", API "/invoices/{org_id}/{invoice_id}", "UFAAANNAFFAN" },
	{ "GET", API "/invoices/{org_id}/{invoice_id}/pdf", "UFAAANNAFFAN" },
	{ "GET", API "/billing-details/{org_id}", "UFAAANNAFFAN" },
	{ "POST", API "/billing-details/{org_id}", "UFAAANNFAFAN" },
	{ "GET", API "/payment-method/{org_id}", "UFAAANNAFFAN" },
	{ "POST", API "/payment-method/{org_id}/portal", "UFAAANNFFFFN" },
	{ "GET", API "/credit-purchases/{org_id}", "UFAAANNAFFAN" },
	{ "POST", API "/credit-purchases/{org_id}", "UFAAANNFFFFN" },
	{ "GET", API "/refunds/{org_id}", "UFAAANNAFFAN" },
	{ "POST", API "/refunds/{org_id}", "UNNNNNANNNNN" },
	{ "GET", API "/dunning/{org_id}", "UFAAANNAFFAN" },
	{ "POST", API "/dunning/{org_id}/override", "UNNNNNANNNNN" },
	{ "GET", API "/budgets/{org_id}", "UAAAANNAFFAN" },
	{ "POST", API "/budgets/{org_id}", "UFAAANNFFFAN" },
	{ "GET", API "/budgets/{org_id}/teams", "UAAAANNAFFAN" },
	{ "POST", API "/budgets/{org_id}/teams", "UFAAANNFFFAN" },
	{ "PUT", API "/budgets/{org_id}/members/{user_id}/team", "UFAAANNFFFAN" },
	{ "PATCH", API "/budgets/{org_id}/{budget_id}", "UFAAANNFFFAN" },
	{ "PUT", API "/budgets/{org_id}/members/{user_id}/manager", "UFAAANNFFFAN" },
	{ "PUT", API "/approvals/{org_id}/settings", "UFAAANNFFFAN" },
	{ "GET", API "/approvals/{org_id}", "UAAAANNFFFFN" },
	{ "POST", API "/approvals/{org_id}", "UAAAANNFFFFN" },
	{ "POST", API "/approvals/{org_id}/{request_id}/approve", "UAAAANNFFFFN" },
	{ "POST", API "/approvals/{org_id}/{request_id}/reject", "UAAAANNFFFFN" },
	{ "POST", API "/approvals/{org_id}/{request_id}/cancel", "UAAAANNFFFFN" },
	{ "GET", "/budgets", "UAAAAANUUUUU" },
	{ "POST", "/budgets/new", "UFAAAANUUUUU" },
	{ "POST", "/budgets/requests", "UAAAAANUUUUU" },
	{ "POST", "/budgets/requests/{request_id}/decide", "UAAAAANUUUUU" },
	{ "POST", "/budgets/{budget_id}/edit", "UFAAAANUUUUU" },
};

/* The hand-written row of a route, or NULL when it has none. */
static const char *
matrix_row(const struct ob_route *ro)
{
	size_t i;

	for (i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++)
		if (strcmp(matrix[i].method, ro->method) == 0 &&
		    strcmp(matrix[i].pattern, ro->pattern) == 0)
			return matrix[i].row;
	return NULL;
}

/* What the matrix says persona p gets on route ro. */
static enum ob_decision
expected(const char *row, enum persona p)
{
	switch (row[p]) {
	case 'A': return OB_ALLOW;
	case 'U': return OB_DENY_UNAUTHENTICATED;
	case 'F': return OB_DENY_FORBIDDEN;
	default: return OB_DENY_NOT_FOUND;
	}
}

static int
has_code(const struct t_resp *r, const char *code)
{
	char a[64], b[64];

	snprintf(a, sizeof(a), "\"code\":\"%s\"", code);
	snprintf(b, sizeof(b), "<code>%s</code>", code);
	return strstr(r->body.data, a) != NULL || strstr(r->body.data, b) != NULL;
}

START_TEST(authz_matrix)
{
	const struct ob_router *rt = &ob_app_router;
	char path[512], csrf[64], why[1024];
	const char *hdr[2];
	struct t_resp r;
	size_t i;
	int p, failures = 0, checked = 0;

	setup_personas();
	for (i = 0; i < rt->nroutes; i++) {
		const struct ob_route *ro = &rt->routes[i];
		int unsafe = strcmp(ro->method, "GET") != 0;
		int api = strncmp(ro->pattern, "/api/", 5) == 0 ||
		    strncmp(ro->pattern, "/admin/api/", 11) == 0;

		const char *row = matrix_row(ro);

		if (row == NULL || strlen(row) != P__MAX) {
			fprintf(stderr, "authz matrix: %s %s has no hand-written row of %d letters\n",
			    ro->method, ro->pattern, (int)P__MAX);
			failures++;
			continue;
		}
		fill_path(ro->pattern, path, sizeof(path));
		for (p = 0; p < P__MAX; p++) {
			enum ob_decision want = expected(row, (enum persona)p);
			const char *cookie = sessions[p].cookie[0] ? sessions[p].cookie : NULL;
			const char *bearer = keys[p][0] ? keys[p] : NULL;
			const char *body = NULL, *ctype = NULL;
			int ok;

			hdr[0] = hdr[1] = NULL;
			if (unsafe) {
				/* Writes never take effect here: sessions send a wrong
				 * CSRF token (allowed → 403 csrf_failed, after the policy),
				 * keys send an empty JSON object (allowed → 400). */
				if (api) {
					body = "{}";
					ctype = "application/json";
				} else {
					body = "csrf=wrong";
					ctype = "application/x-www-form-urlencoded";
				}
				(void)csrf;
			}
			(void)t_call(cookie, bearer, ro->method, path, body, ctype, hdr, &r);
			switch (want) {
			case OB_ALLOW:
				ok = r.status != 401 && r.status != 405 && r.status < 500 &&
				    !has_code(&r, "forbidden") && !has_code(&r, "not_found") &&
				    !has_code(&r, "unauthenticated") &&
				    !(r.status == 303 && t_header(&r, "Location") &&
				      strncmp(t_header(&r, "Location"), "/login?next=", 12) == 0);
				break;
			case OB_DENY_UNAUTHENTICATED:
				/* A key on a console page is refused outright (401);
				 * a person is sent to sign in. */
				ok = (!api && !unsafe && !is_key((enum persona)p)) ?
				    (r.status == 303 && strncmp(t_header(&r, "Location"), "/login?next=", 12) == 0) :
				    r.status == 401;
				break;
			case OB_DENY_FORBIDDEN:
				ok = r.status == 403 && has_code(&r, "forbidden");
				break;
			case OB_DENY_NOT_FOUND:
			default:
				ok = r.status == 404 && has_code(&r, "not_found");
				break;
			}
			checked++;
			if (!ok) {
				failures++;
				snprintf(why, sizeof(why), "%s %s as %s: want decision %d, got %ld %.120s",
				    ro->method, path, personas[p].name, (int)want, r.status, r.body.data);
				fprintf(stderr, "authz matrix: %s\n", why);
			}
			t_resp_free(&r);
		}
	}
	ck_assert_msg(failures == 0, "%d of %d route × caller checks failed (see stderr)",
	    failures, checked);
	ck_assert_int_ge(checked, (int)rt->nroutes * P__MAX);
	/* No row for a route that is gone. */
	ck_assert_uint_eq(sizeof(matrix) / sizeof(matrix[0]), rt->nroutes);
}
END_TEST

/* A user of one org asking about another org gets 404, never 403. */
START_TEST(authz_cross_tenant_is_404)
{
	struct t_session admin;
	char path[128];

	t_reset_rate_limits();
	t_session_new("admin@acme.test", &admin);
	snprintf(path, sizeof(path), "/api/v1/org-billing/%ld/members", t_org_id("globex"));
	ck_assert_int_eq(t_get_as(admin.cookie, NULL, path, NULL), 404);
	/* An id that does not exist answers the same. */
	ck_assert_int_eq(t_get_as(admin.cookie, NULL, "/api/v1/org-billing/987654/members", NULL), 404);
	ck_assert_int_eq(t_get_as(admin.cookie, NULL, "/api/v1/org-billing/abc/members", NULL), 404);
}
END_TEST

/*
 * docs/SECURITY.md: the org summary is for members too, unless the org
 * hides billing from members; then a member gets 403 and the others keep it.
 */
START_TEST(authz_member_summary_follows_visibility)
{
	struct t_session member, billing;
	char paths[3][128];
	const char *path;
	size_t i;

	snprintf(paths[0], sizeof(paths[0]), "/credits");
	snprintf(paths[1], sizeof(paths[1]), "/api/v1/org/%ld/billing-overview/", t_org_id("acme"));
	snprintf(paths[2], sizeof(paths[2]), API "/limits/%ld", t_org_id("acme"));

	t_reset_rate_limits();
	t_session_new("member@acme.test", &member);
	t_session_new("billing@acme.test", &billing);
	t_sql("UPDATE organizations SET members_see_billing = false WHERE slug = 'acme'");
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		path = paths[i];
		ck_assert_int_eq(t_get_as(member.cookie, NULL, path, NULL), 403);
		ck_assert_int_eq(t_get_as(billing.cookie, NULL, path, NULL), 200);
	}
	t_sql("UPDATE organizations SET members_see_billing = true WHERE slug = 'acme'");
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		path = paths[i];
		ck_assert_int_eq(t_get_as(member.cookie, NULL, path, NULL), 200);
	}
}
END_TEST

Suite *authz_suite(void)
{
	return t_suite("authz", 120, T_TESTS(authz_matrix, authz_cross_tenant_is_404,
	    authz_member_summary_follows_visibility));
}
