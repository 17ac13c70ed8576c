/*
 * Unit tests for the identity pieces that need no database: the policy
 * table's decisions, tokens, CSRF, passwords, scopes, form parsing.
 */
#include <check.h>
#include <string.h>

#include <sodium.h>

#include "base/arena.h"
#include "identity/auth.h"
#include "fcgi/input.h"
#include "identity/policy.h"
#include "unit/unit.h"

static struct ob_principal
user(enum ob_role role, int64_t org)
{
	struct ob_principal p;

	memset(&p, 0, sizeof(p));
	p.kind = OB_PRINCIPAL_USER;
	p.user_id = 7;
	p.org_id = org;
	p.role = role;
	p.members_see_billing = 1;
	return p;
}

static struct ob_principal
key(unsigned scopes, int64_t key_org, int64_t org)
{
	struct ob_principal p;

	memset(&p, 0, sizeof(p));
	p.kind = OB_PRINCIPAL_KEY;
	p.key_org_id = key_org;
	p.org_id = org;
	p.scopes = scopes;
	return p;
}

START_TEST(policy_every_action_has_a_rule)
{
	int a;

	for (a = OB_ACT_NONE + 1; a < OB_ACT__MAX; a++) {
		const struct ob_policy_rule *r = ob_policy_rule((enum ob_action)a);

		ck_assert_ptr_nonnull(r->name);
		ck_assert_str_ne(ob_action_name((enum ob_action)a), "unknown");
		if (r->need == OB_NEED_ORG)
			ck_assert_msg(r->roles != 0 || r->scopes != 0, "%s admits nobody", r->name);
	}
	/* An unknown action fails closed. */
	{
		struct ob_principal p = user(OB_ROLE_OWNER, 1);

		ck_assert_int_eq(ob_policy_decide(OB_ACT_NONE, &p), OB_DENY_FORBIDDEN);
		ck_assert_int_eq(ob_policy_decide((enum ob_action)999, &p), OB_DENY_FORBIDDEN);
	}
}
END_TEST

/* One decision of the policy table: action for who, and what it must be. */
struct decision {
	enum ob_action act;
	const struct ob_principal *who;
	enum ob_decision want;
};

static void
decide_all(const struct decision *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		ck_assert_msg(ob_policy_decide(d[i].act, d[i].who) == d[i].want,
		    "case %zu (%s): %d, want %d", i, ob_action_name(d[i].act),
		    (int)ob_policy_decide(d[i].act, d[i].who), (int)d[i].want);
}

START_TEST(policy_roles)
{
	struct ob_principal anon, m = user(OB_ROLE_MEMBER, 1), b = user(OB_ROLE_BILLING, 1),
	    ad = user(OB_ROLE_ADMIN, 1), o = user(OB_ROLE_OWNER, 1), out = user(OB_ROLE_NONE, 1),
	    st = user(OB_ROLE_NONE, 1), hidden = user(OB_ROLE_MEMBER, 1);
	const struct decision d[] = {
		/* Billing: owner, admin, billing. */
		{ OB_ACT_BILLING_MANAGE, &o, OB_ALLOW },
		{ OB_ACT_BILLING_MANAGE, &ad, OB_ALLOW },
		{ OB_ACT_BILLING_MANAGE, &b, OB_ALLOW },
		{ OB_ACT_BILLING_MANAGE, &m, OB_DENY_FORBIDDEN },
		{ OB_ACT_PAYMENT_ACTION, &m, OB_DENY_FORBIDDEN },
		/* Members: the read-only summary, unless the org hides billing. */
		{ OB_ACT_ORG_SUMMARY, &m, OB_ALLOW },
		{ OB_ACT_ORG_SUMMARY, &hidden, OB_DENY_FORBIDDEN },
		{ OB_ACT_ORG_SUMMARY, &b, OB_ALLOW },
		/* Managing members: owner and admin only. */
		{ OB_ACT_MEMBERS_MANAGE, &ad, OB_ALLOW },
		{ OB_ACT_MEMBERS_MANAGE, &b, OB_DENY_FORBIDDEN },
		/* Not a member: the org does not exist for them. */
		{ OB_ACT_MEMBERS_VIEW, &out, OB_DENY_NOT_FOUND },
		/* Staff: the staff console, not other people's orgs. */
		{ OB_ACT_STAFF, &st, OB_ALLOW },
		{ OB_ACT_STAFF, &o, OB_DENY_NOT_FOUND },
		{ OB_ACT_BILLING_VIEW, &st, OB_DENY_NOT_FOUND },
		{ OB_ACT_STAFF, &anon, OB_DENY_UNAUTHENTICATED },
		/* Anonymous. */
		{ OB_ACT_SESSION, &anon, OB_DENY_UNAUTHENTICATED },
		{ OB_ACT_BILLING_VIEW, &anon, OB_DENY_UNAUTHENTICATED },
		{ OB_ACT_PUBLIC, &anon, OB_ALLOW },
	};

	memset(&anon, 0, sizeof(anon));
	st.is_staff = 1;
	st.staff_role = OB_STAFF_ADMIN;
	hidden.members_see_billing = 0;
	decide_all(d, sizeof(d) / sizeof(d[0]));
}
END_TEST

