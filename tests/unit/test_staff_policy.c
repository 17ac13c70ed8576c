/*
 * The staff roles in the policy table (docs/ADMIN.md, "Roles"): support
 * reads, re-syncs, reprocesses and suspends; finance also refunds, grants
 * credits and changes seats and subscriptions; admin is finance and more.
 * Expected answers are written by hand from issue 14's role list.
 */
#include <check.h>
#include <string.h>

#include "base/ratelimit.h"
#include "identity/policy.h"
#include "unit/unit.h"

static struct ob_principal
staff(enum ob_staff_role role)
{
	struct ob_principal p;

	memset(&p, 0, sizeof(p));
	p.kind = OB_PRINCIPAL_USER;
	p.user_id = 9;
	p.is_staff = role != OB_STAFF_NONE;
	p.staff_role = role;
	return p;
}

START_TEST(staff_policy_by_role)
{
	/* support, finance, admin; A allow, F 403. */
	static const struct {
		enum ob_action act;
		const char *want;
	} rows[] = {
		{ OB_ACT_STAFF, "AAA" },
		{ OB_ACT_STAFF_REPROCESS, "AAA" },
		{ OB_ACT_STAFF_SYNC, "AAA" },
		{ OB_ACT_STAFF_SUSPEND, "AAA" },
		{ OB_ACT_STAFF_REFUND, "FAA" },
		{ OB_ACT_STAFF_CREDITS, "FAA" },
		{ OB_ACT_STAFF_SEATS, "FAA" },
		{ OB_ACT_STAFF_SUBSCRIPTION, "FAA" },
		{ OB_ACT_STAFF_BILLING, "FAA" },
		{ OB_ACT_STAFF_FLAGS, "FFA" },
	};
	size_t i;
	int k;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		for (k = 0; k < 3; k++) {
			struct ob_principal p = staff((enum ob_staff_role)(OB_STAFF_SUPPORT + k));
			enum ob_decision want = rows[i].want[k] == 'A' ? OB_ALLOW : OB_DENY_FORBIDDEN;

			ck_assert_msg(ob_policy_decide(rows[i].act, &p) == want, "%s as %s",
			    ob_action_name(rows[i].act), ob_staff_role_name(p.staff_role));
		}
}
END_TEST

START_TEST(staff_policy_not_staff_is_404)
{
	struct ob_principal p = staff(OB_STAFF_NONE), flag_only = staff(OB_STAFF_NONE);

	/* A tenant, or a staff flag without a role the session could read: no console. */
	flag_only.is_staff = 1;
	ck_assert_int_eq(ob_policy_decide(OB_ACT_STAFF, &p), OB_DENY_NOT_FOUND);
	ck_assert_int_eq(ob_policy_decide(OB_ACT_STAFF_SUSPEND, &p), OB_DENY_NOT_FOUND);
	ck_assert_int_eq(ob_policy_decide(OB_ACT_STAFF, &flag_only), OB_DENY_NOT_FOUND);
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(ob_policy_decide(OB_ACT_STAFF_SEATS, &p), OB_DENY_UNAUTHENTICATED);
}
END_TEST

START_TEST(staff_role_names)
{
	ck_assert_int_eq(ob_staff_role_parse("support"), OB_STAFF_SUPPORT);
	ck_assert_int_eq(ob_staff_role_parse("finance"), OB_STAFF_FINANCE);
	ck_assert_int_eq(ob_staff_role_parse("admin"), OB_STAFF_ADMIN);
	ck_assert_int_eq(ob_staff_role_parse("owner"), OB_STAFF_NONE);
	ck_assert_int_eq(ob_staff_role_parse(""), OB_STAFF_NONE);
	ck_assert_int_eq(ob_staff_role_parse(NULL), OB_STAFF_NONE);
	ck_assert_str_eq(ob_staff_role_name(OB_STAFF_FINANCE), "finance");
	ck_assert_str_eq(ob_staff_role_name(OB_STAFF__MAX), "none");
}
END_TEST

/* Issue 14's per-action limits: quantity 10/min, cancel/reactivate 5/min,
 * suspend/activate 5/min, sync 10/min, reprocess 10/min (refunds 3/min). */
START_TEST(staff_rate_limits_as_issued)
{
	static const struct {
		enum ob_rl_class c;
		const char *spec;
	} want[] = {
		{ OB_RL_STAFF_SEATS, "10/60" },
		{ OB_RL_STAFF_SUBSCRIPTION, "5/60" },
		{ OB_RL_STAFF_SUSPEND, "5/60" },
		{ OB_RL_STAFF_SYNC, "10/60" },
		{ OB_RL_STAFF_REPROCESS, "10/60" },
		{ OB_RL_REFUND, "3/60" },
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_str_eq(ob_rl_class_default(want[i].c), want[i].spec);
		ck_assert(ob_rl_class_uses_db(want[i].c));
	}
	ck_assert_ptr_null(ob_rl_class_env(OB_RL_STAFF_SEATS));
}
END_TEST

Suite *
staff_policy_suite(void)
{
	return t_suite("staff_policy", 10, T_TESTS(staff_policy_by_role,
	    staff_policy_not_staff_is_404, staff_role_names, staff_rate_limits_as_issued));
}
