/*
 * The authorization matrix over the real stack: every route of the app's
 * table × every kind of caller, the expected answer computed from the
 * policy table itself (so a route or rule added later is covered at once,
 * and a handler that skips the gate is caught).
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

/* What the policy says persona p gets on route ro. */
static enum ob_decision
expected(const struct ob_route *ro, enum persona p)
{
	struct ob_principal who;
	int api = strncmp(ro->pattern, "/api/", 5) == 0;
	int org_in_path = strstr(ro->pattern, "{org_id}") != NULL;
	const struct ob_policy_rule *rule = ob_policy_rule(ro->action);

	memset(&who, 0, sizeof(who));
	if (rule->need == OB_NEED_NOTHING)
		return OB_ALLOW;
	if (is_key(p)) {
		if (!api)
			return OB_DENY_UNAUTHENTICATED;	/* keys are for /api/ only */
		who.kind = OB_PRINCIPAL_KEY;
		who.key_org_id = p == P_KEY_OTHER_ORG ? globex_id : acme_id;
		who.org_id = org_in_path ? acme_id : who.key_org_id;
		who.scopes = personas[p].scopes;
	} else if (p != P_ANON) {
		who.kind = OB_PRINCIPAL_USER;
		who.is_staff = p == P_STAFF;
		if (org_in_path || p <= P_OWNER) {
			who.org_id = acme_id;
			who.role = personas[p].role;
		} else if (p == P_OTHER_OWNER) {
			who.org_id = globex_id;	/* the console's current org is theirs */
			who.role = OB_ROLE_OWNER;
		}
		who.members_see_billing = 1;
	}
	return ob_policy_decide(ro->action, &who);
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
		int api = strncmp(ro->pattern, "/api/", 5) == 0;

		fill_path(ro->pattern, path, sizeof(path));
		for (p = 0; p < P__MAX; p++) {
			enum ob_decision want = expected(ro, (enum persona)p);
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

Suite *authz_suite(void)
{
	return t_suite("authz", 120, T_TESTS(authz_matrix, authz_cross_tenant_is_404));
}