START_TEST(policy_keys)
{
	struct ob_principal meter = key(OB_SCOPE_METER, 1, 1), read = key(OB_SCOPE_READ, 1, 1),
	    admin = key(OB_SCOPE_ADMIN, 1, 1), other = key(0x0f, 2, 1);
	const struct decision d[] = {
		{ OB_ACT_CREDITS_METER, &meter, OB_ALLOW },
		{ OB_ACT_CREDITS_METER, &read, OB_DENY_FORBIDDEN },
		{ OB_ACT_CREDITS_MANAGE, &admin, OB_ALLOW },
		{ OB_ACT_CREDITS_MANAGE, &meter, OB_DENY_FORBIDDEN },
		{ OB_ACT_BILLING_VIEW, &read, OB_ALLOW },
		/* Keys never manage keys, never reach the staff console. */
		{ OB_ACT_APIKEYS_MANAGE, &admin, OB_DENY_FORBIDDEN },
		{ OB_ACT_STAFF, &admin, OB_DENY_NOT_FOUND },
		{ OB_ACT_SESSION, &admin, OB_DENY_UNAUTHENTICATED },
		/* Another org's key: 404, whatever its scopes. */
		{ OB_ACT_BILLING_VIEW, &other, OB_DENY_NOT_FOUND },
		{ OB_ACT_CREDITS_METER, &other, OB_DENY_NOT_FOUND },
	};

	decide_all(d, sizeof(d) / sizeof(d[0]));
}
END_TEST

START_TEST(scopes_parse_and_format)
{
	unsigned s;
	char buf[64];

	ck_assert_int_eq(ob_scopes_parse("read,meter", &s), 0);
	ck_assert_uint_eq(s, OB_SCOPE_READ | OB_SCOPE_METER);
	ob_scopes_format(s, buf, sizeof(buf));
	ck_assert_str_eq(buf, "read,meter");
	ck_assert_int_eq(ob_scopes_parse("read,,", &s), -1);
	ck_assert_int_eq(ob_scopes_parse("", &s), -1);
	ck_assert_int_eq(ob_scopes_parse("read,root", &s), -1);
	ck_assert_int_eq(ob_scopes_parse("READ", &s), -1);
	ck_assert_int_eq(ob_role_parse("owner"), OB_ROLE_OWNER);
	ck_assert_int_eq(ob_role_parse("Owner"), OB_ROLE_NONE);
	ck_assert_int_eq(ob_role_parse(NULL), OB_ROLE_NONE);
	ck_assert_str_eq(ob_role_name(OB_ROLE_BILLING), "billing");
}
END_TEST

