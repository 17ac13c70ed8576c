/*
 * Unit tests of who may create credits and reverse deductions, without a
 * database: the policy's decisions for the tenant grant and reversal
 * routes and the staff action, and the reason rule staff and operators
 * must meet. Expectations are written from docs/CREDITS.md.
 */
#include <check.h>
#include <string.h>

#include "credits/credits.h"
#include "identity/policy.h"

static struct ob_principal
person(enum ob_role role, int staff)
{
	struct ob_principal p;

	memset(&p, 0, sizeof(p));
	p.kind = OB_PRINCIPAL_USER;
	p.user_id = 7;
	p.is_staff = staff;
	p.staff_role = staff ? OB_STAFF_FINANCE : OB_STAFF_NONE;
	p.org_id = 3;
	p.role = role;
	p.members_see_billing = 1;
	return p;
}

static struct ob_principal
apikey(unsigned scopes, int64_t key_org)
{
	struct ob_principal p;

	memset(&p, 0, sizeof(p));
	p.kind = OB_PRINCIPAL_KEY;
	p.key_id = 11;
	p.key_org_id = key_org;
	p.org_id = 3;
	p.scopes = scopes;
	return p;
}

START_TEST(no_tenant_may_grant)
{
	static const enum ob_role roles[] = { OB_ROLE_MEMBER, OB_ROLE_BILLING, OB_ROLE_ADMIN,
		OB_ROLE_OWNER };
	static const unsigned scopes[] = { OB_SCOPE_READ, OB_SCOPE_WRITE, OB_SCOPE_METER,
		OB_SCOPE_ADMIN, OB_SCOPE_READ | OB_SCOPE_WRITE | OB_SCOPE_METER | OB_SCOPE_ADMIN };
	struct ob_principal p;
	size_t i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		p = person(roles[i], 0);
		ck_assert_int_eq(ob_policy_decide(OB_ACT_CREDITS_GRANT, &p), OB_DENY_FORBIDDEN);
		p = person(roles[i], 1);	/* staff inside an org are what their role makes them */
		ck_assert_int_eq(ob_policy_decide(OB_ACT_CREDITS_GRANT, &p), OB_DENY_FORBIDDEN);
	}
	for (i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		p = apikey(scopes[i], 3);
		ck_assert_int_eq(ob_policy_decide(OB_ACT_CREDITS_GRANT, &p), OB_DENY_FORBIDDEN);
		p = apikey(scopes[i], 4);	/* another org's key: not found */
		ck_assert_int_eq(ob_policy_decide(OB_ACT_CREDITS_GRANT, &p), OB_DENY_NOT_FOUND);
	}
	p = person(OB_ROLE_NONE, 0);
	ck_assert_int_eq(ob_policy_decide(OB_ACT_CREDITS_GRANT, &p), OB_DENY_NOT_FOUND);
}
END_TEST

START_TEST(only_meter_keys_reach_reversal)
{
	static const enum ob_role roles[] = { OB_ROLE_MEMBER, OB_ROLE_BILLING, OB_ROLE_ADMIN,
		OB_ROLE_OWNER };
	struct ob_principal p;
	size_t i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		p = person(roles[i], 0);
		ck_assert_int_eq(ob_policy_decide(OB_ACT_CREDITS_REVERSE, &p), OB_DENY_FORBIDDEN);
	}
	p = apikey(OB_SCOPE_READ, 3);
	ck_assert_int_eq(ob_policy_decide(OB_ACT_CREDITS_REVERSE, &p), OB_DENY_FORBIDDEN);
	p = apikey(OB_SCOPE_WRITE, 3);
	ck_assert_int_eq(ob_policy_decide(OB_ACT_CREDITS_REVERSE, &p), OB_DENY_FORBIDDEN);
	p = apikey(OB_SCOPE_ADMIN, 3);
	ck_assert_int_eq(ob_policy_decide(OB_ACT_CREDITS_REVERSE, &p), OB_DENY_FORBIDDEN);
	/* A meter key passes the gate; core then checks it made the deduction, and when. */
	p = apikey(OB_SCOPE_METER, 3);
	ck_assert_int_eq(ob_policy_decide(OB_ACT_CREDITS_REVERSE, &p), OB_ALLOW);
	p = apikey(OB_SCOPE_METER, 4);
	ck_assert_int_eq(ob_policy_decide(OB_ACT_CREDITS_REVERSE, &p), OB_DENY_NOT_FOUND);
}
END_TEST

START_TEST(staff_credit_actions_are_staff_only)
{
	struct ob_principal p = person(OB_ROLE_OWNER, 0);

	ck_assert_int_eq(ob_policy_decide(OB_ACT_STAFF_CREDITS, &p), OB_DENY_NOT_FOUND);
	p = apikey(OB_SCOPE_ADMIN, 3);
	ck_assert_int_eq(ob_policy_decide(OB_ACT_STAFF_CREDITS, &p), OB_DENY_NOT_FOUND);
	p = person(OB_ROLE_NONE, 1);
	ck_assert_int_eq(ob_policy_decide(OB_ACT_STAFF_CREDITS, &p), OB_ALLOW);
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(ob_policy_decide(OB_ACT_STAFF_CREDITS, &p), OB_DENY_UNAUTHENTICATED);
}
END_TEST

START_TEST(reason_rule)
{
	char long_reason[502];

	ck_assert_int_eq(ob_credits_reason_ok(NULL), 0);
	ck_assert_int_eq(ob_credits_reason_ok(""), 0);
	ck_assert_int_eq(ob_credits_reason_ok("ab"), 0);
	ck_assert_int_eq(ob_credits_reason_ok("abc"), 1);
	ck_assert_int_eq(ob_credits_reason_ok("two\nlines"), 0);
	memset(long_reason, 'x', 500);
	long_reason[500] = '\0';
	ck_assert_int_eq(ob_credits_reason_ok(long_reason), 1);
	long_reason[500] = 'x';
	long_reason[501] = '\0';
	ck_assert_int_eq(ob_credits_reason_ok(long_reason), 0);
}
END_TEST

Suite *
grants_rules_suite(void)
{
	Suite *s = suite_create("grants_rules");
	TCase *tc = tcase_create("grants_rules");

	tcase_add_test(tc, no_tenant_may_grant);
	tcase_add_test(tc, only_meter_keys_reach_reversal);
	tcase_add_test(tc, staff_credit_actions_are_staff_only);
	tcase_add_test(tc, reason_rule);
	suite_add_tcase(s, tc);
	return s;
}