START_TEST(tokens_and_csrf)
{
	unsigned char raw[OB_TOKEN_BYTES], back[OB_TOKEN_BYTES], other[OB_TOKEN_BYTES];
	char text[OB_TOKEN_TEXT], csrf[OB_TOKEN_TEXT], csrf2[OB_TOKEN_TEXT], h[67];

	ck_assert_int_ge(sodium_init(), 0);
	ob_auth_token_new(raw, text);
	ck_assert_uint_eq(strlen(text), 43);
	ck_assert_int_eq(ob_auth_token_decode(text, back), 0);
	ck_assert_int_eq(memcmp(raw, back, sizeof(raw)), 0);
	ck_assert_int_eq(ob_auth_token_decode("short", back), -1);
	ck_assert_int_eq(ob_auth_token_decode(NULL, back), -1);
	text[5] = '=';
	ck_assert_int_eq(ob_auth_token_decode(text, back), -1);
	ob_auth_token_hash_param(raw, sizeof(raw), h);
	ck_assert_int_eq(h[0], '\\');
	ck_assert_int_eq(h[1], 'x');
	ck_assert_uint_eq(strlen(h), 66);
	/* CSRF: derived from the session, stable, differs between sessions. */
	ob_auth_csrf(raw, csrf);
	ob_auth_csrf(raw, csrf2);
	ck_assert_str_eq(csrf, csrf2);
	ck_assert_int_eq(ob_auth_csrf_ok(raw, csrf), 1);
	ck_assert_int_eq(ob_auth_csrf_ok(raw, NULL), 0);
	ck_assert_int_eq(ob_auth_csrf_ok(raw, ""), 0);
	randombytes_buf(other, sizeof(other));
	ck_assert_int_eq(ob_auth_csrf_ok(other, csrf), 0);
	ck_assert_int_eq(ob_auth_streq("abc", "abc"), 1);
	ck_assert_int_eq(ob_auth_streq("abc", "abd"), 0);
	ck_assert_int_eq(ob_auth_streq("abc", "abcd"), 0);
}
END_TEST

START_TEST(passwords_argon2id)
{
	char h[crypto_pwhash_STRBYTES];

	ck_assert_int_ge(sodium_init(), 0);
	ck_assert_int_eq(ob_auth_password_hash("correct horse battery", h, sizeof(h)), 0);
	ck_assert_int_eq(strncmp(h, "$argon2id$", 10), 0);
	ck_assert_int_eq(ob_auth_password_verify(h, "correct horse battery"), 1);
	ck_assert_int_eq(ob_auth_password_verify(h, "correct horse batterz"), 0);
	ck_assert_int_eq(ob_auth_password_verify("", "anything"), 0);
	ck_assert_int_eq(ob_auth_password_verify(NULL, "anything"), 0);
}
END_TEST

START_TEST(form_parsing)
{
	struct ob_arena *a = ob_arena_new();
	const char *n[8], *v[8];

	ck_assert_int_eq(ob_form_parse(a, "a=1&b=x+y&c=%41%2b&d=&e", 23, n, v, 8), 5);
	ck_assert_str_eq(n[0], "a");
	ck_assert_str_eq(v[1], "x y");
	ck_assert_str_eq(v[2], "A+");
	ck_assert_str_eq(v[3], "");
	ck_assert_str_eq(n[4], "e");
	ck_assert_str_eq(v[4], "");
	ck_assert_int_eq(ob_form_parse(a, "&&a=1&&", 7, n, v, 8), 1);
	/* Bad escapes, NUL bytes and too many fields are refused. */
	ck_assert_int_eq(ob_form_parse(a, "a=%4", 4, n, v, 8), -1);
	ck_assert_int_eq(ob_form_parse(a, "a=%zz", 5, n, v, 8), -1);
	ck_assert_int_eq(ob_form_parse(a, "a=%00", 5, n, v, 8), -1);
	ck_assert_int_eq(ob_form_parse(a, "a&b&c", 5, n, v, 2), -1);
	ck_assert_int_eq(ob_form_parse(a, "", 0, n, v, 8), 0);
	ob_arena_free(a);
}
END_TEST

Suite *identity_unit_suite(void)
{
	return t_suite("identity_unit", 30, T_TESTS(policy_every_action_has_a_rule,
	    policy_roles, policy_keys, scopes_parse_and_format, tokens_and_csrf,
	    passwords_argon2id, form_parsing));
}
